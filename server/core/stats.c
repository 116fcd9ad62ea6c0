/*
 * stats — descriptive statistics from histograms and arrays, Wilcoxon's signed-rank test and
 * Kendall's W. The contracts and the exact definitions are in stats.h.
 */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define QUANTILE_FUZZ (4 * DBL_EPSILON) /* R's fuzz for types 4..9 */

/* ---- quantile position ---- */

/* Resolves Q(p) of n sorted values to x_(j) + g (x_(j+1) - x_(j)): sets *j (1..n) and *g
 * (0 <= g < 1; 0 when j = n). Returns -1 when Q(p) is undefined. */
static int quantile_pos(size_t n, double p, int type, size_t *j, double *g)
{
	double h, fl;

	if (n == 0 || !(p >= 0.0 && p <= 1.0))
		return -1;
	if (type == 7) {
		h = (double)(n - 1) * p + 1.0;
		fl = floor(h);
		*g = h - fl;
	} else if (type == 6) {
		h = (double)(n + 1) * p;
		if (h < 1.0)
			h = 1.0;
		if (h > (double)n)
			h = (double)n;
		fl = floor(h + QUANTILE_FUZZ);
		*g = h - fl;
		if (*g < QUANTILE_FUZZ) /* R: interpolate only when fuzz <= g < 1 */
			*g = 0.0;
	} else {
		return -1;
	}
	*j = (size_t)fl;
	if (*j < 1) { /* only reachable through rounding; keep the invariant */
		*j = 1;
		*g = 0.0;
	}
	if (*j >= n) {
		*j = n;
		*g = 0.0;
	}
	return 0;
}

/* ---- histograms ---- */

size_t stats_hist_n(const struct stats_hist *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->span; i++)
		n += h->counts[i];
	return n;
}

double stats_hist_mean(const struct stats_hist *h)
{
	size_t n = 0;
	double sum = 0.0;

	for (size_t i = 0; i < h->span; i++) {
		n += h->counts[i];
		sum += (double)h->counts[i] * ((double)h->min + (double)i);
	}
	return n == 0 ? NAN : sum / (double)n;
}

double stats_hist_sd(const struct stats_hist *h)
{
	size_t n = stats_hist_n(h);
	double mean, ss = 0.0;

	if (n < 2)
		return NAN;
	mean = stats_hist_mean(h);
	for (size_t i = 0; i < h->span; i++) {
		double d = (double)h->min + (double)i - mean;

		ss += (double)h->counts[i] * d * d;
	}
	return sqrt(ss / (double)(n - 1));
}

double stats_hist_order(const struct stats_hist *h, size_t k)
{
	size_t cum = 0;

	if (k == 0)
		return NAN;
	for (size_t i = 0; i < h->span; i++) {
		cum += h->counts[i];
		if (cum >= k)
			return (double)h->min + (double)i;
	}
	return NAN;
}

double stats_hist_quantile(const struct stats_hist *h, double p, int type)
{
	size_t j;
	double g, lo, hi;

	if (quantile_pos(stats_hist_n(h), p, type, &j, &g) < 0)
		return NAN;
	lo = stats_hist_order(h, j);
	if (g == 0.0)
		return lo;
	hi = stats_hist_order(h, j + 1);
	return lo + g * (hi - lo);
}

double stats_hist_share_in(const struct stats_hist *h, const int *values, size_t n_values)
{
	size_t n = stats_hist_n(h), in = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < h->span; i++) {
		int v = h->min + (int)i;

		if (h->counts[i] == 0)
			continue;
		for (size_t k = 0; k < n_values; k++) {
			if (values[k] == v) {
				in += h->counts[i];
				break;
			}
		}
	}
	return (double)in / (double)n;
}

void stats_hist_quartiles(const struct stats_hist *h, int type, struct stats_quartiles *out)
{
	out->q1 = stats_hist_quantile(h, 0.25, type);
	out->median = stats_hist_quantile(h, 0.5, type);
	out->q3 = stats_hist_quantile(h, 0.75, type);
	out->iqr = out->q3 - out->q1;
}

/* ---- arrays ---- */

double stats_mean(const double *x, size_t n)
{
	double sum = 0.0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return sum / (double)n;
}

double stats_sd(const double *x, size_t n)
{
	double mean, ss = 0.0;

	if (n < 2)
		return NAN;
	mean = stats_mean(x, n);
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	return sqrt(ss / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort(double *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof *x, cmp_double);
}

double stats_quantile_sorted(const double *x, size_t n, double p, int type)
{
	size_t j;
	double g;

	if (quantile_pos(n, p, type, &j, &g) < 0)
		return NAN;
	if (g == 0.0)
		return x[j - 1];
	return x[j - 1] + g * (x[j] - x[j - 1]);
}

void stats_quartiles_sorted(const double *x, size_t n, int type, struct stats_quartiles *out)
{
	out->q1 = stats_quantile_sorted(x, n, 0.25, type);
	out->median = stats_quantile_sorted(x, n, 0.5, type);
	out->q3 = stats_quantile_sorted(x, n, 0.75, type);
	out->iqr = out->q3 - out->q1;
}

/* ---- indices and shares ---- */

double stats_share(size_t part, size_t whole)
{
	return whole == 0 ? NAN : (double)part / (double)whole;
}

double stats_index(const uint32_t *counts, const double *weights, size_t k)
{
	size_t n = 0;
	double sum = 0.0;

	for (size_t i = 0; i < k; i++) {
		n += counts[i];
		sum += weights[i] * (double)counts[i];
	}
	return n == 0 ? NAN : sum / (double)n;
}

void stats_option_shares(const uint64_t *masks, size_t n, size_t n_options, double *shares)
{
	if (n_options > 64)
		n_options = 64;
	for (size_t o = 0; o < n_options; o++) {
		size_t sel = 0;

		for (size_t i = 0; i < n; i++)
			sel += (size_t)((masks[i] >> o) & 1u);
		shares[o] = stats_share(sel, n);
	}
}

/* ---- consensus ---- */

enum stats_verdict stats_consensus_ordinal(double iqr, double agreement, double max_iqr,
					   double agree_high, double agree_low)
{
	if (isnan(iqr) || isnan(agreement) || isnan(max_iqr) || isnan(agree_high) ||
	    isnan(agree_low))
		return STATS_UNDEFINED;
	return (iqr <= max_iqr && (agreement >= agree_high || agreement <= agree_low)) ? STATS_YES
										       : STATS_NO;
}

enum stats_verdict stats_consensus_year(double iqr, double max_iqr)
{
	if (isnan(iqr) || isnan(max_iqr))
		return STATS_UNDEFINED;
	return iqr <= max_iqr ? STATS_YES : STATS_NO;
}

/* ---- Wilcoxon ---- */

double stats_normal_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double stats_normal_p2(double z)
{
	return erfc(fabs(z) / M_SQRT2);
}

/* Completes *out from N, W+ and Σ(t³ - t). */
static void wilcoxon_finish(struct stats_wilcoxon *out)
{
	double nn = (double)out->n, e, dev, var;

	if (out->n == 0) {
		out->w_plus = 0.0;
		out->sigma = 0.0;
		out->z = NAN;
		out->p = NAN;
		return;
	}
	e = nn * (nn + 1.0) / 4.0;
	var = nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0 - out->ties / 48.0;
	out->sigma = sqrt(var);
	dev = out->w_plus - e;
	if (dev > 0)
		dev -= 0.5;
	else if (dev < 0)
		dev += 0.5;
	out->z = dev / out->sigma;
	out->p = stats_normal_p2(out->z);
}

void stats_wilcoxon_hist(const uint32_t *pos, const uint32_t *neg, size_t range,
			 struct stats_wilcoxon *out)
{
	size_t below = 0; /* ranks taken by smaller |d| */

	out->w_plus = 0.0;
	out->ties = 0.0;
	for (size_t a = 1; a < range; a++) {
		size_t t = (size_t)pos[a] + neg[a];
		double td = (double)t;

		if (t == 0)
			continue;
		/* the tie group holds ranks below+1 .. below+t */
		out->w_plus += (double)pos[a] * ((double)below + (td + 1.0) / 2.0);
		out->ties += td * td * td - td;
		below += t;
	}
	out->n = below;
	wilcoxon_finish(out);
}

static int cmp_abs(const void *a, const void *b)
{
	double x = fabs(*(const double *)a), y = fabs(*(const double *)b);

	return (x > y) - (x < y);
}

void stats_wilcoxon(const double *d, size_t n, double *scratch, struct stats_wilcoxon *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (d[i] != 0.0)
			scratch[m++] = d[i];
	if (m > 1)
		qsort(scratch, m, sizeof *scratch, cmp_abs);
	out->w_plus = 0.0;
	out->ties = 0.0;
	for (size_t i = 0; i < m;) {
		size_t e = i + 1;
		double t, rank;

		while (e < m && fabs(scratch[e]) == fabs(scratch[i]))
			e++;
		t = (double)(e - i);
		rank = (double)i + (t + 1.0) / 2.0;
		for (size_t k = i; k < e; k++)
			if (scratch[k] > 0)
				out->w_plus += rank;
		out->ties += t * t * t - t;
		i = e;
	}
	out->n = m;
	wilcoxon_finish(out);
}

/* ---- Kendall's W ---- */

struct scored {
	double v;
	size_t i;
};

static int cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->i > y->i) - (x->i < y->i);
}

int stats_kendall_w(const double *scores, size_t m, size_t k, double *w)
{
	struct scored *row = NULL;
	double *rsum = NULL;
	double sum_t = 0.0, mean_r, s = 0.0, kk = (double)k, mm = (double)m, denom;
	int rc = -1;

	*w = NAN;
	if (m == 0 || k < 2) {
		rc = 0;
		goto out;
	}
	row = malloc(k * sizeof *row);
	rsum = calloc(k, sizeof *rsum);
	if (row == NULL || rsum == NULL)
		goto out;
	for (size_t j = 0; j < m; j++) {
		for (size_t i = 0; i < k; i++) {
			row[i].v = scores[j * k + i];
			row[i].i = i;
		}
		qsort(row, k, sizeof *row, cmp_scored);
		for (size_t a = 0; a < k;) {
			size_t e = a + 1;
			double t;

			while (e < k && row[e].v == row[a].v)
				e++;
			t = (double)(e - a);
			for (size_t b = a; b < e; b++)
				rsum[row[b].i] += (double)a + (t + 1.0) / 2.0;
			sum_t += t * t * t - t;
			a = e;
		}
	}
	mean_r = mm * (kk + 1.0) / 2.0;
	for (size_t i = 0; i < k; i++)
		s += (rsum[i] - mean_r) * (rsum[i] - mean_r);
	denom = mm * mm * (kk * kk * kk - kk) - mm * sum_t;
	if (denom > 0.0)
		*w = 12.0 * s / denom;
	rc = 0;
out:
	free(row);
	free(rsum);
	return rc;
}
