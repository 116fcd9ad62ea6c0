#!/bin/sh
# Malformed and hostile requests against the real binary ($DELPHI) on ephemeral ports of
# 127.0.0.1 (tests/integration/hostile.py): more than 400 requests sent as raw bytes over TLS
# (bad methods and versions, oversized and duplicated headers, NUL bytes and invalid UTF-8, deep
# JSON, huge numbers, wrong content types, path traversal, tokens and cookies of every wrong
# shape, huge, chunked and mismatched bodies, partial requests, pipelined garbage, non-TLS
# bytes). Each must get the right 4xx or a closed connection (libevent's own error pages are
# accepted and listed), the server must answer /healthz after each, the stored answers must be
# unchanged, and the servers' stderr must hold no sanitizer report (run it with the ASan build:
# DELPHI=build/asan/delphi).
#
#   DELPHI=build/release/delphi sh tests/integration/hostile.sh
#   VALGRIND=1 ...   runs the servers under valgrind (slow)
#   HOSTILE_VERBOSE=1 ...   prints every case and its answer
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
opts=""
[ -n "${VALGRIND:-}" ] && opts="$opts --valgrind"
[ -n "${HOSTILE_VERBOSE:-}" ] && opts="$opts --verbose"
# shellcheck disable=SC2086
drive hostile "${HOSTILE_TIMEOUT:-300}" $opts
