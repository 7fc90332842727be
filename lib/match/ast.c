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

bool vt_node_pool_grow(vt_node_pool **pool)
{
    vt_node_pool *chunk = *pool;
    /* chunks of at most 1024 nodes (80 KB): under malloc's mmap threshold, they reuse freed
     * heap memory where larger ones were mapped fresh, and faulted in, per pattern */
    size_t cap = chunk ? (chunk->cap < 1024 ? chunk->cap * 2 : chunk->cap) : 32;
    vt_node_pool *fresh = malloc(sizeof *fresh + cap * sizeof fresh->nodes[0]);
    if (!fresh)
        return false;
    fresh->next = chunk;
    fresh->used = 0;
    fresh->cap = cap;
    *pool = fresh;
    return true;
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
    for (size_t i = 0; i < node->nkids; i++) {
        vt_node *kid = node->kids[i];
        if (kid->kids || !kid->pooled) /* a pooled node without kids owns nothing */
            vt_node_free(kid);
    }
    free(node->kids);
    if (!node->pooled)
        free(node);
}

bool vt_node_grow_kids(vt_node *parent)
{
    size_t cap = parent->capkids ? parent->capkids * 2 : 4;
    vt_node **kids = realloc(parent->kids, cap * sizeof *kids);
    if (!kids)
        return false;
    parent->kids = kids;
    parent->capkids = cap;
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

bool vt_node_is_range_any(const vt_node *n)
{
    return n->kind == VT_NODE_REPEAT && n->nkids &&
           (n->hex_jump || (n->kids[0]->kind == VT_NODE_ANY && !n->kids[0]->grouped &&
                            !(n->max == -1 && (n->min == 0 || n->min == 1))));
}

bool vt_node_is_chaining_jump(const vt_node *n)
{
    return n->kind == VT_NODE_REPEAT && n->hex_jump &&
           (n->max < 0 || n->max > VT_STRING_CHAINING_THRESHOLD ||
            n->min > VT_STRING_CHAINING_THRESHOLD);
}
