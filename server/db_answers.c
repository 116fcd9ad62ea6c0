/*
 * db_answers — experts' answers in their stored form (answer.h: special, num, text) and back:
 * storing one, reading one expert's answers to a topic, and the export walk. See db.h. It lends
 * db_api.c (through db_int.h) its column reader, its key binding and its topic read (the expert
 * API's, with reasons), so an answer is read and addressed one way.
 */
#include "db_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_PUT[] =
	"INSERT INTO answers (round_id, topic_id, question_id, expert_id, num, special, text, "
	"updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	"ON CONFLICT (round_id, topic_id, question_id, expert_id) DO UPDATE SET "
	"num = excluded.num, special = excluded.special, text = excluded.text, "
	"updated_at = excluded.updated_at";
/* The usual save, a value replacing a value, as an UPDATE that leaves special alone: SQL_PUT on a
 * row that exists tries the INSERT (its constraints, a look-up of the key) before it runs its DO
 * UPDATE: the writer's work per save of bench/load.sh was 14% more. In an UPDATE SQLite
 * evaluates only the CHECK constraints that name a column being set; "special IS NULL" keeps the
 * one on special true without evaluating it (before schema version 5 that check built a
 * temporary b-tree at every evaluation). A row that holds a special answer, or no row, changes
 * nothing here and goes through SQL_PUT. */
static const char SQL_SET_VALUE[] =
	"UPDATE answers SET num = ?5, text = ?6, updated_at = ?7 "
	"WHERE round_id = ?1 AND topic_id = ?2 AND question_id = ?3 AND expert_id = ?4 "
	"AND special IS NULL";
static const char SQL_DELETE[] =
	"DELETE FROM answers WHERE round_id = ?1 AND topic_id = ?2 AND question_id = ?3 "
	"AND expert_id = ?4";
/* One expert's answers to one topic, with their reasons; question ids are mapped to positions in
 * C. Without statistics SQLite prefers the covering primary key (round, topic, ...) and reads
 * every expert's answers to the topic; the index is the right plan. */
static const char SQL_LOAD_TOPIC[] =
	"SELECT question_id, num, special, text, reason FROM answers INDEXED BY answers_by_expert "
	"WHERE expert_id = ?1 AND round_id = ?2 AND topic_id = ?3";
/* Positions are the definition's indices (db_survey.c keeps them so). ?3 is the expertise
 * question's id, NULL when the survey has none (then the LEFT JOIN matches nothing). */
static const char SQL_EXPORT[] =
	"SELECT r.number, e.pseudonym, e.sector, t.position, q.position, a.num, a.special, a.text, "
	"  x.num, x.special, x.round_id IS NOT NULL "
	"FROM answers a JOIN rounds r ON r.id = a.round_id JOIN experts e ON e.id = a.expert_id "
	"  JOIN topics t ON t.id = a.topic_id JOIN questions q ON q.id = a.question_id "
	"  LEFT JOIN answers x ON x.round_id = a.round_id AND x.topic_id = a.topic_id "
	"    AND x.question_id = ?3 AND x.expert_id = a.expert_id "
	"WHERE r.survey_id = ?1 AND (?2 = 0 OR r.number = ?2) "
	"ORDER BY r.number, t.position, q.position, e.pseudonym";

sqlite3_stmt *db_answers_key(struct db *db, const char *sql, const struct db_survey *sv,
			     int64_t round_id, int64_t expert_id, size_t topic, size_t question)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, round_id);
	sqlite3_bind_int64(st, 2, sv->topic_ids[topic]);
	sqlite3_bind_int64(st, 3, sv->question_ids[question]);
	sqlite3_bind_int64(st, 4, expert_id);
	return st;
}

int db_answer_put(struct db *db, const struct db_survey *sv, int64_t round_id, int64_t expert_id,
		  size_t topic, size_t question, const struct answer *a)
{
	bool absent = false;
	return db_answer_store(db, sv, round_id, expert_id, topic, question, a, &absent);
}

int db_answer_store(struct db *db, const struct db_survey *sv, int64_t round_id,
		    int64_t expert_id, size_t topic, size_t question, const struct answer *a,
		    bool *absent)
{
	DB_ASSERT_TXN(db);
	assert(topic < sv->survey->n_topics && question < sv->survey->n_questions);
	const bool text = sv->survey->questions[question].kind == SURVEY_TEXT;
	sqlite3_stmt *st;
	if (a->special == ANSWER_VALUE && !*absent) {
		if (!(st = db_answers_key(db, SQL_SET_VALUE, sv, round_id, expert_id, topic,
					  question)))
			return -1;
		if (text)
			sqlite3_bind_text(st, 6, a->text ? a->text : "", -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 5, a->num);
		sqlite3_bind_text(st, 7, db_now_text(db), -1, SQLITE_STATIC);
		if (db_exec_stmt(db, st, "cannot store the answer"))
			return -1;
		if (sqlite3_changes(db->conn) > 0)
			return 0;
		*absent = true; /* or it holds a special answer: the upsert below is right for both */
	}
	if (!(st = db_answers_key(db, SQL_PUT, sv, round_id, expert_id, topic, question)))
		return -1;
	/* Exactly one of num, special, text is set (the table's CHECK). */
	if (a->special != ANSWER_VALUE)
		sqlite3_bind_text(st, 6, answer_special_name(a->special), -1, SQLITE_STATIC);
	else if (text)
		sqlite3_bind_text(st, 7, a->text ? a->text : "", -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 5, a->num);
	sqlite3_bind_text(st, 8, db_now_text(db), -1, SQLITE_STATIC);
	return db_exec_stmt(db, st, "cannot store the answer");
}

int db_answer_delete(struct db *db, const struct db_survey *sv, int64_t round_id,
		     int64_t expert_id, size_t topic, size_t question)
{
	DB_ASSERT_TXN(db);
	assert(topic < sv->survey->n_topics && question < sv->survey->n_questions);
	sqlite3_stmt *st = db_answers_key(db, SQL_DELETE, sv, round_id, expert_id, topic, question);
	if (!st)
		return -1;
	return db_exec_stmt(db, st, "cannot delete the answer");
}

void db_answers_column(sqlite3_stmt *st, int num_col, int special_col, int text_col,
		       struct answer *a)
{
	a->special = ANSWER_VALUE;
	a->num = 0;
	a->text = NULL;
	if (sqlite3_column_type(st, special_col) != SQLITE_NULL) {
		int sp = answer_special_parse(db_column_text(st, special_col));
		a->special = sp > 0 ? (enum answer_special)sp : ANSWER_DONT_KNOW;
	} else if (text_col >= 0 && sqlite3_column_type(st, text_col) != SQLITE_NULL) {
		a->text = (char *)db_column_text(st, text_col);
	} else {
		a->num = sqlite3_column_int64(st, num_col);
	}
}

int db_answers_topic(struct db *db, const struct db_survey *sv, int64_t round_id,
		     int64_t expert_id, size_t topic, struct answer *answers, bool *present,
		     char **reasons)
{
	const struct survey *s = sv->survey;
	assert(topic < s->n_topics);
	for (size_t i = 0; i < s->n_questions; i++)
		present[i] = false;
	sqlite3_stmt *st = db_stmt(db, SQL_LOAD_TOPIC);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	sqlite3_bind_int64(st, 2, round_id);
	sqlite3_bind_int64(st, 3, sv->topic_ids[topic]);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t qid = sqlite3_column_int64(st, 0);
		size_t q = 0;
		while (q < s->n_questions && sv->question_ids[q] != qid)
			q++;
		if (q == s->n_questions)
			continue; /* cannot happen: answers reference the survey's questions */
		struct answer a;
		db_answers_column(st, 1, 2, 3, &a);
		char *text = NULL, *reason = NULL; /* a.text is the statement's: copy it */
		if ((a.text && !(text = strdup(a.text))) ||
		    (reasons && sqlite3_column_type(st, 4) != SQLITE_NULL &&
		     !(reason = strdup(db_column_text(st, 4))))) {
			free(text);
			ret = db_failf(db, "out of memory");
			break;
		}
		answer_release(&answers[q]);
		answers[q] = a;
		answers[q].text = text;
		if (reasons) {
			free(reasons[q]);
			reasons[q] = reason;
		}
		present[q] = true;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot read the answers");
	db_done(st);
	return ret;
}

int db_answers_load_topic(struct db *db, const struct db_survey *sv, int64_t round_id,
			  int64_t expert_id, size_t topic, struct answer *answers, bool *present)
{
	return db_answers_topic(db, sv, round_id, expert_id, topic, answers, present, NULL);
}

int db_answers_export(struct db *db, const struct db_survey *sv, int round,
		      int (*cb)(const struct db_export_row *, void *), void *arg)
{
	const struct survey *s = sv->survey;
	sqlite3_stmt *st = db_stmt(db, SQL_EXPORT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sv->id);
	sqlite3_bind_int(st, 2, round > 0 ? round : 0);
	if (s->expertise_question >= 0)
		sqlite3_bind_int64(st, 3, sv->question_ids[s->expertise_question]);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_export_row row = {
			.round = sqlite3_column_int(st, 0),
			.pseudonym = db_column_text(st, 1),
			.sector = db_column_text(st, 2),
			.topic = (size_t)sqlite3_column_int64(st, 3),
			.question = (size_t)sqlite3_column_int64(st, 4),
			.has_expertise = sqlite3_column_int(st, 10) != 0,
		};
		assert(row.topic < s->n_topics && row.question < s->n_questions);
		db_answers_column(st, 5, 6, 7, &row.value);
		if (row.has_expertise)
			db_answers_column(st, 8, 9, -1, &row.expertise);
		else
			row.expertise = (struct answer)ANSWER_INIT;
		if ((ret = cb(&row, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot export the answers");
	db_done(st);
	return ret;
}
