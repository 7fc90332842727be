#!/usr/bin/env bash
# differential.sh: the condition evaluator against yara 4.2.3. Random rules without strings
# (tests/cond/gen_conditions.py) are evaluated by vitrine's evaluator (eval_rules) and by yara
# over the same data file; the sets of matching rules must be identical. A rule yara rejects at
# compile time must be rejected by vitrine too; it is then dropped and the rest compared.
. "$(dirname "$0")/../e2e/lib.sh"
here=$(dirname "$0")
eval_rules=$VITRINE_BUILD_ROOT/tests/eval_rules
seeds=${COND_SEEDS:-8}
per_seed=${COND_RULES:-250}

# The data: text, zero bytes and high bytes, 64 bytes long.
printf 'hello world\n\x00\x01\x02\x7f\x80\xff\xfe ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij' >"$work/data"

for seed in $(seq 1 "$seeds"); do
  python3 "$here/gen_conditions.py" "$seed" "$per_seed" >"$work/rules.yar"
  rejected_agree=0 rejected_disagree=0
  : >"$work/disagreements"
  for _ in $(seq 1 100); do
    if yarac "$work/rules.yar" "$work/compiled" 2>"$work/yarac.err"; then break; fi
    line=$(sed -n 's/.*rules\.yar(\([0-9]*\)).*/\1/p' "$work/yarac.err" | head -n 1)
    [ -n "$line" ] || break
    if "$eval_rules" "$work/rules.yar" "$work/data" >/dev/null 2>&1; then
      rejected_disagree=$((rejected_disagree + 1))
      sed -n "${line}p" "$work/rules.yar" >>"$work/disagreements"
      cat "$work/yarac.err" >>"$work/disagreements"
    else
      rejected_agree=$((rejected_agree + 1))
    fi
    sed -i "${line}s/.*/rule dropped$line { condition: false }/" "$work/rules.yar"
  done
  if [ "$rejected_disagree" -eq 0 ]; then
    ok "seed $seed: vitrine rejects what yara rejects ($rejected_agree rules)"
  else
    not_ok "seed $seed: vitrine accepts $rejected_disagree rules yara rejects" "$(cat "$work/disagreements")"
  fi
  yara -w "$work/rules.yar" "$work/data" 2>&1 | sort >"$work/yara.out"
  "$eval_rules" "$work/rules.yar" "$work/data" 2>&1 | sort >"$work/vitrine.out"
  if cmp -s "$work/yara.out" "$work/vitrine.out"; then
    ok "seed $seed: same $(wc -l <"$work/yara.out") of $per_seed rules match as in yara"
  else
    diffs=$(diff "$work/yara.out" "$work/vitrine.out" | grep '^[<>]' | head -n 8)
    details=""
    for r in $(printf '%s\n' "$diffs" | awk '{print $2}'); do
      details+=$(grep -m1 "^rule $r " "$work/rules.yar")$'\n'
    done
    not_ok "seed $seed: matching rules differ from yara (< yara, > vitrine)" "$diffs" "$details"
  fi
done
finish
