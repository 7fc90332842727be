/* test_tlog_proof.c: tlog-proof parsing, formatting and verification against the cosigned vector
 * (entry "seven" at index 6 of the Tessera test log), and tlog-policy parsing and k-of-n quorum
 * evaluation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/tlog.h>
#include <vitrine/trust.h>

#include "check.h"

static char *read_vector(const char *rel, size_t *len)
{
    const char *shared = getenv("VITRINE_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/reference/vectors/%s", shared ? shared : "../shared", rel);
    unsigned char *data = NULL;
    if (vt_read_file(path, 1 << 20, &data, len, NULL) != VT_OK)
        printf("# cannot read %s\n", path);
    return (char *)data;
}

static const char log_vkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

static char witness_vkey[256];

static void load_witness(void)
{
    size_t len;
    char *w = read_vector("cosignature/witness.vkey", &len);
    CHECK(w != NULL);
    if (!w)
        return;
    while (len && (w[len - 1] == '\n' || w[len - 1] == ' '))
        len--;
    snprintf(witness_vkey, sizeof witness_vkey, "%.*s", (int)len, w);
    free(w);
}

static vt_tlog_policy *policy_of(const char *fmt)
{
    char text[2048];
    snprintf(text, sizeof text, fmt, log_vkey, witness_vkey);
    vt_tlog_policy *p = NULL;
    vt_error err;
    if (vt_tlog_policy_parse(text, strlen(text), &p, &err) != VT_OK)
        printf("# policy: %d:%d: %s\n", err.line, err.column, err.message);
    return p;
}

/* A tlog-proof verdict through the trust core, as a status (VT_OK or VT_ERR_VERIFY). */
static vt_status proof_verify(const vt_tlog_proof *proof, const void *entry, size_t entry_len,
                              const vt_tlog_verifier *log_key, const vt_tlog_policy *policy,
                              vt_tlog_checkpoint *cp, vt_error *err)
{
    vt_trust_checkpoint_policy trust = {.policy = policy, .log_key = log_key};
    vt_trust_verdict v;
    vt_trust_proof(&trust, proof, entry, entry_len, 0, cp, &v);
    return vt_trust_error(&v, NULL, err);
}

static void test_proof_vector(void)
{
    load_witness();
    size_t len;
    char *text = read_vector("cosignature/entry6.tlog-proof", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    vt_tlog_proof proof;
    vt_error err;
    CHECK(vt_tlog_proof_parse(text, len, &proof, &err) == VT_OK);
    CHECK_INT_EQ(proof.index, 6);
    CHECK(proof.has_extra && proof.extra_len == 5 && memcmp(proof.extra, "seven", 5) == 0);
    CHECK_INT_EQ(proof.hash_count, 4);
    vt_buf again = {0};
    CHECK(vt_tlog_proof_format(&proof, &again, &err) == VT_OK);
    CHECK(again.len == len && memcmp(again.data, text, len) == 0);
    vt_buf_free(&again);
    vt_tlog_verifier *key;
    CHECK(vt_tlog_verifier_parse(log_vkey, strlen(log_vkey), &key, NULL) == VT_OK);
    vt_tlog_checkpoint cp;
    CHECK(proof_verify(&proof, "seven", 5, key, NULL, &cp, &err) == VT_OK);
    CHECK_INT_EQ(cp.size, 15);
    vt_tlog_checkpoint_clear(&cp);
    CHECK(proof_verify(&proof, "eight", 5, key, NULL, NULL, &err) == VT_ERR_VERIFY);
    /* Policies: the witness cosigned, so 1-of-1 passes; a quorum needing a second fails. */
    vt_tlog_policy *one = policy_of("log %s\nwitness w1 %s\nquorum w1\n");
    CHECK(one != NULL);
    if (one) {
        CHECK(proof_verify(&proof, "seven", 5, NULL, one, NULL, &err) == VT_OK);
        vt_tlog_policy_free(one);
    }
    char *wkey2 = NULL, *wpriv2 = NULL;
    CHECK(vt_tlog_keygen("witness.example/w2", VT_TLOG_SIG_COSIGNATURE_V1, &wpriv2, &wkey2, NULL) == VT_OK);
    char fmt[1024];
    snprintf(fmt, sizeof fmt, "log %%s\nwitness w1 %%s\nwitness w2 %s\ngroup both all w1 w2\nquorum both\n", wkey2);
    vt_tlog_policy *two = policy_of(fmt);
    CHECK(two != NULL);
    if (two) {
        CHECK(proof_verify(&proof, "seven", 5, NULL, two, NULL, &err) == VT_ERR_VERIFY);
        vt_tlog_policy_free(two);
    }
    snprintf(fmt, sizeof fmt, "# comment\n  log %%s  \n\twitness w1 %%s\nwitness w2 %s\ngroup g 1 w1 w2\ngroup top any g\nquorum top\n", wkey2);
    vt_tlog_policy *nested = policy_of(fmt);
    CHECK(nested != NULL);
    if (nested) {
        CHECK_INT_EQ(vt_tlog_policy_witness_count(nested), 2);
        CHECK(proof_verify(&proof, "seven", 5, NULL, nested, NULL, &err) == VT_OK);
        vt_tlog_policy_free(nested);
    }
    free(wkey2);
    free(wpriv2);
    /* Changing any proof hash fails. */
    for (size_t i = 0; i < proof.hash_count; i++) {
        proof.hashes[i][0] ^= 1;
        CHECK(proof_verify(&proof, "seven", 5, key, NULL, NULL, &err) == VT_ERR_VERIFY);
        proof.hashes[i][0] ^= 1;
    }
    proof.index = 7;
    CHECK(proof_verify(&proof, "seven", 5, key, NULL, NULL, &err) == VT_ERR_VERIFY);
    vt_tlog_proof_clear(&proof);
    vt_tlog_verifier_free(key);
    free(text);
}

static void test_proof_syntax(void)
{
    static const char *bad[] = {
        "",
        "c2sp.org/tlog-proof@v2\nindex 1\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\n",
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n",
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n",
        "c2sp.org/tlog-proof@v1\nindex 1\n",
        "c2sp.org/tlog-proof@v1\nindex 1\n\nnot a checkpoint\n",
    };
    vt_tlog_proof proof;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(vt_tlog_proof_parse(bad[i], strlen(bad[i]), &proof, NULL) != VT_OK);
}

static void test_policy_syntax(void)
{
    static const char *bad[] = {
        "",                                         /* no quorum */
        "quorum w1\n",                              /* undefined */
        "quorum none\nquorum none\n",               /* two quorums */
        "witness none %2$s\nquorum none\n",         /* reserved name */
        "witness a %2$s\nwitness b %2$s\nquorum a\n", /* duplicate key */
        "witness a %2$s\ngroup g 2 a\nquorum g\n",  /* k > n */
        "witness a %2$s\ngroup g 0 a\nquorum g\n",  /* k < 1 */
        "witness a %2$s\ngroup g any a a\nquorum g\n", /* member twice */
        "witness a %1$s\nquorum a\n",               /* log key as witness */
        "log %2$s\nquorum none\n",                  /* witness key as log */
        "frobnicate\nquorum none\n",
        "quorum none\x01\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, bad[i], log_vkey, witness_vkey);
        vt_tlog_policy *p = NULL;
        vt_status st = vt_tlog_policy_parse(text, strlen(text), &p, NULL);
        if (st == VT_OK) {
            printf("# accepted bad policy %zu\n", i);
            vt_tlog_policy_free(p);
        }
        CHECK(st != VT_OK);
    }
    vt_tlog_policy *p = policy_of("log %s https://log.example/\nquorum none\n");
    CHECK(p != NULL);
    if (p) {
        CHECK_INT_EQ(vt_tlog_policy_log_count(p), 1);
        CHECK_STR_EQ(vt_tlog_policy_log_url(p, 0), "https://log.example/");
        vt_tlog_policy_free(p);
    }
}

int main(void)
{
    RUN(test_proof_vector);
    RUN(test_proof_syntax);
    RUN(test_policy_syntax);
    return check_done();
}
