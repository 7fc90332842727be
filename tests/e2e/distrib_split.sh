#!/usr/bin/env bash
# distrib_split.sh: every real rule file publishable, and the installed ruleset scan-ready.
# All 274 files of ../shared/rules/reversinglabs (two of them over the 64 KB entry limit, split
# into several rule entries) are published to a log in a temporary directory, installed with
# `vitrine update --from DIR`, and a corpus (files the rules fire on, made by gen_corpus, a few
# files of /usr/bin and EICAR) is scanned with the installed ruleset and with the same files
# compiled directly: the detections must be the same. A generated file over 64 KB whose later
# rules name earlier ones (and use an import) checks that pieces resolve those references.
# verify-installed recompiles and compares with the installed compiled ruleset byte for byte;
# a changed compiled ruleset is refused by scan and verify-installed. Under ASan (slower) only
# the two large files and every 8th other file are published, and the corpus is thinned to 40
# generated files.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
tools=$VITRINE_BUILD_ROOT/tests
cd "$work"
"$V" keygen example.com/rules -o log >/dev/null
printf 'log %s\nquorum none\n' "$(cat log.pub)" >policy

# ---- a generated split file: rules referring to earlier rules, an import, comments ----
{
  echo '// a large generated rule file'
  echo 'import "math"'
  for i in $(seq 1 700); do
    printf '/* rule %d: a comment with a } brace and "quotes" */\n' "$i"
    printf 'rule r%d {\n  strings:\n    $a = "marker-%04d-{}" ascii\n    $h = { 4D 5A [1-4] ( 90 | 91 ) }\n' "$i" "$i"
    if [ "$i" -gt 1 ]; then
      printf '  condition:\n    $a and #h >= 0 and (r%d or not r%d) and math.entropy(0, 1) >= 0\n}\n' $((i - 1)) $((i - 1))
    else
      printf '  condition:\n    $a and #h >= 0\n}\n'
    fi
  done
  echo 'rule last_refers_to_first { condition: r1 and r700 }'
} >gen.yar
[ "$(stat -c %s gen.yar)" -gt 65535 ] && ok "the generated file is over 64 KB ($(stat -c %s gen.yar) bytes)" ||
  not_ok "the generated file is over 64 KB"
"$V" log init G --origin example.com/rules --key log.key >/dev/null
expect_exit "a file over 64 KB publishes" 0 "$V" publish --log G --key log.key gen.yar
pieces=$(sed -n 's/.*(\([0-9]*\) rule entries).*/\1/p' <<<"$out")
[ "${pieces:-0}" -ge 2 ] && ok "it is split into $pieces rule entries" || not_ok "split into several entries" "$out"
expect_exit "the split file installs" 0 "$V" update --from G --policy policy --state gst
mkdir gcorp
printf 'MZ\x01\x90 marker-0001-{} marker-0700-{}' >gcorp/both
printf 'marker-0350-{}' >gcorp/middle
"$V" scan --state gst gcorp | grep FOUND | sed 's/ (log [^)]*)$//' | sort >installed.g
"$V" scan --rules gen.yar gcorp | grep FOUND | sort >direct.g
[ -s direct.g ] && cmp -s installed.g direct.g &&
  ok "split file: the same $(wc -l <direct.g) detections as the file compiled directly" ||
  not_ok "split file: same detections" "$(diff installed.g direct.g | head)"
grep -q "both: last_refers_to_first FOUND" installed.g &&
  ok "a rule in the last piece that names rules of the first piece fires" ||
  not_ok "cross-piece reference" "$(cat installed.g)"

# ---- a single rule too large for an entry even without blanks is refused, nothing logged ----
{ echo 'rule huge {'; echo '  strings:'; for i in $(seq 1 2200); do printf '    $s%d = "%030d"\n' "$i" "$i"; done
  echo '  condition: any of them'; echo '}'; } >huge.yar
size_before=$(sed -n 2p G/checkpoint)
expect_exit "a single rule over 64 KB is refused" 2 "$V" publish --log G --key log.key huge.yar
expect_contains "the refusal names the file, the line and the limit" "$err" "huge.yar:1: this rule is"
[ "$(sed -n 2p G/checkpoint)" = "$size_before" ] && ok "nothing was logged" || not_ok "nothing was logged"

# ---- all of reversinglabs ----
find "$VITRINE_SHARED/rules/reversinglabs" -name '*.yara' | LC_ALL=C sort >files
[ "$(wc -l <files)" = 274 ] && ok "274 reversinglabs files" || not_ok "274 reversinglabs files" "$(wc -l <files)"
if [ "${VITRINE_SANITIZED:-0}" = 1 ]; then
  # ASan: the two files over 64 KB and every 8th other file (the whole set takes ~3 minutes)
  { find "$VITRINE_SHARED/rules/reversinglabs" -name '*.yara' -size +64k
    find "$VITRINE_SHARED/rules/reversinglabs" -name '*.yara' -size -65k | LC_ALL=C sort | awk 'NR % 8 == 1'
  } | LC_ALL=C sort >files
  want_entries=$(( $(wc -l <files) + 9 ))
else
  want_entries=283
fi
mapfile -t files <files
"$V" log init L --origin example.com/rules --key log.key >/dev/null
expect_exit "the ${#files[@]} reversinglabs files publish" 0 "$V" publish --log L --key log.key "${files[@]}"
expect_contains "in more entries than files (the two large ones are split)" "$out" "($want_entries rule entries)"
expect_exit "update from the log directory installs them" 0 "$V" update --from L --policy policy --state st
dir=st/$(cat st/current)
[ -s "$dir/rules.vtr" ] && [ -s "$dir/compiled" ] && ok "the compiled ruleset is installed ($(stat -c %s "$dir/rules.vtr") bytes)" ||
  not_ok "the compiled ruleset is installed"
expect_exit "verify-installed recompiles and compares byte for byte" 0 "$V" verify-installed --state st
expect_contains "and says the compile is identical" "$out" "compiled ruleset: identical to the compile of the verified sources"

# the corpus: files the rules fire on, some /usr/bin files, EICAR
args=()
for i in "${!files[@]}"; do args+=("n$i:${files[$i]}"); done
mkdir corpus
"$tools/gen_corpus" corpus "${args[@]}" >/dev/null 2>&1 || not_ok "gen_corpus failed"
keep=150; [ "${VITRINE_SANITIZED:-0}" = 1 ] && keep=40
total=$(ls corpus | wc -l)
[ "$total" -gt "$keep" ] && ls corpus | awk -v k=$(( (total + keep - 1) / keep )) 'NR % k != 1' | sed 's|^|corpus/|' | xargs rm -f
# the files the split GandCrab rule fires on are always kept (blocklist.yara's rules look only at
# PE signatures, which gen_corpus does not make)
mkdir big
"$tools/gen_corpus" big "$(grep -m1 GandCrab files)" >/dev/null 2>&1 && cp big/* corpus/ ||
  not_ok "gen_corpus for GandCrab failed"
for f in ls cat true; do cp "/usr/bin/$f" corpus/; done
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >corpus/eicar.com
"$V" compile "${args[@]}" -o direct.vtr >/dev/null 2>&1 || not_ok "compiling the files directly"
"$V" scan --state st corpus >installed.out 2>installed.err
s1=$?
"$V" scan --rules direct.vtr corpus >direct.out 2>direct.err
s2=$?
[ "$s1" = "$s2" ] && ok "the same exit status ($s1) from both scans" || not_ok "same exit status" "$s1 vs $s2" "$(cat installed.err direct.err)"
grep FOUND installed.out | sed 's/ (log [^)]*)$//' | sort >installed.det
grep FOUND direct.out | sed 's/: n[0-9]*:/: /' | sort >direct.det
[ -s direct.det ] && cmp -s installed.det direct.det &&
  ok "reversinglabs: the same $(wc -l <direct.det) detections on $(ls corpus | wc -l) files as the files compiled directly" ||
  not_ok "reversinglabs: same detections" "$(diff installed.det direct.det | head)"
grep -q "Win32_Ransomware_GandCrab FOUND" installed.det &&
  ok "the rule of the split GandCrab file fires from the installed ruleset" ||
  not_ok "GandCrab fires" "$(cat installed.det)"

# ---- the compiled ruleset is bound to the installed state ----
cp "$dir/rules.vtr" saved.vtr
cp direct.vtr "$dir/rules.vtr"
expect_exit "scan refuses a replaced compiled ruleset" 2 "$V" scan --state st corpus/eicar.com
expect_contains "and says why" "$err" "compiled ruleset is not the one recorded"
expect_exit "verify-installed refuses it too" 1 "$V" verify-installed --state st
cp saved.vtr "$dir/rules.vtr"
expect_exit "restored, scan works again" "$s1" "$V" scan --state st corpus
# a record written by an earlier compile revision of the same engine (other bytes for the same
# sources): the sources are compiled again, not compared with what the revision wrote
cp "$dir/compiled" saved.compiled
sed -i 's/^\(engine [^ ]*\) compile [0-9]*$/\1/' "$dir/compiled"
grep -q '^engine [^ ]*$' "$dir/compiled" && ok "the record now names no compile revision" ||
  not_ok "record edited" "$(cat "$dir/compiled")"
expect_exit "an earlier revision's compile: scan compiles the sources" "$s1" "$V" scan --state st corpus
expect_exit "and verify-installed does not call it a mismatch" 0 "$V" verify-installed --state st
cp saved.compiled "$dir/compiled"
finish
