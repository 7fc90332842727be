/* installed.c: the installed-ruleset directory layout (the one file that knows it: reading what
 * is installed, telling "nothing installed" from "corrupt", the trusted checkpoint, installing a
 * new ruleset atomically) and loading the installed ruleset for scanning, re-checking it offline
 * through the trust core first: the
 * stored checkpoint against the stored policy (log signature and witness quorum), the tlog-proof
 * of the bundle and of every rule entry (each must be included in that same checkpoint's tree at
 * its index), every rule entry's hash against the bundle; then the compiled ruleset update
 * installed (rules.vtr, bound to the bundle and engine by the `compiled` record) is loaded
 * without recompiling, or, without one, the rule entries are compiled (each file in namespace
 * "log-INDEX" so that every detection can name the entry it came from). verify-installed also
 * recompiles and compares rules.vtr byte for byte. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/distrib.h>
#include <vitrine/scan.h>
#include <vitrine/trust.h>

#include "distrib_internal.h"

/* (distrib.h) Here rather than in update.c, so that scanning with the installed ruleset does not
 * link the update client and its HTTP transport. */
vt_status vt_distrib_state_dir(char *out, size_t out_size, vt_error *err)
{
    const char *env = getenv("VITRINE_STATE"), *xdg = getenv("XDG_DATA_HOME"),
               *home = getenv("HOME");
    int n;
    if (env && *env)
        n = snprintf(out, out_size, "%s", env);
    else if (xdg && *xdg)
        n = snprintf(out, out_size, "%s/vitrine", xdg);
    else if (home && *home && geteuid() != 0)
        n = snprintf(out, out_size, "%s/.local/share/vitrine", home);
    else
        n = snprintf(out, out_size, "/var/lib/vitrine");
    if (n < 0 || (size_t)n >= out_size)
        return vt_error_set(err, VT_ERR_LIMIT, "state directory path too long");
    return VT_OK;
}

void vt_distrib_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char path[4600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ---- the layout: STATE/current, STATE/ruleset.XXXXXX/, STATE/trusted-checkpoint ---- */

vt_status vt_distrib_read_installed_bundle(const char *state, vt_bundle_entry *bundle,
                                        unsigned char hash[32], char *dir, size_t dir_size,
                                        vt_error *err)
{
    char path[4096];
    unsigned char *data = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/current", state);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return vt_error_set(err, VT_ERR_NOT_FOUND, "no ruleset installed in %s", state);
    vt_status st = vt_read_file(path, 256, &data, &len, err);
    if (st != VT_OK)
        return st == VT_ERR_NOT_FOUND ? vt_error_set(err, VT_ERR_IO, "cannot read %s", path) : st;
    while (len > 0 && data[len - 1] == '\n')
        data[--len] = 0;
    if (len == 0 || strchr((char *)data, '/') || data[0] == '.' || strlen((char *)data) != len) {
        free(data);
        return vt_error_at(err, VT_ERR_FORMAT, path, 0, 0, "does not name a ruleset directory");
    }
    snprintf(dir, dir_size, "%s/%s", state, (char *)data);
    free(data);
    snprintf(path, sizeof path, "%s/bundle.entry", dir);
    if ((st = vt_read_file(path, VT_DISTRIB_MAX_ENTRY, &data, &len, err)) != VT_OK) {
        if (st == VT_ERR_NOT_FOUND) /* `current` names a ruleset that is not whole */
            return vt_error_at(err, VT_ERR_FORMAT, path, 0, 0,
                               "missing: 'current' names a ruleset that is not whole");
        return st;
    }
    vt_distrib_sha256(data, len, hash);
    st = vt_bundle_entry_parse(data, len, bundle, err);
    free(data);
    if (st != VT_OK && err)
        snprintf(err->file, sizeof err->file, "%.500s", path);
    return st;
}

vt_status vt_distrib_read_trusted_checkpoint(const char *state, vt_buf *out, vt_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/trusted-checkpoint", state);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return VT_ERR_NOT_FOUND; /* first use */
    unsigned char *data = NULL;
    size_t len;
    vt_status st = vt_read_file(path, VT_TLOG_MAX_NOTE, &data, &len, err);
    if (st == VT_OK) {
        st = vt_buf_append(out, data, len) == VT_OK ? VT_OK
                                                     : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        free(data);
    } else if (st == VT_ERR_NOT_FOUND) {
        st = vt_error_set(err, VT_ERR_IO, "cannot read %s", path);
    }
    return st;
}

vt_status vt_distrib_write_trusted_checkpoint(const char *state, const vt_buf *checkpoint,
                                           vt_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/trusted-checkpoint", state);
    return vt_write_file_atomic(path, checkpoint->data, checkpoint->len, 0644, err);
}

static vt_status stage_file(const char *dir, const char *name, const void *data, size_t len,
                            vt_error *err)
{
    char path[4300];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return vt_error_set(err, VT_ERR_LIMIT, "path too long");
    return vt_write_file_atomic(path, data, len, 0644, err);
}

/* STEM.entry and STEM.proof (a tlog-proof carrying the checkpoint). */
static vt_status stage_entry(const char *dir, const distrib_install_entry *e,
                             const vt_buf *checkpoint, vt_error *err)
{
    char stem[32], name[64];
    if (e->index == UINT64_MAX)
        snprintf(stem, sizeof stem, "bundle");
    else
        snprintf(stem, sizeof stem, "%" PRIu64, e->index);
    vt_buf text = {0};
    e->proof->checkpoint = checkpoint->data;
    e->proof->checkpoint_len = checkpoint->len;
    snprintf(name, sizeof name, "%s.entry", stem);
    vt_status st = stage_file(dir, name, e->entry->data, e->entry->len, err);
    if (st == VT_OK)
        st = vt_tlog_proof_format(e->proof, &text, err);
    snprintf(name, sizeof name, "%s.proof", stem);
    if (st == VT_OK)
        st = stage_file(dir, name, text.data, text.len, err);
    e->proof->checkpoint = NULL;
    e->proof->checkpoint_len = 0;
    vt_buf_free(&text);
    return st;
}

vt_status vt_distrib_finish_compiled(vt_compiler *compiler, vt_ruleset **out, vt_error *err)
{
    vt_ruleset *rules = NULL;
    vt_status st = vt_compiler_finish_unsealed(compiler, &rules, err);
    if (st == VT_OK)
        st = vt_ruleset_add_matcher(rules, err); /* which computes the checksum */
    if (st == VT_OK)
        *out = rules;
    else
        vt_ruleset_free(rules);
    return st;
}

/* The record that binds the compiled ruleset (rules.vtr) to the installed bundle and to the
 * engine that compiled it: "vitrine/installed-compiled/v1", then "engine VERSION", "bundle
 * SHA256" (of bundle.entry), "ruleset SHA256" (the checksum in rules.vtr's header: the SHA-256
 * of the image with that field zeroed), one per line. */
#define COMPILED_MAGIC "vitrine/installed-compiled/v1\n"

static vt_status format_compiled_record(const unsigned char bundle_hash[32],
                                        const vt_ruleset *compiled, vt_buf *out, vt_error *err)
{
    /* The image's own checksum (its header's SHA-256 of the image with that field zeroed),
     * which vt_ruleset_load checks against the bytes: naming it names the exact bytes, without
     * hashing the image a second time at every scan. */
    size_t len;
    const unsigned char *image = vt_ruleset_image(compiled, &len);
    vt_rs_header header;
    if (len < sizeof header)
        return vt_error_set(err, VT_ERR_FORMAT, "the compiled ruleset has no header");
    memcpy(&header, image, sizeof header);
    char bundle_hex[65], hex[65];
    vt_distrib_hex(header.sha256, hex);
    vt_distrib_hex(bundle_hash, bundle_hex);
    if (vt_buf_printf(out, COMPILED_MAGIC "engine %s compile %u\nbundle %s\nruleset %s\n",
                      vt_version(), VT_RULESET_COMPILE_REVISION, bundle_hex, hex) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

vt_status vt_distrib_install(const char *state, const vt_buf *policy, const vt_buf *checkpoint,
                          const distrib_install_entry *entries, size_t count,
                          const vt_ruleset *compiled, const char *old_dir, vt_error *err)
{
    char tmpl[4300];
    snprintf(tmpl, sizeof tmpl, "%s/ruleset.XXXXXX", state);
    if (!mkdtemp(tmpl))
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create a directory in %s", state);
    vt_status st = stage_file(tmpl, "policy", policy->data, policy->len, err);
    if (st == VT_OK)
        st = stage_file(tmpl, "checkpoint", checkpoint->data, checkpoint->len, err);
    for (size_t k = 0; k < count && st == VT_OK; k++)
        st = stage_entry(tmpl, &entries[k], checkpoint, err);
    vt_buf record = {0};
    for (size_t k = 0; k < count && st == VT_OK && compiled; k++)
        if (entries[k].index == UINT64_MAX) {
            unsigned char bundle_hash[32];
            vt_distrib_sha256(entries[k].entry->data, entries[k].entry->len, bundle_hash);
            size_t len;
            const void *image = vt_ruleset_image(compiled, &len);
            st = stage_file(tmpl, "rules.vtr", image, len, err);
            if (st == VT_OK)
                st = format_compiled_record(bundle_hash, compiled, &record, err);
            if (st == VT_OK)
                st = stage_file(tmpl, "compiled", record.data, record.len, err);
        }
    vt_buf_free(&record);
    if (st == VT_OK)
        st = vt_fsync_dir(tmpl, err);
    const char *base = strrchr(tmpl, '/') + 1;
    char pointer[4400], line[300];
    snprintf(pointer, sizeof pointer, "%s/current", state);
    snprintf(line, sizeof line, "%s\n", base);
    if (st == VT_OK)
        st = vt_write_file_atomic(pointer, line, strlen(line), 0644, err);
    if (st != VT_OK) {
        vt_distrib_remove_dir(tmpl);
        return st;
    }
    if (old_dir && *old_dir)
        vt_distrib_remove_dir(old_dir);
    return VT_OK;
}

/* ---- loading the installed ruleset for scanning ---- */

void vt_installed_free(vt_installed *in)
{
    if (!in)
        return;
    vt_ruleset_free(in->rules);
    for (size_t i = 0; i < in->entry_count; i++)
        free(in->entries[i].name);
    free(in->entries);
    free(in);
}

const vt_installed_entry *vt_installed_entry_for(const vt_installed *in, const char *ns)
{
    for (size_t i = 0; in && i < in->entry_count; i++)
        if (strcmp(in->entries[i].ns, ns) == 0)
            return &in->entries[i];
    return NULL;
}

static vt_status read_in(const char *dir, const char *name, size_t max, unsigned char **data,
                         size_t *len, vt_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return vt_read_file(path, max, data, len, err);
}

/* Verify STEM.proof for the entry bytes: its checkpoint is the installed (verified) one and the
 * entry is included in that tree at the proof's index. */
static vt_status check_proof(const char *dir, const char *stem, const unsigned char *entry,
                             size_t entry_len, const vt_tlog_checkpoint *cp, uint64_t *index,
                             vt_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s.proof", stem);
    unsigned char *text = NULL;
    size_t len;
    vt_status st = read_in(dir, name, VT_TLOG_MAX_PROOF_TEXT, &text, &len, err);
    vt_tlog_proof proof;
    memset(&proof, 0, sizeof proof);
    if (st == VT_OK)
        st = vt_tlog_proof_parse(text, len, &proof, err);
    free(text);
    vt_tlog_note *note = NULL;
    vt_tlog_checkpoint pcp = {0};
    if (st == VT_OK)
        st = vt_tlog_note_parse(proof.checkpoint, proof.checkpoint_len, &note, err);
    if (st == VT_OK)
        st = vt_tlog_checkpoint_parse(note->text, note->text_len, &pcp, err);
    if (st == VT_OK && (strcmp(pcp.origin, cp->origin) != 0 || pcp.size != cp->size ||
                        memcmp(pcp.root, cp->root, VT_TLOG_HASH_SIZE) != 0))
        st = vt_error_set(err, VT_ERR_VERIFY, "the proof of %s is for another checkpoint", stem);
    vt_trust_verdict v;
    if (st == VT_OK &&
        vt_trust_inclusion(cp, proof.index, entry, entry_len,
                           (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof.hashes,
                           proof.hash_count, &v) != VT_TRUST_OK)
        st = vt_trust_error(&v, NULL, err);
    *index = proof.index;
    vt_tlog_note_free(note);
    vt_tlog_checkpoint_clear(&pcp);
    vt_tlog_proof_clear(&proof);
    if (st != VT_OK && err)
        snprintf(err->file, sizeof err->file, "%.300s/%s", dir, name);
    return st;
}

typedef struct load_run {
    char dir[4300];
    int verify;   /* verify-installed: recompile and compare with rules.vtr */
    vt_tlog_policy *policy;
    vt_tlog_checkpoint cp;
    vt_bundle_entry bundle;
    unsigned char bundle_hash[32];
    vt_compiler *compiler; /* when compiling from the sources */
    vt_ruleset *compiled;  /* rules.vtr, when it is usable */
    int found; /* the bundle of the installed ruleset was read */
} load_run;

/* rules.vtr, checked against the `compiled` record: VT_OK and r->compiled set when it is the
 * compile of this bundle by this engine; VT_ERR_NOT_FOUND when there is none (installed by an
 * older vitrine) or another engine version compiled it (then the sources are compiled, as
 * before); VT_ERR_VERIFY when it is not what the record says. */
static vt_status load_compiled(load_run *r, vt_error *err)
{
    unsigned char *record = NULL;
    size_t record_len;
    char path[4400];
    snprintf(path, sizeof path, "%s/compiled", r->dir);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return VT_ERR_NOT_FOUND;
    vt_status st = read_in(r->dir, "compiled", 1024, &record, &record_len, err);
    if (st != VT_OK)
        return st == VT_ERR_NOT_FOUND ? VT_ERR_VERIFY : st;
    char engine[128];
    snprintf(engine, sizeof engine, COMPILED_MAGIC "engine %s compile %u\n", vt_version(),
             VT_RULESET_COMPILE_REVISION);
    if (record_len < strlen(engine) || memcmp(record, engine, strlen(engine)) != 0) {
        free(record);
        return VT_ERR_NOT_FOUND; /* another engine's compile: compile the sources instead */
    }
    snprintf(path, sizeof path, "%s/rules.vtr", r->dir);
    vt_buf expected = {0};
    st = vt_ruleset_load(path, &r->compiled, err);
    if (st == VT_OK)
        st = format_compiled_record(r->bundle_hash, r->compiled, &expected, err);
    if (st == VT_OK && (expected.len != record_len || memcmp(expected.data, record, record_len)))
        st = vt_error_at(err, VT_ERR_VERIFY, path, 0, 0,
                         "the compiled ruleset is not the one recorded for the installed bundle "
                         "(its SHA-256 or the bundle's differs from %s/compiled)", r->dir);
    if (st == VT_ERR_NOT_FOUND || st == VT_ERR_FORMAT || st == VT_ERR_LIMIT)
        st = VT_ERR_VERIFY; /* recorded but missing or damaged */
    vt_buf_free(&expected);
    free(record);
    if (st != VT_OK) {
        vt_ruleset_free(r->compiled);
        r->compiled = NULL;
    }
    return st;
}

/* The installed checkpoint against the installed policy (log signature and witness quorum; no
 * age bound: the installed ruleset stays usable offline). */
static vt_status load_checkpoint(load_run *r, vt_error *err)
{
    unsigned char *data = NULL;
    size_t len;
    vt_status st = read_in(r->dir, "policy", VT_TLOG_MAX_POLICY, &data, &len, err);
    if (st == VT_OK)
        st = vt_tlog_policy_parse((char *)data, len, &r->policy, err);
    free(data);
    data = NULL;
    if (st == VT_OK)
        st = read_in(r->dir, "checkpoint", VT_TLOG_MAX_NOTE, &data, &len, err);
    if (st != VT_OK) {
        free(data);
        return st;
    }
    vt_trust_checkpoint_policy policy = {.policy = r->policy};
    vt_trust_verdict v;
    vt_trust_checkpoint(&policy, data, len, 0, &r->cp, &v);
    free(data);
    return vt_trust_error(&v, "the installed checkpoint", err);
}

static vt_status load(load_run *r, const char *state_dir, vt_installed *in, vt_error *err)
{
    char state[4096];
    vt_status st;
    if (state_dir)
        snprintf(state, sizeof state, "%s", state_dir);
    else if ((st = vt_distrib_state_dir(state, sizeof state, err)) != VT_OK)
        return st;
    if ((st = vt_distrib_read_installed_bundle(state, &r->bundle, r->bundle_hash, r->dir,
                                            sizeof r->dir, err)) != VT_OK)
        return st;
    r->found = 1; /* from here on, a missing file is damage, not "nothing installed" */
    if ((st = load_checkpoint(r, err)) != VT_OK)
        return st;
    unsigned char *data = NULL;
    size_t len;
    if ((st = read_in(r->dir, "bundle.entry", VT_DISTRIB_MAX_ENTRY, &data, &len, err)) == VT_OK)
        st = check_proof(r->dir, "bundle", data, len, &r->cp, &in->bundle_index, err);
    free(data);
    if (st != VT_OK)
        return st;
    in->serial = r->bundle.serial;
    in->tree_size = r->cp.size;
    st = load_compiled(r, err);
    if (st != VT_OK && st != VT_ERR_NOT_FOUND)
        return st;
    in->compiled_installed = r->compiled != NULL;
    if (!(in->entries = calloc(r->bundle.rule_count, sizeof *in->entries)))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if ((!r->compiled || r->verify) && (st = vt_compiler_new(&r->compiler, err)) != VT_OK)
        return st;
    distrib_namespace ns = {0};
    for (size_t k = 0; k < r->bundle.rule_count; k++) {
        const vt_bundle_rule *br = &r->bundle.rules[k];
        vt_installed_entry *e = &in->entries[k];
        char stem[32], name[48];
        snprintf(stem, sizeof stem, "%" PRIu64, br->index);
        snprintf(name, sizeof name, "%s.entry", stem);
        uint64_t index;
        data = NULL;
        if ((st = read_in(r->dir, name, VT_DISTRIB_MAX_ENTRY, &data, &len, err)) == VT_OK)
            st = check_proof(r->dir, stem, data, len, &r->cp, &index, err);
        if (st == VT_OK && index != br->index)
            st = vt_error_set(err, VT_ERR_VERIFY, "the proof of entry %s is for index %" PRIu64,
                              stem, index);
        vt_trust_verdict v;
        if (st == VT_OK && vt_trust_bundle_entry(in->bundle_index, br->index, br->sha256, data, len,
                                                 &v) != VT_TRUST_OK)
            st = vt_trust_error(&v, "installed entry", err);
        if (st == VT_OK) {
            memcpy(e->sha256, br->sha256, sizeof e->sha256); /* the bundle's, checked just now */
            st = vt_distrib_add_rule_entry(r->compiler, &ns, br->index, data, len, &e->name, err);
        }
        free(data);
        if (st != VT_OK)
            return st;
        e->index = br->index;
        vt_distrib_hex(e->sha256, e->hex);
        snprintf(e->ns, sizeof e->ns, "%s", ns.ns);
        in->entry_count++;
    }
    if (!r->compiler) {
        in->rules = r->compiled;
        r->compiled = NULL;
        return VT_OK;
    }
    if ((st = vt_distrib_finish_compiled(r->compiler, &in->rules, err)) != VT_OK || !r->verify ||
        !r->compiled)
        return st;
    /* verify-installed: the installed compile must be, byte for byte, the compile of the
     * verified sources by this engine (matcher database included: see docs/distribution.md) */
    size_t mine_len, theirs_len;
    const unsigned char *mine = vt_ruleset_image(in->rules, &mine_len);
    const unsigned char *theirs = vt_ruleset_image(r->compiled, &theirs_len);
    size_t at = 0;
    while (at < mine_len && at < theirs_len && mine[at] == theirs[at])
        at++;
    in->compiled_compared = 1;
    if (at == mine_len && at == theirs_len)
        return VT_OK;
    return vt_error_at(err, VT_ERR_VERIFY, r->dir, 0, 0,
                       "rules.vtr (%zu bytes) is not the compile of the verified sources (%zu "
                       "bytes): they differ from byte %zu",
                       theirs_len, mine_len, at);
}

static vt_status installed_load(const char *state_dir, int verify, vt_installed **out,
                                vt_error *err)
{
    *out = NULL;
    vt_installed *in = calloc(1, sizeof *in);
    if (!in)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    load_run r;
    memset(&r, 0, sizeof r);
    r.verify = verify;
    vt_status st = load(&r, state_dir, in, err);
    vt_tlog_policy_free(r.policy);
    vt_tlog_checkpoint_clear(&r.cp);
    vt_bundle_entry_clear(&r.bundle);
    vt_compiler_free(r.compiler);
    vt_ruleset_free(r.compiled);
    if (st == VT_ERR_NOT_FOUND && r.found) {
        st = VT_ERR_VERIFY;
        if (err)
            err->status = st;
    }
    if (st != VT_OK) {
        if (st != VT_ERR_NOT_FOUND && err && strncmp(err->message, "installed ruleset", 17) != 0) {
            char why[1024];
            snprintf(why, sizeof why, "%s", err->message);
            snprintf(err->message, sizeof err->message,
                     "the installed ruleset does not verify: %.900s", why);
        }
        vt_installed_free(in);
        return st;
    }
    *out = in;
    return VT_OK;
}

vt_status vt_installed_load(const char *state_dir, vt_installed **out, vt_error *err)
{
    return installed_load(state_dir, 0, out, err);
}

vt_status vt_installed_verify(const char *state_dir, vt_installed **out, vt_error *err)
{
    return installed_load(state_dir, 1, out, err);
}
