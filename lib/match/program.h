/* program.h (private to lib/match): a pattern compiled to a Pike-VM program, and the anchored,
 * linear-time simulation that gives yara's match length for one start offset. */
#ifndef VITRINE_MATCH_PROGRAM_H
#define VITRINE_MATCH_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/pattern.h>

#include "ast.h"

typedef enum vt_op {
    VT_OP_BYTE,   /* consume one character whose byte is in sets[arg] */
    VT_OP_SPLIT,  /* continue at x (preferred) and y */
    VT_OP_JMP,    /* continue at x */
    VT_OP_MATCH,
    VT_OP_BOL,    /* offset 0 of the data */
    VT_OP_EOL,    /* end of the data or of the scan window */
    VT_OP_WORDB,
    VT_OP_NWORDB,
} vt_op;

typedef struct vt_inst {
    uint8_t op;
    uint32_t x, y; /* BYTE: x = set index */
} vt_inst;

typedef struct vt_program {
    vt_inst *code;
    uint32_t len, cap;
    uint8_t (*sets)[32];
    uint32_t nsets, capsets;
    bool anchored_start; /* begins with ^: only offset 0 can match */
    uint8_t first[32];   /* bytes a non-empty match can begin with */
    bool has_assertions; /* uses ^ $ \b \B (the DFA path needs none) */
    uint64_t digest;     /* hash of code and sets: identical programs share cached DFAs */
    struct vt_fixed *fixed; /* a straight run of byte sets (fixed.h), else NULL */
    uint32_t atom_origin; /* characters before yara's atom: its scan limit counts from there */
} vt_program;

/* Largest program the compiler builds (yara refuses larger regexes too). */
#define VT_PROGRAM_MAX 262144

/* Compile a parsed pattern; `nocase` adds the other case of every byte (yara's /i, nocase). */
/* Append one instruction to `prog`, growing its code; returns its index, or UINT32_MAX with
 * *status set (VT_ERR_LIMIT past VT_PROGRAM_MAX, VT_ERR_NOMEM). */
uint32_t vt_program_append(vt_program *prog, vt_op op, uint32_t x, uint32_t y, vt_status *status);

/* The bytes one character node (literal, masked, any, class) matches, yara's way: `dotall` lets
 * `.` match newline; with `nocase` a negated class excludes both cases of what it lists. The
 * other case of the result is not added (vt_set_fold_case does that). */
void vt_node_byte_set(const vt_node *n, bool nocase, bool dotall, uint8_t *set);
/* Shortest number of bytes a node consumes, VT_RE_SCAN_LIMIT + 1 when longer (for clamping
 * repeats). */
long vt_node_min_length(const vt_node *n);

/* Repeat n's bounds as both code layouts take them: more copies than a match within the scan
 * limit can hold are left out (*min), and a repeat that such a match cannot exhaust is a loop
 * (*max -1: /(x?){2,}/ would otherwise be 32,767 copies of x?). A copy that may be empty counts
 * as one byte. */
void vt_repeat_bounds(const vt_node *n, long *min, long *max);

/* yara's layout of a counted repeat e{min,max} (re.c, RE_NODE_RANGE; max -1: a loop, laid out
 * as e{min,min+2} with a loop for its repeat section): a prolog copy, a repeat section of rmin
 * mandatory copies then rmax - rmin optional ones (or the loop), a SPLIT and an epilog copy. */
typedef struct vt_range_layout {
    bool loop, prolog, repeat, split, epilog;
    long max, rmin, rmax;
} vt_range_layout;
vt_range_layout vt_range_layout_of(long min, long max);
/* Add to `set` the other case of every ASCII letter in it. */
void vt_set_fold_case(uint8_t *set);
/* Append a 32-byte set to `prog`'s sets; its index, or UINT32_MAX with *status VT_ERR_NOMEM. */
uint32_t vt_program_store_set(vt_program *prog, const uint8_t *set, vt_status *status);

vt_status vt_program_compile(const vt_pattern *pattern, bool nocase, vt_program **out,
                             vt_error *err);
/* VT_ERR_LIMIT ("regular expression is too large") when vt_program_compile would refuse the
 * pattern for its size, without compiling it (the matcher builds verifiers only when a scan
 * needs them, but refuses such a string when it is built). */
vt_status vt_program_check_size(const vt_pattern *pattern, vt_error *err);
void vt_program_free(vt_program *prog);

/* Working memory for runs of one program (one per thread). */
typedef struct vt_pike_scratch vt_pike_scratch;
vt_pike_scratch *vt_pike_scratch_new(void);
/* Make room for runs of `prog`; false when memory runs out. */
bool vt_pike_scratch_fit(vt_pike_scratch *scratch, const vt_program *prog);
void vt_pike_scratch_free(vt_pike_scratch *scratch);
/* Runs count their steps against `deadline` (NULL: none); a run that sees it passed returns
 * early (its result is then meaningless: callers check vt_deadline_passed). */
void vt_pike_scratch_set_deadline(vt_pike_scratch *scratch, vt_deadline *deadline);

/* Between begin and end, consecutive runs of ONE program over ONE unchanged data buffer may
 * share what earlier runs learnt (a run that reaches a position in the same DFA state as an
 * earlier one has the same future). Outside, nothing is remembered between runs. */
void vt_pike_memo_begin(vt_pike_scratch *scratch);
void vt_pike_memo_end(vt_pike_scratch *scratch);

/* Length of yara's match starting at `start` (characters of `char_size` bytes: 1, or 2 for wide),
 * looking at most VT_RE_SCAN_LIMIT bytes past the atom origin; -1 when none. Zero-length results
 * are returned as 0 (yara does not report them). `scratch` must come from the same program. */
long vt_pike_match_at(const vt_program *prog, vt_pike_scratch *scratch, const uint8_t *data,
                      size_t len, size_t start, int char_size);

/* True if yara's regex engine started at `start` (0 <= start <= len, 1-byte characters) reaches
 * a match without reading a byte: an empty match, which vt_pike_match_at does not look for where
 * no byte can start a match (o* before "x", $ at the end). */
bool vt_pike_matches_empty_at(const vt_program *prog, vt_pike_scratch *scratch,
                              const uint8_t *data, size_t len, size_t start);

#endif
