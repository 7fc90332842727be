#!/usr/bin/env bash
# scan.sh: scanning throughput of vitrine against yara 4.2.3 (and clamscan on a like-for-like
# signature set), run by `bench/run scan`.
#
# For each shared rule set (reversinglabs, yara-rules: the files yara compiles, as listed by
# scripts/rule-args) both tools load a precompiled ruleset (yarac / vitrine compile) and scan two
# corpora with warm caches: the regular files of /usr/bin (no symlinks) and the PE files of
# Debian's libwine. Each run is timed with /usr/bin/time: wall seconds, MB/s over the corpus,
# peak resident memory. Single-threaded (-p 1) and on all cores (-p NPROC). clamscan (one
# thread) scans with the rules' text and hex strings turned into .ndb signatures
# (bench/export_clamav.c, bench/clamav_sigs.py), its file-type parsers turned off, so that all
# three search the same patterns. Prints a Markdown table for bench/RESULTS.md.
#
# BENCH_SETS, BENCH_CORPORA and BENCH_THREADS choose a subset; BENCH_TIMEOUT bounds one run.
set -uo pipefail
cd "$(dirname "$0")/.."
vitrine=$PWD/build/cli/vitrine
export_clamav=$PWD/build/bench/bench_export_clamav
sets=${BENCH_SETS:-reversinglabs yara-rules}
corpora=${BENCH_CORPORA:-usr-bin libwine}
threads=${BENCH_THREADS:-1 $(nproc)}
limit=${BENCH_TIMEOUT:-900}
shared=$(cd .. && pwd)/shared/rules
work=$(mktemp -d /tmp/vitrine-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT

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

# run LABEL COMMAND...: one timed run; prints "seconds peak_kib status"; a failure's message is
# kept in $work/LABEL.stderr.
run() {
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" timeout "$limit" "$@" >/dev/null 2>"$work/stderr"
  local status=$?
  cp "$work/stderr" "$work/$label.stderr"
  echo "$(tail -n 1 "$work/time") $status"
}

echo "| rule set | rules | corpus | MB | threads | tool | seconds | MB/s | peak MB | vs yara |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for set in $sets; do
  scripts/rule-args "$vitrine" "$shared/$set" >"$work/$set.args" 2>"$work/$set.counts"
  mapfile -t args <"$work/$set.args"
  yarac -w "${args[@]}" "$work/$set.yarc" 2>/dev/null || { echo "yarac failed on $set" >&2; continue; }
  "$vitrine" compile -w "${args[@]}" -o "$work/$set.vtr" >/dev/null ||
    { echo "vitrine compile failed on $set" >&2; continue; }
  rules=$("$vitrine" compile --stats -w "${args[@]}" -o "$work/stats.vtr" 2>/dev/null | awk '$1 == "rules" {print $2; exit}')
  "$export_clamav" "${args[@]}" 2>>"$work/$set.counts" | python3 bench/clamav_sigs.py \
    >"$work/$set.ndb" 2>>"$work/$set.counts"
  sed 's/^/<!-- /; s/$/ -->/' "$work/$set.counts"
  for corpus in $corpora; do
    bytes=$(corpus_bytes "$corpus")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
    warm "$corpus"
    y_single=""
    for t in $threads; do
      read -r ys ykb ystatus < <(run yara yara -C -N -w -p "$t" "$work/$set.yarc" "$work/$corpus")
      read -r vs vkb vstatus < <(run vitrine "$vitrine" yara -C -N -w -p "$t" "$work/$set.vtr" "$work/$corpus")
      [ "$t" = 1 ] && y_single=$ys
      for tool in yara vitrine; do
        if [ "$tool" = yara ]; then s=$ys kb=$ykb st=$ystatus; else s=$vs kb=$vkb st=$vstatus; fi
        note=""
        [ "$st" = 124 ] && note=" (timed out)"
        [ "$st" != 0 ] && [ "$st" != 124 ] && note=" (exit $st)"
        ratio=$(awk -v y="$ys" -v v="$s" 'BEGIN { if (v > 0) printf "%.1fx", y / v; else print "-" }')
        awk -v set="$set" -v rules="${rules:-?}" -v c="$corpus" -v mb="$mb" -v t="$t" -v tool="$tool" \
            -v s="$s" -v kb="$kb" -v note="$note" -v ratio="$ratio" -v b="$bytes" \
            'BEGIN { printf "| %s | %s | %s | %s | %s | %s | %.2f%s | %.1f | %.0f | %s |\n",
                     set, rules, c, mb, t, tool, s, note, b / 1e6 / (s > 0 ? s : 1), kb / 1024, ratio }'
      done
    done
    read -r cs ckb cstatus < <(run clamscan clamscan --no-summary --infected -d "$work/$set.ndb" \
      --scan-archive=no --scan-pe=no --scan-elf=no --scan-ole2=no --scan-pdf=no --scan-html=no \
      --scan-mail=no --scan-swf=no --scan-xmldocs=no --scan-hwp3=no "$work/$corpus")
    note=""
    [ "$cstatus" = 124 ] && note=" (timed out)"
    awk -v set="$set" -v rules="${rules:-?}" -v c="$corpus" -v mb="$mb" -v s="$cs" -v kb="$ckb" \
        -v note="$note" -v b="$bytes" -v y="${y_single:-0}" \
        'BEGIN { printf "| %s | %s | %s | %s | 1 | clamscan (.ndb) | %.2f%s | %.1f | %.0f | %.1fx |\n",
                 set, rules, c, mb, s, note, b / 1e6 / (s > 0 ? s : 1), kb / 1024, (s > 0 ? y / s : 0) }'
  done
done
