/*
 * db_sessions — sessions of users (the console) and experts (after following their invitation
 * link): creation, look-up with the principal's current state, refresh, logout, ending all of a
 * principal's sessions, purging the finished ones. See db_users.h for the contracts.
 *
 * Session ids are bearer secrets like invitation tokens: made here, handed back once, stored only
 * as SHA-256 of their hex text, so a copy of the database lets nobody in. Times come in as Unix
 * seconds and are stored as the schema's UTC text, whose fixed width makes text order time order
 * (the purge compares in SQL).
 */
#include "db_int.h"
#include "db_users.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char SQL_INSERT[] =
	"INSERT INTO sessions (id_hash, user_id, expert_id, csrf_token, created_at, last_seen_at, "
	"expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)";
static const char SQL_GET[] =
	"SELECT s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.user_id, s.expert_id, "
	"  u.name, u.role, u.disabled, e.survey_id, e.pseudonym, e.revoked "
	"FROM sessions s LEFT JOIN users u ON u.id = s.user_id "
	"  LEFT JOIN experts e ON e.id = s.expert_id WHERE s.id_hash = ?1";
static const char SQL_TOUCH[] =
	"UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1 AND last_seen_at < ?2";
static const char SQL_DELETE[] = "DELETE FROM sessions WHERE id_hash = ?1";
static const char SQL_DELETE_USER[] = "DELETE FROM sessions WHERE user_id = ?1";
static const char SQL_DELETE_EXPERT[] = "DELETE FROM sessions WHERE expert_id = ?1";
static const char SQL_PURGE[] =
	"DELETE FROM sessions WHERE expires_at <= ?1 "
	"  OR (user_id IS NOT NULL AND last_seen_at <= ?2) "
	"  OR (expert_id IS NOT NULL AND last_seen_at <= ?3)";

/* Unix seconds as the schema's "YYYY-MM-DDTHH:MM:SSZ". Times outside 1970..9999 (which no clock
 * gives) are clamped so the text keeps its width and its order. */
static void format_time(int64_t t, char out[DB_TIME_MAX])
{
	static const int64_t lo = 0;            /* 1970-01-01T00:00:00Z */
	static const int64_t hi = 253402300799; /* 9999-12-31T23:59:59Z */
	time_t tt = (time_t)(t < lo ? lo : t > hi ? hi : t);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, DB_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The schema's UTC text back to Unix seconds; -1 if it is not in that form. */
static int parse_time(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int n = 0;
	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
				      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int db_session_create(struct db *db, enum db_principal kind, int64_t principal_id, int64_t now,
		      int64_t expires_at, char id_hex[DB_SESSION_ID_HEX + 1],
		      char csrf[DB_CSRF_HEX + 1])
{
	DB_ASSERT_TXN(db);
	assert(expires_at > now);
	char id[DB_SESSION_ID_HEX + 1], token[DB_CSRF_HEX + 1];
	char created[DB_TIME_MAX], expires[DB_TIME_MAX];
	unsigned char hash[CRYPTO_SHA256_LEN];
	int rc = -1;
	id_hex[0] = csrf[0] = '\0';
	if (crypto_token_hex(DB_SESSION_ID_BYTES, id) || crypto_token_hex(DB_CSRF_BYTES, token)) {
		db_failf(db, "cannot make a session id: no randomness");
		goto out;
	}
	crypto_sha256(id, DB_SESSION_ID_HEX, hash);
	format_time(now, created);
	format_time(expires_at, expires);
	sqlite3_stmt *st = db_stmt(db, SQL_INSERT);
	if (!st)
		goto out;
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
	if (kind == DB_PRINCIPAL_USER) {
		sqlite3_bind_int64(st, 2, principal_id);
		sqlite3_bind_null(st, 3);
	} else {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_int64(st, 3, principal_id);
	}
	sqlite3_bind_text(st, 4, token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, expires, -1, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot store the session"))
		goto out;
	memcpy(id_hex, id, sizeof id);
	memcpy(csrf, token, sizeof token);
	rc = 0;
out:
	explicit_bzero(id, sizeof id);
	return rc;
}

/* Fills out from SQL_GET's current row; -1 if the row is damaged. */
static int read_session(sqlite3_stmt *st, struct db_session *out)
{
	const char *csrf = db_column_text(st, 0);
	if (strlen(csrf) != DB_CSRF_HEX || parse_time(db_column_text(st, 1), &out->created_at) ||
	    parse_time(db_column_text(st, 2), &out->last_seen_at) ||
	    parse_time(db_column_text(st, 3), &out->expires_at))
		return -1;
	memcpy(out->csrf, csrf, DB_CSRF_HEX + 1);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		int role = db_role_parse(db_column_text(st, 7));
		const char *name = db_column_text(st, 6);
		if (role < 0 || strlen(name) > DB_USER_NAME_MAX)
			return -1;
		out->kind = DB_PRINCIPAL_USER;
		out->user.id = sqlite3_column_int64(st, 4);
		memcpy(out->user.name, name, strlen(name) + 1);
		out->user.role = role;
		out->user.disabled = sqlite3_column_int(st, 8) != 0;
	} else {
		out->kind = DB_PRINCIPAL_EXPERT;
		out->expert.id = sqlite3_column_int64(st, 5);
		out->expert.survey_id = sqlite3_column_int64(st, 9);
		db_column_copy(st, 10, out->expert.pseudonym, sizeof out->expert.pseudonym);
		out->expert.revoked = sqlite3_column_int(st, 11) != 0;
	}
	return 0;
}

int db_session_get(struct db *db, const unsigned char id_hash[CRYPTO_SHA256_LEN],
		   struct db_session *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		return -1;
	memset(out, 0, sizeof *out);
	sqlite3_bind_blob(st, 1, id_hash, CRYPTO_SHA256_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		memcpy(out->id_hash, id_hash, CRYPTO_SHA256_LEN);
		ret = DB_FOUND;
		if (read_session(st, out))
			ret = db_failf(db, "a stored session is damaged");
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the session");
	}
	db_done(st);
	return ret;
}

int db_session_touch(struct db *db, const unsigned char id_hash[CRYPTO_SHA256_LEN], int64_t now)
{
	DB_ASSERT_TXN(db);
	char at[DB_TIME_MAX];
	sqlite3_stmt *st = db_stmt(db, SQL_TOUCH);
	if (!st)
		return -1;
	format_time(now, at);
	sqlite3_bind_blob(st, 1, id_hash, CRYPTO_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	return db_exec_stmt(db, st, "cannot refresh the session");
}

/* Runs a bound DELETE and returns the number of rows it deleted, or -1. */
static int64_t delete_count(struct db *db, sqlite3_stmt *st, const char *what)
{
	if (db_exec_stmt(db, st, what))
		return -1;
	return sqlite3_changes64(db->conn);
}

int db_session_delete(struct db *db, const unsigned char id_hash[CRYPTO_SHA256_LEN])
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_DELETE);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, id_hash, CRYPTO_SHA256_LEN, SQLITE_STATIC);
	int64_t n = delete_count(db, st, "cannot end the session");
	return n < 0 ? -1 : n ? DB_FOUND : DB_NOT_FOUND;
}

int64_t db_session_delete_user(struct db *db, int64_t user_id)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_DELETE_USER);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	return delete_count(db, st, "cannot end the user's sessions");
}

int64_t db_session_delete_expert(struct db *db, int64_t expert_id)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_DELETE_EXPERT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	return delete_count(db, st, "cannot end the expert's sessions");
}

int64_t db_session_purge(struct db *db, int64_t now, int64_t user_idle, int64_t expert_idle)
{
	DB_ASSERT_TXN(db);
	char at[DB_TIME_MAX], user_before[DB_TIME_MAX], expert_before[DB_TIME_MAX];
	sqlite3_stmt *st = db_stmt(db, SQL_PURGE);
	if (!st)
		return -1;
	/* last_seen_at + idle <= now  <=>  last_seen_at <= now - idle */
	format_time(now, at);
	format_time(now - user_idle, user_before);
	format_time(now - expert_idle, expert_before);
	sqlite3_bind_text(st, 1, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_before, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, expert_before, -1, SQLITE_STATIC);
	return delete_count(db, st, "cannot purge the sessions");
}
