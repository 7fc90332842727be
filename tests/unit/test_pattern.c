/* test_pattern.c: the hex-string and regex parsers accept what yara 4.2.3 accepts and reject the
 * rest with yara's messages (each expectation below was taken from running yara 4.2.3). */
#include <string.h>

#include <vitrine/pattern.h>

#include "../check.h"

typedef struct parse_case {
    const char *text;
    const char *error; /* NULL: accepted */
} parse_case;

static const parse_case hex_cases[] = {
    {"{ AA [0] BB }", "invalid jump length"},
    {"{ AA [3-1] BB }", "invalid jump range"},
    {"{ AA [1-] }", "syntax error"},
    {"{ [1] AA }", "syntax error"},
    {"{ AA ( BB [300] | CC ) DD }", "jumps over 200 not allowed inside alternation (|)"},
    {"{ AA ( BB [1-201] | CC ) DD }", "jumps over 200 not allowed inside alternation (|)"},
    {"{ AA ( BB [1-] | CC ) DD }", "unbounded jumps not allowed inside alternation (|)"},
    {"{ AA ( BB [-] | CC ) DD }", "unbounded jumps not allowed inside alternation (|)"},
    {"{ AA ( BB | ) DD }", "syntax error"},
    {"{ AA ( | CC ) DD }", "syntax error"},
    {"{ AA ( BB  DD }", "syntax error"},
    {"{ AA BB ) DD }", "syntax error"},
    {"{ A }", "uneven number of digits in hex string"},
    {"{ AAA }", "uneven number of digits in hex string"},
    {"{ }", "syntax error"},
    {"{ AA [1-2 BB }", "invalid character in hex string jump"},
    {"{ AA ( BB [2] ) }", "syntax error"},
    {"{ AA ( BB [1-200] | CC ) DD }", "syntax error"},
    {"{ ?? }", NULL},
    {"{ AA [ 1 - 2 ] BB }", NULL},
    {"{ AA // comment\n BB }", NULL},
    {"{ AA /* x */ BB }", NULL},
    {"{ AA [40000] BB }", NULL},
    {"{ AA [1-40000] BB }", NULL},
    {"{ AA [0-0] BB }", NULL},
    {"{ AA [2][3] BB }", NULL},
    {"{ (AA | BB) }", NULL},
    {"{ AA ( BB [1-200] CC | DD ) EE }", NULL},
    {"{ AA ((BB|CC) | DD) EE }", NULL},
    {"{ 4D 5A ?0 ?? 0? [-] 00 }", NULL},
    {"{ AA ~BB ~C? ~?D }", NULL},
    {"{ AA ~?? }", "syntax error"},
    {"AA BB", NULL},
};

static const parse_case regex_cases[] = {
    {"a{3,1}", "bad repeat interval"},
    {"a{1,40000}", "repeat interval too large"},
    {"a{40000}", "repeat interval too large"},
    {"a{32768}", "repeat interval too large"},
    {"ab{32768,}c", "bad repeat interval"},
    {"ab{,32768}c", "repeat interval too large"},
    {"a{0}bc", "bad repeat interval"},
    {"a{0,0}bc", "bad repeat interval"},
    {"ab(c", "syntax error"},
    {"abc)", "syntax error"},
    {"[abc", "missing terminating ] for character class"},
    {"[z-a]", "bad character range"},
    {"[\\w-\\d]bc", "bad character range"},
    {"\\xZZ", "illegal escape sequence"},
    {"\\x4", "illegal escape sequence"},
    {"[\\x4]", "illegal escape sequence"},
    {"|ab", "syntax error"},
    {"(|ab)c", "syntax error"},
    {"a**", "syntax error"},
    {"^*", "syntax error"},
    {"ab\\b*", "syntax error"},
    {"()", "syntax error"},
    {"ab++c", "syntax error"},
    {"{2}ab", "syntax error"},
    {"x{1,3}{2}", "syntax error"},
    {"(?:ab)", "syntax error"},
    {"a\\1", "backreferences are not allowed"},
    {"a\\0bc", "backreferences are not allowed"},
    {"[^]ab", "missing terminating ] for character class"},
    {"[]", "missing terminating ] for character class"},
    {"ab[\xe9]" "c", "non-ascii character"},
    {"a{32767}", NULL},
    {"a{,5}bc", NULL},
    {"a{2,}bc", NULL},
    {"ab{,}c", NULL},
    {"a{x}", NULL},
    {"a{1,2", NULL},
    {"\\k", NULL},
    {"ab|", NULL},
    {"abc||d", NULL},
    {"(ab|)c", NULL},
    {"(a*)*b", NULL},
    {"a+?b", NULL},
    {"a{2}?b", NULL},
    {"[]a]bc", NULL},
    {"[^]a]bc", NULL},
    {"[a-]bc", NULL},
    {"[\\w-z]bc", NULL},
    {"ab\\/c", NULL},
    {"[\\x41-\\x43]bc", NULL},
    {"ab$c", NULL},
    {"a^bc", NULL},
    {"ab\xe9" "c", NULL},
    {"[a\\]]bc", NULL},
    {"\\b\\Bab", NULL},
};

/* yara's RE_MAX_SPLIT_ID: a pattern needing more than 128 split ids is too complex. */
static void test_split_ids(void)
{
    char text[4096];
    for (int k = 128; k <= 131; k++) {
        size_t n = (size_t)snprintf(text, sizeof text, "q(");
        for (int i = 0; i < k; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%sx%03d", i ? "|" : "", i);
        n += (size_t)snprintf(text + n, sizeof text - n, ")");
        vt_pattern *pat = NULL;
        vt_error err;
        vt_error_clear(&err);
        /* k alternatives take k - 1 ids: 129 of them are the most yara takes */
        vt_status st = vt_pattern_parse_regex(text, n, 0, &pat, &err);
        CHECK_INT_EQ(st, k <= 129 ? VT_OK : VT_ERR_LIMIT);
        if (st != VT_OK)
            CHECK_STR_EQ(err.message, "regular expression is too complex");
        vt_pattern_free(pat);
    }
    static const struct {
        const char *text;
        bool hex, ok;
    } cases[] = {
        /* 65 alternatives take 64 ids; {2} has them in a first and a last copy: 128 (yara
         * 4.2.3 accepts it, and refuses {0,2}, {1,2} and {3}: one more) */
        {"a(b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z|A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|Q"
         "|R|S|T|U|V|W|X|Y|Z|0|1|2|3|4|5|6|7|8|9|-|_|=|%){2}", false, true},
        {"a(b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z|A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|Q"
         "|R|S|T|U|V|W|X|Y|Z|0|1|2|3|4|5|6|7|8|9|-|_|=|%){0,2}", false, false},
        {"a(b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z|A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|Q"
         "|R|S|T|U|V|W|X|Y|Z|0|1|2|3|4|5|6|7|8|9|-|_|=|%){3}", false, false},
        /* a repeat's middle copies share the ids of one: 3 */
        {"(a?){129}", false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vt_pattern *pat = NULL;
        vt_error err;
        vt_error_clear(&err);
        vt_status st = cases[i].hex ? vt_pattern_parse_hex(cases[i].text, strlen(cases[i].text),
                                                           &pat, &err)
                                    : vt_pattern_parse_regex(cases[i].text, strlen(cases[i].text),
                                                             0, &pat, &err);
        if ((st == VT_OK) != cases[i].ok)
            printf("# %s: %s\n", cases[i].text, st == VT_OK ? "accepted" : err.message);
        CHECK((st == VT_OK) == cases[i].ok);
        vt_pattern_free(pat);
    }
    /* a hex string's pieces between jumps over 200 bytes count on their own */
    char hex[8192];
    size_t n = (size_t)snprintf(hex, sizeof hex, "{ 61 (");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(hex + n, sizeof hex - n, "%s%02X", i ? " | " : " ", i);
    n += (size_t)snprintf(hex + n, sizeof hex - n, " ) [300] (");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(hex + n, sizeof hex - n, "%s%02X", i ? " | " : " ", i);
    n += (size_t)snprintf(hex + n, sizeof hex - n, " ) 62 }");
    vt_pattern *pat = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_pattern_parse_hex(hex, n, &pat, &err), VT_OK);
    vt_pattern_free(pat);
    pat = NULL;
    memcpy(strstr(hex, "[300]"), "[200]", 5);
    CHECK_INT_EQ(vt_pattern_parse_hex(hex, n, &pat, &err), VT_ERR_LIMIT);
    vt_pattern_free(pat);
}

/* [1] is ?? for yara's atoms, [1-1] a jump that breaks them: { 6? [1] 5F 43 } is slow (its atom
 * is all four bytes), { 6? [1-1] 5F 43 } is not (5F 43), as yara 4.2.3 warns; with or without
 * alternatives (the parser's and the flat check's verdicts). */
static void test_single_jumps(void)
{
    static const struct {
        const char *text;
        bool slow;
    } cases[] = {
        {"{ 6? [1] 5F 43 }", true},
        {"{ 6? [1-1] 5F 43 }", false},
        {"{ 6? [1] 5F 43 ( 01 | 02 ) }", true},
        {"{ 6? [1-1] 5F 43 ( 01 | 02 ) }", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool slow = !cases[i].slow;
        vt_error err;
        CHECK_INT_EQ(vt_pattern_check_hex(cases[i].text, strlen(cases[i].text), &slow, &err),
                     VT_OK);
        if (slow != cases[i].slow)
            printf("# %s: slow %d\n", cases[i].text, slow);
        CHECK(slow == cases[i].slow);
    }
}

static void test_hex_parser_matches_yara(void)
{
    for (size_t i = 0; i < sizeof hex_cases / sizeof hex_cases[0]; i++) {
        const parse_case *c = &hex_cases[i];
        vt_pattern *pat = NULL;
        vt_error err;
        vt_error_clear(&err);
        vt_status st = vt_pattern_parse_hex(c->text, strlen(c->text), &pat, &err);
        if (c->error) {
            if (st == VT_OK)
                printf("# accepted %s\n", c->text);
            CHECK(st != VT_OK);
            CHECK_STR_EQ(err.message, c->error);
            CHECK(err.column >= 1 && err.column <= strlen(c->text) + 1);
        } else {
            if (st != VT_OK)
                printf("# rejected %s: %s\n", c->text, err.message);
            CHECK_INT_EQ(st, VT_OK);
            CHECK(pat != NULL);
        }
        vt_pattern_free(pat);
    }
}

static void test_regex_parser_matches_yara(void)
{
    for (size_t i = 0; i < sizeof regex_cases / sizeof regex_cases[0]; i++) {
        const parse_case *c = &regex_cases[i];
        vt_pattern *pat = NULL;
        vt_error err;
        vt_error_clear(&err);
        vt_status st = vt_pattern_parse_regex(c->text, strlen(c->text), 0, &pat, &err);
        if (c->error) {
            if (st == VT_OK)
                printf("# accepted /%s/\n", c->text);
            CHECK(st != VT_OK);
            CHECK_STR_EQ(err.message, c->error);
            CHECK(err.column >= 1 && err.column <= strlen(c->text) + 1);
        } else {
            if (st != VT_OK)
                printf("# rejected /%s/: %s\n", c->text, err.message);
            CHECK_INT_EQ(st, VT_OK);
        }
        vt_pattern_free(pat);
    }
}

static void test_error_columns_point_at_the_problem(void)
{
    vt_pattern *pat = NULL;
    vt_error err;
    vt_error_clear(&err);
    CHECK(vt_pattern_parse_hex("{ AA [3-1] BB }", 15, &pat, &err) != VT_OK);
    CHECK_INT_EQ(err.column, 10);
    vt_error_clear(&err);
    CHECK(vt_pattern_parse_regex("abc[x", 5, 0, &pat, &err) != VT_OK);
    CHECK_INT_EQ(err.column, 4);
    vt_error_clear(&err);
    CHECK(vt_pattern_parse_regex("ab\\xZ1", 6, 0, &pat, &err) != VT_OK);
    CHECK_INT_EQ(err.column, 3);
    /* NULL error record is allowed */
    CHECK(vt_pattern_parse_regex("(", 1, 0, &pat, NULL) == VT_ERR_SYNTAX);
    CHECK(pat == NULL);
}

/* vt_pattern_check_hex (the compiler's check, without a syntax tree for strings without
 * alternatives) gives the parser's verdict, message and column, and vt_hex_pattern_is_slow's. */
static void check_hex_agrees(const char *text)
{
    vt_pattern *pat = NULL;
    vt_error e1, e2;
    vt_error_clear(&e1);
    vt_error_clear(&e2);
    vt_status s1 = vt_pattern_parse_hex(text, strlen(text), &pat, &e1);
    bool slow1 = s1 == VT_OK && vt_hex_pattern_is_slow(pat);
    vt_pattern_free(pat);
    bool slow2 = !slow1;
    vt_status s2 = vt_pattern_check_hex(text, strlen(text), &slow2, &e2);
    if (s1 != s2 || slow1 != slow2)
        printf("# check_hex differs on %s\n", text);
    CHECK_INT_EQ(s2, s1);
    CHECK_INT_EQ(slow2, slow1);
    if (s1 != VT_OK) {
        CHECK_STR_EQ(e2.message, e1.message);
        CHECK_INT_EQ(e2.column, e1.column);
    }
}

static void test_check_hex_agrees_with_the_parser(void)
{
    static const char *const flat[] = {
        "{ 4D 5A 90 00 }", "4D 5A", "{4D5A}", "{ 4D\r\n5A\t}", " { 4D } ", "{ 00 00 }",
        "{ 00 ?? 00 }", "{ 4? ?D 5A }", "{ ~4D 5A 90 00 }", "{ ~4? 5A }", "{ 4D ~5A 90 00 E8 }",
        "{ 4D [1] 5A }", "{ 4D [1-1] 5A }", "{ 4D [0-0] 5A 90 }", "{ 4D [-] 5A }",
        "{ 4D [3-] 5A }", "{ 4D [ 2 - 4 ] 5A }", "{ 4D 5A [200] 90 00 }",
        "{ 4D 5A [201] 90 00 E8 }", "{ 4D 5A 90 00 [300-] 01 }",
        "{ 4D 5A 90 00 E8 [300] 00 00 }", "{ 00 00 [300] 4D 5A 90 00 E8 }",
        "{ 4D 5A 90 00 E8 [2-4] 00 00 }", "{ 4D [999999999] 5A }",
        "{ 4D [1000000000] 5A }", "{ 4D [2147483648] 5A }", "{ 4D [4294967297] 5A }",
        "{ 4D [1] [2] 5A }", "{ 61 [2-3] 62 63 64 }", "{ 4D 5A // c\n }", "{ 4D /* x */ 5A }",
        "{ 4D ( 5A | 90 ) 00 }", "{ 4D [0] 5A }", "{ 4D [-3] 5A }", "{ [1] 4D }", "{ 4D [1] }",
        "{ 4D [2-1] 5A }", "{ 4D [1 2] 5A }", "{ 4D [a] 5A }", "{ ~?? 4D }", "{ ~ 4D }",
        "{ 4D }}", "{ 4D } 5A", "{ 4D", "4D }", "{ 4D 5 }", "{}", "",
    };
    for (size_t i = 0; i < sizeof flat / sizeof flat[0]; i++)
        check_hex_agrees(flat[i]);
    for (size_t i = 0; i < sizeof hex_cases / sizeof hex_cases[0]; i++)
        check_hex_agrees(hex_cases[i].text);
}

int main(void)
{
    RUN(test_hex_parser_matches_yara);
    RUN(test_split_ids);
    RUN(test_single_jumps);
    RUN(test_regex_parser_matches_yara);
    RUN(test_error_columns_point_at_the_problem);
    RUN(test_check_hex_agrees_with_the_parser);
    return check_done();
}
