#!/usr/bin/env bash
# Concatenates the per-test lcov/gcov outputs into the file Bazel asks for.
set -euo pipefail
out="${COVERAGE_OUTPUT_FILE:-}"
dir="${COVERAGE_DIR:-}"
[ -n "$out" ] || exit 0
: > "$out"
if [ -n "$dir" ] && [ -d "$dir" ]; then
  find "$dir" -name '*.dat' -o -name '*.info' | while read -r f; do cat "$f" >> "$out"; done
fi
