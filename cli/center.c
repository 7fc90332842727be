/* center.c: `vitrine center build OUTDIR`: the transparency center as static files any web
 * server or CDN can host. It checks the log's checkpoint under the trust policy (the log key of
 * --vkey, as `vitrine monitor` takes it, or the tlog-policy of --policy, as `vitrine update`),
 * copies the checkpoint, tiles and entry bundles of the current tree into OUTDIR/log in the
 * tlog-tiles layout (so the page verifies exactly what the log serves), re-hashes the copy,
 * writes pack/N (groups of full tiles and their bundles: fewer fetches for the page), feed.json
 * (every entry: index, hash, kind, name, date, and for a rule entry the auditor's verdict,
 * vitrine/audit.h, with the log's acknowledgments applied) and the page (web/: index.html with
 * the policy baked in, center.js, center.css). The page itself verifies everything again in the
 * visitor's browser (docs/center.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <vitrine/audit.h>
#include <vitrine/distrib.h>
#include <vitrine/trust.h>

#include "center.h"
#include "command.h"

#define MAX_POLICY (256u * 1024u)

int center_option(center_options *o, const char *name, const char *value, int *used,
                  vt_error *err)
{
    *used = 1;
    if (strcmp(name, "--log") == 0)
        o->log = value;
    else if (strcmp(name, "--vkey") == 0)
        o->vkey = value;
    else if (strcmp(name, "--policy") == 0)
        o->policy_path = value;
    else if (strcmp(name, "--deadline") == 0) {
        char *end;
        unsigned long long d = strtoull(value, &end, 10);
        if (end == value || *end || value[0] == '-' || d == 0 || d > 86400ull * 365) {
            vt_error_set(err, VT_ERR_ARGUMENT,
                         "--deadline takes a positive number of seconds, not '%s'", value);
            return -1;
        }
        o->deadline_seconds = d;
    } else
        *used = 0;
    return 0;
}

vt_status center_options_check(const center_options *o, vt_error *err)
{
    if (!o->log)
        return vt_error_set(err, VT_ERR_ARGUMENT, "give --log DIR|URL");
    if (!o->vkey == !o->policy_path)
        return vt_error_set(err, VT_ERR_ARGUMENT, "give either --vkey VKEY or --policy FILE");
    return VT_OK;
}

/* The policy the page will trust, as tlog-policy text: the --policy file, or "log VKEY" with
 * no witness quorum for --vkey. Parsed (validated) into *policy. */
static vt_status trust_policy(const center_options *o, vt_buf *text, vt_tlog_policy **policy,
                              vt_error *err)
{
    vt_status st;
    unsigned char *data = NULL;
    size_t len = 0;
    if (o->policy_path) {
        if ((st = vt_read_file(o->policy_path, MAX_POLICY, &data, &len, err)) != VT_OK)
            return st;
        st = vt_buf_append(text, data, len);
    } else {
        const char *vkey = o->vkey;
        if (access(vkey, F_OK) == 0) {
            if ((st = vt_read_file(vkey, 4096, &data, &len, err)) != VT_OK)
                return st;
        } else {
            len = strlen(vkey);
            data = (unsigned char *)strdup(vkey);
            if (!data)
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
            len--;
        st = vt_buf_printf(text, "log %.*s\nquorum none\n", (int)len, (const char *)data);
    }
    free(data);
    if (st != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if ((st = vt_tlog_policy_parse((const char *)text->data, text->len, policy, err)) != VT_OK)
        return st;
    if (vt_tlog_policy_log_count(*policy) == 0)
        return vt_error_set(err, VT_ERR_ARGUMENT, "the policy names no log");
    return VT_OK;
}

/* Create the directories of outdir/rel's parents. */
static vt_status make_parents(const char *path, vt_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return vt_error_set(err, VT_ERR_ARGUMENT, "path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", buf);
        *p = '/';
    }
    return VT_OK;
}

/* Write outdir/rel: atomically (a file that changes from one build to the next) or plainly (a
 * tile or bundle, whose content at a path never changes). */
static vt_status write_out(const char *outdir, const char *rel, const void *data, size_t len,
                           int atomic, vt_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", outdir, rel) >= (int)sizeof path)
        return vt_error_set(err, VT_ERR_ARGUMENT, "path too long: %s/%s", outdir, rel);
    vt_status st = make_parents(path, err);
    if (st != VT_OK)
        return st;
    if (atomic)
        return vt_write_file_atomic(path, data, len, 0644, err);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", path);
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            return vt_error_errno(err, VT_ERR_IO, e, "cannot write %s", path);
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot write %s", path);
    return VT_OK;
}

/* The feed's record of one entry. */
static json_t *feed_item(uint64_t index, const unsigned char *data, size_t len)
{
    unsigned char hash[32];
    char hex[65];
    vt_distrib_sha256(data, len, hash);
    vt_distrib_hex(hash, hex);
    vt_entry_kind kind = vt_entry_kind_of(data, len);
    json_t *item = json_pack("{s:I,s:s,s:s}", "index", (json_int_t)index, "hash", hex, "kind",
                             vt_entry_kind_name(kind));
    if (!item)
        return NULL;
    vt_error ignored;
    if (kind == VT_ENTRY_RULE) {
        vt_rule_entry rule;
        if (vt_rule_entry_parse(data, len, &rule, &ignored) == VT_OK) {
            json_object_set_new(item, "name", json_string(rule.name));
            json_object_set_new(item, "date", json_string(rule.date));
            vt_rule_entry_clear(&rule);
        }
        /* The audit verdict is added by audit_rules once the whole log is read (it needs
         * every acknowledgment entry); null until then. */
        json_object_set_new(item, "audit", json_null());
    } else if (kind == VT_ENTRY_RELEASE) {
        vt_release_entry rel;
        if (vt_release_entry_parse(data, len, &rel, &ignored) == VT_OK) {
            json_object_set_new(item, "name", json_string(rel.version));
            vt_release_entry_clear(&rel);
        }
    }
    return item;
}

/* What the feed needs from the log after one pass: the rule entries (to audit) and the
 * acknowledgment entries (to apply to them). */
typedef struct audit_input {
    struct rule_copy {
        uint64_t index;
        unsigned char *data;
        size_t len;
    } *rules;
    size_t rule_count;
    vt_audit_ack_entry *acks;
    size_t ack_count;
} audit_input;

static void audit_input_clear(audit_input *in)
{
    for (size_t i = 0; i < in->rule_count; i++)
        free(in->rules[i].data);
    free(in->rules);
    for (size_t i = 0; i < in->ack_count; i++)
        vt_audit_ack_entry_clear(&in->acks[i]);
    free(in->acks);
}

static vt_status audit_collect(audit_input *in, uint64_t index, const unsigned char *data,
                               size_t len, vt_error *err)
{
    vt_entry_kind kind = vt_entry_kind_of(data, len);
    if (kind == VT_ENTRY_RULE) {
        struct rule_copy *grown = realloc(in->rules, (in->rule_count + 1) * sizeof *grown);
        unsigned char *copy = malloc(len ? len : 1);
        if (!grown || !copy) {
            free(copy);
            if (grown)
                in->rules = grown;
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        memcpy(copy, data, len);
        in->rules = grown;
        in->rules[in->rule_count++] = (struct rule_copy){index, copy, len};
    } else if (kind == VT_ENTRY_AUDIT_ACK) {
        vt_audit_ack_entry ack;
        vt_error ignored;
        if (vt_audit_ack_entry_parse(data, len, &ack, &ignored) != VT_OK)
            return VT_OK; /* a malformed ack acknowledges nothing */
        vt_audit_ack_entry *grown = realloc(in->acks, (in->ack_count + 1) * sizeof *grown);
        if (!grown) {
            vt_audit_ack_entry_clear(&ack);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        in->acks = grown;
        in->acks[in->ack_count++] = ack;
    }
    return VT_OK;
}

/* The verdict of one rule entry: {"verdict": "clean"|"flagged"|"error", "findings": [{"id",
 * "severity": "flag"|"note", "string", "reason"}]} (an "error" carries the reason the entry
 * could not be audited alone, e.g. a piece of a split file). */
static json_t *audit_verdict(const struct rule_copy *rule, const audit_input *in)
{
    vt_audit_report *report = NULL;
    vt_error err;
    vt_error_clear(&err);
    if (vt_audit_rule_entry(rule->data, rule->len, &report, &err) != VT_OK) {
        char msg[1024];
        vt_error_format(&err, msg, sizeof msg);
        return json_pack("{s:s,s:[{s:s,s:s,s:s}]}", "verdict", "error", "findings", "id",
                         "AUDIT-ERROR", "severity", "note", "reason", msg);
    }
    unsigned char hash[32];
    vt_distrib_sha256(rule->data, rule->len, hash);
    vt_audit_apply_acks(report, hash, in->acks, in->ack_count);
    json_t *findings = json_array();
    for (size_t r = 0; findings && r < report->rule_count; r++) {
        const vt_audit_rule *ar = &report->rules[r];
        for (size_t f = 0; f < ar->finding_count; f++) {
            const vt_audit_finding *fd = &ar->findings[f];
            json_t *item = json_pack("{s:s,s:s,s:s,s:s}", "id", fd->id, "severity",
                                     fd->severity == VT_AUDIT_FLAG ? "flag" : "note", "rule",
                                     ar->name, "reason", fd->reason ? fd->reason : "");
            if (item && fd->string)
                json_object_set_new(item, "string", json_string(fd->string));
            json_array_append_new(findings, item);
        }
    }
    json_t *verdict = json_pack("{s:s,s:o*}", "verdict",
                                report->flagged_count ? "flagged" : "clean", "findings",
                                findings);
    vt_audit_report_free(report);
    return verdict;
}

static vt_status audit_rules(json_t *entries, const audit_input *in, vt_error *err)
{
    for (size_t i = 0; i < in->rule_count; i++) {
        json_t *verdict = audit_verdict(&in->rules[i], in);
        json_t *item = json_array_get(entries, (size_t)in->rules[i].index);
        if (!verdict || !item || json_object_set_new(item, "audit", verdict) != 0)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    return VT_OK;
}

/* Copy the tiles of every level for a tree of `size`: the full tiles and the partial one. */
static vt_status copy_tiles(vt_tlog_reader *reader, const char *outdir, uint64_t size,
                            vt_error *err)
{
    vt_buf tile = {0};
    vt_status st = VT_OK;
    for (unsigned level = 0; level < 8 && st == VT_OK; level++) {
        uint64_t count = size >> (8 * level);
        if (count == 0)
            break;
        for (uint64_t k = 0; k <= count / 256 && st == VT_OK; k++) {
            unsigned width = (k + 1) * 256 <= count ? 256 : (unsigned)(count % 256);
            if (width == 0)
                break;
            char rel[200], path[210];
            vt_tlog_tile_path(level, k, width, rel, sizeof rel);
            snprintf(path, sizeof path, "log/%s", rel);
            tile.len = 0;
            if ((st = vt_tlog_reader_fetch(reader, rel, (size_t)width * 32, &tile, err)) != VT_OK)
                break;
            if (tile.len != (size_t)width * 32)
                st = vt_error_set(err, VT_ERR_VERIFY, "%s has %zu bytes, not %u", rel, tile.len,
                                  width * 32);
            else
                st = write_out(outdir, path, tile.data, tile.len, 0, err);
        }
    }
    vt_buf_free(&tile);
    return st;
}

/* Copy the entry bundles and list every entry in the feed. */
static vt_status copy_bundles(vt_tlog_reader *reader, const char *outdir, uint64_t size,
                              json_t *entries, audit_input *audit, vt_error *err)
{
    vt_buf bundle = {0};
    vt_status st = VT_OK;
    size_t *offsets = malloc(256 * sizeof *offsets), *lengths = malloc(256 * sizeof *lengths);
    if (!offsets || !lengths)
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    for (uint64_t k = 0; k <= size / 256 && st == VT_OK; k++) {
        unsigned width = (k + 1) * 256 <= size ? 256 : (unsigned)(size % 256);
        if (width == 0)
            break;
        char rel[200], path[210];
        vt_tlog_bundle_path(k, width, rel, sizeof rel);
        snprintf(path, sizeof path, "log/%s", rel);
        bundle.len = 0;
        if ((st = vt_tlog_reader_fetch(reader, rel, (size_t)width * (VT_DISTRIB_MAX_ENTRY + 2),
                                       &bundle, err)) != VT_OK ||
            (st = vt_tlog_bundle_parse(bundle.data, bundle.len, width, offsets, lengths, err)) !=
                VT_OK ||
            (st = write_out(outdir, path, bundle.data, bundle.len, 0, err)) != VT_OK)
            break;
        for (unsigned i = 0; i < width && st == VT_OK; i++) {
            json_t *item = feed_item(k * 256 + i, bundle.data + offsets[i], lengths[i]);
            if (!item || json_array_append_new(entries, item) != 0)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            else
                st = audit_collect(audit, k * 256 + i, bundle.data + offsets[i], lengths[i], err);
        }
    }
    free(offsets);
    free(lengths);
    vt_buf_free(&bundle);
    return st;
}

/* The packs (docs/center.md): pack/N holds the level-0 tiles N*16 .. N*16+15 and then their
 * entry bundles, copied from the re-hashed copy in outdir/log, for every group of 16 full tiles
 * whose pack stays within CENTER_PACK_MAX_BYTES. A page that needs many bundles of a group
 * fetches one file instead of 32: each fetch costs a browser milliseconds of its own, whatever
 * the file's size; with larger entries the bytes cost more than the fetches saved, so no pack.
 * Nothing in a pack is trusted by the page beyond what the same tile or bundle file would be. */
static vt_status write_packs(vt_tlog_reader *copy, const char *outdir, uint64_t size,
                             vt_error *err)
{
    vt_buf pack = {0}, part = {0};
    vt_status st = VT_OK;
    for (uint64_t n = 0; (n + 1) * CENTER_PACK_TILES * 256 <= size && st == VT_OK; n++) {
        pack.len = 0;
        for (unsigned j = 0; j < 2 * CENTER_PACK_TILES && st == VT_OK; j++) {
            /* The 16 tiles first, then the 16 bundles. */
            uint64_t k = n * CENTER_PACK_TILES + j % CENTER_PACK_TILES;
            int bundle = j >= CENTER_PACK_TILES;
            char rel[200];
            if (bundle)
                vt_tlog_bundle_path(k, 256, rel, sizeof rel);
            else
                vt_tlog_tile_path(0, k, 256, rel, sizeof rel);
            part.len = 0;
            size_t max = bundle ? 256u * (VT_DISTRIB_MAX_ENTRY + 2) : 256u * 32;
            st = vt_tlog_reader_fetch(copy, rel, max, &part, err);
            if (st == VT_OK && pack.len + part.len > CENTER_PACK_MAX_BYTES)
                break; /* too large to be worth fetching whole */
            if (st == VT_OK && vt_buf_append(&pack, part.data, part.len) != VT_OK)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            if (st == VT_OK && j == 2 * CENTER_PACK_TILES - 1) {
                char path[64];
                snprintf(path, sizeof path, "pack/%" PRIu64, n);
                st = write_out(outdir, path, pack.data, pack.len, 0, err);
            }
        }
    }
    vt_buf_free(&part);
    vt_buf_free(&pack);
    return st;
}

/* index.html with the policy baked in as {"policy": TEXT}; '<', '>' and '&' are written as
 * JSON escapes so that nothing in the policy can end the script element. */
static vt_status write_pages(const char *outdir, const vt_buf *policy, vt_error *err)
{
    json_t *trust = json_pack("{s:s%}", "policy", (const char *)policy->data, policy->len);
    char *json = trust ? json_dumps(trust, JSON_COMPACT) : NULL;
    json_decref(trust);
    if (!json)
        return vt_error_set(err, VT_ERR_ARGUMENT, "the policy is not UTF-8 text");
    vt_buf escaped = {0};
    vt_status st = VT_OK;
    for (const char *p = json; *p && st == VT_OK; p++)
        st = *p == '<'   ? vt_buf_append_str(&escaped, "\\u003c")
             : *p == '>' ? vt_buf_append_str(&escaped, "\\u003e")
             : *p == '&' ? vt_buf_append_str(&escaped, "\\u0026")
                         : vt_buf_append_byte(&escaped, (unsigned char)*p);
    free(json);
    for (const struct center_web_file *f = center_web_files; f->name && st == VT_OK; f++) {
        if (strcmp(f->name, "index.html") != 0) {
            st = write_out(outdir, f->name, f->data, f->len, 1, err);
            continue;
        }
        static const char mark[] = "@VITRINE_TRUST@";
        const char *at = memmem(f->data, f->len, mark, sizeof mark - 1);
        vt_buf page = {0};
        if (!at) {
            st = vt_error_set(err, VT_ERR_STATE, "index.html has no %s mark", mark);
        } else {
            size_t before = (size_t)(at - (const char *)f->data);
            if (vt_buf_append(&page, f->data, before) != VT_OK ||
                vt_buf_append(&page, escaped.data, escaped.len) != VT_OK ||
                vt_buf_append(&page, at + sizeof mark - 1, f->len - before - (sizeof mark - 1)) !=
                    VT_OK)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            else
                st = write_out(outdir, f->name, page.data, page.len, 1, err);
        }
        vt_buf_free(&page);
    }
    vt_buf_free(&escaped);
    return st;
}

vt_status center_build(const char *outdir, const center_options *o, uint64_t *size,
                       vt_error *err)
{
    vt_buf policy_text = {0}, raw = {0};
    vt_tlog_policy *policy = NULL;
    vt_tlog_reader *reader = NULL, *copy = NULL;
    vt_tlog_checkpoint cp = {0};
    json_t *feed = NULL;
    audit_input audit = {0};
    char logdir[4096];
    vt_status st = trust_policy(o, &policy_text, &policy, err);
    if (st != VT_OK)
        goto out;
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        st = vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", outdir);
        goto out;
    }
    vt_tlog_http_options http = {.deadline_ms = (o->deadline_seconds ? o->deadline_seconds : 300) *
                                                1000u};
    if ((st = vt_tlog_reader_open_with(o->log, &http, &reader, err)) != VT_OK ||
        (st = vt_tlog_reader_fetch(reader, "checkpoint", VT_TLOG_MAX_NOTE, &raw, err)) != VT_OK)
        goto out;
    vt_trust_checkpoint_policy trust = {.policy = policy};
    vt_trust_verdict v;
    if (vt_trust_checkpoint(&trust, raw.data, raw.len, 0, &cp, &v) != VT_TRUST_OK) {
        st = vt_error_set(err, VT_ERR_VERIFY, "the log's checkpoint: %s", v.reason);
        goto out;
    }
    feed = json_pack("{s:s,s:I,s:[]}", "origin", cp.origin, "size", (json_int_t)cp.size,
                     "entries");
    if (!feed) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = copy_tiles(reader, outdir, cp.size, err)) != VT_OK ||
        (st = copy_bundles(reader, outdir, cp.size, json_object_get(feed, "entries"), &audit,
                           err)) != VT_OK ||
        (st = write_out(outdir, "log/checkpoint", raw.data, raw.len, 1, err)) != VT_OK)
        goto out;
    /* Re-hash the copy: every tile, entry and the root against the signed checkpoint. */
    snprintf(logdir, sizeof logdir, "%s/log", outdir);
    if ((st = vt_tlog_reader_open(logdir, &copy, err)) != VT_OK ||
        (st = vt_tlog_reader_verify_log(copy, vt_tlog_policy_log_for(policy, cp.origin), NULL,
                                        err)) != VT_OK)
        goto out;
    if ((st = write_packs(copy, outdir, cp.size, err)) != VT_OK ||
        (st = audit_rules(json_object_get(feed, "entries"), &audit, err)) != VT_OK)
        goto out;
    char *json = json_dumps(feed, JSON_COMPACT);
    if (!json) {
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = write_out(outdir, "feed.json", json, strlen(json), 1, err);
    free(json);
    if (st == VT_OK)
        st = write_pages(outdir, &policy_text, err);
    if (st == VT_OK && size)
        *size = cp.size;
out:
    audit_input_clear(&audit);
    json_decref(feed);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_reader_close(copy);
    vt_tlog_reader_close(reader);
    vt_tlog_policy_free(policy);
    vt_buf_free(&raw);
    vt_buf_free(&policy_text);
    return st;
}

static int run_center(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "build") != 0)
        return cli_usage_error("center", "usage: vitrine center build OUTDIR --log DIR|URL "
                                         "(--vkey VKEY | --policy FILE)");
    center_options o = {0};
    const char *outdir = NULL;
    vt_error err;
    vt_error_clear(&err);
    for (int i = 2; i < argc; i++) {
        int used = 0;
        if (argv[i][0] == '-') {
            if (i + 1 == argc)
                return cli_usage_error("center", "'%s' needs a value or is unknown", argv[i]);
            if (center_option(&o, argv[i], argv[i + 1], &used, &err) != 0)
                return cli_usage_error("center", "%s", err.message);
            if (!used)
                return cli_usage_error("center", "unknown option '%s'", argv[i]);
            i++;
        } else if (!outdir) {
            outdir = argv[i];
        } else {
            return cli_usage_error("center", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!outdir)
        return cli_usage_error("center", "give OUTDIR");
    if (center_options_check(&o, &err) != VT_OK)
        return cli_usage_error("center", "%s", err.message);
    uint64_t size = 0;
    if (center_build(outdir, &o, &size, &err) != VT_OK) {
        cli_report("center", &err);
        return err.status == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
    }
    printf("built the transparency center of %" PRIu64 " entries in %s\n", size, outdir);
    return EXIT_CLEAN;
}

const struct vt_command command_center = {
    .name = "center",
    .summary = "build the transparency center: a static page that verifies the log in a browser",
    .manual =
        "NAME\n"
        "    vitrine center - build the transparency center (static files)\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine center build OUTDIR --log DIR|URL (--vkey VKEY | --policy FILE)\n"
        "                         [--deadline SECONDS]\n"
        "\n"
        "DESCRIPTION\n"
        "    Writes into OUTDIR a web page that any web server or CDN can host and that shows\n"
        "    every entry of the log (index, SHA-256, kind, rule source, audit verdict), the\n"
        "    witnesses and the age of their cosignatures, the checkpoints the visitor's browser\n"
        "    has seen, with search by rule name, hash and index and #INDEX links. The page\n"
        "    checks everything it shows in the visitor's browser with WebCrypto: the\n"
        "    checkpoint's signature by the log key, the witness quorum, the tiles against the\n"
        "    signed root, the inclusion of every entry shown, and consistency with the\n"
        "    checkpoint the browser saw last (a fork or a rollback is shown as a red alarm).\n"
        "    It trusts only the keys baked into index.html from --vkey or --policy.\n"
        "\n"
        "    center build first checks the log's checkpoint under the same policy, copies its\n"
        "    checkpoint, tiles and entry bundles into OUTDIR/log (the tlog-tiles layout) and\n"
        "    re-hashes the copy; a log that does not verify is refused. Files written:\n"
        "    index.html, center.js, center.css (the page; these do not change between builds\n"
        "    with the same keys, so 'vitrine publish --page OUTDIR' can log them), feed.json\n"
        "    (every entry: index, hash, kind, name, date; for a rule entry the verdict of\n"
        "    'vitrine audit' on its source, with the log's acknowledgment entries applied),\n"
        "    log/ and pack/N (16 full tiles and their bundles in one file, so that the page\n"
        "    fetches one file instead of 32 for entries spread over them). See docs/center.md.\n"
        "\n"
        "OPTIONS\n"
        "    --log DIR|URL   the log (a directory or http(s):// URL)\n"
        "    --vkey VKEY     the log's verifier key (file or text), no witness quorum\n"
        "    --policy FILE   a C2SP tlog-policy: the log key, witnesses and quorum\n"
        "    --deadline S    time for all fetches from the log (default 300)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 built, 1 the log does not verify, 2 another error (options, unavailable, I/O).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine center build /srv/www/center --log https://rules.example/log/ \\\n"
        "        --policy /etc/vitrine/policy\n",
    .run = run_center,
};
