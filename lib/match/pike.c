/* pike.c: the anchored Pike-VM simulation. Threads are kept in priority order and a program
 * position is visited at most once per input position, so a run costs at most
 * O(window x program) steps: no backtracking, whatever the input. When the highest-priority
 * surviving thread matches, lower-priority threads are dropped, which gives the same match length
 * as yara's fiber engine (libyara re.c, yr_re_exec). */
#include <stdlib.h>

#include "ast.h"
#include "program.h"

typedef struct thread_list {
    uint32_t *sparse;
    uint32_t *dense;
    uint32_t count;
} thread_list;

struct vt_pike_scratch {
    uint32_t size;
    thread_list a, b;
    uint32_t *stack;
};

vt_pike_scratch *vt_pike_scratch_new(void)
{
    return calloc(1, sizeof(vt_pike_scratch));
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

void vt_pike_scratch_free(vt_pike_scratch *s)
{
    if (!s)
        return;
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

typedef struct run {
    const vt_program *prog;
    const uint8_t *data;
    size_t len;        /* whole data */
    size_t window_end; /* first offset a match may not reach */
    int cs;
    uint32_t *stack;
} run;

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

static bool boundary(const run *r, size_t pos)
{
    bool prev = pos >= (size_t)r->cs && word_at(r, pos - (size_t)r->cs);
    return prev != word_at(r, pos);
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
        case VT_OP_EOL:
            if (pos >= r->window_end)
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

long vt_pike_match_at(const vt_program *prog, vt_pike_scratch *scratch, const uint8_t *data,
                      size_t len, size_t start, int char_size)
{
    if (start >= len || (prog->anchored_start && start != 0))
        return -1;
    if (!vt_set_has(prog->first, data[start]) ||
        (char_size == 2 && (start + 1 >= len || data[start + 1] != 0)))
        return -1; /* no non-empty match can start here */
    size_t limit = len - start < VT_RE_SCAN_LIMIT ? len - start : VT_RE_SCAN_LIMIT;
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
    }
    return matched;
}
