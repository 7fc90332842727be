#!/usr/bin/env bash
# export-macro.sh: put VT_API (include/vitrine/common.h) before every function declaration of the
# public headers that lacks it, keeping the continuation lines aligned with the '(' and the first
# line within 100 columns. Idempotent; run it after adding declarations or merging branches that
# did. A declaration starts at column 0 with its return type and name on the first line;
# typedefs, struct/enum bodies (indented members) and preprocessor lines are left alone.
# tests/e2e/library_shape.sh fails on a public function that the library does not export.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 - include/vitrine/*.h <<'PY'
import re, sys
decl = re.compile(r'^[A-Za-z_][A-Za-z0-9_ *]*[ *]vt_[A-Za-z0-9_]+\(')
skip = re.compile(r'^(typedef|struct|enum|union|extern|static|#|\}|/\*| )')
for path in sys.argv[1:]:
    lines = open(path).read().split('\n')
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('VT_API ') or (decl.match(line) and not skip.match(line)):
            if not line.startswith('VT_API '):
                line = 'VT_API ' + line
            paren = line.index('(') + 1
            old = paren - len('VT_API ')
            group = [line]
            while not group[-1].rstrip().endswith(';') and i + 1 < len(lines):
                i += 1
                cont = lines[i]
                if len(cont) - len(cont.lstrip(' ')) == old:
                    cont = ' ' * paren + cont.lstrip(' ')
                group.append(cont)
            # Wrap a line over 100 columns after its last ", " that fits.
            wrapped = []
            for g in group:
                while len(g) > 100 and g.rfind(', ', paren, 100) > paren:
                    cut = g.rfind(', ', paren, 100)
                    wrapped.append(g[:cut + 1])
                    g = ' ' * paren + g[cut + 2:]
                wrapped.append(g)
            out.extend(wrapped)
        else:
            out.append(line)
        i += 1
    open(path, 'w').write('\n'.join(out))
PY
