/* rules_load.c: how long loading a compiled ruleset takes (mmap + validation, no re-parsing) and
 * how much memory it costs.
 *   bench_rules_load FILE [ROUNDS]
 * prints the rule count, the median and best load time over ROUNDS loads, and the resident
 * memory added by keeping one loaded ruleset (touching all of its pages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vitrine/rules.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_rules_load FILE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    if (rounds < 1)
        rounds = 1;
    double *times = calloc((size_t)rounds, sizeof *times);
    if (!times)
        return 2;
    vt_error err;
    size_t rules = 0, bytes = 0;
    for (int i = 0; i < rounds; i++) {
        vt_ruleset *rs;
        double t0 = now_ms();
        if (vt_ruleset_load(argv[1], &rs, &err) != VT_OK) {
            fprintf(stderr, "bench_rules_load: %s\n", err.message);
            return 2;
        }
        times[i] = now_ms() - t0;
        vt_ruleset_view v;
        vt_ruleset_get_view(rs, &v);
        rules = v.rule_count;
        vt_ruleset_image(rs, &bytes);
        vt_ruleset_free(rs);
    }
    qsort(times, (size_t)rounds, sizeof *times, cmp_double);
    long before = rss_kib();
    vt_ruleset *rs;
    if (vt_ruleset_load(argv[1], &rs, &err) != VT_OK)
        return 2;
    size_t len;
    const unsigned char *img = vt_ruleset_image(rs, &len);
    /* touch every page so the resident figure counts the whole image */
    unsigned sum = 0;
    for (size_t i = 0; i < len; i += 4096)
        sum += ((const volatile unsigned char *)img)[i];
    long after = rss_kib();
    if (sum == 1u)
        fputs("", stdout); /* keeps the reads */
    printf("load %s: %zu rules, %zu bytes; median %.2f ms, best %.2f ms over %d loads; "
           "resident +%ld KiB\n",
           argv[1], rules, bytes, times[rounds / 2], times[0], rounds, after - before);
    vt_ruleset_free(rs);
    free(times);
    return 0;
}
