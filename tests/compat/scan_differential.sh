#!/usr/bin/env bash
# scan_differential.sh: vitrine yara against yara 4.2.3 on the shared rule sets (reversinglabs,
# yara-rules, trellix-atr, bartblaze) and ../shared/bench/emulation-stress.yar. For each set,
# every rule file that yarac compiles (and whose modules vitrine runs) is loaded in its own
# namespace; both programs scan, with `-s -e -N -w -p 1`, three corpora: files generated to hold
# each rule's strings behind PE and ELF headers (tests/compat/gen_corpus.c), PE files of Debian's
# libwine, and system binaries (reversinglabs also with -n -s: the strings of rules that did not
# match). Every output line must be identical, in the same order.
# The generated corpus keeps at most COMPAT_MAX_GENERATED files per rule set (spread evenly over
# the rules); the sanitizer build (VITRINE_SANITIZED=1) compares every 4th rule file only.
. "$(dirname "$0")/../e2e/lib.sh"
tools=$VITRINE_BUILD_ROOT/tests
sample=1
max_generated=${COMPAT_MAX_GENERATED:-1000}
if [ "${VITRINE_SANITIZED:-0}" = 1 ]; then sample=4; max_generated=400; fi
wine_dir=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows

mkdir -p "$work/wine" "$work/bin"
ls "$wine_dir"/*.dll 2>/dev/null | awk -v s=$((sample * 24)) 'NR % s == 1' | head -n 30 |
  xargs -r -I{} cp {} "$work/wine/"
[ "$(ls "$work/wine" | wc -l)" -gt 0 ] && ok "libwine PE corpus: $(ls "$work/wine" | wc -l) files" ||
  not_ok "libwine PE corpus: no PE files under $wine_dir (is libwine installed?)"
for f in /usr/bin/*; do [ -f "$f" ] && [ ! -L "$f" ] && echo "$f"; done |
  awk -v s=$((sample * 40)) 'NR % s == 1' | head -n 20 | xargs -r -I{} cp {} "$work/bin/"

for set in reversinglabs yara-rules trellix-atr bartblaze emulation-stress; do
  if [ "$set" = emulation-stress ]; then
    # written to make the emulation of yara's atom verification work hard (lib/match/emulate*)
    echo "n1:$VITRINE_SHARED/bench/emulation-stress.yar" >"$work/$set.args"
    echo "# $set: 1 rule file" >"$work/$set.counts"
  else
    "$VITRINE_SOURCE_ROOT/scripts/rule-args" "$VITRINE" "$VITRINE_SHARED/rules/$set" "$sample" \
      >"$work/$set.args" 2>"$work/$set.counts"
  fi
  cat "$work/$set.counts"
  # Files with a known divergence are compared apart (see known-divergences).
  : >"$work/$set.known"
  while IFS=$'\t' read -r path reason; do
    case "$path" in "$set/"*) ;; *) continue ;; esac
    grep ":$VITRINE_SHARED/rules/$path\$" "$work/$set.args" >>"$work/$set.known"
    grep -v ":$VITRINE_SHARED/rules/$path\$" "$work/$set.args" >"$work/$set.args.new"
    mv "$work/$set.args.new" "$work/$set.args"
  done < <(grep -v '^#' "$VITRINE_SOURCE_ROOT/tests/compat/known-divergences")
  mapfile -t args <"$work/$set.args"
  mapfile -t known <"$work/$set.known"
  mkdir -p "$work/gen-$set"
  generated=$("$tools/gen_corpus" "$work/gen-$set" "${args[@]}" 2>&1) ||
    not_ok "$set: generating the corpus failed" "$generated"
  total=$(ls "$work/gen-$set" | wc -l)
  if [ "$total" -gt "$max_generated" ]; then
    keep_every=$(( (total + max_generated - 1) / max_generated ))
    ls "$work/gen-$set" | awk -v k="$keep_every" 'NR % k != 1' | sed "s|^|$work/gen-$set/|" | xargs rm -f
  fi
  echo "# $set: generated $total files, compared $(ls "$work/gen-$set" | wc -l)"
  # Each side compiles once and scans the three corpora with its compiled rules (-C).
  yarac -w "${args[@]}" "$work/$set.yarc" || not_ok "$set: yarac failed"
  "$VITRINE" compile -w "${args[@]}" -o "$work/$set.vtr" || not_ok "$set: vitrine compile failed"
  for corpus in "gen-$set" wine bin; do
    yara -C -s -e -N -w -p 1 "$work/$set.yarc" "$work/$corpus" >"$work/yara.out" 2>"$work/yara.err"
    "$VITRINE" yara -C -s -e -N -w -p 1 "$work/$set.vtr" "$work/$corpus" >"$work/vitrine.out" 2>"$work/vitrine.err"
    rules_fired=$(grep -c -v '^0x' "$work/yara.out")
    if cmp -s "$work/yara.out" "$work/vitrine.out" && cmp -s "$work/yara.err" "$work/vitrine.err"; then
      ok "$set on $corpus: identical ($(wc -l <"$work/yara.out") lines, $rules_fired rule matches)"
    else
      not_ok "$set on $corpus: output differs from yara (< yara, > vitrine)" \
        "$(diff "$work/yara.out" "$work/vitrine.out" | grep '^[<>]' | head -n 10 | cut -c1-200)" \
        "$(diff "$work/yara.err" "$work/vitrine.err" | grep '^[<>]' | head -n 4 | cut -c1-200)"
    fi
    for k in "${known[@]}"; do
      file=${k#*:}
      reason=$(grep -F "${file#"$VITRINE_SHARED/rules/"}" "$VITRINE_SOURCE_ROOT/tests/compat/known-divergences" | cut -f2)
      yara -s -e -N -w -p 1 "$k" "$work/$corpus" >"$work/yara.out" 2>&1
      "$VITRINE" yara -s -e -N -w -p 1 "$k" "$work/$corpus" >"$work/vitrine.out" 2>&1
      if cmp -s "$work/yara.out" "$work/vitrine.out"; then
        ok "$set on $corpus: known divergence ${file##*/} happens to agree"
      else
        echo "not ok $((tap_number + 1)) - $set on $corpus: ${file##*/} differs from yara," \
             "$(diff "$work/yara.out" "$work/vitrine.out" | grep -c '^[<>]') lines # TODO $reason"
        tap_number=$((tap_number + 1))
      fi
    done
  done
  # reversinglabs' rules nearly all require "MZ": its matcher scans files without it with a second
  # database (header gates, docs/patterns.md). `-n -s` lists the rules that did not match with
  # their strings, so there every string is searched again: compared over the system binaries and
  # generated files (with ELF and PE headers) holding the rules' strings.
  if [ "$set" = reversinglabs ]; then
    mkdir -p "$work/negate"
    cp "$work/bin"/* "$work/negate/"
    ls "$work/gen-$set" | awk 'NR % 10 == 1' | head -n 40 | sed "s|^|$work/gen-$set/|" |
      xargs -r cp -t "$work/negate/"
    yara -C -n -s -e -N -w -p 1 "$work/$set.yarc" "$work/negate" >"$work/yara.out" 2>"$work/yara.err"
    "$VITRINE" yara -C -n -s -e -N -w -p 1 "$work/$set.vtr" "$work/negate" >"$work/vitrine.out" \
      2>"$work/vitrine.err"
    strings_listed=$(grep -c '^0x' "$work/yara.out")
    if [ "$strings_listed" -gt 0 ] && cmp -s "$work/yara.out" "$work/vitrine.out" &&
       cmp -s "$work/yara.err" "$work/vitrine.err"; then
      ok "$set -n -s (rules not matched, with their strings): identical ($strings_listed string matches listed)"
    else
      not_ok "$set -n -s: output differs from yara (< yara, > vitrine), or no string listed ($strings_listed)" \
        "$(diff "$work/yara.out" "$work/vitrine.out" | grep '^[<>]' | head -n 10 | cut -c1-200)"
    fi
  fi
  # The rule files importing cuckoo are compared again with a Cuckoo report (-x) built from
  # every other regex their cuckoo calls search for, so that some of those calls find a match.
  # (one grep over all the set's files, then their arguments in order)
  cuckoo_args=()
  [ "${#args[@]}" -gt 0 ] && mapfile -t cuckoo_args < <(
    grep -l -F -- 'import "cuckoo"' "${args[@]#*:}" |
      awk 'NR == FNR { importing[$0]; next } { f = $0; sub(/^[^:]*:/, "", f) } f in importing' \
        - <(printf '%s\n' "${args[@]}"))
  cuckoo_files=("${cuckoo_args[@]#*:}")
  if [ "${#cuckoo_files[@]}" -gt 0 ]; then
    python3 - "$work/$set.cuckoo.json" "${cuckoo_files[@]}" <<'PY'
import json, re, sys
found = []
for path in sys.argv[2:]:
    text = open(path, encoding='latin-1').read()
    found += [m.replace('\\', '') for m in re.findall(r'cuckoo\.[a-z_.]+\(/((?:[^/\\]|\\.)+)/', text)]
pick = found[::2]
json.dump({"network": {"domains": [{"ip": "1.2.3.4", "domain": d} for d in pick],
                       "http": [{"uri": d, "method": "GET", "user-agent": d} for d in pick],
                       "hosts": pick, "tcp": [{"dport": 80, "dst": d} for d in pick]},
           "behavior": {"summary": {"keys": pick, "files": pick, "mutexes": pick}}},
          open(sys.argv[1], 'w'))
PY
    yara -C -s -e -N -w -p 1 -x "cuckoo=$work/$set.cuckoo.json" "$work/$set.yarc" "$work/gen-$set" \
      >"$work/yara.out" 2>"$work/yara.err"
    "$VITRINE" yara -C -s -e -N -w -p 1 -x "cuckoo=$work/$set.cuckoo.json" "$work/$set.vtr" \
      "$work/gen-$set" >"$work/vitrine.out" 2>"$work/vitrine.err"
    if cmp -s "$work/yara.out" "$work/vitrine.out" && cmp -s "$work/yara.err" "$work/vitrine.err"; then
      fired=$(for a in "${cuckoo_args[@]}"; do grep -c "^${a%%:*}:" "$work/yara.out"; done |
              paste -sd+ | bc)
      ok "$set on gen-$set with a Cuckoo report for its ${#cuckoo_files[@]} cuckoo files: identical ($fired matches of their rules)"
    else
      not_ok "$set with a Cuckoo report: output differs from yara (< yara, > vitrine)" \
        "$(diff "$work/yara.out" "$work/vitrine.out" | grep '^[<>]' | head -n 10 | cut -c1-200)"
    fi
  fi
done
finish
