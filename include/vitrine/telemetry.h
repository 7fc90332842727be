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
#include <vitrine/tlog.h>

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
/* The changes as text, one line each, appended to out: '+ ' for a field added (with its type,
 * category, retention, expiry and purpose, read from new_policy), '! ' for another change that
 * needs consent, '- ' for a narrowing. */
VT_API vt_status vt_policy_change_text(const vt_policy_change *change,
                                       const vt_data_policy_entry *new_policy, vt_buf *out,
                                       vt_error *err);
/* Short name of a sensitivity category 1..4 ("technical", ...). */
VT_API const char *vt_policy_category_name(unsigned category);

/* ---- the client's state: STATE/telemetry/ (docs/telemetry.md "Client state") ----
 * policy-current names the log index of the data policy in force; policy-INDEX.entry, .proof (a
 * tlog-proof carrying the checkpoint) and .log-policy (the tlog-policy it was verified under)
 * let every reader re-check it offline through the trust core; consent records the one policy
 * the user agreed to (its index, hash and text); queue/ holds reports written by `vitrine scan`,
 * one file each; ledger.sqlite is the ledger of everything `telemetry send` sent or will send. */

typedef struct vt_telemetry_state {
    char dir[4096];              /* STATE/telemetry */
    vt_data_policy_entry policy; /* the policy in force, verified offline */
    uint64_t index;              /* its log index */
    unsigned char sha256[32];    /* of its entry */
    int has_consent;             /* consent is recorded (for consent_index) */
    uint64_t consent_index;
    vt_data_policy_entry consented; /* the policy consented to, when has_consent */
    vt_policy_change change;     /* from the consented policy to the one in force */
    int usable;                  /* consent covers the policy in force: reports may be made */
} vt_telemetry_state;

/* Install a data policy verified by the update client: its entry at log index `index`, its
 * tlog-proof (proof->checkpoint set) and the tlog-policy text it was verified under; the files
 * are written first, then policy-current is switched atomically. */
VT_API vt_status vt_telemetry_install_policy(const char *state_dir, uint64_t index,
                                             const void *entry, size_t len,
                                             const vt_tlog_proof *proof,
                                             const void *log_policy, size_t log_policy_len,
                                             vt_error *err);
/* Load the policy in force, re-checking it offline (the checkpoint's signature and witness
 * quorum under the stored tlog-policy, the entry's inclusion at its index: vt_trust_proof), and
 * the consent. VT_ERR_NOT_FOUND when no data policy is installed. Free with
 * vt_telemetry_state_free. state_dir NULL: vt_distrib_state_dir. */
VT_API vt_status vt_telemetry_state_load(const char *state_dir, vt_telemetry_state **out,
                                         vt_error *err);
VT_API void vt_telemetry_state_free(vt_telemetry_state *state);
/* Record consent for the policy in force (its index only). */
VT_API vt_status vt_telemetry_consent(vt_telemetry_state *state, vt_error *err);
/* Withdraw consent and delete every queued report (the ledger is the caller's: telemetry
 * disable marks its unsent entries withdrawn). */
VT_API vt_status vt_telemetry_withdraw(const char *telemetry_dir, vt_error *err);

/* 32 random lowercase hex digits (getrandom): the id of one report, nothing else. */
VT_API vt_status vt_telemetry_new_id(char out[33], vt_error *err);
/* Today's UTC day, YYYY-MM-DD. */
VT_API void vt_telemetry_today(char out[11]);

/* Queue a report under the policy in force: sets its policy, a new random id and today's day,
 * writes it as JSON, checks it with vt_telemetry_report_check (refused: nothing is written) and
 * writes it atomically as one file into STATE/telemetry/queue/. VT_ERR_STATE when consent does
 * not cover the policy in force (state->usable is 0). *path (may be NULL, size path_size) gets
 * the file written. */
VT_API vt_status vt_telemetry_queue(const vt_telemetry_state *state, vt_telemetry_report *report,
                                    char *path, size_t path_size, vt_error *err);
/* The queued files (full paths, oldest first); free with vt_telemetry_list_free. */
VT_API vt_status vt_telemetry_queue_list(const char *telemetry_dir, char ***paths, size_t *count,
                                         vt_error *err);
VT_API void vt_telemetry_list_free(char **paths, size_t count);

/* ---- samples ---- */

/* Is this file a document, which `vitrine submit` sends only with
 * --i-understand-this-is-a-document? From libmagic's MIME type (may be NULL) and the bytes:
 * "PDF", "OLE2" (legacy Office, Outlook), "OOXML", "ODF", "RTF", "plain text" (any text/ type),
 * or NULL for none of them. Pure. */
VT_API const char *vt_telemetry_document_kind(const char *mime, const void *data, size_t len);

/* ---- the ledger and the sender (SQLite, libcurl: only `vitrine-net` links them) ---- */

/* One payload in the ledger (STATE/telemetry/ledger.sqlite). States: "queued" (committed, not
 * yet acknowledged by the collector), "sent" (the collector answered 201 or 200 duplicate),
 * "refused" (the collector answered 400/413, or the report no longer passes the check, e.g. a
 * field expired), "withdrawn" (consent was withdrawn before it was sent). */
typedef struct vt_ledger_entry {
    uint64_t seq;            /* order of commitment */
    char time[21];           /* when it was committed, YYYY-MM-DDTHH:MM:SSZ (local record) */
    char *destination;       /* the full URL it is POSTed to */
    uint64_t policy;         /* the data policy's log index */
    char report[VT_POLICY_MAX_NAME + 1];
    char id[33];
    char state[12];
    char state_time[21];     /* when the state last changed; "" while queued */
    long http_status;        /* the collector's last answer; 0 when none */
    unsigned char *payload;  /* the bytes, exactly as sent */
    size_t payload_len;
} vt_ledger_entry;

typedef struct vt_telemetry_ledger vt_telemetry_ledger;

/* Open (create) the ledger in the telemetry directory (vt_telemetry_state.dir). */
VT_API vt_status vt_telemetry_ledger_open(const char *telemetry_dir, vt_telemetry_ledger **out,
                                          vt_error *err);
VT_API void vt_telemetry_ledger_close(vt_telemetry_ledger *ledger);
/* Commit a payload as "queued" (durably: the transaction is synced before this returns). An
 * entry with the same id and the same bytes already there is not an error (*existing_state, if
 * not NULL, gets its state, "" for a new one); other bytes under that id are VT_ERR_STATE. */
VT_API vt_status vt_telemetry_ledger_add(vt_telemetry_ledger *ledger, const vt_ledger_entry *entry,
                                         char existing_state[12], vt_error *err);
VT_API vt_status vt_telemetry_ledger_mark(vt_telemetry_ledger *ledger, const char *id,
                                          const char *state, long http_status, vt_error *err);
/* Every entry (state NULL) or those in `state`, oldest first. */
VT_API vt_status vt_telemetry_ledger_list(vt_telemetry_ledger *ledger, const char *state,
                                          vt_ledger_entry **entries, size_t *count,
                                          vt_error *err);
VT_API void vt_ledger_entries_free(vt_ledger_entry *entries, size_t count);

/* POST body to url (an https:// URL, or http:// to 127.0.0.1/localhost: vt_policy_url_valid)
 * with libcurl: certificate and host checks on, no redirect followed, no cookie, no
 * User-Agent or other header that could identify the machine. `relay` is the interface for an
 * Oblivious HTTP relay (RFC 9458) and must be NULL: relaying is not implemented
 * (VT_ERR_ARGUMENT). VT_ERR_NETWORK when no HTTP answer came; else *http_status and *response
 * (at most 64 KiB) are the collector's answer. */
VT_API vt_status vt_telemetry_post(const char *url, const char *relay, const void *body,
                                   size_t len, long *http_status, vt_buf *response,
                                   vt_error *err);

/* A payload the next send would send, in order: first those committed to the ledger but not
 * acknowledged (a send that failed or was interrupted), then the queued files, oldest first. */
typedef struct vt_telemetry_pending {
    char *path;            /* the queue file, or NULL for a ledger entry */
    unsigned char *payload;
    size_t payload_len;
    char destination[2200];
    uint64_t policy;
    char report[VT_POLICY_MAX_NAME + 1];
    char id[33];
    int sendable;          /* 1: consent covers its policy and it passes the check today */
    char why[600];         /* why it is held back or refused, when not sendable */
    int refuse;            /* 1: it will never be sendable (fails the check): it is dropped */
} vt_telemetry_pending;

VT_API vt_status vt_telemetry_pending_list(const vt_telemetry_state *state,
                                           vt_telemetry_ledger *ledger,
                                           vt_telemetry_pending **items, size_t *count,
                                           vt_error *err);
VT_API void vt_telemetry_pending_free(vt_telemetry_pending *items, size_t count);

typedef struct vt_telemetry_send_result {
    size_t sent, duplicates, refused, held, failed;
} vt_telemetry_send_result;

/* Send every sendable pending payload: commit it to the ledger, then (and only then) POST it,
 * then mark it sent on 201 or 200 duplicate, refused on 400 or 413. A payload that could not be
 * delivered stays queued in the ledger and the send stops (VT_ERR_NETWORK). `on_item` (may be
 * NULL) is told each outcome ("sent", "duplicate", "refused", "held", "failed"). */
VT_API vt_status vt_telemetry_send(const vt_telemetry_state *state, vt_telemetry_ledger *ledger,
                                   void (*on_item)(void *user, const vt_telemetry_pending *item,
                                                   const char *outcome, const char *detail),
                                   void *user, vt_telemetry_send_result *result, vt_error *err);

#ifdef __cplusplus
}
#endif

#endif
