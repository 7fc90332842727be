/* pike.c: the anchored Pike-VM simulation. Threads are kept in priority order and a program
 * position is visited at most once per input position, so a run costs at most
 * O(window x program) steps: no backtracking, whatever the input. When the highest-priority
 * surviving thread matches, lower-priority threads are dropped, which gives the same match length
 * as yara's fiber engine (libyara re.c, yr_re_exec). */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "fixed.h"
#include "program.h"

typedef struct thread_list {
    uint32_t *sparse;
    uint32_t *dense;
    uint32_t count;
} thread_list;

/* A lazily built DFA for one program without assertions. A state is the priority-ordered list
 * of waiting threads (BYTE and MATCH instructions), cut after the first MATCH exactly as the
 * simulation drops lower-priority threads, so running the DFA gives the simulation's result. */
typedef struct dfa_state {
    uint32_t off, n; /* pcs in pool[off..off+n) */
    bool match;      /* the list holds a MATCH */
} dfa_state;

typedef struct dfa {
    uint64_t digest; /* of the program (vt_program.digest) */
    uint32_t len, nsets;
    dfa_state *states;
    int32_t (*next)[256]; /* -1: not built yet, -2: dead */
    uint32_t nstates, cap;
    uint32_t *pool;
    size_t pool_n, pool_cap;
    uint32_t *buckets; /* state index + 1, open addressing */
    uint32_t nbuckets;
} dfa;

#define DFA_MAX_STATES 2048
#define DFA_TOTAL_STATES 65536

/* Memo of DFA runs over one string's candidates in one scan: the state a run was in at a
 * position, the last match position the rest of that run reached and where (in which state) it
 * stopped. A later run (a later start, so a window ending no sooner) that is in the same state
 * at the same position has the same future up to there, and goes on from there if the earlier
 * run stopped only because its window ended. */
#define MEMO_SIZE 8192

/* A run's entries are found by position AND state: runs from neighbouring starts are often in
 * different states at one position (the phase of `([A-Za-z0-9+/]{4}){3,}`) and meet the state
 * of a run a few starts back, not of the last one. */
static inline size_t memo_slot(uint64_t pos, int32_t state)
{
    uint64_t h = pos * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)state * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h >> 51) % MEMO_SIZE;
}

typedef struct memo_entry {
    uint64_t pos;
    int64_t future;     /* last match end at or after pos, -1: none */
    uint64_t stop_pos;  /* where the run stopped: it died there, or its window ended */
    int32_t state;
    int32_t stop_state; /* the state at stop_pos, -3 when the run died */
    uint32_t gen;
} memo_entry;

typedef struct path_step {
    uint64_t pos;
    int32_t state;
} path_step;

struct vt_pike_scratch {
    memo_entry *memo;
    path_step *path;  /* one entry per byte a memoized DFA run steps: see path_fit */
    size_t path_cap;
    uint32_t gen;
    bool memo_on;
    uint32_t size;
    thread_list a, b;
    uint32_t *stack;
    dfa **dfas; /* open addressing by program digest */
    size_t ndfas_cap, ndfas;
    size_t total_states;
    vt_deadline *deadline;
};

void vt_pike_scratch_set_deadline(vt_pike_scratch *s, vt_deadline *deadline)
{
    s->deadline = deadline;
}

vt_pike_scratch *vt_pike_scratch_new(void)
{
    return calloc(1, sizeof(vt_pike_scratch));
}

void vt_pike_memo_begin(vt_pike_scratch *s)
{
    if (!s->memo) {
        s->memo = calloc(MEMO_SIZE, sizeof *s->memo);
        if (!s->memo) {
            s->memo_on = false;
            return;
        }
    }
    s->memo_on = true;
    if (++s->gen == 0) { /* wrapped: forget everything */
        memset(s->memo, 0, MEMO_SIZE * sizeof *s->memo);
        s->gen = 1;
    }
}

void vt_pike_memo_end(vt_pike_scratch *s)
{
    if (s->memo && ++s->gen == 0) {
        memset(s->memo, 0, MEMO_SIZE * sizeof *s->memo);
        s->gen = 1;
    }
    s->gen = s->gen ? s->gen : 1;
    s->memo_on = false;
}

/* Room in s->path for a run over a window of `window` bytes: a run records at most one step per
 * byte of its window, and the window is what the caller derived from the scan limit (yara's
 * limit counts from the atom origin, so it can exceed VT_RE_SCAN_LIMIT): the capacity follows
 * the window the loop is given, never a separate constant. False when memory runs out. */
static bool path_fit(vt_pike_scratch *s, size_t window)
{
    if (window <= s->path_cap)
        return true;
    size_t cap = window > VT_RE_SCAN_LIMIT + 1 ? window : VT_RE_SCAN_LIMIT + 1;
    path_step *p = realloc(s->path, cap * sizeof *p);
    if (!p)
        return false;
    s->path = p;
    s->path_cap = cap;
    return true;
}

static bool grow(uint32_t **array, size_t count)
{
    uint32_t *p = realloc(*array, count * sizeof *p);
    if (!p)
        return false;
    *array = p;
    return true;
}

bool vt_pike_scratch_fit(vt_pike_scratch *s, const vt_program *prog)
{
    uint32_t n = prog->len ? prog->len : 1;
    if (n <= s->size)
        return true;
    if (!grow(&s->a.sparse, n) || !grow(&s->a.dense, n) || !grow(&s->b.sparse, n) ||
        !grow(&s->b.dense, n) || !grow(&s->stack, (size_t)n * 2 + 2))
        return false;
    s->size = n;
    return true;
}

static void dfa_free(dfa *d)
{
    if (!d)
        return;
    free(d->states);
    free(d->next);
    free(d->pool);
    free(d->buckets);
    free(d);
}

static void dfas_flush(vt_pike_scratch *s)
{
    for (size_t i = 0; i < s->ndfas_cap; i++)
        dfa_free(s->dfas[i]);
    free(s->dfas);
    s->dfas = NULL;
    s->ndfas_cap = 0;
    s->ndfas = 0;
    s->total_states = 0;
    /* state numbers start over: what the memo knows no longer applies */
    if (++s->gen == 0) {
        if (s->memo)
            memset(s->memo, 0, MEMO_SIZE * sizeof *s->memo);
        s->gen = 1;
    }
}

void vt_pike_scratch_free(vt_pike_scratch *s)
{
    if (!s)
        return;
    dfas_flush(s);
    free(s->memo);
    free(s->path);
    free(s->a.sparse);
    free(s->a.dense);
    free(s->b.sparse);
    free(s->b.dense);
    free(s->stack);
    free(s);
}

static inline bool list_has(const thread_list *l, uint32_t pc)
{
    uint32_t i = l->sparse[pc];
    return i < l->count && l->dense[i] == pc;
}

static inline void list_put(thread_list *l, uint32_t pc)
{
    l->sparse[pc] = l->count;
    l->dense[l->count++] = pc;
}

struct run {
    const vt_program *prog;
    const uint8_t *data;
    size_t len;        /* whole data */
    size_t window_end; /* first offset a match may not reach */
    int cs;
    uint32_t *stack;
};
typedef struct run run;

/* yara's _yr_re_is_word_char; a position outside the data is not a word character. */
static inline bool word_at(const run *r, size_t pos)
{
    if (pos + (size_t)r->cs > r->len)
        return false;
    uint8_t c = r->data[pos];
    bool w = vt_is_word_byte(c);
    if (r->cs == 2)
        w = w && r->data[pos + 1] == 0;
    return w;
}

/* yara 4.2.3's \b: true where no character precedes (the start of the data) and where no
 * further character can be read (the end of the window or of the data); elsewhere a change
 * between word and non-word characters. */
static bool boundary(const run *r, size_t pos)
{
    if (pos < (size_t)r->cs || pos + (size_t)r->cs > r->window_end)
        return true;
    return word_at(r, pos - (size_t)r->cs) != word_at(r, pos);
}

/* Add pc and everything reachable from it without consuming input, in priority order. */
static void add_thread(const run *r, thread_list *l, uint32_t pc0, size_t pos)
{
    uint32_t *stack = r->stack;
    size_t top = 0;
    stack[top++] = pc0;
    while (top) {
        uint32_t pc = stack[--top];
        if (list_has(l, pc))
            continue;
        list_put(l, pc);
        const vt_inst *in = &r->prog->code[pc];
        switch (in->op) {
        case VT_OP_JMP: stack[top++] = in->x; break;
        case VT_OP_SPLIT:
            stack[top++] = in->y;
            stack[top++] = in->x;
            break;
        case VT_OP_BOL:
            if (pos == 0)
                stack[top++] = pc + 1;
            break;
        case VT_OP_EOL: /* the end of the data, even past the scan limit (yara) */
            if (pos >= r->len)
                stack[top++] = pc + 1;
            break;
        case VT_OP_WORDB:
            if (boundary(r, pos))
                stack[top++] = pc + 1;
            break;
        case VT_OP_NWORDB:
            if (!boundary(r, pos))
                stack[top++] = pc + 1;
            break;
        default: break; /* BYTE and MATCH wait in the list */
        }
    }
}

static uint32_t hash_list(const uint32_t *pcs, uint32_t n, bool match)
{
    uint32_t h = 2166136261u ^ (match ? 0x9E37u : 0);
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 16777619u;
    return h;
}

static bool dfa_grow_buckets(dfa *d)
{
    uint32_t nb = d->nbuckets ? d->nbuckets * 2 : 64;
    uint32_t *b = calloc(nb, sizeof *b);
    if (!b)
        return false;
    for (uint32_t i = 0; i < d->nstates; i++) {
        const dfa_state *st = &d->states[i];
        uint32_t h = hash_list(d->pool + st->off, st->n, st->match) & (nb - 1);
        while (b[h])
            h = (h + 1) & (nb - 1);
        b[h] = i + 1;
    }
    free(d->buckets);
    d->buckets = b;
    d->nbuckets = nb;
    return true;
}

/* The state for this thread list (interned); -1 when out of memory or over the state limit. */
static int32_t dfa_intern(dfa *d, const uint32_t *pcs, uint32_t n, bool match)
{
    if (d->nstates * 2 >= d->nbuckets && !dfa_grow_buckets(d))
        return -1;
    uint32_t h = hash_list(pcs, n, match) & (d->nbuckets - 1);
    while (d->buckets[h]) {
        const dfa_state *st = &d->states[d->buckets[h] - 1];
        if (st->n == n && st->match == match &&
            memcmp(d->pool + st->off, pcs, n * sizeof *pcs) == 0)
            return (int32_t)(d->buckets[h] - 1);
        h = (h + 1) & (d->nbuckets - 1);
    }
    if (d->nstates >= DFA_MAX_STATES)
        return -1;
    if (d->nstates == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 16;
        dfa_state *st = realloc(d->states, cap * sizeof *st);
        if (!st)
            return -1;
        d->states = st;
        int32_t(*nx)[256] = realloc(d->next, cap * sizeof *nx);
        if (!nx)
            return -1;
        d->next = nx;
        d->cap = cap;
    }
    if (d->pool_n + n > d->pool_cap) {
        size_t cap = (d->pool_n + n) * 2 + 64;
        uint32_t *pool = realloc(d->pool, cap * sizeof *pool);
        if (!pool)
            return -1;
        d->pool = pool;
        d->pool_cap = cap;
    }
    memcpy(d->pool + d->pool_n, pcs, n * sizeof *pcs);
    uint32_t id = d->nstates++;
    d->states[id] = (dfa_state){.off = (uint32_t)d->pool_n, .n = n, .match = match};
    d->pool_n += n;
    for (int b = 0; b < 256; b++)
        d->next[id][b] = -1;
    d->buckets[h] = id + 1;
    return (int32_t)id;
}

/* Waiting threads of `l` in order, cut after the first MATCH. */
static uint32_t waiting(const vt_program *prog, const thread_list *l, uint32_t *out, bool *match)
{
    uint32_t n = 0;
    *match = false;
    for (uint32_t i = 0; i < l->count; i++) {
        uint32_t pc = l->dense[i];
        uint8_t op = prog->code[pc].op;
        if (op == VT_OP_BYTE)
            out[n++] = pc;
        else if (op == VT_OP_MATCH) {
            out[n++] = pc;
            *match = true;
            break;
        }
    }
    return n;
}

static size_t dfa_slot(dfa *const *table, size_t cap, uint64_t digest, uint32_t len,
                       uint32_t nsets)
{
    size_t mask = cap - 1;
    size_t h = (size_t)(digest * 0x9E3779B97F4A7C15ull >> 20) & mask;
    while (table[h] && !(table[h]->digest == digest && table[h]->len == len &&
                         table[h]->nsets == nsets))
        h = (h + 1) & mask;
    return h;
}

static dfa *dfa_for(vt_pike_scratch *s, const vt_program *prog)
{
    if (s->total_states > DFA_TOTAL_STATES || s->ndfas >= 65536)
        dfas_flush(s);
    if (s->ndfas * 2 >= s->ndfas_cap) { /* keep the table at most half full */
        size_t cap = s->ndfas_cap ? s->ndfas_cap * 2 : 256;
        dfa **table = calloc(cap, sizeof *table);
        if (!table)
            return NULL;
        for (size_t i = 0; i < s->ndfas_cap; i++)
            if (s->dfas[i])
                table[dfa_slot(table, cap, s->dfas[i]->digest, s->dfas[i]->len,
                               s->dfas[i]->nsets)] = s->dfas[i];
        free(s->dfas);
        s->dfas = table;
        s->ndfas_cap = cap;
    }
    size_t h = dfa_slot(s->dfas, s->ndfas_cap, prog->digest, prog->len, prog->nsets);
    if (s->dfas[h])
        return s->dfas[h];
    dfa *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->digest = prog->digest;
    d->len = prog->len;
    d->nsets = prog->nsets;
    s->dfas[h] = d;
    s->ndfas++;
    return d;
}

static void add_thread(const struct run *r, thread_list *l, uint32_t pc0, size_t pos);

/* The DFA version of vt_pike_match_at for programs without assertions, one-byte characters.
 * Returns -2 when the DFA cannot be used (limits, memory): the caller then simulates. */
static long dfa_match_at(const vt_program *prog, vt_pike_scratch *s, const uint8_t *data,
                         size_t len, size_t start, size_t window_end)
{
    dfa *d = dfa_for(s, prog);
    if (!d)
        return -2;
    struct run r = {.prog = prog, .data = data, .len = len, .window_end = window_end, .cs = 1,
                    .stack = s->stack};
    uint32_t *buf = s->b.dense; /* scratch for thread lists while building states */
    int32_t state;
    if (d->nstates == 0) {
        s->a.count = 0;
        add_thread(&r, &s->a, 0, start);
        bool match;
        uint32_t n = waiting(prog, &s->a, buf, &match);
        if (dfa_intern(d, buf, n, match) != 0)
            return -2;
        s->total_states++;
    }
    state = 0;
    long matched = d->states[0].match ? 0 : -1;
    /* without room to record the path the run is still exact, it just teaches the memo nothing */
    bool memo = s->memo_on && path_fit(s, window_end - start);
    size_t steps = 0;
    bool dead = false;
    size_t pos = start; /* the run is in `state` after the bytes before pos */
    while (pos < window_end) {
        uint8_t b = data[pos];
        int32_t nx = d->next[state][b];
        if (nx == -1) {
            /* build the transition: step every waiting thread before the MATCH */
            const dfa_state *st = &d->states[state];
            s->a.count = 0;
            for (uint32_t i = 0; i < st->n; i++) {
                uint32_t pc = d->pool[st->off + i];
                const vt_inst *in = &prog->code[pc];
                if (in->op == VT_OP_MATCH)
                    break;
                if (vt_set_has(prog->sets[in->x], b))
                    add_thread(&r, &s->a, pc + 1, pos + 1);
            }
            bool match;
            uint32_t n = waiting(prog, &s->a, buf, &match);
            if (n == 0) {
                nx = -3;
            } else {
                nx = dfa_intern(d, buf, n, match);
                if (nx < 0)
                    return -2;
                s->total_states++;
            }
            d->next[state][b] = nx;
        }
        if (nx == -3) {
            dead = true;
            break;
        }
        state = nx;
        pos++;
        if (d->states[state].match)
            matched = (long)(pos - start);
        if (!memo)
            continue;
        const memo_entry *e = &s->memo[memo_slot(pos, state)];
        if (e->gen == s->gen && e->pos == pos && e->state == state && e->stop_pos <= window_end) {
            /* an earlier run was here in this state: same future up to where it stopped
             * (its end or the end of its window, never past ours); go on from there */
            if (e->future >= 0)
                matched = (long)((uint64_t)e->future - start);
            if (e->stop_state < 0) {
                dead = true;
                pos = e->stop_pos;
                break;
            }
            pos = e->stop_pos;
            state = e->stop_state;
            continue;
        }
        s->path[steps++] = (path_step){pos, state};
    }
    if (memo) {
        int64_t last = matched > 0 ? (int64_t)(start + (size_t)matched) : -1;
        for (size_t i = 0; i < steps; i++) {
            memo_entry *e = &s->memo[memo_slot(s->path[i].pos, s->path[i].state)];
            e->pos = s->path[i].pos;
            e->state = s->path[i].state;
            e->future = last >= (int64_t)s->path[i].pos ? last : -1;
            e->stop_pos = pos;
            e->stop_state = dead ? -3 : state;
            e->gen = s->gen;
        }
    }
    return matched;
}

long vt_pike_match_at(const vt_program *prog, vt_pike_scratch *scratch, const uint8_t *data,
                      size_t len, size_t start, int char_size)
{
    if (start >= len || (prog->anchored_start && start != 0))
        return -1;
    if (!vt_set_has(prog->first, data[start]) ||
        (char_size == 2 && (start + 1 >= len || data[start + 1] != 0)))
        return -1; /* no non-empty match can start here */
    /* yara counts its scan limit from the atom it verifies from */
    size_t reach = VT_RE_SCAN_LIMIT + (size_t)prog->atom_origin * (size_t)char_size;
    if (char_size == 1 && prog->fixed)
        return vt_fixed_match_at(prog->fixed, data, len, start, reach);
    size_t limit = len - start < reach ? len - start : reach;
    if (char_size == 1 && !prog->has_assertions) {
        long m = dfa_match_at(prog, scratch, data, len, start, start + limit);
        if (m != -2) {
            /* a DFA step is a table lookup (and memoized runs skip most): count a share */
            vt_deadline_spend(scratch->deadline, 1 + limit / 64);
            return m;
        }
    }
    run r = {.prog = prog, .data = data, .len = len, .window_end = start + limit,
             .cs = char_size, .stack = scratch->stack};
    thread_list *cur = &scratch->a, *nxt = &scratch->b;
    cur->count = 0;
    long matched = -1;
    add_thread(&r, cur, 0, start);
    size_t pos = start;
    while (cur->count) {
        nxt->count = 0;
        bool can_step = pos + (size_t)char_size <= r.window_end;
        for (uint32_t i = 0; i < cur->count; i++) {
            uint32_t pc = cur->dense[i];
            const vt_inst *in = &prog->code[pc];
            if (in->op == VT_OP_MATCH) {
                matched = (long)(pos - start);
                break; /* lower-priority threads lose */
            }
            if (in->op != VT_OP_BYTE || !can_step)
                continue;
            if (!vt_set_has(prog->sets[in->x], data[pos]))
                continue;
            if (char_size == 2 && data[pos + 1] != 0)
                continue;
            add_thread(&r, nxt, pc + 1, pos + (size_t)char_size);
        }
        if (!can_step)
            break;
        thread_list *t = cur;
        cur = nxt;
        nxt = t;
        pos += (size_t)char_size;
        if (vt_deadline_spend(scratch->deadline, 1 + cur->count))
            break; /* the caller sees the deadline passed */
    }
    return matched;
}

bool vt_pike_matches_empty_at(const vt_program *prog, vt_pike_scratch *scratch,
                              const uint8_t *data, size_t len, size_t start)
{
    if (start > len || (prog->anchored_start && start != 0))
        return false;
    run r = {.prog = prog, .data = data, .len = len, .window_end = len, .cs = 1,
             .stack = scratch->stack};
    thread_list *cur = &scratch->a;
    cur->count = 0;
    add_thread(&r, cur, 0, start);
    for (uint32_t i = 0; i < cur->count; i++)
        if (prog->code[cur->dense[i]].op == VT_OP_MATCH)
            return true;
    return false;
}
