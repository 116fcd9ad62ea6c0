/*
 * schedule — closes the rounds whose scheduled close has come, from a thread of its own through
 * the group-commit writer. See schedule.h for the contract.
 *
 * One look: collect the due rounds (db_schedule_due), load each survey's model on the
 * scheduler's own read-only connection (the writer's time goes to writing, not to parsing a
 * definition of megabytes), submit one writer job per round (each in its own savepoint, so one
 * failure leaves the others closed), wait until the writer has called every job's done, then log
 * what happened and free the jobs, all on this thread: done only records the result and wakes it.
 */
#include "schedule.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_console.h"
#include "cli_report.h"
#include "db_console.h"
#include "db_schedule.h"
#include "log.h"
#include "writer.h"

enum job_outcome {
	JOB_CLOSED,  /* the round is closed with its statistics */
	JOB_SKIPPED, /* no longer due inside the transaction: nothing written */
};

struct job {
	struct writer_job wj;
	struct schedule *s;
	int64_t round_id, survey_id;
	int number;
	char slug[SURVEY_KEY_MAX + 1];
	char close_at[DB_TIME_MAX]; /* as found by the look; then as found by the job */
	struct db_survey *sv;       /* owned; loaded by the scheduler's thread */
	/* Results, written by the writer thread and read after done: */
	enum job_outcome outcome;
	struct db_round r;
	struct cli_report_agg agg;
	int result;                 /* done's rc */
	char message[WRITER_ERR_MAX];
};

struct schedule {
	struct writer *writer;
	struct db *db; /* read-only; the scheduler's thread's while it runs; NULL once stopped */
	unsigned interval_ms;
	pthread_t thread;
	bool started, joined;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC; signals stopping and pending reaching 0 */
	/* Guarded by mu: */
	bool stopping;
	size_t pending; /* jobs submitted whose done has not run yet */
	/* The scheduler's thread only: */
	time_t retry_at; /* no look before this, after a failure */
	struct job *jobs[SCHEDULE_BATCH];
	size_t n_jobs;
};

/* ---- Time ----------------------------------------------------------------------------------- */

static bool digits(const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int number(const char *s, size_t from, size_t to)
{
	int n = 0;
	for (size_t i = from; i < to; i++)
		n = n * 10 + (s[i] - '0');
	return n;
}

int schedule_time_parse(const char *s, time_t *out)
{
	/* "YYYY-MM-DDTHH:MM:SSZ": positions of the separators, digits everywhere else. */
	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z' || !digits(s, 0, 4) || !digits(s, 5, 7) ||
	    !digits(s, 8, 10) || !digits(s, 11, 13) || !digits(s, 14, 16) || !digits(s, 17, 19))
		return -1;
	struct tm tm = {
		.tm_year = number(s, 0, 4) - 1900,
		.tm_mon = number(s, 5, 7) - 1,
		.tm_mday = number(s, 8, 10),
		.tm_hour = number(s, 11, 13),
		.tm_min = number(s, 14, 16),
		.tm_sec = number(s, 17, 19),
	};
	struct tm want = tm, back;
	/* timegm normalizes (30 February becomes 2 March): a real moment reads back the same. */
	time_t t = timegm(&tm);
	if (t < 0 || !gmtime_r(&t, &back) || back.tm_year != want.tm_year ||
	    back.tm_mon != want.tm_mon || back.tm_mday != want.tm_mday ||
	    back.tm_hour != want.tm_hour || back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
		return -1;
	*out = t;
	return 0;
}

void schedule_time_format(time_t t, char out[DB_TIME_MAX])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, DB_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, DB_TIME_MAX, "1970-01-01T00:00:00Z");
}

bool schedule_is_due(const char *close_at, time_t now)
{
	time_t t;
	return close_at && *close_at && !schedule_time_parse(close_at, &t) && t <= now;
}

/* ---- The writer's job ----------------------------------------------------------------------- */

static int job_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct job *j = arg;
	struct db_console_round cur;
	char why[API_ROUNDS_WHY_MAX];
	j->outcome = JOB_SKIPPED;
	int found = db_console_round_get(db, j->survey_id, 0, &cur);
	if (found < 0)
		goto fail;
	if (found == DB_NOT_FOUND || cur.r.id != j->round_id || cur.r.state != DB_ROUND_OPEN ||
	    !schedule_is_due(cur.close_at, time(NULL)))
		return 0;
	memcpy(j->close_at, cur.close_at, sizeof j->close_at);
	snprintf(why, sizeof why, "scheduled close at %s", cur.close_at);
	int outcome = api_rounds_close_in(db, j->sv, SCHEDULE_ACTOR, why, &j->r, &j->agg);
	if (outcome < 0)
		goto fail;
	if (outcome == DB_ROUND_DONE)
		j->outcome = JOB_CLOSED;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

/* On the writer thread (or on ours, for a refused job): record and wake, nothing more. */
static void job_done(void *arg, int rc, const char *err)
{
	struct job *j = arg;
	struct schedule *s = j->s;
	j->result = rc;
	snprintf(j->message, sizeof j->message, "%s", err ? err : "");
	pthread_mutex_lock(&s->mu);
	if (--s->pending == 0)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	db_survey_free(j->sv);
	free(j);
}

/* ---- One look ------------------------------------------------------------------------------- */

static int collect_cb(const struct db_schedule_due *d, void *arg)
{
	struct schedule *s = arg;
	struct job *j;
	if (s->n_jobs >= SCHEDULE_BATCH || !(j = calloc(1, sizeof *j)))
		return 1;
	j->s = s;
	j->round_id = d->round_id;
	j->survey_id = d->survey_id;
	j->number = d->number;
	snprintf(j->slug, sizeof j->slug, "%s", d->slug);
	memcpy(j->close_at, d->close_at, sizeof j->close_at);
	s->jobs[s->n_jobs++] = j;
	return 0;
}

/* Logs how job j went; returns true when it failed (worth a pause before the next look). */
static bool report(const struct job *j)
{
	if (j->result == WRITER_REFUSED) /* the writer is stopping or full: the next look retries */
		return false;
	if (j->result < 0) {
		log_warnx("cannot close round %d of %s at its scheduled time %s: %s (trying again in "
			  "%d s)", j->number, j->slug, j->close_at,
			  *j->message ? j->message : "job failed", SCHEDULE_RETRY);
		return true;
	}
	if (j->outcome == JOB_CLOSED)
		log_info("round %d of %s closed at its scheduled time %s: %lld statistics rows, "
			 "%lld of %lld topics reached consensus (%.2f s)", j->r.number, j->slug,
			 j->close_at, (long long)j->agg.sum.rows,
			 (long long)j->agg.sum.topics_consensus, (long long)j->agg.sum.topics,
			 j->agg.seconds);
	return false;
}

static void look(struct schedule *s)
{
	time_t now = time(NULL);
	char now_text[DB_TIME_MAX];
	bool failed = false;
	size_t kept = 0;
	if (now < s->retry_at)
		return;
	schedule_time_format(now, now_text);
	int rc = db_schedule_due(s->db, now_text, SCHEDULE_BATCH, collect_cb, s);
	if (rc < 0) {
		log_warnx("scheduler: %s (trying again in %d s)", db_error(s->db), SCHEDULE_RETRY);
		failed = true;
	} else if (rc > 0) {
		log_warnx("scheduler: out of memory");
	}
	/* Each survey's model, loaded here; a job whose survey cannot be loaded is not submitted. */
	for (size_t i = 0; i < s->n_jobs; i++) {
		struct job *j = s->jobs[i];
		int found = db_survey_get(s->db, j->slug, &j->sv);
		if (found != DB_FOUND) {
			log_warnx("cannot close round %d of %s at its scheduled time %s: %s (trying "
				  "again in %d s)", j->number, j->slug, j->close_at,
				  found < 0 ? db_error(s->db) : "the survey is gone", SCHEDULE_RETRY);
			failed = true;
			job_free(j);
			continue;
		}
		s->jobs[kept++] = j; /* kept <= i: a slot already read */
	}
	s->n_jobs = kept;

	pthread_mutex_lock(&s->mu);
	s->pending += s->n_jobs;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->n_jobs; i++) {
		struct job *j = s->jobs[i];
		j->wj.run = job_run;
		j->wj.done = job_done;
		j->wj.arg = j;
		writer_submit(s->writer, &j->wj);
	}
	pthread_mutex_lock(&s->mu);
	while (s->pending)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);

	for (size_t i = 0; i < s->n_jobs; i++) {
		struct job *j = s->jobs[i];
		failed |= report(j);
		job_free(j);
	}
	s->n_jobs = 0;
	if (failed)
		s->retry_at = now + SCHEDULE_RETRY;
}

/* ---- The thread ----------------------------------------------------------------------------- */

static void deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *schedule_main(void *arg)
{
	struct schedule *s = arg;
	struct timespec until;
	pthread_setname_np(pthread_self(), "delphi-schedule");
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->mu);
		look(s);
		deadline(&until, s->interval_ms);
		pthread_mutex_lock(&s->mu);
		while (!s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int schedule_new(const struct schedule_options *opt, struct schedule **out, char *err,
		 size_t errlen)
{
	struct schedule *s = calloc(1, sizeof *s);
	pthread_condattr_t ca;
	char dberr[DB_ERR_MAX];
	int rc;
	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "scheduler: out of memory");
		return -1;
	}
	s->writer = opt->writer;
	s->interval_ms = opt->interval_ms ? opt->interval_ms : SCHEDULE_INTERVAL_MS;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (db_open(opt->db_path, DB_READONLY, &s->db, dberr)) {
		snprintf(err, errlen, "scheduler: %s", dberr);
		goto fail;
	}
	/* Signals are for the thread that sigwaits for them: ours inherits a full mask. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, schedule_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot start the scheduler's thread: %s", strerror(rc));
		goto fail;
	}
	s->started = true;
	*out = s;
	return 0;
fail:
	schedule_free(s);
	return -1;
}

void schedule_stop(struct schedule *s)
{
	if (!s || !s->started || s->joined)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->joined = true;
	/* Closed now, not in schedule_free: cli_serve's tidy_wal must be the last to close. */
	db_close(s->db);
	s->db = NULL;
}

void schedule_free(struct schedule *s)
{
	if (!s)
		return;
	schedule_stop(s);
	db_close(s->db);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
