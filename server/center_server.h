/* center_server.h: `vitrine serve center`: serving a built transparency center directory
 * (`vitrine center build`) over HTTP on the shared setup (http_server.h). Only the page's files
 * (index.html, center.js, center.css, feed.json) and the log copy's tlog-tiles paths under log/
 * are served; anything else is 404. The directory can be replaced while serving (a rebuild). */
#ifndef VITRINE_SERVER_CENTER_SERVER_H
#define VITRINE_SERVER_CENTER_SERVER_H

#include <vitrine/common.h>

#include "http_server.h"

typedef struct vt_center_server vt_center_server;

/* Serve the center built in `dir` on `listen` within `limits` until vt_center_server_stop. */
vt_status vt_center_server_start(const char *dir, const char *listen,
                                 const vt_http_limits *limits, vt_center_server **out,
                                 vt_error *err);
/* Serve `dir` from now on (requests already answering keep their open files). */
vt_status vt_center_server_switch(vt_center_server *server, const char *dir, vt_error *err);
unsigned vt_center_server_port(const vt_center_server *server);
void vt_center_server_stop(vt_center_server *server);

#endif
