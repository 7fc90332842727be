/* emulate.h (private to lib/match): yara 4.2.3's way of finding a hex string or regex, for the
 * strings where it gives other matches than the leftmost-priority match from each offset. yara
 * searches the atoms it chose (atoms.c), and from every atom hit, in the order its Aho-Corasick
 * scan finds them, matches forwards from the atom (yara's priorities) and backwards to every
 * possible start; the first length found for an offset is kept (the last one for greedy
 * regexes). */
#ifndef VITRINE_MATCH_EMULATE_H
#define VITRINE_MATCH_EMULATE_H

#include <vitrine/match.h>

#include "ast.h"

typedef struct vt_emulation vt_emulation;
typedef struct vt_emul_scratch vt_emul_scratch;

/* Decide how a parsed hex string, regex or base64 pattern must be verified. *out is NULL when
 * the leftmost-priority match from each offset is yara's match; then *origin is the number of
 * characters before yara's atom (yara's 4096-byte scan limit counts from there). Otherwise *out
 * is the plan for emulating yara. */
vt_status vt_emulation_new(const vt_string_spec *spec, const vt_pattern *pattern,
                           vt_emulation **out, uint32_t *origin);
void vt_emulation_free(vt_emulation *em);

vt_emul_scratch *vt_emul_scratch_new(void);
void vt_emul_scratch_free(vt_emul_scratch *s);
/* The deadline the runs count their steps against (NULL: none); a scan that sees it passed
 * stops with VT_ERR_TIMEOUT. */
void vt_emul_scratch_set_deadline(vt_emul_scratch *s, vt_deadline *deadline);

typedef struct vt_offset_range {
    uint64_t lo, hi; /* inclusive */
} vt_offset_range;

/* Report (in increasing offset order, at most VT_MAX_STRING_MATCHES) the matches yara finds for
 * the string in data[0..len) whose start lies in one of `ranges` (sorted by lo; NULL: anywhere).
 * Returns VT_ERR_NOMEM when memory runs out; *stopped is set when fn asked to stop. */
vt_status vt_emulation_scan(const vt_emulation *em, uint32_t string_id, vt_emul_scratch *s,
                            const uint8_t *data, size_t len, const vt_offset_range *ranges,
                            size_t nranges, vt_match_fn fn, void *ctx, bool *stopped);

#endif
