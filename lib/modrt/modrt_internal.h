/* modrt_internal.h: what the modules' code (lib/modrt/mod_*.c) shares with the object model: the
 * arena, the object layout, yara-style setters and getters by path, function definitions and the
 * registry of modules. Not public: the evaluator uses include/vitrine/module_runtime.h. */
#ifndef VITRINE_MODRT_INTERNAL_H
#define VITRINE_MODRT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/module_runtime.h>
#include <vitrine/modules.h>

/* yara's sentinel: setting an integer to it leaves the integer undefined. */
#define VT_MODRT_UNDEFINED ((int64_t)0xFFFABADAFABADAFFULL)

/* ---- arena ---------------------------------------------------------------------------------- */

typedef struct vt_arena_block vt_arena_block;
typedef struct vt_arena {
    vt_arena_block *blocks;
    size_t used, cap; /* of the current (first) block */
} vt_arena;

void *vt_arena_alloc(vt_arena *arena, size_t size);            /* zeroed; NULL on failure */
void *vt_arena_dup(vt_arena *arena, const void *data, size_t size); /* adds a NUL after */
void vt_arena_free(vt_arena *arena);
/* Release everything allocated but keep one ordinary block for the next allocations. */
void vt_arena_reset(vt_arena *arena);

/* ---- objects -------------------------------------------------------------------------------- */

typedef struct vt_modrt_fncall vt_modrt_fncall;
typedef void (*vt_modrt_fn)(vt_modrt_fncall *call);

/* A function a module implements. `parent` is the structure it is a member of ("" for the
 * module's root, "rich_signature" for pe.rich_signature.version). */
typedef struct vt_modrt_function_def {
    const char *parent;
    const char *name;
    const char *arguments;
    vt_modrt_fn code;
} vt_modrt_function_def;

struct vt_mobj {
    vt_module_kind kind;
    bool defined;            /* leaves */
    uint8_t generation;      /* how many times yara copied this object's prototype (dump order) */
    const char *name;
    vt_mobj *parent;
    vt_modrt_scan *scan;
    const vt_module_decl *decl;
    int32_t decl_index;      /* the declaration object (array/dictionary: for their items) */
    union {
        int64_t i;
        double f;
        struct { uint8_t *bytes; size_t len; } s;
        struct {
            vt_mobj **members;
            size_t count;
            uint32_t *slots; /* open-addressing index of members by name: member + 1, 0 empty */
            size_t slot_count; /* a power of two, at least twice the member count */
        } st;
        struct { vt_mobj **items; size_t len, cap; } arr;
        struct { const char **keys; size_t *key_lens; vt_mobj **values; size_t used, cap; } dict;
        struct { const vt_modrt_function_def **overloads; size_t count; } fn;
    } u;
};

/* The module being loaded, handed to a module's load function. */
typedef struct vt_modrt_module_def vt_modrt_module_def;

typedef struct vt_modrt_loaded {
    const vt_modrt_module_def *def;
    vt_module_decl *decl;
    vt_mobj *root;
    void *data; /* the module's own data for its functions (arena memory) */
} vt_modrt_loaded;

struct vt_modrt_module_def {
    const char *name;
    /* Fill the tree. Errors other than VT_ERR_NOMEM are not expected: bad input leaves fields
     * undefined. */
    vt_status (*load)(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size);
    const vt_modrt_function_def *functions;
    size_t function_count;
    /* Optional: release what the module holds outside the arena, at the end of the scan. */
    void (*unload)(vt_modrt_loaded *module);
};

/* A call in progress: the module functions read their arguments here and set the result. */
struct vt_modrt_fncall {
    vt_modrt_scan *scan;
    vt_mobj *module;  /* the module's root */
    vt_mobj *parent;  /* the structure the function belongs to */
    void *module_data;
    const uint8_t *data;
    size_t size;
    const vt_modrt_arg *args;
    size_t nargs;
    vt_modrt_value *result;
};

enum { VT_MODRT_USED_MEMO = 1024 }; /* a power of two */
typedef enum { VT_MODRT_MD5, VT_MODRT_SHA1, VT_MODRT_SHA256, VT_MODRT_DIGESTS } vt_modrt_digest_kind;

/* ---- the scan ------------------------------------------------------------------------------- */

struct vt_modrt_scan {
    vt_arena arena;
    const uint8_t *data;
    size_t size;
    vt_modrt_options options;
    bool out_of_memory; /* sticky: a setter failed to allocate */
    bool timed_out;     /* sticky: a setter saw options.deadline passed */
    const char *fault;  /* set by a function on data where yara 4.2.3 faults (static text) */
    vt_modrt_loaded modules[16];
    size_t module_count;
    /* Declarations built by earlier imports, kept across vt_modrt_scan_reset (a module's
     * declaration is the same for every file). */
    struct {
        const vt_modrt_module_def *def;
        vt_module_decl *decl;
        struct vt_modrt_shape **shapes; /* by a structure's first member (object.c) */
        size_t shape_cap;
    } declared[16];
    size_t declared_count;
    /* vt_modrt_member_used's answers by name address, for the member_used callback and user
     * they came from (cleared when another one is given) */
    struct { const char *name; bool used; } used_memo[VT_MODRT_USED_MEMO];
    bool (*memo_member_used)(void *user, const char *name);
    void *memo_member_user;
    struct evp_md_st *digests[VT_MODRT_DIGESTS]; /* fetched at first use, kept until free */
};

/* OpenSSL's implementation of a digest, fetched once per scan context (EVP_md5() and friends
 * are fetched again at every EVP_Digest, which costs more than hashing a short string); the
 * legacy one when fetching fails. */
const struct evp_md_st *vt_modrt_digest(vt_modrt_scan *scan, vt_modrt_digest_kind kind);

void *vt_modrt_alloc(vt_modrt_scan *scan, size_t size); /* marks out_of_memory on failure */

/* False when the options say no rule reads a member called `name` (vt_modrt_options). `name`
 * must be a string constant: the answers are remembered by its address for the scans of this
 * context (modules ask the same questions for every file). */
bool vt_modrt_member_used(vt_modrt_scan *scan, const char *name);

/* Release the shapes of structures object.c keeps for a declaration (declared[i]). */
void vt_modrt_free_shapes(vt_modrt_scan *scan, size_t declared_index);

/* Build the tree of a declaration: the object at decl index `index` as a member named by it. */
vt_mobj *vt_modrt_build(vt_modrt_scan *scan, const vt_modrt_module_def *def,
                        const vt_module_decl *decl, int32_t index, vt_mobj *parent,
                        const char *parent_name, uint8_t generation);

/* yara-style access by path: "sections[%i].name", "version_info[%s]", "[3]", "a.b".
 * `path` NULL means obj itself. Setters create array items and dictionary entries on demand;
 * on allocation failure they set scan->out_of_memory and return VT_ERR_NOMEM. A path that does
 * not fit the tree (a bug in a module) returns VT_ERR_ARGUMENT. */
vt_status vt_modrt_set_integer(int64_t value, vt_mobj *obj, const char *path, ...);
vt_status vt_modrt_set_float(double value, vt_mobj *obj, const char *path, ...);
vt_status vt_modrt_set_string(const void *bytes, size_t len, vt_mobj *obj, const char *path, ...);
/* NUL-terminated string (NULL leaves the field undefined). */
vt_status vt_modrt_set_sz(const char *text, vt_mobj *obj, const char *path, ...);
vt_mobj *vt_modrt_get(vt_mobj *obj, const char *path, ...);
int64_t vt_modrt_get_integer(vt_mobj *obj, const char *path, ...); /* VT_MODRT_UNDEFINED if unset */

/* Results of functions. */
void vt_modrt_return_integer(vt_modrt_fncall *call, int64_t value); /* UNDEFINED sentinel ok */
void vt_modrt_return_float(vt_modrt_fncall *call, double value);    /* NaN means undefined */
void vt_modrt_return_string(vt_modrt_fncall *call, const void *bytes, size_t len);

/* The module data given for module `name` (the last item naming it): false when there is none
 * (no item, or an item with NULL data). */
bool vt_modrt_module_data(const vt_modrt_scan *scan, const char *name, const uint8_t **data,
                          size_t *size);

/* Registry. */
const vt_modrt_module_def *vt_modrt_find_module(const char *name);

extern const vt_modrt_module_def vt_modrt_module_hash;
extern const vt_modrt_module_def vt_modrt_module_math;
extern const vt_modrt_module_def vt_modrt_module_time;
extern const vt_modrt_module_def vt_modrt_module_console;
extern const vt_modrt_module_def vt_modrt_module_elf;
extern const vt_modrt_module_def vt_modrt_module_pe;
extern const vt_modrt_module_def vt_modrt_module_macho;
extern const vt_modrt_module_def vt_modrt_module_magic;
extern const vt_modrt_module_def vt_modrt_module_cuckoo;
extern const vt_modrt_module_def vt_modrt_module_dotnet;
extern const vt_modrt_module_def vt_modrt_module_dex;
extern const vt_modrt_module_def vt_modrt_module_tests;

/* Little-endian / big-endian reads of fixed width at data + off, checked against size: return
 * false (and leave *v untouched) when the bytes are not all inside. */
static inline bool vt_rd_ok(size_t size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}
static inline uint16_t vt_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t vt_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t vt_le64(const uint8_t *p)
{
    return (uint64_t)vt_le32(p) | (uint64_t)vt_le32(p + 4) << 32;
}
static inline uint16_t vt_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t vt_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline uint64_t vt_be64(const uint8_t *p)
{
    return (uint64_t)vt_be32(p) << 32 | (uint64_t)vt_be32(p + 4);
}

#endif
