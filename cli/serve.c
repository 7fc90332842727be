/* serve.c: `vitrine serve SERVICE ...`: runs one of vitrine's HTTP services in the foreground
 * until SIGINT or SIGTERM. Services are listed in a table; `log` serves a log directory
 * (server/log_server.h), `collector` receives telemetry reports (server/collector.h), `center`
 * builds the transparency center of a log (cli/center.c) into a temporary directory, serves it
 * (server/center_server.h) and rebuilds it periodically. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "center.h"
#include "center_server.h"
#include "collector.h"
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

/* Block SIGINT and SIGTERM before a server's threads start, so they inherit the mask and only
 * wait_for_signal sees them. */
static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int parse_seconds(const char *option, const char *value, unsigned *out)
{
    char *end;
    unsigned long n = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end || n == 0 || n > 86400ul * 365)
        return cli_usage_error("serve", "%s takes a positive number of seconds, not '%s'", option,
                               value);
    *out = (unsigned)n;
    return EXIT_CLEAN;
}

static int serve_collector(int argc, char **argv)
{
    vt_collector_options o = {.db = "collector.sqlite", .purge_interval = 3600,
                              .log_deadline = 60, .log_reread = 1};
    vt_http_limits_default(&o.limits);
    /* Requests wait for their batch's commit in a worker thread: more threads, larger batches. */
    o.limits.threads = 8;
    const char *vkey = NULL;
    vt_error err;
    vt_error_clear(&err);
    for (int i = 2; i < argc; i++) {
        int used = 0;
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (vt_http_limits_option(&o.limits, argv[i], value ? value : "", &used, &err) != VT_OK)
            return cli_usage_error("serve", "%s", err.message);
        if (used) {
            i++;
            continue;
        }
        if (!value)
            return cli_usage_error("serve", "'%s' needs a value or is unknown", argv[i]);
        if (strcmp(argv[i], "--log") == 0)
            o.log = value;
        else if (strcmp(argv[i], "--vkey") == 0)
            vkey = value;
        else if (strcmp(argv[i], "--listen") == 0)
            o.listen = value;
        else if (strcmp(argv[i], "--db") == 0)
            o.db = value;
        else if (strcmp(argv[i], "--postgres") == 0)
            o.postgres = value;
        else if (strcmp(argv[i], "--purge-interval") == 0) {
            if (parse_seconds(argv[i], value, &o.purge_interval) != EXIT_CLEAN)
                return EXIT_ERROR;
        } else if (strcmp(argv[i], "--log-deadline") == 0) {
            if (parse_seconds(argv[i], value, &o.log_deadline) != EXIT_CLEAN)
                return EXIT_ERROR;
        } else if (strcmp(argv[i], "--log-reread") == 0) {
            if (parse_seconds(argv[i], value, &o.log_reread) != EXIT_CLEAN)
                return EXIT_ERROR;
        } else
            return cli_usage_error("serve", "unknown option '%s'", argv[i]);
        i++;
    }
    if (!o.log || !vkey || !o.listen)
        return cli_usage_error("serve", "usage: vitrine serve collector --log DIR|URL --vkey VKEY "
                                        "--listen HOST:PORT [--db FILE | --postgres URL]");
    vt_tlog_verifier *key = NULL;
    if (vt_tlog_verifier_load(vkey, &key, &err) != VT_OK)
        return cli_report("serve", &err);
    o.log_key = key;
    block_signals();
    vt_collector *collector;
    if (vt_collector_start(&o, &collector, &err) != VT_OK) {
        vt_tlog_verifier_free(key);
        return cli_report("serve", &err);
    }
    printf("collector: %" PRIu64 " log entries read; serving on port %u\n",
           vt_collector_log_size(collector), vt_collector_port(collector));
    fflush(stdout);
    wait_for_signal();
    vt_collector_stop(collector);
    vt_tlog_verifier_free(key);
    return EXIT_CLEAN;
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
    block_signals();
    vt_log_server *srv;
    if (vt_log_server_start(dir, listen, &limits, &srv, &err) != VT_OK)
        return cli_report("serve", &err);
    printf("serving %s on port %u\n", dir, vt_log_server_port(srv));
    fflush(stdout);
    wait_for_signal();
    vt_log_server_stop(srv);
    return EXIT_CLEAN;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Build the center into a new temporary directory (its name in dir, PATH_MAX bytes). */
static vt_status build_temp(const center_options *o, char *dir, size_t dir_size, vt_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, dir_size, "%s/vitrine-center.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", dir);
    uint64_t size = 0;
    vt_status st = center_build(dir, o, &size, err);
    if (st != VT_OK)
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return st;
}

static int serve_center(int argc, char **argv)
{
    const char *listen = NULL;
    center_options o = {0};
    unsigned long refresh = 60;
    vt_http_limits limits;
    vt_http_limits_default(&limits);
    vt_error err;
    vt_error_clear(&err);
    for (int i = 2; i < argc; i += 2) { /* every option takes a value */
        int used = 0;
        const char *value = i + 1 < argc ? argv[i + 1] : "";
        if (argv[i][0] != '-')
            return cli_usage_error("serve", "unexpected argument '%s'", argv[i]);
        if (vt_http_limits_option(&limits, argv[i], value, &used, &err) != VT_OK ||
            (!used && center_option(&o, argv[i], value, &used, &err) != 0))
            return cli_usage_error("serve", "%s", err.message);
        if (!used && strcmp(argv[i], "--listen") == 0) {
            listen = value;
            used = 1;
        } else if (!used && strcmp(argv[i], "--refresh") == 0) {
            char *end;
            refresh = strtoul(value, &end, 10);
            if (end == value || *end || value[0] == '-' || refresh > 86400)
                return cli_usage_error("serve", "--refresh takes seconds (0 to 86400), not '%s'",
                                       value);
            used = 1;
        }
        if (!used)
            return cli_usage_error("serve", "unknown option '%s'", argv[i]);
        if (i + 1 == argc)
            return cli_usage_error("serve", "'%s' needs a value", argv[i]);
    }
    if (!listen || center_options_check(&o, &err) != VT_OK)
        return cli_usage_error("serve", "usage: vitrine serve center --log DIR|URL (--vkey VKEY |"
                                        " --policy FILE) --listen HOST:PORT [--refresh S] "
                                        "[limits]");
    char dir[4096];
    if (build_temp(&o, dir, sizeof dir, &err) != VT_OK) {
        cli_report("serve", &err);
        return err.status == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    vt_center_server *srv;
    if (vt_center_server_start(dir, listen, &limits, &srv, &err) != VT_OK) {
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        return cli_report("serve", &err);
    }
    printf("serving the transparency center of %s on port %u\n", o.log,
           vt_center_server_port(srv));
    fflush(stdout);
    for (;;) {
        struct timespec wait = {.tv_sec = (time_t)refresh};
        int sig = refresh ? sigtimedwait(&set, NULL, &wait) : sigwaitinfo(&set, NULL);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig < 0 && errno != EAGAIN)
            continue; /* EINTR */
        char next[4096];
        if (build_temp(&o, next, sizeof next, &err) != VT_OK ||
            vt_center_server_switch(srv, next, &err) != VT_OK) {
            /* The last good build stays served; a fork is for the visitors' browsers to see. */
            fprintf(stderr, "vitrine serve: rebuild failed, still serving the last build: %s\n",
                    err.message);
            continue;
        }
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        memcpy(dir, next, sizeof dir);
    }
    vt_center_server_stop(srv);
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return EXIT_CLEAN;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} services[] = {
    {"log", serve_log},
    {"center", serve_center},
    {"collector", serve_collector},
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
    .summary = "run an HTTP service (a log directory, the transparency center, a collector)",
    .manual = "NAME\n"
              "    vitrine serve - run an HTTP service (a log directory, the transparency center, a\n"
              "    telemetry collector)\n"
              "\n"
              "SYNOPSIS\n"
              "    vitrine serve log DIR --listen HOST:PORT [LIMITS]\n"
              "    vitrine serve collector --log DIR|URL --vkey VKEY --listen HOST:PORT\n"
              "                            [--db FILE | --postgres URL] [--purge-interval S]\n"
              "                            [--log-deadline S] [--log-reread S] [LIMITS]\n"
              "    vitrine serve center --log DIR|URL (--vkey VKEY | --policy FILE)\n"
              "                         --listen HOST:PORT [--refresh S] [LIMITS]\n"
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
              "    serve center builds the transparency center of the log (as 'vitrine center\n"
              "    build' does, into a temporary directory; the log must verify under --vkey or\n"
              "    --policy) and serves it: the page (index.html at /, center.js, center.css,\n"
              "    feed.json), its copy of the log under log/ (tlog-tiles paths only) and its\n"
              "    packs pack/N (groups of full tiles and their bundles). Every\n"
              "    --refresh seconds (default 60; 0: never) it builds again from the log and\n"
              "    switches to the new build; a failed rebuild is reported on stderr and the last\n"
              "    build stays served. Prints 'serving the transparency center of LOG on port N'.\n"
              "\n"
              "    The server holds against hostile clients: connections are limited overall and\n"
              "    per client address, a request must be complete and answered within the\n"
              "    request timeout however steadily the client trickles bytes (slowloris), and a\n"
              "    request announcing a body is answered 413 without reading it.\n"
              "\n"
              "    serve collector receives telemetry reports (docs/telemetry.md, Collector):\n"
              "    POST /reports (at most 64 KiB) and POST /samples (at most 24 MiB) take one\n"
              "    JSON report each. It is checked against the data-policy entry at the log index\n"
              "    it names (read from the log with its checkpoint signature and inclusion proof\n"
              "    checked; the log is read again when a report names a newer index): 201\n"
              "    {\"stored\":ID}, 200 {\"duplicate\":ID} for an id already stored, 400\n"
              "    {\"error\":...} naming the field the policy does not allow, or another\n"
              "    policy index that is not a data-policy entry, 413 too large, 503 overloaded\n"
              "    (with Retry-After; also for a policy index beyond the log read less than\n"
              "    --log-reread seconds ago). GET /aggregate?day=YYYY-MM-DD is public: the detections\n"
              "    of that day's scan-summary reports summed per rule log index. No client\n"
              "    address is stored or logged; a report carries a day, never a time; each\n"
              "    field is deleted once its day plus its retention has passed (at start and\n"
              "    every --purge-interval). A log that cannot be read at start is an error.\n"
              "\n"
              "OPTIONS\n"
              "    --listen HOST:PORT   address to listen on: 127.0.0.1:8080, :8080 (all IPv4\n"
              "                         addresses), [::1]:8080\n"
              "  CENTER\n"
              "    --log, --vkey, --policy, --deadline   as 'vitrine center build'\n"
              "    --refresh S          rebuild every S seconds (default 60; 0: never)\n"
              "  COLLECTOR\n"
              "    --log DIR|URL        the transparency log holding the data policies\n"
              "    --vkey VKEY          the log's verifier key (file or text)\n"
              "    --db FILE            SQLite database (default collector.sqlite; WAL)\n"
              "    --postgres URL       PostgreSQL instead (a libpq URL); several collectors may\n"
              "                         share one database\n"
              "    --purge-interval S   seconds between retention purges (default 3600)\n"
              "    --log-deadline S     seconds one reading of the log may take (default 60)\n"
              "    --log-reread S       a report naming a policy index beyond the log as read\n"
              "                         makes the collector read the log again, at most once\n"
              "                         per S seconds (default 1); until then it is answered 503\n"
              "    (the collector's default for --threads is 8: a request waits in its thread\n"
              "    for the commit of the batch it joined)\n"
              VT_HTTP_LIMITS_MANUAL
              "\n"
              "EXIT STATUS\n"
              "    0 after a clean shutdown, 2 on error.\n"
              "\n"
              "EXAMPLES\n"
              "    vitrine serve log /srv/log --listen 127.0.0.1:8080\n"
              "    vitrine log verify http://127.0.0.1:8080/ --vkey rules.pub\n"
              "    vitrine serve collector --log https://rules.example/log/ --vkey rules.pub \\\n"
              "        --listen 127.0.0.1:8081 --db /var/lib/vitrine/collector.sqlite\n"
              "    vitrine serve center --log /srv/log --policy policy --listen 127.0.0.1:8082\n",
    .run = run_serve,
};
