/* args.c: the rule arguments of a command line, read once for every front end (vitrine compile,
 * scan, yara, publish...) and as yara 4.2.3's command line reads them: "[NS:]FILE", "-d
 * NAME=VALUE" and the type of VALUE, and whether a file is a compiled ruleset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/rules.h>

vt_status vt_rules_split_arg(const char *arg, char **ns, const char **path, vt_error *err)
{
    *ns = NULL;
    *path = arg;
    /* yara: a namespace is what precedes the first ':', unless the whole argument names an
     * existing file, or the ':' is followed by '\' (a Windows drive, "C:\rules\x.yar"). */
    const char *colon = strchr(arg, ':');
    if (!colon || colon[1] == '\\' || access(arg, F_OK) == 0)
        return VT_OK;
    size_t len = (size_t)(colon - arg);
    *ns = malloc(len + 1);
    if (!*ns)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    memcpy(*ns, arg, len);
    (*ns)[len] = 0;
    *path = colon + 1;
    return VT_OK;
}

vt_status vt_rules_split_define(const char *arg, char *name, size_t name_size, const char **value,
                                vt_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return vt_error_set(err, VT_ERR_ARGUMENT, "expected NAME=VALUE, found \"%s\"", arg);
    size_t len = (size_t)(eq - arg);
    if (len >= name_size)
        return vt_error_set(err, VT_ERR_LIMIT, "the name in \"%s\" is longer than %zu bytes", arg,
                            name_size - 1);
    memcpy(name, arg, len);
    name[len] = 0;
    *value = eq + 1;
    return VT_OK;
}

/* yara's is_integer: [-]digits. */
static int is_integer(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* yara's is_float: [-]digits with exactly one '.', not first ("1." is a float, ".5" is not). */
static int is_float(const char *s)
{
    int dots = 0;
    if (*s == '-')
        s++;
    if (*s == '.')
        return 0;
    for (; *s; s++) {
        if (*s == '.')
            dots++;
        else if (*s < '0' || *s > '9')
            return 0;
    }
    return dots == 1;
}

unsigned vt_rules_define_type(const char *value)
{
    if (is_float(value))
        return VT_TYPE_FLOAT;
    if (is_integer(value))
        return VT_TYPE_INT;
    if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
        return VT_TYPE_BOOL;
    return VT_TYPE_STRING;
}

int vt_rules_is_compiled(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char magic[8];
    int yes = fread(magic, 1, 8, f) == 8 && memcmp(magic, VT_RULESET_MAGIC, 8) == 0;
    fclose(f);
    return yes;
}
