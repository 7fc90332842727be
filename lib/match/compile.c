/* compile.c: a pattern's syntax tree compiled to a Pike-VM program (Thompson construction with
 * priorities, so the simulation reproduces yara's preference among alternatives and greedy or
 * lazy repeats). Counted repeats are unrolled; bounds beyond the scan limit are clamped since no
 * match can be longer than VT_RE_SCAN_LIMIT bytes. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "fixed.h"
#include "program.h"

typedef struct compiler {
    vt_program *prog;
    bool nocase;
    bool dotall;
    bool failed;
    vt_status status;
    int32_t single[256]; /* index of the set holding only byte b, or -1 */
} compiler;

uint32_t vt_program_append(vt_program *p, vt_op op, uint32_t x, uint32_t y, vt_status *status)
{
    if (p->len >= VT_PROGRAM_MAX) {
        *status = VT_ERR_LIMIT;
        return UINT32_MAX;
    }
    if (p->len == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 64;
        vt_inst *code = realloc(p->code, cap * sizeof *code);
        if (!code) {
            *status = VT_ERR_NOMEM;
            return UINT32_MAX;
        }
        p->code = code;
        p->cap = cap;
    }
    p->code[p->len] = (vt_inst){.op = (uint8_t)op, .x = x, .y = y};
    return p->len++;
}

static uint32_t emit(compiler *c, vt_op op, uint32_t x, uint32_t y)
{
    if (c->failed)
        return 0;
    uint32_t at = vt_program_append(c->prog, op, x, y, &c->status);
    if (at == UINT32_MAX) {
        c->failed = true;
        return 0;
    }
    return at;
}

void vt_set_fold_case(uint8_t *set)
{
    for (unsigned b = 'A'; b <= 'Z'; b++)
        if (vt_set_has(set, b) || vt_set_has(set, b + 32)) {
            vt_set_add(set, b);
            vt_set_add(set, b + 32);
        }
}

uint32_t vt_program_store_set(vt_program *p, const uint8_t *set, vt_status *status)
{
    if (p->nsets == p->capsets) {
        uint32_t cap = p->capsets ? p->capsets * 2 : 16;
        uint8_t(*sets)[32] = realloc(p->sets, cap * sizeof *sets);
        if (!sets) {
            *status = VT_ERR_NOMEM;
            return UINT32_MAX;
        }
        p->sets = sets;
        p->capsets = cap;
    }
    memcpy(p->sets[p->nsets], set, 32);
    return p->nsets++;
}

static uint32_t add_set(compiler *c, const uint8_t *set)
{
    vt_program *p = c->prog;
    uint8_t folded[32];
    memcpy(folded, set, 32);
    if (c->nocase)
        vt_set_fold_case(folded);
    int only = -1, count = 0;
    for (int i = 0; i < 32 && count < 2; i++)
        if (folded[i]) {
            count += __builtin_popcount(folded[i]);
            only = i * 8 + __builtin_ctz(folded[i]);
        }
    if (count == 1 && c->single[only] >= 0)
        return (uint32_t)c->single[only];
    if (count != 1)
        for (uint32_t i = 0; i < p->nsets; i++)
            if (memcmp(p->sets[i], folded, 32) == 0)
                return i;
    uint32_t at = vt_program_store_set(p, folded, &c->status);
    if (at == UINT32_MAX) {
        c->failed = true;
        return 0;
    }
    if (count == 1)
        c->single[only] = (int32_t)at;
    return at;
}

void vt_node_byte_set(const vt_node *n, bool nocase, bool dotall, uint8_t *set)
{
    memset(set, 0, 32);
    switch (n->kind) {
    case VT_NODE_LITERAL:
        if (n->negated) {
            memset(set, 0xFF, 32);
            set[n->value >> 3] &= (uint8_t)~(1u << (n->value & 7));
        } else {
            vt_set_add(set, n->value);
        }
        break;
    case VT_NODE_MASKED:
        /* the bytes b with (b & mask) == value: value plus every combination of the bits
         * outside the mask (16 or 256 of them for hex nibbles and ??) */
        if (n->mask == 0 && n->value == 0) {
            memset(set, n->negated ? 0 : 0xFF, 32);
            break;
        }
        for (unsigned free_bits = (uint8_t)~n->mask, sub = free_bits;; sub = (sub - 1) & free_bits) {
            if (((sub | n->value) & n->mask) == n->value)
                vt_set_add(set, sub | n->value);
            if (sub == 0)
                break;
        }
        if (n->negated)
            for (int i = 0; i < 32; i++)
                set[i] = (uint8_t)~set[i];
        break;
    case VT_NODE_ANY:
        memset(set, 0xFF, 32);
        if (!n->any_all && !dotall)
            set['\n' >> 3] &= (uint8_t)~(1u << ('\n' & 7));
        break;
    case VT_NODE_CLASS:
        memcpy(set, n->set, 32);
        if (n->negated && nocase) /* yara: not (c or its other case) in the class */
            for (unsigned b = 0; b < 256; b++)
                if (!vt_set_has(n->set, b) || !vt_set_has(n->set, vt_ascii_other_case((uint8_t)b)))
                    set[b >> 3] &= (uint8_t)~(1u << (b & 7));
        break;
    default:
        break;
    }
}

long vt_node_min_length(const vt_node *n)
{
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS: return 1;
    case VT_NODE_CONCAT: {
        long total = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            total += vt_node_min_length(n->kids[i]);
            if (total > VT_RE_SCAN_LIMIT)
                return VT_RE_SCAN_LIMIT + 1;
        }
        return total;
    }
    case VT_NODE_ALT: {
        long best = -1;
        for (size_t i = 0; i < n->nkids; i++) {
            long m = vt_node_min_length(n->kids[i]);
            if (best < 0 || m < best)
                best = m;
        }
        return best < 0 ? 0 : best;
    }
    case VT_NODE_REPEAT: {
        long m = vt_node_min_length(n->kids[0]) * (long)n->min;
        return m > VT_RE_SCAN_LIMIT ? VT_RE_SCAN_LIMIT + 1 : m;
    }
    default: return 0;
    }
}

static void gen(compiler *c, const vt_node *n);
static void gen_entered(compiler *c, const vt_node *n);

/* One optional copy of `child`: SPLIT to it or past it, in the repeat's preference order. */
static uint32_t gen_optional_start(compiler *c, bool greedy)
{
    (void)greedy;
    return emit(c, VT_OP_SPLIT, 0, 0);
}

static void patch_split(compiler *c, uint32_t at, uint32_t body, uint32_t out, bool greedy)
{
    if (c->failed)
        return;
    c->prog->code[at].x = greedy ? body : out;
    c->prog->code[at].y = greedy ? out : body;
}

void vt_repeat_bounds(const vt_node *n, long *min, long *max)
{
    long unit = vt_node_min_length(n->kids[0]);
    long cap = VT_RE_SCAN_LIMIT / (unit > 0 ? unit : 1) + 1;
    *min = n->min > cap ? cap : n->min;
    *max = n->max > cap ? -1 : n->max;
}

vt_range_layout vt_range_layout_of(long min, long max)
{
    vt_range_layout l = {.loop = max < 0, .max = max < 0 ? min + 2 : max};
    l.prolog = min > 0;
    l.repeat = l.loop || l.max > min + 1 || l.max > 2;
    l.split = l.loop || l.max > min;
    l.epilog = l.loop || l.max > min || l.max > 1;
    l.rmin = min - (l.prolog ? 1 : 0) - (l.split ? 0 : 1);
    l.rmax = l.max - (l.prolog ? 1 : 0) - 1;
    return l;
}

/* count nested optional copies of child, each preferred (greedy) or skipped first: SPLIT b1,
 * end; b1: child SPLIT b2, end; ... end. */
static void gen_optional_copies(compiler *c, const vt_node *child, long count, bool greedy)
{
    uint32_t *splits = count > 0 ? malloc((size_t)count * sizeof *splits) : NULL;
    if (count > 0 && !splits) {
        c->failed = true;
        c->status = VT_ERR_NOMEM;
        return;
    }
    for (long i = 0; i < count && !c->failed; i++) {
        splits[i] = gen_optional_start(c, greedy);
        gen(c, child);
    }
    uint32_t end = c->prog->len;
    for (long i = 0; i < count && !c->failed; i++)
        patch_split(c, splits[i], splits[i] + 1, end, greedy);
    free(splits);
}

/* L: SPLIT body, out; body: child (entered: gen_entered); JMP L. */
static void gen_loop(compiler *c, const vt_node *child, bool greedy, bool entered)
{
    uint32_t split = gen_optional_start(c, greedy);
    uint32_t body = c->prog->len;
    if (entered)
        gen_entered(c, child);
    else
        gen(c, child);
    emit(c, VT_OP_JMP, split, 0);
    patch_split(c, split, body, c->prog->len, greedy);
}

/* A repeat as yara's emitter lays it out (re.c), since the order of its copies decides which
 * match has priority; `entered`: from where an enclosing e+ jumps back to (gen_entered).
 * - RANGE_ANY (`.{n,m}`, hex jumps: vt_node_is_range_any): n copies, then m - n nested
 *   optional ones (or a loop); its first instruction is its start.
 * - e* (STAR): a loop. e+ (PLUS): a copy, then a loop whose jump back goes to e's first
 *   instruction as yara records it, which for a leading x? is past x?'s SPLIT: the copies after
 *   the first are entered there (/x(a?b)+/ matches only "xb" of "xbbb").
 * - e{n,m} (RANGE): a prolog copy (n > 0), a repeat section (its mandatory copies, then nested
 *   optional ones, or a loop where the bound is past what a match within the scan limit can
 *   reach), then a SPLIT and an epilog copy: yara's paths through the epilog alone rank above
 *   (lazy) or below (greedy) all paths through the repeat section, not interleaved with each
 *   copy's own choices as a backtracking engine would rank them (/xa(\wc[^c]*?){0,2}?c/ is
 *   "xaBcac" in "xaBcacabBB aBAac"). Entered, it starts at its prolog's first instruction, or
 *   without prolog and repeat section (x?, x{0,1}) at its epilog's, past the SPLIT. */
static void gen_repeat_as(compiler *c, const vt_node *n, bool entered)
{
    const vt_node *child = n->kids[0];
    long min, max;
    vt_repeat_bounds(n, &min, &max);
    if (vt_node_is_range_any(n)) {
        for (long i = 0; i < min && !c->failed; i++)
            gen(c, child);
        if (max < 0)
            gen_loop(c, child, n->greedy, false);
        else
            gen_optional_copies(c, child, max - min, n->greedy);
        return;
    }
    if (n->max < 0 && n->min == 0) { /* STAR */
        gen_loop(c, child, n->greedy, false);
        return;
    }
    if (n->max < 0 && n->min == 1) { /* PLUS */
        if (entered)
            gen_entered(c, child);
        else
            gen(c, child);
        gen_loop(c, child, n->greedy, true);
        return;
    }
    vt_range_layout l = vt_range_layout_of(min, max);
    if (entered && !l.prolog && !l.repeat) { /* x?: entered past its SPLIT */
        gen_entered(c, child);
        return;
    }
    if (l.prolog) {
        if (entered)
            gen_entered(c, child);
        else
            gen(c, child);
    }
    if (l.repeat) {
        for (long i = 0; i < l.rmin && !c->failed; i++)
            gen(c, child);
        if (l.loop)
            gen_loop(c, child, n->greedy, false);
        else if (l.rmax > l.rmin)
            gen_optional_copies(c, child, l.rmax - l.rmin, n->greedy);
    }
    uint32_t at = l.split ? gen_optional_start(c, n->greedy) : 0;
    if (l.epilog)
        gen(c, child);
    if (l.split)
        patch_split(c, at, at + 1, c->prog->len, n->greedy);
}

static void gen_repeat(compiler *c, const vt_node *n)
{
    gen_repeat_as(c, n, false);
}

/* n entered where yara's emitter records its first instruction (the target of an enclosing
 * e+'s jump back): a concatenation at its first element's, a repeat as gen_repeat_as says;
 * everything else at its start, as gen() emits it. */
static void gen_entered(compiler *c, const vt_node *n)
{
    if (c->failed)
        return;
    if (n->kind == VT_NODE_CONCAT && n->nkids > 0) {
        gen_entered(c, n->kids[0]);
        for (size_t i = 1; i < n->nkids; i++)
            gen(c, n->kids[i]);
        return;
    }
    if (n->kind == VT_NODE_REPEAT && n->nkids) {
        gen_repeat_as(c, n, true);
        return;
    }
    gen(c, n);
}

static void gen(compiler *c, const vt_node *n)
{
    if (c->failed)
        return;
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS: {
        uint8_t set[32];
        vt_node_byte_set(n, c->nocase, c->dotall, set);
        emit(c, VT_OP_BYTE, add_set(c, set), 0);
        return;
    }
    case VT_NODE_CONCAT:
        for (size_t i = 0; i < n->nkids; i++)
            gen(c, n->kids[i]);
        return;
    case VT_NODE_ALT: {
        /* SPLIT a1, next1; a1: ... JMP end; next1: SPLIT a2, next2; ... last */
        uint32_t *jumps = malloc(n->nkids * sizeof *jumps);
        if (!jumps) {
            c->failed = true;
            c->status = VT_ERR_NOMEM;
            return;
        }
        for (size_t i = 0; i < n->nkids && !c->failed; i++) {
            if (i + 1 < n->nkids) {
                uint32_t split = emit(c, VT_OP_SPLIT, 0, 0);
                gen(c, n->kids[i]);
                jumps[i] = emit(c, VT_OP_JMP, 0, 0);
                if (!c->failed) {
                    c->prog->code[split].x = split + 1;
                    c->prog->code[split].y = c->prog->len;
                }
            } else {
                gen(c, n->kids[i]);
            }
        }
        for (size_t i = 0; i + 1 < n->nkids && !c->failed; i++)
            c->prog->code[jumps[i]].x = c->prog->len;
        free(jumps);
        return;
    }
    case VT_NODE_REPEAT: gen_repeat(c, n); return;
    case VT_NODE_EMPTY: return;
    case VT_NODE_ANCHOR_START: emit(c, VT_OP_BOL, 0, 0); return;
    case VT_NODE_ANCHOR_END: emit(c, VT_OP_EOL, 0, 0); return;
    case VT_NODE_WORD_BOUNDARY: emit(c, VT_OP_WORDB, 0, 0); return;
    case VT_NODE_NON_WORD_BOUNDARY: emit(c, VT_OP_NWORDB, 0, 0); return;
    }
}

/* The number of instructions gen() emits for n (saturated past VT_PROGRAM_MAX), without
 * emitting them: the same unrolling and clamping as gen() and gen_repeat(). */
static long program_size(const vt_node *n)
{
    const long over = VT_PROGRAM_MAX + 1L;
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS: return 1;
    case VT_NODE_CONCAT: {
        long total = 0;
        for (size_t i = 0; i < n->nkids && total < over; i++) {
            const vt_node *k = n->kids[i];
            bool one = k->kind == VT_NODE_LITERAL || k->kind == VT_NODE_MASKED ||
                       k->kind == VT_NODE_ANY || k->kind == VT_NODE_CLASS;
            total += one ? 1 : program_size(k); /* the bytes of a hex string without a call */
        }
        return total < over ? total : over;
    }
    case VT_NODE_ALT: {
        long total = 0;
        for (size_t i = 0; i < n->nkids && total < over; i++)
            total += program_size(n->kids[i]) + (i + 1 < n->nkids ? 2 : 0);
        return total < over ? total : over;
    }
    case VT_NODE_REPEAT: {
        const vt_node *child = n->kids[0];
        long min, max;
        vt_repeat_bounds(n, &min, &max);
        long body = program_size(child);
        if (body >= over)
            return over;
        long total;
        if (vt_node_is_range_any(n) || n->max < 0) { /* RANGE_ANY, STAR, PLUS */
            total = min * body + (max < 0 ? body + 2 : (max - min) * (body + 1));
        } else { /* gen_repeat_as's RANGE (entered, it is never larger) */
            vt_range_layout l = vt_range_layout_of(min, max);
            total = (l.prolog ? body : 0) + (l.split ? 1 : 0) + (l.epilog ? body : 0);
            if (l.repeat)
                total += l.rmin * body + (l.loop              ? body + 2
                                          : l.rmax > l.rmin ? (l.rmax - l.rmin) * (body + 1)
                                                            : 0);
        }
        return total < over ? total : over;
    }
    case VT_NODE_EMPTY: return 0;
    default: return 1; /* assertions */
    }
}

vt_status vt_program_check_size(const vt_pattern *pattern, vt_error *err)
{
    if (program_size(pattern->root) + 1 > VT_PROGRAM_MAX) /* + MATCH */
        return vt_error_set(err, VT_ERR_LIMIT, "regular expression is too large");
    return VT_OK;
}

/* The bytes the first consuming instruction can take: every reportable match (length > 0)
 * begins with one of them, whatever the assertions decide. */
static bool first_bytes(vt_program *prog)
{
    memset(prog->first, 0, sizeof prog->first);
    uint8_t *seen = calloc(prog->len, 1);
    uint32_t *stack = malloc(((size_t)prog->len * 2 + 2) * sizeof *stack);
    if (!seen || !stack) {
        free(seen);
        free(stack);
        return false;
    }
    size_t top = 0;
    stack[top++] = 0;
    while (top) {
        uint32_t pc = stack[--top];
        if (seen[pc])
            continue;
        seen[pc] = 1;
        const vt_inst *in = &prog->code[pc];
        switch (in->op) {
        case VT_OP_BYTE:
            for (int i = 0; i < 32; i++)
                prog->first[i] |= prog->sets[in->x][i];
            break;
        case VT_OP_SPLIT: stack[top++] = in->x; stack[top++] = in->y; break;
        case VT_OP_JMP: stack[top++] = in->x; break;
        case VT_OP_MATCH: break;
        default: stack[top++] = pc + 1; break;
        }
    }
    free(seen);
    free(stack);
    return true;
}

vt_status vt_program_compile(const vt_pattern *pattern, bool nocase, vt_program **out,
                             vt_error *err)
{
    *out = NULL;
    vt_program *prog = calloc(1, sizeof *prog);
    if (!prog)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    compiler c = {.prog = prog,
                  .nocase = nocase || (pattern->flags & VT_REGEX_NOCASE),
                  .dotall = (pattern->flags & VT_REGEX_DOTALL) != 0};
    for (int b = 0; b < 256; b++)
        c.single[b] = -1;
    gen(&c, pattern->root);
    emit(&c, VT_OP_MATCH, 0, 0);
    if (c.failed) {
        vt_program_free(prog);
        if (c.status == VT_ERR_LIMIT)
            return vt_error_set(err, VT_ERR_LIMIT, "regular expression is too large");
        return vt_error_set(err, c.status, "out of memory");
    }
    prog->anchored_start = prog->len > 0 && prog->code[0].op == VT_OP_BOL;
    uint64_t h = 14695981039346656037ull;
    for (uint32_t i = 0; i < prog->len; i++) {
        const vt_inst *in = &prog->code[i];
        if (in->op >= VT_OP_BOL)
            prog->has_assertions = true;
        h = (h ^ in->op) * 1099511628211ull;
        h = (h ^ in->x) * 1099511628211ull;
        h = (h ^ in->y) * 1099511628211ull;
    }
    for (uint32_t i = 0; i < prog->nsets; i++)
        for (int k = 0; k < 32; k++)
            h = (h ^ prog->sets[i][k]) * 1099511628211ull;
    prog->digest = h ^ prog->len;
    if (!first_bytes(prog) || !vt_fixed_build(prog, &prog->fixed)) {
        vt_program_free(prog);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    *out = prog;
    return VT_OK;
}

void vt_program_free(vt_program *prog)
{
    if (!prog)
        return;
    vt_fixed_free(prog->fixed);
    free(prog->code);
    free(prog->sets);
    free(prog);
}
