/*
 * db_api — the expert API's reads and writes beyond db.h: survey version keys, expert profiles,
 * answers with reasons, one topic's statistics. See db_api.h for the contracts.
 */
#include "db_int.h"
#include "db_api.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_SURVEY_KEY[] =
	"SELECT slug, loaded_at, EXISTS (SELECT 1 FROM rounds WHERE survey_id = ?1) "
	"FROM surveys WHERE id = ?1";
static const char SQL_ROUND_OF[] =
	"SELECT r.id, r.number, r.state, r.opened_at, r.closed_at, "
	"EXISTS (SELECT 1 FROM invitations i JOIN experts e ON e.id = i.expert_id "
	"        WHERE i.round_id = r.id AND i.expert_id = ?2 AND NOT e.revoked) "
	"FROM rounds r WHERE r.survey_id = ?1 ORDER BY r.number DESC LIMIT 1";
static const char SQL_EXPERT[] =
	"SELECT name, sector FROM experts WHERE id = ?1 AND survey_id = ?2";
static const char SQL_EXPERT_FIELDS[] =
	"SELECT f.position FROM expert_fields ef JOIN fields f ON f.id = ef.field_id "
	"WHERE ef.expert_id = ?1 ORDER BY f.position";
/* Both walks must use the answers_by_expert index (expert_id, round_id, topic_id): without
 * statistics the planner prefers the primary key's (round_id, topic_id) prefix, which reads every
 * expert's answers to the topic (or the whole round) to find one expert's. */
#define ANSWERS_COLS                                                                           \
	"SELECT t.position, q.position, a.num, a.special, a.text, a.reason "                     \
	"FROM answers a INDEXED BY answers_by_expert "                                           \
	"JOIN topics t ON t.id = a.topic_id JOIN questions q ON q.id = a.question_id "
static const char SQL_ANSWERS_ALL[] =
	ANSWERS_COLS "WHERE a.expert_id = ?1 AND a.round_id = ?2 ORDER BY t.position, q.position";
static const char SQL_ANSWERS_TOPIC[] =
	ANSWERS_COLS "WHERE a.expert_id = ?1 AND a.round_id = ?2 AND a.topic_id = ?3 "
		     "ORDER BY q.position";
static const char SQL_REASON_SET[] =
	"UPDATE answers SET reason = ?5 WHERE round_id = ?1 AND topic_id = ?2 AND question_id = ?3 "
	"AND expert_id = ?4";
static const char SQL_TOPIC_STATS[] =
	"SELECT q.position, s.option, s.n, s.dont_know, s.already, s.never, s.mean, s.sd, s.q1, "
	"s.median, s.q3, s.iqr, s.idx, s.agreement, s.share, s.consensus, s.distribution "
	"FROM stats s JOIN questions q ON q.id = s.question_id "
	"WHERE s.round_id = ?1 AND s.topic_id = ?2 AND s.grp = ?3 ORDER BY q.position, s.option";

int db_api_survey_key(struct db *db, int64_t survey_id, struct db_api_survey_key *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_SURVEY_KEY);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		db_column_copy(st, 0, out->slug, sizeof out->slug);
		db_column_copy(st, 1, out->loaded_at, sizeof out->loaded_at);
		out->has_rounds = sqlite3_column_int(st, 2) != 0;
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot read the survey");
	}
	db_done(st);
	return ret;
}

int db_api_round_of(struct db *db, int64_t survey_id, int64_t expert_id, struct db_round *out,
		    bool *invited)
{
	sqlite3_stmt *st = db_stmt(db, SQL_ROUND_OF);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	sqlite3_bind_int64(st, 2, expert_id);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->number = sqlite3_column_int(st, 1);
		out->state = strcmp(db_column_text(st, 2), "open") ? DB_ROUND_CLOSED : DB_ROUND_OPEN;
		db_column_copy(st, 3, out->opened_at, sizeof out->opened_at);
		db_column_copy(st, 4, out->closed_at, sizeof out->closed_at);
		*invited = sqlite3_column_int(st, 5) != 0;
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the round");
	}
	db_done(st);
	return ret;
}

int db_api_expert_get(struct db *db, const struct db_survey *sv, int64_t expert_id,
		      struct db_api_expert *out)
{
	const struct survey *s = sv->survey;
	struct db_api_expert e = { .name = NULL };
	int rc, ret = -1;
	sqlite3_stmt *st = db_stmt(db, SQL_EXPERT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	sqlite3_bind_int64(st, 2, sv->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		db_done(st);
		return DB_NOT_FOUND;
	}
	if (rc != SQLITE_ROW) {
		db_fail(db, "cannot read the expert");
		db_done(st);
		return -1;
	}
	e.name = strdup(db_column_text(st, 0));
	db_column_copy(st, 1, e.sector, sizeof e.sector);
	db_done(st);
	if (!e.name)
		return db_failf(db, "out of memory");

	if (!(st = db_stmt(db, SQL_EXPERT_FIELDS)))
		goto out;
	sqlite3_bind_int64(st, 1, expert_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t f = sqlite3_column_int64(st, 0);
		/* positions of the stored definition are 0..n_fields-1 (db_survey.c) */
		if (f >= 0 && (size_t)f < s->n_fields && e.n_fields < SURVEY_MAX_FIELDS)
			e.fields[e.n_fields++] = (size_t)f;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "cannot read the expert's fields");
		db_done(st);
		goto out;
	}
	db_done(st);
	*out = e;
	e.name = NULL;
	ret = DB_FOUND;
out:
	free(e.name);
	return ret;
}

void db_api_expert_release(struct db_api_expert *e)
{
	free(e->name);
	e->name = NULL;
	e->n_fields = 0;
}

int db_api_answers_walk(struct db *db, const struct db_survey *sv, int64_t round_id,
			int64_t expert_id, long topic,
			int (*cb)(const struct db_api_answer_row *, void *), void *arg)
{
	const struct survey *s = sv->survey;
	assert(topic < (long)s->n_topics);
	sqlite3_stmt *st = db_stmt(db, topic >= 0 ? SQL_ANSWERS_TOPIC : SQL_ANSWERS_ALL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	sqlite3_bind_int64(st, 2, round_id);
	if (topic >= 0)
		sqlite3_bind_int64(st, 3, sv->topic_ids[topic]);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 0), q = sqlite3_column_int64(st, 1);
		if (t < 0 || (size_t)t >= s->n_topics || q < 0 || (size_t)q >= s->n_questions)
			continue; /* cannot happen: answers reference the survey's rows */
		struct db_api_answer_row row = {
			.topic = (size_t)t,
			.question = (size_t)q,
			.reason = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL
									    : db_column_text(st, 5),
		};
		db_answers_column(st, 2, 3, 4, &row.value);
		if ((ret = cb(&row, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot read the answers");
	db_done(st);
	return ret;
}

int db_api_topic_answers(struct db *db, const struct db_survey *sv, int64_t round_id,
			 int64_t expert_id, size_t topic, struct answer *answers, bool *present,
			 char **reasons)
{
	return db_answers_topic(db, sv, round_id, expert_id, topic, answers, present, reasons);
}

int db_api_reason_set(struct db *db, const struct db_survey *sv, int64_t round_id,
		      int64_t expert_id, size_t topic, size_t question, const char *text)
{
	DB_ASSERT_TXN(db);
	assert(topic < sv->survey->n_topics && question < sv->survey->n_questions);
	sqlite3_stmt *st =
		db_answers_key(db, SQL_REASON_SET, sv, round_id, expert_id, topic, question);
	if (!st)
		return -1;
	if (text)
		sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot store the reason"))
		return -1;
	return sqlite3_changes(db->conn) > 0 ? DB_FOUND : DB_NOT_FOUND;
}

/* NULL column: NAN. */
static double column_double(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

int db_api_topic_stats(struct db *db, const struct db_survey *sv, int64_t round_id, size_t topic,
		       const char *group, int (*cb)(const struct db_api_stat *, void *), void *arg)
{
	const struct survey *s = sv->survey;
	assert(topic < s->n_topics);
	sqlite3_stmt *st = db_stmt(db, SQL_TOPIC_STATS);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	sqlite3_bind_int64(st, 2, sv->topic_ids[topic]);
	sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t q = sqlite3_column_int64(st, 0);
		if (q < 0 || (size_t)q >= s->n_questions)
			continue; /* cannot happen: stats reference the survey's questions */
		struct db_api_stat row = {
			.question = (size_t)q,
			.option = db_column_text(st, 1),
			.n = sqlite3_column_int64(st, 2),
			.dont_know = column_double(st, 3),
			.already = column_double(st, 4),
			.never = column_double(st, 5),
			.mean = column_double(st, 6),
			.sd = column_double(st, 7),
			.q1 = column_double(st, 8),
			.median = column_double(st, 9),
			.q3 = column_double(st, 10),
			.iqr = column_double(st, 11),
			.index = column_double(st, 12),
			.agreement = column_double(st, 13),
			.share = column_double(st, 14),
			.consensus = sqlite3_column_type(st, 15) == SQLITE_NULL
					     ? -1
					     : sqlite3_column_int(st, 15) != 0,
			.distribution = sqlite3_column_type(st, 16) == SQLITE_NULL
						? NULL
						: db_column_text(st, 16),
		};
		if ((ret = cb(&row, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot read the statistics");
	db_done(st);
	return ret;
}
