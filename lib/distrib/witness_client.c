/* witness_client.c: the log's side of c2sp.org/tlog-witness: POST add-checkpoint (old size,
 * consistency proof lines, blank line, signed checkpoint) with libcurl, following one 409
 * Conflict to the size the witness knows, and collecting the cosignature lines it returns. What
 * an answer means (cosigned, evidence of a fork or rollback, or unavailable) is the trust
 * core's vt_trust_witness_answer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <vitrine/distrib.h>
#include <vitrine/trust.h>

#define MAX_RESPONSE 65536u

static size_t collect(char *data, size_t size, size_t n, void *user)
{
    vt_buf *buf = user;
    size_t len = size * n;
    if (buf->len + len > MAX_RESPONSE || vt_buf_append(buf, data, len) != VT_OK)
        return 0;
    return len;
}

static vt_status post(const char *url, const vt_buf *body, long *code, vt_buf *response,
                      vt_error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return vt_error_set(err, VT_ERR_NOMEM, "cannot start libcurl");
    char full[2048];
    size_t n = strlen(url);
    snprintf(full, sizeof full, "%s%sadd-checkpoint", url, n && url[n - 1] == '/' ? "" : "/");
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/plain");
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body->data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, response);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return vt_error_set(err, VT_ERR_NETWORK, "witness %s: %s", full, curl_easy_strerror(rc));
    return VT_OK;
}

static vt_status build_body(vt_tlog_reader *log, uint64_t old, uint64_t size, const void *note,
                            size_t len, vt_buf *body, vt_error *err)
{
    body->len = 0;
    vt_status st = vt_buf_printf(body, "old %" PRIu64 "\n", old);
    if (st == VT_OK && old > 0 && old < size) {
        unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
        size_t n = 0;
        if ((st = vt_tlog_reader_prove_consistency(log, old, size, proof, &n, err)) != VT_OK)
            return st;
        for (size_t i = 0; i < n && st == VT_OK; i++) {
            char b64[64];
            vt_tlog_base64_encode(proof[i], VT_TLOG_HASH_SIZE, b64, sizeof b64);
            st = vt_buf_printf(body, "%s\n", b64);
        }
    }
    if (st == VT_OK)
        st = vt_buf_append(body, "\n", 1);
    if (st == VT_OK)
        st = vt_buf_append(body, note, len);
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

vt_status vt_witness_submit(const char *url, vt_tlog_reader *log, const void *note, size_t len,
                            uint64_t size, vt_buf *lines, vt_error *err)
{
    vt_buf body = {0}, response = {0};
    uint64_t old = 0;
    vt_status st = VT_OK;
    char context[1100];
    snprintf(context, sizeof context, "witness %.1000s", url);
    for (int attempt = 0; attempt < 2; attempt++) {
        long code = 0;
        response.len = 0;
        vt_error fetch_err;
        vt_error_clear(&fetch_err);
        if ((st = build_body(log, old, size, note, len, &body, err)) != VT_OK)
            break;
        if (post(url, &body, &code, &response, &fetch_err) != VT_OK) {
            vt_trust_verdict v;
            vt_trust_unavailable(&v, &fetch_err);
            st = vt_trust_error(&v, NULL, err);
            break;
        }
        char *end = NULL;
        unsigned long long known = 0;
        if (code == 409 && response.len)
            known = strtoull((char *)response.data, &end, 10);
        int has_known = end && end != (char *)response.data && *end == '\n';
        vt_trust_verdict v;
        if (vt_trust_witness_answer(code < 0 || code > 999 ? 0u : (unsigned)code, size, has_known,
                                    known, &v) != VT_TRUST_OK) {
            st = vt_trust_error(&v, context, err);
            break;
        }
        if (code == 200) {
            const char *text = (const char *)response.data;
            if (response.len == 0 || strncmp(text, "\xe2\x80\x94 ", 4) != 0 ||
                text[response.len - 1] != '\n') {
                st = vt_error_set(err, VT_ERR_FORMAT, "witness %s: the response is not "
                                                      "signature lines", url);
                break;
            }
            st = vt_buf_append(lines, response.data, response.len);
            break;
        }
        if (attempt == 1) { /* a second 409: the witness moved on meanwhile */
            st = vt_error_set(err, VT_ERR_NETWORK, "unavailable: witness %s answered 409 twice",
                              url);
            break;
        }
        old = known; /* 409 with a size at most ours: submit again from it */
    }
    vt_buf_free(&body);
    vt_buf_free(&response);
    return st;
}
