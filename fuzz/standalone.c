/* standalone.c: runs a libFuzzer-style target (LLVMFuzzerTestOneInput) without libFuzzer, so that
 * every fuzz target runs in the ordinary test suite, and under ASan/UBSan in the sanitizer build.
 *
 *   fuzz_NAME [--iterations N] [--seed S] PATH...
 *
 * Each PATH is a corpus file or a directory of them. Every corpus input is run as it is, then
 * N deterministic mutations (bit flips, byte changes, truncations, splices, insertions of
 * interesting bytes) derived from the corpus are run. A crash, sanitizer report or hang is the
 * test's failure; coverage-guided fuzzing is fuzz/run's job. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vitrine/common.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct corpus {
    unsigned char **inputs;
    size_t *sizes;
    size_t count, cap;
};

static int add_input(struct corpus *c, unsigned char *data, size_t len)
{
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        unsigned char **inputs = realloc(c->inputs, cap * sizeof *inputs);
        if (!inputs)
            return -1;
        c->inputs = inputs;
        size_t *sizes = realloc(c->sizes, cap * sizeof *sizes);
        if (!sizes)
            return -1;
        c->sizes = sizes;
        c->cap = cap;
    }
    c->inputs[c->count] = data;
    c->sizes[c->count] = len;
    c->count++;
    return 0;
}

static int load_path(struct corpus *c, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz: cannot stat %s\n", path);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        if (!dir)
            return -1;
        struct dirent *e;
        int rc = 0;
        while ((e = readdir(dir)) && rc == 0) {
            if (e->d_name[0] == '.')
                continue;
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            rc = load_path(c, child);
        }
        closedir(dir);
        return rc;
    }
    unsigned char *data;
    size_t len;
    vt_error err;
    if (vt_read_file(path, 16u << 20, &data, &len, &err) != VT_OK) {
        fprintf(stderr, "fuzz: %s\n", err.message);
        return -1;
    }
    return add_input(c, data, len);
}

static uint64_t next_random(uint64_t *state)
{
    /* splitmix64: deterministic, so a failure reproduces with the same seed */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t mutate(const struct corpus *c, uint64_t *rng, unsigned char *out, size_t max)
{
    size_t pick = (size_t)(next_random(rng) % c->count);
    size_t len = c->sizes[pick] < max ? c->sizes[pick] : max;
    memcpy(out, c->inputs[pick], len);
    static const unsigned char interesting[] = {0, 0xff, 0x7f, 0x80, '\n', ' ', '"', '\\',
                                                '{', '}', '[', ']', '(', ')', '/', '*', '+', '-'};
    int rounds = 1 + (int)(next_random(rng) % 4);
    for (int r = 0; r < rounds; r++) {
        uint64_t op = next_random(rng) % 6;
        size_t at = len ? (size_t)(next_random(rng) % len) : 0;
        if (op == 0 && len) {
            out[at] ^= (unsigned char)(1u << (next_random(rng) % 8));
        } else if (op == 1 && len) {
            out[at] = (unsigned char)next_random(rng);
        } else if (op == 2 && len) {
            out[at] = interesting[next_random(rng) % sizeof interesting];
        } else if (op == 3) {
            len = at;
        } else if (op == 4 && len < max) {
            memmove(out + at + 1, out + at, len - at);
            out[at] = interesting[next_random(rng) % sizeof interesting];
            len++;
        } else if (op == 5) {
            size_t other = (size_t)(next_random(rng) % c->count);
            size_t from = c->sizes[other] ? (size_t)(next_random(rng) % c->sizes[other]) : 0;
            size_t n = c->sizes[other] - from;
            if (at + n > max)
                n = max - at;
            memcpy(out + at, c->inputs[other] + from, n);
            if (at + n > len)
                len = at + n;
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    long iterations = 2000;
    uint64_t seed = 1;
    struct corpus c = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (load_path(&c, argv[i]) != 0)
            return 2;
    }
    if (c.count == 0) {
        fprintf(stderr, "fuzz: no corpus inputs given\n");
        return 2;
    }
    size_t max = 0;
    for (size_t i = 0; i < c.count; i++) {
        LLVMFuzzerTestOneInput(c.inputs[i], c.sizes[i]);
        if (c.sizes[i] > max)
            max = c.sizes[i];
    }
    max = max * 2 + 64;
    unsigned char *scratch = malloc(max);
    if (!scratch)
        return 2;
    uint64_t rng = seed;
    for (long i = 0; i < iterations; i++) {
        size_t len = mutate(&c, &rng, scratch, max);
        /* Hand the target an exact-size copy so ASan sees reads past the end. */
        unsigned char *input = malloc(len ? len : 1);
        if (!input)
            return 2;
        memcpy(input, scratch, len);
        LLVMFuzzerTestOneInput(input, len);
        free(input);
    }
    printf("fuzz: %zu corpus inputs and %ld mutations ran clean\n", c.count, iterations);
    for (size_t i = 0; i < c.count; i++)
        free(c.inputs[i]);
    free(c.inputs);
    free(c.sizes);
    free(scratch);
    return 0;
}
