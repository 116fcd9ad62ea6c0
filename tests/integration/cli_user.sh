#!/bin/sh
# `delphi user` end to end: the real binary ($DELPHI) against a database file in a temporary
# directory. Adds users with the password on standard input (and, when `script` can give the
# command a terminal, typed at the no-echo prompt), lists them, changes a password, disables and
# enables, and checks exit codes, messages, the audit log, what is stored (the stored PBKDF2
# hash is recomputed independently with `openssl kdf`) and that a password can never be given
# on the command line. Refused commands leave the database file byte for byte as it was.
#
#   DELPHI=build/release/delphi sh tests/integration/cli_user.sh
#   VALGRIND=1 ...   runs every delphi command under valgrind (errors and leaks fail the test)
#
# Each added user or changed password costs one full PBKDF2 hash (310,000 rounds, ~0.4 s): the
# test makes only four of them.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# pw FILE TEXT: writes TEXT and a newline to FILE (the password "typed" on standard input).
pw() {
	printf '%s\n' "$2" >"$1"
}

# verify NAME PASSWORD: the stored form of NAME is pbkdf2-sha256$310000$SALT$HASH and HASH is
# PBKDF2-HMAC-SHA256(PASSWORD, SALT, 310000, 32 bytes), as OpenSSL computes it.
verify() {
	checks=$((checks + 1))
	stored=$(sql "SELECT password_hash FROM users WHERE name = '$1'")
	alg=$(echo "$stored" | cut -d'$' -f1)
	iter=$(echo "$stored" | cut -d'$' -f2)
	salt=$(echo "$stored" | cut -d'$' -f3)
	hash=$(echo "$stored" | cut -d'$' -f4)
	if [ "$alg" != pbkdf2-sha256 ] || [ "$iter" != 310000 ] ||
		! echo "$salt" | grep -Eq '^[0-9a-f]{32}$'; then
		fail "$1: stored form '$stored'"
		return
	fi
	want=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "pass:$2" \
		-kdfopt "hexsalt:$salt" -kdfopt iter:310000 PBKDF2 | tr -d ':\n' | tr 'A-F' 'a-f')
	[ "$hash" = "$want" ] || fail "$1: the stored hash is not PBKDF2 of '$2' ($hash, $want)"
}

# secret_nowhere TEXT: TEXT is in neither the database file, its WAL, nor the audit log.
secret_nowhere() {
	checks=$((checks + 1))
	for f in "$DB" "$DB-wal"; do
		if [ -f "$f" ] && grep -qaF -- "$1" "$f"; then
			fail "'$1' is in $(basename "$f")"
		fi
	done
	if sqlite3 "$DB" .dump | grep -qF -- "$1"; then fail "'$1' is in the dump"; fi
}

# session NAME: gives user NAME a session row, as the server's login would.
session() {
	sql "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
		expires_at) SELECT randomblob(32), id, 'x', '2025-01-01T00:00:00Z',
		'2025-01-01T00:00:00Z', '2099-01-01T00:00:00Z' FROM users WHERE name = '$1'"
}

# ---- help and usage --------------------------------------------------------------------------
run 0 help user
has "$T/out" "usage: delphi user add NAME --role admin|coordinator|planner"
has "$T/out" "Passwords are never taken from the command line"
run 0 user --help
has "$T/out" "delphi user passwd NAME"
run 0 help
has "$T/out" "  user "
run 2 user
has "$T/err" "user: say what to do: add, list, passwd, disable or enable (see 'delphi help user')"
run 2 user frob
has "$T/err" "unknown subcommand 'frob'"

# No database yet: nothing is asked, nothing is created.
pw "$T/pw" "alice's long password"
run 1 user add alice --role admin <"$T/pw"
has "$T/err" "no database at $DB: create it with 'delphi init'"
run 1 user list
checks=$((checks + 1))
[ ! -e "$DB" ] || fail "a database file was made"

run 0 init
run 0 user list
same "no users: stdout" "$(cat "$T/out")" ""
has "$T/err" "no users yet: add one with 'delphi user add NAME --role admin'"

# ---- add: usage errors come before anything is read or stored --------------------------------
before=$(sum)
run 2 user add alice <"$T/pw"
has "$T/err" "user add: --role is required"
run 2 user add --role admin <"$T/pw"
has "$T/err" "user add: missing argument"
run 2 user add alice --role root <"$T/pw"
has "$T/err" "--role must be admin, coordinator or planner, not 'root'"
run 2 user add alice --role Admin <"$T/pw"
run 2 user add Alice --role admin <"$T/pw"
has "$T/err" "'Alice' is not a user name: use 1 to 64 of a-z, 0-9"
run 2 user add "al ice" --role admin <"$T/pw"
run 2 user add -- -alice --role admin <"$T/pw"

# A password cannot come from the command line: there is no option for it, and no place.
run 2 user add alice --role admin --password "alice's long password" <"$T/pw"
has "$T/err" "user add: unknown option '--password'"
run 2 user add alice --role admin --password="alice's long password" <"$T/pw"
has "$T/err" "unknown option '--password'"
run 2 user add alice "alice's long password" --role admin <"$T/pw"
has "$T/err" "unexpected argument 'alice's long password'"
run 2 user add alice --role admin -p "alice's long password" <"$T/pw"
has "$T/err" "unknown option '-p'"

# Passwords that are refused.
pw "$T/short" "eleven char"
run 2 user add alice --role admin <"$T/short"
has "$T/err" "the password is shorter than 12 characters: nothing was changed"
run 2 user add alice --role admin </dev/null
has "$T/err" "no password given: type it when asked, or give it on the first line of standard input"
head -c 1025 /dev/zero | tr '\0' 'x' >"$T/long"
run 2 user add alice --role admin <"$T/long"
has "$T/err" "the password is longer than 1024 bytes"
printf 'latin-1 p\351ssword here\n' >"$T/latin1"
run 2 user add alice --role admin <"$T/latin1"
has "$T/err" "the password is not UTF-8 text without control characters"
pw "$T/empty" ""
run 2 user add alice --role admin <"$T/empty"
has "$T/err" "shorter than 12 characters"
same "refused adds leave the file as it was" "$(sum)" "$before"
same "no users" "$(sql 'SELECT count(*) FROM users')" "0"

# ---- add via standard input ------------------------------------------------------------------
run 0 user add alice --role admin <"$T/pw"
same "add alice" "$(cat "$T/out")" "added user alice (admin)"
same "alice row" "$(sql "SELECT name || ' ' || role || ' ' || disabled FROM users")" "alice admin 0"
verify alice "alice's long password"
secret_nowhere "alice's long password"
same "audit user.add" "$(sql "SELECT actor || ' ' || action || ' ' || detail FROM audit_log
	WHERE action LIKE 'user.%'")" "cli user.add name=alice role=admin"

# Only the first line counts, and a Windows line end is not part of the password.
printf 'bob has a passphrase\r\nsecond line is ignored\n' >"$T/crlf"
run 0 user add bob --role planner <"$T/crlf"
same "add bob" "$(cat "$T/out")" "added user bob (planner)"
verify bob "bob has a passphrase"

# The same name again: refused (exit 1) before a password is read; nothing changes.
before=$(sum)
run 1 user add alice --role planner <"$T/pw"
has "$T/err" "there is a user 'alice' already: change its password with 'delphi user passwd alice'"
same "duplicate leaves the file as it was" "$(sum)" "$before"

# ---- list ------------------------------------------------------------------------------------
run 0 user list
same "list header" "$(head -1 "$T/out" | tr -s ' ')" "NAME ROLE STATE CREATED"
checks=$((checks + 1))
TIME='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
grep -Eq "^alice +admin +active +$TIME\$" "$T/out" ||
	fail "list: alice line: $(grep alice "$T/out")"
checks=$((checks + 1))
grep -Eq '^bob +planner +active +' "$T/out" || fail "list: bob line: $(grep bob "$T/out")"
same "list lines" "$(wc -l <"$T/out" | tr -d ' ')" "3"
hasnt "$T/out" "pbkdf2"
run 2 user list extra
has "$T/err" "unexpected argument 'extra'"

# ---- passwd: a new password ends the user's sessions -----------------------------------------
session alice
session alice
session bob
old_hash=$(sql "SELECT password_hash FROM users WHERE name = 'alice'")
before=$(sum)
run 2 user passwd nosuch <"$T/pw"
has "$T/err" "there is no user 'nosuch' (see 'delphi user list')"
run 2 user passwd alice <"$T/short"
has "$T/err" "shorter than 12 characters"
run 2 user passwd alice --password "a new password for alice" <"$T/pw"
has "$T/err" "unknown option '--password'"
run 2 user passwd <"$T/pw"
has "$T/err" "missing argument"
same "refused passwd leaves the file as it was" "$(sum)" "$before"

pw "$T/pw2" "a new password for alice"
run 0 user passwd alice <"$T/pw2"
same "passwd" "$(cat "$T/out")" "changed the password of alice; 2 sessions ended"
verify alice "a new password for alice"
checks=$((checks + 1))
[ "$(sql "SELECT password_hash FROM users WHERE name = 'alice'")" != "$old_hash" ] ||
	fail "the hash did not change"
same "alice's sessions" "$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE u.name = 'alice'")" "0"
same "bob's session stays" "$(sql 'SELECT count(*) FROM sessions')" "1"
same "audit user.passwd" "$(sql "SELECT actor || ' ' || detail FROM audit_log
	WHERE action = 'user.passwd'")" "cli name=alice sessions_ended=2"
secret_nowhere "a new password for alice"

# ---- disable / enable ------------------------------------------------------------------------
run 2 user disable
has "$T/err" "user disable: missing argument"
run 2 user disable nosuch
has "$T/err" "there is no user 'nosuch'"
run 2 user enable nosuch
has "$T/err" "there is no user 'nosuch'"
run 0 user disable bob
same "disable" "$(cat "$T/out")" "disabled user bob; 1 session ended"
same "bob disabled" "$(sql "SELECT disabled FROM users WHERE name = 'bob'")" "1"
same "no sessions left" "$(sql 'SELECT count(*) FROM sessions')" "0"
run 0 user list
checks=$((checks + 1))
grep -Eq '^bob +planner +disabled +' "$T/out" || fail "list: bob disabled: $(grep bob "$T/out")"
run 0 user disable bob
same "disable again" "$(cat "$T/out")" "user bob was disabled already: nothing changed"
run 0 user enable bob
same "enable" "$(cat "$T/out")" "enabled user bob"
same "bob enabled" "$(sql "SELECT disabled FROM users WHERE name = 'bob'")" "0"
run 0 user enable bob
same "enable again" "$(cat "$T/out")" "user bob was enabled already: nothing changed"
same "audit disable/enable" "$(sql "SELECT group_concat(action || ' ' || detail, '; ') FROM
	(SELECT action, detail FROM audit_log WHERE action IN ('user.disable', 'user.enable')
	ORDER BY id)")" "user.disable name=bob sessions_ended=1; user.enable name=bob"
# The password survives disabling and enabling.
verify bob "bob has a passphrase"

# ---- on a terminal: asked twice, without echo ------------------------------------------------
# `script` runs delphi on a pseudo-terminal; the input is written only once the prompt is
# there (delphi turns echo off before it prompts), so nothing typed can be echoed.
if command -v script >/dev/null 2>&1 && [ -z "${VALGRIND:-}" ]; then
	# tty NAME FIRST SECOND ARGS...: runs delphi ARGS on a terminal and types FIRST at the first
	# prompt and SECOND at the second; output in $T/tty-out, exit code in $T/tty-rc.
	tty() {
		name=$1 first=$2 second=$3
		shift 3
		rm -f "$T/tty-in" "$T/tty-out" "$T/tty-rc"
		mkfifo "$T/tty-in"
		(
			timeout 30 script -qec "$DELPHI --db '$DB' $*" /dev/null \
				<"$T/tty-in" >"$T/tty-out" 2>&1
			echo $? >"$T/tty-rc"
		) &
		exec 3>"$T/tty-in"
		for prompt in "new password for $name:" "repeat it:"; do
			i=0
			while ! grep -qF "$prompt" "$T/tty-out" 2>/dev/null && [ $i -lt 200 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			if [ "$prompt" = "repeat it:" ]; then
				printf '%s\r' "$second" >&3
			else
				printf '%s\r' "$first" >&3
			fi
		done
		exec 3>&-
		wait
	}
	tty carol "carol's long password" "carol's long passwort" user add carol --role coordinator
	same "tty mismatch: exit" "$(cat "$T/tty-rc")" "2"
	has "$T/tty-out" "the two passwords differ: nothing was changed"
	same "tty mismatch: no carol" "$(sql "SELECT count(*) FROM users WHERE name = 'carol'")" "0"
	tty carol "carol's long password" "carol's long password" user add carol --role coordinator
	same "tty add: exit" "$(cat "$T/tty-rc")" "0"
	has "$T/tty-out" "new password for carol:"
	has "$T/tty-out" "repeat it:"
	has "$T/tty-out" "added user carol (coordinator)"
	hasnt "$T/tty-out" "carol's long password" # not echoed
	verify carol "carol's long password"
else
	echo "note: no terminal test ('script' missing, or under valgrind)"
fi

finish
