/* modrt_macho.c: fuzz target for the macho module (thin and fat Mach-O files) of the module
 * runtime: hostile bytes loaded as the scanned file, dumped, and its functions called
 * (fuzz/modrt_common.h). */
#include "modrt_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const functions[] = {"file_index_for_arch", "entry_point_for_arch"};
    return fuzz_module("macho", functions, sizeof functions / sizeof functions[0], data, size);
}
