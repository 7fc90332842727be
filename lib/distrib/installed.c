/* installed.c: loading the installed ruleset for scanning, re-checking it offline first: the
 * stored checkpoint against the stored policy (log signature and witness quorum), the tlog-proof
 * of the bundle and of every rule entry (each must be included in that same checkpoint's tree at
 * its index), every rule entry's hash against the bundle; then the rule entries are compiled,
 * each in namespace "log-INDEX" so that every detection can name the entry it came from. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/distrib.h>

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

vt_status vt_distrib_read_installed_bundle(const char *state, vt_bundle_entry *bundle,
                                        unsigned char hash[32], char *dir, size_t dir_size,
                                        vt_error *err)
{
    char path[4096];
    unsigned char *data = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/current", state);
    vt_status st = vt_read_file(path, 256, &data, &len, err);
    if (st != VT_OK)
        return access(path, F_OK) != 0 ? vt_error_set(err, VT_ERR_NOT_FOUND,
                                                      "no ruleset installed in %s", state)
                                       : st;
    while (len > 0 && data[len - 1] == '\n')
        data[--len] = 0;
    if (len == 0 || strchr((char *)data, '/') || data[0] == '.') {
        free(data);
        return vt_error_set(err, VT_ERR_FORMAT, "%s does not name a ruleset directory", path);
    }
    snprintf(dir, dir_size, "%s/%s", state, (char *)data);
    free(data);
    snprintf(path, sizeof path, "%s/bundle.entry", dir);
    if ((st = vt_read_file(path, VT_DISTRIB_MAX_ENTRY, &data, &len, err)) != VT_OK) {
        if (st == VT_ERR_NOT_FOUND && err)
            err->status = VT_ERR_FORMAT; /* `current` names a ruleset that is not whole */
        return st == VT_ERR_NOT_FOUND ? VT_ERR_FORMAT : st;
    }
    vt_distrib_sha256(data, len, hash);
    st = vt_bundle_entry_parse(data, len, bundle, err);
    free(data);
    return st;
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

/* Verify STEM.proof for the entry bytes against the installed checkpoint. */
static vt_status check_proof(const char *dir, const char *stem, const unsigned char *entry,
                             size_t entry_len, const vt_tlog_verifier *log_key,
                             const vt_tlog_policy *policy, const vt_tlog_checkpoint *cp,
                             uint64_t *index, vt_error *err)
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
    vt_tlog_checkpoint pcp = {0};
    if (st == VT_OK)
        st = vt_tlog_proof_verify(&proof, entry, entry_len, log_key, policy, &pcp, err);
    if (st == VT_OK && (pcp.size != cp->size || memcmp(pcp.root, cp->root, 32) != 0))
        st = vt_error_set(err, VT_ERR_VERIFY, "the proof of %s is for another checkpoint", stem);
    *index = proof.index;
    vt_tlog_checkpoint_clear(&pcp);
    vt_tlog_proof_clear(&proof);
    if (st != VT_OK && err)
        snprintf(err->file, sizeof err->file, "%s/%s", dir, name);
    return st;
}

typedef struct load_run {
    char dir[4300];
    vt_tlog_policy *policy;
    vt_tlog_note *note;
    vt_tlog_checkpoint cp;
    vt_bundle_entry bundle;
    vt_compiler *compiler;
    int found; /* the bundle of the installed ruleset was read */
} load_run;

static vt_status load_checkpoint(load_run *r, const vt_tlog_verifier **log_key, vt_error *err)
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
    if (st == VT_OK)
        st = vt_tlog_note_parse(data, len, &r->note, err);
    free(data);
    if (st == VT_OK)
        st = vt_tlog_checkpoint_parse(r->note->text, r->note->text_len, &r->cp, err);
    if (st != VT_OK)
        return st;
    if (!(*log_key = vt_tlog_policy_log_for(r->policy, r->cp.origin)))
        return vt_error_set(err, VT_ERR_VERIFY, "the installed checkpoint is of a log the policy "
                                                "does not name");
    return vt_tlog_policy_check(r->policy, *log_key, r->note, err);
}

static vt_status load(load_run *r, const char *state_dir, vt_installed *in, vt_error *err)
{
    char state[4096];
    vt_status st;
    if (state_dir)
        snprintf(state, sizeof state, "%s", state_dir);
    else if ((st = vt_distrib_state_dir(state, sizeof state, err)) != VT_OK)
        return st;
    unsigned char bundle_hash[32];
    if ((st = vt_distrib_read_installed_bundle(state, &r->bundle, bundle_hash, r->dir,
                                               sizeof r->dir, err)) != VT_OK)
        return st;
    r->found = 1; /* from here on, a missing file is damage, not "nothing installed" */
    const vt_tlog_verifier *log_key = NULL;
    if ((st = load_checkpoint(r, &log_key, err)) != VT_OK)
        return st;
    unsigned char *data = NULL;
    size_t len;
    if ((st = read_in(r->dir, "bundle.entry", VT_DISTRIB_MAX_ENTRY, &data, &len, err)) == VT_OK)
        st = check_proof(r->dir, "bundle", data, len, log_key, r->policy, &r->cp, &in->bundle_index,
                         err);
    free(data);
    if (st != VT_OK)
        return st;
    in->serial = r->bundle.serial;
    in->tree_size = r->cp.size;
    if (!(in->entries = calloc(r->bundle.rule_count, sizeof *in->entries)))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if ((st = vt_compiler_new(&r->compiler, err)) != VT_OK)
        return st;
    for (size_t k = 0; k < r->bundle.rule_count; k++) {
        const vt_bundle_rule *br = &r->bundle.rules[k];
        vt_installed_entry *e = &in->entries[k];
        char stem[32], name[48];
        snprintf(stem, sizeof stem, "%" PRIu64, br->index);
        snprintf(name, sizeof name, "%s.entry", stem);
        uint64_t index;
        data = NULL;
        if ((st = read_in(r->dir, name, VT_DISTRIB_MAX_ENTRY, &data, &len, err)) == VT_OK)
            st = check_proof(r->dir, stem, data, len, log_key, r->policy, &r->cp, &index, err);
        if (st == VT_OK && index != br->index)
            st = vt_error_set(err, VT_ERR_VERIFY, "the proof of entry %s is for index %" PRIu64,
                              stem, index);
        if (st == VT_OK) {
            vt_distrib_sha256(data, len, e->sha256);
            if (memcmp(e->sha256, br->sha256, 32) != 0)
                st = vt_error_set(err, VT_ERR_VERIFY,
                                  "installed entry %s does not have the hash the bundle names", stem);
        }
        vt_rule_entry rule;
        memset(&rule, 0, sizeof rule);
        if (st == VT_OK)
            st = vt_rule_entry_parse(data, len, &rule, err);
        free(data);
        if (st != VT_OK)
            return st;
        e->index = br->index;
        vt_distrib_hex(e->sha256, e->hex);
        snprintf(e->ns, sizeof e->ns, "log-%" PRIu64, br->index);
        e->name = rule.name;
        rule.name = NULL;
        in->entry_count++;
        st = vt_compiler_add_source(r->compiler, e->ns, e->name, rule.source, rule.source_len, err);
        vt_rule_entry_clear(&rule);
        if (st != VT_OK)
            return st;
    }
    return vt_compiler_finish(r->compiler, &in->rules, err);
}

vt_status vt_installed_load(const char *state_dir, vt_installed **out, vt_error *err)
{
    *out = NULL;
    vt_installed *in = calloc(1, sizeof *in);
    if (!in)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    load_run r;
    memset(&r, 0, sizeof r);
    vt_status st = load(&r, state_dir, in, err);
    vt_tlog_policy_free(r.policy);
    vt_tlog_note_free(r.note);
    vt_tlog_checkpoint_clear(&r.cp);
    vt_bundle_entry_clear(&r.bundle);
    vt_compiler_free(r.compiler);
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
