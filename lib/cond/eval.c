/* eval.c: the condition evaluator. It walks a rule's typed nodes recursively from the root (the
 * rule's last node), with yara 4.2.3's treatment of undefined values and with short-circuiting,
 * and reads string matches, bytes, module objects and externals from the caller's vt_cond_env.
 * Chains of `and` / `or`, arithmetic and unary operations (a rule of 50,000 `or` terms) are
 * walked without recursing along them; vt_cond_check measures the recursion every other
 * construct needs, before any scan.
 * The semantics of each operation are those of libyara's exec.c, checked against yara 4.2.3
 * (tests/unit/test_cond.c and the differential tests). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/cond.h>

#define MAX_LOOP_DEPTH 32  /* loop variable slots are 2 * depth + 0/1 */

typedef struct evaluator {
    const vt_cond_env *env;
    vt_ruleset_view view;
    const uint8_t *results;
    vt_cond_value vars[2 * MAX_LOOP_DEPTH];
    uint32_t current_string[MAX_LOOP_DEPTH];
    unsigned recursion;
    vt_error *err;
    /* links of the chains being walked (eval_chain), a stack */
    uint32_t *spine;
    size_t spine_len, spine_cap;
} evaluator;

static inline vt_status eval(evaluator *ev, uint32_t index, vt_cond_value *out);
static vt_status eval_chain(evaluator *ev, uint32_t index, vt_cond_value *out);

static void set_undefined(vt_cond_value *v, uint8_t type)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    v->undefined = true;
}

static void set_int(vt_cond_value *v, int64_t i)
{
    memset(v, 0, sizeof *v);
    v->type = VT_TYPE_INT;
    v->u.i = i;
}

static void set_bool(vt_cond_value *v, bool b)
{
    memset(v, 0, sizeof *v);
    v->type = VT_TYPE_BOOL;
    v->u.i = b ? 1 : 0;
}

static void set_float(vt_cond_value *v, double f)
{
    memset(v, 0, sizeof *v);
    v->type = VT_TYPE_FLOAT;
    v->u.f = f;
}

static vt_status corrupt(evaluator *ev, const char *what, uint32_t index)
{
    return vt_error_set(ev->err, VT_ERR_FORMAT, "ruleset condition is inconsistent: %s (node %u)",
                        what, index);
}

static bool is_true(const vt_cond_value *v)
{
    if (v->undefined)
        return false;
    switch (v->type) {
    case VT_TYPE_FLOAT: return v->u.f != 0.0;
    case VT_TYPE_STRING: return v->u.s.len > 0;
    default: return v->u.i != 0;
    }
}

static double as_double(const vt_cond_value *v)
{
    return v->type == VT_TYPE_FLOAT ? v->u.f : (double)v->u.i;
}

/* ---- strings ---------------------------------------------------------------------------- */

static vt_status string_of(evaluator *ev, const vt_rs_node *node, uint32_t index,
                           const vt_match_list **list)
{
    uint32_t s = (uint32_t)node->v.i;
    if (s == VT_NONE) {
        if (node->c >= MAX_LOOP_DEPTH)
            return corrupt(ev, "anonymous string outside a loop", index);
        s = ev->current_string[node->c];
    }
    if (s >= ev->view.string_count)
        return corrupt(ev, "string index out of range", index);
    *list = &ev->env->matches[s];
    return VT_OK;
}

/* Index of the first match at or after `offset` (binary search; matches are sorted). */
static uint32_t first_at_or_after(const vt_match_list *list, uint64_t offset)
{
    uint32_t lo = 0, hi = list->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list->items[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Number of matches whose offset lies in [lo, hi]. */
static uint32_t count_in(const vt_match_list *list, int64_t lo, int64_t hi)
{
    if (hi < 0 || hi < lo)
        return 0;
    uint64_t from = lo < 0 ? 0 : (uint64_t)lo;
    uint32_t first = first_at_or_after(list, from);
    uint32_t n = 0;
    for (uint32_t i = first; i < list->count && list->items[i].offset <= (uint64_t)hi; i++)
        n++;
    return n;
}

/* Evaluate a RANGE node's bounds; *defined is false when either bound is undefined. */
static vt_status eval_range(evaluator *ev, uint32_t index, int64_t *lo, int64_t *hi,
                            bool *defined)
{
    if (index >= ev->view.node_count || ev->view.nodes[index].op != VT_OP_RANGE)
        return corrupt(ev, "expected a range", index);
    const vt_rs_node *range = &ev->view.nodes[index];
    vt_cond_value a, b;
    vt_status st;
    if ((st = eval(ev, range->a, &a)) != VT_OK || (st = eval(ev, range->b, &b)) != VT_OK)
        return st;
    *defined = !a.undefined && !b.undefined;
    *lo = a.u.i;
    *hi = b.u.i;
    return VT_OK;
}

static vt_status eval_string_op(evaluator *ev, uint32_t index, const vt_rs_node *node,
                                vt_cond_value *out)
{
    const vt_match_list *list = NULL;
    vt_status st = string_of(ev, node, index, &list);
    if (st != VT_OK)
        return st;
    vt_cond_value a;
    switch (node->op) {
    case VT_OP_STRING_MATCH:
        set_bool(out, list->count > 0);
        return VT_OK;
    case VT_OP_STRING_AT: {
        if ((st = eval(ev, node->a, &a)) != VT_OK)
            return st;
        if (a.undefined || a.u.i < 0) {
            set_bool(out, false);
            return VT_OK;
        }
        uint32_t i = first_at_or_after(list, (uint64_t)a.u.i);
        set_bool(out, i < list->count && list->items[i].offset == (uint64_t)a.u.i);
        return VT_OK;
    }
    case VT_OP_STRING_IN:
    case VT_OP_STRING_COUNT: {
        if (node->op == VT_OP_STRING_COUNT && node->a == VT_NONE) {
            set_int(out, list->count);
            return VT_OK;
        }
        int64_t lo, hi;
        bool defined;
        if ((st = eval_range(ev, node->a, &lo, &hi, &defined)) != VT_OK)
            return st;
        uint8_t type = node->op == VT_OP_STRING_IN ? VT_TYPE_BOOL : VT_TYPE_INT;
        if (!defined) {
            set_undefined(out, type);
            return VT_OK;
        }
        uint32_t n = count_in(list, lo, hi);
        if (node->op == VT_OP_STRING_IN)
            set_bool(out, n > 0);
        else
            set_int(out, n);
        return VT_OK;
    }
    case VT_OP_STRING_OFFSET:
    case VT_OP_STRING_LENGTH: {
        int64_t which = 1;
        if (node->a != VT_NONE) {
            if ((st = eval(ev, node->a, &a)) != VT_OK)
                return st;
            if (a.undefined) {
                set_undefined(out, VT_TYPE_INT);
                return VT_OK;
            }
            which = a.u.i;
        }
        if (which < 1 || which > (int64_t)list->count) {
            set_undefined(out, VT_TYPE_INT);
            return VT_OK;
        }
        const vt_string_match *m = &list->items[which - 1];
        set_int(out, node->op == VT_OP_STRING_OFFSET ? (int64_t)m->offset : (int64_t)m->length);
        return VT_OK;
    }
    default:
        return corrupt(ev, "not a string operation", index);
    }
}

/* ---- integers read from the data -------------------------------------------------------- */

static vt_status eval_read_int(evaluator *ev, const vt_rs_node *node, vt_cond_value *out)
{
    vt_cond_value off;
    vt_status st = eval(ev, node->a, &off);
    if (st != VT_OK)
        return st;
    unsigned width = node->flags & 0x0f;
    if (off.undefined || off.u.i < 0 || (width != 1 && width != 2 && width != 4) ||
        (uint64_t)off.u.i > ev->env->size || ev->env->size - (uint64_t)off.u.i < width) {
        set_undefined(out, VT_TYPE_INT);
        return VT_OK;
    }
    const uint8_t *p = ev->env->data + off.u.i;
    uint32_t raw = 0;
    for (unsigned k = 0; k < width; k++) {
        unsigned shift = (node->flags & VT_READ_BIG_ENDIAN) ? 8 * (width - 1 - k) : 8 * k;
        raw |= (uint32_t)p[k] << shift;
    }
    int64_t value = raw;
    if (node->flags & VT_READ_SIGNED) {
        if (width == 1)
            value = (int8_t)raw;
        else if (width == 2)
            value = (int16_t)raw;
        else
            value = (int32_t)raw;
    }
    set_int(out, value);
    return VT_OK;
}

/* ---- arithmetic and comparison ---------------------------------------------------------- */

static void arith_int(unsigned op, int64_t a, int64_t b, vt_cond_value *out)
{
    /* Wrap around like yara does on its two's-complement targets, without C's undefined
     * behaviour on signed overflow. */
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case VT_OP_ADD: set_int(out, (int64_t)(ua + ub)); return;
    case VT_OP_SUB: set_int(out, (int64_t)(ua - ub)); return;
    case VT_OP_MUL: set_int(out, (int64_t)(ua * ub)); return;
    case VT_OP_DIV:
    case VT_OP_MOD:
        if (b == 0) {
            set_undefined(out, VT_TYPE_INT);
            return;
        }
        if (a == INT64_MIN && b == -1) {
            set_int(out, op == VT_OP_DIV ? INT64_MIN : 0);
            return;
        }
        set_int(out, op == VT_OP_DIV ? a / b : a % b);
        return;
    case VT_OP_BIT_AND: set_int(out, a & b); return;
    case VT_OP_BIT_OR: set_int(out, a | b); return;
    case VT_OP_BIT_XOR: set_int(out, a ^ b); return;
    case VT_OP_SHL:
    case VT_OP_SHR:
        if (b < 0)
            set_undefined(out, VT_TYPE_INT);
        else if (b >= 64)
            set_int(out, 0);
        else if (op == VT_OP_SHL)
            set_int(out, (int64_t)(ua << b));
        else
            set_int(out, a >> b);
        return;
    }
    set_undefined(out, VT_TYPE_INT);
}

static void arith_float(unsigned op, double a, double b, vt_cond_value *out)
{
    switch (op) {
    case VT_OP_ADD: set_float(out, a + b); return;
    case VT_OP_SUB: set_float(out, a - b); return;
    case VT_OP_MUL: set_float(out, a * b); return;
    case VT_OP_DIV: set_float(out, a / b); return;
    }
    set_undefined(out, VT_TYPE_FLOAT);
}

static int compare_bytes(const vt_cond_value *a, const vt_cond_value *b)
{
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = n ? memcmp(a->u.s.bytes, b->u.s.bytes, n) : 0;
    if (c != 0)
        return c;
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len ? 1 : 0;
}

static bool compare_outcome(unsigned op, int c)
{
    switch (op) {
    case VT_OP_LT: return c < 0;
    case VT_OP_LE: return c <= 0;
    case VT_OP_GT: return c > 0;
    case VT_OP_GE: return c >= 0;
    case VT_OP_EQ: return c == 0;
    default: return c != 0;
    }
}

static int compare_values(const vt_cond_value *a, const vt_cond_value *b)
{
    if (a->type == VT_TYPE_STRING && b->type == VT_TYPE_STRING)
        return compare_bytes(a, b);
    if (a->type == VT_TYPE_FLOAT || b->type == VT_TYPE_FLOAT) {
        double x = as_double(a), y = as_double(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    return a->u.i < b->u.i ? -1 : a->u.i > b->u.i ? 1 : 0;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool equal_at(const uint8_t *a, const uint8_t *b, size_t n, bool nocase)
{
    if (!nocase)
        return n == 0 || memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static bool string_relation(unsigned op, const vt_cond_value *a, const vt_cond_value *b)
{
    const uint8_t *s = a->u.s.bytes, *t = b->u.s.bytes;
    size_t n = a->u.s.len, m = b->u.s.len;
    bool nocase = op == VT_OP_ICONTAINS || op == VT_OP_ISTARTSWITH || op == VT_OP_IENDSWITH ||
                  op == VT_OP_IEQUALS;
    switch (op) {
    case VT_OP_CONTAINS:
    case VT_OP_ICONTAINS:
        if (m == 0)
            return true;
        for (size_t i = 0; i + m <= n; i++)
            if (equal_at(s + i, t, m, nocase))
                return true;
        return false;
    case VT_OP_STARTSWITH:
    case VT_OP_ISTARTSWITH:
        return m <= n && equal_at(s, t, m, nocase);
    case VT_OP_ENDSWITH:
    case VT_OP_IENDSWITH:
        return m <= n && equal_at(s + n - m, t, m, nocase);
    default: /* IEQUALS */
        return m == n && equal_at(s, t, m, true);
    }
}

/* ---- quantifiers, of, for --------------------------------------------------------------- */

typedef struct quantifier {
    int kind; /* VT_QUANT_* */
    int64_t n;
    bool undefined;
} quantifier;

static vt_status eval_quantifier(evaluator *ev, uint32_t index, quantifier *q)
{
    q->kind = 0;
    q->n = 0;
    q->undefined = true;
    if (index >= ev->view.node_count || ev->view.nodes[index].op != VT_OP_QUANT)
        return corrupt(ev, "expected a quantifier", index);
    const vt_rs_node *node = &ev->view.nodes[index];
    q->kind = node->flags;
    q->n = 0;
    q->undefined = false;
    if (q->kind == VT_QUANT_COUNT || q->kind == VT_QUANT_PERCENT) {
        vt_cond_value v;
        vt_status st = eval(ev, node->a, &v);
        if (st != VT_OK)
            return st;
        q->undefined = v.undefined;
        q->n = v.u.i;
    }
    return VT_OK;
}

/* Does `trues` out of `total` satisfy the quantifier? In yara 4.2.3 `none` means "no item"
 * for `none of` but "at least zero items" in `for none ...` loops (true whenever the loop has an
 * item): `loop` selects the latter, so that results stay identical to yara's. */
static bool quantifier_satisfied(const quantifier *q, int64_t trues, int64_t total, bool loop)
{
    switch (q->kind) {
    case VT_QUANT_ALL: return trues == total;
    case VT_QUANT_ANY: return trues >= 1;
    case VT_QUANT_NONE: return loop ? total > 0 : trues == 0;
    case VT_QUANT_PERCENT: return trues * 100 >= q->n * total;
    default: return trues >= q->n;
    }
}

/* Can the loop stop early? True when more items cannot change the outcome. */
static bool quantifier_decided(const quantifier *q, int64_t trues, int64_t falses, int64_t total)
{
    switch (q->kind) {
    case VT_QUANT_ALL: return falses > 0;
    case VT_QUANT_ANY: return trues > 0;
    case VT_QUANT_NONE: return true; /* see quantifier_satisfied */
    case VT_QUANT_COUNT: return trues >= q->n;
    default: return trues * 100 >= q->n * total;
    }
}

static vt_status set_list(evaluator *ev, uint32_t index, const uint32_t **items, uint32_t *count)
{
    const vt_rs_node *node = &ev->view.nodes[index];
    if ((uint64_t)node->b + node->c > ev->view.list_count)
        return corrupt(ev, "list out of range", index);
    *items = ev->view.lists + node->b;
    *count = node->c;
    return VT_OK;
}

/* What `of` and `for ... of` share: the quantifier (node->a) and the set's items (node->b). */
static vt_status quantified_set(evaluator *ev, uint32_t index, const vt_rs_node *node,
                                quantifier *q, const uint32_t **items, uint32_t *count)
{
    vt_status st = eval_quantifier(ev, node->a, q);
    if (st != VT_OK)
        return st;
    if (node->b >= ev->view.node_count)
        return corrupt(ev, "set out of range", index);
    return set_list(ev, node->b, items, count);
}

static vt_status eval_of(evaluator *ev, uint32_t index, const vt_rs_node *node,
                         vt_cond_value *out)
{
    quantifier q;
    const uint32_t *items = NULL;
    uint32_t count = 0;
    vt_status st = quantified_set(ev, index, node, &q, &items, &count);
    if (st != VT_OK)
        return st;
    const vt_rs_node *set = &ev->view.nodes[node->b];
    int64_t lo = 0, hi = 0;
    bool ranged = node->c != VT_NONE, range_defined = true;
    if (ranged && (st = eval_range(ev, node->c, &lo, &hi, &range_defined)) != VT_OK)
        return st;
    if (q.undefined || !range_defined) {
        set_undefined(out, VT_TYPE_BOOL);
        return VT_OK;
    }
    int64_t found = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (set->op == VT_OP_RULE_SET) {
            if (items[i] >= ev->view.rule_count)
                return corrupt(ev, "rule index out of range", index);
            found += ev->results[items[i]] ? 1 : 0;
        } else {
            if (items[i] >= ev->view.string_count)
                return corrupt(ev, "string index out of range", index);
            const vt_match_list *list = &ev->env->matches[items[i]];
            found += (ranged ? count_in(list, lo, hi) : list->count) > 0;
        }
    }
    set_bool(out, quantifier_satisfied(&q, found, count, false));
    return VT_OK;
}

static vt_status eval_for_of(evaluator *ev, uint32_t index, const vt_rs_node *node,
                             vt_cond_value *out)
{
    if ((uint64_t)node->v.i >= MAX_LOOP_DEPTH)
        return corrupt(ev, "for-of loop nested too deeply", index);
    quantifier q;
    const uint32_t *items = NULL;
    uint32_t count = 0;
    vt_status st = quantified_set(ev, index, node, &q, &items, &count);
    if (st != VT_OK)
        return st;
    if (q.undefined) {
        set_undefined(out, VT_TYPE_BOOL);
        return VT_OK;
    }
    int64_t trues = 0, falses = 0;
    uint32_t depth = (uint32_t)node->v.i;
    for (uint32_t i = 0; i < count; i++) {
        if (items[i] >= ev->view.string_count)
            return corrupt(ev, "string index out of range", index);
        ev->current_string[depth] = items[i];
        vt_cond_value body;
        if ((st = eval(ev, node->c, &body)) != VT_OK)
            return st;
        if (is_true(&body))
            trues++;
        else
            falses++;
        if (quantifier_decided(&q, trues, falses, count))
            break;
    }
    set_bool(out, quantifier_satisfied(&q, trues, count, true));
    return VT_OK;
}

/* The items a `for ... in` iterates over: a range, an enumeration, or a module array or
 * dictionary. */
typedef struct iteration {
    int kind; /* 0 range, 1 enumeration, 2 object */
    int64_t lo, hi;
    const uint32_t *enum_items;
    uint32_t enum_count;
    const void *object;
    int64_t total;
} iteration;

static vt_status iteration_item(evaluator *ev, const iteration *it, int64_t i, unsigned slot,
                                unsigned nvars)
{
    vt_cond_value *var = &ev->vars[slot];
    if (it->kind == 0) {
        set_int(var, it->lo + i);
        return VT_OK;
    }
    if (it->kind == 1)
        return eval(ev, it->enum_items[i], var);
    const uint8_t *key = NULL;
    size_t key_len = 0;
    const void *item = ev->env->modules.item(ev->env->modules.context, it->object, i, &key,
                                             &key_len);
    vt_cond_value *value_var = var;
    if (nvars == 2) {
        memset(var, 0, sizeof *var);
        var->type = VT_TYPE_STRING;
        var->u.s.bytes = key;
        var->u.s.len = key_len;
        value_var = &ev->vars[slot + 1];
    }
    if (!item) {
        set_undefined(value_var, VT_TYPE_NONE);
    } else if (ev->env->modules.value) {
        ev->env->modules.value(ev->env->modules.context, item, value_var);
        if (value_var->type == VT_TYPE_OBJECT || value_var->type == VT_TYPE_NONE) {
            memset(value_var, 0, sizeof *value_var);
            value_var->type = VT_TYPE_OBJECT;
            value_var->u.object = item;
        }
    }
    return VT_OK;
}

static vt_status eval_for_in(evaluator *ev, uint32_t index, const vt_rs_node *node,
                             vt_cond_value *out)
{
    quantifier q;
    vt_status st = eval_quantifier(ev, node->a, &q);
    if (st != VT_OK)
        return st;
    uint32_t depth = (uint32_t)node->v.i;
    unsigned nvars = node->flags ? node->flags : 1;
    if (depth >= MAX_LOOP_DEPTH || node->b >= ev->view.node_count || nvars > 2)
        return corrupt(ev, "bad for-in loop", index);
    const vt_rs_node *source = &ev->view.nodes[node->b];
    iteration it = {0};
    if (source->op == VT_OP_RANGE) {
        bool defined;
        if ((st = eval_range(ev, node->b, &it.lo, &it.hi, &defined)) != VT_OK)
            return st;
        if (!defined || it.hi < it.lo) {
            set_bool(out, false);
            return VT_OK;
        }
        it.kind = 0;
        it.total = (int64_t)((uint64_t)it.hi - (uint64_t)it.lo) + 1;
        if (it.total <= 0) /* the whole int64 range: more than can ever be walked */
            it.total = INT64_MAX;
    } else if (source->op == VT_OP_ENUM) {
        it.kind = 1;
        if ((st = set_list(ev, node->b, &it.enum_items, &it.enum_count)) != VT_OK)
            return st;
        it.total = it.enum_count;
    } else {
        vt_cond_value object;
        if ((st = eval(ev, node->b, &object)) != VT_OK)
            return st;
        if (object.undefined || object.type != VT_TYPE_OBJECT || !ev->env->modules.item_count ||
            !ev->env->modules.item) {
            set_bool(out, false);
            return VT_OK;
        }
        it.kind = 2;
        it.object = object.u.object;
        it.total = ev->env->modules.item_count(ev->env->modules.context, object.u.object);
    }
    if (q.undefined || it.total <= 0) {
        set_bool(out, false);
        return VT_OK;
    }
    int64_t trues = 0, falses = 0;
    for (int64_t i = 0; i < it.total; i++) {
        if ((st = iteration_item(ev, &it, i, 2 * depth, nvars)) != VT_OK)
            return st;
        vt_cond_value body;
        if ((st = eval(ev, node->c, &body)) != VT_OK)
            return st;
        if (is_true(&body))
            trues++;
        else
            falses++;
        if (quantifier_decided(&q, trues, falses, it.total))
            break;
    }
    set_bool(out, quantifier_satisfied(&q, trues, it.total, true));
    return VT_OK;
}

/* ---- module objects --------------------------------------------------------------------- */

/* An object reached by MODULE/FIELD/INDEX is turned into its value when it is a leaf (integer,
 * float or string), whatever type the node was given; structures, arrays, dictionaries and
 * functions stay objects. */
static void object_or_value(evaluator *ev, const void *object, uint8_t type, vt_cond_value *out)
{
    if (!object) {
        set_undefined(out, type);
        return;
    }
    if (ev->env->modules.value) {
        ev->env->modules.value(ev->env->modules.context, object, out);
        if (out->type == VT_TYPE_FLOAT && isnan(out->u.f))
            out->undefined = true;
        if (out->type != VT_TYPE_OBJECT)
            return;
    }
    memset(out, 0, sizeof *out);
    out->type = VT_TYPE_OBJECT;
    out->u.object = object;
}

static vt_status eval_object(evaluator *ev, uint32_t index, const vt_rs_node *node,
                             vt_cond_value *out)
{
    const vt_cond_module_hooks *h = &ev->env->modules;
    const char *name = node->op == VT_OP_MODULE || node->op == VT_OP_FIELD
                           ? vt_ruleset_str(ev->env->rules, node->v.s)
                           : NULL;
    vt_cond_value parent, key;
    vt_status st;
    const void *object = NULL;
    switch (node->op) {
    case VT_OP_MODULE:
        object = h->module ? h->module(h->context, name) : NULL;
        break;
    case VT_OP_FIELD:
        if ((st = eval(ev, node->a, &parent)) != VT_OK)
            return st;
        if (!parent.undefined && parent.type == VT_TYPE_OBJECT && h->field)
            object = h->field(h->context, parent.u.object, name);
        break;
    case VT_OP_INDEX:
        if ((st = eval(ev, node->a, &parent)) != VT_OK || (st = eval(ev, node->b, &key)) != VT_OK)
            return st;
        if (parent.undefined || key.undefined || parent.type != VT_TYPE_OBJECT)
            break;
        if (key.type == VT_TYPE_STRING && h->lookup)
            object = h->lookup(h->context, parent.u.object, key.u.s.bytes, key.u.s.len);
        else if (key.type == VT_TYPE_INT && h->index)
            object = h->index(h->context, parent.u.object, key.u.i);
        break;
    default:
        return corrupt(ev, "not an object operation", index);
    }
    object_or_value(ev, object, node->type, out);
    return VT_OK;
}

#define MAX_CALL_ARGUMENTS 16

static vt_status eval_call(evaluator *ev, uint32_t index, const vt_rs_node *node,
                           vt_cond_value *out)
{
    vt_cond_value function, args[MAX_CALL_ARGUMENTS];
    vt_status st = eval(ev, node->a, &function);
    if (st != VT_OK)
        return st;
    if ((uint64_t)node->b + node->c > ev->view.list_count || node->c > MAX_CALL_ARGUMENTS)
        return corrupt(ev, "bad call arguments", index);
    bool any_undefined = function.undefined;
    for (uint32_t i = 0; i < node->c; i++) {
        if ((st = eval(ev, ev->view.lists[node->b + i], &args[i])) != VT_OK)
            return st;
        any_undefined |= args[i].undefined;
    }
    const vt_cond_module_hooks *h = &ev->env->modules;
    if (any_undefined || function.type != VT_TYPE_OBJECT || !h->call) {
        set_undefined(out, node->type);
        return VT_OK;
    }
    const char *format = vt_ruleset_str(ev->env->rules, node->v.s);
    vt_cond_value result;
    set_undefined(&result, node->type);
    if ((st = h->call(h->context, function.u.object, format, args, node->c, &result)) != VT_OK)
        return vt_error_set(ev->err, st, "a module function failed");
    if (result.type == VT_TYPE_FLOAT && isnan(result.u.f))
        result.undefined = true;
    *out = result;
    return VT_OK;
}

/* ---- the dispatcher --------------------------------------------------------------------- */

static vt_status eval_node(evaluator *ev, uint32_t index, const vt_rs_node *node,
                           vt_cond_value *out)
{
    vt_cond_value a, b;
    vt_status st;
    /* Boolean, integer and string constants and loop variables in range never get here: eval()
     * reads them before calling eval_inner. */
    switch (node->op) {
    case VT_OP_CONST_FLOAT:
        set_float(out, node->v.f);
        return VT_OK;
    case VT_OP_CONST_REGEX:
        memset(out, 0, sizeof *out);
        out->type = VT_TYPE_REGEX;
        out->u.node = index;
        return VT_OK;
    case VT_OP_FILESIZE:
        set_int(out, (int64_t)ev->env->size);
        return VT_OK;
    case VT_OP_ENTRYPOINT:
        if (ev->env->has_entrypoint)
            set_int(out, ev->env->entrypoint);
        else
            set_undefined(out, VT_TYPE_INT);
        return VT_OK;
    case VT_OP_STRING_MATCH:
    case VT_OP_STRING_AT:
    case VT_OP_STRING_IN:
    case VT_OP_STRING_COUNT:
    case VT_OP_STRING_OFFSET:
    case VT_OP_STRING_LENGTH:
        return eval_string_op(ev, index, node, out);
    case VT_OP_READ_INT:
        return eval_read_int(ev, node, out);
    case VT_OP_INT_TO_FLOAT: case VT_OP_NEG: case VT_OP_BIT_NOT:
    case VT_OP_NOT: case VT_OP_DEFINED: case VT_OP_TO_BOOL:
    case VT_OP_ADD: case VT_OP_SUB: case VT_OP_MUL: case VT_OP_DIV: case VT_OP_MOD:
    case VT_OP_BIT_AND: case VT_OP_BIT_OR: case VT_OP_BIT_XOR: case VT_OP_SHL: case VT_OP_SHR:
    case VT_OP_AND: case VT_OP_OR:
        return eval_chain(ev, index, out);
    case VT_OP_LT: case VT_OP_LE: case VT_OP_GT: case VT_OP_GE: case VT_OP_EQ: case VT_OP_NE:
        if ((st = eval(ev, node->a, &a)) != VT_OK || (st = eval(ev, node->b, &b)) != VT_OK)
            return st;
        if ((a.undefined || b.undefined) && node->op == VT_OP_LT &&
            (a.type == VT_TYPE_FLOAT || b.type == VT_TYPE_FLOAT))
            set_bool(out, false); /* yara 4.2.3's float `<` compares UNDEFINED as a NaN */
        else if (a.undefined || b.undefined)
            set_undefined(out, VT_TYPE_BOOL);
        else
            set_bool(out, compare_outcome(node->op, compare_values(&a, &b)));
        return VT_OK;
    case VT_OP_CONTAINS: case VT_OP_ICONTAINS: case VT_OP_STARTSWITH: case VT_OP_ISTARTSWITH:
    case VT_OP_ENDSWITH: case VT_OP_IENDSWITH: case VT_OP_IEQUALS:
        if ((st = eval(ev, node->a, &a)) != VT_OK || (st = eval(ev, node->b, &b)) != VT_OK)
            return st;
        if (a.undefined || b.undefined)
            set_undefined(out, VT_TYPE_BOOL);
        else
            set_bool(out, string_relation(node->op, &a, &b));
        return VT_OK;
    case VT_OP_MATCHES:
        if ((st = eval(ev, node->a, &a)) != VT_OK)
            return st;
        if (a.undefined || !ev->env->regex_search) {
            set_undefined(out, VT_TYPE_BOOL);
        } else {
            bool found = false;
            st = ev->env->regex_search(ev->env->regex_context, node->b, a.u.s.bytes, a.u.s.len,
                                       &found);
            if (st == VT_ERR_TIMEOUT)
                return vt_error_set(ev->err, st, "scanning timed out");
            if (st != VT_OK)
                return vt_error_set(ev->err, st, "a regular expression search failed: %s",
                                    vt_status_name(st));
            set_bool(out, found);
        }
        return VT_OK;
    case VT_OP_OF:
        return eval_of(ev, index, node, out);
    case VT_OP_FOR_OF:
        return eval_for_of(ev, index, node, out);
    case VT_OP_FOR_IN:
        return eval_for_in(ev, index, node, out);
    case VT_OP_LOOP_VAR: /* one in range was read by eval() */
        return corrupt(ev, "loop variable out of range", index);
    case VT_OP_RULE:
        if ((uint64_t)node->v.i >= ev->view.rule_count)
            return corrupt(ev, "rule index out of range", index);
        set_bool(out, ev->results[node->v.i] != 0);
        return VT_OK;
    case VT_OP_EXTERNAL: {
        if ((uint64_t)node->v.i >= ev->view.external_count)
            return corrupt(ev, "external variable out of range", index);
        if (ev->env->externals) {
            *out = ev->env->externals[node->v.i];
            return VT_OK;
        }
        const vt_rs_external *x = &ev->view.externals[node->v.i];
        memset(out, 0, sizeof *out);
        out->type = (uint8_t)x->type;
        if (x->type == VT_TYPE_STRING) {
            out->u.s.bytes = (const uint8_t *)vt_ruleset_str(ev->env->rules, x->string);
            out->u.s.len = x->string.len;
        } else if (x->type == VT_TYPE_FLOAT) {
            out->u.f = x->v.f;
        } else {
            out->u.i = x->v.i;
        }
        return VT_OK;
    }
    case VT_OP_MODULE:
    case VT_OP_FIELD:
    case VT_OP_INDEX:
        return eval_object(ev, index, node, out);
    case VT_OP_CALL:
        return eval_call(ev, index, node, out);
    case VT_OP_RANGE:
    case VT_OP_ENUM:
    case VT_OP_STRING_SET:
    case VT_OP_RULE_SET:
    case VT_OP_QUANT:
        return corrupt(ev, "operation used outside its construct", index);
    }
    return corrupt(ev, "unknown operation", index);
}

static bool is_logic(const vt_rs_node *node)
{
    return node->op == VT_OP_AND || node->op == VT_OP_OR;
}

static bool is_arith(const vt_rs_node *node)
{
    switch (node->op) {
    case VT_OP_ADD: case VT_OP_SUB: case VT_OP_MUL: case VT_OP_DIV: case VT_OP_MOD:
    case VT_OP_BIT_AND: case VT_OP_BIT_OR: case VT_OP_BIT_XOR: case VT_OP_SHL: case VT_OP_SHR:
        return true;
    default:
        return false;
    }
}

static bool is_unary(const vt_rs_node *node)
{
    switch (node->op) {
    case VT_OP_INT_TO_FLOAT: case VT_OP_NEG: case VT_OP_BIT_NOT:
    case VT_OP_NOT: case VT_OP_DEFINED: case VT_OP_TO_BOOL:
        return true;
    default:
        return false;
    }
}

/* The operations eval_chain walks without recursing: each takes its first operand (a) from the
 * node below it in the chain. */
static bool is_chain(const vt_rs_node *node)
{
    return is_logic(node) || is_arith(node) || is_unary(node);
}

/* A unary operation on a (out may be a). */
static void apply_unary(const vt_rs_node *node, vt_cond_value *a, vt_cond_value *out)
{
    vt_cond_value x = *a;
    switch (node->op) {
    case VT_OP_INT_TO_FLOAT:
        if (x.undefined)
            set_undefined(out, VT_TYPE_FLOAT);
        else
            set_float(out, as_double(&x));
        return;
    case VT_OP_NOT:
        if (x.undefined)
            set_undefined(out, VT_TYPE_BOOL);
        else
            set_bool(out, !is_true(&x));
        return;
    case VT_OP_DEFINED:
        set_bool(out, !x.undefined);
        return;
    case VT_OP_TO_BOOL:
        if (x.undefined)
            set_undefined(out, VT_TYPE_BOOL);
        else
            set_bool(out, is_true(&x));
        return;
    default: /* VT_OP_NEG, VT_OP_BIT_NOT */
        if (x.undefined)
            set_undefined(out, node->type);
        else if (node->op == VT_OP_BIT_NOT)
            set_int(out, ~x.u.i);
        else if (x.type == VT_TYPE_FLOAT)
            set_float(out, -x.u.f);
        else
            set_int(out, (int64_t)(0 - (uint64_t)x.u.i));
        return;
    }
}

/* An arithmetic or bitwise operation (out may be a or b). */
static void apply_arith(const vt_rs_node *node, const vt_cond_value *a, const vt_cond_value *b,
                        vt_cond_value *out)
{
    vt_cond_value x = *a, y = *b;
    if (x.undefined || y.undefined)
        set_undefined(out, node->type);
    else if (node->type == VT_TYPE_FLOAT || x.type == VT_TYPE_FLOAT || y.type == VT_TYPE_FLOAT)
        arith_float(node->op, as_double(&x), as_double(&y), out);
    else
        arith_int(node->op, x.u.i, y.u.i, out);
}

/* A chain of `and` / `or`, arithmetic and unary operations from node `index`, without
 * recursing along it, so that a rule of 50,000 `or` terms (or a sum of as many) is evaluated.
 * `a or b or c` leans left: the chain's links (the nodes down the first operands) are stacked
 * in ev->spine, the bottom operand evaluated, then each link applied going back up, its second
 * operand (if any) evaluated one level down. `and` / `or`: undefined operands count as false and
 * the result is always defined (yara 4.2.3); `and` stops at a false operand, `or` at a true
 * one, and a chain leaning right (`a or (b or ...)`) goes on in this frame with the top node's
 * second operand. vt_cond_check measures the same recursion. */
static vt_status eval_chain(evaluator *ev, uint32_t index, vt_cond_value *out)
{
    const vt_rs_node *nodes = ev->view.nodes;
    for (;;) {
        const vt_rs_node *top = &nodes[index];
        size_t base = ev->spine_len;
        uint32_t bottom = top->a, above = index;
        /* operands are earlier nodes (checked when the ruleset was loaded): the walk ends */
        while (bottom < above && is_chain(&nodes[bottom])) {
            if (ev->spine_len == ev->spine_cap) {
                size_t cap = ev->spine_cap ? ev->spine_cap * 2 : 256;
                uint32_t *grown = realloc(ev->spine, cap * sizeof *grown);
                if (!grown) {
                    ev->spine_len = base;
                    return vt_error_set(ev->err, VT_ERR_NOMEM,
                                        "out of memory evaluating conditions");
                }
                ev->spine = grown;
                ev->spine_cap = cap;
            }
            ev->spine[ev->spine_len++] = bottom;
            above = bottom;
            bottom = nodes[bottom].a;
        }
        if (bottom >= above) {
            ev->spine_len = base;
            return corrupt(ev, "operand is not an earlier node", above);
        }
        vt_cond_value v, w;
        vt_status st = eval(ev, bottom, &v);
        for (size_t k = ev->spine_len; st == VT_OK && k-- > base;) {
            const vt_rs_node *link = &nodes[ev->spine[k]];
            if (is_unary(link)) {
                apply_unary(link, &v, &v);
            } else if (is_arith(link)) {
                if ((st = eval(ev, link->b, &w)) == VT_OK)
                    apply_arith(link, &v, &w, &v);
            } else if (is_true(&v) == (link->op == VT_OP_OR)) {
                set_bool(&v, link->op == VT_OP_OR); /* decided: its second operand is skipped */
            } else if ((st = eval(ev, link->b, &w)) == VT_OK) {
                set_bool(&v, is_true(&w));
            }
        }
        ev->spine_len = base;
        if (st != VT_OK)
            return st;
        if (is_unary(top)) {
            apply_unary(top, &v, out);
            return VT_OK;
        }
        if (is_arith(top)) {
            if ((st = eval(ev, top->b, &w)) != VT_OK)
                return st;
            apply_arith(top, &v, &w, out);
            return VT_OK;
        }
        if (is_true(&v) == (top->op == VT_OP_OR)) {
            set_bool(out, top->op == VT_OP_OR);
            return VT_OK;
        }
        /* not decided: the chain's value is its second operand's truth */
        uint32_t right = top->b;
        if (right >= index)
            return corrupt(ev, "operand is not an earlier node", index);
        if (!is_logic(&nodes[right])) {
            if ((st = eval(ev, right, &w)) != VT_OK)
                return st;
            set_bool(out, is_true(&w));
            return VT_OK;
        }
        if (vt_deadline_spend(ev->env->deadline, 1))
            return vt_error_set(ev->err, VT_ERR_TIMEOUT, "scanning timed out");
        index = right;
    }
}

static __attribute__((noinline)) vt_status eval_inner(evaluator *ev, uint32_t index,
                                                      vt_cond_value *out)
{
    if (vt_deadline_spend(ev->env->deadline, 1))
        return vt_error_set(ev->err, VT_ERR_TIMEOUT, "scanning timed out");
    if (++ev->recursion > VT_COND_MAX_DEPTH) {
        /* vt_cond_check refused such a condition before the scan: the ruleset is damaged */
        ev->recursion--;
        return vt_error_set(ev->err, VT_ERR_LIMIT, "condition nested too deeply");
    }
    vt_status st = eval_node(ev, index, &ev->view.nodes[index], out);
    ev->recursion--;
    return st;
}

/* The value of node `index`. Constants and loop variables (range bounds, operands, indexes) are
 * read here, without eval_inner's frame, step count and recursion count (reversinglabs over 28
 * libwine files, 931 rules `for any i in (0..pe.number_of_signatures): (...)`: evaluation
 * 67.1 -> 62.9 M instructions; module objects read here too made it 65.0). */
static inline vt_status eval(evaluator *ev, uint32_t index, vt_cond_value *out)
{
    if (index >= ev->view.node_count)
        return corrupt(ev, "node index out of range", index);
    const vt_rs_node *node = &ev->view.nodes[index];
    switch (node->op) {
    case VT_OP_CONST_BOOL:
        set_bool(out, node->v.i != 0);
        return VT_OK;
    case VT_OP_CONST_INT:
        set_int(out, node->v.i);
        return VT_OK;
    case VT_OP_CONST_STRING:
        memset(out, 0, sizeof *out);
        out->type = VT_TYPE_STRING;
        out->u.s.bytes = (const uint8_t *)vt_ruleset_str(ev->env->rules, node->v.s);
        out->u.s.len = node->v.s.len;
        return VT_OK;
    case VT_OP_LOOP_VAR:
        if ((uint64_t)node->v.i < 2 * MAX_LOOP_DEPTH) {
            *out = ev->vars[node->v.i];
            return VT_OK;
        }
        break;
    default:
        break;
    }
    return eval_inner(ev, index, out);
}

/* Whether one of the strings a rule may match by without its header has a match. */
static bool escape_matched(const evaluator *ev, const vt_gate_escapes *escape)
{
    for (unsigned k = 0; k < escape->count && k < VT_GATE_ESCAPES; k++)
        if (escape->string[k] < ev->view.string_count && ev->env->matches[escape->string[k]].count)
            return true;
    return false;
}

/* Whether one of rule r's strings has a match. */
static bool rule_has_match(const evaluator *ev, uint32_t r, const vt_rs_rule *rule)
{
    if (ev->env->rule_matched)
        return ev->env->rule_matched[r] != 0;
    for (uint32_t s = 0; s < rule->string_count; s++)
        if ((uint64_t)rule->string_first + s < ev->view.string_count &&
            ev->env->matches[rule->string_first + s].count)
            return true;
    return false;
}

vt_status vt_cond_evaluate(const vt_cond_env *env, uint8_t *results, vt_error *err)
{
    evaluator ev;
    memset(&ev, 0, sizeof ev);
    ev.env = env;
    ev.err = err;
    ev.results = results;
    vt_ruleset_get_view(env->rules, &ev.view);
    memset(results, 0, ev.view.rule_count);

    /* A namespace with a failing global rule matches nothing. */
    uint8_t *namespace_failed = NULL;
    uint8_t namespace_small[64] = {0};
    if (ev.view.namespace_count <= sizeof namespace_small) {
        namespace_failed = namespace_small;
    } else {
        namespace_failed = calloc(ev.view.namespace_count, 1);
        if (!namespace_failed)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory evaluating conditions");
    }
    vt_status st = VT_OK;
    bool any_failed = false; /* a global rule failed */
    for (size_t r = 0; r < ev.view.rule_count && st == VT_OK; r++) {
        const vt_rs_rule *rule = &ev.view.rules[r];
        if (rule->node_count == 0 || rule->ns >= ev.view.namespace_count) {
            st = corrupt(&ev, "rule without a condition", (uint32_t)r);
            break;
        }
        bool skip = (env->needs_match && env->needs_match[r] &&
                     !rule_has_match(&ev, (uint32_t)r, rule)) || /* needs its strings */
                    (env->rule_gates && env->rule_gates[r].count && /* or its header */
                     !vt_header_gate_passes(&env->rule_gates[r], env->data, env->size) &&
                     !escape_matched(&ev, &env->rule_escapes[r]));
        if (!skip) {
            vt_cond_value v;
            st = eval(&ev, rule->node_first + rule->node_count - 1, &v);
            results[r] = st == VT_OK && is_true(&v);
        } /* else taken as false without walking the condition: results[r] stays 0 */
        if (st == VT_OK && !results[r] && (rule->flags & VT_RULE_GLOBAL)) {
            namespace_failed[rule->ns] = 1;
            any_failed = true;
        }
    }
    if (st == VT_OK && any_failed)
        for (size_t r = 0; r < ev.view.rule_count; r++)
            if (namespace_failed[ev.view.rules[r].ns])
                results[r] = 0;
    if (namespace_failed != namespace_small)
        free(namespace_failed);
    free(ev.spine);
    return st;
}

/* ---- how deep evaluation recurses ----------------------------------------------------------- */

/* The deepest recursion of eval() from each node, as eval and eval_logic recurse (computed in
 * node order: operands come before the nodes that use them). For an `and` / `or` node,
 * `spine` holds the deepest of its chain's bottom operand and the right operands of the links
 * below it, which eval_logic evaluates one level down. */
vt_status vt_cond_check(const vt_ruleset *rules, vt_error *err)
{
    vt_ruleset_view view;
    vt_ruleset_get_view(rules, &view);
    size_t n = view.node_count ? view.node_count : 1;
    uint32_t *depth = calloc(n, sizeof *depth);
    uint32_t *spine = calloc(n, sizeof *spine);
    if (!depth || !spine) {
        free(depth);
        free(spine);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory checking conditions");
    }
    vt_status st = VT_OK;
    for (size_t r = 0; r < view.rule_count && st == VT_OK; r++) {
        const vt_rs_rule *rule = &view.rules[r];
        uint64_t end = (uint64_t)rule->node_first + rule->node_count;
        if (end > view.node_count)
            break; /* the loader refuses such a ruleset */
        for (uint32_t i = rule->node_first; i < end; i++) {
            const vt_rs_node *node = &view.nodes[i];
#define OPERAND(x) ((x) < i ? depth[(x)] : 0)
            uint32_t deepest = 0;
            if (is_chain(node)) {
                /* spine[i]: the deepest recursion below this chain's links (not counting
                 * node i's own second operand) */
                const vt_rs_node *left = node->a < i ? &view.nodes[node->a] : NULL;
                if (left && is_chain(left)) {
                    uint32_t second = is_unary(left) ? 0 : OPERAND(left->b);
                    spine[i] = spine[node->a] > second ? spine[node->a] : second;
                } else {
                    spine[i] = OPERAND(node->a);
                }
                uint32_t second = is_unary(node) ? 0 : OPERAND(node->b);
                /* a second operand of `and` / `or` that is such a chain goes on in this frame */
                if (is_logic(node) && node->b < i && is_logic(&view.nodes[node->b]) && second)
                    second--;
                deepest = spine[i] > second ? spine[i] : second;
            } else {
                bool list = node->op == VT_OP_ENUM || node->op == VT_OP_CALL ||
                            node->op == VT_OP_STRING_SET || node->op == VT_OP_RULE_SET;
                bool string_op =
                    node->op >= VT_OP_STRING_MATCH && node->op <= VT_OP_STRING_LENGTH;
                uint32_t kids[3] = {node->a, list ? VT_NONE : node->b,
                                    list || string_op ? VT_NONE : node->c};
                for (int k = 0; k < 3; k++)
                    if (OPERAND(kids[k]) > deepest)
                        deepest = OPERAND(kids[k]);
                if ((node->op == VT_OP_ENUM || node->op == VT_OP_CALL) &&
                    (uint64_t)node->b + node->c <= view.list_count)
                    for (uint32_t k = node->b; k < node->b + node->c; k++)
                        if (OPERAND(view.lists[k]) > deepest)
                            deepest = OPERAND(view.lists[k]);
            }
#undef OPERAND
            depth[i] = deepest + 1;
        }
        if (rule->node_count && depth[end - 1] > VT_COND_MAX_DEPTH)
            st = vt_error_set(err, VT_ERR_LIMIT,
                              "rule \"%s\": condition nested too deeply to evaluate (%u levels, "
                              "at most %u)",
                              vt_ruleset_str(rules, rule->name), depth[end - 1],
                              VT_COND_MAX_DEPTH);
    }
    free(depth);
    free(spine);
    return st;
}
