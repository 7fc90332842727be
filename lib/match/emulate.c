/* emulate.c: yara 4.2.3's verification of a hex string or regex from its atoms (libyara scan.c
 * _yr_scan_verify_re_match and _yr_scan_match_callback, re.c yr_re_exec), for the strings where
 * the result depends on the atoms. The atom list is yara's, with its wide and case variants in
 * yara's order, because that order decides which atom hit is verified first when several end
 * at the same byte (Aho-Corasick lists a state's own atoms last-added first, then the shorter
 * ones of its failure state). Each hit runs the forward code from the atom (ascii, then wide
 * only if ascii fails; highest-priority thread wins, as yara's fibers) and then the backward
 * code exhaustively, each backward length giving one start. Both runs are Pike-VM simulations
 * bounded by the 4096-byte scan limit: linear in the data for a given string, no backtracking.
 * Strings whose result does not depend on the atom (decided in vt_emulation_new) keep the
 * ordinary verifier. */
#include <stdlib.h>
#include <string.h>

#include "atoms.h"
#include "emulate.h"
#include "string_internal.h"
#include "yara_code.h"

typedef struct atom_entry {
    uint8_t bytes[VT_MAX_ATOM_LENGTH], mask[VT_MAX_ATOM_LENGTH];
    uint8_t len;
    uint32_t source; /* index into sources */
} atom_entry;        /* its rank is its index: the order yara added it to the automaton */

typedef struct atom_source {
    uint32_t forward_pc, backward_pc;
    uint32_t max_back; /* bytes between a match start and this atom, at most */
} atom_source;

struct vt_emulation {
    vt_yara_code code;
    atom_entry *entries;
    size_t nentries;
    atom_source *sources;
    size_t nsources;
    uint32_t *by_first;    /* entries by possible first byte: index[b]..index[b+1] */
    uint32_t index[257];
    bool zero_atom;        /* no atom: every offset, forward from the root, no backward */
    bool ascii, wide, fullword, greedy;
    uint32_t max_back;
};

typedef struct hit {
    uint64_t at, end;
    uint32_t len, rank, source;
} hit;

typedef struct ring_slot {
    uint64_t offset;
    uint32_t length;
    bool used;
} ring_slot;

typedef struct tlist {
    uint32_t *sparse, *dense, n;
} tlist;

struct vt_emul_scratch {
    tlist a, b;
    uint32_t *stack;
    uint32_t size;
    uint32_t *visited;  /* per instruction: the closure that last went through it */
    uint32_t *executed; /* per split id: the closure that last ran it */
    uint32_t nids;
    uint32_t closure;   /* number of the current closure */
    hit *hits;          /* atom hits found, not verified yet, in verification order */
    size_t nhits, caphits;
    ring_slot *ring;    /* results by start offset, until they are reported */
    uint32_t *lengths; /* backward lengths of one run */
    size_t nlengths, caplengths;
    vt_offset_range *merged; /* the candidate ranges, merged */
    size_t capmerged;
};

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
    for (size_t i = 1; i + 1 < r->nkids; i++) {
        const vt_node *k = r->kids[i];
        if (k->kind == VT_NODE_REPEAT && k->hex_jump &&
            (k->max < 0 || k->max > VT_STRING_CHAINING_THRESHOLD ||
             k->min > VT_STRING_CHAINING_THRESHOLD))
            return true;
    }
    return false;
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

/* Characters before `target` when it is an element of the top-level sequence (nested
 * concatenations flattened) and only single characters and assertions precede it; -1
 * otherwise. */
static long fixed_prefix(const vt_node *n, const vt_node *target, long *before, bool *blocked)
{
    if (n == target)
        return *before;
    if (n->kind != VT_NODE_CONCAT) {
        if (single_char(n))
            (*before)++;
        else if (n->kind == VT_NODE_REPEAT && n->hex_jump && n->min == n->max)
            *before += n->min; /* a fixed jump [n] */
        else if (n->kind != VT_NODE_ANCHOR_START && n->kind != VT_NODE_ANCHOR_END &&
                 n->kind != VT_NODE_WORD_BOUNDARY && n->kind != VT_NODE_NON_WORD_BOUNDARY)
            *blocked = true; /* assertions take no characters: they change nothing here */
        return -1;
    }
    for (size_t i = 0; i < n->nkids && !*blocked; i++) {
        long r = fixed_prefix(n->kids[i], target, before, blocked);
        if (r >= 0)
            return r;
    }
    return -1;
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

/* The most bytes a match can hold before `target` (yara's atoms sit in the first copy of a
 * repeat); -1 when target is not under n. */
static long prefix_max(const vt_node *n, const vt_node *target)
{
    if (n == target)
        return 0;
    long acc = 0;
    switch (n->kind) {
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
    case VT_NODE_ALT: case VT_NODE_REPEAT:
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
        bool blocked = false;
        long k = fixed_prefix(root, nodes[0], &before, &blocked);
        if (k < 0 || (k > 0 && wide && ascii))
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
    em->sources = calloc(nnodes ? nnodes : 1, sizeof *em->sources);
    if (!em->sources) {
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
                                                                          : VT_RE_SCAN_LIMIT)};
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

/* ---- running the codes ---------------------------------------------------------------------- */

vt_emul_scratch *vt_emul_scratch_new(void)
{
    return calloc(1, sizeof(vt_emul_scratch));
}

void vt_emul_scratch_free(vt_emul_scratch *s)
{
    if (!s)
        return;
    free(s->a.sparse);
    free(s->a.dense);
    free(s->b.sparse);
    free(s->b.dense);
    free(s->stack);
    free(s->visited);
    free(s->executed);
    free(s->hits);
    free(s->ring);
    free(s->lengths);
    free(s->merged);
    free(s);
}

static bool grow_u32(uint32_t **p, size_t n)
{
    uint32_t *q = realloc(*p, n * sizeof *q);
    if (!q)
        return false;
    *p = q;
    return true;
}

static bool fit(vt_emul_scratch *s, const vt_emulation *em)
{
    uint32_t n = em->code.forward->len > em->code.backward->len ? em->code.forward->len
                                                                : em->code.backward->len;
    uint32_t nids = (uint32_t)em->code.nids;
    if (nids > s->nids) {
        uint32_t *p = calloc(nids, sizeof *p);
        if (!p)
            return false;
        free(s->executed);
        s->executed = p;
        s->nids = nids;
        s->closure = 0;
        memset(s->visited, 0, s->size * sizeof *s->visited);
    }
    if (n <= s->size)
        return true;
    uint32_t *v = calloc(n, sizeof *v);
    if (!v || !grow_u32(&s->a.sparse, n) || !grow_u32(&s->a.dense, n) ||
        !grow_u32(&s->b.sparse, n) || !grow_u32(&s->b.dense, n) ||
        !grow_u32(&s->stack, (size_t)n * 2 + 2)) {
        free(v);
        return false;
    }
    free(s->visited);
    s->visited = v;
    s->size = n;
    s->closure = 0;
    if (s->executed)
        memset(s->executed, 0, s->nids * sizeof *s->executed);
    return true;
}

typedef struct run {
    const vt_program *prog;
    const uint8_t *data;
    size_t len;
    int cs;
    uint32_t *stack;
    size_t edge; /* where the run's window ends (forward) or its limit lies (backward) */
    const int32_t *ids;
    vt_emul_scratch *s;
} run;

static bool is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* yara's _yr_re_is_word_char; outside the data is not a word character. */
static bool word_at(const run *r, size_t pos)
{
    if (pos + (size_t)r->cs > r->len)
        return false;
    bool w = vt_is_word_byte(r->data[pos]);
    return r->cs == 2 ? w && r->data[pos + 1] == 0 : w;
}

/* yara 4.2.3's \b: true where no character precedes (the start of the data) and where the run
 * can read no further (its window's edge, the end of the data included); elsewhere a change
 * between word and non-word characters. */
static bool boundary(const run *r, size_t pos)
{
    if (pos < (size_t)r->cs || pos == r->edge)
        return true;
    return word_at(r, pos - (size_t)r->cs) != word_at(r, pos);
}

static inline bool has(const tlist *l, uint32_t pc)
{
    uint32_t i = l->sparse[pc];
    return i < l->n && l->dense[i] == pc;
}

/* pc and what it reaches without consuming, in priority order (_yr_re_fiber_sync); assertions
 * look at the absolute position `pos` (between the characters at pos - cs and pos). As in yara,
 * a path that reaches a split already run in this closure dies. */
static void add(const run *r, tlist *l, uint32_t pc0, size_t pos)
{
    vt_emul_scratch *s = r->s;
    if (++s->closure == 0) { /* wrapped: forget every mark */
        memset(s->visited, 0, s->size * sizeof *s->visited);
        memset(s->executed, 0, s->nids * sizeof *s->executed);
        s->closure = 1;
    }
    uint32_t mark = s->closure;
    size_t top = 0;
    r->stack[top++] = pc0;
    while (top) {
        uint32_t pc = r->stack[--top];
        const vt_inst *in = &r->prog->code[pc];
        if (in->op == VT_OP_BYTE || in->op == VT_OP_MATCH) {
            if (!has(l, pc)) { /* the first thread at an instruction wins (fiber dedup) */
                l->sparse[pc] = l->n;
                l->dense[l->n++] = pc;
            }
            continue;
        }
        int32_t id = in->op == VT_OP_SPLIT ? r->ids[pc] : -1;
        if (id >= 0) {
            if (s->executed[id] == mark)
                continue;
            s->executed[id] = mark;
        } else {
            if (s->visited[pc] == mark)
                continue;
            s->visited[pc] = mark;
        }
        switch (in->op) {
        case VT_OP_JMP: r->stack[top++] = in->x; break;
        case VT_OP_SPLIT:
            r->stack[top++] = in->y;
            r->stack[top++] = in->x;
            break;
        case VT_OP_BOL:
            if (pos == 0)
                r->stack[top++] = pc + 1;
            break;
        case VT_OP_EOL:
            if (pos == r->len)
                r->stack[top++] = pc + 1;
            break;
        case VT_OP_WORDB:
            if (boundary(r, pos))
                r->stack[top++] = pc + 1;
            break;
        case VT_OP_NWORDB:
            if (!boundary(r, pos))
                r->stack[top++] = pc + 1;
            break;
        default: break;
        }
    }
}

/* yr_re_exec forwards, not exhaustive: the length of the highest-priority match from `at`
 * (the last one a surviving higher-priority thread reaches), -1 when none. */
static long run_forward(vt_emul_scratch *s, const vt_program *prog, const int32_t *ids,
                        uint32_t pc, const uint8_t *data, size_t len, size_t at, int cs)
{
    size_t max = len - at < VT_RE_SCAN_LIMIT ? len - at : VT_RE_SCAN_LIMIT;
    max -= max % (size_t)cs;
    run r = {prog, data, len, cs, s->stack, at + max, ids, s};
    tlist *cur = &s->a, *nxt = &s->b;
    cur->n = 0;
    add(&r, cur, pc, at);
    long matched = -1;
    size_t b = 0;
    while (cur->n) {
        nxt->n = 0;
        bool can = b + (size_t)cs <= max;
        for (uint32_t i = 0; i < cur->n; i++) {
            const vt_inst *in = &prog->code[cur->dense[i]];
            if (in->op == VT_OP_MATCH) {
                matched = (long)b;
                break;
            }
            if (in->op != VT_OP_BYTE || !can)
                continue;
            size_t p = at + b;
            if ((cs == 2 && data[p + 1] != 0) || !vt_set_has(prog->sets[in->x], data[p]))
                continue;
            add(&r, nxt, cur->dense[i] + 1, p + (size_t)cs);
        }
        tlist *t = cur;
        cur = nxt;
        nxt = t;
        b += (size_t)cs;
    }
    return matched;
}

/* yr_re_exec backwards and exhaustive: every length the code matches right to left from `at`
 * (into s->lengths, increasing). */
static bool run_backward(vt_emul_scratch *s, const vt_program *prog, const int32_t *ids,
                         uint32_t pc, const uint8_t *data, size_t len, size_t at, int cs)
{
    size_t max = at < VT_RE_SCAN_LIMIT ? at : VT_RE_SCAN_LIMIT;
    max -= max % (size_t)cs;
    run r = {prog, data, len, cs, s->stack, at - max, ids, s};
    tlist *cur = &s->a, *nxt = &s->b;
    cur->n = 0;
    s->nlengths = 0;
    add(&r, cur, pc, at);
    size_t b = 0;
    while (cur->n) {
        nxt->n = 0;
        bool can = b + (size_t)cs <= max;
        for (uint32_t i = 0; i < cur->n; i++) {
            const vt_inst *in = &prog->code[cur->dense[i]];
            if (in->op == VT_OP_MATCH) {
                if (s->nlengths == s->caplengths) {
                    size_t c = s->caplengths ? s->caplengths * 2 : 64;
                    if (!grow_u32(&s->lengths, c))
                        return false;
                    s->caplengths = c;
                }
                s->lengths[s->nlengths++] = (uint32_t)b;
                continue;
            }
            if (in->op != VT_OP_BYTE || !can)
                continue;
            size_t p = at - b - (size_t)cs;
            if ((cs == 2 && data[p + 1] != 0) || !vt_set_has(prog->sets[in->x], data[p]))
                continue;
            add(&r, nxt, cur->dense[i] + 1, p);
        }
        tlist *t = cur;
        cur = nxt;
        nxt = t;
        b += (size_t)cs;
    }
    return true;
}

/* ---- the scan ----------------------------------------------------------------------------- */

/* A start offset's result is final once every atom hit that can reach it has been verified:
 * hits are verified in the order their atoms end, and an atom starts at most VT_RE_SCAN_LIMIT
 * bytes after the match start, so results wait in a ring indexed by offset. */
#define RING (2 * VT_RE_SCAN_LIMIT)
#define SETTLED (VT_RE_SCAN_LIMIT + VT_MAX_ATOM_LENGTH + 1)

typedef struct scan {
    const vt_emulation *em;
    vt_emul_scratch *s;
    const uint8_t *data;
    size_t len;
    const vt_offset_range *ranges;
    size_t nranges, range_at;
    uint64_t emit_next; /* lowest offset not reported yet */
    size_t found;
    uint32_t string_id;
    vt_match_fn fn;
    void *ctx;
    bool stopped;
} scan;

static bool fullword_ok(const uint8_t *data, size_t len, size_t off, size_t mlen, bool wide)
{
    if (wide) {
        if (off >= 2 && data[off - 1] == 0 && is_alnum(data[off - 2]))
            return false;
        if (off + mlen + 1 < len && data[off + mlen + 1] == 0 && is_alnum(data[off + mlen]))
            return false;
    } else {
        if (off >= 1 && is_alnum(data[off - 1]))
            return false;
        if (off + mlen < len && is_alnum(data[off + mlen]))
            return false;
    }
    return true;
}

/* _yr_scan_match_callback and _yr_scan_add_match_to_list: fullword, then the first length for
 * an offset stays (greedy regexes: the last one replaces it). */
static void record(scan *c, uint64_t off, uint32_t mlen, bool wide)
{
    if (off < c->emit_next || mlen == 0)
        return; /* before the region: not a start that was asked for */
    if (c->em->fullword && !fullword_ok(c->data, c->len, (size_t)off, mlen, wide))
        return;
    ring_slot *slot = &c->s->ring[off % RING];
    if (slot->used && slot->offset == off) {
        if (c->em->greedy)
            slot->length = mlen;
        return;
    }
    *slot = (ring_slot){off, mlen, true};
}

/* Report, in offset order, the results of the offsets below `upto`. */
static void settle(scan *c, uint64_t upto)
{
    for (; c->emit_next < upto && !c->stopped; c->emit_next++) {
        ring_slot *slot = &c->s->ring[c->emit_next % RING];
        if (!slot->used || slot->offset != c->emit_next)
            continue;
        slot->used = false;
        uint64_t off = slot->offset;
        while (c->range_at < c->nranges && c->ranges[c->range_at].hi < off)
            c->range_at++;
        if (c->range_at == c->nranges || off < c->ranges[c->range_at].lo)
            continue; /* not asked for (not every atom hit that reaches it was verified) */
        if (c->found++ >= VT_MAX_STRING_MATCHES) {
            c->stopped = true;
            break;
        }
        vt_match m = {.string_id = c->string_id, .offset = off, .length = slot->length};
        if (c->fn(c->ctx, &m))
            c->stopped = true;
    }
}

/* _yr_scan_verify_re_match for one atom hit. */
static bool verify(scan *c, const atom_source *src, size_t at)
{
    const vt_emulation *em = c->em;
    vt_emul_scratch *s = c->s;
    long fwd = -1;
    int cs = 1;
    if (em->ascii)
        fwd = run_forward(s, em->code.forward, em->code.forward_ids, src->forward_pc, c->data,
                          c->len, at, 1);
    if (fwd < 0 && em->wide) {
        cs = 2;
        fwd = run_forward(s, em->code.forward, em->code.forward_ids, src->forward_pc, c->data,
                          c->len, at, 2);
    }
    if (fwd < 0 || (fwd == 0 && em->zero_atom))
        return true;
    if (em->zero_atom) {
        record(c, at, (uint32_t)fwd, cs == 2);
        return true;
    }
    if (!run_backward(s, em->code.backward, em->code.backward_ids, src->backward_pc, c->data,
                      c->len, at, cs))
        return false;
    for (size_t i = 0; i < s->nlengths; i++)
        record(c, at - s->lengths[i], s->lengths[i] + (uint32_t)fwd, cs == 2);
    return true;
}

/* Aho-Corasick's order for atoms ending at the same byte: the deeper state lists its own atoms
 * (last added first), then those of its failure state (shorter ones). */
static bool hit_before(const hit *x, const hit *y)
{
    if (x->end != y->end)
        return x->end < y->end;
    if (x->len != y->len)
        return x->len > y->len;
    return x->rank > y->rank;
}

static bool add_pending(vt_emul_scratch *s, const hit *h)
{
    if (s->nhits == s->caphits) {
        size_t cap = s->caphits ? s->caphits * 2 : 64;
        hit *p = realloc(s->hits, cap * sizeof *p);
        if (!p)
            return false;
        s->hits = p;
        s->caphits = cap;
    }
    size_t i = s->nhits++;
    while (i > 0 && hit_before(h, &s->hits[i - 1])) {
        s->hits[i] = s->hits[i - 1];
        i--;
    }
    s->hits[i] = *h;
    return true;
}

/* Verify the pending hits whose atoms end at or before `end`. */
static bool verify_pending(scan *c, uint64_t end)
{
    vt_emul_scratch *s = c->s;
    size_t done = 0;
    while (done < s->nhits && s->hits[done].end <= end) {
        const hit *h = &s->hits[done];
        bool seen = false; /* the same atom source at the same place gives the same result */
        for (size_t j = done; j-- > 0 && s->hits[j].end == h->end && !seen;)
            seen = s->hits[j].source == h->source && s->hits[j].at == h->at;
        if (!seen && !verify(c, &c->em->sources[h->source], (size_t)h->at))
            return false;
        done++;
    }
    if (done) {
        memmove(s->hits, s->hits + done, (s->nhits - done) * sizeof *s->hits);
        s->nhits -= done;
    }
    return true;
}

static bool hits_at(scan *c, uint64_t at)
{
    const vt_emulation *em = c->em;
    uint8_t b = c->data[at];
    for (uint32_t k = em->index[b]; k < em->index[b + 1]; k++) {
        uint32_t rank = em->by_first[k];
        const atom_entry *e = &em->entries[rank];
        if (at + e->len > c->len)
            continue;
        bool ok = true;
        for (int i = 1; i < e->len && ok; i++)
            ok = (c->data[at + (size_t)i] & e->mask[i]) == e->bytes[i];
        hit h = {at, at + e->len, e->len, rank, e->source};
        if (ok && !add_pending(c->s, &h))
            return false;
    }
    return true;
}

/* One stretch of atom positions [lo, hi]. */
static bool scan_stretch(scan *c, uint64_t lo, uint64_t hi)
{
    c->emit_next = lo;
    c->s->nhits = 0;
    for (uint64_t at = lo; at <= hi && !c->stopped; at++) {
        if (c->em->zero_atom) {
            if (!verify(c, &c->em->sources[0], (size_t)at))
                return false;
            settle(c, at + 1);
            continue;
        }
        if (!hits_at(c, at) || !verify_pending(c, at + 1))
            return false;
        if (at + 1 > SETTLED)
            settle(c, at + 1 - SETTLED);
    }
    if (!c->stopped && !verify_pending(c, UINT64_MAX))
        return false;
    settle(c, hi + VT_MAX_ATOM_LENGTH + 1);
    return true;
}

vt_status vt_emulation_scan(const vt_emulation *em, uint32_t string_id, vt_emul_scratch *s,
                            const uint8_t *data, size_t len, const vt_offset_range *ranges,
                            size_t nranges, vt_match_fn fn, void *ctx, bool *stopped)
{
    *stopped = false;
    if (!len)
        return VT_OK;
    if (!fit(s, em))
        return VT_ERR_NOMEM;
    if (!s->ring && !(s->ring = calloc(RING, sizeof *s->ring)))
        return VT_ERR_NOMEM;
    vt_offset_range all = {0, len - 1};
    if (!ranges) {
        ranges = &all;
        nranges = 1;
    } else {
        if (nranges > s->capmerged) {
            vt_offset_range *p = realloc(s->merged, nranges * sizeof *p);
            if (!p)
                return VT_ERR_NOMEM;
            s->merged = p;
            s->capmerged = nranges;
        }
        size_t n = 0;
        for (size_t r = 0; r < nranges; r++) {
            if (n && ranges[r].lo <= s->merged[n - 1].hi + 1) {
                if (ranges[r].hi > s->merged[n - 1].hi)
                    s->merged[n - 1].hi = ranges[r].hi;
            } else {
                s->merged[n++] = ranges[r];
            }
        }
        ranges = s->merged;
        nranges = n;
    }
    scan c = {.em = em, .s = s, .data = data, .len = len, .ranges = ranges,
              .nranges = nranges, .string_id = string_id, .fn = fn, .ctx = ctx};
    /* atoms that can start a match in a range lie up to max_back bytes past it; stretches
     * that overlap are scanned as one */
    uint64_t extend = em->zero_atom ? 0 : em->max_back;
    for (size_t r = 0; r < nranges && !c.stopped;) {
        uint64_t lo = ranges[r].lo, hi = ranges[r].hi + extend;
        for (r++; r < nranges && ranges[r].lo <= hi + 1; r++)
            if (ranges[r].hi + extend > hi)
                hi = ranges[r].hi + extend;
        if (hi >= len)
            hi = len - 1;
        if (lo <= hi && !scan_stretch(&c, lo, hi))
            return VT_ERR_NOMEM;
    }
    *stopped = c.stopped;
    return VT_OK;
}
