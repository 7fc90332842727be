/* tlog_bench.c: benchmarks of the transparency log (run by bench/tlog.sh).
 *   bench_tlog append DIR COUNT SIZE BATCH   durable appends into a new log: entries/s
 *   bench_tlog build DIR COUNT SIZE BATCH    make a big log once (skipped if DIR exists)
 *   bench_tlog prove DIR COUNT               inclusion proof latency, a fresh reader per proof
 *                                            (no tile cache in the process), verified */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vitrine/tlog.h>

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

static int die(const char *what, const vt_error *err)
{
    fprintf(stderr, "bench_tlog: %s: %s\n", what, err->message);
    return 2;
}

static int append(const char *dir, uint64_t count, size_t size, size_t batch, int quiet)
{
    vt_error err;
    char *priv, *pub;
    vt_tlog_signer *key;
    if (vt_tlog_keygen("bench.example/log", VT_TLOG_SIG_ED25519, &priv, &pub, &err) != VT_OK ||
        vt_tlog_signer_parse(priv, strlen(priv), &key, &err) != VT_OK)
        return die("key", &err);
    if (vt_tlog_create(dir, "bench.example/log", key, &err) != VT_OK)
        return die("create", &err);
    char pub_path[4096];
    snprintf(pub_path, sizeof pub_path, "%s.pub", dir);
    vt_write_file_atomic(pub_path, pub, strlen(pub), 0644, &err);
    vt_tlog_writer *w;
    if (vt_tlog_writer_open(dir, key, &w, &err) != VT_OK)
        return die("open", &err);
    unsigned char *data = malloc(batch * size + 1);
    vt_tlog_entry *entries = calloc(batch, sizeof *entries);
    if (!data || !entries)
        return 2;
    double start = now(), cpu_start = cpu_now();
    uint64_t done = 0;
    while (done < count) {
        size_t n = count - done < batch ? (size_t)(count - done) : batch;
        for (size_t i = 0; i < n; i++) {
            unsigned char *e = data + i * size;
            memset(e, 'a' + (int)((done + i) % 26), size);
            int w_ = snprintf((char *)e, size, "entry %" PRIu64 " ", done + i);
            if (w_ > 0 && (size_t)w_ < size)
                e[w_] = ' ';
            entries[i].data = e;
            entries[i].len = size;
        }
        uint64_t first;
        if (vt_tlog_writer_append(w, entries, n, &first, &err) != VT_OK)
            return die("append", &err);
        done += n;
        if (!quiet && done % (batch * 100) == 0) {
            fprintf(stderr, "\r%" PRIu64 " entries", done);
            fflush(stderr);
        }
    }
    double secs = now() - start, cpu_secs = cpu_now() - cpu_start;
    if (!quiet)
        fputc('\n', stderr);
    printf("append: %" PRIu64 " entries of %zu bytes in batches of %zu: %.2f s, %.0f entries/s "
           "(durable: fsync before each checkpoint); CPU %.2f s (%.0f entries per CPU second)\n",
           count, size, batch, secs, (double)count / secs, cpu_secs, (double)count / cpu_secs);
    vt_tlog_writer_close(w);
    vt_tlog_signer_free(key);
    free(priv);
    free(pub);
    free(data);
    free(entries);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int prove(const char *dir, unsigned count)
{
    vt_error err;
    char pub_path[4096];
    snprintf(pub_path, sizeof pub_path, "%s.pub", dir);
    vt_tlog_verifier *vkey;
    if (vt_tlog_verifier_load(pub_path, &vkey, &err) != VT_OK)
        return die("vkey", &err);
    vt_tlog_reader *r;
    vt_tlog_checkpoint cp;
    if (vt_tlog_reader_open(dir, &r, &err) != VT_OK ||
        vt_tlog_reader_checkpoint(r, vkey, &cp, NULL, &err) != VT_OK)
        return die("checkpoint", &err);
    vt_tlog_reader_close(r);
    double *times = calloc(count, sizeof *times), *cpu = calloc(count, sizeof *cpu);
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][VT_TLOG_HASH_SIZE];
    size_t n = 0, total_hashes = 0;
    uint64_t x = 88172645463325252ull;
    vt_buf entry = {0};
    for (unsigned i = 0; i < count; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t index = x % cp.size;
        double t0 = now(), c0 = cpu_now();
        if (vt_tlog_reader_open(dir, &r, &err) != VT_OK ||
            vt_tlog_reader_prove_inclusion(r, cp.size, index, proof, &n, &err) != VT_OK)
            return die("prove", &err);
        times[i] = now() - t0;
        cpu[i] = cpu_now() - c0;
        vt_tlog_reader_close(r);
        /* Check it (not timed). */
        unsigned char leaf[32];
        if (vt_tlog_reader_open(dir, &r, &err) != VT_OK ||
            vt_tlog_reader_entry(r, cp.size, index, &entry, &err) != VT_OK ||
            vt_tlog_leaf_hash(entry.data, entry.len, leaf) != VT_OK ||
            vt_tlog_verify_inclusion(index, cp.size, leaf, 32, (const unsigned char (*)[32])proof, n,
                                     cp.root, 32, &err) != VT_OK)
            return die("verify", &err);
        vt_tlog_reader_close(r);
        total_hashes += n;
    }
    qsort(times, count, sizeof *times, cmp_double);
    qsort(cpu, count, sizeof *cpu, cmp_double);
    double sum = 0, cpu_sum = 0;
    for (unsigned i = 0; i < count; i++)
        sum += times[i], cpu_sum += cpu[i];
    printf("prove: %u inclusion proofs at size %" PRIu64 " (%.1f hashes each), fresh reader each: "
           "mean %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us; all verified\n",
           count, cp.size, (double)total_hashes / count, sum / count * 1e6, times[count / 2] * 1e6,
           times[count * 99 / 100] * 1e6, times[count - 1] * 1e6);
    printf("prove: CPU time per proof (excludes waiting for the disk or the scheduler): mean %.1f us, "
           "p50 %.1f us, p99 %.1f us\n",
           cpu_sum / count * 1e6, cpu[count / 2] * 1e6, cpu[count * 99 / 100] * 1e6);
    free(cpu);
    vt_buf_free(&entry);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_verifier_free(vkey);
    free(times);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && (strcmp(argv[1], "append") == 0 || strcmp(argv[1], "build") == 0)) {
        struct stat st;
        if (strcmp(argv[1], "build") == 0 && stat(argv[2], &st) == 0) {
            printf("build: %s exists, reusing it\n", argv[2]);
            return 0;
        }
        return append(argv[2], strtoull(argv[3], NULL, 10), strtoul(argv[4], NULL, 10),
                      strtoul(argv[5], NULL, 10), strcmp(argv[1], "append") == 0);
    }
    if (argc == 4 && strcmp(argv[1], "prove") == 0)
        return prove(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
    fprintf(stderr, "usage: bench_tlog append|build DIR COUNT SIZE BATCH | prove DIR COUNT\n");
    return 2;
}
