/* audit_entry.h: auditing one rule entry of a log and printing its verdict, shared by
 * `vitrine audit --log` and `vitrine monitor --audit` (cli/audit.c). */
#ifndef VITRINE_CLI_AUDIT_ENTRY_H
#define VITRINE_CLI_AUDIT_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <vitrine/distrib.h>

/* Audit the rule entry at `index` (namespace log-INDEX), apply the logged acks, print the report
 * (text: flagged rules under "== log INDEX: rule entry sha256 HASH"; JSON: one object with
 * "index" and "sha256" first). *flagged: some finding is not acknowledged. Returns 0, or 2 on
 * an error (a source that does not compile alone, memory). */
int cli_audit_entry(const void *entry, size_t len, uint64_t index, const vt_audit_ack_entry *acks,
                    size_t ack_count, bool json, bool all, bool *flagged);

#endif
