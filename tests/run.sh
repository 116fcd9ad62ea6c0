#!/bin/sh
# Runs every test against the build in $1 (build/release or build/asan):
#   every cmocka program in $1/tests/, then every tests/integration/*.sh (given DELPHI=$1/delphi).
# A program that exits non-zero (a crash included) counts as failed. Ends with "N passed, N failed".
set -u
B=${1:-build/release}
export DELPHI="$(pwd)/$B/delphi"
export DELPHI_BUILD="$(pwd)/$B"
export CMOCKA_MESSAGE_OUTPUT=stdout
passed=0; failed=0; failures=""
log=$(mktemp -d)
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if (cd "$(dirname "$0")/.." && "$t") > "$log/$name.out" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name"
  else
    failed=$((failed + 1)); failures="$failures $name"; echo "FAIL $name"; cat "$log/$name.out"
  fi
done
for t in tests/integration/*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  [ "$name" != lib ] || continue # sourced by the others (their shared helpers), not a test
  start=$(date +%s)
  if sh "$t" > "$log/$name.out" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
  else
    failed=$((failed + 1)); failures="$failures $name"; echo "FAIL $name"; cat "$log/$name.out"
  fi
done
rm -rf "$log"
[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
