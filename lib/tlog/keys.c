/* keys.c: Ed25519 keys in Go's golang.org/x/mod/sumdb/note text format.
 *   private:  PRIVATE+KEY+<name>+<hex key ID>+base64(type || 32-byte seed)
 *   verifier: <name>+<hex key ID>+base64(type || 32-byte public key)
 * The key ID is SHA-256(name || "\n" || type || public key)[:4], as Go computes it; we refuse a
 * key whose ID does not match. Type 0x01 signs notes (logs); type 0x04 makes cosignatures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "tlog_internal.h"

uint32_t vt_tlog_key_id(const char *name, int type, const unsigned char pub[32])
{
    size_t name_len = strlen(name);
    unsigned char buf[VT_TLOG_MAX_KEY_NAME + 2 + 32];
    if (name_len > VT_TLOG_MAX_KEY_NAME)
        name_len = VT_TLOG_MAX_KEY_NAME;
    memcpy(buf, name, name_len);
    buf[name_len] = '\n';
    buf[name_len + 1] = (unsigned char)type;
    memcpy(buf + name_len + 2, pub, 32);
    unsigned char digest[32];
    SHA256(buf, name_len + 2 + 32, digest);
    return (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 |
           digest[3];
}

static int supported_type(int type)
{
    return type == VT_TLOG_SIG_ED25519 || type == VT_TLOG_SIG_COSIGNATURE_V1;
}

vt_status vt_tlog_signer_from_seed(const char *name, int type, const unsigned char seed[32],
                                   vt_tlog_signer **out, vt_error *err)
{
    *out = NULL;
    if (!vt_tlog_valid_key_name(name, strlen(name)))
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid key name '%s' (non-empty, no spaces or '+')",
                            name);
    if (!supported_type(type))
        return vt_error_set(err, VT_ERR_ARGUMENT, "unsupported signature type 0x%02x", type);
    vt_tlog_signer *s = calloc(1, sizeof *s);
    if (!s)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t pub_len = 32;
    if (!s->pkey || EVP_PKEY_get_raw_public_key(s->pkey, s->pub, &pub_len) != 1 || pub_len != 32) {
        vt_tlog_signer_free(s);
        return vt_error_set(err, VT_ERR_NOMEM, "cannot make an Ed25519 key");
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->type = type;
    memcpy(s->seed, seed, 32);
    s->id = vt_tlog_key_id(name, type, s->pub);
    *out = s;
    return VT_OK;
}

void vt_tlog_signer_free(vt_tlog_signer *signer)
{
    if (!signer)
        return;
    EVP_PKEY_free(signer->pkey);
    OPENSSL_cleanse(signer, sizeof *signer);
    free(signer);
}

const char *vt_tlog_signer_name(const vt_tlog_signer *signer)
{
    return signer->name;
}

static vt_status format_key(const char *prefix, const char *name, uint32_t id, int type,
                            const unsigned char key[32], char **out, vt_error *err)
{
    unsigned char raw[33];
    raw[0] = (unsigned char)type;
    memcpy(raw + 1, key, 32);
    char b64[64];
    vt_tlog_base64_encode(raw, sizeof raw, b64, sizeof b64);
    OPENSSL_cleanse(raw, sizeof raw);
    vt_buf buf = {0};
    vt_status st = vt_buf_printf(&buf, "%s%s+%08x+%s", prefix, name, (unsigned)id, b64);
    OPENSSL_cleanse(b64, sizeof b64);
    if (st != VT_OK) {
        vt_buf_free(&buf);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    *out = (char *)vt_buf_detach(&buf, NULL);
    return *out ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}

vt_status vt_tlog_signer_vkey(const vt_tlog_signer *signer, char **vkey_text, vt_error *err)
{
    return format_key("", signer->name, signer->id, signer->type, signer->pub, vkey_text, err);
}

vt_status vt_tlog_keygen(const char *name, int type, char **private_text, char **vkey_text,
                         vt_error *err)
{
    *private_text = *vkey_text = NULL;
    unsigned char seed[32];
    if (RAND_bytes(seed, sizeof seed) != 1)
        return vt_error_set(err, VT_ERR_IO, "the random number generator failed");
    vt_tlog_signer *s;
    vt_status st = vt_tlog_signer_from_seed(name, type, seed, &s, err);
    OPENSSL_cleanse(seed, sizeof seed);
    if (st != VT_OK)
        return st;
    st = format_key("PRIVATE+KEY+", s->name, s->id, s->type, s->seed, private_text, err);
    if (st == VT_OK)
        st = vt_tlog_signer_vkey(s, vkey_text, err);
    vt_tlog_signer_free(s);
    if (st != VT_OK) {
        free(*private_text);
        *private_text = NULL;
    }
    return st;
}

/* Split "name+hex+base64" (after any prefix): checks the name, the 8-digit lowercase-or-upper hex
 * ID, and decodes type || 32 bytes. */
static vt_status split_key(const char *text, size_t len, const char *what, char *name,
                           uint32_t *id, int *type, unsigned char key[32], vt_error *err)
{
    /* Names cannot hold '+', but base64 can: split at the first two. */
    const char *plus1 = memchr(text, '+', len);
    const char *plus2 = plus1 ? memchr(plus1 + 1, '+', len - (size_t)(plus1 + 1 - text)) : NULL;
    if (!plus1 || !plus2)
        return vt_error_set(err, VT_ERR_SYNTAX, "malformed %s: expected NAME+ID+KEY", what);
    size_t name_len = (size_t)(plus1 - text);
    if (!vt_tlog_valid_key_name(text, name_len))
        return vt_error_set(err, VT_ERR_SYNTAX, "malformed %s: invalid key name", what);
    memcpy(name, text, name_len);
    name[name_len] = '\0';
    const char *hex = plus1 + 1;
    if (plus2 - hex != 8)
        return vt_error_set(err, VT_ERR_SYNTAX, "malformed %s: key ID must be 8 hex digits", what);
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = hex[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return vt_error_set(err, VT_ERR_SYNTAX, "malformed %s: key ID must be lowercase hex", what);
        v = v << 4 | (uint32_t)d;
    }
    unsigned char raw[33];
    size_t raw_len;
    const char *b64 = plus2 + 1;
    if (vt_tlog_base64_decode(b64, len - (size_t)(b64 - text), raw, sizeof raw, &raw_len) != VT_OK ||
        raw_len != 33)
        return vt_error_set(err, VT_ERR_SYNTAX, "malformed %s: key material is not base64 of 33 bytes",
                            what);
    if (!supported_type(raw[0])) {
        OPENSSL_cleanse(raw, sizeof raw);
        return vt_error_set(err, VT_ERR_FORMAT, "%s: unsupported signature type 0x%02x", what, raw[0]);
    }
    *id = v;
    *type = raw[0];
    memcpy(key, raw + 1, 32);
    OPENSSL_cleanse(raw, sizeof raw);
    return VT_OK;
}

static void trim(const char **text, size_t *len)
{
    while (*len && (**text == ' ' || **text == '\t' || **text == '\n' || **text == '\r'))
        (*text)++, (*len)--;
    while (*len && ((*text)[*len - 1] == ' ' || (*text)[*len - 1] == '\t' ||
                    (*text)[*len - 1] == '\n' || (*text)[*len - 1] == '\r'))
        (*len)--;
}

vt_status vt_tlog_signer_parse(const char *text, size_t len, vt_tlog_signer **out, vt_error *err)
{
    *out = NULL;
    trim(&text, &len);
    static const char prefix[] = "PRIVATE+KEY+";
    if (len < sizeof prefix - 1 || memcmp(text, prefix, sizeof prefix - 1) != 0)
        return vt_error_set(err, VT_ERR_SYNTAX, "not a private key: expected PRIVATE+KEY+NAME+ID+KEY");
    char name[VT_TLOG_MAX_KEY_NAME + 1];
    uint32_t id;
    int type;
    unsigned char seed[32];
    vt_status st = split_key(text + sizeof prefix - 1, len - (sizeof prefix - 1), "private key",
                             name, &id, &type, seed, err);
    if (st != VT_OK)
        return st;
    st = vt_tlog_signer_from_seed(name, type, seed, out, err);
    OPENSSL_cleanse(seed, sizeof seed);
    if (st != VT_OK)
        return st;
    if ((*out)->id != id) {
        vt_tlog_signer_free(*out);
        *out = NULL;
        return vt_error_set(err, VT_ERR_VERIFY, "private key: key ID does not match the key");
    }
    return VT_OK;
}

vt_status vt_tlog_signer_load(const char *path, vt_tlog_signer **out, vt_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return vt_error_errno(err, errno == ENOENT ? VT_ERR_NOT_FOUND : VT_ERR_IO, errno,
                              "cannot read key %s", path);
    if (st.st_mode & 077)
        return vt_error_set(err, VT_ERR_STATE,
                            "private key %s is readable by others (mode %03o); chmod 600 it", path,
                            (unsigned)(st.st_mode & 0777));
    unsigned char *data;
    size_t len;
    vt_status s = vt_read_file(path, 4096, &data, &len, err);
    if (s != VT_OK)
        return s;
    s = vt_tlog_signer_parse((const char *)data, len, out, err);
    OPENSSL_cleanse(data, len);
    free(data);
    if (s != VT_OK && err)
        snprintf(err->file, sizeof err->file, "%s", path);
    return s;
}

vt_status vt_tlog_verifier_parse(const char *text, size_t len, vt_tlog_verifier **out,
                                 vt_error *err)
{
    *out = NULL;
    trim(&text, &len);
    if (len > VT_TLOG_MAX_KEY_NAME + 64)
        return vt_error_set(err, VT_ERR_LIMIT, "verifier key too long");
    vt_tlog_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    vt_status st = split_key(text, len, "verifier key", v->name, &v->id, &v->type, v->pub, err);
    if (st != VT_OK) {
        free(v);
        return st;
    }
    if (vt_tlog_key_id(v->name, v->type, v->pub) != v->id) {
        free(v);
        return vt_error_set(err, VT_ERR_VERIFY, "verifier key: key ID does not match the key");
    }
    v->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, v->pub, 32);
    if (!v->pkey) {
        free(v);
        return vt_error_set(err, VT_ERR_FORMAT, "verifier key: not a valid Ed25519 public key");
    }
    *out = v;
    return VT_OK;
}

vt_status vt_tlog_verifier_load(const char *arg, vt_tlog_verifier **out, vt_error *err)
{
    unsigned char *data;
    size_t len;
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        vt_status s = vt_read_file(arg, 4096, &data, &len, err);
        if (s != VT_OK)
            return s;
        s = vt_tlog_verifier_parse((const char *)data, len, out, err);
        free(data);
        if (s != VT_OK && err)
            snprintf(err->file, sizeof err->file, "%s", arg);
        return s;
    }
    return vt_tlog_verifier_parse(arg, strlen(arg), out, err);
}

void vt_tlog_verifier_free(vt_tlog_verifier *verifier)
{
    if (!verifier)
        return;
    EVP_PKEY_free(verifier->pkey);
    free(verifier);
}

const char *vt_tlog_verifier_name(const vt_tlog_verifier *verifier)
{
    return verifier->name;
}

uint32_t vt_tlog_verifier_id(const vt_tlog_verifier *verifier)
{
    return verifier->id;
}

int vt_tlog_verifier_type(const vt_tlog_verifier *verifier)
{
    return verifier->type;
}

int vt_tlog_verifier_same_key(const vt_tlog_verifier *a, const vt_tlog_verifier *b)
{
    return memcmp(a->pub, b->pub, 32) == 0;
}
