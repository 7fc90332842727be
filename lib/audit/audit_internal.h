/* audit_internal.h (private to lib/audit): the auditor's tables of what documents and personal
 * data look like (markings.c), encoded into the byte forms a rule can search for, and the
 * helpers shared by the checks (audit.c), the canary scan and the report (report.c). */
#ifndef VITRINE_AUDIT_INTERNAL_H
#define VITRINE_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vitrine/audit.h>
#include <vitrine/common.h>

#define VT_NONE32 0xffffffffu /* end of a bucket list */

/* Byte encodings a marking is looked for in. */
typedef enum vt_audit_encoding {
    VT_AUDIT_UTF8 = 0,
    VT_AUDIT_UTF16LE,
    VT_AUDIT_LATIN1, /* ISO-8859-1 / cp1252 (French and German accents) */
    VT_AUDIT_CP1251,
    VT_AUDIT_KOI8R,
    VT_AUDIT_GB2312,
    VT_AUDIT_ENCODING_COUNT_
} vt_audit_encoding;

const char *vt_audit_encoding_name(vt_audit_encoding encoding);

/* What a needle or a sample stands for. */
typedef enum vt_audit_topic {
    VT_AUDIT_TOPIC_MARKING = 0, /* classification / handling marking */
    VT_AUDIT_TOPIC_SSN,
    VT_AUDIT_TOPIC_CARD,
    VT_AUDIT_TOPIC_IBAN,
    VT_AUDIT_TOPIC_MRZ,
    VT_AUDIT_TOPIC_EMAIL,
    VT_AUDIT_TOPIC_PII_KEYWORD,
} vt_audit_topic;

/* The finding id of a topic ("AUD-MARKING-001", "AUD-PII-001", ...). */
const char *vt_audit_topic_id(vt_audit_topic topic);
const char *vt_audit_topic_name(vt_audit_topic topic);

/* One encoded form of a marking or keyword: the bytes to look for. */
typedef struct vt_audit_needle {
    uint8_t *bytes;
    size_t len;
    vt_audit_encoding encoding;
    vt_audit_topic topic;
    const char *text;   /* the marking as listed (UTF-8) */
    const char *family; /* "US", "NATO", "German", ... */
    bool weak;          /* a single common word: flagged only when it is the whole string */
    bool cjk;           /* no word boundaries in its script */
    bool lower;         /* the all-lower-case form (differs from the listed forms) */
} vt_audit_needle;

/* A sample text embedded in the probe buffer: the bytes [core, core + core_len) of the probe
 * are the marking or personal datum; the control buffer has the same layout with every letter
 * and digit of the sample changed. */
typedef struct vt_audit_sample {
    size_t core, core_len;
    size_t lo, hi; /* a hunting match stays inside [lo, hi): the sample and its line ends */
    vt_audit_encoding encoding;
    vt_audit_topic topic;
    const char *text;
    const char *family;
    bool weak;
} vt_audit_sample;

/* Everything one audit compares against, built once per audit (no global state). */
typedef struct vt_audit_tables {
    vt_audit_needle *needles;
    size_t needle_count;
    /* needles by the ASCII-folded first two bytes (65536 buckets of indexes, -1 ends) */
    uint32_t *bucket_first, *bucket_next;
    /* strong needles of 8 bytes or more by the xor of their bytes 0^1 and 1^2, which a key does
     * not change: how xor-encoded markings are found */
    uint32_t *xbucket_first, *xbucket_next;
    vt_audit_sample *samples;
    size_t sample_count;
    vt_buf probe, control; /* samples laid out one after the other; same lengths */
} vt_audit_tables;

vt_status vt_audit_tables_build(vt_audit_tables *tables, vt_error *err);
void vt_audit_tables_free(vt_audit_tables *tables);

static inline uint8_t vt_audit_fold(uint8_t b)
{
    return b >= 'a' && b <= 'z' ? (uint8_t)(b - 32) : b;
}

/* Add finding `id` (reason from format) to rule `rule` of the report, once per id and string
 * (string may be NULL); a VT_AUDIT_FLAG finding flags the rule. */
vt_status vt_audit_add_finding(vt_audit_report *report, vt_error *err, uint32_t rule,
                               const char *id, vt_audit_severity severity, const char *string,
                               const char *format, ...) __attribute__((format(printf, 7, 8)));

#endif
