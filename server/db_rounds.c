/*
 * db_rounds — a survey's rounds: opening the next one with its invitations, closing the open
 * one, and counting what came in. See db.h for the contracts.
 *
 * Rounds run one after the other: round r + 1 opens only after round r has closed, so at most
 * one round of a survey is open, and it is always the latest.
 */
#include "db_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LATEST[] =
	"SELECT id, number, state, opened_at, closed_at FROM rounds WHERE survey_id = ?1 "
	"ORDER BY number DESC LIMIT 1";
static const char SQL_NUMBER[] =
	"SELECT id, number, state, opened_at, closed_at FROM rounds WHERE survey_id = ?1 "
	"AND number = ?2";
static const char SQL_LIST[] =
	"SELECT id, number, state, opened_at, closed_at FROM rounds WHERE survey_id = ?1 "
	"ORDER BY number";
static const char SQL_INSERT[] =
	"INSERT INTO rounds (survey_id, number, state, opened_at) "
	"VALUES (?1, ?2, 'open', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
static const char SQL_INVITE_ALL[] =
	"INSERT INTO invitations (round_id, expert_id) "
	"SELECT ?1, id FROM experts WHERE survey_id = ?2 AND revoked = 0";
static const char SQL_INVITE_RESPONDENTS[] =
	"INSERT INTO invitations (round_id, expert_id) "
	"SELECT DISTINCT ?1, a.expert_id FROM answers a JOIN experts e ON e.id = a.expert_id "
	"WHERE a.round_id = ?2 AND e.revoked = 0";
static const char SQL_CLOSE[] =
	"UPDATE rounds SET state = 'closed', closed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	"WHERE id = ?1";
static const char SQL_IS_INVITED[] =
	"SELECT EXISTS (SELECT 1 FROM invitations WHERE round_id = ?1 AND expert_id = ?2)";
static const char SQL_COUNT_INVITED[] = "SELECT count(*) FROM invitations WHERE round_id = ?1";
static const char SQL_COUNT_ANSWERS[] =
	"SELECT count(DISTINCT expert_id), count(*) FROM answers WHERE round_id = ?1";
static const char SQL_FIELD_INVITED[] =
	"SELECT ef.field_id, count(*) FROM invitations i "
	"JOIN expert_fields ef ON ef.expert_id = i.expert_id WHERE i.round_id = ?1 "
	"GROUP BY ef.field_id";
static const char SQL_FIELD_ANSWERS[] =
	"SELECT t.field_id, count(DISTINCT a.expert_id), count(*) FROM answers a "
	"JOIN topics t ON t.id = a.topic_id WHERE a.round_id = ?1 GROUP BY t.field_id";

const char *db_round_state_name(enum db_round_state state)
{
	return state == DB_ROUND_OPEN ? "open" : "closed";
}

static void read_round(sqlite3_stmt *st, struct db_round *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->number = sqlite3_column_int(st, 1);
	r->state = strcmp(db_column_text(st, 2), "open") ? DB_ROUND_CLOSED : DB_ROUND_OPEN;
	db_column_copy(st, 3, r->opened_at, sizeof r->opened_at);
	db_column_copy(st, 4, r->closed_at, sizeof r->closed_at);
}

int db_round_get(struct db *db, int64_t survey_id, int number, struct db_round *out)
{
	sqlite3_stmt *st = db_stmt(db, number > 0 ? SQL_NUMBER : SQL_LATEST);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	if (number > 0)
		sqlite3_bind_int(st, 2, number);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		read_round(st, out);
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the round");
	}
	db_done(st);
	return ret;
}

int db_round_list(struct db *db, int64_t survey_id,
		  int (*cb)(const struct db_round *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_LIST);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_round r;
		read_round(st, &r);
		if ((ret = cb(&r, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the rounds");
	db_done(st);
	return ret;
}

/* Inserts round `number` and its invitations; *invited counts them. */
static int insert_round(struct db *db, const struct db_survey *sv, int number, int64_t prev_id,
			int64_t *round_id, int64_t *invited)
{
	sqlite3_stmt *st = db_stmt(db, SQL_INSERT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sv->id);
	sqlite3_bind_int(st, 2, number);
	if (db_exec_stmt(db, st, "cannot open the round"))
		return -1;
	*round_id = sqlite3_last_insert_rowid(db->conn);
	int all = number == 1 || sv->survey->invite == SURVEY_INVITE_ALL;
	if (!(st = db_stmt(db, all ? SQL_INVITE_ALL : SQL_INVITE_RESPONDENTS)))
		return -1;
	sqlite3_bind_int64(st, 1, *round_id);
	sqlite3_bind_int64(st, 2, all ? sv->id : prev_id);
	if (db_exec_stmt(db, st, "cannot invite the experts"))
		return -1;
	*invited = sqlite3_changes64(db->conn);
	return 0;
}

int db_round_open(struct db *db, const struct db_survey *sv, struct db_round *r, int64_t *invited)
{
	DB_ASSERT_TXN(db);
	struct db_round latest;
	int64_t round_id = 0;
	*invited = 0;
	int found = db_round_get(db, sv->id, 0, &latest);
	if (found < 0)
		return -1;
	if (found == DB_FOUND) {
		*r = latest;
		if (latest.state == DB_ROUND_OPEN)
			return DB_ROUND_ALREADY_OPEN;
		if (latest.number >= sv->survey->n_rounds)
			return DB_ROUND_ALL_DONE;
	}
	int number = found == DB_FOUND ? latest.number + 1 : 1;

	/* Opening a round nobody is invited to leaves nothing behind: the savepoint undoes it. */
	if (db_savepoint(db))
		return -1;
	if (insert_round(db, sv, number, found == DB_FOUND ? latest.id : 0, &round_id, invited)) {
		db_savepoint_rollback(db);
		return -1;
	}
	if (*invited == 0) {
		if (db_savepoint_rollback(db))
			return -1;
		if (found != DB_FOUND)
			memset(r, 0, sizeof *r);
		return DB_ROUND_NOBODY;
	}
	if (db_savepoint_release(db))
		return -1;
	if (db_round_get(db, sv->id, number, r) != DB_FOUND)
		return -1;
	return DB_ROUND_DONE;
}

int db_round_close(struct db *db, const struct db_survey *sv, struct db_round *r)
{
	DB_ASSERT_TXN(db);
	int found = db_round_get(db, sv->id, 0, r);
	if (found < 0)
		return -1;
	if (found == DB_NOT_FOUND) {
		memset(r, 0, sizeof *r);
		return DB_ROUND_NONE_OPEN;
	}
	if (r->state != DB_ROUND_OPEN)
		return DB_ROUND_NONE_OPEN;
	sqlite3_stmt *st = db_stmt(db, SQL_CLOSE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	if (db_exec_stmt(db, st, "cannot close the round"))
		return -1;
	if (db_round_get(db, sv->id, r->number, r) != DB_FOUND)
		return -1;
	return DB_ROUND_DONE;
}

int db_round_is_invited(struct db *db, int64_t round_id, int64_t expert_id)
{
	sqlite3_stmt *st = db_stmt(db, SQL_IS_INVITED);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	sqlite3_bind_int64(st, 2, expert_id);
	return db_step_flag(db, st, "cannot look up the invitation");
}

/* The index of field row id in sv, or -1. O(fields). */
static long field_index(const struct db_survey *sv, int64_t field_id)
{
	for (size_t i = 0; i < sv->survey->n_fields; i++)
		if (sv->field_ids[i] == field_id)
			return (long)i;
	return -1;
}

int db_round_status(struct db *db, const struct db_survey *sv, const struct db_round *r,
		    struct db_round_status *out)
{
	int rc;
	memset(out, 0, sizeof *out);
	out->round = *r;
	out->n_fields = sv->survey->n_fields;
	out->per_field = calloc(out->n_fields + 1, sizeof *out->per_field);
	if (!out->per_field)
		return db_failf(db, "out of memory");

	sqlite3_stmt *st = db_stmt(db, SQL_COUNT_INVITED);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out->total.invited = sqlite3_column_int64(st, 0);
	db_done(st);
	if (rc != SQLITE_ROW)
		goto fail_db;

	if (!(st = db_stmt(db, SQL_COUNT_ANSWERS)))
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->total.respondents = sqlite3_column_int64(st, 0);
		out->total.answers = sqlite3_column_int64(st, 1);
	}
	db_done(st);
	if (rc != SQLITE_ROW)
		goto fail_db;

	if (!(st = db_stmt(db, SQL_FIELD_INVITED)))
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long i = field_index(sv, sqlite3_column_int64(st, 0));
		if (i >= 0)
			out->per_field[i].invited = sqlite3_column_int64(st, 1);
	}
	db_done(st);
	if (rc != SQLITE_DONE)
		goto fail_db;

	if (!(st = db_stmt(db, SQL_FIELD_ANSWERS)))
		goto fail;
	sqlite3_bind_int64(st, 1, r->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long i = field_index(sv, sqlite3_column_int64(st, 0));
		if (i >= 0) {
			out->per_field[i].respondents = sqlite3_column_int64(st, 1);
			out->per_field[i].answers = sqlite3_column_int64(st, 2);
		}
	}
	db_done(st);
	if (rc != SQLITE_DONE)
		goto fail_db;
	return 0;

fail_db:
	db_fail(db, "cannot count the round's answers");
fail:
	db_round_status_release(out);
	return -1;
}

void db_round_status_release(struct db_round_status *st)
{
	free(st->per_field);
	st->per_field = NULL;
	st->n_fields = 0;
}
