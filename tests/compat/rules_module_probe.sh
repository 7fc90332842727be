#!/usr/bin/env bash
# rules_module_probe.sh: checks lib/modules' declarations against Debian's yara 4.2.3 both ways,
# by probing yara's compiler (rules_module_probe.c) with every identifier in libyara.so.9 (and its
# '_'-separated suffixes, since the linker merges string tails) plus the names in our tables.
# Prints the fields and overloads that only one side has; no output below the headers means the
# declarations agree. A manual check: about ten minutes on two cores.
#   tests/compat/rules_module_probe.sh [MODULE...]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lib=$(ls /usr/lib/*/libyara.so.9 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "libyara.so.9 not found (apt-get install yara)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/vitrine-module-probe.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O1 -o "$tmp/probe" "$root/tests/compat/rules_module_probe.c" "$lib" || exit 2
python3 - "$lib" "$root" "$tmp/candidates" <<'PY'
import re, subprocess, sys
lib, root, out = sys.argv[1:]
names = set()
for s in subprocess.run(['strings', '-n', '1', lib], capture_output=True, text=True).stdout.split('\n'):
    for w in re.findall(r'[A-Za-z_][A-Za-z0-9_]*', s):
        names.add(w)
        names.update(w[i + 1:] for i, ch in enumerate(w) if ch == '_' and i + 1 < len(w))
for f in ('tables.c', 'tables_extra.inc'):
    names.update(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', open(f'{root}/lib/modules/{f}').read()))
open(out, 'w').write('\n'.join(sorted(n for n in names if len(n) <= 40)) + '\n')
PY
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(console cuckoo dex dotnet elf hash macho magic math pe tests time)
printf '%s\n' "${modules[@]}" | xargs -P "$(nproc)" -I{} sh -c "'$tmp/probe' {} '$tmp/candidates' >'$tmp/yara_{}.txt'"
python3 - "$root" "$tmp" "${modules[@]}" <<'PY'
import re, sys
root, tmp, mods = sys.argv[1], sys.argv[2], sys.argv[3:]
src = open(f'{root}/lib/modules/tables.c').read() + open(f'{root}/lib/modules/tables_extra.inc').read()
texts = {m.group(1).rstrip('_'): ''.join(re.findall(r'"([^"]*)"', m.group(2)))
         for m in re.finditer(r'static const char (\w+)\[\] =\s*((?:"[^"]*"\s*)+);', src)}
def ours(mod):
    out, words, stack, kind, i = set(), texts[mod].split(), [mod], 'i', 0
    while i < len(words):
        w = words[i]; i += 1
        if w.startswith(':'):
            k = w[1:]
            if k == '}': stack.pop(); continue
            if k == 'fn':
                fn, a, r = words[i:i + 3]; i += 3
                out.add(f"{'.'.join(stack)}.{fn}({'' if a == '-' else a}):{r}"); continue
            if k[0] in '{[<':
                stack.append(words[i] + {'{': '', '[': '[]', '<': '{}'}[k[0]]); i += 1; continue
            kind = k; continue
        acc = '{}' if kind[0] == 'D' else '[]' if kind[0].isupper() else ''
        out.add(f"{'.'.join(stack)}.{w}{acc}:{kind[-1].lower()}")
    return out
def theirs(mod):
    out = set()
    norm = lambda s: s.replace('[0]', '[]').replace('["k"]', '{}')
    for line in open(f'{tmp}/yara_{mod}.txt'):
        p = line.split()
        if p and p[0] in ('i', 's', 'f'): out.add(f'{norm(p[1])}:{p[0]}')
        elif p and p[0] == 'fn': out.add(f"{norm(p[1])}({'' if p[2] == '-' else p[2]}):{p[3]}")
        elif p and p[0] == '?': out.add('unclassified ' + p[1])
    return out
status = 0
for mod in mods:
    a, b = ours(mod), theirs(mod)
    print(f'== {mod}: vitrine {len(a)}, yara {len(b)}')
    for x in sorted(b - a): print('  only in yara:   ', x); status = 1
    for x in sorted(a - b): print('  only in vitrine:', x); status = 1
sys.exit(status)
PY
