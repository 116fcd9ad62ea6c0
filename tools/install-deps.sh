#!/bin/sh
# Installs the Debian packages delphi needs that are not installed yet (checked with dpkg -s).
# Runs apt-get only when something is missing; as root directly, otherwise through sudo.
set -eu
PKGS="build-essential pkg-config libevent-dev libmbedtls-dev libsqlite3-dev libjansson-dev libcmocka-dev
      sqlite3 curl openssl ca-certificates"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then exit 0; fi
echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
