#!/usr/bin/env python3
"""strings_differential.py: vitrine's string matching against yara 4.2.3 on generated rules and data.

Each batch is one rule file of random rules (text strings with every modifier combination yara
accepts: nocase, wide, ascii, fullword, private, xor with ranges, base64 and base64wide with
custom alphabets and wide; hex strings with jumps, alternatives and nibbles; regexes) and a
directory of random files (0 to a few KB) in which instances of those strings are planted where
matchers go wrong: offset 0, ending at the last byte, both sides of 64-byte and 4 KB boundaries,
overlapping each other, several times. A case is one rule over one file. For each batch the full
output of `yara -s -w RULES DIR` must equal `vitrine yara -s -w RULES DIR` (blocks compared as
sets, since the order of files is the walk's), and `vitrine scan` must find the same rules.
A difference is shrunk (other rules, other strings, then the data) and printed as a minimal
reproduction.

    strings_differential.py [--seed S] [--count N] [--rules R] [--files F] [--quiet] [--chained]

Prints TAP: one line per batch. Environment: VITRINE (the binary), YARA (default yara).
"""
import argparse
import base64
import os
import random
import shutil
import subprocess
import sys
import tempfile

VITRINE = os.environ.get("VITRINE", "vitrine")
YARA = os.environ.get("YARA", "yara")
MATCHED = 0  # cases (rule x file) yara reported as matching
# Strings yara splits into chained strings (hex strings at unbounded jumps, regexes at a lazy
# .{n,m}? with m - n > 200), whose pieces are matched apart, with no overall scan limit and, in
# a regex, `.` matching newlines in the gap: vitrine matches them as one pattern (a known
# difference, docs/patterns.md); generated only with --chained.
CHAINED = False
STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


# ---- strings -------------------------------------------------------------------------------

def text_source(value):
    """A YARA text string literal for the bytes `value`."""
    out = []
    for b in value:
        c = chr(b)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x09:
            out.append("\\t")
        else:
            out.append("\\x%02x" % b)
    return '"' + "".join(out) + '"'


def wide(data):
    return bytes(x for b in data for x in (b, 0))


class TextString:
    def __init__(self, rng):
        kind = rng.random()
        n = rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 12, 20, 40, 70])  # factors keep 32 bytes
        if kind < 0.6:
            pool = b"abcdefghijklmnopqrstuvwxyz"
        elif kind < 0.8:
            pool = b"abcXYZ019 _-.:/\\\"'"
        else:
            pool = bytes(range(256))
        self.value = bytes(rng.choice(pool) for _ in range(n))
        mods = []
        b64 = rng.random() < 0.2 and n >= 3
        self.ascii = self.wide = False
        self.nocase = self.fullword = False
        self.xor = None
        self.b64 = self.b64wide = False
        self.alphabet = STD_ALPHABET
        if b64:
            self.b64 = rng.random() < 0.7
            self.b64wide = not self.b64 or rng.random() < 0.3
            alpha = None
            if rng.random() < 0.3:
                chars = list(STD_ALPHABET)
                rng.shuffle(chars)
                self.alphabet = "".join(chars)
                alpha = '("%s")' % self.alphabet.replace("\\", "\\\\")
            if self.b64:
                mods.append("base64" + (alpha or ""))
            if self.b64wide:
                mods.append("base64wide" + (alpha or ""))
        else:
            if rng.random() < 0.25:
                self.nocase = True
                mods.append("nocase")
            elif rng.random() < 0.25:
                lo = rng.choice([0, 0, 1, 0x20, 0xF0])
                hi = rng.choice([lo, min(255, lo + rng.randrange(1, 40)), 255])
                form = rng.random()
                if form < 0.3:
                    mods.append("xor")
                    self.xor = (0, 255)
                elif form < 0.5:
                    mods.append("xor(%d)" % lo)
                    self.xor = (lo, lo)
                else:
                    mods.append("xor(%d-%d)" % (lo, hi))
                    self.xor = (lo, hi)
            if rng.random() < 0.2:
                self.fullword = True
                mods.append("fullword")
        r = rng.random()
        if r < 0.3:
            self.wide = True
            mods.append("wide")
        elif r < 0.5:
            self.wide = self.ascii = True
            mods += ["wide", "ascii"] if rng.random() < 0.5 else ["ascii", "wide"]
        elif r < 0.6:
            self.ascii = True
            mods.append("ascii")
        if not self.wide:
            self.ascii = True
        if rng.random() < 0.1:
            mods.append("private")
        rng.shuffle(mods)
        self.source = text_source(self.value) + "".join(" " + m for m in mods)

    def instance(self, rng):
        v = bytearray(self.value)
        if self.nocase:
            for i, b in enumerate(v):
                if rng.random() < 0.5 and chr(b).isalpha() and b < 0x80:
                    v[i] = ord(chr(b).swapcase())
        forms = (["a"] if self.ascii else []) + (["w"] if self.wide else [])
        form = rng.choice(forms)
        if self.b64 or self.b64wide:
            text = wide(bytes(v)) if form == "w" else bytes(v)
            pre = bytes(rng.randrange(256) for _ in range(rng.randrange(3)))
            post = bytes(rng.randrange(256) for _ in range(rng.randrange(3)))
            enc = base64.b64encode(pre + text + post).decode()
            enc = enc.translate(str.maketrans(STD_ALPHABET, self.alphabet))
            out = enc.encode()
            use_wide = self.b64wide and (not self.b64 or rng.random() < 0.5)
            return wide(out) if use_wide else out
        out = wide(bytes(v)) if form == "w" else bytes(v)
        if self.xor:
            k = rng.randint(*self.xor)
            out = bytes(b ^ k for b in out)
        return out


class HexString:
    def __init__(self, rng):
        self.tokens = []  # ('b', byte) | ('n', hi_or_None, lo_or_None) | ('j', lo, hi) | ('alt', [[tokens]])
        n = rng.randrange(2, 9)
        for i in range(n):
            r = rng.random()
            first_or_last = i == 0 or i == n - 1
            if first_or_last or r < 0.5:
                self.tokens.append(("b", rng.choice([rng.randrange(256), 0x4D, 0x5A, 0x00, 0x90, 0x61])))
            elif r < 0.62:
                self.tokens.append(("n", None, None))
            elif r < 0.72:
                if rng.random() < 0.5:
                    self.tokens.append(("n", rng.randrange(16), None))
                else:
                    self.tokens.append(("n", None, rng.randrange(16)))
            elif r < 0.85 and self.tokens[-1][0] != "j":
                lo = rng.randrange(0, 6)
                hi = lo + rng.choice([0, 1, 3, 8])
                if rng.random() < 0.08:  # a long jump, under yara's chaining threshold (200)
                    lo = rng.randrange(0, 40)
                    hi = lo + rng.choice([20, 60, 150, 200])
                if hi == 0:  # yara: "invalid jump length"
                    hi = 1
                if CHAINED and rng.random() < 0.1:
                    hi = None  # [lo-]: unbounded, yara splits the string into a chain
                self.tokens.append(("j", lo, hi))
            else:
                alts = []
                for _ in range(rng.randrange(2, 4)):
                    alts.append([("b", rng.randrange(256)) for _ in range(rng.randrange(1, 4))])
                if rng.random() < 0.3:
                    alts[-1].append(("n", None, None))
                    alts[-1].append(("b", rng.randrange(256)))
                elif rng.random() < 0.3:  # ( 43 | 63 | 4? ): one byte each, a set of bytes
                    alts = [[("b", rng.randrange(256)) if rng.random() < 0.7
                             else ("n", rng.randrange(16), None)] for _ in alts]
                self.tokens.append(("alt", alts))
        self.private = rng.random() < 0.1
        self.source = "{ " + " ".join(self._tok(t) for t in self.tokens) + " }" + (
            " private" if self.private else "")

    @staticmethod
    def _tok(t):
        if t[0] == "b":
            return "%02X" % t[1]
        if t[0] == "n":
            return ("?" if t[1] is None else "%X" % t[1]) + ("?" if t[2] is None else "%X" % t[2])
        if t[0] == "j":
            if t[2] is None:
                return "[%d-]" % t[1]
            return "[%d]" % t[1] if t[1] == t[2] else "[%d-%d]" % (t[1], t[2])
        return "( " + " | ".join(" ".join(HexString._tok(x) for x in a) for a in t[1]) + " )"

    def _emit(self, rng, toks, out):
        for t in toks:
            if t[0] == "b":
                out.append(t[1])
            elif t[0] == "n":
                hi = rng.randrange(16) if t[1] is None else t[1]
                lo = rng.randrange(16) if t[2] is None else t[2]
                out.append(hi << 4 | lo)
            elif t[0] == "j":
                hi = t[1] + 40 if t[2] is None else t[2]
                out.extend(rng.randrange(256) for _ in range(rng.randint(t[1], hi)))
            else:
                self._emit(rng, rng.choice(t[1]), out)

    def instance(self, rng):
        out = []
        self._emit(rng, self.tokens, out)
        return bytes(out)


class RegexString:
    LIT = "abcdefxyz019_-"

    def __init__(self, rng):
        self.parts = []  # (source, generator)
        lazy = rng.random() < 0.3  # yara refuses greedy and lazy quantifiers in one regex
        n = rng.randrange(2, 6)
        # yara refuses a regex needing more than 128 split ids (an alternative but the last
        # takes one): the wide alternations of one regex share 100 branches
        branch_budget = 100
        for i in range(n):
            r = rng.random()
            if r < 0.45 or i == 0:
                c = rng.choice(self.LIT)
                piece = (c, lambda rng, c=c: c.encode())
            elif r < 0.55:
                piece = ("[a-d]", lambda rng: bytes([rng.randrange(0x61, 0x65)]))
            elif r < 0.62:
                piece = ("\\d", lambda rng: str(rng.randrange(10)).encode())
            elif r < 0.68:
                piece = ("\\w", lambda rng: rng.choice(b"aZ0_").to_bytes(1, "little"))
            elif r < 0.72:
                piece = (".", lambda rng: bytes([rng.choice(b"q.#x")]))
            elif r < 0.75:
                # a long gap; yara chains a regex at a lazy .{n,m}? with m - n > 200 too
                hi = rng.choice([8, 40, 300] if CHAINED or not lazy else [8, 40, 200])
                piece = (".{0,%d}%s" % (hi, "?" if lazy else ""),
                         lambda rng, hi=hi: bytes(rng.choice(b"q#x ") for _ in range(rng.randint(0, hi))))
            elif r < 0.85:
                lo = rng.randrange(0, 3)
                hi = max(1, lo + rng.randrange(0, 4))  # yara: x{0} is a "bad repeat interval"
                if lo == 0 and rng.random() < 0.7:
                    lo = 1
                c = rng.choice(self.LIT[:6])
                src = "%s{%d,%d}" % (c, lo, hi) if rng.random() < 0.7 or lo == 0 else "%s{%d}" % (c, lo)
                if src.endswith("{%d}" % lo):
                    hi = lo
                if lazy:  # x{n}? too: yara counts x{n} as greedy
                    src += "?"
                piece = (src, lambda rng, c=c, lo=lo, hi=hi: c.encode() * rng.randint(lo, hi))
            elif r < 0.88:
                a, b = rng.choice(self.LIT), rng.choice(self.LIT)
                a2 = a + rng.choice(self.LIT)
                piece = ("(%s|%s)" % (a2, b), lambda rng, a2=a2, b=b: rng.choice([a2, b]).encode())
            elif r < 0.92:
                # a wide alternation, as in \.(txt|doc|...|json): its branches' runs join the
                # literals around it; a branch may repeat (then its length is not fixed)
                count = rng.randint(3, 24) if rng.random() < 0.8 else rng.randint(60, 90)
                count = max(2, min(count, branch_budget))
                branch_budget -= count
                branches = ["".join(rng.choice(self.LIT[:9]) for _ in range(rng.randint(1, 4)))
                            for _ in range(count)]
                srcs, gens = [], []
                for br in branches:
                    if rng.random() < 0.1:
                        srcs.append(br + ("+?" if lazy else "+"))
                        gens.append(lambda rng, br=br: (br + br[-1] * rng.randint(0, 3)).encode())
                    else:
                        srcs.append(br)
                        gens.append(lambda rng, br=br: br.encode())
                piece = ("(%s)" % "|".join(srcs), lambda rng, gens=gens: rng.choice(gens)(rng))
            else:
                c = rng.choice("xyz")
                q = rng.choice(["+", "*", "?"])
                piece = (c + q + ("?" if lazy else ""), lambda rng, c=c, q=q: c.encode() * (
                    rng.randint(1 if q == "+" else 0, 1 if q == "?" else 5)))
            self.parts.append(piece)
        if self.parts[-1][0][-1] in "*?+}" or self.parts[-1][0].endswith(")"):
            c = rng.choice(self.LIT)
            self.parts.append((c, lambda rng, c=c: c.encode()))
        # assertions: the start of the data, its end, word boundaries
        r = rng.random()
        if r < 0.06:
            self.parts.insert(0, ("^", lambda rng: b""))
        elif r < 0.12:
            self.parts.insert(0, ("\\b", lambda rng: b""))
        r = rng.random()
        if r < 0.06:
            self.parts.append(("$", lambda rng: b""))
        elif r < 0.12:
            self.parts.append(("\\b", lambda rng: b""))
        mods = []
        self.nocase = rng.random() < 0.15
        flags = "i" if self.nocase else ""
        r = rng.random()
        self.wide = r < 0.3
        self.ascii = not self.wide or r < 0.15
        if self.wide:
            mods.append("wide")
        if self.wide and r < 0.15:
            mods.append("ascii")
        if rng.random() < 0.1:
            mods.append("fullword")
        if rng.random() < 0.1:
            mods.append("private")
        if rng.random() < 0.1:
            mods.append("nocase")
            self.nocase = True
        self.source = "/" + "".join(p[0] for p in self.parts) + "/" + flags + "".join(
            " " + m for m in mods)

    def instance(self, rng):
        out = b"".join(p[1](rng) for p in self.parts)
        if self.nocase:
            out = bytes(ord(chr(b).swapcase()) if rng.random() < 0.5 and chr(b).isalpha() else b
                        for b in out)
        if self.wide and (not self.ascii or rng.random() < 0.5):
            out = wide(out)
        return out


def make_string(rng):
    r = rng.random()
    if r < 0.55:
        return TextString(rng)
    if r < 0.8:
        return HexString(rng)
    return RegexString(rng)


# Header requirements: each requires "MZ" (or "M") at offset 0 but the last five.
# "uint16(1) == 0x905a" fixes other bytes; the last four rule "MZ" out (ELF, OLE): where "MZ" is
# the matcher's gate, their strings are not searched in files with it (excluded strings).
HEADERS = ["uint16(0) == 0x5a4d", "uint16(0) == 0x5A4D", "0x5a4d == uint16(0)",
           "uint16be(0) == 0x4d5a", "uint8(0) == 0x4d and uint8(1) == 0x5a",
           "uint32(0) == 0x00905a4d", "uint16(0) == 0x5a4d and uint8(2) == 0x90",
           "uint8(0) == 0x4d", "uint16(1) == 0x905a", "uint16(0) == 0x457f",
           "uint32(0) == 0x464c457f", "uint32be(0) == 0xd0cf11e0", "uint8(0) == 0x7f"]


class Rule:
    # the strings of the batch's earlier rules: real sets repeat strings in many rules, and the
    # matcher verifies identical strings once (lib/match/matcher.c, twins)
    made = []

    def __init__(self, rng, name, headed=0.6):
        self.name = name
        if name == "r0":
            Rule.made = []
            # the size bounds of a batch's rules (files are generated beside them)
            Rule.bounds = rng.choice([[1, 64, 130], [64, 300], [300, 3000], [130, 4096],
                                      [1, 64, 130, 300, 3000, 4096, 8190, 2 << 20]])
        self.strings = [rng.choice(Rule.made) if Rule.made and rng.random() < 0.1
                        else make_string(rng) for _ in range(rng.choice([1, 1, 2, 2, 3, 4]))]
        Rule.made.extend(self.strings)
        r = rng.random()
        n = len(self.strings)
        if r < 0.45:
            self.cond = "any of them"
        elif r < 0.49:
            self.cond = "%d of them" % rng.randint(1, n)
        elif r < 0.52:
            self.cond = "%d%% of them" % rng.choice([1, 50, 100])
        elif r < 0.55:
            self.cond = rng.choice(["(#s0 > 1 or $s%d) and (true or any of them)" % (n - 1),
                                    "#s0 == 1 and (true or any of them)",
                                    "not $s0 and any of them"])
        elif r < 0.65:
            self.cond = "all of them"
        elif r < 0.75:
            self.cond = "#s0 >= 2 and any of them"
        elif r < 0.85:
            self.cond = "$s0 at %d and any of them" % rng.choice([0, 1, 62, 63, 64, 4095, 4096])
        elif r < 0.92:
            self.cond = "for any i in (1..#s%d) : (@s%d[i] >= 60) and any of them" % (
                (n - 1,) * 2)
        else:
            self.cond = "$s0 in (%d..%d) and any of them" % (0, rng.choice([10, 64, 100, 5000]))
        # a condition that holds without any match (the scanner evaluates it even where none of
        # the rule's strings matched; lib/cond/gate.c vt_cond_rules_needing_match)
        if rng.random() < 0.08:
            self.cond = "(%s) or filesize %s %d" % (self.cond, rng.choice("<>"),
                                                    rng.choice([3, 64, 3000]))
        # many rules of real sets are written for small files (`filesize < 200KB and ...`),
        # some with the comparison mirrored
        if rng.random() < 0.3:
            bound = rng.choice(Rule.bounds)
            self.cond = rng.choice(["filesize < {b} and ({c})", "({c}) and filesize <= {b}",
                                    "{b} > filesize and ({c})", "({c}) and {b} >= filesize",
                                    "({c}) and (filesize < {b} or filesize == 7)",
                                    "{b} < filesize and ({c})", "({c}) and {b} <= filesize"]).format(
                                        b=bound, c=self.cond)
        # most rules of real sets require a file header first: the matcher then skips their
        # strings in files without it (a second Vectorscan database, lib/match/matcher.c)
        if rng.random() < headed:
            self.cond = "%s and (%s)" % (rng.choice(HEADERS), self.cond)
            # ... or a match of some strings instead (`or all of them`, common in real sets):
            # the matcher searches one of them (an escape) in files without the header, and the
            # rest only where it is found (lib/cond/gate.c)
            e = rng.random()
            if e < 0.25:
                self.cond = "(%s) or %s" % (self.cond, rng.choice(
                    ["all of them", "$s0", "any of them", "all of them in (0..%d)" %
                     rng.choice([3, 64, 5000]), "$s%d at 0" % (n - 1)]))

    def source(self, keep=None):
        idx = [i for i in range(len(self.strings)) if keep is None or i in keep]
        strings = " ".join("$s%d = %s" % (i, self.strings[i].source) for i in idx)
        cond = self.cond if keep is None else "any of them"
        return "rule %s { strings: %s condition: %s }\n" % (self.name, strings, cond)


# ---- data ------------------------------------------------------------------------------------

def make_data(rng, rules):
    length = rng.choice([0, 1, 2, 3, rng.randrange(4, 64), rng.randrange(60, 70),
                         rng.randrange(120, 136), rng.randrange(60, 300), rng.randrange(300, 3000),
                         rng.randrange(4080, 4112), rng.randrange(8180, 8200),
                         # beside a size bound of the rules, and beside the largest
                         max(0, min(rng.choice(Rule.bounds), 9000) + rng.choice([-1, 0, 1])),
                         max(0, min(max(Rule.bounds), 9000) + rng.choice([-1, 0, 1]))])
    fill = rng.random()
    if fill < 0.3:
        data = bytearray(rng.randrange(256) for _ in range(length))
    elif fill < 0.5:
        data = bytearray(rng.choice(b"x") for _ in range(length))
    elif fill < 0.7:
        data = bytearray(rng.choice(b"abcdefxyz \n0123") for _ in range(length))
    elif fill < 0.85:
        data = bytearray(length)
    else:
        data = bytearray(rng.choice(b"AZaz09+/=") for _ in range(length))
    # every string of one rule somewhere in some files, which have no header then: its
    # `or all of them` holds without one
    # (or "MZ" or ELF, which one of the rule's escapes can match without: an ELF or OLE rule's
    # escape found in a file with "MZ" has every string searched there)
    whole = rng.choice(rules) if rng.random() < 0.3 else None
    if rng.random() < 0.45 and not whole:  # a header, whole or cut short (1-3 byte files too)
        head = rng.choice([b"MZ\x90\x00", b"MZ", b"M", b"\x7fE", b"MZ\x91", b"\x7fELF",
                           b"\xd0\xcf\x11\xe0"])
        data[:min(len(data), len(head))] = head[:len(data)]
    if whole and data[:1] == b"M":
        data[0] = 0x4e
    if whole and rng.random() < 0.3:
        head = rng.choice([b"MZ\x90\x00", b"\x7fELF"])
        data[:min(len(data), len(head))] = head[:len(data)]
    plants = []
    planned = [(whole, st) for st in whole.strings] if whole else []
    for _ in range(rng.choice([0, 2, 3, 4, 6, 8, 12]) + len(planned)):
        rule, s = planned.pop() if planned else (None, None)
        if rule is None:
            rule = rng.choice(rules)
            s = rng.choice(rule.strings)
        inst = s.instance(rng)
        if not inst or len(inst) > len(data):
            continue
        L = len(inst)
        choices = [0, len(data) - L]
        for boundary in (64, 128, 4096, 8192):
            if boundary <= len(data):
                choices += [boundary - L + d for d in (-1, 0, 1)] + [boundary + d for d in (-1, 0, 1)]
        if plants:
            p = rng.choice(plants)
            choices += [p + d for d in (-2, -1, 1, 2, L)]
        choices.append(rng.randrange(0, len(data) - L + 1))
        pos = rng.choice(choices)
        pos = max(0, min(len(data) - L, pos))
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if pos + L > len(data):
                break
            data[pos:pos + L] = inst
            plants.append(pos)
            pos += rng.choice([L, L + 1, 1, 7])
    return bytes(data)


# ---- running ---------------------------------------------------------------------------------

def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")


def blocks(output):
    """yara -s output as a set of blocks: (rule, path, tuple of string lines)."""
    result = set()
    cur = None
    lines = []
    for line in output.splitlines():
        if line.startswith("0x") and cur is not None:
            lines.append(line)
            continue
        if cur is not None:
            result.add((cur[0], cur[1], tuple(lines)))
        rule, _, path = line.partition(" ")
        cur, lines = (rule, path), []
    if cur is not None:
        result.add((cur[0], cur[1], tuple(lines)))
    return result


def compare(rules_path, target):
    """Differences between yara and vitrine for rules over target (file or directory):
    (list of (key, yara block, vitrine block), scan differences, error text)."""
    yc, yout, yerr = run([YARA, "-s", "-w", rules_path, target])
    vc, vout, verr = run([VITRINE, "yara", "-s", "-w", rules_path, target])
    if yc != 0 or vc != 0:
        return None, None, "exit yara %d vitrine %d\nyara: %s\nvitrine: %s" % (
            yc, vc, yerr.strip()[:2000], verr.strip()[:2000])
    yb, vb = blocks(yout), blocks(vout)
    global MATCHED
    MATCHED += len(yb)
    ykeys = {(b[0], b[1]): b for b in yb}
    vkeys = {(b[0], b[1]): b for b in vb}
    diffs = []
    for key in sorted(set(ykeys) | set(vkeys)):
        if ykeys.get(key) != vkeys.get(key):
            diffs.append((key, ykeys.get(key), vkeys.get(key)))
    # -n -s lists the rules that do not match, with their strings' matches: those of rules
    # whose header the file lacks too (the matcher must search them then)
    yc, yout, yerr = run([YARA, "-n", "-s", "-w", rules_path, target])
    vc, vout, verr = run([VITRINE, "yara", "-n", "-s", "-w", rules_path, target])
    if yc != 0 or vc != 0:
        return None, None, "-n: exit yara %d vitrine %d\nyara: %s\nvitrine: %s" % (
            yc, vc, yerr.strip()[:2000], verr.strip()[:2000])
    ynot = {(b[0], b[1]): b for b in blocks(yout)}
    vnot = {(b[0], b[1]): b for b in blocks(vout)}
    for key in sorted(set(ynot) | set(vnot)):
        if ynot.get(key) != vnot.get(key):
            diffs.append((("-n",) + key, ynot.get(key), vnot.get(key)))
    sc, sout, serr = run([VITRINE, "scan", "-S", "-j", "1", "--rules", rules_path, target])
    if sc not in (0, 1):
        return None, None, "vitrine scan exit %d: %s" % (sc, serr.strip()[:2000])
    found = set()
    for line in sout.splitlines():
        if line.endswith(" FOUND"):
            path, _, rule = line[:-len(" FOUND")].rpartition(": ")
            found.add((rule, path))
    scan_diffs = sorted(set(ykeys) ^ found)
    return diffs, scan_diffs, None


def differs(tmp, rules_text, data):
    rp = os.path.join(tmp, "shrink.yar")
    dp = os.path.join(tmp, "shrink.bin")
    with open(rp, "w") as f:
        f.write(rules_text)
    with open(dp, "wb") as f:
        f.write(data)
    diffs, scan_diffs, error = compare(rp, dp)
    return error is None and bool(diffs or scan_diffs)


def shrink(tmp, rules, rule_name, data):
    """A small rule set and data that still differ."""
    target = next(r for r in rules if r.name == rule_name)
    others = [r for r in rules if r is not target]

    def text(keep_rules, keep_strings):
        return "".join(r.source() for r in keep_rules) + target.source(keep_strings)

    keep_strings = None
    if not differs(tmp, text(others, None), data):
        return None
    # other rules: drop halves, then one at a time
    chunk = len(others)
    while chunk >= 1 and others:
        i = 0
        while i < len(others):
            trial = others[:i] + others[i + chunk:]
            if differs(tmp, text(trial, keep_strings), data):
                others = trial
            else:
                i += chunk
        chunk //= 2
    # the target's strings (condition becomes `any of them`)
    if len(target.strings) > 1:
        keep = list(range(len(target.strings)))
        for i in list(keep):
            trial = [k for k in keep if k != i]
            if trial and differs(tmp, text(others, trial), data):
                keep = trial
        if differs(tmp, text(others, keep), data):
            keep_strings = keep
    # the data: cut the front and the back, then chunks
    for _ in range(2):
        step = max(1, len(data) // 2)
        while step >= 1:
            if len(data) > step and differs(tmp, text(others, keep_strings), data[step:]):
                data = data[step:]
            elif len(data) > step and differs(tmp, text(others, keep_strings), data[:-step]):
                data = data[:-step]
            else:
                step //= 2
    return text(others, keep_strings), data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=4, help="batches")
    ap.add_argument("--rules", type=int, default=30, help="rules per batch")
    ap.add_argument("--files", type=int, default=30, help="files per batch")
    ap.add_argument("--quiet", action="store_true", help="print only failures and a total")
    ap.add_argument("--chained", action="store_true",
                    help="also hex strings with unbounded jumps (known to differ, see CHAINED)")
    args = ap.parse_args()
    global CHAINED
    CHAINED = args.chained
    tmp = tempfile.mkdtemp(prefix="vitrine-strdiff.")
    failed = 0
    cases = 0
    tap = 0
    try:
        for batch in range(args.count):
            seed = args.seed * 100003 + batch
            rng = random.Random(seed)
            # the share of rules with a header: the matcher takes a header when the strings
            # that require it own at least half of the factors
            headed = rng.choice([0.3, 0.8, 0.95])
            rules = [Rule(rng, "r%d" % i, headed) for i in range(args.rules)]
            rules_path = os.path.join(tmp, "rules.yar")
            with open(rules_path, "w") as f:
                f.write("".join(r.source() for r in rules))
            ddir = os.path.join(tmp, "data")
            shutil.rmtree(ddir, ignore_errors=True)
            os.mkdir(ddir)
            files = {}
            for i in range(args.files):
                data = make_data(rng, rules)
                path = os.path.join(ddir, "f%03d" % i)
                files[path] = data
                with open(path, "wb") as f:
                    f.write(data)
            cases += len(rules) * len(files)
            diffs, scan_diffs, error = compare(rules_path, ddir)
            tap += 1
            name = "seed %d batch %d: %d rules x %d files" % (args.seed, batch, len(rules), len(files))
            if error:
                failed += 1
                print("not ok %d - %s: %s" % (tap, name, error.splitlines()[0]))
                for line in error.splitlines():
                    print("# " + line)
                continue
            if not diffs and not scan_diffs:
                if not args.quiet:
                    print("ok %d - %s: same output as yara" % (tap, name))
                continue
            failed += 1
            print("not ok %d - %s: %d differences from yara, %d in vitrine scan" % (
                tap, name, len(diffs), len(scan_diffs)))
            shown = 0
            for key, yblock, vblock in diffs[:3] + [((r, p), None, None) for r, p in scan_diffs[:1]]:
                flag = key[0] + " " if len(key) == 3 else ""  # "-n ": a negated listing
                rule, path = key[-2:]
                print("# %srule %s on %s" % (flag, rule, os.path.basename(path)))
                print("#   yara:    %s" % (list(yblock[2]) if yblock else "no match"))
                print("#   vitrine: %s" % (list(vblock[2]) if vblock else "no match"))
                if shown >= 2 or path not in files:
                    continue
                shown += 1
                small = shrink(tmp, rules, rule, files[path])
                if small is None:
                    print("#   (the difference needs the whole batch; rules: %s)" % rules_path)
                    continue
                rtext, data = small
                print("#   reproduction (%d bytes): python3 -c 'import sys; sys.stdout.buffer."
                      "write(bytes.fromhex(\"%s\"))' > data" % (len(data), data.hex()))
                for line in rtext.splitlines():
                    print("#     " + line)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("# %d cases (rule x file, %d matching) in %d batches, %d batches differ" % (
        cases, MATCHED, args.count, failed))
    if args.quiet:
        print("1..1")
        print(("not ok" if failed else "ok") + " 1 - %d cases" % cases)
    else:
        print("1..%d" % tap)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
