#!/bin/sh
# The event threads' cache of token and round look-ups (server/api_cache.h) never serves what a
# change made it stale:
#   - through this server: a coordinator revokes an expert, closes or reopens a round; the very
#     next request sees it (the writer's generation moved on);
#   - through another process (the CLI on the same file): a revoke is seen within
#     API_CACHE_TTL_MS (1 s); a round the CLI opened is used at once (a save is only ever
#     refused on what the store says, never on the cache).
# Each case first warms the cache with requests that must succeed, so a stale entry would answer.
#
#   DELPHI=build/release/delphi sh tests/integration/cache.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
S=/api/v1/surveys/foresight-2050

cli init
cli survey load survey-defs/foresight-2050.json
cat >"$T/experts.csv" <<'CSV'
id,name,email,sector,fields
a,Expert A,a@example.org,academia,ICT
b,Expert B,b@example.org,industry,ICT
c,Expert C,c@example.org,government,ICT
CSV
"$DELPHI" --db "$DB" experts import --survey foresight-2050 "$T/experts.csv" >"$T/links.csv" 2>"$T/cli.err" ||
	fail "experts import: $(cat "$T/cli.err")"
tok() { sed -n "s|^$1,.*/e/\([0-9a-f]\{32\}\).*|\1|p" "$T/links.csv"; }
[ -n "$(tok a)" ] && [ -n "$(tok c)" ] || { echo "FAIL: no tokens in $T/links.csv"; cat "$T/links.csv"; exit 1; }
cli round open --survey foresight-2050
user_add carol coordinator
start
login carol "carol has a long password"

save() { # save WHO VALUE: PUT an answer with the Bearer token; status in CODE
	call PUT /api/v1/answers/ICT-01 -H "Authorization: Bearer $(tok "$1")" -H "$J" \
		--data-binary "{\"importance\":$2}"
}
warm() { # warm WHO: six saves that must succeed, each on a new connection, so that both
	# event threads (one cache each) are likely to have the expert cached
	for v in 1 2 3 1 2 3; do
		save "$1" "$v"
		same "$1 save $v before the change" "$CODE" 200
	done
}

# 1. A revoke through the console: the next request is refused.
warm a
as carol POST "$S/experts/a/revoke"
same "console revoke" "$CODE" 204
save a 4
same "a revoked through the console: the next save" "$CODE" 401
call GET /api/v1/me -H "Authorization: Bearer $(tok a)"
same "a revoked through the console: GET /me" "$CODE" 401
same "a's last acknowledged save is the one stored" \
	"$(sql "SELECT a.num FROM answers a JOIN experts e ON e.id = a.expert_id JOIN questions q ON q.id = a.question_id WHERE e.ext_id = 'a' AND q.key = 'importance'")" 3

# 2. A revoke by another process (the CLI): refused within a second.
warm b
cli experts revoke --survey foresight-2050 b
sleep 1.2
save b 4
same "b revoked through the CLI: a save 1.2 s later" "$CODE" 401

# 3. Round 1 closed and round 2 opened by the CLI: at once a save that only round 2 accepts (a
#    reason) is taken; a refusal is never made on what the cache says.
warm c
cli round close --survey foresight-2050
cli round open --survey foresight-2050
call PUT /api/v1/answers/ICT-01 -H "Authorization: Bearer $(tok c)" -H "$J" \
	--data-binary '{"importance":1,"reasons":{"importance":"round 2 only"}}'
same "c's round-2 save right after the CLI opened round 2" "$CODE" 200
same "  stored in round 2" "$(sql "SELECT r.number || ':' || a.reason FROM answers a JOIN rounds r ON r.id = a.round_id JOIN experts e ON e.id = a.expert_id WHERE e.ext_id = 'c' AND a.reason IS NOT NULL")" "2:round 2 only"
#    Saves that round 1 would take as well, each on a new connection: a thread whose cache still
#    says round 1 has its save refused by the writer, then decided again on the store: 200.
for v in 4 3 2 1 4 3; do
	save c "$v"
	same "c's save of $v right after the CLI opened round 2" "$CODE:$(pj 'd.get("round")')" "200:2"
done
same "  the last one stored in round 2" "$(sql "SELECT a.num FROM answers a JOIN rounds r ON r.id = a.round_id JOIN experts e ON e.id = a.expert_id JOIN questions q ON q.id = a.question_id WHERE e.ext_id = 'c' AND r.number = 2 AND q.key = 'importance'")" 3

# 4. A round closed through the console: GET /me says so at once, saves get 409.
warm c
call GET /api/v1/me -H "Authorization: Bearer $(tok c)"
same "me before the close: round state" "$(pj 'd["round"]["state"]')" open
as carol POST "$S/rounds/close"
same "console close" "$CODE" 200
call GET /api/v1/me -H "Authorization: Bearer $(tok c)"
same "me right after the close: round state" "$(pj 'd["round"]["state"]')" closed
save c 4
same "c's save after the close" "$CODE" 409

# 5. Round 2 reopened through the console: at once the expert can save again.
as carol POST "$S/rounds/reopen" -H "$J" --data-binary '{"reason":"cache test"}'
same "console reopen round 2" "$CODE" 200
call GET /api/v1/me -H "Authorization: Bearer $(tok c)"
same "me right after the reopen: round" "$(pj '[d["round"]["number"], d["round"]["state"]]')" '[2,"open"]'
save c 2
same "c's save after the reopen" "$CODE" 200

stop
finish
