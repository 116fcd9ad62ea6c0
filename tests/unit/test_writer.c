/*
 * test_writer — the group-commit writer thread (server/writer.c) against real database files in
 * a temporary directory: every job completed exactly once with the right result, a failing job
 * rolled back alone, batching, acknowledged = durable (visible from a fresh connection, and still
 * there after the writer process is killed with SIGKILL), graceful stop, refusals, statistics.
 *
 * The jobs write what the server writes: experts' answers (db_answer_put) to a tiny survey
 * loaded with survey_load_string and stored with db_survey_store. Its two text questions
 * (comment, remark) over six topics give each expert 12 answer slots; N_EXPERTS experts give
 * N_KEYS slots, numbered by a "key" k:
 *     expert = k / 12, topic = (k / 2) % 6, question = comment if k is even, else remark.
 * A job for key k stores the text "<v>" with v = g * N_KEYS + k (g: a generation, 0 unless a
 * key is written again), so a row says which job wrote it. The test reads rows back with SQLite
 * directly, on a connection of its own, never through the writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "crypto.h"
#include "db.h"
#include "writer.h"

#define N_TOPICS 6
#define N_TEXT_Q 2
#define SLOTS_PER_EXPERT (N_TOPICS * N_TEXT_Q) /* 12 */
#define N_EXPERTS 200
#define N_KEYS (N_EXPERTS * SLOTS_PER_EXPERT) /* 2400 */

static const char SURVEY_JSON[] =
	"{\"slug\": \"writer-test\", \"title\": {\"en\": \"Writer test\"}, \"year\": 2025,"
	" \"horizon\": 2040, \"languages\": [\"en\"],"
	" \"fields\": [{\"code\": \"F\", \"title\": {\"en\": \"Field\"}}],"
	" \"topics\": ["
	"  {\"code\": \"T1\", \"field\": \"F\", \"title\": {\"en\": \"One\"}},"
	"  {\"code\": \"T2\", \"field\": \"F\", \"title\": {\"en\": \"Two\"}},"
	"  {\"code\": \"T3\", \"field\": \"F\", \"title\": {\"en\": \"Three\"}},"
	"  {\"code\": \"T4\", \"field\": \"F\", \"title\": {\"en\": \"Four\"}},"
	"  {\"code\": \"T5\", \"field\": \"F\", \"title\": {\"en\": \"Five\"}},"
	"  {\"code\": \"T6\", \"field\": \"F\", \"title\": {\"en\": \"Six\"}}],"
	" \"questions\": ["
	"  {\"key\": \"importance\", \"kind\": \"ordinal\", \"text\": {\"en\": \"Important?\"},"
	"   \"labels\": [{\"value\": 2, \"text\": {\"en\": \"high\"}},"
	"                {\"value\": 1, \"text\": {\"en\": \"low\"}}]},"
	"  {\"key\": \"comment\", \"kind\": \"text\", \"text\": {\"en\": \"Comment?\"}},"
	"  {\"key\": \"remark\", \"kind\": \"text\", \"text\": {\"en\": \"Remark?\"}}]}";

enum { Q_IMPORTANCE, Q_COMMENT, Q_REMARK };

struct fixture {
	char dir[64];
	char path[128];
	struct db_survey *sv;
	int64_t round_id;
	int64_t experts[N_EXPERTS]; /* row ids, by ext_id "e<i>" */
};

/* ---- the fixture: a database with the survey, N_EXPERTS experts and round 1 open ---------- */

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	struct survey *s = NULL;
	struct survey_error serr;
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	assert_non_null(fx);
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_writer.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);

	assert_int_equal(survey_load_string(SURVEY_JSON, strlen(SURVEY_JSON), "writer-test", &s,
					    &serr), 0);
	assert_int_equal(s->n_topics, N_TOPICS);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &db, err), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_survey_store(db, SURVEY_JSON, strlen(SURVEY_JSON), s),
			 DB_STORE_CREATED);
	assert_int_equal(db_commit(db), 0);
	survey_free(s);
	assert_int_equal(db_survey_get(db, "writer-test", &fx->sv), DB_FOUND);

	static const size_t field0[] = { 0 };
	assert_int_equal(db_begin(db), 0);
	for (int i = 0; i < N_EXPERTS; i++) {
		char ext[16], token[DB_TOKEN_HEX + 1];
		bool created;
		struct db_expert_ref ref;
		snprintf(ext, sizeof ext, "e%d", i);
		struct db_expert_in in = { ext, "Name", "", DB_SECTOR_ACADEMIA, field0, 1 };
		assert_int_equal(db_expert_upsert(db, fx->sv, &in, token, &created), 0);
		assert_true(created);
		assert_int_equal(db_expert_by_ext_id(db, fx->sv->id, ext, &ref), DB_FOUND);
		fx->experts[i] = ref.id;
	}
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_round_open(db, fx->sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(invited, N_EXPERTS);
	assert_int_equal(db_commit(db), 0);
	fx->round_id = r.id;
	db_close(db);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	test_db_unlink(fx->path);
	rmdir(fx->dir);
	db_survey_free(fx->sv);
	free(fx);
	crypto_release();
	return 0;
}

/* The slot of key k (see the top of the file). */
static void key_slot(long k, size_t *expert, size_t *topic, size_t *question)
{
	*expert = (size_t)(k / SLOTS_PER_EXPERT);
	*topic = (size_t)(k / N_TEXT_Q % N_TOPICS);
	*question = k % 2 == 0 ? Q_COMMENT : Q_REMARK;
}

/* Reads every stored text answer of round 1 into value[N_KEYS] (-1 where there is none), on a
 * fresh connection, and checks that each row sits in the slot its value names. Returns the
 * number of rows. */
static long read_values(const struct fixture *fx, long long *value)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	long rows = 0;
	for (long k = 0; k < N_KEYS; k++)
		value[k] = -1;
	assert_int_equal(sqlite3_open_v2(fx->path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c,
					    "SELECT expert_id, topic_id, question_id, text "
					    "FROM answers WHERE round_id = ?1 AND text IS NOT NULL",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, fx->round_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long v = atoll((const char *)sqlite3_column_text(st, 3));
		long k = (long)(v % N_KEYS);
		size_t e, t, q;
		key_slot(k, &e, &t, &q);
		assert_int_equal(sqlite3_column_int64(st, 0), fx->experts[e]);
		assert_int_equal(sqlite3_column_int64(st, 1), fx->sv->topic_ids[t]);
		assert_int_equal(sqlite3_column_int64(st, 2), fx->sv->question_ids[q]);
		assert_int_equal(value[k], -1); /* one row per slot */
		value[k] = v;
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(c);
	return rows;
}

/* One integer from a query on a fresh connection. */
static long long query_int(const struct fixture *fx, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_open_v2(fx->path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return v;
}

static void exec_sql(const struct fixture *fx, const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(fx->path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

/* ---- test jobs ------------------------------------------------------------------------------ */

/* Counts completions so the test can wait for them. */
struct tracker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t done;
};

static void tracker_init(struct tracker *t)
{
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->done = 0;
}

static void tracker_release(struct tracker *t)
{
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}

/* Waits until n completions were counted (60 s at most). */
static void tracker_wait(struct tracker *t, size_t n)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	pthread_mutex_lock(&t->mu);
	int rc = 0;
	while (t->done < n && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&t->cv, &t->mu, &until);
	size_t done = t->done;
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(done, n);
}

enum mode {
	PUT,         /* stores key's answer, returns 0 */
	PUT_FAIL,    /* stores key's answer, then fails: "deliberate failure" */
	PUT_FK,      /* stores key's answer, then an answer of a nonexistent expert: SQLite fails */
	RETURN_VAL,  /* writes nothing, returns val */
	SEES_KEY,    /* returns 1 if key's slot holds an answer (as this job sees it), else 0 */
	NOOP,        /* returns 0 */
};

struct tjob {
	struct writer_job job; /* first: the completion gets &tjob through arg anyway */
	const struct fixture *fx;
	struct tracker *tr;
	enum mode mode;
	long key;
	long long val; /* the stored value (PUT*), or the value returned (RETURN_VAL) */

	int runs; /* times run was called (the writer thread's only) */

	/* Filled by done. */
	int calls;
	int rc;
	char err[WRITER_ERR_MAX];
	pthread_t thread;
};

static int tjob_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct tjob *j = arg;
	const struct fixture *fx = j->fx;
	size_t e, t, q;
	char text[32];
	j->runs++;
	key_slot(j->key, &e, &t, &q);
	snprintf(text, sizeof text, "%lld", j->val);
	struct answer a = { ANSWER_VALUE, 0, text };

	switch (j->mode) {
	case PUT:
	case PUT_FAIL:
	case PUT_FK:
		if (db_answer_put(db, fx->sv, fx->round_id, fx->experts[e], t, q, &a)) {
			snprintf(err, errlen, "%s", db_error(db));
			return -1;
		}
		if (j->mode == PUT_FAIL) {
			snprintf(err, errlen, "deliberate failure %ld", j->key);
			return -1;
		}
		if (j->mode == PUT_FK &&
		    db_answer_put(db, fx->sv, fx->round_id, 999999, t, q, &a)) {
			snprintf(err, errlen, "%s", db_error(db));
			return -1;
		}
		return 0;
	case RETURN_VAL:
		return (int)j->val;
	case SEES_KEY: {
		struct answer got[3] = { ANSWER_INIT, ANSWER_INIT, ANSWER_INIT };
		bool present[3];
		if (db_answers_load_topic(db, fx->sv, fx->round_id, fx->experts[e], t, got,
					  present)) {
			snprintf(err, errlen, "%s", db_error(db));
			return -1;
		}
		for (size_t i = 0; i < 3; i++)
			answer_release(&got[i]);
		return present[q] ? 1 : 0;
	}
	case NOOP:
		return 0;
	}
	return -1;
}

static void tjob_done(void *arg, int rc, const char *err)
{
	struct tjob *j = arg;
	pthread_mutex_lock(&j->tr->mu);
	j->calls++;
	j->rc = rc;
	j->thread = pthread_self();
	snprintf(j->err, sizeof j->err, "%s", err ? err : "(null)");
	j->tr->done++;
	pthread_cond_broadcast(&j->tr->cv);
	pthread_mutex_unlock(&j->tr->mu);
}

static void tjob_init(struct tjob *j, const struct fixture *fx, struct tracker *tr,
		      enum mode mode, long key, long long val)
{
	memset(j, 0, sizeof *j);
	j->job.run = tjob_run;
	j->job.done = tjob_done;
	j->job.arg = j;
	j->fx = fx;
	j->tr = tr;
	j->mode = mode;
	j->key = key;
	j->val = val;
	j->rc = 12345; /* no result yet */
}

/* A job that holds the writer thread until it is opened, so the test can line up the jobs that
 * follow into one batch. */
struct gate {
	struct writer_job job;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, open;
	int done_rc;
	int calls;
};

static int gate_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct gate *g = arg;
	(void)db;
	(void)err;
	(void)errlen;
	pthread_mutex_lock(&g->mu);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

static void gate_done(void *arg, int rc, const char *err)
{
	struct gate *g = arg;
	(void)err;
	pthread_mutex_lock(&g->mu);
	g->done_rc = rc;
	g->calls++;
	pthread_mutex_unlock(&g->mu);
}

static void gate_init(struct gate *g)
{
	memset(g, 0, sizeof *g);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->job.run = gate_run;
	g->job.done = gate_done;
	g->job.arg = g;
}

/* Submits the gate and waits until the writer thread is inside it (so it left the queue). */
static void gate_close(struct writer *w, struct gate *g)
{
	assert_int_equal(writer_submit(w, &g->job), 0);
	pthread_mutex_lock(&g->mu);
	while (!g->entered)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void gate_release(struct gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

static struct writer *start_writer(const struct fixture *fx, const struct writer_options *opt)
{
	char err[WRITER_ERR_MAX];
	struct writer *w = writer_new(fx->path, opt, err, sizeof err);
	if (!w)
		fail_msg("writer_new: %s", err);
	return w;
}

/* Producers: each submits its slice of jobs as fast as it can. No cmocka asserts off the main
 * thread: failures are counted and checked after the join. */
struct producer {
	pthread_t thread;
	struct writer *w;
	struct tjob *jobs;
	size_t n;
	size_t refused;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	for (size_t i = 0; i < p->n; i++)
		if (writer_submit(p->w, &p->jobs[i].job))
			p->refused++;
	return NULL;
}

/* Runs nthreads producers over jobs[n] (contiguous slices) and joins them. */
static void produce(struct writer *w, struct tjob *jobs, size_t n, size_t nthreads)
{
	struct producer p[8];
	assert_true(nthreads <= 8);
	for (size_t t = 0; t < nthreads; t++) {
		size_t from = n * t / nthreads, to = n * (t + 1) / nthreads;
		p[t] = (struct producer){ .w = w, .jobs = jobs + from, .n = to - from };
		assert_int_equal(pthread_create(&p[t].thread, NULL, producer_main, &p[t]), 0);
	}
	for (size_t t = 0; t < nthreads; t++) {
		pthread_join(p[t].thread, NULL);
		assert_int_equal(p[t].refused, 0);
	}
}

static uint64_t sum(const uint64_t *a, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i];
	return s;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/*
 * 4 producer threads submit 500 jobs each (keys 0..1999); every 7th key's job fails after writing
 * (keys 0, 7, ..., 1995: 1995 / 7 + 1 = 286 jobs). Every job is completed exactly once, on the
 * writer thread, with rc 0 or WRITER_FAILED and its own message; exactly the 2000 - 286 = 1714
 * successful keys are stored, each with its own value.
 */
static void test_producers_all_completed_once(void **state)
{
	struct fixture *fx = *state;
	enum { N = 2000 };
	struct tracker tr;
	struct tjob *jobs = calloc(N, sizeof *jobs);
	long long *value = malloc(N_KEYS * sizeof *value);
	assert_non_null(jobs);
	assert_non_null(value);
	tracker_init(&tr);
	for (long k = 0; k < N; k++)
		tjob_init(&jobs[k], fx, &tr, k % 7 == 0 ? PUT_FAIL : PUT, k, k);

	struct writer *w = start_writer(fx, NULL);
	produce(w, jobs, N, 4);
	tracker_wait(&tr, N);

	pthread_t writer_thread = jobs[0].thread;
	size_t failed = 0;
	for (long k = 0; k < N; k++) {
		assert_int_equal(jobs[k].calls, 1);
		assert_true(pthread_equal(jobs[k].thread, writer_thread));
		if (k % 7 == 0) {
			char want[64];
			snprintf(want, sizeof want, "deliberate failure %ld", k);
			assert_int_equal(jobs[k].rc, WRITER_FAILED);
			assert_string_equal(jobs[k].err, want);
			failed++;
		} else {
			assert_int_equal(jobs[k].rc, 0);
			assert_string_equal(jobs[k].err, "(null)");
		}
	}
	assert_int_equal(failed, 286);
	assert_false(pthread_equal(writer_thread, pthread_self()));

	assert_int_equal(read_values(fx, value), 1714);
	for (long k = 0; k < N; k++)
		assert_int_equal(value[k], k % 7 == 0 ? -1 : k);

	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.jobs, N);
	assert_int_equal(st.jobs_failed, 286);
	assert_int_equal(st.batches_failed, 0);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(sum(st.batch_size, WRITER_BATCH_BUCKETS), st.batches);
	assert_int_equal(sum(st.commit_usec, WRITER_COMMIT_BUCKETS), st.batches);
	assert_true(st.max_batch >= 1 && st.max_batch <= WRITER_MAX_BATCH_DEFAULT);
	writer_free(w);
	tracker_release(&tr);
	free(jobs);
	free(value);
}

/*
 * One batch, lined up behind a gate (batch 1 = the gate alone, batch 2 = these 6 jobs):
 *   0 PUT key 10          -> rc 0, stored
 *   1 PUT_FK key 11       -> writes key 11, then SQLite refuses a nonexistent expert:
 *                            WRITER_FAILED with SQLite's message; key 11 rolled back
 *   2 SEES_KEY 10         -> 1: a later job sees an earlier job's write in the same batch
 *   3 SEES_KEY 11         -> 0: ... but not the failed job's, rolled back at once
 *   4 RETURN_VAL 7        -> rc 7 (run's own result reaches done)
 *   5 PUT key 12          -> rc 0, stored
 */
static void test_failing_job_rolled_back_alone(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct gate g;
	struct tjob j[6];
	long long *value = malloc(N_KEYS * sizeof *value);
	assert_non_null(value);
	tracker_init(&tr);
	gate_init(&g);
	tjob_init(&j[0], fx, &tr, PUT, 10, 10);
	tjob_init(&j[1], fx, &tr, PUT_FK, 11, 11);
	tjob_init(&j[2], fx, &tr, SEES_KEY, 10, 0);
	tjob_init(&j[3], fx, &tr, SEES_KEY, 11, 0);
	tjob_init(&j[4], fx, &tr, RETURN_VAL, 0, 7);
	tjob_init(&j[5], fx, &tr, PUT, 12, 12);

	struct writer *w = start_writer(fx, NULL);
	gate_close(w, &g);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(writer_submit(w, &j[i].job), 0);
	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.queued, 6);
	gate_open(&g);
	tracker_wait(&tr, 6);

	assert_int_equal(j[0].rc, 0);
	assert_int_equal(j[1].rc, WRITER_FAILED);
	assert_string_equal(j[1].err, "cannot store the answer: FOREIGN KEY constraint failed");
	assert_int_equal(j[2].rc, 1);
	assert_int_equal(j[3].rc, 0);
	assert_int_equal(j[4].rc, 7);
	assert_int_equal(j[5].rc, 0);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(j[i].calls, 1);

	assert_int_equal(read_values(fx, value), 2);
	assert_int_equal(value[10], 10);
	assert_int_equal(value[11], -1);
	assert_int_equal(value[12], 12);

	writer_stats(w, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.jobs, 7);
	assert_int_equal(st.jobs_failed, 1);
	assert_int_equal(st.max_batch, 6);
	/* sizes 1 and 6: buckets "<= 1" and "<= 8" (bounds 1, 2, 4, 8, ...) */
	assert_int_equal(st.batch_size[0], 1);
	assert_int_equal(st.batch_size[3], 1);
	assert_int_equal(sum(st.batch_size, WRITER_BATCH_BUCKETS), 2);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.done_rc, 0);
	writer_free(w);
	gate_release(&g);
	tracker_release(&tr);
	free(value);
}

/*
 * The same batch as above, every job marked rerunnable: the writer first runs it without
 * savepoints; the FK failure of j[1] rolls that attempt back whole (j[0]'s write included) and
 * the batch runs again job by job in savepoints. So j[0] and j[1] run twice, the jobs after j[1]
 * once (the first attempt stopped at j[1]), and the outcome is exactly the one above: every
 * result, the message of j[1], the stored values (j[0]'s written once), the counters (7 jobs in
 * 2 committed transactions, 1 failed, no failed batch).
 */
static void test_rerunnable_batch_reruns_after_a_failure(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct gate g;
	struct tjob j[6];
	long long *value = malloc(N_KEYS * sizeof *value);
	assert_non_null(value);
	tracker_init(&tr);
	gate_init(&g);
	tjob_init(&j[0], fx, &tr, PUT, 10, 10);
	tjob_init(&j[1], fx, &tr, PUT_FK, 11, 11);
	tjob_init(&j[2], fx, &tr, SEES_KEY, 10, 0);
	tjob_init(&j[3], fx, &tr, SEES_KEY, 11, 0);
	tjob_init(&j[4], fx, &tr, RETURN_VAL, 0, 7);
	tjob_init(&j[5], fx, &tr, PUT, 12, 12);
	for (size_t i = 0; i < 6; i++)
		j[i].job.rerunnable = 1;

	struct writer *w = start_writer(fx, NULL);
	gate_close(w, &g);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(writer_submit(w, &j[i].job), 0);
	gate_open(&g);
	tracker_wait(&tr, 6);

	assert_int_equal(j[0].rc, 0);
	assert_int_equal(j[1].rc, WRITER_FAILED);
	assert_string_equal(j[1].err, "cannot store the answer: FOREIGN KEY constraint failed");
	assert_int_equal(j[2].rc, 1);
	assert_int_equal(j[3].rc, 0);
	assert_int_equal(j[4].rc, 7);
	assert_int_equal(j[5].rc, 0);
	static const int runs[6] = { 2, 2, 1, 1, 1, 1 };
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(j[i].calls, 1);
		assert_int_equal(j[i].runs, runs[i]);
	}
	assert_int_equal(read_values(fx, value), 2);
	assert_int_equal(value[10], 10);
	assert_int_equal(value[11], -1);
	assert_int_equal(value[12], 12);

	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.jobs, 7);
	assert_int_equal(st.jobs_failed, 1);
	assert_int_equal(st.batches_failed, 0);
	writer_free(w);
	gate_release(&g);
	tracker_release(&tr);
	free(value);
}

/*
 * A batch of rerunnable jobs that all succeed runs once each, and a batch that mixes in one job
 * not marked rerunnable runs the savepoint way (once each as well): a later job sees the writes
 * of an earlier one of its batch either way (SEES_KEY returns 1).
 */
static void test_rerunnable_batch_runs_once(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct gate g;
	struct tjob j[6];
	long long *value = malloc(N_KEYS * sizeof *value);
	assert_non_null(value);
	tracker_init(&tr);
	/* batch 1: all rerunnable */
	tjob_init(&j[0], fx, &tr, PUT, 20, 20);
	tjob_init(&j[1], fx, &tr, SEES_KEY, 20, 0);
	tjob_init(&j[2], fx, &tr, PUT, 21, 21);
	/* batch 2: j[4] is not rerunnable */
	tjob_init(&j[3], fx, &tr, PUT, 22, 22);
	tjob_init(&j[4], fx, &tr, SEES_KEY, 22, 0);
	tjob_init(&j[5], fx, &tr, PUT, 23, 23);
	for (size_t i = 0; i < 6; i++)
		j[i].job.rerunnable = i != 4;

	struct writer *w = start_writer(fx, NULL);
	for (size_t b = 0; b < 2; b++) {
		gate_init(&g);
		gate_close(w, &g);
		for (size_t i = 3 * b; i < 3 * b + 3; i++)
			assert_int_equal(writer_submit(w, &j[i].job), 0);
		gate_open(&g);
		tracker_wait(&tr, 3 * (b + 1));
		gate_release(&g);
	}
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(j[i].calls, 1);
		assert_int_equal(j[i].runs, 1);
	}
	assert_int_equal(j[1].rc, 1);
	assert_int_equal(j[4].rc, 1);
	assert_int_equal(read_values(fx, value), 4);
	for (long k = 20; k <= 23; k++)
		assert_int_equal(value[k], k);
	writer_free(w);
	tracker_release(&tr);
	free(value);
}

/* writer_generation moves on with a committed batch that holds a job not marked cache_neutral,
 * before that job's done runs, and stays with batches of cache_neutral jobs only. */
static void test_generation_moves_with_non_neutral_jobs(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct tjob j[3];
	tracker_init(&tr);
	struct writer *w = start_writer(fx, NULL);
	uint64_t g0 = writer_generation(w);
	tjob_init(&j[0], fx, &tr, PUT, 30, 30);
	j[0].job.cache_neutral = 1;
	assert_int_equal(writer_submit(w, &j[0].job), 0);
	tracker_wait(&tr, 1);
	assert_true(writer_generation(w) == g0);
	tjob_init(&j[1], fx, &tr, PUT, 31, 31); /* cache_neutral 0: the default */
	assert_int_equal(writer_submit(w, &j[1].job), 0);
	tracker_wait(&tr, 2);
	assert_true(writer_generation(w) == g0 + 1);
	tjob_init(&j[2], fx, &tr, PUT, 32, 32);
	j[2].job.cache_neutral = 1;
	assert_int_equal(writer_submit(w, &j[2].job), 0);
	tracker_wait(&tr, 3);
	assert_true(writer_generation(w) == g0 + 1);
	writer_free(w);
	tracker_release(&tr);
}

/* 1000 jobs submitted quickly from 4 threads commit in fewer than 1000 transactions. */
static void test_batching_happens(void **state)
{
	struct fixture *fx = *state;
	enum { N = 1000 };
	struct tracker tr;
	struct tjob *jobs = calloc(N, sizeof *jobs);
	assert_non_null(jobs);
	tracker_init(&tr);
	for (long k = 0; k < N; k++)
		tjob_init(&jobs[k], fx, &tr, PUT, k, k);
	struct writer *w = start_writer(fx, NULL);
	produce(w, jobs, N, 4);
	tracker_wait(&tr, N);
	struct writer_stats st;
	writer_stats(w, &st);
	print_message("%d jobs from 4 threads: %llu batches, mean %.1f jobs per batch, largest "
		      "%llu; mean commit %.0f us\n",
		      N, (unsigned long long)st.batches, (double)st.jobs / (double)st.batches,
		      (unsigned long long)st.max_batch,
		      (double)st.commit_usec_sum / (double)st.batches);
	assert_int_equal(st.jobs, N);
	assert_true(st.batches < N);
	assert_true(st.max_batch > 1);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers"), N);
	writer_free(w);
	tracker_release(&tr);
	free(jobs);
}

/* Acknowledged = durable: once done(0) has run, a fresh connection sees the row, while the
 * writer keeps running. Checked one job at a time, 50 times, with durability full. */
static void test_acked_is_visible(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct tjob j;
	struct writer_options opt = { .durability = WRITER_FULL };
	tracker_init(&tr);
	struct writer *w = start_writer(fx, &opt);
	for (long k = 0; k < 50; k++) {
		char sql[200];
		tjob_init(&j, fx, &tr, PUT, k, 1000 + k);
		assert_int_equal(writer_submit(w, &j.job), 0);
		tracker_wait(&tr, (size_t)k + 1);
		assert_int_equal(j.rc, 0);
		snprintf(sql, sizeof sql, "SELECT count(*) FROM answers WHERE text = '%ld'", 1000 + k);
		assert_int_equal(query_int(fx, sql), 1);
	}
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers"), 50);
	writer_free(w);
	tracker_release(&tr);
}

/* Probes stopping: submits no-op jobs until one is refused, then opens the gate. */
struct stopper {
	pthread_t thread;
	struct writer *w;
	struct gate *g;
	struct tjob probes[1000];
	size_t n_probes; /* submitted, the last one refused */
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	for (s->n_probes = 0; s->n_probes < 1000;) {
		struct tjob *p = &s->probes[s->n_probes++];
		if (writer_submit(s->w, &p->job))
			break; /* writer_stop has begun */
		usleep(1000);
	}
	gate_open(s->g);
	return NULL;
}

/*
 * writer_stop drains: 300 jobs wait behind a gate when writer_stop begins; they are all committed
 * and acknowledged before writer_stop returns. Meanwhile a thread's probe job is refused with
 * "shutting down" (done on that thread, before writer_submit returns -1); after writer_stop, a
 * submit is refused the same way on the main thread.
 */
static void test_stop_drains_then_refuses(void **state)
{
	struct fixture *fx = *state;
	enum { N = 300 };
	struct tracker tr;
	struct gate g;
	struct tjob *jobs = calloc(N, sizeof *jobs);
	struct stopper *s = calloc(1, sizeof *s);
	long long *value = malloc(N_KEYS * sizeof *value);
	assert_non_null(jobs);
	assert_non_null(s);
	assert_non_null(value);
	tracker_init(&tr);
	gate_init(&g);
	for (long k = 0; k < N; k++)
		tjob_init(&jobs[k], fx, &tr, PUT, k, k);
	for (size_t i = 0; i < 1000; i++)
		tjob_init(&s->probes[i], fx, &tr, NOOP, 0, 0);

	struct writer *w = start_writer(fx, NULL);
	gate_close(w, &g);
	for (long k = 0; k < N; k++)
		assert_int_equal(writer_submit(w, &jobs[k].job), 0);
	s->w = w;
	s->g = &g;
	assert_int_equal(pthread_create(&s->thread, NULL, stopper_main, s), 0);
	writer_stop(w); /* returns once the gate opened and everything queued was written */
	pthread_join(s->thread, NULL);

	/* Every job and probe has completed; the last probe was refused on the stopper's thread. */
	assert_true(s->n_probes >= 1 && s->n_probes < 1000);
	tracker_wait(&tr, N + s->n_probes);
	for (long k = 0; k < N; k++) {
		assert_int_equal(jobs[k].calls, 1);
		assert_int_equal(jobs[k].rc, 0);
	}
	struct tjob *last = &s->probes[s->n_probes - 1];
	assert_int_equal(last->calls, 1);
	assert_int_equal(last->rc, WRITER_REFUSED);
	assert_string_equal(last->err, "shutting down");
	assert_true(pthread_equal(last->thread, s->thread));
	for (size_t i = 0; i + 1 < s->n_probes; i++) {
		assert_int_equal(s->probes[i].calls, 1);
		assert_int_equal(s->probes[i].rc, 0);
	}

	/* After the stop: refused at once, on this thread. */
	struct tjob late;
	tjob_init(&late, fx, &tr, PUT, N, N);
	assert_int_equal(writer_submit(w, &late.job), -1);
	assert_int_equal(late.calls, 1);
	assert_int_equal(late.rc, WRITER_REFUSED);
	assert_string_equal(late.err, "shutting down");
	assert_true(pthread_equal(late.thread, pthread_self()));

	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.jobs, 1 + N + (s->n_probes - 1)); /* gate, jobs, accepted probes */
	writer_stop(w); /* idempotent */
	writer_free(w);

	assert_int_equal(read_values(fx, value), N);
	for (long k = 0; k < N; k++)
		assert_int_equal(value[k], k);
	gate_release(&g);
	tracker_release(&tr);
	free(jobs);
	free(s);
	free(value);
}

/*
 * max_queue 10: with the writer held in a gate, 10 jobs queue up, the 11th is refused with
 * "queue full" at once; once the gate opens the 10 are written. max_batch 4 splits them into
 * batches of 4, 4 and 2 (plus the gate's batch of 1): 4 batches, bucket counts
 * "<= 1": 1, "<= 2": 1, "<= 4": 2.
 */
static void test_queue_full_and_max_batch(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct gate g;
	struct tjob j[11];
	struct writer_options opt = { .max_queue = 10, .max_batch = 4 };
	tracker_init(&tr);
	gate_init(&g);
	for (long k = 0; k < 11; k++)
		tjob_init(&j[k], fx, &tr, PUT, k, k);
	struct writer *w = start_writer(fx, &opt);
	gate_close(w, &g);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(writer_submit(w, &j[i].job), 0);
	assert_int_equal(writer_submit(w, &j[10].job), -1);
	assert_int_equal(j[10].calls, 1);
	assert_int_equal(j[10].rc, WRITER_REFUSED);
	assert_string_equal(j[10].err, "queue full");
	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.queued, 10);
	assert_int_equal(st.refused, 1);

	gate_open(&g);
	tracker_wait(&tr, 11);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(j[i].rc, 0);
	writer_stop(w);
	writer_stats(w, &st);
	assert_int_equal(st.batches, 4);
	assert_int_equal(st.jobs, 11);
	assert_int_equal(st.max_batch, 4);
	assert_int_equal(st.batch_size[0], 1);
	assert_int_equal(st.batch_size[1], 1);
	assert_int_equal(st.batch_size[2], 2);
	assert_int_equal(sum(st.batch_size, WRITER_BATCH_BUCKETS), 4);
	assert_int_equal(st.queued, 0);
	writer_free(w);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers"), 10);
	gate_release(&g);
	tracker_release(&tr);
}

/*
 * A COMMIT that fails acknowledges nothing. The fault is planted in the schema: a trigger makes
 * an answer whose text is "666" insert a row with a DEFERRED foreign key to a round that does
 * not exist, which SQLite checks only at COMMIT. The batch (behind a gate): keys 20, 21 (text
 * 666), 22; all three get WRITER_FAILED with the reason
 * ("cannot commit: FOREIGN KEY constraint failed") and none is stored. The writer goes
 * on: a later job (key 23) commits.
 */
static void test_commit_failure_acks_nothing(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct gate g;
	struct tjob j[4];
	exec_sql(fx, "CREATE TABLE planted (round_id INTEGER REFERENCES rounds(id) "
		     "  DEFERRABLE INITIALLY DEFERRED);"
		     "CREATE TRIGGER plant AFTER INSERT ON answers WHEN NEW.text = '666' "
		     "  BEGIN INSERT INTO planted VALUES (987654); END;");

	tracker_init(&tr);
	gate_init(&g);
	tjob_init(&j[0], fx, &tr, PUT, 20, 20);
	tjob_init(&j[1], fx, &tr, PUT, 21, 666);
	tjob_init(&j[2], fx, &tr, PUT, 22, 22);
	tjob_init(&j[3], fx, &tr, PUT, 23, 23);
	struct writer *w = start_writer(fx, NULL);
	gate_close(w, &g);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(writer_submit(w, &j[i].job), 0);
	gate_open(&g);
	tracker_wait(&tr, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(j[i].calls, 1);
		assert_int_equal(j[i].rc, WRITER_FAILED);
		assert_string_equal(j[i].err, "cannot commit: FOREIGN KEY constraint failed");
	}
	assert_int_equal(writer_submit(w, &j[3].job), 0);
	tracker_wait(&tr, 4);
	assert_int_equal(j[3].rc, 0);

	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.batches_failed, 1);
	assert_int_equal(st.batches, 2); /* the gate's and key 23's */
	assert_int_equal(st.jobs, 2);
	writer_free(w);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers"), 1);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers WHERE text = '23'"), 1);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM planted"), 0);
	gate_release(&g);
	tracker_release(&tr);
}

/* Another process's write transaction, on a connection of its own. */
static sqlite3 *hold_write_lock(const struct fixture *fx)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(fx->path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, "BEGIN IMMEDIATE; CREATE TABLE outsider (x);", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	return c;
}

static size_t tracker_done(struct tracker *t)
{
	pthread_mutex_lock(&t->mu);
	size_t n = t->done;
	pthread_mutex_unlock(&t->mu);
	return n;
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Another process (a long `delphi round close`) holds the write lock for much longer than the
 * writer's busy timeout (200 ms here): the writer keeps trying BEGIN instead of failing the
 * batch, acknowledges nothing meanwhile, and commits every job once the lock is released.
 */
static void test_waits_for_external_write_lock(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct tjob j[3];
	struct writer_options opt = { .busy_timeout_ms = 200, .lock_wait_ms = 20000 };
	tracker_init(&tr);
	for (size_t i = 0; i < 3; i++)
		tjob_init(&j[i], fx, &tr, PUT, 30 + (long)i, 30 + (long long)i);
	struct writer *w = start_writer(fx, &opt);
	sqlite3 *outsider = hold_write_lock(fx);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(writer_submit(w, &j[i].job), 0);
	usleep(1500 * 1000); /* 7 busy timeouts */
	assert_int_equal(tracker_done(&tr), 0); /* neither acknowledged nor failed */
	double released = seconds_now();
	assert_int_equal(sqlite3_exec(outsider, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(outsider);
	tracker_wait(&tr, 3);
	double took = seconds_now() - released;
	if (took > 1.5) /* the longest pause between attempts is 1 s */
		fail_msg("committed %.2f s after the lock was released", took);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(j[i].calls, 1);
		assert_int_equal(j[i].rc, 0);
	}
	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.batches_failed, 0);
	assert_int_equal(st.jobs, 3);
	writer_free(w);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers WHERE text IN "
				       "('30', '31', '32')"), 3);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM outsider"), 0); /* it committed too */
	tracker_release(&tr);
}

/*
 * The wait is bounded: a lock held past lock_wait_ms (600 ms) fails the batch with the
 * database's reason and writes nothing of it; once the lock is gone the writer goes on.
 */
static void test_external_write_lock_wait_is_bounded(void **state)
{
	struct fixture *fx = *state;
	struct tracker tr;
	struct tjob j[2];
	struct writer_options opt = { .busy_timeout_ms = 100, .lock_wait_ms = 600 };
	tracker_init(&tr);
	tjob_init(&j[0], fx, &tr, PUT, 40, 40);
	tjob_init(&j[1], fx, &tr, PUT, 41, 41);
	struct writer *w = start_writer(fx, &opt);
	sqlite3 *outsider = hold_write_lock(fx);
	double t0 = seconds_now();
	assert_int_equal(writer_submit(w, &j[0].job), 0);
	tracker_wait(&tr, 1);
	double took = seconds_now() - t0;
	if (took < 0.55 || took > 2.0)
		fail_msg("gave up after %.2f s, expected about 0.6 s", took);
	assert_int_equal(j[0].rc, WRITER_FAILED);
	assert_string_equal(j[0].err, "cannot begin a transaction: database is locked");
	assert_int_equal(sqlite3_exec(outsider, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(outsider);
	assert_int_equal(writer_submit(w, &j[1].job), 0);
	tracker_wait(&tr, 2);
	assert_int_equal(j[1].rc, 0);
	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.batches_failed, 1);
	writer_free(w);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers WHERE text = '40'"), 0);
	assert_int_equal(query_int(fx, "SELECT count(*) FROM answers WHERE text = '41'"), 1);
	tracker_release(&tr);
}

/* writer_new reports a database it cannot open, on the calling thread. */
static void test_new_reports_bad_database(void **state)
{
	struct fixture *fx = *state;
	char err[WRITER_ERR_MAX], path[160];
	snprintf(path, sizeof path, "%s/missing.db", fx->dir);
	assert_null(writer_new(path, NULL, err, sizeof err));
	assert_non_null(strstr(err, "missing.db"));
	/* ... and creates it when asked to. */
	struct writer_options opt = { .create = 1 };
	struct writer *w = writer_new(path, &opt, err, sizeof err);
	assert_non_null(w);
	writer_free(w);
	unlink(path);
	snprintf(path, sizeof path, "%s/missing.db-wal", fx->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/missing.db-shm", fx->dir);
	unlink(path);
	writer_free(NULL);
}

/* ---- crash consistency -------------------------------------------------------------------- */

/* The child: a writer fed by two producer threads; producer p owns the keys k with k % 2 == p
 * and writes them over and over, generation g storing g * N_KEYS + k. done prints "<v>\n" on the
 * pipe for every acknowledged job. Jobs of one producer reach the queue, and so the database, in
 * submission order, so key k's stored value is never older than its last acknowledged one. */
struct child_job {
	struct writer_job job;
	const struct fixture *fx;
	int fd;
	long long v;
};

static int child_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct child_job *j = arg;
	const struct fixture *fx = j->fx;
	size_t e, t, q;
	char text[32];
	key_slot((long)(j->v % N_KEYS), &e, &t, &q);
	snprintf(text, sizeof text, "%lld", j->v);
	struct answer a = { ANSWER_VALUE, 0, text };
	if (db_answer_put(db, fx->sv, fx->round_id, fx->experts[e], t, q, &a)) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void child_done(void *arg, int rc, const char *err)
{
	struct child_job *j = arg;
	(void)err;
	if (rc >= 0) {
		char line[32];
		int len = snprintf(line, sizeof line, "%lld\n", j->v);
		if (write(j->fd, line, (size_t)len) != len)
			_exit(3);
	}
	free(j);
}

struct child_producer {
	pthread_t thread;
	struct writer *w;
	const struct fixture *fx;
	int fd;
	long parity;
};

static void *child_producer_main(void *arg)
{
	struct child_producer *p = arg;
	for (long long g = 0; g < 1000; g++) {
		for (long k = p->parity; k < N_KEYS; k += 2) {
			for (;;) {
				struct child_job *j = malloc(sizeof *j);
				if (!j)
					_exit(4);
				*j = (struct child_job){ .job = { .run = child_run, .done = child_done },
							 .fx = p->fx, .fd = p->fd,
							 .v = g * N_KEYS + k };
				j->job.arg = j;
				if (writer_submit(p->w, &j->job) == 0)
					break;
				usleep(200); /* queue full: done freed j; try again */
			}
		}
	}
	return NULL;
}

static _Noreturn void crash_child(const struct fixture *fx, int fd, enum writer_durability d)
{
	char err[WRITER_ERR_MAX];
	struct writer_options opt = { .durability = d, .max_queue = 5000 };
	struct writer *w = writer_new(fx->path, &opt, err, sizeof err);
	if (!w)
		_exit(2);
	struct child_producer p[2];
	for (long i = 0; i < 2; i++) {
		p[i] = (struct child_producer){ .w = w, .fx = fx, .fd = fd, .parity = i };
		if (pthread_create(&p[i].thread, NULL, child_producer_main, &p[i]))
			_exit(5);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(p[i].thread, NULL);
	writer_free(w);
	_exit(0);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Parses the complete lines of buf[*len] into acked[] (the largest value per key), keeping an
 * incomplete last line for later. Returns the number of acknowledgements read. */
static long parse_acks(char *buf, size_t *len, long long *acked)
{
	long n = 0;
	size_t start = 0;
	for (size_t i = 0; i < *len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		long long v = atoll(buf + start);
		long k = (long)(v % N_KEYS);
		if (v > acked[k])
			acked[k] = v;
		n++;
		start = i + 1;
	}
	memmove(buf, buf + start, *len - start);
	*len -= start;
	return n;
}

/*
 * 6 runs (durability normal, full, normal, ...): a child process writes through a writer and
 * acknowledges on a pipe; 5..124 ms after its first acknowledgement the parent kills it with
 * SIGKILL, reads the acknowledgements left in the pipe, reopens the database and checks that
 * every key holds a value at least as new as the last acknowledged one.
 */
static void test_crash_keeps_acked(void **state)
{
	struct fixture *fx = *state;
	long long *acked = malloc(N_KEYS * sizeof *acked);
	long long *value = malloc(N_KEYS * sizeof *value);
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	assert_non_null(acked);
	assert_non_null(value);
	print_message("crash test seed %u\n", seed);
	srand(seed);
	for (int run = 0; run < 6; run++) {
		enum writer_durability d = run % 2 ? WRITER_FULL : WRITER_NORMAL;
		int fds[2];
		char buf[4096];
		size_t len = 0;
		long n_acked = 0;
		uint64_t kill_at = 0;
		for (long k = 0; k < N_KEYS; k++)
			acked[k] = -1;
		exec_sql(fx, "DELETE FROM answers"); /* each run starts empty, at generation 0 */
		assert_int_equal(pipe(fds), 0);
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(fx, fds[1], d);
		}
		close(fds[1]);
		uint64_t delay = 5 + (uint64_t)(rand() % 120);
		bool killed = false;
		for (;;) {
			int timeout = -1;
			if (!killed && kill_at) {
				uint64_t now = mono_ms();
				timeout = now >= kill_at ? 0 : (int)(kill_at - now);
			}
			struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
			int pr = poll(&pfd, 1, killed ? -1 : timeout);
			if (pr < 0 && errno == EINTR)
				continue;
			assert_true(pr >= 0);
			if (pr > 0) {
				ssize_t r = read(fds[0], buf + len, sizeof buf - len);
				assert_true(r >= 0);
				if (r == 0)
					break; /* the child is gone and the pipe drained */
				len += (size_t)r;
				n_acked += parse_acks(buf, &len, acked);
				if (!kill_at && n_acked > 0)
					kill_at = mono_ms() + delay;
			}
			if (!killed && kill_at && mono_ms() >= kill_at) {
				assert_int_equal(kill(pid, SIGKILL), 0);
				killed = true;
			}
		}
		close(fds[0]);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		assert_int_equal(len, 0); /* no half line: acknowledgements are written whole */

		long rows = read_values(fx, value);
		long lost = 0, newer = 0;
		for (long k = 0; k < N_KEYS; k++) {
			if (acked[k] > value[k])
				lost++;
			else if (value[k] > acked[k])
				newer++;
		}
		print_message("run %d (%s): killed %llu ms after the first ack; %ld acks, %ld rows, "
			      "%ld keys newer than acked, %ld lost\n",
			      run, d == WRITER_FULL ? "full" : "normal", (unsigned long long)delay,
			      n_acked, rows, newer, lost);
		assert_true(n_acked > 0);
		assert_int_equal(lost, 0);
	}
	free(acked);
	free(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_producers_all_completed_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_job_rolled_back_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rerunnable_batch_reruns_after_a_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rerunnable_batch_runs_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_moves_with_non_neutral_jobs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batching_happens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acked_is_visible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drains_then_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full_and_max_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_acks_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_external_write_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_write_lock_wait_is_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_reports_bad_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_keeps_acked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
