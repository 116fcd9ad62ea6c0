#!/bin/sh
# Runs the browser specs against the delphi of a build directory (default build/release):
#   sh tests/browser/run.sh [build/DIR]
# Installs what is missing first (tools/install-browser-deps.sh). Node's test runner prints the
# results as TAP and ends with its summary (# tests, # pass, # fail, # skipped); the exit status is
# non-zero when a test failed.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build/release}
case $B in /*) ;; *) B=$root/$B ;; esac
sh "$root/tools/install-browser-deps.sh"
cd "$root/tests/browser"
DELPHI=${DELPHI:-$B/delphi} exec node --test --test-concurrency=1 *.spec.mjs
