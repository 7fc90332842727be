/* sample.c: which submitted files are documents (docs/telemetry.md "Samples"): a document may
 * hold a person's own content, so `vitrine submit` sends one only when told
 * --i-understand-this-is-a-document, and nothing automatic ever sends a file. Decided from
 * libmagic's MIME type and from the bytes themselves, so that a file libmagic misreads is still
 * caught by its signature. Pure. */
#include <string.h>

#include <vitrine/telemetry.h>

static int starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int contains(const void *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    return len >= n && memmem(data, len, needle, n) != NULL;
}

const char *vt_telemetry_document_kind(const char *mime, const void *data, size_t len)
{
    const unsigned char *b = data;
    static const unsigned char ole2[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
    int zip = len >= 4 && memcmp(b, "PK\x03\x04", 4) == 0;
    if (contains(data, len < 1024 ? len : 1024, "%PDF-") || starts(mime, "application/pdf"))
        return "PDF";
    if ((len >= 8 && memcmp(b, ole2, 8) == 0) || starts(mime, "application/x-ole-storage") ||
        starts(mime, "application/CDFV2") || starts(mime, "application/msword") ||
        starts(mime, "application/vnd.ms-"))
        return "OLE2";
    if (starts(mime, "application/vnd.openxmlformats-officedocument.") ||
        (zip && contains(data, len, "[Content_Types].xml")))
        return "OOXML";
    if (starts(mime, "application/vnd.oasis.opendocument.") ||
        (zip && len >= 30 + 8 + 35 &&
         memcmp(b + 30, "mimetypeapplication/vnd.oasis.opendocument", 43) == 0))
        return "ODF";
    if ((len >= 5 && memcmp(b, "{\\rtf", 5) == 0) || starts(mime, "text/rtf") ||
        starts(mime, "application/rtf"))
        return "RTF";
    if (starts(mime, "text/"))
        return "plain text";
    return NULL;
}
