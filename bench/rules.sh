#!/usr/bin/env bash
# rules.sh: the rule compiler against yarac on the same files, and loading a compiled ruleset.
# - reversinglabs: all 274 files in one run, each in its own namespace (NS:FILE);
# - yara-rules: index.yar (12,772 rules through includes);
# for each: wall time (best of 3) and the compiled size, vitrine vs yarac; then the load time
# and memory of the compiled yara-rules set (over 10,000 rules).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${VITRINE_BUILD_DIR:-build}
vitrine=$build/cli/vitrine
load=$build/bench/bench_rules_load
rules=${VITRINE_SHARED:-../shared}/rules
for x in "$vitrine" "$load"; do [ -x "$x" ] || { echo "rules.sh: $x not built" >&2; exit 2; }; done
command -v yarac >/dev/null || { echo "rules.sh: yarac not installed" >&2; exit 2; }
tmp=$(mktemp -d /tmp/vitrine-bench-rules.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

best_of_3() { # best_of_3 COMMAND...: prints the best wall time in ms
  local best=
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

compare() { # compare NAME ARGS...
  local name=$1; shift
  local tv ty
  tv=$(best_of_3 "$vitrine" compile -w "$@" -o "$tmp/$name.vtr") || return 1
  ty=$(best_of_3 yarac -w "$@" "$tmp/$name.yarc") || return 1
  printf '%-14s compile: vitrine %6d ms, yarac %6d ms | size: vitrine %9d B, yarac %9d B\n' \
    "$name" "$tv" "$ty" "$(stat -c %s "$tmp/$name.vtr")" "$(stat -c %s "$tmp/$name.yarc")"
}

mapfile -t rl < <(find "$rules/reversinglabs" -name '*.yara' -o -name '*.yar' | sort)
args=()
i=0
for f in "${rl[@]}"; do args+=("rl$i:$f"); i=$((i + 1)); done
compare reversinglabs "${args[@]}"
compare yara-rules "$rules/yara-rules/index.yar"
"$vitrine" compile --stats -w "$rules/yara-rules/index.yar" -o "$tmp/yara-rules.vtr" | sed 's/^/yara-rules     /'
"$load" "$tmp/yara-rules.vtr" 50
