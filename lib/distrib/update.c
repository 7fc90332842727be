/* update.c: the update client. It reads what is installed (refusing a corrupt installed
 * ruleset), then trusts a ruleset only after checking, in this order: the checkpoint's log
 * signature, the witness quorum of the tlog-policy, the age of the newest cosignature,
 * consistency with the last checkpoint it trusted, the inclusion of the newest bundle, the
 * bundle's serial against the installed one and its engine version, the inclusion of every rule
 * entry the bundle names (and each entry's hash), and that the rules compile (once: the
 * compiled ruleset, matcher included, is installed with the sources and proofs). Every verdict is
 * the trust core's (vitrine/trust.h); this file only fetches, asks and reports, and a fetch
 * that fails is "unavailable", never evidence. Only then does it install (installed.c: a new
 * ruleset directory, the `current` pointer switched atomically) and record the checkpoint as
 * trusted. Then the newest data policy (docs/telemetry.md) is verified the same way (its inclusion
 * in the same checkpoint, its serial against the installed one's by the trust core) and installed
 * beside the ruleset (lib/telemetry/state.c). Messages: docs/distribution.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/distrib.h>
#include <vitrine/telemetry.h>
#include <vitrine/trust.h>

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

/* A fetch that failed: "unavailable", never evidence of anything. */
static vt_status unavailable(const vt_error *fetch_err, vt_error *err)
{
    vt_trust_verdict v;
    vt_trust_unavailable(&v, fetch_err);
    return vt_trust_error(&v, NULL, err);
}

/* Fetch entry `index` of the tree `cp` and its inclusion proof, and check it against the root. */
static vt_status fetch_verified(vt_tlog_reader *reader, distrib_entry_cache *cache,
                                const vt_tlog_checkpoint *cp, uint64_t index, vt_buf *entry,
                                vt_tlog_proof *proof, vt_error *err)
{
    vt_error fetch_err;
    vt_error_clear(&fetch_err);
    size_t n = 0;
    if (index >= cp->size) {
        vt_trust_verdict v;
        vt_trust_inclusion(cp, index, "", 0, NULL, 0, &v);
        return vt_trust_error(&v, "unlogged entry", err);
    }
    if (vt_distrib_cached_entry(reader, cache, cp->size, index, entry, &fetch_err) != VT_OK ||
        vt_tlog_reader_prove_inclusion(reader, cp->size, index, proof->hashes, &n, &fetch_err) !=
            VT_OK)
        return unavailable(&fetch_err, err);
    vt_trust_verdict v;
    if (vt_trust_inclusion(cp, index, entry->data, entry->len,
                           (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof->hashes, n,
                           &v) != VT_TRUST_OK)
        return vt_trust_error(&v, "unlogged entry", err);
    proof->index = index;
    proof->hash_count = n;
    return VT_OK;
}

/* Does the served checkpoint extend the last trusted one? (None yet: trust on first use of the
 * witnessed checkpoint.) */
static vt_status check_consistency(vt_tlog_reader *reader, const char *state,
                                   const vt_tlog_verifier *log_key, const vt_tlog_checkpoint *cp,
                                   vt_error *err)
{
    vt_buf data = {0};
    vt_status st = vt_distrib_read_trusted_checkpoint(state, &data, err);
    if (st == VT_ERR_NOT_FOUND)
        return VT_OK;
    if (st != VT_OK)
        return st;
    vt_trust_verdict v;
    vt_tlog_checkpoint old = {0};
    vt_trust_checkpoint_policy key_only = {.log_key = log_key};
    vt_trust_kind kind = vt_trust_checkpoint(&key_only, data.data, data.len, 0, &old, &v);
    vt_buf_free(&data);
    if (kind == VT_TRUST_WRONG_ORIGIN)
        return vt_error_set(err, VT_ERR_VERIFY, "the log's origin changed: %s", v.reason);
    if (kind != VT_TRUST_OK)
        return vt_error_set(err, VT_ERR_STATE,
                            "the trusted checkpoint in %s is damaged (%s); refusing to update",
                            state, v.reason);
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0;
    vt_error fetch_err;
    vt_error_clear(&fetch_err);
    if (old.size > 0 && cp->size > old.size &&
        vt_tlog_reader_prove_consistency(reader, old.size, cp->size, proof, &n, &fetch_err) !=
            VT_OK) {
        vt_tlog_checkpoint_clear(&old);
        return unavailable(&fetch_err, err);
    }
    vt_trust_extends(&old, cp, (const unsigned char (*)[VT_TLOG_HASH_SIZE])proof, n, &v);
    vt_tlog_checkpoint_clear(&old);
    return vt_trust_error(&v, NULL, err);
}

typedef struct update_run {
    const vt_update_options *o;
    char state[4096];
    vt_tlog_policy *policy;
    vt_tlog_reader *reader;
    vt_tlog_checkpoint cp;
    vt_buf raw_cp, policy_text, bundle_text;
    vt_bundle_entry bundle;
    uint64_t bundle_index;
    vt_buf *rule_texts;
    vt_tlog_proof *rule_proofs;
    vt_tlog_proof bundle_proof;
    distrib_entry_cache cache;
    vt_trust_bundle installed; /* when has_installed */
    int has_installed;
    char old_dir[4300];        /* the installed ruleset directory, removed once replaced */
    int is_new;                /* the log's bundle is not the installed one */
} update_run;

static vt_status verify_checkpoint(update_run *r, const vt_tlog_verifier **log_key, vt_error *err)
{
    vt_error fetch_err;
    vt_error_clear(&fetch_err);
    if (vt_tlog_reader_fetch(r->reader, "checkpoint", VT_TLOG_MAX_NOTE, &r->raw_cp, &fetch_err) !=
        VT_OK)
        return unavailable(&fetch_err, err);
    vt_trust_checkpoint_policy policy = {.policy = r->policy, .max_age = r->o->max_age};
    uint64_t now = r->o->now ? r->o->now : (uint64_t)time(NULL);
    vt_trust_verdict v;
    if (vt_trust_checkpoint(&policy, r->raw_cp.data, r->raw_cp.len, now, &r->cp, &v) !=
        VT_TRUST_OK)
        return vt_trust_error(&v, NULL, err);
    *log_key = vt_tlog_policy_log_for(r->policy, r->cp.origin);
    return VT_OK;
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
    /* May it replace the installed one (serial, engine version)? Decided before fetching more. */
    vt_trust_bundle candidate = {.serial = r->bundle.serial, .min_engine = r->bundle.min_engine};
    vt_distrib_sha256(r->bundle_text.data, r->bundle_text.len, candidate.sha256);
    vt_trust_verdict v;
    if (vt_trust_may_replace(r->has_installed ? &r->installed : NULL, &candidate, vt_version(),
                             &r->is_new, &v) != VT_TRUST_OK)
        return vt_trust_error(&v, NULL, err);
    r->rule_texts = calloc(r->bundle.rule_count, sizeof *r->rule_texts);
    r->rule_proofs = calloc(r->bundle.rule_count, sizeof *r->rule_proofs);
    if (!r->rule_texts || !r->rule_proofs)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    distrib_namespace ns = {0};
    for (size_t k = 0; k < r->bundle.rule_count; k++) {
        const vt_bundle_rule *br = &r->bundle.rules[k];
        if ((st = fetch_verified(r->reader, &r->cache, &r->cp, br->index, &r->rule_texts[k],
                                 &r->rule_proofs[k], err)))
            return st;
        if (vt_trust_bundle_entry(r->bundle_index, br->index, br->sha256, r->rule_texts[k].data,
                                  r->rule_texts[k].len, &v) != VT_TRUST_OK)
            return vt_trust_error(&v, "unlogged entry", err);
        if ((st = vt_distrib_add_rule_entry(compiler, &ns, br->index, r->rule_texts[k].data,
                                         r->rule_texts[k].len, NULL, err)) != VT_OK)
            return st;
    }
    return VT_OK;
}

/* Read what is installed now: nothing, or a bundle whose serial and hash the candidate is
 * checked against. A corrupt installed ruleset is refused: it would skip the rollback check. */
static vt_status read_installed(update_run *r, vt_error *err)
{
    vt_bundle_entry installed = {0};
    vt_error why;
    vt_error_clear(&why);
    vt_status st = vt_distrib_read_installed_bundle(r->state, &installed, r->installed.sha256,
                                                 r->old_dir, sizeof r->old_dir, &why);
    if (st == VT_ERR_NOT_FOUND) {
        r->old_dir[0] = 0;
        return VT_OK;
    }
    if (st != VT_OK) {
        char text[900];
        vt_error_format(&why, text, sizeof text);
        return vt_error_set(err, VT_ERR_STATE,
                            "the installed ruleset in %s is corrupt (%s); refusing to update, since "
                            "the rollback check needs the installed serial: repair it, or remove "
                            "%s/current to install from scratch",
                            r->state, text, r->state);
    }
    r->installed.serial = installed.serial;
    r->has_installed = 1;
    vt_bundle_entry_clear(&installed);
    return VT_OK;
}

/* The newest data-policy entry of the verified tree (the last one among its last
 * VT_DISTRIB_BUNDLE_SEARCH entries, each fetched with its inclusion proof), installed when its
 * serial is above the installed policy's. Problems go to result->policy_problem, never to the
 * ruleset's status. */
static void update_data_policy(update_run *r, vt_update_result *result)
{
    vt_error err;
    vt_error_clear(&err);
    vt_buf entry = {0};
    vt_tlog_proof proof;
    memset(&proof, 0, sizeof proof);
    vt_status st = VT_ERR_NOT_FOUND;
    uint64_t index = 0;
    for (uint64_t seen = 0; seen < r->cp.size && seen < VT_DISTRIB_BUNDLE_SEARCH; seen++) {
        index = r->cp.size - 1 - seen;
        if ((st = fetch_verified(r->reader, &r->cache, &r->cp, index, &entry, &proof, &err)))
            break;
        st = VT_ERR_NOT_FOUND;
        if (vt_entry_kind_of(entry.data, entry.len) == VT_ENTRY_DATA_POLICY) {
            st = VT_OK;
            break;
        }
    }
    vt_data_policy_entry policy = {0};
    vt_telemetry_state *installed = NULL;
    if (st == VT_OK) {
        result->policy_found = 1;
        result->policy_index = index;
        st = vt_data_policy_entry_parse(entry.data, entry.len, &policy, &err);
    }
    if (st == VT_OK) {
        result->policy_serial = policy.serial;
        vt_error ignored;
        vt_trust_bundle candidate = {.serial = policy.serial}, current = {0};
        vt_distrib_sha256(entry.data, entry.len, candidate.sha256);
        if (vt_telemetry_state_load(r->state, &installed, &ignored) == VT_OK) {
            current.serial = installed->policy.serial;
            memcpy(current.sha256, installed->sha256, 32);
        }
        int is_new = 1;
        vt_trust_verdict v;
        if (vt_trust_may_replace(installed ? &current : NULL, &candidate, vt_version(), &is_new,
                                 &v) != VT_TRUST_OK) {
            result->policy_evidence = vt_trust_is_evidence(v.kind);
            st = vt_trust_error(&v, "data policy", &err);
        } else if (is_new) {
            proof.checkpoint = r->raw_cp.data;
            proof.checkpoint_len = r->raw_cp.len;
            st = vt_telemetry_install_policy(r->state, index, entry.data, entry.len, &proof,
                                             r->policy_text.data, r->policy_text.len, &err);
            proof.checkpoint = NULL;
            proof.checkpoint_len = 0;
            result->policy_installed = st == VT_OK;
        }
    }
    if (st != VT_OK && st != VT_ERR_NOT_FOUND) {
        char text[sizeof result->policy_problem];
        vt_error_format(&err, text, sizeof text);
        snprintf(result->policy_problem, sizeof result->policy_problem, "%s", text);
    }
    vt_telemetry_state_free(installed);
    vt_data_policy_entry_clear(&policy);
    vt_buf_free(&entry);
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
    if ((st = read_installed(r, err)) != VT_OK)
        return st;
    vt_tlog_http_options http = {.deadline_ms = o->deadline_seconds * 1000u};
    if ((st = vt_tlog_reader_open_with(o->from, &http, &r->reader, err)) != VT_OK)
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
    result->installed = r->is_new;
    if (st == VT_OK && r->is_new)
        st = vt_distrib_finish_compiled(compiler, &rules, err); /* compiled once, installed */
    vt_compiler_free(compiler);
    if (st == VT_OK && r->is_new) {
        distrib_install_entry *entries = calloc(r->bundle.rule_count + 1, sizeof *entries);
        if (!entries) {
            vt_ruleset_free(rules);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        r->bundle_proof.index = r->bundle_index;
        entries[0] = (distrib_install_entry){UINT64_MAX, &r->bundle_text, &r->bundle_proof};
        for (size_t k = 0; k < r->bundle.rule_count; k++)
            entries[k + 1] = (distrib_install_entry){r->bundle.rules[k].index, &r->rule_texts[k],
                                                     &r->rule_proofs[k]};
        st = vt_distrib_install(r->state, &r->policy_text, &r->raw_cp, entries,
                             r->bundle.rule_count + 1, rules, r->old_dir, err);
        free(entries);
    }
    vt_ruleset_free(rules);
    if (st == VT_OK)
        st = vt_distrib_write_trusted_checkpoint(r->state, &r->raw_cp, err);
    if (st == VT_OK)
        update_data_policy(r, result);
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
