/* reader.c: reading a log through its tiles: the signed checkpoint, entries, and hashes of
 * complete subtrees taken from (at most a few) hash tiles, which is all that tree hashes and
 * proofs need. A small cache keeps the last tiles with their inner nodes already hashed, so an
 * inclusion proof in a tree of 10 million entries reads three or four tiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"

static size_t level_offset(unsigned k)
{
    return 512 - (512u >> k);
}

void vt_tlog_tile_hash_up(struct tlog_cached_tile *tile)
{
    for (unsigned k = 1; k <= VT_TLOG_TILE_HEIGHT; k++) {
        unsigned count = tile->width >> k;
        unsigned char (*below)[VT_TLOG_HASH_SIZE] = tile->nodes + level_offset(k - 1);
        unsigned char (*here)[VT_TLOG_HASH_SIZE] = tile->nodes + level_offset(k);
        for (unsigned i = 0; i < count; i++)
            vt_tlog_node_hash(below[2 * i], below[2 * i + 1], here[i]);
    }
}

unsigned vt_tlog_tile_width(uint64_t size, unsigned level, uint64_t index)
{
    if (level >= 8)
        return 0;
    uint64_t nodes = size >> (VT_TLOG_TILE_HEIGHT * level); /* complete level-8L nodes */
    if (nodes <= index * VT_TLOG_TILE_WIDTH)
        return 0;
    uint64_t w = nodes - index * VT_TLOG_TILE_WIDTH;
    return w >= VT_TLOG_TILE_WIDTH ? VT_TLOG_TILE_WIDTH : (unsigned)w;
}

vt_status vt_tlog_reader_tile(vt_tlog_reader *r, unsigned level, uint64_t index, unsigned width,
                           const struct tlog_cached_tile **out, vt_error *err)
{
    struct tlog_cached_tile *slot = &r->cache[0];
    for (int i = 0; i < TLOG_TILE_CACHE; i++) {
        struct tlog_cached_tile *t = &r->cache[i];
        if (t->valid && t->level == level && t->index == index && t->width >= width) {
            t->last_used = ++r->clock;
            *out = t;
            return VT_OK;
        }
        if (!t->valid || t->last_used < slot->last_used)
            slot = t;
    }
    char path[128];
    vt_buf buf = {0};
    vt_tlog_tile_path(level, index, width, path, sizeof path);
    vt_status st = vt_tlog_reader_fetch(r, path, VT_TLOG_MAX_TILE, &buf, err);
    unsigned got = width;
    if (st == VT_ERR_NOT_FOUND && width < VT_TLOG_TILE_WIDTH) {
        /* The partial tile may be gone once the full tile exists. */
        vt_tlog_tile_path(level, index, VT_TLOG_TILE_WIDTH, path, sizeof path);
        st = vt_tlog_reader_fetch(r, path, VT_TLOG_MAX_TILE, &buf, err);
        got = VT_TLOG_TILE_WIDTH;
    }
    if (st == VT_OK && buf.len != (size_t)got * VT_TLOG_HASH_SIZE)
        st = vt_error_set(err, VT_ERR_FORMAT, "tile %s has %zu bytes, expected %u", path, buf.len,
                          got * VT_TLOG_HASH_SIZE);
    if (st != VT_OK) {
        vt_buf_free(&buf);
        return st;
    }
    slot->valid = 1;
    slot->level = level;
    slot->index = index;
    slot->width = got;
    memcpy(slot->nodes, buf.data, buf.len);
    vt_buf_free(&buf);
    vt_tlog_tile_hash_up(slot);
    slot->last_used = ++r->clock;
    *out = slot;
    return VT_OK;
}

struct subtree_ctx {
    vt_tlog_reader *reader;
    uint64_t size;
};

/* The hash of the complete subtree at (level, index), from the tile that holds it. */
static vt_status reader_subtree(void *ctx_, unsigned level, uint64_t index,
                                unsigned char out[VT_TLOG_HASH_SIZE], vt_error *err)
{
    struct subtree_ctx *ctx = ctx_;
    unsigned tile_level = level / VT_TLOG_TILE_HEIGHT, k = level % VT_TLOG_TILE_HEIGHT;
    if (tile_level >= 8)
        return vt_error_set(err, VT_ERR_ARGUMENT, "subtree level %u out of range", level);
    uint64_t first = index << k; /* first level-8L node under it */
    uint64_t tile_index = first / VT_TLOG_TILE_WIDTH;
    unsigned need = (unsigned)(first % VT_TLOG_TILE_WIDTH) + (1u << k);
    unsigned width = vt_tlog_tile_width(ctx->size, tile_level, tile_index);
    if (width < need)
        return vt_error_set(err, VT_ERR_ARGUMENT, "subtree (%u, %llu) is not in a tree of size %llu",
                            level, (unsigned long long)index, (unsigned long long)ctx->size);
    const struct tlog_cached_tile *tile;
    vt_status st = vt_tlog_reader_tile(ctx->reader, tile_level, tile_index, width, &tile, err);
    if (st != VT_OK)
        return st;
    memcpy(out, tile->nodes[level_offset(k) + ((first % VT_TLOG_TILE_WIDTH) >> k)],
           VT_TLOG_HASH_SIZE);
    return VT_OK;
}

vt_status vt_tlog_reader_tree_hash(vt_tlog_reader *reader, uint64_t size,
                                   unsigned char root[VT_TLOG_HASH_SIZE], vt_error *err)
{
    struct subtree_ctx ctx = {reader, size};
    return vt_tlog_tree_hash(reader_subtree, &ctx, size, root, err);
}

vt_status vt_tlog_reader_prove_inclusion(vt_tlog_reader *reader, uint64_t size, uint64_t index,
                                         unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                         size_t *proof_len, vt_error *err)
{
    struct subtree_ctx ctx = {reader, size};
    return vt_tlog_prove_inclusion(reader_subtree, &ctx, index, size, proof, proof_len, err);
}

vt_status vt_tlog_reader_prove_consistency(vt_tlog_reader *reader, uint64_t size1, uint64_t size2,
                                           unsigned char (*proof)[VT_TLOG_HASH_SIZE],
                                           size_t *proof_len, vt_error *err)
{
    struct subtree_ctx ctx = {reader, size2};
    return vt_tlog_prove_consistency(reader_subtree, &ctx, size1, size2, proof, proof_len, err);
}

vt_status vt_tlog_reader_checkpoint(vt_tlog_reader *reader, const vt_tlog_verifier *log_key,
                                    vt_tlog_checkpoint *cp, vt_buf *raw, vt_error *err)
{
    vt_buf buf = {0};
    vt_status st = vt_tlog_reader_fetch(reader, "checkpoint", VT_TLOG_MAX_NOTE, &buf, err);
    if (st == VT_OK)
        st = vt_tlog_checkpoint_open(buf.data, buf.len, log_key, cp, NULL, err);
    if (st == VT_OK && raw)
        st = vt_buf_append(raw, buf.data, buf.len) == VT_OK
                 ? VT_OK
                 : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (st != VT_OK && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%scheckpoint", reader->location);
    vt_buf_free(&buf);
    return st;
}

vt_status vt_tlog_reader_entry(vt_tlog_reader *reader, uint64_t size, uint64_t index, vt_buf *out,
                               vt_error *err)
{
    if (index >= size)
        return vt_error_set(err, VT_ERR_ARGUMENT, "index %llu is not below the tree size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    uint64_t bundle = index / VT_TLOG_TILE_WIDTH;
    uint64_t left = size - bundle * VT_TLOG_TILE_WIDTH;
    unsigned width = left >= VT_TLOG_TILE_WIDTH ? VT_TLOG_TILE_WIDTH : (unsigned)left;
    char path[128];
    vt_buf buf = {0};
    vt_tlog_bundle_path(bundle, width, path, sizeof path);
    vt_status st = vt_tlog_reader_fetch(reader, path, VT_TLOG_MAX_BUNDLE, &buf, err);
    if (st == VT_ERR_NOT_FOUND && width < VT_TLOG_TILE_WIDTH) {
        width = VT_TLOG_TILE_WIDTH;
        vt_tlog_bundle_path(bundle, width, path, sizeof path);
        st = vt_tlog_reader_fetch(reader, path, VT_TLOG_MAX_BUNDLE, &buf, err);
    }
    size_t *offsets = NULL;
    if (st == VT_OK) {
        offsets = malloc(2 * VT_TLOG_TILE_WIDTH * sizeof *offsets);
        if (!offsets)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    if (st == VT_OK)
        st = vt_tlog_bundle_parse(buf.data, buf.len, width, offsets, offsets + VT_TLOG_TILE_WIDTH,
                                  err);
    if (st == VT_OK) {
        unsigned i = (unsigned)(index % VT_TLOG_TILE_WIDTH);
        out->len = 0;
        if (vt_buf_append(out, buf.data + offsets[i], offsets[VT_TLOG_TILE_WIDTH + i]) != VT_OK)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    if (st != VT_OK && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", path);
    free(offsets);
    vt_buf_free(&buf);
    return st;
}
