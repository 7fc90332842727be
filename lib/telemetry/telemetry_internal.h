/* telemetry_internal.h: helpers shared by the files of lib/telemetry (not public). */
#ifndef VITRINE_TELEMETRY_INTERNAL_H
#define VITRINE_TELEMETRY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/distrib.h>

/* Days since 1970-01-01 of a YYYY-MM-DD naming a real calendar day; -1 otherwise. */
/* Decoded size of canonical standard base64 with padding; -1 if it is not that. */
int64_t vt_telemetry_base64_size(const char *s, size_t n);

/* The collector's path for a report type: "/samples" when it declares a bytes field (a sample,
 * up to VT_TELEMETRY_MAX_SAMPLE bytes), else "/reports" (docs/telemetry.md, "HTTP"). */
const char *vt_telemetry_endpoint(const vt_policy_report *report);

#endif
