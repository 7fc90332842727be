/* report.c: the auditor's document scans and its output. vt_audit_canaries runs every rule over
 * the canary documents through the engine's scanner (the bytes as a scan sees them) and flags
 * each rule that fires on one; vt_audit_corpus runs them, through the same walk and scan, over a
 * benign corpus and flags each rule that fires on more than 1% of it; vt_audit_report_json /
 * _text render a report for people and for automation (docs/audit.md). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <vitrine/scan.h>

#include "audit_internal.h"

/* ---- canaries ---- */

typedef struct canary_scan {
    const vt_ruleset *rules;
    vt_ruleset_view view;
    vt_scan_ctx *ctx;
    vt_audit_report *report;
    bool define_filename, define_filepath, define_extension;
    bool corpus;       /* count hits per rule (vt_audit_corpus) instead of flagging */
    const char *root;  /* the corpus directory (examples are named relative to it) */
    size_t limit;      /* corpus: at most this many files */
    size_t files;      /* corpus: files scanned so far */
} canary_scan;

static bool declares_string_external(const vt_ruleset_view *v, const vt_ruleset *rules,
                                     const char *name)
{
    for (size_t i = 0; i < v->external_count; i++)
        if (v->externals[i].type == VT_TYPE_STRING &&
            strcmp(vt_ruleset_str(rules, v->externals[i].name), name) == 0)
            return true;
    return false;
}

static vt_status scan_canary(canary_scan *c, const char *path, const char *base, vt_error *err)
{
    vt_status st = VT_OK;
    const char *dot = strrchr(base, '.');
    if (c->define_filename)
        st = vt_scan_ctx_define_string(c->ctx, "filename", base, err);
    if (st == VT_OK && c->define_filepath)
        st = vt_scan_ctx_define_string(c->ctx, "filepath", path, err);
    if (st == VT_OK && c->define_extension)
        st = vt_scan_ctx_define_string(c->ctx, "extension", dot ? dot + 1 : "", err);
    if (st == VT_OK)
        st = vt_scan_file(c->ctx, path, 64u << 20, err);
    if (st != VT_OK)
        return st; /* a canary that could not be scanned: the audit is not complete */
    if (c->corpus)
        c->files++;
    for (size_t r = 0; r < c->view.rule_count && r < c->report->rule_count; r++) {
        if (!vt_scan_rule_matched(c->ctx, (uint32_t)r))
            continue;
        vt_audit_rule *ar = &c->report->rules[r];
        if (c->corpus) {
            if (ar->corpus_hits++ == 0) {
                size_t skip = strlen(c->root);
                const char *rel = strncmp(path, c->root, skip) == 0 && path[skip] == '/'
                                      ? path + skip + 1
                                      : path;
                if (!(ar->corpus_example = strdup(rel)))
                    return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
            }
            continue;
        }
        /* one finding per canary (vt_audit_add_finding keeps one per id and string) */
        vt_audit_finding *f = realloc(ar->findings, (ar->finding_count + 1) * sizeof *f);
        if (!f)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
        ar->findings = f;
        f = &ar->findings[ar->finding_count];
        memset(f, 0, sizeof *f);
        snprintf(f->id, sizeof f->id, "AUD-CANARY-001");
        f->severity = VT_AUDIT_FLAG;
        size_t n = strlen(base) + 64;
        f->reason = malloc(n);
        if (!f->reason)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
        snprintf(f->reason, n, "the rule fires on the canary document %s", base);
        ar->finding_count++;
        if (!ar->flagged) {
            ar->flagged = true;
            c->report->flagged_count++;
        }
    }
    return VT_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries in name order (so reports do not depend on readdir order). */
static vt_status walk(canary_scan *c, const char *dir, int depth, vt_error *err)
{
    if (depth > 16)
        return vt_error_set(err, VT_ERR_LIMIT, "%s: canary directories nest too deep", dir);
    DIR *d = opendir(dir);
    if (!d)
        return vt_error_errno(err, VT_ERR_IO, errno, "%s", dir);
    char **names = NULL;
    size_t count = 0, cap = 0;
    vt_status st = VT_OK;
    struct dirent *e;
    errno = 0;
    while (st == VT_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 32;
            char **n = realloc(names, cap * sizeof *n);
            if (!n) {
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
                break;
            }
            names = n;
        }
        if (!(names[count] = strdup(e->d_name)))
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
        else
            count++;
    }
    if (st == VT_OK && errno)
        st = vt_error_errno(err, VT_ERR_IO, errno, "%s", dir);
    closedir(d);
    if (count)
        qsort(names, count, sizeof *names, name_cmp);
    for (size_t i = 0; st == VT_OK && i < count && !(c->corpus && c->files >= c->limit); i++) {
        size_t n = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(n);
        if (!path) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
            break;
        }
        snprintf(path, n, "%s/%s", dir, names[i]);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            st = vt_error_errno(err, VT_ERR_IO, errno, "%s", path);
        else if (S_ISDIR(sb.st_mode))
            st = walk(c, path, depth + 1, err);
        else if (S_ISREG(sb.st_mode))
            st = scan_canary(c, path, names[i], err);
        free(path);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return st;
}

/* Shared by the canary and the corpus scans: one scanner and context, every file of dir. */
static vt_status scan_dir(canary_scan *c, const char *dir, vt_error *err)
{
    vt_ruleset_get_view(c->rules, &c->view);
    if (c->view.rule_count != c->report->rule_count)
        return vt_error_set(err, VT_ERR_ARGUMENT, "the report is not of this ruleset");
    c->define_filename = declares_string_external(&c->view, c->rules, "filename");
    c->define_filepath = declares_string_external(&c->view, c->rules, "filepath");
    c->define_extension = declares_string_external(&c->view, c->rules, "extension");
    vt_scanner *scanner = NULL;
    vt_status st = vt_scanner_new(c->rules, &scanner, err);
    if (st == VT_OK)
        st = vt_scan_ctx_new(scanner, NULL, &c->ctx, err);
    if (st == VT_OK)
        st = walk(c, dir, 0, err);
    vt_scan_ctx_free(c->ctx);
    vt_scanner_free(scanner);
    return st;
}

vt_status vt_audit_canaries(const vt_ruleset *rules, const char *dir, vt_audit_report *report,
                            vt_error *err)
{
    canary_scan c = {.rules = rules, .report = report};
    return scan_dir(&c, dir, err);
}

/* Hits of more than 1% of the corpus flag the rule (AUD-BROAD-001). */
static vt_status flag_broad(vt_audit_report *report, vt_error *err)
{
    size_t files = report->corpus_files;
    for (size_t r = 0; r < report->rule_count; r++) {
        vt_audit_rule *ar = &report->rules[r];
        if (ar->corpus_hits * 100 <= files)
            continue;
        vt_status st = vt_audit_add_finding(
            report, err, (uint32_t)r, "AUD-BROAD-001", VT_AUDIT_FLAG, NULL,
            "fires on %zu of %zu benign documents (%.2f%%), e.g. %s", ar->corpus_hits, files,
            100.0 * (double)ar->corpus_hits / (double)files,
            ar->corpus_example ? ar->corpus_example : "?");
        if (st != VT_OK)
            return st;
    }
    return VT_OK;
}

vt_status vt_audit_corpus(const vt_ruleset *rules, const char *dir, size_t limit,
                          vt_audit_report *report, vt_error *err)
{
    if (limit == 0)
        return vt_error_set(err, VT_ERR_ARGUMENT, "the corpus limit must be at least 1 file");
    if (report->corpus_files)
        return vt_error_set(err, VT_ERR_ARGUMENT, "the report already has a corpus");
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    char *root = strndup(dir, len);
    if (!root)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory auditing");
    canary_scan c = {.rules = rules, .report = report, .corpus = true, .root = root,
                     .limit = limit};
    vt_status st = scan_dir(&c, root, err);
    free(root);
    if (st != VT_OK)
        return st;
    if (c.files == 0)
        return vt_error_set(err, VT_ERR_ARGUMENT, "%s: no regular file in the corpus", dir);
    report->corpus_files = c.files;
    return flag_broad(report, err);
}

/* ---- output ---- */

static const char *severity_name(vt_audit_severity s)
{
    return s == VT_AUDIT_FLAG ? "flag" : "note";
}

vt_status vt_audit_report_json(const vt_audit_report *report, bool all_rules, vt_buf *out,
                               vt_error *err)
{
    json_t *root = json_object(), *verdicts = json_array();
    bool ok = root && verdicts &&
              !json_object_set_new(root, "rules", json_integer((json_int_t)report->rule_count)) &&
              !json_object_set_new(root, "flagged",
                                   json_integer((json_int_t)report->flagged_count));
    for (size_t r = 0; ok && r < report->rule_count; r++) {
        const vt_audit_rule *ar = &report->rules[r];
        if (!all_rules && !ar->flagged)
            continue;
        json_t *v = json_object(), *findings = json_array();
        if (!v || !findings) {
            json_decref(v);
            json_decref(findings);
            ok = false;
            break;
        }
        ok = !json_array_append_new(verdicts, v) &&
             !json_object_set_new(v, "namespace", json_string(ar->ns)) &&
             !json_object_set_new(v, "rule", json_string(ar->name)) &&
             !json_object_set_new(v, "line", json_integer(ar->line)) &&
             !json_object_set_new(v, "flagged", json_boolean(ar->flagged)) &&
             !json_object_set_new(v, "findings", findings);
        for (size_t i = 0; ok && i < ar->finding_count; i++) {
            const vt_audit_finding *f = &ar->findings[i];
            json_t *o = json_object();
            ok = o && !json_array_append_new(findings, o) &&
                 !json_object_set_new(o, "id", json_string(f->id)) &&
                 !json_object_set_new(o, "severity", json_string(severity_name(f->severity))) &&
                 !json_object_set_new(o, "string", f->string ? json_string(f->string)
                                                             : json_null()) &&
                 !json_object_set_new(o, "reason", json_stringn(f->reason, strlen(f->reason)));
        }
    }
    if (ok)
        ok = !json_object_set_new(root, "verdicts", verdicts);
    else
        json_decref(verdicts);
    if (ok && report->corpus_files) {
        json_t *corpus = json_object(), *hits = json_array();
        if (!corpus || !hits) {
            json_decref(corpus);
            json_decref(hits);
            ok = false;
        }
        /* set_new takes its value even when it fails: nothing leaks past here */
        ok = ok && !json_object_set_new(root, "corpus", corpus) &&
             !json_object_set_new(corpus, "files",
                                  json_integer((json_int_t)report->corpus_files));
        if (ok)
            ok = !json_object_set_new(corpus, "hits", hits);
        else if (corpus && hits)
            json_decref(hits);
        for (size_t r = 0; ok && r < report->rule_count; r++) {
            const vt_audit_rule *ar = &report->rules[r];
            if (!ar->corpus_hits)
                continue;
            json_t *o = json_object();
            ok = o && !json_array_append_new(hits, o) &&
                 !json_object_set_new(o, "namespace", json_string(ar->ns)) &&
                 !json_object_set_new(o, "rule", json_string(ar->name)) &&
                 !json_object_set_new(o, "hits", json_integer((json_int_t)ar->corpus_hits));
        }
    }
    char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(root);
    if (!text)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory writing the audit report");
    vt_status st = vt_buf_append_str(out, text);
    if (st == VT_OK)
        st = vt_buf_append_byte(out, '\n');
    free(text);
    if (st != VT_OK)
        return vt_error_set(err, st, "out of memory writing the audit report");
    return VT_OK;
}

vt_status vt_audit_report_text(const vt_audit_report *report, bool all_rules, vt_buf *out,
                               vt_error *err)
{
    vt_status st = VT_OK;
    for (size_t r = 0; st == VT_OK && r < report->rule_count; r++) {
        const vt_audit_rule *ar = &report->rules[r];
        if (!ar->flagged) {
            if (all_rules)
                st = vt_buf_printf(out, "ok %s:%s\n", ar->ns, ar->name);
            continue;
        }
        for (size_t i = 0; st == VT_OK && i < ar->finding_count; i++) {
            const vt_audit_finding *f = &ar->findings[i];
            st = vt_buf_printf(out, "%s %s:%s %s%s%s: %s\n",
                               f->severity == VT_AUDIT_FLAG ? "FLAGGED" : "note", ar->ns,
                               ar->name, f->id, f->string ? " " : "",
                               f->string ? f->string : "", f->reason);
        }
    }
    if (st == VT_OK && report->corpus_files) {
        size_t with_hits = 0;
        for (size_t r = 0; r < report->rule_count; r++)
            with_hits += report->rules[r].corpus_hits != 0;
        st = vt_buf_printf(out, "corpus: %zu file(s), %zu rule(s) fire on one or more\n",
                           report->corpus_files, with_hits);
    }
    if (st == VT_OK)
        st = vt_buf_printf(out, "%zu rule(s), %zu flagged\n", report->rule_count,
                           report->flagged_count);
    if (st != VT_OK)
        return vt_error_set(err, st, "out of memory writing the audit report");
    return VT_OK;
}
