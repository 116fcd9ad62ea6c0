/*
 * mail_batch — a batch of invitations or reminders: choosing the recipients, composing and sending
 * each mail, the writes that record it. See mail_batch.h for the contracts; cli_mail.c and
 * api_mail.c are its two callers.
 */
#include "mail_batch.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "log.h"

#define LINK_MAX (MAIL_BATCH_URL_MAX + 3 + DB_TOKEN_HEX) /* URL "/e/" TOKEN, NUL included */

void mail_batch_release(struct mail_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].ext_id);
		free(b->v[i].name);
		free(b->v[i].email);
	}
	free(b->v);
	for (size_t i = 0; i < b->n_only; i++)
		free(b->only_ids[i]);
	free(b->only_ids);
	free(b->only_seen);
	b->v = NULL;
	b->n = b->cap = 0;
	b->only_ids = NULL;
	b->only_seen = NULL;
	b->n_only = b->cap_only = 0;
}

int mail_batch_only_add(struct mail_batch *b, const char *ext_id)
{
	b->only = true;
	if (b->n_only == b->cap_only) {
		size_t cap = b->cap_only ? 2 * b->cap_only : 8;
		char **ids = realloc(b->only_ids, cap * sizeof *ids);
		if (!ids)
			return -1;
		b->only_ids = ids;
		bool *seen = realloc(b->only_seen, cap * sizeof *seen);
		if (!seen)
			return -1;
		b->only_seen = seen;
		b->cap_only = cap;
	}
	char *id = strdup(ext_id);
	if (!id)
		return -1;
	b->only_ids[b->n_only] = id;
	b->only_seen[b->n_only++] = false;
	return 0;
}

int mail_batch_open_round(struct mail_batch *b, struct db *db)
{
	struct db_round rd;
	int found = db_round_get(db, b->sv->id, 0, &rd);
	if (found < 0)
		return -1;
	b->round = 0;
	b->round_id = 0;
	if (found == DB_FOUND && rd.state == DB_ROUND_OPEN) {
		b->round = rd.number;
		b->round_id = rd.id;
	}
	return b->kind == MAIL_REMINDER && !b->round ? MAIL_BATCH_NO_OPEN_ROUND : MAIL_BATCH_OK;
}

/* ---- Choosing the recipients ---------------------------------------------------------------- */

struct select_ctx {
	struct mail_batch *b;
	int (*skip)(void *arg, const char *ext_id, const char *why, bool named);
	void *arg;
	bool oom;
};

/* -1 when the batch is not limited; else whether b->only_ids names ext_id (marking it seen). */
static int named(struct mail_batch *b, const char *ext_id)
{
	int hit = 0;
	if (!b->only)
		return -1;
	for (size_t i = 0; i < b->n_only; i++)
		if (!strcmp(b->only_ids[i], ext_id)) {
			b->only_seen[i] = true;
			hit = 1;
		}
	return hit;
}

static int select_cb(const struct db_mail_candidate *c, void *arg)
{
	struct select_ctx *x = arg;
	struct mail_batch *b = x->b;
	static const char no_address[] = "has no e-mail address";
	const char *why = NULL;
	int is_named = named(b, c->ext_id);
	if (!is_named)
		return 0;
	if (c->revoked)
		why = "is revoked";
	else if (b->round && !c->invited)
		why = "is not invited to the open round";
	else if (b->kind == MAIL_REMINDER && c->answered)
		why = "has answered the open round already";
	else if (!*c->email)
		why = no_address;
	if (why) {
		/* Named ones are reported whatever the reason; the others only when they would have
		 * been mailed but for the address. */
		if ((is_named == 1 || why == no_address) &&
		    x->skip(x->arg, c->ext_id, why, is_named == 1))
			x->oom = true;
		return x->oom;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct mail_batch_recipient *v = realloc(b->v, cap * sizeof *v);
		if (!v)
			goto oom;
		b->v = v;
		b->cap = cap;
	}
	struct mail_batch_recipient *r = &b->v[b->n++];
	*r = (struct mail_batch_recipient){ .id = c->id, .ext_id = strdup(c->ext_id),
					    .name = strdup(c->name), .email = strdup(c->email),
					    .status = DB_MAIL_FAILED };
	if (!r->ext_id || !r->name || !r->email)
		goto oom;
	return 0;
oom:
	x->oom = true;
	return 1;
}

int mail_batch_select(struct mail_batch *b, struct db *db,
		      int (*skip)(void *arg, const char *ext_id, const char *why, bool named),
		      void *arg, size_t *unknown)
{
	struct select_ctx x = { b, skip, arg, false };
	int walk = db_mail_candidates(db, b->sv->id, b->round_id, select_cb, &x);
	if (walk < 0)
		return -1;
	if (walk || x.oom)
		return MAIL_BATCH_NOMEM;
	for (size_t i = 0; i < b->n_only; i++)
		if (!b->only_seen[i]) {
			*unknown = i;
			return MAIL_BATCH_UNKNOWN;
		}
	return MAIL_BATCH_OK;
}

/* ---- Sending -------------------------------------------------------------------------------- */

/* The message for r carrying token, into msg; -1 with a message in err. */
static int build_message(const struct mail_batch *b, const struct smtp_config *cfg,
			 const struct mail_batch_recipient *r, const char *token, struct buf *msg,
			 char err[MAIL_ERR_MAX])
{
	const struct survey *s = b->sv->survey;
	struct buf subject = BUF_INIT, body = BUF_INIT;
	char link[LINK_MAX], id[25];
	int rc = -1;
	buf_init(&subject);
	buf_init(&body);
	assert(strlen(b->url) < MAIL_BATCH_URL_MAX);
	snprintf(link, sizeof link, "%s/e/%s", b->url, token);
	const struct mail_vars vars = {
		.survey_title = survey_text(s, &s->title, b->lang),
		.expert_name = r->name,
		.link = link,
		.round = b->round,
	};
	mail_compose(b->kind, b->lang, &vars, &subject, &body);
	if (crypto_token_hex(12, id)) {
		snprintf(err, MAIL_ERR_MAX, "no randomness for the Message-ID");
		goto out;
	}
	const struct mail_message m = {
		.from_name = cfg->from_name,
		.from_addr = cfg->from_addr,
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

int mail_batch_send(struct mail_batch *b, const struct smtp_config *cfg,
		    const struct mail_batch_ops *ops, void *arg)
{
	struct smtp_session *smtp = NULL;
	struct buf msg = BUF_INIT;
	char err[SMTP_ERR_MAX] = "";
	int rc = -1;
	buf_init(&msg);
	b->n_done = 0;
	memset(b->count, 0, sizeof b->count);
	if (smtp_open(cfg, &smtp, err, sizeof err)) {
		log_warnx("%s: %s", ops->who, err);
		smtp = NULL;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct mail_batch_recipient *r = &b->v[i];
		char token[DB_TOKEN_HEX + 1] = "", merr[MAIL_ERR_MAX];
		enum smtp_result res = SMTP_FAILED;
		if (ops->stop && ops->stop(arg)) {
			rc = MAIL_BATCH_STOPPED;
			goto out;
		}
		buf_reset(&msg);
		if (!smtp)
			snprintf(r->detail, sizeof r->detail, "not sent: %.400s", err);
		else if (crypto_token_hex(DB_TOKEN_BYTES, token))
			snprintf(r->detail, sizeof r->detail, "not sent: no randomness for a token");
		else if (build_message(b, cfg, r, token, &msg, merr))
			snprintf(r->detail, sizeof r->detail, "not sent: %s", merr);
		else
			res = smtp_send(smtp, r->email, msg.data, msg.len, r->detail,
					sizeof r->detail);
		if (msg.cap)
			explicit_bzero(msg.data, msg.len);
		r->status = status_of(res);
		b->n_done = i + 1;
		int failed = ops->record(arg, r, token);
		explicit_bzero(token, sizeof token);
		if (failed)
			goto out;
		b->count[r->status]++;
	}
	if (ops->audit(arg))
		goto out;
	rc = MAIL_BATCH_OK;
out:
	smtp_close(smtp);
	buf_release(&msg);
	return rc;
}

/* ---- The writes ----------------------------------------------------------------------------- */

int mail_batch_write_attempt(struct db *db, const struct mail_batch *b,
			     const struct mail_batch_recipient *r, const char *token)
{
	enum db_mail_kind kind = b->kind == MAIL_INVITATION ? DB_MAIL_INVITATION : DB_MAIL_REMINDER;
	if (r->status == DB_MAIL_SENT && db_mail_set_token(db, r->id, token))
		return -1;
	return db_mail_log(db, b->sv->id, r->id, b->round, kind, r->status, r->detail);
}

int mail_batch_write_audit(struct db *db, const struct mail_batch *b, const char *actor)
{
	char detail[512];
	snprintf(detail, sizeof detail, "survey=%s round=%d sent=%zu refused=%zu failed=%zu",
		 b->sv->survey->slug, b->round, b->count[DB_MAIL_SENT], b->count[DB_MAIL_REFUSED],
		 b->count[DB_MAIL_FAILED]);
	return db_audit(db, actor, b->kind == MAIL_INVITATION ? "experts.invite" : "experts.remind",
			detail);
}
