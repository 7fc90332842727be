#!/usr/bin/env bash
# match.sh: the multi-string matcher against yara 4.2.3, single-threaded, warm cache, on the
# regular files of /usr/bin, for each shared rule set. For yara: the rule files it compiles
# (yarac, one compiled file per set) scanned with `yara -C -p 1 --scan-list`; for vitrine: the
# same rule files through the rule compiler and bench_match (matcher build, then mmap + scan of
# every file). Prints wall and CPU times, throughput and peak memory of both. yara needs many
# minutes for yara-rules (a stress set) on all of /usr/bin, so that set scans the first files of
# the list up to about 60 MB.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${VITRINE_BUILD_ROOT:-build}
bench=$build/bench/bench_match
shared=${VITRINE_SHARED:-../shared}
[ -x "$bench" ] || { echo "match.sh: $bench not built" >&2; exit 2; }
command -v yara >/dev/null && command -v yarac >/dev/null || { echo "match.sh: yara missing" >&2; exit 2; }
work=$(mktemp -d /tmp/vitrine-bench-match.XXXXXX)
trap 'rm -rf "$work"' EXIT

find /usr/bin -maxdepth 1 -type f | sort >"$work/targets"
bytes=$(xargs -d '\n' cat <"$work/targets" | wc -c)
echo "targets: $(wc -l <"$work/targets") regular files of /usr/bin, $((bytes / 1000000)) MB"
xargs -d '\n' cat <"$work/targets" >/dev/null 2>&1 # warm the cache
total=0
while read -r f; do
  [ "$total" -ge 60000000 ] && break
  echo "$f"
  total=$((total + $(stat -c %s "$f")))
done <"$work/targets" >"$work/targets-60MB"

for set in reversinglabs yara-rules; do
  : >"$work/$set.list"
  find "$shared/rules/$set" \( -name '*.yar' -o -name '*.yara' \) ! -name '*index*' | sort |
    while read -r f; do yarac -w "$f" "$work/one.yarc" >/dev/null 2>&1 && echo "$f"; done \
    >"$work/$set.list"
  yarac -w $(cat "$work/$set.list") "$work/$set.yarc" >/dev/null 2>&1 || { echo "$set: yarac failed"; continue; }
  targets=$work/targets
  [ "$set" = yara-rules ] && targets=$work/targets-60MB
  echo "== $set: $(wc -l <"$work/$set.list") rule files that yarac compiles;" \
       "$(wc -l <"$targets") target files"
  /usr/bin/time -f "yara:    wall %e s, user %U s, sys %S s, peak %M KB" \
    yara -C -w -p 1 --scan-list "$work/$set.yarc" "$targets" >/dev/null 2>"$work/yara.err"
  tail -n 1 "$work/yara.err"
  /usr/bin/time -f "vitrine: wall %e s, user %U s, sys %S s, peak %M KB (whole process)" \
    "$bench" "$work/$set.list" "$targets" 2>"$work/v.err"
  tail -n 1 "$work/v.err"
done
