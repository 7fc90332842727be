/* buffer.c: vt_buf, the growable byte buffer used wherever output is assembled (notes, tiles,
 * JSON, compiled rulesets). Growth is geometric and every size computation is overflow-checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/common.h>

vt_status vt_buf_reserve(vt_buf *buf, size_t extra)
{
    if (extra > SIZE_MAX - buf->len - 1)
        return VT_ERR_NOMEM;
    size_t need = buf->len + extra + 1; /* +1 keeps room for the terminating NUL */
    if (need <= buf->cap)
        return VT_OK;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    unsigned char *grown = realloc(buf->data, cap);
    if (!grown)
        return VT_ERR_NOMEM;
    buf->data = grown;
    buf->cap = cap;
    return VT_OK;
}

vt_status vt_buf_append(vt_buf *buf, const void *data, size_t len)
{
    vt_status status = vt_buf_reserve(buf, len);
    if (status != VT_OK)
        return status;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = 0;
    return VT_OK;
}

vt_status vt_buf_append_str(vt_buf *buf, const char *text)
{
    return vt_buf_append(buf, text, strlen(text));
}

vt_status vt_buf_append_byte(vt_buf *buf, unsigned char byte)
{
    if (buf->cap >= 2 && buf->len <= buf->cap - 2) { /* room for the byte and the NUL */
        buf->data[buf->len++] = byte;
        buf->data[buf->len] = 0;
        return VT_OK;
    }
    return vt_buf_append(buf, &byte, 1);
}

vt_status vt_buf_printf(vt_buf *buf, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int needed = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (needed < 0)
        return VT_ERR_ARGUMENT;
    vt_status status = vt_buf_reserve(buf, (size_t)needed);
    if (status != VT_OK)
        return status;
    va_start(args, format);
    vsnprintf((char *)buf->data + buf->len, (size_t)needed + 1, format, args);
    va_end(args);
    buf->len += (size_t)needed;
    return VT_OK;
}

unsigned char *vt_buf_detach(vt_buf *buf, size_t *len)
{
    unsigned char *data = buf->data;
    if (len)
        *len = buf->len;
    if (!data)
        data = calloc(1, 1); /* an empty buffer detaches as an empty string, or NULL on failure */
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return data;
}

void vt_buf_free(vt_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
