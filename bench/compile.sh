#!/usr/bin/env bash
# compile.sh: `vitrine compile -o` (scan-ready: matcher included) against yarac on every shared
# rule set, side by side in one run, and optionally against another vitrine build (a baseline,
# e.g. main's) to measure a change: user CPU seconds (the median of BENCH_REPEAT runs, the three
# programs alternating) and peak memory. With a baseline it also checks that both builds write
# byte-identical compiled rulesets (the compile is deterministic: verify-installed compares bytes).
# Prints a Markdown table for bench/RESULTS.md.
#
# Rule sets as bench/sets.sh uses them (bench/set-args), `combined` included.
#
# Environment:
#   BENCH_SETS      default: reversinglabs yara-rules trellix-atr bartblaze emulation-stress
#                   combined
#   BENCH_BASELINE  another vitrine binary to compare with (default: none)
#   BENCH_REPEAT    runs per figure (default 3)
#   BENCH_VITRINE   the vitrine binary (default VITRINE_BUILD_DIR/cli/vitrine, build/)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${VITRINE_BUILD_DIR:-build}
vitrine=${BENCH_VITRINE:-$(cd "$build" && pwd)/cli/vitrine}
baseline=${BENCH_BASELINE:-}
sets=${BENCH_SETS:-reversinglabs yara-rules trellix-atr bartblaze emulation-stress combined}
repeat=${BENCH_REPEAT:-3}
[ -x "$vitrine" ] || { echo "compile.sh: $vitrine not built" >&2; exit 2; }
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "compile.sh: $baseline not found" >&2; exit 2; }
command -v yarac >/dev/null || { echo "compile.sh: yarac (Debian's yara) is needed" >&2; exit 2; }
work=$(mktemp -d /tmp/vitrine-bench-compile.XXXXXX)
trap 'rm -rf "$work"' EXIT

# timed WHO COMMAND...: one run (bench/timed-run), appends "WHO user_seconds peak_kib" to
# $work/times
timed() {
  local who=$1
  shift
  local fig
  fig=$(bench/timed-run --stderr "$work/stderr" "$@")
  if [ "${fig##* }" != 0 ]; then
    echo "compile.sh: $who failed: $(tail -n 2 "$work/stderr")" >&2
    return 1
  fi
  echo "$fig" | awk -v who="$who" '{ print who, $2, $4 }' >>"$work/times"
}

# median WHO: "user_seconds peak_MB" of WHO's runs
median() {
  grep "^$1 " "$work/times" | sort -k2 -n | awk -v n="$repeat" 'NR == int((n + 1) / 2) {
    printf "%.3f %.0f", $2, $3 / 1024 }'
}

if [ -n "$baseline" ]; then
  echo "| set | files | yarac user s / MB | baseline user s / MB | vitrine user s / MB | vs yarac: user / memory | same bytes as baseline |"
  echo "|---|---|---|---|---|---|---|"
else
  echo "| set | files | yarac user s / MB | vitrine user s / MB | vs yarac: user / memory |"
  echo "|---|---|---|---|---|"
fi
for set in $sets; do
  bench/set-args "$vitrine" "$set" >"$work/args" 2>/dev/null
  [ -s "$work/args" ] || { echo "compile.sh: no rule files for $set" >&2; continue; }
  mapfile -t args <"$work/args"
  : >"$work/times"
  ok=1
  for ((i = 0; i < repeat; i++)); do
    timed yarac yarac -w "${args[@]}" "$work/y.yarc" || ok=0
    [ -z "$baseline" ] || timed baseline "$baseline" compile -w "${args[@]}" -o "$work/b.vtr" || ok=0
    timed vitrine "$vitrine" compile -w "${args[@]}" -o "$work/v.vtr" || ok=0
  done
  [ "$ok" = 1 ] || continue
  read -r yu ym <<<"$(median yarac)"
  read -r vu vm <<<"$(median vitrine)"
  ratio=$(awk -v yu="$yu" -v vu="$vu" -v ym="$ym" -v vm="$vm" \
    'BEGIN { printf "%.2fx / %.2fx", (vu > 0 ? yu / vu : 0), (vm > 0 ? ym / vm : 0) }')
  if [ -n "$baseline" ]; then
    read -r bu bm <<<"$(median baseline)"
    same=no
    cmp -s "$work/b.vtr" "$work/v.vtr" && same=yes
    echo "| $set | ${#args[@]} | $yu / $ym | $bu / $bm | $vu / $vm | $ratio | $same |"
  else
    echo "| $set | ${#args[@]} | $yu / $ym | $vu / $vm | $ratio |"
  fi
done
