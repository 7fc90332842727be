#!/usr/bin/env bash
# modules.sh: cost of the module runtime per file (bench_modules) next to yara's own module cost,
# measured as the difference between scanning 50 copies of a file with a rule that imports the
# module and with a rule that does not (yara -p 1, best of 3).
set -uo pipefail
build=${VITRINE_BUILD_DIR:-build}
bench="$build/bench/bench_modules"
wine=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
work=$(mktemp -d /tmp/vitrine-bench-modules.XXXXXX)
trap 'rm -rf "$work"' EXIT
: >"$work/empty"
"$bench" pe 200 "$work/empty" "$wine/version.dll" "$wine/kernel32.dll" || exit 1
"$bench" elf 200 /bin/true /bin/ls || exit 1

best_of_3() { # best wall time in ms of a command
  local best=
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
    local ms=$(( (e - s) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}
printf 'import "pe"\nrule r { condition: pe.is_pe }\n' >"$work/pe.yar"
printf 'rule r { condition: true }\n' >"$work/none.yar"
for f in "$wine/version.dll" "$wine/kernel32.dll"; do
  mkdir -p "$work/copies"; rm -f "$work/copies"/*
  for i in $(seq 50); do cp "$f" "$work/copies/$i"; done
  with=$(best_of_3 yara -p 1 "$work/pe.yar" "$work/copies")
  without=$(best_of_3 yara -p 1 "$work/none.yar" "$work/copies")
  echo "yara pe $(basename "$f"): $(( (with - without) * 1000 / 50 )) us per file (with $with ms, without $without ms, 50 files)"
done
