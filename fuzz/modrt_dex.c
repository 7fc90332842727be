/* modrt_dex.c: fuzz target for the dex module of the module runtime: hostile bytes loaded as
 * the scanned file (header, id tables, map list, class data with ULEB128 numbers), dumped, and
 * has_method / has_class called (fuzz/modrt_common.h). */
#include "modrt_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const functions[] = {"has_method", "has_class"};
    return fuzz_module("dex", functions, sizeof functions / sizeof functions[0], data, size);
}
