/*
 * test_schedule — the round scheduler (schedule.c, db_schedule.c): the strict UTC time format and
 * the "is it due" comparison (expected epoch values worked out by hand and with a calendar, not
 * with the code under test); the look for due rounds against hand-written rows (only open rounds
 * with a close_at at or before now, earliest first, the limit and the callback's stop honoured;
 * the partial index of migration 0006 is there); and the scheduler's thread with a real writer on a
 * real file: a round whose close_at has passed is closed with its statistics and an audit row by
 * "system:schedule", while a round due later and a round without close_at stay open.
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
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "db_console.h"
#include "db_schedule.h"
#include "schedule.h"
#include "writer.h"

#define SURVEY_FILE "tests/data/cli/survey.json"

/* ---- Time ----------------------------------------------------------------------------------- */

static void test_time_parse_valid(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		long long want;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01Z", 1 },
		{ "2000-03-01T00:00:00Z", 951868800 },    /* 946684800 (2000-01-01) + 60 days */
		{ "2024-02-29T12:34:56Z", 1709210096 },   /* a leap day */
		{ "2025-06-01T00:00:00Z", 1748736000 },
		{ "9999-12-31T23:59:59Z", 253402300799 }, /* the last moment the format holds */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		time_t t = -1;
		assert_int_equal(schedule_time_parse(cases[i].text, &t), 0);
		assert_true((long long)t == cases[i].want);
	}
}

static void test_time_parse_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"2025-02-29T00:00:00Z",      /* 2025 is no leap year */
		"2025-02-30T00:00:00Z",      "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z",
		"2025-00-10T00:00:00Z",      "2025-01-00T00:00:00Z", "2025-01-01T24:00:00Z",
		"2025-01-01T00:60:00Z",      "2025-01-01T00:00:60Z", /* no leap second */
		"1969-12-31T23:59:59Z",      "0000-01-01T00:00:00Z", /* before 1970 */
		"2025-01-01 00:00:00Z",      "2025-01-01T00:00:00",  "2025-01-01T00:00:00+00:00",
		"2025-01-01T00:00:00z",      "2025-1-01T00:00:00Z",  "+025-01-01T00:00:00Z",
		" 2025-01-01T00:00:00Z",     "2025-01-01T00:00:0aZ", "2025/01/01T00:00:00Z",
		"2025-01-01T00:00:00Z ",     "2025-01-01T00:00:00.5Z", "",
		"tomorrow",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		time_t t = 12345;
		if (schedule_time_parse(bad[i], &t) != -1)
			fail_msg("\"%s\" was taken", bad[i]);
		assert_int_equal(t, 12345); /* untouched */
	}
	time_t t;
	assert_int_equal(schedule_time_parse(NULL, &t), -1);
}

static void test_time_format(void **state)
{
	(void)state;
	char out[DB_TIME_MAX];
	schedule_time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	schedule_time_format(1709210096, out);
	assert_string_equal(out, "2024-02-29T12:34:56Z");
	schedule_time_format(253402300799, out);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
}

static void test_is_due(void **state)
{
	(void)state;
	const time_t now = 1709210096; /* 2024-02-29T12:34:56Z */
	assert_true(schedule_is_due("2024-02-29T12:34:56Z", now));  /* the very second */
	assert_true(schedule_is_due("2024-02-29T12:34:55Z", now));
	assert_true(schedule_is_due("1970-01-01T00:00:00Z", now));
	assert_false(schedule_is_due("2024-02-29T12:34:57Z", now)); /* one second early */
	assert_false(schedule_is_due("2025-01-01T00:00:00Z", now));
	assert_false(schedule_is_due("", now));                     /* no scheduled close */
	assert_false(schedule_is_due(NULL, now));
	assert_false(schedule_is_due("2024-02-30T00:00:00Z", now)); /* not a real time */
	assert_false(schedule_is_due("yesterday", now));
	/* Text order is time order for valid texts: what the SQL look relies on. */
	assert_true(strcmp("2024-02-29T12:34:55Z", "2024-02-29T12:34:56Z") < 0);
}

/* ---- The look (db_schedule_due) ------------------------------------------------------------- */

struct tmpdb {
	char dir[64], path[128];
};

static void tmpdb_make(struct tmpdb *t, const char *name)
{
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	snprintf(t->dir, sizeof t->dir, "/tmp/test_schedule.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
	assert_int_equal(db_open(t->path, DB_READWRITE | DB_CREATE, &db, err), 0);
	db_close(db);
}

static void tmpdb_remove(struct tmpdb *t)
{
	test_db_unlink(t->path);
	rmdir(t->dir);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *c;
	char *msg = NULL;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(c);
}

static long long query_int(const char *path, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return v;
}

struct seen {
	char text[8][120];
	size_t n;
	size_t stop_after; /* 0: never stop */
};

static int seen_cb(const struct db_schedule_due *d, void *arg)
{
	struct seen *s = arg;
	snprintf(s->text[s->n], sizeof s->text[s->n], "%lld/%lld/%s/%d/%s", (long long)d->round_id,
		 (long long)d->survey_id, d->slug, d->number, d->close_at);
	s->n++;
	return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

static void test_due_rounds(void **state)
{
	(void)state;
	struct tmpdb t;
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	tmpdb_make(&t, "due.db");
	exec_sql(t.path,
		 "INSERT INTO surveys (id, slug, definition, loaded_at) VALUES"
		 "  (1, 'alpha', '{}', 't'), (2, 'beta', '{}', 't'), (3, 'gamma', '{}', 't'),"
		 "  (4, 'delta', '{}', 't'), (5, 'eps', '{}', 't');"
		 "INSERT INTO rounds (id, survey_id, number, state, opened_at, closed_at, close_at) VALUES"
		 /* closed, its close_at long past: not due */
		 "  (10, 1, 1, 'closed', 't', 't', '2025-01-01T00:00:00Z'),"
		 /* open, a second before now: due */
		 "  (11, 1, 2, 'open', 't', NULL, '2025-05-31T23:59:59Z'),"
		 /* open, exactly now: due */
		 "  (20, 2, 1, 'open', 't', NULL, '2025-06-01T00:00:00Z'),"
		 /* open, a second after now: not due */
		 "  (30, 3, 1, 'open', 't', NULL, '2025-06-01T00:00:01Z'),"
		 /* open without a scheduled close: never due */
		 "  (40, 4, 1, 'open', 't', NULL, NULL),"
		 /* open, the earliest: due first */
		 "  (50, 5, 1, 'open', 't', NULL, '2024-12-31T00:00:00Z');");
	assert_int_equal(query_int(t.path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
					   "AND name = 'rounds_due' AND tbl_name = 'rounds'"),
			 1);
	assert_int_equal(db_open(t.path, DB_READONLY, &db, err), 0);

	struct seen s = { .n = 0 };
	assert_int_equal(db_schedule_due(db, "2025-06-01T00:00:00Z", 16, seen_cb, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "50/5/eps/1/2024-12-31T00:00:00Z");
	assert_string_equal(s.text[1], "11/1/alpha/2/2025-05-31T23:59:59Z");
	assert_string_equal(s.text[2], "20/2/beta/1/2025-06-01T00:00:00Z");

	struct seen lim = { .n = 0 }; /* the limit */
	assert_int_equal(db_schedule_due(db, "2025-06-01T00:00:00Z", 2, seen_cb, &lim), 0);
	assert_int_equal(lim.n, 2);
	assert_string_equal(lim.text[1], "11/1/alpha/2/2025-05-31T23:59:59Z");

	struct seen stop = { .n = 0, .stop_after = 1 }; /* the callback stops the walk */
	assert_int_equal(db_schedule_due(db, "2025-06-01T00:00:00Z", 16, seen_cb, &stop), 7);
	assert_int_equal(stop.n, 1);

	struct seen none = { .n = 0 }; /* before every close_at */
	assert_int_equal(db_schedule_due(db, "2024-01-01T00:00:00Z", 16, seen_cb, &none), 0);
	assert_int_equal(none.n, 0);
	db_close(db);
	tmpdb_remove(&t);
}

/* ---- The scheduler's thread ----------------------------------------------------------------- */

/* Stores the survey of SURVEY_FILE under slug (its own is cli-test), adds two experts, opens
 * round 1, stores one answer and sets close_at (NULL: none). Returns the round's id. */
static int64_t survey_with_open_round(struct db *db, const char *slug, const char *close_at)
{
	char json[8192], *p, err[ANSWER_ERR_MAX];
	struct survey *s = NULL;
	struct survey_error serr;
	struct db_survey *sv = NULL;
	struct db_round r;
	int64_t invited;
	FILE *f = fopen(SURVEY_FILE, "rb");
	assert_non_null(f);
	size_t len = fread(json, 1, sizeof json - 1, f);
	fclose(f);
	json[len] = '\0';
	assert_non_null(p = strstr(json, "\"cli-test\""));
	assert_int_equal(strlen(slug), strlen("cli-test")); /* replaced in place */
	memcpy(p + 1, slug, strlen(slug));
	assert_int_equal(survey_load_string(json, len, "test", &s, &serr), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_survey_store(db, json, len, s), DB_STORE_CREATED);
	survey_free(s);
	assert_int_equal(db_survey_get(db, slug, &sv), DB_FOUND);
	static const size_t ai[] = { 0 };
	static const char *const ids[] = { "X1", "X2" };
	for (size_t i = 0; i < 2; i++) {
		struct db_expert_in in = { ids[i], "Name", "", DB_SECTOR_ACADEMIA, ai, 1 };
		char token[DB_TOKEN_HEX + 1];
		bool created;
		assert_int_equal(db_expert_upsert(db, sv, &in, token, &created), 0);
	}
	assert_int_equal(db_round_open(db, sv, &r, &invited), DB_ROUND_DONE);
	struct db_expert_ref x1;
	struct answer a = ANSWER_INIT;
	assert_int_equal(db_expert_by_ext_id(db, sv->id, "X1", &x1), DB_FOUND);
	assert_int_equal(answer_parse_text(&sv->survey->questions[1], "4", &a, err), 0);
	assert_int_equal(db_answer_put(db, sv, r.id, x1.id, 0, 1, &a), 0);
	answer_release(&a);
	assert_int_equal(db_console_round_set_close_at(db, r.id, close_at), 0);
	assert_int_equal(db_commit(db), 0);
	db_survey_free(sv);
	return r.id;
}

static void test_scheduler_closes_due_round(void **state)
{
	(void)state;
	struct tmpdb t;
	struct db *db = NULL;
	struct writer *w = NULL;
	struct schedule *s = NULL;
	char err[DB_ERR_MAX], sql[256];
	assert_int_equal(crypto_init(), 0);
	tmpdb_make(&t, "sched.db");
	assert_int_equal(db_open(t.path, DB_READWRITE, &db, err), 0);
	int64_t due = survey_with_open_round(db, "due-test", "2020-01-01T00:00:00Z");
	int64_t later = survey_with_open_round(db, "nxt-test", "9999-12-31T23:59:59Z");
	int64_t never = survey_with_open_round(db, "non-test", NULL);
	db_close(db);

	assert_non_null(w = writer_new(t.path, NULL, err, sizeof err));
	struct schedule_options so = { .db_path = t.path, .writer = w, .interval_ms = 50 };
	assert_int_equal(schedule_new(&so, &s, err, sizeof err), 0);
	snprintf(sql, sizeof sql, "SELECT state = 'closed' FROM rounds WHERE id = %lld",
		 (long long)due);
	for (int i = 0; i < 100 && !query_int(t.path, sql); i++) /* 5 s at most */
		usleep(50 * 1000);
	/* A few more looks: nothing else is due, and nothing is closed twice. */
	usleep(200 * 1000);
	schedule_stop(s);
	writer_stop(w);

	assert_int_equal(query_int(t.path, sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM stats WHERE round_id = %lld AND grp = 'all'",
		 (long long)due);
	assert_true(query_int(t.path, sql) > 0);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM rounds WHERE id IN (%lld, %lld) AND state = 'open' AND "
		 "closed_at IS NULL",
		 (long long)later, (long long)never);
	assert_int_equal(query_int(t.path, sql), 2);
	assert_int_equal(query_int(t.path, "SELECT count(*) FROM audit_log WHERE action = "
					   "'round.close'"),
			 1);
	assert_int_equal(query_int(t.path,
				   "SELECT count(*) FROM audit_log WHERE action = 'round.close' AND "
				   "actor = 'system:schedule' AND detail LIKE 'survey=due-test round=1 "
				   "rows=% reason=scheduled close at 2020-01-01T00:00:00Z'"),
			 1);
	schedule_free(s);
	schedule_free(NULL);
	writer_free(w);
	tmpdb_remove(&t);
	crypto_release();
}

/* Stopping at once (before or during the first look) leaves nothing behind, and is idempotent. */
static void test_scheduler_stops(void **state)
{
	(void)state;
	struct tmpdb t;
	struct writer *w = NULL;
	struct schedule *s = NULL;
	char err[DB_ERR_MAX];
	tmpdb_make(&t, "stop.db");
	assert_non_null(w = writer_new(t.path, NULL, err, sizeof err));
	struct schedule_options so = { .db_path = t.path, .writer = w };
	assert_int_equal(schedule_new(&so, &s, err, sizeof err), 0);
	schedule_stop(s);
	schedule_stop(s);
	schedule_free(s);
	writer_free(w);
	/* A database that does not exist: refused with a message, nothing started. */
	so.db_path = "/nonexistent/dir/x.db";
	s = (struct schedule *)&so; /* must be reset to NULL */
	assert_int_equal(schedule_new(&so, &s, err, sizeof err), -1);
	assert_null(s);
	assert_non_null(strstr(err, "scheduler: "));
	tmpdb_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse_valid),
		cmocka_unit_test(test_time_parse_invalid),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_is_due),
		cmocka_unit_test(test_due_rounds),
		cmocka_unit_test(test_scheduler_closes_due_round),
		cmocka_unit_test(test_scheduler_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
