/* factor_share.c: literal factors searched through a shorter literal that another factor
 * already has Vectorscan search. Where a factor's literal L contains, at some offset, a literal q
 * that every match of L also matches there (the same bytes, a letter of L in either case only
 * under a letter of q in either case), the factor is searched by q instead and confirmed whole
 * at each of its hits (vt_factor.confirm): q is searched anyway, so no new hits arise, and
 * Vectorscan compiles one pattern less. Vectorscan's compile costs about as much per pattern as
 * yarac's whole compile per string (bench/RESULTS.md, tenth pass); in yara-rules 30% of the
 * literals contain another. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "factor.h"

#define SHARE_MIN 4        /* the shortest literal others are searched through */
#define SHARE_MAX_OWNERS 8 /* factors moved onto one literal: each of its hits confirms them all */
#define MAX_LITERAL 64     /* positions of a factor (factor.c: MAX_FACTOR * 2) */
#define KEY_LONG 8         /* literals this long are indexed by their first 8 bytes, shorter
                            * ones by their first SHARE_MIN: the buckets stay short */

/* One distinct literal expression: per position a byte (a lower-case letter when folded) and
 * whether it stands for a letter in either case. */
typedef struct literal {
    const char *expr;
    size_t len;
    uint8_t byte[MAX_LITERAL];
    bool folded[MAX_LITERAL];
    uint8_t low[MAX_LITERAL + KEY_LONG]; /* the bytes in lower case, then zeros */
    uint64_t key;    /* its first KEY_LONG (or SHARE_MIN) bytes in lower case */
    uint32_t next;   /* the next literal of its index bucket, or UINT32_MAX */
    bool covered;    /* another literal is found wherever this one is */
    uint32_t target; /* the uncovered literal searched instead (UINT32_MAX: none) */
    size_t at;       /* where the target begins in this literal */
    uint32_t moved;  /* factors moved onto this literal */
} literal;

/* Literal l from factor expression e (vt_factor_literal); false when it is none. */
static bool parse_literal(const char *e, literal *out)
{
    out->len = vt_factor_literal(e, out->byte, out->folded, MAX_LITERAL);
    memset(out->low, 0, sizeof out->low);
    for (size_t j = 0; j < out->len; j++)
        out->low[j] = vt_ascii_lower(out->byte[j]);
    return out->len > 0;
}

/* The index key of the `width` (4 or 8) positions of l from `at`: their bytes in lower case. */
static uint64_t key_at(const literal *l, size_t at, size_t width)
{
    if (width == 8) {
        uint64_t key;
        memcpy(&key, l->low + at, 8);
        return key;
    }
    uint32_t key;
    memcpy(&key, l->low + at, 4);
    return key;
}

static size_t key_width(const literal *l)
{
    return l->len >= KEY_LONG ? KEY_LONG : SHARE_MIN;
}

static size_t bucket_of(uint64_t key, size_t width, size_t nbuckets)
{
    return (size_t)(((key ^ width) * 0x9E3779B97F4A7C15ull) >> 32) & (nbuckets - 1);
}

/* Whether q, placed at `at` in l, matches wherever l matches: each position of q is l's byte, or
 * a letter in either case over that letter in l (in either case or not). */
static bool covers(const literal *q, const literal *l, size_t at)
{
    if (q->len + at > l->len)
        return false;
    for (size_t j = 0; j < q->len; j++) {
        uint8_t lb = l->byte[at + j], qb = q->byte[j];
        if (q->folded[j] ? vt_ascii_lower(lb) != qb : (l->folded[at + j] || lb != qb))
            return false;
    }
    return true;
}

/* A literal that covers lits[self] (UINT32_MAX: none): with `any`, the first found; otherwise
 * the one to search instead, an uncovered one, the longest, then the first, and *at_out where
 * it begins in lits[self]. */
static uint32_t find_cover(const literal *lits, const uint32_t *bucket, size_t nbuckets,
                           uint32_t self, bool any, size_t *at_out)
{
    const literal *l = &lits[self];
    uint32_t best = UINT32_MAX;
    size_t best_at = 0;
    for (size_t at = 0; at + SHARE_MIN <= l->len; at++) {
        for (size_t width = SHARE_MIN; width <= KEY_LONG && at + width <= l->len;
             width += KEY_LONG - SHARE_MIN) {
            uint64_t key = key_at(l, at, width);
            for (uint32_t c = bucket[bucket_of(key, width, nbuckets)]; c != UINT32_MAX;
                 c = lits[c].next) {
                const literal *q = &lits[c];
                if (c == self || q->key != key || key_width(q) != width ||
                    (!any && q->covered) || !covers(q, l, at))
                    continue;
                if (any)
                    return c;
                if (best == UINT32_MAX || q->len > lits[best].len ||
                    (q->len == lits[best].len && c < best)) {
                    best = c;
                    best_at = at;
                }
            }
        }
    }
    *at_out = best_at;
    return best;
}

vt_status vt_factors_share_literals(vt_factor_list *list, vt_error *err)
{
    size_t n = list->count, cap = 16;
    while (cap < n * 2)
        cap *= 2;
    literal *lits = malloc((n ? n : 1) * sizeof *lits);
    uint32_t *slots = malloc(cap * sizeof *slots);    /* expression hash: literal + 1, 0 empty */
    uint32_t *lit_of = malloc((n ? n : 1) * sizeof *lit_of); /* per factor, UINT32_MAX: none */
    uint32_t *bucket = malloc(cap * sizeof *bucket);
    vt_status st = VT_OK;
    if (!lits || !slots || !lit_of || !bucket) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto done;
    }
    memset(slots, 0, cap * sizeof *slots);
    for (size_t b = 0; b < cap; b++)
        bucket[b] = UINT32_MAX;
    /* the distinct literal expressions, in order of first appearance */
    size_t nlits = 0;
    for (size_t i = 0; i < n; i++) {
        const vt_factor *f = &list->items[i];
        lit_of[i] = UINT32_MAX;
        if (!f->literal_len)
            continue;
        size_t at = (size_t)vt_factor_expr_hash(f->expr) & (cap - 1);
        while (slots[at] && strcmp(lits[slots[at] - 1].expr, f->expr) != 0)
            at = (at + 1) & (cap - 1);
        if (!slots[at]) {
            literal *l = &lits[nlits];
            if (!parse_literal(f->expr, l))
                continue;
            l->expr = f->expr;
            l->covered = false;
            l->target = UINT32_MAX;
            l->moved = 0;
            l->next = UINT32_MAX;
            slots[at] = (uint32_t)++nlits;
        }
        lit_of[i] = slots[at] - 1;
    }
    /* the literals of SHARE_MIN bytes or more, indexed by their first bytes */
    for (uint32_t k = (uint32_t)nlits; k-- > 0;) {
        if (lits[k].len < SHARE_MIN)
            continue;
        size_t width = key_width(&lits[k]);
        lits[k].key = key_at(&lits[k], 0, width);
        size_t b = bucket_of(lits[k].key, width, cap);
        lits[k].next = bucket[b];
        bucket[b] = k;
    }
    for (uint32_t k = 0; k < nlits; k++) {
        size_t at;
        lits[k].covered = find_cover(lits, bucket, cap, k, true, &at) != UINT32_MAX;
    }
    for (uint32_t k = 0; k < nlits; k++)
        if (lits[k].covered)
            lits[k].target = find_cover(lits, bucket, cap, k, false, &lits[k].at);
    /* each factor of a covered literal is searched by its target, while the target has room.
     * (A rewritten factor's old expression is freed: lits[].expr of covered literals is not
     * read from here on, and targets are uncovered, so their factors are never rewritten.) */
    for (size_t i = 0; i < n && st == VT_OK; i++) {
        if (lit_of[i] == UINT32_MAX)
            continue;
        const literal *l = &lits[lit_of[i]];
        if (l->target == UINT32_MAX || lits[l->target].moved >= SHARE_MAX_OWNERS)
            continue;
        literal *q = &lits[l->target];
        vt_factor *f = &list->items[i];
        size_t start = f->len - l->len; /* where the literal begins in the factor */
        uint8_t *confirm = f->confirm;
        if (!f->confirm_len) { /* the factor is the literal: confirm it whole */
            confirm = malloc(2 * l->len);
            if (!confirm) {
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t j = 0; j < l->len; j++) {
                confirm[j] = l->folded[j] ? 0xDF : 0xFF;
                confirm[l->len + j] = (uint8_t)(l->byte[j] & confirm[j]);
            }
        }
        char *expr = strdup(q->expr);
        if (!expr) {
            if (confirm != f->confirm)
                free(confirm);
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            break;
        }
        if (!f->confirm_len)
            f->confirm_len = (uint32_t)l->len;
        f->confirm = confirm;
        free(f->expr);
        f->expr = expr;
        f->len = (uint32_t)(start + l->at + q->len);
        f->literal_len = (uint32_t)q->len;
        for (size_t j = 0; j < 2 && j < q->len; j++) {
            f->literal_nocase[j] = q->folded[j];
            f->literal_head[j] = q->byte[j];
        }
        q->moved++;
    }
done:
    free(lits);
    free(slots);
    free(lit_of);
    free(bucket);
    return st;
}
