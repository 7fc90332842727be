/* test_alloc_fail.c: allocation failures during a scan are errors, never missed detections.
 *
 * This program is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
 * (tests/meson.build), so every allocation libvitrine makes goes through the counting hooks
 * below; the library itself has no hook and no global state. A scan of a few files (an ELF
 * binary, signed and exporting PE files, text, the EICAR file) with rules of text, hex, regex,
 * xor and base64 strings, module rules (elf, pe with regex functions and signatures, math,
 * console) and conditions with `matches` and loops is run once to count its
 * allocations, then once for every allocation with that one failing. Each run must report, for
 * every file, either exactly the first run's detections or an error: never fewer (or other)
 * detections with success. Under ASan the same runs also prove that no failure path leaks or
 * touches freed memory. The hooks work in both builds, unlike an LD_PRELOAD shim. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/rules.h>
#include <vitrine/scan.h>

#include "check.h"

/* ---- the counting allocator ----------------------------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);

static bool counting;     /* allocations are counted (the scan window) */
static long allocations;  /* counted so far in this run */
static long fail_at = -1; /* the allocation (0-based) that fails in this run; -1: none */

static bool fail_now(void)
{
    if (!counting)
        return false;
    return allocations++ == fail_at;
}

void *__wrap_malloc(size_t size)
{
    return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fail_now() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

/* ---- the scan --------------------------------------------------------------------------------- */

static const char rules_text[] =
    "import \"elf\"\n"
    "import \"math\"\n"
    "import \"pe\"\n"
    "import \"console\"\n"
    "rule text_ascii { strings: $a = \"ELF\" condition: $a }\n"
    "rule text_wide_nocase { strings: $a = \"HELLO\" nocase wide ascii condition: $a }\n"
    "rule full_word { strings: $a = \"world\" fullword condition: #a == 2 }\n"
    "rule hex_at { strings: $h = { 7F 45 4C 46 [2-8] 01 } condition: $h at 0 }\n"
    "rule hex_jump { strings: $h = { 2E 74 65 [1-30] 74 } condition: #h > 0 }\n"
    "rule hex_alt { strings: $h = { 68 ( 65 | 61 ) 6C 6C 6? } condition: $h }\n"
    "rule regex { strings: $r = /lib[a-z]+\\.so(\\.[0-9]+)?/ condition: $r }\n"
    "rule regex_repeat { strings: $r = /w[a-z]{2,}d/ condition: #r >= 2 }\n"
    "rule regex_emulated { strings: $r = /(ab|a)+c/ condition: $r }\n"
    "rule xored { strings: $x = \"secret\" xor(1-255) condition: $x }\n"
    "rule b64 { strings: $b = \"This program\" base64 condition: $b }\n"
    "rule eicar { strings: $e = \"EICAR-STANDARD-ANTIVIRUS-TEST-FILE\" condition: $e }\n"
    "rule module_elf { condition: elf.number_of_sections > 3 and elf.type == elf.ET_DYN }\n"
    "rule module_loop { condition: for any s in elf.sections : (s.name matches /^\\.text$/) }\n"
    "rule module_math { condition: math.entropy(0, filesize) > 2.0 }\n"
    "rule pe_signed { condition: pe.number_of_signatures == 2 and "
    "pe.signatures[0].issuer matches /Vitrine/ and pe.imphash() != \"\" }\n"
    "rule pe_exports { condition: pe.exports(/^Icmp/) and console.log(\"exports: \", "
    "pe.number_of_exports) }\n"
    "rule string_loop { strings: $a = \"world\" $b = \"hello\" nocase "
    "condition: for all of ($a, $b) : (# > 0) and for any i in (1..#a) : (@a[i] > 0) }\n";

#define MAX_FILES 6
#define MAX_RULES 64

typedef struct file_result {
    vt_status status;
    uint8_t matched[MAX_RULES];
} file_result;

static char dir[] = "/tmp/vitrine-alloc-XXXXXX";
static char paths[MAX_FILES][512];
static size_t file_count;
static uint32_t rule_count;

static bool write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static bool make_files(void)
{
    if (!mkdtemp(dir))
        return false;
    static char text[8192];
    size_t n = 0;
    /* text with every string kind planted, some near the end */
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "hello world, Hello World! libfoo.so.6 and libbar.so; wordd aaabc "
                          "ababc VGhpcyBwcm9ncmFt .text ");
    for (int i = 0; i < 40; i++)
        text[n++] = (char)('a' + i % 26);
    const char secret[] = "secret";
    for (size_t i = 0; i < sizeof secret - 1; i++)
        text[n++] = (char)(secret[i] ^ 0x21);
    const char wide[] = "HeLLo";
    for (size_t i = 0; i < sizeof wide - 1; i++) {
        text[n++] = wide[i];
        text[n++] = 0;
    }
    n += (size_t)snprintf(text + n, sizeof text - n, " the end: world");
    static const char eicar[] =
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    snprintf(paths[0], sizeof paths[0], "%s/text", dir);
    snprintf(paths[1], sizeof paths[1], "%s/eicar.com", dir);
    snprintf(paths[2], sizeof paths[2], "%s/true", dir);
    if (!write_file(paths[0], text, n) || !write_file(paths[1], eicar, sizeof eicar - 1))
        return false;
    /* a real ELF binary for the elf module (copied, so the test reads only its own files) */
    unsigned char *elf = NULL;
    size_t elf_len = 0;
    vt_error err;
    if (vt_read_file("/bin/true", 1 << 20, &elf, &elf_len, &err) != VT_OK)
        return false;
    bool ok = write_file(paths[2], elf, elf_len);
    free(elf);
    file_count = 3;
    /* a signed PE of the fuzz corpus, and a PE with exports from Wine (installed for the
     * module tests by scripts/install-deps --test) */
    const char *root = getenv("VITRINE_SOURCE_ROOT");
    snprintf(paths[file_count++], sizeof paths[0], "%s/fuzz/corpus/modrt_pe/pe32_signed",
             root ? root : ".");
    static const char icmp[] = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/icmp.dll";
    if (access(icmp, R_OK) == 0)
        snprintf(paths[file_count++], sizeof paths[0], "%s", icmp);
    return ok;
}

static void remove_files(void)
{
    for (size_t i = 0; i < 3; i++)
        unlink(paths[i]);
    rmdir(dir);
}

static void discard_console(void *user, const char *text, size_t len)
{
    (void)user;
    (void)text;
    (void)len;
}

/* One run: a fresh context scans every file, first to last or last to first (the context is
 * reused from file to file, so a failure in one file must not spoil the next, and each order
 * makes other code the first to need memory). False when the context cannot be made. */
static bool scan_files(const vt_scanner *scanner, file_result *results, bool reverse)
{
    vt_scan_ctx *ctx = NULL;
    vt_error err;
    vt_scan_options options = {.console_log = discard_console};
    if (vt_scan_ctx_new(scanner, &options, &ctx, &err) != VT_OK)
        return false;
    for (size_t i = 0; i < file_count; i++) {
        size_t f = reverse ? file_count - 1 - i : i;
        results[f].status = vt_scan_file(ctx, paths[f], 0, &err);
        for (uint32_t r = 0; r < rule_count; r++)
            results[f].matched[r] =
                results[f].status == VT_OK && vt_scan_rule_matched(ctx, r) ? 1 : 0;
    }
    vt_scan_ctx_free(ctx);
    return true;
}

static void test_every_allocation_failure_is_an_error_or_harmless(void)
{
    CHECK(make_files());
    vt_compiler *compiler = NULL;
    vt_ruleset *rules = NULL;
    vt_scanner *scanner = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_compiler_new(&compiler, &err), VT_OK);
    CHECK_INT_EQ(vt_compiler_add_source(compiler, NULL, "alloc.yar", rules_text,
                                        sizeof rules_text - 1, &err), VT_OK);
    CHECK_INT_EQ(vt_compiler_finish(compiler, &rules, &err), VT_OK);
    vt_compiler_free(compiler);
    if (rules)
        CHECK_INT_EQ(vt_scanner_new(rules, &scanner, &err), VT_OK);
    if (!scanner) {
        printf("# %s\n", err.message);
        vt_ruleset_free(rules);
        remove_files();
        return;
    }
    vt_ruleset_view view;
    vt_ruleset_get_view(rules, &view);
    rule_count = (uint32_t)view.rule_count;
    CHECK(rule_count <= MAX_RULES);

    /* the run without failures: how many allocations, and the detections to keep */
    file_result expected[MAX_FILES];
    allocations = 0;
    fail_at = -1;
    counting = true;
    bool made = scan_files(scanner, expected, false);
    counting = false;
    long total = allocations;
    CHECK(made);
    size_t detections = 0;
    for (size_t f = 0; f < file_count; f++) {
        CHECK_INT_EQ(expected[f].status, VT_OK);
        for (uint32_t r = 0; r < rule_count; r++)
            detections += expected[f].matched[r];
    }
    /* the rules fire: text, wide, fullword, hex, regex, xor, base64, modules, loops */
    CHECK(detections >= 15);
    for (uint32_t r = 0; r < rule_count; r++) {
        const char *name = vt_ruleset_str(rules, view.rules[r].name);
        if (strcmp(name, "pe_signed") == 0)
            CHECK(expected[3].matched[r]); /* the signatures were parsed */
        if (strcmp(name, "pe_exports") == 0 && file_count > 4)
            CHECK(expected[4].matched[r]); /* a module function searched a regex */
    }
    CHECK(total > 20);
    printf("# %ld allocations in a scan of %zu files, %zu detections\n", total, file_count,
           detections);

    long errors = 0, harmless = 0, refused = 0, runs = 0;
    for (int reverse = 0; reverse < 2; reverse++)
    for (long k = 0; k < 1000000; k++) {
        file_result got[MAX_FILES];
        allocations = 0;
        fail_at = k;
        counting = true;
        made = scan_files(scanner, got, reverse);
        counting = false;
        if (allocations <= k)
            break; /* this order makes fewer allocations: every one has failed once */
        runs++;
        if (!made) {
            refused++; /* the context could not be made: an error, nothing was scanned */
            continue;
        }
        for (size_t f = 0; f < file_count; f++) {
            if (got[f].status != VT_OK) {
                /* an error for this file: it was not reported clean */
                errors++;
                continue;
            }
            harmless++;
            if (memcmp(got[f].matched, expected[f].matched, rule_count) != 0) {
                printf("# failing allocation %ld (%s order) changed the detections of %s "
                       "without an error\n",
                       k, reverse ? "reverse" : "file", paths[f]);
                for (uint32_t r = 0; r < rule_count; r++)
                    if (got[f].matched[r] != expected[f].matched[r])
                        printf("#   rule %s: %d, expected %d\n",
                               vt_ruleset_str(rules, view.rules[r].name), got[f].matched[r],
                               expected[f].matched[r]);
                check_current_failed = 1;
            }
        }
    }
    printf("# %ld runs: %ld file errors, %ld files unaffected, %ld contexts refused\n", runs,
           errors, harmless, refused);
    CHECK(errors > 0); /* the failures did reach the scans */
    vt_scanner_free(scanner);
    vt_ruleset_free(rules);
    remove_files();
}

int main(void)
{
    RUN(test_every_allocation_failure_is_an_error_or_harmless);
    return check_done();
}
