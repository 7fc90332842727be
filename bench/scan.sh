#!/usr/bin/env bash
# scan.sh: scanning throughput of vitrine against yara 4.2.3 (and clamscan on a like-for-like
# signature set), run by `bench/run scan`.
#
# For each shared rule set (reversinglabs, yara-rules: the files yara compiles, as listed by
# scripts/rule-args) both tools load a precompiled ruleset (yarac / vitrine compile) and scan two
# corpora with warm caches: the regular files of /usr/bin (no symlinks) and the PE files of
# Debian's libwine. Each run is timed with /usr/bin/time: wall seconds, CPU seconds (user+sys; the
# fairer figure on a loaded machine), MB/s over the corpus (wall), peak resident memory.
# Single-threaded (-p 1) and on all cores (-p NPROC). clamscan (one thread) scans with the rules'
# text and hex strings turned into .ndb signatures (bench/export_clamav.c, bench/clamav_sigs.py),
# its file-type parsers turned off, so that all three search the same patterns. Prints a Markdown
# table for bench/RESULTS.md.
#
# Environment:
#   BENCH_SETS, BENCH_CORPORA, BENCH_THREADS  choose a subset (defaults: both sets, both corpora,
#                                             1 and nproc threads)
#   BENCH_TOOLS        which tools run (default "yara vitrine clamscan")
#   BENCH_TIMEOUT      bound of one run in seconds (default 1800: yara needs minutes per corpus
#                      with yara-rules)
#   BENCH_REPEAT       runs per figure, the median wall time reported (default 3; runs of a
#                      minute or more are made once)
#   BENCH_CACHE        a directory keeping yara's and clamscan's figures between runs (their
#                      figures do not depend on vitrine's code); a figure is reused when the tool,
#                      its version, the rule set's sources, the corpus and the thread count are the
#                      same. Unset: everything is measured.
#   VITRINE_BUILD_DIR  the build to measure (default build)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${VITRINE_BUILD_DIR:-build}
vitrine=$(cd "$build" && pwd)/cli/vitrine
export_clamav=$(cd "$build" && pwd)/bench/bench_export_clamav
sets=${BENCH_SETS:-reversinglabs yara-rules}
corpora=${BENCH_CORPORA:-usr-bin libwine}
threads=${BENCH_THREADS:-1 $(nproc)}
tools=${BENCH_TOOLS:-yara vitrine clamscan}
limit=${BENCH_TIMEOUT:-1800}
repeat=${BENCH_REPEAT:-3}
cache=${BENCH_CACHE:-}
shared=$(cd .. && pwd)/shared/rules
work=$(mktemp -d /tmp/vitrine-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -n "$cache" ] && mkdir -p "$cache"
wants() { case " $tools " in *" $1 "*) return 0 ;; esac; return 1; }

# Corpora as directories of links to the real files (yara -N and vitrine both skip symlinks
# only when told to, so hard links are used where possible and copies otherwise).
mkdir -p "$work/usr-bin" "$work/libwine"
find /usr/bin -maxdepth 1 -type f -exec ln -f {} "$work/usr-bin/" \; 2>/dev/null ||
  find /usr/bin -maxdepth 1 -type f -exec cp {} "$work/usr-bin/" \;
wine=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
find "$wine" -maxdepth 1 -type f -exec ln -f {} "$work/libwine/" \; 2>/dev/null ||
  find "$wine" -maxdepth 1 -type f -exec cp {} "$work/libwine/" \;

corpus_bytes() { du -sb --apparent-size "$work/$1" | cut -f1; }
warm() { cat "$work/$1"/* >/dev/null 2>&1; }
# corpus_key CORPUS: names, sizes and modification times of the corpus files, hashed.
corpus_key() { (cd "$work/$1" && stat -L -c '%n %s %Y' -- * | sha256sum | cut -c1-16); }

# run_once LABEL COMMAND...: one timed run; prints "wall cpu peak_kib status"; a failure's
# message is kept in $work/LABEL.stderr.
run_once() {
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" timeout "$limit" "$@" >/dev/null 2>"$work/stderr"
  local status=$?
  cp "$work/stderr" "$work/$label.stderr"
  tail -n 1 "$work/time" | awk -v st="$status" '{ printf "%s %.2f %s %s\n", $1, $2 + $3, $4, st }'
}

# run LABEL COMMAND...: the run with the median wall time of $repeat runs (one run when the first
# takes a minute or more, or fails), so that one noisy run on a shared machine does not decide.
run() {
  local first
  first=$(run_once "$@")
  read -r w _ _ st <<<"$first"
  if [ "$st" != 0 ] || [ "$repeat" -le 1 ] || awk -v w="$w" 'BEGIN { exit !(w >= 60) }'; then
    echo "$first"
    return
  fi
  { echo "$first"; for ((i = 1; i < repeat; i++)); do run_once "$@"; done; } |
    sort -n -k1,1 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

# cached KEY LABEL COMMAND...: as run, but reuses the figures stored under KEY in $BENCH_CACHE
# (a run that failed or timed out is not kept; clamscan exits 1 when it detects something).
cached() {
  local key=$1
  shift
  if [ -n "$cache" ] && [ -s "$cache/$key" ]; then
    cat "$cache/$key"
    return
  fi
  local line
  line=$(run "$@")
  [ "$1" = clamscan ] && [ "${line##* }" = 1 ] && line="${line% *} 0"
  if [ -n "$cache" ] && [ "${line##* }" = 0 ]; then echo "$line" >"$cache/$key"; fi
  echo "$line"
}

# row SET RULES CORPUS MB BYTES THREADS TOOL "WALL CPU KIB STATUS" YARA_WALL YARA_CPU
row() {
  local set=$1 rules=$2 corpus=$3 mb=$4 bytes=$5 t=$6 tool=$7 fig=$8 yw=$9 yc=${10}
  read -r s c kb st <<<"$fig"
  local note=""
  [ "$st" = 124 ] && note=" (timed out)"
  [ "$st" != 0 ] && [ "$st" != 124 ] && note=" (exit $st)"
  awk -v set="$set" -v rules="$rules" -v corpus="$corpus" -v mb="$mb" -v t="$t" -v tool="$tool" \
      -v s="$s" -v c="$c" -v kb="$kb" -v note="$note" -v b="$bytes" -v yw="${yw:-0}" -v yc="${yc:-0}" \
      'function ratio(y, v) { return (y > 0 && v > 0) ? sprintf("%.1fx", y / v) : "-" }
       BEGIN { printf "| %s | %s | %s | %s | %s | %s | %.2f%s | %.2f | %.1f | %.0f | %s | %s |\n",
               set, rules, corpus, mb, t, tool, s, note, c, b / 1e6 / (s > 0 ? s : 1), kb / 1024,
               ratio(yw, s), ratio(yc, c) }'
}

echo "| rule set | rules | corpus | MB | threads | tool | wall s | CPU s | MB/s | peak MB | vs yara (wall) | vs yara (CPU) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
yara_version=$(yara --version 2>/dev/null)
clam_version=$(clamscan --version 2>/dev/null | cut -d/ -f1)
for set in $sets; do
  scripts/rule-args "$vitrine" "$shared/$set" >"$work/$set.args" 2>"$work/$set.counts"
  mapfile -t args <"$work/$set.args"
  set_key=$(cut -d: -f2- "$work/$set.args" | xargs -d '\n' cat | sha256sum | cut -c1-16)
  if wants yara; then
    yarac -w "${args[@]}" "$work/$set.yarc" 2>/dev/null || { echo "yarac failed on $set" >&2; continue; }
  fi
  "$vitrine" compile -w "${args[@]}" -o "$work/$set.vtr" >/dev/null ||
    { echo "vitrine compile failed on $set" >&2; continue; }
  rules=$("$vitrine" compile --stats -w "${args[@]}" -o "$work/stats.vtr" 2>/dev/null | awk '$1 == "rules" {print $2; exit}')
  if wants clamscan; then
    "$export_clamav" "${args[@]}" 2>>"$work/$set.counts" | python3 bench/clamav_sigs.py \
      >"$work/$set.ndb" 2>>"$work/$set.counts"
  fi
  sed 's/^/<!-- /; s/$/ -->/' "$work/$set.counts"
  for corpus in $corpora; do
    bytes=$(corpus_bytes "$corpus")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
    ckey=$(corpus_key "$corpus")
    warm "$corpus"
    y1w="" y1c=""
    for t in $threads; do
      yfig="" vfig=""
      if wants yara; then
        yfig=$(cached "yara-$set_key-$ckey-$t-${yara_version}" yara \
               yara -C -N -w -p "$t" "$work/$set.yarc" "$work/$corpus")
      fi
      if wants vitrine; then
        vfig=$(run vitrine "$vitrine" yara -C -N -w -p "$t" "$work/$set.vtr" "$work/$corpus")
      fi
      read -r yw yc _ <<<"${yfig:-0 0}"
      [ "$t" = 1 ] && y1w=$yw y1c=$yc
      [ -n "$yfig" ] && row "$set" "${rules:-?}" "$corpus" "$mb" "$bytes" "$t" yara "$yfig" "$yw" "$yc"
      [ -n "$vfig" ] && row "$set" "${rules:-?}" "$corpus" "$mb" "$bytes" "$t" vitrine "$vfig" "$yw" "$yc"
    done
    if wants clamscan; then
      cfig=$(cached "clamscan-$set_key-$ckey-1-${clam_version// /_}" clamscan \
             clamscan --no-summary --infected -d "$work/$set.ndb" \
             --scan-archive=no --scan-pe=no --scan-elf=no --scan-ole2=no --scan-pdf=no --scan-html=no \
             --scan-mail=no --scan-swf=no --scan-xmldocs=no --scan-hwp3=no "$work/$corpus")
      row "$set" "${rules:-?}" "$corpus" "$mb" "$bytes" 1 "clamscan (.ndb)" "$cfig" "$y1w" "$y1c"
    fi
  done
done
