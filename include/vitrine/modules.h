/* vitrine/modules.h: what YARA's modules declare, so that rules importing them type-check exactly
 * as in yara 4.2.3 (pe, elf, math, hash, time, console, dotnet, dex, macho, magic, cuckoo, tests).
 * Only declarations live here: names, field types, functions with their overloads. The modules'
 * runtime (computing the values from a scanned file) is a separate part.
 *
 * A declaration is a tree of objects. The root is a structure; a structure's members, and the
 * members of the structures inside arrays and dictionaries of structures, are children linked
 * through next_sibling. A function with overloads appears once per overload, as siblings with the
 * same name.
 *
 * Promises: the tables are constant; vt_module_declare builds a private copy per call, so
 * declarations can be used from any thread. */
#ifndef VITRINE_MODULES_H
#define VITRINE_MODULES_H

#include <vitrine/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vt_module_kind {
    VT_MODULE_INTEGER = 1,
    VT_MODULE_FLOAT,
    VT_MODULE_STRING,
    VT_MODULE_STRUCT,
    VT_MODULE_ARRAY,      /* items of kind `item` */
    VT_MODULE_DICTIONARY, /* string keys, values of kind `item` */
    VT_MODULE_FUNCTION,
} vt_module_kind;

typedef struct vt_module_object {
    const char *name;
    vt_module_kind kind;
    vt_module_kind item;  /* ARRAY and DICTIONARY: the kind of their items */
    int32_t first_child;  /* STRUCT, or ARRAY/DICTIONARY of STRUCT: first member; -1 if none */
    int32_t next_sibling; /* -1 at the end of a member list */
    const char *arguments; /* FUNCTION: yara's argument format, one letter per argument:
                              i integer, f float, s string, r regular expression, b boolean */
    char result;           /* FUNCTION: 'i', 'f', 's' or 'b' */
} vt_module_object;

typedef struct vt_module_decl vt_module_decl;

/* Number of built-in modules and the name of the i-th one. */
VT_API size_t vt_module_count(void);
VT_API const char *vt_module_name(size_t index);

/* Build the declaration tree of module `name`. VT_ERR_NOT_FOUND if there is no such module. */
VT_API vt_status vt_module_declare(const char *name, vt_module_decl **out, vt_error *err);
VT_API void vt_module_decl_free(vt_module_decl *decl);

/* The root structure (index 0) and any object by index. */
VT_API const vt_module_object *vt_module_object_at(const vt_module_decl *decl, int32_t index);
/* The first member called `name` of a structure-like object (-1 if there is none). Further
 * overloads of a function follow as siblings with the same name. */
VT_API int32_t vt_module_member(const vt_module_decl *decl, int32_t parent, const char *name);

#ifdef __cplusplus
}
#endif

#endif
