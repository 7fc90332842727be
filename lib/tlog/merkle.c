/* merkle.c: RFC 6962 Merkle tree hashing, and inclusion and consistency proofs: generation from
 * hashes of complete subtrees (which the tiles store) and verification. The verification follows
 * the decomposition used by transparency-dev/merkle: an inclusion proof is an "inner" part that
 * climbs the perfect subtree containing the leaf, then a "border" part of left siblings. */
/* OpenSSL 3 deprecates the SHA256_* functions in favour of EVP, but its EVP path costs a
 * provider lookup per digest: SHA256() takes ~1.7 us for a 65-byte node here, SHA256_Init/
 * Update/Final ~0.3 us, and an inclusion proof at 10 million entries hashes ~750 nodes from its
 * tiles. The low-level functions are still in libcrypto 3 and use the same SHA-NI/AVX2 code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>

#include <openssl/sha.h>

#include <vitrine/tlog.h>

vt_status vt_tlog_leaf_hash(const void *data, size_t len, unsigned char out[VT_TLOG_HASH_SIZE])
{
    static const unsigned char prefix = 0x00;
    SHA256_CTX ctx;
    int ok = SHA256_Init(&ctx) && SHA256_Update(&ctx, &prefix, 1) && SHA256_Update(&ctx, data, len) &&
             SHA256_Final(out, &ctx);
    return ok ? VT_OK : VT_ERR_ARGUMENT;
}

void vt_tlog_node_hash(const unsigned char left[VT_TLOG_HASH_SIZE],
                       const unsigned char right[VT_TLOG_HASH_SIZE],
                       unsigned char out[VT_TLOG_HASH_SIZE])
{
    unsigned char buf[1 + 2 * VT_TLOG_HASH_SIZE];
    buf[0] = 0x01;
    memcpy(buf + 1, left, VT_TLOG_HASH_SIZE);
    memcpy(buf + 1 + VT_TLOG_HASH_SIZE, right, VT_TLOG_HASH_SIZE);
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, buf, sizeof buf);
    SHA256_Final(out, &ctx);
}

void vt_tlog_empty_root(unsigned char out[VT_TLOG_HASH_SIZE])
{
    SHA256((const unsigned char *)"", 0, out);
}

/* ---- verification ---- */

static int bit_length(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

static void chain_inner(unsigned char seed[VT_TLOG_HASH_SIZE],
                        const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t n, uint64_t index)
{
    for (size_t i = 0; i < n; i++) {
        if (((index >> i) & 1) == 0)
            vt_tlog_node_hash(seed, proof[i], seed);
        else
            vt_tlog_node_hash(proof[i], seed, seed);
    }
}

static void chain_inner_right(unsigned char seed[VT_TLOG_HASH_SIZE],
                              const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t n,
                              uint64_t index)
{
    for (size_t i = 0; i < n; i++)
        if ((index >> i) & 1)
            vt_tlog_node_hash(proof[i], seed, seed);
}

static void chain_border_right(unsigned char seed[VT_TLOG_HASH_SIZE],
                               const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t n)
{
    for (size_t i = 0; i < n; i++)
        vt_tlog_node_hash(proof[i], seed, seed);
}

vt_status vt_tlog_verify_inclusion(uint64_t index, uint64_t size, const unsigned char *leaf_hash,
                                   size_t leaf_hash_len,
                                   const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t proof_len,
                                   const unsigned char *root, size_t root_len, vt_error *err)
{
    if (index >= size)
        return vt_error_set(err, VT_ERR_VERIFY, "inclusion proof: index %llu is not below size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    if (leaf_hash_len != VT_TLOG_HASH_SIZE || root_len != VT_TLOG_HASH_SIZE)
        return vt_error_set(err, VT_ERR_VERIFY, "inclusion proof: hashes must be 32 bytes");
    size_t inner = (size_t)bit_length(index ^ (size - 1));
    size_t border = (size_t)__builtin_popcountll(inner >= 64 ? 0 : index >> inner);
    if (proof_len != inner + border)
        return vt_error_set(err, VT_ERR_VERIFY,
                            "inclusion proof: %zu hashes where %zu are needed for index %llu of %llu",
                            proof_len, inner + border, (unsigned long long)index,
                            (unsigned long long)size);
    unsigned char hash[VT_TLOG_HASH_SIZE];
    memcpy(hash, leaf_hash, VT_TLOG_HASH_SIZE);
    chain_inner(hash, proof, inner, index);
    chain_border_right(hash, proof + inner, border);
    if (memcmp(hash, root, VT_TLOG_HASH_SIZE) != 0)
        return vt_error_set(err, VT_ERR_VERIFY, "inclusion proof does not lead to the root");
    return VT_OK;
}

vt_status vt_tlog_verify_consistency(uint64_t size1, uint64_t size2,
                                     const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t proof_len,
                                     const unsigned char *root1, size_t root1_len,
                                     const unsigned char *root2, size_t root2_len, vt_error *err)
{
    if (size2 < size1)
        return vt_error_set(err, VT_ERR_VERIFY, "consistency proof: size %llu is below size %llu",
                            (unsigned long long)size2, (unsigned long long)size1);
    /* As transparency-dev/merkle: nothing is consistent "from" the empty tree; ask no such proof. */
    if (size1 == 0)
        return vt_error_set(err, VT_ERR_VERIFY, "consistency proof from the empty tree proves nothing");
    if (size1 == size2) {
        if (proof_len)
            return vt_error_set(err, VT_ERR_VERIFY, "consistency proof between equal sizes is not empty");
        if (root1_len != root2_len || memcmp(root1, root2, root1_len) != 0)
            return vt_error_set(err, VT_ERR_VERIFY, "trees of equal size have different roots");
        return VT_OK;
    }
    if (root1_len != VT_TLOG_HASH_SIZE || root2_len != VT_TLOG_HASH_SIZE)
        return vt_error_set(err, VT_ERR_VERIFY, "consistency proof: roots must be 32 bytes");
    if (proof_len == 0)
        return vt_error_set(err, VT_ERR_VERIFY, "consistency proof is empty");
    size_t inner = (size_t)bit_length((size1 - 1) ^ (size2 - 1));
    size_t border = (size_t)__builtin_popcountll(inner >= 64 ? 0 : (size1 - 1) >> inner);
    size_t shift = (size_t)__builtin_ctzll(size1);
    inner -= shift;
    const unsigned char *seed = proof[0];
    size_t start = 1;
    if (size1 == (1ull << shift)) {
        seed = root1;
        start = 0;
    }
    if (proof_len != start + inner + border)
        return vt_error_set(err, VT_ERR_VERIFY,
                            "consistency proof: %zu hashes where %zu are needed from %llu to %llu",
                            proof_len, start + inner + border, (unsigned long long)size1,
                            (unsigned long long)size2);
    const unsigned char (*rest)[VT_TLOG_HASH_SIZE] = proof + start;
    uint64_t mask = (size1 - 1) >> shift;
    unsigned char hash1[VT_TLOG_HASH_SIZE], hash2[VT_TLOG_HASH_SIZE];
    memcpy(hash1, seed, VT_TLOG_HASH_SIZE);
    chain_inner_right(hash1, rest, inner, mask);
    chain_border_right(hash1, rest + inner, border);
    if (memcmp(hash1, root1, VT_TLOG_HASH_SIZE) != 0)
        return vt_error_set(err, VT_ERR_VERIFY, "consistency proof does not lead to the old root");
    memcpy(hash2, seed, VT_TLOG_HASH_SIZE);
    chain_inner(hash2, rest, inner, mask);
    chain_border_right(hash2, rest + inner, border);
    if (memcmp(hash2, root2, VT_TLOG_HASH_SIZE) != 0)
        return vt_error_set(err, VT_ERR_VERIFY, "consistency proof does not lead to the new root");
    return VT_OK;
}

/* ---- generation ---- */

struct prover {
    vt_tlog_subtree_fn subtree;
    void *ctx;
    unsigned char (*proof)[VT_TLOG_HASH_SIZE];
    size_t len;
    vt_error *err;
};

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    return 1ull << (bit_length(n - 1) - 1);
}

/* MTH(D[lo:hi]) for a range that arises in RFC 6962's recursion (lo aligned to the split). */
static vt_status range_hash(struct prover *p, uint64_t lo, uint64_t hi,
                            unsigned char out[VT_TLOG_HASH_SIZE])
{
    uint64_t n = hi - lo;
    if ((n & (n - 1)) == 0) {
        unsigned level = (unsigned)__builtin_ctzll(n);
        if ((lo & (n - 1)) == 0)
            return p->subtree(p->ctx, level, lo >> level, out, p->err);
    }
    uint64_t k = split_point(n);
    unsigned char left[VT_TLOG_HASH_SIZE], right[VT_TLOG_HASH_SIZE];
    vt_status st = range_hash(p, lo, lo + k, left);
    if (st == VT_OK)
        st = range_hash(p, lo + k, hi, right);
    if (st == VT_OK)
        vt_tlog_node_hash(left, right, out);
    return st;
}

static vt_status push_range(struct prover *p, uint64_t lo, uint64_t hi)
{
    if (p->len >= VT_TLOG_MAX_PROOF_HASHES)
        return vt_error_set(p->err, VT_ERR_LIMIT, "proof longer than %u hashes",
                            VT_TLOG_MAX_PROOF_HASHES);
    vt_status st = range_hash(p, lo, hi, p->proof[p->len]);
    if (st == VT_OK)
        p->len++;
    return st;
}

static vt_status inclusion_path(struct prover *p, uint64_t m, uint64_t lo, uint64_t hi)
{
    if (hi - lo <= 1)
        return VT_OK;
    uint64_t k = split_point(hi - lo);
    vt_status st;
    if (m < lo + k) {
        st = inclusion_path(p, m, lo, lo + k);
        return st == VT_OK ? push_range(p, lo + k, hi) : st;
    }
    st = inclusion_path(p, m, lo + k, hi);
    return st == VT_OK ? push_range(p, lo, lo + k) : st;
}

static vt_status consistency_subproof(struct prover *p, uint64_t m, uint64_t lo, uint64_t hi,
                                      int whole)
{
    uint64_t n = hi - lo;
    if (m == n)
        return whole ? VT_OK : push_range(p, lo, hi);
    uint64_t k = split_point(n);
    vt_status st;
    if (m <= k) {
        st = consistency_subproof(p, m, lo, lo + k, whole);
        return st == VT_OK ? push_range(p, lo + k, hi) : st;
    }
    st = consistency_subproof(p, m - k, lo + k, hi, 0);
    return st == VT_OK ? push_range(p, lo, lo + k) : st;
}

vt_status vt_tlog_tree_hash(vt_tlog_subtree_fn subtree, void *ctx, uint64_t size,
                            unsigned char root[VT_TLOG_HASH_SIZE], vt_error *err)
{
    if (size == 0) {
        vt_tlog_empty_root(root);
        return VT_OK;
    }
    struct prover p = {subtree, ctx, NULL, 0, err};
    return range_hash(&p, 0, size, root);
}

vt_status vt_tlog_prove_inclusion(vt_tlog_subtree_fn subtree, void *ctx, uint64_t index,
                                  uint64_t size, unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                  size_t *proof_len, vt_error *err)
{
    *proof_len = 0;
    if (index >= size)
        return vt_error_set(err, VT_ERR_ARGUMENT, "index %llu is not below the tree size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    struct prover p = {subtree, ctx, proof, 0, err};
    vt_status st = inclusion_path(&p, index, 0, size);
    if (st == VT_OK)
        *proof_len = p.len;
    return st;
}

vt_status vt_tlog_prove_consistency(vt_tlog_subtree_fn subtree, void *ctx, uint64_t size1,
                                    uint64_t size2, unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                    size_t *proof_len, vt_error *err)
{
    *proof_len = 0;
    if (size1 > size2)
        return vt_error_set(err, VT_ERR_ARGUMENT, "old size %llu is above new size %llu",
                            (unsigned long long)size1, (unsigned long long)size2);
    if (size1 == 0 || size1 == size2)
        return VT_OK;
    struct prover p = {subtree, ctx, proof, 0, err};
    vt_status st = consistency_subproof(&p, size1, 0, size2, 1);
    if (st == VT_OK)
        *proof_len = p.len;
    return st;
}
