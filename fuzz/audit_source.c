/* audit_source.c: fuzz target for the rule auditor on untrusted rule sources (a rule entry read
 * from someone's log, as the transparency center and `vitrine monitor --audit` audit them):
 * whatever compiles is audited without a crash, every rule gets a verdict, and the JSON report
 * is produced. */
#include <stdint.h>
#include <stdlib.h>

#include <vitrine/audit.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    vt_audit_report *report = NULL;
    if (vt_audit_source("fuzz.yar", (const char *)data, size, NULL, 0, &report, NULL) != VT_OK)
        return 0;
    size_t flagged = 0;
    for (size_t r = 0; r < report->rule_count; r++)
        flagged += report->rules[r].flagged;
    if (flagged != report->flagged_count)
        abort();
    vt_buf out = {0};
    if (vt_audit_report_json(report, true, &out, NULL) != VT_OK || out.len == 0)
        abort();
    vt_buf_free(&out);
    vt_audit_report_free(report);
    return 0;
}
