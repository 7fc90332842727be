/* publish.c: `vitrine publish`: compile rule files and log them, one rule entry per file and then
 * the bundle entry that pins them as the next ruleset version (lib/distrib/publish.c); or, with
 * --data-policy, log a data policy (docs/telemetry.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vitrine/distrib.h>

#include "command.h"

static int run_publish(int argc, char **argv)
{
    static const struct option options[] = {
        {"log", required_argument, NULL, 'l'},    {"key", required_argument, NULL, 'k'},
        {"author", required_argument, NULL, 'a'}, {"reason", required_argument, NULL, 'r'},
        {"date", required_argument, NULL, 'd'},   {"reference", required_argument, NULL, 'R'},
        {"data-policy", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *key_path = NULL, *refs[64], *policy_path = NULL;
    vt_publish_options po = {.references = refs};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "l:k:a:r:d:R:P:", options, NULL)) != -1) {
        switch (c) {
        case 'P': policy_path = optarg; break;
        case 'l': dir = optarg; break;
        case 'k': key_path = optarg; break;
        case 'a': po.author = optarg; break;
        case 'r': po.reason = optarg; break;
        case 'd': po.date = optarg; break;
        case 'R':
            if (po.reference_count == 64)
                return cli_usage_error("publish", "too many --reference");
            refs[po.reference_count++] = optarg;
            break;
        default: return cli_usage_error("publish", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (policy_path && (optind < argc || po.author || po.reason || po.date || po.reference_count))
        return cli_usage_error("publish", "--data-policy FILE is published alone: no rule files, "
                                          "--author, --reason, --date or --reference");
    if (!dir || !key_path || (!policy_path && optind >= argc))
        return cli_usage_error("publish", "give --log DIR, --key KEY and one or more rule files "
                                          "(or --data-policy FILE)");
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_signer *key = NULL;
    if (vt_tlog_signer_load(key_path, &key, &err) != VT_OK)
        return cli_report("publish", &err);
    uint64_t index = 0, serial = 0;
    if (policy_path) {
        vt_status st = vt_publish_data_policy(dir, key, policy_path, &index, &serial, &err);
        vt_tlog_signer_free(key);
        if (st != VT_OK)
            return cli_report("publish", &err);
        printf("data-policy %" PRIu64 " serial %" PRIu64 "\n", index, serial);
        return EXIT_CLEAN;
    }
    size_t entries = 0;
    vt_status st = vt_publish(dir, key, (const char *const *)argv + optind, (size_t)(argc - optind),
                              &po, &index, &serial, &entries, &err);
    vt_tlog_signer_free(key);
    if (st != VT_OK)
        return cli_report("publish", &err);
    printf("bundle %" PRIu64 " serial %" PRIu64 " (%zu rule entries)\n", index, serial, entries);
    return EXIT_CLEAN;
}

const struct vt_command command_publish = {
    .name = "publish",
    .summary = "log rule files and a bundle pinning them as the next ruleset version",
    .manual =
        "NAME\n"
        "    vitrine publish - log rule files as the next ruleset version\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine publish --log DIR --key KEY [--author A] [--reason R] [--date YYYY-MM-DD]\n"
        "                    [--reference REF]... RULES.yar...\n"
        "    vitrine publish --log DIR --key KEY --data-policy FILE\n"
        "\n"
        "DESCRIPTION\n"
        "    Compiles the rule files together (each in its own namespace, as clients will); if any\n"
        "    fails nothing is logged. Then appends to the log in DIR one rule entry per file (its\n"
        "    source with author, reason, date and references) and a bundle entry naming each rule\n"
        "    entry's index and SHA-256 with the next serial (the newest bundle's serial plus one),\n"
        "    all in one durable append. Prints 'bundle INDEX serial N (K rule entries)'. A rule\n"
        "    file too large for one 64 KiB entry is split by rule into several entries (each\n"
        "    carrying the file's imports; clients compile them in one namespace); a single rule\n"
        "    too large even without comments and extra blanks is refused. Formats:\n"
        "    docs/entries.md.\n"
        "\n"
        "    With --data-policy, logs the data-policy entry in FILE (its exact text: the reports\n"
        "    and fields clients may send, their categories, retention and expiry, the collector\n"
        "    URL; docs/entries.md, docs/telemetry.md) and prints 'data-policy INDEX serial N'.\n"
        "    A file that does not parse is refused with FILE:LINE and what was expected; so is\n"
        "    a serial not larger than the newest logged data policy's. Nothing is logged then.\n"
        "\n"
        "OPTIONS\n"
        "    --log DIR         the log directory (made by 'vitrine log init')\n"
        "    --key KEY         the log's private key\n"
        "    --author A        author of the rules (default: $USER)\n"
        "    --reason R        why they are published (default: 'ruleset update')\n"
        "    --date D          the date recorded (default: today, UTC)\n"
        "    --reference REF   a reference (URL, ticket); may be repeated\n"
        "    --data-policy F   log the data policy in F instead of rules\n"
        "\n"
        "EXIT STATUS\n"
        "    0 published, 2 an error (rules that do not compile, a policy that does not parse\n"
        "    or does not raise the serial, a bad key, I/O).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine publish --log /srv/log --key log.key rules/starter/*.yar\n"
        "    vitrine publish --log /srv/log --key log.key --data-policy policy.txt\n",
    .run = run_publish,
};
