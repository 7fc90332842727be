#!/usr/bin/env bash
# log_go.sh: interoperability with Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
# golang-golang-x-mod-dev, built offline). Go verifies vitrine's checkpoint signature, every
# inclusion proof and a consistency proof through tlog.TileHashReader over the log directory,
# and vitrine's own tlog-proof and consistency output; vitrine uses a key made by Go, and
# verifies a checkpoint signed by Go's note package.
. "$(dirname "$0")/lib.sh"

src=$VITRINE_SOURCE_ROOT/tests/go/interop
go_bin=$work/interop
( cd "$src" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off GOENV=off \
    GOCACHE="$work/gocache" HOME="$work" go build -o "$go_bin" . ) >"$work/gobuild" 2>&1
if [ -x "$go_bin" ]; then ok "Go program builds offline against x/mod"; else
  not_ok "Go program builds offline against x/mod" "$(cat "$work/gobuild")"; finish; fi

log=$work/log
"$VITRINE" keygen example.com/rules -o "$work/rules" >/dev/null
"$VITRINE" log init "$log" --origin example.com/rules --key "$work/rules.key" >/dev/null
for i in $(seq 0 299); do printf 'entry number %s\n' "$i" > "$work/e$i"; done
"$VITRINE" log add "$log" --key "$work/rules.key" "$work"/e{0..99} >/dev/null
cp "$log/checkpoint" "$work/checkpoint.100"
"$VITRINE" log add "$log" --key "$work/rules.key" "$work"/e{100..199} >/dev/null
"$VITRINE" log add "$log" --key "$work/rules.key" "$work"/e{200..299} >/dev/null
expect_exit "vitrine log verify" 0 "$VITRINE" log verify "$log" --vkey "$work/rules.pub"
"$VITRINE" log prove "$log" 123 > "$work/p123.tlog-proof"
"$VITRINE" log consistency "$log" 100 300 > "$work/cons"

expect_exit "Go verifies the checkpoint, all proofs and vitrine's proofs" 0 \
  "$go_bin" check "$log" "$work/rules.pub" "$work/checkpoint.100" "$work/p123.tlog-proof" "$work/e123" "$work/cons"
expect_contains "Go checked 300 entries" "$out" "size 300 verified"
expect_exit "Go rejects vitrine's proof for another entry" 1 \
  "$go_bin" check "$log" "$work/rules.pub" "$work/checkpoint.100" "$work/p123.tlog-proof" "$work/e124" "$work/cons"
cp -r "$log" "$work/bad"
printf 'X' | dd of="$work/bad/tile/0/000" bs=1 seek=40 conv=notrunc status=none
expect_exit "Go rejects a changed tile" 1 \
  "$go_bin" check "$work/bad" "$work/rules.pub" "$work/checkpoint.100" "$work/p123.tlog-proof" "$work/e123" "$work/cons"

# A key made by Go signs a vitrine log; Go verifies it.
expect_exit "Go makes a key pair" 0 "$go_bin" keygen example.com/go-made "$work/go.key" "$work/go.pub"
expect_exit "vitrine inits a log with Go's key" 0 "$VITRINE" log init "$work/log2" --origin example.com/go-made --key "$work/go.key"
expect_exit "vitrine appends with Go's key" 0 "$VITRINE" log add "$work/log2" --key "$work/go.key" "$work"/e{0..9}
cp "$work/log2/checkpoint" "$work/log2.checkpoint.10"
expect_exit "vitrine appends more" 0 "$VITRINE" log add "$work/log2" --key "$work/go.key" "$work"/e{10..20}
"$VITRINE" log prove "$work/log2" 4 > "$work/p4.tlog-proof"
"$VITRINE" log consistency "$work/log2" 10 21 > "$work/cons2"
expect_exit "Go verifies the log signed with its own key" 0 \
  "$go_bin" check "$work/log2" "$work/go.pub" "$work/log2.checkpoint.10" "$work/p4.tlog-proof" "$work/e4" "$work/cons2"

# A checkpoint signed by Go's note package; vitrine verifies it.
"$go_bin" keygen example.com/rules "$work/go-rules.key" "$work/go-rules.pub"
cp -r "$log" "$work/gosigned"
expect_exit "Go signs the checkpoint" 0 "$go_bin" sign "$work/go-rules.key" "$log/checkpoint" "$work/gosigned/checkpoint"
expect_exit "vitrine verifies the Go-signed checkpoint" 0 "$VITRINE" log verify "$work/gosigned" --vkey "$work/go-rules.pub"
expect_exit "... and not with another key" 1 "$VITRINE" log verify "$work/gosigned" --vkey "$work/rules.pub"
sed -i 's/^300$/299/' "$work/gosigned/checkpoint"
expect_exit "vitrine rejects the Go-signed checkpoint once changed" 1 "$VITRINE" log verify "$work/gosigned" --vkey "$work/go-rules.pub"
finish
