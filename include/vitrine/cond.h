/* vitrine/cond.h: evaluating the conditions of a compiled ruleset for one scanned file.
 *
 * The evaluator walks each rule's condition nodes (see rules.h and docs/ruleset-format.md) with
 * yara 4.2.3's semantics, quirks included (each checked against yara 4.2.3 by
 * tests/cond/differential.sh): undefined values propagate through arithmetic and comparisons;
 * `and` and `or` treat an undefined operand as false and are always defined; `not` keeps
 * undefined; a rule whose condition is undefined does not match; division by zero, reads outside
 * the data and negative shifts are undefined; float `<` with an undefined operand is false;
 * loops over nothing or over an undefined range are false; `for none ...` loops are true whenever
 * they have an item (while `none of` means no item). Evaluation short-circuits (`and`, `or`, and
 * quantified loops stop as soon as the outcome is known).
 *
 * It knows nothing of files, matching or modules: the scanner hands it the string matches, the
 * bytes, and hooks for module objects and regular expressions.
 *
 * Promises: no global state; the ruleset is only read; each evaluation uses the caller's
 * vt_cond_env and nothing else, so threads evaluate in parallel with their own environments. */
#ifndef VITRINE_COND_H
#define VITRINE_COND_H

#include <stdbool.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/pattern.h>
#include <vitrine/rules.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One match of a string: where it starts and how long it is. */
typedef struct vt_string_match {
    uint64_t offset;
    uint32_t length;
    uint32_t reserved;
} vt_string_match;

/* The matches of one string, sorted by offset, one per offset. */
typedef struct vt_match_list {
    const vt_string_match *items;
    uint32_t count;
} vt_match_list;

/* A value of the evaluator. `type` is VT_TYPE_*; `undefined` marks yara's UNDEFINED. */
typedef struct vt_cond_value {
    uint8_t type;
    bool undefined;
    union {
        int64_t i;
        double f;
        struct {
            const uint8_t *bytes;
            size_t len;
        } s;
        const void *object; /* VT_TYPE_OBJECT: opaque, owned by the module hooks */
        uint32_t node;      /* VT_TYPE_REGEX: the CONST_REGEX node */
    } u;
} vt_cond_value;

/* What the evaluator needs from the modules' runtime. Objects are opaque pointers; NULL means
 * undefined. Any hook may be NULL when no module is imported. */
typedef struct vt_cond_module_hooks {
    void *context;
    const void *(*module)(void *context, const char *name);
    const void *(*field)(void *context, const void *object, const char *name);
    const void *(*index)(void *context, const void *array, int64_t index);
    const void *(*lookup)(void *context, const void *dictionary, const uint8_t *key, size_t len);
    /* Items of an array or dictionary (for `for ... in`); -1 when it is neither. */
    int64_t (*item_count)(void *context, const void *object);
    /* The i-th item (0-based) and, for a dictionary, its key. */
    const void *(*item)(void *context, const void *object, int64_t i, const uint8_t **key,
                        size_t *key_len);
    /* The value of an integer, float or string object (undefined if unset). */
    void (*value)(void *context, const void *object, vt_cond_value *out);
    /* Call a function object whose overload matches `format`. */
    vt_status (*call)(void *context, const void *function, const char *format,
                      const vt_cond_value *args, size_t argc, vt_cond_value *result);
} vt_cond_module_hooks;

/* Everything one evaluation reads. */
typedef struct vt_cond_env {
    const vt_ruleset *rules;
    const uint8_t *data; /* the scanned bytes, for int8..uint32be */
    uint64_t size;       /* filesize */
    const vt_match_list *matches; /* indexed by the ruleset's string index */
    bool has_entrypoint;
    int64_t entrypoint;
    /* External variables' values, indexed like the ruleset's externals; NULL: their defaults. */
    const vt_cond_value *externals;
    vt_cond_module_hooks modules;
    /* `matches`: does the regex of CONST_REGEX node `node` match somewhere in the bytes? Sets
     * *found; a failed search (out of memory, the deadline passed) returns its status, which
     * fails the evaluation. */
    vt_status (*regex_search)(void *context, uint32_t node, const uint8_t *bytes, size_t len,
                              bool *found);
    void *regex_context;
    /* The scan's deadline (NULL: none): evaluation counts its steps (every node evaluated,
     * every loop iteration) and fails with VT_ERR_TIMEOUT once it has passed. */
    vt_deadline *deadline;
    /* Per rule (NULL: none): 1 when its condition cannot be true unless one of its strings has
     * a match (vt_cond_rules_needing_match). Such a rule is taken as false, without evaluating
     * its condition, when none of its strings has one. */
    const uint8_t *needs_match;
    /* Per rule (NULL: the evaluator looks at `matches` itself): 1 when one of its strings has a
     * match, kept by the caller as it collects them (cheaper than a pass over every string of
     * every rule for each file: 5,944 in the combined set). */
    const uint8_t *rule_matched;
    /* Per rule (NULL: none): the header its condition requires and the strings it may match by
     * without it (vt_cond_rule_gates). A rule whose header the data lacks, with no match of one
     * of those strings, is taken as false without evaluating its condition: its `and` would
     * stop at the header's comparison, yet only after reaching it. */
    const vt_header_gate *rule_gates;
    const struct vt_gate_escapes *rule_escapes;
} vt_cond_env;

/* Evaluate every rule in order. results[i] becomes 1 when rule i matches and 0 otherwise
 * (rules of a namespace whose global rule failed do not match). `results` has one byte per rule.
 * Fails on an internal inconsistency of the ruleset, a failing module hook or regex search, or
 * a passed deadline; the results are then incomplete. Conditions are evaluated without
 * recursing along chains of `and` / `or`, arithmetic and unary operations, so such a chain of
 * any length is evaluated; other nesting is bounded by VT_COND_MAX_DEPTH, which vt_cond_check
 * refuses before any scan. */
VT_API vt_status vt_cond_evaluate(const vt_cond_env *env, uint8_t *results, vt_error *err);

/* Deepest recursion of the evaluator a condition may need. */
#define VT_COND_MAX_DEPTH 4096

/* Can every rule's condition of `rules` be evaluated? VT_ERR_LIMIT naming the first rule whose
 * condition nests deeper than VT_COND_MAX_DEPTH (the chains above cost nothing; yara 4.2.3's
 * parser refuses most such conditions too, but accepts up to about 4,900 nested function calls
 * or uint8() reads). The scanner calls it when it is made, so no rule is dropped at scan time. */
VT_API vt_status vt_cond_check(const vt_ruleset *rules, vt_error *err);

/* Strings a rule may match by without its header (vt_cond_rule_gate). */
#define VT_GATE_ESCAPES 8
typedef struct vt_gate_escapes {
    uint32_t string[VT_GATE_ESCAPES]; /* ruleset string indices */
    unsigned count;
} vt_gate_escapes;

/* The file header rule `rule` requires: the bytes fixed by `uintN(K) == C` / `uintNbe(K) == C`
 * comparisons (K and C integer constants, unsigned reads, K + N/8 <= 256) that every match of
 * its condition must satisfy. Such a comparison counts where it is an operand of an `and`
 * chain (through nested `and`s), and of an `or` when the other side requires it too, or
 * requires a string instead: `(uint16(0) == 0x5a4d and ...) or all of them` requires "MZ"
 * unless one of its strings (`all`: a text string rather than another kind, the longest)
 * matches; `... or $a or
 * any of ($b*)` unless $a or one of $b* does. Those strings are the escapes (escape->count 0:
 * none; at most VT_GATE_ESCAPES, more make the rule require nothing). A file with neither the
 * bytes nor a match of an escape makes the condition false (or undefined, which does not match)
 * whatever the other strings, as the evaluator above decides it. Sets gate->count 0 when the
 * condition requires no byte; keeps the first VT_GATE_MAX bytes (fewer bytes are still
 * required). Pure: reads the ruleset only. */
VT_API void vt_cond_rule_gate(const vt_ruleset *rules, uint32_t rule, vt_header_gate *gate,
                              vt_gate_escapes *escape);

/* For every rule, gates[rule] and escapes[rule] as vt_cond_rule_gate finds them, except for a
 * rule that calls a module function with an effect (console.log), which gets none (count 0):
 * its output must appear whatever the header. `gates` and `escapes` have one item per rule.
 * Pure: reads the ruleset only. */
VT_API void vt_cond_rule_gates(const vt_ruleset *rules, vt_header_gate *gates,
                               vt_gate_escapes *escapes);

/* For every rule, needs[rule] = 1 when its condition can be true only if one of the rule's own
 * strings has a match (`$a and ...`, `any of them`, `#a > 2 or $b at 0`, `... and 2 of ($x*)`)
 * and it calls no module function with an effect (console.log), else 0. `needs` has one byte
 * per rule. Pure: reads the ruleset only. */
VT_API void vt_cond_rules_needing_match(const vt_ruleset *rules, uint8_t *needs);

#ifdef __cplusplus
}
#endif

#endif
