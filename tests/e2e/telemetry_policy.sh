#!/usr/bin/env bash
# telemetry_policy.sh: the data policy in the log (issue 13): `vitrine publish --data-policy`
# logs a policy and refuses one that does not parse (FILE:LINE) or does not raise the serial,
# logging nothing; `vitrine monitor` prints each policy with the fields it adds ('+') and what
# else needs new consent ('!') against the previous one, also when the previous one was seen in
# an earlier run. The client (`vitrine update`, `telemetry`, `scan`): a widened policy is not
# used until consent is given again (scans queue nothing meanwhile), a narrowed one is used
# under the old consent, a report with a field the policy does not declare is refused by the
# client and nothing is queued.
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
field ruleset-serial integer 1 365 2099-12-31 Which bundle serial the scan used
field scan-duration-ms integer 1 365 2099-12-31 How long the scan took, in milliseconds
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

# ---- the client: policy 0 installed, consent, a scan queues a report ----
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
printf 'log %s\nquorum none\n' "$(cat log.pub)" >tlog-policy
update() { "$V" update --from L --policy tlog-policy --state st --max-age 0; }
expect_exit "update installs the ruleset and policy 0" 0 update
expect_contains "naming the policy" "$out" "installed data policy serial 1 (log index 0)"
mkdir demo
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >demo/eicar.com
queued() { ls st/telemetry/queue 2>/dev/null | wc -l; }
expect_exit "status" 0 "$V" telemetry status --state st
expect_contains "says telemetry is off" "$out" "consent: none: telemetry is off"
expect_exit "enable without a terminal and without --yes" 2 "$V" telemetry enable --state st </dev/null
expect_contains "is refused" "$err" "give --yes"
expect_exit "enable --yes" 0 "$V" telemetry enable --yes --state st
"$V" scan --state st demo >/dev/null
[ "$(queued)" = 1 ] && ok "a scan queues one report under policy 0" || not_ok "one report queued" "$(queued)"

expect_exit "publish the widened policy" 0 "$V" publish --log L --key log.key --data-policy p2
expect_contains "as index 3 serial 2" "$out" "data-policy 3 serial 2"
expect_exit "the monitor (a later run) prints the widened policy" 0 "$V" monitor --log L --vkey log.pub --state mon
expect_contains "against the previous one, which it finds in the log" "$out" "== data policy 3 serial 2 against policy 0 serial 1: needs new consent"
expect_contains "the added field marked +" "$out" "+ field scan-summary/source-path: string, category 4 (highly sensitive), kept 30 days"
expect_contains "the raised category" "$out" "! category raised scan-summary/detections: 1 (technical) -> 2 (interaction)"
expect_contains "the longer retention" "$out" "! retention lengthened scan-summary/detections: 365 -> 400 days"
n=$(grep -c '^+ ' <<<"$out")
[ "$n" = 1 ] && ok "only the added field is marked +" || not_ok "only the added field is marked +" "$out"

# ---- a widened policy is not used until consent is given again ----
expect_exit "update installs the widened policy" 0 update
expect_contains "policy 3" "$out" "installed data policy serial 2 (log index 3)"
expect_exit "status" 0 "$V" telemetry status --state st
expect_contains "says it needs new consent and is not used" "$out" "consent: given for data policy 0 only; the one in force (3) needs new consent and is not used"
expect_contains "and lists the added field" "$out" "+ field scan-summary/source-path"
"$V" scan --state st demo >/dev/null
[ "$(queued)" = 1 ] && ok "a scan under the widened policy queues nothing" || not_ok "nothing queued" "$(queued)"
"$V" telemetry preview --state st >preview 2>/dev/null
grep -c . preview | grep -qx 1 && grep -q '"policy":0,' preview && ok "preview: only the report made under policy 0 would be sent" \
  || not_ok "preview under the widened policy" "$(cat preview)"
expect_exit "enable again" 0 "$V" telemetry enable --yes --state st
expect_contains "shows what changed since the consent" "$out" "compared with data policy 0, which you agreed to:"
expect_contains "consent for policy 3" "$out" "consent recorded for data policy 3 (and for it only)"
"$V" scan --state st demo >/dev/null
[ "$(queued)" = 2 ] && grep -q '"policy":3,' "$(ls st/telemetry/queue/*.json | tail -1)" \
  && ok "now a scan queues a report under policy 3" || not_ok "queued under 3" "$(cat st/telemetry/queue/*)"

# ---- a narrowed policy is used under the old consent; an undeclared field is refused ----
sed -e 's/^serial 1/serial 3/' -e 's/rule-counts 1 365/rule-counts 1 30/' p1 >p3
expect_exit "publish a narrowed policy" 0 "$V" publish --log L --key log.key --data-policy p3
expect_exit "update installs it" 0 update
expect_exit "status" 0 "$V" telemetry status --state st
expect_contains "says it only narrows" "$out" "only narrows it, so reports follow it"
"$V" scan --state st demo >/dev/null
[ "$(queued)" = 3 ] && grep -q '"policy":4,' "$(ls st/telemetry/queue/*.json | tail -1)" \
  && ok "a scan queues a report under the narrowed policy 4" || not_ok "queued under 4" "$(ls st/telemetry/queue)"
grep -v scan-duration-ms p3 | sed 's/^serial 3/serial 4/' >p4
expect_exit "publish a policy without scan-duration-ms" 0 "$V" publish --log L --key log.key --data-policy p4
expect_exit "update installs it" 0 update
expect_exit "a scan still scans" 1 "$V" scan --state st demo
expect_contains "the client refuses the report, naming the undeclared field" "$err" \
  'telemetry: no report queued: field "scan-duration-ms" is not declared for report "scan-summary" by policy 5'
[ "$(queued)" = 3 ] && ok "and nothing is queued" || not_ok "nothing queued" "$(queued)"
# a tampered installed policy is refused by the offline re-check
sed -i 's/kept/kept/; s/365 2099/366 2099/' st/telemetry/policy-5.entry
expect_exit "a tampered installed policy" 1 "$V" telemetry status --state st
expect_contains "does not verify" "$err" "the installed data policy"
finish
