/* yara_code.c: a pattern compiled the way libyara's re.c lays out a string's code, so that
 * verification can start where yara starts it. yara emits the pattern twice, forwards and
 * backwards (a concatenation's children in reverse order), and gives every node a forward
 * reference (its first instruction in the forward code) and a backward reference (the
 * instruction after it in the backward code). A repeat {n,m} is emitted as a first copy (the
 * prolog, which holds the forward references), further copies and a last copy (the epilog,
 * which holds the backward references; the prolog when there is no epilog). Running the forward
 * code from an atom's node therefore matches the rest of the pattern from that copy on, and the
 * backward code from it matches, right to left, what precedes it. Counted repeats are unrolled
 * here (bounds past the scan limit become loops); the priorities of the forward code are
 * yara's, the backward code is only ever run exhaustively, so its order does not matter. */
#include <stdlib.h>
#include <string.h>

#include "yara_code.h"

typedef struct emitter {
    vt_program *prog;
    bool backward;
    bool nocase, dotall;
    bool failed;
    vt_status status;
    const vt_node *const *wanted; /* nodes whose references are asked for */
    size_t nwanted;
    uint32_t *refs;
    int32_t *ids;      /* per instruction: yara's split id, -1 for none */
    uint32_t capids;
    int32_t next_id;
} emitter;

static uint32_t emit(emitter *e, vt_op op, uint32_t x, uint32_t y)
{
    if (e->failed)
        return 0;
    uint32_t pc = e->prog->len;
    if (pc >= e->capids) { /* the split ids follow the code, one per instruction */
        uint32_t cap = e->capids ? e->capids * 2 : 64;
        int32_t *ids = realloc(e->ids, cap * sizeof *ids);
        if (!ids) {
            e->failed = true;
            e->status = VT_ERR_NOMEM;
            return 0;
        }
        e->ids = ids;
        e->capids = cap;
    }
    if (vt_program_append(e->prog, op, x, y, &e->status) == UINT32_MAX) {
        e->failed = true;
        return 0;
    }
    e->ids[pc] = -1;
    return pc;
}

/* A SPLIT yara emits with _yr_emit_split: it carries an id, and a fiber that reaches a split
 * already run in the same closure dies (yara's guard against empty loops). */
static uint32_t emit_split(emitter *e)
{
    uint32_t pc = emit(e, VT_OP_SPLIT, 0, 0);
    if (!e->failed)
        e->ids[pc] = e->next_id++;
    return pc;
}

static uint32_t add_set(emitter *e, const vt_node *n)
{
    uint8_t set[32];
    vt_node_byte_set(n, e->nocase, e->dotall, set);
    if (e->nocase)
        vt_set_fold_case(set);
    vt_program *p = e->prog;
    for (uint32_t i = 0; i < p->nsets; i++)
        if (memcmp(p->sets[i], set, 32) == 0)
            return i;
    uint32_t at = vt_program_store_set(p, set, &e->status);
    if (at == UINT32_MAX) {
        e->failed = true;
        return 0;
    }
    return at;
}

static void set_ref(emitter *e, const vt_node *n, uint32_t pc)
{
    for (size_t i = 0; i < e->nwanted; i++)
        if (e->wanted[i] == n)
            e->refs[i] = pc;
}


#define NO_REF UINT32_MAX

static uint32_t gen(emitter *e, const vt_node *n, bool refs);

static void patch_split(emitter *e, uint32_t at, uint32_t body, uint32_t out, bool greedy)
{
    if (e->failed)
        return;
    e->prog->code[at].x = greedy ? body : out;
    e->prog->code[at].y = greedy ? out : body;
}

/* child* as a loop: L: SPLIT body, out; body; JMP L. Returns the SPLIT (with an id for a
 * star, without for the loop of a repeat, which yara counts instead). */
static uint32_t gen_loop(emitter *e, const vt_node *child, bool greedy, bool refs, bool with_id)
{
    uint32_t split = with_id ? emit_split(e) : emit(e, VT_OP_SPLIT, 0, 0);
    gen(e, child, refs);
    emit(e, VT_OP_JMP, split, 0);
    patch_split(e, split, split + 1, e->prog->len, greedy);
    return split;
}

/* A copy of the body of yara's repeat loop: every copy has the ids of the first (yara emits the
 * body once and runs it again). */
static void gen_loop_copy(emitter *e, const vt_node *child, int32_t *first_id, int32_t *after)
{
    if (*first_id < 0) {
        *first_id = e->next_id;
        gen(e, child, false);
        *after = e->next_id;
    } else {
        e->next_id = *first_id;
        gen(e, child, false);
        e->next_id = *after;
    }
}

/* yara's e{n,m} (re.c, RE_NODE_RANGE; max -1: a loop, vt_range_layout_of): a prolog copy
 * (n > 0), the repeat loop (between rmin and rmax more copies, unrolled here, or a loop past
 * the scan limit), a SPLIT and an epilog copy. Forward references are set in the prolog (in the epilog without one), backward ones
 * in the epilog (in the prolog without one). */
static uint32_t gen_range(emitter *e, const vt_node *n, long min, long max, bool refs)
{
    const vt_node *child = n->kids[0];
    vt_range_layout layout = vt_range_layout_of(min, max);
    bool prolog = layout.prolog, repeat = layout.repeat, split = layout.split;
    bool epilog = layout.epilog, loop = layout.loop;
    long rmin = layout.rmin, rmax = layout.rmax;
    uint32_t ref = UINT32_MAX;
    if (prolog)
        ref = gen(e, child, refs); /* backward: the epilog, emitted later, overwrites */
    if (repeat) {
        int32_t first_id = -1, after = -1;
        uint32_t start = e->prog->len;
        for (long i = 0; i < rmin; i++)
            gen_loop_copy(e, child, &first_id, &after);
        if (loop) {
            uint32_t l = emit(e, VT_OP_SPLIT, 0, 0);
            gen_loop_copy(e, child, &first_id, &after);
            emit(e, VT_OP_JMP, l, 0);
            patch_split(e, l, l + 1, e->prog->len, n->greedy);
        } else if (rmax > rmin) {
            long count = rmax - rmin;
            uint32_t *splits = malloc((size_t)count * sizeof *splits);
            if (!splits) {
                e->failed = true;
                e->status = VT_ERR_NOMEM;
                return UINT32_MAX;
            }
            for (long i = 0; i < count && !e->failed; i++) {
                splits[i] = emit(e, VT_OP_SPLIT, 0, 0); /* REPEAT_START / REPEAT_END */
                gen_loop_copy(e, child, &first_id, &after);
            }
            uint32_t end = e->prog->len;
            for (long i = 0; i < count && !e->failed; i++)
                patch_split(e, splits[i], splits[i] + 1, end, n->greedy);
            free(splits);
        }
        if (ref == UINT32_MAX)
            ref = start;
    }
    uint32_t split_pc = UINT32_MAX, epi = UINT32_MAX;
    if (split)
        split_pc = emit_split(e);
    if (epilog)
        epi = gen(e, child, refs && (e->backward || !prolog));
    if (split)
        patch_split(e, split_pc, split_pc + 1, e->prog->len, n->greedy);
    if (ref == UINT32_MAX)
        ref = epi; /* e{0,1}: yara's reference is the epilog, after the SPLIT */
    return ref;
}

static uint32_t gen_repeat(emitter *e, const vt_node *n, bool refs)
{
    const vt_node *child = n->kids[0];
    long min, max;
    vt_repeat_bounds(n, &min, &max);
    bool loop = max < 0;
    if (vt_node_is_range_any(n)) { /* REPEAT_ANY: no split ids, no epilog */
        uint32_t start = e->prog->len;
        for (long i = 0; i < min; i++)
            gen(e, child, false);
        if (loop)
            gen_loop(e, child, n->greedy, false, false);
        else if (max > min) {
            long count = max - min;
            uint32_t *splits = malloc((size_t)count * sizeof *splits);
            if (!splits) {
                e->failed = true;
                e->status = VT_ERR_NOMEM;
                return NO_REF;
            }
            for (long i = 0; i < count && !e->failed; i++) {
                splits[i] = emit(e, VT_OP_SPLIT, 0, 0);
                gen(e, child, false);
            }
            uint32_t end = e->prog->len;
            for (long i = 0; i < count && !e->failed; i++)
                patch_split(e, splits[i], splits[i] + 1, end, n->greedy);
            free(splits);
        }
        return start;
    }
    if (n->max < 0 && n->min == 0) /* STAR: L: SPLIT; child; JMP L */
        return gen_loop(e, child, n->greedy, refs, true);
    if (n->max < 0 && n->min == 1) { /* PLUS: child; SPLIT back */
        uint32_t first = gen(e, child, refs);
        uint32_t split = emit_split(e);
        patch_split(e, split, first == NO_REF ? split + 1 : first, split + 1, n->greedy);
        return first == NO_REF ? split : first;
    }
    uint32_t r = gen_range(e, n, min, max, refs);
    return r == UINT32_MAX ? NO_REF : r;
}

static uint32_t gen(emitter *e, const vt_node *n, bool refs)
{
    if (e->failed)
        return NO_REF;
    uint32_t pc = e->prog->len;
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS:
        emit(e, VT_OP_BYTE, add_set(e, n), 0);
        if (refs)
            set_ref(e, n, e->backward ? pc + 1 : pc);
        return pc;
    case VT_NODE_CONCAT: {
        uint32_t first = NO_REF;
        for (size_t i = 0; i < n->nkids; i++) {
            const vt_node *k = n->kids[e->backward ? n->nkids - 1 - i : i];
            uint32_t r = gen(e, k, refs);
            if (i == 0)
                first = r;
        }
        return first;
    }
    case VT_NODE_ALT: {
        uint32_t *jumps = malloc(n->nkids * sizeof *jumps);
        if (!jumps) {
            e->failed = true;
            e->status = VT_ERR_NOMEM;
            return NO_REF;
        }
        for (size_t i = 0; i < n->nkids && !e->failed; i++) {
            if (i + 1 < n->nkids) {
                uint32_t split = emit_split(e);
                gen(e, n->kids[i], refs);
                jumps[i] = emit(e, VT_OP_JMP, 0, 0);
                if (!e->failed) {
                    e->prog->code[split].x = split + 1;
                    e->prog->code[split].y = e->prog->len;
                }
            } else {
                gen(e, n->kids[i], refs);
            }
        }
        for (size_t i = 0; i + 1 < n->nkids && !e->failed; i++)
            e->prog->code[jumps[i]].x = e->prog->len;
        free(jumps);
        return n->nkids > 1 ? pc : (n->nkids ? pc : NO_REF);
    }
    case VT_NODE_REPEAT: return gen_repeat(e, n, refs);
    case VT_NODE_EMPTY: return NO_REF;
    case VT_NODE_ANCHOR_START: emit(e, VT_OP_BOL, 0, 0); return pc;
    case VT_NODE_ANCHOR_END: emit(e, VT_OP_EOL, 0, 0); return pc;
    case VT_NODE_WORD_BOUNDARY: emit(e, VT_OP_WORDB, 0, 0); return pc;
    case VT_NODE_NON_WORD_BOUNDARY: emit(e, VT_OP_NWORDB, 0, 0); return pc;
    }
    return NO_REF;
}

static vt_status emit_one(const vt_pattern *pattern, bool nocase, bool backward,
                          const vt_node *const *wanted, size_t nwanted, uint32_t *refs,
                          vt_program **out, int32_t **ids, uint32_t *root_ref)
{
    vt_program *prog = calloc(1, sizeof *prog);
    if (!prog)
        return VT_ERR_NOMEM;
    emitter e = {.prog = prog, .backward = backward,
                 .nocase = nocase || (pattern->flags & VT_REGEX_NOCASE),
                 .dotall = (pattern->flags & VT_REGEX_DOTALL) != 0, .wanted = wanted,
                 .nwanted = nwanted, .refs = refs};
    for (size_t i = 0; i < nwanted; i++)
        refs[i] = NO_REF;
    uint32_t r = gen(&e, pattern->root, true);
    emit(&e, VT_OP_MATCH, 0, 0);
    if (e.failed) {
        vt_program_free(prog);
        free(e.ids);
        return e.status;
    }
    *ids = e.ids;
    if (root_ref)
        *root_ref = r == NO_REF ? 0 : r;
    *out = prog;
    return VT_OK;
}

vt_status vt_yara_code_build(const vt_pattern *pattern, bool nocase, const vt_node *const *atoms,
                             size_t natoms, vt_yara_code *out)
{
    memset(out, 0, sizeof *out);
    size_t n = natoms ? natoms : 1;
    out->forward_refs = malloc(n * sizeof *out->forward_refs);
    out->backward_refs = malloc(n * sizeof *out->backward_refs);
    if (!out->forward_refs || !out->backward_refs) {
        vt_yara_code_free(out);
        return VT_ERR_NOMEM;
    }
    vt_status st = emit_one(pattern, nocase, false, atoms, natoms, out->forward_refs,
                            &out->forward, &out->forward_ids, &out->root_ref);
    if (st == VT_OK)
        st = emit_one(pattern, nocase, true, atoms, natoms, out->backward_refs, &out->backward,
                      &out->backward_ids, NULL);
    out->nids = 0;
    for (uint32_t pc = 0; st == VT_OK && pc < out->forward->len; pc++)
        if (out->forward_ids[pc] >= out->nids)
            out->nids = out->forward_ids[pc] + 1;
    for (uint32_t pc = 0; st == VT_OK && pc < out->backward->len; pc++)
        if (out->backward_ids[pc] >= out->nids)
            out->nids = out->backward_ids[pc] + 1;
    for (size_t i = 0; st == VT_OK && i < natoms; i++)
        if (out->forward_refs[i] == NO_REF || out->backward_refs[i] == NO_REF)
            st = VT_ERR_STATE; /* an atom outside the code: cannot happen for yara's atoms */
    if (st != VT_OK)
        vt_yara_code_free(out);
    return st;
}

#define TOO_MANY_IDS ((uint64_t)VT_RE_MAX_SPLIT_ID + 1) /* counts saturate here */

static uint64_t saturated(uint64_t ids)
{
    return ids < TOO_MANY_IDS ? ids : TOO_MANY_IDS;
}

/* The split ids yara's emission of n takes (_yr_emit_split), as gen above allocates them (a
 * repeat's loop body takes its ids once, however many copies run it), at most TOO_MANY_IDS. */
static uint64_t split_ids(const vt_node *n)
{
    uint64_t ids = 0;
    switch (n->kind) {
    case VT_NODE_CONCAT:
    case VT_NODE_ALT:
        for (size_t i = 0; i < n->nkids && ids < TOO_MANY_IDS; i++)
            ids += split_ids(n->kids[i]);
        return saturated(ids + (n->kind == VT_NODE_ALT && n->nkids > 1 ? n->nkids - 1 : 0));
    case VT_NODE_REPEAT: {
        if (!n->nkids || vt_node_is_range_any(n))
            return 0;
        uint64_t body = split_ids(n->kids[0]);
        if (n->max < 0 && (n->min == 0 || n->min == 1)) /* STAR, PLUS */
            return body + 1;
        long min, max;
        vt_repeat_bounds(n, &min, &max);
        /* gen_range: prolog, the repeat's copies (their body's ids once), SPLIT, epilog */
        vt_range_layout l = vt_range_layout_of(min, max);
        bool copies = l.repeat && (l.rmin > 0 || l.loop || l.rmax > l.rmin);
        return saturated((l.prolog ? body : 0) + (copies ? body : 0) + (l.split ? 1 : 0) +
                         (l.epilog ? body : 0));
    }
    default:
        return 0;
    }
}

bool vt_yara_code_too_complex(const vt_pattern *pattern)
{
    const vt_node *r = pattern->root;
    if (!pattern->is_hex || r->kind != VT_NODE_CONCAT)
        return split_ids(r) > VT_RE_MAX_SPLIT_ID;
    /* yara emits each piece of a hex string split at its long jumps (chained strings) on its
     * own */
    uint64_t piece = 0;
    for (size_t i = 0; i < r->nkids; i++) {
        const vt_node *k = r->kids[i];
        if (vt_node_is_chaining_jump(k)) {
            piece = 0;
            continue;
        }
        piece += split_ids(k);
        if (piece > VT_RE_MAX_SPLIT_ID)
            return true;
    }
    return false;
}

void vt_yara_code_free(vt_yara_code *code)
{
    vt_program_free(code->forward);
    vt_program_free(code->backward);
    free(code->forward_refs);
    free(code->backward_refs);
    free(code->forward_ids);
    free(code->backward_ids);
    memset(code, 0, sizeof *code);
}
