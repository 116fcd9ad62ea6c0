/*
 * test_aggregate — unit tests of aggregate.c on a small two-round panel worked out by hand.
 *
 * Six experts; sectors: E10 academia, E20 industry, E30 academia, E40 government,
 * E50 industry, E60 other. Round-2 expertise: E10 3, E20 2, E30 3, E40 1, E50 3, E60 none, so
 * the expert group (expertise = 3) is E10, E30, E50.
 *
 *            importance (4..1, dk)   tech_year (already/never/dk)   measures (bits hr|fund|reg)
 *   expert   round 1   round 2        round 1   round 2               round 1   round 2
 *   E10      3         4              2030      2032                  011       001
 *   E20      2         3              2040      2035                  010       110
 *   E30      4         4              already   already               000       011
 *   E40      dk        3              2035      2035                  101       001
 *   E50      2         dk             2030      2030                  -         111
 *   E60      4         4              never     2045                  100       -
 *
 * Every expected value below is derived by hand in the comment next to it; none is taken from
 * the code's output.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregate.h"

static void check_close(double got, double want, const char *file, int line)
{
	if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want)))) {
		print_error("%s:%d: got %.17g, expected %.17g\n", file, line, got, want);
		_fail(file, line);
	}
}
static void check_nan(double got, const char *file, int line)
{
	if (!isnan(got)) {
		print_error("%s:%d: got %.17g, expected NAN\n", file, line, got);
		_fail(file, line);
	}
}
#define CLOSE(got, want) check_close((got), (want), __FILE__, __LINE__)
#define IS_NAN(got) check_nan((got), __FILE__, __LINE__)

/* ---- the survey's questions, as the loader would build them ---- */

static struct survey_label expertise_labels[] = {
	{ .value = 3, .weight = 100 }, { .value = 2, .weight = 50 }, { .value = 1, .weight = 0 },
};
static struct survey_question q_expertise = {
	.key = "expertise",
	.kind = SURVEY_ORDINAL,
	.labels = expertise_labels,
	.n_labels = 3,
	.agreement = NULL, /* n_agreement = 0: the default band, the two highest values {3, 2} */
	.n_agreement = 0,
	.not_before = -1,
	.consensus = { 1, 0.7, 0.3 },
};

static struct survey_label importance_labels[] = {
	{ .value = 4, .weight = 100 },
	{ .value = 3, .weight = 200.0 / 3.0 },
	{ .value = 2, .weight = 100.0 / 3.0 },
	{ .value = 1, .weight = 0 },
};
static int importance_band[] = { 4, 3 };
static struct survey_question q_importance = {
	.key = "importance",
	.kind = SURVEY_ORDINAL,
	.specials = SURVEY_SPECIAL_DONT_KNOW,
	.labels = importance_labels,
	.n_labels = 4,
	.agreement = importance_band,
	.n_agreement = 2,
	.not_before = -1,
	.consensus = { 1, 0.7, 0.3 },
};

static struct survey_question q_tech_year = {
	.key = "tech_year",
	.kind = SURVEY_YEAR,
	.specials = SURVEY_SPECIAL_DONT_KNOW | SURVEY_SPECIAL_ALREADY | SURVEY_SPECIAL_NEVER,
	.year_min = 2025,
	.year_max = 2050,
	.not_before = -1,
	.consensus = { 5, 0, 0 },
};

static struct survey_option measures_options[] = {
	{ .code = "human_resources" }, { .code = "funding" }, { .code = "regulation" },
};
static struct survey_question q_measures = {
	.key = "measures",
	.kind = SURVEY_MULTI,
	.options = measures_options,
	.n_options = 3,
	.not_before = -1,
};

static struct survey_question q_comment = {
	.key = "comment", .kind = SURVEY_TEXT, .max_length = 2000, .not_before = -1,
};

/* ---- the panel ---- */

#define BIT(g) AGG_GROUP_BIT(g)
#define V(id, g, x) { id, ANSWER_VALUE, x, BIT(AGG_ALL) | BIT(g) }
#define S(id, g, sp) { id, sp, 0, BIT(AGG_ALL) | BIT(g) }
enum { ACA = AGG_ACADEMIA, IND = AGG_INDUSTRY, GOV = AGG_GOVERNMENT, OTH = AGG_OTHER };

static const struct agg_answer expertise_r2[] = {
	V(10, ACA, 3), V(20, IND, 2), V(30, ACA, 3), V(40, GOV, 1), V(50, IND, 3),
};
static const struct agg_answer importance_r1[] = {
	V(10, ACA, 3), V(20, IND, 2), V(30, ACA, 4), S(40, GOV, ANSWER_DONT_KNOW),
	V(50, IND, 2), V(60, OTH, 4),
};
static const struct agg_answer importance_r2[] = {
	V(10, ACA, 4), V(20, IND, 3), V(30, ACA, 4), V(40, GOV, 3),
	S(50, IND, ANSWER_DONT_KNOW), V(60, OTH, 4),
};
static const struct agg_answer tech_r1[] = {
	V(10, ACA, 2030), V(20, IND, 2040), S(30, ACA, ANSWER_ALREADY), V(40, GOV, 2035),
	V(50, IND, 2030), S(60, OTH, ANSWER_NEVER),
};
static const struct agg_answer tech_r2[] = {
	V(10, ACA, 2032), V(20, IND, 2035), S(30, ACA, ANSWER_ALREADY), V(40, GOV, 2035),
	V(50, IND, 2030), V(60, OTH, 2045),
};
static const struct agg_answer measures_r1[] = {
	V(10, ACA, 0x3), V(20, IND, 0x2), V(30, ACA, 0x0), V(40, GOV, 0x5), V(60, OTH, 0x4),
};
static const struct agg_answer measures_r2[] = {
	V(10, ACA, 0x1), V(20, IND, 0x6), V(30, ACA, 0x3), V(40, GOV, 0x1), V(50, IND, 0x7),
};

/* Round-2 answers with the expert bit set from expertise_r2, as the glue would do. */
static size_t marked(const struct agg_answer *src, size_t n, struct agg_answer *dst)
{
	memcpy(dst, src, n * sizeof *dst);
	agg_mark_expert(dst, n, expertise_r2, sizeof expertise_r2 / sizeof expertise_r2[0], 3);
	return n;
}

struct fixture {
	struct agg *ag;
	struct agg_answer cur[8];
	const struct agg_row *rows;
	size_t n_rows;
	char err[AGG_ERR_MAX];
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof f);
	f.ag = agg_new();
	if (f.ag == NULL)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	agg_free(f->ag);
	return 0;
}

/* Runs agg_question on round 2 (+ round 1 when prev != NULL) for every group. */
static int run(struct fixture *f, const struct survey_question *q, int type,
	       const struct agg_answer *r2, size_t n2, const struct agg_answer *r1, size_t n1)
{
	struct agg_input in = {
		.q = q,
		.quantile_type = type,
		.groups = AGG_GROUPS_EVERY,
		.cur = f->cur,
		.n_cur = marked(r2, n2, f->cur),
		.has_prev = r1 != NULL,
		.prev = r1,
		.n_prev = n1,
	};

	return agg_question(f->ag, &in, &f->rows, &f->n_rows, f->err);
}
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define RUN(f, q, type, r2, r1) run((f), (q), (type), (r2), N_OF(r2), (r1), N_OF(r1))

static void test_groups(void **state)
{
	struct agg_answer a[6];

	(void)state;
	assert_string_equal(agg_group_name(AGG_ALL), "all");
	assert_string_equal(agg_group_name(AGG_EXPERT), "expert");
	assert_string_equal(agg_group_name(AGG_GOVERNMENT), "government");
	assert_string_equal(agg_group_name(AGG_OTHER), "other");
	assert_null(agg_group_name((enum agg_group)AGG_N_GROUPS));
	assert_int_equal(agg_group_parse("academia"), AGG_ACADEMIA);
	assert_int_equal(agg_group_parse("industry"), AGG_INDUSTRY);
	assert_int_equal(agg_group_parse("all"), AGG_ALL);
	assert_int_equal(agg_group_parse("nobody"), -1);

	/* E10, E30, E50 answered expertise 3; E20 2, E40 1; E60 gave no expertise answer.
	 * A stale expert bit (set here on every answer) must be cleared for the others. */
	memcpy(a, importance_r2, sizeof a);
	for (int i = 0; i < 6; i++)
		a[i].groups |= BIT(AGG_EXPERT);
	agg_mark_expert(a, 6, expertise_r2, 5, 3);
	assert_true(a[0].groups & BIT(AGG_EXPERT));  /* E10 */
	assert_false(a[1].groups & BIT(AGG_EXPERT)); /* E20 */
	assert_true(a[2].groups & BIT(AGG_EXPERT));  /* E30 */
	assert_false(a[3].groups & BIT(AGG_EXPERT)); /* E40 */
	assert_true(a[4].groups & BIT(AGG_EXPERT));  /* E50 */
	assert_false(a[5].groups & BIT(AGG_EXPERT)); /* E60 */
	assert_int_equal(a[0].groups, BIT(AGG_ALL) | BIT(AGG_ACADEMIA) | BIT(AGG_EXPERT));
	assert_int_equal(a[5].groups, BIT(AGG_ALL) | BIT(AGG_OTHER));
}

/* importance, round 2 against round 1 */
static void test_ordinal(void **state)
{
	struct fixture *f = *state;
	const struct agg_row *r;
	struct buf b = BUF_INIT;

	assert_int_equal(RUN(f, &q_importance, 7, importance_r2, importance_r1), 0);
	assert_int_equal(f->n_rows, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(f->rows[i].group, (enum agg_group)i); /* enum order */
		assert_int_equal(f->rows[i].option, -1);
		assert_true(f->rows[i].paired);
		IS_NAN(f->rows[i].share);
		IS_NAN(f->rows[i].already); /* not allowed by the question: not applicable */
		IS_NAN(f->rows[i].never);
		assert_string_equal(f->rows[i].consensus_rule,
				    "iqr <= 1 and (agreement >= 0.7 or agreement <= 0.3)");
	}

	/* all: 6 answers, E50 don't know; valid 4 3 4 3 4 -> sorted 3 3 4 4 4, n = 5 */
	r = &f->rows[AGG_ALL];
	assert_int_equal(r->n_answers, 6);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->n_dont_know, 1);
	CLOSE(r->dont_know, 1.0 / 6.0);
	CLOSE(r->mean, 3.6); /* 18/5 */
	/* deviations -0.6 ×2, 0.4 ×3; squares 0.72 + 0.48 = 1.2; /4 = 0.3 */
	CLOSE(r->sd, sqrt(0.3));
	/* type 7: Q1 h = 4*0.25 + 1 = 2 -> 3; median h = 3 -> 4; Q3 h = 4 -> 4; iqr 1 */
	CLOSE(r->q1, 3);
	CLOSE(r->median, 4);
	CLOSE(r->q3, 4);
	CLOSE(r->iqr, 1);
	/* index: (3*100 + 2*200/3) / 5 = (1300/3)/5 = 260/3 */
	CLOSE(r->index, 260.0 / 3.0);
	CLOSE(r->agreement, 1); /* all 5 valid answers are 4 or 3 */
	assert_int_equal(r->consensus, STATS_YES); /* iqr 1 <= 1 and 1 >= 0.7 */
	/* distribution in label order 4, 3, 2, 1 */
	assert_int_equal(r->n_dist, 4);
	assert_int_equal(r->dist[0], 3);
	assert_int_equal(r->dist[1], 2);
	assert_int_equal(r->dist[2], 0);
	assert_int_equal(r->dist[3], 0);
	assert_int_equal(agg_dist_value(&q_importance, 0), 4);
	assert_int_equal(agg_dist_value(&q_importance, 3), 1);
	agg_distribution_json(&q_importance, r, &b);
	assert_string_equal(b.data, "{\"4\":3,\"3\":2,\"2\":0,\"1\":0,\"dont_know\":1}");
	buf_release(&b);
	/* stability: paired = valid in both rounds: E10 3->4 (+1), E20 2->3 (+1), E30 4->4,
	 * E60 4->4; not E40 (dk in round 1) nor E50 (dk in round 2). n_paired 4, 2 changed,
	 * mean |d| = 2/4. Wilcoxon: d = +1, +1 -> N = 2, one tie group (t = 2), ranks 1.5 each,
	 * W+ = 3, E = 2*3/4 = 1.5, σ² = 2*3*5/24 - (8-2)/48 = 1.25 - 0.125 = 1.125,
	 * z = (3 - 1.5 - 0.5)/sqrt(1.125) = 1/sqrt(1.125), p = 2(1 - Φ(z)). */
	assert_int_equal(r->n_paired, 4);
	assert_int_equal(r->n_changed, 2);
	CLOSE(r->changed, 0.5);
	CLOSE(r->mean_abs_change, 0.5);
	assert_int_equal(r->wilcoxon.n, 2);
	CLOSE(r->wilcoxon.w_plus, 3);
	CLOSE(r->wilcoxon_z, 1.0 / sqrt(1.125));
	CLOSE(r->wilcoxon_p, 2.0 * (1.0 - stats_normal_cdf(1.0 / sqrt(1.125))));

	/* expert: E10 4, E30 4, E50 dk -> n = 2 of 3 answers */
	r = &f->rows[AGG_EXPERT];
	assert_int_equal(r->n_answers, 3);
	assert_int_equal(r->n, 2);
	CLOSE(r->dont_know, 1.0 / 3.0);
	CLOSE(r->mean, 4);
	CLOSE(r->sd, 0);
	CLOSE(r->q1, 4);
	CLOSE(r->q3, 4);
	CLOSE(r->iqr, 0);
	CLOSE(r->index, 100);
	CLOSE(r->agreement, 1);
	assert_int_equal(r->consensus, STATS_YES);
	/* paired: E10 (+1), E30 (0); E50 is dk in round 2. Wilcoxon N = 1: W+ = 1, E = 0.5,
	 * σ = sqrt(1*2*3/24) = 0.5, z = (1 - 0.5 - 0.5)/0.5 = 0, p = 1. */
	assert_int_equal(r->n_paired, 2);
	CLOSE(r->changed, 0.5);
	CLOSE(r->mean_abs_change, 0.5);
	CLOSE(r->wilcoxon_z, 0);
	CLOSE(r->wilcoxon_p, 1);

	/* academia: E10 4, E30 4: as expert without E50 */
	r = &f->rows[AGG_ACADEMIA];
	assert_int_equal(r->n_answers, 2);
	assert_int_equal(r->n, 2);
	CLOSE(r->dont_know, 0);
	CLOSE(r->mean, 4);
	assert_int_equal(r->n_paired, 2);
	CLOSE(r->changed, 0.5);

	/* industry: E20 3, E50 dk -> n = 1: mean 3, sd undefined, quartiles 3, iqr 0;
	 * index 200/3; agreement 1/1; consensus yes. Paired: E20 2->3 only: changed 1/1, |d| 1,
	 * Wilcoxon N = 1 -> z 0, p 1. */
	r = &f->rows[AGG_INDUSTRY];
	assert_int_equal(r->n_answers, 2);
	assert_int_equal(r->n, 1);
	CLOSE(r->dont_know, 0.5);
	CLOSE(r->mean, 3);
	IS_NAN(r->sd);
	CLOSE(r->median, 3);
	CLOSE(r->iqr, 0);
	CLOSE(r->index, 200.0 / 3.0);
	CLOSE(r->agreement, 1);
	assert_int_equal(r->consensus, STATS_YES);
	assert_int_equal(r->n_paired, 1);
	CLOSE(r->changed, 1);
	CLOSE(r->mean_abs_change, 1);
	CLOSE(r->wilcoxon_z, 0);
	CLOSE(r->wilcoxon_p, 1);

	/* government: E40 3 now, dk in round 1 -> no pair: stability undefined */
	r = &f->rows[AGG_GOVERNMENT];
	assert_int_equal(r->n, 1);
	assert_int_equal(r->n_paired, 0);
	IS_NAN(r->changed);
	IS_NAN(r->mean_abs_change);
	IS_NAN(r->wilcoxon_z);
	IS_NAN(r->wilcoxon_p);

	/* other: E60 4 -> 4: one pair, no change: changed 0, |d| 0, Wilcoxon N = 0 -> undefined */
	r = &f->rows[AGG_OTHER];
	assert_int_equal(r->n_paired, 1);
	CLOSE(r->changed, 0);
	CLOSE(r->mean_abs_change, 0);
	assert_int_equal(r->wilcoxon.n, 0);
	IS_NAN(r->wilcoxon_z);
	IS_NAN(r->wilcoxon_p);
}

/* expertise, round 1 only: the default agreement band and no stability */
static void test_ordinal_default_band_no_prev(void **state)
{
	struct fixture *f = *state;
	const struct agg_row *r;
	struct agg_input in = {
		.q = &q_expertise,
		.quantile_type = 7,
		.groups = BIT(AGG_ALL) | BIT(AGG_EXPERT),
		.cur = f->cur,
		.n_cur = marked(expertise_r2, 5, f->cur),
	};

	assert_int_equal(agg_question(f->ag, &in, &f->rows, &f->n_rows, f->err), 0);
	assert_int_equal(f->n_rows, 2); /* only the requested groups */
	r = &f->rows[0];
	assert_int_equal(r->group, AGG_ALL);
	/* values 3 2 3 1 3 -> sorted 1 2 3 3 3; n = 5; mean 12/5 */
	assert_int_equal(r->n, 5);
	CLOSE(r->mean, 2.4);
	IS_NAN(r->dont_know); /* the question allows no don't know */
	/* type 7: Q1 h = 2 -> 2; median h = 3 -> 3; Q3 h = 4 -> 3; iqr 1 */
	CLOSE(r->q1, 2);
	CLOSE(r->median, 3);
	CLOSE(r->q3, 3);
	/* default band {3, 2}: 4 of 5; index (3*100 + 1*50 + 1*0)/5 = 70 */
	CLOSE(r->agreement, 0.8);
	CLOSE(r->index, 70);
	assert_int_equal(r->consensus, STATS_YES); /* iqr 1 <= 1 and 0.8 >= 0.7 */
	/* no previous round: stability not computed */
	assert_false(r->paired);
	assert_int_equal(r->n_paired, 0);
	IS_NAN(r->changed);
	IS_NAN(r->mean_abs_change);
	IS_NAN(r->wilcoxon_z);
	IS_NAN(r->wilcoxon_p);
	/* expert: the three 3s */
	r = &f->rows[1];
	assert_int_equal(r->group, AGG_EXPERT);
	assert_int_equal(r->n, 3);
	CLOSE(r->agreement, 1);
	CLOSE(r->index, 100);
	CLOSE(r->iqr, 0);
}

/* tech_year, round 2 against round 1, type 7 */
static void test_year(void **state)
{
	struct fixture *f = *state;
	const struct agg_row *r;
	struct buf b = BUF_INIT;

	assert_int_equal(RUN(f, &q_tech_year, 7, tech_r2, tech_r1), 0);
	assert_int_equal(f->n_rows, 6);
	r = &f->rows[AGG_ALL];
	/* 6 answers: E30 already; valid 2032 2035 2035 2030 2045 -> sorted 2030 2032 2035 2035
	 * 2045 */
	assert_int_equal(r->n_answers, 6);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->n_already, 1);
	CLOSE(r->already, 1.0 / 6.0);
	CLOSE(r->never, 0);
	CLOSE(r->dont_know, 0);
	/* mean = 10177/5 = 2035.4; deviations -5.4 -3.4 -0.4 -0.4 9.6; squares 29.16 + 11.56 +
	 * 0.16 + 0.16 + 92.16 = 133.2; /4 = 33.3 */
	CLOSE(r->mean, 2035.4);
	CLOSE(r->sd, sqrt(33.3));
	/* type 7: Q1 h = 2 -> 2032; median h = 3 -> 2035; Q3 h = 4 -> 2035; iqr 3 <= 5 */
	CLOSE(r->q1, 2032);
	CLOSE(r->median, 2035);
	CLOSE(r->q3, 2035);
	CLOSE(r->iqr, 3);
	assert_int_equal(r->consensus, STATS_YES);
	assert_string_equal(r->consensus_rule, "iqr <= 5");
	IS_NAN(r->index);
	IS_NAN(r->agreement);
	/* distribution: one bin per year 2025..2050 */
	assert_int_equal(r->n_dist, 26);
	assert_int_equal(agg_dist_value(&q_tech_year, 0), 2025);
	assert_int_equal(r->dist[2030 - 2025], 1);
	assert_int_equal(r->dist[2035 - 2025], 2);
	assert_int_equal(r->dist[2050 - 2025], 0);
	agg_distribution_json(&q_tech_year, r, &b);
	assert_string_equal(b.data, "{\"2030\":1,\"2032\":1,\"2035\":2,\"2045\":1,"
				    "\"dont_know\":0,\"already\":1,\"never\":0}");
	buf_release(&b);
	/* stability: E10 2030->2032 (+2), E20 2040->2035 (-5), E40 0, E50 0; E30 already twice
	 * and E60 never->2045 are not valid in both. n_paired 4, changed 2/4, mean |d| = 7/4.
	 * Wilcoxon: |2| rank 1 (+), |5| rank 2 (-): W+ = 1, E = 1.5, σ² = 2*3*5/24 = 1.25;
	 * W+ - E = -0.5, corrected by +0.5 -> 0: z = 0, p = 1. */
	assert_int_equal(r->n_paired, 4);
	CLOSE(r->changed, 0.5);
	CLOSE(r->mean_abs_change, 1.75);
	assert_int_equal(r->wilcoxon.n, 2);
	CLOSE(r->wilcoxon.w_plus, 1);
	CLOSE(r->wilcoxon.sigma, sqrt(1.25));
	CLOSE(r->wilcoxon_z, 0);
	CLOSE(r->wilcoxon_p, 1);

	/* expert: E10 2032, E30 already, E50 2030 -> n = 2 of 3; mean 2031, sd sqrt((1+1)/1);
	 * type 7: Q1 h = 1.25 -> 2030 + 0.25*2 = 2030.5; median 2031; Q3 h = 1.75 -> 2031.5 */
	r = &f->rows[AGG_EXPERT];
	assert_int_equal(r->n_answers, 3);
	assert_int_equal(r->n, 2);
	CLOSE(r->already, 1.0 / 3.0);
	CLOSE(r->mean, 2031);
	CLOSE(r->sd, sqrt(2.0));
	CLOSE(r->q1, 2030.5);
	CLOSE(r->median, 2031);
	CLOSE(r->q3, 2031.5);
	CLOSE(r->iqr, 1);
	/* paired: E10 (+2), E50 (0): changed 1/2, |d| mean 1 */
	assert_int_equal(r->n_paired, 2);
	CLOSE(r->changed, 0.5);
	CLOSE(r->mean_abs_change, 1);

	/* other: E60 2045 only; round 1 never -> not paired */
	r = &f->rows[AGG_OTHER];
	assert_int_equal(r->n, 1);
	CLOSE(r->mean, 2045);
	IS_NAN(r->sd);
	assert_int_equal(r->n_paired, 0);
	IS_NAN(r->changed);
}

/* the same year question with quantile type 6 */
static void test_year_type6(void **state)
{
	struct fixture *f = *state;
	const struct agg_row *r;

	assert_int_equal(RUN(f, &q_tech_year, 6, tech_r2, tech_r1), 0);
	r = &f->rows[AGG_ALL];
	/* sorted 2030 2032 2035 2035 2045, n = 5. type 6: Q1 h = 6*0.25 = 1.5 ->
	 * 2030 + 0.5*2 = 2031; median h = 3 -> 2035; Q3 h = 4.5 -> 2035 + 0.5*10 = 2040;
	 * iqr 9 > 5: no consensus */
	CLOSE(r->q1, 2031);
	CLOSE(r->median, 2035);
	CLOSE(r->q3, 2040);
	CLOSE(r->iqr, 9);
	assert_int_equal(r->consensus, STATS_NO);
}

/* measures (multi), round 2 against round 1 */
static void test_multi(void **state)
{
	struct fixture *f = *state;
	const struct agg_row *r;
	struct buf b = BUF_INIT;

	assert_int_equal(RUN(f, &q_measures, 7, measures_r2, measures_r1), 0);
	assert_int_equal(f->n_rows, 3 * 6); /* option-major */
	for (size_t i = 0; i < f->n_rows; i++) {
		assert_int_equal(f->rows[i].option, (int)(i / 6));
		assert_int_equal(f->rows[i].group, (enum agg_group)(i % 6));
		assert_null(f->rows[i].consensus_rule);
		assert_int_equal(f->rows[i].consensus, STATS_UNDEFINED);
		IS_NAN(f->rows[i].mean);
		IS_NAN(f->rows[i].median);
		IS_NAN(f->rows[i].dont_know);
		assert_int_equal(f->rows[i].n_dist, 0);
	}
	/* round 2 masks: E10 001, E20 110, E30 011, E40 001, E50 111: 5 respondents.
	 * option 0 (bit 0): E10 E30 E40 E50 -> 4/5; option 1: E20 E30 E50 -> 3/5;
	 * option 2: E20 E50 -> 2/5.
	 * Paired (in both rounds): E10, E20, E30, E40 -> 4.
	 * option 0: E10 1->1, E20 0->0, E30 0->1, E40 1->1: 1 changed (+1): changed 1/4;
	 *   Wilcoxon N = 1 -> z 0, p 1.
	 * option 1: E10 1->0, E20 1->1, E30 0->1, E40 0->0: 2 changed (-1, +1): W+ = 1.5 = E
	 *   -> z 0, p 1.
	 * option 2: E20 0->1, E40 1->0: 2 changed: changed 2/4. */
	r = &f->rows[0 * 6 + AGG_ALL];
	assert_int_equal(r->n, 5);
	assert_int_equal(r->n_answers, 5);
	assert_int_equal(r->n_selected, 4);
	CLOSE(r->share, 0.8);
	assert_int_equal(r->n_paired, 4);
	assert_int_equal(r->n_changed, 1);
	CLOSE(r->changed, 0.25);
	CLOSE(r->mean_abs_change, 0.25);
	CLOSE(r->wilcoxon_z, 0);
	CLOSE(r->wilcoxon_p, 1);
	agg_distribution_json(&q_measures, r, &b);
	assert_int_equal(b.len, 0); /* no distribution for multi rows */
	buf_release(&b);

	r = &f->rows[1 * 6 + AGG_ALL];
	CLOSE(r->share, 0.6);
	CLOSE(r->changed, 0.5);
	assert_int_equal(r->wilcoxon.n, 2);
	CLOSE(r->wilcoxon.w_plus, 1.5);
	CLOSE(r->wilcoxon_z, 0);

	r = &f->rows[2 * 6 + AGG_ALL];
	CLOSE(r->share, 0.4);
	CLOSE(r->changed, 0.5);

	/* expert (E10, E30, E50): option 0: all three -> 1; option 1: E30, E50 -> 2/3;
	 * option 2: E50 -> 1/3. Paired: E10, E30 (E50 absent in round 1): option 0 changed by
	 * E30 only -> 1/2. */
	r = &f->rows[0 * 6 + AGG_EXPERT];
	assert_int_equal(r->n, 3);
	CLOSE(r->share, 1);
	assert_int_equal(r->n_paired, 2);
	CLOSE(r->changed, 0.5);
	CLOSE(f->rows[1 * 6 + AGG_EXPERT].share, 2.0 / 3.0);
	CLOSE(f->rows[2 * 6 + AGG_EXPERT].share, 1.0 / 3.0);

	/* other: E60 answered round 1 only -> no respondent in round 2: share undefined */
	r = &f->rows[0 * 6 + AGG_OTHER];
	assert_int_equal(r->n, 0);
	assert_int_equal(r->n_answers, 0);
	IS_NAN(r->share);
	assert_int_equal(r->n_paired, 0);
	IS_NAN(r->changed);
}

static void test_text_and_empty(void **state)
{
	struct fixture *f = *state;
	struct agg_input in = { .q = &q_comment, .quantile_type = 7, .groups = AGG_GROUPS_EVERY };
	const struct agg_row *r;

	/* text questions produce no rows */
	assert_int_equal(agg_question(f->ag, &in, &f->rows, &f->n_rows, f->err), 0);
	assert_int_equal(f->n_rows, 0);

	/* no answer at all: every statistic undefined, counts 0 */
	in.q = &q_importance;
	in.has_prev = true; /* a previous round without answers either */
	assert_int_equal(agg_question(f->ag, &in, &f->rows, &f->n_rows, f->err), 0);
	assert_int_equal(f->n_rows, 6);
	r = &f->rows[AGG_ALL];
	assert_int_equal(r->n_answers, 0);
	assert_int_equal(r->n, 0);
	IS_NAN(r->dont_know);
	IS_NAN(r->mean);
	IS_NAN(r->sd);
	IS_NAN(r->q1);
	IS_NAN(r->iqr);
	IS_NAN(r->index);
	IS_NAN(r->agreement);
	assert_int_equal(r->consensus, STATS_UNDEFINED);
	assert_true(r->paired);
	assert_int_equal(r->n_paired, 0);
	IS_NAN(r->changed);
	IS_NAN(r->wilcoxon_p);
}

/* All answers equal in both rounds: sd 0, iqr 0, nobody changed, Wilcoxon empty. */
static void test_all_equal(void **state)
{
	struct fixture *f = *state;
	static const struct agg_answer same[] = {
		V(10, ACA, 2), V(20, IND, 2), V(30, ACA, 2), V(40, GOV, 2),
	};
	const struct agg_row *r;

	assert_int_equal(RUN(f, &q_importance, 7, same, same), 0);
	r = &f->rows[AGG_ALL];
	assert_int_equal(r->n, 4);
	CLOSE(r->mean, 2);
	CLOSE(r->sd, 0);
	CLOSE(r->iqr, 0);
	CLOSE(r->agreement, 0); /* 2 is outside the band {4, 3} */
	CLOSE(r->index, 100.0 / 3.0);
	assert_int_equal(r->consensus, STATS_YES); /* iqr 0 and agreement 0 <= 0.3 */
	assert_int_equal(r->n_paired, 4);
	CLOSE(r->changed, 0);
	CLOSE(r->mean_abs_change, 0);
	assert_int_equal(r->wilcoxon.n, 0);
	IS_NAN(r->wilcoxon_z);
}

/* Scratch reuse: a small question after a large one and the reverse give the same rows. */
static void test_reuse(void **state)
{
	struct fixture *f = *state;
	static struct survey_question wide = {
		.key = "wide", .kind = SURVEY_YEAR, .year_min = 2000, .year_max = 2300,
		.not_before = -1, .consensus = { 5, 0, 0 },
	};
	static const struct agg_answer w[] = { V(1, ACA, 2000), V(2, ACA, 2300) };
	static const struct agg_answer w_prev[] = { V(1, ACA, 2300), V(2, ACA, 2000) };

	assert_int_equal(RUN(f, &q_importance, 7, importance_r2, importance_r1), 0);
	CLOSE(f->rows[AGG_ALL].mean, 3.6);
	/* 2000, 2300: mean 2150; type 7 median h = 1.5 -> 2150. Differences -300 and +300, the
	 * widest the range allows: mean |d| 300; one tie group, W+ = 1.5 = E -> z 0. */
	assert_int_equal(RUN(f, &wide, 7, w, w_prev), 0);
	CLOSE(f->rows[AGG_ALL].mean, 2150);
	CLOSE(f->rows[AGG_ALL].median, 2150);
	assert_int_equal(f->rows[AGG_ALL].n_dist, 301);
	CLOSE(f->rows[AGG_ALL].mean_abs_change, 300);
	CLOSE(f->rows[AGG_ALL].changed, 1);
	CLOSE(f->rows[AGG_ALL].wilcoxon.w_plus, 1.5);
	CLOSE(f->rows[AGG_ALL].wilcoxon_z, 0);
	assert_int_equal(RUN(f, &q_importance, 7, importance_r2, importance_r1), 0);
	CLOSE(f->rows[AGG_ALL].mean, 3.6);
	CLOSE(f->rows[AGG_ALL].changed, 0.5);
	assert_int_equal(f->rows[AGG_ALL].dist[0], 3);
}

static void expect_error(struct fixture *f, const struct survey_question *q, int type,
			 const struct agg_answer *a, size_t n, const struct agg_answer *prev,
			 size_t n_prev, const char *needle)
{
	struct agg_input in = {
		.q = q,
		.quantile_type = type,
		.groups = AGG_GROUPS_EVERY,
		.cur = a,
		.n_cur = n,
		.has_prev = prev != NULL,
		.prev = prev,
		.n_prev = n_prev,
	};

	assert_int_equal(agg_question(f->ag, &in, &f->rows, &f->n_rows, f->err), -1);
	assert_null(f->rows);
	assert_int_equal(f->n_rows, 0);
	if (strstr(f->err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", f->err, needle);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	static const struct agg_answer unsorted[] = { V(20, ACA, 3), V(10, ACA, 4) };
	static const struct agg_answer dup[] = { V(10, ACA, 3), V(10, ACA, 4) };
	static const struct agg_answer not_label[] = { V(10, ACA, 7) };
	static const struct agg_answer early[] = { V(10, ACA, 2024) };
	static const struct agg_answer already[] = { S(10, ACA, ANSWER_ALREADY) };
	static const struct agg_answer dk[] = { S(10, ACA, ANSWER_DONT_KNOW) };
	static const struct agg_answer wide_mask[] = { V(10, ACA, 0x8) };
	static const struct agg_answer ok[] = { V(10, ACA, 3) };

	expect_error(f, &q_importance, 7, unsorted, 2, NULL, 0, "not sorted");
	expect_error(f, &q_importance, 7, dup, 2, NULL, 0, "not sorted");
	expect_error(f, &q_importance, 7, ok, 1, unsorted, 2, "previous round");
	expect_error(f, &q_importance, 7, not_label, 1, NULL, 0, "7 is not a label value");
	expect_error(f, &q_importance, 7, ok, 1, not_label, 1, "previous round: expert 10");
	expect_error(f, &q_tech_year, 7, early, 1, NULL, 0, "year 2024 is outside 2025..2050");
	expect_error(f, &q_importance, 7, already, 1, NULL, 0, "\"already\" is not allowed");
	expect_error(f, &q_expertise, 7, dk, 1, NULL, 0, "\"dont_know\" is not allowed");
	expect_error(f, &q_measures, 7, dk, 1, NULL, 0, "not allowed");
	expect_error(f, &q_measures, 7, wide_mask, 1, NULL, 0, "beyond the 3 options");
	expect_error(f, &q_importance, 5, ok, 1, NULL, 0, "quantile type 5");
	/* the agg still works after errors */
	assert_int_equal(RUN(f, &q_importance, 7, importance_r2, importance_r1), 0);
	CLOSE(f->rows[AGG_ALL].index, 260.0 / 3.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test_setup_teardown(test_ordinal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ordinal_default_band_no_prev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_year, setup, teardown),
		cmocka_unit_test_setup_teardown(test_year_type6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_equal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
