/* factor.c: choosing prefilter factors. Text strings give their whole text (and its wide, xor
 * and case variants); hex strings and regexes give the best run of byte-class nodes in their
 * top-level sequence (one per branch of a top-level alternation), with the range of distances
 * from the match start that the nodes before it allow. A factor with classes or gaps is searched
 * by a literal run of it and confirmed whole at each hit (add_factor, vt_factor.confirm). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "factor.h"
#include "program.h"
#include "string_internal.h"

#define MAX_FACTOR 32
#define UNBOUNDED (VT_RE_SCAN_LIMIT + 1L)

void vt_factor_list_free(vt_factor_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].expr);
        free(list->items[i].confirm);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

typedef struct seq {
    uint8_t sets[MAX_FACTOR * 2][32];
    size_t n;
} seq;

/* Members of a byte set (bit counting in registers: without -mpopcnt, __builtin_popcountll is
 * a library call, and this ran for every byte of every factor). */
static int popcount(const uint8_t *set)
{
    int total = 0;
    for (int i = 0; i < 32; i += 8) {
        uint64_t w;
        memcpy(&w, set + i, 8);
        w = w - (w >> 1 & 0x5555555555555555ull);
        w = (w & 0x3333333333333333ull) + (w >> 2 & 0x3333333333333333ull);
        w = (w + (w >> 4)) & 0x0F0F0F0F0F0F0F0Full;
        total += (int)(w * 0x0101010101010101ull >> 56);
    }
    return total;
}

/* The lowest member of set at or above b, 256 when none. */
static unsigned next_member(const uint8_t *set, unsigned b)
{
    while (b < 256) {
        unsigned byte = set[b >> 3] >> (b & 7);
        if (byte)
            return b + (unsigned)__builtin_ctz(byte);
        b = (b | 7) + 1;
    }
    return 256;
}

/* Appends \xHH at out + n when out is not NULL (measuring otherwise); returns the length. */
static size_t put_hex(char *out, size_t n, unsigned b)
{
    static const char digits[] = "0123456789abcdef";
    if (out) {
        out[n] = '\\';
        out[n + 1] = 'x';
        out[n + 2] = digits[b >> 4];
        out[n + 3] = digits[b & 15];
    }
    return 4;
}

static size_t put_char(char *out, size_t n, char c)
{
    if (out)
        out[n] = c;
    return 1;
}

/* Render sets as a Vectorscan expression: a byte as \xHH, a full set as '.', other sets as a
 * class of ranges. Writes into out when it is not NULL; returns the length either way. */
/* What add_factor reads of each set of a factor, counted once per position (it reads them
 * several times: compiling yara-rules counted members 3 to 6 times a position, 10% of the
 * compile's instructions). */
typedef struct set_shape {
    int count;      /* members */
    unsigned first; /* the lowest member, 256 when none */
} set_shape;

static set_shape shape_of(const uint8_t *set)
{
    return (set_shape){popcount(set), next_member(set, 0)};
}

static size_t render_to(const uint8_t (*sets)[32], const set_shape *shapes, size_t nsets,
                        char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < nsets; i++) {
        const uint8_t *set = sets[i];
        int count = shapes[i].count;
        if (count == 256) {
            n += put_char(out, n, '.');
            continue;
        }
        if (count == 1) {
            n += put_hex(out, n, shapes[i].first);
            continue;
        }
        n += put_char(out, n, '[');
        for (unsigned b = shapes[i].first; b < 256; b = next_member(set, b)) {
            unsigned e = b;
            while (e + 1 < 256 && vt_set_has(set, e + 1))
                e++;
            n += put_hex(out, n, b);
            if (e > b) {
                n += put_char(out, n, '-');
                n += put_hex(out, n, e);
            }
            b = e + 1;
            if (b >= 256)
                break;
        }
        n += put_char(out, n, ']');
    }
    if (out)
        out[n] = 0;
    return n;
}

/* The expression in a buffer of its own length (the longest possible rendering, 256 ranges of
 * 9 characters per set, is over 100 KB for a long factor: allocating that much per factor made
 * compiling large rule sets slow and memory-hungry). */
static char *render(const uint8_t (*sets)[32], const set_shape *shapes, size_t count)
{
    char *out = malloc(render_to(sets, shapes, count, NULL) + 1);
    if (out)
        render_to(sets, shapes, count, out);
    return out;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The byte of "\xHH" at e (as put_hex writes it), or -1. */
static int hex_byte(const char *e)
{
    if (e[0] != '\\' || e[1] != 'x')
        return -1;
    int hi = hex_digit(e[2]), lo = hi < 0 ? -1 : hex_digit(e[3]);
    return lo < 0 ? -1 : hi << 4 | lo;
}

size_t vt_factor_literal(const char *expr, uint8_t *bytes, bool *folded, size_t max)
{
    size_t n = 0;
    while (*expr) {
        if (n == max)
            return 0;
        int b = hex_byte(expr);
        if (b >= 0) {
            bytes[n] = (uint8_t)b;
            folded[n++] = false;
            expr += 4;
            continue;
        }
        b = expr[0] == '[' ? hex_byte(expr + 1) : -1; /* render_to: "[\xHH\xhh]" */
        if (b < 'A' || b > 'Z' || hex_byte(expr + 5) != (b | 0x20) || expr[9] != ']')
            return 0;
        bytes[n] = (uint8_t)(b | 0x20);
        folded[n++] = true;
        expr += 10;
    }
    return n;
}

uint64_t vt_factor_expr_hash(const char *expr)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (const uint8_t *p = (const uint8_t *)expr; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

/* A byte that fills binaries (00 FF 20 CC 90). */
static bool common_byte(unsigned b)
{
    return b == 0x00 || b == 0xFF || b == 0x20 || b == 0xCC || b == 0x90;
}

/* A set of one byte that fills binaries. */
static bool common_single(const uint8_t *set)
{
    return popcount(set) == 1 && common_byte(next_member(set, 0));
}

/* A set (of that shape) Vectorscan searches as part of a literal: one byte, or one ASCII letter
 * in both cases; *strong unless it is one byte that fills binaries. */
static bool literal_set(const uint8_t *set, set_shape shape, bool *strong)
{
    unsigned b = shape.first;
    *strong = shape.count == 2 || !(shape.count == 1 && common_byte(b));
    return shape.count == 1 || (shape.count == 2 && vt_ascii_other_case(b) != b &&
                                vt_set_has(set, vt_ascii_other_case(b)));
}

/* A factor with byte classes or gaps is searched by its best literal run (positions of one byte
 * or one letter in both cases: the most that do not fill binaries, then the longest) when that
 * run has at least MIN_SEARCHED_RUN such positions; the matcher confirms the whole factor at each
 * hit of the run (vt_factor.confirm) before it names a candidate. Vectorscan compiles literals
 * far faster than literals joined by classes or gaps (reversinglabs' 339 factors with gaps took
 * 1.11 G instructions to compile, their literal runs 0.03 G), and a hit of the run outside the
 * factor costs one comparison. A run of one or two such bytes hits everywhere in binaries: the
 * factor is then given to Vectorscan whole. True when the factor is searched by a run. */
#define MIN_SEARCHED_RUN 3

static bool searched_run(const seq *s, const set_shape *shapes, size_t *run_at, size_t *run_len)
{
    size_t best_at = 0, best_len = 0, best_strong = 0, at = 0, strong = 0;
    bool whole = true;
    for (size_t i = 0; i <= s->n; i++) {
        bool is_strong = false;
        if (i < s->n && literal_set(s->sets[i], shapes[i], &is_strong)) {
            strong += is_strong;
            continue;
        }
        whole = whole && i == s->n;
        if (strong > best_strong || (strong == best_strong && i - at > best_len)) {
            best_at = at;
            best_len = i - at;
            best_strong = strong;
        }
        at = i + 1;
        strong = 0;
    }
    if (whole || best_strong < MIN_SEARCHED_RUN)
        return false;
    *run_at = best_at;
    *run_len = best_len;
    return true;
}

/* The bits all members of a set agree on (mask) and their values: every member b has
 * (b & mask) == value, so comparing that way never rejects a byte of the set. */
static void mask_and_value(const uint8_t *set, set_shape shape, uint8_t *mask, uint8_t *value)
{
    if (shape.count == 1) {
        *mask = 0xFF;
        *value = (uint8_t)shape.first;
        return;
    }
    unsigned all = 0xFF, any = 0;
    for (unsigned b = next_member(set, 0); b < 256; b = next_member(set, b + 1)) {
        all &= b;
        any |= b;
    }
    *mask = (uint8_t)~(all ^ any);
    *value = (uint8_t)(all & *mask);
}

/* Room in out for one more factor; false without memory. */
static bool factor_room(vt_factor_list *out)
{
    if (out->count < out->cap)
        return true;
    size_t cap = out->cap ? out->cap * 2 : 64;
    vt_factor *items = realloc(out->items, cap * sizeof *items);
    if (!items)
        return false;
    out->items = items;
    out->cap = cap;
    return true;
}

/* Adds factor s; Vectorscan searches s->sets[run_at, run_at + run_len) and the matcher confirms
 * the rest, or, with run_len 0, the run searched_run chooses (all of s when none). */
static vt_status add_factor(vt_factor_list *out, uint32_t index, const seq *s, long min_dist,
                            long max_dist, size_t run_at, size_t run_len, vt_error *err)
{
    if (!factor_room(out))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    set_shape shapes[MAX_FACTOR * 2];
    for (size_t i = 0; i < s->n; i++)
        shapes[i] = shape_of(s->sets[i]);
    bool confirm = run_len > 0 && run_len < s->n;
    if (!run_len && !(confirm = searched_run(s, shapes, &run_at, &run_len))) {
        run_at = 0;
        run_len = s->n;
    }
    /* Nor does Vectorscan search the zero bytes that end a factor (wide strings end with one):
     * its literal filter looks at the last bytes of each literal, and zeros fill binaries and
     * UTF-16 text, so literals ending with a zero pass it at almost every position. Cut, the
     * factor is confirmed whole (Vectorscan's scan of libwine: trellix-atr's factors -28%,
     * yara-rules' -17%; /usr/bin within the noise). */
    while (run_len > 2 && shapes[run_at + run_len - 1].count == 1 &&
           shapes[run_at + run_len - 1].first == 0) {
        run_len--;
        confirm = true;
    }
    char *expr = render(s->sets + run_at, shapes + run_at, run_len);
    uint8_t *masks = confirm ? malloc(2 * s->n) : NULL;
    if (!expr || (confirm && !masks)) {
        free(expr);
        free(masks);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; confirm && i < s->n; i++)
        mask_and_value(s->sets[i], shapes[i], &masks[i], &masks[s->n + i]);
    if (max_dist > VT_RE_SCAN_LIMIT)
        max_dist = VT_RE_SCAN_LIMIT;
    vt_factor *f = &out->items[out->count++];
    *f = (vt_factor){.string = index, .len = (uint32_t)(run_at + run_len),
                     .min_dist = (uint32_t)min_dist, .max_dist = (uint32_t)max_dist,
                     .confirm_len = confirm ? (uint32_t)s->n : 0, .confirm = masks, .expr = expr,
                     .literal_len = (uint32_t)run_len};
    for (size_t i = 0; i < run_len && f->literal_len; i++) {
        set_shape shape = shapes[run_at + i];
        bool strong;
        if (!literal_set(s->sets[run_at + i], shape, &strong)) {
            f->literal_len = 0;
        } else if (i < 2) {
            f->literal_nocase[i] = shape.count == 2;
            f->literal_head[i] = (uint8_t)(shape.first | (f->literal_nocase[i] ? 0x20 : 0));
        }
    }
    return VT_OK;
}

static void bytes_seq(seq *s, const uint8_t *bytes, size_t n, bool nocase, bool wide, uint8_t key)
{
    s->n = 0;
    for (size_t i = 0; i < n && s->n + 2 <= MAX_FACTOR * 2; i++) {
        memset(s->sets[s->n], 0, 32);
        vt_set_add(s->sets[s->n], bytes[i] ^ key);
        if (nocase)
            vt_set_add(s->sets[s->n], vt_ascii_other_case(bytes[i]));
        s->n++;
        if (wide) {
            memset(s->sets[s->n], 0, 32);
            vt_set_add(s->sets[s->n], key);
            s->n++;
        }
    }
}

static vt_status text_factors(const vt_string_spec *spec, uint32_t index, vt_factor_list *out,
                              vt_error *err)
{
    bool wide = spec->modifiers & VT_MOD_WIDE;
    bool ascii = (spec->modifiers & VT_MOD_ASCII) || !wide;
    bool nocase = spec->modifiers & VT_MOD_NOCASE;
    bool xor = spec->modifiers & VT_MOD_XOR;
    int kmin = xor ? spec->xor_min : 0, kmax = xor ? spec->xor_max : 0;
    size_t n = spec->len < MAX_FACTOR ? spec->len : MAX_FACTOR;
    seq s;
    for (int k = kmin; k <= kmax; k++) {
        for (int w = 0; w < 2; w++) {
            if ((w == 0 && !ascii) || (w == 1 && !wide))
                continue;
            bytes_seq(&s, spec->data, n, nocase, w == 1, (uint8_t)k);
            vt_status st = add_factor(out, index, &s, 0, 0, 0, 0, err);
            if (st != VT_OK)
                return st;
        }
    }
    return VT_OK;
}

static long node_min(const vt_node *n);
static long node_max(const vt_node *n);

static long node_min(const vt_node *n)
{
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS: return 1;
    case VT_NODE_CONCAT: {
        long t = 0;
        for (size_t i = 0; i < n->nkids && t < UNBOUNDED; i++)
            t += node_min(n->kids[i]);
        return t < UNBOUNDED ? t : UNBOUNDED;
    }
    case VT_NODE_ALT: {
        long best = UNBOUNDED;
        for (size_t i = 0; i < n->nkids; i++) {
            long m = node_min(n->kids[i]);
            if (m < best)
                best = m;
        }
        return best;
    }
    case VT_NODE_REPEAT: {
        long m = node_min(n->kids[0]) * n->min;
        return m < UNBOUNDED ? m : UNBOUNDED;
    }
    default: return 0;
    }
}

static long node_max(const vt_node *n)
{
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS: return 1;
    case VT_NODE_CONCAT: {
        long t = 0;
        for (size_t i = 0; i < n->nkids && t < UNBOUNDED; i++)
            t += node_max(n->kids[i]);
        return t < UNBOUNDED ? t : UNBOUNDED;
    }
    case VT_NODE_ALT: {
        long best = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            long m = node_max(n->kids[i]);
            if (m > best)
                best = m;
        }
        return best;
    }
    case VT_NODE_REPEAT: {
        if (n->max < 0)
            return node_max(n->kids[0]) ? UNBOUNDED : 0;
        long m = node_max(n->kids[0]) * n->max;
        return m < UNBOUNDED ? m : UNBOUNDED;
    }
    default: return 0;
    }
}


/* Moves the distance range [*pmin, *pmax] past node n (the top saturating at UNBOUNDED); false
 * once the least distance is beyond what a scan looks at. */
static bool step_past(const vt_node *n, long *pmin, long *pmax)
{
    *pmin += node_min(n);
    long mx = node_max(n);
    *pmax = *pmax + mx > UNBOUNDED ? UNBOUNDED : *pmax + mx;
    return *pmin <= VT_RE_SCAN_LIMIT;
}

/* The byte set of a single-byte node as the verifier sees it and a score for how selective it
 * is (0: unusable in a factor; ANY nodes give -1: allowed as a gap inside a factor). */
static int node_set(const vt_node *n, bool nocase, uint8_t *set, bool *common)
{
    memset(set, 0, 32);
    *common = false;
    switch (n->kind) {
    case VT_NODE_LITERAL:
        if (n->negated)
            return 0;
        vt_set_add(set, n->value);
        if (nocase && vt_ascii_other_case(n->value) != n->value) {
            vt_set_add(set, vt_ascii_other_case(n->value));
            return 3; /* as a set of 2 below */
        }
        /* bytes that fill binaries are weak evidence */
        *common = common_byte(n->value);
        return *common ? 1 : 4;
    case VT_NODE_MASKED:
        vt_node_byte_set(n, false, false, set);
        break;
    case VT_NODE_CLASS:
        memcpy(set, n->set, 32);
        break;
    case VT_NODE_ANY:
        if (!n->any_all)
            return 0;
        memset(set, 0xFF, 32);
        return -1;
    case VT_NODE_ALT: /* of single bytes, ( 43 | 63 ) in a hex string: the set of them all */
        for (size_t k = 0; k < n->nkids; k++) {
            uint8_t one[32];
            bool ignored;
            if (node_set(n->kids[k], nocase, one, &ignored) <= 0)
                return 0;
            for (int w = 0; w < 32; w++)
                set[w] |= one[w];
        }
        if (popcount(set) == 1) { /* ( 43 | 43 ): one byte, scored as a literal would be */
            *common = common_single(set);
            return *common ? 1 : 4;
        }
        break;
    default:
        return 0;
    }
    if (nocase)
        vt_set_fold_case(set);
    int count = popcount(set);
    if (count == 1) {
        *common = common_single(set);
        uint8_t b = n->value;
        return common_byte(b) ? 1 : 4;
    }
    if (count <= 2)
        return 3;
    if (count <= 16)
        return 2;
    if (count <= 64)
        return 1;
    return 0;
}

/* What filling bytes add to a run's score, in all: a run of zeros is found everywhere in
 * zero-padded files however long it is (peid.yar's `E9 ?? ?? 00 00 00 00 00 00 00 00` is better
 * searched with its E9 than by its eight zeros: millions of hits per file otherwise). */
#define MAX_COMMON_SCORE 4

/* Best factor of a sequence of nodes; false when none. *best_kid (when not NULL): the node the
 * factor begins at, NO_KID when it lies inside a repeated group. */
#define NO_KID SIZE_MAX

static int best_run(const vt_node *const *kids, size_t nkids, bool nocase, bool gaps, seq *best,
                    long *best_min, long *best_max, size_t *best_kid)
{
    long pmin = 0, pmax = 0;
    int best_score = 0;
    seq cur = {.n = 0};
    long cur_min = 0, cur_max = 0;
    size_t cur_kid = 0, kid_sink;
    if (!best_kid)
        best_kid = &kid_sink;
    *best_kid = NO_KID;
    int cur_score = 0, cur_common = 0;
    for (size_t i = 0; i <= nkids; i++) {
        uint8_t set[32];
        bool common = false;
        int score = i < nkids ? node_set(kids[i], nocase, set, &common) : 0;
        /* A group repeated at least once, (...){n,m} or (...)+: its first iteration is a
         * sequence of its own; a factor found there is one candidate, shifted by the prefix. */
        if (!score && i < nkids && kids[i]->kind == VT_NODE_REPEAT && kids[i]->min >= 1 &&
            !kids[i]->hex_jump && kids[i]->kids[0]->kind == VT_NODE_CONCAT && pmax < UNBOUNDED) {
            const vt_node *inner = kids[i]->kids[0];
            seq sub;
            long smin = 0, smax = 0;
            int sscore = best_run((const vt_node *const *)inner->kids, inner->nkids, nocase,
                                  gaps, &sub, &smin, &smax, NULL);
            if (sscore > best_score && pmax + smax < UNBOUNDED) {
                *best = sub;
                *best_min = pmin + smin;
                *best_max = pmax + smax;
                *best_kid = NO_KID;
                best_score = sscore;
            }
        }
        /* A fixed jump of a hex string, [n] (as n wildcards) inside a run with gaps. */
        if (gaps && !score && i < nkids && cur.n && kids[i]->kind == VT_NODE_REPEAT &&
            kids[i]->min == kids[i]->max && kids[i]->min >= 1 && kids[i]->min <= 8 &&
            cur.n + (size_t)kids[i]->min < MAX_FACTOR && kids[i]->kids[0]->kind == VT_NODE_ANY &&
            kids[i]->kids[0]->any_all) {
            for (int k = 0; k < kids[i]->min; k++)
                memset(cur.sets[cur.n++], 0xFF, 32);
            pmin += kids[i]->min;
            pmax += kids[i]->min;
            continue;
        }
        /* x{n,m} with n >= 1 of a single-byte node: n copies of x join the run, and the run
         * ends there unless the count is fixed. */
        if (!score && i < nkids && kids[i]->kind == VT_NODE_REPEAT && kids[i]->min >= 1 &&
            !kids[i]->hex_jump && (score = node_set(kids[i]->kids[0], nocase, set, &common)) > 0) {
            if (cur.n == 0) {
                cur_min = pmin;
                cur_max = pmax;
                cur_score = 0;
                cur_common = 0;
                cur_kid = i;
            }
            for (int k = 0; k < kids[i]->min && cur.n < MAX_FACTOR; k++) {
                memcpy(cur.sets[cur.n++], set, 32);
                if (!common || cur_common++ < MAX_COMMON_SCORE)
                    cur_score += score;
            }
            if (kids[i]->max != kids[i]->min || cur.n >= MAX_FACTOR) {
                if (cur_score > best_score) {
                    *best = cur;
                    *best_min = cur_min;
                    *best_max = cur_max;
                    *best_kid = cur_kid;
                    best_score = cur_score;
                }
                cur.n = 0;
            }
            pmin += node_min(kids[i]);
            long mx = node_max(kids[i]);
            pmax = pmax + mx > UNBOUNDED ? UNBOUNDED : pmax + mx;
            continue;
        }
        if (score < 0 && (cur.n == 0 || !gaps))
            score = 0; /* a factor does not start with a gap */
        if (score && cur.n < MAX_FACTOR) {
            if (cur.n == 0) {
                cur_min = pmin;
                cur_max = pmax;
                cur_score = 0;
                cur_common = 0;
                cur_kid = i;
            }
            memcpy(cur.sets[cur.n++], set, 32);
            if (score > 0 && (!common || cur_common++ < MAX_COMMON_SCORE))
                cur_score += score;
        } else if (cur.n) {
            while (cur.n && popcount(cur.sets[cur.n - 1]) == 256)
                cur.n--; /* nor ends with one */
            if (cur_score > best_score) {
                *best = cur;
                *best_min = cur_min;
                *best_max = cur_max;
                *best_kid = cur_kid;
                best_score = cur_score;
            }
            cur.n = 0;
            if (score > 0) { /* a long run: start a new one here */
                cur_min = pmin;
                cur_max = pmax;
                cur_kid = i;
                memcpy(cur.sets[cur.n++], set, 32);
                cur_score = score;
                cur_common = common;
            }
        }
        if (i < nkids && !step_past(kids[i], &pmin, &pmax))
            break;
    }
    return best_score;
}

/* A run whose positions may be apart by bounded jumps, ( 50 | 70 ) [0-1] ( 4F | 6F ) [0-1] ( 57
 * | 77 ) ...: its gap[i] lies before position i (lo..hi bytes of any value). For strings whose
 * best run without such jumps is weak: those jumps break every run into single bytes, and
 * Vectorscan searches the whole as a regex far better (ditekshen's `powershell` in ( 50 | 70 )
 * [0-1] ... form: one position [Pp] had 87,000 hits in 40 files of /usr/bin). */
#define MAX_VAR_GAP 8 /* at most this many bytes in one jump */
#define VAR_RUN_MIN_SCORE 12
#define VAR_RUN_MAX 6    /* positions */
#define VAR_RUN_SLACK 5  /* bytes the jumps may vary by, in all: Vectorscan's compile grows fast */

typedef struct var_run {
    seq s;
    uint8_t gap_lo[MAX_FACTOR * 2], gap_hi[MAX_FACTOR * 2];
} var_run;

/* Best run with bounded jumps of kids (plain positions and `??` too); its score, 0 when none. */
static int best_var_run(const vt_node *const *kids, size_t nkids, bool nocase, var_run *best,
                        long *best_min, long *best_max)
{
    var_run cur = {.s.n = 0};
    long pmin = 0, pmax = 0, cur_min = 0, cur_max = 0;
    int best_score = 0, cur_score = 0, cur_common = 0;
    long cur_slack = 0, lo = 0, hi = 0; /* lo..hi: the jump pending before the next position */
    for (size_t i = 0; i <= nkids; i++) {
        uint8_t set[32];
        bool common = false;
        int score = i < nkids ? node_set(kids[i], nocase, set, &common) : 0;
        const vt_node *k = i < nkids ? kids[i] : NULL;
        bool jump = k && cur.s.n && (score < 0 || (k->kind == VT_NODE_REPEAT && k->max >= 0 &&
                                                    k->kids[0]->kind == VT_NODE_ANY &&
                                                    k->kids[0]->any_all));
        if (jump) {
            lo += score < 0 ? 1 : k->min;
            hi += score < 0 ? 1 : k->max;
        }
        if (jump && hi <= MAX_VAR_GAP) {
            /* joined below, at the next position */
        } else if (score > 0 && !jump && cur.s.n < VAR_RUN_MAX &&
                   cur_slack + (hi - lo) <= VAR_RUN_SLACK) {
            if (cur.s.n == 0) {
                cur_min = pmin;
                cur_max = pmax;
                cur_score = 0;
                cur_common = 0;
                cur_slack = 0;
                lo = hi = 0;
            }
            cur_slack += hi - lo;
            cur.gap_lo[cur.s.n] = (uint8_t)lo;
            cur.gap_hi[cur.s.n] = (uint8_t)hi;
            memcpy(cur.s.sets[cur.s.n++], set, 32);
            if (!common || cur_common++ < MAX_COMMON_SCORE)
                cur_score += score;
            lo = hi = 0;
        } else {
            if (cur.s.n && cur_score > best_score) {
                *best = cur;
                *best_min = cur_min;
                *best_max = cur_max;
                best_score = cur_score;
            }
            cur.s.n = 0;
            lo = hi = 0;
            if (score > 0 && i < nkids) { /* a position that starts a new run */
                cur_min = pmin;
                cur_max = pmax;
                cur.gap_lo[0] = cur.gap_hi[0] = 0;
                memcpy(cur.s.sets[cur.s.n++], set, 32);
                cur_score = score;
                cur_common = common;
                cur_slack = 0;
            }
        }
        if (i < nkids && !step_past(kids[i], &pmin, &pmax))
            break;
    }
    return best_score;
}

/* Adds run r as one Vectorscan regex, its jumps as .{lo,hi}: a factor of r's shortest length,
 * the slack of its jumps added to the distances (a hit's end then bounds the match start as
 * well as a fixed factor's does), confirmed by Vectorscan itself. */
static vt_status add_var_factor(vt_factor_list *out, uint32_t index, const var_run *r,
                                long min_dist, long max_dist, vt_error *err)
{
    if (!factor_room(out))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    size_t len = 0, slack = 0, size = 1;
    set_shape shapes[MAX_FACTOR * 2];
    for (size_t i = 0; i < r->s.n; i++) {
        shapes[i] = shape_of(r->s.sets[i]);
        len += 1u + r->gap_lo[i];
        slack += (size_t)(r->gap_hi[i] - r->gap_lo[i]);
        size += render_to(&r->s.sets[i], &shapes[i], 1, NULL) + 16;
    }
    char *expr = malloc(size);
    if (!expr)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < r->s.n; i++) {
        if (r->gap_hi[i])
            at += (size_t)(r->gap_lo[i] == r->gap_hi[i]
                               ? sprintf(expr + at, ".{%u}", r->gap_lo[i])
                               : sprintf(expr + at, ".{%u,%u}", r->gap_lo[i], r->gap_hi[i]));
        at += render_to(&r->s.sets[i], &shapes[i], 1, expr + at);
    }
    expr[at] = '\0';
    max_dist = max_dist >= UNBOUNDED ? UNBOUNDED : max_dist + (long)slack;
    if (max_dist > VT_RE_SCAN_LIMIT)
        max_dist = VT_RE_SCAN_LIMIT;
    out->items[out->count++] = (vt_factor){.string = index, .len = (uint32_t)len,
                                           .min_dist = (uint32_t)min_dist,
                                           .max_dist = (uint32_t)max_dist, .expr = expr};
    return VT_OK;
}

/* True when `node` can only match the empty string: such a branch of a top-level alternation
 * never gives a reported match (yara drops empty matches), so it needs no factor. */
static bool only_empty(const vt_node *node)
{
    switch (node->kind) {
    case VT_NODE_EMPTY:
    case VT_NODE_ANCHOR_START:
    case VT_NODE_ANCHOR_END:
    case VT_NODE_WORD_BOUNDARY:
    case VT_NODE_NON_WORD_BOUNDARY: return true;
    case VT_NODE_CONCAT:
    case VT_NODE_ALT:
    case VT_NODE_REPEAT:
        for (size_t i = 0; i < node->nkids; i++)
            if (!only_empty(node->kids[i]))
                return false;
        return true;
    default: return false;
    }
}

/* A factor for the ascii and/or wide form of a string (wide: each byte followed by a zero). */
static vt_status add_forms(vt_factor_list *out, uint32_t index, const seq *s, long dmin, long dmax,
                           size_t run_at, size_t run_len, bool ascii, bool wide, vt_error *err)
{
    if (ascii) {
        vt_status st = add_factor(out, index, s, dmin, dmax, run_at, run_len, err);
        if (st != VT_OK)
            return st;
    }
    if (wide) {
        seq w = {.n = 0};
        for (size_t i = 0; i < s->n && w.n + 2 <= MAX_FACTOR * 2; i++) {
            memcpy(w.sets[w.n++], s->sets[i], 32);
            memset(w.sets[w.n], 0, 32);
            vt_set_add(w.sets[w.n++], 0);
        }
        long wmax = dmax >= UNBOUNDED ? UNBOUNDED : dmax * 2;
        return add_factor(out, index, &w, dmin * 2, wmax, 2 * run_at, 2 * run_len, err);
    }
    return VT_OK;
}

/* A sequence whose best run is weak (at most 3 bytes that do not fill binaries, or none) may
 * hold an alternation every match passes through, (ENV\{|ARGV\[|SIG\{) or (\\x70|\\160), whose
 * every branch has a stronger run: one factor per branch then, each at the alternation's
 * distance plus its own (a match contains one of them). The alternation taken is the one whose
 * weakest branch is strongest, with at most MAX_ALT_BRANCHES branches. Without these factors
 * such strings were searched by a byte like `=` (900,000 hits in /usr/bin) or verified at
 * every offset; signature-base's \.(txt|rtf|doc|...|json)$ has 18 branches, and with at most 16
 * it was searched by its `.` (27,000 hits in 40 files of /usr/bin). Top-level alternations have
 * no such bound (node_factors: one factor per branch). */
#define WEAK_RUN 16
#define MAX_ALT_BRANCHES 256 /* each branch a Vectorscan pattern: a bound on one string's share */

typedef struct alt_factors {
    seq *runs;       /* one per branch */
    long *min, *max; /* distances of each branch's run */
    size_t n;
    int score; /* of the weakest branch */
} alt_factors;

/* Room for the branches of the widest alternation among kids (at most MAX_ALT_BRANCHES), in two
 * alt_factors (the best so far and the one being weighed); false without memory. */
static bool alt_factors_new(const vt_node *const *kids, size_t nkids, alt_factors alts[2])
{
    size_t width = 0;
    for (size_t i = 0; i < nkids; i++)
        if (kids[i]->kind == VT_NODE_ALT && kids[i]->nkids <= MAX_ALT_BRANCHES &&
            kids[i]->nkids > width)
            width = kids[i]->nkids;
    memset(alts, 0, 2 * sizeof *alts);
    for (int k = 0; k < 2 && width; k++) {
        alts[k].runs = malloc(width * sizeof *alts[k].runs);
        alts[k].min = malloc(width * sizeof *alts[k].min);
        alts[k].max = malloc(width * sizeof *alts[k].max);
        if (!alts[k].runs || !alts[k].min || !alts[k].max)
            return false;
    }
    return true;
}

static void alt_factors_free(alt_factors alts[2])
{
    for (int k = 0; k < 2; k++) {
        free(alts[k].runs);
        free(alts[k].min);
        free(alts[k].max);
    }
}

/* The nodes next to an alternation join each branch's run: \.(txt|conf|json) is searched by
 * .txt, .conf and .json, not by txt, conf and json. Up to ALT_CONTEXT nodes on each side; those
 * before it only while their width is fixed, so that distances stay exact. */
#define ALT_CONTEXT 4

static void best_alternation(const vt_node *const *kids, size_t nkids, bool nocase,
                             alt_factors *best, alt_factors *scratch)
{
    best->score = 0;
    long pmin = 0, pmax = 0;
    for (size_t i = 0; i < nkids && pmin <= VT_RE_SCAN_LIMIT; i++) {
        const vt_node *alt = kids[i];
        if (alt->kind == VT_NODE_ALT && alt->nkids >= 2 && alt->nkids <= MAX_ALT_BRANCHES) {
            /* the fixed-width nodes just before the alternation, and those just after it */
            size_t before = 0, after = 0;
            long width = 0;
            while (before < ALT_CONTEXT && before < i &&
                   node_min(kids[i - before - 1]) == node_max(kids[i - before - 1])) {
                width += node_min(kids[i - before - 1]);
                before++;
            }
            while (after < ALT_CONTEXT && i + after + 1 < nkids)
                after++;
            /* each branch between its context: room for the longest, the context before once */
            size_t longest = 1;
            for (size_t b = 0; b < alt->nkids; b++)
                if (alt->kids[b]->kind == VT_NODE_CONCAT && alt->kids[b]->nkids > longest)
                    longest = alt->kids[b]->nkids;
            const vt_node **ctx = malloc((before + longest + after) * sizeof *ctx);
            if (ctx)
                memcpy(ctx, kids + i - before, before * sizeof *ctx);
            scratch->n = alt->nkids;
            scratch->score = 0;
            for (size_t b = 0; b < alt->nkids; b++) {
                const vt_node *br = alt->kids[b];
                const vt_node *const *bk = (const vt_node *const *)&alt->kids[b];
                size_t nbk = 1;
                if (br->kind == VT_NODE_CONCAT) {
                    bk = (const vt_node *const *)br->kids;
                    nbk = br->nkids;
                }
                long bmin = 0, bmax = 0;
                int score = 0;
                if (ctx) {
                    memcpy(ctx + before, bk, nbk * sizeof *ctx);
                    memcpy(ctx + before + nbk, kids + i + 1, after * sizeof *ctx);
                    score = best_run(ctx, before + nbk + after, nocase, false, &scratch->runs[b],
                                     &bmin, &bmax, NULL);
                    bmin -= width; /* an unbounded bmax stays so below: pmax >= width */
                    bmax -= width;
                } else { /* without memory for the context, the branch alone */
                    score = best_run(bk, nbk, nocase, false, &scratch->runs[b], &bmin, &bmax, NULL);
                }
                if (score < 1) {
                    scratch->score = 0;
                    break;
                }
                scratch->min[b] = pmin + bmin;
                scratch->max[b] = pmax + bmax > UNBOUNDED ? UNBOUNDED : pmax + bmax;
                if (b == 0 || score < scratch->score)
                    scratch->score = score;
            }
            free(ctx);
            if (scratch->score > best->score) { /* the best so far: keep it, weigh in the other */
                alt_factors kept = *best;
                *best = *scratch;
                *scratch = kept;
            }
        }
        step_past(alt, &pmin, &pmax); /* the loop's condition stops past the limit */
    }
}

/* A companion of a factor: a run of single-byte nodes of the same sequence, outside the factor,
 * that every match holding the factor at some offset also holds at a bounded distance from it
 * (vt_factor.comp_*). The matcher looks for it near each hit of the factor before it names a
 * candidate. Strings of short runs between variable jumps, signature-base's `89 [1-16] FF 15
 * [4-16] 89 [1-24] E8 [4-16] 89 C6 [4-24] 8D ...`, are searched by a run of two or three bytes
 * (`89 C6`: 158,934 candidates in /usr/bin), each candidate emulated through every jump. The
 * companion taken is the run (up to VT_MAX_COMPANION of its nodes) with the best score, then
 * the narrowest window; none scored below a byte that does not fill binaries and two that do,
 * none without an exact byte (the matcher looks for it with memchr), and none whose start may
 * vary by more than MAX_COMPANION_WINDOW bytes: each hit then costs at most a memchr over that
 * window, however dense the hits. */
#define MAX_COMPANION_WINDOW 256 /* bytes the companion's start may vary by */
#define COMPANION_BELOW 24        /* factors scored this high (six bytes) hit rarely enough */
#define MIN_COMPANION_SCORE 6

/* The distances [*lo, *hi] from the start of node a to the start of node b (a <= b); false when
 * unbounded or beyond what a scan looks at. */
static bool kid_span(const vt_node *const *kids, size_t a, size_t b, long *lo, long *hi)
{
    *lo = *hi = 0;
    for (size_t j = a; j < b; j++)
        if (!step_past(kids[j], lo, hi) || *hi >= UNBOUNDED)
            return false;
    return *hi <= VT_RE_SCAN_LIMIT;
}

static void add_companion(vt_factor *f, const vt_node *const *kids, size_t nkids, size_t fkid,
                          size_t flen, bool nocase)
{
    /* the nodes the factor spans: [fkid, fend) */
    size_t fend = fkid;
    for (long covered = 0; fend < nkids && covered < (long)flen; fend++)
        covered += node_min(kids[fend]);
    int best_score = 0;
    long best_width = 0;
    for (size_t a = 0; a < nkids; a++) {
        if (a >= fkid && a < fend)
            continue;
        /* the window of up to VT_MAX_COMPANION single-byte nodes from a, not into the factor */
        int score = 0;
        size_t w = 0;
        uint8_t set[32];
        bool common;
        while (w < VT_MAX_COMPANION && a + w < nkids && (a + w < fkid || a >= fend)) {
            int one = node_set(kids[a + w], nocase, set, &common);
            if (one <= 0)
                break;
            score += one;
            w++;
        }
        long lo, hi;
        if (score < MIN_COMPANION_SCORE || score < best_score)
            continue;
        if (a >= fend) {
            if (!kid_span(kids, fkid, a, &lo, &hi))
                continue;
        } else {
            if (!kid_span(kids, a, fkid, &lo, &hi))
                continue;
            long t = lo;
            lo = -hi;
            hi = -t;
        }
        if (hi - lo > MAX_COMPANION_WINDOW || (score == best_score && hi - lo >= best_width))
            continue;
        uint8_t comp[2 * VT_MAX_COMPANION];
        bool exact = false; /* a byte the matcher can look for with memchr */
        for (size_t j = 0; j < w; j++) {
            node_set(kids[a + j], nocase, set, &common);
            mask_and_value(set, shape_of(set), &comp[j], &comp[VT_MAX_COMPANION + j]);
            exact = exact || comp[j] == 0xFF;
        }
        if (!exact)
            continue;
        best_score = score;
        best_width = hi - lo;
        f->comp_len = (uint32_t)w;
        f->comp_lo = (int32_t)lo;
        f->comp_hi = (int32_t)hi;
        memcpy(f->comp, comp, sizeof comp);
    }
}

static vt_status node_factors(const vt_node *root, const vt_string_spec *spec, uint32_t index,
                              bool nocase, vt_factor_list *out, bool *none, vt_error *err)
{
    const vt_node *const *branches = (const vt_node *const *)&root;
    size_t nbranches = 1;
    if (root->kind == VT_NODE_ALT) {
        branches = (const vt_node *const *)root->kids;
        nbranches = root->nkids;
    }
    bool wide = spec->kind == VT_STRING_REGEX && (spec->modifiers & VT_MOD_WIDE);
    bool ascii = spec->kind != VT_STRING_REGEX || (spec->modifiers & VT_MOD_ASCII) || !wide;
    size_t first = out->count;
    for (size_t b = 0; b < nbranches; b++) {
        const vt_node *br = branches[b];
        if (nbranches > 1 && only_empty(br))
            continue;
        const vt_node *const *kids = (const vt_node *const *)&br;
        size_t nkids = 1;
        if (br->kind == VT_NODE_CONCAT) {
            kids = (const vt_node *const *)br->kids;
            nkids = br->nkids;
        }
        seq s;
        long dmin = 0, dmax = 0;
        size_t run_at = 0, run_len = 0; /* 0: add_factor chooses what Vectorscan searches */
        /* Literal runs first; a run with wildcard gaps only when it is clearly more selective
         * (Vectorscan then searches a literal run of it, or all of it: add_factor). When the
         * literal run is kept but lies inside a longer run with gaps, that longer run is the
         * factor, searched by the same literal and confirmed whole: Vectorscan does the same
         * work, and hits where the rest differs name no candidate (emulation-stress's
         * `{ 0F B? [1-8] 48 8D [2] 4? 3? ... }`: 48 8D, 2.5 million hits in /usr/bin). */
        size_t kid = NO_KID, gkid = NO_KID; /* the node each run begins at */
        int score = best_run(kids, nkids, nocase, false, &s, &dmin, &dmax, &kid);
        if (score < 24) {
            seq g;
            long gmin = 0, gmax = 0;
            int gscore = best_run(kids, nkids, nocase, true, &g, &gmin, &gmax, &gkid);
            long k = dmin - gmin;
            if (gscore >= score + 8 || (score < 8 && gscore > score)) {
                s = g;
                dmin = gmin;
                dmax = gmax;
                score = gscore;
                kid = gkid;
            } else if (gscore > score && s.n && k >= 0 && dmax - gmax == k &&
                       (size_t)k + s.n <= g.n &&
                       memcmp(g.sets[k], s.sets[0], s.n * sizeof s.sets[0]) == 0) {
                run_at = (size_t)k;
                run_len = s.n;
                s = g;
                dmin = gmin;
                dmax = gmax;
                kid = gkid;
            }
        }
        /* a weak run: runs with bounded jumps, then alternations, may do better */
        int vscore = 0;
        long vmin = 0, vmax = 0;
        var_run *vr = NULL;
        if (score < WEAK_RUN && ascii && !wide) {
            if (!(vr = malloc(sizeof *vr)))
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            vscore = best_var_run(kids, nkids, nocase, vr, &vmin, &vmax);
            if (vscore < VAR_RUN_MIN_SCORE || vscore < score + 8)
                vscore = 0;
        }
        if (score < WEAK_RUN) {
            alt_factors alts[2];
            if (!alt_factors_new(kids, nkids, alts)) {
                alt_factors_free(alts);
                free(vr);
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            }
            best_alternation(kids, nkids, nocase, &alts[0], &alts[1]);
            bool taken = alts[0].score > score && alts[0].score >= 12 && alts[0].score >= vscore;
            vt_status st = VT_OK;
            for (size_t k = 0; taken && k < alts[0].n && st == VT_OK; k++)
                st = add_forms(out, index, &alts[0].runs[k], alts[0].min[k], alts[0].max[k], 0,
                               0, ascii, wide, err);
            alt_factors_free(alts);
            if (st != VT_OK || taken) {
                free(vr);
                if (st != VT_OK)
                    return st;
                continue;
            }
        }
        if (vscore) {
            vt_status st = add_var_factor(out, index, vr, vmin, vmax, err);
            free(vr);
            if (st != VT_OK)
                return st;
            continue;
        }
        free(vr);
        if (score < 1) {
            for (size_t i = first; i < out->count; i++) {
                free(out->items[i].expr);
                free(out->items[i].confirm);
            }
            out->count = first;
            *none = true;
            return VT_OK;
        }
        vt_status st = add_forms(out, index, &s, dmin, dmax, run_at, run_len, ascii, wide, err);
        if (st != VT_OK)
            return st;
        if (!wide && kid != NO_KID && score < COMPANION_BELOW)
            add_companion(&out->items[out->count - 1], kids, nkids, kid, s.n, nocase);
    }
    return VT_OK;
}

vt_status vt_factors_for_string(const vt_string_spec *spec, uint32_t index, vt_factor_list *out,
                                bool *none, vt_error *err)
{
    *none = false;
    bool base64 = spec->kind == VT_STRING_TEXT &&
                  (spec->modifiers & (VT_MOD_BASE64 | VT_MOD_BASE64WIDE));
    if (spec->kind == VT_STRING_TEXT && !base64) {
        if (spec->len == 0) {
            *none = true;
            return VT_OK;
        }
        return text_factors(spec, index, out, err);
    }
    vt_pattern *pat = NULL;
    vt_status st;
    bool nocase = (spec->modifiers & VT_MOD_NOCASE) != 0;
    if (base64)
        st = vt_base64_pattern(spec, &pat, err);
    else if (spec->kind == VT_STRING_HEX)
        st = vt_pattern_parse_hex((const char *)spec->data, spec->len, &pat, err);
    else {
        st = vt_pattern_parse_regex((const char *)spec->data, spec->len, spec->regex_flags, &pat,
                                    err);
        nocase = nocase || (spec->regex_flags & VT_REGEX_NOCASE);
    }
    /* the verifier is built from this pattern when a scan first needs it: one it could not
     * build is refused now, when the matcher is built */
    if (st == VT_OK)
        st = vt_program_check_size(pat, err);
    if (st != VT_OK) {
        vt_pattern_free(pat);
        return st;
    }
    st = node_factors(pat->root, spec, index, nocase, out, none, err);
    vt_pattern_free(pat);
    return st;
}
