#!/usr/bin/env python3
"""gen_conditions.py: random YARA rules whose conditions use no strings and no modules:
integer, float and string arithmetic and comparisons, reads of the data (int8..uint32be),
undefined values (reads past the end, division by zero, negative shifts), and/or/not/defined,
and `for` loops over ranges and enumerations with every quantifier. Deterministic for a seed.

usage: gen_conditions.py SEED COUNT > rules.yar
"""
import random
import sys

rng = random.Random(int(sys.argv[1]))
count = int(sys.argv[2])
READS = ["int8", "int16", "int32", "uint8", "uint16", "uint32",
         "int8be", "int16be", "int32be", "uint8be", "uint16be", "uint32be"]
STRINGS = ['"abc"', '"ABC"', '"hello world"', '""', '"b"', '"HeLLo"', '"world"', '"\\x00a"']


def int_expr(d, loop_vars):
    leaves = [lambda: str(rng.randint(-5, 300)), lambda: "filesize",
              lambda: "0x%x" % rng.randint(0, 0xffff)]
    if loop_vars:
        leaves.append(lambda: rng.choice(loop_vars))
    if d <= 0:
        return rng.choice(leaves)()
    choice = rng.randint(0, 9)
    if choice <= 2:
        return rng.choice(leaves)()
    if choice <= 4:
        # reads: mostly in range, sometimes past the end or negative (undefined)
        off = rng.choice([str(rng.randint(0, 70)), "filesize", "filesize - 1",
                          "filesize - 3", "-1", int_expr(d - 1, loop_vars)])
        return "%s(%s)" % (rng.choice(READS), off)
    if choice == 5:
        return rng.choice(["-", "~"]) + "(" + int_expr(d - 1, loop_vars) + ")"
    op = rng.choice(["+", "-", "*", "\\", "%", "&", "|", "^", "<<", ">>"])
    right = int_expr(d - 1, loop_vars)
    if op in ("\\", "%"):
        # a divisor that can be zero at run time but is never a constant zero
        right = rng.choice(["(filesize - filesize)", "(%s)" % right, "(filesize %% %d)" % rng.randint(1, 70)])
    return "(%s %s %s)" % (int_expr(d - 1, loop_vars), op, right)


def float_expr(d, loop_vars):
    if d <= 0 or rng.random() < 0.3:
        return rng.choice(["1.5", "0.25", "-2.0", "100.0", "3.0"])
    op = rng.choice(["+", "-", "*", "\\"])
    a = float_expr(d - 1, loop_vars) if rng.random() < 0.5 else int_expr(d - 1, loop_vars)
    return "(%s %s %s)" % (a, op, float_expr(d - 1, loop_vars))


def bool_expr(d, loop_vars, depth_loops=0):
    if d <= 0:
        return rng.choice(["true", "false", "%s == %s" % (int_expr(1, loop_vars), int_expr(1, loop_vars))])
    choice = rng.randint(0, 13)
    if choice <= 3:
        cmp = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        return "%s %s %s" % (int_expr(d - 1, loop_vars), cmp, int_expr(d - 1, loop_vars))
    if choice == 4:
        cmp = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        return "%s %s %s" % (float_expr(d - 1, loop_vars), cmp, rng.choice([float_expr(d - 1, loop_vars), int_expr(d - 1, loop_vars)]))
    if choice == 5:
        op = rng.choice(["contains", "icontains", "startswith", "istartswith", "endswith",
                         "iendswith", "iequals", "==", "!=", "<", ">"])
        return "%s %s %s" % (rng.choice(STRINGS), op, rng.choice(STRINGS))
    if choice in (6, 7):
        return "(%s %s %s)" % (bool_expr(d - 1, loop_vars, depth_loops), rng.choice(["and", "or"]),
                               bool_expr(d - 1, loop_vars, depth_loops))
    if choice == 8:
        return "not (%s)" % bool_expr(d - 1, loop_vars, depth_loops)
    if choice == 9:
        return "defined (%s)" % rng.choice([int_expr(d - 1, loop_vars), bool_expr(d - 1, loop_vars, depth_loops)])
    if choice in (10, 11) and depth_loops < 2:
        var = "i%d" % depth_loops
        quant = rng.choice(["all", "any", "none", "1", "2", "3"])
        if rng.random() < 0.7:
            lo = rng.choice([str(rng.randint(-3, 5)), "filesize - 70", "uint8(filesize)"])
            hi = rng.choice([str(rng.randint(-1, 8)), "filesize % 7", "uint8(1) % 5"])
            source = "(%s..%s)" % (lo, hi)
        else:
            source = "(%s)" % ", ".join(int_expr(1, loop_vars) for _ in range(rng.randint(1, 4)))
        body = bool_expr(d - 1, loop_vars + [var], depth_loops + 1)
        return "for %s %s in %s : ( %s )" % (quant, var, source, body)
    return rng.choice(["true", "false"])


# The data differential.sh evaluates the rules over (its printf), for header tests that hold.
DATA = (b"hello world\n\x00\x01\x02\x7f\x80\xff\xfe ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        b"abcdefghij")
header_rng = random.Random(int(sys.argv[1]) * 7919 + 1)  # the conditions' stream stays as it was


def header_test():
    """uintN(K) == C (or uintNbe): a test of the bytes at a fixed offset, which the scanner
    takes as the rule's header (lib/cond/gate.c) and checks before walking the condition. C is
    the data's value there half of the time; K is sometimes at or past the data's end."""
    width = header_rng.choice([1, 2, 4])
    big = width > 1 and header_rng.random() < 0.3
    k = header_rng.choice([0, 0, 1, 2, 5, 12, 40, 62, 63, 64, 65, 66, 70])
    raw = DATA[k:k + width]
    if len(raw) == width and header_rng.random() < 0.5:
        c = int.from_bytes(raw, "big" if big else "little")
    else:
        c = header_rng.randrange(1 << (8 * width))
    return "uint%d%s(%d) == 0x%x" % (8 * width, "be" if big else "", k, c)


def with_header(cond):
    """A third of the conditions take header tests: before or after the rest of an `and`, two
    of them, or one on each side of an `or`."""
    if header_rng.random() < 0.67:
        return cond
    form = header_rng.randrange(4)
    if form == 0:
        return "%s and (%s)" % (header_test(), cond)
    if form == 1:
        return "(%s) and %s" % (cond, header_test())
    if form == 2:
        return "%s and %s and (%s)" % (header_test(), header_test(), cond)
    return "(%s and (%s)) or (%s and filesize > %d)" % (header_test(), cond, header_test(),
                                                        header_rng.choice([10, 100]))


for n in range(count):
    print("rule r%d { condition: %s }" % (n, with_header(bool_expr(4, []))))
