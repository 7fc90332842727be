/* publish.c: publishing rule files to a log directory. The files are compiled together first
 * (each in its own namespace, as the update client will compile them), so nothing broken is ever
 * logged; then the rule entries and the bundle naming them are appended in one batch, which the
 * writer makes durable and publishes atomically: either all of them are in the log or none. A
 * file too large for one log entry is split by rule into several entries ("part K"). A data
 * policy (docs/telemetry.md) is logged as one entry whose serial must exceed the newest one's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vitrine/distrib.h>

#include "distrib_internal.h"

vt_status vt_distrib_find_bundle(vt_tlog_reader *reader, uint64_t size, uint64_t *index,
                                 vt_buf *entry, vt_error *err)
{
    for (uint64_t seen = 0; seen < size && seen < VT_DISTRIB_BUNDLE_SEARCH; seen++) {
        uint64_t i = size - 1 - seen;
        entry->len = 0;
        vt_status st = vt_tlog_reader_entry(reader, size, i, entry, err);
        if (st != VT_OK)
            return st;
        if (vt_entry_kind_of(entry->data, entry->len) == VT_ENTRY_BUNDLE) {
            *index = i;
            return VT_OK;
        }
    }
    return vt_error_set(err, VT_ERR_NOT_FOUND, "no bundle entry in the last %u entries of the log",
                        VT_DISTRIB_BUNDLE_SEARCH);
}

vt_status vt_distrib_find_data_policy(vt_tlog_reader *reader, uint64_t size, uint64_t max_search,
                                      uint64_t *index, vt_buf *entry, vt_error *err)
{
    for (uint64_t seen = 0; seen < size && (max_search == 0 || seen < max_search); seen++) {
        uint64_t i = size - 1 - seen;
        entry->len = 0;
        vt_status st = vt_tlog_reader_entry(reader, size, i, entry, err);
        if (st != VT_OK)
            return st;
        if (vt_entry_kind_of(entry->data, entry->len) == VT_ENTRY_DATA_POLICY) {
            *index = i;
            return VT_OK;
        }
    }
    return vt_error_set(err, VT_ERR_NOT_FOUND, "no data-policy entry in the log");
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static vt_status compile_all(const char *const *paths, size_t count, vt_error *err)
{
    vt_compiler *compiler = NULL;
    vt_status st = vt_compiler_new(&compiler, err);
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        char ns[32];
        snprintf(ns, sizeof ns, "file-%zu", i);
        st = vt_compiler_add_file(compiler, ns, paths[i], err);
    }
    vt_ruleset *rules = NULL;
    if (st == VT_OK)
        st = vt_compiler_finish(compiler, &rules, err);
    vt_ruleset_free(rules);
    vt_compiler_free(compiler);
    return st;
}

/* The entries compiled as the update client will compile them (vt_distrib_add_rule_entry): a
 * split file's pieces in one namespace. */
static vt_status compile_entries(const vt_buf *texts, size_t n, vt_error *err)
{
    vt_compiler *compiler = NULL;
    vt_status st = vt_compiler_new(&compiler, err);
    distrib_namespace ns = {0};
    for (size_t i = 0; i < n && st == VT_OK; i++)
        st = vt_distrib_add_rule_entry(compiler, &ns, i, texts[i].data, texts[i].len, NULL, err);
    vt_ruleset *rules = NULL;
    if (st == VT_OK)
        st = vt_compiler_finish(compiler, &rules, err);
    vt_ruleset_free(rules);
    vt_compiler_free(compiler);
    return st;
}

static vt_status previous_serial(const char *dir, uint64_t size, uint64_t *serial, vt_error *err)
{
    *serial = 0;
    if (size == 0)
        return VT_OK;
    vt_tlog_reader *reader = NULL;
    vt_status st = vt_tlog_reader_open(dir, &reader, err);
    if (st != VT_OK)
        return st;
    vt_buf entry = {0};
    uint64_t index;
    st = vt_distrib_find_bundle(reader, size, &index, &entry, err);
    if (st == VT_OK) {
        vt_bundle_entry bundle;
        st = vt_bundle_entry_parse(entry.data, entry.len, &bundle, err);
        if (st == VT_OK)
            *serial = bundle.serial;
        vt_bundle_entry_clear(&bundle);
    } else if (st == VT_ERR_NOT_FOUND) {
        vt_error_clear(err);
        st = VT_OK;
    }
    vt_buf_free(&entry);
    vt_tlog_reader_close(reader);
    return st;
}

/* The rule entries of one file: one entry, or, when the file does not fit one log entry, one
 * per piece of vt_rules_split_source ("part 2", "part 3"... after the first), appended to texts
 * (*n entries so far, grown as needed). */
static vt_status file_entries(const char *path, vt_rule_entry *rule, vt_buf **texts, size_t *n,
                              size_t *cap, vt_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    vt_status st = vt_read_file(path, VT_DISTRIB_MAX_FILE, &data, &len, err);
    if (st == VT_ERR_LIMIT)
        st = vt_error_at(err, VT_ERR_LIMIT, path, 0, 0, "rule file larger than %u bytes",
                         VT_DISTRIB_MAX_FILE);
    if (st != VT_OK)
        return st;
    rule->name = (char *)base_name(path);
    /* the header of this file's entries, to know how much source one entry can hold */
    vt_buf header = {0};
    rule->source = "x";
    rule->source_len = 1;
    rule->part = VT_DISTRIB_MAX_RULES;
    st = vt_rule_entry_format(rule, &header, err);
    size_t room = st == VT_OK ? VT_DISTRIB_MAX_ENTRY - (header.len - 1) : 0;
    vt_buf_free(&header);
    vt_source_piece whole = {(char *)data, len}, *pieces = &whole;
    size_t count = 1;
    if (st == VT_OK && len > room) {
        st = vt_rules_split_source(path, (const char *)data, len, room, &pieces, &count, err);
        if (st == VT_ERR_LIMIT && err)
            snprintf(err->message + strlen(err->message),
                     sizeof err->message - strlen(err->message),
                     "; rule file too large for one log entry even split by rule");
    }
    for (size_t k = 0; k < count && st == VT_OK; k++) {
        if (*n + 1 > VT_DISTRIB_MAX_RULES) {
            st = vt_error_set(err, VT_ERR_LIMIT, "more than %u rule entries in one bundle",
                              VT_DISTRIB_MAX_RULES);
            break;
        }
        if (*n == *cap) {
            size_t grown_cap = *cap ? *cap * 2 : 64;
            vt_buf *grown = realloc(*texts, grown_cap * sizeof *grown);
            if (!grown) {
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
                break;
            }
            memset(grown + *cap, 0, (grown_cap - *cap) * sizeof *grown);
            *texts = grown;
            *cap = grown_cap;
        }
        rule->source = pieces[k].text;
        rule->source_len = pieces[k].len;
        rule->part = count > 1 ? k + 1 : 0;
        st = vt_rule_entry_format(rule, &(*texts)[*n], err);
        if (st == VT_OK)
            (*n)++;
        else if (err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%s", path);
    }
    if (pieces != &whole)
        vt_source_pieces_free(pieces, count);
    free(data);
    return st;
}

vt_status vt_publish(const char *dir, const vt_tlog_signer *key, const char *const *paths,
                     size_t count, const vt_publish_options *options, uint64_t *bundle_index,
                     uint64_t *serial, size_t *rule_entries, vt_error *err)
{
    if (count == 0 || count > VT_DISTRIB_MAX_RULES)
        return vt_error_set(err, VT_ERR_ARGUMENT, "give 1 to %u rule files", VT_DISTRIB_MAX_RULES);
    vt_status st = compile_all(paths, count, err);
    if (st != VT_OK)
        return st;
    char today[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    const char *user = getenv("USER");
    vt_rule_entry rule = {
        .author = (char *)(options && options->author ? options->author
                                                      : user && *user ? user : "unknown"),
        .reason = (char *)(options && options->reason ? options->reason : "ruleset update"),
        .date = (char *)(options && options->date ? options->date : today),
        .references = (char **)(options ? options->references : NULL),
        .reference_count = options ? options->reference_count : 0,
    };
    vt_buf *texts = NULL;
    size_t n = 0, cap = 0;
    vt_tlog_entry *entries = NULL;
    vt_bundle_entry bundle = {0};
    vt_tlog_writer *writer = NULL;
    for (size_t i = 0; i < count && st == VT_OK; i++)
        st = file_entries(paths[i], &rule, &texts, &n, &cap, err);
    if (st == VT_OK)
        st = compile_entries(texts, n, err);
    if (st != VT_OK)
        goto done;
    entries = calloc(n + 1, sizeof *entries);
    bundle.rules = calloc(n, sizeof *bundle.rules);
    bundle.rule_count = n;
    vt_buf bundle_text = {0};
    if (!entries || !bundle.rules) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(bundle.min_engine, sizeof bundle.min_engine, "%s", vt_version());
    st = vt_tlog_writer_open(dir, key, &writer, err);
    if (st != VT_OK)
        goto done;
    uint64_t first = vt_tlog_writer_size(writer), prev = 0;
    if ((st = previous_serial(dir, first, &prev, err)) != VT_OK)
        goto done;
    bundle.serial = prev + 1;
    for (size_t i = 0; i < n; i++) {
        bundle.rules[i].index = first + i;
        vt_distrib_sha256(texts[i].data, texts[i].len, bundle.rules[i].sha256);
        entries[i].data = texts[i].data;
        entries[i].len = texts[i].len;
    }
    if ((st = vt_bundle_entry_format(&bundle, &bundle_text, err)) != VT_OK)
        goto done;
    entries[n].data = bundle_text.data;
    entries[n].len = bundle_text.len;
    uint64_t at;
    st = vt_tlog_writer_append(writer, entries, n + 1, &at, err);
    vt_buf_free(&bundle_text);
    if (st != VT_OK)
        goto done;
    *bundle_index = at + n;
    *serial = bundle.serial;
    if (rule_entries)
        *rule_entries = n;
done:
    vt_tlog_writer_close(writer);
    for (size_t i = 0; i < n; i++)
        vt_buf_free(&texts[i]);
    free(texts);
    free(entries);
    vt_bundle_entry_clear(&bundle);
    return st;
}

vt_status vt_publish_data_policy(const char *dir, const vt_tlog_signer *key, const char *path,
                                 uint64_t *index, uint64_t *serial, vt_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    vt_status st = vt_read_file(path, VT_DISTRIB_MAX_ENTRY, &data, &len, err);
    if (st == VT_ERR_LIMIT)
        st = vt_error_at(err, VT_ERR_LIMIT, path, 0, 0,
                         "a data policy is one log entry: at most %u bytes", VT_DISTRIB_MAX_ENTRY);
    if (st != VT_OK)
        return st;
    vt_data_policy_entry policy, newest = {0};
    if ((st = vt_data_policy_entry_parse(data, len, &policy, err)) != VT_OK) {
        if (err)
            snprintf(err->file, sizeof err->file, "%s", path);
        free(data);
        return st;
    }
    vt_tlog_writer *writer = NULL;
    vt_tlog_reader *reader = NULL;
    vt_buf entry = {0};
    uint64_t size = 0, newest_index = 0;
    if ((st = vt_tlog_writer_open(dir, key, &writer, err)) != VT_OK)
        goto done;
    size = vt_tlog_writer_size(writer);
    if (size > 0) {
        if ((st = vt_tlog_reader_open(dir, &reader, err)) != VT_OK)
            goto done;
        st = vt_distrib_find_data_policy(reader, size, 0, &newest_index, &entry, err);
        if (st == VT_ERR_NOT_FOUND) {
            vt_error_clear(err);
            st = VT_OK;
        } else if (st == VT_OK) {
            if ((st = vt_data_policy_entry_parse(entry.data, entry.len, &newest, err)) != VT_OK)
                goto done;
            if (policy.serial <= newest.serial) {
                st = vt_error_at(err, VT_ERR_STATE, path, 2, 0,
                                 "serial %" PRIu64 " is not larger than serial %" PRIu64
                                 " of the newest logged data policy (log index %" PRIu64 ")",
                                 policy.serial, newest.serial, newest_index);
                goto done;
            }
        }
        if (st != VT_OK)
            goto done;
    }
    vt_tlog_entry one = {.data = data, .len = len};
    uint64_t at;
    if ((st = vt_tlog_writer_append(writer, &one, 1, &at, err)) != VT_OK)
        goto done;
    *index = at;
    *serial = policy.serial;
done:
    vt_tlog_reader_close(reader);
    vt_tlog_writer_close(writer);
    vt_buf_free(&entry);
    vt_data_policy_entry_clear(&policy);
    vt_data_policy_entry_clear(&newest);
    free(data);
    return st;
}

vt_status vt_publish_audit_ack(const char *dir, const vt_tlog_signer *key,
                               const vt_audit_ack_entry *ack, uint64_t *index, vt_error *err)
{
    vt_buf text = {0};
    vt_status st = vt_audit_ack_entry_format(ack, &text, err);
    vt_tlog_writer *writer = NULL;
    if (st == VT_OK)
        st = vt_tlog_writer_open(dir, key, &writer, err);
    if (st == VT_OK) {
        vt_tlog_entry entry = {.data = text.data, .len = text.len};
        uint64_t at;
        st = vt_tlog_writer_append(writer, &entry, 1, &at, err);
        if (st == VT_OK && index)
            *index = at;
    }
    vt_tlog_writer_close(writer);
    vt_buf_free(&text);
    return st;
}

vt_status vt_publish_page(const char *dir, const vt_tlog_signer *key, const vt_page_entry *page,
                          uint64_t *index, vt_error *err)
{
    vt_buf text = {0};
    vt_page_entry check;
    vt_status st = vt_page_entry_format(page, &text, err);
    /* What is logged must read back as the same entry (the parser is the judge). */
    if (st == VT_OK && (st = vt_page_entry_parse(text.data, text.len, &check, err)) == VT_OK)
        vt_page_entry_clear(&check);
    vt_tlog_writer *writer = NULL;
    if (st == VT_OK && (st = vt_tlog_writer_open(dir, key, &writer, err)) == VT_OK) {
        vt_tlog_entry entry = {text.data, text.len};
        st = vt_tlog_writer_append(writer, &entry, 1, index, err);
        vt_tlog_writer_close(writer);
    }
    vt_buf_free(&text);
    return st;
}
