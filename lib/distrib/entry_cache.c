/* entry_cache.c: reading many entries of one tree without fetching and splitting the same entry
 * bundle (up to 16 MiB) once per entry: the last bundle fetched is kept. Same lookup as
 * vt_tlog_reader_entry (the partial bundle of the tree's width, else the full one); the bytes
 * are unauthenticated, callers check inclusion. */
#include <stdio.h>
#include <string.h>

#include "distrib_internal.h"

vt_status vt_distrib_cached_entry(vt_tlog_reader *reader, distrib_entry_cache *cache, uint64_t size,
                               uint64_t index, vt_buf *out, vt_error *err)
{
    if (index >= size)
        return vt_error_set(err, VT_ERR_ARGUMENT, "index %llu is not below the tree size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    uint64_t bundle = index / VT_TLOG_TILE_WIDTH;
    uint64_t left = size - bundle * VT_TLOG_TILE_WIDTH;
    unsigned want = left >= VT_TLOG_TILE_WIDTH ? VT_TLOG_TILE_WIDTH : (unsigned)left;
    if (!cache->valid || cache->bundle != bundle || cache->size != size) {
        cache->valid = 0;
        unsigned width = want;
        char path[128];
        vt_tlog_bundle_path(bundle, width, path, sizeof path);
        cache->data.len = 0;
        vt_status st = vt_tlog_reader_fetch(reader, path, VT_TLOG_MAX_BUNDLE, &cache->data, err);
        if (st == VT_ERR_NOT_FOUND && width < VT_TLOG_TILE_WIDTH) {
            width = VT_TLOG_TILE_WIDTH;
            vt_tlog_bundle_path(bundle, width, path, sizeof path);
            cache->data.len = 0;
            st = vt_tlog_reader_fetch(reader, path, VT_TLOG_MAX_BUNDLE, &cache->data, err);
        }
        if (st == VT_OK)
            st = vt_tlog_bundle_parse(cache->data.data, cache->data.len, width, cache->offsets,
                                      cache->lengths, err);
        if (st != VT_OK) {
            if (err && !err->file[0])
                snprintf(err->file, sizeof err->file, "%s", path);
            return st;
        }
        cache->bundle = bundle;
        cache->size = size;
        cache->valid = 1;
    }
    unsigned i = (unsigned)(index % VT_TLOG_TILE_WIDTH);
    out->len = 0;
    if (vt_buf_append(out, cache->data.data + cache->offsets[i], cache->lengths[i]) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}
