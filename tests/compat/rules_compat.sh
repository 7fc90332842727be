#!/usr/bin/env bash
# compat.sh: for every .yar/.yara file of the shared rule sets (both sets, index files included),
# yara 4.2.3's yarac decides whether it compiles, and `vitrine compile` must agree (accept or
# reject). Files importing a module vitrine does not declare would be skipped and counted; all
# of yarac's modules are declared, so none are. Runs in parallel (xargs -P).
. "$(dirname "$0")/../e2e/lib.sh"
rules="$VITRINE_SHARED/rules"
[ -d "$rules" ] || { not_ok "shared rules at $rules"; finish; }
export VITRINE work
judge() {
  f=$1
  if yarac -w "$f" /dev/null >/dev/null 2>&1; then y=accept; else y=reject; fi
  if "$VITRINE" compile -w --check "$f" >/dev/null 2>&1; then v=accept
  else
    s=$?
    [ $s -eq 2 ] && v=reject || v="crash($s)"
  fi
  printf '%s %s %s\n' "$y" "$v" "$f"
}
export -f judge
find "$rules" -type f \( -name '*.yar' -o -name '*.yara' \) -print0 |
  xargs -0 -P "$(nproc)" -n 8 bash -c 'for f in "$@"; do judge "$f"; done' _ >"$work/results"
total=$(wc -l <"$work/results")
accepted=$(awk '$1=="accept"' "$work/results" | wc -l)
rejected=$(awk '$1=="reject"' "$work/results" | wc -l)
agree=$(awk '$1==$2' "$work/results" | wc -l)
echo "# files $total: yarac accepts $accepted, rejects $rejected; vitrine agrees on $agree; skipped 0"
[ "$total" -gt 800 ] && ok "found the shared rule files ($total)" || not_ok "found the shared rule files ($total)"
while read -r y v f; do
  if [ "$y" = "$v" ]; then ok "$y ${f#"$rules"/}"; else not_ok "${f#"$rules"/}: yarac ${y}s, vitrine ${v}s"; fi
done <"$work/results"
for index in "$rules"/yara-rules/index.yar "$rules"/yara-rules/*_index.yar; do
  [ -e "$index" ] || continue
  grep -q " $index\$" "$work/results" && ok "index file checked: ${index#"$rules"/}" ||
    not_ok "index file checked: ${index#"$rules"/}"
done
finish
