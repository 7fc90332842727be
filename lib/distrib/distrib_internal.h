/* distrib_internal.h: helpers shared by the files of lib/distrib (not part of the public API). */
#ifndef VITRINE_DISTRIB_INTERNAL_H
#define VITRINE_DISTRIB_INTERNAL_H

#include <vitrine/distrib.h>

/* mkdir -p. */
vt_status distrib_mkdirs(const char *path, vt_error *err);
/* Remove a ruleset directory: the regular files in it, then the directory (best effort). */
void distrib_remove_dir(const char *dir);
/* The installed bundle: reads STATE/current, sets dir to the ruleset directory, parses its
 * bundle.entry and hashes it. VT_ERR_NOT_FOUND when nothing is installed. */
vt_status distrib_read_installed_bundle(const char *state, vt_bundle_entry *bundle,
                                        unsigned char hash[32], char *dir, size_t dir_size,
                                        vt_error *err);

#endif
