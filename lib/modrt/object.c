/* object.c: the tree of a module's data. Built from the module's declaration with every leaf
 * undefined; array items and dictionary entries appear when a module sets them (yara's
 * OBJECT_CREATE lookups); getters for the evaluator never create anything. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "modrt_internal.h"

void *vt_modrt_alloc(vt_modrt_scan *scan, size_t size)
{
    void *p = vt_arena_alloc(&scan->arena, size);
    if (!p)
        scan->out_of_memory = true;
    return p;
}

static vt_mobj *new_object(vt_modrt_scan *scan, vt_module_kind kind, const char *name,
                           vt_mobj *parent, const vt_module_decl *decl, int32_t decl_index,
                           uint8_t generation)
{
    vt_mobj *o = vt_modrt_alloc(scan, sizeof *o);
    if (!o)
        return NULL;
    o->kind = kind;
    o->name = name;
    o->parent = parent;
    o->scan = scan;
    o->decl = decl;
    o->decl_index = decl_index;
    o->generation = generation;
    if (kind == VT_MODULE_FLOAT)
        o->u.f = 0.0;
    return o;
}

static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 16777619u;
    return h;
}

/* What every structure built from one declaration shares, computed at its first build in a
 * scan context and kept across resets: its members in order (a function once, with all its
 * overloads) and the index of their names. */
typedef struct vt_modrt_shape {
    const char *struct_name;
    size_t count;
    int32_t *decl_index;  /* per member: its declaration (a function's first) */
    const vt_modrt_function_def ***overloads; /* per member: a function's overloads */
    size_t *overload_count;
    uint32_t *slots;      /* the member index, shared read-only by every structure built */
    size_t slot_count;
} vt_modrt_shape;

static void free_shape(vt_modrt_shape *shape)
{
    if (!shape)
        return;
    for (size_t i = 0; i < shape->count; i++)
        free(shape->overloads[i]);
    free(shape->decl_index);
    free(shape->overloads);
    free(shape->overload_count);
    free(shape->slots);
    free(shape);
}

void vt_modrt_free_shapes(vt_modrt_scan *scan, size_t declared_index)
{
    for (size_t i = 0; i < scan->declared[declared_index].shape_cap; i++)
        free_shape(scan->declared[declared_index].shapes[i]);
    free(scan->declared[declared_index].shapes);
    scan->declared[declared_index].shapes = NULL;
    scan->declared[declared_index].shape_cap = 0;
}

/* The shape of the structure whose members are listed from decl index `first` (yara's order:
 * as declared, a function where its first overload is). NULL when memory runs out. */
static vt_modrt_shape *make_shape(const vt_modrt_module_def *def, const vt_module_decl *decl,
                                  int32_t first, const char *struct_name)
{
    size_t n = 0;
    for (int32_t c = first; c >= 0; c = vt_module_object_at(decl, c)->next_sibling)
        n++;
    vt_modrt_shape *shape = calloc(1, sizeof *shape);
    if (!shape)
        return NULL;
    shape->struct_name = struct_name;
    shape->decl_index = calloc(n ? n : 1, sizeof *shape->decl_index);
    shape->overloads = calloc(n ? n : 1, sizeof *shape->overloads);
    shape->overload_count = calloc(n ? n : 1, sizeof *shape->overload_count);
    size_t slots = 4;
    while (slots < 2 * n)
        slots *= 2;
    shape->slots = calloc(slots, sizeof *shape->slots);
    shape->slot_count = slots;
    if (!shape->decl_index || !shape->overloads || !shape->overload_count || !shape->slots) {
        free_shape(shape);
        return NULL;
    }
    size_t mask = slots - 1;
    for (int32_t c = first; c >= 0; c = vt_module_object_at(decl, c)->next_sibling) {
        const vt_module_object *d = vt_module_object_at(decl, c);
        size_t m = shape->count; /* a function declared before takes the further overloads */
        if (d->kind == VT_MODULE_FUNCTION) {
            for (size_t k = 0; k < shape->count; k++) {
                const vt_module_object *e = vt_module_object_at(decl, shape->decl_index[k]);
                if (strcmp(e->name, d->name) == 0) {
                    m = k;
                    break;
                }
            }
        }
        if (m == shape->count) {
            shape->decl_index[m] = c;
            size_t at = name_hash(d->name) & mask;
            while (shape->slots[at])
                at = (at + 1) & mask;
            shape->slots[at] = (uint32_t)++shape->count;
        }
        if (d->kind != VT_MODULE_FUNCTION)
            continue;
        if (!shape->overloads[m] &&
            !(shape->overloads[m] = calloc(16, sizeof *shape->overloads[m]))) {
            free_shape(shape);
            return NULL;
        }
        for (size_t k = 0; def && k < def->function_count; k++) {
            const vt_modrt_function_def *f = &def->functions[k];
            if (f->name[0] == d->name[0] && strcmp(f->name, d->name) == 0 &&
                strcmp(f->parent, struct_name) == 0 &&
                strcmp(f->arguments, d->arguments ? d->arguments : "") == 0 &&
                shape->overload_count[m] < 16) {
                bool seen = false;
                for (size_t j = 0; j < shape->overload_count[m]; j++)
                    seen |= shape->overloads[m][j] == f;
                if (!seen)
                    shape->overloads[m][shape->overload_count[m]++] = f;
            }
        }
    }
    return shape;
}

/* The shape for structures of `decl` from `first`, kept in the scan context when the
 * declaration is one of its own (NULL *owned: the caller frees the shape). */
static vt_modrt_shape *shape_of(vt_modrt_scan *scan, const vt_modrt_module_def *def,
                                const vt_module_decl *decl, int32_t first,
                                const char *struct_name, bool *owned)
{
    *owned = false;
    for (size_t i = 0; i < scan->declared_count && first >= 0; i++) {
        if (scan->declared[i].decl != decl || scan->declared[i].def != def)
            continue;
        if ((size_t)first >= scan->declared[i].shape_cap) {
            size_t cap = scan->declared[i].shape_cap ? scan->declared[i].shape_cap : 64;
            while (cap <= (size_t)first)
                cap *= 2;
            vt_modrt_shape **p = realloc(scan->declared[i].shapes, cap * sizeof *p);
            if (!p)
                return NULL;
            memset(p + scan->declared[i].shape_cap, 0,
                   (cap - scan->declared[i].shape_cap) * sizeof *p);
            scan->declared[i].shapes = p;
            scan->declared[i].shape_cap = cap;
        }
        vt_modrt_shape **slot = &scan->declared[i].shapes[first];
        if (*slot && strcmp((*slot)->struct_name, struct_name) == 0)
            return *slot;
        if (*slot) /* built under another name: not shared */
            break;
        return *slot = make_shape(def, decl, first, struct_name);
    }
    *owned = true;
    return make_shape(def, decl, first, struct_name);
}

/* Fill structure `st` with the members listed from decl index `first`. */
static bool build_members(vt_modrt_scan *scan, const vt_modrt_module_def *def, vt_mobj *st,
                          int32_t first, const char *struct_name)
{
    bool owned;
    vt_modrt_shape *shape = shape_of(scan, def, st->decl, first, struct_name, &owned);
    if (!shape)
        return false;
    bool ok = true;
    size_t count = shape->count;
    st->u.st.members = vt_modrt_alloc(scan, (count ? count : 1) * sizeof(vt_mobj *));
    st->u.st.slots = owned ? vt_arena_dup(&scan->arena, shape->slots,
                                          shape->slot_count * sizeof *shape->slots)
                           : shape->slots;
    st->u.st.slot_count = shape->slot_count;
    if (!st->u.st.members || !st->u.st.slots)
        ok = false;
    for (size_t k = 0; ok && k < count; k++) {
        int32_t c = shape->decl_index[k];
        const vt_module_object *d = vt_module_object_at(st->decl, c);
        vt_mobj *m;
        if (d->kind == VT_MODULE_FUNCTION) {
            m = new_object(scan, VT_MODULE_FUNCTION, d->name, st, st->decl, c, st->generation);
            if (m) {
                m->u.fn.count = shape->overload_count[k];
                m->u.fn.overloads = owned ? vt_arena_dup(&scan->arena, shape->overloads[k],
                                                         16 * sizeof *shape->overloads[k])
                                          : (void *)shape->overloads[k];
                if (!m->u.fn.overloads)
                    m = NULL;
            }
        } else {
            m = vt_modrt_build(scan, def, st->decl, c, st, d->name, st->generation);
        }
        if (!m)
            ok = false;
        else
            st->u.st.members[st->u.st.count++] = m;
    }
    if (owned)
        free_shape(shape);
    if (!ok)
        scan->out_of_memory = true;
    return ok;
}

vt_mobj *vt_modrt_build(vt_modrt_scan *scan, const vt_modrt_module_def *def,
                        const vt_module_decl *decl, int32_t index, vt_mobj *parent,
                        const char *struct_name, uint8_t generation)
{
    const vt_module_object *d = vt_module_object_at(decl, index);
    if (!d)
        return NULL;
    vt_mobj *o = new_object(scan, d->kind, d->name, parent, decl, index, generation);
    if (!o)
        return NULL;
    if (d->kind == VT_MODULE_STRUCT &&
        !build_members(scan, def, o, d->first_child, parent ? struct_name : ""))
        return NULL;
    return o;
}

/* A new item for array or dictionary `container`: yara copies the container's prototype. */
static vt_mobj *new_item(vt_mobj *container)
{
    vt_modrt_scan *scan = container->scan;
    const vt_module_object *d = vt_module_object_at(container->decl, container->decl_index);
    uint8_t gen = (uint8_t)(container->generation + 1);
    vt_mobj *o = new_object(scan, d->item, container->name, container, container->decl,
                            container->decl_index, gen);
    if (!o)
        return NULL;
    if (d->item == VT_MODULE_STRUCT) {
        const vt_modrt_module_def *def = NULL;
        for (size_t i = 0; i < scan->module_count; i++)
            if (scan->modules[i].decl == container->decl)
                def = scan->modules[i].def;
        if (!build_members(scan, def, o, d->first_child, container->name))
            return NULL;
    }
    return o;
}

static vt_mobj *array_item(vt_mobj *arr, int64_t index, bool create)
{
    if (index < 0 || index > INT32_MAX)
        return NULL;
    if ((size_t)index < arr->u.arr.len && arr->u.arr.items[index])
        return arr->u.arr.items[index];
    if (!create)
        return NULL;
    if ((size_t)index >= arr->u.arr.cap) {
        size_t cap = arr->u.arr.cap ? arr->u.arr.cap : 16;
        while (cap <= (size_t)index)
            cap *= 2;
        vt_mobj **items = vt_modrt_alloc(arr->scan, cap * sizeof *items);
        if (!items)
            return NULL;
        if (arr->u.arr.len)
            memcpy(items, arr->u.arr.items, arr->u.arr.len * sizeof *items);
        arr->u.arr.items = items;
        arr->u.arr.cap = cap;
    }
    vt_mobj *item = new_item(arr);
    if (!item)
        return NULL;
    arr->u.arr.items[index] = item;
    if ((size_t)index >= arr->u.arr.len)
        arr->u.arr.len = (size_t)index + 1;
    return item;
}

static vt_mobj *dict_item(vt_mobj *dict, const char *key, size_t len, bool create)
{
    for (size_t i = 0; i < dict->u.dict.used; i++)
        if (dict->u.dict.key_lens[i] == len && memcmp(dict->u.dict.keys[i], key, len) == 0)
            return dict->u.dict.values[i];
    if (!create)
        return NULL;
    if (dict->u.dict.used == dict->u.dict.cap) {
        size_t cap = dict->u.dict.cap ? dict->u.dict.cap * 2 : 16;
        const char **keys = vt_modrt_alloc(dict->scan, cap * sizeof *keys);
        size_t *lens = vt_modrt_alloc(dict->scan, cap * sizeof *lens);
        vt_mobj **values = vt_modrt_alloc(dict->scan, cap * sizeof *values);
        if (!keys || !lens || !values)
            return NULL;
        if (dict->u.dict.used) {
            memcpy(keys, dict->u.dict.keys, dict->u.dict.used * sizeof *keys);
            memcpy(lens, dict->u.dict.key_lens, dict->u.dict.used * sizeof *lens);
            memcpy(values, dict->u.dict.values, dict->u.dict.used * sizeof *values);
        }
        dict->u.dict.keys = keys;
        dict->u.dict.key_lens = lens;
        dict->u.dict.values = values;
        dict->u.dict.cap = cap;
    }
    char *copy = vt_arena_dup(&dict->scan->arena, key, len);
    vt_mobj *item = copy ? new_item(dict) : NULL;
    if (!item) {
        dict->scan->out_of_memory = true;
        return NULL;
    }
    dict->u.dict.keys[dict->u.dict.used] = copy;
    dict->u.dict.key_lens[dict->u.dict.used] = len;
    dict->u.dict.values[dict->u.dict.used] = item;
    dict->u.dict.used++;
    return item;
}

/* Walk `path` from obj (yara's _yr_object_lookup). */
static vt_mobj *lookup(vt_mobj *obj, bool create, const char *path, va_list args)
{
    if (!obj || !path)
        return obj;
    const char *p = path;
    char name[128];
    while (obj) {
        size_t n = 0;
        while (*p && *p != '.' && *p != '[' && n < sizeof name - 1)
            name[n++] = *p++;
        name[n] = '\0';
        if (n > 0) {
            obj = vt_mobj_member(obj, name);
            if (!obj)
                return NULL;
        }
        if (*p == '[') {
            p++;
            int64_t index = -1;
            const char *key = NULL;
            size_t key_len = 0;
            char keybuf[256];
            if (p[0] == '%' && p[1] == 'i') {
                index = va_arg(args, int);
                p += 2;
            } else if (p[0] == '%' && p[1] == 's') {
                key = va_arg(args, const char *);
                key_len = key ? strlen(key) : 0;
                p += 2;
            } else if (*p >= '0' && *p <= '9') {
                index = strtol(p, (char **)&p, 10);
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"' && key_len < sizeof keybuf - 1)
                    keybuf[key_len++] = *p++;
                keybuf[key_len] = '\0';
                key = keybuf;
                if (*p == '"')
                    p++;
            } else {
                return NULL;
            }
            if (*p != ']')
                return NULL;
            p++;
            if (obj->kind == VT_MODULE_ARRAY && !key)
                obj = array_item(obj, index, create);
            else if (obj->kind == VT_MODULE_DICTIONARY && key)
                obj = dict_item(obj, key, key_len, create);
            else
                return NULL;
        }
        if (*p == '\0')
            break;
        if (*p != '.')
            return NULL;
        p++;
    }
    return obj;
}

vt_mobj *vt_modrt_get(vt_mobj *obj, const char *path, ...)
{
    va_list args;
    va_start(args, path);
    vt_mobj *o = lookup(obj, false, path, args);
    va_end(args);
    return o;
}

int64_t vt_modrt_get_integer(vt_mobj *obj, const char *path, ...)
{
    va_list args;
    va_start(args, path);
    vt_mobj *o = lookup(obj, false, path, args);
    va_end(args);
    if (!o || o->kind != VT_MODULE_INTEGER || !o->defined)
        return VT_MODRT_UNDEFINED;
    return o->u.i;
}

static vt_status target(vt_mobj **out, vt_mobj *obj, vt_module_kind kind, const char *path,
                        va_list args)
{
    if (!obj)
        return VT_ERR_ARGUMENT;
    /* module parsing sets values as it goes: a setter is its step of work */
    if (vt_deadline_spend(obj->scan->options.deadline, 1)) {
        obj->scan->timed_out = true;
        return VT_ERR_TIMEOUT;
    }
    vt_mobj *o = lookup(obj, true, path, args);
    if (!o)
        return obj->scan->out_of_memory ? VT_ERR_NOMEM : VT_ERR_ARGUMENT;
    if (o->kind != kind)
        return VT_ERR_ARGUMENT;
    *out = o;
    return VT_OK;
}

vt_status vt_modrt_set_integer(int64_t value, vt_mobj *obj, const char *path, ...)
{
    vt_mobj *o;
    va_list args;
    va_start(args, path);
    vt_status st = target(&o, obj, VT_MODULE_INTEGER, path, args);
    va_end(args);
    if (st != VT_OK)
        return st;
    o->u.i = value;
    o->defined = value != VT_MODRT_UNDEFINED;
    return VT_OK;
}

vt_status vt_modrt_set_float(double value, vt_mobj *obj, const char *path, ...)
{
    vt_mobj *o;
    va_list args;
    va_start(args, path);
    vt_status st = target(&o, obj, VT_MODULE_FLOAT, path, args);
    va_end(args);
    if (st != VT_OK)
        return st;
    o->u.f = value;
    o->defined = value == value;
    return VT_OK;
}

static vt_status set_bytes(vt_mobj *o, const void *bytes, size_t len)
{
    if (!bytes) {
        o->defined = false;
        return VT_OK;
    }
    uint8_t *copy = vt_arena_dup(&o->scan->arena, bytes, len);
    if (!copy) {
        o->scan->out_of_memory = true;
        return VT_ERR_NOMEM;
    }
    o->u.s.bytes = copy;
    o->u.s.len = len;
    o->defined = true;
    return VT_OK;
}

vt_status vt_modrt_set_string(const void *bytes, size_t len, vt_mobj *obj, const char *path, ...)
{
    vt_mobj *o;
    va_list args;
    va_start(args, path);
    vt_status st = target(&o, obj, VT_MODULE_STRING, path, args);
    va_end(args);
    return st != VT_OK ? st : set_bytes(o, bytes, len);
}

vt_status vt_modrt_set_sz(const char *text, vt_mobj *obj, const char *path, ...)
{
    vt_mobj *o;
    va_list args;
    va_start(args, path);
    vt_status st = target(&o, obj, VT_MODULE_STRING, path, args);
    va_end(args);
    return st != VT_OK ? st : set_bytes(o, text, text ? strlen(text) : 0);
}

/* ---- public getters ------------------------------------------------------------------------- */

vt_module_kind vt_mobj_kind(const vt_mobj *obj) { return obj ? obj->kind : 0; }
const char *vt_mobj_name(const vt_mobj *obj) { return obj ? obj->name : NULL; }

vt_mobj *vt_mobj_member(const vt_mobj *obj, const char *name)
{
    if (!obj || obj->kind != VT_MODULE_STRUCT || obj->u.st.slot_count == 0)
        return NULL;
    size_t mask = obj->u.st.slot_count - 1;
    for (size_t at = name_hash(name) & mask; obj->u.st.slots[at]; at = (at + 1) & mask) {
        vt_mobj *m = obj->u.st.members[obj->u.st.slots[at] - 1];
        if (strcmp(m->name, name) == 0)
            return m;
    }
    return NULL;
}

vt_mobj *vt_mobj_item(const vt_mobj *obj, int64_t index)
{
    if (!obj || obj->kind != VT_MODULE_ARRAY || index < 0 || (uint64_t)index >= obj->u.arr.len)
        return NULL;
    return obj->u.arr.items[index];
}

vt_mobj *vt_mobj_lookup(const vt_mobj *obj, const char *key, size_t len)
{
    if (!obj || obj->kind != VT_MODULE_DICTIONARY)
        return NULL;
    return dict_item((vt_mobj *)obj, key, len, false);
}

int64_t vt_mobj_count(const vt_mobj *obj)
{
    if (obj && obj->kind == VT_MODULE_ARRAY)
        return (int64_t)obj->u.arr.len;
    if (obj && obj->kind == VT_MODULE_DICTIONARY)
        return (int64_t)obj->u.dict.used;
    return 0;
}

vt_mobj *vt_mobj_entry(const vt_mobj *obj, int64_t i, const char **key, size_t *key_len)
{
    if (!obj || obj->kind != VT_MODULE_DICTIONARY || i < 0 || (uint64_t)i >= obj->u.dict.used)
        return NULL;
    if (key)
        *key = obj->u.dict.keys[i];
    if (key_len)
        *key_len = obj->u.dict.key_lens[i];
    return obj->u.dict.values[i];
}

bool vt_mobj_integer(const vt_mobj *obj, int64_t *value)
{
    if (!obj || obj->kind != VT_MODULE_INTEGER || !obj->defined)
        return false;
    *value = obj->u.i;
    return true;
}

bool vt_mobj_float(const vt_mobj *obj, double *value)
{
    if (!obj || obj->kind != VT_MODULE_FLOAT || !obj->defined)
        return false;
    *value = obj->u.f;
    return true;
}

bool vt_mobj_string(const vt_mobj *obj, const uint8_t **bytes, size_t *len)
{
    if (!obj || obj->kind != VT_MODULE_STRING || !obj->defined)
        return false;
    *bytes = obj->u.s.bytes;
    *len = obj->u.s.len;
    return true;
}
