/*
 * api_console — the console's shared state and helpers (api_console.h): worker pools, the
 * request's user, survey and round, query parameters, downloads, and handing work to the writer
 * or a worker pool with the reply coming back on the request's event thread.
 */
#include "api_console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "workq.h"
#include "writer.h"

#define WORK_THREADS 2   /* password checks at ~0.4 s each: two logins at a time per server */
#define WORK_QUEUE 64    /* more waiting than this: 503 (the throttle limits each account) */
#define MAIL_QUEUE 1     /* one SMTP batch at a time (api_mail.c also refuses a second) */
#define READS_QUEUE 8    /* console reads waiting behind the one being built: more is 503 */

int api_console_init(struct api *a)
{
	struct api_console *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	a->console = c;
	atomic_init(&c->mailing, 0);
	atomic_init(&c->stopping, 0);
	snprintf(c->public_url, sizeof c->public_url, "https://localhost:8443");
	if (!(c->throttle = auth_throttle_new(0)) ||
	    !(c->work = workq_new(WORK_THREADS, WORK_QUEUE, "delphi-work")) ||
	    !(c->mail = workq_new(1, MAIL_QUEUE, "delphi-mail")) ||
	    !(c->reads = workq_new(1, READS_QUEUE, "delphi-reads")))
		return -1;
	return 0;
}

void api_console_stop(struct api *a)
{
	if (!a->console)
		return;
	atomic_store(&a->console->stopping, 1);
	workq_stop(a->console->work);
	workq_stop(a->console->mail);
	workq_stop(a->console->reads); /* queued reads are skipped: their requests are gone */
}

bool api_console_stopping(const struct api *a)
{
	return atomic_load(&a->console->stopping) != 0;
}

void api_console_release(struct api *a)
{
	struct api_console *c = a->console;
	if (!c)
		return;
	workq_free(c->work);
	workq_free(c->mail);
	workq_free(c->reads);
	auth_throttle_free(c->throttle);
	free(c);
	a->console = NULL;
}

/* ---- The request's user and survey ---------------------------------------------------------- */

const struct api_principal *api_console_principal(const struct req *r)
{
	return req_auth(r);
}

int api_console_actor(struct req *r, char actor[API_CONSOLE_ACTOR_MAX])
{
	const struct api_principal *p = api_console_principal(r);
	struct db *db = api_db(r);
	char name[DB_USER_NAME_MAX + 1];
	int found = db_console_user_name(db, p->user_id, name);
	if (found < 0) {
		api_fail_db(r, db, "cannot read the user");
		return -1;
	}
	if (found == DB_NOT_FOUND) {
		req_add_header(r, "WWW-Authenticate", "Bearer realm=\"delphi\"");
		req_reply_error(r, 401, "unauthenticated", NULL, "this account no longer exists");
		return -1;
	}
	snprintf(actor, API_CONSOLE_ACTOR_MAX, "user:%s", name);
	return 0;
}

int api_console_survey(struct req *r, struct api_survey **out)
{
	struct db *db = api_db(r);
	const char *slug = req_param(r, "slug");
	char err[DB_ERR_MAX];
	int64_t id;
	*out = NULL;
	int found = slug ? db_console_survey_id(db, slug, &id) : DB_NOT_FOUND;
	if (found < 0) {
		api_fail_db(r, db, "cannot look up the survey");
		return -1;
	}
	if (found == DB_NOT_FOUND) {
		req_reply_error(r, 404, "unknown_survey", NULL, "there is no survey \"%.64s\"",
				slug ? slug : "");
		return -1;
	}
	if (api_survey_get(api_of(r), db, id, out, err, sizeof err)) {
		api_fail(r, "cannot load the survey", err);
		return -1;
	}
	return 0;
}

int api_console_round(struct req *r, int64_t survey_id, struct db_console_round *out)
{
	struct db *db = api_db(r);
	const char *n = req_param(r, "n");
	char *end;
	errno = 0;
	long number = n && *n >= '1' && *n <= '9' ? strtol(n, &end, 10) : 0;
	if (!number || *end || errno || number > SURVEY_MAX_ROUNDS) {
		req_reply_error(r, 404, "unknown_round", NULL, "there is no round \"%.16s\"",
				n ? n : "");
		return -1;
	}
	int found = db_console_round_get(db, survey_id, (int)number, out);
	if (found < 0) {
		api_fail_db(r, db, "cannot read the round");
		return -1;
	}
	if (found == DB_NOT_FOUND) {
		req_reply_error(r, 404, "unknown_round", NULL, "round %ld has not been opened",
				number);
		return -1;
	}
	return 0;
}

static json_t *time_or_null(const char *t)
{
	return t && *t ? json_string(t) : json_null();
}

json_t *api_console_round_json(const struct db_console_round *r)
{
	return json_pack("{s:i, s:s, s:o, s:o, s:o}", "number", r->r.number, "state",
			 db_round_state_name(r->r.state), "opened_at", time_or_null(r->r.opened_at),
			 "closed_at", time_or_null(r->r.closed_at), "close_at",
			 time_or_null(r->close_at));
}

int api_console_query_int(struct req *r, const char *name, long long min, long long max,
			  long long def, long long *out)
{
	const char *v = req_query(r, name);
	char *end;
	*out = def;
	if (!v)
		return 0;
	errno = 0;
	long long x = *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : -1;
	if (x < min || x > max || *end || errno) {
		req_reply_error(r, 422, "invalid_request", name, "%s must be an integer from %lld to "
				"%lld", name, min, max);
		return -1;
	}
	*out = x;
	return 0;
}

int api_console_page_begin(struct req *r, struct api_console_page *p)
{
	*p = (struct api_console_page){ json_array(), 0, 0, 0 };
	if (api_console_query_int(r, "limit", 1, API_CONSOLE_PAGE_MAX, API_CONSOLE_PAGE_DEFAULT,
				  &p->limit) ||
	    api_console_query_int(r, "before", 1, INT64_MAX, 0, &p->before))
		return -1;
	return 0;
}

int api_console_page_add(struct api_console_page *p, int64_t id, json_t *entry)
{
	p->last = id;
	return json_array_append_new(p->list, entry) ? 1 : 0;
}

void api_console_page_reply(struct req *r, struct db *db, const struct api_console_page *p,
			    int rc, const char *what)
{
	if (rc < 0) {
		api_fail_db(r, db, what);
		return;
	}
	if (rc || !p->list) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	/* A full page may have more after it; a short one is the last. */
	req_reply_json(r, 200, json_pack("{s:O, s:o}", "entries", p->list, "next_before",
					 json_array_size(p->list) == (size_t)p->limit
						 ? json_integer(p->last)
						 : json_null()));
}

void api_console_page_release(struct api_console_page *p)
{
	json_decref(p->list);
	p->list = NULL;
}

const char *api_console_lang(struct req *r, const struct survey *s)
{
	const char *lang = req_query(r, "lang");
	if (!lang)
		return s->languages[0];
	int i = survey_language_index(s, lang);
	if (i < 0) {
		req_reply_error(r, 422, "invalid_request", "lang", "survey %s has no language "
				"\"%.16s\"", s->slug, lang);
		return NULL;
	}
	return s->languages[i];
}

int api_console_body(struct req *r, json_t **out)
{
	const unsigned char *data;
	size_t len;
	*out = NULL;
	if (req_body(r, &data, &len))
		return -1;
	if (!len)
		return 0;
	if (req_json_body(r, out))
		return -1;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		req_reply_error(r, 400, "bad_json", NULL, "expected a JSON object");
		return -1;
	}
	return 0;
}

void api_console_reply_errors(struct req *r, int status, const char *code, const char *message,
			      json_t *list, size_t count)
{
	json_t *doc = req_error_json(code, message, NULL);
	if (!doc || !list || json_object_set_new(doc, "errors", list) ||
	    json_object_set_new(doc, "error_count", json_integer((json_int_t)count))) {
		if (!doc)
			json_decref(list);
		json_decref(doc);
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	req_reply_json(r, status, doc);
}

void api_console_download(struct req *r, const char *type, const char *name, char *data,
			  size_t len)
{
	char disp[300];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name);
	req_add_header(r, "Content-Disposition", disp);
	req_reply_bytes(r, 200, type, data, len, free);
}

void api_console_busy(struct req *r)
{
	req_add_header(r, "Retry-After", "1");
	req_reply_error(r, 503, "unavailable", NULL,
			"the server is busy or shutting down: try again shortly");
}

/* ---- Writer jobs ---------------------------------------------------------------------------- */

struct write_job {
	struct writer_job wj;
	struct req *req;
	api_console_run_fn *run;
	api_console_reply_fn *reply;
	void *arg;
	int rc;
	char err[WRITER_ERR_MAX];
};

static int write_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct write_job *j = arg;
	return j->run(db, j->arg, err, errlen);
}

static void write_reply(struct req *r, void *arg)
{
	struct write_job *j = arg;
	api_console_reply_fn *reply = j->reply;
	void *a = j->arg;
	int rc = j->rc;
	char err[WRITER_ERR_MAX];
	memcpy(err, j->err, sizeof err);
	free(j);
	reply(r, a, rc, rc < 0 ? err : NULL);
}

static void write_done(void *arg, int rc, const char *err)
{
	struct write_job *j = arg;
	j->rc = rc;
	snprintf(j->err, sizeof j->err, "%s", rc < 0 && err ? err : "");
	req_post(j->req, write_reply, j);
}

void api_console_write(struct req *r, api_console_run_fn *run, api_console_reply_fn *reply,
		       void *arg)
{
	struct write_job *j = calloc(1, sizeof *j);
	if (!j) {
		reply(r, arg, WRITER_FAILED, "out of memory");
		return;
	}
	j->req = r;
	j->run = run;
	j->reply = reply;
	j->arg = arg;
	j->wj.run = write_run;
	j->wj.done = write_done;
	j->wj.arg = j;
	req_suspend(r);
	writer_submit(api_of(r)->writer, &j->wj);
}

/* ---- Worker jobs ---------------------------------------------------------------------------- */

struct work_job {
	struct workq_job wq;
	struct req *req;
	struct api *api;
	api_console_work_fn *work;  /* api_console_offload, or */
	api_console_read_fn *build; /* api_console_read */
	api_console_done_fn *done;
	void *arg;
	bool ran;
};

static void work_resume(struct req *r, void *arg)
{
	struct work_job *j = arg;
	api_console_done_fn *done = j->done;
	void *a = j->arg;
	bool ran = j->ran;
	free(j);
	done(r, a, ran);
}

/* A read job: skipped when the server is stopping (api_console_stop runs what is queued, whose
 * requests are gone by then), else built with a connection of its own. */
static void read_run(struct work_job *j)
{
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	if (api_console_stopping(j->api))
		return;
	if (db_open(j->api->db_path, DB_READONLY, &db, err))
		j->build(NULL, err, j->arg);
	else
		j->build(db, NULL, j->arg);
	db_close(db);
	j->ran = true;
}

static void work_run(struct workq_job *wq)
{
	struct work_job *j = (struct work_job *)wq;
	if (j->build) {
		read_run(j);
	} else {
		j->work(j->arg);
		j->ran = true;
	}
	req_post(j->req, work_resume, j);
}

/* Runs work (or, when NULL, build with a connection of its own) for request r on pool q, then
 * done on r's thread; done runs with ran false when the job could not be made or queued. */
static void submit(struct req *r, struct workq *q, api_console_work_fn *work,
		   api_console_read_fn *build, api_console_done_fn *done, void *arg)
{
	struct work_job *j = calloc(1, sizeof *j);
	if (!j) {
		done(r, arg, false);
		return;
	}
	j->wq.run = work_run;
	j->req = r;
	j->api = api_of(r);
	j->work = work;
	j->build = build;
	j->done = done;
	j->arg = arg;
	req_suspend(r);
	if (workq_submit(q, &j->wq))
		req_post(r, work_resume, j); /* refused: done runs with ran false */
}

void api_console_offload(struct req *r, struct workq *q, api_console_work_fn *work,
			 api_console_done_fn *done, void *arg)
{
	submit(r, q, work, NULL, done, arg);
}

void api_console_read(struct req *r, api_console_read_fn *build, api_console_done_fn *done,
		      void *arg)
{
	submit(r, api_of(r)->console->reads, NULL, build, done, arg);
}
