#!/bin/sh
# The `delphi` command line end to end: the real binary ($DELPHI) against real database files in
# a temporary directory. Walks one small survey (tests/data/cli/survey.json) through init, load,
# experts, two rounds, answer imports and exports, checking outputs, exit codes, what is stored,
# and that rejected imports leave the database file byte for byte as it was.
#
#   DELPHI=build/release/delphi sh tests/integration/cli.sh
#   VALGRIND=1 ...   runs every delphi command under valgrind (errors and leaks fail the test)
#
# Expected values are worked out by hand from the files in tests/data/cli/ (see the comments).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DATA=$(cd "$HERE/../data/cli" && pwd)
SAMPLE=$(cd "$HERE/../.." && pwd)/survey-defs/foresight-2050.json
# The schema version a new database gets: one per migration file (0001, 0002, ...).
SCHEMA=$(ls "$HERE/../../db/migrations/"*.sql | wc -l | tr -d ' ')

# ---- help and usage --------------------------------------------------------------------------
run 2
run 0 help
has "$T/out" "commands:"
has "$T/out" "--db PATH"
run 0 help survey
has "$T/out" "usage: delphi survey load FILE"
run 0 survey --help
has "$T/out" "usage: delphi survey load FILE"
run 0 round open --help
has "$T/out" "delphi round open --survey SLUG"
run 0 --help
has "$T/out" "commands:"
run 2 help nosuch
has "$T/err" "there is no command 'nosuch'"
run 2 nosuch
has "$T/err" "there is no command 'nosuch'"
run 2 survey
has "$T/err" "(see 'delphi help survey')"
run 2 survey frob
run 2 survey list --bogus
has "$T/err" "unknown option '--bogus'"
run 2 experts import --survey cli-test
has "$T/err" "missing argument"
run 2 round open
has "$T/err" "--survey is required"
run 2 answers import --survey cli-test --round abc "$DATA/answers-r1.csv"
has "$T/err" "--round must be a whole number from 1 to 9, not 'abc'"
run 2 answers import --survey cli-test "$DATA/answers-r1.csv"
has "$T/err" "--round is required"
run 2 round status --survey
has "$T/err" "option --survey needs a value"

# ---- no database yet: every command but init says to run init, and creates nothing -----------
run 1 survey list
has "$T/err" "no database at $DB: create it with 'delphi init'"
checks=$((checks + 1))
[ ! -e "$DB" ] || fail "a database file was made"

# ---- init: creates and migrates; idempotent ---------------------------------------------------
run 0 init
same "init output" "$(cat "$T/out")" "$DB: schema version $SCHEMA"
same "user_version" "$(sql 'PRAGMA user_version')" "$SCHEMA"
same "tables" "$(sql "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
	WHERE type = 'table' ORDER BY name)")" \
	"answers audit_log comment_moderation expert_fields experts fields invitations mail_log questions rounds sessions stats surveys topics users"
same "journal mode" "$(sql 'PRAGMA journal_mode')" "wal"
run 0 init
same "init again" "$(cat "$T/out")" "$DB: schema version $SCHEMA"
same "each migration once" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'db.migrate'")" "$SCHEMA"
# DELPHI_DB names the database when --db does not.
checks=$((checks + 1))
DELPHI_DB=$DB "$DELPHI" survey list >/dev/null 2>"$T/err" || fail "DELPHI_DB: $(cat "$T/err")"
# A newer schema than the binary knows is refused.
cp "$DB" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version = 99"
checks=$((checks + 1))
"$DELPHI" --db "$T/newer.db" init >/dev/null 2>"$T/err" && fail "newer schema accepted"
has "$T/err" "schema version 99 is newer than this delphi knows ($SCHEMA)"
# A file that is not a database.
echo "hello" >"$T/text.db"
checks=$((checks + 1))
"$DELPHI" --db "$T/text.db" init >/dev/null 2>"$T/err"
same "not a database: exit" "$?" "1"
has "$T/err" "file is not a database"

# ---- survey load / list / show --------------------------------------------------------------
before=$(sum)
run 2 survey load "$DATA/survey-bad-field.json"
has "$T/err" "survey-bad-field.json: topics[2].field: unknown field \"XX\""
has "$T/err" "nothing was loaded"
same "bad definition leaves the file as it was" "$(sum)" "$before"
run 2 survey load "$T/missing.json"
has "$T/err" "cannot open $T/missing.json"

run 0 survey load "$DATA/survey.json"
# survey.json: fields AI, EN; topics AI-01, AI-02, EN-01; six questions; two rounds.
same "load" "$(head -1 "$T/out")" "loaded survey cli-test: 2 fields, 3 topics, 6 questions, 2 rounds"
run 0 survey load "$DATA/survey.json"
has "$T/out" "survey cli-test is already loaded with this definition: nothing changed"
same "audit survey.load" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'survey.load'")" "1"

run 0 survey list
has "$T/out" "cli-test"
has "$T/out" "CLI test survey"
run 0 survey show cli-test
has "$T/out" "survey cli-test: CLI test survey"
has "$T/out" "year 2025, horizon 2040, languages en"
has "$T/out" "  AI             2 topics  Artificial intelligence"
has "$T/out" "  EN             1 topic   Energy"
has "$T/out" "  measures         multi    options collaboration;funding;regulation"
has "$T/out" "  social_year      year     years 2025..2040, not before tech_year, already, never, dont_know"
has "$T/out" "experts: 0"
has "$T/out" "rounds run: none yet"
run 2 survey show nosuch
has "$T/err" "there is no survey 'nosuch'"

# The sample survey loads too.
run 0 survey load "$SAMPLE"
same "sample" "$(head -1 "$T/out")" "loaded survey foresight-2050: 9 fields, 90 topics, 7 questions, 2 rounds"

# ---- experts import -------------------------------------------------------------------------
# experts.csv: Excel style (BOM, CRLF, columns in another order). Four experts, all new.
run 0 experts import --survey cli-test --public-url https://example.test/delphi/ "$DATA/experts.csv"
cp "$T/out" "$T/links1.csv"
same "links: header" "$(head -1 "$T/links1.csv")" "id,token,link"
same "links: ids" "$(tail -n +2 "$T/links1.csv" | cut -d, -f1 | tr '\n' ' ')" "E1 E2 E3 E4 "
has "$T/err" "imported 4 experts into cli-test: 4 new, 0 updated"
for id in E1 E2 E3 E4; do
	line=$(grep "^$id," "$T/links1.csv")
	token=$(echo "$line" | cut -d, -f2)
	link=$(echo "$line" | cut -d, -f3)
	checks=$((checks + 1))
	echo "$token" | grep -Eq '^[0-9a-f]{32}$' || fail "$id: token '$token' is not 32 hex digits"
	same "$id: link" "$link" "https://example.test/delphi/e/$token"
	# Only SHA-256 of the token's text is stored, and the token itself nowhere.
	hash=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
	same "$id: stored hash" "$(sql "SELECT lower(hex(token_hash)) FROM experts WHERE ext_id = '$id'")" "$hash"
	checks=$((checks + 1))
	if sqlite3 "$DB" .dump | grep -q "$token"; then fail "$id: the token is in the database"; fi
done
same "tokens differ" "$(tail -n +2 "$T/links1.csv" | cut -d, -f2 | sort -u | wc -l | tr -d ' ')" "4"

run 0 experts list --survey cli-test
same "list: header" "$(head -1 "$T/out")" "id,name,sector,fields,pseudonym"
hasnt "$T/out" "$(sed -n 2p "$T/links1.csv" | cut -d, -f2)"
# E2 "Bob, Jr." is quoted; fields in the definition's order.
checks=$((checks + 1))
grep -Eq '^E2,"Bob, Jr\.",industry,AI;EN,P-[0-9a-f]{8}$' "$T/out" || fail "list: E2 line: $(grep ^E2 "$T/out")"
checks=$((checks + 1))
grep -Eq '^E4,Dan Dube,other,AI,P-[0-9a-f]{8}$' "$T/out" || fail "list: E4 line: $(grep ^E4 "$T/out")"
P1=$(grep '^E1,' "$T/out" | cut -d, -f5)
P2=$(grep '^E2,' "$T/out" | cut -d, -f6)
P3=$(grep '^E3,' "$T/out" | cut -d, -f5)
hash2=$(sql "SELECT hex(token_hash) FROM experts WHERE ext_id = 'E2'")

# The file may come from standard input; global options may follow the command.
checks=$((checks + 1))
"$DELPHI" experts list --survey cli-test --db="$DB" >"$T/list-after.csv" 2>"$T/err" || fail "--db= after the command"
same "same list" "$(cat "$T/list-after.csv")" "$(cat "$T/out")"
run 0 experts import --survey cli-test - <"$DATA/experts.csv"
same "stdin: nothing new" "$(cat "$T/out")" "id,token,link"
has "$T/err" "imported 4 experts into cli-test: 0 new, 4 updated"

# Re-import: E2 and E4 are updated (no new token, no output line), E5 is new.
export DELPHI_PUBLIC_URL=https://env.example.test
run 0 experts import --survey cli-test "$DATA/experts-update.csv"
unset DELPHI_PUBLIC_URL
same "re-import output" "$(cut -d, -f1 "$T/out" | tr '\n' ' ')" "id E5 "
has "$T/out" ",https://env.example.test/e/"
has "$T/err" "imported 3 experts into cli-test: 1 new, 2 updated"
same "E2 keeps its token" "$(sql "SELECT hex(token_hash) FROM experts WHERE ext_id = 'E2'")" "$hash2"
run 0 experts list --survey cli-test
has "$T/out" "E2,\"Bob Baker, Jr.\",government,AI;EN,$P2"
checks=$((checks + 1))
grep -Eq '^E4,Dan Dube,other,AI;EN,P-[0-9a-f]{8}$' "$T/out" || fail "list: E4 updated: $(grep ^E4 "$T/out")"
same "experts" "$(sql 'SELECT count(*) FROM experts')" "5"

# Rejected imports change nothing, to the byte.
before=$(sum)
run 2 experts import --survey cli-test "$DATA/experts-bad.csv"
same "bad experts: no output" "$(cat "$T/out")" ""
has "$T/err" "experts-bad.csv: row 2: sector \"acadmia\" is not one of academia, industry, government, other"
has "$T/err" "experts-bad.csv: row 4: field \"XX\" is not in survey cli-test (its fields: AI, EN)"
has "$T/err" "experts-bad.csv: row 5: name is empty"
has "$T/err" "experts-bad.csv: row 6: id \"E8\" is also on row 3"
has "$T/err" "experts-bad.csv: row 7: email \"not-an-address\" is not an e-mail address"
has "$T/err" "experts-bad.csv: row 8: fields is empty"
has "$T/err" "experts-bad.csv: row 9: has 4 cells, the header has 5"
hasnt "$T/err" "row 3:"
has "$T/err" "experts-bad.csv: 7 problems; nothing was imported"
same "bad experts leave the file as it was" "$(sum)" "$before"
run 2 experts import --survey cli-test "$DATA/experts-no-fields-column.csv"
has "$T/err" "row 1: unknown column \"field\" (the columns are id, name, email, sector, fields)"
has "$T/err" "row 1: the header has no column \"fields\""
run 2 experts import --survey nosuch "$DATA/experts.csv"
has "$T/err" "there is no survey 'nosuch'"
run 2 experts import --survey cli-test --public-url ftp://x "$DATA/experts.csv"
has "$T/err" "is not an http:// or https:// URL"
same "rejected imports leave the file as it was" "$(sum)" "$before"

# A replaced definition (before any round) keeps the rows of the codes it still has.
field_ids=$(sql "SELECT group_concat(id) FROM fields WHERE survey_id = (SELECT id FROM surveys WHERE slug = 'cli-test')")
run 0 survey load "$DATA/survey-v2.json"
has "$T/out" "replaced the definition of survey cli-test: 2 fields, 4 topics, 6 questions, 2 rounds"
run 0 survey load "$DATA/survey.json"
has "$T/out" "replaced the definition of survey cli-test: 2 fields, 3 topics"
same "field rows kept" "$(sql "SELECT group_concat(id) FROM fields WHERE survey_id = (SELECT id FROM surveys WHERE slug = 'cli-test')")" "$field_ids"
same "expert fields kept" "$(sql "SELECT count(*) FROM expert_fields")" "7"

# ---- rounds ----------------------------------------------------------------------------------
run 1 round close --survey cli-test
has "$T/err" "no round of cli-test has been opened yet"
run 0 round status --survey cli-test
has "$T/err" "no round of cli-test has been opened yet"
run 1 round open --survey foresight-2050
has "$T/err" "survey foresight-2050 has no experts to invite"
run 0 round open --survey cli-test
same "open 1" "$(cat "$T/out")" "round 1 of cli-test is open: 5 experts invited"
run 1 round open --survey cli-test
has "$T/err" "round 1 of cli-test is still open: close it first"
# The definition is fixed once a round has been opened.
before=$(sum)
run 1 survey load "$DATA/survey-v2.json"
has "$T/err" "survey cli-test has opened rounds, so its definition can no longer change"
same "locked definition leaves the file as it was" "$(sum)" "$before"
# An expert added while round 1 is open is invited to it.
run 0 experts import --survey cli-test "$DATA/experts-late.csv"
run 0 round status --survey cli-test
has "$T/out" "survey cli-test, round 1 of 2: open"
# Invited per field: AI: E1, E2, E4, E6 = 4; EN: E2, E3, E4, E5 = 4; all: 6.
has "$T/out" "AI                  4            0        0"
has "$T/out" "EN                  4            0        0"
has "$T/out" "all                 6            0        0"

# ---- answers import, round 1 -----------------------------------------------------------------
run 0 answers import --survey cli-test --round 1 "$DATA/answers-r1.csv"
same "import r1" "$(cat "$T/out")" "imported 12 answers of 3 experts into round 1 of cli-test"
run 0 round status --survey cli-test
# AI: E1 6 answers + E2 2 answers (AI-01) = 8 from 2 respondents; EN: E2 2 + E3 2 = 4 from 2.
has "$T/out" "AI                  4            2        8"
has "$T/out" "EN                  4            2        4"
has "$T/out" "all                 6            3       12"

before=$(sum)
run 2 answers import --survey cli-test --round 1 "$DATA/answers-bad.csv"
has "$T/err" "answers-bad.csv: row 2: expert \"E1\", topic AI-01: "
# Rows 3 (E1, field AI, on EN-01) and 8 (E3, field EN, on AI-02) are fine: an expert may answer
# any topic of the survey, not only those of their own fields.
hasnt "$T/err" "row 3:"
hasnt "$T/err" "row 8:"
has "$T/err" "answers-bad.csv: row 4: there is no expert \"E99\" in survey cli-test"
has "$T/err" "answers-bad.csv: row 5: importance: "
has "$T/err" "answers-bad.csv: row 7: repeats row 6 (the same expert, topic and question)"
has "$T/err" "answers-bad.csv: row 9: there is no question \"bogus\" (the questions: expertise, importance, tech_year, social_year, measures, comment)"
has "$T/err" "answers-bad.csv: row 10: tech_year: "
has "$T/err" "answers-bad.csv: row 11: measures: "
hasnt "$T/err" "row 6:"
has "$T/err" "answers-bad.csv: 7 problems; nothing was imported"
# Problems are listed in row order, whichever check found them.
same "row order" "$(grep -o 'row [0-9]*:' "$T/err" | tr '\n' ' ')" \
	"row 2: row 4: row 5: row 7: row 9: row 10: row 11: "
same "bad answers leave the file as it was" "$(sum)" "$before"
# A new tech_year later than the social_year stored before (2035) is caught too.
run 2 answers import --survey cli-test --round 1 "$DATA/answers-conflict-stored.csv"
has "$T/err" "answers-conflict-stored.csv: row 2: expert \"E1\", topic AI-01: "
has "$T/err" "(an answer stored before)"
# More than 20 problems: the first 20, then a count.
{
	echo "expert,topic,question,value"
	for i in $(seq 1 25); do echo "E1,AI-02,importance,9"; done
} >"$T/many.csv"
run 2 answers import --survey cli-test --round 1 "$T/many.csv"
same "twenty shown" "$(grep -c 'many.csv: row' "$T/err")" "20"
# ... the first twenty by row: rows 2..21 (row 1 is the header).
has "$T/err" "many.csv: row 21: "
hasnt "$T/err" "many.csv: row 22: "
has "$T/err" "many.csv: ... and 5 more"
has "$T/err" "many.csv: 25 problems; nothing was imported"
run 2 answers import --survey cli-test --round 2 "$DATA/answers-r2.csv"
has "$T/err" "round 2 of cli-test has not been opened"
same "rejected answers leave the file as it was" "$(sum)" "$before"

# ---- answers export, worked out by hand ------------------------------------------------------
# Rows ordered by round, topic (AI-01, AI-02, EN-01), question (expertise, importance,
# tech_year, social_year, measures, comment), then pseudonym. Sectors after the re-import:
# E1 academia, E2 government, E3 government. expertise = the expert's expertise answer for the
# topic in the round: E1 on AI-01: 3; E2 on AI-01: 1; E2 on EN-01: none; E3 on EN-01: 2.
# measures "regulation;collaboration" comes out in the definition's order; the comment with a
# comma is quoted.
pair() { # the two lines ordered by pseudonym ($1 and $3), each "pseudonym" then "rest"
	if [ "$1" \< "$3" ]; then echo "1,$1,$2"; echo "1,$3,$4"; else echo "1,$3,$4"; echo "1,$1,$2"; fi
}
{
	echo "round,pseudonym,sector,topic,field,expertise,question,value"
	pair "$P1" "academia,AI-01,AI,3,expertise,3" "$P2" "government,AI-01,AI,1,expertise,1"
	pair "$P1" "academia,AI-01,AI,3,importance,4" "$P2" "government,AI-01,AI,1,importance,dont_know"
	echo "1,$P1,academia,AI-01,AI,3,tech_year,2030"
	echo "1,$P1,academia,AI-01,AI,3,social_year,2035"
	echo "1,$P1,academia,AI-01,AI,3,measures,collaboration;regulation"
	echo "1,$P1,academia,AI-01,AI,3,comment,\"Open models, open data\""
	echo "1,$P3,government,EN-01,EN,2,expertise,2"
	echo "1,$P2,government,EN-01,EN,,importance,2"
	echo "1,$P2,government,EN-01,EN,,tech_year,already"
	echo "1,$P3,government,EN-01,EN,2,social_year,never"
} >"$T/want-r1.csv"
run 0 answers export --survey cli-test --round 1
checks=$((checks + 1))
cmp -s "$T/out" "$T/want-r1.csv" || { fail "export round 1"; diff "$T/want-r1.csv" "$T/out"; }
run 2 answers export --survey cli-test --round 2
has "$T/err" "round 2 of cli-test has not been opened"

# ---- round 2: invites the respondents of round 1 ----------------------------------------------
run 0 round close --survey cli-test
same "close 1" "$(head -1 "$T/out")" "round 1 of cli-test is closed"
has "$T/out" "next: open round 2 with 'delphi round open --survey cli-test'"
run 1 round close --survey cli-test
has "$T/err" "no round of cli-test is open (round 1 closed at "
run 0 round open --survey cli-test
same "open 2" "$(cat "$T/out")" "round 2 of cli-test is open: 3 experts invited"
run 2 answers import --survey cli-test --round 2 "$DATA/answers-r2-not-invited.csv"
has "$T/err" "row 2: expert \"E4\" is not invited to round 2"
run 0 answers import --survey cli-test --round 2 "$DATA/answers-r2.csv"
same "import r2" "$(cat "$T/out")" "imported 1 answer of 1 expert into round 2 of cli-test"
# E1 gave no expertise answer in round 2: the column is empty.
run 0 answers export --survey cli-test --round 2
same "export round 2" "$(cat "$T/out")" "round,pseudonym,sector,topic,field,expertise,question,value
2,$P1,academia,AI-01,AI,,importance,3"
run 0 answers export --survey cli-test
{ cat "$T/want-r1.csv"; echo "2,$P1,academia,AI-01,AI,,importance,3"; } >"$T/want-all.csv"
checks=$((checks + 1))
cmp -s "$T/out" "$T/want-all.csv" || { fail "export all rounds"; diff "$T/want-all.csv" "$T/out"; }

# Late answers to the closed round 1: only with --force, and the audit log says so.
before=$(sum)
run 2 answers import --survey cli-test --round 1 "$DATA/answers-late-r1.csv"
has "$T/err" "round 1 of cli-test is closed: to add late answers to it anyway, run again with --force"
same "refused late import leaves the file as it was" "$(sum)" "$before"
run 0 answers import --survey cli-test --round 1 --force "$DATA/answers-late-r1.csv"
has "$T/out" "imported 1 answer of 1 expert into round 1 of cli-test (a closed round: forced)"
same "forced import audited" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'answers.import' AND detail LIKE '%forced%'")" "1"

run 0 round close --survey cli-test
hasnt "$T/out" "next:"
run 1 round open --survey cli-test
has "$T/err" "all 2 rounds of cli-test have been run"
run 0 survey show cli-test
has "$T/out" "  1  closed  opened "
has "$T/out" "  2  closed  opened "
has "$T/out" "experts: 6"

# Every change made through the CLI is in the audit log, by "cli".
same "audit" "$(sql "SELECT group_concat(action || ':' || n, ' ') FROM (SELECT action, count(*) AS n
	FROM audit_log WHERE actor = 'cli' GROUP BY action ORDER BY action)")" \
	"answers.import:3 experts.import:4 round.close:2 round.open:2 survey.load:4"

# A topic outside the expert's fields is taken (E1 is in AI only; EN-01 is in EN).
printf 'expert,topic,question,value\nE1,EN-01,importance,2\n' >"$T/other-field.csv"
run 0 answers import --survey cli-test --round 2 --force "$T/other-field.csv"
has "$T/out" "imported 1 answer of 1 expert into round 2 of cli-test (a closed round: forced)"
run 0 answers export --survey cli-test --round 2
has "$T/out" "2,$P1,academia,EN-01,EN,,importance,2"

# ---- hostile and long texts (a database of their own) -----------------------------------------
# Markup, SQL quotes, a right-to-left override and 10,000-character strings in topic texts (every
# language) and expert names are stored byte for byte. The limits count characters: the long
# string is 10,000 characters but over 20,000 bytes (most of it U+202E, 3 bytes each); 16384
# characters is the most a topic text or a name takes.
MAIN_DB=$DB
DB=$T/hostile.db
python3 - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
rlo = "\u202e"
hostile = "<script>alert(1)</script> \"><img src=x onerror=alert(1)> '; DROP TABLE answers; -- " + rlo + "abc"
long10k = ((hostile + " ") * 10 + rlo * 10000)[:10000]
d = {"slug": "hostile", "title": {"en": hostile}, "year": 2025, "horizon": 2040,
     "languages": ["en", "ja"],
     "fields": [{"code": "F", "title": {"en": hostile, "ja": hostile}}],
     "topics": [{"code": "T1", "field": "F", "title": {"en": hostile, "ja": hostile},
                 "text": {"en": long10k, "ja": long10k}},
                {"code": "T2", "field": "F", "title": {"en": "x"}, "text": {"en": "y" * 16385}}],
     "questions": [{"key": "importance", "kind": "ordinal", "text": {"en": long10k, "ja": hostile},
                    "labels": [{"value": 2, "text": {"en": hostile}},
                               {"value": 1, "text": {"en": "low"}}]}]}
json.dump(d, open(t + "/hostile-too-long.json", "w", encoding="utf-8"), ensure_ascii=False)
d["topics"][1]["text"]["en"] = "y" * 16384
json.dump(d, open(t + "/hostile.json", "w", encoding="utf-8"), ensure_ascii=False)
open(t + "/long10k.txt", "w", encoding="utf-8").write(long10k)
open(t + "/hostile.txt", "w", encoding="utf-8").write(hostile)
q = lambda v: '"' + v.replace('"', '""') + '"'
rows = ["id,name,email,sector,fields", "H1,%s,h1@example.org,academia,F" % q(hostile),
        "H2,%s,,industry,F" % q(long10k)]
open(t + "/hostile-experts.csv", "w", encoding="utf-8").write("\n".join(rows) + "\n")
rows.append("H3,%s,,other,F" % ("n" * 16385))
open(t + "/hostile-experts-bad.csv", "w", encoding="utf-8").write("\n".join(rows) + "\n")
EOF
checks=$((checks + 1))
[ "$(wc -c <"$T/long10k.txt")" -gt 20000 ] || fail "the long string is not over 20,000 bytes"
run 0 init
run 2 survey load "$T/hostile-too-long.json"
has "$T/err" "hostile-too-long.json: topics[1].text.en: too long (16385 characters, at most 16384)"
run 0 survey load "$T/hostile.json"
has "$T/out" "loaded survey hostile:"
# The stored definition gives back every text exactly.
same "stored definition" "$(sql "SELECT hex(definition) FROM surveys WHERE slug = 'hostile'")" \
	"$(od -An -tx1 -v "$T/hostile.json" | tr -d ' \n' | tr a-f A-F)"
run 2 experts import --survey hostile "$T/hostile-experts-bad.csv"
has "$T/err" "hostile-experts-bad.csv: row 4: name is longer than 16384 characters"
hasnt "$T/err" "row 3:"
same "nothing imported" "$(sql "SELECT count(*) FROM experts")" 0
run 0 experts import --survey hostile "$T/hostile-experts.csv"
has "$T/err" "imported 2 experts into hostile: 2 new, 0 updated"
same "hostile name stored" "$(sql "SELECT hex(name) FROM experts WHERE ext_id = 'H1'")" \
	"$(od -An -tx1 -v "$T/hostile.txt" | tr -d ' \n' | tr a-f A-F)"
same "10,000-character name stored" "$(sql "SELECT hex(name) FROM experts WHERE ext_id = 'H2'")" \
	"$(od -An -tx1 -v "$T/long10k.txt" | tr -d ' \n' | tr a-f A-F)"
same "10,000-character name: characters" "$(sql "SELECT length(name) FROM experts WHERE ext_id = 'H2'")" 10000
DB=$MAIN_DB

# Every connection was closed: no WAL or shared-memory file is left behind.
same "no -wal/-shm left" "$(ls "$T" | grep -c -- '-wal\|-shm')" "0"

finish
