/* atoms.h (private to lib/match): yara's atoms, the short substrings (up to 4 bytes, with masks)
 * that yara 4.2.3 extracts from each string and searches for, and its heuristic atom quality,
 * which decides the "may slow down scanning" warning. */
#ifndef VITRINE_MATCH_ATOMS_H
#define VITRINE_MATCH_ATOMS_H

#include <stdint.h>

#include <vitrine/pattern.h>

#include "ast.h"

#define VT_MAX_ATOM_LENGTH 4
#define VT_MAX_ATOM_QUALITY 255
#define VT_MIN_ATOM_QUALITY 0
/* YR_ATOM_QUALITY_WARNING_THRESHOLD: the quality of atom "61 61". */
#define VT_ATOM_QUALITY_WARNING_THRESHOLD (VT_MAX_ATOM_QUALITY - 22 * VT_MAX_ATOM_LENGTH + 38)

typedef struct vt_atom {
    uint8_t len;
    uint8_t bytes[VT_MAX_ATOM_LENGTH];
    uint8_t mask[VT_MAX_ATOM_LENGTH];
} vt_atom;

int vt_atom_quality(const vt_atom *atom);

/* The quality yara assigns to the atoms it chooses for a pattern (min over the chosen atoms;
 * VT_MIN_ATOM_QUALITY when no atom can be extracted). */
int vt_atoms_pattern_quality(const vt_node *root);

/* One atom yara chose for a pattern: its bytes (trimmed) and the node of its first byte, from
 * which yara verifies forwards and backwards. */
typedef struct vt_chosen_atom {
    vt_atom atom;
    const vt_node *node;
} vt_chosen_atom;

typedef struct vt_chosen_atom_list {
    vt_chosen_atom *items;
    size_t count, cap;
} vt_chosen_atom_list;

/* The atoms yara 4.2.3 searches for a hex string or regex (yr_atoms_extract_from_re before the
 * wildcard, wide and case expansions), in yara's list order; none when yara uses its
 * zero-length atom. The caller frees out->items. */
vt_status vt_atoms_choose(const vt_node *root, vt_chosen_atom_list *out);

/* yara's min_atom_quality for a whole string (text, hex or regex, with modifiers). For a text
 * string it may stop once the quality is known to be at least `enough` (*quality is then some
 * value >= enough); VT_MAX_ATOM_QUALITY asks for the exact quality. */
vt_status vt_atoms_string_quality(const vt_string_spec *spec, int enough, int *quality,
                                  vt_error *err);
/* The quality of a parsed hex string's atoms, as vt_atoms_string_quality gives it. */
int vt_atoms_hex_quality(const vt_pattern *hex);

/* A hex string without alternatives, as a list of items (vt_pattern_check_hex reads it so). */
enum { VT_HEX_ITEM_BYTE, VT_HEX_ITEM_NEGATED, VT_HEX_ITEM_JUMP };
typedef struct vt_hex_item {
    uint8_t kind;
    uint8_t value, mask; /* BYTE, NEGATED: mask 0 for ?? */
    int min, max;        /* JUMP: max -1 for an unbounded one */
} vt_hex_item;
/* vt_hex_pattern_is_slow of the hex string these items are. */
bool vt_atoms_flat_hex_is_slow(const vt_hex_item *items, size_t n);

#endif
