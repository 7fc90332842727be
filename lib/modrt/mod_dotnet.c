/* mod_dotnet.c: yara's dotnet module (4.2.3): for a PE file with a CLI header, the metadata
 * version, the stream headers, the GUIDs, the user strings (#US), and from the #~ tables the
 * module name, string constants, the typelib GUID attribute, module references, field RVAs,
 * the assembly and the assembly references, and the manifest resources. The logic and its
 * quirks are yara's (dotnet.c): a blob's length loses one byte (yara drops a terminal byte
 * from every blob, #US and #Blob alike), the number of streams is read from one byte, a table
 * yara does not know (ParamPtr among them) or more than 10000 rows ends the table walk, and a
 * 32-bit executable is .NET only if its entry point is `jmp [addr]` (FF 25). Every
 * offset is a file offset checked with fits() before it is read. */
#include <stdio.h>
#include <string.h>

#include "pe_internal.h"

enum {
    CLI_HEADER_SIZE = 72,
    METADATA_SIZE = 16,   /* Magic, versions, Reserved, Length; the version string follows */
    METADATA_MAGIC = 0x424a5342,
    STREAM_HEADER_SIZE = 8,
    STREAM_NAME_SIZE = 32,
    TILDE_HEADER_SIZE = 24,
    MAX_TYPELIB_SIZE = 0xff,
    MAX_ROWS = 10000,
    COM_DESCRIPTOR = 14,
    TYPE_STRING = 0x0e,
    IMAGE_FILE_DLL = 0x2000,
};

/* The tables of #~ by their bit in Valid (ECMA-335 II.22). */
enum {
    BIT_MODULE, BIT_TYPEREF, BIT_TYPEDEF, BIT_FIELDPTR, BIT_FIELD, BIT_METHODDEFPTR,
    BIT_METHODDEF, BIT_PARAMPTR, BIT_PARAM, BIT_INTERFACEIMPL, BIT_MEMBERREF, BIT_CONSTANT,
    BIT_CUSTOMATTRIBUTE, BIT_FIELDMARSHAL, BIT_DECLSECURITY, BIT_CLASSLAYOUT, BIT_FIELDLAYOUT,
    BIT_STANDALONESIG, BIT_EVENTMAP, BIT_EVENTPTR, BIT_EVENT, BIT_PROPERTYMAP, BIT_PROPERTYPTR,
    BIT_PROPERTY, BIT_METHODSEMANTICS, BIT_METHODIMPL, BIT_MODULEREF, BIT_TYPESPEC, BIT_IMPLMAP,
    BIT_FIELDRVA, BIT_ENCLOG, BIT_ENCMAP, BIT_ASSEMBLY, BIT_ASSEMBLYPROCESSOR, BIT_ASSEMBLYOS,
    BIT_ASSEMBLYREF, BIT_ASSEMBLYREFPROCESSOR, BIT_ASSEMBLYREFOS, BIT_FILE, BIT_EXPORTEDTYPE,
    BIT_MANIFESTRESOURCE, BIT_NESTEDCLASS, BIT_GENERICPARAM, BIT_METHODSPEC,
    BIT_GENERICPARAMCONSTRAINT,
};

typedef struct dn_file {
    pe_file pe;
    vt_mobj *root;
} dn_file;

/* A stream header found in the metadata: its offset and size as the file gives them. */
typedef struct dn_stream {
    bool present;
    uint32_t offset, size;
} dn_stream;

typedef struct dn_streams {
    int64_t metadata_root;
    dn_stream tilde, guid, strings, blob, us;
} dn_streams;

/* Row counts of the tables whose size decides the width of indexes into them. */
typedef struct dn_rows {
    uint32_t module, moduleref, assemblyref, assemblyrefprocessor, typeref, methoddef,
        memberref, typedef_, typespec, field, param, property, interfaceimpl, event,
        standalonesig, assembly, file, exportedtype, manifestresource, genericparam,
        genericparamconstraint, methodspec;
} dn_rows;

typedef struct dn_index_sizes {
    uint8_t string, guid, blob, field, methoddef, memberref, param, event, typedef_, property,
        moduleref, assemblyrefprocessor, assemblyref, genericparam, module, typeref, typespec,
        interfaceimpl, assembly, methodspec;
} dn_index_sizes;

/* yara's fits_in_pe over file offsets (which may be negative or past the end). */
static bool fits(const dn_file *d, int64_t off, uint64_t len)
{
    return off >= 0 && len <= d->pe.size && (uint64_t)off <= d->pe.size - len;
}
static uint16_t u16(const dn_file *d, int64_t off) { return vt_le16(d->pe.data + off); }
static uint32_t u32(const dn_file *d, int64_t off) { return vt_le32(d->pe.data + off); }
/* An index of `width` bytes (2 or 4), after the caller checked it fits. */
static uint32_t index_at(const dn_file *d, int64_t off, uint8_t width)
{
    return width == 2 ? u16(d, off) : u32(d, off);
}

static uint32_t max_of(const uint32_t *values, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++)
        m = values[i] > m ? values[i] : m;
    return m;
}

/* The width of a coded index over tables with these row counts, `tag_bits` bits of tag. */
static uint8_t coded_width(const uint32_t *rows, size_t n, unsigned tag_bits)
{
    return max_of(rows, n) > (0xFFFFu >> tag_bits) ? 4 : 2;
}
#define CODED(tag_bits, ...)                                                                      \
    coded_width((const uint32_t[]){__VA_ARGS__},                                                  \
                sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t), tag_bits)

/* dotnet_parse_blob_entry: the length prefix of a #US or #Blob entry at `off` (1, 2 or 4
 * bytes, ECMA-335 II.24.2.4). Returns the prefix size (0: not readable) and sets *length to the
 * entry's length less one, as yara 4.2.3 does for every blob. */
static unsigned blob_entry(const dn_file *d, int64_t off, uint32_t *length)
{
    if (!fits(d, off, 1))
        return 0;
    const uint8_t *p = d->pe.data + off;
    unsigned size;
    if ((p[0] & 0x80) == 0) {
        *length = p[0];
        size = 1;
    } else if ((p[0] & 0xC0) == 0x80) {
        if (!fits(d, off, 2))
            return 0;
        *length = (uint32_t)(p[0] & 0x3F) << 8 | p[1];
        size = 2;
    } else if ((uint64_t)off + 4 < d->pe.size && (p[0] & 0xE0) == 0xC0) {
        *length = (uint32_t)(p[0] & 0x1F) << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        size = 4;
    } else {
        return 0;
    }
    if (*length > 0)
        (*length)--;
    return size;
}

/* pe_get_dotnet_string: the NUL-terminated string at index of the heap at heap_off, or NULL
 * when it starts outside the file or has no NUL within the file or 1024 bytes (yara 4.2.3 does
 * not check the heap's size). */
static const char *heap_string(const dn_file *d, int64_t heap_off, uint32_t index)
{
    int64_t at = heap_off + index;
    if (at < 0 || (uint64_t)at >= d->pe.size)
        return NULL;
    const char *start = (const char *)d->pe.data + at;
    const char *eos = memchr(start, '\0', d->pe.size - (size_t)at);
    if (!eos || eos - start > 1024)
        return NULL;
    return start;
}

static void parse_guids(dn_file *d, int64_t metadata_root, const dn_stream *s)
{
    int64_t at = metadata_root + s->offset;
    uint32_t size = s->size < 256 ? s->size : 256;
    int i = 0;
    while (size >= 16 && fits(d, at, 16)) {
        const uint8_t *g = d->pe.data + at;
        char guid[40];
        snprintf(guid, sizeof guid, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 vt_le32(g), vt_le16(g + 4), vt_le16(g + 6), g[8], g[9], g[10], g[11], g[12],
                 g[13], g[14], g[15]);
        vt_modrt_set_sz(guid, d->root, "guids[%i]", i);
        i++;
        size -= 16;
        at += 16;
    }
    vt_modrt_set_integer(i, d->root, "number_of_guids");
}

static void parse_user_strings(dn_file *d, int64_t metadata_root, const dn_stream *s)
{
    int64_t at = metadata_root + s->offset;
    int64_t end = at + s->size;
    if (s->size == 0 || !fits(d, at, s->size))
        return;
    if (d->pe.data[at] != 0) /* the first entry must be a single NUL */
        return;
    at++;
    int i = 0;
    while (at < end) {
        uint32_t length;
        unsigned size = blob_entry(d, at, &length);
        if (size == 0)
            break;
        at += size;
        /* an entry that does not fit is stepped over by its prefix only */
        if (length > 0 && fits(d, at, length)) {
            vt_modrt_set_string(d->pe.data + at, length, d->root, "user_strings[%i]", i);
            at += length;
            i++;
        }
    }
    vt_modrt_set_integer(i, d->root, "number_of_user_strings");
}

/* The stream headers after the metadata header; remembers the streams the tables need. */
static void parse_stream_headers(dn_file *d, int64_t at, int64_t metadata_root,
                                 unsigned count, dn_streams *out)
{
    memset(out, 0, sizeof *out);
    out->metadata_root = metadata_root;
    unsigned i;
    for (i = 0; i < count; i++) {
        if (!fits(d, at, STREAM_HEADER_SIZE) || !fits(d, at + 8, STREAM_NAME_SIZE))
            break;
        const char *name_at = (const char *)d->pe.data + at + 8;
        if (!memchr(name_at, '\0', STREAM_NAME_SIZE))
            break;
        char name[STREAM_NAME_SIZE + 1];
        strncpy(name, name_at, STREAM_NAME_SIZE);
        name[STREAM_NAME_SIZE] = '\0';
        uint32_t offset = u32(d, at), size = u32(d, at + 4);
        vt_modrt_set_sz(name, d->root, "streams[%i].name", (int)i);
        vt_modrt_set_integer(metadata_root + offset, d->root, "streams[%i].offset", (int)i);
        vt_modrt_set_integer(size, d->root, "streams[%i].size", (int)i);
        dn_stream found = {true, offset, size};
        if ((strncmp(name, "#~", 2) == 0 || strncmp(name, "#-", 2) == 0) && !out->tilde.present)
            out->tilde = found;
        else if (strncmp(name, "#GUID", 5) == 0)
            out->guid = found;
        else if (strncmp(name, "#Strings", 8) == 0 && !out->strings.present)
            out->strings = found;
        else if (strncmp(name, "#Blob", 5) == 0 && !out->blob.present)
            out->blob = found;
        else if (strncmp(name, "#US", 3) == 0 && !out->us.present)
            out->us = found;
        size_t len = strlen(name);
        at += STREAM_HEADER_SIZE + len + 4 - len % 4;
    }
    vt_modrt_set_integer(i, d->root, "number_of_streams");
}

/* What the second walk over the tables shares. */
typedef struct dn_tables {
    dn_file *d;
    const dn_streams *streams;
    const dn_rows *rows;
    const dn_index_sizes *ix;
    int64_t strings;      /* offset of the #Strings heap */
    int64_t blobs;        /* offset of the #Blob heap */
    int64_t resource_base;
    int64_t typeref, memberref; /* offsets of those tables once walked, -1 before */
    uint32_t typeref_row, memberref_row;
} dn_tables;

static const char *table_string(const dn_tables *t, int64_t off)
{
    return heap_string(t->d, t->strings, index_at(t->d, off, t->ix->string));
}

static void parse_constants(dn_tables *t, int64_t table, uint32_t rows)
{
    dn_file *d = t->d;
    uint8_t parent = CODED(2, t->rows->param, t->rows->field, t->rows->property);
    uint32_t row_size = 1 + 1 + parent + t->ix->blob;
    int64_t row = table;
    int counter = 0;
    for (uint32_t i = 0; i < rows; i++, row += row_size) {
        if (!fits(d, row, row_size))
            break;
        if (u16(d, row) != TYPE_STRING)
            continue;
        int64_t at = t->blobs + index_at(d, row + 2 + parent, t->ix->blob);
        uint32_t length;
        unsigned size = blob_entry(d, at, &length);
        if (size == 0)
            continue;
        at += size;
        if (at + (int64_t)length >= (int64_t)d->pe.size)
            continue;
        vt_modrt_set_string(d->pe.data + at, length, d->root, "constants[%i]", counter);
        counter++;
    }
    vt_modrt_set_integer(counter, d->root, "number_of_constants");
}

/* Custom attributes of the assembly whose type is a MemberRef of a TypeRef named
 * GuidAttribute: their string argument is the typelib. */
static void parse_custom_attributes(dn_tables *t, int64_t table, uint32_t rows,
                                    uint8_t parent_width, uint8_t type_width, uint32_t row_size)
{
    dn_file *d = t->d;
    const dn_rows *r = t->rows;
    if (t->typeref < 0 || t->memberref < 0)
        return;
    int64_t row = table;
    for (uint32_t i = 0; i < rows; i++, row += row_size) {
        if (!fits(d, row, row_size))
            break;
        if ((index_at(d, row, parent_width) & 0x1F) != 0x0E) /* parent: the Assembly table */
            continue;
        uint32_t type = index_at(d, row + parent_width, type_width);
        if ((type & 0x07) != 0x03) /* type: a MemberRef */
            continue;
        uint32_t type_index = type >> 3;
        if (type_index > 0)
            type_index--;
        /* row size times index is a 32-bit product in yara */
        int64_t member = t->memberref + (uint32_t)(t->memberref_row * type_index);
        if (!fits(d, member, t->memberref_row))
            break;
        uint32_t klass = index_at(d, member, t->ix->memberref);
        if ((klass & 0x07) != 0x01) /* class: a TypeRef */
            continue;
        uint32_t class_index = klass >> 3;
        if (class_index > 0)
            class_index--;
        int64_t typeref = t->typeref + (uint32_t)(t->typeref_row * class_index);
        if (!fits(d, typeref, t->typeref_row))
            break;
        typeref += CODED(2, r->module, r->moduleref, r->assemblyref, r->typeref);
        const char *name = table_string(t, typeref);
        if (name && strncmp(name, "GuidAttribute", 13) != 0)
            continue;
        uint32_t blob_index = index_at(d, row + parent_width + type_width, t->ix->blob);
        int64_t at = t->blobs + blob_index;
        if (blob_index == 0 || at >= (int64_t)d->pe.size)
            continue;
        uint32_t length;
        unsigned size = blob_entry(d, at, &length);
        if (size == 0)
            continue;
        at += size;
        if (length < 3 || at + (int64_t)length >= (int64_t)d->pe.size)
            continue;
        if (u16(d, at) != 0x0001) /* the prolog of a custom attribute */
            continue;
        at += 2;
        uint8_t str_len = d->pe.data[at];
        at += 1;
        if (at + str_len > (int64_t)d->pe.size)
            continue;
        char typelib[MAX_TYPELIB_SIZE + 1];
        if (d->pe.data[at] == 0xFF || d->pe.data[at] == 0x00) {
            typelib[0] = '\0';
        } else {
            strncpy(typelib, (const char *)d->pe.data + at, str_len);
            typelib[str_len] = '\0';
        }
        vt_modrt_set_sz(typelib, d->root, "typelib");
    }
}

static void parse_assembly(dn_tables *t, int64_t table)
{
    dn_file *d = t->d;
    const dn_index_sizes *ix = t->ix;
    uint32_t row_size = 4 + 2 + 2 + 2 + 2 + 4 + ix->blob + ix->string * 2;
    if (!fits(d, table, row_size))
        return;
    vt_modrt_set_integer(u16(d, table + 4), d->root, "assembly.version.major");
    vt_modrt_set_integer(u16(d, table + 6), d->root, "assembly.version.minor");
    vt_modrt_set_integer(u16(d, table + 8), d->root, "assembly.version.build_number");
    vt_modrt_set_integer(u16(d, table + 10), d->root, "assembly.version.revision_number");
    int64_t name_at = table + 16 + ix->blob;
    const char *name = table_string(t, name_at);
    if (name)
        vt_modrt_set_sz(name, d->root, "assembly.name");
    const char *culture = table_string(t, name_at + ix->string);
    if (culture && culture[0])
        vt_modrt_set_sz(culture, d->root, "assembly.culture");
}

static void parse_assembly_refs(dn_tables *t, int64_t table, uint32_t rows, uint32_t row_size)
{
    dn_file *d = t->d;
    const dn_index_sizes *ix = t->ix;
    int64_t row = table;
    uint32_t i;
    for (i = 0; i < rows; i++, row += row_size) {
        if (!fits(d, row, row_size))
            break;
        static const char *const version[] = {
            "assembly_refs[%i].version.major", "assembly_refs[%i].version.minor",
            "assembly_refs[%i].version.build_number", "assembly_refs[%i].version.revision_number",
        };
        for (int k = 0; k < 4; k++)
            vt_modrt_set_integer(u16(d, row + 2 * k), d->root, version[k], (int)i);
        int64_t at = t->blobs + index_at(d, row + 12, ix->blob);
        uint32_t length;
        unsigned size = blob_entry(d, at, &length);
        at += size;
        if (size == 0 || !fits(d, at, length))
            continue;
        if (length > 0)
            vt_modrt_set_string(d->pe.data + at, length, d->root,
                                "assembly_refs[%i].public_key_or_token", (int)i);
        const char *name = table_string(t, row + 12 + ix->blob);
        if (name)
            vt_modrt_set_sz(name, d->root, "assembly_refs[%i].name", (int)i);
    }
    vt_modrt_set_integer(i, d->root, "number_of_assembly_refs");
}

/* Manifest resources stored in this file (Implementation 0) whose data fits in the file; the
 * others are left out of the array and its count. */
static void parse_resources(dn_tables *t, int64_t table, uint32_t rows)
{
    dn_file *d = t->d;
    uint8_t implementation_width = CODED(2, t->rows->file, t->rows->assemblyref);
    uint32_t row_size = 4 + 4 + t->ix->string + implementation_width;
    int64_t row = table;
    int counter = 0;
    for (uint32_t i = 0; i < rows; i++, row += row_size) {
        if (!fits(d, row, row_size))
            break;
        if (index_at(d, row + 8 + t->ix->string, implementation_width) != 0)
            continue;
        int64_t at = t->resource_base + u32(d, row);
        if (!fits(d, at, 4))
            continue;
        uint32_t length = u32(d, at);
        if (!fits(d, at, length))
            continue;
        vt_modrt_set_integer(at + 4, d->root, "resources[%i].offset", counter);
        vt_modrt_set_integer(length, d->root, "resources[%i].length", counter);
        const char *name = table_string(t, row + 8);
        if (name)
            vt_modrt_set_sz(name, d->root, "resources[%i].name", counter);
        counter++;
    }
    vt_modrt_set_integer(counter, d->root, "number_of_resources");
}

/* dotnet_parse_tilde_2: walk the tables in the order of their bits, reading the ones the
 * module reports and stepping over the others by their row size. */
static void parse_tables(dn_tables *t, int64_t tilde)
{
    dn_file *d = t->d;
    const dn_rows *r = t->rows;
    const dn_index_sizes *ix = t->ix;
    uint64_t valid = vt_le64(d->pe.data + tilde + 8);
    unsigned valid_rows = 0;
    for (int i = 0; i < 64; i++)
        valid_rows += (valid >> i) & 1;
    int64_t row_counts = tilde + TILDE_HEADER_SIZE;
    int64_t table = row_counts + 4 * (int64_t)valid_rows;
    int matched = 0;
    for (int bit = 0; bit < 64; bit++) {
        if (!((valid >> bit) & 1))
            continue;
        if (!fits(d, row_counts + 4 * (int64_t)matched, 4))
            return;
        uint32_t rows = u32(d, row_counts + 4 * (int64_t)matched);
        if (rows > MAX_ROWS)
            return;
        uint32_t row_size;
        uint8_t w, w2;
        switch (bit) {
        case BIT_MODULE:
            if (fits(d, table, 18)) {
                const char *name = table_string(t, table + 2);
                if (name)
                    vt_modrt_set_sz(name, d->root, "module_name");
            }
            row_size = 2 + ix->string + ix->guid * 3;
            break;
        case BIT_TYPEREF:
            row_size = CODED(2, r->module, r->moduleref, r->assemblyref, r->typeref) + ix->string * 2;
            t->typeref = table;
            t->typeref_row = row_size;
            break;
        case BIT_TYPEDEF:
            row_size = 4 + ix->string * 2 + CODED(2, r->typedef_, r->typeref, r->typespec) +
                       ix->field + ix->methoddef;
            break;
        case BIT_FIELDPTR: row_size = ix->field; break;
        case BIT_FIELD: row_size = 2 + ix->string + ix->blob; break;
        case BIT_METHODDEFPTR: row_size = ix->methoddef; break;
        case BIT_METHODDEF: row_size = 4 + 2 + 2 + ix->string + ix->blob + ix->param; break;
        case BIT_PARAM: row_size = 2 + 2 + ix->string; break;
        case BIT_INTERFACEIMPL:
            row_size = ix->typedef_ + CODED(2, r->typedef_, r->typeref, r->typespec);
            break;
        case BIT_MEMBERREF:
            row_size = CODED(3, r->methoddef, r->moduleref, r->typeref, r->typespec) + ix->string +
                       ix->blob;
            t->memberref = table;
            t->memberref_row = row_size;
            break;
        case BIT_CONSTANT:
            parse_constants(t, table, rows);
            row_size = 1 + 1 + CODED(2, r->param, r->field, r->property) + ix->blob;
            break;
        case BIT_CUSTOMATTRIBUTE:
            w = CODED(5, r->methoddef, r->field, r->typeref, r->typedef_, r->param,
                      r->interfaceimpl, r->memberref, r->module, r->property, r->event,
                      r->standalonesig, r->moduleref, r->typespec, r->assembly, r->assemblyref,
                      r->file, r->exportedtype, r->manifestresource, r->genericparam,
                      r->genericparamconstraint, r->methodspec);
            w2 = CODED(3, r->methoddef, r->memberref);
            row_size = w + w2 + ix->blob;
            parse_custom_attributes(t, table, rows, w, w2, row_size);
            break;
        case BIT_FIELDMARSHAL: row_size = CODED(1, r->field, r->param) + ix->blob; break;
        case BIT_DECLSECURITY:
            row_size = 2 + CODED(2, r->typedef_, r->methoddef, r->assembly) + ix->blob;
            break;
        case BIT_CLASSLAYOUT: row_size = 2 + 4 + ix->typedef_; break;
        case BIT_FIELDLAYOUT: row_size = 4 + ix->field; break;
        case BIT_STANDALONESIG: row_size = ix->blob; break;
        case BIT_EVENTMAP: row_size = ix->typedef_ + ix->event; break;
        case BIT_EVENTPTR: row_size = ix->event; break;
        case BIT_EVENT:
            row_size = 2 + ix->string + CODED(2, r->typedef_, r->typeref, r->typespec);
            break;
        case BIT_PROPERTYMAP: row_size = ix->typedef_ + ix->property; break;
        case BIT_PROPERTYPTR: row_size = ix->property; break;
        case BIT_PROPERTY: row_size = 2 + ix->string + ix->blob; break;
        case BIT_METHODSEMANTICS:
            row_size = 2 + ix->methoddef + CODED(1, r->event, r->property);
            break;
        case BIT_METHODIMPL:
            row_size = ix->typedef_ + CODED(1, r->methoddef, r->memberref) * 2;
            break;
        case BIT_MODULEREF: {
            int counter = 0;
            int64_t row = table;
            for (uint32_t i = 0; i < rows; i++, row += ix->string) {
                if (!fits(d, row, 4))
                    break;
                const char *name = table_string(t, row);
                if (name)
                    vt_modrt_set_sz(name, d->root, "modulerefs[%i]", counter++);
            }
            vt_modrt_set_integer(counter, d->root, "number_of_modulerefs");
            row_size = ix->string;
            break;
        }
        case BIT_TYPESPEC: row_size = ix->blob; break;
        case BIT_IMPLMAP:
            row_size = 2 + CODED(1, r->field, r->methoddef) + ix->string + ix->moduleref;
            break;
        case BIT_FIELDRVA: {
            row_size = 4 + ix->field;
            int counter = 0;
            int64_t row = table;
            for (uint32_t i = 0; i < rows; i++, row += row_size) {
                if (!fits(d, row, 8))
                    break;
                int64_t offset = vt_modrt_pe_rva_to_offset(&d->pe, u32(d, row));
                if (offset >= 0)
                    vt_modrt_set_integer(offset, d->root, "field_offsets[%i]", counter++);
            }
            vt_modrt_set_integer(counter, d->root, "number_of_field_offsets");
            break;
        }
        case BIT_ENCLOG: row_size = 4 + 4; break;
        case BIT_ENCMAP: row_size = 4; break;
        case BIT_ASSEMBLY:
            parse_assembly(t, table);
            row_size = 4 + 2 + 2 + 2 + 2 + 4 + ix->blob + ix->string * 2;
            break;
        case BIT_ASSEMBLYPROCESSOR: row_size = 4; break;
        case BIT_ASSEMBLYOS: row_size = 4 + 4 + 4; break;
        case BIT_ASSEMBLYREF:
            row_size = 2 + 2 + 2 + 2 + 4 + ix->blob * 2 + ix->string * 2;
            parse_assembly_refs(t, table, rows, row_size);
            break;
        case BIT_ASSEMBLYREFPROCESSOR: row_size = 4 + ix->assemblyrefprocessor; break;
        case BIT_ASSEMBLYREFOS: row_size = 4 + 4 + 4 + ix->assemblyref; break;
        case BIT_FILE: row_size = 4 + ix->string + ix->blob; break;
        case BIT_EXPORTEDTYPE:
            row_size = 4 + 4 + ix->string * 2 + CODED(2, r->file, r->assemblyref, r->exportedtype);
            break;
        case BIT_MANIFESTRESOURCE:
            parse_resources(t, table, rows);
            row_size = 4 + 4 + ix->string + CODED(2, r->file, r->assemblyref);
            break;
        case BIT_NESTEDCLASS: row_size = ix->typedef_ * 2; break;
        case BIT_GENERICPARAM:
            row_size = 2 + 2 + CODED(1, r->typedef_, r->methoddef) + ix->string;
            break;
        case BIT_METHODSPEC: row_size = CODED(1, r->methoddef, r->memberref) + ix->blob; break;
        case BIT_GENERICPARAMCONSTRAINT:
            row_size = ix->genericparam + CODED(2, r->typedef_, r->typeref, r->typespec);
            break;
        default:
            return; /* a table yara does not know: the walk ends */
        }
        table += (int64_t)row_size * rows;
        matched++;
    }
}

/* dotnet_parse_tilde: a first walk over the row counts (the widths of indexes depend on them),
 * then the tables. */
static void parse_tilde(dn_file *d, int64_t cli_header, const dn_streams *streams)
{
    int64_t tilde = streams->metadata_root + streams->tilde.offset;
    if (!fits(d, tilde, TILDE_HEADER_SIZE))
        return;
    dn_rows rows;
    memset(&rows, 0, sizeof rows);
    dn_index_sizes ix;
    memset(&ix, 2, sizeof ix);
    uint8_t heap_sizes = d->pe.data[tilde + 6];
    if (heap_sizes & 0x01)
        ix.string = 4;
    if (heap_sizes & 0x02)
        ix.guid = 4;
    if (heap_sizes & 0x04)
        ix.blob = 4;
    uint64_t valid = vt_le64(d->pe.data + tilde + 8);
    int64_t row_counts = tilde + TILDE_HEADER_SIZE;
    int matched = 0;
    for (int bit = 0; bit < 64; bit++) {
        if (!((valid >> bit) & 1))
            continue;
        uint32_t *count = NULL;
        uint8_t *width = NULL;
        switch (bit) {
        case BIT_MODULE: count = &rows.module; width = &ix.module; break;
        case BIT_MODULEREF: count = &rows.moduleref; width = &ix.moduleref; break;
        case BIT_ASSEMBLYREF: count = &rows.assemblyref; width = &ix.assemblyref; break;
        case BIT_ASSEMBLYREFPROCESSOR:
            count = &rows.assemblyrefprocessor;
            width = &ix.assemblyrefprocessor;
            break;
        case BIT_TYPEREF: count = &rows.typeref; width = &ix.typeref; break;
        case BIT_METHODDEF: count = &rows.methoddef; width = &ix.methoddef; break;
        case BIT_MEMBERREF: count = &rows.memberref; width = &ix.memberref; break;
        case BIT_TYPEDEF: count = &rows.typedef_; width = &ix.typedef_; break;
        case BIT_TYPESPEC: count = &rows.typespec; width = &ix.typespec; break;
        case BIT_FIELD: count = &rows.field; width = &ix.field; break;
        case BIT_PARAM: count = &rows.param; width = &ix.param; break;
        case BIT_PROPERTY: count = &rows.property; width = &ix.property; break;
        case BIT_INTERFACEIMPL: count = &rows.interfaceimpl; width = &ix.interfaceimpl; break;
        case BIT_EVENT: count = &rows.event; width = &ix.event; break;
        case BIT_STANDALONESIG: count = &rows.standalonesig; break;
        case BIT_ASSEMBLY: count = &rows.assembly; width = &ix.assembly; break;
        case BIT_FILE: count = &rows.file; break;
        case BIT_EXPORTEDTYPE: count = &rows.exportedtype; break;
        case BIT_MANIFESTRESOURCE: count = &rows.manifestresource; break;
        case BIT_GENERICPARAM: count = &rows.genericparam; width = &ix.genericparam; break;
        case BIT_GENERICPARAMCONSTRAINT: count = &rows.genericparamconstraint; break;
        case BIT_METHODSPEC: count = &rows.methodspec; width = &ix.methodspec; break;
        default: break;
        }
        if (count && fits(d, row_counts, 4 * ((uint64_t)matched + 1))) {
            *count = u32(d, row_counts + 4 * (int64_t)matched);
            if (width && *count > 0xFFFF)
                *width = 4;
        }
        matched++;
    }
    dn_tables t = {
        .d = d,
        .streams = streams,
        .rows = &rows,
        .ix = &ix,
        .strings = streams->metadata_root + streams->strings.offset,
        .blobs = streams->metadata_root + streams->blob.offset,
        .resource_base = vt_modrt_pe_rva_to_offset(&d->pe, u32(d, cli_header + 24)),
        .typeref = -1,
        .memberref = -1,
    };
    parse_tables(&t, tilde);
}

/* dotnet_parse_com: is_dotnet, then the metadata when the CLI header leads to it. */
static void parse_com(dn_file *d)
{
    uint64_t dir = vt_modrt_pe_directory(&d->pe, COM_DESCRIPTOR);
    int64_t cli = dir ? vt_modrt_pe_rva_to_offset(&d->pe, pe_u32(&d->pe, dir)) : -1;
    bool is_dotnet = false;
    int64_t metadata_root = -1;
    uint32_t md_len = 0;
    if (cli >= 0 && fits(d, cli, CLI_HEADER_SIZE) && u32(d, cli) == CLI_HEADER_SIZE) {
        metadata_root = vt_modrt_pe_rva_to_offset(&d->pe, u32(d, cli + 8));
        if (fits(d, metadata_root, METADATA_SIZE) && u32(d, metadata_root) == METADATA_MAGIC) {
            md_len = u32(d, metadata_root + 12);
            is_dotnet = md_len != 0 && md_len <= 255 && md_len % 4 == 0 &&
                        fits(d, metadata_root + METADATA_SIZE, md_len);
            if (is_dotnet && d->pe.is64) {
                if (pe_u32(&d->pe, d->pe.opt + 108) < COM_DESCRIPTOR)
                    is_dotnet = false;
            } else if (is_dotnet && !(pe_u16(&d->pe, d->pe.nt + 4 + 18) & IMAGE_FILE_DLL)) {
                /* an executable's entry point is the stub `jmp [_CorExeMain]` */
                int64_t entry = vt_modrt_pe_rva_to_offset(&d->pe, pe_u32(&d->pe, d->pe.opt + 16));
                is_dotnet = fits(d, entry, 2) && d->pe.data[entry] == 0xFF &&
                            d->pe.data[entry + 1] == 0x25;
            }
        }
    }
    vt_modrt_set_integer(is_dotnet, d->root, "is_dotnet");
    if (!is_dotnet)
        return;
    const char *version = (const char *)d->pe.data + metadata_root + METADATA_SIZE;
    const char *end = memchr(version, '\0', md_len);
    if (end)
        vt_modrt_set_string(version, (size_t)(end - version), d->root, "version");
    int64_t at = metadata_root + METADATA_SIZE + md_len + 2; /* after the flags */
    if (!fits(d, at, 2))
        return;
    unsigned stream_count = d->pe.data[at]; /* yara reads one byte of the two */
    at += 2;
    dn_streams streams;
    parse_stream_headers(d, at, metadata_root, stream_count, &streams);
    if (streams.guid.present)
        parse_guids(d, metadata_root, &streams.guid);
    if (streams.tilde.present && streams.strings.present && streams.blob.present)
        parse_tilde(d, cli, &streams);
    if (streams.us.present)
        parse_user_strings(d, metadata_root, &streams.us);
}

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    dn_file d;
    if (!vt_modrt_pe_open(data, size, &d.pe))
        return VT_OK;
    d.pe.root = module->root;
    d.pe.scan = scan;
    d.root = module->root;
    parse_com(&d);
    return scan->out_of_memory ? VT_ERR_NOMEM : VT_OK;
}

const vt_modrt_module_def vt_modrt_module_dotnet = {
    .name = "dotnet",
    .load = load,
};
