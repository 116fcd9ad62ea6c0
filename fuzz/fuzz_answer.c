/*
 * fuzz_answer — libFuzzer target for answer parsing and spelling (answer.h).
 *
 * A fixed small definition is loaded once (fuzz_answer_init): ordinal questions with and
 * without dont_know and with non-contiguous label values, year questions with all or some
 * specials and a not_before rule, a multi question with the eight standard options and one with
 * the most options there may be (63: the mask's top bit), and a short text question.
 * For each input and each question:
 *   - the input as a C string (up to its first NUL) goes through answer_parse_text;
 *   - the input as JSON (any value, NUL allowed in strings) goes through answer_from_json;
 * an accepted answer must be valid for its question (checked here independently), spell back
 * to text and to JSON, and parse from those spellings to an equal answer (text -> answer -> text
 * -> answer, and JSON -> answer -> JSON -> answer); spelling is canonical (a fixpoint). A
 * refusal must leave *out untouched and give a non-empty, NUL-terminated, clean UTF-8 message.
 * Finally the input's lines are taken as the answers to the questions in turn and
 * answer_check_topic is checked against the not_before rule worked out here.
 * See fuzz/fuzz.h.
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "survey.h"

static struct survey *fa_survey;

static const char fa_head[] =
	"{\"slug\": \"fuzz\", \"title\": {\"en\": \"Fuzz\"}, \"year\": 2025, \"horizon\": 2060,\n"
	" \"languages\": [\"en\"],\n"
	" \"fields\": [{\"code\": \"F\", \"title\": {\"en\": \"F\"}}],\n"
	" \"topics\": [{\"code\": \"T\", \"field\": \"F\", \"title\": {\"en\": \"T\"}}],\n"
	" \"questions\": [\n"
	"  {\"key\": \"expertise\", \"kind\": \"ordinal\", \"text\": {\"en\": \"q\"},\n"
	"   \"labels\": [{\"value\": 3, \"text\": {\"en\": \"h\"}}, {\"value\": 2, \"text\": "
	"{\"en\": \"m\"}},\n"
	"              {\"value\": 1, \"text\": {\"en\": \"l\"}}]},\n"
	"  {\"key\": \"importance\", \"kind\": \"ordinal\", \"text\": {\"en\": \"q\"}, "
	"\"dont_know\": true,\n"
	"   \"labels\": [{\"value\": 4, \"text\": {\"en\": \"a\"}}, {\"value\": 3, \"text\": "
	"{\"en\": \"b\"}},\n"
	"              {\"value\": 2, \"text\": {\"en\": \"c\"}}, {\"value\": 1, \"text\": "
	"{\"en\": \"d\"}}]},\n"
	"  {\"key\": \"odd\", \"kind\": \"ordinal\", \"text\": {\"en\": \"q\"},\n"
	"   \"labels\": [{\"value\": 0, \"text\": {\"en\": \"a\"}}, {\"value\": 100, \"text\": "
	"{\"en\": \"b\"}},\n"
	"              {\"value\": 50, \"text\": {\"en\": \"c\"}}]},\n"
	"  {\"key\": \"tech_year\", \"kind\": \"year\", \"text\": {\"en\": \"q\"}, \"min\": 2030, "
	"\"max\": 2050,\n"
	"   \"special\": [\"already\", \"never\", \"dont_know\"]},\n"
	"  {\"key\": \"social_year\", \"kind\": \"year\", \"text\": {\"en\": \"q\"}, \"special\": "
	"[\"never\"],\n"
	"   \"not_before\": \"tech_year\"},\n"
	"  {\"key\": \"measures\", \"kind\": \"multi\", \"text\": {\"en\": \"q\"}, \"options\": [\n"
	"   {\"code\": \"human_resources\", \"text\": {\"en\": \"o\"}}, {\"code\": \"funding\", "
	"\"text\": {\"en\": \"o\"}},\n"
	"   {\"code\": \"infrastructure\", \"text\": {\"en\": \"o\"}}, {\"code\": "
	"\"collaboration\", \"text\": {\"en\": \"o\"}},\n"
	"   {\"code\": \"international\", \"text\": {\"en\": \"o\"}}, {\"code\": \"regulation\", "
	"\"text\": {\"en\": \"o\"}},\n"
	"   {\"code\": \"elsi\", \"text\": {\"en\": \"o\"}}, {\"code\": \"commercialization\", "
	"\"text\": {\"en\": \"o\"}}]},\n"
	"  {\"key\": \"comment\", \"kind\": \"text\", \"text\": {\"en\": \"q\"}, \"max_length\": "
	"40},\n"
	"  {\"key\": \"many\", \"kind\": \"multi\", \"text\": {\"en\": \"q\"}, \"options\": [";

static const char fa_tail[] = "]}\n ]\n}\n";

int fuzz_answer_init(void)
{
	struct buf b = BUF_INIT;
	struct survey_error err;
	int rc;
	if (fa_survey)
		return 0;
	buf_init(&b);
	buf_adds(&b, fa_head);
	for (int i = 0; i < SURVEY_MAX_OPTIONS; i++)
		buf_printf(&b, "%s{\"code\": \"o%d\", \"text\": {\"en\": \"o\"}}", i ? ", " : "", i);
	buf_adds(&b, fa_tail);
	rc = survey_load_string(b.data, b.len, "fuzz_answer", &fa_survey, &err);
	if (rc) {
		char line[1024];
		survey_error_format(&err, line, sizeof line);
		fprintf(stderr, "fuzz_answer: the fixed definition does not load: %s\n", line);
	}
	buf_release(&b);
	return rc;
}

void fuzz_answer_release(void)
{
	survey_free(fa_survey);
	fa_survey = NULL;
}

static int fa_equal(const struct answer *a, const struct answer *b)
{
	if (a->special != b->special || a->num != b->num)
		return 0;
	if (!a->text || !b->text)
		return a->text == b->text;
	return strcmp(a->text, b->text) == 0;
}

/* a is a valid answer to q (answer.h's rules, worked out here). */
static void fa_check_valid(const struct survey_question *q, const struct answer *a)
{
	if (a->special != ANSWER_VALUE) {
		FUZZ_CHECK(a->text == NULL && a->num == 0);
		FUZZ_CHECK(q->kind == SURVEY_ORDINAL || q->kind == SURVEY_YEAR);
		unsigned bit = a->special == ANSWER_DONT_KNOW ? SURVEY_SPECIAL_DONT_KNOW
			       : a->special == ANSWER_ALREADY ? SURVEY_SPECIAL_ALREADY
			       : a->special == ANSWER_NEVER   ? SURVEY_SPECIAL_NEVER
							      : 0;
		FUZZ_CHECK(bit != 0 && (q->specials & bit));
		if (q->kind == SURVEY_ORDINAL)
			FUZZ_CHECK(a->special == ANSWER_DONT_KNOW);
		return;
	}
	switch (q->kind) {
	case SURVEY_ORDINAL:
		FUZZ_CHECK(a->text == NULL);
		FUZZ_CHECK(a->num >= 0 && a->num <= 100);
		FUZZ_CHECK(survey_label_by_value(q, (int)a->num) != NULL);
		break;
	case SURVEY_YEAR:
		FUZZ_CHECK(a->text == NULL);
		FUZZ_CHECK(a->num >= q->year_min && a->num <= q->year_max);
		break;
	case SURVEY_MULTI:
		FUZZ_CHECK(a->text == NULL);
		FUZZ_CHECK(a->num >= 0);
		FUZZ_CHECK(((uint64_t)a->num >> q->n_options) == 0);
		break;
	case SURVEY_TEXT:
		FUZZ_CHECK(a->text != NULL);
		FUZZ_CHECK(strlen(a->text) <= q->max_length);
		FUZZ_CHECK(answer_is_clean_utf8(a->text, strlen(a->text)));
		break;
	}
}

static void fa_check_refusal(const struct answer *out, const char *err)
{
	size_t len = strnlen(err, ANSWER_ERR_MAX);
	FUZZ_CHECK(len > 0 && len < ANSWER_ERR_MAX);
	FUZZ_CHECK(answer_is_clean_utf8(err, len));
	FUZZ_CHECK(out->special == (enum answer_special)99 && out->num == 12345 && out->text == NULL);
}

/* A marker *out must keep when a parser refuses. */
#define FA_UNTOUCHED { (enum answer_special)99, 12345, NULL }

/* a was accepted for q: both spellings parse back to it, and spelling is a fixpoint. */
static void fa_check_spellings(const struct survey_question *q, const struct answer *a)
{
	char err[ANSWER_ERR_MAX];
	struct answer b = ANSWER_INIT, c = ANSWER_INIT;

	fa_check_valid(q, a);
	char *t = answer_to_text(q, a);
	FUZZ_CHECK(t != NULL);
	if (answer_parse_text(q, t, &b, err) != 0) {
		fprintf(stderr, "fuzz_answer: %s: \"%s\" does not parse back: %s\n", q->key, t, err);
		FUZZ_CHECK(!"the text spelling parses back");
	}
	FUZZ_CHECK(fa_equal(a, &b));
	char *t2 = answer_to_text(q, &b);
	FUZZ_CHECK(t2 != NULL && strcmp(t, t2) == 0);

	json_t *j = answer_to_json(q, a);
	FUZZ_CHECK(j != NULL);
	if (answer_from_json(q, j, &c, err) != 0) {
		fprintf(stderr, "fuzz_answer: %s: the JSON spelling does not parse back: %s\n", q->key,
			err);
		FUZZ_CHECK(!"the JSON spelling parses back");
	}
	FUZZ_CHECK(fa_equal(a, &c));
	json_t *j2 = answer_to_json(q, &c);
	FUZZ_CHECK(j2 != NULL && json_equal(j, j2));

	json_decref(j);
	json_decref(j2);
	free(t);
	free(t2);
	answer_release(&b);
	answer_release(&c);
}

/* Takes line k of text (lines cut at '\n') as the answer to question k; checks the not_before
 * rule as answer.h states it: when both answers are years, the later question's is not smaller. */
static void fa_check_topic(const struct survey *s, const char *text)
{
	struct answer ans[SURVEY_MAX_QUESTIONS];
	const struct answer *ptr[SURVEY_MAX_QUESTIONS];
	char err[ANSWER_ERR_MAX];
	const char *p = text, *bad_key = (const char *)1;
	int want = 0;

	for (size_t i = 0; i < s->n_questions; i++) {
		const char *nl = p ? strchr(p, '\n') : NULL;
		size_t n = p ? (nl ? (size_t)(nl - p) : strlen(p)) : 0;
		char *line = malloc(n + 1);
		FUZZ_CHECK(line != NULL);
		if (p)
			memcpy(line, p, n);
		line[n] = '\0';
		ans[i] = (struct answer)ANSWER_INIT;
		ptr[i] = p && answer_parse_text(&s->questions[i], line, &ans[i], err) == 0 ? &ans[i]
											     : NULL;
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	for (size_t i = 0; i < s->n_questions; i++) {
		int j = s->questions[i].not_before;
		if (j < 0 || !ptr[i] || !ptr[j])
			continue;
		if (ptr[i]->special == ANSWER_VALUE && ptr[j]->special == ANSWER_VALUE &&
		    ptr[i]->num < ptr[j]->num)
			want = -1;
	}
	int got = answer_check_topic(s, ptr, &bad_key, err);
	FUZZ_CHECK(got == want);
	if (got == 0) {
		FUZZ_CHECK(bad_key == NULL);
	} else {
		FUZZ_CHECK(bad_key != NULL && survey_question_index(s, bad_key) >= 0);
		FUZZ_CHECK(err[0] != '\0');
	}
	for (size_t i = 0; i < s->n_questions; i++)
		answer_release(&ans[i]);
}

int fuzz_answer_one(const uint8_t *data, size_t size)
{
	char err[ANSWER_ERR_MAX];
	if (fuzz_answer_init())
		abort();
	const struct survey *s = fa_survey;

	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	json_error_t jerr;
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	for (size_t i = 0; i < s->n_questions; i++) {
		const struct survey_question *q = &s->questions[i];
		struct answer a = FA_UNTOUCHED;
		if (answer_parse_text(q, text, &a, err) == 0) {
			fa_check_spellings(q, &a);
			answer_release(&a);
		} else {
			fa_check_refusal(&a, err);
		}
		if (!v)
			continue;
		struct answer b = FA_UNTOUCHED;
		if (answer_from_json(q, v, &b, err) == 0) {
			fa_check_spellings(q, &b);
			/* The JSON form's answer spelled as text parses as the text form. */
			char *t = answer_to_text(q, &b);
			struct answer c = ANSWER_INIT;
			FUZZ_CHECK(t && answer_parse_text(q, t, &c, err) == 0 && fa_equal(&b, &c));
			answer_release(&c);
			free(t);
			answer_release(&b);
		} else {
			fa_check_refusal(&b, err);
		}
	}
	fa_check_topic(s, text);
	json_decref(v);
	free(text);
	return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fuzz_answer_init() ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_answer_one(data, size);
}
#endif
