/* pattern_common.h: shared body of the pattern_hex and pattern_regex fuzz targets: parse the
 * input as a pattern, and if it parses, compile it as a YARA string (with modifiers taken from
 * the first input byte), give the slow-string verdict and run the verifier over a fixed buffer,
 * checking that every match lies inside the buffer and that offsets increase.
 *
 * Input: a mode byte, the pattern, and optionally a zero byte followed by a data seed. With a
 * seed the verifier also runs over seed + FUZZ_RUN copies of the seed's last byte + seed: runs
 * longer than yara's 4096-byte scan limit reach the lazily built DFA and its memo with windows
 * past the limit (the limit counts from the atom, so a window can be longer than 4096 bytes),
 * which the short fixed buffer never did (a heap overflow in pike.c went unseen). */
#ifndef VITRINE_FUZZ_PATTERN_COMMON_H
#define VITRINE_FUZZ_PATTERN_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/match.h>
#include <vitrine/pattern.h>

static const uint8_t fuzz_haystack[] =
    "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in "
    "DOS mode.\r\n$\x00\x00PE\x00\x00L\x01hello world abcABC 0123 foo_bar\n\ta\x00b\x00c\x00"
    "d\x00\xcc\xcc\xcc\x90\x90http://example.com/x.exe VGhpcyBwcm9ncmFt \x01\x02\x03\x04";

#define FUZZ_RUN 4300

typedef struct fuzz_check {
    size_t len; /* of the scanned data */
    uint64_t last;
    int any;
    int bad;
} fuzz_check;

static int fuzz_on_match(void *ctx, const vt_match *m)
{
    fuzz_check *c = ctx;
    if (m->offset + m->length > c->len || m->length == 0 ||
        (c->any && m->offset <= c->last))
        c->bad = 1;
    c->last = m->offset;
    c->any = 1;
    return 0;
}

static void fuzz_pattern(const uint8_t *data, size_t size, vt_string_kind kind)
{
    if (size < 1 || size > 4096)
        return;
    unsigned mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const uint8_t *seed = memchr(text, 0, len);
    size_t seed_len = 0;
    if (seed) {
        seed_len = len - (size_t)(seed - (const uint8_t *)text) - 1;
        len = (size_t)(seed - (const uint8_t *)text);
        seed++;
    }
    vt_pattern *pat = NULL;
    vt_error err;
    vt_status st = kind == VT_STRING_HEX
                       ? vt_pattern_parse_hex(text, len, &pat, &err)
                       : vt_pattern_parse_regex(text, len, mode & 3, &pat, &err);
    if (st != VT_OK) {
        if (err.column < 1 || err.column > len + 1 || !err.message[0])
            abort();
        return;
    }
    (void)vt_pattern_matches_empty(pat);
    (void)vt_pattern_has_unbounded_dot(pat);
    vt_pattern_free(pat);

    vt_string_spec spec = {.kind = kind, .data = (const uint8_t *)text, .len = len};
    if (kind == VT_STRING_REGEX) {
        spec.regex_flags = mode & 3;
        spec.modifiers = (mode & 4 ? VT_MOD_WIDE : 0) | (mode & 8 ? VT_MOD_ASCII : 0) |
                         (mode & 16 ? VT_MOD_NOCASE : 0) | (mode & 32 ? VT_MOD_FULLWORD : 0);
    }
    bool slow = false;
    if (vt_string_is_slow(&spec, &slow, &err) != VT_OK)
        abort(); /* it parsed above */
    vt_string_matcher *m = NULL;
    if (vt_string_matcher_new(&spec, 7, &m, &err) != VT_OK)
        return; /* e.g. a program over the size limit */
    vt_match_scratch *scratch = vt_match_scratch_new();
    fuzz_check c = {.len = sizeof fuzz_haystack - 1};
    if (scratch)
        vt_string_matcher_scan(m, scratch, fuzz_haystack, sizeof fuzz_haystack - 1,
                               fuzz_on_match, &c, &err);
    uint8_t *run = seed_len ? malloc(seed_len * 2 + FUZZ_RUN) : NULL;
    if (scratch && run) {
        memcpy(run, seed, seed_len);
        memset(run + seed_len, seed[seed_len - 1], FUZZ_RUN);
        memcpy(run + seed_len + FUZZ_RUN, seed, seed_len);
        fuzz_check r = {.len = seed_len * 2 + FUZZ_RUN};
        vt_string_matcher_scan(m, scratch, run, r.len, fuzz_on_match, &r, &err);
        c.bad |= r.bad;
    }
    free(run);
    vt_match_scratch_free(scratch);
    vt_string_matcher_free(m);
    if (c.bad)
        abort();
}

#endif
