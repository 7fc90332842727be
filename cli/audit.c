/* audit.c: `vitrine audit`: does a rule hunt for documents or personal data rather than malware?
 * Audits rule files (as `vitrine compile` takes them) or every rule entry of a log
 * (lib/audit, vitrine/audit.h), optionally scanning canary documents with every rule, and prints
 * one verdict per flagged rule: text for people, JSON for automation. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/audit.h>
#include <vitrine/distrib.h>
#include <vitrine/rules.h>
#include <vitrine/trust.h>

#include "audit_entry.h"
#include "command.h"

static int print_report(const vt_audit_report *report, bool json, bool all, const char *prefix)
{
    vt_buf out = {0};
    vt_error err;
    vt_error_clear(&err);
    vt_status st = json ? vt_audit_report_json(report, all, &out, &err)
                        : vt_audit_report_text(report, all, &out, &err);
    if (st != VT_OK)
        return cli_report("audit", &err);
    if (json && prefix && out.len > 1) /* {"index":N,...} + the report's members */
        printf("{%s,%.*s", prefix, (int)(out.len - 1), (const char *)out.data + 1);
    else
        fwrite(out.data, 1, out.len, stdout);
    vt_buf_free(&out);
    return EXIT_CLEAN;
}

int cli_audit_entry(const void *entry, size_t len, uint64_t index, const vt_audit_ack_entry *acks,
                    size_t ack_count, bool json, bool all, bool *flagged)
{
    vt_error err;
    vt_error_clear(&err);
    vt_audit_report *report = NULL;
    *flagged = false;
    if (vt_audit_rule_entry(entry, len, &report, &err) != VT_OK) {
        fprintf(stderr, "vitrine audit: log entry %" PRIu64 ": ", index);
        return cli_report("audit", &err);
    }
    unsigned char hash[32];
    char hex[65], prefix[160], ns[32];
    vt_distrib_sha256(entry, len, hash);
    vt_distrib_hex(hash, hex);
    vt_audit_apply_acks(report, hash, acks, ack_count);
    snprintf(ns, sizeof ns, "log-%" PRIu64, index); /* the namespace vitrine update gives it */
    for (size_t r = 0; r < report->rule_count; r++) {
        char *copy = strdup(ns);
        if (!copy) {
            vt_audit_report_free(report);
            return cli_report("audit", &(vt_error){.status = VT_ERR_NOMEM,
                                                   .message = "out of memory"});
        }
        free(report->rules[r].ns);
        report->rules[r].ns = copy;
    }
    snprintf(prefix, sizeof prefix, "\"index\":%" PRIu64 ",\"sha256\":\"%s\"", index, hex);
    if (!json && (report->flagged_count || all))
        printf("== log %" PRIu64 ": rule entry sha256 %s\n", index, hex);
    int rc = print_report(report, json, all, prefix);
    *flagged = report->flagged_count > 0;
    vt_audit_report_free(report);
    return rc;
}

/* Every rule entry of the log, with the acknowledgments the log holds. */
static int audit_log(const char *url, const char *vkey_path, bool json, bool all)
{
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_verifier *key = NULL;
    vt_tlog_reader *reader = NULL;
    if (vt_tlog_verifier_load(vkey_path, &key, &err) != VT_OK)
        return cli_report("audit", &err);
    if (vt_tlog_reader_open(url, &reader, &err) != VT_OK) {
        vt_tlog_verifier_free(key);
        return cli_report("audit", &err);
    }
    vt_tlog_checkpoint cp = {0};
    int rc = EXIT_CLEAN;
    vt_buf *entries = NULL;
    vt_audit_ack_entry *acks = NULL;
    size_t ack_count = 0;
    if (vt_tlog_reader_checkpoint(reader, key, &cp, NULL, &err) != VT_OK)
        rc = cli_report("audit", &err);
    if (rc == EXIT_CLEAN && !(entries = calloc(cp.size + 1, sizeof *entries)))
        rc = cli_report("audit", &(vt_error){.status = VT_ERR_NOMEM, .message = "out of memory"});
    /* fetch and check every entry first: acks may come after the rule entry they name */
    for (uint64_t i = 0; rc == EXIT_CLEAN && i < cp.size; i++) {
        unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
        size_t n = 0;
        vt_trust_verdict v;
        if (vt_tlog_reader_entry(reader, cp.size, i, &entries[i], &err) != VT_OK ||
            vt_tlog_reader_prove_inclusion(reader, cp.size, i, proof, &n, &err) != VT_OK) {
            rc = cli_report("audit", &err);
            break;
        }
        if (vt_trust_inclusion(&cp, i, entries[i].data, entries[i].len,
                               (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n,
                               &v) != VT_TRUST_OK) {
            fprintf(stderr, "vitrine audit: log entry %" PRIu64 ": %s\n", i, v.reason);
            rc = EXIT_FOUND;
            break;
        }
        if (vt_entry_kind_of(entries[i].data, entries[i].len) == VT_ENTRY_AUDIT_ACK) {
            vt_audit_ack_entry *grown = realloc(acks, (ack_count + 1) * sizeof *grown);
            if (!grown) {
                rc = cli_report("audit", &(vt_error){.status = VT_ERR_NOMEM,
                                                     .message = "out of memory"});
                break;
            }
            acks = grown;
            if (vt_audit_ack_entry_parse(entries[i].data, entries[i].len, &acks[ack_count],
                                         &err) != VT_OK)
                rc = cli_report("audit", &err);
            else
                ack_count++;
        }
    }
    bool any = false;
    for (uint64_t i = 0; rc == EXIT_CLEAN && i < cp.size; i++) {
        if (vt_entry_kind_of(entries[i].data, entries[i].len) != VT_ENTRY_RULE)
            continue;
        bool flagged;
        rc = cli_audit_entry(entries[i].data, entries[i].len, i, acks, ack_count, json, all,
                             &flagged);
        any |= flagged;
    }
    if (rc == EXIT_CLEAN && any)
        rc = EXIT_FOUND;
    for (uint64_t i = 0; entries && i < cp.size; i++)
        vt_buf_free(&entries[i]);
    free(entries);
    for (size_t i = 0; i < ack_count; i++)
        vt_audit_ack_entry_clear(&acks[i]);
    free(acks);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_reader_close(reader);
    vt_tlog_verifier_free(key);
    return rc;
}

/* Rule files as `vitrine compile` takes them. */
static int audit_files(char **files, int count, char **defines, size_t define_count,
                       const char *canaries, const char *corpus, size_t corpus_limit, bool json,
                       bool all)
{
    vt_error err;
    vt_error_clear(&err);
    vt_compiler *c = NULL;
    if (vt_compiler_new(&c, &err) != VT_OK)
        return cli_report("audit", &err);
    vt_status st = VT_OK;
    for (size_t d = 0; st == VT_OK && d < define_count; d++) {
        char name[256];
        const char *value;
        if (vt_rules_split_define(defines[d], name, sizeof name, &value, &err) != VT_OK) {
            vt_compiler_free(c);
            return cli_usage_error("audit", "-d: %s", err.message);
        }
        st = vt_compiler_define(c, name, value, &err);
    }
    for (int i = 0; st == VT_OK && i < count; i++) {
        char *ns;
        const char *path;
        st = vt_rules_split_arg(files[i], &ns, &path, &err);
        if (st == VT_OK && vt_rules_is_compiled(path))
            st = vt_error_set(&err, VT_ERR_ARGUMENT,
                              "%s is a compiled ruleset: audit the rule sources", path);
        if (st == VT_OK)
            st = vt_compiler_add_file(c, ns, path, &err);
        free(ns);
    }
    vt_ruleset *rules = NULL;
    if (st == VT_OK)
        st = vt_compiler_finish(c, &rules, &err);
    vt_compiler_free(c);
    vt_audit_report *report = NULL;
    if (st == VT_OK)
        st = vt_audit_ruleset(rules, &report, &err);
    if (st == VT_OK && canaries)
        st = vt_audit_canaries(rules, canaries, report, &err);
    if (st == VT_OK && corpus)
        st = vt_audit_corpus(rules, corpus, corpus_limit, report, &err);
    int rc = st == VT_OK ? print_report(report, json, all, NULL) : cli_report("audit", &err);
    if (rc == EXIT_CLEAN && report->flagged_count)
        rc = EXIT_FOUND;
    vt_audit_report_free(report);
    vt_ruleset_free(rules);
    return rc;
}

static int run_audit(int argc, char **argv)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'}, {"define", required_argument, NULL, 'd'},
        {"log", required_argument, NULL, 'l'},    {"vkey", required_argument, NULL, 'k'},
        {"canaries", required_argument, NULL, 'c'}, {"all", no_argument, NULL, 'a'},
        {"corpus", required_argument, NULL, 'C'}, {"corpus-limit", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    const char *log = NULL, *vkey = NULL, *canaries = NULL, *corpus = NULL;
    size_t corpus_limit = VT_AUDIT_CORPUS_LIMIT;
    bool json = false, all = false;
    char **defines = calloc((size_t)argc + 1, sizeof *defines);
    size_t define_count = 0;
    if (!defines)
        return cli_usage_error("audit", "out of memory");
    int opt, rc;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "f:d:", options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                free(defines);
                return cli_usage_error("audit", "--format takes text or json, not '%s'", optarg);
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'd': defines[define_count++] = optarg; break;
        case 'l': log = optarg; break;
        case 'k': vkey = optarg; break;
        case 'c': canaries = optarg; break;
        case 'C': corpus = optarg; break;
        case 'L': {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || n == 0 || optarg[0] == '-' || n > SIZE_MAX) {
                free(defines);
                return cli_usage_error("audit", "--corpus-limit takes a number of files >= 1, "
                                                "not '%s'", optarg);
            }
            corpus_limit = (size_t)n;
            break;
        }
        case 'a': all = true; break;
        default:
            free(defines);
            return cli_usage_error("audit", "unknown option or missing value '%s'",
                                   argv[optind - 1]);
        }
    }
    if (log) {
        if (optind < argc || canaries || corpus || define_count || !vkey)
            rc = cli_usage_error("audit", "--log takes --vkey VKEY and no rule files, -d, "
                                          "--canaries or --corpus");
        else
            rc = audit_log(log, vkey, json, all);
    } else if (optind >= argc) {
        rc = cli_usage_error("audit", "no rule files given (or --log DIR|URL)");
    } else {
        rc = audit_files(argv + optind, argc - optind, defines, define_count, canaries, corpus,
                         corpus_limit, json, all);
    }
    free(defines);
    return rc;
}

const struct vt_command command_audit = {
    .name = "audit",
    .summary = "flag rules that hunt for documents or personal data rather than malware",
    .manual =
        "NAME\n"
        "    vitrine audit - flag rules that hunt for documents or personal data\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine audit [--format text|json] [--all] [-d NAME=VALUE]... [--canaries DIR]\n"
        "                  [--corpus DIR [--corpus-limit N]] [NS:]RULES...\n"
        "    vitrine audit [--format text|json] [--all] --log DIR|URL --vkey VKEY\n"
        "\n"
        "DESCRIPTION\n"
        "    Compiles the rules (arguments as `vitrine compile` takes them) and audits every\n"
        "    rule. Each string (text, hex, regex, with nocase, wide, xor, base64) is decoded\n"
        "    into the bytes it can match and compared with classification and handling\n"
        "    markings (US, NATO, EU, UK, German, Russian, French, Chinese, in UTF-8, UTF-16LE,\n"
        "    Latin-1, cp1251, koi8-r and GB2312) and with sample personal data (SSN, card\n"
        "    numbers, IBAN, passport MRZ, e-mail addresses); the condition is read for\n"
        "    document magics and document file-name externals combined with content strings,\n"
        "    and for executable indicators. docs/audit.md lists what is looked for and what\n"
        "    the auditor cannot see.\n"
        "\n"
        "    A flagged rule is printed one finding per line:\n"
        "        FLAGGED NS:RULE ID [$STRING]: REASON\n"
        "    then notes (context that flags nothing, e.g. AUD-NOEXEC-001, no executable\n"
        "    indicator) and a count. Finding ids are stable: AUD-MARKING-001/002,\n"
        "    AUD-PII-001..006, AUD-DOC-001/002, AUD-CANARY-001, AUD-BROAD-001,\n"
        "    AUD-NOEXEC-001.\n"
        "\n"
        "    With --canaries DIR every rule is also run, through the scanner, over every file\n"
        "    of DIR (benign documents carrying markings or personal data, as\n"
        "    tests/audit/make_canaries.py writes them); a rule that fires on one is flagged\n"
        "    (AUD-CANARY-001) and the canary named. External variables filename, filepath\n"
        "    and extension are set for each canary when the rules declare them as strings.\n"
        "\n"
        "    With --corpus DIR every rule is also run, the same way, over a benign corpus:\n"
        "    the regular files under DIR (recursively, in name order, symbolic links not\n"
        "    followed, at most --corpus-limit N files, default 5000), e.g. the documents\n"
        "    Debian packages ship in /usr/share/doc. A rule that fires on more than 1% of\n"
        "    the files is a broad document matcher: flagged (AUD-BROAD-001, \"fires on K of N\n"
        "    benign documents (P%), e.g. FILE\"). Text output adds a line \"corpus: N file(s),\n"
        "    K rule(s) fire on one or more\"; JSON adds \"corpus\":{\"files\":N,\"hits\":\n"
        "    [{\"namespace\",\"rule\",\"hits\"}]} for every rule with hits. A file that\n"
        "    cannot be read is an error.\n"
        "\n"
        "    With --log every rule entry of the log is audited on its own (namespace\n"
        "    log-INDEX), after the checkpoint is verified with VKEY and each entry's\n"
        "    inclusion is checked; a finding acknowledged by an audit-ack entry in the same\n"
        "    log (`vitrine publish --audit-ack`) becomes a note.\n"
        "\n"
        "OPTIONS\n"
        "    --format text|json   text (default) or one JSON object (per rule entry with\n"
        "                         --log): {\"rules\":N,\"flagged\":N,\"verdicts\":[{\"namespace\",\n"
        "                         \"rule\",\"line\",\"flagged\",\"findings\":[{\"id\",\"severity\",\n"
        "                         \"string\",\"reason\"}]}]}\n"
        "    --all                list every rule, not only the flagged ones\n"
        "    -d, --define N=V     define an external variable as vitrine compile does\n"
        "    --canaries DIR       scan the canary documents of DIR with every rule\n"
        "    --corpus DIR         count per rule the benign files under DIR it fires on\n"
        "    --corpus-limit N     scan at most N corpus files (default 5000)\n"
        "    --log DIR|URL        audit the rule entries of a transparency log\n"
        "    --vkey VKEY          the log's verifier key (with --log)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 nothing flagged, 1 some rule flagged (or an entry not in the signed tree), 2 an\n"
        "    error (a rule that does not compile, a canary or corpus file that cannot be\n"
        "    read, an empty corpus, options).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine audit rules/*.yar\n"
        "    vitrine audit --format json --canaries canaries/ new.yar\n"
        "    vitrine audit --corpus /usr/share/doc --corpus-limit 2000 new.yar\n"
        "    vitrine audit --log https://rules.example/log/ --vkey rules.pub\n",
    .run = run_audit,
};
