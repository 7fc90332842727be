#!/usr/bin/env bash
# telemetry_submit.sh: `vitrine submit FILE` against a real `vitrine serve collector` behind the
# recording relay (telemetry_proxy.py): it shows type, size, SHA-256 and the rule with its log
# index; refuses a file the installed ruleset does not detect, any submission without consent,
# without --yes off a terminal, and a document (a PDF, plain text) without
# --i-understand-this-is-a-document: then nothing is queued, ledgered or received. A detected
# binary is sent to /samples, ledgered, and its content arrives byte for byte.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
"$V" keygen example.com/rules -o log >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
printf 'rule Submit_Test_Marker { strings: $a = "VITRINE-SUBMIT-TEST-MARKER" condition: $a }\n' >marker.yar
"$V" publish --log L --key log.key marker.yar >/dev/null
start log "$V" serve log L --listen 127.0.0.1:0 || finish
logurl=http://127.0.0.1:$port/
start collector "$V" serve collector --log "$logurl" --vkey log.pub --listen 127.0.0.1:0 \
  --db "$work/collector.sqlite" || finish
collector_started=$(date +%s%N)
start proxy python3 "$VITRINE_SOURCE_ROOT/tests/e2e/telemetry_proxy.py" "http://127.0.0.1:$port" \
  "$work/received" || finish
cat >policy <<P
vitrine/data-policy-entry/v1
serial 1
date 2026-12-05
collector http://127.0.0.1:$port
report sample
purpose A file the user chose to submit after a detection, for analysis by the vendor
field content bytes 3 90 2099-12-31 The file itself
field file-type string 3 90 2099-12-31 The file's type as libmagic names it
field rule-index integer 1 90 2099-12-31 The log index of the rule entry that fired
field rule-name string 1 90 2099-12-31 The name of the rule that fired
field sha256 sha256 3 90 2099-12-31 The SHA-256 of the file
P
"$V" publish --log L --key log.key --data-policy policy >/dev/null
printf 'log %s\nquorum none\n' "$(cat log.pub)" >tlog-policy
"$V" update --from "$logurl" --policy tlog-policy --state st --max-age 0 >/dev/null
printf '%%PDF-1.4\n%% VITRINE-SUBMIT-TEST-MARKER\n1 0 obj << >> endobj\n%%%%EOF\n' >doc.pdf
printf 'dear diary, VITRINE-SUBMIT-TEST-MARKER\n' >notes.txt
{ printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000\076\000'; head -c 200 /dev/urandom
  printf 'VITRINE-SUBMIT-TEST-MARKER'; head -c 100 /dev/urandom; } >sample.bin
head -c 300 /dev/urandom >clean.bin
nothing_sent() { # NAME
  if [ ! -e received ] && [ -z "$(ls st/telemetry/queue 2>/dev/null)" ] &&
     ! "$V" telemetry ledger --state st | grep -q 'report sample'; then ok "$1: nothing queued, ledgered or received"
  else not_ok "$1: nothing queued, ledgered or received" "$(cat received 2>/dev/null)"; fi
}

expect_exit "submit without consent is refused" 2 "$V" submit --yes --state st sample.bin
expect_contains "saying so" "$err" "no consent for data policy 2"
nothing_sent "without consent"
"$V" telemetry enable --yes --state st >/dev/null
expect_exit "a file the installed ruleset does not detect is refused" 2 "$V" submit --yes --state st clean.bin
expect_contains "saying so" "$err" "is not detected by the installed ruleset (serial 1)"
expect_exit "a PDF without the flag is refused" 2 "$V" submit --yes --state st doc.pdf
expect_contains "as a document" "$err" "is a document (PDF)"
expect_contains "after showing its type" "$out" "type: PDF document"
expect_contains "its size" "$out" "size: $(stat -c %s doc.pdf) bytes"
expect_contains "its SHA-256" "$out" "sha256: $(sha256sum doc.pdf | cut -c1-64)"
expect_contains "and the rule with its log index" "$out" "detected by: Submit_Test_Marker (log 0, sha256 "
nothing_sent "a PDF without the flag"
expect_exit "plain text without the flag is refused" 2 "$V" submit --yes --state st notes.txt
expect_contains "as a document" "$err" "is a document (plain text)"
expect_exit "off a terminal, submit asks for --yes" 2 "$V" submit --state st sample.bin </dev/null
expect_contains "and says so" "$err" "give --yes"
nothing_sent "every refusal"

# The collector read the log when it started, before the data policy was published, and reads it
# again for an unknown index only a second or more after (--log-reread, default 1; before that
# it answers 503 and the report stays queued). Under a second may have passed on a fast machine.
while [ $(( $(date +%s%N) - collector_started )) -lt 1200000000 ]; do sleep 0.1; done
expect_exit "a detected binary is submitted" 0 "$V" submit --yes --state st sample.bin
expect_contains "to the collector's /samples" "$out" "sent: report "
expect_contains "at the policy's collector" "$out" "-> http://127.0.0.1:$port/samples"
[ "$(wc -l <received)" = 1 ] && grep -q '^/samples ' received && ok "the collector received one sample" || not_ok "one sample received" "$(cut -c1-80 received)"
body=$(cut -d' ' -f2 received | base64 -d)
ledger=$("$V" telemetry ledger --json --state st | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["payload"])')
[ "$body" = "$ledger" ] && ok "the bytes received are the ledger entry" || not_ok "received = ledger"
python3 -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.loads(sys.argv[1])["fields"]["content"]))' "$body" >got.bin
cmp -s got.bin sample.bin && ok "the sample's content is the file, byte for byte" || not_ok "content differs"
expect_contains "the report names the rule's log index" "$body" '"rule-index":0,"rule-name":"Submit_Test_Marker"'
expect_exit "a PDF with --i-understand-this-is-a-document is submitted" 0 "$V" submit --yes \
  --i-understand-this-is-a-document --state st doc.pdf
expect_contains "and says it is a document" "$out" "(a document: you said you understand)"
[ "$(wc -l <received)" = 2 ] && ok "the collector received it" || not_ok "second sample" "$(wc -l <received)"
finish
