#!/usr/bin/env bash
# audit_monitor.sh: `vitrine monitor --audit` over a log served by `vitrine serve log` on
# 127.0.0.1: the honest starter rules pass; a planted document-hunting rule published to the
# log raises an alert (JSON, exit 1) within one poll and keeps raising it; only an audit-ack
# entry logged with `vitrine publish --audit-ack` (hash + finding id + reason) silences it; a
# fork raises an alert; a log that cannot be fetched does not (exit 2, "unavailable").
# `vitrine audit --log` gives the same verdicts.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
serve_copy() { rm -rf served/* && cp -a "$1"/. served/; }
"$V" keygen example.com/rules -o log >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/*.yar >/dev/null
mkdir served
serve_copy L
start log "$V" serve log "$work/served" --listen 127.0.0.1:0; url=http://127.0.0.1:$port/

expect_exit "the starter rules pass the audit" 0 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_contains "one JSON verdict per rule entry" "$out" '"flagged":0'
cp -a L L0

# the planted document hunter
cat >memo-hunter.yar <<'YAR'
rule memo_hunter {
  strings:
    $m = "TOP SECRET//NOFORN" nocase wide ascii
    $p = "Project Aurora"
  condition: uint32(0) == 0x46445025 and any of them
}
YAR
"$V" publish --log L --key log.key --reason "new detections" memo-hunter.yar >/dev/null
serve_copy L
timeout 60 "$V" monitor --audit --interval 1 --log "$url" --vkey log.pub --state mon >poll.out 2>poll.err
rc=$?
[ $rc -eq 1 ] && ok "the planted hunter raises an alert within one poll (exit 1)" || not_ok "alert within one poll" "exit $rc" "$(cat poll.err)"
grep '^{' poll.out | grep '"flagged":1' >alert.json
expect_contains "the alert is JSON naming the rule" "$(cat alert.json)" '"rule":"memo_hunter"'
expect_contains "and the marking finding" "$(cat alert.json)" '"id":"AUD-MARKING-001"'
expect_contains "and the document finding" "$(cat alert.json)" '"id":"AUD-DOC-001"'
hash=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["sha256"])' alert.json)
index=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["index"])' alert.json)
expect_contains "the entry is printed too" "$(cat poll.out)" "== log $index: rule entry"
expect_exit "the alert repeats: the checkpoint was not remembered" 1 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_exit "audit --log agrees" 1 "$V" audit --log "$url" --vkey log.pub
expect_contains "audit --log names the entry" "$out" "== log $index: rule entry sha256 $hash"

# acknowledgments: a wrong hash or one finding only does not silence the rule
expect_exit "an ack needs a valid finding id" 2 "$V" publish --log L --key log.key --audit-ack "$hash" NOT-AN-ID "why"
expect_exit "an ack needs a full hash" 2 "$V" publish --log L --key log.key --audit-ack abc AUD-DOC-001 "why"
"$V" publish --log L --key log.key --audit-ack "$(printf '%064d' 0)" AUD-MARKING-001 "another entry" >/dev/null
"$V" publish --log L --key log.key --audit-ack "$hash" AUD-MARKING-001 "a test rule for our own memo scanner" >/dev/null
serve_copy L
expect_exit "one finding acknowledged, the other still alerts" 1 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_contains "the acknowledged one is a note" "$out" 'acknowledged in the log (a test rule for our own memo scanner)'
printf 'vitrine/audit-ack-entry/v1\nrule-entry %s\nfinding AUD-DOC-001\nreason reviewed: the PDF test corpus\n' "$hash" >ack.txt
expect_exit "an ack from a file" 0 "$V" publish --log L --key log.key --audit-ack-file ack.txt
serve_copy L
expect_exit "acknowledged in the log: no alert" 0 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_contains "the monitor prints the ack entries" "$out" "audit-ack entry"
expect_exit "audit --log agrees" 0 "$V" audit --log "$url" --vkey log.pub
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/eicar.yar >/dev/null
serve_copy L
expect_exit "acks seen before are remembered (DIR/monitor-acks)" 0 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_exit "a fresh monitor sees the same acks in the log" 0 "$V" monitor --audit --log "$url" --vkey log.pub --state mon2

# a fork: L0 plus other entries, signed with the same key
cp -a L0 fork
"$V" publish --log fork --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/scripts.yar >/dev/null
"$V" publish --log fork --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/scripts.yar >/dev/null
"$V" publish --log fork --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/scripts.yar >/dev/null
serve_copy fork
expect_exit "a fork raises an alert" 1 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_contains "as JSON" "$out" '"alert":"inconsistency"'

# the log unreachable: not evidence
kill "$spid"; wait "$spid" 2>/dev/null
expect_exit "a network failure is not an alert (exit 2)" 2 "$V" monitor --audit --log "$url" --vkey log.pub --state mon
expect_contains "it says unavailable" "$err" "unavailable"
[ -z "$out" ] && ok "and prints no alert" || not_ok "and prints no alert" "$out"
finish
