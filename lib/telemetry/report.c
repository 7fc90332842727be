/* report.c: the one decision "is this report allowed by this data policy?" (docs/telemetry.md),
 * a pure function used by the client before it queues a report and by the collector when it
 * receives one; and the JSON writer of a report. JSON is read with jansson, duplicate keys
 * refused (jansson would otherwise keep the last one silently). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vitrine/telemetry.h>

#include "telemetry_internal.h"

void vt_telemetry_report_clear(vt_telemetry_report *r)
{
    for (size_t i = 0; i < r->field_count; i++) {
        free(r->fields[i].name);
        free(r->fields[i].text);
        free(r->fields[i].counts);
    }
    free(r->fields);
    memset(r, 0, sizeof *r);
}

static int is_lower_hex(const char *s, size_t n, size_t want)
{
    if (n != want)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Standard base64 with padding, canonical (unused bits zero); the decoded size, or -1. */
int64_t vt_telemetry_base64_size(const char *s, size_t n)
{
    if (n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                 ch == '+' || ch == '/';
        if (!ok && !(ch == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '=')))
            return -1;
    }
    size_t pad = n >= 1 && s[n - 1] == '=' ? (n >= 2 && s[n - 2] == '=' ? 2 : 1) : 0;
    if (pad) {
        /* the last character before the padding carries only zero bits past the data */
        const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        unsigned v = (unsigned)(strchr(alphabet, s[n - pad - 1]) - alphabet);
        if ((pad == 1 && (v & 0x3)) || (pad == 2 && (v & 0xf)))
            return -1;
    }
    return (int64_t)(n / 4 * 3 - pad);
}

/* Does a JSON string hold 1..256 bytes without control characters (C0, DEL, C1)? */
static int valid_report_string(const char *s, size_t n)
{
    if (n == 0 || n > VT_TELEMETRY_MAX_STRING)
        return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = vt_utf8_next((const unsigned char *)s + i, n - i, &cp);
        if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return 0;
        i += k;
    }
    return 1;
}

static int report_integer(json_t *v, uint64_t min, uint64_t *out)
{
    if (!json_is_integer(v))
        return 0;
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > VT_TELEMETRY_MAX_INTEGER)
        return 0;
    *out = (uint64_t)i;
    return 1;
}

static vt_status check_value(const vt_policy_field *decl, const char *report, json_t *v,
                             vt_telemetry_field *out, vt_error *err)
{
    const char *type = vt_policy_type_name(decl->type);
#define WRONG(what)                                                                              \
    vt_error_set(err, VT_ERR_VERIFY, "field \"%s\" of report \"%s\" must be %s (type %s)",        \
                 decl->name, report, what, type)
    switch (decl->type) {
    case VT_POLICY_INTEGER:
        if (!report_integer(v, 0, &out->integer))
            return WRONG("an integer 0..2^53-1");
        return VT_OK;
    case VT_POLICY_STRING:
    case VT_POLICY_VERSION:
    case VT_POLICY_SHA256:
    case VT_POLICY_BYTES: {
        if (!json_is_string(v))
            return WRONG("a JSON string");
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        int cmp;
        if (decl->type == VT_POLICY_STRING && !valid_report_string(s, n))
            return WRONG("1 to 256 bytes without control characters");
        if (decl->type == VT_POLICY_VERSION &&
            (memchr(s, 0, n) || n > 31 || vt_distrib_version_compare(s, s, &cmp, NULL) != VT_OK))
            return WRONG("MAJOR.MINOR.PATCH");
        if (decl->type == VT_POLICY_SHA256 && !is_lower_hex(s, n, 64))
            return WRONG("64 lowercase hex digits");
        if (decl->type == VT_POLICY_BYTES) {
            int64_t size = vt_telemetry_base64_size(s, n);
            if (size < 0)
                return WRONG("standard base64 with padding");
            if ((uint64_t)size > VT_TELEMETRY_MAX_BYTES)
                return vt_error_set(err, VT_ERR_LIMIT,
                                    "field \"%s\" of report \"%s\" holds %" PRId64
                                    " bytes, more than %u",
                                    decl->name, report, size, VT_TELEMETRY_MAX_BYTES);
        }
        if (!(out->text = malloc(n + 1)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        memcpy(out->text, s, n + 1);
        out->text_len = n;
        return VT_OK;
    }
    case VT_POLICY_RULE_COUNTS: {
        if (!json_is_object(v))
            return WRONG("a JSON object");
        size_t n = json_object_size(v);
        if (n > VT_TELEMETRY_MAX_RULE_COUNTS)
            return vt_error_set(err, VT_ERR_LIMIT,
                                "field \"%s\" of report \"%s\" names %zu rules, more than %u",
                                decl->name, report, n, VT_TELEMETRY_MAX_RULE_COUNTS);
        if (n && !(out->counts = calloc(n, sizeof *out->counts)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        const char *key;
        json_t *count;
        json_object_foreach(v, key, count)
        {
            vt_rule_count *rc = &out->counts[out->count_count];
            if (!vt_distrib_parse_decimal(key, strlen(key), &rc->index))
                return WRONG("an object whose keys are decimal log indexes");
            if (!report_integer(count, 1, &rc->count))
                return WRONG("an object whose values are integers 1..2^53-1");
            out->count_count++;
        }
        return VT_OK;
    }
    }
#undef WRONG
    return vt_error_set(err, VT_ERR_VERIFY, "field \"%s\" has an unknown type", decl->name);
}

static vt_status check_report(const vt_data_policy_entry *policy, uint64_t policy_index,
                              json_t *root, int64_t today, vt_telemetry_report *out, vt_error *err)
{
    if (!json_is_object(root))
        return vt_error_set(err, VT_ERR_SYNTAX, "a report is a JSON object");
    static const char *const keys[] = {"policy", "report", "id", "day", "fields"};
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        size_t k = 0;
        while (k < 5 && strcmp(key, keys[k]) != 0)
            k++;
        if (k == 5)
            return vt_error_set(err, VT_ERR_SYNTAX,
                                "key \"%s\" is not part of a report (policy, report, id, day, "
                                "fields)",
                                key);
    }
    json_t *jpolicy = json_object_get(root, "policy"), *jreport = json_object_get(root, "report"),
           *jid = json_object_get(root, "id"), *jday = json_object_get(root, "day"),
           *jfields = json_object_get(root, "fields");
    if (!jpolicy || !jreport || !jid || !jday || !jfields)
        return vt_error_set(err, VT_ERR_SYNTAX,
                            "a report has the keys policy, report, id, day and fields");
    if (!json_is_integer(jpolicy) || json_integer_value(jpolicy) < 0)
        return vt_error_set(err, VT_ERR_SYNTAX, "\"policy\" must be a log index");
    if (!json_is_string(jreport) || !json_is_string(jid) || !json_is_string(jday) ||
        !json_is_object(jfields))
        return vt_error_set(err, VT_ERR_SYNTAX,
                            "\"report\", \"id\" and \"day\" are strings and \"fields\" an object");
    const char *id = json_string_value(jid), *day = json_string_value(jday),
               *name = json_string_value(jreport);
    if (!is_lower_hex(id, json_string_length(jid), 32))
        return vt_error_set(err, VT_ERR_SYNTAX, "\"id\" must be 32 lowercase hex digits");
    int64_t day_number;
    if (!vt_distrib_day_number(day, json_string_length(jday), &day_number))
        return vt_error_set(err, VT_ERR_SYNTAX, "\"day\" must be a calendar day YYYY-MM-DD");
    uint64_t index = (uint64_t)json_integer_value(jpolicy);
    if (index != policy_index)
        return vt_error_set(err, VT_ERR_VERIFY,
                            "the report follows policy %" PRIu64 ", not policy %" PRIu64, index,
                            policy_index);
    if (day_number > today + 1)
        return vt_error_set(err, VT_ERR_VERIFY, "\"day\" %s is in the future", day);
    size_t name_len = json_string_length(jreport);
    const vt_policy_report *decl =
        name_len <= VT_POLICY_MAX_NAME && !memchr(name, 0, name_len)
            ? vt_data_policy_report(policy, name)
            : NULL;
    if (!decl)
        return vt_error_set(err, VT_ERR_VERIFY,
                            "report \"%.64s\" is not declared by policy %" PRIu64, name,
                            policy_index);
    if (out) {
        out->policy = index;
        memcpy(out->report, name, name_len + 1);
        memcpy(out->id, id, 33);
        memcpy(out->day, day, 11);
        size_t n = json_object_size(jfields);
        if (n && !(out->fields = calloc(n, sizeof *out->fields)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    json_object_foreach(jfields, key, value)
    {
        const vt_policy_field *field = vt_policy_report_field(decl, key);
        if (!field)
            return vt_error_set(err, VT_ERR_VERIFY,
                                "field \"%.64s\" is not declared for report \"%s\" by policy "
                                "%" PRIu64,
                                key, decl->name, policy_index);
        int64_t expires = INT64_MIN; /* a policy that parsed has valid expiry days */
        vt_distrib_day_number(field->expires, 10, &expires);
        if (expires < day_number || expires < today)
            return vt_error_set(err, VT_ERR_VERIFY, "field \"%s\" expired on %s", key,
                                field->expires);
        vt_telemetry_field scratch = {0};
        vt_telemetry_field *f = out ? &out->fields[out->field_count++] : &scratch;
        f->type = field->type;
        vt_status st = check_value(field, decl->name, value, f, err);
        if (!out) {
            free(scratch.text);
            free(scratch.counts);
        }
        if (st != VT_OK)
            return st;
        if (out && !(f->name = strdup(key)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    return VT_OK;
}

/* Does the report type declare a bytes field (so it may be as large as a sample)? */
static int declares_bytes(const vt_policy_report *report)
{
    for (size_t i = 0; report && i < report->field_count; i++)
        if (report->fields[i].type == VT_POLICY_BYTES)
            return 1;
    return 0;
}

const char *vt_telemetry_endpoint(const vt_policy_report *report)
{
    return declares_bytes(report) ? "/samples" : "/reports";
}

vt_status vt_telemetry_report_check(const vt_data_policy_entry *policy, uint64_t policy_index,
                                    const void *json, size_t len, const char *today,
                                    vt_telemetry_report *out, vt_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    int64_t today_number;
    if (!today || !vt_distrib_day_number(today, strlen(today), &today_number))
        return vt_error_set(err, VT_ERR_ARGUMENT, "today must be a calendar day YYYY-MM-DD");
    if (len > VT_TELEMETRY_MAX_SAMPLE)
        return vt_error_set(err, VT_ERR_LIMIT, "a report is at most %u bytes; this one is %zu",
                            VT_TELEMETRY_MAX_SAMPLE, len);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return vt_error_at(err, VT_ERR_SYNTAX, "report", (unsigned)jerr.line,
                           (unsigned)jerr.column, "not a JSON report: %s", jerr.text);
    vt_status st = check_report(policy, policy_index, root, today_number, out, err);
    if (st == VT_OK && len > VT_TELEMETRY_MAX_REPORT) {
        const vt_policy_report *decl =
            vt_data_policy_report(policy, json_string_value(json_object_get(root, "report")));
        if (!declares_bytes(decl))
            st = vt_error_set(err, VT_ERR_LIMIT,
                              "a report without a bytes field is at most %u bytes; this one is %zu",
                              VT_TELEMETRY_MAX_REPORT, len);
    }
    json_decref(root);
    if (st != VT_OK && out)
        vt_telemetry_report_clear(out);
    return st;
}

/* ---- writing ---- */

static json_t *field_json(const vt_telemetry_field *f)
{
    switch (f->type) {
    case VT_POLICY_INTEGER:
        return json_integer((json_int_t)f->integer);
    case VT_POLICY_STRING:
    case VT_POLICY_VERSION:
    case VT_POLICY_SHA256:
    case VT_POLICY_BYTES:
        return f->text ? json_stringn(f->text, f->text_len) : NULL;
    case VT_POLICY_RULE_COUNTS: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < f->count_count; i++) {
            char key[24];
            snprintf(key, sizeof key, "%" PRIu64, f->counts[i].index);
            if (json_object_set_new(o, key, json_integer((json_int_t)f->counts[i].count)) != 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

vt_status vt_telemetry_report_json(const vt_telemetry_report *r, vt_buf *out, vt_error *err)
{
    json_t *root = json_object(), *fields = json_object();
    int bad = !root || !fields;
    bad = bad || json_object_set_new(root, "policy", json_integer((json_int_t)r->policy)) != 0;
    bad = bad || json_object_set_new(root, "report", json_string(r->report)) != 0;
    bad = bad || json_object_set_new(root, "id", json_string(r->id)) != 0;
    bad = bad || json_object_set_new(root, "day", json_string(r->day)) != 0;
    for (size_t i = 0; !bad && i < r->field_count; i++)
        bad = json_object_set_new(fields, r->fields[i].name, field_json(&r->fields[i])) != 0;
    if (!bad) {
        bad = json_object_set(root, "fields", fields) != 0;
    }
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(fields);
    json_decref(root);
    if (!text)
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "cannot write the report as JSON (a value is missing or not UTF-8, or "
                            "out of memory)");
    vt_status st = vt_buf_append_str(out, text);
    free(text);
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}
