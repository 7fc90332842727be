/* format.c: the compiled ruleset image (docs/ruleset-format.md): a 64-byte header with magic,
 * version, size and SHA-256, a table of named sections, and the sections themselves, 8-aligned and
 * position-independent. The same bytes are the in-memory ruleset and the file, so loading is an
 * mmap plus validation: checksum, bounds of every section and record, and every reference (pool
 * strings, rule ranges, node children before their parents) so a scanner can trust what it reads.
 * Unknown sections are kept and ignored, so later parts can add theirs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The low-level SHA-256 functions: EVP would initialize OpenSSL's provider machinery (about a
 * megabyte of resident memory) in every process that loads a ruleset. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "internal.h"

struct vt_ruleset {
    const unsigned char *data;
    size_t len;
    void *mapping; /* non-NULL: munmap(mapping, len) */
    unsigned char *owned;
    vt_ruleset_view view;
    const char *pool;
    size_t pool_len;
    bool file_sum_known; /* file_sum: the checksum of the file, computed while reading it, or
                          * of an image this process assembled, computed while assembling it */
    uint8_t file_sum[32];
    bool unsealed; /* vt_compiler_finish_unsealed: the header's checksum is zeros until a section
                    * is added (vt_ruleset_add_section) */
};

#define MAX_SECTIONS 256

static vt_status checksum(const unsigned char *data, size_t len, uint8_t out[32])
{
    vt_rs_header h;
    memcpy(&h, data, sizeof h);
    memset(h.sha256, 0, sizeof h.sha256);
    SHA256_CTX ctx;
    int ok = SHA256_Init(&ctx) && SHA256_Update(&ctx, &h, sizeof h) &&
             SHA256_Update(&ctx, data + sizeof h, len - sizeof h) && SHA256_Final(out, &ctx);
    return ok ? VT_OK : VT_ERR_NOMEM;
}

typedef struct section_in {
    uint32_t id;
    const void *data;
    size_t size;
} section_in;

/* Lay out `sections` as a ruleset image with its checksum (seal; zeros otherwise); *sum is that
 * checksum too, so that adopting the image need not hash it again. */
static vt_status assemble(const section_in *sections, size_t count, bool seal,
                          unsigned char **image, size_t *len, uint8_t sum[32], vt_error *err)
{
    size_t table = sizeof(vt_rs_header) + count * sizeof(vt_rs_section);
    size_t total = (table + 7) & ~(size_t)7;
    for (size_t i = 0; i < count; i++)
        total += (sections[i].size + 7) & ~(size_t)7;
    unsigned char *out = calloc(1, total);
    if (!out)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_rs_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, VT_RULESET_MAGIC, 8);
    h.version = VT_RULESET_VERSION;
    h.header_size = sizeof h;
    h.file_size = total;
    h.section_count = (uint32_t)count;
    size_t at = (table + 7) & ~(size_t)7;
    for (size_t i = 0; i < count; i++) {
        vt_rs_section s = {.id = sections[i].id, .flags = 0, .offset = at, .size = sections[i].size};
        memcpy(out + sizeof h + i * sizeof s, &s, sizeof s);
        if (sections[i].size)
            memcpy(out + at, sections[i].data, sections[i].size);
        at += (sections[i].size + 7) & ~(size_t)7;
    }
    memcpy(out, &h, sizeof h);
    if (seal && checksum(out, total, h.sha256) != VT_OK) {
        free(out);
        return vt_error_set(err, VT_ERR_NOMEM, "SHA-256 failed");
    }
    memcpy(out, &h, sizeof h);
    memcpy(sum, h.sha256, sizeof h.sha256);
    *image = out;
    *len = total;
    return VT_OK;
}

/* vt_image_build, also giving the image's checksum (seal) or leaving it zeros. */
static vt_status build_image(const vt_compiler *c, bool seal, unsigned char **image, size_t *len,
                             uint8_t sum[32], vt_error *err)
{
    section_in s[] = {
        {VT_SECTION_STRPOOL, c->pool.data, c->pool.len},
        {VT_SECTION_NAMESPACES, c->namespaces.data, c->namespaces.len * sizeof(vt_rs_str)},
        {VT_SECTION_RULES, c->rules.data, c->rules.len * sizeof(vt_rs_rule)},
        {VT_SECTION_TAGS, c->tags.data, c->tags.len * sizeof(vt_rs_str)},
        {VT_SECTION_META, c->meta.data, c->meta.len * sizeof(vt_rs_meta)},
        {VT_SECTION_STRINGS, c->strings.data, c->strings.len * sizeof(vt_rs_string)},
        {VT_SECTION_NODES, c->nodes.data, c->nodes.len * sizeof(vt_rs_node)},
        {VT_SECTION_LISTS, c->lists.data, c->lists.len * sizeof(uint32_t)},
        {VT_SECTION_IMPORTS, c->imports.data, c->imports.len * sizeof(vt_rs_import)},
        {VT_SECTION_EXTERNALS, c->externals.data, c->externals.len * sizeof(vt_rs_external)},
    };
    return assemble(s, sizeof s / sizeof s[0], seal, image, len, sum, err);
}

vt_status vt_image_build(const vt_compiler *c, unsigned char **image, size_t *len, vt_error *err)
{
    uint8_t sum[32];
    return build_image(c, true, image, len, sum, err);
}

/* ---- validation ---- */

typedef struct checker {
    const vt_ruleset *rs;
    vt_error *err;
} checker;

static int str_ok(const vt_ruleset *rs, vt_rs_str s)
{
    return (uint64_t)s.off + s.len < rs->pool_len && rs->pool[s.off + s.len] == 0;
}

static vt_status bad(vt_error *err, const char *what, size_t index, const char *problem)
{
    return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: %s %zu: %s", what, index, problem);
}

static int range_ok(uint32_t first, uint32_t count, size_t total)
{
    return (uint64_t)first + count <= total;
}

static int node_ref_ok(uint32_t ref, uint32_t first, uint32_t self)
{
    return ref == VT_NONE || (ref >= first && ref < self);
}

static vt_status check_nodes(const vt_ruleset *rs, const vt_rs_rule *r, vt_error *err)
{
    const vt_ruleset_view *v = &rs->view;
    for (uint32_t i = r->node_first; i < r->node_first + r->node_count; i++) {
        const vt_rs_node *n = &v->nodes[i];
        if (n->op == 0 || n->op >= VT_OP_COUNT_ || n->type > VT_TYPE_RANGE)
            return bad(err, "node", i, "unknown operation or type");
        int list = n->op == VT_OP_ENUM || n->op == VT_OP_STRING_SET || n->op == VT_OP_RULE_SET ||
                   n->op == VT_OP_CALL;
        int string_op = n->op >= VT_OP_STRING_MATCH && n->op <= VT_OP_STRING_LENGTH;
        if (!node_ref_ok(n->a, r->node_first, i))
            return bad(err, "node", i, "operand a is not an earlier node of its rule");
        if (list) {
            if (!range_ok(n->b, n->c, v->list_count))
                return bad(err, "node", i, "list out of range");
            for (uint32_t k = n->b; k < n->b + n->c; k++) {
                uint32_t item = v->lists[k];
                int ok = n->op == VT_OP_STRING_SET ? item >= r->string_first &&
                                                         item < r->string_first + r->string_count
                       : n->op == VT_OP_RULE_SET   ? item < v->rule_count
                                                   : node_ref_ok(item, r->node_first, i) && item != VT_NONE;
                if (!ok)
                    return bad(err, "node", i, "list item out of range");
            }
        } else {
            if (!node_ref_ok(n->b, r->node_first, i))
                return bad(err, "node", i, "operand b is not an earlier node of its rule");
            if (string_op ? !(n->c == VT_NONE || n->c < VT_MAX_LOOP_NESTING)
                          : !node_ref_ok(n->c, r->node_first, i))
                return bad(err, "node", i, "operand c out of range");
        }
        switch (n->op) {
        case VT_OP_CONST_STRING:
        case VT_OP_CONST_REGEX:
        case VT_OP_MODULE:
        case VT_OP_FIELD:
        case VT_OP_CALL:
            if (!str_ok(rs, n->v.s))
                return bad(err, "node", i, "string out of range");
            break;
        case VT_OP_STRING_MATCH:
        case VT_OP_STRING_AT:
        case VT_OP_STRING_IN:
        case VT_OP_STRING_COUNT:
        case VT_OP_STRING_OFFSET:
        case VT_OP_STRING_LENGTH:
            if (n->v.i == (int64_t)VT_NONE ? n->c == VT_NONE
                                           : (n->v.i < (int64_t)r->string_first ||
                                              n->v.i >= (int64_t)r->string_first + r->string_count))
                return bad(err, "node", i, "string reference out of range");
            break;
        case VT_OP_RULE:
            if (n->v.i < 0 || (uint64_t)n->v.i >= v->rule_count)
                return bad(err, "node", i, "rule reference out of range");
            break;
        case VT_OP_EXTERNAL:
            if (n->v.i < 0 || (uint64_t)n->v.i >= v->external_count)
                return bad(err, "node", i, "external reference out of range");
            break;
        case VT_OP_LOOP_VAR:
            if (n->v.i < 0 || n->v.i >= 2 * VT_MAX_LOOP_NESTING)
                return bad(err, "node", i, "loop variable out of range");
            break;
        case VT_OP_FOR_OF:
        case VT_OP_FOR_IN:
            if (n->v.i < 0 || n->v.i >= VT_MAX_LOOP_NESTING)
                return bad(err, "node", i, "loop depth out of range");
            break;
        default:
            break;
        }
    }
    return VT_OK;
}

static vt_status validate(vt_ruleset *rs, vt_error *err)
{
    const unsigned char *d = rs->data;
    size_t len = rs->len;
    if (len < sizeof(vt_rs_header))
        return vt_error_set(err, VT_ERR_FORMAT, "not a vitrine ruleset: %zu bytes is shorter than "
                            "the %zu-byte header", len, sizeof(vt_rs_header));
    vt_rs_header h;
    memcpy(&h, d, sizeof h);
    if (memcmp(h.magic, VT_RULESET_MAGIC, 8) != 0)
        return vt_error_set(err, VT_ERR_FORMAT, "not a vitrine ruleset: bad magic");
    if (h.version != VT_RULESET_VERSION)
        return vt_error_set(err, VT_ERR_FORMAT, "unsupported ruleset version %u (this build reads "
                            "version %u)", h.version, VT_RULESET_VERSION);
    if (h.header_size != sizeof h)
        return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: header size %u", h.header_size);
    if (h.file_size != len)
        return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: header says %llu bytes, file "
                            "has %zu (truncated?)", (unsigned long long)h.file_size, len);
    if (h.section_count > MAX_SECTIONS ||
        sizeof h + (size_t)h.section_count * sizeof(vt_rs_section) > len)
        return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: section table of %u entries "
                            "does not fit", h.section_count);
    uint8_t sum[32];
    if (rs->file_sum_known)
        memcpy(sum, rs->file_sum, sizeof sum);
    else if (checksum(d, len, sum) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "SHA-256 failed");
    if (memcmp(sum, h.sha256, 32) != 0)
        return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: SHA-256 checksum mismatch");
    struct {
        uint32_t id;
        size_t elem;
        const void **ptr;
        size_t *count;
    } known[] = {
        {VT_SECTION_STRPOOL, 1, (const void **)&rs->pool, &rs->pool_len},
        {VT_SECTION_NAMESPACES, sizeof(vt_rs_str), (const void **)&rs->view.namespaces,
         &rs->view.namespace_count},
        {VT_SECTION_RULES, sizeof(vt_rs_rule), (const void **)&rs->view.rules, &rs->view.rule_count},
        {VT_SECTION_TAGS, sizeof(vt_rs_str), (const void **)&rs->view.tags, &rs->view.tag_count},
        {VT_SECTION_META, sizeof(vt_rs_meta), (const void **)&rs->view.meta, &rs->view.meta_count},
        {VT_SECTION_STRINGS, sizeof(vt_rs_string), (const void **)&rs->view.strings,
         &rs->view.string_count},
        {VT_SECTION_NODES, sizeof(vt_rs_node), (const void **)&rs->view.nodes, &rs->view.node_count},
        {VT_SECTION_LISTS, sizeof(uint32_t), (const void **)&rs->view.lists, &rs->view.list_count},
        {VT_SECTION_IMPORTS, sizeof(vt_rs_import), (const void **)&rs->view.imports,
         &rs->view.import_count},
        {VT_SECTION_EXTERNALS, sizeof(vt_rs_external), (const void **)&rs->view.externals,
         &rs->view.external_count},
    };
    size_t nknown = sizeof known / sizeof known[0];
    int seen[sizeof known / sizeof known[0]] = {0};
    size_t data_start = sizeof h + (size_t)h.section_count * sizeof(vt_rs_section);
    for (uint32_t i = 0; i < h.section_count; i++) {
        vt_rs_section s;
        memcpy(&s, d + sizeof h + i * sizeof s, sizeof s);
        if (s.offset % 8 || s.offset < data_start || s.offset > len || s.size > len - s.offset)
            return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: section %u lies outside the "
                                "file or is misaligned", i);
        for (size_t k = 0; k < nknown; k++) {
            if (known[k].id != s.id)
                continue;
            if (seen[k])
                return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: section %u repeated", i);
            if (s.size % known[k].elem)
                return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: section %u size %llu is "
                                    "not a multiple of %zu", i, (unsigned long long)s.size,
                                    known[k].elem);
            seen[k] = 1;
            *known[k].ptr = d + s.offset;
            *known[k].count = s.size / known[k].elem;
        }
    }
    for (size_t k = 0; k < nknown; k++)
        if (!seen[k])
            return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: a required section is missing");
    if (rs->pool_len == 0 || rs->pool[rs->pool_len - 1] != 0)
        return vt_error_set(err, VT_ERR_FORMAT, "corrupt ruleset: string pool not terminated");
    const vt_ruleset_view *v = &rs->view;
    for (size_t i = 0; i < v->namespace_count; i++)
        if (!str_ok(rs, v->namespaces[i]))
            return bad(err, "namespace", i, "name out of range");
    for (size_t i = 0; i < v->tag_count; i++)
        if (!str_ok(rs, v->tags[i]))
            return bad(err, "tag", i, "name out of range");
    for (size_t i = 0; i < v->meta_count; i++) {
        const vt_rs_meta *m = &v->meta[i];
        if (!str_ok(rs, m->key) || m->type < VT_META_STRING || m->type > VT_META_BOOLEAN ||
            (m->type == VT_META_STRING && !str_ok(rs, m->string)))
            return bad(err, "meta", i, "bad key, type or value");
    }
    for (size_t i = 0; i < v->string_count; i++) {
        const vt_rs_string *s = &v->strings[i];
        if (!str_ok(rs, s->identifier) || !str_ok(rs, s->text) || s->kind > VT_STRING_REGEX || s->rule >= v->rule_count ||
            !str_ok(rs, s->base64_alphabet) || !str_ok(rs, s->base64wide_alphabet) ||
            s->xor_min > s->xor_max)
            return bad(err, "string", i, "bad identifier, text, kind or rule");
    }
    for (size_t i = 0; i < v->import_count; i++)
        if (v->imports[i].ns >= v->namespace_count || !str_ok(rs, v->imports[i].module))
            return bad(err, "import", i, "bad namespace or module");
    for (size_t i = 0; i < v->external_count; i++) {
        const vt_rs_external *x = &v->externals[i];
        if (!str_ok(rs, x->name) || x->type < VT_TYPE_BOOL || x->type > VT_TYPE_STRING ||
            !str_ok(rs, x->string))
            return bad(err, "external", i, "bad name or type");
    }
    for (size_t i = 0; i < v->rule_count; i++) {
        const vt_rs_rule *r = &v->rules[i];
        if (!str_ok(rs, r->name) || r->ns >= v->namespace_count || r->flags > 3 ||
            !range_ok(r->tag_first, r->tag_count, v->tag_count) ||
            !range_ok(r->meta_first, r->meta_count, v->meta_count) ||
            !range_ok(r->string_first, r->string_count, v->string_count) ||
            !range_ok(r->node_first, r->node_count, v->node_count) || r->node_count == 0)
            return bad(err, "rule", i, "bad name, namespace or ranges");
        for (uint32_t k = r->string_first; k < r->string_first + r->string_count; k++)
            if (v->strings[k].rule != i)
                return bad(err, "rule", i, "a string belongs to another rule");
        vt_status st = check_nodes(rs, r, err);
        if (st != VT_OK)
            return st;
    }
    return VT_OK;
}

/* The checksum of a ruleset file (as checksum() computes it over the image), read with pread
 * through a small buffer: hashing the mapping instead would make every page of it resident,
 * though the scanner needs only part of them. */
static vt_status file_checksum(int fd, size_t len, uint8_t out[32], vt_error *err)
{
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    SHA256_CTX ctx;
    bool ok = buf && SHA256_Init(&ctx);
    int e = 0;
    for (size_t at = 0; ok && at < len;) {
        size_t want = len - at < CHUNK ? len - at : CHUNK;
        ssize_t n = pread(fd, buf, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : EIO;
            ok = false;
            break;
        }
        if (at == 0) { /* the header's checksum field counts as zeros */
            if ((size_t)n < sizeof(vt_rs_header)) {
                e = EIO;
                ok = false;
                break;
            }
            memset(buf + offsetof(vt_rs_header, sha256), 0, sizeof ((vt_rs_header *)0)->sha256);
        }
        ok = SHA256_Update(&ctx, buf, (size_t)n);
        at += (size_t)n;
    }
    ok = ok && SHA256_Final(out, &ctx);
    free(buf);
    if (ok)
        return VT_OK;
    return e ? vt_error_errno(err, VT_ERR_IO, e, "cannot read the ruleset")
             : vt_error_set(err, VT_ERR_NOMEM, "SHA-256 failed");
}

static vt_status adopt(unsigned char *image, size_t len, void *mapping, const uint8_t *file_sum,
                       vt_ruleset **out, vt_error *err)
{
    vt_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) {
        if (mapping)
            munmap(mapping, len);
        else
            free(image);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    rs->data = mapping ? mapping : image;
    rs->len = len;
    rs->mapping = mapping;
    rs->owned = mapping ? NULL : image;
    if (file_sum) {
        memcpy(rs->file_sum, file_sum, sizeof rs->file_sum);
        rs->file_sum_known = true;
    }
    vt_status st = validate(rs, err);
    if (st != VT_OK) {
        vt_ruleset_free(rs);
        return st;
    }
    *out = rs;
    return VT_OK;
}

static vt_status finish(vt_compiler *c, bool seal, vt_ruleset **out, vt_error *err)
{
    if (c->failed)
        return vt_error_set(err, VT_ERR_STATE, "the compiler already failed");
    unsigned char *image = NULL;
    size_t len = 0;
    uint8_t sum[32];
    vt_status st = build_image(c, seal, &image, &len, sum, err);
    if (st == VT_OK)
        st = adopt(image, len, NULL, sum, out, err); /* unsealed: zeros, as in the header */
    if (st == VT_OK)
        (*out)->unsealed = !seal;
    return st;
}

vt_status vt_compiler_finish(vt_compiler *c, vt_ruleset **out, vt_error *err)
{
    return finish(c, true, out, err);
}

vt_status vt_compiler_finish_unsealed(vt_compiler *c, vt_ruleset **out, vt_error *err)
{
    return finish(c, false, out, err);
}

vt_status vt_ruleset_from_bytes(const void *data, size_t len, vt_ruleset **out, vt_error *err)
{
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    if (len)
        memcpy(copy, data, len);
    return adopt(copy, len, NULL, NULL, out, err);
}

vt_status vt_ruleset_load(const char *path, vt_ruleset **out, vt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot stat %s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return vt_error_set(err, VT_ERR_FORMAT, "%s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    if (len < sizeof(vt_rs_header)) {
        close(fd);
        vt_error_set(err, VT_ERR_FORMAT, "not a vitrine ruleset: %zu bytes is shorter than the "
                     "%zu-byte header", len, sizeof(vt_rs_header));
        snprintf(err ? err->file : (char[1]){0}, err ? sizeof err->file : 1, "%s", path);
        return VT_ERR_FORMAT;
    }
    uint8_t sum[32];
    vt_status s = file_checksum(fd, len, sum, err);
    if (s != VT_OK) {
        close(fd);
        if (err)
            snprintf(err->file, sizeof err->file, "%s", path);
        return s;
    }
    /* not populated: the pages the scanner reads come in as it reads them */
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return vt_error_errno(err, VT_ERR_IO, e, "cannot map %s", path);
    s = adopt(NULL, len, map, sum, out, err);
    if (s != VT_OK && err)
        snprintf(err->file, sizeof err->file, "%s", path);
    if (s == VT_OK)
        vt_ruleset_release_pages(*out); /* validated: what scans need comes back on use */
    return s;
}

void vt_ruleset_release_pages(const vt_ruleset *rs)
{
    if (rs && rs->mapping)
        madvise(rs->mapping, rs->len, MADV_DONTNEED);
}

void vt_ruleset_free(vt_ruleset *rs)
{
    if (!rs)
        return;
    if (rs->mapping)
        munmap(rs->mapping, rs->len);
    free(rs->owned);
    free(rs);
}

vt_status vt_ruleset_save(const vt_ruleset *rs, const char *path, vt_error *err)
{
    if (rs->unsealed)
        return vt_error_set(err, VT_ERR_STATE, "the ruleset has no checksum yet "
                            "(vt_compiler_finish_unsealed)");
    return vt_write_file_atomic(path, rs->data, rs->len, 0644, err);
}

const void *vt_ruleset_image(const vt_ruleset *rs, size_t *len)
{
    *len = rs->unsealed ? 0 : rs->len;
    return rs->unsealed ? NULL : rs->data;
}

void vt_ruleset_get_view(const vt_ruleset *rs, vt_ruleset_view *view)
{
    *view = rs->view;
}

const char *vt_ruleset_str(const vt_ruleset *rs, vt_rs_str s)
{
    return rs->pool + s.off;
}

const void *vt_ruleset_section(const vt_ruleset *rs, uint32_t id, size_t *size)
{
    vt_rs_header h;
    memcpy(&h, rs->data, sizeof h);
    for (uint32_t i = 0; i < h.section_count; i++) {
        vt_rs_section s;
        memcpy(&s, rs->data + sizeof h + i * sizeof s, sizeof s);
        if (s.id == id) {
            if (size)
                *size = s.size;
            return rs->data + s.offset;
        }
    }
    return NULL;
}

vt_status vt_ruleset_with_section(const vt_ruleset *rs, uint32_t id, const void *data,
                                  size_t size, vt_ruleset **out, vt_error *err)
{
    vt_rs_header h;
    memcpy(&h, rs->data, sizeof h);
    section_in s[MAX_SECTIONS + 1];
    size_t n = 0;
    for (uint32_t i = 0; i < h.section_count; i++) {
        vt_rs_section sec;
        memcpy(&sec, rs->data + sizeof h + i * sizeof sec, sizeof sec);
        if (sec.id == id)
            continue;
        s[n++] = (section_in){sec.id, rs->data + sec.offset, sec.size};
    }
    if (n >= MAX_SECTIONS)
        return vt_error_set(err, VT_ERR_LIMIT, "too many sections");
    s[n++] = (section_in){id, data, size};
    unsigned char *image = NULL;
    size_t len = 0;
    uint8_t sum[32];
    vt_status st = assemble(s, n, true, &image, &len, sum, err);
    if (st != VT_OK)
        return st;
    return adopt(image, len, NULL, sum, out, err);
}

/* Section `id` added to the image `rs` owns, in place: the image grows (realloc: a large
 * block is remapped, not copied), the sections move up by one table entry, the new one goes at
 * the end, and the image is hashed once. The bytes are those vt_ruleset_with_section would
 * give. */
static vt_status append_section(vt_ruleset *rs, uint32_t id, const void *data, size_t size,
                                vt_error *err)
{
    vt_rs_header h;
    memcpy(&h, rs->data, sizeof h);
    vt_rs_section table[MAX_SECTIONS];
    memcpy(table, rs->data + sizeof h, h.section_count * sizeof table[0]);
    size_t old_start = (sizeof h + h.section_count * sizeof(vt_rs_section) + 7) & ~(size_t)7;
    size_t new_start =
        (sizeof h + (h.section_count + 1) * sizeof(vt_rs_section) + 7) & ~(size_t)7;
    size_t shift = new_start - old_start;
    size_t at = rs->len + shift;
    size_t total = at + ((size + 7) & ~(size_t)7);
    unsigned char *image = realloc(rs->owned, total);
    if (!image)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    rs->owned = image;
    rs->data = image;
    memmove(image + new_start, image + old_start, rs->len - old_start);
    for (uint32_t i = 0; i < h.section_count; i++)
        table[i].offset += shift;
    table[h.section_count] = (vt_rs_section){.id = id, .flags = 0, .offset = at, .size = size};
    size_t table_end = sizeof h + (h.section_count + 1) * sizeof(vt_rs_section);
    memcpy(image + sizeof h, table, table_end - sizeof h);
    memset(image + table_end, 0, new_start - table_end);
    if (size)
        memcpy(image + at, data, size);
    memset(image + at + size, 0, total - at - size);
    h.file_size = total;
    h.section_count++;
    memset(h.sha256, 0, sizeof h.sha256);
    memcpy(image, &h, sizeof h);
    uint8_t sum[32];
    if (checksum(image, total, sum) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "SHA-256 failed");
    memcpy(h.sha256, sum, sizeof sum);
    memcpy(image, &h, sizeof h);
    vt_ruleset grown = *rs;
    grown.len = total;
    memcpy(grown.file_sum, sum, sizeof sum);
    grown.file_sum_known = true;
    grown.unsealed = false;
    vt_status st = validate(&grown, err);
    if (st == VT_OK)
        *rs = grown;
    return st;
}

vt_status vt_ruleset_add_section(vt_ruleset *rs, uint32_t id, const void *data, size_t size,
                                 vt_error *err)
{
    bool present = vt_ruleset_section(rs, id, NULL) != NULL;
    vt_rs_header h;
    memcpy(&h, rs->data, sizeof h);
    if (rs->owned && !present && h.section_count < MAX_SECTIONS) {
        return append_section(rs, id, data, size, err);
    }
    vt_ruleset *copy = NULL;
    vt_status st = vt_ruleset_with_section(rs, id, data, size, &copy, err);
    if (st != VT_OK)
        return st;
    vt_ruleset old = *rs;
    *rs = *copy;
    *copy = old;
    vt_ruleset_free(copy);
    return VT_OK;
}

const char *vt_op_name(unsigned op)
{
    static const char *const names[VT_OP_COUNT_] = {
        [VT_OP_CONST_BOOL] = "bool", [VT_OP_CONST_INT] = "int", [VT_OP_CONST_FLOAT] = "float",
        [VT_OP_CONST_STRING] = "string", [VT_OP_CONST_REGEX] = "regex",
        [VT_OP_FILESIZE] = "filesize", [VT_OP_ENTRYPOINT] = "entrypoint",
        [VT_OP_STRING_MATCH] = "match", [VT_OP_STRING_AT] = "at", [VT_OP_STRING_IN] = "in",
        [VT_OP_STRING_COUNT] = "count", [VT_OP_STRING_OFFSET] = "offset",
        [VT_OP_STRING_LENGTH] = "length", [VT_OP_READ_INT] = "read_int",
        [VT_OP_INT_TO_FLOAT] = "int_to_float", [VT_OP_NEG] = "neg", [VT_OP_ADD] = "add",
        [VT_OP_SUB] = "sub", [VT_OP_MUL] = "mul", [VT_OP_DIV] = "div", [VT_OP_MOD] = "mod",
        [VT_OP_BIT_NOT] = "bit_not", [VT_OP_BIT_AND] = "bit_and", [VT_OP_BIT_OR] = "bit_or",
        [VT_OP_BIT_XOR] = "bit_xor", [VT_OP_SHL] = "shl", [VT_OP_SHR] = "shr", [VT_OP_LT] = "lt",
        [VT_OP_LE] = "le", [VT_OP_GT] = "gt", [VT_OP_GE] = "ge", [VT_OP_EQ] = "eq",
        [VT_OP_NE] = "ne", [VT_OP_CONTAINS] = "contains", [VT_OP_ICONTAINS] = "icontains",
        [VT_OP_STARTSWITH] = "startswith", [VT_OP_ISTARTSWITH] = "istartswith",
        [VT_OP_ENDSWITH] = "endswith", [VT_OP_IENDSWITH] = "iendswith",
        [VT_OP_IEQUALS] = "iequals", [VT_OP_MATCHES] = "matches", [VT_OP_AND] = "and",
        [VT_OP_OR] = "or", [VT_OP_NOT] = "not", [VT_OP_DEFINED] = "defined",
        [VT_OP_TO_BOOL] = "to_bool", [VT_OP_RANGE] = "range", [VT_OP_ENUM] = "enum",
        [VT_OP_STRING_SET] = "string_set", [VT_OP_RULE_SET] = "rule_set", [VT_OP_OF] = "of",
        [VT_OP_FOR_OF] = "for_of", [VT_OP_FOR_IN] = "for_in", [VT_OP_QUANT] = "quantifier",
        [VT_OP_LOOP_VAR] = "loop_var", [VT_OP_RULE] = "rule", [VT_OP_EXTERNAL] = "external",
        [VT_OP_MODULE] = "module", [VT_OP_FIELD] = "field", [VT_OP_INDEX] = "index",
        [VT_OP_CALL] = "call",
    };
    return op < VT_OP_COUNT_ && names[op] ? names[op] : "?";
}
