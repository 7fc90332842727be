/* test_match.c: the string verifier and the multi-string matcher on cases with known answers:
 * yara's base64 encodings, xor keys, fullword, wide, saving and loading a matcher (and refusing
 * damaged copies), several threads sharing one matcher, linear time on hostile input, and
 * generated strings and data where the matcher must find what each verifier finds alone. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdio.h>

#include <vitrine/match.h>
#include <vitrine/rules.h>
#include <vitrine/scan.h>

#include "../check.h"

typedef struct found {
    vt_match m[64];
    size_t n;
} found;

static int collect(void *ctx, const vt_match *m)
{
    found *f = ctx;
    if (f->n < 64)
        f->m[f->n++] = *m;
    return 0;
}

static bool same_matches(const found *a, const found *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->m[i].string_id != b->m[i].string_id || a->m[i].offset != b->m[i].offset ||
            a->m[i].length != b->m[i].length || a->m[i].xor_key != b->m[i].xor_key)
            return false;
    return true;
}

static vt_string_spec text(const char *s, unsigned mods)
{
    return (vt_string_spec){.kind = VT_STRING_TEXT, .data = (const uint8_t *)s, .len = strlen(s),
                            .modifiers = mods};
}

static found scan_one(const vt_string_spec *spec, const void *data, size_t len)
{
    found f = {.n = 0};
    vt_string_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_string_matcher_new(spec, 3, &m, &err), VT_OK);
    vt_match_scratch *s = vt_match_scratch_new();
    if (m && s)
        CHECK_INT_EQ(vt_string_matcher_scan(m, s, data, len, collect, &f, &err), VT_OK);
    vt_match_scratch_free(s);
    vt_string_matcher_free(m);
    return f;
}

static void test_base64_uses_yaras_three_encodings(void)
{
    /* The encodings yara's documentation lists for "This program cannot". */
    const char *encoded[] = {"VGhpcyBwcm9ncmFtIGNhbm5vd", "RoaXMgcHJvZ3JhbSBjYW5ub3",
                             "UaGlzIHByb2dyYW0gY2Fubm90"};
    vt_string_spec spec = text("This program cannot", VT_MOD_BASE64);
    for (int i = 0; i < 3; i++) {
        char data[64];
        snprintf(data, sizeof data, "..%s..", encoded[i]);
        found f = scan_one(&spec, data, strlen(data));
        CHECK_INT_EQ(f.n, 1);
        CHECK_INT_EQ(f.m[0].offset, 2);
        CHECK_INT_EQ(f.m[0].length, strlen(encoded[i]));
    }
}

static void test_xor_reports_the_key(void)
{
    uint8_t data[16] = "..";
    const char *plain = "secret";
    for (int i = 0; i < 6; i++)
        data[2 + i] = (uint8_t)(plain[i] ^ 0x2A);
    vt_string_spec spec = text("secret", VT_MOD_XOR);
    spec.xor_min = 0;
    spec.xor_max = 255;
    found f = scan_one(&spec, data, 8);
    CHECK_INT_EQ(f.n, 1);
    CHECK_INT_EQ(f.m[0].offset, 2);
    CHECK_INT_EQ(f.m[0].xor_key, 0x2A);
    spec.xor_max = 0x29; /* key outside the range */
    f = scan_one(&spec, data, 8);
    CHECK_INT_EQ(f.n, 0);
}

static void test_fullword_and_wide(void)
{
    vt_string_spec spec = text("cat", VT_MOD_FULLWORD);
    const char *data = "cat concat cat_ (cat)";
    found f = scan_one(&spec, data, strlen(data));
    /* "cat" at 0, "cat_" counts (yara's fullword ignores '_'), "(cat)" */
    CHECK_INT_EQ(f.n, 3);
    CHECK_INT_EQ(f.m[0].offset, 0);
    CHECK_INT_EQ(f.m[1].offset, 11);
    CHECK_INT_EQ(f.m[2].offset, 17);
    const uint8_t wide[] = {'x', 0, 'c', 0, 'a', 0, 't', 0, ' ', 0, 'c', 0, 'a', 0, 't', 0};
    spec = text("cat", VT_MOD_WIDE | VT_MOD_FULLWORD);
    f = scan_one(&spec, wide, sizeof wide);
    CHECK_INT_EQ(f.n, 1);
    CHECK_INT_EQ(f.m[0].offset, 10);
    CHECK_INT_EQ(f.m[0].length, 6);
}

static void test_regex_semantics(void)
{
    vt_string_spec spec = {.kind = VT_STRING_REGEX, .data = (const uint8_t *)"a.*?b", .len = 5};
    found f = scan_one(&spec, "xaxxbxxb", 8);
    CHECK_INT_EQ(f.n, 1);
    CHECK_INT_EQ(f.m[0].length, 4); /* lazy: the nearest b */
    spec.data = (const uint8_t *)"a.*b";
    spec.len = 4;
    f = scan_one(&spec, "xaxxbxxb", 8);
    CHECK_INT_EQ(f.m[0].length, 7); /* greedy */
    spec.data = (const uint8_t *)"a.b";
    spec.len = 3;
    f = scan_one(&spec, "a\nb", 3);
    CHECK_INT_EQ(f.n, 0); /* . does not match \n without /s */
    spec.regex_flags = VT_REGEX_DOTALL;
    f = scan_one(&spec, "a\nb", 3);
    CHECK_INT_EQ(f.n, 1);
}

static vt_matcher *build(void)
{
    static const char *const sources[] = {"{ 4D 5A ?? 00 }", "hello", "wor[a-z]d", "{ 61 [1-3] 62 }"};
    vt_string_spec specs[4] = {
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)sources[0], .len = strlen(sources[0])},
        text(sources[1], VT_MOD_NOCASE | VT_MOD_WIDE | VT_MOD_ASCII),
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)sources[2], .len = strlen(sources[2])},
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)sources[3], .len = strlen(sources[3])},
    };
    vt_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_matcher_build(specs, 4, &m, &err), VT_OK);
    return m;
}

static const char sample[] = "MZ\x90\x00 HeLLo world a..b h\0e\0l\0l\0o\0 aXb";

/* Every match in `sample`; *status tells whether the scan was complete. */
static found scan_sample(const vt_matcher *m, vt_status *status)
{
    found f = {.n = 0};
    vt_matcher_scratch *s = vt_matcher_scratch_new(m);
    CHECK(s != NULL);
    vt_error err;
    *status = VT_ERR_NOMEM;
    if (s)
        *status = vt_matcher_scan(m, s, (const uint8_t *)sample, sizeof sample - 1, collect, &f,
                                  &err);
    vt_matcher_scratch_free(s);
    return f;
}

static found scan_all(const vt_matcher *m)
{
    vt_status st;
    found f = scan_sample(m, &st);
    CHECK_INT_EQ(st, VT_OK);
    return f;
}

/* Hex strings without jumps or alternatives are compared byte by byte (fixed.c): wildcards,
 * nibbles, a match that must fit in the data, and overlapping matches. */
static void test_fixed_hex_strings(void)
{
    const char *hex = "41 ?? 4? 00";
    vt_string_spec spec = {.kind = VT_STRING_HEX, .data = (const uint8_t *)hex, .len = strlen(hex)};
    static const uint8_t data[] = {0x41, 0x41, 0x41, 0x4F, 0x00, 0x41, 0x00, 0x40, 0x00, 0x41, 0x41, 0x4F};
    found f = scan_one(&spec, data, sizeof data);
    CHECK_INT_EQ(f.n, 2);
    CHECK_INT_EQ(f.m[0].offset, 1); /* 41 41 4F 00 */
    CHECK_INT_EQ(f.m[0].length, 4);
    CHECK_INT_EQ(f.m[1].offset, 5); /* 41 00 40 00 */
    /* 41 41 4F at the end lacks its last byte: no match */
    const char *zeros = "00 00 ?? 00";
    spec.data = (const uint8_t *)zeros;
    spec.len = strlen(zeros);
    static const uint8_t z[8] = {0, 0, 7, 0, 0, 0, 0, 0};
    f = scan_one(&spec, z, sizeof z);
    CHECK_INT_EQ(f.n, 3); /* offsets 0, 3 and 4 (as yara reports); 5 would end past the data */
    CHECK_INT_EQ(f.m[0].offset, 0);
    CHECK_INT_EQ(f.m[1].offset, 3);
    CHECK_INT_EQ(f.m[2].offset, 4);
}

static void test_matcher_order_and_round_trip(void)
{
    vt_matcher *m = build();
    if (!m)
        return;
    found f = scan_all(m);
    /* strings in index order, offsets increasing */
    CHECK_INT_EQ(f.n, 6);
    CHECK_INT_EQ(f.m[0].string_id, 0);
    CHECK_INT_EQ(f.m[1].string_id, 1);
    CHECK_INT_EQ(f.m[1].offset, 5);
    CHECK_INT_EQ(f.m[2].string_id, 1);
    CHECK_INT_EQ(f.m[2].length, 10);
    CHECK_INT_EQ(f.m[3].string_id, 2);
    CHECK_INT_EQ(f.m[4].string_id, 3);
    CHECK_INT_EQ(f.m[4].offset, 17); /* "a..b" */
    CHECK_INT_EQ(f.m[4].length, 4);
    CHECK_INT_EQ(f.m[5].offset, 33); /* "aXb" */
    CHECK_INT_EQ(f.m[5].length, 3);

    vt_buf saved = {0};
    vt_error err;
    CHECK_INT_EQ(vt_matcher_serialize(m, &saved, &err), VT_OK);
    vt_matcher *loaded = NULL;
    CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_OK);
    if (loaded) {
        found g = scan_all(loaded);
        CHECK(same_matches(&g, &f));
        vt_matcher_free(loaded);
    }
    /* a matcher that borrows the serialized bytes finds the same */
    loaded = NULL;
    CHECK_INT_EQ(vt_matcher_deserialize_borrowed(saved.data, saved.len, &loaded, &err), VT_OK);
    if (loaded) {
        found g = scan_all(loaded);
        CHECK(same_matches(&g, &f));
        vt_matcher_free(loaded);
    }
    for (size_t cut = 0; cut < saved.len; cut += 1 + saved.len / 31) {
        vt_matcher *bad = NULL;
        CHECK(vt_matcher_deserialize_borrowed(saved.data, cut, &bad, &err) == VT_ERR_FORMAT);
        CHECK(bad == NULL);
    }
    /* damaged copies are refused cleanly: every truncation, and flipped bytes in the header */
    for (size_t cut = 0; cut < saved.len; cut += 1 + saved.len / 97) {
        vt_matcher *bad = NULL;
        CHECK(vt_matcher_deserialize(saved.data, cut, &bad, &err) == VT_ERR_FORMAT);
        CHECK(bad == NULL);
    }
    for (size_t i = 0; i < 40 && i < saved.len; i++) {
        saved.data[i] ^= 0x5A;
        vt_matcher *bad = NULL;
        vt_status st = vt_matcher_deserialize(saved.data, saved.len, &bad, &err);
        if (st == VT_OK) {
            /* whatever it decoded must still be safe to use; a string whose damaged spec cannot
             * be compiled fails the scan (never a silent "no match") */
            vt_status scanned;
            found g = scan_sample(bad, &scanned);
            (void)g;
            CHECK(scanned == VT_OK || scanned == VT_ERR_SYNTAX || scanned == VT_ERR_FORMAT ||
                  scanned == VT_ERR_ARGUMENT || scanned == VT_ERR_LIMIT);
            vt_matcher_free(bad);
        } else {
            CHECK(bad == NULL);
        }
        saved.data[i] ^= 0x5A;
    }
    vt_buf_free(&saved);
    vt_matcher_free(m);
}

/* A matcher saved on another CPU: its Vectorscan database names a platform this CPU does not
 * have. Loading says so with VT_ERR_STATE (not "corrupt"), which makes the scanner rebuild the
 * matcher from the strings. The database is the end of the serialization; Vectorscan's
 * serialized header is magic 0xdbdbdbdb, version, length (u32 each), then the u64 platform. */
static void test_foreign_cpu_database(void)
{
    vt_matcher *m = build();
    if (!m)
        return;
    vt_buf saved = {0};
    vt_error err;
    CHECK_INT_EQ(vt_matcher_serialize(m, &saved, &err), VT_OK);
    size_t at = saved.len;
    for (size_t i = 0; i + 20 <= saved.len; i++)
        if (memcmp(saved.data + i, "\xdb\xdb\xdb\xdb", 4) == 0) {
            at = i;
            break;
        }
    CHECK(at < saved.len);
    if (at < saved.len) {
        memset(saved.data + at + 12, 0xff, 8); /* every CPU feature and tuning bit */
        vt_matcher *foreign = NULL;
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &foreign, &err), VT_ERR_STATE);
        CHECK(foreign == NULL);
        CHECK(strstr(err.message, "another CPU") != NULL);
    }
    vt_buf_free(&saved);
    vt_matcher_free(m);
}

/* Byte offset of Vectorscan's serialized database header in data, or len. */
static size_t find_hs_header(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i + 20 <= len; i++)
        if (memcmp(data + i, "\xdb\xdb\xdb\xdb", 4) == 0)
            return i;
    return len;
}

/* The scanner of a compiled ruleset whose matcher was saved on another CPU rebuilds the matcher
 * from the ruleset's strings and finds the same. */
static void test_scanner_rebuilds_a_foreign_matcher(void)
{
    static const char src[] = "rule hello { strings: $a = \"hello\" condition: $a }";
    vt_error err;
    vt_compiler *c = NULL;
    vt_ruleset *plain = NULL, *with = NULL, *foreign = NULL;
    CHECK_INT_EQ(vt_compiler_new(&c, &err), VT_OK);
    CHECK_INT_EQ(vt_compiler_add_source(c, "default", "t.yar", src, strlen(src), &err), VT_OK);
    CHECK_INT_EQ(vt_compiler_finish(c, &plain, &err), VT_OK);
    vt_compiler_free(c);
    CHECK_INT_EQ(vt_ruleset_with_matcher(plain, &with, &err), VT_OK);
    size_t len = 0;
    const void *section = with ? vt_ruleset_section(with, VT_SECTION_MATCHER, &len) : NULL;
    uint8_t *copy = section ? malloc(len) : NULL;
    if (copy) {
        memcpy(copy, section, len);
        size_t at = find_hs_header(copy, len);
        CHECK(at < len);
        if (at < len)
            memset(copy + at + 12, 0xff, 8);
        CHECK_INT_EQ(vt_ruleset_with_section(with, VT_SECTION_MATCHER, copy, len, &foreign, &err),
                     VT_OK);
    }
    vt_scanner *scanner = NULL;
    vt_scan_ctx *ctx = NULL;
    if (foreign) {
        CHECK_INT_EQ(vt_scanner_new(foreign, &scanner, &err), VT_OK);
        if (scanner)
            CHECK_INT_EQ(vt_scan_ctx_new(scanner, NULL, &ctx, &err), VT_OK);
    }
    if (ctx) {
        static const uint8_t data[] = "say hello";
        CHECK_INT_EQ(vt_scan_buffer(ctx, data, sizeof data - 1, &err), VT_OK);
        CHECK(vt_scan_rule_matched(ctx, 0));
    }
    vt_scan_ctx_free(ctx);
    vt_scanner_free(scanner);
    free(copy);
    vt_ruleset_free(foreign);
    vt_ruleset_free(with);
    vt_ruleset_free(plain);
}

static void *thread_scan(void *arg)
{
    const vt_matcher *m = arg;
    found *result = malloc(sizeof *result);
    if (!result)
        return NULL;
    for (int i = 0; i < 200; i++)
        *result = scan_all(m);
    return result;
}

static void test_threads_share_one_matcher(void)
{
    vt_matcher *built = build();
    if (!built)
        return;
    found want = scan_all(built);
    /* a loaded matcher builds its verifiers on first use, possibly in several threads at once */
    vt_buf saved = {0};
    vt_error err;
    vt_matcher *m = NULL;
    CHECK_INT_EQ(vt_matcher_serialize(built, &saved, &err), VT_OK);
    CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &m, &err), VT_OK);
    vt_buf_free(&saved);
    vt_matcher_free(built);
    if (!m)
        return;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, thread_scan, m) == 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        found *got = r;
        CHECK(got != NULL);
        if (got) {
            CHECK(same_matches(got, &want));
        }
        free(got);
    }
    vt_matcher_free(m);
}

static void test_hostile_input_is_linear(void)
{
    /* Patterns that make backtracking engines explode, over 30 KB of 'a'. */
    size_t len = 30000;
    uint8_t *data = malloc(len);
    if (!data)
        return;
    memset(data, 'a', len);
    const char *res[] = {"(a|aa)*c", "(a*)*b", "a{1,30}a{1,30}a{1,30}c"};
    for (int i = 0; i < 3; i++) {
        vt_string_spec spec = {.kind = VT_STRING_REGEX, .data = (const uint8_t *)res[i],
                               .len = strlen(res[i])};
        vt_matcher *m = NULL;
        vt_error err;
        CHECK_INT_EQ(vt_matcher_build(&spec, 1, &m, &err), VT_OK);
        vt_matcher_scratch *s = m ? vt_matcher_scratch_new(m) : NULL;
        clock_t t0 = clock();
        found f = {.n = 0};
        if (s)
            CHECK_INT_EQ(vt_matcher_scan(m, s, data, len, collect, &f, &err), VT_OK);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK_INT_EQ(f.n, 0);
        CHECK(secs < 20.0); /* a backtracking engine would not finish at all */
        vt_matcher_scratch_free(s);
        vt_matcher_free(m);
    }
    free(data);
}

/* Issue 11: the matcher finds a factor hit wherever it ends, the last bytes of the data and
 * past offset 64 included (Debian's Vectorscan AVX-512 build lost these); and a regex whose
 * atom lies past its start runs over a 6000-byte run without overflowing the DFA memo. */
static void test_hits_at_every_end_offset(void)
{
    vt_string_spec specs[] = {
        text("mis", 0),
        text("oops", 0),
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)"z\\w", .len = 3},
        text("a", VT_MOD_WIDE | VT_MOD_ASCII),
    };
    vt_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_matcher_build(specs, 4, &m, &err), VT_OK);
    vt_matcher_scratch *s = m ? vt_matcher_scratch_new(m) : NULL;
    uint8_t data[400];
    int missed = 0;
    for (size_t len = 3; s && len <= sizeof data; len++) {
        const char *tails[] = {"mis", "zt", "a"};
        for (int t = 0; t < 3; t++) {
            size_t n = strlen(tails[t]);
            memset(data, 'x', len);
            memcpy(data + len - n, tails[t], n);
            found f = {.n = 0};
            CHECK_INT_EQ(vt_matcher_scan(m, s, data, len, collect, &f, &err), VT_OK);
            bool hit = false;
            for (size_t i = 0; i < f.n; i++)
                hit |= f.m[i].offset == len - n;
            missed += !hit;
        }
    }
    CHECK_INT_EQ(missed, 0);
    vt_matcher_scratch_free(s);
    vt_matcher_free(m);

    vt_string_spec re = {.kind = VT_STRING_REGEX, .data = (const uint8_t *)"[a-z]{3}defg.+q",
                         .len = 15};
    size_t len = 7 + 6000;
    uint8_t *run = malloc(len + 1);
    CHECK_INT_EQ(vt_matcher_build(&re, 1, &m, &err), VT_OK);
    s = m ? vt_matcher_scratch_new(m) : NULL;
    if (run && s) {
        memcpy(run, "abcdefg", 7);
        memset(run + 7, 'x', len - 7);
        found f = {.n = 0};
        CHECK_INT_EQ(vt_matcher_scan(m, s, run, len, collect, &f, &err), VT_OK);
        CHECK_INT_EQ(f.n, 0); /* q lies past yara's scan limit */
        run[len] = 'q';
        f.n = 0;
        CHECK_INT_EQ(vt_matcher_scan(m, s, run, len + 1, collect, &f, &err), VT_OK);
        CHECK_INT_EQ(f.n, 0);
    }
    free(run);
    vt_matcher_scratch_free(s);
    vt_matcher_free(m);
}

/* Identical factors of different strings are one Vectorscan pattern that reports every owner;
 * a matcher saved in the earlier one-pattern-per-factor format is VT_ERR_STATE (the scanner
 * rebuilds it), and a regex too large to verify is refused when the matcher is built (its
 * verifier is only built at scan), exactly where the verifier itself refuses it. */
static void test_shared_factors_and_limits(void)
{
    vt_string_spec specs[] = {
        text("hello", 0),
        text("hello", 0),
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)"68 65 6C 6C 6F", .len = 14},
        text("other", 0),
    };
    vt_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_matcher_build(specs, 4, &m, &err), VT_OK);
    vt_matcher_scratch *s = m ? vt_matcher_scratch_new(m) : NULL;
    static const char data[] = "say hello";
    found f = {.n = 0};
    if (s)
        CHECK_INT_EQ(vt_matcher_scan(m, s, (const uint8_t *)data, 9, collect, &f, &err), VT_OK);
    CHECK_INT_EQ(f.n, 3);
    for (size_t i = 0; i < f.n && i < 3; i++) {
        CHECK_INT_EQ(f.m[i].string_id, i);
        CHECK_INT_EQ(f.m[i].offset, 4);
        CHECK_INT_EQ(f.m[i].length, 5);
    }
    vt_buf saved = {0};
    if (m)
        CHECK_INT_EQ(vt_matcher_serialize(m, &saved, &err), VT_OK);
    vt_matcher *loaded = NULL;
    if (saved.len) {
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_OK);
        vt_matcher_scratch *ls = loaded ? vt_matcher_scratch_new(loaded) : NULL;
        found g = {.n = 0};
        if (ls)
            CHECK_INT_EQ(vt_matcher_scan(loaded, ls, (const uint8_t *)data, 9, collect, &g, &err),
                         VT_OK);
        CHECK(same_matches(&g, &f));
        vt_matcher_scratch_free(ls);
        vt_matcher_free(loaded);
        memcpy(saved.data, "VTMATCH1", 8);
        loaded = NULL;
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_ERR_STATE);
        CHECK(loaded == NULL);
    }
    vt_buf_free(&saved);
    vt_matcher_scratch_free(s);
    vt_matcher_free(m);

    /* a{1,5000} cannot be exhausted within the scan limit: a loop, not 4,097 copies (yara takes
     * these too); (a|b){0,4000} can be, and 4,000 copies of it are too many */
    const char *regexes[] = {"(a{1,5000}){31}", "(a{1,5000}){32}", "((a|b){0,4000}){0,4000}",
                             "x(a|bc|d){2,7}y"};
    const vt_status expect[] = {VT_OK, VT_OK, VT_ERR_LIMIT, VT_OK};
    for (int i = 0; i < 4; i++) {
        vt_string_spec re = {.kind = VT_STRING_REGEX, .data = (const uint8_t *)regexes[i],
                             .len = strlen(regexes[i])};
        vt_string_matcher *one = NULL;
        CHECK_INT_EQ(vt_string_matcher_new(&re, 0, &one, &err), expect[i]);
        vt_string_matcher_free(one);
        m = NULL;
        CHECK_INT_EQ(vt_matcher_build(&re, 1, &m, &err), expect[i]);
        vt_matcher_free(m);
    }
}

/* A hex string with a wildcard is searched by its literal run ("say") and confirmed whole at
 * each hit: the run alone names no candidate, nor a factor that would begin before the data or
 * end past it. The confirmation survives a round trip; a matcher of the earlier format without
 * confirmations (VTMATCH2) is VT_ERR_STATE (rebuilt by the scanner), and a confirmation longer
 * than any factor is refused as corrupt. */
static void test_confirmed_factors(void)
{
    static const char hex[] = "73 61 79 ?? 68 65 6C";
    vt_string_spec spec = {.kind = VT_STRING_HEX, .data = (const uint8_t *)hex,
                           .len = sizeof hex - 1};
    vt_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_matcher_build(&spec, 1, &m, &err), VT_OK);
    vt_matcher_scratch *s = m ? vt_matcher_scratch_new(m) : NULL;
    static const char data[] = "say hello, say-hex, say!hel, say";
    found f = {.n = 0};
    if (s)
        CHECK_INT_EQ(vt_matcher_scan(m, s, (const uint8_t *)data, sizeof data - 1, collect, &f,
                                     &err),
                     VT_OK);
    CHECK_INT_EQ(f.n, 2);
    CHECK_INT_EQ(f.n > 0 ? f.m[0].offset : 0, 0);
    CHECK_INT_EQ(f.n > 1 ? f.m[1].offset : 0, 20);
    vt_buf saved = {0};
    if (m)
        CHECK_INT_EQ(vt_matcher_serialize(m, &saved, &err), VT_OK);
    /* magic, string count, the string (5 fields and its text), factor count, then the factor:
     * string, length, min and max distance, and the confirmation's length */
    size_t confirm_len_at = 8 + 4 + 20 + (sizeof hex - 1) + 4 + 16;
    if (saved.len > confirm_len_at + 4) {
        CHECK_INT_EQ(saved.data[8 + 4 + 20 + (sizeof hex - 1)], 1); /* one factor */
        CHECK_INT_EQ(saved.data[confirm_len_at], 7);                /* confirmed over 7 bytes */
        vt_matcher *loaded = NULL;
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_OK);
        vt_matcher_scratch *ls = loaded ? vt_matcher_scratch_new(loaded) : NULL;
        found g = {.n = 0};
        if (ls)
            CHECK_INT_EQ(vt_matcher_scan(loaded, ls, (const uint8_t *)data, sizeof data - 1,
                                         collect, &g, &err),
                         VT_OK);
        CHECK(same_matches(&g, &f));
        vt_matcher_scratch_free(ls);
        vt_matcher_free(loaded);
        loaded = NULL;
        saved.data[confirm_len_at] = 200;
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err),
                     VT_ERR_FORMAT);
        CHECK(loaded == NULL);
        memcpy(saved.data, "VTMATCH2", 8);
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_ERR_STATE);
        CHECK(loaded == NULL);
    } else {
        CHECK(!"the matcher serializes");
    }
    vt_buf_free(&saved);
    vt_matcher_scratch_free(s);
    vt_matcher_free(m);

    /* the run at the data's start, where the factor would begin 2 bytes before it */
    static const char before[] = "6C ?? 73 61 79";
    spec = (vt_string_spec){.kind = VT_STRING_HEX, .data = (const uint8_t *)before,
                            .len = sizeof before - 1};
    m = NULL;
    CHECK_INT_EQ(vt_matcher_build(&spec, 1, &m, &err), VT_OK);
    s = m ? vt_matcher_scratch_new(m) : NULL;
    f.n = 0;
    if (s)
        CHECK_INT_EQ(vt_matcher_scan(m, s, (const uint8_t *)"say, xl-say", 11, collect, &f, &err),
                     VT_OK);
    CHECK_INT_EQ(f.n, 1);
    CHECK_INT_EQ(f.n ? f.m[0].offset : 0, 6);
    vt_matcher_scratch_free(s);
    vt_matcher_free(m);
}

/* Generated: the matcher (factors found by Vectorscan, then verified) finds exactly what each
 * string's verifier finds alone over the whole data, for text strings with and without nocase
 * and wide and hex strings with and without a wildcard, masked nibble or jump, over a small alphabet (letters in both
 * cases, zero bytes, so factors start with zeros and hits are dense), with copies planted
 * anywhere, the last bytes of the data included, sizes 0 to 700. A prefilter that loses a
 * candidate fails it (factors of 4 bytes or more placed one byte off: 30,875 differences). */
typedef struct all_found {
    vt_match *m;
    size_t n, cap;
} all_found;

static int collect_all(void *ctx, const vt_match *m)
{
    all_found *f = ctx;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        vt_match *items = realloc(f->m, cap * sizeof *items);
        if (!items)
            return 1;
        f->m = items;
        f->cap = cap;
    }
    f->m[f->n++] = *m;
    return 0;
}

static uint32_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

/* Adds to *differ the matches where the matcher's scan of data and each string's verifier
 * alone over the whole data disagree, and to *matches the verifiers' matches. */
static void compare_with_verifiers(const vt_matcher *m, vt_matcher_scratch *s,
                                   vt_match_scratch *one_scratch, const vt_string_spec *specs,
                                   size_t nspecs, const uint8_t *data, size_t len, size_t *differ,
                                   size_t *matches)
{
    vt_error err;
    all_found together = {0};
    CHECK_INT_EQ(vt_matcher_scan(m, s, data, len, collect_all, &together, &err), VT_OK);
    size_t at = 0;
    for (size_t i = 0; i < nspecs; i++) {
        vt_string_matcher *one = NULL;
        all_found alone = {0};
        CHECK_INT_EQ(vt_string_matcher_new(&specs[i], (uint32_t)i, &one, &err), VT_OK);
        if (one)
            CHECK_INT_EQ(vt_string_matcher_scan(one, one_scratch, data, len, collect_all, &alone,
                                                &err),
                         VT_OK);
        for (size_t k = 0; k < alone.n; k++, at++)
            *differ += at >= together.n || together.m[at].string_id != (uint32_t)i ||
                       together.m[at].offset != alone.m[k].offset ||
                       together.m[at].length != alone.m[k].length;
        *matches += alone.n;
        free(alone.m);
        vt_string_matcher_free(one);
    }
    *differ += at != together.n;
    free(together.m);
}

/* Writes the n bytes of src at dst as a string with these modifiers would match them: each
 * letter in a random case under nocase, each byte followed by a zero under wide. */
static void plant_copy(uint8_t *dst, const uint8_t *src, size_t n, unsigned modifiers,
                       uint64_t *rng)
{
    bool wide = modifiers & VT_MOD_WIDE;
    for (size_t k = 0; k < n; k++) {
        uint8_t b = src[k];
        if ((modifiers & VT_MOD_NOCASE) && next_random(rng) % 2 &&
            ((b | 0x20) >= 'a' && (b | 0x20) <= 'z'))
            b ^= 0x20;
        if (wide) {
            dst[2 * k] = b;
            dst[2 * k + 1] = 0;
        } else {
            dst[k] = b;
        }
    }
}

static void test_generated_factors_find_every_match(void)
{
    static const uint8_t alphabet[] = {'a', 'B', 'c', 'Q', 0x00, 0x00, 0xFF, '1'};
    enum { NSTRINGS = 12, ROUNDS = 60, MAXDATA = 700 };
    uint64_t rng = 20261206;
    size_t differ = 0, matches = 0;
    for (int round = 0; round < ROUNDS; round++) {
        uint8_t text_bytes[NSTRINGS][16];
        char hex_text[NSTRINGS][64];
        vt_string_spec specs[NSTRINGS];
        for (int i = 0; i < NSTRINGS; i++) {
            size_t len = 1 + next_random(&rng) % 9;
            for (size_t k = 0; k < len; k++)
                text_bytes[i][k] = alphabet[next_random(&rng) % sizeof alphabet];
            if (next_random(&rng) % 3 == 0) /* leading zeros */
                text_bytes[i][0] = text_bytes[i][1 % len] = 0;
            if (i % 4 == 3) { /* a hex string of the same bytes, some with a gap */
                size_t n = 0;
                for (size_t k = 0; k < len; k++)
                    n += (size_t)snprintf(hex_text[i] + n, sizeof hex_text[i] - n, "%s%02X",
                                          k ? " " : "", text_bytes[i][k]);
                /* a wildcard or a masked nibble inside: the matcher searches the literal
                 * run beside it and confirms the whole factor at each hit (factor.c) */
                size_t k = len > 2 ? 1 + next_random(&rng) % (len - 2) : 0;
                unsigned form = next_random(&rng) % 4;
                if (k && form == 1)
                    memcpy(hex_text[i] + 3 * k, "??", 2);
                else if (k && form == 2)
                    hex_text[i][3 * k + 1] = '?';
                else if (k && form == 3) /* a jump of one byte: "61 [1]63" */
                    memcpy(hex_text[i] + 3 * k, "[1]", 3);
                specs[i] = (vt_string_spec){.kind = VT_STRING_HEX,
                                            .data = (const uint8_t *)hex_text[i], .len = n};
            } else {
                unsigned mods = 0;
                unsigned pick = next_random(&rng) % 4;
                mods |= pick == 1 ? VT_MOD_NOCASE : 0;
                mods |= pick == 2 ? VT_MOD_WIDE : 0;
                mods |= pick == 3 ? VT_MOD_WIDE | VT_MOD_ASCII | VT_MOD_NOCASE : 0;
                specs[i] = (vt_string_spec){.kind = VT_STRING_TEXT, .data = text_bytes[i],
                                            .len = len, .modifiers = mods};
            }
        }
        vt_matcher *m = NULL;
        vt_error err;
        CHECK_INT_EQ(vt_matcher_build(specs, NSTRINGS, &m, &err), VT_OK);
        vt_matcher_scratch *s = m ? vt_matcher_scratch_new(m) : NULL;
        vt_match_scratch *one_scratch = vt_match_scratch_new();
        uint8_t data[MAXDATA];
        for (int d = 0; s && one_scratch && d < 8; d++) {
            size_t len = d == 0 ? 0 : next_random(&rng) % (MAXDATA + 1);
            for (size_t k = 0; k < len; k++)
                data[k] = alphabet[next_random(&rng) % sizeof alphabet];
            for (int plant = 0; plant < 6 && len; plant++) { /* copies, one at the very end */
                int which = (int)(next_random(&rng) % NSTRINGS);
                const vt_string_spec *sp = &specs[which];
                /* a hex string's bytes, any byte of the alphabet where it has a wildcard or
                 * a mask (so that the run beside it is often found without the factor) */
                uint8_t hex_bytes[16];
                const uint8_t *src = sp->data;
                size_t n = sp->len;
                if (sp->kind == VT_STRING_HEX) {
                    n = (sp->len + 1) / 3;
                    for (size_t k = 0; k < n; k++)
                        hex_bytes[k] = sp->data[3 * k] == '?' || sp->data[3 * k + 1] == '?' ||
                                               sp->data[3 * k] == '['
                                           ? alphabet[next_random(&rng) % sizeof alphabet]
                                           : text_bytes[which][k];
                    src = hex_bytes;
                }
                bool wide = sp->modifiers & VT_MOD_WIDE;
                size_t span = wide ? 2 * n : n;
                if (!src || span > len)
                    continue;
                size_t at = plant == 0 ? len - span : next_random(&rng) % (len - span + 1);
                plant_copy(data + at, src, n, sp->modifiers, &rng);
            }
            compare_with_verifiers(m, s, one_scratch, specs, NSTRINGS, data, len, &differ,
                                   &matches);
        }
        vt_match_scratch_free(one_scratch);
        vt_matcher_scratch_free(s);
        vt_matcher_free(m);
    }
    CHECK_INT_EQ(differ, 0);
    CHECK(matches > 1000); /* the generator plants and finds plenty */
}

/* Generated, regexes whose best run is weak but which pass through an alternation of stronger
 * branches, P(B1|B2|B3)T: searched by one factor per branch at the alternation's distance
 * (factor.c best_alternation), with prefixes P of fixed, bounded and unbounded length (so the
 * branch lies 0 to thousands of bytes after the match start), branches of 2 bytes that are
 * strong only joined with the nodes around them, alternations of 2, 3, 17-22 or 65-80 branches, nocase
 * and wide forms, copies planted anywhere, the data's last bytes included. */
static void test_generated_alternations(void)
{
    static const uint8_t alphabet[] = {'a', 'B', 'c', 'Q', 0x00, '=', 0xFF, '1'};
    static const char *const prefixes[] = {"", "=", "=\\s*", "a.?", "[aB]{0,3}=", "c(=|Q)"};
    static const char *const prefix_bytes[] = {"", "=", "= ", "ac", "aB=", "cQ"};
    enum { NSTRINGS = 6, ROUNDS = 50, MAXDATA = 600 };
    uint64_t rng = 1796532571;
    size_t differ = 0, matches = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char regex[NSTRINGS][2048];
        uint8_t branch[NSTRINGS][80][6];
        size_t branch_len[NSTRINGS][80], nbranch[NSTRINGS], prefix[NSTRINGS];
        vt_string_spec specs[NSTRINGS];
        for (int i = 0; i < NSTRINGS; i++) {
            prefix[i] = next_random(&rng) % (sizeof prefixes / sizeof prefixes[0]);
            size_t n = (size_t)snprintf(regex[i], sizeof regex[i], "%s(", prefixes[prefix[i]]);
            unsigned width = next_random(&rng) % 8;
            nbranch[i] = width < 6    ? 2 + next_random(&rng) % 2
                         : width == 6 ? 17 + next_random(&rng) % 6
                                      : 65 + next_random(&rng) % 16;
            for (size_t b = 0; b < nbranch[i]; b++) {
                branch_len[i][b] = 2 + next_random(&rng) % 4;
                for (size_t k = 0; k < branch_len[i][b]; k++) {
                    branch[i][b][k] = alphabet[next_random(&rng) % sizeof alphabet];
                    n += (size_t)snprintf(regex[i] + n, sizeof regex[i] - n, "\\x%02x",
                                          branch[i][b][k]);
                }
                n += (size_t)snprintf(regex[i] + n, sizeof regex[i] - n, "%s",
                                      b + 1 < nbranch[i] ? "|" : ")");
            }
            if (next_random(&rng) % 2)
                n += (size_t)snprintf(regex[i] + n, sizeof regex[i] - n, "Q?1");
            unsigned pick = next_random(&rng) % 4;
            unsigned mods = pick == 1 ? VT_MOD_NOCASE
                          : pick == 2 ? VT_MOD_WIDE
                          : pick == 3 ? VT_MOD_WIDE | VT_MOD_ASCII : 0;
            specs[i] = (vt_string_spec){.kind = VT_STRING_REGEX,
                                        .data = (const uint8_t *)regex[i], .len = n,
                                        .modifiers = mods};
        }
        vt_matcher *m = NULL;
        vt_error err;
        CHECK_INT_EQ(vt_matcher_build(specs, NSTRINGS, &m, &err), VT_OK);
        vt_matcher_scratch *s = m ? vt_matcher_scratch_new(m) : NULL;
        vt_match_scratch *one_scratch = vt_match_scratch_new();
        uint8_t data[MAXDATA];
        for (int d = 0; s && one_scratch && d < 8; d++) {
            size_t len = d == 0 ? 0 : next_random(&rng) % (MAXDATA + 1);
            for (size_t k = 0; k < len; k++)
                data[k] = alphabet[next_random(&rng) % sizeof alphabet];
            for (int plant = 0; plant < 6 && len; plant++) { /* copies, one at the very end */
                int i = (int)(next_random(&rng) % NSTRINGS);
                size_t b = next_random(&rng) % nbranch[i];
                uint8_t text[16];
                size_t n = strlen(prefix_bytes[prefix[i]]);
                memcpy(text, prefix_bytes[prefix[i]], n);
                memcpy(text + n, branch[i][b], branch_len[i][b]);
                n += branch_len[i][b];
                bool wide = specs[i].modifiers & VT_MOD_WIDE;
                size_t span = wide ? 2 * n : n;
                if (span > len)
                    continue;
                size_t at = plant == 0 ? len - span : next_random(&rng) % (len - span + 1);
                plant_copy(data + at, text, n, specs[i].modifiers, &rng);
            }
            compare_with_verifiers(m, s, one_scratch, specs, NSTRINGS, data, len, &differ,
                                   &matches);
        }
        vt_match_scratch_free(one_scratch);
        vt_matcher_scratch_free(s);
        vt_matcher_free(m);
    }
    CHECK_INT_EQ(differ, 0);
    CHECK(matches > 300);
}

/* Header gates: with most factors owned by strings whose rule requires "MZ" at offset 0, data
 * without those bytes is scanned by the second database (the gated strings are not reported)
 * unless the scratch asks for every string; the gate survives a round trip, a VTMATCH3 matcher
 * is rebuilt, and a gate owning less than half the factors is not taken. */
static found scan_gated(const vt_matcher *m, const char *data, bool every)
{
    found f = {.n = 0};
    vt_error err;
    vt_matcher_scratch *s = vt_matcher_scratch_new(m);
    CHECK(s != NULL);
    if (s) {
        vt_matcher_scratch_set_every_string(s, every);
        CHECK_INT_EQ(vt_matcher_scan(m, s, (const uint8_t *)data, strlen(data), collect, &f,
                                     &err),
                     VT_OK);
    }
    vt_matcher_scratch_free(s);
    return f;
}

/* A matcher of specs[0..n) and, in *loaded, its copy through serialization (NULL when that
 * failed); the serialized bytes are left in *saved. NULL when it cannot be built. */
static vt_matcher *build_and_reload(const vt_string_spec *specs, size_t n, vt_matcher **loaded,
                                    vt_buf *saved)
{
    vt_matcher *m = NULL;
    vt_error err;
    *loaded = NULL;
    CHECK_INT_EQ(vt_matcher_build(specs, n, &m, &err), VT_OK);
    if (!m)
        return NULL;
    CHECK_INT_EQ(vt_matcher_serialize(m, saved, &err), VT_OK);
    CHECK_INT_EQ(vt_matcher_deserialize(saved->data, saved->len, loaded, &err), VT_OK);
    return m;
}

/* A matcher saved by an earlier version (saved, its magic replaced by old_magic) is refused
 * with VT_ERR_STATE, which has the scanner rebuild it from the ruleset's strings. */
static void check_rebuilt_when_old(vt_buf *saved, const char *old_magic)
{
    if (saved->len <= 8)
        return;
    vt_matcher *loaded = NULL;
    vt_error err;
    memcpy(saved->data, old_magic, 8);
    CHECK_INT_EQ(vt_matcher_deserialize(saved->data, saved->len, &loaded, &err), VT_ERR_STATE);
    CHECK(loaded == NULL);
    vt_matcher_free(loaded);
}

/* Gate escapes: bravo's rule may match without MZ when bravo matches (`(MZ and ...) or all of
 * them`). A file without MZ is searched for bravo and delta only, and where bravo is found, for
 * every string. */
static void test_gate_escapes(void)
{
    const vt_header_gate mz = {.count = 2, .offset = {0, 1}, .value = {'M', 'Z'}};
    vt_string_spec specs[4] = {text("alpha", 0), text("bravo", 0), text("charlie", 0),
                               text("delta", 0)};
    specs[0].gate = specs[1].gate = specs[2].gate = mz;
    specs[1].gate_escape = true;
    vt_buf saved = {0};
    vt_matcher *loaded = NULL;
    vt_matcher *m = build_and_reload(specs, 4, &loaded, &saved);
    vt_error err;
    if (!m)
        return;
    const vt_matcher *both[2] = {m, loaded};
    for (int k = 0; k < 2 && both[k]; k++) {
        found f = scan_gated(both[k], "ZM alpha charlie delta", false);
        CHECK_INT_EQ(f.n, 1);
        CHECK_INT_EQ(f.n ? f.m[0].string_id : 9, 3);
        f = scan_gated(both[k], "ZM alpha bravo charlie delta", false); /* the escape: all */
        CHECK_INT_EQ(f.n, 4);
        f = scan_gated(both[k], "MZ alpha charlie delta", false);
        CHECK_INT_EQ(f.n, 3);
        f = scan_gated(both[k], "ZM alpha charlie delta", true);
        CHECK_INT_EQ(f.n, 3);
    }
    vt_matcher_free(loaded);
    check_rebuilt_when_old(&saved, "VTMATCH4"); /* saved before escapes */
    vt_buf_free(&saved);
    vt_matcher_free(m);

    /* an escape without factors would be a candidate in every file: its rule's strings are
     * searched in every file, the other rules' gated strings still are not */
    vt_string_spec more[6] = {text("alpha", 0), text("bravo", 0), text("charlie", 0),
                              text("delta", 0), text("echo", 0), text("foxtrot", 0)};
    more[1] = (vt_string_spec){.kind = VT_STRING_REGEX, .data = (const uint8_t *)".",
                               .len = 1, .gate_escape = true};
    for (int i = 0; i < 6; i++)
        more[i].rule = i == 0 || i >= 4 ? 0 : i == 3 ? 2 : 1; /* rule 1: bravo and charlie */
    more[0].gate = more[1].gate = more[2].gate = more[4].gate = more[5].gate = mz;
    m = NULL;
    CHECK_INT_EQ(vt_matcher_build(more, 6, &m, &err), VT_OK);
    if (m) {
        found f = scan_gated(m, "ZM alpha charlie delta echo foxtrot", false);
        bool seen[6] = {false};
        for (size_t i = 0; i < f.n; i++)
            seen[f.m[i].string_id < 6 ? f.m[i].string_id : 0] = true;
        CHECK(!seen[0] && seen[1] && seen[2] && seen[3] && !seen[4] && !seen[5]);
    }
    vt_matcher_free(m);
}

/* The strings with matches in f, as a bit set (string i < 32: bit i). */
static uint32_t strings_found(const found *f)
{
    uint32_t set = 0;
    for (size_t i = 0; i < f->n; i++)
        set |= f->m[i].string_id < 32 ? 1u << f->m[i].string_id : 0;
    return set;
}

/* Excluded strings: with "MZ" the gate, the rule of delta, golf and india requires "\x7fE" and
 * cannot match data with MZ, nor can foxtrot's unless echo, its escape, matches. Data with MZ
 * is searched for none of them (india, a regex without factors, is not verified there either),
 * except where echo is found or the scratch asks for every string; data without MZ is
 * searched for them as before. */
static void test_excluded_strings(void)
{
    const vt_header_gate mz = {.count = 2, .offset = {0, 1}, .value = {'M', 'Z'}};
    const vt_header_gate elf = {.count = 2, .offset = {0, 1}, .value = {0x7f, 'E'}};
    vt_string_spec specs[9] = {
        text("alpha", 0), text("bravo", 0), text("charlie", 0), text("delta", 0),
        text("echo", 0),  text("foxtrot", 0), text("hotel", 0),
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)"o.f", .len = 3},
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)"[^x]", .len = 4}};
    const uint32_t rule[9] = {0, 0, 0, 1, 2, 2, 0, 1, 1};
    for (int i = 0; i < 9; i++) {
        specs[i].gate = rule[i] == 0 ? mz : elf;
        specs[i].rule = rule[i];
    }
    specs[4].gate_escape = true;
    vt_buf saved = {0};
    vt_matcher *loaded = NULL;
    vt_matcher *m = build_and_reload(specs, 9, &loaded, &saved);
    if (!m)
        return;
    const uint32_t excluded = 1u << 3 | 1u << 5 | 1u << 7 | 1u << 8;
    const vt_matcher *both[2] = {m, loaded};
    for (int k = 0; k < 2 && both[k]; k++) {
        found f = scan_gated(both[k], "MZ alpha delta foxtrot golf", false);
        CHECK_INT_EQ(strings_found(&f), 1u << 0);
        f = scan_gated(both[k], "MZ alpha delta echo foxtrot golf", false); /* the escape */
        CHECK_INT_EQ(strings_found(&f), 1u << 0 | 1u << 4 | excluded);
        f = scan_gated(both[k], "MZ alpha delta foxtrot golf", true);
        CHECK_INT_EQ(strings_found(&f), 1u << 0 | excluded);
        f = scan_gated(both[k], "\x7f" "E alpha delta foxtrot golf", false);
        CHECK_INT_EQ(strings_found(&f), excluded);
    }
    vt_matcher_free(loaded);
    check_rebuilt_when_old(&saved, "VTMATCH6"); /* saved before exclusions */
    vt_buf_free(&saved);
    vt_matcher_free(m);
}

/* Identical strings (twins) are verified once per scan from the same candidates: each still
 * reports every match under its own id, in every mode and in a second scan too. */
static void test_twin_strings(void)
{
    const vt_header_gate mz = {.count = 2, .offset = {0, 1}, .value = {'M', 'Z'}};
    vt_string_spec specs[6] = {
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)"{ 00 [4-7] 00 ?? [1-2] 00 }",
         .len = 27},
        text("delta", 0), text("alpha", 0), text("alpha", 0), text("alpha", 0),
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)"{ 00 [4-7] 00 ?? [1-2] 00 }",
         .len = 27}};
    for (int i = 0; i < 6; i++)
        specs[i].rule = (uint32_t)i;
    specs[4].gate = mz; /* with the others gated too, the gate is taken */
    specs[1].gate = specs[0].gate = specs[5].gate = mz;
    vt_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_matcher_build(specs, 6, &m, &err), VT_OK);
    if (!m)
        return;
    static const char data[] = "ZM alpha \x00\x31\x46\x66\x66\x5F\x00\x6C\x00\x65\x00\x69"
                               "\x00 alpha delta";
    vt_matcher_scratch *s = vt_matcher_scratch_new(m);
    CHECK(s != NULL);
    for (int round = 0; round < 2 && s; round++) {
        found f = {.n = 0};
        CHECK_INT_EQ(vt_matcher_scan(m, s, (const uint8_t *)data, sizeof data - 1, collect, &f,
                                     &err),
                     VT_OK);
        /* alpha at 3 and 23 for strings 2, 3 and 4 (4 requires MZ, but its pattern is its
         * twins', so it has their candidates); the hex strings and delta (MZ) are not searched
         * without MZ */
        size_t per[6] = {0};
        for (size_t i = 0; i < f.n; i++) {
            per[f.m[i].string_id < 6 ? f.m[i].string_id : 0]++;
            CHECK(f.m[i].offset == 3 || f.m[i].offset == 23);
            CHECK_INT_EQ(f.m[i].length, 5);
        }
        CHECK(per[2] == 2 && per[3] == 2 && per[4] == 2 && per[0] == 0 && per[5] == 0);
        f.n = 0;
        vt_matcher_scratch_set_every_string(s, true); /* every string: the twins all match */
        CHECK_INT_EQ(vt_matcher_scan(m, s, (const uint8_t *)data, sizeof data - 1, collect, &f,
                                     &err),
                     VT_OK);
        size_t hex0 = 0, hex5 = 0, alpha4 = 0;
        for (size_t i = 0; i < f.n; i++) {
            if (f.m[i].string_id == 0 || f.m[i].string_id == 5) {
                CHECK_INT_EQ(f.m[i].offset, 9);
                CHECK_INT_EQ(f.m[i].length, 13); /* yara's length (test_match_atoms) */
                *(f.m[i].string_id == 0 ? &hex0 : &hex5) += 1;
            }
            alpha4 += f.m[i].string_id == 4;
        }
        CHECK(hex0 == 1 && hex5 == 1 && alpha4 == 2);
        vt_matcher_scratch_set_every_string(s, false);
    }
    vt_matcher_scratch_free(s);
    vt_matcher_free(m);
}

static void test_header_gates(void)
{
    const vt_header_gate mz = {.count = 2, .offset = {0, 1}, .value = {'M', 'Z'}};
    const vt_header_gate mz90 = {.count = 3, .offset = {0, 1, 2}, .value = {'M', 'Z', 0x90}};
    vt_string_spec specs[3] = {text("alpha", 0), text("bravo", 0), text("charlie", 0)};
    specs[0].gate = mz;
    specs[1].gate = mz90; /* requires MZ too */
    vt_matcher *m = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_matcher_build(specs, 3, &m, &err), VT_OK);
    if (!m)
        return;
    found f = scan_gated(m, "MZ\x90 alpha bravo charlie", false);
    CHECK_INT_EQ(f.n, 3);
    f = scan_gated(m, "MZ alpha bravo charlie", false); /* bravo's rule cannot match: either */
    CHECK(f.n >= 2 && f.m[0].string_id == 0 && f.m[f.n - 1].string_id == 2);
    f = scan_gated(m, "ZM alpha bravo charlie", false);
    CHECK_INT_EQ(f.n, 1);
    CHECK_INT_EQ(f.n ? f.m[0].string_id : 9, 2);
    f = scan_gated(m, "M", false);
    CHECK_INT_EQ(f.n, 0);
    f = scan_gated(m, "ZM alpha bravo charlie", true);
    CHECK_INT_EQ(f.n, 3);

    vt_buf saved = {0};
    CHECK_INT_EQ(vt_matcher_serialize(m, &saved, &err), VT_OK);
    vt_matcher *loaded = NULL;
    CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_OK);
    if (loaded) {
        f = scan_gated(loaded, "ZM alpha bravo charlie", false);
        CHECK_INT_EQ(f.n, 1);
        f = scan_gated(loaded, "ZM alpha bravo charlie", true);
        CHECK_INT_EQ(f.n, 3);
        f = scan_gated(loaded, "MZ\x90 alpha bravo charlie", false);
        CHECK_INT_EQ(f.n, 3);
    }
    vt_matcher_free(loaded);
    check_rebuilt_when_old(&saved, "VTMATCH3");
    vt_buf_free(&saved);
    vt_matcher_free(m);

    /* one gated string of three: not worth a second database, every string is searched */
    specs[1].gate = (vt_header_gate){0};
    m = NULL;
    CHECK_INT_EQ(vt_matcher_build(specs, 3, &m, &err), VT_OK);
    if (m) {
        f = scan_gated(m, "ZM alpha bravo charlie", false);
        CHECK_INT_EQ(f.n, 3);
    }
    vt_matcher_free(m);

    test_gate_escapes();
    test_excluded_strings();
    test_twin_strings();
}

/* Data for check_every_length: `len` bytes into data, drawn with *seed. */
typedef void (*fill_fn)(uint8_t *data, size_t len, unsigned *seed);

/* A matcher of specs[0..n) and its copy through serialization must find, in data that fill
 * draws at every length below max_len (rounds times each), what each string's verifier finds
 * alone; more than min_matches matches in all. */
static void check_every_length(const vt_string_spec *specs, size_t n, fill_fn fill,
                               size_t max_len, int rounds, size_t min_matches)
{
    vt_buf saved = {0};
    vt_matcher *loaded = NULL;
    vt_matcher *m = build_and_reload(specs, n, &loaded, &saved);
    vt_buf_free(&saved);
    if (!m)
        return;
    unsigned seed = 12345;
    size_t differ = 0, matches = 0;
    vt_matcher_scratch *built = vt_matcher_scratch_new(m);
    vt_matcher_scratch *reloaded = loaded ? vt_matcher_scratch_new(loaded) : NULL;
    vt_match_scratch *one_scratch = vt_match_scratch_new();
    uint8_t *data = malloc(max_len ? max_len : 1);
    CHECK(built && reloaded && one_scratch && data);
    for (size_t len = 0; built && reloaded && one_scratch && data && len < max_len; len++) {
        for (int round = 0; round < rounds; round++) {
            fill(data, len, &seed);
            compare_with_verifiers(m, built, one_scratch, specs, n, data, len, &differ,
                                   &matches);
            compare_with_verifiers(loaded, reloaded, one_scratch, specs, n, data, len, &differ,
                                   &matches);
        }
    }
    CHECK(matches > min_matches);
    free(data);
    vt_match_scratch_free(one_scratch);
    vt_matcher_scratch_free(reloaded);
    vt_matcher_scratch_free(built);
    CHECK_INT_EQ(differ, 0);
    vt_matcher_free(loaded);
    vt_matcher_free(m);
}

/* Data for test_short_literals: random bytes of a small alphabet. */
static void fill_short_literals(uint8_t *data, size_t len, unsigned *seed)
{
    static const char alphabet[] = "abx1XYAB\x11"; /* 0x11 | 0x20 is '1': not a case of it */
    for (size_t i = 0; i < len; i++) {
        *seed = *seed * 1103515245u + 12345u;
        data[i] = (uint8_t)alphabet[(*seed >> 16) % (sizeof alphabet - 1)];
    }
}

/* Two-byte literals searched outside Vectorscan (matcher.c: split_short_patterns): with every
 * pattern a literal, "ab" and nocase "xy" are found by the matcher's own loop. Random data over
 * a small alphabet, every length from 0 to 99 (the 16-byte steps and the tail), must give what
 * each string's verifier finds alone, before and after a round trip. */
static void test_short_literals(void)
{
    vt_string_spec specs[4] = {text("ab", 0), text("x1", VT_MOD_NOCASE),
                               text("abxyabxy", 0), text("yxbaXYBA", VT_MOD_NOCASE)};
    check_every_length(specs, 4, fill_short_literals, 100, 4, 0);
}

/* data[0..len) made of tokens drawn at random (token k has token_len[k] bytes, zeros among
 * them), the last one cut at len. */
static void fill_tokens(uint8_t *data, size_t len, unsigned *seed, const char *const *tokens,
                        const size_t *token_len, size_t ntokens)
{
    size_t n = 0;
    while (n < len) {
        *seed = *seed * 1103515245u + 12345u;
        size_t t = (*seed >> 16) % ntokens;
        for (size_t k = 0; k < token_len[t] && n < len; k++)
            data[n++] = (uint8_t)tokens[t][k];
    }
}

/* Data for test_shared_literals: its texts, their other cases and near misses. */
static void fill_shared_literals(uint8_t *data, size_t len, unsigned *seed)
{
    static const char *const tokens[] = {
        "abcd", "ABCD", "xxabcdyy", "XXABCDYY", "xxAbCdyy", "xxabcdyz", "xxabcdQy", "abc",
        "zabcdz", "z\0a\0b\0c\0d\0z\0", "z\0a\0b\0c\0d\0y\0", "abcdabcd", "x", "y", "\0"};
    static const size_t token_len[] = {4, 4, 8, 8, 8, 8, 8, 3, 6, 12, 12, 8, 1, 1, 1};
    fill_tokens(data, len, seed, tokens, token_len, sizeof token_len / sizeof token_len[0]);
}

/* Literals searched through a shorter one (factor_share.c): "xxabcdyy" is found through
 * "abcd", nocase "xxabcdyy" and exact "abcd" through nocase "ABCD", the literal run of a hex
 * string with a gap (a factor confirmed already) through it too, and each is confirmed whole at
 * every hit; without nocase "ABCD", exact "abcd" must not stand for nocase "xxabcdyy". Data made
 * of those texts, their other cases and near misses ("xxabcdyz", "abc"), at every length from 0
 * to 159, must give what each string's verifier finds alone, before and after a round trip. */
static void test_shared_literals(void)
{
    static const char hex_gap[] = "78 78 61 62 63 64 ?? 79";
    vt_string_spec specs[7] = {
        text("abcd", 0),
        text("xxabcdyy", 0),
        text("xxabcdyy", VT_MOD_NOCASE),
        text("zabcdz", VT_MOD_WIDE | VT_MOD_ASCII),
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)hex_gap, .len = strlen(hex_gap)},
        text("abcdabcd", 0),
        text("ABCD", VT_MOD_NOCASE),
    };
    check_every_length(specs, 7, fill_shared_literals, 160, 4, 1000);
    check_every_length(specs, 6, fill_shared_literals, 160, 4, 1000); /* without nocase "ABCD" */
}

/* Data for test_companions: the runs of its strings, their near misses and filler. */
static void fill_companions(uint8_t *data, size_t len, unsigned *seed)
{
    static const char *const tokens[] = {"\x89\xc6", "\x01\0\0\0", "\x01\0\0", "ab", "cd",
                                         "ef", "AB", "Cd", "x", "yy", "zq", "\xff\x15", "7",
                                         "\x89", "abc", "q", "\0", "7cD", "7CD", "A-b"};
    static const size_t token_len[] = {2, 4, 3, 2, 2, 2, 2, 2, 1, 2, 2, 2, 1, 1, 3, 1, 1, 3, 3, 3};
    fill_tokens(data, len, seed, tokens, token_len, sizeof token_len / sizeof token_len[0]);
}

/* Companions (factor.c, add_companion): a hit of a weak factor names a candidate only where
 * another run of the string lies within the distances the nodes between them allow, after the
 * factor or before it, through variable jumps, classes and nocase letters. Data made of those
 * runs and near misses, at every length from 0 to 199, must give what each string's verifier
 * finds alone (a companion window one byte too narrow loses matches), before and after a
 * round trip; a matcher saved before companions (VTMATCH7) is rebuilt. */
static void test_companions(void)
{
    static const char h1[] = "89 C6 [2-6] 01 00 00 00";
    static const char h2[] = "61 62 [1-9] 89 C6 ?? 63 64";
    static const char h3[] = "FF 15 [0-3] 89 [1-4] 63 64 [2-5] 65 66";
    static const char h4[] = "( 61 | 41 ) 62 [0-2] 89 C6 [1-3] 01 00";
    static const char r1[] = "ab.{0,5}cd[0-9x]{1,3}ef";
    static const char r2[] = "zq?a-b[^z]{2,4}7cd";
    static const char r3[] = "ab(x|yy)cd.{0,2}ef";
    vt_string_spec specs[8] = {
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)h1, .len = strlen(h1)},
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)h2, .len = strlen(h2)},
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)h3, .len = strlen(h3)},
        {.kind = VT_STRING_HEX, .data = (const uint8_t *)h4, .len = strlen(h4)},
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)r1, .len = strlen(r1)},
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)r2, .len = strlen(r2),
         .modifiers = VT_MOD_NOCASE},
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)r3, .len = strlen(r3),
         .regex_flags = VT_REGEX_NOCASE},
        {.kind = VT_STRING_REGEX, .data = (const uint8_t *)r1, .len = strlen(r1),
         .modifiers = VT_MOD_FULLWORD},
    };
    check_every_length(specs, 8, fill_companions, 200, 10, 1000);
    vt_buf saved = {0};
    vt_matcher *loaded = NULL;
    vt_matcher *m = build_and_reload(specs, 8, &loaded, &saved);
    check_rebuilt_when_old(&saved, "VTMATCH7"); /* saved before companions */
    vt_matcher_free(loaded);
    vt_matcher_free(m);
    vt_buf_free(&saved);
}

int main(void)
{
    RUN(test_base64_uses_yaras_three_encodings);
    RUN(test_xor_reports_the_key);
    RUN(test_fullword_and_wide);
    RUN(test_regex_semantics);
    RUN(test_fixed_hex_strings);
    RUN(test_matcher_order_and_round_trip);
    RUN(test_foreign_cpu_database);
    RUN(test_scanner_rebuilds_a_foreign_matcher);
    RUN(test_threads_share_one_matcher);
    RUN(test_hostile_input_is_linear);
    RUN(test_hits_at_every_end_offset);
    RUN(test_shared_factors_and_limits);
    RUN(test_confirmed_factors);
    RUN(test_header_gates);
    RUN(test_short_literals);
    RUN(test_shared_literals);
    RUN(test_companions);
    RUN(test_generated_factors_find_every_match);
    RUN(test_generated_alternations);
    return check_done();
}
