/* center.h: the transparency center shared by `vitrine center build` (cli/center.c) and
 * `vitrine serve center` (cli/serve.c): the page's files embedded from web/ (web/embed.py) and
 * the build of a static center directory from a log. */
#ifndef VITRINE_CLI_CENTER_H
#define VITRINE_CLI_CENTER_H

#include <stddef.h>
#include <stdint.h>

#include <vitrine/common.h>

struct center_web_file {
    const char *name; /* index.html, center.js, center.css */
    const unsigned char *data;
    size_t len;
};
/* The page's own files, NULL-terminated (the list a page entry names). */
extern const struct center_web_file center_web_files[];

typedef struct center_options {
    const char *log;         /* a log directory or http(s):// URL */
    const char *vkey;        /* the log's verifier key (file or text), as `vitrine monitor` */
    const char *policy_path; /* or a tlog-policy file, as `vitrine update` */
    uint64_t deadline_seconds;
} center_options;

/* If `name` is one of --log, --vkey, --policy, --deadline: take `value` (*used = 1); -1 with
 * err set for an invalid value. */
int center_option(center_options *o, const char *name, const char *value, int *used,
                  vt_error *err);
/* Check that the options name a log and exactly one of --vkey and --policy. */
vt_status center_options_check(const center_options *o, vt_error *err);

/* Level-0 tiles per pack file (pack/N: tiles N*16 .. N*16+15, then their entry bundles); the
 * page's center.js has the same number (PACK_TILES). */
#define CENTER_PACK_TILES 16u
/* A pack larger than this is not written (entries too large for packs to pay: the page then
 * fetches the files): about 45 ms of transfer in Chromium on the 2-core VM, against the 2.5 ms
 * per fetch of the 32 files it replaces. */
#define CENTER_PACK_MAX_BYTES (2u * 1024u * 1024u)

/* Build the static center in outdir: index.html (with the trust policy baked in), center.js,
 * center.css, log/ (a copy of the log's checkpoint, tiles and entry bundles for its current
 * tree, after checking the checkpoint under the policy and re-hashing the copy), pack/ (the
 * same tiles and bundles grouped by CENTER_PACK_TILES full tiles) and feed.json.
 * *size receives the tree size. VT_ERR_VERIFY when the log does not verify. */
vt_status center_build(const char *outdir, const center_options *o, uint64_t *size,
                       vt_error *err);

#endif
