#!/bin/sh
# bench/load.sh [BUILD_DIR] — the load benchmark of delphi serve (issue 4), called by bench/run.sh
# (`make bench`); BUILD_DIR defaults to build/release. Run from the repository root.
#
# In a temporary directory: a fresh database with the sample survey, LOAD_EXPERTS (2,000)
# synthetic experts in one or two fields each, round 1 open; `delphi serve --threads 2` on a free
# loopback port. Then:
#   1. idle: LOAD_IDLE (1,000) keep-alive TLS connections, each after one save, held open; the
#      server's VmRSS before and after (bench/load/idle.py);
#   2. wrk -t2 at 64 then 512 connections, LOAD_DURATION (10) s each: experts save answers with
#      PUT /api/v1/answers/{topic} (bench/load/answers.lua), each run followed by the same wrk run
#      of GETs of a static file of the same size as delphi's PUT reply from lighttpd + mod_mbedtls
#      (bench/load/lighttpd.conf.in: delphi's certificate, TLS 1.2, the same cipher suite);
#      then, once, delphi's GET /healthz at the first connection count: the HTTP and TLS layers
#      alone, the floor under a save; and one save repeated (the probe expert's, on every
#      connection): every row, page and cache hot, the floor under a save with its durable write
#      (LOAD_FLOOR=0 skips both);
#   3. the server is killed (SIGKILL, so only what was committed counts) and the database must
#      hold every acknowledged save (bench/load/check.py).
# Prints requests/s, p50 and p99 for both servers (wrk's, over the whole run; and over its second
# half, after the TLS handshakes of the start, which at 512 connections take seconds), their ratio,
# the CPU shares of server, wrk and everything else (on a shared machine), the server's CPU per
# request by thread (event threads, writer) in user and system time, the idle memory per
# connection, the acknowledged-saves check, with the targets beside them: printed, never asserted.
# The exit status is non-zero only when the benchmark could not run. delphi's own log (a line per
# request) goes to a file in the directory; LOAD_KEEP=1 keeps the directory. About 60 s.
#
# While PUT /api/v1/answers is not there yet (the probe save is not answered 200), delphi is
# measured on GET /healthz instead, and the output says so.
set -eu
B=${1:-build/release}
D=$B/delphi
HERE=$(dirname "$0")
SURVEY=survey-defs/foresight-2050.json
SLUG=foresight-2050
N_EXPERTS=${LOAD_EXPERTS:-2000}
DURATION=${LOAD_DURATION:-10}
CONNS=${LOAD_CONNS:-64 512}
IDLE=${LOAD_IDLE:-1000}
WRK_THREADS=2

sh tools/install-bench-deps.sh
[ -x "$D" ] || { echo "load: $D is not built (make VARIANT=... $D)" >&2; exit 1; }
# 512 connections on both sides, 1,000 idle ones: more descriptors than the usual 1,024.
# shellcheck disable=SC3045 # dash and bash have ulimit -n and -H
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

T=$(mktemp -d "${TMPDIR:-/tmp}/delphi-load.XXXXXX")
SPID=""
LPID=""
cleanup() {
	for p in $SPID $LPID; do
		if kill "$p" 2>/dev/null; then wait "$p" 2>/dev/null || true; fi
	done
	if [ "${LOAD_KEEP:-0}" = 1 ]; then echo "load: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "== load: $*"; }
die() { echo "load: $*" >&2; exit 1; }
# get FILE KEY: the value of KEY=... in a summary file written by answers.lua or idle.py's line.
get() { sed -n "s/^$2=//p" "$1" | tr -d "'"; }

# --- setup -----------------------------------------------------------------------------------
say "setup in $T: $N_EXPERTS experts, round 1 of $SLUG open"
"$D" --db "$T/delphi.db" init >/dev/null
"$D" --db "$T/delphi.db" survey load "$SURVEY" >/dev/null
python3 "$HERE/load/prep.py" experts "$SURVEY" "$N_EXPERTS" >"$T/experts.csv"
"$D" --db "$T/delphi.db" experts import --survey "$SLUG" "$T/experts.csv" >"$T/links.csv" 2>/dev/null
python3 "$HERE/load/prep.py" tokens "$SURVEY" "$T/experts.csv" "$T/links.csv" >"$T/tokens.txt"
PROBE=$(sed -n 's/^probe,\([0-9a-f]*\),.*/\1/p' "$T/links.csv")
[ -n "$PROBE" ] || die "no token for the probe expert in $T/links.csv"
"$D" --db "$T/delphi.db" round open --survey "$SLUG" >/dev/null
ALL_TOPICS=$(python3 -c 'import json,sys; print(",".join(t["code"] for t in json.load(open(sys.argv[1]))["topics"]))' "$SURVEY")

"$D" --db "$T/delphi.db" serve --listen 127.0.0.1:0 --threads 2 --max-connections 4096 \
	>"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
i=0
while ! grep -q '^delphi serve: ' "$T/serve.out" 2>/dev/null; do
	kill -0 "$SPID" 2>/dev/null || { cat "$T/serve.err" >&2; die "delphi serve did not start"; }
	i=$((i + 1)); [ $i -lt 100 ] || die "delphi serve did not print its URL within 10 s"
	sleep 0.1
done
PORT=$(sed -n 's|^delphi serve: https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.out")
i=0
until curl -sfk -o /dev/null "https://127.0.0.1:$PORT/healthz"; do
	i=$((i + 1)); [ $i -lt 50 ] || die "no answer from https://127.0.0.1:$PORT/healthz"
	sleep 0.1
done
DELPHI_TLS=$(openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | sed -n 's/^New, //p')

# The probe: one save like the load's; its reply is the typical PUT reply (and its size the
# size of lighttpd's static file). Its expert is not one of the load's.
probe_body='{"expertise":2,"importance":3,"competitiveness":1,"tech_year":2035,"social_year":2039,"measures":["funding","elsi"],"comment":"bench probe-1-123456"}'
code=$(curl -sk -o "$T/probe.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $PROBE" \
	-H 'Content-Type: application/json' --data "$probe_body" \
	"https://127.0.0.1:$PORT/api/v1/answers/ICT-01" || true)
if [ "$code" = 200 ]; then
	MODE=put
	DELPHI_WHAT="delphi PUT /api/v1/answers"
	cp "$T/probe.json" "$T/body"
else
	MODE=healthz
	DELPHI_WHAT="delphi GET /healthz"
	say "PUT /api/v1/answers/ICT-01 answered ${code:-nothing}, not 200: the save API is not there"
	say "yet, so delphi is measured on GET /healthz instead (no acknowledged-saves check)"
	curl -sk -o "$T/body" "https://127.0.0.1:$PORT/healthz"
fi
SIZE=$(wc -c <"$T/body" | tr -d ' ')
say "delphi on port $PORT ($DELPHI_TLS); reply body of the measured request: $SIZE bytes"

# --- 1. idle connections -----------------------------------------------------------------------
say "idle: $IDLE keep-alive connections"
if [ "$MODE" = put ]; then
	python3 "$HERE/load/idle.py" --port "$PORT" --pid "$SPID" --count "$IDLE" \
		--token "$PROBE" --topics "$ALL_TOPICS" >"$T/idle.out"
else
	python3 "$HERE/load/idle.py" --port "$PORT" --pid "$SPID" --count "$IDLE" >"$T/idle.out"
fi
sed -n 1p "$T/idle.out"
sed -n '2s/^idle: //p' "$T/idle.out" | tr ' ' '\n' >"$T/idle.sum"

# --- the peer ------------------------------------------------------------------------------------
mkdir "$T/www"
cp "$T/body" "$T/www/reply.json"
LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$LPORT|" -e "s|@DOCROOT@|$T/www|" -e "s|@DIR@|$T|g" \
	-e "s|@CERT@|$T/delphi.crt|" -e "s|@KEY@|$T/delphi.key|" \
	"$HERE/load/lighttpd.conf.in" >"$T/lighttpd.conf"
lighttpd -D -f "$T/lighttpd.conf" 2>>"$T/lighttpd.err" &
LPID=$!
i=0
until curl -sfk -o /dev/null "https://127.0.0.1:$LPORT/reply.json"; do
	kill -0 "$LPID" 2>/dev/null || { cat "$T/lighttpd.err" >&2; die "lighttpd did not start"; }
	i=$((i + 1)); [ $i -lt 50 ] || die "no answer from lighttpd on port $LPORT"
	sleep 0.1
done
LIGHTTPD_TLS=$(openssl s_client -connect "127.0.0.1:$LPORT" </dev/null 2>/dev/null | sed -n 's/^New, //p')
say "lighttpd $(lighttpd -v | sed -n 's|^lighttpd/\([^ ]*\).*|\1|p') on port $LPORT ($LIGHTTPD_TLS), static file of $SIZE bytes"

# --- 2. load ----------------------------------------------------------------------------------------
# The CPU time of a run, as shares of all the cores: the server's (from /proc/PID/stat), wrk's (the
# shell's reaped children, from `times`) and everything else's (from /proc/stat): on a shared
# machine the last one says how much the figures are to be trusted.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# centiseconds of CPU of the reaped children, from the output of `times` in FILE (times itself
# must run in this shell, not in a $(...) subshell)
children_ticks() {
	awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]);
		t += a[1] * 60 + a[2] } printf "%d\n", t * 100 }' "$1"
}
now_ticks() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
TICK=$(getconf CLK_TCK)
NCPU=$(nproc)
# The user and system ticks of the server's threads by role, from /proc/PID/task/*/{comm,stat}: delphi
# names its event threads delphi-loop-N and its writer delphi-writer; lighttpd's one thread counts as
# "loop". Prints "loop_user loop_sys writer_user writer_sys other".
thread_ticks() {
	for t in /proc/"$1"/task/*; do
		printf '%s ' "$(cat "$t/comm" 2>/dev/null)"
		awk '{ print $14, $15 }' "$t/stat" 2>/dev/null || echo "0 0"
	done | awk '$1 ~ /^delphi-loop/ || $1 == "lighttpd" { lu += $2; ls += $3; next }
		$1 == "delphi-writer" { wu += $2; ws += $3; next } { o += $2 + $3 }
		END { printf "%d %d %d %d %d\n", lu, ls, wu, ws, o }'
}
# run_wrk NAME SERVER_PID WRK_ARGS...: wrk's output in $T/wrk-NAME.log; the CPU shares, and the
# server's CPU per request by thread role and by user/system time, are added to $T/NAME.sum, which
# answers.lua wrote.
run_wrk() {
	name=$1 pid=$2
	shift 2
	times >"$T/times"
	tt0=$(thread_ticks "$pid")
	b0=$(busy_ticks) s0=$(proc_ticks "$pid") c0=$(children_ticks "$T/times") t0=$(now_ticks)
	wrk "$@" >"$T/wrk-$name.log" 2>&1 || { cat "$T/wrk-$name.log" >&2; die "wrk failed"; }
	times >"$T/times"
	b1=$(busy_ticks) s1=$(proc_ticks "$pid") c1=$(children_ticks "$T/times") t1=$(now_ticks)
	tt1=$(thread_ticks "$pid")
	echo "$tt0 $tt1" | awk -v hz="$TICK" -v n="$(get "$T/$name.sum" requests)" '{
		us = n > 0 ? 1e6 / hz / n : 0
		printf "us_loop_user=%.1f\nus_loop_sys=%.1f\nus_writer_user=%.1f\nus_writer_sys=%.1f\nus_other=%.1f\n",
			($6 - $1) * us, ($7 - $2) * us, ($8 - $3) * us, ($9 - $4) * us, ($10 - $5) * us }' \
		>>"$T/$name.sum"
	awk -v b="$((b1 - b0))" -v s="$((s1 - s0))" -v c="$((c1 - c0))" -v t="$((t1 - t0))" \
		-v hz="$TICK" -v n="$NCPU" 'BEGIN { cap = t / 100 * hz * n / 100; if (cap <= 0) cap = 1
		o = b - s - c * hz / 100; if (o < 0) o = 0
		printf "cpu_server=%.0f\ncpu_wrk=%.0f\ncpu_other=%.0f\n", s / cap, c * hz / 100 / cap, o / cap }' \
		>>"$T/$name.sum"
}
for c in $CONNS; do
	say "wrk -t$WRK_THREADS -c$c -d${DURATION}s: $DELPHI_WHAT"
	if [ "$MODE" = put ]; then
		run_wrk "delphi-$c" "$SPID" -t$WRK_THREADS -c"$c" -d"${DURATION}s" -s "$HERE/load/answers.lua" \
			"https://127.0.0.1:$PORT/" -- put "$T/delphi-$c.sum" $WRK_THREADS \
			"$T/tokens.txt" "c$c" "$T/acks-c$c" "$DURATION"
	else
		run_wrk "delphi-$c" "$SPID" -t$WRK_THREADS -c"$c" -d"${DURATION}s" -s "$HERE/load/answers.lua" \
			"https://127.0.0.1:$PORT/" -- get "$T/delphi-$c.sum" $WRK_THREADS /healthz "$DURATION"
	fi
	say "wrk -t$WRK_THREADS -c$c -d${DURATION}s: lighttpd GET /reply.json"
	run_wrk "lighttpd-$c" "$LPID" -t$WRK_THREADS -c"$c" -d"${DURATION}s" -s "$HERE/load/answers.lua" \
		"https://127.0.0.1:$LPORT/" -- get "$T/lighttpd-$c.sum" $WRK_THREADS /reply.json "$DURATION"
done
# The floor under a save: delphi's HTTP and TLS layers alone (GET /healthz: no body to parse, no
# store), against the same lighttpd run, at the first connection count. What a save costs above it
# is the application's: JSON, validation, the hand-off to the writer and the transaction.
FLOOR_C=${CONNS%% *}
if [ "$MODE" = put ] && [ "${LOAD_FLOOR:-1}" = 1 ]; then
	say "wrk -t$WRK_THREADS -c$FLOOR_C -d${DURATION}s: delphi GET /healthz (the floor: HTTP + TLS only)"
	run_wrk "floor-$FLOOR_C" "$SPID" -t$WRK_THREADS -c"$FLOOR_C" -d"${DURATION}s" \
		-s "$HERE/load/answers.lua" "https://127.0.0.1:$PORT/" -- get "$T/floor-$FLOOR_C.sum" \
		$WRK_THREADS /healthz "$DURATION"
	# The same save over and over (the probe expert's, not one of the load's keys, which the
	# check below reads): every row, page and cache hot. Against the first run it shows what the
	# spread of the experts' saves over the answers table costs the store.
	echo "probe $PROBE ICT-01" >"$T/same-token.txt"
	say "wrk -t$WRK_THREADS -c$FLOOR_C -d${DURATION}s: delphi PUT, one save repeated (every row and cache hot)"
	run_wrk "same-$FLOOR_C" "$SPID" -t$WRK_THREADS -c"$FLOOR_C" -d"${DURATION}s" \
		-s "$HERE/load/answers.lua" "https://127.0.0.1:$PORT/" -- same "$T/same-$FLOOR_C.sum" \
		$WRK_THREADS "$T/same-token.txt" "$DURATION"
fi
HWM=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$SPID/status")

# --- 3. acknowledged saves -------------------------------------------------------------------------
kill -KILL "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
SPID=""
CHECK="(not checked: no saves were made)"
if [ "$MODE" = put ]; then
	acks=""
	for c in $CONNS; do acks="$acks $T/acks-c$c"; done
	"$D" --db "$T/delphi.db" experts list --survey "$SLUG" >"$T/experts-list.csv"
	"$D" --db "$T/delphi.db" answers export --survey "$SLUG" --round 1 >"$T/answers.csv"
	# shellcheck disable=SC2086
	python3 "$HERE/load/check.py" "$T/experts-list.csv" "$T/answers.csv" $acks >"$T/check.out" || true
	CHECK=$(sed -n '1s/^acknowledged-saves: //p' "$T/check.out")
fi

# --- results ---------------------------------------------------------------------------------------
echo
say "results: delphi serve --threads 2 and lighttpd (1 process) on loopback, wrk -t$WRK_THREADS on the same $(nproc) cores,"
say "${DURATION} s per run, keep-alive TLS; reply bodies of $SIZE bytes. Whole run: wrk's figures. 2nd half:"
say "from ${DURATION}/2 s on, after the TLS handshakes of the start (p50/p99 there: the saves only)"
printf '%-28s %5s %8s %7s %7s %7s | %8s %7s %7s | %7s %6s | %s\n' "" conns "req/s" "p50 ms" "p99 ms" \
	"max ms" "req/s" "p50 ms" "p99 ms" "non-200" errors "CPU % server/wrk/other"
row() { # label file conns
	awk -v l="$1" -v c="$3" -v rps="$(get "$2" rps)" -v p50="$(get "$2" p50_us)" \
		-v p99="$(get "$2" p99_us)" -v mx="$(get "$2" max_us)" -v req="$(get "$2" requests)" \
		-v ok="$(get "$2" ok)" -v e1="$(get "$2" err_connect)" -v e2="$(get "$2" err_read)" \
		-v e3="$(get "$2" err_write)" -v e4="$(get "$2" err_timeout)" -v r2="$(get "$2" rps_2nd)" \
		-v n2="$(get "$2" n_2nd)" -v a2="$(get "$2" p50_2nd_us)" -v b2="$(get "$2" p99_2nd_us)" \
		-v cpu="$(get "$2" cpu_server)/$(get "$2" cpu_wrk)/$(get "$2" cpu_other)" 'BEGIN {
		if (n2 > 0) { q50 = sprintf("%7.2f", a2 / 1000); q99 = sprintf("%7.2f", b2 / 1000) }
		else { q50 = sprintf("%7s", "-"); q99 = q50 }
		printf "%-28s %5d %8.0f %7.2f %7.2f %7.1f | %8.0f %s %s | %7d %6d | %s\n", l, c, rps,
			p50 / 1000, p99 / 1000, mx / 1000, r2, q50, q99, req - ok, e1 + e2 + e3 + e4, cpu }'
}
for c in $CONNS; do
	row "$DELPHI_WHAT" "$T/delphi-$c.sum" "$c"
	row "lighttpd GET static file" "$T/lighttpd-$c.sum" "$c"
	awk -v c="$c" -v a="$(get "$T/delphi-$c.sum" rps)" -v b="$(get "$T/lighttpd-$c.sum" rps)" \
		-v a2="$(get "$T/delphi-$c.sum" rps_2nd)" -v b2="$(get "$T/lighttpd-$c.sum" rps_2nd)" 'BEGIN {
		printf "%-28s %5d %8.2f %23s | %8.2f   (target >= 0.5)\n", "ratio delphi / lighttpd", c,
			(b > 0 ? a / b : 0), "", (b2 > 0 ? a2 / b2 : 0) }'
done
if [ -s "$T/floor-$FLOOR_C.sum" ]; then
	row "delphi GET /healthz (floor)" "$T/floor-$FLOOR_C.sum" "$FLOOR_C"
	awk -v c="$FLOOR_C" -v a="$(get "$T/floor-$FLOOR_C.sum" rps)" -v b="$(get "$T/lighttpd-$FLOOR_C.sum" rps)" \
		-v s="$(get "$T/delphi-$FLOOR_C.sum" rps)" 'BEGIN {
		printf "%-28s %5d %8.2f   (HTTP + TLS layers vs lighttpd; a save is %.2f of /healthz)\n",
			"ratio /healthz / lighttpd", c, (b > 0 ? a / b : 0), (a > 0 ? s / a : 0) }'
fi
if [ -s "$T/same-$FLOOR_C.sum" ]; then
	row "delphi PUT, one save repeated" "$T/same-$FLOOR_C.sum" "$FLOOR_C"
	awk -v c="$FLOOR_C" -v a="$(get "$T/same-$FLOOR_C.sum" rps)" -v b="$(get "$T/lighttpd-$FLOOR_C.sum" rps)" \
		'BEGIN { printf "%-28s %5d %8.2f   (every row, page and cache hot)\n",
			"ratio repeated / lighttpd", c, (b > 0 ? a / b : 0) }'
fi
# Where a request's server CPU goes (from the threads' ticks: 10 ms each, so over a 10 s run a few
# hundredths of a microsecond per request): on a save, the writer's system time is mostly the WAL's
# writes and the checkpoints (one write per page a batch changed, then its copy to the database).
cpu_row() { # label file
	awk -v l="$1" -v lu="$(get "$2" us_loop_user)" -v ls="$(get "$2" us_loop_sys)" \
		-v wu="$(get "$2" us_writer_user)" -v ws="$(get "$2" us_writer_sys)" \
		-v o="$(get "$2" us_other)" 'BEGIN {
		printf "%-40s %6.1f us = event threads %5.1f (user %5.1f, system %5.1f)", l,
			lu + ls + wu + ws + o, lu + ls, lu, ls
		if (wu + ws > 0) printf " + writer %5.1f (user %5.1f, system %5.1f)", wu + ws, wu, ws
		if (o > 0.05) printf " + other %.1f", o
		printf "\n" }'
}
echo "server CPU per request:"
for c in $CONNS; do
	cpu_row "  delphi, $c connections" "$T/delphi-$c.sum"
	cpu_row "  lighttpd, $c connections" "$T/lighttpd-$c.sum"
done
[ ! -s "$T/floor-$FLOOR_C.sum" ] || cpu_row "  delphi /healthz, $FLOOR_C connections" "$T/floor-$FLOOR_C.sum"
[ ! -s "$T/same-$FLOOR_C.sum" ] || cpu_row "  delphi one save repeated, $FLOOR_C conns" "$T/same-$FLOOR_C.sum"
last=""
for c in $CONNS; do last=$c; done
awk -v c="$last" -v p="$(get "$T/delphi-$last.sum" p99_us)" -v p2="$(get "$T/delphi-$last.sum" p99_2nd_us)" \
	-v n2="$(get "$T/delphi-$last.sum" n_2nd)" 'BEGIN {
	printf "delphi p99 at %d connections: %.2f ms over the whole run", c, p / 1000
	if (n2 > 0) printf ", %.2f ms in the 2nd half", p2 / 1000
	printf " (target <= 25 ms)\n" }'
awk -v n="$(get "$T/idle.sum" conns)" -v a="$(get "$T/idle.sum" alive)" \
	-v k="$(get "$T/idle.sum" per_conn_kib)" -v r0="$(get "$T/idle.sum" rss_before_kb)" \
	-v r1="$(get "$T/idle.sum" rss_after_kb)" 'BEGIN {
	printf "idle keep-alive TLS connections: %d (%d still open), RSS %d -> %d kB: %.1f KiB per connection (target <= 64 KiB)\n",
		n, a, r0, r1, k }'
echo "delphi peak RSS (VmHWM) over the whole run: $HWM"
for c in $CONNS; do
	echo "replies per second at $c connections: delphi $(get "$T/delphi-$c.sum" per_second); lighttpd $(get "$T/lighttpd-$c.sum" per_second)"
done
for c in $CONNS; do
	echo "statuses at $c connections: delphi $(get "$T/delphi-$c.sum" statuses); lighttpd $(get "$T/lighttpd-$c.sum" statuses)"
done
if [ "$MODE" = put ]; then
	for c in $CONNS; do
		f="$T/delphi-$c.sum"
		echo "saves at $c connections: $(get "$f" ok) answered 200, $(get "$f" acked) matched to their request," \
			"$(get "$f" unmatched) unmatched, $(get "$f" inflight_end) keys unanswered at the end," \
			"$(get "$f" forced) sent while in flight"
	done
fi
echo "acknowledged saves in the database after SIGKILL (per expert and topic, the last acknowledged one): $CHECK"
[ ! -s "$T/check.out" ] || sed -n '2,$p' "$T/check.out"
echo "TLS: delphi $DELPHI_TLS; lighttpd $LIGHTTPD_TLS"
