/* pattern_regex.c: fuzz target for the regex parser, compiler and verifier (see
 * pattern_common.h). Input: one mode byte (bits: /i, /s, wide, ascii, nocase, fullword), then
 * the regex as written between the slashes. */
#include "pattern_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pattern(data, size, VT_STRING_REGEX);
    return 0;
}
