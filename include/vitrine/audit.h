/* vitrine/audit.h: the rule auditor. Does a rule hunt for documents or personal data rather
 * than malware? (docs/audit.md)
 *
 * The auditor reads a compiled ruleset (the project's own compiler, lib/rules), decodes every
 * string (text, hex, regex, with nocase, wide, xor, base64) into the bytes it can match, and
 * gives one verdict per rule: a list of findings, each with a stable id ("AUD-MARKING-001"),
 * a severity and a reason naming the string (or the condition) and what it matches. A finding
 * is keyed by (id, namespace, rule): the same rule gets the same ids on every run, so an
 * acknowledgment entry in the log (vitrine/distrib.h) can name it.
 *
 * Finding ids (the list is kept in docs/audit.md):
 *   AUD-MARKING-001  a string matches a classification or handling marking
 *   AUD-MARKING-002  a condition compares a value (file name, external) with a marking
 *   AUD-PII-001..005 a string hunts for personal data: SSN, card number, IBAN, passport MRZ,
 *                    e-mail addresses
 *   AUD-DOC-001      a document magic (PDF, OLE2, OOXML/ODF zip, RTF) combined with content
 *                    strings and no active-content indicator (macro, script, exploit, binary)
 *   AUD-DOC-002      a document file-name external (filename, filepath, extension) compared
 *                    with a document extension, combined with content strings
 *   AUD-CANARY-001   the rule fired on a canary document (vt_audit_canaries)
 *   AUD-BROAD-001    the rule fired on more than 1% of a benign corpus (vt_audit_corpus)
 *   AUD-NOEXEC-001   (note) no executable indicator at all: no MZ/ELF/Mach-O magic, no pe,
 *                    elf, macho or dotnet module use
 * Severity VT_AUDIT_FLAG makes a rule flagged; VT_AUDIT_NOTE is context only.
 *
 * Promises: pure functions over a ruleset (no I/O, no global state) except vt_audit_canaries
 * and vt_audit_corpus, which read a directory of documents; every allocation failure is reported. */
#ifndef VITRINE_AUDIT_H
#define VITRINE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/distrib.h>
#include <vitrine/rules.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vt_audit_severity {
    VT_AUDIT_NOTE = 0, /* context, does not flag the rule */
    VT_AUDIT_FLAG = 1, /* the rule is flagged */
} vt_audit_severity;

typedef struct vt_audit_finding {
    char id[24];                 /* "AUD-MARKING-001" */
    vt_audit_severity severity;
    char *string;                /* "$a", or NULL for a finding about the condition / rule */
    char *reason;                /* one line, e.g. `$a = "TOP SECRET" nocase wide matches the US
                                    marking "TOP SECRET" (UTF-16LE)` */
} vt_audit_finding;

typedef struct vt_audit_rule {
    char *ns;                    /* namespace */
    char *name;                  /* rule name */
    uint32_t line;               /* line of the rule in its source */
    bool flagged;                /* some finding has VT_AUDIT_FLAG */
    vt_audit_finding *findings;
    size_t finding_count;
    size_t corpus_hits;          /* corpus files the rule fired on (vt_audit_corpus) */
    char *corpus_example;        /* the first of them (path under the corpus), or NULL */
} vt_audit_rule;

typedef struct vt_audit_report {
    vt_audit_rule *rules;        /* one per rule of the ruleset, in ruleset order */
    size_t rule_count;
    size_t flagged_count;        /* rules with flagged == true */
    size_t corpus_files;         /* files scanned by vt_audit_corpus (0: no corpus scanned) */
} vt_audit_report;

/* Audit every rule of a compiled ruleset. */
VT_API vt_status vt_audit_ruleset(const vt_ruleset *rules, vt_audit_report **out, vt_error *err);

/* Compile one rule source (e.g. a rule entry's YARA source; `name` is used in diagnostics and
 * the rules go to namespace "default") and audit it. A source that does not compile fails with
 * the compiler's error (VT_ERR_SYNTAX, FILE:LINE:COL). defines: "NAME=VALUE" external variables
 * as `vitrine compile -d` takes them (may be NULL when define_count is 0). */
VT_API vt_status vt_audit_source(const char *name, const char *text, size_t len,
                                 const char *const *defines, size_t define_count,
                                 vt_audit_report **out, vt_error *err);

/* Audit a rule entry of the log (vitrine/distrib.h): its YARA source compiled on its own (rules
 * in namespace "default"). VT_ERR_FORMAT for bytes that are not a rule entry; the compiler's
 * error for a source that does not compile alone. */
VT_API vt_status vt_audit_rule_entry(const void *entry, size_t len, vt_audit_report **out,
                                     vt_error *err);

/* Apply logged acknowledgments: every flagged finding of `report` (made from the rule entry
 * whose SHA-256 is rule_entry) whose id an ack for that entry names becomes a note, its reason
 * prefixed "acknowledged in the log (REASON): "; flagged and flagged_count are recomputed.
 * Returns the number of findings acknowledged. */
VT_API size_t vt_audit_apply_acks(vt_audit_report *report, const unsigned char rule_entry[32],
                                  const vt_audit_ack_entry *acks, size_t ack_count);

/* Scan every regular file of `dir` (recursively) with every rule of `rules` through the engine's
 * scanner and add an AUD-CANARY-001 finding (naming the canary) to each rule of `report` (made
 * from the same ruleset) that fires on one. External variables filename, filepath and extension
 * are set for each canary when the ruleset declares them. */
VT_API vt_status vt_audit_canaries(const vt_ruleset *rules, const char *dir,
                                   vt_audit_report *report, vt_error *err);

/* The benign corpus: scan the regular files under `dir` (recursively, in name order, symbolic
 * links not followed, at most `limit` files) with every rule as vt_audit_canaries does, count
 * per rule the files it fires on (corpus_hits, corpus_example, corpus_files) and add an
 * AUD-BROAD-001 finding to each rule that fires on more than 1% of them. A file that cannot be
 * read, or a corpus without a regular file, is an error. */
#define VT_AUDIT_CORPUS_LIMIT 5000
VT_API vt_status vt_audit_corpus(const vt_ruleset *rules, const char *dir, size_t limit,
                                 vt_audit_report *report, vt_error *err);

/* Render: JSON (an object {"rules": N, "flagged": N, "verdicts": [{"namespace", "rule", "line",
 * "flagged", "findings": [{"id", "severity", "string", "reason"}]}]}, with only flagged rules
 * unless all_rules; after a corpus scan also "corpus": {"files": N, "hits": [{"namespace",
 * "rule", "hits"}]} for the rules with hits) or text (one line per finding of a flagged rule:
 * "FLAGGED NS:RULE ID $a: reason"). */
VT_API vt_status vt_audit_report_json(const vt_audit_report *report, bool all_rules, vt_buf *out,
                                      vt_error *err);
VT_API vt_status vt_audit_report_text(const vt_audit_report *report, bool all_rules, vt_buf *out,
                                      vt_error *err);

VT_API void vt_audit_report_free(vt_audit_report *report);

#ifdef __cplusplus
}
#endif

#endif
