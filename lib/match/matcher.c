/* matcher.c: the multi-string matcher. All prefilter factors of all strings are compiled into
 * one Vectorscan database; a scan runs it once over the data, turns every factor hit into a
 * range of candidate start offsets for its string, merges the ranges, and verifies each
 * candidate offset once with the exact string verifier. Matches are reported per string in
 * increasing offset order, strings in index order, as yara lists them. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <hs/hs.h>

#include <vitrine/match.h>

#include "factor.h"
#include "program.h"
#include "string_internal.h"

#define MATCHER_MAGIC "VTMATCH8"
#define MATCHER_MAGIC_V1 "VTMATCH1" /* one pattern per factor: rebuilt when loaded */
#define MATCHER_MAGIC_V2 "VTMATCH2" /* factors without confirmation: rebuilt when loaded */
#define MATCHER_MAGIC_V3 "VTMATCH3" /* without header gates: rebuilt when loaded */
#define MATCHER_MAGIC_V4 "VTMATCH4" /* without gate escapes: rebuilt when loaded */
#define MATCHER_MAGIC_V5 "VTMATCH5" /* block-mode databases: rebuilt when loaded */
#define MATCHER_MAGIC_V6 "VTMATCH6" /* without excluded strings: rebuilt when loaded */
#define MATCHER_MAGIC_V7 "VTMATCH7" /* without companions: rebuilt when loaded */
#define MAX_CONFIRM 128               /* bytes of a confirmed factor (factor.c: 64 at most) */

/* Databases are compiled in Vectorscan's vectored mode and scanned as a vector of one buffer,
 * which is the same as a block scan: in block mode Vectorscan also builds a "small write" engine
 * for inputs of a few dozen bytes, which costs some sets of a few hundred literals most of their
 * compile (trellix-atr's second database: 0.65 s and 130 MB in block mode, 0.02 s and 8 MB
 * vectored; bench/RESULTS.md).
 *
 * Debian's libhs 5.4.9 is a "fat runtime": hs_scan dispatches to one of several builds of the
 * library (core2, corei7, avx2, avx512) by the CPU, and its AVX-512 build loses matches: 'z\w'
 * is not reported at most offsets past 64 of a 300-byte buffer, "mis" beside "oops" not in
 * the last few dozen bytes (issue 11: rules missed on small files); its AVX2 and older builds
 * report them all. Where the dispatcher would take the AVX-512 build, the matcher scans with the
 * AVX2 build of the same library (exported as avx2_hs_scan_vector; a weak reference, absent
 * from single-target builds of the library, which keep hs_scan_vector), and databases are
 * compiled without the AVX-512 features in any case, so that every build of the runtime can run
 * them. */
typedef hs_error_t (*hs_scan_fn)(const hs_database_t *db, const char *const *data,
                                 const unsigned *length, unsigned count, unsigned flags,
                                 hs_scratch_t *scratch, match_event_handler on_event,
                                 void *context);
extern hs_error_t avx2_hs_scan_vector(const hs_database_t *db, const char *const *data,
                                      const unsigned *length, unsigned count, unsigned flags,
                                      hs_scratch_t *scratch, match_event_handler on_event,
                                      void *context) __attribute__((weak));

static hs_scan_fn vectorscan_scan_function(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (avx2_hs_scan_vector && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw"))
        return avx2_hs_scan_vector;
#endif
    return hs_scan_vector;
}

/* The platform databases are compiled for: this CPU without the AVX-512 features (see above);
 * NULL (Vectorscan's default) when the platform cannot be read. */
static const hs_platform_info_t *vectorscan_platform(hs_platform_info_t *platform)
{
    if (hs_populate_platform(platform) != HS_SUCCESS)
        return NULL;
    platform->cpu_features &= ~(unsigned long long)(HS_CPU_FEATURES_AVX512 |
                                                    HS_CPU_FEATURES_AVX512VBMI);
    return platform;
}

/* A two-byte literal pattern searched by the matcher itself, not by Vectorscan (see
 * split_short_patterns): byte[k], or with nocase[k] an ASCII letter in either case. */
typedef struct short_pattern {
    uint32_t id;
    uint8_t byte[2]; /* lower case when nocase */
    bool nocase[2];
} short_pattern;

#define MAX_SHORT_PATTERNS 2

typedef struct factor_info {
    uint32_t string, len, min_dist, max_dist;
    uint32_t confirm_len, confirm_at; /* vt_factor's confirmation: masks and values at confirm_at */
    uint32_t comp_len, comp_at; /* vt_factor's companion: masks and values at comp_at, */
    int32_t comp_lo, comp_hi;   /* from comp_lo to comp_hi bytes after the factor's start */
} factor_info;

typedef struct stored_spec {
    vt_string_spec spec;
    uint8_t *data;   /* owned copy of spec.data (NULL when borrowed) */
    char *alphabet;  /* owned copy of the custom base64 alphabet (NULL when borrowed or none) */
} stored_spec;

struct vt_matcher {
    size_t nstrings;
    stored_spec *specs;
    /* Verifiers, each built the first time a scan needs it (threads race benignly: the first
     * stored copy wins): most strings of a large ruleset never have a candidate in a scan, and
     * building them all took a third of `vitrine compile`. */
    _Atomic(vt_string_matcher *) *strings;
    bool *verify_everywhere; /* strings without factors */
    uint32_t *everywhere;    /* their indices, so that a scan need not look at every string */
    size_t neverywhere;
    /* twin_of[i]: the first string identical to string i (the same kind, bytes, modifiers and
     * flags: the same matches wherever it has the same candidates), i itself for the first;
     * has_twins[i]: a later string is identical to i. Generated rule sets repeat strings in
     * many rules (signature-base's large files: 26% of their strings, yara-rules 22%). */
    uint32_t *twin_of;
    bool *has_twins;
    size_t nfactors;
    factor_info *factors; /* grouped by pattern: pattern p owns [first[p], first[p + 1]) */
    size_t npatterns;     /* distinct factors: Vectorscan's pattern ids */
    uint32_t *first;
    uint8_t *confirm; /* every factor's confirmation and companion, masks then values */
    size_t confirm_bytes;
    hs_database_t *db; /* NULL when there are no factors */
    /* The header gate most factors' strings require (count 0: none taken) and, for data that
     * fails it, the database of the other patterns (NULL: none). gated[i]: string i's gate
     * implies it, so i need not be searched in such data. */
    vt_header_gate gate;
    bool *gated;
    /* escape[i]: string i may match its rule without the gate (vt_string_spec.gate_escape); it
     * is searched in data failing the gate, and a hit of it there has the data scanned whole */
    bool *escape;
    hs_database_t *db_rest;
    /* excluded[i]: string i's rule requires other bytes at the gate's offsets (an ELF or OLE
     * rule where the gate is "MZ": vt_header_gate_excludes) and i is not one of its escapes, so
     * data with the gate's bytes cannot match its rule. The patterns owned by excluded strings
     * only are not in db but in db_excluded, searched with db only where every string must be
     * (vt_matcher_scratch_set_every_string, or a candidate of an escape). excl_escape[i]: an
     * escape of such a rule; a candidate of it in data with the gate's bytes has the data
     * scanned again with every pattern. Data without the gate's bytes is scanned with db_rest,
     * which has these patterns. */
    bool *excluded;
    bool *excl_escape;
    hs_database_t *db_excluded;
    short_pattern shorts[MAX_SHORT_PATTERNS]; /* searched by scan_short, in neither database */
    size_t nshorts;
    hs_scan_fn scan; /* hs_scan_vector or a build of it that finds every match (see above) */
};

typedef vt_offset_range range; /* inclusive */

typedef struct range_list {
    range *items;
    size_t count, cap;
    bool unsorted; /* a range was added before the last one */
} range_list;

/* A string's verification in this scan, kept for the strings identical to it: the candidate
 * ranges it was given and the matches they gave (failed: not all could be kept). */
typedef struct twin_memo {
    range *ranges;
    size_t nranges, cap_ranges;
    vt_match *matches;
    size_t nmatches, cap_matches;
    bool failed;
} twin_memo;

struct vt_matcher_scratch {
    hs_scratch_t *hs;
    vt_match_scratch *verify;
    range_list *ranges; /* per string */
    uint32_t *touched;  /* strings with ranges in this scan */
    size_t ntouched;
    size_t nstrings;
    bool failed;
    bool every_string;     /* report the strings of failed header gates too */
    vt_deadline *deadline; /* of the current scan, NULL: none */
    uint32_t *memo_of;     /* per string: 1 + its index in memos, 0: none in this scan */
    twin_memo *memos;      /* [0, nmemos) in use in this scan; the rest kept for reuse */
    size_t nmemos, cap_memos;
};

void vt_matcher_scratch_set_every_string(vt_matcher_scratch *s, bool every_string)
{
    s->every_string = every_string;
}

void vt_matcher_scratch_set_deadline(vt_matcher_scratch *s, vt_deadline *deadline)
{
    s->deadline = deadline;
    vt_match_scratch_set_deadline(s->verify, deadline);
}

static void free_specs(stored_spec *specs, size_t n)
{
    if (!specs)
        return;
    for (size_t i = 0; i < n; i++) {
        free(specs[i].data);
        free(specs[i].alphabet);
    }
    free(specs);
}

void vt_matcher_free(vt_matcher *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nstrings; i++)
        vt_string_matcher_free(m->strings ? atomic_load(&m->strings[i]) : NULL);
    free((void *)m->strings);
    free(m->verify_everywhere);
    free(m->everywhere);
    free(m->twin_of);
    free(m->has_twins);
    free(m->gated);
    free(m->escape);
    free(m->excluded);
    free(m->excl_escape);
    free(m->factors);
    free(m->first);
    free(m->confirm);
    free_specs(m->specs, m->nstrings);
    if (m->db)
        hs_free_database(m->db);
    if (m->db_rest)
        hs_free_database(m->db_rest);
    if (m->db_excluded)
        hs_free_database(m->db_excluded);
    free(m);
}

/* Whether strings a and b are verified alike: the same kind, bytes, modifiers, regex flags, xor
 * range and base64 alphabet (the rest of a spec says where a string is searched, not what
 * matches). */
static bool same_string(const vt_string_spec *a, const vt_string_spec *b)
{
    return a->kind == b->kind && a->modifiers == b->modifiers &&
           a->regex_flags == b->regex_flags && a->xor_min == b->xor_min &&
           a->xor_max == b->xor_max && a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0) &&
           !a->base64_alphabet == !b->base64_alphabet &&
           (!a->base64_alphabet || memcmp(a->base64_alphabet, b->base64_alphabet, 64) == 0);
}

static uint64_t string_hash(const vt_string_spec *sp)
{
    uint64_t h = 1469598103934665603u ^ (uint64_t)sp->kind ^ (uint64_t)sp->modifiers << 8 ^
                 (uint64_t)sp->regex_flags << 24 ^ (uint64_t)sp->xor_max << 40;
    for (size_t i = 0; i < sp->len; i++)
        h = (h ^ sp->data[i]) * 1099511628211u;
    return h;
}

/* m->twin_of and m->has_twins, from the specs (a hash table of the first of each string). */
static vt_status find_twins(vt_matcher *m, vt_error *err)
{
    size_t n = m->nstrings, cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots); /* string + 1, 0: empty */
    m->twin_of = malloc((n ? n : 1) * sizeof *m->twin_of);
    m->has_twins = calloc(n ? n : 1, sizeof *m->has_twins);
    if (!slots || !m->twin_of || !m->has_twins) {
        free(slots);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const vt_string_spec *sp = &m->specs[i].spec;
        size_t at = (size_t)string_hash(sp) & (cap - 1);
        while (slots[at] && !same_string(&m->specs[slots[at] - 1].spec, sp))
            at = (at + 1) & (cap - 1);
        if (!slots[at])
            slots[at] = (uint32_t)i + 1;
        m->twin_of[i] = slots[at] - 1;
        if (m->twin_of[i] != i)
            m->has_twins[m->twin_of[i]] = true;
    }
    free(slots);
    return VT_OK;
}

/* m->everywhere from m->verify_everywhere; false without memory. */
static bool list_everywhere(vt_matcher *m)
{
    m->neverywhere = 0;
    for (size_t i = 0; i < m->nstrings; i++)
        m->neverywhere += m->verify_everywhere[i];
    m->everywhere = malloc((m->neverywhere ? m->neverywhere : 1) * sizeof *m->everywhere);
    if (!m->everywhere)
        return false;
    for (size_t i = 0, k = 0; i < m->nstrings; i++)
        if (m->verify_everywhere[i])
            m->everywhere[k++] = (uint32_t)i;
    return true;
}

/* Copy the specs into m (borrow: keep pointing at the callers' bytes instead of copying
 * them). */
static vt_status copy_specs(vt_matcher *m, const vt_string_spec *specs, size_t count,
                            bool borrow, vt_error *err)
{
    m->specs = calloc(count ? count : 1, sizeof *m->specs);
    m->strings = calloc(count ? count : 1, sizeof *m->strings);
    m->verify_everywhere = calloc(count ? count : 1, sizeof *m->verify_everywhere);
    m->gated = calloc(count ? count : 1, sizeof *m->gated);
    m->escape = calloc(count ? count : 1, sizeof *m->escape);
    m->excluded = calloc(count ? count : 1, sizeof *m->excluded);
    m->excl_escape = calloc(count ? count : 1, sizeof *m->excl_escape);
    if (!m->specs || !m->strings || !m->verify_everywhere || !m->gated || !m->escape ||
        !m->excluded || !m->excl_escape)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    m->nstrings = count;
    for (size_t i = 0; i < count; i++) {
        stored_spec *s = &m->specs[i];
        s->spec = specs[i];
        if (!borrow) {
            s->data = malloc(specs[i].len ? specs[i].len : 1);
            if (!s->data)
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            memcpy(s->data, specs[i].data, specs[i].len);
            s->spec.data = s->data;
        }
        if (specs[i].base64_alphabet && !borrow) {
            s->alphabet = malloc(65);
            if (!s->alphabet)
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            memcpy(s->alphabet, specs[i].base64_alphabet, 64);
            s->alphabet[64] = 0;
            s->spec.base64_alphabet = s->alphabet;
        }
        atomic_init(&m->strings[i], NULL);
    }
    return find_twins(m, err);
}

/* Vectorscan's database of patterns exprs[0..n) with their ids. */
static vt_status compile_patterns(const char **exprs, const unsigned *flags, const unsigned *ids,
                                  size_t n, hs_database_t **db, vt_error *err)
{
    hs_compile_error_t *cerr = NULL;
    hs_platform_info_t platform;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_VECTORED,
                         vectorscan_platform(&platform), db, &cerr) != HS_SUCCESS) {
        vt_status st = vt_error_set(err, VT_ERR_LIMIT, "vectorscan cannot compile the factors: %s",
                                    cerr && cerr->message ? cerr->message : "unknown error");
        hs_free_compile_error(cerr);
        *db = NULL;
        return st;
    }
    return VT_OK;
}

static bool same_gate(const vt_header_gate *a, const vt_header_gate *b)
{
    return a->count == b->count && memcmp(a->offset, b->offset, a->count) == 0 &&
           memcmp(a->value, b->value, a->count) == 0;
}

#define MAX_GATES 64 /* distinct header gates weighed (real rule sets have a handful) */

/* The end of the strings of the rule that string `first` begins (the strings of a rule come
 * together: vt_string_spec.rule). *open: one of them is an escape without factors, which would
 * be a candidate in every file (which would then be scanned twice), so the rule's strings are
 * neither gated nor excluded: they are searched everywhere. */
static size_t rule_strings_end(const vt_matcher *m, size_t first, bool *open)
{
    size_t end = first;
    *open = false;
    for (; end < m->nstrings && m->specs[end].spec.rule == m->specs[first].spec.rule; end++)
        *open = *open || (m->specs[end].spec.gate_escape && m->verify_everywhere[end]);
    return end;
}

/* The header gate to scan by: of the distinct gates of the strings (the first MAX_GATES), the
 * one required by the strings that own the most factors (a string whose gate has more bytes
 * requires the fewer bytes too). Sets m->gated; returns a gate of count 0 when no string has
 * one. */
static vt_header_gate heaviest_gate(vt_matcher *m, const vt_factor_list *list)
{
    vt_header_gate gates[MAX_GATES];
    size_t own[MAX_GATES] = {0}, ngates = 0;
    for (size_t i = 0; i < list->count; i++) {
        const vt_header_gate *g = &m->specs[list->items[i].string].spec.gate;
        if (!g->count || g->count > VT_GATE_MAX)
            continue;
        size_t k = 0;
        while (k < ngates && !same_gate(&gates[k], g))
            k++;
        if (k == ngates && ngates < MAX_GATES)
            gates[ngates++] = *g;
        if (k < ngates)
            own[k]++;
    }
    vt_header_gate best = {0};
    size_t best_weight = 0;
    for (size_t c = 0; c < ngates; c++) {
        size_t weight = 0;
        for (size_t k = 0; k < ngates; k++)
            if (vt_header_gate_implies(&gates[k], &gates[c]))
                weight += own[k];
        if (weight > best_weight) {
            best_weight = weight;
            best = gates[c];
        }
    }
    for (size_t i = 0; i < m->nstrings; i++) {
        const vt_header_gate *g = &m->specs[i].spec.gate;
        bool implied = best.count && g->count && g->count <= VT_GATE_MAX &&
                       vt_header_gate_implies(g, &best);
        m->escape[i] = implied && m->specs[i].spec.gate_escape;
        m->gated[i] = implied && !m->escape[i];
    }
    for (size_t first = 0, end; first < m->nstrings; first = end) {
        bool open;
        end = rule_strings_end(m, first, &open);
        for (size_t k = first; open && k < end; k++)
            m->gated[k] = m->escape[k] = false;
    }
    return best;
}

/* Whether every string owning pattern p is marked in `flags` (m->gated: none need be searched
 * in data failing the gate; m->excluded: none in data with it). */
static bool owned_only_by(const vt_matcher *m, uint32_t p, const bool *flags)
{
    for (uint32_t k = m->first[p]; k < m->first[p + 1]; k++)
        if (!flags[m->factors[k].string])
            return false;
    return true;
}

/* Marks the strings whose rules the gate rules out (m->excluded, m->excl_escape), rule by rule
 * and not those of an open rule (rule_strings_end). */
static void mark_excluded(vt_matcher *m)
{
    for (size_t first = 0, end; first < m->nstrings; first = end) {
        const vt_header_gate *g = &m->specs[first].spec.gate;
        bool open, ruled_out = g->count && g->count <= VT_GATE_MAX &&
                               vt_header_gate_excludes(g, &m->gate);
        end = rule_strings_end(m, first, &open);
        for (size_t k = first; ruled_out && !open && k < end; k++) {
            m->excl_escape[k] = m->specs[k].spec.gate_escape;
            m->excluded[k] = !m->excl_escape[k];
        }
    }
}

/* Data without the heaviest gate's bytes cannot match the rules of the strings it gates: when
 * their patterns (those owned by gated strings only) are at least half of the n given, compile
 * the others as a second database for such data. Otherwise no gate is kept. With a gate, the
 * patterns of the strings it excludes go to a database of their own, and the rest to the main
 * one. */
static vt_status compile_gated(vt_matcher *m, const vt_factor_list *list, const char **exprs,
                               unsigned *flags, unsigned *ids, size_t n, vt_error *err)
{
    vt_header_gate gate = heaviest_gate(m, list);
    size_t ngated = 0;
    for (size_t j = 0; j < n && gate.count; j++)
        ngated += owned_only_by(m, ids[j], m->gated);
    if (!gate.count || 2 * ngated < n) {
        memset(m->gated, 0, m->nstrings * sizeof *m->gated);
        memset(m->escape, 0, m->nstrings * sizeof *m->escape);
        return n ? compile_patterns(exprs, flags, ids, n, &m->db, err) : VT_OK;
    }
    m->gate = gate;
    mark_excluded(m);
    /* three passes over the same arrays, each compacting its patterns at the front of a copy */
    const char **e = malloc((n ? n : 1) * sizeof *e);
    unsigned *f = malloc((n ? n : 1) * sizeof *f), *id = malloc((n ? n : 1) * sizeof *id);
    vt_status st = e && f && id ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    for (int pass = 0; pass < 3 && st == VT_OK; pass++) {
        size_t kept = 0;
        for (size_t j = 0; j < n; j++) {
            bool take = pass == 0   ? !owned_only_by(m, ids[j], m->excluded)
                        : pass == 1 ? owned_only_by(m, ids[j], m->excluded)
                                    : !owned_only_by(m, ids[j], m->gated);
            if (take) {
                e[kept] = exprs[j];
                f[kept] = flags[j];
                id[kept] = ids[j];
                kept++;
            }
        }
        hs_database_t **db = pass == 0 ? &m->db : pass == 1 ? &m->db_excluded : &m->db_rest;
        if (kept)
            st = compile_patterns(e, f, id, kept, db, err);
    }
    free(e);
    free(f);
    free(id);
    return st;
}

/* Vectorscan's literal filter (FDR) steps over its input 2 bytes at a time when it has 800 to
 * 4,999 literals and the shortest has 3 bytes or more (fewer literals: up to 4 bytes; more: 1);
 * one two-byte literal makes it step byte by byte (hyperscan's findDesiredStride). When all
 * patterns are literals and at most MAX_SHORT_PATTERNS of them have two bytes, the matcher
 * searches those itself (scan_short) and leaves them out of the databases: emulation-stress's
 * `48 8D` doubled the cost of Vectorscan's scan (109 -> 52 M instructions over 40 /usr/bin
 * files without it). With a pattern that is not a literal, Vectorscan may take a short literal
 * from it anyway (trellix-atr's hex strings with gaps: nothing gained, +18% with the scans
 * added), so nothing is split then. The others are compacted at the front of exprs/ids;
 * returns their number. */
static size_t split_short_patterns(vt_matcher *m, const vt_factor_list *list,
                                   const uint32_t *rep, const char **exprs, unsigned *flags,
                                   unsigned *ids, size_t n)
{
    short_pattern found[MAX_SHORT_PATTERNS];
    size_t nfound = 0;
    for (size_t j = 0; j < n; j++) {
        const vt_factor *f = &list->items[rep[ids[j]]]; /* the pattern's text is its factor's */
        if (f->literal_len < 2 || (f->literal_len == 2 && nfound == MAX_SHORT_PATTERNS))
            return n; /* not a literal, one byte, or too many short ones: all to Vectorscan */
        if (f->literal_len == 2)
            found[nfound++] = (short_pattern){
                .id = ids[j],
                .byte = {f->literal_head[0], f->literal_head[1]},
                .nocase = {f->literal_nocase[0], f->literal_nocase[1]}};
    }
    if (nfound == 0 || n - nfound >= 5000)
        return n;
    size_t kept = 0;
    for (size_t j = 0; j < n; j++) {
        bool is_short = false;
        for (size_t k = 0; k < nfound && !is_short; k++)
            is_short = found[k].id == ids[j];
        if (!is_short) {
            exprs[kept] = exprs[j];
            flags[kept] = flags[j];
            ids[kept] = ids[j];
            kept++;
        }
    }
    memcpy(m->shorts, found, nfound * sizeof *found);
    m->nshorts = nfound;
    return kept;
}

/* The factors of every string as Vectorscan patterns: identical factors (the same text in many
 * rules, the same xor or case variants, the same hex run) become one pattern that names all
 * its owners (yara-rules: 32,365 factors, 23,428 patterns; Vectorscan's compile time grows
 * with the patterns). Pattern ids are assigned in the order of first appearance and owners
 * kept in factor order, so the database is deterministic. */
static vt_status compile_factors(vt_matcher *m, const vt_factor_list *list, vt_error *err)
{
    size_t n = list->count, cap = 16;
    while (cap < n * 2)
        cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots); /* pattern + 1, 0: empty */
    uint32_t *pattern_of = malloc(n * sizeof *pattern_of);
    uint32_t *rep = malloc(n * sizeof *rep); /* per pattern: its first factor */
    m->factors = malloc(n * sizeof *m->factors);
    m->first = calloc(n + 1, sizeof *m->first);
    const char **exprs = malloc(n * sizeof *exprs);
    unsigned *flags = malloc(n * sizeof *flags);
    unsigned *ids = malloc(n * sizeof *ids);
    vt_status st = VT_OK;
    if (!slots || !pattern_of || !rep || !m->factors || !m->first || !exprs || !flags || !ids) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        const char *expr = list->items[i].expr;
        size_t at = (size_t)vt_factor_expr_hash(expr) & (cap - 1);
        while (slots[at] && strcmp(list->items[rep[slots[at] - 1]].expr, expr) != 0)
            at = (at + 1) & (cap - 1);
        if (!slots[at]) {
            rep[np] = (uint32_t)i;
            slots[at] = (uint32_t)++np;
        }
        pattern_of[i] = slots[at] - 1;
        m->first[pattern_of[i] + 1]++;
    }
    for (size_t p = 0; p < np; p++)
        m->first[p + 1] += m->first[p];
    for (size_t p = 0; p < np; p++) /* slots reused as each pattern's fill position */
        slots[p] = m->first[p];
    size_t confirm_bytes = 0;
    for (size_t i = 0; i < n; i++)
        confirm_bytes += 2 * ((size_t)list->items[i].confirm_len + list->items[i].comp_len);
    m->confirm = malloc(confirm_bytes ? confirm_bytes : 1);
    if (!m->confirm) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto done;
    }
    m->confirm_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const vt_factor *f = &list->items[i];
        factor_info *fi = &m->factors[slots[pattern_of[i]]++];
        *fi = (factor_info){f->string, f->len, f->min_dist, f->max_dist, f->confirm_len,
                            (uint32_t)m->confirm_bytes, f->comp_len, 0, f->comp_lo, f->comp_hi};
        if (f->confirm_len)
            memcpy(m->confirm + m->confirm_bytes, f->confirm, 2 * (size_t)f->confirm_len);
        m->confirm_bytes += 2 * (size_t)f->confirm_len;
        fi->comp_at = (uint32_t)m->confirm_bytes;
        memcpy(m->confirm + m->confirm_bytes, f->comp, f->comp_len);
        memcpy(m->confirm + m->confirm_bytes + f->comp_len, f->comp + VT_MAX_COMPANION,
               f->comp_len);
        m->confirm_bytes += 2 * (size_t)f->comp_len;
    }
    m->nfactors = n;
    m->npatterns = np;
    for (size_t p = 0; p < np; p++) {
        exprs[p] = list->items[rep[p]].expr;
        flags[p] = HS_FLAG_DOTALL;
        ids[p] = (unsigned)p;
    }
    size_t nlong = split_short_patterns(m, list, rep, exprs, flags, ids, np);
    st = compile_gated(m, list, exprs, flags, ids, nlong, err);
done:
    free(slots);
    free(pattern_of);
    free(rep);
    free(exprs);
    free(flags);
    free(ids);
    return st;
}

vt_status vt_matcher_build(const vt_string_spec *specs, size_t count, vt_matcher **out,
                           vt_error *err)
{
    *out = NULL;
    vt_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_factor_list list = {0};
    /* the factors parse every hex string and regex (and refuse one too large to verify) */
    vt_status st = copy_specs(m, specs, count, false, err);
    for (size_t i = 0; i < count && st == VT_OK; i++)
        st = vt_factors_for_string(&m->specs[i].spec, (uint32_t)i, &list,
                                   &m->verify_everywhere[i], err);
    if (st == VT_OK && list.count)
        st = vt_factors_share_literals(&list, err);
    if (st == VT_OK && list.count)
        st = compile_factors(m, &list, err);
    if (st == VT_OK && !list_everywhere(m))
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_factor_list_free(&list);
    if (st != VT_OK) {
        vt_matcher_free(m);
        return st;
    }
    m->scan = vectorscan_scan_function();
    *out = m;
    return VT_OK;
}

size_t vt_matcher_string_count(const vt_matcher *m)
{
    return m->nstrings;
}

vt_matcher_scratch *vt_matcher_scratch_new(const vt_matcher *m)
{
    vt_matcher_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nstrings = m->nstrings;
    s->verify = vt_match_scratch_new();
    s->ranges = calloc(m->nstrings ? m->nstrings : 1, sizeof *s->ranges);
    s->touched = calloc(m->nstrings ? m->nstrings : 1, sizeof *s->touched);
    s->memo_of = calloc(m->nstrings ? m->nstrings : 1, sizeof *s->memo_of);
    if (!s->verify || !s->ranges || !s->touched || !s->memo_of ||
        (m->db && hs_alloc_scratch(m->db, &s->hs) != HS_SUCCESS) ||
        (m->db_rest && hs_alloc_scratch(m->db_rest, &s->hs) != HS_SUCCESS) ||
        (m->db_excluded && hs_alloc_scratch(m->db_excluded, &s->hs) != HS_SUCCESS)) {
        vt_matcher_scratch_free(s);
        return NULL;
    }
    return s;
}

void vt_matcher_scratch_free(vt_matcher_scratch *s)
{
    if (!s)
        return;
    if (s->hs)
        hs_free_scratch(s->hs);
    vt_match_scratch_free(s->verify);
    if (s->ranges)
        for (size_t i = 0; i < s->nstrings; i++)
            free(s->ranges[i].items);
    free(s->ranges);
    free(s->touched);
    free(s->memo_of);
    for (size_t k = 0; k < s->cap_memos; k++) {
        free(s->memos[k].ranges);
        free(s->memos[k].matches);
    }
    free(s->memos);
    free(s);
}

static void add_range(vt_matcher_scratch *s, uint32_t string, uint64_t lo, uint64_t hi)
{
    range_list *l = &s->ranges[string];
    if (l->count) {
        range *last = &l->items[l->count - 1];
        if (lo >= last->lo && lo <= last->hi + 1) {
            if (hi > last->hi)
                last->hi = hi;
            return;
        }
        if (lo < last->lo)
            l->unsorted = true;
    } else {
        s->touched[s->ntouched++] = string;
    }
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        range *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            s->failed = true;
            return;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = (range){lo, hi};
}

typedef struct scan_ctx {
    const vt_matcher *m;
    vt_matcher_scratch *s;
    size_t base; /* offset of the scanned window in the data */
    const uint8_t *data;
    size_t len;
} scan_ctx;

/* Whether the n bytes at `at` are `value` under `mask` ((at[i] & mask[i]) == value[i]), 8 at a
 * time: a factor's confirmation and its companion are compared so. */
static bool masked_equal(const uint8_t *at, const uint8_t *mask, const uint8_t *value, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t d, k, v;
        memcpy(&d, at + i, 8);
        memcpy(&k, mask + i, 8);
        memcpy(&v, value + i, 8);
        if ((d & k) != v)
            return false;
    }
    for (; i < n; i++)
        if ((at[i] & mask[i]) != value[i])
            return false;
    return true;
}

/* Whether the whole factor f lies at `start` of the data, when Vectorscan searched only a
 * literal run of it (factor.c). */
static bool confirmed(const scan_ctx *c, const factor_info *f, uint64_t start)
{
    if (start > c->len || c->len - start < f->confirm_len)
        return false;
    const uint8_t *mask = c->m->confirm + f->confirm_at;
    return masked_equal(c->data + start, mask, mask + f->confirm_len, f->confirm_len);
}

/* Whether factor f's companion lies where it must when the factor starts at `start`: its first
 * exact byte (factor.c gives every companion one) found by memchr, then the whole compared
 * under its masks. */
static bool companion_near(const scan_ctx *c, const factor_info *f, uint64_t start)
{
    int64_t lo = (int64_t)start + f->comp_lo, hi = (int64_t)start + f->comp_hi;
    int64_t last = (int64_t)c->len - (int64_t)f->comp_len; /* the last start that fits */
    if (lo < 0)
        lo = 0;
    if (hi > last)
        hi = last;
    const uint8_t *mask = c->m->confirm + f->comp_at, *value = mask + f->comp_len;
    uint32_t key = 0;
    while (key + 1 < f->comp_len && mask[key] != 0xFF)
        key++;
    const uint8_t *d = c->data;
    for (int64_t p = lo; p <= hi; p++) {
        const uint8_t *q = memchr(d + p + key, value[key], (size_t)(hi - p + 1));
        if (!q)
            return false;
        p = q - d - key;
        if (masked_equal(d + p, mask, value, f->comp_len))
            return true;
    }
    return false;
}

static int on_factor(unsigned id, unsigned long long from, unsigned long long to,
                     unsigned flags, void *ctx)
{
    (void)from;
    (void)flags;
    scan_ctx *c = ctx;
    if (id >= c->m->npatterns)
        return 0;
    for (uint32_t k = c->m->first[id]; k < c->m->first[id + 1]; k++) {
        const factor_info *f = &c->m->factors[k];
        if (c->base + to < f->len)
            continue; /* a confirmed factor that would begin before the data */
        uint64_t start = c->base + to - f->len;
        if (start < f->min_dist || (f->confirm_len && !confirmed(c, f, start)) ||
            (f->comp_len && !companion_near(c, f, start)))
            continue;
        uint64_t hi = start - f->min_dist;
        uint64_t lo = start >= f->max_dist ? start - f->max_dist : 0;
        add_range(c->s, f->string, lo, hi);
    }
    return c->s->failed || vt_deadline_spend(c->s->deadline, 1) ? 1 : 0;
}

/* Every occurrence of a short pattern in the data, reported to on_factor as a Vectorscan hit
 * would be (by its end offset); false when on_factor asks to stop. */
static bool scan_short(const short_pattern *sp, scan_ctx *c)
{
    const uint8_t *data = c->data;
    size_t len = c->len, i = 0;
    uint8_t fold0 = sp->nocase[0] ? 0x20 : 0, fold1 = sp->nocase[1] ? 0x20 : 0;
#ifdef __SSE2__
    const __m128i f0 = _mm_set1_epi8((char)fold0), f1 = _mm_set1_epi8((char)fold1);
    const __m128i b0 = _mm_set1_epi8((char)sp->byte[0]), b1 = _mm_set1_epi8((char)sp->byte[1]);
    for (; len >= 17 && i <= len - 17; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(data + i + 1));
        __m128i hit = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(x, f0), b0),
                                    _mm_cmpeq_epi8(_mm_or_si128(y, f1), b1));
        for (unsigned mask = (unsigned)_mm_movemask_epi8(hit); mask; mask &= mask - 1)
            if (on_factor(sp->id, 0, i + (unsigned)__builtin_ctz(mask) + 2, 0, c))
                return false;
    }
#endif
    for (; i + 2 <= len; i++)
        if ((data[i] | fold0) == sp->byte[0] && (data[i + 1] | fold1) == sp->byte[1] &&
            on_factor(sp->id, 0, i + 2, 0, c))
            return false;
    return true;
}

/* The verifier of string `id`, built now if the matcher was loaded and this is its first use;
 * NULL with `err` set when it cannot be built (out of memory, or a damaged spec). */
static const vt_string_matcher *verifier(const vt_matcher *m, uint32_t id, vt_error *err)
{
    vt_string_matcher *sm = atomic_load_explicit(&m->strings[id], memory_order_acquire);
    if (sm)
        return sm;
    if (vt_string_matcher_new(&m->specs[id].spec, id, &sm, err) != VT_OK)
        return NULL;
    vt_string_matcher *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&m->strings[id], &expected, sm,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        vt_string_matcher_free(sm);
        return expected;
    }
    return sm;
}

static int cmp_range(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Which strings a scan searches: those whose rules may match data with the gate's bytes (all
 * strings when there is no gate), those whose rules may match data without them, or all. */
typedef enum { SEARCH_GATE_PASSED, SEARCH_GATE_FAILED, SEARCH_EVERY } search_mode;

/* The strings a search of this mode leaves out (NULL: none). */
static const bool *left_out(const vt_matcher *m, search_mode mode)
{
    return mode == SEARCH_GATE_PASSED ? m->excluded
           : mode == SEARCH_GATE_FAILED ? m->gated
                                        : NULL;
}

/* Runs Vectorscan's database db over the data, reporting factor hits to on_factor. */
static vt_status scan_database(const vt_matcher *m, vt_matcher_scratch *s,
                               const hs_database_t *db, const uint8_t *data, size_t len,
                               vt_error *err)
{
    /* Vectorscan's block mode takes at most 4 GiB - 1 at once: larger data is scanned in
     * windows that overlap by more than the longest factor, so no factor hit is lost (hits seen
     * twice only repeat a candidate range). */
    const size_t window = (size_t)1 << 30, overlap = 4 * 64;
    for (size_t base = 0; db && base < len; base += window) {
        size_t n = len - base < window + overlap ? len - base : window + overlap;
        scan_ctx c = {m, s, base, data, len};
        const char *buffer = (const char *)data + base;
        unsigned length = (unsigned)n;
        hs_error_t r = m->scan(db, &buffer, &length, 1, 0, s->hs, on_factor, &c);
        if (r != HS_SUCCESS && r != HS_SCAN_TERMINATED)
            return vt_error_set(err, VT_ERR_STATE, "vectorscan scan failed (%d)", (int)r);
        if (base + n >= len)
            break;
    }
    return VT_OK;
}

/* The candidate ranges of every string in s (those of an earlier scan dropped first): the
 * factor hits of the databases of the search (db, db_rest where the gate fails, db and
 * db_excluded for every string), and the whole data for strings without factors. */
static vt_status find_candidates(const vt_matcher *m, vt_matcher_scratch *s, const uint8_t *data,
                                 size_t len, search_mode mode, vt_error *err)
{
    /* a scan that failed (out of memory, timed out) left its candidates: they must not be
     * taken for this scan's, nor hide its strings from `touched` */
    for (size_t t = 0; t < s->ntouched; t++) {
        s->ranges[s->touched[t]].count = 0;
        s->ranges[s->touched[t]].unsorted = false;
    }
    s->ntouched = 0;
    s->failed = false;
    const bool *out = left_out(m, mode);
    for (size_t k = 0; k < m->neverywhere && len; k++)
        if (!(out && out[m->everywhere[k]]))
            add_range(s, m->everywhere[k], 0, len - 1);
    vt_status st =
        scan_database(m, s, mode == SEARCH_GATE_FAILED ? m->db_rest : m->db, data, len, err);
    if (st == VT_OK && mode == SEARCH_EVERY)
        st = scan_database(m, s, m->db_excluded, data, len, err);
    if (st != VT_OK)
        return st;
    scan_ctx whole = {m, s, 0, data, len};
    for (size_t k = 0; k < m->nshorts && !s->failed; k++)
        if (!(out && owned_only_by(m, m->shorts[k].id, out)) &&
            !scan_short(&m->shorts[k], &whole))
            break;
    if (s->failed)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (vt_deadline_passed(s->deadline))
        return vt_match_error(err, VT_ERR_TIMEOUT);
    return VT_OK;
}

/* The memo of string id's verification in this scan, kept for its twins (a copy of its sorted
 * candidate ranges, the matches still to come); NULL when memory runs out (the twins are then
 * verified on their own). */
static twin_memo *memo_start(vt_matcher_scratch *s, uint32_t id, const range_list *l)
{
    if (s->nmemos == s->cap_memos) {
        size_t cap = s->cap_memos ? 2 * s->cap_memos : 16;
        twin_memo *grown = realloc(s->memos, cap * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + s->cap_memos, 0, (cap - s->cap_memos) * sizeof *grown);
        s->memos = grown;
        s->cap_memos = cap;
    }
    twin_memo *tm = &s->memos[s->nmemos];
    if (l->count > tm->cap_ranges) {
        range *r = realloc(tm->ranges, l->count * sizeof *r);
        if (!r)
            return NULL;
        tm->ranges = r;
        tm->cap_ranges = l->count;
    }
    memcpy(tm->ranges, l->items, l->count * sizeof *l->items);
    tm->nranges = l->count;
    tm->nmatches = 0;
    tm->failed = false;
    s->memo_of[id] = (uint32_t)++s->nmemos;
    return tm;
}

/* The memo of a verification the twins of string id can take: its twin's, made in this scan
 * from the same candidate ranges; NULL otherwise. */
static const twin_memo *memo_for(const vt_matcher *m, const vt_matcher_scratch *s, uint32_t id,
                                 const range_list *l)
{
    uint32_t head = m->twin_of[id];
    if (head == id || !s->memo_of[head])
        return NULL;
    const twin_memo *tm = &s->memos[s->memo_of[head] - 1];
    if (tm->failed || tm->nranges != l->count ||
        memcmp(tm->ranges, l->items, l->count * sizeof *l->items) != 0)
        return NULL;
    return tm;
}

static void memo_end_scan(vt_matcher_scratch *s, const vt_matcher *m)
{
    for (size_t t = 0; t < s->ntouched && s->nmemos; t++)
        if (s->touched[t] < m->nstrings)
            s->memo_of[s->touched[t]] = 0;
    s->nmemos = 0;
}

/* Forwards each match of a verification to the caller's function and keeps it in a memo. */
typedef struct recording {
    vt_match_fn fn;
    void *ctx;
    twin_memo *memo;
} recording;

static int record_match(void *context, const vt_match *match)
{
    recording *r = context;
    twin_memo *tm = r->memo;
    if (!tm->failed && tm->nmatches == tm->cap_matches) {
        size_t cap = tm->cap_matches ? 2 * tm->cap_matches : 16;
        vt_match *grown = realloc(tm->matches, cap * sizeof *grown);
        if (grown) {
            tm->matches = grown;
            tm->cap_matches = cap;
        } else {
            tm->failed = true;
        }
    }
    if (!tm->failed)
        tm->matches[tm->nmatches++] = *match;
    return r->fn(r->ctx, match);
}

/* Whether one of the escape strings of the strings a search of this mode left out has a
 * candidate: its rule may match, and every string of it must be searched. */
static bool escape_found(const vt_matcher *m, const vt_matcher_scratch *s, search_mode mode)
{
    const bool *escape = mode == SEARCH_GATE_FAILED ? m->escape : m->excl_escape;
    for (size_t t = 0; t < s->ntouched && mode != SEARCH_EVERY; t++)
        if (escape[s->touched[t]])
            return true;
    return false;
}

vt_status vt_matcher_scan(const vt_matcher *m, vt_matcher_scratch *s, const uint8_t *data,
                          size_t len, vt_match_fn fn, void *ctx, vt_error *err)
{
    /* data without the gate's bytes: the gated strings' rules cannot match it; data with them:
     * the excluded strings' rules cannot. Unless an escape of such a rule is found there, which
     * has the data scanned again with every string. */
    search_mode mode = s->every_string ? SEARCH_EVERY
                       : m->gate.count && !vt_header_gate_passes(&m->gate, data, len)
                           ? SEARCH_GATE_FAILED
                           : SEARCH_GATE_PASSED;
    vt_status st = find_candidates(m, s, data, len, mode, err);
    if (st == VT_OK && escape_found(m, s, mode))
        st = find_candidates(m, s, data, len, SEARCH_EVERY, err);
    if (st != VT_OK)
        return st;
    qsort(s->touched, s->ntouched, sizeof *s->touched, cmp_u32);
    bool stop = false;
    for (size_t t = 0; t < s->ntouched; t++) {
        uint32_t id = s->touched[t];
        range_list *l = &s->ranges[id];
        if (l->unsorted)
            qsort(l->items, l->count, sizeof *l->items, cmp_range);
        l->unsorted = false;
        /* a string identical to one verified in this scan from the same candidates: the same
         * matches, under its own id */
        const twin_memo *same = stop ? NULL : memo_for(m, s, id, l);
        if (same) {
            for (size_t k = 0; k < same->nmatches && !stop; k++) {
                vt_match twin = same->matches[k];
                twin.string_id = id;
                stop = fn(ctx, &twin) != 0;
            }
            l->count = 0;
            continue;
        }
        recording rec = {fn, ctx, NULL};
        if (m->has_twins[id] && !stop)
            rec.memo = memo_start(s, id, l);
        vt_match_fn report = rec.memo ? record_match : fn;
        void *report_ctx = rec.memo ? (void *)&rec : ctx;
        uint64_t next = 0;
        size_t found = 0;
        const vt_string_matcher *sm = verifier(m, id, err);
        if (!sm) { /* cannot be verified: the scan is incomplete, never "no match" */
            st = err ? err->status : VT_ERR_NOMEM;
            break;
        }
        if (sm->emul && !stop) { /* yara's result depends on its atoms (emulate.c) */
            if ((st = vt_string_matcher_scan_ranges(sm, s->verify, data, len, l->items,
                                                    l->count, report, report_ctx, &stop)) !=
                VT_OK) {
                st = vt_match_error(err, st);
                break;
            }
            l->count = 0;
        }
        /* the bytes a match can begin with, tested here before any call (strings verified
         * everywhere have millions of candidates) */
        const uint8_t *first = sm->prog ? sm->prog->first : NULL;
        vt_match_scratch_memo(s->verify, true);
        for (size_t r = 0; r < l->count && !stop; r++) {
            uint64_t lo = l->items[r].lo > next ? l->items[r].lo : next;
            uint64_t hi = l->items[r].hi < len ? l->items[r].hi : len - 1;
            for (uint64_t off = lo; off <= hi && !stop; off++) {
                if (first && !(first[data[off] >> 3] >> (data[off] & 7) & 1))
                    continue;
                vt_match match;
                bool hit;
                if ((st = vt_string_match_at(sm, s->verify, data, len, (size_t)off, &match,
                                             &hit)) != VT_OK) {
                    st = vt_match_error(err, st);
                    stop = true;
                    break;
                }
                if (!hit)
                    continue;
                if (found++ >= VT_MAX_STRING_MATCHES)
                    break;
                if (report(report_ctx, &match))
                    stop = true;
            }
            if (hi + 1 > next)
                next = hi + 1;
        }
        vt_match_scratch_memo(s->verify, false);
        l->count = 0;
        if (st != VT_OK)
            break;
    }
    memo_end_scan(s, m);
    for (size_t t = 0; t < s->ntouched; t++)
        s->ranges[s->touched[t]].count = 0;
    s->ntouched = 0;
    return st;
}

/* ---- serialization --------------------------------------------------------------------- */

static vt_status put_u32(vt_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return vt_buf_append(b, x, 4);
}

/* A database's length and serialized bytes (length 0: none); VT_ERR_STATE if Vectorscan cannot
 * serialize it. */
static vt_status put_database(vt_buf *out, const hs_database_t *db, vt_error *err)
{
    char *bytes = NULL;
    size_t nbytes = 0;
    if (db && hs_serialize_database(db, &bytes, &nbytes) != HS_SUCCESS)
        return vt_error_set(err, VT_ERR_STATE, "cannot serialize the vectorscan database");
    vt_status st = put_u32(out, (uint32_t)nbytes);
    st = st ? st : vt_buf_append(out, bytes, nbytes);
    free(bytes);
    return st;
}

vt_status vt_matcher_serialize(const vt_matcher *m, vt_buf *out, vt_error *err)
{
    vt_status st = vt_buf_append(out, MATCHER_MAGIC, 8);
    st = st ? st : put_u32(out, (uint32_t)m->nstrings);
    for (size_t i = 0; i < m->nstrings && st == VT_OK; i++) {
        const vt_string_spec *sp = &m->specs[i].spec;
        st = put_u32(out, (uint32_t)sp->kind);
        st = st ? st : put_u32(out, sp->modifiers);
        st = st ? st : put_u32(out, sp->regex_flags);
        st = st ? st : put_u32(out, (uint32_t)sp->xor_min | (uint32_t)sp->xor_max << 8 |
                                        (sp->base64_alphabet ? 1u << 16 : 0) |
                                        (m->gated[i] ? 1u << 17 : 0) |
                                        (m->escape[i] ? 1u << 18 : 0) |
                                        (m->excluded[i] ? 1u << 19 : 0) |
                                        (m->excl_escape[i] ? 1u << 20 : 0));
        st = st ? st : put_u32(out, (uint32_t)sp->len);
        st = st ? st : vt_buf_append(out, sp->data, sp->len);
        if (st == VT_OK && sp->base64_alphabet)
            st = vt_buf_append(out, sp->base64_alphabet, 64);
    }
    st = st ? st : put_u32(out, (uint32_t)m->nfactors);
    for (size_t i = 0; i < m->nfactors && st == VT_OK; i++) {
        st = put_u32(out, m->factors[i].string);
        st = st ? st : put_u32(out, m->factors[i].len);
        st = st ? st : put_u32(out, m->factors[i].min_dist);
        st = st ? st : put_u32(out, m->factors[i].max_dist);
        st = st ? st : put_u32(out, m->factors[i].confirm_len);
        if (m->factors[i].confirm_len)
            st = st ? st : vt_buf_append(out, m->confirm + m->factors[i].confirm_at,
                                         2 * (size_t)m->factors[i].confirm_len);
        st = st ? st : put_u32(out, m->factors[i].comp_len);
        if (m->factors[i].comp_len) {
            st = st ? st : put_u32(out, (uint32_t)m->factors[i].comp_lo);
            st = st ? st : put_u32(out, (uint32_t)m->factors[i].comp_hi);
            st = st ? st : vt_buf_append(out, m->confirm + m->factors[i].comp_at,
                                         2 * (size_t)m->factors[i].comp_len);
        }
    }
    st = st ? st : put_u32(out, (uint32_t)m->npatterns);
    for (size_t p = 0; p < m->npatterns && st == VT_OK; p++)
        st = put_u32(out, m->first[p + 1] - m->first[p]);
    st = st ? st : put_database(out, m->db, err);
    st = st ? st : put_u32(out, m->gate.count);
    for (unsigned k = 0; k < m->gate.count && st == VT_OK; k++)
        st = put_u32(out, (uint32_t)m->gate.offset[k] | (uint32_t)m->gate.value[k] << 8);
    st = st ? st : put_database(out, m->db_rest, err);
    st = st ? st : put_database(out, m->db_excluded, err);
    st = st ? st : put_u32(out, (uint32_t)m->nshorts);
    for (size_t k = 0; k < m->nshorts && st == VT_OK; k++) {
        const short_pattern *sp = &m->shorts[k];
        st = put_u32(out, sp->id);
        st = st ? st : put_u32(out, (uint32_t)sp->byte[0] | (uint32_t)sp->byte[1] << 8 |
                                        (uint32_t)sp->nocase[0] << 16 |
                                        (uint32_t)sp->nocase[1] << 17);
    }
    if (st == VT_ERR_STATE)
        return st;
    if (st != VT_OK)
        return vt_error_set(err, st, "out of memory");
    return VT_OK;
}

typedef struct reader {
    const uint8_t *p;
    size_t left;
    bool bad;
} reader;

static uint32_t get_u32(reader *r)
{
    if (r->left < 4) {
        r->bad = true;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    return v;
}

static const uint8_t *get_bytes(reader *r, size_t n)
{
    if (r->left < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

/* A database saved by put_database (*db NULL when its length is 0). The database is
 * serialized for the CPU that compiled it; Vectorscan checks the platform only when it is used,
 * so a scratch is tried now: a CPU that cannot run it is VT_ERR_STATE, and the caller rebuilds
 * the matcher from the strings (lib/scan/scanner.c) instead of failing. */
static vt_status get_database(reader *r, hs_database_t **db, vt_error *err)
{
    uint32_t dblen = get_u32(r);
    const uint8_t *bytes = get_bytes(r, dblen);
    if (r->bad)
        return vt_error_set(err, VT_ERR_FORMAT, "matcher is truncated or corrupt");
    if (!dblen)
        return VT_OK;
    hs_error_t hs = hs_deserialize_database((const char *)bytes, dblen, db);
    if (hs != HS_SUCCESS) {
        *db = NULL;
        return hs == HS_DB_PLATFORM_ERROR
                   ? vt_error_set(err, VT_ERR_STATE, "vectorscan database built for another CPU")
                   : vt_error_set(err, VT_ERR_FORMAT, "vectorscan database is corrupt or foreign");
    }
    hs_scratch_t *probe = NULL;
    hs = hs_alloc_scratch(*db, &probe);
    hs_free_scratch(probe);
    if (hs != HS_SUCCESS)
        return hs == HS_DB_PLATFORM_ERROR
                   ? vt_error_set(err, VT_ERR_STATE, "vectorscan database built for another CPU")
                   : vt_error_set(err, VT_ERR_NOMEM, "cannot allocate vectorscan scratch");
    return VT_OK;
}

static vt_status deserialize(const uint8_t *data, size_t len, bool borrow, vt_matcher **out,
                             vt_error *err)
{
    *out = NULL;
    reader r = {data, len, false};
    const uint8_t *magic = get_bytes(&r, 8);
    if (magic && (memcmp(magic, MATCHER_MAGIC_V1, 8) == 0 ||
                  memcmp(magic, MATCHER_MAGIC_V2, 8) == 0 ||
                  memcmp(magic, MATCHER_MAGIC_V3, 8) == 0 ||
                  memcmp(magic, MATCHER_MAGIC_V4, 8) == 0 ||
                  memcmp(magic, MATCHER_MAGIC_V5, 8) == 0 ||
                  memcmp(magic, MATCHER_MAGIC_V6, 8) == 0 ||
                  memcmp(magic, MATCHER_MAGIC_V7, 8) == 0)) /* the scanner rebuilds it */
        return vt_error_set(err, VT_ERR_STATE, "matcher saved by an earlier version");
    if (!magic || memcmp(magic, MATCHER_MAGIC, 8) != 0)
        return vt_error_set(err, VT_ERR_FORMAT, "not a vitrine matcher (bad magic)");
    uint32_t n = get_u32(&r);
    if (r.bad || n > len)
        return vt_error_set(err, VT_ERR_FORMAT, "matcher is truncated or corrupt");
    vt_string_spec *specs = calloc(n ? n : 1, sizeof *specs);
    bool *gated = calloc(n ? n : 1, sizeof *gated);
    bool *escape = calloc(n ? n : 1, sizeof *escape);
    bool *excluded = calloc(n ? n : 1, sizeof *excluded);
    bool *excl_escape = calloc(n ? n : 1, sizeof *excl_escape);
    if (!specs || !gated || !escape || !excluded || !excl_escape) {
        free(specs);
        free(gated);
        free(escape);
        free(excluded);
        free(excl_escape);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        specs[i].kind = (vt_string_kind)get_u32(&r);
        specs[i].modifiers = get_u32(&r);
        specs[i].regex_flags = get_u32(&r);
        uint32_t x = get_u32(&r);
        specs[i].xor_min = (uint8_t)x;
        specs[i].xor_max = (uint8_t)(x >> 8);
        uint32_t dlen = get_u32(&r);
        specs[i].data = get_bytes(&r, dlen);
        specs[i].len = dlen;
        if (x >> 16 & 1)
            specs[i].base64_alphabet = (const char *)get_bytes(&r, 64);
        gated[i] = x >> 17 & 1;
        escape[i] = x >> 18 & 1;
        excluded[i] = x >> 19 & 1;
        excl_escape[i] = x >> 20 & 1;
        if (specs[i].kind > VT_STRING_REGEX || x >> 21 ||
            gated[i] + escape[i] + excluded[i] + excl_escape[i] > 1)
            r.bad = true;
    }
    vt_matcher *m = calloc(1, sizeof *m);
    vt_status st = !m ? vt_error_set(err, VT_ERR_NOMEM, "out of memory")
                 : r.bad ? vt_error_set(err, VT_ERR_FORMAT, "matcher is truncated or corrupt")
                         : copy_specs(m, specs, n, borrow, err);
    if (st == VT_OK) {
        memcpy(m->gated, gated, n * sizeof *gated);
        memcpy(m->escape, escape, n * sizeof *escape);
        memcpy(m->excluded, excluded, n * sizeof *excluded);
        memcpy(m->excl_escape, excl_escape, n * sizeof *excl_escape);
    }
    free(specs);
    free(gated);
    free(escape);
    free(excluded);
    free(excl_escape);
    if (st == VT_OK) {
        uint32_t nf = get_u32(&r);
        if (r.bad || nf > r.left / 20) {
            st = vt_error_set(err, VT_ERR_FORMAT, "matcher is truncated or corrupt");
        } else {
            m->factors = calloc(nf ? nf : 1, sizeof *m->factors);
            m->nfactors = nf;
            size_t cap = 0;
            if (!m->factors)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            for (uint32_t i = 0; i < nf && st == VT_OK; i++) {
                factor_info *f = &m->factors[i];
                f->string = get_u32(&r);
                f->len = get_u32(&r);
                f->min_dist = get_u32(&r);
                f->max_dist = get_u32(&r);
                f->confirm_len = get_u32(&r);
                f->confirm_at = (uint32_t)m->confirm_bytes;
                const uint8_t *bytes =
                    f->confirm_len <= MAX_CONFIRM ? get_bytes(&r, 2 * (size_t)f->confirm_len)
                                                  : NULL;
                f->comp_len = get_u32(&r);
                const uint8_t *comp = NULL;
                if (f->comp_len && f->comp_len <= VT_MAX_COMPANION) {
                    f->comp_lo = (int32_t)get_u32(&r);
                    f->comp_hi = (int32_t)get_u32(&r);
                    comp = get_bytes(&r, 2 * (size_t)f->comp_len);
                }
                if (r.bad || f->string >= n || f->len == 0 || f->confirm_len > MAX_CONFIRM ||
                    (f->confirm_len && f->len > f->confirm_len) ||
                    f->comp_len > VT_MAX_COMPANION || (f->comp_len && !comp) ||
                    f->comp_lo > f->comp_hi || f->comp_lo < -VT_RE_SCAN_LIMIT ||
                    f->comp_hi > VT_RE_SCAN_LIMIT || (comp && !memchr(comp, 0xFF, f->comp_len))) {
                    st = vt_error_set(err, VT_ERR_FORMAT, "matcher factor table is corrupt");
                    break;
                }
                size_t need = 2 * ((size_t)f->confirm_len + f->comp_len);
                if (m->confirm_bytes + need > cap) {
                    size_t grown = cap ? cap * 2 : 4096;
                    uint8_t *more = realloc(m->confirm, grown);
                    if (!more) {
                        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
                        break;
                    }
                    m->confirm = more;
                    cap = grown;
                }
                if (f->confirm_len)
                    memcpy(m->confirm + m->confirm_bytes, bytes, 2 * (size_t)f->confirm_len);
                m->confirm_bytes += 2 * (size_t)f->confirm_len;
                f->comp_at = (uint32_t)m->confirm_bytes;
                if (f->comp_len)
                    memcpy(m->confirm + m->confirm_bytes, comp, 2 * (size_t)f->comp_len);
                m->confirm_bytes += 2 * (size_t)f->comp_len;
            }
        }
    }
    if (st == VT_OK) {
        /* strings without factors are verified everywhere */
        for (size_t i = 0; i < m->nstrings; i++)
            m->verify_everywhere[i] = true;
        for (size_t i = 0; i < m->nfactors; i++)
            m->verify_everywhere[m->factors[i].string] = false;
        uint32_t np = get_u32(&r);
        if (!list_everywhere(m)) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        } else if (r.bad || np > r.left / 4 || np > m->nfactors) {
            st = vt_error_set(err, VT_ERR_FORMAT, "matcher is truncated or corrupt");
        } else {
            m->first = calloc((size_t)np + 1, sizeof *m->first);
            m->npatterns = np;
            if (!m->first)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            for (uint32_t p = 0; p < np && st == VT_OK; p++) {
                uint32_t owners = get_u32(&r);
                if (owners == 0 || owners > m->nfactors - m->first[p])
                    st = vt_error_set(err, VT_ERR_FORMAT, "matcher pattern table is corrupt");
                else
                    m->first[p + 1] = m->first[p] + owners;
            }
            if (st == VT_OK && m->first[np] != m->nfactors)
                st = vt_error_set(err, VT_ERR_FORMAT, "matcher pattern table is corrupt");
        }
    }
    if (st == VT_OK)
        st = get_database(&r, &m->db, err);
    if (st == VT_OK) {
        uint32_t count = get_u32(&r);
        if (r.bad || count > VT_GATE_MAX) {
            st = vt_error_set(err, VT_ERR_FORMAT, "matcher header gate is corrupt");
        } else {
            m->gate.count = (uint8_t)count;
            for (uint32_t k = 0; k < count && !r.bad; k++) {
                uint32_t x = get_u32(&r);
                m->gate.offset[k] = (uint8_t)x;
                m->gate.value[k] = (uint8_t)(x >> 8);
                if (x >> 16 || (k && m->gate.offset[k] <= m->gate.offset[k - 1]))
                    r.bad = true;
            }
            if (r.bad)
                st = vt_error_set(err, VT_ERR_FORMAT, "matcher header gate is corrupt");
        }
        for (size_t i = 0; i < m->nstrings && st == VT_OK && !count; i++)
            if (m->gated[i] || m->escape[i] || m->excluded[i] || m->excl_escape[i])
                st = vt_error_set(err, VT_ERR_FORMAT, "matcher header gate is corrupt");
    }
    if (st == VT_OK)
        st = get_database(&r, &m->db_rest, err);
    if (st == VT_OK)
        st = get_database(&r, &m->db_excluded, err);
    if (st == VT_OK) {
        uint32_t count = get_u32(&r);
        if (r.bad || count > MAX_SHORT_PATTERNS)
            r.bad = true;
        for (uint32_t k = 0; k < count && !r.bad; k++) {
            short_pattern *sp = &m->shorts[k];
            sp->id = get_u32(&r);
            uint32_t x = get_u32(&r);
            sp->byte[0] = (uint8_t)x;
            sp->byte[1] = (uint8_t)(x >> 8);
            sp->nocase[0] = x >> 16 & 1;
            sp->nocase[1] = x >> 17 & 1;
            for (int b = 0; b < 2; b++) /* a letter in either case is stored lower case */
                if (sp->nocase[b] && (sp->byte[b] < 'a' || sp->byte[b] > 'z'))
                    r.bad = true;
            if (x >> 18 || sp->id >= m->npatterns)
                r.bad = true;
        }
        m->nshorts = r.bad ? 0 : count;
        if (r.bad)
            st = vt_error_set(err, VT_ERR_FORMAT, "matcher short patterns are corrupt");
        else if (!m->db && !m->db_excluded && m->npatterns > m->nshorts)
            st = vt_error_set(err, VT_ERR_FORMAT, "matcher lacks its vectorscan database");
    }
    if (st == VT_OK && (r.bad || r.left != 0))
        st = vt_error_set(err, VT_ERR_FORMAT, "matcher is truncated or corrupt");
    if (st != VT_OK) {
        vt_matcher_free(m);
        return st;
    }
    m->scan = vectorscan_scan_function();
    *out = m;
    return VT_OK;
}

vt_status vt_matcher_deserialize(const uint8_t *data, size_t len, vt_matcher **out,
                                 vt_error *err)
{
    return deserialize(data, len, false, out, err);
}

vt_status vt_matcher_deserialize_borrowed(const uint8_t *data, size_t len, vt_matcher **out,
                                          vt_error *err)
{
    return deserialize(data, len, true, out, err);
}
