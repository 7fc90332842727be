/* verify_installed.c: `vitrine verify-installed`: re-check the installed ruleset offline (every
 * proof against the stored cosigned checkpoint and policy, every entry hash, and the installed
 * compiled ruleset against a fresh compile of the verified sources, byte for byte) and list
 * what it holds. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vitrine/distrib.h>

#include "command.h"

static int run_verify_installed(int argc, char **argv)
{
    const char *state = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            state = argv[++i];
        else
            return cli_usage_error("verify-installed", "unknown option '%s'", argv[i]);
    }
    vt_error err;
    vt_error_clear(&err);
    vt_installed *in = NULL;
    vt_status st = vt_installed_verify(state, &in, &err);
    if (st != VT_OK) {
        cli_report("verify-installed", &err);
        return st == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
    }
    printf("ruleset serial %" PRIu64 ": bundle at log index %" PRIu64 ", tree size %" PRIu64
           ", %zu rule entries verified\n",
           in->serial, in->bundle_index, in->tree_size, in->entry_count);
    if (in->compiled_compared)
        printf("compiled ruleset: identical to the compile of the verified sources\n");
    else
        printf("compiled ruleset: none installed for this vitrine version (scan compiles the "
               "sources)\n");
    for (size_t i = 0; i < in->entry_count; i++)
        printf("  log %" PRIu64 " sha256 %s %s\n", in->entries[i].index, in->entries[i].hex,
               in->entries[i].name);
    vt_installed_free(in);
    return EXIT_CLEAN;
}

const struct vt_command command_verify_installed = {
    .name = "verify-installed",
    .summary = "re-check the installed ruleset's proofs offline",
    .manual =
        "NAME\n"
        "    vitrine verify-installed - re-check the installed ruleset offline\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine verify-installed [--state DIR]\n"
        "\n"
        "DESCRIPTION\n"
        "    Re-checks the ruleset that 'vitrine update' installed, without the network: the\n"
        "    stored checkpoint's log signature and witness quorum under the stored policy, the\n"
        "    tlog-proof of the bundle and of every rule entry against that checkpoint, every\n"
        "    entry's SHA-256 against the bundle; then compiles the verified rule entries and\n"
        "    requires the compiled ruleset that 'vitrine update' installed (the one 'vitrine\n"
        "    scan' loads) to be the same bytes, the matcher database included. Lists each rule\n"
        "    entry's log index, hash and file name (a split file: one line per piece).\n"
        "\n"
        "OPTIONS\n"
        "    --state DIR   the state directory (default as for 'vitrine update')\n"
        "\n"
        "EXIT STATUS\n"
        "    0 verified, 1 a check failed, 2 nothing installed or another error.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine verify-installed --state /var/lib/vitrine\n",
    .run = run_verify_installed,
};
