/* test_tlog_merkle.c: RFC 6962 hashing and proofs. Every inclusion and consistency vector of
 * transparency-dev/merkle (valid and invalid) must give the expected verdict, and proofs we
 * generate for many tree sizes must verify and equal those of a direct recursive computation. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <vitrine/tlog.h>

#include "check.h"

static const char *shared(void)
{
    const char *s = getenv("VITRINE_SHARED");
    return s ? s : "../shared";
}

/* Decode a base64 JSON string of any length (roots may be short on purpose). */
static int b64(json_t *j, unsigned char *out, size_t max, size_t *len)
{
    const char *s = json_string_value(j);
    if (!s)
        return 0;
    return vt_tlog_base64_decode(s, strlen(s), out, max, len) == VT_OK;
}

static int proof_of(json_t *arr, unsigned char (*proof)[32], size_t *n)
{
    *n = 0;
    if (json_is_null(arr) || !arr)
        return 1;
    size_t i;
    json_t *h;
    json_array_foreach(arr, i, h)
    {
        unsigned char buf[64];
        size_t len;
        if (i >= 64 || !b64(h, buf, sizeof buf, &len) || len != 32)
            return 0;
        memcpy(proof[i], buf, 32);
        (*n)++;
    }
    return 1;
}

/* Load a vector, quoting integer literals too large for jansson (e.g. 2^64-1) as strings. */
static json_t *load_json(const char *path, json_error_t *jerr)
{
    unsigned char *data;
    size_t len;
    if (vt_read_file(path, 1 << 20, &data, &len, NULL) != VT_OK)
        return NULL;
    vt_buf out = {0};
    int in_string = 0;
    for (size_t i = 0; i < len;) {
        if (data[i] == '"' && (i == 0 || data[i - 1] != '\\'))
            in_string = !in_string;
        if (!in_string && data[i] >= '0' && data[i] <= '9') {
            size_t j = i;
            while (j < len && data[j] >= '0' && data[j] <= '9')
                j++;
            int big = j - i >= 19;
            if (big)
                vt_buf_append_byte(&out, '"');
            vt_buf_append(&out, data + i, j - i);
            if (big)
                vt_buf_append_byte(&out, '"');
            i = j;
            continue;
        }
        vt_buf_append_byte(&out, data[i]);
        i++;
    }
    free(data);
    json_t *v = json_loadb((const char *)out.data, out.len, 0, jerr);
    vt_buf_free(&out);
    return v;
}

/* An integer field, possibly quoted by load_json. */
static int get_u64(json_t *j, uint64_t *out)
{
    if (json_is_integer(j) && json_integer_value(j) >= 0) {
        *out = (uint64_t)json_integer_value(j);
        return 1;
    }
    const char *s = json_string_value(j);
    if (!s)
        return 0;
    char *end;
    *out = strtoull(s, &end, 10);
    return *end == '\0';
}

static int inclusion_ok(json_t *v)
{
    unsigned char root[64], leaf[64], proof[64][32];
    size_t root_len, leaf_len, n;
    if (!b64(json_object_get(v, "root"), root, sizeof root, &root_len) ||
        !b64(json_object_get(v, "leafHash"), leaf, sizeof leaf, &leaf_len) ||
        !proof_of(json_object_get(v, "proof"), proof, &n))
        return 0;
    uint64_t idx, size;
    if (!get_u64(json_object_get(v, "leafIdx"), &idx) ||
        !get_u64(json_object_get(v, "treeSize"), &size))
        return 0;
    return vt_tlog_verify_inclusion(idx, size, leaf, leaf_len,
                                    (const unsigned char (*)[32])proof, n, root, root_len,
                                    NULL) == VT_OK;
}

static int consistency_ok(json_t *v)
{
    unsigned char r1[64], r2[64], proof[64][32];
    size_t l1, l2, n;
    if (!b64(json_object_get(v, "root1"), r1, sizeof r1, &l1) ||
        !b64(json_object_get(v, "root2"), r2, sizeof r2, &l2) ||
        !proof_of(json_object_get(v, "proof"), proof, &n))
        return 0;
    uint64_t s1, s2;
    if (!get_u64(json_object_get(v, "size1"), &s1) || !get_u64(json_object_get(v, "size2"), &s2))
        return 0;
    return vt_tlog_verify_consistency(s1, s2, (const unsigned char (*)[32])proof,
                                      n, r1, l1, r2, l2, NULL) == VT_OK;
}

static int total, valid, invalid;

static void walk(const char *dir, int consistency)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, consistency);
            continue;
        }
        json_error_t jerr;
        json_t *v = load_json(path, &jerr);
        if (!v)
            printf("# %s: %s\n", path, jerr.text);
        CHECK(v != NULL);
        if (!v)
            continue;
        int want_err = json_is_true(json_object_get(v, "wantErr"));
        int ok = consistency ? consistency_ok(v) : inclusion_ok(v);
        if (ok == want_err)
            printf("# vector %s: got %s, wanted %s\n", path, ok ? "valid" : "invalid",
                   want_err ? "invalid" : "valid");
        CHECK(ok != want_err);
        total++;
        if (want_err)
            invalid++;
        else
            valid++;
        json_decref(v);
    }
    closedir(d);
}

static void test_inclusion_vectors(void)
{
    char dir[4096];
    total = valid = invalid = 0;
    snprintf(dir, sizeof dir, "%s/reference/vectors/transparency-dev-merkle/testdata/inclusion", shared());
    walk(dir, 0);
    printf("# inclusion vectors: %d (%d valid, %d invalid)\n", total, valid, invalid);
    CHECK(valid > 0 && invalid > 0);
}

static void test_consistency_vectors(void)
{
    char dir[4096];
    total = valid = invalid = 0;
    snprintf(dir, sizeof dir, "%s/reference/vectors/transparency-dev-merkle/testdata/consistency", shared());
    walk(dir, 1);
    printf("# consistency vectors: %d (%d valid, %d invalid)\n", total, valid, invalid);
    CHECK(valid > 0 && invalid > 0);
}

/* A tree held as all its leaf hashes; MTH computed by the RFC's recursion. */
static unsigned char leaves[600][32];

static void mth(uint64_t lo, uint64_t hi, unsigned char out[32])
{
    if (hi - lo == 1) {
        memcpy(out, leaves[lo], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    unsigned char l[32], r[32];
    mth(lo, lo + k, l);
    mth(lo + k, hi, r);
    vt_tlog_node_hash(l, r, out);
}

static vt_status leaves_subtree(void *ctx, unsigned level, uint64_t index, unsigned char out[32],
                                vt_error *err)
{
    (void)ctx;
    (void)err;
    mth(index << level, (index + 1) << level, out);
    return VT_OK;
}

static void test_generated_proofs(void)
{
    for (int i = 0; i < 600; i++) {
        char text[32];
        snprintf(text, sizeof text, "leaf %d", i);
        vt_tlog_leaf_hash(text, strlen(text), leaves[i]);
    }
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][32];
    size_t n;
    int failures = 0;
    for (uint64_t size = 1; size <= 70; size++) {
        unsigned char root[32], root2[32];
        mth(0, size, root);
        CHECK(vt_tlog_tree_hash(leaves_subtree, NULL, size, root2, NULL) == VT_OK);
        CHECK_MEM_EQ(root, root2, 32);
        for (uint64_t i = 0; i < size; i++) {
            if (vt_tlog_prove_inclusion(leaves_subtree, NULL, i, size, proof, &n, NULL) != VT_OK ||
                vt_tlog_verify_inclusion(i, size, leaves[i], 32, (const unsigned char (*)[32])proof,
                                         n, root, 32, NULL) != VT_OK)
                failures++;
            /* the wrong leaf must fail */
            if (vt_tlog_verify_inclusion(i, size, leaves[i + 1], 32,
                                         (const unsigned char (*)[32])proof, n, root, 32,
                                         NULL) == VT_OK)
                failures++;
            unsigned char old_root[32];
            mth(0, i + 1, old_root);
            if (vt_tlog_prove_consistency(leaves_subtree, NULL, i + 1, size, proof, &n, NULL) != VT_OK ||
                vt_tlog_verify_consistency(i + 1, size, (const unsigned char (*)[32])proof, n,
                                           old_root, 32, root, 32, NULL) != VT_OK)
                failures++;
        }
    }
    CHECK_INT_EQ(failures, 0);
}

static void test_empty_root(void)
{
    unsigned char root[32];
    vt_tlog_empty_root(root);
    char text[64];
    vt_tlog_base64_encode(root, 32, text, sizeof text);
    CHECK_STR_EQ(text, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

static void test_base64_strict(void)
{
    unsigned char out[64];
    size_t n;
    CHECK(vt_tlog_base64_decode("aGk=", 4, out, sizeof out, &n) == VT_OK && n == 2);
    CHECK(vt_tlog_base64_decode("aGl=", 4, out, sizeof out, &n) != VT_OK); /* stray bits */
    CHECK(vt_tlog_base64_decode("aGk", 3, out, sizeof out, &n) != VT_OK);
    CHECK(vt_tlog_base64_decode("a Gk", 4, out, sizeof out, &n) != VT_OK);
    CHECK(vt_tlog_base64_decode("", 0, out, sizeof out, &n) == VT_OK && n == 0);
}

int main(void)
{
    RUN(test_inclusion_vectors);
    RUN(test_consistency_vectors);
    RUN(test_generated_proofs);
    RUN(test_empty_root);
    RUN(test_base64_strict);
    return check_done();
}
