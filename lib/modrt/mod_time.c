/* mod_time.c: yara's time module: time.now(), the current Unix time (or the value the scanner
 * fixed in vt_modrt_options.now, so that tests are reproducible). */
#include <time.h>

#include "modrt_internal.h"

static void now(vt_modrt_fncall *call)
{
    int64_t t = call->scan->options.now;
    vt_modrt_return_integer(call, t ? t : (int64_t)time(NULL));
}

static const vt_modrt_function_def functions[] = {
    {"", "now", "", now},
};

const vt_modrt_module_def vt_modrt_module_time = {
    "time", NULL, functions, sizeof functions / sizeof functions[0], NULL,
};
