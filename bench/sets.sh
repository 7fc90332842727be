#!/usr/bin/env bash
# sets.sh: vitrine against yara 4.2.3 on every shared rule set, run by `bench/run sets`.
#
# For each rule set: compiling (`vitrine compile -o` vs yarac: wall, CPU, peak memory), then
# scanning /usr/bin (regular files) and Debian's libwine PE files with warm caches, at 1 and 2
# threads, with the precompiled ruleset (`yara -C` vs `vitrine yara -C`) and from the sources
# (`yara RULES... DIR` vs `vitrine yara RULES... DIR`, compile included). yara and vitrine run
# alternately, BENCH_REPEAT times each, and every figure is the median of its runs: on a shared,
# noisy machine user CPU time is the fairest figure, so the ratios are given for user CPU and for
# CPU (user+sys) as well as wall time. Prints Markdown tables for bench/RESULTS.md.
#
# Rule sets (bench/set-args): ../shared/rules/{reversinglabs,yara-rules,trellix-atr,bartblaze},
# ../shared/bench/emulation-stress.yar, `combined` (the four sets for binaries loaded together),
# and every folder or file in BENCH_RULES (space-separated).
#
# Environment:
#   BENCH_SETS      which sets (default: reversinglabs yara-rules trellix-atr bartblaze
#                   emulation-stress combined); names of BENCH_RULES entries are their base names
#   BENCH_RULES     more rule folders or files to measure (always included)
#   BENCH_CORPORA   usr-bin libwine (default both); also `small`: 20,000 generated files of
#                   20 bytes to 3 KB (words and random bytes, a fixed seed), the many small
#                   files a mail or file server scans, where the cost per file shows
#   BENCH_THREADS   default "1 2"
#   BENCH_MODES     default "precompiled source"
#   BENCH_REPEAT    runs per figure (default 3; a run over a minute is made once)
#   BENCH_TIMEOUT   bound of one run in seconds (default 1800; yara needs many minutes per corpus
#                   with yara-rules)
#   BENCH_VITRINE   the vitrine binary (default VITRINE_BUILD_DIR/cli/vitrine, build/)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${VITRINE_BUILD_DIR:-build}
vitrine=${BENCH_VITRINE:-$(cd "$build" && pwd)/cli/vitrine}
sets=${BENCH_SETS:-reversinglabs yara-rules trellix-atr bartblaze emulation-stress combined}
corpora=${BENCH_CORPORA:-usr-bin libwine}
threads=${BENCH_THREADS:-1 2}
modes=${BENCH_MODES:-precompiled source}
repeat=${BENCH_REPEAT:-3}
limit=${BENCH_TIMEOUT:-1800}
[ -x "$vitrine" ] || { echo "sets.sh: $vitrine not built" >&2; exit 2; }
command -v yara >/dev/null && command -v yarac >/dev/null ||
  { echo "sets.sh: yara and yarac (Debian's yara) are needed" >&2; exit 2; }
work=$(mktemp -d /tmp/vitrine-bench-sets.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/usr-bin" "$work/libwine"
find /usr/bin -maxdepth 1 -type f -exec ln -f {} "$work/usr-bin/" \; 2>/dev/null ||
  find /usr/bin -maxdepth 1 -type f -exec cp {} "$work/usr-bin/" \;
wine=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
find "$wine" -maxdepth 1 -type f -exec ln -f {} "$work/libwine/" \; 2>/dev/null ||
  find "$wine" -maxdepth 1 -type f -exec cp {} "$work/libwine/" \;
if [[ " $corpora " == *" small "* ]]; then
  mkdir -p "$work/small"
  python3 - "$work/small" <<'EOF'
import random, sys
r = random.Random(3)
words = ["from", "subject", "hello", "invoice", "http://", "www", "example", "com", "the",
         "attached", "document", "please", "open", "regards", "password", "account", "MZ"]
for i in range(20000):
    n = r.randrange(20, 3000)
    if r.random() < 0.5:
        data = " ".join(r.choice(words) for _ in range(n // 5)).encode()[:n]
    else:
        data = bytes(r.randrange(256) for _ in range(n))
    open("%s/f%05d" % (sys.argv[1], i), "wb").write(data)
EOF
fi

# once LABEL COMMAND...: one timed run: "wall user sys peak_kib status" (bench/timed-run).
once() {
  local label=$1
  shift
  bench/timed-run --timeout "$limit" --stderr "$work/$label.stderr" "$@"
}

# median FILE: the median of each column of the runs in FILE ("wall user sys kib status"; the
# status is the worst one).
median() {
  awk '{ for (i = 1; i <= 4; i++) v[i, NR] = $i; if ($5 != 0) st = $5 }
       END { n = NR; m = int((n + 1) / 2)
             for (i = 1; i <= 4; i++) {
               for (a = 1; a <= n; a++) c[a] = v[i, a]
               for (a = 1; a <= n; a++) for (b = a + 1; b <= n; b++)
                 if (c[b] + 0 < c[a] + 0) { t = c[a]; c[a] = c[b]; c[b] = t }
               printf "%s ", c[m] }
             print st + 0 }' "$1"
}

# side NAME "YARA COMMAND" "VITRINE COMMAND": both commands alternately, $repeat times (once
# when a run takes a minute or more); sets $yfig and $vfig to the medians.
side() {
  local name=$1 ycmd=$2 vcmd=$3
  : >"$work/y.runs"
  : >"$work/v.runs"
  for ((i = 0; i < repeat; i++)); do
    eval "once yara-$name $ycmd" >>"$work/y.runs"
    eval "once vitrine-$name $vcmd" >>"$work/v.runs"
    awk '{ if ($1 >= 60) slow = 1 } END { exit !slow }' "$work/y.runs" "$work/v.runs" && break
  done
  yfig=$(median "$work/y.runs")
  vfig=$(median "$work/v.runs")
}

# row WHAT CORPUS THREADS YFIG VFIG: one table row with the ratios (yara / vitrine).
row() {
  awk -v what="$1" -v corpus="$2" -v t="$3" -v y="$4" -v v="$5" '
    function note(st) { return st == 0 ? "" : (st == 124 ? " (timed out)" : " (exit " st ")") }
    function r(a, b) { return (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-" }
    BEGIN { split(y, Y, " "); split(v, V, " ")
            printf "| %s | %s | %s | %.3f / %.3f / %.3f%s | %.0f | %.3f / %.3f / %.3f%s | %.0f | %s | %s | %s | %s |\n",
              what, corpus, t, Y[2], Y[2] + Y[3], Y[1], note(Y[5]), Y[4] / 1024,
              V[2], V[2] + V[3], V[1], note(V[5]), V[4] / 1024,
              r(Y[2], V[2]), r(Y[2] + Y[3], V[2] + V[3]), r(Y[1], V[1]), r(Y[4], V[4]) }'
}

# Rule arguments of each set (NS:FILE lines; bench/set-args).
set_args() {
  bench/set-args "$vitrine" "$1" 2>"$work/$1.counts"
}

for path in ${BENCH_RULES:-}; do sets="$sets $(basename "$path")"; done

if [ -n "${BENCH_VITRINE:-}" ]; then rev="given binary"; else rev="build of $(git rev-parse --short HEAD 2>/dev/null)"; fi
echo "vitrine: $vitrine ($rev)," \
     "$(yara --version | sed 's/^/yara /'), $repeat runs per figure (medians), $(date -u '+%F %H:%M UTC')," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Figures: user / user+sys / wall seconds; peak memory in MB; ratios yara / vitrine (above 1: vitrine is faster or smaller)."
echo
echo "| set: what | corpus | threads | yara user / CPU / wall | yara MB | vitrine user / CPU / wall | vitrine MB | user | CPU | wall | memory |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for set in $sets; do
  set_args "$set" >"$work/$set.args"
  [ -s "$work/$set.args" ] || { echo "sets.sh: no rule files for $set" >&2; continue; }
  mapfile -t args <"$work/$set.args"
  printf '%q ' "${args[@]}" >"$work/$set.qargs"
  qargs=$(cat "$work/$set.qargs")
  side "$set-compile" "yarac -w $qargs $work/$set.yarc" \
    "$vitrine compile -w $qargs -o $work/$set.vtr"
  [ -s "$work/$set.yarc" ] && [ -s "$work/$set.vtr" ] ||
    { echo "sets.sh: compiling $set failed" >&2; continue; }
  row "$set: compile ($(wc -l <"$work/$set.args") files)" - 1 "$yfig" "$vfig"
  for corpus in $corpora; do
    cat "$work/$corpus"/* >/dev/null 2>&1
    for t in $threads; do
      for mode in $modes; do
        if [ "$mode" = precompiled ]; then
          side "$set-$corpus-$t-$mode" "yara -C -N -w -p $t $work/$set.yarc $work/$corpus" \
            "$vitrine yara -C -N -w -p $t $work/$set.vtr $work/$corpus"
        else
          side "$set-$corpus-$t-$mode" "yara -N -w -p $t $qargs $work/$corpus" \
            "$vitrine yara -N -w -p $t $qargs $work/$corpus"
        fi
        row "$set: scan, $mode" "$corpus" "$t" "$yfig" "$vfig"
      done
    done
  done
done
for set in $sets; do
  [ -s "$work/$set.counts" ] && sed 's/^/<!-- /; s/$/ -->/' "$work/$set.counts"
done
exit 0
