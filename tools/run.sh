#!/bin/sh
# What `make run` does: sets up ./delphi.db with the sample survey, five demo experts and round 1
# open, prints a demo expert's invitation link, then runs `delphi serve` in the foreground
# (https://localhost:8443/; Ctrl-C stops it). Safe to run again: each step is done only when it is
# still missing, and a later run serves the same database with its answers.
#   sh tools/run.sh PATH_TO_DELPHI [SERVE OPTIONS...]
set -eu
D=${1:?usage: sh tools/run.sh PATH_TO_DELPHI [SERVE OPTIONS...]}
shift
DB=./delphi.db
SURVEY=survey-defs/foresight-2050.json
SLUG=foresight-2050
EXPERTS=survey-defs/demo-experts.csv
# The demo experts' links, shown only when they are made, are kept next to the database
# (delphi.db-* is ignored by git).
LINKS=$DB-demo-links.csv

"$D" --db "$DB" init >/dev/null
if ! "$D" --db "$DB" survey show "$SLUG" >/dev/null 2>&1; then
	rm -f "$LINKS" # links of an earlier database are worthless now
	"$D" --db "$DB" survey load "$SURVEY" | head -1
fi
if ! "$D" --db "$DB" experts list --survey "$SLUG" | grep -q '^demo-'; then
	"$D" --db "$DB" experts import --survey "$SLUG" "$EXPERTS" >"$LINKS" 2>/dev/null
	echo "imported the demo experts of $EXPERTS"
fi
if "$D" --db "$DB" survey show "$SLUG" | grep -q '^rounds run: none yet'; then
	"$D" --db "$DB" round open --survey "$SLUG"
fi

# The first demo expert's link (CSV columns id,token,link; tokens are plain hex, links unquoted).
link=$(sed -n '2s/^[^,]*,[^,]*,//p' "$LINKS" 2>/dev/null || true)
name=$(sed -n '2s/,.*//p' "$LINKS" 2>/dev/null || true)
echo
if [ -n "$link" ]; then
	cat <<MSG
Open the survey as demo expert $name (accept the self-signed certificate):
  $link
The other demo experts' links are in $LINKS.
MSG
else
	cat <<MSG
The demo experts' links were shown only once and $LINKS is gone. Make a new link
for a demo expert with '$D experts reissue --survey $SLUG demo-1', or start afresh:
stop the server, remove $DB* and run 'make run' again.
MSG
fi
cat <<MSG
Coordinate from another terminal, e.g.:
  $D round status --survey $SLUG
  $D answers export --survey $SLUG --round 1
  $D round close --survey $SLUG        (then 'round open' for round 2 with feedback)

MSG
exec "$D" --db "$DB" serve "$@"
