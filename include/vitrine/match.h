/* vitrine/match.h: finding YARA strings in data with yara 4.2.3's exact results.
 *
 * Promises:
 * - For every string (text, hex, regex, with its modifiers) the matches reported are those yara
 *   4.2.3 reports: same start offsets, same lengths, one match per offset, in increasing offset
 *   order per string; xor matches carry their key.
 * - Verification of hex strings and regexes is a Pike-VM simulation: no backtracking, the cost
 *   of checking one offset (or, for the strings yara verifies from their atoms, one atom hit) is
 *   bounded by VT_RE_SCAN_LIMIT x the program size, whatever the data.
 * - Compiled matchers are immutable and shared by threads; all per-scan state lives in a
 *   vt_match_scratch owned by one thread.
 */
#ifndef VITRINE_MATCH_H
#define VITRINE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/pattern.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_match {
    uint32_t string_id; /* the id given with the string */
    uint64_t offset;
    uint32_t length;
    uint8_t xor_key;    /* the key of an xor match (0 otherwise) */
} vt_match;

/* Called for each match; return nonzero to stop the scan. */
typedef int (*vt_match_fn)(void *ctx, const vt_match *match);

/* ---- one string ----------------------------------------------------------------------------- */

typedef struct vt_string_matcher vt_string_matcher;

/* Compile one YARA string (parses its hex / regex source). Its matches are those yara finds
 * for the string in a rule: for the hex strings and regexes whose result depends on the atoms
 * yara searches (docs/patterns.md), that is yara's verification from those atoms. */
VT_API vt_status vt_string_matcher_new(const vt_string_spec *spec, uint32_t id,
                                       vt_string_matcher **out, vt_error *err);

/* Compile a regular expression of a condition (`matches`), which yara runs from every offset
 * without atoms: the match at each offset is the leftmost-priority one. */
VT_API vt_status vt_regex_matcher_new(const vt_string_spec *spec, vt_string_matcher **out,
                                      vt_error *err);
VT_API void vt_string_matcher_free(vt_string_matcher *matcher);

typedef struct vt_match_scratch vt_match_scratch;

/* Per-thread working memory for verifying any string (grows as needed; caches lazily built DFAs
 * of the programs it has run). NULL on allocation failure; freeing NULL is allowed. */
VT_API vt_match_scratch *vt_match_scratch_new(void);
VT_API void vt_match_scratch_free(vt_match_scratch *scratch);

/* Give the scratch the deadline of the scan it is used for (NULL: none): verification counts
 * its work there and stops with VT_ERR_TIMEOUT once it has passed. */
VT_API void vt_match_scratch_set_deadline(vt_match_scratch *scratch, vt_deadline *deadline);

/* The match yara reports for this string at `offset` of data[0..len), if any: sets *found and
 * fills *match. For a string yara verifies from its atoms this is the leftmost-priority match
 * at the offset, which may differ from yara's: use the scans for those. Fails with
 * VT_ERR_NOMEM when working memory runs out and VT_ERR_TIMEOUT when the scratch's deadline has
 * passed: never a "no match" that was not checked. */
VT_API vt_status vt_string_match_at(const vt_string_matcher *matcher, vt_match_scratch *scratch,
                                    const uint8_t *data, size_t len, size_t offset, vt_match *match,
                                    bool *found);

/* Every match of one string, trying each offset (a reference scan without prefiltering).
 * Stops after VT_MAX_STRING_MATCHES matches like yara. */
VT_API vt_status vt_string_matcher_scan(const vt_string_matcher *matcher, vt_match_scratch *scratch,
                                        const uint8_t *data, size_t len, vt_match_fn fn, void *ctx,
                                        vt_error *err);

/* yara's yr_re_match (the tests module's tests.match) for a regex matcher: yara's regex engine
 * run once over data[0..len) with RE_FLAGS_SCAN, where the threads started at each offset rank
 * below those started earlier and a match kills the threads below it. So the first offset that
 * matches (even an empty match) ends at E and cancels the offsets up to E, the next offset after
 * E that matches starts again, and *end is where the last of these ends; -1 when nothing
 * matches. Offset len itself is tried only when len is 0. VT_ERR_NOMEM on allocation failure;
 * VT_ERR_ARGUMENT for a matcher that is not a regex. */
VT_API vt_status vt_string_matcher_regex_match(const vt_string_matcher *matcher,
                                               vt_match_scratch *scratch, const uint8_t *data,
                                               size_t len, int64_t *end, vt_error *err);

/* yara's `matches` (and the regex arguments of module functions): whether the regex matches
 * at an offset of data[0..len), an empty match included, as yr_re_exec with RE_FLAGS_SCAN finds
 * one (`"xyz" matches /a*\/` is true; the empty string matches nothing, not even /^$/). Fails
 * like vt_string_matcher_scan: never "no match" for a search that could not be completed. */
VT_API vt_status vt_string_matcher_regex_search(const vt_string_matcher *matcher,
                                                vt_match_scratch *scratch, const uint8_t *data,
                                                size_t len, bool *found, vt_error *err);

/* Render match data the way `yara -s` prints it: hex strings as "4D 5A 90" (at most 64 bytes,
 * then " ..."), the others as text with bytes outside 0x20-0x7E written \xHH (at most 512
 * bytes, yara's YR_MAX_MATCH_DATA). Returns the length the text needs (snprintf). */
VT_API int vt_match_format_data(const vt_string_matcher *matcher, const uint8_t *data,
                                const vt_match *match, char *out, size_t out_size);

/* ---- many strings: the multi-string matcher --------------------------------------------- */

typedef struct vt_matcher vt_matcher;
typedef struct vt_matcher_scratch vt_matcher_scratch;

/* Compile strings specs[0..count) (their ids are their indexes) into one matcher: one
 * Vectorscan database of prefilter factors (and a second one without the factors of the strings
 * of the most common header gate, when those are at least half of them; when every factor is a
 * literal, up to two of two bytes are searched by the matcher itself instead); each string's
 * verifier is built the first time a scan needs it. Fails with the string's parse error if a hex string or regex is invalid, and
 * with VT_ERR_LIMIT if one is too large to verify. */
VT_API vt_status vt_matcher_build(const vt_string_spec *specs, size_t count, vt_matcher **out,
                                  vt_error *err);
VT_API void vt_matcher_free(vt_matcher *matcher);
VT_API size_t vt_matcher_string_count(const vt_matcher *matcher);

/* Per-thread scan state for one matcher (NULL on allocation failure). */
VT_API vt_matcher_scratch *vt_matcher_scratch_new(const vt_matcher *matcher);
VT_API void vt_matcher_scratch_free(vt_matcher_scratch *scratch);
/* The deadline of the scans made with this scratch (NULL: none); see
 * vt_match_scratch_set_deadline. */
VT_API void vt_matcher_scratch_set_deadline(vt_matcher_scratch *scratch, vt_deadline *deadline);

/* Whether the scans made with this scratch must report the strings whose header gate the data
 * fails (default false: see vt_matcher_scan). */
VT_API void vt_matcher_scratch_set_every_string(vt_matcher_scratch *scratch, bool every_string);

/* Scan data once and report every match of every string: strings in index order, each string's
 * matches in increasing offset order, at most VT_MAX_STRING_MATCHES per string. A string whose
 * spec's header gate the data fails (its rule cannot match this file) may be left unreported,
 * unless the scratch asks for every string: the matcher then scans with a second database
 * without the factors of those strings, when they are most of the factors. Fails (the
 * matches reported so far are then incomplete) with VT_ERR_NOMEM when memory runs out and
 * VT_ERR_TIMEOUT when the scratch's deadline passes. */
VT_API vt_status vt_matcher_scan(const vt_matcher *matcher, vt_matcher_scratch *scratch,
                                 const uint8_t *data, size_t len, vt_match_fn fn, void *ctx,
                                 vt_error *err);

/* Save a compiled matcher (string specs, factor and pattern tables and the serialized
 * Vectorscan databases, format "VTMATCH6", little-endian) and load it back without recompiling
 * Vectorscan. Loading refuses truncated, corrupt or foreign data with VT_ERR_FORMAT, and a
 * Vectorscan database serialized for a CPU this one cannot run, or a matcher saved in an
 * earlier format ("VTMATCH1" to "VTMATCH3"), with VT_ERR_STATE (rebuild with vt_matcher_build). */
VT_API vt_status vt_matcher_serialize(const vt_matcher *matcher, vt_buf *out, vt_error *err);
VT_API vt_status vt_matcher_deserialize(const uint8_t *data, size_t len, vt_matcher **out,
                                        vt_error *err);
/* The same, but the matcher keeps pointers into `data` for the strings' sources instead of
 * copying them: data must stay valid and unchanged until vt_matcher_free (a compiled ruleset's
 * section, which outlives its scanner). */
VT_API vt_status vt_matcher_deserialize_borrowed(const uint8_t *data, size_t len, vt_matcher **out,
                                                 vt_error *err);

#ifdef __cplusplus
}
#endif

#endif
