#!/bin/sh
# Installs what the browser tests (tests/browser) need, when it is missing: Debian's chromium
# (checked with dpkg -s), node and npm (any on the PATH will do; else Debian's nodejs and npm),
# and the npm packages of tests/browser from its package-lock.json (playwright-core, which drives
# /usr/bin/chromium and never downloads a browser of its own, and axe-core). apt-get runs as root
# directly, otherwise through sudo. Safe to run again; does nothing when everything is there.
set -eu
cd "$(dirname "$0")/.."

missing=""
dpkg -s chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "install-browser-deps: installing:$missing"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

cd tests/browser
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  npm ci --no-audit --no-fund --loglevel=error
fi
