/* declare.c: builds a module's declaration tree from its constant text (tables.c) and answers
 * lookups: the root, an object by index, a structure's member by name. */
#include <stdlib.h>
#include <string.h>

#include <vitrine/modules.h>

#include "tables.h"

struct vt_module_decl {
    char *text; /* a private copy of the declaration text, cut into names */
    vt_module_object *objects;
    size_t count, cap;
};

size_t vt_module_count(void)
{
    size_t n;
    vt_module_tables(&n);
    return n;
}

const char *vt_module_name(size_t index)
{
    size_t n;
    const vt_module_table *t = vt_module_tables(&n);
    return index < n ? t[index].name : NULL;
}

static int add_object(vt_module_decl *d, const vt_module_object *o, int32_t *index)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 128;
        vt_module_object *objects = realloc(d->objects, cap * sizeof *objects);
        if (!objects)
            return -1;
        d->objects = objects;
        d->cap = cap;
    }
    d->objects[d->count] = *o;
    *index = (int32_t)d->count++;
    return 0;
}

#define MAX_DEPTH 16

typedef struct builder {
    vt_module_decl *d;
    int32_t parents[MAX_DEPTH];
    int32_t last_child[MAX_DEPTH];
    int depth;
} builder;

/* Add an object as the next member of the innermost open structure. */
static int add_member(builder *b, vt_module_object o, int32_t *index)
{
    o.first_child = -1;
    o.next_sibling = -1;
    if (add_object(b->d, &o, index) != 0)
        return -1;
    int32_t parent = b->parents[b->depth];
    if (b->last_child[b->depth] < 0)
        b->d->objects[parent].first_child = *index;
    else
        b->d->objects[b->last_child[b->depth]].next_sibling = *index;
    b->last_child[b->depth] = *index;
    return 0;
}

static char *next_word(char **cursor)
{
    char *p = *cursor;
    while (*p == ' ')
        p++;
    if (!*p)
        return NULL;
    char *word = p;
    while (*p && *p != ' ')
        p++;
    if (*p)
        *p++ = 0;
    *cursor = p;
    return word;
}

vt_status vt_module_declare(const char *name, vt_module_decl **out, vt_error *err)
{
    size_t n;
    const vt_module_table *tables = vt_module_tables(&n);
    const vt_module_table *t = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(tables[i].name, name) == 0)
            t = &tables[i];
    if (!t)
        return vt_error_set(err, VT_ERR_NOT_FOUND, "unknown module \"%s\"", name);
    vt_module_decl *d = calloc(1, sizeof *d);
    size_t name_len = strlen(t->name), text_len = strlen(t->declarations);
    if (d)
        d->text = malloc(name_len + 1 + text_len + 1);
    if (!d || !d->text) {
        free(d);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    memcpy(d->text, t->name, name_len + 1);
    char *cursor = d->text + name_len + 1;
    memcpy(cursor, t->declarations, text_len + 1);
    builder b = {.d = d, .depth = 0};
    vt_module_object root = {.name = d->text, .kind = VT_MODULE_STRUCT, .first_child = -1,
                             .next_sibling = -1};
    int32_t index;
    if (add_object(d, &root, &index) != 0)
        goto nomem;
    b.parents[0] = 0;
    b.last_child[0] = -1;
    vt_module_kind kind = VT_MODULE_INTEGER, item = 0;
    char *word;
    while ((word = next_word(&cursor))) {
        if (word[0] == ':') {
            const char *k = word + 1;
            if (strcmp(k, "}") == 0) {
                if (b.depth == 0)
                    goto corrupt;
                b.depth--;
                continue;
            }
            if (strcmp(k, "fn") == 0) {
                char *fname = next_word(&cursor), *args = next_word(&cursor),
                     *result = next_word(&cursor);
                if (!fname || !args || !result)
                    goto corrupt;
                if (strcmp(args, "-") == 0)
                    args[0] = 0;
                vt_module_object f = {.name = fname, .kind = VT_MODULE_FUNCTION,
                                      .arguments = args, .result = result[0]};
                if (add_member(&b, f, &index) != 0)
                    goto nomem;
                continue;
            }
            if (k[0] == '{' || k[0] == '[' || k[0] == '<') {
                char *sname = next_word(&cursor);
                if (!sname || b.depth + 1 >= MAX_DEPTH)
                    goto corrupt;
                vt_module_object s = {.name = sname};
                s.kind = k[0] == '{' ? VT_MODULE_STRUCT : k[0] == '[' ? VT_MODULE_ARRAY
                                                                      : VT_MODULE_DICTIONARY;
                s.item = k[0] == '{' ? 0 : VT_MODULE_STRUCT;
                if (add_member(&b, s, &index) != 0)
                    goto nomem;
                b.depth++;
                b.parents[b.depth] = index;
                b.last_child[b.depth] = -1;
                continue;
            }
            vt_module_kind base = 0;
            char c = k[strlen(k) - 1];
            base = (c == 'i' || c == 'I') ? VT_MODULE_INTEGER
                 : (c == 'f' || c == 'F') ? VT_MODULE_FLOAT
                 : (c == 's' || c == 'S') ? VT_MODULE_STRING : 0;
            if (!base)
                goto corrupt;
            if (k[0] == 'D') {
                kind = VT_MODULE_DICTIONARY;
                item = base;
            } else if (k[0] >= 'A' && k[0] <= 'Z') {
                kind = VT_MODULE_ARRAY;
                item = base;
            } else {
                kind = base;
                item = 0;
            }
            continue;
        }
        vt_module_object o = {.name = word, .kind = kind, .item = item};
        if (add_member(&b, o, &index) != 0)
            goto nomem;
    }
    if (b.depth != 0)
        goto corrupt;
    *out = d;
    return VT_OK;
nomem:
    vt_module_decl_free(d);
    return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
corrupt:
    vt_module_decl_free(d);
    return vt_error_set(err, VT_ERR_STATE, "declaration table of module \"%s\" is corrupt", name);
}

void vt_module_decl_free(vt_module_decl *d)
{
    if (!d)
        return;
    free(d->text);
    free(d->objects);
    free(d);
}

const vt_module_object *vt_module_object_at(const vt_module_decl *d, int32_t index)
{
    if (index < 0 || (size_t)index >= d->count)
        return NULL;
    return &d->objects[index];
}

int32_t vt_module_member(const vt_module_decl *d, int32_t parent, const char *name)
{
    const vt_module_object *p = vt_module_object_at(d, parent);
    if (!p)
        return -1;
    /* the first byte before strcmp: pe has hundreds of members, looked up per use in a
     * condition */
    for (int32_t i = p->first_child; i >= 0; i = d->objects[i].next_sibling)
        if (d->objects[i].name[0] == name[0] && strcmp(d->objects[i].name, name) == 0)
            return i;
    return -1;
}
