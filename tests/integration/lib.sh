# tests/integration/lib.sh — what the integration scripts share; sourced (`. "$HERE/lib.sh"`)
# after `set -u`, with $DELPHI set to the binary under test and $HERE to this folder. It makes a
# temporary directory $T (removed on exit, with every process whose id is in $PIDS killed: each
# server started through `start` or `listening`, each relay of `start_relay`), the database path
# $DB, and these helpers:
#
#   fail MSG            prints "FAIL: MSG" and counts a failure
#   check DESC CMD...   the command must succeed
#   same DESC GOT WANT  GOT must equal WANT
#   finish              prints "NAME: N checks, N failures" and exits 1 on any failure
#   cli ARGS...         delphi --db $DB ARGS (output in $T/cli.out; a non-zero exit is a failure)
#   run RC ARGS...      delphi --db $DB ARGS (standard input as given to run), stdout in $T/out,
#                       stderr in $T/err; the exit status must be RC (one check)
#   run_db RC DB ARGS...  the same on the database file DB
#   has FILE TEXT       FILE contains the line fragment TEXT; `hasnt FILE TEXT`: it does not
#   sum [FILE]          the SHA-256 of FILE ($DB if none), in hex
#   sql SQL             the sqlite3 CLI on $DB
#   start [ENV=V...] [-- ARGS...]   delphi serve on $DB on an ephemeral loopback port, with
#                       --threads 2 --shutdown-timeout 20 --public-url https://survey.test and then
#                       ARGS (a later option wins): sets PID, PORT, U; $T/out and $T/err are emptied
#                       first, so that a restart never reads the previous server's lines
#   listening PID DIR WHAT  waits (WAIT s at most) until server PID has printed its URL to DIR/out,
#                       its log going to DIR/err; sets PID, PORT, U (else "FAIL: WHAT did not
#                       start" and exit 1). `start` uses it; so can a script that starts its own
#   stop                SIGTERM, wait_exit (WAIT s), the exit status must be 0; $T/err goes to
#                       $T/err.all
#   wait_exit PID SECONDS   waits that long at most for PID to exit (else a failure, and kill -9);
#                       sets RC to its exit status
#   call METHOD PATH [CURL ARGS...]   headers in $T/h (no CR), body in $T/b, status in $CODE
#   pj EXPR             a Python expression over the last reply's JSON body (d), printed
#   error STATUS CODE [FIELD]         the last reply is that error, in the one shape ($LABEL)
#   login WHO PASSWORD  logs a console user in; `as WHO METHOD PATH ...` then calls with their
#                       session cookie and CSRF token
#   user_add NAME ROLE  delphi user add, the password being "NAME has a long password"
#   start_relay NAME ARGS...  an SMTP relay (smtp_server.py ARGS, python3-aiosmtpd) recording
#                       into $T/NAME, its port in $T/NAME.port, its log in $T/NAME.log (else
#                       "FAIL: relay NAME did not start" and exit 1)
#   drive NAME SECONDS ARGS...  python3 NAME.py --delphi $DELPHI --dir $T ARGS (a driver in this
#                       folder), killed after SECONDS; exits with its status
#
# VALGRIND=1 runs the servers under valgrind (errors and definite leaks: exit 99) and `run`'s
# commands too (every leak kind counting). KEEP=1 keeps $T (its name is printed).
: "${DELPHI:?set DELPHI to the delphi binary}"
PY=/usr/bin/python3 # Debian's python, where python3-aiosmtpd lives
T=$(mktemp -d)
[ "${KEEP:-}" ] && echo "files in $T"
PIDS=""
lib_cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	[ "${KEEP:-}" ] || rm -rf "$T"
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
sum() { sha256sum "${1:-$DB}" | cut -d' ' -f1; }
pj() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
sys.stdout.write(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":")))' "$T/b" "$1" 2>/dev/null || echo "<not JSON: $1>"
}

VG=""
VGRUN=""
WAIT=60
MAXT=30
if [ "${VALGRIND:-}" ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
	VGRUN="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all"
	WAIT=600
	MAXT=600
fi

run() {
	want=$1
	shift
	lib_run "$want" "$DB" "delphi $*" "$@"
}
run_db() {
	want=$1
	db=$2
	shift 2
	lib_run "$want" "$db" "delphi --db $(basename "$db") $*" "$@"
}
lib_run() { # lib_run RC DB WHAT ARGS...
	want=$1
	db=$2
	what=$3
	shift 3
	checks=$((checks + 1))
	$VGRUN "$DELPHI" --db "$db" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$what: exit $got, expected $want"
		sed 's/^/  stdout: /' "$T/out" | head -20
		sed 's/^/  stderr: /' "$T/err" | head -20
	fi
}
has() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$1" || { fail "$(basename "$1") lacks: $2"; sed 's/^/  | /' "$1" | head -30; }
}
hasnt() {
	checks=$((checks + 1))
	if grep -qF -- "$2" "$1"; then fail "$(basename "$1") has: $2"; fi
}

start() {
	rm -f "$T/out" "$T/err" # a restart must not read the previous server's lines
	(
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			export "$1"
			shift
		done
		[ $# -eq 0 ] || shift
		exec $VG "$DELPHI" --db "$DB" serve --listen 127.0.0.1:0 --threads 2 \
			--shutdown-timeout 20 --public-url https://survey.test "$@"
	) >"$T/out" 2>"$T/err" &
	listening $! "$T" "the server"
}
listening() {
	PID=$1
	PIDS="$PIDS $PID"
	i=0
	until grep -q '^delphi serve:' "$2/out" 2>/dev/null; do
		if ! kill -0 "$PID" 2>/dev/null || [ $i -ge $((WAIT * 10)) ]; then
			echo "FAIL: $3 did not start"
			cat "$2/out" "$2/err"
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$2/err")
	U=https://127.0.0.1:$PORT
}
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		fail "process $1 still running after $2 s"
		kill -9 "$1"
	fi
	wait "$1"
	RC=$?
}
stop() {
	kill -TERM "$PID"
	wait_exit "$PID" "$WAIT"
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

start_relay() {
	name=$1
	shift
	mkdir -p "$T/$name"
	"$PY" "$HERE/smtp_server.py" --port-file "$T/$name.port" --dir "$T/$name" "$@" \
		>"$T/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$T/$name.port" ]; then
		echo "FAIL: relay $name did not start"
		cat "$T/$name.log"
		exit 1
	fi
}

drive() {
	name=$1
	seconds=$2
	shift 2
	timeout -k 10 "$seconds" python3 "$HERE/$name.py" --delphi "$DELPHI" --dir "$T" "$@"
	rc=$?
	[ "$rc" -eq 124 ] && echo "FAIL: $name.py did not finish in time"
	exit "$rc"
}
