/*
 * aggregate — the statistics of one (round, topic, question) for every respondent group: the
 * computation the aggregation pass calls once per topic x question, producing the rows of the
 * stats table and of the report CSV (domain.md §3). Pure C: no I/O, no SQLite; built on stats.h.
 *
 * One pass over a round. The glue reads round r's answers ordered by (topic, question, expert)
 * (the answers table's primary key order) and, in a parallel cursor, round r-1's. For each topic
 * it collects each question's answers into reusable arrays of struct agg_answer (sorted by
 * expert_id, as the key order gives them), sets each answer's group bits (AGG_ALL and the
 * expert's sector, known from the experts table), calls agg_mark_expert with the topic's
 * expertise answers of round r, then calls agg_question per question and writes the rows it
 * returns. An agg keeps all its scratch memory between calls: after the first calls reach the
 * largest question, agg_question allocates nothing (no malloc per row or per question).
 * Cost per call: O((n_cur + n_prev) x groups x (1 + options) + groups x (span + options)), where
 * span <= 101 for ordinal questions (label values 0..100) and year_max - year_min + 1 for years;
 * nothing is sorted.
 *
 * Definitions used (domain.md §3, stats.h for the formulas):
 *   valid answer   special == ANSWER_VALUE (ordinal: a label value; year: a year; multi: a mask).
 *   n              valid answers of the group (multi: respondents, every answer being valid).
 *   shares         dont_know, already, never: count / all answers of the group (valid + special),
 *                  for ordinal and year questions; NAN when the question does not allow that
 *                  special (not applicable) or the group has no answer.
 *   index          ordinal: Σ weight·count / n over the labels (q->labels[i].weight).
 *   agreement      ordinal: share of the n valid answers whose value is in q->agreement (if the
 *                  definition left n_agreement = 0, the two highest label values).
 *   consensus      ordinal: stats_consensus_ordinal with q->consensus; year:
 *                  stats_consensus_year with q->consensus.max_iqr; multi: not applicable.
 *   share          multi, per option: respondents of the group who selected it / n.
 *   stability      only when the input has a previous round (has_prev). Paired respondents of a
 *                  group: experts in the group (by their round-r answer's group bits; the bits
 *                  of prev answers are ignored) whose answer is valid in both rounds. Over them:
 *                  n_paired, changed = share with a different value, mean_abs_change = mean
 *                  |d|, Wilcoxon on d = x(r) - x(r-1). Multi: per option, on the 0/1 indicator
 *                  "selected this option" (d in {-1, 0, 1}: changed = mean_abs_change = share
 *                  who switched; Wilcoxon as R computes it on 0/1 vectors).
 * Everything undefined is NAN (stats.h): mean etc. when n = 0, sd when n < 2, changed and
 * mean_abs_change when n_paired = 0, wilcoxon_z/p when no paired difference is non-zero.
 * Text questions produce no rows.
 */
#ifndef DELPHI_AGGREGATE_H
#define DELPHI_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "buf.h"
#include "stats.h"
#include "survey.h"

#define AGG_ERR_MAX 256

/* Respondent groups (domain.md §3 "Subgroups"), in report order. */
enum agg_group {
	AGG_ALL,
	AGG_EXPERT, /* the expertise answer on this topic (round r) is expertise_high */
	AGG_ACADEMIA,
	AGG_INDUSTRY,
	AGG_GOVERNMENT,
	AGG_OTHER,
};
#define AGG_N_GROUPS 6
#define AGG_GROUP_BIT(g) (1u << (g))
#define AGG_GROUPS_EVERY ((1u << AGG_N_GROUPS) - 1)

/* "all", "expert", "academia", "industry", "government", "other" (as in stats.grp); NULL for a
 * value out of range. */
const char *agg_group_name(enum agg_group g);
/* The inverse: the group named s, or -1. A sector column ("academia", ...) parses to its group. */
int agg_group_parse(const char *s);

/* One stored answer of one expert to the topic x question being aggregated (the answers table's
 * expert_id, special and num). groups is the set of AGG_GROUP_BIT(g) the expert belongs to for
 * this topic in this round: the caller sets AGG_ALL and the sector bit, agg_mark_expert the
 * AGG_EXPERT bit. An answer with groups = 0 counts nowhere. */
struct agg_answer {
	int64_t expert_id;
	enum answer_special special; /* ANSWER_VALUE, or the special answer given */
	int64_t num;                 /* ANSWER_VALUE: label value, year, or option mask */
	unsigned groups;
};

/* Sets AGG_EXPERT in a[i].groups where the same expert's answer in expertise is a valid answer
 * equal to high (survey.expertise_high), and clears it elsewhere. Both arrays are sorted by
 * expert_id with distinct ids (not checked here: agg_question checks its inputs). O(n + n_exp)
 * by merging. Call it for every question of the topic, the expertise question included. */
void agg_mark_expert(struct agg_answer *a, size_t n, const struct agg_answer *expertise,
		     size_t n_exp, int64_t high);

/* What agg_question aggregates. cur and prev are sorted by strictly increasing expert_id; they
 * are borrowed for the call only. */
struct agg_input {
	const struct survey_question *q; /* borrowed; only the struct is used */
	int quantile_type;               /* survey.quantile_type: 6 or 7 */
	unsigned groups;                 /* which groups get rows: a set of AGG_GROUP_BIT(g) */
	const struct agg_answer *cur;    /* round r */
	size_t n_cur;
	bool has_prev;                   /* r > 1: compute stability against prev (may be empty) */
	const struct agg_answer *prev;   /* round r - 1 */
	size_t n_prev;
};

/* One output row: one group (and, for multi questions, one option), with exactly the fields of
 * the stats table / report CSV. NAN = undefined or not applicable (SQL NULL). */
struct agg_row {
	enum agg_group group;
	int option; /* multi: index into q->options (stats.option = its code); -1 otherwise ('') */

	size_t n_answers; /* every answer of the group, valid or special: the shares' denominator */
	size_t n;         /* valid answers (multi: respondents) */
	size_t n_dont_know, n_already, n_never; /* counts of each special answer */
	double dont_know, already, never;       /* shares of n_answers; see the top of the file */

	double mean, sd, q1, median, q3, iqr; /* ordinal and year */
	double index, agreement;              /* ordinal */
	double share;                         /* multi */
	size_t n_selected;                    /* multi: respondents who selected the option */

	enum stats_verdict consensus; /* STATS_UNDEFINED when n = 0 or not applicable (multi) */
	/* The rule used, e.g. "iqr <= 1 and (agreement >= 0.7 or agreement <= 0.3)" or
	 * "iqr <= 5"; NULL for multi. Owned by the agg, valid until its next agg_question. */
	const char *consensus_rule;

	bool paired;      /* stability was computed (has_prev); if false, every field below is
			   * 0 / NAN and the stats table gets NULLs */
	size_t n_paired;  /* paired respondents */
	size_t n_changed; /* of them, how many changed their answer (multi: this option) */
	double changed, mean_abs_change, wilcoxon_z, wilcoxon_p;
	struct stats_wilcoxon wilcoxon; /* the whole test (N, W+, σ), for reports and tests */

	/* The distribution of valid answers; the special counts are above. Ordinal: dist[i]
	 * answers with label q->labels[i].value (definition order), n_dist = n_labels. Year:
	 * dist[i] answers with year q->year_min + i, n_dist = year_max - year_min + 1. Multi: NULL,
	 * 0. Owned by the agg, valid until its next agg_question. */
	const uint32_t *dist;
	size_t n_dist;
};

struct agg; /* reusable scratch memory and output rows; opaque */

/* A new aggregator, or NULL when out of memory. Free it with agg_free (NULL is a no-op). An agg
 * is used by one thread at a time. */
struct agg *agg_new(void);
void agg_free(struct agg *ag);

/* Aggregates one topic x question for every group in in->groups. Returns 0 and sets *rows to
 * *n_rows rows owned by ag (valid until its next agg_question or agg_free): for ordinal and year
 * questions one row per group, in enum agg_group order; for multi questions one row per option
 * and group, option-major (rows for option 0 in group order, then option 1, ...); none for text
 * questions. Every requested group gets a row, even when it has no answer (n_answers = 0).
 * Returns -1 and writes a message to err (e.g. `expert 17: 7 is not a label value of
 * "importance"`) on bad input: answers not sorted by strictly increasing expert_id, a value out
 * of the question's range (not a label, a year outside year_min..year_max, an option bit
 * beyond n_options), a special the question does not allow, quantile_type not 6 or 7; or when
 * out of memory. *rows and *n_rows are then NULL and 0. */
int agg_question(struct agg *ag, const struct agg_input *in, const struct agg_row **rows,
		 size_t *n_rows, char err[AGG_ERR_MAX]);

/* The label value or year counted by row->dist[i] (see struct agg_row). */
int agg_dist_value(const struct survey_question *q, size_t i);

/* Appends row's distribution as a JSON object for stats.distribution: label values in
 * definition order (zeros included) or the years with a non-zero count, ascending; then
 * "dont_know", "already", "never" for each special q allows (zeros included). E.g.
 * {"4":3,"3":2,"2":0,"1":0,"dont_know":1} or {"2030":2,"2035":1,"already":0,"never":1}.
 * Appends nothing for multi rows (stats.distribution is NULL there). */
void agg_distribution_json(const struct survey_question *q, const struct agg_row *row,
			   struct buf *out);

#endif
