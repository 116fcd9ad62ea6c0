/*
 * api_expert — the expert's API (docs/api.md): GET /api/v1/me, PUT /api/v1/answers/{topic} and
 * GET /api/v1/feedback/{topic}. The caller is an expert (api_auth_authorize made sure).
 *
 * Reads go through the event thread's read-only connection. A PUT is checked on the event
 * thread as far as it can be without the write lock (topic, round open, invitation, every
 * value), then goes to the writer as one job, which checks again what may have changed
 * meanwhile (the round, the invitation, the answers stored: social_year not before tech_year)
 * and writes all of the topic's changes in the job's savepoint, or nothing. The reply, with
 * everything stored for the topic, is sent from the job's completion: after COMMIT.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"
#include "req.h"
#include "writer.h"

#define JSON_TYPE "application/json; charset=utf-8"
/* The reserved member of an answers object (survey.c refuses it as a question key). */
#define REASONS "reasons"

/* ---- Answers as JSON ------------------------------------------------------------------------ */

/* Sets topic_obj[question key] = the answer and, when reason is not NULL, topic_obj.reasons[key] =
 * reason. Returns 0, or -1 (out of memory, or an answer that does not fit its question). */
static int add_answer(json_t *topic_obj, const struct survey_question *q, const struct answer *a,
		      const char *reason)
{
	json_t *v = answer_to_json(q, a);
	if (!v || json_object_set_new(topic_obj, q->key, v))
		return -1;
	if (!reason)
		return 0;
	json_t *rs = json_object_get(topic_obj, REASONS);
	if (!rs && (!(rs = json_object()) || json_object_set_new(topic_obj, REASONS, rs)))
		return -1;
	return json_object_set_new(rs, q->key, json_string(reason));
}

/* Everything stored for one topic: answers[i] / reasons[i] for the questions where present[i]. */
static json_t *topic_json(const struct survey *s, const struct answer *answers,
			  const bool *present, char *const *reasons)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < s->n_questions; i++)
		if (present[i] && add_answer(o, &s->questions[i], &answers[i], reasons[i])) {
			json_decref(o);
			o = NULL;
		}
	return o;
}

struct walk_all {
	const struct survey *s;
	json_t *root;
};

/* db_api_answers_walk callback: root[topic code] gets the answer. Returns 1 when out of memory
 * (or for an answer that does not fit its question), which the walk passes back. */
static int walk_all_cb(const struct db_api_answer_row *row, void *arg)
{
	struct walk_all *w = arg;
	const char *code = w->s->topics[row->topic].code;
	json_t *t = json_object_get(w->root, code);
	if (!t && (!(t = json_object()) || json_object_set_new(w->root, code, t)))
		return 1;
	return add_answer(t, &w->s->questions[row->question], &row->value, row->reason) ? 1 : 0;
}

/* {topic code: {key: value, ..., "reasons": {...}}} of the expert in the round (row id). Returns
 * the object, or NULL (out of memory, or a database failure: *db_failed is set). */
static json_t *answers_json(struct db *db, const struct db_survey *sv, int64_t round_id,
			    int64_t expert_id, bool *db_failed)
{
	struct walk_all w = { sv->survey, json_object() };
	*db_failed = false;
	if (!w.root)
		return NULL;
	int rc = db_api_answers_walk(db, sv, round_id, expert_id, -1, walk_all_cb, &w);
	if (rc) {
		*db_failed = rc < 0;
		json_decref(w.root);
		return NULL;
	}
	return w.root;
}

/* The answers of one topic, copied out of the walk. */
struct topic_answers {
	struct answer v[SURVEY_MAX_QUESTIONS];
	bool present[SURVEY_MAX_QUESTIONS];
	char *reason[SURVEY_MAX_QUESTIONS];
};

static void topic_answers_release(struct topic_answers *ta)
{
	for (size_t i = 0; i < SURVEY_MAX_QUESTIONS; i++) {
		answer_release(&ta->v[i]);
		free(ta->reason[i]);
		ta->reason[i] = NULL;
		ta->present[i] = false;
	}
}

static int walk_topic_cb(const struct db_api_answer_row *row, void *arg)
{
	struct topic_answers *ta = arg;
	size_t q = row->question;
	char *text = NULL, *reason = NULL;
	if ((row->value.text && !(text = strdup(row->value.text))) ||
	    (row->reason && !(reason = strdup(row->reason)))) {
		free(text);
		return 1; /* out of memory */
	}
	answer_release(&ta->v[q]);
	free(ta->reason[q]);
	ta->v[q] = row->value;
	ta->v[q].text = text;
	ta->reason[q] = reason;
	ta->present[q] = true;
	return 0;
}

/* Loads the expert's answers to topic in the round into *ta (released first). 0, or -1 with a
 * message in err (db_error, or out of memory). */
static int topic_answers_load(struct db *db, const struct db_survey *sv, int64_t round_id,
			      int64_t expert_id, size_t topic, struct topic_answers *ta, char *err,
			      size_t errlen)
{
	topic_answers_release(ta);
	int rc = db_api_answers_walk(db, sv, round_id, expert_id, (long)topic, walk_topic_cb, ta);
	if (rc)
		snprintf(err, errlen, "%s", rc < 0 ? db_error(db) : "out of memory");
	return rc ? -1 : 0;
}

/* ---- Reading a PUT body --------------------------------------------------------------------- */

static int problem(struct api_problem *p, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int problem(struct api_problem *p, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
	p->field = field;
	return -1;
}

static int parse_reasons(const struct survey *s, const json_t *rs, int round,
			 struct api_change *out, struct api_problem *p)
{
	const char *key;
	const json_t *v;
	if (s->reason_outside_iqr == SURVEY_REASON_OFF)
		return problem(p, REASONS, "this survey asks for no reasons");
	if (round < 2)
		return problem(p, REASONS, "reasons are asked for from round 2 on");
	if (!json_is_object(rs))
		return problem(p, REASONS, "expected an object of question key -> text or null");
	json_object_foreach((json_t *)rs, key, v) {
		int q = survey_question_index(s, key);
		if (q < 0)
			return problem(p, REASONS, "reasons: there is no question \"%s\"", key);
		if (s->questions[q].kind != SURVEY_ORDINAL && s->questions[q].kind != SURVEY_YEAR)
			return problem(p, REASONS,
				       "reasons: %s has no quartiles to be outside of (only ordinal "
				       "and year questions take a reason)", key);
		if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
			out->reason_op[q] = API_DELETE;
			continue;
		}
		if (!json_is_string(v))
			return problem(p, REASONS, "reasons: %s: expected a string or null", key);
		const char *text = json_string_value(v);
		size_t len = json_string_length(v);
		if (len > DB_API_REASON_MAX)
			return problem(p, REASONS, "reasons: %s: %zu bytes, at most %d", key, len,
				       DB_API_REASON_MAX);
		if (!answer_is_clean_utf8(text, len))
			return problem(p, REASONS,
				       "reasons: %s: control characters or NUL are not allowed", key);
		free(out->reason[q]);
		if (!(out->reason[q] = strdup(text)))
			return problem(p, REASONS, "out of memory");
		out->reason_op[q] = API_SET;
	}
	return 0;
}

int api_expert_parse_change(const struct survey *s, const json_t *body, int round,
			    struct api_change *out, struct api_problem *p)
{
	const char *key;
	const json_t *v;
	char err[ANSWER_ERR_MAX];
	memset(out, 0, sizeof *out);
	p->field = NULL;
	p->message[0] = '\0';
	if (!json_is_object(body))
		return problem(p, NULL, "expected a JSON object of question key -> answer");
	json_object_foreach((json_t *)body, key, v) {
		if (!strcmp(key, REASONS)) {
			if (parse_reasons(s, v, round, out, p))
				goto fail;
			continue;
		}
		int q = survey_question_index(s, key);
		if (q < 0) {
			problem(p, key, "there is no question \"%s\" in this survey", key);
			goto fail;
		}
		if (json_is_null(v)) {
			out->op[q] = API_DELETE;
			continue;
		}
		struct answer a = ANSWER_INIT;
		if (answer_from_json(&s->questions[q], v, &a, err)) {
			problem(p, s->questions[q].key, "%s", err);
			goto fail;
		}
		answer_release(&out->value[q]);
		out->value[q] = a;
		out->op[q] = API_SET;
	}
	return 0;
fail:
	api_expert_change_release(out);
	return -1;
}

void api_expert_change_release(struct api_change *c)
{
	for (size_t i = 0; i < SURVEY_MAX_QUESTIONS; i++) {
		answer_release(&c->value[i]);
		free(c->reason[i]);
		c->reason[i] = NULL;
		c->op[i] = c->reason_op[i] = API_KEEP;
	}
}

/* ---- Shared checks -------------------------------------------------------------------------- */

/* The expert of this request (api_auth_authorize set it for ROUTE_EXPERT routes). */
static const struct api_principal *expert(const struct req *r)
{
	return req_auth(r);
}

/* The current (latest) round of the survey: DB_FOUND with *out, DB_NOT_FOUND, or -1 after
 * replying 500. */
static int current_round(struct req *r, struct db *db, int64_t survey_id, struct db_round *out)
{
	int found = db_round_get(db, survey_id, 0, out);
	if (found < 0)
		api_fail_db(r, db, "cannot read the round");
	return found;
}

/* 1 if invited, 0 if not, -1 after replying 500. */
static int invited(struct req *r, struct db *db, int64_t round_id, int64_t expert_id)
{
	int in = db_round_is_invited(db, round_id, expert_id);
	if (in < 0)
		api_fail_db(r, db, "cannot read the invitation");
	return in;
}

/* The topic of the request's {topic}: its index, or -1 after replying 404. */
static long topic_param(struct req *r, const struct api_survey *m)
{
	const char *code = req_param(r, "topic");
	long t = code ? api_survey_topic(m, code) : -1;
	if (t < 0)
		req_reply_error(r, 404, "unknown_topic", NULL, "survey %s has no topic \"%.64s\"",
				m->sv->survey->slug, code ? code : "");
	return t;
}

/* ---- GET /api/v1/me ------------------------------------------------------------------------- */

static json_t *expert_json(const struct survey *s, const struct db_expert_ref *ref,
			   const struct db_api_expert *e)
{
	json_t *o = json_object(), *fields = json_array();
	for (size_t i = 0; fields && i < e->n_fields; i++)
		if (json_array_append_new(fields, json_string(s->fields[e->fields[i]].code))) {
			json_decref(fields);
			fields = NULL;
		}
	if (!o || !fields || json_object_set_new(o, "pseudonym", json_string(ref->pseudonym)) ||
	    json_object_set_new(o, "name", json_string(e->name)) ||
	    json_object_set_new(o, "sector", json_string(e->sector)) ||
	    json_object_set_new(o, "fields", fields)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Replies {"survey": <the cached survey JSON>, ...me's members}: the survey is spliced in as
 * text, so a large definition is neither rebuilt nor copied into a JSON tree per request. */
static void reply_me(struct req *r, const struct api_survey *m, json_t *me)
{
	char *rest = json_dumps(me, JSON_COMPACT);
	json_decref(me);
	if (!rest || rest[0] != '{' || rest[1] == '}') {
		free(rest);
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	static const char head[] = "{\"survey\":";
	size_t rlen = strlen(rest), len = sizeof head - 1 + m->json_len + 1 + rlen - 1;
	char *out = malloc(len + 1);
	if (!out) {
		free(rest);
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	char *w = out;
	memcpy(w, head, sizeof head - 1);
	w += sizeof head - 1;
	memcpy(w, m->json, m->json_len);
	w += m->json_len;
	*w++ = ',';
	memcpy(w, rest + 1, rlen - 1); /* me's members and its closing brace */
	out[len] = '\0';
	free(rest);
	req_reply_bytes(r, 200, JSON_TYPE, out, len, free);
}

void api_expert_me(struct req *r)
{
	char err[DB_ERR_MAX];
	const struct api_principal *p = expert(r);
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct db_api_expert e = { .name = NULL };
	struct db_round cur, prev;
	json_t *me = NULL, *answers = NULL, *previous = NULL;
	bool db_failed = false;
	int in = 0;

	if (api_survey_get(a, db, p->expert.survey_id, &m, err, sizeof err)) {
		api_fail(r, "cannot load the survey", err);
		goto out;
	}
	const struct db_survey *sv = m->sv;
	int found = current_round(r, db, sv->id, &cur);
	if (found < 0)
		goto out;
	if (found == DB_FOUND && (in = invited(r, db, cur.id, p->expert.id)) < 0)
		goto out;
	int ef = db_api_expert_get(db, sv, p->expert.id, &e);
	if (ef != DB_FOUND) {
		api_fail(r, "cannot read the expert", ef < 0 ? db_error(db) : "the expert is gone");
		goto out;
	}
	if (found == DB_FOUND) {
		if (!(answers = answers_json(db, sv, cur.id, p->expert.id, &db_failed)))
			goto fail;
		int pf = cur.number > 1 ? db_round_get(db, sv->id, cur.number - 1, &prev)
					: DB_NOT_FOUND;
		if (pf < 0) {
			db_failed = true;
			goto fail;
		}
		if (pf == DB_FOUND &&
		    !(previous = answers_json(db, sv, prev.id, p->expert.id, &db_failed)))
			goto fail;
	}
	if (!answers)
		answers = json_object();
	if (!previous)
		previous = json_object();

	json_t *ex = expert_json(sv->survey, &p->expert, &e);
	json_t *round = json_pack("{s:i, s:s, s:b}", "number", found == DB_FOUND ? cur.number : 1,
				  "state",
				  found == DB_FOUND ? db_round_state_name(cur.state) : "draft",
				  "invited", in == 1);
	if (!ex || !round || !answers || !previous) {
		json_decref(ex);
		json_decref(round);
		goto fail;
	}
	me = json_pack("{s:o, s:o, s:o, s:o, s:o}", "expert", ex, "round", round, "answers",
		       answers, "previous_answers", previous, "csrf_token",
		       p->via_cookie ? json_string(p->csrf) : json_null());
	answers = previous = NULL; /* stolen by json_pack */
	if (!me)
		goto fail;
	reply_me(r, m, me);
	me = NULL;
	goto out;
fail:
	if (db_failed)
		api_fail_db(r, db, "cannot read the answers");
	else
		req_reply_error(r, 500, "internal", NULL, "out of memory");
out:
	json_decref(me);
	json_decref(answers);
	json_decref(previous);
	db_api_expert_release(&e);
	api_survey_put(a, m);
}

/* ---- PUT /api/v1/answers/{topic} ------------------------------------------------------------ */

enum put_outcome {
	PUT_SAVED = 0,
	PUT_NOT_OPEN,    /* the round closed (or another opened) since the handler looked */
	PUT_NOT_INVITED,
	PUT_INVALID,     /* a cross-question rule, or a reason without an answer: j->problem */
};

struct put_job {
	struct writer_job wj;
	struct req *req;
	struct api *api;
	struct api_survey *m; /* a reference, dropped with the job */
	int64_t round_id, expert_id;
	int round;
	size_t topic;
	struct api_change change;
	/* Results. */
	int rc;                       /* enum put_outcome, or a writer_rc */
	char err[WRITER_ERR_MAX];     /* rc < 0 */
	struct api_problem problem;   /* PUT_INVALID */
	struct topic_answers stored;  /* PUT_SAVED: everything stored for the topic */
};

static void put_job_free(struct put_job *j)
{
	if (!j)
		return;
	api_expert_change_release(&j->change);
	topic_answers_release(&j->stored);
	api_survey_put(j->api, j->m);
	free(j);
}

/* On the writer thread, inside the batch's transaction and the job's savepoint. */
static int put_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct put_job *j = arg;
	const struct db_survey *sv = j->m->sv;
	const struct survey *s = sv->survey;
	const struct api_change *c = &j->change;
	const struct answer *after[SURVEY_MAX_QUESTIONS];
	struct db_round r;
	char msg[ANSWER_ERR_MAX];
	const char *bad = NULL;

	int found = db_round_get(db, sv->id, 0, &r);
	if (found < 0)
		goto fail;
	if (found == DB_NOT_FOUND || r.id != j->round_id || r.state != DB_ROUND_OPEN)
		return PUT_NOT_OPEN;
	int in = db_round_is_invited(db, r.id, j->expert_id);
	if (in < 0)
		goto fail;
	if (!in)
		return PUT_NOT_INVITED;
	if (topic_answers_load(db, sv, r.id, j->expert_id, j->topic, &j->stored, err, errlen))
		return -1;

	/* What the topic holds once the change is applied, checked as a whole. */
	for (size_t q = 0; q < s->n_questions; q++)
		after[q] = c->op[q] == API_SET      ? &c->value[q]
			   : c->op[q] == API_DELETE ? NULL
			   : j->stored.present[q]  ? &j->stored.v[q]
						   : NULL;
	if (answer_check_topic(s, after, &bad, msg)) {
		problem(&j->problem, bad, "%s", msg);
		return PUT_INVALID;
	}
	for (size_t q = 0; q < s->n_questions; q++)
		if (c->reason_op[q] == API_SET && !after[q]) {
			problem(&j->problem, REASONS, "reasons: %s has no answer to give a reason for",
				s->questions[q].key);
			return PUT_INVALID;
		}

	for (size_t q = 0; q < s->n_questions; q++) {
		if (c->op[q] == API_SET &&
		    db_answer_put(db, sv, r.id, j->expert_id, j->topic, q, &c->value[q]))
			goto fail;
		if (c->op[q] == API_DELETE && j->stored.present[q] &&
		    db_answer_delete(db, sv, r.id, j->expert_id, j->topic, q))
			goto fail;
		if (c->reason_op[q] != API_KEEP && after[q] &&
		    db_api_reason_set(db, sv, r.id, j->expert_id, j->topic, q,
				      c->reason_op[q] == API_SET ? c->reason[q] : NULL) < 0)
			goto fail;
	}
	if (topic_answers_load(db, sv, r.id, j->expert_id, j->topic, &j->stored, err, errlen))
		return -1;
	return PUT_SAVED;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

/* On the request's event thread, after COMMIT (or after the job failed or was refused). */
static void put_reply(struct req *r, void *arg)
{
	struct put_job *j = arg;
	const struct survey *s = j->m->sv->survey;
	switch (j->rc) {
	case PUT_SAVED: {
		json_t *answers = topic_json(s, j->stored.v, j->stored.present, j->stored.reason);
		req_reply_json(r, 200,
			       json_pack("{s:s, s:i, s:o?}", "topic", s->topics[j->topic].code,
					 "round", j->round, "answers", answers));
		break;
	}
	case PUT_NOT_OPEN:
		req_reply_error(r, 409, "round_not_open", NULL, "round %d is not open any more",
				j->round);
		break;
	case PUT_NOT_INVITED:
		req_reply_error(r, 403, "not_invited", NULL, "you are not invited to round %d",
				j->round);
		break;
	case PUT_INVALID:
		req_reply_error(r, 422, "invalid_answer", j->problem.field, "%s",
				j->problem.message);
		break;
	default:
		api_fail_write(r, j->rc, j->err);
		break;
	}
	put_job_free(j);
}

/* On the writer thread: hand the outcome back to the request's thread. */
static void put_done(void *arg, int rc, const char *err)
{
	struct put_job *j = arg;
	j->rc = rc;
	if (rc < 0)
		snprintf(j->err, sizeof j->err, "%s", err ? err : "");
	req_post(j->req, put_reply, j);
}

void api_expert_put_answers(struct req *r)
{
	char err[DB_ERR_MAX];
	const struct api_principal *p = expert(r);
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct put_job *j = NULL;
	json_t *body = NULL;
	struct db_round cur;

	if (req_json_body(r, &body))
		goto out; /* replied 413, 415 or 400 */
	if (!json_is_object(body)) {
		req_reply_error(r, 400, "bad_json", NULL,
				"expected a JSON object of question key -> answer");
		goto out;
	}
	if (api_survey_get(a, db, p->expert.survey_id, &m, err, sizeof err)) {
		api_fail(r, "cannot load the survey", err);
		goto out;
	}
	long t = topic_param(r, m);
	if (t < 0)
		goto out;
	int found = current_round(r, db, m->sv->id, &cur);
	if (found < 0)
		goto out;
	if (found == DB_NOT_FOUND || cur.state != DB_ROUND_OPEN) {
		if (found == DB_NOT_FOUND)
			req_reply_error(r, 409, "round_not_open", NULL,
					"the survey has not started: no round is open yet");
		else
			req_reply_error(r, 409, "round_not_open", NULL,
					"round %d is closed: answers can no longer be changed",
					cur.number);
		goto out;
	}
	int in = invited(r, db, cur.id, p->expert.id);
	if (in <= 0) {
		if (in == 0)
			req_reply_error(r, 403, "not_invited", NULL,
					"you are not invited to round %d", cur.number);
		goto out;
	}
	if (!(j = calloc(1, sizeof *j))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (api_expert_parse_change(m->sv->survey, body, cur.number, &j->change, &j->problem)) {
		req_reply_error(r, 422, "invalid_answer", j->problem.field, "%s", j->problem.message);
		goto out;
	}
	j->req = r;
	j->api = a;
	j->m = m;
	j->round_id = cur.id;
	j->round = cur.number;
	j->expert_id = p->expert.id;
	j->topic = (size_t)t;
	j->wj.run = put_run;
	j->wj.done = put_done;
	j->wj.arg = j;
	m = NULL; /* the job's now */
	req_suspend(r);
	writer_submit(a->writer, &j->wj);
	j = NULL;
out:
	put_job_free(j);
	api_survey_put(a, m);
	json_decref(body);
}

/* ---- GET /api/v1/feedback/{topic} ----------------------------------------------------------- */

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

struct feedback {
	const struct survey *s;
	json_t *questions;
	const struct topic_answers *own;
};

/* One stats row into questions[key] (created with its kind and the expert's own answer). */
static int feedback_cb(const struct db_api_stat *row, void *arg)
{
	struct feedback *f = arg;
	const struct survey_question *q = &f->s->questions[row->question];
	json_t *o = json_object_get(f->questions, q->key);
	if (!o) {
		json_t *own = f->own->present[row->question]
				      ? answer_to_json(q, &f->own->v[row->question])
				      : json_null();
		o = json_pack("{s:s, s:I, s:o?}", "kind", survey_kind_name(q->kind), "n",
			      (json_int_t)row->n, "own", own);
		if (!o || json_object_set_new(f->questions, q->key, o))
			return 1;
	}
	json_t *dist = row->distribution ? json_loads(row->distribution, 0, NULL) : json_null();
	json_t *x = NULL;
	int bad = 0;
	switch (q->kind) {
	case SURVEY_ORDINAL:
		x = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o?}",
						      "dont_know", num(row->dont_know), "mean",
						      num(row->mean), "sd", num(row->sd), "q1",
						      num(row->q1), "median", num(row->median), "q3",
						      num(row->q3), "iqr", num(row->iqr), "index",
						      num(row->index), "agreement",
						      num(row->agreement), "consensus",
						      row->consensus < 0 ? json_null()
									 : json_boolean(row->consensus),
						      "distribution", dist);
		dist = NULL; /* stolen */
		bad = !x || json_object_update(o, x);
		break;
	case SURVEY_YEAR:
		x = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o?}",
						      "already", num(row->already), "never",
						      num(row->never), "dont_know",
						      num(row->dont_know), "q1", num(row->q1),
						      "median", num(row->median), "q3", num(row->q3),
						      "iqr", num(row->iqr), "consensus",
						      row->consensus < 0 ? json_null()
									 : json_boolean(row->consensus),
						      "distribution", dist);
		dist = NULL; /* stolen */
		bad = !x || json_object_update(o, x);
		break;
	case SURVEY_MULTI: {
		json_t *shares = json_object_get(o, "shares");
		if (!shares && (!(shares = json_object()) ||
				json_object_set_new(o, "shares", shares))) {
			bad = -1;
			break;
		}
		bad = json_object_set_new(shares, row->option, num(row->share));
		break;
	}
	case SURVEY_TEXT:
		break;
	}
	json_decref(x);
	json_decref(dist);
	return bad ? 1 : 0;
}

void api_expert_feedback(struct req *r)
{
	char err[DB_ERR_MAX];
	const struct api_principal *p = expert(r);
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct topic_answers *own = NULL;
	struct db_round cur, prev;
	json_t *questions = NULL;

	if (api_survey_get(a, db, p->expert.survey_id, &m, err, sizeof err)) {
		api_fail(r, "cannot load the survey", err);
		goto out;
	}
	const struct db_survey *sv = m->sv;
	long t = topic_param(r, m);
	if (t < 0)
		goto out;
	int found = current_round(r, db, sv->id, &cur);
	if (found < 0)
		goto out;
	if (found == DB_NOT_FOUND || cur.number < 2) {
		req_reply_error(r, 409, "no_previous_round", NULL,
				"feedback comes from the previous round: there is none before "
				"round 1");
		goto out;
	}
	int in = invited(r, db, cur.id, p->expert.id);
	if (in <= 0) {
		if (in == 0)
			req_reply_error(r, 403, "not_invited", NULL,
					"you are not invited to round %d", cur.number);
		goto out;
	}
	int pf = db_round_get(db, sv->id, cur.number - 1, &prev);
	if (pf != DB_FOUND) {
		api_fail(r, "cannot read the previous round",
			 pf < 0 ? db_error(db) : "the previous round is missing");
		goto out;
	}
	if (!(own = calloc(1, sizeof *own)) || !(questions = json_object())) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (topic_answers_load(db, sv, prev.id, p->expert.id, (size_t)t, own, err, sizeof err)) {
		api_fail(r, "cannot read the answers", err);
		goto out;
	}
	struct feedback f = { sv->survey, questions, own };
	int rc = db_api_topic_stats(db, sv, prev.id, (size_t)t, "all", feedback_cb, &f);
	if (rc) {
		if (rc < 0)
			api_fail_db(r, db, "cannot read the statistics");
		else
			req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	/* Comments need a coordinator's approval first; until the console's moderation exists
	 * there are none to show (docs/api.md). */
	req_reply_json(r, 200,
		       json_pack("{s:s, s:i, s:i, s:O, s:[]}", "topic", sv->survey->topics[t].code,
				 "round", cur.number, "previous_round", prev.number, "questions",
				 questions, "comments"));
out:
	json_decref(questions);
	if (own) {
		topic_answers_release(own);
		free(own);
	}
	api_survey_put(a, m);
}
