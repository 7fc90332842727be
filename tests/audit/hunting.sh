#!/usr/bin/env bash
# hunting.sh: the auditor flags every content-hunting rule of tests/audit/hunting/ (markings in
# several languages and encodings, base64/xor/wide modifiers, file-name tricks, personal-data
# regexes: at least 30 rules), each with the finding the rule's name announces, and flags none
# of the project's own starter rules; exit statuses 1 (flagged), 0 (clean), 2 (error).
source "$(dirname "$0")/../e2e/lib.sh"
V=$VITRINE
H=$VITRINE_SOURCE_ROOT/tests/audit/hunting
cd "$work"
expect_exit "the hunting rules are flagged (exit 1)" 1 "$V" audit --format json \
  -d filename=x -d extension=x "$H"/*.yar
printf '%s' "$out" >hunting.json
python3 - hunting.json <<'PY' >check.txt
import json, sys
r = json.load(open(sys.argv[1]))
flagged = {v["rule"]: {f["id"] for f in v["findings"] if f["severity"] == "flag"} for v in r["verdicts"]}
print("rules", r["rules"], "flagged", r["flagged"])
# the finding each family of rules must get
want = {"pii_ssn_regex": "AUD-PII-001", "pii_card_regex": "AUD-PII-002",
        "pii_iban_regex": "AUD-PII-003", "pii_mrz_regex": "AUD-PII-004",
        "pii_email_list_regex": "AUD-PII-005", "pii_ssn_keyword": "AUD-PII-006",
        "pii_passport_keyword_ru": "AUD-PII-006",
        "us_marking_in_file_name": "AUD-MARKING-002", "doc_file_name_docx": "AUD-DOC-002",
        "doc_extension_pdf": "AUD-DOC-002"}
for name in sorted(flagged):
    if name in want:
        need = want[name]
    elif name.startswith("doc_"):
        need = "AUD-DOC-001"
    else:
        need = "AUD-MARKING-001"
    if need not in flagged[name]:
        print("MISSING", name, need, sorted(flagged[name]))
PY
expect_contains "all rules flagged" "$(head -1 check.txt)" "flagged $(sed -n 's/rules \([0-9]*\) .*/\1/p' check.txt)"
n=$(sed -n 's/rules \([0-9]*\) .*/\1/p' check.txt)
[ "${n:-0}" -ge 30 ] && ok "at least 30 hunting rules ($n)" || not_ok "at least 30 hunting rules ($n)"
grep -q MISSING check.txt && not_ok "each rule gets its finding" "$(grep MISSING check.txt)" || ok "each rule gets its finding"

# text output: one line per finding, naming the string and what it matches
expect_exit "text output" 1 "$V" audit "$H/ru.yar"
expect_contains "a koi8-r marking is named" "$out" 'the Russian marking "ДЛЯ СЛУЖЕБНОГО ПОЛЬЗОВАНИЯ" (koi8-r)'
expect_exit "xor-hidden marking" 1 "$V" audit "$H/us.yar" -d filename=x
expect_contains "xor key named" "$out" "under xor key 0x5A"
expect_contains "ASCII hex named" "$out" "is ASCII hex of bytes with the US marking"

# not flagged: malware rules with "secret" inside other words, markings as parts of words
cat >benign.yar <<'YAR'
rule malware_with_secret_words {
  strings:
    $a = "client_secret"
    $b = "SecretKeySpec"
    $c = "secretary"
    $d = "Confidentiality" nocase
    $e = { 4D 5A 90 00 }
  condition: uint16(0) == 0x5A4D and 2 of them
}
rule maldoc_with_macro {
  strings:
    $a = "AutoOpen" nocase
    $b = "Shell" nocase
  condition: uint32(0) == 0xE011CFD0 and all of them
}
YAR
expect_exit "benign rules are not flagged (exit 0)" 0 "$V" audit benign.yar
expect_exit "the starter rules are not flagged" 0 "$V" audit "$VITRINE_SOURCE_ROOT"/rules/starter/*.yar
printf 'rule x { condition: nosuch }\n' >broken.yar
expect_exit "a rule that does not compile is an error (exit 2)" 2 "$V" audit broken.yar
expect_contains "with its location" "$err" ":1:"
expect_exit "bad --format" 2 "$V" audit --format xml benign.yar
finish
