#!/usr/bin/env bash
# collector.sh STORE: `vitrine serve collector` end to end on 127.0.0.1, with STORE sqlite (the
# default store) or postgres (a throw-away PostgreSQL 15 cluster from scripts/pg-cluster): the
# same checks on both. The collector reads its data policies from a log served over HTTP by
# `vitrine serve log`; reports are sent by hand with curl:
# - an accepted report is stored once; the same id again is a duplicate (200), stored nothing;
# - an undeclared field, a wrong type, an expired field, a time of day, an unknown policy index
#   and a policy index that is a rule entry are each 400 with a message naming what is wrong,
#   and store nothing; a body over the limit is 413; a sample goes to /samples only;
# - a policy logged after the collector started is read when a report names it;
# - no stored row (the whole database dumped) and no line the collector wrote holds the client's
#   address 127.0.0.1 or a time of day; stored days are YYYY-MM-DD;
# - a field past its retention is deleted by the periodic job, and a backdated row at start;
# - GET /aggregate sums the detections of a day per rule log index;
# - a restart keeps the data; a log that cannot be read at start is a clear error.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
store=${1:?usage: collector.sh sqlite|postgres}
cd "$work"
today=$(date -u +%F)
ago2=$(date -u -d '2 days ago' +%F)

# ---- the store ----
if [ "$store" = postgres ]; then
  pgdir=$(mktemp -d /tmp/vitrine-pg.XXXXXX)
  pg_cleanup() { "$VITRINE_SOURCE_ROOT/scripts/pg-cluster" stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"; cleanup; }
  trap pg_cleanup EXIT
  pgurl=$("$VITRINE_SOURCE_ROOT/scripts/pg-cluster" start "$pgdir") || { not_ok "a throw-away PostgreSQL cluster starts"; finish; }
  ok "a throw-away PostgreSQL cluster starts ($pgurl)"
  store_args=(--postgres "$pgurl")
  sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$pgurl" -c "$1"; }
  dump() { pg_dump --data-only --inserts "$pgurl"; }
else
  store_args=(--db "$work/collector.sqlite")
  sql() { sqlite3 -batch "$work/collector.sqlite" "$1"; }
  dump() { sqlite3 -batch "$work/collector.sqlite" .dump; }
fi

# ---- the log: a rule entry and a bundle (0, 1), then a data policy (2) ----
"$V" keygen example.com/rules -o log >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
cat >policy1 <<EOF
vitrine/data-policy-entry/v1
serial 1
date 2026-12-01
collector http://127.0.0.1/v1
report sample
purpose A file the user chose to submit
field content bytes 3 90 2099-12-31 The file itself
field sha256 sha256 3 90 2099-12-31 The SHA-256 of the file
report scan-summary
purpose Count how often each logged rule fires
field detections rule-counts 1 365 2099-12-31 How many files each rule matched
field engine-version version 1 365 2099-12-31 Which engine version ran the scan
field files-scanned integer 1 1 2099-12-31 How many files the scan looked at
field old-counter integer 1 30 2020-01-01 A field that expired
EOF
"$V" log add L --key log.key policy1 >/dev/null
[ "$(sed -n 2p L/checkpoint)" = 3 ] && ok "the log holds a rule entry, a bundle and a data policy" || not_ok "the log holds 3 entries" "$(cat L/checkpoint)"
start log "$V" serve log L --listen 127.0.0.1:0 || finish
logurl=http://127.0.0.1:$port/

# ---- a log that cannot be read at start ----
expect_exit "a collector whose log cannot be read does not start" 2 \
  "$V" serve collector --log http://127.0.0.1:9/ --vkey log.pub --listen 127.0.0.1:0 "${store_args[@]}"
expect_contains "it says which log and why" "$err" "cannot read the data policies from the log http://127.0.0.1:9/: unavailable"
"$V" keygen other.example/rules -o other >/dev/null
expect_exit "a collector given another log's key does not start" 2 \
  "$V" serve collector --log "$logurl" --vkey other.pub --listen 127.0.0.1:0 "${store_args[@]}"
expect_contains "it names the signature problem" "$err" "cannot read the data policies from the log"

start_collector() {
  start collector "$V" serve collector --log "$logurl" --vkey log.pub --listen 127.0.0.1:0 \
    "${store_args[@]}" --purge-interval 1 "$@" || finish
  curl_base=http://127.0.0.1:$port
}
start_collector
expect_contains "the collector read the log" "$(cat "$work/collector.out")" "3 log entries read"

# post PATH BODY-FILE: sets $code and $body.
post() {
  code=$(curl -s -o "$work/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$2" "$curl_base$1")
  body=$(cat "$work/resp")
}
# post_retry PATH BODY-FILE: as a client does, again after a 503 (at most 5 times).
post_retry() {
  for _ in 1 2 3 4 5; do post "$@"; [ "$code" = 503 ] || return 0; sleep 1.1; done
}
# report FILE POLICY ID DAY FIELDS-JSON [REPORT]
report() {
  printf '{"policy":%s,"report":"%s","id":"%s","day":"%s","fields":%s}' "$2" "${6:-scan-summary}" "$3" "$4" "$5" >"$1"
}
id() { printf '%032x' "$1"; }
rows() { sql "SELECT count(*) FROM reports WHERE id = '$1'"; }

# ---- accepted, duplicate ----
report r1 2 "$(id 1)" "$today" '{"detections":{"4":2,"9":1},"engine-version":"0.1.0","files-scanned":10000}'
post /reports r1
[ "$code" = 201 ] && [ "$body" = "{\"stored\":\"$(id 1)\"}" ] && ok "an allowed report is stored: 201" || not_ok "an allowed report is stored" "$code $body"
[ "$(rows "$(id 1)")" = 1 ] && ok "its row is there" || not_ok "its row is there" "$(rows "$(id 1)")"
[ "$(sql "SELECT count(*) FROM fields WHERE report_id = '$(id 1)'")" = 3 ] && ok "with its three fields" || not_ok "with its three fields"
post /reports r1
[ "$code" = 200 ] && [ "$body" = "{\"duplicate\":\"$(id 1)\"}" ] && ok "the same id again: 200 duplicate" || not_ok "the same id again is a duplicate" "$code $body"
report r1b 2 "$(id 1)" "$today" '{"detections":{"4":7}}'
post /reports r1b
[ "$code" = 200 ] && ok "the same id with other content is a duplicate too" || not_ok "same id, other content" "$code $body"
[ "$(rows "$(id 1)")" = 1 ] && [ "$(sql "SELECT count(*) FROM fields WHERE report_id = '$(id 1)'")" = 3 ] && ok "stored once" || not_ok "stored once"

# ---- refused: 400 naming the problem, nothing stored ----
refused() { # NAME FILE NEEDLE [PATH]
  post_retry "${4:-/reports}" "$2"
  if [ "$code" = 400 ] && [[ "$body" == *"$3"* ]]; then ok "$1: 400 ($body)"; else not_ok "$1" "$code $body"; fi
}
report u 2 "$(id 2)" "$today" '{"files-scanned":3,"file-path":"/home/me/secret.doc"}'
refused "an undeclared field sent by hand" u '\"file-path\" is not declared'
report t 2 "$(id 3)" "$today" '{"files-scanned":"ten"}'
refused "a field of the wrong type" t 'files-scanned'
report x 2 "$(id 4)" "$today" '{"old-counter":5}'
refused "an expired field" x 'old-counter'
expect_contains "the expiry is named" "$body" "2020-01-01"
report tm 2 "$(id 5)" "${today}T10:11:12Z" '{"files-scanned":3}'
refused "a time of day instead of a day" tm 'day'
report p9 99 "$(id 6)" "$today" '{"files-scanned":3}'
refused "an unknown policy index" p9 'policy 99 is not in the log'
report p0 0 "$(id 7)" "$today" '{"files-scanned":3}'
refused "a policy index that is a rule entry" p0 'log entry 0 is a rule entry, not a data-policy entry'
report p1 1 "$(id 8)" "$today" '{"files-scanned":3}'
refused "a policy index that is a bundle entry" p1 'log entry 1 is a bundle entry'
printf '{"policy":2,"report":"scan-summary","id":"%s","day":"%s","fields":{},"ip":"127.0.0.1"}' "$(id 9)" "$today" >extra
refused "an extra key in the envelope" extra 'ip'
printf 'not json' >nj
refused "not JSON" nj 'not a report'
: >empty
refused "an empty body" empty 'not a report: the body is empty'
[ "$(sql "SELECT count(*) FROM reports")" = 1 ] && ok "nothing refused was stored" || not_ok "nothing refused was stored" "$(sql "SELECT id FROM reports")"

# ---- sizes ----
head -c 70000 /dev/zero | tr '\0' a >big
report big70 2 "$(id 10)" "$today" "{\"engine-version\":\"$(cat big)\"}"
post /reports big70
[ "$code" = 413 ] && ok "a report over 64 KiB: 413" || not_ok "a report over 64 KiB: 413" "$code $body"
head -c 100000 /dev/urandom >sample.bin
report s1 2 "$(id 11)" "$today" "{\"content\":\"$(base64 -w0 sample.bin)\",\"sha256\":\"$(sha256sum sample.bin | cut -c1-64)\"}" sample
post /samples s1
[ "$code" = 201 ] && ok "a 100 kB sample to /samples: 201" || not_ok "a sample to /samples" "$code $body"
post /reports s1
[ "$code" = 413 ] && ok "the same sample to /reports (64 KiB at most): 413" || not_ok "a sample to /reports: 413" "$code $body"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Length: 30000000' --data-binary @s1 "$curl_base/samples")
[ "$code" = 413 ] && ok "a sample announcing 30 MB: 413" || not_ok "a sample announcing 30 MB: 413" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$curl_base/reports")
[ "$code" = 405 ] && ok "GET /reports: 405" || not_ok "GET /reports: 405" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$curl_base/nothing")
[ "$code" = 404 ] && ok "another path: 404" || not_ok "another path: 404" "$code"

# ---- a policy logged after the start ----
sed -e 's/^serial 1$/serial 2/' -e 's/ 2020-01-01 A field that expired/ 2099-12-31 A field that came back/' policy1 >policy2
"$V" log add L --key log.key policy2 >/dev/null
report n1 3 "$(id 12)" "$today" '{"old-counter":5}'
post_retry /reports n1
[ "$code" = 201 ] && ok "a report naming a policy logged after the start is checked against it: 201" || not_ok "a newly logged policy" "$code $body"
report n2 3 "$(id 13)" "$today" '{"detections":{"4":3,"12":1}}'
post /reports n2
[ "$code" = 201 ] && ok "another report under the new policy" || not_ok "another report under the new policy" "$code $body"

# ---- aggregate ----
agg=$(curl -s "$curl_base/aggregate?day=$today")
[ "$agg" = "{\"day\":\"$today\",\"detections\":{\"4\":5,\"9\":1,\"12\":1}}" ] && ok "the aggregate sums detections per rule index ($agg)" || not_ok "the aggregate sums" "$agg"
agg=$(curl -s "$curl_base/aggregate?day=2001-01-01")
[ "$agg" = '{"day":"2001-01-01","detections":{}}' ] && ok "a day without reports aggregates to nothing" || not_ok "empty aggregate" "$agg"
code=$(curl -s -o resp -w '%{http_code}' "$curl_base/aggregate?day=2026-02-30")
[ "$code" = 400 ] && ok "an invalid day: 400" || not_ok "an invalid day: 400" "$code $(cat resp)"

# ---- no address, no time of day ----
dump >dump.sql
grep -q 'INSERT' dump.sql && ok "the database dump has the rows" || not_ok "the database dump has the rows" "$(head -c 500 dump.sql)"
! grep -q '127\.0\.0\.1' dump.sql && ok "no stored row holds the client address" || not_ok "no stored row holds 127.0.0.1" "$(grep -n '127\.0\.0\.1' dump.sql | head -3)"
! grep -Eq '[0-9]{2}:[0-9]{2}:[0-9]{2}' dump.sql && ok "no stored row holds a time of day" || not_ok "no time of day" "$(grep -En '[0-9]{2}:[0-9]{2}:[0-9]{2}' dump.sql | head -3)"
days=$(sql "SELECT DISTINCT day FROM reports UNION SELECT DISTINCT day FROM fields")
bad_days=$(printf '%s\n' "$days" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' || true)
[ -z "$bad_days" ] && ok "every stored day is YYYY-MM-DD" || not_ok "every stored day is YYYY-MM-DD" "$bad_days"
! grep -q '127\.0\.0\.1' collector.out collector.err && ok "the collector's output holds no client address" || not_ok "output holds no client address" "$(grep 127.0.0.1 collector.out collector.err)"

# ---- retention: a field past its retention goes with the periodic job ----
report old 2 "$(id 14)" "$ago2" '{"engine-version":"0.1.0","files-scanned":7}'
post /reports old
[ "$code" = 201 ] && ok "a report made two days ago is stored" || not_ok "a report made two days ago" "$code $body"
gone=0
for _ in $(seq 60); do
  [ "$(sql "SELECT count(*) FROM fields WHERE report_id = '$(id 14)' AND name = 'files-scanned'")" = 0 ] && { gone=1; break; }
  sleep 0.1
done
[ $gone = 1 ] && ok "its 1-day field is deleted by the periodic job" || not_ok "1-day field deleted by the job"
[ "$(sql "SELECT count(*) FROM fields WHERE report_id = '$(id 14)' AND name = 'engine-version'")" = 1 ] && ok "its 365-day field stays" || not_ok "its 365-day field stays"

# ---- restart: data kept; a backdated row is deleted at start ----
kill "$spid"; wait "$spid" 2>/dev/null
sql "UPDATE fields SET delete_after = '2000-01-01' WHERE report_id = '$(id 11)'"
sql "UPDATE reports SET delete_after = '2000-01-01' WHERE id = '$(id 11)'"
start_collector --purge-interval 3600 --log-reread 60
[ "$(rows "$(id 11)")" = 0 ] && [ "$(sql "SELECT count(*) FROM fields WHERE report_id = '$(id 11)'")" = 0 ] && ok "a backdated report is deleted at start" || not_ok "a backdated report is deleted at start" "$(rows "$(id 11)")"
grep -q 'deleted [0-9]* rows past their retention' collector.err && ok "the start says how many rows it deleted" || not_ok "the start says what it deleted" "$(cat collector.err)"
agg=$(curl -s "$curl_base/aggregate?day=$today")
[ "$agg" = "{\"day\":\"$today\",\"detections\":{\"4\":5,\"9\":1,\"12\":1}}" ] && ok "after a restart the aggregate is the same" || not_ok "restart keeps the data" "$agg"
post /reports r1
[ "$code" = 200 ] && ok "after a restart a known id is still a duplicate" || not_ok "restart keeps the ids" "$code $body"
report r20 3 "$(id 20)" "$today" '{"files-scanned":1}'
post /reports r20
[ "$code" = 201 ] && ok "after a restart the newer policy is known" || not_ok "after a restart the newer policy is known" "$code $body"
sed 's/^serial 1$/serial 3/' policy1 >policy3
"$V" log add L --key log.key policy3 >/dev/null
report r21 4 "$(id 21)" "$today" '{"files-scanned":1}'
post /reports r21
[ "$code" = 503 ] && [ "$body" = '{"error":"policy 4 is not in the log as read a moment ago; retry later"}' ] && ok "a policy index beyond the log read less than --log-reread ago: 503, retry later" || not_ok "a policy index beyond a fresh reading: 503" "$code $body"

# ---- a store held up (locked by another client for 4 s): 503 within a second, then it goes on ----
kill "$spid"; wait "$spid" 2>/dev/null
start_collector --threads 2
if [ "$store" = postgres ]; then
  hold() { psql -X -q "$pgurl" -c 'BEGIN' -c 'LOCK TABLE reports IN ACCESS EXCLUSIVE MODE' -c "\\! touch $work/held" -c 'SELECT pg_sleep(4)' -c 'COMMIT' >/dev/null; }
else
  hold() { python3 -c "import sqlite3, time; c = sqlite3.connect('$work/collector.sqlite', isolation_level=None); c.execute('BEGIN EXCLUSIVE'); open('$work/held', 'w').close(); time.sleep(4); c.execute('ROLLBACK')"; }
fi
hold & hpid=$!
for _ in $(seq 100); do [ -e held ] && break; sleep 0.1; done
report h1 2 "$(id 30)" "$today" '{"files-scanned":30}'
report h2 2 "$(id 31)" "$today" '{"files-scanned":31}'
# Two reports, the second half a second after the first: one waits in the store, the other
# finds no place there (--threads 2: one request in the store at once).
send_held() { curl -s -D "$1.headers" -o "$1.out" -w '%{http_code} %{time_total}' --data-binary @"$1" "$curl_base/reports" >"$1.code"; }
send_held h1 & apid=$!
sleep 0.5
send_held h2 & bpid=$!
wait "$bpid"; wait "$apid"; wait "$hpid"
read -r code1 t1 <h1.code; read -r code2 t2 <h2.code
if [ "$code1 $code2" = "201 503" ]; then busy=h2; elif [ "$code1 $code2" = "503 201" ]; then busy=h1; else busy=; fi
[ -n "$busy" ] && grep -qi '^Retry-After: 1' "$busy.headers" && ok "with the store held up, one report waits (201) and the other is answered 503 with Retry-After ($(cat "$busy.code") s)" || not_ok "one waits, the other is 503" "h1: $code1 $(cat h1.out); h2: $code2 $(cat h2.out)"
post /reports "${busy:-h2}"
[ "$code" = 201 ] && ok "the refused one, sent again, is stored" || not_ok "the refused one, sent again, is stored" "$code $body"
finish
