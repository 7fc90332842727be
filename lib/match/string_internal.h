/* string_internal.h (private to lib/match): the compiled form of one YARA string. */
#ifndef VITRINE_MATCH_STRING_INTERNAL_H
#define VITRINE_MATCH_STRING_INTERNAL_H

#include <vitrine/match.h>

#include "emulate.h"
#include "program.h"

struct vt_string_matcher {
    uint32_t id;
    vt_string_kind kind;
    unsigned modifiers;
    bool ascii, wide, nocase, base64;
    uint8_t xor_min, xor_max;
    uint8_t *text;      /* text strings (not base64) */
    size_t text_len;
    vt_program *prog;   /* hex, regex and base64 strings */
    vt_emulation *emul; /* set when yara's result depends on its atoms (emulate.c) */
};

/* yara's fullword rule: no alphanumeric character (wide: alnum followed by 0) touching the match
 * at `off` of `mlen` bytes on either side. */
bool vt_fullword_ok(const uint8_t *data, size_t len, size_t off, size_t mlen, bool wide);

/* Turn on (for consecutive offsets of one string over one unchanged buffer) or off the reuse
 * of earlier verification runs. */
void vt_match_scratch_memo(vt_match_scratch *scratch, bool on);

/* The matches of an emulated string (m->emul) starting in `ranges` (sorted by lo; NULL:
 * anywhere), in offset order. */
vt_status vt_string_matcher_scan_ranges(const vt_string_matcher *m, vt_match_scratch *scratch,
                                        const uint8_t *data, size_t len,
                                        const vt_offset_range *ranges, size_t nranges,
                                        vt_match_fn fn, void *ctx, bool *stopped);

/* Fill `err` for a verification that failed with `status` (out of memory, timed out) and
 * return the status. */
vt_status vt_match_error(vt_error *err, vt_status status);

/* The regex yara builds for a base64 / base64wide text string. */
vt_status vt_base64_pattern(const vt_string_spec *spec, vt_pattern **out, vt_error *err);

#endif
