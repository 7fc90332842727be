/* ast.h (private to lib/match): the syntax tree shared by hex strings and regular expressions,
 * close to libyara's RE_NODE so that atom extraction and matching follow yara's rules. */
#ifndef VITRINE_MATCH_AST_H
#define VITRINE_MATCH_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/pattern.h>

typedef enum vt_node_kind {
    VT_NODE_LITERAL,        /* one byte: value */
    VT_NODE_MASKED,         /* hex nibble: (byte & mask) == value; negated for `~` */
    VT_NODE_ANY,            /* `.` (no \n unless dotall) or hex `??` (any byte) */
    VT_NODE_CLASS,          /* [..], \w \W \s \S \d \D: set */
    VT_NODE_CONCAT,
    VT_NODE_ALT,
    VT_NODE_REPEAT,         /* kids[0] repeated min..max (max = -1: unbounded), greedy or not */
    VT_NODE_EMPTY,
    VT_NODE_ANCHOR_START,
    VT_NODE_ANCHOR_END,
    VT_NODE_WORD_BOUNDARY,
    VT_NODE_NON_WORD_BOUNDARY,
} vt_node_kind;

typedef struct vt_node vt_node;
struct vt_node {
    vt_node_kind kind;
    uint8_t value;
    uint8_t mask;
    bool negated;     /* MASKED / LITERAL written with `~` */
    bool greedy;
    bool any_all;     /* ANY matching every byte (hex `??`, hex jumps, dotall) */
    bool hex_jump;    /* REPEAT that is a hex jump [n-m] */
    bool grouped;     /* written inside parentheses: (.)* is not yara's .* */
    bool pooled;      /* allocated from its pattern's node pool (freed with the pattern) */
    int min, max;
    uint8_t set[32];  /* CLASS: the bytes matched (before case folding) */
    vt_node **kids;
    size_t nkids, capkids;
};

/* Nodes allocated in chunks for one pattern: a hex string of thousands of bytes is thousands
 * of nodes, and allocating each on its own was a fifth of compiling a large rule set. */
typedef struct vt_node_pool vt_node_pool;
struct vt_node_pool {
    vt_node_pool *next; /* the previous (smaller) chunk */
    size_t used, cap;
    vt_node nodes[];
};

struct vt_pattern {
    vt_node *root;
    vt_node_pool *pool; /* where root's pooled nodes live; NULL: none */
    bool is_hex;
    unsigned flags;   /* VT_REGEX_* */
};

vt_node *vt_node_new(vt_node_kind kind);
/* Add a chunk to *pool; false when out of memory. */
bool vt_node_pool_grow(vt_node_pool **pool);
/* A node from *pool (a new chunk is added when it is full); NULL when out of memory. It is
 * released with the pool, never on its own (vt_node_free frees only its kids). Inline, as
 * vt_node_add: the parsers call both for every byte of a hex string. */
static inline vt_node *vt_node_new_pooled(vt_node_pool **pool, vt_node_kind kind)
{
    if ((!*pool || (*pool)->used == (*pool)->cap) && !vt_node_pool_grow(pool))
        return NULL;
    vt_node *node = &(*pool)->nodes[(*pool)->used++];
    *node = (vt_node){.kind = kind, .greedy = true, .mask = 0xFF, .pooled = true};
    return node;
}
void vt_node_pool_free(vt_node_pool *pool);
void vt_node_free(vt_node *node);
/* Make room for one more kid of parent; false when out of memory. */
bool vt_node_grow_kids(vt_node *parent);
/* Append child; on allocation failure frees child and returns false. */
static inline bool vt_node_add(vt_node *parent, vt_node *child)
{
    if (!child)
        return false;
    if (parent->nkids == parent->capkids && !vt_node_grow_kids(parent)) {
        vt_node_free(child);
        return false;
    }
    parent->kids[parent->nkids++] = child;
    return true;
}

static inline void vt_set_add(uint8_t *set, unsigned c) { set[c >> 3] |= (uint8_t)(1u << (c & 7)); }
static inline bool vt_set_has(const uint8_t *set, unsigned c) { return set[c >> 3] >> (c & 7) & 1; }
/* The other case of an ASCII letter (yara's nocase folds ASCII only); other bytes unchanged. */
static inline uint8_t vt_ascii_other_case(uint8_t b)
{
    return b >= 'a' && b <= 'z' ? (uint8_t)(b - 32) : b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b;
}

/* An ASCII letter in lower case; other bytes unchanged. */
static inline uint8_t vt_ascii_lower(uint8_t b)
{
    return b >= 'A' && b <= 'Z' ? (uint8_t)(b | 0x20) : b;
}

/* Whether repeat n is yara's RANGE_ANY, one instruction rather than copies of its child: `.?`,
 * `.{n,m}`, `.{n,}` written without parentheses, and hex jumps. */
bool vt_node_is_range_any(const vt_node *n);

/* Whether n is a hex jump at which yara splits a hex string into chained strings (longer than
 * VT_STRING_CHAINING_THRESHOLD, or unbounded), when it stands in the top-level sequence. */
bool vt_node_is_chaining_jump(const vt_node *n);

/* Bytes yara's \w, \s, \d stand for. */
void vt_set_word(uint8_t *set);
void vt_set_space(uint8_t *set);
void vt_set_digit(uint8_t *set);
bool vt_is_word_byte(uint8_t c);

#endif
