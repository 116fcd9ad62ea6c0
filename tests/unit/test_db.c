/*
 * test_db — the SQLite store (db.h) against real database files in a temporary directory:
 * migrations, survey storage, experts and their tokens, the round state machine, answers in
 * their stored form, the export walk, savepoints. The test looks under the hood with SQLite
 * directly where the API does not show what is stored (hashes, table names, audit rows).
 *
 * The survey is tests/data/cli/survey.json: fields AI, EN; topics AI-01, AI-02 (AI), EN-01 (EN);
 * questions expertise, importance, tech_year, social_year, measures, comment; two rounds that
 * invite the respondents of the round before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"

#define SURVEY_FILE "tests/data/cli/survey.json"
#define SURVEY_V2_FILE "tests/data/cli/survey-v2.json"

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	char *json;
	size_t len;
	struct survey *survey;
};

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static struct survey *load_survey(const char *json, size_t len)
{
	struct survey *s = NULL;
	struct survey_error err;
	assert_int_equal(survey_load_string(json, len, "test", &s, &err), 0);
	return s;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX];
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_db.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	fx->json = read_all(SURVEY_FILE, &fx->len);
	fx->survey = load_survey(fx->json, fx->len);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_close(fx->db);
	survey_free(fx->survey);
	free(fx->json);
	test_db_unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	crypto_release();
	return 0;
}

/* One integer from a query run on the file with SQLite directly. */
static long long query_int(const char *path, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return v;
}

/* One text from a query run on the file with SQLite directly ("" when no row). */
static void query_text(const char *path, const char *sql, char *out, size_t size)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(c);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

/* Stores the fixture's survey and loads it back. */
static struct db_survey *stored_survey(struct fixture *fx)
{
	struct db_survey *sv = NULL;
	assert_int_equal(db_begin(fx->db), 0);
	int outcome = db_survey_store(fx->db, fx->json, fx->len, fx->survey);
	assert_true(outcome == DB_STORE_CREATED || outcome == DB_STORE_UNCHANGED);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_survey_get(fx->db, "cli-test", &sv), DB_FOUND);
	return sv;
}

/* Adds expert ext_id in the given fields (indices: 0 AI, 1 EN) and returns its id. */
static int64_t add_expert(struct fixture *fx, const struct db_survey *sv, const char *ext_id,
			  enum db_sector sector, const size_t *fields, size_t n_fields)
{
	struct db_expert_in in = { ext_id, "Name", "", sector, fields, n_fields };
	char token[DB_TOKEN_HEX + 1];
	bool created;
	struct db_expert_ref ref;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_expert_upsert(fx->db, sv, &in, token, &created), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_expert_by_ext_id(fx->db, sv->id, ext_id, &ref), DB_FOUND);
	return ref.id;
}

static void put(struct fixture *fx, const struct db_survey *sv, int64_t round_id,
		int64_t expert_id, size_t topic, size_t question, enum answer_special sp, int64_t num,
		const char *text)
{
	struct answer a = { sp, num, (char *)text };
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_answer_put(fx->db, sv, round_id, expert_id, topic, question, &a), 0);
	assert_int_equal(db_commit(fx->db), 0);
}

/* ---- migrations --------------------------------------------------------------------------- */

/* The migration files in db/migrations (0001-initial.sql, 0002-answer-reasons.sql, ...): the
 * binary embeds each, so the latest schema version is their number. */
static int migrations_on_disk(void)
{
	glob_t g;
	assert_int_equal(glob("db/migrations/[0-9][0-9][0-9][0-9]-*.sql", 0, NULL, &g), 0);
	int n = (int)g.gl_pathc;
	globfree(&g);
	assert_true(n >= 2); /* 0001 and 0002 at least */
	return n;
}

static void test_open_migrates_empty_file(void **state)
{
	struct fixture *fx = *state;
	int latest = migrations_on_disk();
	assert_int_equal(db_schema_latest(), latest);
	assert_int_equal(db_schema_version(fx->db), latest);
	static const char *const tables[] = { "surveys", "fields", "topics", "questions",
					      "experts", "expert_fields", "rounds", "invitations",
					      "answers", "stats", "users", "sessions", "audit_log" };
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char sql[160];
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
			 tables[i]);
		assert_int_equal(query_int(fx->path, sql), 1);
	}
	assert_int_equal(query_int(fx->path, "PRAGMA user_version"), latest);
	/* Opening again migrates nothing: one db.migrate row per migration, from the first open. */
	char err[DB_ERR_MAX];
	struct db *again;
	assert_int_equal(db_open(fx->path, DB_READWRITE, &again, err), 0);
	db_close(again);
	assert_int_equal(
		query_int(fx->path, "SELECT count(*) FROM audit_log WHERE action = 'db.migrate'"),
		latest);
}

/*
 * Migration 5 rebuilds the answers table with its check of special spelled out: a file at
 * version 4 (migrations 0001..0004 applied from db/migrations) holding one answer of each stored
 * form (a number with a reason, a special, a text) keeps them exactly, with the index, and the
 * new table still refuses an unknown special.
 */
static void test_migration_5_keeps_answers(void **state)
{
	struct fixture *fx = *state;
	char old[160], err[DB_ERR_MAX];
	struct db *db = NULL;
	glob_t g;
	snprintf(old, sizeof old, "%s/v4.db", fx->dir);
	assert_int_equal(glob("db/migrations/000[1-4]-*.sql", 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 4);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t len;
		char *sql = read_all(g.gl_pathv[i], &len);
		exec_sql(old, sql);
		free(sql);
	}
	globfree(&g);
	exec_sql(old,
		 "PRAGMA user_version = 4;"
		 "INSERT INTO surveys VALUES (1, 's', '{}', '2025-01-01T00:00:00Z');"
		 "INSERT INTO fields VALUES (1, 1, 'F', 0);"
		 "INSERT INTO topics VALUES (1, 1, 1, 'T', 0);"
		 "INSERT INTO questions VALUES (1, 1, 'a', 'ordinal', 0), (2, 1, 'b', 'year', 1),"
		 "  (3, 1, 'c', 'text', 2);"
		 "INSERT INTO experts VALUES (1, 1, 'e1', 'N', '', 'academia', zeroblob(32), 'P-1', 0,"
		 "  't', 't');"
		 "INSERT INTO rounds VALUES (1, 1, 1, 'open', 't', NULL, NULL);"
		 "INSERT INTO answers (round_id, topic_id, question_id, expert_id, num, special, text,"
		 "  updated_at, reason) VALUES (1, 1, 1, 1, 3, NULL, NULL, 'u1', 'because'),"
		 "  (1, 1, 2, 1, NULL, 'never', NULL, 'u2', NULL),"
		 "  (1, 1, 3, 1, NULL, NULL, 'hello', 'u3', NULL);");
	assert_int_equal(db_open(old, DB_READWRITE, &db, err), 0);
	db_close(db);
	assert_int_equal(query_int(old, "PRAGMA user_version"), migrations_on_disk());
	char got[200];
	query_text(old,
		   "SELECT group_concat(question_id || ':' || coalesce(num, '-') || ':' || "
		   "coalesce(special, '-') || ':' || coalesce(text, '-') || ':' || updated_at || ':' || "
		   "coalesce(reason, '-'), ' ') FROM (SELECT * FROM answers ORDER BY question_id)",
		   got, sizeof got);
	assert_string_equal(got, "1:3:-:-:u1:because 2:-:never:-:u2:- 3:-:-:hello:u3:-");
	assert_int_equal(query_int(old, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
					"AND name = 'answers_by_expert' AND tbl_name = 'answers'"),
			 1);
	assert_int_equal(query_int(old, "SELECT count(*) FROM sqlite_master WHERE name = "
					"'answers_v5'"),
			 0);
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(old, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c,
				      "UPDATE answers SET special = 'bogus' WHERE question_id = 2",
				      NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(c,
				      "UPDATE answers SET special = 'already' WHERE question_id = 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(c);
	test_db_unlink(old);
}

static void test_open_refuses_newer_schema(void **state)
{
	struct fixture *fx = *state;
	char err[DB_ERR_MAX];
	struct db *db = NULL;
	exec_sql(fx->path, "PRAGMA user_version = 7");
	assert_int_equal(db_open(fx->path, DB_READWRITE, &db, err), -1);
	assert_null(db);
	char want[80];
	snprintf(want, sizeof want, "schema version 7 is newer than this delphi knows (%d)",
		 migrations_on_disk());
	assert_non_null(strstr(err, want));
	assert_int_equal(db_open(fx->path, DB_READONLY, &db, err), -1);
	assert_non_null(strstr(err, "schema version 7"));
}

static void test_open_readonly_needs_current_schema(void **state)
{
	struct fixture *fx = *state;
	char err[DB_ERR_MAX], old[160];
	struct db *db = NULL;
	/* An empty database of version 0: read-only cannot migrate it. */
	snprintf(old, sizeof old, "%s/old.db", fx->dir);
	exec_sql(old, "CREATE TABLE t (x)");
	assert_int_equal(db_open(old, DB_READONLY, &db, err), -1);
	char want[80];
	snprintf(want, sizeof want, "schema version 0, this delphi needs %d", migrations_on_disk());
	assert_non_null(strstr(err, want));
	unlink(old);
	/* The fixture's file is current. */
	assert_int_equal(db_open(fx->path, DB_READONLY, &db, err), 0);
	assert_int_equal(db_schema_version(db), migrations_on_disk());
	db_close(db);
}

static void test_open_missing_file_without_create(void **state)
{
	struct fixture *fx = *state;
	char err[DB_ERR_MAX], missing[160];
	struct db *db = NULL;
	snprintf(missing, sizeof missing, "%s/missing.db", fx->dir);
	assert_int_equal(db_open(missing, DB_READWRITE, &db, err), -1);
	assert_int_equal(access(missing, F_OK), -1);
	assert_true(strlen(err) > 0);
}

/* ---- surveys ------------------------------------------------------------------------------ */

static void test_survey_store_outcomes(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = stored_survey(fx);
	assert_int_equal(sv->survey->n_topics, 3);
	int64_t ai = sv->field_ids[0], en = sv->field_ids[1];
	assert_true(ai > 0 && en > 0 && ai != en);

	/* The same definition, written differently (whitespace): unchanged. */
	size_t len2 = fx->len + 4;
	char *spaced = malloc(len2 + 1);
	memcpy(spaced, "  \n ", 4);
	memcpy(spaced + 4, fx->json, fx->len + 1);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, spaced, len2, fx->survey), DB_STORE_UNCHANGED);
	db_rollback(fx->db);
	free(spaced);

	/* v2 adds topic EN-02: replaced, keeping the rows of the codes it still has. */
	size_t v2_len;
	char *v2 = read_all(SURVEY_V2_FILE, &v2_len);
	struct survey *s2 = load_survey(v2, v2_len);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, v2, v2_len, s2), DB_STORE_REPLACED);
	assert_int_equal(db_commit(fx->db), 0);
	struct db_survey *sv2;
	assert_int_equal(db_survey_get(fx->db, "cli-test", &sv2), DB_FOUND);
	assert_int_equal(sv2->survey->n_topics, 4);
	assert_true(sv2->field_ids[0] == ai && sv2->field_ids[1] == en);
	for (size_t t = 0; t < 3; t++)
		assert_true(sv2->topic_ids[t] == sv->topic_ids[t]);
	db_survey_free(sv2);

	/* Back to v1: EN-02 is dropped. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, fx->json, fx->len, fx->survey), DB_STORE_REPLACED);
	assert_int_equal(db_commit(fx->db), 0);
	db_survey_free(sv);
	assert_int_equal(db_survey_get(fx->db, "cli-test", &sv), DB_FOUND);
	assert_int_equal(sv->survey->n_topics, 3);

	/* Once a round has been opened, a changed definition is locked out. */
	size_t fields[1] = { 0 };
	add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, fields, 1);
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_survey_store(fx->db, v2, v2_len, s2), DB_STORE_LOCKED);
	assert_int_equal(db_survey_store(fx->db, fx->json, fx->len, fx->survey), DB_STORE_UNCHANGED);
	assert_int_equal(db_commit(fx->db), 0);
	db_survey_free(sv);
	survey_free(s2);
	free(v2);
}

static int count_cb(const struct db_survey_info *info, void *arg)
{
	int *n = arg;
	assert_string_equal(info->slug, "cli-test");
	assert_int_equal(info->round, 0);
	assert_string_equal(info->round_state, "");
	(*n)++;
	return 0;
}

static void test_survey_get_and_list(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = (struct db_survey *)1;
	assert_int_equal(db_survey_get(fx->db, "nosuch", &sv), DB_NOT_FOUND);
	assert_null(sv);
	sv = stored_survey(fx);
	assert_string_equal(sv->survey->slug, "cli-test");
	assert_int_equal(strlen(sv->loaded_at), 20); /* YYYY-MM-DDTHH:MM:SSZ */
	for (size_t q = 0; q < sv->survey->n_questions; q++)
		assert_true(sv->question_ids[q] > 0);
	int n = 0;
	assert_int_equal(db_survey_list(fx->db, count_cb, &n), 0);
	assert_int_equal(n, 1);
	db_survey_free(sv);
}

/* ---- experts ------------------------------------------------------------------------------ */

static int is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

static void test_expert_tokens_and_updates(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = stored_survey(fx);
	size_t ai_en[2] = { 0, 1 }, en[1] = { 1 };
	struct db_expert_in in = { "E1", "Alice", "a@example.org", DB_SECTOR_INDUSTRY, ai_en, 2 };
	char token[DB_TOKEN_HEX + 1], token2[DB_TOKEN_HEX + 1];
	bool created;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_expert_upsert(fx->db, sv, &in, token, &created), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_true(created);
	assert_true(is_hex(token, 32));

	/* The token finds the expert through its SHA-256; the stored hash is exactly that. */
	unsigned char hash[CRYPTO_SHA256_LEN];
	crypto_sha256(token, strlen(token), hash);
	struct db_expert_ref ref;
	assert_int_equal(db_expert_by_token(fx->db, hash, &ref), DB_FOUND);
	assert_int_equal(ref.survey_id, sv->id);
	assert_false(ref.revoked);
	assert_int_equal(strlen(ref.pseudonym), 10);
	assert_memory_equal(ref.pseudonym, "P-", 2);
	assert_true(is_hex(ref.pseudonym + 2, 8));
	hash[0] ^= 1;
	assert_int_equal(db_expert_by_token(fx->db, hash, &ref), DB_NOT_FOUND);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM experts WHERE length(token_hash) = 32"),
			 1);

	/* Again with the same id: updated, no token, same pseudonym, fields replaced. */
	struct db_expert_ref before;
	assert_int_equal(db_expert_by_ext_id(fx->db, sv->id, "E1", &before), DB_FOUND);
	in.name = "Alice Aoki";
	in.sector = DB_SECTOR_ACADEMIA;
	in.fields = en;
	in.n_fields = 1;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_expert_upsert(fx->db, sv, &in, token2, &created), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_false(created);
	assert_string_equal(token2, "");
	assert_int_equal(db_expert_by_ext_id(fx->db, sv->id, "E1", &ref), DB_FOUND);
	assert_int_equal(ref.id, before.id);
	assert_string_equal(ref.pseudonym, before.pseudonym);
	assert_int_equal(db_expert_has_field(fx->db, ref.id, sv->field_ids[0]), 0);
	assert_int_equal(db_expert_has_field(fx->db, ref.id, sv->field_ids[1]), 1);
	assert_int_equal(db_expert_count(fx->db, sv->id), 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM experts WHERE sector = 'academia' "
					     "AND name = 'Alice Aoki'"), 1);

	/* A second expert: another token, another pseudonym. */
	add_expert(fx, sv, "E2", DB_SECTOR_OTHER, en, 1);
	assert_int_equal(query_int(fx->path, "SELECT count(DISTINCT pseudonym) FROM experts"), 2);
	assert_int_equal(query_int(fx->path, "SELECT count(DISTINCT token_hash) FROM experts"), 2);
	assert_int_equal(db_expert_by_ext_id(fx->db, sv->id, "E3", &ref), DB_NOT_FOUND);
	db_survey_free(sv);
}

static void test_sector_names(void **state)
{
	(void)state;
	assert_string_equal(db_sector_name(DB_SECTOR_ACADEMIA), "academia");
	assert_string_equal(db_sector_name(DB_SECTOR_OTHER), "other");
	assert_int_equal(db_sector_parse("government"), DB_SECTOR_GOVERNMENT);
	assert_int_equal(db_sector_parse("industry"), DB_SECTOR_INDUSTRY);
	assert_int_equal(db_sector_parse("Academia"), -1);
	assert_int_equal(db_sector_parse(""), -1);
}

/* ---- rounds ------------------------------------------------------------------------------- */

static void test_round_state_machine(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = stored_survey(fx);
	struct db_round r;
	int64_t invited;

	/* No experts: nobody to invite, and nothing was written. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_NOBODY);
	assert_int_equal(r.number, 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_round_get(fx->db, sv->id, 0, &r), DB_NOT_FOUND);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, sv, &r), DB_ROUND_NONE_OPEN);
	assert_int_equal(r.number, 0);
	db_rollback(fx->db);

	size_t ai[1] = { 0 }, en[1] = { 1 };
	int64_t e1 = add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, ai, 1);
	int64_t e2 = add_expert(fx, sv, "E2", DB_SECTOR_INDUSTRY, ai, 1);
	int64_t e3 = add_expert(fx, sv, "E3", DB_SECTOR_GOVERNMENT, en, 1);

	/* Round 1 invites all three. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(r.number, 1);
	assert_int_equal(r.state, DB_ROUND_OPEN);
	assert_int_equal(invited, 3);
	assert_string_equal(r.closed_at, "");
	struct db_round r1 = r;
	assert_int_equal(db_round_is_invited(fx->db, r1.id, e3), 1);

	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_ALREADY_OPEN);
	assert_int_equal(r.number, 1);
	db_rollback(fx->db);

	/* An expert added while round 1 is open is invited to it. */
	int64_t e4 = add_expert(fx, sv, "E4", DB_SECTOR_OTHER, en, 1);
	assert_int_equal(db_round_is_invited(fx->db, r1.id, e4), 1);

	/* E1 and E3 answer round 1; E2 and E4 do not. */
	put(fx, sv, r1.id, e1, 0, 1, ANSWER_VALUE, 4, NULL);
	put(fx, sv, r1.id, e3, 2, 0, ANSWER_VALUE, 2, NULL);
	put(fx, sv, r1.id, e3, 2, 1, ANSWER_DONT_KNOW, 0, NULL);

	/* Status: invited AI: E1, E2 = 2; EN: E3, E4 = 2. Respondents AI: E1 (1 answer);
	 * EN: E3 (2 answers). */
	struct db_round_status st;
	assert_int_equal(db_round_status(fx->db, sv, &r1, &st), 0);
	assert_int_equal(st.total.invited, 4);
	assert_int_equal(st.total.respondents, 2);
	assert_int_equal(st.total.answers, 3);
	assert_int_equal(st.n_fields, 2);
	assert_int_equal(st.per_field[0].invited, 2);
	assert_int_equal(st.per_field[0].respondents, 1);
	assert_int_equal(st.per_field[0].answers, 1);
	assert_int_equal(st.per_field[1].invited, 2);
	assert_int_equal(st.per_field[1].respondents, 1);
	assert_int_equal(st.per_field[1].answers, 2);
	db_round_status_release(&st);

	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(r.state, DB_ROUND_CLOSED);
	assert_int_equal(strlen(r.closed_at), 20);

	/* Round 2 invites the respondents of round 1 only: E1 and E3. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(r.number, 2);
	assert_int_equal(invited, 2);
	assert_int_equal(db_round_is_invited(fx->db, r.id, e1), 1);
	assert_int_equal(db_round_is_invited(fx->db, r.id, e2), 0);
	assert_int_equal(db_round_is_invited(fx->db, r.id, e3), 1);
	assert_int_equal(db_round_is_invited(fx->db, r.id, e4), 0);
	/* A new expert is not invited to round 2 (it invites respondents). */
	int64_t e5 = add_expert(fx, sv, "E5", DB_SECTOR_OTHER, en, 1);
	assert_int_equal(db_round_is_invited(fx->db, r.id, e5), 0);

	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_round_close(fx->db, sv, &r), DB_ROUND_NONE_OPEN);
	assert_int_equal(r.number, 2);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_ALL_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_round_get(fx->db, sv->id, 1, &r), DB_FOUND);
	assert_int_equal(r.state, DB_ROUND_CLOSED);
	assert_int_equal(db_round_get(fx->db, sv->id, 3, &r), DB_NOT_FOUND);
	db_survey_free(sv);
}

static void test_round_invite_all_and_nobody(void **state)
{
	struct fixture *fx = *state;
	/* The same survey with rounds.invite "all", under another slug. */
	char *json = strdup(fx->json);
	char *p = strstr(json, "\"respondents\"");
	assert_non_null(p);
	memcpy(p, "\"all\"        ", 13);
	p = strstr(json, "\"cli-test\"");
	memcpy(p, "\"cli-all\" ", 10);
	struct survey *s = load_survey(json, strlen(json));
	assert_int_equal(s->invite, SURVEY_INVITE_ALL);
	struct db_survey *sv;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, json, strlen(json), s), DB_STORE_CREATED);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_survey_get(fx->db, "cli-all", &sv), DB_FOUND);

	size_t ai[1] = { 0 };
	add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, ai, 1);
	add_expert(fx, sv, "E2", DB_SECTOR_ACADEMIA, ai, 1);
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_round_close(fx->db, sv, &r), DB_ROUND_DONE);
	/* Nobody answered round 1, yet round 2 invites everyone. */
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(r.number, 2);
	assert_int_equal(invited, 2);
	assert_int_equal(db_commit(fx->db), 0);
	db_survey_free(sv);
	survey_free(s);
	free(json);

	/* With "respondents", a round after one nobody answered is not opened. */
	sv = stored_survey(fx);
	add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, ai, 1);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_round_close(fx->db, sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_NOBODY);
	assert_int_equal(r.number, 1);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_round_get(fx->db, sv->id, 0, &r), DB_FOUND);
	assert_int_equal(r.number, 1);
	db_survey_free(sv);
}

/* ---- answers ------------------------------------------------------------------------------ */

static void test_answers_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = stored_survey(fx);
	size_t ai[1] = { 0 };
	int64_t e1 = add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, ai, 1);
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);

	/* Topic AI-02 (index 1): every kind of stored form. Questions: 0 expertise,
	 * 1 importance, 2 tech_year, 3 social_year, 4 measures, 5 comment. */
	put(fx, sv, r.id, e1, 1, 0, ANSWER_VALUE, 3, NULL);
	put(fx, sv, r.id, e1, 1, 1, ANSWER_DONT_KNOW, 0, NULL);
	put(fx, sv, r.id, e1, 1, 2, ANSWER_VALUE, 2031, NULL);
	put(fx, sv, r.id, e1, 1, 3, ANSWER_NEVER, 0, NULL);
	put(fx, sv, r.id, e1, 1, 4, ANSWER_VALUE, 5, NULL); /* collaboration + regulation */
	put(fx, sv, r.id, e1, 1, 5, ANSWER_VALUE, 0, "first thoughts");
	/* Replacing: the comment changes. */
	put(fx, sv, r.id, e1, 1, 5, ANSWER_VALUE, 0, "second thoughts");

	struct answer a[6];
	bool present[6];
	for (size_t i = 0; i < 6; i++)
		a[i] = (struct answer)ANSWER_INIT;
	assert_int_equal(db_answers_load_topic(fx->db, sv, r.id, e1, 1, a, present), 0);
	for (size_t i = 0; i < 6; i++)
		assert_true(present[i]);
	assert_true(a[0].special == ANSWER_VALUE && a[0].num == 3);
	assert_int_equal(a[1].special, ANSWER_DONT_KNOW);
	assert_true(a[2].special == ANSWER_VALUE && a[2].num == 2031);
	assert_int_equal(a[3].special, ANSWER_NEVER);
	assert_true(a[4].special == ANSWER_VALUE && a[4].num == 5);
	assert_string_equal(a[5].text, "second thoughts");
	for (size_t i = 0; i < 6; i++)
		answer_release(&a[i]);
	/* Stored form: exactly one of num, special, text per row; 6 rows. */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM answers"), 6);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM answers WHERE special IS NOT NULL"), 2);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM answers WHERE text IS NOT NULL"), 1);

	/* Delete one; another topic has nothing. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_answer_delete(fx->db, sv, r.id, e1, 1, 5), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_answers_load_topic(fx->db, sv, r.id, e1, 1, a, present), 0);
	assert_false(present[5]);
	for (size_t i = 0; i < 6; i++)
		answer_release(&a[i]);
	assert_int_equal(db_answers_load_topic(fx->db, sv, r.id, e1, 0, a, present), 0);
	for (size_t i = 0; i < 6; i++)
		assert_false(present[i]);
	db_survey_free(sv);
}

/*
 * db_answer_put replaces a stored answer whatever the stored and the new form (a value replacing
 * a value takes a cheaper UPDATE; any other change goes through the upsert): a year becomes
 * "never" and back, an ordinal "dont_know" becomes a value, a text changes. After each put the
 * row holds exactly the new form (num, special and text: the other two NULL), updated_at is set,
 * and there is still one row per question. A value for a question with no row yet is inserted.
 */
static void test_answer_put_replaces_every_form(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = stored_survey(fx);
	size_t ai[1] = { 0 };
	int64_t e1 = add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, ai, 1);
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	/* Topic 0, questions: 1 importance (ordinal, dont_know), 3 social_year (never), 5 comment */
	static const char row[] =
		"SELECT coalesce(num, '-') || '|' || coalesce(special, '-') || '|' || "
		"coalesce(text, '-') FROM answers WHERE question_id = (SELECT id FROM questions "
		"WHERE key = '%s') AND updated_at LIKE '____-__-__T__:__:__Z'";
	char sql[512], got[64];
#define STORED(key, want)                                                                     \
	do {                                                                                  \
		snprintf(sql, sizeof sql, row, key);                                          \
		query_text(fx->path, sql, got, sizeof got);                                   \
		assert_string_equal(got, want);                                               \
	} while (0)

	put(fx, sv, r.id, e1, 0, 3, ANSWER_VALUE, 2040, NULL); /* inserted */
	STORED("social_year", "2040|-|-");
	put(fx, sv, r.id, e1, 0, 3, ANSWER_VALUE, 2045, NULL); /* value over value */
	STORED("social_year", "2045|-|-");
	put(fx, sv, r.id, e1, 0, 3, ANSWER_NEVER, 0, NULL); /* special over value */
	STORED("social_year", "-|never|-");
	put(fx, sv, r.id, e1, 0, 3, ANSWER_VALUE, 2033, NULL); /* value over special */
	STORED("social_year", "2033|-|-");

	put(fx, sv, r.id, e1, 0, 1, ANSWER_DONT_KNOW, 0, NULL); /* inserted as a special */
	STORED("importance", "-|dont_know|-");
	put(fx, sv, r.id, e1, 0, 1, ANSWER_VALUE, 4, NULL);
	STORED("importance", "4|-|-");

	put(fx, sv, r.id, e1, 0, 5, ANSWER_VALUE, 0, "one");
	STORED("comment", "-|-|one");
	put(fx, sv, r.id, e1, 0, 5, ANSWER_VALUE, 0, "two");
	STORED("comment", "-|-|two");
#undef STORED
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM answers"), 3);
	db_survey_free(sv);
}

struct collected {
	size_t n;
	char lines[16][96];
};

static int collect_cb(const struct db_export_row *row, void *arg)
{
	struct collected *c = arg;
	assert_true(c->n < 16);
	char value[32];
	if (row->value.special != ANSWER_VALUE)
		snprintf(value, sizeof value, "%s", answer_special_name(row->value.special));
	else if (row->value.text)
		snprintf(value, sizeof value, "%s", row->value.text);
	else
		snprintf(value, sizeof value, "%lld", (long long)row->value.num);
	char expertise[8] = "";
	if (row->has_expertise)
		snprintf(expertise, sizeof expertise, "%lld", (long long)row->expertise.num);
	snprintf(c->lines[c->n++], sizeof c->lines[0], "%d %s t%zu q%zu e%s %s", row->round,
		 row->sector, row->topic, row->question, expertise, value);
	return 0;
}

static void test_export_order_and_expertise(void **state)
{
	struct fixture *fx = *state;
	struct db_survey *sv = stored_survey(fx);
	size_t ai_en[2] = { 0, 1 };
	int64_t e1 = add_expert(fx, sv, "E1", DB_SECTOR_ACADEMIA, ai_en, 2);
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	/* Stored out of order on purpose: EN-01 importance, then AI-01 importance and
	 * expertise. */
	put(fx, sv, r.id, e1, 2, 1, ANSWER_VALUE, 2, NULL);
	put(fx, sv, r.id, e1, 0, 1, ANSWER_VALUE, 4, NULL);
	put(fx, sv, r.id, e1, 0, 0, ANSWER_VALUE, 3, NULL);
	struct collected c = { 0 };
	assert_int_equal(db_answers_export(fx->db, sv, 0, collect_cb, &c), 0);
	/* By topic (AI-01 = t0, EN-01 = t2), then question; expertise only where given (AI-01). */
	assert_int_equal(c.n, 3);
	assert_string_equal(c.lines[0], "1 academia t0 q0 e3 3");
	assert_string_equal(c.lines[1], "1 academia t0 q1 e3 4");
	assert_string_equal(c.lines[2], "1 academia t2 q1 e 2");
	c.n = 0;
	assert_int_equal(db_answers_export(fx->db, sv, 2, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);
	db_survey_free(sv);
}

/* ---- transactions ------------------------------------------------------------------------- */

static void test_savepoints_and_rollback(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_audit(fx->db, "cli", "test.kept", ""), 0);
	assert_int_equal(db_savepoint(fx->db), 0);
	assert_int_equal(db_audit(fx->db, "cli", "test.undone", ""), 0);
	assert_int_equal(db_savepoint_rollback(fx->db), 0);
	assert_int_equal(db_savepoint(fx->db), 0);
	assert_int_equal(db_audit(fx->db, "cli", "test.released", "detail"), 0);
	assert_int_equal(db_savepoint_release(fx->db), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_audit(fx->db, "cli", "test.rolled-back", ""), 0);
	db_rollback(fx->db);
	db_rollback(fx->db); /* no transaction: a no-op */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM audit_log WHERE action LIKE 'test.%'"),
			 2);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM audit_log WHERE action = "
					     "'test.released' AND detail = 'detail' AND actor = 'cli'"),
			 1);
	/* A statement error is reported through db_error. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_begin(fx->db), -1);
	assert_non_null(strstr(db_error(fx->db), "cannot begin a transaction"));
	db_rollback(fx->db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrates_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_5_keeps_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_readonly_needs_current_schema, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_file_without_create, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_survey_store_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survey_get_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expert_tokens_and_updates, setup, teardown),
		cmocka_unit_test(test_sector_names),
		cmocka_unit_test_setup_teardown(test_round_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_invite_all_and_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_put_replaces_every_form, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_export_order_and_expertise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_savepoints_and_rollback, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
