#!/usr/bin/env bash
# telemetry_send.sh: the data channel end to end on 127.0.0.1 (issue 13): `vitrine serve log`, a
# real `vitrine serve collector` behind a recording relay (telemetry_proxy.py, which keeps every
# body the collector receives), and the client: `vitrine update` installs the logged data
# policy; without consent a scan queues nothing and send sends nothing; with consent each scan
# queues one report, preview prints exactly what send then POSTs, every body the collector
# receives equals a ledger entry; then the client is killed (SIGKILL, injected by strace at its
# connect(), with no hook in the code) between each ledger commit and its POST, and at random
# moments during sends through a slow relay: nothing is lost, every ledger entry ends up sent,
# and the collector stores each report exactly once.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
today=$(date -u +%F)
"$V" keygen example.com/rules -o log >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
start log "$V" serve log L --listen 127.0.0.1:0 || finish
logurl=http://127.0.0.1:$port/
start collector "$V" serve collector --log "$logurl" --vkey log.pub --listen 127.0.0.1:0 \
  --db "$work/collector.sqlite" || finish
collector_started=$(date +%s%N)
cport=$port
start proxy python3 "$VITRINE_SOURCE_ROOT/tests/e2e/telemetry_proxy.py" "http://127.0.0.1:$cport" \
  "$work/received" 0.15 || finish
pport=$port
cat >policy <<P
vitrine/data-policy-entry/v1
serial 1
date 2026-12-05
collector http://127.0.0.1:$pport
report scan-summary
purpose Count how often each logged rule fires and how long scans take
field detections rule-counts 1 365 2099-12-31 How many files each rule, named by its log index, matched
field engine-version version 1 365 2099-12-31 Which engine version ran the scan
field files-scanned integer 1 365 2099-12-31 How many files the scan looked at
field ruleset-serial integer 1 365 2099-12-31 Which bundle serial the scan used
field scan-duration-ms integer 1 365 2099-12-31 How long the scan took, in milliseconds
P
"$V" publish --log L --key log.key --data-policy policy >/dev/null
printf 'log %s\nquorum none\n' "$(cat log.pub)" >tlog-policy
expect_exit "update installs the ruleset and the data policy" 0 "$V" update --from "$logurl" \
  --policy tlog-policy --state st --max-age 0
expect_contains "and says so" "$out" "installed data policy serial 1 (log index 2)"
mkdir demo
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >demo/eicar.com
printf 'nothing\n' >demo/clean.txt
stored() { sqlite3 -batch "$work/collector.sqlite" "SELECT count(*) FROM reports"; }
queued() { ls st/telemetry/queue 2>/dev/null | wc -l; }

# ---- off by default ----
expect_exit "a scan without consent" 1 "$V" scan --state st demo
[ "$(queued)" = 0 ] && ok "queues nothing" || not_ok "queues nothing" "$(ls st/telemetry/queue)"
expect_exit "send without consent" 0 "$V" telemetry send --state st
expect_contains "sends nothing" "$out" "sent 0, already received 0, refused 0, held 0, failed 0"
[ ! -e received ] && [ "$(stored)" = 0 ] && ok "the collector received nothing" || not_ok "the collector received nothing"

# ---- consent, preview, send, ledger ----
expect_exit "enable --yes" 0 "$V" telemetry enable --yes --state st
expect_contains "enable shows the declared fields" "$out" "field scan-duration-ms: integer, category 1 (technical)"
expect_contains "and records consent for this policy only" "$out" "consent recorded for data policy 2 (and for it only)"
for i in 1 2 3; do "$V" scan --state st demo >/dev/null; done
[ "$(queued)" = 3 ] && ok "three scans queue three reports" || not_ok "three scans queue three reports" "$(queued)"
grep -qE '"fields":\{"detections":\{"0":1\},"engine-version":"[0-9.]+","files-scanned":2,"ruleset-serial":1,"scan-duration-ms":[0-9]+\}\}$' \
  "$(ls st/telemetry/queue/*.json | head -1)" && ok "a report holds the counts per rule log index, no path or name" \
  || not_ok "report content" "$(cat st/telemetry/queue/*.json)"
"$V" telemetry preview --state st >preview 2>preview.err
for f in st/telemetry/queue/*.json; do cat "$f"; echo; done >queue.txt
cmp -s preview queue.txt && ok "preview prints exactly the queued bytes" || not_ok "preview prints exactly the queued bytes" "$(diff preview queue.txt)"
expect_contains "and where they go" "$(cat preview.err)" "# POST http://127.0.0.1:$pport/reports"
# The collector read the log at start, before the data policy was published, and reads it again
# for an unknown index only after --log-reread (1 s): until then it answers 503 (telemetry_submit.sh)
while [ $(( $(date +%s%N) - collector_started )) -lt 1200000000 ]; do sleep 0.1; done
expect_exit "send" 0 "$V" telemetry send --state st
expect_contains "sends the three" "$out" "sent 3, already received 0"
[ "$(queued)" = 0 ] && ok "the queue is empty" || not_ok "the queue is empty"

# ledger_payloads [STATE]: one base64 payload per line, from the ledger's JSON
ledger_json() { "$V" telemetry ledger --json --state st; }
ledger_payloads() { ledger_json | python3 -c 'import base64,json,sys
for e in json.load(sys.stdin):
    if len(sys.argv) < 2 or e["state"] == sys.argv[1]: print(base64.b64encode(e["payload"].encode()).decode())' "$@" | sort; }
received_payloads() { cut -d' ' -f2 received | sort; }
cmp -s <(ledger_payloads sent) <(received_payloads) && ok "every body the collector received is a ledger entry marked sent, once" \
  || not_ok "received bodies = ledger entries" "$(diff <(ledger_payloads sent) <(received_payloads))"
cmp -s <(sort preview) <(for b in $(received_payloads); do base64 -d <<<"$b"; echo; done | sort) \
  && ok "what preview showed is byte for byte what was sent" || not_ok "preview = sent"
[ "$(stored)" = 3 ] && ok "the collector stored 3 reports" || not_ok "the collector stored 3" "$(stored)"
expect_exit "ledger (text)" 0 "$V" telemetry ledger --state st
expect_contains "names state, policy, destination and HTTP answer" "$out" "sent policy 2 report scan-summary id "
expect_contains "with the destination" "$out" "-> http://127.0.0.1:$pport/reports"
expect_contains "and the collector's answer" "$out" "HTTP 201"
agg=$(curl -s "http://127.0.0.1:$cport/aggregate?day=$today")
expect_contains "the collector's aggregate counts the detections per rule log index" "$agg" '"0":3'

# ---- kill -9 between the ledger commit and the network, in a loop ----
# strace kills the client (SIGKILL) as it calls connect() for its second POST: by then that
# payload is committed to the ledger and no byte of it has left (the first POST of each run is
# the one committed before the previous kill).
for i in $(seq 8); do "$V" scan --state st demo >/dev/null; done
runs=0 killed=0
while [ "$(queued)" != 0 ] && [ $runs -lt 20 ]; do
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -o /dev/null -e trace=connect \
    -e inject=connect:signal=KILL:when=2 "$V" telemetry send --state st >/dev/null 2>&1
  rc=$?; runs=$((runs + 1))
  [ $rc = 137 ] && killed=$((killed + 1))
done
[ $killed = 7 ] && [ $runs = 7 ] && ok "7 sends were killed between a ledger commit and its POST" || not_ok "7 killed sends" "$runs runs, $killed killed"
expect_exit "a send after the crashes" 0 "$V" telemetry send --state st
expect_contains "sends the one committed before the last kill" "$out" "sent 1,"
[ "$(ledger_json | python3 -c 'import json,sys; print(sum(e["state"]=="sent" for e in json.load(sys.stdin)))')" = 11 ] \
  && ok "all 11 ledger entries are sent" || not_ok "all 11 sent" "$(ledger_json)"
[ "$(stored)" = 11 ] && ok "the collector stored each of the 11 once" || not_ok "stored 11" "$(stored)"
cmp -s <(ledger_payloads sent) <(received_payloads) && ok "nothing was lost and nothing was sent twice" \
  || not_ok "received = ledger after crashes" "$(diff <(ledger_payloads sent) <(received_payloads))"

# ---- kill -9 at random moments of sends (the relay holds each request 0.15 s) ----
for i in $(seq 6); do "$V" scan --state st demo >/dev/null; done
pending() { ledger_json | python3 -c 'import json,sys; print(sum(e["state"]=="queued" for e in json.load(sys.stdin)))'; }
for i in $(seq 12); do
  "$V" telemetry send --state st >/dev/null 2>&1 & pid=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
done
expect_exit "a send after the random kills" 0 "$V" telemetry send --state st
[ "$(queued)" = 0 ] && [ "$(pending)" = 0 ] && ok "nothing is left queued" || not_ok "nothing left" "queue $(queued), ledger $(pending)"
[ "$(stored)" = 17 ] && ok "the collector stored each of the 17 reports exactly once" || not_ok "stored 17" "$(stored)"
cmp -s <(ledger_payloads sent) <(received_payloads | uniq) && ok "every received body is a ledger entry, every ledger entry was received" \
  || not_ok "received (deduplicated) = ledger" "$(diff <(ledger_payloads sent) <(received_payloads | uniq))"
resent=$(( $(received_payloads | wc -l) - $(received_payloads | uniq | wc -l) ))
echo "# bodies POSTed again after a kill during the send: $resent (the collector answered 200 duplicate)"
finish
