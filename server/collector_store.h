/* collector_store.h: where `vitrine serve collector` keeps the reports it accepted, behind one
 * small interface with two backends: SQLite (collector_sqlite.c, the default: one file, WAL,
 * one writer connection) and PostgreSQL through libpq (collector_pg.c, a pool of connections,
 * for more than one collector or more than one machine). The collector validates a report
 * (vt_telemetry_report_check) and cuts it into one record before it gets here; the store never
 * sees or keeps a client address or a time finer than a day. Reports are committed in groups
 * (vt_collector_store_put): a report is answered once its group's transaction is committed.
 *
 * Tables (same columns in both backends):
 *   reports(id PRIMARY KEY, policy, report, day, delete_after): one row per accepted report id,
 *     kept while any of its fields is (de-duplication: a second report with the same id is a
 *     duplicate, whatever its content);
 *   fields(report_id, report, day, name, value, delete_after): one row per field, `value` the
 *     field's JSON value, deleted the day after `delete_after` (the report's day plus the
 *     field's retention in days). */
#ifndef VITRINE_SERVER_COLLECTOR_STORE_H
#define VITRINE_SERVER_COLLECTOR_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>

/* One field of an accepted report. */
typedef struct vt_collector_field {
    const char *name;
    const char *value;       /* the JSON value, compact, NUL-terminated */
    size_t value_len;
    char delete_after[11];   /* YYYY-MM-DD: the last day this field may be kept */
} vt_collector_field;

/* An accepted report, as stored. */
typedef struct vt_collector_record {
    char id[33];             /* 32 lowercase hex digits */
    uint64_t policy;         /* log index of the data-policy entry it follows */
    const char *report;      /* report name */
    char day[11];            /* YYYY-MM-DD */
    char delete_after[11];   /* the latest delete_after of its fields (its day if none) */
    const vt_collector_field *fields;
    size_t field_count;
} vt_collector_record;

typedef struct vt_collector_store vt_collector_store;

/* What every backend provides. */
typedef struct vt_collector_store_ops {
    /* Store n records in one transaction; duplicates[i] = 1 (and record i not stored) when a
     * report with its id is already stored (also by an earlier record of the batch), else 0.
     * On an error nothing of the batch is stored. Called by at most `max_batches` threads at
     * once (vt_collector_store_init). */
    vt_status (*put_batch)(vt_collector_store *store, const vt_collector_record *const *records,
                           size_t n, int *duplicates, vt_error *err);
    /* The sum of the values of every rule-counts field `field` of reports `report` made on
     * `day`, per rule log index: appends a JSON object {"INDEX":SUM,...} (indexes ascending) to
     * out. May be called from several threads at once. */
    vt_status (*aggregate)(vt_collector_store *store, const char *report, const char *field,
                           const char *day, vt_buf *out, vt_error *err);
    /* Delete every field and every report whose delete_after is before `today` (a report's is
     * its latest field's, so its id goes with its last field); *deleted (optional) gets the
     * number of rows deleted. May be called from several threads at once. */
    vt_status (*purge)(vt_collector_store *store, const char *today, uint64_t *deleted,
                       vt_error *err);
    void (*close)(vt_collector_store *store);
} vt_collector_store_ops;

typedef struct collector_put_job collector_put_job;

/* The part every backend's store starts with: its operations and the group commit
 * (collector_store.c): reports that arrive while a batch is being committed wait and go
 * together into the next one, so one commit (and its disk write) serves many reports. */
struct vt_collector_store {
    const vt_collector_store_ops *ops;
    pthread_mutex_t lock;
    pthread_cond_t done;
    collector_put_job *queue_head, *queue_tail;
    unsigned batches, max_batches;
};

/* Set up the common part (the backend calls it first); max_batches: batches committed at once
 * (1 for SQLite's one writer; the connections of a pool). */
void vt_collector_store_init(vt_collector_store *store, const vt_collector_store_ops *ops,
                             unsigned max_batches);
/* ... and free it (the backend's close calls it last). */
void vt_collector_store_fini(vt_collector_store *store);

/* Store one record (thread-safe): it joins the next batch and returns once that batch is
 * committed. *duplicate as in put_batch. */
vt_status vt_collector_store_put(vt_collector_store *store, const vt_collector_record *record,
                                 int *duplicate, vt_error *err);

/* Open (creating the tables if missing) the SQLite database at `path`. */
vt_status vt_collector_store_open_sqlite(const char *path, vt_collector_store **out,
                                         vt_error *err);
/* Connect to PostgreSQL at `url` (a libpq connection URI or key=value string) with `connections`
 * connections (at least 1), creating the tables if missing. */
vt_status vt_collector_store_open_pg(const char *url, unsigned connections,
                                     vt_collector_store **out, vt_error *err);

static inline void vt_collector_store_close(vt_collector_store *store)
{
    if (store)
        store->ops->close(store);
}

#endif
