/*
 * report_json — the report as one JSON object: the survey's metadata, the questions with their
 * scales and consensus rules, the rounds' response counts, and every statistic of the round
 * nested by field, topic, question (option) and group, with each question's distribution.
 * docs/reports.md describes the shape; it is a public interface (keys are only ever added).
 * Written by hand into the buf so numbers print as the CSV prints them (buf_add_double).
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_JSON_VERSION 1

struct jw {
	const struct report_input *in;
	struct buf *out;
	char *err;
	uint32_t *counts; /* scratch for distributions: the widest question's span */
	size_t n_counts;
};

static const char *text(const struct jw *w, const struct survey_i18n *t)
{
	return survey_text(w->in->s, t, w->in->lang);
}

static void key(struct buf *out, bool *first, const char *k)
{
	if (!*first)
		buf_addch(out, ',');
	*first = false;
	report_json_string(out, k);
	buf_addch(out, ':');
}

static void kv_double(struct buf *out, bool *first, const char *k, double v)
{
	key(out, first, k);
	report_json_double(out, v);
}

static void kv_int(struct buf *out, bool *first, const char *k, long long v)
{
	key(out, first, k);
	buf_printf(out, "%lld", v);
}

static void kv_str(struct buf *out, bool *first, const char *k, const char *v)
{
	key(out, first, k);
	report_json_string(out, v);
}

static size_t span(const struct survey_question *q)
{
	if (q->kind == SURVEY_ORDINAL)
		return q->n_labels;
	if (q->kind == SURVEY_YEAR)
		return (size_t)(q->year_max - q->year_min) + 1;
	return 0;
}

static void specials_list(struct buf *out, unsigned specials)
{
	bool first = true;
	buf_addch(out, '[');
	if (specials & SURVEY_SPECIAL_ALREADY) {
		buf_adds(out, "\"already\"");
		first = false;
	}
	if (specials & SURVEY_SPECIAL_NEVER) {
		buf_adds(out, first ? "\"never\"" : ",\"never\"");
		first = false;
	}
	if (specials & SURVEY_SPECIAL_DONT_KNOW)
		buf_adds(out, first ? "\"dont_know\"" : ",\"dont_know\"");
	buf_addch(out, ']');
}

static void question_meta(struct jw *w, size_t qi)
{
	const struct survey_question *q = &w->in->s->questions[qi];
	struct buf *out = w->out;
	bool first = true;
	char rule[160];
	buf_addch(out, '{');
	kv_str(out, &first, "key", q->key);
	kv_str(out, &first, "kind", survey_kind_name(q->kind));
	kv_str(out, &first, "text", text(w, &q->text));
	if (q->kind == SURVEY_ORDINAL) {
		key(out, &first, "labels");
		buf_addch(out, '[');
		for (size_t i = 0; i < q->n_labels; i++) {
			bool f = true;
			buf_adds(out, i ? ",{" : "{");
			kv_int(out, &f, "value", q->labels[i].value);
			kv_double(out, &f, "weight", q->labels[i].weight);
			kv_str(out, &f, "text", text(w, &q->labels[i].text));
			buf_addch(out, '}');
		}
		buf_addch(out, ']');
		key(out, &first, "agreement");
		buf_addch(out, '[');
		for (size_t i = 0; i < q->n_agreement; i++)
			buf_printf(out, "%s%d", i ? "," : "", q->agreement[i]);
		buf_addch(out, ']');
	} else if (q->kind == SURVEY_YEAR) {
		kv_int(out, &first, "min", q->year_min);
		kv_int(out, &first, "max", q->year_max);
	} else if (q->kind == SURVEY_MULTI) {
		key(out, &first, "options");
		buf_addch(out, '[');
		for (size_t i = 0; i < q->n_options; i++) {
			bool f = true;
			buf_adds(out, i ? ",{" : "{");
			kv_str(out, &f, "code", q->options[i].code);
			kv_str(out, &f, "text", text(w, &q->options[i].text));
			buf_addch(out, '}');
		}
		buf_addch(out, ']');
	}
	if (q->kind == SURVEY_ORDINAL || q->kind == SURVEY_YEAR) {
		key(out, &first, "specials");
		specials_list(out, q->specials);
		key(out, &first, "consensus");
		bool f = true;
		report_consensus_rule(q, rule, sizeof rule);
		buf_addch(out, '{');
		kv_str(out, &f, "rule", rule);
		kv_double(out, &f, "max_iqr", q->consensus.max_iqr);
		if (q->kind == SURVEY_ORDINAL) {
			kv_double(out, &f, "agreement_high", q->consensus.agree_high);
			kv_double(out, &f, "agreement_low", q->consensus.agree_low);
		}
		buf_addch(out, '}');
	}
	buf_addch(out, '}');
}

static void counts_obj(struct buf *out, const struct report_counts *c)
{
	bool f = true;
	buf_addch(out, '{');
	kv_int(out, &f, "invited", c->invited);
	kv_int(out, &f, "respondents", c->respondents);
	kv_int(out, &f, "answers", c->answers);
	buf_addch(out, '}');
}

static void rounds(struct jw *w)
{
	const struct report_input *in = w->in;
	struct buf *out = w->out;
	buf_addch(out, '[');
	for (size_t i = 0; i < in->n_rounds; i++) {
		const struct report_round *r = &in->rounds[i];
		bool f = true;
		buf_adds(out, i ? ",{" : "{");
		kv_int(out, &f, "number", r->number);
		kv_str(out, &f, "state", r->closed ? "closed" : "open");
		kv_str(out, &f, "opened_at", r->opened_at);
		key(out, &f, "closed_at");
		report_json_string(out, r->closed && r->closed_at[0] ? r->closed_at : NULL);
		kv_int(out, &f, "invited", r->total.invited);
		kv_int(out, &f, "respondents", r->total.respondents);
		kv_int(out, &f, "answers", r->total.answers);
		key(out, &f, "fields");
		buf_addch(out, '{');
		for (size_t k = 0; r->per_field && k < in->s->n_fields; k++) {
			bool ff = k == 0;
			key(out, &ff, in->s->fields[k].code);
			counts_obj(out, &r->per_field[k]);
		}
		buf_adds(out, "}}");
	}
	buf_addch(out, ']');
}

/* The distribution of a numeric row, re-read from its stored form. */
static int distribution(struct jw *w, const struct survey_question *q,
			const struct report_stat *r)
{
	struct buf *out = w->out;
	uint32_t sp[3];
	static const char *const names[3] = { "dont_know", "already", "never" };
	static const unsigned bits[3] = { SURVEY_SPECIAL_DONT_KNOW, SURVEY_SPECIAL_ALREADY,
					  SURVEY_SPECIAL_NEVER };
	size_t n = span(q);
	bool first = true;
	if (report_dist_parse(q, r->distribution, w->counts, n, sp)) {
		snprintf(w->err, REPORT_ERR_MAX, "topic %s, question %s, group %s: the stored "
			 "distribution is not valid", w->in->s->topics[r->topic].code, q->key,
			 agg_group_name(r->group));
		return -1;
	}
	buf_addch(out, '{');
	for (size_t i = 0; i < n; i++) {
		if (q->kind == SURVEY_YEAR && w->counts[i] == 0)
			continue;
		buf_printf(out, "%s\"%d\":%" PRIu32, first ? "" : ",", agg_dist_value(q, i),
			   w->counts[i]);
		first = false;
	}
	for (size_t s = 0; s < 3; s++) {
		if (!(q->specials & bits[s]))
			continue;
		buf_printf(out, "%s\"%s\":%" PRIu32, first ? "" : ",", names[s], sp[s]);
		first = false;
	}
	buf_addch(out, '}');
	return 0;
}

static void stability(struct buf *out, bool *f, const struct report_stat *r)
{
	key(out, f, "n_paired");
	if (r->n_paired >= 0)
		buf_printf(out, "%lld", (long long)r->n_paired);
	else
		buf_adds(out, "null");
	kv_double(out, f, "changed", r->changed);
	kv_double(out, f, "mean_abs_change", r->mean_abs_change);
	kv_double(out, f, "wilcoxon_z", r->wilcoxon_z);
	kv_double(out, f, "wilcoxon_p", r->wilcoxon_p);
}

static int group_obj(struct jw *w, const struct survey_question *q, const struct report_stat *r)
{
	struct buf *out = w->out;
	bool f = true;
	buf_addch(out, '{');
	kv_int(out, &f, "n", r->n);
	if (q->kind == SURVEY_MULTI) {
		kv_double(out, &f, "share", r->share);
		stability(out, &f, r);
		buf_addch(out, '}');
		return 0;
	}
	kv_double(out, &f, "dont_know", r->dont_know);
	kv_double(out, &f, "already", r->already);
	kv_double(out, &f, "never", r->never);
	kv_double(out, &f, "mean", r->mean);
	kv_double(out, &f, "sd", r->sd);
	kv_double(out, &f, "q1", r->q1);
	kv_double(out, &f, "median", r->median);
	kv_double(out, &f, "q3", r->q3);
	kv_double(out, &f, "iqr", r->iqr);
	kv_double(out, &f, "index", r->index);
	kv_double(out, &f, "agreement", r->agreement);
	key(out, &f, "consensus");
	buf_adds(out, r->consensus < 0 ? "null" : r->consensus ? "true" : "false");
	stability(out, &f, r);
	key(out, &f, "distribution");
	if (distribution(w, q, r))
		return -1;
	buf_addch(out, '}');
	return 0;
}

/* The rows of stats from index *i on that belong to (topic, question, option), as an object
 * keyed by group; advances *i past them. */
static int groups_of(struct jw *w, size_t *i, size_t topic, size_t question, int option)
{
	const struct report_stats *st = w->in->cur;
	const struct survey_question *q = &w->in->s->questions[question];
	bool f = true;
	buf_addch(w->out, '{');
	while (*i < st->n && st->v[*i].topic == topic && st->v[*i].question == question &&
	       st->v[*i].option == option) {
		key(w->out, &f, agg_group_name(st->v[*i].group));
		if (group_obj(w, q, &st->v[*i]))
			return -1;
		(*i)++;
	}
	buf_addch(w->out, '}');
	return 0;
}

/* The statistics of one topic: rows from *i on (stats sorted by topic). */
static int topic_questions(struct jw *w, size_t *i, size_t topic)
{
	const struct report_stats *st = w->in->cur;
	const struct survey *s = w->in->s;
	struct buf *out = w->out;
	bool f = true;
	buf_addch(out, '{');
	while (*i < st->n && st->v[*i].topic == topic) {
		size_t qi = st->v[*i].question;
		const struct survey_question *q = &s->questions[qi];
		key(out, &f, q->key);
		if (q->kind != SURVEY_MULTI) {
			if (groups_of(w, i, topic, qi, st->v[*i].option))
				return -1;
			continue;
		}
		bool fo = true;
		buf_adds(out, "{\"options\":{");
		while (*i < st->n && st->v[*i].topic == topic && st->v[*i].question == qi) {
			int o = st->v[*i].option;
			key(out, &fo, o >= 0 ? q->options[o].code : "");
			if (groups_of(w, i, topic, qi, o))
				return -1;
		}
		buf_adds(out, "}}");
	}
	buf_addch(out, '}');
	return 0;
}

static int fields(struct jw *w)
{
	const struct report_input *in = w->in;
	const struct survey *s = in->s;
	struct buf *out = w->out;
	/* stats rows are sorted by topic index; find each topic's first row by a forward scan */
	size_t *first = malloc((s->n_topics + 1) * sizeof *first);
	int rc = -1;
	if (!first) {
		snprintf(w->err, REPORT_ERR_MAX, "out of memory");
		return -1;
	}
	for (size_t t = 0, i = 0; t <= s->n_topics; t++) {
		while (i < in->cur->n && in->cur->v[i].topic < t)
			i++;
		first[t] = i;
	}
	buf_addch(out, '[');
	for (size_t fi = 0; fi < s->n_fields; fi++) {
		bool f = true, any = false;
		buf_adds(out, fi ? ",{" : "{");
		kv_str(out, &f, "code", s->fields[fi].code);
		kv_str(out, &f, "title", text(w, &s->fields[fi].title));
		key(out, &f, "topics");
		buf_addch(out, '[');
		for (size_t t = 0; t < s->n_topics; t++) {
			const struct survey_topic *tp = &s->topics[t];
			bool ft = true;
			if (tp->field != fi)
				continue;
			buf_adds(out, any ? ",{" : "{");
			any = true;
			kv_str(out, &ft, "code", tp->code);
			kv_str(out, &ft, "title", text(w, &tp->title));
			kv_str(out, &ft, "text", text(w, &tp->text));
			key(out, &ft, "consensus");
			buf_adds(out, report_topic_consensus(s, in->cur, t) ? "true" : "false");
			key(out, &ft, "questions");
			size_t i = first[t];
			if (topic_questions(w, &i, t))
				goto out;
			buf_addch(out, '}');
		}
		buf_adds(out, "]}");
	}
	buf_addch(out, ']');
	rc = 0;
out:
	free(first);
	return rc;
}

/* The groups that have rows this round, as a JSON array in report order. */
static void groups_present(struct jw *w)
{
	unsigned seen = 0;
	bool first = true;
	for (size_t i = 0; i < w->in->cur->n; i++)
		seen |= AGG_GROUP_BIT(w->in->cur->v[i].group);
	buf_addch(w->out, '[');
	for (int g = 0; g < AGG_N_GROUPS; g++) {
		if (!(seen & AGG_GROUP_BIT(g)))
			continue;
		if (!first)
			buf_addch(w->out, ',');
		first = false;
		report_json_string(w->out, agg_group_name((enum agg_group)g));
	}
	buf_addch(w->out, ']');
}

static void consensus_summary(struct jw *w)
{
	const struct survey *s = w->in->s;
	struct buf *out = w->out;
	size_t reached = 0;
	bool f = true, fq = true;
	for (size_t t = 0; t < s->n_topics; t++)
		reached += report_topic_consensus(s, w->in->cur, t) != 0;
	buf_addch(out, '{');
	kv_int(out, &f, "topics", (long long)s->n_topics);
	kv_int(out, &f, "reached", (long long)reached);
	key(out, &f, "by_question");
	buf_addch(out, '{');
	for (size_t q = 0; q < s->n_questions; q++) {
		const struct survey_question *qq = &s->questions[q];
		size_t n = 0;
		if (qq->kind != SURVEY_ORDINAL && qq->kind != SURVEY_YEAR)
			continue;
		for (size_t t = 0; t < s->n_topics; t++) {
			const struct report_stat *r = report_find(w->in->cur, t, q, -1, AGG_ALL);
			n += r && r->consensus == 1;
		}
		kv_int(out, &fq, qq->key, (long long)n);
	}
	buf_adds(out, "}}");
}

int report_json(const struct report_input *in, struct buf *out, char err[REPORT_ERR_MAX])
{
	const struct survey *s = in->s;
	struct jw w = { .in = in, .out = out, .err = err };
	bool f = true;
	int rc = -1;
	err[0] = '\0';
	for (size_t q = 0; q < s->n_questions; q++)
		if (span(&s->questions[q]) > w.n_counts)
			w.n_counts = span(&s->questions[q]);
	if (!(w.counts = calloc(w.n_counts + 1, sizeof *w.counts))) {
		snprintf(err, REPORT_ERR_MAX, "out of memory");
		return -1;
	}
	int lang = in->lang ? survey_language_index(s, in->lang) : 0;

	buf_addch(out, '{');
	kv_str(out, &f, "format", "delphi-report");
	kv_int(out, &f, "version", REPORT_JSON_VERSION);
	key(out, &f, "survey");
	{
		bool fs = true;
		buf_addch(out, '{');
		kv_str(out, &fs, "slug", s->slug);
		kv_str(out, &fs, "title", text(&w, &s->title));
		kv_str(out, &fs, "description", text(&w, &s->description));
		kv_int(out, &fs, "year", s->year);
		kv_int(out, &fs, "horizon", s->horizon);
		kv_int(out, &fs, "rounds", s->n_rounds);
		kv_str(out, &fs, "language", s->languages[lang >= 0 ? lang : 0]);
		buf_addch(out, '}');
	}
	kv_int(out, &f, "round", in->round);
	key(out, &f, "previous_round");
	if (in->prev)
		buf_printf(out, "%d", in->round - 1);
	else
		buf_adds(out, "null");
	kv_int(out, &f, "quantile_type", s->quantile_type);
	key(out, &f, "expertise");
	if (s->expertise_question >= 0) {
		bool fe = true;
		buf_addch(out, '{');
		kv_str(out, &fe, "question", s->questions[s->expertise_question].key);
		kv_int(out, &fe, "high", s->expertise_high);
		buf_addch(out, '}');
	} else {
		buf_adds(out, "null");
	}
	key(out, &f, "groups");
	groups_present(&w);
	key(out, &f, "questions");
	buf_addch(out, '[');
	for (size_t q = 0, n = 0; q < s->n_questions; q++) {
		if (s->questions[q].kind == SURVEY_TEXT)
			continue;
		if (n++)
			buf_addch(out, ',');
		question_meta(&w, q);
	}
	buf_addch(out, ']');
	key(out, &f, "rounds");
	rounds(&w);
	key(out, &f, "consensus");
	consensus_summary(&w);
	key(out, &f, "fields");
	if (fields(&w))
		goto out;
	buf_adds(out, "}\n");
	rc = 0;
out:
	free(w.counts);
	return rc;
}
