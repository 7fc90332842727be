#!/usr/bin/env bash
# canaries.sh: tests/audit/make_canaries.py writes at least 24 benign documents carrying
# markings or personal data (text in several encodings, UTF-16, RTF, PDF, OOXML, ODF, CSV,
# e-mail), deterministically; `vitrine audit --canaries` flags every hunting rule that fires on
# one and names the canary; a rule that fires on nothing is not flagged by the canaries.
source "$(dirname "$0")/../e2e/lib.sh"
V=$VITRINE
H=$VITRINE_SOURCE_ROOT/tests/audit/hunting
cd "$work"
python3 "$VITRINE_SOURCE_ROOT/tests/audit/make_canaries.py" c1 && python3 "$VITRINE_SOURCE_ROOT/tests/audit/make_canaries.py" c2
n=$(find c1 -type f | wc -l)
[ "$n" -ge 24 ] && ok "at least 24 canaries ($n)" || not_ok "at least 24 canaries ($n)"
diff -r c1 c2 >/dev/null && ok "the canaries are deterministic" || not_ok "the canaries are deterministic"
for kind in txt rtf pdf docx xlsx odt csv eml doc; do
  ls c1/*."$kind" >/dev/null 2>&1 && ok "a .$kind canary" || not_ok "a .$kind canary"
done
python3 - c1 <<'PY' && ok "the documents parse (zip members, PDF xref)" || not_ok "the documents parse"
import sys, zipfile, glob, re
for z in glob.glob(sys.argv[1] + "/*.docx") + glob.glob(sys.argv[1] + "/*.xlsx") + glob.glob(sys.argv[1] + "/*.odt"):
    assert zipfile.ZipFile(z).testzip() is None
for p in glob.glob(sys.argv[1] + "/*.pdf"):
    d = open(p, "rb").read()
    start = int(re.search(rb"startxref\n(\d+)", d).group(1))
    assert d[start:start + 4] == b"xref", p
    for m in re.finditer(rb"(\d{10}) 00000 n", d):
        assert re.match(rb"\d+ 0 obj", d[int(m.group(1)):]), p
PY
expect_exit "hunting rules fire on canaries (exit 1)" 1 "$V" audit --format json --canaries c1 \
  -d filename=x -d extension=x "$H"/*.yar
printf '%s' "$out" >report.json
python3 - report.json <<'PY' >silent.txt
import json, sys
r = json.load(open(sys.argv[1]))
for v in r["verdicts"]:
    if not any(f["id"] == "AUD-CANARY-001" for f in v["findings"]):
        print(v["rule"])
PY
# Written without a benign document in mind: a marking under a xor key, a base64 text with its
# padding (only matches at the very end of a base64 block), base64 of UTF-16 text.
expect_contains "every other hunting rule fires on a canary" "$(sort silent.txt | tr '\n' ' ')" \
  "eu_restricted_base64wide uk_top_secret_pre_encoded_base64 us_top_secret_xor_hex "
[ "$(wc -l <silent.txt)" -eq 3 ] && ok "only those three" || not_ok "only those three" "$(cat silent.txt)"
expect_exit "text names the canary" 1 "$V" audit --canaries c1 "$H/ru.yar"
expect_contains "koi8-r canary" "$out" "AUD-CANARY-001: the rule fires on the canary document ru-koi8r.txt"
expect_contains "GB2312 canary" "$(cd "$work" && "$V" audit --canaries c1 "$H/zh.yar")" "zh-gb2312.txt"
expect_contains "file-name trick on the canary's name" \
  "$(cd "$work" && "$V" audit --canaries c1 -d filename=x -d extension=x "$H/us.yar")" \
  "fires on the canary document TOP SECRET memo.txt"
cat >quiet.yar <<'YAR'
rule eicar_only { strings: $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $a }
YAR
expect_exit "a rule that fires on no canary stays clean" 0 "$V" audit --canaries c1 quiet.yar
expect_exit "a missing canary directory is an error" 2 "$V" audit --canaries nosuch quiet.yar
finish
