/* eval_rules.c: a test driver for the condition evaluator. It compiles a rule file, evaluates
 * every rule over a data file with no string matches and no modules, and prints the names of the
 * matching rules one per line, as `yara -w RULES FILE` does for rules without strings. Rules
 * whose header (vt_cond_rule_gates) the data lacks are not walked, as in a scan. The
 * differential test tests/cond/differential.sh compares its output with yara's. */
#include <stdio.h>
#include <stdlib.h>

#include <vitrine/cond.h>
#include <vitrine/rules.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: eval_rules RULES DATA\n");
        return 2;
    }
    vt_error err;
    vt_compiler *compiler = NULL;
    vt_ruleset *rules = NULL;
    unsigned char *data = NULL;
    size_t size = 0;
    if (vt_compiler_new(&compiler, &err) != VT_OK ||
        vt_compiler_add_file(compiler, NULL, argv[1], &err) != VT_OK ||
        vt_compiler_finish(compiler, &rules, &err) != VT_OK ||
        vt_read_file(argv[2], 1u << 30, &data, &size, &err) != VT_OK) {
        char text[2048];
        vt_error_format(&err, text, sizeof text);
        fprintf(stderr, "eval_rules: %s\n", text);
        vt_compiler_free(compiler);
        return 2;
    }
    vt_compiler_free(compiler);
    vt_ruleset_view view;
    vt_ruleset_get_view(rules, &view);
    vt_match_list *matches = calloc(view.string_count + 1, sizeof *matches);
    uint8_t *results = calloc(view.rule_count + 1, 1);
    /* the rules' headers, checked before their conditions as the scanner does */
    vt_header_gate *gates = calloc(view.rule_count + 1, sizeof *gates);
    vt_gate_escapes *escapes = calloc(view.rule_count + 1, sizeof *escapes);
    if (!matches || !results || !gates || !escapes) {
        fprintf(stderr, "eval_rules: out of memory\n");
        return 2;
    }
    vt_cond_rule_gates(rules, gates, escapes);
    vt_cond_env env = {.rules = rules, .data = data, .size = size, .matches = matches,
                       .rule_gates = gates, .rule_escapes = escapes};
    int status = 0;
    if (vt_cond_evaluate(&env, results, &err) != VT_OK) {
        fprintf(stderr, "eval_rules: %s\n", err.message);
        status = 2;
    } else {
        for (size_t r = 0; r < view.rule_count; r++)
            if (results[r] && !(view.rules[r].flags & VT_RULE_PRIVATE))
                printf("%s %s\n", vt_ruleset_str(rules, view.rules[r].name), argv[2]);
    }
    free(matches);
    free(results);
    free(gates);
    free(escapes);
    free(data);
    vt_ruleset_free(rules);
    return status;
}
