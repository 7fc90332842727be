/* modrt_dotnet.c: fuzz target for the dotnet module of the module runtime: hostile bytes loaded
 * as the scanned file (a PE file with .NET metadata: CLI header, stream headers, #~ tables,
 * heaps) and dumped (fuzz/modrt_common.h). The module has no functions. */
#include "modrt_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_module("dotnet", NULL, 0, data, size);
}
