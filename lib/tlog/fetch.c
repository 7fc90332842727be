/* fetch.c: how the reader gets one file of the tlog-tiles layout: from a directory, or over
 * HTTP(S) with libcurl. Both refuse a file larger than the caller's limit, so a hostile server
 * or a corrupted disk cannot make a client allocate without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "reader_internal.h"

vt_status vt_tlog_reader_open(const char *location, vt_tlog_reader **out, vt_error *err)
{
    *out = NULL;
    vt_tlog_reader *r = calloc(1, sizeof *r);
    if (!r)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    size_t len = strlen(location);
    r->is_http = strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0;
    r->base = malloc(len + 2);
    if (!r->base) {
        free(r);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    memcpy(r->base, location, len + 1);
    if (len == 0 || location[len - 1] != '/')
        strcat(r->base, "/");
    *out = r;
    return VT_OK;
}

void vt_tlog_reader_close(vt_tlog_reader *reader)
{
    if (!reader)
        return;
    if (reader->curl)
        curl_easy_cleanup(reader->curl);
    free(reader->base);
    free(reader);
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

static vt_status fetch_http(vt_tlog_reader *r, const char *url, size_t max, vt_buf *out,
                            vt_error *err)
{
    if (!r->curl) {
        r->curl = curl_easy_init();
        if (!r->curl)
            return vt_error_set(err, VT_ERR_NOMEM, "cannot start libcurl");
    }
    CURL *c = r->curl;
    struct sink s = {out, max, 0, 0};
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
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
    if (rc != CURLE_OK)
        return vt_error_set(err, VT_ERR_NETWORK, "fetching %s: %s", url, curl_easy_strerror(rc));
    if (status == 404)
        return vt_error_set(err, VT_ERR_NOT_FOUND, "%s: not found (404)", url);
    if (status != 200)
        return vt_error_set(err, VT_ERR_NETWORK, "%s: HTTP status %ld", url, status);
    return VT_OK;
}

vt_status vt_tlog_reader_fetch(vt_tlog_reader *reader, const char *path, size_t max, vt_buf *out,
                               vt_error *err)
{
    if (path[0] == '/' || strstr(path, ".."))
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid log path '%s'", path);
    size_t need = strlen(reader->base) + strlen(path) + 1;
    char *full = malloc(need);
    if (!full)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    snprintf(full, need, "%s%s", reader->base, path);
    vt_status st;
    out->len = 0;
    if (reader->is_http) {
        st = fetch_http(reader, full, max, out, err);
    } else {
        unsigned char *data;
        size_t len;
        st = vt_read_file(full, max, &data, &len, err);
        if (st == VT_OK) {
            if (vt_buf_append(out, data, len) != VT_OK)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory reading %s", full);
            free(data);
        }
    }
    free(full);
    return st;
}
