# rule_args.sh: the rule arguments read once in lib/rules/args.c, against yara 4.2.3 itself:
# `vitrine yara` and `yara` get the same "[NS:]FILE" arguments and "-d NAME=VALUE" definitions
# (from sources, and with -C over rules compiled with the variables declared) and must agree on
# the exit status and the matching rules. `vitrine compile` and `vitrine scan` parse the same way
# (same library functions); a few of their cases are checked here too.
. "$VITRINE_SOURCE_ROOT/tests/e2e/lib.sh"
cd "$work" || exit 2
printf 'data\n' >t

# same NAME ARGS...: vitrine yara and yara exit alike and print the same lines.
same() {
  local name=$1; shift
  local vout yout vrc yrc
  vout=$("$VITRINE" yara "$@" 2>/dev/null); vrc=$?
  yout=$(yara "$@" 2>/dev/null); yrc=$?
  if [ "$vrc" = "$yrc" ] && [ "$vout" = "$yout" ]; then ok "$name"; else
    not_ok "$name" "args: $*" "vitrine: exit $vrc: $vout" "yara: exit $yrc: $yout"; fi
}

# Namespaces.
printf 'rule r { condition: true }\n' >a.yar
printf 'rule r { condition: true }\n' >b.yar
printf 'rule q { condition: true }\n' >'x:y.yar'
printf 'rule y { condition: true }\n' >y.yar
same "FILE" a.yar t
same "NS:FILE" ns:a.yar t
same "two namespaces keep rules apart" n1:a.yar n2:b.yar t
same "one namespace twice: duplicate rule" n1:a.yar n1:b.yar t
same "no namespace twice: duplicate rule" a.yar b.yar t
same "the empty namespace :FILE" :a.yar t
same "the empty namespace is one namespace" :a.yar :b.yar t
same "the empty namespace is not the default one" :a.yar b.yar t
same "an existing file with ':' is a path" 'x:y.yar' t
same "NS:/absolute/path" "ns:$work/a.yar" t
same "a Windows drive C:\\ is a path (missing)" 'C:\a.yar' t
same "a missing file after NS:" ns:missing.yar t

# -d definitions compiled into the rules.
printf 'rule is_one { condition: v == 1 }\n' >int.yar
printf 'rule is_one_and_a_half { condition: v == 1.5 }\n' >float.yar
printf 'rule is_one_point_zero { condition: v == 1.0 }\n' >float1.yar
printf 'rule is_true { condition: v }\n' >bool.yar
printf 'rule is_a_eq_b { condition: v == "a=b" }\n' >string.yar
printf 'rule has_dot { condition: v contains "." }\n' >dot.yar
values=(1 -5 007 1.5 1. 1.0 .5 -.5 1.2.3 +5 - 0x10 1e3 true false True '' a=b)
for value in "${values[@]}"; do
  for r in int float float1 bool string dot; do
    # Not an argument question: yara's type checker lets a boolean external be compared with a
    # number (`v == 1` with -d v=true matches); vitrine's compiler calls it a type mismatch.
    case "$value:$r" in true:int | true:float* | false:int | false:float*) continue ;; esac
    same "-d v=$value with $r.yar" -d "v=$value" "$r.yar" t
  done
done
same "-d without '='" -d v int.yar t
same "-d with an empty name" -d =1 int.yar t

# -d at scan time over compiled rules (the variable declared with a value of each type).
declare -A declared=([int]=0 [float]=0.5 [bool]=false [string]=x)
for type in int float bool string; do
  printf 'rule r_%s { condition: v }\n' "$type" >"scan_$type.yar"
  [ "$type" = string ] && printf 'rule r_string { condition: v == "a=b" }\n' >"scan_$type.yar"
  [ "$type" = int ] && printf 'rule r_int { condition: v == 7 }\n' >"scan_$type.yar"
  [ "$type" = float ] && printf 'rule r_float { condition: v == 1.5 }\n' >"scan_$type.yar"
  yarac -d "v=${declared[$type]}" "scan_$type.yar" "$type.yarc" 2>/dev/null
  "$VITRINE" compile -d "v=${declared[$type]}" -o "$type.vtr" "scan_$type.yar"
  for value in 7 1.5 1. true a=b +7 .5 ''; do
    vout=$("$VITRINE" yara -C -d "v=$value" "$type.vtr" t 2>/dev/null); vrc=$?
    yout=$(yara -C -d "v=$value" "$type.yarc" t 2>/dev/null); yrc=$?
    vout=${vout//.vtr/}; yout=${yout//.yarc/}
    if [ "$vrc" = "$yrc" ] && [ "$vout" = "$yout" ]; then ok "-C -d v=$value on a $type variable"
    else not_ok "-C -d v=$value on a $type variable" "vitrine: exit $vrc: $vout" \
      "yara: exit $yrc: $yout"; fi
  done
done

# vitrine compile and vitrine scan read the same arguments.
expect_exit "compile: NS:FILE twice in two namespaces" 0 "$VITRINE" compile --check n1:a.yar n2:b.yar
expect_exit "compile: one namespace twice: duplicate rule" 2 "$VITRINE" compile --check n1:a.yar n1:b.yar
expect_exit "compile: -d with '=' in the value" 0 "$VITRINE" compile -d v=a=b -o s.vtr string.yar
expect_exit "compile: -d without '='" 2 "$VITRINE" compile -d v --check int.yar
expect_contains "compile: -d without '=' says what is expected" "$err" "NAME=VALUE"
expect_exit "scan: -d v=a=b matches" 1 "$VITRINE" scan -d v=a=b --rules string.yar t
"$VITRINE" compile -d v=0 -o int.vtr int.yar
expect_exit "scan: a compiled ruleset among sources is refused" 2 "$VITRINE" scan --rules a.yar \
  --rules int.vtr t
expect_contains "scan: the refusal names the compiled ruleset" "$err" "int.vtr is a compiled ruleset"
finish
