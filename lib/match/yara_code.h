/* yara_code.h (private to lib/match): a pattern's forward and backward code laid out as libyara
 * lays it out, with the places where yara starts verifying from each of its atoms. */
#ifndef VITRINE_MATCH_YARA_CODE_H
#define VITRINE_MATCH_YARA_CODE_H

#include "ast.h"
#include "program.h"

typedef struct vt_yara_code {
    vt_program *forward;     /* the whole pattern, left to right, yara's priorities */
    vt_program *backward;    /* the whole pattern, right to left */
    uint32_t *forward_refs;  /* per atom node: where the forward code starts at it */
    uint32_t *backward_refs; /* per atom node: where the backward code continues before it */
    uint32_t root_ref;       /* where yara's zero-length atom starts (its root's reference) */
    int32_t *forward_ids;    /* per instruction: yara's split id (-1: none) */
    int32_t *backward_ids;
    int32_t nids;            /* split ids are below this */
} vt_yara_code;

/* Emit both codes; atoms[i] are the nodes whose references are wanted. */
vt_status vt_yara_code_build(const vt_pattern *pattern, bool nocase, const vt_node *const *atoms,
                             size_t natoms, vt_yara_code *out);
void vt_yara_code_free(vt_yara_code *code);

/* RE_MAX_SPLIT_ID: yara 4.2.3 refuses a pattern whose code, forwards or backwards, needs more
 * split ids than this ("regular expression is too complex": a regex of 130 alternatives). */
#define VT_RE_MAX_SPLIT_ID 128

/* Whether yara refuses the pattern for its split ids (per piece of a hex string split at its
 * long jumps, which yara compiles one by one). Pure. */
bool vt_yara_code_too_complex(const vt_pattern *pattern);

#endif
