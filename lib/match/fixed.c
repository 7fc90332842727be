/* fixed.c: verification of programs without any choice — hex strings without jumps or
 * alternatives (`00 ?? ?? 8B 4? 00`), regexes of single characters — which compile to a straight
 * run of BYTE instructions. A match at an offset then has exactly the run's length and exists
 * when every byte is in its set, so it is checked by comparing bytes, the positions with one
 * uncommon byte first, and positions that take any byte not at all. Same results as the Pike VM
 * and its DFA (program.h), at a fraction of the cost for peid-style strings that are mostly
 * `??` and 00 and get hundreds of thousands of candidates per file. */
#include <stdlib.h>

#include <vitrine/pattern.h>

#include "ast.h"
#include "fixed.h"
#include "program.h"

typedef struct check {
    uint32_t pos;
    int32_t byte; /* the only byte allowed, or -1: see set */
    uint32_t set; /* index into the program's sets */
} check;

struct vt_fixed {
    uint32_t len;
    uint32_t nchecks;
    const uint8_t (*sets)[32]; /* the program's (it outlives this) */
    check checks[];
};

static int single_byte(const uint8_t *set)
{
    int found = -1;
    for (int i = 0; i < 32; i++) {
        if (!set[i])
            continue;
        if (found >= 0 || (set[i] & (set[i] - 1)))
            return -1;
        found = i * 8 + __builtin_ctz(set[i]);
    }
    return found;
}

static bool full(const uint8_t *set)
{
    for (int i = 0; i < 32; i++)
        if (set[i] != 0xFF)
            return false;
    return true;
}

/* Bytes that fill padding and code alignment: checked after the others. */
static bool common_byte(int b)
{
    return b == 0x00 || b == 0xFF || b == 0x20 || b == 0xCC || b == 0x90;
}

static int rank(const check *c)
{
    if (c->byte >= 0)
        return common_byte(c->byte) ? 1 : 0;
    return 2;
}

bool vt_fixed_build(const vt_program *prog, vt_fixed **out)
{
    *out = NULL;
    if (prog->len < 2 || prog->code[prog->len - 1].op != VT_OP_MATCH)
        return true;
    uint32_t n = prog->len - 1;
    for (uint32_t i = 0; i < n; i++)
        if (prog->code[i].op != VT_OP_BYTE)
            return true;
    vt_fixed *f = malloc(sizeof *f + (size_t)n * sizeof(check));
    if (!f)
        return false;
    f->len = n;
    f->sets = (const uint8_t(*)[32])prog->sets;
    f->nchecks = 0;
    /* three passes give the order: uncommon single bytes, common single bytes, other sets */
    for (int pass = 0; pass < 3; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *set = prog->sets[prog->code[i].x];
            if (full(set))
                continue;
            check c = {.pos = i, .byte = single_byte(set), .set = prog->code[i].x};
            if (rank(&c) == pass)
                f->checks[f->nchecks++] = c;
        }
    }
    *out = f;
    return true;
}

void vt_fixed_free(vt_fixed *fixed)
{
    free(fixed);
}

long vt_fixed_match_at(const vt_fixed *f, const uint8_t *data, size_t len, size_t start,
                       size_t reach)
{
    if (start >= len || f->len > reach || len - start < f->len)
        return -1;
    const uint8_t *d = data + start;
    for (uint32_t i = 0; i < f->nchecks; i++) {
        const check *c = &f->checks[i];
        uint8_t b = d[c->pos];
        if (c->byte >= 0 ? b != (uint8_t)c->byte : !vt_set_has(f->sets[c->set], b))
            return -1;
    }
    return (long)f->len;
}
