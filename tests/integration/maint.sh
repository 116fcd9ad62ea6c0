#!/bin/sh
# `delphi backup` and `delphi check` end to end: the real binary ($DELPHI) on real database files
# in a temporary directory. A database is filled through the CLI with the small survey of
# tests/data/cli/ (plus bulk audit rows, so that a backup takes several steps of 256 pages); the
# backup must equal the source (compared as `sqlite3 .dump` text), also while another process
# holds a write transaction open or keeps committing; the check must pass on the good database
# and name each problem planted with the sqlite3 command line (foreign keys off) or by damaging
# the file.
#
#   DELPHI=build/release/delphi sh tests/integration/maint.sh
#   VALGRIND=1 ...   runs every delphi command under valgrind (errors and leaks fail the test)
#   KEEP=1 ...       keeps the temporary directory (its name is printed) to look at the files
#
# Expected values are worked out by hand from tests/data/cli/ (see the comments).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DATA=$(cd "$HERE/../data/cli" && pwd)
# The schema version the binary brings a database to: one per migration file, without gaps.
V=$(ls "$HERE/../../db/migrations"/[0-9]*.sql | wc -l | tr -d ' ')

# dump DB: the database's content as SQL text.
dump() {
	sqlite3 "$1" .dump
}

# check_copy NAME DB: a copy of the good database with the SQL of standard input applied,
# foreign keys off (so that the sqlite3 command line can plant what delphi never writes).
check_copy() {
	cp "$DB" "$T/$1.db"
	{ echo "PRAGMA foreign_keys = OFF;"; cat; } | sqlite3 "$T/$1.db" || fail "$1: the SQL failed"
}

# ---- usage -----------------------------------------------------------------------------------
run_db 0 "$DB" help backup
has "$T/out" "usage: delphi backup --out FILE [--force]"
run_db 0 "$DB" check --help
has "$T/out" "usage: delphi check"
run_db 0 "$DB" help
has "$T/out" "backup"
has "$T/out" "check"
run_db 2 "$DB" backup
has "$T/err" "backup: --out is required"
run_db 2 "$DB" backup --out
has "$T/err" "option --out needs a value"
run_db 2 "$DB" backup --out "$T/x.db" extra
has "$T/err" "unexpected argument 'extra'"
run_db 2 "$DB" check extra
has "$T/err" "unexpected argument 'extra'"

# ---- no database: nothing is created -----------------------------------------------------------
run_db 1 "$DB" check
has "$T/err" "no database at $DB"
run_db 1 "$DB" backup --out "$T/none.db"
has "$T/err" "no database at $DB"
checks=$((checks + 1))
[ ! -e "$DB" ] && [ ! -e "$T/none.db" ] || fail "a file was made"

# ---- a populated database ----------------------------------------------------------------------
# survey.json (cli-test): 2 fields, 3 topics, 6 questions, 2 rounds; experts.csv: 4 experts, all
# invited to round 1; answers-r1.csv: 12 answers of E1, E2, E3 (see tests/integration/cli.sh).
run_db 0 "$DB" init
run_db 0 "$DB" survey load "$DATA/survey.json"
run_db 0 "$DB" experts import --survey cli-test "$DATA/experts.csv"
run_db 0 "$DB" round open --survey cli-test
run_db 0 "$DB" answers import --survey cli-test --round 1 "$DATA/answers-r1.csv"
# Bulk: 3000 audit rows of 600 hex digits each, about 1.8 MB: some 450 pages of 4096 bytes.
sqlite3 "$DB" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
	INSERT INTO audit_log (at, actor, action, detail)
	SELECT '2026-01-01T00:00:00Z', 'test', 'test.bulk', hex(randomblob(300)) FROM c"
pages=$(sqlite3 "$DB" "PRAGMA page_count")
checks=$((checks + 1))
[ "$pages" -gt 300 ] || fail "the database has $pages pages: too few for a backup in several steps"

# ---- check: a sound database ---------------------------------------------------------------------
run_db 0 "$DB" check
same "check ok" "$(cat "$T/out")" "ok: $DB: schema version $V; 1 survey, 4 experts, 1 round, 12 answers, 0 sessions; integrity, foreign keys and delphi's invariants hold"
same "check: nothing on stderr" "$(cat "$T/err")" ""
# A check changes nothing and leaves no -wal/-shm behind.
before=$(sum "$DB")
run_db 0 "$DB" check
same "check leaves the file as it was" "$(sum "$DB")" "$before"
same "no -wal/-shm left" "$(ls "$T" | grep -c -- '-wal\|-shm')" "0"

# ---- backup -------------------------------------------------------------------------------------
dump "$DB" >"$T/source.sql"
run_db 0 "$DB" backup --out "$T/copy.db"
has "$T/out" "backed up $DB to $T/copy.db: $pages pages of 4096 bytes ($((pages * 4096)) bytes) in "
checks=$((checks + 1))
dump "$T/copy.db" >"$T/copy.sql"
cmp -s "$T/source.sql" "$T/copy.sql" || { fail "the copy differs from the source"; diff "$T/source.sql" "$T/copy.sql" | head; }
checks=$((checks + 1))
[ ! -e "$T/copy.db.tmp" ] || fail "copy.db.tmp was left behind"
same "backup leaves the source as it was" "$(sum "$DB")" "$before"
run_db 0 "$T/copy.db" check
has "$T/out" "ok: $T/copy.db: schema version $V; 1 survey, 4 experts, 1 round, 12 answers"
# The copy is a delphi database like any other.
run_db 0 "$T/copy.db" round status --survey cli-test
has "$T/out" "all                 4            3       12"

# An existing file is kept, unless --force.
copy_sum=$(sum "$T/copy.db")
run_db 1 "$DB" backup --out "$T/copy.db"
has "$T/err" "$T/copy.db exists: choose another file, or replace it with --force"
same "refused backup keeps the file" "$(sum "$T/copy.db")" "$copy_sum"
echo "not a database" >"$T/old.db"
run_db 0 "$DB" backup --out "$T/old.db" --force
checks=$((checks + 1))
dump "$T/old.db" | cmp -s - "$T/source.sql" || fail "--force: the copy differs from the source"
# Never onto the database itself, nor onto a database in use; a stale .tmp is replaced.
run_db 1 "$DB" backup --out "$DB" --force
has "$T/err" "is the database itself"
same "the database survives" "$(sum "$DB")" "$before"
touch "$T/busy.db" "$T/busy.db-wal"
run_db 1 "$DB" backup --out "$T/busy.db" --force
has "$T/err" "$T/busy.db-wal exists"
rm -f "$T/busy.db-wal"
echo "stale" >"$T/fresh.db.tmp"
run_db 0 "$DB" backup --out "$T/fresh.db"
checks=$((checks + 1))
[ ! -e "$T/fresh.db.tmp" ] && dump "$T/fresh.db" | cmp -s - "$T/source.sql" || fail "stale .tmp"
run_db 1 "$DB" backup --out "$T/no/such/dir/copy.db"
has "$T/err" "backup failed: "

# ---- backup while another process holds a write transaction open ------------------------------
# The writer takes the write lock, writes a row and keeps its transaction open for 5 s; the
# backup must complete meanwhile and copy the database as it was before the write.
{
	echo "BEGIN IMMEDIATE;"
	echo "INSERT INTO audit_log (at, actor, action, detail) VALUES ('2026-01-02T00:00:00Z', 'test', 'test.writer', 'uncommitted during the backup');"
	sleep 5
	echo "COMMIT;"
} | sqlite3 "$DB" &
writer=$!
PIDS="$PIDS $writer"
# Wait (at most 5 s) until the writer holds the write lock.
i=0
while sqlite3 -cmd ".timeout 0" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
checks=$((checks + 1))
[ $i -lt 50 ] || fail "the writer never took the write lock"
run_db 0 "$DB" backup --out "$T/during.db"
# The writer is still in its transaction: the backup did not wait for it.
checks=$((checks + 1))
kill -0 "$writer" 2>/dev/null || fail "the writer ended before the backup did"
wait "$writer"
checks=$((checks + 1))
dump "$T/during.db" | cmp -s - "$T/source.sql" || fail "the backup during a write transaction differs from the source before it"
same "the writer committed" "$(sqlite3 "$DB" "SELECT count(*) FROM audit_log WHERE action = 'test.writer'")" "1"
same "not in the copy" "$(sqlite3 "$T/during.db" "SELECT count(*) FROM audit_log WHERE action = 'test.writer'")" "0"

# ---- backup while another process keeps committing ----------------------------------------------
# 300 small transactions, one sqlite3 process each, while the backup copies in steps: the copy
# is one consistent snapshot somewhere in between.
n0=$(sqlite3 "$DB" "SELECT count(*) FROM audit_log")
(
	i=0
	while [ $i -lt 300 ]; do
		sqlite3 -cmd ".timeout 5000" "$DB" "INSERT INTO audit_log (at, actor, action, detail) VALUES ('2026-01-03T00:00:00Z', 'test', 'test.stream', hex(randomblob(2000)))"
		i=$((i + 1))
	done
) &
stream=$!
PIDS="$PIDS $stream"
sleep 0.3
run_db 0 "$DB" backup --out "$T/stream.db"
wait "$stream"
n1=$(sqlite3 "$DB" "SELECT count(*) FROM audit_log")
same "the writer committed 300 rows" "$((n1 - n0))" "300"
run_db 0 "$T/stream.db" check
has "$T/out" "ok: $T/stream.db"
ncopy=$(sqlite3 "$T/stream.db" "SELECT count(*) FROM audit_log")
checks=$((checks + 1))
[ "$ncopy" -ge "$n0" ] && [ "$ncopy" -le "$n1" ] || fail "the copy has $ncopy audit rows, not $n0..$n1"
# The copy's rows are exactly the first ones of the source: a prefix, not a mixture.
same "a snapshot" "$(sqlite3 "$T/stream.db" "SELECT max(id) FROM audit_log")" \
	"$(sqlite3 "$DB" "SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET $((ncopy - 1))")"
dump "$DB" >"$T/source.sql"
before=$(sum "$DB")

# ---- check: each problem is named ---------------------------------------------------------------
# An answer by an expert who is not invited: E9 is added behind delphi's back, after round 1
# was opened, and given an answer in round 1.
check_copy not-invited <<'EOF'
INSERT INTO experts (survey_id, ext_id, name, email, sector, token_hash, pseudonym, created_at, updated_at)
VALUES (1, 'E9', 'Ivy Ives', '', 'academia', randomblob(32), 'P-99999999', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO answers (round_id, topic_id, question_id, expert_id, num, updated_at)
SELECT r.id, t.id, q.id, e.id, 2, '2026-01-01T00:00:00Z' FROM rounds r, topics t, questions q, experts e
WHERE r.number = 1 AND t.code = 'AI-01' AND q.key = 'importance' AND e.ext_id = 'E9';
EOF
run_db 1 "$T/not-invited.db" check
same "not invited" "$(cat "$T/out")" 'survey cli-test, round 1: expert "E9" has 1 answer but is not invited to the round'
has "$T/err" "not-invited.db: 1 problem found"

# Many problems of one kind: 60 experts who are not invited, each with an answer. The first 50
# (DB_CHECK_MAX_PER_KIND) are listed, then one line counts the other 10; all 60 are counted.
check_copy many <<'EOF'
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60)
INSERT INTO experts (survey_id, ext_id, name, email, sector, token_hash, pseudonym, created_at, updated_at)
SELECT 1, 'X' || x, 'X', '', 'other', randomblob(32), 'P-x' || x, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM c;
INSERT INTO answers (round_id, topic_id, question_id, expert_id, num, updated_at)
SELECT r.id, t.id, q.id, e.id, 2, '2026-01-01T00:00:00Z' FROM rounds r, topics t, questions q, experts e
WHERE r.number = 1 AND t.code = 'AI-01' AND q.key = 'importance' AND e.ext_id LIKE 'X%';
EOF
run_db 1 "$T/many.db" check
same "many: lines" "$(wc -l <"$T/out" | tr -d ' ')" "51"
same "many: last line" "$(tail -1 "$T/out")" "... and 10 more problems of answers by experts not invited"
has "$T/err" "many.db: 60 problems found"

# An ordinal value that is not a label: importance has labels 4, 3, 2, 1; E1 answered 4 (AI-01).
check_copy label <<'EOF'
UPDATE answers SET num = 7
WHERE question_id = (SELECT id FROM questions WHERE key = 'importance')
  AND expert_id = (SELECT id FROM experts WHERE ext_id = 'E1');
EOF
run_db 1 "$T/label.db" check
same "label" "$(cat "$T/out")" 'survey cli-test, round 1, expert "E1", topic AI-01, question importance: "7" is not one of the labels 4, 3, 2, 1'

# A second open round while round 1 is open.
check_copy two-open <<'EOF'
INSERT INTO rounds (survey_id, number, state, opened_at) VALUES (1, 2, 'open', '2026-01-01T00:00:00Z');
EOF
run_db 1 "$T/two-open.db" check
same "two open" "$(cat "$T/out")" "survey cli-test: rounds 1, 2 are all open (at most one may be)"

# More answer values, each against its question's rules (survey.json): tech_year is 2025..2040
# (the survey year to the horizon); expertise allows no dont_know; measures has 3 options (mask
# bits 0..2); text is for comment only; E1's social_year is 2035 (answers-r1.csv).
check_copy values <<'EOF'
UPDATE answers SET num = 2041 WHERE question_id = (SELECT id FROM questions WHERE key = 'tech_year')
  AND expert_id = (SELECT id FROM experts WHERE ext_id = 'E1');
UPDATE answers SET num = NULL, special = 'dont_know' WHERE question_id = (SELECT id FROM questions WHERE key = 'expertise')
  AND expert_id = (SELECT id FROM experts WHERE ext_id = 'E1');
UPDATE answers SET num = 8 WHERE question_id = (SELECT id FROM questions WHERE key = 'measures')
  AND expert_id = (SELECT id FROM experts WHERE ext_id = 'E1');
UPDATE answers SET num = NULL, text = 'soon' WHERE question_id = (SELECT id FROM questions WHERE key = 'social_year')
  AND expert_id = (SELECT id FROM experts WHERE ext_id = 'E1');
EOF
run_db 1 "$T/values.db" check
has "$T/out" 'survey cli-test, round 1, expert "E1", topic AI-01, question expertise: "dont_know" is not allowed for this question'
has "$T/out" 'survey cli-test, round 1, expert "E1", topic AI-01, question tech_year: year 2041 is after the horizon 2040'
has "$T/out" 'survey cli-test, round 1, expert "E1", topic AI-01, question social_year: a text answer to a year question (text is only for text questions)'
has "$T/out" 'survey cli-test, round 1, expert "E1", topic AI-01, question measures: option mask 8 has bits beyond the question'"'"'s 3 options'
has "$T/err" "values.db: 4 problems found"

# Reasons (schema version 2 on): from round 2 on, for ordinal and year answers only. Round 1 is
# the only round here: a reason on E1's importance answer there is out of place; so is one on
# E1's measures (multi) answer.
if [ "$(sqlite3 "$DB" "SELECT count(*) FROM pragma_table_info('answers') WHERE name = 'reason'")" = 1 ]; then
	check_copy reasons <<'EOF2'
UPDATE answers SET reason = 'Funding dried up.' WHERE expert_id = (SELECT id FROM experts WHERE ext_id = 'E1')
  AND question_id IN (SELECT id FROM questions WHERE key IN ('importance', 'measures'));
EOF2
	run_db 1 "$T/reasons.db" check
	has "$T/out" 'survey cli-test, round 1, expert "E1", topic AI-01, question importance: a reason in round 1 (reasons are given from round 2 on)'
	has "$T/out" 'survey cli-test, round 1, expert "E1", topic AI-01, question measures: a reason on an answer to a multi question (reasons are for ordinal and year questions)'
	has "$T/err" "reasons.db: 2 problems found"
fi

# Rounds with a gap and beyond the definition's two; a foreign key to nobody; a session of a
# user who does not exist.
check_copy rows <<'EOF'
UPDATE rounds SET number = 3, state = 'closed' WHERE number = 1;
INSERT INTO invitations (round_id, expert_id) VALUES (1, 4242);
INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
VALUES (randomblob(32), 42, 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');
EOF
run_db 1 "$T/rows.db" check
has "$T/out" "foreign key: invitations.expert_id refers to a row of experts that does not exist"
has "$T/out" "foreign key: sessions.user_id (row 1) refers to a row of users that does not exist"
has "$T/out" "survey cli-test: its rounds are numbered 3, not 1..1 without gaps"
has "$T/out" "survey cli-test: there is a round 3, but the definition has 2 rounds"
has "$T/out" "session (row 1) belongs to user #42, who does not exist"

# A definition that no longer loads; a schema version the binary does not have.
check_copy definition <<'EOF'
UPDATE surveys SET definition = '{"slug": "cli-test"}';
EOF
run_db 1 "$T/definition.db" check
has "$T/out" 'survey cli-test: the stored definition does not load: cli-test: missing key "languages"'
check_copy version <<'EOF'
PRAGMA user_version = 99;
EOF
run_db 1 "$T/version.db" check
same "version" "$(cat "$T/out")" "schema version 99, but this delphi's is $V (use a newer delphi); delphi's own checks were skipped"

# Everything at once: every problem is listed.
check_copy all <<'EOF'
INSERT INTO experts (survey_id, ext_id, name, email, sector, token_hash, pseudonym, created_at, updated_at)
VALUES (1, 'E9', 'Ivy Ives', '', 'academia', randomblob(32), 'P-99999999', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO answers (round_id, topic_id, question_id, expert_id, num, updated_at)
SELECT r.id, t.id, q.id, e.id, 2, '2026-01-01T00:00:00Z' FROM rounds r, topics t, questions q, experts e
WHERE r.number = 1 AND t.code = 'AI-01' AND q.key = 'importance' AND e.ext_id = 'E9';
UPDATE answers SET num = 7
WHERE question_id = (SELECT id FROM questions WHERE key = 'importance')
  AND expert_id = (SELECT id FROM experts WHERE ext_id = 'E1');
INSERT INTO rounds (survey_id, number, state, opened_at) VALUES (1, 2, 'open', '2026-01-01T00:00:00Z');
EOF
run_db 1 "$T/all.db" check
has "$T/out" 'expert "E9" has 1 answer but is not invited to the round'
has "$T/out" 'question importance: "7" is not one of the labels 4, 3, 2, 1'
has "$T/out" "rounds 1, 2 are all open"
has "$T/err" "all.db: 3 problems found"

# A damaged file. Garbled: 4 KiB of noise over page 6 (bytes 20480..24575), inside the tables.
cp "$DB" "$T/garbled.db"
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "%c", 65 + i % 26 }' |
	dd of="$T/garbled.db" bs=4096 seek=5 conv=notrunc 2>/dev/null
run_db 1 "$T/garbled.db" check
has "$T/out" "integrity_check: Page 6: "
# Truncated to 100 000 bytes (the database is some 2 MB).
head -c 100000 "$DB" >"$T/truncated.db"
run_db 1 "$T/truncated.db" check
has "$T/out" "database disk image is malformed"
# Not a database at all: the header is overwritten.
cp "$DB" "$T/header.db"
printf 'this is not an SQLite header' | dd of="$T/header.db" conv=notrunc 2>/dev/null
run_db 1 "$T/header.db" check
has "$T/out" "file is not a database"
run_db 1 "$T/header.db" backup --out "$T/header-copy.db"
has "$T/err" "file is not a database"
checks=$((checks + 1))
[ ! -e "$T/header-copy.db" ] && [ ! -e "$T/header-copy.db.tmp" ] || fail "a failed backup left a file"

# The good database was never touched.
same "the source at the end" "$(sum "$DB")" "$before"
same "no -wal/-shm left at the end" "$(ls "$T" | grep -c -- '-wal\|-shm')" "0"

finish
