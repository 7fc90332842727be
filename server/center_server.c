/* center_server.c: `vitrine serve center`: a read-only HTTP server for a built transparency
 * center. A request path is served only if it is one of the page's files or "log/" followed by
 * a path of the tlog-tiles layout (vt_log_path_classify, the log server's decision) or a pack
 * ("pack/N", the build's groups of full tiles and bundles), so no request can name anything
 * else. Files are opened relative to the current directory's fd without following symbolic
 * links; the fd can be switched to a rebuilt directory while serving. The page is sent with
 * its Content-Security-Policy also as a header. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "center_server.h"
#include "log_server.h"

struct vt_center_server {
    vt_http_server *http;
    pthread_mutex_t lock;
    int dir_fd; /* under lock */
};

static const struct {
    const char *path, *type;
} page_files[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"center.js", "text/javascript; charset=utf-8"},
    {"center.css", "text/css; charset=utf-8"},
    {"feed.json", "application/json"},
};

#define CSP                                                                                        \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "               \
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* "pack/" and a decimal without leading zeros (a pack of full tiles, cli/center.c). */
static int is_pack_path(const char *path)
{
    if (strncmp(path, "pack/", 5) != 0)
        return 0;
    const char *d = path + 5;
    size_t n = strspn(d, "0123456789");
    return n > 0 && n <= 18 && d[n] == '\0' && (d[0] != '0' || n == 1);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)req_cls;
    struct vt_center_server *srv = cls;
    enum MHD_Result refused;
    if (vt_http_refuse_unless_read(c, method, &refused))
        return refused;
    const char *path = url[0] == '/' ? url + 1 : url;
    if (*path == '\0')
        path = "index.html";
    const char *type = NULL, *cache = "no-cache";
    for (size_t i = 0; i < sizeof page_files / sizeof page_files[0]; i++)
        if (strcmp(path, page_files[i].path) == 0)
            type = page_files[i].type;
    if (!type && strncmp(path, "log/", 4) == 0) {
        enum vt_log_path_kind kind = vt_log_path_classify(path + 4);
        if (kind != VT_LOG_PATH_INVALID) {
            type = kind == VT_LOG_PATH_CHECKPOINT ? "text/plain; charset=utf-8"
                                                  : "application/octet-stream";
            cache = kind == VT_LOG_PATH_FULL      ? "public, max-age=31536000, immutable"
                    : kind == VT_LOG_PATH_PARTIAL ? "public, max-age=5"
                                                  : "no-cache";
        }
    }
    if (!type && is_pack_path(path)) {
        type = "application/octet-stream";
        cache = "public, max-age=31536000, immutable";
    }
    if (!type)
        return vt_http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    pthread_mutex_lock(&srv->lock);
    int fd = openat(srv->dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    pthread_mutex_unlock(&srv->lock);
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
    MHD_add_response_header(r, "Cache-Control", cache);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (strcmp(path, "index.html") == 0)
        MHD_add_response_header(r, "Content-Security-Policy", CSP);
    enum MHD_Result ret = vt_http_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static int open_dir(const char *dir, vt_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        vt_error_errno(err, VT_ERR_IO, errno, "cannot open %s", dir);
    return fd;
}

vt_status vt_center_server_start(const char *dir, const char *listen,
                                 const vt_http_limits *limits, vt_center_server **out,
                                 vt_error *err)
{
    *out = NULL;
    struct vt_center_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if ((srv->dir_fd = open_dir(dir, err)) < 0) {
        free(srv);
        return err->status;
    }
    pthread_mutex_init(&srv->lock, NULL);
    vt_status st = vt_http_server_start(listen, limits, handle, srv, NULL, NULL, &srv->http, err);
    if (st != VT_OK) {
        close(srv->dir_fd);
        pthread_mutex_destroy(&srv->lock);
        free(srv);
        return st;
    }
    *out = srv;
    return VT_OK;
}

vt_status vt_center_server_switch(vt_center_server *srv, const char *dir, vt_error *err)
{
    int fd = open_dir(dir, err);
    if (fd < 0)
        return err->status;
    pthread_mutex_lock(&srv->lock);
    int old = srv->dir_fd;
    srv->dir_fd = fd;
    pthread_mutex_unlock(&srv->lock);
    close(old);
    return VT_OK;
}

unsigned vt_center_server_port(const vt_center_server *server)
{
    return vt_http_server_port(server->http);
}

void vt_center_server_stop(vt_center_server *server)
{
    if (!server)
        return;
    vt_http_server_stop(server->http);
    close(server->dir_fd);
    pthread_mutex_destroy(&server->lock);
    free(server);
}
