#!/usr/bin/env bash
# strings_differential.sh: string matching against yara 4.2.3. First the cases of issue 11 (a
# heap overflow in the regex DFA's memo, matches near the end of small files lost by
# Vectorscan's AVX-512 build, base64 with wide), each compared with yara's full `-s` output;
# then generated rules and data (strings_differential.py: every string kind and modifier,
# strings planted at offset 0, the last byte, 64-byte and 4 KB boundaries, overlapping), a fixed
# seed set; then generated regexes with repeated groups, hex strings with alternatives, and the
# regexes as conditions (regex_repeats.py, --hex, --matches). Long runs:
# strings_differential.py --seed S --count N, regex_repeats.py [--hex] --seed S --count N.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(dirname "$0")

# same_as_yara NAME RULES DATA [EXPECT]: `vitrine yara -s -w` prints what `yara -s -w` prints
# and exits like it; EXPECT (a line yara must print) guards against both finding nothing.
same_as_yara() {
  local name=$1 rules=$2 data=$3 expect=${4:-}
  local yout vout yrc vrc
  yout=$(yara -s -w "$rules" "$data" 2>&1); yrc=$?
  vout=$("$VITRINE" yara -s -w "$rules" "$data" 2>&1); vrc=$?
  if [ -n "$expect" ] && ! grep -qxF -- "$expect" <<<"$yout"; then
    not_ok "$name" "yara did not print: $expect" "yara: $yout"
  elif [ "$yout" = "$vout" ] && [ "$yrc" = "$vrc" ]; then
    ok "$name"
  else
    not_ok "$name" "yara (exit $yrc):" "$yout" "vitrine (exit $vrc):" "$vout"
  fi
}

# Row 0: the DFA memo recorded one step per byte of a window that yara's scan limit counts
# from the atom (VT_RE_SCAN_LIMIT + atom origin) into VT_RE_SCAN_LIMIT + 1 entries.
echo 'rule r { strings: $a = /[a-z]{3}defg.+q/ condition: $a }' >"$work/overflow.yar"
{ printf abcdefg; head -c 6000 /dev/zero | tr '\0' x; } >"$work/overflow"
same_as_yara "regex with its atom past the start over a 6000-byte run (was a heap overflow)" \
  "$work/overflow.yar" "$work/overflow"
{ printf abcdefg; head -c 6000 /dev/zero | tr '\0' x; printf q; } >"$work/overflow_q"
same_as_yara "same regex, the run ends in q beyond the scan limit" "$work/overflow.yar" "$work/overflow_q"
echo 'rule r { strings: $a = /pop\(\)\..+\s*=\s*.+pop\(\)/ condition: $a }' >"$work/pop.yar"
{ printf 'x = pop().field = '; head -c 5000 /dev/zero | tr '\0' y; printf ' pop() '; } >"$work/pop"
same_as_yara "published regex /pop\\(\\)\\..+\\s*=\\s*.+pop\\(\\)/ over a long line" "$work/pop.yar" "$work/pop"
if [ -r /usr/bin/findent ]; then
  same_as_yara "published regex over /usr/bin/findent" "$work/pop.yar" /usr/bin/findent
fi

# Rows 1-3: matches ending near the end of small data (Vectorscan's AVX-512 build lost them).
echo 'rule test { strings: $b = "mis" $c = "oops" condition: any of them }' >"$work/mis.yar"
{ head -c 62 /dev/zero | tr '\0' x; printf misxxx; } >"$work/mis"
same_as_yara "\"mis\" beside \"oops\" at 0x3e of 68 bytes" "$work/mis.yar" "$work/mis" '0x3e:$b: mis'
echo 'rule test { strings: $a = "a" wide ascii condition: $a }' >"$work/a.yar"
{ head -c 64 /dev/zero | tr '\0' x; printf a; } >"$work/a"
same_as_yara "\"a\" wide ascii as the 65th byte" "$work/a.yar" "$work/a" '0x40:$a: a'
echo 'rule t { strings: $s0 = "ejp" ascii wide condition: any of them }' >"$work/ejp.yar"
python3 -c 'import random, sys; r = random.Random(11); b = bytearray(r.randrange(256) for _ in range(84)); b[0x4e:0x51] = b"ejp"; sys.stdout.buffer.write(b)' >"$work/ejp"
same_as_yara "\"ejp\" ascii wide at 0x4e of 84 random bytes" "$work/ejp.yar" "$work/ejp" '0x4e:$s0: ejp'
# the same class at every end position of 1..300 bytes, one literal and one with a class
echo 'rule w { strings: $a = /z\w/ $b = "mis" $c = "oops" condition: any of them }' >"$work/ends.yar"
mkdir "$work/ends"
python3 - "$work/ends" <<'EOF'
import sys
for n in range(300):
    open("%s/z%d" % (sys.argv[1], n), "wb").write(b"q" * n + b"zt")
    open("%s/m%d" % (sys.argv[1], n), "wb").write(b"x" * n + b"mis")
EOF
yara -s -w "$work/ends.yar" "$work/ends" | sort >"$work/ends.yara"
"$VITRINE" yara -s -w "$work/ends.yar" "$work/ends" | sort >"$work/ends.vitrine"
if [ "$(grep -c '^w ' "$work/ends.yara")" -eq 600 ] && cmp -s "$work/ends.yara" "$work/ends.vitrine"; then
  ok "z\\w and \"mis\" ending at every offset of 2..302 bytes: 600 files, as yara"
else
  not_ok "z\\w and \"mis\" at every end offset" "$(diff "$work/ends.yara" "$work/ends.vitrine" | head -n 10)"
fi

# Row 4: base64 with wide and ascii, every combination, over the four encodings.
python3 - "$work" <<'EOF'
import base64, os, sys
t = b"This program cannot"
w = t.decode().encode("utf-16le")
def wide(b): return bytes(x for c in b for x in (c, 0))
d = os.path.join(sys.argv[1], "b64")
os.mkdir(d)
for name, data in {"ascii": base64.b64encode(t), "wide": base64.b64encode(w),
                   "wide_ascii": wide(base64.b64encode(t)), "wide_wide": wide(base64.b64encode(w))}.items():
    with open(os.path.join(d, name), "wb") as f:
        f.write(b"zz" + data + b"zz" if not name.startswith("wide_") else wide(b"zz") + data + wide(b"zz"))
EOF
printf 'VABoAGkAcwAgAHAAcgBvAGcAcgBhAG0AIABjAGEAbgBuAG8AdAA=' >"$work/row4"
echo 'rule test { strings: $a = "This program cannot" base64 wide condition: $a }' >"$work/row4.yar"
same_as_yara "base64 wide: the base64 of the wide text (issue row)" "$work/row4.yar" "$work/row4" \
  '0x0:$a: VABoAGkAcwAgAHAAcgBvAGcAcgBhAG0AIABjAGEAbgBuAG8AdA'
n=0
for mods in "base64" "base64 wide" "base64 ascii" "base64 wide ascii" "base64wide" \
            "base64wide wide" "base64wide ascii" "base64wide wide ascii" "base64 base64wide" \
            "base64 base64wide wide" "base64 base64wide wide ascii" \
            'base64("zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA9876543210+/") wide ascii'; do
  n=$((n + 1))
  echo "rule b$n { strings: \$a = \"This program cannot\" $mods condition: \$a }" >>"$work/b64.yar"
done
yara -s -w "$work/b64.yar" "$work/b64" | sort >"$work/b64.yara"
"$VITRINE" yara -s -w "$work/b64.yar" "$work/b64" | sort >"$work/b64.vitrine"
if [ "$(grep -c '^b' "$work/b64.yara")" -ge 12 ] && cmp -s "$work/b64.yara" "$work/b64.vitrine"; then
  ok "base64/base64wide with wide/ascii: all $n combinations as yara"
else
  not_ok "base64 combinations differ from yara" "$(diff "$work/b64.yara" "$work/b64.vitrine")"
fi

# Found by the generator: yara verifies hex strings without alternatives with
# yr_re_fast_exec, whose position list loses one of two paths through variable jumps that meet
# at one byte (start 0 here).
echo 'rule r19 { strings: $s0 = { 00 [4-7] 00 [1-9] 5A ?4 90 } condition: all of them }' >"$work/fast.yar"
printf '\x00\x00\x2c\x17\xc8\x67\x80\xab\x00\x42\x5a\x24\x90' >"$work/fast"
same_as_yara "hex string with two variable jumps before its atom (yara's fast exec)" \
  "$work/fast.yar" "$work/fast" '0x1:$s0: 00 2C 17 C8 67 80 AB 00 42 5A 24 90'

# Gate escapes (lib/cond/gate.c): most strings belong to rules that require "MZ", so the matcher
# leaves them unsearched in files without it; r3 may match without MZ when all its strings do,
# so its longest string is searched there, and where it is found every string is.
{
  for i in 1 2 3 4 5 6; do
    printf 'rule g%d { strings: $a = "gated%d alpha" $b = "gated%d bravo" condition: uint16(0) == 0x5a4d and any of them }\n' "$i" "$i" "$i"
  done
  echo 'rule r3 { strings: $x = "escape-longest-string" $y = "second" $z = "gated1 alpha" condition: (uint16(0) == 0x5a4d and $x) or all of them }'
  echo 'rule r4 { strings: $p = "plain" condition: uint16(0) == 0x5a4d or $p }'
} >"$work/escape.yar"
printf 'ZM second gated1 alpha escape-longest-string gated2 bravo' >"$work/escape-all"
printf 'ZM second gated1 alpha gated2 bravo plain' >"$work/escape-some"
printf 'MZ second gated1 alpha' >"$work/escape-mz"
for f in escape-all escape-some escape-mz; do
  same_as_yara "a rule '(MZ and ...) or all of them' without MZ: $f" "$work/escape.yar" "$work/$f"
done
same_as_yara "a rule '(MZ and ...) or all of them' without MZ, all its strings: it matches" \
  "$work/escape.yar" "$work/escape-all" 'r3 '"$work/escape-all"
same_as_yara "a rule 'MZ or \$p' without MZ, with \$p: it matches" \
  "$work/escape.yar" "$work/escape-some" 'r4 '"$work/escape-some"

# Generated cases: a fixed seed set (fewer batches under the sanitizers).
batches=${STRINGS_BATCHES:-$([ "$VITRINE_SANITIZED" = 1 ] && echo 2 || echo 6)}
python3 "$here/strings_differential.py" --seed 1 --count "$batches" --quiet >"$work/generated" 2>&1
status=$?
sed -n 's/^# \(.*cases.*\)/\1/p' "$work/generated" >"$work/generated.summary"
if [ $status -eq 0 ]; then
  ok "generated strings and data, seed 1: $(cat "$work/generated.summary")"
else
  not_ok "generated strings and data, seed 1, differ from yara" "$(grep -v '^ok' "$work/generated" | head -n 60)"
fi

# Generated regexes with repeated groups (regex_repeats.py: yara's code layout decides their
# priorities), hex strings with alternatives and bounded jumps (--hex), and the regexes as
# conditions, `s matches /.../` (--matches): a fixed seed set each.
batches=${REPEATS_BATCHES:-$([ "${VITRINE_SANITIZED:-0}" = 1 ] && echo 3 || echo 12)}
for mode in "repeats:regexes with repeated groups" "hex:hex strings with alternatives" \
            "matches:regexes in conditions (matches)"; do
  name=${mode%%:*} what=${mode#*:}
  flag=$([ "$name" = repeats ] || echo "--$name")
  if python3 "$here/regex_repeats.py" $flag --seed 1 --count "$batches" --quiet >"$work/$name" 2>&1; then
    ok "generated $what, seed 1: $(sed -n 's/^# \(.*batches.*\)/\1/p' "$work/$name")"
  else
    not_ok "generated $what, seed 1, differ from yara" "$(grep -v '^ok' "$work/$name" | head -n 40)"
  fi
done
finish
