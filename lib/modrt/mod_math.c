/* mod_math.c: yara's math module: statistics of a range of the scanned data or of a string
 * (entropy, mean, deviation, serial correlation, Monte Carlo pi), byte counts and percentages,
 * and integer helpers. Formulas and their float arithmetic follow yara 4.2.3 exactly, including
 * the single-precision division in percentage(). */
#include <math.h>
#include <stdlib.h>

#include "modrt_internal.h"
#include "range.h"

#define MATH_PI 3.141592653589793

/* Bytes of a data range, or false when yara would answer undefined. */
static bool data_range(vt_modrt_fncall *call, int64_t offset, int64_t length, const uint8_t **p,
                       size_t *len)
{
    size_t start;
    if (!vt_modrt_range(call->size, offset, length, &start, len))
        return false;
    *p = call->data + start;
    return true;
}

static void distribution(const uint8_t *p, size_t len, uint64_t counts[256])
{
    for (int i = 0; i < 256; i++)
        counts[i] = 0;
    for (size_t i = 0; i < len; i++)
        counts[p[i]]++;
}

static double entropy_of(const uint8_t *p, size_t len)
{
    uint64_t counts[256];
    distribution(p, len, counts);
    double entropy = 0.0;
    for (int i = 0; i < 256; i++) {
        if (counts[i]) {
            double x = (double)counts[i] / (double)len;
            entropy -= x * log2(x);
        }
    }
    return entropy;
}

static double mean_of(const uint8_t *p, size_t len)
{
    double sum = 0.0;
    for (size_t i = 0; i < len; i++)
        sum += (double)p[i];
    return sum / (double)len;
}

static double deviation_of(const uint8_t *p, size_t len, double mean)
{
    double sum = 0.0;
    for (size_t i = 0; i < len; i++)
        sum += fabs((double)p[i] - mean);
    return sum / (double)len;
}

static double serial_correlation_of(const uint8_t *p, size_t len)
{
    double sccun = 0, scclast = 0, scct1 = 0, scct2 = 0, scct3 = 0;
    for (size_t i = 0; i < len; i++) {
        sccun = (double)p[i];
        scct1 += scclast * sccun;
        scct2 += sccun;
        scct3 += sccun * sccun;
        scclast = sccun;
    }
    scct1 += scclast * sccun;
    scct2 *= scct2;
    double scc = (double)len * scct3 - scct2;
    return scc == 0 ? -100000 : ((double)len * scct1 - scct2) / scc;
}

/* NaN when there is not one full 6-byte sample (yara: undefined). */
static double monte_carlo_pi_of(const uint8_t *p, size_t len)
{
    double incirc = pow(pow(256.0, 3.0) - 1, 2.0);
    unsigned monte[6] = {0};
    long mcount = 0, inmont = 0;
    for (size_t i = 0; i < len; i++) {
        monte[i % 6] = p[i];
        if (i % 6 == 5) {
            double mx = 0, my = 0;
            mcount++;
            for (int j = 0; j < 3; j++) {
                mx = mx * 256.0 + monte[j];
                my = my * 256.0 + monte[j + 3];
            }
            if (mx * mx + my * my <= incirc)
                inmont++;
        }
    }
    if (mcount == 0)
        return NAN;
    double mpi = 4.0 * ((double)inmont / (double)mcount);
    return fabs((mpi - MATH_PI) / MATH_PI);
}

static void data_entropy(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[0].i, call->args[1].i, &p, &len))
        vt_modrt_return_float(call, entropy_of(p, len));
}

static void string_entropy(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, entropy_of(call->args[0].s, call->args[0].len));
}

static void data_mean(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[0].i, call->args[1].i, &p, &len))
        vt_modrt_return_float(call, mean_of(p, len));
}

static void string_mean(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, mean_of(call->args[0].s, call->args[0].len));
}

static void data_deviation(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[0].i, call->args[1].i, &p, &len))
        vt_modrt_return_float(call, deviation_of(p, len, call->args[2].f));
}

static void string_deviation(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, deviation_of(call->args[0].s, call->args[0].len,
                                             call->args[1].f));
}

static void data_serial_correlation(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[0].i, call->args[1].i, &p, &len))
        vt_modrt_return_float(call, serial_correlation_of(p, len));
}

static void string_serial_correlation(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, serial_correlation_of(call->args[0].s, call->args[0].len));
}

static void data_monte_carlo_pi(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[0].i, call->args[1].i, &p, &len))
        vt_modrt_return_float(call, monte_carlo_pi_of(p, len));
}

static void string_monte_carlo_pi(vt_modrt_fncall *call)
{
    vt_modrt_return_float(call, monte_carlo_pi_of(call->args[0].s, call->args[0].len));
}

static void in_range(vt_modrt_fncall *call)
{
    double test = call->args[0].f, lower = call->args[1].f, upper = call->args[2].f;
    vt_modrt_return_integer(call, lower <= test && test <= upper ? 1 : 0);
}

static void min_(vt_modrt_fncall *call)
{
    uint64_t i = (uint64_t)call->args[0].i, j = (uint64_t)call->args[1].i;
    vt_modrt_return_integer(call, (int64_t)(i < j ? i : j));
}

static void max_(vt_modrt_fncall *call)
{
    uint64_t i = (uint64_t)call->args[0].i, j = (uint64_t)call->args[1].i;
    vt_modrt_return_integer(call, (int64_t)(i > j ? i : j));
}

static void to_number(vt_modrt_fncall *call)
{
    vt_modrt_return_integer(call, call->args[0].i ? 1 : 0);
}

static void abs_(vt_modrt_fncall *call)
{
    int64_t v = call->args[0].i;
    vt_modrt_return_integer(call, v < 0 ? (int64_t)(0 - (uint64_t)v) : v);
}

static void count_range(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    uint64_t counts[256];
    if (!data_range(call, call->args[1].i, call->args[2].i, &p, &len))
        return;
    distribution(p, len, counts);
    vt_modrt_return_integer(call, (int64_t)counts[(uint8_t)call->args[0].i]);
}

/* An empty file has no data block in yara: the whole-file statistics are undefined. */
static void count_global(vt_modrt_fncall *call)
{
    uint64_t counts[256];
    if (call->size == 0)
        return;
    distribution(call->data, call->size, counts);
    vt_modrt_return_integer(call, (int64_t)counts[(uint8_t)call->args[0].i]);
}

static double percentage_of(const uint8_t *p, size_t len, uint8_t byte)
{
    uint64_t counts[256];
    distribution(p, len, counts);
    return (double)((float)counts[byte] / (float)len);
}

static void percentage_range(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[1].i, call->args[2].i, &p, &len))
        vt_modrt_return_float(call, percentage_of(p, len, (uint8_t)call->args[0].i));
}

static void percentage_global(vt_modrt_fncall *call)
{
    if (call->size == 0)
        return;
    vt_modrt_return_float(call, percentage_of(call->data, call->size, (uint8_t)call->args[0].i));
}

static int64_t mode_of(const uint8_t *p, size_t len)
{
    uint64_t counts[256];
    distribution(p, len, counts);
    int most = 0;
    for (int i = 0; i < 256; i++)
        if (counts[i] > counts[most])
            most = i;
    return most;
}

static void mode_range(vt_modrt_fncall *call)
{
    const uint8_t *p;
    size_t len;
    if (data_range(call, call->args[0].i, call->args[1].i, &p, &len))
        vt_modrt_return_integer(call, mode_of(p, len));
}

static void mode_global(vt_modrt_fncall *call)
{
    if (call->size == 0)
        return;
    vt_modrt_return_integer(call, mode_of(call->data, call->size));
}

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    (void)scan, (void)data, (void)size;
    return vt_modrt_set_float(127.5, module->root, "MEAN_BYTES");
}

static const vt_modrt_function_def functions[] = {
    {"", "in_range", "fff", in_range},
    {"", "deviation", "iif", data_deviation},
    {"", "deviation", "sf", string_deviation},
    {"", "mean", "ii", data_mean},
    {"", "mean", "s", string_mean},
    {"", "serial_correlation", "ii", data_serial_correlation},
    {"", "serial_correlation", "s", string_serial_correlation},
    {"", "monte_carlo_pi", "ii", data_monte_carlo_pi},
    {"", "monte_carlo_pi", "s", string_monte_carlo_pi},
    {"", "entropy", "ii", data_entropy},
    {"", "entropy", "s", string_entropy},
    {"", "min", "ii", min_},
    {"", "max", "ii", max_},
    {"", "to_number", "b", to_number},
    {"", "abs", "i", abs_},
    {"", "count", "i", count_global},
    {"", "count", "iii", count_range},
    {"", "percentage", "i", percentage_global},
    {"", "percentage", "iii", percentage_range},
    {"", "mode", "", mode_global},
    {"", "mode", "ii", mode_range},
};

const vt_modrt_module_def vt_modrt_module_math = {
    "math", load, functions, sizeof functions / sizeof functions[0], NULL,
};
