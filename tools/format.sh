#!/usr/bin/env bash
# format.sh: formats every tracked C++ file with the repository's .clang-format (in place).
#   tools/format.sh           format the tree
#   tools/format.sh --check   change nothing; list the files that differ and exit 1 if any (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format.sh: clang-format is not installed (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "format.sh: $f is not formatted (run tools/format.sh)"; bad=1; }
  done
  [ $bad = 0 ] && echo "format.sh: ${#files[@]} files formatted as .clang-format says"
  exit $bad
fi
clang-format -i "${files[@]}"
