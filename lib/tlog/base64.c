/* base64.c: strict standard base64 (RFC 4648 section 4) over OpenSSL's codec. Signed notes,
 * keys, checkpoints and proofs all carry base64; we accept only the canonical encoding so that
 * a changed byte can never decode to the same value. */
#include <string.h>

#include <openssl/evp.h>

#include <vitrine/tlog.h>

void vt_tlog_base64_encode(const void *data, size_t len, char *out, size_t out_size)
{
    size_t need = 4 * ((len + 2) / 3) + 1;
    if (out_size < need || len > (size_t)1 << 30) {
        if (out_size)
            out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

static int is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

vt_status vt_tlog_base64_decode(const char *text, size_t text_len, unsigned char *out,
                                size_t out_size, size_t *out_len)
{
    *out_len = 0;
    if (text_len % 4 != 0 || text_len > (size_t)1 << 30)
        return VT_ERR_SYNTAX;
    size_t pad = 0;
    if (text_len >= 1 && text[text_len - 1] == '=')
        pad++;
    if (text_len >= 2 && text[text_len - 2] == '=')
        pad++;
    for (size_t i = 0; i < text_len - pad; i++)
        if (!is_b64_char(text[i]))
            return VT_ERR_SYNTAX;
    size_t decoded = text_len / 4 * 3 - pad;
    if (decoded > out_size)
        return VT_ERR_LIMIT;
    if (text_len == 0)
        return VT_OK;
    unsigned char *tmp = OPENSSL_malloc(text_len / 4 * 3 + 1);
    char *check = OPENSSL_malloc(text_len + 1);
    if (!tmp || !check) {
        OPENSSL_free(tmp);
        OPENSSL_free(check);
        return VT_ERR_NOMEM;
    }
    vt_status st = VT_OK;
    int got = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)text_len);
    if (got < 0 || (size_t)got != text_len / 4 * 3) {
        st = VT_ERR_SYNTAX;
    } else {
        /* Canonical: encoding the result again gives the same text (no stray padding bits). */
        EVP_EncodeBlock((unsigned char *)check, tmp, (int)decoded);
        if (memcmp(check, text, text_len) != 0)
            st = VT_ERR_SYNTAX;
        else {
            memcpy(out, tmp, decoded);
            *out_len = decoded;
        }
    }
    OPENSSL_free(tmp);
    OPENSSL_free(check);
    return st;
}
