#!/usr/bin/env bash
# modules.sh: differential test of the module runtime against Debian's yara 4.2.3.
# - Data: `yara -D` with a rule importing the module, compared line for line with
#   `modrt_tool dump`, for elf on a fixed sample of system binaries and on crafted mutations of
#   one, and for pe on a fixed sample of libwine's PE files and on crafted/truncated PE files.
# - Functions: the same calls evaluated by yara through console.log rules and by modrt_tool.
# Prints TAP; each group reports how many files matched.
set -u
source "$VITRINE_SOURCE_ROOT/tests/e2e/lib.sh"
tool="$VITRINE_BUILD_ROOT/tests/modrt_tool"
command -v yara >/dev/null || { not_ok "yara is installed (scripts/install-deps)"; finish; }

# Two differences come from the declarations in lib/modules (owned by the rules compiler), not
# from the runtime: pe.delay_import_details is not declared, and pe.IMPORT_* are declared at
# another position. Both sides drop those lines, so every other line is still compared.
mask_declarations() {
  awk '/^\tIMPORT_/ { next }
       /^\tdelay_import_details/ { skip = 1; next }
       skip && /^\t\t/ { next }
       { skip = 0; print }'
}

source "$VITRINE_SOURCE_ROOT/tests/compat/dump_lib.sh"
dump_filter=mask_declarations

# A fixed sample: every 20th regular file of the sorted listing that is an ELF file.
sample_elf() {
  find "$@" -maxdepth 1 -type f -size -8M 2>/dev/null | LC_ALL=C sort | awk 'NR % 20 == 1' |
    while read -r f; do [ "$(head -c4 "$f" 2>/dev/null | tail -c3)" = ELF ] && echo "$f"; done |
    head -30
}

mapfile -t elf_files < <(sample_elf /usr/bin /usr/lib/x86_64-linux-gnu)
compare_dumps "elf on system binaries" elf "${elf_files[@]}"

# Crafted ELF files: truncations and header, section and segment table corruptions of /bin/true,
# plus the 32-bit and big-endian variants of its header.
mkdir -p "$work/elf"
python3 - "$work/elf" <<'PY'
import random, struct, sys
random.seed(4231)
base = open('/bin/true', 'rb').read()
shoff = struct.unpack_from('<Q', base, 40)[0]
for k in range(60):
    b = bytearray(base)
    mode = k % 5
    if mode == 0: b = b[:random.randint(0, len(b))]
    elif mode == 1:
        for _ in range(random.randint(1, 8)): b[random.randint(0, 63)] = random.randint(0, 255)
    elif mode == 2: b[4] = random.choice([1, 2]); b[5] = random.choice([1, 2])
    elif mode == 3:
        for _ in range(random.randint(1, 10)):
            i = shoff + random.randint(0, 64 * 31 - 1)
            if i < len(b): b[i] = random.randint(0, 255)
    else:
        for _ in range(random.randint(1, 20)): b[random.randint(64, 64 + 56 * 13)] = random.randint(0, 255)
    open('%s/e%03d' % (sys.argv[1], k), 'wb').write(b)
# A minimal 32-bit little-endian ELF whose dynamic section has a tag above 2^31.
eh = bytearray(52); eh[0:4] = b'\x7fELF'; eh[4] = 1; eh[5] = 1; eh[6] = 1
struct.pack_into('<HHIIIIIHHHHHH', eh, 16, 3, 3, 1, 0, 52, 0, 0, 52, 32, 1, 40, 0, 0)
ph = struct.pack('<IIIIIIII', 2, 84, 0, 0, 24, 24, 6, 4)
dyn = struct.pack('<iIiIiI', -2147483647, 5, 0x6ffffef5, 7, 0, 0)
open('%s/elf32_dyn' % sys.argv[1], 'wb').write(bytes(eh) + ph + dyn)
PY
compare_dumps "elf on crafted files" elf "$work"/elf/*

# Functions: math and hash over ranges and strings, through console.log in yara.
calls=(
  'math.entropy(0, 4096)' 'math.entropy(100, 50)' 'math.entropy("hello")' 'math.entropy("")'
  'math.mean(0, 1000)' 'math.mean("abc")' 'math.deviation(0, 1000, 127.5)'
  'math.deviation("abc", 10.0)' 'math.serial_correlation(0, 2000)'
  'math.serial_correlation("aaaa")' 'math.monte_carlo_pi(0, 3000)' 'math.monte_carlo_pi("abcdef")'
  'math.monte_carlo_pi("abc")' 'math.in_range(1.5, 1.0, 2.0)' 'math.in_range(3.0, 1.0, 2.0)'
  'math.min(3, 5)' 'math.max(-1, 5)' 'math.abs(-7)' 'math.count(0)' 'math.count(69, 0, 100)'
  'math.percentage(0)' 'math.percentage(76, 0, 64)' 'math.mode()' 'math.mode(0, 64)'
  'math.entropy(-1, 10)' 'math.mean(0, 0)' 'math.entropy(99999999, 10)'
  'hash.md5(0, 100)' 'hash.md5("")' 'hash.sha1(10, 1000)' 'hash.sha1("abc")'
  'hash.sha256(0, 99999999)' 'hash.sha256("abc")' 'hash.checksum32(0, 500)'
  'hash.checksum32("abc")' 'hash.crc32(0, 1000)' 'hash.crc32("hello")' 'hash.md5(5, -1)'
)
: >"$work/empty_file"
for f in /bin/true "$work/elf/e001" "$work/empty_file"; do
  {
    echo 'import "math"'; echo 'import "hash"'; echo 'import "console"'
    i=0
    for c in "${calls[@]}"; do
      i=$((i + 1)); printf 'rule r%d { condition: console.log("%s=", %s) }\n' $i "${c//\"/\\\"}" "$c"
    done
  } >"$work/calls.yar"
  yara "$work/calls.yar" "$f" 2>&1 | grep '=' >"$work/yara.out"
  "$tool" call "$f" "${calls[@]}" >"$work/ours.out" 2>&1
  if cmp -s "$work/yara.out" "$work/ours.out"; then
    ok "math and hash functions on $(basename "$f"): $(wc -l <"$work/ours.out") results identical"
  else not_ok "math and hash functions on $f" "$(diff "$work/yara.out" "$work/ours.out" | head -8)"; fi
done

# PE: a fixed sample of libwine's DLLs and EXEs (both architectures).
wine=/usr/lib/x86_64-linux-gnu/wine
if [ -d "$wine" ]; then
  mapfile -t pe_files < <(find "$wine" -type f \( -name '*.dll' -o -name '*.exe' \) | LC_ALL=C sort |
                          awk 'NR % 17 == 1' | head -40)
  compare_dumps "pe on libwine files" pe "${pe_files[@]}"
else
  not_ok "libwine is installed (scripts/install-deps)"
fi

# Crafted PE files: truncations of two libwine DLLs and corruptions of their headers, section
# table and directories.
mkdir -p "$work/pe"
python3 - "$work/pe" "$wine/x86_64-windows/version.dll" "$wine/i386-windows/version.dll" <<'PY'
import random, struct, sys
random.seed(1789)
out = sys.argv[1]
for n, path in enumerate(sys.argv[2:]):
    try: base = open(path, 'rb').read()
    except OSError: continue
    lfanew = struct.unpack_from('<I', base, 60)[0]
    for k in range(40):
        b = bytearray(base)
        mode = k % 4
        if mode == 0: b = b[:random.randint(0, min(len(b), 8192))]
        elif mode == 1:
            for _ in range(random.randint(1, 6)): b[random.randint(lfanew, lfanew + 0xf8)] = random.randint(0, 255)
        elif mode == 2:
            for _ in range(random.randint(1, 12)): b[random.randint(lfanew + 0xf8, min(len(b) - 1, lfanew + 0x200))] = random.randint(0, 255)
        else:
            for _ in range(random.randint(1, 30)): b[random.randint(0, len(b) - 1)] = random.randint(0, 255)
        open('%s/p%d_%02d' % (out, n, k), 'wb').write(b)
PY
# Two files with a delay-import table added in the padding after the section table.
python3 - "$work/pe" "$wine/x86_64-windows/version.dll" 0x500 "$wine/i386-windows/zlib1.dll" 0x340 <<'PY'
import struct, sys
out = sys.argv[1]
for n in range(2):
    src, base = sys.argv[2 + 2 * n], int(sys.argv[3 + 2 * n], 0)
    try: b = bytearray(open(src, 'rb').read())
    except OSError: continue
    if b[base:base + 0xa0] != bytes(0xa0): continue
    o = struct.unpack_from('<I', b, 60)[0] + 24
    is64 = struct.unpack_from('<H', b, o)[0] == 0x20b
    w, fmt, flag = (8, '<Q', 1 << 63) if is64 else (4, '<I', 1 << 31)
    name, iat, table, hint = base + 0x40, base + 0x50, base + 0x70, base + 0x90
    struct.pack_into('<8I', b, base, 1, name, 0, iat, table, 0, 0, 0)
    b[name:name + 13] = b'KERNEL32.dll\0'
    for i, v in enumerate([hint, flag | 5, 0]):
        struct.pack_into(fmt, b, table + i * w, v)
        struct.pack_into(fmt, b, iat + i * w, 1 if v else 0)
    b[hint + 2:hint + 15] = b'GetTickCount\0'
    struct.pack_into('<II', b, o + (112 if is64 else 96) + 13 * 8, base, 64)
    open('%s/delay%d' % (out, n), 'wb').write(bytes(b))
PY
# A file whose import table is replaced by imports by ordinal from WS2_32.dll and OLEAUT32.dll,
# which yara names from its ordinal tables.
python3 - "$work/pe" "$wine/x86_64-windows/version.dll" 0x500 <<'PY'
import struct, sys
out = sys.argv[1]
for n in range(1):
    src, base = sys.argv[2 + 2 * n], int(sys.argv[3 + 2 * n], 0)
    try: b = bytearray(open(src, 'rb').read())
    except OSError: continue
    if b[base:base + 0xe0] != bytes(0xe0): continue
    o = struct.unpack_from('<I', b, 60)[0] + 24
    is64 = struct.unpack_from('<H', b, o)[0] == 0x20b
    w, fmt, flag = (8, '<Q', 1 << 63) if is64 else (4, '<I', 1 << 31)
    dlls = [(b'WS2_32.dll', [115, 23, 999]), (b'OLEAUT32.dll', [2, 500])]
    for k, (name, ordinals) in enumerate(dlls):
        name_at, int_at, iat_at = base + 0x40 + 0x10 * k, base + 0x60 + 0x20 * k, base + 0xa0 + 0x20 * k
        b[name_at:name_at + len(name) + 1] = name + b'\0'
        for i, v in enumerate(ordinals + [0]):
            struct.pack_into(fmt, b, int_at + i * w, flag | v if v else 0)
            struct.pack_into(fmt, b, iat_at + i * w, flag | v if v else 0)
        struct.pack_into('<5I', b, base + 20 * k, int_at, 0, 0, name_at, iat_at)
    struct.pack_into('<II', b, o + (112 if is64 else 96) + 1 * 8, base, 60)
    open('%s/ordinals%d' % (out, n), 'wb').write(bytes(b))
PY
compare_dumps "pe on crafted files" pe "$work"/pe/*

# Signed PE files: version.dll signed by a fresh self-signed certificate, then given a nested
# SHA-1 signature by a second one (osslsigncode), so pe.signatures has one and two items.
if command -v osslsigncode >/dev/null && command -v openssl >/dev/null; then
  (
    cd "$work" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout k1.pem -out c1.pem -days 365 \
      -subj "/C=US/O=Vitrine Test/CN=vitrine signer" -set_serial 0x0102030405 2>/dev/null &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout k2.pem -out c2.pem -days 30 \
      -subj "/CN=second" -sha1 2>/dev/null &&
    osslsigncode sign -certs c1.pem -key k1.pem -in "$wine/x86_64-windows/version.dll" \
      -out pe/signed1 >/dev/null &&
    osslsigncode sign -nest -certs c2.pem -key k2.pem -h sha1 -in pe/signed1 -out pe/signed2 >/dev/null
  ) || not_ok "signing test files with osslsigncode"
  compare_dumps "pe on signed files" pe "$work/pe/signed1" "$work/pe/signed2"
else
  not_ok "osslsigncode and openssl are installed (scripts/install-deps)"
fi

# PE functions.
pe_calls=(
  'pe.imphash()' 'pe.is_dll()' 'pe.is_32bit()' 'pe.is_64bit()' 'pe.calculate_checksum()'
  'pe.rva_to_offset(4096)' 'pe.rva_to_offset(1)' 'pe.section_index(".text")'
  'pe.section_index(".data")' 'pe.section_index(1100)' 'pe.exports("GetFileVersionInfoA")'
  'pe.exports("nosuch")' 'pe.exports(3)' 'pe.exports_index("VerQueryValueW")'
  'pe.exports_index(2)' 'pe.imports("kernel32.dll")' 'pe.imports("KERNEL32.dll", "GetLastError")'
  'pe.imports("msvcrt.dll", "memcpy")' 'pe.imports(1, "kernel32.dll")' 'pe.imports(3, "kernel32.dll", "nosuch")'
  'pe.imports("ntdll.dll", 5)' 'pe.imports(2, "ntdll.dll", 5)' 'pe.locale(1033)' 'pe.language(9)'
  'pe.rich_signature.version(0)' 'pe.rich_signature.toolid(1, 2)'
  'pe.imports(2, "kernel32.dll", "GetTickCount")' 'pe.imports(1, "kernel32.dll", "GetTickCount")'
  'pe.imports(2, "KERNEL32.DLL", 5)' 'pe.imports(2, "kernel32.dll")' 'pe.imports(3, "kernel32.dll")'
  'pe.signatures[0].valid_on(1700000000)' 'pe.signatures[1].valid_on(4000000000)'
  'pe.imports("ws2_32.dll", "WSAStartup")' 'pe.imports("ws2_32.dll", 999)'
  'pe.imports("oleaut32.dll", "SysAllocString")' 'pe.imports("ws2_32.dll")'
  'pe.exports(/^Get.*A$/)' 'pe.exports_index(/File/)' 'pe.exports(/zzzq/)'
  'pe.imports(/kernel/, /^Get/)' 'pe.imports(3, /dll/, /Heap/)' 'pe.imports(2, /KERNEL/, /Tick/)'
)
for f in "$wine/x86_64-windows/version.dll" "$wine/x86_64-windows/kernel32.dll" "$work/pe/p0_01" \
         "$work/pe/delay0" "$work/pe/delay1" "$work/pe/signed2" "$work/pe/ordinals0"; do
  [ -f "$f" ] || continue
  {
    echo 'import "pe"'; echo 'import "console"'
    i=0
    for c in "${pe_calls[@]}"; do
      i=$((i + 1)); printf 'rule r%d { condition: console.log("%s=", %s) }\n' $i "${c//\"/\\\"}" "$c"
    done
  } >"$work/pe_calls.yar"
  yara "$work/pe_calls.yar" "$f" 2>&1 | grep '=' >"$work/yara.out"
  "$tool" call "$f" "${pe_calls[@]}" >"$work/ours.out" 2>&1
  if cmp -s "$work/yara.out" "$work/ours.out"; then
    ok "pe functions on $(basename "$f"): $(wc -l <"$work/ours.out") results identical"
  else not_ok "pe functions on $f" "$(diff "$work/yara.out" "$work/ours.out" | head -8)"; fi
done

# Rules that read the exports only through exports() and exports_index(), or only their count:
# the scanner builds the export objects only when a rule reads them (vitrine yara vs yara).
mkdir -p "$work/pe_exports_files"
ln -sf "$wine/x86_64-windows/version.dll" "$wine/x86_64-windows/kernel32.dll" "$work/pe_exports_files/"
cat >"$work/pe_exports.yar" <<'EOF'
import "pe"
rule by_name { condition: pe.exports("GetFileVersionInfoA") }
rule by_ordinal { condition: pe.exports(3) }
rule by_index { condition: pe.exports_index("VerQueryValueW") >= 0 }
rule by_regex { condition: pe.exports(/^Get.*A$/) }
EOF
printf 'import "pe"\nrule count_only { condition: pe.number_of_exports > 10 }\n' >"$work/pe_count.yar"
for rules in pe_exports pe_count; do
  yara -w "$work/$rules.yar" "$work/pe_exports_files" 2>&1 | LC_ALL=C sort >"$work/yara.out"
  "$VITRINE" yara -w "$work/$rules.yar" "$work/pe_exports_files" 2>&1 | LC_ALL=C sort >"$work/ours.out"
  if [ -s "$work/yara.out" ] && cmp -s "$work/yara.out" "$work/ours.out"; then
    ok "$rules.yar: $(wc -l <"$work/ours.out") matches as yara's"
  else not_ok "$rules.yar" "$(diff "$work/yara.out" "$work/ours.out" | head -8)"; fi
done

# Parts of pe built only for rules that read them (sections, resources, version_info, the
# constants, data_directories, import_details, export_details; the functions reading them
# directly): each probe alone in its own ruleset, printed by yara and by vitrine yara.
pe_probes=(
  'pe.imphash()' 'pe.imports("kernel32.dll")' 'pe.number_of_imported_functions'
  'pe.import_details[0].library_name' 'pe.import_details[0].functions[1].name'
  'pe.section_index(".text")' 'pe.section_index(4096)' 'pe.sections[1].name'
  'pe.sections[0].full_name' 'pe.overlay.size' 'pe.number_of_sections'
  'pe.locale(1033)' 'pe.language(9)' 'pe.number_of_resources' 'pe.resources[1].type'
  'pe.version_info["FileVersion"]' 'pe.version_info_list[1].value' 'pe.number_of_version_infos'
  'pe.MACHINE_AMD64' 'pe.machine + pe.MACHINE_I386' 'pe.IMAGE_DIRECTORY_ENTRY_RESOURCE'
  'pe.data_directories[2].size'
  'pe.data_directories[pe.IMAGE_DIRECTORY_ENTRY_EXPORT].virtual_address'
  'pe.export_details[3].name' 'pe.export_details[0].ordinal' 'pe.export_details[1].offset'
  'pe.number_of_exports' 'pe.exports(5)' 'pe.exports_index(/Query/)' 'pe.dll_name'
)
cp -L "$wine/x86_64-windows/notepad.exe" "$work/pe_exports_files/" 2>/dev/null
for f in delay0 ordinals0 p0_01; do [ -f "$work/pe/$f" ] && cp "$work/pe/$f" "$work/pe_exports_files/"; done
# One scanning thread (-p 1): with several, yara's threads print a rule's name, a log line and
# the path in separate writes that can interleave (seen under load: "p pe.data_directories[2]...").
probe_same=0 probe_first=""
for c in "${pe_probes[@]}"; do
  printf 'import "pe"\nimport "console"\nrule p { condition: console.log("%s=", %s) }\n' \
    "${c//\"/\\\"}" "$c" >"$work/probe.yar"
  yara -w -p 1 "$work/probe.yar" "$work/pe_exports_files" 2>&1 | LC_ALL=C sort >"$work/yara.out"
  "$VITRINE" yara -w -p 1 "$work/probe.yar" "$work/pe_exports_files" 2>&1 | LC_ALL=C sort >"$work/ours.out"
  if grep -q = "$work/yara.out" && cmp -s "$work/yara.out" "$work/ours.out"; then
    probe_same=$((probe_same + 1))
  else [ -z "$probe_first" ] && probe_first="$c: $(diff "$work/yara.out" "$work/ours.out" | head -6)"; fi
done
if [ "$probe_same" -eq "${#pe_probes[@]}" ]; then
  ok "pe parts read alone: ${#pe_probes[@]} probes print as yara's"
else not_ok "pe parts read alone: $probe_same of ${#pe_probes[@]} identical" "$probe_first"; fi

# Digests of data ranges are kept for the rest of a scan: three rules hash every icon resource
# of DLLs with hundreds of them, and a rule hashes 41 ranges twice (the second time from the
# kept digests); every digest printed by yara and by vitrine yara.
mkdir -p "$work/digest_files"
for f in shell32.dll comctl32.dll notepad.exe; do
  [ -f "$wine/x86_64-windows/$f" ] && ln -sf "$wine/x86_64-windows/$f" "$work/digest_files/"
done
{
  printf 'import "pe"\nimport "hash"\nimport "console"\n'
  for tag in a b c; do
    printf 'rule icons_%s { condition: for all i in (0..pe.number_of_resources - 1) : (pe.resources[i].type != pe.RESOURCE_TYPE_ICON or console.log("%s=", hash.md5(pe.resources[i].offset, pe.resources[i].length))) }\n' "$tag" "$tag"
  done
  printf 'rule ranges { condition: for all i in (0..40) : (console.log("r=", hash.sha1(i %% 7 * 3, 64 + i))) and for all i in (0..40) : (console.log("s=", hash.sha1(i %% 7 * 3, 64 + i))) }\n'
} >"$work/digests.yar"
yara -w -p 1 "$work/digests.yar" "$work/digest_files" 2>&1 | LC_ALL=C sort >"$work/yara.out"
"$VITRINE" yara -w -p 1 "$work/digests.yar" "$work/digest_files" 2>&1 | LC_ALL=C sort >"$work/ours.out"
if [ "$(grep -c '^c=' "$work/yara.out")" -gt 100 ] && cmp -s "$work/yara.out" "$work/ours.out"; then
  ok "digests kept for the scan: $(wc -l <"$work/ours.out") lines as yara's"
else not_ok "digests kept for the scan" "$(diff "$work/yara.out" "$work/ours.out" | head -8)"; fi

# Mach-O: the test binaries of Go's debug/macho package (golang-go), including a fat binary,
# and 60 truncations and corruptions of three of them.
macho_dir=$(ls -d /usr/share/go*/src/debug/macho/testdata 2>/dev/null | head -1)
if [ -n "$macho_dir" ]; then
  mkdir -p "$work/macho"
  for f in "$macho_dir"/*.base64; do base64 -d "$f" >"$work/macho/$(basename "$f" .base64)"; done
  compare_dumps "macho on Go's test binaries" macho "$work"/macho/*
  mkdir -p "$work/macho_crafted"
  python3 - "$work/macho_crafted" "$work/macho/gcc-386-darwin-exec" \
    "$work/macho/fat-gcc-386-amd64-darwin-exec" "$work/macho/gcc-amd64-darwin-exec" <<'PY'
import random, sys
random.seed(77)
out, srcs = sys.argv[1], sys.argv[2:]
for k in range(60):
    b = bytearray(open(srcs[k % 3], 'rb').read()); mode = k % 4
    if mode == 0: b = b[:random.randint(0, len(b))]
    elif mode == 1:
        for _ in range(random.randint(1, 8)): b[random.randint(0, min(len(b) - 1, 0x1000 + 64))] = random.randint(0, 255)
    elif mode == 2:
        for _ in range(random.randint(1, 4)):
            i = random.randint(4, min(len(b) - 4, 1100))
            b[i:i + 4] = random.choice([b'\0\0\0\0', b'\xff\xff\xff\xff', b'\x01\0\0\0', b'\x19\0\0\0', b'\x05\0\0\0'])
    else:
        for _ in range(random.randint(1, 40)): b[random.randint(0, len(b) - 1)] = random.randint(0, 255)
    open('%s/m%02d' % (out, k), 'wb').write(bytes(b))
PY
  compare_dumps "macho on crafted files" macho "$work"/macho_crafted/*
  macho_calls=('macho.file_index_for_arch(7)' 'macho.file_index_for_arch(16777223, 2147483651)'
               'macho.entry_point_for_arch(16777223)' 'macho.entry_point_for_arch(7, 3)'
               'macho.file_index_for_arch(12)')
  {
    echo 'import "macho"'; echo 'import "console"'
    i=0
    for c in "${macho_calls[@]}"; do
      i=$((i + 1)); printf 'rule r%d { condition: console.log("%s=", %s) }\n' $i "$c" "$c"
    done
  } >"$work/macho_calls.yar"
  f="$work/macho/fat-gcc-386-amd64-darwin-exec"
  yara "$work/macho_calls.yar" "$f" 2>&1 | grep '=' >"$work/yara.out"
  "$tool" call "$f" "${macho_calls[@]}" >"$work/ours.out" 2>&1
  if cmp -s "$work/yara.out" "$work/ours.out"; then
    ok "macho functions on a fat binary: $(wc -l <"$work/ours.out") results identical"
  else not_ok "macho functions" "$(diff "$work/yara.out" "$work/ours.out" | head -8)"; fi
else
  not_ok "Go's debug/macho test binaries are installed (golang-go, scripts/install-deps)"
fi

# magic: libmagic's answers for files of several kinds (and an empty one).
: >"$work/empty"
printf 'hello, world\n' >"$work/text"
gzip -c /bin/true >"$work/true.gz"
magic_files=(/bin/true "$wine/x86_64-windows/version.dll" "$work/text" "$work/empty" "$work/true.gz"
             /usr/share/go*/src/debug/macho/testdata/hello.c)
printf 'import "magic"\nimport "console"\nrule t { condition: console.log("type=", magic.type()) }\nrule m { condition: console.log("mime=", magic.mime_type()) }\n' >"$work/magic.yar"
magic_same=0 magic_total=0 magic_first=""
for f in "${magic_files[@]}"; do
  [ -f "$f" ] || continue
  magic_total=$((magic_total + 1))
  yara "$work/magic.yar" "$f" 2>&1 | grep '=' >"$work/yara.out"
  "$tool" call "$f" 'magic.type()' 'magic.mime_type()' | sed 's/^magic\.type()=/type=/; s/^magic\.mime_type()=/mime=/' >"$work/ours.out"
  if cmp -s "$work/yara.out" "$work/ours.out"; then magic_same=$((magic_same + 1))
  else [ -z "$magic_first" ] && magic_first="$f: $(diff "$work/yara.out" "$work/ours.out" | head -4)"; fi
done
if [ "$magic_total" -gt 0 ] && [ "$magic_same" -eq "$magic_total" ]; then
  ok "magic.type and magic.mime_type on $magic_total files identical"
else not_ok "magic on $magic_total files: $magic_same identical" "$magic_first"; fi

finish
