/* condition.c: YARA conditions, parsed by precedence climbing into typed nodes in post-order.
 * It follows yara 4.2.3's grammar: boolean expressions (or < and < not/defined) over relations;
 * a relation compares two primary expressions (arithmetic: | ^ & << >> + - * \ % and unary - ~)
 * or is a string reference ($a, $a at x, $a in (a..b)), an `of`, a `for`, true or false.
 * Primary and boolean expressions are distinct, as in yara: `(1 == 1) + 1` and `1 == true` are
 * syntax errors. Types are checked with yara's messages; identifiers resolve in yara's order
 * (loop variables, external variables, imported modules, rules of the namespace). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

static vt_status parse_bool(vt_parser *p, vt_expr *out);
/* yara's parser stack holds 10,000 entries; deeper nesting fails there with this message. */
#define TOO_DEEP "memory exhausted (expression nested too deeply)"
static vt_status parse_arith(vt_parser *p, int min_prec, vt_expr *out);
static vt_status parse_identifier(vt_parser *p, bool allow_object, vt_expr *out);

static const char *type_name(uint8_t type)
{
    switch (type) {
    case VT_TYPE_BOOL: return "boolean";
    case VT_TYPE_INT: return "integer";
    case VT_TYPE_FLOAT: return "float";
    case VT_TYPE_STRING: return "string";
    case VT_TYPE_REGEX: return "regexp";
    default: return "unknown";
    }
}

static void expr_init(vt_expr *e, uint32_t node, uint8_t type, bool primary)
{
    memset(e, 0, sizeof *e);
    e->node = node;
    e->type = type;
    e->primary = primary;
    e->object = -1;
}

static vt_status emit(vt_parser *p, uint16_t op, uint8_t type, uint8_t flags, uint32_t a,
                      uint32_t b, uint32_t c, int64_t imm, uint32_t *index)
{
    return vt_parser_emit(p, op, type, flags, a, b, c, imm, index);
}

static vt_status push_list(vt_parser *p, uint32_t value)
{
    if (vt_vec_push(&p->c->lists, &value, NULL) != VT_OK)
        return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

/* An operand used as a boolean: yara warns about literal strings. */
static vt_status as_bool(vt_parser *p, vt_expr *e, unsigned line, unsigned col)
{
    if (e->type == VT_TYPE_BOOL)
        return VT_OK;
    if (e->literal)
        if (vt_compiler_warn(p->c, p->file, line, col,
                             "using literal string \"%s\" in a boolean operation.",
                             e->literal_text ? e->literal_text : "") != VT_OK)
            return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
    uint32_t n;
    vt_status st = emit(p, VT_OP_TO_BOOL, VT_TYPE_BOOL, e->type, e->node, VT_NONE, VT_NONE, 0, &n);
    if (st == VT_OK)
        expr_init(e, n, VT_TYPE_BOOL, false);
    return st;
}

static vt_status to_float(vt_parser *p, vt_expr *e)
{
    if (e->type != VT_TYPE_INT)
        return VT_OK;
    uint32_t n;
    vt_status st = emit(p, VT_OP_INT_TO_FLOAT, VT_TYPE_FLOAT, 0, e->node, VT_NONE, VT_NONE, 0, &n);
    if (st == VT_OK) {
        e->node = n;
        e->type = VT_TYPE_FLOAT;
    }
    return st;
}

static bool numeric(uint8_t t)
{
    return t == VT_TYPE_INT || t == VT_TYPE_FLOAT;
}

/* ---- binary operators of primary expressions ---- */

typedef struct binop {
    vt_tok tok;
    int prec;
    uint16_t op;
    const char *text;
    int kind; /* 0 arithmetic (int/float), 1 integer only (bitwise, %) */
} binop;

static const binop binops[] = {
    {T_PIPE, 1, VT_OP_BIT_OR, "|", 1},    {T_CARET, 2, VT_OP_BIT_XOR, "^", 1},
    {T_AMP, 3, VT_OP_BIT_AND, "&", 1},    {T_SHL, 4, VT_OP_SHL, "<<", 1},
    {T_SHR, 4, VT_OP_SHR, ">>", 1},       {T_PLUS, 5, VT_OP_ADD, "+", 0},
    {T_MINUS, 5, VT_OP_SUB, "-", 0},      {T_STAR, 6, VT_OP_MUL, "*", 0},
    {T_BACKSLASH, 6, VT_OP_DIV, "\\", 0}, {T_PERCENT, 6, VT_OP_MOD, "%", 1},
};

static const binop *find_binop(vt_tok t)
{
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
        if (binops[i].tok == t)
            return &binops[i];
    return NULL;
}

/* ---- yara's constant folding ----
 * yara 4.2.3 computes a value for every integer operand while parsing: the literal's value, or
 * YR_UNDEFINED (0xFFFABADAFABADAFF) for anything known only at scan time. Its compile-time checks
 * (integer overflow, division by zero, negative shift counts, percentages) read these values, so
 * vitrine folds the same way, quirks included: a constant that happens to equal YR_UNDEFINED
 * counts as unknown, `>>` folds as `<<` (grammar.y uses OPERATION(<<) for both), a shift by 64 or
 * more folds to 0 whatever is shifted, unary minus and the bitwise operators never fail, and the
 * overflow test of `*` uses llabs, so INT64_MIN * -1 passes while -1 * INT64_MIN fails. The
 * folded values serve these checks only: the nodes are evaluated at scan time. */
#define YARA_UNDEFINED ((int64_t)0xFFFABADAFABADAFFULL)

static bool yara_known(const vt_expr *e)
{
    return e->constant && e->type == VT_TYPE_INT && e->value != YARA_UNDEFINED;
}

/* llabs as yara's C library computes it: llabs(INT64_MIN) stays INT64_MIN. */
static int64_t yara_llabs(int64_t x)
{
    return x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
}

/* Where yara reports an error of binary operator `op` (types, overflow, division by zero):
 * where its parser reduces the operation. After `a * b`, `a \ b` and `a % b` nothing binds
 * tighter, so it reduces without reading further: the right operand's last token. After the
 * others it must read the next token (a `*` would bind tighter): that token. */
static void reduce_position(const vt_parser *p, const binop *op, unsigned *line, unsigned *col)
{
    bool at_last = op->op == VT_OP_MUL || op->op == VT_OP_DIV || op->op == VT_OP_MOD;
    *line = at_last ? p->prev_line : p->tok.line;
    *col = at_last ? p->prev_col : p->tok.col;
}

/* Folds integer operator `op` of l and r. *constant is false when the value is unknown. */
static vt_status fold_int(vt_parser *p, const binop *op, const vt_expr *l, const vt_expr *r,
                          bool *constant, int64_t *out)
{
    bool known = yara_known(l) && yara_known(r);
    int64_t i1 = l->value, i2 = r->value;
    uint64_t a = (uint64_t)i1, b = (uint64_t)i2;
    unsigned line, col;
    reduce_position(p, op, &line, &col);
    *constant = known;
    switch (op->op) {
    case VT_OP_ADD:
        if (known && ((i2 > 0 && i1 > INT64_MAX - i2) || (i2 < 0 && i1 < INT64_MIN - i2)))
            return vt_parser_error(p, line, col, "integer overflow in \"%lld + %lld\"",
                                   (long long)i1, (long long)i2);
        *out = (int64_t)(a + b);
        break;
    case VT_OP_SUB:
        if (known && ((i2 < 0 && i1 > INT64_MAX + i2) || (i2 > 0 && i1 < INT64_MIN + i2)))
            return vt_parser_error(p, line, col, "integer overflow in \"%lld - %lld\"",
                                   (long long)i1, (long long)i2);
        *out = (int64_t)(a - b);
        break;
    case VT_OP_MUL:
        if (known && i2 != 0 && yara_llabs(i1) > INT64_MAX / yara_llabs(i2))
            return vt_parser_error(p, line, col, "integer overflow in \"%lld * %lld\"",
                                   (long long)i1, (long long)i2);
        *out = (int64_t)(a * b);
        break;
    case VT_OP_DIV:
    case VT_OP_MOD:
        if (yara_known(r) && i2 == 0)
            return vt_parser_error(p, line, col, "division by zero");
        /* yara dies of SIGFPE folding INT64_MIN / -1; vitrine folds it to INT64_MIN and 0 */
        if (known && i1 == INT64_MIN && i2 == -1)
            *out = op->op == VT_OP_DIV ? i1 : 0;
        else if (known)
            *out = op->op == VT_OP_DIV ? i1 / i2 : i1 % i2;
        break;
    case VT_OP_BIT_AND: *out = (int64_t)(a & b); break;
    case VT_OP_BIT_OR: *out = (int64_t)(a | b); break;
    case VT_OP_BIT_XOR: *out = (int64_t)(a ^ b); break;
    case VT_OP_SHL:
    case VT_OP_SHR:
        /* yara rejects a count it knows to be negative (its message is empty) */
        if (yara_known(r) && i2 < 0)
            return vt_parser_error(p, line, col, "negative shift count %lld", (long long)i2);
        if (yara_known(r) && i2 >= 64) {
            *constant = true;
            *out = 0;
        } else if (known) {
            *out = (int64_t)(a << b);
        }
        break;
    default: *constant = false;
    }
    if (!*constant)
        *out = 0;
    return VT_OK;
}

static vt_status reduce_binop(vt_parser *p, const binop *op, vt_expr *l, vt_expr *r,
                              unsigned line, unsigned col)
{
    uint8_t type;
    reduce_position(p, op, &line, &col);
    /* yara's grammar names `&` "^" in its type errors */
    const char *name = op->op == VT_OP_BIT_AND ? "^" : op->text;
    if (op->kind == 1) {
        if (l->type != VT_TYPE_INT)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for %s operator",
                                   type_name(l->type), name);
        if (r->type != VT_TYPE_INT)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for %s operator",
                                   type_name(r->type), name);
        type = VT_TYPE_INT;
    } else if (numeric(l->type) && numeric(r->type)) {
        type = (l->type == VT_TYPE_FLOAT || r->type == VT_TYPE_FLOAT) ? VT_TYPE_FLOAT : VT_TYPE_INT;
        vt_status st;
        if (type == VT_TYPE_FLOAT && ((st = to_float(p, l)) != VT_OK || (st = to_float(p, r)) != VT_OK))
            return st;
    } else if (l->type == VT_TYPE_STRING && r->type == VT_TYPE_STRING) {
        return vt_parser_error(p, line, col, "strings don't support \"%s\" operation", op->text);
    } else {
        return vt_parser_error(p, line, col, "type mismatch");
    }
    bool constant = false;
    int64_t v = 0;
    if (type == VT_TYPE_INT) {
        vt_status st = fold_int(p, op, l, r, &constant, &v);
        if (st != VT_OK)
            return st;
    }
    uint32_t n;
    vt_status st = emit(p, op->op, type, 0, l->node, r->node, VT_NONE, 0, &n);
    if (st == VT_OK) {
        expr_init(l, n, type, true);
        l->constant = constant;
        l->value = v;
    }
    return st;
}

/* ---- string references ---- */

/* Resolve `$a` (or `#a`, `@a`, `!a` spelled as `$a`) to a string index; anonymous ones inside a
 * for-of loop give VT_NONE. */
static vt_status string_ref(vt_parser *p, const char *ident, unsigned line, unsigned col,
                            uint32_t *index)
{
    if (ident[1] == 0) {
        if (p->for_of_depth == 0)
            return vt_parser_error(p, line, col, "wrong use of anonymous string");
        *index = VT_NONE;
        return VT_OK;
    }
    uint32_t i;
    if (!vt_map_get(&p->string_ids, ident, &i))
        return vt_parser_error(p, line, col, "undefined string \"%s\"", ident);
    *VT_VEC_AT(&p->referenced, uint8_t, i - p->string_first) = 1;
    *index = i;
    return VT_OK;
}

/* The condition asks where or how often string `index` matched (at, in, #, @, !), so all its
 * matches are needed even in fast mode; VT_NONE (`#`, `@`, `!` of a for-of loop) means every
 * string of the rule, as in yara. */
static void needs_all_matches(vt_parser *p, uint32_t index)
{
    uint32_t first = index == VT_NONE ? p->string_first : index;
    uint32_t end = index == VT_NONE ? p->string_first + (uint32_t)p->referenced.len : index + 1;
    for (uint32_t i = first; i < end; i++)
        VT_VEC_AT(&p->c->strings, vt_rs_string, i)->flags &= ~(uint32_t)VT_RS_SINGLE_MATCH;
}

static void ref_name(const vt_token *t, char *out)
{
    size_t n = t->len > VT_MAX_IDENTIFIER ? VT_MAX_IDENTIFIER : t->len;
    memcpy(out, t->start, n);
    out[n] = 0;
    out[0] = '$';
}

static vt_status parse_range(vt_parser *p, uint32_t *node)
{
    vt_status st;
    if ((st = vt_parser_expect(p, T_LPAREN, "'('")) != VT_OK)
        return st;
    unsigned line = p->tok.line, col = p->tok.col;
    vt_expr lo, hi;
    if ((st = parse_arith(p, 0, &lo)) != VT_OK)
        return st;
    if (!lo.primary)
        return vt_parser_unexpected(p, "'..'");
    if (lo.type != VT_TYPE_INT)
        return vt_parser_error(p, line, col, "wrong type for range's lower bound");
    if ((st = vt_parser_expect(p, T_DOTDOT, "'..'")) != VT_OK)
        return st;
    line = p->tok.line;
    col = p->tok.col;
    if ((st = parse_arith(p, 0, &hi)) != VT_OK)
        return st;
    if (!hi.primary)
        return vt_parser_unexpected(p, "')'");
    if (hi.type != VT_TYPE_INT)
        return vt_parser_error(p, line, col, "wrong type for range's upper bound");
    if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
        return st;
    return emit(p, VT_OP_RANGE, VT_TYPE_RANGE, 0, lo.node, hi.node, VT_NONE, 0, node);
}

/* $a, $a at x, $a in (a..b) */
static vt_status parse_string_match(vt_parser *p, vt_expr *out)
{
    char ident[VT_MAX_IDENTIFIER + 2];
    ref_name(&p->tok, ident);
    uint32_t index = VT_NONE;
    vt_status st = string_ref(p, ident, p->tok.line, p->tok.col, &index);
    if (st != VT_OK || (st = vt_parser_advance(p)) != VT_OK)
        return st;
    uint32_t depth = p->for_of_depth ? (uint32_t)p->for_of_depth - 1 : VT_NONE;
    uint32_t n;
    if (p->tok.kind == T_AT || p->tok.kind == T_IN)
        needs_all_matches(p, index);
    if (p->tok.kind == T_AT) {
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        unsigned line = p->tok.line, col = p->tok.col;
        vt_expr off;
        if ((st = parse_arith(p, 0, &off)) != VT_OK)
            return st;
        if (!off.primary)
            return vt_parser_error(p, line, col, "syntax error, expecting an offset after 'at'");
        if (off.type != VT_TYPE_INT)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for at operator",
                                   type_name(off.type));
        st = emit(p, VT_OP_STRING_AT, VT_TYPE_BOOL, 0, off.node, VT_NONE, depth, (int64_t)index, &n);
    } else if (p->tok.kind == T_IN) {
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        uint32_t range;
        if ((st = parse_range(p, &range)) != VT_OK)
            return st;
        st = emit(p, VT_OP_STRING_IN, VT_TYPE_BOOL, 0, range, VT_NONE, depth, (int64_t)index, &n);
    } else {
        st = emit(p, VT_OP_STRING_MATCH, VT_TYPE_BOOL, 0, VT_NONE, VT_NONE, depth, (int64_t)index, &n);
    }
    if (st == VT_OK)
        expr_init(out, n, VT_TYPE_BOOL, false);
    return st;
}

/* them | ( $a, $b*, ... ) | ( rule, rule*, ... ). *is_rules tells which. */
static vt_status parse_set(vt_parser *p, uint32_t *node, bool *is_rules)
{
    vt_status st;
    uint32_t first = (uint32_t)p->c->lists.len;
    *is_rules = false;
    if (p->tok.kind == T_THEM) {
        uint32_t count = (uint32_t)p->referenced.len;
        if (count == 0)
            return vt_parser_error(p, p->tok.line, p->tok.col, "undefined string \"$*\"");
        for (uint32_t i = 0; i < count; i++) {
            *VT_VEC_AT(&p->referenced, uint8_t, i) = 1;
            if ((st = push_list(p, p->string_first + i)) != VT_OK)
                return st;
        }
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        return emit(p, VT_OP_STRING_SET, VT_TYPE_SET, 0, VT_NONE, first, count, 0, node);
    }
    if ((st = vt_parser_expect(p, T_LPAREN, "them or '('")) != VT_OK)
        return st;
    if (p->tok.kind == T_IDENT) {
        *is_rules = true;
        for (;;) {
            if (p->tok.kind != T_IDENT)
                return vt_parser_unexpected(p, "rule identifier");
            char name[VT_MAX_IDENTIFIER + 1];
            size_t n = p->tok.len > VT_MAX_IDENTIFIER ? VT_MAX_IDENTIFIER : p->tok.len;
            memcpy(name, p->tok.start, n);
            name[n] = 0;
            unsigned line = p->tok.line, col = p->tok.col;
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            bool wildcard = false;
            if (p->tok.kind == T_STAR) {
                wildcard = true;
                if ((st = vt_parser_advance(p)) != VT_OK)
                    return st;
            }
            uint32_t matched = 0;
            if (wildcard) {
                char key[VT_MAX_IDENTIFIER + 32];
                snprintf(key, sizeof key, "%u\x01%s", p->ns, name);
                if (vt_map_put(&p->c->rule_wildcards, key, 1) != VT_OK)
                    return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
                for (uint32_t i = 0; i < p->c->rules.len; i++) {
                    vt_rs_rule *r = VT_VEC_AT(&p->c->rules, vt_rs_rule, i);
                    if (r->ns == p->ns && r->name.len >= n &&
                        memcmp(vt_pool_get(p->c, r->name), name, n) == 0) {
                        if ((st = push_list(p, i)) != VT_OK)
                            return st;
                        matched++;
                    }
                }
            } else {
                char key[VT_MAX_IDENTIFIER + 32];
                snprintf(key, sizeof key, "%u\x01%s", p->ns, name);
                uint32_t idx;
                if (vt_map_get(&p->c->rule_names, key, &idx)) {
                    if ((st = push_list(p, idx)) != VT_OK)
                        return st;
                    matched++;
                }
            }
            if (!matched)
                return vt_parser_error(p, line, col, "undefined identifier \"%s\"", name);
            if (p->tok.kind == T_COMMA) {
                if ((st = vt_parser_advance(p)) != VT_OK)
                    return st;
                continue;
            }
            break;
        }
        if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
            return st;
        uint32_t count = (uint32_t)p->c->lists.len - first;
        return emit(p, VT_OP_RULE_SET, VT_TYPE_SET, 0, VT_NONE, first, count, 0, node);
    }
    for (;;) {
        if (p->tok.kind != T_STRING_ID && p->tok.kind != T_STRING_WILD)
            return vt_parser_unexpected(p, "string identifier");
        char ident[VT_MAX_IDENTIFIER + 2];
        ref_name(&p->tok, ident);
        unsigned line = p->tok.line, col = p->tok.col;
        uint32_t matched = 0;
        bool wildcard = p->tok.kind == T_STRING_WILD;
        size_t n = wildcard ? strlen(ident) - 1 : 0; /* the prefix before '*' */
        for (uint32_t i = 0; i < p->referenced.len; i++) {
            vt_rs_string *s = VT_VEC_AT(&p->c->strings, vt_rs_string, p->string_first + i);
            const char *id = vt_pool_get(p->c, s->identifier);
            bool hit = wildcard ? s->identifier.len >= n && memcmp(id, ident, n) == 0
                                : strcmp(id, ident) == 0;
            if (!hit)
                continue;
            *VT_VEC_AT(&p->referenced, uint8_t, i) = 1;
            if ((st = push_list(p, p->string_first + i)) != VT_OK)
                return st;
            matched++;
            if (!wildcard && ident[1])
                break;
        }
        if (!matched)
            return vt_parser_error(p, line, col, "undefined string \"%s\"", ident);
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        if (p->tok.kind == T_COMMA) {
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            continue;
        }
        break;
    }
    if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
        return st;
    uint32_t count = (uint32_t)p->c->lists.len - first;
    return emit(p, VT_OP_STRING_SET, VT_TYPE_SET, 0, VT_NONE, first, count, 0, node);
}

/* After a quantifier: OF set [IN range] */
static vt_status parse_of(vt_parser *p, uint32_t quant, vt_expr *out)
{
    vt_status st;
    if ((st = vt_parser_expect(p, T_OF, "of")) != VT_OK)
        return st;
    uint32_t set, range = VT_NONE;
    bool rules;
    if ((st = parse_set(p, &set, &rules)) != VT_OK)
        return st;
    if (!rules && p->tok.kind == T_IN) {
        if ((st = vt_parser_advance(p)) != VT_OK || (st = parse_range(p, &range)) != VT_OK)
            return st;
    }
    uint32_t n;
    st = emit(p, VT_OP_OF, VT_TYPE_BOOL, 0, quant, set, range, 0, &n);
    if (st == VT_OK)
        expr_init(out, n, VT_TYPE_BOOL, false);
    return st;
}

static vt_status quant_keyword(vt_parser *p, uint32_t *quant)
{
    uint8_t kind = p->tok.kind == T_ALL ? VT_QUANT_ALL : p->tok.kind == T_ANY ? VT_QUANT_ANY
                                                                              : VT_QUANT_NONE;
    vt_status st = emit(p, VT_OP_QUANT, VT_TYPE_INT, kind, VT_NONE, VT_NONE, VT_NONE, 0, quant);
    if (st == VT_OK)
        st = vt_parser_advance(p);
    return st;
}

/* ---- for loops ---- */

static vt_status loop_body(vt_parser *p, uint32_t *body)
{
    vt_status st;
    if ((st = vt_parser_expect(p, T_COLON, "':'")) != VT_OK ||
        (st = vt_parser_expect(p, T_LPAREN, "'('")) != VT_OK)
        return st;
    unsigned line = p->tok.line, col = p->tok.col;
    vt_expr e;
    if ((st = parse_bool(p, &e)) != VT_OK || (st = as_bool(p, &e, line, col)) != VT_OK)
        return st;
    *body = e.node;
    return vt_parser_expect(p, T_RPAREN, "')'");
}

static vt_status parse_for(vt_parser *p, vt_expr *out)
{
    vt_status st;
    unsigned for_line = p->tok.line, for_col = p->tok.col;
    if ((st = vt_parser_advance(p)) != VT_OK)
        return st;
    uint32_t quant;
    if (p->tok.kind == T_ALL || p->tok.kind == T_ANY || p->tok.kind == T_NONE) {
        if ((st = quant_keyword(p, &quant)) != VT_OK)
            return st;
    } else {
        vt_expr q;
        if ((st = parse_arith(p, 0, &q)) != VT_OK)
            return st;
        if (!q.primary)
            return vt_parser_unexpected(p, "of or identifier");
        if ((st = emit(p, VT_OP_QUANT, VT_TYPE_INT, VT_QUANT_COUNT, q.node, VT_NONE, VT_NONE, 0,
                       &quant)) != VT_OK)
            return st;
    }
    if (p->loop_depth >= VT_MAX_LOOP_NESTING)
        return vt_parser_error(p, for_line, for_col, "loop nesting limit exceeded");
    vt_loop *loop = &p->loops[p->loop_depth];
    memset(loop, 0, sizeof *loop);
    int depth = p->loop_depth;
    uint32_t n;
    if (p->tok.kind == T_OF) {
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        uint32_t set;
        bool rules;
        if ((st = parse_set(p, &set, &rules)) != VT_OK)
            return st;
        loop->for_of = true;
        p->loop_depth++;
        int saved = p->for_of_depth;
        p->for_of_depth = depth + 1;
        uint32_t body;
        st = loop_body(p, &body);
        p->for_of_depth = saved;
        p->loop_depth--;
        if (st != VT_OK)
            return st;
        st = emit(p, VT_OP_FOR_OF, VT_TYPE_BOOL, 0, quant, set, body, depth, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_BOOL, false);
        return st;
    }
    /* for QUANT var[, var] in ITERABLE : ( body ) */
    for (;;) {
        if (p->tok.kind != T_IDENT)
            return vt_parser_unexpected(p, "identifier");
        if (loop->nvars == 2)
            return vt_parser_unexpected(p, "in");
        char name[VT_MAX_IDENTIFIER + 1];
        size_t len = p->tok.len > VT_MAX_IDENTIFIER ? VT_MAX_IDENTIFIER : p->tok.len;
        memcpy(name, p->tok.start, len);
        name[len] = 0;
        for (int d = 0; d < p->loop_depth; d++)
            for (int k = 0; k < p->loops[d].nvars; k++)
                if (strcmp(p->loops[d].names[k], name) == 0)
                    return vt_parser_error(p, p->tok.line, p->tok.col,
                                           "duplicated loop identifier \"%s\"", name);
        if (loop->nvars == 1 && strcmp(loop->names[0], name) == 0)
            return vt_parser_error(p, p->tok.line, p->tok.col, "duplicated loop identifier \"%s\"",
                                   name);
        memcpy(loop->names[loop->nvars++], name, len + 1);
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        if (p->tok.kind == T_COMMA) {
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            continue;
        }
        break;
    }
    if ((st = vt_parser_expect(p, T_IN, "in")) != VT_OK)
        return st;
    uint32_t iterable;
    unsigned it_line = p->tok.line, it_col = p->tok.col;
    if (p->tok.kind == T_LPAREN) {
        /* (a..b) or (x, y, z) */
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        vt_expr first;
        unsigned line = p->tok.line, col = p->tok.col;
        if ((st = parse_arith(p, 0, &first)) != VT_OK)
            return st;
        if (!first.primary)
            return vt_parser_unexpected(p, "'..' or ','");
        if (p->tok.kind == T_DOTDOT) {
            if (first.type != VT_TYPE_INT)
                return vt_parser_error(p, line, col, "wrong type for range's lower bound");
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            line = p->tok.line;
            col = p->tok.col;
            vt_expr hi;
            if ((st = parse_arith(p, 0, &hi)) != VT_OK)
                return st;
            if (!hi.primary)
                return vt_parser_unexpected(p, "')'");
            if (hi.type != VT_TYPE_INT)
                return vt_parser_error(p, line, col, "wrong type for range's upper bound");
            if ((st = emit(p, VT_OP_RANGE, VT_TYPE_RANGE, 0, first.node, hi.node, VT_NONE, 0,
                           &iterable)) != VT_OK)
                return st;
        } else {
            uint32_t items[256];
            uint32_t count = 0;
            vt_expr item = first;
            for (;;) {
                if (item.type != VT_TYPE_INT)
                    return vt_parser_error(p, line, col, "wrong type for enumeration item");
                if (count == sizeof items / sizeof items[0])
                    return vt_parser_error(p, line, col, "too many items in enumeration");
                items[count++] = item.node;
                if (p->tok.kind != T_COMMA)
                    break;
                if ((st = vt_parser_advance(p)) != VT_OK)
                    return st;
                line = p->tok.line;
                col = p->tok.col;
                if ((st = parse_arith(p, 0, &item)) != VT_OK)
                    return st;
                if (!item.primary)
                    return vt_parser_unexpected(p, "',' or ')'");
            }
            uint32_t list = (uint32_t)p->c->lists.len;
            for (uint32_t i = 0; i < count; i++)
                if ((st = push_list(p, items[i])) != VT_OK)
                    return st;
            if ((st = emit(p, VT_OP_ENUM, VT_TYPE_RANGE, 0, VT_NONE, list, count, 0,
                           &iterable)) != VT_OK)
                return st;
        }
        if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
            return st;
        if (loop->nvars != 1)
            return vt_parser_error(p, it_line, it_col,
                                   "iterator yields an integer on each iteration , but the loop "
                                   "expects %d", loop->nvars);
        loop->types[0] = VT_TYPE_INT;
    } else if (p->tok.kind == T_IDENT) {
        vt_expr obj;
        if ((st = parse_identifier(p, true, &obj)) != VT_OK)
            return st;
        const vt_module_object *o =
            obj.type == VT_TYPE_OBJECT && !obj.struct_item ? vt_module_object_at(obj.decl, obj.object)
                                                           : NULL;
        if (!o || (o->kind != VT_MODULE_ARRAY && o->kind != VT_MODULE_DICTIONARY))
            return vt_parser_error(p, it_line, it_col, "identifier \"%s\" is not iterable",
                                   obj.name);
        bool dict = o->kind == VT_MODULE_DICTIONARY;
        if (!dict && loop->nvars != 1)
            return vt_parser_error(p, it_line, it_col,
                                   "iterator for \"%s\" yields a single item on each iteration, "
                                   "but the loop expects %d", obj.name, loop->nvars);
        if (dict && loop->nvars != 2)
            return vt_parser_error(p, it_line, it_col,
                                   "iterator for \"%s\" yields a key,value pair item on each "
                                   "iteration", obj.name);
        int vi = 0;
        if (dict)
            loop->types[vi++] = VT_TYPE_STRING;
        switch (o->item) {
        case VT_MODULE_INTEGER: loop->types[vi] = VT_TYPE_INT; break;
        case VT_MODULE_FLOAT: loop->types[vi] = VT_TYPE_FLOAT; break;
        case VT_MODULE_STRING: loop->types[vi] = VT_TYPE_STRING; break;
        default:
            loop->types[vi] = VT_TYPE_OBJECT;
            loop->decls[vi] = obj.decl;
            loop->objects[vi] = obj.object;
            loop->struct_item[vi] = true;
        }
        iterable = obj.node;
    } else {
        return vt_parser_unexpected(p, "'(' or identifier");
    }
    p->loop_depth++;
    uint32_t body;
    st = loop_body(p, &body);
    p->loop_depth--;
    if (st != VT_OK)
        return st;
    st = emit(p, VT_OP_FOR_IN, VT_TYPE_BOOL, (uint8_t)loop->nvars, quant, iterable, body, depth, &n);
    if (st == VT_OK)
        expr_init(out, n, VT_TYPE_BOOL, false);
    return st;
}

/* ---- identifiers: loop variables, externals, modules, rules; then . [ ] ( ) ---- */

static uint8_t value_type(vt_module_kind k)
{
    switch (k) {
    case VT_MODULE_INTEGER: return VT_TYPE_INT;
    case VT_MODULE_FLOAT: return VT_TYPE_FLOAT;
    case VT_MODULE_STRING: return VT_TYPE_STRING;
    default: return VT_TYPE_OBJECT;
    }
}

/* Turn an OBJECT expression whose object is a plain value into that value. */
static void settle_object(vt_expr *e)
{
    if (e->type != VT_TYPE_OBJECT || e->struct_item)
        return;
    const vt_module_object *o = vt_module_object_at(e->decl, e->object);
    uint8_t t = value_type(o->kind);
    if (t != VT_TYPE_OBJECT) {
        e->type = t;
        e->primary = true;
    }
}

static vt_status parse_arguments(vt_parser *p, char *format, uint32_t *first, uint32_t *count)
{
    vt_status st;
    uint32_t args[VT_MAX_FUNCTION_ARGS];
    size_t n = 0;
    if ((st = vt_parser_advance(p)) != VT_OK) /* '(' */
        return st;
    while (p->tok.kind != T_RPAREN) {
        if (n == VT_MAX_FUNCTION_ARGS)
            return vt_parser_error(p, p->tok.line, p->tok.col, "too many arguments");
        if (p->tok.kind == T_REGEX) {
            char msg[256];
            unsigned off = 0;
            if (!vt_rules_check_regex(p->tok.text, p->tok.text_len, p->tok.regex_flags, msg,
                                      sizeof msg, &off))
                return vt_parser_error(p, p->tok.text_line, p->tok.text_col + (off ? off - 1 : 0),
                                       "invalid regular expression: %s", msg);
            if ((st = vt_parser_emit_str(p, VT_OP_CONST_REGEX, VT_TYPE_REGEX,
                                         (uint8_t)p->tok.regex_flags, VT_NONE, VT_NONE, VT_NONE,
                                         p->tok.text, p->tok.text_len, &args[n])) != VT_OK)
                return st;
            format[n++] = 'r';
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
        } else {
            vt_expr e;
            if ((st = parse_bool(p, &e)) != VT_OK)
                return st;
            char letter;
            switch (e.type) {
            case VT_TYPE_INT: letter = 'i'; break;
            case VT_TYPE_FLOAT: letter = 'f'; break;
            case VT_TYPE_STRING: letter = 's'; break;
            case VT_TYPE_BOOL: letter = 'b'; break;
            case VT_TYPE_REGEX: letter = 'r'; break;
            default: letter = '?';
            }
            args[n] = e.node;
            format[n++] = letter;
        }
        if (p->tok.kind == T_COMMA) {
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            if (p->tok.kind == T_RPAREN)
                return vt_parser_unexpected(p, "an argument");
            continue;
        }
        if (p->tok.kind != T_RPAREN)
            return vt_parser_unexpected(p, "',' or ')'");
    }
    format[n] = 0;
    *first = (uint32_t)p->c->lists.len;
    *count = (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        if ((st = push_list(p, args[i])) != VT_OK)
            return st;
    return vt_parser_advance(p); /* ')' */
}

static vt_status parse_identifier(vt_parser *p, bool allow_object, vt_expr *out)
{
    vt_status st;
    char name[VT_MAX_IDENTIFIER + 1];
    size_t len = p->tok.len > VT_MAX_IDENTIFIER ? VT_MAX_IDENTIFIER : p->tok.len;
    memcpy(name, p->tok.start, len);
    name[len] = 0;
    unsigned line = p->tok.line, col = p->tok.col;
    const unsigned start_line = line, start_col = col;
    uint32_t n;
    bool found = false;
    for (int d = p->loop_depth - 1; d >= 0 && !found; d--) {
        vt_loop *l = &p->loops[d];
        for (int k = 0; k < l->nvars; k++)
            if (strcmp(l->names[k], name) == 0) {
                if ((st = emit(p, VT_OP_LOOP_VAR, l->types[k], 0, VT_NONE, VT_NONE, VT_NONE,
                               2 * d + k, &n)) != VT_OK)
                    return st;
                expr_init(out, n, l->types[k], l->types[k] != VT_TYPE_OBJECT);
                out->decl = l->decls[k];
                out->object = l->objects[k];
                out->struct_item = l->struct_item[k];
                found = true;
                break;
            }
    }
    uint32_t idx;
    if (!found && vt_map_get(&p->c->extern_names, name, &idx)) {
        vt_rs_external *x = VT_VEC_AT(&p->c->externals, vt_rs_external, idx);
        if ((st = emit(p, VT_OP_EXTERNAL, (uint8_t)x->type, 0, VT_NONE, VT_NONE, VT_NONE, idx, &n)) != VT_OK)
            return st;
        expr_init(out, n, (uint8_t)x->type, true);
        found = true;
    }
    if (!found) {
        char key[VT_MAX_IDENTIFIER + 32];
        snprintf(key, sizeof key, "%u\x01%s", p->ns, name);
        if (vt_map_get(&p->c->import_names, key, &idx)) {
            vt_status ms;
            vt_error merr;
            vt_module_decl *decl = vt_compiler_module(p->c, name, &merr, &ms);
            if (!decl) {
                *p->err = merr;
                return ms;
            }
            if ((st = vt_parser_emit_str(p, VT_OP_MODULE, VT_TYPE_OBJECT, 0, VT_NONE, VT_NONE,
                                         VT_NONE, name, len, &n)) != VT_OK)
                return st;
            expr_init(out, n, VT_TYPE_OBJECT, false);
            out->decl = decl;
            out->object = 0;
            found = true;
        } else if (vt_map_get(&p->c->rule_names, key, &idx)) {
            if ((st = emit(p, VT_OP_RULE, VT_TYPE_BOOL, 0, VT_NONE, VT_NONE, VT_NONE, idx, &n)) != VT_OK)
                return st;
            expr_init(out, n, VT_TYPE_BOOL, true);
            found = true;
        }
    }
    if (!found)
        return vt_parser_error(p, line, col, "undefined identifier \"%s\"", name);
    memcpy(out->name, name, len + 1);
    if ((st = vt_parser_advance(p)) != VT_OK)
        return st;
    for (;;) {
        if (p->tok.kind == T_DOT) {
            line = p->tok.line;
            col = p->tok.col;
            const vt_module_object *o =
                out->type == VT_TYPE_OBJECT ? vt_module_object_at(out->decl, out->object) : NULL;
            if (!o || (o->kind != VT_MODULE_STRUCT && !out->struct_item))
                return vt_parser_error(p, line, col, "\"%s\" is not a structure", out->name);
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            if (p->tok.kind != T_IDENT)
                return vt_parser_unexpected(p, "identifier");
            len = p->tok.len > VT_MAX_IDENTIFIER ? VT_MAX_IDENTIFIER : p->tok.len;
            memcpy(name, p->tok.start, len);
            name[len] = 0;
            int32_t m = vt_module_member(out->decl, out->object, name);
            if (m < 0)
                return vt_parser_error(p, p->tok.line, p->tok.col, "invalid field name \"%s\"", name);
            if ((st = vt_parser_emit_str(p, VT_OP_FIELD, VT_TYPE_OBJECT, 0, out->node, VT_NONE,
                                         VT_NONE, name, len, &n)) != VT_OK)
                return st;
            out->node = n;
            out->object = m;
            out->struct_item = false;
            out->type = VT_TYPE_OBJECT;
            out->primary = false;
            memcpy(out->name, name, len + 1);
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
        } else if (p->tok.kind == T_LBRACK && out->type == VT_TYPE_OBJECT) {
            line = p->tok.line;
            col = p->tok.col;
            const vt_module_object *o = vt_module_object_at(out->decl, out->object);
            if (out->struct_item || (o->kind != VT_MODULE_ARRAY && o->kind != VT_MODULE_DICTIONARY))
                return vt_parser_error(p, line, col, "\"%s\" is not an array or dictionary",
                                       out->name);
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            unsigned kline = p->tok.line, kcol = p->tok.col;
            vt_expr key;
            if ((st = parse_arith(p, 0, &key)) != VT_OK)
                return st;
            if (!key.primary)
                return vt_parser_unexpected(p, "']'");
            if (o->kind == VT_MODULE_ARRAY && key.type != VT_TYPE_INT)
                return vt_parser_error(p, kline, kcol, "array indexes must be of integer type");
            if (o->kind == VT_MODULE_DICTIONARY && key.type != VT_TYPE_STRING)
                return vt_parser_error(p, kline, kcol, "dictionary keys must be of string type");
            if ((st = vt_parser_expect(p, T_RBRACK, "']'")) != VT_OK)
                return st;
            uint8_t t = value_type(o->item);
            if ((st = emit(p, VT_OP_INDEX, t, 0, out->node, key.node, VT_NONE, 0, &n)) != VT_OK)
                return st;
            out->node = n;
            if (t == VT_TYPE_OBJECT) {
                out->struct_item = true;
                out->type = VT_TYPE_OBJECT;
                out->primary = false;
            } else {
                out->type = t;
                out->primary = true;
                out->struct_item = false;
                out->object = -1;
                return VT_OK; /* a value: nothing more can follow */
            }
        } else if (p->tok.kind == T_LPAREN && out->type == VT_TYPE_OBJECT) {
            line = p->tok.line;
            col = p->tok.col;
            const vt_module_object *o = vt_module_object_at(out->decl, out->object);
            if (out->struct_item || o->kind != VT_MODULE_FUNCTION)
                return vt_parser_error(p, line, col, "\"%s\" is not a function", out->name);
            char format[VT_MAX_FUNCTION_ARGS + 1];
            uint32_t first = 0, count = 0;
            uint32_t fn_node = out->node;
            vt_module_decl *decl = out->decl;
            int32_t fn = out->object;
            char fname[VT_MAX_IDENTIFIER + 1];
            memcpy(fname, out->name, sizeof fname);
            if ((st = parse_arguments(p, format, &first, &count)) != VT_OK)
                return st;
            const vt_module_object *match = NULL;
            for (int32_t i = fn; i >= 0; i = vt_module_object_at(decl, i)->next_sibling) {
                const vt_module_object *f = vt_module_object_at(decl, i);
                if (f->kind == VT_MODULE_FUNCTION && strcmp(f->name, fname) == 0 &&
                    strcmp(f->arguments, format) == 0) {
                    match = f;
                    break;
                }
            }
            if (!match)
                return vt_parser_error(p, line, col, "wrong arguments for function \"%s\"", fname);
            uint8_t t = match->result == 'i' ? VT_TYPE_INT : match->result == 'f' ? VT_TYPE_FLOAT
                      : match->result == 's' ? VT_TYPE_STRING : VT_TYPE_BOOL;
            if ((st = vt_parser_emit_str(p, VT_OP_CALL, t, 0, fn_node, first, count, format,
                                         strlen(format), &n)) != VT_OK)
                return st;
            expr_init(out, n, t, true);
            memcpy(out->name, fname, sizeof fname);
            return VT_OK;
        } else {
            break;
        }
    }
    settle_object(out);
    if (out->type == VT_TYPE_OBJECT && !allow_object)
        return vt_parser_error(p, start_line, start_col, "wrong usage of identifier \"%s\"",
                               out->name);
    return VT_OK;
}

/* ---- primary expressions ---- */

static vt_status parse_atom(vt_parser *p, vt_expr *out)
{
    vt_status st;
    uint32_t n;
    unsigned line = p->tok.line, col = p->tok.col;
    switch (p->tok.kind) {
    case T_LPAREN: /* counted by parse_unary */
        if ((st = vt_parser_advance(p)) != VT_OK || (st = parse_bool(p, out)) != VT_OK)
            return st;
        return vt_parser_expect(p, T_RPAREN, "')'");
    case T_INT:
        st = emit(p, VT_OP_CONST_INT, VT_TYPE_INT, 0, VT_NONE, VT_NONE, VT_NONE, p->tok.ival, &n);
        if (st == VT_OK) {
            expr_init(out, n, VT_TYPE_INT, true);
            out->constant = true;
            out->value = p->tok.ival;
        }
        break;
    case T_FLOAT:
        st = emit(p, VT_OP_CONST_FLOAT, VT_TYPE_FLOAT, 0, VT_NONE, VT_NONE, VT_NONE, 0, &n);
        if (st == VT_OK) {
            VT_VEC_AT(&p->c->nodes, vt_rs_node, n)->v.f = p->tok.fval;
            expr_init(out, n, VT_TYPE_FLOAT, true);
        }
        break;
    case T_TEXT:
        st = vt_parser_emit_str(p, VT_OP_CONST_STRING, VT_TYPE_STRING, 0, VT_NONE, VT_NONE, VT_NONE,
                                p->tok.text, p->tok.text_len, &n);
        if (st == VT_OK) {
            expr_init(out, n, VT_TYPE_STRING, true);
            out->literal = true;
            out->literal_text = vt_pool_get(p->c, VT_VEC_AT(&p->c->nodes, vt_rs_node, n)->v.s);
        }
        break;
    case T_FILESIZE:
        st = emit(p, VT_OP_FILESIZE, VT_TYPE_INT, 0, VT_NONE, VT_NONE, VT_NONE, 0, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_INT, true);
        break;
    case T_ENTRYPOINT:
        if (vt_compiler_warn(p->c, p->file, line, col,
                             "Using deprecated \"entrypoint\" keyword. Use the \"entry_point\" "
                             "function from PE module instead.") != VT_OK)
            return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
        st = emit(p, VT_OP_ENTRYPOINT, VT_TYPE_INT, 0, VT_NONE, VT_NONE, VT_NONE, 0, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_INT, true);
        break;
    case T_INTFN: {
        uint8_t flags = (uint8_t)p->tok.ival;
        if ((st = vt_parser_advance(p)) != VT_OK ||
            (st = vt_parser_expect(p, T_LPAREN, "'('")) != VT_OK)
            return st;
        unsigned aline = p->tok.line, acol = p->tok.col;
        vt_expr off;
        if ((st = parse_arith(p, 0, &off)) != VT_OK)
            return st;
        if (!off.primary)
            return vt_parser_unexpected(p, "')'");
        if (off.type != VT_TYPE_INT)
            return vt_parser_error(p, aline, acol,
                                   "wrong type \"%s\" for intXXXX or uintXXXX operator",
                                   type_name(off.type));
        if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
            return st;
        st = emit(p, VT_OP_READ_INT, VT_TYPE_INT, flags, off.node, VT_NONE, VT_NONE, 0, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_INT, true);
        return st;
    }
    case T_STRING_COUNT: {
        char ident[VT_MAX_IDENTIFIER + 2];
        ref_name(&p->tok, ident);
        uint32_t index = VT_NONE;
        if ((st = string_ref(p, ident, line, col, &index)) != VT_OK ||
            (st = vt_parser_advance(p)) != VT_OK)
            return st;
        uint32_t range = VT_NONE;
        if (p->tok.kind == T_IN) {
            if ((st = vt_parser_advance(p)) != VT_OK || (st = parse_range(p, &range)) != VT_OK)
                return st;
        }
        needs_all_matches(p, index);
        uint32_t depth = p->for_of_depth ? (uint32_t)p->for_of_depth - 1 : VT_NONE;
        st = emit(p, VT_OP_STRING_COUNT, VT_TYPE_INT, 0, range, VT_NONE, depth, index, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_INT, true);
        return st;
    }
    case T_STRING_OFF:
    case T_STRING_LEN: {
        uint16_t op = p->tok.kind == T_STRING_OFF ? VT_OP_STRING_OFFSET : VT_OP_STRING_LENGTH;
        char ident[VT_MAX_IDENTIFIER + 2];
        ref_name(&p->tok, ident);
        uint32_t index = VT_NONE;
        if ((st = string_ref(p, ident, line, col, &index)) != VT_OK ||
            (st = vt_parser_advance(p)) != VT_OK)
            return st;
        uint32_t which = VT_NONE;
        if (p->tok.kind == T_LBRACK) {
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            unsigned iline = p->tok.line, icol = p->tok.col;
            vt_expr i;
            if ((st = parse_arith(p, 0, &i)) != VT_OK)
                return st;
            if (!i.primary)
                return vt_parser_unexpected(p, "']'");
            (void)iline;
            (void)icol; /* yara 4.2.3 does not check the index's type */
            if ((st = vt_parser_expect(p, T_RBRACK, "']'")) != VT_OK)
                return st;
            which = i.node;
        }
        needs_all_matches(p, index);
        uint32_t depth = p->for_of_depth ? (uint32_t)p->for_of_depth - 1 : VT_NONE;
        st = emit(p, op, VT_TYPE_INT, 0, which, VT_NONE, depth, index, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_INT, true);
        return st;
    }
    case T_IDENT:
        return parse_identifier(p, false, out);
    case T_REGEX: {
        /* yara 4.2.3 takes a regular expression as a primary expression of type regexp */
        char msg[256];
        unsigned off = 0;
        if (!vt_rules_check_regex(p->tok.text, p->tok.text_len, p->tok.regex_flags, msg, sizeof msg,
                                  &off))
            return vt_parser_error(p, p->tok.text_line, p->tok.text_col + (off ? off - 1 : 0),
                                   "invalid regular expression: %s", msg);
        st = vt_parser_emit_str(p, VT_OP_CONST_REGEX, VT_TYPE_REGEX, (uint8_t)p->tok.regex_flags,
                                VT_NONE, VT_NONE, VT_NONE, p->tok.text, p->tok.text_len, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_REGEX, true);
        break;
    }
    default:
        return vt_parser_unexpected(p, "an expression");
    }
    if (st != VT_OK)
        return st;
    return vt_parser_advance(p);
}

static vt_status parse_unary_inner(vt_parser *p, vt_expr *out);

/* Every operand counts toward the nesting limit while it is being parsed. */
static vt_status parse_unary(vt_parser *p, vt_expr *out)
{
    if (++p->expr_depth > VT_MAX_EXPR_DEPTH)
        return vt_parser_error(p, p->tok.line, p->tok.col, TOO_DEEP);
    vt_status st = parse_unary_inner(p, out);
    if (st == VT_OK)
        p->expr_depth--;
    return st;
}

static vt_status parse_unary_inner(vt_parser *p, vt_expr *out)
{
    vt_status st;
    if (p->tok.kind == T_MINUS || p->tok.kind == T_TILDE) {
        bool minus = p->tok.kind == T_MINUS;
        unsigned line = p->tok.line, col = p->tok.col;
        if ((st = vt_parser_advance(p)) != VT_OK || (st = parse_unary(p, out)) != VT_OK)
            return st;
        if (!out->primary)
            return vt_parser_error(p, line, col, "syntax error, unexpected %s before a boolean "
                                   "expression", minus ? "'-'" : "'~'");
        /* yara reduces `-x` and `~x` without reading further: at x's last token */
        if (minus ? !numeric(out->type) : out->type != VT_TYPE_INT)
            return vt_parser_error(p, p->prev_line, p->prev_col, "wrong type \"%s\" for %s operator",
                                   type_name(out->type), minus ? "-" : "~");
        uint32_t n;
        uint8_t t = out->type;
        /* yara folds - and ~ of a known value without an overflow check */
        bool constant = yara_known(out);
        uint64_t v = minus ? 0 - (uint64_t)out->value : ~(uint64_t)out->value;
        if ((st = emit(p, minus ? VT_OP_NEG : VT_OP_BIT_NOT, t, 0, out->node, VT_NONE, VT_NONE, 0,
                       &n)) != VT_OK)
            return st;
        expr_init(out, n, t, true);
        out->constant = constant;
        out->value = (int64_t)v;
        return VT_OK;
    }
    return parse_atom(p, out);
}

static vt_status parse_arith(vt_parser *p, int min_prec, vt_expr *out)
{
    vt_status st;
    if ((st = parse_unary(p, out)) != VT_OK)
        return st;
    for (;;) {
        const binop *op = find_binop(p->tok.kind);
        if (!op || op->prec < min_prec)
            break;
        if (op->tok == T_PERCENT) {
            vt_token *next;
            vt_parser_peek(p, &next);
            if (next->kind == T_OF)
                break; /* N% of ... */
        }
        if (!out->primary)
            return vt_parser_unexpected(p, NULL);
        unsigned line = p->tok.line, col = p->tok.col;
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        vt_expr r;
        if (++p->expr_depth > VT_MAX_EXPR_DEPTH)
            return vt_parser_error(p, line, col, TOO_DEEP);
        if ((st = parse_arith(p, op->prec + 1, &r)) != VT_OK)
            return st;
        p->expr_depth--;
        if (!r.primary)
            return vt_parser_error(p, line, col, "syntax error, operand of %s is a boolean "
                                   "expression", op->text);
        if ((st = reduce_binop(p, op, out, &r, line, col)) != VT_OK)
            return st;
    }
    return VT_OK;
}

/* ---- relations and boolean expressions ---- */

typedef struct relop {
    vt_tok tok;
    uint16_t op;
    int strings_only;
    const char *text;
} relop;

static const relop relops[] = {
    {T_LT, VT_OP_LT, 0, "<"}, {T_LE, VT_OP_LE, 0, "<="}, {T_GT, VT_OP_GT, 0, ">"},
    {T_GE, VT_OP_GE, 0, ">="}, {T_EQ, VT_OP_EQ, 0, "=="}, {T_NE, VT_OP_NE, 0, "!="},
    {T_CONTAINS, VT_OP_CONTAINS, 1, "contains"}, {T_ICONTAINS, VT_OP_ICONTAINS, 1, "icontains"},
    {T_STARTSWITH, VT_OP_STARTSWITH, 1, "startswith"},
    {T_ISTARTSWITH, VT_OP_ISTARTSWITH, 1, "istartswith"},
    {T_ENDSWITH, VT_OP_ENDSWITH, 1, "endswith"}, {T_IENDSWITH, VT_OP_IENDSWITH, 1, "iendswith"},
    {T_IEQUALS, VT_OP_IEQUALS, 1, "iequals"},
};

static vt_status parse_relation(vt_parser *p, vt_expr *out)
{
    vt_status st;
    uint32_t n;
    unsigned line = p->tok.line, col = p->tok.col;
    switch (p->tok.kind) {
    case T_TRUE:
    case T_FALSE:
        st = emit(p, VT_OP_CONST_BOOL, VT_TYPE_BOOL, 0, VT_NONE, VT_NONE, VT_NONE,
                  p->tok.kind == T_TRUE, &n);
        if (st == VT_OK)
            expr_init(out, n, VT_TYPE_BOOL, false);
        return st == VT_OK ? vt_parser_advance(p) : st;
    case T_STRING_ID:
        return parse_string_match(p, out);
    case T_FOR:
        return parse_for(p, out);
    case T_ALL:
    case T_ANY:
    case T_NONE: {
        uint32_t quant;
        if ((st = quant_keyword(p, &quant)) != VT_OK)
            return st;
        return parse_of(p, quant, out);
    }
    default:
        break;
    }
    if ((st = parse_arith(p, 0, out)) != VT_OK)
        return st;
    if (!out->primary)
        return VT_OK;
    if (p->tok.kind == T_PERCENT) { /* N% of */
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        if (out->type != VT_TYPE_INT)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for %% operator",
                                   type_name(out->type));
        if (out->type == VT_TYPE_INT) {
            /* yara checks percentages it can fold to a constant */
            if (yara_known(out) && (out->value < 1 || out->value > 100))
                return vt_parser_error(p, line, col,
                                       "percentage must be between 1 and 100 (inclusive)");
        }
        uint32_t quant;
        if ((st = emit(p, VT_OP_QUANT, VT_TYPE_INT, VT_QUANT_PERCENT, out->node, VT_NONE, VT_NONE,
                       0, &quant)) != VT_OK)
            return st;
        return parse_of(p, quant, out);
    }
    if (p->tok.kind == T_OF) {
        uint32_t quant;
        if ((st = emit(p, VT_OP_QUANT, VT_TYPE_INT, VT_QUANT_COUNT, out->node, VT_NONE, VT_NONE,
                       0, &quant)) != VT_OK)
            return st;
        return parse_of(p, quant, out);
    }
    if (p->tok.kind == T_MATCHES) {
        line = p->tok.line;
        col = p->tok.col;
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        if (p->tok.kind != T_REGEX)
            return vt_parser_unexpected(p, "regular expression");
        if (out->type != VT_TYPE_STRING)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for matches operator",
                                   type_name(out->type));
        char msg[256];
        unsigned off = 0;
        if (!vt_rules_check_regex(p->tok.text, p->tok.text_len, p->tok.regex_flags, msg, sizeof msg,
                                  &off))
            return vt_parser_error(p, p->tok.text_line, p->tok.text_col + (off ? off - 1 : 0),
                                   "invalid regular expression: %s", msg);
        uint32_t re;
        if ((st = vt_parser_emit_str(p, VT_OP_CONST_REGEX, VT_TYPE_REGEX,
                                     (uint8_t)p->tok.regex_flags, VT_NONE, VT_NONE, VT_NONE,
                                     p->tok.text, p->tok.text_len, &re)) != VT_OK)
            return st;
        if ((st = emit(p, VT_OP_MATCHES, VT_TYPE_BOOL, 0, out->node, re, VT_NONE, 0, &n)) != VT_OK)
            return st;
        expr_init(out, n, VT_TYPE_BOOL, false);
        return vt_parser_advance(p);
    }
    const relop *op = NULL;
    for (size_t i = 0; i < sizeof relops / sizeof relops[0]; i++)
        if (relops[i].tok == p->tok.kind)
            op = &relops[i];
    if (!op)
        return VT_OK;
    line = p->tok.line;
    col = p->tok.col;
    if ((st = vt_parser_advance(p)) != VT_OK)
        return st;
    vt_expr r;
    if ((st = parse_arith(p, 0, &r)) != VT_OK)
        return st;
    if (!r.primary)
        return vt_parser_error(p, line, col, "syntax error, operand of %s is a boolean expression",
                               op->text);
    uint8_t flags;
    if (op->strings_only) {
        if (out->type != VT_TYPE_STRING)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for %s operator",
                                   type_name(out->type), op->text);
        if (r.type != VT_TYPE_STRING)
            return vt_parser_error(p, line, col, "wrong type \"%s\" for %s operator",
                                   type_name(r.type), op->text);
        flags = VT_TYPE_STRING;
    } else if (numeric(out->type) && numeric(r.type)) {
        flags = VT_TYPE_INT;
        if (out->type == VT_TYPE_FLOAT || r.type == VT_TYPE_FLOAT) {
            if ((st = to_float(p, out)) != VT_OK || (st = to_float(p, &r)) != VT_OK)
                return st;
            flags = VT_TYPE_FLOAT;
        }
    } else if (out->type == VT_TYPE_STRING && r.type == VT_TYPE_STRING) {
        flags = VT_TYPE_STRING;
    } else {
        return vt_parser_error(p, line, col, "type mismatch");
    }
    if ((st = emit(p, op->op, VT_TYPE_BOOL, flags, out->node, r.node, VT_NONE, 0, &n)) != VT_OK)
        return st;
    expr_init(out, n, VT_TYPE_BOOL, false);
    return VT_OK;
}

static vt_status parse_not(vt_parser *p, vt_expr *out)
{
    vt_status st;
    if (p->tok.kind == T_NOT || p->tok.kind == T_DEFINED) {
        uint16_t op = p->tok.kind == T_NOT ? VT_OP_NOT : VT_OP_DEFINED;
        if (++p->expr_depth > VT_MAX_EXPR_DEPTH)
            return vt_parser_error(p, p->tok.line, p->tok.col, TOO_DEEP);
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        unsigned line = p->tok.line, col = p->tok.col;
        if ((st = parse_not(p, out)) != VT_OK || (st = as_bool(p, out, line, col)) != VT_OK)
            return st;
        p->expr_depth--;
        uint32_t n;
        if ((st = emit(p, op, VT_TYPE_BOOL, 0, out->node, VT_NONE, VT_NONE, 0, &n)) != VT_OK)
            return st;
        expr_init(out, n, VT_TYPE_BOOL, false);
        return VT_OK;
    }
    return parse_relation(p, out);
}

/* `and` binds tighter than `or`; both chain left to right over boolean operands (an operand
 * that is not boolean is converted, with yara's warnings). */
static vt_status parse_logical_chain(vt_parser *p, vt_expr *out, bool is_or)
{
    vt_status st;
    unsigned line = p->tok.line, col = p->tok.col;
    if ((st = is_or ? parse_logical_chain(p, out, false) : parse_not(p, out)) != VT_OK)
        return st;
    bool converted = false;
    while (p->tok.kind == (is_or ? T_OR : T_AND)) {
        if (!converted && (st = as_bool(p, out, line, col)) != VT_OK)
            return st;
        converted = true;
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        line = p->tok.line;
        col = p->tok.col;
        vt_expr r;
        if ((st = is_or ? parse_logical_chain(p, &r, false) : parse_not(p, &r)) != VT_OK ||
            (st = as_bool(p, &r, line, col)) != VT_OK)
            return st;
        uint32_t n;
        if ((st = emit(p, is_or ? VT_OP_OR : VT_OP_AND, VT_TYPE_BOOL, 0, out->node, r.node,
                       VT_NONE, 0, &n)) != VT_OK)
            return st;
        expr_init(out, n, VT_TYPE_BOOL, false);
    }
    return VT_OK;
}

static vt_status parse_bool(vt_parser *p, vt_expr *out)
{
    return parse_logical_chain(p, out, true);
}

vt_status vt_parse_condition(vt_parser *p, uint32_t *root)
{
    unsigned line = p->tok.line, col = p->tok.col;
    vt_expr e;
    p->loop_depth = 0;
    p->for_of_depth = 0;
    p->expr_depth = 0;
    vt_status st = parse_bool(p, &e);
    if (st == VT_OK)
        st = as_bool(p, &e, line, col);
    if (st == VT_OK)
        *root = e.node;
    return st;
}
