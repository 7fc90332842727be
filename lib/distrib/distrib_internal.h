/* distrib_internal.h: helpers shared by the files of lib/distrib (not part of the public API). */
#ifndef VITRINE_DISTRIB_INTERNAL_H
#define VITRINE_DISTRIB_INTERNAL_H

#include <vitrine/distrib.h>

/* mkdir -p. */
vt_status vt_distrib_mkdirs(const char *path, vt_error *err);
/* Remove a ruleset directory: the regular files in it, then the directory (best effort). */
void vt_distrib_remove_dir(const char *dir);
/* The installed bundle: reads STATE/current, sets dir to the ruleset directory, parses its
 * bundle.entry and hashes it. VT_ERR_NOT_FOUND when nothing is installed. */
vt_status vt_distrib_read_installed_bundle(const char *state, vt_bundle_entry *bundle,
                                        unsigned char hash[32], char *dir, size_t dir_size,
                                        vt_error *err);

/* The last entry bundle fetched by vt_distrib_cached_entry. Zero-initialise; free data after
 * use. */
typedef struct distrib_entry_cache {
    int valid;
    uint64_t bundle, size;
    vt_buf data;
    size_t offsets[VT_TLOG_TILE_WIDTH], lengths[VT_TLOG_TILE_WIDTH];
} distrib_entry_cache;

/* Entry `index` of the tree of `size`, like vt_tlog_reader_entry, reusing the cached bundle. */
vt_status vt_distrib_cached_entry(vt_tlog_reader *reader, distrib_entry_cache *cache, uint64_t size,
                               uint64_t index, vt_buf *out, vt_error *err);

#endif
