/*
 * db_mail — mail recipients, token replacement, the mail log and revocation in the store. See
 * db_mail.h for the contracts.
 */
#include "db_mail.h"

#include <assert.h>
#include <string.h>

#include "crypto.h"
#include "db_int.h"
#include "db_users.h"

static const char SQL_CANDIDATES[] =
	"SELECT e.id, e.ext_id, e.name, e.email, e.revoked, "
	"  EXISTS (SELECT 1 FROM invitations i WHERE i.round_id = ?2 AND i.expert_id = e.id), "
	"  EXISTS (SELECT 1 FROM answers a WHERE a.expert_id = e.id AND a.round_id = ?2) "
	"FROM experts e WHERE e.survey_id = ?1 ORDER BY e.id";
static const char SQL_SET_TOKEN[] =
	"UPDATE experts SET token_hash = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	"WHERE id = ?1";
static const char SQL_LOG[] =
	"INSERT INTO mail_log (survey_id, expert_id, round, kind, status, detail, at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
static const char SQL_REVOKED[] = "SELECT revoked FROM experts WHERE id = ?1";
static const char SQL_REVOKE[] =
	"UPDATE experts SET revoked = 1, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
	"WHERE id = ?1";

const char *db_mail_kind_name(enum db_mail_kind kind)
{
	assert(kind == DB_MAIL_INVITATION || kind == DB_MAIL_REMINDER);
	return kind == DB_MAIL_INVITATION ? "invitation" : "reminder";
}

const char *db_mail_status_name(enum db_mail_status status)
{
	assert(status >= DB_MAIL_SENT && status <= DB_MAIL_FAILED);
	return status == DB_MAIL_SENT ? "sent" : status == DB_MAIL_REFUSED ? "refused" : "failed";
}

int db_mail_candidates(struct db *db, int64_t survey_id, int64_t round_id,
		       int (*cb)(const struct db_mail_candidate *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_CANDIDATES);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	sqlite3_bind_int64(st, 2, round_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_mail_candidate c = {
			.id = sqlite3_column_int64(st, 0),
			.ext_id = db_column_text(st, 1),
			.name = db_column_text(st, 2),
			.email = db_column_text(st, 3),
			.revoked = sqlite3_column_int(st, 4) != 0,
			.invited = sqlite3_column_int(st, 5) != 0,
			.answered = sqlite3_column_int(st, 6) != 0,
		};
		if ((ret = cb(&c, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the experts to mail");
	db_done(st);
	return ret;
}

int db_mail_set_token(struct db *db, int64_t expert_id, const char *token)
{
	DB_ASSERT_TXN(db);
	assert(strlen(token) == DB_TOKEN_HEX);
	unsigned char hash[CRYPTO_SHA256_LEN];
	sqlite3_stmt *st = db_stmt(db, SQL_SET_TOKEN);
	if (!st)
		return -1;
	crypto_sha256(token, DB_TOKEN_HEX, hash);
	sqlite3_bind_int64(st, 1, expert_id);
	sqlite3_bind_blob(st, 2, hash, sizeof hash, SQLITE_TRANSIENT);
	if (db_exec_stmt(db, st, "cannot store the expert's new token"))
		return -1;
	if (sqlite3_changes(db->conn) != 1)
		return db_failf(db, "cannot store the expert's new token: no expert %lld",
				(long long)expert_id);
	return 0;
}

int db_mail_reissue(struct db *db, int64_t expert_id, char token[DB_TOKEN_HEX + 1],
		    int64_t *sessions_ended)
{
	DB_ASSERT_TXN(db);
	char tok[DB_TOKEN_HEX + 1];
	token[0] = '\0';
	if (crypto_token_hex(DB_TOKEN_BYTES, tok))
		return db_failf(db, "cannot make a token: no randomness");
	if (db_mail_set_token(db, expert_id, tok) ||
	    (*sessions_ended = db_session_delete_expert(db, expert_id)) < 0)
		return -1;
	memcpy(token, tok, sizeof tok);
	return 0;
}

int db_mail_log(struct db *db, int64_t survey_id, int64_t expert_id, int round,
		enum db_mail_kind kind, enum db_mail_status status, const char *detail)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_LOG);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	sqlite3_bind_int64(st, 2, expert_id);
	sqlite3_bind_int(st, 3, round);
	sqlite3_bind_text(st, 4, db_mail_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, db_mail_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	return db_exec_stmt(db, st, "cannot log the mail");
}

int db_mail_revoke(struct db *db, int64_t expert_id, int64_t *sessions_ended)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_REVOKED);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	int rc = sqlite3_step(st), was = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	if (rc == SQLITE_DONE)
		db_failf(db, "cannot revoke: no expert %lld", (long long)expert_id);
	else if (rc != SQLITE_ROW)
		db_fail(db, "cannot look up the expert");
	db_done(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (!was) {
		if (!(st = db_stmt(db, SQL_REVOKE)))
			return -1;
		sqlite3_bind_int64(st, 1, expert_id);
		if (db_exec_stmt(db, st, "cannot revoke the expert"))
			return -1;
	}
	if ((*sessions_ended = db_session_delete_expert(db, expert_id)) < 0)
		return -1;
	return was ? DB_MAIL_ALREADY_REVOKED : DB_MAIL_REVOKED;
}
