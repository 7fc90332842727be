/* main.c: the `vitrine` and `vitrine-net` programs. They only dispatch: global options
 * (--version, --help), then the subcommand named by the first argument. Each subcommand is its
 * own file in cli/.
 * `vitrine` (this file without VT_CLI_NETWORK) runs the subcommands that need neither the
 * network nor a database, so that scanning loads no libcurl, libmicrohttpd or SQLite; it hands
 * any other command line, and `help` (which lists every subcommand), unchanged to `vitrine-net`
 * (built with VT_CLI_NETWORK, every subcommand), found beside this program or in libexecdir. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vitrine/common.h>

#include "vitrine_config.h"

#include "command.h"

#ifdef VT_CLI_NETWORK
#define NETWORKED(command) &command,
#else
#define NETWORKED(command)
#endif

/* The subcommands, in the order `vitrine help` lists them; NETWORKED ones only in vitrine-net. */
const struct vt_command *const vt_commands[] = {
    &command_help,
    NETWORKED(command_version)
    &command_keygen,
    NETWORKED(command_log)
    NETWORKED(command_serve)
    &command_compile,
    &command_scan,
    &command_yara,
    NETWORKED(command_publish)
    NETWORKED(command_witness)
    NETWORKED(command_update)
    &command_verify_installed,
    NETWORKED(command_monitor)
    NETWORKED(command_telemetry)
    NETWORKED(command_submit)
    NETWORKED(command_audit)
    NETWORKED(command_center)
    NULL,
};

static void print_usage(FILE *out)
{
    fputs("usage: vitrine [--version] [--help] COMMAND [ARGS...]\n"
          "Run 'vitrine help' for the list of commands.\n",
          out);
}

#ifndef VT_CLI_NETWORK
/* Run vitrine-net with this program's arguments: the one beside this program (a build tree, or
 * an installation that puts both in one directory), else the one in libexecdir. Returns only on
 * failure. */
static int run_networked(char **argv)
{
    char self[PATH_MAX];
    char path[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            slash[1] = '\0';
            snprintf(path, sizeof path, "%svitrine-net", self);
            if (access(path, X_OK) == 0) {
                execv(path, argv);
                fprintf(stderr, "vitrine: cannot run %s: %s\n", path, strerror(errno));
                return EXIT_ERROR;
            }
        }
    }
    snprintf(path, sizeof path, "%s/vitrine-net", VITRINE_LIBEXECDIR);
    execv(path, argv);
    fprintf(stderr,
            "vitrine: '%s' is run by vitrine-net, which cannot be run (%s: %s); "
            "scanning commands work without it\n",
            argv[1], path, strerror(errno));
    return EXIT_ERROR;
}

/* Whether this program runs the command line itself: its subcommand is one of vt_commands, and
 * `help` only for a subcommand it has (the list and other manuals are vitrine-net's). */
static int runs_here(int argc, char **argv)
{
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 ||
        strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0)
        return 0;
    if (first[0] == '-')
        return 1; /* unknown option: the usage error is the same here */
    const struct vt_command *cmd = vt_find_command(first);
    if (!cmd)
        return 0;
    if (cmd == &command_help)
        return argc == 3 && vt_find_command(argv[2]) != NULL;
    return 1;
}
#endif

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
#ifndef VT_CLI_NETWORK
    if (!runs_here(argc, argv))
        return run_networked(argv);
#endif
    const char *first = argv[1];
#ifdef VT_CLI_NETWORK
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0)
        return command_version.run(1, (char *[]){"version", NULL});
#endif
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
