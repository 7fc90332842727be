#!/usr/bin/env bash
# scan_hostile_fs.sh: `vitrine scan` and `vitrine yara` on a file system built to make a scanner
# pass over files silently or lie about them: trees 300 directories deep, paths over 4,096
# bytes, directories and files without read or search permission (run as an unprivileged user:
# root reads everything), a symbolic link named on the command line, symbolic link loops with -L,
# and names with a newline, a tab, ESC and bytes that are not UTF-8. Every file that was not
# scanned must be a record with its reason, counted, with exit status 2 (1 when something was
# found), in text and JSON; names are escaped in text and kept recoverable in JSON.
. "$(dirname "$0")/lib.sh"

# The permission cases run as nobody when the suite runs as root.
as_user() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
  else
    "$@"
  fi
}
# expect_line NAME TEXT LINE: one line of TEXT is exactly LINE.
expect_line() {
  if printf '%s\n' "$2" | grep -Fxq -- "$3"; then ok "$1"; else
    not_ok "$1" "expected the line: $3" "in: $2"; fi
}

chmod 755 "$work"
rules=$work/eicar.yar
cp "$VITRINE_SOURCE_ROOT/rules/starter/eicar.yar" "$rules"
chmod 644 "$rules"
eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
cleanup() { chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# ---- names: invalid UTF-8 in JSON, control characters in text ----------------------------------
n=$work/names
mkdir "$n"
printf '%s' "$eicar" >"$n/bad$(printf '\377')utf8.com"
expect_exit "JSON: a file named with invalid UTF-8 still has its record (exit 1)" 1 \
  "$VITRINE" scan --format json -r "$rules" "$n"
expect_line "JSON: lossy path with U+FFFD and the exact bytes in path_b64" "$out" \
  "{\"path\":\"$n/bad\\uFFFDutf8.com\",\"path_b64\":\"$(printf '%s' "$n/bad$(printf '\377')utf8.com" | base64 -w0)\",\"status\":\"found\",\"matches\":[{\"rule\":\"EICAR_Test_File\",\"namespace\":\"default\",\"tags\":[\"test\"],\"meta\":{\"author\":\"vitrine team\",\"description\":\"The EICAR anti-virus test file, not malware\",\"reference\":\"https://www.eicar.org/download-anti-malware-testfile/\"},\"strings\":[{\"identifier\":\"\$eicar\",\"offset\":0,\"length\":68,\"data_base64\":\"$(printf '%s' "$eicar" | base64 -w0)\"}]}]}"

printf 'rule latin1 { meta: author = "caf\351" condition: true }\n' >"$work/latin1.yar"
expect_exit "JSON: a rule with Latin-1 meta still gives the record (exit 1)" 1 \
  "$VITRINE" scan --format json -r "$work/latin1.yar" "$rules"
expect_line "JSON: lossy meta value and its exact bytes in meta_b64" "$out" \
  "{\"path\":\"$rules\",\"status\":\"found\",\"matches\":[{\"rule\":\"latin1\",\"namespace\":\"default\",\"tags\":[],\"meta\":{\"author\":\"caf\\uFFFD\"},\"meta_b64\":{\"author\":\"Y2Fm6Q==\"},\"strings\":[]}]}"

rm "$n"/*
printf 'innocent\n' >"$n/m.exe: OK
report.txt: EICAR_Test_File FOUND"
printf 'a\n' >"$n/tab	name"
printf 'b\n' >"$n/esc$(printf '\033')[31mred"
printf 'c\n' >"$n/back\\slash"
printf 'd\n' >"$n/bad$(printf '\377')utf8"
expect_exit "text: odd names are clean (exit 0)" 0 "$VITRINE" scan -S -r "$rules" "$n"
expect_line "text: a newline in a name is \\x0A, no forged line" "$out" \
  "$n/m.exe: OK\\x0Areport.txt: EICAR_Test_File FOUND: OK"
printf '%s\n' "$out" | grep -q '^report.txt' &&
  not_ok "text: no line starts with the forged detection" "$out" ||
  ok "text: no line starts with the forged detection"
expect_line "text: a tab is \\x09" "$out" "$n/tab\\x09name: OK"
expect_line "text: ESC is \\x1B, no raw terminal escape" "$out" "$n/esc\\x1B[31mred: OK"
expect_line "text: a backslash is doubled" "$out" "$n/back\\\\slash: OK"
expect_line "text: invalid UTF-8 is \\xFF" "$out" "$n/bad\\xFFutf8: OK"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 5 ] && ok "text: one line per file" ||
  not_ok "text: one line per file" "$out"
expect_exit "JSON: odd names (exit 0)" 0 "$VITRINE" scan --format json -r "$rules" "$n"
printf '%s\n' "$out" >"$work/names.jsonl"
if python3 - "$work/names.jsonl" "$n" <<'PY'
import base64, json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = sorted(base64.b64decode(r["path_b64"]) if "path_b64" in r else r["path"].encode()
             for r in rows)
d = os.fsencode(sys.argv[2])
want = sorted(d + b"/" + name for name in os.listdir(d))
assert got == want, (got, want)
assert all(r["status"] == "clean" for r in rows), rows
PY
then ok "JSON: every name recovered byte for byte"; else not_ok "JSON: names recovered" "$out"; fi
yara -n -p 1 -r "$rules" "$n" >"$work/yara.out" 2>&1
"$VITRINE" yara -n -p 1 -r "$rules" "$n" >"$work/vitrine.out" 2>&1
cmp -s "$work/yara.out" "$work/vitrine.out" && ok "yara: odd names printed as yara prints them" ||
  not_ok "yara: odd names as yara" "$(cat "$work/yara.out")" "$(cat "$work/vitrine.out")"

# ---- depth and length ----------------------------------------------------------------------------
python3 - "$work" "$eicar" <<'PY'
import os, sys
work, eicar = sys.argv[1], sys.argv[2].encode()
def write(fd, name, data):
    f = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(f, data)
    os.close(f)
def tree(root, names, files):
    """A chain of directories `names` under root; files maps a depth to (name, data)."""
    os.mkdir(root)
    fd = os.open(root, os.O_RDONLY)
    for depth, name in enumerate(names, 1):
        os.mkdir(name, dir_fd=fd)
        child = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
        for fname, data in files.get(depth, []):
            write(fd, fname, data)
    os.close(fd)
# 300 levels: EICAR at the bottom, a clean file at 100 and 1 (the walk comes back up past them)
tree(work + "/deep", ["d"] * 300,
     {300: [("eicar.com", eicar)], 100: [("clean100", b"x")], 1: [("clean1", b"y")]})
# 25 levels of 200-byte names: the file's path is over 5,000 bytes
tree(work + "/long", ["n" * 200 + str(i) for i in range(25)], {25: [("eicar.com", eicar)]})
PY
for format in text json; do
  expect_exit "300 levels deep ($format): EICAR at the bottom found (exit 1)" 1 \
    "$VITRINE" scan --format "$format" -r "$rules" "$work/deep"
  expect_contains "300 levels deep ($format): the detection" "$out" "/d/d/eicar.com"
  expect_contains "300 levels deep ($format): the file beside the way back" "$out" "/clean100"
  expect_exit "path over 4096 bytes ($format): EICAR found (exit 1)" 1 \
    "$VITRINE" scan --format "$format" -r "$rules" "$work/long"
done
expect_exit "300 levels deep: summary" 1 "$VITRINE" scan -r "$rules" "$work/deep"
expect_contains "300 levels deep: all three files scanned" "$out" "Scanned files: 3"
expect_contains "300 levels deep: one infected" "$out" "Infected files: 1"
expect_exit "path over 4096 bytes: text record" 1 "$VITRINE" scan -S -r "$rules" "$work/long"
long_path=$work/long$(for i in $(seq 0 24); do printf '/%s%s' "$(printf 'n%.0s' $(seq 200))" "$i"; done)/eicar.com
expect_line "path over 4096 bytes: the whole path in the record" "$out" \
  "$long_path: EICAR_Test_File FOUND"
mkdir "$work/many"
for i in $(seq 300); do printf '%s\n' "$i" >"$work/many/f$i"; done
limited() { (ulimit -n 64 && "$@"); }
expect_exit "64 open files at most: 300 files, no error (exit 0)" 0 \
  limited "$VITRINE" scan -j 2 -r "$rules" "$work/many"
expect_contains "64 open files at most: all 300 scanned" "$out" "Scanned files: 300"
expect_exit "64 open files at most: 300 levels deep (exit 1)" 1 \
  limited "$VITRINE" scan -j 2 -r "$rules" "$work/deep"
expect_contains "64 open files at most: all three files of the deep tree" "$out" "Scanned files: 3"
expect_exit "yara: 300 levels deep (exit 0)" 0 "$VITRINE" yara -r "$rules" "$work/deep"
expect_line "yara: 300 levels deep, the rule's line" "$out" \
  "EICAR_Test_File $work/deep$(printf '/d%.0s' $(seq 300))/eicar.com"
expect_exit "yara: path over 4096 bytes (exit 0)" 0 "$VITRINE" yara -r "$rules" "$work/long"
expect_line "yara: path over 4096 bytes, the rule's line" "$out" "EICAR_Test_File $long_path"

# ---- permissions (as nobody) ----------------------------------------------------------------------
p=$work/perm
mkdir -p "$p/noexec" "$p/nodir" "$p/ok"
printf '%s' "$eicar" >"$p/noexec/inside.com"
printf 'x\n' >"$p/nodir/inside"
printf 'x\n' >"$p/unreadable"
printf 'x\n' >"$p/ok/clean"
printf '%s' "$eicar" >"$p/ok/eicar.com"
chmod 444 "$p/noexec"
chmod 000 "$p/nodir" "$p/unreadable"
for f in noexec nodir unreadable; do
  mkdir "$work/p_$f" && chmod 755 "$work/p_$f"
  mv "$p/$f" "$work/p_$f/"
done
chmod 755 "$p" "$p/ok"; chmod 644 "$p/ok/clean" "$p/ok/eicar.com"

expect_exit "dir mode 444: its file is an error (exit 2)" 2 \
  as_user "$VITRINE" scan -r "$rules" "$work/p_noexec"
expect_line "dir mode 444: the record" "$out" \
  "$work/p_noexec/noexec/inside.com: cannot access: Permission denied ERROR"
expect_contains "dir mode 444: counted" "$out" "Errors: 1"
expect_exit "dir mode 444 (JSON): exit 2" 2 \
  as_user "$VITRINE" scan --format json -r "$rules" "$work/p_noexec"
expect_line "dir mode 444 (JSON): the record" "$out" \
  "{\"path\":\"$work/p_noexec/noexec/inside.com\",\"status\":\"error\",\"error\":\"cannot access: Permission denied\"}"
expect_exit "yara: dir mode 444 (exit 0, as yara)" 0 \
  as_user "$VITRINE" yara -r "$rules" "$work/p_noexec"
expect_line "yara: dir mode 444 reported (yara is silent)" "$err" \
  "error scanning $work/p_noexec/noexec/inside.com: cannot access: Permission denied"

expect_exit "dir mode 000: an error (exit 2)" 2 as_user "$VITRINE" scan -r "$rules" "$work/p_nodir"
expect_line "dir mode 000: the record" "$out" \
  "$work/p_nodir/nodir: cannot open directory: Permission denied ERROR"
expect_contains "dir mode 000: counted" "$out" "Errors: 1"
expect_exit "dir mode 000 (JSON): exit 2" 2 \
  as_user "$VITRINE" scan --format json -r "$rules" "$work/p_nodir"
expect_line "dir mode 000 (JSON): the record" "$out" \
  "{\"path\":\"$work/p_nodir/nodir\",\"status\":\"error\",\"error\":\"cannot open directory: Permission denied\"}"
expect_exit "yara: dir mode 000 (exit 0, as yara)" 0 \
  as_user "$VITRINE" yara -r "$rules" "$work/p_nodir"
expect_line "yara: dir mode 000 reported (yara is silent)" "$err" \
  "error scanning $work/p_nodir/nodir: cannot open directory: Permission denied"

expect_exit "file mode 000: an error (exit 2)" 2 \
  as_user "$VITRINE" scan -r "$rules" "$work/p_unreadable"
expect_line "file mode 000: the record" "$out" \
  "$work/p_unreadable/unreadable: cannot open: Permission denied ERROR"
expect_exit "file mode 000 (JSON): exit 2" 2 \
  as_user "$VITRINE" scan --format json -r "$rules" "$work/p_unreadable"
expect_line "file mode 000 (JSON): the record" "$out" \
  "{\"path\":\"$work/p_unreadable/unreadable\",\"status\":\"error\",\"error\":\"cannot open: Permission denied\"}"
as_user yara -r "$rules" "$work/p_unreadable" >"$work/yara.out" 2>"$work/yara.err"
yara_status=$?
expect_exit "yara: file mode 000, yara's exit status" "$yara_status" \
  as_user "$VITRINE" yara -r "$rules" "$work/p_unreadable"
[ "$err" = "$(cat "$work/yara.err")" ] && ok "yara: file mode 000, yara's words" ||
  not_ok "yara: file mode 000, yara's words" "vitrine: $err" "yara: $(cat "$work/yara.err")"

mv "$work/p_noexec/noexec" "$work/p_nodir/nodir" "$work/p_unreadable/unreadable" "$p/"
expect_exit "a detection wins over errors (exit 1)" 1 as_user "$VITRINE" scan -r "$rules" "$p"
expect_contains "errors counted beside the detection" "$out" "Errors: 3"
expect_exit "-i: only detections and errors (exit 1)" 1 as_user "$VITRINE" scan -i -S -r "$rules" "$p"
[ "$(printf '%s\n' "$out" | grep -c ' ERROR$')" -eq 3 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] &&
  ok "-i: the three error records and the detection" || not_ok "-i: errors and detection" "$out"

# ---- symbolic links ---------------------------------------------------------------------------------
l=$work/links
mkdir -p "$l/a"
printf '%s' "$eicar" >"$l/a/eicar.com"
ln -s a/eicar.com "$l/link.com"
expect_exit "a symlink named on the command line is scanned (exit 1)" 1 \
  "$VITRINE" scan -r "$rules" "$l/link.com"
expect_line "symlink on the command line: its record" "$out" \
  "$l/link.com: EICAR_Test_File FOUND"
expect_contains "symlink on the command line: counted" "$out" "Scanned files: 1"
yara "$rules" "$l/link.com" >"$work/yara.out" 2>&1
expect_exit "yara: a symlink on the command line (exit 0)" 0 "$VITRINE" yara "$rules" "$l/link.com"
[ "$out" = "$(cat "$work/yara.out")" ] && ok "yara: symlink on the command line, as yara" ||
  not_ok "yara: symlink on the command line" "$out"
ln -s .. "$l/a/up1"
ln -s .. "$l/a/up2"
expect_exit "-L with two links to the parent ends (exit 1)" 1 \
  timeout 60 "$VITRINE" scan -L -r "$rules" "$l/a"
expect_line "-L: the loop is a record" "$out" \
  "$l/a/up1/a: directory loop: the same directory as $l/a, which is being walked ERROR"
expect_contains "-L: each file scanned once per way in" "$out" "Scanned files: 3"
mkdir -p "$l/loop/sub"
ln -s .. "$l/loop/sub/back"
expect_exit "-L: a loop and nothing found is an error (exit 2)" 2 \
  timeout 60 "$VITRINE" scan -L --format json -r "$rules" "$l/loop"
expect_line "-L (JSON): the loop record" "$out" \
  "{\"path\":\"$l/loop/sub/back\",\"status\":\"error\",\"error\":\"directory loop: the same directory as $l/loop, which is being walked\"}"
expect_exit "yara -r (follows links): the loop ends (exit 0)" 0 \
  timeout 60 "$VITRINE" yara -r "$rules" "$l/a"
expect_line "yara: the loop reported" "$err" \
  "error scanning $l/a/up1/a: directory loop: the same directory as $l/a, which is being walked"
finish
