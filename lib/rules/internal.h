/* internal.h: what the files of lib/rules share: tokens of the lexer, the compiler's state (the
 * growing tables that become the ruleset image), a string-keyed hash map, and diagnostics. */
#ifndef VITRINE_RULES_INTERNAL_H
#define VITRINE_RULES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/modules.h>
#include <vitrine/rules.h>

#define VT_MAX_IDENTIFIER 128   /* yara's YR_MAX_IDENTIFIER_LENGTH */
#define VT_MAX_LOOP_NESTING 4   /* yara's YR_MAX_LOOP_NESTING */
#define VT_MAX_INCLUDE_DEPTH 16 /* yara's YR_MAX_INCLUDE_DEPTH */
#define VT_MAX_STRINGS_PER_RULE 10000
#define VT_MAX_EXPR_DEPTH 9985   /* nesting of parentheses and operators (yara: ~10,000) */
#define VT_MAX_FUNCTION_ARGS 128

/* ---- growable arrays ---- */
typedef struct vt_vec {
    unsigned char *data;
    size_t len, cap; /* in elements */
    size_t elem;
} vt_vec;
vt_status vt_vec_push(vt_vec *v, const void *item, uint32_t *index);
#define VT_VEC_AT(v, type, i) (((type *)(v)->data) + (i))
void vt_vec_free(vt_vec *v);

/* ---- string -> u32 map (open addressing) ---- */
typedef struct vt_map_entry {
    char *key;
    uint32_t value;
} vt_map_entry;
typedef struct vt_map {
    vt_map_entry *slots;
    size_t cap, count;
} vt_map;
/* 1 and *value if found, 0 if not. */
int vt_map_get(const vt_map *m, const char *key, uint32_t *value);
vt_status vt_map_put(vt_map *m, const char *key, uint32_t value);
void vt_map_free(vt_map *m);

/* ---- the string pool's index: pool strings by content (open addressing) ---- */
typedef struct vt_pool_slot {
    uint64_t hash;
    uint32_t off, len; /* len == UINT32_MAX: an empty slot */
} vt_pool_slot;
typedef struct vt_pool_index {
    vt_pool_slot *slots;
    size_t cap, count;
} vt_pool_index;

/* ---- tokens ---- */
typedef enum vt_tok {
    T_EOF = 0,
    T_IDENT,        /* foo */
    T_STRING_ID,    /* $a, $ */
    T_STRING_WILD,  /* $a* */
    T_STRING_COUNT, /* #a */
    T_STRING_OFF,   /* @a */
    T_STRING_LEN,   /* !a */
    T_INT,
    T_FLOAT,
    T_TEXT,  /* "..." (escapes resolved) */
    T_REGEX, /* /.../is */
    T_HEX,   /* { ... } in strings */
    /* keywords */
    T_ALL, T_AND, T_ANY, T_ASCII, T_AT, T_BASE64, T_BASE64WIDE, T_CONDITION, T_CONTAINS,
    T_DEFINED, T_ENDSWITH, T_ENTRYPOINT, T_FALSE, T_FILESIZE, T_FOR, T_FULLWORD, T_GLOBAL,
    T_ICONTAINS, T_IENDSWITH, T_IEQUALS, T_IMPORT, T_IN, T_INCLUDE, T_ISTARTSWITH, T_MATCHES,
    T_META, T_NOCASE, T_NONE, T_NOT, T_OF, T_OR, T_PRIVATE, T_RULE, T_STARTSWITH, T_STRINGS,
    T_THEM, T_TRUE, T_WIDE, T_XOR, T_INTFN, /* int8 .. uint32be; value in tok.ival (flags) */
    /* punctuation */
    T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_COLON, T_COMMA, T_DOT,
    T_DOTDOT, T_EQ_ASSIGN, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR,
    T_BACKSLASH, T_PERCENT, T_AMP, T_PIPE, T_CARET, T_TILDE, T_SHL, T_SHR,
    T_ERROR, /* the lexer found a problem; the message is in the lexer */
} vt_tok;

typedef struct vt_token {
    vt_tok kind;
    unsigned line, col;
    const char *start; /* in the source */
    size_t len;
    int64_t ival;
    double fval;
    char *text;      /* T_TEXT bytes, T_REGEX/T_HEX pattern text, identifiers: owned by lexer */
    size_t text_len;
    unsigned regex_flags; /* VT_REGEX_* */
    unsigned text_line, text_col; /* where the pattern text starts */
} vt_token;

typedef struct vt_lexer {
    const char *src, *end, *p;
    unsigned line;
    const char *line_start;
    const char *file;
    vt_buf text; /* scratch for the current token's text */
    char message[512];
    unsigned err_line, err_col;
} vt_lexer;

void vt_lexer_init(vt_lexer *lx, const char *file, const char *src, size_t len);
void vt_lexer_free(vt_lexer *lx);
/* Next token; T_ERROR with lx->message on a lexical error. `in_strings` enables { hex } tokens. */
vt_tok vt_lex(vt_lexer *lx, vt_token *tok);
const char *vt_tok_describe(vt_tok kind);

/* ---- compiler state ---- */
typedef struct vt_diagnostic {
    vt_error error;
    char rule[VT_MAX_IDENTIFIER + 1]; /* the rule it was found in; "" if none */
} vt_diagnostic;

typedef struct vt_module_ref {
    char name[64];
    vt_module_decl *decl;
} vt_module_ref;

struct vt_compiler {
    vt_buf pool;       /* string pool */
    vt_vec namespaces; /* vt_rs_str */
    vt_vec rules, tags, meta, strings, nodes, lists, imports, externals;
    vt_map rule_names;  /* "ns\x01name" -> rule index */
    vt_map rule_wildcards; /* "ns\x01prefix" of each rule set `prefix*` used so far -> 1 */
    vt_map ns_names;    /* name -> namespace index */
    vt_map import_names; /* "ns\x01module" -> import index */
    vt_map extern_names; /* name -> external index */
    vt_pool_index pool_index; /* short pool strings, to store them once */
    vt_module_ref modules[32];
    size_t module_count;
    vt_vec warnings; /* vt_diagnostic */
    /* The rule being parsed, as yara's current_rule_idx: set once the rule's identifier is
     * accepted, cleared when the rule is complete; "" outside a rule. */
    char current_rule[VT_MAX_IDENTIFIER + 1];
    bool failed;
    unsigned include_depth;
    char *include_stack[VT_MAX_INCLUDE_DEPTH + 1];
    void *parser_stack; /* the stack sources are parsed on (compiler.c); NULL: not mapped yet */
};

vt_status vt_pool_add(vt_compiler *c, const void *data, size_t len, vt_rs_str *out);
const char *vt_pool_get(const vt_compiler *c, vt_rs_str s);
vt_status vt_compiler_warn(vt_compiler *c, const char *file, unsigned line, unsigned col,
                           const char *format, ...) __attribute__((format(printf, 5, 6)));
/* The declaration of module `name`, loaded once per compiler; NULL if unknown. */
vt_module_decl *vt_compiler_module(vt_compiler *c, const char *name, vt_error *err,
                                   vt_status *status);

/* Parse one source (a file or memory) into namespace `ns_index`. `dir` is where includes are
 * resolved (may be NULL: current directory). */
vt_status vt_parse_source(vt_compiler *c, uint32_t ns_index, const char *file, const char *dir,
                          const char *text, size_t len, vt_error *err);
vt_status vt_compiler_add_path(vt_compiler *c, uint32_t ns_index, const char *path,
                               vt_error *err);

/* Build and validate ruleset images (format.c). */
vt_status vt_image_build(const vt_compiler *c, unsigned char **image, size_t *len,
                         vt_error *err);

/* Pattern checks (patterns.c): lib/match's parsers. On failure fill `message` and the 1-based
 * offset of the problem in the pattern text (0 if unknown) and return 0. A valid hex string also
 * gives yara's "may slow down scanning" verdict in *slow (from the same parse). */
int vt_rules_check_hex(const char *text, size_t len, bool *slow, char *message,
                       size_t message_size, unsigned *offset);
int vt_rules_check_regex(const char *text, size_t len, unsigned flags, char *message,
                         size_t message_size, unsigned *offset);
/* yara's "may slow down scanning" verdict for a string. */
bool vt_rules_string_is_slow(const vt_string_spec *spec);
/* yara's ".*" warning: the regex repeats '.' without bound outside alternatives and repeated
 * groups. */
bool vt_rules_regex_has_unbounded_dot(const char *text, size_t len);

#endif
