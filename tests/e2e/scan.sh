#!/usr/bin/env bash
# scan.sh: `vitrine scan` and `vitrine yara` from the outside: detections, exit status, text and
# JSON output, errors that do not stop a scan, compiled rulesets, threads; and `vitrine yara`
# printing exactly what yara 4.2.3 prints for a range of options.
. "$(dirname "$0")/lib.sh"
starter=$VITRINE_SOURCE_ROOT/rules/starter
d=$work/tree
mkdir -p "$d/sub/deeper"
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$d/eicar.com"
printf 'nothing here\n' >"$d/clean.txt"
cp "$d/eicar.com" "$d/sub/deeper/copy.com"
: >"$d/empty"

expect_exit "scan finds EICAR (exit 1)" 1 "$VITRINE" scan -r "$starter/eicar.yar" "$d"
expect_contains "detection line" "$out" "$d/eicar.com: EICAR_Test_File FOUND"
expect_contains "nested detection line" "$out" "$d/sub/deeper/copy.com: EICAR_Test_File FOUND"
expect_contains "clean file OK" "$out" "$d/clean.txt: OK"
expect_contains "summary counts files" "$out" "Scanned files: 4"
expect_contains "summary counts infected files" "$out" "Infected files: 2"
expect_exit "scan of a clean file (exit 0)" 0 "$VITRINE" scan -r "$starter/eicar.yar" "$d/clean.txt"
expect_exit "-i prints only detections" 1 "$VITRINE" scan -i -S -r "$starter/eicar.yar" "$d"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] && ok "-i -S: two lines" || not_ok "-i -S: two lines" "$out"

expect_exit "JSON lines (exit 1)" 1 "$VITRINE" scan --format json -r "$starter/eicar.yar" "$d"
printf '%s\n' "$out" >"$work/out.jsonl"
if python3 - "$work/out.jsonl" "$d" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {r["path"]: r for r in rows}
e = by[sys.argv[2] + "/eicar.com"]
assert e["status"] == "found", e
m = e["matches"][0]
assert m["rule"] == "EICAR_Test_File" and m["namespace"] == "default" and m["tags"] == ["test"], m
assert m["meta"]["author"] == "vitrine team", m
s = m["strings"][0]
assert s["identifier"] == "$eicar" and s["offset"] == 0 and s["length"] == 68, s
assert by[sys.argv[2] + "/clean.txt"]["status"] == "clean"
assert len(rows) == 4
PY
then ok "JSON lines carry path, status, rule, namespace, tags, meta, strings"; else not_ok "JSON lines content" "$out"; fi

expect_exit "missing path: error (exit 2)" 2 "$VITRINE" scan -r "$starter/eicar.yar" "$work/nope"
expect_contains "missing path named" "$out" "$work/nope"
ln -s "$work/vanished" "$d/dangling"
expect_exit "dangling link followed: found wins over the error (exit 1)" 1 \
  "$VITRINE" scan -L -r "$starter/eicar.yar" "$d"
expect_contains "the other files were still scanned" "$out" "Infected files: 2"
rm "$d/dangling"
head -c 3000 /dev/zero >"$d/big.bin"
expect_exit "over the size limit: skipped, scan goes on" 1 \
  "$VITRINE" scan --max-filesize 2K -r "$starter/eicar.yar" "$d"
expect_contains "skip reported" "$out" "big.bin"
expect_contains "skip counted" "$out" "Skipped files: 1"
rm "$d/big.bin"

printf 'rule broken {\n  condition: $a\n}\n' >"$work/broken.yar"
expect_exit "broken rules: exit 2" 2 "$VITRINE" scan -r "$work/broken.yar" "$d"
expect_contains "broken rules: FILE:LINE:COL" "$err" "broken.yar:2:"
expect_exit "no rules: exit 2" 2 "$VITRINE" scan "$d"
expect_exit "bad --format: exit 2" 2 "$VITRINE" scan --format xml -r "$starter/eicar.yar" "$d"

expect_exit "compile the starter rules" 0 "$VITRINE" compile "$starter/eicar.yar" -o "$work/starter.vtr"
expect_exit "scan with a compiled ruleset" 1 "$VITRINE" scan -S -r "$work/starter.vtr" "$d"
expect_contains "compiled ruleset detects" "$out" "eicar.com: EICAR_Test_File FOUND"

for i in $(seq 1 60); do printf 'file %d\n' "$i" >"$d/sub/f$i.txt"; done
for i in 5 17 33; do cp "$d/eicar.com" "$d/sub/e$i.com"; done
"$VITRINE" scan -j 1 -i -S -r "$starter/eicar.yar" "$d" | sort >"$work/j1"
"$VITRINE" scan -j 4 -i -S -r "$starter/eicar.yar" "$d" | sort >"$work/j4"
cmp -s "$work/j1" "$work/j4" && [ "$(wc -l <"$work/j1")" -eq 5 ] &&
  ok "4 threads find what 1 thread finds (5 files)" || not_ok "threads agree" "$(diff "$work/j1" "$work/j4")"

# vitrine yara prints what yara prints.
cat >"$work/y.yar" <<'YAR'
rule tagged : alpha beta { meta: author = "a \"quoted\" name" level = 3 ok = true
  strings: $e = "EICAR" $p = "STANDARD" private $h = { 58 35 4F 21 } condition: any of them }
rule counted { strings: $t = "file" condition: #t > 0 }
private rule hidden { condition: true }
global rule big_enough { condition: filesize > 0 }
rule wide_nocase { strings: $w = "nothing" nocase condition: $w }
YAR
for opts in "-s" "-g -m -e" "-L" "-c" "-n" "-i counted -s" "-t beta -g" "-r -s" "-r -c" "-r -l 2" \
            "-r -N -e -s -w"; do
  target=$d
  case "$opts" in -r*) ;; *) target=$d/eicar.com ;; esac
  yara $opts -p 1 "$work/y.yar" "$target" >"$work/yara.out" 2>&1
  "$VITRINE" yara $opts -p 1 "$work/y.yar" "$target" >"$work/vitrine.out" 2>&1
  cmp -s "$work/yara.out" "$work/vitrine.out" && ok "vitrine yara $opts: same as yara" ||
    not_ok "vitrine yara $opts: same as yara" "$(diff "$work/yara.out" "$work/vitrine.out" | head)"
done
# Fast mode (-f): a string the condition only tests for being found keeps its first match;
# at, in, #, @, ! (also `#`, `@` in a for-of loop, for every string of the rule) keep them all.
cat >"$work/fast.yar" <<'YAR'
rule plain { strings: $a = "aXa" condition: $a }
rule set_of { strings: $b = "aXa" $b2 = "zz" condition: any of ($b*) }
rule at_two { strings: $c = "aXa" condition: $c at 0 or $c at 4 }
rule in_range { strings: $d = "aXa" condition: $d in (0..100) }
rule counted { strings: $e = "aXa" condition: #e > 1 }
rule offset_length { strings: $f = "aXa" $g = "Xa" condition: @f[1] == 0 and !g[1] == 2 }
rule loop_found { strings: $h = "aXa" condition: for any of ($h) : ($) }
rule loop_offset { strings: $i = "aXa" $j = "Xa" condition: $j and for any of ($i) : (@ >= 0) }
YAR
printf 'aXa aXa aXa\n' >"$work/fast.txt"
"$VITRINE" compile -w "$work/fast.yar" -o "$work/fast.vtr" >/dev/null
yara -w -f -s "$work/fast.yar" "$work/fast.txt" >"$work/yara.out" 2>&1
for form in source compiled; do
  if [ $form = source ]; then "$VITRINE" yara -w -f -s "$work/fast.yar" "$work/fast.txt" >"$work/vitrine.out" 2>&1
  else "$VITRINE" yara -w -f -s -C "$work/fast.vtr" "$work/fast.txt" >"$work/vitrine.out" 2>&1; fi
  cmp -s "$work/yara.out" "$work/vitrine.out" && ok "vitrine yara -f -s ($form rules): same as yara" ||
    not_ok "vitrine yara -f -s ($form rules): same as yara" "$(diff "$work/yara.out" "$work/vitrine.out")"
done
[ "$(grep -c '\$a:' "$work/yara.out")" -eq 1 ] && [ "$(grep -c '\$e:' "$work/yara.out")" -eq 3 ] &&
  ok "-f keeps one match of a found-only string and all of a counted one" ||
  not_ok "-f keeps one match of a found-only string and all of a counted one" "$(cat "$work/yara.out")"
# Several threads over files larger than 4 MB (scanned one at a time, the others set aside while
# small files go on): every file is scanned once, with the same results as one thread and yara.
mkdir -p "$work/large"
for i in 1 2 3 4; do
  head -c $((4200000 + i * 1000)) /dev/zero >"$work/large/big$i"
  printf 'aXa at the end %s' "$i" >>"$work/large/big$i"
  printf 'small aXa %s\n' "$i" >"$work/large/small$i"
done
yara -w -s -p 1 "$work/fast.yar" "$work/large" | sort >"$work/yara.out"
for t in 1 2 4; do
  "$VITRINE" yara -w -s -p $t "$work/fast.yar" "$work/large" | sort >"$work/vitrine.out"
  cmp -s "$work/yara.out" "$work/vitrine.out" && [ "$(grep -c '^plain ' "$work/vitrine.out")" -eq 8 ] &&
    ok "vitrine yara -p $t over large and small files: same as yara" ||
    not_ok "vitrine yara -p $t over large and small files: same as yara" "$(diff "$work/yara.out" "$work/vitrine.out" | head)"
done
expect_exit "vitrine scan -j 2 over large and small files" 1 "$VITRINE" scan -j 2 -r "$work/fast.yar" "$work/large"
expect_contains "vitrine scan -j 2 counts every file" "$out" "Scanned files: 8"
# External variables of compiled rules, set at scan time with -d, checked as yara checks them.
printf 'rule ext { condition: n > 5 }\n' >"$work/ext.yar"
"$VITRINE" compile -d n=1 "$work/ext.yar" -o "$work/ext.vtr" >/dev/null
yarac -d n=1 "$work/ext.yar" "$work/ext.yarc"
for value in 10 2 0x10; do
  yara -C -d "n=$value" "$work/ext.yarc" "$d/clean.txt" >"$work/yara.out" 2>&1; echo "exit $?" >>"$work/yara.out"
  "$VITRINE" yara -C -d "n=$value" "$work/ext.vtr" "$d/clean.txt" >"$work/vitrine.out" 2>&1; echo "exit $?" >>"$work/vitrine.out"
  cmp -s "$work/yara.out" "$work/vitrine.out" && ok "vitrine yara -C -d n=$value: same as yara" ||
    not_ok "vitrine yara -C -d n=$value: same as yara" "$(diff "$work/yara.out" "$work/vitrine.out")"
done
# Compiler diagnostics on stderr in yara's form: inside a rule 'KIND: rule "R" in FILE(LINE): ...',
# outside 'FILE(LINE): KIND: ...', warnings found before an error printed before it.
printf 'rule slow { strings: $a = /a.*b/ condition: $a }\nrule dup { condition: true }\nrule dup { condition: true }\n' >"$work/dup.yar"
printf 'rule u { strings: $a = "xy" $b = "y" condition: $a }\n' >"$work/unref.yar"
printf 'rule a { condition: foo }\n' >"$work/undef.yar"
printf 'import "nonexist"\nrule a { condition: true }\n' >"$work/module.yar"
for f in dup unref undef module; do
  (cd "$work" && yara "$f.yar" "$d/clean.txt" >yara.out 2>&1; echo "exit $?" >>yara.out)
  (cd "$work" && "$VITRINE" yara "$f.yar" "$d/clean.txt" >vitrine.out 2>&1; echo "exit $?" >>vitrine.out)
  cmp -s "$work/yara.out" "$work/vitrine.out" && ok "vitrine yara: compiler diagnostics of $f.yar as yara prints them" ||
    not_ok "vitrine yara: compiler diagnostics of $f.yar as yara prints them" "$(diff "$work/yara.out" "$work/vitrine.out")"
done
# Modules leave out members no rule reads (elf.symtab): rules that read the symbol tables, and
# rules that read only their counts, still see yara's values (the vitrine binary is unstripped).
cat >"$work/sym_read.yar" <<'YAR'
import "elf"
rule counts { condition: elf.symtab_entries > 100 and elf.dynsym_entries > 10 }
rule has_main { condition: for any i in (0..elf.symtab_entries - 1): (elf.symtab[i].name == "main") }
rule has_free { condition: for any i in (0..elf.dynsym_entries - 1): (elf.dynsym[i].name == "free") }
YAR
printf 'import "elf"\nrule counts { condition: elf.symtab_entries > 100 and elf.dynsym_entries > 10 }\n' \
  >"$work/sym_count.yar"
for rules in sym_read sym_count; do
  yara -p 1 "$work/$rules.yar" "$VITRINE" >"$work/yara.out" 2>&1
  "$VITRINE" yara -p 1 "$work/$rules.yar" "$VITRINE" >"$work/vitrine.out" 2>&1
  if cmp -s "$work/yara.out" "$work/vitrine.out" && [ -s "$work/yara.out" ]; then
    ok "elf symbol tables ($rules): same as yara"
  else
    not_ok "elf symbol tables ($rules): same as yara" "$(diff "$work/yara.out" "$work/vitrine.out")"
  fi
done
yara "$work/y.yar" "$work/nope" >/dev/null 2>&1; want=$?
expect_exit "vitrine yara: missing file, yara's exit status" "$want" "$VITRINE" yara "$work/y.yar" "$work/nope"
expect_contains "vitrine yara: yara's message" "$err" "error scanning $work/nope: could not open file"
expect_exit "vitrine yara: unknown option" 1 "$VITRINE" yara --frob "$work/y.yar" "$d"
expect_contains "vitrine yara: unknown option named" "$err" "unknown option \`--frob\`"
finish
