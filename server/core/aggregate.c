/*
 * aggregate — one topic x question of a round, every group at once: a single pass over the
 * round's answers fills per-group histograms (values, specials, selected options), a merge with
 * the previous round's answers fills per-group histograms of paired differences, and the rows
 * are then read off the histograms with stats.h. Contracts in aggregate.h.
 */
#include "aggregate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS (AGG_N_GROUPS * SURVEY_MAX_OPTIONS)
#define ORDINAL_VALUE_MAX 100 /* label values are 0..100 (survey format) */

struct group_acc {
	size_t n_answers;
	size_t n_valid;
	size_t n_special[4]; /* indexed by enum answer_special */
	size_t n_paired;
	size_t n_changed; /* numeric questions; multi rows count per option */
	uint64_t sum_abs; /* Σ |d| over paired respondents (numeric questions) */
};

struct agg {
	/* numeric questions: AGG_N_GROUPS blocks of span bins each */
	uint32_t *hist; /* value histograms (a year row's distribution points into it) */
	uint32_t *pos;  /* paired differences +a, a = 0..span-1 */
	uint32_t *neg;  /* paired differences -a */
	size_t cap;     /* entries allocated in each of hist, pos, neg */

	uint32_t labels[AGG_N_GROUPS][SURVEY_MAX_LABELS];     /* ordinal distributions */
	uint32_t selected[AGG_N_GROUPS][SURVEY_MAX_OPTIONS];  /* multi */
	uint32_t switch_on[AGG_N_GROUPS][SURVEY_MAX_OPTIONS]; /* multi paired: 0 -> 1 */
	uint32_t switch_off[AGG_N_GROUPS][SURVEY_MAX_OPTIONS]; /* multi paired: 1 -> 0 */
	struct group_acc acc[AGG_N_GROUPS];

	struct agg_row rows[MAX_ROWS];
	char rule[160];
};

/* The question's shape for one call. */
struct shape {
	const struct survey_question *q;
	int lo;      /* numeric: value of bin 0 */
	size_t span; /* numeric: bins; 0 for multi */
	signed char label_of[ORDINAL_VALUE_MAX + 1]; /* ordinal: value -> label index, or -1 */
};

static const char *const group_names[AGG_N_GROUPS] = {
	"all", "expert", "academia", "industry", "government", "other",
};

const char *agg_group_name(enum agg_group g)
{
	if ((int)g < 0 || (int)g >= AGG_N_GROUPS)
		return NULL;
	return group_names[g];
}

int agg_group_parse(const char *s)
{
	for (int g = 0; g < AGG_N_GROUPS; g++)
		if (strcmp(s, group_names[g]) == 0)
			return g;
	return -1;
}

void agg_mark_expert(struct agg_answer *a, size_t n, const struct agg_answer *expertise,
		     size_t n_exp, int64_t high)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		bool expert = false;

		while (j < n_exp && expertise[j].expert_id < a[i].expert_id)
			j++;
		if (j < n_exp && expertise[j].expert_id == a[i].expert_id)
			expert = expertise[j].special == ANSWER_VALUE && expertise[j].num == high;
		if (expert)
			a[i].groups |= AGG_GROUP_BIT(AGG_EXPERT);
		else
			a[i].groups &= ~AGG_GROUP_BIT(AGG_EXPERT);
	}
}

struct agg *agg_new(void)
{
	return calloc(1, sizeof(struct agg));
}

void agg_free(struct agg *ag)
{
	if (ag == NULL)
		return;
	free(ag->hist);
	free(ag->pos);
	free(ag->neg);
	free(ag);
}

int agg_dist_value(const struct survey_question *q, size_t i)
{
	if (q->kind == SURVEY_ORDINAL)
		return q->labels[i].value;
	return q->year_min + (int)i;
}

/* Our own spelling of the specials: answer.c is not needed to link the aggregator. */
static const char *special_name(enum answer_special sp)
{
	switch (sp) {
	case ANSWER_DONT_KNOW:
		return "dont_know";
	case ANSWER_ALREADY:
		return "already";
	case ANSWER_NEVER:
		return "never";
	case ANSWER_VALUE:
		break;
	}
	return "value";
}

static const char *qkey(const struct survey_question *q)
{
	return q->key != NULL ? q->key : "?";
}

static int shape_init(struct shape *sh, const struct survey_question *q, char *err)
{
	memset(sh, 0, sizeof *sh);
	sh->q = q;
	switch (q->kind) {
	case SURVEY_ORDINAL: {
		int lo = ORDINAL_VALUE_MAX, hi = 0;

		if (q->n_labels == 0 || q->n_labels > SURVEY_MAX_LABELS) {
			snprintf(err, AGG_ERR_MAX, "question \"%s\" has %zu labels", qkey(q),
				 q->n_labels);
			return -1;
		}
		memset(sh->label_of, -1, sizeof sh->label_of);
		for (size_t i = 0; i < q->n_labels; i++) {
			int v = q->labels[i].value;

			if (v < 0 || v > ORDINAL_VALUE_MAX) {
				snprintf(err, AGG_ERR_MAX,
					 "question \"%s\": label value %d is outside 0..%d",
					 qkey(q), v, ORDINAL_VALUE_MAX);
				return -1;
			}
			sh->label_of[v] = (signed char)i;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		sh->lo = lo;
		sh->span = (size_t)(hi - lo) + 1;
		break;
	}
	case SURVEY_YEAR:
		if (q->year_max < q->year_min || q->year_max - q->year_min > 100000) {
			snprintf(err, AGG_ERR_MAX, "question \"%s\": bad year range %d..%d",
				 qkey(q), q->year_min, q->year_max);
			return -1;
		}
		sh->lo = q->year_min;
		sh->span = (size_t)(q->year_max - q->year_min) + 1;
		break;
	case SURVEY_MULTI:
		if (q->n_options == 0 || q->n_options > SURVEY_MAX_OPTIONS) {
			snprintf(err, AGG_ERR_MAX, "question \"%s\" has %zu options", qkey(q),
				 q->n_options);
			return -1;
		}
		break;
	case SURVEY_TEXT:
		break;
	}
	return 0;
}

/* Checks one answer against the question; for a valid numeric answer sets *bin. */
static int check_answer(const struct shape *sh, const struct agg_answer *a, const char *round,
			size_t *bin, char *err)
{
	const struct survey_question *q = sh->q;
	long long id = (long long)a->expert_id, v = (long long)a->num;
	unsigned need;

	switch (a->special) {
	case ANSWER_VALUE:
		break;
	case ANSWER_DONT_KNOW:
		need = SURVEY_SPECIAL_DONT_KNOW;
		goto special;
	case ANSWER_ALREADY:
		need = SURVEY_SPECIAL_ALREADY;
		goto special;
	case ANSWER_NEVER:
		need = SURVEY_SPECIAL_NEVER;
		goto special;
	default:
		snprintf(err, AGG_ERR_MAX, "%sexpert %lld: bad special code %d", round, id,
			 (int)a->special);
		return -1;
	}

	switch (q->kind) {
	case SURVEY_ORDINAL:
		if (v < 0 || v > ORDINAL_VALUE_MAX || sh->label_of[v] < 0) {
			snprintf(err, AGG_ERR_MAX,
				 "%sexpert %lld: %lld is not a label value of \"%s\"", round, id,
				 v, qkey(q));
			return -1;
		}
		*bin = (size_t)(v - sh->lo);
		return 0;
	case SURVEY_YEAR:
		if (v < q->year_min || v > q->year_max) {
			snprintf(err, AGG_ERR_MAX,
				 "%sexpert %lld: year %lld is outside %d..%d of \"%s\"", round,
				 id, v, q->year_min, q->year_max, qkey(q));
			return -1;
		}
		*bin = (size_t)(v - sh->lo);
		return 0;
	case SURVEY_MULTI:
		if (a->num < 0 || ((uint64_t)a->num >> q->n_options) != 0) {
			snprintf(err, AGG_ERR_MAX,
				 "%sexpert %lld: option mask %#llx has bits beyond the %zu "
				 "options of \"%s\"",
				 round, id, (unsigned long long)a->num, q->n_options, qkey(q));
			return -1;
		}
		return 0;
	case SURVEY_TEXT:
		return 0;
	}
	return 0;

special:
	if ((q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR) || (q->specials & need) == 0) {
		snprintf(err, AGG_ERR_MAX,
			 "%sexpert %lld: special answer \"%s\" is not allowed for \"%s\"",
			 round, id, special_name(a->special), qkey(q));
		return -1;
	}
	return 0;
}

static int check_sorted(const struct agg_answer *a, size_t n, const char *round, char *err)
{
	if (n > UINT32_MAX) {
		snprintf(err, AGG_ERR_MAX, "%stoo many answers (%zu)", round, n);
		return -1;
	}
	for (size_t i = 1; i < n; i++) {
		if (a[i].expert_id <= a[i - 1].expert_id) {
			snprintf(err, AGG_ERR_MAX,
				 "%sanswers are not sorted by expert_id: %" PRId64
				 " after %" PRId64,
				 round, a[i].expert_id, a[i - 1].expert_id);
			return -1;
		}
	}
	return 0;
}

static int reserve(struct agg *ag, size_t need, char *err)
{
	uint32_t *h, *p, *n;

	if (need <= ag->cap)
		return 0;
	h = realloc(ag->hist, need * sizeof *h);
	if (h != NULL)
		ag->hist = h;
	p = realloc(ag->pos, need * sizeof *p);
	if (p != NULL)
		ag->pos = p;
	n = realloc(ag->neg, need * sizeof *n);
	if (n != NULL)
		ag->neg = n;
	if (h == NULL || p == NULL || n == NULL) {
		snprintf(err, AGG_ERR_MAX, "out of memory");
		return -1;
	}
	ag->cap = need;
	return 0;
}

/* Round r: fills the per-group value histograms, special counts and option counts. */
static int count_round(struct agg *ag, const struct shape *sh, const struct agg_input *in,
		       char *err)
{
	for (size_t i = 0; i < in->n_cur; i++) {
		const struct agg_answer *a = &in->cur[i];
		unsigned groups = a->groups & in->groups;
		size_t bin = 0;

		if (check_answer(sh, a, "", &bin, err) < 0)
			return -1;
		for (int g = 0; g < AGG_N_GROUPS; g++) {
			struct group_acc *acc = &ag->acc[g];

			if ((groups & AGG_GROUP_BIT(g)) == 0)
				continue;
			acc->n_answers++;
			if (a->special != ANSWER_VALUE) {
				acc->n_special[a->special]++;
				continue;
			}
			acc->n_valid++;
			if (sh->q->kind == SURVEY_MULTI) {
				uint64_t mask = (uint64_t)a->num;

				for (size_t o = 0; o < sh->q->n_options; o++)
					ag->selected[g][o] += (uint32_t)((mask >> o) & 1u);
			} else {
				ag->hist[(size_t)g * sh->span + bin]++;
			}
		}
	}
	return 0;
}

/* Adds one paired respondent (valid answers x in round r, y in round r-1) to its groups. */
static void add_pair(struct agg *ag, const struct shape *sh, unsigned groups, int64_t x,
		     int64_t y)
{
	for (int g = 0; g < AGG_N_GROUPS; g++) {
		struct group_acc *acc = &ag->acc[g];

		if ((groups & AGG_GROUP_BIT(g)) == 0)
			continue;
		acc->n_paired++;
		if (sh->q->kind == SURVEY_MULTI) {
			uint64_t on = (uint64_t)x & ~(uint64_t)y, off = (uint64_t)y & ~(uint64_t)x;

			for (size_t o = 0; o < sh->q->n_options; o++) {
				ag->switch_on[g][o] += (uint32_t)((on >> o) & 1u);
				ag->switch_off[g][o] += (uint32_t)((off >> o) & 1u);
			}
		} else if (x != y) {
			/* both lie in [lo, lo + span), so |x - y| < span */
			uint64_t d = (uint64_t)(x > y ? x - y : y - x);

			acc->n_changed++;
			acc->sum_abs += d;
			if (x > y)
				ag->pos[(size_t)g * sh->span + d]++;
			else
				ag->neg[(size_t)g * sh->span + d]++;
		}
	}
}

/* Round r-1: checks its answers and merges them with round r's by expert_id. */
static int pair_rounds(struct agg *ag, const struct shape *sh, const struct agg_input *in,
		       char *err)
{
	size_t i = 0;

	for (size_t j = 0; j < in->n_prev; j++) {
		const struct agg_answer *b = &in->prev[j];
		size_t bin = 0;

		if (check_answer(sh, b, "previous round: ", &bin, err) < 0)
			return -1;
		while (i < in->n_cur && in->cur[i].expert_id < b->expert_id)
			i++;
		if (i == in->n_cur)
			continue; /* still checking the rest of prev */
		if (in->cur[i].expert_id == b->expert_id && in->cur[i].special == ANSWER_VALUE &&
		    b->special == ANSWER_VALUE)
			add_pair(ag, sh, in->cur[i].groups & in->groups, in->cur[i].num, b->num);
	}
	return 0;
}

static double special_share(const struct survey_question *q, const struct group_acc *acc,
			    unsigned allowed, enum answer_special sp)
{
	if ((q->specials & allowed) == 0)
		return NAN;
	return stats_share(acc->n_special[sp], acc->n_answers);
}

/* The fields every row of group g shares. */
static void row_common(struct agg *ag, const struct agg_input *in, int g, struct agg_row *row)
{
	const struct survey_question *q = in->q;
	const struct group_acc *acc = &ag->acc[g];
	bool numeric = q->kind != SURVEY_MULTI;

	memset(row, 0, sizeof *row);
	row->group = (enum agg_group)g;
	row->option = -1;
	row->n_answers = acc->n_answers;
	row->n = acc->n_valid;
	row->n_dont_know = acc->n_special[ANSWER_DONT_KNOW];
	row->n_already = acc->n_special[ANSWER_ALREADY];
	row->n_never = acc->n_special[ANSWER_NEVER];
	row->dont_know = NAN;
	row->already = NAN;
	row->never = NAN;
	if (numeric) {
		row->dont_know = special_share(q, acc, SURVEY_SPECIAL_DONT_KNOW, ANSWER_DONT_KNOW);
		row->already = special_share(q, acc, SURVEY_SPECIAL_ALREADY, ANSWER_ALREADY);
		row->never = special_share(q, acc, SURVEY_SPECIAL_NEVER, ANSWER_NEVER);
	}
	row->mean = row->sd = row->q1 = row->median = row->q3 = row->iqr = NAN;
	row->index = row->agreement = row->share = NAN;
	row->consensus = STATS_UNDEFINED;
	row->consensus_rule = NULL;
	row->paired = in->has_prev;
	row->n_paired = in->has_prev ? acc->n_paired : 0;
	row->changed = row->mean_abs_change = NAN;
	row->wilcoxon.z = row->wilcoxon.p = NAN;
	row->wilcoxon_z = row->wilcoxon_p = NAN;
}

static void row_numeric(struct agg *ag, const struct shape *sh, const struct agg_input *in,
			int g, struct agg_row *row)
{
	const struct survey_question *q = in->q;
	const struct group_acc *acc = &ag->acc[g];
	struct stats_hist h = { sh->lo, sh->span, ag->hist + (size_t)g * sh->span };
	struct stats_quartiles qs;

	row_common(ag, in, g, row);
	row->mean = stats_hist_mean(&h);
	row->sd = stats_hist_sd(&h);
	stats_hist_quartiles(&h, in->quantile_type, &qs);
	row->q1 = qs.q1;
	row->median = qs.median;
	row->q3 = qs.q3;
	row->iqr = qs.iqr;
	row->consensus_rule = ag->rule;

	if (q->kind == SURVEY_ORDINAL) {
		double weights[SURVEY_MAX_LABELS];

		for (size_t i = 0; i < q->n_labels; i++) {
			ag->labels[g][i] = h.counts[q->labels[i].value - sh->lo];
			weights[i] = q->labels[i].weight;
		}
		row->index = stats_index(ag->labels[g], weights, q->n_labels);
		if (q->n_agreement > 0) {
			row->agreement = stats_hist_share_in(&h, q->agreement, q->n_agreement);
		} else { /* default band: the two highest label values */
			int band[2], top = sh->lo + (int)sh->span - 1;
			size_t n_band = 0;

			band[n_band++] = top;
			for (int v = top - 1; v >= sh->lo; v--) {
				if (sh->label_of[v] >= 0) {
					band[n_band++] = v;
					break;
				}
			}
			row->agreement = stats_hist_share_in(&h, band, n_band);
		}
		row->consensus = stats_consensus_ordinal(row->iqr, row->agreement,
							 q->consensus.max_iqr,
							 q->consensus.agree_high,
							 q->consensus.agree_low);
		row->dist = ag->labels[g];
		row->n_dist = q->n_labels;
	} else {
		row->consensus = stats_consensus_year(row->iqr, q->consensus.max_iqr);
		row->dist = h.counts;
		row->n_dist = sh->span;
	}

	if (in->has_prev) {
		row->n_changed = acc->n_changed;
		row->changed = stats_share(acc->n_changed, acc->n_paired);
		row->mean_abs_change =
			acc->n_paired == 0 ? NAN : (double)acc->sum_abs / (double)acc->n_paired;
		stats_wilcoxon_hist(ag->pos + (size_t)g * sh->span, ag->neg + (size_t)g * sh->span,
				    sh->span, &row->wilcoxon);
		row->wilcoxon_z = row->wilcoxon.z;
		row->wilcoxon_p = row->wilcoxon.p;
	}
}

static void row_option(struct agg *ag, const struct agg_input *in, int g, size_t o,
		       struct agg_row *row)
{
	const struct group_acc *acc = &ag->acc[g];

	row_common(ag, in, g, row);
	row->option = (int)o;
	row->n_selected = ag->selected[g][o];
	row->share = stats_share(row->n_selected, acc->n_valid);
	if (in->has_prev) {
		uint32_t pos[2] = { 0, ag->switch_on[g][o] }, neg[2] = { 0, ag->switch_off[g][o] };

		row->n_changed = (size_t)pos[1] + neg[1];
		row->changed = stats_share(row->n_changed, acc->n_paired);
		row->mean_abs_change = row->changed; /* |d| is 0 or 1 */
		stats_wilcoxon_hist(pos, neg, 2, &row->wilcoxon);
		row->wilcoxon_z = row->wilcoxon.z;
		row->wilcoxon_p = row->wilcoxon.p;
	}
}

static void format_rule(struct agg *ag, const struct survey_question *q)
{
	const struct survey_consensus *c = &q->consensus;

	if (q->kind == SURVEY_ORDINAL)
		snprintf(ag->rule, sizeof ag->rule,
			 "iqr <= %g and (agreement >= %g or agreement <= %g)", c->max_iqr,
			 c->agree_high, c->agree_low);
	else
		snprintf(ag->rule, sizeof ag->rule, "iqr <= %g", c->max_iqr);
}

int agg_question(struct agg *ag, const struct agg_input *in, const struct agg_row **rows,
		 size_t *n_rows, char err[AGG_ERR_MAX])
{
	const struct survey_question *q = in->q;
	struct shape sh;
	size_t nr = 0;
	int rc = -1;

	*rows = NULL;
	*n_rows = 0;
	err[0] = '\0';
	if (in->quantile_type != 6 && in->quantile_type != 7) {
		snprintf(err, AGG_ERR_MAX, "quantile type %d is neither 6 nor 7",
			 in->quantile_type);
		goto out;
	}
	if (shape_init(&sh, q, err) < 0)
		goto out;
	if (q->kind == SURVEY_TEXT) {
		*rows = ag->rows;
		rc = 0;
		goto out;
	}
	if (check_sorted(in->cur, in->n_cur, "", err) < 0 ||
	    (in->has_prev && check_sorted(in->prev, in->n_prev, "previous round: ", err) < 0))
		goto out;
	if (reserve(ag, AGG_N_GROUPS * sh.span, err) < 0)
		goto out;

	memset(ag->acc, 0, sizeof ag->acc);
	if (sh.span > 0) {
		memset(ag->hist, 0, AGG_N_GROUPS * sh.span * sizeof *ag->hist);
		memset(ag->pos, 0, AGG_N_GROUPS * sh.span * sizeof *ag->pos);
		memset(ag->neg, 0, AGG_N_GROUPS * sh.span * sizeof *ag->neg);
	}
	if (q->kind == SURVEY_MULTI) {
		memset(ag->selected, 0, sizeof ag->selected);
		memset(ag->switch_on, 0, sizeof ag->switch_on);
		memset(ag->switch_off, 0, sizeof ag->switch_off);
	}

	if (count_round(ag, &sh, in, err) < 0)
		goto out;
	if (in->has_prev && pair_rounds(ag, &sh, in, err) < 0)
		goto out;

	if (q->kind == SURVEY_MULTI) {
		for (size_t o = 0; o < q->n_options; o++)
			for (int g = 0; g < AGG_N_GROUPS; g++)
				if (in->groups & AGG_GROUP_BIT(g))
					row_option(ag, in, g, o, &ag->rows[nr++]);
	} else {
		format_rule(ag, q);
		for (int g = 0; g < AGG_N_GROUPS; g++)
			if (in->groups & AGG_GROUP_BIT(g))
				row_numeric(ag, &sh, in, g, &ag->rows[nr++]);
	}
	*rows = ag->rows;
	*n_rows = nr;
	rc = 0;
out:
	return rc;
}

void agg_distribution_json(const struct survey_question *q, const struct agg_row *row,
			   struct buf *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} specials[] = {
		{ SURVEY_SPECIAL_DONT_KNOW, "dont_know" },
		{ SURVEY_SPECIAL_ALREADY, "already" },
		{ SURVEY_SPECIAL_NEVER, "never" },
	};
	const size_t counts[] = { row->n_dont_know, row->n_already, row->n_never };
	bool first = true;

	if (q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR)
		return;
	buf_addch(out, '{');
	for (size_t i = 0; i < row->n_dist; i++) {
		if (q->kind == SURVEY_YEAR && row->dist[i] == 0)
			continue;
		buf_printf(out, "%s\"%d\":%" PRIu32, first ? "" : ",", agg_dist_value(q, i),
			   row->dist[i]);
		first = false;
	}
	for (size_t s = 0; s < sizeof specials / sizeof specials[0]; s++) {
		if ((q->specials & specials[s].bit) == 0)
			continue;
		buf_printf(out, "%s\"%s\":%zu", first ? "" : ",", specials[s].name, counts[s]);
		first = false;
	}
	buf_addch(out, '}');
}
