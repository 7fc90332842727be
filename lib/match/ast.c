/* ast.c: allocation of pattern syntax trees and the byte sets behind \w \s \d. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"

vt_node *vt_node_new(vt_node_kind kind)
{
    vt_node *node = calloc(1, sizeof *node);
    if (node) {
        node->kind = kind;
        node->greedy = true;
        node->mask = 0xFF;
    }
    return node;
}

struct vt_node_pool {
    vt_node_pool *next; /* the previous (smaller) chunk */
    size_t used, cap;
    vt_node nodes[];
};

vt_node *vt_node_new_pooled(vt_node_pool **pool, vt_node_kind kind)
{
    vt_node_pool *chunk = *pool;
    if (!chunk || chunk->used == chunk->cap) {
        /* chunks of at most 1024 nodes (80 KB): under malloc's mmap threshold, they reuse
         * freed heap memory where larger ones were mapped fresh, and faulted in, per pattern */
        size_t cap = chunk ? (chunk->cap < 1024 ? chunk->cap * 2 : chunk->cap) : 32;
        vt_node_pool *fresh = malloc(sizeof *fresh + cap * sizeof fresh->nodes[0]);
        if (!fresh)
            return NULL;
        fresh->next = chunk;
        fresh->used = 0;
        fresh->cap = cap;
        *pool = chunk = fresh;
    }
    vt_node *node = &chunk->nodes[chunk->used++];
    *node = (vt_node){.kind = kind, .greedy = true, .mask = 0xFF, .pooled = true};
    return node;
}

void vt_node_pool_free(vt_node_pool *pool)
{
    while (pool) {
        vt_node_pool *next = pool->next;
        free(pool);
        pool = next;
    }
}

void vt_node_free(vt_node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->nkids; i++)
        vt_node_free(node->kids[i]);
    free(node->kids);
    if (!node->pooled)
        free(node);
}

bool vt_node_add(vt_node *parent, vt_node *child)
{
    if (!child)
        return false;
    if (parent->nkids == parent->capkids) {
        size_t cap = parent->capkids ? parent->capkids * 2 : 4;
        vt_node **kids = realloc(parent->kids, cap * sizeof *kids);
        if (!kids) {
            vt_node_free(child);
            return false;
        }
        parent->kids = kids;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = child;
    return true;
}

bool vt_is_word_byte(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void vt_set_word(uint8_t *set)
{
    for (unsigned c = 0; c < 256; c++)
        if (vt_is_word_byte((uint8_t)c))
            vt_set_add(set, c);
}

void vt_set_space(uint8_t *set)
{
    static const char spaces[] = " \t\r\n\v\f";
    for (const char *p = spaces; *p; p++)
        vt_set_add(set, (unsigned char)*p);
}

void vt_set_digit(uint8_t *set)
{
    for (unsigned c = '0'; c <= '9'; c++)
        vt_set_add(set, c);
}

void vt_pattern_free(vt_pattern *pattern)
{
    if (!pattern)
        return;
    vt_node_free(pattern->root);
    vt_node_pool_free(pattern->pool);
    free(pattern);
}
