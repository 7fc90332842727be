/* publish.c: publishing rule files to a log directory. The files are compiled together first
 * (each in its own namespace, as the update client will compile them), so nothing broken is ever
 * logged; then the rule entries and the bundle naming them are appended in one batch, which the
 * writer makes durable and publishes atomically: either all of them are in the log or none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vitrine/distrib.h>

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

vt_status vt_publish(const char *dir, const vt_tlog_signer *key, const char *const *paths,
                     size_t count, const vt_publish_options *options, uint64_t *bundle_index,
                     uint64_t *serial, vt_error *err)
{
    if (count == 0 || count > VT_DISTRIB_MAX_RULES)
        return vt_error_set(err, VT_ERR_ARGUMENT, "give 1 to %u rule files", VT_DISTRIB_MAX_RULES);
    vt_status st = VT_OK;
    for (size_t i = 0; i < count; i++) {
        struct stat info;
        if (stat(paths[i], &info) == 0 && info.st_size > (off_t)VT_DISTRIB_MAX_ENTRY)
            return vt_error_at(err, VT_ERR_LIMIT, paths[i], 0, 0,
                               "rule file too large for one log entry (%lld bytes; the limit is "
                               "%u bytes including the entry header); split it into smaller files",
                               (long long)info.st_size, VT_DISTRIB_MAX_ENTRY);
    }
    st = compile_all(paths, count, err);
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
    vt_buf *texts = calloc(count + 1, sizeof *texts);
    vt_tlog_entry *entries = calloc(count + 1, sizeof *entries);
    vt_bundle_entry bundle = {.rules = calloc(count, sizeof *bundle.rules), .rule_count = count};
    vt_tlog_writer *writer = NULL;
    if (!texts || !entries || !bundle.rules) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(bundle.min_engine, sizeof bundle.min_engine, "%s", vt_version());
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        unsigned char *data = NULL;
        size_t len = 0;
        /* A source over the entry limit cannot fit; read a little more to say so clearly. */
        st = vt_read_file(paths[i], VT_DISTRIB_MAX_ENTRY, &data, &len, err);
        if (st == VT_ERR_LIMIT)
            st = vt_error_at(err, VT_ERR_LIMIT, paths[i], 0, 0,
                             "rule file too large for one log entry (the limit is %u bytes "
                             "including the entry header); split it into smaller files",
                             VT_DISTRIB_MAX_ENTRY);
        if (st != VT_OK)
            break;
        rule.name = (char *)base_name(paths[i]);
        rule.source = (char *)data;
        rule.source_len = len;
        st = vt_rule_entry_format(&rule, &texts[i], err);
        if (st != VT_OK && err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%s", paths[i]);
        free(data);
    }
    if (st != VT_OK)
        goto done;
    st = vt_tlog_writer_open(dir, key, &writer, err);
    if (st != VT_OK)
        goto done;
    uint64_t first = vt_tlog_writer_size(writer), prev = 0;
    if ((st = previous_serial(dir, first, &prev, err)) != VT_OK)
        goto done;
    bundle.serial = prev + 1;
    for (size_t i = 0; i < count; i++) {
        bundle.rules[i].index = first + i;
        vt_distrib_sha256(texts[i].data, texts[i].len, bundle.rules[i].sha256);
        entries[i].data = texts[i].data;
        entries[i].len = texts[i].len;
    }
    if ((st = vt_bundle_entry_format(&bundle, &texts[count], err)) != VT_OK)
        goto done;
    entries[count].data = texts[count].data;
    entries[count].len = texts[count].len;
    uint64_t at;
    if ((st = vt_tlog_writer_append(writer, entries, count + 1, &at, err)) != VT_OK)
        goto done;
    *bundle_index = at + count;
    *serial = bundle.serial;
done:
    vt_tlog_writer_close(writer);
    for (size_t i = 0; texts && i <= count; i++)
        vt_buf_free(&texts[i]);
    free(texts);
    free(entries);
    vt_bundle_entry_clear(&bundle);
    return st;
}
