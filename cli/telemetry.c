/* telemetry.c: `vitrine telemetry status|enable|disable|preview|ledger|send`: the user's view of
 * and control over the data channel (docs/telemetry.md). Consent is given for the log index of
 * the data policy in force only; preview prints exactly the bytes the next send would send;
 * ledger prints every payload committed (text or JSON); send commits each payload to the ledger
 * before POSTing it (lib/telemetry/send.c). A vitrine-net subcommand (SQLite, libcurl). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <vitrine/telemetry.h>

#include "command.h"

typedef struct telemetry_args {
    const char *state_dir;
    int yes, json;
} telemetry_args;

/* Load the state; prints why and returns NULL when there is no usable policy. */
static vt_telemetry_state *load_state(const telemetry_args *a, int *rc)
{
    vt_error err;
    vt_error_clear(&err);
    vt_telemetry_state *s = NULL;
    vt_status st = vt_telemetry_state_load(a->state_dir, &s, &err);
    if (st == VT_ERR_NOT_FOUND) {
        printf("no data policy installed: %s\ntelemetry is off: nothing is queued or sent\n",
               err.message);
        *rc = EXIT_CLEAN;
        return NULL;
    }
    if (st != VT_OK) {
        *rc = st == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
        cli_report("telemetry", &err);
        return NULL;
    }
    *rc = EXIT_CLEAN;
    return s;
}

static void print_policy(const vt_telemetry_state *s)
{
    const vt_data_policy_entry *p = &s->policy;
    printf("data policy in force: log index %" PRIu64 ", serial %" PRIu64 ", dated %s\n",
           s->index, p->serial, p->date);
    printf("collector: %s (the only place reports are sent)\n", p->collector);
    if (p->relay)
        printf("relay: %s: NOT used; this client sends straight to the collector (Oblivious "
               "HTTP is not implemented), so the collector sees your IP address (it promises "
               "not to store it)\n",
               p->relay);
    for (size_t r = 0; r < p->report_count; r++) {
        const vt_policy_report *report = &p->reports[r];
        printf("report %s: %s\n", report->name, report->purpose);
        for (size_t i = 0; i < report->field_count; i++) {
            const vt_policy_field *f = &report->fields[i];
            printf("  field %s: %s, category %u (%s), kept %u days, sent until %s: %s\n", f->name,
                   vt_policy_type_name(f->type), f->category, vt_policy_category_name(f->category),
                   f->retention_days, f->expires, f->purpose);
        }
    }
}

static void print_changes(const vt_telemetry_state *s)
{
    vt_buf text = {0};
    if (vt_policy_change_text(&s->change, &s->policy, &text, NULL) == VT_OK && text.len)
        fwrite(text.data, 1, text.len, stdout);
    vt_buf_free(&text);
}

static int open_ledger(const vt_telemetry_state *s, vt_telemetry_ledger **ledger)
{
    vt_error err;
    vt_error_clear(&err);
    if (vt_telemetry_ledger_open(s->dir, ledger, &err) != VT_OK)
        return cli_report("telemetry", &err);
    return EXIT_CLEAN;
}

/* The state and its ledger, for the commands that read or write both: NULL with *rc the exit
 * status when either cannot be opened. */
static vt_telemetry_state *load_state_and_ledger(const telemetry_args *a,
                                                 vt_telemetry_ledger **ledger, int *rc)
{
    vt_telemetry_state *s = load_state(a, rc);
    if (s && (*rc = open_ledger(s, ledger)) != EXIT_CLEAN) {
        vt_telemetry_state_free(s);
        s = NULL;
    }
    return s;
}

static int cmd_status(const telemetry_args *a)
{
    int rc;
    vt_telemetry_state *s = load_state(a, &rc);
    if (!s)
        return rc;
    print_policy(s);
    if (!s->has_consent)
        printf("consent: none: telemetry is off, nothing is queued or sent "
               "(run 'vitrine telemetry enable' to see what would be sent and agree)\n");
    else if (s->consent_index == s->index)
        printf("consent: given for data policy %" PRIu64 " (the one in force): scans with the "
               "installed ruleset queue a report\n",
               s->consent_index);
    else if (s->usable)
        printf("consent: given for data policy %" PRIu64 "; the one in force (%" PRIu64
               ") only narrows it, so reports follow it:\n",
               s->consent_index, s->index);
    else
        printf("consent: given for data policy %" PRIu64 " only; the one in force (%" PRIu64
               ") needs new consent and is not used: nothing new is queued until 'vitrine "
               "telemetry enable' is run again. What it changes:\n",
               s->consent_index, s->index);
    if (s->has_consent && s->consent_index != s->index)
        print_changes(s);
    char **paths = NULL;
    size_t queued = 0;
    vt_error err;
    if (vt_telemetry_queue_list(s->dir, &paths, &queued, &err) == VT_OK)
        vt_telemetry_list_free(paths, queued);
    printf("queued reports: %zu (in %s/queue)\n", queued, s->dir);
    vt_telemetry_state_free(s);
    return EXIT_CLEAN;
}

static int cmd_enable(const telemetry_args *a)
{
    int rc;
    vt_telemetry_state *s = load_state(a, &rc);
    if (!s)
        return rc == EXIT_CLEAN ? EXIT_ERROR : rc;
    printf("Enabling telemetry sends these reports, and nothing else, to the collector below.\n"
           "There is no machine or user identifier: each report has a random id.\n\n");
    print_policy(s);
    if (s->has_consent && s->consent_index != s->index) {
        printf("\ncompared with data policy %" PRIu64 ", which you agreed to:\n", s->consent_index);
        print_changes(s);
    }
    if (!a->yes) {
        if (!isatty(STDIN_FILENO)) {
            vt_telemetry_state_free(s);
            fputs("vitrine telemetry: not a terminal: give --yes to agree\n", stderr);
            return EXIT_ERROR;
        }
        printf("\nAgree to send these reports under data policy %" PRIu64 "? [y/N] ", s->index);
        fflush(stdout);
        char answer[16] = "";
        if (!fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
            printf("not enabled\n");
            vt_telemetry_state_free(s);
            return EXIT_CLEAN;
        }
    }
    vt_error err;
    vt_error_clear(&err);
    if (vt_telemetry_consent(s, &err) != VT_OK) {
        vt_telemetry_state_free(s);
        return cli_report("telemetry", &err);
    }
    printf("consent recorded for data policy %" PRIu64 " (and for it only)\n", s->index);
    vt_telemetry_state_free(s);
    return EXIT_CLEAN;
}

static int cmd_disable(const telemetry_args *a)
{
    int rc;
    vt_telemetry_state *s = load_state(a, &rc);
    if (!s)
        return rc;
    vt_error err;
    vt_error_clear(&err);
    vt_telemetry_ledger *ledger = NULL;
    vt_ledger_entry *rows = NULL;
    size_t count = 0;
    vt_status st = vt_telemetry_withdraw(s->dir, &err);
    if (st == VT_OK && (rc = open_ledger(s, &ledger)) != EXIT_CLEAN) {
        vt_telemetry_state_free(s);
        return rc;
    }
    if (st == VT_OK)
        st = vt_telemetry_ledger_list(ledger, "queued", &rows, &count, &err);
    for (size_t i = 0; i < count && st == VT_OK; i++)
        st = vt_telemetry_ledger_mark(ledger, rows[i].id, "withdrawn", 0, &err);
    vt_ledger_entries_free(rows, count);
    vt_telemetry_ledger_close(ledger);
    vt_telemetry_state_free(s);
    if (st != VT_OK)
        return cli_report("telemetry", &err);
    printf("consent withdrawn; queued reports deleted; %zu unsent ledger entries marked "
           "withdrawn; nothing will be sent\n",
           count);
    return EXIT_CLEAN;
}

static int cmd_preview(const telemetry_args *a)
{
    int rc;
    vt_telemetry_ledger *ledger = NULL;
    vt_telemetry_state *s = load_state_and_ledger(a, &ledger, &rc);
    if (!s)
        return rc;
    vt_error err;
    vt_error_clear(&err);
    vt_telemetry_pending *items = NULL;
    size_t count = 0;
    vt_status st = vt_telemetry_pending_list(s, ledger, &items, &count, &err);
    size_t sendable = 0;
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        if (items[i].sendable) {
            fwrite(items[i].payload, 1, items[i].payload_len, stdout);
            putchar('\n');
            fprintf(stderr, "# POST %s (%zu bytes, report %s)\n", items[i].destination,
                    items[i].payload_len, items[i].id);
            sendable++;
        } else {
            fprintf(stderr, "# not sent: report %s: %s\n", items[i].id, items[i].why);
        }
    }
    if (st == VT_OK)
        fprintf(stderr, "# the next send would send %zu report(s)\n", sendable);
    vt_telemetry_pending_free(items, count);
    vt_telemetry_ledger_close(ledger);
    vt_telemetry_state_free(s);
    return st == VT_OK ? EXIT_CLEAN : cli_report("telemetry", &err);
}

static int cmd_ledger(const telemetry_args *a)
{
    int rc;
    vt_telemetry_ledger *ledger = NULL;
    vt_telemetry_state *s = load_state_and_ledger(a, &ledger, &rc);
    if (!s)
        return rc;
    vt_error err;
    vt_error_clear(&err);
    vt_ledger_entry *rows = NULL;
    size_t count = 0;
    vt_status st = vt_telemetry_ledger_list(ledger, NULL, &rows, &count, &err);
    json_t *all = a->json ? json_array() : NULL;
    for (size_t i = 0; i < count && st == VT_OK; i++) {
        const vt_ledger_entry *e = &rows[i];
        if (a->json) {
            json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:s%}", "seq",
                                  (json_int_t)e->seq, "time", e->time, "destination",
                                  e->destination, "policy", (json_int_t)e->policy, "report",
                                  e->report, "id", e->id, "state", e->state, "state_time",
                                  e->state_time, "http_status", (json_int_t)e->http_status,
                                  "payload", (const char *)e->payload, e->payload_len);
            if (!o || json_array_append_new(all, o) != 0)
                st = vt_error_set(&err, VT_ERR_NOMEM, "cannot write the ledger as JSON");
        } else {
            printf("%" PRIu64 " %s %s policy %" PRIu64 " report %s id %s -> %s (%zu bytes)",
                   e->seq, e->time, e->state, e->policy, e->report, e->id, e->destination,
                   e->payload_len);
            if (e->state_time[0])
                printf(", %s at %s", e->state, e->state_time);
            if (e->http_status)
                printf(", HTTP %ld", e->http_status);
            putchar('\n');
            fwrite(e->payload, 1, e->payload_len, stdout);
            putchar('\n');
        }
    }
    if (a->json && st == VT_OK) {
        char *text = json_dumps(all, JSON_COMPACT);
        if (text) {
            puts(text);
            free(text);
        } else {
            st = vt_error_set(&err, VT_ERR_NOMEM, "cannot write the ledger as JSON");
        }
    } else if (st == VT_OK && count == 0) {
        printf("the ledger is empty: nothing was ever sent or committed for sending\n");
    }
    json_decref(all);
    vt_ledger_entries_free(rows, count);
    vt_telemetry_ledger_close(ledger);
    vt_telemetry_state_free(s);
    return st == VT_OK ? EXIT_CLEAN : cli_report("telemetry", &err);
}

static void on_sent(void *user, const vt_telemetry_pending *item, const char *outcome,
                    const char *detail)
{
    (void)user;
    printf("%s: report %s (%zu bytes) -> %s%s%s\n", outcome, item->id, item->payload_len,
           item->destination[0] ? item->destination : "(nowhere)", detail[0] ? ": " : "",
           detail);
    fflush(stdout);
}

static int cmd_send(const telemetry_args *a)
{
    int rc;
    vt_telemetry_ledger *ledger = NULL;
    vt_telemetry_state *s = load_state_and_ledger(a, &ledger, &rc);
    if (!s)
        return rc;
    vt_error err;
    vt_error_clear(&err);
    vt_telemetry_send_result result;
    vt_status st = vt_telemetry_send(s, ledger, on_sent, NULL, &result, &err);
    printf("sent %zu, already received %zu, refused %zu, held %zu, failed %zu\n", result.sent,
           result.duplicates, result.refused, result.held, result.failed);
    vt_telemetry_ledger_close(ledger);
    vt_telemetry_state_free(s);
    return st == VT_OK ? EXIT_CLEAN : cli_report("telemetry", &err);
}

static int run_telemetry(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("telemetry", "give status, enable, disable, preview, ledger or send");
    telemetry_args a = {0};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            a.state_dir = argv[++i];
        else if (strcmp(argv[i], "--yes") == 0 && strcmp(argv[1], "enable") == 0)
            a.yes = 1;
        else if (strcmp(argv[i], "--json") == 0 && strcmp(argv[1], "ledger") == 0)
            a.json = 1;
        else
            return cli_usage_error("telemetry", "unknown option '%s' for %s", argv[i], argv[1]);
    }
    static const struct {
        const char *name;
        int (*run)(const telemetry_args *);
    } subcommands[] = {{"status", cmd_status},   {"enable", cmd_enable}, {"disable", cmd_disable},
                       {"preview", cmd_preview}, {"ledger", cmd_ledger}, {"send", cmd_send}};
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(&a);
    return cli_usage_error("telemetry", "unknown subcommand '%s'", argv[1]);
}

const struct vt_command command_telemetry = {
    .name = "telemetry",
    .summary = "see, allow, withdraw and audit what the data channel sends (off by default)",
    .manual =
        "NAME\n"
        "    vitrine telemetry - the declared, opt-in, ledgered data channel\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine telemetry status|disable|preview|send [--state DIR]\n"
        "    vitrine telemetry enable [--yes] [--state DIR]\n"
        "    vitrine telemetry ledger [--json] [--state DIR]\n"
        "\n"
        "DESCRIPTION\n"
        "    Nothing is sent by default. What may ever be sent is declared by the data policy\n"
        "    in the transparency log ('vitrine publish --data-policy'), which 'vitrine update'\n"
        "    verifies and installs; every command here re-checks it offline first. There is no\n"
        "    machine or user identifier anywhere: each report carries a random id, used by the\n"
        "    collector only to store it once. See docs/telemetry.md.\n"
        "\n"
        "    status    the policy in force (reports, fields, categories, retention, expiry,\n"
        "              collector), the consent, the number of queued reports.\n"
        "    enable    shows every declared field and the collector, asks (or --yes), and\n"
        "              records consent for the log index of the policy in force only. A newer\n"
        "              policy that adds a field, raises a category, keeps data longer, extends\n"
        "              an expiry, changes a type or purpose, or names another collector or\n"
        "              relay is never used until enable is run again; one that only narrows is\n"
        "              used under the old consent.\n"
        "    disable   withdraws consent, deletes the queued reports and marks the ledger's\n"
        "              unsent entries 'withdrawn': nothing more leaves.\n"
        "    preview   prints on standard output exactly the bytes the next send would POST,\n"
        "              one report per line (a report never contains a newline); where each\n"
        "              goes, and what is held back and why, on standard error.\n"
        "    ledger    prints every payload ever committed for sending: sequence, time\n"
        "              (UTC), state (queued, sent, refused, withdrawn), policy index, report,\n"
        "              id, destination, size, the collector's HTTP answer, then the payload's\n"
        "              bytes; --json prints one JSON array of objects with the same fields.\n"
        "    send      for each pending report: check it again against its policy (consent,\n"
        "              declared and unexpired fields), commit it byte for byte to the ledger\n"
        "              (SQLite, synced), and only then POST it to the policy's collector (TLS\n"
        "              certificates checked; http:// only to 127.0.0.1 or localhost; no\n"
        "              redirect). A 201 or 200 'duplicate' marks it sent; 400 or 413 refused;\n"
        "              anything else leaves it queued and stops. A crash between the ledger and\n"
        "              the network loses nothing, and the collector stores a resent report once.\n"
        "              A relay named by the policy is not used (Oblivious HTTP is not\n"
        "              implemented).\n"
        "\n"
        "    Scans with the installed ruleset queue one scan-summary report (engine version,\n"
        "    ruleset serial, files scanned, duration, detections per rule log index) as a file\n"
        "    in STATE/telemetry/queue/ when consent covers the policy in force; otherwise they\n"
        "    write nothing. 'vitrine scan' itself never opens a socket.\n"
        "\n"
        "OPTIONS\n"
        "    --state DIR   the state directory (default as for 'vitrine update')\n"
        "    --yes         enable without asking (scripts)\n"
        "    --json        ledger as JSON\n"
        "\n"
        "EXIT STATUS\n"
        "    0 done; 1 the installed data policy does not verify; 2 an error (send: a report\n"
        "    could not be delivered and stays queued; enable: no policy, no terminal).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine telemetry status\n"
        "    vitrine telemetry enable\n"
        "    vitrine telemetry preview\n"
        "    vitrine telemetry send && vitrine telemetry ledger --json\n",
    .run = run_telemetry,
};
