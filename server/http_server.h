/* http_server.h: the one setup every vitrine HTTP service runs on (the log server, the witness,
 * and every service added later: collector, transparency center). libmicrohttpd with epoll and a
 * thread pool, so one slow client blocks nobody; a limit on connections overall and per client
 * address; an idle timeout; a whole-request deadline (a reaper thread shuts down any connection
 * whose current request is not received and answered within it, however steadily the client
 * trickles bytes); and
 * request bodies refused from their announced Content-Length before a byte of them is read. */
#ifndef VITRINE_SERVER_HTTP_SERVER_H
#define VITRINE_SERVER_HTTP_SERVER_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>
#include <vitrine/common.h>

typedef struct vt_http_limits {
    unsigned max_connections; /* open connections at once, all clients together */
    unsigned max_per_client;  /* open connections at once from one IP address; 0: no limit */
    unsigned request_timeout; /* seconds a request may take from its first byte (or the end of
                               * the previous request on the connection) until its answer is
                               * queued; 0: no deadline */
    unsigned idle_timeout;    /* seconds without a byte either way; 0: none */
    unsigned threads;         /* worker threads, each with its own epoll set */
} vt_http_limits;

/* The defaults: 1000 connections, 32 per client, 15 s per request, 10 s idle, 4 threads. */
void vt_http_limits_default(vt_http_limits *limits);

/* If `name` is one of the limit options (--max-connections, --max-per-client, --request-timeout,
 * --idle-timeout, --threads), parse `value` into `limits` and set *used to 1; otherwise set
 * *used to 0. An invalid value is VT_ERR_ARGUMENT. */
vt_status vt_http_limits_option(vt_http_limits *limits, const char *name, const char *value,
                                int *used, vt_error *err);

/* The options above as listed in a subcommand's OPTIONS section (its SYNOPSIS says
 * "[LIMITS]"). */
#define VT_HTTP_LIMITS_MANUAL                                                                      \
    "  LIMITS (against hostile or broken clients)\n"                                               \
    "    --max-connections N  connections open at once, all clients together (default 1000;\n"     \
    "                         over it a new connection is closed at once)\n"                       \
    "    --max-per-client N   connections open at once from one IP address (default 32; 0 for\n"   \
    "                         no limit, e.g. behind a reverse proxy that does its own)\n"          \
    "    --request-timeout S  seconds one request may take from its first byte until it is\n"      \
    "                         answered, however steadily the client trickles (default 15;\n"       \
    "                         0 for none); the connection is then closed\n"                        \
    "    --idle-timeout S     seconds a connection may stay silent (default 10; 0 for none)\n"     \
    "    --threads N          worker threads (default 4)\n"

typedef struct vt_http_server vt_http_server;

/* Listen on `listen` ("HOST:PORT", "[V6]:PORT" or ":PORT"; "localhost" is 127.0.0.1; port 0
 * picks a free port) and answer with `handler` (libmicrohttpd's access handler, given
 * `handler_cls`) in the server's own threads until vt_http_server_stop. `completed`, if not
 * NULL, is called when a request ends (to free what the handler kept in *req_cls). Raises the
 * open-file limit if max_connections needs it, or fails with a clear error. */
vt_status vt_http_server_start(const char *listen, const vt_http_limits *limits,
                               MHD_AccessHandlerCallback handler, void *handler_cls,
                               MHD_RequestCompletedCallback completed, void *completed_cls,
                               vt_http_server **out, vt_error *err);
unsigned vt_http_server_port(const vt_http_server *server);
void vt_http_server_stop(vt_http_server *server);

/* For the first call of the access handler (headers received, no body byte read yet): 0 when
 * the request's body may be read, or the status to answer at once: 413 when Content-Length is
 * over `max_body`, or when the body is chunked and `max_body` is 0. A chunked body of unknown
 * length must be counted as it arrives by the handler (libmicrohttpd cannot answer in the middle
 * of an upload; the handler returns MHD_NO, closing the connection, once it passes the limit). */
unsigned vt_http_body_refusal(struct MHD_Connection *connection, size_t max_body);

/* For the servers that only serve reads (the log, the transparency center): true when the
 * request is not a GET or HEAD without a body, with the answer queued and its result in *answer
 * (405 "GET or HEAD only", or vt_http_body_refusal's status and "no request bodies"). Decided in
 * the first call, from the headers alone: a body is never read (with one announced,
 * libmicrohttpd closes the connection after the answer). */
bool vt_http_refuse_unless_read(struct MHD_Connection *connection, const char *method,
                                enum MHD_Result *answer);

/* MHD_queue_response for every answer of a vitrine server: the request deadline stops once the
 * answer is queued (sending it is bounded by the idle timeout, so a large tile bundle to a slow
 * but steady reader is not cut). */
enum MHD_Result vt_http_queue_response(struct MHD_Connection *connection, unsigned status,
                                       struct MHD_Response *response);

/* A gate for the requests that do slow work (a database write): at most `max` at once, so that a
 * store held up (a locked database, a slow disk) leaves worker threads to answer everyone else.
 * vt_http_gate_enter waits at most wait_ms for a place and returns 1 with one taken, 0 (answer
 * vt_http_respond_busy) without. */
typedef struct vt_http_gate {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    unsigned busy, max;
} vt_http_gate;

void vt_http_gate_init(vt_http_gate *gate, unsigned max);
int vt_http_gate_enter(vt_http_gate *gate, unsigned wait_ms);
void vt_http_gate_leave(vt_http_gate *gate);
void vt_http_gate_destroy(vt_http_gate *gate);

/* 503 with Retry-After: 1, for a server that is too busy to take this request now. */
enum MHD_Result vt_http_respond_busy(struct MHD_Connection *connection);

/* Queue a short text/plain answer that is not cached. */
enum MHD_Result vt_http_respond_text(struct MHD_Connection *connection, unsigned status,
                                     const char *text);

#endif
