/* mod_pe.c: yara's pe module (4.2.3), the loader: headers, data directories, sections with full
 * names, overlay, rich signature, PDB path, resources with version information, imports, delayed
 * imports and exports. The logic and its many quirks are yara's (pe.c, pe_utils.c); every offset
 * taken from the file is checked with pe_fits() before it is read. Directory parsers are in
 * pe_parse.c, Authenticode in pe_sig.c, functions in mod_pe_functions.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pe_internal.h"

#include "pe_constants.inc"

enum {
    DOS_HEADER_SIZE = 64, FILE_HEADER_SIZE = 20, OPT32_SIZE = 224, OPT64_SIZE = 240,
    SECTION_SIZE = 40, MAGIC_PE64 = 0x20b,
};

#define FH(off) (pe->nt + 4 + (off)) /* a field of the COFF file header */

static uint16_t number_of_sections(const pe_file *pe) { return pe_u16(pe, FH(2)); }
static uint64_t first_section(const pe_file *pe) { return pe->opt + pe_u16(pe, FH(16)); }

/* Optional header fields whose offset differs between PE32 and PE32+. */
static uint64_t opt_image_base(const pe_file *pe)
{
    return pe->is64 ? pe_u64(pe, pe->opt + 24) : pe_u32(pe, pe->opt + 28);
}
static uint64_t opt_data_dirs(const pe_file *pe) { return pe->opt + (pe->is64 ? 112 : 96); }

/* pe_get_header: the NT headers offset if data is a PE file yara 4.2.3 accepts (any machine). */
static bool find_header(const uint8_t *data, size_t size, uint64_t *nt)
{
    if (size < DOS_HEADER_SIZE || vt_le16(data) != 0x5a4d)
        return false;
    int32_t lfanew = (int32_t)vt_le32(data + 60);
    if (lfanew < 0)
        return false;
    uint64_t headers = (uint64_t)lfanew + 4 + FILE_HEADER_SIZE;
    if (size < headers || vt_le32(data + lfanew) != 0x00004550)
        return false;
    if (size < headers + OPT32_SIZE)
        return false;
    headers += vt_le16(data + headers) == MAGIC_PE64 ? OPT64_SIZE : OPT32_SIZE;
    if (size < headers)
        return false;
    *nt = (uint64_t)lfanew;
    return true;
}

bool vt_modrt_pe_open(const uint8_t *data, size_t size, pe_file *pe)
{
    uint64_t nt;
    if (!find_header(data, size, &nt))
        return false;
    memset(pe, 0, sizeof *pe);
    pe->data = data;
    pe->size = size;
    pe->nt = nt;
    pe->opt = nt + 4 + FILE_HEADER_SIZE;
    pe->is64 = vt_le16(data + pe->opt) == MAGIC_PE64;
    return true;
}

int64_t vt_modrt_pe_rva_to_offset(const pe_file *pe, uint64_t rva)
{
    uint64_t section = first_section(pe);
    uint32_t lowest_rva = 0xffffffffu, section_rva = 0, section_offset = 0, raw_size = 0;
    unsigned n = number_of_sections(pe);
    if (n > PE_MAX_SECTIONS)
        n = PE_MAX_SECTIONS;
    for (unsigned i = 0; i < n; i++, section += SECTION_SIZE) {
        if (!pe_fits(pe, section, SECTION_SIZE))
            return -1;
        uint32_t va = pe_u32(pe, section + 12), vsize = pe_u32(pe, section + 8);
        if (lowest_rva > va)
            lowest_rva = va;
        if (rva >= va && rva - va < vsize && section_rva <= va) {
            uint32_t alignment = pe_u32(pe, pe->opt + 36);
            if (alignment > 0x200)
                alignment = 0x200;
            section_rva = va;
            section_offset = pe_u32(pe, section + 20);
            raw_size = pe_u32(pe, section + 16);
            if (alignment && section_offset % alignment)
                section_offset -= section_offset % alignment;
        }
    }
    if (rva < lowest_rva) {
        section_rva = 0;
        section_offset = 0;
        raw_size = (uint32_t)pe->size;
    }
    if (rva - section_rva >= raw_size)
        return -1;
    uint64_t result = section_offset + (rva - section_rva);
    if (result >= pe->size)
        return -1;
    return (int64_t)result;
}

/* pe_get_directory_entry: the offset of data directory `entry` if it lies inside the optional
 * header as SizeOfOptionalHeader declares it, else 0. */
uint64_t vt_modrt_pe_directory(const pe_file *pe, int entry)
{
    uint64_t dir = opt_data_dirs(pe) + (uint64_t)entry * 8;
    if (entry < 16 && dir <= pe->opt + pe_u16(pe, FH(16)) && pe_fits(pe, dir, 8))
        return dir;
    return 0;
}

/* Observed in yara 4.2.3 (crafted files): the resource and security directories are ignored
 * when NumberOfRvaAndSizes does not cover them, while exports and imports are not. */
static bool directory_counted(const pe_file *pe, int entry)
{
    return (uint32_t)entry < pe_u32(pe, pe->opt + (pe->is64 ? 108 : 92));
}

/* ---- header, sections, overlay ----------------------------------------------------------- */

static void section_full_name(const pe_file *pe, const char *name, size_t len, vt_mobj *item)
{
    uint64_t coff = pe_u32(pe, FH(8)), count = pe_u32(pe, FH(12));
    if (coff == 0 || name[0] != '/') {
        vt_modrt_set_string(name, len, item, "full_name");
        return;
    }
    uint64_t index = 0;
    for (int k = 1; k < 8 && isdigit((unsigned char)name[k]); k++)
        index = index * 10 + (uint64_t)(name[k] - '0');
    uint64_t at = coff + count * 18 + index;
    for (uint64_t n = 0; at + n >= at && pe_fits(pe, at, n + 1); n++) {
        char c = (char)pe->data[at + n];
        if (c == 0) {
            vt_modrt_set_string(pe->data + at, n, item, "full_name");
            return;
        }
        if (!isprint((unsigned char)c))
            return;
    }
}

/* sections[i] from the section header at `section`. */
static void set_section(pe_file *pe, vt_mobj *sections, uint64_t section, int i)
{
    char name[9];
    memcpy(name, pe->data + section, 8);
    name[8] = '\0';
    int len = 7;
    while (len >= 0 && name[len] == '\0')
        len--;
    if (vt_modrt_set_string(name, (size_t)(len + 1), sections, "[%i].name", i) != VT_OK)
        return;
    vt_mobj *s = vt_mobj_item(sections, i); /* the item the setter created */
    section_full_name(pe, name, (size_t)(len + 1), s);
    vt_modrt_set_integer(pe_u32(pe, section + 36), s, "characteristics");
    vt_modrt_set_integer(pe_u32(pe, section + 16), s, "raw_data_size");
    vt_modrt_set_integer(pe_u32(pe, section + 20), s, "raw_data_offset");
    vt_modrt_set_integer(pe_u32(pe, section + 12), s, "virtual_address");
    vt_modrt_set_integer(pe_u32(pe, section + 8), s, "virtual_size");
    vt_modrt_set_integer(pe_u32(pe, section + 24), s, "pointer_to_relocations");
    vt_modrt_set_integer(pe_u32(pe, section + 28), s, "pointer_to_line_numbers");
    vt_modrt_set_integer(pe_u16(pe, section + 32), s, "number_of_relocations");
    vt_modrt_set_integer(pe_u16(pe, section + 34), s, "number_of_line_numbers");
}

static void parse_sections(pe_file *pe)
{
    vt_mobj *root = pe->root;
    /* the objects for rules reading them (section_index() reads sections[i]) */
    vt_mobj *sections = vt_modrt_member_used(pe->scan, "sections") ||
                                vt_modrt_member_used(pe->scan, "section_index")
                            ? vt_mobj_member(root, "sections")
                            : NULL;
    uint64_t section = first_section(pe);
    unsigned n = number_of_sections(pe);
    if (n > PE_MAX_SECTIONS)
        n = PE_MAX_SECTIONS;
    uint64_t highest_ofs = 0, highest_size = 0;
    for (unsigned k = 0; k < n; k++, section += SECTION_SIZE) {
        if (!pe_fits(pe, section, SECTION_SIZE))
            break;
        if (sections)
            set_section(pe, sections, section, (int)k);
        uint32_t raw_size = pe_u32(pe, section + 16), raw_ofs = pe_u32(pe, section + 20);
        uint64_t end = (uint32_t)(raw_ofs + raw_size); /* yara adds two DWORDs */
        if (end > highest_ofs + highest_size) {
            highest_ofs = raw_ofs;
            highest_size = raw_size;
        }
    }
    uint64_t last = highest_ofs + highest_size;
    if (last && pe->size > last) {
        vt_modrt_set_integer((int64_t)last, root, "overlay.offset");
        vt_modrt_set_integer((int64_t)(pe->size - last), root, "overlay.size");
    } else {
        vt_modrt_set_integer(0, root, "overlay.offset");
        vt_modrt_set_integer(0, root, "overlay.size");
    }
}


static void parse_header(pe_file *pe)
{
    vt_mobj *r = pe->root;
    uint64_t o = pe->opt;
    vt_modrt_set_integer(1, r, "is_pe");
    vt_modrt_set_integer(pe_u16(pe, FH(0)), r, "machine");
    vt_modrt_set_integer(number_of_sections(pe), r, "number_of_sections");
    vt_modrt_set_integer(pe_u32(pe, FH(4)), r, "timestamp");
    vt_modrt_set_integer(pe_u32(pe, FH(8)), r, "pointer_to_symbol_table");
    vt_modrt_set_integer(pe_u32(pe, FH(12)), r, "number_of_symbols");
    vt_modrt_set_integer(pe_u16(pe, FH(16)), r, "size_of_optional_header");
    vt_modrt_set_integer(pe_u16(pe, FH(18)), r, "characteristics");
    uint32_t entry = pe_u32(pe, o + 16);
    vt_modrt_set_integer(vt_modrt_pe_rva_to_offset(pe, entry), r, "entry_point");
    vt_modrt_set_integer(entry, r, "entry_point_raw");
    vt_modrt_set_integer((int64_t)opt_image_base(pe), r, "image_base");
    uint32_t rva_count = pe_u32(pe, o + (pe->is64 ? 108 : 92));
    vt_modrt_set_integer(rva_count, r, "number_of_rva_and_sizes");
    vt_modrt_set_integer(pe_u16(pe, o), r, "opthdr_magic");
    vt_modrt_set_integer(pe->data[o + 2], r, "linker_version.major");
    vt_modrt_set_integer(pe->data[o + 3], r, "linker_version.minor");
    vt_modrt_set_integer(pe_u32(pe, o + 4), r, "size_of_code");
    vt_modrt_set_integer(pe_u32(pe, o + 8), r, "size_of_initialized_data");
    vt_modrt_set_integer(pe_u32(pe, o + 12), r, "size_of_uninitialized_data");
    vt_modrt_set_integer(pe_u32(pe, o + 20), r, "base_of_code");
    if (!pe->is64)
        vt_modrt_set_integer(pe_u32(pe, o + 24), r, "base_of_data");
    vt_modrt_set_integer(pe_u32(pe, o + 32), r, "section_alignment");
    vt_modrt_set_integer(pe_u32(pe, o + 36), r, "file_alignment");
    vt_modrt_set_integer(pe_u16(pe, o + 40), r, "os_version.major");
    vt_modrt_set_integer(pe_u16(pe, o + 42), r, "os_version.minor");
    vt_modrt_set_integer(pe_u16(pe, o + 44), r, "image_version.major");
    vt_modrt_set_integer(pe_u16(pe, o + 46), r, "image_version.minor");
    vt_modrt_set_integer(pe_u16(pe, o + 48), r, "subsystem_version.major");
    vt_modrt_set_integer(pe_u16(pe, o + 50), r, "subsystem_version.minor");
    vt_modrt_set_integer(pe_u32(pe, o + 52), r, "win32_version_value");
    vt_modrt_set_integer(pe_u32(pe, o + 56), r, "size_of_image");
    vt_modrt_set_integer(pe_u32(pe, o + 60), r, "size_of_headers");
    vt_modrt_set_integer(pe_u32(pe, o + 64), r, "checksum");
    vt_modrt_set_integer(pe_u16(pe, o + 68), r, "subsystem");
    vt_modrt_set_integer(pe_u16(pe, o + 70), r, "dll_characteristics");
    if (pe->is64) {
        vt_modrt_set_integer((int64_t)pe_u64(pe, o + 72), r, "size_of_stack_reserve");
        vt_modrt_set_integer((int64_t)pe_u64(pe, o + 80), r, "size_of_stack_commit");
        vt_modrt_set_integer((int64_t)pe_u64(pe, o + 88), r, "size_of_heap_reserve");
        vt_modrt_set_integer((int64_t)pe_u64(pe, o + 96), r, "size_of_heap_commit");
        vt_modrt_set_integer(pe_u32(pe, o + 104), r, "loader_flags");
    } else {
        vt_modrt_set_integer(pe_u32(pe, o + 72), r, "size_of_stack_reserve");
        vt_modrt_set_integer(pe_u32(pe, o + 76), r, "size_of_stack_commit");
        vt_modrt_set_integer(pe_u32(pe, o + 80), r, "size_of_heap_reserve");
        vt_modrt_set_integer(pe_u32(pe, o + 84), r, "size_of_heap_commit");
        vt_modrt_set_integer(pe_u32(pe, o + 88), r, "loader_flags");
    }
    unsigned dd_count = rva_count < 16 ? rva_count : 16;
    uint64_t dd = opt_data_dirs(pe);
    if (!vt_modrt_member_used(pe->scan, "data_directories"))
        dd_count = 0;
    for (unsigned i = 0; i < dd_count; i++, dd += 8) {
        if (!pe_fits(pe, dd, 8))
            break;
        vt_modrt_set_integer(pe_u32(pe, dd), r, "data_directories[%i].virtual_address", (int)i);
        vt_modrt_set_integer(pe_u32(pe, dd + 4), r, "data_directories[%i].size", (int)i);
    }
    if (directory_counted(pe, 2))
        vt_modrt_pe_parse_resources(pe);
    vt_modrt_set_integer(pe->resources, r, "number_of_resources");
    vt_modrt_set_integer(pe->version_infos, r, "number_of_version_infos");
    parse_sections(pe);
}

/* ---- rich signature and PDB path --------------------------------------------------------- */

static void parse_rich_signature(pe_file *pe)
{
    const uint32_t rich = 0x68636952, dans = 0x536e6144;
    uint64_t nt = pe->nt;
    if (nt > pe->size + 4 || nt < 4)
        return;
    int64_t p = (int64_t)nt - 4, rich_at = -1;
    uint32_t key = 0;
    for (; p >= DOS_HEADER_SIZE; p -= 4) {
        if (pe_u32(pe, (uint64_t)p) == rich) {
            key = pe_u32(pe, (uint64_t)p + 4);
            rich_at = p;
            p -= 4;
            break;
        }
    }
    if (key == 0)
        return;
    int64_t start = -1;
    for (; p >= DOS_HEADER_SIZE; p -= 4) {
        if ((pe_u32(pe, (uint64_t)p) ^ key) == dans) {
            start = p;
            break;
        }
    }
    if (start < 0 || !pe_fits(pe, (uint64_t)start, 16))
        return;
    uint32_t key1 = pe_u32(pe, (uint64_t)start + 4);
    if (key1 != pe_u32(pe, (uint64_t)start + 8) || pe_u32(pe, (uint64_t)start + 8) !=
        pe_u32(pe, (uint64_t)start + 12) || (pe_u32(pe, (uint64_t)start) ^ key1) != dans)
        return;
    size_t len = (size_t)(rich_at - start);
    vt_modrt_set_integer(start, pe->root, "rich_signature.offset");
    vt_modrt_set_integer((int64_t)len, pe->root, "rich_signature.length");
    vt_modrt_set_integer(key1, pe->root, "rich_signature.key");
    uint8_t *clear = vt_modrt_alloc(pe->scan, len + 1);
    if (!clear)
        return;
    memcpy(clear, pe->data + start, len);
    for (size_t i = 0; i + 4 <= len; i += 4) {
        uint32_t v = vt_le32(clear + i) ^ key1;
        clear[i] = (uint8_t)v, clear[i + 1] = (uint8_t)(v >> 8);
        clear[i + 2] = (uint8_t)(v >> 16), clear[i + 3] = (uint8_t)(v >> 24);
    }
    vt_modrt_set_string(pe->data + start, len, pe->root, "rich_signature.raw_data");
    vt_modrt_set_string(clear, len, pe->root, "rich_signature.clear_data");
}

static void parse_debug_directory(pe_file *pe)
{
    uint64_t dir = vt_modrt_pe_directory(pe, 6);
    if (!dir)
        return;
    uint32_t size = pe_u32(pe, dir + 4), va = pe_u32(pe, dir);
    if (size == 0 || size % 28 != 0 || va == 0)
        return;
    int64_t base = vt_modrt_pe_rva_to_offset(pe, va);
    if (base < 0)
        return;
    for (uint32_t i = 0; i < size / 28; i++) {
        uint64_t d = (uint64_t)base + (uint64_t)i * 28;
        if (!pe_fits(pe, d, 28))
            break;
        if (pe_u32(pe, d + 12) != 2) /* IMAGE_DEBUG_TYPE_CODEVIEW */
            continue;
        int64_t cv = 0;
        if (pe_u32(pe, d + 20) != 0)
            cv = vt_modrt_pe_rva_to_offset(pe, pe_u32(pe, d + 20));
        if (cv <= 0 && pe_u32(pe, d + 24) != 0)
            cv = pe_u32(pe, d + 24);
        if (cv <= 0 || !pe_fits(pe, (uint64_t)cv, 8))
            continue;
        uint32_t sig = pe_u32(pe, (uint64_t)cv);
        int64_t path = -1;
        if (sig == 0x3031424e && pe_fits(pe, (uint64_t)cv, 20))       /* NB10 */
            path = cv + 16;
        else if (sig == 0x53445352 && pe_fits(pe, (uint64_t)cv, 28))  /* RSDS */
            path = cv + 24;
        else if (sig == 0x434f544d && pe_fits(pe, (uint64_t)cv, 24))  /* MTOC */
            path = cv + 20;
        if (path < 0)
            continue;
        size_t avail = pe_available(pe, path);
        size_t len = strnlen((const char *)pe->data + path, avail < 260 ? avail : 260);
        if (len > 0 && len < 260) {
            vt_modrt_set_string(pe->data + path, len, pe->root, "pdb_path");
            break;
        }
    }
}

vt_status vt_modrt_pe_load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                  size_t size)
{
    vt_mobj *root = module->root;
    /* the constants rules read (all of them for a module dump) */
    for (size_t i = 0; i < sizeof pe_constants / sizeof pe_constants[0]; i++)
        if (vt_modrt_member_used(scan, pe_constants[i].name))
            vt_modrt_set_integer(pe_constants[i].value, root, pe_constants[i].name);
    vt_modrt_set_integer(0, root, "is_pe");
    uint64_t nt;
    if (!find_header(data, size, &nt))
        return scan->out_of_memory ? VT_ERR_NOMEM : VT_OK;
    pe_file *pe = vt_modrt_alloc(scan, sizeof *pe);
    if (!pe)
        return VT_ERR_NOMEM;
    pe->data = data;
    pe->size = size;
    pe->nt = nt;
    pe->opt = nt + 4 + FILE_HEADER_SIZE;
    pe->is64 = vt_le16(data + pe->opt) == MAGIC_PE64;
    pe->root = root;
    pe->scan = scan;
    pe->imphash[0] = 0;
    module->data = pe;
    parse_header(pe);
    parse_rich_signature(pe);
    parse_debug_directory(pe);
    if (directory_counted(pe, 4))
        vt_modrt_pe_parse_certificates(pe);
    vt_modrt_pe_parse_imports(pe);
    vt_modrt_pe_parse_delayed_imports(pe);
    vt_modrt_pe_parse_exports(pe);
    return scan->out_of_memory ? VT_ERR_NOMEM : VT_OK;
}
