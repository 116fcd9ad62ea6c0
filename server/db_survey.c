/*
 * db_survey — storing survey definitions and loading them back with the row ids of their fields,
 * topics and questions. See db.h for the contracts.
 *
 * The definition's JSON text is the truth; the fields, topics and questions tables mirror its
 * codes so that experts, answers and statistics can reference them with foreign keys. Rows are
 * matched by code, never by position, so a definition replaced before the first round keeps the
 * rows (and the experts' field links) of the codes it still has.
 */
#include "db_int.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_FIND[] = "SELECT id, definition FROM surveys WHERE slug = ?1";
static const char SQL_INSERT[] =
	"INSERT INTO surveys (slug, definition, loaded_at) "
	"VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
static const char SQL_UPDATE[] =
	"UPDATE surveys SET definition = ?2, loaded_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	"WHERE id = ?1";
static const char SQL_HAS_ROUNDS[] = "SELECT EXISTS (SELECT 1 FROM rounds WHERE survey_id = ?1)";

/* Marking: every row of the survey gets a negative position; the upserts below give the rows of
 * the new definition their real (>= 0) positions; whatever is still negative was dropped. */
static const char SQL_MARK_FIELDS[] =
	"UPDATE fields SET position = -1 - position WHERE survey_id = ?1";
static const char SQL_MARK_TOPICS[] =
	"UPDATE topics SET position = -1 - position WHERE survey_id = ?1";
static const char SQL_MARK_QUESTIONS[] =
	"UPDATE questions SET position = -1 - position WHERE survey_id = ?1";
static const char SQL_UPSERT_FIELD[] =
	"INSERT INTO fields (survey_id, code, position) VALUES (?1, ?2, ?3) "
	"ON CONFLICT (survey_id, code) DO UPDATE SET position = excluded.position RETURNING id";
static const char SQL_UPSERT_TOPIC[] =
	"INSERT INTO topics (survey_id, field_id, code, position) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT (survey_id, code) DO UPDATE SET field_id = excluded.field_id, "
	"position = excluded.position RETURNING id";
static const char SQL_UPSERT_QUESTION[] =
	"INSERT INTO questions (survey_id, key, kind, position) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT (survey_id, key) DO UPDATE SET kind = excluded.kind, "
	"position = excluded.position RETURNING id";
static const char SQL_SWEEP_TOPICS[] = "DELETE FROM topics WHERE survey_id = ?1 AND position < 0";
static const char SQL_SWEEP_QUESTIONS[] =
	"DELETE FROM questions WHERE survey_id = ?1 AND position < 0";
static const char SQL_SWEEP_FIELDS[] = "DELETE FROM fields WHERE survey_id = ?1 AND position < 0";

static const char SQL_GET[] = "SELECT id, definition, loaded_at FROM surveys WHERE slug = ?1";
static const char SQL_FIELD_IDS[] =
	"SELECT id, code FROM fields WHERE survey_id = ?1 ORDER BY position";
static const char SQL_TOPIC_IDS[] =
	"SELECT id, code FROM topics WHERE survey_id = ?1 ORDER BY position";
static const char SQL_QUESTION_IDS[] =
	"SELECT id, key FROM questions WHERE survey_id = ?1 ORDER BY position";

static const char SQL_LIST[] =
	"SELECT s.id, s.slug, s.loaded_at, "
	"  (SELECT count(*) FROM experts e WHERE e.survey_id = s.id), "
	"  r.number, r.state "
	"FROM surveys s LEFT JOIN rounds r ON r.survey_id = s.id "
	"  AND r.number = (SELECT max(number) FROM rounds WHERE survey_id = s.id) "
	"ORDER BY s.slug";

/* Runs a statement whose only parameter ?1 is the survey id. */
static int run_for_survey(struct db *db, const char *sql, int64_t survey_id, const char *what)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	return db_exec_stmt(db, st, what);
}

/* Steps an upsert ... RETURNING id once and stores the id. */
static int upsert_returning(struct db *db, sqlite3_stmt *st, int64_t *id, const char *what)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_fail(db, what);
		db_done(st);
		return -1;
	}
	*id = sqlite3_column_int64(st, 0);
	return db_exec_stmt(db, st, what); /* runs the statement to completion */
}

/* Makes the fields, topics and questions rows of survey_id mirror s. */
static int sync_rows(struct db *db, int64_t survey_id, const struct survey *s)
{
	int64_t *field_ids = NULL;
	int rc = -1;
	if (run_for_survey(db, SQL_MARK_FIELDS, survey_id, "cannot update fields") ||
	    run_for_survey(db, SQL_MARK_TOPICS, survey_id, "cannot update topics") ||
	    run_for_survey(db, SQL_MARK_QUESTIONS, survey_id, "cannot update questions"))
		goto out;

	field_ids = calloc(s->n_fields ? s->n_fields : 1, sizeof *field_ids);
	if (!field_ids) {
		db_failf(db, "out of memory");
		goto out;
	}
	sqlite3_stmt *st = db_stmt(db, SQL_UPSERT_FIELD);
	if (!st)
		goto out;
	for (size_t i = 0; i < s->n_fields; i++) {
		sqlite3_bind_int64(st, 1, survey_id);
		sqlite3_bind_text(st, 2, s->fields[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		if (upsert_returning(db, st, &field_ids[i], "cannot store a field"))
			goto out;
	}
	if (!(st = db_stmt(db, SQL_UPSERT_TOPIC)))
		goto out;
	for (size_t i = 0; i < s->n_topics; i++) {
		int64_t id;
		sqlite3_bind_int64(st, 1, survey_id);
		sqlite3_bind_int64(st, 2, field_ids[s->topics[i].field]);
		sqlite3_bind_text(st, 3, s->topics[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
		if (upsert_returning(db, st, &id, "cannot store a topic"))
			goto out;
	}
	if (!(st = db_stmt(db, SQL_UPSERT_QUESTION)))
		goto out;
	for (size_t i = 0; i < s->n_questions; i++) {
		int64_t id;
		sqlite3_bind_int64(st, 1, survey_id);
		sqlite3_bind_text(st, 2, s->questions[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, survey_kind_name(s->questions[i].kind), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
		if (upsert_returning(db, st, &id, "cannot store a question"))
			goto out;
	}
	/* Topics before fields: a dropped field may still be named by a dropped topic. */
	if (run_for_survey(db, SQL_SWEEP_TOPICS, survey_id, "cannot delete dropped topics") ||
	    run_for_survey(db, SQL_SWEEP_QUESTIONS, survey_id, "cannot delete dropped questions") ||
	    run_for_survey(db, SQL_SWEEP_FIELDS, survey_id, "cannot delete dropped fields"))
		goto out;
	rc = 0;
out:
	free(field_ids);
	return rc;
}

/* 1 if the two JSON texts hold equal values, 0 if not (or if either does not parse). */
static int same_json(const char *a, size_t alen, const char *b, size_t blen)
{
	json_t *ja = json_loadb(a, alen, 0, NULL);
	json_t *jb = json_loadb(b, blen, 0, NULL);
	int same = ja && jb && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return same;
}

int db_survey_store(struct db *db, const char *definition, size_t len, const struct survey *s)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_FIND);
	int64_t id = 0;
	int found = 0, same = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, s->slug, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		found = 1;
		id = sqlite3_column_int64(st, 0);
		const char *old = (const char *)sqlite3_column_text(st, 1);
		size_t old_len = (size_t)sqlite3_column_bytes(st, 1);
		same = old && same_json(old, old_len, definition, len);
	} else if (rc != SQLITE_DONE) {
		db_fail(db, "cannot look up the survey");
		db_done(st);
		return -1;
	}
	db_done(st);
	if (same)
		return DB_STORE_UNCHANGED;

	if (found) {
		if (!(st = db_stmt(db, SQL_HAS_ROUNDS)))
			return -1;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		int has_rounds = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
		db_done(st);
		if (rc != SQLITE_ROW)
			return db_fail(db, "cannot look up the survey's rounds");
		if (has_rounds)
			return DB_STORE_LOCKED;
		if (!(st = db_stmt(db, SQL_UPDATE)))
			return -1;
		sqlite3_bind_int64(st, 1, id);
	} else {
		if (!(st = db_stmt(db, SQL_INSERT)))
			return -1;
		sqlite3_bind_text(st, 1, s->slug, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 2, definition, (int)len, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot store the survey"))
		return -1;
	if (!found)
		id = sqlite3_last_insert_rowid(db->conn);
	if (sync_rows(db, id, s))
		return -1;
	return found ? DB_STORE_REPLACED : DB_STORE_CREATED;
}

/* Reads the ids of one table's rows of the survey, in position order, into ids[n], checking that
 * their codes are the definition's (code(s, i) is the i-th code). */
static int load_ids(struct db *db, const char *sql, int64_t survey_id, int64_t *ids, size_t n,
		    const char *what, const char *(*code)(const struct survey *, size_t),
		    const struct survey *s)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	size_t i = 0;
	int rc;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (i == n || strcmp(db_column_text(st, 1), code(s, i))) {
			db_done(st);
			return db_failf(db, "survey %s: the stored %s disagree with its definition",
					s->slug, what);
		}
		ids[i++] = sqlite3_column_int64(st, 0);
	}
	db_done(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "cannot read the survey's rows");
	if (i != n)
		return db_failf(db, "survey %s: the stored %s disagree with its definition", s->slug,
				what);
	return 0;
}

static const char *field_code(const struct survey *s, size_t i)
{
	return s->fields[i].code;
}

static const char *topic_code(const struct survey *s, size_t i)
{
	return s->topics[i].code;
}

static const char *question_key(const struct survey *s, size_t i)
{
	return s->questions[i].key;
}

int db_survey_get(struct db *db, const char *slug, struct db_survey **out)
{
	struct db_survey *sv = NULL;
	int ret = -1;
	*out = NULL;
	sqlite3_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		db_done(st);
		return DB_NOT_FOUND;
	}
	if (rc != SQLITE_ROW) {
		db_fail(db, "cannot look up the survey");
		db_done(st);
		return -1;
	}
	sv = calloc(1, sizeof *sv);
	if (!sv) {
		db_done(st);
		return db_failf(db, "out of memory");
	}
	sv->id = sqlite3_column_int64(st, 0);
	db_column_copy(st, 2, sv->loaded_at, sizeof sv->loaded_at);
	struct survey_error serr;
	const char *json = db_column_text(st, 1);
	rc = survey_load_string(json, (size_t)sqlite3_column_bytes(st, 1), slug, &sv->survey, &serr);
	db_done(st);
	if (rc) {
		char msg[sizeof serr.text + sizeof serr.path + 300];
		survey_error_format(&serr, msg, sizeof msg);
		db_failf(db, "the stored definition of survey %s no longer loads: %s", slug, msg);
		goto out;
	}
	const struct survey *s = sv->survey;
	sv->field_ids = calloc(s->n_fields + 1, sizeof *sv->field_ids);
	sv->topic_ids = calloc(s->n_topics + 1, sizeof *sv->topic_ids);
	sv->question_ids = calloc(s->n_questions + 1, sizeof *sv->question_ids);
	if (!sv->field_ids || !sv->topic_ids || !sv->question_ids) {
		db_failf(db, "out of memory");
		goto out;
	}
	if (load_ids(db, SQL_FIELD_IDS, sv->id, sv->field_ids, s->n_fields, "fields", field_code,
		     s) ||
	    load_ids(db, SQL_TOPIC_IDS, sv->id, sv->topic_ids, s->n_topics, "topics", topic_code,
		     s) ||
	    load_ids(db, SQL_QUESTION_IDS, sv->id, sv->question_ids, s->n_questions, "questions",
		     question_key, s))
		goto out;
	*out = sv;
	sv = NULL;
	ret = DB_FOUND;
out:
	db_survey_free(sv);
	return ret;
}

void db_survey_free(struct db_survey *sv)
{
	if (!sv)
		return;
	survey_free(sv->survey);
	free(sv->field_ids);
	free(sv->topic_ids);
	free(sv->question_ids);
	free(sv);
}

int db_survey_list(struct db *db, int (*cb)(const struct db_survey_info *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_LIST);
	int rc, ret = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_survey_info info = {
			.id = sqlite3_column_int64(st, 0),
			.slug = db_column_text(st, 1),
			.loaded_at = db_column_text(st, 2),
			.n_experts = sqlite3_column_int64(st, 3),
			.round = sqlite3_column_int(st, 4),
			.round_state = db_column_text(st, 5),
		};
		if ((ret = cb(&info, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the surveys");
	db_done(st);
	return ret;
}
