/* audit.c: the static checks of the rule auditor (vitrine/audit.h, docs/audit.md). For every
 * string of a compiled ruleset it works out what the string can match, two ways:
 * - its literal bytes (a text string's plaintext, the fixed runs of a hex string or regex, and
 *   what those decode to: base64, any single-byte xor key) are searched for the markings and
 *   personal-data keywords in all their encodings (markings.c), as whole words;
 * - the string itself, with its modifiers, is run by the engine's matcher over a probe buffer
 *   holding every marking and sample datum, and over a control copy with their letters and
 *   digits changed: a string that covers a marking or datum in the probe but nothing in the
 *   control hunts for it (this is how regexes, wildcards, nocase and wide are judged).
 * Then the rule's condition is read: executable indicators (MZ, ELF, Mach-O, PE module use),
 * document magics, file-name externals compared with document extensions, and constant strings
 * and regexes compared with markings. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/distrib.h>
#include <vitrine/match.h>
#include <vitrine/scan.h>

#include "audit_internal.h"

/* What a string (or a rule) shows. */
enum {
    SHOW_EXEC = 1,      /* executable magic or structure */
    SHOW_DOC = 2,       /* a document magic or container structure name */
    SHOW_ACTIVE = 4,    /* macro, script, exploit, embedded object, binary code */
    SHOW_CONTENT = 8,   /* content: text that is not container structure */
    SHOW_HUNTS = 16,    /* a marking or personal-data finding */
    SHOW_DOC_NAME = 32, /* a file-name external compared with a document extension */
    SHOW_STRUCTURE = 64, /* a document's structure or metadata field (/Author, \\title) */
};

typedef struct audit_run {
    const vt_audit_tables *tables;
    const vt_ruleset *rules;
    vt_ruleset_view view;
    vt_audit_report *report;
    unsigned *string_shows; /* SHOW_* per string */
    unsigned *rule_shows;   /* SHOW_* per rule (strings and condition, referenced rules) */
    char doc_name[160];     /* the current rule's document file-name comparison */
    char doc_magic[80];     /* the current rule's document magic in the condition */
    vt_error *err;
} audit_run;

/* ---- findings ---- */

vt_status vt_audit_add_finding(vt_audit_report *report, vt_error *err, uint32_t rule,
                               const char *id, vt_audit_severity severity, const char *string,
                               const char *format, ...)
{
    vt_audit_rule *r = &report->rules[rule];
    for (size_t i = 0; i < r->finding_count; i++) /* one finding per id and string */
        if (strcmp(r->findings[i].id, id) == 0 &&
            ((!string && !r->findings[i].string) ||
             (string && r->findings[i].string && strcmp(string, r->findings[i].string) == 0)))
            return VT_OK;
    vt_audit_finding *f = realloc(r->findings, (r->finding_count + 1) * sizeof *f);
    if (!f)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
    r->findings = f;
    f = &r->findings[r->finding_count];
    memset(f, 0, sizeof *f);
    snprintf(f->id, sizeof f->id, "%s", id);
    f->severity = severity;
    va_list ap;
    va_start(ap, format);
    char text[1024];
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    f->reason = strdup(text);
    f->string = string ? strdup(string) : NULL;
    if (!f->reason || (string && !f->string)) {
        free(f->reason);
        free(f->string);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
    }
    r->finding_count++;
    if (severity == VT_AUDIT_FLAG && !r->flagged) {
        r->flagged = true;
        report->flagged_count++;
    }
    return VT_OK;
}

/* Bytes as a short quoted text: printable ASCII as is, the rest \xHH, cut at `max` bytes. */
static void quote(const uint8_t *b, size_t len, size_t max, char *out, size_t out_size)
{
    size_t k = 0;
    for (size_t i = 0; i < len && i < max && k + 6 < out_size; i++) {
        uint32_t cp;
        size_t u = b[i] >= 0x80 ? vt_utf8_next(b + i, len - i, &cp) : 0;
        if (u > 1 && k + u + 1 < out_size) { /* a marking in UTF-8 stays readable */
            memcpy(out + k, b + i, u);
            k += u;
            i += u - 1;
        } else if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\')
            out[k++] = (char)b[i];
        else
            k += (size_t)snprintf(out + k, out_size - k, "\\x%02X", b[i]);
    }
    if (len > max && k + 4 < out_size) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = 0;
}

/* `$a = "..." wide nocase` as a reason names the string. */
static void describe_string(const audit_run *a, const vt_rs_string *s, char *out, size_t size)
{
    const uint8_t *text = (const uint8_t *)vt_ruleset_str(a->rules, s->text);
    char q[300];
    if (s->kind == VT_STRING_TEXT)
        quote(text, s->text.len, 60, q, sizeof q);
    else {
        size_t from = 0, to = s->text.len;
        while (from < to && isspace(text[from]))
            from++;
        while (to > from && isspace(text[to - 1]))
            to--;
        size_t n = to - from < 70 ? to - from : 70;
        snprintf(q, sizeof q, "%.*s%s", (int)n, (const char *)text + from,
                 to - from > 70 ? "..." : "");
    }
    const char *open = s->kind == VT_STRING_TEXT ? "\"" : s->kind == VT_STRING_HEX ? "{ " : "/";
    const char *close = s->kind == VT_STRING_TEXT ? "\"" : s->kind == VT_STRING_HEX ? " }" : "/";
    int k = snprintf(out, size, "%s = %s%s%s", vt_ruleset_str(a->rules, s->identifier), open, q,
                     close);
    static const struct {
        unsigned bit;
        const char *name;
    } mods[] = {{VT_MOD_NOCASE, "nocase"}, {VT_MOD_WIDE, "wide"}, {VT_MOD_ASCII, "ascii"},
                {VT_MOD_FULLWORD, "fullword"}, {VT_MOD_XOR, "xor"}, {VT_MOD_BASE64, "base64"},
                {VT_MOD_BASE64WIDE, "base64wide"}};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0] && k > 0 && (size_t)k < size; i++)
        if (s->flags & mods[i].bit)
            k += snprintf(out + k, size - (size_t)k, " %s", mods[i].name);
}

/* ---- literal bytes of a string ---- */

typedef struct run_list {
    struct {
        uint8_t *bytes;
        size_t len;
        bool whole; /* the run is the whole string */
    } *runs;
    size_t count, cap;
} run_list;

static bool run_add(run_list *l, const uint8_t *bytes, size_t len, bool whole)
{
    if (len < 2)
        return true;
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        void *n = realloc(l->runs, ncap * sizeof *l->runs);
        if (!n)
            return false;
        l->runs = n;
        l->cap = ncap;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return false;
    memcpy(copy, bytes, len);
    l->runs[l->count].bytes = copy;
    l->runs[l->count].len = len;
    l->runs[l->count].whole = whole;
    l->count++;
    return true;
}

static void runs_free(run_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->runs[i].bytes);
    free(l->runs);
    memset(l, 0, sizeof *l);
}

static int hex_value(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The fixed byte runs of a hex string: pairs of hex digits; wildcards, jumps, alternatives,
 * negations and comments end a run. */
static bool hex_runs(const char *t, size_t len, run_list *l)
{
    uint8_t buf[4096];
    size_t n = 0, total = 0;
    bool ok = true, broken = false;
    for (size_t i = 0; i < len && ok;) {
        int h = hex_value((unsigned char)t[i]);
        int lo = i + 1 < len ? hex_value((unsigned char)t[i + 1]) : -1;
        if (h >= 0 && lo >= 0 && (i == 0 || t[i - 1] != '~')) {
            if (n < sizeof buf)
                buf[n++] = (uint8_t)(h << 4 | lo);
            total++;
            i += 2;
        } else if (isspace((unsigned char)t[i]) || t[i] == '{' || t[i] == '}') {
            i++;
        } else if (t[i] == '/' && i + 1 < len && (t[i + 1] == '/' || t[i + 1] == '*')) {
            const char *end = t[i + 1] == '/' ? memchr(t + i, '\n', len - i) : NULL;
            if (t[i + 1] == '*') {
                for (size_t j = i + 2; j + 1 < len; j++)
                    if (t[j] == '*' && t[j + 1] == '/') {
                        end = t + j + 1;
                        break;
                    }
            }
            i = end ? (size_t)(end - t) + 1 : len;
        } else {
            ok = run_add(l, buf, n, false);
            n = 0;
            broken = true;
            if (t[i] == '[')
                while (i < len && t[i] != ']')
                    i++;
            i++;
        }
    }
    (void)total;
    return ok && run_add(l, buf, n, !broken && l->count == 0);
}

/* The literal runs of a regex: characters outside classes and groups, with escapes resolved;
 * a quantifier takes its atom off the run. */
static bool regex_runs(const char *t, size_t len, run_list *l)
{
    uint8_t buf[4096];
    size_t n = 0;
    bool ok = true, broken = false;
    for (size_t i = 0; i < len && ok;) {
        unsigned char c = (unsigned char)t[i];
        int lit = -1;
        size_t adv = 1;
        if (c == '\\' && i + 1 < len) {
            unsigned char e = (unsigned char)t[i + 1];
            adv = 2;
            if (e == 'x' && i + 3 < len && hex_value((unsigned char)t[i + 2]) >= 0 &&
                hex_value((unsigned char)t[i + 3]) >= 0) {
                lit = hex_value((unsigned char)t[i + 2]) << 4 | hex_value((unsigned char)t[i + 3]);
                adv = 4;
            } else if (e == 'n')
                lit = '\n';
            else if (e == 'r')
                lit = '\r';
            else if (e == 't')
                lit = '\t';
            else if (!isalnum(e))
                lit = e;
        } else if (!strchr("[](){}|.*+?^$", c)) {
            lit = c;
        }
        if (lit >= 0) {
            size_t next = i + adv;
            bool quantified = next < len && strchr("*+?{", t[next]);
            if (quantified) {
                ok = run_add(l, buf, n, false);
                n = 0;
                broken = true;
            } else if (n < sizeof buf) {
                buf[n++] = (uint8_t)lit;
            }
            i = next;
            continue;
        }
        ok = run_add(l, buf, n, false);
        n = 0;
        if (!(c == '^' && i == 0) && !(c == '$' && i + 1 == len))
            broken = true;
        if (c == '[') { /* skip the class */
            i++;
            if (i < len && t[i] == '^')
                i++;
            if (i < len && t[i] == ']')
                i++;
            while (i < len && t[i] != ']')
                i += t[i] == '\\' ? 2 : 1;
        } else if (c == '{') {
            while (i < len && t[i] != '}')
                i++;
        }
        i += adv;
    }
    return ok && run_add(l, buf, n, !broken && l->count == 0);
}

/* ---- searching literal bytes for needles ---- */

static bool is_word_byte(uint8_t c, vt_audit_encoding enc)
{
    if (isalnum(c) || c == '_')
        return true;
    if (c < 0x80)
        return false;
    return enc != VT_AUDIT_GB2312; /* a letter of a legacy encoding, or part of a UTF-8 one */
}

/* Is the unit before [at] / from [at] a letter of the encoding? */
static bool word_before(const uint8_t *b, size_t at, vt_audit_encoding enc)
{
    if (enc == VT_AUDIT_UTF16LE) {
        if (at < 2)
            return false;
        return b[at - 1] != 0 ? b[at - 1] < 0x20 || b[at - 1] >= 0x04
                              : isalnum(b[at - 2]) || b[at - 2] == '_' || b[at - 2] >= 0xC0;
    }
    return at > 0 && is_word_byte(b[at - 1], enc);
}

static bool word_after(const uint8_t *b, size_t len, size_t at, vt_audit_encoding enc)
{
    if (enc == VT_AUDIT_UTF16LE) {
        if (at + 2 > len)
            return false;
        return b[at + 1] != 0 ? b[at + 1] >= 0x04
                              : isalnum(b[at]) || b[at] == '_' || b[at] >= 0xC0;
    }
    return at < len && is_word_byte(b[at], enc);
}

/* Does b[0..len) hold nothing but the bytes [from, to) and punctuation, spaces, NULs? */
static bool alone(const uint8_t *b, size_t len, size_t from, size_t to)
{
    for (size_t i = 0; i < len; i++)
        if ((i < from || i >= to) && (isalnum(b[i]) || b[i] >= 0x80))
            return false;
    return true;
}

typedef struct hit {
    const vt_audit_needle *needle;
    int xor_key; /* -1: none */
    const char *via; /* "", "base64 of", ... */
} hit;

/* The first needle found in b as a whole word; weak needles only as the whole string. */
static bool search_needles(const vt_audit_tables *t, const uint8_t *b, size_t len, bool whole,
                           bool nocase, hit *out)
{
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned key = (unsigned)vt_audit_fold(b[i]) << 8 | vt_audit_fold(b[i + 1]);
        for (uint32_t k = t->bucket_first[key]; k != VT_NONE32; k = t->bucket_next[k]) {
            const vt_audit_needle *n = &t->needles[k];
            if (n->len > len - i)
                continue;
            bool fold = !n->weak || nocase;
            if (n->weak && n->lower && !nocase)
                continue;
            size_t j = 0;
            if (fold)
                while (j < n->len && vt_audit_fold(b[i + j]) == vt_audit_fold(n->bytes[j]))
                    j++;
            else
                while (j < n->len && b[i + j] == n->bytes[j])
                    j++;
            if (j < n->len)
                continue;
            if (!n->cjk && (word_before(b, i, n->encoding) ||
                            word_after(b, len, i + n->len, n->encoding)))
                continue;
            if (n->weak && !(whole && alone(b, len, i, i + n->len)))
                continue;
            out->needle = n;
            out->xor_key = -1;
            return true;
        }
    }
    return false;
}

/* A strong needle hidden with a single-byte xor key (1-255). */
static bool search_xor(const vt_audit_tables *t, const uint8_t *b, size_t len, hit *out)
{
    for (size_t i = 0; i + 2 < len; i++) {
        unsigned key = (unsigned)(b[i] ^ b[i + 1]) << 8 | (b[i + 1] ^ b[i + 2]);
        for (uint32_t k = t->xbucket_first[key]; k != VT_NONE32; k = t->xbucket_next[k]) {
            const vt_audit_needle *n = &t->needles[k];
            if (n->len > len - i)
                continue;
            uint8_t x = b[i] ^ n->bytes[0];
            if (x == 0)
                continue; /* plain: search_needles' business */
            size_t j = 0;
            while (j < n->len && (uint8_t)(b[i + j] ^ x) == n->bytes[j])
                j++;
            if (j == n->len) {
                out->needle = n;
                out->xor_key = x;
                return true;
            }
        }
    }
    return false;
}

/* Base64 text inside b, decoded at each of the four alignments (a fragment: a last partial
 * group is decoded too, and unused bits are ignored). */
static bool search_base64(const vt_audit_tables *t, const uint8_t *b, size_t len, hit *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && b[end] && strchr(alphabet, b[end]))
            end++;
        for (size_t shift = 0; shift < 4 && end - start >= 8 + shift; shift++) {
            uint8_t dec[3072];
            size_t dlen = 0;
            uint32_t acc = 0;
            unsigned bits = 0;
            for (size_t i = start + shift; i < end && dlen < sizeof dec; i++) {
                acc = acc << 6 | (uint32_t)(strchr(alphabet, b[i]) - alphabet);
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    dec[dlen++] = (uint8_t)(acc >> bits);
                }
            }
            if (search_needles(t, dec, dlen, false, false, out))
                return true;
        }
        start = end + 1;
    }
    return false;
}

/* ---- what a string shows ---- */

static bool contains_nocase(const uint8_t *b, size_t len, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= len; i++) {
        size_t j = 0;
        while (j < w && tolower(b[i + j]) == (unsigned char)word[j])
            j++;
        if (j == w)
            return true;
    }
    return false;
}

static bool contains_bytes(const uint8_t *b, size_t len, const void *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(b + i, needle, n) == 0)
            return true;
    return false;
}

/* Macro, script, exploit, embedded-object and download words: a document rule with one of
 * these looks for active content, which is what malware in documents is. */
static const char *const active_words[] = {
    "vba", "macro", "autoopen", "auto_open", "autoclose", "auto_close", "document_open",
    "workbook_open", "autoexec", "shell", "powershell", "cmd", "wscript", "cscript",
    "createobject", "javascript", "/js", "/launch", "/openaction", "/aa", "/embeddedfile",
    "/richmedia", "/xfa", "objdata", "objupdate", "\\object", "equation", "ole10native",
    "urldownload", "http:", "https:", "ftp:", ".exe", ".dll", ".scr", ".hta", ".bat", ".ps1",
    "mshta", "regsvr", "rundll", "eval", "unescape", "activex", "ddeauto", "dde", "excel4",
    "exec", "cve-", "shellcode", "getobject", "virtualalloc", "kernel32", "meta-inf",
    ".class", "classes.dex", "androidmanifest", "script", "payload", "download", "attribute vb_",
    "chr(", "callbyname", "\\objemb", "\\objocx", "oleobject", "activate", "process",
    "environ", "base64", "frombase64", "invoke", "iex", "bitsadmin", "certutil", "<?php",
    "<%", "function", "var ", "window.", "document.write", "iframe", "xmlhttp", "adodb",
    "winhttp", "savetofile", "dropper", "exploit", "heap", "spray", "rop", "jmp", "call ",
    "ole2link", "objinfo", "linkinfo", "datastore", "mscomctl", "clsid", "progid", "mscf",
    ".log", ".tmp", ".dat", ".bin", ".lnk", ".vbs", ".js", ".jar", ".cab", ".msi", "setq",
    "(defun", ".lsp", ".fas", "acad", "temp\\", "appdata", "%temp%",
};

/* Container structure: names that say what a document is, not what it says. */
static const char *const doc_structure[] = {
    "%pdf", "{\\rt", "[content_types].xml", "word/", "xl/", "ppt/", "docprops/",
    "application/vnd.oasis.opendocument", "mimetypeapplication/vnd", "application/pdf",
    "application/msword", "application/vnd.openxmlformats", "application/vnd.ms-",
    "application/rtf", /* the names above also say "a document" (DOC_NAMES of them) */
    "content.xml", "meta.xml", "endobj", "endstream", "xref", "trailer", "%%eof", "<w:",
    "<office:", "xmlns", "<x:", "<rdf:", "<dc:", "<pdf", "<xmp", "xmp:", "<meta", "<chunk",
    "obj", "index[", "decode", "stream", "generator", "msftedit", "</pdf", "creator",
    "title", "author", "creationdate", "producer", "moddate", "keywords", "subject",
    "startxref",
};
enum { DOC_NAMES = 14 };

/* A PDF name (/Author, /Filter, /JBIG2Decode) or an RTF control word (\author, {\*\generator):
 * a document's structure or metadata field, not its text. */
static bool is_structure_token(const uint8_t *b, size_t len)
{
    size_t i = 0;
    while (i < len && (b[i] == '{' || b[i] == '*' || b[i] == ' '))
        i++;
    if (i + 2 >= len || (b[i] != '/' && b[i] != '\\'))
        return false;
    return isalpha(b[i + 1]) && isalpha(b[i + 2]);
}

static const uint8_t ole2[] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

static unsigned classify_bytes(const uint8_t *b, size_t len, bool at_start);

/* A base64 segment of 24 characters or more inside b that decodes to binary: an encoded
 * payload. */
static bool has_base64_payload(const uint8_t *b, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t start = 0; start < len;) {
        size_t end = start;
        while (end < len && b[end] && strchr(alphabet, b[end]))
            end++;
        if (end - start >= 24) {
            size_t controls = 0, high = 0;
            uint32_t acc = 0;
            unsigned bits = 0;
            for (size_t i = start; i < end; i++) {
                acc = acc << 6 | (uint32_t)(strchr(alphabet, b[i]) - alphabet);
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    uint8_t c = (uint8_t)(acc >> bits);
                    controls += c < 0x09 || (c > 0x0d && c < 0x20);
                    high += c >= 0x80;
                }
            }
            if (controls >= 2 && controls + high >= 4)
                return true;
        }
        start = end + 1;
    }
    return false;
}

static unsigned classify_bytes(const uint8_t *b, size_t len, bool at_start)
{
    unsigned shows = 0;
    if ((at_start && len >= 2 && b[0] == 'M' && b[1] == 'Z') ||
        contains_nocase(b, len, "this program cannot be run") ||
        contains_nocase(b, len, "this program must be run under") ||
        contains_bytes(b, len, "\x7f" "ELF", 4) || contains_bytes(b, len, "PE\0\0", 4) ||
        contains_bytes(b, len, "\xFE\xED\xFA", 3) || contains_bytes(b, len, "\xFA\xED\xFE", 3) ||
        contains_bytes(b, len, "\xCA\xFE\xBA\xBE", 4) || contains_bytes(b, len, ".text\0", 6) ||
        contains_bytes(b, len, ".rdata\0", 7) || contains_bytes(b, len, "__TEXT", 6))
        shows |= SHOW_EXEC;
    if (contains_bytes(b, len, ole2, 4))
        shows |= SHOW_DOC;
    for (size_t i = 0; i < sizeof active_words / sizeof active_words[0]; i++)
        if (contains_nocase(b, len, active_words[i])) {
            shows |= SHOW_ACTIVE;
            break;
        }
    bool structure = is_structure_token(b, len);
    for (size_t i = 0; i < sizeof doc_structure / sizeof doc_structure[0]; i++)
        if (contains_nocase(b, len, doc_structure[i])) {
            structure = true;
            if (i < DOC_NAMES)
                shows |= SHOW_DOC;
        }
    /* binary bytes that are not text in any of the encodings: code or a file structure */
    size_t binary = 0, high = 0;
    bool wide_text = len >= 4;
    for (size_t i = 0; i < len; i++) {
        uint32_t cp;
        size_t u = b[i] >= 0x80 ? vt_utf8_next(b + i, len - i, &cp) : 0;
        if (b[i] < 0x09 || (b[i] > 0x0d && b[i] < 0x20) || b[i] == 0x7f)
            binary++;
        else if (b[i] >= 0x80 && u < 2)
            high++;
        else if (u > 1)
            i += u - 1;
        if (i % 2 == 1 && b[i] != 0 && b[i] != 0x04)
            wide_text = false;
    }
    if (wide_text) { /* UTF-16LE text: judge its characters */
        uint8_t narrow[1024];
        size_t n = 0;
        for (size_t i = 0; i < len && n < sizeof narrow; i += 2)
            narrow[n++] = b[i];
        if (n < len)
            return classify_bytes(narrow, n, at_start) | (shows & SHOW_DOC);
    }
    if ((binary >= 4 || (binary >= 1 && high >= 4)) && !(shows & SHOW_DOC) &&
        !contains_bytes(b, len, ole2, 4))
        shows |= SHOW_ACTIVE;
    /* content: words, i.e. three letters (digits alone are numbers, e.g. of a structure) */
    size_t letters = 0;
    for (size_t i = 0; i < len; i++)
        letters += isalpha(b[i]) || (b[i] >= 0x80 && !binary);
    if (!structure && !(shows & (SHOW_EXEC | SHOW_ACTIVE)) && letters >= 3)
        shows |= SHOW_CONTENT;
    return shows | (structure ? SHOW_STRUCTURE : 0);
}

/* Text that encodes other bytes: ASCII hex ("4f4c45324c696e6b", as RTF objdata carries
 * objects) or base64 (16 characters or more). The decoded bytes, or 0 bytes. */
static size_t decode_text(const uint8_t *b, size_t len, uint8_t *out, size_t out_size)
{
    size_t n = 0;
    bool hex = len >= 8 && len % 2 == 0;
    for (size_t i = 0; hex && i < len; i++)
        hex = hex_value(b[i]) >= 0;
    if (hex) {
        for (size_t i = 0; i + 1 < len && n < out_size; i += 2)
            out[n++] = (uint8_t)(hex_value(b[i]) << 4 | hex_value(b[i + 1]));
        return n;
    }
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t end = 0;
    while (end < len && b[end] && strchr(alphabet, b[end]))
        end++;
    while (end < len && b[end] == '=')
        end++;
    if (end != len || len < 16)
        return 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len && b[i] != '=' && n < out_size; i++) {
        acc = acc << 6 | (uint32_t)(strchr(alphabet, b[i]) - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n;
}

/* What a literal run shows, also through the encoding it may be written in. */
static unsigned classify_run(const uint8_t *b, size_t len, bool at_start)
{
    uint8_t dec[2048];
    size_t n = decode_text(b, len, dec, sizeof dec);
    if (n)
        return classify_bytes(dec, n, at_start); /* the bytes the text stands for */
    unsigned shows = classify_bytes(b, len, at_start);
    if (has_base64_payload(b, len))
        shows = (shows & ~(unsigned)SHOW_CONTENT) | SHOW_ACTIVE;
    /* a short base64 text of a document header ("JVBERi0" is "%PDF-") is structure */
    bool b64 = len >= 6 && len < 16;
    for (size_t i = 0; b64 && i < len; i++)
        b64 = isalnum(b[i]) || b[i] == '+' || b[i] == '/';
    if (b64) {
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        uint32_t acc = 0;
        unsigned bits = 0;
        n = 0;
        for (size_t i = 0; i < len; i++) {
            acc = acc << 6 | (uint32_t)(strchr(alphabet, b[i]) - alphabet);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                dec[n++] = (uint8_t)(acc >> bits);
            }
        }
        if (classify_bytes(dec, n, at_start) & SHOW_DOC)
            shows = (shows & ~(unsigned)SHOW_CONTENT) | SHOW_DOC;
    }
    return shows;
}

static vt_status report_hit(audit_run *a, uint32_t s_index, const hit *h, const char *how)
{
    const vt_rs_string *s = &a->view.strings[s_index];
    char desc[512], key[32] = "";
    describe_string(a, s, desc, sizeof desc);
    if (h->xor_key >= 0)
        snprintf(key, sizeof key, " under xor key 0x%02X", h->xor_key);
    a->string_shows[s_index] |= SHOW_HUNTS;
    const vt_audit_needle *n = h->needle;
    if (n->topic == VT_AUDIT_TOPIC_MARKING)
        return vt_audit_add_finding(a->report, a->err, s->rule, vt_audit_topic_id(n->topic), VT_AUDIT_FLAG,
                           vt_ruleset_str(a->rules, s->identifier),
                           "%s %s the %s%s marking \"%s\" (%s%s)", desc, how, n->family,
                           n->weak ? " (alone)" : "", n->text,
                           vt_audit_encoding_name(n->encoding), key);
    return vt_audit_add_finding(a->report, a->err, s->rule, vt_audit_topic_id(n->topic), VT_AUDIT_FLAG,
                       vt_ruleset_str(a->rules, s->identifier), "%s %s the %s \"%s\" (%s%s)",
                       desc, how, vt_audit_topic_name(n->topic), n->text,
                       vt_audit_encoding_name(n->encoding), key);
}

/* The literal checks of one string. */
static vt_status check_literals(audit_run *a, uint32_t s_index)
{
    const vt_rs_string *s = &a->view.strings[s_index];
    const char *text = vt_ruleset_str(a->rules, s->text);
    run_list runs = {0};
    bool ok;
    if (s->kind == VT_STRING_TEXT)
        ok = run_add(&runs, (const uint8_t *)text, s->text.len, true);
    else if (s->kind == VT_STRING_HEX)
        ok = hex_runs(text, s->text.len, &runs);
    else
        ok = regex_runs(text, s->text.len, &runs);
    if (!ok) {
        runs_free(&runs);
        return vt_error_set(a->err, VT_ERR_NOMEM, "out of memory auditing");
    }
    bool nocase = (s->flags & VT_MOD_NOCASE) || (s->flags & VT_RS_REGEX_NOCASE);
    unsigned shows = 0;
    vt_status st = VT_OK;
    bool found = false;
    for (size_t i = 0; i < runs.count && st == VT_OK; i++) {
        const uint8_t *b = runs.runs[i].bytes;
        size_t len = runs.runs[i].len;
        shows |= classify_run(b, len, i == 0 && s->kind != VT_STRING_REGEX);
        if (found)
            continue;
        hit h;
        const char *how = s->flags & (VT_MOD_XOR | VT_MOD_BASE64 | VT_MOD_BASE64WIDE)
                              ? "hunts (encoded) for" : "contains";
        if (search_needles(a->tables, b, len, runs.runs[i].whole, nocase, &h)) {
            st = report_hit(a, s_index, &h, how);
            found = true;
        } else if (search_xor(a->tables, b, len, &h)) {
            st = report_hit(a, s_index, &h, "is xor-encoded");
            found = true;
        } else if (search_base64(a->tables, b, len, &h)) {
            st = report_hit(a, s_index, &h, "is base64 of text with");
            found = true;
        } else {
            uint8_t dec[2048];
            size_t n = decode_text(b, len, dec, sizeof dec);
            if (n && (search_needles(a->tables, dec, n, false, nocase, &h) ||
                      search_xor(a->tables, dec, n, &h))) {
                st = report_hit(a, s_index, &h, "is ASCII hex of bytes with");
                found = true;
            }
        }
    }
    if (shows & SHOW_STRUCTURE) /* a value of a metadata field, e.g. /Creator (NAME) */
        shows &= ~(unsigned)SHOW_CONTENT;
    a->string_shows[s_index] |= shows;
    runs_free(&runs);
    return st;
}

/* ---- running the strings over the probe and the control ---- */

typedef struct cover {
    uint32_t string;
    uint32_t sample;
} cover;

typedef struct cover_list {
    cover *items;
    size_t count, cap;
    const vt_audit_tables *tables;
    vt_status status;
} cover_list;

/* The sample whose core the match [off, off + len) covers, or VT_NONE32. */
static uint32_t covered_sample(const vt_audit_tables *t, uint64_t off, uint32_t len)
{
    size_t lo = 0, hi = t->sample_count;
    while (lo < hi) { /* first sample with core >= off */
        size_t mid = (lo + hi) / 2;
        if (t->samples[mid].core < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < t->sample_count && t->samples[i].core < off + len; i++)
        if (t->samples[i].core + t->samples[i].core_len <= off + len &&
            off >= t->samples[i].lo && off + len <= t->samples[i].hi)
            return (uint32_t)i;
    return VT_NONE32;
}

static int on_cover(void *ctx, const vt_match *m)
{
    cover_list *l = ctx;
    uint32_t sample = covered_sample(l->tables, m->offset, m->length);
    if (sample == VT_NONE32)
        return 0;
    if (l->count && l->items[l->count - 1].string == m->string_id &&
        l->items[l->count - 1].sample == sample)
        return 0;
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 256;
        cover *n = realloc(l->items, ncap * sizeof *n);
        if (!n) {
            l->status = VT_ERR_NOMEM;
            return 1;
        }
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->count++] = (cover){m->string_id, sample};
    return 0;
}

static int cover_cmp(const void *x, const void *y)
{
    const cover *a = x, *b = y;
    if (a->string != b->string)
        return a->string < b->string ? -1 : 1;
    return a->sample < b->sample ? -1 : a->sample > b->sample;
}

static vt_status scan_covers(const vt_matcher *m, const vt_buf *buf, cover_list *out,
                             vt_error *err)
{
    vt_matcher_scratch *scratch = vt_matcher_scratch_new(m);
    if (!scratch)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
    vt_status st = vt_matcher_scan(m, scratch, buf->data, buf->len, on_cover, out, err);
    vt_matcher_scratch_free(scratch);
    if (st == VT_OK && out->status != VT_OK)
        st = vt_error_set(err, out->status, "out of memory auditing");
    if (st == VT_OK && out->count)
        qsort(out->items, out->count, sizeof *out->items, cover_cmp);
    return st;
}

static vt_status check_probe(audit_run *a)
{
    size_t n = a->view.string_count;
    if (n == 0)
        return VT_OK;
    vt_string_spec *specs = calloc(n, sizeof *specs);
    if (!specs)
        return vt_error_set(a->err, VT_ERR_NOMEM, "out of memory auditing");
    for (size_t i = 0; i < n; i++)
        vt_ruleset_string_spec(a->rules, &a->view.strings[i], &specs[i]);
    vt_matcher *m = NULL;
    vt_status st = vt_matcher_build(specs, n, &m, a->err);
    free(specs);
    cover_list probe = {.tables = a->tables}, control = {.tables = a->tables};
    if (st == VT_OK)
        st = scan_covers(m, &a->tables->probe, &probe, a->err);
    if (st == VT_OK)
        st = scan_covers(m, &a->tables->control, &control, a->err);
    vt_matcher_free(m);
    /* a string that covers a sample and covers nothing of the control hunts for it */
    size_t c = 0;
    for (size_t i = 0; st == VT_OK && i < probe.count; i++) {
        uint32_t s = probe.items[i].string;
        while (c < control.count && control.items[c].string < s)
            c++;
        bool generic = false;
        for (size_t k = c; k < control.count && control.items[k].string == s; k++)
            if (control.items[k].sample == probe.items[i].sample)
                generic = true;
        if (generic)
            continue;
        const vt_audit_sample *sample = &a->tables->samples[probe.items[i].sample];
        vt_audit_needle pseudo = {.encoding = sample->encoding, .topic = sample->topic,
                                  .text = sample->text, .family = sample->family,
                                  .weak = sample->weak};
        hit h = {.needle = &pseudo, .xor_key = -1};
        st = report_hit(a, s, &h, "matches");
    }
    free(probe.items);
    free(control.items);
    return st;
}

/* ---- conditions ---- */

static bool is_exec_constant(int64_t v)
{
    return v == 0x5A4D || v == 0x4D5A || v == 0x464C457F || v == 0x7F454C46 ||
           v == 0xFEEDFACE || v == 0xFEEDFACF || v == 0xCEFAEDFE || v == 0xCFFAEDFE ||
           v == 0xCAFEBABE || v == 0xBEBAFECA || v == 0x4550 || v == 0x00004550 ||
           v == 0x0A786564; /* dex\n */
}

static bool is_doc_constant(int64_t v)
{
    return v == 0x46445025 || v == 0x25504446 || v == 0xE011CFD0 || v == 0xD0CF11E0 ||
           v == (int64_t)0xE11AB1A1E011CFD0ull || v == 0x74725C7B || v == 0x7B5C7274 ||
           v == 0x6674725C7B;
}

static const char *const name_externals[] = {"filename", "filepath", "file_name", "file_path",
                                             "extension", "ext", "filetype", "file_type",
                                             "fullpath", "path", "name"};

static bool is_name_external(const char *name)
{
    for (size_t i = 0; i < sizeof name_externals / sizeof name_externals[0]; i++)
        if (strcasecmp(name, name_externals[i]) == 0)
            return true;
    return false;
}

static const char *const doc_names[] = {"report.doc", "report.docx", "report.docm",
                                        "budget.xls", "budget.xlsx", "slides.ppt",
                                        "slides.pptx", "scan.pdf", "memo.rtf", "memo.odt",
                                        "sheet.ods", "notes.txt", "mail.eml", "mail.msg"};
static const char *const exec_names[] = {"setup.exe", "lib.dll", "run.js", "a.vbs", "x.elf",
                                         "tool.ps1"};
static const char *const doc_exts[] = {"doc", "docx", "docm", "xls", "xlsx", "ppt", "pptx",
                                       "pdf", "rtf", "odt", "ods", "odp", "txt", "eml", "msg",
                                       "csv"};

static bool string_names_doc(const char *s)
{
    const char *dot = strrchr(s, '.');
    const char *ext = dot ? dot + 1 : s;
    for (size_t i = 0; i < sizeof doc_exts / sizeof doc_exts[0]; i++)
        if (strcasecmp(ext, doc_exts[i]) == 0)
            return true;
    return false;
}

/* Does the regex match some document file name and no executable one? */
static vt_status regex_names_doc(const char *pattern, size_t len, unsigned flags, bool *out,
                                 vt_error *err)
{
    vt_string_spec spec = {.kind = VT_STRING_REGEX, .data = (const uint8_t *)pattern,
                           .len = len, .regex_flags = flags};
    vt_string_matcher *m = NULL;
    *out = false;
    vt_status st = vt_regex_matcher_new(&spec, &m, err);
    if (st != VT_OK)
        return st;
    vt_match_scratch *scratch = vt_match_scratch_new();
    if (!scratch) {
        vt_string_matcher_free(m);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
    }
    bool doc = false, exec = false;
    for (size_t i = 0; st == VT_OK && i < sizeof doc_names / sizeof doc_names[0]; i++) {
        int64_t end;
        st = vt_string_matcher_regex_match(m, scratch, (const uint8_t *)doc_names[i],
                                           strlen(doc_names[i]), &end, err);
        doc |= st == VT_OK && end > 0;
    }
    for (size_t i = 0; st == VT_OK && i < sizeof exec_names / sizeof exec_names[0]; i++) {
        int64_t end;
        st = vt_string_matcher_regex_match(m, scratch, (const uint8_t *)exec_names[i],
                                           strlen(exec_names[i]), &end, err);
        exec |= st == VT_OK && end > 0;
    }
    vt_match_scratch_free(scratch);
    vt_string_matcher_free(m);
    *out = doc && !exec;
    return st;
}

/* The other operand of a comparison node whose operand is `child`. */
static uint32_t other_operand(const vt_rs_node *nodes, uint32_t parent, uint32_t child)
{
    return nodes[parent].a == child ? nodes[parent].b : nodes[parent].a;
}

static bool is_comparison(unsigned op)
{
    return op == VT_OP_EQ || op == VT_OP_NE || (op >= VT_OP_CONTAINS && op <= VT_OP_MATCHES);
}

static vt_status check_condition(audit_run *a, uint32_t r)
{
    const vt_rs_rule *rule = &a->view.rules[r];
    const vt_rs_node *nodes = a->view.nodes;
    uint32_t first = rule->node_first, end = rule->node_first + rule->node_count;
    unsigned shows = 0;
    bool has_read = false;
    vt_status st = VT_OK;
    for (uint32_t i = first; i < end && st == VT_OK; i++) {
        const vt_rs_node *n = &nodes[i];
        switch (n->op) {
        case VT_OP_READ_INT: has_read = true; break;
        case VT_OP_ENTRYPOINT: shows |= SHOW_EXEC; break;
        case VT_OP_MODULE: {
            const char *m = vt_ruleset_str(a->rules, n->v.s);
            if (!strcmp(m, "pe") || !strcmp(m, "elf") || !strcmp(m, "macho") ||
                !strcmp(m, "dotnet") || !strcmp(m, "dex") || !strcmp(m, "cuckoo"))
                shows |= SHOW_EXEC;
            break;
        }
        case VT_OP_RULE:
            if (n->v.i >= 0 && (uint64_t)n->v.i < a->view.rule_count)
                shows |= a->rule_shows[n->v.i] & (SHOW_EXEC | SHOW_DOC | SHOW_ACTIVE);
            break;
        case VT_OP_CONST_STRING: {
            const uint8_t *b = (const uint8_t *)vt_ruleset_str(a->rules, n->v.s);
            hit h;
            shows |= classify_bytes(b, n->v.s.len, false) & (SHOW_DOC | SHOW_EXEC);
            if (search_needles(a->tables, b, n->v.s.len, true, true, &h)) {
                char q[200];
                quote(b, n->v.s.len, 60, q, sizeof q);
                st = vt_audit_add_finding(a->report, a->err, r, "AUD-MARKING-002", VT_AUDIT_FLAG, NULL,
                                 "the condition compares with \"%s\", the %s marking \"%s\"", q,
                                 h.needle->family, h.needle->text);
            }
            break;
        }
        case VT_OP_EXTERNAL: {
            const char *name = "";
            if (n->v.i >= 0 && (uint64_t)n->v.i < a->view.external_count)
                name = vt_ruleset_str(a->rules, a->view.externals[n->v.i].name);
            if (!is_name_external(name))
                break;
            for (uint32_t p = i + 1; p < end && st == VT_OK; p++) {
                if (!is_comparison(nodes[p].op) || (nodes[p].a != i && nodes[p].b != i))
                    continue;
                uint32_t o = other_operand(nodes, p, i);
                if (o == VT_NONE || o < first || o >= end)
                    continue;
                const char *val = vt_ruleset_str(a->rules, nodes[o].v.s);
                bool doc = false;
                if (nodes[o].op == VT_OP_CONST_STRING)
                    doc = string_names_doc(val);
                else if (nodes[o].op == VT_OP_CONST_REGEX)
                    st = regex_names_doc(val, nodes[o].v.s.len, nodes[o].flags, &doc, a->err);
                if (doc && !(shows & SHOW_DOC_NAME)) {
                    shows |= SHOW_DOC_NAME;
                    snprintf(a->doc_name, sizeof a->doc_name, "external %s %s %s%.80s%s", name,
                             vt_op_name(nodes[p].op),
                             nodes[o].op == VT_OP_CONST_REGEX ? "/" : "\"", val,
                             nodes[o].op == VT_OP_CONST_REGEX ? "/" : "\"");
                }
            }
            break;
        }
        case VT_OP_CONST_INT:
            if (is_exec_constant(n->v.i) && has_read)
                shows |= SHOW_EXEC;
            else if (is_doc_constant(n->v.i) && has_read) {
                shows |= SHOW_DOC;
                snprintf(a->doc_magic, sizeof a->doc_magic, "the condition compares a read "
                         "with 0x%" PRIX64, (uint64_t)n->v.i);
            }
            break;
        default: break;
        }
    }
    a->rule_shows[r] |= shows;
    return st;
}

/* ---- the verdict of a rule ---- */

static vt_status rule_verdict(audit_run *a, uint32_t r)
{
    const vt_rs_rule *rule = &a->view.rules[r];
    unsigned shows = a->rule_shows[r];
    char content[200] = "", magic[200] = "";
    size_t k = 0, km = 0;
    for (uint32_t i = rule->string_first; i < rule->string_first + rule->string_count; i++) {
        unsigned s = a->string_shows[i];
        if ((s & SHOW_DOC) && km + 40 < sizeof magic)
            km += (size_t)snprintf(magic + km, sizeof magic - km, "%s%s", km ? ", " : "",
                                   vt_ruleset_str(a->rules, a->view.strings[i].identifier));
        shows |= s & ~(unsigned)SHOW_CONTENT;
        if ((s & SHOW_CONTENT) || (s & SHOW_HUNTS)) {
            shows |= SHOW_CONTENT;
            if (k + 40 < sizeof content)
                k += (size_t)snprintf(content + k, sizeof content - k, "%s%s", k ? ", " : "",
                                      vt_ruleset_str(a->rules, a->view.strings[i].identifier));
        }
    }
    a->rule_shows[r] = shows;
    vt_status st = VT_OK;
    bool benign_context = shows & (SHOW_EXEC | SHOW_ACTIVE);
    if ((shows & SHOW_DOC) && (shows & SHOW_CONTENT) && !benign_context)
        st = vt_audit_add_finding(a->report, a->err, r, "AUD-DOC-001", VT_AUDIT_FLAG, NULL,
                         "a document magic or container name (%s%s%s) with content strings (%s) "
                         "and no macro, script, exploit or executable indicator",
                         km || a->doc_magic[0] ? magic : "in a rule it uses",
                         km && a->doc_magic[0] ? "; " : "", a->doc_magic, content);
    if (st == VT_OK && (shows & SHOW_DOC_NAME) && (shows & SHOW_CONTENT) && !benign_context)
        st = vt_audit_add_finding(a->report, a->err, r, "AUD-DOC-002", VT_AUDIT_FLAG, NULL,
                         "the condition compares a document file name (%s) and the rule has "
                         "content strings (%s) and no macro, script, exploit or executable "
                         "indicator",
                         a->doc_name, content);
    if (st == VT_OK && !(shows & SHOW_EXEC))
        st = vt_audit_add_finding(a->report, a->err, r, "AUD-NOEXEC-001", VT_AUDIT_NOTE, NULL,
                         "no executable indicator: no MZ, ELF or Mach-O magic, no pe, elf, "
                         "macho or dotnet module, no entrypoint");
    return st;
}

/* Findings in a stable order: flags first, then by id and string. */
static int finding_cmp(const void *x, const void *y)
{
    const vt_audit_finding *a = x, *b = y;
    if (a->severity != b->severity)
        return a->severity == VT_AUDIT_FLAG ? -1 : 1;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return strcmp(a->string ? a->string : "", b->string ? b->string : "");
}

vt_status vt_audit_ruleset(const vt_ruleset *rules, vt_audit_report **out, vt_error *err)
{
    *out = NULL;
    vt_audit_tables tables;
    vt_status st = vt_audit_tables_build(&tables, err);
    if (st != VT_OK)
        return st;
    audit_run a = {.tables = &tables, .rules = rules, .err = err};
    vt_ruleset_get_view(rules, &a.view);
    a.report = calloc(1, sizeof *a.report);
    a.string_shows = calloc(a.view.string_count + 1, sizeof *a.string_shows);
    a.rule_shows = calloc(a.view.rule_count + 1, sizeof *a.rule_shows);
    if (a.report)
        a.report->rules = calloc(a.view.rule_count + 1, sizeof *a.report->rules);
    if (!a.report || !a.string_shows || !a.rule_shows || !a.report->rules)
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
    if (st == VT_OK) {
        a.report->rule_count = a.view.rule_count;
        for (size_t r = 0; r < a.view.rule_count && st == VT_OK; r++) {
            vt_audit_rule *ar = &a.report->rules[r];
            const vt_rs_rule *rr = &a.view.rules[r];
            ar->name = strdup(vt_ruleset_str(rules, rr->name));
            ar->ns = strdup(rr->ns < a.view.namespace_count
                                ? vt_ruleset_str(rules, a.view.namespaces[rr->ns]) : "");
            ar->line = rr->line;
            if (!ar->name || !ar->ns)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
        }
    }
    for (size_t i = 0; st == VT_OK && i < a.view.string_count; i++)
        st = check_literals(&a, (uint32_t)i);
    if (st == VT_OK)
        st = check_probe(&a);
    for (size_t r = 0; st == VT_OK && r < a.view.rule_count; r++) {
        a.doc_name[0] = 0;
        a.doc_magic[0] = 0;
        st = check_condition(&a, (uint32_t)r);
        if (st == VT_OK)
            st = rule_verdict(&a, (uint32_t)r);
    }
    for (size_t r = 0; st == VT_OK && r < a.view.rule_count; r++)
        if (a.report->rules[r].finding_count > 1)
            qsort(a.report->rules[r].findings, a.report->rules[r].finding_count,
                  sizeof(vt_audit_finding), finding_cmp);
    free(a.string_shows);
    free(a.rule_shows);
    vt_audit_tables_free(&tables);
    if (st != VT_OK) {
        vt_audit_report_free(a.report);
        return st;
    }
    *out = a.report;
    return VT_OK;
}

vt_status vt_audit_source(const char *name, const char *text, size_t len,
                          const char *const *defines, size_t define_count,
                          vt_audit_report **out, vt_error *err)
{
    *out = NULL;
    vt_compiler *c = NULL;
    vt_ruleset *rules = NULL;
    vt_status st = vt_compiler_new(&c, err);
    for (size_t i = 0; st == VT_OK && i < define_count; i++) {
        char dname[256];
        const char *value;
        st = vt_rules_split_define(defines[i], dname, sizeof dname, &value, err);
        if (st == VT_OK)
            st = vt_compiler_define(c, dname, value, err);
    }
    if (st == VT_OK)
        st = vt_compiler_add_source(c, NULL, name, text, len, err);
    if (st == VT_OK)
        st = vt_compiler_finish(c, &rules, err);
    vt_compiler_free(c);
    if (st == VT_OK)
        st = vt_audit_ruleset(rules, out, err);
    vt_ruleset_free(rules);
    return st;
}

vt_status vt_audit_rule_entry(const void *entry, size_t len, vt_audit_report **out,
                              vt_error *err)
{
    *out = NULL;
    vt_rule_entry rule;
    vt_status st = vt_rule_entry_parse(entry, len, &rule, err);
    if (st != VT_OK)
        return st;
    st = vt_audit_source(rule.name, rule.source, rule.source_len, NULL, 0, out, err);
    vt_rule_entry_clear(&rule);
    return st;
}

size_t vt_audit_apply_acks(vt_audit_report *report, const unsigned char rule_entry[32],
                           const vt_audit_ack_entry *acks, size_t ack_count)
{
    size_t acknowledged = 0;
    report->flagged_count = 0;
    for (size_t r = 0; r < report->rule_count; r++) {
        vt_audit_rule *ar = &report->rules[r];
        ar->flagged = false;
        for (size_t i = 0; i < ar->finding_count; i++) {
            vt_audit_finding *f = &ar->findings[i];
            for (size_t k = 0; f->severity == VT_AUDIT_FLAG && k < ack_count; k++) {
                if (memcmp(acks[k].rule_entry, rule_entry, 32) != 0 ||
                    strncmp(acks[k].finding, f->id, sizeof f->id) != 0)
                    continue;
                size_t n = strlen(f->reason) + strlen(acks[k].reason) + 40;
                char *reason = malloc(n);
                if (!reason)
                    break; /* the finding stays flagged: never silenced by a failure */
                snprintf(reason, n, "acknowledged in the log (%s): %s", acks[k].reason,
                         f->reason);
                free(f->reason);
                f->reason = reason;
                f->severity = VT_AUDIT_NOTE;
                acknowledged++;
            }
            if (f->severity == VT_AUDIT_FLAG)
                ar->flagged = true;
        }
        report->flagged_count += ar->flagged;
    }
    return acknowledged;
}

void vt_audit_report_free(vt_audit_report *report)
{
    if (!report)
        return;
    for (size_t r = 0; r < report->rule_count; r++) {
        vt_audit_rule *ar = &report->rules[r];
        for (size_t i = 0; i < ar->finding_count; i++) {
            free(ar->findings[i].string);
            free(ar->findings[i].reason);
        }
        free(ar->findings);
        free(ar->corpus_example);
        free(ar->name);
        free(ar->ns);
    }
    free(report->rules);
    free(report);
}
