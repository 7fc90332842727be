/* reader_internal.h: the reader's private structure, shared by fetch.c (getting bytes through a
 * transport), reader.c (tiles, entries, proofs) and verify.c (whole-log check). */
#ifndef VITRINE_TLOG_READER_INTERNAL_H
#define VITRINE_TLOG_READER_INTERNAL_H

#include <vitrine/tlog.h>

#define TLOG_TILE_CACHE 8

struct tlog_cached_tile {
    int valid;
    unsigned level;
    uint64_t index;
    unsigned width;
    /* Nodes of the tile: level k inside the tile holds width >> k hashes, stored from
     * offset 512 - (512 >> k) (level 0 at 0, level 1 at 256, ...). */
    unsigned char nodes[511][VT_TLOG_HASH_SIZE];
    uint64_t last_used;
};

struct vt_tlog_reader {
    vt_tlog_transport transport; /* how files are fetched (fetch.c) */
    char *location;              /* the log's directory or URL, ending in '/', for messages */
    const char *dir;             /* = location when reading a directory, else NULL */
    struct tlog_cached_tile cache[TLOG_TILE_CACHE];
    uint64_t clock;
};

/* Fill node levels 1..8 of a cached tile from its level-0 hashes. */
void vt_tlog_tile_hash_up(struct tlog_cached_tile *tile);
/* Read tile (level, index) with at least `width` hashes (partial, or full as a fallback),
 * through the cache. */
vt_status vt_tlog_reader_tile(vt_tlog_reader *r, unsigned level, uint64_t index, unsigned width,
                           const struct tlog_cached_tile **out, vt_error *err);
/* Width of tile (level, index) in a tree of `size` leaves (0 if it does not exist). */
unsigned vt_tlog_tile_width(uint64_t size, unsigned level, uint64_t index);

#endif
