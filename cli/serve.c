/* serve.c: `vitrine serve SERVICE ...`: runs one of vitrine's HTTP services in the foreground
 * until SIGINT or SIGTERM. Services are listed in a table; `log` serves a log directory
 * (server/log_server.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "log_server.h"

/* Block until SIGINT or SIGTERM. */
static void wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig;
    sigwait(&set, &sig);
}

static int serve_log(int argc, char **argv)
{
    const char *dir = NULL, *listen = NULL;
    vt_http_limits limits;
    vt_http_limits_default(&limits);
    vt_error err;
    vt_error_clear(&err);
    for (int i = 2; i < argc; i++) {
        int used = 0;
        if (argv[i][0] == '-' &&
            vt_http_limits_option(&limits, argv[i], i + 1 < argc ? argv[i + 1] : "", &used,
                                  &err) != VT_OK)
            return cli_usage_error("serve", "%s", err.message);
        if (used) {
            i++;
        } else if (strcmp(argv[i], "--listen") == 0) {
            if (++i == argc)
                return cli_usage_error("serve", "--listen needs HOST:PORT");
            listen = argv[i];
        } else if (argv[i][0] == '-') {
            return cli_usage_error("serve", "unknown option '%s'", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error("serve", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!dir || !listen)
        return cli_usage_error("serve", "usage: vitrine serve log DIR --listen HOST:PORT "
                                        "[limits]");
    /* Block the signals before the server's threads start, so they inherit the mask and only
     * sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    vt_log_server *srv;
    if (vt_log_server_start(dir, listen, &limits, &srv, &err) != VT_OK)
        return cli_report("serve", &err);
    printf("serving %s on port %u\n", dir, vt_log_server_port(srv));
    fflush(stdout);
    wait_for_signal();
    vt_log_server_stop(srv);
    return EXIT_CLEAN;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} services[] = {
    {"log", serve_log},
};

static int run_serve(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("serve", "no service given");
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(argv[1], services[i].name) == 0)
            return services[i].run(argc, argv);
    return cli_usage_error("serve", "unknown service '%s'", argv[1]);
}

const struct vt_command command_serve = {
    .name = "serve",
    .summary = "run an HTTP service (a transparency log directory)",
    .manual = "NAME\n"
              "    vitrine serve - run an HTTP service (a transparency log directory)\n"
              "\n"
              "SYNOPSIS\n"
              "    vitrine serve log DIR --listen HOST:PORT [LIMITS]\n"
              "\n"
              "DESCRIPTION\n"
              "    serve log serves the log in DIR read-only over HTTP in the C2SP tlog-tiles\n"
              "    layout, until SIGINT or SIGTERM. Only layout paths are served (checkpoint,\n"
              "    tile/L/N[.p/W], tile/entries/N[.p/W]); anything else is 404. Full tiles and\n"
              "    entry bundles are sent with 'Cache-Control: public, max-age=31536000,\n"
              "    immutable', partial ones with 'public, max-age=5' and the checkpoint with\n"
              "    'no-cache', so a CDN may sit in front. Port 0 picks a free port; the port\n"
              "    is printed as 'serving DIR on port N'. Put TLS in front (a reverse proxy)\n"
              "    for a public log.\n"
              "\n"
              "    The server holds against hostile clients: connections are limited overall and\n"
              "    per client address, a request must be complete and answered within the\n"
              "    request timeout however steadily the client trickles bytes (slowloris), and a\n"
              "    request announcing a body is answered 413 without reading it.\n"
              "\n"
              "OPTIONS\n"
              "    --listen HOST:PORT   address to listen on: 127.0.0.1:8080, :8080 (all IPv4\n"
              "                         addresses), [::1]:8080\n"
              VT_HTTP_LIMITS_MANUAL
              "\n"
              "EXIT STATUS\n"
              "    0 after a clean shutdown, 2 on error.\n"
              "\n"
              "EXAMPLES\n"
              "    vitrine serve log /srv/log --listen 127.0.0.1:8080\n"
              "    vitrine log verify http://127.0.0.1:8080/ --vkey rules.pub\n",
    .run = run_serve,
};
