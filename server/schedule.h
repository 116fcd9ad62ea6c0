/*
 * schedule — the round scheduler of `delphi serve`: it closes every open round whose scheduled
 * close (rounds.close_at, given by POST .../rounds/open or .../reopen: docs/api.md "Rounds") has
 * come, exactly as a coordinator's POST .../rounds/close does (api_rounds_close_in: the state
 * change, the aggregator and its statistics, the audit row "round.close"), as the actor
 * SCHEDULE_ACTOR with the reason "scheduled close at TIME".
 *
 * How: one thread of its own, with its own read-only connection, looks at once when started and
 * then every interval (default one second) for open rounds with close_at <= now: one short range
 * of the partial index rounds_due (db_schedule.h, migration 0006), so a look costs microseconds.
 * For each round found it loads the survey's model on that connection and submits a job to the
 * group-commit writer (writer.h), which does the closing: no event loop ever waits for it, and
 * the writer stays the only thread that writes. The job checks again inside its transaction that
 * the round is still its survey's latest, open, and due (a coordinator may have closed it,
 * reopened it or given it another close_at since the look); otherwise it writes nothing. The
 * thread waits for the writer to finish its jobs before it looks again, so a round is never
 * submitted twice. A look or a close that fails is logged and tried again SCHEDULE_RETRY seconds
 * later.
 *
 * A round whose close_at passed while no server ran is closed at the next start. A reopened round
 * keeps no earlier close_at (api_rounds.c: reopen clears it unless it gives a new one), so the
 * scheduler does not close it again at once.
 *
 * Threads: schedule_new, schedule_stop and schedule_free from one controlling thread (the
 * server's main thread). The scheduler's thread blocks every signal. The time helpers are pure
 * and thread-safe.
 *
 * Ownership and shutdown: the writer is borrowed and must run until schedule_stop has returned,
 * because schedule_stop waits for the jobs already submitted: stop the scheduler before the
 * writer (cli_serve.c: httpd_join, api_stop, schedule_stop, writer_stop). After schedule_stop
 * nothing of the scheduler is queued or running; schedule_free then frees it.
 */
#ifndef DELPHI_SCHEDULE_H
#define DELPHI_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "db.h"

struct schedule;
struct writer;

#define SCHEDULE_ACTOR "system:schedule" /* the audit log's actor of a scheduled close */
#define SCHEDULE_INTERVAL_MS 1000        /* between two looks, by default */
#define SCHEDULE_RETRY 60                /* seconds to wait after a failed look or close */
#define SCHEDULE_BATCH 16                /* rounds closed per look at most (the rest: next look) */

struct schedule_options {
	const char *db_path;   /* the database, already created and migrated (by the writer) */
	struct writer *writer; /* borrowed: runs the closings */
	unsigned interval_ms;  /* between two looks; 0: SCHEDULE_INTERVAL_MS */
};

/*
 * Opens db_path read-only and starts the scheduler's thread, which looks at once. Returns 0 and
 * sets *out, or -1 with a one-line message in err[errlen] (and *out NULL).
 */
int schedule_new(const struct schedule_options *opt, struct schedule **out, char *err,
		 size_t errlen);

/* Stops the thread: it finishes the look under way (waiting for the writer to complete the jobs
 * it submitted) and is joined; then the read-only connection is closed (so that a read-write
 * connection closed afterwards is the last one and folds the WAL back: cli_serve's tidy_wal).
 * Idempotent. NULL is a no-op. */
void schedule_stop(struct schedule *s);

/* schedule_stop if not done yet, then frees s. NULL is a no-op. */
void schedule_free(struct schedule *s);

/* ---- Time (pure) ---------------------------------------------------------------------------- */

/* Parses s, exactly "YYYY-MM-DDTHH:MM:SSZ" naming a real UTC moment from 1970-01-01T00:00:00Z to
 * 9999-12-31T23:59:59Z (no 30 February, no second 60), into *out. Returns 0, or -1 for any other
 * text (NULL included). */
int schedule_time_parse(const char *s, time_t *out);

/* t (>= 0) as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void schedule_time_format(time_t t, char out[DB_TIME_MAX]);

/* Whether a round scheduled to close at close_at is due at now: close_at is a valid time (as
 * schedule_time_parse takes it) at or before now. "" (no scheduled close) or an invalid text is
 * never due. */
bool schedule_is_due(const char *close_at, time_t now);

#endif
