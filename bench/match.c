/* match.c: benchmark of the multi-string matcher. Compiles rule files with the rule compiler
 * (one namespace per file; files it rejects are skipped and counted), builds one matcher from
 * all their strings, then maps and scans each target file single-threaded and reports the
 * build time, bytes scanned, wall time, throughput and matches found.
 *   bench_match RULE_FILE_LIST TARGET_FILE_LIST   (each a file with one path per line) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vitrine/match.h>
#include <vitrine/rules.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char **read_lines(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1024, n = 0;
    char **lines = malloc(cap * sizeof *lines);
    char buf[4096];
    while (lines && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        if (!buf[0])
            continue;
        if (n == cap) {
            cap *= 2;
            char **more = realloc(lines, cap * sizeof *lines);
            if (!more)
                break;
            lines = more;
        }
        lines[n++] = strdup(buf);
    }
    fclose(f);
    *count = n;
    return lines;
}

static int count_match(void *ctx, const vt_match *m)
{
    (void)m;
    (*(size_t *)ctx)++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_match RULE_FILE_LIST TARGET_FILE_LIST\n");
        return 2;
    }
    size_t nrules = 0, ntargets = 0;
    char **rules = read_lines(argv[1], &nrules);
    char **targets = read_lines(argv[2], &ntargets);
    if (!rules || !targets) {
        fprintf(stderr, "bench_match: cannot read the lists\n");
        return 2;
    }
    double t0 = now(), c0 = cpu_now();
    size_t cap = 4096, nspecs = 0, skipped = 0;
    vt_string_spec *specs = malloc(cap * sizeof *specs);
    vt_ruleset **sets = calloc(nrules, sizeof *sets);
    for (size_t i = 0; i < nrules; i++) {
        vt_compiler *c = NULL;
        vt_error err;
        vt_error_clear(&err);
        char ns[32];
        snprintf(ns, sizeof ns, "ns%zu", i);
        if (vt_compiler_new(&c, &err) != VT_OK || vt_compiler_add_file(c, ns, rules[i], &err) ||
            vt_compiler_finish(c, &sets[i], &err)) {
            skipped++;
            vt_compiler_free(c);
            continue;
        }
        vt_compiler_free(c);
        vt_ruleset_view view;
        vt_ruleset_get_view(sets[i], &view);
        for (size_t k = 0; k < view.string_count; k++) {
            const vt_rs_string *s = &view.strings[k];
            if (nspecs == cap) {
                cap *= 2;
                specs = realloc(specs, cap * sizeof *specs);
            }
            vt_string_spec *sp = &specs[nspecs++];
            memset(sp, 0, sizeof *sp);
            sp->kind = (vt_string_kind)s->kind;
            sp->data = (const uint8_t *)vt_ruleset_str(sets[i], s->text);
            sp->len = s->text.len;
            sp->modifiers = s->flags & 0xFF;
            sp->regex_flags = (s->flags & VT_RS_REGEX_NOCASE ? VT_REGEX_NOCASE : 0) |
                              (s->flags & VT_RS_REGEX_DOTALL ? VT_REGEX_DOTALL : 0);
            sp->xor_min = s->xor_min;
            sp->xor_max = s->xor_max;
            if (s->base64_alphabet.len == 64)
                sp->base64_alphabet = vt_ruleset_str(sets[i], s->base64_alphabet);
            else if (s->base64wide_alphabet.len == 64)
                sp->base64_alphabet = vt_ruleset_str(sets[i], s->base64wide_alphabet);
        }
    }
    double t1 = now(), c1 = cpu_now();
    vt_matcher *m = NULL;
    vt_error err;
    vt_error_clear(&err);
    if (vt_matcher_build(specs, nspecs, &m, &err) != VT_OK) {
        fprintf(stderr, "bench_match: matcher: %s\n", err.message);
        return 1;
    }
    double t2 = now(), c2 = cpu_now();
    /* save and load: what a compiled ruleset stores */
    vt_buf saved = {0};
    double ts0 = now();
    if (vt_matcher_serialize(m, &saved, &err) == VT_OK) {
        double ts1 = now();
        vt_matcher *loaded = NULL;
        if (vt_matcher_deserialize(saved.data, saved.len, &loaded, &err) == VT_OK) {
            double ts2 = now();
            printf("serialized matcher: %zu bytes, save %.3f s, load %.3f s\n", saved.len,
                   ts1 - ts0, ts2 - ts1);
            vt_matcher_free(m);
            m = loaded; /* scan with the loaded copy */
        }
    }
    vt_buf_free(&saved);
    vt_matcher_scratch *scratch = vt_matcher_scratch_new(m);
    size_t matches = 0, bytes = 0, files = 0;
    double t3 = now(), c3 = cpu_now();
    for (size_t i = 0; i < ntargets; i++) {
        /* map the file, as the scanner does */
        int fd = open(targets[i], O_RDONLY);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) != 0 || st.st_size <= 0) {
            close(fd);
            continue;
        }
        size_t len = (size_t)st.st_size;
        void *data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (data == MAP_FAILED)
            continue;
        vt_matcher_scan(m, scratch, data, len, count_match, &matches, NULL);
        bytes += len;
        files++;
        munmap(data, len);
    }
    double t4 = now(), c4 = cpu_now();
    printf("rule files: %zu compiled, %zu skipped; strings: %zu\n", nrules - skipped, skipped,
           nspecs);
    printf("compile rules: %.2f s (%.2f s CPU), build matcher: %.2f s (%.2f s CPU)\n", t1 - t0,
           c1 - c0, t2 - t1, c2 - c1);
    printf("scan: %zu files, %.1f MB in %.2f s wall (%.2f s CPU) = %.1f MB/s, %zu string "
           "matches\n", files, (double)bytes / 1e6, t4 - t3, c4 - c3,
           (double)bytes / 1e6 / (t4 - t3), matches);
    vt_matcher_scratch_free(scratch);
    vt_matcher_free(m);
    for (size_t i = 0; i < nrules; i++) {
        vt_ruleset_free(sets[i]);
        free(rules[i]);
    }
    for (size_t i = 0; i < ntargets; i++)
        free(targets[i]);
    free(rules);
    free(targets);
    free(sets);
    free(specs);
    return 0;
}
