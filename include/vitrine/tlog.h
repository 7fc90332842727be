/* vitrine/tlog.h: the transparency log. RFC 6962 Merkle hashing and proofs, C2SP signed notes
 * with Ed25519 keys in Go's note format, checkpoints, cosignatures (cosignature/v1), tlog-proof,
 * tlog-policy, a log stored as static files in the C2SP tlog-tiles layout (one durable writer),
 * and a reader that works over a transport: a directory, HTTP(S), or the caller's callback.
 *
 * Promises:
 * - Everything that parses untrusted input (notes, keys, checkpoints, proofs, policies, tiles,
 *   entry bundles, anything fetched) enforces the hard limits below and refuses malformed input
 *   with VT_ERR_SYNTAX / VT_ERR_FORMAT / VT_ERR_LIMIT; it never trusts a length it has not checked.
 * - Signature and proof failures are VT_ERR_VERIFY.
 * - Base64 is strict (RFC 4648 standard alphabet, canonical padding); decimal numbers have no
 *   leading zeros.
 * - The writer acknowledges an append (returns VT_OK) only once the entries, the tiles and the
 *   checkpoint covering them are durable on disk; a crash at any point leaves a log that opens,
 *   verifies, and continues from its last published checkpoint (docs/log.md has the argument).
 * - No global mutable state; objects may be used from one thread at a time each.
 */
#ifndef VITRINE_TLOG_H
#define VITRINE_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VT_TLOG_HASH_SIZE 32
#define VT_TLOG_TILE_HEIGHT 8
#define VT_TLOG_TILE_WIDTH 256

/* Hard limits. */
#define VT_TLOG_MAX_ENTRY 65535u              /* bytes in one entry (2-byte length prefix) */
#define VT_TLOG_MAX_TILE (VT_TLOG_TILE_WIDTH * VT_TLOG_HASH_SIZE)
#define VT_TLOG_MAX_BUNDLE (VT_TLOG_TILE_WIDTH * (VT_TLOG_MAX_ENTRY + 2u))
#define VT_TLOG_MAX_NOTE 65536u               /* bytes in a signed note (checkpoint) */
#define VT_TLOG_MAX_NOTE_LINES 1024u          /* lines of note text */
#define VT_TLOG_MAX_SIGNATURES 64u            /* signature lines in a note (spec: >= 16) */
#define VT_TLOG_MAX_KEY_NAME 256u             /* bytes in a key name or checkpoint origin */
#define VT_TLOG_MAX_PROOF_HASHES 64u          /* hashes in an inclusion or consistency proof */
#define VT_TLOG_MAX_PROOF_TEXT (VT_TLOG_MAX_NOTE + 8192u + 131072u) /* a tlog-proof file */
#define VT_TLOG_MAX_POLICY 262144u            /* bytes in a policy file */
#define VT_TLOG_MAX_POLICY_ITEMS 256u         /* logs, witnesses or groups in a policy */

/* Signature types of C2SP signed-note. */
enum { VT_TLOG_SIG_ED25519 = 0x01, VT_TLOG_SIG_COSIGNATURE_V1 = 0x04 };

/* ---- RFC 6962 hashing and proofs ---- */

/* SHA-256(0x00 || data). */
VT_API vt_status vt_tlog_leaf_hash(const void *data, size_t len,
                                   unsigned char out[VT_TLOG_HASH_SIZE]);
/* SHA-256(0x01 || left || right). */
VT_API void vt_tlog_node_hash(const unsigned char left[VT_TLOG_HASH_SIZE],
                              const unsigned char right[VT_TLOG_HASH_SIZE],
                              unsigned char out[VT_TLOG_HASH_SIZE]);
/* The root of the empty tree, SHA-256(""). */
VT_API void vt_tlog_empty_root(unsigned char out[VT_TLOG_HASH_SIZE]);

/* Check that leaf_hash is at index in the tree of `size` leaves with `root`. The proof and root
 * lengths are checked (hash_len: length of each given hash; anything but 32 fails). */
VT_API vt_status vt_tlog_verify_inclusion(uint64_t index, uint64_t size,
                                          const unsigned char *leaf_hash,
                                          size_t leaf_hash_len,
                                          const unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                          size_t proof_len, const unsigned char *root,
                                          size_t root_len,
                                          vt_error *err);
/* Check that the tree (size2, root2) extends the tree (size1, root1). */
VT_API vt_status vt_tlog_verify_consistency(uint64_t size1, uint64_t size2,
                                            const unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                            size_t proof_len,
                                            const unsigned char *root1, size_t root1_len,
                                            const unsigned char *root2, size_t root2_len,
                                            vt_error *err);

/* A source of hashes of complete subtrees: the node at `level` (0 = leaves) and `index`, i.e. the
 * root of leaves [index << level, (index + 1) << level). Proof generation needs only these. */
typedef vt_status (*vt_tlog_subtree_fn)(void *ctx, unsigned level, uint64_t index,
                                        unsigned char out[VT_TLOG_HASH_SIZE], vt_error *err);

VT_API vt_status vt_tlog_tree_hash(vt_tlog_subtree_fn subtree, void *ctx, uint64_t size,
                                   unsigned char root[VT_TLOG_HASH_SIZE], vt_error *err);
/* Inclusion proof of index in the tree of `size`; proof must hold VT_TLOG_MAX_PROOF_HASHES. */
VT_API vt_status vt_tlog_prove_inclusion(vt_tlog_subtree_fn subtree, void *ctx, uint64_t index,
                                         uint64_t size,
                                         unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                         size_t *proof_len,
                                         vt_error *err);
/* Consistency proof from size1 to size2 (0 < size1 <= size2, or an empty proof). */
VT_API vt_status vt_tlog_prove_consistency(vt_tlog_subtree_fn subtree, void *ctx, uint64_t size1,
                                           uint64_t size2,
                                           unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                           size_t *proof_len, vt_error *err);

/* ---- base64 (strict, standard alphabet) ---- */

/* Encode into out (NUL-terminated); out_size >= 4 * ((len + 2) / 3) + 1. */
VT_API void vt_tlog_base64_encode(const void *data, size_t len, char *out, size_t out_size);
/* Decode exactly `text_len` characters, refusing anything non-canonical. Output up to out_size. */
VT_API vt_status vt_tlog_base64_decode(const char *text, size_t text_len, unsigned char *out,
                                       size_t out_size, size_t *out_len);

/* ---- keys in Go's note format ---- */

typedef struct vt_tlog_signer vt_tlog_signer;     /* a private key: PRIVATE+KEY+name+id+base64 */
typedef struct vt_tlog_verifier vt_tlog_verifier; /* a verifier key: name+id+base64 */

/* A fresh key of signature type `type` (VT_TLOG_SIG_ED25519 for logs, VT_TLOG_SIG_COSIGNATURE_V1
 * for witnesses). *private_text and *vkey_text are malloc'd, NUL-terminated, without newline. */
VT_API vt_status vt_tlog_keygen(const char *name, int type, char **private_text, char **vkey_text,
                                vt_error *err);
/* The key ID: SHA-256(name || "\n" || type || public key)[:4], big-endian. */
VT_API uint32_t vt_tlog_key_id(const char *name, int type, const unsigned char pub[32]);

VT_API vt_status vt_tlog_signer_from_seed(const char *name, int type, const unsigned char seed[32],
                                          vt_tlog_signer **out, vt_error *err);
/* Parse a private key (surrounding whitespace allowed). */
VT_API vt_status vt_tlog_signer_parse(const char *text, size_t len, vt_tlog_signer **out,
                                      vt_error *err);
/* Read a private key file; refuses a file readable by group or others. */
VT_API vt_status vt_tlog_signer_load(const char *path, vt_tlog_signer **out, vt_error *err);
VT_API void vt_tlog_signer_free(vt_tlog_signer *signer);
VT_API const char *vt_tlog_signer_name(const vt_tlog_signer *signer);
/* The signer's verifier key text, malloc'd. */
VT_API vt_status vt_tlog_signer_vkey(const vt_tlog_signer *signer, char **vkey_text, vt_error *err);

VT_API vt_status vt_tlog_verifier_parse(const char *text, size_t len, vt_tlog_verifier **out,
                                        vt_error *err);
/* Read a vkey from a file, or take `arg` itself as the vkey when it is not a readable file. */
VT_API vt_status vt_tlog_verifier_load(const char *arg, vt_tlog_verifier **out, vt_error *err);
VT_API void vt_tlog_verifier_free(vt_tlog_verifier *verifier);
VT_API const char *vt_tlog_verifier_name(const vt_tlog_verifier *verifier);
VT_API uint32_t vt_tlog_verifier_id(const vt_tlog_verifier *verifier);
VT_API int vt_tlog_verifier_type(const vt_tlog_verifier *verifier);
/* Same underlying public key (policy duplicate rule). */
VT_API int vt_tlog_verifier_same_key(const vt_tlog_verifier *a, const vt_tlog_verifier *b);

/* ---- signed notes ---- */

typedef struct vt_tlog_note_sig {
    char name[VT_TLOG_MAX_KEY_NAME + 1];
    uint32_t key_id;
    unsigned char *sig; /* the signature after the 4-byte key ID */
    size_t sig_len;
} vt_tlog_note_sig;

typedef struct vt_tlog_note {
    char *text; /* the signed text, ending in newline; NUL-terminated */
    size_t text_len;
    vt_tlog_note_sig *sigs;
    size_t sig_count;
} vt_tlog_note;

/* Parse a signed note (limits: VT_TLOG_MAX_NOTE bytes, VT_TLOG_MAX_NOTE_LINES lines,
 * VT_TLOG_MAX_SIGNATURES signatures; UTF-8, no control characters but newline). */
VT_API vt_status vt_tlog_note_parse(const void *data, size_t len, vt_tlog_note **out,
                                    vt_error *err);
VT_API void vt_tlog_note_free(vt_tlog_note *note);

/* Append one signature line ("— name base64\n") by signer over `text` to out. For a cosigner
 * (type 4) the signed message is cosignature/v1 with `timestamp`; otherwise timestamp is unused. */
VT_API vt_status vt_tlog_sign_line(const vt_tlog_signer *signer, const char *text, size_t text_len,
                                   uint64_t timestamp, vt_buf *out, vt_error *err);
/* text + blank line + one signature by signer, appended to out. */
VT_API vt_status vt_tlog_note_sign(const vt_tlog_signer *signer, const char *text, size_t text_len,
                                   vt_buf *out, vt_error *err);
/* VT_OK if the note carries a signature by `verifier` (name and key ID match) that verifies;
 * VT_ERR_VERIFY if none does or a matching one fails. For a cosigner key, *timestamp (if not
 * NULL) receives the cosignature's time. */
VT_API vt_status vt_tlog_note_verify(const vt_tlog_note *note, const vt_tlog_verifier *verifier,
                                     uint64_t *timestamp, vt_error *err);

/* ---- checkpoints ---- */

typedef struct vt_tlog_checkpoint {
    char origin[VT_TLOG_MAX_KEY_NAME + 1];
    uint64_t size;
    unsigned char root[VT_TLOG_HASH_SIZE];
    char *extensions; /* extension lines, each ending in newline; NULL when none */
    size_t extensions_len;
} vt_tlog_checkpoint;

/* Parse checkpoint note text (origin, size, root, extension lines). */
VT_API vt_status vt_tlog_checkpoint_parse(const char *text, size_t len, vt_tlog_checkpoint *out,
                                          vt_error *err);
/* Format the checkpoint text (without signatures), appended to out. */
VT_API vt_status vt_tlog_checkpoint_format(const vt_tlog_checkpoint *cp, vt_buf *out,
                                           vt_error *err);
/* Parse a signed checkpoint and verify it with log_key; *note_out (optional) keeps the note. */
VT_API vt_status vt_tlog_checkpoint_open(const void *data, size_t len,
                                         const vt_tlog_verifier *log_key,
                                         vt_tlog_checkpoint *out, vt_tlog_note **note_out,
                                         vt_error *err);
VT_API void vt_tlog_checkpoint_clear(vt_tlog_checkpoint *cp);

/* ---- cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) ---- */

/* Add a cosignature by witness (type 4) at `timestamp` to a signed note: out = note + line. */
VT_API vt_status vt_tlog_cosign(const vt_tlog_signer *witness, const void *signed_note, size_t len,
                                uint64_t timestamp, vt_buf *out, vt_error *err);

/* ---- tlog-policy ---- */

typedef struct vt_tlog_policy vt_tlog_policy;

VT_API vt_status vt_tlog_policy_parse(const char *text, size_t len, vt_tlog_policy **out,
                                      vt_error *err);
VT_API void vt_tlog_policy_free(vt_tlog_policy *policy);
VT_API size_t vt_tlog_policy_log_count(const vt_tlog_policy *policy);
VT_API const vt_tlog_verifier *vt_tlog_policy_log(const vt_tlog_policy *policy, size_t i);
VT_API const char *vt_tlog_policy_log_url(const vt_tlog_policy *policy,
                                          size_t i); /* NULL if none */
VT_API size_t vt_tlog_policy_witness_count(const vt_tlog_policy *policy);
VT_API const vt_tlog_verifier *vt_tlog_policy_witness(const vt_tlog_policy *policy, size_t i);
VT_API const char *vt_tlog_policy_witness_url(const vt_tlog_policy *policy, size_t i);
/* The log key of the policy whose name is `origin`, or NULL. */
VT_API const vt_tlog_verifier *vt_tlog_policy_log_for(const vt_tlog_policy *policy,
                                                      const char *origin);
/* Check a signed checkpoint: signed by one of the policy's logs (or by log_key when not NULL)
 * and cosigned by witnesses satisfying the quorum. */
VT_API vt_status vt_tlog_policy_check(const vt_tlog_policy *policy, const vt_tlog_verifier *log_key,
                                      const vt_tlog_note *note, vt_error *err);

/* ---- tlog-proof (c2sp.org/tlog-proof@v1) ---- */

typedef struct vt_tlog_proof {
    int has_extra;
    unsigned char *extra;
    size_t extra_len;
    uint64_t index;
    size_t hash_count;
    unsigned char hashes[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    unsigned char *checkpoint; /* the signed checkpoint note, verbatim */
    size_t checkpoint_len;
} vt_tlog_proof;

VT_API vt_status vt_tlog_proof_parse(const void *data, size_t len, vt_tlog_proof *out,
                                     vt_error *err);
VT_API vt_status vt_tlog_proof_format(const vt_tlog_proof *proof, vt_buf *out, vt_error *err);
VT_API void vt_tlog_proof_clear(vt_tlog_proof *proof);
/* Whether to trust a proof (its checkpoint under a policy, the entry's inclusion) is the trust
 * core's vt_trust_proof (vitrine/trust.h). */

/* ---- tlog-tiles layout ---- */

/* "tile/L/N[.p/W]" with N in x-prefixed groups of three digits; width 256 means a full tile. */
VT_API int vt_tlog_tile_path(unsigned level, uint64_t index, unsigned width, char *out,
                             size_t out_size);
/* "tile/entries/N[.p/W]". */
VT_API int vt_tlog_bundle_path(uint64_t index, unsigned width, char *out, size_t out_size);
/* Split an entry bundle holding exactly `count` entries: offsets[i] and lengths[i] locate entry
 * i in data (arrays of VT_TLOG_TILE_WIDTH). Trailing bytes or a short bundle are refused. */
VT_API vt_status vt_tlog_bundle_parse(const unsigned char *data, size_t len, unsigned count,
                                      size_t *offsets, size_t *lengths, vt_error *err);

/* ---- the writer ---- */

typedef struct vt_tlog_writer vt_tlog_writer;

typedef struct vt_tlog_entry {
    const void *data;
    size_t len;
} vt_tlog_entry;

/* Create an empty log in dir (created if missing, must be empty) with a signed checkpoint of
 * size 0. The key's name must equal the origin. */
VT_API vt_status vt_tlog_create(const char *dir, const char *origin, const vt_tlog_signer *key,
                                vt_error *err);
/* Open a log for appending: takes the writer lock (VT_ERR_STATE when another writer holds it),
 * reads the published checkpoint with the key, rebuilds the right edge of the tree from the
 * stored tiles (checking it against the checkpoint root) and removes anything a crashed writer
 * left beyond the checkpoint. */
VT_API vt_status vt_tlog_writer_open(const char *dir, const vt_tlog_signer *key,
                                     vt_tlog_writer **out,
                                     vt_error *err);
/* Append a batch; on VT_OK the entries are durable and published, the first at *first_index. */
VT_API vt_status vt_tlog_writer_append(vt_tlog_writer *writer, const vt_tlog_entry *entries,
                                       size_t count,
                                       uint64_t *first_index, vt_error *err);
VT_API uint64_t vt_tlog_writer_size(const vt_tlog_writer *writer);
/* The currently published signed checkpoint (appended to out). */
VT_API vt_status vt_tlog_writer_checkpoint(vt_tlog_writer *writer, vt_buf *out, vt_error *err);
/* Publish the current checkpoint with cosignatures added (e.g. collected from witnesses):
 * `note` must have exactly the current checkpoint's text and a valid signature by the log; it
 * replaces the checkpoint file atomically. VT_ERR_STATE if the log has moved on. */
VT_API vt_status vt_tlog_writer_publish_cosigned(vt_tlog_writer *writer, const void *note,
                                                 size_t len,
                                                 vt_error *err);
VT_API void vt_tlog_writer_close(vt_tlog_writer *writer);

/* ---- transports: how a reader gets one file of the layout ---- */

typedef struct vt_tlog_transport {
    /* Put the file at `path` (relative to the log, e.g. "checkpoint", "tile/0/000") into out
     * (emptied first), refusing more than max bytes (VT_ERR_LIMIT). A missing file is
     * VT_ERR_NOT_FOUND; a transfer that failed (refused, timed out, truncated, an HTTP status
     * other than 200 and 404) VT_ERR_NETWORK or VT_ERR_IO. */
    vt_status (*fetch)(void *ctx, const char *path, size_t max, vt_buf *out, vt_error *err);
    void (*close)(void *ctx); /* frees ctx when the reader closes; may be NULL */
    void *ctx;
} vt_tlog_transport;

typedef struct vt_tlog_http_options {
    uint64_t deadline_ms;        /* the whole operation, from the transport's creation; 0: none */
    unsigned fetch_timeout_ms;   /* one fetch; 0: 60 s */
    unsigned connect_timeout_ms; /* 0: 10 s */
} vt_tlog_http_options;

/* Files of a directory. */
VT_API vt_status vt_tlog_transport_dir(const char *dir, vt_tlog_transport *out, vt_error *err);
/* Files under an http(s):// URL, with libcurl: no redirect is followed, every fetch is bounded by
 * the per-fetch timeout and what is left of the deadline. options may be NULL (defaults). */
VT_API vt_status vt_tlog_transport_http(const char *url, const vt_tlog_http_options *options,
                                        vt_tlog_transport *out, vt_error *err);

/* ---- the reader (over a transport: a directory, an http(s):// URL, or the caller's) ---- */

typedef struct vt_tlog_reader vt_tlog_reader;

/* A reader of the log at `location`: a directory, or an http(s):// URL with default options. */
VT_API vt_status vt_tlog_reader_open(const char *location, vt_tlog_reader **out, vt_error *err);
/* The same with HTTP options (unused for a directory). */
VT_API vt_status vt_tlog_reader_open_with(const char *location, const vt_tlog_http_options *options,
                                          vt_tlog_reader **out, vt_error *err);
/* A reader over the caller's transport, which it takes over (closed with the reader, or at once
 * if this fails). `location` names the log in messages (may be NULL). */
VT_API vt_status vt_tlog_reader_open_transport(const vt_tlog_transport *transport,
                                               const char *location,
                                               vt_tlog_reader **out, vt_error *err);
VT_API void vt_tlog_reader_close(vt_tlog_reader *reader);
/* Fetch one file of the layout (e.g. "checkpoint"), refusing more than max bytes. A missing file
 * is VT_ERR_NOT_FOUND. */
VT_API vt_status vt_tlog_reader_fetch(vt_tlog_reader *reader, const char *path, size_t max,
                                      vt_buf *out,
                                      vt_error *err);
/* Fetch the checkpoint and verify it with log_key; raw (optional) receives the signed note. */
VT_API vt_status vt_tlog_reader_checkpoint(vt_tlog_reader *reader, const vt_tlog_verifier *log_key,
                                           vt_tlog_checkpoint *cp, vt_buf *raw, vt_error *err);
/* The entry at index in the tree of `size` (unauthenticated bytes: check them with a proof). */
VT_API vt_status vt_tlog_reader_entry(vt_tlog_reader *reader, uint64_t size, uint64_t index,
                                      vt_buf *out,
                                      vt_error *err);
/* Proofs and tree hashes computed from the stored tiles (a few tiles per proof). They are as
 * trustworthy as the tiles: verify them against a signed root. */
VT_API vt_status vt_tlog_reader_tree_hash(vt_tlog_reader *reader, uint64_t size,
                                          unsigned char root[VT_TLOG_HASH_SIZE], vt_error *err);
VT_API vt_status vt_tlog_reader_prove_inclusion(vt_tlog_reader *reader, uint64_t size,
                                                uint64_t index,
                                                unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                                size_t *proof_len, vt_error *err);
VT_API vt_status vt_tlog_reader_prove_consistency(vt_tlog_reader *reader, uint64_t size1,
                                                  uint64_t size2,
                                                  unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                                  size_t *proof_len, vt_error *err);
/* Re-hash every entry and tile of the log and check the checkpoint signature and root. For a
 * directory, also checks every partial tile and bundle of every width present and every
 * "checkpoint.*" file (older checkpoints must be signed and match the tree at their size).
 * *cp (optional) receives the checkpoint. */
VT_API vt_status vt_tlog_reader_verify_log(vt_tlog_reader *reader, const vt_tlog_verifier *log_key,
                                           vt_tlog_checkpoint *cp, vt_error *err);

#ifdef __cplusplus
}
#endif

#endif
