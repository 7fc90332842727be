/* monitor.c: `vitrine monitor`: follows a log for anyone who wants to watch what the vendor
 * publishes. Each run fetches the checkpoint, checks it against the last one it saw (kept in the
 * state directory) with a consistency proof, fetches every new entry, checks its inclusion in the
 * signed tree, prints it (a rule entry in full, with its YARA source) and only then remembers
 * the new checkpoint. With --interval it keeps polling. The verdicts come from the trust core
 * (vitrine/trust.h): evidence (fork, rollback, altered entry) exits 1; a fetch that failed is
 * "unavailable" and exits 2, never reported as an attack. A data-policy entry is followed by its
 * changes against the previous policy in the log (vt_data_policy_compare): fields added ('+'),
 * anything else that needs new consent ('!'), narrowings ('-'). With --audit every new rule
 * entry is audited first (lib/audit, cli/audit.c), with the audit acknowledgments the log holds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <vitrine/distrib.h>
#include <vitrine/telemetry.h>
#include <vitrine/trust.h>

#include "audit_entry.h"
#include "command.h"

/* --audit: audit every new rule entry before it is printed (set once by run_monitor). */
static bool monitor_audit;

/* Report a verdict: evidence (fork, rollback, altered entry, bad signature) exits 1; data that
 * could not be fetched ("unavailable") or is corrupt exits 2. */
static int report(const char *context, const vt_trust_verdict *v)
{
    if (monitor_audit && vt_trust_is_evidence(v->kind)) { /* an alert automation can read */
        json_t *alert = json_pack("{s:s, s:s, s:s}", "alert", "inconsistency", "context",
                                  context ? context : "checkpoint", "reason", v->reason);
        char *text = alert ? json_dumps(alert, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(alert);
        fflush(stdout);
    }
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

/* Fetch entry `index` and check its inclusion in the signed tree. */
static int fetch_included(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp, uint64_t index,
                          vt_buf *entry, vt_error *err)
{
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    entry->len = 0;
    if (vt_tlog_reader_entry(reader, cp->size, index, entry, err) != VT_OK ||
        vt_tlog_reader_prove_inclusion(reader, cp->size, index, proof, &n, err) != VT_OK)
        return report_unavailable(err);
    vt_trust_verdict v;
    if (vt_trust_inclusion(cp, index, entry->data, entry->len,
                           (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n, &v) != VT_TRUST_OK)
        return report("altered entry", &v);
    return EXIT_CLEAN;
}

/* The data policy printed last (or found before the first one this run prints). */
typedef struct policy_track {
    vt_data_policy_entry policy;
    uint64_t index;
    int known;    /* policy holds the previous data policy of the log */
    int searched; /* the log before this run's entries was searched for one */
} policy_track;

/* Look back from `before` for the newest data policy, checking each entry's inclusion. */
static int find_previous_policy(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp,
                                uint64_t before, policy_track *track, vt_error *err)
{
    vt_buf entry = {0};
    int rc = EXIT_CLEAN;
    for (uint64_t i = before; rc == EXIT_CLEAN && i-- > 0;) {
        if ((rc = fetch_included(reader, cp, i, &entry, err)) != EXIT_CLEAN)
            break;
        if (vt_entry_kind_of(entry.data, entry.len) == VT_ENTRY_DATA_POLICY &&
            vt_data_policy_entry_parse(entry.data, entry.len, &track->policy, NULL) == VT_OK) {
            track->index = i;
            track->known = 1;
            break;
        }
    }
    track->searched = 1;
    vt_buf_free(&entry);
    return rc;
}

/* After a data-policy entry's text: what it changes against the previous policy. */
static int print_policy_changes(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp,
                                uint64_t index, const vt_buf *entry, policy_track *track,
                                vt_error *err)
{
    vt_data_policy_entry now;
    if (vt_data_policy_entry_parse(entry->data, entry->len, &now, err) != VT_OK) {
        char msg[1600];
        vt_error_format(err, msg, sizeof msg);
        printf("!! data policy %" PRIu64 " does not parse (clients refuse it): %s\n", index, msg);
        return EXIT_CLEAN;
    }
    int rc = EXIT_CLEAN;
    if (!track->known && !track->searched)
        rc = find_previous_policy(reader, cp, index, track, err);
    vt_data_policy_entry none = {0};
    vt_policy_change change = {0};
    vt_buf text = {0};
    if (rc == EXIT_CLEAN &&
        (vt_data_policy_compare(track->known ? &track->policy : &none, &now, &change, err) != VT_OK ||
         vt_policy_change_text(&change, &now, &text, err) != VT_OK))
        rc = cli_report("monitor", err);
    if (rc == EXIT_CLEAN) {
        if (track->known)
            printf("== data policy %" PRIu64 " serial %" PRIu64 " against policy %" PRIu64
                   " serial %" PRIu64 ": %s\n",
                   index, now.serial, track->index, track->policy.serial,
                   change.needs_consent ? "needs new consent" : "no new consent needed");
        else
            printf("== data policy %" PRIu64 " serial %" PRIu64
                   ": the first data policy of the log\n",
                   index, now.serial);
        if (track->known && now.serial <= track->policy.serial)
            printf("!! serial %" PRIu64 " is not larger than the previous policy's %" PRIu64
                   ": clients keep the previous one\n",
                   now.serial, track->policy.serial);
        fwrite(text.data, 1, text.len, stdout);
        vt_data_policy_entry_clear(&track->policy);
        track->policy = now;
        track->index = index;
        track->known = 1;
    } else {
        vt_data_policy_entry_clear(&now);
    }
    vt_buf_free(&text);
    vt_policy_change_clear(&change);
    return rc;
}

static int print_entry(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp, uint64_t index,
                       policy_track *track, vt_error *err)
{
    vt_buf entry = {0};
    int rc = fetch_included(reader, cp, index, &entry, err);
    if (rc != EXIT_CLEAN) {
        vt_buf_free(&entry);
        return rc;
    }
    unsigned char hash[32];
    char hex[65];
    vt_distrib_sha256(entry.data, entry.len, hash);
    vt_distrib_hex(hash, hex);
    vt_entry_kind kind = vt_entry_kind_of(entry.data, entry.len);
    printf("== log %" PRIu64 ": %s entry, %zu bytes, sha256 %s\n", index, vt_entry_kind_name(kind),
           entry.len, hex);
    if (kind != VT_ENTRY_UNKNOWN) {
        fwrite(entry.data, 1, entry.len, stdout);
        if (entry.len && entry.data[entry.len - 1] != '\n')
            putchar('\n');
    }
    if (kind == VT_ENTRY_DATA_POLICY)
        rc = print_policy_changes(reader, cp, index, &entry, track, err);
    vt_buf_free(&entry);
    return rc;
}

/* The audit acknowledgments a state directory has seen (DIR/monitor-acks: their entries one
 * after the other) plus those among the new entries; *saved_len: how many were saved. */
typedef struct ack_list {
    vt_audit_ack_entry *items;
    size_t count;
    vt_buf text; /* every ack entry's bytes, for saving */
} ack_list;

static int ack_add(ack_list *acks, const void *data, size_t len, vt_error *err)
{
    vt_audit_ack_entry *grown = realloc(acks->items, (acks->count + 1) * sizeof *grown);
    if (!grown)
        return cli_report("monitor", &(vt_error){.status = VT_ERR_NOMEM, .message = "out of memory"});
    acks->items = grown;
    if (vt_audit_ack_entry_parse(data, len, &acks->items[acks->count], err) != VT_OK)
        return EXIT_ERROR;
    acks->count++;
    return vt_buf_append(&acks->text, data, len) == VT_OK ? EXIT_CLEAN : EXIT_ERROR;
}

static int load_acks(const char *path, ack_list *acks, vt_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (access(path, F_OK) != 0)
        return EXIT_CLEAN;
    if (vt_read_file(path, 64u << 20, &data, &len, err) != VT_OK)
        return cli_report("monitor", err);
    static const char magic[] = "vitrine/audit-ack-entry/v1\n";
    size_t at = 0;
    int rc = EXIT_CLEAN;
    while (rc == EXIT_CLEAN && at < len) {
        size_t end = at + 1;
        while (end < len && !(end + sizeof magic - 1 <= len &&
                              memcmp(data + end, magic, sizeof magic - 1) == 0))
            end++;
        rc = ack_add(acks, data + at, end - at, err);
        if (rc != EXIT_CLEAN)
            fprintf(stderr, "vitrine monitor: %s is damaged\n", path);
        at = end;
    }
    free(data);
    return rc;
}

/* --audit: audit every new rule entry (each fetched again and checked against the signed tree)
 * with the acknowledgments logged so far; print one JSON object per rule entry. EXIT_FOUND when
 * a finding is not acknowledged. */
static int audit_new_entries(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp, uint64_t from,
                             const char *acks_path, ack_list *acks, vt_error *err)
{
    int rc = load_acks(acks_path, acks, err);
    for (uint64_t i = from; rc == EXIT_CLEAN && i < cp->size; i++) {
        vt_buf entry = {0};
        rc = fetch_included(reader, cp, i, &entry, err);
        if (rc == EXIT_CLEAN && vt_entry_kind_of(entry.data, entry.len) == VT_ENTRY_AUDIT_ACK &&
            ack_add(acks, entry.data, entry.len, err) != EXIT_CLEAN) {
            char text[2048];
            vt_error_format(err, text, sizeof text);
            fprintf(stderr, "vitrine monitor: log %" PRIu64 ": a malformed audit ack (it "
                            "acknowledges nothing): %s\n", i, text);
        }
        vt_buf_free(&entry);
    }
    bool any = false, unaudited = false;
    for (uint64_t i = from; rc == EXIT_CLEAN && i < cp->size; i++) {
        vt_buf entry = {0};
        rc = fetch_included(reader, cp, i, &entry, err);
        if (rc == EXIT_CLEAN && vt_entry_kind_of(entry.data, entry.len) == VT_ENTRY_RULE) {
            bool flagged = false;
            if (cli_audit_entry(entry.data, entry.len, i, acks->items, acks->count, true, false,
                                &flagged) != EXIT_CLEAN)
                unaudited = true; /* said on stderr; never reported as clean */
            any |= flagged;
        }
        vt_buf_free(&entry);
    }
    fflush(stdout);
    if (rc == EXIT_CLEAN && any)
        rc = EXIT_FOUND;
    else if (rc == EXIT_CLEAN && unaudited)
        rc = EXIT_ERROR;
    return rc;
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
    char acks_path[4200];
    snprintf(acks_path, sizeof acks_path, "%s/monitor-acks", state);
    ack_list acks = {0};
    int audited = EXIT_CLEAN; /* the new rule entries are audited before they are printed */
    if (rc == EXIT_CLEAN && monitor_audit) {
        audited = audit_new_entries(reader, &cp, from, acks_path, &acks, &err);
        if (audited != EXIT_FOUND)
            rc = audited;
    }
    policy_track track = {0};
    for (uint64_t i = from; rc == EXIT_CLEAN && i < cp.size; i++)
        rc = print_entry(reader, &cp, i, &track, &err);
    vt_data_policy_entry_clear(&track.policy);
    if (rc == EXIT_CLEAN && audited == EXIT_FOUND)
        rc = EXIT_FOUND; /* printed, alerted, and the checkpoint is not remembered */
    if (rc == EXIT_CLEAN && monitor_audit && acks.count &&
        vt_write_file_atomic(acks_path, acks.text.data, acks.text.len, 0644, &err) != VT_OK)
        rc = cli_report("monitor", &err);
    for (size_t i = 0; i < acks.count; i++)
        vt_audit_ack_entry_clear(&acks.items[i]);
    free(acks.items);
    vt_buf_free(&acks.text);
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
        if (strcmp(argv[i], "--audit") == 0) {
            monitor_audit = true;
            continue;
        }
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
        "                    [--deadline SECONDS] [--audit]\n"
        "\n"
        "DESCRIPTION\n"
        "    Fetches the log's checkpoint and checks its signature with VKEY, then checks it\n"
        "    against the last checkpoint this state directory saw (DIR/monitor-checkpoint): a\n"
        "    smaller tree, another root at the same size, or a consistency proof that does not\n"
        "    verify is an inconsistency (a rollback, a fork or a split view). Then it fetches\n"
        "    every entry added since, checks its inclusion in the signed tree (an entry altered\n"
        "    on the server fails), and prints it: '== log INDEX: KIND entry, N bytes, sha256\n"
        "    HASH' followed by the entry's text (for a rule entry, its metadata and YARA\n"
        "    source). A data-policy entry is followed by '== data policy INDEX serial N against\n"
        "    policy I serial M: needs new consent' (or 'no new consent needed', or 'the first\n"
        "    data policy of the log') and one line per change: '+ field REPORT/FIELD: TYPE,\n"
        "    category C, kept D days, sent until DAY: PURPOSE' for each field it adds, '! ' for\n"
        "    a raised category, a longer retention, a later expiry, a changed type or purpose,\n"
        "    a changed collector or relay, '- ' for what it removes or narrows.\n"
        "    Only then is the new checkpoint remembered. With --interval it keeps\n"
        "    polling every SECONDS until a problem is found. A fetch that fails (refused\n"
        "    connection, HTTP error or redirect, truncated, oversized or stalled body, the\n"
        "    deadline passing) is reported as 'unavailable: WHAT': not evidence of anything;\n"
        "    the last seen checkpoint is kept, a single check exits 2, and with --interval\n"
        "    the monitor polls again.\n"
        "\n"
        "    With --audit every new rule entry is also audited (`vitrine help audit`) once\n"
        "    every new entry has been checked: one JSON line per rule entry,\n"
        "    {\"index\":N,\"sha256\":\"...\",\"rules\":N,\"flagged\":N,\"verdicts\":[...]},\n"
        "    goes to stdout. A finding counts unless an audit-ack entry of the log (this run's\n"
        "    new entries or one seen before, kept in DIR/monitor-acks) names the rule entry's\n"
        "    SHA-256 and the finding id (`vitrine publish --audit-ack`). A flagged rule exits 1\n"
        "    and the checkpoint is not remembered, so the alert repeats until the rule is\n"
        "    acknowledged or the finding is fixed. An inconsistency also prints a JSON line\n"
        "    {\"alert\":\"inconsistency\",\"context\":...,\"reason\":...}. A rule entry that\n"
        "    does not compile on its own cannot be audited: exit 2.\n"
        "\n"
        "OPTIONS\n"
        "    --log URL|DIR      the log\n"
        "    --vkey VKEY        the log's verifier key (file or text)\n"
        "    --state DIR        where the last seen checkpoint is kept\n"
        "    --interval S       poll every S seconds (default: check once)\n"
        "    --deadline S       time for one check's fetches (default 300); each fetch is also\n"
        "                       bounded (10 s to connect, 60 s in all)\n"
        "    --audit            audit every new rule entry (JSON lines, exit 1 when flagged)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 consistent, 1 evidence: an inconsistency (fork, rollback), an altered entry, a bad\n"
        "    signature, or with --audit a flagged rule; 2 another error: 'unavailable' (the log could not be fetched), options,\n"
        "    I/O.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine monitor --log https://rules.example/log/ --vkey rules.pub --state ~/.vtmon\n",
    .run = run_monitor,
};
