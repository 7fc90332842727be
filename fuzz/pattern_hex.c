/* pattern_hex.c: fuzz target for the hex-string parser, compiler and verifier (see
 * pattern_common.h). Input: one mode byte, then the hex string. */
#include "pattern_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pattern(data, size, VT_STRING_HEX);
    return 0;
}
