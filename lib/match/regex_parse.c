/* regex_parse.c: yara's regular-expression dialect parsed into a syntax tree with yara 4.2.3's
 * restrictions and error messages (libyara re_lexer.l / re_grammar.y): no backreferences, no
 * (?...) groups, {n,m} bounds up to RE_MAX_RANGE, quantifiers only after an atom. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "yara_code.h"

enum {
    T_EOF, T_CHAR, T_CLASS, T_ANY, T_LPAREN, T_RPAREN, T_BAR, T_STAR, T_PLUS, T_QMARK, T_RANGE,
    T_BOL, T_EOL, T_WB, T_NWB, T_ERR,
};

#define MAX_DEPTH 1000

typedef struct re_parser {
    const unsigned char *text;
    size_t len, pos;
    vt_error *err;
    vt_status status;
    bool failed;
    unsigned depth;
    int tok;
    size_t tok_pos;
    uint8_t value;
    uint8_t set[32];
    bool set_negated; /* [^...]: set holds the complement (nocase folds before negating) */
    int lo, hi;
    size_t first_greedy, first_lazy; /* 1-based positions of the first quantifier of each kind */
} re_parser;

static void fail_at(re_parser *p, size_t pos, vt_status status, const char *message)
{
    if (p->failed)
        return;
    p->failed = true;
    p->status = status;
    p->tok = T_ERR;
    vt_error_at(p->err, status, NULL, 0, (unsigned)(pos + 1), "%s", message);
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int peek(const re_parser *p, size_t at)
{
    return at < p->len ? p->text[at] : -1;
}

/* The value of the escape starting at p->pos (which holds the backslash); advances past it.
 * Returns -1 after reporting an error. */
static int escaped_value(re_parser *p)
{
    size_t start = p->pos;
    int c = peek(p, p->pos + 1);
    if (c < 0) {
        fail_at(p, start, VT_ERR_SYNTAX, "illegal escape sequence");
        return -1;
    }
    p->pos += 2;
    switch (c) {
    case 'x': {
        int h = hex_digit(peek(p, p->pos)), l = hex_digit(peek(p, p->pos + 1));
        if (h < 0 || l < 0) {
            fail_at(p, start, VT_ERR_SYNTAX, "illegal escape sequence");
            return -1;
        }
        p->pos += 2;
        return h << 4 | l;
    }
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'a': return '\a';
    default: return c;
    }
}

static bool class_shorthand(int c, uint8_t *set)
{
    uint8_t tmp[32] = {0};
    switch (c) {
    case 'w': case 'W': vt_set_word(tmp); break;
    case 's': case 'S': vt_set_space(tmp); break;
    case 'd': case 'D': vt_set_digit(tmp); break;
    default: return false;
    }
    bool negate = c == 'W' || c == 'S' || c == 'D';
    for (int i = 0; i < 32; i++)
        set[i] |= negate ? (uint8_t)~tmp[i] : tmp[i];
    return true;
}

/* One class member that can start or end a range: a plain byte or an escape. Sets *is_escape
 * for escapes. Returns -1 on error. */
static int class_item(re_parser *p)
{
    int c = peek(p, p->pos);
    if (c == '\\')
        return escaped_value(p);
    if (c < 32 || c >= 127) {
        fail_at(p, p->pos, VT_ERR_SYNTAX, "non-ascii character");
        return -1;
    }
    p->pos++;
    return c;
}

static void lex_class(re_parser *p)
{
    size_t start = p->pos;
    bool negated = false;
    memset(p->set, 0, sizeof p->set);
    p->pos++;
    if (peek(p, p->pos) == '^') {
        negated = true;
        p->pos++;
    }
    if (peek(p, p->pos) == ']') {
        vt_set_add(p->set, ']');
        p->pos++;
    }
    for (;;) {
        int c = peek(p, p->pos);
        if (c < 0) {
            fail_at(p, start, VT_ERR_SYNTAX, "missing terminating ] for character class");
            return;
        }
        if (c == ']') {
            p->pos++;
            break;
        }
        /* A range: (escape | byte) '-' (escape | byte other than ']'). */
        size_t save = p->pos;
        size_t item_len = c == '\\' ? (peek(p, p->pos + 1) == 'x' ? 4 : 2) : 1;
        if (peek(p, save + item_len) == '-' && peek(p, save + item_len + 1) >= 0 &&
            peek(p, save + item_len + 1) != ']') {
            int lo = class_item(p);
            if (lo < 0)
                return;
            p->pos++; /* '-' */
            size_t end_pos = p->pos;
            int hi = class_item(p);
            if (hi < 0)
                return;
            if (hi < lo) {
                fail_at(p, end_pos, VT_ERR_SYNTAX, "bad character range");
                return;
            }
            for (int b = lo; b <= hi; b++)
                vt_set_add(p->set, (unsigned)b);
            continue;
        }
        if (c == '\\' && class_shorthand(peek(p, p->pos + 1), p->set)) {
            p->pos += 2;
            continue;
        }
        int v = class_item(p);
        if (v < 0)
            return;
        vt_set_add(p->set, (unsigned)v);
    }
    if (negated)
        for (int i = 0; i < 32; i++)
            p->set[i] = (uint8_t)~p->set[i];
    p->set_negated = negated;
    p->tok = T_CLASS;
}

/* {n,m} {,m} {n,} {,} {n}: returns true when the text at pos is a repeat range. */
static bool lex_range(re_parser *p)
{
    size_t q = p->pos + 1;
    long lo = 0, hi = 0;
    bool lo_digits = false, hi_digits = false, comma = false;
    while (peek(p, q) >= '0' && peek(p, q) <= '9') {
        if (lo < 1000000)
            lo = lo * 10 + (peek(p, q) - '0');
        lo_digits = true;
        q++;
    }
    if (peek(p, q) == ',') {
        comma = true;
        q++;
        while (peek(p, q) >= '0' && peek(p, q) <= '9') {
            if (hi < 1000000)
                hi = hi * 10 + (peek(p, q) - '0');
            hi_digits = true;
            q++;
        }
    }
    if (peek(p, q) != '}' || (!comma && !lo_digits))
        return false;
    size_t start = p->pos;
    p->pos = q + 1;
    if (!comma)
        hi = lo;
    else if (!hi_digits)
        hi = VT_RE_MAX_RANGE;
    if (hi > VT_RE_MAX_RANGE || (!comma && lo > VT_RE_MAX_RANGE)) {
        fail_at(p, start, VT_ERR_SYNTAX, "repeat interval too large");
        return true;
    }
    if (hi < lo || hi == 0) {
        fail_at(p, start, VT_ERR_SYNTAX, "bad repeat interval");
        return true;
    }
    p->lo = (int)lo;
    p->hi = (int)hi;
    p->tok = T_RANGE;
    return true;
}

static void next(re_parser *p)
{
    if (p->failed)
        return;
    p->tok_pos = p->pos;
    int c = peek(p, p->pos);
    if (c < 0) {
        p->tok = T_EOF;
        return;
    }
    switch (c) {
    case '^': p->pos++; p->tok = T_BOL; return;
    case '$': p->pos++; p->tok = T_EOL; return;
    case '(': p->pos++; p->tok = T_LPAREN; return;
    case ')': p->pos++; p->tok = T_RPAREN; return;
    case '|': p->pos++; p->tok = T_BAR; return;
    case '.': p->pos++; p->tok = T_ANY; return;
    case '*': p->pos++; p->tok = T_STAR; return;
    case '+': p->pos++; p->tok = T_PLUS; return;
    case '?': p->pos++; p->tok = T_QMARK; return;
    case '[': lex_class(p); return;
    case '{':
        if (lex_range(p))
            return;
        break;
    case '\\': {
        int e = peek(p, p->pos + 1);
        if (e >= '0' && e <= '9') {
            fail_at(p, p->pos, VT_ERR_SYNTAX, "backreferences are not allowed");
            return;
        }
        if (e == 'b' || e == 'B') {
            p->pos += 2;
            p->tok = e == 'b' ? T_WB : T_NWB;
            return;
        }
        memset(p->set, 0, sizeof p->set);
        if (class_shorthand(e, p->set)) {
            p->pos += 2;
            p->set_negated = false;
            p->tok = T_CLASS;
            return;
        }
        int v = escaped_value(p);
        if (v < 0)
            return;
        p->value = (uint8_t)v;
        p->tok = T_CHAR;
        return;
    }
    default:
        break;
    }
    p->pos++;
    p->value = (uint8_t)c;
    p->tok = T_CHAR;
}

static vt_node *oom(re_parser *p, vt_node *node)
{
    vt_node_free(node);
    fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
    return NULL;
}

static vt_node *parse_alternative(re_parser *p);

static vt_node *parse_single(re_parser *p)
{
    vt_node *n = NULL;
    switch (p->tok) {
    case T_LPAREN: {
        if (++p->depth > MAX_DEPTH) {
            fail_at(p, p->tok_pos, VT_ERR_LIMIT, "regular expression is too complex");
            return NULL;
        }
        next(p);
        n = parse_alternative(p);
        if (!n)
            return NULL;
        if (p->tok != T_RPAREN) {
            vt_node_free(n);
            fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
            return NULL;
        }
        p->depth--;
        n->grouped = true;
        next(p);
        return n;
    }
    case T_ANY:
        n = vt_node_new(VT_NODE_ANY);
        break;
    case T_CHAR:
        n = vt_node_new(VT_NODE_LITERAL);
        if (n)
            n->value = p->value;
        break;
    case T_CLASS:
        n = vt_node_new(VT_NODE_CLASS);
        if (n) {
            memcpy(n->set, p->set, sizeof n->set);
            n->negated = p->set_negated;
        }
        break;
    default:
        fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
        return NULL;
    }
    if (!n)
        return oom(p, NULL);
    next(p);
    return n;
}

static vt_node *parse_repeat(re_parser *p)
{
    vt_node_kind assertion;
    switch (p->tok) {
    case T_BOL: assertion = VT_NODE_ANCHOR_START; goto assert;
    case T_EOL: assertion = VT_NODE_ANCHOR_END; goto assert;
    case T_WB: assertion = VT_NODE_WORD_BOUNDARY; goto assert;
    case T_NWB: assertion = VT_NODE_NON_WORD_BOUNDARY; goto assert;
    default: break;
    }
    vt_node *single = parse_single(p);
    if (!single)
        return NULL;
    int min, max;
    switch (p->tok) {
    case T_STAR: min = 0; max = -1; break;
    case T_PLUS: min = 1; max = -1; break;
    case T_QMARK: min = 0; max = 1; break;
    case T_RANGE: min = p->lo; max = p->hi; break;
    default: return single;
    }
    size_t quant_pos = p->tok_pos;
    next(p);
    vt_node *rep = vt_node_new(VT_NODE_REPEAT);
    if (!rep)
        return oom(p, single);
    rep->min = min;
    rep->max = max;
    if (p->tok == T_QMARK) {
        rep->greedy = false;
        next(p);
    }
    size_t *first = rep->greedy ? &p->first_greedy : &p->first_lazy;
    if (!*first)
        *first = quant_pos + 1;
    if (!vt_node_add(rep, single))
        return oom(p, rep);
    return rep;
assert:;
    vt_node *a = vt_node_new(assertion);
    if (!a)
        return oom(p, NULL);
    next(p);
    return a;
}

static bool starts_repeat(int tok)
{
    return tok == T_LPAREN || tok == T_ANY || tok == T_CHAR || tok == T_CLASS || tok == T_BOL ||
           tok == T_EOL || tok == T_WB || tok == T_NWB;
}

static vt_node *parse_concat(re_parser *p)
{
    if (!starts_repeat(p->tok)) {
        fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
        return NULL;
    }
    vt_node *seq = vt_node_new(VT_NODE_CONCAT);
    if (!seq)
        return oom(p, NULL);
    while (!p->failed && starts_repeat(p->tok)) {
        vt_node *r = parse_repeat(p);
        if (!r) {
            vt_node_free(seq);
            return NULL;
        }
        if (!vt_node_add(seq, r))
            return oom(p, seq);
    }
    if (p->failed) {
        vt_node_free(seq);
        return NULL;
    }
    if (seq->nkids == 1) {
        vt_node *only = seq->kids[0];
        seq->nkids = 0;
        vt_node_free(seq);
        return only;
    }
    return seq;
}

static vt_node *parse_alternative(re_parser *p)
{
    vt_node *first = parse_concat(p);
    if (!first)
        return NULL;
    if (p->tok != T_BAR)
        return first;
    vt_node *alt = vt_node_new(VT_NODE_ALT);
    if (!alt || !vt_node_add(alt, first))
        return oom(p, alt ? alt : first);
    while (p->tok == T_BAR) {
        next(p);
        vt_node *branch;
        if (p->tok == T_BAR || p->tok == T_RPAREN || p->tok == T_EOF)
            branch = vt_node_new(VT_NODE_EMPTY);
        else if (!(branch = parse_concat(p))) {
            vt_node_free(alt);
            return NULL;
        }
        if (!vt_node_add(alt, branch))
            return oom(p, alt);
    }
    if (p->failed) {
        vt_node_free(alt);
        return NULL;
    }
    return alt;
}

vt_status vt_pattern_parse_regex(const char *text, size_t len, unsigned flags, vt_pattern **out,
                                 vt_error *err)
{
    *out = NULL;
    re_parser p = {.text = (const unsigned char *)text, .len = len, .err = err};
    next(&p);
    vt_node *root = p.failed ? NULL : parse_alternative(&p);
    if (root && !p.failed && p.tok != T_EOF)
        fail_at(&p, p.tok_pos, VT_ERR_SYNTAX, "syntax error");
    if (p.failed || !root) {
        vt_node_free(root);
        if (!p.failed)
            fail_at(&p, p.tok_pos, VT_ERR_SYNTAX, "syntax error");
        return p.status;
    }
    if (p.first_greedy && p.first_lazy) {
        /* yara checks this after parsing and reports it without the "invalid regular
         * expression" prefix. */
        vt_node_free(root);
        size_t at = p.first_greedy > p.first_lazy ? p.first_greedy : p.first_lazy;
        return vt_error_at(err, VT_ERR_SYNTAX, NULL, 0, (unsigned)at,
                           "greedy and ungreedy quantifiers can't be mixed in a regular "
                           "expression");
    }
    vt_pattern *pat = calloc(1, sizeof *pat);
    if (!pat) {
        vt_node_free(root);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    pat->root = root;
    pat->flags = flags & (VT_REGEX_NOCASE | VT_REGEX_DOTALL);
    if (vt_yara_code_too_complex(pat)) {
        vt_pattern_free(pat);
        return vt_error_at(err, VT_ERR_LIMIT, NULL, 0, 1, "regular expression is too complex");
    }
    *out = pat;
    return VT_OK;
}
