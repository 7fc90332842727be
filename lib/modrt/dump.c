/* dump.c: a module's tree printed exactly as `yara -D` prints it (libyara's
 * yr_object_print_data): tab indentation, functions left out, array items as [i], dictionary
 * entries by key, undefined leaves as YR_UNDEFINED, bytes outside isprint() as \xHH. Structure
 * members come in yara's storage order: yara prepends members as it declares them and each copy
 * of a prototype (a new array item) reverses them again. */
#include <ctype.h>
#include <inttypes.h>

#include "modrt_internal.h"

static void print_object(const vt_mobj *o, int indent, bool print_name, vt_buf *out);

static void put_indent(vt_buf *out, int indent)
{
    for (int i = 0; i < indent && i < 32; i++)
        vt_buf_append_byte(out, '\t');
}

static void print_member(const vt_mobj *m, int indent, vt_buf *out)
{
    if (m->kind == VT_MODULE_FUNCTION)
        return;
    vt_buf_append_byte(out, '\n');
    print_object(m, indent + 1, true, out);
}

static void print_object(const vt_mobj *o, int indent, bool print_name, vt_buf *out)
{
    if (print_name && o->kind != VT_MODULE_FUNCTION) {
        put_indent(out, indent);
        vt_buf_append_str(out, o->name);
    }
    switch (o->kind) {
    case VT_MODULE_INTEGER:
        if (o->defined)
            vt_buf_printf(out, " = %" PRId64, o->u.i);
        else
            vt_buf_append_str(out, " = YR_UNDEFINED");
        break;
    case VT_MODULE_FLOAT:
        if (o->defined)
            vt_buf_printf(out, " = %f", o->u.f);
        else
            vt_buf_append_str(out, " = YR_UNDEFINED");
        break;
    case VT_MODULE_STRING:
        if (!o->defined) {
            vt_buf_append_str(out, " = YR_UNDEFINED");
            break;
        }
        vt_buf_append_str(out, " = \"");
        for (size_t i = 0; i < o->u.s.len; i++) {
            uint8_t c = o->u.s.bytes[i];
            if (isprint(c))
                vt_buf_append_byte(out, c);
            else
                vt_buf_printf(out, "\\x%02x", c);
        }
        vt_buf_append_byte(out, '"');
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
            vt_buf_append_byte(out, '\n');
            put_indent(out, indent);
            vt_buf_printf(out, "\t[%zu]", i);
            print_object(o->u.arr.items[i], indent + 1, false, out);
        }
        break;
    case VT_MODULE_DICTIONARY:
        for (size_t i = 0; i < o->u.dict.used; i++) {
            vt_buf_append_byte(out, '\n');
            put_indent(out, indent);
            vt_buf_append_byte(out, '\t');
            vt_buf_append_str(out, o->u.dict.keys[i]);
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
    print_object(root, 0, true, out);
    if (vt_buf_append_byte(out, '\n') != VT_OK || out->cap == 0) {
        out->len = before;
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory dumping module data");
    }
    return VT_OK;
}
