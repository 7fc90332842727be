/* mod_pe_functions.c: the pe module's functions (yara 4.2.3): imphash, imports in all eight
 * overloads, exports and exports_index, section_index, locale, language, is_dll, is_32bit,
 * is_64bit, rva_to_offset, calculate_checksum, rich_signature.version/toolid. Functions that
 * take a regular expression search it through the scanner's regex_search callback. */
#include <ctype.h>
#include <openssl/evp.h>
#include <strings.h>
#include <string.h>

#include "pe_internal.h"

static pe_file *pe_of(vt_modrt_fncall *call) { return call->module_data; }

static bool regex_search(vt_modrt_fncall *call, const void *re, const char *text)
{
    vt_modrt_scan *scan = call->scan;
    return scan->options.regex_search &&
           scan->options.regex_search(scan->options.regex_user, re, (const uint8_t *)text,
                                      text ? strlen(text) : 0);
}

/* A string argument as yara's string_argument(): a C string (stops at NUL). */
static const char *text_arg(vt_modrt_fncall *call, size_t i)
{
    const vt_modrt_arg *a = &call->args[i];
    char *copy = vt_arena_dup(&call->scan->arena, a->s, a->len);
    if (!copy)
        call->scan->out_of_memory = true;
    return copy ? copy : "";
}

static void imphash(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return;
    if (pe->imphash[0]) { /* rules of one scan often ask for it several times */
        vt_modrt_return_string(call, pe->imphash, strlen(pe->imphash));
        return;
    }
    /* "dll.function" of every named import, the DLL without its .ocx, .sys or .dll, joined by
     * commas and lowercased, then hashed at once */
    vt_buf text = {0};
    bool ok = true;
    for (size_t d = 0; d < pe->import_count && ok; d++) {
        const char *dll = pe->imports[d].name;
        const char *ext = strchr(dll, '.');
        size_t dll_len = strlen(dll);
        if (ext && (strncasecmp(ext, ".ocx", 4) == 0 || strncasecmp(ext, ".sys", 4) == 0 ||
                    strncasecmp(ext, ".dll", 4) == 0))
            dll_len = (size_t)(ext - dll);
        for (size_t k = 0; k < pe->imports[d].count && ok; k++) {
            const char *fn = pe->imports[d].functions[k].name;
            if (!fn)
                continue;
            size_t from = text.len;
            ok = (!from || vt_buf_append_byte(&text, ',') == VT_OK) &&
                 vt_buf_append(&text, dll, dll_len) == VT_OK &&
                 vt_buf_append_byte(&text, '.') == VT_OK && vt_buf_append_str(&text, fn) == VT_OK;
            for (size_t i = from; ok && i < text.len; i++)
                text.data[i] = (unsigned char)tolower(text.data[i]);
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!ok || !EVP_Digest(text.data ? text.data : (unsigned char *)"", text.len, digest, &len,
                           vt_modrt_digest(call->scan, VT_MODRT_MD5), NULL)) {
        vt_buf_free(&text);
        call->scan->out_of_memory = true; /* never a hash of part of the imports */
        return;
    }
    vt_buf_free(&text);
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len && i < 16; i++) {
        pe->imphash[2 * i] = digits[digest[i] >> 4];
        pe->imphash[2 * i + 1] = digits[digest[i] & 15];
    }
    pe->imphash[2 * (len < 16 ? len : 16)] = 0;
    vt_modrt_return_string(call, pe->imphash, strlen(pe->imphash));
}

/* ---- imports ------------------------------------------------------------------------------- */

enum { IMPORT_STANDARD = 1, IMPORT_DELAYED = 2 };

static int64_t imports_dll(const pe_dll *dlls, size_t n, const char *dll)
{
    int64_t result = 0;
    for (size_t d = 0; d < n; d++)
        if (strcasecmp(dlls[d].name, dll) == 0)
            result += (int64_t)dlls[d].count;
    return result;
}

static int64_t imports_name(const pe_dll *dlls, size_t n, const char *dll, const char *fn)
{
    for (size_t d = 0; d < n; d++)
        if (strcasecmp(dlls[d].name, dll) == 0)
            for (size_t k = 0; k < dlls[d].count; k++)
                if (dlls[d].functions[k].name && strcasecmp(dlls[d].functions[k].name, fn) == 0)
                    return 1;
    return 0;
}

static int64_t imports_ordinal(const pe_dll *dlls, size_t n, const char *dll, int64_t ordinal)
{
    for (size_t d = 0; d < n; d++)
        if (strcasecmp(dlls[d].name, dll) == 0)
            for (size_t k = 0; k < dlls[d].count; k++)
                if (dlls[d].functions[k].has_ordinal && dlls[d].functions[k].ordinal == ordinal)
                    return 1;
    return 0;
}

static int64_t imports_regex(vt_modrt_fncall *call, const pe_dll *dlls, size_t n,
                             const void *dll_re, const void *fn_re)
{
    int64_t result = 0;
    for (size_t d = 0; d < n; d++)
        if (regex_search(call, dll_re, dlls[d].name))
            for (size_t k = 0; k < dlls[d].count; k++)
                if (regex_search(call, fn_re, dlls[d].functions[k].name))
                    result++;
    return result;
}

static void imports_ss(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (pe)
        vt_modrt_return_integer(call, imports_name(pe->imports, pe->import_count,
                                                   text_arg(call, 0), text_arg(call, 1)));
}

static void imports_iss(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return;
    int64_t flags = call->args[0].i;
    const char *dll = text_arg(call, 1), *fn = text_arg(call, 2);
    int64_t r = ((flags & IMPORT_STANDARD) && imports_name(pe->imports, pe->import_count, dll, fn)) ||
                ((flags & IMPORT_DELAYED) && imports_name(pe->delayed, pe->delayed_count, dll, fn));
    vt_modrt_return_integer(call, r);
}

static void imports_si(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (pe)
        vt_modrt_return_integer(call, imports_ordinal(pe->imports, pe->import_count,
                                                      text_arg(call, 0), call->args[1].i));
}

static void imports_isi(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return;
    int64_t flags = call->args[0].i, ordinal = call->args[2].i;
    const char *dll = text_arg(call, 1);
    int64_t r =
        ((flags & IMPORT_STANDARD) && imports_ordinal(pe->imports, pe->import_count, dll, ordinal)) ||
        ((flags & IMPORT_DELAYED) && imports_ordinal(pe->delayed, pe->delayed_count, dll, ordinal));
    vt_modrt_return_integer(call, r);
}

static void imports_s(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (pe)
        vt_modrt_return_integer(call, imports_dll(pe->imports, pe->import_count, text_arg(call, 0)));
}

static void imports_is(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return;
    int64_t flags = call->args[0].i, r = 0;
    const char *dll = text_arg(call, 1);
    if (flags & IMPORT_STANDARD)
        r += imports_dll(pe->imports, pe->import_count, dll);
    if (flags & IMPORT_DELAYED)
        r += imports_dll(pe->delayed, pe->delayed_count, dll);
    vt_modrt_return_integer(call, r);
}

static void imports_rr(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (pe && call->scan->options.regex_search)
        vt_modrt_return_integer(call, imports_regex(call, pe->imports, pe->import_count,
                                                    call->args[0].regex, call->args[1].regex));
}

static void imports_irr(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe || !call->scan->options.regex_search)
        return;
    int64_t flags = call->args[0].i, r = 0;
    if (flags & IMPORT_STANDARD)
        r += imports_regex(call, pe->imports, pe->import_count, call->args[1].regex,
                           call->args[2].regex);
    if (flags & IMPORT_DELAYED)
        r += imports_regex(call, pe->delayed, pe->delayed_count, call->args[1].regex,
                           call->args[2].regex);
    vt_modrt_return_integer(call, r);
}

/* ---- exports ------------------------------------------------------------------------------- */

/* What exports() and exports_index() share: the index of the first match, -1 for none,
 * -2 when the answer is undefined (not a PE). The exports are yara's export_details (built
 * from the table, not read from the objects, which exist only when a rule reads them). */
static int find_export(vt_modrt_fncall *call, char how)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return -2;
    uint32_t count;
    const pe_export *exports = vt_modrt_pe_exports(pe, &count);
    int n = (int)count;
    if (how == 'i' && (call->args[0].i == 0 || call->args[0].i > n))
        return -1;
    const vt_modrt_arg *a = &call->args[0];
    for (int i = 0; i < n; i++) {
        const pe_export *x = &exports[i];
        if (how == 's' && x->name && x->name_len == a->len &&
            strncasecmp(x->name, (const char *)a->s, x->name_len) == 0)
            return i;
        if (how == 'i' && (int64_t)x->ordinal == a->i)
            return i;
        if (how == 'r' && x->name && regex_search(call, a->regex, x->name))
            return i;
    }
    return -1;
}

static void exports_any(vt_modrt_fncall *call, char how)
{
    if (how == 'r' && !call->scan->options.regex_search)
        return;
    int i = find_export(call, how);
    if (i != -2)
        vt_modrt_return_integer(call, i >= 0);
}
static void exports_s(vt_modrt_fncall *call) { exports_any(call, 's'); }
static void exports_i(vt_modrt_fncall *call) { exports_any(call, 'i'); }
static void exports_r(vt_modrt_fncall *call) { exports_any(call, 'r'); }

static void exports_index_any(vt_modrt_fncall *call, char how)
{
    if (how == 'r' && !call->scan->options.regex_search)
        return;
    int i = find_export(call, how);
    if (i >= 0)
        vt_modrt_return_integer(call, i);
}
static void exports_index_s(vt_modrt_fncall *call) { exports_index_any(call, 's'); }
static void exports_index_i(vt_modrt_fncall *call) { exports_index_any(call, 'i'); }
static void exports_index_r(vt_modrt_fncall *call) { exports_index_any(call, 'r'); }

/* ---- sections, resources, header ----------------------------------------------------------- */

static void section_index_name(vt_modrt_fncall *call)
{
    vt_mobj *m = call->module;
    int64_t n = vt_modrt_get_integer(m, "number_of_sections");
    if (n == VT_MODRT_UNDEFINED)
        return;
    const char *name = text_arg(call, 0);
    for (int i = 0; i < n && i < PE_MAX_SECTIONS; i++) {
        const uint8_t *s;
        size_t len;
        if (vt_mobj_string(vt_modrt_get(m, "sections[%i].name", i), &s, &len) &&
            strcmp(name, (const char *)s) == 0) {
            vt_modrt_return_integer(call, i);
            return;
        }
    }
}

static void section_index_addr(vt_modrt_fncall *call)
{
    vt_mobj *m = call->module;
    int64_t n = vt_modrt_get_integer(m, "number_of_sections"), addr = call->args[0].i;
    if (n == VT_MODRT_UNDEFINED)
        return;
    for (int i = 0; i < n && i < PE_MAX_SECTIONS; i++) {
        int64_t offset = vt_modrt_get_integer(m, "sections[%i].raw_data_offset", i);
        int64_t size = vt_modrt_get_integer(m, "sections[%i].raw_data_size", i);
        if (addr >= offset && addr < offset + size) {
            vt_modrt_return_integer(call, i);
            return;
        }
    }
}

static void language_mask(vt_modrt_fncall *call, uint64_t mask)
{
    vt_mobj *m = call->module;
    int64_t n = vt_modrt_get_integer(m, "number_of_resources");
    if (n == VT_MODRT_UNDEFINED || !pe_of(call))
        return;
    for (int i = 0; i < (int)n; i++) {
        uint64_t lang = (uint64_t)vt_modrt_get_integer(m, "resources[%i].language", i);
        if ((lang & mask) == (uint64_t)call->args[0].i) {
            vt_modrt_return_integer(call, 1);
            return;
        }
    }
    vt_modrt_return_integer(call, 0);
}
static void locale(vt_modrt_fncall *call) { language_mask(call, 0xffff); }
static void language(vt_modrt_fncall *call) { language_mask(call, 0xff); }

static void is_dll(vt_modrt_fncall *call)
{
    int64_t c = vt_modrt_get_integer(call->module, "characteristics");
    if (c != VT_MODRT_UNDEFINED)
        vt_modrt_return_integer(call, c & 0x2000);
}

static void is_32bit(vt_modrt_fncall *call)
{
    if (pe_of(call))
        vt_modrt_return_integer(call, pe_of(call)->is64 ? 0 : 1);
}

static void is_64bit(vt_modrt_fncall *call)
{
    if (pe_of(call))
        vt_modrt_return_integer(call, pe_of(call)->is64 ? 1 : 0);
}

static void rva_to_offset(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return;
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, (uint64_t)call->args[0].i);
    if (offset != -1)
        vt_modrt_return_integer(call, offset);
}

static void calculate_checksum(vt_modrt_fncall *call)
{
    pe_file *pe = pe_of(call);
    if (!pe)
        return;
    uint64_t csum = 0, csum_offset = pe->opt + 64;
    for (size_t i = 0; i <= pe->size / 4; i++) {
        if (4 * i == csum_offset)
            continue;
        if (4 * i + 4 <= pe->size) {
            csum += vt_le32(pe->data + 4 * i);
        } else {
            for (size_t j = 0; j < pe->size % 4; j++)
                csum += (uint64_t)pe->data[4 * i + j] << (8 * j);
        }
        if (csum > 0xffffffff)
            csum = (csum & 0xffffffff) + (csum >> 32);
    }
    csum = (csum & 0xffff) + (csum >> 16);
    csum += csum >> 16;
    csum &= 0xffff;
    csum += pe->size;
    vt_modrt_return_integer(call, (int64_t)csum);
}

/* Sum of the `times` of rich entries matching version and/or toolid (UNDEFINED: any). */
static void rich(vt_modrt_fncall *call, int64_t version, int64_t toolid)
{
    vt_mobj *m = call->module;
    int64_t length = vt_modrt_get_integer(m, "rich_signature.length");
    const uint8_t *clear;
    size_t len;
    if (length == VT_MODRT_UNDEFINED ||
        !vt_mobj_string(vt_modrt_get(m, "rich_signature.clear_data"), &clear, &len))
        return;
    if (version == VT_MODRT_UNDEFINED && toolid == VT_MODRT_UNDEFINED) {
        vt_modrt_return_integer(call, 0);
        return;
    }
    int64_t count = length >= 16 ? (length - 16) / 8 : 0, result = 0;
    for (int64_t i = 0; i < count && (uint64_t)(16 + 8 * i + 8) <= len; i++) {
        uint32_t id_version = vt_le32(clear + 16 + 8 * i);
        uint32_t times = vt_le32(clear + 16 + 8 * i + 4);
        bool match_version = version == (int64_t)(id_version & 0xffff);
        bool match_toolid = toolid == (int64_t)(id_version >> 16);
        if ((version == VT_MODRT_UNDEFINED || match_version) &&
            (toolid == VT_MODRT_UNDEFINED || match_toolid))
            result += times;
    }
    vt_modrt_return_integer(call, result);
}
static void rich_version(vt_modrt_fncall *call) { rich(call, call->args[0].i, VT_MODRT_UNDEFINED); }
static void rich_version_toolid(vt_modrt_fncall *call) { rich(call, call->args[0].i, call->args[1].i); }
static void rich_toolid(vt_modrt_fncall *call) { rich(call, VT_MODRT_UNDEFINED, call->args[0].i); }
static void rich_toolid_version(vt_modrt_fncall *call) { rich(call, call->args[1].i, call->args[0].i); }

/* signatures[i].valid_on(t): not_before <= t <= not_after of that certificate. */
static void valid_on(vt_modrt_fncall *call)
{
    int64_t before = vt_modrt_get_integer(call->parent, "not_before");
    int64_t after = vt_modrt_get_integer(call->parent, "not_after");
    if (before == VT_MODRT_UNDEFINED || after == VT_MODRT_UNDEFINED)
        return;
    int64_t t = call->args[0].i;
    vt_modrt_return_integer(call, t >= before && t <= after);
}

static const vt_modrt_function_def functions[] = {
    {"", "imphash", "", imphash},
    {"", "imports", "ss", imports_ss},
    {"", "imports", "si", imports_si},
    {"", "imports", "s", imports_s},
    {"", "imports", "rr", imports_rr},
    {"", "imports", "iss", imports_iss},
    {"", "imports", "isi", imports_isi},
    {"", "imports", "is", imports_is},
    {"", "imports", "irr", imports_irr},
    {"", "exports", "s", exports_s},
    {"", "exports", "i", exports_i},
    {"", "exports", "r", exports_r},
    {"", "exports_index", "s", exports_index_s},
    {"", "exports_index", "i", exports_index_i},
    {"", "exports_index", "r", exports_index_r},
    {"", "section_index", "s", section_index_name},
    {"", "section_index", "i", section_index_addr},
    {"", "locale", "i", locale},
    {"", "language", "i", language},
    {"", "is_dll", "", is_dll},
    {"", "is_32bit", "", is_32bit},
    {"", "is_64bit", "", is_64bit},
    {"", "rva_to_offset", "i", rva_to_offset},
    {"", "calculate_checksum", "", calculate_checksum},
    {"signatures", "valid_on", "i", valid_on},
    {"rich_signature", "version", "i", rich_version},
    {"rich_signature", "version", "ii", rich_version_toolid},
    {"rich_signature", "toolid", "i", rich_toolid},
    {"rich_signature", "toolid", "ii", rich_toolid_version},
};

const vt_modrt_module_def vt_modrt_module_pe = {
    "pe", vt_modrt_pe_load, functions, sizeof functions / sizeof functions[0], NULL,
};
