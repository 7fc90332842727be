/* witness_server.h: a C2SP tlog-witness (POST /add-checkpoint) on libmicrohttpd, keeping the
 * latest cosigned checkpoint of each known log in SQLite, checked and updated in one IMMEDIATE
 * transaction, and answering with cosignature/v1 lines. */
#ifndef VITRINE_SERVER_WITNESS_SERVER_H
#define VITRINE_SERVER_WITNESS_SERVER_H

#include <stdint.h>

#include <vitrine/tlog.h>

#include "http_server.h"

typedef struct vt_witness_server vt_witness_server;

/* Start the witness: `db` is the SQLite file (created if missing), `key` the witness's cosigner
 * key (type 0x04), `logs` the log keys it accepts, `listen` and `limits` as in http_server.h.
 * The server keeps the pointers. */
vt_status vt_witness_server_start(const char *db, const vt_tlog_signer *key,
                                  vt_tlog_verifier *const *logs, size_t log_count,
                                  const char *listen, const vt_http_limits *limits,
                                  vt_witness_server **out, vt_error *err);
unsigned vt_witness_server_port(const vt_witness_server *server);
void vt_witness_server_stop(vt_witness_server *server);

/* Parse an add-checkpoint request body: old size, proof hashes (at most 63), and the offset of
 * the checkpoint note. Exposed for fuzzing. */
vt_status vt_witness_parse_request(const void *body, size_t len, uint64_t *old,
                                   unsigned char (*proof)[VT_TLOG_HASH_SIZE], size_t *proof_len,
                                   size_t *note_offset, vt_error *err);

#endif
