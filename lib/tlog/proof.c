/* proof.c: c2sp.org/tlog-proof@v1, a self-contained proof that an entry is in a log: optional
 * extra data, the index, the inclusion proof hashes, and the signed (maybe cosigned) checkpoint
 * verbatim. Parsing is strict (no leading zeros, canonical base64, bounded sizes). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tlog_internal.h"

static const char header[] = "c2sp.org/tlog-proof@v1";

void vt_tlog_proof_clear(vt_tlog_proof *proof)
{
    free(proof->extra);
    free(proof->checkpoint);
    memset(proof, 0, sizeof *proof);
}

/* The next line of text at *pos (without its newline); 0 at the end or on a missing newline. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len)
{
    if (*pos >= len)
        return 0;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    if (!nl)
        return 0;
    *line = text + *pos;
    *line_len = (size_t)(nl - *line);
    *pos = (size_t)(nl - text) + 1;
    return 1;
}

vt_status vt_tlog_proof_parse(const void *data, size_t len, vt_tlog_proof *out, vt_error *err)
{
    memset(out, 0, sizeof *out);
    const char *text = data;
    if (len > VT_TLOG_MAX_PROOF_TEXT)
        return vt_error_set(err, VT_ERR_LIMIT, "tlog-proof larger than %u bytes", VT_TLOG_MAX_PROOF_TEXT);
    size_t pos = 0, line_len;
    const char *line;
    unsigned line_no = 1;
    if (!next_line(text, len, &pos, &line, &line_len) || line_len != sizeof header - 1 ||
        memcmp(line, header, line_len) != 0)
        return vt_error_at(err, VT_ERR_SYNTAX, "", 1, 1, "tlog-proof: expected '%s'", header);
    line_no++;
    if (!next_line(text, len, &pos, &line, &line_len))
        return vt_error_at(err, VT_ERR_SYNTAX, "", line_no, 1, "tlog-proof: expected 'index N'");
    if (line_len >= 6 && memcmp(line, "extra ", 6) == 0) {
        size_t max = line_len / 4 * 3 + 1;
        out->extra = malloc(max);
        if (!out->extra)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        if (vt_tlog_base64_decode(line + 6, line_len - 6, out->extra, max, &out->extra_len) != VT_OK) {
            vt_tlog_proof_clear(out);
            return vt_error_at(err, VT_ERR_SYNTAX, "", line_no, 7,
                               "tlog-proof: extra data is not canonical base64");
        }
        out->has_extra = 1;
        line_no++;
        if (!next_line(text, len, &pos, &line, &line_len)) {
            vt_tlog_proof_clear(out);
            return vt_error_at(err, VT_ERR_SYNTAX, "", line_no, 1, "tlog-proof: expected 'index N'");
        }
    }
    if (line_len < 7 || memcmp(line, "index ", 6) != 0 ||
        !vt_tlog_parse_decimal(line + 6, line_len - 6, &out->index)) {
        vt_tlog_proof_clear(out);
        return vt_error_at(err, VT_ERR_SYNTAX, "", line_no, 1,
                           "tlog-proof: expected 'index N' with a decimal without leading zeros");
    }
    for (;;) {
        line_no++;
        if (!next_line(text, len, &pos, &line, &line_len)) {
            vt_tlog_proof_clear(out);
            return vt_error_at(err, VT_ERR_SYNTAX, "", line_no, 1,
                               "tlog-proof: expected a hash or an empty line before the checkpoint");
        }
        if (line_len == 0)
            break;
        size_t got;
        if (out->hash_count == VT_TLOG_MAX_PROOF_HASHES) {
            vt_tlog_proof_clear(out);
            return vt_error_at(err, VT_ERR_LIMIT, "", line_no, 1,
                               "tlog-proof: more than %u proof hashes", VT_TLOG_MAX_PROOF_HASHES);
        }
        if (vt_tlog_base64_decode(line, line_len, out->hashes[out->hash_count], VT_TLOG_HASH_SIZE,
                                  &got) != VT_OK ||
            got != VT_TLOG_HASH_SIZE) {
            vt_tlog_proof_clear(out);
            return vt_error_at(err, VT_ERR_SYNTAX, "", line_no, 1,
                               "tlog-proof: proof line is not canonical base64 of a 32-byte hash");
        }
        out->hash_count++;
    }
    if (pos >= len) {
        vt_tlog_proof_clear(out);
        return vt_error_at(err, VT_ERR_SYNTAX, "", line_no + 1, 1, "tlog-proof: missing checkpoint");
    }
    out->checkpoint = malloc(len - pos + 1);
    if (!out->checkpoint) {
        vt_tlog_proof_clear(out);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    memcpy(out->checkpoint, text + pos, len - pos);
    out->checkpoint[len - pos] = '\0';
    out->checkpoint_len = len - pos;
    /* The checkpoint must at least be a well-formed signed checkpoint. */
    vt_tlog_checkpoint cp;
    vt_status st = vt_tlog_checkpoint_open(out->checkpoint, out->checkpoint_len, NULL, &cp, NULL, err);
    if (st != VT_OK) {
        vt_tlog_proof_clear(out);
        return st;
    }
    vt_tlog_checkpoint_clear(&cp);
    return VT_OK;
}

vt_status vt_tlog_proof_format(const vt_tlog_proof *proof, vt_buf *out, vt_error *err)
{
    if (proof->hash_count > VT_TLOG_MAX_PROOF_HASHES)
        return vt_error_set(err, VT_ERR_ARGUMENT, "too many proof hashes");
    vt_status st = vt_buf_printf(out, "%s\n", header);
    if (st == VT_OK && proof->has_extra) {
        size_t size = 4 * ((proof->extra_len + 2) / 3) + 1;
        char *b64 = malloc(size);
        if (!b64)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        vt_tlog_base64_encode(proof->extra, proof->extra_len, b64, size);
        st = vt_buf_printf(out, "extra %s\n", b64);
        free(b64);
    }
    if (st == VT_OK)
        st = vt_buf_printf(out, "index %" PRIu64 "\n", proof->index);
    for (size_t i = 0; st == VT_OK && i < proof->hash_count; i++) {
        char b64[64];
        vt_tlog_base64_encode(proof->hashes[i], VT_TLOG_HASH_SIZE, b64, sizeof b64);
        st = vt_buf_printf(out, "%s\n", b64);
    }
    if (st == VT_OK)
        st = vt_buf_append_byte(out, '\n');
    if (st == VT_OK)
        st = vt_buf_append(out, proof->checkpoint, proof->checkpoint_len);
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}
