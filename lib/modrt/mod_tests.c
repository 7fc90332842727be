/* mod_tests.c: yara 4.2.3's test module (libyara/modules/tests): fixed constants, integer and
 * string arrays and dictionaries with holes, a structure array whose item 0 is missing, empty
 * structure dictionaries and arrays, members never set (tests.undefined.*), the module data
 * given with -x as tests.module_data, and the functions match, isum, fsum, length, empty and
 * foobar, so that rules written against yara's own test module evaluate the same way. */
#include <string.h>

#include "modrt_internal.h"

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    (void)data;
    (void)size;
    vt_mobj *m = module->root;
    static const char *const strings[] = {"foo", "bar", "baz"};
    vt_status st;
    if ((st = vt_modrt_set_integer(1, m, "constants.one")) != VT_OK ||
        (st = vt_modrt_set_integer(2, m, "constants.two")) != VT_OK ||
        (st = vt_modrt_set_sz("foo", m, "constants.foo")) != VT_OK ||
        (st = vt_modrt_set_sz("", m, "constants.empty")) != VT_OK ||
        (st = vt_modrt_set_integer(1, m, "struct_array[1].i")) != VT_OK)
        return st;
    static const int64_t indexes[] = {0, 1, 2, 256};
    for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++)
        if ((st = vt_modrt_set_integer(indexes[i], m, "integer_array[%i]", indexes[i])) != VT_OK)
            return st;
    for (int i = 0; i < 3; i++)
        if ((st = vt_modrt_set_sz(strings[i], m, "string_array[%i]", (int64_t)i)) != VT_OK)
            return st;
    if ((st = vt_modrt_set_string("foo\0bar", 7, m, "string_array[%i]", (int64_t)3)) != VT_OK ||
        (st = vt_modrt_set_sz("foo", m, "string_dict[%s]", "foo")) != VT_OK ||
        (st = vt_modrt_set_sz("bar", m, "string_dict[%s]", "bar")) != VT_OK ||
        (st = vt_modrt_set_sz("foo", m, "struct_dict[%s].s", "foo")) != VT_OK ||
        (st = vt_modrt_set_integer(1, m, "struct_dict[%s].i", "foo")) != VT_OK)
        return st;
    const uint8_t *module_data;
    size_t module_size;
    if (vt_modrt_module_data(scan, "tests", &module_data, &module_size) && module_size > 0)
        return vt_modrt_set_string(module_data, module_size, m, "module_data");
    return VT_OK;
}

/* A string argument as yara's C string: up to its first NUL. */
static size_t c_length(const vt_modrt_arg *arg)
{
    return strnlen((const char *)arg->s, arg->len);
}

/* yara's yr_re_match: the end offset of the regex's last match in the C string, or -1. */
static void match(vt_modrt_fncall *call)
{
    if (!call->scan->options.regex_match)
        return;
    int64_t end = call->scan->options.regex_match(call->scan->options.regex_user,
                                                  call->args[0].regex, call->args[1].s,
                                                  c_length(&call->args[1]));
    if (end != INT64_MIN)
        vt_modrt_return_integer(call, end);
}

static void isum_2(vt_modrt_fncall *call)
{
    vt_modrt_return_integer(call, (int64_t)((uint64_t)call->args[0].i + (uint64_t)call->args[1].i));
}

static void isum_3(vt_modrt_fncall *call)
{
    vt_modrt_return_integer(call, (int64_t)((uint64_t)call->args[0].i + (uint64_t)call->args[1].i +
                                            (uint64_t)call->args[2].i));
}

static void fsum_2(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, call->args[0].f + call->args[1].f);
}

static void fsum_3(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, call->args[0].f + call->args[1].f + call->args[2].f);
}

static void length(vt_modrt_fncall *call)
{
    vt_modrt_return_integer(call, (int64_t)c_length(&call->args[0]));
}

static void empty(vt_modrt_fncall *call)
{
    vt_modrt_return_string(call, "", 0);
}

static void foobar(vt_modrt_fncall *call)
{
    const char *text = call->args[0].i == 1 ? "foo" : call->args[0].i == 2 ? "bar" : "oops";
    vt_modrt_return_string(call, text, strlen(text));
}

static const vt_modrt_function_def functions[] = {
    {"", "match", "rs", match},   {"", "isum", "ii", isum_2},   {"", "isum", "iii", isum_3},
    {"", "fsum", "ff", fsum_2},   {"", "fsum", "fff", fsum_3},  {"", "length", "s", length},
    {"", "empty", "", empty},     {"", "foobar", "i", foobar},
};

const vt_modrt_module_def vt_modrt_module_tests = {
    "tests", load, functions, sizeof functions / sizeof functions[0], NULL,
};
