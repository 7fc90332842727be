/* update.c: `vitrine update`: fetch the newest ruleset from a log, verify it (signature, witness
 * quorum, freshness, consistency, inclusion, serial) and install it atomically
 * (lib/distrib/update.c). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/distrib.h>

#include "command.h"

/* "90", "90s", "15m", "24h", "7d". */
static int parse_duration(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (end == text || text[0] == '-')
        return 0;
    uint64_t unit = *end == 'd' ? 86400 : *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
    if (*end && (strchr("dhms", *end) == NULL || end[1]))
        return 0;
    if (n > UINT64_MAX / unit / 2)
        return 0;
    *out = n * unit;
    return 1;
}

static int run_update(int argc, char **argv)
{
    static const struct option options[] = {
        {"from", required_argument, NULL, 'f'},    {"policy", required_argument, NULL, 'p'},
        {"max-age", required_argument, NULL, 'm'}, {"state", required_argument, NULL, 's'},
        {"deadline", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0},
    };
    vt_update_options o = {.max_age = 86400, .deadline_seconds = 300};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:p:m:s:d:", options, NULL)) != -1) {
        switch (c) {
        case 'f': o.from = optarg; break;
        case 'p': o.policy_path = optarg; break;
        case 's': o.state_dir = optarg; break;
        case 'm':
            if (!parse_duration(optarg, &o.max_age))
                return cli_usage_error("update", "--max-age takes a duration like 24h, not '%s'",
                                       optarg);
            break;
        case 'd':
            if (!parse_duration(optarg, &o.deadline_seconds) || o.deadline_seconds == 0 ||
                o.deadline_seconds > 86400u * 365)
                return cli_usage_error("update", "--deadline takes a positive duration like 300 or "
                                                 "5m, not '%s'", optarg);
            break;
        default: return cli_usage_error("update", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!o.from || !o.policy_path || optind != argc)
        return cli_usage_error("update", "give --from URL|DIR and --policy FILE");
    vt_error err;
    vt_error_clear(&err);
    vt_update_result r;
    vt_status st = vt_update(&o, &r, &err);
    if (st != VT_OK) {
        cli_report("update", &err);
        fputs("vitrine update: the installed ruleset was left unchanged\n", stderr);
        return st == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
    }
    printf("%s ruleset serial %" PRIu64 " (bundle at log index %" PRIu64 ", %zu rule entries, "
           "tree size %" PRIu64 ")\n",
           r.installed ? "installed" : "already up to date:", r.serial, r.bundle_index,
           r.rule_entries, r.tree_size);
    if (r.policy_problem[0]) {
        fprintf(stderr, "vitrine update: the newest data policy was not installed: %s\n",
                r.policy_problem);
        return r.policy_evidence ? EXIT_FOUND : EXIT_ERROR;
    }
    if (r.policy_found)
        printf("%s data policy serial %" PRIu64 " (log index %" PRIu64 ")%s\n",
               r.policy_installed ? "installed" : "already up to date:", r.policy_serial,
               r.policy_index,
               r.policy_installed ? ": see 'vitrine telemetry status'; nothing is sent without "
                                    "'vitrine telemetry enable'"
                                  : "");
    return EXIT_CLEAN;
}

const struct vt_command command_update = {
    .name = "update",
    .summary = "install the newest ruleset from a log after verifying it",
    .manual =
        "NAME\n"
        "    vitrine update - install the newest verified ruleset from a transparency log\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine update --from URL|DIR --policy FILE [--max-age DURATION] [--deadline DURATION]\n"
        "                   [--state DIR]\n"
        "\n"
        "DESCRIPTION\n"
        "    Fetches the log's checkpoint and checks, in order: the log's signature and the\n"
        "    witness quorum of the tlog-policy FILE; that the newest cosignature is at most\n"
        "    DURATION old; a consistency proof from the last checkpoint this state directory\n"
        "    trusted; the inclusion of the newest bundle entry and of every rule entry it names\n"
        "    (and each entry's SHA-256); that the bundle's serial is not lower than the\n"
        "    installed one; that the rules compile. Then it installs the entries, their\n"
        "    tlog-proofs, the checkpoint and the policy in a new directory and switches the\n"
        "    'current' pointer to it atomically, so 'vitrine scan' and 'vitrine verify-installed'\n"
        "    can re-check everything offline. Any failure leaves the installed ruleset as it was\n"
        "    and says what it looks like: stale checkpoint (possible freeze), inconsistent log\n"
        "    (fork or split view), unlogged entry, rollback. A fetch that fails (refused\n"
        "    connection, HTTP error or redirect, truncated, oversized or stalled body, the\n"
        "    deadline passing) is 'unavailable: WHAT', never reported as an attack. A corrupt\n"
        "    installed ruleset is refused (the rollback check needs it). The verdicts come from\n"
        "    the trust core (vitrine/trust.h). See docs/distribution.md.\n"
        "\n"
        "    Then the newest data-policy entry of the log (what telemetry may send,\n"
        "    docs/telemetry.md) is verified the same way (inclusion in the same checkpoint, a\n"
        "    serial not lower than the installed policy's) and installed beside the ruleset\n"
        "    with its proof. Installing a policy sends nothing and changes no consent: see\n"
        "    'vitrine help telemetry'. A policy that fails its checks is not installed (the\n"
        "    ruleset still is) and the exit status says why: 1 for a rollback, 2 otherwise.\n"
        "\n"
        "OPTIONS\n"
        "    --from URL|DIR     the log (http(s):// URL or directory)\n"
        "    --policy FILE      a C2SP tlog-policy file: the log key, witnesses and quorum\n"
        "    --max-age D        how old the newest cosignature may be (default 24h; s, m, h, d;\n"
        "                       0: no bound)\n"
        "    --deadline D       time for the whole update's fetches (default 300s); each fetch\n"
        "                       is also bounded (10 s to connect, 60 s in all)\n"
        "    --state DIR        the state directory (default: $VITRINE_STATE, else\n"
        "                       $XDG_DATA_HOME/vitrine, ~/.local/share/vitrine, /var/lib/vitrine)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 installed or already current, 1 a verification failed (evidence of an attack or a\n"
        "    broken log: fork, rollback, bad signature, no quorum, stale, unlogged entry),\n"
        "    2 another error: 'unavailable' (the log could not be fetched), a corrupt installed\n"
        "    ruleset, options, I/O.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine update --from https://rules.example/log/ --policy /etc/vitrine/policy\n",
    .run = run_update,
};
