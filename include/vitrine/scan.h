/* vitrine/scan.h: the scanner. A file or a buffer goes in; which rules matched, with each
 * string's matches, comes out, exactly as yara 4.2.3 would report them.
 *
 * Two objects:
 * - vt_scanner: made once from a compiled ruleset. It holds the multi-string matcher (Vectorscan
 *   prefilter plus exact verifiers) and the compiled regular expressions of the conditions. It is
 *   immutable: any number of threads scan with one scanner.
 * - vt_scan_ctx: one per thread. It owns everything one scan writes (the file's bytes, the
 *   matches, the modules' data, the rule results) and is reused from file to file. The results
 *   of the last scan stay readable until the next scan or until the context is freed.
 *
 * Promises: no global state; the scanned bytes are only read; a file that vanishes, cannot be
 * read or is larger than the limit is reported as an error for that file and nothing else
 * changes; a scan that passes its timeout (a deadline for the whole file, counted by the work
 * every loop does) stops with VT_ERR_TIMEOUT; a scan that runs out of memory anywhere fails with
 * VT_ERR_NOMEM: never fewer matches with VT_OK. */
#ifndef VITRINE_SCAN_H
#define VITRINE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>
#include <vitrine/cond.h>
#include <vitrine/module_runtime.h>
#include <vitrine/rules.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_scanner vt_scanner;
typedef struct vt_scan_ctx vt_scan_ctx;

/* Make a scanner for `rules` (borrowed: it must outlive the scanner). Uses the ruleset's stored
 * matcher section when there is one, so loading a compiled ruleset does no compilation. */
VT_API vt_status vt_scanner_new(const vt_ruleset *rules, vt_scanner **out, vt_error *err);
VT_API void vt_scanner_free(vt_scanner *scanner);
VT_API const vt_ruleset *vt_scanner_rules(const vt_scanner *scanner);

/* Build the matcher of `rules` and return a copy of the ruleset that stores it (section
 * VT_SECTION_MATCHER), so that a saved ruleset loads without compiling anything. */
#define VT_SECTION_MATCHER VT_SECTION_ID('M', 'T', 'C', 'H')
VT_API vt_status vt_ruleset_with_matcher(const vt_ruleset *rules, vt_ruleset **out, vt_error *err);
/* The same, `rules` itself getting the section (vt_ruleset_add_section: no second copy of its
 * image; if it fails, `rules` can only be freed). */
VT_API vt_status vt_ruleset_add_matcher(vt_ruleset *rules, vt_error *err);

/* The matcher's description (vitrine/match.h) of string `s` of `rules`, as the scanner builds
 * it: kind, source, modifiers, regex flags, xor range, base64 alphabet (pointers into rules). */
VT_API void vt_ruleset_string_spec(const vt_ruleset *rules, const vt_rs_string *s,
                                   vt_string_spec *spec);

/* Optional behaviour of a scan context. A zeroed struct is valid. */
typedef struct vt_scan_options {
    unsigned timeout_seconds; /* 0: none */
    bool fast;                /* keep only the first match of each string (yara -f) */
    /* Find the matches of every string, also of rules whose condition requires a file header
     * this file lacks (`uint16(0) == 0x5a4d and ...` on a file without "MZ"): they cannot match,
     * so by default their strings may go unsearched (vt_scan_string_matches then lists none).
     * yara -n -s prints them. */
    bool every_string;
    /* Called for each warning of a scan, e.g. yara's "too many matches" (rule, string given). */
    void (*warning)(void *user, const char *rule, const char *string, const char *message);
    /* console.log output (a line, no newline). NULL: lines go to stdout as yara prints them. */
    void (*console_log)(void *user, const char *text, size_t len);
    /* Called once per imported module after it is loaded, with its `yara -D` dump. */
    void (*module_dump)(void *user, const char *module, const char *text, size_t len);
    void *user;
    /* External variables as "NAME=VALUE", given to every context made with these options
     * (vt_scan_ctx_define); a bad one makes vt_scan_ctx_new fail. */
    const char *const *defines;
    size_t define_count;
    /* Data for modules that read some, as yara's -x MODULE=FILE (cuckoo's report); borrowed:
     * it must outlive the contexts. A module whose data does not parse fails each scan with
     * VT_ERR_FORMAT (vt_modrt_import). */
    const vt_module_data *module_data;
    size_t module_data_count;
} vt_scan_options;

VT_API vt_status vt_scan_ctx_new(const vt_scanner *scanner, const vt_scan_options *options,
                                 vt_scan_ctx **out, vt_error *err);
VT_API void vt_scan_ctx_free(vt_scan_ctx *ctx);

/* Give external variable `name` a value for the scans of this context, as yara's -d does
 * ("true"/"false", an integer, a float or a string, converted to the variable's declared type).
 * VT_ERR_NOT_FOUND if the ruleset declares no such variable. */
VT_API vt_status vt_scan_ctx_define(vt_scan_ctx *ctx, const char *name, const char *value,
                                    vt_error *err);
/* Give string external variable `name` the value as it is, whatever it looks like ("1", "true"
 * and "" stay strings: a file name or extension). VT_ERR_ARGUMENT if it is not a string. */
VT_API vt_status vt_scan_ctx_define_string(vt_scan_ctx *ctx, const char *name, const char *value,
                                           vt_error *err);

/* Scan a buffer (borrowed for the duration of the call and for reading the results). */
VT_API vt_status vt_scan_buffer(vt_scan_ctx *ctx, const uint8_t *data, size_t size, vt_error *err);
/* Scan a file: read into the context's buffer (not mapped, so a file truncated meanwhile cannot
 * crash the scan: it is scanned as far as it could be read); refused with VT_ERR_LIMIT when
 * larger than max_size (0: no limit); VT_ERR_IO / VT_ERR_NOT_FOUND with the reason when it cannot
 * be opened or read. */
VT_API vt_status vt_scan_file(vt_scan_ctx *ctx, const char *path, uint64_t max_size, vt_error *err);
/* Scan an open file, read from its current offset (fd stays open: the caller closes it); as
 * vt_scan_file otherwise. `name` is the file's name in messages. A file found by vt_walk is
 * scanned this way, so that paths longer than PATH_MAX need never be opened by name. */
VT_API vt_status vt_scan_fd(vt_scan_ctx *ctx, int fd, const char *name, uint64_t max_size,
                            vt_error *err);

/* Results of the last scan. */
VT_API bool vt_scan_rule_matched(const vt_scan_ctx *ctx, uint32_t rule);
/* How many rules matched in the last scan (private ones included): a caller that reports only
 * matching rules need not look at every rule when none did. */
VT_API size_t vt_scan_matched_rule_count(const vt_scan_ctx *ctx);
/* A string's matches: complete for the strings of matching rules; for a rule that did not match
 * because the file lacks the header its condition requires, empty unless the options asked for
 * every_string. */
VT_API vt_match_list vt_scan_string_matches(const vt_scan_ctx *ctx, uint32_t string);
/* The bytes of the last scan (valid until the next scan), to print matched data. */
VT_API const uint8_t *vt_scan_data(const vt_scan_ctx *ctx, uint64_t *size);
/* The bytes of a match of the last scan, at most `max` of them (yara prints 512): *len is set
 * to how many are available. */
VT_API const uint8_t *vt_scan_match_bytes(const vt_scan_ctx *ctx, const vt_string_match *match,
                                          size_t max, size_t *len);

/* ---- walking directories and scanning with several threads -------------------------------- */

/* What vt_walk does. on_file is required; the others may be NULL. A callback returning anything
 * but VT_OK stops the walk with that status. */
typedef struct vt_walk_options {
    bool recursive;        /* descend into subdirectories */
    bool follow_symlinks;  /* follow symbolic links met in directories (never a link to ".") */
    uint64_t skip_larger;  /* skip files of this size or more (0: no limit) */
    /* A regular file, opened read-only: the callback owns fd (closes it or hands it on). */
    vt_status (*on_file)(void *user, int fd, const char *path);
    void (*on_skip)(void *user, const char *path, uint64_t size);
    /* Something the walk could not reach, open, examine or finish: err->message says why (the
     * reason, without the path). `file` is true for a regular file that could not be opened
     * (the one case yara 4.2.3 reports itself), false for a directory that cannot be opened or
     * read, an entry that cannot be examined (a directory without search permission), or a
     * followed link back to a directory being walked (a loop). NULL: the first of these stops
     * the walk with its error. Nothing is ever left out silently. */
    vt_status (*on_error)(void *user, const char *path, bool file, const vt_error *err);
    void *user;
} vt_walk_options;

/* Visit the regular files under `root` in readdir order (yara's order), as "root/name/..."
 * paths; `root` may also be a regular file (handed to on_file), and a symbolic link as root is
 * always followed. Directories are opened relative to their parent's descriptor (openat), so
 * neither the depth nor the length of a path is limited; with follow_symlinks, a directory
 * whose device and inode are those of one being walked is reported as a loop, not entered. */
VT_API vt_status vt_walk(const char *root, const vt_walk_options *options, vt_error *err);

typedef struct vt_pool vt_pool;

/* Called once per scanned file, from a worker thread but never two at a time: `status` and `err`
 * tell whether the scan worked; the results are read from `ctx`. For an error queued with
 * vt_pool_submit_error, ctx is NULL and status/err are the queued ones. Return nonzero to stop. */
typedef int (*vt_pool_fn)(void *user, vt_scan_ctx *ctx, const char *path, vt_status status,
                          const vt_error *err);

/* Start `threads` workers, each with its own context over `scanner`. Files larger than
 * max_size (0: no limit) are reported as errors. */
VT_API vt_status vt_pool_new(const vt_scanner *scanner, const vt_scan_options *options,
                             unsigned threads, uint64_t max_size, vt_pool_fn fn, void *user,
                             vt_pool **out, vt_error *err);
/* Queue a file (waits while the queue is full). VT_ERR_STATE once the pool was stopped. */
VT_API vt_status vt_pool_submit(vt_pool *pool, const char *path, vt_error *err);
/* Queue an open file (the pool owns fd from now on, even when this fails); scanned with
 * vt_scan_fd and reported as `path`. */
VT_API vt_status vt_pool_submit_fd(vt_pool *pool, int fd, const char *path, vt_error *err);
/* Queue an error for `path` (copied): it reaches the pool's function in turn with the files,
 * so that every record is printed from one place, one at a time, in walk order. */
VT_API vt_status vt_pool_submit_error(vt_pool *pool, const char *path, const vt_error *error,
                                      vt_error *err);
/* Drop what is queued and let the workers end after their current file. */
VT_API void vt_pool_stop(vt_pool *pool);
/* Wait until every queued file is scanned and the workers have ended. */
VT_API vt_status vt_pool_finish(vt_pool *pool, vt_error *err);
VT_API void vt_pool_free(vt_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
