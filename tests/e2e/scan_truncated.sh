#!/usr/bin/env bash
# scan_truncated.sh: files over 4 MB are mapped while they are scanned (lib/scan/context.c); one
# truncated and rewritten by another process during the scan must not kill the scanner with
# SIGBUS: the scan is redone from what can be read. A background loop truncates and rewrites an
# 8 MB file while `vitrine yara` scans it many times with a rule that reads every page in its
# condition (after the string search), so the reads past a new end happen at every stage of a
# scan.
. "$(dirname "$0")/lib.sh"
size=$((8 << 20)) runs=30
# the sanitizer build is several times slower: fewer, smaller scans (still over the 4 MB from
# which files are mapped rather than read)
if [ "${VITRINE_SANITIZED:-0}" = 1 ]; then size=$((5 << 20)) runs=12; fi
head -c "$size" /dev/zero | tr '\0' 'A' >"$work/full"
cat >"$work/pages.yar" <<'YAR'
rule every_page_A
{
    strings:
        $a = "AAAAB"
        $b = /A{64}B/
    condition:
        filesize > 0 and not $a and not $b and
        for all i in (0 .. filesize \ 4096 - 1) : (uint8(i * 4096) == 0x41)
}
YAR
"$VITRINE" compile "$work/pages.yar" -o "$work/pages.vtr" || not_ok "compiling the rule failed"
cp "$work/full" "$work/target"
expect_exit "the whole file matches" 0 "$VITRINE" yara -C "$work/pages.vtr" "$work/target"
expect_contains "the whole file matches: output" "$out" "every_page_A $work/target"
(
  while [ ! -e "$work/stop" ]; do
    truncate -s $((size / 3)) "$work/target"
    truncate -s 0 "$work/target"
    cat "$work/full" >"$work/target"
  done
) &
writer=$!
crashes=0 bad=0 matched=0
for ((i = 0; i < runs; i++)); do
  "$VITRINE" yara -C "$work/pages.vtr" "$work/target" >"$work/out" 2>"$work/err"
  st=$?
  if [ "$st" -ge 128 ]; then
    crashes=$((crashes + 1))
  elif [ "$st" != 0 ] || grep -qv "^every_page_A $work/target\$" "$work/out"; then
    bad=$((bad + 1))
    cp "$work/out" "$work/bad.out"
    cp "$work/err" "$work/bad.err"
  fi
  [ -s "$work/out" ] && matched=$((matched + 1))
done
touch "$work/stop"
wait "$writer"
[ "$crashes" = 0 ] && ok "$runs scans of a file truncated and rewritten meanwhile: no crash" ||
  not_ok "$crashes of $runs scans were killed by a signal"
[ "$bad" = 0 ] && ok "every scan exited 0 with the rule's line or nothing ($matched matched)" ||
  not_ok "$bad of $runs scans gave another result" "$(cat "$work/bad.out" "$work/bad.err" 2>/dev/null | head -n 5)"
finish
