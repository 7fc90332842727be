/* command.h: how a subcommand of `vitrine` is described. Each subcommand lives in its own file
 * in cli/ and defines one `const struct vt_command command_NAME`; main.c lists them.
 * A subcommand is thin: it parses options, calls libvitrine, prints, and returns the exit status
 * (0 success or clean, 1 found/failed check, 2 error). */
#ifndef VITRINE_CLI_COMMAND_H
#define VITRINE_CLI_COMMAND_H

#include <vitrine/common.h>

struct vt_command {
    const char *name;
    const char *summary; /* one line, shown by `vitrine help` */
    const char *manual;  /* man-page-style text, shown by `vitrine help NAME` and `NAME --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

enum { EXIT_CLEAN = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

/* Every subcommand, in the order `vitrine help` lists them; NULL-terminated. */
extern const struct vt_command *const vt_commands[];

const struct vt_command *vt_find_command(const char *name);

/* Print "vitrine NAME: message" for a failed library call to stderr; returns EXIT_ERROR. */
int cli_report(const char *command, const vt_error *err);
/* Print "vitrine NAME: <formatted>" and a pointer to the manual to stderr; returns EXIT_ERROR. */
int cli_usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* The malloc policy around compiling rules (parsing, the matcher's build), true before and false
 * after: memory a compile frees stays in the heap for its next allocation, instead of going back
 * to the kernel and being faulted in again (cli_util.c). */
void cli_compile_memory(bool compiling);

extern const struct vt_command command_help;
extern const struct vt_command command_version;
extern const struct vt_command command_keygen;
extern const struct vt_command command_log;
extern const struct vt_command command_serve;
extern const struct vt_command command_compile;
extern const struct vt_command command_yara;
extern const struct vt_command command_scan;
extern const struct vt_command command_publish;
extern const struct vt_command command_witness;
extern const struct vt_command command_update;
extern const struct vt_command command_verify_installed;
extern const struct vt_command command_monitor;
extern const struct vt_command command_telemetry;
extern const struct vt_command command_submit;
extern const struct vt_command command_audit;
extern const struct vt_command command_center;

#endif
