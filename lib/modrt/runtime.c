/* runtime.c: the scan context of the module runtime: importing a module (building its tree from
 * the declaration and running its load function), calling module functions, and the registry of
 * the modules this runtime implements. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void vt_modrt_scan_free(vt_modrt_scan *scan)
{
    if (!scan)
        return;
    for (size_t i = 0; i < scan->module_count; i++) {
        if (scan->modules[i].def->unload)
            scan->modules[i].def->unload(&scan->modules[i]);
        vt_module_decl_free(scan->modules[i].decl);
    }
    vt_arena_free(&scan->arena);
    free(scan);
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
    vt_status st = vt_module_declare(name, &m->decl, err);
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
