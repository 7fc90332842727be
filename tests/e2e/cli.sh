#!/usr/bin/env bash
# cli.sh: the command-line contract every subcommand shares: version, help, manuals, and exit
# status 2 with a usage message for anything unknown.
. "$(dirname "$0")/lib.sh"

expect_exit "--version exits 0" 0 "$VITRINE" --version
expect_contains "--version names the version" "$out" "vitrine 0."
expect_exit "help lists commands" 0 "$VITRINE" help
expect_contains "help lists help" "$out" "help "
expect_contains "help lists version" "$out" "version "

# Every command listed by `vitrine help` has a man-page-style manual.
commands=$("$VITRINE" help | awk '/^Commands:/{f=1;next} f&&/^  [a-z]/{print $1} f&&/^$/{exit}')
[ -n "$commands" ] && ok "help lists at least one command" || not_ok "help lists at least one command"
for c in $commands; do
  expect_exit "help $c exits 0" 0 "$VITRINE" help "$c"
  for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS"; do
    expect_contains "manual of $c has $section" "$out" "$section"
  done
  manual=$out
  expect_exit "$c --help exits 0" 0 "$VITRINE" "$c" --help
  [ "$out" = "$manual" ] && ok "$c --help equals help $c" || not_ok "$c --help equals help $c"
done

expect_exit "no command exits 2" 2 "$VITRINE"
expect_contains "no command prints usage" "$err" "usage: vitrine"
expect_exit "unknown command exits 2" 2 "$VITRINE" frobnicate
expect_contains "unknown command is named" "$err" "unknown command 'frobnicate'"
expect_contains "unknown command prints usage" "$err" "usage: vitrine"
expect_exit "unknown option exits 2" 2 "$VITRINE" --frobnicate
expect_contains "unknown option is named" "$err" "unknown option '--frobnicate'"
expect_exit "help for unknown command exits 2" 2 "$VITRINE" help frobnicate
expect_exit "version with an argument exits 2" 2 "$VITRINE" version extra
expect_contains "usage error shows synopsis" "$err" "SYNOPSIS"

finish
