/* split.c: cutting a YARA rule file into pieces at rule boundaries, for publishing a file larger
 * than one log entry (docs/entries.md, "Split rule files"). The file is read with the rule
 * lexer (so braces in text, regular expressions, hex strings and comments are never mistaken for
 * a rule's end); each piece holds whole rules in file order, the text between them (comments)
 * going with the rule that follows. Piece 1 starts at the file's first byte (everything before
 * the first rule, imports included); every later piece starts with the import statements seen
 * before it. Since yara only lets a condition name a rule defined earlier in the namespace,
 * compiling the pieces in order into one namespace resolves every reference. A single rule too
 * large for an entry is stored with its insignificant blanks and comments reduced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/rules.h>

#include "internal.h"

void vt_source_pieces_free(vt_source_piece *pieces, size_t count)
{
    for (size_t i = 0; pieces && i < count; i++)
        free(pieces[i].text);
    free(pieces);
}

typedef struct split_run {
    const char *file, *src;
    size_t max_len;
    vt_buf imports;       /* the import statements seen so far, one per line */
    size_t piece_imports; /* imports.len when the current piece was started */
    vt_buf piece;         /* the current piece */
    size_t piece_units;
    vt_source_piece *pieces;
    size_t count;
} split_run;

static vt_status nomem(vt_error *err)
{
    return vt_error_set(err, VT_ERR_NOMEM, "out of memory splitting a rule file");
}

static vt_status close_piece(split_run *s, vt_error *err)
{
    if (s->piece_units == 0)
        return VT_OK;
    vt_source_piece *grown = realloc(s->pieces, (s->count + 1) * sizeof *grown);
    if (!grown)
        return nomem(err);
    s->pieces = grown;
    char *text = malloc(s->piece.len + 1);
    if (!text)
        return nomem(err);
    memcpy(text, s->piece.data, s->piece.len);
    text[s->piece.len] = 0;
    s->pieces[s->count++] = (vt_source_piece){text, s->piece.len};
    s->piece.len = 0;
    s->piece_units = 0;
    return VT_OK;
}

/* A rule too large for one entry even alone, written with its insignificant whitespace
 * reduced: comments and the blanks between tokens become one newline (if the gap held one) or
 * one space, and the blanks inside hex strings are dropped. Text strings and regular expressions
 * are copied byte for byte, so the rule means exactly the same. */
static vt_status compact_unit(const char *file, const char *from, const char *to, vt_buf *out,
                              vt_error *err)
{
    vt_lexer lx;
    vt_lexer_init(&lx, file, from, (size_t)(to - from));
    vt_token tok;
    const char *prev_end = NULL;
    vt_status st = VT_OK;
    for (;;) {
        vt_tok kind = vt_lex(&lx, &tok);
        free(tok.text);
        if (kind == T_ERROR) {
            st = vt_error_at(err, VT_ERR_SYNTAX, file, lx.err_line, lx.err_col, "%s", lx.message);
            break;
        }
        if (kind == T_EOF)
            break;
        if (prev_end && tok.start > prev_end)
            st = vt_buf_append(out, memchr(prev_end, '\n', (size_t)(tok.start - prev_end)) ? "\n"
                                                                                           : " ",
                               1);
        if (kind == T_HEX && !memchr(tok.start, '/', tok.len)) {
            for (size_t i = 0; i < tok.len && st == VT_OK; i++)
                if (tok.start[i] != ' ' && tok.start[i] != '\t' && tok.start[i] != '\n' &&
                    tok.start[i] != '\r')
                    st = vt_buf_append(out, tok.start + i, 1);
        } else if (st == VT_OK) {
            st = vt_buf_append(out, tok.start, tok.len);
        }
        if (st != VT_OK) {
            st = nomem(err);
            break;
        }
        prev_end = tok.start + tok.len;
    }
    if (st == VT_OK && vt_buf_append(out, "\n", 1) != VT_OK)
        st = nomem(err);
    vt_lexer_free(&lx);
    return st;
}

/* Add the text [from, to) holding one rule (what, at line) to the current piece, or start a new
 * piece with it (after the imports seen before it). */
static vt_status add_unit(split_run *s, const char *from, const char *to, unsigned line,
                          vt_error *err)
{
    size_t n = (size_t)(to - from);
    if (s->piece_units > 0 && s->piece.len + n > s->max_len) {
        vt_status st = close_piece(s, err);
        if (st != VT_OK)
            return st;
    }
    if (s->piece_units == 0 && s->count > 0 &&
        vt_buf_append(&s->piece, s->imports.data, s->imports.len) != VT_OK)
        return nomem(err);
    if (s->piece.len + n > s->max_len) {
        vt_buf compact = {0};
        vt_status st = compact_unit(s->file, from, to, &compact, err);
        if (st == VT_OK && s->piece.len + compact.len > s->max_len)
            st = vt_error_at(err, VT_ERR_LIMIT, s->file, line, 0,
                             "this rule is %zu bytes even without comments and extra blanks "
                             "(with the file's imports): more than one log entry can hold (%zu)",
                             s->piece.len + compact.len, s->max_len);
        if (st == VT_OK && vt_buf_append(&s->piece, compact.data, compact.len) != VT_OK)
            st = nomem(err);
        vt_buf_free(&compact);
        if (st != VT_OK)
            return st;
    } else if (vt_buf_append(&s->piece, from, n) != VT_OK) {
        return nomem(err);
    }
    s->piece_units++;
    return VT_OK;
}

static vt_status split(split_run *s, vt_lexer *lx, size_t len, vt_error *err)
{
    vt_token tok;
    const char *unit_start = s->src; /* the text not yet in a piece starts here */
    const char *rule_start = NULL;
    unsigned rule_line = 0;
    int depth = 0, after_import = 0;
    for (;;) {
        vt_tok kind = vt_lex(lx, &tok);
        free(tok.text);
        if (kind == T_ERROR)
            return vt_error_at(err, VT_ERR_SYNTAX, s->file, lx->err_line, lx->err_col, "%s",
                               lx->message);
        if (kind == T_EOF)
            break;
        if (after_import) {
            after_import = 0;
            if (kind == T_TEXT &&
                (vt_buf_append(&s->imports, "import ", 7) != VT_OK ||
                 vt_buf_append(&s->imports, tok.start, tok.len) != VT_OK ||
                 vt_buf_append(&s->imports, "\n", 1) != VT_OK))
                return nomem(err);
        }
        if (depth == 0 && kind == T_IMPORT && !rule_start)
            after_import = 1;
        else if (depth == 0 && kind == T_INCLUDE)
            return vt_error_at(err, VT_ERR_ARGUMENT, s->file, tok.line, tok.col,
                               "a file with include directives cannot be split: publish the "
                               "included files instead");
        else if (depth == 0 && !rule_start &&
                 (kind == T_RULE || kind == T_PRIVATE || kind == T_GLOBAL)) {
            rule_start = tok.start;
            rule_line = tok.line;
        } else if (kind == T_LBRACE && rule_start) {
            depth++;
        } else if (kind == T_RBRACE && rule_start && depth > 0 && --depth == 0) {
            const char *end = tok.start + tok.len;
            vt_status st = add_unit(s, unit_start, end, rule_line, err);
            if (st != VT_OK)
                return st;
            unit_start = end;
            rule_start = NULL;
        }
    }
    if (rule_start)
        return vt_error_at(err, VT_ERR_SYNTAX, s->file, rule_line, 0, "unterminated rule");
    /* what follows the last rule (comments, a final newline) goes with it */
    size_t rest = (size_t)(s->src + len - unit_start);
    if (rest && s->piece_units && s->piece.len + rest <= s->max_len) {
        if (vt_buf_append(&s->piece, unit_start, rest) != VT_OK)
            return nomem(err);
    } else if (rest && !s->piece_units && s->count == 0) {
        vt_status st = add_unit(s, unit_start, s->src + len, 1, err); /* no rule at all */
        if (st != VT_OK)
            return st;
    }
    return close_piece(s, err);
}

vt_status vt_rules_split_source(const char *file, const char *src, size_t len, size_t max_len,
                                vt_source_piece **pieces, size_t *count, vt_error *err)
{
    *pieces = NULL;
    *count = 0;
    split_run s = {.file = file, .src = src, .max_len = max_len};
    vt_lexer lx;
    vt_lexer_init(&lx, file, src, len);
    vt_status st = split(&s, &lx, len, err);
    vt_lexer_free(&lx);
    vt_buf_free(&s.imports);
    vt_buf_free(&s.piece);
    if (st != VT_OK) {
        vt_source_pieces_free(s.pieces, s.count);
        return st;
    }
    *pieces = s.pieces;
    *count = s.count;
    return VT_OK;
}
