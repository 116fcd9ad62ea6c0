/*
 * writer — the group-commit writer thread: the server's only read-write connection to the
 * database, and the one thread that writes through it.
 *
 * Any thread submits a job (a function that writes through the db API, plus a completion).
 * The writer thread takes everything queued at once (natural batching: no timer, no waiting for
 * company) and runs the batch as one transaction:
 *
 *     BEGIN IMMEDIATE
 *       for each job:  SAVEPOINT; run(); RELEASE   -- or ROLLBACK TO when run fails
 *     COMMIT
 *     for each job:  done(rc)                      -- only now, after COMMIT returned OK
 *
 * A job that fails is rolled back alone; the others of its batch go on. When another process
 * holds the database's write lock (a long `delphi round close` or `delphi aggregate`), BEGIN
 * IMMEDIATE is tried again for up to lock_wait_ms (30 s) before the batch fails; nothing of the
 * batch has run by then, so nothing is acknowledged that was not committed. One fsync (with
 * durability full) or one WAL append (normal) serves a whole batch, which is what makes many
 * small writes cheap (shared/notes/https-on-libevent-2.1.md §3.2).
 *
 * A batch made only of jobs marked rerunnable runs without the savepoints, which cost about an
 * eighth of the writer's work per save (SQLite copies every page a savepoint touches first):
 * BEGIN, every run, COMMIT. Should a run fail, the whole transaction is rolled back and the batch runs again
 * the way above, so the outcome is the same: the failed job alone is left out.
 *
 * Acknowledged means durable: done(arg, rc >= 0, ...) is called only after the COMMIT that holds
 * the job's changes has returned. With WRITER_NORMAL (WAL, synchronous=NORMAL) such a commit
 * survives a crash of the process (kill -9); with WRITER_FULL it also survives a power loss.
 *
 * Threads: writer_new, writer_stop and writer_free from one controlling thread; writer_submit and
 * writer_stats from any thread. run and done are called on the writer thread (except the
 * refusals of writer_submit, below). The writer thread blocks every signal.
 *
 * Usage by the HTTP layer (see req.h): embed a struct writer_job in the request's job data, call
 * req_suspend, then writer_submit; in done, post the result back to the request's event thread
 * (req_post) and return. Answer 503 when done gets WRITER_REFUSED.
 */
#ifndef DELPHI_WRITER_H
#define DELPHI_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct writer;

#define WRITER_ERR_MAX 256             /* run's error buffer, and any message done receives */
#define WRITER_MAX_QUEUE_DEFAULT 100000 /* jobs waiting at most, by default */
#define WRITER_MAX_BATCH_DEFAULT 1000   /* jobs in one transaction at most, by default */
#define WRITER_LOCK_WAIT_DEFAULT_MS 30000 /* a batch waits this long for a locked database */

/* Results a job's done receives besides run's own (>= 0 on success). */
enum writer_rc {
	WRITER_FAILED = -1,  /* run failed (err: run's message), or the batch's transaction
			      * failed to begin or commit (err: the database's, e.g. "cannot
			      * commit: disk I/O error"): nothing of the job was written */
	WRITER_REFUSED = -2, /* not run at all: the queue was full or the writer is stopping
			      * (err "queue full" / "shutting down"); worth retrying later (503) */
};

/*
 * A unit of work. The submitter fills run, done and arg; the rest belongs to the writer.
 * The struct (usually embedded in the submitter's own job data) must stay valid and untouched
 * from writer_submit until done is called; done may then free it. Never submit a job that is
 * still queued.
 */
struct writer_job {
	/*
	 * Writes through db (db.h functions), inside the batch's transaction and (unless the batch
	 * is made of rerunnable jobs) the job's own savepoint: it must not begin, commit or roll
	 * back, and must leave savepoints balanced (the db_* functions do). Returns >= 0 on success
	 * (passed to done as rc), or < 0 after writing a message to err[errlen] (e.g.
	 * db_error(db)); then everything the job wrote is rolled back and done gets WRITER_FAILED
	 * with that message ("job failed" if err was left empty). run sees the writes of the jobs
	 * before it in the batch. Required.
	 */
	int (*run)(struct db *db, void *arg, char *err, size_t errlen);
	/*
	 * Called exactly once for every job passed to writer_submit: rc is run's result (>= 0: the
	 * job's changes are committed), WRITER_FAILED or WRITER_REFUSED; err is NULL on success, else
	 * a message valid during the call only. Runs on the writer thread, holding up every later
	 * batch, so it must be quick and must only hand off (push to a queue and wake a loop, e.g.
	 * req_post); it may call writer_submit and writer_stats, never writer_stop or writer_free.
	 * For refused jobs it runs on the submitting thread, before writer_submit returns. Required.
	 */
	void (*done)(void *arg, int rc, const char *err);
	void *arg;
	/*
	 * Non-zero: run may be called more than once for this job before done, each call after the
	 * writes of the earlier ones were rolled back, and must then do the same as the first (it
	 * must not consume its inputs, and must overwrite, not accumulate, what it leaves in the
	 * job). Lets the writer run a batch of such jobs without a savepoint each (above).
	 */
	int rerunnable;
	/*
	 * Non-zero: the job changes nothing that the event threads cache (api_cache.h: experts,
	 * tokens, invitations, rounds, sessions), only answers or a session's last-seen time;
	 * its commit leaves writer_generation alone. Zero (the safe default): committing a batch
	 * with this job in it moves the generation on.
	 */
	int cache_neutral;

	/* Private to the writer. */
	struct writer_job *next;
	int rc;
	char err[WRITER_ERR_MAX];
};

enum writer_durability {
	WRITER_NORMAL, /* WAL, synchronous=NORMAL: survives a crash of delphi */
	WRITER_FULL,   /* WAL, synchronous=FULL: an fsync per commit, survives a power loss */
};

struct writer_options {
	enum writer_durability durability;
	int create;       /* non-zero: create the database file if missing (else it must exist) */
	size_t max_queue; /* jobs waiting at most; more are refused. 0: WRITER_MAX_QUEUE_DEFAULT */
	size_t max_batch; /* jobs per transaction at most, so one batch's WAL growth and the wait
			   * of its first job stay bounded. 0: WRITER_MAX_BATCH_DEFAULT */
	/* Called on the writer thread after every successful COMMIT, before the batch's done calls,
	 * with the number of jobs in the batch and the time from BEGIN to COMMIT's return; e.g. to
	 * feed metrics_observe_commit. Must be quick. May be NULL. */
	void (*on_commit)(void *arg, size_t jobs, uint64_t usec);
	void *on_commit_arg;
	/* How long, in all, a batch waits for the write lock while another process holds it (a
	 * long `delphi round close` or `delphi aggregate`) before its jobs fail: BEGIN IMMEDIATE
	 * is tried again, with a growing pause, until this many milliseconds have passed since
	 * the first attempt. 0: WRITER_LOCK_WAIT_DEFAULT_MS. */
	unsigned lock_wait_ms;
	/* SQLite's busy timeout on the writer's connection, milliseconds: how long one attempt
	 * (or any statement) waits for a lock. 0: DB_BUSY_TIMEOUT_MS (5 s). Tests shorten it. */
	unsigned busy_timeout_ms;
};

/*
 * Opens the database at db_path read-write (db_open with DB_READWRITE, applying migrations, on
 * the calling thread, so a bad file is reported here) and starts the writer thread.
 * opt may be NULL (durability normal, defaults for the rest). Returns the writer, or NULL with a
 * one-line message in err[errlen].
 */
struct writer *writer_new(const char *db_path, const struct writer_options *opt, char *err,
			  size_t errlen);

/*
 * Queues job. Never blocks on I/O (it takes a mutex only held for list operations) and never
 * allocates. Returns 0 when queued (done follows from the writer thread); -1 when refused because
 * the queue holds max_queue jobs or writer_stop has begun: then done(arg, WRITER_REFUSED, ...)
 * has already run on this thread. Either way the job belongs to the writer until done.
 */
int writer_submit(struct writer *w, struct writer_job *job);

/*
 * Graceful stop: refuses new jobs from now on, commits every job already queued (their done
 * calls happen as usual), joins the thread and closes the connection. Idempotent. The
 * statistics stay readable until writer_free.
 */
void writer_stop(struct writer *w);

/* writer_stop if not done yet, then frees everything. NULL is a no-op. */
void writer_free(struct writer *w);

/* ---- Statistics (for /metrics) ---------------------------------------------------------------- */

/* Histogram bucket upper bounds (inclusive); the last bucket of each histogram is +Inf. */
#define WRITER_BATCH_BUCKETS 10  /* 1, 2, 4, 8, 16, 32, 64, 128, 256, +Inf jobs */
#define WRITER_COMMIT_BUCKETS 14 /* 100us .. 5s, +Inf: see writer_commit_bounds */
extern const uint64_t writer_batch_bounds[WRITER_BATCH_BUCKETS - 1];
extern const uint64_t writer_commit_bounds[WRITER_COMMIT_BUCKETS - 1]; /* microseconds */

/*
 * Counters since writer_new. Each value is read atomically, but a snapshot taken during a batch
 * may see one counter updated and another not yet. Histogram buckets are plain (not cumulative)
 * counts: bucket i counts observations in (bound[i-1], bound[i]].
 */
struct writer_stats {
	uint64_t batches;         /* transactions committed */
	uint64_t jobs;            /* jobs in committed transactions (succeeded or rolled back alone) */
	uint64_t jobs_failed;     /* jobs whose run failed (rolled back alone) */
	uint64_t batches_failed;  /* transactions that failed to begin or commit (every job failed) */
	uint64_t refused;         /* jobs refused by writer_submit (queue full or stopping) */
	uint64_t queued;          /* jobs waiting right now */
	uint64_t max_batch;       /* the largest batch committed */
	uint64_t batch_size[WRITER_BATCH_BUCKETS];     /* committed batches by number of jobs */
	uint64_t commit_usec[WRITER_COMMIT_BUCKETS];   /* committed batches by BEGIN..COMMIT time */
	uint64_t commit_usec_sum; /* total BEGIN..COMMIT time of committed batches, microseconds */
};

/* Fills *out. Any thread, lock-free (relaxed atomics). */
void writer_stats(struct writer *w, struct writer_stats *out);

/* A counter that moves on, after the COMMIT and before the jobs' done callbacks run, with every
 * batch that held a job not marked cache_neutral. Readers that cache what such jobs change
 * read it before reading the store and drop an entry made under another value (api_cache.h).
 * Any thread; an acquire load. */
uint64_t writer_generation(struct writer *w);

#endif
