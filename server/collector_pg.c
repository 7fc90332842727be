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

/* Insert one record in the open transaction of connection c. */
static vt_status put_one(PGconn *c, const vt_collector_record *r, int *duplicate, vt_error *err)
{
    /* The fields as one JSON array of [name, value, delete_after]; the values are valid JSON
     * already (the report passed the check). */
    vt_buf fields = {0};
    vt_status st = vt_buf_append_byte(&fields, '[');
    for (size_t i = 0; st == VT_OK && i < r->field_count; i++) {
        const vt_collector_field *f = &r->fields[i];
        if ((st = vt_buf_printf(&fields, "%s[\"%s\",", i ? "," : "", f->name)) == VT_OK &&
            (st = vt_buf_append(&fields, f->value, f->value_len)) == VT_OK)
            st = vt_buf_printf(&fields, ",\"%s\"]", f->delete_after);
    }
    if (st == VT_OK)
        st = vt_buf_append(&fields, "]", 2); /* with the NUL */
    if (st != VT_OK) {
        vt_buf_free(&fields);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    char policy[24];
    snprintf(policy, sizeof policy, "%" PRIu64, r->policy);
    const char *values[6] = {r->id, policy, r->report, r->day, r->delete_after,
                             (const char *)fields.data};
    PGresult *res = PQexecPrepared(c, "put", 6, values, NULL, NULL, 0);
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        *duplicate = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
    else
        st = pg_error(c, res, "insert report", err);
    PQclear(res);
    vt_buf_free(&fields);
    return st;
}

static vt_status simple(PGconn *c, const char *sql, vt_error *err)
{
    PGresult *res = PQexec(c, sql);
    vt_status st = VT_OK;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        st = pg_error(c, res, sql, err);
    PQclear(res);
    return st;
}

static vt_status pg_put_batch(vt_collector_store *base, const vt_collector_record *const *records,
                              size_t n, int *duplicates, vt_error *err)
{
    pg_store *s = (pg_store *)base;
    PGconn *c = take(s);
    if (PQstatus(c) == CONNECTION_BAD) {
        /* The server restarted: connect again (and prepare again) once. */
        PQreset(c);
        if (PQstatus(c) == CONNECTION_OK)
            prepare_all(c, NULL);
    }
    vt_status st = simple(c, "BEGIN", err);
    for (size_t i = 0; i < n && st == VT_OK; i++)
        st = put_one(c, records[i], &duplicates[i], err);
    if (st == VT_OK)
        st = simple(c, "COMMIT", err);
    if (st != VT_OK)
        PQclear(PQexec(c, "ROLLBACK"));
    give_back(s, c);
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
