/*
 * svg — distribution, timeline and ranking charts as inline SVG text. See svg.h for the contract
 * (geometry, escaping, determinism).
 *
 * Every number goes through fmt_fixed (integer arithmetic after one llround), never through
 * printf's %f, so the output does not depend on the locale's decimal separator. Text widths are
 * estimated in columns (0.6 em each, 2 for East Asian wide characters): no font metrics exist in
 * pure C, so labels are given a conservative budget and the full text goes into a <title>.
 */
#include "svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Colours. Text colours have at least 4.5:1 contrast on white (WCAG AA); bar colours at least
 * 3:1 (non-text contrast). */
#define C_BG "#ffffff"
#define C_TEXT "#1a1a1a"    /* 17.4:1 */
#define C_TEXT2 "#4d4d4d"   /* 8.5:1 */
#define C_BAR "#4a7fb5"     /* 4.2:1 */
#define C_SPECIAL "#8c8c8c" /* 3.4:1 */
#define C_MEDIAN "#b3261e"  /* 6.5:1, also used for its legend text */
#define C_OWN "#b35000"     /* 5.2:1, also the "you" text */
#define C_PREV "#1a1a1a"
#define C_AXIS "#737373"    /* 4.7:1 */
#define C_GRID "#d9d9d9"
#define C_ROW "#f3f3f3"
#define C_TECH "#4a7fb5"
#define C_SOCIAL "#c46a12"  /* 3.9:1 */

/* A white outline drawn under the glyphs (paint-order), for texts that may cross lines. */
#define HALO \
	"stroke=\"" C_BG "\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""

#define FONT "Arial, Helvetica, 'Liberation Sans', 'Noto Sans', 'Noto Sans CJK JP', sans-serif"

/* Column width as a fraction of the font size (an average Latin glyph with some margin). */
#define COL_EM 0.6
/* Tooltips keep the full text, within reason. */
#define TOOLTIP_COLS 400
#define ELLIPSIS "\xe2\x80\xa6"

static const struct svg_texts default_texts = {
	.median = "median",
	.iqr = "Q1\xe2\x80\x93Q3",
	.you = "you",
	.prev = "previous round",
	.no_answers = "No answers",
	.tech = "technical realization",
	.social = "social implementation",
	.answers = "answers",
};

/* ---- UTF-8 and escaping ---------------------------------------------------------------------- */

/* Decodes one code point of the NUL-terminated s. Returns the bytes consumed (>= 1); a byte that
 * does not start a valid, shortest-form sequence is consumed alone and reads as U+FFFD. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len = 1;
	uint32_t v, min;

	*cp = 0xFFFD;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 1;
	}
	/* A NUL is not a continuation byte, so this never reads past the terminator. */
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 1;
	*cp = v;
	return len;
}

struct cp_range {
	uint32_t lo, hi;
};

static const struct cp_range zero_width[] = {
	{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x0610, 0x061A },
	{ 0x064B, 0x065F }, { 0x0E31, 0x0E31 }, { 0x0E34, 0x0E3A }, { 0x0E47, 0x0E4E },
	{ 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF }, { 0x200B, 0x200F }, { 0x202A, 0x202E },
	{ 0x2060, 0x2064 }, { 0x2066, 0x206F }, { 0x20D0, 0x20FF }, { 0x3099, 0x309A },
	{ 0xFE00, 0xFE0F }, { 0xFE20, 0xFE2F }, { 0xFEFF, 0xFEFF }, { 0xE0100, 0xE01EF },
};

static const struct cp_range wide[] = {
	{ 0x1100, 0x115F },   { 0x2E80, 0x303E },   { 0x3041, 0x3098 },   { 0x309B, 0x33FF },
	{ 0x3400, 0x4DBF },   { 0x4E00, 0x9FFF },   { 0xA000, 0xA4CF },   { 0xA960, 0xA97F },
	{ 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },   { 0xFE10, 0xFE19 },   { 0xFE30, 0xFE6F },
	{ 0xFF00, 0xFF60 },   { 0xFFE0, 0xFFE6 },   { 0x1F300, 0x1F64F }, { 0x1F900, 0x1F9FF },
	{ 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

static int in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return 1;
	return 0;
}

static size_t cp_cols(uint32_t cp)
{
	if (in_ranges(cp, zero_width, sizeof zero_width / sizeof zero_width[0]))
		return 0;
	if (in_ranges(cp, wide, sizeof wide / sizeof wide[0]))
		return 2;
	return 1;
}

/* Appends one code point, escaped and cleaned for XML 1.0. */
static void put_cp(struct buf *b, uint32_t cp)
{
	char u[4];

	switch (cp) {
	case '&':
		buf_adds(b, "&amp;");
		return;
	case '<':
		buf_adds(b, "&lt;");
		return;
	case '>':
		buf_adds(b, "&gt;");
		return;
	case '"':
		buf_adds(b, "&quot;");
		return;
	case '\'':
		buf_adds(b, "&#39;");
		return;
	default:
		break;
	}
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		cp = ' ';
	else if (cp == 0xFFFE || cp == 0xFFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		buf_addch(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 4);
	}
}

void svg_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	if (!s)
		return;
	while (*p) {
		p += utf8_decode(p, &cp);
		put_cp(b, cp);
	}
}

size_t svg_text_cols(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0;
	uint32_t cp;

	if (!s)
		return 0;
	while (*p) {
		p += utf8_decode(p, &cp);
		cols += cp_cols(cp);
	}
	return cols;
}

/* Whether cp is drawn as (or becomes) blank: trailing blanks are dropped before an ellipsis. */
static int is_blank(uint32_t cp)
{
	return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x3000;
}

void svg_escape_fit(struct buf *b, const char *s, size_t max_cols)
{
	const unsigned char *p = (const unsigned char *)s, *end, *q;
	size_t cols = 0;
	uint32_t cp;

	if (!s || !max_cols)
		return;
	if (svg_text_cols(s) <= max_cols) {
		svg_escape(b, s);
		return;
	}
	/* Find the longest prefix of whole code points within max_cols - 1 columns, remembering
	 * where the last non-blank one ends. */
	end = p;
	while (*p) {
		size_t n = utf8_decode(p, &cp);

		if (cols + cp_cols(cp) > max_cols - 1)
			break;
		cols += cp_cols(cp);
		p += n;
		if (!is_blank(cp))
			end = p;
	}
	for (q = (const unsigned char *)s; q < end;) {
		q += utf8_decode(q, &cp);
		put_cp(b, cp);
	}
	buf_adds(b, ELLIPSIS);
}

/* ---- Numbers --------------------------------------------------------------------------------- */

/* v with exactly `decimals` (1 or 2) decimals, '.' as separator, half away from zero; no "-0". */
static void fmt_fixed(char *out, size_t size, double v, int decimals)
{
	long long scale = decimals == 1 ? 10 : 100, c;
	const char *sign = "";

	if (!isfinite(v))
		v = 0;
	if (v > 1e12)
		v = 1e12;
	if (v < -1e12)
		v = -1e12;
	c = llround(v * (double)scale);
	if (c < 0) {
		sign = "-";
		c = -c;
	}
	if (decimals == 1)
		snprintf(out, size, "%s%lld.%01lld", sign, c / scale, c % scale);
	else
		snprintf(out, size, "%s%lld.%02lld", sign, c / scale, c % scale);
}

/* v with up to two decimals and no trailing zeros: 3.5, 2035, 2035.25. */
static void fmt_num(char *out, size_t size, double v)
{
	size_t len;

	fmt_fixed(out, size, v, 2);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
	if (!strcmp(out, "-0"))
		strcpy(out, "0");
}

/* Appends ` name="12.34"`. */
static void attr(struct buf *b, const char *name, double v)
{
	char tmp[40];

	fmt_fixed(tmp, sizeof tmp, v, 2);
	buf_printf(b, " %s=\"%s\"", name, tmp);
}

static void add_num(struct buf *b, double v)
{
	char tmp[40];

	fmt_num(tmp, sizeof tmp, v);
	buf_adds(b, tmp);
}

/* Rounded integer percentage of c in total (0 when total is 0). */
static unsigned pct(unsigned long long c, unsigned long long total)
{
	if (!total)
		return 0;
	return (unsigned)((200ULL * c + total) / (2ULL * total));
}

/* Columns of text of font size fs that fit in px pixels. */
static size_t cols_for(double px, double fs)
{
	double c = px / (COL_EM * fs);

	return c < 1 ? 0 : (size_t)c;
}

static double text_px(const char *s, double fs)
{
	return (double)svg_text_cols(s) * COL_EM * fs;
}

/* ---- Elements -------------------------------------------------------------------------------- */

/* <text x y ATTRS>s</text>, s fitted to max_cols; a truncated text carries the full text in a
 * <title>. attrs is a literal list of presentation attributes. */
static void text_el(struct buf *b, double x, double y, const char *attrs, const char *s,
		    size_t max_cols)
{
	buf_adds(b, "<text");
	attr(b, "x", x);
	attr(b, "y", y);
	buf_printf(b, " %s>", attrs);
	if (svg_text_cols(s) > max_cols) {
		buf_adds(b, "<title>");
		svg_escape_fit(b, s, TOOLTIP_COLS);
		buf_adds(b, "</title>");
	}
	svg_escape_fit(b, s, max_cols);
	buf_adds(b, "</text>\n");
}

static void rect_el(struct buf *b, const char *cls, double x, double y, double w, double h,
		    const char *paint)
{
	if (w < 0)
		w = 0;
	if (h < 0)
		h = 0;
	buf_printf(b, "<rect class=\"%s\"", cls);
	attr(b, "x", x);
	attr(b, "y", y);
	attr(b, "width", w);
	attr(b, "height", h);
	buf_printf(b, " %s/>\n", paint);
}

static void line_el(struct buf *b, const char *cls, double x1, double y1, double x2, double y2,
		    const char *paint)
{
	buf_printf(b, "<line class=\"%s\"", cls);
	attr(b, "x1", x1);
	attr(b, "y1", y1);
	attr(b, "x2", x2);
	attr(b, "y2", y2);
	buf_printf(b, " %s/>\n", paint);
}

/* A filled triangle. */
static void tri_el(struct buf *b, const char *cls, double x0, double y0, double x1, double y1,
		   double x2, double y2, const char *colour)
{
	char n[6][40];

	fmt_fixed(n[0], sizeof n[0], x0, 2);
	fmt_fixed(n[1], sizeof n[1], y0, 2);
	fmt_fixed(n[2], sizeof n[2], x1, 2);
	fmt_fixed(n[3], sizeof n[3], y1, 2);
	fmt_fixed(n[4], sizeof n[4], x2, 2);
	fmt_fixed(n[5], sizeof n[5], y2, 2);
	buf_printf(b, "<path class=\"%s\" d=\"M%s %s L%s %s L%s %s Z\" fill=\"%s\"/>\n", cls, n[0],
		   n[1], n[2], n[3], n[4], n[5], colour);
}

/* Opens the chart: <svg>, <title>, <desc> (desc is already escaped), background, and the visible
 * heading when title is set. */
static void chart_open(struct buf *b, const char *cls, int w, int h, const char *title,
		       const char *aria, const char *fallback, const char *desc)
{
	const char *name = aria && *aria ? aria : title && *title ? title : fallback;

	buf_printf(b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dc %s\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		   cls, w, h, w, h);
	svg_escape_fit(b, name, TOOLTIP_COLS);
	buf_adds(b, "\" font-family=\"" FONT "\">\n<title>");
	svg_escape_fit(b, title && *title ? title : name, TOOLTIP_COLS);
	buf_adds(b, "</title>\n<desc>");
	buf_adds(b, desc);
	buf_adds(b, "</desc>\n");
	buf_printf(b, "<rect class=\"dc-bg\" width=\"%d\" height=\"%d\" fill=\"" C_BG "\"/>\n", w, h);
}

static void heading(struct buf *b, const char *title, double max_px)
{
	if (title && *title)
		text_el(b, 12, 16,
			"class=\"dc-title\" font-size=\"13\" font-weight=\"bold\" fill=\"" C_TEXT "\"",
			title, cols_for(max_px, 13));
}

static void no_answers(struct buf *b, const struct svg_texts *tx, double cx, double cy)
{
	text_el(b, cx, cy,
		"class=\"dc-empty\" font-size=\"12\" fill=\"" C_TEXT2 "\" text-anchor=\"middle\"",
		tx->no_answers, 40);
}

static void fill_texts(struct svg_texts *out, const struct svg_texts *in)
{
	*out = default_texts;
	if (!in)
		return;
	if (in->median)
		out->median = in->median;
	if (in->iqr)
		out->iqr = in->iqr;
	if (in->you)
		out->you = in->you;
	if (in->prev)
		out->prev = in->prev;
	if (in->no_answers)
		out->no_answers = in->no_answers;
	if (in->tech)
		out->tech = in->tech;
	if (in->social)
		out->social = in->social;
	if (in->answers)
		out->answers = in->answers;
}

/* ---- 1. Distribution ------------------------------------------------------------------------- */

struct bar {
	double x0, x1; /* the bar's extent */
	double cx;     /* its centre */
	double slot;   /* the width available to its texts */
	unsigned long long count, prev;
	int special;       /* -1, or the enum svg_special */
	const char *label; /* the caller's label, or name */
	char name[32];     /* year bins: "2025–2029" */
	int year_lo, year_hi;
};

struct dist_layout {
	struct bar *bars; /* n_main main bars, then the shown specials */
	size_t n_main, n_bars;
	double left, right; /* the main axis */
	double per_year;    /* year charts: px per year */
	unsigned long long total, prev_total, max_count;
	unsigned long long valid; /* answers in the main bars (specials excluded) */
};

static int dist_valid(const struct svg_dist *d)
{
	if (d->kind == SVG_DIST_ORDINAL) {
		if (d->n && (!d->labels || !d->values || !d->counts))
			return 0;
		if (d->n && d->has_prev && !d->prev_counts)
			return 0;
		return 1;
	}
	if (d->kind != SVG_DIST_YEAR)
		return 0;
	if (d->year_max < d->year_min || (long)d->year_max - (long)d->year_min > 1000)
		return 0;
	if (d->n_years && !d->years)
		return 0;
	if (d->has_prev && d->n_prev_years && !d->prev_years)
		return 0;
	return 1;
}

/* The bin width in years: 0 is taken as 1, and a bin never spans more than the whole range. */
static unsigned bin_width(const struct svg_dist *d)
{
	unsigned range = (unsigned)(d->year_max - d->year_min) + 1;

	if (!d->bin_width)
		return 1;
	return d->bin_width < range ? d->bin_width : range;
}

static size_t year_bin(const struct svg_dist *d, unsigned w, size_t nbins, long year)
{
	if (year <= d->year_min)
		return 0;
	if (year >= d->year_max)
		return nbins - 1;
	return (size_t)((year - d->year_min) / (long)w);
}

static double year_x(const struct dist_layout *lo, const struct svg_dist *d, double y)
{
	return lo->left + (y - d->year_min) * lo->per_year;
}

static int dist_layout(const struct svg_dist *d, struct dist_layout *lo)
{
	size_t k = 0, nbins = 0, i;
	unsigned w = bin_width(d);

	memset(lo, 0, sizeof *lo);
	for (i = 0; i < SVG_N_SPECIALS; i++)
		if (d->specials[i].label)
			k++;
	lo->left = SVG_DIST_LEFT;
	lo->right = SVG_DIST_WIDTH - SVG_DIST_LEFT;
	if (k)
		lo->right -= (double)k * SVG_DIST_SPECIAL_SLOT + SVG_DIST_SPECIAL_GAP;
	if (d->kind == SVG_DIST_ORDINAL) {
		lo->n_main = d->n;
	} else {
		nbins = ((size_t)(d->year_max - d->year_min) + w) / w;
		lo->n_main = nbins;
	}
	lo->n_bars = lo->n_main + k;
	lo->bars = calloc(lo->n_bars ? lo->n_bars : 1, sizeof *lo->bars);
	if (!lo->bars)
		return -1;

	if (d->kind == SVG_DIST_ORDINAL) {
		double slot = d->n ? (lo->right - lo->left) / (double)d->n : 0;
		for (i = 0; i < d->n; i++) {
			struct bar *br = &lo->bars[i];
			double bw = slot * 0.7 < 96 ? slot * 0.7 : 96;

			br->cx = lo->left + ((double)i + 0.5) * slot;
			br->x0 = br->cx - bw / 2;
			br->x1 = br->cx + bw / 2;
			br->slot = slot;
			br->count = d->counts[i];
			br->prev = d->has_prev ? d->prev_counts[i] : 0;
			br->special = -1;
			br->label = d->labels[i];
		}
	} else {
		lo->per_year = (lo->right - lo->left) / ((double)d->year_max + 1 - d->year_min);
		for (i = 0; i < nbins; i++) {
			struct bar *br = &lo->bars[i];
			int y0 = d->year_min + (int)(i * w);
			int y1 = y0 + (int)w - 1 > d->year_max ? d->year_max : y0 + (int)w - 1;
			double a = year_x(lo, d, y0), z = year_x(lo, d, y1 + 1.0);
			double gap = z - a >= 4 ? 0.5 : 0;

			br->x0 = a + gap;
			br->x1 = z - gap;
			br->cx = (a + z) / 2;
			br->slot = z - a;
			br->special = -1;
			br->year_lo = y0;
			br->year_hi = y1;
			if (y0 == y1)
				snprintf(br->name, sizeof br->name, "%d", y0);
			else
				snprintf(br->name, sizeof br->name, "%d\xe2\x80\x93%d", y0, y1);
			br->label = br->name;
		}
		for (i = 0; i < d->n_years; i++)
			lo->bars[year_bin(d, w, nbins, d->years[i].year)].count += d->years[i].count;
		for (i = 0; d->has_prev && i < d->n_prev_years; i++)
			lo->bars[year_bin(d, w, nbins, d->prev_years[i].year)].prev +=
				d->prev_years[i].count;
	}

	k = 0;
	for (i = 0; i < SVG_N_SPECIALS; i++) {
		struct bar *br;
		double sx;

		if (!d->specials[i].label)
			continue;
		br = &lo->bars[lo->n_main + k];
		sx = lo->right + SVG_DIST_SPECIAL_GAP + (double)k * SVG_DIST_SPECIAL_SLOT;
		br->cx = sx + SVG_DIST_SPECIAL_SLOT / 2.0;
		br->x0 = br->cx - SVG_DIST_SPECIAL_SLOT * 0.35;
		br->x1 = br->cx + SVG_DIST_SPECIAL_SLOT * 0.35;
		br->slot = SVG_DIST_SPECIAL_SLOT;
		br->count = d->specials[i].count;
		br->prev = d->has_prev ? d->specials[i].prev_count : 0;
		br->special = (int)i;
		br->label = d->specials[i].label;
		k++;
	}

	for (i = 0; i < lo->n_bars; i++) {
		lo->total += lo->bars[i].count;
		if (lo->bars[i].special < 0)
			lo->valid += lo->bars[i].count;
		lo->prev_total += lo->bars[i].prev;
		if (lo->bars[i].count > lo->max_count)
			lo->max_count = lo->bars[i].count;
		if (lo->bars[i].prev > lo->max_count)
			lo->max_count = lo->bars[i].prev;
	}
	return 0;
}

/* Maps a value (label value or year) onto the main axis. Returns 0 and sets *x, or -1 when the
 * value cannot be placed (NAN, or an ordinal value outside every pair of adjacent bars). */
static int dist_x(const struct svg_dist *d, const struct dist_layout *lo, double v, double *x)
{
	size_t i;

	if (!isfinite(v))
		return -1;
	if (d->kind == SVG_DIST_YEAR) {
		if (v < d->year_min)
			v = d->year_min;
		if (v > d->year_max)
			v = d->year_max;
		*x = year_x(lo, d, v + 0.5);
		return 0;
	}
	for (i = 0; i < d->n; i++) {
		if (d->values[i] == v) {
			*x = lo->bars[i].cx;
			return 0;
		}
	}
	for (i = 0; i + 1 < d->n; i++) {
		double a = d->values[i], c = d->values[i + 1];

		if ((v - a) * (v - c) < 0) {
			*x = lo->bars[i].cx + (v - a) / (c - a) * (lo->bars[i + 1].cx - lo->bars[i].cx);
			return 0;
		}
	}
	return -1;
}

/* The bar that holds the expert's own answer, or NULL. */
static const struct bar *own_bar(const struct svg_dist *d, const struct dist_layout *lo)
{
	size_t i;

	if (d->own_kind == SVG_OWN_VALUE && isfinite(d->own)) {
		if (d->kind == SVG_DIST_ORDINAL) {
			for (i = 0; i < d->n; i++)
				if (d->values[i] == d->own)
					return &lo->bars[i];
			return NULL;
		}
		for (i = 0; i < lo->n_main; i++) {
			const struct bar *br = &lo->bars[i];
			double y = floor(d->own);

			if ((y >= br->year_lo && y <= br->year_hi) || (i == 0 && y < br->year_lo) ||
			    (i + 1 == lo->n_main && y > br->year_hi))
				return br;
		}
		return NULL;
	}
	if (d->own_kind >= SVG_OWN_ALREADY && d->own_kind <= SVG_OWN_DONT_KNOW) {
		int want = (int)d->own_kind - (int)SVG_OWN_ALREADY;

		for (i = lo->n_main; i < lo->n_bars; i++)
			if (lo->bars[i].special == want)
				return &lo->bars[i];
	}
	return NULL;
}

static double bar_height(const struct dist_layout *lo, unsigned long long c)
{
	const double max_h = SVG_DIST_PLOT_BOTTOM - SVG_DIST_PLOT_TOP - 14;

	return lo->max_count ? max_h * (double)c / (double)lo->max_count : 0;
}

/* "label: 12 (40%)" into an escaped buffer. */
static void bar_summary(struct buf *b, const struct bar *br, unsigned long long total)
{
	svg_escape_fit(b, br->label, TOOLTIP_COLS);
	buf_printf(b, ": %llu (%u%%)", br->count, pct(br->count, total));
}

static void dist_desc(struct buf *desc, const struct svg_dist *d, const struct dist_layout *lo,
		      const struct svg_texts *tx, const struct bar *own)
{
	int first = 1;

	buf_printf(desc, "%llu ", lo->total);
	svg_escape(desc, tx->answers);
	if (isfinite(d->median)) {
		buf_adds(desc, "; ");
		svg_escape(desc, tx->median);
		buf_addch(desc, ' ');
		add_num(desc, d->median);
	}
	if (isfinite(d->q1) && isfinite(d->q3)) {
		buf_adds(desc, "; ");
		svg_escape(desc, tx->iqr);
		buf_addch(desc, ' ');
		add_num(desc, d->q1);
		buf_adds(desc, "\xe2\x80\x93");
		add_num(desc, d->q3);
	}
	for (size_t i = 0; i < lo->n_bars; i++) {
		const struct bar *br = &lo->bars[i];

		if (!br->count && br->special < 0 && d->kind == SVG_DIST_YEAR)
			continue;
		buf_adds(desc, first ? ". " : "; ");
		first = 0;
		bar_summary(desc, br, lo->total);
	}
	if (own) {
		buf_adds(desc, ". ");
		svg_escape(desc, tx->you);
		buf_adds(desc, ": ");
		if (d->kind == SVG_DIST_YEAR && own->special < 0)
			add_num(desc, d->own);
		else
			svg_escape_fit(desc, own->label, TOOLTIP_COLS);
	}
	if (d->has_prev) {
		buf_adds(desc, ". ");
		svg_escape(desc, tx->prev);
		buf_printf(desc, ": %llu ", lo->prev_total);
		svg_escape(desc, tx->answers);
		for (size_t i = 0; i < lo->n_bars; i++) {
			const struct bar *br = &lo->bars[i];

			if (!br->prev && br->special < 0 && d->kind == SVG_DIST_YEAR)
				continue;
			buf_adds(desc, "; ");
			svg_escape_fit(desc, br->label, TOOLTIP_COLS);
			buf_printf(desc, ": %llu (%u%%)", br->prev, pct(br->prev, lo->prev_total));
		}
	}
	buf_adds(desc, ".");
}

/* Ticks and year labels under a year histogram: at bin edges, labelled every `step` years so that
 * labels stay at least 34 px apart. */
static void year_axis(struct buf *b, const struct svg_dist *d, const struct dist_layout *lo)
{
	unsigned w = bin_width(d);
	long step = w;
	char tmp[16];

	while ((double)step * lo->per_year < 34 && step <= d->year_max - d->year_min)
		step += w;
	for (size_t i = 0; i < lo->n_main; i++) {
		const struct bar *br = &lo->bars[i];
		double x = year_x(lo, d, br->year_lo);

		line_el(b, "dc-tick", x, SVG_DIST_PLOT_BOTTOM, x, SVG_DIST_PLOT_BOTTOM + 4,
			"stroke=\"" C_AXIS "\" stroke-width=\"1\"");
		if ((br->year_lo - d->year_min) % step == 0) {
			snprintf(tmp, sizeof tmp, "%d", br->year_lo);
			text_el(b, x, SVG_DIST_PLOT_BOTTOM + 15,
				"class=\"dc-axis\" font-size=\"10\" fill=\"" C_TEXT2
				"\" text-anchor=\"middle\"",
				tmp, 8);
		}
	}
}

/* Appends src to the NUL-terminated dst of size bytes, stopping before a code point that would
 * not fit whole (invalid bytes are copied one at a time; svg_escape cleans them later). */
static void cat_cp(char *dst, size_t size, const char *src)
{
	size_t len = strlen(dst);
	const unsigned char *p = (const unsigned char *)src;
	uint32_t cp;

	while (*p) {
		size_t n = utf8_decode(p, &cp);

		if (len + n + 1 > size)
			break;
		memcpy(dst + len, p, n);
		len += n;
		p += n;
	}
	dst[len] = '\0';
}

/* The legend under the distribution: up to four entries (swatch + text) on one line. Texts are
 * truncated to a common column budget so that the line fits the chart's width. */
struct legend_item {
	const char *cls;
	char text[160];
	size_t cols;
};

static void dist_legend(struct buf *b, const struct svg_dist *d, const struct svg_texts *tx,
			const struct bar *own, int has_band)
{
	const double y = SVG_DIST_HEIGHT - 10, sy = y - 8, col = COL_EM * 10;
	const double avail = SVG_DIST_WIDTH - SVG_DIST_LEFT - 8;
	struct legend_item it[4];
	size_t n = 0, i, cap = 26;
	double x = SVG_DIST_LEFT;
	char a[40];

	if (isfinite(d->median)) {
		fmt_num(a, sizeof a, d->median);
		it[n].cls = "dc-legend-median";
		it[n].text[0] = '\0';
		cat_cp(it[n].text, sizeof it[n].text, tx->median);
		cat_cp(it[n].text, sizeof it[n].text, " ");
		cat_cp(it[n++].text, sizeof it[0].text, a);
	}
	if (has_band) {
		char z[40];

		fmt_num(a, sizeof a, d->q1);
		fmt_num(z, sizeof z, d->q3);
		it[n].cls = "dc-legend-iqr";
		it[n].text[0] = '\0';
		cat_cp(it[n].text, sizeof it[n].text, tx->iqr);
		cat_cp(it[n].text, sizeof it[n].text, " ");
		cat_cp(it[n].text, sizeof it[n].text, a);
		cat_cp(it[n].text, sizeof it[n].text, "\xe2\x80\x93");
		cat_cp(it[n++].text, sizeof it[0].text, z);
	}
	if (own) {
		it[n].cls = "dc-legend-own";
		it[n].text[0] = '\0';
		if (d->kind == SVG_DIST_YEAR && own->special < 0)
			fmt_num(a, sizeof a, d->own);
		cat_cp(it[n].text, sizeof it[n].text, tx->you);
		cat_cp(it[n].text, sizeof it[n].text, ": ");
		cat_cp(it[n++].text, sizeof it[0].text,
		       d->kind == SVG_DIST_YEAR && own->special < 0 ? a : own->label);
	}
	if (d->has_prev) {
		it[n].cls = "dc-legend-prev";
		it[n].text[0] = '\0';
		cat_cp(it[n++].text, sizeof it[0].text, tx->prev);
	}
	for (i = 0; i < n; i++)
		it[i].cols = svg_text_cols(it[i].text);
	for (;;) {
		double width = 0;

		for (i = 0; i < n; i++)
			width += 16 + (double)(it[i].cols < cap ? it[i].cols : cap) * col + 14;
		if (width <= avail || cap <= 6)
			break;
		cap--;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(it[i].cls, "dc-legend-median"))
			line_el(b, it[i].cls, x + 6, sy - 1, x + 6, sy + 9,
				"stroke=\"" C_MEDIAN "\" stroke-width=\"2\"");
		else if (!strcmp(it[i].cls, "dc-legend-iqr"))
			rect_el(b, it[i].cls, x, sy, 12, 8,
				"fill=\"" C_MEDIAN "\" fill-opacity=\"0.15\" stroke=\"" C_MEDIAN
				"\" stroke-width=\"0.75\"");
		else if (!strcmp(it[i].cls, "dc-legend-own"))
			rect_el(b, it[i].cls, x + 1, sy, 10, 8,
				"fill=\"none\" stroke=\"" C_OWN "\" stroke-width=\"2\"");
		else
			rect_el(b, it[i].cls, x + 2, sy - 1, 8, 10,
				"fill=\"none\" stroke=\"" C_PREV "\" stroke-width=\"1.25\" "
				"stroke-dasharray=\"3 2\"");
		text_el(b, x + 16, y, "class=\"dc-legend\" font-size=\"10\" fill=\"" C_TEXT "\"",
			it[i].text, cap);
		x += 16 + (double)(it[i].cols < cap ? it[i].cols : cap) * col + 14;
	}
}

int svg_dist(struct buf *b, const struct svg_dist *d)
{
	struct dist_layout lo = { 0 };
	struct svg_texts tx;
	struct buf desc = BUF_INIT;
	const struct bar *own;
	const double pt = SVG_DIST_PLOT_TOP, pb = SVG_DIST_PLOT_BOTTOM;
	double xm, xq1, xq3, x;
	int has_band = 0, rc = -1;
	size_t i;
	char num[48];

	buf_init(&desc);
	if (!d || !dist_valid(d) || dist_layout(d, &lo))
		goto out;
	fill_texts(&tx, d->texts);
	own = own_bar(d, &lo);
	dist_desc(&desc, d, &lo, &tx, own);

	chart_open(b, "dc-dist", SVG_DIST_WIDTH, SVG_DIST_HEIGHT, d->title, d->aria_label,
		   "Distribution", desc.data);
	snprintf(num, sizeof num, "n = %llu", lo.valid);
	heading(b, d->title, SVG_DIST_WIDTH - 24 - text_px(num, 10) - 12);
	text_el(b, SVG_DIST_WIDTH - 12, 16,
		"class=\"dc-n\" font-size=\"10\" fill=\"" C_TEXT2 "\" text-anchor=\"end\"", num, 24);

	/* The Q1..Q3 band goes first so that the bars are drawn over it. */
	if (!dist_x(d, &lo, d->q1, &xq1) && !dist_x(d, &lo, d->q3, &xq3)) {
		has_band = 1;
		if (xq1 > xq3) {
			x = xq1;
			xq1 = xq3;
			xq3 = x;
		}
		if (xq3 - xq1 > 0)
			rect_el(b, "dc-iqr", xq1, pt, xq3 - xq1, pb - pt,
				"fill=\"" C_MEDIAN "\" fill-opacity=\"0.12\"");
	}

	/* Baselines, and a dotted separator before the special answers. */
	line_el(b, "dc-baseline", lo.left, pb, lo.right, pb,
		"stroke=\"" C_AXIS "\" stroke-width=\"1\"");
	if (lo.n_bars > lo.n_main) {
		x = lo.right + SVG_DIST_SPECIAL_GAP / 2.0;
		line_el(b, "dc-sep", x, pt, x, pb + 4,
			"stroke=\"" C_GRID "\" stroke-width=\"1\" stroke-dasharray=\"2 2\"");
		line_el(b, "dc-baseline", lo.right + SVG_DIST_SPECIAL_GAP, pb,
			SVG_DIST_WIDTH - SVG_DIST_LEFT, pb, "stroke=\"" C_AXIS "\" stroke-width=\"1\"");
	}

	for (i = 0; i < lo.n_bars; i++) {
		const struct bar *br = &lo.bars[i];
		double h = bar_height(&lo, br->count);

		buf_adds(b, br->special < 0 ? "<g class=\"dc-bar\"><title>"
					    : "<g class=\"dc-bar dc-special\"><title>");
		bar_summary(b, br, lo.total);
		if (d->has_prev) {
			buf_adds(b, "; ");
			svg_escape(b, tx.prev);
			buf_printf(b, ": %llu (%u%%)", br->prev, pct(br->prev, lo.prev_total));
		}
		buf_adds(b, "</title>");
		rect_el(b, "dc-bar-fill", br->x0, pb - h, br->x1 - br->x0, h,
			br->special < 0 ? "fill=\"" C_BAR "\"" : "fill=\"" C_SPECIAL "\"");
		buf_adds(b, "</g>\n");
	}

	if (own) {
		double h = bar_height(&lo, own->count);

		if (h < 2)
			h = 2;
		rect_el(b, "dc-own", own->x0 - 1.5, pb - h - 1.5, own->x1 - own->x0 + 3, h + 1.5,
			"fill=\"none\" stroke=\"" C_OWN "\" stroke-width=\"2.5\"");
	}

	if (d->has_prev) {
		for (i = 0; i < lo.n_bars; i++) {
			const struct bar *br = &lo.bars[i];
			double h = bar_height(&lo, br->prev), w = (br->x1 - br->x0) * 0.5;

			if (!br->prev)
				continue;
			if (w < 1)
				w = br->x1 - br->x0;
			rect_el(b, "dc-prev", br->cx - w / 2, pb - h, w, h,
				"fill=\"none\" stroke=\"" C_PREV "\" stroke-width=\"1.25\" "
				"stroke-dasharray=\"3 2\"");
		}
	}

	if (!dist_x(d, &lo, d->median, &xm))
		line_el(b, "dc-median", xm, pt - 2, xm, pb,
			"stroke=\"" C_MEDIAN "\" stroke-width=\"2\"");

	/* Counts (and percentages where there is room) above the bars, with a white halo so that
	 * the median line and the band never make them unreadable. */
	for (i = 0; i < lo.n_bars; i++) {
		const struct bar *br = &lo.bars[i];
		double h = bar_height(&lo, br->count), hp = bar_height(&lo, br->prev);
		double top = pb - (h > hp ? h : hp) - (br == own ? 2.5 : 0);

		if (!lo.total || (!br->count && d->kind == SVG_DIST_YEAR && br->special < 0))
			continue;
		if (br->slot >= 56)
			snprintf(num, sizeof num, "%llu (%u%%)", br->count,
				 pct(br->count, lo.total));
		else if (br->slot >= 13)
			snprintf(num, sizeof num, "%llu", br->count);
		else
			continue;
		text_el(b, br->cx, top - 3,
			br->slot >= 56 ? "class=\"dc-count\" font-size=\"10\" fill=\"" C_TEXT
					 "\" text-anchor=\"middle\" " HALO
				       : "class=\"dc-count\" font-size=\"9\" fill=\"" C_TEXT
					 "\" text-anchor=\"middle\" " HALO,
			num, 16);
	}

	/* Labels under the bars: ordinal labels and specials; years get an axis. */
	for (i = 0; i < lo.n_bars; i++) {
		const struct bar *br = &lo.bars[i];

		if (d->kind == SVG_DIST_YEAR && br->special < 0)
			continue;
		text_el(b, br->cx, pb + 14,
			"class=\"dc-label\" font-size=\"11\" fill=\"" C_TEXT "\" text-anchor=\"middle\"",
			br->label, cols_for(br->slot - 4, 11));
	}
	if (d->kind == SVG_DIST_YEAR)
		year_axis(b, d, &lo);

	if (!lo.total && !lo.prev_total)
		no_answers(b, &tx, SVG_DIST_WIDTH / 2.0, (pt + pb) / 2 + 4);

	/* The "you" marker: a small triangle above the plot pointing at the own answer. */
	if (own) {
		double mx = own->cx, tw = text_px(tx.you, 10);

		if (d->own_kind == SVG_OWN_VALUE)
			dist_x(d, &lo, d->own, &mx);
		tri_el(b, "dc-you", mx - 5, pt - 12, mx + 5, pt - 12, mx, pt - 3, C_OWN);
		if (mx + 8 + tw <= SVG_DIST_WIDTH - 4)
			text_el(b, mx + 8, pt - 4,
				"class=\"dc-you-text\" font-size=\"10\" font-weight=\"bold\" fill=\"" C_OWN
				"\"",
				tx.you, 12);
		else
			text_el(b, mx - 8, pt - 4,
				"class=\"dc-you-text\" font-size=\"10\" font-weight=\"bold\" fill=\"" C_OWN
				"\" text-anchor=\"end\"",
				tx.you, 12);
	}

	dist_legend(b, d, &tx, own, has_band);
	buf_adds(b, "</svg>\n");
	rc = 0;
out:
	free(lo.bars);
	buf_release(&desc);
	return rc;
}

/* ---- 2. Timeline ----------------------------------------------------------------------------- */

static double tl_x(const struct svg_timeline *t, double v)
{
	const double l = SVG_TIMELINE_LEFT, r = SVG_TIMELINE_WIDTH - SVG_TIMELINE_RIGHT;

	if (v < t->year_from)
		v = t->year_from;
	if (v > t->year_to)
		v = t->year_to;
	return l + (v - t->year_from) / (double)(t->year_to - t->year_from) * (r - l);
}

/* "median 2032 (2030–2035)" or "–" into an escaped buffer. */
static void tl_summary(struct buf *b, const struct svg_texts *tx, double q1, double med,
		       double q3)
{
	if (!isfinite(med) && !(isfinite(q1) && isfinite(q3))) {
		buf_adds(b, "\xe2\x80\x93");
		return;
	}
	if (isfinite(med)) {
		svg_escape(b, tx->median);
		buf_addch(b, ' ');
		add_num(b, med);
	}
	if (isfinite(q1) && isfinite(q3)) {
		buf_adds(b, isfinite(med) ? " (" : "(");
		svg_escape(b, tx->iqr);
		buf_addch(b, ' ');
		add_num(b, q1);
		buf_adds(b, "\xe2\x80\x93");
		add_num(b, q3);
		buf_addch(b, ')');
	}
}

/* One bar (Q1..Q3) and its median marker, between y and y + h, in colour. What lies beyond the
 * axis is clamped to it and flagged by a small triangle outside the axis pointing away (dark when
 * the median itself is beyond, which then has no marker). */
static void tl_bar(struct buf *b, const struct svg_timeline *t, double q1, double med, double q3,
		   double y, double h, const char *cls, const char *colour)
{
	const double l = SVG_TIMELINE_LEFT, r = SVG_TIMELINE_WIDTH - SVG_TIMELINE_RIGHT;
	int has_bar = isfinite(q1) && isfinite(q3);
	double lo = has_bar ? (q1 < q3 ? q1 : q3) : med, hi = has_bar ? (q1 < q3 ? q3 : q1) : med;
	double m = y + h / 2;

	if (has_bar) {
		double a = tl_x(t, lo), z = tl_x(t, hi);

		if (z - a < 2) {
			a = (a + z) / 2 - 1;
			z = a + 2;
		}
		buf_printf(b, "<rect class=\"%s\"", cls);
		attr(b, "x", a);
		attr(b, "y", y);
		attr(b, "width", z - a);
		attr(b, "height", h);
		buf_printf(b, " fill=\"%s\"/>\n", colour);
	}
	if (isfinite(hi) && hi > t->year_to)
		tri_el(b, "dc-beyond", r + 1, y - 1, r + 1, y + h + 1, r + 7, m,
		       isfinite(med) && med > t->year_to ? C_TEXT : colour);
	if (isfinite(lo) && lo < t->year_from)
		tri_el(b, "dc-beyond", l - 1, y - 1, l - 1, y + h + 1, l - 7, m,
		       isfinite(med) && med < t->year_from ? C_TEXT : colour);
	if (isfinite(med) && med >= t->year_from && med <= t->year_to) {
		double x = tl_x(t, med);

		line_el(b, "dc-tl-median", x, y - 2.5, x, y + h + 2.5,
			"stroke=\"" C_TEXT "\" stroke-width=\"2\"");
	}
}

/* A row label on up to two lines of max_cols columns: the first line breaks at the last blank
 * that fits (or anywhere when there is none in its second half), the second is truncated. */
static void tl_label(struct buf *b, double x, double y0, const char *s, size_t max_cols)
{
	static const char attrs[] = "class=\"dc-label\" font-size=\"11\" fill=\"" C_TEXT "\"";
	const unsigned char *p = (const unsigned char *)s, *cut, *brk = NULL, *rest;
	struct buf line = BUF_INIT;
	size_t cols = 0, n;
	uint32_t cp;

	buf_init(&line);
	if (!s || svg_text_cols(s) <= max_cols) {
		text_el(b, x, y0 + 19, attrs, s ? s : "", max_cols);
		return;
	}
	while (*p) {
		n = utf8_decode(p, &cp);
		if (cols + cp_cols(cp) > max_cols)
			break;
		if (is_blank(cp) && cols >= max_cols / 2)
			brk = p;
		cols += cp_cols(cp);
		p += n;
	}
	cut = brk ? brk : p;
	rest = cut;
	while (*rest) {
		n = utf8_decode(rest, &cp);
		if (!is_blank(cp))
			break;
		rest += n;
	}
	buf_add(&line, s, (size_t)(cut - (const unsigned char *)s));
	text_el(b, x, y0 + 13, attrs, line.data, max_cols);
	text_el(b, x, y0 + 25.5, attrs, (const char *)rest, max_cols);
	buf_release(&line);
}

int svg_timeline(struct buf *b, const struct svg_timeline *t)
{
	struct svg_texts tx;
	struct buf desc = BUF_INIT;
	const double l = SVG_TIMELINE_LEFT, r = SVG_TIMELINE_WIDTH - SVG_TIMELINE_RIGHT;
	size_t rows, i;
	int h, rc = -1;
	double top = SVG_TIMELINE_TOP, axis, x;
	long y;
	char tmp[24];

	buf_init(&desc);
	if (!t || (t->n_rows && !t->rows) || t->year_from >= t->year_to ||
	    (long)t->year_to - (long)t->year_from > 1000)
		goto out;
	fill_texts(&tx, t->texts);
	rows = t->n_rows ? t->n_rows : 1;
	h = (int)(SVG_TIMELINE_TOP + rows * SVG_TIMELINE_ROW + SVG_TIMELINE_BOTTOM);
	axis = top + (double)rows * SVG_TIMELINE_ROW;

	for (i = 0; i < t->n_rows; i++) {
		const struct svg_timeline_row *row = &t->rows[i];

		if (i)
			buf_adds(&desc, "; ");
		svg_escape_fit(&desc, row->label, TOOLTIP_COLS);
		buf_adds(&desc, ": ");
		svg_escape(&desc, tx.tech);
		buf_addch(&desc, ' ');
		tl_summary(&desc, &tx, row->tech_q1, row->tech_median, row->tech_q3);
		buf_adds(&desc, ", ");
		svg_escape(&desc, tx.social);
		buf_addch(&desc, ' ');
		tl_summary(&desc, &tx, row->social_q1, row->social_median, row->social_q3);
	}
	if (!t->n_rows)
		svg_escape(&desc, tx.no_answers);
	buf_addch(&desc, '.');

	chart_open(b, "dc-timeline", SVG_TIMELINE_WIDTH, h, t->title, t->aria_label,
		   "Realization timeline", desc.data);
	heading(b, t->title, SVG_TIMELINE_WIDTH - 24);

	/* Legend: technical, social, median. */
	x = 12;
	rect_el(b, "dc-legend-tech", x, 25, 14, 7, "fill=\"" C_TECH "\"");
	text_el(b, x + 18, 32, "class=\"dc-legend\" font-size=\"10\" fill=\"" C_TEXT "\"", tx.tech,
		30);
	x += 18 + (double)(svg_text_cols(tx.tech) > 30 ? 30 : svg_text_cols(tx.tech)) * 6 + 16;
	rect_el(b, "dc-legend-social", x, 25, 14, 7, "fill=\"" C_SOCIAL "\"");
	text_el(b, x + 18, 32, "class=\"dc-legend\" font-size=\"10\" fill=\"" C_TEXT "\"", tx.social,
		30);
	x += 18 + (double)(svg_text_cols(tx.social) > 30 ? 30 : svg_text_cols(tx.social)) * 6 + 16;
	line_el(b, "dc-legend-median", x + 6, 23, x + 6, 34, "stroke=\"" C_TEXT "\" stroke-width=\"2\"");
	text_el(b, x + 14, 32, "class=\"dc-legend\" font-size=\"10\" fill=\"" C_TEXT "\"", tx.median,
		20);

	/* Row backgrounds, then the grid, then the bars. */
	for (i = 0; i < t->n_rows; i += 2)
		rect_el(b, "dc-row-bg", 0, top + (double)i * SVG_TIMELINE_ROW, SVG_TIMELINE_WIDTH,
			SVG_TIMELINE_ROW, "fill=\"" C_ROW "\"");
	for (y = ((long)t->year_from + 4) / 5 * 5; y <= t->year_to; y += 5) {
		x = tl_x(t, (double)y);
		line_el(b, "dc-grid", x, top, x, axis, "stroke=\"" C_GRID "\" stroke-width=\"1\"");
	}
	for (i = 0; i < t->n_rows; i++) {
		const struct svg_timeline_row *row = &t->rows[i];
		double y0 = top + (double)i * SVG_TIMELINE_ROW;

		buf_adds(b, "<g class=\"dc-row\"><title>");
		svg_escape_fit(b, row->label, TOOLTIP_COLS);
		buf_adds(b, " \xe2\x80\x94 ");
		svg_escape(b, tx.tech);
		buf_addch(b, ' ');
		tl_summary(b, &tx, row->tech_q1, row->tech_median, row->tech_q3);
		buf_adds(b, "; ");
		svg_escape(b, tx.social);
		buf_addch(b, ' ');
		tl_summary(b, &tx, row->social_q1, row->social_median, row->social_q3);
		buf_adds(b, "</title>\n");
		tl_label(b, 8, y0, row->label, cols_for(l - 16, 11));
		tl_bar(b, t, row->tech_q1, row->tech_median, row->tech_q3, y0 + 6, 8, "dc-tech",
		       C_TECH);
		tl_bar(b, t, row->social_q1, row->social_median, row->social_q3, y0 + 17, 8,
		       "dc-social", C_SOCIAL);
		buf_adds(b, "</g>\n");
	}
	if (!t->n_rows)
		no_answers(b, &tx, (l + r) / 2, top + 19);

	line_el(b, "dc-baseline", l, axis, r, axis, "stroke=\"" C_AXIS "\" stroke-width=\"1\"");
	for (y = ((long)t->year_from + 4) / 5 * 5; y <= t->year_to; y += 5) {
		x = tl_x(t, (double)y);
		line_el(b, "dc-tick", x, axis, x, axis + 4, "stroke=\"" C_AXIS "\" stroke-width=\"1\"");
		snprintf(tmp, sizeof tmp, "%ld", y);
		text_el(b, x, axis + 16,
			"class=\"dc-axis\" font-size=\"10\" fill=\"" C_TEXT2 "\" text-anchor=\"middle\"",
			tmp, 8);
	}
	buf_adds(b, "</svg>\n");
	rc = 0;
out:
	buf_release(&desc);
	return rc;
}

/* ---- 3. Ranking ------------------------------------------------------------------------------ */

int svg_ranking(struct buf *b, const struct svg_ranking *r)
{
	struct svg_texts tx;
	struct buf desc = BUF_INIT;
	const double l = SVG_RANKING_LEFT, top = SVG_RANKING_TOP;
	double max, axis, x;
	size_t rows, i;
	int h, rc = -1;
	char tmp[40];

	buf_init(&desc);
	if (!r || (r->n && !r->items))
		goto out;
	fill_texts(&tx, r->texts);
	max = isfinite(r->max) && r->max > 0 ? r->max : 100;
	rows = r->n ? r->n : 1;
	h = (int)(SVG_RANKING_TOP + rows * SVG_RANKING_ROW + SVG_RANKING_BOTTOM);
	axis = top + (double)rows * SVG_RANKING_ROW;

	for (i = 0; i < r->n; i++) {
		if (i)
			buf_adds(&desc, "; ");
		svg_escape_fit(&desc, r->items[i].label, TOOLTIP_COLS);
		buf_adds(&desc, ": ");
		if (isfinite(r->items[i].value)) {
			fmt_fixed(tmp, sizeof tmp, r->items[i].value, 1);
			buf_adds(&desc, tmp);
		} else {
			buf_adds(&desc, "\xe2\x80\x93");
		}
	}
	if (!r->n)
		svg_escape(&desc, tx.no_answers);
	buf_addch(&desc, '.');

	chart_open(b, "dc-ranking", SVG_RANKING_WIDTH, h, r->title, r->aria_label, "Ranking",
		   desc.data);
	heading(b, r->title, SVG_RANKING_WIDTH - 24);

	for (i = 0; i <= 4; i++) {
		x = l + SVG_RANKING_PLOT * (double)i / 4;
		line_el(b, "dc-grid", x, top, x, axis, "stroke=\"" C_GRID "\" stroke-width=\"1\"");
	}
	for (i = 0; i < r->n; i++) {
		const struct svg_rank_item *it = &r->items[i];
		double y0 = top + (double)i * SVG_RANKING_ROW, v = it->value, w;

		buf_adds(b, "<g class=\"dc-row\"><title>");
		svg_escape_fit(b, it->label, TOOLTIP_COLS);
		buf_adds(b, ": ");
		if (isfinite(v))
			fmt_fixed(tmp, sizeof tmp, v, 1);
		else
			strcpy(tmp, "\xe2\x80\x93");
		buf_adds(b, tmp);
		buf_adds(b, "</title>\n");
		text_el(b, 8, y0 + 14, "class=\"dc-label\" font-size=\"11\" fill=\"" C_TEXT "\"",
			it->label, cols_for(l - 16, 11));
		w = 0;
		if (isfinite(v)) {
			if (v < 0)
				v = 0;
			if (v > max)
				v = max;
			w = v / max * SVG_RANKING_PLOT;
			rect_el(b, "dc-bar-fill", l, y0 + 4, w, 12, "fill=\"" C_BAR "\"");
		}
		text_el(b, l + w + 4, y0 + 14,
			"class=\"dc-value\" font-size=\"10\" fill=\"" C_TEXT "\"", tmp, 8);
		buf_adds(b, "</g>\n");
	}
	if (!r->n)
		no_answers(b, &tx, l + SVG_RANKING_PLOT / 2.0, top + 14);

	line_el(b, "dc-baseline", l, axis, l + SVG_RANKING_PLOT, axis,
		"stroke=\"" C_AXIS "\" stroke-width=\"1\"");
	for (i = 0; i <= 4; i++) {
		x = l + SVG_RANKING_PLOT * (double)i / 4;
		line_el(b, "dc-tick", x, axis, x, axis + 4, "stroke=\"" C_AXIS "\" stroke-width=\"1\"");
		fmt_num(tmp, sizeof tmp, max * (double)i / 4);
		text_el(b, x, axis + 15,
			"class=\"dc-axis\" font-size=\"10\" fill=\"" C_TEXT2 "\" text-anchor=\"middle\"",
			tmp, 10);
	}
	buf_adds(b, "</svg>\n");
	rc = 0;
out:
	buf_release(&desc);
	return rc;
}
