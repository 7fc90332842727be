/* test_modrt.c: the module runtime's object model (trees built from declarations, yara-style
 * setters by path, getters, arrays with holes, dictionaries, yara -D dump order) and the small
 * modules (hash, math, time, console) on known inputs. */
#include <math.h>
#include <string.h>

#include <vitrine/module_runtime.h>

#include "../../lib/modrt/modrt_internal.h"
#include "check.h"

static const uint8_t sample[] = "hello world, hello modules\n";

static vt_modrt_value call(vt_modrt_scan *scan, vt_mobj *root, const char *name,
                           const char *format, const vt_modrt_arg *args)
{
    vt_modrt_value v;
    vt_error err;
    vt_mobj *fn = vt_mobj_member(root, name);
    CHECK(vt_modrt_has_overload(fn, format));
    CHECK_INT_EQ(vt_modrt_call(scan, fn, format, args, strlen(format), &v, &err), VT_OK);
    return v;
}

/* A context over `sample` with the hash module imported, checked by the md5 of its first five
 * bytes ("hello"). */
static vt_modrt_scan *hash_over_sample(vt_mobj **root)
{
    vt_modrt_scan *scan;
    vt_error err;
    CHECK_INT_EQ(vt_modrt_scan_new(sample, sizeof sample - 1, NULL, &scan, &err), VT_OK);
    CHECK_INT_EQ(vt_modrt_import(scan, "hash", root, &err), VT_OK);
    vt_modrt_arg range[2] = {{.i = 0}, {.i = 5}};
    vt_modrt_value v = call(scan, *root, "md5", "ii", range);
    CHECK_INT_EQ(v.kind, VT_MODULE_STRING);
    CHECK_STR_EQ((const char *)v.s, "5d41402abc4b2a76b9719d911017c592");
    return scan;
}

static void test_hash(void)
{
    vt_mobj *root;
    vt_modrt_scan *scan = hash_over_sample(&root);
    vt_modrt_value v;
    vt_error err;
    vt_modrt_arg text[1] = {{.s = (const uint8_t *)"hello", .len = 5}};
    v = call(scan, root, "sha256", "s", text);
    CHECK_STR_EQ((const char *)v.s,
                 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    v = call(scan, root, "crc32", "s", text);
    CHECK_INT_EQ(v.i, 0x3610a686);
    v = call(scan, root, "checksum32", "s", text);
    CHECK_INT_EQ(v.i, 532);
    vt_modrt_arg outside[2] = {{.i = (int64_t)sizeof sample - 1}, {.i = 1}};
    v = call(scan, root, "sha1", "ii", outside);
    CHECK_INT_EQ(v.kind, 0);
    vt_buf dump = {0};
    CHECK_INT_EQ(vt_modrt_dump(root, &dump, &err), VT_OK);
    CHECK_STR_EQ((const char *)dump.data, "hash\n");
    vt_buf_free(&dump);
    vt_modrt_scan_free(scan);
}

static void test_math(void)
{
    vt_modrt_scan *scan;
    vt_mobj *root;
    vt_error err;
    CHECK_INT_EQ(vt_modrt_scan_new(sample, sizeof sample - 1, NULL, &scan, &err), VT_OK);
    CHECK_INT_EQ(vt_modrt_import(scan, "math", &root, &err), VT_OK);
    double mean = 0;
    CHECK(vt_mobj_float(vt_mobj_member(root, "MEAN_BYTES"), &mean));
    CHECK(mean == 127.5);
    vt_modrt_arg text[1] = {{.s = (const uint8_t *)"aabb", .len = 4}};
    vt_modrt_value v = call(scan, root, "entropy", "s", text);
    CHECK(v.kind == VT_MODULE_FLOAT && v.f == 1.0);
    vt_modrt_arg empty[1] = {{.s = (const uint8_t *)"", .len = 0}};
    v = call(scan, root, "mean", "s", empty);
    CHECK_INT_EQ(v.kind, 0);
    vt_modrt_arg mm[2] = {{.i = -1}, {.i = 3}};
    v = call(scan, root, "min", "ii", mm);
    CHECK_INT_EQ(v.i, 3); /* yara compares as unsigned */
    vt_buf dump = {0};
    CHECK_INT_EQ(vt_modrt_dump(root, &dump, &err), VT_OK);
    CHECK_STR_EQ((const char *)dump.data, "math\n\tMEAN_BYTES = 127.500000\n");
    vt_buf_free(&dump);
    vt_modrt_scan_free(scan);
}

static char logged[256];
static void capture(void *user, const char *text, size_t len)
{
    (void)user;
    snprintf(logged, sizeof logged, "%.*s", (int)len, text);
}

static void test_console_and_time(void)
{
    vt_modrt_options options = {.console_log = capture, .now = 1234};
    vt_modrt_scan *scan;
    vt_mobj *console, *time_root;
    vt_error err;
    CHECK_INT_EQ(vt_modrt_scan_new(NULL, 0, &options, &scan, &err), VT_OK);
    CHECK_INT_EQ(vt_modrt_import(scan, "console", &console, &err), VT_OK);
    vt_modrt_arg args[2] = {{.s = (const uint8_t *)"x=\0y", .len = 4},
                            {.s = (const uint8_t *)"a\x01", .len = 2}};
    vt_modrt_value v = call(scan, console, "log", "ss", args);
    CHECK_INT_EQ(v.i, 1);
    CHECK_STR_EQ(logged, "x=a\\x01");
    vt_modrt_arg hex[2] = {{.s = (const uint8_t *)"h:", .len = 2}, {.i = 255}};
    call(scan, console, "hex", "si", hex);
    CHECK_STR_EQ(logged, "h:0xff");
    CHECK_INT_EQ(vt_modrt_import(scan, "time", &time_root, &err), VT_OK);
    v = call(scan, time_root, "now", "", NULL);
    CHECK_INT_EQ(v.i, 1234);
    vt_mobj *again;
    CHECK_INT_EQ(vt_modrt_import(scan, "console", &again, &err), VT_OK);
    CHECK(again == console);
    CHECK_INT_EQ(vt_modrt_import(scan, "nosuch", &again, &err), VT_ERR_NOT_FOUND);
    vt_modrt_scan_free(scan);
}

/* The object model on the `tests` module's declaration (no runtime; built directly). */
static void test_object_model(void)
{
    vt_modrt_scan *scan;
    vt_error err;
    vt_module_decl *decl;
    CHECK_INT_EQ(vt_modrt_scan_new(NULL, 0, NULL, &scan, &err), VT_OK);
    CHECK_INT_EQ(vt_module_declare("tests", &decl, &err), VT_OK);
    vt_mobj *root = vt_modrt_build(scan, NULL, decl, 0, NULL, "", 0);
    CHECK(root != NULL);
    int64_t i;
    CHECK(!vt_mobj_integer(vt_modrt_get(root, "constants.one"), &i));
    CHECK_INT_EQ(vt_modrt_set_integer(1, root, "constants.one"), VT_OK);
    CHECK(vt_mobj_integer(vt_modrt_get(root, "constants.one"), &i) && i == 1);
    CHECK_INT_EQ(vt_modrt_set_integer(7, root, "integer_array[%i]", 3), VT_OK);
    CHECK_INT_EQ(vt_mobj_count(vt_mobj_member(root, "integer_array")), 4);
    CHECK(vt_mobj_item(vt_mobj_member(root, "integer_array"), 1) == NULL);
    CHECK_INT_EQ(vt_modrt_set_sz("v", root, "string_dict[%s]", "k.[x]"), VT_OK);
    const uint8_t *s;
    size_t len;
    CHECK(vt_mobj_string(vt_mobj_lookup(vt_mobj_member(root, "string_dict"), "k.[x]", 5), &s,
                         &len) && len == 1 && s[0] == 'v');
    CHECK_INT_EQ(vt_modrt_set_sz("z", root, "struct_array[%i].s", 1), VT_OK);
    CHECK_INT_EQ(vt_modrt_set_integer(VT_MODRT_UNDEFINED, root, "struct_array[1].i"), VT_OK);
    CHECK(!vt_mobj_integer(vt_modrt_get(root, "struct_array[1].i"), &i));
    CHECK_INT_EQ(vt_modrt_set_integer(1, root, "nosuch"), VT_ERR_ARGUMENT);
    CHECK_INT_EQ(vt_modrt_set_integer(1, root, "constants.foo"), VT_ERR_ARGUMENT);
    CHECK_INT_EQ(vt_modrt_set_integer(1, NULL, "constants.one"), VT_ERR_ARGUMENT);
    CHECK(vt_modrt_get(NULL, "constants.one") == NULL);
    const char *key;
    CHECK(vt_mobj_entry(vt_mobj_member(root, "string_dict"), 0, &key, &len) != NULL);
    CHECK_STR_EQ(key, "k.[x]");
    /* A declared function without a runtime answers undefined; an undeclared overload fails. */
    vt_modrt_value v;
    vt_modrt_arg two[2] = {{.i = 1}, {.i = 2}};
    vt_mobj *isum = vt_mobj_member(root, "isum");
    CHECK(isum != NULL && !vt_modrt_has_overload(isum, "ii"));
    CHECK_INT_EQ(vt_modrt_call(scan, isum, "ii", two, 2, &v, &err), VT_OK);
    CHECK_INT_EQ(v.kind, 0);
    CHECK_INT_EQ(vt_modrt_call(scan, isum, "ss", two, 2, &v, &err), VT_ERR_ARGUMENT);
    CHECK_INT_EQ(vt_modrt_call(scan, isum, "ii", two, 1, &v, &err), VT_ERR_ARGUMENT);
    vt_buf dump = {0};
    CHECK_INT_EQ(vt_modrt_dump(root, &dump, &err), VT_OK);
    /* Top-level members in reverse declaration order, array items in declaration order. */
    const char *want_items = "\tstruct_array\n\t\t[1]\n\t\t\ti = YR_UNDEFINED\n\t\t\ts = \"z\"\n";
    CHECK(strstr((const char *)dump.data, want_items) != NULL);
    CHECK(strstr((const char *)dump.data, "\tstring_dict\n\t\tk.[x] = \"v\"\n") != NULL);
    vt_buf_free(&dump);
    vt_module_decl_free(decl);
    vt_modrt_scan_free(scan);
}

static int member_used_calls;
static bool only_name(void *user, const char *name)
{
    (void)user;
    member_used_calls++;
    return strcmp(name, "name") == 0;
}

/* One context for several scans: after vt_modrt_scan_reset the modules see the new data and
 * options, as in a new context; member_used's answers are remembered for the same callback. */
static void test_reset(void)
{
    static const uint8_t other[] = "another buffer";
    vt_mobj *root;
    vt_error err;
    vt_modrt_scan *scan = hash_over_sample(&root);
    vt_modrt_arg range[2] = {{.i = 0}, {.i = 5}};
    vt_modrt_value v;
    CHECK(vt_modrt_member_used(scan, "anything")); /* no callback: everything */

    vt_modrt_options options = {.member_used = only_name};
    for (int round = 0; round < 3; round++) {
        vt_modrt_scan_reset(scan, other, sizeof other - 1, &options);
        CHECK_INT_EQ(vt_modrt_import(scan, "hash", &root, &err), VT_OK);
        v = call(scan, root, "md5", "ii", range); /* "anoth", not the cached "hello" */
        CHECK_STR_EQ((const char *)v.s, "4d88c2b0c9df67ac3b1bafb7a7ec6a2f");
        vt_modrt_arg end[2] = {{.i = (int64_t)sizeof other - 1}, {.i = 1}};
        CHECK_INT_EQ(call(scan, root, "checksum32", "ii", end).kind, 0); /* past the new end */
        static const char *const name = "name", *const size = "size";
        CHECK(vt_modrt_member_used(scan, name));
        CHECK(!vt_modrt_member_used(scan, size));
        CHECK(!vt_modrt_member_used(scan, size));
    }
    CHECK_INT_EQ(member_used_calls, 2); /* asked once per name for the three rounds */

    vt_modrt_scan_reset(scan, NULL, 0, NULL); /* no data, no options */
    CHECK(vt_modrt_member_used(scan, "size"));
    CHECK_INT_EQ(vt_modrt_import(scan, "hash", &root, &err), VT_OK);
    CHECK_INT_EQ(call(scan, root, "md5", "ii", range).kind, 0);
    vt_modrt_arg empty[1] = {{.s = (const uint8_t *)"", .len = 0}};
    v = call(scan, root, "md5", "s", empty);
    CHECK_STR_EQ((const char *)v.s, "d41d8cd98f00b204e9800998ecf8427e");
    vt_modrt_scan_free(scan);
}

int main(void)
{
    RUN(test_hash);
    RUN(test_math);
    RUN(test_console_and_time);
    RUN(test_object_model);
    RUN(test_reset);
    return check_done();
}
