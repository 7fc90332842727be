/* runtime.c: the scan context of the module runtime: importing a module (building its tree from
 * the declaration and running its load function), calling module functions, and the registry of
 * the modules this runtime implements. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "modrt_internal.h"

static const vt_modrt_module_def *const registry[] = {
    &vt_modrt_module_hash,
    &vt_modrt_module_math,
    &vt_modrt_module_time,
    &vt_modrt_module_console,
    &vt_modrt_module_elf,
    &vt_modrt_module_pe,
    &vt_modrt_module_macho,
    &vt_modrt_module_magic,
    &vt_modrt_module_cuckoo,
    &vt_modrt_module_dotnet,
    &vt_modrt_module_dex,
    &vt_modrt_module_tests,
};

const vt_modrt_module_def *vt_modrt_find_module(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

bool vt_modrt_available(const char *name)
{
    return name && vt_modrt_find_module(name) != NULL;
}

bool vt_modrt_module_data(const vt_modrt_scan *scan, const char *name, const uint8_t **data,
                          size_t *size)
{
    for (size_t i = scan->options.module_data_count; i-- > 0;) {
        const vt_module_data *d = &scan->options.module_data[i];
        if (d->module && strcmp(d->module, name) == 0) {
            if (!d->data)
                return false;
            *data = d->data;
            *size = d->size;
            return true;
        }
    }
    return false;
}

vt_status vt_modrt_scan_new(const uint8_t *data, size_t size, const vt_modrt_options *options,
                            vt_modrt_scan **out, vt_error *err)
{
    *out = NULL;
    vt_modrt_scan *scan = calloc(1, sizeof *scan);
    if (!scan)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory creating a module scan");
    scan->data = data ? data : (const uint8_t *)"";
    scan->size = data ? size : 0;
    if (options)
        scan->options = *options;
    *out = scan;
    return VT_OK;
}

bool vt_modrt_member_used(vt_modrt_scan *scan, const char *name)
{
    bool (*used)(void *, const char *) = scan->options.member_used;
    if (!used)
        return true;
    if (used != scan->memo_member_used || scan->options.member_user != scan->memo_member_user) {
        memset(scan->used_memo, 0, sizeof scan->used_memo);
        scan->memo_member_used = used;
        scan->memo_member_user = scan->options.member_user;
    }
    size_t mask = VT_MODRT_USED_MEMO - 1;
    size_t at = (size_t)(((uintptr_t)name * 0x9E3779B97F4A7C15ull) >> 40) & mask;
    for (size_t probes = 0; probes < 16; probes++, at = (at + 1) & mask) {
        if (scan->used_memo[at].name == name)
            return scan->used_memo[at].used;
        if (!scan->used_memo[at].name) {
            bool answer = used(scan->options.member_user, name);
            scan->used_memo[at].name = name;
            scan->used_memo[at].used = answer;
            return answer;
        }
    }
    return used(scan->options.member_user, name); /* a crowded stretch: asked every time */
}

const EVP_MD *vt_modrt_digest(vt_modrt_scan *scan, vt_modrt_digest_kind kind)
{
    static const char *const names[VT_MODRT_DIGESTS] = {"MD5", "SHA1", "SHA256"};
    if (!scan->digests[kind])
        scan->digests[kind] = EVP_MD_fetch(NULL, names[kind], NULL);
    if (scan->digests[kind])
        return scan->digests[kind];
    return kind == VT_MODRT_MD5 ? EVP_md5() : kind == VT_MODRT_SHA1 ? EVP_sha1() : EVP_sha256();
}

static void unload_modules(vt_modrt_scan *scan)
{
    for (size_t i = 0; i < scan->module_count; i++)
        if (scan->modules[i].def->unload)
            scan->modules[i].def->unload(&scan->modules[i]);
    scan->module_count = 0;
}

void vt_modrt_scan_reset(vt_modrt_scan *scan, const uint8_t *data, size_t size,
                         const vt_modrt_options *options)
{
    unload_modules(scan);
    vt_arena_reset(&scan->arena);
    scan->data = data ? data : (const uint8_t *)"";
    scan->size = data ? size : 0;
    memset(&scan->options, 0, sizeof scan->options);
    if (options)
        scan->options = *options;
    scan->out_of_memory = false;
    scan->timed_out = false;
    scan->fault = NULL;
}

void vt_modrt_scan_free(vt_modrt_scan *scan)
{
    if (!scan)
        return;
    unload_modules(scan);
    for (size_t i = 0; i < scan->declared_count; i++) {
        vt_modrt_free_shapes(scan, i);
        vt_module_decl_free(scan->declared[i].decl);
    }
    for (size_t i = 0; i < VT_MODRT_DIGESTS; i++)
        EVP_MD_free(scan->digests[i]);
    vt_arena_free(&scan->arena);
    free(scan);
}

/* The declaration of module `def`: built at its first import in this scan context. */
static vt_status declaration(vt_modrt_scan *scan, const vt_modrt_module_def *def,
                             vt_module_decl **out, vt_error *err)
{
    for (size_t i = 0; i < scan->declared_count; i++) {
        if (scan->declared[i].def == def) {
            *out = scan->declared[i].decl;
            return VT_OK;
        }
    }
    if (scan->declared_count == sizeof scan->declared / sizeof scan->declared[0])
        return vt_error_set(err, VT_ERR_LIMIT, "too many modules imported");
    vt_status st = vt_module_declare(def->name, out, err);
    if (st != VT_OK)
        return st;
    memset(&scan->declared[scan->declared_count], 0, sizeof scan->declared[0]);
    scan->declared[scan->declared_count].def = def;
    scan->declared[scan->declared_count].decl = *out;
    scan->declared_count++;
    return VT_OK;
}

vt_status vt_modrt_import(vt_modrt_scan *scan, const char *name, vt_mobj **root, vt_error *err)
{
    *root = NULL;
    for (size_t i = 0; i < scan->module_count; i++) {
        if (strcmp(scan->modules[i].def->name, name) == 0) {
            *root = scan->modules[i].root;
            return VT_OK;
        }
    }
    const vt_modrt_module_def *def = vt_modrt_find_module(name);
    if (!def)
        return vt_error_set(err, VT_ERR_NOT_FOUND, "module \"%s\" has no runtime", name);
    if (scan->module_count == sizeof scan->modules / sizeof scan->modules[0])
        return vt_error_set(err, VT_ERR_LIMIT, "too many modules imported");
    vt_modrt_loaded *m = &scan->modules[scan->module_count];
    memset(m, 0, sizeof *m);
    vt_status st = declaration(scan, def, &m->decl, err);
    if (st != VT_OK)
        return st;
    m->def = def;
    scan->module_count++;
    m->root = vt_modrt_build(scan, def, m->decl, 0, NULL, "", 0);
    if (!m->root)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory building module \"%s\"", name);
    st = def->load ? def->load(scan, m, scan->data, scan->size) : VT_OK;
    if (st == VT_OK && scan->out_of_memory)
        st = VT_ERR_NOMEM;
    if (scan->timed_out)
        return vt_error_set(err, VT_ERR_TIMEOUT, "scanning timed out");
    if (st == VT_ERR_FORMAT)
        return vt_error_set(err, st, "invalid module data for module \"%s\"", name);
    if (st != VT_OK)
        return vt_error_set(err, st, "module \"%s\" failed to load: %s", name,
                            vt_status_name(st));
    *root = m->root;
    return VT_OK;
}

bool vt_modrt_has_overload(const vt_mobj *fn, const char *format)
{
    if (!fn || fn->kind != VT_MODULE_FUNCTION)
        return false;
    for (size_t i = 0; i < fn->u.fn.count; i++)
        if (strcmp(fn->u.fn.overloads[i]->arguments, format) == 0)
            return true;
    return false;
}

/* True if the module's declaration has an overload of fn taking `format`. */
static bool declared(const vt_mobj *fn, const char *format)
{
    const vt_module_object *parent = vt_module_object_at(fn->decl, fn->parent->decl_index);
    int32_t first = parent ? parent->first_child : -1;
    for (int32_t c = first; c >= 0; c = vt_module_object_at(fn->decl, c)->next_sibling) {
        const vt_module_object *d = vt_module_object_at(fn->decl, c);
        if (d->kind == VT_MODULE_FUNCTION && strcmp(d->name, fn->name) == 0 &&
            strcmp(d->arguments ? d->arguments : "", format) == 0)
            return true;
    }
    return false;
}

vt_status vt_modrt_call(vt_modrt_scan *scan, const vt_mobj *fn, const char *format,
                        const vt_modrt_arg *args, size_t nargs, vt_modrt_value *result,
                        vt_error *err)
{
    memset(result, 0, sizeof *result);
    if (!fn || fn->kind != VT_MODULE_FUNCTION)
        return vt_error_set(err, VT_ERR_ARGUMENT, "not a module function");
    const vt_modrt_function_def *def = NULL;
    for (size_t i = 0; i < fn->u.fn.count && !def; i++)
        if (strcmp(fn->u.fn.overloads[i]->arguments, format) == 0)
            def = fn->u.fn.overloads[i];
    if (strlen(format) != nargs)
        return vt_error_set(err, VT_ERR_ARGUMENT, "function %s called with %zu arguments for "
                            "format \"%s\"", fn->name, nargs, format);
    if (!def) {
        /* Declared but without a runtime (a declaration yara 4.2.3 does not have): undefined. */
        if (declared(fn, format))
            return VT_OK;
        return vt_error_set(err, VT_ERR_ARGUMENT, "function %s has no overload (%s)", fn->name,
                            format);
    }
    vt_mobj *module = fn->parent;
    while (module && module->parent)
        module = module->parent;
    vt_modrt_fncall call = {
        .scan = scan,
        .module = module,
        .parent = fn->parent,
        .data = scan->data,
        .size = scan->size,
        .args = args,
        .nargs = nargs,
        .result = result,
    };
    for (size_t i = 0; i < scan->module_count; i++)
        if (scan->modules[i].root == module)
            call.module_data = scan->modules[i].data;
    def->code(&call);
    if (scan->fault)
        return vt_error_set(err, VT_ERR_FORMAT, "%s(): %s", fn->name, scan->fault);
    if (scan->out_of_memory)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory in %s()", fn->name);
    if (scan->timed_out)
        return vt_error_set(err, VT_ERR_TIMEOUT, "scanning timed out");
    return VT_OK;
}

void vt_modrt_return_integer(vt_modrt_fncall *call, int64_t value)
{
    memset(call->result, 0, sizeof *call->result);
    if (value != VT_MODRT_UNDEFINED) {
        call->result->kind = VT_MODULE_INTEGER;
        call->result->i = value;
    }
}

void vt_modrt_return_float(vt_modrt_fncall *call, double value)
{
    memset(call->result, 0, sizeof *call->result);
    if (!isnan(value)) {
        call->result->kind = VT_MODULE_FLOAT;
        call->result->f = value;
    }
}

void vt_modrt_return_string(vt_modrt_fncall *call, const void *bytes, size_t len)
{
    memset(call->result, 0, sizeof *call->result);
    if (!bytes)
        return;
    uint8_t *copy = vt_arena_dup(&call->scan->arena, bytes, len);
    if (!copy) {
        call->scan->out_of_memory = true;
        return;
    }
    call->result->kind = VT_MODULE_STRING;
    call->result->s = copy;
    call->result->len = len;
}
