/* publish.c: `vitrine publish`: compile rule files and log them, one rule entry per file and then
 * the bundle entry that pins them as the next ruleset version (lib/distrib/publish.c); or, with
 * --data-policy, log a data policy (docs/telemetry.md); with --audit-ack, an audit
 * acknowledgment (docs/audit.md); with --page, the transparency center's page files (a page
 * entry). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/distrib.h>

#include "center.h"
#include "command.h"

/* --audit-ack HASH FINDING REASON, or --audit-ack-file FILE (an entry's text): log why an audit
 * finding on a rule entry is not what it looks like (docs/audit.md "Acknowledgments"). */
static int publish_ack(const char *dir, const char *key_path, const char *file, char **args)
{
    vt_error err;
    vt_error_clear(&err);
    vt_audit_ack_entry entry = {0};
    vt_status st;
    if (file) {
        unsigned char *data = NULL;
        size_t len;
        st = vt_read_file(file, VT_DISTRIB_MAX_ENTRY + 1, &data, &len, &err);
        if (st == VT_OK)
            st = vt_audit_ack_entry_parse(data, len, &entry, &err);
        free(data);
    } else {
        const char *hex = args[0];
        st = strlen(hex) == 64 ? VT_OK
                               : vt_error_set(&err, VT_ERR_ARGUMENT,
                                              "HASH must be the rule entry's SHA-256 in 64 "
                                              "lowercase hex digits, not '%s'", hex);
        for (int i = 0; st == VT_OK && i < 32; i++) {
            unsigned v;
            if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", hex[2 * i]) ||
                !strchr("0123456789abcdef", hex[2 * i + 1]))
                st = vt_error_set(&err, VT_ERR_ARGUMENT,
                                  "HASH must be 64 lowercase hex digits, not '%s'", hex);
            entry.rule_entry[i] = (unsigned char)v;
        }
        snprintf(entry.finding, sizeof entry.finding, "%s", args[1]);
        if (st == VT_OK && strlen(args[1]) >= sizeof entry.finding)
            st = vt_error_set(&err, VT_ERR_ARGUMENT, "not an audit finding id: '%s'", args[1]);
        entry.reason = args[2];
    }
    vt_tlog_signer *key = NULL;
    if (st == VT_OK)
        st = vt_tlog_signer_load(key_path, &key, &err);
    uint64_t index = 0;
    if (st == VT_OK)
        st = vt_publish_audit_ack(dir, key, &entry, &index, &err);
    vt_tlog_signer_free(key);
    if (file)
        vt_audit_ack_entry_clear(&entry);
    if (st != VT_OK)
        return cli_report("publish", &err);
    printf("audit-ack %" PRIu64 "\n", index);
    return EXIT_CLEAN;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const vt_page_file *)a)->name, ((const vt_page_file *)b)->name);
}

/* Log a page entry naming the SHA-256 of each of the page's files as they are in outdir (the
 * files a web server will send), not as this binary embeds them. */
static int publish_page(const char *dir, const vt_tlog_signer *key, const char *outdir)
{
    vt_page_file files[VT_DISTRIB_MAX_PAGE_FILES];
    vt_page_entry page = {.files = files};
    vt_error err;
    vt_error_clear(&err);
    for (const struct center_web_file *f = center_web_files; f->name; f++) {
        char path[4096];
        unsigned char *data;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", outdir, f->name);
        if (vt_read_file(path, 64u << 20, &data, &len, &err) != VT_OK)
            return cli_report("publish", &err);
        vt_page_file *pf = &files[page.file_count++];
        snprintf(pf->name, sizeof pf->name, "%s", f->name);
        vt_distrib_sha256(data, len, pf->sha256);
        free(data);
    }
    qsort(files, page.file_count, sizeof files[0], by_name);
    uint64_t index = 0;
    if (vt_publish_page(dir, key, &page, &index, &err) != VT_OK)
        return cli_report("publish", &err);
    printf("page %" PRIu64 " (%zu files)\n", index, page.file_count);
    return EXIT_CLEAN;
}

static int run_publish(int argc, char **argv)
{
    static const struct option options[] = {
        {"log", required_argument, NULL, 'l'},    {"key", required_argument, NULL, 'k'},
        {"author", required_argument, NULL, 'a'}, {"reason", required_argument, NULL, 'r'},
        {"date", required_argument, NULL, 'd'},   {"reference", required_argument, NULL, 'R'},
        {"data-policy", required_argument, NULL, 'P'}, {"page", required_argument, NULL, 'G'},
        {"audit-ack", no_argument, NULL, 'A'},    {"audit-ack-file", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    const char *ack_file = NULL;
    int ack = 0;
    const char *dir = NULL, *key_path = NULL, *refs[64], *policy_path = NULL, *page = NULL;
    vt_publish_options po = {.references = refs};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "l:k:a:r:d:R:P:G:", options, NULL)) != -1) {
        switch (c) {
        case 'P': policy_path = optarg; break;
        case 'G': page = optarg; break;
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
        case 'A': ack = 1; break;
        case 'F': ack_file = optarg; break;
        default: return cli_usage_error("publish", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (ack || ack_file) {
        if (!dir || !key_path || (ack && ack_file) || (ack && argc - optind != 3) ||
            (ack_file && optind != argc) || policy_path || page)
            return cli_usage_error("publish", "give --log DIR, --key KEY and --audit-ack HASH "
                                              "FINDING REASON or --audit-ack-file FILE");
        return publish_ack(dir, key_path, ack_file, argv + optind);
    }
    if (page && (policy_path || optind < argc || po.author || po.reason || po.date ||
                 po.reference_count))
        return cli_usage_error("publish", "--page OUTDIR is published alone: no rule files, "
                                          "--data-policy, --author, --reason, --date or --reference");
    if (policy_path && (optind < argc || po.author || po.reason || po.date || po.reference_count))
        return cli_usage_error("publish", "--data-policy FILE is published alone: no rule files, "
                                          "--author, --reason, --date or --reference");
    if (!dir || !key_path || (!policy_path && !page && optind >= argc))
        return cli_usage_error("publish", "give --log DIR, --key KEY and one or more rule files "
                                          "(or --data-policy FILE, or --page OUTDIR)");
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_signer *key = NULL;
    if (vt_tlog_signer_load(key_path, &key, &err) != VT_OK)
        return cli_report("publish", &err);
    if (page) {
        int rc = publish_page(dir, key, page);
        vt_tlog_signer_free(key);
        return rc;
    }
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
        "    vitrine publish --log DIR --key KEY --page OUTDIR\n"
        "    vitrine publish --log DIR --key KEY --audit-ack HASH FINDING REASON\n"
        "    vitrine publish --log DIR --key KEY --audit-ack-file FILE\n"
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
        "    With --audit-ack it appends one audit acknowledgment entry instead: the SHA-256\n"
        "    of a rule entry (as `vitrine monitor` prints it), an auditor finding id (e.g.\n"
        "    AUD-DOC-001, see `vitrine help audit`) and one line saying why the finding is not\n"
        "    what it looks like; prints 'audit-ack INDEX'. Only such a logged entry silences a\n"
        "    finding in `vitrine monitor --audit` (docs/audit.md). --audit-ack-file logs an\n"
        "    entry written beforehand (vitrine/audit-ack-entry/v1, checked strictly).\n"
        "\n"
        "    With --page, logs instead one page entry naming the SHA-256 of each file of the\n"
        "    transparency center's page in OUTDIR (index.html, center.js, center.css, as\n"
        "    'vitrine center build OUTDIR' wrote them), so that the page can check itself\n"
        "    against the log; prints 'page INDEX (N files)'. Build the center again afterwards\n"
        "    so that its log copy holds the entry (the page files stay the same).\n"
        "\n"
        "OPTIONS\n"
        "    --log DIR         the log directory (made by 'vitrine log init')\n"
        "    --key KEY         the log's private key\n"
        "    --author A        author of the rules (default: $USER)\n"
        "    --reason R        why they are published (default: 'ruleset update')\n"
        "    --date D          the date recorded (default: today, UTC)\n"
        "    --reference REF   a reference (URL, ticket); may be repeated\n"
        "    --data-policy F   log the data policy in F instead of rules\n"
        "    --page OUTDIR     log the page files of a built transparency center\n"
        "    --audit-ack       log an audit acknowledgment: HASH FINDING REASON follow\n"
        "    --audit-ack-file F  log the audit acknowledgment entry in file F\n"
        "\n"
        "EXIT STATUS\n"
        "    0 published, 2 an error (rules that do not compile, a policy that does not parse\n"
        "    or does not raise the serial, a bad key, I/O).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine publish --log /srv/log --key log.key rules/starter/*.yar\n"
        "    vitrine publish --log /srv/log --key log.key --data-policy policy.txt\n"
        "    vitrine publish --log /srv/log --key log.key --page /srv/www/center\n",
    .run = run_publish,
};
