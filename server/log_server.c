/* log_server.c: `vitrine serve log`: a read-only HTTP server for a log directory on
 * libmicrohttpd. A request path is accepted only if it is exactly a path of the tlog-tiles
 * layout (checkpoint, tile/L/N[.p/W], tile/entries/N[.p/W], N in x-prefixed groups of three
 * digits), so no request can name anything else (no "..", no dot files, no keys). Files are
 * opened relative to the directory without following symbolic links and sent from their fd. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log_server.h"

struct vt_log_server {
    struct MHD_Daemon *daemon;
    int dir_fd;
    unsigned port;
};

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "x001/x234/067" (three digits per element, x on all but the last), then optional ".p/W". */
static enum vt_log_path_kind classify_index(const char *s)
{
    for (;;) {
        if (s[0] == 'x') {
            if (!digits(s + 1, 3) || s[4] != '/')
                return VT_LOG_PATH_INVALID;
            s += 5;
            continue;
        }
        if (!digits(s, 3))
            return VT_LOG_PATH_INVALID;
        s += 3;
        break;
    }
    if (*s == '\0')
        return VT_LOG_PATH_FULL;
    if (strncmp(s, ".p/", 3) != 0)
        return VT_LOG_PATH_INVALID;
    s += 3;
    size_t n = strlen(s);
    if (n == 0 || n > 3 || !digits(s, n) || s[0] == '0' || atoi(s) > 255)
        return VT_LOG_PATH_INVALID;
    return VT_LOG_PATH_PARTIAL;
}

enum vt_log_path_kind vt_log_path_classify(const char *path)
{
    if (strlen(path) > 200)
        return VT_LOG_PATH_INVALID;
    if (strcmp(path, "checkpoint") == 0)
        return VT_LOG_PATH_CHECKPOINT;
    if (strncmp(path, "tile/", 5) != 0)
        return VT_LOG_PATH_INVALID;
    const char *s = path + 5;
    if (strncmp(s, "entries/", 8) == 0)
        return classify_index(s + 8);
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 2 || s[n] != '/' || (n == 2 && s[0] == '0') || atoi(s) > 63)
        return VT_LOG_PATH_INVALID;
    return classify_index(s + n + 1);
}

static enum MHD_Result respond_status(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    struct vt_log_server *srv = cls;
    if (*req_cls == NULL) { /* first call: headers only */
        *req_cls = srv;
        return MHD_YES;
    }
    if (*upload_size != 0)
        return respond_status(c, MHD_HTTP_BAD_REQUEST, "no request bodies\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return respond_status(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
    const char *path = url[0] == '/' ? url + 1 : url;
    enum vt_log_path_kind kind = vt_log_path_classify(path);
    if (kind == VT_LOG_PATH_INVALID)
        return respond_status(c, MHD_HTTP_NOT_FOUND, "not found\n");
    int fd = openat(srv->dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return respond_status(c, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    const char *cache = kind == VT_LOG_PATH_FULL      ? "public, max-age=31536000, immutable"
                        : kind == VT_LOG_PATH_PARTIAL ? "public, max-age=5"
                                                      : "no-cache";
    MHD_add_response_header(r, "Cache-Control", cache);
    MHD_add_response_header(r, "Content-Type", kind == VT_LOG_PATH_CHECKPOINT
                                                   ? "text/plain; charset=utf-8"
                                                   : "application/octet-stream");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
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

vt_status vt_log_server_start(const char *dir, const char *listen, vt_log_server **out,
                              vt_error *err)
{
    *out = NULL;
    struct sockaddr_storage addr;
    vt_status st = parse_listen(listen, &addr, err);
    if (st != VT_OK)
        return st;
    struct vt_log_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    srv->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (srv->dir_fd < 0) {
        int e = errno;
        free(srv);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot open %s", dir);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
                                   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                   MHD_OPTION_THREAD_POOL_SIZE, 4u,
                                   MHD_OPTION_CONNECTION_LIMIT, 1000u,
                                   MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                   MHD_OPTION_END);
    if (!srv->daemon) {
        close(srv->dir_fd);
        free(srv);
        return vt_error_set(err, VT_ERR_NETWORK, "cannot listen on %s", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return VT_OK;
}

unsigned vt_log_server_port(const vt_log_server *server)
{
    return server->port;
}

void vt_log_server_stop(vt_log_server *server)
{
    if (!server)
        return;
    MHD_stop_daemon(server->daemon);
    close(server->dir_fd);
    free(server);
}
