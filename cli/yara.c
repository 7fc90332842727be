/* yara.c: `vitrine yara`, a drop-in for yara 4.2.3's command line: the same options, the same
 * output lines, the same exit status, so that scripts that call yara can call vitrine instead.
 * Output formats follow yara's cli/yara.c: "[NS:]RULE [TAGS] [META] FILE", then with -s/-L
 * "0xOFFSET[:LENGTH]:$ID[: DATA]" per match (data cut at 512 bytes, hex strings as "4D 5A", 64
 * bytes at most), -c counts, -n negation, -D module data; warnings and errors on stderr. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vitrine/rules.h>
#include <vitrine/scan.h>

#include "command.h"

#define YARA_COMPAT_VERSION "4.2.3"
#define MAX_MATCH_DATA 512 /* YR_MAX_MATCH_DATA */
#define MAX_MULTI 32       /* yara's limit on repeated -t, -i, -d, -x */

typedef struct yara_options {
    const char *tags[MAX_MULTI];
    size_t tag_count;
    const char *identifiers[MAX_MULTI];
    size_t identifier_count;
    const char *defines[MAX_MULTI];
    size_t define_count;
    bool compiled, count_only, fail_on_warnings, fast, negate, no_follow, no_warnings;
    bool show_meta, show_module_data, show_namespace, show_stats, show_strings;
    bool show_string_length, show_tags, recursive, scan_list, show_version, show_help;
    long limit, timeout, skip_larger, threads, max_strings_per_rule;
    vt_module_data module_data[MAX_MULTI]; /* -x MODULE=FILE: names and contents are owned */
    size_t module_data_count;
} yara_options;

typedef struct yara_run {
    const yara_options *opt;
    const vt_ruleset *rules;
    vt_ruleset_view view;
    long total_count; /* matching rules so far, for -l */
    time_t deadline;
    vt_buf out;       /* one file's output, written at once */
} yara_run;

/* ---- output of one scanned file --------------------------------------------------------- */

static void print_data(vt_buf *out, const uint8_t *data, size_t length, bool hex)
{
    if (hex) {
        size_t n = length < 64 ? length : 64;
        for (size_t i = 0; i < n; i++)
            vt_buf_printf(out, "%s%02X", i ? " " : "", data[i]);
        if (length > 64)
            vt_buf_append_str(out, " ...");
        return;
    }
    for (size_t i = 0; i < length; i++) {
        if (data[i] >= 32 && data[i] <= 126)
            vt_buf_append_byte(out, data[i]);
        else
            vt_buf_printf(out, "\\x%02X", data[i]);
    }
}

/* yara's print_escaped, used for string meta values. */
static void print_escaped(vt_buf *out, const uint8_t *s, size_t len)
{
    static const char cescapes[32] = {0, 0, 0, 0, 0, 0, 0, 'a', 'b', 't', 'n', 'v', 'f', 'r'};
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\'' || c == '\\')
            vt_buf_printf(out, "\\%c", c);
        else if (c >= 127)
            vt_buf_printf(out, "\\%03o", c);
        else if (c >= 32)
            vt_buf_append_byte(out, c);
        else if (cescapes[c])
            vt_buf_printf(out, "\\%c", cescapes[c]);
        else
            vt_buf_printf(out, "\\%03o", c);
    }
}

static bool rule_selected(const yara_run *run, const vt_rs_rule *rule)
{
    const yara_options *o = run->opt;
    bool show = true;
    if (o->tag_count) {
        show = false;
        for (size_t t = 0; t < o->tag_count && !show; t++)
            for (uint32_t k = 0; k < rule->tag_count && !show; k++)
                show = strcmp(vt_ruleset_str(run->rules, run->view.tags[rule->tag_first + k]),
                              o->tags[t]) == 0;
    }
    if (o->identifier_count) {
        show = false;
        for (size_t i = 0; i < o->identifier_count && !show; i++)
            show = strcmp(vt_ruleset_str(run->rules, rule->name), o->identifiers[i]) == 0;
    }
    return show;
}

static void print_rule(yara_run *run, const vt_scan_ctx *ctx, const vt_rs_rule *rule,
                       const char *path)
{
    const yara_options *o = run->opt;
    vt_buf *out = &run->out;
    if (o->show_namespace)
        vt_buf_printf(out, "%s:", vt_ruleset_str(run->rules, run->view.namespaces[rule->ns]));
    vt_buf_printf(out, "%s ", vt_ruleset_str(run->rules, rule->name));
    if (o->show_tags) {
        vt_buf_append_str(out, "[");
        for (uint32_t k = 0; k < rule->tag_count; k++)
            vt_buf_printf(out, "%s%s", k ? "," : "",
                          vt_ruleset_str(run->rules, run->view.tags[rule->tag_first + k]));
        vt_buf_append_str(out, "] ");
    }
    if (o->show_meta) {
        vt_buf_append_str(out, "[");
        for (uint32_t k = 0; k < rule->meta_count; k++) {
            const vt_rs_meta *m = &run->view.meta[rule->meta_first + k];
            const char *key = vt_ruleset_str(run->rules, m->key);
            if (k)
                vt_buf_append_str(out, ",");
            if (m->type == VT_META_INTEGER) {
                vt_buf_printf(out, "%s =%" PRId64, key, m->integer); /* sic: yara's space */
            } else if (m->type == VT_META_BOOLEAN) {
                vt_buf_printf(out, "%s=%s", key, m->integer ? "true" : "false");
            } else {
                /* yara prints the C string: up to the first NUL */
                const char *value = vt_ruleset_str(run->rules, m->string);
                vt_buf_printf(out, "%s=\"", key);
                print_escaped(out, (const uint8_t *)value, strlen(value));
                vt_buf_append_str(out, "\"");
            }
        }
        vt_buf_append_str(out, "] ");
    }
    vt_buf_printf(out, "%s\n", path);
    if (!o->show_strings && !o->show_string_length)
        return;
    for (uint32_t k = 0; k < rule->string_count; k++) {
        uint32_t s = rule->string_first + k;
        const vt_rs_string *string = &run->view.strings[s];
        if (string->flags & VT_MOD_PRIVATE)
            continue;
        const char *id = vt_ruleset_str(run->rules, string->identifier);
        vt_match_list list = vt_scan_string_matches(ctx, s);
        for (uint32_t m = 0; m < list.count; m++) {
            const vt_string_match *match = &list.items[m];
            size_t length;
            const uint8_t *bytes = vt_scan_match_bytes(ctx, match, MAX_MATCH_DATA, &length);
            if (o->show_string_length)
                vt_buf_printf(out, "0x%" PRIx64 ":%zu:%s", match->offset, length, id);
            else
                vt_buf_printf(out, "0x%" PRIx64 ":%s", match->offset, id);
            if (o->show_strings) {
                vt_buf_append_str(out, ": ");
                print_data(out, bytes, length, string->kind == VT_STRING_HEX);
            }
            vt_buf_append_str(out, "\n");
        }
    }
}

/* The rules' lines for one file; stops (returning 1) once the -l limit is reached, after the
 * rule that reached it, as yara's callback does. */
static int report_file(yara_run *run, const vt_scan_ctx *ctx, const char *path, long *count)
{
    const yara_options *o = run->opt;
    if (!o->negate && vt_scan_matched_rule_count(ctx) == 0)
        return 0; /* nothing to show or count (the -l limit was not reached: the walk stops) */
    for (uint32_t r = 0; r < run->view.rule_count; r++) {
        const vt_rs_rule *rule = &run->view.rules[r];
        if (rule->flags & VT_RULE_PRIVATE)
            continue;
        bool matching = vt_scan_rule_matched(ctx, r);
        bool show = rule_selected(run, rule) && (o->negate ? !matching : matching);
        if (show && !o->count_only)
            print_rule(run, ctx, rule, path);
        if (matching) {
            (*count)++;
            run->total_count++;
        }
        if (o->limit != 0 && run->total_count >= o->limit)
            return 1;
    }
    return 0;
}

/* yara's words for a file it could not open or read. */
#define YARA_OPEN_ERROR "could not open file"

static const char *yara_error_text(const vt_error *err)
{
    switch (err->status) {
    case VT_ERR_NOMEM: return "not enough memory";
    case VT_ERR_FORMAT: /* yara has no text for these two: it prints their number */
        if (strstr(err->message, "invalid module data"))
            return "error: 57"; /* ERROR_INVALID_MODULE_DATA */
        if (strstr(err->message, "module data on which yara faults"))
            return "error: 4"; /* the fault, caught as ERROR_COULD_NOT_MAP_FILE */
        return "could not open file";
    case VT_ERR_TIMEOUT: return "scanning timed out";
    case VT_ERR_LIMIT: return "could not open file";
    default: return "could not open file";
    }
}

static void flush_output(yara_run *run)
{
    fwrite(run->out.data ? (const char *)run->out.data : "", 1, run->out.len, stdout);
    fflush(stdout);
    run->out.len = 0;
}

/* ---- scanning ----------------------------------------------------------------------------- */

static void on_warning(void *user, const char *rule, const char *string, const char *message)
{
    const yara_run *run = user;
    if (run->opt->no_warnings)
        return;
    if (strcmp(message, "too many matches") == 0)
        fprintf(stderr,
                "warning: rule \"%s\": too many matches for %s, results for this rule may be "
                "incorrect\n",
                rule, string);
    else
        fprintf(stderr, "warning: rule \"%s\": %s: %s\n", rule, string, message);
}

static void on_module_dump(void *user, const char *module, const char *text, size_t len)
{
    yara_run *run = user;
    (void)module;
    vt_buf_append(&run->out, text, len); /* the dump ends with its newline, as yara's does */
}

static unsigned remaining_seconds(const yara_run *run)
{
    time_t now = time(NULL);
    return now >= run->deadline ? 1 : (unsigned)(run->deadline - now);
}

/* One file's report, or one error: a scan error in yara's words (yara_error_text), or a
 * problem of the walk (ctx NULL) with the text queued by walk_error. */
static int pool_result(void *user, vt_scan_ctx *ctx, const char *path, vt_status status,
                       const vt_error *err)
{
    yara_run *run = user;
    long count = 0;
    /* Like yara, reaching -l only cuts each later file's report short (after its first rule);
     * the scan of the directory goes on. */
    if (status == VT_OK)
        report_file(run, ctx, path, &count);
    const char *error = status == VT_OK ? NULL : ctx ? yara_error_text(err) : err->message;
    /* yara counts a file it could not open as 0 matches; it never saw the walk's other problems */
    if (run->opt->count_only && (!error || ctx || strcmp(error, YARA_OPEN_ERROR) == 0))
        vt_buf_printf(&run->out, "%s: %ld\n", path, count);
    flush_output(run);
    if (error)
        fprintf(stderr, "error scanning %s: %s\n", path, error);
    return 0;
}

/* What the directory walk hands to its callbacks. */
typedef struct walk_target {
    vt_pool *pool;
    const yara_run *run;
} walk_target;

static vt_status queue_file(void *user, int fd, const char *path)
{
    const walk_target *target = user;
    vt_error err;
    return vt_pool_submit_fd(target->pool, fd, path, &err);
}

/* What the walk could not reach, as "error scanning PATH: REASON" in turn with the files: a file
 * that cannot be opened in yara's words, and, where yara 4.2.3 is silent (a directory it cannot
 * open or search, a path too deep or too long for it, a loop), the walk's own reason. */
static vt_status walk_error(void *user, const char *path, bool file, const vt_error *err)
{
    const walk_target *target = user;
    vt_error queued = *err, queue_err;
    if (file)
        snprintf(queued.message, sizeof queued.message, "%s", YARA_OPEN_ERROR);
    return vt_pool_submit_error(target->pool, path, &queued, &queue_err);
}

static void on_skip(void *user, const char *path, uint64_t size)
{
    const walk_target *target = user;
    fprintf(stderr, "skipping %s (%" PRIu64 " bytes) because it's larger than %ld bytes.\n", path,
            size, target->run->opt->skip_larger);
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int scan_many(yara_run *run, const vt_scanner *scanner, const vt_scan_options *scan_opts,
                     const char *target)
{
    const yara_options *o = run->opt;
    vt_pool *pool = NULL;
    vt_error err;
    unsigned threads = o->threads > 0 ? (unsigned)o->threads : 1;
    if (vt_pool_new(scanner, scan_opts, threads, 0, pool_result, run, &pool, &err) != VT_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        return 1;
    }
    walk_target walk_user = {pool, run};
    vt_walk_options walk = {
        .recursive = o->recursive,
        .follow_symlinks = !o->no_follow,
        .skip_larger = o->skip_larger > 0 ? (uint64_t)o->skip_larger : 0,
        .on_file = queue_file,
        .on_skip = on_skip,
        .on_error = walk_error,
        .user = &walk_user,
    };
    int status = 0;
    if (o->scan_list) {
        FILE *list = fopen(target, "r");
        if (!list) {
            fprintf(stderr, "error: could not open file \"%s\".\n", target);
            vt_pool_stop(pool);
            vt_pool_free(pool);
            return 1;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, list)) != -1) {
            if (n && line[n - 1] == '\n')
                line[--n] = 0;
            vt_status st = is_directory(line) ? vt_walk(line, &walk, &err)
                                              : vt_pool_submit(pool, line, &err);
            if (st != VT_OK)
                break;
        }
        free(line);
        fclose(list);
    } else {
        vt_status st = vt_walk(target, &walk, &err);
        if (st != VT_OK && st != VT_ERR_STATE) /* out of memory: the walk could not go on */
            vt_pool_submit_error(pool, target, &err, &err);
    }
    if (vt_pool_finish(pool, &err) != VT_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        status = 1;
    }
    vt_pool_free(pool);
    return status;
}

static int scan_one(yara_run *run, const vt_scanner *scanner, const vt_scan_options *scan_opts,
                    const char *target)
{
    vt_scan_ctx *ctx = NULL;
    vt_error err;
    if (vt_scan_ctx_new(scanner, scan_opts, &ctx, &err) != VT_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        return 1;
    }
    vt_status st = vt_scan_file(ctx, target, 0, &err);
    long count = 0;
    if (st == VT_OK)
        report_file(run, ctx, target, &count);
    flush_output(run);
    vt_scan_ctx_free(ctx);
    if (st != VT_OK) {
        fprintf(stderr, "error scanning %s: %s\n", target, yara_error_text(&err));
        return 1;
    }
    if (run->opt->count_only)
        printf("%ld\n", count);
    return 0;
}

/* ---- compiling ---------------------------------------------------------------------------- */

/* yara's print_compiler_error: "KIND: rule \"R\" in FILE(LINE): MESSAGE" inside a rule,
 * "FILE(LINE): KIND: MESSAGE" outside. */
static void print_diagnostic(const vt_error *e, const char *rule, const char *kind)
{
    if (rule && e->file[0])
        fprintf(stderr, "%s: rule \"%s\" in %s(%u): %s\n", kind, rule, e->file, e->line,
                e->message);
    else if (e->file[0])
        fprintf(stderr, "%s(%u): %s: %s\n", e->file, e->line, kind, e->message);
    else
        fprintf(stderr, "%s: %s\n", kind, e->message);
}

static void print_warnings(const vt_compiler *compiler, const yara_options *o)
{
    if (o->no_warnings)
        return;
    for (size_t i = 0; i < vt_compiler_warning_count(compiler); i++)
        print_diagnostic(vt_compiler_warning(compiler, i), vt_compiler_warning_rule(compiler, i),
                         "warning");
}

static int load_rules(const yara_options *o, int nfiles, char **files, vt_ruleset **out)
{
    vt_error err;
    if (o->compiled) {
        if (nfiles != 1) {
            fprintf(stderr, "error: can't accept multiple rules files if one of them is in "
                            "compiled form.\n");
            return 1;
        }
        if (vt_ruleset_load(files[0], out, &err) != VT_OK) {
            fprintf(stderr, "%s\n", err.status == VT_ERR_NOT_FOUND || err.status == VT_ERR_IO
                                        ? "could not open file"
                                        : "invalid compiled rules file.");
            return 1;
        }
        return 0;
    }
    vt_compiler *compiler = NULL;
    if (vt_compiler_new(&compiler, &err) != VT_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < o->define_count; i++) {
        char name[256];
        const char *value;
        if (vt_rules_split_define(o->defines[i], name, sizeof name, &value, &err) != VT_OK) {
            fprintf(stderr, "error: wrong syntax for `-d` option.\n");
            vt_compiler_free(compiler);
            return 1;
        }
        if (vt_compiler_define(compiler, name, value, &err) != VT_OK) {
            fprintf(stderr, "error: %s\n", err.message);
            vt_compiler_free(compiler);
            return 1;
        }
    }
    int status = 0;
    bool failed_to_open = false;
    for (int i = 0; i < nfiles && status == 0; i++) {
        char *ns;
        const char *path;
        if (vt_rules_split_arg(files[i], &ns, &path, &err) != VT_OK) {
            fprintf(stderr, "error: %s\n", err.message);
            status = 1;
            break;
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            failed_to_open = true;
            status = 1;
        } else if (vt_compiler_add_file(compiler, ns, path, &err) != VT_OK) {
            status = 1;
        }
        if (status != 0) {
            /* yara reports warnings as it finds them, so the ones before the failure come
             * first. */
            print_warnings(compiler, o);
            if (failed_to_open)
                fprintf(stderr, "error: could not open file: %s\n", path);
            else
                print_diagnostic(&err, vt_compiler_error_rule(compiler), "error");
        }
        free(ns);
    }
    size_t warnings = vt_compiler_warning_count(compiler);
    if (status == 0)
        print_warnings(compiler, o);
    if (status == 0 && o->fail_on_warnings && warnings > 0)
        status = 1;
    /* scanned here, never saved: the image needs no checksum */
    if (status == 0 && vt_compiler_finish_unsealed(compiler, out, &err) != VT_OK) {
        print_diagnostic(&err, NULL, "error");
        status = 1;
    }
    vt_compiler_free(compiler);
    return status;
}

/* ---- options ------------------------------------------------------------------------------ */

enum { OPT_ATOM_TABLE = 256, OPT_FAIL_ON_WARNINGS, OPT_MAX_CHUNK, OPT_MAX_STRINGS, OPT_SCAN_LIST };

static const struct option long_options[] = {
    {"atom-quality-table", required_argument, NULL, OPT_ATOM_TABLE},
    {"compiled-rules", no_argument, NULL, 'C'},
    {"count", no_argument, NULL, 'c'},
    {"define", required_argument, NULL, 'd'},
    {"fail-on-warnings", no_argument, NULL, OPT_FAIL_ON_WARNINGS},
    {"fast-scan", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"identifier", required_argument, NULL, 'i'},
    {"max-process-memory-chunk", required_argument, NULL, OPT_MAX_CHUNK},
    {"max-rules", required_argument, NULL, 'l'},
    {"max-strings-per-rule", required_argument, NULL, OPT_MAX_STRINGS},
    {"module-data", required_argument, NULL, 'x'},
    {"negate", no_argument, NULL, 'n'},
    {"no-follow-symlinks", no_argument, NULL, 'N'},
    {"no-warnings", no_argument, NULL, 'w'},
    {"print-meta", no_argument, NULL, 'm'},
    {"print-module-data", no_argument, NULL, 'D'},
    {"print-namespace", no_argument, NULL, 'e'},
    {"print-stats", no_argument, NULL, 'S'},
    {"print-strings", no_argument, NULL, 's'},
    {"print-string-length", no_argument, NULL, 'L'},
    {"print-tags", no_argument, NULL, 'g'},
    {"recursive", no_argument, NULL, 'r'},
    {"scan-list", no_argument, NULL, OPT_SCAN_LIST},
    {"skip-larger", required_argument, NULL, 'z'},
    {"stack-size", required_argument, NULL, 'k'},
    {"tag", required_argument, NULL, 't'},
    {"threads", required_argument, NULL, 'p'},
    {"timeout", required_argument, NULL, 'a'},
    {"version", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

static bool parse_number(const char *text, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno)
        return false;
    *out = v;
    return true;
}

static bool add_multi(const char **list, size_t *count, const char *value)
{
    if (*count >= MAX_MULTI)
        return false;
    list[(*count)++] = value;
    return true;
}

static int parse_options(int argc, char **argv, yara_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout = 1000000;
    o->threads = 2; /* yara uses YR_MAX_THREADS; output order is the same either way per file */
    o->max_strings_per_rule = 10000;
    opterr = 0;
    optind = 1;
    int c;
    const char *modules_data[MAX_MULTI];
    size_t modules_data_count = 0;
    while ((c = getopt_long(argc, argv, "+Ccd:fhi:l:x:nNwmDeSsLgrz:k:t:p:a:v", long_options,
                            NULL)) != -1) {
        long n = 0;
        switch (c) {
        case 'C': o->compiled = true; break;
        case 'c': o->count_only = true; break;
        case 'd': if (!add_multi(o->defines, &o->define_count, optarg)) return -1; break;
        case 'f': o->fast = true; break;
        case 'h': o->show_help = true; break;
        case 'i': if (!add_multi(o->identifiers, &o->identifier_count, optarg)) return -1; break;
        case 'x': if (!add_multi(modules_data, &modules_data_count, optarg)) return -1; break;
        case 'n': o->negate = true; break;
        case 'N': o->no_follow = true; break;
        case 'w': o->no_warnings = true; break;
        case 'm': o->show_meta = true; break;
        case 'D': o->show_module_data = true; break;
        case 'e': o->show_namespace = true; break;
        case 'S': o->show_stats = true; break;
        case 's': o->show_strings = true; break;
        case 'L': o->show_string_length = true; break;
        case 'g': o->show_tags = true; break;
        case 'r': o->recursive = true; break;
        case 't': if (!add_multi(o->tags, &o->tag_count, optarg)) return -1; break;
        case 'v': o->show_version = true; break;
        case OPT_FAIL_ON_WARNINGS: o->fail_on_warnings = true; break;
        case OPT_SCAN_LIST: o->scan_list = true; break;
        case OPT_ATOM_TABLE: break; /* atom selection is vitrine's own; the table is not used */
        case 'l': case 'z': case 'k': case 'p': case 'a': case OPT_MAX_CHUNK:
        case OPT_MAX_STRINGS:
            if (!parse_number(optarg, &n)) {
                fprintf(stderr, "invalid value for option `%s`\n", argv[optind - 1]);
                return -1;
            }
            if (c == 'l') o->limit = n;
            else if (c == 'z') o->skip_larger = n;
            else if (c == 'p') o->threads = n;
            else if (c == 'a') o->timeout = n;
            else if (c == OPT_MAX_STRINGS) o->max_strings_per_rule = n;
            break;
        default:
            fprintf(stderr, "unknown option `%s`\n", argv[optind - 1]);
            return -1;
        }
    }
    for (size_t i = 0; i < modules_data_count; i++) {
        const char *eq = strchr(modules_data[i], '=');
        if (!eq) {
            fprintf(stderr, "error: wrong syntax for `-x` option.\n");
            return -1;
        }
        /* yara maps the file when it parses the options; an empty file is no data */
        vt_module_data *d = &o->module_data[o->module_data_count];
        unsigned char *bytes = NULL;
        size_t len = 0;
        vt_error err;
        char *name = strndup(modules_data[i], (size_t)(eq - modules_data[i]));
        if (!name || vt_read_file(eq + 1, SIZE_MAX - 1, &bytes, &len, &err) != VT_OK) {
            free(name);
            fprintf(stderr, "error: could not open file \"%s\".\n", eq + 1);
            return -1;
        }
        if (len == 0) {
            free(bytes);
            bytes = NULL;
        }
        d->module = name;
        d->data = bytes;
        d->size = len;
        o->module_data_count++;
    }
    return optind;
}

static void free_options(yara_options *o)
{
    for (size_t i = 0; i < o->module_data_count; i++) {
        free((char *)o->module_data[i].module);
        free((unsigned char *)o->module_data[i].data);
    }
    o->module_data_count = 0;
}

static void print_yara_help(void)
{
    printf("YARA %s, the pattern matching swiss army knife (vitrine %s).\n"
           "Usage: vitrine yara [OPTION]... [NAMESPACE:]RULES_FILE... FILE | DIR\n\n"
           "Mandatory arguments to long options are mandatory for short options too.\n\n",
           YARA_COMPAT_VERSION, vt_version());
    fputs(command_yara.manual + (strstr(command_yara.manual, "OPTIONS\n") - command_yara.manual),
          stdout);
}

static int run_yara_with(yara_options *options, int argc, char **argv)
{
    yara_options o = *options;
    int first = parse_options(argc, argv, &o);
    *options = o;
    if (first < 0)
        return 1;
    if (o.show_version) {
        printf("%s (vitrine %s)\n", YARA_COMPAT_VERSION, vt_version());
        return 0;
    }
    if (o.show_help) {
        print_yara_help();
        return 0;
    }
    if (o.threads > 32) {
        fprintf(stderr, "maximum number of threads is 32\n");
        return 1;
    }
    int rest = argc - first;
    if (rest < 2) {
        fprintf(stderr, "yara: wrong number of arguments\n"
                        "Usage: yara [OPTION]... [NAMESPACE:]RULES_FILE... FILE | DIR | PID\n\n"
                        "Try `--help` for more options\n");
        return 1;
    }
    vt_ruleset *rules = NULL;
    cli_compile_memory(true);
    if (load_rules(&o, rest - 1, argv + first, &rules) != 0)
        return 1;
    yara_run run = {.opt = &o, .rules = rules};
    vt_ruleset_get_view(rules, &run.view);
    vt_error err;
    for (size_t r = 0; r < run.view.rule_count; r++) {
        if (o.max_strings_per_rule > 0 && run.view.rules[r].string_count > o.max_strings_per_rule) {
            fprintf(stderr, "error: rule \"%s\" has more than %ld strings\n",
                    vt_ruleset_str(rules, run.view.rules[r].name), o.max_strings_per_rule);
            vt_ruleset_free(rules);
            return 1;
        }
    }
    if (o.show_stats)
        printf("number of rules                    : %zu\n"
               "number of strings                  : %zu\n",
               run.view.rule_count, run.view.string_count);
    vt_scanner *scanner = NULL;
    if (vt_scanner_new(rules, &scanner, &err) != VT_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        vt_ruleset_free(rules);
        return 1;
    }
    cli_compile_memory(false);
    run.deadline = time(NULL) + o.timeout;
    vt_scan_options scan_opts = {
        .timeout_seconds = remaining_seconds(&run),
        .fast = o.fast,
        /* -n -s prints the strings of rules that cannot match the file, too */
        .every_string = o.negate && (o.show_strings || o.show_string_length),
        .warning = on_warning,
        .module_dump = o.show_module_data ? on_module_dump : NULL,
        .user = &run,
        /* with -C the variables are set at scan time; sources got them when compiled */
        .defines = o.compiled ? o.defines : NULL,
        .define_count = o.compiled ? o.define_count : 0,
        .module_data = o.module_data,
        .module_data_count = o.module_data_count,
    };
    int status = 0;
    if (o.compiled && o.define_count) {
        /* a bad -d for compiled rules fails before any scan, in yara's words */
        vt_scan_ctx *probe = NULL;
        if (vt_scan_ctx_new(scanner, &scan_opts, &probe, &err) != VT_OK) {
            if (err.status == VT_ERR_ARGUMENT)
                fprintf(stderr, "invalid type for external variable\n");
            else
                fprintf(stderr, "error: %s\n", err.message);
            status = 1;
        }
        vt_scan_ctx_free(probe);
    }
    const char *target = argv[argc - 1];
    bool dir = is_directory(target);
    if (status == 0 && o.scan_list && dir) {
        fprintf(stderr, "error: cannot use a directory as scan list.\n");
        status = 1;
    }
    if (status == 0)
        status = (o.scan_list || dir) ? scan_many(&run, scanner, &scan_opts, target)
                                      : scan_one(&run, scanner, &scan_opts, target);
    vt_buf_free(&run.out);
    vt_scanner_free(scanner);
    vt_ruleset_free(rules);
    return status;
}

static int run_yara(int argc, char **argv)
{
    yara_options o;
    memset(&o, 0, sizeof o);
    int status = run_yara_with(&o, argc, argv);
    free_options(&o);
    return status;
}

const struct vt_command command_yara = {
    .name = "yara",
    .summary = "scan like yara 4.2.3: same options, same output, same exit status",
    .manual =
        "NAME\n"
        "    vitrine yara - scan files with YARA rules, as a drop-in for yara 4.2.3\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine yara [OPTION]... [NAMESPACE:]RULES_FILE... FILE | DIR\n"
        "\n"
        "DESCRIPTION\n"
        "    Compiles the rule files (or loads one compiled ruleset with -C) and scans FILE, or\n"
        "    the files of DIR, printing exactly the lines yara 4.2.3 prints: one line\n"
        "    '[NAMESPACE:]RULE [TAGS] [META] FILE' per matching rule, followed with -s by one\n"
        "    line '0xOFFSET:$STRING: DATA' per match. Warnings and errors go to standard error\n"
        "    in yara's words. Scripts that call yara can call 'vitrine yara' instead.\n"
        "    Differences: -v prints '4.2.3 (vitrine VERSION)'; -S prints vitrine's own\n"
        "    statistics; --atom-quality-table is accepted and not used; process memory (PID)\n"
        "    is not scanned. -x gives a module its data: cuckoo reads a Cuckoo sandbox JSON\n"
        "    report (-x cuckoo=report.json); the other modules read none.\n"
        "\n"
        "    Directories are walked as yara walks them (readdir order, symbolic links followed\n"
        "    unless -N), with these differences, where yara passes over files silently: there\n"
        "    is no limit on depth or path length (yara skips what lies deeper or longer); a\n"
        "    directory that cannot be opened or read, an entry that cannot be examined (in a\n"
        "    directory without search permission) and a followed link to a directory that is\n"
        "    being walked already (a loop: not entered, so the walk ends) are each reported on\n"
        "    standard error as 'error scanning PATH: REASON'. A file that cannot be opened is\n"
        "    reported in yara's words ('error scanning PATH: could not open file'). Names are\n"
        "    printed as they are, as yara prints them ('vitrine scan' escapes them).\n"
        "\n"
        "OPTIONS\n"
        "       --atom-quality-table=FILE           path to a file with the atom quality table\n"
        "  -C,  --compiled-rules                    load compiled rules\n"
        "  -c,  --count                             print only number of matches\n"
        "  -d,  --define=VAR=VALUE                  define external variable\n"
        "       --fail-on-warnings                  fail on warnings\n"
        "  -f,  --fast-scan                         fast matching mode\n"
        "  -h,  --help                              show this help and exit\n"
        "  -i,  --identifier=IDENTIFIER             print only rules named IDENTIFIER\n"
        "       --max-process-memory-chunk=NUMBER   accepted for compatibility\n"
        "  -l,  --max-rules=NUMBER                  abort scanning after matching a NUMBER of rules\n"
        "       --max-strings-per-rule=NUMBER       set maximum number of strings per rule (default=10000)\n"
        "  -x,  --module-data=MODULE=FILE           pass FILE's content as extra data to MODULE\n"
        "  -n,  --negate                            print only not satisfied rules (negate)\n"
        "  -N,  --no-follow-symlinks                do not follow symlinks when scanning\n"
        "  -w,  --no-warnings                       disable warnings\n"
        "  -m,  --print-meta                        print metadata\n"
        "  -D,  --print-module-data                 print module data\n"
        "  -e,  --print-namespace                   print rules' namespace\n"
        "  -S,  --print-stats                       print rules' statistics\n"
        "  -s,  --print-strings                     print matching strings\n"
        "  -L,  --print-string-length               print length of matched strings\n"
        "  -g,  --print-tags                        print tags\n"
        "  -r,  --recursive                         recursively search directories\n"
        "       --scan-list                         scan files listed in FILE, one per line\n"
        "  -z,  --skip-larger=NUMBER                skip files larger than the given size when scanning a directory\n"
        "  -k,  --stack-size=SLOTS                  accepted for compatibility\n"
        "  -t,  --tag=TAG                           print only rules tagged as TAG\n"
        "  -p,  --threads=NUMBER                    use the specified NUMBER of threads to scan a directory\n"
        "  -a,  --timeout=SECONDS                   abort scanning after the given number of SECONDS\n"
        "  -v,  --version                           show version information\n"
        "\n"
        "EXIT STATUS\n"
        "    As yara: 0 when the scan ran (whether or not rules matched), 1 on an error\n"
        "    (bad option, rules that do not compile, a FILE that cannot be scanned). As yara,\n"
        "    a directory scan exits 0 even when some of its files could not be scanned: they\n"
        "    are reported on standard error (use 'vitrine scan' for an exit status that counts\n"
        "    them).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine yara -s rules.yar sample.exe\n"
        "    vitrine yara -r -p 4 -w malware:rules/index.yar /srv/uploads\n"
        "\n"
        "SEE ALSO\n"
        "    vitrine scan (clamscan-style output, JSON lines), vitrine compile\n",
    .run = run_yara,
};
