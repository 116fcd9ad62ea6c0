/*
 * workq — a small pool of worker threads with a bounded queue, for the work that must not run on
 * an event loop and does not belong on the writer thread: checking and hashing passwords (PBKDF2,
 * about 0.4 s each: auth.h), parsing large survey definitions, talking to an SMTP relay.
 *
 * A job is intrusive (embed struct workq_job in the submitter's data), so submitting never
 * allocates. run is called exactly once for every job workq_submit accepted, on one of the
 * pool's threads; it usually hands its result back to the request's event thread with req_post
 * (or to the writer with writer_submit, whose completion then posts). Jobs run in submission
 * order, up to `threads` at a time.
 *
 * Threads: workq_new, workq_stop and workq_free from one controlling thread; workq_submit from
 * any thread (never from run on the same pool when the queue may be full: it is refused then,
 * never waits). The workers block every signal.
 *
 * Shutdown: workq_stop refuses new jobs, lets the workers finish every job already queued, and
 * joins them. Call it before anything the jobs use goes away (for the server: after httpd_join,
 * before writer_stop and httpd_free, so the jobs' req_post and writer_submit calls still land).
 */
#ifndef DELPHI_WORKQ_H
#define DELPHI_WORKQ_H

#include <stddef.h>

struct workq;

struct workq_job {
	void (*run)(struct workq_job *job); /* required; may free the job */
	struct workq_job *next;            /* private to the queue */
};

/* Starts threads (>= 1) workers that take at most max_queue waiting jobs (>= 1); name (at most 15
 * bytes are used) names the threads for debuggers. Returns NULL when out of memory or when a
 * thread cannot be started. */
struct workq *workq_new(size_t threads, size_t max_queue, const char *name);

/* Queues job. Returns 0 (run will be called), or -1 when the queue is full or stopping (run will
 * not be called: the job is still the caller's). Never blocks on anything but the queue's mutex. */
int workq_submit(struct workq *q, struct workq_job *job);

/* Number of jobs queued or running right now. Any thread. */
size_t workq_busy(struct workq *q);

/* Refuses new jobs, runs the queued ones, joins the workers. Idempotent. NULL is a no-op. */
void workq_stop(struct workq *q);

/* workq_stop, then frees q. NULL is a no-op. */
void workq_free(struct workq *q);

#endif
