/* mod_hash.c: yara's hash module: md5, sha1, sha256 (lowercase hex, through OpenSSL), checksum32
 * and crc32, over a range of the scanned data or over a string. Digests of ranges of the data are
 * kept for the rest of the scan, as yara does: many rules compare hash.md5(0, filesize) with a
 * constant, and the file is hashed once for all of them. */
#include <stdint.h>
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

/* Digests of data ranges computed in this scan, in a hash table in the scan's arena (gone with
 * the scan). It holds every range asked for, as yara's cache does: a file with hundreds of icon
 * resources is hashed once per icon, not once per icon and rule. (A ring of 16 entries, as
 * before, held none of them: bartblaze's three `hash.md5(pe.resources[i].offset, ...)` rules
 * hashed every icon of shell32.dll three times.) */
typedef struct cached_digest {
    const EVP_MD *md; /* NULL: a free slot */
    const uint8_t *p;
    size_t len;
    char hex[2 * EVP_MAX_MD_SIZE];
    size_t hex_len;
} cached_digest;
typedef struct digest_cache {
    cached_digest *slots; /* cap slots, cap a power of two; at most half of them used */
    size_t cap, count;
} digest_cache;

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    (void)data;
    (void)size;
    module->data = vt_modrt_alloc(scan, sizeof(digest_cache));
    return module->data ? VT_OK : VT_ERR_NOMEM;
}

static size_t digest_slot(const digest_cache *cache, const EVP_MD *md, const uint8_t *p,
                          size_t len)
{
    uint64_t h = ((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15u) ^ (len * 0xC2B2AE3D27D4EB4Fu) ^
                 (uint64_t)(uintptr_t)md;
    size_t at = (size_t)(h ^ (h >> 29)) & (cache->cap - 1);
    while (cache->slots[at].md &&
           !(cache->slots[at].md == md && cache->slots[at].p == p && cache->slots[at].len == len))
        at = (at + 1) & (cache->cap - 1);
    return at;
}

/* Room for one more digest: the table doubled (in the arena) when half full. false: out of
 * memory (the digest is then not kept; the scan is marked by vt_modrt_alloc). */
static bool digest_room(vt_modrt_scan *scan, digest_cache *cache)
{
    if (cache->slots && 2 * (cache->count + 1) <= cache->cap)
        return true;
    size_t cap = cache->cap ? 2 * cache->cap : 16;
    cached_digest *slots = vt_modrt_alloc(scan, cap * sizeof *slots);
    if (!slots)
        return false;
    memset(slots, 0, cap * sizeof *slots);
    digest_cache grown = {slots, cap, cache->count};
    for (size_t i = 0; i < cache->cap; i++) {
        const cached_digest *c = &cache->slots[i];
        if (c->md)
            slots[digest_slot(&grown, c->md, c->p, c->len)] = *c;
    }
    *cache = grown;
    return true;
}

static void data_digest(vt_modrt_fncall *call, const EVP_MD *md)
{
    const uint8_t *p;
    size_t len;
    if (!data_range(call, &p, &len))
        return;
    digest_cache *cache = call->module_data;
    if (cache && cache->count) {
        const cached_digest *c = &cache->slots[digest_slot(cache, md, p, len)];
        if (c->md) {
            vt_modrt_return_string(call, c->hex, c->hex_len);
            return;
        }
    }
    digest(call, md, p, len);
    const vt_modrt_value *r = call->result;
    if (!cache || r->kind != VT_MODULE_STRING || r->len > sizeof cache->slots[0].hex ||
        !digest_room(call->scan, cache))
        return;
    cached_digest *c = &cache->slots[digest_slot(cache, md, p, len)];
    *c = (cached_digest){.md = md, .p = p, .len = len, .hex_len = r->len};
    memcpy(c->hex, r->s, r->len);
    cache->count++;
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
