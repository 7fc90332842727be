/* modules.c: the module runtime's cost per scanned file: for each FILE, import MODULE in a fresh
 * scan context N times (building the tree from the declaration and parsing the file) and print
 * the median and best time per import.
 *
 *   bench_modules MODULE N FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vitrine/module_runtime.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_modules MODULE N FILE...\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (n < 1)
        n = 1;
    double *times = malloc((size_t)n * sizeof *times);
    if (!times)
        return 2;
    for (int f = 3; f < argc; f++) {
        unsigned char *data;
        size_t len;
        vt_error err;
        if (vt_read_file(argv[f], (size_t)1 << 30, &data, &len, &err) != VT_OK) {
            fprintf(stderr, "bench_modules: %s: %s\n", argv[f], err.message);
            free(times);
            return 2;
        }
        for (int i = 0; i < n; i++) {
            double start = now_us();
            vt_modrt_scan *scan;
            vt_mobj *root;
            if (vt_modrt_scan_new(data, len, NULL, &scan, &err) != VT_OK ||
                vt_modrt_import(scan, argv[1], &root, &err) != VT_OK) {
                fprintf(stderr, "bench_modules: %s\n", err.message);
                free(data);
                free(times);
                return 2;
            }
            vt_modrt_scan_free(scan);
            times[i] = now_us() - start;
        }
        qsort(times, (size_t)n, sizeof *times, compare);
        printf("%s %s (%zu bytes): median %.1f us, best %.1f us per import\n", argv[1], argv[f],
               len, times[n / 2], times[0]);
        free(data);
    }
    free(times);
    return 0;
}
