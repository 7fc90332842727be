#!/usr/bin/env python3
"""regex_repeats.py: regexes with repeated groups against yara 4.2.3 (`yara -s -w` against
`vitrine yara -s -w`). Each batch writes 150 rules over a three-letter alphabet, with groups of
alternatives, classes and quantified characters repeated by + * ? {n} {n,m} {n,} (greedy or
all lazy, nested one level), some nocase, wide, wide ascii or fullword, and 40 files of those
letters (some wide). These are where yara's code layout decides the priorities (an e+ jumping
back past a leading x?'s SPLIT, the prolog, repeat section and epilog of e{n,m}) and where an
atom in a repeat is hit again in later copies; strings_differential.py does not write them.
Files yara cannot scan ("too many fibers": its limit, not vitrine's) are left out and counted.
With --hex, hex strings instead: alternatives of byte sequences with items between their bytes,
bounded jumps ([n-m], and [n], which yara makes a ?? for n = 1), nibbles and ??, over files of
61 62 63 00. With --matches, the regexes as conditions (`s matches /.../`) over values of an
external variable, the empty one among them: yara's `matches` takes an empty match too.

    regex_repeats.py [--seed S] [--count N] [--quiet] [--hex | --matches]

Prints TAP, one line per batch. Environment: VITRINE (the binary), YARA (default yara)."""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

VITRINE = os.environ.get("VITRINE", "vitrine")
YARA = os.environ.get("YARA", "yara")
LETTERS = "abc"


def quantifier(rng, lazy, choices):
    return rng.choice(choices) + ("?" if lazy else "")


def literal(rng):
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 3)))


def piece(rng, lazy, depth):
    r = rng.random()
    if r < 0.35:
        return literal(rng)
    if r < 0.55:
        return "(%s)" % "|".join(literal(rng) for _ in range(rng.randint(2, 3)))
    if r < 0.65:
        return rng.choice(["[ab]", "[^c]", "\\w", "."])
    if r < 0.85 or depth > 1:
        return rng.choice(LETTERS) + quantifier(rng, lazy, ["?", "*", "+", "{1,2}", "{0,1}",
                                                             "{2}"])
    return "(%s)%s" % ("".join(piece(rng, lazy, depth + 1) for _ in range(rng.randint(1, 2))),
                       quantifier(rng, lazy, ["+", "?", "*", "{1,3}", "{2,}", "{0,2}"]))


def regex(rng):
    lazy = rng.random() < 0.3  # yara refuses greedy and lazy quantifiers in one regex
    inner = "".join(piece(rng, lazy, 0) for _ in range(rng.randint(1, 3)))
    return "%s(%s)%s%s" % (rng.choice(["", "x", "xa", "^", "\\b"]), inner,
                           quantifier(rng, lazy, ["+", "{1,3}", "{2,}", "*", "{0,2}", "?"]),
                           rng.choice(["", "a", "b", ".", "c", "(a|ab)", "$", "\\b"]))


HEX_BYTES = [0x61, 0x62, 0x63, 0x00]


def hex_byte(rng):
    b, r = rng.choice(HEX_BYTES), rng.random()
    return ("%02X" % b if r < 0.6 else "??" if r < 0.7 else "%X?" % (b >> 4) if r < 0.8
            else "?%X" % (b & 15))


def hex_item(rng, depth):
    """A byte, a bounded jump ([n-m], [n]: yara makes [1] a ?? and [1-1] a jump) or an
    alternation of byte sequences with items between their bytes. Unbounded jumps make chained
    strings, a known difference (docs/patterns.md), and are not written."""
    r = rng.random()
    if r < 0.6 or depth > 1:
        return hex_byte(rng)
    if r < 0.8:
        lo = rng.randint(0, 3)
        hi = lo + rng.randint(0, 3)
        return rng.choice(["[%d-%d]" % (lo, hi), "[%d]" % max(lo, 1)])
    branches = []
    for _ in range(rng.randint(2, 3)):
        parts = [hex_byte(rng)]
        for _ in range(rng.randint(0, 2)):
            parts += [hex_item(rng, depth + 1), hex_byte(rng)]
        branches.append(" ".join(parts))
    return "( %s )" % " | ".join(branches)


def hex_string(rng):
    items = [hex_byte(rng)] + [hex_item(rng, 0) for _ in range(rng.randint(1, 5))]
    return "{ %s }" % " ".join(items + [hex_byte(rng)])


def batch(rng, directory, hex_strings):
    rules = []
    for i in range(150):
        if hex_strings:
            rules.append("rule r%d { strings: $a = %s condition: $a }" % (i, hex_string(rng)))
            continue
        modifiers = rng.choice(["", "", "", " nocase", " wide ascii", " fullword", " wide"])
        rules.append("rule r%d { strings: $a = /%s/%s condition: $a }" % (i, regex(rng),
                                                                       modifiers))
    with open(os.path.join(directory, "rules.yar"), "w") as f:
        f.write("\n".join(rules) + "\n")
    data = os.path.join(directory, "data")
    os.mkdir(data)
    for i in range(40):
        if hex_strings:
            content = bytes(rng.choice(HEX_BYTES) for _ in range(rng.randint(1, 300)))
        else:
            content = bytes(rng.choice(b"xabcAB ") for _ in range(rng.randint(1, 200)))
        if rng.random() < 0.3 and not hex_strings:
            content = b"".join(bytes([c, 0]) for c in content)
        with open(os.path.join(data, "f%02d" % i), "wb") as f:
            f.write(content)


def blocks(output, left_out):
    """`-s` output as {(rule, path): [string lines]}, without the files left out."""
    result, current = {}, None
    for line in output.splitlines():
        if line.startswith("0x") and current:
            result[current].append(line)
            continue
        rule, _, path = line.partition(" ")
        current = (rule, path)
        result[current] = []
    return {k: v for k, v in result.items() if k[1] not in left_out}


def refused_alike(yerr, verr):
    """The line of the rule yara refuses to compile, when vitrine refuses that line too with
    yara's message (a generated regex over a limit both have: "too complex"); else None."""
    y = re.match(r"error: rule \"\w+\" in \S+\((\d+)\): (.+)", yerr.strip())
    v = re.match(r"error: rule \"\w+\" in \S+\((\d+)\): (.+)", verr.strip())
    if y and v and y.group(1) == v.group(1) and v.group(2).endswith(y.group(2)):
        return int(y.group(1))
    return None


def run(command):
    p = subprocess.run(command, capture_output=True, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


def matches_batch(rng, directory):
    """--matches: the same regexes as conditions, `s matches /.../`, over 15 values of the
    external variable s (the empty one among them): the rules each value matches. A value yara
    cannot evaluate (too many fibers) is left out and counted."""
    rules = os.path.join(directory, "rules.yar")
    with open(rules, "w") as f:
        f.write("".join("rule r%d { condition: s matches /%s/ }\n" % (i, regex(rng))
                        for i in range(100)))
    empty = os.path.join(directory, "empty")
    open(empty, "wb").close()
    problems, compared, unscanned = [], 0, 0
    for value in [""] + ["".join(rng.choice("xabcAB ") for _ in range(rng.randint(1, 30)))
                         for _ in range(14)]:
        yrc, yout, yerr = run([YARA, "-w", "-d", "s=" + value, rules, empty])
        vrc, vout, verr = run([VITRINE, "yara", "-w", "-d", "s=" + value, rules, empty])
        if "error scanning" in yerr and vrc == 0:
            unscanned += 1  # yara's own limit (too many fibers): a value it cannot evaluate
            continue
        if yrc != 0 or vrc != 0:
            return (["exit yara %d vitrine %d: %s %s" % (yrc, vrc, yerr[:300], verr[:300])],
                    compared, unscanned)
        ys, vs = set(yout.split()), set(vout.split())
        compared += len(ys)
        if ys != vs:
            problems.append("s=%r: yara only %s, vitrine only %s" % (
                value, sorted(ys - vs)[:4], sorted(vs - ys)[:4]))
    return problems, compared, unscanned


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=4, help="batches")
    ap.add_argument("--quiet", action="store_true", help="print only failures and a total")
    ap.add_argument("--hex", action="store_true",
                    help="hex strings with alternatives and bounded jumps instead of regexes")
    ap.add_argument("--matches", action="store_true",
                    help="the regexes as conditions' `matches` instead of strings")
    args = ap.parse_args()
    failed = blocks_compared = unscanned = refused = 0
    for number in range(args.count):
        directory = tempfile.mkdtemp(prefix="vitrine-repeats.")
        try:
            seed = args.seed * 100003 + number
            if args.matches:
                problems, compared, left_out = matches_batch(random.Random(seed), directory)
                blocks_compared += compared
                unscanned += left_out
                if problems:
                    failed += 1
                    print("not ok %d - seed %d batch %d" % (number + 1, args.seed, number))
                    print("\n".join("# " + p for p in problems[:5]))
                elif not args.quiet:
                    print("ok %d - seed %d batch %d" % (number + 1, args.seed, number))
                continue
            batch(random.Random(seed), directory, args.hex)
            rules, data = os.path.join(directory, "rules.yar"), os.path.join(directory, "data")
            while True:
                yrc, yout, yerr = run([YARA, "-s", "-w", rules, data])
                vrc, vout, verr = run([VITRINE, "yara", "-s", "-w", rules, data])
                line = refused_alike(yerr, verr) if yrc and vrc else None
                if not line:
                    break
                refused += 1  # both refuse that rule with yara's message: drop it, compare the rest
                with open(rules) as f:
                    kept = [text for n, text in enumerate(f, 1) if n != line]
                with open(rules, "w") as f:
                    f.write("".join(kept))
            left_out = set(re.findall(r"error scanning (\S+):", yerr))
            problem = None
            if yrc != 0 and not left_out or vrc != 0:
                problem = "exit yara %d vitrine %d\n%s\n%s" % (yrc, vrc, yerr[:500], verr[:500])
            else:
                yb, vb = blocks(yout, left_out), blocks(vout, left_out)
                differ = sorted(k for k in set(yb) | set(vb) if yb.get(k) != vb.get(k))
                blocks_compared += len(yb)
                unscanned += len(left_out)
                if differ:
                    problem = "\n".join("%s %s: yara %s vitrine %s" % (k[0], k[1], yb.get(k),
                                                                      vb.get(k))
                                        for k in differ[:5])
            if problem:
                failed += 1
                print("not ok %d - seed %d batch %d" % (number + 1, args.seed, number))
                print("\n".join("# " + line for line in problem.splitlines()))
                print("# rules kept in", shutil.copy(rules, "/tmp/regex_repeats-%d.yar" % seed))
            elif not args.quiet:
                print("ok %d - seed %d batch %d" % (number + 1, args.seed, number))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    print("# %d batches, %d matching (rule, file) pairs compared, %d files yara could not scan, "
          "%d rules both refused, %d batches differ" % (args.count, blocks_compared, unscanned,
                                                       refused, failed))
    if args.quiet:
        print("1..1")
        print("%s 1 - %d batches" % ("not ok" if failed else "ok", args.count))
    else:
        print("1..%d" % args.count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
