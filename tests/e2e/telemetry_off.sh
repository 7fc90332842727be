#!/usr/bin/env bash
# telemetry_off.sh: with telemetry off (a data policy installed, no consent), a scan of 10,000
# files makes no network system call at all: `strace -f -e trace=network` over `vitrine scan`
# (and every thread it starts) records none, and nothing is queued. With consent, the scan only
# writes its report into the queue directory: still no network system call (sending is
# `vitrine telemetry send`, another program). The log is a directory: no server is involved.
source "$(dirname "$0")/lib.sh"
V=$VITRINE
cd "$work"
"$V" keygen example.com/rules -o log >/dev/null
"$V" log init L --origin example.com/rules --key log.key >/dev/null
"$V" publish --log L --key log.key "$VITRINE_SOURCE_ROOT"/rules/starter/*.yar >/dev/null
cat >policy <<'P'
vitrine/data-policy-entry/v1
serial 1
date 2026-12-05
collector http://127.0.0.1:9
report scan-summary
purpose Count how often each logged rule fires and how long scans take
field detections rule-counts 1 365 2099-12-31 How many files each rule, named by its log index, matched
field engine-version version 1 365 2099-12-31 Which engine version ran the scan
field files-scanned integer 1 365 2099-12-31 How many files the scan looked at
field ruleset-serial integer 1 365 2099-12-31 Which bundle serial the scan used
field scan-duration-ms integer 1 365 2099-12-31 How long the scan took, in milliseconds
P
"$V" publish --log L --key log.key --data-policy policy >/dev/null
printf 'log %s\nquorum none\n' "$(cat log.pub)" >tlog-policy
"$V" update --from L --policy tlog-policy --state st --max-age 0 >/dev/null
[ -s st/telemetry/policy-current ] && ok "a data policy is installed" || not_ok "a data policy is installed"
mkdir -p files
python3 - <<'PY'
for i in range(10000):
    d = "files/%02d" % (i % 100)
    if i < 100:
        import os; os.makedirs(d, exist_ok=True)
    with open("%s/f%05d.txt" % (d, i), "w") as f:
        f.write("file %d\n" % i)
PY
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >files/00/eicar.com

# traced SYSCALLS...: the network system calls of one traced scan ($work/trace)
traced_scan() {
  strace -f --seccomp-bpf -qq -e trace=network -o "$work/trace" "$V" scan --state st -i files >"$work/scan.out" 2>"$work/scan.err"
}
traced_scan; rc=$?
[ $rc = 1 ] && ok "the scan of 10,001 files finds EICAR" || not_ok "scan exit $rc" "$(cat "$work/scan.err")"
expect_contains "and scanned them all" "$(cat "$work/scan.out")" "Scanned files: 10001"
[ -e "$work/trace" ] && [ ! -s "$work/trace" ] && ok "telemetry off: no network system call (strace -f -e trace=network)" \
  || not_ok "network system calls with telemetry off" "$(head -20 "$work/trace")"
[ ! -e st/telemetry/queue ] || [ -z "$(ls st/telemetry/queue)" ] && ok "and nothing queued" || not_ok "nothing queued"
# the probe sees network calls when there are some (so an empty trace means something)
strace -f --seccomp-bpf -qq -e trace=network -o "$work/trace2" python3 -c 'import socket; socket.socket().close()'
grep -q 'socket(' "$work/trace2" && ok "the probe does see a socket call" || not_ok "the probe sees nothing" "$(cat "$work/trace2")"

"$V" telemetry enable --yes --state st >/dev/null
traced_scan
[ ! -s "$work/trace" ] && ok "with consent the scan still makes no network system call" \
  || not_ok "network system calls of a scan with consent" "$(head -20 "$work/trace")"
n=$(ls st/telemetry/queue | wc -l)
[ "$n" = 1 ] && ok "it queued one report file" || not_ok "one report queued" "$n"
grep -q '"files-scanned":10001' st/telemetry/queue/*.json && ok "counting the 10,001 files" || not_ok "files-scanned" "$(cat st/telemetry/queue/*.json)"
finish
