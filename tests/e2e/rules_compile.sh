#!/usr/bin/env bash
# rules_compile.sh: the `vitrine compile` command: output file, namespaces, includes relative to
# the including file with cycle detection, external variables (-d), warnings, --fail-on-warnings,
# nothing written on error, and corrupt ruleset files refused.
. "$(dirname "$0")/lib.sh"
cd "$work" || exit 2

cat >a.yar <<'R'
rule a : t1 { meta: author = "x" strings: $s = "hello" condition: $s }
R
cat >b.yar <<'R'
rule a { condition: true }
R
expect_exit "compile one file" 0 "$VITRINE" compile a.yar -o out.vtr
[ -s out.vtr ] && ok "output written" || not_ok "output written"
head -c 8 out.vtr | grep -q VTRULES && ok "magic" || not_ok "magic"
expect_exit "same rule name in two namespaces" 0 "$VITRINE" compile n1:a.yar n2:b.yar -o ns.vtr
expect_exit "same rule name in one namespace" 2 "$VITRINE" compile a.yar b.yar -o dup.vtr
expect_contains "duplicate named" "$err" 'b.yar:1:6: duplicated identifier "a"'
[ ! -e dup.vtr ] && ok "nothing written on error" || not_ok "nothing written on error"

# imports and rules belong to their namespace, as in yara
printf 'import "pe"\nrule r1 { condition: pe.is_pe == 1 }\n' >n1.yar
printf 'rule r2 { condition: pe.is_pe == 1 and r1 }\n' >n2.yar
expect_exit "same namespace sees the import and the rule" 0 "$VITRINE" compile a:n1.yar a:n2.yar -o n.vtr
expect_exit "another namespace does not" 2 "$VITRINE" compile a:n1.yar b:n2.yar -o n.vtr
expect_contains "undefined module in the other namespace" "$err" 'n2.yar:1:22: undefined identifier "pe"'

# a wildcard rule set forbids later rules with its prefix in its own namespace only, as in yara
printf 'rule w0 { condition: true }\nrule set { condition: 1 of (w*) }\n' >w1.yar
printf 'rule w1 { condition: true }\n' >w2.yar
expect_exit "wildcard prefix in the same namespace" 2 "$VITRINE" compile ns:w1.yar ns:w2.yar -o w.vtr
expect_contains "wildcard clash named" "$err" 'w2.yar:1:6: rule identifier "w1" matches previously used wildcard rule set'
expect_exit "yarac refuses it too" 1 yarac ns:w1.yar ns:w2.yar w.yarc
expect_exit "wildcard prefix in another namespace" 0 "$VITRINE" compile n1:w1.yar n2:w2.yar -o w.vtr
expect_exit "yarac accepts it too" 0 yarac n1:w1.yar n2:w2.yar w.yarc

# includes are relative to the including file; cycles are refused
mkdir -p sub/deeper
cat >sub/main.yar <<'R'
include "deeper/inc.yar"
rule main { condition: inc }
R
cat >sub/deeper/inc.yar <<'R'
rule inc { condition: true }
R
expect_exit "include relative to the including file" 0 "$VITRINE" compile sub/main.yar -o inc.vtr
cat >cyc1.yar <<'R'
include "cyc2.yar"
rule c1 { condition: true }
R
cat >cyc2.yar <<'R'
include "cyc1.yar"
rule c2 { condition: true }
R
expect_exit "include cycle refused" 2 "$VITRINE" compile cyc1.yar -o cyc.vtr
expect_contains "include cycle named" "$err" "cyc2.yar:1:9: includes circular reference"
cat >self.yar <<'R'
include "self.yar"
R
expect_exit "self include refused" 2 "$VITRINE" compile self.yar -o cyc.vtr

# yara's include depth: a chain of 16 files compiles, 17 do not
mkdir -p chain
for i in $(seq 1 17); do printf 'include "c%d.yar"\nrule c%d { condition: true }\n' $((i + 1)) "$i" >chain/c$i.yar; done
printf 'rule c17 { condition: true }\n' >chain/c17.yar
printf 'rule c16 { condition: true }\n' >chain/c16.yar
expect_exit "16 levels of include" 0 "$VITRINE" compile chain/c1.yar -o chain.vtr
printf 'include "c17.yar"\nrule c16 { condition: true }\n' >chain/c16.yar
expect_exit "17 levels of include" 2 "$VITRINE" compile chain/c1.yar -o chain.vtr
expect_contains "include depth named" "$err" "chain/c16.yar:1:9: includes depth exceeded"

# external variables
cat >ext.yar <<'R'
rule e { condition: env == "prod" and level > 2 and debug and ratio > 0.5 }
R
expect_exit "undefined external" 2 "$VITRINE" compile ext.yar -o ext.vtr
expect_contains "undefined external named" "$err" 'ext.yar:1:21: undefined identifier "env"'
expect_exit "externals defined" 0 "$VITRINE" compile -d env=prod -d level=3 -d debug=true -d ratio=0.75 ext.yar -o ext.vtr
expect_exit "external of the wrong type" 2 "$VITRINE" compile -d env=1 -d level=3 -d debug=true -d ratio=0.75 ext.yar -o ext.vtr
expect_contains "type mismatch reported" "$err" "type mismatch"
expect_exit "bad -d" 2 "$VITRINE" compile -d novalue ext.yar -o ext.vtr

# warnings
cat >warn.yar <<'R'
rule w { strings: $a = "x" condition: $a and entrypoint >= 0 }
R
expect_exit "warnings do not fail" 0 "$VITRINE" compile warn.yar -o warn.vtr
expect_contains "entrypoint warning" "$err" 'warn.yar:1:46: Using deprecated "entrypoint" keyword'
expect_exit "--fail-on-warnings" 2 "$VITRINE" compile --fail-on-warnings warn.yar -o warn2.vtr
[ ! -e warn2.vtr ] && ok "nothing written with --fail-on-warnings" || not_ok "nothing written with --fail-on-warnings"
expect_exit "--check writes nothing" 0 "$VITRINE" compile --check a.yar
expect_exit "missing file" 2 "$VITRINE" compile nosuch.yar -o x.vtr
expect_exit "no output" 2 "$VITRINE" compile a.yar
expect_exit "no files" 2 "$VITRINE" compile -o x.vtr
expect_exit "--stats" 0 "$VITRINE" compile --stats a.yar --check
expect_contains "--stats counts" "$out" "rules 1 strings 1"
finish
