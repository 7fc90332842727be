/* emulate_scan.c: running an emulation plan over data, as libyara does for one string: its
 * atom hits in Aho-Corasick order, the forward code from each hit (yr_re_exec, not exhaustive)
 * and the backward code exhaustively (_yr_scan_verify_re_match), each backward length giving a
 * start whose first length is kept (_yr_scan_match_callback, _yr_scan_add_match_to_list). The
 * closures follow _yr_re_fiber_sync, split ids included. Both runs are Pike-VM simulations
 * bounded by the 4096-byte scan limit. */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_PAIR_BUCKETS 1
#endif

#include "emulate_internal.h"
#include "string_internal.h"

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
    size_t nused;       /* slots of the ring in use */
    uint32_t *lengths; /* backward lengths of one run */
    size_t nlengths, caplengths;
    vt_offset_range *merged; /* the candidate ranges, merged */
    size_t capmerged;
    vt_deadline *deadline; /* of the current scan, NULL: none */
    struct fast_pos *pos; /* yr_re_fast_exec's position list (fast strings) */
    size_t npos, cappos;
};

/* ---- running the codes ---------------------------------------------------------------------- */

vt_emul_scratch *vt_emul_scratch_new(void)
{
    return calloc(1, sizeof(vt_emul_scratch));
}

void vt_emul_scratch_set_deadline(vt_emul_scratch *s, vt_deadline *deadline)
{
    s->deadline = deadline;
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
    free(s->pos);
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
        if (s->visited)
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
    const int32_t *ids; /* NULL: no split id can repeat in a closure (no empty loop body) */
    vt_emul_scratch *s;
} run;

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
        if (!r->ids) {
            /* without empty loop bodies no closure runs a split twice: what another thread's
             * closure reached in this step has the same future */
            if (has(l, pc))
                continue;
            l->sparse[pc] = l->n;
            l->dense[l->n++] = pc;
        } else if (in->op == VT_OP_BYTE || in->op == VT_OP_MATCH) {
            if (!has(l, pc)) { /* the first thread at an instruction wins (fiber dedup) */
                l->sparse[pc] = l->n;
                l->dense[l->n++] = pc;
            }
            continue;
        }
        int32_t id = r->ids && in->op == VT_OP_SPLIT ? r->ids[pc] : -1;
        if (id >= 0) {
            if (s->executed[id] == mark)
                continue;
            s->executed[id] = mark;
        } else if (r->ids) {
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
        if (vt_deadline_spend(s->deadline, 1 + cur->n))
            break; /* verify() sees the deadline passed */
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
        if (vt_deadline_spend(s->deadline, 1 + cur->n))
            break; /* verify() sees the deadline passed */
    }
    return true;
}

/* ---- yr_re_fast_exec ------------------------------------------------------------------------ */

/* yara 4.2.3 verifies hex strings without alternatives with yr_re_fast_exec: one instruction
 * per round over a list of input positions kept in pointer order, a jump adding a position
 * per length. A new position is not added when the list already holds its input pointer,
 * whatever that position's round: two paths through variable jumps that meet at one byte keep
 * only the one listed first, so a start can be lost ({ 00 [4-7] 00 [1-9] 5A ?4 90 } over
 * 00 00 2C 17 C8 67 80 AB 00 42 5A 24 90 is found at 1, not 0). Backwards, new positions lie
 * before the current one but are inserted after it, as in yara. Ported here literally. */
typedef struct fast_pos {
    int64_t input; /* offset in the data */
    uint32_t round;
    int32_t prev, next;
} fast_pos;

static int32_t fast_new(vt_emul_scratch *s, int64_t input, uint32_t round)
{
    if (s->npos == s->cappos) {
        size_t cap = s->cappos ? s->cappos * 2 : 256;
        fast_pos *p = realloc(s->pos, cap * sizeof *p);
        if (!p)
            return -1;
        s->pos = p;
        s->cappos = cap;
    }
    s->pos[s->npos] = (fast_pos){input, round, -1, -1};
    return (int32_t)s->npos++;
}

/* The instruction of round `round`: forward from the atom's node, or backward from the node
 * before it; then MATCH. */
static fast_op fast_op_at(const vt_emulation *em, uint32_t at_node, bool backward, uint32_t round)
{
    if (backward ? round < at_node : at_node + round < em->nfast)
        return em->fast_ops[backward ? at_node - 1 - round : at_node + round];
    return (fast_op){.kind = FAST_MATCH};
}

/* Forward (not exhaustive): the length of the first position to reach MATCH, -1 when none.
 * Backward (exhaustive): every start's length into s->lengths. -2 when memory runs out. */
static long fast_run(vt_emul_scratch *s, const vt_emulation *em, uint32_t at_node, bool backward,
                     const uint8_t *data, size_t len, size_t at)
{
    int64_t incr = backward ? -1 : 1;
    size_t avail = backward ? at : len - at;
    int64_t max = (int64_t)(avail < VT_RE_SCAN_LIMIT ? avail : VT_RE_SCAN_LIMIT);
    s->npos = 0;
    s->nlengths = 0;
    int32_t first = fast_new(s, backward ? (int64_t)at - 1 : (int64_t)at, 0), last = first;
    if (first < 0)
        return -2;
    for (uint32_t round = 0; first >= 0; round++) {
        fast_op op = fast_op_at(em, at_node, backward, round);
        int32_t cur = first;
        while (cur >= 0) {
            fast_pos *p = &s->pos[cur];
            int32_t next = p->next;
            if (p->round != round) {
                cur = next;
                continue;
            }
            int64_t matched = backward ? (int64_t)at - p->input - 1 : p->input - (int64_t)at;
            bool match = false;
            switch (op.kind) {
            case FAST_ANY:
                if (matched >= max)
                    break;
                match = true;
                p->input += incr;
                break;
            case FAST_LITERAL:
            case FAST_MASKED: {
                if (matched >= max)
                    break;
                uint8_t b = data[p->input];
                bool eq = op.kind == FAST_LITERAL ? b == op.value : (b & op.mask) == op.value;
                if (eq != op.negated) {
                    match = true;
                    p->input += incr;
                }
                break;
            }
            case FAST_REPEAT_ANY: {
                if (matched >= max)
                    break;
                match = true;
                fast_op after = fast_op_at(em, at_node, backward, round + 1);
                int32_t ins = cur;
                for (int64_t j = (int64_t)op.min + 1; j <= op.max; j++) {
                    if (matched + j >= max)
                        break;
                    int64_t ni = s->pos[cur].input + j * incr;
                    while (s->pos[ins].next >= 0 && ni >= s->pos[s->pos[ins].next].input)
                        ins = s->pos[ins].next;
                    if (ni == s->pos[ins].input)
                        continue; /* this input is listed already (any round) */
                    if (after.kind == FAST_LITERAL && !after.negated && data[ni] != after.value)
                        continue;
                    int32_t n = fast_new(s, ni, round + 1);
                    if (n < 0)
                        return -2;
                    s->pos[n].prev = ins;
                    s->pos[n].next = s->pos[ins].next;
                    s->pos[ins].next = n;
                    if (s->pos[n].next >= 0)
                        s->pos[s->pos[n].next].prev = n;
                    if (ins == last)
                        last = n;
                }
                s->pos[cur].input += incr * (int64_t)op.min;
                break;
            }
            default: /* FAST_MATCH */
                if (!backward)
                    return (long)matched;
                if (s->nlengths == s->caplengths) {
                    size_t c = s->caplengths ? s->caplengths * 2 : 64;
                    if (!grow_u32(&s->lengths, c))
                        return -2;
                    s->caplengths = c;
                }
                /* the start is max(input + 1, 0), the length min(matched, max) */
                s->lengths[s->nlengths++] = (uint32_t)(matched < max ? matched : max);
                break;
            }
            p = &s->pos[cur];
            if (match) {
                p->round = round + 1;
            } else { /* unlink */
                if (cur == first)
                    first = p->next;
                if (cur == last)
                    last = p->prev;
                if (p->prev >= 0)
                    s->pos[p->prev].next = p->next;
                if (p->next >= 0)
                    s->pos[p->next].prev = p->prev;
            }
            cur = next;
        }
    }
    return -1;
}

/* fast_run forwards while its list holds a single position, that is up to the first jump of
 * several lengths: false when that position dies there (a byte or the scan limit), so that
 * fast_run would return -1; true when it survives (fast_run decides). Most atom hits of a
 * string with a common atom die within a few bytes; this saves fast_run's list for them. */
static bool fast_prefix_ok(const vt_emulation *em, uint32_t at_node, const uint8_t *data,
                           size_t len, size_t at)
{
    size_t avail = len - at;
    uint64_t max = avail < VT_RE_SCAN_LIMIT ? avail : VT_RE_SCAN_LIMIT, matched = 0;
    for (size_t i = at_node; i < em->nfast; i++) {
        fast_op op = em->fast_ops[i];
        if (op.kind == FAST_REPEAT_ANY && op.min != op.max)
            return true;
        if (matched >= max)
            return false;
        if (op.kind == FAST_ANY) {
            matched++;
        } else if (op.kind == FAST_REPEAT_ANY) {
            matched += op.min;
        } else {
            uint8_t b = data[at + matched];
            bool eq = op.kind == FAST_LITERAL ? b == op.value : (b & op.mask) == op.value;
            if (eq == op.negated)
                return false;
            matched++;
        }
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
    vt_status status; /* why the scan failed: VT_ERR_NOMEM, VT_ERR_TIMEOUT */
} scan;

/* _yr_scan_match_callback and _yr_scan_add_match_to_list: fullword, then the first length for
 * an offset stays (greedy regexes: the last one replaces it). */
static void record(scan *c, uint64_t off, uint32_t mlen, bool wide)
{
    if (off < c->emit_next || mlen == 0)
        return; /* before the region: not a start that was asked for */
    if (c->em->fullword && !vt_fullword_ok(c->data, c->len, (size_t)off, mlen, wide))
        return;
    ring_slot *slot = &c->s->ring[off % RING];
    if (slot->used && slot->offset == off) {
        if (c->em->greedy)
            slot->length = mlen;
        return;
    }
    if (!slot->used)
        c->s->nused++;
    *slot = (ring_slot){off, mlen, true};
}

/* Report, in offset order, the results of the offsets below `upto` (at once when the ring holds
 * none). */
static void settle(scan *c, uint64_t upto)
{
    for (; c->emit_next < upto && !c->stopped; c->emit_next++) {
        if (!c->s->nused) {
            c->emit_next = upto;
            break;
        }
        ring_slot *slot = &c->s->ring[c->emit_next % RING];
        if (!slot->used || slot->offset != c->emit_next)
            continue;
        slot->used = false;
        c->s->nused--;
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
    if (em->nfast) { /* a hex string without alternatives: yr_re_fast_exec */
        uint32_t node = em->zero_atom ? 0 : src->fast_at;
        fwd = fast_prefix_ok(em, node, c->data, c->len, at)
                  ? fast_run(s, em, node, false, c->data, c->len, at)
                  : -1;
        if (fwd == -2)
            return false;
        if (fwd < 0 || (fwd == 0 && em->zero_atom))
            return true;
        if (em->zero_atom) {
            record(c, at, (uint32_t)fwd, false);
            return true;
        }
        if (fast_run(s, em, src->fast_at, true, c->data, c->len, at) == -2)
            return false;
        for (size_t i = 0; i < s->nlengths; i++)
            record(c, at - s->lengths[i], s->lengths[i] + (uint32_t)fwd, false);
        return true;
    }
    if (em->ascii)
        fwd = run_forward(s, em->code.forward, em->split_ids ? em->code.forward_ids : NULL,
                          src->forward_pc, c->data, c->len, at, 1);
    if (fwd < 0 && em->wide) {
        cs = 2;
        fwd = run_forward(s, em->code.forward, em->split_ids ? em->code.forward_ids : NULL,
                          src->forward_pc, c->data, c->len, at, 2);
    }
    if (vt_deadline_passed(s->deadline)) {
        c->status = VT_ERR_TIMEOUT;
        return false;
    }
    if (fwd < 0 || (fwd == 0 && em->zero_atom))
        return true;
    if (em->zero_atom) {
        record(c, at, (uint32_t)fwd, cs == 2);
        return true;
    }
    if (!run_backward(s, em->code.backward, em->split_ids ? em->code.backward_ids : NULL,
                      src->backward_pc, c->data, c->len, at, cs))
        return false;
    if (vt_deadline_passed(s->deadline)) {
        c->status = VT_ERR_TIMEOUT;
        return false;
    }
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
        /* a fast string's hit whose fixed bytes fail verifies to nothing: not kept */
        if (ok && em->nfast &&
            !fast_prefix_ok(em, em->sources[e->source].fast_at, c->data, c->len, (size_t)at))
            continue;
        hit h = {at, at + e->len, e->len, rank, e->source};
        if (ok && !add_pending(c->s, &h))
            return false;
    }
    return true;
}

/* The first position in [at, end) whose byte can start an atom, else end: 16 bytes at a time
 * when atoms start with at most 4 different bytes (a nocase atom: 2), 8 table lookups at a
 * time otherwise (this search was most of the emulation's time on emulation-stress.yar). */
static uint64_t next_start(const vt_emulation *em, const uint8_t *d, uint64_t at, uint64_t end)
{
#if defined(__SSE2__)
    if (em->nstart_bytes) {
        const __m128i b0 = _mm_set1_epi8((char)em->start_bytes[0]);
        const __m128i b1 = _mm_set1_epi8((char)em->start_bytes[1]);
        const __m128i b2 = _mm_set1_epi8((char)em->start_bytes[2]);
        const __m128i b3 = _mm_set1_epi8((char)em->start_bytes[3]);
        for (; at + 16 <= end; at += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + at));
            __m128i any = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, b0), _mm_cmpeq_epi8(x, b1)),
                                       _mm_or_si128(_mm_cmpeq_epi8(x, b2), _mm_cmpeq_epi8(x, b3)));
            unsigned bits = (unsigned)_mm_movemask_epi8(any);
            if (bits)
                return at + (unsigned)__builtin_ctz(bits);
        }
    }
#endif
    const bool *starts = em->starts;
    while (at + 8 <= end && !(starts[d[at]] | starts[d[at + 1]] | starts[d[at + 2]] |
                              starts[d[at + 3]] | starts[d[at + 4]] | starts[d[at + 5]] |
                              starts[d[at + 6]] | starts[d[at + 7]]))
        at += 8;
    while (at < end && !starts[d[at]])
        at++;
    return at;
}

#if HAVE_PAIR_BUCKETS
/* The first position p in [at, paired) whose two bytes are a pair of em->pairs, found 32
 * positions at a time by em's pair buckets (emulate_internal.h) while d[p + 1 .. p + 32] lies
 * in the data (len bytes); else paired, or the first position this search could not look at
 * (below paired, beyond len - 33): the caller checks the position it gets against em->pairs
 * either way. */
__attribute__((target("avx2"))) static uint64_t next_pair(const vt_emulation *em,
                                                          const uint8_t *d, uint64_t at,
                                                          uint64_t paired, uint64_t len)
{
    const __m256i lo0 = _mm256_broadcastsi128_si256(
                      _mm_loadu_si128((const __m128i *)(const void *)em->pair_nibbles[0])),
                  hi0 = _mm256_broadcastsi128_si256(
                      _mm_loadu_si128((const __m128i *)(const void *)em->pair_nibbles[1])),
                  lo1 = _mm256_broadcastsi128_si256(
                      _mm_loadu_si128((const __m128i *)(const void *)em->pair_nibbles[2])),
                  hi1 = _mm256_broadcastsi128_si256(
                      _mm_loadu_si128((const __m128i *)(const void *)em->pair_nibbles[3])),
                  nibble = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    uint64_t end = len > 32 ? len - 32 : 0; /* positions below it have 32 bytes after them */
    if (end > paired)
        end = paired;
    for (; at < end; at += 32) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)(d + at));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(d + at + 1));
        __m256i b0 = _mm256_and_si256(
            _mm256_shuffle_epi8(lo0, _mm256_and_si256(x0, nibble)),
            _mm256_shuffle_epi8(hi0, _mm256_and_si256(_mm256_srli_epi16(x0, 4), nibble)));
        __m256i b1 = _mm256_and_si256(
            _mm256_shuffle_epi8(lo1, _mm256_and_si256(x1, nibble)),
            _mm256_shuffle_epi8(hi1, _mm256_and_si256(_mm256_srli_epi16(x1, 4), nibble)));
        unsigned none = (unsigned)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_and_si256(b0, b1), zero));
        /* the positions the buckets let through, checked against the pairs here */
        for (unsigned maybe = ~none; maybe; maybe &= maybe - 1) {
            uint64_t p = at + (unsigned)__builtin_ctz(maybe);
            if (p >= paired)
                return paired;
            unsigned k = (unsigned)d[p] << 8 | d[p + 1];
            if (em->pairs[k >> 3] >> (k & 7) & 1)
                return p;
        }
    }
    return at < paired ? at : paired;
}
#endif

/* The first position in [at, limit) where an atom can start (by its first two bytes), else
 * limit. */
static uint64_t next_candidate(const scan *c, uint64_t at, uint64_t limit)
{
    const vt_emulation *em = c->em;
    const uint8_t *d = c->data, *pairs = em->pairs;
    uint64_t paired = limit < c->len - 1 ? limit : c->len - 1; /* positions with a next byte */
    while (at < paired) {
        /* both bytes by buckets (AVX2), or the first byte (memchr when all atoms start with
         * one byte); then the pair */
#if HAVE_PAIR_BUCKETS
        if (em->pair_buckets && at + 33 <= c->len) {
            at = next_pair(em, d, at, paired, c->len);
            if (at == paired)
                break;
        } else
#endif
        if (em->only_start >= 0) {
            const uint8_t *p = memchr(d + at, em->only_start, (size_t)(paired - at));
            if (!p)
                break;
            at = (uint64_t)(p - d);
        } else {
            at = next_start(em, d, at, paired);
            if (at == paired)
                break;
        }
        unsigned k = (unsigned)d[at] << 8 | d[at + 1];
        if (pairs[k >> 3] >> (k & 7) & 1)
            return at;
        at++;
    }
    if (at < paired)
        at = paired;
    return at < limit ? next_start(em, d, at, limit) : limit;
}

/* One stretch of atom positions [lo, hi]. Each position is a step: its atom hits, the
 * verification of the pending hits whose atoms end there, the report of the offsets no later
 * hit can reach. A step where no atom starts and no pending hit ends does nothing but report,
 * so those steps are skipped, and the report of the step before the next one is made then. */
static bool scan_stretch(scan *c, uint64_t lo, uint64_t hi)
{
    c->emit_next = lo;
    c->s->nhits = 0;
    if (c->em->zero_atom) {
        for (uint64_t at = lo; at <= hi && !c->stopped; at++) {
            if (!verify(c, &c->em->sources[0], (size_t)at))
                return false;
            settle(c, at + 1);
        }
        settle(c, hi + VT_MAX_ATOM_LENGTH + 1);
        return true;
    }
    for (uint64_t at = lo; at <= hi && !c->stopped; at++) {
        /* pending hits have atoms ending after `at`: the step at end - 1 verifies them */
        uint64_t limit = c->s->nhits && c->s->hits[0].end - 1 < hi ? c->s->hits[0].end - 1 : hi;
        uint64_t next = next_candidate(c, at, limit);
        if (next > at) {
            at = next;
            if (at > SETTLED)
                settle(c, at - SETTLED);
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
    if (s->nused) { /* left by a scan that stopped early */
        memset(s->ring, 0, RING * sizeof *s->ring);
        s->nused = 0;
    }
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
            return c.status != VT_OK ? c.status : VT_ERR_NOMEM;
    }
    *stopped = c.stopped;
    return VT_OK;
}
