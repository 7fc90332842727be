/* rules_split.c: fuzz target for splitting a rule file into log-entry pieces
 * (vt_rules_split_source). The first byte picks the piece size (16..4111 bytes), the rest is the
 * source. Whenever the source compiles as one file and the split succeeds, every piece must fit
 * and the pieces compiled in order into one namespace must compile to the same number of rules
 * (a split never changes what a file defines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/rules.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rules defined by compiling the sources in order into one namespace, or -1. */
static long rule_count(const char *const *texts, const size_t *lens, size_t count)
{
    vt_error err;
    vt_compiler *c;
    if (vt_compiler_new(&c, &err) != VT_OK)
        return -1;
    vt_status st = VT_OK;
    for (size_t i = 0; i < count && st == VT_OK; i++)
        st = vt_compiler_add_source(c, "fuzz", "fuzz.yar", texts[i], lens[i], &err);
    vt_ruleset *rs = NULL;
    if (st == VT_OK)
        st = vt_compiler_finish(c, &rs, &err);
    vt_compiler_free(c);
    long n = -1;
    if (st == VT_OK) {
        vt_ruleset_view view;
        vt_ruleset_get_view(rs, &view);
        n = (long)view.rule_count;
    }
    vt_ruleset_free(rs);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max_len = 16 + (size_t)data[0] * 16;
    const char *src = (const char *)data + 1;
    size_t len = size - 1;
    vt_source_piece *pieces = NULL;
    size_t count = 0;
    vt_error err;
    if (vt_rules_split_source("fuzz.yar", src, len, max_len, &pieces, &count, &err) != VT_OK)
        return 0;
    const char **texts = calloc(count ? count : 1, sizeof *texts);
    size_t *lens = calloc(count ? count : 1, sizeof *lens);
    if (texts && lens) {
        for (size_t i = 0; i < count; i++) {
            if (pieces[i].len > max_len || pieces[i].text[pieces[i].len] != 0)
                abort(); /* a piece over the limit */
            texts[i] = pieces[i].text;
            lens[i] = pieces[i].len;
        }
        long whole = rule_count(&src, &len, 1);
        if (whole >= 0 && rule_count(texts, lens, count) != whole)
            abort(); /* the pieces do not define the file's rules */
    }
    free(texts);
    free(lens);
    vt_source_pieces_free(pieces, count);
    return 0;
}
