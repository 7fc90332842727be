/* entry.c: the log entry formats of docs/entries.md (rule, bundle, release, data policy, audit
 * ack, page): canonical text, parsed strictly line by line (every line ends in a newline, fields
 * in a fixed order, decimals without leading zeros, lowercase hex), and formatted back byte for
 * byte. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <vitrine/distrib.h>

#include "distrib_internal.h"

#define RULE_MAGIC "vitrine/rule-entry/v1"
#define BUNDLE_MAGIC "vitrine/bundle-entry/v1"
#define RELEASE_MAGIC "vitrine/release-entry/v1"
#define DATA_POLICY_MAGIC "vitrine/data-policy-entry/v1"
#define AUDIT_ACK_MAGIC "vitrine/audit-ack-entry/v1"
#define PAGE_MAGIC "vitrine/page-entry/v1"

typedef struct cursor {
    const char *p, *end, *start;
    unsigned line;
    const char *what;
} cursor;

static vt_status fail(const cursor *c, vt_error *err, vt_status st, const char *msg, const char *arg)
{
    return vt_error_at(err, st, c->what, c->line, 0, "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

/* The next line (without its newline); VT_ERR_FORMAT if the input ends without one. */
static vt_status next_line(cursor *c, const char **line, size_t *len, vt_error *err)
{
    c->line++;
    *line = NULL;
    *len = 0;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (!nl)
        return fail(c, err, VT_ERR_FORMAT, "expected a line ending in a newline", NULL);
    *line = c->p;
    *len = (size_t)(nl - c->p);
    c->p = nl + 1;
    return VT_OK;
}

static int at_end(const cursor *c) { return c->p == c->end; }

/* "KEY VALUE": the value after "KEY ", or NULL if the line is another key. */
static const char *key_value(const char *line, size_t len, const char *key, size_t *vlen)
{
    size_t k = strlen(key);
    if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
        return NULL;
    *vlen = len - k - 1;
    return line + k + 1;
}

/* Free text: 1..VT_DISTRIB_MAX_FIELD bytes, no control characters, no space at either end. */
static int valid_text(const char *s, size_t n)
{
    if (n == 0 || n > VT_DISTRIB_MAX_FIELD || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return 0;
    }
    return 1;
}

/* A file or binary name: [A-Za-z0-9._+-], 1..255 bytes, not starting with a dot. */
static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", s[i]) ||
            s[i] == 0)
            return 0;
    return 1;
}

int vt_distrib_day_number(const char *s, size_t n, int64_t *days)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    static const unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > month_days[m - 1] + (m == 2 && leap))
        return 0;
    /* H. Hinnant's days_from_civil, for years >= 1970 */
    y -= m <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + doe - 719468;
    return 1;
}

static int valid_date(const char *s, size_t n)
{
    int64_t days;
    return vt_distrib_day_number(s, n, &days);
}

int vt_distrib_parse_decimal(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

static int parse_hex32(const char *s, size_t n, unsigned char out[32])
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < 64; i++) {
        char ch = s[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0)
            return 0;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 1;
}

/* The lines "KEY NAME SHA256" that end a release entry (its binaries) and a page entry (its
 * files): names as valid_name allows, in strictly increasing order, at most max of them. */
static vt_status parse_named_files(cursor *c, const char *key, const char *plural, size_t max,
                                   vt_named_file **items, size_t *count, vt_error *err)
{
    char expected[48], order[64], limit[48];
    snprintf(expected, sizeof expected, "expected '%s NAME SHA256'", key);
    snprintf(order, sizeof order, "%s names must be in strictly increasing order", key);
    snprintf(limit, sizeof limit, "too many %s (at most %zu)", plural, max);
    while (!at_end(c)) {
        const char *line, *v, *space;
        size_t n, vn;
        vt_status st = next_line(c, &line, &n, err);
        if (st != VT_OK)
            return st;
        vt_named_file f;
        if (!(v = key_value(line, n, key, &vn)) || !(space = memchr(v, ' ', vn)) ||
            !valid_name(v, (size_t)(space - v)) ||
            !parse_hex32(space + 1, vn - (size_t)(space - v) - 1, f.sha256))
            return fail(c, err, VT_ERR_FORMAT, expected, NULL);
        memcpy(f.name, v, (size_t)(space - v));
        f.name[space - v] = 0;
        if (*count > 0 && strcmp(f.name, (*items)[*count - 1].name) <= 0)
            return fail(c, err, VT_ERR_FORMAT, order, NULL);
        if (*count == max)
            return fail(c, err, VT_ERR_LIMIT, limit, NULL);
        vt_named_file *grown = realloc(*items, (*count + 1) * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        *items = grown;
        (*items)[(*count)++] = f;
    }
    return VT_OK;
}

/* Appends the "KEY NAME SHA256" lines of parse_named_files, refusing what it would refuse. */
static vt_status format_named_files(const char *key, const vt_named_file *items, size_t count,
                                    vt_buf *out, vt_error *err)
{
    vt_status st = VT_OK;
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        const vt_named_file *f = &items[i];
        if (!valid_name(f->name, strnlen(f->name, sizeof f->name)) ||
            (i > 0 && strcmp(f->name, items[i - 1].name) <= 0))
            return vt_error_set(err, VT_ERR_ARGUMENT,
                                "%s names must be [A-Za-z0-9._+-] in increasing order", key);
        char hex[65];
        vt_distrib_hex(f->sha256, hex);
        st = vt_buf_printf(out, "%s %s %s\n", key, f->name, hex);
    }
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

/* MAJOR.MINOR.PATCH, each a decimal without leading zeros. */
static int parse_version(const char *s, size_t n, uint64_t parts[3])
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (!vt_distrib_parse_decimal(s + start, i - start, &parts[k]) || parts[k] > 999999)
            return 0;
        if (k < 2) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == n;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* The start of every entry parse: nothing in *out yet (so clearing it is always safe), the
 * size limit of a log entry, a cursor at the first line. */
static vt_status start_parse(void *out, size_t out_size, const void *data, size_t len,
                             const char *what, cursor *c, vt_error *err)
{
    memset(out, 0, out_size);
    *c = (cursor){data, (const char *)data + len, data, 0, what};
    if (len > VT_DISTRIB_MAX_ENTRY)
        return vt_error_at(err, VT_ERR_LIMIT, what, 0, 0,
                           "entry is %zu bytes, more than the %u a log entry can hold", len,
                           VT_DISTRIB_MAX_ENTRY);
    return VT_OK;
}

static vt_status expect_magic(cursor *c, const char *magic, vt_error *err)
{
    const char *line;
    size_t n;
    vt_status st = next_line(c, &line, &n, err);
    if (st != VT_OK)
        return st;
    if (n != strlen(magic) || memcmp(line, magic, n) != 0)
        return fail(c, err, VT_ERR_FORMAT, "expected the first line", magic);
    return VT_OK;
}

const char *vt_entry_kind_name(vt_entry_kind kind)
{
    switch (kind) {
    case VT_ENTRY_RULE: return "rule";
    case VT_ENTRY_BUNDLE: return "bundle";
    case VT_ENTRY_RELEASE: return "release";
    case VT_ENTRY_DATA_POLICY: return "data-policy";
    case VT_ENTRY_AUDIT_ACK: return "audit-ack";
    case VT_ENTRY_PAGE: return "page";
    case VT_ENTRY_UNKNOWN: break;
    }
    return "unknown";
}

vt_entry_kind vt_entry_kind_of(const void *data, size_t len)
{
    static const struct {
        const char *magic;
        vt_entry_kind kind;
    } kinds[] = {{RULE_MAGIC "\n", VT_ENTRY_RULE},
                 {BUNDLE_MAGIC "\n", VT_ENTRY_BUNDLE},
                 {RELEASE_MAGIC "\n", VT_ENTRY_RELEASE},
                 {DATA_POLICY_MAGIC "\n", VT_ENTRY_DATA_POLICY},
                 {AUDIT_ACK_MAGIC "\n", VT_ENTRY_AUDIT_ACK},
                 {PAGE_MAGIC "\n", VT_ENTRY_PAGE}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].magic);
        if (len >= n && memcmp(data, kinds[i].magic, n) == 0)
            return kinds[i].kind;
    }
    return VT_ENTRY_UNKNOWN;
}

void vt_distrib_sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void vt_distrib_hex(const unsigned char hash[32], char out_hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out_hex + 2 * i, 3, "%02x", hash[i]);
}

vt_status vt_distrib_version_compare(const char *a, const char *b, int *cmp, vt_error *err)
{
    uint64_t va[3], vb[3];
    if (!parse_version(a, strlen(a), va) || !parse_version(b, strlen(b), vb))
        return vt_error_set(err, VT_ERR_SYNTAX, "not a MAJOR.MINOR.PATCH version: '%s' or '%s'",
                            a, b);
    *cmp = 0;
    for (int k = 0; k < 3 && *cmp == 0; k++)
        *cmp = va[k] < vb[k] ? -1 : va[k] > vb[k];
    return VT_OK;
}

/* ---- rule entries ---- */

void vt_rule_entry_clear(vt_rule_entry *e)
{
    free(e->name);
    free(e->author);
    free(e->date);
    free(e->reason);
    for (size_t i = 0; i < e->reference_count; i++)
        free(e->references[i]);
    free(e->references);
    free(e->source);
    memset(e, 0, sizeof *e);
}

/* One required "KEY VALUE" line whose value passes `valid`, copied to *out. */
static vt_status required_field(cursor *c, const char *key, int (*valid)(const char *, size_t),
                                char **out, vt_error *err)
{
    const char *line, *v;
    size_t n, vn;
    vt_status st = next_line(c, &line, &n, err);
    if (st != VT_OK)
        return st;
    if (!(v = key_value(line, n, key, &vn)))
        return fail(c, err, VT_ERR_FORMAT, "expected the field", key);
    if (!valid(v, vn))
        return fail(c, err, VT_ERR_FORMAT, "invalid value of the field", key);
    if (!(*out = dup_n(v, vn)))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

/* The optional "part K" line of a piece of a split rule file: K >= 2 (absent means 1). */
static vt_status optional_part(cursor *c, uint64_t *part, vt_error *err)
{
    cursor saved = *c;
    const char *line, *v;
    size_t n, vn;
    vt_status st = next_line(c, &line, &n, err);
    if (st != VT_OK)
        return st;
    *part = 1;
    if (!(v = key_value(line, n, "part", &vn))) {
        *c = saved;
        return VT_OK;
    }
    if (!vt_distrib_parse_decimal(v, vn, part) || *part < 2 || *part > VT_DISTRIB_MAX_RULES)
        return fail(c, err, VT_ERR_FORMAT, "invalid value of the field", "part");
    return VT_OK;
}

static vt_status parse_rule(cursor *c, vt_rule_entry *e, vt_error *err)
{
    vt_status st;
    if ((st = expect_magic(c, RULE_MAGIC, err)) != VT_OK ||
        (st = required_field(c, "name", valid_name, &e->name, err)) != VT_OK ||
        (st = optional_part(c, &e->part, err)) != VT_OK ||
        (st = required_field(c, "author", valid_text, &e->author, err)) != VT_OK ||
        (st = required_field(c, "date", valid_date, &e->date, err)) != VT_OK ||
        (st = required_field(c, "reason", valid_text, &e->reason, err)) != VT_OK)
        return st;
    for (;;) {
        const char *line, *v;
        size_t n, vn;
        if ((st = next_line(c, &line, &n, err)) != VT_OK)
            return st;
        if (n == 0)
            break;
        if (!(v = key_value(line, n, "reference", &vn)))
            return fail(c, err, VT_ERR_FORMAT, "expected 'reference VALUE' or an empty line", NULL);
        if (!valid_text(v, vn))
            return fail(c, err, VT_ERR_FORMAT, "invalid reference", NULL);
        if (e->reference_count == VT_DISTRIB_MAX_REFS)
            return fail(c, err, VT_ERR_LIMIT, "too many references", NULL);
        char **grown = realloc(e->references, (e->reference_count + 1) * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        e->references = grown;
        if (!(grown[e->reference_count] = dup_n(v, vn)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        e->reference_count++;
    }
    size_t n = (size_t)(c->end - c->p);
    if (n == 0)
        return fail(c, err, VT_ERR_FORMAT, "the rule source is empty", NULL);
    if (memchr(c->p, 0, n))
        return fail(c, err, VT_ERR_FORMAT, "the rule source contains a NUL byte", NULL);
    if (!(e->source = dup_n(c->p, n)))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    e->source_len = n;
    return VT_OK;
}

vt_status vt_rule_entry_parse(const void *data, size_t len, vt_rule_entry *out, vt_error *err)
{
    cursor c;
    vt_status st = start_parse(out, sizeof *out, data, len, "rule entry", &c, err);
    if (st == VT_OK && (st = parse_rule(&c, out, err)) != VT_OK)
        vt_rule_entry_clear(out);
    return st;
}

vt_status vt_rule_entry_format(const vt_rule_entry *e, vt_buf *out, vt_error *err)
{
    cursor c = {0};
    c.what = "rule entry";
    if (!e->name || !valid_name(e->name, strlen(e->name)))
        return fail(&c, err, VT_ERR_ARGUMENT, "rule file name must be [A-Za-z0-9._+-]", e->name);
    if (!e->author || !valid_text(e->author, strlen(e->author)) || !e->reason ||
        !valid_text(e->reason, strlen(e->reason)))
        return fail(&c, err, VT_ERR_ARGUMENT,
                    "author and reason must be one line of text without control characters", NULL);
    if (!e->date || !valid_date(e->date, strlen(e->date)))
        return fail(&c, err, VT_ERR_ARGUMENT, "date must be YYYY-MM-DD", e->date);
    if (e->reference_count > VT_DISTRIB_MAX_REFS)
        return fail(&c, err, VT_ERR_LIMIT, "too many references", NULL);
    for (size_t i = 0; i < e->reference_count; i++)
        if (!valid_text(e->references[i], strlen(e->references[i])))
            return fail(&c, err, VT_ERR_ARGUMENT, "invalid reference", e->references[i]);
    if (e->source_len == 0 || memchr(e->source, 0, e->source_len))
        return fail(&c, err, VT_ERR_ARGUMENT, "rule source is empty or contains a NUL byte",
                    e->name);
    if (e->part > VT_DISTRIB_MAX_RULES)
        return fail(&c, err, VT_ERR_ARGUMENT, "part number too large", e->name);
    size_t start = out->len;
    vt_status st = vt_buf_printf(out, RULE_MAGIC "\nname %s\n", e->name);
    if (st == VT_OK && e->part >= 2)
        st = vt_buf_printf(out, "part %" PRIu64 "\n", e->part);
    if (st == VT_OK)
        st = vt_buf_printf(out, "author %s\ndate %s\nreason %s\n", e->author, e->date,
                           e->reason);
    for (size_t i = 0; i < e->reference_count && st == VT_OK; i++)
        st = vt_buf_printf(out, "reference %s\n", e->references[i]);
    if (st == VT_OK)
        st = vt_buf_append(out, "\n", 1);
    if (st == VT_OK)
        st = vt_buf_append(out, e->source, e->source_len);
    if (st != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (out->len - start > VT_DISTRIB_MAX_ENTRY) {
        out->len = start;
        out->data[start] = 0;
        return vt_error_at(err, VT_ERR_LIMIT, e->name, 0, 0,
                           "too large for one log entry: the rule entry would be more than %u "
                           "bytes; split the rule file",
                           VT_DISTRIB_MAX_ENTRY);
    }
    return VT_OK;
}

/* ---- bundle entries ---- */

void vt_bundle_entry_clear(vt_bundle_entry *e)
{
    free(e->rules);
    memset(e, 0, sizeof *e);
}

static vt_status parse_bundle(cursor *c, vt_bundle_entry *e, vt_error *err)
{
    const char *line, *v;
    size_t n, vn;
    uint64_t parts[3];
    vt_status st;
    if ((st = expect_magic(c, BUNDLE_MAGIC, err)) != VT_OK || (st = next_line(c, &line, &n, err)))
        return st;
    if (!(v = key_value(line, n, "serial", &vn)) || !vt_distrib_parse_decimal(v, vn, &e->serial) ||
        e->serial == 0)
        return fail(c, err, VT_ERR_FORMAT, "expected 'serial N' (N >= 1)", NULL);
    if ((st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "min-engine", &vn)) || !parse_version(v, vn, parts) ||
        vn >= sizeof e->min_engine)
        return fail(c, err, VT_ERR_FORMAT, "expected 'min-engine MAJOR.MINOR.PATCH'", NULL);
    memcpy(e->min_engine, v, vn);
    e->min_engine[vn] = 0;
    while (!at_end(c)) {
        if ((st = next_line(c, &line, &n, err)) != VT_OK)
            return st;
        const char *space;
        if (!(v = key_value(line, n, "rule", &vn)) || !(space = memchr(v, ' ', vn)))
            return fail(c, err, VT_ERR_FORMAT, "expected 'rule INDEX SHA256'", NULL);
        vt_bundle_rule r;
        if (!vt_distrib_parse_decimal(v, (size_t)(space - v), &r.index) ||
            !parse_hex32(space + 1, vn - (size_t)(space - v) - 1, r.sha256))
            return fail(c, err, VT_ERR_FORMAT,
                        "expected 'rule INDEX SHA256' (decimal, 64 lowercase hex digits)", NULL);
        if (e->rule_count > 0 && r.index <= e->rules[e->rule_count - 1].index)
            return fail(c, err, VT_ERR_FORMAT, "rule indexes must be strictly increasing", NULL);
        if (e->rule_count == VT_DISTRIB_MAX_RULES)
            return fail(c, err, VT_ERR_LIMIT, "too many rules in the bundle", NULL);
        vt_bundle_rule *grown = realloc(e->rules, (e->rule_count + 1) * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        e->rules = grown;
        e->rules[e->rule_count++] = r;
    }
    if (e->rule_count == 0)
        return fail(c, err, VT_ERR_FORMAT, "a bundle names at least one rule entry", NULL);
    return VT_OK;
}

vt_status vt_bundle_entry_parse(const void *data, size_t len, vt_bundle_entry *out, vt_error *err)
{
    cursor c;
    vt_status st = start_parse(out, sizeof *out, data, len, "bundle entry", &c, err);
    if (st == VT_OK && (st = parse_bundle(&c, out, err)) != VT_OK)
        vt_bundle_entry_clear(out);
    return st;
}

vt_status vt_bundle_entry_format(const vt_bundle_entry *e, vt_buf *out, vt_error *err)
{
    uint64_t parts[3];
    if (e->serial == 0 || e->rule_count == 0 || e->rule_count > VT_DISTRIB_MAX_RULES ||
        !parse_version(e->min_engine, strlen(e->min_engine), parts))
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "a bundle needs a serial >= 1, 1 to %u rules and a minimum engine "
                            "version",
                            VT_DISTRIB_MAX_RULES);
    size_t start = out->len;
    vt_status st = vt_buf_printf(out, BUNDLE_MAGIC "\nserial %llu\nmin-engine %s\n",
                                 (unsigned long long)e->serial, e->min_engine);
    for (size_t i = 0; i < e->rule_count && st == VT_OK; i++) {
        if (i > 0 && e->rules[i].index <= e->rules[i - 1].index)
            return vt_error_set(err, VT_ERR_ARGUMENT, "bundle rule indexes must increase");
        char hex[65];
        vt_distrib_hex(e->rules[i].sha256, hex);
        st = vt_buf_printf(out, "rule %llu %s\n", (unsigned long long)e->rules[i].index, hex);
    }
    if (st != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (out->len - start > VT_DISTRIB_MAX_ENTRY)
        return vt_error_set(err, VT_ERR_LIMIT, "bundle entry over %u bytes", VT_DISTRIB_MAX_ENTRY);
    return VT_OK;
}

/* ---- release entries ---- */

void vt_release_entry_clear(vt_release_entry *e)
{
    free(e->binaries);
    memset(e, 0, sizeof *e);
}

static vt_status parse_release(cursor *c, vt_release_entry *e, vt_error *err)
{
    const char *line, *v;
    size_t n, vn;
    uint64_t parts[3];
    vt_status st;
    if ((st = expect_magic(c, RELEASE_MAGIC, err)) != VT_OK || (st = next_line(c, &line, &n, err)))
        return st;
    if (!(v = key_value(line, n, "version", &vn)) || !parse_version(v, vn, parts) ||
        vn >= sizeof e->version)
        return fail(c, err, VT_ERR_FORMAT, "expected 'version MAJOR.MINOR.PATCH'", NULL);
    memcpy(e->version, v, vn);
    e->version[vn] = 0;
    if ((st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "source", &vn)) || !parse_hex32(v, vn, e->source_sha256))
        return fail(c, err, VT_ERR_FORMAT, "expected 'source SHA256'", NULL);
    return parse_named_files(c, "binary", "binaries", VT_DISTRIB_MAX_BINARIES, &e->binaries,
                             &e->binary_count, err);
}

vt_status vt_release_entry_parse(const void *data, size_t len, vt_release_entry *out,
                                 vt_error *err)
{
    cursor c;
    vt_status st = start_parse(out, sizeof *out, data, len, "release entry", &c, err);
    if (st == VT_OK && (st = parse_release(&c, out, err)) != VT_OK)
        vt_release_entry_clear(out);
    return st;
}

vt_status vt_release_entry_format(const vt_release_entry *e, vt_buf *out, vt_error *err)
{
    uint64_t parts[3];
    if (!parse_version(e->version, strlen(e->version), parts) ||
        e->binary_count > VT_DISTRIB_MAX_BINARIES)
        return vt_error_set(err, VT_ERR_ARGUMENT, "a release needs a MAJOR.MINOR.PATCH version");
    char hex[65];
    vt_distrib_hex(e->source_sha256, hex);
    vt_status st = vt_buf_printf(out, RELEASE_MAGIC "\nversion %s\nsource %s\n", e->version, hex);
    if (st != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return format_named_files("binary", e->binaries, e->binary_count, out, err);
}

/* ---- audit acknowledgment entries ---- */

void vt_audit_ack_entry_clear(vt_audit_ack_entry *e)
{
    free(e->reason);
    memset(e, 0, sizeof *e);
}

/* An auditor finding id: "AUD-", 1..12 capital letters, "-", three digits. */
static int valid_finding(const char *s, size_t n)
{
    if (n < 9 || n >= sizeof(((vt_audit_ack_entry *)0)->finding) || memcmp(s, "AUD-", 4) != 0)
        return 0;
    size_t i = 4;
    while (i < n && s[i] >= 'A' && s[i] <= 'Z')
        i++;
    if (i == 4 || i - 4 > 12 || i + 4 != n || s[i] != '-')
        return 0;
    for (i++; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static vt_status parse_audit_ack(cursor *c, vt_audit_ack_entry *e, vt_error *err)
{
    const char *line, *v;
    size_t n, vn;
    vt_status st;
    if ((st = expect_magic(c, AUDIT_ACK_MAGIC, err)) != VT_OK ||
        (st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "rule-entry", &vn)) || !parse_hex32(v, vn, e->rule_entry))
        return fail(c, err, VT_ERR_FORMAT, "expected 'rule-entry SHA256'", NULL);
    if ((st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "finding", &vn)) || !valid_finding(v, vn))
        return fail(c, err, VT_ERR_FORMAT, "expected 'finding AUD-KIND-NNN'", NULL);
    memcpy(e->finding, v, vn);
    e->finding[vn] = 0;
    if ((st = required_field(c, "reason", valid_text, &e->reason, err)) != VT_OK)
        return st;
    if (!at_end(c))
        return fail(c, err, VT_ERR_FORMAT, "expected the end of the entry after 'reason'", NULL);
    return VT_OK;
}

vt_status vt_audit_ack_entry_parse(const void *data, size_t len, vt_audit_ack_entry *out,
                                   vt_error *err)
{
    cursor c;
    vt_status st = start_parse(out, sizeof *out, data, len, "audit ack entry", &c, err);
    if (st == VT_OK && (st = parse_audit_ack(&c, out, err)) != VT_OK)
        vt_audit_ack_entry_clear(out);
    return st;
}

vt_status vt_audit_ack_entry_format(const vt_audit_ack_entry *e, vt_buf *out, vt_error *err)
{
    if (!valid_finding(e->finding, strnlen(e->finding, sizeof e->finding)))
        return vt_error_set(err, VT_ERR_ARGUMENT, "not an audit finding id (AUD-KIND-NNN): '%.*s'",
                            (int)sizeof e->finding, e->finding);
    if (!e->reason || !valid_text(e->reason, strlen(e->reason)))
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "the reason must be one line of text without control characters");
    char hex[65];
    vt_distrib_hex(e->rule_entry, hex);
    vt_status st = vt_buf_printf(out, AUDIT_ACK_MAGIC "\nrule-entry %s\nfinding %s\nreason %s\n",
                                 hex, e->finding, e->reason);
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

/* ---- compiling the rule entries of a bundle ---- */

vt_status vt_distrib_add_rule_entry(vt_compiler *compiler, distrib_namespace *ns, uint64_t index,
                                 const void *data, size_t len, char **name, vt_error *err)
{
    vt_rule_entry rule;
    vt_status st = vt_rule_entry_parse(data, len, &rule, err);
    if (st != VT_OK)
        return st;
    if (rule.part <= 1) {
        snprintf(ns->ns, sizeof ns->ns, "log-%" PRIu64, index);
        ns->part = 1;
    } else if (rule.part != ns->part + 1 || strcmp(rule.name, ns->name) != 0) {
        st = vt_error_set(err, VT_ERR_FORMAT,
                          "rule entry %" PRIu64 " is part %" PRIu64 " of %s but the bundle's "
                          "previous entry is not part %" PRIu64 " of that file",
                          index, rule.part, rule.name, rule.part - 1);
    } else {
        ns->part = rule.part;
    }
    if (st == VT_OK) {
        snprintf(ns->name, sizeof ns->name, "%s", rule.name);
        if (compiler)
            st = vt_compiler_add_source(compiler, ns->ns, rule.name, rule.source, rule.source_len,
                                        err);
    }
    if (st == VT_OK && name) {
        *name = rule.name;
        rule.name = NULL;
    }
    vt_rule_entry_clear(&rule);
    return st;
}

/* ---- data-policy entries ---- */

static const char *const policy_type_names[] = {
    [VT_POLICY_INTEGER] = "integer",         [VT_POLICY_STRING] = "string",
    [VT_POLICY_VERSION] = "version",         [VT_POLICY_SHA256] = "sha256",
    [VT_POLICY_RULE_COUNTS] = "rule-counts", [VT_POLICY_BYTES] = "bytes",
};

const char *vt_policy_type_name(vt_policy_type type)
{
    if ((unsigned)type < VT_POLICY_INTEGER || (unsigned)type > VT_POLICY_BYTES)
        return NULL;
    return policy_type_names[type];
}

static int policy_type_of(const char *s, size_t n, vt_policy_type *out)
{
    for (unsigned t = VT_POLICY_INTEGER; t <= VT_POLICY_BYTES; t++)
        if (strlen(policy_type_names[t]) == n && memcmp(policy_type_names[t], s, n) == 0) {
            *out = (vt_policy_type)t;
            return 1;
        }
    return 0;
}

/* A report or field name: [a-z0-9-], 1..64 bytes, starting with a letter. */
static int valid_policy_name(const char *s, size_t n)
{
    if (n == 0 || n > VT_POLICY_MAX_NAME || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int vt_policy_url_valid(const char *url, size_t n)
{
    size_t i;
    int plain;
    if (n > 8 && memcmp(url, "https://", 8) == 0)
        i = 8, plain = 0;
    else if (n > 7 && memcmp(url, "http://", 7) == 0)
        i = 7, plain = 1;
    else
        return 0;
    size_t host = i;
    while (i < n && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= '0' && url[i] <= '9') ||
                     url[i] == '.' || url[i] == '-'))
        i++;
    size_t host_len = i - host;
    if (host_len == 0 || host_len > 253 || url[host] == '.' || url[host] == '-' ||
        url[i - 1] == '.')
        return 0;
    if (plain && !(host_len == 9 && memcmp(url + host, "127.0.0.1", 9) == 0) &&
        !(host_len == 9 && memcmp(url + host, "localhost", 9) == 0))
        return 0;
    if (i < n && url[i] == ':') {
        size_t port = ++i;
        while (i < n && url[i] >= '0' && url[i] <= '9')
            i++;
        uint64_t value;
        if (!vt_distrib_parse_decimal(url + port, i - port, &value) || value == 0 || value > 65535)
            return 0;
    }
    if (i == n)
        return 1;
    if (url[i] != '/' || url[n - 1] == '/')
        return 0;
    for (; i < n; i++)
        if (!((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
              (url[i] >= '0' && url[i] <= '9') || strchr("._~/-", url[i])) ||
            url[i] == 0)
            return 0;
    return 1;
}

void vt_data_policy_entry_clear(vt_data_policy_entry *e)
{
    for (size_t r = 0; r < e->report_count; r++) {
        vt_policy_report *report = &e->reports[r];
        for (size_t f = 0; f < report->field_count; f++) {
            free(report->fields[f].name);
            free(report->fields[f].purpose);
        }
        free(report->fields);
        free(report->name);
        free(report->purpose);
    }
    free(e->reports);
    free(e->collector);
    free(e->relay);
    memset(e, 0, sizeof *e);
}

const vt_policy_report *vt_data_policy_report(const vt_data_policy_entry *policy, const char *name)
{
    for (size_t i = 0; i < policy->report_count; i++)
        if (strcmp(policy->reports[i].name, name) == 0)
            return &policy->reports[i];
    return NULL;
}

const vt_policy_field *vt_policy_report_field(const vt_policy_report *report, const char *name)
{
    for (size_t i = 0; i < report->field_count; i++)
        if (strcmp(report->fields[i].name, name) == 0)
            return &report->fields[i];
    return NULL;
}

/* Compare a length-delimited name with a stored one, as strcmp does on bytes. */
static int name_cmp(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* The next word of [*p, end) up to a space (or the end), and its length; *p moves past it. */
static size_t next_word(const char **p, const char *end, const char **word)
{
    const char *space = memchr(*p, ' ', (size_t)(end - *p));
    *word = *p;
    size_t n = (size_t)((space ? space : end) - *p);
    *p = space ? space + 1 : end;
    return n;
}

/* "field NAME TYPE CATEGORY RETENTION-DAYS EXPIRES PURPOSE..." */
static vt_status parse_policy_field(cursor *c, const char *v, size_t vn, vt_policy_field *f,
                                    vt_error *err)
{
    const char *p = v, *end = v + vn, *name, *type, *cat, *ret, *exp;
    size_t name_n = next_word(&p, end, &name), type_n = next_word(&p, end, &type),
           cat_n = next_word(&p, end, &cat), ret_n = next_word(&p, end, &ret),
           exp_n = next_word(&p, end, &exp);
    uint64_t category, retention;
    if (p >= end)
        return fail(c, err, VT_ERR_FORMAT,
                    "expected 'field NAME TYPE CATEGORY RETENTION-DAYS EXPIRES PURPOSE'", NULL);
    if (!valid_policy_name(name, name_n))
        return fail(c, err, VT_ERR_FORMAT,
                    "invalid field name (expected [a-z0-9-], 1-64 bytes, starting with a letter)",
                    NULL);
    if (!policy_type_of(type, type_n, &f->type))
        return fail(c, err, VT_ERR_FORMAT,
                    "invalid field type (expected integer, string, version, sha256, rule-counts "
                    "or bytes)",
                    NULL);
    if (!vt_distrib_parse_decimal(cat, cat_n, &category) || category < 1 || category > 4)
        return fail(c, err, VT_ERR_FORMAT, "invalid category (expected 1, 2, 3 or 4)", NULL);
    if (!vt_distrib_parse_decimal(ret, ret_n, &retention) || retention < 1 || retention > 3650)
        return fail(c, err, VT_ERR_FORMAT, "invalid retention (expected 1 to 3650 days)", NULL);
    if (!valid_date(exp, exp_n))
        return fail(c, err, VT_ERR_FORMAT, "invalid expiry date (expected YYYY-MM-DD)", NULL);
    if (!valid_text(p, (size_t)(end - p)))
        return fail(c, err, VT_ERR_FORMAT, "invalid field purpose", NULL);
    f->category = (unsigned)category;
    f->retention_days = (unsigned)retention;
    memcpy(f->expires, exp, 10);
    f->expires[10] = 0;
    if (!(f->name = dup_n(name, name_n)) || !(f->purpose = dup_n(p, (size_t)(end - p))))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

static vt_status parse_data_policy(cursor *c, vt_data_policy_entry *e, vt_error *err)
{
    const char *line, *v;
    size_t n, vn;
    vt_status st;
    if ((st = expect_magic(c, DATA_POLICY_MAGIC, err)) != VT_OK ||
        (st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "serial", &vn)) || !vt_distrib_parse_decimal(v, vn, &e->serial) ||
        e->serial == 0)
        return fail(c, err, VT_ERR_FORMAT, "expected 'serial N' (N >= 1)", NULL);
    if ((st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "date", &vn)) || !valid_date(v, vn))
        return fail(c, err, VT_ERR_FORMAT, "expected 'date YYYY-MM-DD'", NULL);
    memcpy(e->date, v, 10);
    e->date[10] = 0;
    if ((st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if (!(v = key_value(line, n, "collector", &vn)) || !vt_policy_url_valid(v, vn))
        return fail(c, err, VT_ERR_FORMAT,
                    "expected 'collector URL' (https://, or http:// only for 127.0.0.1 or "
                    "localhost; no query, no trailing '/')",
                    NULL);
    if (!(e->collector = dup_n(v, vn)))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if ((st = next_line(c, &line, &n, err)) != VT_OK)
        return st;
    if ((v = key_value(line, n, "relay", &vn))) {
        if (!vt_policy_url_valid(v, vn))
            return fail(c, err, VT_ERR_FORMAT,
                        "invalid relay URL (https://, or http:// only for 127.0.0.1 or localhost)",
                        NULL);
        if (!(e->relay = dup_n(v, vn)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        if ((st = next_line(c, &line, &n, err)) != VT_OK)
            return st;
    }
    for (;;) {
        if (!(v = key_value(line, n, "report", &vn)))
            return fail(c, err, VT_ERR_FORMAT,
                        e->report_count ? "expected 'report NAME' or 'field ...'"
                                        : "expected 'report NAME'",
                        NULL);
        if (!valid_policy_name(v, vn))
            return fail(c, err, VT_ERR_FORMAT,
                        "invalid report name (expected [a-z0-9-], 1-64 bytes, starting with a "
                        "letter)",
                        NULL);
        if (e->report_count > 0 && name_cmp(v, vn, e->reports[e->report_count - 1].name) <= 0)
            return fail(c, err, VT_ERR_FORMAT, "report names must be in strictly increasing order",
                        NULL);
        if (e->report_count == VT_POLICY_MAX_REPORTS)
            return fail(c, err, VT_ERR_LIMIT, "too many reports (at most 64)", NULL);
        vt_policy_report *grown = realloc(e->reports, (e->report_count + 1) * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        e->reports = grown;
        vt_policy_report *report = &e->reports[e->report_count++];
        memset(report, 0, sizeof *report);
        if (!(report->name = dup_n(v, vn)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        if ((st = next_line(c, &line, &n, err)) != VT_OK)
            return st;
        if (!(v = key_value(line, n, "purpose", &vn)) || !valid_text(v, vn))
            return fail(c, err, VT_ERR_FORMAT, "expected 'purpose TEXT'", NULL);
        if (!(report->purpose = dup_n(v, vn)))
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        for (;;) {
            if (at_end(c)) {
                if (report->field_count == 0)
                    return fail(c, err, VT_ERR_FORMAT, "a report declares at least one field",
                                NULL);
                return VT_OK;
            }
            if ((st = next_line(c, &line, &n, err)) != VT_OK)
                return st;
            if (!(v = key_value(line, n, "field", &vn)))
                break;
            if (report->field_count == VT_POLICY_MAX_FIELDS)
                return fail(c, err, VT_ERR_LIMIT, "too many fields in one report (at most 64)",
                            NULL);
            vt_policy_field *fields =
                realloc(report->fields, (report->field_count + 1) * sizeof *fields);
            if (!fields)
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            report->fields = fields;
            vt_policy_field *f = &fields[report->field_count++];
            memset(f, 0, sizeof *f);
            if ((st = parse_policy_field(c, v, vn, f, err)) != VT_OK)
                return st;
            if (report->field_count > 1 && strcmp(f->name, fields[report->field_count - 2].name) <= 0)
                return fail(c, err, VT_ERR_FORMAT,
                            "field names must be in strictly increasing order", f->name);
        }
        if (report->field_count == 0)
            return fail(c, err, VT_ERR_FORMAT, "a report declares at least one field", NULL);
    }
}

vt_status vt_data_policy_entry_parse(const void *data, size_t len, vt_data_policy_entry *out,
                                     vt_error *err)
{
    cursor c;
    vt_status st = start_parse(out, sizeof *out, data, len, "data-policy entry", &c, err);
    if (st == VT_OK && (st = parse_data_policy(&c, out, err)) != VT_OK)
        vt_data_policy_entry_clear(out);
    return st;
}

/* Everything the parser checks, on a policy built in memory. */
static vt_status check_data_policy(const vt_data_policy_entry *e, vt_error *err)
{
    if (e->serial == 0 || e->serial >= 1000000000000000000ull)
        return vt_error_set(err, VT_ERR_ARGUMENT, "a data policy needs a serial >= 1");
    if (!valid_date(e->date, strnlen(e->date, sizeof e->date)))
        return vt_error_set(err, VT_ERR_ARGUMENT, "a data policy needs a date YYYY-MM-DD");
    if (!e->collector || !vt_policy_url_valid(e->collector, strlen(e->collector)) ||
        (e->relay && !vt_policy_url_valid(e->relay, strlen(e->relay))))
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "collector and relay must be https:// URLs (http:// only for "
                            "127.0.0.1 or localhost)");
    if (e->report_count == 0 || e->report_count > VT_POLICY_MAX_REPORTS)
        return vt_error_set(err, VT_ERR_ARGUMENT, "a data policy declares 1 to %u reports",
                            VT_POLICY_MAX_REPORTS);
    for (size_t r = 0; r < e->report_count; r++) {
        const vt_policy_report *report = &e->reports[r];
        if (!report->name || !valid_policy_name(report->name, strlen(report->name)) ||
            (r > 0 && strcmp(report->name, e->reports[r - 1].name) <= 0))
            return vt_error_set(err, VT_ERR_ARGUMENT,
                                "report names must be [a-z0-9-] in strictly increasing order");
        if (!report->purpose || !valid_text(report->purpose, strlen(report->purpose)))
            return vt_error_set(err, VT_ERR_ARGUMENT, "report %s: invalid purpose", report->name);
        if (report->field_count == 0 || report->field_count > VT_POLICY_MAX_FIELDS)
            return vt_error_set(err, VT_ERR_ARGUMENT, "report %s declares 1 to %u fields",
                                report->name, VT_POLICY_MAX_FIELDS);
        for (size_t i = 0; i < report->field_count; i++) {
            const vt_policy_field *f = &report->fields[i];
            if (!f->name || !valid_policy_name(f->name, strlen(f->name)) ||
                (i > 0 && strcmp(f->name, report->fields[i - 1].name) <= 0))
                return vt_error_set(err, VT_ERR_ARGUMENT,
                                    "report %s: field names must be [a-z0-9-] in strictly "
                                    "increasing order",
                                    report->name);
            if (!vt_policy_type_name(f->type) || f->category < 1 || f->category > 4 ||
                f->retention_days < 1 || f->retention_days > 3650 ||
                !valid_date(f->expires, strnlen(f->expires, sizeof f->expires)) || !f->purpose ||
                !valid_text(f->purpose, strlen(f->purpose)))
                return vt_error_set(err, VT_ERR_ARGUMENT,
                                    "field %s: invalid type, category (1-4), retention (1-3650 "
                                    "days), expiry date or purpose",
                                    f->name);
        }
    }
    return VT_OK;
}

vt_status vt_data_policy_entry_format(const vt_data_policy_entry *e, vt_buf *out, vt_error *err)
{
    vt_status st = check_data_policy(e, err);
    if (st != VT_OK)
        return st;
    size_t start = out->len;
    st = vt_buf_printf(out, DATA_POLICY_MAGIC "\nserial %" PRIu64 "\ndate %s\ncollector %s\n",
                       e->serial, e->date, e->collector);
    if (st == VT_OK && e->relay)
        st = vt_buf_printf(out, "relay %s\n", e->relay);
    for (size_t r = 0; r < e->report_count && st == VT_OK; r++) {
        const vt_policy_report *report = &e->reports[r];
        st = vt_buf_printf(out, "report %s\npurpose %s\n", report->name, report->purpose);
        for (size_t i = 0; i < report->field_count && st == VT_OK; i++) {
            const vt_policy_field *f = &report->fields[i];
            st = vt_buf_printf(out, "field %s %s %u %u %s %s\n", f->name,
                               vt_policy_type_name(f->type), f->category, f->retention_days,
                               f->expires, f->purpose);
        }
    }
    if (st != VT_OK) {
        out->len = start;
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    if (out->len - start > VT_DISTRIB_MAX_ENTRY) {
        out->len = start;
        out->data[start] = 0;
        return vt_error_set(err, VT_ERR_LIMIT, "data-policy entry over %u bytes",
                            VT_DISTRIB_MAX_ENTRY);
    }
    return VT_OK;
}

/* ---- page entries ---- */

void vt_page_entry_clear(vt_page_entry *e)
{
    free(e->files);
    memset(e, 0, sizeof *e);
}

static vt_status parse_page(cursor *c, vt_page_entry *e, vt_error *err)
{
    vt_status st = expect_magic(c, PAGE_MAGIC, err);
    if (st == VT_OK)
        st = parse_named_files(c, "file", "files", VT_DISTRIB_MAX_PAGE_FILES, &e->files,
                               &e->file_count, err);
    if (st == VT_OK && e->file_count == 0)
        return fail(c, err, VT_ERR_FORMAT, "a page entry names at least one file", NULL);
    return st;
}

vt_status vt_page_entry_parse(const void *data, size_t len, vt_page_entry *out, vt_error *err)
{
    cursor c;
    vt_status st = start_parse(out, sizeof *out, data, len, "page entry", &c, err);
    if (st == VT_OK && (st = parse_page(&c, out, err)) != VT_OK)
        vt_page_entry_clear(out);
    return st;
}

vt_status vt_page_entry_format(const vt_page_entry *e, vt_buf *out, vt_error *err)
{
    if (e->file_count == 0 || e->file_count > VT_DISTRIB_MAX_PAGE_FILES)
        return vt_error_set(err, VT_ERR_ARGUMENT, "a page entry names 1 to %u files",
                            VT_DISTRIB_MAX_PAGE_FILES);
    if (vt_buf_append_str(out, PAGE_MAGIC "\n") != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return format_named_files("file", e->files, e->file_count, out, err);
}
