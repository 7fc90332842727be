/* slow.c: yara's "string may slow down scanning" verdict, from the quality of the atoms yara
 * would extract for the string (libyara atoms.c, heuristic quality). */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "atoms.h"

vt_status vt_string_is_slow(const vt_string_spec *spec, bool *slow, vt_error *err)
{
    int quality = 0;
    vt_status st =
        vt_atoms_string_quality(spec, VT_ATOM_QUALITY_WARNING_THRESHOLD, &quality, err);
    if (st != VT_OK)
        return st;
    *slow = quality < VT_ATOM_QUALITY_WARNING_THRESHOLD;
    return VT_OK;
}

bool vt_hex_pattern_is_slow(const vt_pattern *hex)
{
    return vt_atoms_hex_quality(hex) < VT_ATOM_QUALITY_WARNING_THRESHOLD;
}

static bool nullable(const vt_node *n)
{
    switch (n->kind) {
    case VT_NODE_LITERAL: case VT_NODE_MASKED: case VT_NODE_ANY: case VT_NODE_CLASS:
        return false;
    case VT_NODE_CONCAT:
        for (size_t i = 0; i < n->nkids; i++)
            if (!nullable(n->kids[i]))
                return false;
        return true;
    case VT_NODE_ALT:
        for (size_t i = 0; i < n->nkids; i++)
            if (nullable(n->kids[i]))
                return true;
        return false;
    case VT_NODE_REPEAT:
        return n->min == 0 || nullable(n->kids[0]);
    default:
        return true;
    }
}

bool vt_pattern_matches_empty(const vt_pattern *pattern)
{
    return nullable(pattern->root);
}

/* yara's _yr_re_node_has_unbounded_quantifier_for_dot: the node itself, or (only through
 * concatenations) one of its elements; an alternation hides what is inside it. */
static bool unbounded_dot(const vt_node *n)
{
    if (n->kind == VT_NODE_REPEAT && !n->hex_jump && n->kids[0]->kind == VT_NODE_ANY &&
        !n->kids[0]->grouped && (n->max < 0 || n->max == VT_RE_MAX_RANGE))
        return true;
    if (n->kind == VT_NODE_CONCAT)
        for (size_t i = 0; i < n->nkids; i++)
            if (unbounded_dot(n->kids[i]))
                return true;
    return false;
}

bool vt_pattern_has_unbounded_dot(const vt_pattern *pattern)
{
    return !pattern->is_hex && unbounded_dot(pattern->root);
}
