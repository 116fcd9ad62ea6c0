#!/bin/sh
# Scheduled closes (docs/api.md "Rounds", docs/operations.md "Scheduled closes"): the real binary
# ($DELPHI) on an ephemeral port with a temporary database, driven over HTTPS with curl -k as a
# coordinator (made with `delphi user add`); JSON replies read with Python's json module, the
# store with the sqlite3 CLI.
#
# A close_at that has passed is refused (422, field close_at) on open and on reopen. Round 1 of
# tests/data/cli/survey.json opened with close_at 8 s ahead stays open until then, then the server
# closes it by itself within a few seconds: the round is closed, the aggregator's statistics are
# there (GET .../rounds/1/topics, the stats table), the audit log has "round.close" by
# system:schedule with the reason, and the log says so. A reopen without close_at clears it and is
# not closed again; a reopen with a new close_at is closed again at that time. Round 2 opened with
# close_at 8 s ahead and the server stopped before then is closed at the next start. The CLI shows
# the scheduled close (round status, survey show).
#
#   DELPHI=build/release/delphi sh tests/integration/schedule.sh
#
# Every curl has a time limit and the server is killed on any exit. Failures are printed as
# "FAIL: ..." and make the script exit 1.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SURVEY=$(cd "$HERE/../data/cli" && pwd)/survey.json

if ! command -v sqlite3 >/dev/null || ! [ -x "$PY" ]; then
	echo "FAIL: schedule.sh needs sqlite3 and python3 (apt-get install them)"
	exit 1
fi

# at SECONDS: the UTC time SECONDS from now (negative: ago) as "YYYY-MM-DDTHH:MM:SSZ".
at() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }
# epoch TIME: seconds since 1970 of "YYYY-MM-DDTHH:MM:SSZ".
epoch() { date -u -d "$(printf %s "$1" | tr T ' ' | tr -d Z)" +%s; }
state() { sql "SELECT state FROM rounds WHERE number = $1"; }
# wait_closed N SECONDS: waits until round N is closed, SECONDS at most; 0 when it is.
wait_closed() {
	i=0
	while [ "$(state "$1")" != closed ]; do
		[ $i -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}
# not_early NUMBER CLOSE_AT: round NUMBER was closed at or after CLOSE_AT, and at most 5 s later
# (the server looks every second; the rest is slack for a loaded machine).
not_early() {
	lag=$(($(epoch "$(sql "SELECT closed_at FROM rounds WHERE number = $1")") - $(epoch "$2")))
	check "round $1 closed at or after $2, within 5 s (lag ${lag}s)" [ "$lag" -ge 0 -a "$lag" -le 5 ]
}
closes_by_schedule() {
	sql "SELECT count(*) FROM audit_log WHERE action = 'round.close' AND actor = 'system:schedule'"
}

# ---- Set-up: a coordinator, the survey, experts ------------------------------------------------
cli init
user_add carol coordinator
cli survey load "$SURVEY"
printf 'id,name,email,sector,fields\nE1,Ann,,academia,AI\nE2,Ben,,industry,AI;EN\n' >"$T/experts.csv"
"$DELPHI" --db "$DB" experts import --survey cli-test "$T/experts.csv" >"$T/links.csv" 2>"$T/cli.err" ||
	fail "experts import: $(cat "$T/cli.err")"
tok() { sed -n "s/^$1,\([0-9a-f]*\),.*/\1/p" "$T/links.csv"; }
start
login carol "carol has a long password"
S=/api/v1/surveys/cli-test

# ---- A close_at that has passed is refused ----------------------------------------------------
LABEL="open, close_at has passed"
as carol POST "$S/rounds/open" -H "$J" --data-binary "{\"close_at\":\"$(at -60)\"}"
error 422 invalid_request close_at
check "$LABEL: the message says so" sh -c "grep -q 'has passed' '$T/b'"
same "$LABEL: nothing opened" "$(sql 'SELECT count(*) FROM rounds')" 0
LABEL="open, close_at long past"
as carol POST "$S/rounds/open" -H "$J" --data-binary '{"close_at":"2020-01-01T00:00:00Z"}'
error 422 invalid_request close_at
LABEL="open, close_at not a time"
as carol POST "$S/rounds/open" -H "$J" --data-binary '{"close_at":"2031-02-29T00:00:00Z"}'
error 422 invalid_request close_at

# ---- Round 1: open with close_at 8 s ahead (room for a slow machine); closed at that time ------
CLOSE1=$(at 8)
LABEL="open round 1 with close_at $CLOSE1"
as carol POST "$S/rounds/open" -H "$J" --data-binary "{\"close_at\":\"$CLOSE1\"}"
same "$LABEL: status" "$CODE" 200
same "$LABEL: round" "$(pj '[d["round"]["number"], d["round"]["state"], d["round"]["close_at"], d["invited"]]')" \
	"[1,\"open\",\"$CLOSE1\",2]"
call PUT /api/v1/answers/AI-01 -H "Authorization: Bearer $(tok E1)" -H "$J" --data-binary '{"importance":4}'
same "E1 answers round 1" "$CODE" 200
cli round status --survey cli-test
check "round status shows the scheduled close" grep -q "open (opened .*, scheduled to close at $CLOSE1)" "$T/cli.out"
cli survey show cli-test
check "survey show shows the scheduled close" grep -q "1  open .*scheduled to close at $CLOSE1" "$T/cli.out"
# Still open while its time has not come (the server's clock is ours). A check whose reply came
# after close_at proves nothing (a loaded machine): it is skipped.
as carol GET "$S"
if [ "$(date +%s)" -lt "$(epoch "$CLOSE1")" ]; then
	same "before close_at: round 1 is open" "$(pj '[r["state"] for r in d["rounds"]]')" '["open"]'
fi
while [ "$(date +%s)" -lt $(($(epoch "$CLOSE1") - 1)) ]; do sleep 0.2; done
st=$(state 1)
if [ "$(date +%s)" -lt "$(epoch "$CLOSE1")" ]; then
	same "a second before close_at: round 1 is open" "$st" open
fi
check "round 1 is closed by the server after close_at" wait_closed 1 10
not_early 1 "$CLOSE1"
as carol GET "$S"
same "GET survey: round 1" "$(pj '[(r["state"], r["close_at"]) for r in d["rounds"]]')" "[[\"closed\",\"$CLOSE1\"]]"
as carol GET "$S/rounds/1/topics"
same "topics: status" "$CODE" 200
same "topics: aggregated" "$(pj 'd["aggregated"]')" true
# E1's one answer: importance 4 on AI-01, so n 1 and median 4.
same "topics: AI-01 importance" "$(pj '[(t["questions"]["importance"]["n"], t["questions"]["importance"]["median"]) for t in d["topics"] if t["code"] == "AI-01"][0]')" \
	'[1,4.0]'
check "stats rows of round 1" [ "$(sql "SELECT count(*) FROM stats s JOIN rounds r ON r.id = s.round_id WHERE r.number = 1")" -gt 0 ]
same "audit: the scheduled close" \
	"$(sql "SELECT actor || ' ' || action || ' ' || detail FROM audit_log WHERE action = 'round.close'" | sed 's/rows=[0-9]*/rows=N/')" \
	"system:schedule round.close survey=cli-test round=1 rows=N reason=scheduled close at $CLOSE1"
as carol GET "/api/v1/audit?limit=5"
same "audit API: the scheduled close" "$(pj '[e["actor"] for e in d["entries"] if e["action"] == "round.close"]')" \
	'["system:schedule"]'
check "the log says so" grep -q "round 1 of cli-test closed at its scheduled time $CLOSE1" "$T/err"
call PUT /api/v1/answers/AI-02 -H "Authorization: Bearer $(tok E1)" -H "$J" --data-binary '{"importance":3}'
same "no answer after the scheduled close" "$CODE $(pj 'd["error"]["code"]')" "409 round_not_open"

# ---- Reopen without close_at: the old one is cleared, the round stays open ---------------------
LABEL="reopen without close_at"
as carol POST "$S/rounds/reopen" -H "$J" --data-binary '{"reason":"E2 got the link late"}'
same "$LABEL: status" "$CODE" 200
same "$LABEL: round" "$(pj '[d["round"]["state"], d["round"]["close_at"]]')" '["open",null]'
same "$LABEL: close_at cleared in the store" "$(sql "SELECT coalesce(close_at, 'NULL') FROM rounds WHERE number = 1")" NULL
sleep 3 # three looks at least
same "$LABEL: still open 3 s later" "$(state 1)" open
same "$LABEL: no other scheduled close" "$(closes_by_schedule)" 1

# ---- Reopen with close_at: refused when passed; else closed again at that time ----------------
LABEL="close by hand"
as carol POST "$S/rounds/close"
same "$LABEL: status" "$CODE" 200
same "$LABEL: audit actor" "$(sql "SELECT actor FROM audit_log WHERE action = 'round.close' ORDER BY id DESC LIMIT 1")" user:carol
LABEL="reopen, close_at has passed"
as carol POST "$S/rounds/reopen" -H "$J" --data-binary "{\"reason\":\"late\",\"close_at\":\"$(at -5)\"}"
error 422 invalid_request close_at
same "$LABEL: still closed" "$(state 1)" closed
CLOSE1B=$(at 4)
LABEL="reopen with close_at $CLOSE1B"
as carol POST "$S/rounds/reopen" -H "$J" --data-binary "{\"reason\":\"one more day\",\"close_at\":\"$CLOSE1B\"}"
same "$LABEL: status" "$CODE" 200
same "$LABEL: round" "$(pj '[d["round"]["state"], d["round"]["close_at"]]')" "[\"open\",\"$CLOSE1B\"]"
same "$LABEL: audit" "$(sql "SELECT detail FROM audit_log WHERE action = 'round.reopen' ORDER BY id DESC LIMIT 1")" \
	"survey=cli-test round=1 close_at=$CLOSE1B reason=one more day"
check "$LABEL: closed again by the server" wait_closed 1 10
not_early 1 "$CLOSE1B"
same "$LABEL: two scheduled closes" "$(closes_by_schedule)" 2

# ---- Round 2: its close_at passes while no server runs; closed at the next start --------------
CLOSE2=$(at 8)
LABEL="open round 2 with close_at $CLOSE2"
as carol POST "$S/rounds/open" -H "$J" --data-binary "{\"close_at\":\"$CLOSE2\"}"
same "$LABEL: status" "$CODE" 200
same "$LABEL: round" "$(pj '[d["round"]["number"], d["round"]["close_at"], d["invited"]]')" "[2,\"$CLOSE2\",1]"
call PUT /api/v1/answers/AI-01 -H "Authorization: Bearer $(tok E1)" -H "$J" --data-binary '{"importance":3}'
same "E1 answers round 2" "$CODE" 200
stop
while [ "$(date +%s)" -le "$(epoch "$CLOSE2")" ]; do sleep 0.2; done
sleep 1
same "round 2 is still open with no server" "$(state 2)" open
start
check "round 2 is closed at the next start" wait_closed 2 10
same "round 2: closed by the schedule" "$(sql "SELECT actor || ' ' || detail FROM audit_log WHERE action = 'round.close' ORDER BY id DESC LIMIT 1" | sed 's/rows=[0-9]*/rows=N/')" \
	"system:schedule survey=cli-test round=2 rows=N reason=scheduled close at $CLOSE2"
check "stats rows of round 2" [ "$(sql "SELECT count(*) FROM stats s JOIN rounds r ON r.id = s.round_id WHERE r.number = 2")" -gt 0 ]
stop

finish
