/* collector.h: `vitrine serve collector`: receives telemetry reports (docs/telemetry.md,
 * "Collector") on the shared HTTP setup (http_server.h), checks each against the data-policy
 * entry of the transparency log that it names, and keeps what passes in a store
 * (collector_store.h) without the client's address and with no time finer than a day, for no
 * longer than the policy's retention. */
#ifndef VITRINE_SERVER_COLLECTOR_H
#define VITRINE_SERVER_COLLECTOR_H

#include <stdint.h>

#include <vitrine/tlog.h>

#include "http_server.h"

/* Largest bodies accepted: VT_TELEMETRY_MAX_REPORT for POST /reports, VT_TELEMETRY_MAX_SAMPLE
 * for POST /samples (vitrine/telemetry.h). */
/* Bytes of request bodies held in memory at once, all requests together; a request that would
 * pass it is answered 503. */
#define VT_COLLECTOR_MAX_INFLIGHT (96u * 1024u * 1024u)

typedef struct vt_collector_options {
    const char *log;                 /* the log: a directory or an http(s):// URL */
    const vt_tlog_verifier *log_key; /* its checkpoint signer's key */
    const char *db;                  /* SQLite file (when postgres is NULL) */
    const char *postgres;            /* libpq connection URL, or NULL */
    const char *listen;              /* HOST:PORT */
    vt_http_limits limits;
    unsigned purge_interval;         /* seconds between two retention purges (> 0) */
    unsigned log_deadline;           /* seconds one reading of the log may take (> 0) */
    unsigned log_reread;             /* seconds between two readings for an unknown index */
} vt_collector_options;

typedef struct vt_collector vt_collector;

/* Read every data-policy entry of the log (checkpoint signature, each entry's inclusion: the
 * trust core), open the store, delete what is past its retention, and start answering. A log
 * that cannot be read is an error here (nothing is served). */
vt_status vt_collector_start(const vt_collector_options *options, vt_collector **out,
                             vt_error *err);
unsigned vt_collector_port(const vt_collector *collector);
/* The tree size of the log as last read and verified. */
uint64_t vt_collector_log_size(vt_collector *collector);
void vt_collector_stop(vt_collector *collector);

/* The JSON body's "policy" member, for routing a report to its policy before the check:
 * VT_OK with *index, or VT_ERR_SYNTAX with a message (not JSON, not an object, no policy
 * integer). Exposed for fuzzing. */
vt_status vt_collector_report_policy(const void *body, size_t len, uint64_t *index,
                                     vt_error *err);

#endif
