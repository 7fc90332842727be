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

int vt_rules_check_hex(const char *text, size_t len, char *message, size_t message_size,
                       unsigned *offset)
{
    vt_pattern *pattern = NULL;
    vt_error err;
    vt_error_clear(&err);
    vt_status st = vt_pattern_parse_hex(text, len, &pattern, &err);
    return verdict(st, pattern, &err, message, message_size, offset);
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
