/* parser.h: the recursive-descent parser's state, shared by parser.c (sources, rules, meta,
 * strings) and condition.c (conditions: precedence, types, loops, module fields). */
#ifndef VITRINE_RULES_PARSER_H
#define VITRINE_RULES_PARSER_H

#include "internal.h"

typedef struct vt_loop {
    char names[2][VT_MAX_IDENTIFIER + 1];
    int nvars;
    bool for_of;
    /* types of the variables; objects keep their declaration */
    uint8_t types[2];
    vt_module_decl *decls[2];
    int32_t objects[2];
    bool struct_item[2];
} vt_loop;

typedef struct vt_parser {
    vt_compiler *c;
    vt_lexer lx;
    vt_token tok;  /* current */
    vt_token next; /* lookahead, valid when has_next */
    bool has_next;
    unsigned prev_line, prev_col; /* the token before the current one */
    uint32_t ns;
    const char *file;
    const char *dir;
    vt_error *err;
    /* the rule being parsed */
    uint32_t rule;
    char rule_name[VT_MAX_IDENTIFIER + 1];
    uint32_t string_first;
    vt_map string_ids;  /* "$a" -> index into c->strings */
    vt_vec referenced;  /* uint8_t per string of the rule */
    vt_vec string_pos;  /* unsigned[2] line/col per string of the rule */
    vt_loop loops[VT_MAX_LOOP_NESTING];
    int loop_depth;
    int for_of_depth; /* innermost for-of loop + 1, 0 outside */
    int expr_depth;
} vt_parser;

/* An expression's value while parsing. */
typedef struct vt_expr {
    uint32_t node;
    uint8_t type;      /* VT_TYPE_* */
    bool primary;      /* usable as an operand of arithmetic and comparisons */
    bool literal;      /* a text string literal (for yara's warning) */
    bool constant;     /* an integer whose value is known while compiling (yara folds these) */
    int64_t value;
    vt_module_decl *decl; /* OBJECT: declaration and object */
    int32_t object;
    bool struct_item;  /* OBJECT: an item (structure) of an array or dictionary of structures */
    const char *literal_text;
    char name[VT_MAX_IDENTIFIER + 1]; /* identifier, for messages */
} vt_expr;

vt_status vt_parser_advance(vt_parser *p);
vt_status vt_parser_peek(vt_parser *p, vt_token **out);
vt_status vt_parser_error(vt_parser *p, unsigned line, unsigned col, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
vt_status vt_parser_unexpected(vt_parser *p, const char *expecting);
vt_status vt_parser_expect(vt_parser *p, vt_tok kind, const char *expecting);
vt_status vt_parser_emit(vt_parser *p, uint16_t op, uint8_t type, uint8_t flags, uint32_t a,
                         uint32_t b, uint32_t cc, int64_t imm, uint32_t *index);
vt_status vt_parser_emit_str(vt_parser *p, uint16_t op, uint8_t type, uint8_t flags,
                             uint32_t a, uint32_t b, uint32_t cc, const char *text, size_t len,
                             uint32_t *index);
/* Parse `condition: ...`'s boolean expression into nodes; *root is the rule's root node. */
vt_status vt_parse_condition(vt_parser *p, uint32_t *root);

#endif
