/* trust.c: the trust core (include/vitrine/trust.h): the one place that decides whether a
 * checkpoint, an extension of a trusted checkpoint, an entry's inclusion or a bundle replacing
 * the installed one is to be trusted. It only combines the primitives of lib/tlog (note
 * signatures, tlog-policy quorum, Merkle proofs) and never does I/O or reads the clock. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vitrine/distrib.h>
#include <vitrine/trust.h>

static vt_trust_kind verdict(vt_trust_verdict *v, vt_trust_kind kind, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static vt_trust_kind verdict(vt_trust_verdict *v, vt_trust_kind kind, const char *format, ...)
{
    if (v) {
        v->kind = kind;
        va_list ap;
        va_start(ap, format);
        vsnprintf(v->reason, sizeof v->reason, format, ap);
        va_end(ap);
    }
    return kind;
}

static vt_trust_kind trusted(vt_trust_verdict *v)
{
    return verdict(v, VT_TRUST_OK, "trusted");
}

const char *vt_trust_kind_name(vt_trust_kind kind)
{
    switch (kind) {
    case VT_TRUST_OK: return "ok";
    case VT_TRUST_UNAVAILABLE: return "unavailable";
    case VT_TRUST_CORRUPT: return "corrupt";
    case VT_TRUST_ERROR: return "error";
    case VT_TRUST_INCOMPATIBLE: return "incompatible";
    case VT_TRUST_WRONG_ORIGIN: return "wrong origin";
    case VT_TRUST_BAD_SIGNATURE: return "bad signature";
    case VT_TRUST_NO_QUORUM: return "no quorum";
    case VT_TRUST_STALE: return "stale";
    case VT_TRUST_FORK: return "fork";
    case VT_TRUST_ROLLBACK: return "rollback";
    case VT_TRUST_BAD_PROOF: return "bad proof";
    }
    return "unknown";
}

int vt_trust_is_evidence(vt_trust_kind kind)
{
    switch (kind) {
    case VT_TRUST_WRONG_ORIGIN:
    case VT_TRUST_BAD_SIGNATURE:
    case VT_TRUST_NO_QUORUM:
    case VT_TRUST_STALE:
    case VT_TRUST_FORK:
    case VT_TRUST_ROLLBACK:
    case VT_TRUST_BAD_PROOF:
        return 1;
    default:
        return 0;
    }
}

vt_status vt_trust_error(const vt_trust_verdict *v, const char *context, vt_error *err)
{
    vt_status st;
    switch (v->kind) {
    case VT_TRUST_OK: return VT_OK;
    case VT_TRUST_UNAVAILABLE: st = VT_ERR_NETWORK; break;
    case VT_TRUST_CORRUPT: st = VT_ERR_FORMAT; break;
    case VT_TRUST_ERROR: st = VT_ERR_NOMEM; break;
    case VT_TRUST_INCOMPATIBLE: st = VT_ERR_STATE; break;
    default: st = VT_ERR_VERIFY; break;
    }
    if (context && *context)
        return vt_error_set(err, st, "%s: %s", context, v->reason);
    return vt_error_set(err, st, "%s", v->reason);
}

vt_trust_kind vt_trust_unavailable(vt_trust_verdict *v, const vt_error *fetch_err)
{
    char what[900] = "";
    if (fetch_err) {
        vt_error_format(fetch_err, what, sizeof what);
        if (fetch_err->status == VT_ERR_NOMEM)
            return verdict(v, VT_TRUST_ERROR, "%s", what);
    }
    return verdict(v, VT_TRUST_UNAVAILABLE, "unavailable: %s", what[0] ? what : "fetch failed");
}

/* ---- checkpoints ---- */

/* The newest time among the cosignatures of the policy's witnesses that verify (0 if none). */
static uint64_t newest_cosignature(const vt_tlog_policy *policy, const vt_tlog_note *note)
{
    uint64_t newest = 0;
    for (size_t i = 0; i < vt_tlog_policy_witness_count(policy); i++) {
        uint64_t ts = 0;
        if (vt_tlog_note_verify(note, vt_tlog_policy_witness(policy, i), &ts, NULL) == VT_OK &&
            ts > newest)
            newest = ts;
    }
    return newest;
}

static vt_trust_kind judge_note(const vt_trust_checkpoint_policy *p, const vt_tlog_note *note,
                                const vt_tlog_checkpoint *cp, uint64_t now, vt_trust_verdict *v)
{
    const vt_tlog_verifier *key = p->log_key;
    if (!key && p->policy)
        key = vt_tlog_policy_log_for(p->policy, cp->origin);
    if (!key)
        return verdict(v, VT_TRUST_WRONG_ORIGIN,
                       "the checkpoint is of log '%s', which the policy does not name", cp->origin);
    if (strcmp(cp->origin, vt_tlog_verifier_name(key)) != 0)
        return verdict(v, VT_TRUST_WRONG_ORIGIN, "the checkpoint's origin '%s' is not the log '%s'",
                       cp->origin, vt_tlog_verifier_name(key));
    vt_error err;
    vt_error_clear(&err);
    vt_status st = vt_tlog_note_verify(note, key, NULL, &err);
    if (st == VT_ERR_NOMEM)
        return verdict(v, VT_TRUST_ERROR, "%s", err.message);
    if (st != VT_OK)
        return verdict(v, VT_TRUST_BAD_SIGNATURE,
                       "the checkpoint is not signed by the log key of %s: %s", cp->origin,
                       err.message);
    if (!p->policy)
        return trusted(v);
    st = vt_tlog_policy_check(p->policy, key, note, &err);
    if (st == VT_ERR_NOMEM)
        return verdict(v, VT_TRUST_ERROR, "%s", err.message);
    if (st != VT_OK)
        return verdict(v, VT_TRUST_NO_QUORUM,
                       "checkpoint without the witness quorum of the policy (a view no witness "
                       "vouched for): %s", err.message);
    if (p->max_age == 0 || vt_tlog_policy_witness_count(p->policy) == 0)
        return trusted(v); /* no bound, or no cosignature time to bound */
    uint64_t newest = newest_cosignature(p->policy, note);
    if (newest > now || now - newest <= p->max_age)
        return trusted(v);
    return verdict(v, VT_TRUST_STALE,
                   "stale checkpoint (possible freeze): the newest cosignature is %" PRIu64
                   " s old, more than the allowed %" PRIu64 " s",
                   now - newest, p->max_age);
}

vt_trust_kind vt_trust_checkpoint(const vt_trust_checkpoint_policy *p, const void *data,
                                  size_t len, uint64_t now, vt_tlog_checkpoint *cp_out,
                                  vt_trust_verdict *v)
{
    if (cp_out)
        memset(cp_out, 0, sizeof *cp_out);
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_note *note = NULL;
    vt_tlog_checkpoint cp = {0};
    vt_status st = vt_tlog_note_parse(data, len, &note, &err);
    if (st == VT_OK)
        st = vt_tlog_checkpoint_parse(note->text, note->text_len, &cp, &err);
    vt_trust_kind kind;
    if (st == VT_ERR_NOMEM)
        kind = verdict(v, VT_TRUST_ERROR, "%s", err.message);
    else if (st != VT_OK)
        kind = verdict(v, VT_TRUST_CORRUPT, "the checkpoint does not parse: %s", err.message);
    else
        kind = judge_note(p, note, &cp, now, v);
    vt_tlog_note_free(note);
    if (kind == VT_TRUST_OK && cp_out)
        *cp_out = cp;
    else
        vt_tlog_checkpoint_clear(&cp);
    return kind;
}

vt_trust_kind vt_trust_extends(const vt_tlog_checkpoint *old, const vt_tlog_checkpoint *cp,
                               const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t proof_len,
                               vt_trust_verdict *v)
{
    if (strcmp(old->origin, cp->origin) != 0)
        return verdict(v, VT_TRUST_WRONG_ORIGIN, "the log's origin changed from %s to %s",
                       old->origin, cp->origin);
    if (cp->size < old->size)
        return verdict(v, VT_TRUST_ROLLBACK,
                       "rollback: the log's checkpoint has size %" PRIu64
                       ", smaller than the trusted checkpoint's %" PRIu64,
                       cp->size, old->size);
    if (cp->size == old->size && memcmp(cp->root, old->root, VT_TLOG_HASH_SIZE) != 0)
        return verdict(v, VT_TRUST_FORK,
                       "inconsistent log (fork or split view): the checkpoint of size %" PRIu64
                       " has a different root than the trusted one of the same size",
                       cp->size);
    if (old->size == 0 || cp->size == old->size) {
        /* Everything extends the empty tree; a tree extends itself. Neither needs a proof. */
        if (proof_len != 0)
            return verdict(v, VT_TRUST_BAD_PROOF,
                           "a consistency proof from size %" PRIu64 " to %" PRIu64
                           " must be empty, this one has %zu hashes",
                           old->size, cp->size, proof_len);
        return trusted(v);
    }
    /* How many hashes the proof from old->size to cp->size has (RFC 9162 2.1.4.2). */
    uint64_t m = old->size, n = cp->size;
    unsigned inner = 64u - (unsigned)__builtin_clzll((m - 1) ^ (n - 1));
    unsigned shift = (unsigned)__builtin_ctzll(m);
    unsigned border = (unsigned)__builtin_popcountll(inner >= 64 ? 0 : (m - 1) >> inner);
    size_t want = (m == (1ull << shift) ? 0 : 1) + (inner - shift) + border;
    if (proof_len != want)
        return verdict(v, VT_TRUST_BAD_PROOF,
                       "malformed consistency proof: %zu hashes where %zu are needed from size "
                       "%" PRIu64 " to %" PRIu64,
                       proof_len, want, m, n);
    vt_error err;
    vt_error_clear(&err);
    if (vt_tlog_verify_consistency(m, n, proof, proof_len, old->root, VT_TLOG_HASH_SIZE, cp->root,
                                   VT_TLOG_HASH_SIZE, &err) != VT_OK)
        return verdict(v, VT_TRUST_FORK,
                       "inconsistent log (fork or split view): no valid consistency proof from "
                       "the trusted size %" PRIu64 " to %" PRIu64 ": %s",
                       m, n, err.message);
    return trusted(v);
}

vt_trust_kind vt_trust_inclusion(const vt_tlog_checkpoint *cp, uint64_t index, const void *entry,
                                 size_t entry_len, const unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                 size_t proof_len, vt_trust_verdict *v)
{
    if (index >= cp->size)
        return verdict(v, VT_TRUST_BAD_PROOF,
                       "entry %" PRIu64 " is not in the signed tree of size %" PRIu64, index,
                       cp->size);
    unsigned char leaf[VT_TLOG_HASH_SIZE];
    if (vt_tlog_leaf_hash(entry, entry_len, leaf) != VT_OK)
        return verdict(v, VT_TRUST_ERROR, "out of memory");
    vt_error err;
    vt_error_clear(&err);
    if (vt_tlog_verify_inclusion(index, cp->size, leaf, sizeof leaf, proof, proof_len, cp->root,
                                 sizeof cp->root, &err) != VT_OK)
        return verdict(v, VT_TRUST_BAD_PROOF,
                       "entry %" PRIu64 " as served does not match the signed tree of size "
                       "%" PRIu64 ": %s",
                       index, cp->size, err.message);
    return trusted(v);
}

vt_trust_kind vt_trust_proof(const vt_trust_checkpoint_policy *policy, const vt_tlog_proof *proof,
                             const void *entry, size_t entry_len, uint64_t now,
                             vt_tlog_checkpoint *cp_out, vt_trust_verdict *v)
{
    if (cp_out)
        memset(cp_out, 0, sizeof *cp_out);
    vt_tlog_checkpoint cp;
    vt_trust_kind kind =
        vt_trust_checkpoint(policy, proof->checkpoint, proof->checkpoint_len, now, &cp, v);
    if (kind != VT_TRUST_OK)
        return kind;
    kind = vt_trust_inclusion(&cp, proof->index, entry, entry_len,
                              (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof->hashes,
                              proof->hash_count, v);
    if (kind == VT_TRUST_OK && cp_out)
        *cp_out = cp;
    else
        vt_tlog_checkpoint_clear(&cp);
    return kind;
}

/* ---- witnesses ---- */

vt_trust_kind vt_trust_witness_answer(unsigned status, uint64_t size, int has_known,
                                      uint64_t known, vt_trust_verdict *v)
{
    switch (status) {
    case 200:
        return trusted(v);
    case 409:
        if (!has_known)
            return verdict(v, VT_TRUST_CORRUPT, "the witness answered 409 without a tree size");
        if (known > size)
            return verdict(v, VT_TRUST_ROLLBACK,
                           "rollback: the witness has seen a tree of size %" PRIu64
                           ", larger than ours (%" PRIu64 "): this log was rolled back or forked",
                           known, size);
        return trusted(v);
    case 403:
        return verdict(v, VT_TRUST_BAD_SIGNATURE,
                       "the witness found no valid signature by the log's key (403)");
    case 404:
        return verdict(v, VT_TRUST_WRONG_ORIGIN, "the witness does not know this log (404)");
    case 422:
        return verdict(v, VT_TRUST_FORK,
                       "inconsistent log (fork or split view): the witness found that the "
                       "checkpoint does not extend the one it stored (422)");
    case 400:
        return verdict(v, VT_TRUST_CORRUPT, "the witness could not parse the request (400)");
    default:
        return verdict(v, VT_TRUST_UNAVAILABLE, "unavailable: the witness answered HTTP %u", status);
    }
}

/* ---- bundles ---- */

vt_trust_kind vt_trust_bundle_entry(uint64_t bundle_index, uint64_t index,
                                    const unsigned char sha256[32], const void *entry,
                                    size_t entry_len, vt_trust_verdict *v)
{
    if (index >= bundle_index)
        return verdict(v, VT_TRUST_BAD_PROOF,
                       "the bundle at %" PRIu64 " names entry %" PRIu64
                       ", which is not before it in the log",
                       bundle_index, index);
    unsigned char hash[32];
    vt_distrib_sha256(entry, entry_len, hash);
    if (memcmp(hash, sha256, 32) != 0)
        return verdict(v, VT_TRUST_BAD_PROOF,
                       "the bundle names entry %" PRIu64 " with a hash the logged entry does not "
                       "have",
                       index);
    return trusted(v);
}

vt_trust_kind vt_trust_may_replace(const vt_trust_bundle *installed,
                                   const vt_trust_bundle *candidate, const char *engine_version,
                                   int *is_new, vt_trust_verdict *v)
{
    if (is_new)
        *is_new = 0;
    if (candidate->min_engine && candidate->min_engine[0]) {
        int cmp = 0;
        if (vt_distrib_version_compare(candidate->min_engine, engine_version, &cmp, NULL) != VT_OK)
            return verdict(v, VT_TRUST_CORRUPT, "the bundle's min-engine '%s' is not a version",
                           candidate->min_engine);
        if (cmp > 0)
            return verdict(v, VT_TRUST_INCOMPATIBLE,
                           "the bundle needs vitrine %s or newer (this is %s)",
                           candidate->min_engine, engine_version);
    }
    if (installed && candidate->serial < installed->serial)
        return verdict(v, VT_TRUST_ROLLBACK,
                       "rollback: the log's newest bundle has serial %" PRIu64
                       ", lower than the installed %" PRIu64,
                       candidate->serial, installed->serial);
    if (installed && candidate->serial == installed->serial) {
        if (memcmp(candidate->sha256, installed->sha256, 32) != 0)
            return verdict(v, VT_TRUST_ROLLBACK,
                           "rollback: the log's newest bundle reuses the installed serial %" PRIu64
                           " with different content",
                           installed->serial);
        return trusted(v); /* the installed bundle itself */
    }
    if (is_new)
        *is_new = 1;
    return trusted(v);
}
