/* distrib_witness_request.c: fuzz target for the witness's add-checkpoint request parser
 * (server/witness_server.c): old size, proof lines, blank line, then the checkpoint note. An
 * empty input is passed as the server passes an empty body: a NULL pointer (an empty vt_buf). */
#include <stdint.h>
#include <stdlib.h>

#include "witness_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t old;
    unsigned char proof[64][VT_TLOG_HASH_SIZE];
    size_t proof_len, offset;
    if (vt_witness_parse_request(size ? data : NULL, size, &old, proof, &proof_len, &offset,
                                 NULL) == VT_OK) {
        if (offset > size || proof_len > 63)
            abort();
        vt_tlog_note *note = NULL;
        if (vt_tlog_note_parse(data + offset, size - offset, &note, NULL) == VT_OK)
            vt_tlog_note_free(note);
    }
    return 0;
}
