# dump_lib.sh: compare_dumps for the module differential tests (sourced by tests/compat/modules*.sh
# after tests/e2e/lib.sh, with $tool set to modrt_tool).
# compare_dumps NAME MODULE FILE...: `yara -D` with a rule importing MODULE and `modrt_tool dump`
# agree on every file. Both dumps pass through $dump_filter when the caller sets it (a command
# reading stdin, line by line, that keeps lines not starting with a tab), to drop lines that
# differ for a documented reason.
# Each side runs once over all the files: yara scans them as a list (-p 1, in order) with a rule
# `end_of_dump` that matches every file, so each file's dump is followed by the line
# "end_of_dump FILE"; `modrt_tool dump-each` prints the same line after each of its dumps. When the
# two outputs are identical, every file's dump is. Otherwise (or when yara could not scan some
# file, which leaves its line out) each file is compared on its own, one process per side, to
# count and show the files that differ.
compare_dumps() {
  local name=$1 module=$2; shift 2
  local filter=${dump_filter:-cat}
  local total=$# differ=0 first=""
  printf 'import "%s"\nrule end_of_dump { condition: true }\n' "$module" >"$work/$module-each.yar"
  printf '%s\n' "$@" >"$work/$module.list"
  yara -D -p 1 --scan-list "$work/$module-each.yar" "$work/$module.list" 2>/dev/null | $filter >"$work/yara.all"
  "$tool" dump-each "$module" "$@" 2>/dev/null | $filter >"$work/ours.all"
  if [ "$total" -eq 0 ] || ! cmp -s "$work/yara.all" "$work/ours.all"; then
    echo "# $name: the outputs over all files differ; comparing file by file"
    printf 'import "%s"\nrule r { condition: false }\n' "$module" >"$work/$module.yar"
    for f in "$@"; do
      yara -D "$work/$module.yar" "$f" 2>/dev/null | $filter >"$work/yara.out"
      "$tool" dump "$f" "$module" 2>"$work/ours.err" | $filter >"$work/ours.out"
      if ! cmp -s "$work/yara.out" "$work/ours.out"; then
        differ=$((differ + 1))
        [ -z "$first" ] && first="$f: $(diff "$work/yara.out" "$work/ours.out" | head -6)"
      fi
    done
  fi
  if [ "$total" -gt 0 ] && [ "$differ" -eq 0 ]; then ok "$name: $total files identical to yara -D"
  else not_ok "$name: $differ of $total files differ from yara -D" "$first"; fi
}
