/* verify.c: full verification of a log: every entry is re-hashed, every hash tile is recomputed
 * and compared with the stored one level by level, the root computed from them must equal the
 * signed checkpoint's. Only the right edge of the tree is kept in memory, so a log of any size
 * verifies in constant memory. For a directory we also check every partial tile and bundle of
 * every width present and every extra "checkpoint.*" file, so that no stored byte goes unchecked. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"
#include "tlog_internal.h"

struct verify {
    vt_tlog_reader *r;
    uint64_t size;
    struct tlog_edge *edge;
    uint64_t tile_index[8];
    size_t *offsets, *lengths;
    vt_error *err;
};

/* Fetch a tile or bundle of `width`; if the partial is gone, the full one (then *got = 256). */
static vt_status fetch_unit(struct verify *v, int bundle, unsigned level, uint64_t index,
                            unsigned width, vt_buf *buf, unsigned *got, char *path, size_t path_size)
{
    if (bundle)
        vt_tlog_bundle_path(index, width, path, path_size);
    else
        vt_tlog_tile_path(level, index, width, path, path_size);
    size_t max = bundle ? VT_TLOG_MAX_BUNDLE : VT_TLOG_MAX_TILE;
    *got = width;
    vt_status st = vt_tlog_reader_fetch(v->r, path, max, buf, v->err);
    if (st == VT_ERR_NOT_FOUND && width < VT_TLOG_TILE_WIDTH) {
        if (bundle)
            vt_tlog_bundle_path(index, VT_TLOG_TILE_WIDTH, path, path_size);
        else
            vt_tlog_tile_path(level, index, VT_TLOG_TILE_WIDTH, path, path_size);
        *got = VT_TLOG_TILE_WIDTH;
        st = vt_tlog_reader_fetch(v->r, path, max, buf, v->err);
    }
    return st;
}

/* Directory only: every "<path>.p/W" with W <= width must be the prefix of the verified data. */
static vt_status check_partials(struct verify *v, int bundle, unsigned level, uint64_t index,
                                unsigned width, const unsigned char *data, const size_t *ends)
{
    if (!v->r->dir)
        return VT_OK;
    char rel[128], dir_path[4096];
    if (bundle)
        vt_tlog_bundle_path(index, VT_TLOG_TILE_WIDTH, rel, sizeof rel);
    else
        vt_tlog_tile_path(level, index, VT_TLOG_TILE_WIDTH, rel, sizeof rel);
    snprintf(dir_path, sizeof dir_path, "%s%s.p", v->r->dir, rel);
    DIR *d = opendir(dir_path);
    if (!d)
        return VT_OK;
    vt_status st = VT_OK;
    struct dirent *e;
    vt_buf buf = {0};
    while (st == VT_OK && (e = readdir(d))) {
        uint64_t w;
        if (!vt_tlog_parse_decimal(e->d_name, strlen(e->d_name), &w) || w == 0 ||
            w >= VT_TLOG_TILE_WIDTH || w > width)
            continue; /* not a width, or beyond the checkpoint: not covered by any signature */
        char path[256];
        snprintf(path, sizeof path, "%s.p/%u", rel, (unsigned)w);
        size_t want = bundle ? ends[w - 1] : (size_t)w * VT_TLOG_HASH_SIZE;
        st = vt_tlog_reader_fetch(v->r, path, bundle ? VT_TLOG_MAX_BUNDLE : VT_TLOG_MAX_TILE, &buf,
                                  v->err);
        if (st == VT_OK && (buf.len != want || memcmp(buf.data, data, want) != 0))
            st = vt_error_at(v->err, VT_ERR_VERIFY, path, 0, 0,
                             "partial %s does not match the verified log",
                             bundle ? "entry bundle" : "tile");
    }
    vt_buf_free(&buf);
    closedir(d);
    return st;
}

static vt_status check_tile(struct verify *v, unsigned level, uint64_t index, unsigned width,
                            const unsigned char (*hashes)[VT_TLOG_HASH_SIZE])
{
    vt_buf buf = {0};
    unsigned got;
    char path[128];
    vt_status st = fetch_unit(v, 0, level, index, width, &buf, &got, path, sizeof path);
    if (st == VT_OK && buf.len != (size_t)got * VT_TLOG_HASH_SIZE)
        st = vt_error_at(v->err, VT_ERR_FORMAT, path, 0, 0, "tile has %zu bytes, expected %u",
                         buf.len, got * VT_TLOG_HASH_SIZE);
    if (st == VT_OK && memcmp(buf.data, hashes, (size_t)width * VT_TLOG_HASH_SIZE) != 0)
        st = vt_error_at(v->err, VT_ERR_VERIFY, path, 0, 0,
                         "tile does not match the hashes recomputed from the entries");
    vt_buf_free(&buf);
    if (st == VT_OK)
        st = check_partials(v, 0, level, index, width, (const unsigned char *)hashes, NULL);
    return st;
}

/* Add a level-8T node; a level that fills a tile checks it and carries its root upward. */
static vt_status push(struct verify *v, unsigned t, const unsigned char hash[VT_TLOG_HASH_SIZE])
{
    if (t >= 8)
        return vt_error_set(v->err, VT_ERR_LIMIT, "tree too large");
    memcpy(v->edge->hashes[t][v->edge->count[t]++], hash, VT_TLOG_HASH_SIZE);
    if (v->edge->count[t] < VT_TLOG_TILE_WIDTH)
        return VT_OK;
    if (t > 0) {
        vt_status st = check_tile(v, t, v->tile_index[t], VT_TLOG_TILE_WIDTH,
                                  (const unsigned char (*)[VT_TLOG_HASH_SIZE])v->edge->hashes[t]);
        if (st != VT_OK)
            return st;
    }
    unsigned char root[VT_TLOG_HASH_SIZE];
    vt_tlog_perfect_root((const unsigned char (*)[VT_TLOG_HASH_SIZE])v->edge->hashes[t],
                      VT_TLOG_TILE_HEIGHT, root);
    v->edge->count[t] = 0;
    v->tile_index[t]++;
    return push(v, t + 1, root);
}

static vt_status verify_bundle(struct verify *v, uint64_t index)
{
    uint64_t left = v->size - index * VT_TLOG_TILE_WIDTH;
    unsigned width = left >= VT_TLOG_TILE_WIDTH ? VT_TLOG_TILE_WIDTH : (unsigned)left;
    vt_buf buf = {0};
    unsigned got;
    char path[128];
    vt_status st = fetch_unit(v, 1, 0, index, width, &buf, &got, path, sizeof path);
    if (st == VT_OK)
        st = vt_tlog_bundle_parse(buf.data, buf.len, got, v->offsets, v->lengths, v->err);
    if (st != VT_OK && v->err && !v->err->file[0])
        snprintf(v->err->file, sizeof v->err->file, "%s", path);
    unsigned char hashes[VT_TLOG_TILE_WIDTH][VT_TLOG_HASH_SIZE];
    for (unsigned i = 0; st == VT_OK && i < width; i++)
        if (vt_tlog_leaf_hash(buf.data + v->offsets[i], v->lengths[i], hashes[i]) != VT_OK)
            st = vt_error_set(v->err, VT_ERR_NOMEM, "out of memory");
    if (st == VT_OK) {
        size_t ends[VT_TLOG_TILE_WIDTH] = {0};
        for (unsigned i = 0; i < width; i++)
            ends[i] = v->offsets[i] + v->lengths[i];
        st = check_partials(v, 1, 0, index, width, buf.data, ends);
    }
    vt_buf_free(&buf);
    if (st == VT_OK)
        st = check_tile(v, 0, index, width, (const unsigned char (*)[VT_TLOG_HASH_SIZE])hashes);
    for (unsigned i = 0; st == VT_OK && i < width; i++)
        st = push(v, 0, hashes[i]);
    return st;
}

/* Directory only: every checkpoint.* file is a signed checkpoint of this same tree. */
static vt_status check_old_checkpoints(struct verify *v, const vt_tlog_verifier *key)
{
    if (!v->r->dir)
        return VT_OK;
    DIR *d = opendir(v->r->dir);
    if (!d)
        return vt_error_errno(v->err, VT_ERR_IO, errno, "cannot list %s", v->r->dir);
    vt_status st = VT_OK;
    struct dirent *e;
    vt_buf buf = {0};
    while (st == VT_OK && (e = readdir(d))) {
        uint64_t n;
        if (strncmp(e->d_name, "checkpoint.", 11) != 0 ||
            !vt_tlog_parse_decimal(e->d_name + 11, strlen(e->d_name + 11), &n))
            continue; /* older checkpoints are named checkpoint.SIZE */
        vt_tlog_checkpoint cp;
        st = vt_tlog_reader_fetch(v->r, e->d_name, VT_TLOG_MAX_NOTE, &buf, v->err);
        if (st == VT_OK)
            st = vt_tlog_checkpoint_open(buf.data, buf.len, key, &cp, NULL, v->err);
        if (st == VT_OK) {
            unsigned char root[VT_TLOG_HASH_SIZE];
            if (cp.size > v->size)
                st = vt_error_set(v->err, VT_ERR_VERIFY, "size %llu is beyond the checkpoint's %llu",
                                  (unsigned long long)cp.size, (unsigned long long)v->size);
            else if ((st = vt_tlog_reader_tree_hash(v->r, cp.size, root, v->err)) == VT_OK &&
                     memcmp(root, cp.root, VT_TLOG_HASH_SIZE) != 0)
                st = vt_error_set(v->err, VT_ERR_VERIFY, "root does not match the log at size %llu",
                                  (unsigned long long)cp.size);
            vt_tlog_checkpoint_clear(&cp);
        }
        if (st != VT_OK && v->err)
            snprintf(v->err->file, sizeof v->err->file, "%s%s", v->r->dir, e->d_name);
    }
    vt_buf_free(&buf);
    closedir(d);
    return st;
}

vt_status vt_tlog_reader_verify_log(vt_tlog_reader *reader, const vt_tlog_verifier *log_key,
                                    vt_tlog_checkpoint *cp_out, vt_error *err)
{
    vt_tlog_checkpoint cp;
    vt_status st = vt_tlog_reader_checkpoint(reader, log_key, &cp, NULL, err);
    if (st != VT_OK)
        return st;
    struct verify v = {reader, cp.size, NULL, {0}, NULL, NULL, err};
    v.edge = calloc(1, sizeof *v.edge);
    v.offsets = malloc(2 * VT_TLOG_TILE_WIDTH * sizeof *v.offsets);
    if (!v.edge || !v.offsets)
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    v.lengths = v.offsets ? v.offsets + VT_TLOG_TILE_WIDTH : NULL;
    uint64_t bundles = (cp.size + VT_TLOG_TILE_WIDTH - 1) / VT_TLOG_TILE_WIDTH;
    for (uint64_t b = 0; st == VT_OK && b < bundles; b++)
        st = verify_bundle(&v, b);
    /* The incomplete tile at each level above 0 (level 0's was checked with its bundle). */
    for (unsigned t = 1; st == VT_OK && t < 8; t++)
        if (v.edge->count[t])
            st = check_tile(&v, t, v.tile_index[t], v.edge->count[t],
                            (const unsigned char (*)[VT_TLOG_HASH_SIZE])v.edge->hashes[t]);
    unsigned char root[VT_TLOG_HASH_SIZE];
    if (st == VT_OK && vt_tlog_edge_root(v.edge, cp.size, root) != VT_OK)
        st = vt_error_set(err, VT_ERR_FORMAT, "cannot compute the root");
    if (st == VT_OK && memcmp(root, cp.root, VT_TLOG_HASH_SIZE) != 0)
        st = vt_error_set(err, VT_ERR_VERIFY,
                          "the root hash of the entries does not match the signed checkpoint");
    if (st == VT_OK)
        st = check_old_checkpoints(&v, log_key);
    free(v.edge);
    free(v.offsets);
    if (st == VT_OK && cp_out)
        *cp_out = cp;
    else
        vt_tlog_checkpoint_clear(&cp);
    return st;
}
