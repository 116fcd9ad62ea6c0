#!/bin/sh
# End-to-end test of the aggregation and the reports: two rounds of the sample survey
# (survey-defs/foresight-2050.json) driven through the CLI with the experts and answers of
# tests/data/aggregate/ (6 experts, 3 topics answered), then the CSV report's numbers checked
# against values worked out by hand below, the stored rows checked to be identical after
# re-running `delphi aggregate`, the HTML report rendered with headless Chromium (when installed),
# and hostile topic titles checked to come out escaped.
#
# Run from the repository root: sh tests/integration/aggregate.sh (DELPHI names the binary).
set -eu
DELPHI=${DELPHI:-$(pwd)/build/release/delphi}
DATA=tests/data/aggregate
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DB="$T/delphi.db"
S=foresight-2050
fails=0

d() { "$DELPHI" --db "$DB" "$@"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# cell FILE TOPIC QUESTION GROUP COLUMN: one cell of a CSV report (no quoted fields in it).
cell() {
  awk -F, -v t="$2" -v q="$3" -v g="$4" -v c="$5" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; if (!(c in col)) exit 2; next }
    $2 == t && $4 == q && $5 == g { print $col[c]; found = 1; exit }
    END { if (!found) exit 1 }' "$1"
}

# check FILE TOPIC QUESTION GROUP COLUMN EXPECTED: EXPECTED is a number (compared with a relative
# tolerance of 1e-9: the hand values below are exact or given to 16+ digits), "" for an empty cell,
# or a word (true, false) compared as text.
check() {
  got=$(cell "$1" "$2" "$3" "$4" "$5") || { fail "$1: no row $2 $3 $4 (or no column $5)"; return 0; }
  case "$6" in
    ''|true|false)
      [ "$got" = "$6" ] || fail "$(basename "$1") $2 $3 $4 $5: got '$got', expected '$6'" ;;
    *)
      if ! awk -v a="$got" -v b="$6" 'BEGIN { if (a == "") exit 1; d = a - b; if (d < 0) d = -d;
            m = b < 0 ? -b : b; exit !(d <= 1e-9 * (m > 1 ? m : 1)) }'; then
        fail "$(basename "$1") $2 $3 $4 $5: got '$got', expected $6"
      fi ;;
  esac
}

# no_row FILE TOPIC QUESTION GROUP
no_row() {
  if cell "$1" "$2" "$3" "$4" n > /dev/null 2>&1; then fail "$1: unexpected row $2 $3 $4"; fi
}

# stored ROUND TOPIC QUESTION GROUP: the stats.distribution text of a row.
stored() {
  sqlite3 "$DB" "SELECT s.distribution FROM stats s JOIN rounds r ON r.id = s.round_id
    JOIN topics t ON t.id = s.topic_id JOIN questions q ON q.id = s.question_id
    WHERE r.number = $1 AND t.code = '$2' AND q.key = '$3' AND s.option = '' AND s.grp = '$4'"
}

d init > /dev/null
d survey load survey-defs/foresight-2050.json > /dev/null
d experts import --survey $S "$DATA/experts.csv" > /dev/null 2>&1
d round open --survey $S > /dev/null
d answers import --survey $S --round 1 "$DATA/round1.csv" > /dev/null
d round close --survey $S > "$T/close1.out"
grep -q "round 1 of $S: .* statistics rows, 0 of 90 topics reached consensus" "$T/close1.out" ||
  fail "round close 1 summary: $(cat "$T/close1.out")"
d report --survey $S --round 1 --format csv --out "$T/r1.csv"

head -1 "$T/r1.csv" | grep -qx 'round,topic,field,question,group,n,dont_know,already,never,mean,sd,q1,median,q3,iqr,index,agreement,share,consensus,n_paired,changed,mean_abs_change,wilcoxon_z,wilcoxon_p' ||
  fail "CSV header: $(head -1 "$T/r1.csv")"
# Rows: 90 topics x (expertise, importance, competitiveness, tech_year, social_year: 5 questions
# + measures: 8 options) x 5 groups (all, expert, academia, industry, government: no expert is
# in sector "other") = 90 x 13 x 5 = 5850, plus the header.
[ "$(wc -l < "$T/r1.csv")" -eq 5851 ] || fail "round 1 CSV has $(wc -l < "$T/r1.csv") lines, expected 5851"

# ---- Round 1, ICT-01 (tests/data/aggregate/round1.csv) ------------------------------------------
# expert  sector      expertise importance competitiveness tech_year social_year measures
# E1      academia    3         4          3               2030      2034        human_resources;funding
# E2      academia    2         4          2               2032      2040        funding
# E3      industry    3         3          dont_know       already   2030        funding;regulation
# E4      industry    1         2          2               2035      2045        (none)
# E5      government  3         4          3               2038      2050        human_resources;regulation;elsi
# E6      government  2         dont_know  1               never     dont_know   funding
# Experts (expertise = 3): E1, E3, E5. Quantiles of type 7: h = (n - 1)p + 1,
# Q(p) = x(floor h) + (h - floor h)(x(floor h + 1) - x(floor h)).

# importance, all: valid 4,4,3,2,4 (n = 5), E6 don't know: dont_know = 1/6.
# mean = 17/5 = 3.4; squares of deviations .36 .36 .16 1.96 .36 sum 3.2, sd = sqrt(3.2/4) = sqrt(.8).
# sorted 2,3,4,4,4: Q1 h=2 -> 3, median h=3 -> 4, Q3 h=4 -> 4, iqr 1.
# index = (3*100 + 66.67 + 33.33)/5 = 80; agreement {4,3}: 4/5 = .8; consensus: 1 <= 1 and .8 >= .7.
R1="$T/r1.csv"
check "$R1" ICT-01 importance all n 5
check "$R1" ICT-01 importance all dont_know 0.16666666666666666
check "$R1" ICT-01 importance all already ""
check "$R1" ICT-01 importance all mean 3.4
check "$R1" ICT-01 importance all sd 0.8944271909999159
check "$R1" ICT-01 importance all q1 3
check "$R1" ICT-01 importance all median 4
check "$R1" ICT-01 importance all q3 4
check "$R1" ICT-01 importance all iqr 1
check "$R1" ICT-01 importance all index 80
check "$R1" ICT-01 importance all agreement 0.8
check "$R1" ICT-01 importance all share ""
check "$R1" ICT-01 importance all consensus true
check "$R1" ICT-01 importance all n_paired ""
check "$R1" ICT-01 importance all wilcoxon_z ""
# importance, expert (E1 4, E3 3, E5 4): mean 11/3; deviations 1/3, -2/3, 1/3: sd = sqrt((6/9)/2)
# = sqrt(1/3); sorted 3,4,4: Q1 h=1.5 -> 3.5, median 4, Q3 h=2.5 -> 4, iqr .5;
# index (2*100 + 66.67)/3 = 88.89; agreement 3/3 = 1.
check "$R1" ICT-01 importance expert n 3
check "$R1" ICT-01 importance expert dont_know 0
check "$R1" ICT-01 importance expert mean 3.6666666666666667
check "$R1" ICT-01 importance expert sd 0.5773502691896258
check "$R1" ICT-01 importance expert q1 3.5
check "$R1" ICT-01 importance expert iqr 0.5
check "$R1" ICT-01 importance expert index 88.89
check "$R1" ICT-01 importance expert agreement 1
check "$R1" ICT-01 importance expert consensus true
# importance, industry (E3 3, E4 2): mean 2.5, sd sqrt(.25 + .25) = sqrt(.5); Q1 h=1.25 -> 2.25,
# median 2.5, Q3 2.75, iqr .5; index (66.67 + 33.33)/2 = 50; agreement 1/2: neither >= .7 nor
# <= .3, so no consensus.
check "$R1" ICT-01 importance industry mean 2.5
check "$R1" ICT-01 importance industry sd 0.7071067811865476
check "$R1" ICT-01 importance industry q1 2.25
check "$R1" ICT-01 importance industry q3 2.75
check "$R1" ICT-01 importance industry index 50
check "$R1" ICT-01 importance industry agreement 0.5
check "$R1" ICT-01 importance industry consensus false
# importance, government (E5 4, E6 don't know): n 1, dont_know 1/2, sd undefined (n < 2).
check "$R1" ICT-01 importance government n 1
check "$R1" ICT-01 importance government dont_know 0.5
check "$R1" ICT-01 importance government sd ""
check "$R1" ICT-01 importance government median 4
check "$R1" ICT-01 importance government consensus true
no_row "$R1" ICT-01 importance other

# tech_year, all: valid 2030, 2032, 2035, 2038 (n = 4) of 6 answers: already 1/6 (E3),
# never 1/6 (E6), dont_know 0. mean 8135/4 = 2033.75; deviations -3.75 -1.75 1.25 4.25, squares
# sum 36.75, sd = sqrt(36.75/3) = sqrt(12.25) = 3.5. Q1 h=1.75 -> 2030 + .75*2 = 2031.5;
# median h=2.5 -> 2032 + .5*3 = 2033.5; Q3 h=3.25 -> 2035 + .25*3 = 2035.75; iqr 4.25 <= 5.
check "$R1" ICT-01 tech_year all n 4
check "$R1" ICT-01 tech_year all dont_know 0
check "$R1" ICT-01 tech_year all already 0.16666666666666666
check "$R1" ICT-01 tech_year all never 0.16666666666666666
check "$R1" ICT-01 tech_year all mean 2033.75
check "$R1" ICT-01 tech_year all sd 3.5
check "$R1" ICT-01 tech_year all q1 2031.5
check "$R1" ICT-01 tech_year all median 2033.5
check "$R1" ICT-01 tech_year all q3 2035.75
check "$R1" ICT-01 tech_year all iqr 4.25
check "$R1" ICT-01 tech_year all index ""
check "$R1" ICT-01 tech_year all agreement ""
check "$R1" ICT-01 tech_year all consensus true
# tech_year, expert (E1 2030, E3 already, E5 2038): n 2, already 1/3; mean 2034,
# sd sqrt(16 + 16) = sqrt(32); Q1 h=1.25 -> 2030 + .25*8 = 2032, Q3 2036, iqr 4.
check "$R1" ICT-01 tech_year expert n 2
check "$R1" ICT-01 tech_year expert already 0.3333333333333333
check "$R1" ICT-01 tech_year expert sd 5.656854249492381
check "$R1" ICT-01 tech_year expert q1 2032
check "$R1" ICT-01 tech_year expert q3 2036
# tech_year, government (E5 2038, E6 never): never 1/2.
check "$R1" ICT-01 tech_year government never 0.5
check "$R1" ICT-01 tech_year government mean 2038
# social_year, all: 2030 2034 2040 2045 2050 (n 5), E6 don't know: dont_know 1/6. mean 2039.8;
# squares 96.04 33.64 .04 27.04 104.04 = 260.8, sd = sqrt(65.2); Q1 2034, median 2040, Q3 2045:
# iqr 11 > 5, no consensus.
check "$R1" ICT-01 social_year all dont_know 0.16666666666666666
check "$R1" ICT-01 social_year all mean 2039.8
check "$R1" ICT-01 social_year all sd 8.07465169527454
check "$R1" ICT-01 social_year all iqr 11
check "$R1" ICT-01 social_year all consensus false

# measures: 6 respondents (E4's empty answer selects nothing but counts).
# funding all: E1 E2 E3 E6 = 4/6; expert (E1 E3 E5): E1 E3 = 2/3; elsi all: E5 = 1/6;
# human_resources government (E5 E6): E5 = 1/2. No consensus for multi questions.
check "$R1" ICT-01 measures/funding all n 6
check "$R1" ICT-01 measures/funding all share 0.6666666666666666
check "$R1" ICT-01 measures/funding all consensus ""
check "$R1" ICT-01 measures/funding all mean ""
check "$R1" ICT-01 measures/funding expert n 3
check "$R1" ICT-01 measures/funding expert share 0.6666666666666666
check "$R1" ICT-01 measures/elsi all share 0.16666666666666666
check "$R1" ICT-01 measures/human_resources government share 0.5
check "$R1" ICT-01 measures/infrastructure all share 0

# ICT-02: importance all don't know (E1 E2 E3): n 0, dont_know 3/3, everything else undefined.
check "$R1" ICT-02 importance all n 0
check "$R1" ICT-02 importance all dont_know 1
check "$R1" ICT-02 importance all mean ""
check "$R1" ICT-02 importance all index ""
check "$R1" ICT-02 importance all consensus ""
# tech_year all 2040 x 3: sd 0, iqr 0, consensus.
check "$R1" ICT-02 tech_year all sd 0
check "$R1" ICT-02 tech_year all iqr 0
check "$R1" ICT-02 tech_year all consensus true
# ICT-03 competitiveness (E4 1, E5 1): agreement 0 <= .3 and iqr 0: consensus (the "low" rule).
# Expert: expertise on ICT-03 is E4 3, E5 1, so only E4.
check "$R1" ICT-03 competitiveness all agreement 0
check "$R1" ICT-03 competitiveness all index 0
check "$R1" ICT-03 competitiveness all consensus true
check "$R1" ICT-03 competitiveness expert n 1
# A topic nobody answered: a row with n 0.
check "$R1" CARE-10 tech_year all n 0

# The stored distributions (stats.distribution), labels in definition order with zeros, years
# with answers, then the specials the question allows.
[ "$(stored 1 ICT-01 importance all)" = '{"4":3,"3":1,"2":1,"1":0,"dont_know":1}' ] ||
  fail "distribution importance: $(stored 1 ICT-01 importance all)"
[ "$(stored 1 ICT-01 tech_year all)" = '{"2030":1,"2032":1,"2035":1,"2038":1,"dont_know":0,"already":1,"never":1}' ] ||
  fail "distribution tech_year: $(stored 1 ICT-01 tech_year all)"

# ---- Round 2 --------------------------------------------------------------------------------
d round open --survey $S > /dev/null
d answers import --survey $S --round 2 "$DATA/round2.csv" > /dev/null
# while round 2 is open, the default report is round 1's
d report --survey $S > "$T/default.csv"
cmp -s "$T/default.csv" "$R1" || fail "the default report during round 2 is not round 1's"
d round close --survey $S > "$T/close2.out"
# ICT-01 reaches consensus on all four questions (importance, competitiveness, tech_year,
# social_year; see below); no other topic has an answer to each of them.
grep -q "round 2 of $S: .* statistics rows, 1 of 90 topics reached consensus" "$T/close2.out" ||
  fail "round close 2 summary: $(cat "$T/close2.out")"
d report --survey $S --round 2 --format csv --out "$T/r2.csv"
R2="$T/r2.csv"

# Round 2, ICT-01 (E6 did not come back):
# expert  sector      expertise importance competitiveness tech_year social_year measures
# E1      academia    3         4          3               2031      2035        human_resources
# E2      academia    2         3          3               2032      2037        funding;regulation
# E3      industry    3         3          3               already   2032        funding;regulation
# E4      industry    2         3          2               2033      2040        funding
# E5      government  3         4          3               2036      2042        human_resources;regulation;elsi;funding

# importance, all: 4 3 3 3 4: mean 3.4; deviations .6 -.4 -.4 -.4 .6, squares 1.2, sd sqrt(.3);
# sorted 3 3 3 4 4: Q1 3, median 3, Q3 4; index (2*100 + 3*66.67)/5 = 80.002; agreement 1.
# Stability: paired (valid in both rounds) E1..E5 = 5; d = 0, -1, 0, +1, 0: changed 2/5,
# mean |d| 2/5. Wilcoxon: non-zero -1, +1 (N = 2), tied ranks 1.5 and 1.5, W+ = 1.5 = N(N+1)/4,
# so z = 0 and p = 2(1 - Phi(0)) = 1.
check "$R2" ICT-01 importance all mean 3.4
check "$R2" ICT-01 importance all sd 0.5477225575051661
check "$R2" ICT-01 importance all median 3
check "$R2" ICT-01 importance all index 80.002
check "$R2" ICT-01 importance all n_paired 5
check "$R2" ICT-01 importance all changed 0.4
check "$R2" ICT-01 importance all mean_abs_change 0.4
check "$R2" ICT-01 importance all wilcoxon_z 0
check "$R2" ICT-01 importance all wilcoxon_p 1
# importance, expert (E1 E3 E5 by their round-2 expertise): nobody changed (4->4, 3->3, 4->4):
# n_paired 3, changed 0, and no non-zero difference: z and p undefined.
check "$R2" ICT-01 importance expert n_paired 3
check "$R2" ICT-01 importance expert changed 0
check "$R2" ICT-01 importance expert wilcoxon_z ""
check "$R2" ICT-01 importance expert wilcoxon_p ""
# government is E5 alone in round 2.
check "$R2" ICT-01 importance government n 1
check "$R2" ICT-01 importance government n_paired 1
no_row "$R2" ICT-01 importance other
# competitiveness, all: 3 3 3 2 3: sorted 2 3 3 3 3, Q1 = Q3 = 3, iqr 0; agreement 4/5 = .8:
# consensus; index (4*66.67 + 33.33)/5 = 60.002.
check "$R2" ICT-01 competitiveness all iqr 0
check "$R2" ICT-01 competitiveness all agreement 0.8
check "$R2" ICT-01 competitiveness all index 60.002
check "$R2" ICT-01 competitiveness all consensus true

# tech_year, all: 2031 2032 2033 2036 (n 4), already 1/5. mean 8132/4 = 2033; deviations
# -2 -1 0 3, squares 14, sd sqrt(14/3); Q1 h=1.75 -> 2031.75, median h=2.5 -> 2032.5,
# Q3 h=3.25 -> 2033 + .25*3 = 2033.75; iqr 2.
# Stability: paired E1 (2030->2031, d +1), E2 (2032->2032, 0), E4 (2035->2033, -2),
# E5 (2038->2036, -2); E3 answered "already" twice (not a valid pair). n_paired 4; changed 3/4;
# mean |d| = (1+0+2+2)/4 = 1.25. Wilcoxon: non-zero +1 -2 -2 (N = 3), |d| ranks 1, 2.5, 2.5;
# W+ = 1; E = N(N+1)/4 = 3; W+ - E = -2, continuity-corrected -1.5;
# sigma^2 = 3*4*7/24 - (2^3 - 2)/48 = 3.5 - .125 = 3.375, sigma = 1.8371173070873836;
# z = -1.5/sigma = -0.816496580927726; p = 2(1 - Phi(.8165)) = erfc(.8165/sqrt 2) = 0.41421617824252516.
check "$R2" ICT-01 tech_year all n 4
check "$R2" ICT-01 tech_year all already 0.2
check "$R2" ICT-01 tech_year all never 0
check "$R2" ICT-01 tech_year all mean 2033
check "$R2" ICT-01 tech_year all sd 2.160246899469287
check "$R2" ICT-01 tech_year all q1 2031.75
check "$R2" ICT-01 tech_year all median 2032.5
check "$R2" ICT-01 tech_year all q3 2033.75
check "$R2" ICT-01 tech_year all n_paired 4
check "$R2" ICT-01 tech_year all changed 0.75
check "$R2" ICT-01 tech_year all mean_abs_change 1.25
check "$R2" ICT-01 tech_year all wilcoxon_z -0.816496580927726
check "$R2" ICT-01 tech_year all wilcoxon_p 0.41421617824252516

# social_year, all: 2032 2035 2037 2040 2042: mean 2037.2, squares 27.04 4.84 .04 7.84 23.04
# = 62.8, sd sqrt(15.7); Q1 2035, median 2037, Q3 2040, iqr 5 <= 5: consensus.
# Stability: all 5 paired, d = +1 -3 +2 -5 -8: changed 1, mean |d| 19/5 = 3.8. Wilcoxon: |d|
# 1 2 3 5 8 have ranks 1..5; W+ = 1 + 2 = 3; E = 5*6/4 = 7.5; W+ - E = -4.5, corrected -4;
# sigma^2 = 5*6*11/24 = 13.75 (no ties), sigma = 3.7080992435478315;
# z = -4/sigma = -1.0787197799411874; p = erfc(1.0787.../sqrt 2) = 0.2807126652684958.
check "$R2" ICT-01 social_year all sd 3.96232255123179
check "$R2" ICT-01 social_year all iqr 5
check "$R2" ICT-01 social_year all consensus true
check "$R2" ICT-01 social_year all n_paired 5
check "$R2" ICT-01 social_year all changed 1
check "$R2" ICT-01 social_year all mean_abs_change 3.8
check "$R2" ICT-01 social_year all wilcoxon_z -1.0787197799411874
check "$R2" ICT-01 social_year all wilcoxon_p 0.2807126652684958
# social_year, academia (E1 +1, E2 -3): ranks 1, 2; W+ = 1, E = 1.5, W+ - E = -.5, corrected 0:
# z = 0, p = 1; mean |d| 2.
check "$R2" ICT-01 social_year academia n_paired 2
check "$R2" ICT-01 social_year academia mean_abs_change 2
check "$R2" ICT-01 social_year academia wilcoxon_z 0
check "$R2" ICT-01 social_year academia wilcoxon_p 1

# measures/funding, all: chosen by E2 E3 E4 E5 of 5: share .8. Stability on "chose funding"
# (1/0): round 1 E1..E5 = 1 1 1 0 0, round 2 = 0 1 1 1 1: d = -1 0 0 +1 +1; n_paired 5,
# changed 3/5, mean |d| 3/5. Wilcoxon: N = 3, all |d| = 1 tied, ranks 2 2 2; W+ = 4; E = 3;
# corrected .5; sigma^2 = 3*4*7/24 - (3^3 - 3)/48 = 3.5 - .5 = 3; z = .5/sqrt 3 = 0.2886751345948129;
# p = erfc(.2887/sqrt 2) = 0.7728299926844475.
check "$R2" ICT-01 measures/funding all n 5
check "$R2" ICT-01 measures/funding all share 0.8
check "$R2" ICT-01 measures/funding all n_paired 5
check "$R2" ICT-01 measures/funding all changed 0.6
check "$R2" ICT-01 measures/funding all mean_abs_change 0.6
check "$R2" ICT-01 measures/funding all wilcoxon_z 0.2886751345948129
check "$R2" ICT-01 measures/funding all wilcoxon_p 0.7728299926844475

# ICT-02 importance: E1 answered 3, but "don't know" in round 1: not a pair. n_paired 0,
# changed undefined.
check "$R2" ICT-02 importance all n 1
check "$R2" ICT-02 importance all n_paired 0
check "$R2" ICT-02 importance all changed ""

# ---- re-running gives identical rows ----------------------------------------------------------
sqlite3 "$DB" ".dump stats" > "$T/stats-before.sql"
d aggregate --survey $S --round 1 > "$T/agg1.out"
d aggregate --survey $S --round 2 > "$T/agg2.out"
grep -q "round 2 of $S: .* 1 of 90 topics reached consensus" "$T/agg2.out" ||
  fail "aggregate summary: $(cat "$T/agg2.out")"
sqlite3 "$DB" ".dump stats" > "$T/stats-after.sql"
cmp -s "$T/stats-before.sql" "$T/stats-after.sql" || fail "re-running aggregate changed the stats rows"
[ "$(grep -c 'INSERT INTO' "$T/stats-after.sql")" -eq 11700 ] ||
  fail "expected 2 x 5850 stats rows, got $(grep -c 'INSERT INTO' "$T/stats-after.sql")"
d report --survey $S --round 2 --format csv > "$T/r2b.csv"
cmp -s "$R2" "$T/r2b.csv" || fail "the CSV report changed after re-running aggregate"

# ---- JSON ---------------------------------------------------------------------------------------
d report --survey $S --round 2 --format json --out "$T/r2.json"
if command -v jq > /dev/null 2>&1; then
  v=$(jq -r '.fields[0].topics[0].questions.tech_year.all.wilcoxon_z' "$T/r2.json")
  awk -v a="$v" 'BEGIN { d = a + 0.816496580927726; exit !(d < 1e-12 && d > -1e-12) }' ||
    fail "JSON tech_year z: $v"
  [ "$(jq -r '.fields[0].topics[0].questions.measures.options.funding.all.share' "$T/r2.json")" = 0.8 ] ||
    fail "JSON funding share"
  [ "$(jq -c '.fields[0].topics[0].questions.importance.all.distribution' "$T/r2.json")" = '{"4":2,"3":3,"2":0,"1":0,"dont_know":0}' ] ||
    fail "JSON distribution: $(jq -c '.fields[0].topics[0].questions.importance.all.distribution' "$T/r2.json")"
  [ "$(jq -r '.consensus.reached' "$T/r2.json")" = 1 ] || fail "JSON consensus.reached"
  [ "$(jq -r '.quantile_type' "$T/r2.json")" = 7 ] || fail "JSON quantile_type"
else
  echo "note: jq is not installed; the JSON report was written but not inspected"
fi

# ---- HTML ---------------------------------------------------------------------------------------
d report --survey $S --round 2 --format html --out "$T/r2.html"
grep -qi '<script' "$T/r2.html" && fail "the HTML report contains a script element"
grep -q '<svg' "$T/r2.html" || fail "the HTML report has no chart"
grep -q '@page' "$T/r2.html" || fail "the HTML report has no print style"
if command -v chromium > /dev/null 2>&1; then
  timeout 300 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$T/r2.pdf" "file://$T/r2.html" > "$T/chromium.log" 2>&1 || true
  if [ ! -s "$T/r2.pdf" ] || ! head -c 5 "$T/r2.pdf" | grep -q '%PDF-'; then
    fail "headless Chromium did not print the HTML report: $(tail -5 "$T/chromium.log")"
  elif [ "$(wc -c < "$T/r2.pdf")" -lt 100000 ]; then
    fail "the printed report is suspiciously small: $(wc -c < "$T/r2.pdf") bytes"
  elif command -v pdfinfo > /dev/null 2>&1; then
    # a summary page, 9 field pages and 90 topic pages (a topic's table may run over a page)
    pages=$(pdfinfo "$T/r2.pdf" | awk '/^Pages:/ { print $2 }')
    [ "$pages" -ge 100 ] && [ "$pages" -le 200 ] ||
      fail "the printed report has $pages pages, expected 100 (one per topic, field, summary)"
  fi
else
  echo "SKIP: chromium is not installed: the HTML report was not rendered"
fi

# ---- hostile texts in the definition come out escaped -----------------------------------------
sed -e 's/"slug": "foresight-2050"/"slug": "hostile"/' \
    -e 's|"en": "AI that writes verified software"|"en": "<script>alert(1)</script>"|' \
    -e 's|"en": "Neuromorphic processors in consumer devices"|"en": "\\"><img src=x onerror=alert(1)>"|' \
    survey-defs/foresight-2050.json > "$T/hostile.json"
grep -q 'onerror' "$T/hostile.json" || fail "the hostile definition was not made (sample changed?)"
d survey load "$T/hostile.json" > /dev/null
d experts import --survey hostile "$DATA/experts.csv" > /dev/null 2>&1
d round open --survey hostile > /dev/null
d answers import --survey hostile --round 1 "$DATA/round1.csv" > /dev/null
d round close --survey hostile > /dev/null
d report --survey hostile --round 1 --format html --out "$T/hostile.html"
grep -qi '<script' "$T/hostile.html" && fail "hostile: a script element got through"
grep -qi '<img' "$T/hostile.html" && fail "hostile: an img element got through"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/hostile.html" || fail "hostile: the escaped title is missing"
grep -q '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;' "$T/hostile.html" || fail "hostile: the escaped img title is missing"

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "aggregate: all checks passed"
