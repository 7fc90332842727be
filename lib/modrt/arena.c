/* arena.c: the per-scan arena of the module runtime. Objects, strings and function results of one
 * scan are carved from large blocks and released together when the scan ends. */
#include <stdlib.h>
#include <string.h>

#include "modrt_internal.h"

struct vt_arena_block {
    vt_arena_block *next;
    size_t cap;
    max_align_t data[];
};

enum { ARENA_BLOCK = 64 * 1024 };

void *vt_arena_alloc(vt_arena *arena, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (size == 0)
        size = sizeof(max_align_t);
    if (!arena->blocks || arena->cap - arena->used < size) {
        if (size > SIZE_MAX / 2)
            return NULL;
        size_t cap = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        vt_arena_block *block = malloc(sizeof *block + cap);
        if (!block)
            return NULL;
        block->cap = cap;
        if (size > ARENA_BLOCK / 4 && arena->blocks) {
            /* A big object gets a block of its own behind the current one. */
            block->next = arena->blocks->next;
            arena->blocks->next = block;
            memset(block->data, 0, size);
            return block->data;
        }
        block->next = arena->blocks;
        arena->blocks = block;
        arena->cap = cap;
        arena->used = 0;
    }
    unsigned char *p = (unsigned char *)arena->blocks->data + arena->used;
    arena->used += size;
    memset(p, 0, size);
    return p;
}

void *vt_arena_dup(vt_arena *arena, const void *data, size_t size)
{
    if (size == SIZE_MAX)
        return NULL;
    unsigned char *p = vt_arena_alloc(arena, size + 1);
    if (p && size)
        memcpy(p, data, size);
    return p;
}

void vt_arena_free(vt_arena *arena)
{
    vt_arena_block *b = arena->blocks;
    while (b) {
        vt_arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->blocks = NULL;
    arena->used = arena->cap = 0;
}

void vt_arena_reset(vt_arena *arena)
{
    vt_arena_block *keep = NULL, *b = arena->blocks;
    while (b) {
        vt_arena_block *next = b->next;
        if (!keep && b->cap == ARENA_BLOCK)
            keep = b;
        else
            free(b);
        b = next;
    }
    arena->blocks = keep;
    if (keep)
        keep->next = NULL;
    arena->cap = keep ? keep->cap : 0;
    arena->used = 0;
}
