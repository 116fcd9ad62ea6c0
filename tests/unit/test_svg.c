/*
 * test_svg — the inline SVG charts (server/core/svg.c).
 *
 * The structural checks use a tiny XML-ish checker (check_svg below): tags must balance, only the
 * elements and attributes the module is meant to emit may appear (no scripts, no on* attributes,
 * no href or style), attribute values must be quoted and free of '<', and every '&' must start one
 * of the five entities the escaper produces. Expected coordinates are worked out by hand from the
 * geometry documented in svg.h; each test says how.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "svg.h"

/* ---- The checker ----------------------------------------------------------------------------- */

static const char *const allowed_elements[] = {
	"svg", "title", "desc", "g", "rect", "line", "path", "text",
};

static const char *const allowed_attributes[] = {
	"xmlns", "class", "width", "height", "viewBox", "role", "aria-label", "font-family",
	"x", "y", "x1", "y1", "x2", "y2", "d", "fill", "fill-opacity", "stroke", "stroke-width",
	"stroke-dasharray", "stroke-linejoin", "paint-order", "font-size", "font-weight",
	"text-anchor",
};

static int in_list(const char *s, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && !memcmp(list[i], s, len))
			return 1;
	return 0;
}

/* The length of the entity svg_escape produces that p starts with, or 0. */
static int entity_len(const char *p)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };

	for (size_t i = 0; i < 5; i++)
		if (!strncmp(p, ent[i], strlen(ent[i])))
			return (int)strlen(ent[i]);
	return 0;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

#define FAIL(m)            \
	do {               \
		err = (m); \
		goto out;  \
	} while (0)

/* Returns NULL if s is one well-formed <svg> element by the rules above, else what is wrong;
 * *where is set to the offset where the check stopped. */
static const char *check_svg_at(const char *s, size_t *where)
{
	const char *stack[64], *name, *an, *err = NULL;
	size_t stack_len[64], depth = 0, roots = 0;
	const char *p = s;

	while (*p) {
		if (*p == '&') {
			if (!entity_len(p))
				FAIL("bare & in text");
			p += entity_len(p);
			continue;
		}
		if (*p == '>')
			FAIL("bare > in text");
		if (*p != '<') {
			if (!depth && *p != '\n')
				FAIL("text outside the root");
			p++;
			continue;
		}
		p++;
		if (*p == '/') {
			name = ++p;
			while (*p && *p != '>')
				p++;
			if (!*p || !depth)
				FAIL("unbalanced end tag");
			depth--;
			if ((size_t)(p - name) != stack_len[depth] ||
			    memcmp(name, stack[depth], stack_len[depth]))
				FAIL("end tag does not match");
			p++;
			continue;
		}
		name = p;
		while (is_name_char(*p))
			p++;
		if (!in_list(name, (size_t)(p - name), allowed_elements,
			     sizeof allowed_elements / sizeof allowed_elements[0]))
			FAIL("element not allowed");
		if (!depth && roots++)
			FAIL("more than one root");
		if (!depth && strncmp(name, "svg", 3))
			FAIL("root is not svg");
		for (;;) {
			while (*p == ' ')
				p++;
			if (*p == '>' || (*p == '/' && p[1] == '>'))
				break;
			an = p;
			while (is_name_char(*p))
				p++;
			if (p == an)
				FAIL("malformed attribute");
			if (!in_list(an, (size_t)(p - an), allowed_attributes,
				     sizeof allowed_attributes / sizeof allowed_attributes[0]))
				FAIL("attribute not allowed");
			if (p[0] != '=' || p[1] != '"')
				FAIL("unquoted attribute");
			p += 2;
			while (*p && *p != '"') {
				if (*p == '<')
					FAIL("< in attribute");
				if (*p == '&') {
					if (!entity_len(p))
						FAIL("bare & in attribute");
					p += entity_len(p);
					continue;
				}
				p++;
			}
			if (!*p)
				FAIL("unterminated attribute");
			p++;
		}
		if (*p == '/') {
			p += 2;
			if (!depth)
				FAIL("empty root");
			continue;
		}
		if (depth == 64)
			FAIL("too deep");
		stack[depth] = name;
		stack_len[depth++] = strcspn(name, " />");
		p++;
	}
	if (depth)
		FAIL("unclosed element");
	if (roots != 1)
		FAIL("no root");
out:
	*where = (size_t)(p - s);
	return err;
}

static const char *check_svg(const char *s)
{
	size_t where;

	return check_svg_at(s, &where);
}

static void assert_valid_svg(const char *s)
{
	size_t where;
	const char *err = check_svg_at(s, &where);

	if (err) {
		size_t from = where > 120 ? where - 120 : 0;

		fail_msg("%s at offset %zu: ...%.160s", err, where, s + from);
	}
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- Fixtures -------------------------------------------------------------------------------- */

static const char *const imp_labels[] = { "very high", "high", "low", "very low" };
static const double imp_values[] = { 4, 3, 2, 1 };
static const unsigned imp_counts[] = { 10, 8, 4, 1 };
static const unsigned imp_prev[] = { 6, 9, 6, 3 };

static struct svg_dist importance(void)
{
	struct svg_dist d = { 0 };

	d.kind = SVG_DIST_ORDINAL;
	d.title = "Importance";
	d.n = 4;
	d.labels = imp_labels;
	d.values = imp_values;
	d.counts = imp_counts;
	d.q1 = 3;
	d.median = 3.5;
	d.q3 = 4;
	return d;
}

static char *render_dist(const struct svg_dist *d)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	assert_int_equal(svg_dist(&b, d), 0);
	return buf_detach(&b, NULL);
}

static char *render_timeline(const struct svg_timeline *t)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	assert_int_equal(svg_timeline(&b, t), 0);
	return buf_detach(&b, NULL);
}

static char *render_ranking(const struct svg_ranking *r)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	assert_int_equal(svg_ranking(&b, r), 0);
	return buf_detach(&b, NULL);
}

static char *escaped(const char *s)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	svg_escape(&b, s);
	return buf_detach(&b, NULL);
}

static char *fitted(const char *s, size_t cols)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	svg_escape_fit(&b, s, cols);
	return buf_detach(&b, NULL);
}

/* ---- Escaping and truncation ----------------------------------------------------------------- */

static void test_escape_hostile(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "\"><img onerror=x>", "&quot;&gt;&lt;img onerror=x&gt;" },
		{ "R&D", "R&amp;D" },
		{ "it's", "it&#39;s" },
		{ "&amp;", "&amp;amp;" },
		/* tab, newline, CR, DEL and a C1 control (U+0085, C2 85) become spaces */
		{ "a\tb\nc\rd\x7f" "e\xc2\x85" "f", "a b c d e f" },
		/* valid multibyte text passes unchanged */
		{ "h\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "h\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80" },
		/* a stray byte, an overlong '/', a surrogate (3 bytes, each rejected alone), a sequence
		 * cut by the end of the string (2 bytes): one U+FFFD (EF BF BD) per rejected byte */
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xe6\x97", "x\xef\xbf\xbd\xef\xbf\xbd" },
		/* U+FFFF (EF BF BF) is not an XML character */
		{ "\xef\xbf\xbf", "\xef\xbf\xbd" },
		{ "", "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = escaped(cases[i].in);

		assert_string_equal(got, cases[i].want);
		free(got);
	}
	struct buf b = BUF_INIT;

	buf_init(&b);
	svg_escape(&b, NULL);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_text_cols(void **state)
{
	(void)state;
	assert_int_equal(svg_text_cols(NULL), 0);
	assert_int_equal(svg_text_cols(""), 0);
	assert_int_equal(svg_text_cols("abc"), 3);
	/* é (2 bytes) is one column */
	assert_int_equal(svg_text_cols("h\xc3\xa9"), 2);
	/* 日本語: three wide characters, 2 columns each */
	assert_int_equal(svg_text_cols("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 6);
	/* e + combining acute (CC 81): 1 column */
	assert_int_equal(svg_text_cols("e\xcc\x81"), 1);
	/* a stray byte reads as one U+FFFD: 1 column */
	assert_int_equal(svg_text_cols("\xff"), 1);
}

static void test_truncation_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t cols;
		const char *want;
	} cases[] = {
		/* fits: unchanged (11 columns in 11) */
		{ "h\xc3\xa9llo w\xc3\xb6rld", 11, "h\xc3\xa9llo w\xc3\xb6rld" },
		/* 6 columns: 5 for the text, then the ellipsis (E2 80 A6); the blank is dropped */
		{ "h\xc3\xa9llo w\xc3\xb6rld", 6, "h\xc3\xa9llo\xe2\x80\xa6" },
		/* 3 columns: "h" "é" + ellipsis; é is never split */
		{ "h\xc3\xa9llo", 3, "h\xc3\xa9\xe2\x80\xa6" },
		/* 日本語テキスト = 14 columns; in 7: 日本語 (6) + ellipsis */
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88",
		  7, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe2\x80\xa6" },
		/* in 8: テ would need columns 7-8 but only 7 are left before the ellipsis */
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88",
		  8, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe2\x80\xa6" },
		/* a 4-byte emoji (2 columns) is kept whole or dropped whole */
		{ "ab\xf0\x9f\x98\x80" "cd", 3, "ab\xe2\x80\xa6" },
		{ "ab\xf0\x9f\x98\x80" "cd", 5, "ab\xf0\x9f\x98\x80\xe2\x80\xa6" },
		/* a combining mark stays with its base: "aé" (e + U+0301) + "bc", 4 columns, in 3 */
		{ "ae\xcc\x81" "bc", 3, "ae\xcc\x81\xe2\x80\xa6" },
		/* escaping happens after truncation: "ab<" fits in 3 columns of 4 */
		{ "ab<cd>", 4, "ab&lt;\xe2\x80\xa6" },
		/* one column: only the ellipsis */
		{ "abc", 1, "\xe2\x80\xa6" },
		{ "abc", 0, "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = fitted(cases[i].in, cases[i].cols);

		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		free(got);
	}
}

/* A long hostile label in a chart: escaped, truncated with an ellipsis, full text in a tooltip. */
static void test_hostile_chart_text(void **state)
{
	const char *labels[] = {
		"\"><img src=x onerror=alert(1)>",
		"<script>alert(document.cookie)</script> and a very long tail of text",
		"R&D \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5",
		"it's \xff broken",
	};
	struct svg_dist d = importance();
	struct svg_texts tx = { .you = "<b>you</b>", .median = "m\xc3\xa9" "dian & co" };
	char *s;

	(void)state;
	d.labels = labels;
	d.title = "<script>alert('x')</script> & \"more\"";
	d.aria_label = "\" onload=\"alert(1)";
	d.texts = &tx;
	d.own_kind = SVG_OWN_VALUE;
	d.own = 2;
	d.specials[SVG_DONT_KNOW].label = "<don't know>";
	d.specials[SVG_DONT_KNOW].count = 1;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "<img"));
	assert_null(strstr(s, "<b>"));
	assert_null(strstr(s, "onload=\""));
	assert_non_null(strstr(s, "aria-label=\"&quot; onload=&quot;alert(1)\""));
	assert_non_null(strstr(s, "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
				  "&quot;more&quot;</title>"));
	/* the long label is truncated (ellipsis) and its tooltip keeps the full text */
	assert_non_null(strstr(s, "<title>&lt;script&gt;alert(document.cookie)&lt;/script&gt; and a "
				  "very long tail of text</title>"));
	assert_non_null(strstr(s, "\xe2\x80\xa6</text>"));
	/* the invalid byte became U+FFFD */
	assert_non_null(strstr(s, "it&#39;s \xef\xbf\xbd broken"));
	free(s);
}

/* ---- Structure and determinism --------------------------------------------------------------- */

static void test_structure_every_chart(void **state)
{
	struct svg_dist d = importance();
	struct svg_timeline_row rows[] = {
		{ "ICT-01", 2030, 2032, 2035, 2033, 2036, 2040 },
	};
	struct svg_timeline t = { .title = "Timeline", .year_from = 2025, .year_to = 2055,
				  .rows = rows, .n_rows = 1 };
	struct svg_rank_item items[] = { { "a", 80 }, { "b", 40 } };
	struct svg_ranking r = { .title = "Ranking", .items = items, .n = 2 };
	char *s;

	(void)state;
	s = render_dist(&d);
	assert_valid_svg(s);
	/* root attributes, then <title> and <desc> first */
	assert_true(!strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dc dc-dist\" "
				"width=\"480\" height=\"200\" viewBox=\"0 0 480 200\" role=\"img\" "
				"aria-label=\"Importance\"",
			     strlen("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dc dc-dist\" "
				    "width=\"480\" height=\"200\" viewBox=\"0 0 480 200\" role=\"img\" "
				    "aria-label=\"Importance\"")));
	assert_non_null(strstr(s, ">\n<title>Importance</title>\n<desc>"));
	/* 23 answers: 10 (43%), 8 (35%), 4 (17%), 1 (4%) -- 10/23 = 43.5 -> 43, 8/23 = 34.8 -> 35,
	 * 4/23 = 17.4 -> 17, 1/23 = 4.3 -> 4 */
	assert_non_null(strstr(s, "n = 23"));
	assert_non_null(strstr(s, ">10 (43%)<"));
	assert_non_null(strstr(s, ">8 (35%)<"));
	assert_non_null(strstr(s, ">4 (17%)<"));
	assert_non_null(strstr(s, ">1 (4%)<"));
	assert_int_equal(count_of(s, "class=\"dc-bar\""), 4);
	free(s);

	s = render_timeline(&t);
	assert_valid_svg(s);
	assert_non_null(strstr(s, "role=\"img\" aria-label=\"Timeline\""));
	/* height = 44 + 1 * 30 + 30 */
	assert_non_null(strstr(s, "width=\"640\" height=\"104\" viewBox=\"0 0 640 104\""));
	free(s);

	s = render_ranking(&r);
	assert_valid_svg(s);
	/* height = 30 + 2 * 20 + 26 */
	assert_non_null(strstr(s, "width=\"480\" height=\"96\" viewBox=\"0 0 480 96\""));
	free(s);
}

static void test_deterministic(void **state)
{
	struct svg_dist d = importance();
	struct svg_year_count ys[] = { { 2030, 2 }, { 2031, 1 }, { 2040, 3 } };
	struct svg_dist y = { 0 };
	char *a, *b;

	(void)state;
	d.has_prev = 1;
	d.prev_counts = imp_prev;
	d.own_kind = SVG_OWN_VALUE;
	d.own = 3;
	a = render_dist(&d);
	b = render_dist(&d);
	assert_string_equal(a, b);
	/* coordinates always carry two decimals with a '.' */
	assert_non_null(strstr(a, "x1=\"140.00\""));
	free(a);
	free(b);

	y.kind = SVG_DIST_YEAR;
	y.year_min = 2025;
	y.year_max = 2050;
	y.bin_width = 5;
	y.years = ys;
	y.n_years = 3;
	y.q1 = 2030;
	y.median = 2030.5;
	y.q3 = 2040;
	a = render_dist(&y);
	b = render_dist(&y);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* ---- Geometry -------------------------------------------------------------------------------- */

/* 4 bars, no special: the axis is x = 40..440 (400 px), 4 slots of 100 px, bar centres at 90,
 * 190, 290, 390 for the values 4, 3, 2, 1. Median 3.5 lies half-way between the centres of 4 and
 * 3: x = 140. Q1 = 3 -> 190, Q3 = 4 -> 90: the band is x = 90, width 100. Bars are 70 px wide
 * (0.7 x 100): the bar of "high" spans 155..225. */
static void test_median_ordinal(void **state)
{
	struct svg_dist d = importance();
	char *s;

	(void)state;
	s = render_dist(&d);
	assert_non_null(strstr(s, "<line class=\"dc-median\" x1=\"140.00\" y1=\"34.00\" x2=\"140.00\" "
				  "y2=\"150.00\""));
	assert_non_null(strstr(s, "<rect class=\"dc-iqr\" x=\"90.00\" y=\"36.00\" width=\"100.00\" "
				  "height=\"114.00\""));
	/* tallest bar (10) reaches 36 + 14 = 50: height 100; "high" (8) is 80 high from y = 70 */
	assert_non_null(strstr(s, "x=\"55.00\" y=\"50.00\" width=\"70.00\" height=\"100.00\""));
	assert_non_null(strstr(s, "x=\"155.00\" y=\"70.00\" width=\"70.00\" height=\"80.00\""));
	free(s);

	/* A median on a label value sits on that bar's centre: 2 -> 290. */
	d.median = 2;
	s = render_dist(&d);
	assert_non_null(strstr(s, "class=\"dc-median\" x1=\"290.00\""));
	free(s);

	/* With a don't-know bar the axis is 40 .. 480 - 40 - 72 - 16 = 352 (312 px): slots of 78,
	 * centres 79, 157, 235, 313; median 3.5 -> (79 + 157) / 2 = 118; the special bar is centred
	 * at 352 + 16 + 36 = 404. */
	d.median = 3.5;
	d.specials[SVG_DONT_KNOW].label = "don't know";
	d.specials[SVG_DONT_KNOW].count = 2;
	s = render_dist(&d);
	assert_non_null(strstr(s, "class=\"dc-median\" x1=\"118.00\""));
	assert_non_null(strstr(s, "<text x=\"404.00\" y=\"164.00\""));
	assert_non_null(strstr(s, ">don&#39;t know</text>"));
	free(s);
}

/* Scale given in ascending order (1, 2, 3): median 2.25 lies a quarter of the way from the centre
 * of 2 to that of 3. Three slots of 400/3 px: centres 40 + 66.67, 40 + 200, 40 + 333.33;
 * 240 + 0.25 x 133.33 = 273.33. */
static void test_median_ascending_scale(void **state)
{
	const char *labels[] = { "low", "medium", "high" };
	const double values[] = { 1, 2, 3 };
	const unsigned counts[] = { 1, 2, 3 };
	struct svg_dist d = { 0 };
	char *s;

	(void)state;
	d.kind = SVG_DIST_ORDINAL;
	d.n = 3;
	d.labels = labels;
	d.values = values;
	d.counts = counts;
	d.q1 = d.q3 = NAN;
	d.median = 2.25;
	s = render_dist(&d);
	assert_non_null(strstr(s, "class=\"dc-median\" x1=\"273.33\""));
	/* 1/6 = 16.7 -> 17%, 2/6 -> 33%, 3/6 -> 50% */
	assert_non_null(strstr(s, ">1 (17%)<"));
	assert_non_null(strstr(s, ">2 (33%)<"));
	assert_non_null(strstr(s, ">3 (50%)<"));
	/* a value outside the scale is not drawn */
	free(s);
	d.median = 7;
	s = render_dist(&d);
	assert_null(strstr(s, "dc-median"));
	assert_valid_svg(s);
	free(s);
}

/* Years 2025..2044 (20 years) on 400 px: 20 px per year, year y spans 40 + 20 (y - 2025). An
 * answer "2030" is drawn at the middle of 2030: 40 + 5.5 x 20 = 150; a median of 2032.5 at
 * 40 + 8 x 20 = 200. Bins of 5: 2025-2029, 2030-2034, 2035-2039, 2040-2044, 100 px each; bars
 * are inset by 0.5 px: bin 2 spans 240.5 .. 339.5. */
static void test_year_geometry(void **state)
{
	struct svg_year_count ys[] = { { 2030, 2 }, { 2036, 4 }, { 2037, 1 }, { 2020, 1 } };
	struct svg_dist d = { 0 };
	char *s;

	(void)state;
	d.kind = SVG_DIST_YEAR;
	d.year_min = 2025;
	d.year_max = 2044;
	d.bin_width = 5;
	d.years = ys;
	d.n_years = 4;
	d.q1 = 2030;
	d.median = 2032.5;
	d.q3 = 2036;
	d.own_kind = SVG_OWN_VALUE;
	d.own = 2030;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_non_null(strstr(s, "class=\"dc-median\" x1=\"200.00\""));
	/* Q1 2030 -> 150, Q3 2036 -> 40 + 11.5 x 20 = 270 */
	assert_non_null(strstr(s, "class=\"dc-iqr\" x=\"150.00\" y=\"36.00\" width=\"120.00\""));
	/* bin 2035-2039 holds 5 (the tallest: height 100), bin 2025-2029 holds 2020 clamped in: 1 */
	assert_non_null(strstr(s, "<title>2035\xe2\x80\x93" "2039: 5 (63%)</title>"));
	assert_non_null(strstr(s, "x=\"240.50\" y=\"50.00\" width=\"99.00\" height=\"100.00\""));
	assert_non_null(strstr(s, "<title>2025\xe2\x80\x93" "2029: 1 (13%)</title>"));
	/* own answer 2030: its bin (140 .. 240) is outlined, the marker's tip is at x = 150 */
	assert_non_null(strstr(s, "<rect class=\"dc-own\" x=\"139.00\""));
	assert_non_null(strstr(s, "<path class=\"dc-you\" d=\"M145.00 24.00 L155.00 24.00 L150.00 33.00 Z\""));
	assert_non_null(strstr(s, ">you</text>"));
	/* axis labels at bin starts, 100 px apart */
	assert_non_null(strstr(s, ">2025</text>"));
	assert_non_null(strstr(s, ">2040</text>"));
	free(s);
}

/* The last bin may be shorter: 2025..2031 in bins of 5 gives 2025-2029 and 2030-2031. */
static void test_year_last_bin(void **state)
{
	struct svg_year_count ys[] = { { 2031, 3 } };
	struct svg_dist d = { 0 };
	char *s;

	(void)state;
	d.kind = SVG_DIST_YEAR;
	d.year_min = 2025;
	d.year_max = 2031;
	d.bin_width = 5;
	d.years = ys;
	d.n_years = 1;
	d.q1 = d.median = d.q3 = NAN;
	d.specials[SVG_ALREADY].label = "already";
	d.specials[SVG_NEVER].label = "never";
	d.specials[SVG_NEVER].count = 1;
	d.own_kind = SVG_OWN_NEVER;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_non_null(strstr(s, "<title>2030\xe2\x80\x93" "2031: 3 (75%)</title>"));
	assert_non_null(strstr(s, "<title>never: 1 (25%)</title>"));
	/* n counts valid answers only: 3, while percentages are of all 4 answers */
	assert_non_null(strstr(s, ">n = 3</text>"));
	assert_non_null(strstr(s, "<title>already: 0 (0%)</title>"));
	/* own = never: two specials, axis 40 .. 480 - 40 - 144 - 16 = 280; "never" is the second
	 * slot: centre 280 + 16 + 72 + 36 = 404 */
	assert_non_null(strstr(s, "<path class=\"dc-you\" d=\"M399.00 24.00 L409.00 24.00 L404.00 33.00 Z\""));
	assert_non_null(strstr(s, "you: never"));
	free(s);
}

/* A bin width larger than the range is one bin over the whole range; 0 means one year per bin. */
static void test_year_bin_width_extremes(void **state)
{
	struct svg_year_count ys[] = { { 2026, 2 }, { 2049, 2 } };
	struct svg_dist d = { 0 };
	char *s;

	(void)state;
	d.kind = SVG_DIST_YEAR;
	d.year_min = 2025;
	d.year_max = 2050;
	d.bin_width = 4000000000u;
	d.years = ys;
	d.n_years = 2;
	d.q1 = d.median = d.q3 = NAN;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_int_equal(count_of(s, "class=\"dc-bar\""), 1);
	assert_non_null(strstr(s, "<title>2025\xe2\x80\x93" "2050: 4 (100%)</title>"));
	free(s);

	/* 0: 26 one-year bins, titled by their year */
	d.bin_width = 0;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_int_equal(count_of(s, "class=\"dc-bar\""), 26);
	assert_non_null(strstr(s, "<title>2049: 2 (50%)</title>"));
	free(s);
}

/* ---- Previous round, empty and NAN cases ------------------------------------------------------ */

static void test_previous_round(void **state)
{
	struct svg_dist d = importance();
	char *s;

	(void)state;
	d.has_prev = 1;
	d.prev_counts = imp_prev;
	s = render_dist(&d);
	assert_valid_svg(s);
	/* four thin outlined bars, half as wide as the 70 px bars, centred: "very high" (6 of max
	 * 10 -> 60 px high) spans 72.5 .. 107.5 */
	assert_int_equal(count_of(s, "<rect class=\"dc-prev\""), 4);
	assert_non_null(strstr(s, "<rect class=\"dc-prev\" x=\"72.50\" y=\"90.00\" width=\"35.00\" "
				  "height=\"60.00\" fill=\"none\""));
	/* tooltips and the summary give both rounds: 6 of the previous 24 answers = 25% */
	assert_non_null(strstr(s, "<title>very high: 10 (43%); previous round: 6 (25%)</title>"));
	assert_non_null(strstr(s, "previous round: 24 answers; very high: 6 (25%); high: 9 (38%)"));
	free(s);

	/* has_prev without prev_counts is a misuse: error, nothing appended */
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, "keep");
	d.prev_counts = NULL;
	assert_int_equal(svg_dist(&b, &d), -1);
	assert_string_equal(b.data, "keep");
	buf_release(&b);
}

static void test_empty_and_zero(void **state)
{
	struct svg_dist d = { 0 };
	const unsigned zero[] = { 0, 0, 0, 0 };
	char *s;

	(void)state;
	/* n = 0: a "no answers" chart */
	d.kind = SVG_DIST_ORDINAL;
	d.q1 = d.median = d.q3 = NAN;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_non_null(strstr(s, ">No answers</text>"));
	assert_non_null(strstr(s, "aria-label=\"Distribution\""));
	assert_non_null(strstr(s, "n = 0"));
	free(s);

	/* labels but every count zero: labels drawn, no bar has height, "No answers" */
	d = importance();
	d.counts = zero;
	d.q1 = d.median = d.q3 = NAN;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_non_null(strstr(s, ">No answers</text>"));
	assert_non_null(strstr(s, ">very high</text>"));
	assert_int_equal(count_of(s, "height=\"0.00\""), 4);
	assert_null(strstr(s, "NaN"));
	assert_null(strstr(s, "nan"));
	free(s);

	/* translated texts */
	struct svg_texts tx = { .no_answers = "\xe5\x9b\x9e\xe7\xad\x94\xe3\x81\xaa\xe3\x81\x97" };

	d.texts = &tx;
	s = render_dist(&d);
	assert_non_null(strstr(s, ">\xe5\x9b\x9e\xe7\xad\x94\xe3\x81\xaa\xe3\x81\x97</text>"));
	free(s);
}

static void test_nan_quartiles(void **state)
{
	struct svg_dist d = importance();
	char *s;

	(void)state;
	d.q1 = NAN;
	d.median = NAN;
	d.q3 = NAN;
	s = render_dist(&d);
	assert_valid_svg(s);
	assert_null(strstr(s, "dc-median"));
	assert_null(strstr(s, "dc-iqr"));
	assert_null(strstr(s, ">median"));
	assert_null(strstr(s, "nan"));
	free(s);

	/* median only: the line, no band */
	d.median = 3;
	s = render_dist(&d);
	assert_non_null(strstr(s, "class=\"dc-median\" x1=\"190.00\""));
	assert_null(strstr(s, "dc-iqr"));
	free(s);

	/* an own answer of NAN is not drawn */
	d.own_kind = SVG_OWN_VALUE;
	d.own = NAN;
	s = render_dist(&d);
	assert_null(strstr(s, "dc-you"));
	assert_null(strstr(s, "dc-own"));
	free(s);
}

static void test_one_label(void **state)
{
	const char *labels[] = { "only" };
	const double values[] = { 1 };
	const unsigned counts[] = { 7 };
	struct svg_dist d = { 0 };
	char *s;

	(void)state;
	d.kind = SVG_DIST_ORDINAL;
	d.n = 1;
	d.labels = labels;
	d.values = values;
	d.counts = counts;
	d.q1 = d.median = d.q3 = 1;
	s = render_dist(&d);
	assert_valid_svg(s);
	/* one slot of 400 px: centre 240; bar 96 px wide (0.7 x 400 capped at 96) */
	assert_non_null(strstr(s, "class=\"dc-median\" x1=\"240.00\""));
	assert_non_null(strstr(s, "x=\"192.00\" y=\"50.00\" width=\"96.00\" height=\"100.00\""));
	assert_non_null(strstr(s, ">7 (100%)<"));
	free(s);
}

static void test_invalid_input(void **state)
{
	struct buf b = BUF_INIT;
	struct svg_dist d = importance();
	struct svg_timeline t = { .year_from = 2050, .year_to = 2025 };
	struct svg_ranking r = { .n = 2 };

	(void)state;
	buf_init(&b);
	d.labels = NULL;
	assert_int_equal(svg_dist(&b, &d), -1);
	d = importance();
	d.kind = SVG_DIST_YEAR;
	d.year_min = 2050;
	d.year_max = 2025;
	assert_int_equal(svg_dist(&b, &d), -1);
	d.year_min = 2025;
	d.year_max = 4000;
	assert_int_equal(svg_dist(&b, &d), -1);
	d.year_max = 2050;
	d.n_years = 3; /* years NULL */
	assert_int_equal(svg_dist(&b, &d), -1);
	assert_int_equal(svg_dist(&b, NULL), -1);
	assert_int_equal(svg_timeline(&b, &t), -1);
	t.year_from = 2025;
	t.year_to = 2025;
	assert_int_equal(svg_timeline(&b, &t), -1);
	t.year_to = 2050;
	t.n_rows = 1; /* rows NULL */
	assert_int_equal(svg_timeline(&b, &t), -1);
	assert_int_equal(svg_ranking(&b, &r), -1);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

/* ---- Timeline and ranking -------------------------------------------------------------------- */

/* Axis 2025..2055 on x = 220 .. 616 (396 px, 13.2 px per year). Tech Q1 2030 -> 286, Q3 2035 ->
 * 352 (width 66), median 2032 -> 312.4. Social median 2036 -> 365.2. */
static void test_timeline(void **state)
{
	struct svg_timeline_row rows[] = {
		{ "ICT-01 Solid-state battery", 2030, 2032, 2035, 2033, 2036, 2040 },
		{ "<b>ICT-02</b> & co", NAN, NAN, NAN, NAN, NAN, NAN },
		{ "ICT-03 beyond", 2045, 2055, 2070, 2050, 2060, 2080 },
	};
	struct svg_timeline t = { .title = "Realization", .year_from = 2025, .year_to = 2055,
				  .rows = rows, .n_rows = 3 };
	char *s;

	(void)state;
	s = render_timeline(&t);
	assert_valid_svg(s);
	assert_non_null(strstr(s, "<rect class=\"dc-tech\" x=\"286.00\" y=\"50.00\" width=\"66.00\""));
	assert_non_null(strstr(s, "<line class=\"dc-tl-median\" x1=\"312.40\""));
	assert_non_null(strstr(s, "<line class=\"dc-tl-median\" x1=\"365.20\""));
	/* the NAN row draws no bar and no marker: 2 tech + 2 social bars in all */
	assert_int_equal(count_of(s, "<rect class=\"dc-tech\""), 2);
	assert_int_equal(count_of(s, "<rect class=\"dc-social\""), 2);
	assert_non_null(strstr(s, "&lt;b&gt;ICT-02&lt;/b&gt; &amp; co"));
	/* beyond the horizon: bars clamped to 616, flagged, and the social median (2060) has no
	 * marker: 2 + 2 markers for row 1, 1 (tech median 2055) for row 3 */
	assert_int_equal(count_of(s, "class=\"dc-tl-median\""), 3);
	assert_int_equal(count_of(s, "class=\"dc-beyond\""), 2);
	/* ticks every 5 years: 2025, 2030, ..., 2055 = 7 */
	assert_int_equal(count_of(s, "class=\"dc-tick\""), 7);
	assert_non_null(strstr(s, ">2055</text>"));
	free(s);

	/* ticks at multiples of 5 only: 2023..2041 -> 2025, 2030, 2035, 2040 */
	t.year_from = 2023;
	t.year_to = 2041;
	s = render_timeline(&t);
	assert_int_equal(count_of(s, "class=\"dc-tick\""), 4);
	assert_null(strstr(s, ">2023</text>"));
	free(s);

	/* no rows */
	t.rows = NULL;
	t.n_rows = 0;
	t.title = NULL;
	s = render_timeline(&t);
	assert_valid_svg(s);
	assert_non_null(strstr(s, ">No answers</text>"));
	assert_non_null(strstr(s, "aria-label=\"Realization timeline\""));
	free(s);
}

/* A long label wraps onto two lines at a blank; the second line is truncated. The label column
 * is 220 - 16 = 204 px at 11 px x 0.6 = 6.6 px per column: 30 columns. */
static void test_timeline_wrap(void **state)
{
	struct svg_timeline_row rows[] = {
		{ "A solid-state battery with twice today's energy density is in mass production "
		  "in at least one country",
		  NAN, NAN, NAN, NAN, NAN, NAN },
	};
	struct svg_timeline t = { .year_from = 2025, .year_to = 2055, .rows = rows, .n_rows = 1 };
	char *s;

	(void)state;
	s = render_timeline(&t);
	assert_valid_svg(s);
	/* first 30 columns: "A solid-state battery with twi"; last blank in them after "with" */
	assert_non_null(strstr(s, ">A solid-state battery with</text>"));
	/* the rest starts "twice today's energy density is ..." cut to 29 columns + ellipsis */
	assert_non_null(strstr(s, ">twice today&#39;s energy density\xe2\x80\xa6</text>"));
	free(s);
}

/* Bars start at 196 and are value / 100 x 232 px: 50 -> 116, 87.5 -> 203. */
static void test_ranking(void **state)
{
	struct svg_rank_item items[] = {
		{ "first", 87.5 }, { "second & <b>", 50 }, { "none", NAN }, { "over", 150 }, { "neg", -3 },
	};
	struct svg_ranking r = { .title = "Importance index", .items = items, .n = 5 };
	char *s;
	const char *p1, *p2;

	(void)state;
	s = render_ranking(&r);
	assert_valid_svg(s);
	assert_non_null(strstr(s, "x=\"196.00\" y=\"34.00\" width=\"203.00\" height=\"12.00\""));
	assert_non_null(strstr(s, "x=\"196.00\" y=\"54.00\" width=\"116.00\" height=\"12.00\""));
	assert_non_null(strstr(s, ">87.5</text>"));
	assert_non_null(strstr(s, ">50.0</text>"));
	/* NAN: no bar, a dash; over the max: clamped to 232 px but the value is kept */
	assert_non_null(strstr(s, ">\xe2\x80\x93</text>"));
	assert_non_null(strstr(s, "width=\"232.00\""));
	assert_non_null(strstr(s, ">150.0</text>"));
	assert_int_equal(count_of(s, "class=\"dc-bar-fill\""), 4);
	/* order as given */
	p1 = strstr(s, ">first</text>");
	p2 = strstr(s, ">second &amp; &lt;b&gt;</text>");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_true(p1 < p2);
	/* axis labels 0, 25, 50, 75, 100 */
	assert_non_null(strstr(s, ">25</text>"));
	assert_non_null(strstr(s, ">100</text>"));
	free(s);

	r.items = NULL;
	r.n = 0;
	s = render_ranking(&r);
	assert_valid_svg(s);
	assert_non_null(strstr(s, ">No answers</text>"));
	free(s);
}

/* A small deterministic generator for the robustness test (Knuth's MMIX LCG). */
static uint64_t rng_state = 42;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

/* Random bytes biased towards the dangerous ones: markup, quotes, &, controls, UTF-8 leads. */
static void random_text(char *out, size_t size)
{
	static const char pool[] = "<>&\"'=/ \t\nabcXYZ019\x7f\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xff\xc0\xed\xa0";
	size_t len = rng() % (size - 1);

	for (size_t i = 0; i < len; i++) {
		char c = pool[rng() % (sizeof pool - 1)];

		out[i] = c ? c : 'x';
	}
	out[len] = '\0';
}

static double random_value(void)
{
	switch (rng() % 8) {
	case 0:
		return NAN;
	case 1:
		return (rng() & 1) ? INFINITY : -INFINITY;
	case 2:
		return (double)(rng() % 2000) * ((rng() & 1) ? 1e300 : -1.0);
	default:
		return (double)(rng() % 6) + (double)(rng() % 4) / 4;
	}
}

/* Whatever the input, every chart is well formed and carries no markup of its own. */
static void test_random_inputs(void **state)
{
	char texts[8][48];
	const char *labels[6];
	double values[6];
	unsigned counts[6], prev[6];
	struct svg_year_count ys[6];
	struct svg_timeline_row rows[3];
	struct svg_rank_item items[3];

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct svg_dist d = { 0 };
		struct svg_timeline t = { 0 };
		struct svg_ranking r = { 0 };
		struct svg_texts tx = { 0 };
		struct buf b = BUF_INIT;

		buf_init(&b);
		for (size_t i = 0; i < 8; i++)
			random_text(texts[i], sizeof texts[i]);
		for (size_t i = 0; i < 6; i++) {
			labels[i] = texts[i];
			values[i] = (double)(6 - i);
			counts[i] = rng() % 4 ? rng() % 50 : 0;
			prev[i] = rng() % 50;
			ys[i].year = 2020 + (int)(rng() % 40);
			ys[i].count = rng() % 9;
		}
		tx.you = texts[6];
		tx.median = texts[7];
		d.kind = (rng() & 1) ? SVG_DIST_YEAR : SVG_DIST_ORDINAL;
		d.title = texts[7];
		d.aria_label = (rng() & 1) ? texts[6] : NULL;
		d.texts = &tx;
		d.n = rng() % 7;
		d.labels = labels;
		d.values = values;
		d.counts = counts;
		d.prev_counts = prev;
		d.has_prev = (int)(rng() & 1);
		d.year_min = 2025;
		d.year_max = 2025 + (int)(rng() % 60);
		d.bin_width = rng() % 12;
		d.years = ys;
		d.n_years = rng() % 7;
		d.prev_years = ys;
		d.n_prev_years = rng() % 7;
		for (size_t i = 0; i < SVG_N_SPECIALS; i++) {
			d.specials[i].label = (rng() & 1) ? texts[i + 3] : NULL;
			d.specials[i].count = rng() % 5;
			d.specials[i].prev_count = rng() % 5;
		}
		d.q1 = random_value();
		d.median = random_value();
		d.q3 = random_value();
		d.own_kind = (enum svg_own)(rng() % 5);
		d.own = random_value();
		assert_int_equal(svg_dist(&b, &d), 0);
		assert_valid_svg(b.data);
		buf_reset(&b);

		for (size_t i = 0; i < 3; i++) {
			rows[i].label = texts[i];
			rows[i].tech_q1 = 2000 + random_value() * 10;
			rows[i].tech_median = 2000 + random_value() * 10;
			rows[i].tech_q3 = 2000 + random_value() * 10;
			rows[i].social_q1 = 2000 + random_value() * 10;
			rows[i].social_median = 2000 + random_value() * 10;
			rows[i].social_q3 = 2000 + random_value() * 10;
			items[i].label = texts[i + 3];
			items[i].value = random_value() * 20;
		}
		t.title = texts[6];
		t.texts = &tx;
		t.year_from = 2025;
		t.year_to = 2026 + (int)(rng() % 80);
		t.rows = rows;
		t.n_rows = rng() % 4;
		assert_int_equal(svg_timeline(&b, &t), 0);
		assert_valid_svg(b.data);
		buf_reset(&b);

		r.title = texts[7];
		r.items = items;
		r.n = rng() % 4;
		r.max = (rng() & 1) ? random_value() : 0;
		assert_int_equal(svg_ranking(&b, &r), 0);
		assert_valid_svg(b.data);
		buf_release(&b);
	}
}

/* The checker itself must reject what it is there to catch. */
static void test_checker_rejects(void **state)
{
	(void)state;
	assert_non_null(check_svg("<svg a=\"1\"></svg>")); /* a is not an allowed attribute */
	assert_non_null(check_svg("<svg><script>x</script></svg>"));
	assert_non_null(check_svg("<svg><text onclick=\"x\">a</text></svg>"));
	assert_non_null(check_svg("<svg><text>a & b</text></svg>"));
	assert_non_null(check_svg("<svg><text>a</svg>"));
	assert_non_null(check_svg("<svg><text x=\"<\">a</text></svg>"));
	assert_null(check_svg("<svg class=\"a\"><g><title>a &amp; b</title><rect x=\"1\"/></g></svg>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_hostile),
		cmocka_unit_test(test_text_cols),
		cmocka_unit_test(test_truncation_utf8),
		cmocka_unit_test(test_hostile_chart_text),
		cmocka_unit_test(test_structure_every_chart),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_median_ordinal),
		cmocka_unit_test(test_median_ascending_scale),
		cmocka_unit_test(test_year_geometry),
		cmocka_unit_test(test_year_last_bin),
		cmocka_unit_test(test_year_bin_width_extremes),
		cmocka_unit_test(test_previous_round),
		cmocka_unit_test(test_empty_and_zero),
		cmocka_unit_test(test_nan_quartiles),
		cmocka_unit_test(test_one_label),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_timeline_wrap),
		cmocka_unit_test(test_ranking),
		cmocka_unit_test(test_random_inputs),
		cmocka_unit_test(test_checker_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
