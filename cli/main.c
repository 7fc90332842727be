/* main.c: the `vitrine` command. It only dispatches: global options (--version, --help), then
 * the subcommand named by the first argument. Each subcommand is its own file in cli/. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <vitrine/common.h>

#include "command.h"

/* The subcommands, in the order `vitrine help` lists them. */
const struct vt_command *const vt_commands[] = {
    &command_help,
    &command_version,
    &command_keygen,
    &command_log,
    &command_serve,
    &command_compile,
    &command_scan,
    &command_yara,
    &command_publish,
    &command_witness,
    &command_update,
    &command_verify_installed,
    &command_monitor,
    NULL,
};

static void print_usage(FILE *out)
{
    fputs("usage: vitrine [--version] [--help] COMMAND [ARGS...]\n"
          "Run 'vitrine help' for the list of commands.\n",
          out);
}

int main(int argc, char **argv)
{
    /* A fixed threshold for serving allocations from mmap: glibc otherwise raises it after a
     * large block is freed (a module's tables of one file), and later large blocks come from a
     * heap that does not shrink; scans of many files then grow in resident memory. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if (argc < 2) {
        fputs("vitrine: no command given\n", stderr);
        print_usage(stderr);
        return EXIT_ERROR;
    }
    const char *first = argv[1];
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0)
        return command_version.run(1, (char *[]){"version", NULL});
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0)
        return command_help.run(1, (char *[]){"help", NULL});
    if (first[0] == '-') {
        fprintf(stderr, "vitrine: unknown option '%s'\n", first);
        print_usage(stderr);
        return EXIT_ERROR;
    }
    const struct vt_command *cmd = vt_find_command(first);
    if (!cmd) {
        fprintf(stderr, "vitrine: unknown command '%s'\n", first);
        print_usage(stderr);
        return EXIT_ERROR;
    }
    if (argc == 3 && (strcmp(argv[2], "--help") == 0)) {
        fputs(cmd->manual, stdout);
        return EXIT_CLEAN;
    }
    return cmd->run(argc - 1, argv + 1);
}
