/*
 * workq — worker threads with a bounded FIFO queue. See workq.h.
 */
#include "workq.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workq_job *head, **tail;
	size_t queued, running, max_queue;
	bool stopping, stopped;
	pthread_t *threads;
	size_t n_threads;
	char name[16];
};

static void *worker(void *arg)
{
	struct workq *q = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), q->name);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		struct workq_job *j = q->head;
		if (!j)
			break; /* stopping, and nothing left */
		q->head = j->next;
		if (!q->head)
			q->tail = &q->head;
		q->queued--;
		q->running++;
		pthread_mutex_unlock(&q->mu);
		j->next = NULL;
		j->run(j);
		pthread_mutex_lock(&q->mu);
		q->running--;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct workq *workq_new(size_t threads, size_t max_queue, const char *name)
{
	struct workq *q = calloc(1, sizeof *q);
	if (!q || !threads || !max_queue)
		goto fail;
	if (!(q->threads = calloc(threads, sizeof *q->threads)))
		goto fail;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->tail = &q->head;
	q->max_queue = max_queue;
	snprintf(q->name, sizeof q->name, "%s", name ? name : "workq");
	for (; q->n_threads < threads; q->n_threads++)
		if (pthread_create(&q->threads[q->n_threads], NULL, worker, q)) {
			workq_free(q);
			return NULL;
		}
	return q;
fail:
	if (q)
		free(q->threads);
	free(q);
	return NULL;
}

int workq_submit(struct workq *q, struct workq_job *job)
{
	int rc = -1;
	pthread_mutex_lock(&q->mu);
	if (!q->stopping && q->queued < q->max_queue) {
		job->next = NULL;
		*q->tail = job;
		q->tail = &job->next;
		q->queued++;
		pthread_cond_signal(&q->cv);
		rc = 0;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

size_t workq_busy(struct workq *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->queued + q->running;
	pthread_mutex_unlock(&q->mu);
	return n;
}

void workq_stop(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	bool join = !q->stopped;
	q->stopping = q->stopped = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (!join)
		return;
	for (size_t i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	workq_stop(q);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q);
}
