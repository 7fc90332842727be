#!/usr/bin/env python3
"""gen_rule_edges.py DIR SEED COUNT: writes edge cases of yara 4.2.3's compiler checks into DIR,
one rule file each (cNNNN.yar): constant expressions near the 64-bit limits (integer overflow of
+ - *, division by zero, shifts, yara's YR_UNDEFINED sentinel, floats mixed in), hex-string
jumps with numbers around 2^31, 2^32 and 2^63 (plain, open, inside alternations), rule
names against wildcard rule sets, and regexes and hex strings near yara's 128 split ids. Tokens are spread over lines at random, so that the line of
each error is checked too. tests/compat/rules_edges.sh compares yarac's verdicts with vitrine's."""
import os
import random
import sys

out, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)

ATOMS = ['0', '1', '2', '3', '63', '64', '65', '-2', '0x7FFFFFFFFFFFFFFF', '9223372036854775807',
         '0x7FFFFFFFFFFFFFFE', '-0x7FFFFFFFFFFFFFFF', '(-0x7FFFFFFFFFFFFFFF - 1)',
         '0x4000000000000000', '0x3FFFFFFFFFFFFFFF', '3037000499', '3037000500', '0x100000000',
         '0x80000000', '-1483400188077313', '1483400188077313', 'filesize', 'filesize', '1.5',
         '0.0', '1KB', '8796093022207MB', '0x8000000000000000', '9223372036854775808']
# Right operands of \ and %: never -1, whose INT64_MIN \ -1 kills yara with SIGFPE.
DIVISORS = ['0', '1', '2', '3', '-2', '0x7FFFFFFFFFFFFFFF', 'filesize', '(1 >> 1)', '(2 - 2)',
            '(filesize << 64)', '1.5', '0.0', '(-1483400188077313 + 1483400188077313)']
BINOPS = ['+', '+', '-', '-', '*', '*', '\\', '%', '&', '|', '^', '<<', '>>']


def expr(depth):
    if depth == 0 or rnd.random() < 0.3:
        return rnd.choice(ATOMS)
    k = rnd.random()
    if k < 0.15:
        return '-' + wrap(expr(depth - 1))
    if k < 0.22:
        return '~' + wrap(expr(depth - 1))
    op = rnd.choice(BINOPS)
    right = rnd.choice(DIVISORS) if op in ('\\', '%') else expr(depth - 1)
    return '(%s %s %s)' % (expr(depth - 1), op, right)


def wrap(e):
    return e if e.startswith('(') or e[0].isdigit() or e == 'filesize' else '(' + e + ')'


def spread(text):
    """Newlines between some tokens (not inside numbers or operators)."""
    words = text.split(' ')
    return ''.join(w + ('\n    ' if rnd.random() < 0.2 else ' ') for w in words).rstrip()


JUMP_NUMBERS = ['0', '1', '2', '199', '200', '201', '32767', '65536', '2147483647',
                '2147483648', '2147483649', '4294967295', '4294967296', '4294967297',
                '4294967496', '4294967497', '6442450944', '9223372036854775807',
                '9223372036854775808', '18446744073709551615', '18446744073709551616',
                '99999999999999999999']


def jump():
    a, b = rnd.choice(JUMP_NUMBERS), rnd.choice(JUMP_NUMBERS)
    sp = rnd.choice(['', ' ', '\n'])
    return rnd.choice(['[%s]' % a, '[%s%s-%s%s]' % (a, sp, sp, b), '[%s-]' % a, '[-]',
                       '[%s-%s]' % (a, a)])


def hex_string():
    j = jump()
    return rnd.choice(['{ 61 %s 62 }' % j, '{ 61 ( 62 | 63 %s 64 ) 65 }' % j,
                       '{ 61 ( 62 %s 63 | 64 ) 65 }' % j, '{ 61 %s 62 %s 63 }' % (j, jump())])


def split_regex():
    """A regex or hex string needing about yara's 128 split ids (alternatives, ?, *, +, ranges
    that copy their body; a hex string's pieces between jumps over 200 bytes count alone)."""
    if rnd.random() < 0.3:
        pieces = []
        for _ in range(rnd.randint(1, 3)):
            k = rnd.choice([2, 64, 65, 128, 129, 130, 131])
            pieces.append('( %s )' % ' | '.join('%02X' % (j % 256) + rnd.choice(['', ' 6?'])
                                                 for j in range(k)))
        jumps = [rnd.choice(['[2]', '[0-200]', '[201]', '[300-400]', '[10-]']) for _ in pieces]
        return '{ 61 %s 65 }' % ' '.join(p + ' ' + j for p, j in zip(pieces, jumps))
    parts = []
    for _ in range(rnd.randint(1, 3)):
        k = rnd.choice([2, 3, 30, 63, 64, 65, 126, 127, 128, 129, 130])
        alts = '|'.join('x%d' % j + rnd.choice(['', '', 'y?', 'z*', 'w+', 'v{2,3}', 'u{2}'])
                        for j in range(k))
        parts.append('(' + alts + ')' + rnd.choice(['', '', '?', '*', '+', '{2}', '{1,3}',
                                                     '{0,2}', '{3,}', '+?']))
    return '/a%sc/' % 'b'.join(parts)


def rule_set_names():
    names = ['a', 'a0', 'a1', 'ab', 'abc', 'b', 'b1', 'ba']
    rules, used, declared = [], [], []
    for i in range(rnd.randint(2, 6)):
        if declared and rnd.random() < 0.4:
            prefix = rnd.choice(declared)[:rnd.randint(1, 2)]
            cond = '1 of (%s*)' % prefix
        else:
            cond = 'true'
        name = rnd.choice([n for n in names if n not in declared] or ['z%d' % i])
        declared.append(name)
        rules.append('rule %s { condition: %s }' % (name, cond))
    return '\n'.join(rules) + '\n'


os.makedirs(out, exist_ok=True)
for i in range(count):
    kind = i % 6
    if kind <= 2:
        text = 'rule t {\n  condition:\n    %s\n    > 0\n}\n' % spread(expr(rnd.randint(1, 4)))
    elif kind == 3:
        text = 'rule t {\n  strings:\n    $a = %s\n  condition:\n    $a\n}\n' % hex_string()
    elif kind == 5:
        text = 'rule t {\n  strings:\n    $a = %s\n  condition:\n    $a\n}\n' % split_regex()
    else:
        text = rule_set_names()
    with open(os.path.join(out, 'c%04d.yar' % i), 'w') as f:
        f.write(text)
