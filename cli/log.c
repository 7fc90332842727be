/* log.c: `vitrine log VERB ...`: the transparency log from the command line: init, add, get,
 * prove, consistency, verify, verify-proof. Each verb parses its options and calls
 * include/vitrine/tlog.h; nothing here knows the file layout. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/tlog.h>
#include <vitrine/trust.h>

#include "command.h"
#include "log_witness.h"

/* Options shared by the verbs; positional arguments are collected in order. */
struct log_args {
    const char *key, *vkey, *origin, *policy, *checkpoint;
    const char *size;
    const char *witnesses[16]; /* --witness URL, for the witness verb */
    int nwitness;
    char **pos;
    int npos;
};

static int parse_args(int argc, char **argv, struct log_args *a)
{
    memset(a, 0, sizeof *a);
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (!a->pos)
        return cli_usage_error("log", "out of memory");
    for (int i = 2; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--key") == 0)
            slot = &a->key;
        else if (strcmp(argv[i], "--vkey") == 0)
            slot = &a->vkey;
        else if (strcmp(argv[i], "--origin") == 0)
            slot = &a->origin;
        else if (strcmp(argv[i], "--policy") == 0)
            slot = &a->policy;
        else if (strcmp(argv[i], "--size") == 0)
            slot = &a->size;
        else if (strcmp(argv[i], "--checkpoint") == 0)
            slot = &a->checkpoint;
        else if (strcmp(argv[i], "--witness") == 0 && a->nwitness < 16 && i + 1 < argc) {
            a->witnesses[a->nwitness++] = argv[++i];
            continue;
        }
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("log", "unknown option '%s'", argv[i]);
        if (slot) {
            if (++i == argc)
                return cli_usage_error("log", "%s needs a value", argv[i - 1]);
            *slot = argv[i];
        } else {
            a->pos[a->npos++] = argv[i];
        }
    }
    return EXIT_CLEAN;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return 0;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    *out = v;
    return errno == 0 && v <= INT64_MAX;
}

/* Exit status for a failed check: verification failures are 1, operational errors 2. */
static int check_status(vt_status st)
{
    return st == VT_ERR_VERIFY || st == VT_ERR_FORMAT || st == VT_ERR_SYNTAX || st == VT_ERR_LIMIT
               ? EXIT_FOUND
               : EXIT_ERROR;
}

static int fail(const vt_error *err)
{
    cli_report("log", err);
    return check_status(err->status);
}

/* The private key must not live inside the served directory. */
static int key_outside(const char *key_path, const char *dir)
{
    char dir_real[PATH_MAX], key_real[PATH_MAX];
    if (!realpath(dir, dir_real) || !realpath(key_path, key_real))
        return 1; /* missing paths are reported by whoever opens them */
    size_t n = strlen(dir_real);
    if (strncmp(key_real, dir_real, n) == 0 && (key_real[n] == '/' || key_real[n] == '\0' || n == 1)) {
        fprintf(stderr, "vitrine log: the private key %s is inside the log directory %s, which is "
                        "served to everyone; move it out\n", key_path, dir);
        return 0;
    }
    return 1;
}

static int load_key(const struct log_args *a, vt_tlog_signer **key)
{
    if (!a->key)
        return cli_usage_error("log", "--key PREFIX.key is required");
    vt_error err;
    vt_error_clear(&err);
    if (vt_tlog_signer_load(a->key, key, &err) != VT_OK)
        return cli_report("log", &err);
    return EXIT_CLEAN;
}

static int load_vkey(const struct log_args *a, vt_tlog_verifier **vkey)
{
    if (!a->vkey)
        return cli_usage_error("log", "--vkey VKEY (a verifier key or a file holding one) is required");
    vt_error err;
    vt_error_clear(&err);
    if (vt_tlog_verifier_load(a->vkey, vkey, &err) != VT_OK)
        return cli_report("log", &err);
    return EXIT_CLEAN;
}

static int verb_init(const struct log_args *a)
{
    if (a->npos != 1 || !a->origin)
        return cli_usage_error("log", "usage: vitrine log init DIR --origin ORIGIN --key PREFIX.key");
    vt_tlog_signer *key;
    int rc = load_key(a, &key);
    if (rc != EXIT_CLEAN)
        return rc;
    vt_error err;
    vt_error_clear(&err);
    if (!key_outside(a->key, a->pos[0])) {
        vt_tlog_signer_free(key);
        return EXIT_ERROR;
    }
    vt_status st = vt_tlog_create(a->pos[0], a->origin, key, &err);
    vt_tlog_signer_free(key);
    if (st != VT_OK)
        return cli_report("log", &err);
    printf("created log %s at %s\n", a->origin, a->pos[0]);
    return EXIT_CLEAN;
}

static int read_stdin(unsigned char **data, size_t *len, vt_error *err)
{
    vt_buf buf = {0};
    unsigned char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (buf.len + n > VT_TLOG_MAX_ENTRY) {
            vt_buf_free(&buf);
            return vt_error_set(err, VT_ERR_LIMIT, "standard input is larger than the entry limit of %u bytes",
                                VT_TLOG_MAX_ENTRY);
        }
        if (vt_buf_append(&buf, chunk, n) != VT_OK) {
            vt_buf_free(&buf);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
    }
    if (ferror(stdin)) {
        vt_buf_free(&buf);
        return vt_error_set(err, VT_ERR_IO, "cannot read standard input");
    }
    *data = vt_buf_detach(&buf, len);
    return *data ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

static int verb_add(const struct log_args *a)
{
    if (a->npos < 2)
        return cli_usage_error("log", "usage: vitrine log add DIR --key PREFIX.key FILE...");
    const char *dir = a->pos[0];
    if (a->key && !key_outside(a->key, dir))
        return EXIT_ERROR;
    int count = a->npos - 1, stdin_used = 0;
    vt_tlog_entry *entries = calloc((size_t)count, sizeof *entries);
    unsigned char **datas = calloc((size_t)count, sizeof *datas);
    if (!entries || !datas) {
        free(entries);
        free(datas);
        return cli_usage_error("log", "out of memory");
    }
    vt_error err;
    vt_error_clear(&err);
    vt_status st = VT_OK;
    for (int i = 0; st == VT_OK && i < count; i++) {
        const char *file = a->pos[i + 1];
        size_t len = 0;
        if (strcmp(file, "-") == 0) {
            if (stdin_used++)
                st = vt_error_set(&err, VT_ERR_ARGUMENT, "'-' (standard input) may be given once");
            else
                st = read_stdin(&datas[i], &len, &err);
        } else {
            st = vt_read_file(file, VT_TLOG_MAX_ENTRY, &datas[i], &len, &err);
        }
        entries[i].data = datas[i];
        entries[i].len = len;
    }
    vt_tlog_signer *key = NULL;
    vt_tlog_writer *w = NULL;
    int rc = EXIT_CLEAN;
    if (st == VT_OK) {
        rc = load_key(a, &key);
        if (rc == EXIT_CLEAN)
            st = vt_tlog_writer_open(dir, key, &w, &err);
    }
    uint64_t first = 0;
    if (rc == EXIT_CLEAN && st == VT_OK)
        st = vt_tlog_writer_append(w, entries, (size_t)count, &first, &err);
    if (rc == EXIT_CLEAN && st == VT_OK) {
        /* Printed only now: the entries and the checkpoint covering them are durable. */
        for (int i = 0; i < count; i++)
            printf("%" PRIu64 "\n", first + (uint64_t)i);
        fflush(stdout);
    }
    vt_tlog_writer_close(w);
    vt_tlog_signer_free(key);
    for (int i = 0; i < count; i++)
        free(datas[i]);
    free(datas);
    free(entries);
    if (rc != EXIT_CLEAN)
        return rc;
    return st == VT_OK ? EXIT_CLEAN : cli_report("log", &err);
}

/* The signed checkpoint of the log (unverified: the caller checks what it needs). */
static vt_status current_checkpoint(vt_tlog_reader *r, vt_tlog_checkpoint *cp, vt_buf *raw,
                                    vt_error *err)
{
    vt_status st = vt_tlog_reader_fetch(r, "checkpoint", VT_TLOG_MAX_NOTE, raw, err);
    if (st == VT_OK)
        st = vt_tlog_checkpoint_open(raw->data, raw->len, NULL, cp, NULL, err);
    return st;
}

static int verb_get(const struct log_args *a)
{
    if (a->npos < 2)
        return cli_usage_error("log", "usage: vitrine log get DIR|URL INDEX...");
    for (int i = 1; i < a->npos; i++) {
        uint64_t index;
        if (!parse_u64(a->pos[i], &index))
            return cli_usage_error("log", "invalid index '%s'", a->pos[i]);
    }
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_reader *r;
    vt_tlog_checkpoint cp = {0};
    vt_buf raw = {0}, entry = {0};
    vt_status st = vt_tlog_reader_open(a->pos[0], &r, &err);
    if (st == VT_OK) {
        st = current_checkpoint(r, &cp, &raw, &err);
        for (int i = 1; st == VT_OK && i < a->npos; i++) {
            uint64_t index = 0;
            parse_u64(a->pos[i], &index);
            st = vt_tlog_reader_entry(r, cp.size, index, &entry, &err);
            if (st == VT_OK && fwrite(entry.data, 1, entry.len, stdout) != entry.len)
                st = vt_error_set(&err, VT_ERR_IO, "cannot write to standard output");
        }
        vt_tlog_reader_close(r);
    }
    vt_tlog_checkpoint_clear(&cp);
    vt_buf_free(&raw);
    vt_buf_free(&entry);
    return st == VT_OK ? EXIT_CLEAN : fail(&err);
}

static int verb_prove(const struct log_args *a)
{
    uint64_t index, size = 0;
    if (a->npos != 2 || !parse_u64(a->pos[1], &index) || (a->size && !parse_u64(a->size, &size)))
        return cli_usage_error("log", "usage: vitrine log prove DIR INDEX [--size N] [--checkpoint FILE]");
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_reader *r;
    vt_status st = vt_tlog_reader_open(a->pos[0], &r, &err);
    if (st != VT_OK)
        return fail(&err);
    vt_tlog_checkpoint cp = {0};
    vt_buf raw = {0};
    if (a->checkpoint) {
        unsigned char *data;
        size_t len;
        st = vt_read_file(a->checkpoint, VT_TLOG_MAX_NOTE, &data, &len, &err);
        if (st == VT_OK) {
            vt_buf_append(&raw, data, len);
            free(data);
            st = vt_tlog_checkpoint_open(raw.data, raw.len, NULL, &cp, NULL, &err);
        }
    } else {
        st = current_checkpoint(r, &cp, &raw, &err);
        if (st == VT_OK && a->size && size != cp.size) {
            /* An older signed checkpoint kept as checkpoint.SIZE. */
            char name[64];
            snprintf(name, sizeof name, "checkpoint.%" PRIu64, size);
            vt_tlog_checkpoint_clear(&cp);
            raw.len = 0;
            st = vt_tlog_reader_fetch(r, name, VT_TLOG_MAX_NOTE, &raw, &err);
            if (st == VT_ERR_NOT_FOUND)
                st = vt_error_set(&err, VT_ERR_NOT_FOUND,
                                  "no signed checkpoint of size %" PRIu64 " is kept in the log; "
                                  "give one with --checkpoint FILE", size);
            if (st == VT_OK)
                st = vt_tlog_checkpoint_open(raw.data, raw.len, NULL, &cp, NULL, &err);
        }
    }
    if (st == VT_OK && a->size && size != cp.size)
        st = vt_error_set(&err, VT_ERR_ARGUMENT, "the checkpoint has size %" PRIu64 ", not %" PRIu64,
                          cp.size, size);
    vt_tlog_proof proof = {0};
    proof.index = index;
    if (st == VT_OK)
        st = vt_tlog_reader_prove_inclusion(r, cp.size, index, proof.hashes, &proof.hash_count, &err);
    /* Check the proof against the signed root before handing it out. */
    vt_buf entry = {0};
    if (st == VT_OK)
        st = vt_tlog_reader_entry(r, cp.size, index, &entry, &err);
    if (st == VT_OK) {
        vt_trust_verdict v;
        vt_trust_inclusion(&cp, index, entry.data, entry.len,
                           (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof.hashes,
                           proof.hash_count, &v);
        st = vt_trust_error(&v, NULL, &err);
    }
    vt_buf out = {0};
    if (st == VT_OK) {
        proof.checkpoint = raw.data;
        proof.checkpoint_len = raw.len;
        st = vt_tlog_proof_format(&proof, &out, &err);
        proof.checkpoint = NULL;
    }
    if (st == VT_OK)
        fwrite(out.data, 1, out.len, stdout);
    vt_buf_free(&out);
    vt_buf_free(&entry);
    vt_buf_free(&raw);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_reader_close(r);
    return st == VT_OK ? EXIT_CLEAN : fail(&err);
}

static int verb_consistency(const struct log_args *a)
{
    uint64_t old_size, new_size;
    if (a->npos != 3 || !parse_u64(a->pos[1], &old_size) || !parse_u64(a->pos[2], &new_size))
        return cli_usage_error("log", "usage: vitrine log consistency DIR OLD NEW");
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_reader *r;
    vt_status st = vt_tlog_reader_open(a->pos[0], &r, &err);
    if (st != VT_OK)
        return fail(&err);
    vt_tlog_checkpoint cp = {0};
    vt_buf raw = {0};
    st = current_checkpoint(r, &cp, &raw, &err);
    if (st == VT_OK && (old_size > new_size || new_size > cp.size || old_size == 0))
        st = vt_error_set(&err, VT_ERR_ARGUMENT,
                          "need 0 < OLD <= NEW <= %" PRIu64 " (the checkpoint's size)", cp.size);
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    unsigned char old_root[VT_TLOG_HASH_SIZE], new_root[VT_TLOG_HASH_SIZE];
    if (st == VT_OK)
        st = vt_tlog_reader_prove_consistency(r, old_size, new_size, proof, &n, &err);
    if (st == VT_OK)
        st = vt_tlog_reader_tree_hash(r, old_size, old_root, &err);
    if (st == VT_OK)
        st = vt_tlog_reader_tree_hash(r, new_size, new_root, &err);
    if (st == VT_OK && new_size == cp.size && memcmp(new_root, cp.root, sizeof new_root) != 0)
        st = vt_error_set(&err, VT_ERR_VERIFY, "the tiles do not match the checkpoint's root");
    if (st == VT_OK) {
        vt_tlog_checkpoint older = {.size = old_size}, newer = {.size = new_size};
        memcpy(older.origin, cp.origin, sizeof older.origin);
        memcpy(newer.origin, cp.origin, sizeof newer.origin);
        memcpy(older.root, old_root, sizeof older.root);
        memcpy(newer.root, new_root, sizeof newer.root);
        vt_trust_verdict v;
        vt_trust_extends(&older, &newer, (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n, &v);
        st = vt_trust_error(&v, NULL, &err);
    }
    for (size_t i = 0; st == VT_OK && i < n; i++) {
        char b64[64];
        vt_tlog_base64_encode(proof[i], VT_TLOG_HASH_SIZE, b64, sizeof b64);
        printf("%s\n", b64);
    }
    vt_buf_free(&raw);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_reader_close(r);
    return st == VT_OK ? EXIT_CLEAN : fail(&err);
}

static int verb_verify(const struct log_args *a)
{
    if (a->npos != 1)
        return cli_usage_error("log", "usage: vitrine log verify DIR|URL --vkey VKEY");
    vt_tlog_verifier *vkey;
    int rc = load_vkey(a, &vkey);
    if (rc != EXIT_CLEAN)
        return rc;
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_reader *r;
    vt_tlog_checkpoint cp = {0};
    vt_status st = vt_tlog_reader_open(a->pos[0], &r, &err);
    if (st == VT_OK) {
        st = vt_tlog_reader_verify_log(r, vkey, &cp, &err);
        vt_tlog_reader_close(r);
    }
    vt_tlog_verifier_free(vkey);
    if (st != VT_OK)
        return fail(&err);
    char root[64];
    vt_tlog_base64_encode(cp.root, sizeof cp.root, root, sizeof root);
    printf("verified %s: %" PRIu64 " entries, root %s\n", cp.origin, cp.size, root);
    vt_tlog_checkpoint_clear(&cp);
    return EXIT_CLEAN;
}

static int verb_verify_proof(const struct log_args *a)
{
    if (a->npos != 2 || (!a->vkey && !a->policy))
        return cli_usage_error("log", "usage: vitrine log verify-proof --vkey VKEY [--policy FILE] PROOF ENTRYFILE");
    vt_tlog_verifier *vkey = NULL;
    if (a->vkey) {
        int rc = load_vkey(a, &vkey);
        if (rc != EXIT_CLEAN)
            return rc;
    }
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_policy *policy = NULL;
    unsigned char *text = NULL, *entry = NULL;
    size_t text_len, entry_len;
    vt_status st = VT_OK;
    if (a->policy) {
        st = vt_read_file(a->policy, VT_TLOG_MAX_POLICY, &text, &text_len, &err);
        if (st == VT_OK)
            st = vt_tlog_policy_parse((const char *)text, text_len, &policy, &err);
        free(text);
        text = NULL;
        if (st != VT_OK) { /* our own configuration, not the thing being checked: exit 2 */
            if (!err.file[0])
                snprintf(err.file, sizeof err.file, "%s", a->policy);
            vt_tlog_verifier_free(vkey);
            return cli_report("log", &err);
        }
    }
    if (st == VT_OK)
        st = vt_read_file(a->pos[0], VT_TLOG_MAX_PROOF_TEXT, &text, &text_len, &err);
    if (st == VT_OK)
        st = vt_read_file(a->pos[1], VT_TLOG_MAX_ENTRY, &entry, &entry_len, &err);
    vt_tlog_proof proof = {0};
    if (st == VT_OK) {
        st = vt_tlog_proof_parse(text, text_len, &proof, &err);
        if (st != VT_OK)
            snprintf(err.file, sizeof err.file, "%s", a->pos[0]);
    }
    vt_tlog_checkpoint cp = {0};
    if (st == VT_OK) { /* the trust core decides: checkpoint under the key/policy, inclusion */
        vt_trust_checkpoint_policy trust = {.policy = policy, .log_key = vkey};
        vt_trust_verdict v;
        vt_trust_proof(&trust, &proof, entry, entry_len, 0, &cp, &v);
        st = vt_trust_error(&v, NULL, &err);
    }
    if (st == VT_OK)
        printf("verified: entry %" PRIu64 " of %s (size %" PRIu64 ")\n", proof.index, cp.origin, cp.size);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_proof_clear(&proof);
    vt_tlog_policy_free(policy);
    vt_tlog_verifier_free(vkey);
    free(text);
    free(entry);
    return st == VT_OK ? EXIT_CLEAN : fail(&err);
}

static int run_log(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("log", "no verb given");
    struct log_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == EXIT_CLEAN) {
        const char *verb = argv[1];
        if (strcmp(verb, "init") == 0)
            rc = verb_init(&a);
        else if (strcmp(verb, "add") == 0)
            rc = verb_add(&a);
        else if (strcmp(verb, "get") == 0)
            rc = verb_get(&a);
        else if (strcmp(verb, "prove") == 0)
            rc = verb_prove(&a);
        else if (strcmp(verb, "consistency") == 0)
            rc = verb_consistency(&a);
        else if (strcmp(verb, "verify") == 0)
            rc = verb_verify(&a);
        else if (strcmp(verb, "verify-proof") == 0)
            rc = verb_verify_proof(&a);
        else if (strcmp(verb, "witness") == 0)
            rc = a.npos == 1 && a.key ? log_witness(a.pos[0], a.key, a.witnesses, a.nwitness)
                                      : cli_usage_error("log", "usage: vitrine log witness DIR "
                                                               "--key KEY --witness URL...");
        else
            rc = cli_usage_error("log", "unknown verb '%s'", verb);
    }
    free(a.pos);
    return rc;
}

const struct vt_command command_log = {
    .name = "log",
    .summary = "create, append to, prove from and verify a transparency log",
    .manual =
        "NAME\n"
        "    vitrine log - create, append to, prove from and verify a transparency log\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine log init DIR --origin ORIGIN --key PREFIX.key\n"
        "    vitrine log add DIR --key PREFIX.key FILE...\n"
        "    vitrine log get DIR|URL INDEX...\n"
        "    vitrine log prove DIR|URL INDEX [--size N] [--checkpoint FILE]\n"
        "    vitrine log consistency DIR|URL OLD NEW\n"
        "    vitrine log verify DIR|URL --vkey VKEY\n"
        "    vitrine log verify-proof --vkey VKEY [--policy FILE] PROOF ENTRYFILE\n"
        "    vitrine log witness DIR --key PREFIX.key --witness URL...\n"
        "\n"
        "DESCRIPTION\n"
        "    A log is a directory of static files in the C2SP tlog-tiles layout (see\n"
        "    docs/log.md): a signed checkpoint, hash tiles and entry bundles, readable by\n"
        "    Go's sumdb/tlog, Tessera clients and any web server.\n"
        "\n"
        "    init creates an empty log whose origin is ORIGIN (the key's name).\n"
        "    add appends one entry per FILE ('-' reads one entry from standard input; an\n"
        "    entry is at most 65535 bytes) in one batch, publishes a new signed checkpoint\n"
        "    and prints each entry's index, one per line, only once all of it is durable.\n"
        "    One writer at a time: a second is refused. The private key may not live\n"
        "    inside DIR.\n"
        "    get prints the entries at the INDEXes, one after the other, as they are stored\n"
        "    (unauthenticated: check an entry with a proof).\n"
        "    prove prints a c2sp.org/tlog-proof@v1 for the entry at INDEX against the\n"
        "    current checkpoint, or against the signed checkpoint of size N kept as\n"
        "    DIR/checkpoint.N or given with --checkpoint.\n"
        "    consistency prints the RFC 6962 consistency proof from size OLD to NEW, one\n"
        "    base64 hash per line.\n"
        "    verify re-hashes every entry and every tile, checks the checkpoint signature\n"
        "    with VKEY and its root; for a directory also every partial tile and bundle\n"
        "    and every older checkpoint.N file.\n"
        "    verify-proof checks a tlog-proof for the entry in ENTRYFILE: the checkpoint is\n"
        "    signed by VKEY (or a log of the c2sp.org/tlog-policy FILE, whose witness\n"
        "    quorum it must also meet) and the entry is included at the index.\n"
        "\n"
        "    witness submits the log's current checkpoint to each witness URL (C2SP\n"
        "    tlog-witness add-checkpoint, with a consistency proof from the size the witness\n"
        "    knows), collects their cosignatures and publishes the cosigned checkpoint.\n"
        "\n"
        "OPTIONS\n"
        "    --key FILE         the log's private key (PRIVATE+KEY+..., mode 0600)\n"
        "    --vkey VKEY        the log's verifier key, or a file holding it\n"
        "    --origin ORIGIN    the log's origin line; must equal the key's name\n"
        "    --size N           prove against the tree of size N\n"
        "    --checkpoint FILE  a signed checkpoint to prove against\n"
        "    --policy FILE      a tlog-policy file (logs, witnesses, quorum)\n"
        "    --witness URL      a witness to collect a cosignature from; may be repeated\n"
        "\n"
        "EXIT STATUS\n"
        "    0 on success, 1 when a verification fails (bad signature, proof, hash or\n"
        "    format) or a witness refuses to cosign because it saw another view (409 with a\n"
        "    larger tree, 422, 403, 404), 2 on other errors, including a witness that is\n"
        "    unavailable (unreachable, 5xx, a redirect).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine keygen example.com/rules -o ~/keys/rules\n"
        "    vitrine log init /srv/log --origin example.com/rules --key ~/keys/rules.key\n"
        "    vitrine log add /srv/log --key ~/keys/rules.key rule1.yar rule2.yar\n"
        "    vitrine log prove /srv/log 1 > rule2.tlog-proof\n"
        "    vitrine log verify-proof --vkey ~/keys/rules.pub rule2.tlog-proof rule2.yar\n"
        "    vitrine log verify https://log.example.com/ --vkey ~/keys/rules.pub\n",
    .run = run_log,
};
