/* collector_sqlite.c: the collector's default store (collector_store.h) in one SQLite file.
 * One writer connection behind a mutex with its statements prepared once (SQLite allows one
 * writer at a time anyway), committing the reports in batches (the group commit of
 * collector_store.c), and a second connection for the aggregate endpoint, which reads a
 * snapshot in WAL mode without waiting for the writer. synchronous=NORMAL in WAL mode: a commit
 * survives a crash of the collector; only a power loss may lose the last commits (docs/
 * telemetry.md, "Collector"). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "collector_store.h"

typedef struct sqlite_store {
    vt_collector_store base;
    pthread_mutex_t write_lock;
    sqlite3 *writer;
    sqlite3_stmt *put_report, *put_field, *begin, *commit, *rollback;
    pthread_mutex_t read_lock;
    sqlite3 *reader;
    sqlite3_stmt *aggregate;
} sqlite_store;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS reports(id TEXT PRIMARY KEY, policy INTEGER NOT NULL,"
    " report TEXT NOT NULL, day TEXT NOT NULL, delete_after TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS reports_delete_after ON reports(delete_after);"
    "CREATE TABLE IF NOT EXISTS fields(report_id TEXT NOT NULL, report TEXT NOT NULL,"
    " day TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
    " delete_after TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS fields_day ON fields(day, report, name);"
    "CREATE INDEX IF NOT EXISTS fields_delete_after ON fields(delete_after);";

static vt_status db_error(sqlite3 *db, const char *what, vt_error *err)
{
    return vt_error_set(err, VT_ERR_IO, "collector database: %s: %s", what,
                        db ? sqlite3_errmsg(db) : "out of memory");
}

/* Insert one record in the open transaction. */
static vt_status put_one(sqlite_store *s, const vt_collector_record *r, int *duplicate,
                         vt_error *err)
{
    sqlite3_stmt *p = s->put_report;
    sqlite3_reset(p);
    sqlite3_bind_text(p, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(p, 2, (sqlite3_int64)r->policy);
    sqlite3_bind_text(p, 3, r->report, -1, SQLITE_STATIC);
    sqlite3_bind_text(p, 4, r->day, -1, SQLITE_STATIC);
    sqlite3_bind_text(p, 5, r->delete_after, -1, SQLITE_STATIC);
    if (sqlite3_step(p) != SQLITE_DONE)
        return db_error(s->writer, "insert report", err);
    *duplicate = sqlite3_changes(s->writer) == 0;
    if (*duplicate)
        return VT_OK;
    for (size_t i = 0; i < r->field_count; i++) {
        const vt_collector_field *f = &r->fields[i];
        p = s->put_field;
        sqlite3_reset(p);
        sqlite3_bind_text(p, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 2, r->report, -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 3, r->day, -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 4, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text64(p, 5, f->value, f->value_len, SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_text(p, 6, f->delete_after, -1, SQLITE_STATIC);
        if (sqlite3_step(p) != SQLITE_DONE)
            return db_error(s->writer, "insert field", err);
    }
    return VT_OK;
}

static vt_status sqlite_put_batch(vt_collector_store *base,
                                  const vt_collector_record *const *records, size_t n,
                                  int *duplicates, vt_error *err)
{
    sqlite_store *s = (sqlite_store *)base;
    vt_status st = VT_OK;
    pthread_mutex_lock(&s->write_lock);
    sqlite3_reset(s->begin);
    if (sqlite3_step(s->begin) != SQLITE_DONE) {
        st = db_error(s->writer, "begin", err);
        goto out;
    }
    for (size_t i = 0; i < n && st == VT_OK; i++)
        st = put_one(s, records[i], &duplicates[i], err);
    if (st == VT_OK) {
        sqlite3_reset(s->commit);
        if (sqlite3_step(s->commit) != SQLITE_DONE)
            st = db_error(s->writer, "commit", err);
    }
    if (st != VT_OK) {
        sqlite3_reset(s->rollback);
        sqlite3_step(s->rollback);
    }
out:
    /* Statements keep no pointer to the callers' strings past this call. */
    sqlite3_clear_bindings(s->put_report);
    sqlite3_clear_bindings(s->put_field);
    sqlite3_reset(s->put_report);
    sqlite3_reset(s->put_field);
    pthread_mutex_unlock(&s->write_lock);
    return st;
}

static vt_status sqlite_aggregate(vt_collector_store *base, const char *report, const char *field,
                                  const char *day, vt_buf *out, vt_error *err)
{
    sqlite_store *s = (sqlite_store *)base;
    vt_status st = VT_OK;
    pthread_mutex_lock(&s->read_lock);
    sqlite3_stmt *a = s->aggregate;
    sqlite3_reset(a);
    sqlite3_bind_text(a, 1, day, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(a, 2, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(a, 3, field, -1, SQLITE_TRANSIENT);
    int rc;
    int first = 1;
    st = vt_buf_append_byte(out, '{');
    while (st == VT_OK && (rc = sqlite3_step(a)) == SQLITE_ROW) {
        st = vt_buf_printf(out, "%s\"%" PRId64 "\":%" PRId64, first ? "" : ",",
                           (int64_t)sqlite3_column_int64(a, 0),
                           (int64_t)sqlite3_column_int64(a, 1));
        first = 0;
    }
    if (st == VT_OK && rc != SQLITE_DONE)
        st = db_error(s->reader, "aggregate", err);
    else if (st == VT_OK)
        st = vt_buf_append_byte(out, '}');
    else
        vt_error_set(err, st, "out of memory");
    sqlite3_reset(a);
    pthread_mutex_unlock(&s->read_lock);
    return st;
}

static vt_status sqlite_purge(vt_collector_store *base, const char *today, uint64_t *deleted,
                              vt_error *err)
{
    sqlite_store *s = (sqlite_store *)base;
    static const char *const sql[] = {"DELETE FROM fields WHERE delete_after < ?",
                                      "DELETE FROM reports WHERE delete_after < ?"};
    vt_status st = VT_OK;
    uint64_t n = 0;
    pthread_mutex_lock(&s->write_lock);
    for (size_t i = 0; i < 2 && st == VT_OK; i++) {
        sqlite3_stmt *d = NULL;
        if (sqlite3_prepare_v2(s->writer, sql[i], -1, &d, NULL) != SQLITE_OK) {
            st = db_error(s->writer, "purge", err);
            break;
        }
        sqlite3_bind_text(d, 1, today, -1, SQLITE_STATIC);
        if (sqlite3_step(d) != SQLITE_DONE)
            st = db_error(s->writer, "purge", err);
        else
            n += (uint64_t)sqlite3_changes(s->writer);
        sqlite3_finalize(d);
    }
    pthread_mutex_unlock(&s->write_lock);
    if (deleted)
        *deleted = n;
    return st;
}

static void sqlite_close(vt_collector_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *stmts[] = {s->put_report, s->put_field, s->begin,
                             s->commit,     s->rollback,  s->aggregate};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(stmts[i]);
    sqlite3_close(s->reader);
    sqlite3_close(s->writer);
    pthread_mutex_destroy(&s->read_lock);
    pthread_mutex_destroy(&s->write_lock);
    vt_collector_store_fini(&s->base);
    free(s);
}

static const vt_collector_store_ops sqlite_ops = {
    .put_batch = sqlite_put_batch,
    .aggregate = sqlite_aggregate,
    .purge = sqlite_purge,
    .close = sqlite_close,
};

static vt_status open_connection(const char *path, sqlite3 **db, vt_error *err)
{
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(*db, "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL;"
                          "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192",
                     NULL, NULL, NULL) != SQLITE_OK)
        return vt_error_set(err, VT_ERR_IO, "cannot open the collector database %s: %s", path,
                            *db ? sqlite3_errmsg(*db) : "out of memory");
    return VT_OK;
}

static vt_status prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, vt_error *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return db_error(db, "prepare", err);
    return VT_OK;
}

vt_status vt_collector_store_open_sqlite(const char *path, vt_collector_store **out,
                                         vt_error *err)
{
    *out = NULL;
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_collector_store_init(&s->base, &sqlite_ops, 1);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->read_lock, NULL);
    vt_status st;
    if ((st = open_connection(path, &s->writer, err)) != VT_OK)
        goto fail;
    if (sqlite3_exec(s->writer, schema, NULL, NULL, NULL) != SQLITE_OK) {
        st = vt_error_set(err, VT_ERR_IO, "cannot create the tables in %s: %s", path,
                          sqlite3_errmsg(s->writer));
        goto fail;
    }
    if ((st = open_connection(path, &s->reader, err)) != VT_OK ||
        (st = prepare(s->writer, "INSERT OR IGNORE INTO reports(id, policy, report, day,"
                                 " delete_after) VALUES (?, ?, ?, ?, ?)",
                      &s->put_report, err)) != VT_OK ||
        (st = prepare(s->writer, "INSERT INTO fields(report_id, report, day, name, value,"
                                 " delete_after) VALUES (?, ?, ?, ?, ?, ?)",
                      &s->put_field, err)) != VT_OK ||
        (st = prepare(s->writer, "BEGIN IMMEDIATE", &s->begin, err)) != VT_OK ||
        (st = prepare(s->writer, "COMMIT", &s->commit, err)) != VT_OK ||
        (st = prepare(s->writer, "ROLLBACK", &s->rollback, err)) != VT_OK ||
        (st = prepare(s->reader,
                      "SELECT CAST(j.key AS INTEGER) AS k, SUM(j.value) FROM fields f,"
                      " json_each(f.value) j WHERE f.day = ? AND f.report = ? AND f.name = ?"
                      " GROUP BY k ORDER BY k",
                      &s->aggregate, err)) != VT_OK)
        goto fail;
    *out = &s->base;
    return VT_OK;
fail:
    sqlite_close(&s->base);
    return st;
}
