/* vitrine/pattern.h: YARA's two pattern languages (hex strings and regular expressions) and the
 * description of a YARA string, as yara 4.2.3 reads them.
 *
 * Promises:
 * - vt_pattern_parse_hex / vt_pattern_parse_regex accept exactly what yara 4.2.3 accepts (plus the
 *   hex `~` negation of YARA 4.3, which 4.2.3 rejects) and reject the rest with yara's message,
 *   e.g. "invalid jump length", "bad repeat interval", "syntax error". err->column is the 1-based
 *   offset inside `text` of the character where the problem was found (the caller maps it to
 *   FILE:LINE:COL); err->line is 0. The caller adds yara's prefix
 *   (`invalid hex string "$a": ` / `invalid regular expression "$a": `), except for
 *   "greedy and ungreedy quantifiers can't be mixed in a regular expression", which yara prints
 *   without that prefix.
 * - A parsed pattern is immutable and may be shared by threads.
 * - vt_string_is_slow gives yara's "string "$a" may slow down scanning" verdict (its atom
 *   quality rule), so a compiler can print the same warnings as yara.
 * - Nothing here keeps global mutable state.
 */
#ifndef VITRINE_PATTERN_H
#define VITRINE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* yara's limits (libyara/include/yara/limits.h, re.h). */
#define VT_RE_MAX_RANGE 32767           /* largest {n,m} bound in a regex */
#define VT_RE_SCAN_LIMIT 4096           /* longest match yara reports for a regex or hex string */
#define VT_STRING_CHAINING_THRESHOLD 200 /* hex jumps longer than this split the string */
#define VT_MAX_STRING_MATCHES 1000000   /* yara's per-string match limit (YR_MAX_STRING_MATCHES) */

/* Regex flags: the /i and /s suffixes (and the `nocase` modifier, which means /i). */
enum {
    VT_REGEX_NOCASE = 1u << 0,
    VT_REGEX_DOTALL = 1u << 1,
};

typedef struct vt_pattern vt_pattern;

/* Parse a hex string. `text` is the hex string with its braces (`{ 4D 5A ?? [2-4] ( 00 | FF ) }`);
 * the braces may also be left out. Comments (// and slash-star) and whitespace are allowed as in
 * yara. On success *out owns a pattern to release with vt_pattern_free. */
VT_API vt_status vt_pattern_parse_hex(const char *text, size_t len, vt_pattern **out,
                                      vt_error *err);

/* Parse a regular expression: `text` is what stands between the slashes, as written in the
 * rule (an escaped slash `\/` may be left escaped or already unescaped; both mean '/').
 * `flags` are VT_REGEX_* bits. */
VT_API vt_status vt_pattern_parse_regex(const char *text, size_t len, unsigned flags,
                                        vt_pattern **out,
                                        vt_error *err);

VT_API void vt_pattern_free(vt_pattern *pattern);

/* True when the pattern can match the empty string (yara never reports empty matches). */
VT_API bool vt_pattern_matches_empty(const vt_pattern *pattern);

/* True when yara 4.2.3 warns `$a contains .*, .+ or .{x,} consider using .{,N}, .{1,N} or
 * {x,N} with a reasonable value for N` (a `.` directly followed by an unbounded quantifier;
 * hex jumps and `(.)*` do not count). yara prints it before the slow-string warning. */
VT_API bool vt_pattern_has_unbounded_dot(const vt_pattern *pattern);

/* ---- YARA strings ------------------------------------------------------------------------ */

typedef enum vt_string_kind {
    VT_STRING_TEXT = 0,  /* "..." : bytes with escapes already resolved */
    VT_STRING_HEX = 1,   /* { ... } : the hex string source text */
    VT_STRING_REGEX = 2, /* /.../ : the regex source between the slashes */
} vt_string_kind;

/* String modifiers (yara's STRING_FLAGS_*). ASCII is implied when WIDE is absent. */
enum {
    VT_MOD_NOCASE = 1u << 0,
    VT_MOD_WIDE = 1u << 1,
    VT_MOD_ASCII = 1u << 2,
    VT_MOD_FULLWORD = 1u << 3,
    VT_MOD_PRIVATE = 1u << 4,
    VT_MOD_XOR = 1u << 5,
    VT_MOD_BASE64 = 1u << 6,
    VT_MOD_BASE64WIDE = 1u << 7,
};

/* One YARA string as the rule compiler hands it over. Pointers are borrowed. */
/* The file header a string's matches matter for: bytes its rule's condition requires at fixed
 * offsets (`uint16(0) == 0x5a4d and ...` requires 4D 5A at offset 0; vt_cond_rule_gate finds
 * them). A file without these bytes cannot match the rule whatever its strings (unless one of
 * its escape strings matches: vt_string_spec.gate_escape), so a matcher may leave the string
 * unsearched there. count 0: no requirement. */
#define VT_GATE_MAX 8
typedef struct vt_header_gate {
    uint8_t count;
    uint8_t offset[VT_GATE_MAX]; /* increasing */
    uint8_t value[VT_GATE_MAX];  /* the byte required at offset[i] */
} vt_header_gate;

typedef struct vt_string_spec {
    vt_string_kind kind;
    const uint8_t *data;     /* text bytes, or hex / regex source */
    size_t len;
    unsigned modifiers;      /* VT_MOD_* */
    unsigned regex_flags;    /* VT_REGEX_* (the /i /s suffixes) for regex strings */
    uint8_t xor_min;         /* with VT_MOD_XOR: key range, 0-255 when xor has no argument */
    uint8_t xor_max;
    const char *base64_alphabet; /* with BASE64/BASE64WIDE: 64 characters, or NULL for default */
    vt_header_gate gate;         /* the header its rule requires (count 0: none) */
    /* Its rule may match without the gate when this string matches (an escape of
     * vt_cond_rule_gate): searched in every file, and where it is found in a file without the
     * gate, the other strings of the rule are searched too. */
    bool gate_escape;
    uint32_t rule; /* the same for the strings of one rule, which come one after another */
} vt_string_spec;

/* Whether data[0..len) has every byte gate g requires (true for a gate without bytes). */
VT_API bool vt_header_gate_passes(const vt_header_gate *g, const uint8_t *data, size_t len);
/* Whether every file that passes g also passes `weaker` (each byte of `weaker` is one of g's). */
VT_API bool vt_header_gate_implies(const vt_header_gate *g, const vt_header_gate *weaker);
/* Whether no file passes both g and other (they require different bytes at one offset: "MZ"
 * and "\x7fELF"). */
VT_API bool vt_header_gate_excludes(const vt_header_gate *g, const vt_header_gate *other);

/* yara's slow-string verdict: *slow is true when yara 4.2.3 warns
 * `string "$a" may slow down scanning` for this string (its best atoms' quality is below
 * YR_ATOM_QUALITY_WARNING_THRESHOLD). Fails only if a hex/regex source does not parse. */
VT_API vt_status vt_string_is_slow(const vt_string_spec *spec, bool *slow, vt_error *err);
/* The same verdict for a hex string already parsed by vt_pattern_parse_hex (a compiler checks
 * the string's syntax and warns from one parse). */
VT_API bool vt_hex_pattern_is_slow(const vt_pattern *hex);
/* A compiler's check of a hex string: vt_pattern_parse_hex's verdict (same status, message
 * and column) and, when it parses, vt_hex_pattern_is_slow's, without building the syntax tree
 * for a string without alternatives or comments (almost every hex string of real rule sets). */
VT_API vt_status vt_pattern_check_hex(const char *text, size_t len, bool *slow, vt_error *err);

#ifdef __cplusplus
}
#endif

#endif
