/* pe_parse.c: the pe module's directory parsers (yara 4.2.3 logic): the resource tree with
 * VS_VERSION_INFO strings, the import and delay-import tables, the export table. Offsets come
 * from the file, so each structure is checked with pe_fits() before it is read. */
#include <stdio.h>
#include <string.h>

#include "pe_internal.h"

#include <strings.h>

#include "pe_ordinals.inc"

/* ---- resources ----------------------------------------------------------------------------- */

/* Align like yara's ADD_OFFSET: ptr + ((off + 3) & ~3). */
static uint64_t add_offset(uint64_t at, uint64_t off) { return at + ((off + 3) & ~(uint64_t)3); }

static bool wide_fits(const pe_file *pe, uint64_t at)
{
    size_t space = pe_available(pe, (int64_t)at);
    for (size_t i = 0; space >= 2; i += 2, space -= 2)
        if (pe->data[at + i] == 0 && pe->data[at + i + 1] == 0)
            return true;
    return false;
}

/* strcmp_w == 0: the UTF-16 string at `at` is exactly `text` (caller checked it fits). */
static bool wide_equals(const pe_file *pe, uint64_t at, const char *text)
{
    const uint8_t *w = pe->data + at;
    while (*text && w[0] == (uint8_t)*text && w[1] == 0) {
        w += 2;
        text++;
    }
    return w[1] == 0 && w[0] == (uint8_t)*text;
}

static uint64_t wide_len(const pe_file *pe, uint64_t at) /* after wide_fits */
{
    uint64_t n = 0;
    while (pe->data[at + 2 * n] || pe->data[at + 2 * n + 1])
        n++;
    return n;
}

/* strlcpy_w: low bytes up to the first zero low byte, at most size - 1. */
static void wide_copy(const pe_file *pe, uint64_t at, char *out, size_t size)
{
    size_t n = 0;
    while (size - n > 1 && pe_fits(pe, at, 1) && pe->data[at] != 0) {
        out[n++] = (char)pe->data[at];
        at += 2;
    }
    out[n] = '\0';
}

static void parse_version_info(pe_file *pe, uint64_t data_entry)
{
    int64_t start = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, data_entry));
    if (start < 0)
        return;
    uint64_t vi = (uint64_t)start;
    if (!pe_fits(pe, vi, 6) || !pe_fits(pe, vi + 6, 32) || !wide_equals(pe, vi + 6, "VS_VERSION_INFO"))
        return;
    vi = add_offset(vi, 6 + 86);
    while (pe_fits(pe, vi + 6, 24) && wide_equals(pe, vi + 6, "VarFileInfo") && pe_u16(pe, vi) != 0)
        vi = add_offset(vi, pe_u16(pe, vi));
    while (pe_fits(pe, vi + 6, 30) && wide_equals(pe, vi + 6, "StringFileInfo") &&
           pe_u16(pe, vi) != 0) {
        uint64_t table = add_offset(vi, 6 + 30);
        vi = add_offset(vi, pe_u16(pe, vi));
        while (pe_fits(pe, table, 6) && wide_fits(pe, table + 6) && pe_u16(pe, table) != 0 &&
               table < vi) {
            uint64_t str = add_offset(table, 6 + 2 * (wide_len(pe, table + 6) + 1));
            table = add_offset(table, pe_u16(pe, table));
            while (pe_fits(pe, str, 6) && wide_fits(pe, str + 6) && pe_u16(pe, str) != 0 &&
                   str < table) {
                uint64_t value = add_offset(str, 6 + 2 * (wide_len(pe, str + 6) + 1));
                if (wide_fits(pe, value)) {
                    char key[64], text[256];
                    wide_copy(pe, str + 6, key, sizeof key);
                    wide_copy(pe, value, text, sizeof text);
                    if (pe_u16(pe, str + 2) == 0)
                        text[0] = '\0';
                    if (vt_modrt_member_used(pe->scan, "version_info"))
                        vt_modrt_set_sz(text, pe->root, "version_info[%s]", key);
                    if (vt_modrt_member_used(pe->scan, "version_info_list")) {
                        vt_modrt_set_sz(key, pe->root, "version_info_list[%i].key",
                                        (int)pe->version_infos);
                        vt_modrt_set_sz(text, pe->root, "version_info_list[%i].value",
                                        (int)pe->version_infos);
                    }
                    pe->version_infos++;
                }
                str = add_offset(str, pe_u16(pe, str));
            }
        }
    }
}

typedef struct rsrc_walk {
    uint64_t base; /* start of the resource section */
    int ids[3];
    int64_t strings[3]; /* offsets of IMAGE_RESOURCE_DIR_STRING_U, -1 for none */
    unsigned long visited;
} rsrc_walk;

static int64_t resource_name(const pe_file *pe, const rsrc_walk *w, uint32_t name)
{
    if (!(name & 0x80000000u))
        return -1;
    uint64_t at = w->base + (name & 0x7fffffffu);
    if (!pe_fits(pe, at, 2) || !pe_fits(pe, at, 2 + (uint64_t)pe_u16(pe, at) * 2))
        return -1;
    return (int64_t)at;
}

static void set_string_or_id(pe_file *pe, vt_mobj *arr, int64_t string, int id,
                             const char *string_path, const char *id_path)
{
    int i = (int)pe->resources;
    if (string >= 0) {
        uint64_t len = (uint64_t)pe_u16(pe, (uint64_t)string) * 2;
        if (pe_fits(pe, (uint64_t)string + 2, len))
            vt_modrt_set_string(pe->data + string + 2, len, arr, string_path, i);
    } else {
        vt_modrt_set_integer(id, arr, id_path, i);
    }
}

static void collect_resource(pe_file *pe, const rsrc_walk *w, uint64_t entry)
{
    if (pe->resources > 65536)
        return;
    /* the objects for rules reading them (locale() and language() read resources[i]) */
    if (!pe->resource_objects) {
        if (w->ids[0] == 16) /* RESOURCE_TYPE_VERSION */
            parse_version_info(pe, entry);
        pe->resources++;
        return;
    }
    int i = (int)pe->resources;
    vt_mobj *arr = vt_mobj_member(pe->root, "resources");
    uint32_t rva = pe_u32(pe, entry);
    vt_modrt_set_integer(rva, arr, "[%i].rva", i);
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, rva);
    vt_modrt_set_integer(offset < 0 ? VT_MODRT_UNDEFINED : offset, arr, "[%i].offset", i);
    vt_modrt_set_integer(pe_u32(pe, entry + 4), arr, "[%i].length", i);
    set_string_or_id(pe, arr, w->strings[0], w->ids[0], "[%i].type_string", "[%i].type");
    set_string_or_id(pe, arr, w->strings[1], w->ids[1], "[%i].name_string", "[%i].id");
    set_string_or_id(pe, arr, w->strings[2], w->ids[2], "[%i].language_string",
                     "[%i].language");
    if (w->ids[0] == 16) /* RESOURCE_TYPE_VERSION */
        parse_version_info(pe, entry);
    pe->resources++;
}

/* Returns false when the walk aborts (yara's RESOURCE_ITERATOR_ABORTED). */
static bool walk_resources(pe_file *pe, rsrc_walk *w, uint64_t dir, int level)
{
    uint16_t named = pe_u16(pe, dir + 12), ids = pe_u16(pe, dir + 14);
    if (pe_u32(pe, dir) != 0 || named > 32768 || ids > 32768)
        return true;
    int64_t saved_strings[3];
    memcpy(saved_strings, w->strings, sizeof saved_strings);
    bool ok = true;
    uint64_t entry = dir + 16;
    for (int i = 0; i < named + ids; i++, entry += 8) {
        /* Bound the work on hostile trees that reference themselves (yara has no bound). */
        if (!pe_fits(pe, entry, 8) || ++w->visited > 1000000) {
            ok = false;
            break;
        }
        uint32_t name = pe_u32(pe, entry), target = pe_u32(pe, entry + 4);
        w->ids[level] = (int)name;
        w->strings[level] = resource_name(pe, w, name);
        uint64_t at = w->base + (target & 0x7fffffffu);
        if ((target & 0x80000000u) && level < 2) {
            if (pe_fits(pe, at, 16))
                ok = walk_resources(pe, w, at, level + 1);
            else
                ok = false;
        } else if (pe_fits(pe, at, 16)) {
            collect_resource(pe, w, at);
        } else {
            ok = false;
        }
        /* Deeper levels keep yara's by-value strings of the levels above. */
        for (int k = level + 1; k < 3; k++)
            w->strings[k] = saved_strings[k];
        if (!ok)
            break;
    }
    return ok;
}

void vt_modrt_pe_parse_resources(pe_file *pe)
{
    uint64_t dir = vt_modrt_pe_directory(pe, 2);
    if (!dir || pe_u32(pe, dir) == 0)
        return;
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, dir));
    if (offset < 0 || !pe_fits(pe, (uint64_t)offset, 16))
        return;
    uint64_t rsrc = (uint64_t)offset;
    vt_modrt_set_integer(pe_u32(pe, rsrc + 4), pe->root, "resource_timestamp");
    vt_modrt_set_integer(pe_u16(pe, rsrc + 8), pe->root, "resource_version.major");
    vt_modrt_set_integer(pe_u16(pe, rsrc + 10), pe->root, "resource_version.minor");
    pe->resource_objects = vt_modrt_member_used(pe->scan, "resources") ||
                           vt_modrt_member_used(pe->scan, "locale") ||
                           vt_modrt_member_used(pe->scan, "language");
    rsrc_walk w = {.base = rsrc, .ids = {-1, -1, -1}, .strings = {-1, -1, -1}};
    walk_resources(pe, &w, rsrc, 0);
}

/* ---- imports ------------------------------------------------------------------------------- */

static bool valid_dll_name(const pe_file *pe, uint64_t at)
{
    size_t n = pe->size - at, l = 0;
    const uint8_t *c = pe->data + at;
    while (l < n && c[l] != 0) {
        if (c[l] < ' ' || c[l] == '"' || c[l] == '*' || c[l] == '<' || c[l] == '>' ||
            c[l] == '?' || c[l] == '|')
            return false;
        l++;
    }
    return l > 0 && l < n;
}

/* yara's ord_lookup: a name from its tables for ws2_32/wsock32 and oleaut32, else "ordN". */
static const char *ordinal_name(pe_file *pe, const char *dll, uint16_t ordinal)
{
    const pe_ordinal *table = NULL;
    size_t count = 0;
    if (strncasecmp(dll, "WS2_32.dll", 10) == 0 || strncasecmp(dll, "wsock32.dll", 11) == 0) {
        table = ws2_32_ordinals;
        count = sizeof ws2_32_ordinals / sizeof ws2_32_ordinals[0];
    } else if (strncasecmp(dll, "oleaut32.dll", 12) == 0) {
        table = oleaut32_ordinals;
        count = sizeof oleaut32_ordinals / sizeof oleaut32_ordinals[0];
    }
    for (size_t i = 0; i < count; i++)
        if (table[i].ordinal == ordinal)
            return table[i].name;
    char name[16];
    snprintf(name, sizeof name, "ord%u", (unsigned)ordinal);
    return vt_arena_dup(&pe->scan->arena, name, strlen(name));
}

static const char *name_at(pe_file *pe, int64_t offset)
{
    size_t avail = pe_available(pe, offset);
    size_t len = offset >= 0 ? strnlen((const char *)pe->data + offset, avail < 512 ? avail : 512) : 0;
    return vt_arena_dup(&pe->scan->arena, offset >= 0 ? (const char *)pe->data + offset : "", len);
}

static bool add_function(pe_file *pe, pe_dll *dll, size_t *cap, pe_function f)
{
    if (dll->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        pe_function *n = vt_modrt_alloc(pe->scan, ncap * sizeof *n);
        if (!n)
            return false;
        if (dll->count)
            memcpy(n, dll->functions, dll->count * sizeof *n);
        dll->functions = n;
        *cap = ncap;
    }
    dll->functions[dll->count++] = f;
    return true;
}

static bool add_dll(pe_file *pe, pe_dll **list, size_t *count, size_t *cap, pe_dll dll)
{
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        pe_dll *n = vt_modrt_alloc(pe->scan, ncap * sizeof *n);
        if (!n)
            return false;
        if (*count)
            memcpy(n, *list, *count * sizeof *n);
        *list = n;
        *cap = ncap;
    }
    (*list)[(*count)++] = dll;
    return true;
}

static void parse_thunks(pe_file *pe, uint64_t descriptor, pe_dll *dll, int *function_count)
{
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, descriptor));
    if (offset <= 0)
        offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, descriptor + 16));
    if (offset < 0)
        return;
    size_t cap = 0;
    unsigned width = pe->is64 ? 8 : 4;
    uint64_t flag = pe->is64 ? 0x8000000000000000ull : 0x80000000ull;
    for (uint64_t t = (uint64_t)offset; pe_fits(pe, t, width) && *function_count < PE_MAX_IMPORTS;
         t += width) {
        uint64_t value = pe->is64 ? pe_u64(pe, t) : pe_u32(pe, t);
        if (value == 0)
            break;
        pe_function f = {0};
        if (!(value & flag)) {
            int64_t at = vt_modrt_pe_rva_to_offset(pe, value);
            if (at >= 0 && pe_fits(pe, (uint64_t)at, 4))
                f.name = name_at(pe, at + 2);
        } else {
            f.ordinal = (uint16_t)(value & 0xffff);
            f.has_ordinal = true;
            f.name = ordinal_name(pe, dll->name, f.ordinal);
        }
        if ((f.name || f.has_ordinal) && !add_function(pe, dll, &cap, f))
            return;
        (*function_count)++;
    }
}

static void set_imports(pe_file *pe, const pe_dll *dlls, size_t count, const char *array)
{
    vt_mobj *arr = vt_mobj_member(pe->root, array);
    int function_index = 0; /* yara does not restart it for each DLL */
    for (size_t d = 0; d < count; d++) {
        for (size_t k = 0; k < dlls[d].count; k++, function_index++) {
            const pe_function *f = &dlls[d].functions[k];
            vt_modrt_set_sz(f->name, arr, "[%i].functions[%i].name", (int)d, function_index);
            vt_modrt_set_integer(f->has_ordinal ? f->ordinal : VT_MODRT_UNDEFINED, arr,
                                 "[%i].functions[%i].ordinal", (int)d, function_index);
        }
        vt_modrt_set_sz(dlls[d].name, arr, "[%i].library_name", (int)d);
        vt_modrt_set_integer(function_index, arr, "[%i].number_of_functions", (int)d);
    }
}

void vt_modrt_pe_parse_imports(pe_file *pe)
{
    vt_modrt_set_integer(0, pe->root, "number_of_imports");
    vt_modrt_set_integer(0, pe->root, "number_of_imported_functions");
    uint64_t dir = vt_modrt_pe_directory(pe, 1);
    if (!dir || pe_u32(pe, dir) == 0)
        return;
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, dir));
    if (offset < 0)
        return;
    int dll_count = 0, function_count = 0;
    size_t cap = 0;
    for (uint64_t d = (uint64_t)offset;
         pe_fits(pe, d, 20) && pe_u32(pe, d + 12) != 0 && dll_count < PE_MAX_IMPORTS; d += 20) {
        int64_t name = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, d + 12));
        if (name >= 0) {
            if (!valid_dll_name(pe, (uint64_t)name))
                continue;
            pe_dll dll = {.name = (const char *)pe->data + name};
            parse_thunks(pe, d, &dll, &function_count);
            if (dll.count && !add_dll(pe, &pe->imports, &pe->import_count, &cap, dll))
                return;
        }
        dll_count++;
    }
    vt_modrt_set_integer(dll_count, pe->root, "number_of_imports");
    vt_modrt_set_integer(function_count, pe->root, "number_of_imported_functions");
    /* imphash() and imports() read pe->imports: the objects only for rules reading them */
    if (vt_modrt_member_used(pe->scan, "import_details"))
        set_imports(pe, pe->imports, pe->import_count, "import_details");
}

static uint64_t normalize_delay(uint64_t image_base, uint64_t va)
{
    return va != 0 && va > image_base ? va - image_base : va;
}

static uint64_t delay_pointer(const pe_file *pe, uint64_t rva, bool *ok)
{
    int64_t at = vt_modrt_pe_rva_to_offset(pe, rva);
    unsigned width = pe->is64 ? 8 : 4;
    *ok = at >= 0 && pe_fits(pe, (uint64_t)at, width);
    if (!*ok)
        return 0;
    return pe->is64 ? pe_u64(pe, (uint64_t)at) : pe_u32(pe, (uint64_t)at);
}

void vt_modrt_pe_parse_delayed_imports(pe_file *pe)
{
    vt_modrt_set_integer(0, pe->root, "number_of_delayed_imports");
    vt_modrt_set_integer(0, pe->root, "number_of_delayed_imported_functions");
    uint64_t dir = vt_modrt_pe_directory(pe, 13);
    if (!dir || pe_u32(pe, dir) == 0)
        return;
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, dir));
    if (offset < 0)
        return;
    uint64_t image_base = pe->is64 ? pe_u64(pe, pe->opt + 24) : pe_u32(pe, pe->opt + 28);
    uint64_t size_of_image = pe_u32(pe, pe->opt + 56);
    unsigned width = pe->is64 ? 8 : 4;
    uint64_t flag = pe->is64 ? 0x8000000000000000ull : 0x80000000ull;
    int64_t dll_count = 0, function_count = 0;
    size_t cap = 0;
    for (uint64_t d = (uint64_t)offset; pe_fits(pe, d, 32); d += 32) {
        uint32_t f[8];
        bool all_zero = true;
        for (int k = 0; k < 8; k++) {
            f[k] = pe_u32(pe, d + 4 * (uint64_t)k);
            all_zero &= f[k] == 0;
        }
        if (all_zero)
            break;
        uint32_t attributes = f[0];
        if (attributes > 1)
            break;
        if (!pe->is64 && !attributes)
            for (int k = 1; k < 7; k++)
                f[k] = (uint32_t)normalize_delay(image_base, f[k]);
        uint32_t name_rva = f[1], iat = f[3], int_rva = f[4];
        if (int_rva >= size_of_image || iat >= size_of_image || name_rva < 64 || int_rva < 64)
            break;
        int64_t name = vt_modrt_pe_rva_to_offset(pe, name_rva);
        if (name < 0 || !valid_dll_name(pe, (uint64_t)name))
            continue;
        pe_dll dll = {.name = (const char *)pe->data + name};
        size_t fcap = 0;
        for (uint64_t n = int_rva, a = iat;; n += width, a += width) {
            bool ok1, ok2;
            uint64_t name_address = delay_pointer(pe, n, &ok1);
            uint64_t func_address = delay_pointer(pe, a, &ok2);
            if (!ok1 || !ok2 || name_address == 0 || func_address == 0)
                break;
            pe_function fn = {0};
            if (!(name_address & flag)) {
                if (!attributes)
                    name_address = normalize_delay(image_base, name_address);
                fn.name = name_at(pe, vt_modrt_pe_rva_to_offset(pe, name_address + 2));
            } else {
                fn.ordinal = (uint16_t)(name_address & 0xffff);
                fn.has_ordinal = true;
                fn.name = ordinal_name(pe, dll.name, fn.ordinal);
            }
            function_count++;
            if (!add_function(pe, &dll, &fcap, fn))
                return;
        }
        dll_count++;
        if (!add_dll(pe, &pe->delayed, &pe->delayed_count, &cap, dll))
            return;
    }
    vt_modrt_set_integer(dll_count, pe->root, "number_of_delayed_imports");
    vt_modrt_set_integer(function_count, pe->root, "number_of_delayed_imported_functions");
    /* yara 4.2.3 writes the details to "delayed_import_details", which its declaration calls
     * "delay_import_details": the sets fail and the declared array stays empty. So do we. */
}

/* ---- exports ------------------------------------------------------------------------------- */

static void set_c_string(pe_file *pe, vt_mobj *obj, int64_t offset, size_t max, const char *path,
                         int i)
{
    size_t len = strnlen((const char *)pe->data + offset, pe->size - (size_t)offset);
    vt_modrt_set_string(pe->data + offset, len < max ? len : max, obj, path, i);
}

/* yara's checks of the export directory: false when it sets no export (number_of_exports 0). */
static bool export_table(pe_file *pe, pe_export_table *t)
{
    uint64_t dir = vt_modrt_pe_directory(pe, 0);
    if (!dir || pe_u32(pe, dir) == 0)
        return false;
    int64_t offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, dir));
    if (offset < 0)
        return false;
    t->start = offset;
    t->size = pe_u32(pe, dir + 4);
    uint64_t e = (uint64_t)offset;
    if (!pe_fits(pe, e, 40))
        return false;
    uint32_t n = pe_u32(pe, e + 20);
    if (n > PE_MAX_EXPORTS)
        n = PE_MAX_EXPORTS;
    t->count = n;
    t->base = pe_u32(pe, e + 16);
    vt_modrt_set_integer(pe_u32(pe, e + 4), pe->root, "export_timestamp");
    offset = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, e + 12));
    if (offset > 0) {
        size_t len = strnlen((const char *)pe->data + offset, pe->size - (size_t)offset);
        vt_modrt_set_string(pe->data + offset, len, pe->root, "dll_name");
    }
    /* yara compares with the name's offset here (-1 or 0 when there is none) */
    if ((uint64_t)n * 4 > (uint64_t)pe->size - (uint64_t)offset)
        return false;
    uint32_t names_count = pe_u32(pe, e + 24);
    t->names = -1;
    if (names_count > 0) {
        t->names = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, e + 32));
        if (t->names < 0 || (uint64_t)names_count * 4 > pe->size - (uint64_t)t->names)
            return false;
    }
    t->ordinals = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, e + 36));
    if (t->ordinals < 0 || pe_available(pe, t->ordinals) < 2 * (uint64_t)n)
        return false;
    t->functions = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, e + 28));
    if (t->functions < 0 || pe_available(pe, t->functions) < 4 * (uint64_t)n)
        return false;
    t->named = names_count < n ? names_count : n;
    return true;
}

const pe_export *vt_modrt_pe_exports(pe_file *pe, uint32_t *count)
{
    *count = 0;
    if (!pe->has_export_table)
        return NULL;
    const pe_export_table *t = &pe->export_table;
    if (!pe->exports_built) {
        uint32_t n = t->count;
        pe_export *exports = vt_modrt_alloc(pe->scan, (n ? n : 1) * sizeof *exports);
        if (!exports)
            return NULL;
        for (uint32_t i = 0; i < n; i++)
            exports[i].ordinal = (uint32_t)(t->base + i);
        /* yara scans the whole ordinal table for each export and takes the first j < named
         * whose ordinal is the export's index; the same answer, computed once. */
        if (t->names >= 0 && n > 0) {
            int32_t *name_index = vt_modrt_alloc(pe->scan, (size_t)n * sizeof *name_index);
            if (!name_index)
                return NULL;
            for (uint32_t i = 0; i < n; i++)
                name_index[i] = -1;
            for (uint32_t j = 0; j < t->named; j++) {
                uint16_t target = vt_le16(pe->data + t->ordinals + 2 * (uint64_t)j);
                if (target < n && name_index[target] < 0)
                    name_index[target] = (int32_t)j;
            }
            for (uint32_t i = 0; i < n; i++) {
                if (name_index[i] < 0)
                    continue;
                int64_t at = vt_modrt_pe_rva_to_offset(
                    pe, vt_le32(pe->data + t->names + 4 * (uint64_t)name_index[i]));
                if (at <= 0)
                    continue;
                size_t len = strnlen((const char *)pe->data + at, pe->size - (size_t)at);
                if (len > 512)
                    len = 512;
                exports[i].name = vt_arena_dup(&pe->scan->arena, pe->data + at, len);
                if (!exports[i].name) {
                    pe->scan->out_of_memory = true;
                    return NULL;
                }
                exports[i].name_len = len;
            }
        }
        pe->exports = exports;
        pe->exports_built = true;
    }
    *count = t->count;
    return pe->exports;
}

void vt_modrt_pe_parse_exports(pe_file *pe)
{
    vt_modrt_set_integer(0, pe->root, "number_of_exports");
    pe_export_table *t = &pe->export_table;
    if (!export_table(pe, t))
        return;
    pe->has_export_table = true;
    /* exports() and exports_index() read pe->exports; the objects are built only when a rule
     * reads export_details: a DLL can export thousands of functions, three objects each. */
    if (vt_modrt_member_used(pe->scan, "export_details")) {
        uint32_t n;
        const pe_export *exports = vt_modrt_pe_exports(pe, &n);
        vt_mobj *arr = vt_mobj_member(pe->root, "export_details");
        for (uint32_t i = 0; exports && i < n; i++) {
            vt_modrt_set_integer(exports[i].ordinal, arr, "[%i].ordinal", (int)i);
            int64_t offset = vt_modrt_pe_rva_to_offset(
                pe, vt_le32(pe->data + t->functions + 4 * (uint64_t)i));
            if (offset > t->start && (uint64_t)offset < (uint64_t)t->start + t->size)
                set_c_string(pe, arr, offset, 512, "[%i].forward_name", (int)i);
            else
                vt_modrt_set_integer(offset, arr, "[%i].offset", (int)i);
            if (exports[i].name)
                vt_modrt_set_string(exports[i].name, exports[i].name_len, arr, "[%i].name",
                                    (int)i);
        }
    }
    vt_modrt_set_integer(t->count, pe->root, "number_of_exports");
}
