/* mod_macho.c: yara's macho module (4.2.3): the header, segments with their sections, the entry
 * point (LC_MAIN, or LC_UNIXTHREAD's program counter mapped through the segments) and stack
 * size, for 32/64-bit, little/big-endian files and for fat binaries (fat_arch[] and one file[]
 * item per architecture). Every read is checked against the bytes of the (sub)file; where yara
 * would read past them on a hostile file, the field stays undefined. */
#include <string.h>

#include "modrt_internal.h"

#include "macho_constants.inc"

typedef struct macho_view {
    const uint8_t *data;
    size_t size;
    bool be;
    bool is64;
} macho_view;

static uint32_t rd32(const macho_view *m, uint64_t off)
{
    if (!vt_rd_ok(m->size, off, 4))
        return 0;
    return m->be ? vt_be32(m->data + off) : vt_le32(m->data + off);
}

static uint64_t rd64(const macho_view *m, uint64_t off)
{
    if (!vt_rd_ok(m->size, off, 8))
        return 0;
    return m->be ? vt_be64(m->data + off) : vt_le64(m->data + off);
}

/* A 4- or 8-byte field, as wide as the file's addresses. */
static uint64_t rdw(const macho_view *m, uint64_t off) { return m->is64 ? rd64(m, off) : rd32(m, off); }

static void set_name(vt_mobj *obj, const macho_view *m, uint64_t off, const char *path, int i,
                     int j)
{
    if (!vt_rd_ok(m->size, off, 16))
        return;
    vt_modrt_set_string(m->data + off, strnlen((const char *)m->data + off, 16), obj, path, i, j);
}

enum {
    LC_SEGMENT = 0x1, LC_UNIXTHREAD = 0x5, LC_SEGMENT_64 = 0x19, LC_MAIN = 0x80000028,
    CPU_TYPE_MC680X0 = 6, CPU_TYPE_X86 = 7, CPU_TYPE_MC88000 = 13, CPU_TYPE_SPARC = 14,
    CPU_TYPE_POWERPC = 18, CPU_TYPE_ARM = 12, CPU_TYPE_X86_64 = 0x01000007,
    CPU_TYPE_ARM64 = 0x0100000c, CPU_TYPE_POWERPC64 = 0x01000012,
};

static void handle_segment(const macho_view *m, uint64_t cmd, uint32_t cmdsize, int i,
                           vt_mobj *obj)
{
    size_t seg_size = m->is64 ? 72 : 56, sec_size = m->is64 ? 80 : 68;
    if (!vt_rd_ok(m->size, cmd, seg_size))
        return;
    vt_mobj *segs = vt_mobj_member(obj, "segments");
    set_name(segs, m, cmd + 8, "[%i].segname", i, 0);
    uint64_t f = cmd + 24;
    unsigned w = m->is64 ? 8 : 4;
    vt_modrt_set_integer((int64_t)rdw(m, f), segs, "[%i].vmaddr", i);
    vt_modrt_set_integer((int64_t)rdw(m, f + w), segs, "[%i].vmsize", i);
    vt_modrt_set_integer((int64_t)rdw(m, f + 2 * w), segs, "[%i].fileoff", i);
    vt_modrt_set_integer((int64_t)rdw(m, f + 3 * w), segs, "[%i].fsize", i);
    uint64_t g = f + 4 * w;
    vt_modrt_set_integer(rd32(m, g), segs, "[%i].maxprot", i);
    vt_modrt_set_integer(rd32(m, g + 4), segs, "[%i].initprot", i);
    uint32_t nsects = rd32(m, g + 8);
    vt_modrt_set_integer(nsects, segs, "[%i].nsects", i);
    vt_modrt_set_integer(rd32(m, g + 12), segs, "[%i].flags", i);
    uint64_t parsed = seg_size;
    for (uint32_t j = 0; j < nsects; j++) {
        parsed += sec_size;
        if (cmdsize < parsed)
            break;
        uint64_t s = cmd + seg_size + (uint64_t)j * sec_size;
        if (!vt_rd_ok(m->size, s, sec_size))
            break;
        int n = (int)j;
        set_name(segs, m, s + 16, "[%i].sections[%i].segname", i, n);
        set_name(segs, m, s, "[%i].sections[%i].sectname", i, n);
        uint64_t a = s + 32;
        vt_modrt_set_integer((int64_t)rdw(m, a), segs, "[%i].sections[%i].addr", i, n);
        vt_modrt_set_integer((int64_t)rdw(m, a + w), segs, "[%i].sections[%i].size", i, n);
        uint64_t b = a + 2 * w;
        static const char *const fields[] = {
            "[%i].sections[%i].offset", "[%i].sections[%i].align", "[%i].sections[%i].reloff",
            "[%i].sections[%i].nreloc", "[%i].sections[%i].flags", "[%i].sections[%i].reserved1",
            "[%i].sections[%i].reserved2", "[%i].sections[%i].reserved3",
        };
        for (unsigned k = 0; k < (m->is64 ? 8u : 7u); k++)
            vt_modrt_set_integer(rd32(m, b + 4 * k), segs, fields[k], i, n);
    }
}

/* macho_rva_to_offset over the segments parsed so far. */
static bool rva_to_offset(vt_mobj *obj, uint64_t address, uint64_t *offset)
{
    vt_mobj *segs = vt_mobj_member(obj, "segments");
    for (int64_t i = 0; i < vt_mobj_count(segs); i++) {
        uint64_t start = (uint64_t)vt_modrt_get_integer(segs, "[%i].vmaddr", (int)i);
        uint64_t end = start + (uint64_t)vt_modrt_get_integer(segs, "[%i].vmsize", (int)i);
        if (address >= start && address < end) {
            *offset = (uint64_t)vt_modrt_get_integer(segs, "[%i].fileoff", (int)i) + (address - start);
            return true;
        }
    }
    return false;
}

static void handle_unixthread(const macho_view *m, uint64_t cmd, vt_mobj *obj)
{
    uint64_t state = cmd + 16; /* after cmd, cmdsize, flavor, count */
    uint64_t address;
    switch ((uint32_t)vt_modrt_get_integer(obj, "cputype")) {
    case CPU_TYPE_MC680X0: address = rd32(m, state + 68); break;
    case CPU_TYPE_MC88000: address = rd32(m, state + 124); break;
    case CPU_TYPE_SPARC: address = rd32(m, state + 4); break;
    case CPU_TYPE_POWERPC: address = rd32(m, state); break;
    case CPU_TYPE_X86: address = rd32(m, state + 40); break;
    case CPU_TYPE_ARM: address = rd32(m, state + 60); break;
    case CPU_TYPE_X86_64: address = rd64(m, state + 128); break;
    case CPU_TYPE_ARM64: address = rd64(m, state + 256); break;
    case CPU_TYPE_POWERPC64: address = rd64(m, state); break;
    default: return;
    }
    uint64_t offset;
    if (rva_to_offset(obj, address, &offset))
        vt_modrt_set_integer((int64_t)offset, obj, "entry_point");
}

static void parse_file(const uint8_t *data, size_t size, vt_mobj *obj)
{
    if (size < 4)
        return;
    macho_view m = {.data = data, .size = size};
    m.is64 = !(data[0] == 0xce || data[3] == 0xce);
    m.be = data[0] == 0xfe;
    size_t header = m.is64 ? 32 : 28;
    if (size < header)
        return;
    static const char *const fields[] = {"magic", "cputype", "cpusubtype", "filetype", "ncmds",
                                         "sizeofcmds", "flags", "reserved"};
    for (unsigned k = 0; k < (m.is64 ? 8u : 7u); k++)
        vt_modrt_set_integer(rd32(&m, 4 * (uint64_t)k), obj, fields[k]);
    uint32_t ncmds = rd32(&m, 16);
    uint64_t parsed = header, cmd = header;
    int segments = 0;
    for (uint32_t i = 0; i < ncmds; i++) {
        if (!vt_rd_ok(size, cmd, 8))
            break;
        uint32_t type = rd32(&m, cmd), cmdsize = rd32(&m, cmd + 4);
        /* A command smaller than its own header would repeat forever (yara loops ncmds times). */
        if (size < parsed + cmdsize || cmdsize < 8)
            break;
        if (type == LC_SEGMENT || type == LC_SEGMENT_64) {
            handle_segment(&m, cmd, cmdsize, segments++, obj);
        } else if (type == LC_UNIXTHREAD) {
            handle_unixthread(&m, cmd, obj);
        } else if (type == LC_MAIN && vt_rd_ok(size, cmd, 24)) {
            vt_modrt_set_integer((int64_t)rd64(&m, cmd + 8), obj, "entry_point");
            vt_modrt_set_integer((int64_t)rd64(&m, cmd + 16), obj, "stack_size");
        }
        cmd += cmdsize;
        parsed += cmdsize;
    }
    vt_modrt_set_integer(segments, obj, "number_of_segments");
}

static void parse_fat(const uint8_t *data, size_t size, vt_mobj *root)
{
    if (size < 8)
        return;
    bool is32 = data[3] == 0xbe;
    vt_modrt_set_integer(vt_be32(data), root, "fat_magic");
    uint32_t count = vt_be32(data + 4);
    vt_modrt_set_integer(count, root, "nfat_arch");
    size_t arch_size = is32 ? 20 : 32;
    if (size < 8 + (uint64_t)count * arch_size)
        return;
    vt_mobj *archs = vt_mobj_member(root, "fat_arch"), *files = vt_mobj_member(root, "file");
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *a = data + 8 + (uint64_t)i * arch_size;
        int n = (int)i;
        vt_modrt_set_integer(vt_be32(a), archs, "[%i].cputype", n);
        vt_modrt_set_integer(vt_be32(a + 4), archs, "[%i].cpusubtype", n);
        uint64_t offset = is32 ? vt_be32(a + 8) : vt_be64(a + 8);
        uint64_t file_size = is32 ? vt_be32(a + 12) : vt_be64(a + 16);
        vt_modrt_set_integer((int64_t)offset, archs, "[%i].offset", n);
        vt_modrt_set_integer((int64_t)file_size, archs, "[%i].size", n);
        vt_modrt_set_integer(vt_be32(a + (is32 ? 16 : 24)), archs, "[%i].align", n);
        if (offset > size || file_size > size - offset)
            continue;
        /* yara forces the creation of file[i] before parsing into it. */
        vt_modrt_set_integer(VT_MODRT_UNDEFINED, files, "[%i].magic", n);
        parse_file(data + offset, (size_t)file_size, vt_mobj_item(files, n));
    }
}

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    vt_mobj *root = module->root;
    if (size >= 4) {
        uint32_t magic = vt_le32(data);
        if (magic == 0xfeedface || magic == 0xcefaedfe || magic == 0xfeedfacf ||
            magic == 0xcffaedfe)
            parse_file(data, size, root);
        else if (magic == 0xcafebabe || magic == 0xbebafeca || magic == 0xcafebabf ||
                 magic == 0xbfbafeca)
            parse_fat(data, size, root);
    }
    for (size_t i = 0; i < sizeof macho_constants / sizeof macho_constants[0]; i++)
        vt_modrt_set_integer(macho_constants[i].value, root, macho_constants[i].name);
    return scan->out_of_memory ? VT_ERR_NOMEM : VT_OK;
}

/* file_index_for_arch / entry_point_for_arch: the first fat architecture matching the cputype
 * (and cpusubtype). */
static void for_arch(vt_modrt_fncall *call, bool subtype, bool entry)
{
    vt_mobj *m = call->module;
    int64_t nfat = vt_modrt_get_integer(m, "nfat_arch");
    if (nfat == VT_MODRT_UNDEFINED)
        return;
    const char *type_path = entry ? "fat_arch[%i].cputype" : "file[%i].cputype";
    const char *subtype_path = entry ? "fat_arch[%i].cpusubtype" : "file[%i].cpusubtype";
    /* yara walks nfat_arch items; past the parsed ones every field is undefined and cannot
     * match, so the walk stops at the end of the array it reads. */
    int64_t count = vt_mobj_count(vt_mobj_member(m, entry ? "fat_arch" : "file"));
    for (int i = 0; (uint64_t)i < (uint64_t)nfat && i < count; i++) {
        if (vt_modrt_get_integer(m, type_path, i) != call->args[0].i)
            continue;
        if (subtype && vt_modrt_get_integer(m, subtype_path, i) != call->args[1].i)
            continue;
        if (!entry) {
            vt_modrt_return_integer(call, i);
        } else {
            uint64_t offset = (uint64_t)vt_modrt_get_integer(m, "fat_arch[%i].offset", i);
            uint64_t ep = (uint64_t)vt_modrt_get_integer(m, "file[%i].entry_point", i);
            vt_modrt_return_integer(call, (int64_t)(offset + ep));
        }
        return;
    }
}

static void file_index_type(vt_modrt_fncall *call) { for_arch(call, false, false); }
static void file_index_subtype(vt_modrt_fncall *call) { for_arch(call, true, false); }
static void ep_for_arch_type(vt_modrt_fncall *call) { for_arch(call, false, true); }
static void ep_for_arch_subtype(vt_modrt_fncall *call) { for_arch(call, true, true); }

static const vt_modrt_function_def functions[] = {
    {"", "file_index_for_arch", "i", file_index_type},
    {"", "file_index_for_arch", "ii", file_index_subtype},
    {"", "entry_point_for_arch", "i", ep_for_arch_type},
    {"", "entry_point_for_arch", "ii", ep_for_arch_subtype},
};

const vt_modrt_module_def vt_modrt_module_macho = {
    "macho", load, functions, sizeof functions / sizeof functions[0], NULL,
};
