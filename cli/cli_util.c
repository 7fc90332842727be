/* cli_util.c: small helpers every subcommand shares: reporting a library error, reporting a
 * usage error with a pointer to the subcommand's manual, and finding a subcommand by name. */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "command.h"

const struct vt_command *vt_find_command(const char *name)
{
    for (size_t i = 0; vt_commands[i]; i++)
        if (strcmp(vt_commands[i]->name, name) == 0)
            return vt_commands[i];
    return NULL;
}

int cli_report(const char *command, const vt_error *err)
{
    char text[2048];
    vt_error_format(err, text, sizeof text);
    fprintf(stderr, "vitrine %s: %s\n", command, text);
    return EXIT_ERROR;
}

int cli_usage_error(const char *command, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "vitrine %s: ", command);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    const struct vt_command *cmd = vt_find_command(command);
    if (cmd) {
        /* The SYNOPSIS paragraph of the manual is the usage. */
        const char *synopsis = strstr(cmd->manual, "SYNOPSIS\n");
        const char *end = synopsis ? strstr(synopsis, "\n\n") : NULL;
        if (synopsis && end)
            fprintf(stderr, "%.*s\n", (int)(end - synopsis), synopsis);
    }
    fprintf(stderr, "Try 'vitrine help %s' for more information.\n", command);
    return EXIT_ERROR;
}

void cli_compile_memory(bool compiling)
{
    /* A compile allocates and frees per pattern and per file (syntax trees, the parser thread's
     * arena, Vectorscan's tables); at the default threshold the heap gave its top back after each
     * and took fresh pages again (trellix-atr: about a third of compile -o's CPU time). 128 KB is
     * glibc's default, fixed since main() fixes the mmap threshold; scans go back to it. */
    mallopt(M_TRIM_THRESHOLD, compiling ? 512 << 20 : 128 << 10);
}
