/* modrt_elf.c: fuzz target for the elf module (headers, sections, segments, dynamic section, symbols) of the module
 * runtime: hostile bytes loaded as the scanned file, dumped, and its functions called
 * (fuzz/modrt_common.h). */
#include "modrt_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_module("elf", NULL, 0, data, size);
}
