/* mod_console.c: yara's console module: log() and hex() print a line through the scanner's
 * console callback (stdout by default) and return 1. Strings are printed with bytes outside
 * isprint() escaped as \xHH; a message prefix stops at its first NUL, as yara's C string does. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "modrt_internal.h"

/* A line that could not be built whole fails the call (vt_modrt_call: out of memory). */
static void track(vt_modrt_fncall *call, vt_status st)
{
    if (st != VT_OK)
        call->scan->out_of_memory = true;
}

static void emit(vt_modrt_fncall *call, vt_buf *line)
{
    if (line->cap == 0 && line->len == 0)
        track(call, vt_buf_append_str(line, ""));
    if (call->scan->out_of_memory) {
        vt_buf_free(line);
        return;
    }
    const char *text = line->data ? (const char *)line->data : "";
    if (call->scan->options.console_log)
        call->scan->options.console_log(call->scan->options.console_user, text, line->len);
    else
        printf("%s\n", text);
    vt_buf_free(line);
    vt_modrt_return_integer(call, 1);
}

static void prefix(vt_modrt_fncall *call, vt_buf *line, const vt_modrt_arg *arg)
{
    size_t n = strnlen((const char *)arg->s, arg->len);
    track(call, vt_buf_append(line, arg->s, n));
}

static void escaped(vt_modrt_fncall *call, vt_buf *line, const vt_modrt_arg *arg)
{
    for (size_t i = 0; i < arg->len; i++) {
        if (isprint(arg->s[i]))
            track(call, vt_buf_append_byte(line, arg->s[i]));
        else
            track(call, vt_buf_printf(line, "\\x%02x", arg->s[i]));
    }
}

static void log_string(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    escaped(call, &line, &call->args[0]);
    emit(call, &line);
}

static void log_string_msg(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    prefix(call, &line, &call->args[0]);
    escaped(call, &line, &call->args[1]);
    emit(call, &line);
}

static void log_integer(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    track(call, vt_buf_printf(&line, "%" PRId64, call->args[0].i));
    emit(call, &line);
}

static void log_integer_msg(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    prefix(call, &line, &call->args[0]);
    track(call, vt_buf_printf(&line, "%" PRId64, call->args[1].i));
    emit(call, &line);
}

static void log_float(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    track(call, vt_buf_printf(&line, "%f", call->args[0].f));
    emit(call, &line);
}

static void log_float_msg(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    prefix(call, &line, &call->args[0]);
    track(call, vt_buf_printf(&line, "%f", call->args[1].f));
    emit(call, &line);
}

static void hex_integer(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    track(call, vt_buf_printf(&line, "0x%" PRIx64, (uint64_t)call->args[0].i));
    emit(call, &line);
}

static void hex_integer_msg(vt_modrt_fncall *call)
{
    vt_buf line = {0};
    prefix(call, &line, &call->args[0]);
    track(call, vt_buf_printf(&line, "0x%" PRIx64, (uint64_t)call->args[1].i));
    emit(call, &line);
}

static const vt_modrt_function_def functions[] = {
    {"", "log", "s", log_string},
    {"", "log", "ss", log_string_msg},
    {"", "log", "i", log_integer},
    {"", "log", "si", log_integer_msg},
    {"", "log", "f", log_float},
    {"", "log", "sf", log_float_msg},
    {"", "hex", "i", hex_integer},
    {"", "hex", "si", hex_integer_msg},
};

const vt_modrt_module_def vt_modrt_module_console = {
    "console", NULL, functions, sizeof functions / sizeof functions[0], NULL,
};
