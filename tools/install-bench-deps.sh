#!/bin/sh
# Installs what the load benchmark (bench/load.sh) needs when it is missing: Debian's wrk (the load
# generator), lighttpd and lighttpd-mod-mbedtls (the peer server), python3 (idle connections) and
# openssl (cipher check). Checked with dpkg -s; apt-get runs only when something is missing, as root
# directly, otherwise through sudo. Safe to run again.
set -eu
PKGS="wrk lighttpd lighttpd-mod-mbedtls python3 openssl curl"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then exit 0; fi
echo "install-bench-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
