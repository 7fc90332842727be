/* tlog_proof.c: fuzz target for tlog-proof and tlog-policy: the proof parser, formatting what
 * parsed (which must parse again), the trust core's verdict on it (vt_trust_proof) under the
 * Tessera test log's key and under a policy, and the policy parser on the raw input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/tlog.h>
#include <vitrine/trust.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char log_vkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
static const char policy_text[] =
    "log example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx\n"
    "witness w1 witness.example/w1+ac6e7c2e+BMPtEMtH0Q6ncnnESI5kdNaYfK/jy0M4ATnOm2f6lpOP\n"
    "group g any w1\n"
    "quorum g\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_tlog_verifier *log = NULL;
    vt_tlog_policy *policy = NULL;
    if (vt_tlog_verifier_parse(log_vkey, strlen(log_vkey), &log, NULL) != VT_OK ||
        vt_tlog_policy_parse(policy_text, strlen(policy_text), &policy, NULL) != VT_OK)
        abort();
    vt_tlog_proof proof;
    if (vt_tlog_proof_parse(data, size, &proof, NULL) == VT_OK) {
        vt_buf text = {0};
        if (vt_tlog_proof_format(&proof, &text, NULL) != VT_OK)
            abort();
        vt_tlog_proof again;
        if (vt_tlog_proof_parse(text.data, text.len, &again, NULL) != VT_OK)
            abort(); /* what we format must parse */
        vt_tlog_proof_clear(&again);
        vt_buf_free(&text);
        const void *entry = proof.has_extra ? (const void *)proof.extra : "seven";
        size_t entry_len = proof.has_extra ? proof.extra_len : 5;
        vt_trust_checkpoint_policy by_key = {.log_key = log}, by_policy = {.policy = policy};
        vt_trust_verdict verdict;
        vt_trust_proof(&by_key, &proof, entry, entry_len, 0, NULL, &verdict);
        vt_trust_proof(&by_policy, &proof, entry, entry_len, 0, NULL, &verdict);
        vt_tlog_proof_clear(&proof);
    }
    vt_tlog_policy *p = NULL;
    if (vt_tlog_policy_parse((const char *)data, size, &p, NULL) == VT_OK)
        vt_tlog_policy_free(p);
    vt_tlog_policy_free(policy);
    vt_tlog_verifier_free(log);
    return 0;
}
