/* entrypoint.c: the file offset of a PE or ELF entry point, for the `entrypoint` keyword, computed
 * the way yara 4.2.3 computes it (libyara/exefiles.c) with its quirks kept: for ELF a failed
 * lookup gives 0, not undefined; 32-bit ELF address ranges wrap at 32 bits; at most 60 PE
 * sections are looked at. Every read is bounds-checked: the data is hostile. */
#include <stdint.h>
#include <string.h>

#include "scan_internal.h"

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

enum {
    DOS_HEADER_SIZE = 64,
    PE_FILE_HEADER_SIZE = 20,
    PE_OPTIONAL_HEADER32_SIZE = 224,
    PE_SECTION_HEADER_SIZE = 40,
    ELF32_HEADER_SIZE = 52,
    ELF64_HEADER_SIZE = 64,
    ELF32_PROGRAM_HEADER_SIZE = 32,
    ELF64_PROGRAM_HEADER_SIZE = 56,
    ELF32_SECTION_HEADER_SIZE = 40,
    ELF64_SECTION_HEADER_SIZE = 64,
    ELF_ET_EXEC = 2,
    ELF_SHT_NULL = 0,
    ELF_SHT_NOBITS = 8,
};

/* Offset of the PE header, or -1 when the data is not a PE that yara recognises. */
static int64_t pe_header(const uint8_t *data, uint64_t size)
{
    if (size < DOS_HEADER_SIZE || le16(data) != 0x5a4d)
        return -1;
    int32_t lfanew = (int32_t)le32(data + 60);
    if (lfanew < 0)
        return -1;
    uint64_t headers = (uint64_t)lfanew + 4 + PE_FILE_HEADER_SIZE;
    if (size < headers)
        return -1;
    const uint8_t *pe = data + lfanew;
    headers += PE_OPTIONAL_HEADER32_SIZE;
    uint16_t machine = le16(pe + 4);
    if (le32(pe) == 0x00004550 && (machine == 0x14c || machine == 0x8664) && size > headers)
        return lfanew;
    return -1;
}

static uint64_t pe_rva_to_offset(const uint8_t *pe, uint64_t rva, uint64_t length)
{
    uint16_t sections = le16(pe + 6);
    uint64_t section = 24 + (uint64_t)le16(pe + 20); /* IMAGE_FIRST_SECTION */
    uint32_t section_rva = 0, section_offset = 0;
    for (int i = 0; i < (sections < 60 ? sections : 60); i++) {
        if (section + PE_SECTION_HEADER_SIZE >= length)
            return 0;
        uint32_t virtual_address = le32(pe + section + 12);
        if (rva >= virtual_address && section_rva <= virtual_address) {
            section_rva = virtual_address;
            section_offset = le32(pe + section + 20);
        }
        section += PE_SECTION_HEADER_SIZE;
    }
    return section_offset + (rva - section_rva);
}

static uint64_t elf32_rva_to_offset(const uint8_t *data, uint64_t size, uint64_t rva)
{
    if (le16(data + 16) == ELF_ET_EXEC) {
        uint32_t ph_offset = le32(data + 28);
        uint16_t count = le16(data + 44);
        if (ph_offset == 0 || count == 0 ||
            (uint64_t)ph_offset + (uint64_t)ELF32_PROGRAM_HEADER_SIZE * count > size)
            return 0;
        for (uint16_t i = 0; i < count; i++) {
            const uint8_t *ph = data + ph_offset + (uint64_t)i * ELF32_PROGRAM_HEADER_SIZE;
            uint32_t vaddr = le32(ph + 8), end = vaddr + le32(ph + 20); /* wraps like yara */
            if (rva >= vaddr && rva < end)
                return le32(ph + 4) + (rva - vaddr);
        }
        return 0;
    }
    uint32_t sh_offset = le32(data + 32);
    uint16_t count = le16(data + 48);
    if (sh_offset == 0 || count == 0 ||
        (uint64_t)sh_offset + (uint64_t)ELF32_SECTION_HEADER_SIZE * count > size)
        return 0;
    for (uint16_t i = 0; i < count; i++) {
        const uint8_t *sh = data + sh_offset + (uint64_t)i * ELF32_SECTION_HEADER_SIZE;
        uint32_t type = le32(sh + 4), addr = le32(sh + 12), end = addr + le32(sh + 20);
        if (type != ELF_SHT_NULL && type != ELF_SHT_NOBITS && rva >= addr && rva < end)
            return le32(sh + 16) + (rva - addr);
    }
    return 0;
}

static uint64_t elf64_rva_to_offset(const uint8_t *data, uint64_t size, uint64_t rva)
{
    if (le16(data + 16) == ELF_ET_EXEC) {
        uint64_t ph_offset = le64(data + 32);
        uint16_t count = le16(data + 56);
        uint64_t table = (uint64_t)ELF64_PROGRAM_HEADER_SIZE * count;
        if (ph_offset == 0 || count == 0 || ph_offset > UINT64_MAX - table ||
            ph_offset + table > size)
            return 0;
        for (uint16_t i = 0; i < count; i++) {
            const uint8_t *ph = data + ph_offset + (uint64_t)i * ELF64_PROGRAM_HEADER_SIZE;
            uint64_t vaddr = le64(ph + 16), end = vaddr + le64(ph + 40);
            if (rva >= vaddr && rva < end)
                return le64(ph + 8) + (rva - vaddr);
        }
        return 0;
    }
    uint64_t sh_offset = le64(data + 40);
    uint16_t count = le16(data + 60);
    uint64_t table = (uint64_t)ELF64_SECTION_HEADER_SIZE * count;
    if (sh_offset == 0 || count == 0 || sh_offset > UINT64_MAX - table || sh_offset + table > size)
        return 0;
    for (uint16_t i = 0; i < count; i++) {
        const uint8_t *sh = data + sh_offset + (uint64_t)i * ELF64_SECTION_HEADER_SIZE;
        uint32_t type = le32(sh + 4);
        uint64_t addr = le64(sh + 16), end = addr + le64(sh + 32);
        if (type != ELF_SHT_NULL && type != ELF_SHT_NOBITS && rva >= addr && rva < end)
            return le64(sh + 24) + (rva - addr);
    }
    return 0;
}

bool vt_entry_point_offset(const uint8_t *data, uint64_t size, int64_t *offset)
{
    int64_t pe = pe_header(data, size);
    if (pe >= 0) {
        const uint8_t *header = data + pe;
        *offset = (int64_t)pe_rva_to_offset(header, le32(header + 40), size - (uint64_t)pe);
        return true;
    }
    if (size < 16 || memcmp(data, "\x7f" "ELF", 4) != 0)
        return false;
    if (data[4] == 1 && size >= ELF32_HEADER_SIZE) {
        *offset = (int64_t)elf32_rva_to_offset(data, size, le32(data + 24));
        return true;
    }
    if (data[4] == 2 && size >= ELF64_HEADER_SIZE) {
        *offset = (int64_t)elf64_rva_to_offset(data, size, le64(data + 24));
        return true;
    }
    return false;
}
