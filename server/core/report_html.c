/*
 * report_html — the report as one self-contained, printable HTML page: inline CSS and inline
 * SVG charts (svg.h), no script, no external reference, laid out for A4 (@page, page breaks).
 *
 * Contents (docs/reports.md): a summary (response counts per round and field, how many topics
 * reached consensus, how to read the numbers); per field an importance ranking and a NISTEP-style
 * realization timeline; then one page per topic: the distribution of every ordinal and year
 * question in this round with the previous round drawn behind it, the option shares of multi
 * questions, and the statistics table for all respondents, the experts and each sector, with the
 * stability columns from round 2 on. Every text that comes from the survey definition goes
 * through svg_escape (HTML-escaped, control characters and invalid UTF-8 replaced).
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

#define YEAR_BINS_MAX 32 /* a year axis of more years is drawn in bins of several years */
/* A chart is one image and cannot break across pages: long rankings and timelines are drawn
 * in parts of at most this many topics, each fitting an A4 page. */
#define RANKING_PART 40
#define TIMELINE_PART 26

struct hw {
	const struct report_input *in;
	const struct survey *s;
	struct buf *out;
	char *err;
	unsigned groups;   /* groups with rows in this round */
	int importance;    /* the question ranked per field, or -1 */
	int tech, social;  /* the year questions of the timeline, or -1 */
	uint32_t *counts;  /* scratch: a question's distribution, this round */
	uint32_t *pcounts; /* ... and the previous round */
	size_t n_counts;
	struct svg_year_count *years, *pyears;
};

static const char *text(const struct hw *w, const struct survey_i18n *t)
{
	return survey_text(w->s, t, w->in->lang);
}

static void esc(struct hw *w, const char *s)
{
	svg_escape(w->out, s);
}

/* A number with at most `decimals` decimals, trailing zeros dropped; "–" when undefined. */
static void num(struct hw *w, double v, int decimals)
{
	char tmp[64];
	if (!isfinite(v)) {
		buf_adds(w->out, "\xe2\x80\x93");
		return;
	}
	snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
	if (strchr(tmp, '.')) {
		size_t n = strlen(tmp);
		while (tmp[n - 1] == '0')
			tmp[--n] = '\0';
		if (tmp[n - 1] == '.')
			tmp[--n] = '\0';
	}
	if (!strcmp(tmp, "-0"))
		strcpy(tmp, "0");
	buf_adds(w->out, tmp);
}

/* A share 0..1 as a percentage. */
static void pct(struct hw *w, double v)
{
	num(w, isfinite(v) ? 100 * v : v, 0);
	if (isfinite(v))
		buf_adds(w->out, "%");
}

static size_t span(const struct survey_question *q)
{
	if (q->kind == SURVEY_ORDINAL)
		return q->n_labels;
	if (q->kind == SURVEY_YEAR)
		return (size_t)(q->year_max - q->year_min) + 1;
	return 0;
}

static const char *const group_titles[AGG_N_GROUPS] = {
	"All", "Experts", "Academia", "Industry", "Government", "Other",
};

static const char css[] =
	"@page{size:A4;margin:12mm 12mm 14mm}"
	"*{box-sizing:border-box}"
	"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"body{font-family:'DejaVu Sans','Noto Sans','Liberation Sans',Arial,'Noto Sans CJK JP',"
	"sans-serif;font-size:9pt;line-height:1.35;color:#1a1a1a;margin:0;background:#fff}"
	"@media screen{body{max-width:200mm;margin:0 auto;padding:8mm}"
	".page{border-top:1px solid #bbb;margin-top:10mm;padding-top:6mm}}"
	"h1{font-size:19pt;margin:0 0 2mm;line-height:1.2}"
	"h2{font-size:13pt;margin:0 0 2mm;line-height:1.25}"
	"h3{font-size:10pt;margin:3mm 0 1mm}"
	"p{margin:0 0 2mm}"
	"h1,h2,p,dd,td.l{overflow-wrap:anywhere}" /* a long unbroken run in a text stays on the page */
	".page{break-before:page;page-break-before:always}"
	".sub{color:#4d4d4d}"
	".code{font-weight:bold;color:#2b5a8a;margin-right:2mm}"
	".statement{font-size:9.5pt;margin-bottom:2mm}"
	".meta{color:#4d4d4d;font-size:8pt}"
	"table{border-collapse:collapse;width:100%;margin:0 0 3mm}"
	"th,td{padding:0.35mm 1mm;border-bottom:0.4pt solid #d0d0d0;text-align:right;"
	"vertical-align:top}"
	"th[colspan]{text-align:center}"
	"th{font-weight:bold;border-bottom:0.8pt solid #737373;background:#f3f3f3}"
	"th.l,td.l{text-align:left}"
	"tr{break-inside:avoid;page-break-inside:avoid}"
	"tbody tr.first td{border-top:0.8pt solid #737373}"
	"table.counts{font-size:8pt}"
	"table.stats{font-size:6.5pt;line-height:1.2;font-variant-numeric:tabular-nums}"
	"table.stats th{font-size:6.3pt}"
	"table.stats td{padding:0.15mm 1mm}"
	"table.options{font-size:7pt;line-height:1.2}"
	"table.options td{padding:0.15mm 1mm}"
	".yes{color:#05622b;font-weight:bold}"
	".no{color:#4d4d4d}"
	".charts{display:flex;flex-wrap:wrap;justify-content:space-between}"
	".chart{width:49.3%;margin:0 0 1.5mm;break-inside:avoid;page-break-inside:avoid}"
	".chart svg,.wide svg{width:100%;height:auto;display:block}"
	".wide.rank svg{width:75%}"
	".wide{margin:0 0 3mm;break-inside:avoid;page-break-inside:avoid}"
	".note{font-size:8pt;color:#333;border-left:2pt solid #4a7fb5;padding:1mm 0 1mm 3mm;"
	"margin:2mm 0 3mm}"
	".note dt{font-weight:bold}.note dd{margin:0 0 1mm 0}";

/* ---- look-ups ---- */

static const struct report_stat *row_of(const struct report_stats *st, size_t topic,
					size_t question, int option, enum agg_group g)
{
	return st ? report_find(st, topic, question, option, g) : NULL;
}

/* The question to rank by: "importance" if it is ordinal, else the first ordinal question that is
 * not the expertise question. */
static int pick_importance(const struct survey *s)
{
	int q = survey_question_index(s, "importance");
	if (q >= 0 && s->questions[q].kind == SURVEY_ORDINAL)
		return q;
	for (size_t i = 0; i < s->n_questions; i++)
		if (s->questions[i].kind == SURVEY_ORDINAL && (int)i != s->expertise_question)
			return (int)i;
	return -1;
}

/* The timeline's year questions: "tech_year" and "social_year" if they are year questions, else
 * the first year question and the one that may not precede it (or the next year question). */
static void pick_years(const struct survey *s, int *tech, int *social)
{
	int t = survey_question_index(s, "tech_year"), so = survey_question_index(s, "social_year");
	if (t < 0 || s->questions[t].kind != SURVEY_YEAR) {
		t = -1;
		for (size_t i = 0; i < s->n_questions && t < 0; i++)
			if (s->questions[i].kind == SURVEY_YEAR)
				t = (int)i;
	}
	if (so < 0 || s->questions[so].kind != SURVEY_YEAR || so == t) {
		so = -1;
		for (size_t i = 0; i < s->n_questions && so < 0; i++)
			if (s->questions[i].kind == SURVEY_YEAR && s->questions[i].not_before == t &&
			    (int)i != t)
				so = (int)i;
		for (size_t i = 0; i < s->n_questions && so < 0; i++)
			if (s->questions[i].kind == SURVEY_YEAR && (int)i != t)
				so = (int)i;
	}
	*tech = t;
	*social = so;
}

/* ---- the summary ---- */

static void counts_cells(struct hw *w, const struct report_counts *c)
{
	buf_printf(w->out, "<td>%lld</td><td>%lld</td><td>%lld</td>", (long long)c->invited,
		   (long long)c->respondents, (long long)c->answers);
}

static void responses(struct hw *w)
{
	const struct report_input *in = w->in;
	const struct survey *s = w->s;
	struct buf *out = w->out;
	buf_adds(out, "<h3>Responses</h3><table class=\"counts\"><thead><tr><th class=\"l\" "
		      "rowspan=\"2\">Field</th>");
	for (size_t r = 0; r < in->n_rounds; r++)
		buf_printf(out, "<th colspan=\"3\">Round %d%s</th>", in->rounds[r].number,
			   in->rounds[r].closed ? "" : " (open)");
	buf_adds(out, "</tr><tr>");
	for (size_t r = 0; r < in->n_rounds; r++)
		buf_adds(out, "<th>invited</th><th>respondents</th><th>answers</th>");
	buf_adds(out, "</tr></thead><tbody>");
	for (size_t f = 0; f < s->n_fields; f++) {
		buf_adds(out, "<tr><td class=\"l\">");
		esc(w, text(w, &s->fields[f].title));
		buf_adds(out, "</td>");
		for (size_t r = 0; r < in->n_rounds; r++) {
			static const struct report_counts none;
			counts_cells(w, in->rounds[r].per_field ? &in->rounds[r].per_field[f] : &none);
		}
		buf_adds(out, "</tr>");
	}
	buf_adds(out, "<tr class=\"first\"><td class=\"l\"><b>All fields</b></td>");
	for (size_t r = 0; r < in->n_rounds; r++)
		counts_cells(w, &in->rounds[r].total);
	buf_adds(out, "</tr></tbody></table>");
	buf_adds(out, "<p class=\"meta\">Invited: experts invited to the round (in the field). "
		      "Respondents: experts with at least one answer (to a topic of the field). "
		      "Answers: one per expert, topic and question.</p>");
}

static void consensus_summary(struct hw *w)
{
	const struct survey *s = w->s;
	const struct report_stats *cur = w->in->cur;
	struct buf *out = w->out;
	size_t reached = 0;
	for (size_t t = 0; t < s->n_topics; t++)
		reached += report_topic_consensus(s, cur, t) != 0;
	buf_printf(out, "<h3>Consensus</h3><p><b>%zu of %zu topics</b> reached consensus on every "
			"question counted (", reached, s->n_topics);
	for (size_t q = 0, n = 0; q < s->n_questions; q++)
		if (report_consensus_question(s, q)) {
			buf_adds(out, n++ ? ", " : "");
			esc(w, s->questions[q].key);
		}
	buf_adds(out, ") among all respondents.</p><table class=\"counts\"><thead><tr><th "
		      "class=\"l\">Field</th><th>topics</th>");
	for (size_t q = 0; q < s->n_questions; q++)
		if (report_consensus_question(s, q)) {
			buf_adds(out, "<th>");
			esc(w, s->questions[q].key);
			buf_adds(out, "</th>");
		}
	buf_adds(out, "<th>every question</th></tr></thead><tbody>");
	for (size_t f = 0; f <= s->n_fields; f++) {
		size_t topics = 0, all = 0;
		buf_printf(out, "<tr%s><td class=\"l\">", f == s->n_fields ? " class=\"first\"" : "");
		if (f < s->n_fields)
			esc(w, text(w, &s->fields[f].title));
		else
			buf_adds(out, "<b>All fields</b>");
		for (size_t t = 0; t < s->n_topics; t++)
			if (f == s->n_fields || s->topics[t].field == f) {
				topics++;
				all += report_topic_consensus(s, cur, t) != 0;
			}
		buf_printf(out, "</td><td>%zu</td>", topics);
		for (size_t q = 0; q < s->n_questions; q++) {
			size_t n = 0;
			if (!report_consensus_question(s, q))
				continue;
			for (size_t t = 0; t < s->n_topics; t++) {
				const struct report_stat *r = row_of(cur, t, q, -1, AGG_ALL);
				if ((f == s->n_fields || s->topics[t].field == f) && r &&
				    r->consensus == 1)
					n++;
			}
			buf_printf(out, "<td>%zu</td>", n);
		}
		buf_printf(out, "<td>%zu</td></tr>", all);
	}
	buf_adds(out, "</tbody></table>");
}

static void how_to_read(struct hw *w)
{
	const struct survey *s = w->s;
	struct buf *out = w->out;
	char rule[160];
	buf_adds(out, "<h3>How to read this report</h3><dl class=\"note\">");
	buf_printf(out, "<dt>Statistics</dt><dd>n counts the valid answers (don't know and the "
			"special answers excluded; those are shown as shares of all answers). Q1, "
			"median and Q3 are quantiles of type %d (Hyndman and Fan; R's default is 7); "
			"IQR = Q3 − Q1. The index maps the scale onto 0–100 with the definition's "
			"weights; agreement is the share of valid answers in the question's agreement "
			"band.</dd>", s->quantile_type);
	buf_adds(out, "<dt>Consensus rules</dt><dd>");
	for (size_t q = 0, n = 0; q < s->n_questions; q++) {
		const struct survey_question *qq = &s->questions[q];
		if (qq->kind != SURVEY_ORDINAL && qq->kind != SURVEY_YEAR)
			continue;
		report_consensus_rule(qq, rule, sizeof rule);
		buf_adds(out, n++ ? "; " : "");
		esc(w, qq->key);
		buf_adds(out, ": ");
		esc(w, rule);
	}
	buf_adds(out, ".</dd><dt>Groups</dt><dd>All respondents");
	if (s->expertise_question >= 0) {
		buf_adds(out, "; experts: those who answered ");
		esc(w, s->questions[s->expertise_question].key);
		buf_printf(out, " = %d for the topic", s->expertise_high);
	}
	buf_adds(out, "; and each sector (academia, industry, government, other) with respondents "
		      "in the round.</dd>");
	if (w->in->round > 1)
		buf_printf(out, "<dt>Stability (round %d against round %d)</dt><dd>Computed on the "
				"paired respondents: those who gave a valid answer in both rounds. "
				"Changed: the share who changed their answer; mean |Δ|: the mean "
				"absolute change; z and p: Wilcoxon's signed-rank test with continuity "
				"correction (two-sided), empty when nobody changed.</dd>",
			   w->in->round, w->in->round - 1);
	buf_adds(out, "<dt>Charts</dt><dd>Bars: this round; thin outlines: the previous round; "
		      "the band marks Q1–Q3 and the line the median. Grey bars: don't know and the "
		      "special answers.</dd></dl>");
}

/* ---- per field: ranking and timeline ---- */

/* A topic of a field: its index, its label in the field's label buffer, a value to sort by. */
struct ranked {
	size_t topic;
	size_t label; /* offset into the labels buffer */
	double value;
};

/* NAN last, then by value (descending when desc), then in topic order. */
static int cmp_ranked(const struct ranked *x, const struct ranked *y, bool desc)
{
	bool nx = !isfinite(x->value), ny = !isfinite(y->value);
	if (nx != ny)
		return nx ? 1 : -1;
	if (!nx && x->value != y->value)
		return (x->value > y->value) == desc ? -1 : 1;
	return (x->topic > y->topic) - (x->topic < y->topic);
}

static int by_value_desc(const void *a, const void *b)
{
	return cmp_ranked(a, b, true);
}

static int by_value_asc(const void *a, const void *b)
{
	return cmp_ranked(a, b, false);
}

static int ranking(struct hw *w, size_t f, struct ranked *rk, size_t n, const char *labels)
{
	const struct survey *s = w->s;
	const struct survey_question *q = &s->questions[w->importance];
	struct svg_rank_item *items = calloc(n + 1, sizeof *items);
	struct buf title = BUF_INIT;
	int rc = -1;
	if (!items) {
		snprintf(w->err, REPORT_ERR_MAX, "out of memory");
		return -1;
	}
	buf_init(&title);
	for (size_t i = 0; i < n; i++) {
		const struct report_stat *r =
			row_of(w->in->cur, rk[i].topic, (size_t)w->importance, -1, AGG_ALL);
		rk[i].value = r ? r->index : NAN;
	}
	qsort(rk, n, sizeof *rk, by_value_desc);
	for (size_t i = 0; i < n; i++)
		items[i] = (struct svg_rank_item){ labels + rk[i].label, rk[i].value };
	buf_adds(w->out, "<h3>Ranking by the ");
	esc(w, q->key);
	buf_adds(w->out, " index (all respondents, 0–100)</h3>");
	for (size_t i = 0; i == 0 || i < n; i += RANKING_PART) {
		size_t k = n - i < RANKING_PART ? n - i : RANKING_PART;
		buf_reset(&title);
		buf_printf(&title, "%s: %s index, round %d", text(w, &s->fields[f].title), q->key,
			   w->in->round);
		if (n > RANKING_PART)
			buf_printf(&title, " (%zu–%zu of %zu)", i + 1, i + k, n);
		struct svg_ranking chart = { .title = title.data, .items = items + i, .n = k,
					     .max = 100 };
		buf_adds(w->out, "<div class=\"wide rank\">");
		if (svg_ranking(w->out, &chart)) {
			snprintf(w->err, REPORT_ERR_MAX, "cannot draw the ranking of field %s",
				 s->fields[f].code);
			goto out;
		}
		buf_adds(w->out, "</div>");
	}
	rc = 0;
out:
	buf_release(&title);
	free(items);
	return rc;
}

static int timeline(struct hw *w, size_t f, struct ranked *rk, size_t n, const char *labels)
{
	const struct survey *s = w->s;
	const struct survey_question *tq = &s->questions[w->tech];
	struct svg_timeline_row *rows = calloc(n + 1, sizeof *rows);
	if (!rows) {
		snprintf(w->err, REPORT_ERR_MAX, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct report_stat *r = row_of(w->in->cur, rk[i].topic, (size_t)w->tech, -1,
						     AGG_ALL);
		rk[i].value = r ? r->median : NAN;
	}
	qsort(rk, n, sizeof *rk, by_value_asc);
	for (size_t i = 0; i < n; i++) {
		size_t t = rk[i].topic;
		const struct report_stat *a = row_of(w->in->cur, t, (size_t)w->tech, -1, AGG_ALL);
		const struct report_stat *b =
			w->social >= 0 ? row_of(w->in->cur, t, (size_t)w->social, -1, AGG_ALL) : NULL;
		rows[i] = (struct svg_timeline_row){
			.label = labels + rk[i].label,
			.tech_q1 = a ? a->q1 : NAN,
			.tech_median = a ? a->median : NAN,
			.tech_q3 = a ? a->q3 : NAN,
			.social_q1 = b ? b->q1 : NAN,
			.social_median = b ? b->median : NAN,
			.social_q3 = b ? b->q3 : NAN,
		};
	}
	buf_adds(w->out, "<h3>Realization timeline: Q1–Q3 and median of ");
	esc(w, tq->key);
	if (w->social >= 0) {
		buf_adds(w->out, " and ");
		esc(w, s->questions[w->social].key);
	}
	buf_adds(w->out, " (all respondents), earliest first</h3>");
	int from = tq->year_min < s->year ? tq->year_min : s->year;
	int to = tq->year_max > s->horizon ? tq->year_max : s->horizon;
	struct buf title = BUF_INIT;
	int rc = 0;
	buf_init(&title);
	for (size_t i = 0; (i == 0 || i < n) && !rc; i += TIMELINE_PART) {
		size_t k = n - i < TIMELINE_PART ? n - i : TIMELINE_PART;
		buf_reset(&title);
		buf_adds(&title, text(w, &s->fields[f].title));
		if (n > TIMELINE_PART)
			buf_printf(&title, " (%zu–%zu of %zu)", i + 1, i + k, n);
		struct svg_timeline tl = {
			.title = title.data,
			.year_from = from,
			.year_to = to > from ? to : from + 1,
			.rows = rows + i,
			.n_rows = k,
		};
		buf_adds(w->out, "<div class=\"wide\">");
		if ((rc = svg_timeline(w->out, &tl)))
			snprintf(w->err, REPORT_ERR_MAX, "cannot draw the timeline of field %s",
				 s->fields[f].code);
		else
			buf_adds(w->out, "</div>");
	}
	buf_release(&title);
	free(rows);
	return rc ? -1 : 0;
}

/* A field's page: the ranking and the timeline of its topics. rk has room for every topic;
 * labels is scratch. */
static int field_page(struct hw *w, size_t f, struct ranked *rk, struct buf *labels)
{
	const struct survey *s = w->s;
	struct buf *out = w->out;
	size_t n = 0;
	buf_reset(labels);
	for (size_t t = 0; t < s->n_topics; t++) {
		if (s->topics[t].field != f)
			continue;
		rk[n].topic = t;
		rk[n].label = labels->len;
		buf_adds(labels, s->topics[t].code);
		buf_addch(labels, ' ');
		buf_adds(labels, text(w, &s->topics[t].title));
		buf_addch(labels, '\0');
		n++;
	}
	buf_adds(out, "<section class=\"page field\"><h2>");
	esc(w, text(w, &s->fields[f].title));
	buf_adds(out, " <span class=\"sub\">(");
	esc(w, s->fields[f].code);
	buf_printf(out, ", %zu topic%s)</span></h2>", n, n == 1 ? "" : "s");
	if (w->importance >= 0 && ranking(w, f, rk, n, labels->data))
		return -1;
	if (w->tech >= 0 && timeline(w, f, rk, n, labels->data))
		return -1;
	buf_adds(out, "</section>\n");
	return 0;
}

/* ---- per topic ---- */

static int read_dist(struct hw *w, const struct survey_question *q, const struct report_stat *r,
		     uint32_t *counts, uint32_t sp[3])
{
	if (report_dist_parse(q, r ? r->distribution : NULL, counts, span(q), sp)) {
		snprintf(w->err, REPORT_ERR_MAX, "topic %s, question %s: the stored distribution "
			 "is not valid", w->s->topics[r->topic].code, q->key);
		return -1;
	}
	return 0;
}

static int dist_chart(struct hw *w, size_t t, size_t qi)
{
	const struct survey_question *q = &w->s->questions[qi];
	const struct report_stat *r = row_of(w->in->cur, t, qi, -1, AGG_ALL);
	const struct report_stat *p = row_of(w->in->prev, t, qi, -1, AGG_ALL);
	uint32_t sp[3], psp[3];
	unsigned ucounts[SURVEY_MAX_LABELS], upcounts[SURVEY_MAX_LABELS];
	const char *labels[SURVEY_MAX_LABELS];
	double values[SURVEY_MAX_LABELS];
	size_t n = span(q), ny = 0, npy = 0;
	if (read_dist(w, q, r, w->counts, sp) || read_dist(w, q, p, w->pcounts, psp))
		return -1;
	struct svg_dist d = {
		.kind = q->kind == SURVEY_ORDINAL ? SVG_DIST_ORDINAL : SVG_DIST_YEAR,
		.title = text(w, &q->text),
		.q1 = r ? r->q1 : NAN,
		.median = r ? r->median : NAN,
		.q3 = r ? r->q3 : NAN,
		.has_prev = p != NULL,
	};
	if (q->kind == SURVEY_ORDINAL) {
		for (size_t i = 0; i < n; i++) {
			labels[i] = text(w, &q->labels[i].text);
			values[i] = q->labels[i].value;
			ucounts[i] = w->counts[i];
			upcounts[i] = w->pcounts[i];
		}
		d.n = n;
		d.labels = labels;
		d.values = values;
		d.counts = ucounts;
		d.prev_counts = upcounts;
	} else {
		for (size_t i = 0; i < n; i++) {
			if (w->counts[i])
				w->years[ny++] = (struct svg_year_count){ q->year_min + (int)i,
									  w->counts[i] };
			if (w->pcounts[i])
				w->pyears[npy++] = (struct svg_year_count){ q->year_min + (int)i,
									    w->pcounts[i] };
		}
		d.year_min = q->year_min;
		d.year_max = q->year_max;
		d.bin_width = (unsigned)((n + YEAR_BINS_MAX - 1) / YEAR_BINS_MAX);
		d.years = w->years;
		d.n_years = ny;
		d.prev_years = w->pyears;
		d.n_prev_years = npy;
	}
	static const unsigned bits[SVG_N_SPECIALS] = { SURVEY_SPECIAL_ALREADY, SURVEY_SPECIAL_NEVER,
						       SURVEY_SPECIAL_DONT_KNOW };
	static const char *const names[SVG_N_SPECIALS] = { "already", "never", "don't know" };
	static const int idx[SVG_N_SPECIALS] = { 1, 2, 0 }; /* into sp[]: dont_know, already, never */
	for (int k = 0; k < SVG_N_SPECIALS; k++)
		if (q->specials & bits[k])
			d.specials[k] = (struct svg_special_bar){ names[k], sp[idx[k]], psp[idx[k]] };
	buf_adds(w->out, "<div class=\"chart\">");
	if (svg_dist(w->out, &d)) {
		snprintf(w->err, REPORT_ERR_MAX, "cannot draw question %s of topic %s", q->key,
			 w->s->topics[t].code);
		return -1;
	}
	buf_adds(w->out, "</div>");
	return 0;
}

static void options_table(struct hw *w, size_t t, size_t qi)
{
	const struct survey_question *q = &w->s->questions[qi];
	struct buf *out = w->out;
	const struct report_stat *r0 = row_of(w->in->cur, t, qi, 0, AGG_ALL);
	buf_adds(out, "<h3>");
	esc(w, text(w, &q->text));
	buf_printf(out, " <span class=\"meta\">(share of the %lld respondents)</span></h3><table "
			"class=\"options\"><thead><tr><th class=\"l\">Option</th>",
		   r0 ? (long long)r0->n : 0LL);
	for (int g = 0; g < AGG_N_GROUPS; g++)
		if (w->groups & AGG_GROUP_BIT(g))
			buf_printf(out, "<th>%s</th>", group_titles[g]);
	if (w->in->prev)
		buf_printf(out, "<th>All, round %d</th><th>changed</th>", w->in->round - 1);
	buf_adds(out, "</tr></thead><tbody>");
	for (size_t o = 0; o < q->n_options; o++) {
		buf_adds(out, "<tr><td class=\"l\">");
		esc(w, text(w, &q->options[o].text));
		buf_adds(out, "</td>");
		for (int g = 0; g < AGG_N_GROUPS; g++) {
			if (!(w->groups & AGG_GROUP_BIT(g)))
				continue;
			const struct report_stat *r = row_of(w->in->cur, t, qi, (int)o, g);
			buf_adds(out, "<td>");
			pct(w, r ? r->share : NAN);
			buf_adds(out, "</td>");
		}
		if (w->in->prev) {
			const struct report_stat *p = row_of(w->in->prev, t, qi, (int)o, AGG_ALL);
			const struct report_stat *r = row_of(w->in->cur, t, qi, (int)o, AGG_ALL);
			buf_adds(out, "<td>");
			pct(w, p ? p->share : NAN);
			buf_adds(out, "</td><td>");
			pct(w, r ? r->changed : NAN);
			buf_adds(out, "</td>");
		}
		buf_adds(out, "</tr>");
	}
	buf_adds(out, "</tbody></table>");
}

static void stats_table(struct hw *w, size_t t)
{
	const struct survey *s = w->s;
	struct buf *out = w->out;
	bool stab = w->in->round > 1;
	buf_adds(out, "<table class=\"stats\"><thead><tr><th class=\"l\">Question</th><th "
		      "class=\"l\">Group</th><th>n</th><th>don't know</th><th>already</th><th>"
		      "never</th><th>mean</th><th>sd</th><th>Q1</th><th>median</th><th>Q3</th>"
		      "<th>IQR</th><th>index</th><th>agree&shy;ment</th><th>consen&shy;sus</th>");
	if (stab)
		buf_adds(out, "<th>paired</th><th>changed</th><th>mean |Δ|</th><th>z</th>"
			      "<th>p</th>");
	buf_adds(out, "</tr></thead><tbody>");
	for (size_t qi = 0; qi < s->n_questions; qi++) {
		const struct survey_question *q = &s->questions[qi];
		bool first = true;
		/* the expertise question describes the respondents, not the topic: its chart is
		 * shown, its statistics are in the CSV and JSON reports */
		if ((q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR) ||
		    (int)qi == s->expertise_question)
			continue;
		int dec = 2;
		for (int g = 0; g < AGG_N_GROUPS; g++) {
			const struct report_stat *r = row_of(w->in->cur, t, qi, -1, g);
			if (!r)
				continue;
			buf_printf(out, "<tr%s><td class=\"l\">", first ? " class=\"first\"" : "");
			if (first)
				esc(w, q->key);
			first = false;
			buf_printf(out, "</td><td class=\"l\">%s</td><td>%lld</td><td>",
				   group_titles[g], (long long)r->n);
			pct(w, r->dont_know);
			buf_adds(out, "</td><td>");
			pct(w, r->already);
			buf_adds(out, "</td><td>");
			pct(w, r->never);
			buf_adds(out, "</td><td>");
			num(w, r->mean, dec);
			buf_adds(out, "</td><td>");
			num(w, r->sd, dec);
			buf_adds(out, "</td><td>");
			num(w, r->q1, dec);
			buf_adds(out, "</td><td>");
			num(w, r->median, dec);
			buf_adds(out, "</td><td>");
			num(w, r->q3, dec);
			buf_adds(out, "</td><td>");
			num(w, r->iqr, dec);
			buf_adds(out, "</td><td>");
			num(w, r->index, 1);
			buf_adds(out, "</td><td>");
			pct(w, r->agreement);
			buf_adds(out, "</td><td>");
			buf_adds(out, r->consensus < 0   ? "\xe2\x80\x93"
				      : r->consensus ? "<span class=\"yes\">yes</span>"
						     : "<span class=\"no\">no</span>");
			buf_adds(out, "</td>");
			if (stab) {
				buf_adds(out, "<td>");
				if (r->n_paired >= 0)
					buf_printf(out, "%lld", (long long)r->n_paired);
				else
					buf_adds(out, "\xe2\x80\x93");
				buf_adds(out, "</td><td>");
				pct(w, r->changed);
				buf_adds(out, "</td><td>");
				num(w, r->mean_abs_change, 2);
				buf_adds(out, "</td><td>");
				num(w, r->wilcoxon_z, 2);
				buf_adds(out, "</td><td>");
				num(w, r->wilcoxon_p, 3);
				buf_adds(out, "</td>");
			}
			buf_adds(out, "</tr>");
		}
	}
	buf_adds(out, "</tbody></table>");
}

static int topic_page(struct hw *w, size_t t)
{
	const struct survey *s = w->s;
	const struct survey_topic *tp = &s->topics[t];
	struct buf *out = w->out;
	const char *statement = text(w, &tp->text);
	buf_adds(out, "<section class=\"page topic\"><h2><span class=\"code\">");
	esc(w, tp->code);
	buf_adds(out, "</span>");
	esc(w, text(w, &tp->title));
	buf_adds(out, "</h2>");
	if (*statement) {
		buf_adds(out, "<p class=\"statement\">");
		esc(w, statement);
		buf_adds(out, "</p>");
	}
	int consensus = report_topic_consensus(s, w->in->cur, t);
	buf_adds(out, "<p class=\"meta\">");
	esc(w, text(w, &s->fields[tp->field].title));
	buf_printf(out, " · round %d%s · consensus on every question: %s</p>", w->in->round,
		   w->in->prev ? " (outlines: the previous round)" : "",
		   consensus ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>");
	buf_adds(out, "<div class=\"charts\">");
	for (size_t qi = 0; qi < s->n_questions; qi++) {
		enum survey_kind k = s->questions[qi].kind;
		if ((k == SURVEY_ORDINAL || k == SURVEY_YEAR) && dist_chart(w, t, qi))
			return -1;
	}
	buf_adds(out, "</div>");
	for (size_t qi = 0; qi < s->n_questions; qi++)
		if (s->questions[qi].kind == SURVEY_MULTI)
			options_table(w, t, qi);
	buf_adds(out, "<h3>Statistics</h3>");
	stats_table(w, t);
	buf_adds(out, "</section>\n");
	return 0;
}

int report_html(const struct report_input *in, struct buf *out, char err[REPORT_ERR_MAX])
{
	const struct survey *s = in->s;
	struct hw w = { .in = in, .s = s, .out = out, .err = err };
	struct ranked *rk = NULL;
	struct buf labels = BUF_INIT;
	int rc = -1;
	err[0] = '\0';
	buf_init(&labels);
	for (size_t q = 0; q < s->n_questions; q++)
		if (span(&s->questions[q]) > w.n_counts)
			w.n_counts = span(&s->questions[q]);
	w.counts = calloc(w.n_counts + 1, sizeof *w.counts);
	w.pcounts = calloc(w.n_counts + 1, sizeof *w.pcounts);
	w.years = calloc(w.n_counts + 1, sizeof *w.years);
	w.pyears = calloc(w.n_counts + 1, sizeof *w.pyears);
	rk = calloc(s->n_topics + 1, sizeof *rk);
	if (!w.counts || !w.pcounts || !w.years || !w.pyears || !rk) {
		snprintf(err, REPORT_ERR_MAX, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < in->cur->n; i++)
		w.groups |= AGG_GROUP_BIT(in->cur->v[i].group);
	w.importance = pick_importance(s);
	pick_years(s, &w.tech, &w.social);
	int lang = in->lang ? survey_language_index(s, in->lang) : 0;
	const struct report_round *last = in->n_rounds ? &in->rounds[in->n_rounds - 1] : NULL;

	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"");
	esc(&w, s->languages[lang >= 0 ? lang : 0]);
	buf_adds(out, "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
		      "content=\"width=device-width,initial-scale=1\"><title>");
	esc(&w, text(&w, &s->title));
	buf_printf(out, " — round %d report</title><style>%s</style></head>\n<body>\n", in->round,
		   css);
	buf_adds(out, "<header><h1>");
	esc(&w, text(&w, &s->title));
	buf_printf(out, "</h1><p class=\"sub\">Report of round %d of %d", in->round, s->n_rounds);
	if (last && last->number == in->round) {
		buf_adds(out, last->closed ? ", closed " : ", still open (provisional), opened ");
		esc(&w, last->closed ? last->closed_at : last->opened_at);
	}
	buf_adds(out, " · survey ");
	esc(&w, s->slug);
	buf_printf(out, " · %d, horizon %d</p>", s->year, s->horizon);
	const char *desc = text(&w, &s->description);
	if (*desc) {
		buf_adds(out, "<p>");
		esc(&w, desc);
		buf_adds(out, "</p>");
	}
	buf_adds(out, "</header>\n<section class=\"summary\"><h2>Summary</h2>");
	responses(&w);
	consensus_summary(&w);
	how_to_read(&w);
	buf_adds(out, "</section>\n");
	for (size_t f = 0; f < s->n_fields; f++)
		if (field_page(&w, f, rk, &labels))
			goto out;
	for (size_t f = 0; f < s->n_fields; f++)
		for (size_t t = 0; t < s->n_topics; t++)
			if (s->topics[t].field == f && topic_page(&w, t))
				goto out;
	buf_adds(out, "</body>\n</html>\n");
	rc = 0;
out:
	free(w.counts);
	free(w.pcounts);
	free(w.years);
	free(w.pyears);
	free(rk);
	buf_release(&labels);
	return rc;
}
