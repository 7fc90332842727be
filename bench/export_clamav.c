/* export_clamav.c: turns the strings of YARA rules into ClamAV body signatures (.ndb), so that
 * clamscan can be benchmarked on a like-for-like workload: the same literal and hex patterns,
 * searched over the same files. Text strings become hex (nocase as per-letter alternatives, wide
 * as UTF-16LE); hex strings keep their wildcards, jumps and fixed-length alternatives; strings
 * ClamAV cannot express (regexes, xor, base64, variable-length alternatives, fewer than four
 * consecutive fixed bytes) are left out and counted on stderr.
 *
 *   export_clamav [NS:]RULES... > sigs.ndb */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/rules.h>

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends the ClamAV form of a hex string; false when ClamAV cannot express it. Tracks the
 * longest run of fixed bytes (ClamAV needs a static part to anchor on). */
static bool convert_hex(const char *t, size_t n, vt_buf *out, size_t *longest_fixed)
{
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        char c = t[i];
        if (isspace((unsigned char)c) || c == '{' || c == '}') {
            i++;
        } else if (c == '/' || c == '~') {
            return false; /* comments and negation: rare, not worth converting */
        } else if (c == '[') {
            const char *close = memchr(t + i, ']', n - i);
            if (!close)
                return false;
            char range[64];
            size_t len = (size_t)(close - (t + i) - 1);
            if (len >= sizeof range)
                return false;
            memcpy(range, t + i + 1, len);
            range[len] = 0;
            if (strcmp(range, "-") == 0)
                vt_buf_append_str(out, "*");
            else
                vt_buf_printf(out, "{%s}", range);
            run = 0;
            i = (size_t)(close - t) + 1;
        } else if (c == '(') {
            /* fixed-length alternatives of plain bytes only: (AABB|CCDD) */
            const char *close = memchr(t + i, ')', n - i);
            if (!close || memchr(t + i + 1, '(', (size_t)(close - t - i - 1)))
                return false;
            vt_buf_append_str(out, "(");
            size_t alt_len = 0, this_len = 0;
            bool first = true;
            for (size_t k = i + 1; k < (size_t)(close - t); k++) {
                if (isspace((unsigned char)t[k]))
                    continue;
                if (t[k] == '|') {
                    if (!first && this_len != alt_len)
                        return false;
                    alt_len = this_len, this_len = 0, first = false;
                    vt_buf_append_str(out, "|");
                    continue;
                }
                if (hex_digit(t[k]) < 0 || k + 1 >= (size_t)(close - t) || hex_digit(t[k + 1]) < 0)
                    return false;
                vt_buf_printf(out, "%c%c", tolower(t[k]), tolower(t[k + 1]));
                this_len++, k++;
            }
            if (!first && this_len != alt_len)
                return false;
            vt_buf_append_str(out, ")");
            run = 0;
            i = (size_t)(close - t) + 1;
        } else if (i + 1 < n) {
            char a = t[i], b = t[i + 1];
            if ((a != '?' && hex_digit(a) < 0) || (b != '?' && hex_digit(b) < 0))
                return false;
            vt_buf_printf(out, "%c%c", a == '?' ? '?' : tolower(a), b == '?' ? '?' : tolower(b));
            run = (a == '?' || b == '?') ? 0 : run + 1;
            if (run > *longest_fixed)
                *longest_fixed = run;
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

static void convert_text(const uint8_t *s, size_t len, bool nocase, bool wide, vt_buf *out,
                         size_t *longest_fixed)
{
    size_t run = 0;
    for (size_t k = 0; k < len; k++) {
        bool letter = nocase && isalpha(s[k]);
        if (letter) {
            vt_buf_printf(out, "(%02x|%02x)", tolower(s[k]), toupper(s[k]));
            run = 0;
        } else {
            vt_buf_printf(out, "%02x", s[k]);
            run++;
        }
        if (wide) {
            vt_buf_append_str(out, "00");
            run++;
        }
        if (run > *longest_fixed)
            *longest_fixed = run;
    }
}

int main(int argc, char **argv)
{
    vt_error err;
    vt_compiler *compiler;
    vt_ruleset *rules;
    if (argc < 2 || vt_compiler_new(&compiler, &err) != VT_OK)
        return 2;
    for (int i = 1; i < argc; i++) {
        char spec[4096];
        snprintf(spec, sizeof spec, "%s", argv[i]);
        char *colon = strchr(spec, ':');
        const char *ns = NULL, *path = spec;
        if (colon)
            *colon = 0, ns = spec, path = colon + 1;
        if (vt_compiler_add_file(compiler, ns, path, &err) != VT_OK) {
            fprintf(stderr, "export_clamav: %s\n", err.message);
            return 2;
        }
    }
    if (vt_compiler_finish(compiler, &rules, &err) != VT_OK) {
        fprintf(stderr, "export_clamav: %s\n", err.message);
        return 2;
    }
    vt_compiler_free(compiler);
    vt_ruleset_view view;
    vt_ruleset_get_view(rules, &view);
    size_t exported = 0, left_out = 0;
    for (size_t i = 0; i < view.string_count; i++) {
        const vt_rs_string *s = &view.strings[i];
        const char *text = vt_ruleset_str(rules, s->text);
        for (int variant = 0; variant < 2; variant++) {
            bool wide = variant == 1;
            if (s->kind == VT_STRING_TEXT && wide && !(s->flags & VT_MOD_WIDE))
                continue;
            if (s->kind == VT_STRING_TEXT && !wide && (s->flags & VT_MOD_WIDE) &&
                !(s->flags & VT_MOD_ASCII))
                continue;
            if (s->kind != VT_STRING_TEXT && wide)
                continue;
            vt_buf sig = {0};
            size_t longest = 0;
            bool ok = false;
            if (s->kind == VT_STRING_HEX)
                ok = convert_hex(text, s->text.len, &sig, &longest);
            else if (s->kind == VT_STRING_TEXT &&
                     !(s->flags & (VT_MOD_XOR | VT_MOD_BASE64 | VT_MOD_BASE64WIDE))) {
                convert_text((const uint8_t *)text, s->text.len, s->flags & VT_MOD_NOCASE, wide,
                             &sig, &longest);
                ok = true;
            }
            if (ok && longest >= 4) {
                printf("vt.%zu.%d:0:*:%s\n", i, variant, (const char *)sig.data);
                exported++;
            } else {
                left_out++;
            }
            vt_buf_free(&sig);
        }
    }
    fprintf(stderr, "export_clamav: %zu signatures exported, %zu strings left out\n", exported,
            left_out);
    vt_ruleset_free(rules);
    return 0;
}
