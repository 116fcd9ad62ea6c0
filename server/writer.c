/*
 * writer — the group-commit writer thread: a mutex-protected intrusive queue that any thread
 * appends to, and one thread that drains it in batches, one transaction per batch, one savepoint
 * per job, completions only after COMMIT. See writer.h for the contract.
 */
#include "writer.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

const uint64_t writer_batch_bounds[WRITER_BATCH_BUCKETS - 1] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
const uint64_t writer_commit_bounds[WRITER_COMMIT_BUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000,
};

/* Written by the writer thread only (writer_submit bumps refused and queued too), read by
 * writer_stats from anywhere: relaxed atomics are enough, nothing is published through them. */
struct stats {
	_Atomic uint64_t batches, jobs, jobs_failed, batches_failed, refused, queued, max_batch;
	_Atomic uint64_t batch_size[WRITER_BATCH_BUCKETS];
	_Atomic uint64_t commit_usec[WRITER_COMMIT_BUCKETS];
	_Atomic uint64_t commit_usec_sum;
};

struct writer {
	/* The queue: head..tail linked through job->next, n_queued of them. Guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake; /* signalled when the queue stops being empty, and on stop */
	struct writer_job *head, *tail;
	size_t n_queued;
	bool stopping; /* guarded by mu; once set, never cleared */

	/* Fixed at writer_new. */
	size_t max_queue, max_batch;
	unsigned lock_wait_ms, busy_timeout_ms;
	void (*on_commit)(void *arg, size_t jobs, uint64_t usec);
	void *on_commit_arg;
	_Atomic uint64_t generation; /* writer_generation; only the writer thread moves it */

	/* The writer thread's own; the controlling thread touches db again only after the join. */
	struct db *db;
	pthread_t thread;
	bool stopped; /* controlling thread: joined and closed */

	struct stats st;
};

#define ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)
#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)
#define STORE(field, v) atomic_store_explicit(&(field), (v), memory_order_relaxed)

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Index of the bucket for v: the first bound >= v, or n (the +Inf bucket). */
static size_t bucket(const uint64_t *bounds, size_t n, uint64_t v)
{
	size_t i = 0;
	while (i < n && v > bounds[i])
		i++;
	return i;
}

static void record_commit(struct writer *w, size_t jobs, size_t failed, uint64_t usec)
{
	ADD(w->st.batches, 1);
	ADD(w->st.jobs, jobs);
	ADD(w->st.jobs_failed, failed);
	if (jobs > LOAD(w->st.max_batch))
		STORE(w->st.max_batch, jobs); /* only this thread writes it */
	ADD(w->st.batch_size[bucket(writer_batch_bounds, WRITER_BATCH_BUCKETS - 1, jobs)], 1);
	ADD(w->st.commit_usec[bucket(writer_commit_bounds, WRITER_COMMIT_BUCKETS - 1, usec)], 1);
	ADD(w->st.commit_usec_sum, usec);
}

/* Calls done for every job of the list, in submission order. A job may be freed by its done, so
 * the link is read first. */
static void complete(struct writer_job *job)
{
	while (job) {
		struct writer_job *next = job->next;
		job->done(job->arg, job->rc, job->rc < 0 ? job->err : NULL);
		job = next;
	}
}

/* Marks every job of the list failed with message why (the database's: "cannot commit: ..."),
 * keeping the own message of a job whose run had failed already (it says better why that one
 * was not written). */
static void fail_all(struct writer_job *job, const char *why)
{
	for (; job; job = job->next) {
		if (job->rc < 0)
			continue;
		job->rc = WRITER_FAILED;
		snprintf(job->err, sizeof job->err, "%s", why);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR) /* the thread blocks signals, but still */
		;
}

/*
 * BEGIN IMMEDIATE for a batch. While another process holds the write lock (a long `delphi
 * round close` or `delphi aggregate`) an attempt fails after the busy timeout; rather than fail
 * the batch's saves, try again after a pause (50 ms, doubling up to 1 s) until lock_wait_ms
 * have passed since the first attempt, the last attempt's busy timeout cut to what is left.
 * Nothing of the batch has run yet, so trying again is safe. Logs when it starts waiting and
 * how it ended. Returns 0, or -1 (db_error says why).
 */
static int begin(struct writer *w)
{
	uint64_t t0 = now_usec(), limit = (uint64_t)w->lock_wait_ms * 1000u;
	unsigned pause = 50;
	int rc = db_begin_try(w->db);
	if (rc <= 0)
		return rc;
	log_warnx("writer: the database is locked by another process (a long `delphi round "
		  "close` or `delphi aggregate`?); waiting up to %.1f s for it",
		  w->lock_wait_ms / 1000.0);
	while (rc > 0) {
		uint64_t spent = now_usec() - t0;
		if (spent >= limit)
			break;
		uint64_t left_ms = (limit - spent + 999) / 1000;
		sleep_ms(pause < left_ms ? pause : (unsigned)left_ms);
		pause = pause < 500 ? 2 * pause : 1000;
		spent = now_usec() - t0;
		if (spent >= limit)
			break;
		left_ms = (limit - spent + 999) / 1000;
		db_set_busy_timeout(w->db, (int)(left_ms < w->busy_timeout_ms ? left_ms
									 : w->busy_timeout_ms));
		rc = db_begin_try(w->db);
	}
	db_set_busy_timeout(w->db, (int)w->busy_timeout_ms);
	double waited = (double)(now_usec() - t0) / 1e6;
	if (rc == 0)
		log_info("writer: got the write lock after %.1f s", waited);
	else if (rc > 0)
		log_warnx("writer: the database stayed locked for %.1f s: giving up on a batch",
			  waited);
	return rc ? -1 : 0;
}

/*
 * Runs one job in its own savepoint. Returns 0 when the transaction goes on (the job succeeded,
 * or failed and was rolled back alone), -1 when the transaction can no longer be trusted (a
 * savepoint could not be made, released or rolled back to: SQLite may have rolled the whole
 * transaction back after an I/O error, or run broke the savepoint nesting) and the batch must be
 * abandoned.
 */
static int run_job(struct writer *w, struct writer_job *job)
{
	if (db_savepoint(w->db))
		return -1;
	int rc = job->run(w->db, job->arg, job->err, sizeof job->err);
	if (rc >= 0) {
		job->rc = rc;
		return db_savepoint_release(w->db);
	}
	job->rc = WRITER_FAILED;
	if (!job->err[0])
		snprintf(job->err, sizeof job->err, "job failed");
	return db_savepoint_rollback(w->db);
}

/*
 * Runs a batch of rerunnable jobs without savepoints. Returns 0 when every job succeeded and the
 * transaction committed (the jobs' rc set), 1 when a job failed: then nothing of the batch is
 * left written (rolled back) and the caller runs it again job by job; -1 when the transaction
 * failed to begin or commit (every job marked failed with the database's message).
 */
static int run_batch_fast(struct writer *w, struct writer_job *batch)
{
	if (begin(w)) {
		fail_all(batch, db_error(w->db));
		return -1;
	}
	for (struct writer_job *job = batch; job; job = job->next) {
		int rc = job->run(w->db, job->arg, job->err, sizeof job->err);
		if (rc < 0) {
			db_rollback(w->db);
			for (job = batch; job; job = job->next) {
				job->rc = 0;
				job->err[0] = '\0';
			}
			return 1;
		}
		job->rc = rc;
	}
	if (db_commit(w->db)) {
		fail_all(batch, db_error(w->db));
		return -1;
	}
	return 0;
}

/* Runs a batch of n jobs (a NULL-terminated list) as one transaction and completes them. */
static void run_batch(struct writer *w, struct writer_job *batch, size_t n)
{
	size_t failed = 0;
	uint64_t t0 = now_usec();
	bool fast = true;
	for (struct writer_job *job = batch; fast && job; job = job->next)
		fast = job->rerunnable != 0;
	if (fast) {
		int rc = run_batch_fast(w, batch);
		if (rc < 0)
			goto fail;
		if (rc == 0)
			goto committed;
	}
	if (begin(w)) {
		fail_all(batch, db_error(w->db));
		goto fail;
	}
	for (struct writer_job *job = batch; job; job = job->next) {
		if (run_job(w, job)) {
			fail_all(batch, db_error(w->db));
			goto fail;
		}
		failed += job->rc < 0;
	}
	if (db_commit(w->db)) {
		fail_all(batch, db_error(w->db));
		goto fail;
	}
committed:;
	uint64_t usec = now_usec() - t0;
	record_commit(w, n, failed, usec);
	for (struct writer_job *job = batch; job; job = job->next)
		if (!job->cache_neutral) {
			atomic_fetch_add_explicit(&w->generation, 1, memory_order_release);
			break;
		}
	if (w->on_commit)
		w->on_commit(w->on_commit_arg, n, usec);
	complete(batch);
	return;
fail:
	db_rollback(w->db); /* a no-op if SQLite rolled back already */
	ADD(w->st.batches_failed, 1);
	log_warnx("writer: a batch of %zu jobs was not written: %s", n, db_error(w->db));
	complete(batch);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_setname_np(pthread_self(), "delphi-writer");
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->wake, &w->mu);
		if (!w->head) { /* stopping, and everything queued before has been written */
			pthread_mutex_unlock(&w->mu);
			break;
		}
		/* Take everything queued, up to max_batch: whatever arrived during the last commit.
		 * Only an overfull queue is walked (submitters wait meanwhile). */
		struct writer_job *batch = w->head, *last = w->tail;
		size_t n = w->n_queued;
		if (n > w->max_batch) {
			last = w->head;
			for (n = 1; n < w->max_batch; n++)
				last = last->next;
		}
		w->head = last->next;
		if (!w->head)
			w->tail = NULL;
		last->next = NULL;
		w->n_queued -= n;
		STORE(w->st.queued, w->n_queued);
		pthread_mutex_unlock(&w->mu);

		run_batch(w, batch, n);
	}
	return NULL;
}

uint64_t writer_generation(struct writer *w)
{
	return atomic_load_explicit(&w->generation, memory_order_acquire);
}

struct writer *writer_new(const char *db_path, const struct writer_options *opt, char *err,
			  size_t errlen)
{
	static const struct writer_options defaults = {.durability = WRITER_NORMAL};
	struct writer *w = NULL;
	char dberr[DB_ERR_MAX];
	bool mu = false, cond = false;
	int rc;

	if (!opt)
		opt = &defaults;
	if (!(w = calloc(1, sizeof *w))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	w->max_queue = opt->max_queue ? opt->max_queue : WRITER_MAX_QUEUE_DEFAULT;
	w->max_batch = opt->max_batch ? opt->max_batch : WRITER_MAX_BATCH_DEFAULT;
	w->on_commit = opt->on_commit;
	w->on_commit_arg = opt->on_commit_arg;
	w->lock_wait_ms = opt->lock_wait_ms ? opt->lock_wait_ms : WRITER_LOCK_WAIT_DEFAULT_MS;
	w->busy_timeout_ms = opt->busy_timeout_ms ? opt->busy_timeout_ms : DB_BUSY_TIMEOUT_MS;

	unsigned flags = DB_READWRITE | (opt->create ? DB_CREATE : 0) |
			 (opt->durability == WRITER_FULL ? DB_SYNC_FULL : 0);
	if (db_open(db_path, flags, &w->db, dberr)) {
		snprintf(err, errlen, "%s", dberr);
		goto fail;
	}
	db_set_busy_timeout(w->db, (int)w->busy_timeout_ms);
	if ((rc = pthread_mutex_init(&w->mu, NULL))) {
		snprintf(err, errlen, "cannot create the writer's mutex: %s", strerror(rc));
		goto fail;
	}
	mu = true;
	if ((rc = pthread_cond_init(&w->wake, NULL))) {
		snprintf(err, errlen, "cannot create the writer's condition variable: %s",
			 strerror(rc));
		goto fail;
	}
	cond = true;

	/* Signals are for the thread that sigwaits for them: the writer inherits a full mask. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot start the writer thread: %s", strerror(rc));
		goto fail;
	}
	return w;
fail:
	if (w) {
		if (cond)
			pthread_cond_destroy(&w->wake);
		if (mu)
			pthread_mutex_destroy(&w->mu);
		db_close(w->db);
		free(w);
	}
	return NULL;
}

int writer_submit(struct writer *w, struct writer_job *job)
{
	const char *refused = NULL;
	assert(job && job->run && job->done);
	job->next = NULL;
	job->rc = 0;
	job->err[0] = '\0';

	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		refused = "shutting down";
	} else if (w->n_queued >= w->max_queue) {
		refused = "queue full";
	} else {
		/* The thread waits only on an empty queue, so only that transition needs a wake-up. */
		if (w->tail) {
			w->tail->next = job;
		} else {
			w->head = job;
			pthread_cond_signal(&w->wake);
		}
		w->tail = job;
		w->n_queued++;
		STORE(w->st.queued, w->n_queued);
	}
	pthread_mutex_unlock(&w->mu);

	if (!refused)
		return 0;
	ADD(w->st.refused, 1);
	job->rc = WRITER_REFUSED;
	job->done(job->arg, WRITER_REFUSED, refused);
	return -1;
}

void writer_stop(struct writer *w)
{
	if (w->stopped)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	assert(!w->head && w->n_queued == 0);
	db_close(w->db);
	w->db = NULL;
	w->stopped = true;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	writer_stop(w);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void writer_stats(struct writer *w, struct writer_stats *out)
{
	memset(out, 0, sizeof *out);
	out->batches = LOAD(w->st.batches);
	out->jobs = LOAD(w->st.jobs);
	out->jobs_failed = LOAD(w->st.jobs_failed);
	out->batches_failed = LOAD(w->st.batches_failed);
	out->refused = LOAD(w->st.refused);
	out->queued = LOAD(w->st.queued);
	out->max_batch = LOAD(w->st.max_batch);
	for (size_t i = 0; i < WRITER_BATCH_BUCKETS; i++)
		out->batch_size[i] = LOAD(w->st.batch_size[i]);
	for (size_t i = 0; i < WRITER_COMMIT_BUCKETS; i++)
		out->commit_usec[i] = LOAD(w->st.commit_usec[i]);
	out->commit_usec_sum = LOAD(w->st.commit_usec_sum);
}
