/* edge.c: the root of a tree from its right edge (the incomplete tile at each level), which is
 * what the writer keeps in memory and what a full verification accumulates. */
#include <string.h>

#include "tlog_internal.h"

void vt_tlog_perfect_root(const unsigned char (*hashes)[VT_TLOG_HASH_SIZE], unsigned k,
                       unsigned char out[VT_TLOG_HASH_SIZE])
{
    if (k == 0) {
        memcpy(out, hashes[0], VT_TLOG_HASH_SIZE);
        return;
    }
    unsigned char left[VT_TLOG_HASH_SIZE], right[VT_TLOG_HASH_SIZE];
    vt_tlog_perfect_root(hashes, k - 1, left);
    vt_tlog_perfect_root(hashes + (1u << (k - 1)), k - 1, right);
    vt_tlog_node_hash(left, right, out);
}

/* Subtrees that the root of the tree needs all lie in the edge's tiles. */
static vt_status edge_subtree(void *ctx, unsigned level, uint64_t index,
                              unsigned char out[VT_TLOG_HASH_SIZE], vt_error *err)
{
    const struct tlog_edge *edge = ctx;
    unsigned t = level / VT_TLOG_TILE_HEIGHT, k = level % VT_TLOG_TILE_HEIGHT;
    uint64_t first = (index << k) % VT_TLOG_TILE_WIDTH;
    if (t >= 8 || first + (1u << k) > edge->count[t])
        return vt_error_set(err, VT_ERR_FORMAT, "tree edge lacks subtree (%u, %llu)", level,
                            (unsigned long long)index);
    vt_tlog_perfect_root(edge->hashes[t] + first, k, out);
    return VT_OK;
}

vt_status vt_tlog_edge_root(const struct tlog_edge *edge, uint64_t size,
                         unsigned char root[VT_TLOG_HASH_SIZE])
{
    return vt_tlog_tree_hash(edge_subtree, (void *)edge, size, root, NULL);
}
