/*
 * api_expert — the expert's API (docs/api.md): GET /api/v1/me, PUT /api/v1/answers/{topic} and
 * GET /api/v1/feedback/{topic}. The caller is an expert (api_auth_authorize made sure).
 *
 * Reads go through the event thread's read-only connection. A PUT is checked on the event
 * thread as far as it can be without the write lock (topic, round open, invitation, every
 * value), then goes to the writer as one job, which checks again what may have changed
 * meanwhile (the round, the invitation, the answers stored: social_year not before tech_year)
 * and writes all of the topic's changes, or nothing (the job is rerunnable: writer.h). The
 * reply, with everything stored for the topic (what was read plus the change, not read back),
 * is written as JSON text and sent from the job's completion: after COMMIT.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "buf.h"
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

/* Loads the expert's answers to topic in the round into *ta (released first). 0, or -1 with a
 * message in err (db_error, out of memory included). */
static int topic_answers_load(struct db *db, const struct db_survey *sv, int64_t round_id,
			      int64_t expert_id, size_t topic, struct topic_answers *ta, char *err,
			      size_t errlen)
{
	topic_answers_release(ta);
	if (db_api_topic_answers(db, sv, round_id, expert_id, topic, ta->v, ta->present,
				 ta->reason)) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

/* ---- The reply of a save, written directly --------------------------------------------------- */

static void add_int(struct buf *b, int64_t v)
{
	char d[24];
	size_t i = sizeof d;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do
		d[--i] = (char)('0' + u % 10);
	while ((u /= 10) && i > 1);
	if (v < 0)
		d[--i] = '-';
	buf_add(b, d + i, sizeof d - i);
}

/* s as a JSON string. s is clean UTF-8 (answers, reasons and the definition's codes are checked
 * when they come in), so only '"', '\\', control characters and U+2028/U+2029 (not allowed in
 * JavaScript strings) are escaped; runs of other bytes are copied as they are. */
static void add_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	buf_addch(b, '"');
	for (;; p++) {
		unsigned char c = *p;
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0xe2)
			continue;
		if (c == 0xe2 && !(p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)))
			continue;
		buf_add(b, run, (size_t)(p - run));
		if (!c)
			break;
		char esc[7] = {'\\', (char)c, 0, 0, 0, 0, 0};
		size_t n = 2;
		if (c == 0xe2) {
			memcpy(esc + 1, p[2] == 0xa8 ? "u2028" : "u2029", 5);
			n = 6;
			p += 2;
		} else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : c == '\b' ? 'b' : 'f';
		} else if (c < 0x20) {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		buf_add(b, esc, n);
		run = p + 1;
	}
	buf_addch(b, '"');
}

/* The JSON of answer a to question q, as answer_to_json makes it (a fits q: it was checked
 * against it, when it came in or when it was stored). */
static void add_answer_text(struct buf *b, const struct survey_question *q, const struct answer *a)
{
	if (a->special != ANSWER_VALUE) {
		add_string(b, answer_special_name(a->special));
		return;
	}
	switch (q->kind) {
	case SURVEY_ORDINAL:
	case SURVEY_YEAR:
		add_int(b, a->num);
		break;
	case SURVEY_MULTI:
		buf_addch(b, '[');
		for (size_t i = 0, n = 0; i < q->n_options; i++)
			if (a->num & (INT64_C(1) << i)) {
				if (n++)
					buf_addch(b, ',');
				add_string(b, q->options[i].code);
			}
		buf_addch(b, ']');
		break;
	case SURVEY_TEXT:
		add_string(b, a->text ? a->text : "");
		break;
	}
}

/* {"topic": code, "round": round, "answers": {key: value, ..., "reasons": {key: text}}}: what is
 * stored for the topic, as compact JSON text in the member order a jansson object built question
 * by question would have ("reasons" after the first answer that has one). Written without
 * building a JSON tree: on the event threads, building and dumping one cost about as much as
 * decrypting the request. Returns the text (free it) and its length in *len. */
static char *topic_reply(const struct survey *s, size_t topic, int round,
			 const struct topic_answers *ta, size_t *len)
{
	struct buf b;
	bool first = true, reasons = false;
	buf_init(&b);
	buf_adds(&b, "{\"topic\":");
	add_string(&b, s->topics[topic].code);
	buf_adds(&b, ",\"round\":");
	add_int(&b, round);
	buf_adds(&b, ",\"answers\":{");
	for (size_t q = 0; q < s->n_questions; q++) {
		if (!ta->present[q])
			continue;
		if (!first)
			buf_addch(&b, ',');
		first = false;
		add_string(&b, s->questions[q].key);
		buf_addch(&b, ':');
		add_answer_text(&b, &s->questions[q], &ta->v[q]);
		if (!ta->reason[q] || reasons)
			continue;
		reasons = true;
		buf_adds(&b, ",\"" REASONS "\":{");
		for (size_t k = q, n = 0; k < s->n_questions; k++)
			if (ta->present[k] && ta->reason[k]) {
				if (n++)
					buf_addch(&b, ',');
				add_string(&b, s->questions[k].key);
				buf_addch(&b, ':');
				add_string(&b, ta->reason[k]);
			}
		buf_addch(&b, '}');
	}
	buf_adds(&b, "}}");
	return buf_detach(&b, len);
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

/* The current (latest) round of the survey and whether the expert is invited to it: DB_FOUND
 * with *out and *in, DB_NOT_FOUND, or -1 after replying 500. */
static int current_round(struct req *r, struct db *db, int64_t survey_id, int64_t expert_id,
			 struct db_round *out, bool *in)
{
	int found = db_api_round_of(db, survey_id, expert_id, out, in);
	if (found < 0)
		api_fail_db(r, db, "cannot read the round");
	return found;
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
	bool in = false;

	if (api_survey_get(a, db, p->expert.survey_id, &m, err, sizeof err)) {
		api_fail(r, "cannot load the survey", err);
		goto out;
	}
	const struct db_survey *sv = m->sv;
	int found = current_round(r, db, sv->id, p->expert.id, &cur, &in);
	if (found < 0)
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
				  "invited", in);
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
	json_t *body;   /* the request's body (a reference): a retry parses it again */
	bool cached;    /* round_id came from the event thread's cache (api_cache.h) */
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
	json_decref(j->body);
	free(j);
}

/* Applies change c to ta, what the topic held before it, so that ta holds what the writes of
 * put_run stored: the values set (copied from c, which a rerun needs again), the answers deleted
 * gone with their reasons, a kept or changed answer keeping its reason unless c sets or clears
 * it (the upsert leaves the column alone), a new answer without one unless c gives it. The
 * reply is made from this rather than from reading the topic back. 0, or -1 when out of
 * memory. */
static int topic_apply(struct topic_answers *ta, const struct api_change *c, size_t n_questions)
{
	for (size_t q = 0; q < n_questions; q++) {
		if (c->op[q] == API_DELETE) {
			answer_release(&ta->v[q]);
			free(ta->reason[q]);
			ta->reason[q] = NULL;
			ta->present[q] = false;
			continue;
		}
		if (c->op[q] == API_SET) {
			char *text = NULL;
			if (c->value[q].text && !(text = strdup(c->value[q].text)))
				return -1;
			answer_release(&ta->v[q]);
			ta->v[q] = c->value[q];
			ta->v[q].text = text;
			ta->present[q] = true;
		}
		if (!ta->present[q] || c->reason_op[q] == API_KEEP)
			continue;
		char *reason = NULL;
		if (c->reason_op[q] == API_SET && !(reason = strdup(c->reason[q])))
			return -1;
		free(ta->reason[q]);
		ta->reason[q] = reason;
	}
	return 0;
}

/* On the writer thread, inside the batch's transaction (and the job's savepoint, unless the
 * batch runs without: the job is rerunnable, so it starts over from j->change every time). */
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

	bool in = false;
	topic_answers_release(&j->stored);
	int found = db_api_round_of(db, sv->id, j->expert_id, &r, &in);
	if (found < 0)
		goto fail;
	if (found == DB_NOT_FOUND || r.id != j->round_id || r.state != DB_ROUND_OPEN)
		return PUT_NOT_OPEN;
	if (!in)
		return PUT_NOT_INVITED;
	/* What is stored matters for what the change keeps: the answers it leaves alone (checked
	 * with the new ones, and in the reply) and the reasons of the answers it changes. A change
	 * of every question in a round that has no reasons (round 1, or a survey that asks for none)
	 * keeps nothing, so it need not read the topic first (the most expensive read of a save). */
	bool whole = r.number < 2 || s->reason_outside_iqr == SURVEY_REASON_OFF;
	for (size_t q = 0; whole && q < s->n_questions; q++)
		whole = c->op[q] != API_KEEP;
	if (!whole &&
	    topic_answers_load(db, sv, r.id, j->expert_id, j->topic, &j->stored, err, errlen))
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

	bool absent = false; /* an earlier answer of this save found no row: insert the rest */
	for (size_t q = 0; q < s->n_questions; q++) {
		if (c->op[q] == API_SET && db_answer_store(db, sv, r.id, j->expert_id, j->topic, q,
							   &c->value[q], &absent))
			goto fail;
		if (c->op[q] == API_DELETE && (whole || j->stored.present[q]) &&
		    db_answer_delete(db, sv, r.id, j->expert_id, j->topic, q))
			goto fail;
		if (c->reason_op[q] != API_KEEP && after[q] &&
		    db_api_reason_set(db, sv, r.id, j->expert_id, j->topic, q,
				      c->reason_op[q] == API_SET ? c->reason[q] : NULL) < 0)
			goto fail;
	}
	if (topic_apply(&j->stored, c, s->n_questions)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return PUT_SAVED;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void put_retry(struct req *r, struct put_job *j);

/* On the request's event thread, after COMMIT (or after the job failed or was refused). */
static void put_reply(struct req *r, void *arg)
{
	struct put_job *j = arg;
	const struct survey *s = j->m->sv->survey;
	switch (j->rc) {
	case PUT_SAVED: {
		size_t len;
		char *text = topic_reply(s, j->topic, j->round, &j->stored, &len);
		req_reply_bytes(r, 200, JSON_TYPE, text, len, free);
		break;
	}
	case PUT_NOT_OPEN:
	case PUT_NOT_INVITED:
		api_round_forget(r, j->m->sv->id, j->expert_id); /* the writer knows better */
		if (j->cached && !req_gone(r)) {
			/* The round came from the cache, which may be behind a change made by
			 * another process (the CLI opened the next round): decide again on what
			 * the store says now, once. */
			put_retry(r, j);
			return;
		}
		if (j->rc == PUT_NOT_OPEN)
			req_reply_error(r, 409, "round_not_open", NULL,
					"round %d is not open any more", j->round);
		else
			req_reply_error(r, 403, "not_invited", NULL,
					"you are not invited to round %d", j->round);
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

/* Why a save is refused before it reaches the writer. */
struct put_refusal {
	int status;
	const char *code;
	struct api_problem problem;
};

/* Whether a save of body may go to the writer, given the current round (found: DB_FOUND or
 * DB_NOT_FOUND) and the invitation: 0 with *change parsed for that round, or -1 with *no
 * filled (409 round_not_open, 403 not_invited, 422 invalid_answer) and *change released. */
static int put_check(const struct survey *s, const json_t *body, int found,
		     const struct db_round *cur, bool in, struct api_change *change,
		     struct put_refusal *no)
{
	no->status = 409;
	no->code = "round_not_open";
	if (found == DB_NOT_FOUND)
		return problem(&no->problem, NULL,
			       "the survey has not started: no round is open yet");
	if (cur->state != DB_ROUND_OPEN)
		return problem(&no->problem, NULL,
			       "round %d is closed: answers can no longer be changed", cur->number);
	no->status = 403;
	no->code = "not_invited";
	if (!in)
		return problem(&no->problem, NULL, "you are not invited to round %d", cur->number);
	no->status = 422;
	no->code = "invalid_answer";
	return api_expert_parse_change(s, body, cur->number, change, &no->problem);
}

/* Looks up the round (through the cache when use_cache), checks j->body against it and
 * submits j to the writer, or replies the refusal. Owns j: frees it after replying. A refusal
 * is only ever made on what the store says: a refusal from a cached round looks again. */
static void put_submit(struct req *r, struct put_job *j, bool use_cache)
{
	struct put_refusal no;
	struct db_round cur;
	bool in = false;
	const struct survey *s = j->m->sv->survey;
	int found = api_round_of(r, j->m->sv->id, j->expert_id, use_cache, &cur, &in, &j->cached);
	bool refused = found >= 0 && put_check(s, j->body, found, &cur, in, &j->change, &no);
	if (refused && j->cached) {
		found = api_round_of(r, j->m->sv->id, j->expert_id, false, &cur, &in, &j->cached);
		refused = found >= 0 && put_check(s, j->body, found, &cur, in, &j->change, &no);
	}
	if (found < 0) {
		api_fail_db(r, api_db(r), "cannot read the round");
		goto out;
	}
	if (refused) {
		req_reply_error(r, no.status, no.code, no.problem.field, "%s", no.problem.message);
		goto out;
	}
	j->round_id = cur.id;
	j->round = cur.number;
	req_suspend(r);
	writer_submit(j->api->writer, &j->wj);
	return;
out:
	put_job_free(j);
}

/* The writer found the round j was checked against (from the cache) closed or changed: starts
 * over from the body on a fresh look-up (never the cache, so this happens once). */
static void put_retry(struct req *r, struct put_job *j)
{
	api_expert_change_release(&j->change);
	topic_answers_release(&j->stored);
	j->rc = 0;
	j->err[0] = '\0';
	put_submit(r, j, false);
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
	if (!(j = calloc(1, sizeof *j))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	j->req = r;
	j->api = a;
	j->m = m;
	m = NULL; /* the job's now */
	j->body = body;
	body = NULL;
	j->expert_id = p->expert.id;
	j->topic = (size_t)t;
	j->wj.run = put_run;
	j->wj.done = put_done;
	j->wj.arg = j;
	j->wj.rerunnable = 1;
	j->wj.cache_neutral = 1; /* answers only */
	put_submit(r, j, true);
out:
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
	bool in = false;
	int found = current_round(r, db, sv->id, p->expert.id, &cur, &in);
	if (found < 0)
		goto out;
	if (found == DB_NOT_FOUND || cur.number < 2) {
		req_reply_error(r, 409, "no_previous_round", NULL,
				"feedback comes from the previous round: there is none before "
				"round 1");
		goto out;
	}
	if (!in) {
		req_reply_error(r, 403, "not_invited", NULL, "you are not invited to round %d",
				cur.number);
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
	/* Only the comments a coordinator approved (console moderation, api_comments.c). */
	json_t *comments = NULL;
	rc = api_comments_approved(db, prev.id, sv->topic_ids[t], &comments);
	if (rc) {
		if (rc < 0)
			api_fail_db(r, db, "cannot read the comments");
		else
			req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200,
		       json_pack("{s:s, s:i, s:i, s:O, s:o}", "topic", sv->survey->topics[t].code,
				 "round", cur.number, "previous_round", prev.number, "questions",
				 questions, "comments", comments));
out:
	json_decref(questions);
	if (own) {
		topic_answers_release(own);
		free(own);
	}
	api_survey_put(a, m);
}
