/* distrib_entry.c: fuzz target for the log entry parsers (rule, bundle, release, data policy,
 * audit ack, page): whatever parses must format back to exactly the same bytes (the formats are
 * canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/distrib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const vt_buf *out, const uint8_t *data, size_t size)
{
    if (out->len != size || memcmp(out->data, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_entry_kind_of(data, size);
    vt_buf out = {0};
    vt_rule_entry rule;
    if (vt_rule_entry_parse(data, size, &rule, NULL) == VT_OK) {
        if (vt_rule_entry_format(&rule, &out, NULL) != VT_OK)
            abort();
        same(&out, data, size);
        vt_rule_entry_clear(&rule);
    }
    out.len = 0;
    vt_bundle_entry bundle;
    if (vt_bundle_entry_parse(data, size, &bundle, NULL) == VT_OK) {
        if (vt_bundle_entry_format(&bundle, &out, NULL) != VT_OK)
            abort();
        same(&out, data, size);
        vt_bundle_entry_clear(&bundle);
    }
    out.len = 0;
    vt_release_entry release;
    if (vt_release_entry_parse(data, size, &release, NULL) == VT_OK) {
        if (vt_release_entry_format(&release, &out, NULL) != VT_OK)
            abort();
        same(&out, data, size);
        vt_release_entry_clear(&release);
    }
    out.len = 0;
    vt_data_policy_entry policy;
    if (vt_data_policy_entry_parse(data, size, &policy, NULL) == VT_OK) {
        if (vt_data_policy_entry_format(&policy, &out, NULL) != VT_OK)
            abort();
        same(&out, data, size);
        vt_data_policy_entry_clear(&policy);
    }
    out.len = 0;
    vt_audit_ack_entry ack;
    if (vt_audit_ack_entry_parse(data, size, &ack, NULL) == VT_OK) {
        if (vt_audit_ack_entry_format(&ack, &out, NULL) != VT_OK)
            abort();
        same(&out, data, size);
        vt_audit_ack_entry_clear(&ack);
    }
    out.len = 0;
    vt_page_entry page;
    if (vt_page_entry_parse(data, size, &page, NULL) == VT_OK) {
        if (vt_page_entry_format(&page, &out, NULL) != VT_OK)
            abort();
        same(&out, data, size);
        vt_page_entry_clear(&page);
    }
    vt_buf_free(&out);
    return 0;
}
