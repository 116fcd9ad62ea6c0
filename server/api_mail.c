/*
 * api_mail — invitations and reminders from the console (docs/api.md): the batch of
 * `delphi experts invite | remind` (mail_batch.c, docs/mail.md), so the same rules hold: every
 * mail carries a freshly issued link whose hash is stored only once the relay accepted the mail,
 * each attempt is committed on its own with its mail_log row, sessions are kept. And
 * GET .../mail-log, the log a page at a time.
 *
 * The batch talks to the relay (smtp.h: blocking, up to its timeout per read or write), so it
 * runs on the console's mail thread, one batch per server at a time; the thread hands each
 * attempt's record to the writer and waits for its commit before the next mail. The request
 * stays suspended until the batch is done and is answered with every recipient's outcome. A
 * server that is stopping ends a batch after the mail in flight (the rest are not sent).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_console.h"
#include "db_mail.h"
#include "log.h"
#include "mail.h"
#include "mail_batch.h"
#include "smtp.h"
#include "writer.h"
#include "workq.h"

#define ONLY_MAX 100000 /* ids in "only" at most */

_Static_assert(API_CONSOLE_URL_MAX <= MAIL_BATCH_URL_MAX, "the public URL fits a mail's link");

struct mail_job {
	struct api *api;
	struct api_survey *m;
	char actor[API_CONSOLE_ACTOR_MAX];
	struct smtp_config cfg;
	struct mail_batch b;
	json_t *skipped;
	char fail[WRITER_ERR_MAX]; /* the batch stopped: why ("" if it did not) */
};

static void mail_job_free(struct mail_job *j)
{
	if (!j)
		return;
	mail_batch_release(&j->b);
	json_decref(j->skipped);
	smtp_config_clear(&j->cfg);
	api_survey_put(j->api, j->m);
	free(j);
}

/* ---- Choosing the recipients (on the event thread) ------------------------------------------ */

/* mail_batch_select's skip: every expert left out that the reply should name. */
static int skip_cb(void *arg, const char *ext_id, const char *why, bool named)
{
	struct mail_job *j = arg;
	(void)named;
	return json_array_append_new(j->skipped,
				     json_pack("{s:s, s:s}", "id", ext_id, "reason", why)) ? -1 : 0;
}

/* Reads "only" (an array of strings) into j. 0, or -1 after replying. */
static int take_only(struct req *r, json_t *only, struct mail_job *j)
{
	size_t n = json_array_size(only);
	if (!json_is_array(only) || n > ONLY_MAX) {
		req_reply_error(r, 422, "invalid_request", "only",
				"only must be an array of expert ids");
		return -1;
	}
	j->b.only = true;
	for (size_t i = 0; i < n; i++) {
		json_t *id = json_array_get(only, i);
		if (!json_is_string(id)) {
			req_reply_error(r, 422, "invalid_request", "only",
					"only must be an array of expert ids (strings)");
			return -1;
		}
		if (mail_batch_only_add(&j->b, json_string_value(id))) {
			req_reply_error(r, 500, "internal", NULL, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* ---- Recording an attempt (the mail thread waits for the writer) ---------------------------- */

struct record {
	struct writer_job wj;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int rc;
	char err[WRITER_ERR_MAX];
	/* what to write */
	const struct mail_job *j;
	const struct mail_batch_recipient *r; /* NULL: the batch's audit row */
	const char *token;
};

static int record_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct record *x = arg;
	const struct mail_job *j = x->j;
	if (x->r ? mail_batch_write_attempt(db, &j->b, x->r, x->token)
		 : mail_batch_write_audit(db, &j->b, j->actor)) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void record_done(void *arg, int rc, const char *err)
{
	struct record *x = arg;
	pthread_mutex_lock(&x->mu);
	x->rc = rc;
	snprintf(x->err, sizeof x->err, "%s", rc < 0 && err ? err : "");
	x->done = true;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

/* Writes one attempt (r) or the audit row (r NULL) and waits for the commit. 0 or -1 (x->err). */
static int record(struct mail_job *j, const struct mail_batch_recipient *r, const char *token)
{
	struct record x = { .j = j, .r = r, .token = token };
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	x.wj.run = record_run;
	x.wj.done = record_done;
	x.wj.arg = &x;
	writer_submit(j->api->writer, &x.wj);
	pthread_mutex_lock(&x.mu);
	while (!x.done)
		pthread_cond_wait(&x.cv, &x.mu);
	pthread_mutex_unlock(&x.mu);
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.mu);
	if (x.rc < 0)
		snprintf(j->fail, sizeof j->fail, "%s", x.err);
	return x.rc < 0 ? -1 : 0;
}

/* ---- The batch (on the mail thread) --------------------------------------------------------- */

static bool stop_cb(void *arg)
{
	struct mail_job *j = arg;
	return atomic_load(&j->api->console->stopping);
}

static int record_cb(void *arg, const struct mail_batch_recipient *r, const char *token)
{
	struct mail_job *j = arg;
	if (!record(j, r, token))
		return 0;
	if (r->status == DB_MAIL_SENT)
		log_warnx("console mail: the mail to %s went out but its new link could not be "
			  "stored, so that link does not work: %s", r->ext_id, j->fail);
	return -1;
}

static int audit_cb(void *arg)
{
	return record(arg, NULL, NULL);
}

static void send_batch(void *arg)
{
	struct mail_job *j = arg;
	const struct mail_batch_ops ops = { "console mail", stop_cb, record_cb, audit_cb };
	if (mail_batch_send(&j->b, &j->cfg, &ops, j) == MAIL_BATCH_STOPPED)
		snprintf(j->fail, sizeof j->fail, "the server is shutting down");
}

static void batch_done(struct req *r, void *arg, bool ran)
{
	struct mail_job *j = arg;
	const struct mail_batch *b = &j->b;
	json_t *results = json_array();
	atomic_store(&j->api->console->mailing, 0);
	if (!ran) {
		api_console_busy(r);
		goto out;
	}
	for (size_t i = 0; results && i < b->n_done; i++) {
		const struct mail_batch_recipient *x = &b->v[i];
		if (json_array_append_new(results, json_pack("{s:s, s:s, s:s, s:s}", "id", x->ext_id,
							     "email", x->email, "status",
							     db_mail_status_name(x->status),
							     "detail", x->detail))) {
			json_decref(results);
			results = NULL;
		}
	}
	if (*j->fail) {
		/* Some mails may have gone out: the log has each attempt recorded before the stop. */
		log_warnx("console mail: the batch stopped: %s", j->fail);
		req_add_header(r, "Retry-After", "1");
		req_reply_error(r, 503, "unavailable", NULL,
				"the batch stopped after %zu mail%s (see the mail log): %s",
				b->n_done, b->n_done == 1 ? "" : "s", j->fail);
		goto out;
	}
	req_reply_json(r, 200,
		       json_pack("{s:s, s:i, s:I, s:I, s:I, s:o?, s:O}", "kind",
				 mail_kind_name(b->kind), "round", b->round, "sent",
				 (json_int_t)b->count[DB_MAIL_SENT], "refused",
				 (json_int_t)b->count[DB_MAIL_REFUSED], "failed",
				 (json_int_t)b->count[DB_MAIL_FAILED], "results", results, "skipped",
				 j->skipped));
	results = NULL;
out:
	json_decref(results);
	mail_job_free(j);
}

/* Chooses the recipients of j (its survey, kind and language set), with db the event thread's
 * connection. 0, or -1 after replying. */
static int choose(struct req *r, struct db *db, struct mail_job *j)
{
	const char *slug = j->m->sv->survey->slug;
	size_t unknown = 0;
	int outcome = mail_batch_open_round(&j->b, db);
	if (outcome < 0) {
		api_fail_db(r, db, "cannot read the round");
		return -1;
	}
	if (outcome == MAIL_BATCH_NO_OPEN_ROUND) {
		req_reply_error(r, 409, "no_open_round", NULL,
				"reminders go to the experts invited to the open round: no round of "
				"%s is open", slug);
		return -1;
	}
	outcome = mail_batch_select(&j->b, db, skip_cb, j, &unknown);
	if (outcome < 0) {
		api_fail_db(r, db, "cannot read the experts");
		return -1;
	}
	if (outcome == MAIL_BATCH_NOMEM) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	if (outcome == MAIL_BATCH_UNKNOWN) {
		req_reply_error(r, 422, "invalid_request", "only",
				"survey %s has no expert \"%.64s\"", slug, j->b.only_ids[unknown]);
		return -1;
	}
	return 0;
}

/* ---- POST .../invitations ------------------------------------------------------------------- */

void api_mail_send(struct req *r)
{
	struct api *a = api_of(r);
	struct api_console *con = a->console;
	struct db *db = api_db(r);
	json_t *body = NULL;
	struct mail_job *j = NULL;
	char err[SMTP_ERR_MAX];
	bool holding = false;

	if (req_json_body(r, &body))
		return;
	if (!json_is_object(body)) {
		req_reply_error(r, 400, "bad_json", NULL, "expected {\"kind\": ..., \"only\": [...]}");
		goto out;
	}
	if (!(j = calloc(1, sizeof *j)) || !(j->skipped = json_array())) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	j->api = a;
	const char *kind = json_string_value(json_object_get(body, "kind"));
	if (!kind || (strcmp(kind, "invitation") && strcmp(kind, "reminder"))) {
		req_reply_error(r, 422, "invalid_request", "kind",
				"kind must be \"invitation\" or \"reminder\"");
		goto out;
	}
	j->b.kind = !strcmp(kind, "invitation") ? MAIL_INVITATION : MAIL_REMINDER;
	json_t *only = json_object_get(body, "only");
	if (only && !json_is_null(only) && take_only(r, only, j))
		goto out;
	if (api_console_survey(r, &j->m) || api_console_actor(r, j->actor))
		goto out;
	const struct survey *s = j->m->sv->survey;
	json_t *lang = json_object_get(body, "lang");
	int li = json_is_string(lang) ? survey_language_index(s, json_string_value(lang))
	       : lang && !json_is_null(lang) ? -1
					      : 0;
	if (li < 0) {
		req_reply_error(r, 422, "invalid_request", "lang", "survey %s has no such language",
				s->slug);
		goto out;
	}
	j->b.lang = s->languages[li];
	j->b.sv = j->m->sv;
	j->b.url = con->public_url;
	if (smtp_config_from_env(&j->cfg, err, sizeof err)) {
		req_reply_error(r, 501, "not_configured", NULL,
				"the server has no mail relay configured (%s): see docs/mail.md",
				err);
		goto out;
	}
	if (choose(r, db, j))
		goto out;
	if (atomic_exchange(&con->mailing, 1)) {
		req_reply_error(r, 409, "mail_in_progress", NULL,
				"another batch of mail is being sent: try again when it is done");
		goto out;
	}
	holding = true;
	if (!j->b.n) { /* nobody to mail: answer at once */
		atomic_store(&con->mailing, 0);
		holding = false;
		req_reply_json(r, 200, json_pack("{s:s, s:i, s:i, s:i, s:i, s:[], s:O}", "kind",
						 kind, "round", j->b.round, "sent", 0, "refused", 0,
						 "failed", 0, "results", "skipped", j->skipped));
		goto out;
	}
	api_console_offload(r, con->mail, send_batch, batch_done, j); /* clears mailing */
	j = NULL;
	holding = false;
out:
	if (holding)
		atomic_store(&con->mailing, 0);
	mail_job_free(j);
	json_decref(body);
}

/* ---- GET .../mail-log ----------------------------------------------------------------------- */

static int log_cb(const struct db_console_mail_row *m, void *arg)
{
	return api_console_page_add(arg, m->id,
				    json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "id",
					      (json_int_t)m->id, "at", m->at, "expert", m->ext_id,
					      "email", m->email, "round", m->round, "kind", m->kind,
					      "status", m->status, "detail", m->detail));
}

void api_mail_log(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct api_console_page p;
	if (api_console_page_begin(r, &p) || api_console_survey(r, &m))
		goto out;
	int rc = p.list ? db_console_mail_log(db, m->sv->id, p.before, (int)p.limit, log_cb, &p)
			: 1;
	api_console_page_reply(r, db, &p, rc, "cannot read the mail log");
out:
	api_console_page_release(&p);
	api_survey_put(a, m);
}
