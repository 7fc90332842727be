#!/usr/bin/env bash
# log_serve.sh: `vitrine serve log` serves a log read-only over HTTP with the right caching
# headers and nothing outside the layout; `vitrine log verify URL` verifies it through libcurl,
# `log get` and `log prove` work over HTTP too.
. "$(dirname "$0")/lib.sh"

log=$work/log
"$VITRINE" keygen example.com/rules -o "$work/rules" >/dev/null
"$VITRINE" log init "$log" --origin example.com/rules --key "$work/rules.key" >/dev/null
for i in $(seq 0 299); do printf 'entry %s' "$i" > "$work/e$i"; done
"$VITRINE" log add "$log" --key "$work/rules.key" "$work"/e{0..299} >/dev/null
printf 'secret' > "$log/.hidden"
printf 'note' > "$work/outside"

"$VITRINE" serve log "$log" --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's/^serving .* on port \([0-9]*\)$/\1/p' "$work/serve.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] && ok "server starts on a free port ($port)" || { not_ok "server starts" "$(cat "$work/serve.err")"; kill $server; finish; }
url=http://127.0.0.1:$port

expect_exit "verify over HTTP" 0 "$VITRINE" log verify "$url/" --vkey "$work/rules.pub"
expect_contains "verify over HTTP sees 300 entries" "$out" "300 entries"
expect_exit "get over HTTP" 0 "$VITRINE" log get "$url" 257
[ "$out" = "entry 257" ] && ok "get over HTTP returns the entry" || not_ok "get over HTTP returns the entry" "$out"
expect_exit "prove over HTTP" 0 "$VITRINE" log prove "$url" 5
printf '%s\n' "$out" > "$work/p5"
expect_exit "the proof from HTTP verifies" 0 "$VITRINE" log verify-proof --vkey "$work/rules.pub" "$work/p5" "$work/e5"

header() { curl -s -o /dev/null -D - "$url/$1" | tr -d '\r' | sed -n "s/^$2: //Ip"; }
status() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$url/$1"; }
[ "$(header tile/0/000 cache-control)" = "public, max-age=31536000, immutable" ] && ok "full tile is immutable" || not_ok "full tile is immutable" "$(header tile/0/000 cache-control)"
[ "$(header tile/entries/000 cache-control)" = "public, max-age=31536000, immutable" ] && ok "full bundle is immutable" || not_ok "full bundle is immutable"
[ "$(header tile/0/001.p/44 cache-control)" = "public, max-age=5" ] && ok "partial tile is short-lived" || not_ok "partial tile is short-lived" "$(header tile/0/001.p/44 cache-control)"
[ "$(header checkpoint cache-control)" = "no-cache" ] && ok "checkpoint is not cached" || not_ok "checkpoint is not cached"
cmp -s <(curl -s "$url/tile/entries/001.p/44") "$log/tile/entries/001.p/44" && ok "bundle bytes are served unchanged" || not_ok "bundle bytes are served unchanged"
for bad in .hidden .vitrine-writer.lock ../outside tile/../checkpoint tile/0/../../../outside \
           tile/0/0 tile/0/000.p/0 tile/0/000.p/256 tile/0/000.p/044 tile/0/x000 tile/entries/000/ \
           checkpoint.1 tile/64/000 tile/0/000.p tile/0/001.p/45 '%2e%2e/outside' nonexistent; do
  [ "$(status "$bad")" = 404 ] && ok "404 for $bad" || not_ok "404 for $bad" "got $(status "$bad")"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/checkpoint")" = 405 ] && ok "POST is refused" || not_ok "POST is refused"
# Keep-alive: a client fetching many tiles (the transparency center's page) reuses its
# connection; libmicrohttpd closes it after an answer given in the first call of a request.
reuse=$(curl -sv -o /dev/null -o /dev/null "$url/tile/0/000" "$url/nonexistent" 2>&1)
grep -q "Re-using existing connection" <<<"$reuse" && ! grep -qi "^< connection: close" <<<"$reuse" \
  && ok "two requests share one connection (200 then 404)" \
  || not_ok "two requests share one connection" "$(grep -i 'connection' <<<"$reuse")"

# A tampered tile on the server is caught by the client.
cp "$log/tile/0/000" "$work/tile.orig"
printf 'X' | dd of="$log/tile/0/000" bs=1 seek=7 conv=notrunc status=none
expect_exit "verify over HTTP catches a changed tile" 1 "$VITRINE" log verify "$url/" --vkey "$work/rules.pub"
cp "$work/tile.orig" "$log/tile/0/000"

# A hostile server cannot make the client read without bound: oversized files are refused.
cp "$log/checkpoint" "$work/checkpoint.orig"
head -c 100000 /dev/zero | tr '\0' 'a' > "$log/checkpoint"
expect_exit "an oversized checkpoint is refused" 1 "$VITRINE" log verify "$url/" --vkey "$work/rules.pub"
expect_contains "... as over the limit" "$err" "limit"
cp "$work/checkpoint.orig" "$log/checkpoint"
head -c 9000 /dev/zero >> "$log/tile/0/000"
expect_exit "an oversized tile is refused" 1 "$VITRINE" log verify "$url/" --vkey "$work/rules.pub"
expect_contains "... as over the limit" "$err" "limit"
cp "$work/tile.orig" "$log/tile/0/000"
expect_exit "the restored log verifies again" 0 "$VITRINE" log verify "$url/" --vkey "$work/rules.pub"

kill -TERM $server
wait $server
[ $? -eq 0 ] && ok "server exits 0 on SIGTERM" || not_ok "server exits 0 on SIGTERM"
expect_exit "verify of a closed server fails with an error" 2 "$VITRINE" log verify "$url/" --vkey "$work/rules.pub"
expect_exit "serve needs --listen" 2 "$VITRINE" serve log "$log"
expect_exit "serve refuses an unknown service" 2 "$VITRINE" serve frobnicate
finish
