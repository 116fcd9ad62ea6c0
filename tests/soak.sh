#!/bin/sh
# make soak: the long crash-consistency run (tests/integration/crash.py) against the build in $1
# (default build/release): SOAK_KILLS (default 300) SIGKILLs over about SOAK_SECONDS (default
# 600) seconds of concurrent answer saves from SOAK_CLIENTS (default 16) HTTPS clients. Prints
# a line per kill and the totals (kills, saves sent and acknowledged, keys checked); exits 1 if
# any acknowledged save was lost or torn, or a check of the database failed.
#
#   sh tests/soak.sh build/release
#   SOAK_KILLS=1000 SOAK_SECONDS=3600 sh tests/soak.sh build/asan
set -u
B=${1:-build/release}
DELPHI=$(cd "$B" && pwd)/delphi
[ -x "$DELPHI" ] || { echo "soak: no $DELPHI (build it first)" >&2; exit 2; }
kills=${SOAK_KILLS:-300}
seconds=${SOAK_SECONDS:-600}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
seed=""
[ -n "${SOAK_SEED:-}" ] && seed="--seed $SOAK_SEED"
# The bound: the load time plus up to 60 s per kill for starting, checking and restarting.
# shellcheck disable=SC2086
timeout -k 10 $((seconds + kills * 60 + 120)) python3 "$(dirname "$0")/integration/crash.py" \
	--delphi "$DELPHI" --dir "$T" --kills "$kills" --seconds "$seconds" \
	--clients "${SOAK_CLIENTS:-16}" $seed
rc=$?
[ "$rc" -eq 124 ] && echo "FAIL: the soak did not finish in time"
echo "soak: $([ "$rc" -eq 0 ] && echo passed || echo FAILED)"
exit "$rc"
