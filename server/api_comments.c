/*
 * api_comments — moderating the comments of a round (docs/api.md "Comments and their
 * moderation"): list them, approve or hide one. A comment is an expert's answer to a text
 * question; approved ones reach the experts of the next round without any name
 * (GET /api/v1/feedback/{topic}, api_expert.c). The decision is tied to the text approved
 * (db_console.h), so a comment changed afterwards is pending again.
 *
 * A comment's id is "TOPIC.QUESTION.EXPERT" (row ids): opaque to clients, stable, and it names
 * the answer row without another table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_console.h"
#include "writer.h"

#define COMMENT_ID_MAX 64

struct comment_key {
	int64_t topic_id, question_id, expert_id;
};

/* Parses "T.Q.E" (three positive decimal integers). 0 or -1. */
static int parse_id(const char *s, struct comment_key *k)
{
	int64_t v[3];
	for (int i = 0; i < 3; i++) {
		char *end;
		if (!s || *s < '1' || *s > '9')
			return -1;
		errno = 0;
		long long x = strtoll(s, &end, 10);
		if (errno || x <= 0 || *end != (i < 2 ? '.' : '\0'))
			return -1;
		v[i] = x;
		s = end + 1;
	}
	k->topic_id = v[0];
	k->question_id = v[1];
	k->expert_id = v[2];
	return 0;
}

struct comment_ctx {
	const struct survey *s;
	json_t *out; /* list: appended to; single: set */
	bool single;
};

static json_t *text_or_null(const char *t)
{
	return t && *t ? json_string(t) : json_null();
}

static int comment_cb(const struct db_console_comment *c, void *arg)
{
	struct comment_ctx *x = arg;
	char id[COMMENT_ID_MAX];
	if (c->topic >= x->s->n_topics || c->question >= x->s->n_questions)
		return 0; /* rows of a topic or question the definition no longer has */
	snprintf(id, sizeof id, "%" PRId64 ".%" PRId64 ".%" PRId64, c->topic_id, c->question_id,
		 c->expert_id);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", id, "topic",
			      x->s->topics[c->topic].code, "question",
			      x->s->questions[c->question].key, "pseudonym", c->pseudonym, "text",
			      c->text, "status", db_comment_status_name(c->status), "decided_by",
			      text_or_null(c->decided_by), "decided_at", text_or_null(c->decided_at));
	if (!o)
		return 1;
	if (x->single) {
		json_decref(x->out);
		x->out = o;
		return 0;
	}
	return json_array_append_new(x->out, o) ? 1 : 0;
}

/* ---- GET .../rounds/{n}/comments ------------------------------------------------------------ */

void api_comments_list(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct db_console_round rd;
	struct comment_ctx x = { NULL, json_array(), false };
	int status = DB_COMMENT_ANY;
	if (api_console_survey(r, &m) || api_console_round(r, m->sv->id, &rd))
		goto out;
	const char *want = req_query(r, "status");
	if (want && (status = db_comment_status_parse(want)) < 0) {
		req_reply_error(r, 422, "invalid_request", "status",
				"status must be pending, approved or hidden");
		goto out;
	}
	x.s = m->sv->survey;
	int rc = x.out ? db_console_comments(db, rd.r.id, status, comment_cb, &x) : 1;
	if (rc) {
		if (rc < 0)
			api_fail_db(r, db, "cannot list the comments");
		else
			req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200, json_pack("{s:i, s:O}", "round", rd.r.number, "comments", x.out));
out:
	json_decref(x.out);
	api_survey_put(a, m);
}

/* ---- POST .../rounds/{n}/comments/{id}/approve | hide --------------------------------------- */

struct decide_job {
	struct api *api;
	struct api_survey *m;
	char actor[API_CONSOLE_ACTOR_MAX];
	int64_t round_id;
	int round;
	struct comment_key key;
	enum db_comment_status status;
	char id[COMMENT_ID_MAX];
	int found;
	json_t *comment; /* the comment after the decision */
};

static void decide_job_free(struct decide_job *j)
{
	if (!j)
		return;
	json_decref(j->comment);
	api_survey_put(j->api, j->m);
	free(j);
}

static int decide_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct decide_job *j = arg;
	char detail[200];
	j->found = db_console_comment_decide(db, j->round_id, j->key.topic_id, j->key.question_id,
					     j->key.expert_id, j->status, j->actor);
	if (j->found < 0)
		goto fail;
	if (j->found == DB_NOT_FOUND)
		return 0;
	snprintf(detail, sizeof detail, "survey=%s round=%d comment=%s", j->m->sv->survey->slug,
		 j->round, j->id);
	if (db_audit(db, j->actor,
		     j->status == DB_COMMENT_APPROVED ? "comment.approve" : "comment.hide", detail))
		goto fail;
	struct comment_ctx x = { j->m->sv->survey, NULL, true };
	int rc = db_console_comment_get(db, j->round_id, j->key.topic_id, j->key.question_id,
					j->key.expert_id, comment_cb, &x);
	j->comment = x.out;
	if (rc < 0)
		goto fail;
	if (rc != DB_FOUND) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void decide_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct decide_job *j = arg;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->found == DB_NOT_FOUND || !j->comment)
		req_reply_error(r, 404, "unknown_comment", NULL, "round %d has no comment \"%s\"",
				j->round, j->id);
	else
		req_reply_json(r, 200, json_pack("{s:O}", "comment", j->comment));
	decide_job_free(j);
}

static void decide(struct req *r, enum db_comment_status status)
{
	struct db_console_round rd;
	json_t *body = NULL;
	const char *id = req_param(r, "id");
	struct decide_job *j = NULL;
	if (api_console_body(r, &body))
		return;
	json_decref(body); /* nothing is read from it */
	if (!(j = calloc(1, sizeof *j))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	j->api = api_of(r);
	j->status = status;
	if (api_console_survey(r, &j->m) || api_console_round(r, j->m->sv->id, &rd))
		goto fail;
	if (!id || strlen(id) >= sizeof j->id || parse_id(id, &j->key)) {
		req_reply_error(r, 404, "unknown_comment", NULL, "round %d has no comment \"%.64s\"",
				rd.r.number, id ? id : "");
		goto fail;
	}
	if (api_console_actor(r, j->actor))
		goto fail;
	snprintf(j->id, sizeof j->id, "%s", id);
	j->round_id = rd.r.id;
	j->round = rd.r.number;
	api_console_write(r, decide_run, decide_reply, j);
	return;
fail:
	decide_job_free(j);
}

void api_comments_approve(struct req *r)
{
	decide(r, DB_COMMENT_APPROVED);
}

void api_comments_hide(struct req *r)
{
	decide(r, DB_COMMENT_HIDDEN);
}

/* ---- The approved comments, for GET /api/v1/feedback/{topic} -------------------------------- */

static int approved_cb(const char *text, void *arg)
{
	return json_array_append_new(arg, json_string(text)) ? 1 : 0;
}

int api_comments_approved(struct db *db, int64_t round_id, int64_t topic_id, json_t **out)
{
	json_t *list = json_array();
	*out = NULL;
	int rc = list ? db_console_comments_approved(db, round_id, topic_id, approved_cb, list) : 1;
	if (rc) {
		json_decref(list);
		return rc < 0 ? -1 : 1;
	}
	*out = list;
	return 0;
}
