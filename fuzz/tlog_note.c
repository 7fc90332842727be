/* tlog_note.c: fuzz target for signed notes, checkpoints and keys: the note parser with its
 * limits, the checkpoint parser on the note's text, signature and cosignature verification
 * against fixed keys, and the key parsers on the raw input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/tlog.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char log_vkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
static const char witness_vkey[] = "witness.example/w1+ac6e7c2e+BMPtEMtH0Q6ncnnESI5kdNaYfK/jy0M4ATnOm2f6lpOP";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_tlog_verifier *log = NULL, *witness = NULL;
    if (vt_tlog_verifier_parse(log_vkey, strlen(log_vkey), &log, NULL) != VT_OK ||
        vt_tlog_verifier_parse(witness_vkey, strlen(witness_vkey), &witness, NULL) != VT_OK)
        abort();
    vt_tlog_note *note = NULL;
    if (vt_tlog_note_parse(data, size, &note, NULL) == VT_OK) {
        vt_tlog_checkpoint cp;
        if (vt_tlog_checkpoint_parse(note->text, note->text_len, &cp, NULL) == VT_OK) {
            vt_buf again = {0};
            if (vt_tlog_checkpoint_format(&cp, &again, NULL) != VT_OK)
                abort();
            vt_buf_free(&again);
            vt_tlog_checkpoint_clear(&cp);
        }
        uint64_t ts;
        vt_tlog_note_verify(note, log, NULL, NULL);
        vt_tlog_note_verify(note, witness, &ts, NULL);
        vt_tlog_note_free(note);
    }
    vt_tlog_checkpoint cp;
    if (vt_tlog_checkpoint_open(data, size, log, &cp, NULL, NULL) == VT_OK)
        vt_tlog_checkpoint_clear(&cp);
    vt_tlog_verifier *v = NULL;
    if (vt_tlog_verifier_parse((const char *)data, size, &v, NULL) == VT_OK)
        vt_tlog_verifier_free(v);
    vt_tlog_signer *s = NULL;
    if (vt_tlog_signer_parse((const char *)data, size, &s, NULL) == VT_OK)
        vt_tlog_signer_free(s);
    vt_tlog_verifier_free(log);
    vt_tlog_verifier_free(witness);
    return 0;
}
