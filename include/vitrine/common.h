/* vitrine/common.h: what every part of libvitrine shares: status codes, the error record that
 * carries a precise diagnostic (file, line, column, message) back to the caller, a growable byte
 * buffer, file helpers that never leave partial files behind, and the library version.
 *
 * Promises:
 * - Every function that can fail returns a vt_status and, when given a vt_error, fills it with a
 *   message a person can act on. A NULL vt_error is allowed everywhere and means "status only".
 * - Nothing here keeps global mutable state; all functions are safe to call from any thread.
 */
#ifndef VITRINE_COMMON_H
#define VITRINE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* VT_API marks every function of the public API. The libraries are built with
 * -fvisibility=hidden: they export what is marked and nothing else (tests/e2e/exported_symbols.sh
 * checks it; scripts/dev/export-macro.sh marks new declarations). */
#if defined(__GNUC__)
#define VT_API __attribute__((visibility("default")))
#else
#define VT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vt_status {
    VT_OK = 0,
    VT_ERR_NOMEM = -1,    /* an allocation failed */
    VT_ERR_IO = -2,       /* a read, write, open, fsync or rename failed */
    VT_ERR_SYNTAX = -3,   /* text input (rules, notes, options) does not parse */
    VT_ERR_FORMAT = -4,   /* binary or structured input is corrupt, truncated or foreign */
    VT_ERR_VERIFY = -5,   /* a signature, hash or proof does not check out */
    VT_ERR_LIMIT = -6,    /* input exceeds a hard limit */
    VT_ERR_ARGUMENT = -7, /* the caller passed something invalid */
    VT_ERR_STATE = -8,    /* the operation conflicts with current state (lock held, exists) */
    VT_ERR_NETWORK = -9,  /* a network transfer failed */
    VT_ERR_NOT_FOUND = -10,
    VT_ERR_TIMEOUT = -11, /* a deadline (a scan's --timeout) passed before the work was done */
} vt_status;

/* A diagnostic. `file` names the input the problem is in (may be empty); `line` and `column` are
 * 1-based and 0 when they do not apply. */
typedef struct vt_error {
    vt_status status;
    unsigned line;
    unsigned column;
    char file[512];
    char message[1024];
} vt_error;

/* Short stable name of a status, e.g. "syntax error". */
VT_API const char *vt_status_name(vt_status status);

VT_API void vt_error_clear(vt_error *err);

/* Record a failure and return `status`, so callers can write `return vt_error_set(err, ...)`. */
VT_API vt_status vt_error_set(vt_error *err, vt_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
VT_API vt_status vt_error_at(vt_error *err, vt_status status, const char *file, unsigned line,
                             unsigned column, const char *format, ...)
    __attribute__((format(printf, 6, 7)));
VT_API vt_status vt_error_setv(vt_error *err, vt_status status, const char *file, unsigned line,
                               unsigned column, const char *format, va_list args)
    __attribute__((format(printf, 6, 0)));
/* Record a failure of a system call: appends strerror(errnum) to the message. */
VT_API vt_status vt_error_errno(vt_error *err, vt_status status, int errnum, const char *format,
                                ...)
    __attribute__((format(printf, 4, 5)));

/* Render "FILE:LINE:COL: message" (parts that do not apply are left out) into out.
 * Returns the length the full text would have, like snprintf. */
VT_API int vt_error_format(const vt_error *err, char *out, size_t out_size);

/* A growable byte buffer; always NUL-terminated after its `len` bytes so text can be used as a
 * C string. A zeroed vt_buf is a valid empty buffer. */
typedef struct vt_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
} vt_buf;

VT_API vt_status vt_buf_reserve(vt_buf *buf, size_t extra);
VT_API vt_status vt_buf_append(vt_buf *buf, const void *data, size_t len);
VT_API vt_status vt_buf_append_str(vt_buf *buf, const char *text);
VT_API vt_status vt_buf_append_byte(vt_buf *buf, unsigned char byte);
VT_API vt_status vt_buf_printf(vt_buf *buf, const char *format, ...) __attribute__((format(printf,
                               2, 3)));
/* Hand the bytes to the caller (who frees them with free()) and leave the buffer empty. */
VT_API unsigned char *vt_buf_detach(vt_buf *buf, size_t *len);
VT_API void vt_buf_free(vt_buf *buf);

/* Read a whole file, refusing one larger than max_size bytes. *data is NUL-terminated and
 * freed by the caller with free(). */
VT_API vt_status vt_read_file(const char *path, size_t max_size, unsigned char **data, size_t *len,
                              vt_error *err);

/* Write a file so that readers see either the old content or all of the new, never a part:
 * write to a temporary file in the same directory, fsync it, rename it over `path`, fsync the
 * directory. `mode` is the permission of the new file (e.g. 0644, 0600 for secrets).
 * An existing character device or FIFO (/dev/stdout, /dev/null) is written into directly, never
 * replaced; any other existing non-regular file (a directory, a socket) is refused. */
VT_API vt_status vt_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                      vt_error *err);

/* fsync a directory so that renames and creations inside it are durable. */
VT_API vt_status vt_fsync_dir(const char *dir, vt_error *err);

/* A deadline for one piece of work (the scan of one file), checked by work done: every loop that
 * can run long reports the steps it did with vt_deadline_spend, which reads the clock
 * (CLOCK_MONOTONIC_COARSE) only once every VT_DEADLINE_STRIDE steps, so a check costs a
 * subtraction. Once passed, it stays passed. A zeroed vt_deadline never passes; so does a NULL
 * one given to vt_deadline_spend. */
typedef struct vt_deadline {
    int64_t at_ns;   /* monotonic time at which it passes; 0: no deadline */
    uint64_t budget; /* steps left before the clock is read again */
    bool passed;
} vt_deadline;

#define VT_DEADLINE_STRIDE 4096

/* Start a deadline `seconds` from now (0: none). */
VT_API void vt_deadline_start(vt_deadline *deadline, unsigned seconds);
/* Read the clock: has the deadline passed? (Resets the step budget.) */
VT_API bool vt_deadline_check(vt_deadline *deadline);

/* Count `steps` of work; true when the deadline has passed. */
static inline bool vt_deadline_spend(vt_deadline *deadline, uint64_t steps)
{
    if (!deadline || deadline->at_ns == 0)
        return false;
    if (deadline->passed)
        return true;
    if (steps < deadline->budget) {
        deadline->budget -= steps;
        return false;
    }
    return vt_deadline_check(deadline);
}

/* True once the deadline has been seen passed (no clock read). */
static inline bool vt_deadline_passed(const vt_deadline *deadline)
{
    return deadline && deadline->passed;
}

/* Length of the valid UTF-8 sequence at s (at most `left` bytes), 0 if it is not one (overlong
 * forms, surrogates and code points past U+10FFFF are not); *cp receives the code point. */
VT_API size_t vt_utf8_next(const unsigned char *s, size_t left, uint32_t *cp);

/* Version of the library, e.g. "0.1.0". */
VT_API const char *vt_version(void);

#ifdef __cplusplus
}
#endif

#endif
