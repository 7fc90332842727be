/* markings.c: what the auditor looks for (docs/audit.md keeps the same list): classification and
 * handling markings of several countries and alliances, personal-data keywords, and sample
 * personal data (SSN, card numbers, IBAN, passport machine-readable zone, e-mail lists). Each
 * marking is encoded in every byte form a document may carry it in (UTF-8, UTF-16LE, Latin-1,
 * cp1251, koi8-r, GB2312) and in its usual letter cases, giving the needles searched for in a
 * string's decoded bytes; every marking and datum is also laid out in a probe buffer (and a
 * control buffer with its letters and digits changed) that every string of a rule is run on. */
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

typedef struct marking_def {
    const char *text; /* UTF-8, in its canonical case */
    const char *family;
    vt_audit_topic topic;
    bool weak;
} marking_def;

/* Strong markings are multi-word or unmistakable; weak ones are common words that are flagged
 * only when a string is that word alone (docs/audit.md "Markings"). */
static const marking_def markings[] = {
    /* United States: banner markings, short forms and portion markings */
    {"TOP SECRET", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"TOP SECRET//SCI", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"TS//SCI", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"TS/SCI", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"(TS//SCI)", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"(TS)", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"SECRET//NOFORN", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"SECRET//REL TO", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"(S//NF)", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"NOFORN", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"ORCON", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"(U//FOUO)", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"U//FOUO", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"FOUO", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"FOR OFFICIAL USE ONLY", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"CONTROLLED UNCLASSIFIED INFORMATION", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"(U//CUI)", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"CLASSIFIED BY", "US", VT_AUDIT_TOPIC_MARKING, false},
    {"SECRET", "US", VT_AUDIT_TOPIC_MARKING, true},
    {"CONFIDENTIAL", "US", VT_AUDIT_TOPIC_MARKING, true},
    {"CUI", "US", VT_AUDIT_TOPIC_MARKING, true},
    /* NATO */
    {"COSMIC TOP SECRET", "NATO", VT_AUDIT_TOPIC_MARKING, false},
    {"NATO SECRET", "NATO", VT_AUDIT_TOPIC_MARKING, false},
    {"NATO CONFIDENTIAL", "NATO", VT_AUDIT_TOPIC_MARKING, false},
    {"NATO RESTRICTED", "NATO", VT_AUDIT_TOPIC_MARKING, false},
    /* European Union */
    {"EU RESTRICTED", "EU", VT_AUDIT_TOPIC_MARKING, false},
    {"RESTREINT UE", "EU", VT_AUDIT_TOPIC_MARKING, false},
    {"EU CONFIDENTIAL", "EU", VT_AUDIT_TOPIC_MARKING, false},
    {"CONFIDENTIEL UE", "EU", VT_AUDIT_TOPIC_MARKING, false},
    {"EU SECRET", "EU", VT_AUDIT_TOPIC_MARKING, false},
    {"SECRET UE", "EU", VT_AUDIT_TOPIC_MARKING, false},
    {"EU TOP SECRET", "EU", VT_AUDIT_TOPIC_MARKING, false},
    /* United Kingdom */
    {"OFFICIAL-SENSITIVE", "UK", VT_AUDIT_TOPIC_MARKING, false},
    {"OFFICIAL SENSITIVE", "UK", VT_AUDIT_TOPIC_MARKING, false},
    {"UK SECRET", "UK", VT_AUDIT_TOPIC_MARKING, false},
    {"UK TOP SECRET", "UK", VT_AUDIT_TOPIC_MARKING, false},
    {"UK EYES ONLY", "UK", VT_AUDIT_TOPIC_MARKING, false},
    /* Germany (Verschlusssachen) */
    {"VS-NUR FÜR DEN DIENSTGEBRAUCH", "German", VT_AUDIT_TOPIC_MARKING, false},
    {"NUR FÜR DEN DIENSTGEBRAUCH", "German", VT_AUDIT_TOPIC_MARKING, false},
    {"VS-NfD", "German", VT_AUDIT_TOPIC_MARKING, false},
    {"VS-VERTRAULICH", "German", VT_AUDIT_TOPIC_MARKING, false},
    {"STRENG GEHEIM", "German", VT_AUDIT_TOPIC_MARKING, false},
    {"GEHEIM", "German", VT_AUDIT_TOPIC_MARKING, true},
    /* Russia */
    {"СОВЕРШЕННО СЕКРЕТНО", "Russian", VT_AUDIT_TOPIC_MARKING, false},
    {"ОСОБОЙ ВАЖНОСТИ", "Russian", VT_AUDIT_TOPIC_MARKING, false},
    {"ДЛЯ СЛУЖЕБНОГО ПОЛЬЗОВАНИЯ", "Russian", VT_AUDIT_TOPIC_MARKING, false},
    {"СЕКРЕТНО", "Russian", VT_AUDIT_TOPIC_MARKING, true},
    {"ДСП", "Russian", VT_AUDIT_TOPIC_MARKING, true},
    /* France */
    {"TRÈS SECRET", "French", VT_AUDIT_TOPIC_MARKING, false},
    {"TRES SECRET", "French", VT_AUDIT_TOPIC_MARKING, false},
    {"SECRET DÉFENSE", "French", VT_AUDIT_TOPIC_MARKING, false},
    {"SECRET DEFENSE", "French", VT_AUDIT_TOPIC_MARKING, false},
    {"CONFIDENTIEL DÉFENSE", "French", VT_AUDIT_TOPIC_MARKING, false},
    {"DIFFUSION RESTREINTE", "French", VT_AUDIT_TOPIC_MARKING, false},
    /* China */
    {"绝密", "Chinese", VT_AUDIT_TOPIC_MARKING, false},
    {"机密", "Chinese", VT_AUDIT_TOPIC_MARKING, true},
    {"秘密", "Chinese", VT_AUDIT_TOPIC_MARKING, true},
    {"内部", "Chinese", VT_AUDIT_TOPIC_MARKING, true},
    /* personal-data keywords: a string naming the field a document fills in */
    {"SOCIAL SECURITY NUMBER", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
    {"CREDIT CARD NUMBER", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
    {"PASSPORT NUMBER", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
    {"DATE OF BIRTH", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
    {"SOZIALVERSICHERUNGSNUMMER", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
    {"НОМЕР ПАСПОРТА", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
    {"身份证号", "personal data", VT_AUDIT_TOPIC_PII_KEYWORD, false},
};

/* Sample personal data: `text` is laid out in the probe; `core` is the part a hunting string
 * must cover (NULL: all of it). */
typedef struct datum_def {
    const char *text;
    const char *core;
    vt_audit_topic topic;
} datum_def;

static const datum_def data[] = {
    {"SSN: 123-45-6789", "123-45-6789", VT_AUDIT_TOPIC_SSN},
    {"SSN 078-05-1120", "078-05-1120", VT_AUDIT_TOPIC_SSN},
    {"4111 1111 1111 1111", NULL, VT_AUDIT_TOPIC_CARD},
    {"4111-1111-1111-1111", NULL, VT_AUDIT_TOPIC_CARD},
    {"4111111111111111", NULL, VT_AUDIT_TOPIC_CARD},
    {"5500 0000 0000 0004", NULL, VT_AUDIT_TOPIC_CARD},
    {"378282246310005", NULL, VT_AUDIT_TOPIC_CARD},
    {"DE89370400440532013000", NULL, VT_AUDIT_TOPIC_IBAN},
    {"DE89 3704 0044 0532 0130 00", NULL, VT_AUDIT_TOPIC_IBAN},
    {"GB29NWBK60161331926819", NULL, VT_AUDIT_TOPIC_IBAN},
    {"FR1420041010050500013M02606", NULL, VT_AUDIT_TOPIC_IBAN},
    {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", NULL, VT_AUDIT_TOPIC_MRZ},
    {"L898902C36UTO7408122F1204159ZE184226B<<<<<10", NULL, VT_AUDIT_TOPIC_MRZ},
    {"alice.smith@example.com", NULL, VT_AUDIT_TOPIC_EMAIL},
    {"alice.smith@example.com; bob.jones@mail.example.org", "bob.jones@mail.example.org",
     VT_AUDIT_TOPIC_EMAIL},
};

const char *vt_audit_encoding_name(vt_audit_encoding encoding)
{
    static const char *const names[] = {"UTF-8", "UTF-16LE", "Latin-1", "cp1251", "koi8-r",
                                        "GB2312"};
    return (unsigned)encoding < VT_AUDIT_ENCODING_COUNT_ ? names[encoding] : "?";
}

const char *vt_audit_topic_id(vt_audit_topic topic)
{
    switch (topic) {
    case VT_AUDIT_TOPIC_MARKING: return "AUD-MARKING-001";
    case VT_AUDIT_TOPIC_SSN: return "AUD-PII-001";
    case VT_AUDIT_TOPIC_CARD: return "AUD-PII-002";
    case VT_AUDIT_TOPIC_IBAN: return "AUD-PII-003";
    case VT_AUDIT_TOPIC_MRZ: return "AUD-PII-004";
    case VT_AUDIT_TOPIC_EMAIL: return "AUD-PII-005";
    case VT_AUDIT_TOPIC_PII_KEYWORD: return "AUD-PII-006";
    }
    return "AUD-UNKNOWN";
}

const char *vt_audit_topic_name(vt_audit_topic topic)
{
    switch (topic) {
    case VT_AUDIT_TOPIC_MARKING: return "marking";
    case VT_AUDIT_TOPIC_SSN: return "US social security number";
    case VT_AUDIT_TOPIC_CARD: return "payment card number";
    case VT_AUDIT_TOPIC_IBAN: return "IBAN";
    case VT_AUDIT_TOPIC_MRZ: return "passport machine-readable zone";
    case VT_AUDIT_TOPIC_EMAIL: return "e-mail address";
    case VT_AUDIT_TOPIC_PII_KEYWORD: return "personal-data field name";
    }
    return "?";
}

/* ---- code points: decoding, case, encoding ---- */

enum { MAX_CPS = 64 };

static size_t decode(const char *text, uint32_t *cps)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t left = strlen(text), n = 0;
    while (left && n < MAX_CPS) {
        size_t k = vt_utf8_next(s, left, &cps[n]);
        if (!k)
            break; /* the tables are valid UTF-8 */
        s += k;
        left -= k;
        n++;
    }
    return n;
}

static bool is_upper(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
           (c >= 0x410 && c <= 0x42F) || c == 0x401;
}

static bool is_lower(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7) ||
           (c >= 0x430 && c <= 0x44F) || c == 0x451;
}

static uint32_t to_lower(uint32_t c)
{
    if (c == 0x401)
        return 0x451;
    return is_upper(c) ? c + 0x20 : c;
}

static uint32_t to_upper(uint32_t c)
{
    if (c == 0x451)
        return 0x401;
    return is_lower(c) ? c - 0x20 : c;
}

static bool is_letter(uint32_t c)
{
    return is_upper(c) || is_lower(c);
}

/* Case forms: 0 as listed, 1 upper, 2 Title Of Each Word, 3 Sentence case, 4 lower. */
static void case_form(const uint32_t *in, size_t n, int form, uint32_t *out)
{
    bool word_start = true, first = true;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        switch (form) {
        case 1: c = to_upper(c); break;
        case 2: c = word_start ? to_upper(c) : to_lower(c); break;
        case 3: c = first ? to_upper(c) : to_lower(c); break;
        case 4: c = to_lower(c); break;
        default: break;
        }
        if (is_letter(in[i]))
            first = false;
        word_start = !is_letter(in[i]) && in[i] != '\'';
        out[i] = c;
    }
}

static const uint8_t koi8_lower[32] = {
    0xC1, 0xC2, 0xD7, 0xC7, 0xC4, 0xC5, 0xD6, 0xDA, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0,
    0xD2, 0xD3, 0xD4, 0xD5, 0xC6, 0xC8, 0xC3, 0xDE, 0xDB, 0xDD, 0xDF, 0xD9, 0xD8, 0xDC, 0xC0, 0xD1};

/* GB2312 of the few Han characters in the tables. */
static const struct {
    uint32_t cp;
    uint8_t b[2];
} gb2312[] = {
    {0x7EDD, {0xBE, 0xF8}}, /* 绝 */ {0x5BC6, {0xC3, 0xDC}}, /* 密 */
    {0x673A, {0xBB, 0xFA}}, /* 机 */ {0x79D8, {0xC3, 0xD8}}, /* 秘 */
    {0x5185, {0xC4, 0xDA}}, /* 内 */ {0x90E8, {0xB2, 0xBF}}, /* 部 */
    {0x8EAB, {0xC9, 0xED}}, /* 身 */ {0x4EFD, {0xB7, 0xDD}}, /* 份 */
    {0x8BC1, {0xD6, 0xA4}}, /* 证 */ {0x53F7, {0xBA, 0xC5}}, /* 号 */
};

/* Encode code points; false when a code point has no form in the encoding. */
static bool encode(const uint32_t *cps, size_t n, vt_audit_encoding enc, uint8_t *out,
                   size_t *len)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        switch (enc) {
        case VT_AUDIT_UTF8:
            if (c < 0x80)
                out[k++] = (uint8_t)c;
            else if (c < 0x800) {
                out[k++] = (uint8_t)(0xC0 | c >> 6);
                out[k++] = (uint8_t)(0x80 | (c & 0x3F));
            } else {
                out[k++] = (uint8_t)(0xE0 | c >> 12);
                out[k++] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
                out[k++] = (uint8_t)(0x80 | (c & 0x3F));
            }
            break;
        case VT_AUDIT_UTF16LE:
            out[k++] = (uint8_t)(c & 0xFF);
            out[k++] = (uint8_t)(c >> 8);
            break;
        case VT_AUDIT_LATIN1:
            if (c > 0xFF)
                return false;
            out[k++] = (uint8_t)c;
            break;
        case VT_AUDIT_CP1251:
            if (c < 0x80)
                out[k++] = (uint8_t)c;
            else if (c >= 0x410 && c <= 0x44F)
                out[k++] = (uint8_t)(0xC0 + (c - 0x410));
            else if (c == 0x401 || c == 0x451)
                out[k++] = c == 0x401 ? 0xA8 : 0xB8;
            else
                return false;
            break;
        case VT_AUDIT_KOI8R:
            if (c < 0x80)
                out[k++] = (uint8_t)c;
            else if (c >= 0x430 && c <= 0x44F)
                out[k++] = koi8_lower[c - 0x430];
            else if (c >= 0x410 && c <= 0x42F)
                out[k++] = (uint8_t)(koi8_lower[c - 0x410] + 0x20);
            else if (c == 0x401 || c == 0x451)
                out[k++] = c == 0x401 ? 0xB3 : 0xA3;
            else
                return false;
            break;
        case VT_AUDIT_GB2312: {
            if (c < 0x80) {
                out[k++] = (uint8_t)c;
                break;
            }
            size_t g = 0;
            while (g < sizeof gb2312 / sizeof gb2312[0] && gb2312[g].cp != c)
                g++;
            if (g == sizeof gb2312 / sizeof gb2312[0])
                return false;
            out[k++] = gb2312[g].b[0];
            out[k++] = gb2312[g].b[1];
            break;
        }
        default:
            return false;
        }
    }
    *len = k;
    return true;
}

/* The encodings worth listing for a text: UTF-8 and UTF-16LE always; a legacy encoding only
 * when it can encode the text and differs from UTF-8. */
static bool encoding_applies(const uint32_t *cps, size_t n, vt_audit_encoding enc)
{
    if (enc == VT_AUDIT_UTF8 || enc == VT_AUDIT_UTF16LE)
        return true;
    bool non_ascii = false;
    for (size_t i = 0; i < n; i++)
        non_ascii |= cps[i] >= 0x80;
    uint8_t tmp[MAX_CPS * 3];
    size_t len;
    return non_ascii && encode(cps, n, enc, tmp, &len);
}

static bool is_cjk(const uint32_t *cps, size_t n)
{
    return n && cps[0] >= 0x3000;
}

/* The control form of sample bytes: every letter and digit changed, the length kept, so a
 * string that also matches the control does not depend on the marking or datum. */
static void mutate(uint8_t *b, size_t len, vt_audit_encoding enc)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = b[i];
        bool ascii_pos = enc != VT_AUDIT_UTF16LE || i % 2 == 0;
        if (enc == VT_AUDIT_UTF16LE && i % 2 == 0 && i + 1 < len && b[i + 1] != 0) {
            b[i] ^= 1; /* a non-ASCII code unit: another letter */
            continue;
        }
        if (!ascii_pos)
            continue;
        if (c >= 'a' && c <= 'z')
            b[i] = (uint8_t)('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z')
            b[i] = (uint8_t)('A' + (c - 'A' + 13) % 26);
        else if (c >= '0' && c <= '9')
            b[i] = (uint8_t)('g' + (c - '0'));
        else if (c == '<')
            b[i] = '.';
        else if (c == '@')
            b[i] = '#';
        else if (c >= 0x80 && enc == VT_AUDIT_UTF8 && (c & 0xC0) == 0x80 &&
                 (i + 1 == len || (b[i + 1] & 0xC0) != 0x80))
            b[i] ^= 1; /* last byte of a multi-byte character */
        else if (c >= 0xC0 && enc != VT_AUDIT_UTF8)
            b[i] ^= 1;
    }
}

/* ---- building ---- */

static vt_status add_needle(vt_audit_tables *t, size_t *cap, const uint8_t *bytes, size_t len,
                            vt_audit_encoding enc, const marking_def *m, bool cjk, bool lower,
                            vt_error *err)
{
    for (size_t i = 0; i < t->needle_count; i++)
        if (t->needles[i].len == len && t->needles[i].encoding == enc &&
            memcmp(t->needles[i].bytes, bytes, len) == 0)
            return VT_OK; /* same bytes from another case form */
    if (t->needle_count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        vt_audit_needle *n = realloc(t->needles, ncap * sizeof *n);
        if (!n)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the audit tables");
        t->needles = n;
        *cap = ncap;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the audit tables");
    memcpy(copy, bytes, len);
    t->needles[t->needle_count++] = (vt_audit_needle){
        .bytes = copy, .len = len, .encoding = enc, .topic = m->topic, .text = m->text,
        .family = m->family, .weak = m->weak, .cjk = cjk, .lower = lower};
    return VT_OK;
}

static vt_status add_sample(vt_audit_tables *t, size_t *cap, const uint8_t *bytes, size_t len,
                            size_t core_from, size_t core_len, vt_audit_encoding enc,
                            vt_audit_topic topic, const char *text, const char *family, bool weak,
                            vt_error *err)
{
    if (t->sample_count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        vt_audit_sample *n = realloc(t->samples, ncap * sizeof *n);
        if (!n)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the audit tables");
        t->samples = n;
        *cap = ncap;
    }
    /* each sample stands on its own lines: "\n\n" before and after, in its encoding */
    static const uint8_t nl8[] = {'\n', '\n'}, nl16[] = {'\n', 0, '\n', 0};
    const uint8_t *nl = enc == VT_AUDIT_UTF16LE ? nl16 : nl8;
    size_t nl_len = enc == VT_AUDIT_UTF16LE ? 4 : 2;
    uint8_t *mut = malloc(len ? len : 1);
    if (!mut)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the audit tables");
    memcpy(mut, bytes, len);
    mutate(mut, len, enc);
    size_t at = t->probe.len + nl_len;
    vt_status st = vt_buf_append(&t->probe, nl, nl_len);
    if (st == VT_OK)
        st = vt_buf_append(&t->probe, bytes, len);
    if (st == VT_OK)
        st = vt_buf_append(&t->probe, nl, nl_len);
    if (st == VT_OK)
        st = vt_buf_append(&t->control, nl, nl_len);
    if (st == VT_OK)
        st = vt_buf_append(&t->control, mut, len);
    if (st == VT_OK)
        st = vt_buf_append(&t->control, nl, nl_len);
    free(mut);
    if (st != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the audit tables");
    t->samples[t->sample_count++] = (vt_audit_sample){
        .core = at + core_from, .core_len = core_len, .lo = at - nl_len,
        .hi = at + len + nl_len, .encoding = enc, .topic = topic,
        .text = text, .family = family, .weak = weak};
    return VT_OK;
}

static vt_status build_index(vt_audit_tables *t, vt_error *err)
{
    t->bucket_first = malloc(65536 * sizeof *t->bucket_first);
    t->bucket_next = malloc((t->needle_count ? t->needle_count : 1) * sizeof *t->bucket_next);
    t->xbucket_first = malloc(65536 * sizeof *t->xbucket_first);
    t->xbucket_next = malloc((t->needle_count ? t->needle_count : 1) * sizeof *t->xbucket_next);
    if (!t->bucket_first || !t->bucket_next || !t->xbucket_first || !t->xbucket_next)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the audit tables");
    memset(t->bucket_first, 0xff, 65536 * sizeof *t->bucket_first);
    memset(t->xbucket_first, 0xff, 65536 * sizeof *t->xbucket_first);
    for (size_t i = t->needle_count; i-- > 0;) {
        const vt_audit_needle *n = &t->needles[i];
        unsigned key = (unsigned)vt_audit_fold(n->bytes[0]) << 8 | vt_audit_fold(n->bytes[1]);
        t->bucket_next[i] = t->bucket_first[key];
        t->bucket_first[key] = (uint32_t)i;
        t->xbucket_next[i] = VT_NONE32;
        if (n->weak || n->len < 8)
            continue;
        unsigned xkey = (unsigned)(n->bytes[0] ^ n->bytes[1]) << 8 | (n->bytes[1] ^ n->bytes[2]);
        t->xbucket_next[i] = t->xbucket_first[xkey];
        t->xbucket_first[xkey] = (uint32_t)i;
    }
    return VT_OK;
}

vt_status vt_audit_tables_build(vt_audit_tables *t, vt_error *err)
{
    memset(t, 0, sizeof *t);
    size_t needle_cap = 0, sample_cap = 0;
    vt_status st = VT_OK;
    for (size_t m = 0; st == VT_OK && m < sizeof markings / sizeof markings[0]; m++) {
        uint32_t cps[MAX_CPS], form_cps[MAX_CPS];
        size_t n = decode(markings[m].text, cps);
        bool cjk = is_cjk(cps, n);
        for (int form = 0; st == VT_OK && form < 5; form++) {
            case_form(cps, n, form, form_cps);
            if (form > 0 && memcmp(form_cps, cps, n * sizeof *cps) == 0 && form != 0)
                continue;
            for (int e = 0; st == VT_OK && e < VT_AUDIT_ENCODING_COUNT_; e++) {
                if (!encoding_applies(form_cps, n, (vt_audit_encoding)e))
                    continue;
                uint8_t bytes[MAX_CPS * 3];
                size_t len;
                if (!encode(form_cps, n, (vt_audit_encoding)e, bytes, &len) || len < 2)
                    continue;
                st = add_needle(t, &needle_cap, bytes, len, (vt_audit_encoding)e, &markings[m],
                                cjk, form == 4, err);
                /* probes: the marking's usual forms (as listed, Title, Sentence); lower case
                 * is a needle only (a lower-case string is not a marking by itself) */
                if (st == VT_OK && form < 4)
                    st = add_sample(t, &sample_cap, bytes, len, 0, len, (vt_audit_encoding)e,
                                    markings[m].topic, markings[m].text, markings[m].family,
                                    markings[m].weak, err);
            }
        }
    }
    for (size_t d = 0; st == VT_OK && d < sizeof data / sizeof data[0]; d++) {
        const char *text = data[d].text, *core = data[d].core ? data[d].core : text;
        size_t core_from = (size_t)(strstr(text, core) - text), core_len = strlen(core);
        size_t len = strlen(text);
        st = add_sample(t, &sample_cap, (const uint8_t *)text, len, core_from, core_len,
                        VT_AUDIT_UTF8, data[d].topic, text, "personal data", false, err);
        uint8_t wide[256];
        for (size_t i = 0; i < len && i < 128; i++) {
            wide[2 * i] = (uint8_t)text[i];
            wide[2 * i + 1] = 0;
        }
        if (st == VT_OK)
            st = add_sample(t, &sample_cap, wide, 2 * len, 2 * core_from, 2 * core_len,
                            VT_AUDIT_UTF16LE, data[d].topic, text, "personal data", false, err);
    }
    if (st == VT_OK)
        st = build_index(t, err);
    if (st != VT_OK)
        vt_audit_tables_free(t);
    return st;
}

void vt_audit_tables_free(vt_audit_tables *t)
{
    for (size_t i = 0; i < t->needle_count; i++)
        free(t->needles[i].bytes);
    free(t->needles);
    free(t->bucket_first);
    free(t->bucket_next);
    free(t->xbucket_first);
    free(t->xbucket_next);
    free(t->samples);
    vt_buf_free(&t->probe);
    vt_buf_free(&t->control);
    memset(t, 0, sizeof *t);
}
