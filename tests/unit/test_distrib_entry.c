/* test_distrib_entry.c: the log entry formats (docs/entries.md): round trips byte for byte,
 * strict refusals (field order, leading zeros, uppercase hex, non-increasing indexes, control
 * characters, trailing bytes), the 64 KiB limit, version comparison, and the data-policy entry
 * (every refusal names its line; collector URL rules). */
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
    /* the names' rule is the page entry's (one parser for both): increasing, valid, bounded */
    vt_release_binary swapped = r.binaries[0];
    r.binaries[0] = r.binaries[1];
    r.binaries[1] = swapped;
    CHECK_INT_EQ(vt_release_entry_format(&r, &out, NULL), VT_ERR_ARGUMENT);
    vt_buf_free(&out);
    vt_release_entry_clear(&r);
    static const char *const refused[] = {
        "vitrine/release-entry/v1\nversion 0.2.0\n"
        "source ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n"
        "binary b 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n"
        "binary a 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n",
        "vitrine/release-entry/v1\nversion 0.2.0\n"
        "source ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n"
        "binary .a 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n",
        "vitrine/release-entry/v1\nversion 0.2.0\n"
        "source ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n"
        "file a 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        vt_error err;
        vt_error_clear(&err);
        CHECK_INT_EQ(vt_release_entry_parse(refused[i], strlen(refused[i]), &r, &err),
                     VT_ERR_FORMAT);
        CHECK(err.line == (i == 0 ? 5u : 4u) && r.binaries == NULL);
    }
    vt_buf many = {0};
    vt_buf_append_str(&many, "vitrine/release-entry/v1\nversion 0.2.0\nsource "
                             "ac360ee38c8c39284606ec93f0d387f4cb01dba0937941b5ba109d797a3cf6d1\n");
    for (unsigned i = 0; i <= VT_DISTRIB_MAX_BINARIES; i++)
        vt_buf_printf(&many, "binary b%03u 84f86b8203ad0dbe090c8cf4ee503f3edc7d91795b9a8c08930aab457a78be3b\n", i);
    CHECK_INT_EQ(vt_release_entry_parse(many.data, many.len, &r, NULL), VT_ERR_LIMIT);
    CHECK(r.binaries == NULL);
    vt_buf_free(&many);
}

static const char policy_text[] =
    "vitrine/data-policy-entry/v1\n"
    "serial 1\n"
    "date 2026-12-05\n"
    "collector https://telemetry.example.org/v1\n"
    "relay https://relay.example.net/v1\n"
    "report sample\n"
    "purpose A file the user chose to submit after a detection\n"
    "field content bytes 3 90 2027-12-31 The file itself\n"
    "field sha256 sha256 3 90 2027-12-31 The SHA-256 of the file\n"
    "report scan-summary\n"
    "purpose Count how often each logged rule fires\n"
    "field detections rule-counts 1 365 2027-12-31 How many files each rule matched\n"
    "field engine-version version 1 365 2027-12-31 Which engine version ran the scan\n"
    "field files-scanned integer 1 365 2027-12-31 How many files the scan looked at\n";

static void test_data_policy_round_trip(void)
{
    vt_data_policy_entry p;
    vt_error err;
    CHECK_INT_EQ(vt_data_policy_entry_parse(policy_text, sizeof policy_text - 1, &p, &err), VT_OK);
    CHECK_INT_EQ(p.serial, 1);
    CHECK_STR_EQ(p.date, "2026-12-05");
    CHECK_STR_EQ(p.collector, "https://telemetry.example.org/v1");
    CHECK_STR_EQ(p.relay, "https://relay.example.net/v1");
    CHECK_INT_EQ(p.report_count, 2);
    CHECK_STR_EQ(p.reports[1].name, "scan-summary");
    CHECK_INT_EQ(p.reports[1].field_count, 3);
    CHECK_INT_EQ(p.reports[1].fields[0].type, VT_POLICY_RULE_COUNTS);
    CHECK_INT_EQ(p.reports[0].fields[0].type, VT_POLICY_BYTES);
    CHECK_INT_EQ(p.reports[0].fields[0].category, 3);
    CHECK_INT_EQ(p.reports[0].fields[0].retention_days, 90);
    CHECK_STR_EQ(p.reports[0].fields[0].expires, "2027-12-31");
    CHECK_STR_EQ(p.reports[0].fields[1].purpose, "The SHA-256 of the file");
    const vt_policy_report *r = vt_data_policy_report(&p, "scan-summary");
    CHECK(r == &p.reports[1]);
    CHECK(vt_data_policy_report(&p, "scan") == NULL);
    CHECK(vt_policy_report_field(r, "files-scanned") == &r->fields[2]);
    CHECK(vt_policy_report_field(r, "content") == NULL);
    vt_buf out = {0};
    CHECK_INT_EQ(vt_data_policy_entry_format(&p, &out, NULL), VT_OK);
    CHECK(out.len == sizeof policy_text - 1 && memcmp(out.data, policy_text, out.len) == 0);
    CHECK_INT_EQ(vt_entry_kind_of(out.data, out.len), VT_ENTRY_DATA_POLICY);
    /* without a relay */
    free(p.relay);
    p.relay = NULL;
    out.len = 0;
    CHECK_INT_EQ(vt_data_policy_entry_format(&p, &out, NULL), VT_OK);
    vt_data_policy_entry q;
    CHECK_INT_EQ(vt_data_policy_entry_parse(out.data, out.len, &q, NULL), VT_OK);
    CHECK(q.relay == NULL);
    vt_data_policy_entry_clear(&q);
    /* the formatter refuses what the parser would */
    p.reports[1].fields[2].category = 5;
    out.len = 0;
    CHECK_INT_EQ(vt_data_policy_entry_format(&p, &out, &err), VT_ERR_ARGUMENT);
    p.reports[1].fields[2].category = 1;
    p.reports[1].fields[2].type = (vt_policy_type)99;
    CHECK_INT_EQ(vt_data_policy_entry_format(&p, &out, &err), VT_ERR_ARGUMENT);
    p.reports[1].fields[2].type = VT_POLICY_INTEGER;
    char *collector = p.collector;
    p.collector = "http://example.org/v1";
    CHECK_INT_EQ(vt_data_policy_entry_format(&p, &out, &err), VT_ERR_ARGUMENT);
    p.collector = collector;
    vt_buf_free(&out);
    vt_data_policy_entry_clear(&p);
}

/* Replace the first occurrence of `from` in policy_text by `to`, and expect the parse to fail
 * with `status` on line `line`. */
static void refuse_policy(const char *from, const char *to, vt_status status, unsigned line)
{
    const char *at = strstr(policy_text, from);
    CHECK(at != NULL);
    if (!at)
        return;
    vt_buf text = {0};
    vt_buf_append(&text, policy_text, (size_t)(at - policy_text));
    vt_buf_append_str(&text, to);
    vt_buf_append_str(&text, at + strlen(from));
    vt_data_policy_entry p;
    vt_error err;
    vt_status st = vt_data_policy_entry_parse(text.data, text.len, &p, &err);
    if (st != status || err.line != line)
        printf("# refused %s -> %s: status %d line %u: %s\n", from, to, st, err.line, err.message);
    CHECK_INT_EQ(st, status);
    CHECK_INT_EQ(err.line, line);
    CHECK(strstr(err.file, "data-policy entry") != NULL);
    CHECK(p.reports == NULL && p.collector == NULL);
    vt_buf_free(&text);
}

static void test_data_policy_refusals(void)
{
    const vt_status F = VT_ERR_FORMAT;
    refuse_policy("v1\nserial", "v2\nserial", F, 1);
    refuse_policy("serial 1", "serial 0", F, 2);
    refuse_policy("serial 1", "serial 01", F, 2);
    refuse_policy("serial 1\ndate 2026-12-05\n", "date 2026-12-05\nserial 1\n", F, 2);
    refuse_policy("date 2026-12-05", "date 2026-12-5", F, 3);
    refuse_policy("date 2026-12-05", "date 2026-13-05", F, 3);
    refuse_policy("collector https://telemetry", "collector ftp://telemetry", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1",
                  "collector http://telemetry.example.org/v1", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1",
                  "collector http://127.0.0.1@evil.example/v1", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1",
                  "collector https://telemetry.example.org/v1/", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1",
                  "collector https://telemetry.example.org/v1?x=1", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1",
                  "collector https://Telemetry.example.org/v1", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1",
                  "collector https://telemetry.example.org:0/v1", F, 4);
    refuse_policy("collector https://telemetry.example.org/v1\n", "", F, 4);
    refuse_policy("relay https://relay.example.net/v1", "relay http://relay.example.net/v1", F, 5);
    refuse_policy("report sample\n", "", F, 6);              /* purpose without report */
    refuse_policy("report sample", "report Sample", F, 6);   /* uppercase */
    refuse_policy("report sample", "report 1sample", F, 6);  /* starts with a digit */
    refuse_policy("report sample", "report zz", F, 10);      /* order: zz > scan-summary */
    refuse_policy("report scan-summary", "report sample", F, 10); /* duplicate */
    refuse_policy("purpose A file", "purpose  A file", F, 7);
    refuse_policy("purpose A file the user chose to submit after a detection\n", "", F, 7);
    refuse_policy("field content bytes", "field content blob", F, 8);
    refuse_policy("field content bytes 3", "field content bytes 5", F, 8);
    refuse_policy("field content bytes 3", "field content bytes 0", F, 8);
    refuse_policy("bytes 3 90", "bytes 3 0", F, 8);
    refuse_policy("bytes 3 90", "bytes 3 3651", F, 8);
    refuse_policy("bytes 3 90", "bytes 3 090", F, 8);
    refuse_policy("bytes 3 90 2027-12-31", "bytes 3 90 2027-12-32", F, 8);
    refuse_policy("bytes 3 90 2027-12-31 The file itself", "bytes 3 90 2027-12-31", F, 8);
    refuse_policy("bytes 3 90 2027-12-31 The file itself", "bytes 3 90 2027-12-31  The", F, 8);
    refuse_policy("bytes 3 90 2027-12-31 The file itself", "bytes 3 90 2027-12-31 The\tfile", F,
                  8);
    refuse_policy("field content bytes", "field content  bytes", F, 8);
    refuse_policy("field content bytes", "field Content bytes", F, 8);
    refuse_policy("field content bytes", "field tontent bytes", F, 9); /* order */
    refuse_policy("field content bytes", "field sha256 bytes", F, 9);  /* duplicate */
    refuse_policy("field content bytes 3 90 2027-12-31 The file itself\n"
                  "field sha256 sha256 3 90 2027-12-31 The SHA-256 of the file\n",
                  "", F, 8); /* a report without fields */
    refuse_policy("field files-scanned integer 1 365 2027-12-31 How many files the scan looked at\n",
                  "field files-scanned integer 1 365 2027-12-31 How many files the scan looked at",
                  F, 14); /* no final newline */
    refuse_policy("field files-scanned", "extra 1\nfield files-scanned", F, 14);
    /* limits: 65 reports, 65 fields, 64 KiB */
    vt_buf text = {0};
    vt_buf_append_str(&text, "vitrine/data-policy-entry/v1\nserial 1\ndate 2026-12-05\n"
                             "collector http://127.0.0.1:8080\n");
    for (int r = 0; r < 65; r++)
        vt_buf_printf(&text, "report r%02d\npurpose p\nfield f integer 1 1 2027-01-01 x\n", r);
    vt_data_policy_entry p;
    vt_error err;
    CHECK_INT_EQ(vt_data_policy_entry_parse(text.data, text.len, &p, &err), VT_ERR_LIMIT);
    CHECK_INT_EQ(err.line, 4 + 64 * 3 + 1);
    text.len = 0;
    vt_buf_append_str(&text, "vitrine/data-policy-entry/v1\nserial 1\ndate 2026-12-05\n"
                             "collector http://localhost\nreport r\npurpose p\n");
    for (int f = 0; f < 64; f++)
        vt_buf_printf(&text, "field f%02d integer 1 1 2027-01-01 x\n", f);
    CHECK_INT_EQ(vt_data_policy_entry_parse(text.data, text.len, &p, &err), VT_OK);
    vt_data_policy_entry_clear(&p);
    vt_buf_append_str(&text, "field f99 integer 1 1 2027-01-01 x\n");
    CHECK_INT_EQ(vt_data_policy_entry_parse(text.data, text.len, &p, &err), VT_ERR_LIMIT);
    text.len = 0;
    vt_buf_append_str(&text, policy_text);
    while (text.len <= VT_DISTRIB_MAX_ENTRY)
        vt_buf_append_str(&text, "field zz integer 1 1 2027-01-01 x\n");
    CHECK_INT_EQ(vt_data_policy_entry_parse(text.data, text.len, &p, &err), VT_ERR_LIMIT);
    vt_buf_free(&text);
}

static void test_policy_urls(void)
{
    static const char *const good[] = {"https://a.example", "https://a.example:443/x/y",
                                       "http://127.0.0.1:8080", "http://localhost/v1",
                                       "https://x/a-b_c.d~e"};
    static const char *const bad[] = {"https://", "http://example.org", "http://127.0.0.2",
                                      "http://localhost.example.org", "https://a:65536",
                                      "https://a/", "https://a/b c", "https://a#f",
                                      "https://user@a", "https://[::1]", "https://.a",
                                      "https://a:08", "HTTPS://a", "https://a/%2e"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(vt_policy_url_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (vt_policy_url_valid(bad[i], strlen(bad[i])))
            printf("# accepted %s\n", bad[i]);
        CHECK(!vt_policy_url_valid(bad[i], strlen(bad[i])));
    }
    CHECK_STR_EQ(vt_policy_type_name(VT_POLICY_RULE_COUNTS), "rule-counts");
    CHECK(vt_policy_type_name((vt_policy_type)0) == NULL);
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

static void test_page(void)
{
    static const char text[] =
        "vitrine/page-entry/v1\n"
        "file center.css 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n"
        "file center.js f022650f841841b3d02154547d7cd7d39da74b92904fc2fa98efa7a73dbd2e5d\n"
        "file index.html 5f95af930a9a8032e1edbd84a0f380f490dcc566fc2f780a5685b2ee766e4ae0\n";
    vt_page_entry p;
    CHECK_INT_EQ(vt_page_entry_parse(text, sizeof text - 1, &p, NULL), VT_OK);
    CHECK_INT_EQ(p.file_count, 3);
    CHECK_STR_EQ(p.files[2].name, "index.html");
    CHECK_INT_EQ(p.files[0].sha256[0], 0x62);
    vt_buf out = {0};
    CHECK_INT_EQ(vt_page_entry_format(&p, &out, NULL), VT_OK);
    CHECK(out.len == sizeof text - 1 && memcmp(out.data, text, out.len) == 0);
    CHECK_INT_EQ(vt_entry_kind_of(out.data, out.len), VT_ENTRY_PAGE);
    vt_buf_free(&out);
    /* Formatting refuses what parsing would refuse: names out of order, none at all. */
    vt_page_file swapped = p.files[0];
    p.files[0] = p.files[1];
    p.files[1] = swapped;
    CHECK_INT_EQ(vt_page_entry_format(&p, &out, NULL), VT_ERR_ARGUMENT);
    vt_buf_free(&out);
    vt_page_entry empty = {0};
    CHECK_INT_EQ(vt_page_entry_format(&empty, &out, NULL), VT_ERR_ARGUMENT);
    vt_buf_free(&out);
    vt_page_entry_clear(&p);

    static const char *const refused[] = {
        "vitrine/page-entry/v1\n", /* no file */
        "vitrine/page-entry/v2\nfile a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n",
        "vitrine/page-entry/v1\nfile b 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n"
        "file a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n", /* order */
        "vitrine/page-entry/v1\nfile a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n"
        "file a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n", /* twice */
        "vitrine/page-entry/v1\nfile a 62D755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n",
        "vitrine/page-entry/v1\nfile .a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n",
        "vitrine/page-entry/v1\nfile a/b 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n",
        "vitrine/page-entry/v1\nfile a  62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n",
        "vitrine/page-entry/v1\nfile a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b",
        "vitrine/page-entry/v1\nfile a 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n\n",
    };
    vt_error err;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        vt_error_clear(&err);
        CHECK(vt_page_entry_parse(refused[i], strlen(refused[i]), &p, &err) != VT_OK);
        CHECK(err.message[0] != '\0');
        CHECK(p.files == NULL);
    }
    /* At most VT_DISTRIB_MAX_PAGE_FILES files. */
    vt_buf many = {0};
    vt_buf_append_str(&many, "vitrine/page-entry/v1\n");
    for (unsigned i = 0; i <= VT_DISTRIB_MAX_PAGE_FILES; i++)
        vt_buf_printf(&many, "file f%03u 62d755b72614d8974b643934594a503bbc60b9d5eb9187907c9acdf822c7158b\n", i);
    CHECK_INT_EQ(vt_page_entry_parse(many.data, many.len, &p, NULL), VT_ERR_LIMIT);
    vt_buf_free(&many);
}

/* The one decimal and calendar-day rule of the entries, the reports and the client state. */
static void test_decimal_and_days(void)
{
    uint64_t v = 7;
    CHECK(vt_distrib_parse_decimal("0", 1, &v) && v == 0);
    CHECK(vt_distrib_parse_decimal("999999999999999999", 18, &v) && v == 999999999999999999u);
    CHECK(!vt_distrib_parse_decimal("1000000000000000000", 19, &v));
    CHECK(!vt_distrib_parse_decimal("01", 2, &v));
    CHECK(!vt_distrib_parse_decimal("", 0, &v));
    CHECK(!vt_distrib_parse_decimal("1a", 2, &v));
    CHECK(!vt_distrib_parse_decimal("+1", 2, &v));
    int64_t d = 9;
    CHECK(vt_distrib_day_number("1970-01-01", 10, &d) && d == 0);
    CHECK(vt_distrib_day_number("2000-03-01", 10, &d) && d == 11017);
    CHECK(vt_distrib_day_number("2028-02-29", 10, &d));
    CHECK(vt_distrib_day_number("2000-02-29", 10, &d));
    CHECK(!vt_distrib_day_number("2026-02-29", 10, &d));
    CHECK(!vt_distrib_day_number("2100-02-29", 10, &d));
    CHECK(!vt_distrib_day_number("2026-02-31", 10, &d));
    CHECK(!vt_distrib_day_number("2026-04-31", 10, &d));
    CHECK(!vt_distrib_day_number("1969-12-31", 10, &d));
    CHECK(!vt_distrib_day_number("2026-13-01", 10, &d));
    CHECK(!vt_distrib_day_number("2026-1-011", 10, &d));
    CHECK(!vt_distrib_day_number("2026-01-01", 9, &d));
    /* a rule entry dated on a day that does not exist is refused */
    static const char text[] = "vitrine/rule-entry/v1\nname a.yar\nauthor x\ndate 2026-02-30\n"
                               "reason r\n\nrule a { condition: true }\n";
    vt_rule_entry e;
    vt_error err;
    CHECK_INT_EQ(vt_rule_entry_parse(text, sizeof text - 1, &e, &err), VT_ERR_FORMAT);
    CHECK_INT_EQ(err.line, 4);
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
    RUN(test_page);
    RUN(test_audit_ack);
    RUN(test_versions);
    RUN(test_decimal_and_days);
    RUN(test_data_policy_round_trip);
    RUN(test_data_policy_refusals);
    RUN(test_policy_urls);
    return check_done();
}
