#!/bin/sh
# E-mail end to end: the real binary ($DELPHI) mails invitations and reminders through real SMTP
# relays on loopback (tests/integration/smtp_server.py, Debian's python3-aiosmtpd) and the test
# reads what arrived. Three relays: A offers STARTTLS, requires it before anything else, requires
# AUTH and refuses one recipient with 550; B speaks plain SMTP without TLS or AUTH; C speaks TLS
# from the first byte (port-465 style) and offers AUTH LOGIN only. Their certificate is a
# throwaway self-signed one for "localhost" made here with openssl, given to delphi as its CA
# file (DELPHI_SMTP_CA_FILE) so verification is real.
#
# Checks: each invitation carries a personal link whose token hashes (sha256sum) to the expert's
# stored token_hash; a refused recipient is logged as refused and the others still arrive (one
# connection); reminders go only to experts who have not answered the open round; STARTTLS and
# AUTH are used; a wrong password or an untrusted certificate log 'failed' and exit 1 and change
# no link; reissue and revoke; mail_log and audit rows; the password appears nowhere.
#
#   DELPHI=build/release/delphi sh tests/integration/smtp.sh
#   VALGRIND=1 ...   runs every delphi command under valgrind (errors and leaks fail the test)
#
# Needs the Debian packages python3-aiosmtpd, openssl, sqlite3.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DATA=$(cd "$HERE/../data/mail" && pwd)

if ! "$PY" -c 'import aiosmtpd' 2>/dev/null || ! command -v openssl >/dev/null ||
	! command -v sqlite3 >/dev/null; then
	echo "FAIL: smtp.sh needs python3-aiosmtpd, openssl and sqlite3 (apt-get install them)"
	echo "0 passed, 1 failed"
	exit 1
fi

# count DIR: the number of messages relay DIR has received.
count() {
	ls "$1" | grep -c '\.eml$'
}

# body FILE / subject FILE: the decoded body / Subject of a received message.
body() {
	"$PY" -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.stdout.write(m.get_payload(decode=True).decode("utf-8"))' "$1"
}

subject() {
	"$PY" -c 'import email, email.header, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(str(email.header.make_header(email.header.decode_header(m["Subject"]))))' "$1"
}

# mail_to DIR ADDRESS: the newest message relay DIR received for ADDRESS ("" if none).
mail_to() {
	for j in $(ls -r "$1"/*.json 2>/dev/null); do
		if grep -qF "\"$2\"" "$j"; then
			echo "${j%.json}.eml"
			return
		fi
	done
}

# token_in FILE: the token of the personal link in a message's body.
token_in() {
	body "$1" | sed -n 's|.*https://survey\.test/e/\([0-9a-f]\{32\}\).*|\1|p' | head -1
}

# hash_of ID: the stored token_hash of expert ID, as lower-case hex.
hash_of() {
	sql "SELECT lower(hex(token_hash)) FROM experts WHERE ext_id = '$1'"
}

sha() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# check_link FILE ID: the message carries a link whose token is expert ID's current token.
check_link() {
	tok=$(token_in "$1")
	checks=$((checks + 1))
	if [ -z "$tok" ]; then
		fail "no personal link in $1"
		return
	fi
	same "token of $2 in $(basename "$1")" "$(sha "$tok")" "$(hash_of "$2")"
}

# ---- relays and their certificate ------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/key.pem" \
	-out "$T/cert.pem" -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost" 2>/dev/null || { echo "FAIL: openssl"; exit 1; }
PASSWORD='s3cret pass-phrase 42'
start_relay A --cert "$T/cert.pem" --key "$T/key.pem" --user delphi --password "$PASSWORD" \
	--refuse bob@refused.example
start_relay B
start_relay C --cert "$T/cert.pem" --key "$T/key.pem" --user delphi --password "$PASSWORD" \
	--implicit-tls --no-plain
A=$T/A
B=$T/B
C=$T/C

# The relay A configuration; commands below change single variables for their own run.
export DELPHI_SMTP_HOST=localhost DELPHI_SMTP_PORT="$(cat "$T/A.port")" \
	DELPHI_SMTP_USER=delphi DELPHI_SMTP_PASSWORD="$PASSWORD" \
	DELPHI_SMTP_FROM='Delphi Office <office@delphi.test>' DELPHI_SMTP_CA_FILE="$T/cert.pem" \
	DELPHI_SMTP_TIMEOUT=10 DELPHI_PUBLIC_URL=https://survey.test

# ---- help and usage ----------------------------------------------------------------------------
run 0 help experts
has "$T/out" "delphi experts invite --survey SLUG"
has "$T/out" "delphi experts revoke --survey SLUG ID"
has "$T/out" "DELPHI_SMTP_HOST"
run 2 experts
has "$T/err" "import, list, invite, remind, reissue or revoke"
run 2 experts invite
has "$T/err" "--survey is required"

# ---- a survey with five experts (M5 has no address) --------------------------------------------
run 0 init
run 0 survey load "$DATA/survey.json"
run 0 experts import --survey mail-test "$DATA/experts.csv"
cp "$T/out" "$T/import.csv"
M1_IMPORT_TOKEN=$(sed -n 's/^M1,\([0-9a-f]*\),.*/\1/p' "$T/import.csv")
same "M1's import token is stored" "$(sha "$M1_IMPORT_TOKEN")" "$(hash_of M1)"
M3_HASH=$(hash_of M3)

# ---- configuration problems are bad usage, and nothing is sent ---------------------------------
DELPHI_SMTP_HOST= run 2 experts invite --survey mail-test
has "$T/err" "DELPHI_SMTP_HOST is not set"
DELPHI_SMTP_TLS=ssl run 2 experts invite --survey mail-test
has "$T/err" "DELPHI_SMTP_TLS must be starttls, tls or none, not 'ssl'"
DELPHI_SMTP_USER= run 2 experts invite --survey mail-test
has "$T/err" "DELPHI_SMTP_PASSWORD is set but DELPHI_SMTP_USER is not"
hasnt "$T/err" "$PASSWORD"
run 2 experts invite --survey mail-test --only M1,ZZ
has "$T/err" "survey mail-test has no expert 'ZZ' (--only)"
run 2 experts invite --survey mail-test --lang fr
has "$T/err" "survey mail-test has no language 'fr' (its languages: en, ja, zh)"
run 2 experts invite --survey nosuch
same "nothing sent yet" "$(count "$A")" "0"

# ---- dry run: who would be mailed; nothing changes ---------------------------------------------
run 0 experts invite --survey mail-test --dry-run
same "dry run" "$(cat "$T/out")" "id,email,status,detail
M1,alice@example.org,dry-run,not sent: --dry-run
M2,hanako@example.jp,dry-run,not sent: --dry-run
M3,bob@refused.example,dry-run,not sent: --dry-run
M4,carol@example.org,dry-run,not sent: --dry-run"
has "$T/err" "1 expert without an e-mail address not mailed"
same "dry run sends nothing" "$(count "$A")" "0"
same "dry run logs nothing" "$(sql 'SELECT count(*) FROM mail_log')" "0"

# ---- invitations: one refused recipient, the others arrive with working links ------------------
run 1 experts invite --survey mail-test
same "invite output" "$(cut -d, -f1-3 "$T/out")" "id,email,status
M1,alice@example.org,sent
M2,hanako@example.jp,sent
M3,bob@refused.example,refused
M4,carol@example.org,sent"
has "$T/out" "M3,bob@refused.example,refused,refused by the relay: 550 5.1.1 <bob@refused.example>: mailbox unavailable"
has "$T/err" "experts invite: 3 sent, 1 refused, 0 failed"
same "invitations received" "$(count "$A")" "3"
for x in "M1 alice@example.org" "M2 hanako@example.jp" "M4 carol@example.org"; do
	set -- $x
	f=$(mail_to "$A" "$2")
	checks=$((checks + 1))
	if [ -z "$f" ]; then
		fail "no invitation for $1"
		continue
	fi
	check_link "$f" "$1"
	j=${f%.eml}.json
	has "$j" '"tls": true'     # STARTTLS was used (the relay refuses AUTH and MAIL before it)
	has "$j" '"login": "delphi"'
	has "$j" '"mail_from": "office@delphi.test"'
	same "subject for $1" "$(subject "$f")" 'Invitation to the Delphi survey "Energy futures 2040"'
	body "$f" >"$T/body"
	has "$T/body" "this one replaces it: the earlier link no"
done
f=$(mail_to "$A" hanako@example.jp)
has "$f" "From: Delphi Office <office@delphi.test>"
has "$f" "To: =?UTF-8?B?5bGx55SwIOiKseWtkA==?="   # 山田 花子, RFC 2047
body "$f" >"$T/body"
has "$T/body" "Dear 山田 花子,"
checks=$((checks + 1))
[ "$(sha "$M1_IMPORT_TOKEN")" != "$(hash_of M1)" ] || fail "M1's import link still works"
same "refused M3 keeps its link" "$(hash_of M3)" "$M3_HASH"
same "mail_log after invite" "$(sql "SELECT group_concat(e.ext_id || ':' || m.kind || ':' ||
	m.status || ':' || m.round, ' ') FROM mail_log m JOIN experts e ON e.id = m.expert_id")" \
	"M1:invitation:sent:0 M2:invitation:sent:0 M3:invitation:refused:0 M4:invitation:sent:0"
same "refused detail" "$(sql "SELECT detail FROM mail_log WHERE status = 'refused'")" \
	"refused by the relay: 550 5.1.1 <bob@refused.example>: mailbox unavailable"
same "invite audit" "$(sql "SELECT detail FROM audit_log WHERE action = 'experts.invite'")" \
	"survey=mail-test round=0 sent=3 refused=1 failed=0"

# ---- one expert in Japanese ------------------------------------------------------------------
run 0 experts invite --survey mail-test --only M2 --lang ja
f=$(mail_to "$A" hanako@example.jp)
same "Japanese subject" "$(subject "$f")" "デルファイ調査「エネルギーの未来2040」へのご協力のお願い"
body "$f" >"$T/body"
has "$T/body" "山田 花子 様"
has "$T/body" "以前のリンクは使えなくなりました"
check_link "$f" M2

# ---- reminders: only those invited to the open round who have not answered it ----------------
run 1 experts remind --survey mail-test
has "$T/err" "no round of mail-test is open"
run 0 round open --survey mail-test
run 0 answers import --survey mail-test --round 1 "$DATA/answers-m1.csv"
before=$(count "$A")
run 1 experts remind --survey mail-test
same "remind output" "$(cut -d, -f1-3 "$T/out")" "id,email,status
M2,hanako@example.jp,sent
M3,bob@refused.example,refused
M4,carol@example.org,sent"
hasnt "$T/out" "M1,"
same "reminders received" "$(count "$A")" "$((before + 2))"
for x in "M2 hanako@example.jp" "M4 carol@example.org"; do
	set -- $x
	f=$(mail_to "$A" "$2")
	check_link "$f" "$1"
	same "reminder subject for $1" "$(subject "$f")" \
		'Reminder: Delphi survey "Energy futures 2040", round 1'
	body "$f" >"$T/body"
	has "$T/body" "This link replaces the one we sent you earlier: the earlier link no"
done
same "reminder log" "$(sql "SELECT group_concat(e.ext_id || ':' || m.status || ':' || m.round, ' ')
	FROM mail_log m JOIN experts e ON e.id = m.expert_id WHERE m.kind = 'reminder'")" \
	"M2:sent:1 M3:refused:1 M4:sent:1"
run 1 experts remind --survey mail-test --only M1
has "$T/err" "expert M1 has answered the open round already: not mailed"
run 1 experts remind --survey mail-test --only M5
has "$T/err" "expert M5 has no e-mail address: not mailed"

# ---- a wrong password: failed, logged, exit 1, link unchanged ---------------------------------
M4_HASH=$(hash_of M4)
before=$(count "$A")
DELPHI_SMTP_PASSWORD='WRONG-pw-xyz' run 1 experts remind --survey mail-test --only M4
has "$T/out" "M4,carol@example.org,failed,not sent: localhost refused the login of delphi: 535"
has "$T/err" "refused the login of delphi: 535"
hasnt "$T/out" "WRONG-pw-xyz"
hasnt "$T/err" "WRONG-pw-xyz"
same "nothing sent with a wrong password" "$(count "$A")" "$before"
same "M4 keeps its link" "$(hash_of M4)" "$M4_HASH"
same "failed logged" "$(sql "SELECT status || ' ' || substr(detail, 1, 52) FROM mail_log
	ORDER BY id DESC LIMIT 1")" "failed not sent: localhost refused the login of delphi: 535"

# ---- certificate verification ------------------------------------------------------------------
DELPHI_SMTP_CA_FILE= run 1 experts remind --survey mail-test --only M4 # the system CA bundle
has "$T/out" "M4,carol@example.org,failed,not sent: tls: the certificate of localhost does not verify"
same "nothing sent to an untrusted relay" "$(count "$A")" "$before"
DELPHI_SMTP_CA_FILE= DELPHI_SMTP_INSECURE=1 run 0 experts remind --survey mail-test --only M4
has "$T/err" "not verifying the certificate of localhost"
DELPHI_SMTP_CA_FILE= run 0 experts remind --survey mail-test --only M4 --smtp-insecure
same "two sent insecurely" "$(count "$A")" "$((before + 2))"
check_link "$(mail_to "$A" carol@example.org)" M4

# ---- relay B: no STARTTLS offered --------------------------------------------------------------
export DELPHI_SMTP_PORT="$(cat "$T/B.port")"
DELPHI_SMTP_USER= DELPHI_SMTP_PASSWORD= run 1 experts remind --survey mail-test --only M4
has "$T/out" "does not offer STARTTLS"
same "nothing sent without STARTTLS" "$(count "$B")" "0"
DELPHI_SMTP_USER= DELPHI_SMTP_PASSWORD= DELPHI_SMTP_TLS=none \
	run 0 experts remind --survey mail-test --only M4
same "sent in the clear when configured" "$(count "$B")" "1"
has "$B/001.json" '"tls": false'
check_link "$B/001.eml" M4

# ---- relay C: TLS from the first byte, AUTH LOGIN ----------------------------------------------
export DELPHI_SMTP_PORT="$(cat "$T/C.port")"
DELPHI_SMTP_TLS=tls run 0 experts remind --survey mail-test --only M4
same "implicit TLS relay" "$(count "$C")" "1"
has "$C/001.json" '"tls": true'
has "$C/001.json" '"login": "delphi"'
check_link "$C/001.eml" M4
export DELPHI_SMTP_PORT="$(cat "$T/A.port")"

# ---- reissue: a new link on standard output, sessions ended ------------------------------------
NEW_SESSION="INSERT INTO sessions (id_hash, expert_id, csrf_token, created_at, last_seen_at,
	expires_at) SELECT randomblob(32), id, 'c', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
	'2099-01-01T00:00:00Z' FROM experts WHERE ext_id = 'M4'"
sql "$NEW_SESSION"
run 0 experts reissue --survey mail-test M4
tok=$(sed -n 's|^M4,\([0-9a-f]\{32\}\),https://survey.test/e/\1$|\1|p' "$T/out")
checks=$((checks + 1))
[ -n "$tok" ] || fail "reissue printed no link: $(cat "$T/out")"
same "reissued token stored" "$(sha "$tok")" "$(hash_of M4)"
same "reissue ends sessions" "$(sql "SELECT count(*) FROM sessions")" "0"
has "$T/err" "the earlier one no longer works"
run 2 experts reissue --survey mail-test NOSUCH
has "$T/err" "survey mail-test has no expert 'NOSUCH'"

# ---- revoke ------------------------------------------------------------------------------------
sql "$NEW_SESSION"
run 0 experts revoke --survey mail-test M4
same "revoked" "$(sql "SELECT revoked FROM experts WHERE ext_id = 'M4'")" "1"
same "revoke ends sessions" "$(sql "SELECT count(*) FROM sessions")" "0"
same "revoke audit" "$(sql "SELECT detail FROM audit_log WHERE action = 'experts.revoke'")" \
	"survey=mail-test id=M4 sessions_ended=1"
run 0 experts revoke --survey mail-test M4
has "$T/err" "was revoked already"
run 2 experts revoke --survey mail-test NOSUCH
run 1 experts reissue --survey mail-test M4
has "$T/err" "is revoked"
run 1 experts remind --survey mail-test --only M4
has "$T/err" "expert M4 is revoked: not mailed"
run 0 experts remind --survey mail-test --dry-run
hasnt "$T/out" "M4,"
has "$T/out" "M2,hanako@example.jp,dry-run"

# ---- the password is nowhere in the store ------------------------------------------------------
checks=$((checks + 1))
if sqlite3 "$DB" .dump | grep -qF "$PASSWORD"; then fail "the password is in the database"; fi
same "schema version" "$(sql 'PRAGMA user_version')" \
	"$(ls "$HERE/../../db/migrations/"*.sql | wc -l | tr -d ' ')"

finish
