/* fetch.c: how the reader gets one file of the tlog-tiles layout: through a transport, a
 * callback it is given (vt_tlog_transport). Two are built in: a directory, and HTTP(S) with
 * libcurl, which follows no redirect, bounds each fetch and, when asked, the whole operation
 * (a deadline). Both refuse a file larger than the caller's limit, so a hostile server or a
 * corrupted disk cannot make a client allocate or wait without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "reader_internal.h"

/* ---- directory ---- */

static vt_status fetch_dir(void *ctx, const char *path, size_t max, vt_buf *out, vt_error *err)
{
    const char *dir = ctx;
    size_t need = strlen(dir) + strlen(path) + 1;
    char *full = malloc(need);
    if (!full)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    snprintf(full, need, "%s%s", dir, path);
    unsigned char *data;
    size_t len;
    out->len = 0;
    vt_status st = vt_read_file(full, max, &data, &len, err);
    if (st == VT_OK) {
        if (vt_buf_append(out, data, len) != VT_OK)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory reading %s", full);
        free(data);
    }
    free(full);
    return st;
}

/* A copy of `location` ending in '/'. */
static char *with_slash(const char *location)
{
    size_t len = strlen(location);
    char *s = malloc(len + 2);
    if (s) {
        memcpy(s, location, len + 1);
        if (len == 0 || location[len - 1] != '/')
            strcat(s, "/");
    }
    return s;
}

vt_status vt_tlog_transport_dir(const char *dir, vt_tlog_transport *out, vt_error *err)
{
    char *base = with_slash(dir);
    if (!base)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    out->fetch = fetch_dir;
    out->close = free;
    out->ctx = base;
    return VT_OK;
}

/* ---- HTTP(S) ---- */

struct http {
    char *base; /* URL ending in '/' */
    CURL *curl; /* created on first use */
    vt_tlog_http_options options;
    uint64_t deadline; /* CLOCK_MONOTONIC milliseconds; 0: none */
};

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void close_http(void *ctx)
{
    struct http *h = ctx;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->base);
    free(h);
}

struct sink {
    vt_buf *out;
    size_t max;
    int too_big;
    int nomem;
};

static size_t write_limited(char *data, size_t size, size_t count, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * count;
    if (s->out->len + n > s->max) {
        s->too_big = 1;
        return 0;
    }
    if (vt_buf_append(s->out, data, n) != VT_OK) {
        s->nomem = 1;
        return 0;
    }
    return n;
}

static vt_status fetch_http(void *ctx, const char *path, size_t max, vt_buf *out, vt_error *err)
{
    struct http *h = ctx;
    char url[4096];
    int n = snprintf(url, sizeof url, "%s%s", h->base, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return vt_error_set(err, VT_ERR_LIMIT, "URL too long");
    long timeout = h->options.fetch_timeout_ms ? (long)h->options.fetch_timeout_ms : 60000L;
    int by_deadline = 0;
    if (h->deadline) {
        uint64_t now = monotonic_ms();
        if (now >= h->deadline)
            return vt_error_set(err, VT_ERR_NETWORK,
                                "the deadline of %.1f s passed before fetching %s",
                                (double)h->options.deadline_ms / 1000.0, url);
        if (h->deadline - now < (uint64_t)timeout) {
            timeout = (long)(h->deadline - now);
            by_deadline = 1;
        }
    }
    if (!h->curl && !(h->curl = curl_easy_init()))
        return vt_error_set(err, VT_ERR_NOMEM, "cannot start libcurl");
    CURL *c = h->curl;
    struct sink s = {out, max, 0, 0};
    out->len = 0;
    long connect = h->options.connect_timeout_ms ? (long)h->options.connect_timeout_ms : 10000L;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect < timeout ? connect : timeout);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_limited);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vitrine-tlog");
    /* tlog-tiles: servers may compress bundles; the limit above applies to decoded bytes. */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return vt_error_set(err, VT_ERR_LIMIT, "%s is larger than the limit of %zu bytes", url, max);
    if (s.nomem)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory fetching %s", url);
    if (rc == CURLE_OPERATION_TIMEDOUT && by_deadline)
        return vt_error_set(err, VT_ERR_NETWORK,
                            "fetching %s: the deadline of %.1f s for the whole operation passed",
                            url, (double)h->options.deadline_ms / 1000.0);
    if (rc == CURLE_PARTIAL_FILE)
        return vt_error_set(err, VT_ERR_NETWORK, "fetching %s: the body was truncated (%s)", url,
                            curl_easy_strerror(rc));
    if (rc != CURLE_OK)
        return vt_error_set(err, VT_ERR_NETWORK, "fetching %s: %s", url, curl_easy_strerror(rc));
    if (status == 404)
        return vt_error_set(err, VT_ERR_NOT_FOUND, "%s: not found (404)", url);
    if (status != 200)
        return vt_error_set(err, VT_ERR_NETWORK, "%s: HTTP status %ld%s", url, status,
                            status >= 300 && status < 400 ? " (redirects are not followed)" : "");
    return VT_OK;
}

vt_status vt_tlog_transport_http(const char *url, const vt_tlog_http_options *options,
                                 vt_tlog_transport *out, vt_error *err)
{
    struct http *h = calloc(1, sizeof *h);
    if (!h || !(h->base = with_slash(url))) {
        free(h);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    if (options)
        h->options = *options;
    if (h->options.deadline_ms)
        h->deadline = monotonic_ms() + h->options.deadline_ms;
    out->fetch = fetch_http;
    out->close = close_http;
    out->ctx = h;
    return VT_OK;
}

/* ---- the reader ---- */

static int is_url(const char *location)
{
    return strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0;
}

vt_status vt_tlog_reader_open_transport(const vt_tlog_transport *transport, const char *location,
                                        vt_tlog_reader **out, vt_error *err)
{
    *out = NULL;
    vt_tlog_reader *r = calloc(1, sizeof *r);
    if (r)
        r->location = with_slash(location ? location : "(transport)");
    if (!r || !r->location) {
        free(r);
        if (transport->close)
            transport->close(transport->ctx);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    r->transport = *transport;
    *out = r;
    return VT_OK;
}

vt_status vt_tlog_reader_open_with(const char *location, const vt_tlog_http_options *options,
                                   vt_tlog_reader **out, vt_error *err)
{
    *out = NULL;
    vt_tlog_transport t;
    vt_status st = is_url(location) ? vt_tlog_transport_http(location, options, &t, err)
                                    : vt_tlog_transport_dir(location, &t, err);
    if (st == VT_OK)
        st = vt_tlog_reader_open_transport(&t, location, out, err);
    if (st == VT_OK && !is_url(location))
        (*out)->dir = (*out)->location; /* verify_log also checks every file in a directory */
    return st;
}

vt_status vt_tlog_reader_open(const char *location, vt_tlog_reader **out, vt_error *err)
{
    return vt_tlog_reader_open_with(location, NULL, out, err);
}

void vt_tlog_reader_close(vt_tlog_reader *reader)
{
    if (!reader)
        return;
    if (reader->transport.close)
        reader->transport.close(reader->transport.ctx);
    free(reader->location);
    free(reader);
}

vt_status vt_tlog_reader_fetch(vt_tlog_reader *reader, const char *path, size_t max, vt_buf *out,
                               vt_error *err)
{
    if (path[0] == '/' || strstr(path, ".."))
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid log path '%s'", path);
    out->len = 0;
    return reader->transport.fetch(reader->transport.ctx, path, max, out, err);
}
