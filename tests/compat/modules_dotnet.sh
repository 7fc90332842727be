#!/usr/bin/env bash
# modules_dotnet.sh: differential test of the dotnet module against Debian's yara 4.2.3.
# - Data: `yara -D` against `modrt_tool dump` on every .NET assembly of Debian's Mono packages
#   (libmono-cecil-cil and what it depends on), on assemblies compiled here with mcs to hold what
#   those lack (manifest resources, a culture, string constants, module references, a typelib
#   GUID attribute, field RVAs; 32-bit DLL, 64-bit DLL, 32-bit executable), on a few targeted
#   edits (entry stub, CLI header, metadata magic and length, row counts around yara's limit,
#   truncations), and on 200 seeded mutations of five of them (100 in the sanitizer build)
#   aimed at the metadata header, the stream headers, the #~ header and row counts, the tables
#   and the heaps.
# - Rules: conditions on dotnet fields evaluated by `yara` and `vitrine yara` over all of them.
# Prints TAP.
set -u
source "$VITRINE_SOURCE_ROOT/tests/e2e/lib.sh"
tool="$VITRINE_BUILD_ROOT/tests/modrt_tool"
command -v yara >/dev/null || { not_ok "yara is installed (scripts/install-deps)"; finish; }
command -v mcs >/dev/null || { not_ok "mcs is installed (mono-mcs, scripts/install-deps)"; finish; }

source "$VITRINE_SOURCE_ROOT/tests/compat/dump_lib.sh"

# Debian's assemblies.
mapfile -t debian < <(find /usr/lib/mono-cecil /usr/lib/mono/4.5 /usr/lib/mono/gac -maxdepth 3 \
                        -type f \( -name '*.dll' -o -name '*.exe' \) 2>/dev/null | LC_ALL=C sort)
[ "${#debian[@]}" -ge 10 ] || not_ok "Debian's Mono assemblies are installed (libmono-cecil-cil)" \
  "found ${#debian[@]}"
compare_dumps "dotnet on Debian's Mono assemblies" dotnet "${debian[@]}"

# Assemblies compiled here.
mkdir -p "$work/cs" "$work/all"
cat >"$work/cs/a.cs" <<'EOF'
using System;
using System.Runtime.InteropServices;
[assembly: System.Reflection.AssemblyCulture("fr-FR")]
[assembly: System.Reflection.AssemblyVersion("1.2.3.4")]
[assembly: Guid("12345678-1234-1234-1234-123456789abc")]
public class Test {
  public const string Greeting = "hello constant";
  public const string Other = "\u00e9t\u00e9";
  public const string Empty = "";
  public const int Number = 5;
  static readonly int[] Table = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  [DllImport("kernel32.dll")] static extern int GetTickCount();
  [DllImport("user32")] static extern int MessageBox(IntPtr h, string a, string b, int c);
  public static void Run() { Console.WriteLine("user string \u2603"); Console.WriteLine(Table[3]); }
}
EOF
cat >"$work/cs/b.cs" <<'EOF'
using System;
public class Program {
  public const string A = "";
  public static void Main() { Console.WriteLine(""); Console.WriteLine("x"); }
}
EOF
(
  cd "$work/cs" || exit 1
  echo "resource one" >r1.txt
  head -c 3000 /bin/true >r2.bin
  mcs -nologo -target:library -out:a.dll -resource:r1.txt -resource:r2.bin,named.bin a.cs &&
  mcs -nologo -target:library -platform:x64 -out:a64.dll -resource:r1.txt a.cs &&
  mcs -nologo -out:b.exe b.cs
) >"$work/mcs.log" 2>&1 || not_ok "compiling test assemblies with mcs" "$(tail -3 "$work/mcs.log")"
compiled=("$work/cs/a.dll" "$work/cs/a64.dll" "$work/cs/b.exe")
compare_dumps "dotnet on assemblies compiled with mcs" dotnet "${compiled[@]}"

# Targeted edits: the 32-bit executable's entry stub and CLI header, the metadata header, row
# counts around yara's limit of 10000, truncations through the metadata.
mkdir -p "$work/edits"
python3 - "$work/edits" "$work/cs/b.exe" "$work/cs/a64.dll" <<'PY'
import struct, sys
out, exe, dll = sys.argv[1], open(sys.argv[2], 'rb').read(), open(sys.argv[3], 'rb').read()
def pe(b):
    lf = struct.unpack_from('<I', b, 60)[0]
    return lf, lf + 24
def edit(name, base, edits):
    c = bytearray(base)
    for off, data in edits: c[off:off + len(data)] = data
    open('%s/%s' % (out, name), 'wb').write(bytes(c))
lf, opt = pe(exe)
root = exe.find(b'BSJB')
cli = exe.find(struct.pack('<IHH', 72, 2, 5))
entry = struct.unpack_from('<I', exe, opt + 16)[0]
edit('entry_stub_gone', exe, [(exe.find(b'\xff\x25', root), b'\0\0')])
edit('entry_elsewhere', exe, [(opt + 16, struct.pack('<I', 0x2000))])
edit('entry_outside', exe, [(opt + 16, struct.pack('<I', 0x90000))])
edit('now_a_dll', exe, [(lf + 22, struct.pack('<H', struct.unpack_from('<H', exe, lf + 22)[0] | 0x2000)),
                        (exe.find(b'\xff\x25', root), b'\0\0')])
edit('cli_size_wrong', exe, [(cli, struct.pack('<I', 73))])
edit('metadata_magic', exe, [(root, b'BSJC')])
for n in (0, 13, 256, 252):
    edit('version_length_%d' % n, exe, [(root + 12, struct.pack('<I', n))])
edit('few_rva_and_sizes_32', exe, [(opt + 92, struct.pack('<I', 10))])
lf64, opt64 = pe(dll)
edit('few_rva_and_sizes_64', dll, [(opt64 + 108, struct.pack('<I', 13))])
droot = dll.find(b'BSJB')
vlen = struct.unpack_from('<I', dll, droot + 12)[0]
tilde = droot + struct.unpack_from('<I', dll, droot + 16 + vlen + 4)[0]
valid = struct.unpack_from('<Q', dll, tilde + 8)[0]
for k, rows in enumerate((9999, 10000, 10001, 0x10000, 0xFFFFFFFF)):
    edit('rows_%d' % rows, dll, [(tilde + 24 + 4 * (k % bin(valid).count('1')), struct.pack('<I', rows))])
edit('heap_sizes_all', dll, [(tilde + 6, bytes([dll[tilde + 6] | 0x47]))])
edit('param_ptr_table', dll, [(tilde + 8, struct.pack('<Q', valid | 1 << 7))])
for n in range(root - 8, len(exe), 97):
    open('%s/truncated_%05d' % (out, n), 'wb').write(exe[:n])
PY
compare_dumps "dotnet on targeted edits" dotnet "$work"/edits/*

# Seeded mutations.
per_file=40
[ "${VITRINE_SANITIZED:-0}" = 1 ] && per_file=20
mkdir -p "$work/mutated"
python3 - "$work/mutated" "$per_file" "$work/cs/a.dll" "$work/cs/a64.dll" "$work/cs/b.exe" \
  /usr/lib/mono-cecil/Mono.Cecil.Rocks.dll \
  /usr/lib/mono/gac/System.Numerics/4.0.0.0__b77a5c561934e089/System.Numerics.dll <<'PY'
import random, struct, sys
random.seed(20230)
out, per_file = sys.argv[1], int(sys.argv[2])
for n, path in enumerate(sys.argv[3:]):
    try: base = open(path, 'rb').read()
    except OSError: continue
    root = base.find(b'BSJB')
    vlen = struct.unpack_from('<I', base, root + 12)[0]
    at = root + 16 + vlen + 4
    streams = {}
    for i in range(base[root + 16 + vlen + 2]):
        off, size = struct.unpack_from('<II', base, at)
        name = base[at + 8:at + 40].split(b'\0')[0]
        streams[name] = (root + off, size, at)
        at += 8 + len(name) + 4 - len(name) % 4
    tilde = streams[b'#~'][0]
    valid = struct.unpack_from('<Q', base, tilde + 8)[0]
    nvalid = bin(valid).count('1')
    tables = tilde + 24 + 4 * nvalid
    def scramble(b, lo, hi, k):
        hi = min(hi, len(b) - 1)
        for _ in range(k):
            if hi > lo: b[random.randint(lo, hi)] = random.randint(0, 255)
    for k in range(per_file):
        b = bytearray(base)
        mode = k % 10
        if mode == 0: b = b[:random.randint(max(0, root - 200), len(b))]
        elif mode == 1: scramble(b, root, at, random.randint(1, 4))
        elif mode == 2: scramble(b, tilde, tables, random.randint(1, 3))
        elif mode == 3: scramble(b, tables, streams[b'#Strings'][0], random.randint(1, 10))
        elif mode == 4:
            for s in (b'#Strings', b'#US', b'#Blob', b'#GUID'):
                if s in streams: scramble(b, streams[s][0], streams[s][0] + streams[s][1], random.randint(0, 6))
        elif mode == 5: b[tilde + 6] ^= random.choice([1, 2, 4, 0x40, 7, 0x41])
        elif mode == 6: struct.pack_into('<Q', b, tilde + 8, valid | (1 << random.randint(0, 63)))
        elif mode == 7:
            struct.pack_into('<I', b, tilde + 24 + 4 * random.randint(0, nvalid - 1),
                             random.choice([0, 1, 0x3FFF, 0x4000, 0x10000, 10000, 10001, random.randint(0, 300)]))
        elif mode == 8:
            for s in streams.values():
                if random.random() < 0.5:
                    struct.pack_into('<I', b, s[2] + random.choice([0, 4]),
                                     random.choice([0, 1, 0xFFFFFFFF, len(b), random.randint(0, len(b) * 2)]))
        else: scramble(b, 0, len(b), random.randint(1, 40))
        open('%s/m%d_%02d' % (out, n, k), 'wb').write(bytes(b))
PY
compare_dumps "dotnet on mutated assemblies" dotnet "$work"/mutated/*

# Rules reading dotnet fields, through both scanners, over every file above.
cp "${debian[@]}" "${compiled[@]}" "$work/all/" 2>/dev/null
cp "$work"/edits/* "$work"/mutated/* "$work/all/"
cat >"$work/fields.yar" <<'EOF'
import "dotnet"
rule is_dotnet { condition: dotnet.is_dotnet == 1 }
rule not_dotnet { condition: dotnet.is_dotnet == 0 }
rule undefined_dotnet { condition: not defined dotnet.is_dotnet }
rule version_v4 { condition: dotnet.version == "v4.0.30319" }
rule module_dll { condition: dotnet.module_name matches /\.dll$/ }
rule five_streams { condition: dotnet.number_of_streams == 5 and dotnet.streams[0].name == "#~" }
rule stream_offsets { condition: for any i in (0..dotnet.number_of_streams - 1): (dotnet.streams[i].name == "#Blob" and dotnet.streams[i].offset > 4000) }
rule has_guid { condition: dotnet.number_of_guids > 0 and dotnet.guids[0] matches /^[0-9a-f]{8}-/ }
rule has_resources { condition: dotnet.number_of_resources > 0 }
rule resource_named { condition: for any i in (0..dotnet.number_of_resources - 1): (dotnet.resources[i].name == "named.bin" and dotnet.resources[i].length == 3000) }
rule refs_mscorlib { condition: for any i in (0..dotnet.number_of_assembly_refs - 1): (dotnet.assembly_refs[i].name == "mscorlib" and dotnet.assembly_refs[i].version.major == 4) }
rule token { condition: for any i in (0..dotnet.number_of_assembly_refs - 1): (dotnet.assembly_refs[i].public_key_or_token == "\xb7\x7a\x5c\x56\x19\x34\xe0") }
rule assembly_version { condition: dotnet.assembly.version.major == 1 and dotnet.assembly.version.revision_number == 4 }
rule culture { condition: dotnet.assembly.culture == "fr-FR" }
rule mscorlib_itself { condition: dotnet.assembly.name == "mscorlib" }
rule modulerefs { condition: for any m in (0..dotnet.number_of_modulerefs - 1): (dotnet.modulerefs[m] iequals "KERNEL32.DLL") }
rule user_string { condition: for any i in (0..dotnet.number_of_user_strings - 1): (dotnet.user_strings[i] == "u\x00s\x00e\x00r\x00 \x00s\x00t\x00r\x00i\x00n\x00g\x00 \x00\x03&") }
rule many_user_strings { condition: dotnet.number_of_user_strings > 1000 }
rule typelib { condition: dotnet.typelib == "12345678-1234-1234-1234-123456789abc" }
rule constants { condition: dotnet.number_of_constants > 2 and for any i in (0..dotnet.number_of_constants - 1): (dotnet.constants[i] == "") }
rule field_offsets { condition: dotnet.number_of_field_offsets > 0 and dotnet.field_offsets[0] > 0 }
EOF
yara -N -w -p 1 "$work/fields.yar" "$work/all" 2>&1 | LC_ALL=C sort >"$work/yara.out"
"$VITRINE" yara -N -w -p 1 "$work/fields.yar" "$work/all" 2>&1 | LC_ALL=C sort >"$work/ours.out"
if cmp -s "$work/yara.out" "$work/ours.out"; then
  ok "rules on dotnet fields over $(ls "$work/all" | wc -l) files: identical ($(wc -l <"$work/yara.out") matches, $(cut -d' ' -f1 "$work/yara.out" | sort -u | wc -l) rules firing)"
else
  not_ok "rules on dotnet fields differ from yara (< yara, > vitrine)" \
    "$(diff "$work/yara.out" "$work/ours.out" | grep '^[<>]' | head -n 8)"
fi
finish
