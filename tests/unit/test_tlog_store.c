/* test_tlog_store.c: the log on disk. The Tessera test log verifies with its key and fails after
 * any single byte of any of its files is changed; a log we write verifies, its proofs (computed
 * from tiles) match a direct computation over all leaves; a second writer is refused; leftovers
 * of a crashed writer are cleaned up and corrupted tiles are refused. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/tlog.h>

#include "check.h"

static const char tessera_vkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

static char tmpdir[256];

static void copy_tree(const char *from, const char *to)
{
    char cmd[10000];
    CHECK(snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", from, to) < (int)sizeof cmd);
    CHECK(system(cmd) == 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static int verify_dir(const char *dir, const vt_tlog_verifier *key)
{
    vt_tlog_reader *r;
    if (vt_tlog_reader_open(dir, &r, NULL) != VT_OK)
        return 0;
    vt_error err;
    vt_status st = vt_tlog_reader_verify_log(r, key, NULL, &err);
    vt_tlog_reader_close(r);
    return st == VT_OK;
}

/* Every regular file under dir, relative paths. */
static void list_files(const char *root, const char *rel, char names[][128], int *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char child[128], full[4096];
        if (snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
                (int)sizeof child ||
            snprintf(full, sizeof full, "%s/%s", root, child) >= (int)sizeof full)
            continue;
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            list_files(root, child, names, count);
        else if (*count < 256)
            memcpy(names[(*count)++], child, sizeof child);
    }
    closedir(d);
}

static void test_tessera_log_and_every_byte_flip(void)
{
    const char *shared = getenv("VITRINE_SHARED");
    char src[4096], dir[512];
    snprintf(src, sizeof src, "%s/reference/vectors/tessera-testdata-log/log", shared ? shared : "../shared");
    snprintf(dir, sizeof dir, "%s/tessera", tmpdir);
    copy_tree(src, dir);
    vt_tlog_verifier *key;
    CHECK(vt_tlog_verifier_parse(tessera_vkey, strlen(tessera_vkey), &key, NULL) == VT_OK);
    CHECK(verify_dir(dir, key));
    static char names[256][128];
    int count = 0;
    list_files(dir, "", names, &count);
    CHECK(count >= 40);
    int flips = 0, accepted = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path)
            continue;
        unsigned char *data;
        size_t len;
        if (vt_read_file(path, 1 << 20, &data, &len, NULL) != VT_OK) {
            CHECK(0);
            continue;
        }
        /* Every byte of the files the size-15 tree is built from; 24 spread positions (first
         * and last included) of the others, to keep the test fast. */
        int every = strcmp(names[i], "checkpoint") == 0 || strstr(names[i], ".p/15") != NULL;
        size_t step = every || len <= 24 ? 1 : (len + 22) / 23;
        for (size_t at = 0; at < len; at = at + step < len || at == len - 1 ? at + step : len - 1) {
            data[at] ^= 0x01;
            write_bytes(path, data, len);
            if (verify_dir(dir, key)) {
                printf("# accepted after flipping byte %zu of %s\n", at, names[i]);
                accepted++;
            }
            data[at] ^= 0x01;
            flips++;
        }
        write_bytes(path, data, len);
        free(data);
    }
    printf("# %d files, %d single-byte changes, %d accepted\n", count, flips, accepted);
    CHECK_INT_EQ(accepted, 0);
    CHECK(verify_dir(dir, key)); /* restored */
    vt_tlog_verifier_free(key);
}

/* ---- a log we write ---- */

#define MAX_LEAVES 70000
static unsigned char (*leaves)[32];

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

static void entry_text(uint64_t i, char *out, size_t size)
{
    snprintf(out, size, "entry %llu %s", (unsigned long long)i, i % 7 == 0 ? "" : "with some more text");
}

static vt_tlog_signer *make_key(vt_tlog_verifier **vkey)
{
    char *priv, *pub;
    vt_tlog_signer *s = NULL;
    CHECK(vt_tlog_keygen("test.example/log", VT_TLOG_SIG_ED25519, &priv, &pub, NULL) == VT_OK);
    CHECK(vt_tlog_signer_parse(priv, strlen(priv), &s, NULL) == VT_OK);
    CHECK(vt_tlog_verifier_parse(pub, strlen(pub), vkey, NULL) == VT_OK);
    free(priv);
    free(pub);
    return s;
}

static uint64_t append_n(vt_tlog_writer *w, uint64_t n)
{
    vt_tlog_entry *entries = calloc(n, sizeof *entries);
    char (*texts)[64] = calloc(n, 64);
    uint64_t base = vt_tlog_writer_size(w);
    for (uint64_t i = 0; i < n; i++) {
        entry_text(base + i, texts[i], 64);
        entries[i].data = texts[i];
        entries[i].len = strlen(texts[i]);
        vt_tlog_leaf_hash(texts[i], entries[i].len, leaves[base + i]);
    }
    uint64_t first = 0;
    vt_error err;
    vt_status st = vt_tlog_writer_append(w, entries, n, &first, &err);
    if (st != VT_OK)
        printf("# append: %s\n", err.message);
    CHECK(st == VT_OK);
    CHECK_INT_EQ(first, base);
    free(entries);
    free(texts);
    return base + n;
}

static void test_write_prove_verify(void)
{
    leaves = calloc(MAX_LEAVES, 32);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/mine", tmpdir);
    vt_tlog_verifier *vkey;
    vt_tlog_signer *key = make_key(&vkey);
    vt_error err;
    CHECK(vt_tlog_create(dir, "test.example/log", key, &err) == VT_OK);
    CHECK(vt_tlog_create(dir, "test.example/log", key, &err) == VT_ERR_STATE); /* not empty */
    CHECK(verify_dir(dir, vkey));
    vt_tlog_writer *w, *w2;
    CHECK(vt_tlog_writer_open(dir, key, &w, &err) == VT_OK);
    CHECK(vt_tlog_writer_open(dir, key, &w2, &err) == VT_ERR_STATE); /* second writer */
    static const uint64_t batches[] = {1, 2, 253, 1, 300, 5000, 60000, 1, 4000};
    uint64_t sizes[16];
    unsigned char roots[16][32];
    int nsizes = 0;
    uint64_t size = 0;
    vt_tlog_reader *r;
    CHECK(vt_tlog_reader_open(dir, &r, NULL) == VT_OK);
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        size = append_n(w, batches[b]);
        vt_tlog_checkpoint cp;
        CHECK(vt_tlog_reader_checkpoint(r, vkey, &cp, NULL, &err) == VT_OK);
        CHECK_INT_EQ(cp.size, size);
        mth(0, size, roots[nsizes]);
        CHECK_MEM_EQ(cp.root, roots[nsizes], 32);
        sizes[nsizes++] = size;
        vt_tlog_checkpoint_clear(&cp);
        if (b == 4) { /* reopen in the middle: the edge comes back from the tiles */
            vt_tlog_writer_close(w);
            CHECK(vt_tlog_writer_open(dir, key, &w, &err) == VT_OK);
        }
    }
    CHECK(verify_dir(dir, vkey));
    /* Partials of completed tiles are gone (proofs at old sizes below fall back to full tiles);
     * the partials of the current tree are there. */
    char path[1024];
    snprintf(path, sizeof path, "%s/tile/entries/000.p", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/tile/0/000.p", dir);
    CHECK(access(path, F_OK) != 0);
    char rel[128];
    vt_tlog_tile_path(0, size / 256, (unsigned)(size % 256), rel, sizeof rel);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    CHECK(access(path, F_OK) == 0);
    /* Proofs from tiles. */
    unsigned char proof[VT_TLOG_MAX_PROOF_HASHES][32];
    size_t n;
    int bad = 0;
    for (int s = 0; s < nsizes; s++) {
        unsigned char root[32];
        if (vt_tlog_reader_tree_hash(r, sizes[s], root, &err) != VT_OK || memcmp(root, roots[s], 32))
            bad++;
        for (uint64_t k = 0; k < 40; k++) {
            uint64_t i = (k * 7919 + 13) % sizes[s];
            if (k == 0)
                i = sizes[s] - 1;
            if (vt_tlog_reader_prove_inclusion(r, sizes[s], i, proof, &n, &err) != VT_OK ||
                vt_tlog_verify_inclusion(i, sizes[s], leaves[i], 32, (const unsigned char (*)[32])proof,
                                         n, roots[s], 32, &err) != VT_OK) {
                printf("# inclusion %llu in %llu: %s\n", (unsigned long long)i,
                       (unsigned long long)sizes[s], err.message);
                bad++;
            }
        }
        for (int t = 0; t < s; t++) {
            if (vt_tlog_reader_prove_consistency(r, sizes[t], sizes[s], proof, &n, &err) != VT_OK ||
                vt_tlog_verify_consistency(sizes[t], sizes[s], (const unsigned char (*)[32])proof, n,
                                           roots[t], 32, roots[s], 32, &err) != VT_OK) {
                printf("# consistency %llu -> %llu: %s\n", (unsigned long long)sizes[t],
                       (unsigned long long)sizes[s], err.message);
                bad++;
            }
        }
    }
    CHECK_INT_EQ(bad, 0);
    /* Entries come back. */
    vt_buf e = {0};
    for (uint64_t i = 0; i < size; i += 997) {
        char want[64];
        entry_text(i, want, sizeof want);
        CHECK(vt_tlog_reader_entry(r, size, i, &e, &err) == VT_OK);
        CHECK(e.len == strlen(want) && memcmp(e.data, want, e.len) == 0);
    }
    vt_buf_free(&e);
    /* Oversized entries are refused and change nothing. */
    unsigned char *big = calloc(1, VT_TLOG_MAX_ENTRY + 1);
    vt_tlog_entry too_big = {big, VT_TLOG_MAX_ENTRY + 1};
    uint64_t first;
    CHECK(vt_tlog_writer_append(w, &too_big, 1, &first, &err) == VT_ERR_LIMIT);
    free(big);
    CHECK_INT_EQ(vt_tlog_writer_size(w), size);
    /* Cosignatures collected from a witness are published with the current checkpoint. */
    char *wpriv, *wpub;
    vt_tlog_signer *witness;
    vt_tlog_verifier *wkey;
    CHECK(vt_tlog_keygen("witness.example/w", VT_TLOG_SIG_COSIGNATURE_V1, &wpriv, &wpub, NULL) == VT_OK);
    CHECK(vt_tlog_signer_parse(wpriv, strlen(wpriv), &witness, NULL) == VT_OK);
    CHECK(vt_tlog_verifier_parse(wpub, strlen(wpub), &wkey, NULL) == VT_OK);
    vt_buf cur = {0}, cosigned = {0};
    CHECK(vt_tlog_writer_checkpoint(w, &cur, &err) == VT_OK);
    CHECK(vt_tlog_cosign(witness, cur.data, cur.len, 1700000001, &cosigned, &err) == VT_OK);
    CHECK(vt_tlog_writer_publish_cosigned(w, cosigned.data, cosigned.len, &err) == VT_OK);
    vt_buf raw = {0};
    vt_tlog_checkpoint cp;
    CHECK(vt_tlog_reader_checkpoint(r, vkey, &cp, &raw, &err) == VT_OK);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_note *note;
    uint64_t ts = 0;
    CHECK(vt_tlog_note_parse(raw.data, raw.len, &note, NULL) == VT_OK);
    CHECK(vt_tlog_note_verify(note, wkey, &ts, NULL) == VT_OK);
    CHECK_INT_EQ(ts, 1700000001);
    vt_tlog_note_free(note);
    CHECK(verify_dir(dir, vkey));
    /* A cosigned older checkpoint is refused once the log has moved on. */
    append_n(w, 1);
    CHECK(vt_tlog_writer_publish_cosigned(w, cosigned.data, cosigned.len, &err) == VT_ERR_STATE);
    vt_buf_free(&cur);
    vt_buf_free(&cosigned);
    vt_buf_free(&raw);
    vt_tlog_signer_free(witness);
    vt_tlog_verifier_free(wkey);
    free(wpriv);
    free(wpub);
    vt_tlog_reader_close(r);
    vt_tlog_writer_close(w);
    vt_tlog_signer_free(key);
    vt_tlog_verifier_free(vkey);
    free(leaves);
}

static void test_crash_leftovers(void)
{
    leaves = calloc(MAX_LEAVES, 32);
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/crashed", tmpdir);
    vt_tlog_verifier *vkey;
    vt_tlog_signer *key = make_key(&vkey);
    vt_error err;
    CHECK(vt_tlog_create(dir, "test.example/log", key, &err) == VT_OK);
    vt_tlog_writer *w;
    CHECK(vt_tlog_writer_open(dir, key, &w, &err) == VT_OK);
    append_n(w, 10);
    vt_tlog_writer_close(w);
    /* What a writer killed in the middle of a batch may leave: unpublished partials of larger
     * width, a full tile and bundle beyond, a temporary checkpoint. */
    snprintf(path, sizeof path, "%s/tile/0/000.p/12", dir);
    write_bytes(path, "garbage", 7);
    snprintf(path, sizeof path, "%s/tile/entries/000.p/11", dir);
    write_bytes(path, "\x00\x01x", 3);
    snprintf(path, sizeof path, "%s/tile/0/000", dir);
    write_bytes(path, "garbage", 7);
    snprintf(path, sizeof path, "%s/checkpoint.tmp.abcdef", dir);
    write_bytes(path, "junk", 4);
    CHECK(verify_dir(dir, vkey)); /* files beyond the checkpoint are not part of the log */
    CHECK(vt_tlog_writer_open(dir, key, &w, &err) == VT_OK);
    snprintf(path, sizeof path, "%s/tile/0/000.p/12", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/tile/0/000", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/checkpoint.tmp.abcdef", dir);
    CHECK(access(path, F_OK) != 0);
    append_n(w, 5); /* size 15 passes width 12 and 11 */
    vt_tlog_writer_close(w);
    CHECK(verify_dir(dir, vkey));
    /* A corrupted tile under the checkpoint: the writer refuses to continue, verify fails. */
    snprintf(path, sizeof path, "%s/tile/0/000.p/15", dir);
    unsigned char *data;
    size_t len;
    CHECK(vt_read_file(path, 1 << 20, &data, &len, NULL) == VT_OK);
    data[3] ^= 0x40;
    write_bytes(path, data, len);
    free(data);
    CHECK(vt_tlog_writer_open(dir, key, &w, &err) == VT_ERR_FORMAT);
    CHECK(!verify_dir(dir, vkey));
    /* A wrong key is refused. */
    vt_tlog_verifier *other;
    vt_tlog_signer *other_key = make_key(&other);
    snprintf(path, sizeof path, "%s/tile/0/000.p/15", dir);
    CHECK(vt_tlog_writer_open(dir, other_key, &w, &err) == VT_ERR_VERIFY);
    vt_tlog_signer_free(other_key);
    vt_tlog_verifier_free(other);
    vt_tlog_signer_free(key);
    vt_tlog_verifier_free(vkey);
    free(leaves);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vitrine-test-tlog.XXXXXX");
    if (!mkdtemp(tmpdir))
        return 2;
    RUN(test_tessera_log_and_every_byte_flip);
    RUN(test_write_prove_verify);
    RUN(test_crash_leftovers);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 2;
    return check_done();
}
