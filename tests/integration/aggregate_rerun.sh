#!/bin/sh
# `delphi aggregate` on a round that already has statistics updates the stored rows in place
# (server/db_stats.c upserts them) and deletes only the rows of groups that vanished. This test
# guards that a re-run leaves exactly the rows a first aggregation would write:
#
#   A  round 1 of the sample survey with tests/data/aggregate/ (6 experts, government = E5, E6),
#      closed (statistics written); then late answers change values (some statistics become
#      undefined: NULL), E5 and E6 move to sector industry (the government group vanishes), and
#      `delphi aggregate` re-runs on the round.
#   B  a fresh database given the same final experts and answers before its round is closed:
#      a first aggregation.
#
# The stats rows of A and B, named by codes rather than row ids, must be identical, and A must
# have no government row left. The test also checks that the changes did change A's rows (a
# re-run that wrote nothing would otherwise look fine when nothing changed).
#
# Run from the repository root: sh tests/integration/aggregate_rerun.sh (DELPHI names the binary).
set -eu
DELPHI=${DELPHI:-$(pwd)/build/release/delphi}
DATA=tests/data/aggregate
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=foresight-2050
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# rows DB: every stats row with its round number, topic code and question key, every column, in
# a fixed order; NULL shown as NULL and reals at full precision (quote mode).
rows() {
  sqlite3 "$1" ".mode quote" "SELECT r.number, t.code, q.key, s.option, s.grp, s.n,
    s.dont_know, s.already, s.never, s.mean, s.sd, s.q1, s.median, s.q3, s.iqr, s.idx,
    s.agreement, s.share, s.consensus, s.n_paired, s.changed, s.mean_abs_change, s.wilcoxon_z,
    s.wilcoxon_p, s.distribution
    FROM stats s JOIN rounds r ON r.id = s.round_id JOIN topics t ON t.id = s.topic_id
    JOIN questions q ON q.id = s.question_id
    ORDER BY r.number, t.code, q.key, s.option, s.grp"
}

# count DB WHERE: the number of stats rows matching WHERE.
count() { sqlite3 "$1" "SELECT count(*) FROM stats WHERE $2"; }

# The experts after the correction: E5 and E6 are in industry, nobody is in government.
sed -e 's/^\(E[56],.*\),government,/\1,industry,/' "$DATA/experts.csv" > "$T/experts2.csv"
grep -q government "$T/experts2.csv" && fail "experts2.csv still has a government expert"
# Late answers: E1 on ICT-01 importance 4 -> don't know (academia: E2 alone, sd undefined) and
# expertise 3 -> 1 (leaves the expert group); E2 tech_year 2032 -> never; E4 measures
# nothing -> funding;elsi; E3 ICT-02 importance don't know -> 4 (n 0 -> 1).
cat > "$T/late.csv" <<'EOF'
expert,topic,question,value
E1,ICT-01,importance,dont_know
E1,ICT-01,expertise,1
E2,ICT-01,tech_year,never
E4,ICT-01,measures,funding;elsi
E3,ICT-02,importance,4
EOF

# ---- A: closed, then changed, then re-aggregated ------------------------------------------------
A="$T/a.db"
a() { "$DELPHI" --db "$A" "$@"; }
a init > /dev/null
a survey load survey-defs/foresight-2050.json > /dev/null
a experts import --survey $S "$DATA/experts.csv" > /dev/null 2>&1
a round open --survey $S > /dev/null
a answers import --survey $S --round 1 "$DATA/round1.csv" > /dev/null
a round close --survey $S > /dev/null
rows "$A" > "$T/a-first.txt"
[ "$(count "$A" "grp = 'government'")" -gt 0 ] || fail "A: no government rows after round close"
[ "$(count "$A" "sd IS NOT NULL AND grp = 'academia' AND topic_id =
  (SELECT id FROM topics WHERE code = 'ICT-01') AND question_id =
  (SELECT id FROM questions WHERE key = 'importance')")" -eq 1 ] ||
  fail "A: ICT-01 importance academia has no sd after round close (E1 and E2 both answered 4)"

a experts import --survey $S "$T/experts2.csv" > /dev/null 2>&1
a answers import --survey $S --round 1 --force "$T/late.csv" > /dev/null 2>&1
a aggregate --survey $S --round 1 > "$T/a-agg.out"
rows "$A" > "$T/a-rerun.txt"

# ---- B: a first aggregation of the same final state ------------------------------------------
B="$T/b.db"
b() { "$DELPHI" --db "$B" "$@"; }
b init > /dev/null
b survey load survey-defs/foresight-2050.json > /dev/null
b experts import --survey $S "$T/experts2.csv" > /dev/null 2>&1
b round open --survey $S > /dev/null
b answers import --survey $S --round 1 "$DATA/round1.csv" > /dev/null
b answers import --survey $S --round 1 "$T/late.csv" > /dev/null
b round close --survey $S > /dev/null
rows "$B" > "$T/b-first.txt"

# ---- the comparison -------------------------------------------------------------------------
[ -s "$T/b-first.txt" ] || fail "B has no stats rows"
if ! cmp -s "$T/a-rerun.txt" "$T/b-first.txt"; then
  fail "the re-run differs from a first aggregation of the same answers:"
  diff "$T/a-rerun.txt" "$T/b-first.txt" | head -20
fi
cmp -s "$T/a-first.txt" "$T/a-rerun.txt" && fail "the changes did not change A's statistics"
[ "$(count "$A" "grp = 'government'")" -eq 0 ] ||
  fail "A: $(count "$A" "grp = 'government'") rows of the vanished group government are left"
[ "$(count "$A" "sd IS NULL AND grp = 'academia' AND topic_id =
  (SELECT id FROM topics WHERE code = 'ICT-01') AND question_id =
  (SELECT id FROM questions WHERE key = 'importance')")" -eq 1 ] ||
  fail "A: ICT-01 importance academia sd was not reset to NULL (E2 alone answered)"
# 90 topics x 13 (5 questions + 8 measures options) x 4 groups (all, expert, academia,
# industry) = 4680 rows.
[ "$(count "$A" 1)" -eq 4680 ] || fail "A has $(count "$A" 1) stats rows, expected 4680"
grep -q "4680 statistics rows" "$T/a-agg.out" || fail "aggregate summary: $(cat "$T/a-agg.out")"

# ---- a second re-run on unchanged answers changes nothing -----------------------------------
a aggregate --survey $S --round 1 > /dev/null
rows "$A" > "$T/a-rerun2.txt"
cmp -s "$T/a-rerun.txt" "$T/a-rerun2.txt" || fail "a second re-run changed the rows"

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "aggregate_rerun: all checks passed"
