/* test_distrib_entry.c: the log entry formats (docs/entries.md): round trips byte for byte,
 * strict refusals (field order, leading zeros, uppercase hex, non-increasing indexes, control
 * characters, trailing bytes), the 64 KiB limit, and version comparison. */
#include <vitrine/distrib.h>

#include "check.h"

static const char rule_text[] = "vitrine/rule-entry/v1\n"
                                "name eicar.yar\n"
                                "author vitrine team\n"
                                "date 2026-11-22\n"
                                "reason starter set\n"
                                "reference https://www.eicar.org/\n"
                                "\n"
                                "rule x { condition: true }\n";

static void test_rule_round_trip(void)
{
    vt_rule_entry e;
    CHECK_INT_EQ(vt_rule_entry_parse(rule_text, sizeof rule_text - 1, &e, NULL), VT_OK);
    CHECK_STR_EQ(e.name, "eicar.yar");
    CHECK_STR_EQ(e.author, "vitrine team");
    CHECK_INT_EQ(e.reference_count, 1);
    CHECK_STR_EQ(e.source, "rule x { condition: true }\n");
    vt_buf out = {0};
    CHECK_INT_EQ(vt_rule_entry_format(&e, &out, NULL), VT_OK);
    CHECK_INT_EQ(out.len, sizeof rule_text - 1);
    CHECK(memcmp(out.data, rule_text, out.len) == 0);
    CHECK_INT_EQ(vt_entry_kind_of(out.data, out.len), VT_ENTRY_RULE);
    vt_buf_free(&out);
    vt_rule_entry_clear(&e);
}

static void refuse_rule(const char *text)
{
    vt_rule_entry e;
    vt_error err;
    CHECK(vt_rule_entry_parse(text, strlen(text), &e, &err) != VT_OK);
    CHECK(err.message[0] != 0);
}

static void test_rule_refusals(void)
{
    refuse_rule("vitrine/rule-entry/v1\nauthor a\nname x.yar\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\nauthor a\ndate 2026-13-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname ../x\nauthor a\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\nauthor a\tb\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\nauthor a\ndate 2026-01-01\nreason r\n\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\nauthor a\ndate 2026-01-01\nreason r\n");
    refuse_rule("vitrine/rule-entry/v2\nname x.yar\nauthor a\ndate 2026-01-01\nreason r\n\nx\n");
}

/* A piece of a split rule file: "part K" (K >= 2) right after the name; canonical. */
static void test_rule_part(void)
{
    static const char text[] = "vitrine/rule-entry/v1\nname big.yar\npart 3\nauthor a\n"
                               "date 2026-01-01\nreason r\n\nrule y { condition: x }\n";
    vt_rule_entry e;
    CHECK_INT_EQ(vt_rule_entry_parse(text, sizeof text - 1, &e, NULL), VT_OK);
    CHECK_INT_EQ(e.part, 3);
    vt_buf out = {0};
    CHECK_INT_EQ(vt_rule_entry_format(&e, &out, NULL), VT_OK);
    CHECK(out.len == sizeof text - 1 && memcmp(out.data, text, out.len) == 0);
    vt_buf_free(&out);
    vt_rule_entry_clear(&e);
    CHECK_INT_EQ(vt_rule_entry_parse(rule_text, sizeof rule_text - 1, &e, NULL), VT_OK);
    CHECK_INT_EQ(e.part, 1); /* a whole file */
    vt_rule_entry_clear(&e);
    /* part 1 is written by leaving the line out; zeros, leading zeros, order and junk refused */
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\npart 1\nauthor a\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\npart 0\nauthor a\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\npart 02\nauthor a\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\npart 2x\nauthor a\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\nauthor a\npart 2\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
    refuse_rule("vitrine/rule-entry/v1\nname x.yar\npart 5000\nauthor a\ndate 2026-01-01\nreason r\n\nrule x {condition: true}\n");
}

static void test_rule_too_large(void)
{
    size_t n = 70000;
    char *source = malloc(n);
    memset(source, 'a', n);
    vt_rule_entry e = {.name = "big.yar", .author = "a", .date = "2026-01-01", .reason = "r",
                       .source = source, .source_len = n};
    vt_buf out = {0};
    vt_error err;
    CHECK_INT_EQ(vt_rule_entry_format(&e, &out, &err), VT_ERR_LIMIT);
    CHECK(strstr(err.message, "too large") != NULL);
    CHECK_INT_EQ(out.len, 0);
    vt_buf_free(&out);
    free(source);
}

static const char bundle_text[] =
    "vitrine/bundle-entry/v1\n"
    "serial 12\n"
    "min-engine 0.1.0\n"
    "rule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n"
    "rule 10 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n";

static void test_bundle(void)
{
    vt_bundle_entry b;
    CHECK_INT_EQ(vt_bundle_entry_parse(bundle_text, sizeof bundle_text - 1, &b, NULL), VT_OK);
    CHECK_INT_EQ(b.serial, 12);
    CHECK_INT_EQ(b.rule_count, 2);
    CHECK_INT_EQ(b.rules[1].index, 10);
    CHECK_INT_EQ(b.rules[0].sha256[0], 0xac);
    vt_buf out = {0};
    CHECK_INT_EQ(vt_bundle_entry_format(&b, &out, NULL), VT_OK);
    CHECK(out.len == sizeof bundle_text - 1 && memcmp(out.data, bundle_text, out.len) == 0);
    vt_buf_free(&out);
    vt_bundle_entry_clear(&b);
    static const char *const bad[] = {
        "vitrine/bundle-entry/v1\nserial 012\nmin-engine 0.1.0\nrule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n",
        "vitrine/bundle-entry/v1\nserial 0\nmin-engine 0.1.0\nrule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n",
        "vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1\nrule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n",
        "vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1.0\nrule 3 AC360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n",
        "vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1.0\nrule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nrule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n",
        "vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1.0\n",
        "vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1.0\nrule 3 ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(vt_bundle_entry_parse(bad[i], strlen(bad[i]), &b, NULL) != VT_OK);
    }
}

static void test_release(void)
{
    static const char text[] =
        "vitrine/release-entry/v1\n"
        "version 0.2.0\n"
        "source ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n"
        "binary vitrine-linux-amd64 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n"
        "binary vitrine-linux-arm64 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n";
    vt_release_entry r;
    CHECK_INT_EQ(vt_release_entry_parse(text, sizeof text - 1, &r, NULL), VT_OK);
    CHECK_INT_EQ(r.binary_count, 2);
    CHECK_STR_EQ(r.binaries[1].name, "vitrine-linux-arm64");
    vt_buf out = {0};
    CHECK_INT_EQ(vt_release_entry_format(&r, &out, NULL), VT_OK);
    CHECK(out.len == sizeof text - 1 && memcmp(out.data, text, out.len) == 0);
    CHECK_INT_EQ(vt_entry_kind_of(out.data, out.len), VT_ENTRY_RELEASE);
    vt_buf_free(&out);
    vt_release_entry_clear(&r);
}

static void test_audit_ack(void)
{
    static const char text[] =
        "vitrine/audit-ack-entry/v1\n"
        "rule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n"
        "finding AUD-DOC-001\n"
        "reason a test rule for the vendor's own PDF corpus\n";
    vt_audit_ack_entry a;
    CHECK_INT_EQ(vt_audit_ack_entry_parse(text, sizeof text - 1, &a, NULL), VT_OK);
    CHECK_STR_EQ(a.finding, "AUD-DOC-001");
    CHECK_STR_EQ(a.reason, "a test rule for the vendor's own PDF corpus");
    CHECK_INT_EQ(a.rule_entry[0], 0xac);
    CHECK_INT_EQ(a.rule_entry[31], 0xd1);
    vt_buf out = {0};
    CHECK_INT_EQ(vt_audit_ack_entry_format(&a, &out, NULL), VT_OK);
    CHECK(out.len == sizeof text - 1 && memcmp(out.data, text, out.len) == 0);
    CHECK_INT_EQ(vt_entry_kind_of(out.data, out.len), VT_ENTRY_AUDIT_ACK);
    vt_buf_free(&out);
    vt_audit_ack_entry_clear(&a);
    CHECK(a.reason == NULL);

    static const char *const bad[] = {
        /* wrong magic, missing newline, upper-case hex, short hash */
        "vitrine/audit-ack-entry/v2\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\nreason r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\nreason r",
        "vitrine/audit-ack-entry/v1\nrule-entry AC360EE38C8C39284606EC93F0D387F4CB01DBA0937941B5BA109D797A3CF6D1\nfinding AUD-DOC-001\nreason r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee3\nfinding AUD-DOC-001\nreason r\n",
        /* finding ids: lower case, no number, 4 digits, no kind */
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding aud-doc-001\nreason r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC\nreason r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-0001\nreason r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD--001\nreason r\n",
        /* reason: empty, leading space, a control character, missing; fields out of order;
           anything after the reason */
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\nreason \n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\nreason  r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\nreason a\tb\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\n",
        "vitrine/audit-ack-entry/v1\nfinding AUD-DOC-001\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nreason r\n",
        "vitrine/audit-ack-entry/v1\nrule-entry ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\nfinding AUD-DOC-001\nreason r\nextra\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_error err;
        vt_error_clear(&err);
        CHECK(vt_audit_ack_entry_parse(bad[i], strlen(bad[i]), &a, &err) == VT_ERR_FORMAT);
        CHECK(a.reason == NULL);
    }
    /* format refuses what parse would refuse */
    vt_audit_ack_entry f = {.finding = "AUD-DOC-1", .reason = (char *)"r"};
    CHECK(vt_audit_ack_entry_format(&f, &out, NULL) == VT_ERR_ARGUMENT);
    snprintf(f.finding, sizeof f.finding, "AUD-PII-002");
    f.reason = (char *)"two\nlines";
    CHECK(vt_audit_ack_entry_format(&f, &out, NULL) == VT_ERR_ARGUMENT);
    CHECK_INT_EQ(out.len, 0);
    vt_buf_free(&out);
}

static void test_versions(void)
{
    int cmp = 9;
    CHECK_INT_EQ(vt_distrib_version_compare("0.1.0", "0.10.0", &cmp, NULL), VT_OK);
    CHECK_INT_EQ(cmp, -1);
    CHECK_INT_EQ(vt_distrib_version_compare("1.0.0", "0.99.99", &cmp, NULL), VT_OK);
    CHECK_INT_EQ(cmp, 1);
    CHECK(vt_distrib_version_compare("1.0", "1.0.0", &cmp, NULL) != VT_OK);
}

int main(void)
{
    RUN(test_rule_round_trip);
    RUN(test_rule_refusals);
    RUN(test_rule_part);
    RUN(test_rule_too_large);
    RUN(test_bundle);
    RUN(test_release);
    RUN(test_audit_ack);
    RUN(test_versions);
    return check_done();
}
