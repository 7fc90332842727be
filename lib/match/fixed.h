/* fixed.h (private to lib/match): programs that are a straight run of byte sets, matched by
 * comparing bytes instead of running an automaton. */
#ifndef VITRINE_MATCH_FIXED_H
#define VITRINE_MATCH_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vt_program vt_program;
typedef struct vt_fixed vt_fixed;

/* The fixed form of `prog` in *out, or NULL when prog is not a straight run of BYTE
 * instructions ending in MATCH (or is empty). False only when memory runs out. */
bool vt_fixed_build(const vt_program *prog, vt_fixed **out);
void vt_fixed_free(vt_fixed *fixed);

/* What vt_pike_match_at gives for one-byte characters: the run's length when every byte from
 * `start` is in its set and the run fits in the data and in `reach` (the scan limit, counted as
 * yara counts it from its atom), else -1. */
long vt_fixed_match_at(const vt_fixed *fixed, const uint8_t *data, size_t len, size_t start,
                       size_t reach);

#endif
