#!/bin/sh
# A short valgrind memcheck run of `delphi serve`: the real binary ($DELPHI) under
# `valgrind --error-exitcode=99 --leak-check=full` (definite and indirect leaks count as errors)
# on an ephemeral port of 127.0.0.1, driven with curl -k through the expert API of docs/api.md:
# the invitation link (session cookie), /api/v1/me by cookie and by Bearer token, PUTs (cookie
# with CSRF, Bearer), feedback in round 1 (409) and, after round 1 is closed and round 2 opened
# with the CLI while the server runs, feedback with statistics and a PUT with a reason; a few
# error replies (401, 404, 413, 415, 422), /metrics, SIGHUP; then SIGTERM. The server must exit 0
# (valgrind's 99 means it found errors; its report is printed).
#
#   DELPHI=build/release/delphi sh tests/integration/valgrind.sh
#
# An ASan build cannot run under valgrind: with one, the test says so and passes.
set -u
: "${DELPHI:?set DELPHI to the delphi binary}"
DATA=$(cd "$(dirname "$0")/../data/cli" && pwd)
if ldd "$DELPHI" 2>/dev/null | grep -q 'libasan'; then
	echo "valgrind: $DELPHI is an ASan build: skipped (valgrind cannot run it)"
	exit 0
fi
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed"; exit 1; }
T=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
unset DELPHI_LISTEN DELPHI_DB DELPHI_CERT DELPHI_KEY DELPHI_THREADS DELPHI_WEB_DIR \
	DELPHI_PUBLIC_URL DELPHI_MAX_CONNECTIONS DELPHI_MAX_BODY DELPHI_TIMEOUT
DB=$T/delphi.db
checks=0
failures=0
fail() {
	failures=$((failures + 1))
	echo "FAIL: $*"
}
same() { # same DESCRIPTION GOT WANT
	checks=$((checks + 1))
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
cli() { "$DELPHI" --db "$DB" "$@" >"$T/cli.out" 2>"$T/cli.err" || fail "delphi $*: $(cat "$T/cli.err")"; }

cli init
cli survey load "$DATA/survey.json"
"$DELPHI" --db "$DB" experts import --survey cli-test "$DATA/experts.csv" >"$T/links.csv" 2>/dev/null
tok() { sed -n "s/^$1,\([0-9a-f]*\),.*/\1/p" "$T/links.csv"; }
cli round open --survey cli-test

valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	"$DELPHI" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 --shutdown-timeout 60 \
	>"$T/out" 2>"$T/err" &
PID=$!
PORT=""
i=0
while [ $i -lt 1200 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n 's|^delphi serve: https://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$T/out" 2>/dev/null)
	kill -0 "$PID" 2>/dev/null || break
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$PORT" ]; then
	echo "FAIL: the server did not start under valgrind"
	cat "$T/out" "$T/err"
	exit 1
fi
U=https://127.0.0.1:$PORT
C="curl -sk -m 60"
J="Content-Type: application/json"
B1="Authorization: Bearer $(tok E1)"
code() { $C -o "$T/b" -w '%{http_code}' "$@"; }

same "healthz" "$(code "$U/healthz")" 200
same "invitation link" "$($C -D "$T/h" -o /dev/null -w '%{http_code}' "$U/e/$(tok E1)")" 303
COOKIE=$(sed -n 's/^Set-Cookie: delphi_session=\([0-9a-f]*\);.*/\1/p' "$T/h" | tr -d '\r')
same "me by cookie" "$(code -H "Cookie: delphi_session=$COOKIE" "$U/api/v1/me")" 200
CSRF=$(sqlite3 :memory: "SELECT json_extract(readfile('$T/b'), '\$.csrf_token')")
same "me by Bearer" "$(code -H "$B1" "$U/api/v1/me")" 200
same "PUT by cookie" "$(code -X PUT -H "Cookie: delphi_session=$COOKIE" -H "X-CSRF-Token: $CSRF" \
	-H "$J" --data-binary '{"importance":3,"tech_year":2031}' "$U/api/v1/answers/AI-01")" 200
same "PUT by Bearer" "$(code -X PUT -H "$B1" -H "$J" \
	--data-binary '{"expertise":2,"measures":["funding"],"comment":"valgrind"}' "$U/api/v1/answers/AI-02")" 200
same "feedback in round 1" "$(code -H "$B1" "$U/api/v1/feedback/AI-01")" 409
same "401" "$(code -H "Authorization: Bearer $(printf '%032d' 0)" "$U/api/v1/me")" 401
same "404 unknown topic" "$(code -X PUT -H "$B1" -H "$J" --data-binary '{}' "$U/api/v1/answers/XX")" 404
same "404 topic not UTF-8" "$(code -X PUT -H "$B1" -H "$J" --data-binary '{}' "$U/api/v1/answers/A%ff")" 404
same "415" "$(code -X PUT -H "$B1" -H "Content-Type: text/plain" --data-binary '{}' "$U/api/v1/answers/AI-01")" 415
same "422" "$(code -X PUT -H "$B1" -H "$J" --data-binary '{"importance":9}' "$U/api/v1/answers/AI-01")" 422
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/70k"
same "413" "$(code -X PUT -H "$B1" -H "$J" --data-binary @"$T/70k" "$U/api/v1/answers/AI-01")" 413

# Round 1 closed (the aggregator runs) and round 2 opened by the CLI while the server runs.
cli answers import --survey cli-test --round 1 "$DATA/answers-r1.csv"
cli round close --survey cli-test
cli round open --survey cli-test
same "feedback in round 2" "$(code -H "$B1" "$U/api/v1/feedback/AI-01")" 200
same "feedback has statistics" "$(sqlite3 :memory: "SELECT json_type(readfile('$T/b'), '\$.questions.importance.median')")" real
same "PUT with a reason" "$(code -X PUT -H "$B1" -H "$J" \
	--data-binary '{"importance":1,"reasons":{"importance":"valgrind"}}' "$U/api/v1/answers/AI-01")" 200
same "me in round 2" "$(code -H "$B1" "$U/api/v1/me")" 200
same "metrics" "$(code "$U/metrics")" 200
kill -HUP "$PID"
sleep 1
same "after SIGHUP" "$(code "$U/healthz")" 200

kill -TERM "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 1200 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$PID" 2>/dev/null; then
	fail "the server did not stop within 120 s of SIGTERM"
	kill -9 "$PID"
fi
wait "$PID"
rc=$?
PID=""
same "exit status under valgrind (99: valgrind found errors)" "$rc" 0
if grep -q '^==[0-9]*==' "$T/err"; then
	fail "valgrind reported:"
	grep '^==[0-9]*==' "$T/err" | head -60
fi
echo "valgrind: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
