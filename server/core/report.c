/*
 * report — what the three report writers (report_csv.c, report_json.c, report_html.c) share:
 * the statistics rows (storage, report order, look-up), the overall consensus of a topic, the
 * consensus rule as text, stored distributions parsed back, JSON strings and numbers.
 * Contracts in report.h.
 */
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int report_stats_add(struct report_stats *st, const struct report_stat *row)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 256;
		struct report_stat *v = realloc(st->v, cap * sizeof *v);
		if (!v) {
			free(row->distribution);
			return -1;
		}
		st->v = v;
		st->cap = cap;
	}
	st->v[st->n++] = *row;
	return 0;
}

/* Report order: topic, question, option (-1 first), group. */
static int cmp_key(size_t t1, size_t q1, int o1, int g1, size_t t2, size_t q2, int o2, int g2)
{
	if (t1 != t2)
		return t1 < t2 ? -1 : 1;
	if (q1 != q2)
		return q1 < q2 ? -1 : 1;
	if (o1 != o2)
		return o1 < o2 ? -1 : 1;
	return (g1 > g2) - (g1 < g2);
}

static int by_key(const void *a, const void *b)
{
	const struct report_stat *x = a, *y = b;
	return cmp_key(x->topic, x->question, x->option, (int)x->group, y->topic, y->question,
		       y->option, (int)y->group);
}

void report_stats_sort(struct report_stats *st)
{
	if (st->n > 1)
		qsort(st->v, st->n, sizeof *st->v, by_key);
}

void report_stats_release(struct report_stats *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->v[i].distribution);
	free(st->v);
	st->v = NULL;
	st->n = st->cap = 0;
}

const struct report_stat *report_find(const struct report_stats *st, size_t topic,
				      size_t question, int option, enum agg_group group)
{
	size_t lo = 0, hi = st ? st->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct report_stat *r = &st->v[mid];
		int c = cmp_key(topic, question, option, (int)group, r->topic, r->question,
				r->option, (int)r->group);
		if (c == 0)
			return r;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool report_consensus_question(const struct survey *s, size_t q)
{
	const struct survey_question *qq = &s->questions[q];
	return (qq->kind == SURVEY_ORDINAL || qq->kind == SURVEY_YEAR) &&
	       (int)q != s->expertise_question;
}

int report_topic_consensus(const struct survey *s, const struct report_stats *st, size_t topic)
{
	int counted = 0;
	for (size_t q = 0; q < s->n_questions; q++) {
		if (!report_consensus_question(s, q))
			continue;
		const struct report_stat *r = report_find(st, topic, q, -1, AGG_ALL);
		if (!r || r->consensus != 1)
			return 0;
		counted++;
	}
	return counted > 0;
}

void report_consensus_rule(const struct survey_question *q, char *out, size_t size)
{
	const struct survey_consensus *c = &q->consensus;
	if (size == 0)
		return;
	if (q->kind == SURVEY_ORDINAL)
		snprintf(out, size, "iqr <= %g and (agreement >= %g or agreement <= %g)",
			 c->max_iqr, c->agree_high, c->agree_low);
	else if (q->kind == SURVEY_YEAR)
		snprintf(out, size, "iqr <= %g", c->max_iqr);
	else
		out[0] = '\0';
}

/* The bin of key k ("4", "2031") in q's distribution, or -1. */
static long dist_bin(const struct survey_question *q, const char *k)
{
	char *end;
	long v;
	if (!*k || (*k != '-' && (*k < '0' || *k > '9')))
		return -1;
	v = strtol(k, &end, 10);
	if (*end)
		return -1;
	if (q->kind == SURVEY_ORDINAL) {
		for (size_t i = 0; i < q->n_labels; i++)
			if (q->labels[i].value == v)
				return (long)i;
		return -1;
	}
	if (q->kind == SURVEY_YEAR && v >= q->year_min && v <= q->year_max)
		return v - q->year_min;
	return -1;
}

int report_dist_parse(const struct survey_question *q, const char *json, uint32_t *counts,
		      size_t n_counts, uint32_t specials[3])
{
	static const char *const names[3] = { "dont_know", "already", "never" };
	json_t *o = NULL, *v;
	const char *k;
	int rc = -1;
	memset(counts, 0, n_counts * sizeof *counts);
	memset(specials, 0, 3 * sizeof *specials);
	if (!json)
		return 0;
	if (!(o = json_loads(json, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(o))
		goto out;
	json_object_foreach(o, k, v) {
		json_int_t c;
		if (!json_is_integer(v) || (c = json_integer_value(v)) < 0 || c > UINT32_MAX)
			goto out;
		size_t s = 0;
		while (s < 3 && strcmp(k, names[s]))
			s++;
		if (s < 3) {
			specials[s] = (uint32_t)c;
			continue;
		}
		long bin = dist_bin(q, k);
		if (bin < 0 || (size_t)bin >= n_counts)
			goto out;
		counts[bin] = (uint32_t)c;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

void report_json_string(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!s) {
		buf_adds(out, "null");
		return;
	}
	buf_addch(out, '"');
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0) {
			buf_adds(out, "\\ufffd");
			p++;
		} else if (*p == '"' || *p == '\\') {
			buf_addch(out, '\\');
			buf_addch(out, (char)*p++);
		} else if (*p < 0x20) {
			static const char esc[] = "btn\0fr";
			if (*p >= '\b' && *p <= '\r' && *p != 0x0b)
				buf_printf(out, "\\%c", esc[*p - '\b']);
			else
				buf_printf(out, "\\u%04x", *p);
			p++;
		} else if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			/* U+2028 and U+2029 are valid JSON but not valid JavaScript string text */
			buf_printf(out, "\\u202%c", p[2] == 0xa8 ? '8' : '9');
			p += 3;
		} else {
			buf_add(out, p, n);
			p += n;
		}
	}
	buf_addch(out, '"');
}

void report_json_double(struct buf *out, double v)
{
	if (isfinite(v))
		buf_add_double(out, v);
	else
		buf_adds(out, "null");
}
