#!/usr/bin/env bash
# installed.sh: `vitrine scan` of one small file with the installed (verified) ruleset of all
# 274 ../shared/rules/reversinglabs files, as a user runs it after `vitrine update`: the offline
# proof checks of every entry, then the compiled ruleset that update installed (no compile).
# Publishes the files to a log in a temporary directory, installs them with `vitrine update
# --from DIR`, then runs the scan RUNS times (default 7) under /usr/bin/time and prints the
# median wall time, user+system CPU time and maximum RSS, beside the same scan with the compiled
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

# measure LABEL COMMAND...: median of RUNS runs of wall, CPU (user+system) and max RSS
measure() {
  local label=$1; shift
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >/dev/null 2>&1
    cat "$tmp/t"
  done | awk -v label="$label" -v n="$runs" '
    { wall[NR] = $1; cpu[NR] = $2 + $3; rss[NR] = $4 }
    function median(a,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return a[int((n + 1) / 2)]
    }
    END { printf "%-46s median of %d: %4.0f ms wall, %4.0f ms CPU, %5.1f MB max RSS\n",
                 label, n, median(wall) * 1000, median(cpu) * 1000, median(rss) / 1024 }'
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
