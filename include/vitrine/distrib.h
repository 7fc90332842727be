/* vitrine/distrib.h: verified rule distribution. The entry formats that go into the transparency
 * log (rule, bundle, release; docs/entries.md), publishing rules to a log, the update client that
 * installs a ruleset only after checking the log signature, the witness quorum, the cosignature
 * age, consistency with the last trusted checkpoint and the inclusion of every entry, and the
 * installed ruleset that `vitrine scan` and `vitrine verify-installed` re-check offline
 * (docs/distribution.md).
 *
 * Promises:
 * - Entry parsers are strict (one canonical text per value: parse then format gives the same
 *   bytes) and refuse anything over VT_DISTRIB_MAX_ENTRY with VT_ERR_LIMIT.
 * - vt_update either installs a complete, verified ruleset or changes nothing but its own
 *   temporary files; its errors name what a failure looks like (stale checkpoint, inconsistent
 *   log, unlogged entry, rollback: VT_ERR_VERIFY, decided by the trust core, vitrine/trust.h),
 *   or say "unavailable: ..." (VT_ERR_NETWORK) when something could not be fetched, and refuse
 *   a corrupt installed ruleset (VT_ERR_STATE) rather than skip the rollback check.
 * - No global mutable state.
 */
#ifndef VITRINE_DISTRIB_H
#define VITRINE_DISTRIB_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/rules.h>
#include <vitrine/tlog.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VT_DISTRIB_MAX_ENTRY 65535u   /* one log entry (the tiles limit) */
#define VT_DISTRIB_MAX_FIELD 1024u    /* one header value */
#define VT_DISTRIB_MAX_FILE (64u << 20) /* one rule file given to vt_publish */
#define VT_DISTRIB_MAX_REFS 64u       /* references of a rule entry */
#define VT_DISTRIB_MAX_RULES 4096u    /* rule entries named by one bundle */
#define VT_DISTRIB_MAX_BINARIES 64u   /* binaries of a release entry */
#define VT_DISTRIB_MAX_PAGE_FILES 64u  /* files of a page entry */
#define VT_DISTRIB_BUNDLE_SEARCH 4096u /* entries looked at, from the end, for the newest bundle */

typedef enum vt_entry_kind {
    VT_ENTRY_UNKNOWN = 0,
    VT_ENTRY_RULE,
    VT_ENTRY_BUNDLE,
    VT_ENTRY_RELEASE,
    VT_ENTRY_DATA_POLICY,
    VT_ENTRY_AUDIT_ACK, /* vitrine/audit-ack-entry/v1: an acknowledged audit finding */
    VT_ENTRY_PAGE,
} vt_entry_kind;

/* The kind of an entry from its first line (no full parse). */
VT_API vt_entry_kind vt_entry_kind_of(const void *data, size_t len);
/* A kind's short name, as `vitrine monitor` prints it and the center's feed.json records it:
 * "rule", "bundle", "release", "data-policy", "audit-ack", "page" or "unknown". */
VT_API const char *vt_entry_kind_name(vt_entry_kind kind);

typedef struct vt_rule_entry {
    char *name;   /* the rule file's base name, e.g. "eicar.yar" */
    uint64_t part; /* 0 or 1: a whole file (or its first piece); K >= 2: piece K of a split file,
                      compiled in the same namespace as pieces 1..K-1 (docs/entries.md) */
    char *author;
    char *date;   /* YYYY-MM-DD */
    char *reason;
    char **references;
    size_t reference_count;
    char *source; /* the YARA source, verbatim */
    size_t source_len;
} vt_rule_entry;

typedef struct vt_bundle_rule {
    uint64_t index;
    unsigned char sha256[32]; /* SHA-256 of the rule entry's bytes */
} vt_bundle_rule;

typedef struct vt_bundle_entry {
    uint64_t serial;
    char min_engine[32]; /* MAJOR.MINOR.PATCH */
    vt_bundle_rule *rules;
    size_t rule_count;
} vt_bundle_entry;

/* A file an entry names by its hash: a release's binaries, a page's files. */
typedef struct vt_named_file {
    char name[256]; /* [A-Za-z0-9._+-], 1..255 bytes, not starting with a dot */
    unsigned char sha256[32];
} vt_named_file;

typedef vt_named_file vt_release_binary;

typedef struct vt_release_entry {
    char version[32];
    unsigned char source_sha256[32];
    vt_release_binary *binaries;
    size_t binary_count;
} vt_release_entry;

VT_API vt_status vt_rule_entry_parse(const void *data, size_t len, vt_rule_entry *out,
                                     vt_error *err);
VT_API vt_status vt_rule_entry_format(const vt_rule_entry *entry, vt_buf *out, vt_error *err);
VT_API void vt_rule_entry_clear(vt_rule_entry *entry);

VT_API vt_status vt_bundle_entry_parse(const void *data, size_t len, vt_bundle_entry *out,
                                       vt_error *err);
VT_API vt_status vt_bundle_entry_format(const vt_bundle_entry *entry, vt_buf *out, vt_error *err);
VT_API void vt_bundle_entry_clear(vt_bundle_entry *entry);

VT_API vt_status vt_release_entry_parse(const void *data, size_t len, vt_release_entry *out,
                                        vt_error *err);
VT_API vt_status vt_release_entry_format(const vt_release_entry *entry, vt_buf *out, vt_error *err);
VT_API void vt_release_entry_clear(vt_release_entry *entry);

/* ---- data-policy entries (docs/entries.md "Data-policy entry", docs/telemetry.md) ---- */

#define VT_POLICY_MAX_REPORTS 64u /* report sections of one policy */
#define VT_POLICY_MAX_FIELDS 64u  /* fields of one report */
#define VT_POLICY_MAX_NAME 64u    /* report and field names: [a-z0-9-], starting with a letter */

/* What a declared field holds and how it is written in a report (docs/telemetry.md). */
typedef enum vt_policy_type {
    VT_POLICY_INTEGER = 1, /* JSON integer 0..2^53-1 */
    VT_POLICY_STRING,      /* JSON string, 1-256 bytes of UTF-8, no control characters */
    VT_POLICY_VERSION,     /* JSON string MAJOR.MINOR.PATCH */
    VT_POLICY_SHA256,      /* JSON string, 64 lowercase hex digits */
    VT_POLICY_RULE_COUNTS, /* JSON object: decimal log index -> integer 1..2^53-1, <= 4096 keys */
    VT_POLICY_BYTES,       /* JSON string, standard base64 with padding, <= 16 MiB decoded */
} vt_policy_type;

typedef struct vt_policy_field {
    char *name;
    vt_policy_type type;
    unsigned category;       /* 1 technical, 2 interaction, 3 stored content, 4 highly sensitive */
    unsigned retention_days; /* 1..3650 */
    char expires[11];        /* YYYY-MM-DD: after that day the field may not be sent */
    char *purpose;
} vt_policy_field;

typedef struct vt_policy_report {
    char *name;
    char *purpose;
    vt_policy_field *fields; /* strictly increasing names */
    size_t field_count;
} vt_policy_report;

typedef struct vt_data_policy_entry {
    uint64_t serial; /* >= 1; a newer policy has a larger serial */
    char date[11];
    char *collector; /* https:// URL (http:// only for 127.0.0.1 or localhost) */
    char *relay;     /* same rule; NULL when none */
    vt_policy_report *reports; /* strictly increasing names */
    size_t report_count;
} vt_data_policy_entry;

VT_API vt_status vt_data_policy_entry_parse(const void *data, size_t len,
                                            vt_data_policy_entry *out, vt_error *err);
VT_API vt_status vt_data_policy_entry_format(const vt_data_policy_entry *entry, vt_buf *out,
                                             vt_error *err);
VT_API void vt_data_policy_entry_clear(vt_data_policy_entry *entry);
/* The type's name in the entry ("integer", "rule-counts", ...), or NULL for an unknown value. */
VT_API const char *vt_policy_type_name(vt_policy_type type);
/* Is url a collector or relay URL a policy may name: https://HOST[:PORT][/PATH], or http:// with
 * HOST 127.0.0.1 or localhost; HOST lowercase [a-z0-9.-], PATH [A-Za-z0-9._~/-] not ending in
 * '/', no user, query or fragment. */
VT_API int vt_policy_url_valid(const char *url, size_t len);
/* The report section `name` of a policy, or NULL; the field `name` of a report, or NULL. */
VT_API const vt_policy_report *vt_data_policy_report(const vt_data_policy_entry *policy,
                                                     const char *name);
VT_API const vt_policy_field *vt_policy_report_field(const vt_policy_report *report,
                                                     const char *name);
/* An audit acknowledgment (docs/entries.md): the vendor says in the log why the auditor's
 * finding `finding` (vitrine/audit.h, e.g. "AUD-DOC-001") on the rules of the rule entry with
 * SHA-256 `rule_entry` is not what it looks like. Only a logged ack silences a finding in
 * `vitrine monitor --audit`, so whitelisting is public too. */
typedef struct vt_audit_ack_entry {
    unsigned char rule_entry[32]; /* SHA-256 of the rule entry's bytes */
    char finding[24];             /* AUD-[A-Z]+-NNN */
    char *reason;                 /* one line of text */
} vt_audit_ack_entry;

VT_API vt_status vt_audit_ack_entry_parse(const void *data, size_t len, vt_audit_ack_entry *out,
                                          vt_error *err);
VT_API vt_status vt_audit_ack_entry_format(const vt_audit_ack_entry *entry, vt_buf *out,
                                           vt_error *err);
VT_API void vt_audit_ack_entry_clear(vt_audit_ack_entry *entry);

/* A page entry: the files of the transparency center's page (`vitrine center build`), so that
 * the page a visitor is served can be checked against the log (docs/entries.md). */
typedef vt_named_file vt_page_file;

typedef struct vt_page_entry {
    vt_page_file *files; /* 1..VT_DISTRIB_MAX_PAGE_FILES, names in strictly increasing order */
    size_t file_count;
} vt_page_entry;

VT_API vt_status vt_page_entry_parse(const void *data, size_t len, vt_page_entry *out,
                                     vt_error *err);
VT_API vt_status vt_page_entry_format(const vt_page_entry *entry, vt_buf *out, vt_error *err);
VT_API void vt_page_entry_clear(vt_page_entry *entry);

/* A decimal as the entry formats write it: digits only, no leading zeros, at most 18 digits.
 * 1 with *out set, or 0. Used for every log index and serial that the entries, the telemetry
 * client's state and reports carry. */
VT_API int vt_distrib_parse_decimal(const char *s, size_t n, uint64_t *out);
/* A calendar day YYYY-MM-DD (a real day of the Gregorian calendar, year 1970 or later), as the
 * entries' dates and the telemetry reports' days are written: 1 with *days set to the days since
 * 1970-01-01, or 0. */
VT_API int vt_distrib_day_number(const char *s, size_t n, int64_t *days);

/* SHA-256 of data, and as 64 lowercase hex digits (out_hex holds 65 bytes). */
VT_API void vt_distrib_sha256(const void *data, size_t len, unsigned char out[32]);
VT_API void vt_distrib_hex(const unsigned char hash[32], char out_hex[65]);
/* Compare MAJOR.MINOR.PATCH versions: <0, 0, >0; VT_ERR_SYNTAX is reported as -2 in *cmp. */
VT_API vt_status vt_distrib_version_compare(const char *a, const char *b, int *cmp, vt_error *err);

/* ---- publishing ---- */

typedef struct vt_publish_options {
    const char *author; /* default: $USER or "unknown" */
    const char *reason; /* default: "ruleset update" */
    const char *date;   /* default: today (UTC) */
    const char *const *references;
    size_t reference_count;
} vt_publish_options;

/* Compile the rule files together (nothing is logged if any fails), then append one rule entry
 * per file (several, "part 2"..., for a file too large for one entry: split by rule, see
 * vt_rules_split_source) and the bundle entry (serial = previous newest bundle's serial + 1)
 * to the log in dir. *rule_entries (may be NULL) is set to the number of rule entries. */
VT_API vt_status vt_publish(const char *dir, const vt_tlog_signer *key, const char *const *paths,
                            size_t count, const vt_publish_options *options, uint64_t *bundle_index,
                            uint64_t *serial, size_t *rule_entries, vt_error *err);

/* Append one audit acknowledgment entry (vt_audit_ack_entry_format) to the log in dir; *index
 * (may be NULL) receives its index. */
VT_API vt_status vt_publish_audit_ack(const char *dir, const vt_tlog_signer *key,
                                      const vt_audit_ack_entry *ack, uint64_t *index,
                                      vt_error *err);
/* Append one page entry (the files of the transparency center's page) to the log in dir;
 * *index receives its log index. */
VT_API vt_status vt_publish_page(const char *dir, const vt_tlog_signer *key,
                                 const vt_page_entry *page, uint64_t *index, vt_error *err);

/* The newest bundle of the tree of `size` (the last bundle entry, searching back from the end at
 * most VT_DISTRIB_BUNDLE_SEARCH entries). Entry bytes are not authenticated here. VT_ERR_NOT_FOUND
 * when there is none. */
VT_API vt_status vt_distrib_find_bundle(vt_tlog_reader *reader, uint64_t size, uint64_t *index,
                                        vt_buf *entry, vt_error *err);

/* Log the data-policy entry in the file at `path` (its text, docs/entries.md) to the log in dir.
 * Refused, logging nothing: a file that does not parse (VT_ERR_FORMAT naming path and line), or
 * a serial not larger than the newest logged data policy's (VT_ERR_STATE). *index and *serial
 * receive the new entry's log index and serial. */
VT_API vt_status vt_publish_data_policy(const char *dir, const vt_tlog_signer *key,
                                        const char *path, uint64_t *index, uint64_t *serial,
                                        vt_error *err);

/* The newest data-policy entry of the tree of `size` among its last `max_search` entries (0: the
 * whole tree). Entry bytes are not authenticated here. VT_ERR_NOT_FOUND when there is none. */
VT_API vt_status vt_distrib_find_data_policy(vt_tlog_reader *reader, uint64_t size,
                                             uint64_t max_search, uint64_t *index, vt_buf *entry,
                                             vt_error *err);

/* ---- witnesses ---- */

/* Submit the signed checkpoint `note` (of tree size `size`, the log read by `log`) to the witness
 * at `url` (c2sp.org/tlog-witness add-checkpoint; "/add-checkpoint" is appended): first with
 * the old size 0, then, on 409, with the size the witness knows and a consistency proof from the
 * log. The witness's cosignature lines are appended to `lines`. */
VT_API vt_status vt_witness_submit(const char *url, vt_tlog_reader *log, const void *note,
                                   size_t len,
                                   uint64_t size, vt_buf *lines, vt_error *err);

/* ---- update and the installed ruleset ---- */

/* The state directory: $VITRINE_STATE, else $XDG_DATA_HOME/vitrine, else
 * $HOME/.local/share/vitrine, else /var/lib/vitrine. */
VT_API vt_status vt_distrib_state_dir(char *out, size_t out_size, vt_error *err);

typedef struct vt_update_options {
    const char *from;        /* log URL or directory */
    const char *policy_path; /* a tlog-policy file */
    const char *state_dir;
    uint64_t max_age;        /* seconds; the newest cosignature may be this old */
    uint64_t now;            /* 0: the current time */
    uint64_t deadline_seconds; /* the whole update's network part; 0: no overall deadline */
} vt_update_options;

typedef struct vt_update_result {
    int installed;           /* 1 when a new ruleset was installed, 0 when already current */
    uint64_t serial;
    uint64_t bundle_index;
    uint64_t tree_size;
    size_t rule_entries;
    /* The data policy (docs/telemetry.md): the newest data-policy entry of the log, verified
     * like the bundle (same checkpoint, inclusion) and installed beside the ruleset when its
     * serial is above the installed one's. A problem with it never blocks the ruleset. */
    int policy_found;        /* the log holds a data policy */
    int policy_installed;    /* a new one was installed by this update */
    uint64_t policy_index, policy_serial;
    int policy_evidence;     /* policy_problem is evidence of misbehaviour (a rollback) */
    char policy_problem[600]; /* why the newest policy was not installed; "" when it was fine */
} vt_update_result;

VT_API vt_status vt_update(const vt_update_options *options, vt_update_result *result,
                           vt_error *err);

typedef struct vt_installed_entry {
    uint64_t index;
    unsigned char sha256[32];
    char hex[65];
    char ns[32]; /* the namespace its rules are compiled in: "log-INDEX" */
    char *name;
} vt_installed_entry;

typedef struct vt_installed {
    vt_ruleset *rules; /* the installed compile of the verified rule entries, or compiled now */
    int compiled_installed; /* rules.vtr was installed and matched the installed state */
    int compiled_compared;  /* vt_installed_verify compared it with a fresh compile */
    uint64_t serial;
    uint64_t bundle_index;
    uint64_t tree_size;
    vt_installed_entry *entries;
    size_t entry_count;
} vt_installed;

/* Load the installed ruleset from the state directory, re-checking offline every proof (log
 * signature, witness quorum of the stored policy, inclusion of the bundle and of every rule
 * entry, every entry's hash), then the compiled ruleset update installed (its SHA-256 and the
 * bundle's against the installed record) without recompiling; the rule entries are compiled
 * only when there is no compiled ruleset of this engine version. VT_ERR_NOT_FOUND if none. */
VT_API vt_status vt_installed_load(const char *state_dir, vt_installed **out, vt_error *err);
/* As vt_installed_load, then also compile the verified rule entries and require the installed
 * compiled ruleset to be the same bytes (VT_ERR_VERIFY naming the first differing byte). */
VT_API vt_status vt_installed_verify(const char *state_dir, vt_installed **out, vt_error *err);
VT_API void vt_installed_free(vt_installed *installed);
/* The entry whose rules live in namespace `ns`, or NULL. */
VT_API const vt_installed_entry *vt_installed_entry_for(const vt_installed *installed,
                                                        const char *ns);

#ifdef __cplusplus
}
#endif

#endif
