/* checkpoint.c: C2SP tlog-checkpoint, the note text a log signs: origin line, tree size in
 * decimal, base64 root hash, then optional non-empty extension lines. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tlog_internal.h"

void vt_tlog_checkpoint_clear(vt_tlog_checkpoint *cp)
{
    free(cp->extensions);
    cp->extensions = NULL;
    cp->extensions_len = 0;
}

vt_status vt_tlog_checkpoint_parse(const char *text, size_t len, vt_tlog_checkpoint *out,
                                   vt_error *err)
{
    memset(out, 0, sizeof *out);
    if (len == 0 || text[len - 1] != '\n')
        return vt_error_at(err, VT_ERR_SYNTAX, "", 1, 1, "checkpoint: text must end in a newline");
    const char *lines[3];
    size_t lens[3];
    size_t pos = 0;
    for (int i = 0; i < 3; i++) {
        if (pos >= len)
            return vt_error_at(err, VT_ERR_SYNTAX, "", (unsigned)i + 1, 1,
                               "checkpoint: expected origin, size and root hash lines");
        const char *nl = memchr(text + pos, '\n', len - pos);
        lines[i] = text + pos;
        lens[i] = (size_t)(nl - lines[i]);
        pos += lens[i] + 1;
    }
    if (lens[0] == 0 || lens[0] > VT_TLOG_MAX_KEY_NAME || memchr(lines[0], '\0', lens[0]))
        return vt_error_at(err, VT_ERR_SYNTAX, "", 1, 1, "checkpoint: empty or overlong origin");
    if (!vt_tlog_parse_decimal(lines[1], lens[1], &out->size))
        return vt_error_at(err, VT_ERR_SYNTAX, "", 2, 1,
                           "checkpoint: tree size must be a decimal without leading zeros");
    size_t root_len;
    if (vt_tlog_base64_decode(lines[2], lens[2], out->root, sizeof out->root, &root_len) != VT_OK ||
        root_len != VT_TLOG_HASH_SIZE)
        return vt_error_at(err, VT_ERR_SYNTAX, "", 3, 1,
                           "checkpoint: root hash must be canonical base64 of 32 bytes");
    /* Extension lines: each non-empty. */
    for (size_t i = pos, line = 4; i < len; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        if ((size_t)(nl - text) == i)
            return vt_error_at(err, VT_ERR_SYNTAX, "", (unsigned)line, 1,
                               "checkpoint: empty extension line");
        i = (size_t)(nl - text) + 1;
    }
    memcpy(out->origin, lines[0], lens[0]);
    out->origin[lens[0]] = '\0';
    if (pos < len) {
        out->extensions = malloc(len - pos + 1);
        if (!out->extensions)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        memcpy(out->extensions, text + pos, len - pos);
        out->extensions[len - pos] = '\0';
        out->extensions_len = len - pos;
    }
    return VT_OK;
}

vt_status vt_tlog_checkpoint_format(const vt_tlog_checkpoint *cp, vt_buf *out, vt_error *err)
{
    char root[64];
    vt_tlog_base64_encode(cp->root, VT_TLOG_HASH_SIZE, root, sizeof root);
    if (vt_buf_printf(out, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, root) != VT_OK ||
        (cp->extensions_len && vt_buf_append(out, cp->extensions, cp->extensions_len) != VT_OK))
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

vt_status vt_tlog_checkpoint_open(const void *data, size_t len, const vt_tlog_verifier *log_key,
                                  vt_tlog_checkpoint *out, vt_tlog_note **note_out, vt_error *err)
{
    memset(out, 0, sizeof *out);
    if (note_out)
        *note_out = NULL;
    vt_tlog_note *note;
    vt_status st = vt_tlog_note_parse(data, len, &note, err);
    if (st != VT_OK)
        return st;
    st = vt_tlog_checkpoint_parse(note->text, note->text_len, out, err);
    if (st == VT_OK && log_key) {
        st = vt_tlog_note_verify(note, log_key, NULL, err);
        if (st == VT_OK && strcmp(out->origin, vt_tlog_verifier_name(log_key)) != 0)
            st = vt_error_set(err, VT_ERR_VERIFY, "checkpoint origin '%s' is not the key name '%s'",
                              out->origin, vt_tlog_verifier_name(log_key));
        if (st != VT_OK)
            vt_tlog_checkpoint_clear(out);
    }
    if (st == VT_OK && note_out)
        *note_out = note;
    else
        vt_tlog_note_free(note);
    return st;
}
