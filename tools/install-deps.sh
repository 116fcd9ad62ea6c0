#!/bin/sh
# Installs the Debian packages delphi needs that are not installed yet (checked with dpkg -s).
#   sh tools/install-deps.sh [GROUP...]      GROUP: build (default), test, bench, fuzz, audit
# apt-get runs only when something is missing: as root directly, otherwise through sudo.
# The npm packages of the browser tests are installed by tools/install-browser-deps.sh.
set -eu
[ $# -gt 0 ] || set -- build
PKGS=""
for group in "$@"; do
  case $group in
    build) PKGS="$PKGS build-essential pkg-config libevent-dev libmbedtls-dev libsqlite3-dev
                 libjansson-dev libcmocka-dev sqlite3 curl openssl ca-certificates" ;;
    # integration tests: HTML report rendered to PDF, JSON checks, the SMTP test server, browsers
    test)  PKGS="$PKGS sqlite3 curl openssl jq poppler-utils chromium python3 python3-aiosmtpd
                 valgrind" ;;
    bench) PKGS="$PKGS wrk lighttpd lighttpd-mod-mbedtls python3 openssl curl" ;;
    fuzz)  PKGS="$PKGS clang libclang-rt-14-dev libjansson-dev pkg-config" ;;
    audit) PKGS="$PKGS testssl.sh python3 openssl" ;;
    *) echo "install-deps: unknown group '$group' (build, test, bench, fuzz, audit)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $PKGS; do
  case " $missing " in *" $p "*) continue ;; esac
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
# Node.js 20+ and npm for the browser tests: any installed node will do; Debian's otherwise.
case " $* " in
  *" test "*) command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
                missing="$missing nodejs npm" ;;
esac
[ -n "$missing" ] || exit 0
echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
