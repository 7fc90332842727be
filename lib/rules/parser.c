/* parser.c: the top level of the YARA grammar: imports, includes (relative to the including file,
 * with cycle and depth checks), rules with their modifiers, tags, meta and strings (every string
 * modifier with yara's combination and argument checks), then the condition (condition.c) and the
 * unreferenced-string check. Errors carry FILE:LINE:COL and yara's wording. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

vt_status vt_parser_error(vt_parser *p, unsigned line, unsigned col, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vt_error_setv(p->err, VT_ERR_SYNTAX, p->file, line, col, format, args);
    va_end(args);
    return VT_ERR_SYNTAX;
}

static void describe_token(const vt_token *t, char *out, size_t size)
{
    switch (t->kind) {
    case T_IDENT:
    case T_STRING_ID:
    case T_STRING_WILD:
    case T_STRING_COUNT:
    case T_STRING_OFF:
    case T_STRING_LEN:
    case T_INT:
    case T_FLOAT:
        snprintf(out, size, "%s \"%.*s\"", vt_tok_describe(t->kind),
                 (int)(t->len > 40 ? 40 : t->len), t->start);
        break;
    default:
        snprintf(out, size, "%s", vt_tok_describe(t->kind));
    }
}

vt_status vt_parser_unexpected(vt_parser *p, const char *expecting)
{
    if (p->tok.kind == T_ERROR)
        return vt_parser_error(p, p->lx.err_line, p->lx.err_col, "%s", p->lx.message);
    char what[128];
    describe_token(&p->tok, what, sizeof what);
    if (expecting)
        return vt_parser_error(p, p->tok.line, p->tok.col, "syntax error, unexpected %s, expecting %s",
                               what, expecting);
    return vt_parser_error(p, p->tok.line, p->tok.col, "syntax error, unexpected %s", what);
}

vt_status vt_parser_advance(vt_parser *p)
{
    free(p->tok.text);
    p->prev_line = p->tok.line;
    p->prev_col = p->tok.col;
    if (p->has_next) {
        p->tok = p->next;
        p->has_next = false;
    } else {
        vt_lex(&p->lx, &p->tok);
    }
    if (p->tok.kind == T_ERROR)
        return vt_parser_error(p, p->lx.err_line, p->lx.err_col, "%s", p->lx.message);
    return VT_OK;
}

vt_status vt_parser_peek(vt_parser *p, vt_token **out)
{
    if (!p->has_next) {
        /* The lexer's error slot is shared: lex the lookahead only when the current token is
         * fine, and report its error when it becomes current. */
        vt_lex(&p->lx, &p->next);
        p->has_next = true;
    }
    *out = &p->next;
    return VT_OK;
}

vt_status vt_parser_expect(vt_parser *p, vt_tok kind, const char *expecting)
{
    if (p->tok.kind != kind)
        return vt_parser_unexpected(p, expecting);
    return vt_parser_advance(p);
}

vt_status vt_parser_emit(vt_parser *p, uint16_t op, uint8_t type, uint8_t flags, uint32_t a,
                         uint32_t b, uint32_t cc, int64_t imm, uint32_t *index)
{
    vt_rs_node n;
    memset(&n, 0, sizeof n);
    n.op = op;
    n.type = type;
    n.flags = flags;
    n.a = a;
    n.b = b;
    n.c = cc;
    n.v.i = imm;
    if (vt_vec_push(&p->c->nodes, &n, index) != VT_OK)
        return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

vt_status vt_parser_emit_str(vt_parser *p, uint16_t op, uint8_t type, uint8_t flags,
                             uint32_t a, uint32_t b, uint32_t cc, const char *text, size_t len,
                             uint32_t *index)
{
    vt_rs_str s;
    if (vt_pool_add(p->c, text, len, &s) != VT_OK)
        return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
    vt_status st = vt_parser_emit(p, op, type, flags, a, b, cc, 0, index);
    if (st == VT_OK)
        VT_VEC_AT(&p->c->nodes, vt_rs_node, *index)->v.s = s;
    return st;
}

static vt_status nomem(vt_parser *p)
{
    return vt_error_set(p->err, VT_ERR_NOMEM, "out of memory");
}

static vt_status tok_ident(vt_parser *p, char *out)
{
    size_t n = p->tok.len > VT_MAX_IDENTIFIER ? VT_MAX_IDENTIFIER : p->tok.len;
    memcpy(out, p->tok.start, n);
    out[n] = 0;
    return VT_OK;
}

/* ---- import and include ---- */

static vt_status parse_import(vt_parser *p)
{
    vt_status st = vt_parser_advance(p);
    if (st != VT_OK)
        return st;
    if (p->tok.kind != T_TEXT)
        return vt_parser_unexpected(p, "text string");
    unsigned line = p->tok.line, col = p->tok.col;
    const char *name = p->tok.text;
    if (strlen(name) != p->tok.text_len || strlen(name) >= 64)
        return vt_parser_error(p, line, col, "unknown module \"%s\"", name);
    vt_status ms;
    vt_error merr;
    if (!vt_compiler_module(p->c, name, &merr, &ms)) {
        if (ms == VT_ERR_NOT_FOUND)
            return vt_parser_error(p, line, col, "unknown module \"%s\"", name);
        *p->err = merr;
        return ms;
    }
    char key[160];
    snprintf(key, sizeof key, "%u\x01%s", p->ns, name);
    uint32_t idx;
    if (!vt_map_get(&p->c->import_names, key, &idx)) {
        vt_rs_import imp = {.ns = p->ns};
        if (vt_pool_add(p->c, name, strlen(name), &imp.module) != VT_OK ||
            vt_vec_push(&p->c->imports, &imp, &idx) != VT_OK ||
            vt_map_put(&p->c->import_names, key, idx) != VT_OK)
            return nomem(p);
    }
    return vt_parser_advance(p);
}

static vt_status parse_include(vt_parser *p)
{
    vt_status st = vt_parser_advance(p);
    if (st != VT_OK)
        return st;
    if (p->tok.kind != T_TEXT)
        return vt_parser_unexpected(p, "text string");
    unsigned line = p->tok.line, col = p->tok.col;
    if (strlen(p->tok.text) != p->tok.text_len || p->tok.text_len == 0)
        return vt_parser_error(p, line, col, "can't open include file: %s", p->tok.text);
    char path[4096];
    if (p->tok.text[0] == '/' || !p->dir || !p->dir[0])
        snprintf(path, sizeof path, "%s", p->tok.text);
    else
        snprintf(path, sizeof path, "%s/%s", p->dir, p->tok.text);
    char *real = realpath(path, NULL);
    if (!real)
        return vt_parser_error(p, line, col, "can't open include file: %s", p->tok.text);
    for (unsigned i = 0; i < p->c->include_depth; i++)
        if (p->c->include_stack[i] && strcmp(p->c->include_stack[i], real) == 0) {
            free(real);
            return vt_parser_error(p, line, col, "includes circular reference: %s",
                                   p->tok.text);
        }
    if (p->c->include_depth >= VT_MAX_INCLUDE_DEPTH) {
        free(real);
        return vt_parser_error(p, line, col, "includes depth exceeded");
    }
    free(real);
    vt_error inner;
    vt_error_clear(&inner);
    st = vt_compiler_add_path(p->c, p->ns, path, &inner);
    if (st != VT_OK) {
        if (inner.line == 0 && inner.file[0] == 0)
            return vt_parser_error(p, line, col, "can't open include file: %s (%s)",
                                   p->tok.text, inner.message);
        *p->err = inner;
        return st;
    }
    return vt_parser_advance(p);
}

/* ---- meta ---- */

static vt_status parse_meta(vt_parser *p, uint32_t *count)
{
    vt_status st;
    while (p->tok.kind == T_IDENT) {
        vt_rs_meta m;
        memset(&m, 0, sizeof m);
        if (vt_pool_add(p->c, p->tok.start, p->tok.len, &m.key) != VT_OK)
            return nomem(p);
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        if ((st = vt_parser_expect(p, T_EQ_ASSIGN, "'='")) != VT_OK)
            return st;
        if (p->tok.kind == T_TEXT) {
            m.type = VT_META_STRING;
            if (vt_pool_add(p->c, p->tok.text, p->tok.text_len, &m.string) != VT_OK)
                return nomem(p);
        } else if (p->tok.kind == T_INT) {
            m.type = VT_META_INTEGER;
            m.integer = p->tok.ival;
        } else if (p->tok.kind == T_MINUS) {
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
            if (p->tok.kind != T_INT)
                return vt_parser_unexpected(p, "integer number");
            m.type = VT_META_INTEGER;
            m.integer = -p->tok.ival;
        } else if (p->tok.kind == T_TRUE || p->tok.kind == T_FALSE) {
            m.type = VT_META_BOOLEAN;
            m.integer = p->tok.kind == T_TRUE;
        } else {
            return vt_parser_unexpected(p, "text string, number, true or false");
        }
        if (vt_vec_push(&p->c->meta, &m, NULL) != VT_OK)
            return nomem(p);
        (*count)++;
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
    }
    return VT_OK;
}

/* ---- strings ---- */

static const char *modifier_name(unsigned flag)
{
    switch (flag) {
    case VT_MOD_NOCASE: return "nocase";
    case VT_MOD_WIDE: return "wide";
    case VT_MOD_ASCII: return "ascii";
    case VT_MOD_FULLWORD: return "fullword";
    case VT_MOD_PRIVATE: return "private";
    case VT_MOD_XOR: return "xor";
    case VT_MOD_BASE64: return "base64";
    case VT_MOD_BASE64WIDE: return "base64wide";
    default: return "?";
    }
}

static unsigned modifier_of(vt_tok kind)
{
    switch (kind) {
    case T_NOCASE: return VT_MOD_NOCASE;
    case T_WIDE: return VT_MOD_WIDE;
    case T_ASCII: return VT_MOD_ASCII;
    case T_FULLWORD: return VT_MOD_FULLWORD;
    case T_PRIVATE: return VT_MOD_PRIVATE;
    case T_XOR: return VT_MOD_XOR;
    case T_BASE64: return VT_MOD_BASE64;
    case T_BASE64WIDE: return VT_MOD_BASE64WIDE;
    default: return 0;
    }
}

/* Parse modifiers allowed by `allowed`. Fills s (flags, xor range, alphabets). */
static vt_status parse_modifiers(vt_parser *p, unsigned allowed, vt_rs_string *s,
                                 unsigned *mod_line, unsigned *mod_col)
{
    vt_status st;
    char *alphabet = NULL;
    size_t alphabet_len = 0;
    *mod_line = p->tok.line;
    *mod_col = p->tok.col;
    s->xor_min = 0;
    s->xor_max = 0;
    for (;;) {
        unsigned mod = modifier_of(p->tok.kind);
        if (!mod || !(allowed & mod))
            break;
        unsigned line = p->tok.line, col = p->tok.col;
        if (s->flags & mod) {
            free(alphabet);
            return vt_parser_error(p, line, col, "duplicated modifier");
        }
        s->flags |= mod;
        if ((st = vt_parser_advance(p)) != VT_OK)
            goto fail;
        if (mod == VT_MOD_XOR) {
            s->xor_min = 0;
            s->xor_max = 255;
            if (p->tok.kind == T_LPAREN) {
                if ((st = vt_parser_advance(p)) != VT_OK)
                    goto fail;
                if (p->tok.kind != T_INT) {
                    st = vt_parser_unexpected(p, "integer number");
                    goto fail;
                }
                int64_t lo = p->tok.ival, hi;
                unsigned nline = p->tok.line, ncol = p->tok.col;
                if ((st = vt_parser_advance(p)) != VT_OK)
                    goto fail;
                if (p->tok.kind == T_MINUS) {
                    if ((st = vt_parser_advance(p)) != VT_OK)
                        goto fail;
                    if (p->tok.kind != T_INT) {
                        st = vt_parser_unexpected(p, "integer number");
                        goto fail;
                    }
                    hi = p->tok.ival;
                    if ((st = vt_parser_advance(p)) != VT_OK)
                        goto fail;
                    if (hi > 255) {
                        st = vt_parser_error(p, nline, ncol,
                                             "upper bound for xor range exceeded (max: 255)");
                        goto fail;
                    }
                    if (lo > 255) {
                        st = vt_parser_error(p, nline, ncol,
                                             "lower bound for xor range exceeded (max: 255)");
                        goto fail;
                    }
                    if (lo > hi) {
                        st = vt_parser_error(p, nline, ncol, "xor lower bound exceeds upper bound");
                        goto fail;
                    }
                } else {
                    if (lo > 255) {
                        st = vt_parser_error(p, nline, ncol, "invalid xor range");
                        goto fail;
                    }
                    hi = lo;
                }
                if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
                    goto fail;
                s->xor_min = (uint8_t)lo;
                s->xor_max = (uint8_t)hi;
            }
        } else if (mod == VT_MOD_BASE64 || mod == VT_MOD_BASE64WIDE) {
            if (p->tok.kind == T_LPAREN) {
                if ((st = vt_parser_advance(p)) != VT_OK)
                    goto fail;
                if (p->tok.kind != T_TEXT) {
                    st = vt_parser_unexpected(p, "text string");
                    goto fail;
                }
                if (p->tok.text_len != 64) {
                    st = vt_parser_error(p, p->tok.line, p->tok.col,
                                         "length of base64 alphabet must be 64");
                    goto fail;
                }
                if (alphabet && memcmp(alphabet, p->tok.text, 64) != 0) {
                    st = vt_parser_error(p, p->tok.line, p->tok.col,
                                         "can not specify multiple alphabets");
                    goto fail;
                }
                vt_rs_str ref;
                if (vt_pool_add(p->c, p->tok.text, 64, &ref) != VT_OK) {
                    st = nomem(p);
                    goto fail;
                }
                if (mod == VT_MOD_BASE64)
                    s->base64_alphabet = ref;
                else
                    s->base64wide_alphabet = ref;
                if (!alphabet) {
                    alphabet = malloc(64);
                    if (!alphabet) {
                        st = nomem(p);
                        goto fail;
                    }
                    memcpy(alphabet, p->tok.text, 64);
                    alphabet_len = 64;
                }
                if ((st = vt_parser_advance(p)) != VT_OK)
                    goto fail;
                if ((st = vt_parser_expect(p, T_RPAREN, "')'")) != VT_OK)
                    goto fail;
            }
        }
    }
    (void)alphabet_len;
    free(alphabet);
    /* yara's combination rules */
    static const unsigned base64_kinds[] = {VT_MOD_BASE64, VT_MOD_BASE64WIDE};
    if ((s->flags & VT_MOD_XOR) && (s->flags & VT_MOD_NOCASE))
        return vt_parser_error(p, *mod_line, *mod_col, "invalid modifier combination: xor nocase");
    for (int i = 0; i < 2; i++) {
        unsigned b = base64_kinds[i];
        if (!(s->flags & b))
            continue;
        static const unsigned conflicts[] = {VT_MOD_NOCASE, VT_MOD_XOR, VT_MOD_FULLWORD};
        for (int k = 0; k < 3; k++)
            if (s->flags & conflicts[k])
                return vt_parser_error(p, *mod_line, *mod_col,
                                       "invalid modifier combination: %s %s", modifier_name(b),
                                       modifier_name(conflicts[k]));
    }
    return VT_OK;
fail:
    free(alphabet);
    return st;
}

/* Line and column of byte `offset` (1-based) of a pattern whose text starts at line/col. */
static void pattern_position(const char *text, size_t len, unsigned line, unsigned col,
                             unsigned offset, unsigned *out_line, unsigned *out_col)
{
    *out_line = line;
    *out_col = col;
    if (offset == 0)
        return;
    for (size_t i = 0; i + 1 < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*out_line)++;
            *out_col = 1;
        } else {
            (*out_col)++;
        }
    }
}

static vt_status parse_string(vt_parser *p, uint32_t *count)
{
    vt_status st;
    unsigned line = p->tok.line, col = p->tok.col;
    char ident[VT_MAX_IDENTIFIER + 2];
    tok_ident(p, ident);
    vt_rs_string s;
    memset(&s, 0, sizeof s);
    s.rule = p->rule;
    s.flags = VT_RS_SINGLE_MATCH; /* until the condition asks where or how often */
    bool anonymous = strcmp(ident, "$") == 0;
    if (anonymous)
        s.flags |= VT_RS_ANONYMOUS;
    uint32_t dummy;
    if (!anonymous && vt_map_get(&p->string_ids, ident, &dummy))
        return vt_parser_error(p, line, col, "duplicated string identifier \"%s\"", ident);
    if (*count >= VT_MAX_STRINGS_PER_RULE)
        return vt_parser_error(p, line, col, "too many strings in rule \"%s\"", p->rule_name);
    if (vt_pool_add(p->c, ident, strlen(ident), &s.identifier) != VT_OK)
        return nomem(p);
    if ((st = vt_parser_advance(p)) != VT_OK)
        return st;
    if ((st = vt_parser_expect(p, T_EQ_ASSIGN, "'='")) != VT_OK)
        return st;
    vt_token value = p->tok;
    p->tok.text = NULL; /* we own the text now */
    unsigned mline, mcol;
    bool hex_slow = false; /* a hex string's slow-string verdict, from its syntax check */
    if (value.kind == T_TEXT) {
        s.kind = VT_STRING_TEXT;
        if ((st = vt_parser_advance(p)) == VT_OK)
            st = parse_modifiers(p, VT_MOD_NOCASE | VT_MOD_WIDE | VT_MOD_ASCII | VT_MOD_FULLWORD |
                                 VT_MOD_PRIVATE | VT_MOD_XOR | VT_MOD_BASE64 | VT_MOD_BASE64WIDE,
                                 &s, &mline, &mcol);
        if (st == VT_OK && value.text_len == 0)
            st = vt_parser_error(p, line, col, "empty string \"%s\"", ident);
    } else if (value.kind == T_HEX) {
        s.kind = VT_STRING_HEX;
        if ((st = vt_parser_advance(p)) == VT_OK)
            st = parse_modifiers(p, VT_MOD_PRIVATE, &s, &mline, &mcol);
        if (st == VT_OK) {
            char msg[256];
            unsigned off = 0;
            if (!vt_rules_check_hex(value.text, value.text_len, &hex_slow, msg, sizeof msg, &off)) {
                unsigned el, ec;
                pattern_position(value.text, value.text_len, value.text_line, value.text_col, off,
                                 &el, &ec);
                st = vt_parser_error(p, el, ec, "invalid hex string \"%s\": %s", ident, msg);
            }
        }
    } else if (value.kind == T_REGEX) {
        s.kind = VT_STRING_REGEX;
        if (value.regex_flags & VT_REGEX_NOCASE)
            s.flags |= VT_RS_REGEX_NOCASE;
        if (value.regex_flags & VT_REGEX_DOTALL)
            s.flags |= VT_RS_REGEX_DOTALL;
        if ((st = vt_parser_advance(p)) == VT_OK)
            st = parse_modifiers(p, VT_MOD_NOCASE | VT_MOD_WIDE | VT_MOD_ASCII | VT_MOD_FULLWORD |
                                 VT_MOD_PRIVATE, &s, &mline, &mcol);
        if (st == VT_OK) {
            char msg[256];
            unsigned off = 0;
                        unsigned rflags = value.regex_flags | ((s.flags & VT_MOD_NOCASE) ? VT_REGEX_NOCASE : 0);
            if (!vt_rules_check_regex(value.text, value.text_len, rflags, msg, sizeof msg, &off)) {
                unsigned el, ec;
                pattern_position(value.text, value.text_len, value.text_line, value.text_col, off,
                                 &el, &ec);
                st = vt_parser_error(p, el, ec, "invalid regular expression \"%s\": %s", ident,
                                     msg);
            }
        }
    } else {
        st = vt_parser_unexpected(p, "text string, hex string or regular expression");
    }
    if (st == VT_OK) {
        vt_string_spec spec = {
            .kind = (vt_string_kind)s.kind,
            .data = (const uint8_t *)value.text,
            .len = value.text_len,
            .modifiers = s.flags & 0xff,
            .regex_flags = value.kind == T_REGEX ? value.regex_flags : 0,
            .xor_min = s.xor_min,
            .xor_max = s.xor_max,
            .base64_alphabet = s.base64_alphabet.len ? vt_pool_get(p->c, s.base64_alphabet)
                             : s.base64wide_alphabet.len ? vt_pool_get(p->c, s.base64wide_alphabet)
                                                         : NULL,
        };
        if (s.kind == VT_STRING_HEX ? hex_slow : vt_rules_string_is_slow(&spec))
            s.flags |= VT_RS_SLOW;
    }
    if (st == VT_OK && vt_pool_add(p->c, value.text, value.text_len, &s.text) != VT_OK)
        st = nomem(p);
    free(value.text);
    if (st != VT_OK)
        return st;
    uint32_t index;
    if (vt_vec_push(&p->c->strings, &s, &index) != VT_OK)
        return nomem(p);
    if (!anonymous && vt_map_put(&p->string_ids, ident, index) != VT_OK)
        return nomem(p);
    uint8_t zero = 0;
    unsigned pos[2] = {line, col};
    if (vt_vec_push(&p->referenced, &zero, NULL) != VT_OK ||
        vt_vec_push(&p->string_pos, pos, NULL) != VT_OK)
        return nomem(p);
    (*count)++;
    if (s.kind == VT_STRING_REGEX &&
        vt_rules_regex_has_unbounded_dot(vt_pool_get(p->c, s.text), s.text.len))
        if (vt_compiler_warn(p->c, p->file, line, col,
                             "%s contains .*, .+ or .{x,} consider using .{,N}, .{1,N} or {x,N} "
                             "with a reasonable value for N", ident) != VT_OK)
            return nomem(p);
    if (s.flags & VT_RS_SLOW)
        if (vt_compiler_warn(p->c, p->file, line, col, "string \"%s\" may slow down scanning",
                             ident) != VT_OK)
            return nomem(p);
    return VT_OK;
}

/* ---- rules ---- */

static vt_status parse_rule(vt_parser *p)
{
    vt_status st;
    vt_rs_rule r;
    memset(&r, 0, sizeof r);
    r.ns = p->ns;
    while (p->tok.kind == T_PRIVATE || p->tok.kind == T_GLOBAL) {
        r.flags |= p->tok.kind == T_PRIVATE ? VT_RULE_PRIVATE : VT_RULE_GLOBAL;
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
    }
    if ((st = vt_parser_expect(p, T_RULE, "rule")) != VT_OK)
        return st;
    if (p->tok.kind != T_IDENT)
        return vt_parser_unexpected(p, "identifier");
    r.line = p->tok.line;
    tok_ident(p, p->rule_name);
    char key[VT_MAX_IDENTIFIER + 32];
    snprintf(key, sizeof key, "%u\x01%s", p->ns, p->rule_name);
    uint32_t existing;
    if (vt_map_get(&p->c->rule_names, key, &existing) ||
        vt_map_get(&p->c->extern_names, p->rule_name, &existing))
        return vt_parser_error(p, p->tok.line, p->tok.col, "duplicated identifier \"%s\"",
                               p->rule_name);
    /* yara: a rule set `prefix*` stands for the rules of the namespace declared before it, so a
     * later rule of the namespace may not start with that prefix. */
    size_t ns_len = strlen(key) - strlen(p->rule_name);
    for (size_t n = ns_len + 1; key[n - 1]; n++) {
        char prefix[sizeof key];
        memcpy(prefix, key, n);
        prefix[n] = 0;
        if (vt_map_get(&p->c->rule_wildcards, prefix, &existing))
            return vt_parser_error(p, p->tok.line, p->tok.col, "rule identifier \"%s\" matches "
                                   "previously used wildcard rule set", p->rule_name);
    }
    if (vt_pool_add(p->c, p->rule_name, strlen(p->rule_name), &r.name) != VT_OK)
        return nomem(p);
    /* Like yara, the rule is known from here on: its own condition may refer to it, and
     * diagnostics name it. */
    snprintf(p->c->current_rule, sizeof p->c->current_rule, "%s", p->rule_name);
    p->rule = (uint32_t)p->c->rules.len;
    if (vt_vec_push(&p->c->rules, &r, NULL) != VT_OK ||
        vt_map_put(&p->c->rule_names, key, p->rule) != VT_OK)
        return nomem(p);
    if ((st = vt_parser_advance(p)) != VT_OK)
        return st;
    r.tag_first = (uint32_t)p->c->tags.len;
    if (p->tok.kind == T_COLON) {
        if ((st = vt_parser_advance(p)) != VT_OK)
            return st;
        if (p->tok.kind != T_IDENT)
            return vt_parser_unexpected(p, "identifier");
        while (p->tok.kind == T_IDENT) {
            for (uint32_t i = r.tag_first; i < p->c->tags.len; i++) {
                vt_rs_str *t = VT_VEC_AT(&p->c->tags, vt_rs_str, i);
                if (t->len == p->tok.len && memcmp(vt_pool_get(p->c, *t), p->tok.start, t->len) == 0)
                    return vt_parser_error(p, p->tok.line, p->tok.col,
                                           "duplicated tag identifier \"%.*s\"", (int)p->tok.len,
                                           p->tok.start);
            }
            vt_rs_str t;
            if (vt_pool_add(p->c, p->tok.start, p->tok.len, &t) != VT_OK ||
                vt_vec_push(&p->c->tags, &t, NULL) != VT_OK)
                return nomem(p);
            if ((st = vt_parser_advance(p)) != VT_OK)
                return st;
        }
    }
    r.tag_count = (uint32_t)p->c->tags.len - r.tag_first;
    if ((st = vt_parser_expect(p, T_LBRACE, "'{'")) != VT_OK)
        return st;
    r.meta_first = (uint32_t)p->c->meta.len;
    if (p->tok.kind == T_META) {
        if ((st = vt_parser_advance(p)) != VT_OK ||
            (st = vt_parser_expect(p, T_COLON, "':'")) != VT_OK)
            return st;
        if (p->tok.kind != T_IDENT)
            return vt_parser_unexpected(p, "identifier");
        if ((st = parse_meta(p, &r.meta_count)) != VT_OK)
            return st;
    }
    r.string_first = p->string_first = (uint32_t)p->c->strings.len;
    vt_map_free(&p->string_ids);
    p->referenced.len = 0;
    p->string_pos.len = 0;
    if (p->tok.kind == T_STRINGS) {
        if ((st = vt_parser_advance(p)) != VT_OK ||
            (st = vt_parser_expect(p, T_COLON, "':'")) != VT_OK)
            return st;
        if (p->tok.kind != T_STRING_ID)
            return vt_parser_unexpected(p, "string identifier");
        while (p->tok.kind == T_STRING_ID)
            if ((st = parse_string(p, &r.string_count)) != VT_OK)
                return st;
    }
    if (p->tok.kind != T_CONDITION)
        return vt_parser_unexpected(p, r.string_count || r.meta_count ? "condition"
                                                                      : "meta, strings or condition");
    if ((st = vt_parser_advance(p)) != VT_OK ||
        (st = vt_parser_expect(p, T_COLON, "':'")) != VT_OK)
        return st;
    r.node_first = (uint32_t)p->c->nodes.len;
    uint32_t root;
    if ((st = vt_parse_condition(p, &root)) != VT_OK)
        return st;
    r.node_count = (uint32_t)p->c->nodes.len - r.node_first;
    unsigned end_line = p->tok.line, end_col = p->tok.col;
    if ((st = vt_parser_expect(p, T_RBRACE, "'}'")) != VT_OK)
        return st;
    for (uint32_t i = 0; i < r.string_count; i++) {
        if (!*VT_VEC_AT(&p->referenced, uint8_t, i)) {
            vt_rs_string *s = VT_VEC_AT(&p->c->strings, vt_rs_string, r.string_first + i);
            unsigned *pos = VT_VEC_AT(&p->string_pos, unsigned, 2 * i);
            return vt_parser_error(p, pos[0], pos[1], "unreferenced string \"%s\"",
                                   vt_pool_get(p->c, s->identifier));
        }
    }
    (void)end_line;
    (void)end_col;
    *VT_VEC_AT(&p->c->rules, vt_rs_rule, p->rule) = r;
    p->c->current_rule[0] = '\0';
    return VT_OK;
}

vt_status vt_parse_source(vt_compiler *c, uint32_t ns_index, const char *file, const char *dir,
                          const char *text, size_t len, vt_error *err)
{
    vt_parser *p = calloc(1, sizeof *p);
    if (!p)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    p->c = c;
    p->ns = ns_index;
    p->file = file;
    p->dir = dir;
    p->err = err;
    p->referenced.elem = 1;
    p->string_pos.elem = 2 * sizeof(unsigned);
    vt_lexer_init(&p->lx, file, text, len);
    vt_status st = VT_OK;
    st = vt_parser_advance(p);
    while (st == VT_OK && p->tok.kind != T_EOF) {
        switch (p->tok.kind) {
        case T_IMPORT: st = parse_import(p); break;
        case T_INCLUDE: st = parse_include(p); break;
        case T_RULE:
        case T_PRIVATE:
        case T_GLOBAL: st = parse_rule(p); break;
        default: st = vt_parser_unexpected(p, "rule, import or include");
        }
    }
    free(p->tok.text);
    if (p->has_next)
        free(p->next.text);
    vt_lexer_free(&p->lx);
    vt_map_free(&p->string_ids);
    vt_vec_free(&p->referenced);
    vt_vec_free(&p->string_pos);
    free(p);
    return st;
}
