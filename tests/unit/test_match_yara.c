/* test_match_yara.c: differential test of the string matcher against the real yara 4.2.3.
 * With a fixed seed it generates data files (random bytes with planted words in plain, upper
 * case, wide, xor-ed and base64 forms) and many text, hex and regex strings, runs
 * `yara -s -L -w` and the vitrine matcher, and compares every (offset, length, data) line.
 * Parse verdicts are compared too: a string yara rejects must be rejected by vitrine. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/match.h>
#include <vitrine/pattern.h>

#include "../check.h"

#define DATA_LEN 6000
#define NUM_STRINGS 1500
#define MAX_SRC 400

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static const char filler[] = "abcABC01_ -.xyz\n";

typedef struct gen_string {
    char src[MAX_SRC];     /* as written in the rule, modifiers included */
    vt_string_spec spec;
    uint8_t body[MAX_SRC]; /* text bytes or pattern source */
    size_t body_len;
    char alphabet[65];
    bool dropped;          /* yara rejected it */
    vt_string_matcher *matcher;
} gen_string;

static char words[40][12];
static size_t word_len[40];

static void make_words(void)
{
    for (int i = 0; i < 40; i++) {
        size_t n = 3 + rnd(6);
        for (size_t k = 0; k < n; k++)
            words[i][k] = filler[rnd(sizeof filler - 2)];
        word_len[i] = n;
    }
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t plant(uint8_t *d, size_t at, size_t cap)
{
    int w = (int)rnd(40);
    size_t n = word_len[w];
    const char *s = words[w];
    int form = (int)rnd(7);
    size_t k = 0;
    if (form == 0 || form == 1) { /* plain / upper */
        for (size_t i = 0; i < n && at + k < cap; i++, k++)
            d[at + k] = (uint8_t)(form == 1 && s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    } else if (form == 2) { /* wide */
        for (size_t i = 0; i < n && at + k + 1 < cap; i++, k += 2) {
            d[at + k] = (uint8_t)s[i];
            d[at + k + 1] = 0;
        }
    } else if (form == 3) { /* xor */
        uint8_t key = (uint8_t)rnd(8);
        for (size_t i = 0; i < n && at + k < cap; i++, k++)
            d[at + k] = (uint8_t)s[i] ^ key;
    } else if (form == 4) { /* base64 with 0-2 leading bytes */
        uint8_t tmp[16];
        size_t lead = rnd(3), m = 0;
        for (size_t i = 0; i < lead; i++)
            tmp[m++] = (uint8_t)filler[rnd(10)];
        memcpy(tmp + m, s, n);
        m += n;
        for (size_t i = 0; i * 6 < m * 8 && at + k < cap; i++, k++) {
            unsigned v = 0;
            for (int b = 0; b < 6; b++) {
                size_t bit = i * 6 + (size_t)b;
                v = v << 1 | (bit / 8 < m ? (tmp[bit / 8] >> (7 - bit % 8)) & 1 : 0);
            }
            d[at + k] = (uint8_t)b64[v];
        }
    } else { /* plain followed by a word char or punctuation, for fullword */
        for (size_t i = 0; i < n && at + k < cap; i++, k++)
            d[at + k] = (uint8_t)s[i];
    }
    return k;
}

static void make_data(uint8_t *d, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (rnd(8) == 0) {
            i += plant(d, i, len);
        } else {
            uint32_t r = rnd(20);
            d[i++] = r < 17 ? (uint8_t)filler[rnd(sizeof filler - 1)] : (uint8_t)rnd(256);
        }
    }
}

/* --- generators ---------------------------------------------------------------------------- */

typedef struct out_buf {
    char *p;
    size_t n, cap;
} out_buf;

static void put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k > 0 && o->n + (size_t)k < o->cap)
        o->n += (size_t)k;
}

static void regex_char(out_buf *o, uint8_t c)
{
    if (strchr("\\^$.|?*+()[]{}/", c) && c)
        put(o, "\\%c", c);
    else if (c < 0x20 || c >= 0x7F)
        put(o, "\\x%02x", c);
    else
        put(o, "%c", c);
}

static void class_char(out_buf *o, uint8_t c)
{
    if (strchr("\\]^-[/", c) && c)
        put(o, "\\%c", c);
    else if (c < 0x20 || c >= 0x7F)
        put(o, "\\x%02x", c);
    else
        put(o, "%c", c);
}

static void regex_quant(out_buf *o)
{
    switch (rnd(14)) {
    case 0: put(o, "*"); break;
    case 1: put(o, "+"); break;
    case 2: put(o, "?"); break;
    case 3: put(o, "*?"); break;
    case 4: put(o, "+?"); break;
    case 5: put(o, "??"); break;
    case 6: { int a = (int)rnd(3), b = a + (int)rnd(4); put(o, "{%d,%d}", a, b ? b : 1); break; }
    case 7: { int a = 1 + (int)rnd(3); put(o, "{%d}", a); break; }
    case 8: { int a = (int)rnd(3), b = a + (int)rnd(4); put(o, "{%d,%d}?", a, b ? b : 1); break; }
    case 9: put(o, "{%d,}", (int)rnd(3)); break;
    default: break;
    }
}

static void regex_atom(out_buf *o, uint8_t c, int depth)
{
    switch (rnd(16)) {
    case 0: put(o, "."); break;
    case 1: put(o, "["); class_char(o, c); class_char(o, (uint8_t)filler[rnd(10)]); put(o, "]"); break;
    case 2: {
        uint8_t lo = c > 2 ? (uint8_t)(c - rnd(3)) : c;
        put(o, "[");
        class_char(o, lo);
        put(o, "-");
        class_char(o, c);
        put(o, "]");
        break;
    }
    case 3: put(o, "[^"); class_char(o, (uint8_t)filler[rnd(10)]); put(o, "]"); break;
    case 4: put(o, "%s", (c >= '0' && c <= '9') ? "\\d" : (c == ' ' || c == '\n') ? "\\s" : "\\w"); break;
    case 5: put(o, "%s", "\\W"); break;
    case 6:
        if (depth < 2) {
            put(o, "(");
            regex_char(o, c);
            put(o, "|");
            regex_char(o, (uint8_t)filler[rnd(sizeof filler - 1)]);
            if (rnd(3) == 0)
                put(o, "%c", filler[rnd(6)]);
            put(o, ")");
            break;
        }
        /* fall through */
    default: regex_char(o, c); break;
    }
}

static void gen_regex(gen_string *g, const uint8_t *data)
{
    out_buf o = {(char *)g->body, 0, MAX_SRC / 2};
    size_t n = 2 + rnd(7), at = rnd(DATA_LEN - 16);
    if (rnd(10) == 0)
        put(&o, rnd(2) ? "^" : "\\b");
    for (size_t i = 0; i < n; i++) {
        if (rnd(9) == 0 && i > 0) {
            put(&o, "(");
            regex_atom(&o, data[at + i], 1);
            regex_atom(&o, data[at + i + 1], 1);
            put(&o, ")");
            i++;
        } else {
            regex_atom(&o, data[at + i], 0);
        }
        if (rnd(3) == 0)
            regex_quant(&o);
    }
    if (rnd(12) == 0)
        put(&o, rnd(2) ? "$" : "\\b");
    if (rnd(15) == 0)
        put(&o, "|%c%c", filler[rnd(6)], filler[rnd(6)]);
    g->body_len = o.n;
    g->spec.kind = VT_STRING_REGEX;
    unsigned f = 0;
    if (rnd(5) == 0)
        f |= VT_REGEX_NOCASE;
    if (rnd(4) == 0)
        f |= VT_REGEX_DOTALL;
    g->spec.regex_flags = f;
    unsigned mods = 0;
    if (rnd(6) == 0)
        mods |= VT_MOD_WIDE | (rnd(2) ? VT_MOD_ASCII : 0);
    if (rnd(8) == 0)
        mods |= VT_MOD_NOCASE;
    if (rnd(7) == 0)
        mods |= VT_MOD_FULLWORD;
    g->spec.modifiers = mods;
    snprintf(g->src, sizeof g->src, "/%.*s/%s%s%s%s%s%s", (int)o.n, g->body,
             f & VT_REGEX_NOCASE ? "i" : "", f & VT_REGEX_DOTALL ? "s" : "",
             mods & VT_MOD_WIDE ? " wide" : "", mods & VT_MOD_ASCII ? " ascii" : "",
             mods & VT_MOD_NOCASE ? " nocase" : "", mods & VT_MOD_FULLWORD ? " fullword" : "");
}

static void gen_hex(gen_string *g, const uint8_t *data)
{
    out_buf o = {(char *)g->body, 0, MAX_SRC / 2};
    size_t n = 2 + rnd(8), at = rnd(DATA_LEN - 40);
    put(&o, "{ ");
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[at];
        bool edge = i == 0 || i + 1 == n;
        uint32_t r = rnd(14);
        if (!edge && r == 0) {
            unsigned a = rnd(4), b = a + rnd(4);
            if (rnd(3) == 0)
                put(&o, "[%u] ", a + 1), at += a + 1;
            else
                put(&o, "[%u-%u] ", a, b), at += a;
            c = data[at];
        }
        r = rnd(14);
        if (r == 1)
            put(&o, "?%X ", c & 15);
        else if (r == 2)
            put(&o, "%X? ", c >> 4);
        else if (r == 3 && !edge)
            put(&o, "?? ");
        else if (r == 4) {
            put(&o, "( %02X ", c);
            if (rnd(2))
                put(&o, "%02X ", data[at + 1]), at++;
            put(&o, "| %02X", (uint8_t)filler[rnd(sizeof filler - 1)]);
            if (rnd(2))
                put(&o, " ?%X", rnd(16));
            put(&o, " ) ");
        } else
            put(&o, "%02X ", c);
        at++;
    }
    put(&o, "}");
    g->body_len = o.n;
    g->spec.kind = VT_STRING_HEX;
    snprintf(g->src, sizeof g->src, "%.*s", (int)o.n, g->body);
}

static void text_escape(char *out, size_t cap, const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        if (s[i] == '"' || s[i] == '\\' || s[i] < 0x20 || s[i] >= 0x7F)
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", s[i]);
        else
            out[k++] = (char)s[i];
    }
    out[k] = 0;
}

static void gen_text(gen_string *g, const uint8_t *data)
{
    size_t n;
    if (rnd(3)) {
        int w = (int)rnd(40);
        n = word_len[w];
        memcpy(g->body, words[w], n);
        if (n > 3 && rnd(3) == 0)
            n -= rnd(2);
    } else {
        n = 1 + rnd(5);
        memcpy(g->body, data + rnd(DATA_LEN - 8), n);
    }
    g->body_len = n;
    g->spec.kind = VT_STRING_TEXT;
    unsigned mods = 0;
    char extra[64] = "";
    uint32_t r = rnd(10);
    if (r == 0 && n >= 3) {
        mods |= rnd(3) ? VT_MOD_BASE64 : (VT_MOD_BASE64 | VT_MOD_BASE64WIDE);
        if (rnd(3) == 0)
            mods = VT_MOD_BASE64WIDE;
    } else if (r == 1 || r == 2) {
        mods |= VT_MOD_XOR;
        g->spec.xor_min = 0;
        g->spec.xor_max = 255;
        if (rnd(2)) {
            g->spec.xor_min = (uint8_t)rnd(4);
            g->spec.xor_max = (uint8_t)(g->spec.xor_min + rnd(6));
            snprintf(extra, sizeof extra, "(%u-%u)", g->spec.xor_min, g->spec.xor_max);
        }
        if (rnd(3) == 0)
            mods |= VT_MOD_WIDE | (rnd(2) ? VT_MOD_ASCII : 0);
        if (rnd(4) == 0)
            mods |= VT_MOD_FULLWORD;
    } else {
        if (rnd(3) == 0)
            mods |= VT_MOD_NOCASE;
        if (rnd(3) == 0)
            mods |= VT_MOD_WIDE | (rnd(2) ? VT_MOD_ASCII : 0);
        if (rnd(3) == 0)
            mods |= VT_MOD_FULLWORD;
        if (rnd(10) == 0)
            mods |= VT_MOD_PRIVATE;
    }
    g->spec.modifiers = mods;
    char esc[MAX_SRC / 2];
    text_escape(esc, sizeof esc, g->body, n);
    snprintf(g->src, sizeof g->src, "\"%s\"%s%s%s%s%s%s%s%s%s", esc,
             mods & VT_MOD_NOCASE ? " nocase" : "", mods & VT_MOD_WIDE ? " wide" : "",
             mods & VT_MOD_ASCII ? " ascii" : "", mods & VT_MOD_FULLWORD ? " fullword" : "",
             mods & VT_MOD_XOR ? " xor" : "", mods & VT_MOD_XOR ? extra : "",
             mods & VT_MOD_BASE64 ? " base64" : "", mods & VT_MOD_BASE64WIDE ? " base64wide" : "",
             mods & VT_MOD_PRIVATE ? " private" : "");
}

/* --- running yara ---------------------------------------------------------------------------- */

static const char *workdir;

static int write_rules(gen_string *gs, size_t count, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!gs[i].dropped)
            fprintf(f, "rule r%zu { strings: $a = %s condition: $a }\n", i, gs[i].src);
        else
            fprintf(f, "\n");
    fclose(f);
    return 0;
}

/* Compile with yarac until it accepts; strings it rejects are dropped and counted. */
static size_t drop_rejected(gen_string *gs, size_t count, const char *rules, size_t *wrong)
{
    size_t dropped = 0;
    for (int round = 0; round < 400; round++) {
        write_rules(gs, count, rules);
        char cmd[2200], line[2048];
        snprintf(cmd, sizeof cmd, "yarac -w %s %s/compiled.yarc 2>&1", rules, workdir);
        FILE *p = popen(cmd, "r");
        if (!p)
            return dropped;
        long bad = -1;
        char msg[2048] = "";
        while (fgets(line, sizeof line, p)) {
            char *lp = strstr(line, ".yar(");
            if (lp && bad < 0) {
                bad = strtol(lp + 5, NULL, 10) - 1;
                snprintf(msg, sizeof msg, "%s", line);
            }
        }
        pclose(p);
        if (bad < 0 || (size_t)bad >= count)
            return dropped;
        gs[bad].dropped = true;
        dropped++;
        /* we accepted it (it was generated only if vitrine compiled it) */
        (*wrong)++;
        printf("# yara rejects what vitrine accepts: %s\n#   %s", gs[bad].src, msg);
    }
    return dropped;
}

typedef struct line_set {
    char **lines;
    size_t n, cap;
} line_set;

static void add_line(line_set *s, const char *l)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->lines = realloc(s->lines, s->cap * sizeof *s->lines);
    }
    s->lines[s->n++] = strdup(l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_lines(line_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
}

/* yara's lines as "rN 0xOFF:LEN:DATA" */
static void yara_lines(const char *rules, const char *data, line_set *out)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "yara -s -L -w %s %s", rules, data);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    static char line[1 << 16];
    char rule[64] = "";
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 'r') {
            snprintf(rule, sizeof rule, "%.*s", (int)strcspn(line, " "), line);
            continue;
        }
        char *id = strstr(line, ":$a: ");
        if (!id)
            continue;
        *id = 0;
        static char buf[(1 << 16) + 256];
        snprintf(buf, sizeof buf, "%s %s:%s", rule, line, id + 5);
        add_line(out, buf);
    }
    pclose(p);
}

typedef struct multi_collect {
    line_set *out;
    const size_t *index; /* matcher string id -> generated string index */
    gen_string *gs;
    const uint8_t *data;
} multi_collect;

static int on_multi_match(void *ctx, const vt_match *m)
{
    multi_collect *c = ctx;
    size_t i = c->index[m->string_id];
    static char text[1 << 15];
    vt_match_format_data(c->gs[i].matcher, c->data, m, text, sizeof text);
    char buf[1 << 16];
    /* yara -L prints the length of the match data it keeps (at most 512 bytes) */
    snprintf(buf, sizeof buf, "r%zu 0x%llx:%u:%s", i, (unsigned long long)m->offset,
             m->length < 512 ? m->length : 512, text);
    add_line(c->out, buf);
    return 0;
}

typedef struct collect {
    line_set *out;
    const gen_string *g;
    size_t index;
    const uint8_t *data;
} collect;

static int on_match(void *ctx, const vt_match *m)
{
    collect *c = ctx;
    static char text[1 << 15];
    vt_match_format_data(c->g->matcher, c->data, m, text, sizeof text);
    char buf[1 << 16];
    snprintf(buf, sizeof buf, "r%zu 0x%llx:%u:%s", c->index, (unsigned long long)m->offset,
             m->length < 512 ? m->length : 512, text);
    add_line(c->out, buf);
    return 0;
}

/* yara's warnings per rule index: bit 1 slow string, bit 2 unbounded dot. */
static void yara_warnings(const char *rules, unsigned char *flags, size_t count)
{
    char cmd[2200], line[4096];
    snprintf(cmd, sizeof cmd, "yarac %s %s/compiled.yarc 2>&1", rules, workdir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    while (fgets(line, sizeof line, p)) {
        char *r = strstr(line, "rule \"r");
        if (!r)
            continue;
        size_t idx = (size_t)strtoul(r + 7, NULL, 10);
        if (idx >= count)
            continue;
        if (strstr(line, "may slow down scanning"))
            flags[idx] |= 1;
        if (strstr(line, "contains .*, .+ or .{x,}"))
            flags[idx] |= 2;
    }
    pclose(p);
}

static void compare_warnings(gen_string *gs, size_t count, const char *rules)
{
    unsigned char *flags = calloc(count, 1);
    yara_warnings(rules, flags, count);
    size_t same = 0, differ = 0, slow = 0;
    for (size_t i = 0; i < count; i++) {
        if (gs[i].dropped)
            continue;
        bool is_slow = false;
        vt_error err;
        CHECK_INT_EQ(vt_string_is_slow(&gs[i].spec, &is_slow, &err), VT_OK);
        if (gs[i].spec.kind == VT_STRING_HEX) { /* the compiler's verdict from its own parse */
            vt_pattern *hex = NULL;
            CHECK_INT_EQ(vt_pattern_parse_hex((const char *)gs[i].spec.data, gs[i].spec.len, &hex,
                                              &err), VT_OK);
            if (hex)
                CHECK(vt_hex_pattern_is_slow(hex) == is_slow);
            vt_pattern_free(hex);
        }
        bool dot = false;
        if (gs[i].spec.kind == VT_STRING_REGEX) {
            vt_pattern *pat = NULL;
            if (vt_pattern_parse_regex((const char *)gs[i].body, gs[i].body_len,
                                       gs[i].spec.regex_flags, &pat, NULL) == VT_OK)
                dot = vt_pattern_has_unbounded_dot(pat);
            vt_pattern_free(pat);
        }
        unsigned char mine = (unsigned char)((is_slow ? 1 : 0) | (dot ? 2 : 0));
        slow += is_slow;
        if (mine == flags[i]) {
            same++;
        } else {
            if (differ < 15)
                printf("# warnings differ for %s: yara %s%s, vitrine %s%s\n", gs[i].src,
                       flags[i] & 1 ? "slow " : "", flags[i] & 2 ? "dot" : "",
                       mine & 1 ? "slow " : "", mine & 2 ? "dot" : "");
            differ++;
        }
    }
    printf("# warnings: %zu strings agree with yara (%zu slow), %zu differ\n", same, slow, differ);
    CHECK_INT_EQ(differ, 0);
    free(flags);
}

#define MAX_REJECTS 400
typedef struct rejected_string {
    char src[MAX_SRC];
    char message[1024];
} rejected_string;
static rejected_string rejected[MAX_REJECTS];

/* Every string vitrine rejected must be rejected by yara with the same message. */
static void check_rejections_with_yara(size_t count)
{
    size_t agree = 0;
    for (size_t i = 0; i < count && i < MAX_REJECTS; i++) {
        char path[600], cmd[1400], line[2048];
        snprintf(path, sizeof path, "%s/rejected.yar", workdir);
        FILE *f = fopen(path, "w");
        if (!f)
            continue;
        fprintf(f, "rule r { strings: $a = %s condition: $a }\n", rejected[i].src);
        fclose(f);
        snprintf(cmd, sizeof cmd, "yarac -w %s %s/rejected.yarc 2>&1", path, workdir);
        FILE *p = popen(cmd, "r");
        bool same = false;
        while (p && fgets(line, sizeof line, p))
            if (strstr(line, "error") && strstr(line, rejected[i].message))
                same = true;
        if (p)
            pclose(p);
        if (same)
            agree++;
        else
            printf("# vitrine rejects %s (%s), yara does not say so\n", rejected[i].src,
                   rejected[i].message);
    }
    printf("# %zu strings vitrine rejected: yara rejects %zu with the same message\n", count,
           agree);
    CHECK_INT_EQ(agree, count < MAX_REJECTS ? count : MAX_REJECTS);
}

static void test_matches_agree_with_yara(void)
{
    char tmpl[] = "/tmp/vitrine-match-yara.XXXXXX";
    workdir = mkdtemp(tmpl);
    CHECK(workdir != NULL);
    if (!workdir)
        return;
    make_words();
    static uint8_t data[2][DATA_LEN];
    char data_path[2][512], rules[512];
    for (int k = 0; k < 2; k++) {
        make_data(data[k], DATA_LEN);
        snprintf(data_path[k], sizeof data_path[k], "%s/data%d", workdir, k);
        FILE *f = fopen(data_path[k], "wb");
        CHECK(f && fwrite(data[k], 1, DATA_LEN, f) == DATA_LEN);
        if (f)
            fclose(f);
    }
    snprintf(rules, sizeof rules, "%s/rules.yar", workdir);

    gen_string *gs = calloc(NUM_STRINGS, sizeof *gs);
    size_t kinds[3] = {0}, vitrine_rejects = 0;
    for (size_t i = 0; i < NUM_STRINGS; i++) {
        gen_string *g = &gs[i];
        int kind = (int)(i % 3);
        const uint8_t *d = data[rnd(2)];
        for (int attempt = 0; attempt < 20; attempt++) {
            memset(g, 0, sizeof *g);
            if (kind == 0)
                gen_text(g, d);
            else if (kind == 1)
                gen_hex(g, d);
            else
                gen_regex(g, d);
            g->spec.data = g->body;
            g->spec.len = g->body_len;
            vt_error err;
            vt_error_clear(&err);
            if (vt_string_matcher_new(&g->spec, (uint32_t)i, &g->matcher, &err) == VT_OK)
                break;
            if (vitrine_rejects < MAX_REJECTS) {
                snprintf(rejected[vitrine_rejects].src, MAX_SRC, "%s", g->src);
                memcpy(rejected[vitrine_rejects].message, err.message, sizeof err.message);
            }
            vitrine_rejects++;
            g->matcher = NULL;
        }
        if (!g->matcher)
            g->dropped = true;
        kinds[kind]++;
    }
    check_rejections_with_yara(vitrine_rejects);
    size_t wrong_accepts = 0;
    size_t dropped = drop_rejected(gs, NUM_STRINGS, rules, &wrong_accepts);
    CHECK_INT_EQ(wrong_accepts, 0);
    compare_warnings(gs, NUM_STRINGS, rules);

    /* every string yara accepted, non-private ones (yara -s prints only those) */
    static vt_string_spec specs[NUM_STRINGS];
    static size_t spec_index[NUM_STRINGS];
    size_t nspecs = 0;
    for (size_t i = 0; i < NUM_STRINGS; i++)
        if (!gs[i].dropped && !(gs[i].spec.modifiers & VT_MOD_PRIVATE)) {
            spec_index[nspecs] = i;
            specs[nspecs++] = gs[i].spec;
        }
    vt_matcher *matchers[2] = {NULL, NULL};
    {
        vt_error err;
        vt_error_clear(&err);
        vt_buf saved = {0};
        vt_status st = vt_matcher_build(specs, nspecs, &matchers[0], &err);
        if (st == VT_OK)
            st = vt_matcher_serialize(matchers[0], &saved, &err);
        if (st == VT_OK)
            st = vt_matcher_deserialize(saved.data, saved.len, &matchers[1], &err);
        vt_buf_free(&saved);
        if (st != VT_OK)
            printf("# matcher: %s\n", err.message);
        CHECK_INT_EQ(st, VT_OK);
    }
    size_t same = 0, differ = 0, total_lines = 0, differing_rules = 0;
    static unsigned shown_per_rule[NUM_STRINGS];
    for (int k = 0; k < 2; k++) {
        line_set want = {0}, got = {0};
        yara_lines(rules, data_path[k], &want);
        vt_match_scratch *scratch = vt_match_scratch_new();
        for (size_t i = 0; i < NUM_STRINGS; i++) {
            if (gs[i].dropped || (gs[i].spec.modifiers & VT_MOD_PRIVATE))
                continue; /* yara -s does not print private strings */
            collect c = {&got, &gs[i], i, data[k]};
            vt_string_matcher_scan(gs[i].matcher, scratch, data[k], DATA_LEN, on_match, &c, NULL);
        }
        vt_match_scratch_free(scratch);
        qsort(want.lines, want.n, sizeof *want.lines, cmp_str);
        qsort(got.lines, got.n, sizeof *got.lines, cmp_str);

        /* The Vectorscan matcher, and the same matcher saved and loaded, give exactly what the
         * reference scan (every offset verified) gives. */
        for (int round = 0; round < 2; round++) {
            line_set multi = {0};
            vt_error err;
            vt_matcher *matcher = matchers[round];
            vt_matcher_scratch *ms = matcher ? vt_matcher_scratch_new(matcher) : NULL;
            CHECK(ms != NULL);
            if (ms) {
                multi_collect mc = {&multi, spec_index, gs, data[k]};
                CHECK_INT_EQ(vt_matcher_scan(matcher, ms, data[k], DATA_LEN, on_multi_match, &mc,
                                             &err), VT_OK);
            }
            vt_matcher_scratch_free(ms);
            qsort(multi.lines, multi.n, sizeof *multi.lines, cmp_str);
            size_t mismatches = multi.n == got.n ? 0 : 1;
            for (size_t i = 0; i < multi.n && i < got.n; i++)
                if (strcmp(multi.lines[i], got.lines[i]) != 0) {
                    if (mismatches++ < 5)
                        printf("# matcher differs from the reference: %s / %s\n",
                               multi.lines[i], got.lines[i]);
                }
            if (mismatches)
                printf("# matcher (round %d): %zu lines, reference %zu\n", round, multi.n, got.n);
            CHECK_INT_EQ(mismatches, 0);
            free_lines(&multi);
        }
        total_lines += want.n;
        /* per rule comparison */
        size_t a = 0, b = 0;
        while (a < want.n || b < got.n) {
            int c = a >= want.n ? 1 : b >= got.n ? -1 : strcmp(want.lines[a], got.lines[b]);
            if (c == 0) {
                same++;
                a++;
                b++;
                continue;
            }
            differ++;
            const char *l = c < 0 ? want.lines[a] : got.lines[b];
            size_t rule_index = (size_t)strtoul(l + 1, NULL, 10);
            if (rule_index < NUM_STRINGS && shown_per_rule[rule_index]++ == 0)
                differing_rules++;
            if (rule_index < NUM_STRINGS && shown_per_rule[rule_index] <= 3) {
                size_t idx = (size_t)strtoul(l + 1, NULL, 10);
                printf("# %s %.160s   [%s]\n", c < 0 ? "yara only:   " : "vitrine only:", l,
                       idx < NUM_STRINGS ? gs[idx].src : "?");
            }
            if (c < 0)
                a++;
            else
                b++;
        }
        free_lines(&want);
        free_lines(&got);
    }
    printf("# %zu strings (%zu text, %zu hex, %zu regex), %zu rejected by yara, %zu regenerated "
           "after vitrine rejected them\n",
           (size_t)NUM_STRINGS, kinds[0], kinds[1], kinds[2], dropped, vitrine_rejects);
    printf("# match lines: %zu from yara, %zu identical, %zu differing (in %zu strings)\n",
           total_lines, same, differ, differing_rules);
    CHECK(total_lines > 1000);
    /* Every line identical: the strings whose result depends on the atoms yara verifies them
     * from are emulated (docs/patterns.md, "Matching semantics"). */
    CHECK_INT_EQ(differing_rules, 0);
    vt_matcher_free(matchers[0]);
    vt_matcher_free(matchers[1]);
    for (size_t i = 0; i < NUM_STRINGS; i++)
        vt_string_matcher_free(gs[i].matcher);
    free(gs);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", workdir);
    if (!getenv("VITRINE_KEEP"))
        CHECK(system(cmd) == 0);
    else
        printf("# kept %s\n", workdir);
}

int main(void)
{
    RUN(test_matches_agree_with_yara);
    return check_done();
}
