/* test_tlog_note.c: keys in Go's note format, signed notes, checkpoints and cosignatures, checked
 * against the C2SP spec's example, the Tessera test log's checkpoint and the cosignature vector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/tlog.h>

#include "check.h"

static char *read_shared(const char *rel, size_t *len)
{
    const char *shared = getenv("VITRINE_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/reference/vectors/%s", shared ? shared : "../shared", rel);
    unsigned char *data = NULL;
    if (vt_read_file(path, 1 << 20, &data, len, NULL) != VT_OK)
        printf("# cannot read %s\n", path);
    return (char *)data;
}

static const char tessera_vkey[] =
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";

static void test_spec_example(void)
{
    static const char vkey[] = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    static const char note_text[] =
        "This is an example message.\n\n"
        "\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    vt_tlog_verifier *v;
    CHECK(vt_tlog_verifier_parse(vkey, strlen(vkey), &v, NULL) == VT_OK);
    vt_tlog_note *note;
    CHECK(vt_tlog_note_parse(note_text, strlen(note_text), &note, NULL) == VT_OK);
    CHECK(vt_tlog_note_verify(note, v, NULL, NULL) == VT_OK);
    CHECK_STR_EQ(note->text, "This is an example message.\n");
    vt_tlog_note_free(note);
    /* One changed byte of the text breaks it. */
    char copy[sizeof note_text];
    memcpy(copy, note_text, sizeof note_text);
    copy[0] = 't';
    CHECK(vt_tlog_note_parse(copy, strlen(copy), &note, NULL) == VT_OK);
    CHECK(vt_tlog_note_verify(note, v, NULL, NULL) == VT_ERR_VERIFY);
    vt_tlog_note_free(note);
    vt_tlog_verifier_free(v);
}

static void test_keys_roundtrip(void)
{
    char *priv, *pub;
    CHECK(vt_tlog_keygen("example.com/log", VT_TLOG_SIG_ED25519, &priv, &pub, NULL) == VT_OK);
    CHECK(strncmp(priv, "PRIVATE+KEY+example.com/log+", 28) == 0);
    vt_tlog_signer *s;
    vt_tlog_verifier *v;
    CHECK(vt_tlog_signer_parse(priv, strlen(priv), &s, NULL) == VT_OK);
    CHECK(vt_tlog_verifier_parse(pub, strlen(pub), &v, NULL) == VT_OK);
    char *pub2;
    CHECK(vt_tlog_signer_vkey(s, &pub2, NULL) == VT_OK);
    CHECK_STR_EQ(pub, pub2);
    vt_buf signed_note = {0};
    CHECK(vt_tlog_note_sign(s, "hello\n", 6, &signed_note, NULL) == VT_OK);
    vt_tlog_note *note;
    CHECK(vt_tlog_note_parse(signed_note.data, signed_note.len, &note, NULL) == VT_OK);
    CHECK(vt_tlog_note_verify(note, v, NULL, NULL) == VT_OK);
    vt_tlog_note_free(note);
    /* A key with a wrong ID is refused. */
    char *bad = strdup(pub);
    char *plus = strchr(bad, '+');
    plus[1] = plus[1] == '0' ? '1' : '0';
    vt_tlog_verifier *v2;
    CHECK(vt_tlog_verifier_parse(bad, strlen(bad), &v2, NULL) != VT_OK);
    free(bad);
    /* Malformed keys. */
    CHECK(vt_tlog_verifier_parse("a+b", 3, &v2, NULL) != VT_OK);
    vt_tlog_signer *s2 = NULL;
    CHECK(vt_tlog_signer_parse(pub, strlen(pub), &s2, NULL) != VT_OK);
    vt_tlog_signer_free(s2);
    char *priv3 = NULL, *pub3 = NULL;
    CHECK(vt_tlog_keygen("bad name", VT_TLOG_SIG_ED25519, &priv3, &pub3, NULL) != VT_OK);
    free(priv3);
    free(pub3);
    vt_buf_free(&signed_note);
    vt_tlog_verifier_free(v);
    vt_tlog_signer_free(s);
    free(pub);
    free(pub2);
    free(priv);
}

static void test_note_limits(void)
{
    vt_tlog_note *note;
    static const char *bad[] = {
        "",
        "text\n",                                   /* no signatures */
        "text\n\n",                                 /* no signature lines */
        "text\n\n\xe2\x80\x94 k AAAA\n",            /* signature too short */
        "text\n\n- k AAAAAAAA\n",                   /* not an em dash */
        "te\x01xt\n\n\xe2\x80\x94 k AAAAAAAA\n",    /* control character */
        "te\xffxt\n\n\xe2\x80\x94 k AAAAAAAA\n",    /* invalid UTF-8 */
        "text\n\n\xe2\x80\x94 k AAAAAAAA",          /* no final newline */
        "text\n\n\xe2\x80\x94 k+x AAAAAAAA\n",      /* '+' in key name */
        "text\n\n\xe2\x80\x94 k AAAAAAB=\n",        /* not canonical */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_status st = vt_tlog_note_parse(bad[i], strlen(bad[i]), &note, NULL);
        if (st == VT_OK) {
            printf("# accepted bad note %zu\n", i);
            vt_tlog_note_free(note);
        }
        CHECK(st != VT_OK);
    }
    /* Too many signatures. */
    vt_buf many = {0};
    vt_buf_append_str(&many, "text\n\n");
    for (unsigned i = 0; i < VT_TLOG_MAX_SIGNATURES + 1; i++)
        vt_buf_append_str(&many, "\xe2\x80\x94 k AAAAAAAA\n");
    CHECK(vt_tlog_note_parse(many.data, many.len, &note, NULL) == VT_ERR_LIMIT);
    vt_buf_free(&many);
    /* Exactly 16 signatures are accepted, as the spec demands. */
    vt_buf_append_str(&many, "text\n\n");
    for (unsigned i = 0; i < 16; i++)
        vt_buf_append_str(&many, "\xe2\x80\x94 k AAAAAAAA\n");
    CHECK(vt_tlog_note_parse(many.data, many.len, &note, NULL) == VT_OK);
    vt_tlog_note_free(note);
    vt_buf_free(&many);
}

static void test_tessera_checkpoint(void)
{
    size_t len;
    char *data = read_shared("tessera-testdata-log/log/checkpoint", &len);
    CHECK(data != NULL);
    if (!data)
        return;
    vt_tlog_verifier *v;
    CHECK(vt_tlog_verifier_parse(tessera_vkey, strlen(tessera_vkey), &v, NULL) == VT_OK);
    vt_tlog_checkpoint cp;
    CHECK(vt_tlog_checkpoint_open(data, len, v, &cp, NULL, NULL) == VT_OK);
    CHECK_STR_EQ(cp.origin, "example.com/log/testdata");
    CHECK_INT_EQ(cp.size, 15);
    vt_buf again = {0};
    CHECK(vt_tlog_checkpoint_format(&cp, &again, NULL) == VT_OK);
    CHECK(again.len < len && memcmp(again.data, data, again.len) == 0);
    vt_buf_free(&again);
    vt_tlog_checkpoint_clear(&cp);
    vt_tlog_verifier_free(v);
    free(data);
}

static void test_checkpoint_syntax(void)
{
    vt_tlog_checkpoint cp;
    static const char root[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    char text[256];
    snprintf(text, sizeof text, "o\n12\n%s\next\n", root);
    CHECK(vt_tlog_checkpoint_parse(text, strlen(text), &cp, NULL) == VT_OK);
    CHECK_STR_EQ(cp.extensions, "ext\n");
    vt_tlog_checkpoint_clear(&cp);
    static const char *bad_sizes[] = {"012", "-1", "", "1 ", "99999999999999999999"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(text, sizeof text, "o\n%s\n%s\n", bad_sizes[i], root);
        CHECK(vt_tlog_checkpoint_parse(text, strlen(text), &cp, NULL) == VT_ERR_SYNTAX);
    }
    snprintf(text, sizeof text, "o\n1\n%s\n\n", root);
    CHECK(vt_tlog_checkpoint_parse(text, strlen(text), &cp, NULL) == VT_ERR_SYNTAX);
    CHECK(vt_tlog_checkpoint_parse("o\n1\nAAAA\n", 9, &cp, NULL) == VT_ERR_SYNTAX);
    CHECK(vt_tlog_checkpoint_parse("o\n1\n", 4, &cp, NULL) == VT_ERR_SYNTAX);
}

static int hex_seed(const char *hex, unsigned char seed[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
            return 0;
        seed[i] = (unsigned char)byte;
    }
    return 1;
}

static void test_cosignature_vector(void)
{
    size_t cosigned_len, vkey_len, seed_len, plain_len;
    char *cosigned = read_shared("cosignature/checkpoint.15.cosigned", &cosigned_len);
    char *wvkey = read_shared("cosignature/witness.vkey", &vkey_len);
    char *seed_hex = read_shared("cosignature/witness.seed.hex", &seed_len);
    char *plain = read_shared("tessera-testdata-log/log/checkpoint", &plain_len);
    CHECK(cosigned && wvkey && seed_hex && plain);
    if (!cosigned || !wvkey || !seed_hex || !plain)
        return;
    vt_tlog_verifier *witness, *log;
    CHECK(vt_tlog_verifier_parse(wvkey, vkey_len, &witness, NULL) == VT_OK);
    CHECK(vt_tlog_verifier_parse(tessera_vkey, strlen(tessera_vkey), &log, NULL) == VT_OK);
    CHECK_INT_EQ(vt_tlog_verifier_type(witness), VT_TLOG_SIG_COSIGNATURE_V1);
    vt_tlog_note *note;
    CHECK(vt_tlog_note_parse(cosigned, cosigned_len, &note, NULL) == VT_OK);
    uint64_t ts = 0;
    CHECK(vt_tlog_note_verify(note, witness, &ts, NULL) == VT_OK);
    CHECK_INT_EQ(ts, 1700000000);
    CHECK(vt_tlog_note_verify(note, log, NULL, NULL) == VT_OK);
    vt_tlog_note_free(note);
    /* Cosigning the plain checkpoint with the witness seed gives the same bytes (Ed25519 is
     * deterministic). */
    unsigned char seed[32];
    CHECK(hex_seed(seed_hex, seed));
    vt_tlog_signer *w;
    CHECK(vt_tlog_signer_from_seed("witness.example/w1", VT_TLOG_SIG_COSIGNATURE_V1, seed, &w,
                                   NULL) == VT_OK);
    vt_buf out = {0};
    CHECK(vt_tlog_cosign(w, plain, plain_len, 1700000000, &out, NULL) == VT_OK);
    CHECK_INT_EQ(out.len, cosigned_len);
    CHECK(out.len == cosigned_len && memcmp(out.data, cosigned, cosigned_len) == 0);
    /* A log key cannot cosign. */
    vt_buf_free(&out);
    vt_tlog_signer_free(w);
    vt_tlog_verifier_free(witness);
    vt_tlog_verifier_free(log);
    free(cosigned);
    free(wvkey);
    free(seed_hex);
    free(plain);
}

int main(void)
{
    RUN(test_spec_example);
    RUN(test_keys_roundtrip);
    RUN(test_note_limits);
    RUN(test_tessera_checkpoint);
    RUN(test_checkpoint_syntax);
    RUN(test_cosignature_vector);
    return check_done();
}
