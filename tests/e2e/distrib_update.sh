#!/usr/bin/env bash
# distrib_update.sh: verified rule distribution end to end over real HTTP servers on 127.0.0.1:
# publish the starter rules, two witnesses (`vitrine witness serve`) cosign, `vitrine update`
# from `vitrine serve log`, a scan of EICAR names the rule's log index; then each attack (an
# entry altered on the server, a bundle naming an entry not in the log, a rolled-back server, a
# fork signed with the same key, no witness quorum, a frozen checkpoint, a lower serial) is
# refused with the installed ruleset unchanged, and the monitor catches the fork and the
# altered entry. The witness's HTTP answers (409, 422, 403) are checked with curl.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
# Witnesses with the honest keys; "fresh" ones have empty databases (witnesses an attacker
# managed to show another view to, so that the client's own checks are what is tested).
start_witnesses() { # PREFIX: sets $w1 and $w2 to their URLs
  start "$1-w1" "$V" witness serve --db "$work/$1-w1.db" --key w1.key --listen 127.0.0.1:0 --log-vkey log.pub; w1=http://127.0.0.1:$port
  start "$1-w2" "$V" witness serve --db "$work/$1-w2.db" --key w2.key --listen 127.0.0.1:0 --log-vkey log.pub; w2=http://127.0.0.1:$port
}
installed_state() { (cd st && cat current && sha256sum "$(cat current)"/*); }
serve_copy() { rm -rf served/* && cp -a "$1"/. served/; }

"$V" keygen example.com/rules -o log >/dev/null
"$V" keygen --witness w1.example/w -o w1 >/dev/null
"$V" keygen --witness w2.example/w -o w2 >/dev/null
printf 'log %s\nwitness w1 %s\nwitness w2 %s\ngroup both all w1 w2\nquorum both\n' \
  "$(cat log.pub)" "$(cat w1.pub)" "$(cat w2.pub)" >policy
"$V" log init L --origin example.com/rules --key log.key >/dev/null
start_witnesses honest; hw1=$w1 hw2=$w2
mkdir served
start log "$V" serve log "$work/served" --listen 127.0.0.1:0; url=http://127.0.0.1:$port/
mkdir demo
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >demo/eicar.com
printf 'nothing\n' >demo/clean.txt

# ---- the honest path ----
expect_exit "a broken rule file is not published" 2 "$V" publish --log L --key log.key \
  "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" <(printf 'rule broken { condition: nosuch }\n')
[ "$(sed -n 2p L/checkpoint)" = 0 ] && ok "nothing broken was logged" || not_ok "nothing broken was logged"
{ echo 'rule big {'; echo '  strings:'; for i in $(seq 1 2200); do printf '    $s%d = "%030d"\n' "$i" "$i"; done
  echo '  condition: any of them'; echo '}'; } >big.yar
expect_exit "a single rule over 64 KiB (it cannot be split) is refused" 2 "$V" publish --log L --key log.key big.yar
expect_contains "the refusal says it is too large" "$err" "more than one log entry can hold"
expect_exit "publish the starter rules" 0 "$V" publish --log L --key log.key --reason "starter set" \
  "$VITRINE_SOURCE_ROOT"/rules/starter/*.yar
expect_contains "publish prints the bundle's index and serial" "$out" "bundle 3 serial 1"
expect_exit "two witnesses cosign" 0 "$V" log witness L --key log.key --witness "$hw1" --witness "$hw2"
expect_contains "log witness reports both" "$out" "cosigned by 2 of 2"
cp -a L L1
serve_copy L
expect_exit "update over HTTP installs serial 1" 0 "$V" update --from "$url" --policy policy --state st
expect_contains "update names the serial" "$out" "installed ruleset serial 1"
expect_exit "a scan with the installed ruleset finds EICAR" 1 "$V" scan --state st demo
expect_contains "the detection names the rule's log index and hash" "$out" \
  "eicar.com: EICAR_Test_File FOUND (log 0, sha256 $(sha256sum st/"$(cat st/current)"/0.entry | cut -c1-64))"
expect_exit "the JSON detection names the log index" 1 "$V" scan --state st -f json demo
expect_contains "JSON has log_index" "$out" '"log_index":0'
expect_exit "scan --rules still works as before" 1 "$V" scan --rules "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" demo
expect_contains "scan --rules prints no log index" "$out" "EICAR_Test_File FOUND"$'\n'

"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
"$V" log witness L --key log.key --witness "$hw1" --witness "$hw2" >/dev/null
cp -a L L2
serve_copy L
expect_exit "update to serial 2" 0 "$V" update --from "$url" --policy policy --state st
expect_exit "the same update again is a no-op" 0 "$V" update --from "$url" --policy policy --state st
expect_contains "and says so" "$out" "already up to date"
expect_exit "verify-installed re-checks offline" 0 "$V" verify-installed --state st
expect_contains "verify-installed lists the entries" "$out" "log 4 sha256"
expect_exit "the monitor follows the honest log" 0 "$V" monitor --log "$url" --vkey log.pub --state mon
expect_contains "the monitor prints the rule source" "$out" 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE'
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" \
  "$VITRINE_SOURCE_ROOT/rules/starter/scripts.yar" >/dev/null
"$V" log witness L --key log.key --witness "$hw1" --witness "$hw2" >/dev/null
cp -a L L3
before=$(installed_state)

# attack UPDATE-ARGS... : the update fails with status 1 naming $what, installed ruleset unchanged.
attack() {
  local name=$1 what=$2; shift 2
  expect_exit "$name: refused" 1 "$V" update --from "$url" --policy policy --state st "$@"
  expect_contains "$name: named as $what" "$err" "$what"
  [ "$(installed_state)" = "$before" ] && ok "$name: installed ruleset unchanged" ||
    not_ok "$name: installed ruleset unchanged"
}
# A copy of L3 with extra entries appended by the vendor's key, cosigned by fresh witnesses.
evil_log() { # NAME FILES...
  local name=$1; shift
  cp -a L3 "$name"
  "$V" log add "$name" --key log.key "$@" >/dev/null
  start_witnesses "$name"
  "$V" log witness "$name" --key log.key --witness "$w1" --witness "$w2" >/dev/null
}

# An entry altered on the server (the rule entry at index 6, named by the newest bundle).
cp -a L3 altered
for f in altered/tile/entries/*; do [ -f "$f" ] && sed -i 's/EICAR-STANDARD/EICAR-STANDARX/' "$f"; done
for f in altered/tile/entries/*/*; do [ -f "$f" ] && sed -i 's/EICAR-STANDARD/EICAR-STANDARX/' "$f"; done
serve_copy altered
attack "altered entry" "unlogged entry"
expect_exit "the monitor catches the altered entry" 1 "$V" monitor --log "$url" --vkey log.pub --state mon
expect_contains "the monitor names it" "$err" "altered"

# A bundle naming an entry that is not in the log (right index, hash of another text).
printf 'vitrine/bundle-entry/v1\nserial 9\nmin-engine 0.1.0\nrule 6 %s\n' \
  "$(printf 'a rule nobody logged' | sha256sum | cut -c1-64)" >bad-bundle
evil_log unlogged bad-bundle
serve_copy unlogged
attack "bundle naming an unlogged entry" "unlogged entry"
printf 'vitrine/bundle-entry/v1\nserial 9\nmin-engine 0.1.0\nrule 500 %s\n' \
  "$(sha256sum L3/checkpoint | cut -c1-64)" >far-bundle
evil_log far far-bundle
serve_copy far
attack "bundle naming an index beyond the log" "unlogged entry"

# A bundle with a lower serial (1) naming real entries.
printf 'vitrine/bundle-entry/v1\nserial 1\nmin-engine 0.1.0\nrule 0 %s\n' \
  "$("$V" log get L3 0 | sha256sum | cut -c1-64)" >low-bundle
evil_log lower low-bundle
serve_copy lower
attack "lower serial" "rollback"

# The server rolled back to an older (honestly cosigned) checkpoint.
serve_copy L1
attack "rolled-back server" "rollback"

# A fork signed with the same key: L1 plus other entries, shown to fresh witnesses.
cp -a L1 fork
"$V" publish --log fork --key log.key --reason "only for you" "$VITRINE_SOURCE_ROOT/rules/starter/scripts.yar" \
  "$VITRINE_SOURCE_ROOT/rules/starter/executables.yar" >/dev/null
start_witnesses fork
"$V" log witness fork --key log.key --witness "$w1" --witness "$w2" >/dev/null
serve_copy fork
attack "forked log (split view)" "inconsistent log"
expect_exit "the monitor catches the fork" 1 "$V" monitor --log "$url" --vkey log.pub --state mon
expect_contains "the monitor names it" "$err" "fork"
expect_exit "the honest witness refuses to cosign the fork" 1 "$V" log witness fork --key log.key --witness "$hw1"

# The witness protocol itself (curl speaks it as any client would).
cp -a L3 grown
printf 'one more\n' >more && "$V" log add grown --key log.key more >/dev/null
code=$( (printf 'old 0\n\n'; cat grown/checkpoint) | curl -s -o body -w '%{http_code}' --data-binary @- "$hw1/add-checkpoint")
[ "$code" = 409 ] && [ "$(cat body)" = 9 ] && ok "witness: 409 with the known size" || not_ok "witness: 409 with the known size" "$code $(cat body)"
code=$( (printf 'old 9\n%s\n\n' "$(head -c 32 /dev/zero | base64)"; cat grown/checkpoint) | curl -s -o body -w '%{http_code}' --data-binary @- "$hw1/add-checkpoint")
[ "$code" = 422 ] && ok "witness: 422 on a bad consistency proof" || not_ok "witness: 422 on a bad consistency proof" "$code"
code=$( (printf 'old 10\n\n'; cat grown/checkpoint) | curl -s -o body -w '%{http_code}' --data-binary @- "$hw1/add-checkpoint")
[ "$code" = 409 ] && [ "$(cat body)" = 9 ] && ok "witness: a rejected request did not move its state" || not_ok "witness: a rejected request did not move its state" "$code"
code=$( (printf 'old 9\n\n'; LC_ALL=C awk 'NR > 1 && /^\xe2\x80\x94 example/ { c = substr($0, 41, 1); $0 = substr($0, 1, 40) (c == "A" ? "B" : "A") substr($0, 42) } { print }' grown/checkpoint) | curl -s -o body -w '%{http_code}' --data-binary @- "$hw1/add-checkpoint")
[ "$code" = 403 ] && ok "witness: 403 without the log's signature" || not_ok "witness: 403 without the log's signature" "$code"
"$V" keygen other.example/log -o other >/dev/null && "$V" log init other-log --origin other.example/log --key other.key >/dev/null
code=$( (printf 'old 0\n\n'; cat other-log/checkpoint) | curl -s -o body -w '%{http_code}' --data-binary @- "$hw1/add-checkpoint")
[ "$code" = 404 ] && ok "witness: 404 for a log it does not know" || not_ok "witness: 404 for a log it does not know" "$code"

# Check-and-store is atomic: concurrent first submissions to two witness processes sharing one
# database get exactly one cosignature; every other request sees the stored size (409).
start race-a "$V" witness serve --db "$work/race.db" --key w1.key --listen 127.0.0.1:0 --log-vkey log.pub; ra=http://127.0.0.1:$port
start race-b "$V" witness serve --db "$work/race.db" --key w1.key --listen 127.0.0.1:0 --log-vkey log.pub; rb=http://127.0.0.1:$port
(printf 'old 0\n\n'; cat grown/checkpoint) >race-body
cpids=()
for i in 1 2 3 4 5 6 7 8; do
  target=$ra; [ $((i % 2)) = 0 ] && target=$rb
  curl -s -o /dev/null -w '%{http_code}\n' --data-binary @race-body "$target/add-checkpoint" >"race-$i" &
  cpids+=($!)
done
wait "${cpids[@]}"
[ "$(cat race-? | grep -c '^200$')" = 1 ] && [ "$(cat race-? | grep -c '^409$')" = 7 ] &&
  ok "witness: one of 8 concurrent submissions is cosigned, 7 get 409" ||
  not_ok "witness: one of 8 concurrent submissions is cosigned, 7 get 409" "$(cat race-?)"

# A checkpoint without the quorum: only one witness cosigned.
cp -a L3 onew
"$V" publish --log onew --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
start_witnesses onew
"$V" log witness onew --key log.key --witness "$w1" >/dev/null
serve_copy onew
attack "no witness quorum" "witness quorum"

# A frozen checkpoint: honest, but older than --max-age.
serve_copy L3
sleep 2
attack "frozen checkpoint" "stale checkpoint" --max-age 1s

# After all that, the honest update still works.
expect_exit "the honest update installs serial 3" 0 "$V" update --from "$url" --policy policy --state st
expect_contains "serial 3" "$out" "serial 3"
expect_exit "and scanning names the new entry" 1 "$V" scan --state st demo
expect_contains "log index 6" "$out" "(log 6, sha256"
# Tampering with the installed ruleset is caught when scanning.
sed -i 's/EICAR/EICAX/' st/"$(cat st/current)"/6.entry
expect_exit "a tampered installed entry is refused by scan" 2 "$V" scan --state st demo
expect_exit "and by verify-installed" 1 "$V" verify-installed --state st
sed -i 's/EICAX/EICAR/' st/"$(cat st/current)"/6.entry
expect_exit "restored, it verifies again" 0 "$V" verify-installed --state st
rm st/"$(cat st/current)"/7.proof
expect_exit "a missing installed proof fails verify-installed" 1 "$V" verify-installed --state st
expect_contains "as damage, not as nothing installed" "$err" "does not verify"
finish
