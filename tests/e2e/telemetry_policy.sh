#!/usr/bin/env bash
# telemetry_policy.sh: the data policy in the log (issue 13): `vitrine publish --data-policy`
# logs a policy and refuses one that does not parse (FILE:LINE) or does not raise the serial,
# logging nothing; `vitrine monitor` prints each policy with the fields it adds ('+') and what
# else needs new consent ('!') against the previous one, also when the previous one was seen in
# an earlier run.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
"$V" keygen example.com/rules -o log >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
cat >p1 <<'P'
vitrine/data-policy-entry/v1
serial 1
date 2026-12-05
collector http://127.0.0.1:9/v1
report scan-summary
purpose Count how often each logged rule fires and how long scans take
field detections rule-counts 1 365 2099-12-31 How many files each rule, named by its log index, matched
field engine-version version 1 365 2099-12-31 Which engine version ran the scan
field files-scanned integer 1 365 2099-12-31 How many files the scan looked at
P
# p2 widens p1: a new field, a raised category, a longer retention
sed -e 's/^serial 1/serial 2/' -e 's/^field detections rule-counts 1 365/field detections rule-counts 2 400/' p1 >p2
echo 'field source-path string 4 30 2099-12-31 The path of each detected file' >>p2

size() { sed -n 2p L/checkpoint; }
expect_exit "publish --data-policy logs the policy" 0 "$V" publish --log L --key log.key --data-policy p1
expect_contains "it prints the index and serial" "$out" "data-policy 0 serial 1"
expect_exit "the same serial again is refused" 2 "$V" publish --log L --key log.key --data-policy p1
expect_contains "naming the newest policy's serial" "$err" "p1:2: serial 1 is not larger than serial 1 of the newest logged data policy (log index 0)"
sed 's/^field engine-version version 1 365/field engine-version vers 1 365/' p2 >bad
expect_exit "a policy that does not parse is refused" 2 "$V" publish --log L --key log.key --data-policy bad
expect_contains "with FILE:LINE and what was expected" "$err" "bad:8: invalid field type"
{ head -4 p2; echo 'collector http://telemetry.example.org/v1'; tail -n +5 p2; } | sed 4d >bad
expect_exit "a plain-http collector on another host is refused" 2 "$V" publish --log L --key log.key --data-policy bad
expect_contains "naming the collector line" "$err" "bad:4: expected 'collector URL'"
expect_exit "rule files and --data-policy do not mix" 2 "$V" publish --log L --key log.key --data-policy p2 "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar"
[ "$(size)" = 1 ] && ok "nothing refused was logged" || not_ok "nothing refused was logged" "size $(size)"

expect_exit "the monitor prints the first policy" 0 "$V" monitor --log L --vkey log.pub --state mon
expect_contains "as a data-policy entry" "$out" "== log 0: data-policy entry"
expect_contains "as the first policy" "$out" "== data policy 0 serial 1: the first data policy of the log"
expect_contains "with each field marked as added" "$out" "+ field scan-summary/files-scanned: integer, category 1 (technical), kept 365 days"

expect_exit "publish the widened policy" 0 "$V" publish --log L --key log.key --data-policy p2
expect_contains "as index 1 serial 2" "$out" "data-policy 1 serial 2"
expect_exit "the monitor (a later run) prints the widened policy" 0 "$V" monitor --log L --vkey log.pub --state mon
expect_contains "against the previous one, which it finds in the log" "$out" "== data policy 1 serial 2 against policy 0 serial 1: needs new consent"
expect_contains "the added field marked +" "$out" "+ field scan-summary/source-path: string, category 4 (highly sensitive), kept 30 days"
expect_contains "the raised category" "$out" "! category raised scan-summary/detections: 1 (technical) -> 2 (interaction)"
expect_contains "the longer retention" "$out" "! retention lengthened scan-summary/detections: 365 -> 400 days"
n=$(grep -c '^+ ' <<<"$out")
[ "$n" = 1 ] && ok "only the added field is marked +" || not_ok "only the added field is marked +" "$out"
finish
