/* tlog_tile.c: fuzz target for what a log reader takes from a server: entry bundles (length
 * prefixes, with the entry count taken from the first byte), hash tiles (hashed up as a
 * partial tile), request paths as the log server classifies them, and base64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/tlog.h>

#include "log_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static size_t offsets[VT_TLOG_TILE_WIDTH], lengths[VT_TLOG_TILE_WIDTH];
    unsigned count = (unsigned)data[0] + 1;
    if (vt_tlog_bundle_parse(data + 1, size - 1, count, offsets, lengths, NULL) == VT_OK) {
        for (unsigned i = 0; i < count; i++) {
            if (offsets[i] + lengths[i] > size - 1)
                abort();
            unsigned char h[32];
            vt_tlog_leaf_hash(data + 1 + offsets[i], lengths[i], h);
        }
    }
    /* A tile: the root of its hashes, as a reader computes it. */
    size_t n = (size - 1) / VT_TLOG_HASH_SIZE;
    if (n > 0 && n <= VT_TLOG_TILE_WIDTH) {
        unsigned char level[VT_TLOG_TILE_WIDTH][VT_TLOG_HASH_SIZE];
        memcpy(level, data + 1, n * VT_TLOG_HASH_SIZE);
        while (n > 1) {
            for (size_t i = 0; i + 1 < n; i += 2)
                vt_tlog_node_hash(level[i], level[i + 1], level[i / 2]);
            n /= 2;
        }
    }
    char path[256];
    size_t len = size - 1 < sizeof path - 1 ? size - 1 : sizeof path - 1;
    memcpy(path, data + 1, len);
    path[len] = '\0';
    enum vt_log_path_kind kind = vt_log_path_classify(path);
    if (kind != VT_LOG_PATH_INVALID && (strstr(path, "..") || path[0] == '/' || path[0] == '.'))
        abort(); /* the server must never accept such a path */
    unsigned char out[256];
    size_t out_len;
    vt_tlog_base64_decode(path, len, out, sizeof out, &out_len);
    return 0;
}
