/*
 * api_mail — invitations and reminders from the console (docs/api.md), with the rules of
 * `delphi experts invite | remind` (docs/mail.md): every mail carries a freshly issued link whose
 * hash is stored only once the relay accepted the mail, each attempt is committed on its own
 * with its mail_log row, sessions are kept. And GET .../mail-log, the log a page at a time.
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
#include <time.h>

#include "api_console.h"
#include "crypto.h"
#include "db_mail.h"
#include "log.h"
#include "mail.h"
#include "smtp.h"
#include "writer.h"
#include "workq.h"

#define LINK_MAX (API_CONSOLE_URL_MAX + 4 + DB_TOKEN_HEX)
#define ONLY_MAX 100000 /* ids in "only" at most */

struct recipient {
	int64_t id;
	char *ext_id, *name, *email;
	enum db_mail_status status;
	char detail[SMTP_ERR_MAX];
};

struct mail_job {
	struct api *api;
	struct api_survey *m;
	char actor[API_CONSOLE_ACTOR_MAX];
	enum mail_kind kind;
	const char *lang; /* the survey's */
	int round;        /* the open round, 0 if none */
	int64_t round_id;
	struct smtp_config cfg;

	char **only;      /* the ids asked for, or NULL */
	bool *only_seen;
	size_t n_only;

	struct recipient *v;
	size_t n, cap;
	json_t *skipped;
	size_t count[3];  /* by enum db_mail_status */
	char fail[WRITER_ERR_MAX]; /* the batch stopped: why ("" if it did not) */
	bool oom;
};

static void mail_job_free(struct mail_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].ext_id);
		free(j->v[i].name);
		free(j->v[i].email);
	}
	free(j->v);
	for (size_t i = 0; i < j->n_only; i++)
		free(j->only[i]);
	free(j->only);
	free(j->only_seen);
	json_decref(j->skipped);
	smtp_config_clear(&j->cfg);
	api_survey_put(j->api, j->m);
	free(j);
}

/* ---- Choosing the recipients (on the event thread) ------------------------------------------ */

static void skip(struct mail_job *j, const char *ext_id, const char *why)
{
	if (json_array_append_new(j->skipped, json_pack("{s:s, s:s}", "id", ext_id, "reason", why)))
		j->oom = true;
}

/* -1 when "only" was not given; else whether it names ext_id (marking it seen). */
static int named(struct mail_job *j, const char *ext_id)
{
	int hit = 0;
	if (!j->only)
		return -1;
	for (size_t i = 0; i < j->n_only; i++)
		if (!strcmp(j->only[i], ext_id)) {
			j->only_seen[i] = true;
			hit = 1;
		}
	return hit;
}

static int select_cb(const struct db_mail_candidate *c, void *arg)
{
	struct mail_job *j = arg;
	static const char no_address[] = "has no e-mail address";
	const char *why = NULL;
	int is_named = named(j, c->ext_id);
	if (!is_named)
		return 0;
	if (c->revoked)
		why = "is revoked";
	else if (j->round && !c->invited)
		why = "is not invited to the open round";
	else if (j->kind == MAIL_REMINDER && c->answered)
		why = "has answered the open round already";
	else if (!*c->email)
		why = no_address;
	if (why) {
		if (is_named == 1 || why == no_address)
			skip(j, c->ext_id, why);
		return j->oom;
	}
	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 64;
		struct recipient *v = realloc(j->v, cap * sizeof *v);
		if (!v)
			return 1;
		j->v = v;
		j->cap = cap;
	}
	struct recipient *r = &j->v[j->n++];
	*r = (struct recipient){ .id = c->id, .ext_id = strdup(c->ext_id),
				 .name = strdup(c->name), .email = strdup(c->email),
				 .status = DB_MAIL_FAILED };
	return !r->ext_id || !r->name || !r->email;
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
	if (!(j->only = calloc(n + 1, sizeof *j->only)) ||
	    !(j->only_seen = calloc(n + 1, sizeof *j->only_seen))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *id = json_array_get(only, i);
		if (!json_is_string(id)) {
			req_reply_error(r, 422, "invalid_request", "only",
					"only must be an array of expert ids (strings)");
			return -1;
		}
		if (!(j->only[j->n_only++] = strdup(json_string_value(id)))) {
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
	const struct recipient *r; /* NULL: the batch's audit row */
	const char *token;
};

static int record_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct record *x = arg;
	const struct mail_job *j = x->j;
	if (x->r) {
		enum db_mail_kind kind = j->kind == MAIL_INVITATION ? DB_MAIL_INVITATION
								    : DB_MAIL_REMINDER;
		if ((x->r->status == DB_MAIL_SENT && db_mail_set_token(db, x->r->id, x->token)) ||
		    db_mail_log(db, j->m->sv->id, x->r->id, j->round, kind, x->r->status,
				x->r->detail))
			goto fail;
		return 0;
	}
	char detail[300];
	snprintf(detail, sizeof detail, "survey=%s round=%d sent=%zu refused=%zu failed=%zu",
		 j->m->sv->survey->slug, j->round, j->count[DB_MAIL_SENT],
		 j->count[DB_MAIL_REFUSED], j->count[DB_MAIL_FAILED]);
	if (db_audit(db, j->actor, j->kind == MAIL_INVITATION ? "experts.invite" : "experts.remind",
		     detail))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
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
static int record(struct mail_job *j, const struct recipient *r, const char *token)
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

static int build_message(const struct mail_job *j, const struct recipient *r, const char *token,
			 struct buf *msg, char err[MAIL_ERR_MAX])
{
	const struct survey *s = j->m->sv->survey;
	struct buf subject = BUF_INIT, body = BUF_INIT;
	char link[LINK_MAX + 1], id[25];
	int rc = -1;
	buf_init(&subject);
	buf_init(&body);
	snprintf(link, sizeof link, "%s/e/%s", j->api->console->public_url, token);
	const struct mail_vars vars = {
		.survey_title = survey_text(s, &s->title, j->lang),
		.expert_name = r->name,
		.link = link,
		.round = j->round,
	};
	mail_compose(j->kind, j->lang, &vars, &subject, &body);
	if (crypto_token_hex(12, id)) {
		snprintf(err, MAIL_ERR_MAX, "no randomness for the Message-ID");
		goto out;
	}
	const struct mail_message m = {
		.from_name = j->cfg.from_name,
		.from_addr = j->cfg.from_addr,
		.to_name = r->name,
		.to_addr = r->email,
		.subject = subject.data,
		.body = body.data,
		.date = time(NULL),
		.id_random = id,
	};
	rc = mail_format(&m, msg, err);
out:
	explicit_bzero(link, sizeof link);
	if (body.cap)
		explicit_bzero(body.data, body.len);
	buf_release(&subject);
	buf_release(&body);
	return rc;
}

static enum db_mail_status status_of(enum smtp_result res)
{
	return res == SMTP_SENT ? DB_MAIL_SENT : res == SMTP_REFUSED ? DB_MAIL_REFUSED
								     : DB_MAIL_FAILED;
}

static void send_batch(void *arg)
{
	struct mail_job *j = arg;
	struct smtp_session *smtp = NULL;
	struct buf msg = BUF_INIT;
	char err[SMTP_ERR_MAX] = "";
	buf_init(&msg);
	if (smtp_open(&j->cfg, &smtp, err, sizeof err)) {
		log_warnx("console mail: %s", err);
		smtp = NULL;
	}
	for (size_t i = 0; i < j->n; i++) {
		struct recipient *r = &j->v[i];
		char token[DB_TOKEN_HEX + 1] = "", merr[MAIL_ERR_MAX];
		enum smtp_result res = SMTP_FAILED;
		if (atomic_load(&j->api->console->stopping)) {
			snprintf(j->fail, sizeof j->fail, "the server is shutting down");
			j->n = i; /* the rest were not attempted: not reported */
			break;
		}
		buf_reset(&msg);
		if (!smtp)
			snprintf(r->detail, sizeof r->detail, "not sent: %.400s", err);
		else if (crypto_token_hex(DB_TOKEN_BYTES, token))
			snprintf(r->detail, sizeof r->detail, "not sent: no randomness for a token");
		else if (build_message(j, r, token, &msg, merr))
			snprintf(r->detail, sizeof r->detail, "not sent: %s", merr);
		else
			res = smtp_send(smtp, r->email, msg.data, msg.len, r->detail,
					sizeof r->detail);
		if (msg.cap)
			explicit_bzero(msg.data, msg.len);
		r->status = status_of(res);
		int rc = record(j, r, token);
		explicit_bzero(token, sizeof token);
		if (rc) {
			if (r->status == DB_MAIL_SENT)
				log_warnx("console mail: the mail to %s went out but its new link could "
					  "not be stored, so that link does not work: %s", r->ext_id,
					  j->fail);
			j->n = i + 1;
			break;
		}
		j->count[r->status]++;
	}
	if (!*j->fail)
		record(j, NULL, NULL);
	smtp_close(smtp);
	buf_release(&msg);
}

static void batch_done(struct req *r, void *arg, bool ran)
{
	struct mail_job *j = arg;
	json_t *results = json_array();
	atomic_store(&j->api->console->mailing, 0);
	if (!ran) {
		api_console_busy(r);
		goto out;
	}
	for (size_t i = 0; results && i < j->n; i++) {
		const struct recipient *x = &j->v[i];
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
				"the batch stopped after %zu mail%s (see the mail log): %s", j->n,
				j->n == 1 ? "" : "s", j->fail);
		goto out;
	}
	req_reply_json(r, 200,
		       json_pack("{s:s, s:i, s:I, s:I, s:I, s:o?, s:O}", "kind",
				 mail_kind_name(j->kind), "round", j->round, "sent",
				 (json_int_t)j->count[DB_MAIL_SENT], "refused",
				 (json_int_t)j->count[DB_MAIL_REFUSED], "failed",
				 (json_int_t)j->count[DB_MAIL_FAILED], "results", results, "skipped",
				 j->skipped));
	results = NULL;
out:
	json_decref(results);
	mail_job_free(j);
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
	j->kind = !strcmp(kind, "invitation") ? MAIL_INVITATION : MAIL_REMINDER;
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
	j->lang = s->languages[li];
	if (smtp_config_from_env(&j->cfg, err, sizeof err)) {
		req_reply_error(r, 501, "not_configured", NULL,
				"the server has no mail relay configured (%s): see docs/mail.md",
				err);
		goto out;
	}
	struct db_round rd;
	int found = db_round_get(db, j->m->sv->id, 0, &rd);
	if (found < 0) {
		api_fail_db(r, db, "cannot read the round");
		goto out;
	}
	if (found == DB_FOUND && rd.state == DB_ROUND_OPEN) {
		j->round = rd.number;
		j->round_id = rd.id;
	}
	if (j->kind == MAIL_REMINDER && !j->round) {
		req_reply_error(r, 409, "no_open_round", NULL,
				"reminders go to the experts invited to the open round: no round of "
				"%s is open", s->slug);
		goto out;
	}
	int walk = db_mail_candidates(db, j->m->sv->id, j->round_id, select_cb, j);
	if (walk < 0) {
		api_fail_db(r, db, "cannot read the experts");
		goto out;
	}
	if (walk || j->oom) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < j->n_only; i++)
		if (!j->only_seen[i]) {
			req_reply_error(r, 422, "invalid_request", "only",
					"survey %s has no expert \"%.64s\"", s->slug, j->only[i]);
			goto out;
		}
	if (atomic_exchange(&con->mailing, 1)) {
		req_reply_error(r, 409, "mail_in_progress", NULL,
				"another batch of mail is being sent: try again when it is done");
		goto out;
	}
	holding = true;
	if (!j->n) { /* nobody to mail: answer at once */
		atomic_store(&con->mailing, 0);
		holding = false;
		req_reply_json(r, 200, json_pack("{s:s, s:i, s:i, s:i, s:i, s:[], s:O}", "kind",
						 kind, "round", j->round, "sent", 0, "refused", 0,
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

struct page {
	json_t *list;
	int64_t last;
};

static int log_cb(const struct db_console_mail_row *m, void *arg)
{
	struct page *p = arg;
	p->last = m->id;
	return json_array_append_new(p->list,
				     json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "id",
					       (json_int_t)m->id, "at", m->at, "expert", m->ext_id,
					       "email", m->email, "round", m->round, "kind",
					       m->kind, "status", m->status, "detail", m->detail))
		       ? 1
		       : 0;
}

void api_mail_log(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct page p = { json_array(), 0 };
	long long limit, before;
	if (api_console_query_int(r, "limit", 1, 500, 100, &limit) ||
	    api_console_query_int(r, "before", 1, INT64_MAX, 0, &before) ||
	    api_console_survey(r, &m))
		goto out;
	int rc = p.list ? db_console_mail_log(db, m->sv->id, before, (int)limit, log_cb, &p) : 1;
	if (rc < 0) {
		api_fail_db(r, db, "cannot read the mail log");
		goto out;
	}
	if (rc) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200, json_pack("{s:O, s:o}", "entries", p.list, "next_before",
					 json_array_size(p.list) == (size_t)limit
						 ? json_integer(p.last)
						 : json_null()));
out:
	json_decref(p.list);
	api_survey_put(a, m);
}
