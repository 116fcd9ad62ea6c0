/*
 * cli_report — what `delphi round close` shares with `delphi aggregate` (cli_report.c): running
 * the aggregation of a round, timed, and printing its one-line summary.
 */
#ifndef DELPHI_CLI_REPORT_H
#define DELPHI_CLI_REPORT_H

#include "db.h"
#include "db_stats.h"

struct cli_report_agg {
	struct db_stats_summary sum;
	double seconds; /* wall time of the aggregation */
};

/* Aggregates round r of sv (db_stats_aggregate: inside the caller's transaction) and times it.
 * Returns 0 with *out filled, or -1 (db_error(db) says why). Prints nothing. */
int cli_report_aggregate(struct db *db, const struct db_survey *sv, const struct db_round *r,
			 struct cli_report_agg *out);

/* Prints the summary line to stdout, e.g. "round 2 of foresight-2050: 4716 statistics rows,
 * 12 of 90 topics reached consensus (0.05 s)". Call it after the commit. */
void cli_report_summary(const struct db_survey *sv, const struct db_round *r,
			const struct cli_report_agg *a);

#endif
