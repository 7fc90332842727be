/* scan_buffer.c: fuzz target for the whole scanning path on hostile files: matching (text, hex
 * with jumps and alternatives, regexes, nocase/wide/xor/base64/fullword, strings verified from
 * yara's atoms, literals searched through a shorter one, wide alternations joined with the
 * bytes around them, alternations of single bytes, single bytes apart by jumps; header gates,
 * their escapes and the strings they exclude), module loading
 * (pe, elf, math, hash), the entry point, and condition evaluation with loops over module data
 * and match offsets. The ruleset is compiled once; each input is one scanned file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <vitrine/rules.h>
#include <vitrine/scan.h>

static const char fuzz_rules[] =
    "import \"pe\"\n"
    "import \"elf\"\n"
    "import \"math\"\n"
    "import \"hash\"\n"
    "rule text { strings: $a = \"This program\" nocase wide ascii $b = \"PE\" fullword\n"
    "  $c = \"kernel32\" xor(1-255) $d = \"http://\" base64\n"
    "  condition: (uint16(0) == 0x5a4d and any of them) or $d }\n"
    "rule shared { strings: $p = \"GetProcAddress\" ascii wide $q = \"procaddr\" nocase\n"
    "  $o = { 47 65 74 50 72 6F 63 ?? 64 64 } condition: #p > 0 or #q > 1 or $o }\n"
    "rule hex { strings: $h = { 4D 5A [2-64] 50 45 00 00 ( 4C 01 | 64 86 ) ?? ?? }\n"
    "  $n = { E8 ?? ?? ?? ?? 5? [0-8] C3 } $c = { 00 ( 43 | 63 ) [0-1] ( 4D | 6D ) [0-1] ( 44 | 6? ) }\n"
    "  $p = { ( 50 | 70 ) [0-1] ( 4F | 6F ) [0-1] ( 57 | 77 ) [0-1] ( 45 | 65 ) [0-1] ( 52 | 72 ) }\n"
    "  condition: $h or #n > 2 or $c or $p }\n"
    "rule re { strings: $r = /[a-z0-9._%+-]{3,20}@[a-z0-9.-]+\\.[a-z]{2,4}/ nocase\n"
    "  $s = /(GET|POST) \\/[^ ]{0,64} HTTP\\/1\\.[01]/\n"
    "  $t = /([0-9a-f]{1,4}:){1,7}:|::([0-9a-f]{1,4}:){0,2}[0-9a-f]{1,4}|[^B]?\\w\\W/i wide ascii\n"
    "  $x = /\\.(txt|rtf|doc|xls|xlsx|png|pdf|pem|asc|ppk|rdp|zip|sql|ovpn|kdbx|conf|key|json)\\b/\n"
    "  condition: $r or $s or #t > 1 or #x > 2 }\n"
    /* rules of other file types, which the MZ header gate excludes (one of them with an
     * escape, which has a file with MZ scanned again for every string) */
    "rule elf_strings { strings: $e = \"GLIBC_2.\" $f = /\\.so\\.[0-9]+/\n"
    "  condition: uint32(0) == 0x464c457f and any of them }\n"
    "rule ole_strings { strings: $g = \"Root Entry\" wide $k = \"WordDocument\" wide\n"
    "  condition: (uint32be(0) == 0xd0cf11e0 and $g) or $k }\n"
    "rule pe_walk { condition: pe.number_of_sections > 0 and\n"
    "  for any i in (0 .. pe.number_of_sections - 1) : ( pe.sections[i].name contains \"text\"\n"
    "    and math.entropy(pe.sections[i].raw_data_offset, pe.sections[i].raw_data_size) > 1.0 )\n"
    "  or pe.imports(\"kernel32.dll\") or pe.exports(\"main\") }\n"
    "rule elf_walk { condition: elf.number_of_sections > 0 and\n"
    "  for any s in elf.sections : ( s.name == \".text\" ) }\n"
    "rule offsets { strings: $z = { 00 00 00 00 } condition:\n"
    "  for any i in (1 .. #z) : ( @z[i] + !z[i] == uint32(@z[i] % (filesize + 1)) ) }\n"
    /* regexes whose atom lies past their start, over runs longer than the 4096-byte scan
     * limit (corpus long_run*): the DFA's memo path once overflowed there */
    "rule long_run { strings: $l = /[a-z]{3}defg.+q/ $m = /pop\\(\\)\\..+\\s*=\\s*.+pop\\(\\)/\n"
    "  condition: any of them }\n"
    "rule misc { condition: entrypoint >= 0 and hash.md5(0, 64) != \"x\" and\n"
    "  uint16be(filesize - 2) != 0xffff }\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt_ruleset *rules;
static vt_scanner *scanner;
static vt_scan_ctx *ctx;

static void setup(void)
{
    vt_error err;
    vt_compiler *compiler = NULL;
    if (vt_compiler_new(&compiler, &err) != VT_OK ||
        vt_compiler_add_source(compiler, NULL, "fuzz.yar", fuzz_rules, sizeof fuzz_rules - 1,
                               &err) != VT_OK ||
        vt_compiler_finish(compiler, &rules, &err) != VT_OK ||
        vt_scanner_new(rules, &scanner, &err) != VT_OK ||
        vt_scan_ctx_new(scanner, NULL, &ctx, &err) != VT_OK) {
        fprintf(stderr, "fuzz scan_buffer: setup failed: %s\n", err.message);
        abort();
    }
    vt_compiler_free(compiler);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx)
        setup();
    vt_error err;
    vt_scan_buffer(ctx, data, size, &err);
    return 0;
}
