/* modrt_macho.c: fuzz target for the macho module of the module runtime: load the input as the
 * scanned file (thin or fat Mach-O), dump the tree as yara -D does, and call the functions that
 * take an integer, so every parser path and every function runs over hostile bytes. */
#include <stdint.h>
#include <string.h>

#include <vitrine/module_runtime.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_modrt_scan *scan;
    vt_mobj *root;
    if (vt_modrt_scan_new(data, size, NULL, &scan, NULL) != VT_OK)
        return 0;
    if (vt_modrt_import(scan, "macho", &root, NULL) == VT_OK) {
        vt_buf out = {0};
        vt_modrt_dump(root, &out, NULL);
        vt_buf_free(&out);
        static const char *const names[] = {"file_index_for_arch", "entry_point_for_arch"};
        vt_modrt_arg arg = {.i = size > 8 ? (int64_t)data[size - 1] << 8 : 1,
                            .s = (const uint8_t *)".text", .len = 5};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            vt_mobj *fn = vt_mobj_member(root, names[i]);
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
