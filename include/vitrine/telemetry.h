/* vitrine/telemetry.h: the data channel (docs/telemetry.md). What a report may contain is decided
 * by the logged data policy (vitrine/distrib.h, vt_data_policy_entry): the pure check of a report
 * against a policy (used by the client before queueing and by the collector on receipt), the
 * comparison of two policies (does a newer one need new consent?), and the client's state in the
 * state directory: consent, the queue of reports written by `vitrine scan`, and (vitrine-net only)
 * the SQLite ledger and the libcurl sender.
 *
 * Promises:
 * - vt_telemetry_report_check and vt_data_policy_compare read no file, clock or network.
 * - A report carries only fields its policy declares for its report type, each valid for its
 *   type and not expired; keys are unique at every level; there is no key the format does not
 *   name. Its `id` is random per report: there is no machine or user identifier anywhere.
 * - No global mutable state.
 */
#ifndef VITRINE_TELEMETRY_H
#define VITRINE_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/distrib.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VT_TELEMETRY_MAX_REPORT 65536u       /* a report without a bytes field (POST /reports) */
#define VT_TELEMETRY_MAX_SAMPLE (24u << 20)  /* a report with a bytes field (POST /samples) */
#define VT_TELEMETRY_MAX_BYTES (16u << 20)   /* decoded size of one bytes field */
#define VT_TELEMETRY_MAX_STRING 256u         /* bytes of a string field */
#define VT_TELEMETRY_MAX_RULE_COUNTS 4096u   /* keys of a rule-counts field */
#define VT_TELEMETRY_MAX_INTEGER 9007199254740991ull /* 2^53 - 1 */

typedef struct vt_rule_count {
    uint64_t index; /* log index of a rule entry */
    uint64_t count; /* 1..2^53-1 */
} vt_rule_count;

/* One field of a report, with the type its policy declares. */
typedef struct vt_telemetry_field {
    char *name;
    vt_policy_type type;
    uint64_t integer;        /* VT_POLICY_INTEGER */
    char *text;              /* STRING, VERSION, SHA256; BYTES: the base64 text */
    size_t text_len;
    vt_rule_count *counts;   /* RULE_COUNTS, in the order of the report */
    size_t count_count;
} vt_telemetry_field;

typedef struct vt_telemetry_report {
    uint64_t policy;     /* log index of the data-policy entry the report follows */
    char report[VT_POLICY_MAX_NAME + 1];
    char id[33];         /* 32 lowercase hex digits, random per report */
    char day[11];        /* YYYY-MM-DD (UTC), no time of day */
    vt_telemetry_field *fields;
    size_t field_count;
} vt_telemetry_report;

/* Is the JSON report (len bytes) allowed by `policy`, the data-policy entry at log index
 * policy_index, on the UTC day `today` (YYYY-MM-DD)? VT_OK; VT_ERR_SYNTAX when it is not JSON or
 * not a report (a missing, extra or mistyped key of the envelope, a duplicate key anywhere, a bad
 * id or day); VT_ERR_VERIFY naming what the policy does not allow (another policy index, an
 * undeclared report or field, a value not of the declared type, a field past its expiry on `day`
 * or `today`, a day more than one day after `today`); VT_ERR_LIMIT when larger than
 * VT_TELEMETRY_MAX_REPORT (VT_TELEMETRY_MAX_SAMPLE for a report type that declares a bytes
 * field). `out` (may be NULL) receives the parsed report; free it with vt_telemetry_report_clear. */
VT_API vt_status vt_telemetry_report_check(const vt_data_policy_entry *policy,
                                           uint64_t policy_index, const void *json, size_t len,
                                           const char *today, vt_telemetry_report *out,
                                           vt_error *err);
VT_API void vt_telemetry_report_clear(vt_telemetry_report *report);

/* The JSON text of a report (compact, keys in the order policy, report, id, day, fields; fields
 * in the order given), appended to out. Values are written as given: check the result with
 * vt_telemetry_report_check before it goes anywhere. */
VT_API vt_status vt_telemetry_report_json(const vt_telemetry_report *report, vt_buf *out,
                                          vt_error *err);

/* ---- policy changes ---- */

typedef enum vt_policy_change_kind {
    VT_POLICY_FIELD_ADDED = 1,       /* a field (or a whole report) the old policy did not have */
    VT_POLICY_CATEGORY_RAISED,       /* a field moved to a more sensitive category */
    VT_POLICY_RETENTION_LENGTHENED,  /* a field is kept longer */
    VT_POLICY_EXPIRY_EXTENDED,       /* a field may be sent until a later day */
    VT_POLICY_TYPE_CHANGED,          /* a field holds another type of value */
    VT_POLICY_PURPOSE_CHANGED,       /* a report's or a field's stated purpose changed */
    VT_POLICY_COLLECTOR_CHANGED,
    VT_POLICY_RELAY_CHANGED,         /* added, removed or changed */
    VT_POLICY_FIELD_REMOVED,         /* narrowing: no new consent needed */
    VT_POLICY_CATEGORY_LOWERED,
    VT_POLICY_RETENTION_SHORTENED,
    VT_POLICY_EXPIRY_SHORTENED,
} vt_policy_change_kind;

/* One difference; the strings point into the two policies compared (valid while they live). */
typedef struct vt_policy_difference {
    vt_policy_change_kind kind;
    const char *report;    /* NULL for collector/relay */
    const char *field;     /* NULL for a report's purpose, collector and relay */
    const char *old_text;  /* old value (category, retention as decimal in old_value) or NULL */
    const char *new_text;
    unsigned old_value, new_value; /* category or retention days */
} vt_policy_difference;

typedef struct vt_policy_change {
    vt_policy_difference *items;
    size_t count;
    int needs_consent; /* 1 when anything was added, raised, lengthened, extended, retyped,
                          repurposed, or an endpoint changed */
} vt_policy_change;

/* Every difference from `old_policy` to `new_policy`, in the order of the new policy. */
VT_API vt_status vt_data_policy_compare(const vt_data_policy_entry *old_policy,
                                        const vt_data_policy_entry *new_policy,
                                        vt_policy_change *out, vt_error *err);
VT_API void vt_policy_change_clear(vt_policy_change *change);
/* Short stable name of a change kind, e.g. "field added". */
VT_API const char *vt_policy_change_kind_name(vt_policy_change_kind kind);
/* 1 when a change of this kind needs new consent. */
VT_API int vt_policy_change_needs_consent(vt_policy_change_kind kind);

#ifdef __cplusplus
}
#endif

#endif
