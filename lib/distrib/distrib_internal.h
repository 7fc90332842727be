/* distrib_internal.h: helpers shared by the files of lib/distrib (not part of the public API). */
#ifndef VITRINE_DISTRIB_INTERNAL_H
#define VITRINE_DISTRIB_INTERNAL_H

#include <vitrine/distrib.h>

/* The namespace the rule entries of a bundle compile in, entry by entry in bundle order: a whole
 * rule file (or the first piece of a split one) in "log-INDEX"; piece K >= 2 of a split file
 * ("part K") in the namespace of piece K-1, which must be the previous entry of the bundle and
 * carry the same name (docs/entries.md). Zero-initialise. */
typedef struct distrib_namespace {
    char ns[32];
    char name[256];
    uint64_t part;
} distrib_namespace;

/* Parse the rule entry `data` (log index `index`, the next entry of the bundle), work out its
 * namespace (ns->ns afterwards) and, if compiler is not NULL, add its source there. The parsed
 * entry's name is moved to *name when name is not NULL. Update, scan and verify-installed all
 * compile through this, so the compiled ruleset is the same bytes whoever compiles it. */
vt_status vt_distrib_add_rule_entry(vt_compiler *compiler, distrib_namespace *ns, uint64_t index,
                                 const void *data, size_t len, char **name, vt_error *err);

/* mkdir -p. */
vt_status vt_distrib_mkdirs(const char *path, vt_error *err);
/* ---- the installed-ruleset layout: owned by installed.c (docs/distribution.md) ----
 * STATE/current names the ruleset directory (STATE/ruleset.XXXXXX) that holds policy,
 * checkpoint, bundle.entry, bundle.proof and INDEX.entry, INDEX.proof for each rule entry,
 * rules.vtr (the compiled ruleset) and compiled (the record binding it to the bundle);
 * STATE/trusted-checkpoint is the last checkpoint the update client trusted. */

/* Remove a ruleset directory: the regular files in it, then the directory (best effort). */
void vt_distrib_remove_dir(const char *dir);
/* The installed bundle: reads STATE/current, sets dir to the ruleset directory, parses its
 * bundle.entry and hashes it. VT_ERR_NOT_FOUND when nothing is installed (no STATE/current);
 * any other failure means the installed ruleset is corrupt or unreadable. */
vt_status vt_distrib_read_installed_bundle(const char *state, vt_bundle_entry *bundle,
                                        unsigned char hash[32], char *dir, size_t dir_size,
                                        vt_error *err);
/* STATE/trusted-checkpoint into out; VT_ERR_NOT_FOUND when there is none yet. */
vt_status vt_distrib_read_trusted_checkpoint(const char *state, vt_buf *out, vt_error *err);
vt_status vt_distrib_write_trusted_checkpoint(const char *state, const vt_buf *checkpoint,
                                           vt_error *err);

/* One entry to install with its inclusion proof (index UINT64_MAX: the bundle). */
typedef struct distrib_install_entry {
    uint64_t index;
    const vt_buf *entry;
    vt_tlog_proof *proof; /* hashes and index; its checkpoint is set while writing */
} distrib_install_entry;

/* Write a new ruleset directory (policy, checkpoint, entries and their tlog-proofs, and, when
 * `compiled` is not NULL, rules.vtr with its record: entries must then include the bundle),
 * fsync it, switch STATE/current to it atomically, then remove old_dir (if not empty). On
 * failure the new directory is removed and the installed ruleset is unchanged. */
vt_status vt_distrib_install(const char *state, const vt_buf *policy, const vt_buf *checkpoint,
                          const distrib_install_entry *entries, size_t count,
                          const vt_ruleset *compiled, const char *old_dir, vt_error *err);

/* The scan-ready ruleset compiled from the rule entries of a bundle (vt_distrib_add_rule_entry in
 * bundle order, then the matcher added, as `vitrine compile -o` writes it). */
vt_status vt_distrib_finish_compiled(vt_compiler *compiler, vt_ruleset **out, vt_error *err);

/* The last entry bundle fetched by vt_distrib_cached_entry. Zero-initialise; free data after use. */
typedef struct distrib_entry_cache {
    int valid;
    uint64_t bundle, size;
    vt_buf data;
    size_t offsets[VT_TLOG_TILE_WIDTH], lengths[VT_TLOG_TILE_WIDTH];
} distrib_entry_cache;

/* Entry `index` of the tree of `size`, like vt_tlog_reader_entry, reusing the cached bundle. */
vt_status vt_distrib_cached_entry(vt_tlog_reader *reader, distrib_entry_cache *cache, uint64_t size,
                               uint64_t index, vt_buf *out, vt_error *err);

#endif
