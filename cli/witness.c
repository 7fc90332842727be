/* witness.c: `vitrine witness serve`: runs a C2SP tlog-witness (server/witness_server.h) in the
 * foreground until SIGINT or SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "witness_server.h"

#define MAX_LOGS 64

static int run_witness(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "serve") != 0)
        return cli_usage_error("witness", "the only verb is 'serve'");
    const char *db = NULL, *key_path = NULL, *listen = NULL, *vkeys[MAX_LOGS];
    size_t nlogs = 0;
    vt_http_limits limits;
    vt_http_limits_default(&limits);
    vt_error err;
    vt_error_clear(&err);
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (i + 1 == argc)
            return cli_usage_error("witness", "'%s' needs a value or is unknown", opt);
        int used;
        if (vt_http_limits_option(&limits, opt, argv[i + 1], &used, &err) != VT_OK)
            return cli_usage_error("witness", "%s", err.message);
        if (used)
            i++;
        else if (strcmp(opt, "--db") == 0)
            db = argv[++i];
        else if (strcmp(opt, "--key") == 0)
            key_path = argv[++i];
        else if (strcmp(opt, "--listen") == 0)
            listen = argv[++i];
        else if (strcmp(opt, "--log-vkey") == 0 && nlogs < MAX_LOGS)
            vkeys[nlogs++] = argv[++i];
        else
            return cli_usage_error("witness", "unknown option '%s'", opt);
    }
    if (!db || !key_path || !listen || nlogs == 0)
        return cli_usage_error("witness", "give --db, --key, --listen and --log-vkey");
    vt_tlog_signer *key = NULL;
    vt_tlog_verifier *logs[MAX_LOGS] = {0};
    int rc = EXIT_CLEAN;
    if (vt_tlog_signer_load(key_path, &key, &err) != VT_OK)
        return cli_report("witness", &err);
    for (size_t i = 0; i < nlogs && rc == EXIT_CLEAN; i++)
        if (vt_tlog_verifier_load(vkeys[i], &logs[i], &err) != VT_OK)
            rc = cli_report("witness", &err);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    vt_witness_server *srv = NULL;
    if (rc == EXIT_CLEAN &&
        vt_witness_server_start(db, key, logs, nlogs, listen, &limits, &srv, &err) != VT_OK)
        rc = cli_report("witness", &err);
    if (rc == EXIT_CLEAN) {
        printf("witness %s on port %u\n", vt_tlog_signer_name(key), vt_witness_server_port(srv));
        fflush(stdout);
        int sig;
        sigwait(&set, &sig);
        vt_witness_server_stop(srv);
    }
    for (size_t i = 0; i < nlogs; i++)
        vt_tlog_verifier_free(logs[i]);
    vt_tlog_signer_free(key);
    return rc;
}

const struct vt_command command_witness = {
    .name = "witness",
    .summary = "run a C2SP tlog-witness that cosigns consistent checkpoints",
    .manual =
        "NAME\n"
        "    vitrine witness - run a transparency log witness\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine witness serve --db FILE --key KEY --listen HOST:PORT --log-vkey VKEY...\n"
        "                          [LIMITS]\n"
        "\n"
        "DESCRIPTION\n"
        "    Serves POST /add-checkpoint of c2sp.org/tlog-witness: the body is 'old SIZE', the\n"
        "    consistency proof lines, a blank line and the signed checkpoint. The witness cosigns\n"
        "    (cosignature/v1) only a checkpoint signed by a known log that is consistent with the\n"
        "    last one it cosigned for that log: 404 unknown log, 403 no valid log signature,\n"
        "    400 malformed or old size beyond the checkpoint, 409 with the known size in the\n"
        "    body (text/x.tlog.size) when old is not the size it knows, 422 when the proof does\n"
        "    not verify. The latest checkpoint of each log is kept in the SQLite FILE; check and\n"
        "    store are one transaction. Prints 'witness NAME on port N' and runs until SIGINT\n"
        "    or SIGTERM. Make the key with 'vitrine keygen --witness'.\n"
        "\n"
        "    A held-up witness looks like a freeze to every client, so it holds against\n"
        "    hostile ones: connections are limited overall and per client address, a request\n"
        "    must be complete and answered within the request timeout however steadily the\n"
        "    client trickles bytes (slowloris), a body announced over the size of a largest\n"
        "    valid request (Content-Length) is answered 413 before any of it is read, and a\n"
        "    chunked body is cut off (connection closed) as soon as it passes that size, and\n"
        "    when all worker threads but one are busy storing (the database locked by another\n"
        "    process, a slow disk) a request waits at most 1 s, then gets 503 (Retry-After).\n"
        "\n"
        "OPTIONS\n"
        "    --db FILE        SQLite database (created if missing)\n"
        "    --key KEY        the witness's private key (type 0x04)\n"
        "    --listen A:P     address and port: 127.0.0.1:8081, :8081, [::1]:8081 (port 0\n"
        "                     picks a free one)\n"
        "    --log-vkey VKEY  a log's verifier key (a file or the key text); may be repeated\n"
        VT_HTTP_LIMITS_MANUAL
        "\n"
        "EXIT STATUS\n"
        "    0 after a clean shutdown, 2 on error.\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine witness serve --db w.db --key w.key --listen 127.0.0.1:8081 --log-vkey log.pub\n",
    .run = run_witness,
};
