/* log_witness.c: `vitrine log witness DIR --key KEY --witness URL...`: submits the current
 * checkpoint of the log in DIR to each witness, gathers the cosignature lines they return and
 * publishes the checkpoint with them (vt_tlog_writer_publish_cosigned). */
#include <inttypes.h>
#include <stdio.h>

#include <vitrine/distrib.h>

#include "command.h"
#include "log_witness.h"

int log_witness(const char *dir, const char *key_path, const char *const *urls, int count)
{
    if (count == 0)
        return cli_usage_error("log", "give one or more --witness URL");
    vt_error err;
    vt_error_clear(&err);
    vt_tlog_signer *key = NULL;
    vt_tlog_writer *writer = NULL;
    vt_tlog_reader *reader = NULL;
    vt_buf note = {0};
    int rc = EXIT_CLEAN;
    vt_status st = vt_tlog_signer_load(key_path, &key, &err);
    if (st == VT_OK)
        st = vt_tlog_writer_open(dir, key, &writer, &err);
    if (st == VT_OK)
        st = vt_tlog_reader_open(dir, &reader, &err);
    if (st == VT_OK)
        st = vt_tlog_writer_checkpoint(writer, &note, &err);
    uint64_t size = writer ? vt_tlog_writer_size(writer) : 0;
    int cosigned = 0;
    for (int i = 0; i < count && st == VT_OK; i++) {
        vt_buf lines = {0};
        vt_status wst = vt_witness_submit(urls[i], reader, note.data, note.len, size, &lines, &err);
        if (wst == VT_OK) {
            st = vt_buf_append(&note, lines.data, lines.len);
            cosigned++;
        } else {
            cli_report("log", &err);
            /* evidence (a witness saw another view) outranks a witness that was unavailable */
            if (wst == VT_ERR_VERIFY || rc == EXIT_CLEAN)
                rc = wst == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
        }
        vt_buf_free(&lines);
    }
    if (st == VT_OK)
        st = vt_tlog_writer_publish_cosigned(writer, note.data, note.len, &err);
    if (st != VT_OK)
        rc = cli_report("log", &err);
    else
        printf("checkpoint of size %" PRIu64 " cosigned by %d of %d witnesses\n", size, cosigned,
               count);
    vt_buf_free(&note);
    vt_tlog_reader_close(reader);
    vt_tlog_writer_close(writer);
    vt_tlog_signer_free(key);
    return rc;
}
