/*
 * test_db_mail — db_mail.c against a real database file: who can be mailed (invited to /
 * answered the open round), replacing a token (the old one stops working, sessions stay),
 * reissue (sessions end), the mail log as stored, and revocation. Uses tests/data/mail/survey.json
 * (one field EN, one topic EN-01, one question importance; two rounds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "db_mail.h"

#define SURVEY_FILE "tests/data/mail/survey.json"

struct fixture {
	char dir[64], path[128];
	struct db *db;
	struct db_survey *sv;
	int64_t a, b, c; /* experts A (alice@...), B (bob@...), C (no address) */
};

static long long query_int(const char *path, const char *sql)
{
	sqlite3 *conn;
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return v;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *conn;
	assert_int_equal(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

static int64_t add_expert(struct fixture *fx, const char *ext_id, const char *email)
{
	static const size_t fields[] = { 0 };
	struct db_expert_in in = { ext_id, "Name", email, DB_SECTOR_ACADEMIA, fields, 1 };
	char token[DB_TOKEN_HEX + 1];
	bool created;
	struct db_expert_ref ref;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_expert_upsert(fx->db, fx->sv, &in, token, &created), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_expert_by_ext_id(fx->db, fx->sv->id, ext_id, &ref), DB_FOUND);
	return ref.id;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX];
	struct survey *s = NULL;
	struct survey_error serr;
	FILE *f = fopen(SURVEY_FILE, "rb");
	char json[8192];
	assert_non_null(fx);
	assert_non_null(f);
	size_t len = fread(json, 1, sizeof json, f);
	fclose(f);
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_db_mail.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	assert_int_equal(survey_load_string(json, len, "test", &s, &serr), 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, json, len, s), DB_STORE_CREATED);
	assert_int_equal(db_commit(fx->db), 0);
	survey_free(s);
	assert_int_equal(db_survey_get(fx->db, "mail-test", &fx->sv), DB_FOUND);
	fx->a = add_expert(fx, "A", "alice@example.org");
	fx->b = add_expert(fx, "B", "bob@example.org");
	fx->c = add_expert(fx, "C", "");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_survey_free(fx->sv);
	db_close(fx->db);
	test_db_unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	crypto_release();
	return 0;
}

/* What db_mail_candidates reported, as "ID:email:revoked:invited:answered " per expert. */
static int collect(const struct db_mail_candidate *c, void *arg)
{
	char line[128];
	snprintf(line, sizeof line, "%s:%s:%d:%d:%d ", c->ext_id, c->email, c->revoked, c->invited,
		 c->answered);
	strcat(arg, line);
	return 0;
}

static void add_session(struct fixture *fx, int64_t expert)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO sessions (id_hash, expert_id, csrf_token, created_at, last_seen_at, "
		 "expires_at) VALUES (randomblob(32), %lld, 'c', '2026-01-01T00:00:00Z', "
		 "'2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')", (long long)expert);
	exec_sql(fx->path, sql);
}

/* The expert whose token is tok, or 0. */
static int64_t holder(struct fixture *fx, const char *tok)
{
	unsigned char hash[CRYPTO_SHA256_LEN];
	struct db_expert_ref ref;
	crypto_sha256(tok, strlen(tok), hash);
	int found = db_expert_by_token(fx->db, hash, &ref);
	assert_true(found >= 0);
	return found == DB_FOUND ? ref.id : 0;
}

static void test_candidates(void **state)
{
	struct fixture *fx = *state;
	char got[512] = "";
	/* no round: nobody is invited or has answered */
	assert_int_equal(db_mail_candidates(fx->db, fx->sv->id, 0, collect, got), 0);
	assert_string_equal(got, "A:alice@example.org:0:0:0 B:bob@example.org:0:0:0 C::0:0:0 ");

	/* round 1 invites everyone; A answers */
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, fx->sv, &r, &invited), DB_ROUND_DONE);
	struct answer ans = { ANSWER_VALUE, 4, NULL };
	assert_int_equal(db_answer_put(fx->db, fx->sv, r.id, fx->a, 0, 0, &ans), 0);
	assert_int_equal(db_commit(fx->db), 0);
	got[0] = '\0';
	assert_int_equal(db_mail_candidates(fx->db, fx->sv->id, r.id, collect, got), 0);
	assert_string_equal(got, "A:alice@example.org:0:1:1 B:bob@example.org:0:1:0 C::0:1:0 ");
}

static void test_set_token_and_reissue(void **state)
{
	struct fixture *fx = *state;
	const char *t1 = "00112233445566778899aabbccddeeff";
	add_session(fx, fx->b);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_set_token(fx->db, fx->b, t1), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(holder(fx, t1), fx->b);
	/* a mailed token keeps the expert's sessions */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM sessions"), 1);

	char t2[DB_TOKEN_HEX + 1];
	int64_t ended = -1;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_reissue(fx->db, fx->b, t2, &ended), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(strlen(t2), DB_TOKEN_HEX);
	assert_int_equal(strspn(t2, "0123456789abcdef"), DB_TOKEN_HEX);
	assert_int_equal(holder(fx, t2), fx->b);
	assert_int_equal(holder(fx, t1), 0); /* the earlier token no longer works */
	assert_int_equal(ended, 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM sessions"), 0);

	/* no such expert */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_set_token(fx->db, 999999, t1), -1);
	assert_non_null(strstr(db_error(fx->db), "no expert 999999"));
	db_rollback(fx->db);
}

static void test_log(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_log(fx->db, fx->sv->id, fx->a, 0, DB_MAIL_INVITATION, DB_MAIL_SENT,
				     "250 ok"), 0);
	assert_int_equal(db_mail_log(fx->db, fx->sv->id, fx->b, 2, DB_MAIL_REMINDER,
				     DB_MAIL_REFUSED, "RCPT TO: 550 no"), 0);
	assert_int_equal(db_mail_log(fx->db, fx->sv->id, fx->c, 2, DB_MAIL_REMINDER, DB_MAIL_FAILED,
				     ""), 0);
	assert_int_equal(db_commit(fx->db), 0);
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM mail_log WHERE expert_id = %lld AND round = 2 AND "
		 "kind = 'reminder' AND status = 'refused' AND detail = 'RCPT TO: 550 no' AND "
		 "at LIKE '____-__-__T__:__:__Z'", (long long)fx->b);
	assert_int_equal(query_int(fx->path, sql), 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM mail_log WHERE kind = "
					     "'invitation' AND status = 'sent' AND round = 0"), 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM mail_log WHERE status = "
					     "'failed'"), 1);
	assert_string_equal(db_mail_kind_name(DB_MAIL_REMINDER), "reminder");
	assert_string_equal(db_mail_status_name(DB_MAIL_REFUSED), "refused");
}

static void test_revoke(void **state)
{
	struct fixture *fx = *state;
	int64_t ended = -1;
	add_session(fx, fx->a);
	add_session(fx, fx->a);
	add_session(fx, fx->b);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_revoke(fx->db, fx->a, &ended), DB_MAIL_REVOKED);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(ended, 2);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM sessions"), 1); /* B's */
	char got[512] = "";
	assert_int_equal(db_mail_candidates(fx->db, fx->sv->id, 0, collect, got), 0);
	assert_string_equal(got, "A:alice@example.org:1:0:0 B:bob@example.org:0:0:0 C::0:0:0 ");

	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_revoke(fx->db, fx->a, &ended), DB_MAIL_ALREADY_REVOKED);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(ended, 0);

	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_revoke(fx->db, 999999, &ended), -1);
	db_rollback(fx->db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_candidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_token_and_reissue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
