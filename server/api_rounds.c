/*
 * api_rounds — running a survey's rounds from the console (docs/api.md): open (with an optional
 * scheduled close), close (the aggregator runs in the closing transaction, as with `delphi round
 * close`, and its summary is the reply), reopen the latest round with a reason for the audit
 * log, and the progress of the latest round.
 *
 * Each change is one writer job that checks the round's state again inside the transaction, so
 * two coordinators clicking at once get one success and one 409.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_console.h"
#include "cli_report.h"
#include "log.h"
#include "writer.h"

#define REASON_MAX 500

struct round_job {
	struct api *api;
	struct api_survey *m;
	char actor[API_CONSOLE_ACTOR_MAX];
	char close_at[DB_TIME_MAX]; /* open: "" for none */
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

/* "YYYY-MM-DDTHH:MM:SSZ" naming a real moment between 1970 and 9999. */
static bool valid_time(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;
	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
				      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	for (int i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return false;
	struct tm want = tm;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	struct tm back;
	if (t < 0 || !gmtime_r(&t, &back))
		return false;
	return back.tm_year + 1900 == want.tm_year && back.tm_mon + 1 == want.tm_mon &&
	       back.tm_mday == want.tm_mday && back.tm_hour == want.tm_hour &&
	       back.tm_min == want.tm_min && back.tm_sec == want.tm_sec;
}

/* ---- POST .../rounds/open ------------------------------------------------------------------- */

static int open_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	char detail[200];
	j->outcome = db_round_open(db, j->m->sv, &j->r, &j->invited);
	if (j->outcome < 0)
		goto fail;
	if (j->outcome != DB_ROUND_DONE)
		return 0;
	if (*j->close_at && db_console_round_set_close_at(db, j->r.id, j->close_at))
		goto fail;
	snprintf(detail, sizeof detail, "survey=%s round=%d invited=%lld%s%s",
		 j->m->sv->survey->slug, j->r.number, (long long)j->invited,
		 *j->close_at ? " close_at=" : "", j->close_at);
	if (db_audit(db, j->actor, "round.open", detail) || reread(db, j))
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
	if (api_console_body(r, &body))
		return;
	json_t *close_at = body ? json_object_get(body, "close_at") : NULL;
	if (close_at && !json_is_null(close_at) &&
	    (!json_is_string(close_at) || !valid_time(json_string_value(close_at)))) {
		req_reply_error(r, 422, "invalid_request", "close_at",
				"close_at must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\" or null");
		goto out;
	}
	if (!(j = round_job_new(r)))
		goto out;
	if (json_is_string(close_at))
		snprintf(j->close_at, sizeof j->close_at, "%s", json_string_value(close_at));
	api_console_write(r, open_run, open_reply, j);
out:
	json_decref(body);
}

/* ---- POST .../rounds/close ------------------------------------------------------------------ */

static int close_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	char detail[200];
	j->outcome = db_round_close(db, j->m->sv, &j->r);
	if (j->outcome < 0)
		goto fail;
	if (j->outcome != DB_ROUND_DONE)
		return 0;
	/* The closed round's statistics, in this same transaction: a round is never closed
	 * without them. */
	if (cli_report_aggregate(db, j->m->sv, &j->r, &j->agg))
		goto fail;
	snprintf(detail, sizeof detail, "survey=%s round=%d rows=%lld", j->m->sv->survey->slug,
		 j->r.number, (long long)j->agg.sum.rows);
	if (db_audit(db, j->actor, "round.close", detail) || reread(db, j))
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

/* ---- POST .../rounds/reopen ----------------------------------------------------------------- */

static int reopen_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct round_job *j = arg;
	char detail[REASON_MAX + 100];
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
	snprintf(detail, sizeof detail, "survey=%s round=%d reason=%s", j->m->sv->survey->slug,
		 j->r.number, j->reason);
	if (db_console_round_reopen(db, j->r.id) || db_audit(db, j->actor, "round.reopen", detail) ||
	    reread(db, j))
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
	if (!(j = round_job_new(r)))
		goto out;
	memcpy(j->reason, text, len + 1);
	api_console_write(r, reopen_run, reopen_reply, j);
out:
	json_decref(body);
}

/* ---- GET .../progress ----------------------------------------------------------------------- */

static json_t *rate(int64_t respondents, int64_t invited)
{
	return invited > 0 ? json_real((double)respondents / (double)invited) : json_null();
}

static int sector_cb(const char *sector, int64_t invited, int64_t respondents, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:o}", "sector", sector,
						    "invited", (json_int_t)invited, "respondents",
						    (json_int_t)respondents, "rate",
						    rate(respondents, invited)))
		       ? 1
		       : 0;
}

struct topics_ctx {
	const struct survey *s;
	json_t *list;
};

static int topic_cb(size_t topic, int64_t respondents, int64_t answers, void *arg)
{
	struct topics_ctx *t = arg;
	if (topic >= t->s->n_topics)
		return 0;
	const struct survey_topic *tp = &t->s->topics[topic];
	return json_array_append_new(t->list,
				     json_pack("{s:s, s:s, s:I, s:I}", "code", tp->code, "field",
					       t->s->fields[tp->field].code, "respondents",
					       (json_int_t)respondents, "answers",
					       (json_int_t)answers))
		       ? 1
		       : 0;
}

void api_rounds_progress(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct db_console_round cur;
	struct db_round_status st = { 0 };
	json_t *fields = json_array(), *sectors = json_array(), *topics = json_array();
	json_t *round = NULL;
	if (api_console_survey(r, &m))
		goto out;
	const struct survey *s = m->sv->survey;
	int found = db_console_round_get(db, m->sv->id, 0, &cur);
	if (found < 0) {
		api_fail_db(r, db, "cannot read the round");
		goto out;
	}
	if (!fields || !sectors || !topics)
		goto oom;
	if (found == DB_NOT_FOUND) {
		req_reply_json(r, 200, json_pack("{s:n, s:{s:i, s:i, s:n, s:i}, s:O, s:O, s:O}",
						 "round", "overall", "invited", 0, "respondents", 0,
						 "rate", "answers", 0, "fields", fields, "sectors",
						 sectors, "topics", topics));
		goto out;
	}
	if (db_round_status(db, m->sv, &cur.r, &st)) {
		api_fail_db(r, db, "cannot count the answers");
		goto out;
	}
	for (size_t f = 0; f < st.n_fields && f < s->n_fields; f++) {
		const struct db_round_counts *c = &st.per_field[f];
		if (json_array_append_new(fields, json_pack("{s:s, s:I, s:I, s:o, s:I}", "code",
							    s->fields[f].code, "invited",
							    (json_int_t)c->invited, "respondents",
							    (json_int_t)c->respondents, "rate",
							    rate(c->respondents, c->invited),
							    "answers", (json_int_t)c->answers)))
			goto oom;
	}
	struct topics_ctx tc = { s, topics };
	int rc = db_console_progress_sectors(db, cur.r.id, sector_cb, sectors);
	if (!rc)
		rc = db_console_progress_topics(db, cur.r.id, topic_cb, &tc);
	if (rc < 0) {
		api_fail_db(r, db, "cannot count the respondents");
		goto out;
	}
	if (rc || !(round = api_console_round_json(&cur)))
		goto oom;
	req_reply_json(r, 200,
		       json_pack("{s:O, s:{s:I, s:I, s:o, s:I}, s:O, s:O, s:O}", "round", round,
				 "overall", "invited", (json_int_t)st.total.invited, "respondents",
				 (json_int_t)st.total.respondents, "rate",
				 rate(st.total.respondents, st.total.invited), "answers",
				 (json_int_t)st.total.answers, "fields", fields, "sectors", sectors,
				 "topics", topics));
	goto out;
oom:
	req_reply_error(r, 500, "internal", NULL, "out of memory");
out:
	json_decref(round);
	json_decref(fields);
	json_decref(sectors);
	json_decref(topics);
	db_round_status_release(&st);
	api_survey_put(a, m);
}
