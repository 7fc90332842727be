/* factor.h (private to lib/match): the prefilter factors of a YARA string: short byte-class
 * sequences that every match must contain at a bounded distance from its start. Vectorscan
 * searches all factors of all strings in one pass; each hit names the start offsets to verify. */
#ifndef VITRINE_MATCH_FACTOR_H
#define VITRINE_MATCH_FACTOR_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/pattern.h>

#define VT_MAX_COMPANION 8

typedef struct vt_factor {
    uint32_t string;   /* index of the string */
    uint32_t len;      /* bytes from the factor's start to the end of what Vectorscan searches */
    uint32_t min_dist; /* the factor starts min_dist..max_dist bytes after the match start */
    uint32_t max_dist;
    /* 0, or the bytes the whole factor spans when Vectorscan searches only a literal run of it
     * (ending `len` bytes after its start): then confirm holds a mask per byte, then a value per
     * byte, and a hit counts only where (data[start + i] & mask[i]) == value[i] for every i */
    uint32_t confirm_len;
    uint8_t *confirm;
    /* 0, or the length of a companion (factor.c, add_companion): bytes that every match
     * holding this factor at `start` also holds, beginning comp_lo..comp_hi bytes from `start`
     * (negative: before it); comp holds a mask per byte, then at VT_MAX_COMPANION a value per
     * byte. A hit without them there names no candidate. */
    uint32_t comp_len;
    int32_t comp_lo, comp_hi;
    uint8_t comp[2 * VT_MAX_COMPANION];
    char *expr;        /* Vectorscan expression (byte classes only) */
    /* When every position Vectorscan searches is one byte or one ASCII letter in both cases:
     * their number, and the first two (a letter in lower case); 0 otherwise. */
    uint32_t literal_len;
    uint8_t literal_head[2];
    bool literal_nocase[2];
} vt_factor;

typedef struct vt_factor_list {
    vt_factor *items;
    size_t count, cap;
} vt_factor_list;

/* Append the factors of one string to `out`. *none is set when the string has no usable factor
 * and must be verified at every offset. */
vt_status vt_factors_for_string(const vt_string_spec *spec, uint32_t index, vt_factor_list *out,
                                bool *none, vt_error *err);
void vt_factor_list_free(vt_factor_list *list);

/* The literal a factor expression searches, when it is one (vt_factor.literal_len != 0): per
 * position its byte (a letter in lower case when folded) and whether it stands for that letter in
 * either case; the number of positions, 0 when expr is not a literal run or has more than max. */
size_t vt_factor_literal(const char *expr, uint8_t *bytes, bool *folded, size_t max);

/* The hash of a factor expression (identical expressions are one Vectorscan pattern). */
uint64_t vt_factor_expr_hash(const char *expr);

/* Where a literal factor contains another literal factor of 4 bytes or more that matches
 * wherever it does, search it by that one and confirm it whole (factor_share.c): the same
 * candidates from fewer Vectorscan patterns. Deterministic; changes only list's items. */
vt_status vt_factors_share_literals(vt_factor_list *list, vt_error *err);

#endif
