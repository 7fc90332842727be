/* send.c: the data channel's sender (docs/telemetry.md "Sending"), linked only into
 * `vitrine-net`. Each pending payload goes: checked again (its policy must be covered by consent
 * and it must still pass vt_telemetry_report_check today), committed byte for byte to the
 * ledger, and only then POSTed with libcurl to the collector its policy names (TLS checks on,
 * http only to 127.0.0.1/localhost, no redirect, no identifying header). A 201 or a 200
 * "duplicate" marks it sent; a failure leaves it queued in the ledger for the next send, and
 * since the collector de-duplicates by report id, a payload sent again after a crash is stored
 * once. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include <vitrine/telemetry.h>

#include "telemetry_internal.h"

#define MAX_RESPONSE 65536u

static size_t collect(char *data, size_t size, size_t n, void *user)
{
    vt_buf *buf = user;
    size_t len = size * n;
    if (buf->len + len > MAX_RESPONSE || vt_buf_append(buf, data, len) != VT_OK)
        return 0;
    return len;
}

vt_status vt_telemetry_post(const char *url, const char *relay, const void *body, size_t len,
                            long *http_status, vt_buf *response, vt_error *err)
{
    *http_status = 0;
    if (relay)
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "sending through a relay (Oblivious HTTP) is not implemented");
    /* the URL is the policy's collector plus a fixed path: the same rule as the policy's */
    if (!vt_policy_url_valid(url, strlen(url)))
        return vt_error_set(err, VT_ERR_ARGUMENT,
                            "refusing to send to %s: not an https:// URL (or http:// to "
                            "127.0.0.1/localhost)",
                            url);
    CURL *c = curl_easy_init();
    if (!c)
        return vt_error_set(err, VT_ERR_NOMEM, "cannot start libcurl");
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *more = headers ? curl_slist_append(headers, "Expect:") : NULL;
    if (!more) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(c);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    headers = more;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, len > VT_TELEMETRY_MAX_REPORT ? 600L : 60L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, response);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return vt_error_set(err, VT_ERR_NETWORK, "unavailable: %s: %s", url,
                            curl_easy_strerror(rc));
    return VT_OK;
}

void vt_telemetry_pending_free(vt_telemetry_pending *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(items[i].path);
        free(items[i].payload);
    }
    free(items);
}

/* The policy a report naming `index` may be sent under: the one in force when consent covers
 * it, or the one consent was given for. NULL otherwise. */
static const vt_data_policy_entry *policy_for(const vt_telemetry_state *s, uint64_t index)
{
    if (index == s->index && s->usable)
        return &s->policy;
    if (s->has_consent && index == s->consent_index)
        return &s->consented;
    return NULL;
}

/* Decide whether one payload may be sent now, and where. */
static void judge(const vt_telemetry_state *s, const char *today, vt_telemetry_pending *item)
{
    json_t *root = json_loadb((const char *)item->payload, item->payload_len,
                              JSON_REJECT_DUPLICATES, NULL);
    json_t *jpolicy = root ? json_object_get(root, "policy") : NULL;
    json_t *jid = root ? json_object_get(root, "id") : NULL;
    if (jid && json_is_string(jid) && !item->id[0])
        snprintf(item->id, sizeof item->id, "%.32s", json_string_value(jid));
    if (!json_is_integer(jpolicy) || json_integer_value(jpolicy) < 0) {
        json_decref(root);
        snprintf(item->why, sizeof item->why, "not a report");
        item->refuse = 1;
        return;
    }
    item->policy = (uint64_t)json_integer_value(jpolicy);
    json_decref(root);
    const vt_data_policy_entry *policy = policy_for(s, item->policy);
    if (!policy) {
        snprintf(item->why, sizeof item->why,
                 "held: it follows data policy %" PRIu64 ", which consent does not cover",
                 item->policy);
        return;
    }
    vt_telemetry_report report;
    vt_error err;
    vt_error_clear(&err);
    if (vt_telemetry_report_check(policy, item->policy, item->payload, item->payload_len, today,
                                  &report, &err) != VT_OK) {
        char text[sizeof item->why];
        vt_error_format(&err, text, sizeof text);
        snprintf(item->why, sizeof item->why, "%s", text);
        item->refuse = err.status != VT_ERR_NOMEM;
        return;
    }
    snprintf(item->id, sizeof item->id, "%s", report.id);
    snprintf(item->report, sizeof item->report, "%s", report.report);
    char destination[sizeof item->destination];
    snprintf(destination, sizeof destination, "%s%s", policy->collector,
             vt_telemetry_endpoint(vt_data_policy_report(policy, report.report)));
    vt_telemetry_report_clear(&report);
    if (item->destination[0] && strcmp(item->destination, destination) != 0) {
        snprintf(item->why, sizeof item->why,
                 "held: the ledger records it for %.260s, but its policy now names %.260s",
                 item->destination, destination);
        return;
    }
    snprintf(item->destination, sizeof item->destination, "%s", destination);
    item->sendable = 1;
}

static vt_status add_item(vt_telemetry_pending **items, size_t *count, size_t *cap,
                          vt_telemetry_pending **out, vt_error *err)
{
    if (*count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        vt_telemetry_pending *grown = realloc(*items, grown_cap * sizeof *grown);
        if (!grown)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        *items = grown;
        *cap = grown_cap;
    }
    *out = &(*items)[(*count)++];
    memset(*out, 0, sizeof **out);
    return VT_OK;
}

vt_status vt_telemetry_pending_list(const vt_telemetry_state *s, vt_telemetry_ledger *ledger,
                                    vt_telemetry_pending **items, size_t *count, vt_error *err)
{
    *items = NULL;
    *count = 0;
    size_t cap = 0;
    char today[11];
    vt_telemetry_today(today);
    vt_ledger_entry *rows = NULL;
    size_t row_count = 0;
    vt_status st = vt_telemetry_ledger_list(ledger, "queued", &rows, &row_count, err);
    for (size_t i = 0; i < row_count && st == VT_OK; i++) {
        vt_telemetry_pending *item = NULL;
        if ((st = add_item(items, count, &cap, &item, err)) != VT_OK)
            break;
        item->payload = rows[i].payload;
        item->payload_len = rows[i].payload_len;
        rows[i].payload = NULL;
        snprintf(item->destination, sizeof item->destination, "%s", rows[i].destination);
        snprintf(item->id, sizeof item->id, "%s", rows[i].id);
        judge(s, today, item);
    }
    vt_ledger_entries_free(rows, row_count);
    char **paths = NULL;
    size_t path_count = 0;
    if (st == VT_OK)
        st = vt_telemetry_queue_list(s->dir, &paths, &path_count, err);
    for (size_t i = 0; i < path_count && st == VT_OK; i++) {
        vt_telemetry_pending *item = NULL;
        if ((st = add_item(items, count, &cap, &item, err)) != VT_OK)
            break;
        item->path = paths[i];
        paths[i] = NULL;
        st = vt_read_file(item->path, VT_TELEMETRY_MAX_SAMPLE, &item->payload, &item->payload_len,
                          err);
        if (st == VT_ERR_LIMIT) {
            st = VT_OK;
            item->refuse = 1;
            snprintf(item->why, sizeof item->why, "larger than a report may be");
        } else if (st == VT_OK) {
            judge(s, today, item);
        }
    }
    vt_telemetry_list_free(paths, path_count);
    if (st != VT_OK) {
        vt_telemetry_pending_free(*items, *count);
        *items = NULL;
        *count = 0;
    }
    return st;
}

/* A queued file that will never be sendable: moved to STATE/telemetry/refused/. */
static vt_status set_aside(const vt_telemetry_state *s, const char *path, vt_error *err)
{
    char dir[4200], to[4400];
    snprintf(dir, sizeof dir, "%s/refused", s->dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", dir);
    const char *base = strrchr(path, '/');
    snprintf(to, sizeof to, "%s/%s", dir, base ? base + 1 : path);
    if (rename(path, to) != 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot move %s to %s", path, dir);
    return VT_OK;
}

/* The collector's answer: 201 {"stored":ID} or 200 {"duplicate":ID} for this id. */
static int acknowledged(long status, const vt_buf *response, const char *id, int *duplicate)
{
    if (status != 201 && status != 200)
        return 0;
    json_t *root = json_loadb((const char *)response->data, response->len, 0, NULL);
    json_t *v = root ? json_object_get(root, status == 201 ? "stored" : "duplicate") : NULL;
    int ok = json_is_string(v) && strcmp(json_string_value(v), id) == 0;
    json_decref(root);
    *duplicate = status == 200;
    return ok;
}

vt_status vt_telemetry_send(const vt_telemetry_state *s, vt_telemetry_ledger *ledger,
                            void (*on_item)(void *, const vt_telemetry_pending *, const char *,
                                            const char *),
                            void *user, vt_telemetry_send_result *result, vt_error *err)
{
    memset(result, 0, sizeof *result);
    vt_telemetry_pending *items = NULL;
    size_t count = 0;
    vt_status st = vt_telemetry_pending_list(s, ledger, &items, &count, err);
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        vt_telemetry_pending *item = &items[i];
        char detail[1200] = "";
        if (!item->sendable) {
            if (item->refuse) {
                st = item->path ? set_aside(s, item->path, err)
                                : vt_telemetry_ledger_mark(ledger, item->id, "refused", 0, err);
                result->refused++;
            } else {
                result->held++;
            }
            if (on_item)
                on_item(user, item, item->refuse ? "refused" : "held", item->why);
            continue;
        }
        if (item->path) {
            vt_ledger_entry e = {.destination = item->destination, .policy = item->policy,
                                 .payload = item->payload, .payload_len = item->payload_len};
            snprintf(e.report, sizeof e.report, "%s", item->report);
            snprintf(e.id, sizeof e.id, "%s", item->id);
            char existing[12];
            if ((st = vt_telemetry_ledger_add(ledger, &e, existing, err)) != VT_OK)
                break;
            if (unlink(item->path) != 0 && errno != ENOENT) {
                st = vt_error_errno(err, VT_ERR_IO, errno, "cannot remove %s", item->path);
                break;
            }
            char queue[4200];
            snprintf(queue, sizeof queue, "%s/queue", s->dir);
            if ((st = vt_fsync_dir(queue, err)) != VT_OK)
                break;
            if (existing[0] && strcmp(existing, "queued") != 0)
                continue; /* handled by an earlier send that stopped before removing the file */
        }
        long status = 0;
        vt_buf response = {0};
        vt_error post_err;
        vt_error_clear(&post_err);
        vt_status post_st = vt_telemetry_post(item->destination, NULL, item->payload,
                                              item->payload_len, &status, &response, &post_err);
        int duplicate = 0;
        if (post_st == VT_OK && acknowledged(status, &response, item->id, &duplicate)) {
            st = vt_telemetry_ledger_mark(ledger, item->id, "sent", status, err);
            if (duplicate)
                result->duplicates++;
            else
                result->sent++;
            if (on_item)
                on_item(user, item, duplicate ? "duplicate" : "sent", "");
        } else if (post_st == VT_OK && (status == 400 || status == 413)) {
            snprintf(detail, sizeof detail, "the collector answered %ld: %.1000s", status,
                     response.data ? (const char *)response.data : "");
            st = vt_telemetry_ledger_mark(ledger, item->id, "refused", status, err);
            result->refused++;
            if (on_item)
                on_item(user, item, "refused", detail);
        } else {
            if (post_st != VT_OK)
                vt_error_format(&post_err, detail, sizeof detail);
            else
                snprintf(detail, sizeof detail, "unavailable: the collector answered %ld", status);
            result->failed++;
            if (on_item)
                on_item(user, item, "failed", detail);
            st = vt_error_set(err, VT_ERR_NETWORK,
                              "%s; it stays queued in the ledger for the next send", detail);
        }
        vt_buf_free(&response);
    }
    vt_telemetry_pending_free(items, count);
    return st;
}
