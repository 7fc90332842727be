#!/usr/bin/env bash
# tlog.sh: transparency log benchmarks, on one core (taskset -c 0):
# - durable append throughput with 1 KB entries (every batch is fsync'ed and published by a
#   signed checkpoint before the next), at batch sizes 1000 and 100;
# - inclusion proof latency in a log of 10 million entries, built once in /tmp and reused
#   (VITRINE_BENCH_TLOG_DIR overrides the place; delete it to rebuild).
set -uo pipefail
cd "$(dirname "$0")/.."
bench=${VITRINE_BUILD_DIR:-build}/bench/bench_tlog
[ -x "$bench" ] || { echo "tlog.sh: $bench not built" >&2; exit 2; }
pin=(taskset -c 0)
command -v taskset >/dev/null || pin=()
tmp=$(mktemp -d /tmp/vitrine-bench-tlog.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for batch in 1000 100; do
  "${pin[@]}" "$bench" append "$tmp/log-$batch" 200000 1024 "$batch" || exit 1
  rm -rf "$tmp/log-$batch"
done

big=${VITRINE_BENCH_TLOG_DIR:-/tmp/vitrine-bench-tlog-10M}
if [ ! -e "$big/checkpoint" ]; then
  rm -rf "$big" "$big.pub"
  echo "building a log of 10,000,000 entries of 64 bytes in $big (once)..."
  /usr/bin/time -f "build: %e s, max RSS %M KiB" "${pin[@]}" "$bench" build "$big" 10000000 64 100000 || exit 1
fi
"${pin[@]}" "$bench" prove "$big" 2000 || exit 1
