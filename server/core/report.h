/*
 * report — the report of one round of a survey, written as CSV, JSON or a printable HTML page
 * (docs/reports.md is the public description of the three layouts). Pure C: the writers take the
 * survey model, the round's statistics rows (as stored in the stats table, read back by
 * db_stats_load) and the rounds' response counts, and append to a struct buf. No I/O, no SQLite.
 *
 * The statistics rows are those the aggregator wrote (aggregate.h): one per topic x question x
 * group for ordinal and year questions, one per topic x question x option x group for multi
 * questions, none for text questions. A value that does not apply or is undefined is NAN here
 * (NULL in the table), a count that is absent is -1.
 *
 * Ownership: a struct report_stats owns its rows and their distribution texts
 * (report_stats_release frees them). struct report_input only borrows.
 * Output is deterministic: the same input gives byte-identical output (no clock is read).
 */
#ifndef DELPHI_REPORT_H
#define DELPHI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "buf.h"
#include "survey.h"

#define REPORT_ERR_MAX 256

/* One stored statistics row (a row of the stats table, with indices in place of row ids). */
struct report_stat {
	size_t topic;    /* index into survey->topics */
	size_t question; /* index into survey->questions */
	int option;      /* multi: index into the question's options; -1 otherwise */
	enum agg_group group;

	int64_t n; /* valid answers (multi: respondents to the question) */
	double dont_know, already, never; /* shares of all answers of the group, 0..1 */
	double mean, sd, q1, median, q3, iqr;
	double index, agreement; /* ordinal */
	double share;            /* multi: share of the n respondents who selected the option */
	int consensus;           /* 1 yes, 0 no, -1 undefined or not applicable */
	int64_t n_paired;        /* -1 when there is no previous round */
	double changed, mean_abs_change, wilcoxon_z, wilcoxon_p;
	char *distribution; /* owned: JSON text as agg_distribution_json wrote it; NULL for multi */
};

/* The statistics rows of one round. Invariant after report_stats_sort: rows ordered by topic,
 * question, option, group (the report order). */
struct report_stats {
	struct report_stat *v;
	size_t n, cap;
};

/* Appends a copy of *row (taking ownership of row->distribution, even on failure). Returns 0, or
 * -1 when out of memory. */
int report_stats_add(struct report_stats *st, const struct report_stat *row);
/* Sorts into report order. O(n log n). */
void report_stats_sort(struct report_stats *st);
/* Frees the rows and their distributions; st becomes empty (reusable). */
void report_stats_release(struct report_stats *st);
/* The row of (topic, question, option, group) in sorted st, or NULL. O(log n). */
const struct report_stat *report_find(const struct report_stats *st, size_t topic,
				      size_t question, int option, enum agg_group group);

/* Answer counts of one round, in total or for one field. */
struct report_counts {
	int64_t invited;
	int64_t respondents; /* experts with at least one answer */
	int64_t answers;     /* answer rows */
};

/* One round, for the summary. Strings are borrowed. */
struct report_round {
	int number;
	bool closed;
	const char *opened_at; /* "YYYY-MM-DDTHH:MM:SSZ" */
	const char *closed_at; /* "" while open */
	struct report_counts total;
	const struct report_counts *per_field; /* [survey->n_fields], or NULL */
};

/* What a report is made of. Everything is borrowed for the call. */
struct report_input {
	const struct survey *s;
	const char *lang; /* texts in this language (falling back as survey_text does); NULL: the
			   * survey's first language */
	int round;        /* the round reported, 1..s->n_rounds */
	const struct report_round *rounds; /* rounds 1..round in order (n_rounds of them) */
	size_t n_rounds;
	const struct report_stats *cur;  /* round `round`, sorted; must not be NULL */
	const struct report_stats *prev; /* round `round` - 1, sorted; NULL for round 1 or when it
					  * has no statistics */
};

/* ---- the writers: append to out; 0, or -1 with a message in err (bad input, e.g. a stored
 * distribution that is not valid JSON). On failure out may hold a partial report. ---- */

/* CSV: the header round,topic,field,question,group,n,dont_know,already,never,mean,sd,q1,median,
 * q3,iqr,index,agreement,share,consensus,n_paired,changed,mean_abs_change,wilcoxon_z,wilcoxon_p
 * and one record per row of in->cur in report order; multi rows name their question
 * "key/option". Numbers with buf_add_double; undefined: empty cell; consensus true/false. */
int report_csv(const struct report_input *in, struct buf *out, char err[REPORT_ERR_MAX]);
/* JSON: one object (docs/reports.md), UTF-8, ending with a newline. */
int report_json(const struct report_input *in, struct buf *out, char err[REPORT_ERR_MAX]);
/* HTML: one self-contained printable page (inline CSS and SVG, no script), every text from the
 * definition escaped. */
int report_html(const struct report_input *in, struct buf *out, char err[REPORT_ERR_MAX]);

/* ---- helpers shared by the writers (and the aggregation summary) ---- */

/* True if question q counts for a topic's overall consensus: an ordinal or year question other
 * than the survey's expertise question. */
bool report_consensus_question(const struct survey *s, size_t q);
/* The topic's overall consensus in st (group "all"): 1 when every question counted by
 * report_consensus_question has a consensus of yes, 0 otherwise (a question without a verdict
 * counts as no; a survey without such questions gives 0). */
int report_topic_consensus(const struct survey *s, const struct report_stats *st, size_t topic);
/* The consensus rule of q as text, as aggregate.c writes it: "iqr <= 1 and (agreement >= 0.7 or
 * agreement <= 0.3)" or "iqr <= 5"; "" for multi and text questions. */
void report_consensus_rule(const struct survey_question *q, char *out, size_t size);

/* Parses a stored distribution (JSON object) of question q into counts[0..n_counts) (n_counts
 * must be the question's span: n_labels, or year_max - year_min + 1) and specials[0..3)
 * (dont_know, already, never). Keys that are not a label value or a year of q, or counts that
 * are not non-negative integers, are errors. NULL json gives all zeros. Returns 0 or -1. */
int report_dist_parse(const struct survey_question *q, const char *json, uint32_t *counts,
		      size_t n_counts, uint32_t specials[3]);

/* Appends s as a JSON string (quoted, escaped; invalid UTF-8 replaced by U+FFFD). NULL: null. */
void report_json_string(struct buf *out, const char *s);
/* Appends v as a JSON number (buf_add_double), or null when v is NAN or infinite. */
void report_json_double(struct buf *out, double v);

#endif
