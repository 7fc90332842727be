#!/usr/bin/env bash
# rules_edges.sh: generated edge cases of the compiler's checks (tests/compat/gen_rule_edges.py:
# constant expressions near the 64-bit limits, hex jumps around 2^31/2^32/2^63, rule names
# against wildcard rule sets, patterns near yara's 128 split ids), each compiled by yara 4.2.3's
# yarac and by `vitrine compile`: the same verdict, and for a rejection the same line and message (yara's message for a
# negative shift count is empty: there only the line is compared). yara gives the errors of a
# hex string spread over lines at its last line; vitrine at the line of the fault inside it, so
# there vitrine's line may be earlier, never later.
# EDGES_SEED / EDGES_COUNT choose other cases for longer runs.
. "$(dirname "$0")/../e2e/lib.sh"
command -v yarac >/dev/null || { not_ok "yarac is installed (scripts/install-deps)"; finish; }
seed=${EDGES_SEED:-1}
count=${EDGES_COUNT:-200}
cd "$work" || exit 2
python3 "$VITRINE_SOURCE_ROOT/tests/compat/gen_rule_edges.py" cases "$seed" "$count"
cd cases || exit 2
# yarac's verdicts: "FILE LINE MESSAGE" or "FILE ok"; kept per (yarac, cases) and shared by the
# dev and ASan runs.
judge() {
  for f in "$@"; do
    if out=$(yarac "$f" /dev/null 2>&1); then echo "$f ok"; else
      printf '%s\n' "$out" | head -n 1 |
        sed -n -e "s/^error: rule \"[^\"]*\" in $f(\([0-9]*\)): \(.*\)/$f \1 \2/p" \
               -e "s/^error: $f(\([0-9]*\)): \(.*\)/$f \1 \2/p" \
               -e "s/^$f(\([0-9]*\)): error: \(.*\)/$f \1 \2/p" | grep . ||
        echo "$f ? $(printf '%s\n' "$out" | head -n 1)"
    fi
  done
}
export -f judge
key=$( (yarac --version; declare -f judge; cat ./*.yar) | sha256sum | cut -c1-32)
cache=${TMPDIR:-/tmp}/vitrine-edges-$(id -u)-$key
if [ -s "$cache" ]; then cp "$cache" ../yarac; else
  ls ./*.yar | sed 's|^\./||' | xargs -P "$(nproc)" -n 20 bash -c 'judge "$@"' _ | sort >../yarac
  cp ../yarac "$cache.$$" && mv -f "$cache.$$" "$cache"
fi
# vitrine's: "error FILE: FILE:LINE:COL: MESSAGE" or "ok FILE ..."
"$VITRINE" compile --each ./*.yar 2>/dev/null | sed 's|\./||g' |
  sed -n -e 's/^error \([^:]*\): [^:]*:\([0-9]*\):[0-9]*: \(.*\)/\1 \2 \3/p' \
         -e 's/^ok \([^ ]*\).*/\1 ok/p' | sort >../vitrine
total=$(wc -l <../yarac)
rejected=$(grep -vc ' ok$' ../yarac)
[ "$total" -eq "$count" ] && ok "yarac judged $total cases ($rejected rejected)" ||
  not_ok "yarac judged every case" "$total of $count"
differ=0
while read -r f yline ymsg; do
  read -r vline vmsg < <(grep -m1 "^$f " ../vitrine | cut -d' ' -f2-)
  if [ "$yline" = ok ] || [ "$vline" = ok ]; then
    [ "$yline" = "$vline" ] && continue
  elif [ "$yline" = "$vline" ] && { [ -z "$ymsg" ] || [[ "$vmsg" == *"$ymsg"* ]]; }; then
    continue
  elif [[ "$ymsg" == 'invalid hex string '* ]] && [ "$vline" -le "$yline" ] && [ "$vmsg" = "$ymsg" ]; then
    continue
  fi
  differ=$((differ + 1))
  [ $differ -le 10 ] && echo "# $f: yarac: $yline $ymsg | vitrine: $vline $vmsg" && sed 's/^/#   /' "$f"
done <../yarac
[ $differ -eq 0 ] && ok "vitrine agrees with yarac on all $total cases (verdict, line, message)" ||
  not_ok "vitrine agrees with yarac on all $total cases" "$differ differ (seed $seed)"
finish
