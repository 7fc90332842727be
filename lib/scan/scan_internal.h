/* scan_internal.h: what the files of lib/scan share: the scanner's layout, the per-thread
 * context's layout, and the entry-point helper. Not part of the public API. */
#ifndef VITRINE_SCAN_INTERNAL_H
#define VITRINE_SCAN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <vitrine/match.h>
#include <vitrine/scan.h>

/* A regular expression of a condition (CONST_REGEX node), compiled once. */
typedef struct vt_scan_regex {
    uint32_t node;
    vt_string_matcher *matcher;
} vt_scan_regex;

#define VT_NO_FIXED_OFFSET INT64_MIN

struct vt_scanner {
    const vt_ruleset *rules;
    vt_matcher *matcher;
    /* Per string: the only offset it is used at (yara's fixed-offset strings, searched only
     * there), or VT_NO_FIXED_OFFSET. */
    int64_t *fixed_offsets;
    vt_scan_regex *regexes; /* sorted by node */
    size_t regex_count;
    const char **members; /* names of the module members conditions read, sorted */
    size_t member_count;
    uint8_t *needs_match; /* per rule: vt_cond_rules_needing_match */
    vt_header_gate *rule_gates;    /* per rule: vt_cond_rule_gates */
    vt_gate_escapes *rule_escapes; /* per rule: vt_cond_rule_gates */
};

/* True if some condition reads a module member called `name`. */
bool vt_scanner_member_used(const vt_scanner *scanner, const char *name);

/* The compiled regex of CONST_REGEX node `node` (NULL if there is none). */
const vt_string_matcher *vt_scanner_regex(const vt_scanner *scanner, uint32_t node);

/* The file offset of the entry point of PE or ELF data, as yara's `entrypoint`; false when the
 * data is neither (the keyword is then undefined). */
bool vt_entry_point_offset(const uint8_t *data, uint64_t size, int64_t *offset);

#endif
