/*
 * api_reports — a round's results for planners and coordinators (docs/api.md "Results"): the
 * topic table, one topic's statistics for every group with the previous round and its
 * distribution charts as SVG (core/svg.c), and the downloads: the report as CSV, JSON or
 * printable HTML (core/report*.c, the layouts of docs/reports.md) and the answers under
 * pseudonyms (the CSV of `delphi answers export`).
 *
 * Everything is read from the stats table the aggregator filled when the round closed
 * (db_stats_load), and the counts from one pass over the answers (db_console_progress). At
 * national scale (thousands of experts, a thousand topics) that is from a tenth of a second (a
 * topic's page) to seconds (a download), so each route is in two parts: the handler checks the
 * request on its event thread (survey, round, topic, language: the cheap look-ups and every 4xx
 * but 409 no_statistics) and hands a job to the console's reads pool (api_console_read); the job
 * reads through a connection of its own and makes the whole reply body (JSON already
 * serialized), which done sends from the event thread. The replies are the same bytes as when
 * they were built on the loop.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_console.h"
#include "csv.h"
#include "db_stats.h"
#include "report.h"
#include "svg.h"

#define CSV_TYPE "text/csv; charset=utf-8"
#define HTML_TYPE "text/html; charset=utf-8"
#define YEAR_BINS_MAX 32 /* as the HTML report: longer year axes are drawn in bins */

typedef int report_writer_fn(const struct report_input *, struct buf *, char *);

/* A read of the request's round: what the handler found (event thread), then what the job made
 * (reads worker). Owns m (a reference) and body. */
struct job {
	struct api *a;
	struct api_survey *m;
	struct db_console_round rd;
	const char *lang; /* the survey's own string (topic page, reports) */
	long topic;       /* the topic page's topic */
	report_writer_fn *writer; /* a report: its writer, content type and file extension */
	const char *type, *ext;
	/* The outcome, in the order done looks at it. */
	bool busy;                /* the server stopped the job: 503 */
	const char *what;         /* a failure: api_fail(what, detail), 500 */
	char detail[DB_ERR_MAX];
	bool no_stats;            /* 409 no_statistics */
	bool oom;                 /* 500 out of memory */
	char *body;               /* else the reply: a download (type set) or compact JSON */
	size_t len;
};

static void job_free(struct job *j)
{
	if (!j)
		return;
	api_survey_put(j->a, j->m);
	free(j->body);
	free(j);
}

/* A job for the request's survey and round, or NULL after replying. */
static struct job *job_new(struct req *r)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	j->a = api_of(r);
	if (api_console_survey(r, &j->m) || api_console_round(r, j->m->sv->id, &j->rd)) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* Records a failure of the job (the first one counts). Returns -1. */
static int job_fail(struct job *j, const char *what, const char *detail)
{
	if (!j->what) {
		j->what = what;
		snprintf(j->detail, sizeof j->detail, "%s", detail);
	}
	return -1;
}

static int job_fail_db(struct job *j, struct db *db, const char *what)
{
	return job_fail(j, what, db_error(db));
}

/* Keeps doc (stolen) as the reply's body, serialized as req_reply_json does. */
static void job_json(struct job *j, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text) {
		j->oom = true;
		return;
	}
	j->body = text;
	j->len = strlen(text);
}

/* Replies with what the job made (on the request's thread), and frees it. */
static void job_done(struct req *r, void *arg, bool ran)
{
	struct job *j = arg;
	char name[SURVEY_KEY_MAX + 64];
	if (!ran || j->busy) {
		api_console_busy(r);
	} else if (j->what) {
		api_fail(r, j->what, j->detail);
	} else if (j->no_stats) {
		req_reply_error(r, 409, "no_statistics", NULL,
				"round %d has no statistics yet: they are computed when it closes",
				j->rd.r.number);
	} else if (j->oom || !j->body) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
	} else if (j->type) {
		snprintf(name, sizeof name, "%s-round-%d-%s.%s", j->m->sv->survey->slug,
			 j->rd.r.number, j->writer ? "report" : "answers", j->ext);
		api_console_download(r, j->type, name, j->body, j->len);
		j->body = NULL; /* the reply owns it */
	} else {
		req_reply_bytes(r, 200, JSON_TYPE_UTF8, j->body, j->len, free);
		j->body = NULL;
	}
	job_free(j);
}

/* The start of every build: false (nothing to do) when there is no connection. */
static bool job_db(struct job *j, struct db *db, const char *err)
{
	if (!db)
		job_fail(j, "cannot open the database", err);
	return db != NULL;
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* ---- Statistics as JSON --------------------------------------------------------------------- */

/* Sets o's statistics of an ordinal or year row (the feedback's members plus stability). */
static int stat_members(json_t *o, const struct survey_question *q, const struct report_stat *s)
{
	json_t *dist = s->distribution ? json_loads(s->distribution, 0, NULL) : json_null();
	json_t *x;
	if (q->kind == SURVEY_ORDINAL)
		x = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "dont_know",
			      num(s->dont_know), "mean", num(s->mean), "sd", num(s->sd), "q1",
			      num(s->q1), "median", num(s->median), "q3", num(s->q3), "iqr",
			      num(s->iqr), "index", num(s->index), "agreement", num(s->agreement));
	else
		x = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "already", num(s->already),
			      "never", num(s->never), "dont_know", num(s->dont_know), "q1",
			      num(s->q1), "median", num(s->median), "q3", num(s->q3), "iqr",
			      num(s->iqr));
	json_t *y = json_pack("{s:o, s:o?, s:o, s:o, s:o, s:o, s:o}", "consensus",
			      s->consensus < 0 ? json_null() : json_boolean(s->consensus),
			      "distribution", dist, "n_paired",
			      s->n_paired < 0 ? json_null() : json_integer(s->n_paired), "changed",
			      num(s->changed), "mean_abs_change", num(s->mean_abs_change),
			      "wilcoxon_z", num(s->wilcoxon_z), "wilcoxon_p", num(s->wilcoxon_p));
	int bad = !x || !y || json_object_update(o, x) || json_object_update(o, y);
	json_decref(x);
	json_decref(y);
	return bad ? -1 : 0;
}

/* {group: {question key: {...}}} of topic t in st. NULL when out of memory. */
static json_t *groups_json(const struct survey *s, const struct report_stats *st, size_t t)
{
	json_t *groups = json_object();
	for (size_t i = 0; groups && i < st->n; i++) {
		const struct report_stat *row = &st->v[i];
		if (row->topic != t || row->question >= s->n_questions)
			continue;
		const struct survey_question *q = &s->questions[row->question];
		const char *gname = agg_group_name(row->group);
		json_t *g = gname ? json_object_get(groups, gname) : NULL;
		if (!gname)
			continue;
		if (!g && (!(g = json_object()) || json_object_set_new(groups, gname, g)))
			goto oom;
		json_t *o = json_object_get(g, q->key);
		if (!o) {
			o = json_pack("{s:s, s:I}", "kind", survey_kind_name(q->kind), "n",
				      (json_int_t)row->n);
			if (!o || json_object_set_new(g, q->key, o))
				goto oom;
		}
		if (q->kind == SURVEY_MULTI) {
			json_t *shares = json_object_get(o, "shares");
			if (!shares && (!(shares = json_object()) ||
					json_object_set_new(o, "shares", shares)))
				goto oom;
			if (row->option < 0 || (size_t)row->option >= q->n_options)
				continue;
			if (json_object_set_new(shares, q->options[row->option].code,
						num(row->share)))
				goto oom;
		} else if (q->kind != SURVEY_TEXT && stat_members(o, q, row)) {
			goto oom;
		}
	}
	return groups;
oom:
	json_decref(groups);
	return NULL;
}

/* ---- Charts --------------------------------------------------------------------------------- */

static size_t span(const struct survey_question *q)
{
	return q->kind == SURVEY_ORDINAL ? q->n_labels
	       : q->kind == SURVEY_YEAR  ? (size_t)(q->year_max - q->year_min) + 1
					 : 0;
}

/* The distribution chart of question qi of topic t (group all, with prev drawn as outlines) as
 * SVG text in lang. NULL when a stored distribution is damaged or out of memory. */
static char *chart(const struct survey *s, const char *lang, const struct report_stats *cur,
		   const struct report_stats *prev, size_t t, size_t qi)
{
	const struct survey_question *q = &s->questions[qi];
	const struct report_stat *rc = report_find(cur, t, qi, -1, AGG_ALL);
	const struct report_stat *rp = prev ? report_find(prev, t, qi, -1, AGG_ALL) : NULL;
	size_t n = span(q), ny = 0, npy = 0;
	uint32_t *counts = calloc(n ? n : 1, sizeof *counts);
	uint32_t *pcounts = calloc(n ? n : 1, sizeof *pcounts);
	unsigned *uc = calloc(n ? n : 1, sizeof *uc), *upc = calloc(n ? n : 1, sizeof *upc);
	struct svg_year_count *years = calloc(n ? n : 1, sizeof *years);
	struct svg_year_count *pyears = calloc(n ? n : 1, sizeof *pyears);
	const char *labels[SURVEY_MAX_LABELS];
	double values[SURVEY_MAX_LABELS];
	uint32_t sp[3], psp[3];
	struct buf b = BUF_INIT;
	char *out = NULL;
	buf_init(&b);
	if (!counts || !pcounts || !uc || !upc || !years || !pyears ||
	    report_dist_parse(q, rc ? rc->distribution : NULL, counts, n, sp) ||
	    report_dist_parse(q, rp ? rp->distribution : NULL, pcounts, n, psp))
		goto out;
	struct svg_dist d = {
		.kind = q->kind == SURVEY_ORDINAL ? SVG_DIST_ORDINAL : SVG_DIST_YEAR,
		.title = survey_text(s, &q->text, lang),
		.q1 = rc ? rc->q1 : NAN,
		.median = rc ? rc->median : NAN,
		.q3 = rc ? rc->q3 : NAN,
		.has_prev = rp != NULL,
	};
	if (q->kind == SURVEY_ORDINAL) {
		for (size_t i = 0; i < n && i < SURVEY_MAX_LABELS; i++) {
			labels[i] = survey_text(s, &q->labels[i].text, lang);
			values[i] = q->labels[i].value;
			uc[i] = counts[i];
			upc[i] = pcounts[i];
		}
		d.n = n;
		d.labels = labels;
		d.values = values;
		d.counts = uc;
		d.prev_counts = upc;
	} else {
		for (size_t i = 0; i < n; i++) {
			if (counts[i])
				years[ny++] = (struct svg_year_count){ q->year_min + (int)i, counts[i] };
			if (pcounts[i])
				pyears[npy++] =
					(struct svg_year_count){ q->year_min + (int)i, pcounts[i] };
		}
		d.year_min = q->year_min;
		d.year_max = q->year_max;
		d.bin_width = (unsigned)((n + YEAR_BINS_MAX - 1) / YEAR_BINS_MAX);
		d.years = years;
		d.n_years = ny;
		d.prev_years = pyears;
		d.n_prev_years = npy;
	}
	static const unsigned bits[SVG_N_SPECIALS] = { SURVEY_SPECIAL_ALREADY, SURVEY_SPECIAL_NEVER,
						       SURVEY_SPECIAL_DONT_KNOW };
	static const char *const names[SVG_N_SPECIALS] = { "already", "never", "don't know" };
	static const int idx[SVG_N_SPECIALS] = { 1, 2, 0 }; /* sp[]: dont_know, already, never */
	for (int k = 0; k < SVG_N_SPECIALS; k++)
		if (q->specials & bits[k])
			d.specials[k] = (struct svg_special_bar){ names[k], sp[idx[k]], psp[idx[k]] };
	if (svg_dist(&b, &d))
		goto out;
	out = buf_detach(&b, NULL);
out:
	buf_release(&b);
	free(counts);
	free(pcounts);
	free(uc);
	free(upc);
	free(years);
	free(pyears);
	return out;
}

/* ---- Loading a round's statistics ----------------------------------------------------------- */

/* The statistics of the round and, for n > 1, of round n - 1 (empty when it has none). 0, or -1
 * (the job's failure recorded). */
static int load_stats(struct db *db, struct job *j, struct report_stats *cur,
		      struct report_stats *prev)
{
	if (db_stats_load(db, j->m->sv, j->rd.r.id, cur))
		return job_fail_db(j, db, "cannot read the statistics");
	if (j->rd.r.number > 1) {
		struct db_console_round p;
		int found = db_console_round_get(db, j->m->sv->id, j->rd.r.number - 1, &p);
		if (found < 0 || (found == DB_FOUND && db_stats_load(db, j->m->sv, p.r.id, prev)))
			return job_fail_db(j, db, "cannot read the previous round's statistics");
	}
	return 0;
}

/* An i18n text as the definition has it: {lang: text} for the languages it gives. */
static json_t *i18n_json(const struct survey *s, const struct survey_i18n *txt)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < s->n_languages; i++)
		if (txt->text[i] && json_object_set_new(o, s->languages[i], json_string(txt->text[i]))) {
			json_decref(o);
			o = NULL;
		}
	return o;
}

static bool has_text(const struct survey *s, const struct survey_i18n *txt)
{
	for (size_t i = 0; i < s->n_languages; i++)
		if (txt->text[i])
			return true;
	return false;
}

/* ---- GET .../rounds/{n}/topics -------------------------------------------------------------- */

static json_t *topic_row(const struct survey *s, const struct report_stats *st, size_t t,
			 int64_t respondents)
{
	const struct survey_topic *tp = &s->topics[t];
	json_t *qs = json_object();
	for (size_t qi = 0; qs && st->n && qi < s->n_questions; qi++) {
		if (!report_consensus_question(s, qi))
			continue;
		const struct survey_question *q = &s->questions[qi];
		const struct report_stat *row = report_find(st, t, qi, -1, AGG_ALL);
		json_t *o = json_pack("{s:I, s:o, s:o}", "n", (json_int_t)(row ? row->n : 0),
				      "median", num(row ? row->median : NAN), "consensus",
				      !row || row->consensus < 0 ? json_null()
								 : json_boolean(row->consensus));
		if (o && q->kind == SURVEY_ORDINAL &&
		    json_object_set_new(o, "index", num(row ? row->index : NAN))) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_object_set_new(qs, q->key, o)) {
			json_decref(qs);
			qs = NULL;
		}
	}
	json_t *ti = i18n_json(s, &tp->title);
	return json_pack("{s:s, s:s, s:o?, s:I, s:o, s:o?}", "code", tp->code, "field",
			 s->fields[tp->field].code, "title", ti, "respondents",
			 (json_int_t)respondents, "consensus",
			 st->n ? json_boolean(report_topic_consensus(s, st, t)) : json_null(),
			 "questions", qs);
}

static void topics_build(struct db *db, const char *err, void *arg)
{
	struct job *j = arg;
	const struct survey *s = j->m->sv->survey;
	struct report_stats st = { 0 };
	struct db_console_progress pr = { 0 };
	json_t *list = json_array();
	if (!job_db(j, db, err))
		goto out;
	if (db_stats_load(db, j->m->sv, j->rd.r.id, &st)) {
		job_fail_db(j, db, "cannot read the statistics");
		goto out;
	}
	if (db_console_progress(db, j->m->sv, j->rd.r.id, &pr)) {
		job_fail_db(j, db, "cannot count the respondents");
		goto out;
	}
	for (size_t t = 0; list && t < s->n_topics; t++)
		if (json_array_append_new(list, topic_row(s, &st, t,
							  t < pr.n_topics ? pr.topics[t].respondents
									  : 0))) {
			json_decref(list);
			list = NULL;
		}
	if (!list) {
		j->oom = true;
		goto out;
	}
	job_json(j, json_pack("{s:i, s:s, s:b, s:O}", "round", j->rd.r.number, "state",
			      db_round_state_name(j->rd.r.state), "aggregated", st.n > 0, "topics",
			      list));
out:
	json_decref(list);
	db_console_progress_release(&pr);
	report_stats_release(&st);
}

void api_reports_topics(struct req *r)
{
	struct job *j = job_new(r);
	if (j)
		api_console_read(r, topics_build, job_done, j);
}

/* ---- GET .../rounds/{n}/topics/{code} ------------------------------------------------------- */

static void topic_build(struct db *db, const char *err, void *arg)
{
	struct job *j = arg;
	const struct survey *s = j->m->sv->survey;
	const struct survey_topic *tp = &s->topics[j->topic];
	struct report_stats cur = { 0 }, prev = { 0 };
	json_t *groups = NULL, *previous = NULL, *charts = json_object(), *topic = NULL;
	if (!job_db(j, db, err) || load_stats(db, j, &cur, &prev))
		goto out;
	if (!charts || !(groups = groups_json(s, &cur, (size_t)j->topic)))
		goto oom;
	if (j->rd.r.number > 1 && !(previous = groups_json(s, &prev, (size_t)j->topic)))
		goto oom;
	for (size_t qi = 0; cur.n && qi < s->n_questions; qi++) {
		const struct survey_question *q = &s->questions[qi];
		if (q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR)
			continue;
		char *svg = chart(s, j->lang, &cur, prev.n ? &prev : NULL, (size_t)j->topic, qi);
		if (!svg) {
			job_fail(j, "cannot draw a chart", q->key);
			goto out;
		}
		int bad = json_object_set_new(charts, q->key, json_string(svg));
		free(svg);
		if (bad)
			goto oom;
	}
	topic = json_pack("{s:s, s:s, s:o?}", "code", tp->code, "field", s->fields[tp->field].code,
			  "title", i18n_json(s, &tp->title));
	if (!topic ||
	    (has_text(s, &tp->text) && json_object_set_new(topic, "text", i18n_json(s, &tp->text))))
		goto oom;
	job_json(j, json_pack("{s:i, s:O, s:O, s:O?, s:O}", "round", j->rd.r.number, "topic", topic,
			      "groups", groups, "previous", previous ? previous : json_null(),
			      "charts", charts));
	goto out;
oom:
	j->oom = true;
out:
	json_decref(topic);
	json_decref(groups);
	json_decref(previous);
	json_decref(charts);
	report_stats_release(&cur);
	report_stats_release(&prev);
}

void api_reports_topic(struct req *r)
{
	struct job *j = job_new(r);
	if (!j)
		return;
	const struct survey *s = j->m->sv->survey;
	const char *code = req_param(r, "code");
	j->topic = code ? api_survey_topic(j->m, code) : -1;
	if (j->topic < 0) {
		req_reply_error(r, 404, "unknown_topic", NULL, "survey %s has no topic \"%.64s\"",
				s->slug, code ? code : "");
		job_free(j);
		return;
	}
	if (!(j->lang = api_console_lang(r, s))) {
		job_free(j);
		return;
	}
	api_console_read(r, topic_build, job_done, j);
}

/* ---- Downloads ------------------------------------------------------------------------------ */

/* The counts of every round up to the job's, as the report's header shows them: meta[i] and
 * per_field[i] (owned) for the *n rounds found. 0, or -1 (the job's failure recorded, or busy). */
static int load_rounds(struct db *db, struct job *j, struct report_round meta[SURVEY_MAX_ROUNDS],
		       struct db_round rounds[SURVEY_MAX_ROUNDS],
		       struct report_counts *per_field[SURVEY_MAX_ROUNDS], size_t *n)
{
	const struct survey *s = j->m->sv->survey;
	struct db_console_progress pr = { 0 };
	int ret = -1;
	for (int k = 1; k <= j->rd.r.number && k <= SURVEY_MAX_ROUNDS; k++) {
		struct db_round *rk = &rounds[*n];
		if (api_console_stopping(j->a)) {
			j->busy = true;
			goto out;
		}
		int found = db_round_get(db, j->m->sv->id, k, rk);
		if (found < 0 || (found == DB_FOUND && db_console_progress(db, j->m->sv, rk->id, &pr))) {
			job_fail_db(j, db, "cannot count the answers");
			goto out;
		}
		if (found == DB_NOT_FOUND)
			continue;
		if (!(per_field[*n] = calloc(s->n_fields + 1, sizeof *per_field[*n]))) {
			j->oom = true;
			goto out;
		}
		for (size_t f = 0; f < s->n_fields && f < pr.n_fields; f++)
			per_field[*n][f] = (struct report_counts){
				pr.fields[f].invited, pr.fields[f].respondents, pr.fields[f].answers };
		meta[*n] = (struct report_round){
			.number = rk->number,
			.closed = rk->state == DB_ROUND_CLOSED,
			.opened_at = rk->opened_at,
			.closed_at = rk->closed_at,
			.total = { pr.total.invited, pr.total.respondents, pr.total.answers },
			.per_field = per_field[*n],
		};
		(*n)++;
		db_console_progress_release(&pr);
	}
	ret = 0;
out:
	db_console_progress_release(&pr);
	return ret;
}

static void report_build(struct db *db, const char *err, void *arg)
{
	struct job *j = arg;
	struct report_stats cur = { 0 }, prev = { 0 };
	struct db_round rounds[SURVEY_MAX_ROUNDS];
	struct report_round meta[SURVEY_MAX_ROUNDS];
	struct report_counts *per_field[SURVEY_MAX_ROUNDS] = { 0 };
	size_t n_rounds = 0;
	struct buf out = BUF_INIT;
	char werr[REPORT_ERR_MAX];
	buf_init(&out);
	if (!job_db(j, db, err) || load_stats(db, j, &cur, &prev))
		goto out;
	if (!cur.n) {
		j->no_stats = true;
		goto out;
	}
	if (load_rounds(db, j, meta, rounds, per_field, &n_rounds))
		goto out;
	struct report_input in = {
		.s = j->m->sv->survey,
		.lang = j->lang,
		.round = j->rd.r.number,
		.rounds = meta,
		.n_rounds = n_rounds,
		.cur = &cur,
		.prev = j->rd.r.number > 1 && prev.n ? &prev : NULL,
	};
	if (j->writer(&in, &out, werr)) {
		job_fail(j, "cannot write the report", werr);
		goto out;
	}
	j->body = buf_detach(&out, &j->len);
out:
	for (size_t i = 0; i < SURVEY_MAX_ROUNDS; i++)
		free(per_field[i]);
	buf_release(&out);
	report_stats_release(&cur);
	report_stats_release(&prev);
}

/* The report of the request's round, written by w, as a download of type named ext. */
static void report(struct req *r, report_writer_fn *w, const char *type, const char *ext)
{
	struct job *j = job_new(r);
	if (!j)
		return;
	if (!(j->lang = api_console_lang(r, j->m->sv->survey))) {
		job_free(j);
		return;
	}
	j->writer = w;
	j->type = type;
	j->ext = ext;
	api_console_read(r, report_build, job_done, j);
}

void api_reports_csv(struct req *r)
{
	report(r, report_csv, CSV_TYPE, "csv");
}

void api_reports_json(struct req *r)
{
	report(r, report_json, JSON_TYPE_UTF8, "json");
}

void api_reports_html(struct req *r)
{
	report(r, report_html, HTML_TYPE, "html");
}

struct export_ctx {
	const struct survey *s;
	struct api *a;
	struct buf out;
	bool stopped;
};

static int export_cb(const struct db_export_row *x, void *arg)
{
	struct export_ctx *ex = arg;
	const struct survey *s = ex->s;
	const struct survey_question *q = &s->questions[x->question];
	const struct survey_topic *t = &s->topics[x->topic];
	char round[16];
	char *expertise = NULL, *value = NULL;
	int rc = 1;
	if (api_console_stopping(ex->a)) {
		ex->stopped = true;
		return 1;
	}
	if (!(value = answer_to_text(q, &x->value)))
		goto out;
	if (x->has_expertise &&
	    !(expertise = answer_to_text(&s->questions[s->expertise_question], &x->expertise)))
		goto out;
	snprintf(round, sizeof round, "%d", x->round);
	const char *cells[8] = { round, x->pseudonym, x->sector, t->code, s->fields[t->field].code,
				 expertise ? expertise : "", q->key, value };
	csv_write_row(&ex->out, cells, 8);
	rc = 0;
out:
	free(value);
	free(expertise);
	return rc;
}

static void answers_build(struct db *db, const char *err, void *arg)
{
	struct job *j = arg;
	struct export_ctx ex = { j->m->sv->survey, j->a, BUF_INIT, false };
	buf_init(&ex.out);
	if (!job_db(j, db, err))
		goto out;
	buf_adds(&ex.out, "round,pseudonym,sector,topic,field,expertise,question,value\n");
	int rc = db_answers_export(db, j->m->sv, j->rd.r.number, export_cb, &ex);
	if (ex.stopped) {
		j->busy = true;
		goto out;
	}
	if (rc) {
		if (rc < 0)
			job_fail_db(j, db, "cannot read the answers");
		else
			job_fail(j, "cannot export the answers",
				 "a stored answer does not fit the survey's definition");
		goto out;
	}
	j->body = buf_detach(&ex.out, &j->len);
out:
	buf_release(&ex.out);
}

void api_reports_answers(struct req *r)
{
	struct job *j = job_new(r);
	if (!j)
		return;
	j->type = CSV_TYPE;
	j->ext = "csv";
	api_console_read(r, answers_build, job_done, j);
}
