#!/bin/sh
# Crash consistency of `delphi serve` (tests/integration/crash.py): the real binary ($DELPHI) on
# an ephemeral port of 127.0.0.1, 16 HTTPS clients saving answers with Bearer tokens as fast as
# they can, the server killed with SIGKILL at random moments and restarted on the crashed files.
# After every kill: every save acknowledged with 200 is stored with its values (or a later save
# of the same expert and topic that was in flight), PRAGMA integrity_check is ok and
# `delphi check` exits 0. The short run of `make test`: CRASH_KILLS (default 5) kills over about
# CRASH_SECONDS (default 12) seconds of load; `make soak` runs a long one (tests/soak.sh).
#
#   DELPHI=build/release/delphi sh tests/integration/crash.sh
#   CRASH_SEED=N ...   repeats a run (the seed is printed)
#
# The driver kills every server it started on any exit; the temporary directory goes too.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
seed=""
[ -n "${CRASH_SEED:-}" ] && seed="--seed $CRASH_SEED"
# shellcheck disable=SC2086
drive crash "${CRASH_TIMEOUT:-300}" \
	--kills "${CRASH_KILLS:-5}" --seconds "${CRASH_SECONDS:-12}" --clients "${CRASH_CLIENTS:-16}" $seed
