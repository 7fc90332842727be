/* log_server.h: serving a transparency log directory read-only over HTTP (libmicrohttpd), in the
 * C2SP tlog-tiles layout, with the caching headers the layout allows: full tiles and entry
 * bundles are immutable, partial tiles and the checkpoint are short-lived. Only paths of the
 * layout are served; anything else is 404. */
#ifndef VITRINE_SERVER_LOG_SERVER_H
#define VITRINE_SERVER_LOG_SERVER_H

#include <vitrine/common.h>

#include "http_server.h"

typedef struct vt_log_server vt_log_server;

/* Start serving `dir` on `listen` ("HOST:PORT", "[V6]:PORT" or ":PORT"; port 0 picks a free
 * port) within `limits` (http_server.h). Runs in its own threads until vt_log_server_stop. */
vt_status vt_log_server_start(const char *dir, const char *listen,
                              const vt_http_limits *limits, vt_log_server **out, vt_error *err);
unsigned vt_log_server_port(const vt_log_server *server);
void vt_log_server_stop(vt_log_server *server);

/* How the server classifies a request path (exposed for tests and fuzzing). */
enum vt_log_path_kind {
    VT_LOG_PATH_INVALID = 0,
    VT_LOG_PATH_CHECKPOINT,
    VT_LOG_PATH_FULL,    /* full tile or entry bundle: immutable */
    VT_LOG_PATH_PARTIAL, /* partial tile or bundle: short-lived */
};
enum vt_log_path_kind vt_log_path_classify(const char *path);

#endif
