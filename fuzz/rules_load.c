/* rules_load.c: fuzz target for loading compiled rulesets: arbitrary bytes must be refused
 * cleanly or yield a ruleset whose records can all be read, its stored matcher included. The input is tried as it is, then
 * with its checksum recomputed, so mutations get past the SHA-256 into the structural checks. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/match.h>
#include <vitrine/rules.h>
#include <vitrine/scan.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const vt_ruleset *rs)
{
    vt_ruleset_view v;
    vt_ruleset_get_view(rs, &v);
    volatile size_t sum = 0;
    for (size_t i = 0; i < v.rule_count; i++) {
        const vt_rs_rule *r = &v.rules[i];
        sum += (size_t)vt_ruleset_str(rs, r->name)[r->name.len];
        sum += v.namespaces[r->ns].len;
        for (uint32_t k = r->node_first; k < r->node_first + r->node_count; k++)
            sum += v.nodes[k].op;
        for (uint32_t k = r->string_first; k < r->string_first + r->string_count; k++)
            sum += (size_t)vt_ruleset_str(rs, v.strings[k].text)[v.strings[k].text.len];
    }
    /* the stored matcher (strings, factor table and confirmations, Vectorscan database) */
    size_t len = 0;
    const void *stored = vt_ruleset_section(rs, VT_SECTION_MATCHER, &len);
    vt_matcher *m = NULL;
    vt_error err;
    if (stored && vt_matcher_deserialize(stored, len, &m, &err) == VT_OK)
        sum += vt_matcher_string_count(m);
    vt_matcher_free(m);
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_error err;
    vt_ruleset *rs = NULL;
    if (vt_ruleset_from_bytes(data, size, &rs, &err) == VT_OK) {
        read_all(rs);
        vt_ruleset_free(rs);
    }
    if (size < sizeof(vt_rs_header))
        return 0;
    unsigned char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    vt_rs_header h;
    memcpy(&h, copy, sizeof h);
    memset(h.sha256, 0, sizeof h.sha256);
    memcpy(copy, &h, sizeof h);
    unsigned n;
    if (EVP_Digest(copy, size, h.sha256, &n, EVP_sha256(), NULL)) {
        memcpy(copy, &h, sizeof h);
        rs = NULL;
        if (vt_ruleset_from_bytes(copy, size, &rs, &err) == VT_OK) {
            read_all(rs);
            vt_ruleset_free(rs);
        }
    }
    free(copy);
    return 0;
}
