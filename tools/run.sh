#!/bin/sh
# What `make run` does until the server exists: sets up ./delphi.db with the sample survey and
# five demo experts, then shows the command-line walk-through. Safe to run again: the survey is
# loaded and the experts imported only when they are not there yet.
#   sh tools/run.sh PATH_TO_DELPHI
set -eu
D=${1:?usage: sh tools/run.sh PATH_TO_DELPHI}
DB=./delphi.db
SURVEY=survey-defs/foresight-2050.json
SLUG=foresight-2050
EXPERTS=survey-defs/demo-experts.csv
# The demo experts' links, shown only when they are made, are kept next to the database
# (delphi.db-* is ignored by git).
LINKS=$DB-demo-links.csv

"$D" --db "$DB" init
if ! "$D" --db "$DB" survey show "$SLUG" >/dev/null 2>&1; then
	rm -f "$LINKS" # links of an earlier database are worthless now
	"$D" --db "$DB" survey load "$SURVEY" | head -1
fi
if ! "$D" --db "$DB" experts list --survey "$SLUG" | grep -q '^demo-'; then
	"$D" --db "$DB" experts import --survey "$SLUG" "$EXPERTS" >"$LINKS"
fi
n=$("$D" --db "$DB" experts list --survey "$SLUG" | tail -n +2 | wc -l | tr -d ' ')

cat <<MSG

delphi is set up in $DB: the sample survey $SLUG ($SURVEY)
and $n experts (demo experts from $EXPERTS).
The demo experts' personal links are in $LINKS
(the HTTPS server that will answer them is not built yet).

Walk through a survey on the command line:
  $D survey show $SLUG
  $D experts list --survey $SLUG
  $D round open --survey $SLUG
  $D round status --survey $SLUG
  $D answers import --survey $SLUG --round 1 answers.csv
      (CSV columns expert,topic,question,value, e.g. demo-1,ICT-01,importance,4)
  $D answers export --survey $SLUG --round 1
  $D round close --survey $SLUG
  $D help
MSG
