/*
 * db_stats — the aggregation of a round into the stats table, and reading the table back.
 *
 * db_stats_aggregate computes, for every topic x question (text questions excepted) x group of
 * a round, the statistics of shared/domain.md §3 with core/aggregate.c, and replaces the round's
 * rows of the stats table with them: each row is upserted (a re-run updates the stored row in
 * place), and the rows of groups no longer written are deleted. It reads each
 * answer once, in the answers table's primary-key order (round, topic, question, expert): topic
 * by topic, each question's range of round r next to the same range of round r - 1, merged by
 * expert for the stability statistics (paired experts); each expert's groups (sector) are held
 * in an array indexed by expert row id. Memory is O(experts + answers of one topic); time is one
 * pass over both rounds' answers.
 *
 * Groups written: "all"; "expert" when the survey has an expertise question; one per sector
 * among the round's respondents (experts with at least one answer in the round). Every topic
 * gets rows for every such group, also with no answer (n = 0). NAN is stored as NULL; the
 * stability columns are NULL in round 1 (no previous round).
 *
 * Deterministic: re-running on unchanged answers writes identical rows; re-running after answers
 * or experts' sectors changed leaves exactly the rows a first aggregation would write (a sector
 * left without respondents loses its rows).
 * Like every write in db.h, db_stats_aggregate must be called inside db_begin .. db_commit
 * (asserted): `delphi round close` runs it in the closing transaction, so a round is never
 * closed without its statistics.
 */
#ifndef DELPHI_DB_STATS_H
#define DELPHI_DB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "report.h"

/* What an aggregation did. */
struct db_stats_summary {
	int64_t answers;      /* answers of the round aggregated (text answers are not read) */
	int64_t prev_answers; /* answers of round r - 1 read (0 in round 1) */
	int64_t rows;         /* stats rows written */
	bool has_prev;        /* r > 1: stability against round r - 1 was computed */
	unsigned groups;      /* the groups written: a set of AGG_GROUP_BIT(g) */
	size_t topics;        /* topics of the survey (all get rows) */
	size_t topics_consensus; /* of them, reaching consensus (report_topic_consensus's rule) */
};

/*
 * Aggregates round r (as returned by db_round_get; open or closed) of survey sv and replaces its
 * stats rows. Writes. Returns 0 with *out filled, or -1 (db_error says what failed, e.g. an
 * answer that does not fit its question: "topic ICT-01, question importance: expert 17: 7 is not
 * a label value of \"importance\"").
 */
int db_stats_aggregate(struct db *db, const struct db_survey *sv, const struct db_round *r,
		       struct db_stats_summary *out);

/*
 * Reads the stats rows of the round (row id round_id) of survey sv into *out (emptied first;
 * sorted into report order). A round never aggregated gives no rows. Returns 0, or -1 (out of
 * memory; a row naming a topic, question, option or group the definition does not have).
 */
int db_stats_load(struct db *db, const struct db_survey *sv, int64_t round_id,
		  struct report_stats *out);

#endif
