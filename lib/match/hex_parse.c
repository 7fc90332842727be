/* hex_parse.c: yara's hex-string language ({ 4D 5A ?? [2-4] ( 00 | F? ) }) parsed into a syntax
 * tree with yara 4.2.3's restrictions and error messages (libyara hex_lexer.l / hex_grammar.y),
 * plus YARA 4.3's `~` byte negation. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "atoms.h"
#include "yara_code.h"

enum { TOK_EOF, TOK_BYTE, TOK_LPAREN, TOK_RPAREN, TOK_BAR, TOK_LBRACK, TOK_RBRACE, TOK_OTHER };

typedef struct hex_parser {
    const char *text;
    size_t len, pos;
    vt_error *err;
    vt_node_pool *pool; /* the nodes */
    int inside_or;
    int tokens;
    bool failed;
    vt_status status;
    /* current token */
    int tok;
    size_t tok_pos;
    uint8_t value, mask;
    bool negated;
} hex_parser;

/* What a character is in a byte token: a hex digit (its value plus one), the wildcard '?'
 * (HEX_WILD), or neither (0). One lookup per character: hex strings of thousands of bytes are
 * parsed twice per compile (checked by the compiler, then factored for the matcher). */
enum { HEX_WILD = 17 };
static const uint8_t hex_class[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    ['?'] = HEX_WILD,
};

static void fail_at(hex_parser *p, size_t pos, vt_status status, const char *message)
{
    if (p->failed)
        return;
    p->failed = true;
    p->status = status;
    vt_error_at(p->err, status, NULL, 0, (unsigned)(pos + 1), "%s", message);
}

static bool is_space(char c)
{
    /* the first test sends away digits and wildcards, which is what it is mostly asked */
    return (unsigned char)c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

static void skip_space(hex_parser *p)
{
    for (;;) {
        while (p->pos < p->len && is_space(p->text[p->pos]))
            p->pos++;
        if (p->pos + 1 >= p->len || p->text[p->pos] != '/')
            return;
        if (p->text[p->pos + 1] == '/') {
            while (p->pos < p->len && p->text[p->pos] != '\n')
                p->pos++;
            continue;
        }
        if (p->text[p->pos + 1] == '*') {
            size_t q = p->pos + 2;
            while (q + 1 < p->len && !(p->text[q] == '*' && p->text[q + 1] == '/'))
                q++;
            if (q + 1 >= p->len)
                return; /* unterminated comment: left as a syntax error */
            p->pos = q + 2;
            continue;
        }
        return;
    }
}

/* Read one byte token (XX, X?, ?X, ??, optionally preceded by ~) or punctuation. */
static void next_other(hex_parser *p, size_t q);

static inline void next(hex_parser *p)
{
    /* The common case first, inline: blanks, then two hex digits or wildcards. skip_space would
     * stop at the same place (neither is '/'), and next_other would read the same byte. */
    size_t q = p->pos;
    while (q < p->len && is_space(p->text[q]))
        q++;
    if (q + 1 < p->len) {
        unsigned high = hex_class[(unsigned char)p->text[q]];
        unsigned low = hex_class[(unsigned char)p->text[q + 1]];
        if (high && low) {
            p->tok_pos = q;
            p->negated = false;
            p->value = (uint8_t)((high == HEX_WILD ? 0 : (high - 1) << 4) |
                                 (low == HEX_WILD ? 0 : low - 1));
            p->mask = (uint8_t)((high == HEX_WILD ? 0 : 0xF0) | (low == HEX_WILD ? 0 : 0x0F));
            p->pos = q + 2;
            p->tok = TOK_BYTE;
            return;
        }
    }
    next_other(p, q);
}

/* next() for everything but a byte token after blanks. */
static void next_other(hex_parser *p, size_t q)
{
    p->pos = q;
    skip_space(p);
    p->tok_pos = p->pos;
    p->negated = false;
    if (p->pos >= p->len) {
        p->tok = TOK_EOF;
        return;
    }
    char c = p->text[p->pos];
    if (c == '~') {
        p->negated = true;
        p->pos++;
        c = p->pos < p->len ? p->text[p->pos] : 0;
        if (!hex_class[(unsigned char)c]) {
            fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
            p->tok = TOK_OTHER;
            return;
        }
    }
    unsigned high = hex_class[(unsigned char)c];
    if (high) {
        unsigned low = p->pos + 1 < p->len ? hex_class[(unsigned char)p->text[p->pos + 1]] : 0;
        if (!low) {
            fail_at(p, p->pos, VT_ERR_SYNTAX,
                    c == '?' ? "syntax error" : "uneven number of digits in hex string");
            p->tok = TOK_OTHER;
            return;
        }
        p->value = (uint8_t)((high == HEX_WILD ? 0 : (high - 1) << 4) |
                             (low == HEX_WILD ? 0 : low - 1));
        p->mask = (uint8_t)((high == HEX_WILD ? 0 : 0xF0) | (low == HEX_WILD ? 0 : 0x0F));
        if (p->negated && p->mask == 0) {
            fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
            p->tok = TOK_OTHER;
            return;
        }
        p->pos += 2;
        p->tok = TOK_BYTE;
        return;
    }
    p->pos++;
    switch (c) {
    case '(': p->tok = TOK_LPAREN; return;
    case ')': p->tok = TOK_RPAREN; return;
    case '|': p->tok = TOK_BAR; return;
    case '[': p->tok = TOK_LBRACK; return;
    case '}': p->tok = TOK_RBRACE; return;
    default: p->tok = TOK_OTHER; return;
    }
}

/* Inside [...]: numbers, '-', ']' and whitespace. Returns the next range character or a
 * number (as 'n' with *number set). */
static int range_next(hex_parser *p, long long *number, size_t *where)
{
    while (p->pos < p->len && is_space(p->text[p->pos]))
        p->pos++;
    *where = p->pos;
    if (p->pos >= p->len)
        return 0;
    char c = p->text[p->pos];
    if (c >= '0' && c <= '9') {
        /* yara's hex lexer reads a jump number with atoi: strtol saturates at LLONG_MAX and
         * the result keeps its low 32 bits, so 2147483648 is -2147483648 (an "invalid negative
         * jump length"), 4294967296 is 0 and 4294967297 is 1. */
        unsigned long long v = 0;
        while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9') {
            unsigned digit = (unsigned)(p->text[p->pos] - '0');
            v = v > ((unsigned long long)LLONG_MAX - digit) / 10 ? (unsigned long long)LLONG_MAX
                                                                  : v * 10 + digit;
            p->pos++;
        }
        *number = (int32_t)(uint32_t)(v & 0xFFFFFFFFu);
        return 'n';
    }
    if (c == '-' || c == ']') {
        p->pos++;
        return c;
    }
    fail_at(p, p->pos, VT_ERR_SYNTAX, "invalid character in hex string jump");
    return 0;
}

/* Whether a jump is a ?? for yara's hex grammar: [1] is (its atoms run through it: the atom of
 * { 6? [1] 5F 43 } is all four bytes, and the string is slow), [1-1] is a jump (one that breaks
 * atoms: { 6? [1-1] 5F 43 } is searched by 5F 43 and is not slow). `dash`: written with one. */
static bool jump_is_any_byte(bool dash, long min)
{
    return !dash && min == 1;
}

static vt_node *parse_range(hex_parser *p)
{
    long long lo = 0, hi = 0;
    size_t where;
    int t = range_next(p, &lo, &where);
    bool has_lo = false, has_hi = false, dash = false;
    if (t == 'n') {
        has_lo = true;
        t = range_next(p, &lo, &where);
        (void)0;
    }
    if (t == '-') {
        dash = true;
        long long v = 0;
        t = range_next(p, &v, &where);
        if (t == 'n') {
            if (!has_lo) {
                fail_at(p, where, VT_ERR_SYNTAX, "syntax error");
                return NULL;
            }
            hi = v;
            has_hi = true;
            t = range_next(p, &v, &where);
        }
    }
    if (p->failed)
        return NULL;
    if (t != ']' || (!has_lo && !dash)) {
        fail_at(p, where, VT_ERR_SYNTAX, "syntax error");
        return NULL;
    }
    size_t at = where;
    int min, max;
    if (!dash) {
        if (lo <= 0) {
            fail_at(p, at, VT_ERR_SYNTAX, "invalid jump length");
            return NULL;
        }
        if (p->inside_or && lo > VT_STRING_CHAINING_THRESHOLD) {
            fail_at(p, at, VT_ERR_SYNTAX, "jumps over 200 not allowed inside alternation (|)");
            return NULL;
        }
        min = max = (int)lo;
    } else if (has_hi) {
        if (p->inside_or &&
            (lo > VT_STRING_CHAINING_THRESHOLD || hi > VT_STRING_CHAINING_THRESHOLD)) {
            fail_at(p, at, VT_ERR_SYNTAX, "jumps over 200 not allowed inside alternation (|)");
            return NULL;
        }
        if (lo < 0 || hi < 0) {
            fail_at(p, at, VT_ERR_SYNTAX, "invalid negative jump length");
            return NULL;
        }
        if (lo > hi) {
            fail_at(p, at, VT_ERR_SYNTAX, "invalid jump range");
            return NULL;
        }
        min = (int)lo;
        max = (int)hi;
    } else {
        if (p->inside_or) {
            fail_at(p, at, VT_ERR_SYNTAX, "unbounded jumps not allowed inside alternation (|)");
            return NULL;
        }
        if (lo < 0) {
            fail_at(p, at, VT_ERR_SYNTAX, "invalid negative jump length");
            return NULL;
        }
        min = has_lo ? (int)lo : 0;
        max = -1;
    }
    vt_node *any = vt_node_new_pooled(&p->pool, VT_NODE_ANY);
    if (any && jump_is_any_byte(dash, min)) {
        any->any_all = true;
        next(p);
        return any;
    }
    vt_node *rep = vt_node_new_pooled(&p->pool, VT_NODE_REPEAT);
    if (!any || !rep) {
        vt_node_free(any);
        vt_node_free(rep);
        fail_at(p, at, VT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    any->any_all = true;
    rep->min = min;
    rep->max = max;
    rep->greedy = false;
    rep->hex_jump = true;
    if (!vt_node_add(rep, any)) {
        vt_node_free(rep);
        fail_at(p, at, VT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    next(p);
    return rep;
}

static vt_node *parse_tokens(hex_parser *p);

/* The node of the current byte token (inline: most of a hex string is byte tokens). */
static inline vt_node *byte_token(hex_parser *p)
{
    if (++p->tokens > 10000) {
        fail_at(p, p->tok_pos, VT_ERR_LIMIT, "string too long");
        return NULL;
    }
    vt_node *n;
    if (p->mask == 0) {
        n = vt_node_new_pooled(&p->pool, VT_NODE_ANY);
        if (n)
            n->any_all = true;
    } else {
        n = vt_node_new_pooled(&p->pool, p->mask == 0xFF ? VT_NODE_LITERAL : VT_NODE_MASKED);
        if (n) {
            n->value = p->value;
            n->mask = p->mask;
            n->negated = p->negated;
        }
    }
    if (!n) {
        fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    next(p);
    return n;
}

/* token: byte | '(' alternatives ')' */
static vt_node *parse_token(hex_parser *p)
{
    if (p->tok == TOK_BYTE)
        return byte_token(p);
    if (p->tok == TOK_LPAREN) {
        next(p);
        p->inside_or++;
        vt_node *alt = vt_node_new_pooled(&p->pool, VT_NODE_ALT);
        if (!alt) {
            fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
            return NULL;
        }
        for (;;) {
            vt_node *seq = parse_tokens(p);
            if (!seq) {
                vt_node_free(alt);
                return NULL;
            }
            if (!vt_node_add(alt, seq)) {
                vt_node_free(alt);
                fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
                return NULL;
            }
            if (p->tok == TOK_BAR) {
                next(p);
                continue;
            }
            break;
        }
        if (p->tok != TOK_RPAREN) {
            vt_node_free(alt);
            fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
            return NULL;
        }
        p->inside_or--;
        next(p);
        if (alt->nkids == 1) {
            vt_node *only = alt->kids[0];
            alt->nkids = 0;
            vt_node_free(alt);
            return only;
        }
        return alt;
    }
    fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
    return NULL;
}

/* tokens: token (token | range)* with the last item a token. */
static vt_node *parse_tokens(hex_parser *p)
{
    vt_node *seq = vt_node_new_pooled(&p->pool, VT_NODE_CONCAT);
    if (!seq) {
        fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    vt_node *first = parse_token(p);
    if (!first || !vt_node_add(seq, first)) {
        if (!p->failed)
            fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
        vt_node_free(seq);
        return NULL;
    }
    bool last_is_range = false;
    while (!p->failed && (p->tok == TOK_BYTE || p->tok == TOK_LPAREN || p->tok == TOK_LBRACK)) {
        vt_node *item = p->tok == TOK_BYTE     ? byte_token(p)
                      : p->tok == TOK_LBRACK ? parse_range(p)
                                             : parse_token(p);
        if (!item) {
            vt_node_free(seq);
            return NULL;
        }
        last_is_range = item->kind == VT_NODE_REPEAT;
        if (!vt_node_add(seq, item)) {
            fail_at(p, p->tok_pos, VT_ERR_NOMEM, "out of memory");
            vt_node_free(seq);
            return NULL;
        }
    }
    if (p->failed || last_is_range) {
        fail_at(p, p->tok_pos, VT_ERR_SYNTAX, "syntax error");
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

vt_status vt_pattern_parse_hex(const char *text, size_t len, vt_pattern **out, vt_error *err)
{
    *out = NULL;
    hex_parser p = {.text = text, .len = len, .err = err};
    skip_space(&p);
    bool braces = p.pos < len && text[p.pos] == '{';
    if (braces)
        p.pos++;
    next(&p);
    vt_node *root = p.failed ? NULL : parse_tokens(&p);
    if (root && !p.failed) {
        if (braces) {
            if (p.tok != TOK_RBRACE)
                fail_at(&p, p.tok_pos, VT_ERR_SYNTAX, "syntax error");
            else
                next(&p);
        }
        if (!p.failed && p.tok != TOK_EOF)
            fail_at(&p, p.tok_pos, VT_ERR_SYNTAX, "syntax error");
    } else if (!p.failed) {
        fail_at(&p, p.tok_pos, VT_ERR_SYNTAX, "syntax error");
    }
    if (p.failed) {
        vt_node_free(root);
        vt_node_pool_free(p.pool);
        return p.status;
    }
    vt_pattern *pat = calloc(1, sizeof *pat);
    if (!pat) {
        vt_node_free(root);
        vt_node_pool_free(p.pool);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    pat->root = root;
    pat->pool = p.pool;
    pat->is_hex = true;
    pat->flags = VT_REGEX_DOTALL;
    if (vt_yara_code_too_complex(pat)) {
        vt_pattern_free(pat);
        return vt_error_at(err, VT_ERR_LIMIT, NULL, 0, 1, "regular expression is too complex");
    }
    *out = pat;
    return VT_OK;
}

/* A jump's number as the fast check reads it: at most 9 digits (no wrapping to check). */
static bool flat_number(const char *text, size_t len, size_t *pos, int *out)
{
    size_t q = *pos;
    int v = 0;
    while (q < len && text[q] >= '0' && text[q] <= '9' && q - *pos < 9)
        v = v * 10 + (text[q++] - '0');
    if (q == *pos || (q < len && text[q] >= '0' && text[q] <= '9'))
        return false;
    *pos = q;
    *out = v;
    return true;
}

/* The items of a hex string in the common form: bytes (XX, X?, ??, ~XX) and jumps outside any
 * alternative, blanks between them, braces or none; *count of them in a malloc'd array. false
 * for anything else, valid or not (alternatives, comments, a syntax error, more than 10000
 * bytes, long numbers), which vt_pattern_parse_hex then reads; a string taken here is one it
 * accepts as the same sequence. */
static bool flat_items(const char *text, size_t len, vt_hex_item **out, size_t *count)
{
    size_t pos = 0, n = 0, bytes = 0;
    /* every item takes at least two characters (XX, ~XX, [N]): one allocation */
    vt_hex_item *items = malloc((len / 2 + 1) * sizeof *items);
    if (!items)
        return false;
    while (pos < len && is_space(text[pos]))
        pos++;
    bool braces = pos < len && text[pos] == '{';
    if (braces)
        pos++;
    bool closed = false;
    for (;;) {
        while (pos < len && is_space(text[pos]))
            pos++;
        if (pos >= len)
            break;
        vt_hex_item *it = &items[n];
        if (pos + 1 < len) { /* the common case first: a byte */
            unsigned high = hex_class[(unsigned char)text[pos]];
            unsigned low = hex_class[(unsigned char)text[pos + 1]];
            if (high && low) {
                if (++bytes > 10000)
                    goto other;
                it->kind = VT_HEX_ITEM_BYTE;
                it->value = (uint8_t)((high == HEX_WILD ? 0 : (high - 1) << 4) |
                                      (low == HEX_WILD ? 0 : low - 1));
                it->mask =
                    (uint8_t)((high == HEX_WILD ? 0 : 0xF0) | (low == HEX_WILD ? 0 : 0x0F));
                pos += 2;
                n++;
                continue;
            }
        }
        char c = text[pos];
        if (c == '[') {
            /* [N], [N-M], [N-], [-], blanks anywhere; not first */
            if (n == 0)
                goto other;
            pos++;
            int lo = 0, hi = -1;
            bool has_lo = false, dash = false;
            while (pos < len && is_space(text[pos]))
                pos++;
            if (pos < len && text[pos] >= '0' && text[pos] <= '9') {
                if (!flat_number(text, len, &pos, &lo))
                    goto other;
                has_lo = true;
                while (pos < len && is_space(text[pos]))
                    pos++;
            }
            if (pos < len && text[pos] == '-') {
                dash = true;
                pos++;
                while (pos < len && is_space(text[pos]))
                    pos++;
                if (pos < len && text[pos] >= '0' && text[pos] <= '9') {
                    if (!has_lo || !flat_number(text, len, &pos, &hi))
                        goto other;
                    while (pos < len && is_space(text[pos]))
                        pos++;
                }
            }
            if (pos >= len || text[pos] != ']' || (!has_lo && !dash))
                goto other;
            pos++;
            if (!dash) {
                if (lo <= 0)
                    goto other;
                hi = lo;
            } else if (hi >= 0 && lo > hi) {
                goto other;
            }
            *it = jump_is_any_byte(dash, lo)
                      ? (vt_hex_item){.kind = VT_HEX_ITEM_BYTE, .value = 0, .mask = 0}
                      : (vt_hex_item){.kind = VT_HEX_ITEM_JUMP, .min = lo, .max = hi};
            n++;
            continue;
        }
        if (c == '}' && braces) {
            pos++;
            closed = true;
            break;
        }
        /* what is left of the items: a negated byte, ~XX */
        if (c != '~' || pos + 2 >= len)
            goto other;
        unsigned high = hex_class[(unsigned char)text[pos + 1]];
        unsigned low = hex_class[(unsigned char)text[pos + 2]];
        if (!high || !low)
            goto other;
        uint8_t value = (uint8_t)((high == HEX_WILD ? 0 : (high - 1) << 4) |
                                  (low == HEX_WILD ? 0 : low - 1));
        uint8_t mask = (uint8_t)((high == HEX_WILD ? 0 : 0xF0) | (low == HEX_WILD ? 0 : 0x0F));
        if (mask == 0 || ++bytes > 10000)
            goto other;
        *it = (vt_hex_item){.kind = VT_HEX_ITEM_NEGATED, .value = value, .mask = mask};
        pos += 3;
        n++;
    }
    if (braces && !closed)
        goto other;
    while (pos < len && is_space(text[pos]))
        pos++;
    if (pos < len || n == 0 || items[n - 1].kind == VT_HEX_ITEM_JUMP)
        goto other;
    *out = items;
    *count = n;
    return true;
other:
    free(items);
    return false;
}

vt_status vt_pattern_check_hex(const char *text, size_t len, bool *slow, vt_error *err)
{
    vt_hex_item *items = NULL;
    size_t n = 0;
    if (flat_items(text, len, &items, &n)) {
        *slow = vt_atoms_flat_hex_is_slow(items, n);
        free(items);
        return VT_OK;
    }
    vt_pattern *pattern = NULL;
    vt_status st = vt_pattern_parse_hex(text, len, &pattern, err);
    *slow = st == VT_OK && vt_hex_pattern_is_slow(pattern);
    vt_pattern_free(pattern);
    return st;
}
