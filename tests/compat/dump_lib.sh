# dump_lib.sh: compare_dumps for the module differential tests (sourced by tests/compat/modules*.sh
# after tests/e2e/lib.sh, with $tool set to modrt_tool).
# compare_dumps NAME MODULE FILE...: `yara -D` with a rule importing MODULE and `modrt_tool dump`
# agree on every file. Both dumps pass through $dump_filter when the caller sets it (a command
# reading stdin), to drop lines that differ for a documented reason.
compare_dumps() {
  local name=$1 module=$2; shift 2
  local filter=${dump_filter:-cat}
  printf 'import "%s"\nrule r { condition: false }\n' "$module" >"$work/$module.yar"
  local total=0 differ=0 first=""
  for f in "$@"; do
    total=$((total + 1))
    yara -D "$work/$module.yar" "$f" 2>/dev/null | $filter >"$work/yara.out"
    "$tool" dump "$f" "$module" 2>"$work/ours.err" | $filter >"$work/ours.out"
    if ! cmp -s "$work/yara.out" "$work/ours.out"; then
      differ=$((differ + 1))
      [ -z "$first" ] && first="$f: $(diff "$work/yara.out" "$work/ours.out" | head -6)"
    fi
  done
  if [ "$total" -gt 0 ] && [ "$differ" -eq 0 ]; then ok "$name: $total files identical to yara -D"
  else not_ok "$name: $differ of $total files differ from yara -D" "$first"; fi
}
