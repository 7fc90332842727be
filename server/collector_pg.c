/* collector_pg.c: the collector's store (collector_store.h) in PostgreSQL through libpq, for
 * when one machine is not enough: several collectors may share one database (de-duplication is
 * the reports table's primary key). A pool of connections, each with its statements prepared
 * once; a report is stored by one statement (one round trip, its own transaction): the report
 * row is inserted unless its id exists, and its fields (passed as one JSON array of
 * [name, value, delete_after]) only if the report row was. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "collector_store.h"

typedef struct pg_store {
    vt_collector_store base;
    pthread_mutex_t lock; /* guards `free_count` and `free_list` */
    pthread_cond_t freed;
    PGconn **conns;
    size_t count;
    PGconn **free_list;
    size_t free_count;
} pg_store;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS reports(id TEXT PRIMARY KEY, policy BIGINT NOT NULL,"
    " report TEXT NOT NULL, day TEXT NOT NULL, delete_after TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS reports_delete_after ON reports(delete_after);"
    "CREATE TABLE IF NOT EXISTS fields(report_id TEXT NOT NULL, report TEXT NOT NULL,"
    " day TEXT NOT NULL, name TEXT NOT NULL, value JSONB NOT NULL,"
    " delete_after TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS fields_day ON fields(day, report, name);"
    "CREATE INDEX IF NOT EXISTS fields_delete_after ON fields(delete_after);";

static const char put_sql[] =
    "WITH r AS (INSERT INTO reports(id, policy, report, day, delete_after)"
    " VALUES ($1, $2::bigint, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id),"
    " f AS (INSERT INTO fields(report_id, report, day, name, value, delete_after)"
    " SELECT r.id, $3, $4, e->>0, e->1, e->>2 FROM r, jsonb_array_elements($6::jsonb) e)"
    " SELECT count(*) FROM r";

static const char aggregate_sql[] =
    "SELECT j.key::bigint AS k, sum(j.value::bigint) FROM fields f,"
    " jsonb_each_text(f.value) j WHERE f.day = $1 AND f.report = $2 AND f.name = $3"
    " GROUP BY k ORDER BY k";

static PGconn *take(pg_store *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->free_count == 0)
        pthread_cond_wait(&s->freed, &s->lock);
    PGconn *c = s->free_list[--s->free_count];
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void give_back(pg_store *s, PGconn *c)
{
    pthread_mutex_lock(&s->lock);
    s->free_list[s->free_count++] = c;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

static vt_status prepare_all(PGconn *c, vt_error *err);

/* A connection that broke (the server restarted) is reset (and its statements prepared again)
 * once before giving up. */
static PGresult *exec_prepared(PGconn *c, const char *name, int n, const char *const *values,
                               const int *lengths)
{
    PGresult *res = PQexecPrepared(c, name, n, values, lengths, NULL, 0);
    if (PQstatus(c) == CONNECTION_BAD) {
        PQclear(res);
        PQreset(c);
        res = NULL;
        if (PQstatus(c) == CONNECTION_OK && prepare_all(c, NULL) == VT_OK)
            res = PQexecPrepared(c, name, n, values, lengths, NULL, 0);
    }
    return res;
}

static vt_status pg_error(PGconn *c, PGresult *res, const char *what, vt_error *err)
{
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg || !*msg)
        msg = PQerrorMessage(c);
    char text[512];
    snprintf(text, sizeof text, "%s", msg);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = 0;
    return vt_error_set(err, VT_ERR_IO, "collector database (PostgreSQL): %s: %s", what, text);
}

/* The fields of a record as one JSON array of [name, value, delete_after], NUL-terminated; the
 * values are valid JSON already (the report passed the check). */
static vt_status fields_json(const vt_collector_record *r, vt_buf *out)
{
    vt_status st = vt_buf_append_byte(out, '[');
    for (size_t i = 0; st == VT_OK && i < r->field_count; i++) {
        const vt_collector_field *f = &r->fields[i];
        if ((st = vt_buf_printf(out, "%s[\"%s\",", i ? "," : "", f->name)) == VT_OK &&
            (st = vt_buf_append(out, f->value, f->value_len)) == VT_OK)
            st = vt_buf_printf(out, ",\"%s\"]", f->delete_after);
    }
    if (st == VT_OK)
        st = vt_buf_append(out, "]", 2);
    return st;
}

/* The results of one pipelined query: its result, then NULL. 1 when it is of status `want`. */
static int pipeline_result(PGconn *c, ExecStatusType want, PGresult **keep)
{
    PGresult *res = PQgetResult(c);
    int ok = res && PQresultStatus(res) == want;
    if (keep && ok)
        *keep = res;
    else
        PQclear(res);
    if (res)
        PQclear(PQgetResult(c)); /* the NULL that ends the query's results */
    return ok;
}

/* One batch in one transaction and one round trip (libpq's pipeline mode): BEGIN, one "put" per
 * record, COMMIT, sync. */
static vt_status pg_put_batch(vt_collector_store *base, const vt_collector_record *const *records,
                              size_t n, int *duplicates, vt_error *err)
{
    pg_store *s = (pg_store *)base;
    vt_buf *fields = calloc(n ? n : 1, sizeof *fields);
    char(*policies)[24] = calloc(n ? n : 1, sizeof *policies);
    vt_status st = VT_OK;
    if (!fields || !policies)
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == VT_OK && i < n; i++) {
        if (fields_json(records[i], &fields[i]) != VT_OK)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        snprintf(policies[i], sizeof policies[i], "%" PRIu64, records[i]->policy);
    }
    if (st != VT_OK) {
        for (size_t i = 0; fields && i < n; i++)
            vt_buf_free(&fields[i]);
        free(fields);
        free(policies);
        return st;
    }
    PGconn *c = take(s);
    if (PQstatus(c) == CONNECTION_BAD) {
        /* The server restarted: connect again (and prepare again) once. */
        PQreset(c);
        if (PQstatus(c) == CONNECTION_OK)
            prepare_all(c, NULL);
    }
    int sent = PQenterPipelineMode(c) &&
               PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
    for (size_t i = 0; sent && i < n; i++) {
        const vt_collector_record *r = records[i];
        const char *values[6] = {r->id, policies[i], r->report, r->day, r->delete_after,
                                 (const char *)fields[i].data};
        sent = PQsendQueryPrepared(c, "put", 6, values, NULL, NULL, 0);
    }
    sent = sent && PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) &&
           PQpipelineSync(c);
    int ok = sent && pipeline_result(c, PGRES_COMMAND_OK, NULL);
    for (size_t i = 0; sent && i < n; i++) {
        PGresult *res = NULL;
        if (pipeline_result(c, PGRES_TUPLES_OK, &res) && PQntuples(res) == 1) {
            duplicates[i] = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
        } else {
            if (ok)
                st = pg_error(c, res, "insert report", err);
            ok = 0;
        }
        PQclear(res);
    }
    if (sent && !pipeline_result(c, PGRES_COMMAND_OK, NULL) && ok) {
        st = pg_error(c, NULL, "commit", err);
        ok = 0;
    }
    /* The sync's own result; then out of pipeline mode. */
    for (PGresult *res; sent && (res = PQgetResult(c));) {
        int is_sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (is_sync)
            break;
    }
    PQexitPipelineMode(c);
    if (!ok) {
        if (st == VT_OK)
            st = pg_error(c, NULL, "insert reports", err);
        PQclear(PQexec(c, "ROLLBACK"));
    }
    give_back(s, c);
    for (size_t i = 0; i < n; i++)
        vt_buf_free(&fields[i]);
    free(fields);
    free(policies);
    return st;
}

static vt_status pg_aggregate(vt_collector_store *base, const char *report, const char *field,
                              const char *day, vt_buf *out, vt_error *err)
{
    pg_store *s = (pg_store *)base;
    const char *values[3] = {day, report, field};
    PGconn *c = take(s);
    PGresult *res = exec_prepared(c, "aggregate", 3, values, NULL);
    vt_status st = VT_OK;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        st = pg_error(c, res, "aggregate", err);
    } else {
        st = vt_buf_append_byte(out, '{');
        for (int i = 0; st == VT_OK && i < PQntuples(res); i++)
            st = vt_buf_printf(out, "%s\"%s\":%s", i ? "," : "", PQgetvalue(res, i, 0),
                               PQgetvalue(res, i, 1));
        if (st == VT_OK)
            st = vt_buf_append_byte(out, '}');
        if (st != VT_OK)
            vt_error_set(err, st, "out of memory");
    }
    PQclear(res);
    give_back(s, c);
    return st;
}

static vt_status pg_purge(vt_collector_store *base, const char *today, uint64_t *deleted,
                          vt_error *err)
{
    pg_store *s = (pg_store *)base;
    static const char *const names[] = {"purge_fields", "purge_reports"};
    vt_status st = VT_OK;
    uint64_t n = 0;
    PGconn *c = take(s);
    for (size_t i = 0; i < 2 && st == VT_OK; i++) {
        PGresult *res = exec_prepared(c, names[i], 1, &today, NULL);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
            st = pg_error(c, res, "purge", err);
        else
            n += strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    give_back(s, c);
    if (deleted)
        *deleted = n;
    return st;
}

static void pg_close(vt_collector_store *base)
{
    pg_store *s = (pg_store *)base;
    for (size_t i = 0; i < s->count; i++)
        if (s->conns[i])
            PQfinish(s->conns[i]);
    free(s->conns);
    free(s->free_list);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->lock);
    vt_collector_store_fini(&s->base);
    free(s);
}

static const vt_collector_store_ops pg_ops = {
    .put_batch = pg_put_batch,
    .aggregate = pg_aggregate,
    .purge = pg_purge,
    .close = pg_close,
};

static vt_status prepare_all(PGconn *c, vt_error *err)
{
    static const struct {
        const char *name, *sql;
        int n;
    } stmts[] = {
        {"put", put_sql, 6},
        {"aggregate", aggregate_sql, 3},
        {"purge_fields", "DELETE FROM fields WHERE delete_after < $1", 1},
        {"purge_reports", "DELETE FROM reports WHERE delete_after < $1", 1},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        PGresult *res = PQprepare(c, stmts[i].name, stmts[i].sql, stmts[i].n, NULL);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
            vt_status st = pg_error(c, res, "prepare", err);
            PQclear(res);
            return st;
        }
        PQclear(res);
    }
    return VT_OK;
}

vt_status vt_collector_store_open_pg(const char *url, unsigned connections,
                                     vt_collector_store **out, vt_error *err)
{
    *out = NULL;
    if (connections == 0)
        connections = 1;
    pg_store *s = calloc(1, sizeof *s);
    if (!s)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_collector_store_init(&s->base, &pg_ops, connections);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    s->conns = calloc(connections, sizeof *s->conns);
    s->free_list = calloc(connections, sizeof *s->free_list);
    vt_status st = VT_OK;
    if (!s->conns || !s->free_list) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < connections; i++) {
        PGconn *c = PQconnectdb(url);
        s->conns[s->count++] = c;
        if (!c || PQstatus(c) != CONNECTION_OK) {
            st = pg_error(c, NULL, "cannot connect", err);
            goto fail;
        }
        if (i == 0) {
            PGresult *res = PQexec(c, "SET client_min_messages = warning");
            PQclear(res);
            res = PQexec(c, schema);
            if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
                st = pg_error(c, res, "cannot create the tables", err);
                PQclear(res);
                goto fail;
            }
            PQclear(res);
        }
        if ((st = prepare_all(c, err)) != VT_OK)
            goto fail;
        s->free_list[s->free_count++] = c;
    }
    *out = &s->base;
    return VT_OK;
fail:
    pg_close(&s->base);
    return st;
}
