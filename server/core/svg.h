/*
 * svg — the charts of delphi as inline SVG text, one module for the HTML report (printed on A4)
 * and the browser (round-2 feedback), so a chart looks the same on screen and on paper.
 *
 * Three charts:
 *   svg_dist      the distribution of one ordinal or year question: bars with counts and
 *                 percentages, separate grey bars for the special answers (already / never /
 *                 don't know), Q1..Q3 as a band and the median as a solid line, optionally the
 *                 expert's own previous answer ("you") and the previous round as thin outlined bars;
 *   svg_timeline  a NISTEP-style realization timeline: per topic a technical and a social bar
 *                 from Q1 to Q3 with the median marked, on a year axis with ticks every 5 years;
 *   svg_ranking   horizontal bars of a 0..100 value (e.g. the importance index), in the order given.
 *
 * Output contract (every chart):
 *   - one <svg> element with xmlns, width, height, viewBox, role="img", aria-label, and a <title>
 *     and a <desc> (a text summary of the numbers) as its first children; no ids, so any number of
 *     charts can share one page;
 *   - every text from the caller (titles, labels) is XML-escaped (& < > " '), invalid UTF-8 and
 *     control characters are replaced, and labels that would not fit are truncated at a code
 *     point with an ellipsis (the full text stays in a <title> tooltip of that element);
 *   - no scripts, event attributes, external references, <style> or url(): classes ("dc-...")
 *     for pages that want to restyle, and presentation attributes so the SVG renders standalone;
 *   - deterministic: the same input gives byte-identical output. Coordinates are printed with
 *     two decimals ("12.50"), independent of the locale;
 *   - text colours meet WCAG AA (4.5:1) on the white background the chart draws itself.
 *
 * Quantiles and NAN: any quantile, value or own answer that is NAN is simply not drawn.
 *
 * Functions append to b (see buf.h) and return 0, or -1 on invalid input (a NULL array where n > 0,
 * an empty or reversed year range), in which case b is left as it was.
 * Input is only read during the call; nothing is retained. Pure C (libc, libm).
 */
#ifndef DELPHI_SVG_H
#define DELPHI_SVG_H

#include <stddef.h>

#include "buf.h"

/* The fixed texts the charts draw themselves, for translation. Any member (or the whole
 * pointer passed to a chart) may be NULL: the English default in brackets is used. */
struct svg_texts {
	const char *median;     /* ["median"] legend */
	const char *iqr;        /* ["Q1–Q3"] legend */
	const char *you;        /* ["you"] marker of the expert's own answer */
	const char *prev;       /* ["previous round"] legend */
	const char *no_answers; /* ["No answers"] shown when there is nothing to draw */
	const char *tech;       /* ["technical realization"] timeline legend */
	const char *social;     /* ["social implementation"] timeline legend */
	const char *answers;    /* ["answers"] in the <desc> summary: "25 answers" */
};

/* ---- 1. Distribution of an ordinal or a year question ---------------------------------------- */

enum svg_dist_kind {
	SVG_DIST_ORDINAL, /* one bar per label, in the order given */
	SVG_DIST_YEAR,    /* a histogram of years in bins of bin_width years */
};

/* The special answers, drawn as separate grey bars right of the main axis, in this order. */
enum svg_special {
	SVG_ALREADY,
	SVG_NEVER,
	SVG_DONT_KNOW,
	SVG_N_SPECIALS
};

/* What the expert answered in the previous round (highlighted: orange outline and a "you"
 * marker). The zero value means "nothing to show". */
enum svg_own {
	SVG_OWN_NONE = 0,
	SVG_OWN_VALUE,     /* svg_dist.own is a label value (ordinal) or a year */
	SVG_OWN_ALREADY,   /* the special answer SVG_ALREADY, and so on */
	SVG_OWN_NEVER,
	SVG_OWN_DONT_KNOW,
};

/* One special answer. label == NULL means the question does not offer it: no bar at all. */
struct svg_special_bar {
	const char *label; /* e.g. "don't know" */
	unsigned count;
	unsigned prev_count; /* used when svg_dist.has_prev */
};

/* A (year, count) pair of a year distribution, in any order; a year may repeat (counts add up). */
struct svg_year_count {
	int year;
	unsigned count;
};

/*
 * The distribution chart. Zero-initialise it, then fill what applies.
 *
 * Geometry (documented because the browser overlays and the tests rely on it): the chart is
 * SVG_DIST_WIDTH × SVG_DIST_HEIGHT. The main axis spans x = SVG_DIST_LEFT .. right, where
 * right = SVG_DIST_WIDTH − SVG_DIST_LEFT when no special bar is shown, and otherwise
 * right = SVG_DIST_WIDTH − SVG_DIST_LEFT − k × SVG_DIST_SPECIAL_SLOT − SVG_DIST_SPECIAL_GAP for k
 * special bars (which fill the space after the gap).
 *   Ordinal: the axis is cut into n equal slots, bar i centred in slot i. A value v (quantile or
 *   own answer) maps to the centre of the bar whose label value is v, and between two adjacent
 *   bars linearly by value (median 3.5 between the bars of 4 and 3 lies half-way between their
 *   centres). A value outside every adjacent pair is not drawn.
 *   Year: the axis is linear in years: year y occupies [y, y + 1) from year_min to year_max + 1,
 *   so a value v maps to x(v + 0.5) (an answer "2035" is drawn at the middle of 2035, a median of
 *   2035.5 on the boundary between 2035 and 2036). Values outside the range are clamped to it.
 *   Bins start at year_min: [year_min, year_min + w − 1], ...; the last bin ends at year_max and
 *   may be shorter. Years outside the range are counted in the first or last bin.
 * Bar heights are proportional to counts, the tallest bar (current or previous round, specials
 * included) reaching the top of the plot. Percentages are of all answers shown (bars plus
 * specials) of that round, rounded to integers. The heading shows "n = " the number of valid
 * answers (the main bars; specials excluded, as n in domain.md §3).
 */
struct svg_dist {
	enum svg_dist_kind kind;
	const char *title;      /* heading drawn in the chart and its <title>; may be NULL */
	const char *aria_label; /* accessible name; NULL: the title; both NULL: "Distribution" */
	const struct svg_texts *texts; /* may be NULL */

	/* SVG_DIST_ORDINAL: n labels in display order, their label values and counts. */
	size_t n;
	const char *const *labels;
	const double *values;
	const unsigned *counts;
	const unsigned *prev_counts; /* n counts of the previous round; needed when has_prev */

	/* SVG_DIST_YEAR: the range of the axis (inclusive), the bin width (0 is taken as 1, more
	 * than the range as the range), and the distribution as (year, count) pairs. */
	int year_min, year_max;
	unsigned bin_width;
	const struct svg_year_count *years;
	size_t n_years;
	const struct svg_year_count *prev_years; /* with has_prev */
	size_t n_prev_years;

	/* Special answers (labels NULL: not offered). For ordinal questions only [SVG_DONT_KNOW]
	 * normally applies; all three are drawn for any kind when their label is set. */
	struct svg_special_bar specials[SVG_N_SPECIALS];

	/* Quartiles in value space (label values or years); NAN: not drawn. The median is a solid
	 * line, Q1..Q3 a translucent band (drawn only when both are finite). */
	double q1, median, q3;

	enum svg_own own_kind;
	double own; /* with SVG_OWN_VALUE */

	int has_prev; /* draw the previous round (prev_counts / prev_years / specials[].prev_count) */
};

#define SVG_DIST_WIDTH 480
#define SVG_DIST_HEIGHT 200
#define SVG_DIST_LEFT 40        /* left (and right) margin of the main axis */
#define SVG_DIST_SPECIAL_SLOT 72 /* width of one special bar's slot */
#define SVG_DIST_SPECIAL_GAP 16  /* gap between the main axis and the special bars */
#define SVG_DIST_PLOT_TOP 36     /* the plot spans y = PLOT_TOP .. PLOT_BOTTOM (the baseline) */
#define SVG_DIST_PLOT_BOTTOM 150

/* Appends the distribution chart. Returns 0, or -1 (b unchanged) when labels/values/counts are
 * NULL with n > 0, prev_counts is NULL with has_prev and n > 0, years/prev_years is NULL with a
 * count > 0, or the year range is reversed or longer than 1000 years. With nothing to show (no
 * labels, or every count zero) the chart says "No answers". */
int svg_dist(struct buf *b, const struct svg_dist *d);

/* ---- 2. Realization timeline ----------------------------------------------------------------- */

/* One topic: its label and the quartiles of the technical and social realization years (NAN where
 * undefined: a bar needs Q1 and Q3, the median marker needs the median). */
struct svg_timeline_row {
	const char *label;
	double tech_q1, tech_median, tech_q3;
	double social_q1, social_median, social_q3;
};

/*
 * Geometry: SVG_TIMELINE_WIDTH wide; rows of SVG_TIMELINE_ROW px each below a header of
 * SVG_TIMELINE_TOP px, then the axis (SVG_TIMELINE_BOTTOM px): height = TOP + n × ROW + BOTTOM.
 * Labels take the left column; the year axis runs linearly from year_from (x = SVG_TIMELINE_LEFT)
 * to year_to (x = SVG_TIMELINE_WIDTH − SVG_TIMELINE_RIGHT), ticks at every multiple of 5. A year
 * value v maps to x(v) directly; values outside the axis are clamped to it (the tooltip keeps the
 * true value).
 */
struct svg_timeline {
	const char *title;
	const char *aria_label; /* NULL: the title; both NULL: "Realization timeline" */
	const struct svg_texts *texts;
	int year_from, year_to; /* e.g. survey year and horizon; year_from < year_to */
	const struct svg_timeline_row *rows;
	size_t n_rows;
};

#define SVG_TIMELINE_WIDTH 640
#define SVG_TIMELINE_LEFT 220
#define SVG_TIMELINE_RIGHT 24
#define SVG_TIMELINE_TOP 44
#define SVG_TIMELINE_ROW 30
#define SVG_TIMELINE_BOTTOM 30

/* Appends the timeline. Returns 0, or -1 (b unchanged) when rows is NULL with n_rows > 0 or
 * year_from >= year_to or the range is longer than 1000 years. No rows: "No answers". */
int svg_timeline(struct buf *b, const struct svg_timeline *t);

/* ---- 3. Ranking ------------------------------------------------------------------------------ */

struct svg_rank_item {
	const char *label;
	double value; /* 0..max; clamped; NAN: no bar, shown as "–" */
};

/*
 * Geometry: SVG_RANKING_WIDTH wide, height = SVG_RANKING_TOP + n × SVG_RANKING_ROW +
 * SVG_RANKING_BOTTOM. Bars start at x = SVG_RANKING_LEFT; a value v is a bar of
 * v / max × SVG_RANKING_PLOT px, with the value printed after it with one decimal.
 */
struct svg_ranking {
	const char *title;
	const char *aria_label; /* NULL: the title; both NULL: "Ranking" */
	const struct svg_texts *texts;
	const struct svg_rank_item *items; /* drawn top to bottom in this order */
	size_t n;
	double max; /* the axis maximum; <= 0 or NAN: 100 */
};

#define SVG_RANKING_WIDTH 480
#define SVG_RANKING_LEFT 196
#define SVG_RANKING_PLOT 232
#define SVG_RANKING_TOP 30
#define SVG_RANKING_ROW 20
#define SVG_RANKING_BOTTOM 26

/* Appends the ranking chart. Returns 0, or -1 (b unchanged) when items is NULL with n > 0.
 * No items: "No answers". */
int svg_ranking(struct buf *b, const struct svg_ranking *r);

/* ---- Text helpers (used by the charts; exported for the HTML report and the tests) ----------- */

/* Appends s XML-escaped for text or attribute values: & < > " ' become entities; invalid UTF-8
 * (overlong forms, surrogates, beyond U+10FFFF, truncated sequences) and U+FFFE/U+FFFF become
 * U+FFFD; control characters (C0 including tab and newline, DEL, C1) become a space.
 * NULL appends nothing. */
void svg_escape(struct buf *b, const char *s);

/* The display width of s in columns: 2 for East Asian wide and fullwidth characters, 0 for
 * combining marks, 1 otherwise (invalid bytes count as one U+FFFD). NULL: 0. */
size_t svg_text_cols(const char *s);

/* Like svg_escape, but when s is wider than max_cols columns, appends the longest prefix (whole
 * code points) that fits in max_cols − 1 columns followed by "…" (U+2026, one column).
 * max_cols == 0 appends nothing. */
void svg_escape_fit(struct buf *b, const char *s, size_t max_cols);

#endif
