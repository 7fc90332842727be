/* vitrine/trust.h: the trust core. Every decision "do I trust this checkpoint / entry / bundle?"
 * is made here, once, by pure functions over data already fetched: no I/O, no clock reads (the
 * time is an argument), no global state. Each returns a verdict: a kind and a reason a person can
 * act on. Callers (vt_update, vt_installed_load, `vitrine monitor`, the witness server and the
 * witness client; docs/ARCHITECTURE.md "Trust core") fetch, call, and report.
 *
 * Promises:
 * - A verdict is either VT_TRUST_OK or says what the data looks like. Kinds for which
 *   vt_trust_is_evidence() is true (fork, rollback, bad signature, ...) are evidence that the log
 *   or the server misbehaved; VT_TRUST_UNAVAILABLE (data that could not be fetched) never is.
 * - Nothing here reads a file, the network or the clock.
 */
#ifndef VITRINE_TRUST_H
#define VITRINE_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/tlog.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vt_trust_kind {
    VT_TRUST_OK = 0,
    VT_TRUST_UNAVAILABLE,   /* data could not be fetched (network, timeout, missing file) */
    VT_TRUST_CORRUPT,       /* data does not parse (unsigned bytes: not evidence by itself) */
    VT_TRUST_ERROR,         /* the check itself could not run (out of memory) */
    VT_TRUST_INCOMPATIBLE,  /* needs a newer engine */
    VT_TRUST_WRONG_ORIGIN,  /* from a log the policy or key does not name, or origin changed */
    VT_TRUST_BAD_SIGNATURE, /* no valid signature by the log's key */
    VT_TRUST_NO_QUORUM,     /* the cosignatures do not satisfy the policy's quorum */
    VT_TRUST_STALE,         /* the newest cosignature is older than allowed (a freeze?) */
    VT_TRUST_FORK,          /* two views of the log that cannot both be true */
    VT_TRUST_ROLLBACK,      /* older than what was already trusted */
    VT_TRUST_BAD_PROOF,     /* a proof is malformed or does not lead to the signed root */
} vt_trust_kind;

#define VT_TRUST_MAX_REASON 768u

typedef struct vt_trust_verdict {
    vt_trust_kind kind;
    char reason[VT_TRUST_MAX_REASON];
} vt_trust_verdict;

/* Short stable name, e.g. "fork", "unavailable". */
VT_API const char *vt_trust_kind_name(vt_trust_kind kind);
/* 1 when the kind is evidence of misbehaviour (exit status 1 in the CLI), 0 otherwise. */
VT_API int vt_trust_is_evidence(vt_trust_kind kind);
/* The status a verdict maps to: VT_OK, VT_ERR_VERIFY for evidence, VT_ERR_NETWORK for
 * unavailable, VT_ERR_FORMAT for corrupt, VT_ERR_STATE for incompatible, VT_ERR_NOMEM for error.
 * Fills err with "CONTEXT: reason" (CONTEXT may be NULL) and returns that status. */
VT_API vt_status vt_trust_error(const vt_trust_verdict *verdict, const char *context,
                                vt_error *err);
/* The verdict for data that could not be fetched: UNAVAILABLE (ERROR for VT_ERR_NOMEM), reason
 * "unavailable: <what failed>" from the fetch's error. Returns the kind. */
VT_API vt_trust_kind vt_trust_unavailable(vt_trust_verdict *verdict, const vt_error *fetch_err);

/* ---- checkpoints ---- */

typedef struct vt_trust_checkpoint_policy {
    const vt_tlog_policy *policy;    /* logs, witnesses, quorum; NULL: log_key only, no quorum */
    const vt_tlog_verifier *log_key; /* NULL: the policy's log for the checkpoint's origin */
    uint64_t max_age;                /* seconds the newest witness cosignature may be old at
                                        `now`; 0: no bound (also when the policy has no witness) */
} vt_trust_checkpoint_policy;

/* Verify a signed checkpoint note against a policy at time `now` (Unix seconds): it parses
 * (CORRUPT), is of a log the policy names / of log_key's name (WRONG_ORIGIN), carries a valid
 * signature by that log (BAD_SIGNATURE), cosignatures satisfying the quorum (NO_QUORUM), and a
 * newest cosignature at most max_age old (STALE). On VT_TRUST_OK, *cp (optional) receives the
 * checkpoint (clear it with vt_tlog_checkpoint_clear). */
VT_API vt_trust_kind vt_trust_checkpoint(const vt_trust_checkpoint_policy *policy, const void *note,
                                         size_t len, uint64_t now, vt_tlog_checkpoint *cp,
                                         vt_trust_verdict *verdict);

/* Does `next` extend the trusted checkpoint `trusted`, given a consistency proof from
 * trusted->size to next->size? Another origin is WRONG_ORIGIN, a smaller tree ROLLBACK, the same
 * size with another root FORK, a proof of the wrong length BAD_PROOF, a well-formed proof that
 * does not verify FORK. From the empty tree and between equal sizes the proof must be empty. */
VT_API vt_trust_kind vt_trust_extends(const vt_tlog_checkpoint *trusted,
                                      const vt_tlog_checkpoint *next,
                                      const unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                      size_t proof_len,
                                      vt_trust_verdict *verdict);

/* Is `entry` the leaf at `index` of the tree of the (already trusted) checkpoint cp? An index
 * beyond the tree or a proof that does not lead to cp's root is BAD_PROOF. */
VT_API vt_trust_kind vt_trust_inclusion(const vt_tlog_checkpoint *cp, uint64_t index,
                                        const void *entry,
                                        size_t entry_len,
                                        const unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                        size_t proof_len, vt_trust_verdict *verdict);

/* A tlog-proof (c2sp.org/tlog-proof) for `entry`: its checkpoint passes vt_trust_checkpoint
 * under `policy` at `now`, and the entry is included in that tree at the proof's index
 * (vt_trust_inclusion). On VT_TRUST_OK, *cp (optional) receives the checkpoint. */
VT_API vt_trust_kind vt_trust_proof(const vt_trust_checkpoint_policy *policy,
                                    const vt_tlog_proof *proof,
                                    const void *entry, size_t entry_len, uint64_t now,
                                    vt_tlog_checkpoint *cp, vt_trust_verdict *verdict);

/* ---- witnesses ---- */

/* A witness's answer to our add-checkpoint (c2sp.org/tlog-witness) for a checkpoint of tree size
 * `size`. 200 is OK. 409 carries the size the witness knows (has_known = 0 when the body was
 * not a size): at most ours is OK (submit again from it), above ours ROLLBACK (it has seen a
 * larger tree of this log: ours is rolled back or a fork), no size CORRUPT. 403 BAD_SIGNATURE,
 * 404 WRONG_ORIGIN, 422 FORK (our consistency proof does not extend what it stored), 400
 * CORRUPT; any other status (5xx, a redirect) UNAVAILABLE. */
VT_API vt_trust_kind vt_trust_witness_answer(unsigned http_status, uint64_t size, int has_known,
                                             uint64_t known, vt_trust_verdict *verdict);

/* ---- bundles ---- */

typedef struct vt_trust_bundle {
    uint64_t serial;
    unsigned char sha256[32]; /* of the bundle entry's bytes */
    const char *min_engine;   /* MAJOR.MINOR.PATCH; NULL or "" for no requirement */
} vt_trust_bundle;

/* Is `entry` the rule entry that the bundle at log index bundle_index names as (index, sha256)?
 * A named index not before the bundle, or an entry with another SHA-256, is BAD_PROOF (an
 * "unlogged entry": the bundle names something the log does not hold). */
VT_API vt_trust_kind vt_trust_bundle_entry(uint64_t bundle_index, uint64_t index,
                                           const unsigned char sha256[32], const void *entry,
                                           size_t entry_len, vt_trust_verdict *verdict);

/* May `candidate` replace `installed` (NULL: nothing installed) on an engine of version
 * `engine_version`? A min_engine above it is INCOMPATIBLE; a lower serial, or the same serial
 * with other content, is ROLLBACK. On VT_TRUST_OK, *is_new (optional) is 0 when the candidate
 * is the installed bundle itself (nothing to do), 1 otherwise. */
VT_API vt_trust_kind vt_trust_may_replace(const vt_trust_bundle *installed,
                                          const vt_trust_bundle *candidate,
                                          const char *engine_version,
                                          int *is_new, vt_trust_verdict *verdict);

#ifdef __cplusplus
}
#endif

#endif
