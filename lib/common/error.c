/* error.c: the vt_error diagnostic record: setting it with a location and a formatted message,
 * and rendering it as "FILE:LINE:COL: message" the way compilers do. */
#include <stdio.h>
#include <string.h>

#include <vitrine/common.h>

const char *vt_status_name(vt_status status)
{
    switch (status) {
    case VT_OK: return "ok";
    case VT_ERR_NOMEM: return "out of memory";
    case VT_ERR_IO: return "I/O error";
    case VT_ERR_SYNTAX: return "syntax error";
    case VT_ERR_FORMAT: return "format error";
    case VT_ERR_VERIFY: return "verification failed";
    case VT_ERR_LIMIT: return "limit exceeded";
    case VT_ERR_ARGUMENT: return "invalid argument";
    case VT_ERR_STATE: return "state conflict";
    case VT_ERR_NETWORK: return "network error";
    case VT_ERR_NOT_FOUND: return "not found";
    case VT_ERR_TIMEOUT: return "timed out";
    }
    return "unknown error";
}

void vt_error_clear(vt_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

vt_status vt_error_setv(vt_error *err, vt_status status, const char *file, unsigned line,
                        unsigned column, const char *format, va_list args)
{
    if (!err)
        return status;
    err->status = status;
    err->line = line;
    err->column = column;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    vsnprintf(err->message, sizeof err->message, format, args);
    return status;
}

vt_status vt_error_set(vt_error *err, vt_status status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vt_error_setv(err, status, NULL, 0, 0, format, args);
    va_end(args);
    return status;
}

vt_status vt_error_at(vt_error *err, vt_status status, const char *file, unsigned line,
                      unsigned column, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vt_error_setv(err, status, file, line, column, format, args);
    va_end(args);
    return status;
}

vt_status vt_error_errno(vt_error *err, vt_status status, int errnum, const char *format, ...)
{
    if (!err)
        return status;
    va_list args;
    va_start(args, format);
    vt_error_setv(err, status, NULL, 0, 0, format, args);
    va_end(args);
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used, ": %s", strerror(errnum));
    return status;
}

int vt_error_format(const vt_error *err, char *out, size_t out_size)
{
    if (!err)
        return snprintf(out, out_size, "no error");
    if (err->file[0] && err->line && err->column)
        return snprintf(out, out_size, "%s:%u:%u: %s", err->file, err->line, err->column,
                        err->message);
    if (err->file[0] && err->line)
        return snprintf(out, out_size, "%s:%u: %s", err->file, err->line, err->message);
    if (err->file[0])
        return snprintf(out, out_size, "%s: %s", err->file, err->message);
    return snprintf(out, out_size, "%s", err->message[0] ? err->message
                                                          : vt_status_name(err->status));
}
