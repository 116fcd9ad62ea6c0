/*
 * answer — one expert's answer to one question, its validation against the survey definition,
 * and its three spellings: the CSV/CLI text form, JSON (the API), and the stored form.
 *
 * Text form (delphi answers import/export): a number (ordinal label value), a year, "dont_know",
 * "already", "never", option codes joined by ';' (multi), or free text (text questions).
 * JSON form (PUT /api/v1/answers/{topic}): a number, "dont_know" | "already" | "never", an array
 * of option codes (multi), or a string (text).
 * Stored form (the answers table): special (NULL or the special's name), num (label value, year,
 * or the multi option mask; NULL for text and specials) and text (text questions only).
 *
 * Validation errors fill a caller-supplied char[ANSWER_ERR_MAX] with a message naming the bad
 * value (e.g. `year 2101 is after the horizon 2050`); functions return 0 or -1.
 * Pure C (libc, jansson).
 */
#ifndef DELPHI_ANSWER_H
#define DELPHI_ANSWER_H

#include <jansson.h>
#include <stdint.h>

#include "survey.h"

#define ANSWER_ERR_MAX 256

enum answer_special {
	ANSWER_VALUE = 0, /* a regular value in num (or text) */
	ANSWER_DONT_KNOW,
	ANSWER_ALREADY,
	ANSWER_NEVER,
};

struct answer {
	enum answer_special special;
	int64_t num; /* ordinal label value, year, or multi option mask (bit i = options[i]) */
	char *text;  /* SURVEY_TEXT only: owned, valid UTF-8 without NUL, <= max_length bytes */
};

#define ANSWER_INIT { ANSWER_VALUE, 0, NULL }

void answer_release(struct answer *a); /* frees text; a becomes ANSWER_INIT */

/* Parses the text form against q. Leading/trailing blanks are trimmed except for text answers.
 * Rules: ordinal: one of the label values, or "dont_know" if allowed; year: an integer in
 * [year_min, year_max] or an allowed special; multi: option codes joined by ';' (each trimmed),
 * distinct, in any order; "" is a valid answer selecting no option (mask 0); text: clean UTF-8
 * (answer_is_clean_utf8) of at most max_length bytes, "" included.
 * On success *out is overwritten without being released (pass an ANSWER_INIT or released
 * answer); on failure it is untouched and err names the bad value. */
int answer_parse_text(const struct survey_question *q, const char *s, struct answer *out,
		      char err[ANSWER_ERR_MAX]);
/* Parses the JSON form against q, with the same rules and *out semantics. Numbers must be JSON
 * integers (3.5 and 4.0 are rejected); a multi answer is an array of distinct strings ([] selects
 * no option); a wrong JSON type gives "expected ..., got ...". Does not steal v. */
int answer_from_json(const struct survey_question *q, const json_t *v, struct answer *out,
		     char err[ANSWER_ERR_MAX]);
/* The text form (caller frees) / the JSON form (new reference), canonical: multi options in
 * definition order. NULL when a does not fit q's kind (a special on a multi or text question, a
 * mask with bits beyond q's options) or, for JSON, when a's text is not valid UTF-8. */
char *answer_to_text(const struct survey_question *q, const struct answer *a);
json_t *answer_to_json(const struct survey_question *q, const struct answer *a);

/* Name of a special as stored and spelled ("dont_know", "already", "never"), NULL for VALUE. */
const char *answer_special_name(enum answer_special sp);
/* Inverse of answer_special_name: -1 when s names none. */
int answer_special_parse(const char *s);

/* Cross-question rules of one expert's answers to one topic: answers[i] is the answer to
 * s->questions[i] or NULL if absent. Checks "not_before" (social_year >= tech_year when both are
 * years; specials and absent answers are not compared). On failure names the question key in
 * *bad_key (owned by s); on success sets it to NULL. bad_key may be NULL. */
int answer_check_topic(const struct survey *s, const struct answer *const *answers,
		       const char **bad_key, char err[ANSWER_ERR_MAX]);

/* True if s is valid UTF-8 with no NUL and no C0 control characters other than \t \n \r. */
int answer_is_clean_utf8(const char *s, size_t len);

#endif
