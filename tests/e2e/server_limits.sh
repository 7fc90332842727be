#!/usr/bin/env bash
# server_limits.sh: the log server (`vitrine serve log`) and the witness (`vitrine witness serve`)
# hold against hostile clients on the loopback network (server/http_server.c):
# - slowloris: 300 connections from ten loopback addresses (127.0.0.2-11), each sending one more
#   header line every second for 12 s, against both servers at once, while legitimate curl
#   requests from 127.0.0.1 are each answered within 2 s; every attacker address holds at most
#   --max-per-client connections, and every held one is cut at the whole-request deadline
#   although it never went silent; a control run without the limits shows the attack does
#   block legitimate clients;
# - a body announced over the limit is answered 413 before it is sent (500 MB announced, none or
#   64 KiB sent); a chunked one is cut off soon after passing the limit;
# - a body trickled 10 bytes a second is cut at the deadline too;
# - a witness whose store is held up answers 503 instead of freezing;
# - an empty POST is a 400, not a crash (the ASan+UBSan build runs this too).
# All traffic goes to 127.0.0.1; every loop is bounded.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
hostile="python3 $(cd "$(dirname "$0")" && pwd)/hostile_client.py"
cd "$work"

"$V" keygen example.com/rules -o log >/dev/null
"$V" keygen --witness w.example/w -o w >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
for i in 1 2 3; do printf 'entry %s' "$i" >"e$i"; done
"$V" log add L --key log.key e1 e2 e3 >/dev/null
size=$(sed -n 2p L/checkpoint)
limits=(--request-timeout 3 --max-per-client 20)
start log "$V" serve log L --listen 127.0.0.1:0 "${limits[@]}" || finish
log_port=$port
start witness "$V" witness serve --db w.db --key w.key --listen 127.0.0.1:0 --log-vkey log.pub "${limits[@]}" || finish
w_port=$port
{ printf 'old 0\n\n'; cat L/checkpoint; } >first
{ printf 'old %s\n\n' "$size"; cat L/checkpoint; } >again

# legit_log / legit_witness: one request as an honest client would make it, from 127.0.0.1;
# prints "STATUS SECONDS".
legit_log() { curl -s -o /dev/null -m 5 --interface 127.0.0.1 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$log_port/checkpoint"; }
legit_witness() { curl -s -o /dev/null -m 5 --interface 127.0.0.1 -w '%{http_code} %{time_total}\n' --data-binary @again "http://127.0.0.1:$w_port/add-checkpoint"; }

code=$(curl -s -o cosig -w '%{http_code}' --data-binary @first "http://127.0.0.1:$w_port/add-checkpoint")
[ "$code" = 200 ] && grep -q '^— w.example/w ' cosig && ok "the witness cosigns the log's checkpoint" || not_ok "the witness cosigns" "got $code: $(cat cosig)"
read -r code _ < <(legit_witness)
[ "$code" = 200 ] && ok "the same checkpoint again is cosigned (the legitimate request below)" || not_ok "the same checkpoint again is cosigned" "got $code"

# ---- empty bodies ----
code=$(curl -s -o body -w '%{http_code}' --data-binary '' "http://127.0.0.1:$w_port/add-checkpoint")
[ "$code" = 400 ] && ok "an empty POST is a 400" || not_ok "an empty POST is a 400" "got $code: $(cat body)"
code=$(curl -s -o body -w '%{http_code}' -X POST "http://127.0.0.1:$w_port/add-checkpoint")
[ "$code" = 400 ] && ok "a POST without a body or Content-Length is a 400" || not_ok "a POST without a body is a 400" "got $code"
code=$(curl -s -o body -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary '' "http://127.0.0.1:$w_port/add-checkpoint")
[ "$code" = 400 ] && ok "an empty chunked POST is a 400" || not_ok "an empty chunked POST is a 400" "got $code"
read -r code _ < <(legit_witness)
[ "$code" = 200 ] && ok "the witness still answers after empty bodies" || not_ok "the witness still answers after empty bodies" "got $code; $(tail -5 witness.err)"

# ---- oversized bodies: 413 before the body is sent ----
read -r code secs < <($hostile big-body --port "$w_port" --path /add-checkpoint --length 500000000 --send 0)
[ "$code" = 413 ] && ok "500 MB announced, nothing sent: 413 ($secs s)" || not_ok "500 MB announced, nothing sent: 413" "got '$code'"
read -r code secs < <($hostile big-body --port "$w_port" --path /add-checkpoint --length 500000000 --send 65536)
[ "$code" = 413 ] && ok "500 MB announced, 64 KiB sent: 413 ($secs s)" || not_ok "500 MB announced, 64 KiB sent: 413" "got '$code'"
read -r code secs < <($hostile big-body --port "$w_port" --path /add-checkpoint --length 100000 --send 0)
[ "$code" = 413 ] && ok "100 kB announced (over the largest valid request): 413" || not_ok "100 kB announced: 413" "got '$code'"
read -r sent code < <($hostile chunked --port "$w_port" --path /add-checkpoint --chunk 4096 --max 4194304)
[ "${sent:-99999999}" -lt 1048576 ] && ok "a chunked body is cut off soon after the limit ($sent bytes sent)" || not_ok "a chunked body is cut off soon after the limit" "sent $sent"
read -r code secs < <($hostile big-body --port "$log_port" --method GET --path /checkpoint --length 500000000 --send 0)
[ "$code" = 413 ] && ok "the log server answers a GET announcing a body with 413" || not_ok "the log server answers a GET announcing a body with 413" "got '$code'"
read -r code _ < <(legit_witness)
[ "$code" = 200 ] && ok "the witness still answers after oversized bodies" || not_ok "the witness still answers after oversized bodies" "got $code"

# ---- a body trickled 10 bytes a second: headers complete, so only the deadline can end it ----
read -r secs < <($hostile slow-body --port "$w_port" --path /add-checkpoint --duration 10)
awk -v s="${secs:-99}" 'BEGIN { exit !(s >= 2.5 && s < 6) }' && ok "a trickled body is cut at the 3 s deadline (${secs}s)" || not_ok "a trickled body is cut at the 3 s deadline" "closed after ${secs}s"

# ---- slowloris ----
sources=$(echo 127.0.0.{2..11} | tr ' ' ,)
$hostile slowloris --port "$log_port" --sources "$sources" --per-source 30 --duration 12 --path /checkpoint --ready ready-log >attack-log.json &
a1=$!
$hostile slowloris --port "$w_port" --sources "$sources" --per-source 30 --duration 12 --path /add-checkpoint --ready ready-witness >attack-witness.json &
a2=$!
# wait_ready FILE...: until the attackers have their connections open (at most 30 s).
wait_ready() { for _ in $(seq 300); do ls "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "# attackers not ready"; }
wait_ready ready-log ready-witness
sleep 1
slow=0 failed=0 worst=0
for round in 1 2 3 4 5 6 7 8; do
  for kind in log witness; do
    read -r code secs < <(legit_$kind)
    worst=$(awk -v a="$worst" -v b="${secs:-9}" 'BEGIN { print (b > a ? b : a) }')
    [ "$code" = 200 ] || { failed=$((failed + 1)); echo "# round $round: $kind answered '$code' after ${secs}s"; }
    awk -v s="${secs:-9}" 'BEGIN { exit !(s >= 2) }' && slow=$((slow + 1))
  done
  sleep 1
done
wait $a1 $a2
[ "$failed" = 0 ] && ok "under attack, 16 legitimate requests were all answered 200" || not_ok "under attack, legitimate requests were answered" "$failed failed"
[ "$slow" = 0 ] && ok "... each within 2 s (slowest ${worst}s)" || not_ok "... each within 2 s" "$slow took 2 s or more (slowest ${worst}s)"
for kind in log witness; do
  python3 - "attack-$kind.json" 20 3 >check.out 2>&1 <<'EOF'
import json, sys
stats = json.load(open(sys.argv[1])); per_client = int(sys.argv[2]); deadline = float(sys.argv[3])
problems = []
if max(stats["held_peak"].values()) > per_client:
    problems.append("an address held more than %d: %s" % (per_client, stats["held_peak"]))
if min(stats["held_peak"].values()) < per_client // 2:
    problems.append("the attack did not get its connections in: %s" % stats["held_peak"])
if stats["refused"] < 10 * (30 - per_client):
    problems.append("fewer refusals than connections over the per-client limit: %d" % stats["refused"])
ages = stats["cut_ages"]
if len(ages) < 100:
    problems.append("only %d connections cut by the deadline" % len(ages))
elif min(ages) < deadline - 0.5 or max(ages) > deadline + 2.5:
    problems.append("cut at %.2f..%.2f s, not at the %g s deadline" % (min(ages), max(ages), deadline))
print("opened %d, refused %d, cut %d at %.2f..%.2f s, held at most %d per address" % (
    stats["opened"], stats["refused"], stats["cut"], min(ages or [0]), max(ages or [0]),
    max(stats["held_peak"].values())))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
  [ $? = 0 ] && ok "$kind: per-client limit and deadline held: $(head -1 check.out)" || not_ok "$kind: per-client limit and deadline held" "$(cat check.out)"
done

# ---- the control: the same attack without the limits blocks legitimate clients ----
start open-witness "$V" witness serve --db w2.db --key w.key --listen 127.0.0.1:0 --log-vkey log.pub \
  --max-connections 100 --max-per-client 0 --request-timeout 0 --idle-timeout 30 || finish
open_port=$port
$hostile slowloris --port "$open_port" --sources "$sources" --per-source 30 --duration 5 --path /add-checkpoint --ready ready-open >attack-open.json &
a3=$!
wait_ready ready-open
sleep 1
read -r code secs < <(curl -s -o /dev/null -m 2 -w '%{http_code} %{time_total}\n' --data-binary @first "http://127.0.0.1:$open_port/add-checkpoint")
wait $a3
[ "$code" != 200 ] && ok "control: without the limits the attack blocks a legitimate request (got '$code')" || not_ok "control: without the limits the attack blocks a legitimate request" "it was answered $code in ${secs}s"

# ---- a held-up store: the witness answers 503 rather than freezing ----
# Another process holds the database's write lock for 8 s; with 2 worker threads one request may
# wait in the store, the next one gets 503 (Retry-After) after at most 1 s, and requests that
# need no store are still answered.
start busy-witness "$V" witness serve --db busy.db --key w.key --listen 127.0.0.1:0 --log-vkey log.pub --threads 2 || finish
busy_port=$port
curl -s -o /dev/null --data-binary @first "http://127.0.0.1:$busy_port/add-checkpoint"
python3 -c 'import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
con.execute("BEGIN IMMEDIATE"); open(sys.argv[2], "w").close(); time.sleep(8); con.execute("ROLLBACK")' busy.db locked &
holder=$!
wait_ready locked
curl -s -o /dev/null -m 15 -w '%{http_code}\n' --data-binary @again "http://127.0.0.1:$busy_port/add-checkpoint" >held &
held=$!
sleep 2
read -r code secs < <(curl -s -D busy-headers -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' --data-binary @again "http://127.0.0.1:$busy_port/add-checkpoint")
[ "$code" = 503 ] && grep -qi '^Retry-After: 1' busy-headers && awk -v s="$secs" 'BEGIN { exit !(s < 3) }' &&
  ok "a request finding the store held up gets 503 with Retry-After (${secs}s)" ||
  not_ok "a request finding the store held up gets 503 with Retry-After" "got $code after ${secs}s: $(cat busy-headers)"
read -r code secs < <(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$busy_port/add-checkpoint")
[ "$code" = 405 ] && awk -v s="$secs" 'BEGIN { exit !(s < 2) }' && ok "meanwhile other requests are answered (${secs}s)" || not_ok "meanwhile other requests are answered" "got $code after ${secs}s"
wait $holder $held
[ "$(cat held)" = 200 ] && ok "the held-up request is cosigned once the lock is released" || not_ok "the held-up request is cosigned once the lock is released" "got $(cat held)"

# The servers survived all of it and stop cleanly.
read -r code _ < <(legit_log)
[ "$code" = 200 ] && ok "the log server answers after the attacks" || not_ok "the log server answers after the attacks" "got $code"
read -r code _ < <(legit_witness)
[ "$code" = 200 ] && ok "the witness answers after the attacks" || not_ok "the witness answers after the attacks" "got $code"
for i in 0 1; do
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}"
  rc=$?
  [ $rc = 0 ] && ok "server $i exits 0 on SIGTERM" || not_ok "server $i exits 0 on SIGTERM" "exit $rc; $(tail -3 "$work/$([ $i = 0 ] && echo log || echo witness).err")"
done
expect_exit "a limit option with a bad value is a usage error" 2 "$V" serve log L --listen 127.0.0.1:0 --max-per-client lots
expect_contains "... naming the option" "$err" "--max-per-client"
finish
