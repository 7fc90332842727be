/* update.c: the update client. It trusts a ruleset only after checking, in this order: the
 * checkpoint's log signature, the witness quorum of the tlog-policy, the age of the newest
 * cosignature, consistency with the last checkpoint it trusted, the inclusion of the newest
 * bundle and of every rule entry the bundle names (and each entry's hash), the bundle's serial
 * against the installed one, and that the rules compile. Only then does it write a new ruleset
 * directory (entries, proofs, checkpoint, policy), switch the `current` pointer to it atomically
 * and record the checkpoint as trusted. Layout and messages: docs/distribution.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/distrib.h>

#include "distrib_internal.h"

vt_status vt_distrib_mkdirs(const char *path, vt_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return vt_error_set(err, VT_ERR_LIMIT, "path too long");
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char saved = *p;
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", tmp);
            *p = saved;
            if (!saved)
                break;
        }
    }
    return VT_OK;
}

/* Fetch entry `index` of the tree `cp` and check its inclusion against the signed root. */
static vt_status fetch_verified(vt_tlog_reader *reader, distrib_entry_cache *cache,
                                const vt_tlog_checkpoint *cp, uint64_t index, vt_buf *entry,
                                vt_tlog_proof *proof, vt_error *err)
{
    vt_status st = vt_distrib_cached_entry(reader, cache, cp->size, index, entry, err);
    unsigned char leaf[VT_TLOG_HASH_SIZE];
    size_t n = 0;
    if (st == VT_OK)
        st = vt_tlog_leaf_hash(entry->data, entry->len, leaf);
    if (st == VT_OK)
        st = vt_tlog_reader_prove_inclusion(reader, cp->size, index, proof->hashes, &n, err);
    if (st == VT_OK)
        st = vt_tlog_verify_inclusion(index, cp->size, leaf, sizeof leaf, proof->hashes, n,
                                      cp->root, sizeof cp->root, err);
    if (st == VT_ERR_NETWORK || st == VT_ERR_IO || st == VT_ERR_NOMEM)
        return st; /* could not fetch: not evidence of anything */
    if (st != VT_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", err ? err->message : "");
        return vt_error_set(err, VT_ERR_VERIFY,
                            "unlogged entry: entry %" PRIu64 " as served does not match the signed "
                            "tree of size %" PRIu64 " (altered on the server?): %s",
                            index, cp->size, why);
    }
    proof->index = index;
    proof->hash_count = n;
    return VT_OK;
}

static vt_status stage_file(const char *dir, const char *name, const void *data, size_t len,
                            vt_error *err)
{
    char path[4300];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return vt_error_set(err, VT_ERR_LIMIT, "path too long");
    return vt_write_file_atomic(path, data, len, 0644, err);
}

static vt_status stage_entry(const char *dir, const char *stem, const vt_buf *entry,
                             vt_tlog_proof *proof, const vt_buf *raw_cp, vt_error *err)
{
    char name[64];
    vt_buf text = {0};
    proof->checkpoint = raw_cp->data;
    proof->checkpoint_len = raw_cp->len;
    snprintf(name, sizeof name, "%s.entry", stem);
    vt_status st = stage_file(dir, name, entry->data, entry->len, err);
    if (st == VT_OK)
        st = vt_tlog_proof_format(proof, &text, err);
    snprintf(name, sizeof name, "%s.proof", stem);
    if (st == VT_OK)
        st = stage_file(dir, name, text.data, text.len, err);
    proof->checkpoint = NULL;
    proof->checkpoint_len = 0;
    vt_buf_free(&text);
    return st;
}

static vt_status check_freshness(const vt_tlog_policy *policy, const vt_tlog_note *note,
                                 uint64_t now, uint64_t max_age, vt_error *err)
{
    uint64_t newest = 0;
    for (size_t i = 0; i < vt_tlog_policy_witness_count(policy); i++) {
        uint64_t ts = 0;
        if (vt_tlog_note_verify(note, vt_tlog_policy_witness(policy, i), &ts, NULL) == VT_OK &&
            ts > newest)
            newest = ts;
    }
    if (vt_tlog_policy_witness_count(policy) == 0)
        return VT_OK; /* a policy without witnesses has no cosignature time to bound */
    if (newest + max_age < now)
        return vt_error_set(err, VT_ERR_VERIFY,
                            "stale checkpoint (possible freeze): the newest cosignature is %" PRIu64
                            " s old, more than the allowed %" PRIu64 " s",
                            now - newest, max_age);
    return VT_OK;
}

/* Consistency of the served checkpoint with the last trusted one. */
static vt_status check_consistency(vt_tlog_reader *reader, const char *state,
                                   const vt_tlog_verifier *log_key, const vt_tlog_checkpoint *cp,
                                   vt_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/trusted-checkpoint", state);
    unsigned char *data = NULL;
    size_t len;
    if (access(path, F_OK) != 0)
        return VT_OK; /* first use: trust on first use of the witnessed checkpoint */
    vt_status st = vt_read_file(path, VT_TLOG_MAX_NOTE, &data, &len, err);
    vt_tlog_checkpoint old = {0};
    if (st == VT_OK)
        st = vt_tlog_checkpoint_open(data, len, log_key, &old, NULL, err);
    free(data);
    if (st != VT_OK)
        return st;
    if (strcmp(old.origin, cp->origin) != 0)
        st = vt_error_set(err, VT_ERR_VERIFY, "the log's origin changed from %s to %s", old.origin,
                          cp->origin);
    else if (cp->size < old.size)
        st = vt_error_set(err, VT_ERR_VERIFY,
                          "rollback: the log's checkpoint has size %" PRIu64
                          ", smaller than the last trusted checkpoint's %" PRIu64,
                          cp->size, old.size);
    else if (cp->size == old.size && memcmp(cp->root, old.root, VT_TLOG_HASH_SIZE) != 0)
        st = vt_error_set(err, VT_ERR_VERIFY,
                          "inconsistent log (fork or split view): the checkpoint of size %" PRIu64
                          " has a different root than the trusted one of the same size",
                          cp->size);
    else if (cp->size > old.size && old.size > 0) {
        unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
        size_t n = 0;
        st = vt_tlog_reader_prove_consistency(reader, old.size, cp->size, proof, &n, err);
        if (st == VT_OK)
            st = vt_tlog_verify_consistency(old.size, cp->size, proof, n, old.root,
                                            sizeof old.root, cp->root, sizeof cp->root, err);
        if (st != VT_OK)
            st = vt_error_set(err, VT_ERR_VERIFY,
                              "inconsistent log (fork or split view): no valid consistency proof "
                              "from the trusted size %" PRIu64 " to %" PRIu64,
                              old.size, cp->size);
    }
    vt_tlog_checkpoint_clear(&old);
    return st;
}

typedef struct update_run {
    const vt_update_options *o;
    char state[4096];
    vt_tlog_policy *policy;
    vt_tlog_reader *reader;
    vt_tlog_note *note;
    vt_tlog_checkpoint cp;
    vt_buf raw_cp, policy_text, bundle_text;
    vt_bundle_entry bundle;
    uint64_t bundle_index;
    vt_buf *rule_texts;
    vt_tlog_proof *rule_proofs;
    vt_tlog_proof bundle_proof;
    distrib_entry_cache cache;
} update_run;

static vt_status verify_checkpoint(update_run *r, const vt_tlog_verifier **log_key, vt_error *err)
{
    vt_status st = vt_tlog_reader_fetch(r->reader, "checkpoint", VT_TLOG_MAX_NOTE, &r->raw_cp, err);
    if (st == VT_OK)
        st = vt_tlog_note_parse(r->raw_cp.data, r->raw_cp.len, &r->note, err);
    if (st == VT_OK)
        st = vt_tlog_checkpoint_parse(r->note->text, r->note->text_len, &r->cp, err);
    if (st != VT_OK)
        return st;
    if (!(*log_key = vt_tlog_policy_log_for(r->policy, r->cp.origin)))
        return vt_error_set(err, VT_ERR_VERIFY, "the checkpoint is of log '%s', which the policy "
                                                "does not name", r->cp.origin);
    if ((st = vt_tlog_note_verify(r->note, *log_key, NULL, err)) != VT_OK)
        return vt_error_set(err, VT_ERR_VERIFY, "the checkpoint is not signed by the log key of "
                                                "%s", r->cp.origin);
    if ((st = vt_tlog_policy_check(r->policy, *log_key, r->note, err)) != VT_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", err ? err->message : "");
        return vt_error_set(err, VT_ERR_VERIFY,
                            "checkpoint without the witness quorum of the policy (a view no "
                            "witness vouched for): %s", why);
    }
    uint64_t now = r->o->now ? r->o->now : (uint64_t)time(NULL);
    return check_freshness(r->policy, r->note, now, r->o->max_age, err);
}

static vt_status verify_bundle(update_run *r, vt_compiler *compiler, vt_error *err)
{
    /* The newest bundle: the last bundle entry; every entry looked at is checked. */
    vt_status st = VT_ERR_NOT_FOUND;
    for (uint64_t seen = 0; seen < r->cp.size && seen < VT_DISTRIB_BUNDLE_SEARCH; seen++) {
        uint64_t i = r->cp.size - 1 - seen;
        if ((st = fetch_verified(r->reader, &r->cache, &r->cp, i, &r->bundle_text,
                                 &r->bundle_proof, err)))
            return st;
        if (vt_entry_kind_of(r->bundle_text.data, r->bundle_text.len) == VT_ENTRY_BUNDLE) {
            r->bundle_index = i;
            st = VT_OK;
            break;
        }
        st = VT_ERR_NOT_FOUND;
    }
    if (st != VT_OK)
        return vt_error_set(err, VT_ERR_NOT_FOUND, "the log holds no bundle entry");
    if ((st = vt_bundle_entry_parse(r->bundle_text.data, r->bundle_text.len, &r->bundle, err)))
        return st;
    int cmp;
    if ((st = vt_distrib_version_compare(r->bundle.min_engine, vt_version(), &cmp, err)))
        return st;
    if (cmp > 0)
        return vt_error_set(err, VT_ERR_STATE, "the bundle needs vitrine %s or newer (this is %s)",
                            r->bundle.min_engine, vt_version());
    r->rule_texts = calloc(r->bundle.rule_count, sizeof *r->rule_texts);
    r->rule_proofs = calloc(r->bundle.rule_count, sizeof *r->rule_proofs);
    if (!r->rule_texts || !r->rule_proofs)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < r->bundle.rule_count; k++) {
        const vt_bundle_rule *br = &r->bundle.rules[k];
        if (br->index >= r->bundle_index)
            return vt_error_set(err, VT_ERR_VERIFY,
                                "unlogged entry: the bundle at %" PRIu64 " names entry %" PRIu64
                                ", which is not before it in the log",
                                r->bundle_index, br->index);
        if ((st = fetch_verified(r->reader, &r->cache, &r->cp, br->index, &r->rule_texts[k],
                                 &r->rule_proofs[k], err)))
            return st;
        unsigned char hash[32];
        vt_distrib_sha256(r->rule_texts[k].data, r->rule_texts[k].len, hash);
        if (memcmp(hash, br->sha256, 32) != 0)
            return vt_error_set(err, VT_ERR_VERIFY,
                                "unlogged entry: the bundle names entry %" PRIu64
                                " with a hash the logged entry does not have",
                                br->index);
        vt_rule_entry rule;
        if ((st = vt_rule_entry_parse(r->rule_texts[k].data, r->rule_texts[k].len, &rule, err)))
            return st;
        char ns[32];
        snprintf(ns, sizeof ns, "log-%" PRIu64, br->index);
        st = vt_compiler_add_source(compiler, ns, rule.name, rule.source, rule.source_len, err);
        vt_rule_entry_clear(&rule);
        if (st != VT_OK)
            return st;
    }
    return VT_OK;
}

static vt_status install(update_run *r, const char *old_dir, vt_error *err)
{
    char tmpl[4300];
    snprintf(tmpl, sizeof tmpl, "%s/ruleset.XXXXXX", r->state);
    if (!mkdtemp(tmpl))
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create a directory in %s", r->state);
    vt_status st = stage_file(tmpl, "policy", r->policy_text.data, r->policy_text.len, err);
    if (st == VT_OK)
        st = stage_file(tmpl, "checkpoint", r->raw_cp.data, r->raw_cp.len, err);
    r->bundle_proof.index = r->bundle_index;
    if (st == VT_OK)
        st = stage_entry(tmpl, "bundle", &r->bundle_text, &r->bundle_proof, &r->raw_cp, err);
    for (size_t k = 0; k < r->bundle.rule_count && st == VT_OK; k++) {
        char stem[32];
        snprintf(stem, sizeof stem, "%" PRIu64, r->bundle.rules[k].index);
        st = stage_entry(tmpl, stem, &r->rule_texts[k], &r->rule_proofs[k], &r->raw_cp, err);
    }
    if (st == VT_OK)
        st = vt_fsync_dir(tmpl, err);
    const char *base = strrchr(tmpl, '/') + 1;
    char pointer[4400], line[300];
    snprintf(pointer, sizeof pointer, "%s/current", r->state);
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

static vt_status record_trusted(update_run *r, vt_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/trusted-checkpoint", r->state);
    return vt_write_file_atomic(path, r->raw_cp.data, r->raw_cp.len, 0644, err);
}

static vt_status run_update(update_run *r, vt_update_result *result, vt_error *err)
{
    const vt_update_options *o = r->o;
    vt_status st;
    if (o->state_dir)
        snprintf(r->state, sizeof r->state, "%s", o->state_dir);
    else if ((st = vt_distrib_state_dir(r->state, sizeof r->state, err)) != VT_OK)
        return st;
    unsigned char *data = NULL;
    size_t len;
    if ((st = vt_read_file(o->policy_path, VT_TLOG_MAX_POLICY, &data, &len, err)) != VT_OK)
        return st;
    st = vt_buf_append(&r->policy_text, data, len);
    free(data);
    if (st != VT_OK ||
        (st = vt_tlog_policy_parse((char *)r->policy_text.data, r->policy_text.len, &r->policy,
                                   err)) != VT_OK) {
        if (err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%s", o->policy_path);
        return st;
    }
    if ((st = vt_tlog_reader_open(o->from, &r->reader, err)) != VT_OK)
        return st;
    const vt_tlog_verifier *log_key = NULL;
    if ((st = verify_checkpoint(r, &log_key, err)) != VT_OK ||
        (st = vt_distrib_mkdirs(r->state, err)) != VT_OK ||
        (st = check_consistency(r->reader, r->state, log_key, &r->cp, err)) != VT_OK)
        return st;
    vt_compiler *compiler = NULL;
    if ((st = vt_compiler_new(&compiler, err)) != VT_OK)
        return st;
    vt_ruleset *rules = NULL;
    st = verify_bundle(r, compiler, err);
    vt_bundle_entry installed = {0};
    unsigned char installed_hash[32], hash[32];
    char old_dir[4300] = "";
    if (st == VT_OK) {
        vt_error ignored;
        vt_status ist = vt_distrib_read_installed_bundle(r->state, &installed, installed_hash,
                                                      old_dir, sizeof old_dir, &ignored);
        if (ist != VT_OK)
            old_dir[0] = 0;
        vt_distrib_sha256(r->bundle_text.data, r->bundle_text.len, hash);
        if (ist == VT_OK && r->bundle.serial < installed.serial)
            st = vt_error_set(err, VT_ERR_VERIFY,
                              "rollback: the log's newest bundle has serial %" PRIu64
                              ", lower than the installed %" PRIu64,
                              r->bundle.serial, installed.serial);
        else if (ist == VT_OK && r->bundle.serial == installed.serial &&
                 memcmp(hash, installed_hash, 32) != 0)
            st = vt_error_set(err, VT_ERR_VERIFY,
                              "rollback: the log's newest bundle reuses the installed serial %" PRIu64
                              " with different content",
                              installed.serial);
        else if (ist == VT_OK && r->bundle.serial == installed.serial)
            result->installed = 0;
        else
            result->installed = 1;
    }
    if (st == VT_OK && result->installed)
        st = vt_compiler_finish(compiler, &rules, err);
    vt_compiler_free(compiler);
    vt_ruleset_free(rules);
    vt_bundle_entry_clear(&installed);
    if (st == VT_OK && result->installed)
        st = install(r, old_dir, err);
    if (st == VT_OK)
        st = record_trusted(r, err);
    result->serial = r->bundle.serial;
    result->bundle_index = r->bundle_index;
    result->tree_size = r->cp.size;
    result->rule_entries = r->bundle.rule_count;
    return st;
}

vt_status vt_update(const vt_update_options *options, vt_update_result *result, vt_error *err)
{
    update_run r = {.o = options};
    memset(result, 0, sizeof *result);
    vt_status st = run_update(&r, result, err);
    vt_tlog_policy_free(r.policy);
    vt_tlog_reader_close(r.reader);
    vt_tlog_note_free(r.note);
    vt_tlog_checkpoint_clear(&r.cp);
    vt_buf_free(&r.raw_cp);
    vt_buf_free(&r.policy_text);
    vt_buf_free(&r.bundle_text);
    vt_buf_free(&r.cache.data);
    for (size_t k = 0; r.rule_texts && k < r.bundle.rule_count; k++)
        vt_buf_free(&r.rule_texts[k]);
    free(r.rule_texts);
    free(r.rule_proofs);
    vt_bundle_entry_clear(&r.bundle);
    return st;
}
