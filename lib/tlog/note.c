/* note.c: C2SP signed notes. Parsing with hard limits (size, lines, signatures), signing with
 * Ed25519 (type 0x01) or as a cosignature/v1 (type 0x04, a timestamp and the checkpoint text),
 * and verification against one known key: signatures from unknown keys are ignored, a signature
 * from the known key must verify. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog_internal.h"

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014, space */

void vt_tlog_note_free(vt_tlog_note *note)
{
    if (!note)
        return;
    for (size_t i = 0; i < note->sig_count; i++)
        free(note->sigs[i].sig);
    free(note->sigs);
    free(note->text);
    free(note);
}

/* Line and column of byte offset `at` in data, for diagnostics. */
static void locate(const unsigned char *data, size_t at, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < at; i++) {
        if (data[i] == '\n')
            l++, c = 1;
        else
            c++;
    }
    *line = l;
    *col = c;
}

static vt_status note_error(vt_error *err, vt_status st, const unsigned char *data, size_t at,
                            const char *what)
{
    unsigned line, col;
    locate(data, at, &line, &col);
    return vt_error_at(err, st, "", line, col, "signed note: %s", what);
}

static vt_status parse_sig_line(const unsigned char *data, size_t start, size_t end,
                                vt_tlog_note_sig *sig, vt_error *err)
{
    const char *line = (const char *)data + start;
    size_t len = end - start;
    size_t prefix = sizeof em_dash_space - 1;
    if (len < prefix || memcmp(line, em_dash_space, prefix) != 0)
        return note_error(err, VT_ERR_SYNTAX, data, start,
                          "expected a signature line starting with an em dash and a space");
    const char *name = line + prefix;
    const char *space = memchr(name, ' ', len - prefix);
    if (!space)
        return note_error(err, VT_ERR_SYNTAX, data, start, "signature line has no signature");
    size_t name_len = (size_t)(space - name);
    if (!vt_tlog_valid_key_name(name, name_len))
        return note_error(err, VT_ERR_SYNTAX, data, start + prefix, "invalid key name");
    const char *b64 = space + 1;
    size_t b64_len = len - (size_t)(b64 - line);
    unsigned char raw[8192];
    size_t raw_len;
    if (vt_tlog_base64_decode(b64, b64_len, raw, sizeof raw, &raw_len) != VT_OK || raw_len < 5)
        return note_error(err, VT_ERR_SYNTAX, data, (size_t)(b64 - (const char *)data),
                          "signature is not canonical base64 of a key ID and a signature");
    sig->sig = malloc(raw_len - 4);
    if (!sig->sig)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    memcpy(sig->name, name, name_len);
    sig->name[name_len] = '\0';
    sig->key_id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
    memcpy(sig->sig, raw + 4, raw_len - 4);
    sig->sig_len = raw_len - 4;
    return VT_OK;
}

vt_status vt_tlog_note_parse(const void *data_, size_t len, vt_tlog_note **out, vt_error *err)
{
    const unsigned char *data = data_;
    *out = NULL;
    if (len > VT_TLOG_MAX_NOTE)
        return vt_error_set(err, VT_ERR_LIMIT, "signed note larger than %u bytes", VT_TLOG_MAX_NOTE);
    size_t lines = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = vt_tlog_utf8_next(data + i, len - i, &cp);
        if (n == 0)
            return note_error(err, VT_ERR_SYNTAX, data, i, "invalid UTF-8");
        if (cp < 0x20 && cp != '\n')
            return note_error(err, VT_ERR_SYNTAX, data, i, "control character");
        if (cp == '\n' && ++lines > VT_TLOG_MAX_NOTE_LINES + VT_TLOG_MAX_SIGNATURES + 1)
            return vt_error_set(err, VT_ERR_LIMIT, "signed note has too many lines");
        i += n;
    }
    if (len == 0 || data[len - 1] != '\n')
        return note_error(err, VT_ERR_SYNTAX, data, len, "does not end in a newline");
    /* The text ends at the last blank line. */
    size_t split = 0;
    int found = 0;
    for (size_t i = len - 1; i > 0; i--) {
        if (data[i - 1] == '\n' && data[i] == '\n') {
            split = i; /* data[split] is the blank line's newline */
            found = 1;
            break;
        }
    }
    if (!found)
        return note_error(err, VT_ERR_SYNTAX, data, len, "no blank line before the signatures");
    size_t text_len = split;
    if (text_len == 0)
        return note_error(err, VT_ERR_SYNTAX, data, 0, "empty text");
    size_t text_lines = 0;
    for (size_t i = 0; i < text_len; i++)
        text_lines += data[i] == '\n';
    if (text_lines > VT_TLOG_MAX_NOTE_LINES)
        return vt_error_set(err, VT_ERR_LIMIT, "note text has more than %u lines",
                            VT_TLOG_MAX_NOTE_LINES);
    vt_tlog_note *note = calloc(1, sizeof *note);
    if (!note)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    note->text = malloc(text_len + 1);
    note->sigs = calloc(VT_TLOG_MAX_SIGNATURES, sizeof *note->sigs);
    if (!note->text || !note->sigs) {
        vt_tlog_note_free(note);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    memcpy(note->text, data, text_len);
    note->text[text_len] = '\0';
    note->text_len = text_len;
    size_t pos = split + 1;
    while (pos < len) {
        const unsigned char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = (size_t)(nl - data);
        if (note->sig_count == VT_TLOG_MAX_SIGNATURES) {
            vt_tlog_note_free(note);
            return vt_error_set(err, VT_ERR_LIMIT, "signed note has more than %u signatures",
                                VT_TLOG_MAX_SIGNATURES);
        }
        vt_status st = parse_sig_line(data, pos, end, &note->sigs[note->sig_count], err);
        if (st != VT_OK) {
            vt_tlog_note_free(note);
            return st;
        }
        note->sig_count++;
        pos = end + 1;
    }
    if (note->sig_count == 0) {
        vt_tlog_note_free(note);
        return note_error(err, VT_ERR_SYNTAX, data, len, "no signatures");
    }
    *out = note;
    return VT_OK;
}

/* The message a key of `type` signs for note text: the text itself, or for cosignature/v1 the
 * header and time lines followed by the text. */
static vt_status signed_message(int type, const char *text, size_t text_len, uint64_t timestamp,
                                vt_buf *msg)
{
    if (type == VT_TLOG_SIG_COSIGNATURE_V1 &&
        vt_buf_printf(msg, "cosignature/v1\ntime %" PRIu64 "\n", timestamp) != VT_OK)
        return VT_ERR_NOMEM;
    return vt_buf_append(msg, text, text_len);
}

vt_status vt_tlog_sign_line(const vt_tlog_signer *signer, const char *text, size_t text_len,
                            uint64_t timestamp, vt_buf *out, vt_error *err)
{
    if (signer->type == VT_TLOG_SIG_COSIGNATURE_V1 && timestamp > INT64_MAX)
        return vt_error_set(err, VT_ERR_ARGUMENT, "cosignature timestamp above 2^63-1");
    vt_buf msg = {0};
    if (signed_message(signer->type, text, text_len, timestamp, &msg) != VT_OK) {
        vt_buf_free(&msg);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    unsigned char raw[4 + 8 + 64];
    size_t raw_len = 0;
    raw[raw_len++] = (unsigned char)(signer->id >> 24);
    raw[raw_len++] = (unsigned char)(signer->id >> 16);
    raw[raw_len++] = (unsigned char)(signer->id >> 8);
    raw[raw_len++] = (unsigned char)signer->id;
    if (signer->type == VT_TLOG_SIG_COSIGNATURE_V1)
        for (int i = 7; i >= 0; i--)
            raw[raw_len++] = (unsigned char)(timestamp >> (8 * i));
    vt_status st = vt_tlog_ed25519_sign(signer->pkey, msg.data, msg.len, raw + raw_len);
    vt_buf_free(&msg);
    if (st != VT_OK)
        return vt_error_set(err, st, "Ed25519 signing failed");
    raw_len += 64;
    char b64[128];
    vt_tlog_base64_encode(raw, raw_len, b64, sizeof b64);
    if (vt_buf_printf(out, "%s%s %s\n", em_dash_space, signer->name, b64) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return VT_OK;
}

vt_status vt_tlog_note_sign(const vt_tlog_signer *signer, const char *text, size_t text_len,
                            vt_buf *out, vt_error *err)
{
    if (text_len == 0 || text[text_len - 1] != '\n')
        return vt_error_set(err, VT_ERR_ARGUMENT, "note text must end in a newline");
    if (vt_buf_append(out, text, text_len) != VT_OK || vt_buf_append_byte(out, '\n') != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    return vt_tlog_sign_line(signer, text, text_len, 0, out, err);
}

vt_status vt_tlog_note_verify(const vt_tlog_note *note, const vt_tlog_verifier *verifier,
                              uint64_t *timestamp, vt_error *err)
{
    int matched = 0;
    for (size_t i = 0; i < note->sig_count; i++) {
        const vt_tlog_note_sig *sig = &note->sigs[i];
        if (sig->key_id != verifier->id || strcmp(sig->name, verifier->name) != 0)
            continue;
        matched = 1;
        const unsigned char *ed_sig = sig->sig;
        size_t ed_len = sig->sig_len;
        uint64_t ts = 0;
        if (verifier->type == VT_TLOG_SIG_COSIGNATURE_V1) {
            if (sig->sig_len != 8 + 64)
                return vt_error_set(err, VT_ERR_VERIFY, "cosignature by %s has the wrong length",
                                    verifier->name);
            for (int b = 0; b < 8; b++)
                ts = ts << 8 | sig->sig[b];
            if (ts > INT64_MAX)
                return vt_error_set(err, VT_ERR_VERIFY, "cosignature by %s has a timestamp above 2^63-1",
                                    verifier->name);
            ed_sig += 8;
            ed_len -= 8;
        }
        vt_buf msg = {0};
        if (signed_message(verifier->type, note->text, note->text_len, ts, &msg) != VT_OK) {
            vt_buf_free(&msg);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        int ok = vt_tlog_ed25519_verify(verifier->pkey, msg.data, msg.len, ed_sig, ed_len);
        vt_buf_free(&msg);
        if (!ok)
            return vt_error_set(err, VT_ERR_VERIFY, "signature by %s does not verify",
                                verifier->name);
        if (timestamp)
            *timestamp = ts;
    }
    if (!matched)
        return vt_error_set(err, VT_ERR_VERIFY, "note has no signature by %s+%08x", verifier->name,
                            (unsigned)verifier->id);
    return VT_OK;
}

vt_status vt_tlog_cosign(const vt_tlog_signer *witness, const void *signed_note, size_t len,
                         uint64_t timestamp, vt_buf *out, vt_error *err)
{
    if (witness->type != VT_TLOG_SIG_COSIGNATURE_V1)
        return vt_error_set(err, VT_ERR_ARGUMENT, "key %s is not a cosignature (type 0x04) key",
                            witness->name);
    vt_tlog_note *note;
    vt_status st = vt_tlog_note_parse(signed_note, len, &note, err);
    if (st != VT_OK)
        return st;
    vt_tlog_checkpoint cp;
    st = vt_tlog_checkpoint_parse(note->text, note->text_len, &cp, err);
    if (st == VT_OK) {
        vt_tlog_checkpoint_clear(&cp);
        if (vt_buf_append(out, signed_note, len) != VT_OK)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        else
            st = vt_tlog_sign_line(witness, note->text, note->text_len, timestamp, out, err);
    }
    vt_tlog_note_free(note);
    return st;
}
