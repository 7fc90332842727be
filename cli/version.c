/* version.c: `vitrine version` (also `vitrine --version`): the program and library versions and
 * the versions of the libraries doing the heavy lifting, for bug reports. */
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <curl/curl.h>
#include <hs/hs.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "command.h"

static int run_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error("version", "takes no arguments");
    printf("vitrine %s\n", vt_version());
    /* hs_version() is "X.Y.Z DATE"; keep the version number only. */
    const char *vectorscan = hs_version();
    int vectorscan_len = (int)strcspn(vectorscan, " ");
    printf("libraries: vectorscan %.*s; %s; %s; libcurl %s; jansson %s; sqlite %s\n",
           vectorscan_len, vectorscan, OpenSSL_version(OPENSSL_VERSION), archive_version_string(),
           curl_version_info(CURLVERSION_NOW)->version, jansson_version_str(), sqlite3_libversion());
    return EXIT_CLEAN;
}

const struct vt_command command_version = {
    .name = "version",
    .summary = "print the version of vitrine and of its libraries",
    .manual = "NAME\n"
              "    vitrine version - print the version of vitrine and of its libraries\n"
              "\n"
              "SYNOPSIS\n"
              "    vitrine version\n"
              "    vitrine --version\n"
              "\n"
              "DESCRIPTION\n"
              "    Prints 'vitrine X.Y.Z' on the first line, then the versions of Vectorscan,\n"
              "    OpenSSL, libarchive, libcurl, jansson and SQLite that this build uses.\n"
              "\n"
              "EXIT STATUS\n"
              "    0.\n",
    .run = run_version,
};
