/* compile.c: `vitrine compile [NS:]RULES... -o OUT`: compile YARA rule files (as yarac does) into
 * a ruleset file. Prints yara's warnings; on an error prints FILE:LINE:COL: message and writes
 * nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/rules.h>
#include <vitrine/scan.h>

#include "command.h"

static void print_warnings(const vt_compiler *c, int quiet)
{
    if (quiet)
        return;
    for (size_t i = 0; i < vt_compiler_warning_count(c); i++) {
        char text[2048];
        vt_error_format(vt_compiler_warning(c, i), text, sizeof text);
        /* vt_error_format puts the location first: "FILE:LINE:COL: message" */
        fprintf(stderr, "warning: %s\n", text);
    }
}

/* Give the compiler the -d NAME=VALUE definitions; returns the exit status. */
static int define_all(vt_compiler *c, char **defines, size_t define_count)
{
    vt_error err;
    vt_error_clear(&err);
    for (size_t d = 0; d < define_count; d++) {
        char name[256];
        const char *value;
        if (vt_rules_split_define(defines[d], name, sizeof name, &value, &err) != VT_OK)
            return cli_usage_error("compile", "-d: %s", err.message);
        if (vt_compiler_define(c, name, value, &err) != VT_OK)
            return cli_report("compile", &err);
    }
    return EXIT_CLEAN;
}

/* --each: compile every file on its own and print one verdict line per file. */
static int check_each(int argc, char **argv, int first, char **defines, size_t define_count)
{
    int status = EXIT_CLEAN;
    /* One write per verdict line, so parallel runs sharing an output file do not interleave. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = first; i < argc; i++) {
        vt_error err;
        vt_error_clear(&err);
        vt_compiler *c;
        if (vt_compiler_new(&c, &err) != VT_OK)
            return cli_report("compile", &err);
        int defined = define_all(c, defines, define_count);
        if (defined != EXIT_CLEAN) {
            vt_compiler_free(c);
            return defined;
        }
        vt_status st = vt_compiler_add_file(c, NULL, argv[i], &err);
        vt_ruleset *rules = NULL;
        if (st == VT_OK)
            st = vt_compiler_finish(c, &rules, &err);
        if (st == VT_OK) {
            printf("ok %s %zu warning(s)\n", argv[i], vt_compiler_warning_count(c));
        } else {
            char text[2048];
            vt_error_format(&err, text, sizeof text);
            printf("error %s: %s\n", argv[i], text);
            status = EXIT_ERROR;
        }
        vt_ruleset_free(rules);
        vt_compiler_free(c);
    }
    return status;
}

static int run_compile(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"define", required_argument, NULL, 'd'},
        {"no-warnings", no_argument, NULL, 'w'},
        {"fail-on-warnings", no_argument, NULL, 'W'},
        {"check", no_argument, NULL, 'n'},
        {"stats", no_argument, NULL, 's'},
        {"each", no_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int no_warnings = 0, fail_on_warnings = 0, check = 0, stats = 0, each = 0;
    char **defines = calloc((size_t)argc + 1, sizeof *defines);
    size_t define_count = 0;
    if (!defines)
        return cli_usage_error("compile", "out of memory");
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:d:wns", options, NULL)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case 'd': defines[define_count++] = optarg; break;
        case 'w': no_warnings = 1; break;
        case 'W': fail_on_warnings = 1; break;
        case 'n': check = 1; break;
        case 's': stats = 1; break;
        case 'e': each = 1; break;
        default:
            free(defines);
            return cli_usage_error("compile", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        free(defines);
        return cli_usage_error("compile", "no rule files given");
    }
    if (each) {
        if (output) {
            free(defines);
            return cli_usage_error("compile", "--each checks files; it writes no output");
        }
        int st = check_each(argc, argv, optind, defines, define_count);
        free(defines);
        return st;
    }
    if (!output && !check) {
        free(defines);
        return cli_usage_error("compile", "no output file given (-o OUT, or --check)");
    }
    cli_compile_memory(true); /* a compile to the end of the command */
    vt_error err;
    vt_error_clear(&err);
    vt_compiler *c;
    if (vt_compiler_new(&c, &err) != VT_OK) {
        free(defines);
        return cli_report("compile", &err);
    }
    int status = define_all(c, defines, define_count);
    for (int i = optind; i < argc && status == EXIT_CLEAN; i++) {
        char *ns;
        const char *path;
        vt_status st = vt_rules_split_arg(argv[i], &ns, &path, &err);
        if (st == VT_OK)
            st = vt_compiler_add_file(c, ns, path, &err);
        free(ns);
        if (st != VT_OK) {
            print_warnings(c, no_warnings);
            status = cli_report("compile", &err);
        }
    }
    vt_ruleset *rules = NULL;
    if (status == EXIT_CLEAN) {
        print_warnings(c, no_warnings);
        if (fail_on_warnings && vt_compiler_warning_count(c) > 0) {
            fprintf(stderr, "vitrine compile: %zu warning(s) and --fail-on-warnings\n",
                    vt_compiler_warning_count(c));
            status = EXIT_ERROR;
        } else if ((output /* the checksum: computed once, with the matcher's section */
                        ? vt_compiler_finish_unsealed(c, &rules, &err)
                        : vt_compiler_finish(c, &rules, &err)) != VT_OK) {
            status = cli_report("compile", &err);
        } else {
            /* the compiler's tables are not needed for the matcher: let them go before
             * Vectorscan's compile, the peak of memory (yara-rules: 113 -> 99 MB) */
            vt_compiler_free(c);
            c = NULL;
        }
    }
    if (status == EXIT_CLEAN && output) {
        /* Store the scanner's matcher (the Vectorscan database) too, so that loading the file
         * compiles nothing. */
        if (vt_ruleset_add_matcher(rules, &err) != VT_OK ||
            vt_ruleset_save(rules, output, &err) != VT_OK)
            status = cli_report("compile", &err);
    }
    if (status == EXIT_CLEAN && stats) {
        vt_ruleset_view v;
        vt_ruleset_get_view(rules, &v);
        size_t len;
        vt_ruleset_image(rules, &len);
        printf("rules %zu strings %zu nodes %zu namespaces %zu bytes %zu\n", v.rule_count,
               v.string_count, v.node_count, v.namespace_count, len);
    }
    vt_ruleset_free(rules);
    vt_compiler_free(c);
    free(defines);
    return status;
}

const struct vt_command command_compile = {
    .name = "compile",
    .summary = "compile YARA rules into a ruleset file (like yarac)",
    .manual =
        "NAME\n"
        "    vitrine compile - compile YARA rules into a ruleset file (like yarac)\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine compile [-d NAME=VALUE]... [-w] [--fail-on-warnings] [NS:]RULES... -o OUT\n"
        "    vitrine compile [-d NAME=VALUE]... --check [NS:]RULES...\n"
        "    vitrine compile [-d NAME=VALUE]... --each RULES...\n"
        "\n"
        "DESCRIPTION\n"
        "    Reads YARA 4.x rule files and checks them as yara 4.2.3 does: the same files are\n"
        "    accepted and rejected. Each RULES file may be prefixed with a namespace (NS:FILE);\n"
        "    without one its rules go to the namespace \"default\". include directives are\n"
        "    resolved relative to the including file. Modules are type-checked against their\n"
        "    declarations (pe, elf, math, hash, time, console, dotnet, dex, macho, magic,\n"
        "    cuckoo, tests). Warnings are printed with yara's wording. An error is printed as\n"
        "    FILE:LINE:COL: message; then nothing is written. OUT is written atomically in the\n"
        "    format of docs/ruleset-format.md.\n"
        "\n"
        "OPTIONS\n"
        "    -o, --output OUT        write the compiled ruleset to OUT\n"
        "    -d, --define NAME=VALUE define an external variable as yarac does: true/false, an\n"
        "                            integer ([-]digits), a float ([-]digits.digits), or a string\n"
        "    -w, --no-warnings       do not print warnings\n"
        "    --fail-on-warnings      treat warnings as errors\n"
        "    -n, --check             only check the rules, write nothing\n"
        "    -s, --stats             print counts of rules, strings, nodes and the size\n"
        "    --each                  check every file on its own (a fresh compiler each) and\n"
        "                            print \"ok FILE N warning(s)\" or\n"
        "                            \"error FILE: LOCATION: message\"\n"
        "\n"
        "EXIT STATUS\n"
        "    0 the rules compiled (and OUT was written), 2 an error (nothing written; with\n"
        "    --each: some file did not compile).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine compile rules/index.yar -o rules.vtr\n"
        "    vitrine compile malware:mal.yar pua:pua.yar -d env=prod -o all.vtr\n"
        "    vitrine compile --check new.yar\n",
    .run = run_compile,
};
