#!/bin/sh
# The Playwright specs (tests/browser) against the binary under test, as one entry of tests/run.sh.
set -eu
exec sh tests/browser/run.sh "${DELPHI_BUILD:-build/release}"
