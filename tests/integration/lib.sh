# tests/integration/lib.sh — what the integration scripts share; sourced (`. "$HERE/lib.sh"`)
# after `set -u`, with $DELPHI set to the binary under test. It makes a temporary directory $T
# (removed on exit, with every server started through `start` killed), the database path $DB,
# and these helpers:
#
#   fail MSG            prints "FAIL: MSG" and counts a failure
#   check DESC CMD...   the command must succeed
#   same DESC GOT WANT  GOT must equal WANT
#   finish              prints "NAME: N checks, N failures" and exits 1 on any failure
#   cli ARGS...         delphi --db $DB ARGS (output in $T/cli.out; a non-zero exit is a failure)
#   sql SQL             the sqlite3 CLI on $DB
#   start [ENV=V...]    delphi serve on $DB on an ephemeral loopback port: sets PID, PORT, U
#   stop                SIGTERM, wait, the exit status must be 0
#   call METHOD PATH [CURL ARGS...]   headers in $T/h (no CR), body in $T/b, status in $CODE
#   pj EXPR             a Python expression over the last reply's JSON body (d), printed
#   error STATUS CODE [FIELD]         the last reply is that error, in the one shape ($LABEL)
#   login WHO PASSWORD  logs a console user in; `as WHO METHOD PATH ...` then calls with their
#                       session cookie and CSRF token
#   user_add NAME ROLE  delphi user add, the password being "NAME has a long password"
#
# VALGRIND=1 runs the servers under valgrind (errors and definite leaks: exit 99).
: "${DELPHI:?set DELPHI to the delphi binary}"
PY=/usr/bin/python3 # Debian's python, where python3-aiosmtpd lives
T=$(mktemp -d)
PIDS=""
lib_cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap lib_cleanup EXIT
trap 'exit 1' INT TERM HUP
unset DELPHI_LISTEN DELPHI_DB DELPHI_CERT DELPHI_KEY DELPHI_THREADS DELPHI_WEB_DIR \
	DELPHI_PUBLIC_URL DELPHI_MAX_CONNECTIONS DELPHI_MAX_BODY DELPHI_TIMEOUT
for v in $(env | sed -n 's/^\(DELPHI_SMTP_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
DB=$T/delphi.db
checks=0
failures=0

fail() {
	failures=$((failures + 1))
	echo "FAIL: $*"
}
check() {
	checks=$((checks + 1))
	desc=$1
	shift
	if ! "$@"; then fail "$desc"; fi
}
same() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		fail "$1: got '$(printf %s "$2" | cut -c1-300)', expected '$(printf %s "$3" | cut -c1-300)'"
	fi
}
finish() {
	echo "$(basename "$0" .sh): $checks checks, $failures failures"
	[ "$failures" -eq 0 ]
	exit $?
}
cli() { "$DELPHI" --db "$DB" "$@" >"$T/cli.out" 2>"$T/cli.err" || fail "delphi $*: $(cat "$T/cli.err")"; }
sql() { sqlite3 "$DB" "$1"; }
pj() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
sys.stdout.write(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":")))' "$T/b" "$1" 2>/dev/null || echo "<not JSON: $1>"
}

VG=""
WAIT=60
MAXT=30
if [ "${VALGRIND:-}" ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
	WAIT=600
	MAXT=600
fi

start() {
	rm -f "$T/out" "$T/err" # a restart must not read the previous server's lines
	env "$@" $VG "$DELPHI" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
		--shutdown-timeout 20 --public-url https://survey.test >"$T/out" 2>"$T/err" &
	PID=$!
	PIDS="$PIDS $PID"
	i=0
	until grep -q '^delphi serve:' "$T/out" 2>/dev/null; do
		if ! kill -0 "$PID" 2>/dev/null || [ $i -ge $((WAIT * 10)) ]; then
			echo "FAIL: the server did not start"
			cat "$T/out" "$T/err"
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$T/err")
	U=https://127.0.0.1:$PORT
}
stop() {
	kill -TERM "$PID"
	i=0
	while kill -0 "$PID" 2>/dev/null && [ $i -lt $((WAIT * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$PID"
	RC=$?
	same "server exit status" "$RC" 0
	cat "$T/err" >>"$T/err.all"
}

C="curl -sk -m $MAXT"
call() {
	m=$1
	p=$2
	shift 2
	CODE=$($C -X "$m" -D "$T/h.raw" -o "$T/b" -w '%{http_code}' "$@" "$U$p")
	tr -d '\r' <"$T/h.raw" >"$T/h"
}
J="Content-Type: application/json"
as() {
	who=$1
	shift
	call "$@" -H "Cookie: delphi_session=$(cat "$T/ck.$who")" -H "X-CSRF-Token: $(cat "$T/csrf.$who")"
}
error() {
	same "$LABEL: status" "$CODE" "$1"
	same "$LABEL: error code" "$(pj 'd["error"]["code"]')" "$2"
	same "$LABEL: error field" "$(pj 'd["error"].get("field", "")')" "${3:-}"
}
login() {
	call POST /api/v1/login -H "$J" --data-binary "{\"name\":\"$1\",\"password\":\"$2\"}"
	same "login $1: status" "$CODE" 200
	sed -n 's/^Set-Cookie: delphi_session=\([0-9a-f]*\);.*/\1/p' "$T/h" >"$T/ck.$1"
	pj 'd["csrf_token"]' >"$T/csrf.$1"
}
user_add() {
	printf '%s\n' "$1 has a long password" | "$DELPHI" --db "$DB" user add "$1" --role "$2" \
		>/dev/null 2>"$T/cli.err" || fail "user add $1: $(cat "$T/cli.err")"
}
