#!/bin/sh
# Slow clients (tests/integration/slow.py): 1,000 TLS connections to the real binary ($DELPHI) on
# an ephemeral port of 127.0.0.1, each sending one byte of a request header every 2 s, must not
# keep a normal client waiting: curl's time_total for GET /healthz and for a PUT of an answer
# stays under 1 s while they are connected. The server runs with --max-connections 2000 and
# --timeout 30; the open-file limit is raised for it and for the driver.
#
#   DELPHI=build/release/delphi sh tests/integration/slow.sh
#   SLOW_CONNS=N SLOW_HOLD=S SLOW_LIMIT=T ...   other figures (defaults 1000, 10 s, 1.0 s)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
# The hard limit bounds what the driver may raise its own and the server's soft limit to.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
drive slow "${SLOW_TIMEOUT:-300}" \
	--conns "${SLOW_CONNS:-1000}" --hold "${SLOW_HOLD:-10}" --limit "${SLOW_LIMIT:-1.0}"
