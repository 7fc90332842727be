/* lexer.c: turns YARA source text into tokens with line and column, as yara 4.2.3's lexer.l does:
 * keywords, identifiers (at most 128 characters), $a / $a* / #a / @a / !a references, integers
 * (decimal, 0x hex, 0o octal, KB and MB suffixes, overflow checked), floats, text strings with
 * yara's escapes, regular expressions (a '/' always starts one; '\' is division), and hex strings:
 * a '{' whose content up to '}' is only hex digits, wildcards, jumps, alternatives and comments. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *word;
    vt_tok kind;
    int intfn; /* T_INTFN flags */
} keywords[] = {
    {"all", T_ALL, 0}, {"and", T_AND, 0}, {"any", T_ANY, 0}, {"ascii", T_ASCII, 0},
    {"at", T_AT, 0}, {"base64", T_BASE64, 0}, {"base64wide", T_BASE64WIDE, 0},
    {"condition", T_CONDITION, 0}, {"contains", T_CONTAINS, 0}, {"defined", T_DEFINED, 0},
    {"endswith", T_ENDSWITH, 0}, {"entrypoint", T_ENTRYPOINT, 0}, {"false", T_FALSE, 0},
    {"filesize", T_FILESIZE, 0}, {"for", T_FOR, 0}, {"fullword", T_FULLWORD, 0},
    {"global", T_GLOBAL, 0}, {"icontains", T_ICONTAINS, 0}, {"iendswith", T_IENDSWITH, 0},
    {"iequals", T_IEQUALS, 0}, {"import", T_IMPORT, 0}, {"in", T_IN, 0},
    {"include", T_INCLUDE, 0}, {"istartswith", T_ISTARTSWITH, 0}, {"matches", T_MATCHES, 0},
    {"meta", T_META, 0}, {"nocase", T_NOCASE, 0}, {"none", T_NONE, 0}, {"not", T_NOT, 0},
    {"of", T_OF, 0}, {"or", T_OR, 0}, {"private", T_PRIVATE, 0}, {"rule", T_RULE, 0},
    {"startswith", T_STARTSWITH, 0}, {"strings", T_STRINGS, 0}, {"them", T_THEM, 0},
    {"true", T_TRUE, 0}, {"wide", T_WIDE, 0}, {"xor", T_XOR, 0},
    {"int8", T_INTFN, 1 | VT_READ_SIGNED}, {"int16", T_INTFN, 2 | VT_READ_SIGNED},
    {"int32", T_INTFN, 4 | VT_READ_SIGNED},
    {"int8be", T_INTFN, 1 | VT_READ_SIGNED | VT_READ_BIG_ENDIAN},
    {"int16be", T_INTFN, 2 | VT_READ_SIGNED | VT_READ_BIG_ENDIAN},
    {"int32be", T_INTFN, 4 | VT_READ_SIGNED | VT_READ_BIG_ENDIAN},
    {"uint8", T_INTFN, 1}, {"uint16", T_INTFN, 2}, {"uint32", T_INTFN, 4},
    {"uint8be", T_INTFN, 1 | VT_READ_BIG_ENDIAN}, {"uint16be", T_INTFN, 2 | VT_READ_BIG_ENDIAN},
    {"uint32be", T_INTFN, 4 | VT_READ_BIG_ENDIAN},
};

const char *vt_tok_describe(vt_tok kind)
{
    switch (kind) {
    case T_EOF: return "end of file";
    case T_IDENT: return "identifier";
    case T_STRING_ID: return "string identifier";
    case T_STRING_WILD: return "string identifier with wildcard";
    case T_STRING_COUNT: return "string count";
    case T_STRING_OFF: return "string offset";
    case T_STRING_LEN: return "string length";
    case T_INT: return "integer number";
    case T_FLOAT: return "floating point number";
    case T_TEXT: return "text string";
    case T_REGEX: return "regular expression";
    case T_HEX: return "hex string";
    case T_INTFN: return "integer function";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_LBRACE: return "'{'";
    case T_RBRACE: return "'}'";
    case T_LBRACK: return "'['";
    case T_RBRACK: return "']'";
    case T_COLON: return "':'";
    case T_COMMA: return "','";
    case T_DOT: return "'.'";
    case T_DOTDOT: return "'..'";
    case T_EQ_ASSIGN: return "'='";
    case T_EQ: return "'=='";
    case T_NE: return "'!='";
    case T_LT: return "'<'";
    case T_LE: return "'<='";
    case T_GT: return "'>'";
    case T_GE: return "'>='";
    case T_PLUS: return "'+'";
    case T_MINUS: return "'-'";
    case T_STAR: return "'*'";
    case T_BACKSLASH: return "'\\'";
    case T_PERCENT: return "'%'";
    case T_AMP: return "'&'";
    case T_PIPE: return "'|'";
    case T_CARET: return "'^'";
    case T_TILDE: return "'~'";
    case T_SHL: return "'<<'";
    case T_SHR: return "'>>'";
    case T_ERROR: return "invalid input";
    default:
        for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
            if (keywords[i].kind == kind)
                return keywords[i].word;
        return "token";
    }
}

void vt_lexer_init(vt_lexer *lx, const char *file, const char *src, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->src = lx->p = lx->line_start = src;
    lx->end = src + len;
    lx->line = 1;
    lx->file = file;
}

void vt_lexer_free(vt_lexer *lx)
{
    vt_buf_free(&lx->text);
}

static unsigned column_of(const vt_lexer *lx, const char *at)
{
    return (unsigned)(at - lx->line_start) + 1;
}

static vt_tok lex_error(vt_lexer *lx, const char *at, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static vt_tok lex_error(vt_lexer *lx, const char *at, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(lx->message, sizeof lx->message, format, args);
    va_end(args);
    lx->err_line = lx->line;
    lx->err_col = column_of(lx, at);
    return T_ERROR;
}

static void newline(vt_lexer *lx, const char *after)
{
    lx->line++;
    lx->line_start = after;
}

/* Skip blanks and comments. Returns 0, or -1 for an unterminated comment. */
static int skip_space(vt_lexer *lx)
{
    while (lx->p < lx->end) {
        char ch = *lx->p;
        if (ch == '\n') {
            lx->p++;
            newline(lx, lx->p);
        } else if (ch == ' ' || ch == '\t' || ch == '\r') { /* yara's blanks */
            lx->p++;
        } else if (ch == '/' && lx->p + 1 < lx->end && lx->p[1] == '/') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else if (ch == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
            const char *start = lx->p;
            lx->p += 2;
            while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
                if (*lx->p == '\n')
                    newline(lx, lx->p + 1);
                lx->p++;
            }
            if (lx->p + 1 >= lx->end) {
                /* yara 4.2.3 accepts a block comment left open at the end of the file. */
                (void)start;
                for (; lx->p < lx->end; lx->p++)
                    if (*lx->p == '\n')
                        newline(lx, lx->p + 1);
                return 0;
            }
            lx->p += 2;
        } else {
            break;
        }
    }
    return 0;
}

static int is_ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Characters of a hex string other than comments: blanks, hex digits and the punctuation of
 * wildcards, jumps and alternatives. A table: hex strings are most of the text of some sets. */
static const bool hex_material[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['-'] = 1, ['|'] = 1, ['~'] = 1, ['?'] = 1,
    ['['] = 1, [']'] = 1, ['('] = 1, [')'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

/* A '{' starts a hex string when everything up to the next '}' is hex-string material. Returns
 * the position of the closing '}' or NULL. */
static const char *match_hex_string(const vt_lexer *lx, const char *open)
{
    const char *p = open + 1;
    int items = 0;
    while (p < lx->end) {
        const char *run = p; /* material at once */
        while (p < lx->end && hex_material[(unsigned char)*p])
            p++;
        if (p > run) {
            items++;
            continue;
        }
        char ch = *p;
        if (ch == '}')
            return items ? p : NULL;
        if (ch == '/' && p + 1 < lx->end && p[1] == '*') {
            const char *q = p + 2;
            while (q + 1 < lx->end && !(q[0] == '*' && q[1] == '/'))
                q++;
            if (q + 1 >= lx->end)
                return NULL;
            p = q + 2;
        } else if (ch == '/' && p + 1 < lx->end && p[1] == '/') {
            while (p < lx->end && *p != '\n')
                p++;
        } else {
            return NULL;
        }
        items++;
    }
    return NULL;
}

static vt_tok lex_number(vt_lexer *lx, vt_token *tok)
{
    const char *start = lx->p;
    const char *p = start;
    if (p + 1 < lx->end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && p + 2 < lx->end &&
        hex_value(p[2]) >= 0) {
        p += 2;
        uint64_t v = 0;
        int digits = 0;
        while (p < lx->end && hex_value(*p) >= 0) {
            v = v * 16 + (uint64_t)hex_value(*p++);
            digits++;
        }
        lx->p = p;
        if (digits > 16 || v > (uint64_t)INT64_MAX)
            return lex_error(lx, start, "integer overflow in \"%.*s\"", (int)(p - start), start);
        tok->ival = (int64_t)v;
        return T_INT;
    }
    if (p + 1 < lx->end && p[0] == '0' && p[1] == 'o' && p + 2 < lx->end && p[2] >= '0' &&
        p[2] <= '7') {
        p += 2;
        uint64_t v = 0;
        int overflow = 0;
        while (p < lx->end && *p >= '0' && *p <= '7') {
            if (v > ((uint64_t)INT64_MAX >> 3))
                overflow = 1;
            v = (v << 3) + (uint64_t)(*p++ - '0');
        }
        lx->p = p;
        if (overflow || v > (uint64_t)INT64_MAX)
            return lex_error(lx, start, "integer overflow in \"%.*s\"", (int)(p - start), start);
        tok->ival = (int64_t)v;
        return T_INT;
    }
    while (p < lx->end && isdigit((unsigned char)*p))
        p++;
    if (p + 1 < lx->end && *p == '.' && isdigit((unsigned char)p[1])) {
        p++;
        while (p < lx->end && isdigit((unsigned char)*p))
            p++;
        char buf[128];
        size_t n = (size_t)(p - start) < sizeof buf - 1 ? (size_t)(p - start) : sizeof buf - 1;
        memcpy(buf, start, n);
        buf[n] = 0;
        tok->fval = strtod(buf, NULL);
        lx->p = p;
        return T_FLOAT;
    }
    uint64_t v = 0;
    int overflow = 0;
    for (const char *q = start; q < p; q++)
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(*q - '0'), &v))
            overflow = 1;
    int64_t mult = 1;
    if (p + 1 < lx->end && (p[0] == 'K' || p[0] == 'M') && p[1] == 'B') {
        mult = p[0] == 'K' ? 1024 : 1048576;
        p += 2;
    }
    lx->p = p;
    if (overflow || v > (uint64_t)INT64_MAX || (int64_t)v > INT64_MAX / mult)
        return lex_error(lx, start, "integer overflow in \"%.*s\"", (int)(p - start), start);
    tok->ival = (int64_t)v * mult;
    return T_INT;
}

static vt_tok lex_text(vt_lexer *lx, vt_token *tok)
{
    const char *start = lx->p;
    const char *p = start + 1;
    lx->text.len = 0;
    while (p < lx->end && *p != '"') {
        char ch = *p;
        if (ch == '\n') {
            lx->p = p;
            return lex_error(lx, start, "unterminated string");
        }
        if (ch == '\\') {
            if (p + 1 >= lx->end)
                break;
            char e = p[1];
            unsigned char out;
            if (e == 'n') out = '\n';
            else if (e == 't') out = '\t';
            else if (e == 'r') out = '\r';
            else if (e == '"') out = '"';
            else if (e == '\\') out = '\\';
            else if (e == 'x' && p + 3 < lx->end && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0) {
                out = (unsigned char)(hex_value(p[2]) * 16 + hex_value(p[3]));
                p += 2;
            } else {
                lx->p = p + 2;
                return lex_error(lx, p, "illegal escape sequence");
            }
            if (vt_buf_append_byte(&lx->text, out) != VT_OK)
                return lex_error(lx, p, "out of memory");
            p += 2;
            continue;
        }
        /* a run of plain characters at once */
        const char *run = p;
        while (p < lx->end && *p != '"' && *p != '\\' && *p != '\n')
            p++;
        if (vt_buf_append(&lx->text, run, (size_t)(p - run)) != VT_OK)
            return lex_error(lx, run, "out of memory");
    }
    if (p >= lx->end) {
        lx->p = lx->end;
        return lex_error(lx, start, "unterminated string");
    }
    lx->p = p + 1;
    tok->text_line = lx->line;
    tok->text_col = column_of(lx, start) + 1;
    return T_TEXT;
}

static vt_tok lex_regex(vt_lexer *lx, vt_token *tok)
{
    const char *start = lx->p;
    const char *p = start + 1;
    lx->text.len = 0;
    while (p < lx->end && *p != '/') {
        if (*p == '\n')
            break;
        if (*p == '\\' && p + 1 < lx->end && p[1] != '\n') {
            if (p[1] == '/') {
                if (vt_buf_append_byte(&lx->text, '/') != VT_OK)
                    return lex_error(lx, p, "out of memory");
            } else if (vt_buf_append(&lx->text, p, 2) != VT_OK) {
                return lex_error(lx, p, "out of memory");
            }
            p += 2;
            continue;
        }
        if (vt_buf_append_byte(&lx->text, (unsigned char)*p) != VT_OK)
            return lex_error(lx, p, "out of memory");
        p++;
    }
    if (p >= lx->end || *p != '/') {
        lx->p = p;
        return lex_error(lx, start, "unterminated regular expression");
    }
    p++;
    tok->regex_flags = 0;
    while (p < lx->end && (*p == 'i' || *p == 's')) {
        tok->regex_flags |= *p == 'i' ? VT_REGEX_NOCASE : VT_REGEX_DOTALL;
        p++;
    }
    lx->p = p;
    if (lx->text.len == 0)
        return lex_error(lx, start, "empty regular expression");
    tok->text_line = lx->line;
    tok->text_col = column_of(lx, start) + 1;
    return T_REGEX;
}

static vt_tok finish_text(vt_lexer *lx, vt_token *tok, vt_tok kind)
{
    tok->text = malloc(lx->text.len + 1);
    if (!tok->text)
        return lex_error(lx, tok->start, "out of memory");
    if (lx->text.len)
        memcpy(tok->text, lx->text.data, lx->text.len);
    tok->text[lx->text.len] = 0;
    tok->text_len = lx->text.len;
    return kind;
}

vt_tok vt_lex(vt_lexer *lx, vt_token *tok)
{
    memset(tok, 0, sizeof *tok);
    if (skip_space(lx) != 0) {
        tok->kind = T_ERROR;
        return T_ERROR;
    }
    tok->line = lx->line;
    tok->col = column_of(lx, lx->p);
    tok->start = lx->p;
    vt_tok kind;
    if (lx->p >= lx->end) {
        kind = T_EOF;
    } else {
        char ch = *lx->p;
        char next = lx->p + 1 < lx->end ? lx->p[1] : 0;
        if (isalpha((unsigned char)ch) || ch == '_') {
            const char *p = lx->p;
            while (p < lx->end && is_ident_char(*p))
                p++;
            size_t n = (size_t)(p - lx->p);
            lx->p = p;
            kind = T_IDENT;
            for (size_t i = 0; n >= 2 && n <= 11 && i < sizeof keywords / sizeof keywords[0]; i++)
                if (keywords[i].word[0] == tok->start[0] && strlen(keywords[i].word) == n &&
                    memcmp(keywords[i].word, tok->start, n) == 0) {
                    kind = keywords[i].kind;
                    tok->ival = keywords[i].intfn;
                    break;
                }
            if (kind == T_IDENT && n > VT_MAX_IDENTIFIER)
                kind = lex_error(lx, tok->start, "identifier too long");
        } else if (isdigit((unsigned char)ch)) {
            kind = lex_number(lx, tok);
        } else if (ch == '$' || ch == '#' || ch == '@' || (ch == '!' && next != '=')) {
            const char *p = lx->p + 1;
            while (p < lx->end && is_ident_char(*p))
                p++;
            kind = ch == '$' ? T_STRING_ID : ch == '#' ? T_STRING_COUNT
                 : ch == '@' ? T_STRING_OFF : T_STRING_LEN;
            if (ch == '$' && p < lx->end && *p == '*') {
                p++;
                kind = T_STRING_WILD;
            }
            lx->p = p;
            if ((size_t)(p - tok->start) > VT_MAX_IDENTIFIER)
                kind = lex_error(lx, tok->start, "identifier too long");
        } else if (ch == '"') {
            kind = lex_text(lx, tok);
            if (kind == T_TEXT)
                kind = finish_text(lx, tok, T_TEXT);
        } else if (ch == '/') {
            kind = lex_regex(lx, tok);
            if (kind == T_REGEX)
                kind = finish_text(lx, tok, T_REGEX);
        } else if (ch == '{') {
            const char *close = match_hex_string(lx, lx->p);
            if (close) {
                lx->text.len = 0;
                tok->text_line = lx->line;
                tok->text_col = tok->col + 1;
                if (vt_buf_append(&lx->text, lx->p + 1, (size_t)(close - lx->p - 1)) != VT_OK) {
                    kind = lex_error(lx, lx->p, "out of memory");
                } else {
                    for (const char *q = lx->p;
                         (q = memchr(q, '\n', (size_t)(close - q))) != NULL; q++)
                        newline(lx, q + 1);
                    lx->p = close + 1;
                    kind = finish_text(lx, tok, T_HEX);
                }
            } else {
                lx->p++;
                kind = T_LBRACE;
            }
        } else {
            static const struct {
                const char *text;
                vt_tok kind;
            } punct[] = {
                {"..", T_DOTDOT}, {"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE},
                {"<<", T_SHL}, {">>", T_SHR}, {"(", T_LPAREN}, {")", T_RPAREN},
                {"}", T_RBRACE}, {"[", T_LBRACK}, {"]", T_RBRACK}, {":", T_COLON},
                {",", T_COMMA}, {".", T_DOT}, {"=", T_EQ_ASSIGN}, {"<", T_LT}, {">", T_GT},
                {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR}, {"\\", T_BACKSLASH},
                {"%", T_PERCENT}, {"&", T_AMP}, {"|", T_PIPE}, {"^", T_CARET}, {"~", T_TILDE},
            };
            kind = T_ERROR;
            for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++) {
                if (punct[i].text[0] != ch)
                    continue;
                size_t n = strlen(punct[i].text);
                if ((size_t)(lx->end - lx->p) >= n && memcmp(lx->p, punct[i].text, n) == 0) {
                    kind = punct[i].kind;
                    lx->p += n;
                    break;
                }
            }
            if (kind == T_ERROR) {
                if (isprint((unsigned char)ch))
                    lex_error(lx, lx->p, "syntax error, unexpected character '%c'", ch);
                else
                    lex_error(lx, lx->p, "syntax error, unexpected byte 0x%02x",
                              (unsigned char)ch);
                lx->p++;
            }
        }
    }
    tok->kind = kind;
    tok->len = (size_t)(lx->p - tok->start);
    return kind;
}
