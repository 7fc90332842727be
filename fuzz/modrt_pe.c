/* modrt_pe.c: fuzz target for the pe module (headers, sections, imports, exports, resources, version info, signatures) of the module
 * runtime: hostile bytes loaded as the scanned file, dumped, and its functions called
 * (fuzz/modrt_common.h). */
#include "modrt_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const functions[] = {"imphash", "is_dll", "is_32bit", "is_64bit", "calculate_checksum",
        "rva_to_offset", "section_index", "exports", "exports_index", "locale", "language"};
    return fuzz_module("pe", functions, sizeof functions / sizeof functions[0], data, size);
}
