/* gate.c: header gates (vitrine/pattern.h), the bytes a string's rule requires at fixed offsets
 * of a file. The matcher asks here whether a file has them, and whether one gate's bytes
 * include another's, or rule it out; which bytes a rule requires is decided in lib/cond/gate.c. */
#include <vitrine/pattern.h>

bool vt_header_gate_passes(const vt_header_gate *g, const uint8_t *data, size_t len)
{
    for (unsigned i = 0; i < g->count && i < VT_GATE_MAX; i++)
        if (g->offset[i] >= len || data[g->offset[i]] != g->value[i])
            return false;
    return true;
}

bool vt_header_gate_implies(const vt_header_gate *g, const vt_header_gate *weaker)
{
    for (unsigned i = 0; i < weaker->count && i < VT_GATE_MAX; i++) {
        bool has = false;
        for (unsigned k = 0; k < g->count && k < VT_GATE_MAX && !has; k++)
            has = g->offset[k] == weaker->offset[i] && g->value[k] == weaker->value[i];
        if (!has)
            return false;
    }
    return true;
}

bool vt_header_gate_excludes(const vt_header_gate *g, const vt_header_gate *other)
{
    for (unsigned i = 0; i < g->count && i < VT_GATE_MAX; i++)
        for (unsigned k = 0; k < other->count && k < VT_GATE_MAX; k++)
            if (g->offset[i] == other->offset[k] && g->value[i] != other->value[k])
                return true;
    return false;
}
