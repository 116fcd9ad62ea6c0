/*
 * test_survey — the survey definition loader (server/core/survey.c).
 *
 * Valid definitions: tests/data/survey/minimal.json (only required keys: every default is
 * checked), full.json (every optional key set to something other than its default), base.json
 * (the valid document every invalid case is one change away from) and the sample
 * survey-defs/foresight-2050.json.
 *
 * Invalid definitions are data-driven: tests/data/survey/invalid/NN-name.json, each with
 * NN-name.expected holding the one line survey_error_format must produce. The loader is given
 * the file's contents with the file's basename as the source (survey_load_string), so expected
 * lines read "NN-name.json: path: text" or "NN-name.json:line:column: text".
 *
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survey.h"

#define DATA "tests/data/survey"
#define INVALID DATA "/invalid"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)size + 1)) && fread(data, 1, (size_t)size, f) == (size_t)size) {
		data[size] = '\0';
		*len = (size_t)size;
	} else {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

static struct survey *load_ok(const char *path)
{
	struct survey *s = NULL;
	struct survey_error err;
	char msg[1024];

	if (survey_load_file(path, &s, &err)) {
		survey_error_format(&err, msg, sizeof msg);
		fail_msg("%s did not load: %s", path, msg);
	}
	assert_non_null(s);
	return s;
}

static const struct survey_question *question(const struct survey *s, const char *key)
{
	int i = survey_question_index(s, key);
	assert_true(i >= 0);
	return &s->questions[i];
}

/* minimal.json gives only required keys. Every default, worked out from the format: */
static void test_minimal_defaults(void **state)
{
	(void)state;
	struct survey *s = load_ok(DATA "/minimal.json");
	const struct survey_question *q;

	assert_string_equal(s->slug, "mini");
	assert_int_equal(s->n_languages, 1);
	assert_string_equal(s->languages[0], "en");
	assert_string_equal(s->title.text[0], "Minimal survey");
	assert_null(s->description.text[0]); /* no description */
	assert_int_equal(s->year, 2025);
	assert_int_equal(s->horizon, 2040);
	assert_int_equal(s->n_fields, 1);
	assert_int_equal(s->n_topics, 1);
	assert_int_equal(s->topics[0].field, 0);
	assert_null(s->topics[0].text.text[0]); /* topic text is optional */
	assert_int_equal(s->n_questions, 5);

	/* rounds: count 2, invite respondents, reason optional */
	assert_int_equal(s->n_rounds, 2);
	assert_int_equal(s->invite, SURVEY_INVITE_RESPONDENTS);
	assert_int_equal(s->reason_outside_iqr, SURVEY_REASON_OPTIONAL);
	/* stats: type 7; expertise = the ordinal question called "expertise" (index 0), high = its
	 * largest value 3 (labels listed 1, 3, 2) */
	assert_int_equal(s->quantile_type, 7);
	assert_int_equal(s->expertise_question, 0);
	assert_int_equal(s->expertise_high, 3);

	/* expertise: values 1, 3, 2 -> min 1, max 3: weights (v - 1) / 2 * 100 = 0, 100, 50;
	 * agreement = the two highest values, 3 and 2; no don't know; consensus 1 / 0.7 / 0.3 */
	q = question(s, "expertise");
	assert_int_equal(q->kind, SURVEY_ORDINAL);
	assert_int_equal(q->n_labels, 3);
	assert_int_equal(q->labels[0].value, 1);
	assert_float_equal(q->labels[0].weight, 0.0, 1e-12);
	assert_int_equal(q->labels[1].value, 3);
	assert_float_equal(q->labels[1].weight, 100.0, 1e-12);
	assert_int_equal(q->labels[2].value, 2);
	assert_float_equal(q->labels[2].weight, 50.0, 1e-12);
	assert_int_equal(q->n_agreement, 2);
	assert_int_equal(q->agreement[0], 3);
	assert_int_equal(q->agreement[1], 2);
	assert_int_equal(q->specials, 0);
	assert_int_equal(q->not_before, -1);
	assert_float_equal(q->consensus.max_iqr, 1.0, 0);
	assert_float_equal(q->consensus.agree_high, 0.7, 0);
	assert_float_equal(q->consensus.agree_low, 0.3, 0);

	/* importance 4..1: weights 100, 200/3, 100/3, 0 (domain.md: 4->100, 3->66.67, 2->33.33,
	 * 1->0); agreement 4, 3 */
	q = question(s, "importance");
	assert_int_equal(q->n_labels, 4);
	assert_float_equal(q->labels[0].weight, 100.0, 1e-12);
	assert_float_equal(q->labels[1].weight, 200.0 / 3, 1e-12);
	assert_float_equal(q->labels[2].weight, 100.0 / 3, 1e-12);
	assert_float_equal(q->labels[3].weight, 0.0, 1e-12);
	assert_int_equal(q->agreement[0], 4);
	assert_int_equal(q->agreement[1], 3);

	/* year: range = survey year .. horizon, no specials, no not_before, consensus iqr 5 and
	 * the (unused) agreement thresholds 0 */
	q = question(s, "when");
	assert_int_equal(q->kind, SURVEY_YEAR);
	assert_int_equal(q->year_min, 2025);
	assert_int_equal(q->year_max, 2040);
	assert_int_equal(q->specials, 0);
	assert_int_equal(q->not_before, -1);
	assert_float_equal(q->consensus.max_iqr, 5.0, 0);
	assert_float_equal(q->consensus.agree_high, 0.0, 0);
	assert_float_equal(q->consensus.agree_low, 0.0, 0);

	q = question(s, "measures");
	assert_int_equal(q->kind, SURVEY_MULTI);
	assert_int_equal(q->n_options, 1);
	assert_string_equal(q->options[0].code, "funding");
	assert_int_equal(q->not_before, -1);
	assert_float_equal(q->consensus.max_iqr, 0.0, 0);

	/* text: max_length 2000 */
	q = question(s, "comment");
	assert_int_equal(q->kind, SURVEY_TEXT);
	assert_int_equal(q->max_length, 2000);
	assert_int_equal(q->not_before, -1);

	survey_free(s);
}

/* full.json sets every optional key; each value below is read off the file. */
static void test_full_explicit(void **state)
{
	(void)state;
	struct survey *s = load_ok(DATA "/full.json");
	const struct survey_question *q;

	assert_int_equal(s->n_languages, 3);
	assert_string_equal(s->languages[2], "pt-BR");
	assert_string_equal(s->title.text[1], "全項目");
	assert_string_equal(s->description.text[1], "説明");
	assert_null(s->description.text[2]);
	assert_int_equal(s->n_rounds, 3);
	assert_int_equal(s->invite, SURVEY_INVITE_ALL);
	assert_int_equal(s->reason_outside_iqr, SURVEY_REASON_REQUIRED);
	assert_int_equal(s->quantile_type, 6);
	assert_int_equal(s->expertise_question, 0); /* "know" */
	assert_int_equal(s->expertise_high, 1);
	assert_int_equal(s->topics[1].field, 1); /* BIO-01 is in bio_2 */
	assert_int_equal(s->topics[2].field, 0);

	/* know: two labels 2, 1 -> weights 100, 0; agreement the two highest = both; consensus
	 * from stats.consensus.ordinal 0.5 / 0.8 / 0.2 */
	q = question(s, "know");
	assert_float_equal(q->labels[0].weight, 100.0, 1e-12);
	assert_float_equal(q->labels[1].weight, 0.0, 1e-12);
	assert_int_equal(q->n_agreement, 2);
	assert_int_equal(q->agreement[0], 2);
	assert_int_equal(q->agreement[1], 1);
	assert_float_equal(q->consensus.max_iqr, 0.5, 0);
	assert_float_equal(q->consensus.agree_high, 0.8, 0);
	assert_float_equal(q->consensus.agree_low, 0.2, 0);

	/* importance: values 0, 5, 10; weights given 10 and 90.5, the middle one defaults to
	 * (5 - 0) / (10 - 0) * 100 = 50; agreement as listed; dont_know; agreement_high 0.9 from
	 * the question, the rest from the survey-wide defaults */
	q = question(s, "importance");
	assert_float_equal(q->labels[0].weight, 10.0, 0);
	assert_float_equal(q->labels[1].weight, 50.0, 1e-12);
	assert_float_equal(q->labels[2].weight, 90.5, 0);
	assert_int_equal(q->n_agreement, 3);
	assert_int_equal(q->agreement[0], 5);
	assert_int_equal(q->agreement[1], 10);
	assert_int_equal(q->agreement[2], 0);
	assert_int_equal(q->specials, SURVEY_SPECIAL_DONT_KNOW);
	assert_float_equal(q->consensus.max_iqr, 0.5, 0);
	assert_float_equal(q->consensus.agree_high, 0.9, 0);
	assert_float_equal(q->consensus.agree_low, 0.2, 0);

	/* social_year names tech_year, which comes after it (index 3) */
	q = question(s, "social_year");
	assert_int_equal(q->year_min, 2022);
	assert_int_equal(q->year_max, 2045);
	assert_int_equal(q->specials, SURVEY_SPECIAL_DONT_KNOW | SURVEY_SPECIAL_NEVER);
	assert_int_equal(q->not_before, 3);
	assert_float_equal(q->consensus.max_iqr, 2.5, 0);
	q = question(s, "tech_year");
	assert_int_equal(q->year_min, 2020);
	assert_int_equal(q->year_max, 2045);
	assert_int_equal(q->specials, SURVEY_SPECIAL_ALREADY);
	assert_int_equal(q->not_before, -1);
	assert_float_equal(q->consensus.max_iqr, 3.0, 0);

	q = question(s, "measures");
	assert_int_equal(q->n_options, 2);
	assert_string_equal(q->options[1].text.text[2], "ELSI");
	q = question(s, "note");
	assert_int_equal(q->max_length, 10000);
	survey_free(s);
}

/* The document every invalid case modifies must itself be valid. */
static void test_base_loads(void **state)
{
	(void)state;
	struct survey *s = load_ok(DATA "/base.json");
	assert_int_equal(s->n_questions, 6);
	assert_int_equal(question(s, "social_year")->not_before, 2);
	survey_free(s);
}

/* The sample survey shipped in survey-defs/ (the standard question set of domain.md §2). */
static void test_sample_survey(void **state)
{
	(void)state;
	static const char *const keys[] = {"expertise",	  "importance", "competitiveness",
					   "tech_year",	  "social_year", "measures",
					   "comment"};
	static const enum survey_kind kinds[] = {SURVEY_ORDINAL, SURVEY_ORDINAL, SURVEY_ORDINAL,
						 SURVEY_YEAR,	 SURVEY_YEAR,	 SURVEY_MULTI,
						 SURVEY_TEXT};
	static const char *const measures[] = {"human_resources", "funding",	"infrastructure",
					       "collaboration",	  "international", "regulation",
					       "elsi",		  "commercialization"};
	struct survey *s = load_ok("survey-defs/foresight-2050.json");
	const struct survey_question *q;

	assert_true(s->n_fields >= 8);
	assert_true(s->n_topics >= 80);
	assert_int_equal(s->n_questions, 7);
	assert_int_equal(s->n_rounds, 2);
	assert_int_equal(s->n_languages, 3);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(question(s, keys[i])->kind, kinds[i]);
	q = question(s, "measures");
	assert_int_equal(q->n_options, 8);
	for (size_t i = 0; i < 8; i++)
		assert_true(survey_option_index(q, measures[i]) >= 0);
	assert_int_equal(question(s, "social_year")->not_before,
			 survey_question_index(s, "tech_year"));
	assert_int_equal(s->expertise_question, survey_question_index(s, "expertise"));
	survey_free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every tests/data/survey/invalid/NN-name.json fails with exactly NN-name.expected. */
static void test_invalid_cases(void **state)
{
	(void)state;
	DIR *d = opendir(INVALID);
	struct dirent *e;
	char *names[256] = {NULL};
	size_t n = 0, bad = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json")) {
			assert_true(n < 256);
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	assert_true(n >= 20);

	for (size_t i = 0; i < n; i++) {
		char path[512], msg[1024];
		char *json, *expected;
		size_t len, elen;
		struct survey *s = (struct survey *)1;
		struct survey_error err;
		int rc;

		snprintf(path, sizeof path, INVALID "/%s", names[i]);
		json = read_all(path, &len);
		assert_non_null(json);
		snprintf(path + strlen(path) - 5, 10, ".expected");
		expected = read_all(path, &elen);
		assert_non_null(expected);
		while (elen > 0 && (expected[elen - 1] == '\n' || expected[elen - 1] == '\r'))
			expected[--elen] = '\0';

		rc = survey_load_string(json, len, names[i], &s, &err);
		survey_error_format(&err, msg, sizeof msg);
		if (rc != -1 || s != NULL || strcmp(msg, expected)) {
			print_message("case %s:\n  expected: %s\n  got:      %s (rc %d)\n", names[i],
				      expected, rc ? msg : "(loaded)", rc);
			bad++;
		}
		survey_free(rc ? NULL : s);
		free(json);
		free(expected);
		free(names[i]);
	}
	assert_int_equal(bad, 0);
}

/* survey_load_file names the file as given, and reports files it cannot read. */
static void test_load_file_errors(void **state)
{
	(void)state;
	struct survey *s = (struct survey *)1;
	struct survey_error err;
	char msg[1024];

	assert_int_equal(survey_load_file(INVALID "/05-unknown-top-key.json", &s, &err), -1);
	assert_null(s);
	survey_error_format(&err, msg, sizeof msg);
	assert_string_equal(msg, INVALID "/05-unknown-top-key.json: unknown key \"titel\"");
	assert_string_equal(err.path, "");
	assert_int_equal(err.line, 0);

	assert_int_equal(survey_load_file(INVALID "/01-malformed-json.json", &s, &err), -1);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 9);
	assert_string_equal(err.path, "");

	assert_int_equal(survey_load_file(DATA "/no-such-file.json", &s, &err), -1);
	assert_null(s);
	survey_error_format(&err, msg, sizeof msg);
	assert_string_equal(msg, DATA "/no-such-file.json: cannot open: No such file or directory");

	assert_int_equal(survey_load_file(DATA, &s, &err), -1); /* a directory */
	survey_error_format(&err, msg, sizeof msg);
	assert_string_equal(msg, DATA ": cannot read: Is a directory");

	/* err may be NULL */
	assert_int_equal(survey_load_file(DATA "/no-such-file.json", &s, NULL), -1);
	assert_null(s);
}

/* survey_load_string reads exactly len bytes and names the source. */
static void test_load_string(void **state)
{
	(void)state;
	static const char doc[] = "{\"slug\": \"x\"}garbage";
	struct survey *s = NULL;
	struct survey_error err;
	char msg[256];

	/* only the first 13 bytes: the object without the garbage; languages are checked first */
	assert_int_equal(survey_load_string(doc, 13, NULL, &s, &err), -1);
	survey_error_format(&err, msg, sizeof msg);
	assert_string_equal(msg, "<string>: missing key \"languages\"");

	/* all of it: "garbage" (columns 14..20) follows the object; jansson names the column of
	 * the offending token's last character */
	assert_int_equal(survey_load_string(doc, strlen(doc), "def", &s, &err), -1);
	survey_error_format(&err, msg, sizeof msg);
	assert_string_equal(msg, "def:1:20: end of file expected near 'garbage'");
}

static void test_error_format(void **state)
{
	(void)state;
	struct survey_error err;
	char out[32];

	memset(&err, 0, sizeof err);
	strcpy(err.source, "s.json");
	strcpy(err.path, "topics[12].field");
	strcpy(err.text, "unknown field \"X9\"");
	survey_error_format(&err, out, sizeof out);
	/* "s.json: topics[12].field: unknown field \"X9\"" cut to 31 bytes */
	assert_string_equal(out, "s.json: topics[12].field: unkno");

	err.path[0] = '\0';
	strcpy(err.text, "bad");
	survey_error_format(&err, out, sizeof out);
	assert_string_equal(out, "s.json: bad");

	err.line = 4;
	err.column = 7;
	survey_error_format(&err, out, sizeof out);
	assert_string_equal(out, "s.json:4:7: bad");

	out[0] = 'x';
	survey_error_format(&err, out, 0); /* writes nothing */
	assert_int_equal(out[0], 'x');
	survey_error_format(&err, out, 1);
	assert_int_equal(out[0], '\0');
}

static void test_text_fallback(void **state)
{
	(void)state;
	struct survey *s = load_ok(DATA "/full.json");
	const struct survey_topic *t = &s->topics[0]; /* ENE-01: en and ja */
	struct survey_i18n only_last = {{NULL}}, none = {{NULL}};
	char pt[] = "só pt-BR";

	assert_string_equal(survey_text(s, &t->title, "ja"), "核融合");
	assert_string_equal(survey_text(s, &t->title, "en"), "Fusion");
	assert_string_equal(survey_text(s, &t->title, "pt-BR"), "Fusion"); /* none: first language */
	assert_string_equal(survey_text(s, &t->title, "fr"), "Fusion");    /* undeclared */
	assert_string_equal(survey_text(s, &t->title, NULL), "Fusion");
	assert_string_equal(survey_text(s, &t->title, "JA"), "核融合"); /* tags ignore case */
	assert_string_equal(survey_text(s, &s->topics[1].text, "ja"), ""); /* no text at all */
	assert_string_equal(survey_text(s, &s->questions[4].options[1].text, "pt-br"), "ELSI");

	/* not from a loaded survey (the first language is mandatory there): then any language */
	only_last.text[2] = pt;
	assert_string_equal(survey_text(s, &only_last, "ja"), "só pt-BR");
	assert_string_equal(survey_text(s, &none, "ja"), "");
	survey_free(s);
}

static void test_lookups(void **state)
{
	(void)state;
	struct survey *s = load_ok(DATA "/full.json");
	const struct survey_question *q;

	assert_int_equal(survey_field_index(s, "ENE"), 0);
	assert_int_equal(survey_field_index(s, "bio_2"), 1);
	assert_int_equal(survey_field_index(s, "ene"), -1); /* codes are case-sensitive */
	assert_int_equal(survey_topic_index(s, "ENE-02"), 2);
	assert_int_equal(survey_topic_index(s, "ENE-03"), -1);
	assert_int_equal(survey_question_index(s, "know"), 0);
	assert_int_equal(survey_question_index(s, "note"), 5);
	assert_int_equal(survey_question_index(s, "expertise"), -1);
	assert_int_equal(survey_language_index(s, "en"), 0);
	assert_int_equal(survey_language_index(s, "pt-BR"), 2);
	assert_int_equal(survey_language_index(s, "PT-br"), 2);
	assert_int_equal(survey_language_index(s, "pt"), -1);
	assert_int_equal(survey_language_index(s, "zh"), -1);

	q = question(s, "measures");
	assert_int_equal(survey_option_index(q, "elsi"), 1);
	assert_int_equal(survey_option_index(q, "funding"), 0);
	assert_int_equal(survey_option_index(q, "regulation"), -1);

	q = question(s, "importance");
	assert_ptr_equal(survey_label_by_value(q, 5), &q->labels[1]);
	assert_ptr_equal(survey_label_by_value(q, 0), &q->labels[0]);
	assert_null(survey_label_by_value(q, 4));
	assert_null(survey_label_by_value(question(s, "note"), 0)); /* no labels */

	assert_string_equal(survey_kind_name(SURVEY_ORDINAL), "ordinal");
	assert_string_equal(survey_kind_name(SURVEY_YEAR), "year");
	assert_string_equal(survey_kind_name(SURVEY_MULTI), "multi");
	assert_string_equal(survey_kind_name(SURVEY_TEXT), "text");
	survey_free(s);
	survey_free(NULL);
}

/* Limits are inclusive: 63 options, 16 labels, a 64-character code and 8 languages load. */
static void test_limits_inclusive(void **state)
{
	(void)state;
	char doc[16384], *p = doc;
	struct survey *s = NULL;
	struct survey_error err;
	char msg[1024], code[65];

	memset(code, 'C', 64);
	code[64] = '\0';
	p += sprintf(p, "{\"slug\": \"a\", \"title\": {\"en\": \"t\"}, \"year\": 2000, "
			"\"horizon\": 2100, \"languages\": [\"en\", \"ja\", \"zh\", \"de\", \"fr\", "
			"\"pt-BR\", \"zh-Hant-TW\", \"es-419\"], "
			"\"fields\": [{\"code\": \"%s\", \"title\": {\"en\": \"f\"}}], "
			"\"topics\": [{\"code\": \"t\", \"field\": \"%s\", \"title\": {\"en\": \"t\"}}], "
			"\"questions\": [{\"key\": \"m\", \"kind\": \"multi\", \"text\": {\"en\": \"m\"}, "
			"\"options\": [",
		     code, code);
	for (int i = 0; i < 63; i++)
		p += sprintf(p, "%s{\"code\": \"o%d\", \"text\": {\"en\": \"o\"}}", i ? ", " : "", i);
	p += sprintf(p, "]}, {\"key\": \"l\", \"kind\": \"ordinal\", \"text\": {\"en\": \"l\"}, "
			"\"labels\": [");
	for (int i = 0; i < 16; i++)
		p += sprintf(p, "%s{\"value\": %d, \"text\": {\"en\": \"v\"}}", i ? ", " : "", i * 6);
	p += sprintf(p, "]}], \"rounds\": {\"count\": 9}}");

	if (survey_load_string(doc, strlen(doc), "limits", &s, &err)) {
		survey_error_format(&err, msg, sizeof msg);
		fail_msg("%s", msg);
	}
	assert_int_equal(s->n_languages, 8);
	assert_int_equal(s->questions[0].n_options, 63);
	assert_int_equal(s->questions[1].n_labels, 16);
	/* values 0, 6, .., 90: weight of 6 is 6 / 90 * 100 */
	assert_float_equal(s->questions[1].labels[1].weight, 600.0 / 90, 1e-12);
	assert_int_equal(s->n_rounds, 9);
	/* horizon 2100 = year + 100 is allowed */
	assert_int_equal(s->horizon, 2100);
	/* no question called "expertise": no expert subgroup */
	assert_int_equal(s->expertise_question, -1);
	survey_free(s);
}

/* A survey of one field and one topic whose title (en, ja) and text (en, ja) are given (each
 * must be JSON-safe: no quote, backslash or control character), with a text question of
 * max_length max; *s receives it or stays NULL. Returns survey_load_string's result and the
 * message in msg. */
static int load_texts(const char *title_en, const char *title_ja, const char *text_en,
		      const char *text_ja, int max, struct survey **s, char msg[1024])
{
	size_t cap = strlen(title_en) + strlen(title_ja) + strlen(text_en) + strlen(text_ja) + 1024;
	char *doc = malloc(cap);
	struct survey_error err;
	int rc;

	assert_non_null(doc);
	snprintf(doc, cap,
		 "{\"slug\": \"t\", \"title\": {\"en\": \"t\"}, \"year\": 2025, \"horizon\": 2040, "
		 "\"languages\": [\"en\", \"ja\"], \"fields\": [{\"code\": \"F\", \"title\": {\"en\": "
		 "\"f\"}}], \"topics\": [{\"code\": \"T\", \"field\": \"F\", \"title\": {\"en\": \"%s\", "
		 "\"ja\": \"%s\"}, \"text\": {\"en\": \"%s\", \"ja\": \"%s\"}}], \"questions\": "
		 "[{\"key\": \"c\", \"kind\": \"text\", \"text\": {\"en\": \"c\"}, \"max_length\": %d}]}",
		 title_en, title_ja, text_en, text_ja, max);
	*s = NULL;
	msg[0] = '\0';
	rc = survey_load_string(doc, strlen(doc), "texts", s, &err);
	if (rc)
		survey_error_format(&err, msg, 1024);
	free(doc);
	return rc;
}

/* n copies of the UTF-8 character ch, NUL-terminated; the caller frees it. */
static char *repeat(const char *ch, size_t n)
{
	size_t len = strlen(ch);
	char *out = malloc(len * n + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, ch, len);
	out[len * n] = '\0';
	return out;
}

/* survey_text_length counts code points, not bytes. */
static void test_text_length(void **state)
{
	(void)state;
	assert_int_equal(survey_text_length(""), 0);
	assert_int_equal(survey_text_length("abc"), 3);
	assert_int_equal(survey_text_length("\xc3\xa9"), 1);             /* é: 2 bytes */
	assert_int_equal(survey_text_length("\xe2\x80\xae" "a"), 2);     /* U+202E a */
	assert_int_equal(survey_text_length("\xf0\x9d\x84\x9e"), 1);     /* U+1D11E: 4 bytes */
	assert_int_equal(survey_text_length("<\xe3\x81\x82>"), 3);       /* <あ> */
}

/* Text limits count characters, so every script gets the same room: a 10,000-character topic
 * text of right-to-left overrides (30,000 bytes) and markup loads in every language and is kept
 * byte for byte; 16384 four-byte characters (64 KiB) are the most a long text takes, 500 CJK
 * characters a title; one more is refused with the count in characters. */
static void test_text_limits_in_characters(void **state)
{
	(void)state;
	struct survey *s;
	char msg[1024];
	char *rtl = repeat("\xe2\x80\xae", 10000), *wide = repeat("\xf0\x9d\x84\x9e", 16384);
	char *wide1 = repeat("\xf0\x9d\x84\x9e", 16385), *kana = repeat("\xe3\x81\x82", 500);
	char *kana1 = repeat("\xe3\x81\x82", 501), *ascii1 = repeat("x", 16385);
	const char *hostile = "<script>alert(1)</script> <img src=x onerror=alert(1)> '; DROP "
			      "TABLE answers; --";

	if (load_texts(hostile, kana, rtl, wide, 32768, &s, msg))
		fail_msg("%s", msg);
	assert_int_equal(strlen(s->topics[0].text.text[0]), 30000);
	assert_string_equal(s->topics[0].text.text[0], rtl);
	assert_int_equal(strlen(s->topics[0].text.text[1]), 65536);
	assert_string_equal(s->topics[0].text.text[1], wide);
	assert_string_equal(s->topics[0].title.text[0], hostile);
	assert_string_equal(s->topics[0].title.text[1], kana);
	assert_int_equal(s->questions[0].max_length, 32768);
	survey_free(s);

	assert_int_equal(load_texts("t", "t", "t", wide1, 100, &s, msg), -1);
	assert_null(s);
	assert_string_equal(msg, "texts: topics[0].text.ja: too long (16385 characters, at most "
				 "16384)");
	assert_int_equal(load_texts("t", "t", ascii1, "t", 100, &s, msg), -1);
	assert_string_equal(msg, "texts: topics[0].text.en: too long (16385 characters, at most "
				 "16384)");
	assert_int_equal(load_texts("t", kana1, "t", "t", 100, &s, msg), -1);
	assert_string_equal(msg, "texts: topics[0].title.ja: too long (501 characters, at most 500)");
	assert_int_equal(load_texts("t", "t", "t", "t", 32769, &s, msg), -1);
	assert_string_equal(msg, "texts: questions[0].max_length: 32769 is out of range (expected 1 "
				 "to 32768)");
	free(rtl);
	free(wide);
	free(wide1);
	free(kana);
	free(kana1);
	free(ascii1);
}

/* "expertise": null turns the subgroup off even when an "expertise" question exists. */
static void test_expertise_off(void **state)
{
	(void)state;
	size_t len;
	char *base = read_all(DATA "/base.json", &len), *doc;
	const char *from = "\"expertise\": {";
	char *at = strstr(base, from), *end;
	struct survey *s = NULL;
	struct survey_error err;

	assert_non_null(at);
	end = strchr(at, '}');
	assert_non_null(end);
	doc = malloc(len + 16);
	assert_non_null(doc);
	sprintf(doc, "%.*s\"expertise\": null%s", (int)(at - base), base, end + 1);
	assert_int_equal(survey_load_string(doc, strlen(doc), "x", &s, &err), 0);
	assert_int_equal(s->expertise_question, -1);
	survey_free(s);
	free(doc);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults), cmocka_unit_test(test_full_explicit),
		cmocka_unit_test(test_base_loads),	 cmocka_unit_test(test_sample_survey),
		cmocka_unit_test(test_invalid_cases),	 cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_load_string),	 cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_text_fallback),	 cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_limits_inclusive), cmocka_unit_test(test_expertise_off),
		cmocka_unit_test(test_text_length),	 cmocka_unit_test(test_text_limits_in_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
