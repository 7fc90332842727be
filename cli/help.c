/* help.c: `vitrine help [COMMAND]`: the list of commands, or one command's manual. */
#include <stdio.h>

#include "command.h"

static int run_help(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage_error("help", "too many arguments");
    if (argc == 2) {
        const struct vt_command *cmd = vt_find_command(argv[1]);
        if (!cmd) {
            fprintf(stderr, "vitrine help: no such command '%s'\n", argv[1]);
            fputs("Run 'vitrine help' for the list of commands.\n", stderr);
            return EXIT_ERROR;
        }
        fputs(cmd->manual, stdout);
        return EXIT_CLEAN;
    }
    printf("vitrine %s: a YARA-compatible scanner whose rules arrive only through a public,\n"
           "witnessed transparency log.\n\n"
           "usage: vitrine [--version] [--help] COMMAND [ARGS...]\n\n"
           "Commands:\n",
           vt_version());
    for (size_t i = 0; vt_commands[i]; i++)
        printf("  %-18s %s\n", vt_commands[i]->name, vt_commands[i]->summary);
    puts("\nRun 'vitrine help COMMAND' for a command's manual.\n"
         "Exit status: 0 clean or success, 1 something found or a check failed, 2 error.");
    return EXIT_CLEAN;
}

const struct vt_command command_help = {
    .name = "help",
    .summary = "list the commands, or show one command's manual",
    .manual = "NAME\n"
              "    vitrine help - list the commands, or show one command's manual\n"
              "\n"
              "SYNOPSIS\n"
              "    vitrine help [COMMAND]\n"
              "\n"
              "DESCRIPTION\n"
              "    With no argument, lists every command with a one-line summary. With a\n"
              "    COMMAND, prints that command's manual: synopsis, options, exit status and\n"
              "    examples. 'vitrine COMMAND --help' prints the same manual.\n"
              "\n"
              "EXIT STATUS\n"
              "    0 on success, 2 when COMMAND does not exist.\n",
    .run = run_help,
};
