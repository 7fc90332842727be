/* scanner.c: vt_scanner, the immutable part of scanning. It turns a ruleset's strings into one
 * multi-string matcher (or loads the matcher stored in the ruleset), and compiles the regular
 * expressions used by conditions (`matches`, and 'r' arguments of module functions) once, so
 * that per-file work is only matching and evaluation. */
#include <stdlib.h>
#include <string.h>

#include <vitrine/cond.h>
#include <vitrine/match.h>
#include <vitrine/scan.h>

#include "scan_internal.h"

/* The matcher's description of string `s` of the ruleset. */
void vt_ruleset_string_spec(const vt_ruleset *rules, const vt_rs_string *s, vt_string_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->kind = (vt_string_kind)s->kind;
    spec->data = (const uint8_t *)vt_ruleset_str(rules, s->text);
    spec->len = s->text.len;
    spec->modifiers = s->flags & 0xff; /* the VT_MOD_* bits */
    spec->regex_flags = ((s->flags & VT_RS_REGEX_NOCASE) ? VT_REGEX_NOCASE : 0) |
                        ((s->flags & VT_RS_REGEX_DOTALL) ? VT_REGEX_DOTALL : 0);
    spec->xor_min = s->xor_min;
    spec->xor_max = s->xor_max;
    /* yara allows one alphabet for base64 and base64wide together; either field may carry it */
    if (s->base64_alphabet.len)
        spec->base64_alphabet = vt_ruleset_str(rules, s->base64_alphabet);
    else if (s->base64wide_alphabet.len)
        spec->base64_alphabet = vt_ruleset_str(rules, s->base64wide_alphabet);
}

static vt_status build_matcher(const vt_ruleset *rules, vt_matcher **out, vt_error *err)
{
    vt_ruleset_view view;
    vt_ruleset_get_view(rules, &view);
    vt_string_spec *specs = calloc(view.string_count ? view.string_count : 1, sizeof *specs);
    if (!specs)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory building the matcher");
    uint32_t gated_rule = UINT32_MAX; /* strings come rule by rule: one analysis per rule */
    vt_header_gate gate = {0};
    vt_gate_escapes escape = {0};
    for (size_t i = 0; i < view.string_count; i++) {
        vt_ruleset_string_spec(rules, &view.strings[i], &specs[i]);
        if (view.strings[i].rule != gated_rule) {
            gated_rule = view.strings[i].rule;
            vt_cond_rule_gate(rules, gated_rule, &gate, &escape);
        }
        specs[i].gate = gate;
        specs[i].rule = view.strings[i].rule;
        for (unsigned k = 0; k < escape.count; k++)
            specs[i].gate_escape = specs[i].gate_escape || escape.string[k] == i;
    }
    vt_status st = vt_matcher_build(specs, view.string_count, out, err);
    free(specs);
    return st;
}

/* The serialized matcher of `rules`, checked first as a scanner would check them. */
static vt_status serialized_matcher(const vt_ruleset *rules, vt_buf *image, vt_error *err)
{
    vt_matcher *matcher = NULL;
    vt_status st = vt_cond_check(rules, err); /* a ruleset no scanner would take is not saved */
    if (st == VT_OK)
        st = build_matcher(rules, &matcher, err);
    if (st != VT_OK)
        return st;
    st = vt_matcher_serialize(matcher, image, err);
    vt_matcher_free(matcher);
    return st;
}

vt_status vt_ruleset_with_matcher(const vt_ruleset *rules, vt_ruleset **out, vt_error *err)
{
    vt_buf image = {0};
    vt_status st = serialized_matcher(rules, &image, err);
    if (st == VT_OK)
        st = vt_ruleset_with_section(rules, VT_SECTION_MATCHER, image.data, image.len, out, err);
    vt_buf_free(&image);
    return st;
}

vt_status vt_ruleset_add_matcher(vt_ruleset *rules, vt_error *err)
{
    vt_buf image = {0};
    vt_status st = serialized_matcher(rules, &image, err);
    if (st == VT_OK)
        st = vt_ruleset_add_section(rules, VT_SECTION_MATCHER, image.data, image.len, err);
    vt_buf_free(&image);
    return st;
}

/* yara's fixed-offset strings: a string whose every use is `$a at N` with the same constant N
 * is only looked for at N, so its matches elsewhere are never reported (yara -s shows none). */
static vt_status find_fixed_offsets(vt_scanner *scanner, vt_error *err)
{
    vt_ruleset_view view;
    vt_ruleset_get_view(scanner->rules, &view);
    size_t n = view.string_count ? view.string_count : 1;
    scanner->fixed_offsets = malloc(n * sizeof *scanner->fixed_offsets);
    uint8_t *state = calloc(n, 1); /* 0 unused, 1 fixed so far, 2 not fixed */
    if (!scanner->fixed_offsets || !state) {
        free(state);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory preparing the scanner");
    }
    for (size_t i = 0; i < view.node_count; i++) {
        const vt_rs_node *node = &view.nodes[i];
        if (node->op == VT_OP_STRING_SET) {
            for (uint32_t k = 0; k < node->c && (uint64_t)node->b + k < view.list_count; k++)
                if (view.lists[node->b + k] < view.string_count)
                    state[view.lists[node->b + k]] = 2;
            continue;
        }
        if (node->op < VT_OP_STRING_MATCH || node->op > VT_OP_STRING_LENGTH)
            continue;
        uint32_t s = (uint32_t)node->v.i;
        if (s >= view.string_count)
            continue; /* the anonymous `$` of a loop: its strings are in a set */
        const vt_rs_node *offset = node->op == VT_OP_STRING_AT && node->a < view.node_count
                                       ? &view.nodes[node->a]
                                       : NULL;
        if (!offset || offset->op != VT_OP_CONST_INT) {
            state[s] = 2;
        } else if (state[s] == 0) {
            state[s] = 1;
            scanner->fixed_offsets[s] = offset->v.i;
        } else if (state[s] == 1 && scanner->fixed_offsets[s] != offset->v.i) {
            state[s] = 2;
        }
    }
    for (size_t s = 0; s < view.string_count; s++)
        if (state[s] != 1)
            scanner->fixed_offsets[s] = VT_NO_FIXED_OFFSET;
    free(state);
    return VT_OK;
}

static int compare_regex_node(const void *a, const void *b)
{
    uint32_t x = ((const vt_scan_regex *)a)->node, y = ((const vt_scan_regex *)b)->node;
    return x < y ? -1 : x > y;
}

/* Compile every CONST_REGEX node of the conditions, sorted by node for lookup. */
static vt_status compile_regexes(vt_scanner *scanner, vt_error *err)
{
    vt_ruleset_view view;
    vt_ruleset_get_view(scanner->rules, &view);
    size_t count = 0;
    for (size_t i = 0; i < view.node_count; i++)
        count += view.nodes[i].op == VT_OP_CONST_REGEX;
    if (count == 0)
        return VT_OK;
    scanner->regexes = calloc(count, sizeof *scanner->regexes);
    if (!scanner->regexes)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory compiling regular expressions");
    for (size_t i = 0; i < view.node_count; i++) {
        const vt_rs_node *node = &view.nodes[i];
        if (node->op != VT_OP_CONST_REGEX)
            continue;
        vt_string_spec spec = {
            .kind = VT_STRING_REGEX,
            .data = (const uint8_t *)vt_ruleset_str(scanner->rules, node->v.s),
            .len = node->v.s.len,
            .regex_flags = node->flags & (VT_REGEX_NOCASE | VT_REGEX_DOTALL),
        };
        vt_scan_regex *r = &scanner->regexes[scanner->regex_count];
        r->node = (uint32_t)i;
        vt_status st = vt_regex_matcher_new(&spec, &r->matcher, err);
        if (st != VT_OK)
            return st;
        scanner->regex_count++;
    }
    qsort(scanner->regexes, scanner->regex_count, sizeof *scanner->regexes, compare_regex_node);
    return VT_OK;
}

const vt_string_matcher *vt_scanner_regex(const vt_scanner *scanner, uint32_t node)
{
    size_t lo = 0, hi = scanner->regex_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (scanner->regexes[mid].node < node)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < scanner->regex_count && scanner->regexes[lo].node == node
               ? scanner->regexes[lo].matcher
               : NULL;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the module members the conditions read (FIELD nodes), so that modules can leave
 * out costly members no rule looks at. */
static vt_status collect_members(vt_scanner *scanner, vt_error *err)
{
    vt_ruleset_view view;
    vt_ruleset_get_view(scanner->rules, &view);
    size_t count = 0;
    for (size_t i = 0; i < view.node_count; i++)
        count += view.nodes[i].op == VT_OP_FIELD;
    scanner->members = malloc((count ? count : 1) * sizeof *scanner->members);
    if (!scanner->members)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory preparing the scanner");
    for (size_t i = 0; i < view.node_count; i++)
        if (view.nodes[i].op == VT_OP_FIELD)
            scanner->members[scanner->member_count++] =
                vt_ruleset_str(scanner->rules, view.nodes[i].v.s);
    qsort(scanner->members, scanner->member_count, sizeof *scanner->members, compare_names);
    return VT_OK;
}

bool vt_scanner_member_used(const vt_scanner *scanner, const char *name)
{
    return bsearch(&name, scanner->members, scanner->member_count, sizeof *scanner->members,
                   compare_names) != NULL;
}

vt_status vt_scanner_new(const vt_ruleset *rules, vt_scanner **out, vt_error *err)
{
    *out = NULL;
    vt_scanner *scanner = calloc(1, sizeof *scanner);
    if (!scanner)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory creating a scanner");
    scanner->rules = rules;
    /* a condition the evaluator cannot run is refused now, never dropped at scan time */
    vt_status checked = vt_cond_check(rules, err);
    if (checked != VT_OK) {
        free(scanner);
        return checked;
    }
    size_t stored_len = 0;
    const void *stored = vt_ruleset_section(rules, VT_SECTION_MATCHER, &stored_len);
    vt_status st = stored ? vt_matcher_deserialize_borrowed(stored, stored_len,
                                                            &scanner->matcher, err)
                          : build_matcher(rules, &scanner->matcher, err);
    /* A compiled ruleset made on another CPU: its Vectorscan database may not run here. The
     * strings are in the ruleset, so build the matcher from them (as for a ruleset saved
     * without one) rather than fail. */
    if (stored && st == VT_ERR_STATE) {
        vt_error_clear(err);
        st = build_matcher(rules, &scanner->matcher, err);
    }
    /* the stored matcher was read once (its Vectorscan database is copied): let its pages go */
    vt_ruleset_release_pages(rules);
    if (st == VT_OK)
        st = compile_regexes(scanner, err);
    if (st == VT_OK)
        st = find_fixed_offsets(scanner, err);
    if (st == VT_OK)
        st = collect_members(scanner, err);
    if (st == VT_OK) {
        vt_ruleset_view view;
        vt_ruleset_get_view(rules, &view);
        size_t n = view.rule_count ? view.rule_count : 1;
        scanner->needs_match = malloc(n);
        scanner->rule_gates = malloc(n * sizeof *scanner->rule_gates);
        scanner->rule_escapes = malloc(n * sizeof *scanner->rule_escapes);
        if (scanner->needs_match && scanner->rule_gates && scanner->rule_escapes) {
            vt_cond_rules_needing_match(rules, scanner->needs_match);
            vt_cond_rule_gates(rules, scanner->rule_gates, scanner->rule_escapes);
        } else {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory creating a scanner");
        }
    }
    if (st != VT_OK) {
        vt_scanner_free(scanner);
        return st;
    }
    *out = scanner;
    return VT_OK;
}

void vt_scanner_free(vt_scanner *scanner)
{
    if (!scanner)
        return;
    for (size_t i = 0; i < scanner->regex_count; i++)
        vt_string_matcher_free(scanner->regexes[i].matcher);
    free(scanner->regexes);
    free(scanner->members);
    free(scanner->fixed_offsets);
    free(scanner->needs_match);
    free(scanner->rule_gates);
    free(scanner->rule_escapes);
    vt_matcher_free(scanner->matcher);
    free(scanner);
}

const vt_ruleset *vt_scanner_rules(const vt_scanner *scanner)
{
    return scanner->rules;
}
