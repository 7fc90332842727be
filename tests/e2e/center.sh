#!/usr/bin/env bash
# center.sh: the transparency center in a real browser (Debian's chromium, headless, driven over
# the DevTools protocol by tests/browser/center_test.py). Sets up with the project's commands: a
# log with the starter rules and a rule whose comments and strings are HTML (and that hunts for
# a classification marking, so the auditor flags it), cosigned by two
# witnesses (`vitrine witness serve`), its page logged (`vitrine publish --page`), served by
# `vitrine serve center`; a fork of it signed with the same key and cosigned by witnesses shown
# only the fork; the Tessera test log with Go's tlog-proof vector. The browser test checks what
# the page shows and that its verify functions reject every single-bit change (see
# center_test.py); screenshots are kept in $VITRINE_BUILD_ROOT/meson-logs/center/.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
start_witnesses() { # PREFIX: sets $w1 and $w2 to their URLs
  start "$1-w1" "$V" witness serve --db "$work/$1-w1.db" --key w1.key --listen 127.0.0.1:0 --log-vkey log.pub; w1=http://127.0.0.1:$port
  start "$1-w2" "$V" witness serve --db "$work/$1-w2.db" --key w2.key --listen 127.0.0.1:0 --log-vkey log.pub; w2=http://127.0.0.1:$port
}

"$V" keygen example.com/rules -o log >/dev/null
"$V" keygen --witness w1.example/w -o w1 >/dev/null
"$V" keygen --witness w2.example/w -o w2 >/dev/null
printf 'log %s\nwitness w1 %s\nwitness w2 %s\ngroup both all w1 w2\nquorum both\n' \
  "$(cat log.pub)" "$(cat w1.pub)" "$(cat w2.pub)" >policy
"$V" log init L --origin example.com/rules --key log.key >/dev/null
start_witnesses honest
hw1=$w1 hw2=$w2
cat >html.yar <<'EOF'
// <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">
rule Html_In_Rule : test
{
    strings:
        $a = "</pre><img src=x onerror=\"window.pwned = 3\">"
        $b = "TOP SECRET" nocase wide
    condition:
        any of them
}
EOF
expect_exit "publish the starter rules" 0 "$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/*.yar
cp -a L L1
expect_exit "publish a rule whose text is HTML" 0 "$V" publish --log L --key log.key html.yar
expect_exit "center build refuses a log without the witness quorum" 1 "$V" center build site --log L --policy policy
expect_contains "and says why" "$err" "quorum"
expect_exit "two witnesses cosign" 0 "$V" log witness L --key log.key --witness "$hw1" --witness "$hw2"
expect_exit "center build" 0 "$V" center build site --log L --policy policy
expect_exit "the page files are logged" 0 "$V" publish --log L --key log.key --page site
expect_contains "publish --page names the entry" "$out" "page 6 (3 files)"
expect_exit "witnesses cosign again" 0 "$V" log witness L --key log.key --witness "$hw1" --witness "$hw2"
expect_exit "center build again" 0 "$V" center build site --log L --policy policy
expect_exit "log get shows the page entry" 0 "$V" log get L 6
[ "$(sha256sum site/center.js | cut -c1-64)" = "$(sed -n 's/^file center.js //p' <<<"$out")" ] &&
  ok "the page entry holds center.js as built" || not_ok "the page entry holds center.js as built"
expect_contains "the feed lists the rule" "$(cat site/feed.json)" '"kind":"rule","name":"html.yar"'
expect_contains "the feed has the auditor's verdict on it" "$(cat site/feed.json)" '"audit":{"verdict":"flagged","findings":[{"id":"AUD-MARKING-001"'
# The same center built from the log over HTTP (`vitrine serve log`) is the same bytes.
start logsrv "$V" serve log "$work/L" --listen 127.0.0.1:0
expect_exit "center build from an http:// log" 0 "$V" center build site-http --log "http://127.0.0.1:$port/" --policy policy
"$V" center build site-dir --log L --policy policy >/dev/null
diff -r site-dir site-http >/dev/null && ok "it is identical to a build from the directory" ||
  not_ok "it is identical to a build from the directory" "$(diff -r site-dir site-http | head -5)"
"$V" keygen example.com/rules -o other >/dev/null
expect_exit "center build refuses a log signed by another key of the same name" 1 "$V" center build site-other --log L --vkey other.pub
expect_contains "and says so" "$err" "signature"
# A copy of the built page with one changed byte in its style sheet, hosted by a plain web server.
cp -a site tampered && printf '/* changed */\n' >>tampered/center.css

# The fork: L1 plus other entries, signed with the same key, cosigned by witnesses shown only it.
cp -a L1 fork
"$V" publish --log fork --key log.key --reason "only for you" "$VITRINE_SOURCE_ROOT/rules/starter/scripts.yar" \
  "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" html.yar >/dev/null
start_witnesses fork
expect_exit "fresh witnesses cosign the fork" 0 "$V" log witness fork --key log.key --witness "$w1" --witness "$w2"

# An older, smaller tree of L (a prefix), cosigned by witnesses that never saw L: a rollback.
cp -a L1 rollback
start_witnesses rollback
expect_exit "fresh witnesses cosign the older tree" 0 "$V" log witness rollback --key log.key --witness "$w1" --witness "$w2"

# A log of 300 entries (a full level-0 tile, a level-1 tile) for the full-tile bit flips.
"$V" log init big --origin example.com/rules --key log.key >/dev/null
mkdir many && for i in $(seq 300); do printf 'entry %d\n' "$i" >many/$i; done
expect_exit "a log of 300 entries" 0 "$V" log add big --key log.key many/*
start big "$V" serve center --log "$work/big" --vkey log.pub --listen 127.0.0.1:0 --refresh 0
big_url=http://127.0.0.1:$port/

# A log of 4,400 entries: one pack (pack/0: tiles 0-15 and their bundles) and a partial tile.
"$V" log init packed --origin example.com/rules --key log.key >/dev/null
mkdir more && for i in $(seq 4400); do printf 'entry %d\n' "$i" >more/$i; done
expect_exit "a log of 4,400 entries" 0 "$V" log add packed --key log.key more/*
start packed "$V" serve center --log "$work/packed" --vkey log.pub --listen 127.0.0.1:0 --refresh 0
packed_url=http://127.0.0.1:$port/
[ "$(curl -s -o /dev/null -w '%{http_code}' "${packed_url}pack/0")" = 200 ] && ok "pack/0 is served" || not_ok "pack/0 is served"
# Entries of 600 bytes: a pack would be 2.6 MB, more than its 32 fetches are worth: none written.
"$V" log init wide --origin example.com/rules --key log.key >/dev/null
mkdir wide-entries && for i in $(seq 4100); do printf '%0600d' "$i" >wide-entries/$i; done
expect_exit "a log of 4,100 entries of 600 bytes" 0 "$V" log add wide --key log.key wide-entries/*
expect_exit "center build of it" 0 "$V" center build site-wide --log wide --vkey log.pub
[ -s site-wide/log/tile/entries/015 ] && [ ! -e site-wide/pack/0 ] &&
  ok "no pack is written above 2 MiB" || not_ok "no pack is written above 2 MiB" "$(ls -l site-wide/pack 2>&1)"
for path in pack/1 pack/00 pack/-1 pack/ pack/0x; do
  [ "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$packed_url$path")" = 404 ] && ok "$path is not served" ||
    not_ok "$path is not served"
done

ln -s L current
start center "$V" serve center --log "$work/current" --policy policy --listen 127.0.0.1:0 --refresh 1
center_url=http://127.0.0.1:$port/
# serve center answers only the page's files and the log copy's tlog-tiles paths.
headers=$(curl -sS -D - -o /dev/null "$center_url")
expect_contains "/ is the page" "$headers" "200 OK"
expect_contains "with its Content-Security-Policy as a header" "$headers" "Content-Security-Policy: default-src 'none'; script-src 'self'"
for path in log/checkpoint log/tile/0/000.p/7 feed.json center.js; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$center_url$path")" = 200 ] && ok "$path is served" || not_ok "$path is served"
done
for path in policy log/../feed.json log/.vitrine-writer.lock log/tile/0/000.p/0 log/checkpoint.tmp index.htm ../L/checkpoint; do
  [ "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$center_url$path")" = 404 ] && ok "$path is not served" ||
    not_ok "$path is not served"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$center_url")" = 405 ] && ok "POST is refused" || not_ok "POST is refused"
tessera=$VITRINE_SHARED/reference/vectors/tessera-testdata-log/log
tessera_key=$(sed -n 's/.*public key \([^;]*\);.*/\1/p' "$tessera/../SOURCE.txt")
start tessera "$V" serve center --log "$tessera" --vkey "$tessera_key" --listen 127.0.0.1:0 --refresh 0
tessera_url=http://127.0.0.1:$port/
/usr/bin/python3 -u -m http.server --bind 127.0.0.1 --directory tampered 0 >tampered.out 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  tampered_port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' tampered.out | head -1)
  [ -n "$tampered_port" ] && break; sleep 0.1
done

shots=$VITRINE_BUILD_ROOT/meson-logs/center
mkdir -p "$shots"
while IFS= read -r line; do
  case "$line" in
    "PASS "*) ok "${line#PASS }" ;;
    "FAIL "*) not_ok "${line#FAIL }" ;;
    "EXIT 0") ;;
    "EXIT "*) not_ok "the browser test ran to its end ($line)" ;;
    *) echo "# $line" ;;
  esac
done < <(/usr/bin/python3 "$VITRINE_SOURCE_ROOT/tests/browser/center_test.py" \
  --center "$center_url" --switch "$work/current" --fork "$work/fork" \
  --honest "$work/L" --rollback "$work/rollback" \
  --tessera "$tessera_url" --big "$big_url" --packed "$packed_url" --tampered "http://127.0.0.1:$tampered_port/" \
  --vectors "$VITRINE_SHARED/reference/vectors" --tessera-key "$tessera_key" \
  --shots "$shots" 2>&1; echo "EXIT $?")
finish
