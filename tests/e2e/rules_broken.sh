#!/usr/bin/env bash
# rules_broken.sh: every hand-written broken rule in tests/rules/broken is rejected by
# `vitrine compile` with the FILE:LINE:COL and message fragment its first line expects
# (`// expect: LINE:COL: fragment`) and no crash; given -o, exit status 2 and no output file;
# and yara 4.2.3's yarac rejects it too (the referee). Accepted tricky cases in tests/rules/accepted compile in both.
. "$(dirname "$0")/lib.sh"
: "${VITRINE_SOURCE_ROOT:?}"
rules="$VITRINE_SOURCE_ROOT/tests/rules"
cd "$rules/broken" || exit 2
# One vitrine process checks every file on its own (--each): "error FILE: FILE:LINE:COL: msg".
"$VITRINE" compile --each *.yar >"$work/verdicts" 2>"$work/err"
[ $? -eq 2 ] && ok "--each reports failures with status 2" || not_ok "--each reports failures with status 2"
mapfile -t verdicts <"$work/verdicts"
count=0
for f in *.yar; do
  count=$((count + 1))
  # the expectation on the first line, and the first verdict line naming the file (read in
  # the shell: one yarac per file is the only process this loop starts)
  first=""
  IFS= read -r first <"$f"
  expect=""
  [[ $first == "// expect: "* ]] && expect=${first#"// expect: "}
  pos=${expect%%: *}
  frag=${expect#*: }
  got=""
  for line in "${verdicts[@]}"; do
    [[ $line == *"$f: "* ]] && { got=$line; break; }
  done
  if [ -z "$expect" ]; then
    not_ok "$f has an expect line"
  elif [[ "$got" != "error $f: $f:$pos: "* || "$got" != *"$frag"* ]]; then
    not_ok "$f: $expect" "got: $got"
  elif yarac -w "$f" "$work/yarac.out" >/dev/null 2>&1; then
    not_ok "$f is rejected by yarac too"
  else
    ok "$f: $expect"
  fi
done
# A broken file given with -o: exit status 2 and no output file, for a sample of them.
for f in $(ls *.yar | awk 'NR % 15 == 1'); do
  rm -f "$work/out.vtr"
  "$VITRINE" compile "$f" -o "$work/out.vtr" >/dev/null 2>&1
  status=$?
  [ $status -eq 2 ] && [ ! -e "$work/out.vtr" ] && ok "$f: status 2, nothing written" ||
    not_ok "$f: status 2, nothing written" "status $status"
done
[ "$count" -ge 100 ] && ok "at least 100 broken rules ($count)" || not_ok "at least 100 broken rules ($count)"

cd "$rules/accepted" || exit 2
for f in *.yar; do
  if ! "$VITRINE" compile -w "$f" -o "$work/out.vtr" >"$work/out" 2>"$work/err"; then
    not_ok "$f compiles" "$(cat "$work/err")"
    continue
  fi
  if grep -q '^// YARA 4.3' "$f"; then
    # Syntax of YARA 4.3 that 4.2.3 lacks: accepted on purpose.
    yarac -w "$f" "$work/yarac.out" >/dev/null 2>&1 && not_ok "$f is 4.3-only" || ok "$f (4.3 syntax)"
  elif yarac -w "$f" "$work/yarac.out" >/dev/null 2>&1; then
    ok "$f compiles in both"
  else
    not_ok "$f compiles in yarac too"
  fi
done
finish
