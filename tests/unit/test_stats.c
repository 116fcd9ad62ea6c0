/*
 * test_stats — unit tests of stats.c. Every expected value is worked out by hand in the comment
 * next to it (or is a published constant: values of the standard normal CDF Φ), never taken
 * from the code's output. Exact where the arithmetic is exact in binary (quartiles of integers,
 * shares with power-of-two denominators), else within a relative 1e-12.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

/* Published values of the standard normal upper tail 1 - Φ(z) (e.g. Abramowitz & Stegun
 * table 26.1, to the digits given there and in every high-precision table). */
#define UPPER_0_5 0.30853753872598688 /* 1 - Φ(0.5) */
#define UPPER_1 0.15865525393145705   /* 1 - Φ(1)   */
#define UPPER_2 0.022750131948179207  /* 1 - Φ(2)   */

static void check_close(double got, double want, const char *file, int line)
{
	if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want)))) {
		print_error("%s:%d: got %.17g, expected %.17g\n", file, line, got, want);
		_fail(file, line);
	}
}
static void check_exact(double got, double want, const char *file, int line)
{
	if (!(got == want)) {
		print_error("%s:%d: got %.17g, expected exactly %.17g\n", file, line, got, want);
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
#define EXACT(got, want) check_exact((got), (want), __FILE__, __LINE__)
#define IS_NAN(got) check_nan((got), __FILE__, __LINE__)

/* A histogram over [min, min + span) built from a list of values (test scaffolding). */
struct thist {
	uint32_t counts[128];
	struct stats_hist h;
};

static void thist_init(struct thist *t, int min, size_t span, const int *x, size_t n)
{
	assert_true(span <= 128);
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		assert_true(x[i] >= min && (size_t)(x[i] - min) < span);
		t->counts[x[i] - min]++;
	}
	t->h.min = min;
	t->h.span = span;
	t->h.counts = t->counts;
}

/* Checks the histogram and the sorted-array quartiles against the same hand values. */
static void check_quartiles(const int *x, size_t n, int min, size_t span, int type, double q1,
			    double med, double q3, const char *file, int line)
{
	struct thist t;
	struct stats_quartiles qs;
	double xs[128];

	thist_init(&t, min, span, x, n);
	for (size_t i = 0; i < n; i++)
		xs[i] = x[i];
	stats_sort(xs, n);
	stats_hist_quartiles(&t.h, type, &qs);
	check_exact(qs.q1, q1, file, line);
	check_exact(qs.median, med, file, line);
	check_exact(qs.q3, q3, file, line);
	check_exact(qs.iqr, q3 - q1, file, line);
	stats_quartiles_sorted(xs, n, type, &qs);
	check_exact(qs.q1, q1, file, line);
	check_exact(qs.median, med, file, line);
	check_exact(qs.q3, q3, file, line);
	check_exact(qs.iqr, q3 - q1, file, line);
}
#define QUARTILES(x, min, span, type, q1, med, q3)                                               \
	check_quartiles((x), sizeof(x) / sizeof((x)[0]), (min), (span), (type), (q1), (med), (q3), \
			__FILE__, __LINE__)

/* ---- n = 0, 1, 2 ---- */

static void test_empty(void **state)
{
	struct stats_hist none = { 1, 0, NULL };
	uint32_t zeros[5] = { 0 };
	struct stats_hist empty = { 1, 5, zeros };
	struct stats_quartiles qs;

	(void)state;
	assert_int_equal(stats_hist_n(&none), 0);
	assert_int_equal(stats_hist_n(&empty), 0);
	IS_NAN(stats_hist_mean(&none));
	IS_NAN(stats_hist_mean(&empty));
	IS_NAN(stats_hist_sd(&empty));
	IS_NAN(stats_hist_quantile(&empty, 0.5, 7));
	IS_NAN(stats_hist_quantile(&none, 0.5, 6));
	IS_NAN(stats_hist_order(&empty, 1));
	IS_NAN(stats_hist_share_in(&empty, (const int[]){ 1 }, 1));
	stats_hist_quartiles(&empty, 7, &qs);
	IS_NAN(qs.q1);
	IS_NAN(qs.median);
	IS_NAN(qs.q3);
	IS_NAN(qs.iqr);
	IS_NAN(stats_mean(NULL, 0));
	IS_NAN(stats_sd(NULL, 0));
	IS_NAN(stats_quantile_sorted(NULL, 0, 0.5, 7));
	IS_NAN(stats_quantile_sorted(NULL, 0, 0.5, 6));
}

static void test_one_value(void **state)
{
	static const int x[] = { 7 };
	struct thist t;

	(void)state;
	thist_init(&t, 0, 10, x, 1);
	EXACT(stats_hist_mean(&t.h), 7);
	IS_NAN(stats_hist_sd(&t.h)); /* n < 2 */
	IS_NAN(stats_sd((const double[]){ 7 }, 1));
	/* type 7: h = 0*p + 1 = 1 for every p -> x_(1) = 7.
	 * type 6: h = 2p, clamped to [1, 1] -> 7. */
	QUARTILES(x, 0, 10, 7, 7, 7, 7);
	QUARTILES(x, 0, 10, 6, 7, 7, 7);
}

static void test_two_values(void **state)
{
	static const int x[] = { 5, 2 };
	struct thist t;

	(void)state;
	thist_init(&t, 0, 10, x, 2);
	EXACT(stats_hist_mean(&t.h), 3.5); /* 7/2 */
	/* sd = sqrt(((2 - 3.5)² + (5 - 3.5)²) / 1) = sqrt(2.25 + 2.25) = sqrt(4.5) */
	CLOSE(stats_hist_sd(&t.h), sqrt(4.5));
	/* type 7: Q1 h = 1*0.25 + 1 = 1.25 -> 2 + 0.25*(5-2) = 2.75; median h = 1.5 -> 3.5;
	 * Q3 h = 1.75 -> 2 + 0.75*3 = 4.25. */
	QUARTILES(x, 0, 10, 7, 2.75, 3.5, 4.25);
	/* type 6: Q1 h = 3*0.25 = 0.75 -> clamped to 1 -> 2; median h = 1.5 -> 3.5;
	 * Q3 h = 2.25 -> clamped to 2 -> 5. */
	QUARTILES(x, 0, 10, 6, 2, 3.5, 5);
}

/* ---- the brief's example, ties, all equal, years ---- */

static void test_one_to_four(void **state)
{
	static const int x[] = { 1, 2, 3, 4 };
	struct thist t;

	(void)state;
	thist_init(&t, 1, 4, x, 4);
	EXACT(stats_hist_mean(&t.h), 2.5); /* 10/4 */
	/* Σ(x - 2.5)² = 2.25 + 0.25 + 0.25 + 2.25 = 5; sd = sqrt(5/3) */
	CLOSE(stats_hist_sd(&t.h), sqrt(5.0 / 3.0));
	/* type 7: Q1 h = 3*0.25 + 1 = 1.75 -> 1 + 0.75*(2-1) = 1.75; median h = 2.5 -> 2.5;
	 * Q3 h = 3.25 -> 3 + 0.25 = 3.25; iqr 1.5. */
	QUARTILES(x, 1, 4, 7, 1.75, 2.5, 3.25);
	/* type 6: Q1 h = 5*0.25 = 1.25 -> 1.25; median h = 2.5 -> 2.5; Q3 h = 3.75 -> 3.75;
	 * iqr 2.5. */
	QUARTILES(x, 1, 4, 6, 1.25, 2.5, 3.75);
	/* the array versions of mean and sd on the same data */
	EXACT(stats_mean((const double[]){ 1, 2, 3, 4 }, 4), 2.5);
	CLOSE(stats_sd((const double[]){ 4, 3, 2, 1 }, 4), sqrt(5.0 / 3.0));
}

static void test_ties(void **state)
{
	static const int x[] = { 4, 2, 1, 3, 2, 4, 2 }; /* sorted: 1 2 2 2 3 4 4 */
	struct thist t;

	(void)state;
	thist_init(&t, 1, 4, x, 7);
	assert_int_equal(stats_hist_n(&t.h), 7);
	/* mean = 18/7 */
	CLOSE(stats_hist_mean(&t.h), 18.0 / 7.0);
	/* deviations ×7: -11, -4 (×3), 3, 10 (×2); squares: 121 + 48 + 9 + 200 = 378, /49;
	 * /(n-1) = 378/294 = 9/7; sd = 3/sqrt(7) */
	CLOSE(stats_hist_sd(&t.h), 3.0 / sqrt(7.0));
	/* order statistics: x_(1) = 1, x_(2) = x_(4) = 2, x_(7) = 4; k = 0 and 8 are out of
	 * range */
	EXACT(stats_hist_order(&t.h, 1), 1);
	EXACT(stats_hist_order(&t.h, 2), 2);
	EXACT(stats_hist_order(&t.h, 4), 2);
	EXACT(stats_hist_order(&t.h, 5), 3);
	EXACT(stats_hist_order(&t.h, 7), 4);
	IS_NAN(stats_hist_order(&t.h, 0));
	IS_NAN(stats_hist_order(&t.h, 8));
	/* type 7: Q1 h = 6*0.25 + 1 = 2.5 -> x2 + 0.5*(x3 - x2) = 2 + 0 = 2; median h = 4 -> 2;
	 * Q3 h = 5.5 -> x5 + 0.5*(x6 - x5) = 3 + 0.5 = 3.5. */
	QUARTILES(x, 1, 4, 7, 2, 2, 3.5);
	/* type 6: Q1 h = 8*0.25 = 2 -> x2 = 2; median h = 4 -> 2; Q3 h = 6 -> x6 = 4. */
	QUARTILES(x, 1, 4, 6, 2, 2, 4);
	/* the same within a wider histogram (empty bins on both sides) */
	QUARTILES(x, -3, 20, 7, 2, 2, 3.5);
}

static void test_all_equal(void **state)
{
	static const int x[] = { 3, 3, 3, 3, 3 };
	struct thist t;

	(void)state;
	thist_init(&t, 1, 4, x, 5);
	EXACT(stats_hist_mean(&t.h), 3);
	EXACT(stats_hist_sd(&t.h), 0); /* every deviation is 0 */
	QUARTILES(x, 1, 4, 7, 3, 3, 3);
	QUARTILES(x, 1, 4, 6, 3, 3, 3);
}

static void test_years(void **state)
{
	static const int x[] = { 2030, 2040, 2030, 2035 }; /* sorted: 2030 2030 2035 2040 */
	struct thist t;

	(void)state;
	thist_init(&t, 2025, 26, x, 4);
	/* mean = (2030*2 + 2035 + 2040) / 4 = 8135/4 = 2033.75 */
	EXACT(stats_hist_mean(&t.h), 2033.75);
	/* deviations -3.75, -3.75, 1.25, 6.25; squares 14.0625*2 + 1.5625 + 39.0625 = 68.75;
	 * sd = sqrt(68.75/3) */
	CLOSE(stats_hist_sd(&t.h), sqrt(68.75 / 3.0));
	/* type 7: Q1 h = 1.75 -> 2030 + 0.75*0 = 2030; median h = 2.5 -> 2030 + 0.5*5 = 2032.5;
	 * Q3 h = 3.25 -> 2035 + 0.25*5 = 2036.25. */
	QUARTILES(x, 2025, 26, 7, 2030, 2032.5, 2036.25);
	/* type 6: Q1 h = 1.25 -> 2030; median h = 2.5 -> 2032.5; Q3 h = 3.75 -> 2035 + 0.75*5 =
	 * 2038.75. */
	QUARTILES(x, 2025, 26, 6, 2030, 2032.5, 2038.75);
}

static void test_quantile_clamp_and_range(void **state)
{
	static const int x[] = { 10, 20, 30 };
	struct thist t;
	double xs[] = { 10, 20, 30 };

	(void)state;
	thist_init(&t, 0, 31, x, 3);
	/* type 6, p = 0.1: h = 4*0.1 = 0.4 -> clamped to 1 -> 10; p = 0.95: h = 3.8 -> 3 -> 30 */
	EXACT(stats_hist_quantile(&t.h, 0.1, 6), 10);
	EXACT(stats_hist_quantile(&t.h, 0.95, 6), 30);
	EXACT(stats_quantile_sorted(xs, 3, 0.1, 6), 10);
	EXACT(stats_quantile_sorted(xs, 3, 0.95, 6), 30);
	/* type 6, p = 0.3: h = 1.2 -> 10 + 0.2*10 = 12 (h not exact in binary: tolerance) */
	CLOSE(stats_hist_quantile(&t.h, 0.3, 6), 12);
	/* type 7, p = 0.1: h = 2*0.1 + 1 = 1.2 -> 12; p = 0 -> x_(1); p = 1 -> h = 3 -> x_(3) */
	CLOSE(stats_hist_quantile(&t.h, 0.1, 7), 12);
	EXACT(stats_hist_quantile(&t.h, 0.0, 7), 10);
	EXACT(stats_hist_quantile(&t.h, 1.0, 7), 30);
	EXACT(stats_hist_quantile(&t.h, 0.0, 6), 10);
	EXACT(stats_hist_quantile(&t.h, 1.0, 6), 30);
	/* undefined: p outside [0, 1], a type other than 6 or 7 */
	IS_NAN(stats_hist_quantile(&t.h, -0.1, 7));
	IS_NAN(stats_hist_quantile(&t.h, 1.5, 7));
	IS_NAN(stats_hist_quantile(&t.h, NAN, 7));
	IS_NAN(stats_hist_quantile(&t.h, 0.5, 5));
	IS_NAN(stats_quantile_sorted(xs, 3, 0.5, 8));
}

/* Type 6 with h that is an integer mathematically but not in floating point: x = 1..54,
 * p = 3/11: h = 55 * 3/11 = 15 exactly, so Q = x_(15) = 15; 55 * 0.2727... evaluates to
 * 14.999999999999998, and R's fuzz (floor(h + 4 eps) = 15, g < 0 -> no interpolation) gives
 * x_(15). */
static void test_quantile_type6_fuzz(void **state)
{
	int x[54];
	double xs[54];
	struct thist t;

	(void)state;
	for (int i = 0; i < 54; i++) {
		x[i] = i + 1;
		xs[i] = i + 1;
	}
	thist_init(&t, 1, 54, x, 54);
	EXACT(stats_hist_quantile(&t.h, 3.0 / 11.0, 6), 15);
	EXACT(stats_quantile_sorted(xs, 54, 3.0 / 11.0, 6), 15);
}

static void test_sort(void **state)
{
	double x[] = { 3, -1, 2, 2, 0.5 };

	(void)state;
	stats_sort(x, 5);
	EXACT(x[0], -1);
	EXACT(x[1], 0.5);
	EXACT(x[2], 2);
	EXACT(x[3], 2);
	EXACT(x[4], 3);
}

/* ---- index, agreement, shares ---- */

static void test_index(void **state)
{
	/* labels 4, 3, 2, 1 with the default weights 100, 200/3, 100/3, 0 */
	const double w[] = { 100, 200.0 / 3.0, 100.0 / 3.0, 0 };
	const uint32_t counts[] = { 3, 1, 1, 1 };
	const uint32_t zero[] = { 0, 0, 0, 0 };
	const uint32_t all_top[] = { 5, 0, 0, 0 };

	(void)state;
	/* (3*100 + 200/3 + 100/3 + 0) / 6 = 400/6 */
	CLOSE(stats_index(counts, w, 4), 400.0 / 6.0);
	EXACT(stats_index(all_top, w, 4), 100);
	IS_NAN(stats_index(zero, w, 4));
}

static void test_agreement(void **state)
{
	static const int x[] = { 4, 4, 3, 2, 1, 4 };
	struct thist t;

	(void)state;
	thist_init(&t, 1, 4, x, 6);
	/* band {4, 3}: 3 fours + 1 three = 4 of 6 */
	CLOSE(stats_hist_share_in(&t.h, (const int[]){ 4, 3 }, 2), 4.0 / 6.0);
	/* a duplicate in the band counts once; a value outside the histogram counts 0 */
	CLOSE(stats_hist_share_in(&t.h, (const int[]){ 4, 3, 4, 9 }, 4), 4.0 / 6.0);
	EXACT(stats_hist_share_in(&t.h, (const int[]){ 1 }, 1), 1.0 / 6.0);
	EXACT(stats_hist_share_in(&t.h, NULL, 0), 0);
}

static void test_shares(void **state)
{
	/* bit 0 = option 0: masks 101, 001, 110, 000, and 1000 (bit 3 is beyond 3 options) */
	const uint64_t masks[] = { 0x5, 0x1, 0x6, 0x0, 0x8 };
	double sh[3];

	(void)state;
	EXACT(stats_share(1, 4), 0.25);
	EXACT(stats_share(0, 4), 0);
	IS_NAN(stats_share(0, 0));
	stats_option_shares(masks, 4, 3, sh);
	EXACT(sh[0], 0.5);  /* 101, 001: 2 of 4 */
	EXACT(sh[1], 0.25); /* 110: 1 of 4 */
	EXACT(sh[2], 0.5);  /* 101, 110: 2 of 4 */
	stats_option_shares(masks, 5, 3, sh);
	EXACT(sh[0], 2.0 / 5.0); /* the fifth respondent selected none of the 3 */
	EXACT(sh[1], 1.0 / 5.0);
	stats_option_shares(masks, 0, 3, sh);
	IS_NAN(sh[0]);
	IS_NAN(sh[2]);
}

static void test_consensus(void **state)
{
	(void)state;
	/* ordinal: iqr <= 1 and (agreement >= 0.7 or <= 0.3); the bounds are inclusive */
	assert_int_equal(stats_consensus_ordinal(1, 0.7, 1, 0.7, 0.3), STATS_YES);
	assert_int_equal(stats_consensus_ordinal(0, 0.3, 1, 0.7, 0.3), STATS_YES);
	assert_int_equal(stats_consensus_ordinal(0.5, 7.0 / 10.0, 1, 0.7, 0.3), STATS_YES);
	assert_int_equal(stats_consensus_ordinal(1, 0.5, 1, 0.7, 0.3), STATS_NO);
	assert_int_equal(stats_consensus_ordinal(1.25, 0.9, 1, 0.7, 0.3), STATS_NO);
	assert_int_equal(stats_consensus_ordinal(NAN, 0.9, 1, 0.7, 0.3), STATS_UNDEFINED);
	assert_int_equal(stats_consensus_ordinal(0, NAN, 1, 0.7, 0.3), STATS_UNDEFINED);
	/* year: iqr <= 5 */
	assert_int_equal(stats_consensus_year(5, 5), STATS_YES);
	assert_int_equal(stats_consensus_year(0, 5), STATS_YES);
	assert_int_equal(stats_consensus_year(5.25, 5), STATS_NO);
	assert_int_equal(stats_consensus_year(NAN, 5), STATS_UNDEFINED);
}

/* ---- normal distribution ---- */

static void test_normal(void **state)
{
	(void)state;
	EXACT(stats_normal_cdf(0), 0.5);
	CLOSE(stats_normal_cdf(1), 1 - UPPER_1);
	CLOSE(stats_normal_cdf(-2), UPPER_2);
	CLOSE(stats_normal_p2(2), 2 * UPPER_2);
	CLOSE(stats_normal_p2(-2), 2 * UPPER_2);
	CLOSE(stats_normal_p2(0.5), 2 * UPPER_0_5);
	EXACT(stats_normal_p2(0), 1);
	IS_NAN(stats_normal_p2(NAN));
}

/* ---- Wilcoxon signed-rank ---- */

/* Checks the histogram and the array implementation on the same differences. */
static void wilcoxon_both(const int *d, size_t n, struct stats_wilcoxon *h,
			  struct stats_wilcoxon *a)
{
	uint32_t pos[32] = { 0 }, neg[32] = { 0 };
	double dd[64], scratch[64];

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		int v = d[i] < 0 ? -d[i] : d[i];

		assert_true(v < 32);
		if (d[i] > 0)
			pos[v]++;
		else if (d[i] < 0)
			neg[v]++;
		else
			pos[0]++; /* zeros sit at a = 0, which must be ignored */
		dd[i] = d[i];
	}
	stats_wilcoxon_hist(pos, neg, 32, h);
	stats_wilcoxon(dd, n, scratch, a);
}

/* N = 16 after dropping 3 zeros, three tie groups, z = -2 exactly.
 * d: +1, -1 ×7, +2, -2 ×3, +3, -3 ×3, 0 ×3.
 * Ranks of |d|: |1| ×8 take ranks 1..8, average 4.5; |2| ×4 take 9..12, average 10.5;
 *   |3| ×4 take 13..16, average 14.5.
 * W+ = 4.5 + 10.5 + 14.5 = 29.5 (one positive in each group); W- = 136 - 29.5 = 106.5.
 * E = N(N+1)/4 = 16*17/4 = 68.
 * Ties: (8³-8) + (4³-4) + (4³-4) = 504 + 60 + 60 = 624.
 * σ² = 16*17*33/24 - 624/48 = 8976/24 - 13 = 374 - 13 = 361, σ = 19.
 * W+ - E = -38.5; continuity: -38.5 - 0.5*sign(-38.5) = -38.5 + 0.5 = -38; z = -38/19 = -2.
 * p = 2(1 - Φ(2)) = 2 * 0.022750131948179207 = 0.045500263896358414. */
static void test_wilcoxon_ties_z2(void **state)
{
	static const int d[] = { +1, -1, -1, 0, -1, -1, -1, -1, -1, +2, -2, -2,
				 -2, 0,  +3, -3, -3, -3, 0 };
	struct stats_wilcoxon h, a;

	(void)state;
	wilcoxon_both(d, sizeof d / sizeof d[0], &h, &a);
	assert_int_equal(h.n, 16);
	EXACT(h.w_plus, 29.5);
	EXACT(h.ties, 624);
	EXACT(h.sigma, 19);
	EXACT(h.z, -2);
	CLOSE(h.p, 2 * UPPER_2);
	assert_int_equal(a.n, 16);
	EXACT(a.w_plus, 29.5);
	EXACT(a.ties, 624);
	EXACT(a.sigma, 19);
	EXACT(a.z, -2);
	CLOSE(a.p, 2 * UPPER_2);
}

/* N = 13: |1| ×6 (all positive), |2| ×6 (2 positive), |3| ×1 (positive).
 * Ranks: |1| -> 1..6, average 3.5; |2| -> 7..12, average 9.5; |3| -> 13.
 * W+ = 6*3.5 + 2*9.5 + 13 = 21 + 19 + 13 = 53. E = 13*14/4 = 45.5.
 * Ties: (6³-6)*2 = 420. σ² = 13*14*27/24 - 420/48 = 204.75 - 8.75 = 196, σ = 14.
 * z = (53 - 45.5 - 0.5)/14 = 7/14 = 0.5. p = 2(1 - Φ(0.5)) = 2 * 0.30853753872598688. */
static void test_wilcoxon_ties_z_half(void **state)
{
	static const int d[] = { 1, 1, 1, 1, 1, 1, 2, 2, -2, -2, -2, -2, 3 };
	struct stats_wilcoxon h, a;

	(void)state;
	wilcoxon_both(d, sizeof d / sizeof d[0], &h, &a);
	assert_int_equal(h.n, 13);
	EXACT(h.w_plus, 53);
	EXACT(h.sigma, 14);
	EXACT(h.z, 0.5);
	CLOSE(h.p, 2 * UPPER_0_5);
	assert_int_equal(a.n, 13);
	EXACT(a.w_plus, 53);
	EXACT(a.z, 0.5);
	CLOSE(a.p, 2 * UPPER_0_5);
}

/* Without ties: d = 1, 2, 3, -4, 5, 6, 7, 8 (N = 8).
 * W+ = 36 - 4 = 32; E = 8*9/4 = 18; σ² = 8*9*17/24 = 51.
 * z = (32 - 18 - 0.5)/sqrt(51) = 13.5/sqrt(51). */
static void test_wilcoxon_no_ties(void **state)
{
	static const int d[] = { 5, 1, -4, 3, 8, 2, 7, 6 };
	struct stats_wilcoxon h, a;

	(void)state;
	wilcoxon_both(d, 8, &h, &a);
	assert_int_equal(h.n, 8);
	EXACT(h.w_plus, 32);
	EXACT(h.ties, 0);
	CLOSE(h.sigma, sqrt(51.0));
	CLOSE(h.z, 13.5 / sqrt(51.0));
	CLOSE(a.z, 13.5 / sqrt(51.0));
	/* p is 2(1 - Φ(z)) by definition: checked through Φ itself */
	CLOSE(h.p, 2 * (1 - stats_normal_cdf(13.5 / sqrt(51.0))));
}

/* A published R transcript (garciparedes/r-examples, statistical-inference/non-parametric/
 * exercise-07.r): x1 - x2 = -2, 1, -8, 4, 4, 16, 18 gives V = 21 and a tie-corrected variance
 * 34.875 in R. By hand: ranks of |d| = 1:1, 2:2, 4,4: 3.5 each, 8:5, 16:6, 18:7;
 * W+ = 1 + 3.5 + 3.5 + 6 + 7 = 21; σ² = 7*8*15/24 - (2³-2)/48 = 35 - 0.125 = 34.875;
 * E = 7*8/4 = 14; two-sided z = (21 - 14 - 0.5)/sqrt(34.875) = 6.5/sqrt(34.875). */
static void test_wilcoxon_r_transcript(void **state)
{
	static const int d[] = { -2, 1, -8, 4, 4, 16, 18 };
	struct stats_wilcoxon h, a;

	(void)state;
	wilcoxon_both(d, 7, &h, &a);
	assert_int_equal(h.n, 7);
	EXACT(h.w_plus, 21);
	EXACT(h.ties, 6);
	CLOSE(h.sigma * h.sigma, 34.875);
	CLOSE(h.z, 6.5 / sqrt(34.875));
	CLOSE(a.z, 6.5 / sqrt(34.875));
}

static void test_wilcoxon_small(void **state)
{
	struct stats_wilcoxon h, a;

	(void)state;
	/* N = 1, d = +3: W+ = 1, E = 1*2/4 = 0.5, σ² = 1*2*3/24 = 0.25, σ = 0.5;
	 * W+ - E = 0.5, minus 0.5 = 0 -> z = 0, p = 2(1 - Φ(0)) = 1. */
	wilcoxon_both((const int[]){ 3 }, 1, &h, &a);
	assert_int_equal(h.n, 1);
	EXACT(h.w_plus, 1);
	EXACT(h.sigma, 0.5);
	EXACT(h.z, 0);
	EXACT(h.p, 1);
	EXACT(a.z, 0);
	/* d = +1, -1: one tie group, ranks 1.5 each; W+ = 1.5 = E = 2*3/4: sign(0) = 0 -> z = 0,
	 * p = 1. σ² = 2*3*5/24 - (8-2)/48 = 1.25 - 0.125 = 1.125. */
	wilcoxon_both((const int[]){ 1, -1 }, 2, &h, &a);
	assert_int_equal(h.n, 2);
	EXACT(h.w_plus, 1.5);
	EXACT(h.sigma, sqrt(1.125));
	EXACT(h.z, 0);
	EXACT(h.p, 1);
	EXACT(a.w_plus, 1.5);
	EXACT(a.z, 0);
	/* mirror of the z = -2 case: every sign flipped -> W+ = 106.5, z = +2, same p */
	wilcoxon_both((const int[]){ -1, 1, 1, 1, 1, 1, 1, 1, -2, 2, 2, 2, -3, 3, 3, 3 }, 16,
		      &h, &a);
	EXACT(h.w_plus, 106.5);
	EXACT(h.z, 2);
	CLOSE(h.p, 2 * UPPER_2);
	EXACT(a.z, 2);
}

static void test_wilcoxon_empty(void **state)
{
	struct stats_wilcoxon h, a;

	(void)state;
	/* every difference is zero: N = 0, undefined */
	wilcoxon_both((const int[]){ 0, 0, 0 }, 3, &h, &a);
	assert_int_equal(h.n, 0);
	EXACT(h.w_plus, 0);
	EXACT(h.sigma, 0);
	IS_NAN(h.z);
	IS_NAN(h.p);
	assert_int_equal(a.n, 0);
	IS_NAN(a.z);
	IS_NAN(a.p);
	/* no pair at all */
	stats_wilcoxon(NULL, 0, NULL, &a);
	assert_int_equal(a.n, 0);
	IS_NAN(a.z);
	stats_wilcoxon_hist(NULL, NULL, 0, &h);
	assert_int_equal(h.n, 0);
	IS_NAN(h.p);
}

/* ---- Kendall's W ---- */

static void test_kendall_perfect(void **state)
{
	/* 3 raters rank 4 items identically. R_i = 3, 6, 9, 12; R̄ = 3*5/2 = 7.5;
	 * S = 4.5² + 1.5² + 1.5² + 4.5² = 45; W = 12*45 / (9*(64-4)) = 540/540 = 1. */
	const double r[] = { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4 };
	/* scores rather than ranks: (10, 30, 20) ranks as (1, 3, 2) for both raters -> W = 1 */
	const double s[] = { 10, 30, 20, 1, 3, 2 };
	double w;

	(void)state;
	assert_int_equal(stats_kendall_w(r, 3, 4, &w), 0);
	EXACT(w, 1);
	assert_int_equal(stats_kendall_w(s, 2, 3, &w), 0);
	EXACT(w, 1);
}

static void test_kendall_none(void **state)
{
	/* opposite rankings: R_i = 5 for every item = R̄ = 2*5/2 -> S = 0 -> W = 0 */
	const double opp[] = { 1, 2, 3, 4, 4, 3, 2, 1 };
	/* a Latin square: R_i = 6 = R̄ = 3*4/2 for every item -> W = 0 */
	const double latin[] = { 1, 2, 3, 2, 3, 1, 3, 1, 2 };
	double w;

	(void)state;
	assert_int_equal(stats_kendall_w(opp, 2, 4, &w), 0);
	EXACT(w, 0);
	assert_int_equal(stats_kendall_w(latin, 3, 3, &w), 0);
	EXACT(w, 0);
}

static void test_kendall_ties(void **state)
{
	/* rater 1: 1 2 3 4; rater 2: scores 1 1 3 4 -> ranks 1.5 1.5 3 4 (T = 2³-2 = 6);
	 * rater 3: scores 2 1 4 4 -> ranks 2 1 3.5 3.5 (T = 6).
	 * R = (1+1.5+2, 2+1.5+1, 3+3+3.5, 4+4+3.5) = (4.5, 4.5, 9.5, 11.5), Σ = 30 = 3*4*5/2.
	 * R̄ = 7.5; S = 9 + 9 + 4 + 16 = 38.
	 * W = 12*38 / (3²(4³-4) - 3*(6+6)) = 456 / (540 - 36) = 456/504 = 19/21. */
	const double x[] = { 1, 2, 3, 4, 1, 1, 3, 4, 2, 1, 4, 4 };
	double w;

	(void)state;
	assert_int_equal(stats_kendall_w(x, 3, 4, &w), 0);
	CLOSE(w, 19.0 / 21.0);
}

static void test_kendall_undefined(void **state)
{
	/* every rater ties every item: denominator 2²(27-3) - 2*(24+24) = 96 - 96 = 0 */
	const double tied[] = { 5, 5, 5, 7, 7, 7 };
	double w = 0;

	(void)state;
	assert_int_equal(stats_kendall_w(tied, 2, 3, &w), 0);
	IS_NAN(w);
	assert_int_equal(stats_kendall_w(tied, 6, 1, &w), 0); /* k = 1 */
	IS_NAN(w);
	assert_int_equal(stats_kendall_w(NULL, 0, 3, &w), 0); /* m = 0 */
	IS_NAN(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_value),
		cmocka_unit_test(test_two_values),
		cmocka_unit_test(test_one_to_four),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_all_equal),
		cmocka_unit_test(test_years),
		cmocka_unit_test(test_quantile_clamp_and_range),
		cmocka_unit_test(test_quantile_type6_fuzz),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_agreement),
		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_consensus),
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_wilcoxon_ties_z2),
		cmocka_unit_test(test_wilcoxon_ties_z_half),
		cmocka_unit_test(test_wilcoxon_no_ties),
		cmocka_unit_test(test_wilcoxon_r_transcript),
		cmocka_unit_test(test_wilcoxon_small),
		cmocka_unit_test(test_wilcoxon_empty),
		cmocka_unit_test(test_kendall_perfect),
		cmocka_unit_test(test_kendall_none),
		cmocka_unit_test(test_kendall_ties),
		cmocka_unit_test(test_kendall_undefined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
