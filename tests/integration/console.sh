#!/bin/sh
# The console API of `delphi serve` end to end (docs/api.md "The console API"): the real binary
# ($DELPHI) on an ephemeral port with a temporary database, driven over HTTPS with curl -k; JSON
# replies read with Python's json module, the store with the sqlite3 CLI.
#
# Walks a survey through the console: logins (one 401 for every failure, 429 after repeated
# failures), a definition larger than --max-body uploaded through the route's own 4 MiB limit
# (422 with line:column or the JSON path), experts previewed and imported from CSV, round 1
# opened, answered by experts (cookie sessions and Bearer tokens), watched, closed (the reply is
# the aggregator's summary), comments moderated, results and downloads read, users disabled
# (their sessions stop working) — and hostile text (<script>, "><img onerror>, SQL quotes, RTL
# marks, 10,000-character strings) in topic texts, expert names and comments is stored as given
# and comes back as JSON strings, escaped in the HTML report. Then, with a mail relay on
# loopback (python3-aiosmtpd), invitations; and the authorization matrix: every console route
# x {no session, expert, planner, coordinator, admin} gets the status of the table below, which
# mirrors docs/api.md. CSRF: a missing or wrong X-CSRF-Token is 403 csrf.
#
#   DELPHI=build/release/delphi sh tests/integration/console.sh
#   VALGRIND=1 ...   runs the server under valgrind (errors and definite leaks: exit 99, a failure)
#
# Every curl has a time limit and the servers are killed on any exit. Failures are printed as
# "FAIL: ..." and make the script exit 1.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if ! "$PY" -c 'import aiosmtpd' 2>/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "FAIL: console.sh needs python3-aiosmtpd and sqlite3 (apt-get install them)"
	exit 1
fi

# ---- Users (CLI) and the first server, without a mail relay ------------------------------------
cli init
for u in ada:admin carol:coordinator pat:planner zed:planner; do
	user_add "${u%%:*}" "${u#*:}"
done
start

# ---- Sessions ----------------------------------------------------------------------------------
LABEL="session without a cookie"
call GET /api/v1/session
error 401 unauthenticated
login carol "carol has a long password"
check "login: cookie with every attribute" grep -qx \
	'Set-Cookie: delphi_session=[0-9a-f]\{64\}; Path=/; Max-Age=43200; Secure; HttpOnly; SameSite=Strict' "$T/h"
same "login: user" "$(pj 'd["user"]')" '{"name":"carol","role":"coordinator"}'
same "login: CSRF token is the session's" "$(cat "$T/csrf.carol")" \
	"$(sql "SELECT csrf_token FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'carol'")"
same "login: the session id is stored hashed" \
	"$(sql "SELECT lower(hex(id_hash)) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'carol'")" \
	"$(printf %s "$(cat "$T/ck.carol")" | sha256sum | cut -d' ' -f1)"
same "login: audited" "$(sql "SELECT actor FROM audit_log WHERE action = 'user.login'")" "user:carol"
login ada "ada has a long password"
login pat "pat has a long password"
login zed "zed has a long password"
LABEL="session"
as carol GET /api/v1/session
same "$LABEL: status" "$CODE" 200
same "$LABEL: body" "$(pj '[d["user"], d["csrf_token"]]')" \
	"[{\"name\":\"carol\",\"role\":\"coordinator\"},\"$(cat "$T/csrf.carol")\"]"
LABEL="login, wrong password"
call POST /api/v1/login -H "$J" --data-binary '{"name":"carol","password":"not the password"}'
error 401 invalid_credentials
LABEL="login, unknown user"
call POST /api/v1/login -H "$J" --data-binary '{"name":"mallory","password":"whatever it is"}'
error 401 invalid_credentials
LABEL="login, no password"
call POST /api/v1/login -H "$J" --data-binary '{"name":"carol"}'
error 400 bad_request password
LABEL="login, not JSON"
call POST /api/v1/login -H "Content-Type: text/plain" --data-binary 'name=carol'
error 415 unsupported_media_type

# ---- A survey definition through the console -------------------------------------------------
# Hostile texts and a 10,000-character topic text of 20,000 bytes (the loader counts characters and
# takes up to 16384; more are refused with the JSON path): the definition is larger than --max-body
# (64 KiB), which only the upload routes may exceed.
SCRIPT='<script>alert(1)</script>'
IMG='"><img src=x onerror=alert(1)>'
SQLQ="'; DROP TABLE experts; --"
RTL="$(printf '\342\200\256')abc$(printf '\342\200\217')" # U+202E abc U+200F
"$PY" - "$T" "$SCRIPT" "$IMG" "$SQLQ" "$RTL" <<'PY'
import json, sys
t, script, img, sqlq, rtl = sys.argv[1:6]
ords = lambda vals: [{"value": v, "text": {"en": "level %d" % v}} for v in vals]
d = {
  "slug": "console-test", "title": {"en": "Console test " + script}, "year": 2025,
  "horizon": 2040, "languages": ["en", "ja"],
  "fields": [{"code": "AI", "title": {"en": "AI " + img}}, {"code": "EN", "title": {"en": "Energy"}}],
  "topics": [
    {"code": "AI-01", "field": "AI", "title": {"en": script, "ja": rtl},
     "text": {"en": "x\u202e" * 5000}},
    {"code": "AI-02", "field": "AI", "title": {"en": img}, "text": {"en": sqlq}},
    {"code": "EN-01", "field": "EN", "title": {"en": sqlq}},
  ],
  "questions": [
    {"key": "expertise", "kind": "ordinal", "text": {"en": "Expertise"}, "labels": ords([3, 2, 1])},
    {"key": "importance", "kind": "ordinal", "text": {"en": "Importance"},
     "labels": ords([4, 3, 2, 1]), "dont_know": True},
    {"key": "tech_year", "kind": "year", "text": {"en": "Technical"},
     "special": ["already", "never", "dont_know"]},
    {"key": "comment", "kind": "text", "text": {"en": "Comment"}, "max_length": 10000},
  ],
  "rounds": {"count": 2, "invite": "respondents"},
}
s = json.dumps(d, ensure_ascii=False, indent=1)
s += " " * (70000 - len(s.encode()))  # larger than the global 64 KiB limit
open(t + "/survey.json", "w", encoding="utf-8").write(s)
json.dump(d, open(t + "/survey.min.json", "w", encoding="utf-8"), ensure_ascii=False)
# A 16,385-character topic text: more than the loader takes (16384 characters).
d["topics"][0]["text"]["en"] = "x" * 16385
json.dump(d, open(t + "/survey.long.json", "w", encoding="utf-8"), ensure_ascii=False)
# 4 MiB and one byte: too large even for the upload route.
open(t + "/huge.json", "w").write("[" + " " * (4 * 1024 * 1024 - 1) + "]")
PY
check "the definition is larger than 64 KiB" [ "$(wc -c <"$T/survey.json")" -gt 65536 ]
SL=console-test
S=/api/v1/surveys/$SL

LABEL="upload, malformed JSON"
as carol POST /api/v1/surveys -H "$J" --data-binary '{"slug": "x",
  "title": }'
error 422 invalid_definition
same "$LABEL: line:column" "$(pj 'd["error"]["message"].split(":")[0:2]')" '["2","12"]'
LABEL="upload, a bad value"
sed 's/"field": "EN"/"field": "X9"/' "$T/survey.min.json" >"$T/bad.json"
as carol POST /api/v1/surveys -H "$J" --data-binary @"$T/bad.json"
error 422 invalid_definition "topics[2].field"
check "$LABEL: message starts with the path" sh -c "grep -q '\"message\":\"topics\\[2\\].field: ' '$T/b'"
LABEL="upload, a 16,385-character topic text"
as carol POST /api/v1/surveys -H "$J" --data-binary @"$T/survey.long.json"
error 422 invalid_definition "topics[0].text.en"
LABEL="upload, not JSON"
as carol POST /api/v1/surveys -H "Content-Type: text/plain" --data-binary @"$T/survey.json"
error 415 unsupported_media_type
LABEL="upload, larger than 4 MiB"
as carol POST /api/v1/surveys -H "$J" --data-binary @"$T/huge.json"
same "$LABEL: status" "$CODE" 413
LABEL="another route, body larger than --max-body"
as ada POST /api/v1/users -H "$J" --data-binary @"$T/survey.json"
error 413 body_too_large
LABEL="upload"
as carol POST /api/v1/surveys -H "$J" --data-binary @"$T/survey.json"
same "$LABEL: status" "$CODE" 201
same "$LABEL: body" "$(cat "$T/b")" '{"slug":"console-test","outcome":"created"}'
same "$LABEL: audited" "$(sql "SELECT actor || ' ' || action FROM audit_log WHERE action = 'survey.load'")" \
	"user:carol survey.load"
LABEL="upload again"
as carol POST /api/v1/surveys -H "$J" --data-binary @"$T/survey.json"
same "$LABEL: status" "$CODE" 200
same "$LABEL: unchanged" "$(pj 'd["outcome"]')" unchanged

LABEL="surveys"
as pat GET /api/v1/surveys
same "$LABEL: status" "$CODE" 200
same "$LABEL: list" "$(pj '[(s["slug"], s["experts"], s["round"], s["rounds"]) for s in d["surveys"]]')" \
	'[["console-test",0,null,2]]'
LABEL="survey"
as carol GET "$S"
same "$LABEL: status" "$CODE" 200
check "$LABEL: JSON type" grep -qi '^Content-Type: application/json; charset=utf-8' "$T/h"
check "$LABEL: nosniff" grep -qi '^X-Content-Type-Options: nosniff' "$T/h"
# Stored and returned exactly as given; in the JSON text a quote is escaped.
same "$LABEL: <script> title" "$(pj 'd["survey"]["topics"][0]["title"]["en"]')" "$SCRIPT"
same "$LABEL: RTL title" "$(pj 'd["survey"]["topics"][0]["title"]["ja"]')" "$RTL"
same "$LABEL: img title" "$(pj 'd["survey"]["topics"][1]["title"]["en"]')" "$IMG"
same "$LABEL: SQL quotes" "$(pj 'd["survey"]["topics"][2]["title"]["en"]')" "$SQLQ"
same "$LABEL: 10,000 characters" "$(pj 'd["survey"]["topics"][0]["text"]["en"] == "x\u202e" * 5000')" true
check "$LABEL: the quote is escaped in the JSON text" grep -qF '"\"><img src=x onerror=alert(1)>"' "$T/b"
same "$LABEL: rounds" "$(pj 'd["rounds"]')" '[]'
same "the experts table survived" "$(sql "SELECT count(*) FROM experts")" 0

# ---- Experts -----------------------------------------------------------------------------------
LONG=$("$PY" -c 'print("n" * 10000)')
"$PY" - "$T" "$SCRIPT" "$IMG" "$SQLQ" "$RTL" <<'PY'
import json, sys
t, script, img, sqlq, rtl = sys.argv[1:6]
rows = ["id,name,email,sector,fields",
        "X1,Ann Xu,ann@example.org,academia,AI",
        '"X2","%s",ben@example.org,industry,AI;EN' % img.replace('"', '""'),
        "X3,%s,cy@refused.example,government,EN" % script,
        '"X4","%s",,industry,AI' % sqlq,
        "X5,%s,ed@example.org,other,EN" % rtl,
        "Z8,Zed Eight,,other,EN",
        "Z9,Zed Nine,z9@example.org,other,EN"]
json.dump({"csv": "\n".join(rows) + "\n"}, open(t + "/experts.json", "w"), ensure_ascii=False)
bad = ["id,name,email,sector,fields", "B1,Bad One,not-an-address,academia,AI",
       "B2,Bad Two,,sector-x,AI", "B3,Bad Three,,academia,XX", "X1,Ann Again,,academia,AI",
       "B4," + "n" * 16385 + ",,academia,AI", "X1,Ann Twice,,academia,AI"]
json.dump({"csv": "\n".join(bad) + "\n"}, open(t + "/experts-bad.json", "w"))
json.dump({"csv": "id,name\nX1,Ann\n"}, open(t + "/experts-cols.json", "w"))
PY
LABEL="preview with problems"
as carol POST "$S/experts/preview" -H "$J" --data-binary @"$T/experts-bad.json"
same "$LABEL: status" "$CODE" 200
same "$LABEL: errors by row" "$(pj '[e["row"] for e in d["errors"]]')" '[2,3,4,6,7]'
same "$LABEL: error count" "$(pj 'd["error_count"]')" 5
same "$LABEL: the good row" "$(pj '[(r["row"], r["id"], r["status"]) for r in d["rows"]]')" \
	'[[5,"X1","new"],[7,"X1","new"]]'
check "$LABEL: the 16,385-character name is refused" sh -c "grep -q 'name is longer than 16384 characters' '$T/b'"
LABEL="import with problems"
as carol POST "$S/experts" -H "$J" --data-binary @"$T/experts-bad.json"
error 422 invalid_csv
same "$LABEL: errors" "$(pj 'len(d["errors"])')" 5
same "$LABEL: nothing imported" "$(sql "SELECT count(*) FROM experts")" 0
LABEL="import, columns missing"
as carol POST "$S/experts" -H "$J" --data-binary @"$T/experts-cols.json"
error 422 invalid_csv
same "$LABEL: row 0" "$(pj '[e["row"] for e in d["errors"]]')" '[0,0,0]'
LABEL="preview"
as carol POST "$S/experts/preview" -H "$J" --data-binary @"$T/experts.json"
same "$LABEL: status" "$CODE" 200
same "$LABEL: rows" "$(pj '[(r["id"], r["status"]) for r in d["rows"]]')" \
	'[["X1","new"],["X2","new"],["X3","new"],["X4","new"],["X5","new"],["Z8","new"],["Z9","new"]]'
same "$LABEL: no errors" "$(pj 'd["error_count"]')" 0
same "$LABEL: nothing written" "$(sql "SELECT count(*) FROM experts")" 0
LABEL="import"
as carol POST "$S/experts" -H "$J" --data-binary @"$T/experts.json"
same "$LABEL: status" "$CODE" 200
same "$LABEL: counts" "$(pj '[d["imported"], d["updated"], len(d["links"])]')" '[7,0,7]'
pj '"\n".join("%s,%s" % (l["id"], l["token"]) for l in d["links"])' >"$T/links"
tok() { sed -n "s/^$1,//p" "$T/links"; }
same "$LABEL: link" "$(pj 'd["links"][0]["link"]')" "https://survey.test/e/$(tok X1)"
same "$LABEL: only hashes stored" "$(sql "SELECT lower(hex(token_hash)) FROM experts WHERE ext_id = 'X1'")" \
	"$(printf %s "$(tok X1)" | sha256sum | cut -d' ' -f1)"
same "$LABEL: hostile names stored as given" \
	"$(sql "SELECT name FROM experts WHERE ext_id IN ('X2','X3','X4','X5') ORDER BY ext_id")" \
	"$(printf '%s\n%s\n%s\n%s' "$IMG" "$SCRIPT" "$SQLQ" "$RTL")"
LABEL="import again (updates)"
as carol POST "$S/experts" -H "$J" --data-binary @"$T/experts.json"
same "$LABEL: counts" "$(pj '[d["imported"], d["updated"], d["links"]]')" '[0,7,[]]'
LABEL="experts"
as carol GET "$S/experts"
same "$LABEL: status" "$CODE" 200
same "$LABEL: X2" "$(pj '[(e["id"], e["name"], e["fields"], e["revoked"], e["rounds"]) for e in d["experts"] if e["id"] == "X2"][0]')" \
	"[\"X2\",$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$IMG"),[\"AI\",\"EN\"],false,[]]"
same "$LABEL: no tokens" "$(grep -c "$(tok X1)" "$T/b")" 0

LABEL="invitations without a relay"
as carol POST "$S/invitations" -H "$J" --data-binary '{"kind":"invitation"}'
error 501 not_configured

# ---- Round 1 -----------------------------------------------------------------------------------
LABEL="progress before round 1"
as carol GET "$S/progress"
same "$LABEL: status" "$CODE" 200
same "$LABEL: body" "$(cat "$T/b")" \
	'{"round":null,"overall":{"invited":0,"respondents":0,"rate":null,"answers":0},"fields":[],"sectors":[],"topics":[]}'
LABEL="open, bad close_at"
as carol POST "$S/rounds/open" -H "$J" --data-binary '{"close_at":"2025-02-30T00:00:00Z"}'
error 422 invalid_request close_at
LABEL="open"
as carol POST "$S/rounds/open" -H "$J" --data-binary '{"close_at":"2030-06-30T00:00:00Z"}'
same "$LABEL: status" "$CODE" 200
same "$LABEL: round" "$(pj '[d["round"]["number"], d["round"]["state"], d["round"]["close_at"], d["round"]["closed_at"], d["invited"]]')" \
	'[1,"open","2030-06-30T00:00:00Z",null,7]'
LABEL="open again"
as carol POST "$S/rounds/open"
error 409 round_open
LABEL="reopen while open"
as carol POST "$S/rounds/reopen" -H "$J" --data-binary '{"reason":"why not"}'
error 409 round_open

# Experts answer: X1 with a cookie session, the others with Bearer tokens.
call GET "/e/$(tok X1)"
same "X1 follows the link" "$CODE" 303
sed -n 's/^Set-Cookie: delphi_session=\([0-9a-f]*\);.*/\1/p' "$T/h" >"$T/ck.x1"
call GET /api/v1/me -H "Cookie: delphi_session=$(cat "$T/ck.x1")"
pj 'd["csrf_token"]' >"$T/csrf.x1"
put() { # put WHO TOPIC BODY-FILE-OR-TEXT
	call PUT "/api/v1/answers/$2" -H "Authorization: Bearer $(tok "$1")" -H "$J" --data-binary "$3"
	same "put $1 $2: status" "$CODE" 200
}
"$PY" - "$T" "$SCRIPT" "$IMG" "$SQLQ" "$RTL" <<'PY'
import json, sys
t, script, img, sqlq, rtl = sys.argv[1:6]
a = lambda c: json.dump(c, open(t + "/c.%s.json" % c["_"], "w"), ensure_ascii=False)
for name, body in [
    ("x1", {"expertise": 3, "importance": 4, "tech_year": 2030, "comment": script + " " + img}),
    ("x2", {"expertise": 2, "importance": 3, "tech_year": 2032, "comment": sqlq + " " + rtl}),
    ("x3", {"expertise": 1, "importance": 4, "tech_year": "never", "comment": "y" * 10000}),
]:
    json.dump(body, open(t + "/c.%s.json" % name, "w"), ensure_ascii=False)
PY
as x1 PUT /api/v1/answers/AI-01 -H "$J" --data-binary @"$T/c.x1.json"
same "X1 answers with the cookie" "$CODE" 200
put X2 AI-01 @"$T/c.x2.json"
put X3 AI-01 @"$T/c.x3.json"
put X2 EN-01 '{"importance":2}'
same "comments stored as given" "$(sql "SELECT a.text FROM answers a JOIN questions q ON q.id = a.question_id
	JOIN experts e ON e.id = a.expert_id WHERE q.key = 'comment' AND e.ext_id IN ('X1', 'X2') ORDER BY e.ext_id")" \
	"$(printf '%s\n%s' "$SCRIPT $IMG" "$SQLQ $RTL")"
same "the 10,000-character comment" "$(sql "SELECT length(a.text) FROM answers a JOIN questions q ON q.id = a.question_id
	JOIN experts e ON e.id = a.expert_id WHERE q.key = 'comment' AND e.ext_id = 'X3'")" 10000

# An expert's session reads only the expert's own answers.
LABEL="X1's me"
call GET /api/v1/me -H "Cookie: delphi_session=$(cat "$T/ck.x1")"
same "$LABEL: own answers only" "$(pj 'sorted(d["answers"].keys())')" '["AI-01"]'
same "$LABEL: own comment" "$(pj 'd["answers"]["AI-01"]["comment"]')" "$SCRIPT $IMG"
check "$LABEL: no other expert's comment" sh -c "! grep -qF \"\$1\" '$T/b' && ! grep -q yyyyyyyy '$T/b'" - "$SQLQ $RTL"
for p in "$S/rounds/1/answers.csv" "$S/rounds/1/comments" "$S/experts" /api/v1/surveys; do
	LABEL="X1's session on $p"
	call GET "$p" -H "Cookie: delphi_session=$(cat "$T/ck.x1")"
	error 403 forbidden
	LABEL="X1's token on $p"
	call GET "$p" -H "Authorization: Bearer $(tok X1)"
	error 403 forbidden
done

LABEL="progress"
as carol GET "$S/progress"
same "$LABEL: status" "$CODE" 200
same "$LABEL: overall" "$(pj 'd["overall"]')" '{"invited":7,"respondents":3,"rate":0.42857142857142855,"answers":13}'
# X1, X2, X4 are in AI (3 invited); X1, X2, X3 answered AI-01; X2 also EN-01 (EN: X2, X3, X5, Z8, Z9).
same "$LABEL: fields" "$(pj '[(f["code"], f["invited"], f["respondents"]) for f in d["fields"]]')" \
	'[["AI",3,3],["EN",5,1]]'
same "$LABEL: sectors" "$(pj '[(s["sector"], s["invited"], s["respondents"]) for s in d["sectors"]]')" \
	'[["academia",1,1],["government",1,1],["industry",2,1],["other",3,0]]'
same "$LABEL: topics" "$(pj '[(t["code"], t["respondents"], t["answers"]) for t in d["topics"]]')" \
	'[["AI-01",3,12],["EN-01",1,1]]'

LABEL="close"
as carol POST "$S/rounds/close"
same "$LABEL: status" "$CODE" 200
same "$LABEL: round" "$(pj '[d["round"]["number"], d["round"]["state"], d["round"]["closed_at"] is not None]')" '[1,"closed",true]'
# The aggregator read 10 ordinal and year answers (text answers are not read); groups: all,
# expert (the survey has an expertise question), and the respondents' three sectors.
same "$LABEL: summary" "$(pj '[d["summary"][k] for k in ("answers", "prev_answers", "topics", "groups")]')" \
	'[10,0,3,["all","expert","academia","industry","government"]]'
same "$LABEL: rows as stored" "$(pj 'd["summary"]["rows"]')" "$(sql "SELECT count(*) FROM stats")"
LABEL="close again"
as carol POST "$S/rounds/close"
error 409 no_open_round

# ---- Comments ----------------------------------------------------------------------------------
LABEL="comments"
as carol GET "$S/rounds/1/comments"
same "$LABEL: status" "$CODE" 200
same "$LABEL: three, pending" "$(pj '[(c["topic"], c["question"], c["status"]) for c in d["comments"]]')" \
	'[["AI-01","comment","pending"],["AI-01","comment","pending"],["AI-01","comment","pending"]]'
P1=$(sql "SELECT pseudonym FROM experts WHERE ext_id = 'X1'")
P2=$(sql "SELECT pseudonym FROM experts WHERE ext_id = 'X2'")
P3=$(sql "SELECT pseudonym FROM experts WHERE ext_id = 'X3'")
CID1=$(pj "[c['id'] for c in d['comments'] if c['pseudonym'] == '$P1'][0]")
CID2=$(pj "[c['id'] for c in d['comments'] if c['pseudonym'] == '$P2'][0]")
CID3=$(pj "[c['id'] for c in d['comments'] if c['pseudonym'] == '$P3'][0]")
same "$LABEL: X1's text as given" "$(pj "[c['text'] for c in d['comments'] if c['id'] == '$CID1'][0]")" "$SCRIPT $IMG"
LABEL="approve"
as carol POST "$S/rounds/1/comments/$CID1/approve"
same "$LABEL: status" "$CODE" 200
same "$LABEL: comment" "$(pj '[d["comment"]["id"], d["comment"]["status"], d["comment"]["decided_by"]]')" \
	"[\"$CID1\",\"approved\",\"user:carol\"]"
as carol POST "$S/rounds/1/comments/$CID3/approve"
same "approve X3: status" "$CODE" 200
LABEL="hide"
as carol POST "$S/rounds/1/comments/$CID2/hide"
same "$LABEL: status" "$CODE" 200
same "$LABEL: hidden" "$(pj 'd["comment"]["status"]')" hidden
LABEL="unknown comment"
as carol POST "$S/rounds/1/comments/1.2.999999/approve"
error 404 unknown_comment
LABEL="malformed comment id"
as carol POST "$S/rounds/1/comments/x.y.z/approve"
error 404 unknown_comment
LABEL="round not opened"
as carol GET "$S/rounds/2/comments"
error 404 unknown_round
LABEL="comments, approved"
as carol GET "$S/rounds/1/comments?status=approved"
same "$LABEL: two" "$(pj 'sorted(c["id"] for c in d["comments"])')" \
	"$("$PY" -c 'import json,sys; print(json.dumps(sorted(sys.argv[1:]), separators=(",", ":")))' "$CID1" "$CID3")"
LABEL="comments, bad status"
as carol GET "$S/rounds/1/comments?status=maybe"
error 422 invalid_request status

# ---- Results -----------------------------------------------------------------------------------
LABEL="topics"
as pat GET "$S/rounds/1/topics"
same "$LABEL: status" "$CODE" 200
same "$LABEL: aggregated" "$(pj '[d["round"], d["state"], d["aggregated"]]')" '[1,"closed",true]'
# AI-01: importance 4, 3, 4 -> median 4, index (100 + 66.67 + 100) / 3 = 88.89; tech_year 2030,
# 2032 (X3: never) -> median 2031.
same "$LABEL: AI-01" "$(pj '[d["topics"][0]["code"], d["topics"][0]["respondents"], d["topics"][0]["questions"]["importance"]["n"], d["topics"][0]["questions"]["importance"]["median"], round(d["topics"][0]["questions"]["importance"]["index"], 2), d["topics"][0]["questions"]["tech_year"]["median"]]')" \
	'["AI-01",3,3,4.0,88.89,2031.0]'
same "$LABEL: hostile title" "$(pj 'd["topics"][0]["title"]["en"]')" "$SCRIPT"
same "$LABEL: no expertise column" "$(pj 'sorted(d["topics"][0]["questions"].keys())')" '["importance","tech_year"]'
LABEL="topic"
as pat GET "$S/rounds/1/topics/AI-01"
same "$LABEL: status" "$CODE" 200
same "$LABEL: groups" "$(pj 'sorted(d["groups"].keys())')" '["academia","all","expert","government","industry"]'
same "$LABEL: importance, all" "$(pj '[d["groups"]["all"]["importance"][k] for k in ("kind", "n", "q1", "median", "q3")]')" \
	'["ordinal",3,3.5,4.0,4.0]'
same "$LABEL: previous round" "$(pj 'd["previous"]')" null
same "$LABEL: charts are SVG" "$(pj '[sorted(d["charts"]), all(v.startswith("<svg") for v in d["charts"].values())]')" \
	'[["expertise","importance","tech_year"],true]'
LABEL="topic, unknown"
as pat GET "$S/rounds/1/topics/XX-99"
error 404 unknown_topic
for f in report.csv:text/csv report.json:application/json report.html:text/html answers.csv:text/csv; do
	LABEL="download ${f%%:*}"
	as pat GET "$S/rounds/1/${f%%:*}"
	same "$LABEL: status" "$CODE" 200
	check "$LABEL: Content-Type" grep -qx "Content-Type: ${f#*:}; charset=utf-8" "$T/h"
	check "$LABEL: Content-Disposition" grep -qx \
		"Content-Disposition: attachment; filename=\"$SL-round-1-${f%%:*}\"" "$T/h"
	cp "$T/b" "$T/dl.${f%%:*}"
done
cp "$T/dl.report.json" "$T/b"
same "report.json is a JSON object" "$(pj 'type(d).__name__')" dict
check "report.html escapes the hostile title" sh -c "! grep -qF '$SCRIPT' '$T/dl.report.html' && grep -qF '&lt;script&gt;' '$T/dl.report.html'"
check "report.csv has the header" sh -c "head -1 '$T/dl.report.csv' | grep -q '^round,topic,field,question,group,n,'"
same "answers.csv: header" "$(head -1 "$T/dl.answers.csv")" "round,pseudonym,sector,topic,field,expertise,question,value"
check "answers.csv: pseudonyms, no names" sh -c "grep -q '$P1' '$T/dl.answers.csv' && ! grep -q 'Ann Xu' '$T/dl.answers.csv'"
LABEL="report, unknown language"
as pat GET "$S/rounds/1/report.csv?lang=fr"
error 422 invalid_request lang

# ---- CSRF --------------------------------------------------------------------------------------
LABEL="POST without X-CSRF-Token"
call POST "$S/rounds/reopen" -H "Cookie: delphi_session=$(cat "$T/ck.carol")" -H "$J" \
	--data-binary '{"reason":"no token"}'
error 403 csrf
LABEL="POST with a wrong X-CSRF-Token"
call POST "$S/rounds/reopen" -H "Cookie: delphi_session=$(cat "$T/ck.carol")" -H "$J" \
	-H "X-CSRF-Token: $(cat "$T/csrf.ada")" --data-binary '{"reason":"wrong token"}'
error 403 csrf
same "nothing was reopened" "$(sql "SELECT state FROM rounds")" closed
LABEL="GET without X-CSRF-Token"
call GET "$S" -H "Cookie: delphi_session=$(cat "$T/ck.carol")"
same "$LABEL: status" "$CODE" 200

# ---- Login throttling --------------------------------------------------------------------------
for i in 1 2 3 4 5; do
	LABEL="failure $i of nosuch"
	call POST /api/v1/login -H "$J" --data-binary '{"name":"nosuch","password":"guess number one"}'
	error 401 invalid_credentials
done
# The fifth failure makes the next attempt wait 1 s, the sixth 2 s: one of the next two attempts,
# sent at once, meets the wait (whichever side of a second boundary the first one falls).
LABEL="more attempts at once"
for i in 6 7; do
	call POST /api/v1/login -H "$J" --data-binary '{"name":"nosuch","password":"guess number one"}'
	[ "$CODE" = 429 ] && break
done
error 429 too_many_attempts
check "$LABEL: Retry-After" grep -qx 'Retry-After: [12]' "$T/h"

# ---- Disabling a user ends their sessions ------------------------------------------------------
LABEL="disable pat"
as ada POST /api/v1/users/pat/disable
same "$LABEL: status" "$CODE" 200
same "$LABEL: body" "$(pj '[d["user"]["name"], d["user"]["disabled"], d["sessions_ended"]]')" '["pat",true,1]'
LABEL="pat's session after disable"
as pat GET /api/v1/surveys
error 401 unauthenticated
LABEL="pat's login while disabled"
call POST /api/v1/login -H "$J" --data-binary '{"name":"pat","password":"pat has a long password"}'
error 401 invalid_credentials
LABEL="admin disables themselves"
as ada POST /api/v1/users/ada/disable
error 409 self
LABEL="enable pat"
as ada POST /api/v1/users/pat/enable
same "$LABEL: status" "$CODE" 200
login pat "pat has a long password"
LABEL="unknown user"
as ada POST /api/v1/users/nobody/enable
error 404 unknown_user
LABEL="add user, short password"
as ada POST /api/v1/users -H "$J" --data-binary '{"name":"ivy","role":"planner","password":"short"}'
error 422 invalid_request password
LABEL="add user, bad role"
as ada POST /api/v1/users -H "$J" --data-binary '{"name":"ivy","role":"king","password":"ivy has a long password"}'
error 422 invalid_request role
LABEL="users"
as ada GET /api/v1/users
same "$LABEL: names" "$(pj '[(u["name"], u["role"], u["disabled"]) for u in d["users"]]')" \
	'[["ada","admin",false],["carol","coordinator",false],["pat","planner",false],["zed","planner",false]]'

stop

# ---- With a mail relay: invitations --------------------------------------------------------------
start_relay relay --refuse cy@refused.example
check "the relay started" [ -s "$T/relay.port" ]
start DELPHI_SMTP_HOST=localhost DELPHI_SMTP_PORT="$(cat "$T/relay.port")" DELPHI_SMTP_TLS=none \
	DELPHI_SMTP_FROM='Delphi <delphi@survey.test>'
LABEL="sessions survive a restart"
as carol GET /api/v1/session
same "$LABEL: status" "$CODE" 200
LABEL="reminder, no open round"
as carol POST "$S/invitations" -H "$J" --data-binary '{"kind":"reminder"}'
error 409 no_open_round
LABEL="invitation, unknown id"
as carol POST "$S/invitations" -H "$J" --data-binary '{"kind":"invitation","only":["X1","NOPE"]}'
error 422 invalid_request only
old=$(sql "SELECT lower(hex(token_hash)) FROM experts WHERE ext_id = 'X1'")
LABEL="invitation"
as carol POST "$S/invitations" -H "$J" --data-binary '{"kind":"invitation","only":["X1","X3","X4"]}'
same "$LABEL: status" "$CODE" 200
same "$LABEL: counts" "$(pj '[d["kind"], d["round"], d["sent"], d["refused"], d["failed"]]')" '["invitation",0,1,1,0]'
same "$LABEL: results" "$(pj '[(r["id"], r["status"]) for r in d["results"]]')" '[["X1","sent"],["X3","refused"]]'
same "$LABEL: skipped" "$(pj 'd["skipped"]')" '[{"id":"X4","reason":"has no e-mail address"}]'
same "$LABEL: one mail" "$(ls "$T/relay" | grep -c '\.eml$')" 1
new=$(sql "SELECT lower(hex(token_hash)) FROM experts WHERE ext_id = 'X1'")
check "$LABEL: X1 has a new token" [ "$old" != "$new" ]
LINKTOK=$("$PY" -c 'import email, sys, glob
m = email.message_from_binary_file(open(sorted(glob.glob(sys.argv[1] + "/*.eml"))[0], "rb"))
import re; print(re.search(r"https://survey\.test/e/([0-9a-f]{32})", m.get_payload(decode=True).decode()).group(1))' "$T/relay")
same "$LABEL: the mailed link is X1's token" "$(printf %s "$LINKTOK" | sha256sum | cut -d' ' -f1)" "$new"
same "$LABEL: audited" "$(sql "SELECT actor || ' ' || detail FROM audit_log WHERE action = 'experts.invite'")" \
	"user:carol survey=$SL round=0 sent=1 refused=1 failed=0"
LABEL="mail log"
as carol GET "$S/mail-log?limit=1"
same "$LABEL: status" "$CODE" 200
same "$LABEL: newest first" "$(pj '[(e["expert"], e["status"], e["kind"]) for e in d["entries"]]')" '[["X3","refused","invitation"]]'
NB=$(pj 'd["next_before"]')
as carol GET "$S/mail-log?limit=5&before=$NB"
same "$LABEL: next page" "$(pj '[[e["expert"] for e in d["entries"]], d["next_before"]]')" '[["X1"],null]'
LABEL="mail log, bad limit"
as carol GET "$S/mail-log?limit=0"
error 422 invalid_request limit
# X1's cookie session survives the mail (sessions are kept).
LABEL="X1's session after the mail"
call GET /api/v1/me -H "Cookie: delphi_session=$(cat "$T/ck.x1")"
same "$LABEL: status" "$CODE" 200
pj 'd["csrf_token"]' >"$T/csrf.x1"

# ---- The authorization matrix ------------------------------------------------------------------
# Every console route x {no session, an expert's session, planner, coordinator, admin}: the status
# docs/api.md documents (401 unauthenticated, 403 forbidden, or the route's success). It runs
# with round 1 closed: open, close and reopen then take round 2 through its states, and schedule
# removes the (absent) scheduled close of the reopened round.
printf '%s\n' '{"reason":"matrix"}' >"$T/m.reason.json"
printf '%s\n' '{"close_at":null}' >"$T/m.schedule.json"
printf '%s\n' '{"kind":"invitation","only":[]}' >"$T/m.mail.json"
printf '%s\n' '{"csv":"id,name,email,sector,fields\nZ9,Zed Nine,z9@example.org,other,EN\n"}' >"$T/m.csv.json"
printf '%s\n' '{"name":"matrix","role":"planner","password":"matrix has a long password"}' >"$T/m.user.json"
printf '%s\n' '{"password":"zed has another long password"}' >"$T/m.pw.json"
R1=$S/rounds/1
cat >"$T/matrix" <<EOF
GET  /api/v1/session                 -                  401 403 200 200 200
GET  /api/v1/surveys                 -                  401 403 200 200 403
POST /api/v1/surveys                 survey.json        401 403 403 200 403
GET  $S                              -                  401 403 200 200 403
GET  $S/experts                      -                  401 403 403 200 403
POST $S/experts/preview              m.csv.json         401 403 403 200 403
POST $S/experts                      m.csv.json         401 403 403 200 403
POST $S/experts/Z9/reissue           -                  401 403 403 200 403
POST $S/experts/Z8/revoke            -                  401 403 403 204 403
POST $S/invitations                  m.mail.json        401 403 403 200 403
GET  $S/mail-log                     -                  401 403 403 200 403
POST $S/rounds/open                  -                  401 403 403 200 403
POST $S/rounds/close                 -                  401 403 403 200 403
POST $S/rounds/reopen                m.reason.json      401 403 403 200 403
POST $S/rounds/schedule              m.schedule.json    401 403 403 200 403
GET  $S/progress                     -                  401 403 403 200 403
GET  $R1/comments                    -                  401 403 403 200 403
POST $R1/comments/$CID1/approve      -                  401 403 403 200 403
POST $R1/comments/$CID2/hide         -                  401 403 403 200 403
GET  $R1/topics                      -                  401 403 200 200 403
GET  $R1/topics/AI-01                -                  401 403 200 200 403
GET  $R1/report.csv                  -                  401 403 200 200 403
GET  $R1/report.json                 -                  401 403 200 200 403
GET  $R1/report.html                 -                  401 403 200 200 403
GET  $R1/answers.csv                 -                  401 403 200 200 403
GET  /api/v1/users                   -                  401 403 403 403 200
POST /api/v1/users                   m.user.json        401 403 403 403 201
POST /api/v1/users/zed/disable       -                  401 403 403 403 200
POST /api/v1/users/zed/enable        -                  401 403 403 403 200
POST /api/v1/users/zed/password      m.pw.json          401 403 403 403 200
GET  /api/v1/audit                   -                  401 403 403 200 200
EOF
same "the matrix covers every console route" "$(wc -l <"$T/matrix")" 31
while read -r m p body none expert planner coordinator admin; do
	for who in none x1 pat carol ada; do
		case $who in
		none) want=$none ;;
		x1) want=$expert ;;
		pat) want=$planner ;;
		carol) want=$coordinator ;;
		ada) want=$admin ;;
		esac
		set -- -H "$J"
		[ "$body" != - ] && set -- "$@" --data-binary @"$T/$body"
		if [ "$who" = none ]; then
			call "$m" "$p" "$@"
		else
			as "$who" "$m" "$p" "$@"
		fi
		same "matrix: $m $p as $who" "$CODE" "$want"
		case $want in
		401) same "matrix: $m $p as $who: code" "$(pj 'd["error"]["code"]')" unauthenticated ;;
		403) same "matrix: $m $p as $who: code" "$(pj 'd["error"]["code"]')" forbidden ;;
		esac
	done
done <"$T/matrix"
same "matrix: round 2 went through its states" \
	"$(sql "SELECT action FROM audit_log WHERE action LIKE 'round.%' ORDER BY id" | tr '\n' ' ')" \
	"round.open round.close round.open round.close round.reopen round.schedule "
same "matrix: zed's sessions ended with the new password" \
	"$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'zed'")" 0

# ---- Round 2: the approved comments reach the experts -------------------------------------------
LABEL="feedback in round 2"
call GET /api/v1/feedback/AI-01 -H "Authorization: Bearer $(tok X2)"
same "$LABEL: status" "$CODE" 200
same "$LABEL: approved comments, in the order of approval" \
	"$(pj '[c if len(c) < 100 else len(c) for c in d["comments"]]')" \
	"$("$PY" -c 'import json,sys; print(json.dumps([sys.argv[1], 10000], ensure_ascii=False, separators=(",", ":")))' "$SCRIPT $IMG")"
check "$LABEL: no hidden comment, no names" sh -c "! grep -qF 'DROP TABLE' '$T/b' && ! grep -qF '$P1' '$T/b'"
LABEL="feedback, another topic"
call GET /api/v1/feedback/EN-01 -H "Authorization: Bearer $(tok X2)"
same "$LABEL: no comments" "$(pj 'd["comments"]')" '[]'
# Approving an approved comment again (the matrix did) keeps its place in the order.
same "moderation rows" "$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM comment_moderation ORDER BY seq)")" \
	"approved,approved,hidden"

# ---- Audit log -----------------------------------------------------------------------------------
LABEL="audit"
as ada GET "/api/v1/audit?limit=3"
same "$LABEL: status" "$CODE" 200
same "$LABEL: newest first" "$(pj '[e["id"] for e in d["entries"]] == sorted([e["id"] for e in d["entries"]], reverse=True)')" true
same "$LABEL: page" "$(pj 'len(d["entries"])')" 3
NB=$(pj 'd["next_before"]')
as ada GET "/api/v1/audit?limit=500&before=$NB"
same "$LABEL: the rest" "$(pj 'len(d["entries"]) + 3')" "$(sql "SELECT count(*) FROM audit_log")"
same "$LABEL: last page" "$(pj 'd["next_before"]')" null
check "$LABEL: console actions by user" sh -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM audit_log WHERE actor = 'user:carol' AND action IN ('experts.import','round.open','round.close','comment.approve','comment.hide','experts.reissue','experts.revoke')\")\" -ge 7 ]"
LABEL="audit, bad before"
as ada GET "/api/v1/audit?before=x"
error 422 invalid_request before

# ---- Logout ------------------------------------------------------------------------------------
LABEL="logout without a session"
call POST /api/v1/logout
error 401 unauthenticated
LABEL="logout"
as carol POST /api/v1/logout
same "$LABEL: status" "$CODE" 204
check "$LABEL: clears the cookie" grep -q '^Set-Cookie: delphi_session=; Path=/; Max-Age=0' "$T/h"
LABEL="carol's session after logout"
as carol GET /api/v1/session
error 401 unauthenticated
LABEL="expert logout"
as x1 POST /api/v1/logout
same "$LABEL: status" "$CODE" 204
LABEL="X1's session after logout"
call GET /api/v1/me -H "Cookie: delphi_session=$(cat "$T/ck.x1")"
error 401 unauthenticated

# ---- 401 and 403 say what to do, in the words of the route's audience --------------------------
# Console routes tell a user to log in; expert routes keep the invitation link.
msg() { same "$LABEL: message" "$(pj 'd["error"]["message"]')" "$1"; }
LABEL="console route without a session"
call GET /api/v1/surveys
error 401 unauthenticated
msg "not signed in: log in to the console"
LABEL="console route, a session ended by logout"
call GET /api/v1/surveys -H "Cookie: delphi_session=$(cat "$T/ck.carol")"
error 401 unauthenticated
msg "not signed in: log in to the console"
LABEL="console route, a malformed Authorization header"
call GET /api/v1/surveys -H "Authorization: Bearer nope"
error 401 unauthenticated
msg "the console takes the session of a login (POST /api/v1/login), not an Authorization header"
LABEL="console route, an invitation token"
call GET /api/v1/surveys -H "Authorization: Bearer $(tok X2)"
error 403 forbidden
msg "this is for console users: log in to the console"
LABEL="expert route without a session"
call GET /api/v1/me
error 401 unauthenticated
msg "not signed in: open your personal invitation link"
LABEL="expert route, a malformed Authorization header"
call GET /api/v1/me -H "Authorization: Bearer nope"
error 401 unauthenticated
msg "expected Authorization: Bearer and an invitation token (32 lower-case hex digits)"
login pat "pat has a long password"
LABEL="expert route, a console session"
as pat GET /api/v1/me
error 403 forbidden
msg "this is for invited experts only"
LABEL="a planner on a coordinator's route"
as pat GET "$S/experts"
error 403 forbidden
msg "your role does not allow this"

# ---- Console reads on the reads pool -------------------------------------------------------------
# The progress, the topic pages and the downloads are built on one worker (api_console.h), with at
# most 8 waiting behind it. burst WHO PATH...: one GET per PATH, all sent at once on connections
# opened (TLS included) beforehand; prints "STATUS RETRY-AFTER" per request, bodies in $T/burst.N.
burst() {
	"$PY" - "$PORT" "$(cat "$T/ck.$1")" "$T/burst" "$@" <<'PY'
import http.client, ssl, sys, threading
port, cookie, out, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[5:]
ctx = ssl._create_unverified_context()
conns = [http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=600) for _ in paths]
for c in conns:
    c.connect()
start, res = threading.Barrier(len(paths)), [None] * len(paths)
def get(i):
    start.wait()
    conns[i].request("GET", paths[i], headers={"Cookie": "delphi_session=" + cookie})
    r = conns[i].getresponse()
    res[i] = (r.status, r.getheader("Retry-After") or "-", r.read())
threads = [threading.Thread(target=get, args=(i,)) for i in range(len(paths))]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i, (status, retry, body) in enumerate(res):
    open("%s.%d" % (out, i), "wb").write(body)
    print(status, retry)
PY
}
login pat "pat has a long password"
login carol "carol has a long password"
LABEL="downloads in parallel"
for f in report.csv answers.csv; do
	as pat GET "$S/rounds/1/$f"
	same "$LABEL: $f alone: status" "$CODE" 200
	cp "$T/b" "$T/seq.$f"
done
burst pat "$S/rounds/1/report.csv" "$S/rounds/1/report.csv" "$S/rounds/1/answers.csv" \
	"$S/rounds/1/answers.csv" >"$T/burst.out"
same "$LABEL: statuses" "$(cut -d' ' -f1 "$T/burst.out" | tr '\n' ' ')" "200 200 200 200 "
check "$LABEL: report.csv, first, as alone" cmp -s "$T/burst.0" "$T/seq.report.csv"
check "$LABEL: report.csv, second, as alone" cmp -s "$T/burst.1" "$T/seq.report.csv"
check "$LABEL: answers.csv, first, as alone" cmp -s "$T/burst.2" "$T/seq.answers.csv"
check "$LABEL: answers.csv, second, as alone" cmp -s "$T/burst.3" "$T/seq.answers.csv"

# A survey of 4,000 experts x 50 topics x 2 questions, answered by everyone (the answers written
# straight into the store): its progress takes the worker tens of milliseconds, so 24 requests at
# once fill the queue and some are refused with 503 and Retry-After.
"$PY" - "$T" <<'PY'
import json, sys
t = sys.argv[1]
labels = [{"value": v, "text": {"en": "level %d" % v}} for v in (4, 3, 2, 1)]
json.dump({"slug": "load-test", "title": {"en": "Load"}, "year": 2025, "horizon": 2040,
           "languages": ["en"], "fields": [{"code": "LD", "title": {"en": "Load"}}],
           "topics": [{"code": "L-%02d" % i, "field": "LD", "title": {"en": "Topic %d" % i}}
                      for i in range(1, 51)],
           "questions": [{"key": k, "kind": "ordinal", "text": {"en": k}, "labels": labels}
                         for k in ("importance", "competitiveness")],
           "rounds": {"count": 2, "invite": "respondents"}}, open(t + "/load.json", "w"))
with open(t + "/load.csv", "w") as f:
    f.write("id,name,email,sector,fields\n")
    for i in range(4000):
        f.write("L%d,Load %d,,%s,LD\n" % (i, i, ("academia", "industry", "government", "other")[i % 4]))
PY
cli survey load "$T/load.json"
cli experts import --survey load-test "$T/load.csv"
cli round open --survey load-test
sqlite3 -cmd ".timeout 10000" "$DB" "INSERT INTO answers (round_id, topic_id, question_id, expert_id,
	num, updated_at) SELECT r.id, t.id, q.id, e.id, 1 + (e.id + t.id) % 4, '2025-01-01T00:00:00Z'
	FROM rounds r JOIN topics t ON t.survey_id = r.survey_id JOIN questions q ON
	q.survey_id = r.survey_id JOIN experts e ON e.survey_id = r.survey_id
	WHERE r.survey_id = (SELECT id FROM surveys WHERE slug = 'load-test')
	ORDER BY t.id, q.id, e.id" || fail "cannot write the load test's answers"
LP=/api/v1/surveys/load-test/progress
LABEL="progress at scale"
as carol GET "$LP"
same "$LABEL: status" "$CODE" 200
same "$LABEL: overall" "$(pj 'd["overall"]')" '{"invited":4000,"respondents":4000,"rate":1.0,"answers":400000}'
same "$LABEL: sectors" "$(pj '[(s["sector"], s["invited"], s["respondents"]) for s in d["sectors"]]')" \
	'[["academia",1000,1000],["government",1000,1000],["industry",1000,1000],["other",1000,1000]]'
same "$LABEL: topics" "$(pj '[len(d["topics"]), sorted(set((t["respondents"], t["answers"]) for t in d["topics"]))]')" \
	'[50,[[4000,8000]]]'
cp "$T/b" "$T/seq.progress"
LABEL="a burst of progress requests"
set --
i=0
while [ $i -lt 24 ]; do
	set -- "$@" "$LP"
	i=$((i + 1))
done
burst carol "$@" >"$T/burst.out"
n200=$(grep -c '^200 ' "$T/burst.out")
n503=$(grep -c '^503 1$' "$T/burst.out")
same "$LABEL: every reply 200, or 503 with Retry-After: 1" "$((n200 + n503))" 24
check "$LABEL: some built (got $n200)" [ "$n200" -ge 1 ]
check "$LABEL: some refused, the queue being full (got $n503)" [ "$n503" -ge 1 ]
i=0
while [ $i -lt 24 ]; do
	case $(sed -n "$((i + 1))p" "$T/burst.out") in
	200*) check "$LABEL: reply $i as alone" cmp -s "$T/burst.$i" "$T/seq.progress" ;;
	503*)
		cp "$T/burst.$i" "$T/b"
		same "$LABEL: reply $i: error" "$(pj '[d["error"]["code"], d["error"]["message"]]')" \
			'["unavailable","the server is busy or shutting down: try again shortly"]'
		;;
	esac
	i=$((i + 1))
done
LABEL="progress after the burst"
as carol GET "$LP"
same "$LABEL: status" "$CODE" 200
check "$LABEL: as before" cmp -s "$T/b" "$T/seq.progress"

stop
check "no request answered 500" sh -c "! grep -q ' 500 [0-9]* [0-9]*us' '$T/err.all'"
if [ "$failures" -gt 0 ]; then
	echo "server log, warnings and errors:"
	grep ' warn: \| 5[0-9][0-9] [0-9]* [0-9]*us' "$T/err.all" | sed 's/^/  | /' | head -40
fi
finish
