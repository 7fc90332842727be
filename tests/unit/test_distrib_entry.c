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
    RUN(test_versions);
    return check_done();
}
