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

#include "command.h"

#define MAX_ARGS 64

typedef struct scan_run {
    const vt_ruleset *rules;
    const vt_installed *installed; /* the installed ruleset, when scanning with it */
    vt_ruleset_view view;
    bool json, infected_only, progress;
    uint64_t files, found_files, detections, errors, skipped, bytes;
    struct timespec started, last_progress;
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

static json_t *rule_json(const scan_run *run, const vt_scan_ctx *ctx, const vt_rs_rule *rule)
{
    const vt_ruleset *rs = run->rules;
    json_t *tags = json_array(), *meta = json_object(), *strings = json_array();
    for (uint32_t k = 0; k < rule->tag_count; k++)
        json_array_append_new(tags, json_string(vt_ruleset_str(rs, run->view.tags[rule->tag_first + k])));
    for (uint32_t k = 0; k < rule->meta_count; k++) {
        const vt_rs_meta *m = &run->view.meta[rule->meta_first + k];
        json_t *value = m->type == VT_META_INTEGER   ? json_integer(m->integer)
                        : m->type == VT_META_BOOLEAN ? json_boolean(m->integer)
                                                     : json_stringn_nocheck(
                                                           vt_ruleset_str(rs, m->string),
                                                           m->string.len);
        json_object_set_new(meta, vt_ruleset_str(rs, m->key), value);
    }
    for (uint32_t k = 0; k < rule->string_count; k++) {
        uint32_t s = rule->string_first + k;
        const vt_rs_string *string = &run->view.strings[s];
        if (string->flags & VT_MOD_PRIVATE)
            continue;
        vt_match_list list = vt_scan_string_matches(ctx, s);
        for (uint32_t m = 0; m < list.count; m++) {
            const vt_string_match *match = &list.items[m];
            size_t length;
            const uint8_t *bytes = vt_scan_match_bytes(ctx, match, 512, &length);
            char encoded[700];
            EVP_EncodeBlock((unsigned char *)encoded, bytes, (int)length);
            json_array_append_new(strings,
                                  json_pack("{s:s, s:I, s:I, s:s}", "identifier",
                                            vt_ruleset_str(rs, string->identifier), "offset",
                                            (json_int_t)match->offset, "length",
                                            (json_int_t)match->length, "data_base64", encoded));
        }
    }
    json_t *result = json_pack("{s:s, s:s, s:o, s:o, s:o}", "rule", vt_ruleset_str(rs, rule->name),
                               "namespace", vt_ruleset_str(rs, run->view.namespaces[rule->ns]),
                               "tags", tags, "meta", meta, "strings", strings);
    const vt_installed_entry *origin = rule_origin(run, rule);
    if (result && origin) {
        json_object_set_new(result, "log_index", json_integer((json_int_t)origin->index));
        json_object_set_new(result, "entry_sha256", json_string(origin->hex));
    }
    return result;
}

static void print_json(json_t *object)
{
    char *text = json_dumps(object, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text)
        puts(text);
    free(text);
    json_decref(object);
}

static int on_result(void *user, vt_scan_ctx *ctx, const char *path, vt_status status,
                     const vt_error *err)
{
    scan_run *run = user;
    clear_progress(run);
    if (status != VT_OK) {
        bool skipped = status == VT_ERR_LIMIT && !strstr(err->message, "timed out");
        if (skipped)
            run->skipped++;
        else
            run->errors++;
        if (run->json)
            print_json(json_pack("{s:s, s:s, s:s}", "path", path, "status",
                                 skipped ? "skipped" : "error", "error", err->message));
        else
            fprintf(stderr, "%s: %s %s\n", path, err->message, skipped ? "SKIPPED" : "ERROR");
        show_progress(run);
        return 0;
    }
    uint64_t size;
    vt_scan_data(ctx, &size);
    run->files++;
    run->bytes += size;
    json_t *matches = run->json ? json_array() : NULL;
    uint64_t found = 0;
    for (uint32_t r = 0; r < run->view.rule_count; r++) {
        const vt_rs_rule *rule = &run->view.rules[r];
        if ((rule->flags & VT_RULE_PRIVATE) || !vt_scan_rule_matched(ctx, r))
            continue;
        found++;
        if (run->json) {
            json_array_append_new(matches, rule_json(run, ctx, rule));
        } else {
            char label[1024];
            const vt_installed_entry *origin = rule_origin(run, rule);
            if (origin)
                printf("%s: %s FOUND (log %" PRIu64 ", sha256 %s)\n", path,
                       rule_label(run, rule, label, sizeof label), origin->index, origin->hex);
            else
                printf("%s: %s FOUND\n", path, rule_label(run, rule, label, sizeof label));
        }
    }
    run->detections += found;
    run->found_files += found > 0;
    if (run->json)
        print_json(json_pack("{s:s, s:s, s:o}", "path", path, "status", found ? "found" : "clean",
                             "matches", matches));
    else if (!found && !run->infected_only)
        printf("%s: OK\n", path);
    fflush(stdout);
    show_progress(run);
    return 0;
}

/* ---- loading rules ------------------------------------------------------------------------ */

static bool is_compiled_ruleset(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char magic[8];
    bool yes = fread(magic, 1, 8, f) == 8 && memcmp(magic, VT_RULESET_MAGIC, 8) == 0;
    fclose(f);
    return yes;
}

static int load_rules(const char **specs, size_t count, const char **defines,
                      size_t define_count, vt_ruleset **out)
{
    vt_error err;
    vt_error_clear(&err);
    if (count == 1 && is_compiled_ruleset(specs[0])) {
        if (vt_ruleset_load(specs[0], out, &err) != VT_OK)
            return cli_report("scan", &err);
        return 0;
    }
    vt_compiler *compiler = NULL;
    if (vt_compiler_new(&compiler, &err) != VT_OK)
        return cli_report("scan", &err);
    vt_status st = VT_OK;
    for (size_t i = 0; i < define_count && st == VT_OK; i++) {
        const char *eq = strchr(defines[i], '=');
        char name[256];
        if (!eq || (size_t)(eq - defines[i]) >= sizeof name) {
            vt_compiler_free(compiler);
            return cli_usage_error("scan", "-d needs NAME=VALUE, got '%s'", defines[i]);
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - defines[i]), defines[i]);
        st = vt_compiler_define(compiler, name, eq + 1, &err);
    }
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        char spec[4096];
        snprintf(spec, sizeof spec, "%s", specs[i]);
        char *colon = strchr(spec, ':');
        struct stat st_file;
        const char *ns = NULL, *path = spec;
        if (colon && stat(spec, &st_file) != 0) {
            *colon = 0;
            ns = spec;
            path = colon + 1;
        }
        if (is_compiled_ruleset(path)) {
            vt_compiler_free(compiler);
            return cli_usage_error("scan", "%s is a compiled ruleset: give it as the only --rules",
                                   path);
        }
        st = vt_compiler_add_file(compiler, ns, path, &err);
    }
    if (st == VT_OK)
        st = vt_compiler_finish(compiler, out, &err);
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

static vt_status submit_file(void *user, const char *path)
{
    vt_error err;
    return vt_pool_submit(user, path, &err);
}

static vt_status report_walk_error(void *user, const char *path, const vt_error *err)
{
    (void)user;
    (void)path;
    fprintf(stderr, "vitrine scan: %s\n", err->message);
    return VT_OK;
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
        return cli_report("scan", &err);
    }
    vt_walk_options walk = {
        .recursive = true,
        .follow_symlinks = follow,
        .on_file = submit_file,
        .on_error = report_walk_error,
        .user = pool,
    };
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if ((follow ? stat(argv[i], &st) : lstat(argv[i], &st)) != 0) {
            fprintf(stderr, "%s: %s ERROR\n", argv[i], strerror(errno));
            run.errors++;
        } else if (S_ISDIR(st.st_mode)) {
            vt_walk(argv[i], &walk, &err);
        } else if (S_ISREG(st.st_mode)) {
            vt_pool_submit(pool, argv[i], &err);
        } else if (!S_ISLNK(st.st_mode)) {
            fprintf(stderr, "%s: not a regular file or directory ERROR\n", argv[i]);
            run.errors++;
        }
    }
    vt_status st = vt_pool_finish(pool, &err);
    vt_pool_free(pool);
    clear_progress(&run);
    if (summary && !run.json)
        print_summary(&run);
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
        "    Scans every regular file under each PATH (directories are walked recursively; symbolic\n"
        "    links are not followed unless asked) with one compiled ruleset shared by N threads.\n"
        "    Results are exactly yara 4.2.3's for the same rules. Text output prints, like\n"
        "    clamscan, 'PATH: RULE FOUND' for each matching rule (NS:RULE outside the default\n"
        "    namespace) or 'PATH: OK', then a summary (rules, files, detections, data, time).\n"
        "    On a terminal a progress line is kept on standard error. JSON output prints one\n"
        "    object per file: path, status (clean, found, skipped, error) and the matching\n"
        "    rules with namespace, tags, meta and every string match (identifier, offset,\n"
        "    length, the first 512 bytes of data in base64). A file that cannot be read, that\n"
        "    vanishes or that is over the size limit is reported and the scan goes on.\n"
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
        "    -i, --infected          print only files with detections (text format)\n"
        "    -M, --max-filesize SIZE skip larger files, reported as SKIPPED (default 1G;\n"
        "                            suffixes K, M, G)\n"
        "    -L, --follow-symlinks   follow symbolic links\n"
        "    -t, --timeout S         give up on a file after S seconds (default: none)\n"
        "    -S, --no-summary        leave out the summary (text format)\n"
        "    --state DIR             the state directory of the installed ruleset (default as\n"
        "                            for 'vitrine update')\n"
        "\n"
        "EXIT STATUS\n"
        "    0 nothing found, 1 something found (even if some files could not be scanned),\n"
        "    2 an error (bad options or rules, or a file that could not be scanned).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine scan --rules rules.yar /home\n"
        "    vitrine scan --rules compiled.vtr --format json -j 8 /srv/mail > results.jsonl\n"
        "    vitrine scan /home\n",
    .run = run_scan,
};
