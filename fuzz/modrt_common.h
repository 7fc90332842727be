/* modrt_common.h: the body every module fuzz target shares: load the input as the scanned file
 * with one module, dump the tree as yara -D does, and call the named functions with no
 * argument, an integer and a string wherever an overload takes them, so every parser path and
 * every function runs over hostile bytes. */
#ifndef VITRINE_FUZZ_MODRT_COMMON_H
#define VITRINE_FUZZ_MODRT_COMMON_H

#include <stdint.h>
#include <string.h>

#include <vitrine/module_runtime.h>

static int fuzz_module(const char *module, const char *const *functions, size_t function_count,
                       const uint8_t *data, size_t size)
{
    vt_modrt_scan *scan;
    vt_mobj *root;
    if (vt_modrt_scan_new(data, size, NULL, &scan, NULL) != VT_OK)
        return 0;
    if (vt_modrt_import(scan, module, &root, NULL) == VT_OK) {
        vt_buf out = {0};
        vt_modrt_dump(root, &out, NULL);
        vt_buf_free(&out);
        vt_modrt_arg arg = {.i = size > 8 ? (int64_t)data[size - 1] << 8 : 1,
                            .s = (const uint8_t *)".text", .len = 5};
        for (size_t i = 0; i < function_count; i++) {
            vt_mobj *fn = vt_mobj_member(root, functions[i]);
            vt_modrt_value v;
            if (vt_modrt_has_overload(fn, ""))
                vt_modrt_call(scan, fn, "", NULL, 0, &v, NULL);
            if (vt_modrt_has_overload(fn, "i"))
                vt_modrt_call(scan, fn, "i", &arg, 1, &v, NULL);
            if (vt_modrt_has_overload(fn, "s"))
                vt_modrt_call(scan, fn, "s", &arg, 1, &v, NULL);
        }
    }
    vt_modrt_scan_free(scan);
    return 0;
}

#endif
