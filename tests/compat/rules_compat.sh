#!/usr/bin/env bash
# rules_compat.sh: for every .yar/.yara file of the shared rule sets (both sets, index files
# included), yara 4.2.3's yarac decides whether it compiles, and `vitrine compile` must agree
# (accept or reject) and print as many warnings. Files importing a module vitrine does not
# declare would be skipped and counted; all of yarac's modules are declared, so none are. Runs in
# parallel (xargs -P).
. "$(dirname "$0")/../e2e/lib.sh"
rules="$VITRINE_SHARED/rules"
[ -d "$rules" ] || { not_ok "shared rules at $rules"; finish; }
export VITRINE
# yarac decides each file; vitrine checks a batch of files per process (--each).
yarac_judge() { # prints VERDICT FILE WARNINGS
  for f in "$@"; do
    out=$(yarac "$f" /dev/null 2>&1) && v=accept || v=reject
    echo "$v $f $(printf '%s\n' "$out" | grep -c '^warning')"
  done
}
export -f yarac_judge
find "$rules" -type f \( -name '*.yar' -o -name '*.yara' \) | sort >"$work/files"
# yarac's verdicts depend only on yarac and on the rule tree (index files include others), so
# they are kept per (yarac version, tree hash) and shared by the dev and ASan runs of this test.
tree=$( (yarac --version; echo verdicts+warnings; find "$rules" -type f | sort | xargs -d '\n' sha256sum) | sha256sum | cut -c1-32)
cache_dir=${TMPDIR:-/tmp}/vitrine-yarac-verdicts-$(id -u)
cache=$cache_dir/$tree
if [ -s "$cache" ] && [ "$(wc -l <"$cache")" -eq "$(wc -l <"$work/files")" ]; then
  cp "$cache" "$work/yarac"
  echo "# yarac verdicts reused from $cache"
else
  xargs -d '\n' -P "$(nproc)" -n 4 bash -c 'yarac_judge "$@"' _ <"$work/files" >"$work/yarac"
  mkdir -p "$cache_dir" && cp "$work/yarac" "$cache.$$" && mv -f "$cache.$$" "$cache"
fi
xargs -d '\n' -P "$(nproc)" -n 50 "$VITRINE" compile -w --each <"$work/files" >"$work/vitrine" 2>"$work/vitrine.err"
# results: YARAC-VERDICT VITRINE-VERDICT FILE; warnings: FILE YARAC-COUNT VITRINE-COUNT
awk 'NR == FNR { f = $2; sub(/:$/, "", f); v[f] = ($1 == "ok" ? "accept" : "reject"); next }
     { print $1, ($2 in v ? v[$2] : "missing"), $2 }' "$work/vitrine" "$work/yarac" >"$work/results"
awk 'NR == FNR { if ($1 == "ok") w[$2] = $3; next }
     $1 == "accept" && ($2 in w) { print $2, $3, w[$2] }' "$work/vitrine" "$work/yarac" >"$work/warnings"
[ -s "$work/vitrine.err" ] && not_ok "vitrine printed nothing unexpected" "$(head -5 "$work/vitrine.err")"
total=$(wc -l <"$work/results")
accepted=$(awk '$1=="accept"' "$work/results" | wc -l)
rejected=$(awk '$1=="reject"' "$work/results" | wc -l)
agree=$(awk '$1==$2' "$work/results" | wc -l)
echo "# files $total: yarac accepts $accepted, rejects $rejected; vitrine agrees on $agree; skipped 0"
[ "$total" -gt 800 ] && ok "found the shared rule files ($total)" || not_ok "found the shared rule files ($total)"
while read -r y v f; do
  if [ "$y" = "$v" ]; then ok "$y ${f#"$rules"/}"; else not_ok "${f#"$rules"/}: yarac ${y}s, vitrine ${v}s"; fi
done <"$work/results"
wfiles=$(wc -l <"$work/warnings")
wsame=$(awk '$2 == $3' "$work/warnings" | wc -l)
wtotal=$(awk '{ s += $2 } END { print s + 0 }' "$work/warnings")
echo "# warnings: yarac prints $wtotal on the accepted files; vitrine prints as many on $wsame of $wfiles files"
[ "$wsame" -eq "$wfiles" ] && ok "same number of warnings as yarac on every accepted file" ||
  not_ok "same number of warnings as yarac on every accepted file" "$(awk '$2 != $3' "$work/warnings" | head -5)"
for index in "$rules"/yara-rules/index.yar "$rules"/yara-rules/*_index.yar; do
  [ -e "$index" ] || continue
  grep -q " $index\$" "$work/results" && ok "index file checked: ${index#"$rules"/}" ||
    not_ok "index file checked: ${index#"$rules"/}"
done
finish
