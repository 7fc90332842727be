/* text.c: the small text checks the C2SP formats ask for: UTF-8 validity, Unicode spaces in key
 * names, decimal numbers without leading zeros. */
#include <string.h>

#include "tlog_internal.h"

size_t vt_tlog_utf8_next(const unsigned char *s, size_t left, uint32_t *cp)
{
    return vt_utf8_next(s, left, cp);
}

int vt_tlog_is_unicode_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

int vt_tlog_valid_key_name(const char *s, size_t len)
{
    if (len == 0 || len > VT_TLOG_MAX_KEY_NAME)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = vt_tlog_utf8_next(p + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '+' || vt_tlog_is_unicode_space(cp))
            return 0;
        i += n;
    }
    return 1;
}

int vt_tlog_parse_decimal(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > INT64_MAX)
        return 0;
    *out = v;
    return 1;
}

vt_status vt_tlog_ed25519_sign(EVP_PKEY *key, const unsigned char *msg, size_t len,
                            unsigned char sig[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return VT_ERR_NOMEM;
    size_t sig_len = 64;
    int ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 && sig_len == 64;
    EVP_MD_CTX_free(ctx);
    return ok ? VT_OK : VT_ERR_NOMEM;
}

int vt_tlog_ed25519_verify(EVP_PKEY *key, const unsigned char *msg, size_t len,
                        const unsigned char *sig, size_t sig_len)
{
    if (sig_len != 64)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return 0;
    int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}
