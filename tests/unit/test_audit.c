/* test_audit.c: the rule auditor's C API (vitrine/audit.h): one verdict per rule with stable
 * finding ids, the string and the reason named; JSON and text output; acknowledgments; errors. */
#include <string.h>

#include <jansson.h>

#include <vitrine/audit.h>

#include "check.h"

static const char source[] =
    "rule hunter {\n"
    "  strings:\n"
    "    $a = \"COSMIC TOP SECRET\" wide\n"
    "    $b = /[0-9]{3}-[0-9]{2}-[0-9]{4}/\n"
    "  condition: any of them\n"
    "}\n"
    "rule malware {\n"
    "  strings:\n"
    "    $a = \"secret_key\"\n"
    "    $b = { 6A 40 68 00 30 00 00 }\n"
    "  condition: uint16(0) == 0x5A4D and all of them\n"
    "}\n";

static const vt_audit_finding *find(const vt_audit_rule *r, const char *id)
{
    for (size_t i = 0; i < r->finding_count; i++)
        if (strcmp(r->findings[i].id, id) == 0)
            return &r->findings[i];
    return NULL;
}

static void test_verdicts(void)
{
    vt_audit_report *report = NULL;
    CHECK_INT_EQ(vt_audit_source("t.yar", source, strlen(source), NULL, 0, &report, NULL), VT_OK);
    if (!report)
        return;
    CHECK_INT_EQ(report->rule_count, 2);
    CHECK_INT_EQ(report->flagged_count, 1);
    const vt_audit_rule *h = &report->rules[0], *m = &report->rules[1];
    CHECK_STR_EQ(h->name, "hunter");
    CHECK_STR_EQ(h->ns, "default");
    CHECK_INT_EQ(h->line, 1);
    CHECK(h->flagged);
    const vt_audit_finding *f = find(h, "AUD-MARKING-001");
    CHECK(f && f->severity == VT_AUDIT_FLAG && f->string && strcmp(f->string, "$a") == 0);
    CHECK(f && strstr(f->reason, "NATO marking \"COSMIC TOP SECRET\""));
    f = find(h, "AUD-PII-001");
    CHECK(f && f->string && strcmp(f->string, "$b") == 0);
    f = find(h, "AUD-NOEXEC-001");
    CHECK(f && f->severity == VT_AUDIT_NOTE && !f->string);
    CHECK(h->findings[0].severity == VT_AUDIT_FLAG); /* flags first */
    CHECK(!m->flagged);
    CHECK(find(m, "AUD-NOEXEC-001") == NULL); /* MZ checked */
    CHECK_INT_EQ(m->finding_count, 0);

    /* the same source gives the same ids and reasons */
    vt_audit_report *again = NULL;
    CHECK_INT_EQ(vt_audit_source("t.yar", source, strlen(source), NULL, 0, &again, NULL), VT_OK);
    vt_buf a = {0}, b = {0};
    CHECK_INT_EQ(vt_audit_report_json(report, true, &a, NULL), VT_OK);
    CHECK_INT_EQ(vt_audit_report_json(again, true, &b, NULL), VT_OK);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    json_error_t jerr;
    json_t *j = json_loadb((const char *)a.data, a.len, 0, &jerr);
    CHECK(j != NULL);
    CHECK_INT_EQ(json_integer_value(json_object_get(j, "rules")), 2);
    CHECK_INT_EQ(json_integer_value(json_object_get(j, "flagged")), 1);
    CHECK_INT_EQ(json_array_size(json_object_get(j, "verdicts")), 2);
    json_t *v0 = json_array_get(json_object_get(j, "verdicts"), 0);
    CHECK_STR_EQ(json_string_value(json_object_get(v0, "rule")), "hunter");
    json_decref(j);
    vt_buf_free(&b);
    CHECK_INT_EQ(vt_audit_report_json(report, false, &b, NULL), VT_OK);
    CHECK(strstr((const char *)b.data, "\"malware\"") == NULL); /* only flagged rules */
    vt_buf_free(&a);
    vt_buf_free(&b);
    CHECK_INT_EQ(vt_audit_report_text(report, false, &a, NULL), VT_OK);
    CHECK(strstr((const char *)a.data, "FLAGGED default:hunter AUD-MARKING-001 $a: ") != NULL);
    CHECK(strstr((const char *)a.data, "2 rule(s), 1 flagged\n") != NULL);
    vt_buf_free(&a);
    vt_audit_report_free(again);

    /* acknowledgments: only the named entry hash and finding */
    vt_audit_ack_entry acks[2] = {{.finding = "AUD-MARKING-001", .reason = (char *)"test"},
                                  {.finding = "AUD-PII-001", .reason = (char *)"other"}};
    unsigned char entry[32] = {1}, other[32] = {2};
    memcpy(acks[0].rule_entry, entry, 32);
    memcpy(acks[1].rule_entry, other, 32);
    CHECK_INT_EQ(vt_audit_apply_acks(report, entry, acks, 2), 1);
    CHECK(report->rules[0].flagged); /* AUD-PII-001 is acked for another entry only */
    memcpy(acks[1].rule_entry, entry, 32);
    CHECK_INT_EQ(vt_audit_apply_acks(report, entry, acks, 2), 1);
    CHECK(!report->rules[0].flagged);
    CHECK_INT_EQ(report->flagged_count, 0);
    f = find(&report->rules[0], "AUD-PII-001");
    CHECK(f && f->severity == VT_AUDIT_NOTE && strstr(f->reason, "acknowledged in the log (other)"));
    vt_audit_report_free(report);
}

static void test_errors(void)
{
    vt_audit_report *report = (vt_audit_report *)1;
    vt_error err;
    vt_error_clear(&err);
    CHECK_INT_EQ(vt_audit_source("bad.yar", "rule x { condition: nosuch }", 28, NULL, 0, &report,
                                 &err), VT_ERR_SYNTAX);
    CHECK(report == NULL);
    CHECK_STR_EQ(err.file, "bad.yar");
    /* externals as `vitrine compile -d` takes them */
    const char ext[] = "rule f { strings: $a = \"merger\" condition: filename matches /\\.docx$/ and $a }";
    const char *defines[] = {"filename=x"};
    CHECK_INT_EQ(vt_audit_source("e.yar", ext, strlen(ext), defines, 1, &report, NULL), VT_OK);
    CHECK(report && report->flagged_count == 1 && find(&report->rules[0], "AUD-DOC-002"));
    vt_audit_report_free(report);
    vt_audit_report_free(NULL);
    const char not_entry[] = "vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1.0\n";
    CHECK(vt_audit_rule_entry(not_entry, strlen(not_entry), &report, NULL) != VT_OK);
}

int main(void)
{
    RUN(test_verdicts);
    RUN(test_errors);
    return check_done();
}
