/* mod_dex.c: yara's dex module (4.2.3): the constants, the header, the string, type, proto,
 * field and method id tables, the map list, the class definitions with their class data
 * (encoded fields and methods, named through the id tables, with each method's code item), and
 * the functions has_method and has_class. The logic and its quirks are yara's (dex.c): a table
 * that does not fit ends the parse (and leaves number_of_fields/methods undefined), a string's
 * value holds as many bytes as its UTF-16 length and starts one byte after its offset whatever
 * the width of its length prefix, an encoded field or method whose id cannot be resolved ends
 * its list after its numbers were set, and lookups by index give up above 0x80000. Every read
 * is checked against the file. */
#include <string.h>

#include "modrt_internal.h"

enum {
    HEADER_SIZE = 0x70,
    MAX_INDEX = 0x80000,
    CODE_ITEM_SIZE = 16,
    /* Encoded fields and methods read in all (yara has no bound). Class definitions that all
     * point at the same class data would make the walk quadratic in the file's size; a valid
     * dex file defines at most 65536 methods and 65536 fields. */
    MAX_ENCODED = 131072,
};

typedef struct dex_file {
    const uint8_t *data;
    size_t size;
    vt_mobj *root;
} dex_file;

static bool fits(const dex_file *d, uint64_t off, uint64_t len)
{
    return len <= d->size && off <= d->size - len;
}
static uint32_t u32(const dex_file *d, uint64_t off) { return vt_le32(d->data + off); }
static uint16_t u16(const dex_file *d, uint64_t off) { return vt_le16(d->data + off); }

/* read_uleb128_bounded: at most five bytes, none past the end of the file (error then);
 * *used grows by the bytes read. */
static uint32_t uleb128(const dex_file *d, uint64_t off, uint32_t *used, bool *error)
{
    *error = false;
    uint32_t result = 0;
    for (unsigned shift = 0; shift <= 28; shift += 7) {
        if (off >= d->size) {
            *error = true;
            return result;
        }
        uint8_t byte = d->data[off++];
        (*used)++;
        if (shift == 28) {
            result |= (uint32_t)byte << 28; /* the high bits are kept, as yara keeps them */
            break;
        }
        result |= (uint32_t)(byte & 0x7f) << shift;
        if (byte <= 0x7f)
            break;
    }
    return result;
}

/* dex_get_integer / dex_get_string: an item of an id table by an index read from the file. */
static int64_t get_integer(const dex_file *d, const char *path, int64_t index)
{
    if (index == VT_MODRT_UNDEFINED || index < 0 || index > MAX_INDEX)
        return VT_MODRT_UNDEFINED;
    return vt_modrt_get_integer(d->root, path, (int)index);
}

static bool get_string(const dex_file *d, const char *path, int64_t index,
                       const uint8_t **bytes, size_t *len)
{
    if (index == VT_MODRT_UNDEFINED || index < 0 || index > MAX_INDEX)
        return false;
    return vt_mobj_string(vt_modrt_get(d->root, path, (int)index), bytes, len);
}

/* Set `path` (with index i) to the string_ids value at `string_index`, if there is one. */
static void set_from_strings(const dex_file *d, int64_t string_index, const char *path, int i)
{
    const uint8_t *bytes;
    size_t len;
    if (get_string(d, "string_ids[%i].value", string_index, &bytes, &len))
        vt_modrt_set_string(bytes, len, d->root, path, i);
}

static void parse_header(const dex_file *d)
{
    vt_mobj *r = d->root;
    vt_modrt_set_string(d->data, strnlen((const char *)d->data, 8), r, "header.magic");
    vt_modrt_set_integer(u32(d, 8), r, "header.checksum");
    vt_modrt_set_string(d->data + 12, strnlen((const char *)d->data + 12, 20), r,
                        "header.signature");
    static const char *const fields[] = {
        "header.file_size", "header.header_size", "header.endian_tag", "header.link_size",
        "header.link_offset", "header.map_offset", "header.string_ids_size",
        "header.string_ids_offset", "header.type_ids_size", "header.type_ids_offset",
        "header.proto_ids_size", "header.proto_ids_offset", "header.field_ids_size",
        "header.field_ids_offset", "header.method_ids_size", "header.method_ids_offset",
        "header.class_defs_size", "header.class_defs_offset", "header.data_size",
        "header.data_offset",
    };
    for (unsigned k = 0; k < sizeof fields / sizeof fields[0]; k++)
        vt_modrt_set_integer(u32(d, 32 + 4 * (uint64_t)k), r, fields[k]);
}

/* load_encoded_field: returns the bytes read, 0 to end the list. */
static uint32_t encoded_field(const dex_file *d, uint64_t at, uint32_t *previous, int index)
{
    if (!fits(d, at, 8))
        return 0;
    uint32_t used = 0;
    bool error;
    uint32_t diff = uleb128(d, at, &used, &error);
    if (error)
        return 0;
    uint32_t flags = uleb128(d, at + used, &used, &error);
    if (error)
        return 0;
    vt_modrt_set_integer(diff, d->root, "field[%i].field_idx_diff", index);
    vt_modrt_set_integer(flags, d->root, "field[%i].access_flags", index);
    *previous += diff;
    int64_t name_idx = get_integer(d, "field_ids[%i].name_idx", *previous);
    if (name_idx == VT_MODRT_UNDEFINED)
        return 0;
    set_from_strings(d, name_idx, "field[%i].name", index);
    int64_t class_idx = get_integer(d, "field_ids[%i].class_idx", *previous);
    int64_t descriptor = get_integer(d, "type_ids[%i].descriptor_idx", class_idx);
    set_from_strings(d, descriptor, "field[%i].class_name", index);
    int64_t type_idx = get_integer(d, "field_ids[%i].type_idx", *previous);
    int64_t type_descriptor = get_integer(d, "type_ids[%i].descriptor_idx", type_idx);
    set_from_strings(d, type_descriptor, "field[%i].proto", index);
    return used;
}

/* load_encoded_method: returns the bytes read, 0 to end the list. */
static uint32_t encoded_method(const dex_file *d, uint64_t at, uint32_t *previous, int index,
                               int direct)
{
    if (!fits(d, at, 12))
        return 0;
    uint32_t used = 0;
    bool error;
    uint32_t diff = uleb128(d, at, &used, &error);
    if (error)
        return 0;
    uint32_t flags = uleb128(d, at + used, &used, &error);
    if (error)
        return 0;
    uint32_t code_off = uleb128(d, at + used, &used, &error);
    if (error)
        return 0;
    vt_mobj *r = d->root;
    vt_modrt_set_integer(diff, r, "method[%i].method_idx_diff", index);
    vt_modrt_set_integer(flags, r, "method[%i].access_flags", index);
    vt_modrt_set_integer(code_off, r, "method[%i].code_off", index);
    vt_modrt_set_integer(direct, r, "method[%i].direct", index);
    vt_modrt_set_integer(!direct, r, "method[%i].virtual", index);
    *previous += diff;
    int64_t name_idx = get_integer(d, "method_ids[%i].name_idx", *previous);
    if (name_idx == VT_MODRT_UNDEFINED)
        return 0;
    set_from_strings(d, name_idx, "method[%i].name", index);
    int64_t class_idx = get_integer(d, "method_ids[%i].class_idx", *previous);
    int64_t descriptor = get_integer(d, "type_ids[%i].descriptor_idx", class_idx);
    set_from_strings(d, descriptor, "method[%i].class_name", index);
    int64_t proto_idx = get_integer(d, "method_ids[%i].proto_idx", *previous);
    int64_t shorty = get_integer(d, "proto_ids[%i].shorty_idx", proto_idx);
    set_from_strings(d, shorty, "method[%i].proto", index);
    if (code_off != 0 && fits(d, code_off, CODE_ITEM_SIZE)) {
        vt_modrt_set_integer(u16(d, code_off), r, "method[%i].code_item.registers_size", index);
        vt_modrt_set_integer(u16(d, code_off + 2), r, "method[%i].code_item.ins_size", index);
        vt_modrt_set_integer(u16(d, code_off + 4), r, "method[%i].code_item.outs_size", index);
        vt_modrt_set_integer(u16(d, code_off + 6), r, "method[%i].code_item.tries_size", index);
        vt_modrt_set_integer(u32(d, code_off + 8), r, "method[%i].code_item.debug_info_off",
                             index);
        uint32_t insns = u32(d, code_off + 12);
        vt_modrt_set_integer(insns, r, "method[%i].code_item.insns_size", index);
        uint32_t bytes = insns * 2u; /* a 32-bit product, as in yara */
        if (fits(d, (uint64_t)code_off + CODE_ITEM_SIZE, bytes))
            vt_modrt_set_string(d->data + code_off + CODE_ITEM_SIZE, bytes, r,
                                "method[%i].code_item.insns", index);
    }
    return used;
}

/* The id tables, each read only when it fits whole; false when one does not (the parse ends). */
static bool parse_ids(const dex_file *d)
{
    vt_mobj *r = d->root;
    uint32_t count = u32(d, 56), at = u32(d, 60);
    if (!fits(d, at, (uint64_t)count * 4))
        return false;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t off = u32(d, (uint64_t)at + 4 * (uint64_t)i);
        if (!fits(d, off, 4))
            continue;
        uint32_t used = 0;
        bool error;
        uint32_t length = uleb128(d, off, &used, &error);
        if (error || !fits(d, (uint64_t)off + 1, length))
            continue;
        vt_modrt_set_integer(off, r, "string_ids[%i].offset", (int)i);
        vt_modrt_set_integer(length, r, "string_ids[%i].size", (int)i);
        vt_modrt_set_string(d->data + off + 1, length, r, "string_ids[%i].value", (int)i);
    }
    count = u32(d, 64), at = u32(d, 68);
    if (!fits(d, at, (uint64_t)count * 4))
        return false;
    for (uint32_t i = 0; i < count; i++)
        vt_modrt_set_integer(u32(d, (uint64_t)at + 4 * (uint64_t)i), r,
                             "type_ids[%i].descriptor_idx", (int)i);
    count = u32(d, 72), at = u32(d, 76);
    if (!fits(d, at, (uint64_t)count * 12))
        return false;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t p = (uint64_t)at + 12 * (uint64_t)i;
        vt_modrt_set_integer(u32(d, p), r, "proto_ids[%i].shorty_idx", (int)i);
        vt_modrt_set_integer(u32(d, p + 4), r, "proto_ids[%i].return_type_idx", (int)i);
        vt_modrt_set_integer(u32(d, p + 8), r, "proto_ids[%i].parameters_offset", (int)i);
    }
    static const char *const field_paths[] = {"field_ids[%i].class_idx", "field_ids[%i].type_idx",
                                              "field_ids[%i].name_idx"};
    static const char *const method_paths[] = {"method_ids[%i].class_idx",
                                               "method_ids[%i].proto_idx",
                                               "method_ids[%i].name_idx"};
    for (int table = 0; table < 2; table++) {
        const char *const *paths = table == 0 ? field_paths : method_paths;
        count = u32(d, 80 + 8 * (uint64_t)table), at = u32(d, 84 + 8 * (uint64_t)table);
        if (!fits(d, at, (uint64_t)count * 8))
            return false;
        for (uint32_t i = 0; i < count; i++) {
            uint64_t p = (uint64_t)at + 8 * (uint64_t)i;
            vt_modrt_set_integer(u16(d, p), r, paths[0], (int)i);
            vt_modrt_set_integer(u16(d, p + 2), r, paths[1], (int)i);
            vt_modrt_set_integer(u32(d, p + 4), r, paths[2], (int)i);
        }
    }
    return true;
}

/* The map list; false when the parse ends: yara 4.2.3 checks the list's size against the file
 * from its start (not from the list), then stops at the first item that does not fit. */
static bool parse_map_list(const dex_file *d)
{
    uint32_t at = u32(d, 52);
    if (at == 0 || !fits(d, at, 4))
        return true;
    uint32_t count = u32(d, at);
    vt_modrt_set_integer(count, d->root, "map_list.size");
    if (!fits(d, 0, 4 + (uint64_t)count * 12))
        return false;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t p = (uint64_t)at + 4 + 12 * (uint64_t)i;
        if (!fits(d, p, 12))
            return false;
        vt_modrt_set_integer(u16(d, p), d->root, "map_list.map_item[%i].type", (int)i);
        vt_modrt_set_integer(u16(d, p + 2), d->root, "map_list.map_item[%i].unused", (int)i);
        vt_modrt_set_integer(u32(d, p + 4), d->root, "map_list.map_item[%i].size", (int)i);
        vt_modrt_set_integer(u32(d, p + 8), d->root, "map_list.map_item[%i].offset", (int)i);
    }
    return true;
}

/* The class definitions and their class data; false when the parse ends early. */
static bool parse_classes(const dex_file *d, int *fields, int *methods)
{
    vt_mobj *r = d->root;
    uint32_t count = u32(d, 96), at = u32(d, 100);
    if (!fits(d, at, (uint64_t)count * 32))
        return false;
    static const char *const paths[] = {
        "class_defs[%i].class_idx", "class_defs[%i].access_flags",
        "class_defs[%i].super_class_idx", "class_defs[%i].interfaces_offset",
        "class_defs[%i].source_file_idx", "class_defs[%i].annotations_offset",
        "class_defs[%i].class_data_offset", "class_defs[%i].static_values_offset",
    };
    static const char *const sizes[] = {
        "class_data_item[%i].static_fields_size", "class_data_item[%i].instance_fields_size",
        "class_data_item[%i].direct_methods_size", "class_data_item[%i].virtual_methods_size",
    };
    int class_data_items = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t p = (uint64_t)at + 32 * (uint64_t)i;
        for (int k = 0; k < 8; k++)
            vt_modrt_set_integer(u32(d, p + 4 * (uint64_t)k), r, paths[k], (int)i);
        uint32_t data_off = u32(d, p + 24);
        if (data_off == 0)
            continue;
        if (!fits(d, data_off, 16))
            return false;
        uint32_t used = 0, size[4];
        for (int k = 0; k < 4; k++) {
            bool error;
            size[k] = uleb128(d, (uint64_t)data_off + used, &used, &error);
            if (error)
                return false;
        }
        for (int k = 0; k < 4; k++)
            vt_modrt_set_integer(size[k], r, sizes[k], class_data_items);
        for (int list = 0; list < 4; list++) {
            uint32_t previous = 0;
            for (uint32_t j = 0; j < size[list] && *fields + *methods < MAX_ENCODED; j++) {
                uint64_t item = (uint64_t)data_off + used;
                uint32_t n = list < 2 ? encoded_field(d, item, &previous, *fields)
                                      : encoded_method(d, item, &previous, *methods, list == 2);
                if (n == 0)
                    break;
                used += n;
                if (list < 2)
                    (*fields)++;
                else
                    (*methods)++;
            }
        }
        class_data_items++;
    }
    return true;
}

static const char *const constant_names[] = {
    "ENDIAN_CONSTANT", "REVERSE_ENDIAN_CONSTANT", "NO_INDEX", "ACC_PUBLIC", "ACC_PRIVATE",
    "ACC_PROTECTED", "ACC_STATIC", "ACC_FINAL", "ACC_SYNCHRONIZED", "ACC_VOLATILE", "ACC_BRIDGE",
    "ACC_TRANSIENT", "ACC_VARARGS", "ACC_NATIVE", "ACC_INTERFACE", "ACC_ABSTRACT", "ACC_STRICT",
    "ACC_SYNTHETIC", "ACC_ANNOTATION", "ACC_ENUM", "ACC_CONSTRUCTOR", "ACC_DECLARED_SYNCHRONIZED",
    "TYPE_HEADER_ITEM", "TYPE_STRING_ID_ITEM", "TYPE_TYPE_ID_ITEM", "TYPE_PROTO_ID_ITEM",
    "TYPE_FIELD_ID_ITEM", "TYPE_METHOD_ID_ITEM", "TYPE_CLASS_DEF_ITEM", "TYPE_CALL_SITE_ID_ITEM",
    "TYPE_METHOD_HANDLE_ITEM", "TYPE_MAP_LIST", "TYPE_TYPE_LIST", "TYPE_ANNOTATION_SET_REF_LIST",
    "TYPE_ANNOTATION_SET_ITEM", "TYPE_CLASS_DATA_ITEM", "TYPE_CODE_ITEM", "TYPE_STRING_DATA_ITEM",
    "TYPE_DEBUG_INFO_ITEM", "TYPE_ANNOTATION_ITEM", "TYPE_ENCODED_ARRAY_ITEM",
    "TYPE_ANNOTATIONS_DIRECTORY_ITEM",
};
static const int64_t constant_values[] = {
    0x12345678, 0x78563412, 0xffffffff, 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x40, 0x80, 0x80,
    0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x10000, 0x20000,
    0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x1000, 0x1001,
    0x1002, 0x1003, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
};

static const char magics[5][8] = {
    "dex\n035", "dex\n036", "dex\n037", "dex\n038", "dex\n039",
};

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    vt_mobj *r = module->root;
    static const char *const magic_names[] = {"DEX_FILE_MAGIC_035", "DEX_FILE_MAGIC_036",
                                              "DEX_FILE_MAGIC_037", "DEX_FILE_MAGIC_038",
                                              "DEX_FILE_MAGIC_039"};
    for (int i = 0; i < 5; i++)
        vt_modrt_set_sz(magics[i], r, magic_names[i]);
    for (size_t i = 0; i < sizeof constant_names / sizeof constant_names[0]; i++)
        vt_modrt_set_integer(constant_values[i], r, constant_names[i]);
    bool dex = false;
    for (int i = 0; i < 5 && size >= HEADER_SIZE; i++)
        dex |= memcmp(data, magics[i], 8) == 0;
    if (dex) {
        dex_file d = {data, size, r};
        parse_header(&d);
        int fields = 0, methods = 0;
        if (parse_ids(&d) && parse_map_list(&d) && parse_classes(&d, &fields, &methods)) {
            vt_modrt_set_integer(methods, r, "number_of_methods");
            vt_modrt_set_integer(fields, r, "number_of_fields");
        }
    }
    return scan->out_of_memory ? VT_ERR_NOMEM : VT_OK;
}

/* ---- functions ------------------------------------------------------------------------------ */

/* A string of method[i] as yara's c_string: cut at its first NUL. NULL when undefined. */
static const char *method_string(vt_modrt_fncall *call, int64_t i, const char *field, size_t *len)
{
    const uint8_t *bytes;
    size_t n;
    if (!vt_mobj_string(vt_modrt_get(call->module, field, (int)i), &bytes, &n))
        return NULL;
    *len = strnlen((const char *)bytes, n);
    return (const char *)bytes;
}

/* The C string of an 's' argument, cut at its first NUL. */
static bool argument_equals(const vt_modrt_arg *arg, const char *s, size_t len)
{
    size_t n = strnlen((const char *)arg->s, arg->len);
    return n == len && memcmp(arg->s, s, len) == 0;
}

static bool regex_matches(vt_modrt_fncall *call, const vt_modrt_arg *arg, const char *s,
                          size_t len)
{
    return call->scan->options.regex_search(call->scan->options.regex_user, arg->regex,
                                            (const uint8_t *)s, len);
}

/* has_method and has_class: `class_arg` / `name_arg` are the arguments (NULL: not tested),
 * compared as strings or searched as regexes. A method whose class name is undefined is not
 * excluded by the class test, as in yara. */
static void find_method(vt_modrt_fncall *call, const vt_modrt_arg *class_arg,
                        const vt_modrt_arg *name_arg, bool regex)
{
    int64_t count = vt_modrt_get_integer(call->module, "number_of_methods");
    if (count == VT_MODRT_UNDEFINED || (regex && !call->scan->options.regex_search))
        return;
    for (int64_t i = 0; i < count; i++) {
        size_t len;
        if (class_arg) {
            const char *klass = method_string(call, i, "method[%i].class_name", &len);
            bool same = klass && (regex ? regex_matches(call, class_arg, klass, len)
                                        : argument_equals(class_arg, klass, len));
            if (klass && !same)
                continue;
            if (!name_arg && klass) {
                vt_modrt_return_integer(call, 1);
                return;
            }
        }
        if (name_arg) {
            const char *name = method_string(call, i, "method[%i].name", &len);
            if (name && (regex ? regex_matches(call, name_arg, name, len)
                               : argument_equals(name_arg, name, len))) {
                vt_modrt_return_integer(call, 1);
                return;
            }
        }
    }
    vt_modrt_return_integer(call, 0);
}

static void has_method_s(vt_modrt_fncall *call) { find_method(call, NULL, &call->args[0], false); }
static void has_method_ss(vt_modrt_fncall *call)
{
    find_method(call, &call->args[0], &call->args[1], false);
}
static void has_method_r(vt_modrt_fncall *call) { find_method(call, NULL, &call->args[0], true); }
static void has_method_rr(vt_modrt_fncall *call)
{
    find_method(call, &call->args[0], &call->args[1], true);
}
static void has_class_s(vt_modrt_fncall *call) { find_method(call, &call->args[0], NULL, false); }
static void has_class_r(vt_modrt_fncall *call) { find_method(call, &call->args[0], NULL, true); }

static const vt_modrt_function_def functions[] = {
    {"", "has_method", "s", has_method_s},   {"", "has_method", "ss", has_method_ss},
    {"", "has_method", "r", has_method_r},   {"", "has_method", "rr", has_method_rr},
    {"", "has_class", "s", has_class_s},     {"", "has_class", "r", has_class_r},
};

const vt_modrt_module_def vt_modrt_module_dex = {
    .name = "dex",
    .load = load,
    .functions = functions,
    .function_count = sizeof functions / sizeof functions[0],
};
