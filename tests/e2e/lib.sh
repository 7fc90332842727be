# lib.sh: helpers for end-to-end tests, which run the built `vitrine` on files they create in a
# temporary directory and print TAP. Source it, call `check NAME COMMAND...` or the expect_*
# helpers, and end with `finish`.
set -u
: "${VITRINE:?VITRINE must name the vitrine binary}"
: "${VITRINE_SHARED:?VITRINE_SHARED must name the ../shared directory}"
work=$(mktemp -d /tmp/vitrine-e2e.XXXXXX)
# Servers a test starts (start, below) are killed when it exits, before $work is removed.
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# start NAME COMMAND...: run a server in the background that prints "... on port N"; sets $port
# and $spid (its pid, also killed at exit). Waits at most 10 s.
start() {
  local name=$1; shift
  # emptied first, here: a server started again under the same name must not be taken for the
  # one before it, whose port the file still names until the new process has opened it
  : >"$work/$name.out"
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  spid=$!
  pids+=($spid)
  for _ in $(seq 200); do
    port=$(sed -n 's/.* on port \([0-9]*\)$/\1/p' "$work/$name.out" 2>/dev/null)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "# $name did not start: $(cat "$work/$name.err")"; return 1
}
tap_number=0
tap_failed=0

ok() { tap_number=$((tap_number + 1)); echo "ok $tap_number - $1"; }
not_ok() {
  tap_number=$((tap_number + 1)); tap_failed=1
  echo "not ok $tap_number - $1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
  return 0
}

# expect_exit NAME STATUS COMMAND...: the command exits with STATUS; its output is in $out/$err.
expect_exit() {
  local name=$1 want=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  out=$(cat "$work/out") err=$(cat "$work/err")
  if [ "$got" -eq "$want" ]; then ok "$name"; else
    not_ok "$name" "exit $got, wanted $want: $*" "stdout: $out" "stderr: $err"; fi
}

# expect_contains NAME TEXT NEEDLE: TEXT contains NEEDLE.
expect_contains() {
  case "$2" in
    *"$3"*) ok "$1" ;;
    *) not_ok "$1" "expected to find: $3" "in: $2" ;;
  esac
}

finish() { echo "1..$tap_number"; exit $tap_failed; }
