/* entry.c: the log entry formats of docs/entries.md (rule, bundle, release, audit ack, page):
 * canonical text, parsed strictly line by line (every line ends in a newline, fields in a fixed
 * order, decimals without leading zeros, lowercase hex), and formatted back byte for byte. */
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

static int valid_date(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static int parse_decimal(const char *s, size_t n, uint64_t *out)
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

/* MAJOR.MINOR.PATCH, each a decimal without leading zeros. */
static int parse_version(const char *s, size_t n, uint64_t parts[3])
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (!parse_decimal(s + start, i - start, &parts[k]) || parts[k] > 999999)
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

static vt_status check_size(size_t len, const char *what, vt_error *err)
{
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

vt_entry_kind vt_entry_kind_of(const void *data, size_t len)
{
    static const struct {
        const char *magic;
        vt_entry_kind kind;
    } kinds[] = {{RULE_MAGIC "\n", VT_ENTRY_RULE},
                 {BUNDLE_MAGIC "\n", VT_ENTRY_BUNDLE},
                 {RELEASE_MAGIC "\n", VT_ENTRY_RELEASE},
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
    if (!parse_decimal(v, vn, part) || *part < 2 || *part > VT_DISTRIB_MAX_RULES)
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
    memset(out, 0, sizeof *out);
    vt_status st = check_size(len, "rule entry", err);
    if (st != VT_OK)
        return st;
    cursor c = {data, (const char *)data + len, data, 0, "rule entry"};
    if ((st = parse_rule(&c, out, err)) != VT_OK)
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
    if (!(v = key_value(line, n, "serial", &vn)) || !parse_decimal(v, vn, &e->serial) ||
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
        if (!parse_decimal(v, (size_t)(space - v), &r.index) ||
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
    memset(out, 0, sizeof *out);
    vt_status st = check_size(len, "bundle entry", err);
    if (st != VT_OK)
        return st;
    cursor c = {data, (const char *)data + len, data, 0, "bundle entry"};
    if ((st = parse_bundle(&c, out, err)) != VT_OK)
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
    while (!at_end(c)) {
        if ((st = next_line(c, &line, &n, err)) != VT_OK)
            return st;
        const char *space;
        vt_release_binary b;
        if (!(v = key_value(line, n, "binary", &vn)) || !(space = memchr(v, ' ', vn)) ||
            !valid_name(v, (size_t)(space - v)) ||
            !parse_hex32(space + 1, vn - (size_t)(space - v) - 1, b.sha256))
            return fail(c, err, VT_ERR_FORMAT, "expected 'binary NAME SHA256'", NULL);
        memcpy(b.name, v, (size_t)(space - v));
        b.name[space - v] = 0;
        if (e->binary_count > 0 && strcmp(b.name, e->binaries[e->binary_count - 1].name) <= 0)
            return fail(c, err, VT_ERR_FORMAT, "binary names must be in strictly increasing order",
                        NULL);
        if (e->binary_count == VT_DISTRIB_MAX_BINARIES)
            return fail(c, err, VT_ERR_LIMIT, "too many binaries", NULL);
        vt_release_binary *grown = realloc(e->binaries, (e->binary_count + 1) * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        e->binaries = grown;
        e->binaries[e->binary_count++] = b;
    }
    return VT_OK;
}

vt_status vt_release_entry_parse(const void *data, size_t len, vt_release_entry *out,
                                 vt_error *err)
{
    memset(out, 0, sizeof *out);
    vt_status st = check_size(len, "release entry", err);
    if (st != VT_OK)
        return st;
    cursor c = {data, (const char *)data + len, data, 0, "release entry"};
    if ((st = parse_release(&c, out, err)) != VT_OK)
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
    for (size_t i = 0; i < e->binary_count && st == VT_OK; i++) {
        const vt_release_binary *b = &e->binaries[i];
        if (!valid_name(b->name, strlen(b->name)) ||
            (i > 0 && strcmp(b->name, e->binaries[i - 1].name) <= 0))
            return vt_error_set(err, VT_ERR_ARGUMENT,
                                "binary names must be [A-Za-z0-9._+-] in increasing order");
        vt_distrib_hex(b->sha256, hex);
        st = vt_buf_printf(out, "binary %s %s\n", b->name, hex);
    }
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
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
    memset(out, 0, sizeof *out);
    vt_status st = check_size(len, "audit ack entry", err);
    if (st != VT_OK)
        return st;
    cursor c = {data, (const char *)data + len, data, 0, "audit ack entry"};
    if ((st = parse_audit_ack(&c, out, err)) != VT_OK)
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

/* ---- page entries ---- */

void vt_page_entry_clear(vt_page_entry *e)
{
    free(e->files);
    memset(e, 0, sizeof *e);
}

static vt_status parse_page(cursor *c, vt_page_entry *e, vt_error *err)
{
    const char *line, *v;
    size_t n, vn;
    vt_status st = expect_magic(c, PAGE_MAGIC, err);
    if (st != VT_OK)
        return st;
    while (!at_end(c)) {
        if ((st = next_line(c, &line, &n, err)) != VT_OK)
            return st;
        const char *space;
        vt_page_file f;
        if (!(v = key_value(line, n, "file", &vn)) || !(space = memchr(v, ' ', vn)) ||
            !valid_name(v, (size_t)(space - v)) ||
            !parse_hex32(space + 1, vn - (size_t)(space - v) - 1, f.sha256))
            return fail(c, err, VT_ERR_FORMAT, "expected 'file NAME SHA256'", NULL);
        memcpy(f.name, v, (size_t)(space - v));
        f.name[space - v] = 0;
        if (e->file_count > 0 && strcmp(f.name, e->files[e->file_count - 1].name) <= 0)
            return fail(c, err, VT_ERR_FORMAT, "file names must be in strictly increasing order",
                        NULL);
        if (e->file_count == VT_DISTRIB_MAX_PAGE_FILES)
            return fail(c, err, VT_ERR_LIMIT, "too many files", NULL);
        vt_page_file *grown = realloc(e->files, (e->file_count + 1) * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        e->files = grown;
        e->files[e->file_count++] = f;
    }
    if (e->file_count == 0)
        return fail(c, err, VT_ERR_FORMAT, "a page entry names at least one file", NULL);
    return VT_OK;
}

vt_status vt_page_entry_parse(const void *data, size_t len, vt_page_entry *out, vt_error *err)
{
    memset(out, 0, sizeof *out);
    vt_status st = check_size(len, "page entry", err);
    if (st != VT_OK)
        return st;
    cursor c = {data, (const char *)data + len, data, 0, "page entry"};
    if ((st = parse_page(&c, out, err)) != VT_OK)
        vt_page_entry_clear(out);
    return st;
}

vt_status vt_page_entry_format(const vt_page_entry *e, vt_buf *out, vt_error *err)
{
    if (e->file_count == 0 || e->file_count > VT_DISTRIB_MAX_PAGE_FILES)
        return vt_error_set(err, VT_ERR_ARGUMENT, "a page entry names 1 to %u files",
                            VT_DISTRIB_MAX_PAGE_FILES);
    vt_status st = vt_buf_append_str(out, PAGE_MAGIC "\n");
    for (size_t i = 0; i < e->file_count && st == VT_OK; i++) {
        const vt_page_file *f = &e->files[i];
        if (!valid_name(f->name, strnlen(f->name, sizeof f->name)) ||
            (i > 0 && strcmp(f->name, e->files[i - 1].name) <= 0))
            return vt_error_set(err, VT_ERR_ARGUMENT,
                                "file names must be [A-Za-z0-9._+-] in increasing order");
        char hex[65];
        vt_distrib_hex(f->sha256, hex);
        st = vt_buf_printf(out, "file %s %s\n", f->name, hex);
    }
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}
