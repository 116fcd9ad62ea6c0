#!/bin/sh
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang into build/fuzz/: the parser targets
# from the pure core sources (server/core/*.c, jansson, libm: nothing else); the request target
# (fuzz_request, listed in SERVER_TARGETS) from every server source but main.c and tls.c, with
# fuzz/tls_plain.c in place of tls.c, and the embedded migrations and web pages. Replays the
# regression inputs of fuzz/regressions/<target>/, then fuzzes each target for FUZZ_SECONDS and
# prints how many inputs it ran. Fails (exit 1) when a target does not build, a regression input
# crashes, or fuzzing finds a crash (the input is saved as build/fuzz/artifacts/<target>/crash-*:
# copy it to fuzz/regressions/<target>/ once the bug is fixed).
#
#   sh fuzz/run.sh                     every target, 60 s each (make fuzz)
#   FUZZ_SECONDS=300 sh fuzz/run.sh fuzz_csv
#   FUZZ_SECONDS=0 sh fuzz/run.sh      build and replay the regressions only
#
# The seed corpus fuzz/corpus/<target>/ is read, never written: new inputs go to
# build/fuzz/corpus/<target>/, which later runs start from. Dictionaries: fuzz/dict/<target>.dict.
# Needs clang and libclang-rt-14-dev: tools/install-fuzz-deps.sh, run first, installs them.
#
# The server targets are built with CRYPTO_PBKDF2_ITERATIONS=1000 (password hashes and checks
# would otherwise take 0.3 s each) and run with -close_fd_mask=2 (the server's access log is
# silenced; findings still print: replay a crash input with "build/fuzz/fuzz_request INPUT" to
# see the server's log too) and -detect_leaks=0: libFuzzer's leak check after an input stops the
# world while the server's threads may still hold that input's fire-and-forget jobs (it once
# reported three session refreshes in flight, never reproduced); LeakSanitizer still checks the
# whole process at exit, once the server has stopped and freed everything.
set -u
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CC_FUZZ=${CC_FUZZ:-clang}
B=build/fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
WARN="-std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
-Wformat=2 -Wvla -Wimplicit-fallthrough -fno-common -Werror"
CFLAGS="$WARN -D_GNU_SOURCE -Iserver/core -Ifuzz -g -O1 -fno-omit-frame-pointer $SAN"
LIBS="$(pkg-config --libs jansson 2>/dev/null || echo -ljansson) -lm"
SERVER_TARGETS="fuzz_request"
# clang counts vsnprintf(fmt) in a helper without a format attribute (log.c) as non-literal.
SERVER_CFLAGS="-Iserver -I$B/gen -DCRYPTO_PBKDF2_ITERATIONS=1000 -Wno-format-nonliteral"
SERVER_LIBS="$(pkg-config --libs libevent libevent_pthreads sqlite3 jansson 2>/dev/null) \
-lmbedtls -lmbedx509 -lmbedcrypto -lpthread -lm"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

sh tools/install-fuzz-deps.sh || exit 1
if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
	echo "fuzz: $CC_FUZZ not found: run 'sh tools/install-fuzz-deps.sh'" >&2
	exit 1
fi

targets=${*:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/||; s|\.c$||')}
mkdir -p "$B/obj"

# The core, instrumented for coverage but without libFuzzer's main (rebuilt when newer).
objs=""
for src in server/core/*.c; do
	obj=$B/obj/$(basename "$src" .c).o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find server/core -name '*.h' -newer "$obj")" ]; then
		$CC_FUZZ $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src" || {
			echo "fuzz: cannot build $src" >&2
			exit 1
		}
	fi
	objs="$objs $obj"
done

# What the server targets link besides the core: built only when one of them is asked for.
server_objs=""
build_server() {
	[ -n "$server_objs" ] && return 0
	# (sh has no local variables: the names here are the function's own)
	mkdir -p "$B/gen" "$B/obj/server"
	web=$(find web -type f | LC_ALL=C sort)
	# shellcheck disable=SC2086
	if [ ! -f "$B/gen/embedded.c" ] ||
		[ -n "$(find db/migrations web tools/embed.sh -newer "$B/gen/embedded.c")" ]; then
		sh tools/embed.sh "$B/gen/embedded" db/migrations/*.sql -- $web || return 1
	fi
	if [ ! -f "$B/obj/server/embedded.o" ] ||
		[ "$B/gen/embedded.c" -nt "$B/obj/server/embedded.o" ]; then
		$CC_FUZZ -I"$B/gen" -O1 -c -o "$B/obj/server/embedded.o" "$B/gen/embedded.c" || return 1
	fi
	list="$B/obj/server/embedded.o"
	for ssrc in server/*.c; do
		case $ssrc in server/main.c | server/tls.c) continue ;; esac
		sobj=$B/obj/server/$(basename "$ssrc" .c).o
		if [ ! -f "$sobj" ] || [ "$ssrc" -nt "$sobj" ] ||
			[ -n "$(find server -name '*.h' -newer "$sobj")" ]; then
			# shellcheck disable=SC2086
			$CC_FUZZ $CFLAGS $SERVER_CFLAGS -fsanitize=fuzzer-no-link -c -o "$sobj" "$ssrc" || {
				echo "fuzz: cannot build $ssrc" >&2
				return 1
			}
		fi
		list="$list $sobj"
	done
	server_objs=$list
}

failed=""
for t in $targets; do
	src=fuzz/$t.c
	if [ ! -f "$src" ]; then
		echo "fuzz: there is no target $t ($src)" >&2
		exit 1
	fi
	extra_objs="" link_libs=$LIBS target_cflags="" run_opts=""
	case " $SERVER_TARGETS " in
	*" $t "*)
		build_server || exit 1
		extra_objs="fuzz/tls_plain.c $server_objs"
		link_libs=$SERVER_LIBS
		target_cflags=$SERVER_CFLAGS
		run_opts="-close_fd_mask=2 -detect_leaks=0"
		;;
	esac
	# shellcheck disable=SC2086
	if ! $CC_FUZZ $CFLAGS $target_cflags -fsanitize=fuzzer -o "$B/$t" "$src" $extra_objs $objs \
		$link_libs; then
		echo "fuzz: cannot build $t" >&2
		exit 1
	fi

	# Every input that once crashed a target runs again first.
	if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls "fuzz/regressions/$t")" ]; then
		n=$(ls "fuzz/regressions/$t" | wc -l | tr -d ' ')
		# shellcheck disable=SC2046
		if "$B/$t" -runs=1 $(ls -d "fuzz/regressions/$t"/*) >"$B/$t.regressions.log" 2>&1; then
			echo "$t: $n regression inputs replayed: ok"
		else
			echo "$t: a regression input fails again:"
			tail -40 "$B/$t.regressions.log"
			failed="$failed $t"
			continue
		fi
	fi

	[ "$FUZZ_SECONDS" -gt 0 ] || continue
	mkdir -p "$B/corpus/$t" "$B/artifacts/$t"
	rm -f "$B/artifacts/$t"/*
	dict=""
	[ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
	# shellcheck disable=SC2086
	"$B/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/artifacts/$t/" $dict $run_opts "$B/corpus/$t" "fuzz/corpus/$t" \
		>"$B/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$B/$t.log" | tail -1)
	if [ "$rc" -ne 0 ] || ls "$B/artifacts/$t"/crash-* "$B/artifacts/$t"/leak-* \
		"$B/artifacts/$t"/timeout-* "$B/artifacts/$t"/oom-* >/dev/null 2>&1; then
		echo "$t: FAILED after ${execs:-?} executions (exit $rc); see $B/$t.log and $B/artifacts/$t/"
		grep -E 'ERROR|SUMMARY|property does not hold|runtime error' "$B/$t.log" | head -10
		failed="$failed $t"
	else
		echo "$t: ${execs:-?} executions in ${FUZZ_SECONDS} s (${cov:-cov: ?}), no crash"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
echo "fuzz: every target ran without a crash"
