/* emulate_internal.h (private to lib/match): the emulation plan of one string, shared by its
 * builder (emulate.c) and its runner (emulate_scan.c). */
#ifndef VITRINE_MATCH_EMULATE_INTERNAL_H
#define VITRINE_MATCH_EMULATE_INTERNAL_H

#include "atoms.h"
#include "emulate.h"
#include "yara_code.h"

typedef struct atom_entry {
    uint8_t bytes[VT_MAX_ATOM_LENGTH], mask[VT_MAX_ATOM_LENGTH];
    uint8_t len;
    uint32_t source; /* index into sources */
} atom_entry;        /* its rank is its index: the order yara added it to the automaton */

typedef struct atom_source {
    uint32_t forward_pc, backward_pc;
    uint32_t max_back; /* bytes between a match start and this atom, at most */
    uint32_t fast_at;  /* fast strings: index in fast_ops of the node the atom starts at */
} atom_source;

/* One instruction of yara's fast regexp code (hex strings without alternatives), run by
 * yr_re_fast_exec instead of the fiber engine. */
typedef enum fast_kind { FAST_LITERAL, FAST_MASKED, FAST_ANY, FAST_REPEAT_ANY, FAST_MATCH } fast_kind;
typedef struct fast_op {
    uint8_t kind, value, mask;
    bool negated;
    uint16_t min, max; /* FAST_REPEAT_ANY: a jump [min-max] */
} fast_op;

struct vt_emulation {
    vt_yara_code code;
    atom_entry *entries;
    size_t nentries;
    atom_source *sources;
    size_t nsources;
    uint32_t *by_first;    /* entries by possible first byte: index[b]..index[b+1] */
    uint32_t index[257];
    /* bit (b0 << 8 | b1): an atom can start with byte b0 followed by b1 (every b1 for atoms of
     * one byte); the scan skips the positions where no atom can start */
    uint8_t pairs[8192];
    bool starts[256];      /* an atom can start with this byte */
    int only_start;        /* the one byte every atom starts with, or -1 */
    uint8_t start_bytes[4]; /* every byte an atom can start with, when there are at most 4 */
    int nstart_bytes;       /* how many (0: more than 4) */
    /* The pairs again, coarser, as 8 buckets of (first byte set, second byte set), each set
     * given by nibble tables: pair_nibbles[0 + 2 * k][n] has bit j when bucket j's set for
     * byte k (0: first, 1: second) holds a byte whose low nibble (high nibble for
     * pair_nibbles[1 + 2 * k]) is n. Every pair of `pairs` lies in some bucket, so a position
     * whose two bytes are in no bucket starts no atom: the scan rules out 32 positions at a
     * time with these (PSHUFB), and checks `pairs` where they let a position through. */
    uint8_t pair_nibbles[4][16];
    bool pair_buckets; /* the tables are set and the CPU can run that search (AVX2) */
    bool zero_atom;        /* no atom: every offset, forward from the root, no backward */
    bool ascii, wide, fullword, greedy;
    bool split_ids;        /* a repeat's body can match empty: yara's split-id rule can fire */
    uint32_t max_back;
    /* A hex string without alternatives is a "fast regexp" for yara: its verification runs
     * yr_re_fast_exec over these instructions (the top-level sequence) instead of the code. */
    fast_op *fast_ops;
    size_t nfast; /* 0: not fast */
};

#endif
