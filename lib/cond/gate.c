/* gate.c: what a rule's condition requires before it can be true: the file header
 * (vt_cond_rule_gate) and a match of one of its strings (vt_cond_rules_needing_match). Most
 * malware rules begin
 * `uint16(0) == 0x5a4d and ...`: on a file without "MZ" they cannot match, whatever their
 * strings, and the matcher then need not search those strings at all (lib/match/matcher.c).
 * Many end `... or all of them`: without "MZ" they match only if all their strings do, so one
 * of them (an escape) is searched, and the rest only where it is found.
 * This file decides which bytes a condition requires; it follows the evaluator's semantics
 * (eval.c): an `and` is true only when both operands are, and an undefined comparison (a read
 * past the end of the file) is not true. */
#include <stdlib.h>
#include <string.h>

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

/* What a node being true implies: the gate's bytes are in the file, or (escape.count > 0) one
 * of the escape strings matches in it. */
typedef struct requirement {
    vt_header_gate gate;
    vt_gate_escapes escape;
} requirement;

#define MAX_AND_OPERANDS 4096 /* of one chain weighed (real conditions have a few) */

static bool requires(const vt_ruleset_view *v, uint32_t index, unsigned depth, requirement *r);

/* The bytes both gates require. */
static vt_header_gate gate_common(const vt_header_gate *a, const vt_header_gate *b)
{
    vt_header_gate g = {0};
    for (unsigned i = 0; i < a->count; i++)
        for (unsigned k = 0; k < b->count; k++)
            if (a->offset[i] == b->offset[k] && a->value[i] == b->value[k])
                require(&g, a->offset[i], a->value[i]);
    return g;
}

/* Adds string `s` to the escapes; false when they are full. */
static bool add_escape(vt_gate_escapes *e, uint32_t s)
{
    for (unsigned i = 0; i < e->count; i++)
        if (e->string[i] == s)
            return true;
    if (e->count == VT_GATE_ESCAPES)
        return false;
    e->string[e->count++] = s;
    return true;
}

/* `all of SET` / `any of SET` (and `$a`, `$a at`, `$a in`): a string that must match. For
 * `all`, one of the set (a text string rather than a hex string or regex, the longest: the
 * matcher finds those with the fewest candidates); for `any`, every one. */
static bool string_requirement(const vt_ruleset_view *v, const vt_rs_node *node, requirement *r)
{
    if (node->op == VT_OP_STRING_MATCH || node->op == VT_OP_STRING_AT ||
        node->op == VT_OP_STRING_IN)
        return node->v.i >= 0 && (uint64_t)node->v.i < v->string_count &&
               add_escape(&r->escape, (uint32_t)node->v.i);
    if (node->op != VT_OP_OF || node->a >= v->node_count || node->b >= v->node_count)
        return false;
    const vt_rs_node *q = &v->nodes[node->a], *set = &v->nodes[node->b];
    if (q->op != VT_OP_QUANT || set->op != VT_OP_STRING_SET || set->c == 0 ||
        (uint64_t)set->b + set->c > v->list_count ||
        (q->flags != VT_QUANT_ALL && q->flags != VT_QUANT_ANY))
        return false;
    const uint32_t *items = v->lists + set->b;
    uint32_t longest = items[0];
    for (uint32_t i = 0; i < set->c; i++) {
        if (items[i] >= v->string_count)
            return false;
        const vt_rs_string *x = &v->strings[items[i]], *best = &v->strings[longest];
        bool text = x->kind == VT_STRING_TEXT, best_text = best->kind == VT_STRING_TEXT;
        if ((text && !best_text) || (text == best_text && x->text.len > best->text.len))
            longest = items[i];
    }
    if (q->flags == VT_QUANT_ALL)
        return add_escape(&r->escape, longest);
    for (uint32_t i = 0; i < set->c; i++)
        if (!add_escape(&r->escape, items[i]))
            return false;
    return true;
}

/* An `and` chain: the bytes of all its operands that require bytes only; failing those, what
 * one operand requires (bytes or escapes rather than escapes alone). The chain's left operands
 * are walked in a loop. */
static bool requires_all(const vt_ruleset_view *v, uint32_t index, unsigned depth, requirement *r)
{
    requirement other = {0};
    bool has_other = false;
    unsigned operands = 0;
    while (operands++ < MAX_AND_OPERANDS) {
        const vt_rs_node *node = &v->nodes[index];
        bool chain = node->op == VT_OP_AND && node->a < index && node->b < index;
        uint32_t operand = chain ? node->b : index;
        requirement one = {0};
        if (requires(v, operand, depth + 1, &one)) {
            if (!one.escape.count) {
                for (unsigned k = 0; k < one.gate.count; k++)
                    require(&r->gate, one.gate.offset[k], one.gate.value[k]);
            } else if (!has_other || (one.gate.count && !other.gate.count)) {
                other = one; /* one with bytes and escapes rather than escapes alone */
                has_other = true;
            }
        }
        if (!chain)
            break;
        index = node->a;
    }
    if (r->gate.count)
        return true;
    *r = other;
    return has_other;
}

/* Whether node `index` being true implies a requirement, set in *r (zeroed by the caller). An
 * `or` implies what both of its sides imply together: the bytes both gates require and all the
 * escapes (but two gates without a common byte imply nothing); a comparison `uintN(K) == C` its
 * bytes; a string or `all` / `any` of strings the match of one. Nothing else is looked into. */
static bool requires(const vt_ruleset_view *v, uint32_t index, unsigned depth, requirement *r)
{
    if (index >= v->node_count || depth > 64)
        return false;
    const vt_rs_node *node = &v->nodes[index];
    switch (node->op) {
    case VT_OP_EQ:
        comparison(v, node->a, node->b, &r->gate);
        comparison(v, node->b, node->a, &r->gate);
        return r->gate.count > 0;
    case VT_OP_AND:
        return node->a < index && node->b < index && requires_all(v, index, depth, r);
    case VT_OP_OR: {
        requirement a = {0}, b = {0};
        if (node->a >= index || node->b >= index || !requires(v, node->a, depth + 1, &a) ||
            !requires(v, node->b, depth + 1, &b))
            return false;
        if (a.gate.count && b.gate.count) {
            r->gate = gate_common(&a.gate, &b.gate);
            if (!r->gate.count)
                return false;
        } else {
            r->gate = a.gate.count ? a.gate : b.gate;
        }
        r->escape = a.escape;
        for (unsigned i = 0; i < b.escape.count; i++)
            if (!add_escape(&r->escape, b.escape.string[i]))
                return false;
        return true;
    }
    default:
        return string_requirement(v, node, r);
    }
}

void vt_cond_rule_gate(const vt_ruleset *rules, uint32_t rule, vt_header_gate *gate,
                       vt_gate_escapes *escape)
{
    *gate = (vt_header_gate){0};
    *escape = (vt_gate_escapes){0};
    vt_ruleset_view v;
    vt_ruleset_get_view(rules, &v);
    if (rule >= v.rule_count || v.rules[rule].node_count == 0)
        return;
    const vt_rs_rule *r = &v.rules[rule];
    requirement req = {0};
    if (requires(&v, r->node_first + r->node_count - 1, 0, &req) && req.gate.count) {
        *gate = req.gate;
        *escape = req.escape;
    }
}

/* ---- a match of one of the rule's strings ------------------------------------------------ */

/* Whether node `i` of the rule whose strings are [first, end) is true only when one of them has
 * a match, given the answers `needs` for the rule's earlier nodes (operands come first). */
static bool node_needs_match(const vt_ruleset_view *v, const vt_rs_rule *rule,
                             const uint8_t *needs, uint32_t i)
{
    const vt_rs_node *n = &v->nodes[i];
    uint32_t first = rule->string_first, end = rule->string_first + rule->string_count;
#define OWN_STRING(x) ((x) >= first && (x) < end)
#define EARLIER(x) ((x) >= rule->node_first && (x) < i)
    int64_t c;
    switch (n->op) {
    case VT_OP_STRING_MATCH:
    case VT_OP_STRING_AT:
    case VT_OP_STRING_IN: /* $a, $a at X, $a in (X..Y) */
        return n->v.i >= 0 && OWN_STRING((uint64_t)n->v.i);
    case VT_OP_GT:
    case VT_OP_GE:
    case VT_OP_EQ: { /* #a > c (c >= 0), #a >= c, #a == c (c >= 1) */
        if (!EARLIER(n->a) || v->nodes[n->a].op != VT_OP_STRING_COUNT ||
            v->nodes[n->a].v.i < 0 || !OWN_STRING((uint64_t)v->nodes[n->a].v.i) ||
            !constant(v, n->b, &c))
            return false;
        return n->op == VT_OP_GT ? c >= 0 : c >= 1;
    }
    case VT_OP_OF: { /* any / all / N of (strings), in a range or not */
        if (!EARLIER(n->a) || !EARLIER(n->b) || v->nodes[n->b].op != VT_OP_STRING_SET ||
            v->nodes[n->b].c == 0)
            return false;
        const vt_rs_node *q = &v->nodes[n->a];
        if (q->op != VT_OP_QUANT)
            return false;
        if (q->flags == VT_QUANT_ANY || q->flags == VT_QUANT_ALL)
            return true;
        return (q->flags == VT_QUANT_COUNT || q->flags == VT_QUANT_PERCENT) &&
               constant(v, q->a, &c) && c >= 1;
    }
    case VT_OP_AND:
        return (EARLIER(n->a) && needs[n->a - rule->node_first]) ||
               (EARLIER(n->b) && needs[n->b - rule->node_first]);
    case VT_OP_OR:
        return EARLIER(n->a) && needs[n->a - rule->node_first] && EARLIER(n->b) &&
               needs[n->b - rule->node_first];
    default:
        return false;
    }
#undef OWN_STRING
#undef EARLIER
}

/* Whether a node of the rule names module `console`, whose functions print. */
static bool uses_console(const vt_ruleset *rules, const vt_ruleset_view *v, const vt_rs_rule *r)
{
    for (uint32_t i = r->node_first; i < r->node_first + r->node_count; i++)
        if (v->nodes[i].op == VT_OP_MODULE && strcmp(vt_ruleset_str(rules, v->nodes[i].v.s),
                                                     "console") == 0)
            return true;
    return false;
}

void vt_cond_rule_gates(const vt_ruleset *rules, vt_header_gate *gates, vt_gate_escapes *escapes)
{
    vt_ruleset_view v;
    vt_ruleset_get_view(rules, &v);
    for (uint32_t r = 0; r < v.rule_count; r++) {
        vt_cond_rule_gate(rules, r, &gates[r], &escapes[r]);
        if (gates[r].count && (uint64_t)v.rules[r].node_first + v.rules[r].node_count <=
                                  v.node_count && uses_console(rules, &v, &v.rules[r])) {
            gates[r] = (vt_header_gate){0};
            escapes[r] = (vt_gate_escapes){0};
        }
    }
}

void vt_cond_rules_needing_match(const vt_ruleset *rules, uint8_t *needs)
{
    vt_ruleset_view v;
    vt_ruleset_get_view(rules, &v);
    uint32_t longest = 0;
    for (size_t r = 0; r < v.rule_count; r++)
        if (v.rules[r].node_count > longest)
            longest = v.rules[r].node_count;
    uint8_t *node_needs = malloc(longest ? longest : 1);
    for (size_t r = 0; r < v.rule_count; r++) {
        const vt_rs_rule *rule = &v.rules[r];
        needs[r] = 0;
        if (!node_needs || !rule->node_count || rule->string_count == 0 ||
            (uint64_t)rule->node_first + rule->node_count > v.node_count ||
            (uint64_t)rule->string_first + rule->string_count > v.string_count ||
            uses_console(rules, &v, rule))
            continue; /* out of memory: every rule is evaluated, which is always right */
        for (uint32_t k = 0; k < rule->node_count; k++)
            node_needs[k] = node_needs_match(&v, rule, node_needs, rule->node_first + k);
        needs[r] = node_needs[rule->node_count - 1];
    }
    free(node_needs);
}
