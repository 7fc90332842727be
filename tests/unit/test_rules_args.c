/* test_rules_args.c: the rule arguments of a command line (lib/rules/args.c), read as yara 4.2.3
 * reads them: "[NS:]FILE", "-d NAME=VALUE" and the value's type, and the compiled-ruleset test.
 * tests/e2e/rule_args.sh runs the same cases through `vitrine yara` and `yara` side by side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/rules.h>

#include "../check.h"

/* Split arg; "ns|path" with "-" for the default namespace. */
static const char *split(const char *arg)
{
    static char out[512];
    char *ns = (char *)"unset";
    const char *path = NULL;
    vt_error err;
    if (vt_rules_split_arg(arg, &ns, &path, &err) != VT_OK)
        return "error";
    snprintf(out, sizeof out, "%s|%s", ns ? ns : "-", path);
    free(ns);
    return out;
}

static void test_namespace_split(void)
{
    CHECK_STR_EQ(split("rules.yar"), "-|rules.yar");
    CHECK_STR_EQ(split("ns:rules.yar"), "ns|rules.yar");
    CHECK_STR_EQ(split(":rules.yar"), "|rules.yar"); /* the empty namespace, as yara */
    CHECK_STR_EQ(split("a:b:c.yar"), "a|b:c.yar");   /* the first ':' */
    CHECK_STR_EQ(split("ns:/abs/r.yar"), "ns|/abs/r.yar");
    CHECK_STR_EQ(split("C:\\rules\\r.yar"), "-|C:\\rules\\r.yar"); /* a Windows drive */
    CHECK_STR_EQ(split("ns:C:\\r.yar"), "ns|C:\\r.yar");
    CHECK_STR_EQ(split("ns:"), "ns|");
}

static void test_existing_file_with_colon_is_a_path(void)
{
    char dir[] = "/tmp/vitrine-args-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/x:y.yar", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    char expect[700];
    snprintf(expect, sizeof expect, "-|%s", path);
    CHECK_STR_EQ(split(path), expect);
    unlink(path);
    /* once it is gone, the same argument names namespace "/tmp/.../x" */
    snprintf(expect, sizeof expect, "%s/x|y.yar", dir);
    CHECK_STR_EQ(split(path), expect);
    rmdir(dir);
}

static void test_define_split(void)
{
    char name[8];
    const char *value = NULL;
    vt_error err;
    CHECK_INT_EQ(vt_rules_split_define("v=1", name, sizeof name, &value, &err), VT_OK);
    CHECK_STR_EQ(name, "v");
    CHECK_STR_EQ(value, "1");
    CHECK_INT_EQ(vt_rules_split_define("v=a=b", name, sizeof name, &value, &err), VT_OK);
    CHECK_STR_EQ(name, "v");
    CHECK_STR_EQ(value, "a=b"); /* '=' in the value */
    CHECK_INT_EQ(vt_rules_split_define("v=", name, sizeof name, &value, &err), VT_OK);
    CHECK_STR_EQ(value, "");
    CHECK_INT_EQ(vt_rules_split_define("=1", name, sizeof name, &value, &err), VT_OK);
    CHECK_STR_EQ(name, ""); /* split; vt_compiler_define refuses the empty name */
    CHECK_INT_EQ(vt_rules_split_define("v", name, sizeof name, &value, &err), VT_ERR_ARGUMENT);
    CHECK(strstr(err.message, "NAME=VALUE") != NULL);
    CHECK_INT_EQ(vt_rules_split_define("longername=1", name, sizeof name, &value, &err),
                 VT_ERR_LIMIT);
    CHECK_INT_EQ(vt_rules_split_define("seven77=1", name, sizeof name, &value, &err), VT_OK);
    CHECK_STR_EQ(name, "seven77");
}

static void test_define_types_as_yara(void)
{
    CHECK_INT_EQ(vt_rules_define_type("true"), VT_TYPE_BOOL);
    CHECK_INT_EQ(vt_rules_define_type("false"), VT_TYPE_BOOL);
    CHECK_INT_EQ(vt_rules_define_type("True"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("1"), VT_TYPE_INT);
    CHECK_INT_EQ(vt_rules_define_type("-5"), VT_TYPE_INT);
    CHECK_INT_EQ(vt_rules_define_type("007"), VT_TYPE_INT);
    CHECK_INT_EQ(vt_rules_define_type("1.5"), VT_TYPE_FLOAT);
    CHECK_INT_EQ(vt_rules_define_type("-1.5"), VT_TYPE_FLOAT);
    CHECK_INT_EQ(vt_rules_define_type("1."), VT_TYPE_FLOAT);
    CHECK_INT_EQ(vt_rules_define_type(".5"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("-.5"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("1.2.3"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("+5"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("-"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("0x10"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("1e3"), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type(""), VT_TYPE_STRING);
    CHECK_INT_EQ(vt_rules_define_type("a=b"), VT_TYPE_STRING);
}

static void test_compiled_ruleset_detection(void)
{
    char dir[] = "/tmp/vitrine-args-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char src[600], bin[600], empty[600];
    snprintf(src, sizeof src, "%s/r.yar", dir);
    snprintf(bin, sizeof bin, "%s/r.vtr", dir);
    snprintf(empty, sizeof empty, "%s/e", dir);
    vt_error err;
    vt_compiler *c = NULL;
    vt_ruleset *rules = NULL;
    CHECK_INT_EQ(vt_compiler_new(&c, &err), VT_OK);
    const char *text = "rule r { condition: true }\n";
    CHECK_INT_EQ(vt_compiler_add_source(c, NULL, "r", text, strlen(text), &err), VT_OK);
    CHECK_INT_EQ(vt_compiler_finish(c, &rules, &err), VT_OK);
    CHECK_INT_EQ(vt_ruleset_save(rules, bin, &err), VT_OK);
    CHECK_INT_EQ(vt_write_file_atomic(src, text, strlen(text), 0644, &err), VT_OK);
    CHECK_INT_EQ(vt_write_file_atomic(empty, "VTRULE", 6, 0644, &err), VT_OK);
    CHECK_INT_EQ(vt_rules_is_compiled(bin), 1);
    CHECK_INT_EQ(vt_rules_is_compiled(src), 0);
    CHECK_INT_EQ(vt_rules_is_compiled(empty), 0); /* shorter than the magic */
    CHECK_INT_EQ(vt_rules_is_compiled(dir), 0);   /* a directory */
    CHECK_INT_EQ(vt_rules_is_compiled("/nonexistent/r.vtr"), 0);
    vt_ruleset_free(rules);
    vt_compiler_free(c);
    unlink(src);
    unlink(bin);
    unlink(empty);
    rmdir(dir);
}

int main(void)
{
    RUN(test_namespace_split);
    RUN(test_existing_file_with_colon_is_a_path);
    RUN(test_define_split);
    RUN(test_define_types_as_yara);
    RUN(test_compiled_ruleset_detection);
    return check_done();
}
