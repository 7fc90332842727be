/* string.c: one YARA string compiled for verification, with yara 4.2.3's semantics for each
 * kind and modifier (libyara scan.c): text compared as ascii then wide, nocase by ASCII case
 * folding, xor keys derived from the first byte, base64 as the alternation of the three shifted
 * encodings, hex and regex through the Pike VM, fullword checked on both sides; hex strings,
 * regexes and base64 strings whose result depends on yara's atoms are emulated (emulate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/match.h>

#include "ast.h"
#include "program.h"
#include "string_internal.h"

struct vt_match_scratch {
    vt_pike_scratch *pike;
    vt_emul_scratch *emul;
    vt_deadline *deadline; /* of the current scan, NULL: none */
};

void vt_match_scratch_set_deadline(vt_match_scratch *s, vt_deadline *deadline)
{
    s->deadline = deadline;
    vt_pike_scratch_set_deadline(s->pike, deadline);
    vt_emul_scratch_set_deadline(s->emul, deadline);
}

void vt_match_scratch_memo(vt_match_scratch *s, bool on)
{
    if (on)
        vt_pike_memo_begin(s->pike);
    else
        vt_pike_memo_end(s->pike);
}

vt_match_scratch *vt_match_scratch_new(void)
{
    vt_match_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->pike = vt_pike_scratch_new();
    s->emul = vt_emul_scratch_new();
    if (!s->pike || !s->emul) {
        vt_pike_scratch_free(s->pike);
        vt_emul_scratch_free(s->emul);
        free(s);
        return NULL;
    }
    return s;
}

void vt_match_scratch_free(vt_match_scratch *s)
{
    if (!s)
        return;
    vt_pike_scratch_free(s->pike);
    vt_emul_scratch_free(s->emul);
    free(s);
}

static bool is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const char default_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The part of the base64 encoding of `shift` unknown bytes followed by text that depends only
 * on the text (yara's base64 modifier). */
static size_t base64_stable(const uint8_t *text, size_t len, int shift, const char *alphabet,
                            char *out)
{
    size_t total = len + (size_t)shift;
    size_t chars = total * 8 / 6;
    size_t skip = shift == 0 ? 0 : (size_t)shift + 1;
    size_t n = 0;
    for (size_t i = skip; i < chars; i++) {
        size_t bit = i * 6;
        unsigned v = 0;
        for (int k = 0; k < 6; k++) {
            size_t b = bit + (size_t)k;
            size_t byte_index = b / 8;
            uint8_t byte = byte_index < (size_t)shift ? 0 : text[byte_index - (size_t)shift];
            v = v << 1 | ((byte >> (7 - b % 8)) & 1);
        }
        out[n++] = alphabet[v];
    }
    return n;
}

static vt_node *literal_sequence(const char *chars, size_t n, bool wide)
{
    vt_node *seq = vt_node_new(VT_NODE_CONCAT);
    if (!seq)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        vt_node *lit = vt_node_new(VT_NODE_LITERAL);
        if (!lit || !vt_node_add(seq, lit)) {
            vt_node_free(seq);
            return NULL;
        }
        lit->value = (uint8_t)chars[i];
        if (wide) {
            vt_node *zero = vt_node_new(VT_NODE_LITERAL);
            if (!zero || !vt_node_add(seq, zero)) {
                vt_node_free(seq);
                return NULL;
            }
            zero->value = 0;
        }
    }
    return seq;
}

vt_status vt_base64_pattern(const vt_string_spec *spec, vt_pattern **out, vt_error *err)
{
    /* yara 4.2.3 (libyara base64.c, yr_base64_ast_from_string): `wide` and `ascii` choose the
     * text that is encoded (the wide form is the text with a zero after each byte), `base64`
     * and `base64wide` how the encoding is written (base64wide puts a zero after each encoded
     * character). The alternatives come in yara's order: the wide text's encodings first, then
     * the ascii text's (when `ascii` is given or `wide` is not); base64 before base64wide. The
     * result is matched as plain bytes: yara applies no wide matching to base64 strings. */
    const char *alphabet = spec->base64_alphabet ? spec->base64_alphabet : default_alphabet;
    vt_node *alt = vt_node_new(VT_NODE_ALT);
    uint8_t *wide_text = malloc(spec->len * 2 + 1);
    char *buf = malloc(spec->len * 4 + 8); /* the encoding of the wide text, at most */
    if (!alt || !buf || !wide_text)
        goto nomem;
    for (size_t i = 0; i < spec->len; i++) {
        wide_text[2 * i] = spec->data[i];
        wide_text[2 * i + 1] = 0;
    }
    bool wide = spec->modifiers & VT_MOD_WIDE;
    bool ascii = (spec->modifiers & VT_MOD_ASCII) || !wide;
    for (int form = 0; form < 2; form++) {
        if (form == 0 ? !wide : !ascii)
            continue;
        const uint8_t *text = form == 0 ? wide_text : spec->data;
        size_t text_len = form == 0 ? spec->len * 2 : spec->len;
        for (int written_wide = 0; written_wide < 2; written_wide++) {
            if (!(spec->modifiers & (written_wide ? VT_MOD_BASE64WIDE : VT_MOD_BASE64)))
                continue;
            for (int shift = 0; shift < 3; shift++) {
                size_t n = base64_stable(text, text_len, shift, alphabet, buf);
                if (n == 0)
                    continue;
                if (!vt_node_add(alt, literal_sequence(buf, n, written_wide)))
                    goto nomem;
            }
        }
    }
    free(wide_text);
    free(buf);
    if (alt->nkids == 0) {
        vt_node_free(alt);
        return vt_error_set(err, VT_ERR_ARGUMENT, "base64 string is too short");
    }
    vt_pattern *pat = calloc(1, sizeof *pat);
    if (!pat)
        goto nomem_free;
    pat->root = alt;
    pat->flags = VT_REGEX_DOTALL;
    *out = pat;
    return VT_OK;
nomem:
    free(buf);
    free(wide_text);
nomem_free:
    vt_node_free(alt);
    return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

static vt_status matcher_new(const vt_string_spec *spec, uint32_t id, bool yara_atoms,
                             vt_string_matcher **out, vt_error *err)
{
    *out = NULL;
    vt_string_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    m->id = id;
    m->kind = spec->kind;
    m->modifiers = spec->modifiers;
    m->xor_min = spec->modifiers & VT_MOD_XOR ? spec->xor_min : 0;
    m->xor_max = spec->modifiers & VT_MOD_XOR ? spec->xor_max : 0;
    m->ascii = (spec->modifiers & VT_MOD_ASCII) || !(spec->modifiers & VT_MOD_WIDE);
    m->wide = (spec->modifiers & VT_MOD_WIDE) != 0;
    vt_pattern *pat = NULL;
    vt_status st = VT_OK;
    bool nocase = (spec->modifiers & VT_MOD_NOCASE) != 0;
    if (spec->kind == VT_STRING_TEXT &&
        (spec->modifiers & (VT_MOD_BASE64 | VT_MOD_BASE64WIDE))) {
        st = vt_base64_pattern(spec, &pat, err);
        m->ascii = true;
        m->wide = false;
        m->base64 = true;
    } else if (spec->kind == VT_STRING_TEXT) {
        m->text = malloc(spec->len ? spec->len : 1);
        if (!m->text) {
            free(m);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        memcpy(m->text, spec->data, spec->len);
        m->text_len = spec->len;
        m->nocase = nocase;
        *out = m;
        return VT_OK;
    } else if (spec->kind == VT_STRING_HEX) {
        st = vt_pattern_parse_hex((const char *)spec->data, spec->len, &pat, err);
        m->ascii = true;
        m->wide = false;
    } else {
        unsigned flags = spec->regex_flags | (nocase ? VT_REGEX_NOCASE : 0);
        st = vt_pattern_parse_regex((const char *)spec->data, spec->len, flags, &pat, err);
    }
    if (st == VT_OK)
        st = vt_program_compile(pat, nocase, &m->prog, err);
    uint32_t origin = 0;
    if (st == VT_OK && yara_atoms && vt_emulation_new(spec, pat, &m->emul, &origin) != VT_OK)
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (st == VT_OK)
        m->prog->atom_origin = origin;
    vt_pattern_free(pat);
    if (st != VT_OK) {
        vt_string_matcher_free(m);
        return st;
    }
    *out = m;
    return VT_OK;
}

vt_status vt_string_matcher_new(const vt_string_spec *spec, uint32_t id, vt_string_matcher **out,
                                vt_error *err)
{
    return matcher_new(spec, id, true, out, err);
}

vt_status vt_regex_matcher_new(const vt_string_spec *spec, vt_string_matcher **out, vt_error *err)
{
    return matcher_new(spec, 0, false, out, err);
}

void vt_string_matcher_free(vt_string_matcher *m)
{
    if (!m)
        return;
    vt_emulation_free(m->emul);
    vt_program_free(m->prog);
    free(m->text);
    free(m);
}

/* Text compare, ascii (step 1) or wide (step 2, each second byte 0). Returns bytes matched. */
static size_t text_compare(const vt_string_matcher *m, const uint8_t *d, size_t avail, int step)
{
    size_t need = m->text_len * (size_t)step;
    if (need > avail || m->text_len == 0)
        return 0;
    for (size_t i = 0; i < m->text_len; i++) {
        uint8_t c = d[i * (size_t)step];
        if (m->nocase ? vt_ascii_lower(c) != vt_ascii_lower(m->text[i]) : c != m->text[i])
            return 0;
        if (step == 2 && d[i * 2 + 1] != 0)
            return 0;
    }
    return need;
}

static size_t xor_compare(const vt_string_matcher *m, const uint8_t *d, size_t avail, int step,
                          uint8_t *key)
{
    size_t need = m->text_len * (size_t)step;
    if (need > avail || m->text_len == 0)
        return 0;
    uint8_t k = d[0] ^ m->text[0];
    if (k < m->xor_min || k > m->xor_max)
        return 0;
    for (size_t i = 0; i < m->text_len; i++) {
        if ((d[i * (size_t)step] ^ k) != m->text[i])
            return 0;
        if (step == 2 && (d[i * 2 + 1] ^ k) != 0)
            return 0;
    }
    *key = k;
    return need;
}

/* yara's fullword rule: no alphanumeric character (wide: alnum followed by 0) touching the match
 * on either side. */
bool vt_fullword_ok(const uint8_t *data, size_t len, size_t off, size_t mlen, bool wide)
{
    if (wide) {
        if (off >= 2 && data[off - 1] == 0 && is_alnum(data[off - 2]))
            return false;
        if (off + mlen + 1 < len && data[off + mlen + 1] == 0 && is_alnum(data[off + mlen]))
            return false;
    } else {
        if (off >= 1 && is_alnum(data[off - 1]))
            return false;
        if (off + mlen < len && is_alnum(data[off + mlen]))
            return false;
    }
    return true;
}

vt_status vt_string_match_at(const vt_string_matcher *m, vt_match_scratch *scratch,
                             const uint8_t *data, size_t len, size_t offset, vt_match *match,
                             bool *found)
{
    *found = false;
    if (offset >= len)
        return VT_OK;
    if (vt_deadline_spend(scratch->deadline, 1))
        return VT_ERR_TIMEOUT;
    size_t got = 0;
    bool wide_hit = false;
    uint8_t key = 0;
    const uint8_t *d = data + offset;
    size_t avail = len - offset;
    if (m->prog) {
        long n = -1;
        if (!vt_pike_scratch_fit(scratch->pike, m->prog))
            return VT_ERR_NOMEM;
        if (m->ascii)
            n = vt_pike_match_at(m->prog, scratch->pike, data, len, offset, 1);
        if (m->wide && n < 0) {
            n = vt_pike_match_at(m->prog, scratch->pike, data, len, offset, 2);
            wide_hit = n >= 0;
        }
        if (vt_deadline_passed(scratch->deadline))
            return VT_ERR_TIMEOUT;
        if (n <= 0)
            return VT_OK;
        got = (size_t)n;
    } else {
        /* Text: the ascii and the wide form are separate atoms in yara, each verified and
         * checked for fullword on its own; the ascii one is found first. */
        bool fullword = (m->modifiers & VT_MOD_FULLWORD) != 0;
        if (m->ascii) {
            got = m->modifiers & VT_MOD_XOR ? xor_compare(m, d, avail, 1, &key)
                                            : text_compare(m, d, avail, 1);
            if (got && fullword && !vt_fullword_ok(data, len, offset, got, false))
                got = 0;
        }
        if (m->wide && got == 0) {
            got = m->modifiers & VT_MOD_XOR ? xor_compare(m, d, avail, 2, &key)
                                            : text_compare(m, d, avail, 2);
            wide_hit = got > 0;
        }
    }
    if (got == 0)
        return VT_OK;
    if ((m->modifiers & VT_MOD_FULLWORD) && !vt_fullword_ok(data, len, offset, got, wide_hit))
        return VT_OK;
    match->string_id = m->id;
    match->offset = offset;
    match->length = (uint32_t)got;
    match->xor_key = key;
    *found = true;
    return VT_OK;
}

vt_status vt_string_matcher_scan(const vt_string_matcher *m, vt_match_scratch *scratch,
                                 const uint8_t *data, size_t len, vt_match_fn fn, void *ctx,
                                 vt_error *err)
{
    if (m->emul) {
        bool stopped;
        vt_status st =
            vt_string_matcher_scan_ranges(m, scratch, data, len, NULL, 0, fn, ctx, &stopped);
        return st == VT_OK ? VT_OK : vt_match_error(err, st);
    }
    if (m->prog && !vt_pike_scratch_fit(scratch->pike, m->prog))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    size_t count = 0;
    vt_status st = VT_OK;
    vt_pike_memo_begin(scratch->pike);
    for (size_t off = 0; off < len; off++) {
        vt_match match;
        bool found;
        if ((st = vt_string_match_at(m, scratch, data, len, off, &match, &found)) != VT_OK)
            break;
        if (!found)
            continue;
        if (fn(ctx, &match))
            break;
        if (++count >= VT_MAX_STRING_MATCHES)
            break;
    }
    vt_pike_memo_end(scratch->pike);
    return st == VT_OK ? VT_OK : vt_match_error(err, st);
}

vt_status vt_match_error(vt_error *err, vt_status status)
{
    if (status == VT_ERR_TIMEOUT)
        return vt_error_set(err, status, "scanning timed out");
    return vt_error_set(err, status, status == VT_ERR_NOMEM ? "out of memory" : "%s",
                        vt_status_name(status));
}

vt_status vt_string_matcher_scan_ranges(const vt_string_matcher *m, vt_match_scratch *scratch,
                                        const uint8_t *data, size_t len,
                                        const vt_offset_range *ranges, size_t nranges,
                                        vt_match_fn fn, void *ctx, bool *stopped)
{
    return vt_emulation_scan(m->emul, m->id, scratch->emul, data, len, ranges, nranges, fn, ctx,
                             stopped);
}

int vt_match_format_data(const vt_string_matcher *m, const uint8_t *data, const vt_match *match,
                         char *out, size_t out_size)
{
    size_t n = 0;
    const uint8_t *d = data + match->offset;
    /* yara keeps at most 512 bytes of match data (YR_MAX_MATCH_DATA) and prints at most 64
     * bytes of a hex string, followed by " ..." */
    uint32_t shown = match->length < 512 ? match->length : 512;
    if (m->kind == VT_STRING_HEX && shown > 64)
        shown = 64;
    for (uint32_t i = 0; i < shown; i++) {
        char piece[8];
        int k;
        if (m->kind == VT_STRING_HEX)
            k = snprintf(piece, sizeof piece, i ? " %02X" : "%02X", d[i]);
        else if (d[i] >= 0x20 && d[i] < 0x7F)
            k = snprintf(piece, sizeof piece, "%c", d[i]);
        else
            k = snprintf(piece, sizeof piece, "\\x%02X", d[i]);
        if (n + (size_t)k < out_size)
            memcpy(out + n, piece, (size_t)k);
        n += (size_t)k;
    }
    if (m->kind == VT_STRING_HEX && match->length > 64) {
        if (n + 4 < out_size)
            memcpy(out + n, " ...", 4);
        n += 4;
    }
    if (out_size)
        out[n < out_size ? n : out_size - 1] = 0;
    return (int)n;
}

/* yara's yr_re_match: see match.h. vt_pike_match_at is yara's run from one offset. */
vt_status vt_string_matcher_regex_match(const vt_string_matcher *m, vt_match_scratch *scratch,
                                        const uint8_t *data, size_t len, int64_t *end,
                                        vt_error *err)
{
    *end = -1;
    if (m->kind != VT_STRING_REGEX || !m->prog)
        return vt_error_set(err, VT_ERR_ARGUMENT, "not a regular expression");
    if (!vt_pike_scratch_fit(scratch->pike, m->prog))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    for (size_t start = 0; start < len || (start == 0 && len == 0);) {
        long n = vt_pike_match_at(m->prog, scratch->pike, data, len, start, 1);
        if (n < 0 && vt_pike_matches_empty_at(m->prog, scratch->pike, data, len, start))
            n = 0;
        if (n < 0) {
            start++;
            continue;
        }
        *end = (int64_t)(start + (size_t)n);
        start += (size_t)n + 1;
    }
    return VT_OK;
}

static int found_one(void *found, const vt_match *match)
{
    (void)match;
    *(bool *)found = true;
    return 1;
}

vt_status vt_string_matcher_regex_search(const vt_string_matcher *m, vt_match_scratch *scratch,
                                         const uint8_t *data, size_t len, bool *found,
                                         vt_error *err)
{
    *found = false;
    if (m->kind != VT_STRING_REGEX || !m->prog)
        return vt_error_set(err, VT_ERR_ARGUMENT, "not a regular expression");
    /* a match of one byte or more, by the scan (its DFA and memo); else an empty one, which
     * the scan never reports: the closure of each offset tried */
    vt_status st = vt_string_matcher_scan(m, scratch, data, len, found_one, found, err);
    if (st != VT_OK || *found)
        return st;
    if (!vt_pike_scratch_fit(scratch->pike, m->prog))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    /* "" matches nothing in yara; without assertions, an empty match does not depend on where
     * it starts, so the first offset answers for all */
    size_t tried = m->prog->has_assertions ? len : len > 0;
    for (size_t start = 0; !*found && start < tried; start++)
        *found = vt_pike_matches_empty_at(m->prog, scratch->pike, data, len, start);
    return VT_OK;
}
