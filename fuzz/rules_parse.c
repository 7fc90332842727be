/* rules_parse.c: fuzz target for the YARA rule compiler: compile the input bytes as a rule
 * source; when it compiles, the image must validate again from its bytes (round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/rules.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_error err;
    vt_compiler *c;
    if (vt_compiler_new(&c, &err) != VT_OK)
        return 0;
    vt_compiler_define(c, "ext_int", "1", &err);
    vt_compiler_define(c, "ext_str", "text", &err);
    vt_ruleset *rs = NULL;
    if (vt_compiler_add_source(c, "fuzz", "fuzz.yar", (const char *)data, size, &err) == VT_OK &&
        vt_compiler_finish(c, &rs, &err) == VT_OK) {
        size_t len;
        const void *image = vt_ruleset_image(rs, &len);
        vt_ruleset *again = NULL;
        if (vt_ruleset_from_bytes(image, len, &again, &err) != VT_OK)
            abort(); /* a compiled ruleset must always validate */
        vt_ruleset_free(again);
    }
    vt_ruleset_free(rs);
    vt_compiler_free(c);
    return 0;
}
