/* test_rules.c: the rule compiler and the ruleset format: records of a compiled ruleset, node
 * order, diagnostics with line and column, save/load round trip, and refusal of truncated,
 * corrupted and foreign images (every length, every byte) without a crash. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/cond.h>
#include <vitrine/modules.h>
#include <vitrine/rules.h>

#include "check.h"

static const char sample[] =
    "import \"pe\"\n"
    "global rule g { condition: filesize > 0 }\n"
    "private rule p : t1 t2 {\n"
    "  meta: author = \"me\" version = 3 neg = -1 ok = true\n"
    "  strings:\n"
    "    $a = \"abc\" xor(1-3) wide\n"
    "    $b = { 4D 5A ?? [2-4] ( 00 | FF ) }\n"
    "    $c = /ab+c/is nocase\n"
    "    $d = \"xyz\" base64(\"!@#$%^&*(){}[].,|ABCDEFGHIJ\\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu\")\n"
    "  condition:\n"
    "    $a at 0 and #b in (0..10) > 1 and any of ($c, $d) and pe.number_of_sections > 2 and\n"
    "    for any s in pe.sections : (s.name == \".text\") and g\n"
    "}\n";

static vt_ruleset *compile_text(const char *text, vt_error *err)
{
    vt_compiler *c;
    vt_ruleset *rs = NULL;
    if (vt_compiler_new(&c, err) != VT_OK)
        return NULL;
    if (vt_compiler_add_source(c, NULL, "test.yar", text, strlen(text), err) == VT_OK)
        vt_compiler_finish(c, &rs, err);
    vt_compiler_free(c);
    return rs;
}

static void test_records(void)
{
    vt_error err;
    vt_ruleset *rs = compile_text(sample, &err);
    CHECK(rs != NULL);
    if (!rs) {
        printf("# %s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
        return;
    }
    vt_ruleset_view v;
    vt_ruleset_get_view(rs, &v);
    CHECK_INT_EQ(v.rule_count, 2);
    CHECK_INT_EQ(v.namespace_count, 1);
    CHECK_STR_EQ(vt_ruleset_str(rs, v.namespaces[0]), "default");
    CHECK_STR_EQ(vt_ruleset_str(rs, v.rules[0].name), "g");
    CHECK_INT_EQ(v.rules[0].flags, VT_RULE_GLOBAL);
    const vt_rs_rule *r = &v.rules[1];
    CHECK_STR_EQ(vt_ruleset_str(rs, r->name), "p");
    CHECK_INT_EQ(r->flags, VT_RULE_PRIVATE);
    CHECK_INT_EQ(r->tag_count, 2);
    CHECK_STR_EQ(vt_ruleset_str(rs, v.tags[r->tag_first + 1]), "t2");
    CHECK_INT_EQ(r->meta_count, 4);
    CHECK_INT_EQ(v.meta[r->meta_first + 1].type, VT_META_INTEGER);
    CHECK_INT_EQ(v.meta[r->meta_first + 1].integer, 3);
    CHECK_INT_EQ(v.meta[r->meta_first + 2].integer, -1);
    CHECK_INT_EQ(v.meta[r->meta_first + 3].type, VT_META_BOOLEAN);
    CHECK_INT_EQ(r->string_count, 4);
    const vt_rs_string *a = &v.strings[r->string_first];
    CHECK_STR_EQ(vt_ruleset_str(rs, a->identifier), "$a");
    CHECK_INT_EQ(a->kind, VT_STRING_TEXT);
    CHECK((a->flags & (VT_MOD_XOR | VT_MOD_WIDE)) == (VT_MOD_XOR | VT_MOD_WIDE));
    CHECK_INT_EQ(a->xor_min, 1);
    CHECK_INT_EQ(a->xor_max, 3);
    CHECK_INT_EQ(v.strings[r->string_first + 1].kind, VT_STRING_HEX);
    const vt_rs_string *c = &v.strings[r->string_first + 2];
    CHECK_INT_EQ(c->kind, VT_STRING_REGEX);
    CHECK_STR_EQ(vt_ruleset_str(rs, c->text), "ab+c");
    CHECK((c->flags & (VT_RS_REGEX_NOCASE | VT_RS_REGEX_DOTALL | VT_MOD_NOCASE)) ==
          (VT_RS_REGEX_NOCASE | VT_RS_REGEX_DOTALL | VT_MOD_NOCASE));
    CHECK_INT_EQ(v.strings[r->string_first + 3].base64_alphabet.len, 64);
    CHECK_INT_EQ(v.import_count, 1);
    CHECK_STR_EQ(vt_ruleset_str(rs, v.imports[0].module), "pe");
    /* post-order: children before parents, inside the rule; root is boolean */
    for (size_t i = 0; i < v.rule_count; i++) {
        const vt_rs_rule *rr = &v.rules[i];
        const vt_rs_node *root = &v.nodes[rr->node_first + rr->node_count - 1];
        CHECK_INT_EQ(root->type, VT_TYPE_BOOL);
        for (uint32_t k = rr->node_first; k < rr->node_first + rr->node_count; k++) {
            const vt_rs_node *n = &v.nodes[k];
            CHECK(n->a == VT_NONE || (n->a >= rr->node_first && n->a < k));
        }
    }
    int saw_for_in = 0, saw_call_or_field = 0;
    for (size_t i = 0; i < v.node_count; i++) {
        saw_for_in |= v.nodes[i].op == VT_OP_FOR_IN;
        saw_call_or_field |= v.nodes[i].op == VT_OP_FIELD;
    }
    CHECK(saw_for_in && saw_call_or_field);
    CHECK_STR_EQ(vt_op_name(VT_OP_ADD), "add");
    vt_ruleset_free(rs);
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *fragment)
{
    vt_error err;
    vt_error_clear(&err);
    vt_ruleset *rs = compile_text(text, &err);
    CHECK(rs == NULL);
    vt_ruleset_free(rs);
    CHECK_INT_EQ(err.status, VT_ERR_SYNTAX);
    CHECK_INT_EQ(err.line, line);
    CHECK_INT_EQ(err.column, col);
    CHECK_STR_EQ(err.file, "test.yar");
    if (!strstr(err.message, fragment))
        printf("# message \"%s\" lacks \"%s\"\n", err.message, fragment);
    CHECK(strstr(err.message, fragment) != NULL);
}

static void test_errors(void)
{
    expect_error("rule a { condition: foo }", 1, 21, "undefined identifier \"foo\"");
    expect_error("rule a {\n strings: $a = \"x\"\n $b = \"y\"\n condition: $a }", 3, 2,
                 "unreferenced string \"$b\"");
    expect_error("rule a { condition: 1 ==\n\n   \"a\" }", 1, 23, "type mismatch");
    expect_error("rule a { strings: $a = { 01 [9-2] 02 } condition: $a }", 1, 33,
                 "invalid hex string \"$a\"");
    expect_error("import \"nope\"", 1, 8, "unknown module \"nope\"");
}

static void test_compiler_spent(void)
{
    vt_error err;
    vt_compiler *c;
    CHECK(vt_compiler_new(&c, &err) == VT_OK);
    CHECK(vt_compiler_add_source(c, NULL, "x", "rule a {", 8, &err) == VT_ERR_SYNTAX);
    CHECK(vt_compiler_add_source(c, NULL, "y", "rule b { condition: true }", 26, &err) != VT_OK);
    vt_ruleset *rs = NULL;
    CHECK(vt_compiler_finish(c, &rs, &err) != VT_OK);
    CHECK(rs == NULL);
    vt_compiler_free(c);
}

static void test_warnings(void)
{
    vt_error err;
    vt_compiler *c;
    CHECK(vt_compiler_new(&c, &err) == VT_OK);
    const char *text = "rule a { condition: entrypoint >= 0 and \"lit\" }";
    CHECK(vt_compiler_add_source(c, NULL, "w.yar", text, strlen(text), &err) == VT_OK);
    CHECK_INT_EQ(vt_compiler_warning_count(c), 2);
    CHECK(strstr(vt_compiler_warning(c, 0)->message, "deprecated \"entrypoint\"") != NULL);
    CHECK_INT_EQ(vt_compiler_warning(c, 0)->column, 21);
    CHECK(strstr(vt_compiler_warning(c, 1)->message, "using literal string \"lit\"") != NULL);
    vt_compiler_free(c);
    /* yara's ".*" warning: not inside an alternative or a repeated group */
    static const struct {
        const char *regex;
        int warns;
    } dots[] = {{"a.*b", 1}, {"a.{2,}b", 1}, {"a(.*)b", 1}, {"a.*?b", 1}, {"a.{2,5}b", 0},
                {"a\\.*b", 0}, {"a[.]*b", 0}, {"a(b|.*)c", 0}, {"(.*)+", 0}, {"a|.*b", 0}};
    for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++) {
        char src[128];
        snprintf(src, sizeof src, "rule a { strings: $a = /%s/ condition: $a }", dots[i].regex);
        CHECK(vt_compiler_new(&c, &err) == VT_OK);
        CHECK(vt_compiler_add_source(c, NULL, "d.yar", src, strlen(src), &err) == VT_OK);
        int found = 0;
        for (size_t k = 0; k < vt_compiler_warning_count(c); k++)
            found |= strstr(vt_compiler_warning(c, k)->message, "contains .*, .+ or .{x,}") != NULL;
        if (found != dots[i].warns)
            printf("# /%s/: warning %d, expected %d\n", dots[i].regex, found, dots[i].warns);
        CHECK(found == dots[i].warns);
        vt_compiler_free(c);
    }
}

static void resign(unsigned char *img, size_t len)
{
    vt_rs_header h;
    memcpy(&h, img, sizeof h);
    memset(h.sha256, 0, 32);
    memcpy(img, &h, sizeof h);
    unsigned n;
    EVP_Digest(img, len, h.sha256, &n, EVP_sha256(), NULL);
    memcpy(img, &h, sizeof h);
}

static void test_save_load_corrupt(void)
{
    vt_error err;
    vt_ruleset *rs = compile_text(sample, &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    char path[] = "/tmp/vitrine-test-rules-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(vt_ruleset_save(rs, path, &err) == VT_OK);
    vt_ruleset *loaded = NULL;
    CHECK(vt_ruleset_load(path, &loaded, &err) == VT_OK);
    size_t len, len2;
    const unsigned char *img = vt_ruleset_image(rs, &len);
    const unsigned char *img2 = loaded ? vt_ruleset_image(loaded, &len2) : NULL;
    CHECK(img2 && len == len2 && memcmp(img, img2, len) == 0);
    vt_ruleset_free(loaded);
    unlink(path);

    unsigned char *copy = malloc(len);
    memcpy(copy, img, len);
    /* every truncation */
    size_t refused = 0;
    for (size_t n = 0; n < len; n++) {
        vt_ruleset *bad = NULL;
        if (vt_ruleset_from_bytes(copy, n, &bad, &err) == VT_ERR_FORMAT)
            refused++;
        vt_ruleset_free(bad);
    }
    CHECK_INT_EQ(refused, len);
    /* every byte flipped: the checksum catches it */
    refused = 0;
    for (size_t i = 0; i < len; i++) {
        copy[i] ^= 0x5a;
        vt_ruleset *bad = NULL;
        if (vt_ruleset_from_bytes(copy, len, &bad, &err) == VT_ERR_FORMAT)
            refused++;
        vt_ruleset_free(bad);
        copy[i] ^= 0x5a;
    }
    CHECK_INT_EQ(refused, len);
    /* every byte changed and the checksum recomputed: validation must hold without a crash;
       whatever is accepted is still a consistent ruleset */
    static const unsigned char values[] = {0x00, 0xff, 0x01, 0x80, 0x7f};
    for (size_t i = sizeof(vt_rs_header); i < len; i++) {
        for (size_t k = 0; k < sizeof values; k++) {
            unsigned char saved = copy[i];
            copy[i] = values[k];
            resign(copy, len);
            vt_ruleset *maybe = NULL;
            vt_status st = vt_ruleset_from_bytes(copy, len, &maybe, &err);
            CHECK(st == VT_OK || st == VT_ERR_FORMAT);
            if (maybe) {
                vt_ruleset_view v;
                vt_ruleset_get_view(maybe, &v);
                for (size_t r = 0; r < v.rule_count; r++)
                    (void)vt_ruleset_str(maybe, v.rules[r].name)[v.rules[r].name.len];
            }
            vt_ruleset_free(maybe);
            copy[i] = saved;
        }
    }
    resign(copy, len);
    CHECK(memcmp(copy, img, len) == 0);
    /* foreign files */
    vt_ruleset *bad = NULL;
    unsigned char foreign[80];
    memset(foreign, '.', sizeof foreign);
    memcpy(foreign, "PK\x03\x04 not a ruleset", sizeof "PK\x03\x04 not a ruleset" - 1);
    CHECK(vt_ruleset_from_bytes(foreign, sizeof foreign, &bad, &err) == VT_ERR_FORMAT);
    CHECK(strstr(err.message, "bad magic") != NULL);
    memcpy(copy + 8, "\x02\x00\x00\x00", 4);
    CHECK(vt_ruleset_from_bytes(copy, len, &bad, &err) == VT_ERR_FORMAT);
    CHECK(strstr(err.message, "version") != NULL);
    free(copy);
    vt_ruleset_free(rs);
}

static void test_extra_section(void)
{
    vt_error err;
    vt_ruleset *rs = compile_text("rule a { condition: true }", &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    vt_ruleset *more = NULL;
    uint32_t id = VT_SECTION_ID('T', 'E', 'S', 'T');
    CHECK(vt_ruleset_with_section(rs, id, "payload", 7, &more, &err) == VT_OK);
    size_t size = 0;
    const char *data = more ? vt_ruleset_section(more, id, &size) : NULL;
    CHECK(data && size == 7 && memcmp(data, "payload", 7) == 0);
    vt_ruleset_view v;
    if (more) {
        vt_ruleset_get_view(more, &v);
        CHECK_INT_EQ(v.rule_count, 1);
    }
    CHECK(vt_ruleset_section(rs, id, &size) == NULL);
    vt_ruleset_free(more);
    vt_ruleset_free(rs);
}

/* vt_ruleset_add_section gives the bytes vt_ruleset_with_section gives, growing the image in
 * place (a new section) or through a copy (a section replaced). */
static void test_add_section_in_place(void)
{
    vt_error err;
    vt_ruleset *rs = compile_text("rule a { strings: $a = \"x\" condition: $a }", &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    uint32_t id = VT_SECTION_ID('T', 'E', 'S', 'T');
    const char *payloads[] = {"payload", "longer payload, 29 bytes long", ""};
    for (size_t i = 0; i < 3; i++) {
        size_t plen = strlen(payloads[i]);
        vt_ruleset *copy = NULL;
        CHECK(vt_ruleset_with_section(rs, id, payloads[i], plen, &copy, &err) == VT_OK);
        CHECK(vt_ruleset_add_section(rs, id, payloads[i], plen, &err) == VT_OK);
        size_t a_len = 0, b_len = 0, size = 1;
        const void *a = vt_ruleset_image(rs, &a_len);
        const void *b = copy ? vt_ruleset_image(copy, &b_len) : NULL;
        CHECK(b && a_len == b_len && memcmp(a, b, a_len) == 0);
        const char *data = vt_ruleset_section(rs, id, &size);
        CHECK(data && size == plen && memcmp(data, payloads[i], plen) == 0);
        vt_ruleset_view v;
        vt_ruleset_get_view(rs, &v);
        CHECK_INT_EQ(v.rule_count, 1);
        CHECK_INT_EQ(v.string_count, 1);
        vt_ruleset *loaded = NULL;
        CHECK(vt_ruleset_from_bytes(a, a_len, &loaded, &err) == VT_OK);
        vt_ruleset_free(loaded);
        vt_ruleset_free(copy);
    }
    vt_ruleset_free(rs);
}

/* vt_compiler_finish_unsealed: no checksum until a section is added, then the bytes of
 * vt_compiler_finish + vt_ruleset_with_section. */
static void test_unsealed_until_a_section(void)
{
    static const char src[] = "rule a { strings: $a = { 4D 5A } condition: $a }";
    vt_error err;
    vt_compiler *c = NULL;
    vt_ruleset *unsealed = NULL;
    CHECK(vt_compiler_new(&c, &err) == VT_OK);
    CHECK(c && vt_compiler_add_source(c, NULL, "t.yar", src, strlen(src), &err) == VT_OK);
    CHECK(c && vt_compiler_finish_unsealed(c, &unsealed, &err) == VT_OK);
    vt_compiler_free(c);
    vt_ruleset *sealed = compile_text(src, &err);
    CHECK(unsealed && sealed);
    if (!unsealed || !sealed) {
        vt_ruleset_free(unsealed);
        vt_ruleset_free(sealed);
        return;
    }
    size_t len = 1;
    CHECK(vt_ruleset_image(unsealed, &len) == NULL && len == 0);
    CHECK_INT_EQ(vt_ruleset_save(unsealed, "/nonexistent/never-written.vtr", &err), VT_ERR_STATE);
    vt_ruleset_view v;
    vt_ruleset_get_view(unsealed, &v);
    CHECK_INT_EQ(v.rule_count, 1);
    uint32_t id = VT_SECTION_ID('T', 'E', 'S', 'T');
    vt_ruleset *copy = NULL;
    CHECK(vt_ruleset_with_section(sealed, id, "payload", 7, &copy, &err) == VT_OK);
    CHECK(vt_ruleset_add_section(unsealed, id, "payload", 7, &err) == VT_OK);
    size_t a_len = 0, b_len = 0;
    const void *a = vt_ruleset_image(unsealed, &a_len);
    const void *b = copy ? vt_ruleset_image(copy, &b_len) : NULL;
    CHECK(a && b && a_len == b_len && memcmp(a, b, a_len) == 0);
    vt_ruleset_free(copy);
    vt_ruleset_free(sealed);
    vt_ruleset_free(unsealed);
}

static void test_modules(void)
{
    vt_error err;
    CHECK(vt_module_count() >= 12);
    for (size_t i = 0; i < vt_module_count(); i++) {
        vt_module_decl *d = NULL;
        CHECK(vt_module_declare(vt_module_name(i), &d, &err) == VT_OK);
        if (d)
            CHECK_STR_EQ(vt_module_object_at(d, 0)->name, vt_module_name(i));
        vt_module_decl_free(d);
    }
    vt_module_decl *pe = NULL;
    CHECK(vt_module_declare("pe", &pe, &err) == VT_OK);
    if (pe) {
        int32_t sections = vt_module_member(pe, 0, "sections");
        CHECK(sections > 0);
        CHECK_INT_EQ(vt_module_object_at(pe, sections)->kind, VT_MODULE_ARRAY);
        CHECK_INT_EQ(vt_module_object_at(pe, sections)->item, VT_MODULE_STRUCT);
        int32_t name = vt_module_member(pe, sections, "name");
        CHECK(name > 0 && vt_module_object_at(pe, name)->kind == VT_MODULE_STRING);
        int32_t imports = vt_module_member(pe, 0, "imports");
        int overloads = 0;
        for (int32_t i = imports; i >= 0; i = vt_module_object_at(pe, i)->next_sibling)
            overloads += strcmp(vt_module_object_at(pe, i)->name, "imports") == 0;
        CHECK_INT_EQ(overloads, 8);
    }
    vt_module_decl_free(pe);
    vt_module_decl *none = NULL;
    CHECK(vt_module_declare("androguard", &none, &err) == VT_ERR_NOT_FOUND);
}

static void test_define(void)
{
    vt_error err;
    vt_compiler *c;
    CHECK(vt_compiler_new(&c, &err) == VT_OK);
    CHECK(vt_compiler_define(c, "i", "16", &err) == VT_OK);
    CHECK(vt_compiler_define(c, "h", "0x10", &err) == VT_OK); /* a string, as in yarac */
    CHECK(vt_compiler_define(c, "f", "1.5", &err) == VT_OK);
    CHECK(vt_compiler_define(c, "b", "false", &err) == VT_OK);
    CHECK(vt_compiler_define(c, "s", "text", &err) == VT_OK);
    CHECK(vt_compiler_define(c, "9bad", "1", &err) == VT_ERR_ARGUMENT);
    const char *text = "rule a { condition: i == 16 and f > 1.0 and not b and s == \"text\" and "
                       "h == \"0x10\" }";
    CHECK(vt_compiler_add_source(c, NULL, "d.yar", text, strlen(text), &err) == VT_OK);
    vt_ruleset *rs = NULL;
    CHECK(vt_compiler_finish(c, &rs, &err) == VT_OK);
    if (rs) {
        vt_ruleset_view v;
        vt_ruleset_get_view(rs, &v);
        CHECK_INT_EQ(v.external_count, 5);
        CHECK_INT_EQ(v.externals[0].type, VT_TYPE_INT);
        CHECK_INT_EQ(v.externals[0].v.i, 16);
        CHECK_INT_EQ(v.externals[1].type, VT_TYPE_STRING);
        CHECK_INT_EQ(v.externals[2].type, VT_TYPE_FLOAT);
        CHECK_INT_EQ(v.externals[4].type, VT_TYPE_STRING);
    }
    vt_ruleset_free(rs);
    vt_compiler_free(c);
}

/* Threads read one ruleset at the same time without locks (the image is immutable). */
static void *walk(void *arg)
{
    const vt_ruleset *rs = arg;
    size_t sum = 0;
    for (int round = 0; round < 200; round++) {
        vt_ruleset_view v;
        vt_ruleset_get_view(rs, &v);
        for (size_t i = 0; i < v.node_count; i++)
            sum += v.nodes[i].op + v.nodes[i].type;
        for (size_t i = 0; i < v.rule_count; i++)
            sum += strlen(vt_ruleset_str(rs, v.rules[i].name));
    }
    return (void *)sum;
}

static void test_threads(void)
{
    vt_error err;
    vt_ruleset *rs = compile_text(sample, &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    pthread_t t[4];
    void *results[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, walk, rs) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], &results[i]);
    for (int i = 1; i < 4; i++)
        CHECK(results[i] == results[0]);
    CHECK(results[0] == walk(rs));
    vt_ruleset_free(rs);
}

/* Compile pieces in order into one namespace; the number of rules, or -1. */
static long compile_pieces(const vt_source_piece *pieces, size_t count)
{
    vt_compiler *c;
    vt_ruleset *rs = NULL;
    vt_error err;
    if (vt_compiler_new(&c, &err) != VT_OK)
        return -1;
    vt_status st = VT_OK;
    for (size_t i = 0; i < count && st == VT_OK; i++)
        st = vt_compiler_add_source(c, "ns", "split.yar", pieces[i].text, pieces[i].len, &err);
    if (st == VT_OK)
        st = vt_compiler_finish(c, &rs, &err);
    vt_compiler_free(c);
    if (st != VT_OK)
        return -1;
    vt_ruleset_view view;
    vt_ruleset_get_view(rs, &view);
    long n = (long)view.rule_count;
    vt_ruleset_free(rs);
    return n;
}

/* Splitting a rule file for the log (lib/rules/split.c): at rule ends only, never at a brace in
 * a string, regular expression, hex string or comment; later pieces carry the imports; the
 * pieces compiled in order into one namespace give the file's rules. */
static void test_split_source(void)
{
    static const char src[] =
        "// header } comment\n"
        "import \"math\"\n"
        "rule a { strings: $s = \"}}\" $r = /x\\}{2}/ $h = { 7D [1-2] 7D } condition: any of them }\n"
        "/* a } comment before b */\n"
        "rule b { condition: a and math.entropy(0, 1) >= 0 }\n"
        "private rule c : tag { meta: m = \"{\" condition: b or a }\n"
        "rule d { condition: c }\n"
        "// trailing\n";
    vt_source_piece *pieces = NULL;
    size_t count = 0;
    vt_error err;
    CHECK_INT_EQ(vt_rules_split_source("split.yar", src, strlen(src), 130, &pieces, &count, &err),
                 VT_OK);
    CHECK(count >= 3);
    size_t total_rules = 0;
    for (size_t i = 0; i < count; i++) {
        CHECK(pieces[i].len <= 130);
        CHECK(pieces[i].text[pieces[i].len] == 0);
        if (i > 0)
            CHECK(strncmp(pieces[i].text, "import \"math\"\n", 14) == 0);
        for (const char *p = pieces[i].text; (p = strstr(p, "rule ")); p += 5)
            total_rules++;
    }
    CHECK(count > 0 && strncmp(pieces[0].text, "// header } comment\n", 20) == 0);
    CHECK_INT_EQ(total_rules, 4);
    CHECK_INT_EQ(compile_pieces(pieces, count), 4);
    vt_source_pieces_free(pieces, count);

    /* everything fits: one piece, the file itself */
    CHECK_INT_EQ(vt_rules_split_source("split.yar", src, strlen(src), 65000, &pieces, &count, &err),
                 VT_OK);
    CHECK(count == 1 && pieces[0].len == strlen(src) &&
          memcmp(pieces[0].text, src, strlen(src)) == 0);
    vt_source_pieces_free(pieces, count);

    /* one rule too large with its blanks: stored with them reduced, same meaning */
    static const char spaced[] =
        "rule s\n{\n    strings:\n        $h = { 41    42\n    43 ?? 44 }   // c\n"
        "        $t = \"a  b\"\n    condition:\n        $h and $t\n}\n";
    CHECK_INT_EQ(vt_rules_split_source("s.yar", spaced, strlen(spaced), 80, &pieces, &count, &err),
                 VT_OK);
    CHECK_INT_EQ(count, 1);
    if (count == 1) {
        CHECK(pieces[0].len <= 80 && strlen(spaced) > 80);
        CHECK(strstr(pieces[0].text, "{4142 43??44}") == NULL); /* all blanks in hex dropped */
        CHECK(strstr(pieces[0].text, "{414243??44}") != NULL);
        CHECK(strstr(pieces[0].text, "\"a  b\"") != NULL); /* text strings kept */
        CHECK_INT_EQ(compile_pieces(pieces, count), 1);
    }
    vt_source_pieces_free(pieces, count);

    /* still too large: refused with the line; include directives are refused */
    CHECK_INT_EQ(vt_rules_split_source("s.yar", spaced, strlen(spaced), 30, &pieces, &count, &err),
                 VT_ERR_LIMIT);
    CHECK(pieces == NULL && count == 0);
    CHECK_INT_EQ(err.line, 1);
    static const char inc[] = "include \"other.yar\"\nrule a { condition: true }\n";
    CHECK_INT_EQ(vt_rules_split_source("i.yar", inc, strlen(inc), 20, &pieces, &count, &err),
                 VT_ERR_ARGUMENT);
}

/* Appends to text (n bytes so far, cap in all) rule r<i> with four strings, all of them used,
 * and `condition`; returns the new length. */
static size_t add_condition_rule(char *text, size_t cap, size_t n, size_t i,
                                 const char *condition)
{
    return n + (size_t)snprintf(text + n, cap - n,
                                "rule r%zu { strings: $a = \"abc\" $b = \"longer text\" "
                                "$c1 = \"c1\" $c2 = \"c2xx\" condition: (%s) and "
                                "(true or all of them) }\n",
                                i, condition);
}

/* vt_cond_rule_gate: the bytes fixed by `uintN(K) == C` operands of a condition's top-level
 * `and` chain, or of both sides of an `or` (or of one side when the other requires a string:
 * an escape), and nothing where a condition could hold without them. */
static void test_header_gates(void)
{
    static const struct {
        const char *condition;
        const char *gate;   /* "offset:byte ..." in hex, "" for none */
        const char *escape; /* identifiers of the escape strings */
    } cases[] = {
        {"uint16(0) == 0x5a4d and $a", "0:4d 1:5a", ""},
        {"0x5A4D == uint16(0) and filesize < 10 and $a", "0:4d 1:5a", ""},
        {"uint16(0) == 23117 and $a", "0:4d 1:5a", ""},
        {"uint16be(0) == 0x4d5a and $a", "0:4d 1:5a", ""},
        {"uint32(0) == 0x464c457f and (uint8(4) == 2 and $a)", "0:7f 1:45 2:4c 3:46 4:2", ""},
        {"$a and (filesize > 2 and uint8(1) == 0x5a) and uint8(0) == 0x4d", "0:4d 1:5a", ""},
        {"uint16(0x3c) == 0x4550 and $a", "3c:50 3d:45", ""},
        /* never true: either value may be kept (the last operand is looked at first) */
        {"uint16(0) == 0x5a4d and uint16(0) == 0x4d4d and $a", "0:4d 1:4d", ""},
        {"uint8(254) == 1 and uint16(254) == 0x0201 and $a", "fe:1 ff:2", ""},
        {"uint16(255) == 0x0201 and $a", "", ""}, /* past the 256 bytes a gate covers */
        {"not uint16(0) == 0x5a4d and $a", "", ""},
        {"int16(0) == 0x5a4d and $a", "", ""},
        {"uint16(0) == 0x15a4d and $a", "", ""},
        {"uint16(0) == -1 and $a", "", ""},
        {"uint16(0) != 0x5a4d and $a", "", ""},
        {"uint16(filesize - 2) == 0x5a4d and $a", "", ""},
        {"$a", "", ""},
        /* escapes: the rule may match without the header when one of them matches */
        {"uint16(0) == 0x5a4d or $a", "0:4d 1:5a", "$a"},
        {"(uint16(0) == 0x5a4d and $a) or (all of them)", "0:4d 1:5a", "$b"}, /* the longest */
        {"(uint16(0) == 0x5a4d and $a) or all of ($c*) in (0..100)", "0:4d 1:5a", "$c2"},
        {"(uint16(0) == 0x5a4d and $a) or any of ($c*)", "0:4d 1:5a", "$c1 $c2"},
        {"uint16(0) == 0x5a4d or $a at 0 or $b in (0..10)", "0:4d 1:5a", "$a $b"},
        {"(uint16(0) == 0x5a4d and $a) or ($b and $c1)", "0:4d 1:5a", "$c1"},
        {"(uint16(0) == 0x5a4d or $a) and $b", "0:4d 1:5a", "$a"},
        {"(uint16(0) == 0x5a4d or $a) and uint8(2) == 0x90", "2:90", ""},
        {"(uint16(0) == 0x5a4d and uint8(2) == 0x90) or (uint16(0) == 0x5a4d and $b)",
         "0:4d 1:5a", ""},
        {"(uint16(0) == 0x5a4d and $a) or (uint16(0) == 0x457f and $b)", "", ""},
        {"(uint16(0) == 0x5a4d and $a) or (uint8(0) == 0x4d and $b)", "0:4d", ""},
        /* no requirement: a side that holds without the header or a string */
        {"uint16(0) == 0x5a4d or filesize < 10", "", ""},
        {"uint16(0) == 0x5a4d or not $a", "", ""},
        {"uint16(0) == 0x5a4d or none of them", "", ""},
        {"uint16(0) == 0x5a4d or 2 of them", "", ""},
        {"uint16(0) == 0x5a4d or #a > 0", "", ""},
        {"uint16(0) == 0x5a4d or for any of ($c*) : ($)", "", ""},
        {"$a or $b", "", ""},
    };
    static const char *names[] = {"$a", "$b", "$c1", "$c2"};
    char text[16384];
    size_t n = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        n = add_condition_rule(text, sizeof text, n, i, cases[i].condition);
    vt_error err;
    vt_ruleset *rs = compile_text(text, &err);
    if (!rs)
        fprintf(stderr, "# %s\n", err.message);
    CHECK(rs != NULL);
    for (size_t i = 0; rs && i < sizeof cases / sizeof cases[0]; i++) {
        vt_header_gate g;
        vt_gate_escapes e;
        vt_cond_rule_gate(rs, (uint32_t)i, &g, &e);
        char got[128] = "", escapes[128] = "";
        size_t k = 0;
        for (unsigned b = 0; b < g.count; b++)
            k += (size_t)snprintf(got + k, sizeof got - k, "%s%x:%x", b ? " " : "", g.offset[b],
                                  g.value[b]);
        k = 0;
        for (unsigned b = 0; b < e.count; b++) /* rule i's strings are 4 i .. 4 i + 3 */
            k += (size_t)snprintf(escapes + k, sizeof escapes - k, "%s%s", b ? " " : "",
                                  e.string[b] / 4 == i ? names[e.string[b] % 4] : "(other rule)");
        if (strcmp(got, cases[i].gate) != 0 || strcmp(escapes, cases[i].escape) != 0)
            fprintf(stderr, "# %s: gate \"%s\" escapes \"%s\", expected \"%s\" \"%s\"\n",
                    cases[i].condition, got, escapes, cases[i].gate, cases[i].escape);
        CHECK(strcmp(got, cases[i].gate) == 0);
        CHECK(strcmp(escapes, cases[i].escape) == 0);
    }
    vt_header_gate none;
    vt_gate_escapes no_escapes;
    if (rs)
        vt_cond_rule_gate(rs, 1000, &none, &no_escapes); /* no such rule */
    CHECK_INT_EQ(rs ? none.count + no_escapes.count : 0, 0);
    vt_ruleset_free(rs);
}

/* vt_cond_rules_needing_match: a rule is skipped when none of its strings matched only where
 * its condition cannot be true without such a match. Each case's condition, and whether it
 * needs a match. */
static void test_needing_match(void)
{
    static const struct {
        const char *condition;
        bool needs;
    } cases[] = {
        {"$a", true},
        {"any of them", true},
        {"all of them", true},
        {"2 of them", true},
        {"50% of them", true},
        {"any of ($c*) in (0..100)", true},
        {"$a at 0", true},
        {"$b in (0..filesize)", true},
        {"#a > 0", true},
        {"#a > 3", true},
        {"#a >= 1", true},
        {"#a == 2", true},
        {"#a in (0..10) > 0", true},
        {"uint16(0) == 0x5a4d and filesize < 100KB and $a", true},
        {"(uint16(0) == 0x5a4d and $a) or all of them", true},
        {"$a or ($b and filesize > 2)", true},
        {"not $a and $b", true},
        /* true without a match of the rule's strings */
        {"$a or filesize > 2", false},
        {"not $a", false},
        {"none of them", false},
        {"0 of them", false},
        {"#a >= 0", false},
        {"#a == 0", false},
        {"#a < 2", false},
        {"for any of ($c*) : ($)", false},
        {"for any i in (1..#a) : (@a[i] > 0)", false},
        {"r0", false},
        {"true", false},
        {"$a and console.log(\"x\")", false},
    };
    char text[16384];
    size_t n = (size_t)snprintf(text, sizeof text, "import \"console\"\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        n = add_condition_rule(text, sizeof text, n, i, cases[i].condition);
    n += (size_t)snprintf(text + n, sizeof text - n, "rule no_strings { condition: true }\n");
    vt_error err;
    vt_ruleset *rs = compile_text(text, &err);
    if (!rs)
        fprintf(stderr, "# %s\n", err.message);
    CHECK(rs != NULL);
    size_t count = sizeof cases / sizeof cases[0];
    uint8_t needs[sizeof cases / sizeof cases[0] + 1];
    if (rs)
        vt_cond_rules_needing_match(rs, needs);
    for (size_t i = 0; rs && i < count; i++) {
        if (needs[i] != cases[i].needs)
            fprintf(stderr, "# %s: needs a match %d, expected %d\n", cases[i].condition,
                    needs[i], cases[i].needs);
        CHECK_INT_EQ(needs[i], cases[i].needs);
    }
    CHECK_INT_EQ(rs ? needs[count] : 0, 0);
    vt_ruleset_free(rs);
}

/* vt_cond_rule_gates: each rule's header and escapes as vt_cond_rule_gate finds them, except
 * that a rule calling console.log has none (the evaluator walks it whatever the header, so that
 * `console.log("x") and uint16(0) == 0x5a4d` prints on every file, as in yara). */
static void test_rule_gates(void)
{
    const char *text = "import \"console\"\n"
                       "rule a { condition: uint16(0) == 0x5a4d and filesize > 2 }\n"
                       "rule b { condition: console.log(\"x\") and uint16(0) == 0x5a4d }\n"
                       "rule c { strings: $z = \"zz\" condition: "
                       "(uint16(0) == 0x5a4d and filesize > 1) or $z }\n"
                       "rule d { condition: filesize > 2 }\n";
    vt_error err;
    vt_ruleset *rs = compile_text(text, &err);
    CHECK(rs != NULL);
    vt_header_gate gates[4];
    vt_gate_escapes escapes[4];
    if (rs)
        vt_cond_rule_gates(rs, gates, escapes);
    CHECK_INT_EQ(rs ? gates[0].count : 0, 2);
    CHECK_INT_EQ(rs ? escapes[0].count : 1, 0);
    CHECK_INT_EQ(rs ? gates[1].count : 1, 0); /* console.log: none */
    CHECK_INT_EQ(rs ? gates[2].count : 0, 2);
    CHECK_INT_EQ(rs ? escapes[2].count : 0, 1);
    CHECK_INT_EQ(rs ? gates[3].count : 1, 0);
    vt_ruleset_free(rs);
}

int main(void)
{
    RUN(test_records);
    RUN(test_rule_gates);
    RUN(test_header_gates);
    RUN(test_needing_match);
    RUN(test_errors);
    RUN(test_compiler_spent);
    RUN(test_warnings);
    RUN(test_save_load_corrupt);
    RUN(test_extra_section);
    RUN(test_add_section_in_place);
    RUN(test_unsealed_until_a_section);
    RUN(test_modules);
    RUN(test_define);
    RUN(test_threads);
    RUN(test_split_source);
    return check_done();
}
