/* test_telemetry.c: the data channel's pure decisions (include/vitrine/telemetry.h): a report is
 * allowed only with declared, unexpired fields of the right type, no other key at any level, no
 * duplicate key, a valid id and day, rule-counts and bytes within their limits; the JSON writer's
 * output passes the check; a policy comparison finds every widening that needs new consent; which
 * submitted files are documents. */
#include <vitrine/telemetry.h>

#include "check.h"

static const char policy_text[] =
    "vitrine/data-policy-entry/v1\n"
    "serial 1\n"
    "date 2026-12-05\n"
    "collector http://127.0.0.1:8080/v1\n"
    "report sample\n"
    "purpose A file the user chose to submit\n"
    "field content bytes 3 90 2027-12-31 The file itself\n"
    "field file-type string 3 90 2027-12-31 The file's type\n"
    "field sha256 sha256 3 90 2027-12-31 The SHA-256 of the file\n"
    "report scan-summary\n"
    "purpose Count how often each logged rule fires\n"
    "field detections rule-counts 1 365 2027-12-31 How many files each rule matched\n"
    "field engine-version version 1 365 2027-12-31 Which engine version ran the scan\n"
    "field files-scanned integer 1 365 2027-12-31 How many files the scan looked at\n"
    "field old-thing integer 1 365 2026-12-01 Something no longer sent\n";

static vt_data_policy_entry policy;

static void load_policy(void)
{
    vt_error err;
    if (vt_data_policy_entry_parse(policy_text, sizeof policy_text - 1, &policy, &err) != VT_OK) {
        printf("# policy: %s\n", err.message);
        exit(1);
    }
}

#define ENVELOPE(fields)                                                                         \
    "{\"policy\":17,\"report\":\"scan-summary\",\"id\":\"0123456789abcdef0123456789abcdef\","     \
    "\"day\":\"2026-12-05\",\"fields\":" fields "}"

/* Check `json` against the policy at index 17 on 2026-12-05; expect `status` and, if given, a
 * message containing `needle`. */
static void expect(const char *json, vt_status status, const char *needle)
{
    vt_error err;
    vt_error_clear(&err);
    vt_telemetry_report r;
    vt_status st = vt_telemetry_report_check(&policy, 17, json, strlen(json), "2026-12-05", &r,
                                             &err);
    if (st != status || (needle && !strstr(err.message, needle)))
        printf("# %s\n#   -> %d %s\n", json, st, err.message);
    CHECK_INT_EQ(st, status);
    if (needle)
        CHECK(strstr(err.message, needle) != NULL);
    if (st != VT_OK)
        CHECK(r.fields == NULL && r.field_count == 0);
    vt_telemetry_report_clear(&r);
}

static void test_accepts(void)
{
    const char *json = ENVELOPE("{\"engine-version\":\"0.1.0\",\"detections\":{\"4\":2,\"9\":1},"
                                "\"files-scanned\":10000}");
    vt_telemetry_report r;
    vt_error err;
    CHECK_INT_EQ(vt_telemetry_report_check(&policy, 17, json, strlen(json), "2026-12-05", &r, &err),
                 VT_OK);
    CHECK_INT_EQ(r.policy, 17);
    CHECK_STR_EQ(r.report, "scan-summary");
    CHECK_STR_EQ(r.id, "0123456789abcdef0123456789abcdef");
    CHECK_STR_EQ(r.day, "2026-12-05");
    CHECK_INT_EQ(r.field_count, 3);
    CHECK_STR_EQ(r.fields[0].name, "engine-version");
    CHECK_STR_EQ(r.fields[0].text, "0.1.0");
    CHECK_INT_EQ(r.fields[1].type, VT_POLICY_RULE_COUNTS);
    CHECK_INT_EQ(r.fields[1].count_count, 2);
    CHECK_INT_EQ(r.fields[1].counts[1].index, 9);
    CHECK_INT_EQ(r.fields[1].counts[0].count, 2);
    CHECK_INT_EQ(r.fields[2].integer, 10000);
    /* written back, it is the same bytes */
    vt_buf out = {0};
    CHECK_INT_EQ(vt_telemetry_report_json(&r, &out, &err), VT_OK);
    CHECK_STR_EQ((const char *)out.data, json);
    vt_buf_free(&out);
    vt_telemetry_report_clear(&r);
    /* NULL out, a subset of the fields, an empty rule-counts, the next day (clock skew) */
    CHECK_INT_EQ(vt_telemetry_report_check(&policy, 17, json, strlen(json), "2026-12-04", NULL,
                                           NULL),
                 VT_OK);
    expect(ENVELOPE("{}"), VT_OK, NULL);
    expect(ENVELOPE("{\"detections\":{}}"), VT_OK, NULL);
    expect("{\"policy\":17,\"report\":\"sample\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-05\",\"fields\":{\"content\":\"aGk=\",\"file-type\":\"PDF document, "
           "version 1.4\",\"sha256\":"
           "\"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4\"}}",
           VT_OK, NULL);
}

static void test_undeclared_and_expired(void)
{
    expect(ENVELOPE("{\"file-path\":\"/home/a/x\"}"), VT_ERR_VERIFY,
           "field \"file-path\" is not declared for report \"scan-summary\" by policy 17");
    /* a field of another report of the same policy */
    expect(ENVELOPE("{\"sha256\":\"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4\"}"),
           VT_ERR_VERIFY, "field \"sha256\" is not declared");
    expect(ENVELOPE("{\"old-thing\":1}"), VT_ERR_VERIFY, "field \"old-thing\" expired on 2026-12-01");
    expect("{\"policy\":17,\"report\":\"crash\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-05\",\"fields\":{}}",
           VT_ERR_VERIFY, "report \"crash\" is not declared by policy 17");
    expect("{\"policy\":16,\"report\":\"scan-summary\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-05\",\"fields\":{}}",
           VT_ERR_VERIFY, "follows policy 16, not policy 17");
    /* expiry is judged on the report's day and on today: an old day does not revive a field */
    const char *old = "{\"policy\":17,\"report\":\"scan-summary\",\"id\":"
                      "\"0123456789abcdef0123456789abcdef\",\"day\":\"2026-11-30\",\"fields\":"
                      "{\"old-thing\":1}}";
    vt_error err;
    CHECK_INT_EQ(vt_telemetry_report_check(&policy, 17, old, strlen(old), "2026-11-30", NULL, &err),
                 VT_OK);
    CHECK_INT_EQ(vt_telemetry_report_check(&policy, 17, old, strlen(old), "2026-12-02", NULL, &err),
                 VT_ERR_VERIFY);
    CHECK(strstr(err.message, "expired on 2026-12-01") != NULL);
    /* every field expires: the whole policy's fields after 2027-12-31 */
    const char *late = ENVELOPE("{\"files-scanned\":1}");
    CHECK_INT_EQ(vt_telemetry_report_check(&policy, 17, late, strlen(late), "2028-01-01", NULL, &err),
                 VT_ERR_VERIFY);
    CHECK(strstr(err.message, "expired on 2027-12-31") != NULL);
}

static void test_wrong_types(void)
{
    const vt_status V = VT_ERR_VERIFY;
    expect(ENVELOPE("{\"files-scanned\":\"10\"}"), V, "field \"files-scanned\" of report");
    expect(ENVELOPE("{\"files-scanned\":-1}"), V, "integer 0..2^53-1");
    expect(ENVELOPE("{\"files-scanned\":1.0}"), V, "integer");
    expect(ENVELOPE("{\"files-scanned\":9007199254740992}"), V, "integer");
    expect(ENVELOPE("{\"files-scanned\":9007199254740991}"), VT_OK, NULL);
    expect(ENVELOPE("{\"files-scanned\":true}"), V, "integer");
    expect(ENVELOPE("{\"files-scanned\":null}"), V, "integer");
    expect(ENVELOPE("{\"engine-version\":\"0.1\"}"), V, "MAJOR.MINOR.PATCH");
    expect(ENVELOPE("{\"engine-version\":\"0.01.0\"}"), V, "MAJOR.MINOR.PATCH");
    expect(ENVELOPE("{\"engine-version\":\"0.1.0\\u0000\"}"), VT_ERR_SYNTAX, NULL);
    expect(ENVELOPE("{\"engine-version\":1}"), V, "a JSON string");
}

static void test_rule_counts(void)
{
    const vt_status V = VT_ERR_VERIFY;
    expect(ENVELOPE("{\"detections\":{\"04\":1}}"), V, "decimal log indexes");
    expect(ENVELOPE("{\"detections\":{\"x\":1}}"), V, "decimal log indexes");
    expect(ENVELOPE("{\"detections\":{\"-1\":1}}"), V, "decimal log indexes");
    expect(ENVELOPE("{\"detections\":{\"4\":0}}"), V, "integers 1..2^53-1");
    expect(ENVELOPE("{\"detections\":{\"4\":\"1\"}}"), V, "integers 1..2^53-1");
    expect(ENVELOPE("{\"detections\":{\"4\":{\"x\":1}}}"), V, "integers 1..2^53-1");
    expect(ENVELOPE("{\"detections\":[1,2]}"), V, "a JSON object");
    /* 4096 rules fit, 4097 do not */
    vt_buf json = {0};
    vt_buf_append_str(&json, "{\"policy\":17,\"report\":\"scan-summary\",\"id\":"
                             "\"0123456789abcdef0123456789abcdef\",\"day\":\"2026-12-05\","
                             "\"fields\":{\"detections\":{");
    for (int i = 0; i < 4096; i++)
        vt_buf_printf(&json, "%s\"%d\":1", i ? "," : "", i);
    size_t before_end = json.len;
    vt_buf_append_str(&json, "}}}");
    expect((const char *)json.data, VT_OK, NULL);
    json.len = before_end;
    vt_buf_append_str(&json, ",\"4096\":1}}}");
    expect((const char *)json.data, VT_ERR_LIMIT, "more than 4096");
    vt_buf_free(&json);
}

static void test_strings_and_bytes(void)
{
    const vt_status V = VT_ERR_VERIFY;
#define SAMPLE(fields)                                                                           \
    "{\"policy\":17,\"report\":\"sample\",\"id\":\"0123456789abcdef0123456789abcdef\","           \
    "\"day\":\"2026-12-05\",\"fields\":" fields "}"
    expect(SAMPLE("{\"content\":\"aGk\"}"), V, "base64");
    expect(SAMPLE("{\"content\":\"aGl=\"}"), V, "base64"); /* non-zero unused bits */
    expect(SAMPLE("{\"content\":\"a=Gk\"}"), V, "base64");
    expect(SAMPLE("{\"content\":\"aG-_\"}"), V, "base64"); /* url alphabet */
    expect(SAMPLE("{\"content\":\"aGk=\\n\"}"), V, "base64");
    expect(SAMPLE("{\"content\":\"aGVsbG8=\"}"), VT_OK, NULL);
    expect(SAMPLE("{\"content\":\"\"}"), VT_OK, NULL);
    expect(SAMPLE("{\"sha256\":\"8F434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4\"}"),
           V, "64 lowercase hex");
    expect(SAMPLE("{\"sha256\":\"8f43\"}"), V, "64 lowercase hex");
    expect(SAMPLE("{\"file-type\":\"\"}"), V, "1 to 256 bytes");
    expect(SAMPLE("{\"file-type\":\"a\\tb\"}"), V, "control characters");
    expect(SAMPLE("{\"file-type\":\"a\\u0085b\"}"), V, "control characters");
    expect(SAMPLE("{\"file-type\":\"\\u00e9t\\u00e9\"}"), VT_OK, NULL);
    /* 17 MiB of base64-decoded content is over the limit; a 70 KiB sample is fine */
    size_t n = (17u << 20) / 3 * 4;
    vt_buf json = {0};
    vt_buf_append_str(&json, "{\"policy\":17,\"report\":\"sample\",\"id\":"
                             "\"0123456789abcdef0123456789abcdef\",\"day\":\"2026-12-05\","
                             "\"fields\":{\"content\":\"");
    size_t head = json.len;
    vt_buf_reserve(&json, n + 8);
    memset(json.data + head, 'A', n);
    json.len = head + n;
    vt_buf_append_str(&json, "\"}}");
    expect((const char *)json.data, VT_ERR_LIMIT, "more than 16777216");
    json.len = head + 70000 / 3 * 4;
    vt_buf_append_str(&json, "\"}}");
    expect((const char *)json.data, VT_OK, NULL);
    vt_buf_free(&json);
    /* a report type without a bytes field is at most 64 KiB */
    json = (vt_buf){0};
    vt_buf_append_str(&json, ENVELOPE("{\"files-scanned\":1}"));
    json.len--; /* the closing brace */
    while (json.len < 70000)
        vt_buf_append_byte(&json, ' ');
    vt_buf_append_str(&json, "}");
    expect((const char *)json.data, VT_ERR_LIMIT, "at most 65536 bytes");
    vt_buf_free(&json);
#undef SAMPLE
}

static void test_envelope(void)
{
    const vt_status S = VT_ERR_SYNTAX;
    expect("", S, "not a JSON report");
    expect("[]", S, "a JSON object");
    expect("{\"policy\":17", S, "not a JSON report");
    expect(ENVELOPE("{}") " ", VT_OK, NULL);
    expect(ENVELOPE("{}") "x", S, "not a JSON report");
    /* extra keys at every level */
    expect("{\"policy\":17,\"report\":\"scan-summary\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-05\",\"fields\":{},\"machine\":\"abc\"}",
           S, "key \"machine\" is not part of a report");
    expect(ENVELOPE("{\"files-scanned\":1,\"user\":\"x\"}"), VT_ERR_VERIFY, "\"user\" is not declared");
    /* duplicate keys anywhere */
    expect("{\"policy\":17,\"policy\":17,\"report\":\"scan-summary\",\"id\":"
           "\"0123456789abcdef0123456789abcdef\",\"day\":\"2026-12-05\",\"fields\":{}}",
           S, "duplicate");
    expect(ENVELOPE("{\"files-scanned\":1,\"files-scanned\":2}"), S, "duplicate");
    expect(ENVELOPE("{\"detections\":{\"4\":1,\"4\":2}}"), S, "duplicate");
    /* missing keys, wrong shapes */
    expect("{\"policy\":17,\"report\":\"scan-summary\",\"day\":\"2026-12-05\",\"fields\":{}}", S,
           "has the keys");
    expect("{\"policy\":\"17\",\"report\":\"scan-summary\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-05\",\"fields\":{}}",
           S, "log index");
    expect("{\"policy\":17,\"report\":\"scan-summary\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-05\",\"fields\":[]}",
           S, "an object");
    /* bad id and day */
    static const char *const ids[] = {"0123456789ABCDEF0123456789abcdef", "0123456789abcdef",
                                      "0123456789abcdef0123456789abcdef0", "g123456789abcdef0123456789abcdef"};
    for (size_t i = 0; i < 4; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"policy\":17,\"report\":\"scan-summary\",\"id\":\"%s\",\"day\":\"2026-12-05\","
                 "\"fields\":{}}",
                 ids[i]);
        expect(json, S, "32 lowercase hex");
    }
    static const char *const days[] = {"2026-12-5", "2026-02-30", "2026-13-01", "2026-12-05T10:00",
                                       "20261205"};
    for (size_t i = 0; i < 5; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"policy\":17,\"report\":\"scan-summary\",\"id\":"
                 "\"0123456789abcdef0123456789abcdef\",\"day\":\"%s\",\"fields\":{}}",
                 days[i]);
        expect(json, S, "calendar day");
    }
    expect("{\"policy\":17,\"report\":\"scan-summary\",\"id\":\"0123456789abcdef0123456789abcdef\","
           "\"day\":\"2026-12-07\",\"fields\":{}}",
           VT_ERR_VERIFY, "in the future");
    vt_error err;
    CHECK_INT_EQ(vt_telemetry_report_check(&policy, 17, "{}", 2, "2026-12-32", NULL, &err),
                 VT_ERR_ARGUMENT);
}

static vt_data_policy_entry parse(const char *text)
{
    vt_data_policy_entry p;
    vt_error err;
    if (vt_data_policy_entry_parse(text, strlen(text), &p, &err) != VT_OK)
        printf("# %s\n", err.message);
    return p;
}

static void test_compare(void)
{
    /* same policy: no change */
    vt_policy_change c;
    CHECK_INT_EQ(vt_data_policy_compare(&policy, &policy, &c, NULL), VT_OK);
    CHECK_INT_EQ(c.count, 0);
    CHECK_INT_EQ(c.needs_consent, 0);
    vt_policy_change_clear(&c);

    vt_data_policy_entry narrow = parse(
        "vitrine/data-policy-entry/v1\nserial 2\ndate 2026-12-06\ncollector http://127.0.0.1:8080/v1\n"
        "report scan-summary\npurpose Count how often each logged rule fires\n"
        "field detections rule-counts 1 30 2027-06-30 How many files each rule matched\n");
    CHECK_INT_EQ(vt_data_policy_compare(&policy, &narrow, &c, NULL), VT_OK);
    CHECK_INT_EQ(c.needs_consent, 0); /* shorter retention, earlier expiry, fewer fields */
    int removed = 0, shortened = 0;
    for (size_t i = 0; i < c.count; i++) {
        removed += c.items[i].kind == VT_POLICY_FIELD_REMOVED;
        shortened += c.items[i].kind == VT_POLICY_RETENTION_SHORTENED ||
                     c.items[i].kind == VT_POLICY_EXPIRY_SHORTENED;
    }
    CHECK_INT_EQ(removed, 6);
    CHECK_INT_EQ(shortened, 2);
    vt_policy_change_clear(&c);

    /* the other way: widening */
    CHECK_INT_EQ(vt_data_policy_compare(&narrow, &policy, &c, NULL), VT_OK);
    CHECK_INT_EQ(c.needs_consent, 1);
    int added = 0;
    for (size_t i = 0; i < c.count; i++)
        if (c.items[i].kind == VT_POLICY_FIELD_ADDED) {
            added++;
            CHECK(c.items[i].report && c.items[i].field);
        }
    CHECK_INT_EQ(added, 6);
    vt_policy_change_clear(&c);

    vt_data_policy_entry wide = parse(
        "vitrine/data-policy-entry/v1\nserial 3\ndate 2026-12-07\ncollector https://other.example/v1\n"
        "relay https://relay.example\n"
        "report scan-summary\npurpose Count how often each logged rule fires\n"
        "field detections rule-counts 2 60 2027-06-30 How many files each rule matched\n");
    CHECK_INT_EQ(vt_data_policy_compare(&narrow, &wide, &c, NULL), VT_OK);
    CHECK_INT_EQ(c.needs_consent, 1);
    CHECK_INT_EQ(c.count, 4);
    CHECK_INT_EQ(c.items[0].kind, VT_POLICY_COLLECTOR_CHANGED);
    CHECK_STR_EQ(c.items[0].new_text, "https://other.example/v1");
    CHECK_INT_EQ(c.items[1].kind, VT_POLICY_RELAY_CHANGED);
    CHECK(c.items[1].old_text == NULL);
    CHECK_INT_EQ(c.items[2].kind, VT_POLICY_CATEGORY_RAISED);
    CHECK_INT_EQ(c.items[2].old_value, 1);
    CHECK_INT_EQ(c.items[2].new_value, 2);
    CHECK_INT_EQ(c.items[3].kind, VT_POLICY_RETENTION_LENGTHENED);
    CHECK_INT_EQ(c.items[3].new_value, 60);
    CHECK_STR_EQ(vt_policy_change_kind_name(c.items[3].kind), "retention lengthened");
    vt_policy_change_clear(&c);

    /* a changed purpose or a retyped field needs consent too */
    vt_data_policy_entry repurposed = parse(
        "vitrine/data-policy-entry/v1\nserial 4\ndate 2026-12-08\ncollector http://127.0.0.1:8080/v1\n"
        "report scan-summary\npurpose Count how often each logged rule fires\n"
        "field detections rule-counts 1 30 2027-06-30 To profile you\n");
    CHECK_INT_EQ(vt_data_policy_compare(&narrow, &repurposed, &c, NULL), VT_OK);
    CHECK_INT_EQ(c.count, 1);
    CHECK_INT_EQ(c.items[0].kind, VT_POLICY_PURPOSE_CHANGED);
    CHECK_INT_EQ(c.needs_consent, 1);
    vt_policy_change_clear(&c);
    vt_data_policy_entry_clear(&narrow);
    vt_data_policy_entry_clear(&wide);
    vt_data_policy_entry_clear(&repurposed);
}

static void test_document_kind(void)
{
    static const unsigned char ole2[] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0};
    static const char odf[] = "PK\x03\x04" "01234567890123456789012345"
                              "mimetypeapplication/vnd.oasis.opendocument.text";
    static const char ooxml[] = "PK\x03\x04 ... [Content_Types].xml ...";
    static const char elf[] = "\x7f" "ELF\x02\x01\x01";
    /* by the bytes, whatever libmagic said */
    CHECK_STR_EQ(vt_telemetry_document_kind(NULL, "%PDF-1.4\n", 9), "PDF");
    CHECK_STR_EQ(vt_telemetry_document_kind("application/octet-stream", "junk\n%PDF-1.7", 14),
                 "PDF");
    CHECK_STR_EQ(vt_telemetry_document_kind(NULL, ole2, sizeof ole2), "OLE2");
    CHECK_STR_EQ(vt_telemetry_document_kind("application/zip", odf, sizeof odf - 1), "ODF");
    CHECK_STR_EQ(vt_telemetry_document_kind("application/zip", ooxml, sizeof ooxml - 1), "OOXML");
    CHECK_STR_EQ(vt_telemetry_document_kind(NULL, "{\\rtf1 hello}", 13), "RTF");
    /* by the MIME type */
    CHECK_STR_EQ(vt_telemetry_document_kind("text/plain", "hello", 5), "plain text");
    CHECK_STR_EQ(vt_telemetry_document_kind("text/x-shellscript", "#!/bin/sh", 9), "plain text");
    CHECK_STR_EQ(vt_telemetry_document_kind("application/msword", "x", 1), "OLE2");
    CHECK_STR_EQ(vt_telemetry_document_kind(
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "x",
                     1),
                 "OOXML");
    /* not documents */
    CHECK(vt_telemetry_document_kind("application/x-executable", elf, sizeof elf - 1) == NULL);
    CHECK(vt_telemetry_document_kind("application/zip", "PK\x03\x04plain zip", 13) == NULL);
    CHECK(vt_telemetry_document_kind(NULL, "", 0) == NULL);
}

int main(void)
{
    load_policy();
    RUN(test_accepts);
    RUN(test_undeclared_and_expired);
    RUN(test_wrong_types);
    RUN(test_rule_counts);
    RUN(test_strings_and_bytes);
    RUN(test_envelope);
    RUN(test_compare);
    RUN(test_document_kind);
    vt_data_policy_entry_clear(&policy);
    return check_done();
}
