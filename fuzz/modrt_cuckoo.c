/* modrt_cuckoo.c: fuzz target for the cuckoo module's report parser: hostile bytes given as the
 * module data (yara's -x cuckoo=FILE), the tree dumped, and every function called, with a regex
 * search that matches strings holding a '.' and with a port taken from the input, so the JSON
 * walk of every function runs over arbitrary reports. */
#include <string.h>

#include <vitrine/module_runtime.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_dot(void *user, const void *regex, const uint8_t *s, size_t len)
{
    (void)user;
    (void)regex;
    return memchr(s, '.', len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const calls[][2] = {
        {"network", "dns_lookup"}, {"network", "http_get"},       {"network", "http_post"},
        {"network", "http_request"}, {"network", "http_user_agent"}, {"network", "host"},
        {"network", "tcp"},         {"network", "udp"},           {"registry", "key_access"},
        {"filesystem", "file_access"}, {"sync", "mutex"},
    };
    vt_module_data report = {.module = "cuckoo", .data = data, .size = size};
    vt_modrt_options options = {.regex_search = has_dot, .module_data = &report,
                                .module_data_count = 1};
    vt_modrt_scan *scan;
    vt_mobj *root;
    static const uint8_t scanned[] = "scanned";
    if (vt_modrt_scan_new(scanned, sizeof scanned - 1, &options, &scan, NULL) != VT_OK)
        return 0;
    if (vt_modrt_import(scan, "cuckoo", &root, NULL) == VT_OK) {
        vt_buf out = {0};
        vt_modrt_dump(root, &out, NULL);
        vt_buf_free(&out);
        vt_modrt_arg args[2] = {{.regex = "any"}, {.i = size ? data[size - 1] : 80}};
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            vt_mobj *fn = vt_mobj_member(vt_mobj_member(root, calls[i][0]), calls[i][1]);
            vt_modrt_value v;
            if (vt_modrt_has_overload(fn, "r"))
                vt_modrt_call(scan, fn, "r", args, 1, &v, NULL);
            if (vt_modrt_has_overload(fn, "ri"))
                vt_modrt_call(scan, fn, "ri", args, 2, &v, NULL);
        }
    }
    vt_modrt_scan_free(scan);
    return 0;
}
