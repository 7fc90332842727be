/* ledger.c: the local ledger of the data channel (docs/telemetry.md "The ledger"): every payload,
 * byte for byte, with its time, destination, policy index, report id and state, committed to
 * SQLite (WAL, synchronous=FULL: durable when the commit returns) before any byte of it goes on
 * the network. Linked only into `vitrine-net`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include <vitrine/telemetry.h>

struct vt_telemetry_ledger {
    sqlite3 *db;
    char path[4300];
};

static vt_status db_error(vt_telemetry_ledger *l, vt_error *err, const char *what)
{
    return vt_error_at(err, VT_ERR_IO, l->path, 0, 0, "%s: %s", what, sqlite3_errmsg(l->db));
}

static void now_text(char out[21])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

vt_status vt_telemetry_ledger_open(const char *dir, vt_telemetry_ledger **out, vt_error *err)
{
    *out = NULL;
    vt_telemetry_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    snprintf(l->path, sizeof l->path, "%s/ledger.sqlite", dir);
    if (sqlite3_open_v2(l->path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        vt_status st = l->db ? db_error(l, err, "cannot open the ledger")
                             : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        vt_telemetry_ledger_close(l);
        return st;
    }
    sqlite3_busy_timeout(l->db, 10000);
    static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS ledger ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " id TEXT NOT NULL UNIQUE,"
        " time TEXT NOT NULL,"
        " destination TEXT NOT NULL,"
        " policy INTEGER NOT NULL,"
        " report TEXT NOT NULL,"
        " state TEXT NOT NULL CHECK (state IN ('queued','sent','refused','withdrawn')),"
        " state_time TEXT NOT NULL DEFAULT '',"
        " http_status INTEGER NOT NULL DEFAULT 0,"
        " payload BLOB NOT NULL);";
    if (sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        vt_status st = db_error(l, err, "cannot set up the ledger");
        vt_telemetry_ledger_close(l);
        return st;
    }
    *out = l;
    return VT_OK;
}

void vt_telemetry_ledger_close(vt_telemetry_ledger *l)
{
    if (!l)
        return;
    sqlite3_close(l->db);
    free(l);
}

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
    snprintf(dst, size, "%s", src ? (const char *)src : "");
}

vt_status vt_telemetry_ledger_add(vt_telemetry_ledger *l, const vt_ledger_entry *e,
                                  char existing_state[12], vt_error *err)
{
    if (existing_state)
        existing_state[0] = 0;
    sqlite3_stmt *q = NULL;
    vt_status st = VT_OK;
    if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(l, err, "cannot write to the ledger");
    if (sqlite3_prepare_v2(l->db, "SELECT state, payload FROM ledger WHERE id = ?1", -1, &q,
                           NULL) != SQLITE_OK) {
        st = db_error(l, err, "cannot read the ledger");
        goto done;
    }
    sqlite3_bind_text(q, 1, e->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const void *payload = sqlite3_column_blob(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        if (len != e->payload_len || (len && memcmp(payload, e->payload, len) != 0))
            st = vt_error_at(err, VT_ERR_STATE, l->path, 0, 0,
                             "report %s is already in the ledger with other bytes", e->id);
        else if (existing_state)
            copy_text(existing_state, 12, sqlite3_column_text(q, 0));
        goto done;
    }
    if (rc != SQLITE_DONE) {
        st = db_error(l, err, "cannot read the ledger");
        goto done;
    }
    sqlite3_finalize(q);
    q = NULL;
    char now[21];
    now_text(now);
    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO ledger (id, time, destination, policy, report, state, "
                           "payload) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
                           -1, &q, NULL) != SQLITE_OK) {
        st = db_error(l, err, "cannot write to the ledger");
        goto done;
    }
    sqlite3_bind_text(q, 1, e->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, e->destination, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)e->policy);
    sqlite3_bind_text(q, 5, e->report, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 6, e->payload, (int)e->payload_len, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        st = db_error(l, err, "cannot write to the ledger");
done:
    sqlite3_finalize(q);
    if (st == VT_OK) {
        if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            st = db_error(l, err, "cannot commit to the ledger");
            sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
        }
    } else {
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return st;
}

vt_status vt_telemetry_ledger_mark(vt_telemetry_ledger *l, const char *id, const char *state,
                                   long http_status, vt_error *err)
{
    sqlite3_stmt *q = NULL;
    char now[21];
    now_text(now);
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE ledger SET state = ?1, state_time = ?2, http_status = ?3 "
                           "WHERE id = ?4",
                           -1, &q, NULL) != SQLITE_OK)
        return db_error(l, err, "cannot write to the ledger");
    sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, http_status);
    sqlite3_bind_text(q, 4, id, -1, SQLITE_STATIC);
    vt_status st = VT_OK;
    if (sqlite3_step(q) != SQLITE_DONE)
        st = db_error(l, err, "cannot write to the ledger");
    else if (sqlite3_changes(l->db) != 1)
        st = vt_error_at(err, VT_ERR_NOT_FOUND, l->path, 0, 0, "no report %s in the ledger", id);
    sqlite3_finalize(q);
    return st;
}

void vt_ledger_entries_free(vt_ledger_entry *entries, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(entries[i].destination);
        free(entries[i].payload);
    }
    free(entries);
}

vt_status vt_telemetry_ledger_list(vt_telemetry_ledger *l, const char *state,
                                   vt_ledger_entry **entries, size_t *count, vt_error *err)
{
    *entries = NULL;
    *count = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT seq, time, destination, policy, report, id, state, state_time, "
                           "http_status, payload FROM ledger WHERE ?1 IS NULL OR state = ?1 "
                           "ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK)
        return db_error(l, err, "cannot read the ledger");
    if (state)
        sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
    vt_status st = VT_OK;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            vt_ledger_entry *grown = realloc(*entries, cap * sizeof *grown);
            if (!grown) {
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
                break;
            }
            *entries = grown;
        }
        vt_ledger_entry *e = &(*entries)[*count];
        memset(e, 0, sizeof *e);
        (*count)++;
        e->seq = (uint64_t)sqlite3_column_int64(q, 0);
        copy_text(e->time, sizeof e->time, sqlite3_column_text(q, 1));
        e->destination = strdup((const char *)sqlite3_column_text(q, 2));
        e->policy = (uint64_t)sqlite3_column_int64(q, 3);
        copy_text(e->report, sizeof e->report, sqlite3_column_text(q, 4));
        copy_text(e->id, sizeof e->id, sqlite3_column_text(q, 5));
        copy_text(e->state, sizeof e->state, sqlite3_column_text(q, 6));
        copy_text(e->state_time, sizeof e->state_time, sqlite3_column_text(q, 7));
        e->http_status = (long)sqlite3_column_int64(q, 8);
        e->payload_len = (size_t)sqlite3_column_bytes(q, 9);
        e->payload = malloc(e->payload_len + 1);
        if (!e->destination || !e->payload) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            break;
        }
        if (e->payload_len)
            memcpy(e->payload, sqlite3_column_blob(q, 9), e->payload_len);
        e->payload[e->payload_len] = 0;
    }
    if (st == VT_OK && rc != SQLITE_DONE)
        st = db_error(l, err, "cannot read the ledger");
    sqlite3_finalize(q);
    if (st != VT_OK) {
        vt_ledger_entries_free(*entries, *count);
        *entries = NULL;
        *count = 0;
    }
    return st;
}
