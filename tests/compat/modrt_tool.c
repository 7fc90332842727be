/* modrt_tool.c: the module runtime driven from the command line, for the differential tests
 * against yara 4.2.3 (tests/compat/modules_*.sh).
 *
 *   modrt_tool dump FILE MODULE...      print each module's tree as `yara -D` does
 *   modrt_tool dump-each MODULE FILE... the same for one module over many files (one process), each
 *                                       dump followed by "end_of_dump FILE", the line yara prints
 *                                       for a rule of that name matching FILE (a file that cannot
 *                                       be read or parsed prints no dump)
 *   modrt_tool call FILE CALL...        evaluate calls like  math.entropy(0, 64)  or
 *                                       hash.md5("abc")  and print, for each defined result,
 *                                       "CALL=VALUE" formatted as yara's console.log prints it
 *
 * Arguments of a CALL are integers, floats (with a '.'), "strings" (no escapes) or /regexes/
 * (searched with the match part's regex verifier, as the scanner does). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/match.h>
#include <vitrine/module_runtime.h>

/* regex_search for the module runtime: any match of the compiled regex in s. */
static int stop_at_first(void *ctx, const vt_match *match)
{
    (void)match;
    *(bool *)ctx = true;
    return 1;
}

static bool regex_search(void *user, const void *regex, const uint8_t *s, size_t len)
{
    vt_match_scratch *scratch = user;
    bool found = false;
    vt_string_matcher_scan(regex, scratch, s, len, stop_at_first, &found, NULL);
    return found;
}

static int dump(vt_modrt_scan *scan, int argc, char **argv)
{
    vt_buf out = {0};
    vt_error err;
    for (int i = 0; i < argc; i++) {
        vt_mobj *root;
        if (vt_modrt_import(scan, argv[i], &root, &err) != VT_OK ||
            vt_modrt_dump(root, &out, &err) != VT_OK) {
            fprintf(stderr, "modrt_tool: %s\n", err.message);
            vt_buf_free(&out);
            return 2;
        }
    }
    fwrite(out.data, 1, out.len, stdout);
    vt_buf_free(&out);
    return 0;
}

static void print_escaped(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (isprint(s[i]))
            putchar(s[i]);
        else
            printf("\\x%02x", s[i]);
    }
}

static int call_one(vt_modrt_scan *scan, const char *spec)
{
    char module[64], path[128];
    const char *paren = strchr(spec, '(');
    const char *dot = strchr(spec, '.');
    if (!paren || !dot || dot > paren || (size_t)(dot - spec) >= sizeof module ||
        (size_t)(paren - dot) >= sizeof path)
        return 2;
    memcpy(module, spec, (size_t)(dot - spec));
    module[dot - spec] = '\0';
    memcpy(path, dot + 1, (size_t)(paren - dot - 1));
    path[paren - dot - 1] = '\0';
    vt_error err;
    vt_mobj *obj;
    if (vt_modrt_import(scan, module, &obj, &err) != VT_OK) {
        fprintf(stderr, "modrt_tool: %s\n", err.message);
        return 2;
    }
    for (char *part = strtok(path, "."); part; part = strtok(NULL, ".")) {
        char *bracket = strchr(part, '[');
        if (bracket)
            *bracket = '\0';
        obj = vt_mobj_member(obj, part);
        if (bracket)
            obj = vt_mobj_item(obj, strtoll(bracket + 1, NULL, 10));
    }
    if (!obj)
        return 0; /* an absent item or member: yara's result is undefined, nothing printed */
    vt_modrt_arg args[8];
    char format[9] = {0};
    size_t n = 0;
    const char *p = paren + 1;
    char strings[8][256];
    vt_string_matcher *regexes[8] = {0};
    while (*p && *p != ')' && n < 8) {
        while (*p == ' ' || *p == ',')
            p++;
        memset(&args[n], 0, sizeof args[n]);
        if (*p == '/') {
            const char *end = strchr(p + 1, '/');
            if (!end)
                return 2;
            vt_string_spec re = {.kind = VT_STRING_REGEX, .data = (const uint8_t *)p + 1,
                                 .len = (size_t)(end - p - 1)};
            vt_error rerr;
            if (vt_regex_matcher_new(&re, &regexes[n], &rerr) != VT_OK) {
                fprintf(stderr, "modrt_tool: %s\n", rerr.message);
                return 2;
            }
            args[n].regex = regexes[n];
            format[n] = 'r';
            p = end + 1;
        } else if (*p == '"') {
            const char *end = strchr(p + 1, '"');
            if (!end || (size_t)(end - p - 1) >= sizeof strings[n])
                return 2;
            memcpy(strings[n], p + 1, (size_t)(end - p - 1));
            args[n].s = (const uint8_t *)strings[n];
            args[n].len = (size_t)(end - p - 1);
            format[n] = 's';
            p = end + 1;
        } else {
            char *end;
            size_t span = strcspn(p, ",)");
            if (memchr(p, '.', span)) {
                args[n].f = strtod(p, &end);
                format[n] = 'f';
            } else {
                args[n].i = strtoll(p, &end, 0);
                format[n] = 'i';
            }
            p = end;
        }
        n++;
        while (*p == ' ')
            p++;
    }
    if (!vt_modrt_has_overload(obj, format) && n == 1 && format[0] == 'i' &&
        vt_modrt_has_overload(obj, "b"))
        format[0] = 'b';
    vt_modrt_value v;
    vt_status st = vt_modrt_call(scan, obj, format, args, n, &v, &err);
    for (size_t k = 0; k < n; k++)
        vt_string_matcher_free(regexes[k]);
    if (st != VT_OK) {
        fprintf(stderr, "modrt_tool: %s: %s\n", spec, err.message);
        return 2;
    }
    switch (v.kind) {
    case VT_MODULE_INTEGER:
        printf("%s=%" PRId64 "\n", spec, v.i);
        break;
    case VT_MODULE_FLOAT:
        printf("%s=%f\n", spec, v.f);
        break;
    case VT_MODULE_STRING:
        printf("%s=", spec);
        print_escaped(v.s, v.len);
        putchar('\n');
        break;
    default:
        break;
    }
    return 0;
}

/* Runs `dump` or `call` (argv[0]) on one FILE (argv[1]) with the MODULEs or CALLs after it. */
static int run_on_file(vt_match_scratch *scratch, int argc, char **argv)
{
    unsigned char *data;
    size_t len;
    vt_error err;
    if (vt_read_file(argv[1], (size_t)1 << 30, &data, &len, &err) != VT_OK) {
        fprintf(stderr, "modrt_tool: %s: %s\n", argv[1], err.message);
        return 2;
    }
    vt_modrt_options options = {.regex_search = regex_search, .regex_user = scratch};
    vt_modrt_scan *scan;
    if (vt_modrt_scan_new(data, len, &options, &scan, &err) != VT_OK) {
        free(data);
        return 2;
    }
    int status = 0;
    if (strcmp(argv[0], "dump") == 0) {
        status = dump(scan, argc - 2, argv + 2);
    } else {
        for (int i = 2; i < argc && status == 0; i++)
            status = call_one(scan, argv[i]);
    }
    vt_modrt_scan_free(scan);
    free(data);
    return status;
}

int main(int argc, char **argv)
{
    bool each = argc >= 4 && strcmp(argv[1], "dump-each") == 0;
    if (argc < 4 || (!each && strcmp(argv[1], "dump") != 0 && strcmp(argv[1], "call") != 0)) {
        fprintf(stderr, "usage: modrt_tool dump|call FILE MODULE|CALL...\n"
                        "       modrt_tool dump-each MODULE FILE...\n");
        return 2;
    }
    vt_match_scratch *scratch = vt_match_scratch_new();
    int status = 0;
    if (each) {
        for (int i = 3; i < argc; i++) {
            char *one[] = {"dump", argv[i], argv[2]};
            if (run_on_file(scratch, 3, one) != 0)
                status = 2;
            printf("end_of_dump %s\n", argv[i]);
        }
    } else {
        status = run_on_file(scratch, argc - 1, argv + 1);
    }
    vt_match_scratch_free(scratch);
    return status;
}
