/* monitor.c: `vitrine monitor`: follows a log for anyone who wants to watch what the vendor
 * publishes. Each run fetches the checkpoint, checks it against the last one it saw (kept in the
 * state directory) with a consistency proof, fetches every new entry, checks its inclusion in the
 * signed tree, prints it (a rule entry in full, with its YARA source) and only then remembers
 * the new checkpoint. With --interval it keeps polling. The verdicts come from the trust core
 * (vitrine/trust.h): evidence (fork, rollback, altered entry) exits 1; a fetch that failed is
 * "unavailable" and exits 2, never reported as an attack. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/distrib.h>
#include <vitrine/trust.h>

#include "command.h"

static const char *kind_name(vt_entry_kind kind)
{
    switch (kind) {
    case VT_ENTRY_RULE: return "rule";
    case VT_ENTRY_BUNDLE: return "bundle";
    case VT_ENTRY_RELEASE: return "release";
    case VT_ENTRY_PAGE: return "page";
    default: return "unknown";
    }
}

/* Report a verdict: evidence (fork, rollback, altered entry, bad signature) exits 1; data that
 * could not be fetched ("unavailable") or is corrupt exits 2. */
static int report(const char *context, const vt_trust_verdict *v)
{
    if (context)
        fprintf(stderr, "vitrine monitor: %s: %s\n", context, v->reason);
    else
        fprintf(stderr, "vitrine monitor: %s\n", v->reason);
    return vt_trust_is_evidence(v->kind) ? EXIT_FOUND : EXIT_ERROR;
}

/* Returned by one check when the log could not be fetched: exit status 2 for a single check;
 * with --interval the monitor says so and polls again. */
enum { MONITOR_UNAVAILABLE = 100 };

static int report_unavailable(const vt_error *fetch_err)
{
    vt_trust_verdict v;
    vt_trust_unavailable(&v, fetch_err);
    report(NULL, &v);
    return v.kind == VT_TRUST_UNAVAILABLE ? MONITOR_UNAVAILABLE : EXIT_ERROR;
}

/* Check the new checkpoint against the last one seen (kept in seen_path). */
static int check_against_seen(vt_tlog_reader *reader, const char *seen_path,
                              const vt_tlog_verifier *key, const vt_tlog_checkpoint *cp,
                              uint64_t *from, vt_error *err)
{
    unsigned char *data = NULL;
    size_t len;
    *from = 0;
    if (access(seen_path, F_OK) != 0)
        return EXIT_CLEAN;
    if (vt_read_file(seen_path, VT_TLOG_MAX_NOTE, &data, &len, err) != VT_OK)
        return cli_report("monitor", err);
    vt_tlog_checkpoint old = {0};
    vt_trust_checkpoint_policy key_only = {.log_key = key};
    vt_trust_verdict v;
    vt_trust_kind kind = vt_trust_checkpoint(&key_only, data, len, 0, &old, &v);
    free(data);
    if (kind != VT_TRUST_OK) {
        fprintf(stderr, "vitrine monitor: the last seen checkpoint %s is damaged: %s\n", seen_path,
                v.reason);
        return EXIT_ERROR;
    }
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    int rc = EXIT_CLEAN;
    if (old.size > 0 && cp->size > old.size &&
        vt_tlog_reader_prove_consistency(reader, old.size, cp->size, proof, &n, err) != VT_OK)
        rc = report_unavailable(err);
    else if (vt_trust_extends(&old, cp, (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n, &v) !=
             VT_TRUST_OK)
        rc = report(NULL, &v);
    *from = old.size;
    vt_tlog_checkpoint_clear(&old);
    return rc;
}

static int print_entry(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp, uint64_t index,
                       vt_error *err)
{
    vt_buf entry = {0};
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    if (vt_tlog_reader_entry(reader, cp->size, index, &entry, err) != VT_OK ||
        vt_tlog_reader_prove_inclusion(reader, cp->size, index, proof, &n, err) != VT_OK) {
        vt_buf_free(&entry);
        return report_unavailable(err);
    }
    vt_trust_verdict v;
    if (vt_trust_inclusion(cp, index, entry.data, entry.len,
                           (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n, &v) != VT_TRUST_OK) {
        vt_buf_free(&entry);
        return report("altered entry", &v);
    }
    unsigned char hash[32];
    char hex[65];
    vt_distrib_sha256(entry.data, entry.len, hash);
    vt_distrib_hex(hash, hex);
    vt_entry_kind kind = vt_entry_kind_of(entry.data, entry.len);
    printf("== log %" PRIu64 ": %s entry, %zu bytes, sha256 %s\n", index, kind_name(kind),
           entry.len, hex);
    if (kind != VT_ENTRY_UNKNOWN) {
        fwrite(entry.data, 1, entry.len, stdout);
        if (entry.len && entry.data[entry.len - 1] != '\n')
            putchar('\n');
    }
    vt_buf_free(&entry);
    return EXIT_CLEAN;
}

static int monitor_once(const char *url, const vt_tlog_verifier *key, const char *state,
                        uint64_t deadline_seconds)
{
    vt_error err;
    vt_error_clear(&err);
    char seen_path[4200];
    snprintf(seen_path, sizeof seen_path, "%s/monitor-checkpoint", state);
    mkdir(state, 0755);
    vt_tlog_reader *reader = NULL;
    vt_tlog_checkpoint cp = {0};
    vt_buf raw = {0};
    vt_tlog_http_options http = {.deadline_ms = deadline_seconds * 1000u};
    if (vt_tlog_reader_open_with(url, &http, &reader, &err) != VT_OK)
        return cli_report("monitor", &err);
    int rc = EXIT_CLEAN;
    uint64_t from = 0;
    vt_trust_verdict v;
    vt_trust_checkpoint_policy key_only = {.log_key = key};
    if (vt_tlog_reader_fetch(reader, "checkpoint", VT_TLOG_MAX_NOTE, &raw, &err) != VT_OK)
        rc = report_unavailable(&err);
    else if (vt_trust_checkpoint(&key_only, raw.data, raw.len, 0, &cp, &v) != VT_TRUST_OK)
        rc = report("bad checkpoint", &v);
    if (rc == EXIT_CLEAN)
        rc = check_against_seen(reader, seen_path, key, &cp, &from, &err);
    for (uint64_t i = from; rc == EXIT_CLEAN && i < cp.size; i++)
        rc = print_entry(reader, &cp, i, &err);
    if (rc == EXIT_CLEAN) {
        if (vt_write_file_atomic(seen_path, raw.data, raw.len, 0644, &err) != VT_OK)
            rc = cli_report("monitor", &err);
        else
            printf("== checkpoint %s size %" PRIu64 ": consistent, %" PRIu64 " new entries\n",
                   cp.origin, cp.size, cp.size - from);
    }
    fflush(stdout);
    vt_buf_free(&raw);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_reader_close(reader);
    return rc;
}

static int run_monitor(int argc, char **argv)
{
    const char *url = NULL, *vkey = NULL, *state = NULL;
    long interval = 0;
    uint64_t deadline = 300;
    for (int i = 1; i < argc; i++) {
        if (i + 1 == argc)
            return cli_usage_error("monitor", "'%s' needs a value or is unknown", argv[i]);
        if (strcmp(argv[i], "--log") == 0)
            url = argv[++i];
        else if (strcmp(argv[i], "--vkey") == 0)
            vkey = argv[++i];
        else if (strcmp(argv[i], "--state") == 0)
            state = argv[++i];
        else if (strcmp(argv[i], "--interval") == 0)
            interval = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--deadline") == 0) {
            char *end;
            unsigned long long d = strtoull(argv[++i], &end, 10);
            if (end == argv[i] || *end || argv[i][0] == '-' || d == 0 || d > 86400ull * 365)
                return cli_usage_error("monitor", "--deadline takes a positive number of "
                                                  "seconds, not '%s'", argv[i]);
            deadline = d;
        }
        else
            return cli_usage_error("monitor", "unknown option '%s'", argv[i]);
    }
    if (!url || !vkey || !state || interval < 0)
        return cli_usage_error("monitor", "give --log URL, --vkey VKEY and --state DIR");
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_verifier *key = NULL;
    if (vt_tlog_verifier_load(vkey, &key, &err) != VT_OK)
        return cli_report("monitor", &err);
    int rc;
    do {
        rc = monitor_once(url, key, state, deadline);
        if (rc == MONITOR_UNAVAILABLE && interval > 0)
            rc = EXIT_CLEAN; /* not evidence: said on stderr, and polled again */
        if (rc == EXIT_CLEAN && interval > 0)
            sleep((unsigned)interval);
    } while (rc == EXIT_CLEAN && interval > 0);
    if (rc == MONITOR_UNAVAILABLE)
        rc = EXIT_ERROR;
    vt_tlog_verifier_free(key);
    return rc;
}

const struct vt_command command_monitor = {
    .name = "monitor",
    .summary = "follow a log: check its consistency and print every new entry",
    .manual =
        "NAME\n"
        "    vitrine monitor - follow a transparency log and print what it publishes\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine monitor --log URL|DIR --vkey VKEY --state DIR [--interval SECONDS]\n"
        "                    [--deadline SECONDS]\n"
        "\n"
        "DESCRIPTION\n"
        "    Fetches the log's checkpoint and checks its signature with VKEY, then checks it\n"
        "    against the last checkpoint this state directory saw (DIR/monitor-checkpoint): a\n"
        "    smaller tree, another root at the same size, or a consistency proof that does not\n"
        "    verify is an inconsistency (a rollback, a fork or a split view). Then it fetches\n"
        "    every entry added since, checks its inclusion in the signed tree (an entry altered\n"
        "    on the server fails), and prints it: '== log INDEX: KIND entry, N bytes, sha256\n"
        "    HASH' followed by the entry's text (for a rule entry, its metadata and YARA\n"
        "    source). Only then is the new checkpoint remembered. With --interval it keeps\n"
        "    polling every SECONDS until a problem is found. A fetch that fails (refused\n"
        "    connection, HTTP error or redirect, truncated, oversized or stalled body, the\n"
        "    deadline passing) is reported as 'unavailable: WHAT': not evidence of anything;\n"
        "    the last seen checkpoint is kept, a single check exits 2, and with --interval\n"
        "    the monitor polls again.\n"
        "\n"
        "OPTIONS\n"
        "    --log URL|DIR      the log\n"
        "    --vkey VKEY        the log's verifier key (file or text)\n"
        "    --state DIR        where the last seen checkpoint is kept\n"
        "    --interval S       poll every S seconds (default: check once)\n"
        "    --deadline S       time for one check's fetches (default 300); each fetch is also\n"
        "                       bounded (10 s to connect, 60 s in all)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 consistent, 1 evidence: an inconsistency (fork, rollback), an altered entry, a bad\n"
        "    signature; 2 another error: 'unavailable' (the log could not be fetched), options,\n"
        "    I/O.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine monitor --log https://rules.example/log/ --vkey rules.pub --state ~/.vtmon\n",
    .run = run_monitor,
};
