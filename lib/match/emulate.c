/* emulate.c: the plan for emulating yara 4.2.3's verification of a hex string or regex from
 * its atoms, for the strings whose result depends on them (the decision is made here). The
 * atom list is yara's, with its wide and case variants in yara's order, because that order
 * decides which atom hit is verified first when several end at the same byte (Aho-Corasick
 * lists a state's own atoms last-added first, then the shorter ones of its failure state); the
 * code is yara's layout (yara_code.c). emulate_scan.c runs the plan. */
#include <stdlib.h>
#include <string.h>

#include "emulate_internal.h"
#include "string_internal.h"

/* ---- the plan ------------------------------------------------------------------------------ */

static bool is_literal(const vt_node *n)
{
    if (n->kind == VT_NODE_LITERAL)
        return !n->negated;
    if (n->kind != VT_NODE_CONCAT)
        return false;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->kind != VT_NODE_LITERAL || n->kids[i]->negated)
            return false;
    return true;
}

/* yara splits a hex string at jumps over 200 bytes into chained strings (not emulated). */
static bool is_chained(const vt_pattern *pat)
{
    const vt_node *r = pat->root;
    if (!pat->is_hex || r->kind != VT_NODE_CONCAT)
        return false;
    for (size_t i = 1; i + 1 < r->nkids; i++)
        if (vt_node_is_chaining_jump(r->kids[i]))
            return true;
    return false;
}

/* yara's fast regexps (hex_grammar.y marks every hex string fast but those with alternatives):
 * the top-level sequence as yr_re_fast_exec's instructions; false when the string is not one. */
static bool fast_ops_build(const vt_pattern *pat, vt_emulation *em)
{
    const vt_node *r = pat->root;
    if (!pat->is_hex)
        return true;
    const vt_node *const *kids = (const vt_node *const *)&r;
    size_t n = 1;
    if (r->kind == VT_NODE_CONCAT) {
        kids = (const vt_node *const *)r->kids;
        n = r->nkids;
    }
    for (size_t i = 0; i < n; i++) {
        const vt_node *k = kids[i];
        bool jump = k->kind == VT_NODE_REPEAT && k->hex_jump && k->min >= 0 && k->max >= k->min &&
                    k->max <= 0xFFFF;
        if (k->kind != VT_NODE_LITERAL && k->kind != VT_NODE_MASKED && k->kind != VT_NODE_ANY &&
            !jump)
            return true; /* an alternative or other structure: the fiber engine */
    }
    em->fast_ops = calloc(n, sizeof *em->fast_ops);
    if (!em->fast_ops)
        return false;
    for (size_t i = 0; i < n; i++) {
        const vt_node *k = kids[i];
        fast_op *op = &em->fast_ops[i];
        op->negated = k->negated;
        op->value = k->value;
        if (k->kind == VT_NODE_LITERAL) {
            op->kind = FAST_LITERAL;
        } else if (k->kind == VT_NODE_MASKED) {
            op->kind = FAST_MASKED;
            op->mask = k->mask;
        } else if (k->kind == VT_NODE_ANY) {
            op->kind = FAST_ANY;
        } else {
            op->kind = FAST_REPEAT_ANY;
            op->min = (uint16_t)k->min;
            op->max = (uint16_t)k->max;
        }
    }
    em->nfast = n;
    return true;
}

/* Index of `node` in the fast instructions (the top-level sequence). */
static uint32_t fast_index(const vt_pattern *pat, const vt_node *node)
{
    const vt_node *r = pat->root;
    if (r->kind == VT_NODE_CONCAT)
        for (size_t i = 0; i < r->nkids; i++)
            if (r->kids[i] == node)
                return (uint32_t)i;
    return 0;
}

/* Whether yr_re_fast_exec's paths can meet after the atom at `node`: a hex string without
 * alternatives with two or more jumps of variable length after it. Its list keeps one position
 * per input byte, so of two paths through the jumps that reach one byte, only the one listed
 * first goes on: the match found can be longer than the shortest ({ 00 [4-7] 00 ?? [1-2] 00 }
 * over 00 31 46 66 66 5F 00 6C 00 65 00 69 00: 13 bytes, not 11), or not found at all. With
 * one such jump, the positions move in step and never meet. */
static bool converging_jumps(const vt_pattern *pat, const vt_node *node)
{
    const vt_node *r = pat->root;
    if (!pat->is_hex || r->kind != VT_NODE_CONCAT)
        return false;
    size_t i = 0, variable = 0;
    while (i < r->nkids && r->kids[i] != node)
        i++;
    for (; i < r->nkids; i++) {
        const vt_node *k = r->kids[i];
        if (k->kind == VT_NODE_ALT)
            return false; /* not a fast string: the fiber engine, which the plain verifier is */
        if (k->kind == VT_NODE_REPEAT && k->hex_jump && k->min != k->max)
            variable++;
    }
    return variable >= 2;
}

static bool has_greedy(const vt_node *n)
{
    if (n->kind == VT_NODE_REPEAT && n->greedy && !n->hex_jump)
        return true;
    for (size_t i = 0; i < n->nkids; i++)
        if (has_greedy(n->kids[i]))
            return true;
    return false;
}

static bool can_be_empty(const vt_node *n)
{
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS:
        return false;
    case VT_NODE_CONCAT:
        for (size_t i = 0; i < n->nkids; i++)
            if (!can_be_empty(n->kids[i]))
                return false;
        return true;
    case VT_NODE_ALT:
        for (size_t i = 0; i < n->nkids; i++)
            if (can_be_empty(n->kids[i]))
                return true;
        return false;
    case VT_NODE_REPEAT:
        return n->min == 0 || can_be_empty(n->kids[0]);
    default:
        return true;
    }
}

/* A repeat whose body can match empty: yara's split-id rule (a path running one split twice in
 * a closure dies) can cut it short, which only the emulation reproduces. */
static bool has_empty_repeat(const vt_node *n)
{
    if (n->kind == VT_NODE_REPEAT && can_be_empty(n->kids[0]))
        return true;
    for (size_t i = 0; i < n->nkids; i++)
        if (has_empty_repeat(n->kids[i]))
            return true;
    return false;
}

static bool single_char(const vt_node *n)
{
    return n->kind == VT_NODE_LITERAL || n->kind == VT_NODE_MASKED || n->kind == VT_NODE_ANY ||
           n->kind == VT_NODE_CLASS;
}

static bool contains(const vt_node *n, const vt_node *target)
{
    if (n == target)
        return true;
    for (size_t i = 0; i < n->nkids; i++)
        if (contains(n->kids[i], target))
            return true;
    return false;
}

/* Characters every match holds before `target` when that number is fixed: `target` lies in the
 * top-level sequence (nested concatenations flattened), or in the first copy of a repeat
 * (n >= 1) of it, the copy yara's atoms refer to, and only single characters, fixed jumps and
 * assertions precede it; -1 otherwise (with *blocked set). *asserted is set when an assertion
 * precedes it (yara's backward code then checks something even with no character before),
 * *looped when that repeat can have more copies than one. */
static long fixed_prefix(const vt_node *n, const vt_node *target, long *before, bool *blocked,
                         bool *asserted, bool *looped)
{
    if (n == target)
        return *before;
    switch (n->kind) {
    case VT_NODE_CONCAT:
        for (size_t i = 0; i < n->nkids && !*blocked; i++) {
            long r = fixed_prefix(n->kids[i], target, before, blocked, asserted, looped);
            if (r >= 0)
                return r;
        }
        return -1;
    case VT_NODE_REPEAT:
        if (n->min >= 1 && !n->hex_jump && contains(n->kids[0], target)) {
            /* hits in the later copies reach back to the same starts (prefix_max): for a
             * greedy regex the last one verified gives the length, not the first copy's, and
             * for a fullword one the first that passes the check */
            if (n->max != 1)
                *looped = true;
            return fixed_prefix(n->kids[0], target, before, blocked, asserted, looped);
        }
        if (n->min == n->max && (n->hex_jump || single_char(n->kids[0])))
            *before += n->min; /* [n], x{n} */
        else
            *blocked = true;
        return -1;
    case VT_NODE_ANCHOR_START: case VT_NODE_ANCHOR_END: case VT_NODE_WORD_BOUNDARY:
    case VT_NODE_NON_WORD_BOUNDARY:
        *asserted = true;
        return -1; /* assertions take no characters */
    default:
        if (single_char(n))
            (*before)++;
        else
            *blocked = true;
        return -1;
    }
}

#define UNBOUNDED (VT_RE_SCAN_LIMIT + 1L)

static long max_len(const vt_node *n)
{
    long total = 0;
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS: return 1;
    case VT_NODE_CONCAT:
        for (size_t i = 0; i < n->nkids && total < UNBOUNDED; i++)
            total += max_len(n->kids[i]);
        return total < UNBOUNDED ? total : UNBOUNDED;
    case VT_NODE_ALT:
        for (size_t i = 0; i < n->nkids; i++) {
            long m = max_len(n->kids[i]);
            total = m > total ? m : total;
        }
        return total;
    case VT_NODE_REPEAT: {
        long m = max_len(n->kids[0]);
        if (n->max < 0 || (m && n->max >= UNBOUNDED))
            return m ? UNBOUNDED : 0;
        total = m * n->max;
        return total < UNBOUNDED ? total : UNBOUNDED;
    }
    default: return 0;
    }
}

/* The most bytes a match can hold before `target`; -1 when target is not under n. yara's atoms
 * sit in the first copy of a repeat, but the backward code from one loops over the copies
 * before it (its backward code begins at the repeat's split): a hit in a later copy reaches
 * back over the earlier ones (`d(c+|c).` matches "dcc2" from the atom hit at its second c). */
static long prefix_max(const vt_node *n, const vt_node *target)
{
    if (n == target)
        return 0;
    long acc = 0;
    switch (n->kind) {
    case VT_NODE_REPEAT: {
        long r = n->nkids ? prefix_max(n->kids[0], target) : -1;
        if (r < 0 || n->max == 1)
            return r;
        long copies = n->max < 0 ? UNBOUNDED : (long)n->max - 1, kid = max_len(n->kids[0]);
        long before = kid && copies >= UNBOUNDED / kid ? UNBOUNDED : copies * kid;
        return r + before < UNBOUNDED ? r + before : UNBOUNDED;
    }
    case VT_NODE_CONCAT:
        for (size_t i = 0; i < n->nkids; i++) {
            long r = prefix_max(n->kids[i], target);
            if (r >= 0)
                return acc + r < UNBOUNDED ? acc + r : UNBOUNDED;
            acc += max_len(n->kids[i]);
            if (acc > UNBOUNDED)
                acc = UNBOUNDED;
        }
        return -1;
    case VT_NODE_ALT:
        for (size_t i = 0; i < n->nkids; i++) {
            long r = prefix_max(n->kids[i], target);
            if (r >= 0)
                return r;
        }
        return -1;
    default: return -1;
    }
}

static bool push_entry(atom_entry **items, size_t *n, size_t *cap, const atom_entry *e)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        atom_entry *p = realloc(*items, c * sizeof *p);
        if (!p)
            return false;
        *items = p;
        *cap = c;
    }
    (*items)[(*n)++] = *e;
    return true;
}

static bool is_letter(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The bucket tables of em->pairs (see emulate_internal.h): the first bytes an atom can start
 * with, grouped by the set of second bytes that can follow them (a byte and its other case
 * share one, as do the 16 bytes of a masked nibble); groups beyond 8 share buckets. */
static void set_pair_buckets(vt_emulation *em)
{
    memset(em->pair_nibbles, 0, sizeof em->pair_nibbles);
    em->pair_buckets = false;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    if (!__builtin_cpu_supports("avx2"))
        return;
    uint8_t group_first[256]; /* per group: a first byte of it, whose row the group shares */
    int ngroups = 0;
    for (unsigned b = 0; b < 256; b++) {
        if (!em->starts[b])
            continue;
        const uint8_t *row = em->pairs + b * 32;
        int g = 0;
        while (g < ngroups && memcmp(em->pairs + group_first[g] * 32, row, 32) != 0)
            g++;
        if (g == ngroups)
            group_first[ngroups++] = (uint8_t)b;
        uint8_t bit = (uint8_t)(1u << (g % 8));
        em->pair_nibbles[0][b & 15] |= bit;
        em->pair_nibbles[1][b >> 4] |= bit;
        for (unsigned b1 = 0; b1 < 256; b1++) {
            if (row[b1 >> 3] >> (b1 & 7) & 1) {
                em->pair_nibbles[2][b1 & 15] |= bit;
                em->pair_nibbles[3][b1 >> 4] |= bit;
            }
        }
    }
    em->pair_buckets = ngroups > 0;
#endif
}

/* yara's atom list for the automaton: chosen atoms, then (wide) their wide forms in reverse
 * order, then (nocase) every other case combination, the combinations of later atoms first. */
static vt_status build_entries(vt_emulation *em, const vt_chosen_atom_list *chosen,
                               const uint32_t *source_of, bool wide_atoms, bool nocase)
{
    atom_entry *items = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < chosen->count; i++) {
        atom_entry e = {.len = chosen->items[i].atom.len, .source = source_of[i]};
        memcpy(e.bytes, chosen->items[i].atom.bytes, VT_MAX_ATOM_LENGTH);
        memcpy(e.mask, chosen->items[i].atom.mask, VT_MAX_ATOM_LENGTH);
        if (!push_entry(&items, &n, &cap, &e))
            goto nomem;
    }
    if (wide_atoms) {
        size_t ascii_n = n;
        for (size_t i = ascii_n; i-- > 0;) {
            atom_entry w = {.source = items[i].source};
            w.len = (uint8_t)(items[i].len * 2 < VT_MAX_ATOM_LENGTH ? items[i].len * 2
                                                                     : VT_MAX_ATOM_LENGTH);
            memset(w.mask, 0xFF, sizeof w.mask);
            for (int k = 0; k * 2 < VT_MAX_ATOM_LENGTH && k < items[i].len; k++) {
                w.bytes[k * 2] = items[i].bytes[k];
                w.mask[k * 2] = items[i].mask[k];
            }
            if (!push_entry(&items, &n, &cap, &w))
                goto nomem;
        }
        if (!em->ascii && ascii_n) {
            memmove(items, items + ascii_n, (n - ascii_n) * sizeof *items);
            n -= ascii_n;
        }
    }
    if (nocase) {
        size_t base = n;
        for (size_t i = 0; i < base; i++) {
            int letters[VT_MAX_ATOM_LENGTH], nl = 0;
            for (int k = 0; k < items[i].len; k++)
                if (items[i].mask[k] == 0xFF && is_letter(items[i].bytes[k]))
                    letters[nl++] = k;
            for (unsigned combo = 1; combo < (1u << nl); combo++) {
                atom_entry c = items[i];
                for (int k = 0; k < nl; k++)
                    if (combo >> k & 1)
                        c.bytes[letters[k]] ^= 0x20;
                if (!push_entry(&items, &n, &cap, &c))
                    goto nomem;
            }
        }
        /* each combination was put at the head of yara's list: reverse them */
        for (size_t i = base, j = n; i + 1 < j; i++, j--) {
            atom_entry t = items[i];
            items[i] = items[j - 1];
            items[j - 1] = t;
        }
    }
    em->entries = items;
    em->nentries = n;
    /* index by first byte */
    uint32_t counts[256] = {0};
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 256; b++)
            if ((b & items[i].mask[0]) == items[i].bytes[0])
                counts[b]++;
    em->index[0] = 0;
    for (unsigned b = 0; b < 256; b++)
        em->index[b + 1] = em->index[b] + counts[b];
    em->by_first = malloc((em->index[256] ? em->index[256] : 1) * sizeof *em->by_first);
    if (!em->by_first)
        return VT_ERR_NOMEM;
    uint32_t fill[256];
    memcpy(fill, em->index, sizeof fill);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 256; b++)
            if ((b & items[i].mask[0]) == items[i].bytes[0])
                em->by_first[fill[b]++] = (uint32_t)i;
    int nstarts = 0;
    em->only_start = -1;
    for (unsigned b = 0; b < 256; b++) {
        em->starts[b] = em->index[b] < em->index[b + 1];
        if (em->starts[b]) {
            if (nstarts < 4)
                em->start_bytes[nstarts] = (uint8_t)b;
            nstarts++;
            em->only_start = (int)b;
        }
    }
    if (nstarts != 1)
        em->only_start = -1;
    em->nstart_bytes = nstarts <= 4 ? nstarts : 0;
    for (int i = nstarts; i > 0 && i < 4; i++) /* unused slots repeat a start byte */
        em->start_bytes[i] = em->start_bytes[0];
    memset(em->pairs, 0, sizeof em->pairs);
    for (size_t i = 0; i < n; i++) {
        const atom_entry *e = &items[i];
        for (unsigned b0 = 0; b0 < 256; b0++) {
            if ((b0 & e->mask[0]) != e->bytes[0])
                continue;
            for (unsigned b1 = 0; b1 < 256; b1++) {
                if (e->len < 2 || (b1 & e->mask[1]) == e->bytes[1]) {
                    unsigned k = b0 << 8 | b1;
                    em->pairs[k >> 3] |= (uint8_t)(1u << (k & 7));
                }
            }
        }
    }
    set_pair_buckets(em);
    return VT_OK;
nomem:
    free(items);
    return VT_ERR_NOMEM;
}

void vt_emulation_free(vt_emulation *em)
{
    if (!em)
        return;
    vt_yara_code_free(&em->code);
    free(em->entries);
    free(em->sources);
    free(em->by_first);
    free(em->fast_ops);
    free(em);
}

vt_status vt_emulation_new(const vt_string_spec *spec, const vt_pattern *pattern,
                           vt_emulation **out, uint32_t *origin)
{
    *out = NULL;
    *origin = 0;
    const vt_node *root = pattern->root;
    if (is_literal(root) || is_chained(pattern))
        return VT_OK;
    bool base64 = spec->kind == VT_STRING_TEXT;
    bool wide = spec->kind == VT_STRING_REGEX && (spec->modifiers & VT_MOD_WIDE);
    bool ascii = spec->kind != VT_STRING_REGEX || (spec->modifiers & VT_MOD_ASCII) || !wide;
    bool nocase = (spec->modifiers & VT_MOD_NOCASE) || (pattern->flags & VT_REGEX_NOCASE);
    vt_chosen_atom_list chosen = {0};
    vt_status st = vt_atoms_choose(root, &chosen);
    if (st != VT_OK)
        return st;
    /* the distinct nodes the atoms start at, in list order */
    const vt_node **nodes = malloc((chosen.count ? chosen.count : 1) * sizeof *nodes);
    uint32_t *source_of = malloc((chosen.count ? chosen.count : 1) * sizeof *source_of);
    vt_emulation *em = calloc(1, sizeof *em);
    size_t nnodes = 0;
    if (!nodes || !source_of || !em) {
        st = VT_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < chosen.count; i++) {
        size_t k = 0;
        while (k < nnodes && nodes[k] != chosen.items[i].node)
            k++;
        if (k == nnodes)
            nodes[nnodes++] = chosen.items[i].node;
        source_of[i] = (uint32_t)k;
    }
    bool emulate = nnodes > 1 || has_empty_repeat(root);
    if (nnodes == 1) {
        long before = 0;
        bool blocked = false, asserted = false, looped = false;
        long k = fixed_prefix(root, nodes[0], &before, &blocked, &asserted, &looped);
        if (k < 0 || ((k > 0 || asserted) && wide && ascii) || converging_jumps(pattern, nodes[0]) ||
            (looped && !base64 && (has_greedy(root) || (spec->modifiers & VT_MOD_FULLWORD))))
            emulate = true;
        else
            *origin = (uint32_t)k;
    }
    if (!emulate && nnodes > 0)
        goto done;
    st = vt_yara_code_build(pattern, (spec->modifiers & VT_MOD_NOCASE) != 0, nodes, nnodes,
                            &em->code);
    if (st != VT_OK)
        goto done;
    if (nnodes == 0) /* yara starts after a leading x{0,1}'s SPLIT */
        emulate = emulate || em->code.root_ref != 0;
    if (!emulate)
        goto done;
    em->ascii = ascii;
    em->wide = wide;
    em->fullword = (spec->modifiers & VT_MOD_FULLWORD) != 0;
    em->greedy = !base64 && has_greedy(root);
    em->zero_atom = nnodes == 0;
    em->split_ids = has_empty_repeat(root);
    em->sources = calloc(nnodes ? nnodes : 1, sizeof *em->sources);
    if (!em->sources || !fast_ops_build(pattern, em)) {
        st = VT_ERR_NOMEM;
        goto done;
    }
    em->nsources = nnodes;
    if (nnodes == 0) /* the zero-length atom */
        em->sources[0].forward_pc = em->code.root_ref;
    for (size_t i = 0; i < nnodes; i++) {
        long back = prefix_max(root, nodes[i]) * (wide ? 2 : 1);
        em->sources[i] = (atom_source){em->code.forward_refs[i], em->code.backward_refs[i],
                                       (uint32_t)(back < VT_RE_SCAN_LIMIT ? back
                                                                          : VT_RE_SCAN_LIMIT),
                                       fast_index(pattern, nodes[i])};
        if (em->sources[i].max_back > em->max_back)
            em->max_back = em->sources[i].max_back;
    }
    st = build_entries(em, &chosen, source_of, wide && !base64, nocase);
    if (st == VT_OK) {
        *out = em;
        em = NULL;
    }
done:
    vt_emulation_free(em);
    free(nodes);
    free(source_of);
    free(chosen.items);
    return st;
}

