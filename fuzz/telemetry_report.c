/* telemetry_report.c: fuzz target for what the collector does with a request body before it
 * stores anything: vt_collector_report_policy (routing by the "policy" member) and the report
 * check vt_telemetry_report_check against a fixed data policy with both report types and every
 * field type. A report that passes must be written back by vt_telemetry_report_json into a
 * report that passes again with the same id, day and fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/distrib.h>
#include <vitrine/telemetry.h>

#include "collector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] =
    "vitrine/data-policy-entry/v1\n"
    "serial 1\n"
    "date 2026-12-05\n"
    "collector https://telemetry.example.org/v1\n"
    "report sample\n"
    "purpose A file the user chose to submit\n"
    "field content bytes 3 90 2027-12-31 The file itself\n"
    "field file-type string 3 90 2027-12-31 The file's type\n"
    "field rule-index integer 1 90 2027-12-31 The rule entry that fired\n"
    "field sha256 sha256 3 90 2027-12-31 The SHA-256 of the file\n"
    "report scan-summary\n"
    "purpose Count how often each logged rule fires\n"
    "field detections rule-counts 1 365 2027-12-31 Files each rule matched\n"
    "field engine-version version 1 365 2027-12-31 The engine version\n"
    "field files-scanned integer 1 365 2027-12-31 Files looked at\n"
    "field old integer 1 365 2026-01-01 A field that expired\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_data_policy_entry policy;
    if (vt_data_policy_entry_parse(policy_text, sizeof policy_text - 1, &policy, NULL) != VT_OK)
        abort();
    uint64_t index = 0;
    vt_collector_report_policy(data, size, &index, NULL);
    vt_telemetry_report report;
    memset(&report, 0, sizeof report);
    if (vt_telemetry_report_check(&policy, 17, data, size, "2026-12-05", &report, NULL) ==
        VT_OK) {
        /* What passes the check is routed to policy 17 and round-trips. */
        if (vt_collector_report_policy(data, size, &index, NULL) != VT_OK || index != 17)
            abort();
        vt_buf json = {0};
        vt_telemetry_report again;
        memset(&again, 0, sizeof again);
        if (vt_telemetry_report_json(&report, &json, NULL) != VT_OK ||
            vt_telemetry_report_check(&policy, 17, json.data, json.len, "2026-12-05", &again,
                                      NULL) != VT_OK ||
            strcmp(again.id, report.id) != 0 || strcmp(again.day, report.day) != 0 ||
            again.field_count != report.field_count)
            abort();
        vt_telemetry_report_clear(&again);
        vt_buf_free(&json);
        vt_telemetry_report_clear(&report);
    }
    vt_data_policy_entry_clear(&policy);
    return 0;
}
