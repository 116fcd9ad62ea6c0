/*
 * writer_bench — throughput of the group-commit writer (server/writer.c) on a real database
 * file: jobs per second with durability normal and full, 1 and 8 producer threads, in two
 * shapes of load:
 *
 *   closed  each producer submits one job and waits for its completion before the next, like
 *           an expert's browser waiting for the reply to a PUT: batches can only be as large
 *           as the number of producers; the figure is bound by commit latency.
 *   open    producers submit their share of --jobs as fast as the queue takes them: the
 *           writer's ceiling, batches grow as large as max_batch allows.
 *
 * Every job does what PUT /api/v1/answers/{topic} does to the store: it upserts one expert's
 * answers to one topic (an ordinal answer and a text answer, 2 rows) of a small survey with
 * 100 experts x 6 topics, cycling through the 600 slots.
 *
 *   writer_bench [--dir DIR] [--seconds S] [--jobs N]
 *
 * DIR (default /var/tmp) holds the database while the benchmark runs; put it on the disk the
 * server will use (not a tmpfs, where an fsync costs nothing). S: length of each closed-loop run
 * (default 1). N: jobs of each open-loop run (default 100000). Prints figures, asserts nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "crypto.h"
#include "db.h"
#include "strconv.h"
#include "writer.h"

#define N_EXPERTS 100
#define N_TOPICS 6
#define N_SLOTS (N_EXPERTS * N_TOPICS)
#define MAX_PRODUCERS 8
#define TMPFS_MAGIC 0x01021994

static const char SURVEY_JSON[] =
	"{\"slug\": \"bench\", \"title\": {\"en\": \"Writer benchmark\"}, \"year\": 2025,"
	" \"horizon\": 2050, \"languages\": [\"en\"],"
	" \"fields\": [{\"code\": \"F\", \"title\": {\"en\": \"Field\"}}],"
	" \"topics\": ["
	"  {\"code\": \"T1\", \"field\": \"F\", \"title\": {\"en\": \"1\"}},"
	"  {\"code\": \"T2\", \"field\": \"F\", \"title\": {\"en\": \"2\"}},"
	"  {\"code\": \"T3\", \"field\": \"F\", \"title\": {\"en\": \"3\"}},"
	"  {\"code\": \"T4\", \"field\": \"F\", \"title\": {\"en\": \"4\"}},"
	"  {\"code\": \"T5\", \"field\": \"F\", \"title\": {\"en\": \"5\"}},"
	"  {\"code\": \"T6\", \"field\": \"F\", \"title\": {\"en\": \"6\"}}],"
	" \"questions\": ["
	"  {\"key\": \"importance\", \"kind\": \"ordinal\", \"text\": {\"en\": \"Important?\"},"
	"   \"labels\": [{\"value\": 4, \"text\": {\"en\": \"very high\"}},"
	"                {\"value\": 3, \"text\": {\"en\": \"high\"}},"
	"                {\"value\": 2, \"text\": {\"en\": \"low\"}},"
	"                {\"value\": 1, \"text\": {\"en\": \"very low\"}}]},"
	"  {\"key\": \"comment\", \"kind\": \"text\", \"text\": {\"en\": \"Comment?\"}}]}";

/* The stored survey, shared read-only by the jobs. */
struct store {
	char path[512];
	struct db_survey *sv;
	int64_t round_id;
	int64_t experts[N_EXPERTS];
};

struct job {
	struct writer_job wj;
	const struct store *store;
	int slot;
	long seq; /* makes every job's comment new: SQLite skips rewriting identical rows */
	struct producer *owner; /* closed loop: whom to wake */
};

struct producer {
	pthread_t thread;
	struct writer *w;
	const struct store *store;
	int index;
	long seq_base; /* distinct per run, so no run rewrites what the one before wrote */
	/* closed loop */
	double deadline;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	long completed, failed;
	double ack_sum; /* seconds from submit to done, summed */
	/* open loop */
	struct job *jobs;
	long n_jobs;
	long refused;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int job_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct job *j = arg;
	const struct store *s = j->store;
	int64_t expert = s->experts[j->slot / N_TOPICS];
	size_t topic = (size_t)(j->slot % N_TOPICS);
	char text[80];
	snprintf(text, sizeof text, "a short comment, as experts write them (%ld)", j->seq);
	struct answer importance = {ANSWER_VALUE, 1 + j->seq % 4, NULL};
	struct answer comment = {ANSWER_VALUE, 0, text};
	if (db_answer_put(db, s->sv, s->round_id, expert, topic, 0, &importance) ||
	    db_answer_put(db, s->sv, s->round_id, expert, topic, 1, &comment)) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void closed_done(void *arg, int rc, const char *err)
{
	struct job *j = arg;
	struct producer *p = j->owner;
	(void)err;
	pthread_mutex_lock(&p->mu);
	p->done = true;
	if (rc < 0)
		p->failed++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void open_done(void *arg, int rc, const char *err)
{
	(void)arg;
	(void)rc;
	(void)err;
}

/* Closed loop: one job in flight per producer until the deadline. */
static void *closed_main(void *arg)
{
	struct producer *p = arg;
	struct job j = {.wj = {.run = job_run, .done = closed_done}, .store = p->store, .owner = p};
	j.wj.arg = &j;
	for (long i = 0; now() < p->deadline; i++) {
		j.seq = i * MAX_PRODUCERS + p->index + p->seq_base;
		j.slot = (int)(j.seq % N_SLOTS);
		double t0 = now();
		writer_submit(p->w, &j.wj);
		pthread_mutex_lock(&p->mu);
		while (!p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		p->done = false;
		pthread_mutex_unlock(&p->mu);
		p->ack_sum += now() - t0;
		p->completed++;
	}
	return NULL;
}

/* Open loop: submit every job as fast as the queue takes them. */
static void *open_main(void *arg)
{
	struct producer *p = arg;
	for (long i = 0; i < p->n_jobs; i++) {
		struct job *j = &p->jobs[i];
		long seq = i * MAX_PRODUCERS + p->index + p->seq_base;
		*j = (struct job){.wj = {.run = job_run, .done = open_done}, .store = p->store,
				  .slot = (int)(seq % N_SLOTS), .seq = seq};
		j->wj.arg = j;
		while (writer_submit(p->w, &j->wj)) {
			p->refused++; /* queue full: done ran already; the job may be submitted again */
			usleep(50);
		}
	}
	return NULL;
}

/* Creates the database: the survey, N_EXPERTS experts, round 1 open. */
static int make_store(struct store *s)
{
	struct survey *sur = NULL;
	struct survey_error serr;
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	int rc = -1;
	static const size_t field0[] = {0};

	if (survey_load_string(SURVEY_JSON, strlen(SURVEY_JSON), "bench", &sur, &serr)) {
		char msg[600];
		survey_error_format(&serr, msg, sizeof msg);
		fprintf(stderr, "writer_bench: %s\n", msg);
		return -1;
	}
	if (db_open(s->path, DB_READWRITE | DB_CREATE, &db, err)) {
		fprintf(stderr, "writer_bench: %s\n", err);
		goto out;
	}
	if (db_begin(db) || db_survey_store(db, SURVEY_JSON, strlen(SURVEY_JSON), sur) < 0 ||
	    db_commit(db) || db_survey_get(db, "bench", &s->sv) != DB_FOUND || db_begin(db))
		goto fail;
	for (int i = 0; i < N_EXPERTS; i++) {
		char ext[16], token[DB_TOKEN_HEX + 1];
		bool created;
		struct db_expert_ref ref;
		snprintf(ext, sizeof ext, "x%d", i);
		struct db_expert_in in = {ext, "Expert", "", DB_SECTOR_OTHER, field0, 1};
		if (db_expert_upsert(db, s->sv, &in, token, &created) ||
		    db_expert_by_ext_id(db, s->sv->id, ext, &ref) != DB_FOUND)
			goto fail;
		s->experts[i] = ref.id;
	}
	struct db_round r;
	int64_t invited;
	if (db_round_open(db, s->sv, &r, &invited) != DB_ROUND_DONE || db_commit(db))
		goto fail;
	s->round_id = r.id;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "writer_bench: cannot set up the database: %s\n", db_error(db));
	db_rollback(db);
out:
	db_close(db);
	survey_free(sur);
	return rc;
}

static void remove_store(const struct store *s)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char p[600];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", s->path, suffixes[i]);
		unlink(p);
	}
}

/* One configuration: prints one line. Returns 0 or -1. */
static int run(const struct store *s, enum writer_durability d, int nprod, bool closed,
	       double secs, long jobs, long seq_base)
{
	char err[WRITER_ERR_MAX];
	struct writer_options opt = {.durability = d};
	struct producer p[MAX_PRODUCERS];
	struct job *all = NULL;
	struct writer *w = writer_new(s->path, &opt, err, sizeof err);
	if (!w) {
		fprintf(stderr, "writer_bench: %s\n", err);
		return -1;
	}
	if (!closed && !(all = calloc((size_t)jobs, sizeof *all))) {
		fprintf(stderr, "writer_bench: out of memory\n");
		writer_free(w);
		return -1;
	}
	double t0 = now();
	for (int i = 0; i < nprod; i++) {
		long from = jobs * i / nprod, to = jobs * (i + 1) / nprod;
		p[i] = (struct producer){.w = w, .store = s, .index = i, .seq_base = seq_base,
					 .deadline = t0 + secs,
					 .jobs = all ? all + from : NULL, .n_jobs = to - from};
		pthread_mutex_init(&p[i].mu, NULL);
		pthread_cond_init(&p[i].cv, NULL);
		pthread_create(&p[i].thread, NULL, closed ? closed_main : open_main, &p[i]);
	}
	long completed = 0, failed = 0, refused = 0;
	double ack_sum = 0;
	for (int i = 0; i < nprod; i++) {
		pthread_join(p[i].thread, NULL);
		completed += closed ? p[i].completed : p[i].n_jobs;
		failed += p[i].failed;
		refused += p[i].refused;
		ack_sum += p[i].ack_sum;
		pthread_cond_destroy(&p[i].cv);
		pthread_mutex_destroy(&p[i].mu);
	}
	writer_stop(w); /* open loop: waits for the queue to drain */
	double elapsed = now() - t0;
	struct writer_stats st;
	writer_stats(w, &st);
	writer_free(w);
	free(all);

	char ack[32] = "-";
	if (closed && completed)
		snprintf(ack, sizeof ack, "%.0f", ack_sum / (double)completed * 1e6);
	printf("%-7s %9d %-6s %9ld %7.2f %10.0f %10.0f %8llu %7.1f %6llu %10.0f %9s%s\n",
	       d == WRITER_FULL ? "full" : "normal", nprod, closed ? "closed" : "open", completed,
	       elapsed, (double)completed / elapsed, 2.0 * (double)completed / elapsed,
	       (unsigned long long)st.batches,
	       st.batches ? (double)st.jobs / (double)st.batches : 0.0,
	       (unsigned long long)st.max_batch,
	       st.batches ? (double)st.commit_usec_sum / (double)st.batches : 0.0, ack,
	       failed || st.jobs_failed || st.batches_failed ? "  (FAILURES)" : "");
	if (refused)
		printf("        (%ld submissions refused with queue full and retried)\n", refused);
	fflush(stdout);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: writer_bench [--dir DIR] [--seconds S] [--jobs N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dir = "/var/tmp";
	double secs = 1.0;
	long jobs = 100000;
	struct store s = {0};
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--dir"))
			dir = argv[++i];
		else if (!strcmp(argv[i], "--seconds")) {
			if (strconv_double(argv[++i], 0.01, 3600, &secs))
				return usage();
		} else if (!strcmp(argv[i], "--jobs")) {
			if (strconv_long(argv[++i], 1, 100000000, &jobs))
				return usage();
		} else
			return usage();
	}
	if (crypto_init()) {
		fprintf(stderr, "writer_bench: cannot seed the random generator\n");
		return 1;
	}
	snprintf(s.path, sizeof s.path, "%s/writer-bench-%ld.db", dir, (long)getpid());
	remove_store(&s);
	if (make_store(&s))
		goto out;

	struct statfs fs;
	bool tmpfs = statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
	printf("writer_bench: %s%s\n", s.path,
	       tmpfs ? " (a tmpfs: fsync is free here, so full looks like normal)" : "");
	printf("each job upserts one expert's answers to one topic (2 rows) in its own savepoint\n");
	printf("closed: one job in flight per producer for %.1f s; open: %ld jobs as fast as "
	       "possible\n", secs, jobs);
	printf("%-7s %9s %-6s %9s %7s %10s %10s %8s %7s %6s %10s %9s\n", "durab.", "producers",
	       "load", "jobs", "seconds", "jobs/s", "rows/s", "batches", "mean b", "max b",
	       "commit us", "ack us");
	static const enum writer_durability ds[] = {WRITER_NORMAL, WRITER_FULL};
	static const int ps[] = {1, 8};
	for (size_t di = 0; di < 2; di++)
		for (int closed = 1; closed >= 0; closed--)
			for (size_t pi = 0; pi < 2; pi++)
				if (run(&s, ds[di], ps[pi], closed, secs, jobs,
					(long)(di * 4 + (size_t)closed * 2 + pi) * 1000000000L))
					goto out;
	printf("mean b / max b: jobs per transaction; commit us: BEGIN to COMMIT; ack us: "
	       "submit to done (closed loop)\n");
	rc = 0;
out:
	remove_store(&s);
	db_survey_free(s.sv);
	crypto_release();
	return rc;
}
