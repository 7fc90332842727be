#!/usr/bin/env bash
# modules_dex.sh: differential test of the dex module against Debian's yara 4.2.3. Debian ships
# no .dex file, so the test assembles its own with smali (libsmali-java) from the sources in
# tests/compat/dex/: one class, three classes (interface, try/catch, two-byte string lengths,
# non-ASCII strings), and the same at API level 26 (magic dex\n038). Then:
# - Data: `yara -D` against `modrt_tool dump` on those, on edits of the map list size around
#   yara's check, and on 240 seeded mutations (120 in the sanitizer build: truncations, header
#   offsets and sizes, the id tables, class definitions, class data, map list, heaps, anywhere).
# - Functions and fields: rules calling has_method (4 overloads) and has_class (2) and reading
#   fields, run by `yara` and `vitrine yara` over all of them.
# Prints TAP.
set -u
source "$VITRINE_SOURCE_ROOT/tests/e2e/lib.sh"
tool="$VITRINE_BUILD_ROOT/tests/modrt_tool"
src="$VITRINE_SOURCE_ROOT/tests/compat/dex"
command -v yara >/dev/null || { not_ok "yara is installed (scripts/install-deps)"; finish; }
command -v smali >/dev/null || { not_ok "smali is installed (libsmali-java, scripts/install-deps)"; finish; }

mkdir -p "$work/built" "$work/edits" "$work/mutated" "$work/all"
(
  smali assemble -o "$work/built/hello.dex" "$src/Hello.smali" &&
  smali assemble -o "$work/built/three.dex" "$src"/*.smali &&
  smali assemble --api 26 -o "$work/built/api26.dex" "$src/Circle.smali" "$src/Shape.smali"
) >"$work/smali.log" 2>&1 || not_ok "assembling test files with smali" "$(tail -3 "$work/smali.log")"

source "$VITRINE_SOURCE_ROOT/tests/compat/dump_lib.sh"

compare_dumps "dex on files assembled with smali" dex "$work"/built/*.dex /bin/true

per_file=80
[ "${VITRINE_SANITIZED:-0}" = 1 ] && per_file=40
python3 - "$work/edits" "$work/mutated" "$per_file" "$work"/built/*.dex <<'PY'
import random, struct, sys
edits, mutated, per_file, bases = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
three = open([b for b in bases if b.endswith('three.dex')][0], 'rb').read()
# The map list's size around yara's check (against the file from its start).
m = struct.unpack_from('<I', three, 52)[0]
for c in (0, 1, (len(three) - 4) // 12, (len(three) - 4) // 12 + 1, 0xFFFFFFFF):
    b = bytearray(three); struct.pack_into('<I', b, m, c)
    open('%s/map_size_%d' % (edits, c), 'wb').write(bytes(b))
random.seed(8086)
for n, path in enumerate(bases):
    base = open(path, 'rb').read()
    sid_n, sid_off = struct.unpack_from('<II', base, 56)
    cdef_n, cdef_off = struct.unpack_from('<II', base, 96)
    map_off = struct.unpack_from('<I', base, 52)[0]
    data_off = struct.unpack_from('<I', base, 108)[0]
    def scramble(b, lo, hi, k):
        hi = min(hi, len(b) - 1)
        for _ in range(k):
            if hi > lo: b[random.randint(lo, hi)] = random.randint(0, 255)
    for k in range(per_file):
        b = bytearray(base); mode = k % 9
        if mode == 0: b = b[:random.randint(0, len(b))]
        elif mode == 1:
            struct.pack_into('<I', b, random.choice(range(32, 112, 4)),
                             random.choice([0, 1, 2, 0x7fffffff, 0xffffffff, len(b), len(b) - 4,
                                            random.randint(0, len(b)), random.randint(0, 70000)]))
        elif mode == 2: scramble(b, sid_off, sid_off + 4 * sid_n, random.randint(1, 4))
        elif mode == 3: scramble(b, cdef_off, cdef_off + 32 * cdef_n, random.randint(1, 4))
        elif mode == 4: scramble(b, data_off, len(b), random.randint(1, 10))
        elif mode == 5: scramble(b, map_off, map_off + 4 + 12 * 20, random.randint(1, 4))
        elif mode == 6:
            for i in range(cdef_n):
                cd = struct.unpack_from('<I', base, cdef_off + 32 * i + 24)[0]
                if cd and random.random() < 0.7: scramble(b, cd, cd + 24, random.randint(1, 3))
        elif mode == 7: scramble(b, 0, len(b), random.randint(1, 30))
        else:
            for off in (64, 72, 80, 88):
                cnt, at = struct.unpack_from('<II', base, off)
                if cnt and random.random() < 0.5: scramble(b, at, at + 8 * cnt, random.randint(1, 3))
        open('%s/m%d_%03d' % (mutated, n, k), 'wb').write(bytes(b))
PY
compare_dumps "dex on map list sizes around yara's check" dex "$work"/edits/*
compare_dumps "dex on mutated files" dex "$work"/mutated/*

cp "$work"/built/*.dex "$work"/edits/* "$work"/mutated/* "$work/all/"
cat >"$work/functions.yar" <<'EOF'
import "dex"
rule hm_main { condition: dex.has_method("main") }
rule hm_none { condition: dex.has_method("nosuch") }
rule hm_cls { condition: dex.has_method("Lcom/example/Circle;", "area") }
rule hm_cls_wrong { condition: dex.has_method("Lcom/example/Hello;", "area") }
rule hm_re { condition: dex.has_method(/^to/) }
rule hm_re2 { condition: dex.has_method(/Circle/, /help/) }
rule hm_re2_wrong { condition: dex.has_method(/Shape/, /help/) }
rule hc { condition: dex.has_class("Lcom/example/Shape;") }
rule hc_re { condition: dex.has_class(/example\/H/) }
rule hc_none { condition: dex.has_class(/zzz/) }
rule undefined_hm { condition: not defined dex.has_method("main") }
rule magic38 { condition: dex.header.magic == dex.DEX_FILE_MAGIC_038 }
rule methods { condition: dex.number_of_methods > 3 and dex.method[0].code_item.insns_size > 0 }
rule native { condition: for any i in (0..dex.number_of_methods - 1): (dex.method[i].access_flags & dex.ACC_NATIVE and dex.method[i].virtual == 1) }
rule fields { condition: for any i in (0..dex.number_of_fields - 1): (dex.field[i].name == "PI_TEXT") }
rule string_ids { condition: for any i in (0..99): (dex.string_ids[i].value contains "snow") }
rule map_items { condition: dex.map_list.size > 10 and dex.map_list.map_item[0].type == dex.TYPE_HEADER_ITEM }
EOF
yara -N -w -p 1 "$work/functions.yar" "$work/all" 2>&1 | LC_ALL=C sort >"$work/yara.out"
"$VITRINE" yara -N -w -p 1 "$work/functions.yar" "$work/all" 2>&1 | LC_ALL=C sort >"$work/ours.out"
if cmp -s "$work/yara.out" "$work/ours.out"; then
  ok "dex functions and fields over $(ls "$work/all" | wc -l) files: identical ($(wc -l <"$work/yara.out") matches, $(cut -d' ' -f1 "$work/yara.out" | sort -u | wc -l) rules firing)"
else
  not_ok "dex functions and fields differ from yara (< yara, > vitrine)" \
    "$(diff "$work/yara.out" "$work/ours.out" | grep '^[<>]' | head -n 8)"
fi
finish
