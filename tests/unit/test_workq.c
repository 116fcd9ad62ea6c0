/*
 * test_workq — the worker pool: every accepted job runs exactly once, jobs run on the pool's
 * threads (never on the submitter's), up to `threads` at a time, a full queue refuses (and the
 * refused job is not run), workq_stop runs what is queued before it returns and refuses after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "workq.h"

struct job {
	struct workq_job wq;
	atomic_int *runs;
	atomic_int *running, *max_running;
	pthread_t submitter, ran_on;
	unsigned sleep_us;
	/* A gate: the job waits until it is opened (to fill the queue while the workers are busy). */
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	bool *open;
};

static void run(struct workq_job *wq)
{
	struct job *j = (struct job *)wq;
	int now = atomic_fetch_add(j->running, 1) + 1;
	int max = atomic_load(j->max_running);
	while (now > max && !atomic_compare_exchange_weak(j->max_running, &max, now))
		;
	j->ran_on = pthread_self();
	if (j->mu) {
		pthread_mutex_lock(j->mu);
		while (!*j->open)
			pthread_cond_wait(j->cv, j->mu);
		pthread_mutex_unlock(j->mu);
	}
	if (j->sleep_us)
		usleep(j->sleep_us);
	atomic_fetch_sub(j->running, 1);
	atomic_fetch_add(j->runs, 1);
}

static void test_runs_every_job_once(void **state)
{
	(void)state;
	enum { N = 200 };
	struct job *jobs = calloc(N, sizeof *jobs);
	atomic_int runs = 0, running = 0, max_running = 0;
	struct workq *q = workq_new(3, N, "test");
	assert_non_null(q);
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct job){ .wq.run = run, .runs = &runs, .running = &running,
					.max_running = &max_running, .submitter = pthread_self(),
					.sleep_us = i % 10 == 0 ? 2000 : 0 };
		assert_int_equal(workq_submit(q, &jobs[i].wq), 0);
	}
	workq_stop(q); /* runs what is queued */
	assert_int_equal(atomic_load(&runs), N);
	assert_true(atomic_load(&max_running) <= 3);
	for (int i = 0; i < N; i++)
		assert_false(pthread_equal(jobs[i].ran_on, jobs[i].submitter));
	assert_int_equal(workq_busy(q), 0);
	/* Stopped: refused, and not run. */
	struct job late = { .wq.run = run, .runs = &runs, .running = &running,
			    .max_running = &max_running };
	assert_int_equal(workq_submit(q, &late.wq), -1);
	workq_stop(q); /* idempotent */
	workq_free(q);
	assert_int_equal(atomic_load(&runs), N);
	free(jobs);
}

static void test_full_queue_refuses(void **state)
{
	(void)state;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	bool open = false;
	atomic_int runs = 0, running = 0, max_running = 0;
	struct job j[4];
	struct workq *q = workq_new(1, 2, "test");
	assert_non_null(q);
	for (int i = 0; i < 4; i++)
		j[i] = (struct job){ .wq.run = run, .runs = &runs, .running = &running,
				     .max_running = &max_running, .mu = &mu, .cv = &cv,
				     .open = &open };
	/* j0 is taken by the worker (it waits at the gate); j1, j2 fill the queue of 2. */
	assert_int_equal(workq_submit(q, &j[0].wq), 0);
	while (atomic_load(&running) == 0)
		usleep(1000);
	assert_int_equal(workq_submit(q, &j[1].wq), 0);
	assert_int_equal(workq_submit(q, &j[2].wq), 0);
	assert_int_equal(workq_busy(q), 3);
	assert_int_equal(workq_submit(q, &j[3].wq), -1);
	pthread_mutex_lock(&mu);
	open = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	workq_free(q);
	assert_int_equal(atomic_load(&runs), 3);
	assert_int_equal(atomic_load(&max_running), 1);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	assert_null(workq_new(0, 1, "x"));
	assert_null(workq_new(1, 0, "x"));
	workq_stop(NULL);
	workq_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_every_job_once),
		cmocka_unit_test(test_full_queue_refuses),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
