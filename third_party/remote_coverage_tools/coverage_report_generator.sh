#!/usr/bin/env bash
# Merges lcov reports listed in --reports_file into --output_file.
set -euo pipefail
reports=""; output=""
for a in "$@"; do
  case "$a" in
    --reports_file=*) reports="${a#*=}" ;;
    --output_file=*) output="${a#*=}" ;;
  esac
done
[ -n "$output" ] || exit 0
: > "$output"
[ -n "$reports" ] && while read -r f; do [ -f "$f" ] && cat "$f" >> "$output"; done < "$reports"
exit 0
