/*
 * stats — the descriptive and test statistics of a Delphi round (domain.md §3), pure C, no I/O.
 *
 * Answers are small integers (ordinal label values 0..100, years), so the core representation is
 * a histogram (struct stats_hist): counts[i] answers equal min + i. Everything an aggregation
 * needs comes from counts in O(span) without sorting: n, mean, sample sd, Hyndman-Fan quantiles
 * of types 6 and 7 (from cumulative counts), the share of answers in a set of values. Wilcoxon's
 * signed-rank test on paired integer differences likewise takes histograms of |d| split by sign
 * (ranks with ties are averaged per histogram bin). General versions on arrays of doubles
 * (sorted-array quantiles, mean, sd, Wilcoxon by sorting, Kendall's W) serve the tests, rankings
 * and callers whose values are not small integers.
 *
 * Conventions: every statistic is computed in double precision. A result that is undefined or
 * empty (a mean of nothing, an sd of fewer than two values, a quantile of nothing, a share of a
 * zero total, a Wilcoxon test without a non-zero difference) is NAN: test with isnan(), store
 * as SQL NULL, print as empty. A NAN given as an input statistic propagates. Nothing here
 * allocates except stats_kendall_w; no function keeps a pointer it was given.
 *
 * Quantiles follow R's quantile() (Hyndman & Fan 1996), with x_(1) <= ... <= x_(n):
 *   type 7 (R's default): h = (n - 1)p + 1,
 *   type 6:               h = (n + 1)p, clamped to [1, n];
 *   Q(p) = x_(j) + g * (x_(j+1) - x_(j)),  j = floor(h), g = h - j  (x_(n+1) taken as x_(n)).
 * As R does for types 4..9, type 6 takes j = floor(h + 4 DBL_EPSILON) and interpolates only when
 * g >= 4 DBL_EPSILON (so 55 * (3/11), which evaluates to 14.999999999999998, gives x_(15)); type
 * 7 uses no fuzz, as in R.
 * For p in {0.25, 0.5, 0.75} and integer data every step is exact.
 */
#ifndef DELPHI_STATS_H
#define DELPHI_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_QUANTILE_DEFAULT 7 /* R's default; a survey may choose 6 */

/* A histogram of integer answers, borrowed: the caller owns counts.
 * Invariant: counts has span entries; counts[i] is how many answers equal min + i. span may be 0
 * (then counts may be NULL): the empty histogram. The total must fit in size_t. */
struct stats_hist {
	int min;
	size_t span;
	const uint32_t *counts;
};

/* ---- histograms: O(span) each ---- */

/* Number of answers, Σ counts. */
size_t stats_hist_n(const struct stats_hist *h);
/* Mean Σx/n; NAN when n = 0. */
double stats_hist_mean(const struct stats_hist *h);
/* Sample standard deviation sqrt(Σ(x - mean)² / (n - 1)); NAN when n < 2. Two passes over the
 * bins (mean first), so no cancellation from Σx². */
double stats_hist_sd(const struct stats_hist *h);
/* The k-th smallest answer x_(k), 1 <= k <= n; NAN when k is out of range. */
double stats_hist_order(const struct stats_hist *h, size_t k);
/* Q(p) of type 6 or 7 (see above) for 0 <= p <= 1; NAN when n = 0, p is outside [0, 1] or NAN,
 * or type is neither 6 nor 7. */
double stats_hist_quantile(const struct stats_hist *h, double p, int type);
/* Share of the answers whose value is one of values[0..n_values) (the agreement band:
 * domain.md §3 "agreement"), 0..1; NAN when n = 0. Values outside the histogram count 0;
 * duplicates in values count once. */
double stats_hist_share_in(const struct stats_hist *h, const int *values, size_t n_values);

struct stats_quartiles {
	double q1;     /* Q(0.25) */
	double median; /* Q(0.5) */
	double q3;     /* Q(0.75) */
	double iqr;    /* q3 - q1 */
};
/* Fills all four (NAN when n = 0 or type is neither 6 nor 7). */
void stats_hist_quartiles(const struct stats_hist *h, int type, struct stats_quartiles *out);

/* ---- arrays of doubles ---- */

/* Mean; NAN when n = 0. */
double stats_mean(const double *x, size_t n);
/* Sample sd (two-pass); NAN when n < 2. */
double stats_sd(const double *x, size_t n);
/* Sorts x ascending in place (qsort; x must hold no NAN). O(n log n). */
void stats_sort(double *x, size_t n);
/* Q(p) of type 6 or 7 of x, which must be sorted ascending; NAN as for stats_hist_quantile. */
double stats_quantile_sorted(const double *x, size_t n, double p, int type);
void stats_quartiles_sorted(const double *x, size_t n, int type, struct stats_quartiles *out);

/* ---- indices and shares ---- */

/* part / whole as a double; NAN when whole = 0. */
double stats_share(size_t part, size_t whole);
/* The weighted index of an ordinal scale: Σ w_k n_k / Σ n_k over the k labels (counts[i] answers
 * carried label i, whose weight is weights[i]; don't know is not a label and is not passed).
 * NAN when Σ n_k = 0. */
double stats_index(const uint32_t *counts, const double *weights, size_t k);
/* Multi-select: shares[o] = fraction of the n answers (option bit masks, bit o = option o
 * selected) that selected option o, for o < n_options (<= 64). Bits at or above n_options are
 * ignored. Every shares[o] is NAN when n = 0. O(n * n_options). */
void stats_option_shares(const uint64_t *masks, size_t n, size_t n_options, double *shares);

/* ---- consensus (domain.md §3; thresholds come from the survey definition) ---- */

enum stats_verdict {
	STATS_UNDEFINED = -1, /* an input statistic is NAN (e.g. no valid answer) */
	STATS_NO = 0,
	STATS_YES = 1,
};
/* Ordinal rule: iqr <= max_iqr and (agreement >= agree_high or agreement <= agree_low). */
enum stats_verdict stats_consensus_ordinal(double iqr, double agreement, double max_iqr,
					   double agree_high, double agree_low);
/* Year rule: iqr <= max_iqr. */
enum stats_verdict stats_consensus_year(double iqr, double max_iqr);

/* ---- Wilcoxon signed-rank test on paired differences d_i = x_i(r) - x_i(r-1) ----
 *
 * Zeros are dropped (N non-zero differences remain); |d| is ranked 1..N with average ranks for
 * ties; W+ = Σ ranks of positive d; with E = N(N+1)/4,
 *   σ² = N(N+1)(2N+1)/24 - Σ_t (t³ - t)/48 over tie groups of |d|,
 *   z  = (W+ - E - 0.5·sign(W+ - E)) / σ        (continuity correction; sign(0) = 0),
 *   p  = 2(1 - Φ(|z|)), computed as erfc(|z|/√2) (the same quantity, without cancellation).
 * This is R's wilcox.test(x_r, x_prev, paired = TRUE, exact = FALSE, correct = TRUE).
 *
 * N = 0 (no pair, or every difference zero): the test is undefined: z = p = NAN, w_plus = 0,
 * sigma = 0. This is exactly R's case of σ = 0 (R then reports z and p as NaN): for N >= 1,
 * σ² >= its value when all N differences tie, N(N+1)(2N+1)/24 - (N³ - N)/48 = N(N+1)²/16 > 0,
 * so σ > 0 whenever the test is defined and no other case needs handling. */
struct stats_wilcoxon {
	size_t n;      /* N, the non-zero differences */
	double w_plus; /* W+ */
	double ties;   /* Σ (t³ - t) over tie groups */
	double sigma;  /* σ; 0 when N = 0 */
	double z;      /* NAN when N = 0 */
	double p;      /* two-sided, 0..1; NAN when N = 0 */
};

/* From histograms of the differences by absolute value: pos[a] differences equal +a, neg[a]
 * equal -a, for 0 <= a < range (entries at a = 0, zero differences, are ignored: dropped).
 * Ranks come from cumulative counts in O(range): bin a holds t = pos[a] + neg[a] tied values
 * with average rank (ranks below) + (t + 1)/2. */
void stats_wilcoxon_hist(const uint32_t *pos, const uint32_t *neg, size_t range,
			 struct stats_wilcoxon *out);
/* From any n differences (no NAN); scratch must hold n doubles (contents clobbered; it may not
 * alias d). Sorts: O(n log n). Exact ties only (no tolerance). */
void stats_wilcoxon(const double *d, size_t n, double *scratch, struct stats_wilcoxon *out);

/* Φ(z), the standard normal CDF, as erfc(-z/√2)/2. */
double stats_normal_cdf(double z);
/* 2(1 - Φ(|z|)) = erfc(|z|/√2); NAN for NAN. */
double stats_normal_p2(double z);

/* ---- Kendall's coefficient of concordance W, with tie correction ----
 *
 * scores[j*k + i] is rater j's score of item i (m raters, k items; no NAN). Each rater's scores
 * are ranked 1..k (ascending: the smallest score gets rank 1), ties get average ranks; scores
 * that already are ranks (1..k, possibly tied) keep their values. With R_i = Σ_j rank_ji,
 * R̄ = m(k+1)/2, S = Σ_i (R_i - R̄)², T_j = Σ (t³ - t) over rater j's tie groups:
 *   W = 12 S / (m²(k³ - k) - m Σ_j T_j).
 * Sets *w (0..1) and returns 0; *w is NAN when m = 0, k < 2 or the denominator is 0 (every rater
 * tied every item). Returns -1 (and *w = NAN) when out of memory: allocates O(k) scratch.
 * O(m k log k). */
int stats_kendall_w(const double *scores, size_t m, size_t k, double *w);

#endif
