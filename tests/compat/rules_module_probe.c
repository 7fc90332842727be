/* rules_module_probe.c: lists what Debian's yara 4.2.3 declares for a module, by asking its
 * compiler (libyara.so.9, loaded in-process) about every candidate name: a field, its type
 * (integer, float, string, structure, array, dictionary and their items) and every function
 * overload with up to three arguments. tests/compat/rules_module_probe.sh compares the result
 * with lib/modules' tables. A manual check (about ten minutes for all modules), not in the suite.
 *
 *   rules_module_probe MODULE CANDIDATES_FILE
 * prints lines "i|f|s PATH", "{ PATH" ... "}", "A|D PATH" (item) "end", "fn PATH ARGS RESULT".
 * libyara's headers are not installed (only the library), so its few entry points are declared
 * here as yara 4.2's libyara/include/yara/compiler.h has them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct YR_COMPILER YR_COMPILER;
typedef void (*yr_callback)(int level, const char *file, int line, const void *rule,
                            const char *message, void *user);
int yr_initialize(void);
int yr_compiler_create(YR_COMPILER **compiler);
void yr_compiler_destroy(YR_COMPILER *compiler);
void yr_compiler_set_callback(YR_COMPILER *compiler, yr_callback callback, void *user);
int yr_compiler_add_string(YR_COMPILER *compiler, const char *source, const char *ns);

static char first_error[1024];
static const char *module_name;
static char **candidates;
static int candidate_count;

static void on_message(int level, const char *file, int line, const void *rule, const char *message,
                       void *user)
{
    (void)file, (void)line, (void)rule, (void)user;
    if (level == 0 && !first_error[0])
        snprintf(first_error, sizeof first_error, "%s", message);
}

/* "" when the condition compiles, else yara's first error message. */
static const char *probe(const char *condition)
{
    char source[4096];
    snprintf(source, sizeof source, "import \"%s\" rule a { condition: %s }", module_name,
             condition);
    first_error[0] = 0;
    YR_COMPILER *c;
    if (yr_compiler_create(&c) != 0)
        return "cannot create a compiler";
    yr_compiler_set_callback(c, on_message, NULL);
    int errors = yr_compiler_add_string(c, source, NULL);
    yr_compiler_destroy(c);
    return errors == 0 ? "" : first_error[0] ? first_error : "?";
}

static void walk(const char *path, int depth);

static void probe_functions(const char *path)
{
    static const char *const sample[] = {"0", "\"\"", "/a/", "0.5", "true"};
    static const char letters[] = "isrfb";
    static const char *const compare[] = {" == 0", " == \"\"", ""};
    char q[2048];
    for (int len = 0; len <= 3; len++) {
        int total = 1;
        for (int k = 0; k < len; k++)
            total *= 5;
        for (int combo = 0; combo < total; combo++) {
            char args[256] = "", format[8] = "-";
            for (int k = 0, x = combo; k < len; k++, x /= 5) {
                strcat(args, k ? ", " : "");
                strcat(args, sample[x % 5]);
                format[k] = letters[x % 5];
                format[k + 1] = 0;
            }
            for (int r = 0; r < 3; r++) {
                snprintf(q, sizeof q, "%s(%s)%s", path, args, compare[r]);
                if (*probe(q))
                    continue;
                char result = r == 1 ? 's' : 'b';
                if (r == 0) {
                    snprintf(q, sizeof q, "%s(%s) %% 2 == 0", path, args);
                    result = *probe(q) ? 'f' : 'i';
                } else if (r == 2) {
                    snprintf(q, sizeof q, "%s(%s) == 0", path, args);
                    if (!*probe(q))
                        continue; /* a number, found above */
                }
                printf("fn %s %s %c\n", path, format, result);
                break;
            }
        }
    }
}

static void classify(const char *path, int depth)
{
    char q[2048];
    if (!*probe(path)) {
        snprintf(q, sizeof q, "%s == \"\"", path);
        if (!*probe(q)) {
            printf("s %s\n", path);
            return;
        }
        snprintf(q, sizeof q, "%s %% 2 == 0", path);
        printf("%s %s\n", *probe(q) ? "f" : "i", path);
        return;
    }
    snprintf(q, sizeof q, "%s.zzzqqq == 0", path);
    if (strstr(probe(q), "invalid field name")) {
        printf("{ %s\n", path);
        walk(path, depth + 1);
        printf("}\n");
        return;
    }
    snprintf(q, sizeof q, "%s[\"k\"] == 0", path);
    int array = strstr(probe(q), "array indexes must") != NULL;
    snprintf(q, sizeof q, "%s[0] == 0", path);
    int dictionary = strstr(probe(q), "dictionary keys must") != NULL;
    if (array || dictionary) {
        char item[2048];
        snprintf(item, sizeof item, dictionary ? "%s[\"k\"]" : "%s[0]", path);
        printf("%s %s\n", dictionary ? "D" : "A", path);
        classify(item, depth + 1);
        printf("end\n");
        return;
    }
    snprintf(q, sizeof q, "%s()", path);
    if (strstr(probe(q), "not a function")) {
        printf("? %s\n", path);
        return;
    }
    probe_functions(path);
}

static void walk(const char *path, int depth)
{
    char q[2048];
    if (depth > 6)
        return;
    for (int i = 0; i < candidate_count; i++) {
        snprintf(q, sizeof q, "%s.%s", path, candidates[i]);
        const char *r = probe(q);
        if (strstr(r, "invalid field name") || strstr(r, "syntax error"))
            continue;
        classify(q, depth);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rules_module_probe MODULE CANDIDATES_FILE\n");
        return 2;
    }
    module_name = argv[1];
    FILE *f = fopen(argv[2], "r");
    if (!f)
        return 2;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char **more = realloc(candidates, (size_t)(candidate_count + 1) * sizeof *candidates);
        if (!more)
            return 2;
        candidates = more;
        candidates[candidate_count++] = strdup(line);
    }
    fclose(f);
    if (yr_initialize() != 0)
        return 2;
    walk(module_name, 0);
    return 0;
}
