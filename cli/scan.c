/* scan.c: `vitrine scan`, the scanner for people and for machines: clamscan-style lines
 * ("PATH: RULE FOUND", "PATH: OK") and a summary, or one JSON object per file; every directory
 * walked recursively by N threads sharing one compiled ruleset; exit 0 clean, 1 found, 2 error. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <vitrine/distrib.h>
#include <vitrine/rules.h>
#include <vitrine/scan.h>
#include <vitrine/telemetry.h>

#include "command.h"

#define MAX_ARGS 64

typedef struct scan_run {
    const vt_ruleset *rules;
    const vt_installed *installed; /* the installed ruleset, when scanning with it */
    vt_ruleset_view view;
    bool json, infected_only, progress;
    uint64_t files, found_files, detections, errors, skipped, bytes;
    struct timespec started, last_progress;
    uint64_t *entry_files; /* per installed entry: files its rules matched (telemetry) */
    uint64_t *entry_seen;  /* per installed entry: the last file counted */
} scan_run;

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void clear_progress(scan_run *run)
{
    if (run->progress)
        fputs("\r\033[K", stderr);
}

static void show_progress(scan_run *run)
{
    if (!run->progress || seconds_since(&run->last_progress) < 0.2)
        return;
    clock_gettime(CLOCK_MONOTONIC, &run->last_progress);
    fprintf(stderr, "\r\033[Kscanned %" PRIu64 " files, %.1f MB, %" PRIu64 " found", run->files,
            (double)run->bytes / 1e6, run->found_files);
}

/* The log entry an installed rule came from (its namespace is "log-INDEX"), or NULL. */
static const vt_installed_entry *rule_origin(const scan_run *run, const vt_rs_rule *rule)
{
    if (!run->installed)
        return NULL;
    return vt_installed_entry_for(run->installed,
                                  vt_ruleset_str(run->rules, run->view.namespaces[rule->ns]));
}

static const char *rule_label(const scan_run *run, const vt_rs_rule *rule, char *buf,
                              size_t size)
{
    const char *ns = vt_ruleset_str(run->rules, run->view.namespaces[rule->ns]);
    const char *name = vt_ruleset_str(run->rules, rule->name);
    if (strcmp(ns, "default") == 0 || rule_origin(run, rule))
        return name;
    snprintf(buf, size, "%s:%s", ns, name);
    return buf;
}

/* ---- records: one per file, text or JSON ---------------------------------------------------- */

/* Text output escapes what could forge a line or drive a terminal: a backslash is printed as
 * "\\", and each byte of a control character (C0, DEL, C1) or of a sequence that is not valid
 * UTF-8 as "\xHH" (two upper-case hex digits). Every record is then one line, and the name is
 * recovered exactly by undoing the two escapes. */
static void print_escaped(FILE *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t left = strlen(text);
    while (left > 0) {
        uint32_t cp = 0;
        size_t n = vt_utf8_next(s, left, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
            for (size_t i = 0; i < (n ? n : 1); i++)
                fprintf(out, "\\x%02X", s[i]);
            n = n ? n : 1;
        } else if (cp == '\\') {
            fputs("\\\\", out);
        } else {
            fwrite(s, 1, n, out);
        }
        s += n;
        left -= n;
    }
}

static bool is_utf8(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t cp;
    for (size_t i = 0, n; i < len; i += n)
        if ((n = vt_utf8_next(s + i, len - i, &cp)) == 0)
            return false;
    return true;
}

/* A JSON string of bytes that may not be UTF-8: each byte of an invalid sequence becomes U+FFFD
 * (NULL when out of memory). */
static json_t *json_lossy(const char *text, size_t len)
{
    if (is_utf8(text, len))
        return json_stringn(text, len);
    vt_buf buf = {0};
    const unsigned char *s = (const unsigned char *)text;
    bool ok = true;
    for (size_t i = 0, n; i < len && ok; i += n) {
        uint32_t cp;
        n = vt_utf8_next(s + i, len - i, &cp);
        if (n == 0) {
            n = 1;
            ok = vt_buf_append(&buf, "\xEF\xBF\xBD", 3) == VT_OK;
        } else {
            ok = vt_buf_append(&buf, s + i, n) == VT_OK;
        }
    }
    json_t *result = ok ? json_stringn(buf.data ? (const char *)buf.data : "", buf.len) : NULL;
    vt_buf_free(&buf);
    return result;
}

static json_t *json_base64(const char *bytes, size_t len)
{
    char *encoded = malloc(4 * ((len + 2) / 3) + 1);
    if (!encoded)
        return NULL;
    EVP_EncodeBlock((unsigned char *)encoded, (const unsigned char *)bytes, (int)len);
    json_t *result = json_string(encoded);
    free(encoded);
    return result;
}

/* Building a record: every failed allocation clears *ok, so that a record that could not be
 * built whole is reported instead of printed short. */
static void json_put(json_t *object, const char *key, json_t *value, bool *ok)
{
    if (!object)
        json_decref(value);
    if (!value || !object || json_object_set_new(object, key, value) != 0)
        *ok = false;
}

static void json_push(json_t *array, json_t *value, bool *ok)
{
    if (!array)
        json_decref(value);
    if (!value || !array || json_array_append_new(array, value) != 0)
        *ok = false;
}

/* object[key] = the text, lossy; when it is not valid UTF-8, b64_object[b64_key] holds its exact
 * bytes in base64 too. */
static void json_put_bytes(json_t *object, const char *key, json_t *b64_object,
                           const char *b64_key, const char *text, size_t len, bool *ok)
{
    json_put(object, key, json_lossy(text, len), ok);
    if (!is_utf8(text, len))
        json_put(b64_object, b64_key, json_base64(text, len), ok);
}

static json_t *json_path_record(const char *path, const char *status, bool *ok)
{
    json_t *record = json_object();
    json_put_bytes(record, "path", record, "path_b64", path, strlen(path), ok);
    json_put(record, "status", json_string(status), ok);
    return record;
}

static json_t *rule_json(const scan_run *run, const vt_scan_ctx *ctx, const vt_rs_rule *rule,
                         bool *ok)
{
    const vt_ruleset *rs = run->rules;
    json_t *tags = json_array(), *meta = json_object(), *meta_b64 = json_object(),
           *strings = json_array();
    for (uint32_t k = 0; k < rule->tag_count; k++) {
        const char *tag = vt_ruleset_str(rs, run->view.tags[rule->tag_first + k]);
        json_push(tags, json_lossy(tag, strlen(tag)), ok);
    }
    for (uint32_t k = 0; k < rule->meta_count; k++) {
        const vt_rs_meta *m = &run->view.meta[rule->meta_first + k];
        const char *key = vt_ruleset_str(rs, m->key);
        if (m->type == VT_META_INTEGER)
            json_put(meta, key, json_integer(m->integer), ok);
        else if (m->type == VT_META_BOOLEAN)
            json_put(meta, key, json_boolean(m->integer), ok);
        else
            json_put_bytes(meta, key, meta_b64, key, vt_ruleset_str(rs, m->string),
                           m->string.len, ok);
    }
    for (uint32_t k = 0; k < rule->string_count; k++) {
        uint32_t s = rule->string_first + k;
        const vt_rs_string *string = &run->view.strings[s];
        if (string->flags & VT_MOD_PRIVATE)
            continue;
        const char *identifier = vt_ruleset_str(rs, string->identifier);
        vt_match_list list = vt_scan_string_matches(ctx, s);
        for (uint32_t m = 0; m < list.count; m++) {
            const vt_string_match *match = &list.items[m];
            size_t length;
            const uint8_t *bytes = vt_scan_match_bytes(ctx, match, 512, &length);
            json_t *item = json_object();
            json_put(item, "identifier", json_lossy(identifier, strlen(identifier)), ok);
            json_put(item, "offset", json_integer((json_int_t)match->offset), ok);
            json_put(item, "length", json_integer((json_int_t)match->length), ok);
            json_put(item, "data_base64", json_base64((const char *)bytes, length), ok);
            json_push(strings, item, ok);
        }
    }
    const char *name = vt_ruleset_str(rs, rule->name);
    const char *ns = vt_ruleset_str(rs, run->view.namespaces[rule->ns]);
    json_t *result = json_object();
    json_put(result, "rule", json_lossy(name, strlen(name)), ok);
    json_put(result, "namespace", json_lossy(ns, strlen(ns)), ok);
    json_put(result, "tags", tags, ok);
    json_put(result, "meta", meta, ok);
    if (json_object_size(meta_b64) > 0)
        json_put(result, "meta_b64", meta_b64, ok);
    else
        json_decref(meta_b64);
    json_put(result, "strings", strings, ok);
    const vt_installed_entry *origin = rule_origin(run, rule);
    if (origin) {
        json_put(result, "log_index", json_integer((json_int_t)origin->index), ok);
        json_put(result, "entry_sha256", json_string(origin->hex), ok);
    }
    return result;
}

/* Print a JSON record on one line. One that could not be built or written whole is never
 * dropped silently: it is reported on stderr and counted as an error. */
static void print_json(scan_run *run, const char *path, json_t *object, bool ok)
{
    char *text = ok ? json_dumps(object, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text) {
        puts(text);
    } else {
        fputs("vitrine scan: ", stderr);
        print_escaped(stderr, path);
        fputs(": out of memory writing the JSON record ERROR\n", stderr);
        run->errors++;
    }
    free(text);
    json_decref(object);
}

/* The record of a file that was not scanned, or not completely: "PATH: REASON ERROR" (or
 * SKIPPED for a file over --max-filesize) on stdout in text, {"path", "status": "error" or
 * "skipped", "error"} in JSON. Counted in the summary; an error makes the exit status 2 unless
 * something was found. Every way a file can stay unscanned ends here: the walk (a directory or
 * file that cannot be opened, examined or read, a loop), the scan (a read error, out of memory,
 * a timeout). */
static void report_unscanned(scan_run *run, const char *path, const vt_error *err)
{
    bool skipped = err->status == VT_ERR_LIMIT && !strstr(err->message, "timed out");
    if (skipped)
        run->skipped++;
    else
        run->errors++;
    const char *reason = err->message[0] ? err->message : vt_status_name(err->status);
    if (run->json) {
        bool ok = true;
        json_t *record = json_path_record(path, skipped ? "skipped" : "error", &ok);
        json_put(record, "error", json_lossy(reason, strlen(reason)), &ok);
        print_json(run, path, record, ok);
    } else {
        print_escaped(stdout, path);
        fputs(": ", stdout);
        print_escaped(stdout, reason);
        fputs(skipped ? " SKIPPED\n" : " ERROR\n", stdout);
    }
    fflush(stdout);
}

/* One more file matched by a rule of this installed entry (counted once per file). */
static void count_for_telemetry(scan_run *run, const vt_installed_entry *origin)
{
    if (!origin || !run->entry_files || !run->entry_seen)
        return;
    size_t k = (size_t)(origin - run->installed->entries);
    if (run->entry_seen[k] != run->files) {
        run->entry_seen[k] = run->files;
        run->entry_files[k]++;
    }
}

/* After a scan with the installed ruleset: queue one scan-summary report when consent covers
 * the data policy in force (docs/telemetry.md). Only files are written: no socket is opened. A
 * report the policy does not allow (an undeclared or expired field) is refused by
 * vt_telemetry_report_check and nothing is queued. Never changes the scan's exit status. */
static void queue_telemetry(const scan_run *run, const char *state_dir)
{
    vt_error err;
    vt_error_clear(&err);
    vt_telemetry_state *state = NULL;
    vt_status st = vt_telemetry_state_load(state_dir, &state, &err);
    if (st == VT_ERR_NOT_FOUND)
        return; /* no data policy: telemetry is off */
    if (st != VT_OK) {
        char text[1600];
        vt_error_format(&err, text, sizeof text);
        fprintf(stderr, "vitrine scan: telemetry: no report queued: %s\n", text);
        return;
    }
    if (!state->usable) {
        vt_telemetry_state_free(state);
        return; /* no consent for the policy in force: nothing is written */
    }
    /* without the per-entry counters (their allocation failed) the counts would be wrong */
    vt_rule_count *counts = run->entry_files && run->entry_seen
                                ? calloc(run->installed->entry_count + 1, sizeof *counts)
                                : NULL;
    size_t n = 0;
    for (size_t k = 0; counts && k < run->installed->entry_count; k++)
        if (run->entry_files[k])
            counts[n++] = (vt_rule_count){run->installed->entries[k].index, run->entry_files[k]};
    double ms = seconds_since(&run->started) * 1000.0;
    vt_telemetry_field fields[] = {
        {.name = "detections", .type = VT_POLICY_RULE_COUNTS, .counts = counts, .count_count = n},
        {.name = "engine-version", .type = VT_POLICY_VERSION, .text = (char *)vt_version(),
         .text_len = strlen(vt_version())},
        {.name = "files-scanned", .type = VT_POLICY_INTEGER, .integer = run->files},
        {.name = "ruleset-serial", .type = VT_POLICY_INTEGER, .integer = run->installed->serial},
        {.name = "scan-duration-ms", .type = VT_POLICY_INTEGER, .integer = (uint64_t)ms},
    };
    vt_telemetry_report report = {.fields = fields,
                                  .field_count = sizeof fields / sizeof fields[0]};
    snprintf(report.report, sizeof report.report, "scan-summary");
    char path[4400];
    if (!counts)
        st = vt_error_set(&err, VT_ERR_NOMEM, "out of memory");
    else
        st = vt_telemetry_queue(state, &report, path, sizeof path, &err);
    if (st != VT_OK) {
        char text[1600];
        vt_error_format(&err, text, sizeof text);
        fprintf(stderr, "vitrine scan: telemetry: no report queued: %s\n", text);
    }
    free(counts);
    vt_telemetry_state_free(state);
}

static int on_result(void *user, vt_scan_ctx *ctx, const char *path, vt_status status,
                     const vt_error *err)
{
    scan_run *run = user;
    clear_progress(run);
    if (status != VT_OK) {
        report_unscanned(run, path, err);
        show_progress(run);
        return 0;
    }
    uint64_t size;
    vt_scan_data(ctx, &size);
    run->files++;
    run->bytes += size;
    bool ok = true;
    json_t *matches = run->json ? json_array() : NULL;
    uint64_t found = 0;
    uint32_t rules = vt_scan_matched_rule_count(ctx) ? run->view.rule_count : 0;
    for (uint32_t r = 0; r < rules; r++) {
        const vt_rs_rule *rule = &run->view.rules[r];
        if ((rule->flags & VT_RULE_PRIVATE) || !vt_scan_rule_matched(ctx, r))
            continue;
        found++;
        if (run->json) {
            count_for_telemetry(run, rule_origin(run, rule));
            json_push(matches, rule_json(run, ctx, rule, &ok), &ok);
        } else {
            char label[1024];
            const vt_installed_entry *origin = rule_origin(run, rule);
            count_for_telemetry(run, origin);
            print_escaped(stdout, path);
            fputs(": ", stdout);
            print_escaped(stdout, rule_label(run, rule, label, sizeof label));
            fputs(" FOUND", stdout);
            if (origin)
                printf(" (log %" PRIu64 ", sha256 %s)", origin->index, origin->hex);
            putchar('\n');
        }
    }
    run->detections += found;
    run->found_files += found > 0;
    if (run->json) {
        json_t *record = json_path_record(path, found ? "found" : "clean", &ok);
        json_put(record, "matches", matches, &ok);
        print_json(run, path, record, ok);
    } else if (!found && !run->infected_only) {
        print_escaped(stdout, path);
        fputs(": OK\n", stdout);
    }
    fflush(stdout);
    show_progress(run);
    return 0;
}

/* ---- loading rules ------------------------------------------------------------------------ */

static int load_rules(const char **specs, size_t count, const char **defines,
                      size_t define_count, vt_ruleset **out)
{
    vt_error err;
    vt_error_clear(&err);
    if (count == 1 && vt_rules_is_compiled(specs[0])) {
        if (vt_ruleset_load(specs[0], out, &err) != VT_OK)
            return cli_report("scan", &err);
        return 0;
    }
    vt_compiler *compiler = NULL;
    if (vt_compiler_new(&compiler, &err) != VT_OK)
        return cli_report("scan", &err);
    vt_status st = VT_OK;
    for (size_t i = 0; i < define_count && st == VT_OK; i++) {
        char name[256];
        const char *value;
        if (vt_rules_split_define(defines[i], name, sizeof name, &value, &err) != VT_OK) {
            vt_compiler_free(compiler);
            return cli_usage_error("scan", "-d: %s", err.message);
        }
        st = vt_compiler_define(compiler, name, value, &err);
    }
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        char *ns;
        const char *path;
        if ((st = vt_rules_split_arg(specs[i], &ns, &path, &err)) != VT_OK)
            break;
        if (vt_rules_is_compiled(path)) {
            free(ns);
            vt_compiler_free(compiler);
            return cli_usage_error("scan", "%s is a compiled ruleset: give it as the only --rules",
                                   path);
        }
        st = vt_compiler_add_file(compiler, ns, path, &err);
        free(ns);
    }
    if (st == VT_OK) /* scanned here, never saved: the image needs no checksum */
        st = vt_compiler_finish_unsealed(compiler, out, &err);
    vt_compiler_free(compiler);
    return st == VT_OK ? 0 : cli_report("scan", &err);
}

/* ---- the command -------------------------------------------------------------------------- */

static bool parse_size(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (end == text || errno)
        return false;
    uint64_t unit = 1;
    if (*end == 'K' || *end == 'k')
        unit = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        unit = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        unit = 1024ull * 1024 * 1024, end++;
    if (*end || n > UINT64_MAX / unit)
        return false;
    *out = n * unit;
    return true;
}

static vt_status submit_file(void *user, int fd, const char *path)
{
    vt_error err;
    return vt_pool_submit_fd(user, fd, path, &err);
}

/* What the walk could not reach goes through the pool, so that its record is printed by
 * on_result like every other (report_unscanned), in walk order. */
static vt_status submit_walk_error(void *user, const char *path, bool file, const vt_error *err)
{
    (void)file;
    vt_error queue_err;
    return vt_pool_submit_error(user, path, err, &queue_err);
}

static void print_summary(const scan_run *run)
{
    double elapsed = seconds_since(&run->started);
    printf("\n----------- SCAN SUMMARY -----------\n"
           "Rules: %zu\n"
           "Engine version: vitrine %s\n"
           "Scanned files: %" PRIu64 "\n"
           "Infected files: %" PRIu64 "\n"
           "Detections: %" PRIu64 "\n",
           run->view.rule_count, vt_version(), run->files, run->found_files, run->detections);
    if (run->skipped)
        printf("Skipped files: %" PRIu64 "\n", run->skipped);
    if (run->errors)
        printf("Errors: %" PRIu64 "\n", run->errors);
    printf("Data scanned: %.2f MB\n"
           "Time: %.3f sec (%d m %d s)\n",
           (double)run->bytes / (1024.0 * 1024.0), elapsed, (int)elapsed / 60, (int)elapsed % 60);
}

static int run_scan(int argc, char **argv)
{
    static const struct option options[] = {
        {"rules", required_argument, NULL, 'r'},
        {"define", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},
        {"infected", no_argument, NULL, 'i'},
        {"max-filesize", required_argument, NULL, 'M'},
        {"follow-symlinks", no_argument, NULL, 'L'},
        {"timeout", required_argument, NULL, 't'},
        {"no-summary", no_argument, NULL, 'S'},
        {"state", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *rule_specs[MAX_ARGS], *defines[MAX_ARGS];
    size_t rule_count = 0, define_count = 0;
    scan_run run = {0};
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t max_size = 1024ull * 1024 * 1024;
    bool follow = false, summary = true;
    unsigned timeout = 0;
    const char *state_dir = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "r:d:f:j:iM:Lt:S", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'r':
            if (rule_count == MAX_ARGS)
                return cli_usage_error("scan", "too many --rules");
            rule_specs[rule_count++] = optarg;
            break;
        case 'd':
            if (define_count == MAX_ARGS)
                return cli_usage_error("scan", "too many -d");
            defines[define_count++] = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                run.json = true;
            else if (strcmp(optarg, "text") != 0)
                return cli_usage_error("scan", "--format takes text or json, not '%s'", optarg);
            break;
        case 'j':
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 256)
                return cli_usage_error("scan", "-j takes a number of threads from 1 to 256");
            break;
        case 'i': run.infected_only = true; break;
        case 'L': follow = true; break;
        case 'S': summary = false; break;
        case 's': state_dir = optarg; break;
        case 'M':
            if (!parse_size(optarg, &max_size))
                return cli_usage_error("scan", "--max-filesize takes a size like 100M, not '%s'",
                                       optarg);
            break;
        case 't':
            timeout = (unsigned)strtoul(optarg, &end, 10);
            if (*end)
                return cli_usage_error("scan", "--timeout takes seconds, not '%s'", optarg);
            break;
        default:
            return cli_usage_error("scan", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("scan", "nothing to scan: give one or more files or directories");
    vt_ruleset *rules = NULL;
    vt_installed *installed = NULL;
    cli_compile_memory(true);
    if (rule_count == 0) {
        /* The installed ruleset, its proofs re-checked as it is loaded. */
        vt_error load_err;
        vt_error_clear(&load_err);
        if (define_count)
            return cli_usage_error("scan", "-d applies to --rules only");
        if (vt_installed_load(state_dir, &installed, &load_err) != VT_OK) {
            if (load_err.status == VT_ERR_NOT_FOUND)
                fputs("vitrine scan: no --rules given and no ruleset installed "
                      "(run 'vitrine update' first)\n", stderr);
            return cli_report("scan", &load_err);
        }
        rules = installed->rules;
        installed->rules = NULL;
        run.installed = installed;
        run.entry_files = calloc(installed->entry_count + 1, sizeof *run.entry_files);
        run.entry_seen = calloc(installed->entry_count + 1, sizeof *run.entry_seen);
    } else if (load_rules(rule_specs, rule_count, defines, define_count, &rules) != 0) {
        return EXIT_ERROR;
    }
    run.rules = rules;
    vt_ruleset_get_view(rules, &run.view);
    run.progress = !run.json && isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &run.started);

    vt_error err;
    vt_scanner *scanner = NULL;
    vt_pool *pool = NULL;
    vt_scan_options scan_options = {.timeout_seconds = timeout};
    if (vt_scanner_new(rules, &scanner, &err) != VT_OK ||
        vt_pool_new(scanner, &scan_options, (unsigned)jobs, max_size, on_result, &run, &pool,
                    &err) != VT_OK) {
        vt_scanner_free(scanner);
        vt_ruleset_free(rules);
        vt_installed_free(installed);
        free(run.entry_files);
        free(run.entry_seen);
        return cli_report("scan", &err);
    }
    cli_compile_memory(false);
    vt_walk_options walk = {
        .recursive = true,
        .follow_symlinks = follow,
        .on_file = submit_file,
        .on_error = submit_walk_error,
        .user = pool,
    };
    /* A symbolic link named on the command line is followed, file or directory (as clamscan's
     * default --follow-file-symlinks=1 --follow-dir-symlinks=1); -L follows those met inside
     * directories too. A walk that stops (out of memory) is an error record for its root. */
    vt_status walk_status = VT_OK;
    for (int i = optind; i < argc && walk_status != VT_ERR_STATE; i++) {
        vt_error_clear(&err);
        walk_status = vt_walk(argv[i], &walk, &err);
        if (walk_status != VT_OK && walk_status != VT_ERR_STATE)
            walk_status = vt_pool_submit_error(pool, argv[i], &err, &err);
    }
    vt_status st = vt_pool_finish(pool, &err);
    vt_pool_free(pool);
    clear_progress(&run);
    if (summary && !run.json)
        print_summary(&run);
    if (st == VT_OK && installed && run.entry_files && run.entry_seen)
        queue_telemetry(&run, state_dir);
    free(run.entry_files);
    free(run.entry_seen);
    vt_scanner_free(scanner);
    vt_ruleset_free(rules);
    vt_installed_free(installed);
    if (st != VT_OK)
        return cli_report("scan", &err);
    if (run.found_files)
        return EXIT_FOUND;
    return run.errors ? EXIT_ERROR : EXIT_CLEAN;
}

const struct vt_command command_scan = {
    .name = "scan",
    .summary = "scan files and directories, clamscan-style or as JSON lines",
    .manual =
        "NAME\n"
        "    vitrine scan - scan files and directories with YARA rules\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine scan --rules [NS:]FILE [--rules ...] [-d NAME=VALUE]... [--format text|json]\n"
        "                 [-j N] [-i] [--max-filesize SIZE] [--follow-symlinks] [--timeout S] PATH...\n"
        "    vitrine scan [--state DIR] [options] PATH...\n"
        "\n"
        "DESCRIPTION\n"
        "    Scans every regular file under each PATH (directories are walked recursively, in\n"
        "    readdir order, with no limit on depth or path length; symbolic links named as a\n"
        "    PATH are followed, as clamscan does by default, those met inside directories only\n"
        "    with -L) with one compiled ruleset shared by N threads. Results are exactly yara\n"
        "    4.2.3's for the same rules. Text output prints, like clamscan, 'PATH: RULE FOUND'\n"
        "    for each matching rule (NS:RULE outside the default namespace) or 'PATH: OK', then\n"
        "    a summary (rules, files, detections, errors, data, time). On a terminal a progress\n"
        "    line is kept on standard error. JSON output prints one object per file: path,\n"
        "    status (clean, found, skipped, error) and the matching rules with namespace, tags,\n"
        "    meta and every string match (identifier, offset, length, the first 512 bytes of\n"
        "    data in base64).\n"
        "\n"
        "    Nothing is left out silently. A file or directory that cannot be reached, opened,\n"
        "    read or scanned to the end (no permission, a directory without search permission,\n"
        "    a read error, out of memory, --timeout, a loop of links under -L) is a record of its\n"
        "    own: 'PATH: REASON ERROR' in text, {\"path\", \"status\": \"error\", \"error\": REASON}\n"
        "    in JSON; a file over --max-filesize is 'PATH: REASON SKIPPED' (status \"skipped\").\n"
        "    They are counted in the summary ('Errors: N', 'Skipped files: N') and the scan goes\n"
        "    on. With -L, a link to a directory that is being walked already (same device and\n"
        "    inode as one of the directories above it) is reported as a directory loop and not\n"
        "    entered, so each directory is walked once per way in and the walk always ends.\n"
        "\n"
        "    Names are printed so that a record is always one line and nothing reaches the\n"
        "    terminal raw: in text, a backslash is printed as \\\\ and each byte of a control\n"
        "    character (C0, DEL, C1: newline, tab, ESC...) or of a sequence that is not valid\n"
        "    UTF-8 as \\xHH (two upper-case hex digits); undoing these two escapes gives the name\n"
        "    back exactly. In JSON, text that is not valid UTF-8 (a name, a rule's meta value) is\n"
        "    given with each bad byte replaced by U+FFFD, and its exact bytes in base64 beside\n"
        "    it: \"path_b64\" for the path, \"meta_b64\": {KEY: BASE64} in the rule for meta. A\n"
        "    JSON record that cannot be written (out of memory) is an error on standard error,\n"
        "    counted, never a missing line.\n"
        "\n"
        "    Without --rules, scan uses the ruleset installed by 'vitrine update', re-checking\n"
        "    its proofs offline before scanning, then loading the compiled ruleset update\n"
        "    installed (checked against the installed state; nothing is recompiled). Each\n"
        "    detection then names the log entry its rule came from: 'PATH: RULE FOUND (log\n"
        "    INDEX, sha256 HASH)' in text, fields log_index and entry_sha256 in JSON, so that\n"
        "    anyone can look the rule up in the public log.\n"
        "\n"
        "OPTIONS\n"
        "    -r, --rules [NS:]FILE   a YARA rule file (in namespace NS), or one compiled ruleset\n"
        "                            made by 'vitrine compile'; may be repeated for rule files\n"
        "    -d, --define NAME=VALUE define an external variable\n"
        "    -f, --format text|json  output format (default text)\n"
        "    -j, --jobs N            scanning threads (default: the number of cores)\n"
        "    -i, --infected          print only detections and errors (text format)\n"
        "    -M, --max-filesize SIZE skip larger files, reported as SKIPPED (default 1G;\n"
        "                            suffixes K, M, G)\n"
        "    -L, --follow-symlinks   follow symbolic links inside directories too (loops are\n"
        "                            reported, not walked)\n"
        "    -t, --timeout S         give up on a file after S seconds (default: none)\n"
        "    -S, --no-summary        leave out the summary (text format)\n"
        "    --state DIR             the state directory of the installed ruleset (default as\n"
        "                            for 'vitrine update')\n"
        "\n"
        "EXIT STATUS\n"
        "    0 nothing found and every file scanned, 1 something found (even if some files\n"
        "    could not be scanned), 2 an error (bad options or rules, or any file or directory\n"
        "    that could not be scanned) and nothing found.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine scan --rules rules.yar /home\n"
        "    vitrine scan --rules compiled.vtr --format json -j 8 /srv/mail > results.jsonl\n"
        "    vitrine scan /home\n",
    .run = run_scan,
};
