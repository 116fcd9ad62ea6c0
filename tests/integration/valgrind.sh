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
HERE=$(cd "$(dirname "$0")" && pwd)
VALGRIND=1 # lib.sh's start runs the server under valgrind (errors and definite leaks: exit 99)
. "$HERE/lib.sh"
DATA=$(cd "$HERE/../data/cli" && pwd)
if ldd "$DELPHI" 2>/dev/null | grep -q 'libasan'; then
	echo "valgrind: $DELPHI is an ASan build: skipped (valgrind cannot run it)"
	exit 0
fi
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed"; exit 1; }

cli init
cli survey load "$DATA/survey.json"
"$DELPHI" --db "$DB" experts import --survey cli-test "$DATA/experts.csv" >"$T/links.csv" 2>/dev/null
tok() { sed -n "s/^$1,\([0-9a-f]*\),.*/\1/p" "$T/links.csv"; }
cli round open --survey cli-test

start -- --shutdown-timeout 60
C="curl -sk -m 60"
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
wait_exit "$PID" 120
same "exit status under valgrind (99: valgrind found errors)" "$RC" 0
if grep -q '^==[0-9]*==' "$T/err"; then
	fail "valgrind reported:"
	grep '^==[0-9]*==' "$T/err" | head -60
fi
finish
