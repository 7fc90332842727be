/* vitrine/module_runtime.h: the runtime of YARA's modules. For one scanned file it computes the
 * values rules read through `import "pe"` and friends (the data tree and the functions), exactly
 * as yara 4.2.3 computes them, and prints that tree the way `yara -D` does.
 *
 * The object model:
 * - A vt_modrt_scan is the context of one scan of one buffer. It owns an arena: every object,
 *   string and function result of every module imported during the scan lives there and is
 *   released at once by vt_modrt_scan_free. Nothing is global; one scan belongs to one thread.
 * - vt_modrt_import builds a module's tree from its declaration (include/vitrine/modules.h,
 *   vt_module_declare), every leaf UNDEFINED, then runs the module's load function over the
 *   scanned bytes. The tree is made of vt_mobj: structures (named members), arrays (items by
 *   index, created on demand; holes are undefined), dictionaries (items by string key, in
 *   insertion order), and leaves (integer, float, string of bytes) that may be undefined.
 * - Functions are members of structures too (kind VT_MODULE_FUNCTION). vt_modrt_call runs one,
 *   choosing the overload by yara's argument format ("ii", "s", "r", ...).
 *
 * Promises:
 * - Load functions read only inside [data, data + size): every offset taken from the file is
 *   checked. A file a module does not understand leaves its fields undefined, as in yara.
 * - Allocation failure is reported as VT_ERR_NOMEM (through vt_error), never aborts.
 * - Getters never fail: a missing member, an index out of range or an undefined leaf answer
 *   NULL / false, which the evaluator maps to YARA's undefined.
 */
#ifndef VITRINE_MODULE_RUNTIME_H
#define VITRINE_MODULE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/modules.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_modrt_scan vt_modrt_scan;
typedef struct vt_mobj vt_mobj;

/* Data given to one module besides the scanned bytes, as yara's `-x MODULE=FILE` gives it (the
 * cuckoo module reads a sandbox's JSON report from it). NULL data is no data. */
typedef struct vt_module_data {
    const char *module;
    const uint8_t *data;
    size_t size;
} vt_module_data;

/* What the scanner gives the modules. All fields are optional (a zeroed struct is valid). */
typedef struct vt_modrt_options {
    /* console.log output: called with one line of text (no newline), as yara prints it. When
     * NULL, the line goes to stdout followed by "\n" like yara's default callback. */
    void (*console_log)(void *user, const char *text, size_t len);
    void *console_user;
    /* Search regex `regex` (an 'r' argument the evaluator compiled, opaque here) in the bytes
     * s[0..len): true if it matches anywhere, like yara's yr_re_exec in module functions.
     * When NULL, functions that take a regex return undefined. A search that fails (out of
     * memory, timed out) must be recorded by the caller, which fails the scan. */
    bool (*regex_search)(void *user, const void *regex, const uint8_t *s, size_t len);
    /* yara's yr_re_match over s[0..len) (the tests module's tests.match): scanning from each
     * offset in turn, the end offset of the last match yara's regex engine reports, or -1 when
     * none; INT64_MIN when it could not be computed (out of memory): tests.match is then
     * undefined. Uses regex_user. When NULL, tests.match returns undefined. */
    int64_t (*regex_match)(void *user, const void *regex, const uint8_t *s, size_t len);
    void *regex_user;
    /* The value of time.now(); 0 means "read the clock at each call" (yara's behaviour). */
    int64_t now;
    /* Optional: false when no rule can read a member called `name` (of any structure), so a
     * module may leave out what it costs much to build (elf.symtab of a large unstripped
     * binary). NULL means every member may be read (and yara -D dumps need them all). */
    bool (*member_used)(void *user, const char *name);
    void *member_user;
    /* Module data (borrowed until vt_modrt_scan_free). When several items name the same
     * module, the last one counts, as with yara's repeated -x. */
    const vt_module_data *module_data;
    size_t module_data_count;
    /* The scan's deadline (NULL: none): every value a module sets counts as a step, and once
     * it has passed, loading and function calls fail with VT_ERR_TIMEOUT. */
    vt_deadline *deadline;
} vt_modrt_options;

/* ---- the scan context ----------------------------------------------------------------------- */

/* A context for scanning data[0..size). The bytes are borrowed: they must stay valid and unchanged
 * until vt_modrt_scan_free. `options` is copied (may be NULL). */
VT_API vt_status vt_modrt_scan_new(const uint8_t *data, size_t size,
                                   const vt_modrt_options *options,
                                   vt_modrt_scan **out, vt_error *err);
VT_API void vt_modrt_scan_free(vt_modrt_scan *scan);
/* The same context for another scan, of data[0..size) with `options` (may be NULL), as a new
 * one would be: the trees and results of the last scan are released (what they returned is no
 * longer valid), but the modules' declarations and the arena's first block are kept, which
 * saves building them again for every file. */
VT_API void vt_modrt_scan_reset(vt_modrt_scan *scan, const uint8_t *data, size_t size,
                                const vt_modrt_options *options);

/* True if the runtime implements module `name` (a declared module may lack a runtime). */
VT_API bool vt_modrt_available(const char *name);

/* Import module `name` for this scan: build its tree and run its load function. Importing the
 * same module again returns the same root. VT_ERR_NOT_FOUND for an unknown module; VT_ERR_FORMAT
 * (message "invalid module data ...") when the module's data does not parse, where yara fails
 * the scan with ERROR_INVALID_MODULE_DATA. */
VT_API vt_status vt_modrt_import(vt_modrt_scan *scan, const char *name, vt_mobj **root,
                                 vt_error *err);

/* ---- reading the tree (what the evaluator needs) ------------------------------------------- */

VT_API vt_module_kind vt_mobj_kind(const vt_mobj *obj);
/* The identifier of a member ("sections"); array items and dictionary values have the
 * identifier of their container's prototype. */
VT_API const char *vt_mobj_name(const vt_mobj *obj);

/* Member `name` of a structure (NULL if obj is not a structure or has no such member). For a
 * function, this is the function object holding all its overloads. */
VT_API vt_mobj *vt_mobj_member(const vt_mobj *obj, const char *name);
/* Item `index` of an array (NULL if out of range, never set, or obj is not an array). */
VT_API vt_mobj *vt_mobj_item(const vt_mobj *obj, int64_t index);
/* Value for `key` (len bytes) of a dictionary (NULL if absent or obj is not a dictionary). */
VT_API vt_mobj *vt_mobj_lookup(const vt_mobj *obj, const char *key, size_t len);
/* Number of items: for an array, yara's length (highest set index + 1; holes included and
 * undefined); for a dictionary, the number of keys. 0 for anything else. */
VT_API int64_t vt_mobj_count(const vt_mobj *obj);
/* The i-th entry of a dictionary in insertion order (0 <= i < count): its key and value. */
VT_API vt_mobj *vt_mobj_entry(const vt_mobj *obj, int64_t i, const char **key, size_t *key_len);

/* Leaves. Each returns false when the object is undefined or not of that kind. Strings are
 * bytes (may contain NUL); *bytes stays valid until the scan is freed. */
VT_API bool vt_mobj_integer(const vt_mobj *obj, int64_t *value);
VT_API bool vt_mobj_float(const vt_mobj *obj, double *value);
VT_API bool vt_mobj_string(const vt_mobj *obj, const uint8_t **bytes, size_t *len);

/* ---- functions ------------------------------------------------------------------------------ */

/* One argument of a function call, of the kind its format letter says. */
typedef struct vt_modrt_arg {
    int64_t i;              /* 'i' and 'b' */
    double f;               /* 'f' */
    const uint8_t *s;       /* 's': bytes (not necessarily NUL-terminated) */
    size_t len;
    const void *regex;      /* 'r': the evaluator's compiled regex, given to regex_search */
} vt_modrt_arg;

/* A function's result: VT_MODULE_INTEGER, VT_MODULE_FLOAT, VT_MODULE_STRING, or 0 for
 * undefined. A string result lives in the scan's arena. */
typedef struct vt_modrt_value {
    vt_module_kind kind;
    int64_t i;
    double f;
    const uint8_t *s;
    size_t len;
} vt_modrt_value;

/* True if function object `fn` (from vt_mobj_member) has an overload taking `format`. */
VT_API bool vt_modrt_has_overload(const vt_mobj *fn, const char *format);

/* Call function `fn` with the overload matching `format` (one letter per argument, see
 * modules.h) and nargs arguments. Undefined results are kind 0, not errors; so is the result of
 * an overload the declaration has but this runtime does not implement. Errors are VT_ERR_NOMEM,
 * VT_ERR_ARGUMENT (an overload the declaration does not have, or nargs != strlen(format)) and
 * VT_ERR_FORMAT (message "... module data on which yara faults ..."): the function met module
 * data on which yara 4.2.3 dereferences NULL, a fault its scanner reports as error 4 for the
 * file (ERROR_COULD_NOT_MAP_FILE); the scan should fail the same way. */
VT_API vt_status vt_modrt_call(vt_modrt_scan *scan, const vt_mobj *fn, const char *format,
                               const vt_modrt_arg *args, size_t nargs, vt_modrt_value *result,
                               vt_error *err);

/* ---- yara -D -------------------------------------------------------------------------------- */

/* Append the tree of an imported module to `out` exactly as `yara -D` prints it (the module name,
 * then one line per field, tab-indented, functions left out; ends with a newline). */
VT_API vt_status vt_modrt_dump(const vt_mobj *root, vt_buf *out, vt_error *err);

#ifdef __cplusplus
}
#endif

#endif
