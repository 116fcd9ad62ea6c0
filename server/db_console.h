/*
 * db_console — what the console API (api_*.c of issue 6) reads and writes in the store beyond
 * db.h, db_users.h, db_api.h and db_mail.h: surveys by slug, users by id, rounds with their
 * scheduled close and counts, moving that close, reopening a round, experts with their
 * invitations and responses per round, the progress of a round (overall, by field, sector and
 * topic), comments and their moderation (table comment_moderation, migration 0004), and pages of
 * the mail log and the audit log.
 *
 * The contracts of db.h hold: 0 / -1 returns with db_error(db) on failure, enum db_found for
 * look-ups, writes only between db_begin and db_commit (asserted; the server's writer thread runs
 * them inside its batch transaction). Every statement is cached and reset after use, so the reads
 * are fine on the event threads' read-only connections. Walks call cb once per row: a non-zero
 * return stops the walk and is returned; strings handed to cb are borrowed for the call only.
 *
 * Topic and question indices are the definition's (the position columns of db_survey.c).
 */
#ifndef DELPHI_DB_CONSOLE_H
#define DELPHI_DB_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "db_users.h"

/* ---- Surveys and users ---------------------------------------------------------------------- */

/* The row id of survey slug: DB_FOUND with *id, DB_NOT_FOUND, or -1. */
int db_console_survey_id(struct db *db, const char *slug, int64_t *id);

/* The name of user id into name: DB_FOUND, DB_NOT_FOUND, or -1. */
int db_console_user_name(struct db *db, int64_t id, char name[DB_USER_NAME_MAX + 1]);

/* ---- Rounds --------------------------------------------------------------------------------- */

struct db_console_round {
	struct db_round r;
	char close_at[DB_TIME_MAX]; /* the scheduled close, "" when none */
	int64_t invited;
	int64_t respondents; /* experts with at least one answer in the round */
};

/* Calls cb for every round of the survey in number order. */
int db_console_rounds(struct db *db, int64_t survey_id,
		      int (*cb)(const struct db_console_round *, void *), void *arg);

/* Round number (0: the latest) with its close_at: DB_FOUND with *out (invited and respondents are
 * not counted: 0), DB_NOT_FOUND, or -1. */
int db_console_round_get(struct db *db, int64_t survey_id, int number,
			 struct db_console_round *out);

/* Sets (close_at "YYYY-MM-DDTHH:MM:SSZ") or clears (NULL) the round's scheduled close. Writes.
 * Returns 0 or -1. */
int db_console_round_set_close_at(struct db *db, int64_t round_id, const char *close_at);

/*
 * Opens survey sv's next round as db_round_open (db.h) does and, when it opened (DB_ROUND_DONE),
 * sets its scheduled close to close_at ("YYYY-MM-DDTHH:MM:SSZ", checked by the caller; NULL for
 * none) and writes the audit row "round.open" by actor with the detail "survey=SLUG round=N
 * invited=K[ close_at=TIME]". POST .../rounds/open and `delphi round open` both call this. Writes,
 * in the caller's transaction. Returns what db_round_open returns, with *r and *invited as it
 * sets them, or -1.
 */
int db_console_round_open(struct db *db, const struct db_survey *sv, const char *actor,
			  const char *close_at, struct db_round *r, int64_t *invited);

/*
 * Moves the scheduled close of survey sv's latest round, if it is open: sets it to close_at
 * ("YYYY-MM-DDTHH:MM:SSZ", checked by the caller: a valid time still to come) or clears it (NULL),
 * and writes the audit row "round.schedule" by actor with the detail "survey=SLUG round=N
 * close_at=NEW previous=OLD" (each "none" when there is no scheduled close). The check and both
 * writes are in the caller's transaction, so a scheduled close (schedule.h) racing with it is
 * decided by the order of the transactions: the one that comes second finds the round closed, or
 * its close_at no longer due. POST .../rounds/schedule and `delphi round schedule` both call
 * this. Writes. Returns DB_ROUND_DONE with *out the round as it is now (close_at the new one;
 * invited and respondents not counted) and previous its close_at before ("" when none);
 * DB_ROUND_NONE_OPEN when the latest round is closed or there is none (nothing written; *out the
 * latest round, r.number 0 when none); or -1.
 */
int db_console_round_schedule(struct db *db, const struct db_survey *sv, const char *actor,
			      const char *close_at, struct db_console_round *out,
			      char previous[DB_TIME_MAX]);

/* Makes the closed round round_id open again (closed_at cleared). The caller checked that it is
 * the survey's latest round and closed. Writes. Returns 0 or -1. */
int db_console_round_reopen(struct db *db, int64_t round_id);

/* ---- Experts -------------------------------------------------------------------------------- */

/* One expert with the rounds they were invited to and answered in: bit (n - 1) for round n. */
struct db_console_expert {
	struct db_expert_info info; /* as db_expert_list gives it (db.h); fields "" when none */
	unsigned invited, responded;
};

/* Calls cb for every expert of the survey in import order. O(experts x rounds) index probes. */
int db_console_experts(struct db *db, int64_t survey_id,
		       int (*cb)(const struct db_console_expert *, void *), void *arg);

/* ---- Progress ------------------------------------------------------------------------------- */

/*
 * The progress of one round at every level at once. A respondent is an expert with at least one
 * answer (to the level's topics) in the round, invited or not; answers count answer rows (one per
 * topic x question x expert). Owns fields and topics.
 */
struct db_console_progress {
	struct db_round_counts total;   /* invitations, respondents, answers: db_round_status's total */
	struct db_round_counts *fields; /* [n_fields], the survey's order: experts invited who have
					 * the field, respondents and answers to its topics
					 * (db_round_status's per_field) */
	size_t n_fields;
	struct db_round_counts sectors[DB_SECTOR_COUNT]; /* by enum db_sector: experts invited, and
							  * those of them who answered (answers 0) */
	struct db_round_counts *topics; /* [n_topics], definition order: respondents and answers
					 * to the topic (invited 0) */
	size_t n_topics;
};

/*
 * Counts the progress of round round_id of survey sv into *out (zeroed first): short queries over
 * the round's invitations and one walk over its answers in primary-key order, instead of one scan
 * of the answers per level. O(answers of the round) time; memory O(expert row ids x
 * (8 + fields / 8) bytes + topics): about 0.1 s per million answers, so the server calls it on a
 * worker (api_console_read), never on an event loop. Returns 0, or -1 (also when out of memory).
 * Release *out with db_console_progress_release, after a failure too.
 */
int db_console_progress(struct db *db, const struct db_survey *sv, int64_t round_id,
			struct db_console_progress *out);
void db_console_progress_release(struct db_console_progress *p);

/* ---- Comments ------------------------------------------------------------------------------- */

enum db_comment_status {
	DB_COMMENT_PENDING,  /* never decided, or changed since the decision */
	DB_COMMENT_APPROVED,
	DB_COMMENT_HIDDEN,
	DB_COMMENT_ANY = -1, /* a filter: every status */
};

/* "pending", "approved", "hidden"; and back (-1 for anything else). */
const char *db_comment_status_name(enum db_comment_status st);
int db_comment_status_parse(const char *s);

/* One comment: an answer to a text question. decided_by / decided_at are "" while pending. */
struct db_console_comment {
	int64_t topic_id, question_id, expert_id; /* row ids: the comment's identity */
	size_t topic, question;                   /* indices into the survey */
	const char *pseudonym;
	const char *text;
	enum db_comment_status status;
	const char *decided_by, *decided_at;
};

/* Calls cb for the comments of the round (text answers that are not empty), with status
 * `status` only unless DB_COMMENT_ANY, ordered by topic, question (definition order) and
 * pseudonym. */
int db_console_comments(struct db *db, int64_t round_id, int status,
			int (*cb)(const struct db_console_comment *, void *), void *arg);

/* The one comment of round_id identified by (topic_id, question_id, expert_id): DB_FOUND after
 * cb ran once (cb's non-zero return is returned instead), DB_NOT_FOUND (no such non-empty text
 * answer), or -1. */
int db_console_comment_get(struct db *db, int64_t round_id, int64_t topic_id,
			   int64_t question_id, int64_t expert_id,
			   int (*cb)(const struct db_console_comment *, void *), void *arg);

/* Records a decision (DB_COMMENT_APPROVED or DB_COMMENT_HIDDEN) by actor on that comment, with
 * its current text, at now. Writes. Returns DB_FOUND, DB_NOT_FOUND (no such comment: nothing
 * written), or -1. */
int db_console_comment_decide(struct db *db, int64_t round_id, int64_t topic_id,
			      int64_t question_id, int64_t expert_id,
			      enum db_comment_status status, const char *actor);

/* Calls cb(text, arg) for every approved comment of the round on topic_id whose text has not
 * changed since its approval, in the order of approval. */
int db_console_comments_approved(struct db *db, int64_t round_id, int64_t topic_id,
				 int (*cb)(const char *text, void *arg), void *arg);

/* ---- Pages of the logs ---------------------------------------------------------------------- */

struct db_console_mail_row {
	int64_t id;
	const char *at, *ext_id, *email, *kind, *status, *detail;
	int round;
};

/* Calls cb for at most limit mail_log rows of the survey with id < before (before <= 0: no
 * bound), newest first. */
int db_console_mail_log(struct db *db, int64_t survey_id, int64_t before, int limit,
			int (*cb)(const struct db_console_mail_row *, void *), void *arg);

struct db_console_audit_row {
	int64_t id;
	const char *at, *actor, *action, *detail;
};

/* Calls cb for at most limit audit_log rows with id < before (before <= 0: no bound), newest
 * first. */
int db_console_audit(struct db *db, int64_t before, int limit,
		     int (*cb)(const struct db_console_audit_row *, void *), void *arg);

#endif
