#!/usr/bin/env bash
# export-macro.sh: put VT_API (include/vitrine/common.h) before every function declaration of the
# public headers that lacks it. Idempotent; run it after adding declarations or merging branches
# that did. A declaration starts at column 0 with its return type and name on the first line;
# typedefs, struct/enum bodies (indented members) and preprocessor lines are left alone.
# tests/e2e/exported_symbols.sh fails on a public function that the library does not export.
set -euo pipefail
cd "$(dirname "$0")/../.."
sed -E -i '/^(typedef|struct|enum|union|extern|static|VT_API|#|\}|\/\*| )/!{/^[A-Za-z_][A-Za-z0-9_ *]*[ *]vt_[A-Za-z0-9_]+\(/s/^/VT_API /}' include/vitrine/*.h
