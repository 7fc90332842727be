/* mod_hash.c: yara's hash module: md5, sha1, sha256 (lowercase hex, through OpenSSL), checksum32
 * and crc32, over a range of the scanned data or over a string. Digests of ranges of the data are
 * kept for the rest of the scan, as yara does: many rules compare hash.md5(0, filesize) with a
 * constant, and the file is hashed once for all of them. */
#include <string.h>

#include <openssl/evp.h>

#include "modrt_internal.h"
#include "range.h"

static void digest(vt_modrt_fncall *call, const EVP_MD *md, const uint8_t *p, size_t len)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int out_len = 0;
    if (!EVP_Digest(p, len, out, &out_len, md, NULL)) {
        call->scan->out_of_memory = true;
        return;
    }
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < out_len; i++) {
        hex[2 * i] = digits[out[i] >> 4];
        hex[2 * i + 1] = digits[out[i] & 15];
    }
    vt_modrt_return_string(call, hex, 2 * (size_t)out_len);
}

static bool data_range(vt_modrt_fncall *call, const uint8_t **p, size_t *len)
{
    size_t start;
    if (!vt_modrt_range(call->size, call->args[0].i, call->args[1].i, &start, len))
        return false;
    *p = call->data + start;
    return true;
}

/* Digests of data ranges computed in this scan (arena memory, gone with the scan). */
enum { CACHED_DIGESTS = 16 };
typedef struct cached_digest {
    const EVP_MD *md;
    const uint8_t *p;
    size_t len;
    char hex[2 * EVP_MAX_MD_SIZE];
    size_t hex_len;
} cached_digest;
typedef struct digest_cache {
    cached_digest items[CACHED_DIGESTS];
    size_t count, next;
} digest_cache;

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    (void)data;
    (void)size;
    module->data = vt_modrt_alloc(scan, sizeof(digest_cache));
    return module->data ? VT_OK : VT_ERR_NOMEM;
}

static void data_digest(vt_modrt_fncall *call, const EVP_MD *md)
{
    const uint8_t *p;
    size_t len;
    if (!data_range(call, &p, &len))
        return;
    digest_cache *cache = call->module_data;
    for (size_t i = 0; cache && i < cache->count; i++) {
        const cached_digest *c = &cache->items[i];
        if (c->md == md && c->p == p && c->len == len) {
            vt_modrt_return_string(call, c->hex, c->hex_len);
            return;
        }
    }
    digest(call, md, p, len);
    const vt_modrt_value *r = call->result;
    if (!cache || r->kind != VT_MODULE_STRING || r->len > sizeof cache->items[0].hex)
        return;
    cached_digest *c = &cache->items[cache->next];
    cache->next = (cache->next + 1) % CACHED_DIGESTS;
    if (cache->count < CACHED_DIGESTS)
        cache->count++;
    *c = (cached_digest){.md = md, .p = p, .len = len, .hex_len = r->len};
    memcpy(c->hex, r->s, r->len);
}

#define DIGEST_FUNCTIONS(name, kind)                                                           \
    static void data_##name(vt_modrt_fncall *call)                                             \
    {                                                                                          \
        data_digest(call, vt_modrt_digest(call->scan, kind));                                  \
    }                                                                                          \
    static void string_##name(vt_modrt_fncall *call)                                           \
    {                                                                                          \
        digest(call, vt_modrt_digest(call->scan, kind), call->args[0].s, call->args[0].len);   \
    }

DIGEST_FUNCTIONS(md5, VT_MODRT_MD5)
DIGEST_FUNCTIONS(sha1, VT_MODRT_SHA1)
DIGEST_FUNCTIONS(sha256, VT_MODRT_SHA256)

static uint32_t checksum32(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return sum;
}

static uint32_t crc32_of(const uint8_t *p, size_t len)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static void data_checksum32(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, &p, &len))
        vt_modrt_return_integer(call, checksum32(p, len));
}

static void string_checksum32(vt_modrt_fncall *call)
{
    vt_modrt_return_integer(call, checksum32(call->args[0].s, call->args[0].len));
}

static void data_crc32(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, &p, &len))
        vt_modrt_return_integer(call, crc32_of(p, len));
}

static void string_crc32(vt_modrt_fncall *call)
{
    vt_modrt_return_integer(call, crc32_of(call->args[0].s, call->args[0].len));
}

static const vt_modrt_function_def functions[] = {
    {"", "md5", "ii", data_md5},
    {"", "md5", "s", string_md5},
    {"", "sha1", "ii", data_sha1},
    {"", "sha1", "s", string_sha1},
    {"", "sha256", "ii", data_sha256},
    {"", "sha256", "s", string_sha256},
    {"", "checksum32", "ii", data_checksum32},
    {"", "checksum32", "s", string_checksum32},
    {"", "crc32", "ii", data_crc32},
    {"", "crc32", "s", string_crc32},
};

const vt_modrt_module_def vt_modrt_module_hash = {
    "hash", load, functions, sizeof functions / sizeof functions[0], NULL,
};
