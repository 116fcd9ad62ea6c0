/*
 * api_console — what the console's handlers (api_login.c, api_surveys.c, api_experts.c,
 * api_mail.c, api_rounds.c, api_comments.c, api_reports.c, api_users.c, api_audit.c; docs/api.md
 * "The console API") share: the console's part of the application state (login throttling, the
 * worker pools, the public URL), the request's user and survey, the paging of long lists
 * (?limit=, ?before=, "next_before"), and three ways of doing work off the event thread with the
 * reply coming back to it:
 *
 *   api_console_write    a job for the group-commit writer (every change to the store);
 *   api_console_offload  a job for a worker pool (password checks and hashes, parsing a large
 *                        definition, an SMTP batch), which must not run on an event loop and
 *                        would stall everyone's answer saves on the writer;
 *   api_console_read     a console read too large for an event loop (the progress of a round,
 *                        the topic table and a topic's page, the report and answer downloads:
 *                        0.1 to 3 s each at national scale), built on the reads pool.
 *
 * The reads pool has one thread and a short queue: a burst of downloads runs one after the other
 * on one core, never delays logins (work) or mail, and what does not fit in the queue is refused
 * with 503 (api_console_busy). Workers have no database connection of their own: each read job
 * opens a read-only connection (db_open DB_READONLY, as an event thread's; about a millisecond,
 * against the hundreds of milliseconds a job reads for) and closes it when done, so nothing is shared between
 * threads and nothing stays open between jobs.
 *
 * Threads: everything here runs on the request's event thread unless said otherwise.
 */
#ifndef DELPHI_API_CONSOLE_H
#define DELPHI_API_CONSOLE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_int.h"
#include "db_console.h"
#include "req.h"

struct workq;

#define API_CONSOLE_ACTOR_MAX (5 + DB_USER_NAME_MAX + 1) /* "user:" NAME NUL */
#define API_CONSOLE_UPLOAD_MAX ((size_t)4 << 20) /* definition and experts CSV bodies */
#define API_CONSOLE_URL_MAX 1024
#define JSON_TYPE_UTF8 "application/json; charset=utf-8"

/* The console's part of struct api. */
struct api_console {
	struct auth_throttle *throttle; /* login attempts per account and per address */
	struct workq *work;             /* password checks and hashes, definition parsing */
	struct workq *mail;             /* SMTP batches, one at a time */
	struct workq *reads;            /* console reads (api_console_read), one at a time */
	atomic_int mailing;             /* 1 while a batch is queued or being sent */
	atomic_int stopping;            /* set by api_console_stop: long jobs end early */
	char public_url[API_CONSOLE_URL_MAX]; /* without a trailing slash; "" until set */
};

/* Creates the console state of a (api_new). 0, or -1 when out of memory or a thread cannot
 * start. */
int api_console_init(struct api *a);
/* Stops the worker pools, finishing what they hold (api_stop). Idempotent. */
void api_console_stop(struct api *a);
/* Frees the console state (api_free, after api_console_stop). */
void api_console_release(struct api *a);

/* ---- The request's user and survey ---------------------------------------------------------- */

/* The principal of a console route (api_auth_authorize set it). */
const struct api_principal *api_console_principal(const struct req *r);

/* "user:NAME" of the request's user into actor. Returns 0, or -1 after replying (500; or 401
 * when the user is gone). */
int api_console_actor(struct req *r, char actor[API_CONSOLE_ACTOR_MAX]);

/* The survey of the request's {slug}: 0 and *out (a reference: api_survey_put it), or -1 after
 * replying (404 unknown_survey, 500). */
int api_console_survey(struct req *r, struct api_survey **out);

/* The round of the request's {n} (1..SURVEY_MAX_ROUNDS) in survey survey_id: 0 and *out, or -1
 * after replying (404 unknown_round, 500). */
int api_console_round(struct req *r, int64_t survey_id, struct db_console_round *out);

/* The round as the console shows it: {"number","state","opened_at","closed_at","close_at"}
 * (times null when empty). New reference, NULL when out of memory. */
json_t *api_console_round_json(const struct db_console_round *r);

/* An optional non-negative integer query parameter name in [min, max] (def when absent): 0, or
 * -1 after replying 422 invalid_request with field = name. */
int api_console_query_int(struct req *r, const char *name, long long min, long long max,
			  long long def, long long *out);

/* ---- Paged lists (GET /api/v1/audit, GET .../mail-log) ------------------------------------- */

#define API_CONSOLE_PAGE_DEFAULT 100
#define API_CONSOLE_PAGE_MAX 500

/* One page of a list read newest first: ?limit= entries (1..API_CONSOLE_PAGE_MAX, default
 * API_CONSOLE_PAGE_DEFAULT) with ids below ?before= (0: from the newest). */
struct api_console_page {
	json_t *list;     /* the entries (owned; NULL when out of memory) */
	int64_t last;     /* the id of the last entry added */
	long long limit;  /* ?limit= */
	long long before; /* ?before=, 0 when absent */
};

/* Reads ?limit= and ?before= into p and makes its list (maybe NULL: api_console_page_reply then
 * answers 500). 0, or -1 after replying 422 invalid_request. Either way release p afterwards. */
int api_console_page_begin(struct req *r, struct api_console_page *p);

/* Adds entry (stolen; NULL when out of memory) whose id is id: 0, or 1 when out of memory (the
 * value a db_console walk's callback returns to stop). */
int api_console_page_add(struct api_console_page *p, int64_t id, json_t *entry);

/* Replies for a walk that returned rc (walks with a NULL list count as rc 1): rc < 0
 * api_fail_db with what; rc > 0 500 out of memory; else 200 {"entries": [...], "next_before":
 * the last id when the page is full (more may follow), null on a short (last) page}. */
void api_console_page_reply(struct req *r, struct db *db, const struct api_console_page *p,
			    int rc, const char *what);

/* Frees p's list. */
void api_console_page_release(struct api_console_page *p);

/* The survey's language asked for with ?lang= (default its first): the language, or NULL after
 * replying 422 invalid_request. The string is the survey's own (valid while s is). */
const char *api_console_lang(struct req *r, const struct survey *s);

/* The body of a POST whose body is optional: 0 with *out NULL when there is none (no bytes), or
 * a JSON object (caller owns it); -1 after replying (413, 415, 400, or 400 bad_json when the body
 * is not an object). */
int api_console_body(struct req *r, json_t **out);

/* Replies {"error": {...}, "errors": list, "error_count": count} with status (steals list). */
void api_console_reply_errors(struct req *r, int status, const char *code, const char *message,
			      json_t *list, size_t count);

/* Replies bytes as a download: Content-Type type and Content-Disposition: attachment;
 * filename="NAME" (name: safe ASCII, made by the caller). Takes ownership of data (free()). */
void api_console_download(struct req *r, const char *type, const char *name, char *data,
			  size_t len);

/* ---- Closing a round (api_rounds.c) --------------------------------------------------------- */

struct cli_report_agg;

#define API_ROUNDS_WHY_MAX 100 /* bytes of api_rounds_close_in's why that reach the audit log */

/* Closes the open round of sv the way the server closes rounds: POST .../rounds/close and the
 * scheduler (schedule.h) both call this. Inside the caller's transaction (a writer job's run, on
 * the writer thread): db_round_close, the aggregator over the closed round (cli_report_aggregate:
 * a round is never closed without its statistics), and the audit row "round.close" by actor with
 * detail "survey=SLUG round=N rows=ROWS", plus " reason=WHY" when why is not NULL. Returns
 * DB_ROUND_DONE with *r the closed round and *agg its summary, DB_ROUND_NONE_OPEN (nothing
 * written; *r the latest round), or -1 (db_error(db) says why). */
int api_rounds_close_in(struct db *db, const struct db_survey *sv, const char *actor,
			const char *why, struct db_round *r, struct cli_report_agg *agg);

/* ---- Work off the event thread -------------------------------------------------------------- */

/* run: on the writer thread inside the batch's transaction (writer_job.run's contract).
 * reply: on the request's thread afterwards with run's result, or WRITER_FAILED /
 * WRITER_REFUSED (then err says why; api_fail_write answers those). reply must reply (or
 * suspend again) and owns arg: it frees it. */
typedef int api_console_run_fn(struct db *db, void *arg, char *err, size_t errlen);
typedef void api_console_reply_fn(struct req *r, void *arg, int rc, const char *err);

/* Suspends r and submits run to the writer; reply follows. Never fails: a job that cannot be
 * made or is refused gets reply with WRITER_FAILED / WRITER_REFUSED. */
void api_console_write(struct req *r, api_console_run_fn *run, api_console_reply_fn *reply,
		       void *arg);

/* work: on a worker of pool q. done: then on the request's thread, with ran false when the pool
 * refused the job (full or stopping: answer 503). done must reply (or suspend again) and owns
 * arg. Never fails: when no job can be made, done runs at once with ran false. */
typedef void api_console_work_fn(void *arg);
typedef void api_console_done_fn(struct req *r, void *arg, bool ran);
void api_console_offload(struct req *r, struct workq *q, api_console_work_fn *work,
			 api_console_done_fn *done, void *arg);

/* build: on the reads worker, with db a read-only connection opened for this job alone (closed
 * after build returns), or db NULL when it could not be opened (err says why; else err is NULL).
 * build must not touch the request (req_*): what it needs from it is copied into arg first, and
 * what it makes is kept in arg for done. done: then on the request's thread, as with
 * api_console_offload (ran false: refused, or the server was stopping before the job began:
 * answer 503 with api_console_busy). Never fails. */
typedef void api_console_read_fn(struct db *db, const char *err, void *arg);
void api_console_read(struct req *r, api_console_read_fn *build, api_console_done_fn *done,
		      void *arg);

/* true once api_console_stop began: a long job (an export) ends early; its request is gone. Any
 * thread. */
bool api_console_stopping(const struct api *a);

/* Replies 503 unavailable with Retry-After (a pool or the writer refused the work). */
void api_console_busy(struct req *r);

#endif
