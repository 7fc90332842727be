/* collector.c: `vitrine serve collector` (collector.h). POST /reports and POST /samples take one
 * report (docs/telemetry.md); GET /aggregate?day=YYYY-MM-DD is the public sum of detections.
 * A report is stored only if it passes vt_telemetry_report_check against the data-policy entry
 * at the log index it names: the collector reads the log through the trust core (checkpoint
 * signature, consistency with what it read before, each entry's inclusion) at start and again
 * when a report names an index beyond the tree it knows (at most once per --log-reread
 * seconds; until then such a report is answered 503, to be sent again). Nothing here
 * reads or keeps the client's address: the handler never asks libmicrohttpd for it, no line is
 * logged per request, and the store gets only the report's own fields, its day and the day each
 * field must be deleted after. The connection limits, request deadline and early 413 are the
 * shared setup's (http_server.h); a request that would pass the bytes held in memory or find
 * the store held up is answered 503. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include <vitrine/distrib.h>
#include <vitrine/telemetry.h>
#include <vitrine/trust.h>

#include "collector.h"
#include "collector_store.h"

/* How long a request waits for a place at the store before it is answered 503. */
#define STORE_WAIT_MS 1000u

/* What the collector knows of one log entry. */
typedef struct log_slot {
    vt_entry_kind kind;
    vt_data_policy_entry *policy; /* a data-policy entry that parsed; else NULL */
    char *problem;                /* why a data-policy entry did not parse; else NULL */
} log_slot;

struct vt_collector {
    vt_collector_options o;
    vt_http_server *http;
    vt_collector_store *store;
    vt_http_gate store_gate;
    /* The log as last read: slots[0..size) under `view_lock`; the reader, the checkpoint and
     * the time of the last reading under `read_lock` (held across a reading). */
    pthread_rwlock_t view_lock;
    log_slot *slots;
    uint64_t size;
    pthread_mutex_t read_lock;
    vt_tlog_reader *reader;
    vt_tlog_checkpoint cp;
    int has_cp;
    struct timespec last_read;
    /* Bytes of request bodies reserved, all requests together. */
    pthread_mutex_t inflight_lock;
    size_t inflight;
    /* The retention job. */
    pthread_mutex_t purge_lock;
    pthread_cond_t purge_wake;
    int stopping;
    int purge_running;
    pthread_t purge_thread;
};

enum route { ROUTE_REPORTS = 1, ROUTE_SAMPLES };

typedef struct request {
    enum route route;
    size_t max;      /* the body limit of the route */
    size_t reserved; /* bytes reserved in the collector's in-flight count */
    vt_buf body;
} request;

/* ---- days ---- */

static void today_utc(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* A valid YYYY-MM-DD calendar day: 1, with *days (days since 1970-01-01); else 0. */
static int parse_day(const char *s, int64_t *days)
{
    return vt_distrib_day_number(s, strlen(s), days);
}

static void format_day(int64_t days, char out[11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* ---- the log ---- */

static const char *entry_kind_name(vt_entry_kind kind)
{
    switch (kind) {
    case VT_ENTRY_RULE: return "a rule entry";
    case VT_ENTRY_BUNDLE: return "a bundle entry";
    case VT_ENTRY_RELEASE: return "a release entry";
    case VT_ENTRY_DATA_POLICY: return "a data-policy entry";
    default: return "an entry of unknown kind";
    }
}

static vt_status unavailable(const vt_error *fetch_err, vt_error *err)
{
    vt_trust_verdict v;
    vt_trust_unavailable(&v, fetch_err);
    return vt_trust_error(&v, NULL, err);
}

static void slot_clear(log_slot *s)
{
    if (s->policy) {
        vt_data_policy_entry_clear(s->policy);
        free(s->policy);
    }
    free(s->problem);
}

/* Fetch entry `index` of the tree `cp` and check its inclusion; fill the slot. */
static vt_status read_entry(vt_collector *c, const vt_tlog_checkpoint *cp, uint64_t index,
                            log_slot *slot, vt_error *err)
{
    vt_buf entry = {0};
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    vt_error fetch_err;
    vt_error_clear(&fetch_err);
    if (vt_tlog_reader_entry(c->reader, cp->size, index, &entry, &fetch_err) != VT_OK ||
        vt_tlog_reader_prove_inclusion(c->reader, cp->size, index, proof, &n, &fetch_err) !=
            VT_OK) {
        vt_buf_free(&entry);
        return unavailable(&fetch_err, err);
    }
    vt_trust_verdict v;
    if (vt_trust_inclusion(cp, index, entry.data, entry.len,
                           (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n,
                           &v) != VT_TRUST_OK) {
        vt_buf_free(&entry);
        return vt_trust_error(&v, "altered entry", err);
    }
    slot->kind = vt_entry_kind_of(entry.data, entry.len);
    vt_status st = VT_OK;
    if (slot->kind == VT_ENTRY_DATA_POLICY) {
        vt_data_policy_entry *p = calloc(1, sizeof *p);
        vt_error why;
        vt_error_clear(&why);
        if (!p) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        } else if (vt_data_policy_entry_parse(entry.data, entry.len, p, &why) == VT_OK) {
            slot->policy = p;
        } else {
            free(p);
            char text[600];
            vt_error_format(&why, text, sizeof text);
            slot->problem = strdup(text);
            if (!slot->problem)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
    }
    vt_buf_free(&entry);
    return st;
}

/* Read the log up to its served checkpoint: the checkpoint's signature, its consistency with
 * the tree read before, and every new entry's inclusion. Called with read_lock held. */
static vt_status read_log(vt_collector *c, vt_error *err)
{
    vt_buf raw = {0};
    vt_error fetch_err;
    vt_error_clear(&fetch_err);
    clock_gettime(CLOCK_MONOTONIC, &c->last_read);
    if (vt_tlog_reader_fetch(c->reader, "checkpoint", VT_TLOG_MAX_NOTE, &raw, &fetch_err) !=
        VT_OK) {
        vt_buf_free(&raw);
        return unavailable(&fetch_err, err);
    }
    vt_trust_checkpoint_policy key_only = {.log_key = c->o.log_key};
    vt_trust_verdict v;
    vt_tlog_checkpoint cp = {0};
    vt_trust_kind kind = vt_trust_checkpoint(&key_only, raw.data, raw.len, 0, &cp, &v);
    vt_buf_free(&raw);
    if (kind != VT_TRUST_OK)
        return vt_trust_error(&v, "the log's checkpoint", err);
    uint64_t from = 0;
    if (c->has_cp) {
        unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
        size_t n = 0;
        if (c->cp.size > 0 && cp.size > c->cp.size &&
            vt_tlog_reader_prove_consistency(c->reader, c->cp.size, cp.size, proof, &n,
                                             &fetch_err) != VT_OK) {
            vt_tlog_checkpoint_clear(&cp);
            return unavailable(&fetch_err, err);
        }
        if (vt_trust_extends(&c->cp, &cp, (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n,
                             &v) != VT_TRUST_OK) {
            vt_tlog_checkpoint_clear(&cp);
            return vt_trust_error(&v, "the log's new checkpoint", err);
        }
        from = c->cp.size;
    }
    vt_status st = VT_OK;
    log_slot *added = NULL;
    if (cp.size > from) {
        added = calloc((size_t)(cp.size - from), sizeof *added);
        if (!added || cp.size - from > SIZE_MAX / sizeof *added)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    for (uint64_t i = from; st == VT_OK && i < cp.size; i++)
        st = read_entry(c, &cp, i, &added[i - from], err);
    if (st == VT_OK && cp.size > from) {
        pthread_rwlock_wrlock(&c->view_lock);
        log_slot *slots = realloc(c->slots, (size_t)cp.size * sizeof *slots);
        if (!slots) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        } else {
            memcpy(slots + from, added, (size_t)(cp.size - from) * sizeof *slots);
            c->slots = slots;
            c->size = cp.size;
        }
        pthread_rwlock_unlock(&c->view_lock);
        if (st == VT_OK) {
            free(added);
            added = NULL;
        }
    }
    for (uint64_t i = from; added && i < cp.size; i++)
        slot_clear(&added[i - from]);
    free(added);
    if (st == VT_OK) {
        if (c->has_cp)
            vt_tlog_checkpoint_clear(&c->cp);
        c->cp = cp;
        c->has_cp = 1;
    } else {
        vt_tlog_checkpoint_clear(&cp);
    }
    return st;
}

/* Find the data-policy entry at `index`, reading the log again (at most once per log_reread
 * seconds) when the index is beyond the tree read so far. Returns the HTTP status to answer on
 * failure (400 with a message: not in the log just read, or not a valid data-policy entry; 503
 * when the log cannot be read now, or was read too recently to read it again), or 0 with
 * *policy. */
static unsigned find_policy(vt_collector *c, uint64_t index, const vt_data_policy_entry **policy,
                            char *message, size_t message_size)
{
    pthread_rwlock_rdlock(&c->view_lock);
    uint64_t size = c->size;
    pthread_rwlock_unlock(&c->view_lock);
    if (index >= size) {
        pthread_mutex_lock(&c->read_lock);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t since_ms = (int64_t)(now.tv_sec - c->last_read.tv_sec) * 1000 +
                           (now.tv_nsec - c->last_read.tv_nsec) / 1000000;
        pthread_rwlock_rdlock(&c->view_lock);
        size = c->size;
        pthread_rwlock_unlock(&c->view_lock);
        unsigned status = 0;
        if (index >= size && since_ms < (int64_t)c->o.log_reread * 1000) {
            /* Read a moment ago: the policy may have been logged since. Not a refusal. */
            snprintf(message, message_size,
                     "policy %" PRIu64 " is not in the log as read a moment ago; retry later",
                     index);
            status = 503;
        } else if (index >= size) {
            vt_error err;
            vt_error_clear(&err);
            if (read_log(c, &err) != VT_OK) {
                /* Not the client's fault: said once here, retried by the client later. */
                char text[900];
                vt_error_format(&err, text, sizeof text);
                fprintf(stderr, "collector: cannot read the log again: %s\n", text);
                snprintf(message, message_size, "the log cannot be read now; retry later");
                status = 503;
            }
        }
        pthread_mutex_unlock(&c->read_lock);
        if (status)
            return status;
    }
    pthread_rwlock_rdlock(&c->view_lock);
    unsigned status = 0;
    if (index >= c->size) {
        snprintf(message, message_size,
                 "policy %" PRIu64 " is not in the log (it holds %" PRIu64 " entries)", index,
                 c->size);
        status = 400;
    } else if (c->slots[index].kind != VT_ENTRY_DATA_POLICY) {
        snprintf(message, message_size, "policy %" PRIu64 ": log entry %" PRIu64
                 " is %s, not a data-policy entry", index, index,
                 entry_kind_name(c->slots[index].kind));
        status = 400;
    } else if (!c->slots[index].policy) {
        snprintf(message, message_size, "policy %" PRIu64 ": log entry %" PRIu64
                 " is not a valid data-policy entry: %s", index, index, c->slots[index].problem);
        status = 400;
    } else {
        *policy = c->slots[index].policy; /* never freed before the collector stops */
    }
    pthread_rwlock_unlock(&c->view_lock);
    return status;
}

/* ---- answers ---- */

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned status,
                                    const char *key, const char *value, int cacheable)
{
    json_t *o = json_object();
    char *text = NULL;
    if (o && json_object_set_new(o, key, json_string(value)) == 0)
        text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return MHD_NO;
    size_t len = strlen(text);
    text[len] = '\n';
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len + 1, text, MHD_RESPMEM_MUST_COPY);
    free(text);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", cacheable ? "public, max-age=60" : "no-store");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = vt_http_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
                                     const char *message)
{
    return respond_json(conn, status, "error", message, 0);
}

/* ---- reports ---- */

/* Parse the body and read its "policy" member; *root (the parsed body) is the caller's. */
static vt_status parse_envelope(const void *body, size_t len, json_t **root, uint64_t *index,
                                vt_error *err)
{
    *root = NULL;
    if (len == 0)
        return vt_error_set(err, VT_ERR_SYNTAX, "not a report: the body is empty");
    json_error_t jerr;
    json_t *r = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r)
        return vt_error_set(err, VT_ERR_SYNTAX, "not a report: %s (line %d, column %d)", jerr.text,
                            jerr.line, jerr.column);
    json_t *p = json_object_get(r, "policy");
    vt_status st = VT_OK;
    if (!json_is_object(r))
        st = vt_error_set(err, VT_ERR_SYNTAX, "not a report: not a JSON object");
    else if (!json_is_integer(p) || json_integer_value(p) < 0)
        st = vt_error_set(err, VT_ERR_SYNTAX,
                          "field \"policy\": expected the log index of a data-policy entry");
    else
        *index = (uint64_t)json_integer_value(p);
    if (st == VT_OK)
        *root = r;
    else
        json_decref(r);
    return st;
}

vt_status vt_collector_report_policy(const void *body, size_t len, uint64_t *index,
                                     vt_error *err)
{
    json_t *root;
    vt_status st = parse_envelope(body, len, &root, index, err);
    json_decref(root);
    return st;
}

/* Cut a checked report into the record the store keeps: each field's JSON value and the day it
 * must be deleted after (the report's day plus the field's retention). */
static vt_status make_record(const vt_data_policy_entry *policy, uint64_t index, json_t *root,
                             vt_collector_record *rec, vt_collector_field **fields_out,
                             vt_error *err)
{
    const char *id = json_string_value(json_object_get(root, "id"));
    const char *report = json_string_value(json_object_get(root, "report"));
    const char *day = json_string_value(json_object_get(root, "day"));
    json_t *fields = json_object_get(root, "fields");
    const vt_policy_report *section = report ? vt_data_policy_report(policy, report) : NULL;
    int64_t day_number;
    if (!id || strlen(id) != 32 || !section || !day || !parse_day(day, &day_number) ||
        !json_is_object(fields))
        return vt_error_set(err, VT_ERR_STATE, "a checked report lacks id, report, day or fields");
    memset(rec, 0, sizeof *rec);
    memcpy(rec->id, id, 33);
    memcpy(rec->day, day, 11);
    memcpy(rec->delete_after, day, 11);
    rec->policy = index;
    rec->report = report;
    size_t n = json_object_size(fields);
    vt_collector_field *out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    *fields_out = out;
    unsigned longest = 0;
    const char *name;
    json_t *value;
    size_t i = 0;
    json_object_foreach(fields, name, value)
    {
        const vt_policy_field *declared = vt_policy_report_field(section, name);
        if (!declared)
            return vt_error_set(err, VT_ERR_STATE, "a checked report has an undeclared field");
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        out[i].name = name;
        out[i].value = text;
        out[i].value_len = strlen(text);
        format_day(day_number + declared->retention_days, out[i].delete_after);
        if (declared->retention_days > longest)
            longest = declared->retention_days;
        rec->field_count = ++i;
    }
    rec->fields = out;
    format_day(day_number + longest, rec->delete_after);
    return VT_OK;
}

static void free_fields(vt_collector_field *fields, size_t n)
{
    for (size_t i = 0; fields && i < n; i++)
        free((char *)fields[i].value);
    free(fields);
}

static enum MHD_Result take_report(vt_collector *c, struct MHD_Connection *conn,
                                   const vt_buf *body)
{
    vt_error err;
    vt_error_clear(&err);
    char message[1024];
    uint64_t index = 0;
    json_t *root;
    if (parse_envelope(body->data, body->len, &root, &index, &err) != VT_OK)
        return respond_error(conn, 400, err.message);
    const vt_data_policy_entry *policy = NULL;
    unsigned status = find_policy(c, index, &policy, message, sizeof message);
    char today[11];
    today_utc(today);
    if (!status &&
        vt_telemetry_report_check(policy, index, body->data, body->len, today, NULL, &err) !=
            VT_OK) {
        snprintf(message, sizeof message, "%s", err.message);
        status = 400;
    }
    if (status) {
        json_decref(root);
        return respond_error(conn, status, message);
    }
    vt_collector_record rec = {0};
    vt_collector_field *fields = NULL;
    enum MHD_Result ret;
    int duplicate = 0;
    if (make_record(policy, index, root, &rec, &fields, &err) != VT_OK) {
        ret = respond_error(conn, 500, err.message);
    } else if (!vt_http_gate_enter(&c->store_gate, STORE_WAIT_MS)) {
        ret = vt_http_respond_busy(conn);
    } else {
        vt_status st = vt_collector_store_put(c->store, &rec, &duplicate, &err);
        vt_http_gate_leave(&c->store_gate);
        if (st != VT_OK) {
            fprintf(stderr, "collector: %s\n", err.message);
            ret = vt_http_respond_busy(conn);
        } else {
            ret = respond_json(conn, duplicate ? 200 : 201, duplicate ? "duplicate" : "stored",
                               rec.id, 0);
        }
    }
    free_fields(fields, rec.field_count);
    json_decref(root);
    return ret;
}

static enum MHD_Result aggregate(vt_collector *c, struct MHD_Connection *conn)
{
    const char *day = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "day");
    int64_t n;
    if (!day || !parse_day(day, &n))
        return respond_error(conn, 400, "give ?day=YYYY-MM-DD");
    vt_buf sums = {0};
    vt_error err;
    vt_error_clear(&err);
    if (!vt_http_gate_enter(&c->store_gate, STORE_WAIT_MS))
        return vt_http_respond_busy(conn);
    vt_status st = c->store->ops->aggregate(c->store, "scan-summary", "detections", day, &sums,
                                            &err);
    vt_http_gate_leave(&c->store_gate);
    vt_buf out = {0};
    if (st == VT_OK && vt_buf_printf(&out, "{\"day\":\"%s\",\"detections\":", day) == VT_OK &&
        vt_buf_append(&out, sums.data, sums.len) == VT_OK && vt_buf_append_str(&out, "}\n") == VT_OK)
        st = VT_OK;
    else if (st == VT_OK)
        st = VT_ERR_NOMEM;
    vt_buf_free(&sums);
    if (st != VT_OK) {
        vt_buf_free(&out);
        if (err.message[0])
            fprintf(stderr, "collector: %s\n", err.message);
        return vt_http_respond_busy(conn);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(out.len, out.data,
                                                             MHD_RESPMEM_MUST_COPY);
    vt_buf_free(&out);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "public, max-age=60");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    enum MHD_Result ret = vt_http_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* Reserve `bytes` of the in-flight budget: 1, or 0 when it would pass the budget. */
static int inflight_reserve(vt_collector *c, size_t bytes)
{
    pthread_mutex_lock(&c->inflight_lock);
    int ok = c->inflight + bytes <= VT_COLLECTOR_MAX_INFLIGHT;
    if (ok)
        c->inflight += bytes;
    pthread_mutex_unlock(&c->inflight_lock);
    return ok;
}

static void inflight_release(vt_collector *c, size_t bytes)
{
    pthread_mutex_lock(&c->inflight_lock);
    c->inflight -= bytes;
    pthread_mutex_unlock(&c->inflight_lock);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    (void)version;
    vt_collector *c = cls;
    request *req = *req_cls;
    if (!req) {
        /* First call, headers only: answer or refuse what can be before reading a body. */
        if (strcmp(url, "/aggregate") == 0) {
            if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return respond_error(conn, 405, "GET only");
            if (vt_http_body_refusal(conn, 0))
                return respond_error(conn, 413, "no request bodies");
            return aggregate(c, conn);
        }
        enum route route = strcmp(url, "/reports") == 0   ? ROUTE_REPORTS
                           : strcmp(url, "/samples") == 0 ? ROUTE_SAMPLES
                                                          : 0;
        if (!route)
            return respond_error(conn, 404, "not found");
        if (strcmp(method, "POST") != 0)
            return respond_error(conn, 405, "POST only");
        size_t max = route == ROUTE_REPORTS ? VT_TELEMETRY_MAX_REPORT : VT_TELEMETRY_MAX_SAMPLE;
        if (vt_http_body_refusal(conn, max)) {
            char message[100];
            snprintf(message, sizeof message, "%s is at most %zu bytes",
                     route == ROUTE_REPORTS ? "a report" : "a sample report", max);
            return respond_error(conn, 413, message);
        }
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        size_t reserve = length ? (size_t)strtoull(length, NULL, 10) : max;
        if (!inflight_reserve(c, reserve))
            return vt_http_respond_busy(conn);
        if (!(req = calloc(1, sizeof *req))) {
            inflight_release(c, reserve);
            return MHD_NO;
        }
        req->route = route;
        req->max = max;
        req->reserved = reserve;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        /* More than announced, or past the limit for a chunked body: libmicrohttpd cannot
         * answer in the middle of an upload, so the connection is closed. */
        if (req->body.len + *upload_size > req->reserved ||
            vt_buf_append(&req->body, upload_data, *upload_size) != VT_OK)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    return take_report(c, conn, &req->body);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)conn;
    (void)code;
    vt_collector *c = cls;
    request *req = *req_cls;
    if (req) {
        inflight_release(c, req->reserved);
        vt_buf_free(&req->body);
        free(req);
        *req_cls = NULL;
    }
}

/* ---- retention ---- */

static vt_status purge_now(vt_collector *c, vt_error *err)
{
    char today[11];
    today_utc(today);
    uint64_t deleted = 0;
    vt_status st = c->store->ops->purge(c->store, today, &deleted, err);
    if (st == VT_OK && deleted)
        fprintf(stderr, "collector: deleted %" PRIu64 " rows past their retention\n", deleted);
    return st;
}

static void *purge_main(void *arg)
{
    vt_collector *c = arg;
    pthread_mutex_lock(&c->purge_lock);
    while (!c->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += c->o.purge_interval;
        while (!c->stopping &&
               pthread_cond_timedwait(&c->purge_wake, &c->purge_lock, &until) != ETIMEDOUT) {
        }
        if (c->stopping)
            break;
        pthread_mutex_unlock(&c->purge_lock);
        vt_error err;
        vt_error_clear(&err);
        if (purge_now(c, &err) != VT_OK)
            fprintf(stderr, "collector: retention purge failed (tried again in %u s): %s\n",
                    c->o.purge_interval, err.message);
        pthread_mutex_lock(&c->purge_lock);
    }
    pthread_mutex_unlock(&c->purge_lock);
    return NULL;
}

/* ---- start and stop ---- */

vt_status vt_collector_start(const vt_collector_options *options, vt_collector **out,
                             vt_error *err)
{
    *out = NULL;
    vt_collector *c = calloc(1, sizeof *c);
    if (!c)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    c->o = *options;
    if (c->o.purge_interval == 0)
        c->o.purge_interval = 3600;
    if (c->o.log_deadline == 0)
        c->o.log_deadline = 60;
    if (c->o.log_reread == 0)
        c->o.log_reread = 1;
    pthread_rwlock_init(&c->view_lock, NULL);
    pthread_mutex_init(&c->read_lock, NULL);
    pthread_mutex_init(&c->inflight_lock, NULL);
    pthread_mutex_init(&c->purge_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->purge_wake, &attr);
    pthread_condattr_destroy(&attr);
    unsigned threads = c->o.limits.threads;
    vt_http_gate_init(&c->store_gate, threads > 1 ? threads - 1 : 1);
    vt_status st;
    vt_tlog_http_options http = {.deadline_ms = (uint64_t)c->o.log_deadline * 1000u};
    if ((st = vt_tlog_reader_open_with(c->o.log, &http, &c->reader, err)) != VT_OK)
        goto fail;
    pthread_mutex_lock(&c->read_lock);
    st = read_log(c, err);
    pthread_mutex_unlock(&c->read_lock);
    if (st != VT_OK) {
        char text[900];
        vt_error_format(err, text, sizeof text);
        st = vt_error_set(err, st, "cannot read the data policies from the log %s: %s", c->o.log,
                          text);
        goto fail;
    }
    /* PostgreSQL: a connection per worker thread up to 8 (measured on loopback: beyond that a
     * batch rarely has more than one report to share its commit). */
    unsigned connections = threads < 8 ? threads : 8;
    st = c->o.postgres ? vt_collector_store_open_pg(c->o.postgres, connections, &c->store, err)
                       : vt_collector_store_open_sqlite(c->o.db, &c->store, err);
    if (st != VT_OK || (st = purge_now(c, err)) != VT_OK)
        goto fail;
    if (pthread_create(&c->purge_thread, NULL, purge_main, c) != 0) {
        st = vt_error_set(err, VT_ERR_NOMEM, "cannot start the retention job");
        goto fail;
    }
    c->purge_running = 1;
    if ((st = vt_http_server_start(c->o.listen, &c->o.limits, handle, c, completed, c, &c->http,
                                   err)) != VT_OK)
        goto fail;
    *out = c;
    return VT_OK;
fail:
    vt_collector_stop(c);
    return st;
}

unsigned vt_collector_port(const vt_collector *collector)
{
    return vt_http_server_port(collector->http);
}

uint64_t vt_collector_log_size(vt_collector *collector)
{
    pthread_rwlock_rdlock(&collector->view_lock);
    uint64_t size = collector->size;
    pthread_rwlock_unlock(&collector->view_lock);
    return size;
}

void vt_collector_stop(vt_collector *c)
{
    if (!c)
        return;
    vt_http_server_stop(c->http);
    if (c->purge_running) {
        pthread_mutex_lock(&c->purge_lock);
        c->stopping = 1;
        pthread_cond_signal(&c->purge_wake);
        pthread_mutex_unlock(&c->purge_lock);
        pthread_join(c->purge_thread, NULL);
    }
    vt_collector_store_close(c->store);
    vt_tlog_reader_close(c->reader);
    if (c->has_cp)
        vt_tlog_checkpoint_clear(&c->cp);
    for (uint64_t i = 0; i < c->size; i++)
        slot_clear(&c->slots[i]);
    free(c->slots);
    vt_http_gate_destroy(&c->store_gate);
    pthread_cond_destroy(&c->purge_wake);
    pthread_mutex_destroy(&c->purge_lock);
    pthread_mutex_destroy(&c->inflight_lock);
    pthread_mutex_destroy(&c->read_lock);
    pthread_rwlock_destroy(&c->view_lock);
    free(c);
}
