/*
 * api_rounds — running a survey's rounds from the console (docs/api.md): open (with an optional
 * scheduled close, which `delphi serve` carries out: schedule.h), move or remove the open round's
 * scheduled close, close (the aggregator runs in the closing transaction, as with `delphi round
 * close`, and its summary is the reply), reopen the latest round with a reason for the audit log
 * (and optionally a new scheduled close: a reopened round keeps no earlier one), and the progress
 * of the latest round.
 *
 * Each change is one writer job that checks the round's state again inside the transaction, so
 * two coordinators clicking at once get one success and one 409. The scheduler closes rounds
 * through api_rounds_close_in, the same function as the close below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_console.h"
#include "cli_report.h"
#include "log.h"
#include "schedule.h"
#include "writer.h"

#define REASON_MAX 500

struct round_job {
	struct api *api;
	struct api_survey *m;
	char actor[API_CONSOLE_ACTOR_MAX];
	char close_at[DB_TIME_MAX]; /* open, reopen, schedule: "" for none */
	char previous[DB_TIME_MAX]; /* schedule: the close_at it replaced, "" for none */
	char reason[REASON_MAX + 1]; /* reopen */
	int outcome;                 /* enum db_round_outcome, or REOPEN_* */
	struct db_round r;
	int64_t invited;
	struct cli_report_agg agg;   /* close */
	struct db_console_round after;
};

enum { REOPEN_DONE = 0, REOPEN_NONE = 100, REOPEN_OPEN };

static void round_job_free(struct round_job *j)
{
	if (!j)
		return;
	api_survey_put(j->api, j->m);
	free(j);
}

/* A new job for the request's survey and user, or NULL after replying. */
static struct round_job *round_job_new(struct req *r)
{
	struct round_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	j->api = api_of(r);
	if (api_console_survey(r, &j->m) || api_console_actor(r, j->actor)) {
		round_job_free(j);
		return NULL;
	}
	return j;
}

/* Reads the round back with its close_at for the reply. */
static int reread(struct db *db, struct round_job *j)
{
	int found = db_console_round_get(db, j->m->sv->id, j->r.number, &j->after);
	if (found == DB_NOT_FOUND) /* cannot happen inside the transaction that wrote it */
		j->after.r = j->r;
	return found < 0 ? -1 : 0;
}

static json_t *round_json(const struct round_job *j)
{
	return api_console_round_json(&j->after);
}

/* The "close_at" of an open, reopen or schedule body into out ("" when absent or null): a UTC
 * time "YYYY-MM-DDTHH:MM:SSZ" still to come (one that has passed would close the round at
 * once). Returns 0, or -1 after replying 422 invalid_request with field close_at. */
static int close_at_arg(struct req *r, const json_t *body, char out[DB_TIME_MAX])
{
	json_t *v = body ? json_object_get(body, "close_at") : NULL;
	time_t t, now = time(NULL);
	char now_text[DB_TIME_MAX];
	*out = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || schedule_time_parse(json_string_value(v), &t)) {
		req_reply_error(r, 422, "invalid_request", "close_at",
				"close_at must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\" or null");
		return -1;
	}
	if (schedule_is_due(json_string_value(v), now)) {
		schedule_time_format(now, now_text);
		req_reply_error(r, 422, "invalid_request", "close_at",
				"close_at %s has passed (the server's time is %s): choose a later "
				"time, or none", json_string_value(v), now_text);
		return -1;
	}
	snprintf(out, DB_TIME_MAX, "%s", json_string_value(v));
	return 0;
}

/* ---- POST .../rounds/open ------------------------------------------------------------------- */

static int open_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	j->outcome = db_console_round_open(db, j->m->sv, j->actor, *j->close_at ? j->close_at : NULL,
					   &j->r, &j->invited);
	if (j->outcome < 0)
		goto fail;
	if (j->outcome == DB_ROUND_DONE && reread(db, j))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void open_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct round_job *j = arg;
	const char *slug = j->m->sv->survey->slug;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->outcome == DB_ROUND_ALREADY_OPEN)
		req_reply_error(r, 409, "round_open", NULL,
				"round %d of %s is still open: close it first", j->r.number, slug);
	else if (j->outcome == DB_ROUND_ALL_DONE)
		req_reply_error(r, 409, "all_rounds_done", NULL,
				"all %d rounds of %s have been run", j->m->sv->survey->n_rounds,
				slug);
	else if (j->outcome == DB_ROUND_NOBODY)
		req_reply_error(r, 409, "nobody_to_invite", NULL, "%s",
				j->r.number == 0 ? "the survey has no experts to invite: import "
						   "them first"
						 : "nobody answered the previous round, so nobody "
						   "would be invited");
	else
		req_reply_json(r, 200, json_pack("{s:o?, s:I}", "round", round_json(j), "invited",
						 (json_int_t)j->invited));
	round_job_free(j);
}

void api_rounds_open(struct req *r)
{
	json_t *body = NULL;
	struct round_job *j = NULL;
	char close_at[DB_TIME_MAX];
	if (api_console_body(r, &body))
		return;
	if (close_at_arg(r, body, close_at) || !(j = round_job_new(r)))
		goto out;
	memcpy(j->close_at, close_at, sizeof j->close_at);
	api_console_write(r, open_run, open_reply, j);
out:
	json_decref(body);
}

/* ---- POST .../rounds/close ------------------------------------------------------------------ */

int api_rounds_close_in(struct db *db, const struct db_survey *sv, const char *actor,
			const char *why, struct db_round *r, struct cli_report_agg *agg)
{
	char detail[200 + API_ROUNDS_WHY_MAX];
	int outcome = db_round_close(db, sv, r);
	if (outcome != DB_ROUND_DONE) /* -1, or DB_ROUND_NONE_OPEN */
		return outcome;
	/* The closed round's statistics, in this same transaction: a round is never closed
	 * without them. */
	if (cli_report_aggregate(db, sv, r, agg))
		return -1;
	snprintf(detail, sizeof detail, "survey=%s round=%d rows=%lld%s%.*s", sv->survey->slug,
		 r->number, (long long)agg->sum.rows, why ? " reason=" : "", API_ROUNDS_WHY_MAX,
		 why ? why : "");
	if (db_audit(db, actor, "round.close", detail))
		return -1;
	return DB_ROUND_DONE;
}

static int close_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	j->outcome = api_rounds_close_in(db, j->m->sv, j->actor, NULL, &j->r, &j->agg);
	if (j->outcome < 0 || (j->outcome == DB_ROUND_DONE && reread(db, j)))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static json_t *summary_json(const struct cli_report_agg *a)
{
	json_t *groups = json_array();
	for (int g = 0; groups && g < AGG_N_GROUPS; g++)
		if ((a->sum.groups & AGG_GROUP_BIT(g)) &&
		    json_array_append_new(groups, json_string(agg_group_name(g)))) {
			json_decref(groups);
			groups = NULL;
		}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o?, s:f}", "answers",
			 (json_int_t)a->sum.answers, "prev_answers", (json_int_t)a->sum.prev_answers,
			 "rows", (json_int_t)a->sum.rows, "topics", (json_int_t)a->sum.topics,
			 "topics_consensus", (json_int_t)a->sum.topics_consensus, "groups", groups,
			 "seconds", a->seconds);
}

static void close_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct round_job *j = arg;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->outcome == DB_ROUND_NONE_OPEN)
		req_reply_error(r, 409, "no_open_round", NULL, "no round of %s is open",
				j->m->sv->survey->slug);
	else
		req_reply_json(r, 200, json_pack("{s:o?, s:o?}", "round", round_json(j), "summary",
						 summary_json(&j->agg)));
	round_job_free(j);
}

void api_rounds_close(struct req *r)
{
	json_t *body = NULL;
	struct round_job *j;
	if (api_console_body(r, &body))
		return;
	json_decref(body); /* nothing is read from it */
	if ((j = round_job_new(r)))
		api_console_write(r, close_run, close_reply, j);
}

/* ---- POST .../rounds/schedule --------------------------------------------------------------- */

static int schedule_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	j->outcome = db_console_round_schedule(db, j->m->sv, j->actor,
					       *j->close_at ? j->close_at : NULL, &j->after,
					       j->previous);
	if (j->outcome < 0) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static json_t *time_or_null(const char *t)
{
	return *t ? json_string(t) : json_null();
}

static void schedule_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct round_job *j = arg;
	const char *slug = j->m->sv->survey->slug;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->outcome == DB_ROUND_NONE_OPEN && !j->after.r.number)
		req_reply_error(r, 409, "round_not_open", NULL,
				"no round of %s has been opened yet: give the close_at when opening "
				"round 1", slug);
	else if (j->outcome == DB_ROUND_NONE_OPEN)
		req_reply_error(r, 409, "round_not_open", NULL,
				"round %d of %s is closed: only an open round's close can be moved "
				"(reopen it with a close_at instead)", j->after.r.number, slug);
	else
		req_reply_json(r, 200, json_pack("{s:o?, s:o?}", "round", round_json(j),
						 "previous_close_at",
						 time_or_null(j->previous)));
	round_job_free(j);
}

void api_rounds_schedule(struct req *r)
{
	json_t *body = NULL;
	struct round_job *j = NULL;
	char close_at[DB_TIME_MAX];
	if (api_console_body(r, &body))
		return;
	/* Unlike open and reopen, close_at is what this route is for: an empty body is more likely a
	 * mistake than a wish to remove the scheduled close, which null says. */
	if (!body || !json_object_get(body, "close_at")) {
		req_reply_error(r, 422, "invalid_request", "close_at",
				"say when the round closes: \"close_at\", a UTC time "
				"\"YYYY-MM-DDTHH:MM:SSZ\", or null for no scheduled close");
		goto out;
	}
	if (close_at_arg(r, body, close_at) || !(j = round_job_new(r)))
		goto out;
	memcpy(j->close_at, close_at, sizeof j->close_at);
	api_console_write(r, schedule_run, schedule_reply, j);
out:
	json_decref(body);
}

/* ---- POST .../rounds/reopen ----------------------------------------------------------------- */

static int reopen_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	char detail[REASON_MAX + 160];
	int found = db_round_get(db, j->m->sv->id, 0, &j->r);
	if (found < 0)
		goto fail;
	if (found == DB_NOT_FOUND) {
		j->outcome = REOPEN_NONE;
		return 0;
	}
	if (j->r.state == DB_ROUND_OPEN) {
		j->outcome = REOPEN_OPEN;
		return 0;
	}
	snprintf(detail, sizeof detail, "survey=%s round=%d%s%s reason=%s", j->m->sv->survey->slug,
		 j->r.number, *j->close_at ? " close_at=" : "", j->close_at, j->reason);
	/* The round's earlier close_at goes: it has passed (a scheduled close) or belonged to the
	 * closing the coordinator did by hand, and would close the reopened round at once. */
	if (db_console_round_reopen(db, j->r.id) ||
	    db_console_round_set_close_at(db, j->r.id, *j->close_at ? j->close_at : NULL) ||
	    db_audit(db, j->actor, "round.reopen", detail) || reread(db, j))
		goto fail;
	j->outcome = REOPEN_DONE;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void reopen_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct round_job *j = arg;
	const char *slug = j->m->sv->survey->slug;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->outcome == REOPEN_NONE)
		req_reply_error(r, 409, "no_round", NULL, "no round of %s has been opened yet",
				slug);
	else if (j->outcome == REOPEN_OPEN)
		req_reply_error(r, 409, "round_open", NULL, "round %d of %s is open already",
				j->r.number, slug);
	else
		req_reply_json(r, 200, json_pack("{s:o?}", "round", round_json(j)));
	round_job_free(j);
}

void api_rounds_reopen(struct req *r)
{
	json_t *body = NULL;
	struct round_job *j = NULL;
	char close_at[DB_TIME_MAX];
	if (api_console_body(r, &body))
		return;
	json_t *reason = body ? json_object_get(body, "reason") : NULL;
	const char *text = json_is_string(reason) ? json_string_value(reason) : NULL;
	size_t len = text ? json_string_length(reason) : 0;
	if (!text || !len || len > REASON_MAX || !answer_is_clean_utf8(text, len) ||
	    strpbrk(text, "\r\n\t")) {
		req_reply_error(r, 422, "invalid_request", "reason",
				"say why the round is reopened: \"reason\", one line of 1 to %d "
				"bytes", REASON_MAX);
		goto out;
	}
	if (close_at_arg(r, body, close_at) || !(j = round_job_new(r)))
		goto out;
	memcpy(j->reason, text, len + 1);
	memcpy(j->close_at, close_at, sizeof j->close_at);
	api_console_write(r, reopen_run, reopen_reply, j);
out:
	json_decref(body);
}

/* ---- GET .../progress ----------------------------------------------------------------------- */

/* The progress of the latest round: the round is found on the event thread, its answers are
 * counted on the reads pool (db_console_progress: one pass over them, most of a second at
 * national scale) and the reply is made there too. Owns m (a reference) and body. */
struct progress_job {
	struct api *api;
	struct api_survey *m;
	struct db_console_round cur;
	const char *what; /* a failure: api_fail(what, detail) */
	char detail[DB_ERR_MAX];
	char *body;       /* the reply, compact JSON; NULL when out of memory */
	size_t len;
};

static void progress_job_free(struct progress_job *j)
{
	if (!j)
		return;
	api_survey_put(j->api, j->m);
	free(j->body);
	free(j);
}

static json_t *rate(int64_t respondents, int64_t invited)
{
	return invited > 0 ? json_real((double)respondents / (double)invited) : json_null();
}

static int append(json_t *list, json_t *item)
{
	return json_array_append_new(list, item);
}

/* The reply's "fields", "sectors" and "topics" lists into the arrays given. 0, or -1 when out of
 * memory. */
static int progress_lists(const struct survey *s, const struct db_console_progress *p,
			  json_t *fields, json_t *sectors, json_t *topics)
{
	/* Sectors in the order of their names, as the reply has always listed them. */
	static const enum db_sector by_name[] = { DB_SECTOR_ACADEMIA, DB_SECTOR_GOVERNMENT,
						  DB_SECTOR_INDUSTRY, DB_SECTOR_OTHER };
	_Static_assert(sizeof by_name / sizeof by_name[0] == DB_SECTOR_COUNT, "every sector");
	for (size_t f = 0; f < p->n_fields && f < s->n_fields; f++) {
		const struct db_round_counts *c = &p->fields[f];
		if (append(fields, json_pack("{s:s, s:I, s:I, s:o, s:I}", "code", s->fields[f].code,
					     "invited", (json_int_t)c->invited, "respondents",
					     (json_int_t)c->respondents, "rate",
					     rate(c->respondents, c->invited), "answers",
					     (json_int_t)c->answers)))
			return -1;
	}
	for (size_t i = 0; i < DB_SECTOR_COUNT; i++) {
		const struct db_round_counts *c = &p->sectors[by_name[i]];
		if (c->invited &&
		    append(sectors, json_pack("{s:s, s:I, s:I, s:o}", "sector",
					      db_sector_name(by_name[i]), "invited",
					      (json_int_t)c->invited, "respondents",
					      (json_int_t)c->respondents, "rate",
					      rate(c->respondents, c->invited))))
			return -1;
	}
	for (size_t t = 0; t < p->n_topics && t < s->n_topics; t++) {
		const struct survey_topic *tp = &s->topics[t];
		const struct db_round_counts *c = &p->topics[t];
		if (c->answers &&
		    append(topics, json_pack("{s:s, s:s, s:I, s:I}", "code", tp->code, "field",
					     s->fields[tp->field].code, "respondents",
					     (json_int_t)c->respondents, "answers",
					     (json_int_t)c->answers)))
			return -1;
	}
	return 0;
}

/* The reply, serialized: NULL when out of memory. */
static char *progress_text(const struct survey *s, const struct db_console_round *cur,
			   const struct db_console_progress *p)
{
	json_t *fields = json_array(), *sectors = json_array(), *topics = json_array();
	json_t *round = api_console_round_json(cur), *doc = NULL;
	char *text = NULL;
	if (!fields || !sectors || !topics || !round ||
	    progress_lists(s, p, fields, sectors, topics))
		goto out;
	doc = json_pack("{s:O, s:{s:I, s:I, s:o, s:I}, s:O, s:O, s:O}", "round", round, "overall",
			"invited", (json_int_t)p->total.invited, "respondents",
			(json_int_t)p->total.respondents, "rate",
			rate(p->total.respondents, p->total.invited), "answers",
			(json_int_t)p->total.answers, "fields", fields, "sectors", sectors, "topics",
			topics);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL; /* as req_reply_json */
out:
	json_decref(doc);
	json_decref(round);
	json_decref(fields);
	json_decref(sectors);
	json_decref(topics);
	return text;
}

static void progress_build(struct db *db, const char *err, void *arg)
{
	struct progress_job *j = arg;
	struct db_console_progress p;
	if (!db) {
		j->what = "cannot open the database";
		snprintf(j->detail, sizeof j->detail, "%s", err);
		return;
	}
	if (db_console_progress(db, j->m->sv, j->cur.r.id, &p)) {
		j->what = "cannot count the answers";
		snprintf(j->detail, sizeof j->detail, "%s", db_error(db));
	} else if ((j->body = progress_text(j->m->sv->survey, &j->cur, &p))) {
		j->len = strlen(j->body);
	}
	db_console_progress_release(&p);
}

static void progress_done(struct req *r, void *arg, bool ran)
{
	struct progress_job *j = arg;
	if (!ran) {
		api_console_busy(r);
	} else if (j->what) {
		api_fail(r, j->what, j->detail);
	} else if (!j->body) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
	} else {
		req_reply_bytes(r, 200, JSON_TYPE_UTF8, j->body, j->len, free);
		j->body = NULL; /* the reply owns it */
	}
	progress_job_free(j);
}

void api_rounds_progress(struct req *r)
{
	struct db *db = api_db(r);
	struct progress_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	j->api = api_of(r);
	if (api_console_survey(r, &j->m))
		goto fail;
	int found = db_console_round_get(db, j->m->sv->id, 0, &j->cur);
	if (found < 0) {
		api_fail_db(r, db, "cannot read the round");
		goto fail;
	}
	if (found == DB_NOT_FOUND) {
		req_reply_json(r, 200, json_pack("{s:n, s:{s:i, s:i, s:n, s:i}, s:[], s:[], s:[]}",
						 "round", "overall", "invited", 0, "respondents", 0,
						 "rate", "answers", 0, "fields", "sectors", "topics"));
		goto fail;
	}
	api_console_read(r, progress_build, progress_done, j);
	return;
fail:
	progress_job_free(j);
}
