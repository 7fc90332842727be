/* submit.c: `vitrine submit FILE`: send one detected file to the vendor as a `sample` report, and
 * only after showing what will be sent (type, size, SHA-256, the rule and log index that fired)
 * and asking. Refused: a file the installed ruleset does not detect, a document (PDF, OLE2,
 * OOXML, ODF, RTF, plain text; vt_telemetry_document_kind) without
 * --i-understand-this-is-a-document, no consent for a policy declaring `sample`. The report goes
 * through the queue, the check and the ledger like every other (docs/telemetry.md, "Samples").
 * A vitrine-net subcommand. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>
#include <openssl/evp.h>

#include <vitrine/distrib.h>
#include <vitrine/scan.h>
#include <vitrine/telemetry.h>

#include "command.h"

typedef struct detection {
    const char *rule;
    const vt_installed_entry *origin;
} detection;

/* libmagic's answer for the bytes (flags: MAGIC_NONE for the description, MAGIC_MIME_TYPE). */
static void magic_of(const void *data, size_t len, int flags, char *out, size_t size)
{
    snprintf(out, size, "unknown");
    magic_t cookie = magic_open(flags);
    if (!cookie)
        return;
    const char *answer = magic_load(cookie, NULL) == 0 ? magic_buffer(cookie, data, len) : NULL;
    if (answer)
        snprintf(out, size, "%s", answer);
    magic_close(cookie);
}

/* At most 256 bytes, cut on a UTF-8 boundary, control characters replaced by spaces: the
 * policy's `string` type. */
static void as_report_string(char *s)
{
    size_t i = 0, keep = 0;
    while (s[i]) {
        uint32_t cp;
        size_t k = vt_utf8_next((const unsigned char *)s + i, strlen(s + i), &cp);
        if (k == 0) {
            s[i] = '?';
            k = 1;
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            memset(s + i, ' ', k);
        }
        if (i + k > VT_TELEMETRY_MAX_STRING)
            break;
        i += k;
        keep = i;
    }
    s[keep] = 0;
}

static int confirm(const char *question)
{
    if (!isatty(STDIN_FILENO)) {
        fputs("vitrine submit: not a terminal: give --yes to confirm\n", stderr);
        return -1;
    }
    printf("%s [y/N] ", question);
    fflush(stdout);
    char answer[16] = "";
    return fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

static void on_sent(void *user, const vt_telemetry_pending *item, const char *outcome,
                    const char *detail)
{
    (void)user;
    printf("%s: report %s (%zu bytes) -> %s%s%s\n", outcome, item->id, item->payload_len,
           item->destination[0] ? item->destination : "(nowhere)", detail[0] ? ": " : "",
           detail);
}

static int submit(const char *path, const char *state_dir, int yes, int document_ok)
{
    vt_error err;
    vt_error_clear(&err);
    unsigned char *data = NULL;
    size_t len = 0;
    vt_status st = vt_read_file(path, VT_TELEMETRY_MAX_BYTES, &data, &len, &err);
    if (st == VT_ERR_LIMIT)
        st = vt_error_at(&err, VT_ERR_LIMIT, path, 0, 0, "a sample is at most %u bytes",
                         VT_TELEMETRY_MAX_BYTES);
    if (st != VT_OK)
        return cli_report("submit", &err);
    int rc = EXIT_ERROR;
    vt_installed *installed = NULL;
    vt_scanner *scanner = NULL;
    vt_scan_ctx *ctx = NULL;
    vt_telemetry_state *state = NULL;
    vt_telemetry_ledger *ledger = NULL;
    detection *found = NULL;
    size_t found_count = 0;
    char *b64 = NULL;
    if ((st = vt_installed_load(state_dir, &installed, &err)) != VT_OK) {
        if (st == VT_ERR_NOT_FOUND)
            fputs("vitrine submit: no ruleset installed: only a file the installed ruleset "
                  "detects can be submitted\n", stderr);
        cli_report("submit", &err);
        goto done;
    }
    vt_ruleset_view view;
    vt_ruleset_get_view(installed->rules, &view);
    vt_scan_options options = {0};
    if (vt_scanner_new(installed->rules, &scanner, &err) != VT_OK ||
        vt_scan_ctx_new(scanner, &options, &ctx, &err) != VT_OK ||
        vt_scan_buffer(ctx, data, len, &err) != VT_OK) {
        cli_report("submit", &err);
        goto done;
    }
    found = calloc(view.rule_count + 1, sizeof *found);
    for (uint32_t r = 0; found && r < view.rule_count; r++) {
        const vt_rs_rule *rule = &view.rules[r];
        if ((rule->flags & VT_RULE_PRIVATE) || !vt_scan_rule_matched(ctx, r))
            continue;
        const vt_installed_entry *origin = vt_installed_entry_for(
            installed, vt_ruleset_str(installed->rules, view.namespaces[rule->ns]));
        if (origin)
            found[found_count++] = (detection){vt_ruleset_str(installed->rules, rule->name),
                                               origin};
    }
    if (found_count == 0) {
        fprintf(stderr,
                "vitrine submit: %s is not detected by the installed ruleset (serial %" PRIu64
                "): only a detected file can be submitted; nothing sent\n",
                path, installed->serial);
        goto done;
    }
    char description[1024], mime[256];
    magic_of(data, len, MAGIC_NONE, description, sizeof description);
    magic_of(data, len, MAGIC_MIME_TYPE, mime, sizeof mime);
    as_report_string(description);
    unsigned char hash[32];
    char hex[65];
    vt_distrib_sha256(data, len, hash);
    vt_distrib_hex(hash, hex);
    printf("file: %s\ntype: %s (%s)\nsize: %zu bytes\nsha256: %s\n", path, description, mime, len,
           hex);
    for (size_t i = 0; i < found_count; i++)
        printf("detected by: %s (log %" PRIu64 ", sha256 %s)\n", found[i].rule,
               found[i].origin->index, found[i].origin->hex);
    const char *kind = vt_telemetry_document_kind(mime, data, len);
    if (kind && !document_ok) {
        fprintf(stderr,
                "vitrine submit: refusing: %s is a document (%s), which may hold personal "
                "content; give --i-understand-this-is-a-document to submit it anyway. Nothing "
                "was sent.\n",
                path, kind);
        goto done;
    }
    if ((st = vt_telemetry_state_load(state_dir, &state, &err)) != VT_OK) {
        if (st == VT_ERR_NOT_FOUND)
            fputs("vitrine submit: no data policy installed: nothing can be sent\n", stderr);
        else
            cli_report("submit", &err);
        rc = st == VT_ERR_VERIFY ? EXIT_FOUND : EXIT_ERROR;
        goto done;
    }
    if (!vt_data_policy_report(&state->policy, "sample")) {
        fprintf(stderr, "vitrine submit: data policy %" PRIu64 " declares no 'sample' report: "
                        "files cannot be submitted; nothing sent\n", state->index);
        goto done;
    }
    if (!state->usable) {
        fprintf(stderr, "vitrine submit: no consent for data policy %" PRIu64 " (see 'vitrine "
                        "telemetry status', then 'vitrine telemetry enable'); nothing sent\n",
                state->index);
        goto done;
    }
    printf("it will be sent, as report 'sample' of data policy %" PRIu64 ", to %s/samples%s\n",
           state->index, state->policy.collector, kind ? " (a document: you said you understand)"
                                                       : "");
    if (!yes) {
        int answer = confirm("Send this file?");
        if (answer <= 0) {
            if (answer == 0)
                printf("not sent\n");
            rc = answer == 0 ? EXIT_CLEAN : EXIT_ERROR;
            goto done;
        }
    }
    size_t b64_len = 4 * ((len + 2) / 3);
    if (!(b64 = malloc(b64_len + 1))) {
        fputs("vitrine submit: out of memory\n", stderr);
        goto done;
    }
    EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
    vt_telemetry_field fields[] = {
        {.name = "content", .type = VT_POLICY_BYTES, .text = b64, .text_len = b64_len},
        {.name = "file-type", .type = VT_POLICY_STRING, .text = description,
         .text_len = strlen(description)},
        {.name = "rule-index", .type = VT_POLICY_INTEGER, .integer = found[0].origin->index},
        {.name = "rule-name", .type = VT_POLICY_STRING, .text = (char *)found[0].rule,
         .text_len = strlen(found[0].rule)},
        {.name = "sha256", .type = VT_POLICY_SHA256, .text = hex, .text_len = 64},
    };
    vt_telemetry_report report = {.fields = fields,
                                  .field_count = sizeof fields / sizeof fields[0]};
    snprintf(report.report, sizeof report.report, "sample");
    char queued[4400];
    if (vt_telemetry_queue(state, &report, queued, sizeof queued, &err) != VT_OK) {
        fputs("vitrine submit: the data policy does not allow this sample: ", stderr);
        cli_report("submit", &err);
        goto done;
    }
    if (vt_telemetry_ledger_open(state->dir, &ledger, &err) != VT_OK) {
        cli_report("submit", &err);
        goto done;
    }
    vt_telemetry_send_result result;
    st = vt_telemetry_send(state, ledger, on_sent, NULL, &result, &err);
    if (st != VT_OK) {
        cli_report("submit", &err);
        goto done;
    }
    rc = EXIT_CLEAN;
done:
    free(b64);
    free(found);
    vt_telemetry_ledger_close(ledger);
    vt_telemetry_state_free(state);
    vt_scan_ctx_free(ctx);
    vt_scanner_free(scanner);
    vt_installed_free(installed);
    free(data);
    return rc;
}

static int run_submit(int argc, char **argv)
{
    const char *path = NULL, *state_dir = NULL;
    int yes = 0, document_ok = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--yes") == 0)
            yes = 1;
        else if (strcmp(argv[i], "--i-understand-this-is-a-document") == 0)
            document_ok = 1;
        else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            state_dir = argv[++i];
        else if (argv[i][0] == '-' || path)
            return cli_usage_error("submit", "unknown option or second file '%s'", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return cli_usage_error("submit", "give the FILE to submit");
    return submit(path, state_dir, yes, document_ok);
}

const struct vt_command command_submit = {
    .name = "submit",
    .summary = "send one detected file to the vendor, after showing it and asking",
    .manual =
        "NAME\n"
        "    vitrine submit - send a detected file as a sample, never silently\n"
        "\n"
        "SYNOPSIS\n"
        "    vitrine submit [--yes] [--i-understand-this-is-a-document] [--state DIR] FILE\n"
        "\n"
        "DESCRIPTION\n"
        "    Scans FILE with the installed ruleset and refuses it unless a rule fires. Shows what\n"
        "    would be sent: its type (libmagic), size, SHA-256, each rule that fired with the\n"
        "    log index and hash of its entry, and the collector; then asks on the terminal.\n"
        "    Documents (PDF, OLE2, OOXML, ODF, RTF, plain text), which may hold personal\n"
        "    content, are refused without --i-understand-this-is-a-document. Needs consent\n"
        "    ('vitrine telemetry enable') for a data policy that declares a 'sample' report.\n"
        "    The report (content, file-type, rule-index, rule-name, sha256) is checked against\n"
        "    the policy, queued, committed to the ledger and only then POSTed to the\n"
        "    collector's /samples, with every other pending report ('vitrine telemetry send').\n"
        "    Nothing ever submits a file automatically. At most 16 MiB. See docs/telemetry.md.\n"
        "\n"
        "OPTIONS\n"
        "    --yes                              do not ask (scripts)\n"
        "    --i-understand-this-is-a-document  allow a document type\n"
        "    --state DIR                        the state directory (default as for update)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 sent (or not confirmed), 1 the installed data policy does not verify, 2 refused\n"
        "    or an error (not detected, a document, no consent, no terminal, not delivered:\n"
        "    then it stays queued in the ledger).\n"
        "\n"
        "EXAMPLES\n"
        "    vitrine submit ~/Downloads/invoice.exe\n",
    .run = run_submit,
};
