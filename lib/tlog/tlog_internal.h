/* tlog_internal.h: helpers shared by the files of lib/tlog and by nothing else: text checks
 * (UTF-8, key names, decimals) and the private parts of the key structures. */
#ifndef VITRINE_TLOG_INTERNAL_H
#define VITRINE_TLOG_INTERNAL_H

#include <openssl/evp.h>

#include <vitrine/tlog.h>

struct vt_tlog_signer {
    char name[VT_TLOG_MAX_KEY_NAME + 1];
    int type;
    uint32_t id;
    unsigned char seed[32];
    unsigned char pub[32];
    EVP_PKEY *pkey;
};

struct vt_tlog_verifier {
    char name[VT_TLOG_MAX_KEY_NAME + 1];
    int type;
    uint32_t id;
    unsigned char pub[32];
    EVP_PKEY *pkey;
};

/* Length of the valid UTF-8 sequence at s (at most `left` bytes), 0 if invalid; *cp receives
 * the code point. */
size_t vt_tlog_utf8_next(const unsigned char *s, size_t left, uint32_t *cp);
int vt_tlog_is_unicode_space(uint32_t cp);
/* A key name: non-empty, at most VT_TLOG_MAX_KEY_NAME bytes, UTF-8, no spaces, no '+', no
 * control characters. */
int vt_tlog_valid_key_name(const char *s, size_t len);
/* A decimal without leading zeros (except "0") that fits in 63 bits. */
int vt_tlog_parse_decimal(const char *s, size_t len, uint64_t *out);

/* Ed25519 over OpenSSL. */
vt_status vt_tlog_ed25519_sign(EVP_PKEY *key, const unsigned char *msg, size_t len,
                            unsigned char sig[64]);
int vt_tlog_ed25519_verify(EVP_PKEY *key, const unsigned char *msg, size_t len,
                        const unsigned char *sig, size_t sig_len);

/* The right edge of a tree: for each tile level T, the level-8T node hashes of the rightmost,
 * incomplete tile (count[T] of them). Enough to compute the root of the tree of `size`. */
struct tlog_edge {
    unsigned char hashes[8][VT_TLOG_TILE_WIDTH][VT_TLOG_HASH_SIZE];
    unsigned count[8];
};
vt_status vt_tlog_edge_root(const struct tlog_edge *edge, uint64_t size,
                         unsigned char root[VT_TLOG_HASH_SIZE]);
/* Root of 2^k hashes forming a perfect subtree. */
void vt_tlog_perfect_root(const unsigned char (*hashes)[VT_TLOG_HASH_SIZE], unsigned k,
                       unsigned char out[VT_TLOG_HASH_SIZE]);

#endif
