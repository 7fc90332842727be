/* patterns.c: the compiler's view of hex strings and regular expressions. The languages
 * themselves are lib/match's (vitrine/pattern.h); here their verdicts become the compiler's
 * diagnostics. */
#include <stdio.h>

#include <vitrine/pattern.h>

#include "internal.h"

static int verdict(vt_status st, vt_pattern *pattern, const vt_error *err, char *message,
                   size_t message_size, unsigned *offset)
{
    vt_pattern_free(pattern);
    if (st == VT_OK)
        return 1;
    snprintf(message, message_size, "%s", err->message);
    *offset = err->column;
    return 0;
}

int vt_rules_check_hex(const char *text, size_t len, bool *slow, char *message,
                       size_t message_size, unsigned *offset)
{
    vt_error err;
    vt_error_clear(&err);
    vt_status st = vt_pattern_check_hex(text, len, slow, &err);
    return verdict(st, NULL, &err, message, message_size, offset);
}

int vt_rules_check_regex(const char *text, size_t len, unsigned flags, char *message,
                         size_t message_size, unsigned *offset)
{
    vt_pattern *pattern = NULL;
    vt_error err;
    vt_error_clear(&err);
    vt_status st = vt_pattern_parse_regex(text, len, flags, &pattern, &err);
    return verdict(st, pattern, &err, message, message_size, offset);
}

/* lib/match's slow-string verdict (yara's atom-quality rule). */
bool vt_rules_string_is_slow(const vt_string_spec *spec)
{
    bool slow = false;
    vt_error err;
    return vt_string_is_slow(spec, &slow, &err) == VT_OK && slow;
}

/* Does the quantifier starting at p make its operand unbounded (*, + or {n,})? Sets *end to the
 * first character after it (and after a lazy '?'). Returns -1 when there is no quantifier. */
static int quantifier(const char *p, const char *end, const char **after)
{
    if (p >= end)
        return -1;
    int unbounded = -1;
    const char *q = p;
    if (*q == '*' || *q == '+') {
        unbounded = 1;
        q++;
    } else if (*q == '?') {
        unbounded = 0;
        q++;
    } else if (*q == '{') {
        const char *r = q + 1;
        while (r < end && *r >= '0' && *r <= '9')
            r++;
        if (r < end && *r == '}' && r > q + 1) {
            unbounded = 0;
            q = r + 1;
        } else if (r < end && *r == ',') {
            const char *s = r + 1;
            while (s < end && *s >= '0' && *s <= '9')
                s++;
            if (s < end && *s == '}' && (r > q + 1 || s > r + 1)) {
                unbounded = s == r + 1;
                q = s + 1;
            }
        }
    }
    if (unbounded >= 0 && q < end && *q == '?' && q > p)
        q++;
    *after = q;
    return unbounded;
}

bool vt_rules_regex_has_unbounded_dot(const char *text, size_t len)
{
    /* yara warns when '.' repeated without bound is reachable from the top of the regex through
     * concatenations and groups only: not inside an alternative, not inside a repeated group. */
    enum { MAX_GROUPS = 64 };
    bool found[MAX_GROUPS], alternation[MAX_GROUPS];
    int depth = 0;
    found[0] = alternation[0] = false;
    const char *p = text, *end = text + len;
    while (p < end) {
        char ch = *p;
        if (ch == '\\') {
            p += 2;
            const char *after;
            if (quantifier(p, end, &after) >= 0)
                p = after;
        } else if (ch == '[') {
            p++;
            if (p < end && *p == '^')
                p++;
            if (p < end && *p == ']')
                p++;
            while (p < end && *p != ']') {
                if (*p == '\\')
                    p++;
                p++;
            }
            p++;
            const char *after;
            if (quantifier(p, end, &after) >= 0)
                p = after;
        } else if (ch == '(') {
            if (depth + 1 >= MAX_GROUPS)
                return false;
            depth++;
            found[depth] = alternation[depth] = false;
            p++;
        } else if (ch == ')') {
            if (depth == 0)
                return false;
            bool inner = found[depth] && !alternation[depth];
            depth--;
            p++;
            const char *after;
            if (quantifier(p, end, &after) >= 0) {
                p = after;
                inner = false;
            }
            found[depth] = found[depth] || inner;
        } else if (ch == '|') {
            alternation[depth] = true;
            p++;
        } else if (ch == '.') {
            p++;
            const char *after;
            int q = quantifier(p, end, &after);
            if (q >= 0)
                p = after;
            if (q == 1)
                found[depth] = true;
        } else {
            p++;
            const char *after;
            if (quantifier(p, end, &after) >= 0)
                p = after;
        }
    }
    return found[0] && !alternation[0];
}
