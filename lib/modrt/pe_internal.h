/* pe_internal.h: the parsed view of a PE file shared by the pe module's loader (mod_pe.c) and
 * its functions (mod_pe_functions.c). Offsets are file offsets; every read goes through
 * pe_fits() first. */
#ifndef VITRINE_MODRT_PE_INTERNAL_H
#define VITRINE_MODRT_PE_INTERNAL_H

#include "modrt_internal.h"

enum { PE_MAX_SECTIONS = 96, PE_MAX_IMPORTS = 16384, PE_MAX_EXPORTS = 8192 };

typedef struct pe_function {
    const char *name; /* NULL when yara has none */
    uint16_t ordinal;
    bool has_ordinal;
} pe_function;

typedef struct pe_dll {
    const char *name;
    pe_function *functions;
    size_t count;
} pe_dll;

/* One entry of the export table as yara's export_details has it: the ordinal (base + index) and
 * the name (NUL-terminated, at most 512 bytes; NULL when the entry has none). */
typedef struct pe_export {
    const char *name;
    size_t name_len;
    uint32_t ordinal;
} pe_export;

/* Where the export table's arrays are, once the loader has checked them (yara's checks). */
typedef struct pe_export_table {
    int64_t start;      /* the export directory (a function inside it is a forwarder) */
    uint64_t size;
    uint32_t count;     /* number_of_exports */
    uint32_t base;
    uint32_t named;     /* names used: at most count */
    int64_t names;      /* -1 when the table has no names */
    int64_t ordinals;
    int64_t functions;
} pe_export_table;

typedef struct pe_file {
    const uint8_t *data;
    size_t size;
    uint64_t nt;        /* offset of the NT headers ("PE\0\0") */
    uint64_t opt;       /* offset of the optional header */
    bool is64;
    vt_mobj *root;
    vt_modrt_scan *scan;
    int64_t resources;
    bool resource_objects; /* a rule reads resources[] (or locale(), language()) */
    int64_t version_infos;
    pe_dll *imports;    /* yara's list of imported DLLs with functions (for imphash, imports) */
    size_t import_count;
    pe_dll *delayed;
    size_t delayed_count;
    bool has_export_table; /* export_table is valid (else number_of_exports is 0) */
    pe_export_table export_table;
    pe_export *exports; /* built from export_table when first needed (vt_modrt_pe_exports) */
    bool exports_built;
    char imphash[33]; /* imphash()'s result once a call of this scan computed it, else "" */
} pe_file;

static inline bool pe_fits(const pe_file *pe, uint64_t off, uint64_t len)
{
    return len <= pe->size && off <= pe->size - len;
}
static inline uint16_t pe_u16(const pe_file *pe, uint64_t off)
{
    return pe_fits(pe, off, 2) ? vt_le16(pe->data + off) : 0;
}
static inline uint32_t pe_u32(const pe_file *pe, uint64_t off)
{
    return pe_fits(pe, off, 4) ? vt_le32(pe->data + off) : 0;
}
static inline uint64_t pe_u64(const pe_file *pe, uint64_t off)
{
    return pe_fits(pe, off, 8) ? vt_le64(pe->data + off) : 0;
}
/* Bytes from off to the end of the file (0 when off is outside). */
static inline size_t pe_available(const pe_file *pe, int64_t off)
{
    return off < 0 || (uint64_t)off >= pe->size ? 0 : pe->size - (size_t)off;
}

/* The view of data as yara's pe_get_header accepts it (data, size, headers; nothing parsed):
 * false when data is not a PE file. Other modules reading PE files (dotnet) start here. */
bool vt_modrt_pe_open(const uint8_t *data, size_t size, pe_file *pe);
int64_t vt_modrt_pe_rva_to_offset(const pe_file *pe, uint64_t rva);
/* The offset of data directory `entry` if it lies inside the optional header, else 0. */
uint64_t vt_modrt_pe_directory(const pe_file *pe, int entry);

vt_status vt_modrt_pe_load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                  size_t size);
void vt_modrt_pe_parse_resources(pe_file *pe);
void vt_modrt_pe_parse_imports(pe_file *pe);
void vt_modrt_pe_parse_delayed_imports(pe_file *pe);
void vt_modrt_pe_parse_exports(pe_file *pe);
/* The exports of the checked export table (built once per scan, arena memory): *count entries,
 * 0 without a valid table; NULL with *count 0 when memory runs out (scan->out_of_memory). */
const pe_export *vt_modrt_pe_exports(pe_file *pe, uint32_t *count);
void vt_modrt_pe_parse_certificates(pe_file *pe);

#endif
