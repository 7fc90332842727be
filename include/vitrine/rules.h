/* vitrine/rules.h: the YARA 4.x rule compiler and the compiled ruleset.
 *
 * A vt_compiler takes rule sources (files or memory, each in a namespace), checks them as yara
 * 4.2.3 does (same accepted and rejected sources, diagnostics as FILE:LINE:COL: message), and
 * produces a vt_ruleset. A ruleset is one contiguous, position-independent image (the same bytes
 * as the file format of docs/ruleset-format.md): immutable, so any number of threads may read it
 * without locks. Loading a saved ruleset maps the file and validates it; nothing is re-parsed.
 *
 * The scanner reads a ruleset through the record types below: rules, their tags, meta and
 * strings, and each rule's condition as an array of typed nodes in post-order (every child has a
 * smaller index than its parent; the rule's root is its last node). See docs/ruleset-format.md for
 * the meaning of each operation.
 *
 * Promises: no global state; a failed compile writes nothing and leaves no ruleset; a corrupt,
 * truncated or foreign ruleset file is refused with VT_ERR_FORMAT and a precise message. */
#ifndef VITRINE_RULES_H
#define VITRINE_RULES_H

#include <vitrine/common.h>
#include <vitrine/pattern.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VT_RULESET_MAGIC "VTRULES\0"
#define VT_RULESET_VERSION 1u
/* Which compile of the same sources a ruleset is: raised whenever the compiler writes other bytes
 * for them (the string records, the factors chosen for the matcher, its layout), though the
 * format and the detections stay the same. The installed ruleset's record names it, so that a
 * rules.vtr compiled by an earlier revision is compiled again rather than compared byte for
 * byte by verify-installed. 2: factors cut to their longest literal run (issue 12). 3: factors
 * with classes or gaps searched by a literal run and confirmed whole (VTMATCH3). 4: a second
 * database for files without the header most rules require (VTMATCH4). 5: gate escapes, the
 * rules `(header and ...) or all of them` gated too (VTMATCH5). 6: Vectorscan databases in
 * vectored mode (VTMATCH6). 7: literal factors searched through a shorter literal factor that
 * matches wherever they do (factor_share.c; the format is still VTMATCH6). 8: alternations of up
 * to 64 branches give factors, each branch's run joined with the nodes around it. 9: a hex
 * alternation of single bytes, ( 43 | 63 ), is one position of a factor (the set of them). 10:
 * weak strings searched by a run with bounded jumps, as one regex (factor.c best_var_run). 11:
 * the strings of rules that the header gate rules out in a database of their own (VTMATCH7). 12:
 * a weak factor's hits checked for a companion run of its string nearby (VTMATCH8). */
#define VT_RULESET_COMPILE_REVISION 12u
#define VT_NONE 0xffffffffu /* "no node", "no index" */

/* Section identifiers (four ASCII characters, little-endian). Readers ignore sections they do not
 * know, so later parts (e.g. the matcher's database) can add sections without a new version. */
#define VT_SECTION_ID(a, b, c, d)                                                              \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define VT_SECTION_STRPOOL VT_SECTION_ID('S', 'T', 'R', 'P')
#define VT_SECTION_NAMESPACES VT_SECTION_ID('N', 'S', 'P', 'C')
#define VT_SECTION_RULES VT_SECTION_ID('R', 'U', 'L', 'E')
#define VT_SECTION_TAGS VT_SECTION_ID('T', 'A', 'G', 'S')
#define VT_SECTION_META VT_SECTION_ID('M', 'E', 'T', 'A')
#define VT_SECTION_STRINGS VT_SECTION_ID('P', 'A', 'T', 'T')
#define VT_SECTION_NODES VT_SECTION_ID('C', 'O', 'N', 'D')
#define VT_SECTION_LISTS VT_SECTION_ID('L', 'I', 'S', 'T')
#define VT_SECTION_IMPORTS VT_SECTION_ID('I', 'M', 'P', 'T')
#define VT_SECTION_EXTERNALS VT_SECTION_ID('E', 'X', 'T', 'V')

/* A string in the pool: `len` bytes at `off`, always followed by a NUL. */
typedef struct vt_rs_str {
    uint32_t off, len;
} vt_rs_str;

typedef struct vt_rs_header {
    char magic[8];          /* VT_RULESET_MAGIC */
    uint32_t version;       /* VT_RULESET_VERSION */
    uint32_t header_size;   /* sizeof(vt_rs_header) = 64 */
    uint64_t file_size;     /* the whole image */
    uint32_t section_count; /* vt_rs_section records follow the header */
    uint32_t flags;         /* 0 */
    uint8_t sha256[32];     /* SHA-256 of the whole image with this field zeroed */
} vt_rs_header;

typedef struct vt_rs_section {
    uint32_t id, flags;
    uint64_t offset, size; /* offset is a multiple of 8 */
} vt_rs_section;

enum { VT_RULE_GLOBAL = 1, VT_RULE_PRIVATE = 2 };

typedef struct vt_rs_rule {
    vt_rs_str name;
    uint32_t ns;    /* index into the namespaces (vt_rs_str each) */
    uint32_t flags; /* VT_RULE_GLOBAL | VT_RULE_PRIVATE */
    uint32_t tag_first, tag_count;       /* into TAGS (vt_rs_str) */
    uint32_t meta_first, meta_count;     /* into META */
    uint32_t string_first, string_count; /* into STRINGS */
    uint32_t node_first, node_count;     /* into NODES; the root is the last one */
    uint32_t line, reserved;
} vt_rs_rule;

enum { VT_META_STRING = 1, VT_META_INTEGER = 2, VT_META_BOOLEAN = 3 };

typedef struct vt_rs_meta {
    vt_rs_str key;
    uint32_t type, reserved;
    int64_t integer; /* INTEGER and BOOLEAN */
    vt_rs_str string; /* STRING (bytes, escapes resolved) */
} vt_rs_meta;

/* String kinds are vt_string_kind (VT_STRING_TEXT, VT_STRING_HEX, VT_STRING_REGEX) and the
 * modifier bits VT_MOD_* of vitrine/pattern.h; flags of vt_rs_string add these: */
enum {
    VT_RS_REGEX_NOCASE = 1 << 8,  /* /.../i */
    VT_RS_REGEX_DOTALL = 1 << 9,  /* /.../s: dot matches newline */
    VT_RS_ANONYMOUS = 1 << 10,    /* declared as `$` */
    VT_RS_SLOW = 1 << 11,         /* yara warns it may slow down scanning */
    /* yara's STRING_FLAGS_SINGLE_MATCH: the condition only asks whether the string is found
     * (`$a`, sets, `$` in loops), never where or how often (at, in, #, @, !), so fast mode (yara
     * -f) may keep its first match only. Files without the bit keep all matches. */
    VT_RS_SINGLE_MATCH = 1 << 12,
};

typedef struct vt_rs_string {
    vt_rs_str identifier; /* "$a" */
    vt_rs_str text;       /* TEXT: the bytes; HEX: text between the braces; REGEX: between slashes */
    uint32_t rule;        /* owning rule */
    uint32_t flags;       /* VT_MOD_* | VT_RS_* */
    uint8_t kind;         /* vt_string_kind */
    uint8_t xor_min, xor_max, reserved;
    uint32_t reserved2;
    vt_rs_str base64_alphabet;     /* empty: the standard alphabet */
    vt_rs_str base64wide_alphabet;
} vt_rs_string;

/* Value types of condition nodes. */
enum {
    VT_TYPE_NONE = 0,
    VT_TYPE_BOOL,
    VT_TYPE_INT,
    VT_TYPE_FLOAT,
    VT_TYPE_STRING,
    VT_TYPE_REGEX,
    VT_TYPE_OBJECT, /* a module structure, array, dictionary or function */
    VT_TYPE_SET,    /* a set of strings or rules */
    VT_TYPE_RANGE,  /* (a..b) or an enumeration */
};

/* Condition operations. a, b, c are node indices (VT_NONE if unused) unless noted; "list" means
 * b/c hold (first, count) into the LISTS section. Undefined values propagate as in yara. */
enum vt_op {
    VT_OP_CONST_BOOL = 1, /* v.i */
    VT_OP_CONST_INT,      /* v.i */
    VT_OP_CONST_FLOAT,    /* v.f */
    VT_OP_CONST_STRING,   /* v.s */
    VT_OP_CONST_REGEX,    /* v.s pattern text; flags VT_REGEX_* (pattern.h) */
    VT_OP_FILESIZE,
    VT_OP_ENTRYPOINT,
    VT_OP_STRING_MATCH,  /* v.i string index (VT_NONE: the current string of for-of, c = depth) */
    VT_OP_STRING_AT,     /* v.i string; a offset */
    VT_OP_STRING_IN,     /* v.i string; a range */
    VT_OP_STRING_COUNT,  /* v.i string; a range or VT_NONE */
    VT_OP_STRING_OFFSET, /* @a[i]: v.i string; a index (VT_NONE: 1) */
    VT_OP_STRING_LENGTH, /* !a[i]: v.i string; a index (VT_NONE: 1) */
    VT_OP_READ_INT,      /* int8..uint32be: flags = VT_READ_* ; a offset */
    VT_OP_INT_TO_FLOAT,  /* a */
    VT_OP_NEG, VT_OP_ADD, VT_OP_SUB, VT_OP_MUL, VT_OP_DIV, VT_OP_MOD, /* type: INT or FLOAT */
    VT_OP_BIT_NOT, VT_OP_BIT_AND, VT_OP_BIT_OR, VT_OP_BIT_XOR, VT_OP_SHL, VT_OP_SHR,
    VT_OP_LT, VT_OP_LE, VT_OP_GT, VT_OP_GE, VT_OP_EQ, VT_OP_NE, /* flags: operand type */
    VT_OP_CONTAINS, VT_OP_ICONTAINS, VT_OP_STARTSWITH, VT_OP_ISTARTSWITH, VT_OP_ENDSWITH,
    VT_OP_IENDSWITH, VT_OP_IEQUALS,
    VT_OP_MATCHES, /* a string, b CONST_REGEX */
    VT_OP_AND, VT_OP_OR, VT_OP_NOT, VT_OP_DEFINED,
    VT_OP_TO_BOOL, /* a of type INT/FLOAT/STRING as a boolean */
    VT_OP_RANGE,   /* a lower, b upper (type RANGE) */
    VT_OP_ENUM,    /* list b..: integer items (type RANGE) */
    VT_OP_STRING_SET, /* list b..: string indices (type SET) */
    VT_OP_RULE_SET,   /* list b..: rule indices (type SET) */
    VT_OP_OF,      /* a quantifier, b set, c range or VT_NONE */
    VT_OP_FOR_OF,  /* a quantifier, b set, c body; v.i loop depth */
    VT_OP_FOR_IN,  /* a quantifier, b iterable (RANGE, ENUM or object), c body; v.i loop depth,
                      flags = number of variables (1 or 2) */
    VT_OP_QUANT,   /* flags VT_QUANT_*; a expression for COUNT and PERCENT */
    VT_OP_LOOP_VAR, /* v.i variable slot: 2 * depth + (0 or 1) */
    VT_OP_RULE,     /* v.i rule index */
    VT_OP_EXTERNAL, /* v.i external index */
    VT_OP_MODULE,   /* v.s module name: the module's root structure */
    VT_OP_FIELD,    /* a object; v.s member name */
    VT_OP_INDEX,    /* a array or dictionary; b index or key */
    VT_OP_CALL,     /* a function object; list b.. of argument nodes; v.s argument format */
    VT_OP_COUNT_
};

enum { VT_QUANT_ALL = 1, VT_QUANT_ANY, VT_QUANT_NONE, VT_QUANT_COUNT, VT_QUANT_PERCENT };
/* VT_OP_READ_INT flags: bytes (1, 2, 4) | VT_READ_SIGNED | VT_READ_BIG_ENDIAN */
enum { VT_READ_SIGNED = 0x10, VT_READ_BIG_ENDIAN = 0x20 };

typedef struct vt_rs_node {
    uint16_t op;  /* enum vt_op */
    uint8_t type; /* VT_TYPE_* of the value */
    uint8_t flags;
    uint32_t a, b, c;
    union {
        int64_t i;
        double f;
        vt_rs_str s;
    } v;
} vt_rs_node;

typedef struct vt_rs_import {
    uint32_t ns;
    vt_rs_str module;
} vt_rs_import;

typedef struct vt_rs_external {
    vt_rs_str name;
    uint32_t type; /* VT_TYPE_BOOL, INT, FLOAT or STRING */
    uint32_t reserved;
    union {
        int64_t i;
        double f;
    } v;
    vt_rs_str string;
} vt_rs_external;

/* ---- compiling ---- */

typedef struct vt_compiler vt_compiler;
typedef struct vt_ruleset vt_ruleset;

VT_API vt_status vt_compiler_new(vt_compiler **out, vt_error *err);
VT_API void vt_compiler_free(vt_compiler *compiler);

/* Define an external variable as yarac's -d does: "true"/"false" are booleans, [-]digits an
 * integer, [-]digits with one dot a float, anything else (also "0x10") a string. */
VT_API vt_status vt_compiler_define(vt_compiler *compiler, const char *name, const char *value,
                                    vt_error *err);

/* Add the rules of a file (includes are resolved relative to it) or of memory (`name` is used in
 * diagnostics; includes are relative to the current directory) to namespace `ns` (NULL: "default").
 * On error the compiler is spent: every later call fails and nothing can be finished. */
VT_API vt_status vt_compiler_add_file(vt_compiler *compiler, const char *ns, const char *path,
                                      vt_error *err);
VT_API vt_status vt_compiler_add_source(vt_compiler *compiler, const char *ns, const char *name,
                                        const char *text, size_t len, vt_error *err);

/* Warnings so far, in yara's wording (FILE, LINE, COLUMN filled in). */
VT_API size_t vt_compiler_warning_count(const vt_compiler *compiler);
VT_API const vt_error *vt_compiler_warning(const vt_compiler *compiler, size_t index);
/* The rule a warning was found in (NULL outside a rule), and the rule the compiler was parsing
 * when it failed (NULL if none or not failed): yara's "rule \"R\" in FILE(LINE)" context. A rule
 * counts from its accepted identifier to the end of its unreferenced-string check. */
VT_API const char *vt_compiler_warning_rule(const vt_compiler *compiler, size_t index);
VT_API const char *vt_compiler_error_rule(const vt_compiler *compiler);

/* A rule file cut at rule boundaries into pieces of at most max_len bytes (lib/rules/split.c):
 * piece 1 begins with everything before the first rule, every later piece with the file's
 * import statements seen before it, then whole rules in file order with the comments before
 * them. Compiled in order into one namespace, the pieces define the same rules as the file (a
 * condition can only name a rule defined earlier). VT_ERR_LIMIT (file, line) when one rule alone
 * does not fit; VT_ERR_ARGUMENT for a file with include directives. */
typedef struct vt_source_piece {
    char *text; /* NUL-terminated */
    size_t len;
} vt_source_piece;
VT_API vt_status vt_rules_split_source(const char *file, const char *src, size_t len,
                                       size_t max_len,
                                       vt_source_piece **pieces, size_t *count, vt_error *err);
VT_API void vt_source_pieces_free(vt_source_piece *pieces, size_t count);

/* Produce the ruleset. The compiler may be freed afterwards. */
VT_API vt_status vt_compiler_finish(vt_compiler *compiler, vt_ruleset **out, vt_error *err);
/* vt_compiler_finish without the image's checksum, for a ruleset that is only scanned in this
 * process or that gets a section (vt_ruleset_add_section, which computes the checksum of the
 * final image) before it leaves it: the image is hashed once, or not at all. Until then
 * vt_ruleset_save refuses it (VT_ERR_STATE) and vt_ruleset_image gives NULL. */
VT_API vt_status vt_compiler_finish_unsealed(vt_compiler *compiler, vt_ruleset **out,
                                             vt_error *err);

/* ---- the ruleset ---- */

/* Write the ruleset's image atomically (vt_write_file_atomic). */
VT_API vt_status vt_ruleset_save(const vt_ruleset *rules, const char *path, vt_error *err);
/* Map a saved ruleset and validate it (checksum, bounds, references); no re-parsing. */
VT_API vt_status vt_ruleset_load(const char *path, vt_ruleset **out, vt_error *err);
/* Validate an image in memory and use a private copy of it. */
VT_API vt_status vt_ruleset_from_bytes(const void *data, size_t len, vt_ruleset **out,
                                       vt_error *err);
VT_API void vt_ruleset_free(vt_ruleset *rules);

/* The image (for saving elsewhere or hashing); NULL for a ruleset without its checksum yet
 * (vt_compiler_finish_unsealed). */
VT_API const void *vt_ruleset_image(const vt_ruleset *rules, size_t *len);

/* Records. Counts and pointers stay valid until vt_ruleset_free. */
typedef struct vt_ruleset_view {
    const vt_rs_rule *rules;
    size_t rule_count;
    const vt_rs_str *namespaces;
    size_t namespace_count;
    const vt_rs_str *tags;
    size_t tag_count;
    const vt_rs_meta *meta;
    size_t meta_count;
    const vt_rs_string *strings;
    size_t string_count;
    const vt_rs_node *nodes;
    size_t node_count;
    const uint32_t *lists;
    size_t list_count;
    const vt_rs_import *imports;
    size_t import_count;
    const vt_rs_external *externals;
    size_t external_count;
} vt_ruleset_view;

VT_API void vt_ruleset_get_view(const vt_ruleset *rules, vt_ruleset_view *view);
/* The bytes of a pool string (NUL-terminated). */
VT_API const char *vt_ruleset_str(const vt_ruleset *rules, vt_rs_str s);
/* A section by id (e.g. one added by a later part); NULL if absent. */
VT_API const void *vt_ruleset_section(const vt_ruleset *rules, uint32_t id, size_t *size);
/* For a ruleset mapped from a file (vt_ruleset_load): give the pages read so far back to the
 * system; they come back from the page cache when read again. Loading reads every byte to
 * validate it and a scanner reads the stored matcher once, while scanning reads only part of
 * the image: this keeps the rest out of the resident memory. Nothing changes for rulesets in
 * memory. */
VT_API void vt_ruleset_release_pages(const vt_ruleset *rules);
/* A new ruleset with section `id` added (or replaced), e.g. the matcher's compiled database. */
VT_API vt_status vt_ruleset_with_section(const vt_ruleset *rules, uint32_t id, const void *data,
                                         size_t size, vt_ruleset **out, vt_error *err);

/* vt_ruleset_with_section in place: `rules` itself gets the section, without a second copy of
 * its image when it owns one (a ruleset from vt_compiler_finish or vt_ruleset_from_bytes). Not
 * while a scanner or another thread uses `rules`: its records move. If it fails, `rules` can
 * only be freed. */
VT_API vt_status vt_ruleset_add_section(vt_ruleset *rules, uint32_t id, const void *data,
                                        size_t size, vt_error *err);

/* Name of a condition operation, e.g. "add" (for dumps and messages). */
VT_API const char *vt_op_name(unsigned op);

/* ---- rule arguments of a command line, read as yara 4.2.3 reads them (lib/rules/args.c) ---- */

/* Split "[NS:]FILE": the namespace is what precedes the first ':', unless the whole argument
 * names an existing file or the ':' is followed by '\' (a Windows drive: "C:\r.yar" is a path).
 * ":FILE" is the empty namespace "". *ns is NULL (the default namespace) or a copy to free. */
VT_API vt_status vt_rules_split_arg(const char *arg, char **ns, const char **path, vt_error *err);
/* Split "NAME=VALUE" at the first '=' (the value may contain '='; the name may be empty, which
 * vt_compiler_define refuses). VT_ERR_ARGUMENT without '=', VT_ERR_LIMIT for a name that does not
 * fit name_size. */
VT_API vt_status vt_rules_split_define(const char *arg, char *name, size_t name_size,
                                       const char **value, vt_error *err);
/* The type yara gives a -d VALUE: VT_TYPE_FLOAT for [-]digits with one '.' not first ("1."),
 * else VT_TYPE_INT for [-]digits, else VT_TYPE_BOOL for "true"/"false", else VT_TYPE_STRING
 * ("+5", ".5", "0x10", "1e3", "" are strings). */
VT_API unsigned vt_rules_define_type(const char *value);
/* Whether the file at path starts with VT_RULESET_MAGIC (0 also when it cannot be read). */
VT_API int vt_rules_is_compiled(const char *path);

#ifdef __cplusplus
}
#endif

#endif
