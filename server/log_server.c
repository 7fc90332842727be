/* log_server.c: `vitrine serve log`: a read-only HTTP server for a log directory on
 * libmicrohttpd. A request path is accepted only if it is exactly a path of the tlog-tiles
 * layout (checkpoint, tile/L/N[.p/W], tile/entries/N[.p/W], N in x-prefixed groups of three
 * digits), so no request can name anything else (no "..", no dot files, no keys). Files are
 * opened relative to the directory without following symbolic links and sent from their fd.
 * Connection limits and the request deadline are the shared setup's (http_server.h); every
 * request is answered from its headers, so no body byte is ever read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http_server.h"
#include "log_server.h"

struct vt_log_server {
    vt_http_server *http;
    int dir_fd;
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

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)req_cls;
    struct vt_log_server *srv = cls;
    enum MHD_Result refused;
    if (vt_http_refuse_unless_read(c, method, &refused))
        return refused;
    const char *path = url[0] == '/' ? url + 1 : url;
    enum vt_log_path_kind kind = vt_log_path_classify(path);
    if (kind == VT_LOG_PATH_INVALID)
        return vt_http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    int fd = openat(srv->dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return vt_http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
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
    enum MHD_Result ret = vt_http_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

vt_status vt_log_server_start(const char *dir, const char *listen, const vt_http_limits *limits,
                              vt_log_server **out, vt_error *err)
{
    *out = NULL;
    struct vt_log_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    srv->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (srv->dir_fd < 0) {
        int e = errno;
        free(srv);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot open %s", dir);
    }
    vt_status st = vt_http_server_start(listen, limits, handle, srv, NULL, NULL, &srv->http, err);
    if (st != VT_OK) {
        close(srv->dir_fd);
        free(srv);
        return st;
    }
    *out = srv;
    return VT_OK;
}

unsigned vt_log_server_port(const vt_log_server *server)
{
    return vt_http_server_port(server->http);
}

void vt_log_server_stop(vt_log_server *server)
{
    if (!server)
        return;
    vt_http_server_stop(server->http);
    close(server->dir_fd);
    free(server);
}
