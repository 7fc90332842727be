/* witness_server.c: `vitrine witness serve`: a C2SP tlog-witness. POST /add-checkpoint takes
 * "old SIZE", consistency proof lines, a blank line and a signed checkpoint; the witness checks
 * the log signature (404 unknown origin, 403 no valid signature), the old size against the one it
 * stored (409 with the known size), that the checkpoint extends the stored one (the trust
 * core's vt_trust_extends; 422 if not), and then stores the new checkpoint and
 * cosigns it. Check and store happen in one SQLite IMMEDIATE transaction, so two concurrent
 * requests (even from two processes on one database) cannot roll the stored size back.
 * Connection limits and the request deadline are the shared setup's (http_server.h); a body
 * announced larger than MAX_BODY is refused with 413 before a byte of it is read, and a request
 * that would hold up the last free worker thread is answered 503. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include <vitrine/trust.h>

#include "http_server.h"
#include "witness_server.h"

#define MAX_BODY (VT_TLOG_MAX_NOTE + 64 * 64 + 64)

struct vt_witness_server {
    vt_http_server *http;
    sqlite3 *db;
    pthread_mutex_t lock;
    const vt_tlog_signer *key;
    vt_tlog_verifier *const *logs;
    size_t log_count;
    /* Requests being checked and stored at once: one worker thread less than there are, so
     * that a store held up (the database locked by another process, a slow disk) leaves a
     * thread to answer everyone else. A request finding no place waits at most BUSY_WAIT_MS
     * for one, then is answered 503. */
    vt_http_gate busy;
};

#define BUSY_WAIT_MS 1000

typedef struct request {
    vt_buf body;
} request;

vt_status vt_witness_parse_request(const void *body, size_t len, uint64_t *old,
                                   unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t *proof_len,
                                   size_t *note_offset, vt_error *err)
{
    /* An empty body may come as a NULL pointer (an empty vt_buf): no pointer arithmetic on it. */
    if (len == 0)
        return vt_error_set(err, VT_ERR_SYNTAX, "empty request; expected 'old SIZE'");
    const char *p = body, *end = p + len;
    const char *nl = memchr(p, '\n', len);
    if (!nl || nl - p < 5 || memcmp(p, "old ", 4) != 0)
        return vt_error_set(err, VT_ERR_SYNTAX, "expected 'old SIZE'");
    const char *d = p + 4;
    size_t n = (size_t)(nl - d);
    if (n == 0 || n > 18 || (n > 1 && d[0] == '0'))
        return vt_error_set(err, VT_ERR_SYNTAX, "invalid old size");
    *old = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9')
            return vt_error_set(err, VT_ERR_SYNTAX, "invalid old size");
        *old = *old * 10 + (uint64_t)(d[i] - '0');
    }
    p = nl + 1;
    *proof_len = 0;
    for (;;) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return vt_error_set(err, VT_ERR_SYNTAX, "expected a blank line before the checkpoint");
        if (nl == p)
            break;
        if (*proof_len == 63)
            return vt_error_set(err, VT_ERR_LIMIT, "more than 63 proof lines");
        size_t out_len;
        if (vt_tlog_base64_decode(p, (size_t)(nl - p), proof[*proof_len], VT_TLOG_HASH_SIZE,
                                  &out_len) != VT_OK ||
            out_len != VT_TLOG_HASH_SIZE)
            return vt_error_set(err, VT_ERR_SYNTAX, "a proof line is not a base64 hash");
        (*proof_len)++;
        p = nl + 1;
    }
    *note_offset = (size_t)(nl + 1 - (const char *)body);
    return VT_OK;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const char *text, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = vt_http_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result text_status(struct MHD_Connection *c, unsigned status, const char *text)
{
    return respond(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* Check and store in one transaction; returns the HTTP status (200 with cosignature in out). */
static unsigned check_and_store(struct vt_witness_server *w, const vt_tlog_checkpoint *cp,
                                const char *note_text, size_t note_text_len, uint64_t old,
                                const unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t proof_len,
                                vt_buf *out)
{
    unsigned status = 500;
    sqlite3_stmt *sel = NULL, *put = NULL;
    pthread_mutex_lock(&w->lock);
    if (sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto unlock;
    if (sqlite3_prepare_v2(w->db, "SELECT size, root FROM checkpoints WHERE origin = ?", -1, &sel,
                           NULL) != SQLITE_OK)
        goto rollback;
    sqlite3_bind_text(sel, 1, cp->origin, -1, SQLITE_STATIC);
    uint64_t known = 0;
    unsigned char known_root[VT_TLOG_HASH_SIZE];
    vt_tlog_empty_root(known_root);
    int rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) {
        known = (uint64_t)sqlite3_column_int64(sel, 0);
        if (sqlite3_column_bytes(sel, 1) == VT_TLOG_HASH_SIZE)
            memcpy(known_root, sqlite3_column_blob(sel, 1), VT_TLOG_HASH_SIZE);
    } else if (rc != SQLITE_DONE) {
        goto rollback;
    }
    if (old != known) {
        vt_buf_printf(out, "%" PRIu64 "\n", known);
        status = 409;
        goto rollback;
    }
    vt_tlog_checkpoint stored = {.size = known};
    memcpy(stored.origin, cp->origin, sizeof stored.origin);
    memcpy(stored.root, known_root, VT_TLOG_HASH_SIZE);
    if (vt_trust_extends(&stored, cp, proof, proof_len, NULL) != VT_TRUST_OK) {
        status = 422;
        goto rollback;
    }
    if (sqlite3_prepare_v2(w->db,
                           "INSERT OR REPLACE INTO checkpoints(origin, size, root) VALUES (?, ?, ?)",
                           -1, &put, NULL) != SQLITE_OK)
        goto rollback;
    sqlite3_bind_text(put, 1, cp->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(put, 2, (sqlite3_int64)cp->size);
    sqlite3_bind_blob(put, 3, cp->root, VT_TLOG_HASH_SIZE, SQLITE_STATIC);
    if (sqlite3_step(put) != SQLITE_DONE)
        goto rollback;
    if (vt_tlog_sign_line(w->key, note_text, note_text_len, (uint64_t)time(NULL), out, NULL) !=
        VT_OK)
        goto rollback;
    if (sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto rollback;
    status = 200;
    goto unlock;
rollback:
    sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
unlock:
    sqlite3_finalize(sel);
    sqlite3_finalize(put);
    pthread_mutex_unlock(&w->lock);
    return status;
}

static enum MHD_Result add_checkpoint(struct vt_witness_server *w, struct MHD_Connection *c,
                                      const vt_buf *body)
{
    uint64_t old;
    unsigned char proof[64][VT_TLOG_HASH_SIZE];
    size_t proof_len, off;
    if (vt_witness_parse_request(body->data, body->len, &old, proof, &proof_len, &off, NULL) !=
        VT_OK)
        return text_status(c, 400, "malformed add-checkpoint request\n");
    vt_tlog_note *note = NULL;
    vt_tlog_checkpoint cp = {0};
    if (vt_tlog_note_parse(body->data + off, body->len - off, &note, NULL) != VT_OK ||
        vt_tlog_checkpoint_parse(note->text, note->text_len, &cp, NULL) != VT_OK) {
        vt_tlog_note_free(note);
        return text_status(c, 400, "malformed checkpoint\n");
    }
    enum MHD_Result ret;
    const vt_tlog_verifier *log = NULL;
    for (size_t i = 0; i < w->log_count && !log; i++)
        if (strcmp(vt_tlog_verifier_name(w->logs[i]), cp.origin) == 0)
            log = w->logs[i];
    unsigned char empty[VT_TLOG_HASH_SIZE];
    vt_tlog_empty_root(empty);
    if (!log)
        ret = text_status(c, 404, "unknown log\n");
    else if (vt_trust_checkpoint(&(vt_trust_checkpoint_policy){.log_key = log}, body->data + off,
                                 body->len - off, 0, NULL, NULL) != VT_TRUST_OK)
        ret = text_status(c, 403, "no valid signature by the log's key\n");
    else if (old > cp.size)
        ret = text_status(c, 400, "old size larger than the checkpoint\n");
    else if (cp.size == 0 && memcmp(cp.root, empty, VT_TLOG_HASH_SIZE) != 0)
        ret = text_status(c, 422, "empty tree with a non-empty root\n");
    else {
        vt_buf out = {0};
        unsigned status = check_and_store(w, &cp, note->text, note->text_len, old,
                                          (const unsigned char(*)[VT_TLOG_HASH_SIZE])proof,
                                          proof_len, &out);
        if (status == 200)
            ret = respond(c, 200, "text/plain; charset=utf-8", (char *)out.data, out.len);
        else if (status == 409)
            ret = respond(c, 409, "text/x.tlog.size", (char *)out.data, out.len);
        else if (status == 422)
            ret = text_status(c, 422, "consistency proof does not verify\n");
        else
            ret = text_status(c, 500, "witness storage failed\n");
        vt_buf_free(&out);
    }
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_note_free(note);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    (void)version;
    struct vt_witness_server *w = cls;
    request *req = *req_cls;
    if (!req) {
        /* First call, headers only: refuse what can be refused before reading the body. */
        if (strcmp(url, "/add-checkpoint") != 0)
            return text_status(c, 404, "not found\n");
        if (strcmp(method, "POST") != 0)
            return text_status(c, 405, "POST only\n");
        if (vt_http_body_refusal(c, MAX_BODY))
            return text_status(c, 413, "request too large\n");
        if (!(req = calloc(1, sizeof *req)))
            return MHD_NO;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Only a chunked body (no Content-Length) can get here past the limit; libmicrohttpd
         * cannot answer in the middle of an upload, so the connection is closed. */
        if (req->body.len + *upload_size > MAX_BODY ||
            vt_buf_append(&req->body, upload_data, *upload_size) != VT_OK)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (!vt_http_gate_enter(&w->busy, BUSY_WAIT_MS))
        return vt_http_respond_busy(c);
    enum MHD_Result ret = add_checkpoint(w, c, &req->body);
    vt_http_gate_leave(&w->busy);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    request *req = *req_cls;
    if (req) {
        vt_buf_free(&req->body);
        free(req);
        *req_cls = NULL;
    }
}

vt_status vt_witness_server_start(const char *db, const vt_tlog_signer *key,
                                  vt_tlog_verifier *const *logs, size_t log_count,
                                  const char *listen, const vt_http_limits *limits,
                                  vt_witness_server **out, vt_error *err)
{
    *out = NULL;
    vt_status st;
    struct vt_witness_server *w = calloc(1, sizeof *w);
    if (!w)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    w->key = key;
    w->logs = logs;
    w->log_count = log_count;
    pthread_mutex_init(&w->lock, NULL);
    vt_http_gate_init(&w->busy, limits->threads > 1 ? limits->threads - 1 : 1);
    if (sqlite3_open(db, &w->db) != SQLITE_OK ||
        sqlite3_exec(w->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;"
                     "CREATE TABLE IF NOT EXISTS checkpoints(origin TEXT PRIMARY KEY, "
                     "size INTEGER NOT NULL, root BLOB NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        st = vt_error_set(err, VT_ERR_IO, "cannot open the witness database %s: %s", db,
                          w->db ? sqlite3_errmsg(w->db) : "out of memory");
        vt_witness_server_stop(w);
        return st;
    }
    st = vt_http_server_start(listen, limits, handle, w, completed, NULL, &w->http, err);
    if (st != VT_OK) {
        vt_witness_server_stop(w);
        return st;
    }
    *out = w;
    return VT_OK;
}

unsigned vt_witness_server_port(const vt_witness_server *server)
{
    return vt_http_server_port(server->http);
}

void vt_witness_server_stop(vt_witness_server *w)
{
    if (!w)
        return;
    vt_http_server_stop(w->http);
    sqlite3_close(w->db);
    vt_http_gate_destroy(&w->busy);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
