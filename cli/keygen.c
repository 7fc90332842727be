/* keygen.c: `vitrine keygen NAME -o PREFIX`: a new Ed25519 key pair in Go's note format, the
 * private key in PREFIX.key (mode 0600) and the verifier key in PREFIX.pub. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vitrine/tlog.h>

#include "command.h"

static int run_keygen(int argc, char **argv)
{
    const char *name = NULL, *prefix = NULL;
    int type = VT_TLOG_SIG_ED25519;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (++i == argc)
                return cli_usage_error("keygen", "%s needs a PREFIX", argv[i - 1]);
            prefix = argv[i];
        } else if (strcmp(argv[i], "--witness") == 0) {
            type = VT_TLOG_SIG_COSIGNATURE_V1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("keygen", "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else {
            return cli_usage_error("keygen", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!name || !prefix)
        return cli_usage_error("keygen", "NAME and -o PREFIX are required");
    char key_path[4096], pub_path[4096];
    if ((size_t)snprintf(key_path, sizeof key_path, "%s.key", prefix) >= sizeof key_path ||
        (size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", prefix) >= sizeof pub_path)
        return cli_usage_error("keygen", "PREFIX is too long");
    struct stat st;
    if (stat(key_path, &st) == 0) {
        fprintf(stderr, "vitrine keygen: %s exists; not overwriting a key\n", key_path);
        return EXIT_ERROR;
    }
    vt_error err;
    vt_error_clear(&err);
    char *priv = NULL, *pub = NULL;
    vt_status s = vt_tlog_keygen(name, type, &priv, &pub, &err);
    if (s == VT_OK) {
        size_t len = strlen(priv);
        priv[len] = '\0';
        char *line = malloc(len + 2);
        if (!line) {
            s = vt_error_set(&err, VT_ERR_NOMEM, "out of memory");
        } else {
            memcpy(line, priv, len);
            line[len] = '\n';
            s = vt_write_file_atomic(key_path, line, len + 1, 0600, &err);
            memset(line, 0, len + 1);
            free(line);
        }
    }
    if (s == VT_OK) {
        size_t len = strlen(pub);
        char *line = malloc(len + 2);
        if (!line) {
            s = vt_error_set(&err, VT_ERR_NOMEM, "out of memory");
        } else {
            memcpy(line, pub, len);
            line[len] = '\n';
            s = vt_write_file_atomic(pub_path, line, len + 1, 0644, &err);
            free(line);
        }
    }
    if (priv)
        memset(priv, 0, strlen(priv));
    free(priv);
    if (s != VT_OK) {
        free(pub);
        return cli_report("keygen", &err);
    }
    printf("%s\n", pub);
    free(pub);
    return EXIT_CLEAN;
}

const struct vt_command command_keygen = {
    .name = "keygen",
    .summary = "make a signing key pair for a log (or a witness)",
    .manual = "NAME\n"
              "    vitrine keygen - make a signing key pair for a log (or a witness)\n"
              "\n"
              "SYNOPSIS\n"
              "    vitrine keygen NAME -o PREFIX [--witness]\n"
              "\n"
              "DESCRIPTION\n"
              "    Makes a new Ed25519 key named NAME (for a log, its origin, e.g.\n"
              "    example.com/rules) in the text format of Go's golang.org/x/mod/sumdb/note:\n"
              "    PREFIX.key holds 'PRIVATE+KEY+NAME+ID+KEY' and is created with mode 0600;\n"
              "    PREFIX.pub holds the verifier key 'NAME+ID+KEY', which is also printed.\n"
              "    An existing PREFIX.key is never overwritten. Keep the private key outside\n"
              "    the directory the log is served from.\n"
              "\n"
              "OPTIONS\n"
              "    -o, --output PREFIX   where to write PREFIX.key and PREFIX.pub\n"
              "    --witness             make a cosigning key (signature type 0x04,\n"
              "                          c2sp.org/tlog-cosignature) instead of a log key\n"
              "\n"
              "EXIT STATUS\n"
              "    0 on success, 2 on error.\n"
              "\n"
              "EXAMPLES\n"
              "    vitrine keygen example.com/rules -o keys/rules\n",
    .run = run_keygen,
};
