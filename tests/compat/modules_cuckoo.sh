#!/usr/bin/env bash
# modules_cuckoo.sh: differential test of the cuckoo module against Debian's yara 4.2.3. Rules
# calling each of its eleven functions with matching and non-matching regexes (and `defined`)
# are run by `yara` and `vitrine yara` on one file, with crafted Cuckoo reports given by -x
# (both report formats, wrong types in every field, ports wrapped to a C int, strings with NUL,
# non-string list entries on which yara faults), with no report, with reports that do not parse
# (yara's error 57), an empty report, two -x for the module, and with -D. Standard output,
# standard error and the exit status must be identical. Prints TAP.
set -u
source "$VITRINE_SOURCE_ROOT/tests/e2e/lib.sh"
command -v yara >/dev/null || { not_ok "yara is installed (scripts/install-deps)"; finish; }

printf 'scanned bytes\n' >"$work/target"
# Regexes that cannot match the empty string (see docs/modules.md for those that can).
cat >"$work/cuckoo.yar" <<'EOF'
import "cuckoo"
rule dns_evil { condition: cuckoo.network.dns_lookup(/evil\.com$/) }
rule dns_case { condition: cuckoo.network.dns_lookup(/EVIL/i) }
rule dns_none { condition: cuckoo.network.dns_lookup(/nowhere/) }
rule dns_not { condition: not cuckoo.network.dns_lookup(/evil/) }
rule dns_defined { condition: defined cuckoo.network.dns_lookup(/x/) }
rule http_any { condition: cuckoo.network.http_request(/\/gate\.php/) }
rule http_get { condition: cuckoo.network.http_get(/gate/) }
rule http_post { condition: cuckoo.network.http_post(/gate/) }
rule http_post_upload { condition: cuckoo.network.http_post(/upload/) }
rule http_put { condition: cuckoo.network.http_request(/put-only/) }
rule user_agent { condition: cuckoo.network.http_user_agent(/^Mozilla\/[0-9]/) }
rule user_agent_bot { condition: cuckoo.network.http_user_agent(/bot/) }
rule host { condition: cuckoo.network.host(/^10\.0\.0\.[0-9]+$/) }
rule host_v6 { condition: cuckoo.network.host(/::1/) }
rule tcp_80 { condition: cuckoo.network.tcp(/^10\./, 80) }
rule tcp_443 { condition: cuckoo.network.tcp(/10\.0/, 443) }
rule tcp_neg { condition: cuckoo.network.tcp(/./, -1) }
rule udp_53 { condition: cuckoo.network.udp(/8\.8/, 53) }
rule udp_wrapped { condition: cuckoo.network.udp(/wrap/, 80) }
rule key_run { condition: cuckoo.registry.key_access(/\\Run\\/) }
rule key_nul { condition: cuckoo.registry.key_access(/after-nul/) }
rule key_before_nul { condition: cuckoo.registry.key_access(/before/) }
rule file_exe { condition: cuckoo.filesystem.file_access(/\.exe$/i) }
rule file_none { condition: cuckoo.filesystem.file_access(/\.dll/) }
rule mutex { condition: cuckoo.sync.mutex(/Ad48qw4d6wq84d56as|Adkhvhhydhasdasashbc/) }
rule mutex_unicode { condition: cuckoo.sync.mutex(/\xc3\xa9t\xc3\xa9/) }
rule all_of_them { condition: cuckoo.network.dns_lookup(/evil/) and cuckoo.sync.mutex(/Ad48/) and cuckoo.filesystem.file_access(/exe/) }
EOF

mkdir -p "$work/reports"
python3 - "$work/reports" <<'PY'
import json, sys
out = sys.argv[1]
full = {
  "network": {
    "domains": [{"ip": "1.2.3.4", "domain": "www.EVIL.com"}, {"ip": "5.6.7.8", "domain": "ok.org"}],
    "dns": [{"ip": "9.9.9.9", "hostname": "nowhere.net"}],
    "http": [{"uri": "http://x/gate.php", "method": "get", "user-agent": "Mozilla/5.0"},
             {"uri": "http://x/upload", "method": "POST", "user-agent": "a bot"},
             {"uri": "http://x/put-only", "method": "PUT"}],
    "hosts": ["10.0.0.7", "192.168.1.1"],
    "tcp": [{"dport": 80, "dst": "10.0.0.7"}, {"dport": 443, "dst": "172.16.0.1"}],
    "udp": [{"dport": 53, "dst": "8.8.8.8"}, {"dport": 4294967376, "dst": "wrap"}],
  },
  "behavior": {"summary": {
    "keys": ["HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\evil"],
    "files": ["C:\\Temp\\dropper.EXE"],
    "mutexes": ["Global\\Ad48qw4d6wq84d56as", "\u00e9t\u00e9"]}},
}
reports = {
  "full": full,
  # only the old format: "dns" with "hostname"
  "old_dns": {"network": {"dns": [{"ip": "1.1.1.1", "hostname": "evil.com"}]}},
  # "domains" present (even empty) hides "dns"
  "domains_hide_dns": {"network": {"domains": [], "dns": [{"ip": "1", "hostname": "evil.com"}]}},
  # entries missing a field, or with a field of the wrong type, are skipped
  "wrong_types": {"network": {
    "domains": [{"domain": "evil.com"}, {"ip": 1, "domain": "evil.com"}, "evil.com", None,
                {"ip": "1", "domain": ["evil.com"]}],
    "http": [{"uri": "gate", "method": 1}, {"uri": 5, "method": "get"}, {"method": "post"},
             {"uri": "/gate.php", "method": "GET", "user-agent": 7}],
    "tcp": [{"dport": "80", "dst": "10.0.0.1"}, {"dport": 80.0, "dst": "10.0.0.1"},
            {"dport": 80, "dst": 10}, {"dport": True, "dst": "10.0.0.1"}],
    "udp": [{"dport": -4294967243, "dst": "8.8.8.8"}]}},
  # lists that are not lists, sections that are not objects
  "not_lists": {"network": {"domains": {"ip": "1", "domain": "evil.com"}, "http": "gate",
                            "hosts": "10.0.0.1", "tcp": {}, "udp": 53},
                "behavior": {"summary": {"keys": "\\Run\\", "files": {"a": "x.exe"}, "mutexes": 1}}},
  "summary_not_object": {"behavior": {"summary": ["\\Run\\"]}, "network": []},
  "behavior_not_object": {"behavior": "summary", "network": "x"},
  # strings with NUL: yara reads them as C strings, cut at the NUL
  "nul_strings": {"behavior": {"summary": {"keys": ["before\u0000after-nul"]}},
                  "network": {"hosts": ["10.0.0.1\u0000x"]}},
  # a top-level array is valid JSON: the module is empty
  "top_array": [full],
  "empty_object": {},
  # non-string entries of plain string lists: yara faults (error 4) when a call reaches them
  "fault_keys_first": {"behavior": {"summary": {"keys": [1, "\\Run\\"]}}},
  "fault_hosts_last": {"network": {"hosts": ["10.0.0.9", None]}},
  # a call that finds a match before the bad entry does not reach it
  "fault_after_match": {"behavior": {"summary": {"mutexes": ["Ad48qw4d6wq84d56as", 5]}}},
}
for name, value in reports.items():
    with open('%s/%s.json' % (out, name), 'w') as f:
        json.dump(value, f)
bad = {
  "truncated": json.dumps(full)[:200],
  "trailing_garbage": "{} x",
  "top_string": '"report"',
  "top_number": "42",
  "invalid_utf8": b'{"a": "\xff"}',
  "nul_byte_outside_string": b'{"a": 1}\x00',
  "only_space": "   \n",
  "not_json": "MZ\x90\x00 binary",
}
for name, value in bad.items():
    with open('%s/bad_%s.json' % (out, name), 'wb') as f:
        f.write(value if isinstance(value, bytes) else value.encode('latin-1'))
open('%s/empty.json' % out, 'w').close()
PY

# same NAME ARGS...: yara and vitrine yara print the same and exit the same way.
same() {
  local name=$1; shift
  yara "$@" >"$work/yara.out" 2>&1; echo "exit $?" >>"$work/yara.out"
  "$VITRINE" yara "$@" >"$work/ours.out" 2>&1; echo "exit $?" >>"$work/ours.out"
  if cmp -s "$work/yara.out" "$work/ours.out"; then
    ok "$name: identical ($(grep -c ' ' "$work/yara.out") lines)"
  else
    not_ok "$name: differs from yara (< yara, > vitrine)" \
      "$(diff "$work/yara.out" "$work/ours.out" | grep '^[<>]' | head -n 8)"
  fi
}

same "no module data" "$work/cuckoo.yar" "$work/target"
same "no module data, -D" -D "$work/cuckoo.yar" "$work/target"
for r in "$work"/reports/*.json; do
  same "report $(basename "$r" .json)" -x "cuckoo=$r" "$work/cuckoo.yar" "$work/target"
done
same "full report, -D" -D -x "cuckoo=$work/reports/full.json" "$work/cuckoo.yar" "$work/target"
same "two -x for cuckoo: the last counts" -x "cuckoo=$work/reports/full.json" \
  -x "cuckoo=$work/reports/old_dns.json" "$work/cuckoo.yar" "$work/target"
same "-x for another module only" -x "pe=$work/reports/full.json" "$work/cuckoo.yar" "$work/target"
same "-x naming a directory" -x "cuckoo=$work/reports" "$work/cuckoo.yar" "$work/target"
mkdir -p "$work/two"
cp "$work/target" "$work/two/a"; cp "$work/target" "$work/two/b"
same "bad report over a directory" -p 1 -x "cuckoo=$work/reports/bad_truncated.json" \
  "$work/cuckoo.yar" "$work/two"
# A rule set that does not import cuckoo never reads the report, bad or not.
printf 'rule plain { condition: filesize > 0 }\n' >"$work/plain.yar"
same "bad report, cuckoo not imported" -x "cuckoo=$work/reports/bad_not_json.json" \
  "$work/plain.yar" "$work/target"
finish
