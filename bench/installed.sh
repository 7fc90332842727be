#!/usr/bin/env bash
# installed.sh: `vitrine scan` of one small file with the installed (verified) ruleset of all
# 274 ../shared/rules/reversinglabs files, as a user runs it after `vitrine update`: the offline
# proof checks of every entry, then the compiled ruleset that update installed (no compile).
# Publishes the files to a log in a temporary directory, installs them with `vitrine update
# --from DIR`, then runs the scan RUNS times (default 7) under /usr/bin/time and prints the
# median wall time, user+system CPU time and maximum RSS (timed by wait4, in microseconds), beside the same scan with the compiled
# ruleset given directly (--rules rules.vtr: no proofs checked) and with the sources compiled at
# scan time (the installed state without its compiled ruleset, as before issue 12).
set -uo pipefail
cd "$(dirname "$0")/.."
V=${VITRINE_BUILD_DIR:-build}/cli/vitrine
[ -x "$V" ] || { echo "installed.sh: $V not built" >&2; exit 2; }
runs=${RUNS:-7}
rules=${VITRINE_SHARED:-../shared}/rules/reversinglabs
tmp=$(mktemp -d /tmp/vitrine-bench-installed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$V" keygen bench.example/rules -o "$tmp/log" >/dev/null || exit 1
printf 'log %s\nquorum none\n' "$(cat "$tmp/log.pub")" >"$tmp/policy"
"$V" log init "$tmp/L" --origin bench.example/rules --key "$tmp/log.key" >/dev/null || exit 1
mapfile -t files < <(find "$rules" -name '*.yara' | LC_ALL=C sort)
"$V" publish --log "$tmp/L" --key "$tmp/log.key" "${files[@]}" | sed "s/^/published ${#files[@]} files: /" || exit 1
/usr/bin/time -f "update (fetch, verify, compile once, install): %e s wall, %U+%S s CPU, %M KiB max RSS" \
  -o "$tmp/u" "$V" update --from "$tmp/L" --policy "$tmp/policy" --state "$tmp/st" >/dev/null || exit 1
cat "$tmp/u"
printf 'hello\n' >"$tmp/small.txt"
dir=$tmp/st/$(cat "$tmp/st/current")

# measure LABEL COMMAND...: median of RUNS runs of wall, CPU (user+system) and max RSS, each run
# timed by wait4 (microseconds: /usr/bin/time's 10 ms steps are too coarse for a 50 ms target)
measure() {
  local label=$1; shift
  python3 - "$label" "$runs" "$@" <<'PY'
import os, subprocess, sys, time
label, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
wall, cpu, rss = [], [], []
for _ in range(runs):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, use = os.wait4(p.pid, 0)
    wall.append(time.perf_counter() - start)
    cpu.append(use.ru_utime + use.ru_stime)
    rss.append(use.ru_maxrss)
median = lambda a: sorted(a)[(len(a) - 1) // 2]
print("%-46s median of %d: %5.1f ms wall, %5.1f ms CPU, %5.1f MB max RSS"
      % (label, runs, median(wall) * 1000, median(cpu) * 1000, median(rss) / 1024))
PY
}
measure "vitrine version (process start, baseline)" "$V" version
measure "scan --state (installed, proofs checked)" "$V" scan --state "$tmp/st" "$tmp/small.txt"
measure "scan --rules rules.vtr (no proofs)" "$V" scan --rules "$dir/rules.vtr" "$tmp/small.txt"
/usr/bin/time -f "verify-installed (proofs, recompile, byte compare): %e s wall, %U+%S s CPU, %M KiB max RSS" \
  -o "$tmp/u" "$V" verify-installed --state "$tmp/st" >/dev/null || exit 1
cat "$tmp/u"
# the installed state without its compiled ruleset: the sources are compiled at every scan
rm "$dir/compiled" "$dir/rules.vtr"
RUNS=3 runs=3 measure "scan --state, sources compiled at scan" "$V" scan --state "$tmp/st" "$tmp/small.txt"
