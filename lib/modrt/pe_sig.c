/* pe_sig.c: the pe module's Authenticode certificates (yara 4.2.3 with OpenSSL): every
 * WIN_CERTIFICATE of the security directory is decoded as PKCS#7 by OpenSSL, each signer
 * certificate fills one pe.signatures[] item (thumbprint, issuer, subject, version, algorithm,
 * algorithm_oid, serial, not_before, not_after), and nested signatures (the
 * 1.3.6.1.4.1.311.2.4.1 unsigned attribute) are followed, up to yara's 16 certificates. */
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pe_internal.h"

enum { MAX_CERTS = 16, WIN_CERT_REVISION_1_0 = 0x100, WIN_CERT_REVISION_2_0 = 0x200,
       WIN_CERT_TYPE_PKCS_SIGNED_DATA = 2 };

#define NESTED_SIGNATURE_OID "1.3.6.1.4.1.311.2.4.1"

/* yara's ASN1_get_time_t: digits read as they stand, time zone ignored. */
static int64_t asn1_time(const ASN1_TIME *t)
{
    const unsigned char *s = ASN1_STRING_get0_data(t);
    int len = ASN1_STRING_length(t), i = 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int need = ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME ? 14 : 12;
    if (!s || len < need)
        return VT_MODRT_UNDEFINED;
#define DIGIT() (s[i++] - '0')
    if (ASN1_STRING_type(t) == V_ASN1_UTCTIME) {
        tm.tm_year = DIGIT() * 10;
        tm.tm_year += DIGIT();
        if (tm.tm_year < 70)
            tm.tm_year += 100;
    } else if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME) {
        tm.tm_year = DIGIT() * 1000;
        tm.tm_year += DIGIT() * 100;
        tm.tm_year += DIGIT() * 10;
        tm.tm_year += DIGIT();
        tm.tm_year -= 1900;
    }
    tm.tm_mon = DIGIT() * 10;
    tm.tm_mon += DIGIT() - 1;
    tm.tm_mday = DIGIT() * 10;
    tm.tm_mday += DIGIT();
    tm.tm_hour = DIGIT() * 10;
    tm.tm_hour += DIGIT();
    tm.tm_min = DIGIT() * 10;
    tm.tm_min += DIGIT();
    tm.tm_sec = DIGIT() * 10;
    tm.tm_sec += DIGIT();
#undef DIGIT
    return (int64_t)timegm(&tm);
}

static void set_serial(pe_file *pe, X509 *cert, int n)
{
    ASN1_INTEGER *serial = X509_get_serialNumber(cert);
    if (!serial)
        return;
    int bytes = i2d_ASN1_INTEGER(serial, NULL);
    if (bytes <= 2 || bytes > 22)
        return;
    unsigned char der[22], *p = der;
    bytes = i2d_ASN1_INTEGER(serial, &p);
    if (bytes <= 2 || bytes > 22)
        return;
    char text[3 * 22];
    size_t len = 0;
    for (int j = 2; j < bytes; j++)
        len += (size_t)snprintf(text + len, sizeof text - len, j < bytes - 1 ? "%02x:" : "%02x",
                                der[j]);
    vt_modrt_set_string(text, len, pe->root, "signatures[%i].serial", n);
}

static void set_certificate(pe_file *pe, X509 *cert, int n)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    char buffer[256];
    if (X509_digest(cert, EVP_sha1(), digest, &digest_len)) {
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        for (unsigned j = 0; j < digest_len; j++)
            snprintf(hex + 2 * j, 3, "%02x", digest[j]);
        vt_modrt_set_string(hex, 2 * (size_t)digest_len, pe->root, "signatures[%i].thumbprint", n);
    }
    X509_NAME_oneline(X509_get_issuer_name(cert), buffer, sizeof buffer);
    vt_modrt_set_sz(buffer, pe->root, "signatures[%i].issuer", n);
    X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
    vt_modrt_set_sz(buffer, pe->root, "signatures[%i].subject", n);
    vt_modrt_set_integer(X509_get_version(cert) + 1, pe->root, "signatures[%i].version", n);
    int nid = X509_get_signature_nid(cert);
    vt_modrt_set_sz(OBJ_nid2ln(nid), pe->root, "signatures[%i].algorithm", n);
    buffer[0] = '\0';
    OBJ_obj2txt(buffer, sizeof buffer, OBJ_nid2obj(nid), 1);
    vt_modrt_set_sz(buffer, pe->root, "signatures[%i].algorithm_oid", n);
    set_serial(pe, cert, n);
    vt_modrt_set_integer(asn1_time(X509_get0_notBefore(cert)), pe->root,
                         "signatures[%i].not_before", n);
    vt_modrt_set_integer(asn1_time(X509_get0_notAfter(cert)), pe->root,
                         "signatures[%i].not_after", n);
}

/* The nested-signature attribute of a signer, or NULL. Matched by OID text, so that nothing is
 * registered in OpenSSL's global object table. */
static X509_ATTRIBUTE *nested_attribute(PKCS7_SIGNER_INFO *si)
{
    STACK_OF(X509_ATTRIBUTE) *attrs = PKCS7_get_attributes(si);
    for (int i = 0; i < X509at_get_attr_count(attrs); i++) {
        X509_ATTRIBUTE *xa = X509at_get_attr(attrs, i);
        char oid[64];
        if (OBJ_obj2txt(oid, sizeof oid, X509_ATTRIBUTE_get0_object(xa), 1) > 0 &&
            strcmp(oid, NESTED_SIGNATURE_OID) == 0)
            return xa;
    }
    return NULL;
}

static void parse_pkcs7(pe_file *pe, PKCS7 *pkcs7, int *counter, int depth)
{
    if (*counter >= MAX_CERTS || depth > MAX_CERTS || !PKCS7_type_is_signed(pkcs7))
        return;
    STACK_OF(X509) *certs = PKCS7_get0_signers(pkcs7, NULL, 0);
    if (!certs)
        return;
    for (int i = 0; i < sk_X509_num(certs) && *counter < MAX_CERTS; i++)
        set_certificate(pe, sk_X509_value(certs, i), (*counter)++);
    PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(pkcs7), 0);
    X509_ATTRIBUTE *xa = si ? nested_attribute(si) : NULL;
    for (int j = 0; xa && j < MAX_CERTS; j++) {
        ASN1_TYPE *nested = X509_ATTRIBUTE_get0_type(xa, j);
        if (!nested)
            break;
        if (nested->type != V_ASN1_SEQUENCE)
            continue;
        const unsigned char *p = nested->value.sequence->data;
        PKCS7 *inner = d2i_PKCS7(NULL, &p, nested->value.sequence->length);
        if (inner) {
            parse_pkcs7(pe, inner, counter, depth + 1);
            PKCS7_free(inner);
        }
    }
    sk_X509_free(certs);
}

void vt_modrt_pe_parse_certificates(pe_file *pe)
{
    uint64_t dir = vt_modrt_pe_directory(pe, 4);
    if (!dir)
        return;
    vt_modrt_set_integer(0, pe->root, "number_of_signatures");
    uint32_t va = pe_u32(pe, dir), size = pe_u32(pe, dir + 4);
    if (va == 0 || va > pe->size || size > pe->size || (uint32_t)(va + size) > pe->size)
        return;
    uint64_t eod = (uint64_t)va + size, cert = va;
    int counter = 0;
    while (pe_fits(pe, cert, 8) && pe_u32(pe, cert) > 8 && pe_fits(pe, cert, pe_u32(pe, cert)) &&
           cert + 8 < eod && cert + pe_u32(pe, cert) <= eod) {
        uint32_t length = pe_u32(pe, cert);
        uint16_t revision = pe_u16(pe, cert + 4), type = pe_u16(pe, cert + 6);
        if (revision != WIN_CERT_REVISION_1_0 && revision != WIN_CERT_REVISION_2_0)
            break;
        uint64_t end = cert + length;
        if (revision == WIN_CERT_REVISION_2_0 && type == WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
            const unsigned char *p = pe->data + cert + 8;
            while (p < pe->data + end && counter < MAX_CERTS) {
                PKCS7 *pkcs7 = d2i_PKCS7(NULL, &p, (long)(pe->data + end - p));
                if (!pkcs7)
                    break;
                parse_pkcs7(pe, pkcs7, &counter, 0);
                PKCS7_free(pkcs7);
            }
        }
        cert = (end + 7) & ~(uint64_t)7;
    }
    vt_modrt_set_integer(counter, pe->root, "number_of_signatures");
}
