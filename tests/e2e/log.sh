#!/usr/bin/env bash
# log.sh: the `vitrine keygen` and `vitrine log` commands end to end: keys, init, add (files and
# standard input), get, prove and verify-proof, consistency, verify of our log and of the Tessera
# test log, which must fail after a change of one byte in any of its files; refusals (key inside
# the log, second writer, bad arguments).
. "$(dirname "$0")/lib.sh"

tessera=$VITRINE_SHARED/reference/vectors/tessera-testdata-log
tessera_vkey=$(sed -n 's/.*public key \([^ ;]*\).*/\1/p' "$tessera/SOURCE.txt")

expect_exit "keygen writes a key pair" 0 "$VITRINE" keygen example.com/rules -o "$work/rules"
expect_contains "keygen prints the verifier key" "$out" "example.com/rules+"
[ "$(stat -c %a "$work/rules.key")" = 600 ] && ok "private key has mode 0600" || not_ok "private key has mode 0600"
grep -q '^PRIVATE+KEY+example.com/rules+[0-9a-f]\{8\}+' "$work/rules.key" && ok "private key in Go's format" || not_ok "private key in Go's format"
[ "$(cat "$work/rules.pub")" = "$out" ] && ok "PREFIX.pub holds the verifier key" || not_ok "PREFIX.pub holds the verifier key"
expect_exit "keygen refuses to overwrite a key" 2 "$VITRINE" keygen example.com/rules -o "$work/rules"
expect_exit "keygen refuses a bad name" 2 "$VITRINE" keygen "bad name" -o "$work/bad"

log=$work/log
expect_exit "init creates a log" 0 "$VITRINE" log init "$log" --origin example.com/rules --key "$work/rules.key"
expect_exit "init refuses a non-empty directory" 2 "$VITRINE" log init "$log" --origin example.com/rules --key "$work/rules.key"
expect_exit "init refuses an origin that is not the key name" 2 "$VITRINE" log init "$work/log2" --origin other --key "$work/rules.key"
expect_exit "empty log verifies" 0 "$VITRINE" log verify "$log" --vkey "$work/rules.pub"

for i in 1 2 3; do printf 'rule r%s { condition: true }\n' "$i" > "$work/r$i.yar"; done
expect_exit "add appends files" 0 "$VITRINE" log add "$log" --key "$work/rules.key" "$work/r1.yar" "$work/r2.yar"
[ "$out" = "$(printf '0\n1')" ] && ok "add prints each index" || not_ok "add prints each index" "$out"
printf 'from stdin' > "$work/stdin.txt"
expect_exit "add reads standard input" 0 "$VITRINE" log add "$log" --key "$work/rules.key" - < "$work/stdin.txt"
[ "$out" = 2 ] && ok "stdin entry gets index 2" || not_ok "stdin entry gets index 2" "$out"
for i in $(seq 4 40); do printf 'entry %s' "$i" > "$work/e$i"; done
expect_exit "add appends a batch" 0 "$VITRINE" log add "$log" --key "$work/rules.key" "$work/r3.yar" "$work"/e{4..40}
expect_exit "log verifies" 0 "$VITRINE" log verify "$log" --vkey "$work/rules.pub"
expect_contains "verify reports the size" "$out" "41 entries"
expect_exit "get returns an entry" 0 "$VITRINE" log get "$log" 2
[ "$out" = "from stdin" ] && ok "get returns the right bytes" || not_ok "get returns the right bytes" "$out"

cp "$work/rules.key" "$log/inside.key"
expect_exit "add refuses a key inside the log" 2 "$VITRINE" log add "$log" --key "$log/inside.key" "$work/r1.yar"
expect_contains "the refusal says why" "$err" "inside the log directory"
rm "$log/inside.key"
head -c 70000 /dev/zero > "$work/big"
expect_exit "add refuses an entry over 64 KiB" 2 "$VITRINE" log add "$log" --key "$work/rules.key" "$work/big"
expect_exit "add of a missing file fails and adds nothing" 2 "$VITRINE" log add "$log" --key "$work/rules.key" "$work/r1.yar" "$work/missing"
"$VITRINE" log verify "$log" --vkey "$work/rules.pub" > "$work/v" 2>&1
expect_contains "nothing was added" "$(cat "$work/v")" "41 entries"

# A second writer is refused while the first holds the lock.
# (another process holds it until the test says so, at most 30 s)
flock "$log/.vitrine-writer.lock" bash -c 'for _ in $(seq 600); do [ -e "$1" ] && break; sleep 0.05; done' _ "$work/release" &
locker=$!
for _ in $(seq 1 200); do flock -n "$log/.vitrine-writer.lock" true || break; sleep 0.05; done
expect_exit "a second writer is refused" 2 "$VITRINE" log add "$log" --key "$work/rules.key" "$work/r1.yar"
expect_contains "the refusal names the other writer" "$err" "another writer"
touch "$work/release"
wait $locker

expect_exit "prove prints a tlog-proof" 0 "$VITRINE" log prove "$log" 2
printf '%s\n' "$out" > "$work/p2.tlog-proof"
expect_contains "proof has the tlog-proof header" "$out" "c2sp.org/tlog-proof@v1"
expect_contains "proof has the index" "$out" "index 2"
expect_exit "verify-proof accepts the entry" 0 "$VITRINE" log verify-proof --vkey "$work/rules.pub" "$work/p2.tlog-proof" "$work/stdin.txt"
expect_exit "verify-proof rejects another entry" 1 "$VITRINE" log verify-proof --vkey "$work/rules.pub" "$work/p2.tlog-proof" "$work/r1.yar"
"$VITRINE" keygen example.com/rules -o "$work/other" >/dev/null
expect_exit "verify-proof rejects another key" 1 "$VITRINE" log verify-proof --vkey "$work/other.pub" "$work/p2.tlog-proof" "$work/stdin.txt"
sed 's/^index 2$/index 3/' "$work/p2.tlog-proof" > "$work/p3.tlog-proof"
expect_exit "verify-proof rejects a changed index" 1 "$VITRINE" log verify-proof --vkey "$work/rules.pub" "$work/p3.tlog-proof" "$work/stdin.txt"
expect_exit "prove refuses an index beyond the log" 2 "$VITRINE" log prove "$log" 41

cp "$log/checkpoint" "$work/checkpoint.41"
expect_exit "add more" 0 "$VITRINE" log add "$log" --key "$work/rules.key" "$work"/e{4..9}
expect_exit "prove against an older signed checkpoint" 0 "$VITRINE" log prove "$log" 40 --size 41 --checkpoint "$work/checkpoint.41"
printf '%s\n' "$out" > "$work/p40.tlog-proof"
expect_exit "the older proof verifies" 0 "$VITRINE" log verify-proof --vkey "$work/rules.pub" "$work/p40.tlog-proof" "$work/e40"
expect_exit "prove --size without that checkpoint fails" 2 "$VITRINE" log prove "$log" 1 --size 20
expect_exit "consistency proof" 0 "$VITRINE" log consistency "$log" 41 47
[ "$(echo "$out" | wc -l)" -ge 1 ] && ok "consistency prints hashes" || not_ok "consistency prints hashes" "$out"
expect_exit "consistency refuses OLD > NEW" 2 "$VITRINE" log consistency "$log" 5 3

# The Tessera test log, and one changed byte in any of its files.
expect_exit "verify accepts the Tessera test log" 0 "$VITRINE" log verify "$tessera/log" --vkey "$tessera_vkey"
expect_contains "Tessera log has 15 entries" "$out" "15 entries"
cp -r "$tessera/log" "$work/tessera"
rejected=0 files=0
while IFS= read -r f; do
  files=$((files + 1))
  size=$(stat -c %s "$f")
  at=$(( RANDOM % size ))
  cp "$f" "$work/orig"
  byte=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
  printf "$(printf '\\%03o' $(( (byte + 1 + RANDOM % 255) % 256 )))" | dd of="$f" bs=1 seek="$at" conv=notrunc status=none
  if "$VITRINE" log verify "$work/tessera" --vkey "$tessera_vkey" >/dev/null 2>&1; then
    not_ok "changed byte $at of ${f#$work/} is detected"
  else
    rejected=$((rejected + 1))
  fi
  cp "$work/orig" "$f"
done < <(find "$work/tessera" -type f | sort)
[ "$files" -ge 40 ] && [ "$rejected" -eq "$files" ] && ok "verify rejects a changed byte in each of $files files" \
  || not_ok "verify rejects a changed byte in each file" "$rejected of $files rejected"
expect_exit "the restored copy verifies" 0 "$VITRINE" log verify "$work/tessera" --vkey "$tessera_vkey"
expect_exit "verify with the wrong key fails" 1 "$VITRINE" log verify "$tessera/log" --vkey "$work/rules.pub"

# The cosigned tlog-proof vector, with tlog-policy quorums.
vectors=$VITRINE_SHARED/reference/vectors/cosignature
printf 'seven' > "$work/seven"
expect_exit "verify-proof accepts the cosigned vector" 0 "$VITRINE" log verify-proof --vkey "$tessera_vkey" "$vectors/entry6.tlog-proof" "$work/seven"
expect_exit "keygen makes a witness key" 0 "$VITRINE" keygen witness.example/w2 -o "$work/w2" --witness
printf 'log %s\nwitness w1 %s\nquorum w1\n' "$tessera_vkey" "$(cat "$vectors/witness.vkey")" > "$work/one.policy"
expect_exit "a 1-of-1 policy is met by the witness's cosignature" 0 "$VITRINE" log verify-proof --policy "$work/one.policy" "$vectors/entry6.tlog-proof" "$work/seven"
printf 'log %s\nwitness w1 %s\nwitness w2 %s\ngroup both all w1 w2\nquorum both\n' "$tessera_vkey" "$(cat "$vectors/witness.vkey")" "$(cat "$work/w2.pub")" > "$work/two.policy"
expect_exit "a 2-of-2 policy is not met by one cosignature" 1 "$VITRINE" log verify-proof --policy "$work/two.policy" "$vectors/entry6.tlog-proof" "$work/seven"
printf 'log %s\nquorum nobody\n' "$tessera_vkey" > "$work/bad.policy"
expect_exit "a malformed policy is an error" 2 "$VITRINE" log verify-proof --policy "$work/bad.policy" "$vectors/entry6.tlog-proof" "$work/seven"
expect_contains "the policy error has a line number" "$err" "bad.policy:2"

expect_exit "unknown verb" 2 "$VITRINE" log frobnicate
expect_exit "verify needs --vkey" 2 "$VITRINE" log verify "$log"
expect_exit "bad index" 2 "$VITRINE" log prove "$log" 01x
finish
