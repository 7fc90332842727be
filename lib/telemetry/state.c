/* state.c: the data channel's client state in STATE/telemetry/ (docs/telemetry.md): the data
 * policy in force, installed by the update client and re-checked offline through the trust core
 * by every reader; the consent, recorded for one policy's log index; the queue of reports that
 * `vitrine scan` writes (one file each, atomically). Nothing here opens a socket or a database:
 * the scanning `vitrine` program links it. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/telemetry.h>
#include <vitrine/trust.h>

#define CONSENT_MAGIC "vitrine/telemetry-consent/v1\n"

static vt_status make_dir(const char *path, vt_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", path);
    return VT_OK;
}

static vt_status telemetry_dir(const char *state_dir, char *out, size_t size, vt_error *err)
{
    char state[4000];
    vt_status st;
    if (state_dir)
        snprintf(state, sizeof state, "%s", state_dir);
    else if ((st = vt_distrib_state_dir(state, sizeof state, err)) != VT_OK)
        return st;
    if (snprintf(out, size, "%s/telemetry", state) >= (int)size)
        return vt_error_set(err, VT_ERR_LIMIT, "state directory path too long");
    return VT_OK;
}

static vt_status write_in(const char *dir, const char *name, const void *data, size_t len,
                          vt_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return vt_write_file_atomic(path, data, len, 0600, err);
}

static vt_status read_in(const char *dir, const char *name, size_t max, unsigned char **data,
                         size_t *len, vt_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return vt_read_file(path, max, data, len, err);
}

/* The index that policy-current names; VT_ERR_NOT_FOUND when there is none. */
static vt_status current_index(const char *dir, uint64_t *index, vt_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/policy-current", dir);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return vt_error_set(err, VT_ERR_NOT_FOUND,
                            "no data policy installed (the log holds none, or 'vitrine update' "
                            "has not run)");
    unsigned char *data = NULL;
    size_t len;
    vt_status st = vt_read_file(path, 64, &data, &len, err);
    if (st != VT_OK)
        return st == VT_ERR_NOT_FOUND ? vt_error_set(err, VT_ERR_IO, "cannot read %s", path) : st;
    if (len < 2 || data[len - 1] != '\n' || !vt_distrib_parse_decimal((char *)data, len - 1, index))
        st = vt_error_at(err, VT_ERR_FORMAT, path, 1, 0, "expected a log index");
    free(data);
    return st;
}

vt_status vt_telemetry_install_policy(const char *state_dir, uint64_t index, const void *entry,
                                      size_t len, const vt_tlog_proof *proof,
                                      const void *log_policy, size_t log_policy_len,
                                      vt_error *err)
{
    char dir[4100], name[64];
    vt_status st = telemetry_dir(state_dir, dir, sizeof dir, err);
    if (st != VT_OK || (st = make_dir(dir, err)) != VT_OK)
        return st;
    uint64_t old = 0;
    vt_error ignored;
    int had_old = current_index(dir, &old, &ignored) == VT_OK;
    vt_buf text = {0};
    if ((st = vt_tlog_proof_format(proof, &text, err)) != VT_OK)
        return st;
    snprintf(name, sizeof name, "policy-%" PRIu64 ".entry", index);
    st = write_in(dir, name, entry, len, err);
    snprintf(name, sizeof name, "policy-%" PRIu64 ".proof", index);
    if (st == VT_OK)
        st = write_in(dir, name, text.data, text.len, err);
    snprintf(name, sizeof name, "policy-%" PRIu64 ".log-policy", index);
    if (st == VT_OK)
        st = write_in(dir, name, log_policy, log_policy_len, err);
    vt_buf_free(&text);
    char line[32];
    snprintf(line, sizeof line, "%" PRIu64 "\n", index);
    if (st == VT_OK)
        st = write_in(dir, "policy-current", line, strlen(line), err);
    if (st == VT_OK && had_old && old != index) {
        static const char *const kinds[] = {"entry", "proof", "log-policy"};
        for (int k = 0; k < 3; k++) {
            char path[4400];
            snprintf(path, sizeof path, "%s/policy-%" PRIu64 ".%s", dir, old, kinds[k]);
            unlink(path);
        }
    }
    return st;
}

void vt_telemetry_state_free(vt_telemetry_state *s)
{
    if (!s)
        return;
    vt_data_policy_entry_clear(&s->policy);
    vt_data_policy_entry_clear(&s->consented);
    vt_policy_change_clear(&s->change);
    free(s);
}

/* The policy in force, re-checked offline: the proof's checkpoint under the stored tlog-policy
 * (signature, witness quorum; no age bound, as for the installed ruleset), inclusion at its
 * index. */
static vt_status load_policy(vt_telemetry_state *s, vt_error *err)
{
    vt_status st = current_index(s->dir, &s->index, err);
    if (st != VT_OK)
        return st;
    char name[64];
    unsigned char *entry = NULL, *proof_text = NULL, *log_policy_text = NULL;
    size_t entry_len = 0, proof_len = 0, log_policy_len = 0;
    vt_tlog_policy *log_policy = NULL;
    vt_tlog_proof proof;
    memset(&proof, 0, sizeof proof);
    snprintf(name, sizeof name, "policy-%" PRIu64 ".entry", s->index);
    st = read_in(s->dir, name, VT_DISTRIB_MAX_ENTRY, &entry, &entry_len, err);
    snprintf(name, sizeof name, "policy-%" PRIu64 ".proof", s->index);
    if (st == VT_OK)
        st = read_in(s->dir, name, VT_TLOG_MAX_PROOF_TEXT, &proof_text, &proof_len, err);
    snprintf(name, sizeof name, "policy-%" PRIu64 ".log-policy", s->index);
    if (st == VT_OK)
        st = read_in(s->dir, name, VT_TLOG_MAX_POLICY, &log_policy_text, &log_policy_len, err);
    if (st == VT_OK)
        st = vt_tlog_policy_parse((char *)log_policy_text, log_policy_len, &log_policy, err);
    if (st == VT_OK)
        st = vt_tlog_proof_parse(proof_text, proof_len, &proof, err);
    if (st == VT_OK) {
        vt_trust_checkpoint_policy policy = {.policy = log_policy};
        vt_trust_verdict v;
        if (vt_trust_proof(&policy, &proof, entry, entry_len, 0, NULL, &v) != VT_TRUST_OK)
            st = vt_trust_error(&v, "the installed data policy", err);
        else if (proof.index != s->index)
            st = vt_error_set(err, VT_ERR_VERIFY,
                              "the installed data policy's proof is for log index %" PRIu64
                              ", not %" PRIu64,
                              proof.index, s->index);
    }
    if (st == VT_OK)
        st = vt_data_policy_entry_parse(entry, entry_len, &s->policy, err);
    if (st == VT_OK)
        vt_distrib_sha256(entry, entry_len, s->sha256);
    if (st != VT_OK && st != VT_ERR_NOMEM && err && !strstr(err->message, "data policy")) {
        char why[900];
        snprintf(why, sizeof why, "%.899s", err->message);
        snprintf(err->message, sizeof err->message,
                 "the installed data policy does not verify: %s", why);
    }
    if (st == VT_ERR_NOT_FOUND) /* a file policy-current names is missing: damage */
        st = err ? (err->status = VT_ERR_VERIFY) : VT_ERR_VERIFY;
    vt_tlog_proof_clear(&proof);
    vt_tlog_policy_free(log_policy);
    free(entry);
    free(proof_text);
    free(log_policy_text);
    return st;
}

/* STATE/telemetry/consent: CONSENT_MAGIC, "policy INDEX", "sha256 HEX", an empty line, then the
 * entry consented to, verbatim. */
static vt_status load_consent(vt_telemetry_state *s, vt_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/consent", s->dir);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return VT_OK;
    unsigned char *data = NULL;
    size_t len;
    vt_status st = vt_read_file(path, VT_DISTRIB_MAX_ENTRY + 256, &data, &len, err);
    if (st != VT_OK)
        return st;
    const char *p = (const char *)data, *end = p + len;
    size_t magic = strlen(CONSENT_MAGIC);
    const char *nl1 = NULL, *nl2 = NULL;
    unsigned char hash[32];
    char hex[65];
    if (len > magic && memcmp(p, CONSENT_MAGIC, magic) == 0 && (p += magic) &&
        (nl1 = memchr(p, '\n', (size_t)(end - p))) && nl1 - p > 7 && memcmp(p, "policy ", 7) == 0 &&
        vt_distrib_parse_decimal(p + 7, (size_t)(nl1 - p - 7), &s->consent_index) &&
        (nl2 = memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1))) && nl2 - nl1 - 1 == 71 &&
        memcmp(nl1 + 1, "sha256 ", 7) == 0 && nl2 + 1 < end && nl2[1] == '\n') {
        const unsigned char *entry = (const unsigned char *)nl2 + 2;
        size_t entry_len = (size_t)(end - (const char *)entry);
        vt_distrib_sha256(entry, entry_len, hash);
        vt_distrib_hex(hash, hex);
        if (memcmp(hex, nl1 + 8, 64) == 0 &&
            vt_data_policy_entry_parse(entry, entry_len, &s->consented, NULL) == VT_OK) {
            s->has_consent = 1;
            free(data);
            return VT_OK;
        }
    }
    free(data);
    return vt_error_at(err, VT_ERR_FORMAT, path, 0, 0,
                       "damaged consent record; run 'vitrine telemetry disable' then 'enable'");
}

vt_status vt_telemetry_state_load(const char *state_dir, vt_telemetry_state **out, vt_error *err)
{
    *out = NULL;
    vt_telemetry_state *s = calloc(1, sizeof *s);
    if (!s)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_status st = telemetry_dir(state_dir, s->dir, sizeof s->dir, err);
    if (st == VT_OK)
        st = load_policy(s, err);
    if (st == VT_OK)
        st = load_consent(s, err);
    if (st == VT_OK && s->has_consent) {
        if (s->consent_index == s->index) {
            s->usable = 1;
        } else if (s->consent_index < s->index) {
            /* a newer policy is used under the old consent only if it needs none */
            st = vt_data_policy_compare(&s->consented, &s->policy, &s->change, err);
            s->usable = st == VT_OK && !s->change.needs_consent;
        }
    }
    if (st != VT_OK) {
        vt_telemetry_state_free(s);
        return st;
    }
    *out = s;
    return VT_OK;
}

vt_status vt_telemetry_consent(vt_telemetry_state *s, vt_error *err)
{
    char name[64];
    unsigned char *entry = NULL;
    size_t len;
    snprintf(name, sizeof name, "policy-%" PRIu64 ".entry", s->index);
    vt_status st = read_in(s->dir, name, VT_DISTRIB_MAX_ENTRY, &entry, &len, err);
    if (st != VT_OK)
        return st;
    unsigned char hash[32];
    char hex[65];
    vt_distrib_sha256(entry, len, hash);
    vt_distrib_hex(hash, hex);
    vt_buf text = {0};
    if (memcmp(hash, s->sha256, 32) != 0)
        st = vt_error_set(err, VT_ERR_STATE,
                          "the installed data policy changed while consent was being given");
    if (st == VT_OK &&
        (vt_buf_printf(&text, CONSENT_MAGIC "policy %" PRIu64 "\nsha256 %s\n\n", s->index, hex) !=
             VT_OK ||
         vt_buf_append(&text, entry, len) != VT_OK))
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (st == VT_OK)
        st = write_in(s->dir, "consent", text.data, text.len, err);
    free(entry);
    vt_buf_free(&text);
    if (st == VT_OK) {
        s->has_consent = 1;
        s->consent_index = s->index;
        s->usable = 1;
        vt_policy_change_clear(&s->change);
    }
    return st;
}

vt_status vt_telemetry_withdraw(const char *dir, vt_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/consent", dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot remove %s", path);
    char **paths = NULL;
    size_t count = 0;
    vt_status st = vt_telemetry_queue_list(dir, &paths, &count, err);
    for (size_t i = 0; i < count && st == VT_OK; i++)
        if (unlink(paths[i]) != 0 && errno != ENOENT)
            st = vt_error_errno(err, VT_ERR_IO, errno, "cannot remove %s", paths[i]);
    vt_telemetry_list_free(paths, count);
    snprintf(path, sizeof path, "%s/queue", dir);
    if (st == VT_OK && access(path, F_OK) == 0)
        st = vt_fsync_dir(path, err);
    return st;
}

vt_status vt_telemetry_new_id(char out[33], vt_error *err)
{
    unsigned char bytes[16];
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_errno(err, VT_ERR_IO, errno, "getrandom");
        got += (size_t)n;
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return VT_OK;
}

void vt_telemetry_today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

vt_status vt_telemetry_queue(const vt_telemetry_state *s, vt_telemetry_report *report, char *path,
                             size_t path_size, vt_error *err)
{
    if (!s->usable)
        return vt_error_set(err, VT_ERR_STATE,
                            "no consent for data policy %" PRIu64 ": nothing queued", s->index);
    report->policy = s->index;
    vt_telemetry_today(report->day);
    vt_status st = vt_telemetry_new_id(report->id, err);
    vt_buf json = {0};
    if (st == VT_OK)
        st = vt_telemetry_report_json(report, &json, err);
    if (st == VT_OK)
        st = vt_telemetry_report_check(&s->policy, s->index, json.data, json.len, report->day, NULL,
                                       err);
    char dir[4200], file[4400];
    snprintf(dir, sizeof dir, "%s/queue", s->dir);
    if (st == VT_OK)
        st = make_dir(dir, err);
    if (st == VT_OK) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        /* the name sorts oldest first; the time stays on this machine (the report has the day) */
        snprintf(file, sizeof file, "%s/%020" PRIu64 "-%s.json", dir,
                 (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec, report->id);
        st = vt_write_file_atomic(file, json.data, json.len, 0600, err);
    }
    if (st == VT_OK && path)
        snprintf(path, path_size, "%s", file);
    vt_buf_free(&json);
    return st;
}

void vt_telemetry_list_free(char **paths, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

vt_status vt_telemetry_queue_list(const char *dir, char ***paths, size_t *count, vt_error *err)
{
    *paths = NULL;
    *count = 0;
    char queue[4200];
    snprintf(queue, sizeof queue, "%s/queue", dir);
    DIR *d = opendir(queue);
    if (!d)
        return errno == ENOENT ? VT_OK
                               : vt_error_errno(err, VT_ERR_IO, errno, "cannot read %s", queue);
    vt_status st = VT_OK;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) && st == VT_OK) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue; /* not a report (a write in progress is NAME.json.tmp.XXXXXX) */
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(*paths, cap * sizeof *grown);
            if (!grown) {
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
                break;
            }
            *paths = grown;
        }
        size_t size = strlen(queue) + n + 2;
        if (!((*paths)[*count] = malloc(size))) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf((*paths)[*count], size, "%s/%s", queue, e->d_name);
        (*count)++;
    }
    closedir(d);
    if (st != VT_OK) {
        vt_telemetry_list_free(*paths, *count);
        *paths = NULL;
        *count = 0;
        return st;
    }
    if (*count)
        qsort(*paths, *count, sizeof **paths, compare_names);
    return VT_OK;
}
