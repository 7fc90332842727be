#!/usr/bin/env bash
# center.sh: the transparency center's in-browser verification in headless chromium (the
# DevTools protocol, tests/browser/cdp.py): a log of 100,000 entries of 200 bytes made once with
# the log library (bench_tlog build), `vitrine center build`, `vitrine serve center` on
# 127.0.0.1; then in the page, with a fresh LogView each time (tiles and bundles fetched over
# HTTP from the local server, authenticated, entries hashed), the time to verify the inclusion
# of 1,000 entries: the newest 1,000 (consecutive) and 1,000 spread over the whole log (every
# 100th: one tile and bundle each), the latter fetched as files (785 fetches) and with the
# page's packs (pack/N: 16 tiles and their bundles in one file; 41 fetches), and both again with
# every file fetched beforehand (verification alone); the cases run in turns, 5 rounds. Goal
# (issue 14): under 1 s for the spread case with packs; center_bench.py exits 1 if its median
# is not (a bench figure on this machine, not a test).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${VITRINE_BUILD_DIR:-build}
bench=$build/bench/bench_tlog
[ -x "$bench" ] || { echo "center.sh: $bench not built" >&2; exit 2; }
V=$build/cli/vitrine-net
tmp=$(mktemp -d /tmp/vitrine-bench-center.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server"; rm -rf "$tmp"' EXIT
log=${VITRINE_BENCH_CENTER_LOG:-/tmp/vitrine-bench-center-100k}
if [ ! -e "$log/checkpoint" ]; then
  rm -rf "$log" "$log.pub"
  "$bench" build "$log" 100000 200 10000 >/dev/null || exit 1
fi
/usr/bin/time -f "center build of 100,000 entries: %e s wall, %U s user, max RSS %M KiB" \
  "$V" center build "$tmp/site" --log "$log" --vkey "$log.pub" >/dev/null || exit 1
"$V" serve center --log "$log" --vkey "$log.pub" --listen 127.0.0.1:0 --refresh 0 >"$tmp/serve.out" 2>&1 &
server=$!
for _ in $(seq 300); do
  port=$(sed -n 's/.* on port \([0-9]*\)$/\1/p' "$tmp/serve.out"); [ -n "$port" ] && break; sleep 0.1
done
[ -n "$port" ] || { echo "center.sh: serve center did not start" >&2; cat "$tmp/serve.out" >&2; exit 1; }
/usr/bin/python3 bench/center_bench.py "http://127.0.0.1:$port/"
