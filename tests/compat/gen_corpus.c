/* gen_corpus.c: makes files that rules fire on, for the differential tests against yara. For
 * every rule of the given rule files it writes two files into OUTDIR: one starting with a small
 * PE header (MZ ... PE\0\0) and one with an ELF header, each followed by an instance of every
 * string of the rule: text strings as bytes (wide, xor, base64 and fullword honoured), hex
 * strings with wildcards as zero bytes, the shortest jump and the first alternative, regular
 * expressions with a best-effort example (first alternative, minimum repetitions). An instance
 * that does not match only costs coverage: yara and vitrine are compared on whatever the files
 * hold.
 *
 *   gen_corpus OUTDIR [NS:]RULES...     (prints the number of files written) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <vitrine/rules.h>

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ---- hex strings ----------------------------------------------------------------------- */

/* Instantiate text[*i..] up to the closing ')' or '|' of the current group (depth > 0) or the
 * end. Only the first alternative of a group is written. */
static void hex_instance(const char *t, size_t n, size_t *i, vt_buf *out, int depth)
{
    bool skipping = false; /* after the first '|' of this group */
    while (*i < n) {
        char c = t[*i];
        if (isspace((unsigned char)c) || c == '{' || c == '}') {
            (*i)++;
        } else if (c == '/' && *i + 1 < n && t[*i + 1] == '/') {
            while (*i < n && t[*i] != '\n')
                (*i)++;
        } else if (c == '/' && *i + 1 < n && t[*i + 1] == '*') {
            *i += 2;
            while (*i + 1 < n && !(t[*i] == '*' && t[*i + 1] == '/'))
                (*i)++;
            *i += 2;
        } else if (c == '(') {
            (*i)++;
            vt_buf sub = {0};
            hex_instance(t, n, i, &sub, depth + 1);
            if (!skipping)
                vt_buf_append(out, sub.data, sub.len);
            vt_buf_free(&sub);
        } else if (c == ')') {
            (*i)++;
            if (depth > 0)
                return;
        } else if (c == '|') {
            (*i)++;
            skipping = true;
        } else if (c == '[') {
            long lo = strtol(t + *i + 1, NULL, 10);
            while (*i < n && t[*i] != ']')
                (*i)++;
            (*i)++;
            for (long k = 0; k < lo && !skipping; k++)
                vt_buf_append_byte(out, 0x20);
        } else if (c == '~') {
            (*i)++;
        } else if (*i + 1 < n) {
            int hi = t[*i] == '?' ? 0 : hex_value(t[*i]);
            int lo = t[*i + 1] == '?' ? 0 : hex_value(t[*i + 1]);
            bool negated = *i > 0 && t[*i - 1] == '~';
            *i += 2;
            if (hi < 0 || lo < 0 || skipping)
                continue;
            uint8_t byte = (uint8_t)(hi << 4 | lo);
            vt_buf_append_byte(out, negated ? (uint8_t)(byte + 1) : byte);
        } else {
            (*i)++;
        }
    }
}

/* ---- regular expressions ---------------------------------------------------------------- */

static size_t regex_atom_end(const char *t, size_t n, size_t i);

/* One example byte for an escape at t[i] == '\\'; returns the characters consumed. */
static size_t regex_escape(const char *t, size_t n, size_t i, vt_buf *out)
{
    if (i + 1 >= n)
        return 1;
    char c = t[i + 1];
    switch (c) {
    case 'x':
        if (i + 3 < n + 0 && hex_value(t[i + 2]) >= 0 && hex_value(t[i + 3]) >= 0) {
            vt_buf_append_byte(out, (uint8_t)(hex_value(t[i + 2]) << 4 | hex_value(t[i + 3])));
            return 4;
        }
        return 2;
    case 'n': vt_buf_append_byte(out, '\n'); return 2;
    case 't': vt_buf_append_byte(out, '\t'); return 2;
    case 'r': vt_buf_append_byte(out, '\r'); return 2;
    case 'f': vt_buf_append_byte(out, '\f'); return 2;
    case 'a': vt_buf_append_byte(out, '\a'); return 2;
    case 'w': vt_buf_append_byte(out, 'a'); return 2;
    case 'W': vt_buf_append_byte(out, '!'); return 2;
    case 'd': vt_buf_append_byte(out, '7'); return 2;
    case 'D': vt_buf_append_byte(out, 'x'); return 2;
    case 's': vt_buf_append_byte(out, ' '); return 2;
    case 'S': vt_buf_append_byte(out, 'y'); return 2;
    case 'b': case 'B': return 2;
    default: vt_buf_append_byte(out, (uint8_t)c); return 2;
    }
}

/* A byte the class at t[i] == '[' contains (first listed, or 'Q' / a non-member if negated). */
static size_t regex_class(const char *t, size_t n, size_t i, vt_buf *out)
{
    size_t j = i + 1;
    bool negated = j < n && t[j] == '^';
    if (negated)
        j++;
    size_t first = j;
    if (j < n && t[j] == ']')
        j++;
    while (j < n && t[j] != ']') {
        if (t[j] == '\\')
            j++;
        j++;
    }
    if (negated) {
        uint8_t candidates[] = {'Q', 'q', '#', 0x01, 0xfe};
        for (size_t k = 0; k < sizeof candidates; k++)
            if (!memchr(t + first, candidates[k], j - first)) {
                vt_buf_append_byte(out, candidates[k]);
                break;
            }
    } else if (first < j) {
        if (t[first] == '\\') {
            vt_buf tmp = {0};
            regex_escape(t, n, first, &tmp);
            vt_buf_append(out, tmp.data, tmp.len);
            vt_buf_free(&tmp);
        } else {
            vt_buf_append_byte(out, (uint8_t)t[first]);
        }
    }
    return j + 1 - i;
}

static void regex_instance(const char *t, size_t n, size_t *i, vt_buf *out, int depth)
{
    bool skipping = false;
    while (*i < n) {
        char c = t[*i];
        if (c == '|') {
            skipping = true;
            (*i)++;
            continue;
        }
        if (c == ')') {
            (*i)++;
            if (depth > 0)
                return;
            continue;
        }
        /* one atom, then its quantifier */
        vt_buf atom = {0};
        size_t end = regex_atom_end(t, n, *i);
        if (c == '(') {
            size_t k = *i + 1;
            if (k + 1 < n && t[k] == '?' && t[k + 1] == ':')
                k += 2;
            regex_instance(t, n, &k, &atom, depth + 1);
            end = k;
        } else if (c == '[') {
            regex_class(t, n, *i, &atom);
        } else if (c == '\\') {
            regex_escape(t, n, *i, &atom);
        } else if (c == '.') {
            vt_buf_append_byte(&atom, 'a');
        } else if (c != '^' && c != '$') {
            vt_buf_append_byte(&atom, (uint8_t)c);
        }
        *i = end;
        long times = 1;
        if (*i < n && (t[*i] == '*' || t[*i] == '?')) {
            times = 0;
            (*i)++;
        } else if (*i < n && t[*i] == '+') {
            (*i)++;
        } else if (*i < n && t[*i] == '{' && *i + 1 < n && isdigit((unsigned char)t[*i + 1])) {
            times = strtol(t + *i + 1, NULL, 10);
            while (*i < n && t[*i] != '}')
                (*i)++;
            (*i)++;
        }
        if (*i < n && t[*i] == '?')
            (*i)++; /* non-greedy */
        if (times > 64)
            times = 64;
        for (long k = 0; k < times && !skipping; k++)
            vt_buf_append(out, atom.data, atom.len);
        vt_buf_free(&atom);
    }
}

/* Where the atom starting at t[i] ends (not used for groups). */
static size_t regex_atom_end(const char *t, size_t n, size_t i)
{
    if (t[i] == '\\') {
        if (i + 1 < n && t[i + 1] == 'x')
            return i + 4 <= n ? i + 4 : n;
        return i + 2 <= n ? i + 2 : n;
    }
    if (t[i] == '[') {
        size_t j = i + 1;
        if (j < n && t[j] == '^')
            j++;
        if (j < n && t[j] == ']')
            j++;
        while (j < n && t[j] != ']') {
            if (t[j] == '\\')
                j++;
            j++;
        }
        return j + 1 <= n ? j + 1 : n;
    }
    return i + 1;
}

/* ---- text strings ----------------------------------------------------------------------- */

static void text_instance(const vt_ruleset *rules, const vt_rs_string *s, vt_buf *out)
{
    const uint8_t *bytes = (const uint8_t *)vt_ruleset_str(rules, s->text);
    size_t len = s->text.len;
    if (s->flags & (VT_MOD_BASE64 | VT_MOD_BASE64WIDE)) {
        /* the standard encoding of the text is one of the three yara looks for */
        unsigned char encoded[4096];
        size_t take = len > 3000 ? 3000 : len;
        int n = EVP_EncodeBlock(encoded, bytes, (int)take);
        const char *alphabet = s->base64_alphabet.len ? vt_ruleset_str(rules, s->base64_alphabet)
                               : s->base64wide_alphabet.len
                                   ? vt_ruleset_str(rules, s->base64wide_alphabet)
                                   : NULL;
        static const char standard[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int k = 0; k < n; k++) {
            if (alphabet && encoded[k] != '=') {
                const char *at = strchr(standard, encoded[k]);
                if (at)
                    encoded[k] = (unsigned char)alphabet[at - standard];
            }
            vt_buf_append_byte(out, encoded[k]);
            if (s->flags & VT_MOD_BASE64WIDE && !(s->flags & VT_MOD_BASE64))
                vt_buf_append_byte(out, 0);
        }
        return;
    }
    uint8_t key = (s->flags & VT_MOD_XOR) ? s->xor_min : 0;
    bool wide = s->flags & VT_MOD_WIDE;
    for (size_t k = 0; k < len; k++) {
        vt_buf_append_byte(out, bytes[k] ^ key);
        if (wide)
            vt_buf_append_byte(out, key);
    }
}

/* ---- files ---------------------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16));
}

/* A valid PE32 header with one .text section at file offset 0x200 (RVA 0x1000) holding the
 * body, whose first byte is the entry point. */
static void pe_header(vt_buf *out, size_t body_len)
{
    uint8_t h[0x200] = {0};
    uint32_t raw = (uint32_t)((body_len + 0x1ff) & ~(size_t)0x1ff);
    h[0] = 'M', h[1] = 'Z';
    put32(h + 0x3c, 0x80);
    memcpy(h + 0x80, "PE\0\0", 4);
    uint8_t *file = h + 0x84, *opt = h + 0x98, *section = h + 0x98 + 0xe0;
    put16(file + 0, 0x14c);   /* i386 */
    put16(file + 2, 1);       /* sections */
    put16(file + 16, 0xe0);   /* size of optional header */
    put16(file + 18, 0x0102); /* executable, 32-bit */
    put16(opt + 0, 0x10b);    /* PE32 */
    put32(opt + 4, raw);      /* size of code */
    put32(opt + 16, 0x1000);  /* entry point */
    put32(opt + 20, 0x1000);  /* base of code */
    put32(opt + 28, 0x400000);
    put32(opt + 32, 0x1000);  /* section alignment */
    put32(opt + 36, 0x200);   /* file alignment */
    put16(opt + 40, 4);       /* OS version */
    put16(opt + 48, 4);       /* subsystem version */
    put32(opt + 56, 0x1000 + ((raw + 0xfff) & ~0xfffu)); /* size of image */
    put32(opt + 60, 0x200);   /* size of headers */
    put16(opt + 68, 2);       /* GUI */
    put32(opt + 92, 16);      /* data directories */
    memcpy(section, ".text", 5);
    put32(section + 8, (uint32_t)body_len);
    put32(section + 12, 0x1000);
    put32(section + 16, raw);
    put32(section + 20, 0x200);
    put32(section + 36, 0x60000020);
    vt_buf_append(out, h, sizeof h);
}

static void elf_header(vt_buf *out)
{
    uint8_t h[0x40] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    h[16] = 2;    /* executable */
    h[18] = 0x3e; /* x86-64 */
    vt_buf_append(out, h, sizeof h);
}

static int write_file(const char *dir, const char *name, const char *suffix, const vt_buf *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, suffix);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(b->data, 1, b->len, f);
    return fclose(f) == 0 && put == b->len ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_corpus OUTDIR [NS:]RULES...\n");
        return 2;
    }
    vt_error err;
    vt_compiler *compiler;
    vt_ruleset *rules = NULL;
    if (vt_compiler_new(&compiler, &err) != VT_OK)
        return 2;
    for (int i = 2; i < argc; i++) {
        char spec[4096];
        snprintf(spec, sizeof spec, "%s", argv[i]);
        char *colon = strchr(spec, ':');
        const char *ns = NULL, *path = spec;
        if (colon) {
            *colon = 0;
            ns = spec;
            path = colon + 1;
        }
        if (vt_compiler_add_file(compiler, ns, path, &err) != VT_OK) {
            fprintf(stderr, "gen_corpus: %s: %s\n", path, err.message);
            vt_compiler_free(compiler);
            return 2;
        }
    }
    if (vt_compiler_finish(compiler, &rules, &err) != VT_OK) {
        fprintf(stderr, "gen_corpus: %s\n", err.message);
        vt_compiler_free(compiler);
        return 2;
    }
    vt_compiler_free(compiler);
    vt_ruleset_view view;
    vt_ruleset_get_view(rules, &view);
    size_t written = 0;
    for (size_t r = 0; r < view.rule_count; r++) {
        const vt_rs_rule *rule = &view.rules[r];
        if (rule->string_count == 0)
            continue;
        vt_buf body = {0};
        /* strings meant for the entry point go first, at the entry point itself */
        for (int pass = 0; pass < 2; pass++)
        for (uint32_t k = 0; k < rule->string_count; k++) {
            const vt_rs_string *s = &view.strings[rule->string_first + k];
            const char *t = vt_ruleset_str(rules, s->text);
            bool at_entry = strstr(vt_ruleset_str(rules, s->identifier), "entry") != NULL;
            if (at_entry != (pass == 0))
                continue;
            size_t i = 0;
            if (!at_entry)
                vt_buf_append_str(&body, " \n ");
            if (s->kind == VT_STRING_HEX)
                hex_instance(t, s->text.len, &i, &body, 0);
            else if (s->kind == VT_STRING_REGEX)
                regex_instance(t, s->text.len, &i, &body, 0);
            else
                text_instance(rules, s, &body);
            if (!at_entry)
                vt_buf_append_str(&body, " \n ");
        }
        char name[512];
        snprintf(name, sizeof name, "%zu_%s", r, vt_ruleset_str(rules, rule->name));
        vt_buf pe = {0}, elf = {0};
        pe_header(&pe, body.len);
        vt_buf_append(&pe, body.data, body.len);
        elf_header(&elf);
        vt_buf_append(&elf, body.data, body.len);
        if (write_file(argv[1], name, "exe", &pe) != 0 || write_file(argv[1], name, "elf", &elf)) {
            fprintf(stderr, "gen_corpus: cannot write into %s\n", argv[1]);
            return 2;
        }
        written += 2;
        vt_buf_free(&pe);
        vt_buf_free(&elf);
        vt_buf_free(&body);
    }
    printf("%zu\n", written);
    vt_ruleset_free(rules);
    return 0;
}
