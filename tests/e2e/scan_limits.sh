#!/usr/bin/env bash
# scan_limits.sh: what cannot be scanned is an error, never "clean", and what yara evaluates is
# evaluated. --timeout is a deadline for the whole file counted by work done (a regex that
# backtracks in yara and a hex string with an unbounded jump, over 10 MB, stop at the deadline
# with an error record); a condition of tens of thousands of `or` terms is evaluated as yara does
# and does not silence the rules beside it; a condition nested too deeply to evaluate is refused
# when the rules are loaded, never skipped file by file.
. "$(dirname "$0")/lib.sh"
have_yara=0
command -v yara >/dev/null && have_yara=1

eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
printf '%s' "$eicar" >"$work/eicar.com"
python3 -c "import sys; sys.stdout.write('a' * (10 * 1024 * 1024))" >"$work/a10m"
cat >"$work/eicar.yar" <<'EOF'
rule eicar { strings: $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $e }
EOF

# ---- --timeout ---------------------------------------------------------------------------------
printf '%s\n' 'rule backtracking { strings: $a = /(a+)+$/ condition: $a }' >"$work/regex.yar"
printf '%s\n' 'rule unbounded { strings: $a = { 61 [-] 62 } condition: $a }' >"$work/hex.yar"
# (the shortest deadline, 1 s, for the files that run into it)
for kind in regex hex; do
  cat "$work/$kind.yar" "$work/eicar.yar" >"$work/$kind-eicar.yar"
  start=$(date +%s)
  expect_exit "$kind: a timed-out file is an error (exit 2)" 2 \
    "$VITRINE" scan --timeout 1 --format json --rules "$work/$kind.yar" "$work/a10m"
  took=$(($(date +%s) - start))
  [ "$took" -lt 15 ] && ok "$kind: stops at the deadline (${took} s)" ||
    not_ok "$kind: stops at the deadline" "took $took s with --timeout 1"
  expect_contains "$kind: JSON error record" "$out" \
    "{\"path\":\"$work/a10m\",\"status\":\"error\",\"error\":\"scanning timed out\"}"
  expect_exit "$kind: a detection beside the timed-out file (exit 1)" 1 \
    "$VITRINE" scan --timeout 1 --rules "$work/$kind-eicar.yar" "$work/eicar.com" "$work/a10m"
  expect_contains "$kind: the detection" "$out" "$work/eicar.com: eicar FOUND"
  expect_contains "$kind: the timed-out file" "$out" "$work/a10m: scanning timed out ERROR"
  expect_contains "$kind: counted as an error" "$out" "Errors: 1"
  start=$(date +%s)
  expect_exit "$kind: yara mode, exit 1 as yara" 1 "$VITRINE" yara -w -a 1 "$work/$kind.yar" "$work/a10m"
  took=$(($(date +%s) - start))
  [ "$took" -lt 15 ] && ok "$kind: yara mode stops at the deadline (${took} s)" ||
    not_ok "$kind: yara mode stops at the deadline" "took $took s with -a 1"
  expect_contains "$kind: yara's message" "$err" "error scanning $work/a10m: scanning timed out"
done
# yara 4.2.3 itself times out on the backtracking regex: the same line and exit status
if [ $have_yara = 1 ]; then
  yara -w -a 1 "$work/regex.yar" "$work/a10m" >"$work/y.out" 2>"$work/y.err"
  y=$?
  "$VITRINE" yara -w -a 1 "$work/regex.yar" "$work/a10m" >"$work/v.out" 2>"$work/v.err"
  v=$?
  if [ $y = $v ] && cmp -s "$work/y.out" "$work/v.out" && cmp -s "$work/y.err" "$work/v.err"; then
    ok "yara mode prints what yara prints for a timeout"
  else
    not_ok "yara mode prints what yara prints for a timeout" "yara $y: $(cat "$work/y.err")" \
      "vitrine $v: $(cat "$work/v.err")"
  fi
else
  not_ok "yara 4.2.3 is installed (scripts/install-deps --test)"
fi
# a file within its deadline is scanned as without one
expect_exit "a small file within the deadline" 1 "$VITRINE" scan --timeout 2 --rules "$work/regex-eicar.yar" "$work/eicar.com"

# ---- long chains of and / or -------------------------------------------------------------------
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
def rule(name, cond):
    return 'rule %s { condition: %s }\n' % (name, cond)
eicar = open(w + '/eicar.yar').read()
chains = {
    'or6000': rule('big_or', ' or '.join('filesize == %d' % (1000000 + i) for i in range(6000)) + ' or filesize == 68'),
    'or50000': rule('huge_or', ' or '.join('filesize == %d' % (1000000 + i) for i in range(50000)) + ' or true'),
    'and10000': rule('long_and', ' and '.join('filesize > %d' % i for i in range(10000))),
    'sum20000': rule('long_sum', ' + '.join(['filesize'] * 20000) + ' == %d' % (68 * 20000)),
    'not5000': rule('many_not', 'not ' * 5000 + 'false'),
    'right_or': rule('right_or', '(filesize == 1 or ' * 2000 + 'filesize == 68' + ')' * 2000),
    'mixed': rule('mixed', ' or '.join('(filesize == %d and true) or not defined filesize' % i
                                      for i in range(8000)) + ' or filesize == 68'),
}
for name, text in chains.items():
    open('%s/%s.yar' % (w, name), 'w').write(text + eicar)
# nested through parentheses deeper than the evaluator recurses (VT_COND_MAX_DEPTH, 4096); yara
# 4.2.3's parser refuses this one too ("memory exhausted")
open(w + '/deep.yar', 'w').write(
    rule('deep', '(filesize + ' * 4500 + '1' + ')' * 4500 + ' > 0') + eicar)
PY
for name in or6000 or50000 and10000 sum20000 not5000 right_or mixed; do
  expect_exit "$name: scan finds both rules (exit 1)" 1 "$VITRINE" scan --rules "$work/$name.yar" "$work/eicar.com"
  expect_contains "$name: EICAR still fires" "$out" "$work/eicar.com: eicar FOUND"
  case "$err" in *"nested too deeply"*) not_ok "$name: no 'nested too deeply'" "$err" ;;
    *) ok "$name: no 'nested too deeply'" ;; esac
  if [ $have_yara = 1 ]; then
    yara -w "$work/$name.yar" "$work/eicar.com" >"$work/y.out" 2>&1
    "$VITRINE" yara -w "$work/$name.yar" "$work/eicar.com" >"$work/v.out" 2>&1
    if cmp -s "$work/y.out" "$work/v.out"; then ok "$name: same as yara ($(tr '\n' ' ' <"$work/y.out"))"
    else not_ok "$name: same as yara" "yara: $(cat "$work/y.out")" "vitrine: $(cat "$work/v.out")"; fi
  fi
done

# nested as deep as the evaluator goes (4,000 calls): evaluated in scan threads too, whatever the
# default thread stack (glibc gives 2 MB when the stack limit is unlimited)
python3 -c "print('import \"math\"\nrule calls { condition: ' + 'math.abs(' * 4000 + '1' + ')' * 4000 + ' == 1 }')" >"$work/calls.yar"
cat "$work/eicar.yar" >>"$work/calls.yar"
expect_exit "4,000 nested calls in scan threads (exit 1)" 1 \
  bash -c 'ulimit -s unlimited 2>/dev/null; exec "$@"' - "$VITRINE" scan -j 2 --rules "$work/calls.yar" "$work/eicar.com" "$work/a10m"
expect_contains "4,000 nested calls: evaluated" "$out" "$work/a10m: calls FOUND"
expect_contains "4,000 nested calls: EICAR beside" "$out" "$work/eicar.com: eicar FOUND"

expect_exit "too deep to evaluate: refused when loaded (exit 2)" 2 \
  "$VITRINE" scan --rules "$work/deep.yar" "$work/eicar.com"
expect_contains "too deep: says which rule and why" "$err" 'rule "deep": condition nested too deeply to evaluate'
case "$out$err" in *SKIPPED*|*"eicar.com: OK"*) not_ok "too deep: no file reported skipped or clean" "$out" "$err" ;;
  *) ok "too deep: no file reported skipped or clean" ;; esac
expect_exit "too deep: yara mode refuses the rules (exit 1)" 1 "$VITRINE" yara "$work/deep.yar" "$work/eicar.com"
expect_contains "too deep: yara mode message" "$err" "condition nested too deeply to evaluate"
expect_exit "too deep: compile refuses it (exit 2)" 2 "$VITRINE" compile "$work/deep.yar" -o "$work/deep.vtr"
[ ! -e "$work/deep.vtr" ] && ok "too deep: no compiled ruleset written" || not_ok "too deep: no compiled ruleset written"

finish
