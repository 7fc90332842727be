/* mod_elf.c: yara's elf module (4.2.3): header fields, sections with names, segments, the dynamic
 * section, symtab and dynsym with names, for 32/64-bit little/big-endian files. Every table is
 * checked against the file size before it is read; the checks are yara's, including its quirks
 * (a section count >= SHN_LORESERVE hides all sections, string tables must start with NUL, a
 * symbol table's link is compared with the header's raw, unswapped section count). */
#include <string.h>

#include "modrt_internal.h"

typedef struct elf_view {
    const uint8_t *data;
    size_t size;
    bool is64;
    bool be;
} elf_view;

static uint64_t rd(const elf_view *e, uint64_t off, unsigned width)
{
    if (!vt_rd_ok(e->size, off, width))
        return 0;
    const uint8_t *p = e->data + off;
    switch (width) {
    case 1: return p[0];
    case 2: return e->be ? vt_be16(p) : vt_le16(p);
    case 4: return e->be ? vt_be32(p) : vt_le32(p);
    default: return e->be ? vt_be64(p) : vt_le64(p);
    }
}

/* An "address-sized" field: 4 bytes in ELF32, 8 in ELF64. */
static uint64_t rda(const elf_view *e, uint64_t off) { return rd(e, off, e->is64 ? 8 : 4); }

typedef struct elf_header {
    uint16_t type, machine, ph_entry_size, ph_count, sh_entry_size, sh_count, sh_str_index;
    uint16_t raw_sh_count; /* as stored, not byte-swapped (yara compares links with it) */
    uint64_t entry, ph_offset, sh_offset;
} elf_header;

enum {
    ET_EXEC = 2, SHT_NULL = 0, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8, SHT_DYNSYM = 11,
    PT_DYNAMIC = 2, SHN_LORESERVE = 0xff00, PN_XNUM = 0xffff,
};

static size_t shdr_size(const elf_view *e) { return e->is64 ? 64 : 40; }
static size_t phdr_size(const elf_view *e) { return e->is64 ? 56 : 32; }
static size_t sym_size(const elf_view *e) { return e->is64 ? 24 : 16; }
static size_t dyn_size(const elf_view *e) { return e->is64 ? 16 : 8; }

/* Section header field offsets. */
static uint64_t sh_name(const elf_view *e, uint64_t s) { return rd(e, s, 4); }
static uint64_t sh_type(const elf_view *e, uint64_t s) { return rd(e, s + 4, 4); }
static uint64_t sh_flags(const elf_view *e, uint64_t s) { return rda(e, s + 8); }
static uint64_t sh_addr(const elf_view *e, uint64_t s) { return rda(e, s + (e->is64 ? 16 : 12)); }
static uint64_t sh_offset(const elf_view *e, uint64_t s) { return rda(e, s + (e->is64 ? 24 : 16)); }
static uint64_t sh_size(const elf_view *e, uint64_t s) { return rda(e, s + (e->is64 ? 32 : 20)); }
static uint64_t sh_link(const elf_view *e, uint64_t s) { return rd(e, s + (e->is64 ? 40 : 24), 4); }

/* Program header fields. */
static uint64_t ph_type(const elf_view *e, uint64_t p) { return rd(e, p, 4); }
static uint64_t ph_flags(const elf_view *e, uint64_t p) { return rd(e, p + (e->is64 ? 4 : 24), 4); }
static uint64_t ph_offset(const elf_view *e, uint64_t p) { return rda(e, p + (e->is64 ? 8 : 4)); }
static uint64_t ph_vaddr(const elf_view *e, uint64_t p) { return rda(e, p + (e->is64 ? 16 : 8)); }
static uint64_t ph_paddr(const elf_view *e, uint64_t p) { return rda(e, p + (e->is64 ? 24 : 12)); }
static uint64_t ph_filesz(const elf_view *e, uint64_t p) { return rda(e, p + (e->is64 ? 32 : 16)); }
static uint64_t ph_memsz(const elf_view *e, uint64_t p) { return rda(e, p + (e->is64 ? 40 : 20)); }
static uint64_t ph_align(const elf_view *e, uint64_t p) { return rda(e, p + (e->is64 ? 48 : 28)); }

/* a + b in the width of the file's address fields (yara adds uint32_t values in ELF32). */
static uint64_t add_addr(const elf_view *e, uint64_t a, uint64_t b)
{
    return e->is64 ? a + b : (uint32_t)(a + b);
}

/* yara's is_valid_ptr: [off, off + len) inside the file. */
static bool valid(const elf_view *e, uint64_t off, uint64_t len)
{
    return len <= e->size && off <= e->size && off + len <= e->size;
}

/* A NUL-terminated entry of a string table [base, limit), or NULL (yara's str_table_entry). */
static const char *str_entry(const elf_view *e, uint64_t base, uint64_t limit, uint64_t index)
{
    if (base >= limit || limit > e->size || e->data[base] != '\0')
        return NULL;
    if ((int32_t)index < 0)
        return NULL;
    uint64_t at = base + index;
    if (at >= limit)
        return NULL;
    size_t len = strnlen((const char *)e->data + at, limit - at);
    if (at + len == limit)
        return NULL;
    return (const char *)e->data + at;
}

static int64_t rva_to_offset(const elf_view *e, const elf_header *h, uint64_t rva)
{
    if (h->type == ET_EXEC) {
        uint64_t table = (uint64_t)phdr_size(e) * h->ph_count;
        if (UINT64_MAX - h->ph_offset < table || h->ph_offset == 0 || h->ph_offset > e->size ||
            h->ph_offset + table > e->size || h->ph_count == 0)
            return VT_MODRT_UNDEFINED;
        for (unsigned i = 0; i < h->ph_count; i++) {
            uint64_t p = h->ph_offset + (uint64_t)i * phdr_size(e);
            uint64_t vaddr = ph_vaddr(e, p);
            if (rva >= vaddr && rva < add_addr(e, vaddr, ph_memsz(e, p)))
                return (int64_t)(ph_offset(e, p) + (rva - vaddr));
        }
    } else {
        uint64_t table = (uint64_t)shdr_size(e) * h->sh_count;
        if (UINT64_MAX - h->sh_offset < table || h->sh_offset == 0 || h->sh_offset > e->size ||
            h->sh_offset + table > e->size || h->sh_count == 0)
            return VT_MODRT_UNDEFINED;
        for (unsigned i = 0; i < h->sh_count; i++) {
            uint64_t s = h->sh_offset + (uint64_t)i * shdr_size(e);
            uint64_t type = sh_type(e, s), addr = sh_addr(e, s);
            if (type != SHT_NULL && type != SHT_NOBITS && rva >= addr &&
                rva < add_addr(e, addr, sh_size(e, s)))
                return (int64_t)(sh_offset(e, s) + (rva - addr));
        }
    }
    return VT_MODRT_UNDEFINED;
}

static void set_symbols(const elf_view *e, vt_mobj *root, const char *array, const char *count,
                        uint64_t table, uint64_t table_size, uint64_t strtab, uint64_t strtab_size)
{
    vt_mobj *arr = vt_mobj_member(root, array);
    uint64_t n = table_size / sym_size(e);
    /* When no rule reads the table its count is enough (node's symtab has 185,000 entries,
     * seven objects each). */
    uint64_t j = vt_modrt_member_used(root->scan, array) ? 0 : n;
    for (; j < n; j++) {
        uint64_t s = table + j * sym_size(e);
        const char *name = str_entry(e, strtab, strtab + strtab_size, rd(e, s, 4));
        uint8_t info = (uint8_t)rd(e, s + (e->is64 ? 4 : 12), 1);
        uint64_t shndx = rd(e, s + (e->is64 ? 6 : 14), 2);
        uint64_t value = e->is64 ? rd(e, s + 8, 8) : rd(e, s + 4, 4);
        uint64_t size = e->is64 ? rd(e, s + 16, 8) : rd(e, s + 8, 4);
        int i = (int)j;
        if (name)
            vt_modrt_set_sz(name, arr, "[%i].name", i);
        vt_modrt_set_integer(info >> 4, arr, "[%i].bind", i);
        vt_modrt_set_integer(info & 0xf, arr, "[%i].type", i);
        vt_modrt_set_integer((int64_t)shndx, arr, "[%i].shndx", i);
        vt_modrt_set_integer((int64_t)value, arr, "[%i].value", i);
        vt_modrt_set_integer((int64_t)size, arr, "[%i].size", i);
    }
    vt_modrt_set_integer((int64_t)j, root, count);
}

static void parse_sections(const elf_view *e, const elf_header *h, vt_mobj *root)
{
    uint64_t table = h->sh_offset;
    if (!(h->sh_count < SHN_LORESERVE && h->sh_str_index < h->sh_count && table < e->size &&
          table + (uint64_t)h->sh_count * shdr_size(e) <= e->size))
        return;
    uint64_t str_table = 0; /* 0: none (yara requires str_table > start of file) */
    uint64_t strtab_off = sh_offset(e, table + (uint64_t)h->sh_str_index * shdr_size(e));
    if (strtab_off < e->size)
        str_table = strtab_off;
    bool have_sym = false, have_dynsym = false;
    uint64_t sym[4] = {0}, dynsym[4] = {0}; /* table, size, strtab, strtab size */
    for (unsigned i = 0; i < h->sh_count; i++) {
        uint64_t s = table + (uint64_t)i * shdr_size(e);
        uint64_t type = sh_type(e, s);
        vt_modrt_set_integer((int64_t)type, root, "sections[%i].type", (int)i);
        vt_modrt_set_integer((int64_t)sh_flags(e, s), root, "sections[%i].flags", (int)i);
        vt_modrt_set_integer((int64_t)sh_addr(e, s), root, "sections[%i].address", (int)i);
        vt_modrt_set_integer((int64_t)sh_size(e, s), root, "sections[%i].size", (int)i);
        vt_modrt_set_integer((int64_t)sh_offset(e, s), root, "sections[%i].offset", (int)i);
        uint64_t name = sh_name(e, s);
        if (name < e->size && str_table > 0) {
            const char *text = str_entry(e, str_table, e->size, name);
            if (text)
                vt_modrt_set_sz(text, root, "sections[%i].name", (int)i);
        }
        uint64_t link = sh_link(e, s);
        if ((type == SHT_SYMTAB || type == SHT_DYNSYM) && link < h->raw_sh_count) {
            uint64_t str_sec = table + link * shdr_size(e);
            if (valid(e, str_sec, shdr_size(e)) && sh_type(e, str_sec) == SHT_STRTAB) {
                uint64_t *t = type == SHT_SYMTAB ? sym : dynsym;
                t[0] = sh_offset(e, s);
                t[1] = sh_size(e, s);
                t[2] = sh_offset(e, str_sec);
                t[3] = sh_size(e, str_sec);
                if (type == SHT_SYMTAB)
                    have_sym = true;
                else
                    have_dynsym = true;
            }
        }
    }
    /* yara's pointers start NULL, so a table at file offset 0 still counts as valid. */
    if (have_sym && valid(e, sym[2], sym[3]) && valid(e, sym[0], sym[1]))
        set_symbols(e, root, "symtab", "symtab_entries", sym[0], sym[1], sym[2], sym[3]);
    if (have_dynsym && valid(e, dynsym[2], dynsym[3]) && valid(e, dynsym[0], dynsym[1]))
        set_symbols(e, root, "dynsym", "dynsym_entries", dynsym[0], dynsym[1], dynsym[2],
                    dynsym[3]);
}

static void parse_segments(const elf_view *e, const elf_header *h, vt_mobj *root)
{
    if (!(h->ph_count > 0 && h->ph_count < PN_XNUM && h->ph_offset < e->size &&
          h->ph_offset + (uint64_t)h->ph_count * phdr_size(e) <= e->size))
        return;
    for (unsigned i = 0; i < h->ph_count; i++) {
        uint64_t p = h->ph_offset + (uint64_t)i * phdr_size(e);
        int n = (int)i;
        uint64_t type = ph_type(e, p);
        vt_modrt_set_integer((int64_t)type, root, "segments[%i].type", n);
        vt_modrt_set_integer((int64_t)ph_flags(e, p), root, "segments[%i].flags", n);
        vt_modrt_set_integer((int64_t)ph_offset(e, p), root, "segments[%i].offset", n);
        vt_modrt_set_integer((int64_t)ph_vaddr(e, p), root, "segments[%i].virtual_address", n);
        vt_modrt_set_integer((int64_t)ph_paddr(e, p), root, "segments[%i].physical_address", n);
        vt_modrt_set_integer((int64_t)ph_filesz(e, p), root, "segments[%i].file_size", n);
        vt_modrt_set_integer((int64_t)ph_memsz(e, p), root, "segments[%i].memory_size", n);
        vt_modrt_set_integer((int64_t)ph_align(e, p), root, "segments[%i].alignment", n);
        if (type != PT_DYNAMIC)
            continue;
        uint64_t dyn = ph_offset(e, p);
        int j = 0;
        for (; dyn <= e->size && valid(e, dyn, dyn_size(e)); dyn += dyn_size(e), j++) {
            int64_t tag = (int64_t)rda(e, dyn); /* unsigned, as yara reads it */
            vt_modrt_set_integer(tag, root, "dynamic[%i].type", j);
            vt_modrt_set_integer((int64_t)rda(e, dyn + (e->is64 ? 8 : 4)), root,
                                 "dynamic[%i].val", j);
            if (tag == 0) {
                j++;
                break;
            }
        }
        vt_modrt_set_integer(j, root, "dynamic_section_entries");
    }
}

static void parse(const elf_view *e, vt_mobj *root)
{
    elf_header h;
    h.type = (uint16_t)rd(e, 16, 2);
    h.machine = (uint16_t)rd(e, 18, 2);
    h.entry = rda(e, 24);
    h.ph_offset = rda(e, e->is64 ? 32 : 28);
    h.sh_offset = rda(e, e->is64 ? 40 : 32);
    unsigned base = e->is64 ? 54 : 42;
    h.ph_entry_size = (uint16_t)rd(e, base, 2);
    h.ph_count = (uint16_t)rd(e, base + 2, 2);
    h.sh_entry_size = (uint16_t)rd(e, base + 4, 2);
    h.sh_count = (uint16_t)rd(e, base + 6, 2);
    h.raw_sh_count = vt_le16(e->data + base + 6);
    h.sh_str_index = (uint16_t)rd(e, base + 8, 2);

    vt_modrt_set_integer(h.type, root, "type");
    vt_modrt_set_integer(h.machine, root, "machine");
    vt_modrt_set_integer((int64_t)h.sh_offset, root, "sh_offset");
    vt_modrt_set_integer(h.sh_entry_size, root, "sh_entry_size");
    vt_modrt_set_integer(h.sh_count, root, "number_of_sections");
    vt_modrt_set_integer((int64_t)h.ph_offset, root, "ph_offset");
    vt_modrt_set_integer(h.ph_entry_size, root, "ph_entry_size");
    vt_modrt_set_integer(h.ph_count, root, "number_of_segments");
    if (h.entry != 0)
        vt_modrt_set_integer(rva_to_offset(e, &h, h.entry), root, "entry_point");
    parse_sections(e, &h, root);
    parse_segments(e, &h, root);
}

static const struct { const char *name; int64_t value; } constants[] = {
    {"ET_NONE", 0}, {"ET_REL", 1}, {"ET_EXEC", 2}, {"ET_DYN", 3}, {"ET_CORE", 4},
    {"EM_NONE", 0}, {"EM_M32", 1}, {"EM_SPARC", 2}, {"EM_386", 3}, {"EM_68K", 4},
    {"EM_88K", 5}, {"EM_860", 7}, {"EM_MIPS", 8}, {"EM_MIPS_RS3_LE", 10}, {"EM_PPC", 20},
    {"EM_PPC64", 21}, {"EM_ARM", 40}, {"EM_X86_64", 62}, {"EM_AARCH64", 183},
    {"SHT_NULL", 0}, {"SHT_PROGBITS", 1}, {"SHT_SYMTAB", 2}, {"SHT_STRTAB", 3},
    {"SHT_RELA", 4}, {"SHT_HASH", 5}, {"SHT_DYNAMIC", 6}, {"SHT_NOTE", 7}, {"SHT_NOBITS", 8},
    {"SHT_REL", 9}, {"SHT_SHLIB", 10}, {"SHT_DYNSYM", 11},
    {"SHF_WRITE", 1}, {"SHF_ALLOC", 2}, {"SHF_EXECINSTR", 4},
    {"PT_NULL", 0}, {"PT_LOAD", 1}, {"PT_DYNAMIC", 2}, {"PT_INTERP", 3}, {"PT_NOTE", 4},
    {"PT_SHLIB", 5}, {"PT_PHDR", 6}, {"PT_TLS", 7}, {"PT_GNU_EH_FRAME", 0x6474e550},
    {"PT_GNU_STACK", 0x6474e551},
    {"DT_NULL", 0}, {"DT_NEEDED", 1}, {"DT_PLTRELSZ", 2}, {"DT_PLTGOT", 3}, {"DT_HASH", 4},
    {"DT_STRTAB", 5}, {"DT_SYMTAB", 6}, {"DT_RELA", 7}, {"DT_RELASZ", 8}, {"DT_RELAENT", 9},
    {"DT_STRSZ", 10}, {"DT_SYMENT", 11}, {"DT_INIT", 12}, {"DT_FINI", 13}, {"DT_SONAME", 14},
    {"DT_RPATH", 15}, {"DT_SYMBOLIC", 16}, {"DT_REL", 17}, {"DT_RELSZ", 18},
    {"DT_RELENT", 19}, {"DT_PLTREL", 20}, {"DT_DEBUG", 21}, {"DT_TEXTREL", 22},
    {"DT_JMPREL", 23}, {"DT_BIND_NOW", 24}, {"DT_INIT_ARRAY", 25}, {"DT_FINI_ARRAY", 26},
    {"DT_INIT_ARRAYSZ", 27}, {"DT_FINI_ARRAYSZ", 28}, {"DT_RUNPATH", 29}, {"DT_FLAGS", 30},
    {"DT_ENCODING", 32},
    {"STT_NOTYPE", 0}, {"STT_OBJECT", 1}, {"STT_FUNC", 2}, {"STT_SECTION", 3},
    {"STT_FILE", 4}, {"STT_COMMON", 5}, {"STT_TLS", 6},
    {"STB_LOCAL", 0}, {"STB_GLOBAL", 1}, {"STB_WEAK", 2},
    {"PF_X", 1}, {"PF_W", 2}, {"PF_R", 4},
};

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    vt_mobj *root = module->root;
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
        vt_modrt_set_integer(constants[i].value, root, constants[i].name);
    if (size < 16 || memcmp(data, "\x7f" "ELF", 4) != 0)
        return VT_OK;
    elf_view e = {.data = data, .size = size, .is64 = data[4] == 2, .be = data[5] == 2};
    if ((data[4] != 1 && data[4] != 2) || (data[5] != 1 && data[5] != 2))
        return VT_OK;
    if (size <= (e.is64 ? 64u : 52u))
        return VT_OK;
    parse(&e, root);
    return scan->out_of_memory ? VT_ERR_NOMEM : VT_OK;
}

const vt_modrt_module_def vt_modrt_module_elf = {"elf", load, NULL, 0, NULL};
