/* test_match_atoms.c: the strings whose matches depend on the atoms yara 4.2.3 verifies them
 * from (docs/patterns.md, "Matching semantics"), each compared at test time with the real
 * yara's output: the multi-string matcher, the same matcher saved and loaded, and the
 * single-string reference scan must report exactly yara's offsets and lengths. For the cases
 * that exist because of yara's atoms, the leftmost-priority verifier (what a condition regex
 * uses) must give something else, so the case really exercises the emulation. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/match.h>
#include <vitrine/pattern.h>

#include "../check.h"

#define IPV6                                                                                   \
    "(([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:)"  \
    "{1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]"     \
    "{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|"  \
    "([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4})"  \
    "{1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]{1,}|::"   \
    "(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\\.){3,3}(25[0-5]|"   \
    "(2[0-4]|1{0,1}[0-9]){0,1}[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9])" \
    "{0,1}[0-9])\\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))"

typedef struct atom_case {
    const char *rule_string; /* as written in the rule */
    vt_string_kind kind;
    const char *source;      /* hex or regex source */
    unsigned modifiers, regex_flags;
    const char *data;
    size_t data_len;
    bool from_atoms;         /* the leftmost-priority match differs from yara's here */
    bool planted;            /* data is planted many times in a longer buffer (see below) */
} atom_case;

#define DATA(s) s, sizeof s - 1

static const atom_case cases[] = {
    /* an alternation whose atoms sit in its branches: the shorter branch's atom ends first */
    {"{ 20 ( 20 41 | 20 ) }", VT_STRING_HEX, "{ 20 ( 20 41 | 20 ) }", 0, 0,
     DATA("xx\x20\x20\x41yy\x20\x20\x20\x41"), true, false},
    /* a leading x{0,1}: yara's zero-length atom starts after its SPLIT, so x is required */
    {"/[_b]{0,1}?z?\?/", VT_STRING_REGEX, "[_b]{0,1}?z?\?", 0, 0, DATA("xb_bz-B"), true, false},
    {"/[_b]{0,1}?z?\?/i nocase", VT_STRING_REGEX, "[_b]{0,1}?z?\?", VT_MOD_NOCASE,
     VT_REGEX_NOCASE, DATA("xb_bz-B"), true, false},
    {"/O?\\w\\W/ wide ascii", VT_STRING_REGEX, "O?\\w\\W", VT_MOD_WIDE | VT_MOD_ASCII, 0,
     DATA("xxOa-y.B.zz"), true, false},
    /* wide and ascii: an atom whose ascii forward match succeeds is never tried wide */
    {"/[z-z]c|ca/i wide ascii", VT_STRING_REGEX, "[z-z]c|ca", VT_MOD_WIDE | VT_MOD_ASCII,
     VT_REGEX_NOCASE, DATA("z\0c\0 ca zc Z\0C\0a\0"), true, false},
    /* fullword: a later atom hit gives the same start a longer match that passes the check */
    {"/[a-z]{1,4}?x/ fullword", VT_STRING_REGEX, "[a-z]{1,4}?x", VT_MOD_FULLWORD, 0,
     DATA(" axbx "), true, false},
    /* jumps before the atom: the nearest atom hit wins, not the lexicographically lazy path */
    {"{ 01 [0-2] 02 [0-2] 03 04 05 06 }", VT_STRING_HEX, "{ 01 [0-2] 02 [0-2] 03 04 05 06 }",
     0, 0, DATA("\x01\x02\x02\xAA\xAA\x03\x04\x05\x06"), false, false},
    /* utils/ip.yar's $ipv6 */
    {"/" IPV6 "/ wide ascii", VT_STRING_REGEX, IPV6, VT_MOD_WIDE | VT_MOD_ASCII, 0,
     DATA("a 2001:db8::1 fe80::1%eth0 ::ffff:192.168.1.1 1:2:3:4:5:6:7:8 ab::cd:1.2.3.4 "
          "f\0e\0:\0:\0"),
     true, false},
    /* a repeat whose body can match empty: yara's fibers drop a path that runs one split twice
     * in a closure, so (a?){3,5} cannot match nothing */
    {"/x(a?){3,5}y/", VT_STRING_REGEX, "x(a?){3,5}y", 0, 0, DATA("xy xay xaay xaaaaaay"), true, false},
    /* yara 4.2.3's \b holds at the start and at the end of the data, whatever is there */
    {"/\\b\\W/", VT_STRING_REGEX, "\\b\\W", 0, 0, DATA("-- ab"), false, false},
    {"/\\W\\b/", VT_STRING_REGEX, "\\W\\b", 0, 0, DATA("a--"), false, false},
    /* jumps over 200 bytes: yara splits the string into chained pieces (filled in below) */
    {"{ 01 02 03 [201-400] 04 05 06 [201-400] 07 08 09 }", VT_STRING_HEX,
     "{ 01 02 03 [201-400] 04 05 06 [201-400] 07 08 09 }", 0, 0, NULL, 0, false, false},
    /* a negated class with nocase excludes both cases (not an atom matter) */
    {"/[^B]c/i", VT_STRING_REGEX, "[^B]c", 0, VT_REGEX_NOCASE, DATA("abc aBc axc"), false, false},
    /* planted at the edges of the 32-byte blocks the atom search looks at together, in the
     * last 33 bytes it looks at one by one, and at the very end */
    {"/[z-z]c|ca/i wide ascii", VT_STRING_REGEX, "[z-z]c|ca", VT_MOD_WIDE | VT_MOD_ASCII,
     VT_REGEX_NOCASE, DATA("z\0c\0 ca zc Z\0C\0a\0"), true, true},
    {"/(\\\\x70|\\\\160)(o|\\\\x6f)[\\t ]*(\\(|\\\\x28)/ nocase wide ascii",
     VT_STRING_REGEX, "(\\\\x70|\\\\160)(o|\\\\x6f)[\\t ]*(\\(|\\\\x28)",
     VT_MOD_NOCASE | VT_MOD_WIDE | VT_MOD_ASCII, VT_REGEX_NOCASE,
     DATA("\\x70O (\\\0" "1\0" "6\0" "0\0" "o\0" "(\0 \\160\\x6F\\x28"), false, true},
    {"/=\\s*['\"]?\\$(ENV\\{|SIG\\{)/ wide ascii", VT_STRING_REGEX,
     "=\\s*['\"]?\\$(ENV\\{|SIG\\{)", VT_MOD_WIDE | VT_MOD_ASCII, 0,
     DATA("= $ENV{=\0 \0$\0S\0I\0G\0{\0 ==\t'$SIG{"), false, true},
    /* single bytes apart by jumps (ditekshen's powershell as ascii or wide): one Vectorscan
     * regex with the jumps as .{0,1}, the match start bounded by the jumps' slack */
    {"{ ( 50 | 70 ) [0-1] ( 4F | 6F ) [0-1] ( 57 | 77 ) [0-1] ( 45 | 65 ) [0-1] ( 52 | 72 ) }",
     VT_STRING_HEX,
     "{ ( 50 | 70 ) [0-1] ( 4F | 6F ) [0-1] ( 57 | 77 ) [0-1] ( 45 | 65 ) [0-1] ( 52 | 72 ) }",
     0, 0, DATA("P\0o\0W\0e\0R powEr pxoxwxexr"), false, true},
    /* a hex string with a common atom (48 8D) whose hits mostly die within a few bytes, one
     * at the end of the data, cut short by it */
    {"{ 0F B? [1-8] 48 8D [2] 4? 3? [2-10] E8 }", VT_STRING_HEX,
     "{ 0F B? [1-8] 48 8D [2] 4? 3? [2-10] E8 }", 0, 0,
     DATA("\x0F\xB6\x01\x48\x8D\x00\x00\x41\x31\x00\x00\xE8\x48\x8D\x00\x00\x51"
          "\x0F\xB7\x48\x8D\x48\x8D\x4F\x3F\x01\x02\xE8\x0F\xB1\x02\x48\x8D"),
     false, true},
    /* wide and ascii with an assertion before the atom: the ascii forward match from x at 1
     * succeeds and its \b fails, so yara never tries that hit wide (found by seed 20261226) */
    {"/\\bx.{0,8}z/ wide ascii", VT_STRING_REGEX, "\\bx.{0,8}z", VT_MOD_WIDE | VT_MOD_ASCII, 0,
     DATA("xx\0f\0z\0"), true, false},
    /* two variable jumps after the atom: yr_re_fast_exec keeps one position per input byte,
     * so the path through [4-5] 00 ?? meets the one through [6-7] at one byte and is dropped:
     * 13 bytes at 0, not the 11 of the shortest path */
    {"{ 00 [4-7] 00 ?? [1-2] 00 }", VT_STRING_HEX, "{ 00 [4-7] 00 ?? [1-2] 00 }", 0, 0,
     DATA("\x01\x00\x31\x46\x66\x66\x5F\x00\x6C\x00\x65\x00\x69\x00\x6C\x01"),
     true, false},
    /* an atom in a repeat: the backward code from a hit in a later copy runs over the copies
     * before it, so the c+ branch's hit at the second c gives dcc2 at 0 (the last verified
     * length of a greedy regex) though its atom sits in the first copy (seed 20261231) */
    {"/d(c+|c)./", VT_STRING_REGEX, "d(c+|c).", 0, 0, DATA("dcc2 dccc2 xdc3"), false, false},
    /* ... and of a greedy string the last hit verified gives the length: the c+ copy's hit at
     * 3 gives abaabb at 0, where the first copy alone gives abaa */
    {"/(ab(b|aa|a))+/", VT_STRING_REGEX, "(ab(b|aa|a))+", 0, 0, DATA("xabaabbx"), true, false},
    /* ... of a fullword one, the first that passes the check */
    {"/(a)+?./ fullword", VT_STRING_REGEX, "(a)+?.", VT_MOD_FULLWORD, 0, DATA(" aaA "), true,
     false},
    /* yara's e+ jumps back past a leading x?'s SPLIT: x is required in the later copies, so
     * x(a?b)+ is "xb" in "xbbbc" (and every regex, conditions' too, is compiled so) */
    {"/x(a?b)+c*/", VT_STRING_REGEX, "x(a?b)+c*", 0, 0, DATA("zxbbbc xabab"), false, false},
    /* yara's e{n,m}: a prolog, a repeat section, a SPLIT and an epilog copy; the lazy paths
     * through the epilog alone come before those through the repeat section */
    {"/xa(\\wc[^c]*?){0,2}?c/", VT_STRING_REGEX, "xa(\\wc[^c]*?){0,2}?c", 0, 0,
     DATA("xaBcacabBB aBAacbba"), false, false},
    /* yara's hex grammar makes [1] a ?? and [1-1] a jump, which breaks atoms: here 61 is the
     * atom, where [1] would give the branches' atoms (the second branch's ends first) */
    {"{ 61 ( 62 [1-1] 62 | 62 [3-3] ?1 ) 62 }", VT_STRING_HEX,
     "{ 61 ( 62 [1-1] 62 | 62 [3-3] ?1 ) 62 }", 0, 0, DATA("ababbab"), false, false},
    {"{ 61 ( 62 [1] 62 | 62 [3] 61 ) 62 }", VT_STRING_HEX, "{ 61 ( 62 [1] 62 | 62 [3] 61 ) 62 }",
     0, 0, DATA("ababbab"), true, false},
};

static char workdir[64];

/* Data for the chained string: two candidates for the middle piece, three for the last. */
static char chained_data[1200];

static void make_chained_data(void)
{
    memset(chained_data, 0xEE, sizeof chained_data);
    memcpy(chained_data + 0, "\x01\x02\x03", 3);
    memcpy(chained_data + 210, "\x04\x05\x06", 3);
    memcpy(chained_data + 390, "\x04\x05\x06", 3);
    memcpy(chained_data + 420, "\x07\x08\x09", 3);
    memcpy(chained_data + 700, "\x07\x08\x09", 3);
    memcpy(chained_data + 800, "\x07\x08\x09", 3);
    memcpy(chained_data + 900, "\x01\x02\x03", 3);
}

/* Planted data: a case's data at the offsets below in a buffer of bytes that start no atom
 * of these cases (later copies overwrite earlier ones), the last copy ending the buffer. */
static char planted_data[420];

static size_t make_planted_data(const atom_case *c)
{
    static const size_t at[] = {0, 31, 32, 63, 64, 100, 130, 200, 260, 300};
    size_t len = sizeof planted_data;
    for (size_t i = 0; i < len; i++)
        planted_data[i] = (char)(0x90 + i % 7);
    if (c->data_len + 34 > len) { /* every copy below must fit */
        fprintf(stderr, "make_planted_data: a case of %zu bytes is too long\n", c->data_len);
        abort();
    }
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        if (at[i] <= len - c->data_len)
            memcpy(planted_data + at[i], c->data, c->data_len);
    /* the copies ending 34, 33, 32 and 1 bytes before the end, and at the end */
    for (size_t back = 34; back >= 32; back--)
        memcpy(planted_data + len - back - c->data_len, c->data, c->data_len);
    memcpy(planted_data + len - 1 - c->data_len, c->data, c->data_len);
    memcpy(planted_data + len - c->data_len, c->data, c->data_len);
    return len;
}

/* "OFF:LEN OFF:LEN ..." as yara -s -L prints them */
static void yara_result(const atom_case *c, char *out, size_t cap)
{
    char rules[128], data[128], cmd[512], line[4096];
    snprintf(rules, sizeof rules, "%s/r.yar", workdir);
    snprintf(data, sizeof data, "%s/data", workdir);
    FILE *f = fopen(rules, "w");
    if (f) {
        fprintf(f, "rule r { strings: $a = %s condition: $a }\n", c->rule_string);
        fclose(f);
    }
    f = fopen(data, "wb");
    if (f) {
        fwrite(c->data, 1, c->data_len, f);
        fclose(f);
    }
    snprintf(cmd, sizeof cmd, "yara -s -L -w %s %s", rules, data);
    out[0] = 0;
    size_t n = 0;
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p)) {
        char *end = strstr(line, ":$a:");
        if (strncmp(line, "0x", 2) != 0 || !end)
            continue;
        unsigned long long off = strtoull(line + 2, NULL, 16);
        unsigned long len = strtoul(strchr(line, ':') + 1, NULL, 10);
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%llx:%lu ", off, len);
    }
    if (p)
        pclose(p);
}

typedef struct collect {
    char *out;
    size_t n, cap;
} collect;

static int on_match(void *ctx, const vt_match *m)
{
    collect *c = ctx;
    c->n += (size_t)snprintf(c->out + c->n, c->n < c->cap ? c->cap - c->n : 0, "%llx:%u ",
                             (unsigned long long)m->offset, m->length);
    return 0;
}

static void single_scan(const vt_string_matcher *m, const atom_case *c, char *out, size_t cap)
{
    collect col = {out, 0, cap};
    out[0] = 0;
    vt_match_scratch *s = vt_match_scratch_new();
    vt_error err;
    CHECK(s && vt_string_matcher_scan(m, s, (const uint8_t *)c->data, c->data_len, on_match,
                                      &col, &err) == VT_OK);
    vt_match_scratch_free(s);
}

static void matcher_scan(const vt_matcher *m, const atom_case *c, char *out, size_t cap)
{
    collect col = {out, 0, cap};
    out[0] = 0;
    vt_matcher_scratch *s = vt_matcher_scratch_new(m);
    vt_error err;
    CHECK(s && vt_matcher_scan(m, s, (const uint8_t *)c->data, c->data_len, on_match, &col,
                               &err) == VT_OK);
    vt_matcher_scratch_free(s);
}

static void test_atom_dependent_strings_match_yara(void)
{
    snprintf(workdir, sizeof workdir, "/tmp/vitrine-match-atoms.XXXXXX");
    CHECK(mkdtemp(workdir) != NULL);
    static char want[8192], got[8192], leftmost[8192];
    make_chained_data();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        atom_case chained = cases[i];
        if (!chained.data) {
            chained.data = chained_data;
            chained.data_len = sizeof chained_data;
        }
        if (chained.planted) {
            chained.data_len = make_planted_data(&cases[i]);
            chained.data = planted_data;
        }
        const atom_case *c = &chained;
        vt_string_spec spec = {.kind = c->kind, .data = (const uint8_t *)c->source,
                               .len = strlen(c->source), .modifiers = c->modifiers,
                               .regex_flags = c->regex_flags};
        yara_result(c, want, sizeof want);
        printf("# %.60s: yara %.200s\n", c->rule_string, want);
        CHECK(want[0] != 0); /* every case matches something in yara */
        vt_error err;
        vt_string_matcher *sm = NULL, *lm = NULL;
        CHECK_INT_EQ(vt_string_matcher_new(&spec, 0, &sm, &err), VT_OK);
        CHECK_INT_EQ(vt_regex_matcher_new(&spec, &lm, &err), VT_OK);
        if (!sm || !lm)
            continue;
        single_scan(sm, c, got, sizeof got);
        CHECK_STR_EQ(got, want);
        single_scan(lm, c, leftmost, sizeof leftmost);
        if (c->from_atoms)
            CHECK(strcmp(leftmost, want) != 0);
        vt_matcher *m = NULL, *loaded = NULL;
        vt_buf saved = {0};
        CHECK_INT_EQ(vt_matcher_build(&spec, 1, &m, &err), VT_OK);
        CHECK_INT_EQ(vt_matcher_serialize(m, &saved, &err), VT_OK);
        CHECK_INT_EQ(vt_matcher_deserialize(saved.data, saved.len, &loaded, &err), VT_OK);
        if (m && loaded) {
            matcher_scan(m, c, got, sizeof got);
            CHECK_STR_EQ(got, want);
            matcher_scan(loaded, c, got, sizeof got);
            CHECK_STR_EQ(got, want);
        }
        vt_buf_free(&saved);
        vt_matcher_free(m);
        vt_matcher_free(loaded);
        vt_string_matcher_free(sm);
        vt_string_matcher_free(lm);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", workdir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(test_atom_dependent_strings_match_yara);
    return check_done();
}
