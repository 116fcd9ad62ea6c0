/*
 * test_answer — parsing, validating and spelling answers (server/core/answer.c).
 *
 * The questions are built by hand (not loaded), shaped like the standard question set of
 * docs/domain.md: expertise 3/2/1, importance 4/3/2/1 + dont_know, tech_year and social_year
 * 2025..2050 with all three specials (social_year not before tech_year), the eight measures,
 * and a comment of at most 2000 bytes. Every expected value and message is written by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "answer.h"
#include "survey.h"

#define ALL_SPECIALS (SURVEY_SPECIAL_DONT_KNOW | SURVEY_SPECIAL_ALREADY | SURVEY_SPECIAL_NEVER)

static struct survey_label labels_3[] = { { .value = 3 }, { .value = 2 }, { .value = 1 } };
static struct survey_label labels_4[] = {
	{ .value = 4 }, { .value = 3 }, { .value = 2 }, { .value = 1 }
};
/* bit i of a mask is options[i]: human_resources 1, funding 2, infrastructure 4,
 * collaboration 8, international 16, regulation 32, elsi 64, commercialization 128 */
static struct survey_option measures[] = {
	{ .code = "human_resources" }, { .code = "funding" },	    { .code = "infrastructure" },
	{ .code = "collaboration" },   { .code = "international" }, { .code = "regulation" },
	{ .code = "elsi" },	       { .code = "commercialization" },
};

enum { Q_EXPERTISE, Q_IMPORTANCE, Q_TECH_YEAR, Q_SOCIAL_YEAR, Q_MEASURES, Q_COMMENT, N_STD };

static struct survey_question std_q[N_STD] = {
	[Q_EXPERTISE] = { .key = "expertise", .kind = SURVEY_ORDINAL, .labels = labels_3,
			  .n_labels = 3, .not_before = -1 },
	[Q_IMPORTANCE] = { .key = "importance", .kind = SURVEY_ORDINAL, .labels = labels_4,
			   .n_labels = 4, .specials = SURVEY_SPECIAL_DONT_KNOW, .not_before = -1 },
	[Q_TECH_YEAR] = { .key = "tech_year", .kind = SURVEY_YEAR, .specials = ALL_SPECIALS,
			  .year_min = 2025, .year_max = 2050, .not_before = -1 },
	[Q_SOCIAL_YEAR] = { .key = "social_year", .kind = SURVEY_YEAR, .specials = ALL_SPECIALS,
			    .year_min = 2025, .year_max = 2050, .not_before = Q_TECH_YEAR },
	[Q_MEASURES] = { .key = "measures", .kind = SURVEY_MULTI, .options = measures,
			 .n_options = 8, .not_before = -1 },
	[Q_COMMENT] = { .key = "comment", .kind = SURVEY_TEXT, .max_length = 2000,
			.not_before = -1 },
};

/* A year question with a narrower range and no specials, and one that allows only dont_know. */
static struct survey_question plain_year = { .key = "plain_year", .kind = SURVEY_YEAR,
					     .year_min = 2030, .year_max = 2040, .not_before = -1 };
static struct survey_question dk_year = { .key = "dk_year", .kind = SURVEY_YEAR,
					  .specials = SURVEY_SPECIAL_DONT_KNOW, .year_min = 2030,
					  .year_max = 2040, .not_before = -1 };
/* A short text, to test limits with small strings. */
static struct survey_question short_text = { .key = "short", .kind = SURVEY_TEXT,
					     .max_length = 5, .not_before = -1 };

#define EXPERTISE (&std_q[Q_EXPERTISE])
#define IMPORTANCE (&std_q[Q_IMPORTANCE])
#define TECH_YEAR (&std_q[Q_TECH_YEAR])
#define SOCIAL_YEAR (&std_q[Q_SOCIAL_YEAR])
#define MEASURES (&std_q[Q_MEASURES])
#define COMMENT (&std_q[Q_COMMENT])

/* Parses the text form and expects a value. */
static void text_ok(const struct survey_question *q, const char *in, enum answer_special sp,
		    int64_t num)
{
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	int rc = answer_parse_text(q, in, &a, err);
	if (rc)
		print_error("%s: \"%s\": %s\n", q->key, in, err);
	assert_int_equal(rc, 0);
	assert_int_equal(a.special, sp);
	assert_int_equal(a.num, num);
	assert_null(a.text);
}

/* Parses the text form and expects this error; the answer must be left untouched. */
static void text_bad(const struct survey_question *q, const char *in, const char *want)
{
	struct answer a = { ANSWER_NEVER, 77, NULL };
	char err[ANSWER_ERR_MAX] = "";
	assert_int_equal(answer_parse_text(q, in, &a, err), -1);
	assert_string_equal(err, want);
	assert_int_equal(a.special, ANSWER_NEVER);
	assert_int_equal(a.num, 77);
}

static json_t *load(const char *json)
{
	json_error_t e;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &e);
	if (!v)
		print_error("bad test JSON %s: %s\n", json, e.text);
	assert_non_null(v);
	return v;
}

static void json_ok(const struct survey_question *q, const char *json, enum answer_special sp,
		    int64_t num)
{
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	json_t *v = load(json);
	int rc = answer_from_json(q, v, &a, err);
	if (rc)
		print_error("%s: %s: %s\n", q->key, json, err);
	assert_int_equal(rc, 0);
	assert_int_equal(a.special, sp);
	assert_int_equal(a.num, num);
	assert_null(a.text);
	json_decref(v);
}

static void json_bad_value(const struct survey_question *q, const json_t *v, const char *want)
{
	struct answer a = { ANSWER_NEVER, 77, NULL };
	char err[ANSWER_ERR_MAX] = "";
	assert_int_equal(answer_from_json(q, v, &a, err), -1);
	assert_string_equal(err, want);
	assert_int_equal(a.special, ANSWER_NEVER);
	assert_int_equal(a.num, 77);
}

static void json_bad(const struct survey_question *q, const char *json, const char *want)
{
	json_t *v = load(json);
	json_bad_value(q, v, want);
	json_decref(v);
}

/*
 * Ordinal
 */

static void test_ordinal_text(void **state)
{
	(void)state;
	text_ok(IMPORTANCE, "4", ANSWER_VALUE, 4);
	text_ok(IMPORTANCE, "1", ANSWER_VALUE, 1);
	text_ok(IMPORTANCE, " 3 ", ANSWER_VALUE, 3);	 /* blanks trimmed */
	text_ok(IMPORTANCE, "\t2\r\n", ANSWER_VALUE, 2); /* CRLF from a CSV cell, too */
	text_ok(IMPORTANCE, "dont_know", ANSWER_DONT_KNOW, 0);
	text_ok(IMPORTANCE, " dont_know ", ANSWER_DONT_KNOW, 0);
	text_ok(EXPERTISE, "3", ANSWER_VALUE, 3);

	text_bad(IMPORTANCE, "5", "\"5\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "0", "\"0\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "4.5", "\"4.5\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "+4", "\"+4\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "four", "\"four\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "", "\"\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "99999999999999999999",
		 "\"99999999999999999999\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "Dont_know", "\"Dont_know\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "already", "\"already\" is not allowed for this question");
	text_bad(IMPORTANCE, "never", "\"never\" is not allowed for this question");
	text_bad(EXPERTISE, "4", "\"4\" is not one of the labels 3, 2, 1");
	text_bad(EXPERTISE, "dont_know", "\"dont_know\" is not allowed for this question");
}

static void test_ordinal_json(void **state)
{
	(void)state;
	json_ok(IMPORTANCE, "4", ANSWER_VALUE, 4);
	json_ok(IMPORTANCE, "\"dont_know\"", ANSWER_DONT_KNOW, 0);
	json_ok(EXPERTISE, "1", ANSWER_VALUE, 1);

	json_bad(IMPORTANCE, "5", "5 is not one of the labels 4, 3, 2, 1");
	json_bad(IMPORTANCE, "-1", "-1 is not one of the labels 4, 3, 2, 1");
	json_bad(IMPORTANCE, "3.5", "expected an integer label or \"dont_know\", got 3.5");
	json_bad(IMPORTANCE, "4.0", "expected an integer label or \"dont_know\", got 4.0");
	json_bad(IMPORTANCE, "true", "expected an integer label or \"dont_know\", got true");
	json_bad(IMPORTANCE, "false", "expected an integer label or \"dont_know\", got false");
	json_bad(IMPORTANCE, "null", "expected an integer label or \"dont_know\", got null");
	json_bad(IMPORTANCE, "{\"value\": 4}",
		 "expected an integer label or \"dont_know\", got an object");
	json_bad(IMPORTANCE, "[4]", "expected an integer label or \"dont_know\", got an array");
	json_bad(IMPORTANCE, "\"4\"",
		 "expected an integer label or \"dont_know\", got the string \"4\"");
	json_bad(IMPORTANCE, "\"already\"", "\"already\" is not allowed for this question");
	json_bad(EXPERTISE, "\"dont_know\"", "\"dont_know\" is not allowed for this question");
	json_bad(EXPERTISE, "null", "expected an integer label, got null");
}

/*
 * Year
 */

static void test_year_text(void **state)
{
	(void)state;
	text_ok(TECH_YEAR, "2030", ANSWER_VALUE, 2030);
	text_ok(TECH_YEAR, "2025", ANSWER_VALUE, 2025); /* both ends are inclusive */
	text_ok(TECH_YEAR, "2050", ANSWER_VALUE, 2050);
	text_ok(TECH_YEAR, " 2040\n", ANSWER_VALUE, 2040);
	text_ok(TECH_YEAR, "already", ANSWER_ALREADY, 0);
	text_ok(TECH_YEAR, "never", ANSWER_NEVER, 0);
	text_ok(TECH_YEAR, "dont_know", ANSWER_DONT_KNOW, 0);
	text_ok(&dk_year, "dont_know", ANSWER_DONT_KNOW, 0);

	text_bad(TECH_YEAR, "2051", "year 2051 is after the horizon 2050");
	text_bad(TECH_YEAR, "2101", "year 2101 is after the horizon 2050");
	text_bad(TECH_YEAR, "2024", "year 2024 is before the earliest allowed year 2025");
	text_bad(TECH_YEAR, "-5", "year -5 is before the earliest allowed year 2025");
	text_bad(TECH_YEAR, "soon",
		 "\"soon\" is not a year or one of \"already\", \"never\", \"dont_know\"");
	text_bad(TECH_YEAR, "2030.0",
		 "\"2030.0\" is not a year or one of \"already\", \"never\", \"dont_know\"");
	text_bad(TECH_YEAR, "",
		 "\"\" is not a year or one of \"already\", \"never\", \"dont_know\"");
	text_bad(&plain_year, "2029", "year 2029 is before the earliest allowed year 2030");
	text_bad(&plain_year, "2041", "year 2041 is after the horizon 2040");
	text_bad(&plain_year, "x", "\"x\" is not a year");
	text_bad(&plain_year, "never", "\"never\" is not allowed for this question");
	text_bad(&plain_year, "dont_know", "\"dont_know\" is not allowed for this question");
	text_bad(&dk_year, "x", "\"x\" is not a year or \"dont_know\"");
	text_bad(&dk_year, "already", "\"already\" is not allowed for this question");
}

static void test_year_json(void **state)
{
	(void)state;
	json_ok(TECH_YEAR, "2030", ANSWER_VALUE, 2030);
	json_ok(TECH_YEAR, "\"already\"", ANSWER_ALREADY, 0);
	json_ok(TECH_YEAR, "\"never\"", ANSWER_NEVER, 0);
	json_ok(SOCIAL_YEAR, "\"dont_know\"", ANSWER_DONT_KNOW, 0);

	json_bad(TECH_YEAR, "2101", "year 2101 is after the horizon 2050");
	json_bad(TECH_YEAR, "2000", "year 2000 is before the earliest allowed year 2025");
	json_bad(TECH_YEAR, "9223372036854775807",
		 "year 9223372036854775807 is after the horizon 2050");
	json_bad(TECH_YEAR, "2030.5",
		 "expected a year or one of \"already\", \"never\", \"dont_know\", got 2030.5");
	/* 1e3 is a JSON real, even though it is whole */
	json_bad(TECH_YEAR, "1e3",
		 "expected a year or one of \"already\", \"never\", \"dont_know\", got 1000.0");
	json_bad(TECH_YEAR, "\"2030\"",
		 "expected a year or one of \"already\", \"never\", \"dont_know\", "
		 "got the string \"2030\"");
	json_bad(&plain_year, "true", "expected a year, got true");
	json_bad(&plain_year, "\"never\"", "\"never\" is not allowed for this question");
	json_bad(&dk_year, "[]", "expected a year or \"dont_know\", got an array");
}

/*
 * Multi
 */

static void test_multi_text(void **state)
{
	(void)state;
	text_ok(MEASURES, "funding", ANSWER_VALUE, 2);
	text_ok(MEASURES, "elsi;human_resources", ANSWER_VALUE, 64 + 1);
	text_ok(MEASURES, " funding ; regulation ", ANSWER_VALUE, 2 + 32);
	text_ok(MEASURES,
		"commercialization;elsi;regulation;international;collaboration;infrastructure;"
		"funding;human_resources",
		ANSWER_VALUE, 255);
	/* the empty multi: no option selected, a valid answer */
	text_ok(MEASURES, "", ANSWER_VALUE, 0);
	text_ok(MEASURES, "  ", ANSWER_VALUE, 0);

	text_bad(MEASURES, "fundng", "unknown option \"fundng\"");
	text_bad(MEASURES, "funding;fundng", "unknown option \"fundng\"");
	text_bad(MEASURES, "Funding", "unknown option \"Funding\""); /* codes are case-sensitive */
	text_bad(MEASURES, "dont_know", "unknown option \"dont_know\"");
	text_bad(MEASURES, "funding,elsi", "unknown option \"funding,elsi\"");
	text_bad(MEASURES, "funding;funding", "option \"funding\" is given twice");
	text_bad(MEASURES, "elsi; funding ;elsi", "option \"elsi\" is given twice");
	text_bad(MEASURES, "funding;;elsi", "empty option code in \"funding;;elsi\"");
	text_bad(MEASURES, "funding;", "empty option code in \"funding;\"");
	text_bad(MEASURES, ";", "empty option code in \";\"");
}

static void test_multi_json(void **state)
{
	(void)state;
	json_ok(MEASURES, "[\"funding\", \"elsi\"]", ANSWER_VALUE, 2 + 64);
	json_ok(MEASURES, "[\"commercialization\"]", ANSWER_VALUE, 128);
	json_ok(MEASURES, "[]", ANSWER_VALUE, 0);

	json_bad(MEASURES, "[\"fundng\"]", "unknown option \"fundng\"");
	json_bad(MEASURES, "[\"funding\", \"funding\"]", "option \"funding\" is given twice");
	json_bad(MEASURES, "[\"funding\", 3]",
		 "expected an option code (a string) at index 1, got 3");
	json_bad(MEASURES, "[null]", "expected an option code (a string) at index 0, got null");
	json_bad(MEASURES, "\"funding\"",
		 "expected an array of option codes, got the string \"funding\"");
	json_bad(MEASURES, "\"\"", "expected an array of option codes, got the string \"\"");
	json_bad(MEASURES, "null", "expected an array of option codes, got null");
	json_bad(MEASURES, "{}", "expected an array of option codes, got an object");
	json_bad(MEASURES, "2", "expected an array of option codes, got 2");

	/* a code with a NUL inside matches nothing (and is shown escaped) */
	json_t *v = json_pack("[s#]", "funding\0x", (int)9);
	assert_non_null(v);
	json_bad_value(MEASURES, v, "unknown option \"funding\\x00x\"");
	json_decref(v);
}

/*
 * Text
 */

static void text_answer_ok(const struct survey_question *q, const char *in)
{
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	int rc = answer_parse_text(q, in, &a, err);
	if (rc)
		print_error("\"%s\": %s\n", in, err);
	assert_int_equal(rc, 0);
	assert_int_equal(a.special, ANSWER_VALUE);
	assert_non_null(a.text);
	assert_string_equal(a.text, in); /* kept exactly, blanks included */
	answer_release(&a);
	assert_null(a.text);
	assert_int_equal(a.special, ANSWER_VALUE);
	assert_int_equal(a.num, 0);
}

/* A string of n copies of unit (caller frees). */
static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

static void test_text(void **state)
{
	char *s;
	(void)state;
	text_answer_ok(COMMENT, "hello");
	text_answer_ok(COMMENT, "  padded  ");
	text_answer_ok(COMMENT, "");
	text_answer_ok(COMMENT, "multi\nline\twith tab\r\n");
	text_answer_ok(COMMENT, "日本語のコメント");
	text_answer_ok(COMMENT, "dont_know"); /* just text here */
	text_answer_ok(&short_text, "12345");
	text_answer_ok(&short_text, "é€"); /* 2 + 3 = 5 bytes */

	text_bad(&short_text, "123456", "text is 6 bytes, the limit is 5");
	text_bad(&short_text, "€€", "text is 6 bytes, the limit is 5"); /* bytes, not characters */

	s = repeat("x", 2000);
	text_answer_ok(COMMENT, s);
	free(s);
	s = repeat("x", 2301);
	text_bad(COMMENT, s, "text is 2301 bytes, the limit is 2000");
	free(s);
	s = repeat("日", 667); /* 667 * 3 = 2001 bytes */
	text_bad(COMMENT, s, "text is 2001 bytes, the limit is 2000");
	free(s);

	text_bad(COMMENT, "bell\a", "text contains the control character U+0007 at byte 4");
	text_bad(COMMENT, "\x1b[31m", "text contains the control character U+001B at byte 0");
	text_bad(COMMENT, "\xC3\x28", "text is not valid UTF-8 at byte 0");
	text_bad(COMMENT, "ok\xC0\xAF", "text is not valid UTF-8 at byte 2");
	text_bad(COMMENT, "caf\xE9", "text is not valid UTF-8 at byte 3"); /* Latin-1 é */
}

static void test_text_json(void **state)
{
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	json_t *v = load("\"Needs \\\"funding\\\"\\nand people\"");
	(void)state;
	assert_int_equal(answer_from_json(COMMENT, v, &a, err), 0);
	assert_string_equal(a.text, "Needs \"funding\"\nand people");
	answer_release(&a);
	json_decref(v);

	json_bad(COMMENT, "3", "expected a string, got 3");
	json_bad(COMMENT, "null", "expected a string, got null");
	json_bad(COMMENT, "[\"a\"]", "expected a string, got an array");
	json_bad(&short_text, "\"123456\"", "text is 6 bytes, the limit is 5");
	json_bad(COMMENT, "\"\\u0007\"", "text contains the control character U+0007 at byte 0");

	v = json_stringn("a\0b", 3); /* JSON strings may hold NUL; a text answer may not */
	assert_non_null(v);
	json_bad_value(COMMENT, v, "text contains the control character U+0000 at byte 1");
	json_decref(v);

	json_bad_value(COMMENT, NULL, "no answer given");
}

/* Messages quote bad values safely: escaped, cut at 48 bytes, always valid UTF-8. */
static void test_error_quoting(void **state)
{
	char *s;
	(void)state;
	text_bad(IMPORTANCE, "4\x01", "\"4\\x01\" is not one of the labels 4, 3, 2, 1");
	text_bad(IMPORTANCE, "a\"b\\c", "\"a\\\"b\\\\c\" is not one of the labels 4, 3, 2, 1");
	text_bad(MEASURES, "\xFF", "unknown option \"\\xFF\"");
	text_bad(MEASURES, "é", "unknown option \"é\"");
	/* 60 x: the first 48 are shown, then "..." */
	s = repeat("x", 60);
	text_bad(IMPORTANCE, s,
		 "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" is not one of the "
		 "labels 4, 3, 2, 1");
	free(s);
	/* 16 x 3 bytes = 48 bytes fit exactly; a 17th character does not */
	s = repeat("日", 17);
	text_bad(MEASURES, s, "unknown option \"日日日日日日日日日日日日日日日日...\"");
	free(s);
	/* 47 x then a 3-byte character: it is not cut in half */
	s = malloc(47 + 3 + 1);
	assert_non_null(s);
	memset(s, 'x', 47);
	strcpy(s + 47, "日");
	text_bad(MEASURES, s, "unknown option \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
	free(s);
}

/*
 * Spelling and round trips
 */

/* text in -> parse -> answer_to_text == canon -> parse again -> same answer. */
static void text_round_trip(const struct survey_question *q, const char *in, const char *canon)
{
	struct answer a = ANSWER_INIT, b = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	char *t;
	assert_int_equal(answer_parse_text(q, in, &a, err), 0);
	t = answer_to_text(q, &a);
	assert_non_null(t);
	assert_string_equal(t, canon);
	assert_int_equal(answer_parse_text(q, t, &b, err), 0);
	assert_int_equal(a.special, b.special);
	assert_int_equal(a.num, b.num);
	if (a.text || b.text)
		assert_string_equal(a.text, b.text);
	free(t);
	answer_release(&a);
	answer_release(&b);
}

/* JSON in -> from_json -> to_json dumps as canon -> from_json again -> same answer. */
static void json_round_trip(const struct survey_question *q, const char *in, const char *canon)
{
	struct answer a = ANSWER_INIT, b = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	json_t *v = load(in), *w;
	char *d;
	assert_int_equal(answer_from_json(q, v, &a, err), 0);
	w = answer_to_json(q, &a);
	assert_non_null(w);
	d = json_dumps(w, JSON_ENCODE_ANY | JSON_COMPACT);
	assert_string_equal(d, canon);
	assert_int_equal(answer_from_json(q, w, &b, err), 0);
	assert_int_equal(a.special, b.special);
	assert_int_equal(a.num, b.num);
	if (a.text || b.text)
		assert_string_equal(a.text, b.text);
	free(d);
	json_decref(v);
	json_decref(w);
	answer_release(&a);
	answer_release(&b);
}

static void test_round_trips(void **state)
{
	(void)state;
	text_round_trip(IMPORTANCE, " 3 ", "3");
	text_round_trip(IMPORTANCE, "dont_know", "dont_know");
	text_round_trip(TECH_YEAR, "02030", "2030");
	text_round_trip(TECH_YEAR, "never", "never");
	text_round_trip(TECH_YEAR, " already", "already");
	/* canonical order is the definition's */
	text_round_trip(MEASURES, "elsi; human_resources;funding", "human_resources;funding;elsi");
	text_round_trip(MEASURES, "", "");
	text_round_trip(COMMENT, " keep\nme ", " keep\nme ");
	text_round_trip(COMMENT, "", "");

	json_round_trip(IMPORTANCE, "4", "4");
	json_round_trip(IMPORTANCE, "\"dont_know\"", "\"dont_know\"");
	json_round_trip(SOCIAL_YEAR, "2049", "2049");
	json_round_trip(SOCIAL_YEAR, "\"already\"", "\"already\"");
	json_round_trip(MEASURES, "[\"elsi\", \"human_resources\"]", "[\"human_resources\",\"elsi\"]");
	json_round_trip(MEASURES, "[]", "[]");
	json_round_trip(COMMENT, "\"a \\\"quote\\\"\\n\"", "\"a \\\"quote\\\"\\n\"");
}

/* Both forms of one answer agree. */
static void test_text_and_json_agree(void **state)
{
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX] = "";
	json_t *v;
	char *d;
	(void)state;
	assert_int_equal(answer_parse_text(MEASURES, "regulation;funding", &a, err), 0);
	v = answer_to_json(MEASURES, &a);
	d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	assert_string_equal(d, "[\"funding\",\"regulation\"]");
	free(d);
	json_decref(v);
}

/* Stored answers that do not fit the question are refused, not misprinted. */
static void test_spelling_mismatch(void **state)
{
	struct answer special = { ANSWER_DONT_KNOW, 0, NULL };
	struct answer bit8 = { ANSWER_VALUE, 256, NULL }; /* bit 8: there are only 8 options */
	struct answer negative = { ANSWER_VALUE, -1, NULL };
	struct answer bad_special = { (enum answer_special)9, 0, NULL };
	struct answer no_text = ANSWER_INIT;
	char *t;
	json_t *v;
	(void)state;
	assert_null(answer_to_text(MEASURES, &special));
	assert_null(answer_to_json(MEASURES, &special));
	assert_null(answer_to_text(COMMENT, &special));
	assert_null(answer_to_json(COMMENT, &special));
	assert_null(answer_to_text(MEASURES, &bit8));
	assert_null(answer_to_json(MEASURES, &bit8));
	assert_null(answer_to_text(MEASURES, &negative));
	assert_null(answer_to_text(TECH_YEAR, &bad_special));
	/* a text answer without text spells as the empty text */
	t = answer_to_text(COMMENT, &no_text);
	assert_string_equal(t, "");
	free(t);
	v = answer_to_json(COMMENT, &no_text);
	assert_string_equal(json_string_value(v), "");
	json_decref(v);
}

static void test_special_names(void **state)
{
	(void)state;
	assert_string_equal(answer_special_name(ANSWER_DONT_KNOW), "dont_know");
	assert_string_equal(answer_special_name(ANSWER_ALREADY), "already");
	assert_string_equal(answer_special_name(ANSWER_NEVER), "never");
	assert_null(answer_special_name(ANSWER_VALUE));
	assert_int_equal(answer_special_parse("dont_know"), ANSWER_DONT_KNOW);
	assert_int_equal(answer_special_parse("already"), ANSWER_ALREADY);
	assert_int_equal(answer_special_parse("never"), ANSWER_NEVER);
	assert_int_equal(answer_special_parse("Never"), -1);
	assert_int_equal(answer_special_parse("never "), -1);
	assert_int_equal(answer_special_parse(""), -1);
	assert_int_equal(answer_special_parse("value"), -1);
	assert_int_equal(answer_special_parse(NULL), -1);
}

static void test_release(void **state)
{
	struct answer a = { ANSWER_VALUE, 5, NULL };
	(void)state;
	a.text = malloc(4);
	assert_non_null(a.text);
	strcpy(a.text, "abc");
	answer_release(&a);
	assert_null(a.text);
	assert_int_equal(a.num, 0);
	answer_release(&a); /* twice is fine */
	answer_release(NULL);
}

/*
 * not_before
 */

static void check_topic(const struct answer *tech, const struct answer *social, int want_rc,
			const char *want_err)
{
	struct survey s = { .questions = std_q, .n_questions = N_STD };
	const struct answer *answers[N_STD] = { NULL };
	const char *bad_key = "sentinel";
	char err[ANSWER_ERR_MAX] = "";
	answers[Q_TECH_YEAR] = tech;
	answers[Q_SOCIAL_YEAR] = social;
	assert_int_equal(answer_check_topic(&s, answers, &bad_key, err), want_rc);
	if (want_rc) {
		assert_string_equal(bad_key, "social_year");
		assert_string_equal(err, want_err);
	} else {
		assert_null(bad_key);
	}
}

static void test_not_before(void **state)
{
	struct answer y2030 = { ANSWER_VALUE, 2030, NULL };
	struct answer y2035 = { ANSWER_VALUE, 2035, NULL };
	struct answer y2026 = { ANSWER_VALUE, 2026, NULL };
	struct answer already = { ANSWER_ALREADY, 0, NULL };
	struct answer never = { ANSWER_NEVER, 0, NULL };
	struct answer dont_know = { ANSWER_DONT_KNOW, 0, NULL };
	(void)state;
	check_topic(&y2030, &y2030, 0, NULL); /* the same year is fine */
	check_topic(&y2030, &y2035, 0, NULL);
	check_topic(&y2035, &y2030, -1, "social_year 2030 is before tech_year 2035");
	check_topic(&y2030, &y2026, -1, "social_year 2026 is before tech_year 2030");
	/* specials and absent answers are not compared */
	check_topic(&already, &y2026, 0, NULL);
	check_topic(&y2035, &never, 0, NULL);
	check_topic(&y2035, &already, 0, NULL);
	check_topic(&dont_know, &y2026, 0, NULL);
	check_topic(NULL, &y2026, 0, NULL);
	check_topic(&y2035, NULL, 0, NULL);
	check_topic(NULL, NULL, 0, NULL);

	/* bad_key may be NULL */
	struct survey s = { .questions = std_q, .n_questions = N_STD };
	const struct answer *answers[N_STD] = { NULL };
	char err[ANSWER_ERR_MAX] = "";
	answers[Q_TECH_YEAR] = &y2035;
	answers[Q_SOCIAL_YEAR] = &y2030;
	assert_int_equal(answer_check_topic(&s, answers, NULL, err), -1);
	assert_string_equal(err, "social_year 2030 is before tech_year 2035");
}

/*
 * UTF-8
 */

struct utf8_case {
	const char *s;
	size_t len;
	int clean;
	const char *why;
};

#define U(lit, clean, why) { lit, sizeof(lit) - 1, clean, why }

static const struct utf8_case utf8_cases[] = {
	U("", 1, "empty"),
	U("abc", 1, "ASCII"),
	U("tab\tnl\ncr\r", 1, "the three allowed controls"),
	U("\xC3\xA9", 1, "U+00E9 in two bytes"),
	U("\xE2\x82\xAC", 1, "U+20AC in three bytes"),
	U("\xF0\x9D\x84\x9E", 1, "U+1D11E in four bytes"),
	U("\xF4\x8F\xBF\xBF", 1, "U+10FFFF, the last code point"),
	U("\xED\x9F\xBF", 1, "U+D7FF, just below the surrogates"),
	U("\xEE\x80\x80", 1, "U+E000, just above the surrogates"),
	U("\xEF\xBF\xBD", 1, "U+FFFD"),
	U("\xEF\xBB\xBF", 1, "U+FEFF (a BOM is a character like another)"),
	U("\x7F", 1, "DEL is not a C0 control"),
	U("\xC2\x85", 1, "U+0085 (C1) is not a C0 control"),
	U("a\0b", 0, "NUL"),
	U("\x01", 0, "C0 control U+0001"),
	U("\x1B", 0, "C0 control ESC"),
	U("\x1F", 0, "C0 control U+001F"),
	U("\x0B", 0, "vertical tab"),
	U("\x0C", 0, "form feed"),
	U("\x80", 0, "lone continuation byte"),
	U("\xBF", 0, "lone continuation byte"),
	U("\xC0\x80", 0, "overlong NUL"),
	U("\xC0\xAF", 0, "overlong '/' in two bytes"),
	U("\xC1\xBF", 0, "overlong U+007F"),
	U("\xE0\x80\xAF", 0, "overlong '/' in three bytes"),
	U("\xE0\x9F\xBF", 0, "overlong U+07FF in three bytes"),
	U("\xF0\x80\x80\xAF", 0, "overlong '/' in four bytes"),
	U("\xF0\x8F\xBF\xBF", 0, "overlong U+FFFF in four bytes"),
	U("\xED\xA0\x80", 0, "surrogate U+D800"),
	U("\xED\xBF\xBF", 0, "surrogate U+DFFF"),
	U("\xED\xA0\xBD\xED\xB2\xA9", 0, "CESU-8 surrogate pair"),
	U("\xF4\x90\x80\x80", 0, "U+110000, beyond Unicode"),
	U("\xF5\x80\x80\x80", 0, "lead byte F5"),
	U("\xF8\x88\x80\x80\x80", 0, "five-byte form"),
	U("\xFE", 0, "byte FE"),
	U("\xFF", 0, "byte FF"),
	U("\xE2\x82", 0, "truncated three-byte sequence"),
	U("\xC3", 0, "truncated two-byte sequence at the end"),
	U("\xC3\x28", 0, "bad continuation byte"),
	U("\xE2\x28\xA1", 0, "bad second byte of three"),
	U("\xF0\x9D\x84", 0, "truncated four-byte sequence"),
};

static void test_utf8(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		const struct utf8_case *c = &utf8_cases[i];
		int got = answer_is_clean_utf8(c->s, c->len) ? 1 : 0;
		if (got != c->clean)
			print_error("%s: want %d got %d\n", c->why, c->clean, got);
		assert_int_equal(got, c->clean);
	}
	/* only len bytes are looked at */
	assert_true(answer_is_clean_utf8("ab\xFF", 2));
	assert_true(answer_is_clean_utf8(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinal_text),
		cmocka_unit_test(test_ordinal_json),
		cmocka_unit_test(test_year_text),
		cmocka_unit_test(test_year_json),
		cmocka_unit_test(test_multi_text),
		cmocka_unit_test(test_multi_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_json),
		cmocka_unit_test(test_error_quoting),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_text_and_json_agree),
		cmocka_unit_test(test_spelling_mismatch),
		cmocka_unit_test(test_special_names),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_not_before),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
