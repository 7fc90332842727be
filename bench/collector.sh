#!/usr/bin/env bash
# collector.sh: accepted telemetry reports per second of `vitrine serve collector` (issue 13;
# goal: at least 5,000/s on SQLite on one core), on SQLite and on PostgreSQL (a throw-away
# cluster from scripts/pg-cluster, default settings: fsync and synchronous_commit on).
# The collector is pinned to core 0 (taskset -c 0), wrk to the other cores; wrk's Lua script
# (bench/collector.lua) posts scan-summary reports, each with its own id, over 64 keep-alive
# connections on loopback for DURATION seconds (default 10, VITRINE_BENCH_SECONDS). "accepted"
# is the number of report rows in the database afterwards divided by the duration; every
# answer that is not 201 is counted by the script and printed.
set -uo pipefail
cd "$(dirname "$0")/.."
V=${VITRINE_BUILD_DIR:-build}/cli/vitrine-net
[ -x "$V" ] || { echo "collector.sh: $V not built" >&2; exit 2; }
command -v wrk >/dev/null || { echo "collector.sh: wrk missing (scripts/install-deps --test)" >&2; exit 2; }
secs=${VITRINE_BENCH_SECONDS:-10}
pin_server=(taskset -c 0) pin_client=(taskset -c 1-$(($(nproc) - 1)))
[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null || { pin_server=(); pin_client=(); }
tmp=$(mktemp -d /tmp/vitrine-bench-collector.XXXXXX)
pgdir=
cleanup() {
  [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
  [ -n "$pgdir" ] && { scripts/pg-cluster stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"; }
  rm -rf "$tmp"
}
trap cleanup EXIT
today=$(date -u +%F)

"$V" keygen example.com/rules -o "$tmp/log" >/dev/null
"$V" log init "$tmp/L" --origin example.com/rules --key "$tmp/log.key" >/dev/null
cat >"$tmp/policy" <<POLICY
vitrine/data-policy-entry/v1
serial 1
date $today
collector http://127.0.0.1/v1
report scan-summary
purpose Count how often each logged rule fires and how long scans take
field detections rule-counts 1 365 2099-12-31 How many files each rule matched
field engine-version version 1 365 2099-12-31 Which engine version ran the scan
field files-scanned integer 1 365 2099-12-31 How many files the scan looked at
field ruleset-serial integer 1 365 2099-12-31 Which bundle serial the scan used
field scan-duration-ms integer 1 365 2099-12-31 How long the scan took
POLICY
"$V" log add "$tmp/L" --key "$tmp/log.key" "$tmp/policy" >/dev/null

# run NAME STORE-ARGS...: one measurement.
run() {
  local name=$1; shift
  "${pin_server[@]}" "$V" serve collector --log "$tmp/L" --vkey "$tmp/log.pub" \
    --listen 127.0.0.1:0 --max-per-client 0 ${VITRINE_BENCH_COLLECTOR_ARGS:-} "$@" >"$tmp/c.out" 2>"$tmp/c.err" &
  cpid=$!
  local port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.* on port \([0-9]*\)$/\1/p' "$tmp/c.out"); [ -n "$port" ] && break; sleep 0.1
  done
  [ -n "$port" ] || { echo "collector did not start: $(cat "$tmp/c.err")"; return 1; }
  VITRINE_BENCH_DAY=$today "${pin_client[@]}" wrk -t 2 -c 64 -d "${secs}s" \
    -s bench/collector.lua "http://127.0.0.1:$port/reports" >"$tmp/wrk.out" 2>&1
  local cpu
  cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$cpid/stat")
  kill "$cpid"; wait "$cpid" 2>/dev/null; cpid=
  local rows
  if [ "$name" = sqlite ]; then rows=$(sqlite3 "$tmp/c.sqlite" 'SELECT count(*) FROM reports')
  else rows=$(psql -X -At "$pgurl" -c 'SELECT count(*) FROM reports'); fi
  awk -v n="$name" -v r="$rows" -v s="$secs" -v c="$cpu" \
    'BEGIN { printf "%-10s %8d reports accepted in %d s: %7.0f/s; collector CPU %.1f s (%.0f%% of one core), %.0f us per report: %.0f/s per core\n", n, r, s, r / s, c, 100 * c / s, 1e6 * c / r, r / c }'
  grep -E 'Requests/sec|Latency|non-201|Socket errors' "$tmp/wrk.out" | sed 's/^/    /'
}

echo "collector: $(nproc) cores; server on core 0, wrk -t 2 -c 64 on the others, ${secs} s each"
run sqlite --db "$tmp/c.sqlite" || exit 1
pgdir=$(mktemp -d /tmp/vitrine-bench-pg.XXXXXX)
pgurl=$(scripts/pg-cluster start "$pgdir") || exit 1
run postgres --postgres "$pgurl" || exit 1
