/*
 * api_surveys — the console's surveys (docs/api.md): GET /api/v1/surveys, POST /api/v1/surveys
 * (load or replace a definition) and GET /api/v1/surveys/{slug}.
 *
 * A definition may be 4 MiB of JSON: it is parsed and checked (survey_load_string, with its
 * line:column and JSON-path diagnostics) on a worker thread, then stored by the writer
 * (db_survey_store decides created / replaced / unchanged / locked in the same transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_console.h"
#include "log.h"
#include "writer.h"

/* ---- GET /api/v1/surveys -------------------------------------------------------------------- */

struct listed {
	int64_t id;
	int64_t n_experts;
	int round;
	char state[8];
	char loaded_at[DB_TIME_MAX];
};

struct list_ctx {
	struct listed *v;
	size_t n, cap;
};

static int list_cb(const struct db_survey_info *info, void *arg)
{
	struct list_ctx *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct listed *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return 1;
		l->v = v;
		l->cap = cap;
	}
	struct listed *x = &l->v[l->n++];
	x->id = info->id;
	x->n_experts = info->n_experts;
	x->round = info->round;
	snprintf(x->state, sizeof x->state, "%s", info->round_state);
	snprintf(x->loaded_at, sizeof x->loaded_at, "%s", info->loaded_at);
	return 0;
}

/* The survey's summary as listed: slug, title, year, horizon, languages, rounds (the count). */
static json_t *summary_json(const struct survey *s)
{
	json_t *full = api_survey_json(s), *o = json_object();
	static const char *const keys[] = { "slug", "title", "year", "horizon", "languages",
					    "rounds" };
	if (!full || !o) {
		json_decref(full);
		json_decref(o);
		return NULL;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(full, keys[i]);
		if (v && json_object_set(o, keys[i], v)) {
			json_decref(o);
			o = NULL;
			break;
		}
	}
	json_decref(full);
	return o;
}

void api_surveys_list(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct list_ctx l = { NULL, 0, 0 };
	json_t *list = json_array();
	char err[DB_ERR_MAX];
	int rc = db_survey_list(db, list_cb, &l);
	if (rc) {
		if (rc < 0)
			api_fail_db(r, db, "cannot list the surveys");
		else
			req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; list && i < l.n; i++) {
		struct api_survey *m = NULL;
		if (api_survey_get(a, db, l.v[i].id, &m, err, sizeof err)) {
			api_fail(r, "cannot load a survey", err);
			goto out;
		}
		json_t *o = summary_json(m->sv->survey);
		api_survey_put(a, m);
		json_t *round = l.v[i].round ? json_pack("{s:i, s:s}", "number", l.v[i].round,
							 "state", l.v[i].state)
					     : json_null();
		if (!o || !round ||
		    json_object_set_new(o, "experts", json_integer(l.v[i].n_experts)) ||
		    json_object_set_new(o, "loaded_at", json_string(l.v[i].loaded_at)) ||
		    json_object_set_new(o, "round", round) || json_array_append_new(list, o)) {
			if (!o)
				json_decref(round);
			json_decref(o);
			req_reply_error(r, 500, "internal", NULL, "out of memory");
			goto out;
		}
	}
	req_reply_json(r, 200, json_pack("{s:O}", "surveys", list));
out:
	json_decref(list);
	free(l.v);
}

/* ---- POST /api/v1/surveys ------------------------------------------------------------------- */

struct upload_job {
	char *json; /* the definition as sent */
	size_t len;
	struct survey *s;
	struct survey_error serr;
	char actor[API_CONSOLE_ACTOR_MAX];
	int outcome; /* enum db_store_outcome */
};

static void upload_job_free(struct upload_job *j)
{
	if (!j)
		return;
	free(j->json);
	survey_free(j->s);
	free(j);
}

/* On a worker. */
static void upload_parse(void *arg)
{
	struct upload_job *j = arg;
	if (survey_load_string(j->json, j->len, "definition", &j->s, &j->serr))
		j->s = NULL;
}

/* On the writer. */
static int upload_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct upload_job *j = arg;
	const struct survey *s = j->s;
	char detail[256];
	j->outcome = db_survey_store(db, j->json, j->len, s);
	if (j->outcome < 0)
		goto fail;
	if (j->outcome == DB_STORE_CREATED || j->outcome == DB_STORE_REPLACED) {
		snprintf(detail, sizeof detail, "survey=%s fields=%zu topics=%zu questions=%zu%s",
			 s->slug, s->n_fields, s->n_topics, s->n_questions,
			 j->outcome == DB_STORE_REPLACED ? " replaced" : "");
		if (db_audit(db, j->actor, "survey.load", detail))
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void upload_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct upload_job *j = arg;
	const char *slug = j->s->slug;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->outcome == DB_STORE_LOCKED)
		req_reply_error(r, 409, "survey_locked", NULL,
				"survey %s has opened rounds, so its definition can no longer "
				"change (give the changed definition a new slug)", slug);
	else
		req_reply_json(r, j->outcome == DB_STORE_CREATED ? 201 : 200,
			       json_pack("{s:s, s:s}", "slug", slug, "outcome",
					 j->outcome == DB_STORE_CREATED    ? "created"
					 : j->outcome == DB_STORE_REPLACED ? "replaced"
									   : "unchanged"));
	upload_job_free(j);
}

static void upload_parsed(struct req *r, void *arg, bool ran)
{
	struct upload_job *j = arg;
	if (!ran) {
		api_console_busy(r);
		upload_job_free(j);
		return;
	}
	if (!j->s) {
		const struct survey_error *e = &j->serr;
		if (e->line > 0)
			req_reply_error(r, 422, "invalid_definition", NULL, "%d:%d: %s", e->line,
					e->column, e->text);
		else if (*e->path)
			req_reply_error(r, 422, "invalid_definition", e->path, "%s: %s", e->path,
					e->text);
		else
			req_reply_error(r, 422, "invalid_definition", NULL, "%s", e->text);
		upload_job_free(j);
		return;
	}
	api_console_write(r, upload_run, upload_reply, j);
}

void api_surveys_upload(struct req *r)
{
	const unsigned char *data;
	size_t len;
	struct upload_job *j;
	if (req_body(r, &data, &len))
		return; /* 413 */
	if (!req_is_json_type(req_header(r, "Content-Type"))) {
		req_reply_error(r, 415, "unsupported_media_type", NULL,
				"send the definition as Content-Type: application/json");
		return;
	}
	if (!len) {
		req_reply_error(r, 400, "bad_json", NULL, "the body is empty: send the definition");
		return;
	}
	if (!(j = calloc(1, sizeof *j)) || !(j->json = malloc(len + 1))) {
		upload_job_free(j);
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	memcpy(j->json, data, len);
	j->json[len] = '\0';
	j->len = len;
	if (api_console_actor(r, j->actor)) {
		upload_job_free(j);
		return;
	}
	api_console_offload(r, api_of(r)->console->work, upload_parse, upload_parsed, j);
}

/* ---- GET /api/v1/surveys/{slug} ------------------------------------------------------------- */

static int rounds_cb(const struct db_console_round *rd, void *arg)
{
	json_t *o = api_console_round_json(rd);
	if (!o || json_object_set_new(o, "invited", json_integer(rd->invited)) ||
	    json_object_set_new(o, "respondents", json_integer(rd->respondents)) ||
	    json_array_append_new(arg, o)) {
		json_decref(o);
		return 1;
	}
	return 0;
}

void api_surveys_get(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	json_t *rounds = json_array(), *survey = NULL;
	if (api_console_survey(r, &m))
		goto out;
	int64_t n = db_expert_count(db, m->sv->id);
	if (n < 0) {
		api_fail_db(r, db, "cannot count the experts");
		goto out;
	}
	int rc = rounds ? db_console_rounds(db, m->sv->id, rounds_cb, rounds) : 1;
	if (rc < 0) {
		api_fail_db(r, db, "cannot list the rounds");
		goto out;
	}
	if (rc || !(survey = api_survey_json(m->sv->survey))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200,
		       json_pack("{s:O, s:I, s:O}", "survey", survey, "experts", (json_int_t)n,
				 "rounds", rounds));
out:
	json_decref(survey);
	json_decref(rounds);
	api_survey_put(a, m);
}
