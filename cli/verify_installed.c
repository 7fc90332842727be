/* verify_installed.c: `vitrine verify-installed`: re-check the installed ruleset offline (every
 * proof against the stored cosigned checkpoint and policy, every entry hash, compilation) and
 * list what it holds. */
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
    vt_status st = vt_installed_load(state, &in, &err);
    if (st != VT_OK) {
        cli_report("verify-installed", &err);
        return st == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
    }
    printf("ruleset serial %" PRIu64 ": bundle at log index %" PRIu64 ", tree size %" PRIu64
           ", %zu rule entries verified\n",
           in->serial, in->bundle_index, in->tree_size, in->entry_count);
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
        "    entry's SHA-256 against the bundle, and that the rules compile. Lists each rule\n"
        "    entry's log index, hash and file name.\n"
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
