#!/usr/bin/env bash
# modules_tests.sh: yara 4.2.3's `tests` module against Debian's yara. Generated rules read every
# field of the module (constants, arrays and dictionaries with their holes, structure arrays and
# dictionaries, undefined members, module data) and call every function (match, isum, fsum,
# length, empty, foobar) with defined and undefined arguments, in values (console.log, which
# prints nothing for an undefined value) and in boolean conditions (defined, ==, loops, not).
# `yara -w` and `vitrine yara -w` must print the same lines, without and with module data
# (-x tests=FILE), and `yara -D` the same dump.
. "$(dirname "$0")/../e2e/lib.sh"
command -v yara >/dev/null || { not_ok "yara is installed (scripts/install-deps)"; finish; }
cd "$work" || exit 2

python3 - >rules.yar <<'PY'
import itertools
ints = ['tests.constants.one', 'tests.constants.two', 'tests.undefined.i',
        'tests.integer_array[0]', 'tests.integer_array[1]', 'tests.integer_array[2]',
        'tests.integer_array[3]', 'tests.integer_array[255]', 'tests.integer_array[256]',
        'tests.integer_array[257]', 'tests.integer_array[-1]', 'tests.integer_dict["a"]',
        'tests.struct_array[0].i', 'tests.struct_array[1].i', 'tests.struct_array[2].i',
        'tests.struct_dict["foo"].i', 'tests.struct_dict["bar"].i',
        'tests.empty_struct_dict["x"].unused', 'tests.length("abc")', 'tests.length("")',
        'tests.length(tests.string_array[3])', 'tests.length(tests.string_array[4])',
        'tests.length(tests.module_data)',
        'tests.isum(1, 2)', 'tests.isum(1, 2, 3)', 'tests.isum(tests.undefined.i, 1)',
        'tests.isum(0x7FFFFFFFFFFFFFFF, 1)', 'tests.isum(-5, tests.constants.two, 3)',
        'tests.isum(tests.integer_array[256], tests.struct_array[1].i, tests.undefined.i)',
        'tests.integer_array[tests.constants.two]', 'tests.integer_array[tests.undefined.i]',
        '#a', 'tests.constants.one + tests.undefined.i', 'tests.constants.two * 3']
floats = ['tests.undefined.f', 'tests.fsum(1.5, 2.25)', 'tests.fsum(1.0, 2.0, 3.5)',
          'tests.fsum(tests.undefined.f, 1.0)', 'tests.fsum(0.1, 0.2, 0.3)',
          'tests.fsum(tests.undefined.f, tests.undefined.f, 2.0)', 'tests.fsum(-1.5, 1.5)']
strings = ['tests.constants.foo', 'tests.constants.empty', 'tests.module_data',
           'tests.string_array[0]', 'tests.string_array[1]', 'tests.string_array[2]',
           'tests.string_array[3]', 'tests.string_array[4]', 'tests.string_array[-1]',
           'tests.string_dict["foo"]', 'tests.string_dict["bar"]', 'tests.string_dict["baz"]',
           'tests.string_dict[""]', 'tests.struct_array[0].s', 'tests.struct_array[1].s',
           'tests.struct_dict["foo"].s', 'tests.struct_dict["x"].s', 'tests.empty()',
           'tests.foobar(1)', 'tests.foobar(2)', 'tests.foobar(3)', 'tests.foobar(0)',
           'tests.foobar(tests.undefined.i)', 'tests.foobar(tests.constants.two)',
           'tests.string_array[tests.constants.one]',
           'tests.empty_struct_array[0].struct_array[0].unused',
           'tests.empty_struct_array[0].struct_dict["a"].unused']
regexes = ['/foo/', '/oo/', '/o*/', '/o+/', '/x/', '/^f/', '/^o/', '/o$/', '/r$/', '/a|ab/',
           '/ab|a/', '/a.*/', '/a.*?/', '/b.?/', '/\\d+/', '/[a-z]+/', '/FOO/i', '/\\bba/',
           '/(a|ab)(c|bcd)/', '/.*/', '/f.o/', '/o{2}/', '/.?/', '/o*?/', '/\\b/', '/^/', '/$/', '/x*$/', '/\\x00/', '/ar/s']
texts = ['"foo"', '"xoo"', '"oox"', '""', '"foo bar"', '"abcd"', '"xabcd"', '"ab123"',
         '"foobar baz"', '"xab"', 'tests.string_array[3]', 'tests.module_data',
         'tests.constants.empty', 'tests.string_array[9]',
         '"a\\nb"', '"FOOBAR"']
n = 0
def rule(cond):
    global n
    n += 1
    strings = 'strings: $a = "hello" ' if '#a' in cond else ''
    print('rule r%d { %scondition: %s }' % (n, strings, cond))
print('import "tests"\nimport "console"')
for e in ints + floats + strings:
    rule('console.log("%s = ", %s)' % (e.replace('"', '\\"'), e))
    rule('defined %s' % e)
    rule('not (%s)' % (e if e not in strings else '%s == ""' % e))
for e in ints:
    for v in ['0', '1', '2', '256', '-1']:
        rule('%s == %s' % (e, v))
    rule('%s > 1 or true' % e)
    rule('%s != 1 and true' % e)
for e in floats:
    rule('%s == 3.75' % e)
    rule('%s < 7.0' % e)
for e in strings:
    rule('%s == "foo"' % e)
    rule('%s contains "o"' % e)
    rule('%s matches /ba/' % e)
for r, t in itertools.product(regexes, texts):
    rule('console.log("match(%s, %s) = ", tests.match(%s, %s))'
         % (r.replace('\\', '\\\\').replace('"', '\\"'), t.replace('\\', '\\\\').replace('"', '\\"'), r, t))
loops = [
    'for any i in (0..256) : (tests.integer_array[i] == 256)',
    'for all i in (0..2) : (tests.integer_array[i] == i)',
    'for all i in (0..3) : (tests.integer_array[i] == i)',
    'for any s in tests.string_array : (s == "baz")',
    'for all s in tests.string_array : (tests.length(s) == 3)',
    'for any k, v in tests.string_dict : (k == "bar" and v == "bar")',
    'for all k, v in tests.string_dict : (k == v)',
    'for any k, v in tests.struct_dict : (v.i == 1 and v.s == k)',
    'for any k, v in tests.empty_struct_dict : (true)',
    'not for any k, v in tests.empty_struct_dict : (true)',
    'for all k, v in tests.empty_struct_dict : (false)',
    'for any x in tests.struct_array : (x.i == 1)',
    'for all x in tests.struct_array : (x.i == 1)',
    'for any x in tests.struct_array : (not defined x.s)',
    'for any x in tests.empty_struct_array : (true)',
    'for any i in tests.integer_array : (i == 256)',
    'for 4 i in tests.integer_array : (i >= 0)',
    'for any k, v in tests.integer_dict : (true)',
    'for any i in (tests.constants.one..tests.constants.two) : (tests.integer_array[i] == 2)',
    'for any i in (tests.constants.one..tests.undefined.i) : (true)',
    'for any i in (tests.undefined.i, 1) : (i == 1)',
    'tests.undefined.i or true', 'tests.undefined.i and true', 'not tests.undefined.i',
    'tests.undefined.f or true', 'not tests.undefined.f', 'tests.module_data or true',
    'tests.isum(1, 2) == tests.constants.one + tests.constants.two',
    'tests.fsum(1.0, 0.5) == 1.5',
    'tests.match(/foo/, tests.constants.foo) == tests.length(tests.constants.foo)',
    'tests.integer_array[tests.isum(128, 128)] == 256',
    'tests.string_array[3] == "foo"', 'tests.string_array[3] contains "bar"',
    'tests.string_array[3] startswith "foo\\x00"', 'tests.string_array[3] iequals "FOO\\x00BAR"',
    'tests.module_data == "hello"', 'tests.module_data contains "ll"',
    'tests.length(tests.module_data) == 5',
]
for c in loops:
    rule(c)
PY
printf 'hello\x00world' >data
printf 'hello' >module_data
printf 'hel\x00lo\xff' >module_data_nul
compare() { # NAME YARA-AND-VITRINE-ARGS...
  local name=$1; shift
  yara -w "$@" >yara.out 2>yara.err
  local ys=$?
  "$VITRINE" yara -w "$@" >ours.out 2>ours.err
  local vs=$?
  if [ $ys -ne 0 ] || [ ! -s yara.out ]; then
    not_ok "$name: yara runs the rules" "status $ys: $(head -3 yara.err)"
  elif [ $vs -eq $ys ] && cmp -s yara.out ours.out; then
    ok "$name: $(wc -l <ours.out) lines identical"
  else
    not_ok "$name: same output as yara (status $ys vs $vs)" "$(diff yara.out ours.out | head -12)" "$(head -3 ours.err)"
  fi
}
echo "# $(grep -c '^rule' rules.yar) rules"
compare "without module data" rules.yar data
compare "with module data" -x tests=module_data rules.yar data
compare "with module data containing NUL and 0xff" -x tests=module_data_nul rules.yar data
compare "empty data file" rules.yar module_data
: >empty
compare "with empty module data" -x tests=empty rules.yar data
printf 'import "tests"\nrule t { condition: true }\n' >dump.yar
compare "yara -D dump" -D dump.yar data
compare "yara -D dump with module data" -D -x tests=module_data_nul dump.yar data
# The issue's row: a rule reading an undefined member matches through `or true`.
printf 'import "tests"\nrule test { condition: tests.undefined.i or true }\n' >row.yar
"$VITRINE" yara row.yar data >row.out 2>&1
[ "$(cat row.out)" = "test data" ] && ok "tests.undefined.i or true matches" ||
  not_ok "tests.undefined.i or true matches" "$(cat row.out)"
"$VITRINE" scan --rules row.yar data >scan.out 2>&1
grep -q 'test' scan.out && ok "vitrine scan runs the tests module" || not_ok "vitrine scan runs the tests module" "$(cat scan.out)"
finish
