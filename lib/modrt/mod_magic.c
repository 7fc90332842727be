/* mod_magic.c: yara's magic module: magic.type() and magic.mime_type(), libmagic's description
 * and MIME type of the scanned bytes (the same Debian libmagic and database yara 4.2.3 uses).
 * The libmagic cookie is opened on the first call in a scan, each answer computed once, and the
 * cookie closed when the scan ends; nothing is shared between scans or threads. */
#include <magic.h>
#include <string.h>

#include "modrt_internal.h"

typedef struct magic_state {
    magic_t cookie;
    bool failed;           /* magic_open or magic_load failed: every answer is undefined */
    const char *answer[2]; /* type, mime type (arena copies); NULL until computed */
    bool done[2];
} magic_state;

static magic_state *state_of(vt_modrt_fncall *call)
{
    vt_modrt_scan *scan = call->scan;
    for (size_t i = 0; i < scan->module_count; i++) {
        vt_modrt_loaded *m = &scan->modules[i];
        if (m->root != call->module)
            continue;
        if (!m->data)
            m->data = vt_modrt_alloc(scan, sizeof(magic_state));
        return m->data;
    }
    return NULL;
}

static void answer(vt_modrt_fncall *call, int which)
{
    magic_state *st = state_of(call);
    if (!st || call->size == 0) /* yara has no data block for an empty file */
        return;
    if (!st->done[which]) {
        st->done[which] = true;
        if (!st->cookie && !st->failed) {
            st->cookie = magic_open(0);
            if (!st->cookie || magic_load(st->cookie, NULL) != 0)
                st->failed = true;
        }
        if (!st->failed) {
            magic_setflags(st->cookie, which ? MAGIC_MIME_TYPE : 0);
            const char *text = magic_buffer(st->cookie, call->data, call->size);
            if (text)
                st->answer[which] = vt_arena_dup(&call->scan->arena, text, strlen(text));
        }
    }
    if (st->answer[which])
        vt_modrt_return_string(call, st->answer[which], strlen(st->answer[which]));
}

static void magic_type(vt_modrt_fncall *call) { answer(call, 0); }
static void magic_mime_type(vt_modrt_fncall *call) { answer(call, 1); }

static void unload(vt_modrt_loaded *module)
{
    magic_state *st = module->data;
    if (st && st->cookie)
        magic_close(st->cookie);
}

static const vt_modrt_function_def functions[] = {
    {"", "type", "", magic_type},
    {"", "mime_type", "", magic_mime_type},
};

const vt_modrt_module_def vt_modrt_module_magic = {
    "magic", NULL, functions, sizeof functions / sizeof functions[0], unload,
};
