#!/usr/bin/env bash
# shared_sets.sh: the auditor on every shared malware rule set (../shared/rules/*, compiled as
# tests/compat does: reversinglabs, trellix-atr and bartblaze one namespace per file, yara-rules
# through its index.yar) and ../shared/bench/emulation-stress.yar flags at most 1% of each
# set's rules, and exactly the rules docs/audit.md lists (the test fails when they differ, so
# the list stays in sync; its AUD-BROAD-001 rows are the corpus's, checked by corpus.sh).
source "$(dirname "$0")/../e2e/lib.sh"
V=$VITRINE
S=$VITRINE_SHARED
cd "$work"
python3 "$VITRINE_SOURCE_ROOT/tests/audit/make_canaries.py" canaries && ok "canaries written" || not_ok "canaries written"
ns_args() { find "$1" \( -name '*.yar' -o -name '*.yara' \) | sort |
            awk '{n=$0; sub(/.*\/rules\//,"",n); gsub(/[^A-Za-z0-9_]/,"_",n); print n":"$0}'; }
audit_set() { # NAME ARGS...: audit, keep the JSON in NAME.json
  local name=$1; shift
  "$@" >"$name.json" 2>"$name.err"; local rc=$?
  if [ $rc -le 1 ]; then ok "$name audited (exit $rc)"; else not_ok "$name audited" "$(head -5 "$name.err")"; fi
}
for set in reversinglabs trellix-atr bartblaze; do
  mapfile -t args < <(ns_args "$S/rules/$set")
  audit_set "$set" "$V" audit --format json --canaries "$work/canaries" "${args[@]}"
done
(cd "$S/rules/yara-rules" && "$V" audit --format json --canaries "$work/canaries" index.yar) >yara-rules.json 2>yara-rules.err
[ $? -le 1 ] && ok "yara-rules audited" || not_ok "yara-rules audited" "$(head -5 yara-rules.err)"
audit_set emulation-stress "$V" audit --format json --canaries "$work/canaries" "$S/bench/emulation-stress.yar"

python3 - "$VITRINE_SOURCE_ROOT/docs/audit.md" reversinglabs trellix-atr bartblaze yara-rules emulation-stress <<'PY' >sets.txt
import json, re, sys
doc, sets = sys.argv[1], sys.argv[2:]
found = set()
for s in sets:
    r = json.load(open(s + ".json"))
    pct = 100.0 * r["flagged"] / max(r["rules"], 1)
    print("SET %s %d %d %.2f%%" % (s, r["rules"], r["flagged"], pct), "OK" if r["flagged"] * 100 <= r["rules"] else "TOO-MANY")
    for v in r["verdicts"]:
        for f in v["findings"]:
            if f["severity"] == "flag":
                found.add((s, v["rule"], f["id"]))
text = open(doc).read()
block = text.split("<!-- flagged-shared-rules:begin -->")[1].split("<!-- flagged-shared-rules:end -->")[0]
documented = set()
for line in block.splitlines():
    m = re.match(r"\|\s*([\w-]+)\s*\|\s*`?([\w-]+)`?\s*\|\s*(AUD-[A-Z]+-\d+)\s*\|", line)
    if m and m.group(3) != "AUD-BROAD-001":  # the corpus findings: tests/audit/corpus.sh
        documented.add(m.groups())
for k in sorted(found - documented):
    print("UNDOCUMENTED", *k)
for k in sorted(documented - found):
    print("NOT-FLAGGED", *k)
PY
cat sets.txt | sed 's/^/# /'
grep -q TOO-MANY sets.txt && not_ok "at most 1% flagged per set" "$(grep TOO-MANY sets.txt)" || ok "at most 1% flagged per set"
grep -qE "UNDOCUMENTED|NOT-FLAGGED" sets.txt && not_ok "docs/audit.md lists exactly the flagged rules" "$(grep -E 'UNDOCUMENTED|NOT-FLAGGED' sets.txt)" || ok "docs/audit.md lists exactly the flagged rules"
finish
