# library_shape.sh: the shape of the build (docs/ARCHITECTURE.md, "Libraries and programs"):
# - each shared library exports exactly the functions that include/vitrine/ declares with VT_API
#   (nothing internal leaks, nothing public is missing);
# - the engine library and the `vitrine` program that scans link no libcurl, libmicrohttpd or
#   SQLite; vitrine-net carries them;
# - vitrine.h includes every public header and compiles on its own;
# - `vitrine` hands networked commands to vitrine-net, and without it still scans and says why a
#   networked command cannot run.
. "$VITRINE_SOURCE_ROOT/tests/e2e/lib.sh"
root=$VITRINE_BUILD_ROOT
inc=$VITRINE_SOURCE_ROOT/include/vitrine

# The functions the public headers declare (VT_API RET NAME(...)).
sed -n 's/^VT_API [^(]*[ *]\(vt_[A-Za-z0-9_]*\)(.*/\1/p' "$inc"/*.h | sort -u >"$work/declared"
if [ -s "$work/declared" ]; then ok "the public headers declare $(wc -l <"$work/declared") functions"
else not_ok "no VT_API declaration found in $inc"; fi

# A column-0 function declaration without VT_API would be hidden from users.
unmarked=$(grep -nE '^[A-Za-z_][A-Za-z0-9_ *]*[ *]vt_[A-Za-z0-9_]+\(' "$inc"/*.h |
           grep -vE ':(VT_API|typedef|static) ' || true)
if [ -z "$unmarked" ]; then ok "every public function declaration carries VT_API"; else
  not_ok "public declarations without VT_API (scripts/dev/export-macro.sh adds it)" "$unmarked"; fi

: >"$work/all_exported"
for lib in libvitrine.so libvitrine-trust.so; do
  so="$root/$lib"
  if [ ! -e "$so" ]; then not_ok "$lib is built" "missing: $so"; continue; fi
  nm -D --defined-only "$so" | awk '{print $3}' | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' |
    sort -u >"$work/exported"
  cat "$work/exported" >>"$work/all_exported"
  extra=$(comm -23 "$work/exported" "$work/declared")
  if [ -z "$extra" ]; then ok "$lib exports only public functions ($(wc -l <"$work/exported"))"
  else not_ok "$lib exports symbols no public header declares" "$extra"; fi
done
sort -u -o "$work/all_exported" "$work/all_exported"
missing=$(comm -13 "$work/all_exported" "$work/declared")
if [ -z "$missing" ]; then ok "every declared function is exported by one of the libraries"
else not_ok "declared in include/vitrine/ but exported by no library" "$missing"; fi

# Which libraries each binary loads.
for bin in libvitrine.so cli/vitrine; do
  deps=$(ldd "$root/$bin" 2>&1)
  bad=$(printf '%s\n' "$deps" | grep -E 'libcurl|libmicrohttpd|libsqlite3|libarchive' || true)
  if [ -z "$bad" ]; then ok "$bin links no network, database or archive library"
  else not_ok "$bin links what it must not" "$bad"; fi
done
deps=$(ldd "$root/libvitrine-trust.so" 2>&1)
expect_contains "libvitrine-trust.so is built on libvitrine.so" "$deps" "libvitrine.so"
deps=$(ldd "$root/cli/vitrine-net" 2>&1)
expect_contains "vitrine-net links libcurl" "$deps" "libcurl"
expect_contains "vitrine-net links libmicrohttpd" "$deps" "libmicrohttpd"
expect_contains "vitrine-net links SQLite" "$deps" "libsqlite3"

# vitrine.h is the whole API.
for h in "$inc"/*.h; do
  name=$(basename "$h")
  [ "$name" = vitrine.h ] && continue
  grep -q "#include <vitrine/$name>" "$inc/vitrine.h" || not_ok "vitrine.h includes $name"
done
ok "vitrine.h includes every public header"
printf '#include <vitrine/vitrine.h>\nint main(void) { return vt_version()[0] == 0; }\n' >"$work/api.c"
expect_exit "vitrine.h compiles alone with -Wall -Wextra -Werror" 0 \
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror -I"$VITRINE_SOURCE_ROOT/include" -c "$work/api.c" \
  -o "$work/api.o"

# vitrine hands networked commands to vitrine-net, transparently.
expect_exit "vitrine help lists a networked command" 0 "$VITRINE" help
expect_contains "the list has update" "$out" "update "
expect_contains "the list has yara" "$out" "yara "
expect_exit "vitrine help update (vitrine-net's manual)" 0 "$VITRINE" help update
expect_contains "update's manual" "$out" "vitrine update -"
expect_exit "vitrine monitor --help" 0 "$VITRINE" monitor --help
expect_contains "monitor's manual" "$out" "vitrine monitor -"
expect_exit "vitrine --version" 0 "$VITRINE" --version
expect_contains "the version names libcurl (vitrine-net's libraries)" "$out" "libcurl"

# Without vitrine-net beside it (and none installed: then it would run that one), vitrine still
# scans and says what is missing.
if [ ! -e "$(sed -n 's/^#define VITRINE_LIBEXECDIR "\(.*\)"$/\1/p' "$root/vitrine_config.h")/vitrine-net" ]; then
  mkdir "$work/alone"
  cp "$VITRINE" "$work/alone/vitrine"
  printf 'rule r { strings: $a = "needle" condition: $a }\n' >"$work/r.yar"
  printf 'a needle here\n' >"$work/f"
  expect_exit "vitrine alone: yara scans" 0 "$work/alone/vitrine" yara "$work/r.yar" "$work/f"
  expect_contains "vitrine alone: the rule matches" "$out" "r $work/f"
  expect_exit "vitrine alone: update is an error" 2 "$work/alone/vitrine" update --help
  expect_contains "vitrine alone: the error names vitrine-net" "$err" "vitrine-net"
fi
finish
