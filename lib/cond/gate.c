/* gate.c: the file header a rule requires (vt_cond_rule_gate). Most malware rules begin
 * `uint16(0) == 0x5a4d and ...`: on a file without "MZ" they cannot match, whatever their
 * strings, and the matcher then need not search those strings at all (lib/match/matcher.c).
 * This file decides which bytes a condition requires; it follows the evaluator's semantics
 * (eval.c): an `and` is true only when both operands are, and an undefined comparison (a read
 * past the end of the file) is not true. */
#include <vitrine/cond.h>

/* Require byte `value` at `offset` (a second, different value for the same offset makes the
 * condition always false: the one seen first is kept, and either is a valid requirement). */
static void require(vt_header_gate *g, unsigned offset, uint8_t value)
{
    unsigned i = 0;
    while (i < g->count && g->offset[i] < offset)
        i++;
    if ((i < g->count && g->offset[i] == offset) || g->count == VT_GATE_MAX)
        return;
    for (unsigned k = g->count; k > i; k--) {
        g->offset[k] = g->offset[k - 1];
        g->value[k] = g->value[k - 1];
    }
    g->offset[i] = (uint8_t)offset;
    g->value[i] = value;
    g->count++;
}

/* The integer constant at node `index`, if it is one. */
static bool constant(const vt_ruleset_view *v, uint32_t index, int64_t *out)
{
    if (index >= v->node_count || v->nodes[index].op != VT_OP_CONST_INT)
        return false;
    *out = v->nodes[index].v.i;
    return true;
}

/* `read == c` with read an unsigned uintN(K) / uintNbe(K) at a constant K: the bytes it fixes. */
static void comparison(const vt_ruleset_view *v, uint32_t read, uint32_t other, vt_header_gate *g)
{
    if (read >= v->node_count || v->nodes[read].op != VT_OP_READ_INT)
        return;
    const vt_rs_node *node = &v->nodes[read];
    unsigned width = node->flags & 0x0f;
    int64_t offset, c;
    if ((node->flags & VT_READ_SIGNED) || (width != 1 && width != 2 && width != 4) ||
        !constant(v, node->a, &offset) || !constant(v, other, &c) || offset < 0 ||
        offset + width > 256 || c < 0 || (uint64_t)c >> (8 * width) != 0)
        return;
    for (unsigned k = 0; k < width; k++) {
        unsigned shift = (node->flags & VT_READ_BIG_ENDIAN) ? 8 * (width - 1 - k) : 8 * k;
        require(g, (unsigned)offset + k, (uint8_t)((uint64_t)c >> shift));
    }
}

/* Collect the bytes required by the `and` operands below node `index` (depth bounds the
 * recursion into nested `and`s; the `a` chain is walked in a loop). */
static void collect(const vt_ruleset_view *v, uint32_t index, unsigned depth, vt_header_gate *g)
{
    while (index < v->node_count) {
        const vt_rs_node *node = &v->nodes[index];
        if (node->op == VT_OP_EQ) {
            comparison(v, node->a, node->b, g);
            comparison(v, node->b, node->a, g);
            return;
        }
        if (node->op != VT_OP_AND || node->a >= index || node->b >= index)
            return;
        if (depth < 64)
            collect(v, node->b, depth + 1, g);
        index = node->a;
    }
}

void vt_cond_rule_gate(const vt_ruleset *rules, uint32_t rule, vt_header_gate *gate)
{
    *gate = (vt_header_gate){0};
    vt_ruleset_view v;
    vt_ruleset_get_view(rules, &v);
    if (rule >= v.rule_count || v.rules[rule].node_count == 0)
        return;
    const vt_rs_rule *r = &v.rules[rule];
    collect(&v, r->node_first + r->node_count - 1, 0, gate);
}
