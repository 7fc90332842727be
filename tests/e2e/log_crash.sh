#!/usr/bin/env bash
# log_crash.sh: crash safety of the log writer. A writer appends batches in a loop and is killed
# with SIGKILL at a random moment, many times. After every kill the log must verify, and every
# index the writer printed (acknowledged) must hold the entry that was added under it; the next
# writer must recover and continue.
. "$(dirname "$0")/lib.sh"

rounds=${VITRINE_CRASH_ROUNDS:-50}
log=$work/log
"$VITRINE" keygen example.com/crash -o "$work/key" >/dev/null
"$VITRINE" log init "$log" --origin example.com/crash --key "$work/key.key" >/dev/null
mkdir -p "$work/acks" "$work/entries"
# Kill within a few times the duration of one append, so kills land at every stage of it (this
# build may be a sanitizer build, several times slower).
printf 'first' > "$work/first"
start=$(date +%s%N)
"$VITRINE" log add "$log" --key "$work/key.key" "$work/first" >/dev/null
append_ms=$(( ($(date +%s%N) - start) / 1000000 ))
window=$(( append_ms * 3 + 10 ))
echo "# one append takes ${append_ms} ms; kills come 5 to $((window + 5)) ms after each start"

content() { printf 'crash test round %s batch %s entry %s\n' "$1" "$2" "$3"; }
# entries_in FILE: sets $size to the entry count a `log verify` output names (read in the shell,
# as is the rest of each round's bookkeeping, so that a round starts no process but vitrine's).
entries_in() {
  local line
  size=""
  while IFS= read -r line; do [[ $line =~ :\ ([0-9]*)\ entries ]] && size=${BASH_REMATCH[1]}; done <"$1"
}

failures=0 acked_total=0 killed_mid=0
for round in $(seq 1 "$rounds"); do
  # The writer: batches of 1 to 7 entries until killed. Each batch's acknowledgements go to
  # their own file, so an index maps back to the entry that was added.
  setsid bash -c '
    round=$1 vitrine=$2 log=$3 key=$4 work=$5
    for batch in $(seq 1 1000); do
      n=$(( (batch * 7 + round) % 7 + 1 ))
      files=()
      for j in $(seq 0 $((n - 1))); do
        f=$work/entries/$round.$batch.$j
        printf "crash test round %s batch %s entry %s\n" "$round" "$batch" "$j" > "$f"
        files+=("$f")
      done
      "$vitrine" log add "$log" --key "$key" "${files[@]}" >> "$work/acks/$round.$batch" 2>/dev/null || exit 0
    done' _ "$round" "$VITRINE" "$log" "$work/key.key" "$work" &
  writer=$!
  delay=$(( RANDOM % window + 5 ))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  # The group, and the process itself in case it was killed before setsid made the group.
  kill -KILL -- -"$writer" 2>/dev/null
  kill -KILL "$writer" 2>/dev/null
  wait "$writer" 2>/dev/null
  # An append started just before could have escaped the group kill: let it finish.
  flock "$log/.vitrine-writer.lock" true

  if ! "$VITRINE" log verify "$log" --vkey "$work/key.pub" > "$work/verify.out" 2>&1; then
    failures=$((failures + 1))
    not_ok "log verifies after kill $round" "$(cat "$work/verify.out")"
    continue
  fi
  last="" last_batch=0
  for ack in "$work"/acks/"$round".*; do
    [ -e "$ack" ] && [ "${ack##*.}" -gt "$last_batch" ] && { last=$ack; last_batch=${ack##*.}; }
  done
  [ -n "$last" ] && [ ! -s "$last" ] && killed_mid=$((killed_mid + 1))
  entries_in "$work/verify.out"
  # Every acknowledged index holds its entry: one `log get` of all of this round's indexes,
  # compared with the entries added under them.
  indexes=()
  : > "$work/expected"
  for ack in "$work"/acks/"$round".*; do
    [ -e "$ack" ] || continue
    batch=${ack##*.}
    j=0
    while IFS= read -r index; do
      acked_total=$((acked_total + 1))
      if [ "$index" -ge "$size" ]; then
        failures=$((failures + 1)); not_ok "acknowledged index $index is in the log of size $size"
      fi
      indexes+=("$index")
      content "$round" "$batch" "$j" >> "$work/expected"
      j=$((j + 1))
    done < "$ack"
  done
  if [ ${#indexes[@]} -gt 0 ] && ! "$VITRINE" log get "$log" "${indexes[@]}" | cmp -s - "$work/expected"; then
    failures=$((failures + 1)); not_ok "acknowledged entries of round $round hold what was added" "${indexes[*]}"
  fi
done
[ "$failures" -eq 0 ] && ok "$rounds kills: the log verified after each, all $acked_total acknowledged entries present" \
  || not_ok "$rounds kills: $failures failures"
echo "# $killed_mid of $rounds kills landed inside a log add run (before its acknowledgement)"
final=$(sed -n 's/.*: \([0-9]*\) entries.*/\1/p' "$work/verify.out")
[ "$acked_total" -gt 0 ] && [ "$final" -ge "$acked_total" ] && ok "the log kept growing ($final entries, $acked_total acknowledged)" \
  || not_ok "the log kept growing" "$final entries, $acked_total acknowledged"
# A writer after the last kill recovers and appends.
printf 'after the crashes' > "$work/last"
expect_exit "a new writer continues after the last kill" 0 "$VITRINE" log add "$log" --key "$work/key.key" "$work/last"
expect_exit "and the log verifies" 0 "$VITRINE" log verify "$log" --vkey "$work/key.pub"
finish
