/* context.c: vt_scan_ctx, everything one thread's scans write. A scan maps the file (or borrows
 * the buffer), runs the multi-string matcher once and collects every string's matches, loads the
 * imported modules over the same bytes, computes the entry point, and evaluates all conditions
 * with lib/cond, wiring the modules and the conditions' regexes into the evaluator's hooks. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/module_runtime.h>

#include "scan_internal.h"

typedef struct imported_module {
    const char *name;
    vt_mobj *root;
} imported_module;

/* Members found by name during one scan: the evaluator asks for the same few (pe.is_dll,
 * pe.number_of_signatures...) in hundreds of rules per file. Keyed by the object and the name's
 * address in the ruleset's pool; `scan` tells which scan an entry belongs to. */
#define FIELD_CACHE_SIZE 512
typedef struct field_cache_entry {
    const void *object;
    const char *name;
    const void *member;
    uint64_t scan;
} field_cache_entry;

struct vt_scan_ctx {
    const vt_scanner *scanner;
    vt_scan_options options;
    vt_ruleset_view view;
    vt_matcher_scratch *scratch;
    vt_match_scratch *regex_scratch;

    /* Matches of the last scan. While matching, `reserved` holds the string index; afterwards
     * the array is sorted by (string, offset) and lists[] point into it. */
    vt_string_match *found;
    size_t found_len, found_cap;
    bool found_sorted;
    vt_match_list *lists;
    uint32_t *touched; /* strings whose list is set, to reset them before the next scan */
    size_t touched_len;
    uint8_t *results;
    uint8_t *rule_matched; /* per rule: one of its strings has a match in this scan */
    size_t matched_rules;  /* rules whose results byte is set */

    vt_cond_value *externals;
    char **external_strings; /* owned copies of string values given by vt_scan_ctx_define */

    const uint8_t *data;
    uint64_t size;
    /* Small files are read into this buffer, reused from file to file; larger ones are mapped
     * (see map_window below for what happens when one is truncated while it is mapped). */
    uint8_t *file_buffer;
    size_t file_buffer_cap;
    void *mapped; /* the mapping of the file being scanned, or NULL */
    size_t mapped_len;

    vt_modrt_scan *modules;
    imported_module *imported;
    size_t imported_count;
    /* How a module function failed, kept for the scan's error (the evaluator words its own). */
    vt_error module_error;
    bool module_failed;

    field_cache_entry field_cache[FIELD_CACHE_SIZE];
    uint64_t scan_number; /* counts scans, from 1 */

    /* The scan's --timeout, which every long loop of the scan counts its work against (the
     * scratches of lib/match and the evaluator point here). */
    vt_deadline deadline;
    vt_status match_status;
    /* How a regex search of a module function failed (out of memory, timed out): the module's
     * callback can only say "no match", so the failure is kept here and fails the scan. */
    vt_status search_status;
    vt_error *err;
};

/* ---- creation ----------------------------------------------------------------------------- */

static vt_status load_default_externals(vt_scan_ctx *ctx)
{
    size_t n = ctx->view.external_count;
    ctx->externals = calloc(n ? n : 1, sizeof *ctx->externals);
    ctx->external_strings = calloc(n ? n : 1, sizeof *ctx->external_strings);
    if (!ctx->externals || !ctx->external_strings)
        return VT_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const vt_rs_external *x = &ctx->view.externals[i];
        vt_cond_value *v = &ctx->externals[i];
        v->type = (uint8_t)x->type;
        if (x->type == VT_TYPE_STRING) {
            v->u.s.bytes = (const uint8_t *)vt_ruleset_str(ctx->scanner->rules, x->string);
            v->u.s.len = x->string.len;
        } else if (x->type == VT_TYPE_FLOAT) {
            v->u.f = x->v.f;
        } else {
            v->u.i = x->v.i;
        }
    }
    return VT_OK;
}

vt_status vt_scan_ctx_new(const vt_scanner *scanner, const vt_scan_options *options,
                          vt_scan_ctx **out, vt_error *err)
{
    *out = NULL;
    vt_scan_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory creating a scan context");
    ctx->scanner = scanner;
    if (options)
        ctx->options = *options;
    vt_ruleset_get_view(scanner->rules, &ctx->view);
    size_t strings = ctx->view.string_count ? ctx->view.string_count : 1;
    size_t rules = ctx->view.rule_count ? ctx->view.rule_count : 1;
    ctx->lists = calloc(strings, sizeof *ctx->lists);
    ctx->touched = calloc(strings, sizeof *ctx->touched);
    ctx->results = calloc(rules, 1);
    ctx->rule_matched = calloc(rules, 1);
    ctx->imported = calloc(ctx->view.import_count ? ctx->view.import_count : 1,
                           sizeof *ctx->imported);
    ctx->scratch = vt_matcher_scratch_new(scanner->matcher);
    ctx->regex_scratch = vt_match_scratch_new();
    if (!ctx->lists || !ctx->touched || !ctx->results || !ctx->rule_matched || !ctx->imported ||
        !ctx->scratch || !ctx->regex_scratch || load_default_externals(ctx) != VT_OK) {
        vt_scan_ctx_free(ctx);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory creating a scan context");
    }
    vt_matcher_scratch_set_deadline(ctx->scratch, &ctx->deadline);
    vt_matcher_scratch_set_every_string(ctx->scratch, ctx->options.every_string);
    vt_match_scratch_set_deadline(ctx->regex_scratch, &ctx->deadline);
    /* The modules this ruleset imports, each once, in the order they are first imported. */
    for (size_t i = 0; i < ctx->view.import_count; i++) {
        const char *name = vt_ruleset_str(scanner->rules, ctx->view.imports[i].module);
        bool seen = false;
        for (size_t k = 0; k < ctx->imported_count && !seen; k++)
            seen = strcmp(ctx->imported[k].name, name) == 0;
        if (seen)
            continue;
        if (!vt_modrt_available(name)) {
            vt_scan_ctx_free(ctx);
            return vt_error_set(err, VT_ERR_NOT_FOUND,
                                "module \"%s\" has no runtime in this version of vitrine, so "
                                "rules importing it cannot be evaluated",
                                name);
        }
        ctx->imported[ctx->imported_count++].name = name;
    }
    for (size_t i = 0; i < ctx->options.define_count; i++) {
        const char *define = ctx->options.defines[i];
        char name[256];
        const char *value;
        vt_status st = vt_rules_split_define(define, name, sizeof name, &value, err);
        if (st == VT_OK)
            st = vt_scan_ctx_define(ctx, name, value, err);
        if (st != VT_OK) {
            vt_scan_ctx_free(ctx);
            return st;
        }
    }
    ctx->options.defines = NULL; /* borrowed: used only here */
    ctx->options.define_count = 0;
    *out = ctx;
    return VT_OK;
}

/* Largest file buffer kept for the next file. Each thread keeps one, so this bounds what idle
 * buffers add to the peak with N threads (16 MB kept reversinglabs on libwine with -p 2 at 51 MB,
 * 4 MB at 45 MB; 1 MB costs twice the system time in page faults for no less memory). */
#define KEEP_FILE_BUFFER (4u << 20)

/* The file buffer is an anonymous mapping of its own, not malloc memory: given back whole when
 * dropped (malloc would raise its mmap threshold after such a free and serve the next large
 * buffers from the heap, which does not shrink). It is aligned to and sized in huge pages, with
 * MADV_HUGEPAGE: the scan then reads a file through a few TLB entries that stay valid from one
 * file to the next, where a mapped file costs its page walks and faults again at every file (on
 * the 2-core VM of bench/RESULTS.md, fifth pass, trellix-atr over libwine: 1.3-1.6 s user with
 * files over 64 KB mapped, 0.8-1.1 s with files up to 4 MB read into this buffer). Without
 * transparent huge pages the hint does nothing and the buffer has small pages. */
#define FILE_BUFFER_ALIGN ((size_t)2 << 20)

static void drop_file_buffer(vt_scan_ctx *ctx)
{
    if (ctx->file_buffer)
        munmap(ctx->file_buffer, ctx->file_buffer_cap);
    ctx->file_buffer = NULL;
    ctx->file_buffer_cap = 0;
}

/* Room for `size` bytes; false when memory runs out. */
static bool fit_file_buffer(vt_scan_ctx *ctx, size_t size)
{
    if (size <= ctx->file_buffer_cap)
        return true;
    if (size > SIZE_MAX - 2 * FILE_BUFFER_ALIGN)
        return false;
    size_t cap = (size + FILE_BUFFER_ALIGN - 1) / FILE_BUFFER_ALIGN * FILE_BUFFER_ALIGN;
    /* a new buffer, not a grown one: the contents need not be kept, and mremap could move it to
     * an address that is not aligned */
    drop_file_buffer(ctx);
    size_t span = cap + FILE_BUFFER_ALIGN;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    uint8_t *aligned = (uint8_t *)(((uintptr_t)p + FILE_BUFFER_ALIGN - 1) &
                                   ~(uintptr_t)(FILE_BUFFER_ALIGN - 1));
    if (aligned > p)
        munmap(p, (size_t)(aligned - p));
    if (p + span > aligned + cap)
        munmap(aligned + cap, (size_t)(p + span - (aligned + cap)));
    (void)madvise(aligned, cap, MADV_HUGEPAGE); /* a hint: the buffer works without it */
    ctx->file_buffer = aligned;
    ctx->file_buffer_cap = cap;
    return true;
}

/* ---- mapped files ---------------------------------------------------------------------------
 * A file mapped while another process truncates it raises SIGBUS where the scan reads past the
 * new end. Each thread registers the window of the file it has mapped; a SIGBUS inside that
 * window maps zero pages over the rest of the window (the faulting read then goes on, reading
 * zeros) and marks the window; a scan whose window was marked is thrown away and the file is
 * scanned again from what read() gets, as if it had not been mapped. A SIGBUS anywhere else goes
 * to the handler installed before (or the default action), as without this handler. No state is
 * left half-done: the scan runs to its end over stable (if wrong) data, and is then redone.
 * The window stays registered until the data are released (the next scan or the context's end),
 * so reading match bytes after the scan is covered too — from the thread that scanned. */
typedef struct map_window {
    uintptr_t lo, hi; /* [lo, hi): the mapping, whole pages */
    uintptr_t page;
    volatile sig_atomic_t faulted;
} map_window;

static _Thread_local map_window thread_window __attribute__((tls_model("initial-exec")));
static struct sigaction previous_bus_action; /* written once, before the handler is installed */
static pthread_once_t bus_handler_once = PTHREAD_ONCE_INIT;
static bool bus_handler_ready;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
    int saved_errno = errno;
    map_window *w = &thread_window;
    uintptr_t at = (uintptr_t)info->si_addr;
    if (w->hi && at >= w->lo && at < w->hi) {
        uintptr_t from = at & ~(w->page - 1);
        void *p = mmap((void *)from, w->hi - from, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED) {
            w->faulted = 1;
            errno = saved_errno;
            return;
        }
    }
    errno = saved_errno;
    if ((previous_bus_action.sa_flags & SA_SIGINFO) && previous_bus_action.sa_sigaction) {
        previous_bus_action.sa_sigaction(sig, info, uctx);
        return;
    }
    if (!(previous_bus_action.sa_flags & SA_SIGINFO) && previous_bus_action.sa_handler != SIG_DFL &&
        previous_bus_action.sa_handler != SIG_IGN) {
        previous_bus_action.sa_handler(sig);
        return;
    }
    /* not a mapped file's: the default action, once the faulting access runs again */
    signal(sig, SIG_DFL);
}

static void install_bus_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, NULL, &previous_bus_action) != 0)
        return;
    /* an embedder's own SIGBUS handling is left alone: files are then read, not mapped */
    if ((previous_bus_action.sa_flags & SA_SIGINFO) ||
        (previous_bus_action.sa_handler != SIG_DFL && previous_bus_action.sa_handler != SIG_IGN))
        return;
    bus_handler_ready = sigaction(SIGBUS, &sa, NULL) == 0;
}

/* Files larger than the buffer kept between files are mapped; the others are read into that
 * buffer (see fit_file_buffer: cheaper in user time, and no mapping to set up and tear down for
 * each file). Reading the larger ones too was measured: about the same user time for more system
 * time (their copy, and a buffer faulted in for each). */
#define MAP_MIN_SIZE ((size_t)KEEP_FILE_BUFFER + 1)
#define MAP_POPULATE_MAX_SIZE ((size_t)256 << 20) /* bytes; larger files fault in as read */

static bool can_map(size_t size)
{
    if (size < MAP_MIN_SIZE)
        return false;
    pthread_once(&bus_handler_once, install_bus_handler);
    return bus_handler_ready;
}

static void unmap_file(vt_scan_ctx *ctx)
{
    if (!ctx->mapped)
        return;
    thread_window.hi = 0; /* first: the window no longer claims these addresses */
    thread_window.lo = 0;
    munmap(ctx->mapped, ctx->mapped_len);
    ctx->mapped = NULL;
    ctx->mapped_len = 0;
}

static void release_data(vt_scan_ctx *ctx)
{
    unmap_file(ctx);
    if (ctx->file_buffer_cap > KEEP_FILE_BUFFER)
        drop_file_buffer(ctx); /* a huge file's buffer is not kept for the next, small one */
    ctx->data = NULL;
    ctx->size = 0;
    /* the module trees of this file go; the context (declarations, arena) serves the next */
    if (ctx->modules)
        vt_modrt_scan_reset(ctx->modules, NULL, 0, NULL);
}

void vt_scan_ctx_free(vt_scan_ctx *ctx)
{
    if (!ctx)
        return;
    release_data(ctx);
    vt_modrt_scan_free(ctx->modules);
    ctx->modules = NULL;
    drop_file_buffer(ctx);
    if (ctx->external_strings)
        for (size_t i = 0; i < ctx->view.external_count; i++)
            free(ctx->external_strings[i]);
    free(ctx->external_strings);
    free(ctx->externals);
    free(ctx->found);
    free(ctx->lists);
    free(ctx->touched);
    free(ctx->results);
    free(ctx->rule_matched);
    free(ctx->imported);
    vt_matcher_scratch_free(ctx->scratch);
    vt_match_scratch_free(ctx->regex_scratch);
    free(ctx);
}

static vt_status set_string(vt_scan_ctx *ctx, size_t i, const char *value, vt_error *err)
{
    char *copy = strdup(value);
    if (!copy)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    free(ctx->external_strings[i]);
    ctx->external_strings[i] = copy;
    ctx->externals[i].u.s.bytes = (const uint8_t *)copy;
    ctx->externals[i].u.s.len = strlen(copy);
    return VT_OK;
}

/* The ruleset's external variable `name`: its index, VT_ERR_NOT_FOUND when there is none. */
static vt_status find_external(const vt_scan_ctx *ctx, const char *name, size_t *index,
                               vt_error *err)
{
    for (size_t i = 0; i < ctx->view.external_count; i++)
        if (strcmp(vt_ruleset_str(ctx->scanner->rules, ctx->view.externals[i].name), name) == 0) {
            *index = i;
            return VT_OK;
        }
    return vt_error_set(err, VT_ERR_NOT_FOUND, "undefined external variable \"%s\"", name);
}

vt_status vt_scan_ctx_define_string(vt_scan_ctx *ctx, const char *name, const char *value,
                                    vt_error *err)
{
    size_t i = 0;
    vt_status st = find_external(ctx, name, &i, err);
    if (st != VT_OK)
        return st;
    if (ctx->view.externals[i].type != VT_TYPE_STRING)
        return vt_error_set(err, VT_ERR_ARGUMENT, "external variable \"%s\" is not a string",
                            name);
    return set_string(ctx, i, value, err);
}

vt_status vt_scan_ctx_define(vt_scan_ctx *ctx, const char *name, const char *value,
                             vt_error *err)
{
    size_t i = 0;
    vt_status st = find_external(ctx, name, &i, err);
    if (st != VT_OK)
        return st;
    const vt_rs_external *x = &ctx->view.externals[i];
    vt_cond_value *v = &ctx->externals[i];
    char *end = NULL;
    errno = 0;
    /* yara types the value by its text (args.c) and refuses one of another type */
    if (vt_rules_define_type(value) != x->type)
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid type for external variable \"%s\"",
                            name);
    switch (x->type) {
    case VT_TYPE_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            break;
        v->u.i = strcmp(value, "true") == 0;
        return VT_OK;
    case VT_TYPE_INT: {
        /* decimal only: yara reads "0x10" as a string */
        long long n = strtoll(value, &end, 10);
        if (!*value || *end || errno)
            break;
        v->u.i = n;
        return VT_OK;
    }
    case VT_TYPE_FLOAT: {
        double f = strtod(value, &end);
        if (!*value || *end || errno)
            break;
        v->u.f = f;
        return VT_OK;
    }
    default:
        return set_string(ctx, i, value, err);
    }
    return vt_error_set(err, VT_ERR_ARGUMENT, "invalid type for external variable \"%s\"", name);
}

/* ---- module hooks for the evaluator --------------------------------------------------------- */

static const void *hook_module(void *context, const char *name)
{
    vt_scan_ctx *ctx = context;
    /* the ruleset's pool stores each name once: the address is nearly always the import's */
    for (size_t i = 0; i < ctx->imported_count; i++)
        if (ctx->imported[i].name == name)
            return ctx->imported[i].root;
    for (size_t i = 0; i < ctx->imported_count; i++)
        if (strcmp(ctx->imported[i].name, name) == 0)
            return ctx->imported[i].root;
    return NULL;
}

static const void *hook_field(void *context, const void *object, const char *name)
{
    vt_scan_ctx *ctx = context;
    /* both addresses multiplied, the slot taken from the top bits: the names' addresses differ
     * in their low bits only (they are a few bytes apart in the pool), and an XOR of the name
     * into the object's product, then shifted right, sent pe.number_of_signatures and
     * pe.signatures to the same slot in turn (reversinglabs: every lookup missed) */
    uint64_t key = (uint64_t)(uintptr_t)object * 0x9E3779B97F4A7C15ull +
                   (uint64_t)(uintptr_t)name * 0xC2B2AE3D27D4EB4Full;
    field_cache_entry *e = &ctx->field_cache[(key >> 32) % FIELD_CACHE_SIZE];
    if (e->scan == ctx->scan_number && e->object == object && e->name == name)
        return e->member;
    const void *member = vt_mobj_member(object, name);
    *e = (field_cache_entry){object, name, member, ctx->scan_number};
    return member;
}

static const void *hook_index(void *context, const void *array, int64_t index)
{
    (void)context;
    return vt_mobj_item(array, index);
}

static const void *hook_lookup(void *context, const void *dictionary, const uint8_t *key,
                               size_t len)
{
    (void)context;
    return vt_mobj_lookup(dictionary, (const char *)key, len);
}

static int64_t hook_item_count(void *context, const void *object)
{
    (void)context;
    vt_module_kind kind = vt_mobj_kind(object);
    if (kind != VT_MODULE_ARRAY && kind != VT_MODULE_DICTIONARY)
        return -1;
    return vt_mobj_count(object);
}

static const void *hook_item(void *context, const void *object, int64_t i, const uint8_t **key,
                             size_t *key_len)
{
    (void)context;
    if (vt_mobj_kind(object) == VT_MODULE_ARRAY)
        return vt_mobj_item(object, i);
    const char *k = NULL;
    const void *value = vt_mobj_entry(object, i, &k, key_len);
    *key = (const uint8_t *)k;
    return value;
}

static void hook_value(void *context, const void *object, vt_cond_value *out)
{
    (void)context;
    memset(out, 0, sizeof *out);
    switch (vt_mobj_kind(object)) {
    case VT_MODULE_INTEGER:
        out->type = VT_TYPE_INT;
        out->undefined = !vt_mobj_integer(object, &out->u.i);
        return;
    case VT_MODULE_FLOAT:
        out->type = VT_TYPE_FLOAT;
        out->undefined = !vt_mobj_float(object, &out->u.f);
        return;
    case VT_MODULE_STRING:
        out->type = VT_TYPE_STRING;
        out->undefined = !vt_mobj_string(object, &out->u.s.bytes, &out->u.s.len);
        return;
    default:
        out->type = VT_TYPE_OBJECT;
        out->u.object = object;
        return;
    }
}

#define MAX_FUNCTION_ARGUMENTS 16

static vt_status hook_call(void *context, const void *function, const char *format,
                           const vt_cond_value *args, size_t argc, vt_cond_value *result)
{
    vt_scan_ctx *ctx = context;
    vt_modrt_arg margs[MAX_FUNCTION_ARGUMENTS];
    if (argc > MAX_FUNCTION_ARGUMENTS || strlen(format) != argc)
        return VT_ERR_ARGUMENT;
    for (size_t i = 0; i < argc; i++) {
        memset(&margs[i], 0, sizeof margs[i]);
        switch (format[i]) {
        case 'f':
            margs[i].f = args[i].type == VT_TYPE_FLOAT ? args[i].u.f : (double)args[i].u.i;
            break;
        case 's':
            margs[i].s = args[i].u.s.bytes;
            margs[i].len = args[i].u.s.len;
            break;
        case 'r':
            margs[i].regex = vt_scanner_regex(ctx->scanner, args[i].u.node);
            break;
        default:
            margs[i].i = args[i].u.i;
            break;
        }
    }
    vt_modrt_value value;
    vt_status st = vt_modrt_call(ctx->modules, function, format, margs, argc, &value, ctx->err);
    if (st == VT_OK && ctx->search_status != VT_OK)
        st = vt_error_set(ctx->err, ctx->search_status, ctx->search_status == VT_ERR_TIMEOUT
                              ? "scanning timed out"
                              : "a regular expression search of a module function failed: %s",
                          vt_status_name(ctx->search_status));
    if (st != VT_OK) {
        if (ctx->err) {
            ctx->module_error = *ctx->err;
            ctx->module_failed = true;
        }
        return st;
    }
    memset(result, 0, sizeof *result);
    switch (value.kind) {
    case VT_MODULE_INTEGER:
        result->type = VT_TYPE_INT;
        result->u.i = value.i;
        break;
    case VT_MODULE_FLOAT:
        result->type = VT_TYPE_FLOAT;
        result->u.f = value.f;
        break;
    case VT_MODULE_STRING:
        result->type = VT_TYPE_STRING;
        result->u.s.bytes = value.s;
        result->u.s.len = value.len;
        break;
    default:
        result->undefined = true;
        break;
    }
    return VT_OK;
}

/* ---- regular expressions ---------------------------------------------------------------- */

/* Does `matcher` match somewhere in s[0..len), an empty match included (yara's `matches`)? A
 * search that could not be completed (out of memory, the deadline passed) is a failure, never
 * "no match". */
static vt_status search_with(vt_scan_ctx *ctx, const vt_string_matcher *matcher,
                             const uint8_t *s, size_t len, bool *found)
{
    *found = false;
    if (!matcher)
        return VT_ERR_STATE; /* every regex of the rules was compiled with the scanner */
    vt_error ignored;
    return vt_string_matcher_regex_search(matcher, ctx->regex_scratch, s, len, found, &ignored);
}

static vt_status condition_regex_search(void *context, uint32_t node, const uint8_t *s,
                                        size_t len, bool *found)
{
    vt_scan_ctx *ctx = context;
    return search_with(ctx, vt_scanner_regex(ctx->scanner, node), s, len, found);
}

static bool module_regex_search(void *user, const void *regex, const uint8_t *s, size_t len)
{
    vt_scan_ctx *ctx = user;
    bool found = false;
    vt_status st = search_with(ctx, regex, s, len, &found);
    if (st != VT_OK && ctx->search_status == VT_OK)
        ctx->search_status = st; /* fails the call (hook_call) or the module's load */
    return found;
}

/* tests.match: yara's yr_re_match (match.h); INT64_MIN (undefined) when memory runs out. */
static int64_t module_regex_match(void *user, const void *regex, const uint8_t *s, size_t len)
{
    vt_scan_ctx *ctx = user;
    int64_t end;
    vt_error ignored;
    if (!regex || vt_string_matcher_regex_match(regex, ctx->regex_scratch, s, len, &end,
                                                &ignored) != VT_OK)
        return INT64_MIN;
    return end;
}

static bool module_member_used(void *user, const char *name)
{
    const vt_scan_ctx *ctx = user;
    return vt_scanner_member_used(ctx->scanner, name);
}

/* ---- matching ----------------------------------------------------------------------------- */

static int collect_match(void *context, const vt_match *match)
{
    vt_scan_ctx *ctx = context;
    if (match->string_id < ctx->view.string_count) {
        int64_t fixed = ctx->scanner->fixed_offsets[match->string_id];
        if (fixed != VT_NO_FIXED_OFFSET && (int64_t)match->offset != fixed)
            return 0;
    }
    if (ctx->found_len == ctx->found_cap) {
        size_t cap = ctx->found_cap ? ctx->found_cap * 2 : 1024;
        vt_string_match *grown = realloc(ctx->found, cap * sizeof *grown);
        if (!grown) {
            ctx->match_status = vt_error_set(ctx->err, VT_ERR_NOMEM, "out of memory storing matches");
            return 1;
        }
        ctx->found = grown;
        ctx->found_cap = cap;
    }
    vt_string_match *m = &ctx->found[ctx->found_len];
    if (ctx->found_len > 0) {
        const vt_string_match *prev = m - 1;
        if (prev->reserved > match->string_id ||
            (prev->reserved == match->string_id && prev->offset > match->offset))
            ctx->found_sorted = false;
    }
    m->offset = match->offset;
    m->length = match->length;
    m->reserved = match->string_id;
    ctx->found_len++;
    return 0;
}

static int compare_found(const void *a, const void *b)
{
    const vt_string_match *x = a, *y = b;
    if (x->reserved != y->reserved)
        return x->reserved < y->reserved ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Turn the collected matches into one sorted list per string. */
static void index_matches(vt_scan_ctx *ctx)
{
    if (!ctx->found_sorted)
        qsort(ctx->found, ctx->found_len, sizeof *ctx->found, compare_found);
    size_t i = 0;
    while (i < ctx->found_len) {
        uint32_t s = ctx->found[i].reserved;
        size_t first = i;
        while (i < ctx->found_len && ctx->found[i].reserved == s)
            i++;
        if (s >= ctx->view.string_count)
            continue;
        /* Fast mode, as yara's: a string whose condition only asks whether it is found
         * keeps its first match. */
        bool first_only =
            ctx->options.fast && (ctx->view.strings[s].flags & VT_RS_SINGLE_MATCH) != 0;
        ctx->lists[s].items = &ctx->found[first];
        ctx->lists[s].count = first_only ? 1 : (uint32_t)(i - first);
        ctx->touched[ctx->touched_len++] = s;
        if (ctx->view.strings[s].rule < ctx->view.rule_count)
            ctx->rule_matched[ctx->view.strings[s].rule] = 1;
        if (!first_only && i - first >= VT_MAX_STRING_MATCHES && ctx->options.warning) {
            const vt_rs_string *string = &ctx->view.strings[s];
            const vt_rs_rule *rule = &ctx->view.rules[string->rule];
            ctx->options.warning(ctx->options.user, vt_ruleset_str(ctx->scanner->rules, rule->name),
                                 vt_ruleset_str(ctx->scanner->rules, string->identifier),
                                 "too many matches");
        }
    }
}

static void reset_results(vt_scan_ctx *ctx)
{
    for (size_t i = 0; i < ctx->touched_len; i++) {
        uint32_t s = ctx->touched[i];
        ctx->lists[s].items = NULL;
        ctx->lists[s].count = 0;
        if (ctx->view.strings[s].rule < ctx->view.rule_count)
            ctx->rule_matched[ctx->view.strings[s].rule] = 0;
    }
    ctx->touched_len = 0;
    ctx->scan_number++; /* module objects of the last scan are gone: forget their members */
    ctx->found_len = 0;
    ctx->found_sorted = true;
    ctx->match_status = VT_OK;
    ctx->search_status = VT_OK;
    if (ctx->view.rule_count)
        memset(ctx->results, 0, ctx->view.rule_count);
    ctx->matched_rules = 0;
}

static vt_status load_modules(vt_scan_ctx *ctx, vt_error *err)
{
    if (ctx->imported_count == 0)
        return VT_OK;
    vt_modrt_options options = {
        .console_log = ctx->options.console_log,
        .console_user = ctx->options.user,
        .regex_search = module_regex_search,
        .regex_match = module_regex_match,
        .regex_user = ctx,
        /* a module dump shows every member */
        .member_used = ctx->options.module_dump ? NULL : module_member_used,
        .member_user = ctx,
        .module_data = ctx->options.module_data,
        .module_data_count = ctx->options.module_data_count,
        .deadline = &ctx->deadline,
    };
    vt_status st = VT_OK;
    if (ctx->modules)
        vt_modrt_scan_reset(ctx->modules, ctx->data, (size_t)ctx->size, &options);
    else
        st = vt_modrt_scan_new(ctx->data, (size_t)ctx->size, &options, &ctx->modules, err);
    for (size_t i = 0; st == VT_OK && i < ctx->imported_count; i++) {
        st = vt_modrt_import(ctx->modules, ctx->imported[i].name, &ctx->imported[i].root, err);
        if (st == VT_OK && ctx->search_status != VT_OK)
            st = vt_error_set(err, ctx->search_status,
                              "a regular expression search of module \"%s\" failed: %s",
                              ctx->imported[i].name, vt_status_name(ctx->search_status));
        if (st == VT_OK && vt_deadline_check(&ctx->deadline))
            st = vt_error_set(err, VT_ERR_TIMEOUT, "scanning timed out");
        if (st == VT_OK && ctx->options.module_dump) {
            vt_buf dump = {0};
            st = vt_modrt_dump(ctx->imported[i].root, &dump, err);
            if (st == VT_OK)
                ctx->options.module_dump(ctx->options.user, ctx->imported[i].name,
                                         (const char *)dump.data, dump.len);
            vt_buf_free(&dump);
        }
    }
    return st;
}

static vt_status scan_loaded_data(vt_scan_ctx *ctx, vt_error *err)
{
    ctx->err = err;
    vt_deadline_start(&ctx->deadline, ctx->options.timeout_seconds);
    vt_status st = load_modules(ctx, err);
    if (st != VT_OK)
        return st;
    static const uint8_t empty[1] = {0};
    st = vt_matcher_scan(ctx->scanner->matcher, ctx->scratch, ctx->size ? ctx->data : empty,
                         (size_t)ctx->size, collect_match, ctx, err);
    if (ctx->match_status != VT_OK)
        return ctx->match_status;
    if (st != VT_OK)
        return st;
    if (vt_deadline_check(&ctx->deadline))
        return vt_error_set(err, VT_ERR_TIMEOUT, "scanning timed out");
    index_matches(ctx);

    vt_cond_env env = {
        .rules = ctx->scanner->rules,
        .data = ctx->data,
        .size = ctx->size,
        .matches = ctx->lists,
        .externals = ctx->externals,
        .modules =
            {
                .context = ctx,
                .module = hook_module,
                .field = hook_field,
                .index = hook_index,
                .lookup = hook_lookup,
                .item_count = hook_item_count,
                .item = hook_item,
                .value = hook_value,
                .call = hook_call,
            },
        .regex_search = condition_regex_search,
        .regex_context = ctx,
        .deadline = &ctx->deadline,
        .needs_match = ctx->scanner->needs_match,
        .rule_matched = ctx->rule_matched,
        .rule_gates = ctx->scanner->rule_gates,
        .rule_escapes = ctx->scanner->rule_escapes,
    };
    env.has_entrypoint = vt_entry_point_offset(ctx->data, ctx->size, &env.entrypoint);
    ctx->module_failed = false;
    st = vt_cond_evaluate(&env, ctx->results, err);
    ctx->matched_rules = 0;
    for (size_t r = 0; st == VT_OK && r < ctx->view.rule_count; r++)
        ctx->matched_rules += ctx->results[r] != 0;
    if (st != VT_OK && ctx->module_failed && err) {
        *err = ctx->module_error;
        st = err->status;
    }
    return st;
}

vt_status vt_scan_buffer(vt_scan_ctx *ctx, const uint8_t *data, size_t size, vt_error *err)
{
    release_data(ctx);
    reset_results(ctx);
    ctx->data = data;
    ctx->size = size;
    return scan_loaded_data(ctx, err);
}

/* Read the file into the reused buffer. A file that shrinks while it is read is scanned as far
 * as it was read; one that grows is scanned as it was when it was opened. */
static vt_status read_file(vt_scan_ctx *ctx, int fd, const char *path, size_t want, vt_error *err)
{
    if (!fit_file_buffer(ctx, want ? want : 1))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory reading %s (%zu bytes)", path,
                            want);
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, ctx->file_buffer + got, want - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_errno(err, VT_ERR_IO, errno, "cannot read %s", path);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    ctx->data = ctx->file_buffer;
    ctx->size = got;
    return VT_OK;
}

vt_status vt_scan_file(vt_scan_ctx *ctx, const char *path, uint64_t max_size, vt_error *err)
{
    release_data(ctx);
    reset_results(ctx);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return vt_error_errno(err, errno == ENOENT ? VT_ERR_NOT_FOUND : VT_ERR_IO, errno,
                              "cannot open %s", path);
    vt_status st = vt_scan_fd(ctx, fd, path, max_size, err);
    close(fd);
    return st;
}

vt_status vt_scan_fd(vt_scan_ctx *ctx, int fd, const char *path, uint64_t max_size,
                     vt_error *err)
{
    release_data(ctx);
    reset_results(ctx);
    struct stat st;
    if (fstat(fd, &st) != 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot stat %s", path);
    if (!S_ISREG(st.st_mode))
        return vt_error_set(err, VT_ERR_IO, "%s is not a regular file", path);
    if (max_size && (uint64_t)st.st_size > max_size)
        return vt_error_set(err, VT_ERR_LIMIT, "%s is larger than the limit of %llu bytes",
                            path, (unsigned long long)max_size);
    size_t want = (size_t)st.st_size;
    if (can_map(want)) {
        /* the buffer is not needed while a large file is mapped: given back, it does not add
         * to the peak, which such a file sets (reversinglabs over libwine: 39.6 -> 35.6 MB with
         * -p 1, 44.1 -> 40.1 MB with -p 2, as before the buffer had huge pages) */
        drop_file_buffer(ctx);
        /* MAP_POPULATE: the scan reads every page; one call maps them instead of a fault per
         * 16 pages (a page it cannot map, past a truncation, still raises SIGBUS when read).
         * Not for very large files: populating reads the whole file before the scan starts
         * and keeps all of it mapped at once. */
        int populate = want <= MAP_POPULATE_MAX_SIZE ? MAP_POPULATE : 0;
        void *p = mmap(NULL, want, PROT_READ, MAP_PRIVATE | populate, fd, 0);
        if (p != MAP_FAILED) {
            size_t page = (size_t)sysconf(_SC_PAGESIZE);
            ctx->mapped = p;
            ctx->mapped_len = want;
            thread_window.page = page;
            thread_window.faulted = 0;
            thread_window.lo = (uintptr_t)p;
            thread_window.hi = (uintptr_t)p + (want + page - 1) / page * page;
            ctx->data = p;
            ctx->size = want;
            vt_status status = scan_loaded_data(ctx, err);
            if (!thread_window.faulted)
                return status;
            /* truncated while it was scanned: scanned again from what can still be read */
            release_data(ctx);
            reset_results(ctx);
            if (err)
                vt_error_clear(err);
        }
    }
    vt_status status = read_file(ctx, fd, path, want, err);
    return status != VT_OK ? status : scan_loaded_data(ctx, err);
}

bool vt_scan_rule_matched(const vt_scan_ctx *ctx, uint32_t rule)
{
    return rule < ctx->view.rule_count && ctx->results[rule];
}

size_t vt_scan_matched_rule_count(const vt_scan_ctx *ctx)
{
    return ctx->matched_rules;
}

vt_match_list vt_scan_string_matches(const vt_scan_ctx *ctx, uint32_t string)
{
    vt_match_list none = {0};
    return string < ctx->view.string_count ? ctx->lists[string] : none;
}

const uint8_t *vt_scan_data(const vt_scan_ctx *ctx, uint64_t *size)
{
    *size = ctx->size;
    return ctx->data;
}

const uint8_t *vt_scan_match_bytes(const vt_scan_ctx *ctx, const vt_string_match *match,
                                   size_t max, size_t *len)
{
    size_t n = match->length < max ? match->length : max;
    if (match->offset >= ctx->size)
        n = 0;
    else if (n > ctx->size - match->offset)
        n = (size_t)(ctx->size - match->offset);
    *len = n;
    return n ? ctx->data + match->offset : ctx->data;
}
