/* dump.c: a module's tree printed exactly as `yara -D` prints it (libyara's
 * yr_object_print_data): tab indentation, functions left out, array items as [i], dictionary
 * entries by key, undefined leaves as YR_UNDEFINED (floats as nan), bytes outside isprint() as \xHH. Structure
 * members come in yara's storage order: yara prepends members as it declares them and each copy
 * of a prototype (a new array item) reverses them again. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>

#include "modrt_internal.h"

/* The output with a sticky status, so that one failed append fails the whole dump. */
typedef struct printer {
    vt_buf *buf;
    vt_status status;
} printer;

static void put(printer *p, const char *text)
{
    if (p->status == VT_OK)
        p->status = vt_buf_append_str(p->buf, text);
}

static void put_byte(printer *p, uint8_t c)
{
    if (p->status == VT_OK)
        p->status = vt_buf_append_byte(p->buf, c);
}

__attribute__((format(printf, 2, 3))) static void put_fmt(printer *p, const char *format, ...)
{
    char tmp[512]; /* enough for any %f of a double */
    va_list args;
    va_start(args, format);
    vsnprintf(tmp, sizeof tmp, format, args);
    va_end(args);
    put(p, tmp);
}

static void print_object(const vt_mobj *o, int indent, bool print_name, printer *out);

static void put_indent(printer *out, int indent)
{
    for (int i = 0; i < indent && i < 32; i++)
        put_byte(out, '\t');
}

static void print_member(const vt_mobj *m, int indent, printer *out)
{
    if (m->kind == VT_MODULE_FUNCTION)
        return;
    put_byte(out, '\n');
    print_object(m, indent + 1, true, out);
}

static void print_object(const vt_mobj *o, int indent, bool print_name, printer *out)
{
    if (print_name && o->kind != VT_MODULE_FUNCTION) {
        put_indent(out, indent);
        put(out, o->name);
    }
    switch (o->kind) {
    case VT_MODULE_INTEGER:
        if (o->defined)
            put_fmt(out, " = %" PRId64, o->u.i);
        else
            put(out, " = YR_UNDEFINED");
        break;
    case VT_MODULE_FLOAT:
        if (o->defined)
            put_fmt(out, " = %f", o->u.f);
        else /* yara prints the NaN an undefined float holds (tests.undefined.f) */
            put(out, " = nan");
        break;
    case VT_MODULE_STRING:
        if (!o->defined) {
            put(out, " = YR_UNDEFINED");
            break;
        }
        put(out, " = \"");
        for (size_t i = 0; i < o->u.s.len; i++) {
            uint8_t c = o->u.s.bytes[i];
            if (isprint(c))
                put_byte(out, c);
            else
                put_fmt(out, "\\x%02x", c);
        }
        put_byte(out, '"');
        break;
    case VT_MODULE_STRUCT:
        if (o->generation % 2 == 0) {
            for (size_t i = o->u.st.count; i-- > 0;)
                print_member(o->u.st.members[i], indent, out);
        } else {
            for (size_t i = 0; i < o->u.st.count; i++)
                print_member(o->u.st.members[i], indent, out);
        }
        break;
    case VT_MODULE_ARRAY:
        for (size_t i = 0; i < o->u.arr.len; i++) {
            if (!o->u.arr.items[i])
                continue;
            put_byte(out, '\n');
            put_indent(out, indent);
            put_fmt(out, "\t[%zu]", i);
            print_object(o->u.arr.items[i], indent + 1, false, out);
        }
        break;
    case VT_MODULE_DICTIONARY:
        for (size_t i = 0; i < o->u.dict.used; i++) {
            put_byte(out, '\n');
            put_indent(out, indent);
            put_byte(out, '\t');
            put(out, o->u.dict.keys[i]);
            print_object(o->u.dict.values[i], indent + 1, false, out);
        }
        break;
    case VT_MODULE_FUNCTION:
        break;
    }
}

vt_status vt_modrt_dump(const vt_mobj *root, vt_buf *out, vt_error *err)
{
    size_t before = out->len;
    printer p = {out, VT_OK};
    print_object(root, 0, true, &p);
    put_byte(&p, '\n');
    if (p.status != VT_OK) {
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
        return vt_error_set(err, p.status, "out of memory dumping module data");
    }
    return VT_OK;
}
