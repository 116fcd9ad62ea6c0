/*
 * fuzz_survey — libFuzzer target for the survey definition loader (survey_load_string).
 *
 * Every input is loaded as a definition. A refusal must come with a diagnostic that formats to
 * a non-empty line; a success must satisfy the invariants survey.h promises (checked here one by
 * one, independently of the loader's code), and every look-up must find each code where it is.
 * See fuzz/fuzz.h.
 */
#include "fuzz.h"

#include <string.h>

#include "survey.h"

static int fs_is_code(const char *s, int slug)
{
	size_t len = s ? strlen(s) : 0;
	if (len < 1 || len > SURVEY_KEY_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
		if (!slug)
			ok = ok || (c >= 'A' && c <= 'Z') || c == '_';
		if (!ok)
			return 0;
	}
	return 1;
}

/* An i18n text: entries only for declared languages, each non-empty and within max bytes;
 * the first language present when required. */
static void fs_check_i18n(const struct survey *s, const struct survey_i18n *t, size_t max,
			  int required)
{
	if (required)
		FUZZ_CHECK(t->text[0] != NULL);
	for (size_t i = 0; i < SURVEY_MAX_LANGS; i++) {
		if (!t->text[i])
			continue;
		FUZZ_CHECK(i < s->n_languages);
		size_t len = strlen(t->text[i]);
		/* limits count characters; a character is 1 to 4 bytes of UTF-8 */
		FUZZ_CHECK(len >= 1 && survey_text_length(t->text[i]) <= max && len <= 4 * max);
	}
	const char *shown = survey_text(s, t, NULL);
	FUZZ_CHECK(shown != NULL);
	if (required)
		FUZZ_CHECK(shown == t->text[0]);
	for (size_t i = 0; i < s->n_languages; i++) {
		shown = survey_text(s, t, s->languages[i]);
		FUZZ_CHECK(shown != NULL);
		if (t->text[i])
			FUZZ_CHECK(shown == t->text[i]);
	}
}

static void fs_check_ordinal(const struct survey *s, const struct survey_question *q)
{
	FUZZ_CHECK(q->n_labels >= 2 && q->n_labels <= SURVEY_MAX_LABELS);
	FUZZ_CHECK(q->labels != NULL);
	for (size_t i = 0; i < q->n_labels; i++) {
		const struct survey_label *l = &q->labels[i];
		FUZZ_CHECK(l->value >= 0 && l->value <= 100);
		FUZZ_CHECK(l->weight >= 0 && l->weight <= 100);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(q->labels[j].value != l->value);
		FUZZ_CHECK(survey_label_by_value(q, l->value) == l);
		fs_check_i18n(s, &l->text, SURVEY_SHORT_TEXT_MAX, 1);
	}
	FUZZ_CHECK(survey_label_by_value(q, -1) == NULL);
	FUZZ_CHECK(q->n_agreement >= 1 && q->n_agreement <= q->n_labels);
	for (size_t i = 0; i < q->n_agreement; i++) {
		FUZZ_CHECK(survey_label_by_value(q, q->agreement[i]) != NULL);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(q->agreement[j] != q->agreement[i]);
	}
	FUZZ_CHECK((q->specials & ~(unsigned)SURVEY_SPECIAL_DONT_KNOW) == 0);
	FUZZ_CHECK(q->consensus.max_iqr >= 0 && q->consensus.max_iqr <= 100);
	FUZZ_CHECK(q->consensus.agree_low >= 0 && q->consensus.agree_high <= 1);
	FUZZ_CHECK(q->consensus.agree_low <= q->consensus.agree_high);
}

static void fs_check_question(const struct survey *s, size_t index)
{
	const struct survey_question *q = &s->questions[index];
	FUZZ_CHECK(fs_is_code(q->key, 0));
	FUZZ_CHECK(survey_question_index(s, q->key) == (int)index);
	FUZZ_CHECK(strcmp(survey_kind_name(q->kind), "unknown") != 0);
	fs_check_i18n(s, &q->text, SURVEY_LONG_TEXT_MAX, 1);
	if (q->not_before >= 0) {
		FUZZ_CHECK(q->kind == SURVEY_YEAR);
		FUZZ_CHECK((size_t)q->not_before < s->n_questions && (size_t)q->not_before != index);
		FUZZ_CHECK(s->questions[q->not_before].kind == SURVEY_YEAR);
	} else {
		FUZZ_CHECK(q->not_before == -1);
	}
	switch (q->kind) {
	case SURVEY_ORDINAL:
		fs_check_ordinal(s, q);
		FUZZ_CHECK(q->n_options == 0 && q->max_length == 0);
		break;
	case SURVEY_YEAR:
		FUZZ_CHECK(s->year <= q->year_min && q->year_min <= q->year_max &&
			   q->year_max <= s->horizon);
		FUZZ_CHECK(q->n_labels == 0 && q->n_options == 0);
		FUZZ_CHECK(q->consensus.max_iqr >= 0 && q->consensus.max_iqr <= 100);
		FUZZ_CHECK(q->consensus.agree_high == 0 && q->consensus.agree_low == 0);
		break;
	case SURVEY_MULTI:
		FUZZ_CHECK(q->n_options >= 1 && q->n_options <= SURVEY_MAX_OPTIONS);
		for (size_t i = 0; i < q->n_options; i++) {
			FUZZ_CHECK(fs_is_code(q->options[i].code, 0));
			FUZZ_CHECK(survey_option_index(q, q->options[i].code) == (int)i);
			fs_check_i18n(s, &q->options[i].text, SURVEY_SHORT_TEXT_MAX, 1);
		}
		FUZZ_CHECK(q->specials == 0 && q->n_labels == 0);
		FUZZ_CHECK(q->consensus.max_iqr == 0 && q->consensus.agree_high == 0 &&
			   q->consensus.agree_low == 0);
		break;
	case SURVEY_TEXT:
		FUZZ_CHECK(q->max_length >= 1 && q->max_length <= SURVEY_ANSWER_TEXT_MAX);
		FUZZ_CHECK(q->specials == 0 && q->n_labels == 0 && q->n_options == 0);
		FUZZ_CHECK(q->consensus.max_iqr == 0 && q->consensus.agree_high == 0 &&
			   q->consensus.agree_low == 0);
		break;
	}
}

static void fs_check_survey(const struct survey *s)
{
	FUZZ_CHECK(fs_is_code(s->slug, 1));
	FUZZ_CHECK(s->n_languages >= 1 && s->n_languages <= SURVEY_MAX_LANGS);
	for (size_t i = 0; i < SURVEY_MAX_LANGS; i++) {
		if (i >= s->n_languages) {
			FUZZ_CHECK(s->languages[i] == NULL);
			continue;
		}
		FUZZ_CHECK(s->languages[i] != NULL);
		size_t len = strlen(s->languages[i]);
		FUZZ_CHECK(len >= 2 && len <= SURVEY_LANG_MAX);
		/* Distinct even ignoring case, so that the look-up finds each where it is. */
		FUZZ_CHECK(survey_language_index(s, s->languages[i]) == (int)i);
	}
	fs_check_i18n(s, &s->title, SURVEY_SHORT_TEXT_MAX, 1);
	fs_check_i18n(s, &s->description, SURVEY_LONG_TEXT_MAX, 0);
	FUZZ_CHECK(s->year >= 1900 && s->year <= 2200);
	FUZZ_CHECK(s->year < s->horizon && s->horizon <= s->year + 100);

	FUZZ_CHECK(s->n_fields >= 1 && s->n_fields <= SURVEY_MAX_FIELDS);
	for (size_t i = 0; i < s->n_fields; i++) {
		FUZZ_CHECK(fs_is_code(s->fields[i].code, 0));
		FUZZ_CHECK(survey_field_index(s, s->fields[i].code) == (int)i);
		fs_check_i18n(s, &s->fields[i].title, SURVEY_SHORT_TEXT_MAX, 1);
	}
	FUZZ_CHECK(s->n_topics >= 1 && s->n_topics <= SURVEY_MAX_TOPICS);
	for (size_t i = 0; i < s->n_topics; i++) {
		const struct survey_topic *t = &s->topics[i];
		FUZZ_CHECK(fs_is_code(t->code, 0));
		FUZZ_CHECK(survey_topic_index(s, t->code) == (int)i);
		FUZZ_CHECK(t->field < s->n_fields);
		fs_check_i18n(s, &t->title, SURVEY_SHORT_TEXT_MAX, 1);
		fs_check_i18n(s, &t->text, SURVEY_LONG_TEXT_MAX, 0);
	}
	FUZZ_CHECK(s->n_questions >= 1 && s->n_questions <= SURVEY_MAX_QUESTIONS);
	for (size_t i = 0; i < s->n_questions; i++)
		fs_check_question(s, i);
	/* Following not_before never comes back. */
	for (size_t i = 0; i < s->n_questions; i++) {
		int j = s->questions[i].not_before;
		for (size_t steps = 0; j >= 0; steps++) {
			FUZZ_CHECK(steps <= s->n_questions && (size_t)j != i);
			j = s->questions[j].not_before;
		}
	}

	FUZZ_CHECK(s->n_rounds >= 1 && s->n_rounds <= SURVEY_MAX_ROUNDS);
	FUZZ_CHECK(s->invite == SURVEY_INVITE_RESPONDENTS || s->invite == SURVEY_INVITE_ALL);
	FUZZ_CHECK(s->reason_outside_iqr == SURVEY_REASON_OFF ||
		   s->reason_outside_iqr == SURVEY_REASON_OPTIONAL ||
		   s->reason_outside_iqr == SURVEY_REASON_REQUIRED);
	FUZZ_CHECK(s->quantile_type == 6 || s->quantile_type == 7);
	if (s->expertise_question >= 0) {
		FUZZ_CHECK((size_t)s->expertise_question < s->n_questions);
		const struct survey_question *q = &s->questions[s->expertise_question];
		FUZZ_CHECK(q->kind == SURVEY_ORDINAL);
		FUZZ_CHECK(survey_label_by_value(q, s->expertise_high) != NULL);
	} else {
		FUZZ_CHECK(s->expertise_question == -1 && s->expertise_high == 0);
	}
}

/* A refusal: the diagnostic names something and formats to one non-empty line. */
static void fs_check_error(const struct survey_error *err)
{
	char line[1024], small[8];
	FUZZ_CHECK(memchr(err->text, '\0', sizeof err->text) != NULL);
	FUZZ_CHECK(memchr(err->path, '\0', sizeof err->path) != NULL);
	FUZZ_CHECK(err->text[0] != '\0');
	FUZZ_CHECK(strcmp(err->source, "fuzz") == 0);
	FUZZ_CHECK(err->line >= 0 && err->column >= 0);
	if (err->line > 0)
		FUZZ_CHECK(err->path[0] == '\0');
	survey_error_format(err, line, sizeof line);
	FUZZ_CHECK(strncmp(line, "fuzz:", 5) == 0);
	survey_error_format(err, small, sizeof small);
	FUZZ_CHECK(strlen(small) < sizeof small);
}

int fuzz_survey_one(const uint8_t *data, size_t size)
{
	struct survey *s = (struct survey *)1; /* must be set to NULL on failure */
	struct survey_error err;
	if (survey_load_string((const char *)data, size, "fuzz", &s, &err) == 0) {
		FUZZ_CHECK(s != NULL);
		fs_check_survey(s);
	} else {
		FUZZ_CHECK(s == NULL);
		fs_check_error(&err);
	}
	survey_free(s);
	return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_survey_one(data, size);
}
#endif
