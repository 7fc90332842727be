/* monitor.c: `vitrine monitor`: follows a log for anyone who wants to watch what the vendor
 * publishes. Each run fetches the checkpoint, checks it against the last one it saw (kept in the
 * state directory) with a consistency proof, fetches every new entry, checks its inclusion in the
 * signed tree, prints it (a rule entry in full, with its YARA source) and only then remembers
 * the new checkpoint. With --interval it keeps polling. Any inconsistency exits 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/distrib.h>

#include "command.h"

static const char *kind_name(vt_entry_kind kind)
{
    switch (kind) {
    case VT_ENTRY_RULE: return "rule";
    case VT_ENTRY_BUNDLE: return "bundle";
    case VT_ENTRY_RELEASE: return "release";
    default: return "unknown";
    }
}

static int problem(const char *what, const vt_error *err)
{
    fprintf(stderr, "vitrine monitor: %s: %s\n", what, err->message);
    return EXIT_FOUND;
}

/* Check the new checkpoint against the last one seen; VT_OK when consistent. */
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
    vt_status st = vt_tlog_checkpoint_open(data, len, key, &old, NULL, err);
    free(data);
    if (st != VT_OK)
        return cli_report("monitor", err);
    int rc = EXIT_CLEAN;
    if (cp->size < old.size) {
        vt_error_set(err, VT_ERR_VERIFY, "the log shrank from %" PRIu64 " to %" PRIu64, old.size,
                     cp->size);
        rc = problem("inconsistent log (rollback)", err);
    } else if (cp->size == old.size && memcmp(cp->root, old.root, VT_TLOG_HASH_SIZE) != 0) {
        vt_error_set(err, VT_ERR_VERIFY, "two different trees of size %" PRIu64, cp->size);
        rc = problem("inconsistent log (fork or split view)", err);
    } else if (old.size > 0 && cp->size > old.size) {
        unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
        size_t n = 0;
        st = vt_tlog_reader_prove_consistency(reader, old.size, cp->size, proof, &n, err);
        if (st == VT_OK)
            st = vt_tlog_verify_consistency(old.size, cp->size, proof, n, old.root,
                                            VT_TLOG_HASH_SIZE, cp->root, VT_TLOG_HASH_SIZE, err);
        if (st != VT_OK)
            rc = problem("inconsistent log (fork or split view)", err);
    }
    *from = old.size;
    vt_tlog_checkpoint_clear(&old);
    return rc;
}

static int print_entry(vt_tlog_reader *reader, const vt_tlog_checkpoint *cp, uint64_t index,
                       vt_error *err)
{
    vt_buf entry = {0};
    unsigned char leaf[VT_TLOG_HASH_SIZE], proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    vt_status st = vt_tlog_reader_entry(reader, cp->size, index, &entry, err);
    if (st == VT_OK)
        st = vt_tlog_leaf_hash(entry.data, entry.len, leaf);
    if (st == VT_OK)
        st = vt_tlog_reader_prove_inclusion(reader, cp->size, index, proof, &n, err);
    if (st == VT_OK)
        st = vt_tlog_verify_inclusion(index, cp->size, leaf, sizeof leaf, proof, n, cp->root,
                                      sizeof cp->root, err);
    if (st != VT_OK) {
        vt_buf_free(&entry);
        char what[96];
        snprintf(what, sizeof what, "entry %" PRIu64 " does not match the signed tree (altered)",
                 index);
        return problem(what, err);
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

static int monitor_once(const char *url, const vt_tlog_verifier *key, const char *state)
{
    vt_error err;
    vt_error_clear(&err);
    char seen_path[4200];
    snprintf(seen_path, sizeof seen_path, "%s/monitor-checkpoint", state);
    mkdir(state, 0755);
    vt_tlog_reader *reader = NULL;
    vt_tlog_checkpoint cp = {0};
    vt_buf raw = {0};
    if (vt_tlog_reader_open(url, &reader, &err) != VT_OK)
        return cli_report("monitor", &err);
    int rc = EXIT_CLEAN;
    uint64_t from = 0;
    if (vt_tlog_reader_checkpoint(reader, key, &cp, &raw, &err) != VT_OK)
        rc = err.status == VT_ERR_VERIFY ? problem("bad checkpoint", &err)
                                         : cli_report("monitor", &err);
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
        rc = monitor_once(url, key, state);
        if (rc == EXIT_CLEAN && interval > 0)
            sleep((unsigned)interval);
    } while (rc == EXIT_CLEAN && interval > 0);
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
        "    polling every SECONDS until a problem is found.\n"
        "\n"
        "OPTIONS\n"
        "    --log URL|DIR      the log\n"
        "    --vkey VKEY        the log's verifier key (file or text)\n"
        "    --state DIR        where the last seen checkpoint is kept\n"
        "    --interval S       poll every S seconds (default: check once)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 consistent, 1 an inconsistency or an altered entry, 2 another error.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine monitor --log https://rules.example/log/ --vkey rules.pub --state ~/.vtmon\n",
    .run = run_monitor,
};
