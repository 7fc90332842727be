/* test_trust.c: the trust core (vitrine/trust.h) fed every verdict with real signed data: trees
 * hashed, checkpoints signed and cosigned with the project's own tlog code (and the cosigned
 * vector of ../shared/reference/vectors): honest, fork, rollback, stale, missing quorum, wrong
 * origin, bad signature, truncated and wrong proofs, corrupt input, bundle members and
 * replacement, a witness's answers, and a fetch that failed through a reader's transport
 * (unavailable, never evidence). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/distrib.h>
#include <vitrine/trust.h>

#include "check.h"

#define MAX_LEAVES 64

/* A tree of leaves "leaf-0", "leaf-1", ... (or with another prefix for a fork). */
typedef struct tree {
    unsigned char leaves[MAX_LEAVES][VT_TLOG_HASH_SIZE];
    uint64_t count;
} tree;

static void tree_init(tree *t, const char *prefix, uint64_t count)
{
    t->count = count;
    for (uint64_t i = 0; i < count; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s-%" PRIu64, prefix, i);
        vt_tlog_leaf_hash(text, strlen(text), t->leaves[i]);
    }
}

/* Leaf i of tree t is the text "PREFIX-i": the prefix a tree was made with. */
static vt_status subtree(void *ctx, unsigned level, uint64_t index,
                         unsigned char out[VT_TLOG_HASH_SIZE], vt_error *err)
{
    const tree *t = ctx;
    if (((index + 1) << level) > t->count)
        return vt_error_set(err, VT_ERR_ARGUMENT, "no such subtree");
    if (level == 0) {
        memcpy(out, t->leaves[index], VT_TLOG_HASH_SIZE);
        return VT_OK;
    }
    unsigned char left[VT_TLOG_HASH_SIZE], right[VT_TLOG_HASH_SIZE];
    subtree(ctx, level - 1, 2 * index, left, err);
    subtree(ctx, level - 1, 2 * index + 1, right, err);
    vt_tlog_node_hash(left, right, out);
    return VT_OK;
}

static vt_tlog_signer *log_key, *other_log_key, *impostor_key, *w1_key, *w2_key;
static vt_tlog_verifier *log_vkey, *other_log_vkey;
static vt_tlog_policy *policy;

static vt_tlog_signer *signer(const char *name, int type, unsigned char seed_byte)
{
    unsigned char seed[32];
    memset(seed, seed_byte, sizeof seed);
    vt_tlog_signer *s = NULL;
    CHECK(vt_tlog_signer_from_seed(name, type, seed, &s, NULL) == VT_OK);
    return s;
}

static char *vkey_of(const vt_tlog_signer *s)
{
    char *text = NULL;
    CHECK(vt_tlog_signer_vkey(s, &text, NULL) == VT_OK);
    return text;
}

static void setup(void)
{
    log_key = signer("example.com/log", VT_TLOG_SIG_ED25519, 1);
    other_log_key = signer("other.example/log", VT_TLOG_SIG_ED25519, 2);
    impostor_key = signer("example.com/log", VT_TLOG_SIG_ED25519, 3); /* same name, other key */
    w1_key = signer("w1.example/w", VT_TLOG_SIG_COSIGNATURE_V1, 4);
    w2_key = signer("w2.example/w", VT_TLOG_SIG_COSIGNATURE_V1, 5);
    char *lv = vkey_of(log_key), *ov = vkey_of(other_log_key), *v1 = vkey_of(w1_key),
         *v2 = vkey_of(w2_key);
    CHECK(vt_tlog_verifier_parse(lv, strlen(lv), &log_vkey, NULL) == VT_OK);
    CHECK(vt_tlog_verifier_parse(ov, strlen(ov), &other_log_vkey, NULL) == VT_OK);
    char text[2048];
    snprintf(text, sizeof text, "log %s\nwitness w1 %s\nwitness w2 %s\ngroup both all w1 w2\n"
                                "quorum both\n", lv, v1, v2);
    CHECK(vt_tlog_policy_parse(text, strlen(text), &policy, NULL) == VT_OK);
    free(lv);
    free(ov);
    free(v1);
    free(v2);
}

static void teardown(void)
{
    vt_tlog_signer_free(log_key);
    vt_tlog_signer_free(other_log_key);
    vt_tlog_signer_free(impostor_key);
    vt_tlog_signer_free(w1_key);
    vt_tlog_signer_free(w2_key);
    vt_tlog_verifier_free(log_vkey);
    vt_tlog_verifier_free(other_log_vkey);
    vt_tlog_policy_free(policy);
}

static void checkpoint_of(const tree *t, uint64_t size, const char *origin, vt_tlog_checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    snprintf(cp->origin, sizeof cp->origin, "%s", origin);
    cp->size = size;
    CHECK(vt_tlog_tree_hash(subtree, (void *)t, size, cp->root, NULL) == VT_OK);
}

/* The checkpoint of the first `size` leaves of t signed by `key` and cosigned at `when` by the
 * witnesses given (w1, w2 may be NULL). */
static void signed_checkpoint(const tree *t, uint64_t size, const vt_tlog_signer *key,
                              const vt_tlog_signer *w1, const vt_tlog_signer *w2, uint64_t when,
                              vt_buf *out)
{
    vt_tlog_checkpoint cp;
    checkpoint_of(t, size, vt_tlog_signer_name(key), &cp);
    vt_buf text = {0}, note = {0};
    CHECK(vt_tlog_checkpoint_format(&cp, &text, NULL) == VT_OK);
    CHECK(vt_tlog_note_sign(key, (char *)text.data, text.len, &note, NULL) == VT_OK);
    const vt_tlog_signer *ws[2] = {w1, w2};
    for (int i = 0; i < 2; i++) {
        if (!ws[i])
            continue;
        vt_buf cosigned = {0};
        CHECK(vt_tlog_cosign(ws[i], note.data, note.len, when, &cosigned, NULL) == VT_OK);
        vt_buf_free(&note);
        note = cosigned;
    }
    out->len = 0;
    vt_buf_append(out, note.data, note.len);
    vt_buf_free(&text);
    vt_buf_free(&note);
}

static vt_trust_kind judge(const vt_buf *note, uint64_t now, uint64_t max_age,
                           vt_trust_verdict *v)
{
    vt_trust_checkpoint_policy p = {.policy = policy, .max_age = max_age};
    vt_tlog_checkpoint cp;
    vt_trust_kind kind = vt_trust_checkpoint(&p, note->data, note->len, now, &cp, v);
    vt_tlog_checkpoint_clear(&cp);
    return kind;
}

static void test_checkpoint_honest(void)
{
    tree t;
    tree_init(&t, "leaf", 9);
    vt_buf note = {0};
    signed_checkpoint(&t, 9, log_key, w1_key, w2_key, 1000, &note);
    vt_trust_checkpoint_policy p = {.policy = policy, .max_age = 3600};
    vt_tlog_checkpoint cp;
    vt_trust_verdict v;
    CHECK_INT_EQ(vt_trust_checkpoint(&p, note.data, note.len, 1500, &cp, &v), VT_TRUST_OK);
    CHECK_INT_EQ(cp.size, 9);
    CHECK_STR_EQ(cp.origin, "example.com/log");
    vt_tlog_checkpoint_clear(&cp);
    /* With a log key and no policy (the monitor): signature only. */
    vt_trust_checkpoint_policy key_only = {.log_key = log_vkey};
    CHECK_INT_EQ(vt_trust_checkpoint(&key_only, note.data, note.len, 0, NULL, &v), VT_TRUST_OK);
    /* max_age 0: no bound, even years later. */
    CHECK_INT_EQ(judge(&note, 1000 + 100000000, 0, &v), VT_TRUST_OK);
    vt_buf_free(&note);
}

static void test_checkpoint_stale(void)
{
    tree t;
    tree_init(&t, "leaf", 9);
    vt_buf note = {0};
    signed_checkpoint(&t, 9, log_key, w1_key, w2_key, 1000, &note);
    vt_trust_verdict v;
    CHECK_INT_EQ(judge(&note, 1000 + 3600, 3600, &v), VT_TRUST_OK); /* exactly max_age: fresh */
    CHECK_INT_EQ(judge(&note, 1000 + 3601, 3600, &v), VT_TRUST_STALE);
    CHECK(strstr(v.reason, "stale checkpoint (possible freeze)") != NULL);
    CHECK(strstr(v.reason, "3601 s old") != NULL);
    CHECK(vt_trust_is_evidence(v.kind));
    vt_buf_free(&note);
}

static void test_checkpoint_no_quorum(void)
{
    tree t;
    tree_init(&t, "leaf", 9);
    vt_buf note = {0};
    vt_trust_verdict v;
    signed_checkpoint(&t, 9, log_key, w1_key, NULL, 1000, &note); /* one of two */
    CHECK_INT_EQ(judge(&note, 1000, 3600, &v), VT_TRUST_NO_QUORUM);
    CHECK(strstr(v.reason, "witness quorum") != NULL);
    signed_checkpoint(&t, 9, log_key, NULL, NULL, 1000, &note); /* none */
    CHECK_INT_EQ(judge(&note, 1000, 3600, &v), VT_TRUST_NO_QUORUM);
    vt_buf_free(&note);
}

static void test_checkpoint_wrong_origin(void)
{
    tree t;
    tree_init(&t, "leaf", 9);
    vt_buf note = {0};
    vt_trust_verdict v;
    signed_checkpoint(&t, 9, other_log_key, w1_key, w2_key, 1000, &note);
    CHECK_INT_EQ(judge(&note, 1000, 3600, &v), VT_TRUST_WRONG_ORIGIN);
    CHECK(strstr(v.reason, "other.example/log") != NULL);
    vt_trust_checkpoint_policy key_only = {.log_key = log_vkey};
    CHECK_INT_EQ(vt_trust_checkpoint(&key_only, note.data, note.len, 0, NULL, &v),
                 VT_TRUST_WRONG_ORIGIN);
    vt_buf_free(&note);
}

static void test_checkpoint_bad_signature(void)
{
    tree t;
    tree_init(&t, "leaf", 9);
    vt_buf note = {0};
    vt_trust_verdict v;
    /* Signed by another key that carries the log's name. */
    signed_checkpoint(&t, 9, impostor_key, w1_key, w2_key, 1000, &note);
    CHECK_INT_EQ(judge(&note, 1000, 3600, &v), VT_TRUST_BAD_SIGNATURE);
    /* The honest signature over altered text (size 9 -> 8). */
    signed_checkpoint(&t, 9, log_key, w1_key, w2_key, 1000, &note);
    char *size_line = strstr((char *)note.data, "\n9\n");
    CHECK(size_line != NULL);
    if (size_line)
        size_line[1] = '8';
    CHECK_INT_EQ(judge(&note, 1000, 3600, &v), VT_TRUST_BAD_SIGNATURE);
    CHECK(vt_trust_is_evidence(v.kind));
    vt_error err;
    CHECK_INT_EQ(vt_trust_error(&v, "checkpoint", &err), VT_ERR_VERIFY);
    CHECK(strncmp(err.message, "checkpoint: ", 12) == 0);
    vt_buf_free(&note);
}

static void test_checkpoint_corrupt(void)
{
    vt_trust_verdict v;
    vt_buf note = {0};
    vt_buf_append_str(&note, "not a signed note at all\n");
    CHECK_INT_EQ(judge(&note, 0, 0, &v), VT_TRUST_CORRUPT);
    CHECK(!vt_trust_is_evidence(v.kind));
    vt_buf_free(&note);
}

/* The cosigned vector of the Tessera test log (cosigned at 1700000000 by witness.example/w1). */
static void test_checkpoint_vector(void)
{
    const char *shared = getenv("VITRINE_SHARED");
    char path[4096], vkey[256] = "";
    unsigned char *data = NULL, *w = NULL;
    size_t len = 0, wlen = 0;
    snprintf(path, sizeof path, "%s/reference/vectors/cosignature/witness.vkey",
             shared ? shared : "../shared");
    CHECK(vt_read_file(path, 4096, &w, &wlen, NULL) == VT_OK);
    while (w && wlen && (w[wlen - 1] == '\n' || w[wlen - 1] == ' '))
        wlen--;
    snprintf(vkey, sizeof vkey, "%.*s", (int)wlen, w ? (char *)w : "");
    free(w);
    snprintf(path, sizeof path, "%s/reference/vectors/cosignature/checkpoint.15.cosigned",
             shared ? shared : "../shared");
    CHECK(vt_read_file(path, 1 << 16, &data, &len, NULL) == VT_OK);
    char text[1024];
    snprintf(text, sizeof text,
             "log example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx\n"
             "witness w1 %s\nquorum w1\n", vkey);
    vt_tlog_policy *p = NULL;
    CHECK(vt_tlog_policy_parse(text, strlen(text), &p, NULL) == VT_OK);
    if (p && data) {
        vt_trust_checkpoint_policy tp = {.policy = p, .max_age = 86400};
        vt_trust_verdict v;
        vt_tlog_checkpoint cp;
        CHECK_INT_EQ(vt_trust_checkpoint(&tp, data, len, 1700000000 + 60, &cp, &v), VT_TRUST_OK);
        CHECK_INT_EQ(cp.size, 15);
        vt_tlog_checkpoint_clear(&cp);
        CHECK_INT_EQ(vt_trust_checkpoint(&tp, data, len, 1700000000 + 86401, NULL, &v),
                     VT_TRUST_STALE);
    }
    vt_tlog_policy_free(p);
    free(data);
}

static void test_extends(void)
{
    tree honest, forked;
    tree_init(&honest, "leaf", 20);
    tree_init(&forked, "fork", 20);
    for (int i = 0; i < 4; i++) /* the fork shares the first 4 leaves */
        memcpy(forked.leaves[i], honest.leaves[i], VT_TLOG_HASH_SIZE);
    vt_tlog_checkpoint a, b, b_fork, a_same_size_fork, other;
    checkpoint_of(&honest, 6, "example.com/log", &a);
    checkpoint_of(&honest, 13, "example.com/log", &b);
    checkpoint_of(&forked, 13, "example.com/log", &b_fork);
    checkpoint_of(&forked, 6, "example.com/log", &a_same_size_fork);
    checkpoint_of(&honest, 13, "other.example/log", &other);
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    CHECK(vt_tlog_prove_consistency(subtree, &honest, 6, 13, proof, &n, NULL) == VT_OK);
    const unsigned char (*p)[VT_TLOG_HASH_SIZE] = (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof;
    vt_trust_verdict v;
    CHECK_INT_EQ(vt_trust_extends(&a, &b, p, n, &v), VT_TRUST_OK);
    CHECK_INT_EQ(vt_trust_extends(&a, &a, NULL, 0, &v), VT_TRUST_OK);
    /* Rollback: the new tree is smaller. */
    CHECK_INT_EQ(vt_trust_extends(&b, &a, NULL, 0, &v), VT_TRUST_ROLLBACK);
    CHECK(strstr(v.reason, "rollback") != NULL);
    /* Fork: same size, other root. */
    CHECK_INT_EQ(vt_trust_extends(&a, &a_same_size_fork, NULL, 0, &v), VT_TRUST_FORK);
    CHECK(strstr(v.reason, "inconsistent log (fork or split view)") != NULL);
    /* Fork: a bigger tree whose proof (from its own tiles) does not lead from the trusted root. */
    unsigned char fproof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t fn = 0;
    CHECK(vt_tlog_prove_consistency(subtree, &forked, 6, 13, fproof, &fn, NULL) == VT_OK);
    CHECK_INT_EQ(vt_trust_extends(&a, &b_fork,
                                  (const unsigned char (*)[VT_TLOG_HASH_SIZE])fproof, fn, &v),
                 VT_TRUST_FORK);
    /* ... and the honest proof does not help the forked checkpoint either. */
    CHECK_INT_EQ(vt_trust_extends(&a, &b_fork, p, n, &v), VT_TRUST_FORK);
    /* Truncated (and padded) proof: malformed. */
    CHECK(n >= 2);
    CHECK_INT_EQ(vt_trust_extends(&a, &b, p, n - 1, &v), VT_TRUST_BAD_PROOF);
    CHECK(strstr(v.reason, "malformed consistency proof") != NULL);
    CHECK_INT_EQ(vt_trust_extends(&a, &b, p, 0, &v), VT_TRUST_BAD_PROOF);
    memcpy(proof[n], proof[0], VT_TLOG_HASH_SIZE);
    CHECK_INT_EQ(vt_trust_extends(&a, &b, p, n + 1, &v), VT_TRUST_BAD_PROOF);
    /* A flipped bit in a well-formed proof. */
    proof[n - 1][5] ^= 1;
    CHECK_INT_EQ(vt_trust_extends(&a, &b, p, n, &v), VT_TRUST_FORK);
    /* Wrong origin. */
    CHECK_INT_EQ(vt_trust_extends(&a, &other, NULL, 0, &v), VT_TRUST_WRONG_ORIGIN);
    /* From the empty tree: anything extends it, with an empty proof. */
    vt_tlog_checkpoint empty = {.size = 0};
    snprintf(empty.origin, sizeof empty.origin, "example.com/log");
    vt_tlog_empty_root(empty.root);
    CHECK_INT_EQ(vt_trust_extends(&empty, &b, NULL, 0, &v), VT_TRUST_OK);
    CHECK_INT_EQ(vt_trust_extends(&empty, &b, p, 1, &v), VT_TRUST_BAD_PROOF);
    /* Every power-of-two and odd size pair the honest tree has: the proof length rule agrees with
     * the verifier. */
    for (uint64_t m = 1; m <= 20; m++)
        for (uint64_t s = m; s <= 20; s++) {
            vt_tlog_checkpoint x, y;
            checkpoint_of(&honest, m, "example.com/log", &x);
            checkpoint_of(&honest, s, "example.com/log", &y);
            size_t k = 0;
            CHECK(vt_tlog_prove_consistency(subtree, &honest, m, s, proof, &k, NULL) == VT_OK);
            CHECK_INT_EQ(vt_trust_extends(&x, &y, p, k, &v), VT_TRUST_OK);
            if (k > 0)
                CHECK_INT_EQ(vt_trust_extends(&x, &y, p, k - 1, &v), VT_TRUST_BAD_PROOF);
        }
}

static void test_inclusion(void)
{
    tree t;
    tree_init(&t, "leaf", 13);
    vt_tlog_checkpoint cp;
    checkpoint_of(&t, 13, "example.com/log", &cp);
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    CHECK(vt_tlog_prove_inclusion(subtree, &t, 6, 13, proof, &n, NULL) == VT_OK);
    const unsigned char (*p)[VT_TLOG_HASH_SIZE] = (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof;
    vt_trust_verdict v;
    CHECK_INT_EQ(vt_trust_inclusion(&cp, 6, "leaf-6", 6, p, n, &v), VT_TRUST_OK);
    /* An altered entry. */
    CHECK_INT_EQ(vt_trust_inclusion(&cp, 6, "leaf-X", 6, p, n, &v), VT_TRUST_BAD_PROOF);
    CHECK(strstr(v.reason, "does not match the signed tree of size 13") != NULL);
    /* The right entry at another index. */
    CHECK_INT_EQ(vt_trust_inclusion(&cp, 7, "leaf-6", 6, p, n, &v), VT_TRUST_BAD_PROOF);
    /* A truncated proof. */
    CHECK_INT_EQ(vt_trust_inclusion(&cp, 6, "leaf-6", 6, p, n - 1, &v), VT_TRUST_BAD_PROOF);
    /* An index beyond the tree. */
    CHECK_INT_EQ(vt_trust_inclusion(&cp, 13, "leaf-13", 7, p, n, &v), VT_TRUST_BAD_PROOF);
    CHECK(strstr(v.reason, "not in the signed tree") != NULL);
}

static void test_may_replace(void)
{
    vt_trust_bundle installed = {.serial = 5, .min_engine = "0.1.0"};
    memset(installed.sha256, 0xaa, 32);
    vt_trust_bundle next = {.serial = 6, .min_engine = "0.1.0"};
    memset(next.sha256, 0xbb, 32);
    vt_trust_verdict v;
    int is_new = -1;
    CHECK_INT_EQ(vt_trust_may_replace(NULL, &next, "0.1.0", &is_new, &v), VT_TRUST_OK);
    CHECK_INT_EQ(is_new, 1);
    CHECK_INT_EQ(vt_trust_may_replace(&installed, &next, "0.1.0", &is_new, &v), VT_TRUST_OK);
    CHECK_INT_EQ(is_new, 1);
    CHECK_INT_EQ(vt_trust_may_replace(&installed, &installed, "0.1.0", &is_new, &v), VT_TRUST_OK);
    CHECK_INT_EQ(is_new, 0);
    /* Lower serial: rollback. */
    CHECK_INT_EQ(vt_trust_may_replace(&next, &installed, "0.1.0", &is_new, &v), VT_TRUST_ROLLBACK);
    CHECK(strstr(v.reason, "serial 5, lower than the installed 6") != NULL);
    /* Same serial, other content: rollback. */
    vt_trust_bundle same_serial = next;
    same_serial.sha256[0] ^= 1;
    CHECK_INT_EQ(vt_trust_may_replace(&next, &same_serial, "0.1.0", &is_new, &v),
                 VT_TRUST_ROLLBACK);
    /* A newer engine needed: not evidence, and decided before the serial. */
    vt_trust_bundle future = {.serial = 7, .min_engine = "99.0.0"};
    CHECK_INT_EQ(vt_trust_may_replace(&installed, &future, "0.1.0", &is_new, &v),
                 VT_TRUST_INCOMPATIBLE);
    CHECK(!vt_trust_is_evidence(v.kind));
    vt_error err;
    CHECK_INT_EQ(vt_trust_error(&v, NULL, &err), VT_ERR_STATE);
    vt_trust_bundle broken = {.serial = 7, .min_engine = "one"};
    CHECK_INT_EQ(vt_trust_may_replace(&installed, &broken, "0.1.0", &is_new, &v), VT_TRUST_CORRUPT);
}

static void test_bundle_entry(void)
{
    const char entry[] = "vitrine/rule-entry/v1\n...";
    unsigned char hash[32];
    vt_distrib_sha256(entry, strlen(entry), hash);
    vt_trust_verdict v;
    CHECK_INT_EQ(vt_trust_bundle_entry(7, 3, hash, entry, strlen(entry), &v), VT_TRUST_OK);
    /* Another text under the named hash: unlogged. */
    CHECK_INT_EQ(vt_trust_bundle_entry(7, 3, hash, "other", 5, &v), VT_TRUST_BAD_PROOF);
    CHECK(strstr(v.reason, "hash the logged entry does not have") != NULL);
    /* The bundle itself or a later entry: not something it can name. */
    CHECK_INT_EQ(vt_trust_bundle_entry(7, 7, hash, entry, strlen(entry), &v), VT_TRUST_BAD_PROOF);
    CHECK_INT_EQ(vt_trust_bundle_entry(7, 500, hash, entry, strlen(entry), &v), VT_TRUST_BAD_PROOF);
    CHECK(strstr(v.reason, "not before it in the log") != NULL);
}

static void test_witness_answer(void)
{
    vt_trust_verdict v;
    CHECK_INT_EQ(vt_trust_witness_answer(200, 9, 0, 0, &v), VT_TRUST_OK);
    CHECK_INT_EQ(vt_trust_witness_answer(409, 9, 1, 4, &v), VT_TRUST_OK);
    CHECK_INT_EQ(vt_trust_witness_answer(409, 9, 1, 12, &v), VT_TRUST_ROLLBACK);
    CHECK_INT_EQ(vt_trust_witness_answer(409, 9, 0, 0, &v), VT_TRUST_CORRUPT);
    CHECK_INT_EQ(vt_trust_witness_answer(422, 9, 0, 0, &v), VT_TRUST_FORK);
    CHECK_INT_EQ(vt_trust_witness_answer(403, 9, 0, 0, &v), VT_TRUST_BAD_SIGNATURE);
    CHECK_INT_EQ(vt_trust_witness_answer(404, 9, 0, 0, &v), VT_TRUST_WRONG_ORIGIN);
    CHECK_INT_EQ(vt_trust_witness_answer(500, 9, 0, 0, &v), VT_TRUST_UNAVAILABLE);
    CHECK_INT_EQ(vt_trust_witness_answer(302, 9, 0, 0, &v), VT_TRUST_UNAVAILABLE);
    CHECK(!vt_trust_is_evidence(v.kind));
}

/* A transport in memory: serves one checkpoint and fails every other fetch as a network error. */
struct memory {
    vt_buf checkpoint;
    int fetches;
};

static vt_status memory_fetch(void *ctx, const char *path, size_t max, vt_buf *out, vt_error *err)
{
    struct memory *m = ctx;
    m->fetches++;
    if (strcmp(path, "checkpoint") != 0)
        return vt_error_set(err, VT_ERR_NETWORK, "fetching %s: connection reset", path);
    if (m->checkpoint.len > max)
        return vt_error_set(err, VT_ERR_LIMIT, "too large");
    return vt_buf_append(out, m->checkpoint.data, m->checkpoint.len) == VT_OK
               ? VT_OK
               : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

static void test_unavailable_transport(void)
{
    tree t;
    tree_init(&t, "leaf", 13);
    struct memory m = {{0}, 0};
    signed_checkpoint(&t, 13, log_key, w1_key, w2_key, 1000, &m.checkpoint);
    vt_tlog_transport transport = {memory_fetch, NULL, &m};
    vt_tlog_reader *reader = NULL;
    CHECK(vt_tlog_reader_open_transport(&transport, "memory:", &reader, NULL) == VT_OK);
    if (!reader)
        return;
    vt_tlog_checkpoint cp;
    vt_error err;
    CHECK(vt_tlog_reader_checkpoint(reader, log_vkey, &cp, NULL, &err) == VT_OK);
    CHECK_INT_EQ(cp.size, 13);
    /* The tiles are not reachable: the proof cannot be computed; that is "unavailable". */
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    vt_error_clear(&err);
    CHECK(vt_tlog_reader_prove_consistency(reader, 6, 13, proof, &n, &err) == VT_ERR_NETWORK);
    CHECK(m.fetches >= 2);
    vt_trust_verdict v;
    CHECK_INT_EQ(vt_trust_unavailable(&v, &err), VT_TRUST_UNAVAILABLE);
    CHECK(strncmp(v.reason, "unavailable: ", 13) == 0);
    CHECK(strstr(v.reason, "connection reset") != NULL);
    CHECK(!vt_trust_is_evidence(v.kind));
    vt_error out;
    CHECK_INT_EQ(vt_trust_error(&v, NULL, &out), VT_ERR_NETWORK);
    vt_error nomem;
    vt_error_set(&nomem, VT_ERR_NOMEM, "out of memory");
    CHECK_INT_EQ(vt_trust_unavailable(&v, &nomem), VT_TRUST_ERROR);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_reader_close(reader);
    vt_buf_free(&m.checkpoint);
}

static void test_kind_names(void)
{
    CHECK_STR_EQ(vt_trust_kind_name(VT_TRUST_FORK), "fork");
    CHECK_STR_EQ(vt_trust_kind_name(VT_TRUST_UNAVAILABLE), "unavailable");
    CHECK(!vt_trust_is_evidence(VT_TRUST_OK));
    CHECK(!vt_trust_is_evidence(VT_TRUST_UNAVAILABLE));
    CHECK(vt_trust_is_evidence(VT_TRUST_ROLLBACK));
}

int main(void)
{
    setup();
    RUN(test_checkpoint_honest);
    RUN(test_checkpoint_stale);
    RUN(test_checkpoint_no_quorum);
    RUN(test_checkpoint_wrong_origin);
    RUN(test_checkpoint_bad_signature);
    RUN(test_checkpoint_corrupt);
    RUN(test_checkpoint_vector);
    RUN(test_extends);
    RUN(test_inclusion);
    RUN(test_may_replace);
    RUN(test_bundle_entry);
    RUN(test_witness_answer);
    RUN(test_unavailable_transport);
    RUN(test_kind_names);
    teardown();
    return check_done();
}
