/* http_server.c: the shared libmicrohttpd setup of vitrine's HTTP services (see http_server.h).
 * libmicrohttpd's own connection timeout only measures silence, so a client that sends one
 * header line every few seconds would hold its connection forever. Every connection is
 * therefore recorded (socket and the start of its current request) from libmicrohttpd's
 * connection-started notification until its closed notification, and a reaper thread shuts
 * down the socket of any connection whose current request is older than the deadline;
 * libmicrohttpd then sees the socket fail and closes the connection in its own thread. The
 * record is removed under the same lock before libmicrohttpd closes the socket, so the reaper
 * never touches a socket number that was closed and reused. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "http_server.h"

/* File descriptors kept free beyond the connections: listening socket, epoll sets, the
 * log directory, SQLite's files, standard streams. */
#define RESERVED_FDS 64u
/* How often the reaper looks for requests past their deadline. */
#define REAPER_TICK_MS 200u
/* libmicrohttpd's messages written to stderr per second at most: a flood of hostile
 * connections must not become a flood of log lines. */
#define LOG_LINES_PER_SECOND 10u

typedef struct tracked_connection {
    struct tracked_connection *prev, *next;
    struct vt_http_server *server;
    int fd;
    uint64_t request_start_ms;
    int answered; /* the current request's answer is queued: the deadline no longer applies */
    int cut;
} tracked_connection;

struct vt_http_server {
    struct MHD_Daemon *daemon;
    vt_http_limits limits;
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    unsigned port;
    pthread_mutex_t lock; /* guards the list and `stopping` */
    pthread_cond_t wake;
    tracked_connection *connections;
    int stopping;
    int reaper_running;
    pthread_t reaper;
    pthread_mutex_t log_lock; /* guards the three below */
    uint64_t log_second;
    unsigned log_lines;
    unsigned long log_suppressed;
};

void vt_http_limits_default(vt_http_limits *limits)
{
    limits->max_connections = 1000;
    limits->max_per_client = 32;
    limits->request_timeout = 15;
    limits->idle_timeout = 10;
    limits->threads = 4;
}

static vt_status parse_count(const char *name, const char *value, unsigned min, unsigned max,
                             unsigned *out, vt_error *err)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno || n < min || n > max)
        return vt_error_set(err, VT_ERR_ARGUMENT, "%s wants a number from %u to %u, got '%s'", name,
                            min, max, value);
    *out = (unsigned)n;
    return VT_OK;
}

vt_status vt_http_limits_option(vt_http_limits *limits, const char *name, const char *value,
                                int *used, vt_error *err)
{
    static const struct {
        const char *name;
        size_t offset;
        unsigned min, max;
    } options[] = {
        {"--max-connections", offsetof(vt_http_limits, max_connections), 1, 1000000},
        {"--max-per-client", offsetof(vt_http_limits, max_per_client), 0, 1000000},
        {"--request-timeout", offsetof(vt_http_limits, request_timeout), 0, 86400},
        {"--idle-timeout", offsetof(vt_http_limits, idle_timeout), 0, 86400},
        {"--threads", offsetof(vt_http_limits, threads), 1, 256},
    };
    *used = 0;
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (strcmp(name, options[i].name) != 0)
            continue;
        *used = 1;
        return parse_count(name, value, options[i].min, options[i].max,
                           (unsigned *)((char *)limits + options[i].offset), err);
    }
    return VT_OK;
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static vt_status parse_listen(const char *listen, struct sockaddr_storage *addr, vt_error *err)
{
    memset(addr, 0, sizeof *addr);
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return vt_error_set(err, VT_ERR_ARGUMENT, "--listen wants HOST:PORT, got '%s'", listen);
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || port < 0 || port > 65535)
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid port in '%s'", listen);
    char host[256];
    size_t host_len = (size_t)(colon - listen);
    if (host_len >= sizeof host)
        return vt_error_set(err, VT_ERR_ARGUMENT, "host too long in '%s'", listen);
    memcpy(host, listen, host_len);
    host[host_len] = '\0';
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        host[host_len - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return vt_error_set(err, VT_ERR_ARGUMENT, "invalid IPv6 address in '%s'", listen);
        return VT_OK;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (host_len == 0)
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid IPv4 address in '%s' (use an address)",
                            listen);
    return VT_OK;
}

/* max_connections sockets must fit under the open-file limit; raise the soft limit up to the
 * hard one if needed. */
static vt_status ensure_fd_limit(unsigned max_connections, vt_error *err)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot read the open-file limit");
    rlim_t need = (rlim_t)max_connections + RESERVED_FDS;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
            return vt_error_set(err, VT_ERR_LIMIT,
                                "--max-connections %u needs %u open files, but the hard limit "
                                "(ulimit -Hn) is %llu; lower --max-connections",
                                max_connections, (unsigned)need, (unsigned long long)rl.rlim_max);
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return vt_error_errno(err, VT_ERR_IO, errno, "cannot raise the open-file limit to %u",
                                  (unsigned)need);
    }
    return VT_OK;
}

static void log_message(void *cls, const char *format, va_list args)
{
    struct vt_http_server *srv = cls;
    pthread_mutex_lock(&srv->log_lock);
    uint64_t second = monotonic_ms() / 1000u;
    if (second != srv->log_second) {
        if (srv->log_suppressed)
            fprintf(stderr, "(%lu more server messages suppressed)\n", srv->log_suppressed);
        srv->log_second = second;
        srv->log_lines = 0;
        srv->log_suppressed = 0;
    }
    if (srv->log_lines < LOG_LINES_PER_SECOND) {
        srv->log_lines++;
        vfprintf(stderr, format, args);
    } else {
        srv->log_suppressed++;
    }
    pthread_mutex_unlock(&srv->log_lock);
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct vt_http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        tracked_connection *t = calloc(1, sizeof *t);
        if (!t || !info) {
            /* Without a record the deadline could not be kept: refuse the connection. */
            free(t);
            if (info)
                shutdown(info->connect_fd, SHUT_RDWR);
            return;
        }
        t->server = srv;
        t->fd = info->connect_fd;
        t->request_start_ms = monotonic_ms();
        pthread_mutex_lock(&srv->lock);
        t->next = srv->connections;
        if (t->next)
            t->next->prev = t;
        srv->connections = t;
        pthread_mutex_unlock(&srv->lock);
        *socket_context = t;
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED comes before libmicrohttpd closes the socket. */
    tracked_connection *t = *socket_context;
    if (!t)
        return;
    pthread_mutex_lock(&srv->lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        srv->connections = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&srv->lock);
    free(t);
    *socket_context = NULL;
}

/* The request state of a request whose answer waits for libmicrohttpd's second call. */
static char deferred_request;

/* Every request goes through here to the service's handler. libmicrohttpd 0.9.75 closes the
 * connection after an answer queued in the first call of a request (the headers just read), so
 * a request without a body is answered in the second call instead: clients that fetch many
 * files (the transparency center's page: hundreds of tiles) keep their connection. A request
 * that announces a body still reaches the handler at once, which may refuse it early (413)
 * and have the connection closed. */
static enum MHD_Result dispatch(void *cls, struct MHD_Connection *connection, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_size, void **req_cls)
{
    struct vt_http_server *srv = cls;
    if (*req_cls == NULL &&
        !MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH) &&
        !MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        *req_cls = &deferred_request;
        return MHD_YES;
    }
    if (*req_cls == &deferred_request)
        *req_cls = NULL; /* the handler sees its first call */
    return srv->handler(srv->handler_cls, connection, url, method, version, upload_data,
                        upload_size, req_cls);
}

/* A request ended: the next one on this connection starts its own clock. */
static void request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                              enum MHD_RequestTerminationCode code)
{
    struct vt_http_server *srv = cls;
    if (*req_cls == &deferred_request)
        *req_cls = NULL; /* ended before the handler saw it */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    tracked_connection *t = info ? info->socket_context : NULL;
    if (t) {
        pthread_mutex_lock(&srv->lock);
        t->request_start_ms = monotonic_ms();
        t->answered = 0;
        pthread_mutex_unlock(&srv->lock);
    }
    if (srv->completed)
        srv->completed(srv->completed_cls, connection, req_cls, code);
}

static void *reaper_main(void *arg)
{
    struct vt_http_server *srv = arg;
    uint64_t deadline_ms = (uint64_t)srv->limits.request_timeout * 1000u;
    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping) {
        uint64_t now = monotonic_ms();
        for (tracked_connection *t = srv->connections; t; t = t->next) {
            if (!t->cut && !t->answered && now - t->request_start_ms > deadline_ms) {
                /* Not close(): the socket stays libmicrohttpd's until it closes it. */
                shutdown(t->fd, SHUT_RDWR);
                t->cut = 1;
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)REAPER_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->wake, &srv->lock, &until);
    }
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

vt_status vt_http_server_start(const char *listen, const vt_http_limits *limits,
                               MHD_AccessHandlerCallback handler, void *handler_cls,
                               MHD_RequestCompletedCallback completed, void *completed_cls,
                               vt_http_server **out, vt_error *err)
{
    *out = NULL;
    struct sockaddr_storage addr;
    vt_status st = parse_listen(listen, &addr, err);
    if (st != VT_OK)
        return st;
    if (limits->max_connections < limits->threads)
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "--max-connections %u is less than one per thread (--threads %u)",
                            limits->max_connections, limits->threads);
    st = ensure_fd_limit(limits->max_connections, err);
    if (st != VT_OK)
        return st;
    struct vt_http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    srv->limits = *limits;
    srv->handler = handler;
    srv->handler_cls = handler_cls;
    srv->completed = completed;
    srv->completed_cls = completed_cls;
    pthread_condattr_t attr;
    if (pthread_mutex_init(&srv->lock, NULL) != 0) {
        free(srv);
        return vt_error_set(err, VT_ERR_NOMEM, "cannot create a lock");
    }
    if (pthread_mutex_init(&srv->log_lock, NULL) != 0) {
        pthread_mutex_destroy(&srv->lock);
        free(srv);
        return vt_error_set(err, VT_ERR_NOMEM, "cannot create a lock");
    }
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&srv->wake, &attr) != 0) {
        pthread_mutex_destroy(&srv->log_lock);
        pthread_mutex_destroy(&srv->lock);
        free(srv);
        return vt_error_set(err, VT_ERR_NOMEM, "cannot create a condition variable");
    }
    pthread_condattr_destroy(&attr);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, dispatch, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, limits->threads, MHD_OPTION_CONNECTION_LIMIT,
        limits->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits->max_per_client,
        MHD_OPTION_CONNECTION_TIMEOUT, limits->idle_timeout, MHD_OPTION_NOTIFY_CONNECTION,
        notify_connection, srv, MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
        MHD_OPTION_EXTERNAL_LOGGER, log_message, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        vt_http_server_stop(srv);
        return vt_error_set(err, VT_ERR_NETWORK, "cannot listen on %s", listen);
    }
    if (limits->request_timeout > 0) {
        if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
            vt_http_server_stop(srv);
            return vt_error_set(err, VT_ERR_NOMEM, "cannot start the request-deadline thread");
        }
        srv->reaper_running = 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return VT_OK;
}

unsigned vt_http_server_port(const vt_http_server *server)
{
    return server->port;
}

void vt_http_server_stop(vt_http_server *server)
{
    if (!server)
        return;
    if (server->reaper_running) {
        pthread_mutex_lock(&server->lock);
        server->stopping = 1;
        pthread_cond_signal(&server->wake);
        pthread_mutex_unlock(&server->lock);
        pthread_join(server->reaper, NULL);
    }
    if (server->daemon)
        MHD_stop_daemon(server->daemon);
    pthread_cond_destroy(&server->wake);
    pthread_mutex_destroy(&server->log_lock);
    pthread_mutex_destroy(&server->lock);
    free(server);
}

unsigned vt_http_body_refusal(struct MHD_Connection *connection, size_t max_body)
{
    const char *length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(length, &end, 10);
        if (errno || end == length || n > max_body)
            return MHD_HTTP_CONTENT_TOO_LARGE;
        return 0;
    }
    if (max_body == 0 &&
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return MHD_HTTP_CONTENT_TOO_LARGE;
    return 0;
}

bool vt_http_refuse_unless_read(struct MHD_Connection *connection, const char *method,
                                enum MHD_Result *answer)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        *answer = vt_http_respond_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                                       "GET or HEAD only\n");
        return true;
    }
    unsigned refusal = vt_http_body_refusal(connection, 0);
    if (refusal) {
        *answer = vt_http_respond_text(connection, refusal, "no request bodies\n");
        return true;
    }
    return false;
}

enum MHD_Result vt_http_queue_response(struct MHD_Connection *connection, unsigned status,
                                       struct MHD_Response *response)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    tracked_connection *t = info ? info->socket_context : NULL;
    if (t) {
        pthread_mutex_lock(&t->server->lock);
        t->answered = 1;
        pthread_mutex_unlock(&t->server->lock);
    }
    return MHD_queue_response(connection, status, response);
}

enum MHD_Result vt_http_respond_text(struct MHD_Connection *connection, unsigned status,
                                     const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8") != MHD_YES ||
        MHD_add_response_header(r, "Cache-Control", "no-store") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    enum MHD_Result ret = vt_http_queue_response(connection, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result vt_http_respond_busy(struct MHD_Connection *connection)
{
    static const char text[] = "busy, retry in a second\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof text - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8") != MHD_YES ||
        MHD_add_response_header(r, "Retry-After", "1") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    enum MHD_Result ret = vt_http_queue_response(connection, MHD_HTTP_SERVICE_UNAVAILABLE, r);
    MHD_destroy_response(r);
    return ret;
}

void vt_http_gate_init(vt_http_gate *gate, unsigned max)
{
    pthread_mutex_init(&gate->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&gate->freed, &attr);
    pthread_condattr_destroy(&attr);
    gate->busy = 0;
    gate->max = max ? max : 1;
}

int vt_http_gate_enter(vt_http_gate *gate, unsigned wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&gate->lock);
    int rc = 0;
    while (gate->busy >= gate->max && rc == 0)
        rc = pthread_cond_timedwait(&gate->freed, &gate->lock, &until);
    int got = gate->busy < gate->max;
    if (got)
        gate->busy++;
    pthread_mutex_unlock(&gate->lock);
    return got;
}

void vt_http_gate_leave(vt_http_gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->busy--;
    pthread_cond_signal(&gate->freed);
    pthread_mutex_unlock(&gate->lock);
}

void vt_http_gate_destroy(vt_http_gate *gate)
{
    pthread_cond_destroy(&gate->freed);
    pthread_mutex_destroy(&gate->lock);
}
