#!/bin/sh
# Installs what the browser tests (tests/browser) need, when it is missing: Debian's chromium and
# a node with npm (tools/install-deps.sh test), then the npm packages of tests/browser from its
# package-lock.json (playwright-core, which drives /usr/bin/chromium and never downloads a browser
# of its own, and axe-core). Safe to run again; does nothing when everything is there.
set -eu
cd "$(dirname "$0")/.."

sh tools/install-deps.sh build test

cd tests/browser
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  npm ci --no-audit --no-fund --loglevel=error
fi
