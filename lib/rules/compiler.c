/* compiler.c: the compiler object: its tables (which become the ruleset image), namespaces,
 * external variables (-d), module declarations loaded on import, warnings, and adding sources
 * from files (with the include stack) or memory. A failed source spends the compiler, so a
 * partly added file can never reach a ruleset. */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define MAX_SOURCE_SIZE (256u << 20)

vt_status vt_vec_push(vt_vec *v, const void *item, uint32_t *index)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        if (cap > UINT32_MAX / 2)
            return VT_ERR_NOMEM;
        unsigned char *data = realloc(v->data, cap * v->elem);
        if (!data)
            return VT_ERR_NOMEM;
        v->data = data;
        v->cap = cap;
    }
    memcpy(v->data + v->len * v->elem, item, v->elem);
    if (index)
        *index = (uint32_t)v->len;
    v->len++;
    return VT_OK;
}

void vt_vec_free(vt_vec *v)
{
    free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}

static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

int vt_map_get(const vt_map *m, const char *key, uint32_t *value)
{
    if (!m->cap)
        return 0;
    for (size_t i = hash_key(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].key)
            return 0;
        if (strcmp(m->slots[i].key, key) == 0) {
            if (value)
                *value = m->slots[i].value;
            return 1;
        }
    }
}

static void map_insert(vt_map_entry *slots, size_t cap, char *key, uint32_t value)
{
    size_t i = hash_key(key) & (cap - 1);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i].key = key;
    slots[i].value = value;
}

vt_status vt_map_put(vt_map *m, const char *key, uint32_t value)
{
    if ((m->count + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        vt_map_entry *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return VT_ERR_NOMEM;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                map_insert(slots, cap, m->slots[i].key, m->slots[i].value);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    for (size_t i = hash_key(key) & (m->cap - 1); m->slots[i].key; i = (i + 1) & (m->cap - 1))
        if (strcmp(m->slots[i].key, key) == 0) {
            m->slots[i].value = value;
            return VT_OK;
        }
    char *copy = strdup(key);
    if (!copy)
        return VT_ERR_NOMEM;
    map_insert(m->slots, m->cap, copy, value);
    m->count++;
    return VT_OK;
}

void vt_map_free(vt_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* The hash of a pool string for the pool index (8 bytes at a step: texts of hex strings are
 * kilobytes long). */
static uint64_t hash_bytes(const unsigned char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 1099511628211ull;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h ^ (h >> 32);
}

/* The slot of the pool string `data` in `index`: its own, or the empty one it would take. */
static vt_pool_slot *pool_slot(const vt_pool_index *index, const vt_buf *pool, uint64_t hash,
                               const void *data, size_t len)
{
    for (size_t i = hash & (index->cap - 1);; i = (i + 1) & (index->cap - 1)) {
        vt_pool_slot *slot = &index->slots[i];
        if (slot->len == UINT32_MAX)
            return slot;
        if (slot->hash == hash && slot->len == len &&
            memcmp(pool->data + slot->off, data, len) == 0)
            return slot;
    }
}

static vt_status pool_index_grow(vt_pool_index *index)
{
    size_t cap = index->cap ? index->cap * 2 : 256;
    vt_pool_slot *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return VT_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].len = UINT32_MAX;
    for (size_t k = 0; k < index->cap; k++) {
        const vt_pool_slot *old = &index->slots[k];
        if (old->len == UINT32_MAX)
            continue;
        size_t i = old->hash & (cap - 1);
        while (slots[i].len != UINT32_MAX)
            i = (i + 1) & (cap - 1);
        slots[i] = *old;
    }
    free(index->slots);
    index->slots = slots;
    index->cap = cap;
    return VT_OK;
}

vt_status vt_pool_add(vt_compiler *c, const void *data, size_t len, vt_rs_str *out)
{
    if (c->pool.len + len + 1 > UINT32_MAX)
        return VT_ERR_LIMIT;
    /* Identical strings (identifiers, meta, tags, names, repeated texts) are stored once. */
    bool dedup = len < 65536 && !memchr(data, 0, len);
    vt_pool_index *index = &c->pool_index;
    vt_pool_slot *slot = NULL;
    uint64_t hash = 0;
    if (dedup) {
        if ((index->count + 1) * 2 > index->cap && pool_index_grow(index) != VT_OK)
            return VT_ERR_NOMEM;
        hash = hash_bytes(data, len);
        slot = pool_slot(index, &c->pool, hash, data, len);
        if (slot->len != UINT32_MAX) {
            out->off = slot->off;
            out->len = (uint32_t)len;
            return VT_OK;
        }
    }
    out->off = (uint32_t)c->pool.len;
    out->len = (uint32_t)len;
    vt_status st = vt_buf_append(&c->pool, data, len);
    if (st == VT_OK)
        st = vt_buf_append_byte(&c->pool, 0);
    if (st == VT_OK && dedup) {
        *slot = (vt_pool_slot){.hash = hash, .off = out->off, .len = (uint32_t)len};
        index->count++;
    }
    return st;
}

const char *vt_pool_get(const vt_compiler *c, vt_rs_str s)
{
    return (const char *)c->pool.data + s.off;
}

vt_status vt_compiler_warn(vt_compiler *c, const char *file, unsigned line, unsigned col,
                           const char *format, ...)
{
    vt_diagnostic w;
    vt_error_clear(&w.error);
    va_list args;
    va_start(args, format);
    vt_error_setv(&w.error, VT_OK, file, line, col, format, args);
    va_end(args);
    memcpy(w.rule, c->current_rule, sizeof w.rule);
    return vt_vec_push(&c->warnings, &w, NULL);
}

size_t vt_compiler_warning_count(const vt_compiler *c)
{
    return c->warnings.len;
}

const vt_error *vt_compiler_warning(const vt_compiler *c, size_t index)
{
    return index < c->warnings.len ? &VT_VEC_AT(&c->warnings, vt_diagnostic, index)->error : NULL;
}

const char *vt_compiler_warning_rule(const vt_compiler *c, size_t index)
{
    if (index >= c->warnings.len)
        return NULL;
    const char *rule = VT_VEC_AT(&c->warnings, vt_diagnostic, index)->rule;
    return rule[0] ? rule : NULL;
}

const char *vt_compiler_error_rule(const vt_compiler *c)
{
    return c->failed && c->current_rule[0] ? c->current_rule : NULL;
}

vt_module_decl *vt_compiler_module(vt_compiler *c, const char *name, vt_error *err,
                                   vt_status *status)
{
    for (size_t i = 0; i < c->module_count; i++)
        if (strcmp(c->modules[i].name, name) == 0)
            return c->modules[i].decl;
    if (c->module_count == sizeof c->modules / sizeof c->modules[0] || strlen(name) >= 64) {
        *status = VT_ERR_NOT_FOUND;
        return NULL;
    }
    vt_module_decl *decl;
    *status = vt_module_declare(name, &decl, err);
    if (*status != VT_OK)
        return NULL;
    snprintf(c->modules[c->module_count].name, 64, "%s", name);
    c->modules[c->module_count++].decl = decl;
    return decl;
}

/* The parser recurses once per nesting level and allows nesting as deep as yara's (about
 * 10,000 levels), more than a default thread stack holds: sources are parsed on a thread with a
 * large stack (reserved, committed only as used). */
#define PARSER_STACK_SIZE ((size_t)512 << 20)
/* The stack is mapped once per compiler and reused by every source's thread (a thread with a
 * stack of its own maps and unmaps half a gigabyte and faults its pages in again per file), with
 * a guard area below it as the thread library would leave. */
#define PARSER_STACK_GUARD ((size_t)64 << 10)

vt_status vt_compiler_new(vt_compiler **out, vt_error *err)
{
    vt_compiler *c = calloc(1, sizeof *c);
    if (!c)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    c->namespaces.elem = sizeof(vt_rs_str);
    c->rules.elem = sizeof(vt_rs_rule);
    c->tags.elem = sizeof(vt_rs_str);
    c->meta.elem = sizeof(vt_rs_meta);
    c->strings.elem = sizeof(vt_rs_string);
    c->nodes.elem = sizeof(vt_rs_node);
    c->lists.elem = sizeof(uint32_t);
    c->imports.elem = sizeof(vt_rs_import);
    c->externals.elem = sizeof(vt_rs_external);
    c->warnings.elem = sizeof(vt_diagnostic);
    /* Offset 0 of the pool is the empty string, so zeroed references are valid. */
    vt_rs_str empty;
    if (vt_pool_add(c, "", 0, &empty) != VT_OK) {
        free(c);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return VT_OK;
}

void vt_compiler_free(vt_compiler *c)
{
    if (!c)
        return;
    vt_buf_free(&c->pool);
    vt_vec *vecs[] = {&c->namespaces, &c->rules, &c->tags, &c->meta, &c->strings,
                      &c->nodes, &c->lists, &c->imports, &c->externals, &c->warnings};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        vt_vec_free(vecs[i]);
    vt_map_free(&c->rule_names);
    vt_map_free(&c->rule_wildcards);
    vt_map_free(&c->ns_names);
    vt_map_free(&c->import_names);
    vt_map_free(&c->extern_names);
    free(c->pool_index.slots);
    for (size_t i = 0; i < c->module_count; i++)
        vt_module_decl_free(c->modules[i].decl);
    for (size_t i = 0; i < VT_MAX_INCLUDE_DEPTH + 1; i++)
        free(c->include_stack[i]);
    if (c->parser_stack)
        munmap(c->parser_stack, PARSER_STACK_SIZE);
    free(c);
}

static int valid_identifier(const char *name)
{
    if (!name[0] || strlen(name) > VT_MAX_IDENTIFIER)
        return 0;
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

vt_status vt_compiler_define(vt_compiler *c, const char *name, const char *value, vt_error *err)
{
    if (c->failed)
        return vt_error_set(err, VT_ERR_STATE, "the compiler already failed");
    if (!valid_identifier(name))
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid external variable name \"%s\"", name);
    vt_rs_external x;
    memset(&x, 0, sizeof x);
    unsigned type = vt_rules_define_type(value); /* yara's reading (args.c) */
    if (type == VT_TYPE_BOOL) {
        x.type = VT_TYPE_BOOL;
        x.v.i = value[0] == 't';
    } else if (type == VT_TYPE_INT) {
        errno = 0;
        x.type = VT_TYPE_INT;
        x.v.i = strtoll(value, NULL, 10);
        if (errno == ERANGE)
            return vt_error_set(err, VT_ERR_ARGUMENT, "external variable \"%s\": %s is out of "
                                "range", name, value);
    } else if (type == VT_TYPE_FLOAT) {
        x.type = VT_TYPE_FLOAT;
        x.v.f = strtod(value, NULL);
    } else {
        x.type = VT_TYPE_STRING;
        if (vt_pool_add(c, value, strlen(value), &x.string) != VT_OK)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    uint32_t idx;
    if (vt_map_get(&c->extern_names, name, &idx)) {
        *VT_VEC_AT(&c->externals, vt_rs_external, idx) =
            (vt_rs_external){.name = VT_VEC_AT(&c->externals, vt_rs_external, idx)->name,
                             .type = x.type, .v = x.v, .string = x.string};
        return VT_OK;
    }
    if (c->rules.len)
        return vt_error_set(err, VT_ERR_STATE, "external variables must be defined before rules");
    if (vt_pool_add(c, name, strlen(name), &x.name) != VT_OK ||
        vt_vec_push(&c->externals, &x, &idx) != VT_OK || vt_map_put(&c->extern_names, name, idx) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

static vt_status namespace_index(vt_compiler *c, const char *ns, uint32_t *index, vt_error *err)
{
    if (!ns)
        ns = "default";
    if (vt_map_get(&c->ns_names, ns, index))
        return VT_OK;
    vt_rs_str s;
    if (vt_pool_add(c, ns, strlen(ns), &s) != VT_OK || vt_vec_push(&c->namespaces, &s, index) != VT_OK ||
        vt_map_put(&c->ns_names, ns, *index) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

vt_status vt_compiler_add_path(vt_compiler *c, uint32_t ns_index, const char *path, vt_error *err)
{
    unsigned char *data;
    size_t len;
    vt_status st = vt_read_file(path, MAX_SOURCE_SIZE, &data, &len, err);
    if (st != VT_OK)
        return st;
    char *real = realpath(path, NULL);
    char *dircopy = strdup(path);
    if (!real || !dircopy) {
        free(real);
        free(dircopy);
        free(data);
        return vt_error_errno(err, VT_ERR_IO, errno, "%s", path);
    }
    unsigned depth = c->include_depth;
    c->include_stack[depth] = real;
    c->include_depth++;
    st = vt_parse_source(c, ns_index, path, dirname(dircopy), (const char *)data, len, err);
    c->include_depth--;
    free(c->include_stack[depth]);
    c->include_stack[depth] = NULL;
    free(dircopy);
    free(data);
    return st;
}

/* The compiler's parser stack (mapped on first use); NULL if it cannot be mapped. */
static void *parser_stack(vt_compiler *c)
{
    if (c->parser_stack)
        return c->parser_stack;
    void *map = mmap(NULL, PARSER_STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    if (mprotect(map, PARSER_STACK_GUARD, PROT_NONE) != 0) {
        munmap(map, PARSER_STACK_SIZE);
        return NULL;
    }
    c->parser_stack = map;
    return map;
}

typedef struct parse_job {
    vt_compiler *c;
    uint32_t ns;
    const char *path; /* a file, or NULL for text */
    const char *name, *text;
    size_t len;
    vt_error *err;
    vt_status status;
} parse_job;

static void *parse_job_run(void *arg)
{
    parse_job *job = arg;
    if (job->path)
        job->status = vt_compiler_add_path(job->c, job->ns, job->path, job->err);
    else
        job->status = vt_parse_source(job->c, job->ns, job->name, NULL, job->text, job->len,
                                      job->err);
    return NULL;
}

static vt_status run_parse_job(parse_job *job)
{
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0)
        return vt_error_set(job->err, VT_ERR_NOMEM, "cannot create the parser thread");
    unsigned char *stack = parser_stack(job->c);
    int rc = stack ? pthread_attr_setstack(&attr, stack + PARSER_STACK_GUARD,
                                           PARSER_STACK_SIZE - PARSER_STACK_GUARD)
                   : pthread_attr_setstacksize(&attr, PARSER_STACK_SIZE);
    if (rc == 0)
        rc = pthread_create(&thread, &attr, parse_job_run, job);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        /* No thread: parse here, on the caller's stack. */
        parse_job_run(job);
        return job->status;
    }
    pthread_join(thread, NULL);
    return job->status;
}

vt_status vt_compiler_add_file(vt_compiler *c, const char *ns, const char *path, vt_error *err)
{
    if (c->failed)
        return vt_error_set(err, VT_ERR_STATE, "the compiler already failed");
    c->current_rule[0] = '\0';
    uint32_t index = 0;
    vt_status st = namespace_index(c, ns, &index, err);
    if (st == VT_OK) {
        parse_job job = {.c = c, .ns = index, .path = path, .err = err};
        st = run_parse_job(&job);
    }
    if (st != VT_OK)
        c->failed = true;
    return st;
}

vt_status vt_compiler_add_source(vt_compiler *c, const char *ns, const char *name,
                                 const char *text, size_t len, vt_error *err)
{
    if (c->failed)
        return vt_error_set(err, VT_ERR_STATE, "the compiler already failed");
    c->current_rule[0] = '\0';
    uint32_t index = 0;
    vt_status st = namespace_index(c, ns, &index, err);
    if (st == VT_OK) {
        parse_job job = {.c = c, .ns = index, .name = name ? name : "", .text = text,
                         .len = len, .err = err};
        st = run_parse_job(&job);
    }
    if (st != VT_OK)
        c->failed = true;
    return st;
}
