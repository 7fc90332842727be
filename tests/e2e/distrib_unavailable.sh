#!/usr/bin/env bash
# distrib_unavailable.sh: a fetch that fails is "unavailable" (exit 2), never an attack (exit 1).
# A misbehaving HTTP server on 127.0.0.1 (tests/e2e/misbehave.py: HTTP 500, a redirect, a
# truncated, an oversized and a dripping body) and a refused connection, for both `vitrine update`
# and `vitrine monitor`, once on the checkpoint and once on the tiles a consistency proof needs
# (where update used to report "inconsistent log"); the monitor with the log server stopped; the
# overall --deadline bounding a dripping server; and a corrupt installed ruleset, which update
# refuses (exit 2) instead of skipping the rollback check.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
installed_state() { (cd st && cat current && sha256sum "$(cat current)"/* trusted-checkpoint); }

"$V" keygen example.com/rules -o log >/dev/null
printf 'log %s\nquorum none\n' "$(cat log.pub)" >policy
"$V" log init L --origin example.com/rules --key log.key >/dev/null
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
expect_exit "the first update from the directory installs serial 1" 0 \
  "$V" update --from L --policy policy --state st
expect_exit "the monitor sees the first checkpoint" 0 "$V" monitor --log L --vkey log.pub --state mon
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" \
  "$VITRINE_SOURCE_ROOT/rules/starter/scripts.yar" >/dev/null
before=$(installed_state)
mon_before=$(cat mon/monitor-checkpoint)

# unavailable NAME URL [DEADLINE]: update and monitor (each given --deadline DEADLINE, default
# 3 s) both exit 2 with "unavailable", nothing changed.
unavailable() {
  local name=$1 url=$2 deadline=${3:-3} t0 t1
  t0=$(date +%s)
  expect_exit "$name: update exits 2" 2 "$V" update --from "$url" --policy policy --state st --deadline "$deadline"
  expect_contains "$name: update says unavailable" "$err" "unavailable: "
  printf '%s\n' "$err" | head -1 | sed 's/^/# /'
  case "$err" in *"inconsistent"*|*"fork"*|*"rollback"*|*"unlogged"*) not_ok "$name: update names no attack" "$err" ;;
    *) ok "$name: update names no attack" ;; esac
  [ "$(installed_state)" = "$before" ] && ok "$name: installed ruleset unchanged" ||
    not_ok "$name: installed ruleset unchanged"
  expect_exit "$name: monitor exits 2" 2 "$V" monitor --log "$url" --vkey log.pub --state mon --deadline "$deadline"
  expect_contains "$name: monitor says unavailable" "$err" "unavailable: "
  printf '%s\n' "$err" | head -1 | sed 's/^/# /'
  case "$err" in *"inconsistent"*|*"fork"*|*"altered"*|*"rollback"*) not_ok "$name: monitor names no attack" "$err" ;;
    *) ok "$name: monitor names no attack" ;; esac
  [ "$(cat mon/monitor-checkpoint)" = "$mon_before" ] && ok "$name: the monitor kept its checkpoint" ||
    not_ok "$name: the monitor kept its checkpoint"
  t1=$(date +%s)
  [ $((t1 - t0)) -le 20 ] && ok "$name: bounded ($((t1 - t0)) s)" || not_ok "$name: bounded" "$((t1 - t0)) s"
}

for prefix in checkpoint tile/; do
  for mode in 500 redirect truncate oversize drip; do
    start "bad-$mode" python3 "$VITRINE_SOURCE_ROOT/tests/e2e/misbehave.py" L "$mode" "$prefix"
    # The dripping server is cut by the deadline: 1 s is enough to show it (one byte per 0.5 s).
    unavailable "$mode on $prefix" "http://127.0.0.1:$port/" "$([ "$mode" = drip ] && echo 1 || echo 3)"
    case "$mode" in
      500) expect_contains "500 on $prefix: the status is named" "$err" "HTTP status 500" ;;
      redirect) expect_contains "redirect on $prefix: named as not followed" "$err" "redirects are not followed" ;;
      truncate) expect_contains "truncate on $prefix: named as truncated" "$err" "truncated" ;;
      oversize) expect_contains "oversize on $prefix: named as too large" "$err" "larger than the limit" ;;
      drip) expect_contains "drip on $prefix: the deadline is named" "$err" "deadline" ;;
    esac
    stop "$spid"
  done
done

# A refused connection: a server that was stopped.
start gone python3 "$VITRINE_SOURCE_ROOT/tests/e2e/misbehave.py" L ok x
stop "$spid"
unavailable "refused connection" "http://127.0.0.1:$port/"

# The real log server, stopped between two monitor runs: unavailable, not a fork.
mkdir served && cp -a L/. served/
start logsrv "$V" serve log "$work/served" --listen 127.0.0.1:0; logurl=http://127.0.0.1:$port/
expect_exit "the monitor follows the served log" 0 "$V" monitor --log "$logurl" --vkey log.pub --state mon2
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
cp -a L/. served/
stop "$spid"
expect_exit "log server stopped: the monitor exits 2" 2 "$V" monitor --log "$logurl" --vkey log.pub --state mon2
expect_contains "log server stopped: unavailable" "$err" "unavailable: "
case "$err" in *fork*|*inconsistent*) not_ok "log server stopped: not a fork" "$err" ;; *) ok "log server stopped: not a fork" ;; esac
# With --interval, an unavailable log is said and polled again, not an exit.
timeout 3 "$V" monitor --log "$logurl" --vkey log.pub --state mon2 --interval 1 --deadline 1 >poll.out 2>poll.err
rc=$?
[ "$rc" = 124 ] && ok "--interval: the monitor keeps polling an unavailable log" ||
  not_ok "--interval: the monitor keeps polling an unavailable log" "exit $rc: $(cat poll.err)"
[ "$(grep -c 'unavailable: ' poll.err)" -ge 2 ] && ok "--interval: each failed poll is said" ||
  not_ok "--interval: each failed poll is said" "$(cat poll.err)"
start logsrv2 "$V" serve log "$work/served" --listen 127.0.0.1:0
logurl=http://127.0.0.1:$port/
expect_exit "the log server back (on another port): the monitor goes on" 0 "$V" monitor --log "$logurl" --vkey log.pub --state mon2
expect_contains "and sees the new entries" "$out" "consistent, "
expect_exit "and the update installs serial 3" 0 "$V" update --from "$logurl" --policy policy --state st --deadline 30
expect_contains "serial 3" "$out" "installed ruleset serial 3"

# The honest fork is still evidence through the same paths (exit 1), so "unavailable" hides nothing.
cp -a L forked
"$V" log init F --origin example.com/rules --key log.key >/dev/null
"$V" publish --log F --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/scripts.yar" \
  "$VITRINE_SOURCE_ROOT/rules/starter/executables.yar" "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
"$V" publish --log F --key log.key "$VITRINE_SOURCE_ROOT/rules/starter/scripts.yar" \
  "$VITRINE_SOURCE_ROOT/rules/starter/executables.yar" "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" >/dev/null
expect_exit "a fork of another history is evidence for update (exit 1)" 1 \
  "$V" update --from F --policy policy --state st --deadline 30
expect_contains "named as inconsistent" "$err" "inconsistent log"
expect_exit "and for the monitor (exit 1)" 1 "$V" monitor --log F --vkey log.pub --state mon2
expect_contains "named as a fork" "$err" "fork"

# A corrupt installed ruleset: update refuses (exit 2) rather than skip the rollback check.
before=$(installed_state)
dir=st/$(cat st/current)
cp "$dir/bundle.entry" bundle.saved
printf 'vitrine/bundle-entry/v1\nserial x\n' >"$dir/bundle.entry"
expect_exit "a corrupt installed bundle: update refuses" 2 "$V" update --from L --policy policy --state st
expect_contains "it says the installed ruleset is corrupt" "$err" "installed ruleset in st is corrupt"
expect_contains "and that it refuses" "$err" "refusing to update"
expect_contains "and names the file" "$err" "bundle.entry"
rm "$dir/bundle.entry"
expect_exit "a missing installed bundle: update refuses" 2 "$V" update --from L --policy policy --state st
expect_contains "as corrupt, not as nothing installed" "$err" "is corrupt"
cp bundle.saved "$dir/bundle.entry"
cp st/current current.saved
printf 'ruleset.gone\n' >st/current
expect_exit "current naming a missing directory: update refuses" 2 "$V" update --from L --policy policy --state st
printf '../escape\n' >st/current
expect_exit "current naming a path: update refuses" 2 "$V" update --from L --policy policy --state st
expect_contains "named as not a ruleset directory" "$err" "does not name a ruleset directory"
cp current.saved st/current
[ "$(installed_state)" = "$before" ] && ok "the refusals changed nothing" || not_ok "the refusals changed nothing"
expect_exit "restored, update works again" 0 "$V" update --from L --policy policy --state st
expect_contains "already current" "$out" "already up to date"
# Nothing installed at all is not corrupt: a fresh state directory installs.
expect_exit "a fresh state directory installs" 0 "$V" update --from L --policy policy --state fresh
expect_exit "deadline must be positive" 2 "$V" update --from L --policy policy --state st --deadline 0
finish
