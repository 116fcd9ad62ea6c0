/*
 * test_report — unit tests of the report writers (report.c, report_csv.c, report_json.c,
 * report_html.c) on a small survey and hand-made statistics rows: the CSV text exactly, the JSON
 * shape read back with jansson, the HTML's escaping of hostile texts, and the shared helpers
 * (JSON strings, stored distributions, look-ups, a topic's overall consensus).
 *
 * The rows are written by hand here, not computed: the aggregation's numbers are tested in
 * test_aggregate.c and end to end in tests/integration/aggregate.sh.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

/* Two topics in one field; the first title is hostile. */
static const char survey_json[] =
	"{\"slug\":\"t\",\"title\":{\"en\":\"T & <b>co</b>\"},\"year\":2025,\"horizon\":2035,"
	"\"languages\":[\"en\"],\"fields\":[{\"code\":\"F\",\"title\":{\"en\":\"Field\"}}],"
	"\"topics\":[{\"code\":\"F-1\",\"field\":\"F\",\"title\":{\"en\":"
	"\"<script>alert(1)</script>\"},\"text\":{\"en\":\"\\\"><img src=x onerror=alert(1)>\"}},"
	"{\"code\":\"F-2\",\"field\":\"F\",\"title\":{\"en\":\"Second\"}}],"
	"\"questions\":["
	"{\"key\":\"expertise\",\"kind\":\"ordinal\",\"text\":{\"en\":\"E\"},\"labels\":["
	"{\"value\":3,\"text\":{\"en\":\"H\"}},{\"value\":2,\"text\":{\"en\":\"M\"}},"
	"{\"value\":1,\"text\":{\"en\":\"L\"}}]},"
	"{\"key\":\"importance\",\"kind\":\"ordinal\",\"text\":{\"en\":\"I\"},\"dont_know\":true,"
	"\"labels\":[{\"value\":2,\"text\":{\"en\":\"high\"}},{\"value\":1,\"text\":{\"en\":\"low\"}}]},"
	"{\"key\":\"tech_year\",\"kind\":\"year\",\"text\":{\"en\":\"Y\"},"
	"\"special\":[\"already\",\"never\",\"dont_know\"]},"
	"{\"key\":\"measures\",\"kind\":\"multi\",\"text\":{\"en\":\"M\"},\"options\":["
	"{\"code\":\"funding\",\"text\":{\"en\":\"Funding\"}},{\"code\":\"elsi\",\"text\":{\"en\":"
	"\"ELSI\"}}]},"
	"{\"key\":\"comment\",\"kind\":\"text\",\"text\":{\"en\":\"C\"}}]}";

enum { Q_EXPERTISE, Q_IMPORTANCE, Q_YEAR, Q_MEASURES };

struct fixture {
	struct survey *s;
	struct report_stats cur;
	struct report_round rounds[1];
	struct report_input in;
	struct buf out;
};

/* A row with every statistic undefined, to fill in. */
static struct report_stat blank(size_t topic, size_t q, int option, enum agg_group g)
{
	struct report_stat r = {
		.topic = topic, .question = q, .option = option, .group = g, .n = 0,
		.dont_know = NAN, .already = NAN, .never = NAN, .mean = NAN, .sd = NAN, .q1 = NAN,
		.median = NAN, .q3 = NAN, .iqr = NAN, .index = NAN, .agreement = NAN, .share = NAN,
		.consensus = -1, .n_paired = -1, .changed = NAN, .mean_abs_change = NAN,
		.wilcoxon_z = NAN, .wilcoxon_p = NAN, .distribution = NULL,
	};
	return r;
}

static void add(struct report_stats *st, struct report_stat r, const char *dist)
{
	r.distribution = dist ? strdup(dist) : NULL;
	assert_int_equal(report_stats_add(st, &r), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct survey_error err;
	assert_non_null(f);
	assert_int_equal(survey_load_string(survey_json, strlen(survey_json), "t", &f->s, &err), 0);
	buf_init(&f->out);

	/* Added out of order on purpose: report_stats_sort puts them in report order. */
	struct report_stat r;
	/* F-1 importance, all: answers 2, 2, 1 and one don't know (4 answers): n 3, dont_know
	 * 1/4, mean 5/3, median 2, Q1 h=1.5 -> 1.5, Q3 2, iqr .5, index (100+100+0)/3, agreement
	 * (band {2,1}: both labels) 1, consensus yes. */
	r = blank(0, Q_IMPORTANCE, -1, AGG_ALL);
	r.n = 3, r.dont_know = 0.25, r.mean = 5.0 / 3, r.sd = 0.5773502691896257, r.q1 = 1.5;
	r.median = 2, r.q3 = 2, r.iqr = 0.5, r.index = 200.0 / 3, r.agreement = 1, r.consensus = 1;
	add(&f->cur, r, "{\"2\":2,\"1\":1,\"dont_know\":1}");
	r = blank(0, Q_IMPORTANCE, -1, AGG_EXPERT);
	add(&f->cur, r, "{\"2\":0,\"1\":0,\"dont_know\":0}");
	/* F-1 tech_year, all: 2030, 2031 and "never": n 2, never 1/3, iqr .5, consensus yes. */
	r = blank(0, Q_YEAR, -1, AGG_ALL);
	r.n = 2, r.dont_know = 0, r.already = 0, r.never = 1.0 / 3, r.mean = 2030.5, r.q1 = 2030.25;
	r.sd = 0.7071067811865476, r.median = 2030.5, r.q3 = 2030.75, r.iqr = 0.5, r.consensus = 1;
	add(&f->cur, r, "{\"2030\":1,\"2031\":1,\"dont_know\":0,\"already\":0,\"never\":1}");
	/* F-1 measures/elsi and /funding, all: 3 respondents, 1 and 2 chose them. */
	r = blank(0, Q_MEASURES, 1, AGG_ALL);
	r.n = 3, r.share = 1.0 / 3;
	add(&f->cur, r, NULL);
	r = blank(0, Q_MEASURES, 0, AGG_ALL);
	r.n = 3, r.share = 2.0 / 3;
	add(&f->cur, r, NULL);
	/* F-1 expertise, all: 3 answers of 3. */
	r = blank(0, Q_EXPERTISE, -1, AGG_ALL);
	r.n = 3, r.mean = 3, r.sd = 0, r.q1 = 3, r.median = 3, r.q3 = 3, r.iqr = 0, r.index = 100;
	r.agreement = 1, r.consensus = 1;
	add(&f->cur, r, "{\"3\":3,\"2\":0,\"1\":0}");
	/* F-2: nobody answered importance; tech_year without consensus. */
	r = blank(1, Q_IMPORTANCE, -1, AGG_ALL);
	add(&f->cur, r, "{\"2\":0,\"1\":0,\"dont_know\":0}");
	r = blank(1, Q_YEAR, -1, AGG_ALL);
	r.n = 2, r.iqr = 6, r.consensus = 0, r.dont_know = 0, r.already = 0, r.never = 0;
	add(&f->cur, r, "{\"2026\":1,\"2035\":1,\"dont_know\":0,\"already\":0,\"never\":0}");
	report_stats_sort(&f->cur);

	f->rounds[0] = (struct report_round){ .number = 1, .closed = true,
					      .opened_at = "2025-01-01T00:00:00Z",
					      .closed_at = "2025-02-01T00:00:00Z",
					      .total = { 4, 4, 20 } };
	f->in = (struct report_input){ .s = f->s, .round = 1, .rounds = f->rounds, .n_rounds = 1,
				       .cur = &f->cur, .prev = NULL };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	report_stats_release(&f->cur);
	survey_free(f->s);
	buf_release(&f->out);
	free(f);
	return 0;
}

static void test_sort_and_find(void **state)
{
	struct fixture *f = *state;
	/* report order: topic, question, option (-1 first), group */
	assert_int_equal(f->cur.n, 8);
	assert_int_equal(f->cur.v[0].question, Q_EXPERTISE);
	assert_int_equal(f->cur.v[1].question, Q_IMPORTANCE);
	assert_int_equal(f->cur.v[1].group, AGG_ALL);
	assert_int_equal(f->cur.v[2].group, AGG_EXPERT);
	assert_int_equal(f->cur.v[4].option, 0); /* funding before elsi: definition order */
	assert_int_equal(f->cur.v[5].option, 1);
	assert_int_equal(f->cur.v[6].topic, 1);
	const struct report_stat *r = report_find(&f->cur, 0, Q_MEASURES, 1, AGG_ALL);
	assert_non_null(r);
	assert_true(fabs(r->share - 1.0 / 3) < 1e-15);
	assert_null(report_find(&f->cur, 0, Q_MEASURES, 1, AGG_EXPERT));
	assert_null(report_find(&f->cur, 1, Q_EXPERTISE, -1, AGG_ALL));
	assert_null(report_find(NULL, 0, 0, -1, AGG_ALL));
}

static void test_topic_consensus(void **state)
{
	struct fixture *f = *state;
	/* counted: importance and tech_year (not expertise, not measures). F-1: both yes; F-2:
	 * importance undefined and tech_year no. */
	assert_true(report_consensus_question(f->s, Q_IMPORTANCE));
	assert_true(report_consensus_question(f->s, Q_YEAR));
	assert_false(report_consensus_question(f->s, Q_EXPERTISE));
	assert_false(report_consensus_question(f->s, Q_MEASURES));
	assert_int_equal(report_topic_consensus(f->s, &f->cur, 0), 1);
	assert_int_equal(report_topic_consensus(f->s, &f->cur, 1), 0);
	char rule[160];
	report_consensus_rule(&f->s->questions[Q_IMPORTANCE], rule, sizeof rule);
	assert_string_equal(rule, "iqr <= 1 and (agreement >= 0.7 or agreement <= 0.3)");
	report_consensus_rule(&f->s->questions[Q_YEAR], rule, sizeof rule);
	assert_string_equal(rule, "iqr <= 5");
	report_consensus_rule(&f->s->questions[Q_MEASURES], rule, sizeof rule);
	assert_string_equal(rule, "");
}

static void test_csv(void **state)
{
	struct fixture *f = *state;
	char err[REPORT_ERR_MAX];
	assert_int_equal(report_csv(&f->in, &f->out, err), 0);
	/* Written out by hand from the rows above: empty cells for undefined values, fractions as
	 * shortest round-trip numbers (1/4 = 0.25, 1/3 = 0.3333333333333333, 5/3 =
	 * 1.6666666666666667, 200/3 = 66.66666666666667), no stability columns in round 1. */
	const char *want =
		"round,topic,field,question,group,n,dont_know,already,never,mean,sd,q1,median,q3,iqr,"
		"index,agreement,share,consensus,n_paired,changed,mean_abs_change,wilcoxon_z,"
		"wilcoxon_p\n"
		"1,F-1,F,expertise,all,3,,,,3,0,3,3,3,0,100,1,,true,,,,,\n"
		"1,F-1,F,importance,all,3,0.25,,,1.6666666666666667,0.5773502691896257,1.5,2,2,0.5,"
		"66.66666666666667,1,,true,,,,,\n"
		"1,F-1,F,importance,expert,0,,,,,,,,,,,,,,,,,,\n"
		"1,F-1,F,tech_year,all,2,0,0,0.3333333333333333,2030.5,0.7071067811865476,2030.25,"
		"2030.5,2030.75,0.5,,,,true,,,,,\n"
		"1,F-1,F,measures/funding,all,3,,,,,,,,,,,,0.6666666666666666,,,,,,\n"
		"1,F-1,F,measures/elsi,all,3,,,,,,,,,,,,0.3333333333333333,,,,,,\n"
		"1,F-2,F,importance,all,0,,,,,,,,,,,,,,,,,,\n"
		"1,F-2,F,tech_year,all,2,0,0,0,,,,,,6,,,,false,,,,,\n";
	assert_string_equal(f->out.data, want);
}

static void test_csv_stability(void **state)
{
	struct fixture *f = *state;
	struct report_stats st = { 0 };
	char err[REPORT_ERR_MAX];
	struct report_stat r = blank(0, Q_YEAR, -1, AGG_ALL);
	r.n = 2, r.n_paired = 2, r.changed = 0.5, r.mean_abs_change = 1;
	r.wilcoxon_z = -0.816496580927726, r.wilcoxon_p = 1e-05;
	add(&st, r, NULL);
	r = blank(0, Q_YEAR, -1, AGG_EXPERT);
	r.n_paired = 0;
	add(&st, r, NULL);
	f->in.cur = &st;
	f->in.round = 2;
	assert_int_equal(report_csv(&f->in, &f->out, err), 0);
	/* 1e-05 round-trips with 6 digits: printed as %g does */
	assert_non_null(strstr(f->out.data, "\n2,F-1,F,tech_year,all,2,,,,,,,,,,,,,,2,0.5,1,"
					     "-0.816496580927726,1e-05\n"));
	/* n_paired 0 is a count (0), the rest undefined */
	assert_non_null(strstr(f->out.data, "\n2,F-1,F,tech_year,expert,0,,,,,,,,,,,,,,0,,,,\n"));
	report_stats_release(&st);
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	char err[REPORT_ERR_MAX];
	json_error_t jerr;
	assert_int_equal(report_json(&f->in, &f->out, err), 0);
	assert_int_equal(f->out.data[f->out.len - 1], '\n');
	json_t *o = json_loads(f->out.data, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "format")), "delphi-report");
	assert_int_equal(json_integer_value(json_object_get(o, "round")), 1);
	assert_true(json_is_null(json_object_get(o, "previous_round")));
	assert_int_equal(json_integer_value(json_object_get(o, "quantile_type")), 7);
	/* groups with rows: all and expert */
	assert_int_equal(json_array_size(json_object_get(o, "groups")), 2);
	/* four questions (the text question left out), the rule of importance */
	json_t *qs = json_object_get(o, "questions");
	assert_int_equal(json_array_size(qs), 4);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(qs, 1), "consensus"), "rule")),
			    "iqr <= 1 and (agreement >= 0.7 or agreement <= 0.3)");
	/* consensus: 1 of 2 topics; by question importance 1, tech_year 1 */
	json_t *c = json_object_get(o, "consensus");
	assert_int_equal(json_integer_value(json_object_get(c, "topics")), 2);
	assert_int_equal(json_integer_value(json_object_get(c, "reached")), 1);
	/* the topic: hostile title kept as text, numbers, nulls, distribution */
	json_t *t = json_array_get(json_object_get(json_array_get(json_object_get(o, "fields"), 0),
						   "topics"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "title")),
			    "<script>alert(1)</script>");
	assert_true(json_is_true(json_object_get(t, "consensus")));
	json_t *imp = json_object_get(json_object_get(json_object_get(t, "questions"), "importance"),
				      "all");
	assert_true(fabs(json_real_value(json_object_get(imp, "dont_know")) - 0.25) < 1e-15);
	assert_true(json_is_null(json_object_get(imp, "already")));
	assert_true(json_is_null(json_object_get(imp, "n_paired")));
	json_t *dist = json_object_get(imp, "distribution");
	assert_int_equal(json_integer_value(json_object_get(dist, "2")), 2);
	assert_int_equal(json_integer_value(json_object_get(dist, "dont_know")), 1);
	json_t *fund = json_object_get(
		json_object_get(json_object_get(json_object_get(json_object_get(t, "questions"),
								"measures"),
						"options"),
				"funding"),
		"all");
	assert_int_equal(json_integer_value(json_object_get(fund, "n")), 3);
	json_decref(o);
}

static void test_json_bad_distribution(void **state)
{
	struct fixture *f = *state;
	struct report_stats st = { 0 };
	char err[REPORT_ERR_MAX];
	struct report_stat r = blank(0, Q_IMPORTANCE, -1, AGG_ALL);
	add(&st, r, "{\"7\":1}"); /* 7 is not a label value */
	f->in.cur = &st;
	assert_int_equal(report_json(&f->in, &f->out, err), -1);
	assert_non_null(strstr(err, "F-1"));
	report_stats_release(&st);
}

static void test_html_escapes(void **state)
{
	struct fixture *f = *state;
	char err[REPORT_ERR_MAX];
	assert_int_equal(report_html(&f->in, &f->out, err), 0);
	const char *h = f->out.data;
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<b>co"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(h, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(h, "T &amp; &lt;b&gt;co&lt;/b&gt;"));
	/* self-contained and printable */
	assert_null(strstr(h, "src=\"http"));
	assert_null(strstr(h, "href=\"http"));
	assert_non_null(strstr(h, "@page"));
	assert_non_null(strstr(h, "<svg"));
	assert_int_equal(strncmp(h, "<!DOCTYPE html>", 15), 0);
}

static void test_json_string(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_init(&b);
	/* quote, backslash, newline, tab, a C0 control, invalid UTF-8 (0xff), U+2028, and é */
	report_json_string(&b, "a\"b\\c\nd\te\x01" "f\xff" "g\xe2\x80\xa8h\xc3\xa9");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\ufffdg\\u2028h\xc3\xa9\"");
	buf_reset(&b);
	report_json_string(&b, NULL);
	assert_string_equal(b.data, "null");
	buf_reset(&b);
	report_json_double(&b, NAN);
	buf_addch(&b, ' ');
	report_json_double(&b, 0.1);
	assert_string_equal(b.data, "null 0.1");
	buf_release(&b);
}

static void test_dist_parse(void **state)
{
	struct fixture *f = *state;
	const struct survey_question *imp = &f->s->questions[Q_IMPORTANCE];
	const struct survey_question *yr = &f->s->questions[Q_YEAR];
	uint32_t c[16], sp[3];
	/* importance: labels 2, 1 (definition order) */
	assert_int_equal(report_dist_parse(imp, "{\"2\":5,\"1\":0,\"dont_know\":2}", c, 2, sp), 0);
	assert_int_equal(c[0], 5);
	assert_int_equal(c[1], 0);
	assert_int_equal(sp[0], 2);
	/* year 2025..2035: 2031 is bin 6 */
	assert_int_equal(report_dist_parse(yr, "{\"2031\":4,\"never\":1}", c, 11, sp), 0);
	assert_int_equal(c[6], 4);
	assert_int_equal(c[0], 0);
	assert_int_equal(sp[2], 1);
	/* NULL: all zeros */
	assert_int_equal(report_dist_parse(yr, NULL, c, 11, sp), 0);
	assert_int_equal(c[6], 0);
	/* bad: unknown label, year out of range, negative or fractional count, not JSON */
	assert_int_equal(report_dist_parse(imp, "{\"3\":1}", c, 2, sp), -1);
	assert_int_equal(report_dist_parse(yr, "{\"2040\":1}", c, 11, sp), -1);
	assert_int_equal(report_dist_parse(imp, "{\"2\":-1}", c, 2, sp), -1);
	assert_int_equal(report_dist_parse(imp, "{\"2\":1.5}", c, 2, sp), -1);
	assert_int_equal(report_dist_parse(imp, "[1]", c, 2, sp), -1);
	assert_int_equal(report_dist_parse(imp, "{", c, 2, sp), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sort_and_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topic_consensus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_stability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_bad_distribution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_escapes, setup, teardown),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test_setup_teardown(test_dist_parse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
