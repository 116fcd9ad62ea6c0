/*
 * db_api — what the expert API reads and writes in the store beyond db.h: which version of a
 * survey's definition is stored (for the server's survey cache), an expert's profile, an
 * expert's answers with their reasons (the answers.reason column, migration 0002), and one
 * topic's statistics from the stats table (the feedback of round r > 1).
 *
 * The contracts of db.h hold: 0 / -1 returns with db_error(db) on failure, enum db_found for
 * look-ups, writes only between db_begin and db_commit (asserted; the server's writer thread
 * runs them inside its batch transaction). Every statement is cached and reset after use, so the
 * reads are fine on the event threads' read-only connections.
 *
 * Topic and question indices are the definition's (the position columns db_survey.c keeps).
 */
#ifndef DELPHI_DB_API_H
#define DELPHI_DB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define DB_API_REASON_MAX 2000 /* bytes of UTF-8 in a reason */

/* ---- Which definition is stored ------------------------------------------------------------- */

/* What identifies the stored definition of a survey: a definition can only be replaced while the
 * survey has no round (db_survey_store), and a replacement sets loaded_at, so a model loaded
 * with an equal key is the stored one (up to two replacements within one second before the
 * first round; has_rounds then forces one reload when round 1 opens, after which the
 * definition is fixed). */
struct db_api_survey_key {
	char slug[SURVEY_KEY_MAX + 1];
	char loaded_at[DB_TIME_MAX];
	bool has_rounds;
};

/* Reads the key of survey survey_id: DB_FOUND with *out, DB_NOT_FOUND, or -1. */
int db_api_survey_key(struct db *db, int64_t survey_id, struct db_api_survey_key *out);

/* ---- The round an expert answers ------------------------------------------------------------ */

/* The latest round of survey survey_id (as db_round_get with number 0) and whether expert_id is
 * invited to it and not revoked (the writer's last word on a save, whatever an event thread's
 * cache said), in one look-up: DB_FOUND with *out and *invited, DB_NOT_FOUND (neither
 * touched), or -1. */
int db_api_round_of(struct db *db, int64_t survey_id, int64_t expert_id, struct db_round *out,
		    bool *invited);

/* ---- An expert's profile -------------------------------------------------------------------- */

struct db_api_expert {
	char *name;                    /* owned */
	char sector[16];               /* "academia", ... */
	size_t fields[SURVEY_MAX_FIELDS]; /* indices into survey->fields, in definition order */
	size_t n_fields;
};

/* Reads expert expert_id of survey sv: DB_FOUND with *out filled (release it), DB_NOT_FOUND
 * (out untouched), or -1. */
int db_api_expert_get(struct db *db, const struct db_survey *sv, int64_t expert_id,
		      struct db_api_expert *out);
void db_api_expert_release(struct db_api_expert *e); /* frees name; e may be reused */

/* ---- Answers with their reasons ------------------------------------------------------------- */

/* One stored answer. value's text and reason are borrowed from the statement: valid during the
 * callback only. reason is NULL when none was given. */
struct db_api_answer_row {
	size_t topic;    /* index into survey->topics */
	size_t question; /* index into survey->questions */
	struct answer value;
	const char *reason;
};

/* Calls cb for every answer of the expert in the round (row id), ordered by topic and question
 * in definition order; topic >= 0 restricts the walk to that topic (index). A non-zero return
 * from cb stops the walk and is returned. Returns 0, cb's value, or -1. */
int db_api_answers_walk(struct db *db, const struct db_survey *sv, int64_t round_id,
			int64_t expert_id, long topic,
			int (*cb)(const struct db_api_answer_row *, void *), void *arg);

/* The expert's answers to one topic in the round (row id) with their reasons, all at once: for
 * every question i of the survey, present[i] tells whether there is an answer, answers[i] holds
 * it (its text owned: answer_release) and reasons[i] its reason (owned: free; NULL when none).
 * On entry answers[i] must be releasable (ANSWER_INIT or loaded before) and reasons[i] NULL or
 * owned: what a question held is released before it is overwritten, and a question without a
 * stored answer is left alone but for present[i] = false. Cheaper than db_api_answers_walk for
 * one topic (no joins, no sort). Returns 0, or -1 (also when out of memory); the arrays then
 * hold what was read so far. */
int db_api_topic_answers(struct db *db, const struct db_survey *sv, int64_t round_id,
			 int64_t expert_id, size_t topic, struct answer *answers, bool *present,
			 char **reasons);

/* Sets (text) or clears (text NULL) the reason of the expert's stored answer to one question of
 * a topic in the round. text must be clean UTF-8 of at most DB_API_REASON_MAX bytes (checked by
 * the caller). Writes. Returns DB_FOUND when the answer exists (and now has that reason),
 * DB_NOT_FOUND when there is no such answer (nothing written), or -1. */
int db_api_reason_set(struct db *db, const struct db_survey *sv, int64_t round_id,
		      int64_t expert_id, size_t topic, size_t question, const char *text);

/* ---- One topic's statistics ----------------------------------------------------------------- */

/* One stats row (see db/migrations/0001-initial.sql, table stats). Doubles are NAN where the
 * column is NULL; consensus is -1 when NULL, else 0 / 1. option ("" except for multi questions)
 * and distribution (JSON text, NULL when NULL) are borrowed: valid during the callback only. */
struct db_api_stat {
	size_t question; /* index into survey->questions */
	const char *option;
	int64_t n;
	double dont_know, already, never, mean, sd, q1, median, q3, iqr, index, agreement, share;
	int consensus;
	const char *distribution;
};

/* Calls cb for every stats row of the round (row id), topic (index) and group (e.g. "all"),
 * ordered by question in definition order, then option. A round the aggregator has not run for
 * has no rows. A non-zero return from cb stops the walk and is returned. Returns 0, cb's value,
 * or -1. */
int db_api_topic_stats(struct db *db, const struct db_survey *sv, int64_t round_id, size_t topic,
		       const char *group, int (*cb)(const struct db_api_stat *, void *), void *arg);

#endif
