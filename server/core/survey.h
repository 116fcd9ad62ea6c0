/*
 * survey — the survey model and its loader (survey definitions in JSON, read with jansson).
 *
 * A survey definition names the fields, topics and questions of one Delphi survey, its languages,
 * how many rounds it has and how the statistics are computed. docs/survey-format.md is the
 * user-facing description of the format; this header is the in-memory contract.
 *
 * Loading validates everything and reports the first problem precisely (struct survey_error):
 * malformed JSON gives the file, line and column; a bad value gives a JSON path such as
 * `topics[12].field: unknown field "X9"`. Unknown keys are errors. A loaded survey is immutable
 * and may be shared read-only between threads.
 *
 * Ownership: survey_load_* returns a survey the caller owns; free it with survey_free. Every
 * pointer inside it is owned by the survey and lives as long as it does.
 *
 * Pure C (libc, jansson): no I/O except survey_load_file reading its file.
 */
#ifndef DELPHI_SURVEY_H
#define DELPHI_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SURVEY_MAX_LANGS 8
#define SURVEY_MAX_OPTIONS 63 /* multi answers are stored as a 63-bit option mask */
#define SURVEY_MAX_LABELS 16
#define SURVEY_KEY_MAX 64    /* 1..64 chars: slugs [a-z0-9-]; codes and keys [A-Za-z0-9_-] */
#define SURVEY_LANG_MAX 16 /* language codes, e.g. "en", "pt-BR": [a-z]{2,3}(-[A-Za-z0-9]{1,8})* */
#define SURVEY_MAX_FIELDS 100
#define SURVEY_MAX_TOPICS 5000
#define SURVEY_MAX_QUESTIONS 50
#define SURVEY_MAX_ROUNDS 9
/* Texts are limited in characters (code points: survey_text_length), not bytes, so that every
 * script gets the same room; a long text is at most 64 KiB of UTF-8. */
#define SURVEY_SHORT_TEXT_MAX 500 /* characters: titles, label and option texts */
#define SURVEY_LONG_TEXT_MAX 16384 /* characters: description, topic and question texts */
#define SURVEY_ANSWER_TEXT_MAX 32768 /* bytes: the largest max_length of a text question */
#define SURVEY_FILE_MAX (64u << 20) /* survey_load_file refuses larger files */

/* A multilingual text: text[i] is in survey->languages[i]; NULL where the definition gave none
 * (only the survey's first language is mandatory). */
struct survey_i18n {
	char *text[SURVEY_MAX_LANGS];
};

enum survey_kind {
	SURVEY_ORDINAL,
	SURVEY_YEAR,
	SURVEY_MULTI,
	SURVEY_TEXT,
};

/* Special answers a question may allow (bit set in survey_question.specials). */
enum survey_special {
	SURVEY_SPECIAL_DONT_KNOW = 1 << 0, /* ordinal and year */
	SURVEY_SPECIAL_ALREADY = 1 << 1,   /* year: already realized */
	SURVEY_SPECIAL_NEVER = 1 << 2,     /* year: will not be realized */
};

/* One point of an ordinal scale. value is what is stored and what the statistics use
 * (e.g. 4 = very high ... 1 = very low); weight is its weight in the index (default: the scale
 * mapped linearly onto 0..100 by value: max value -> 100, min value -> 0). */
struct survey_label {
	int value;
	double weight;
	struct survey_i18n text;
};

struct survey_option {
	char *code; /* e.g. "funding"; unique within the question */
	struct survey_i18n text;
};

/* Consensus rule (domain.md §3). Ordinal: iqr <= max_iqr and (agreement >= agree_high or
 * agreement <= agree_low). Year: iqr <= max_iqr. Defaults: ordinal 1 / 0.7 / 0.3, year 5.
 * Always agree_low <= agree_high. Year questions have agree_high = agree_low = 0 (unused);
 * multi and text questions have all three 0. */
struct survey_consensus {
	double max_iqr;
	double agree_high;
	double agree_low;
};

struct survey_question {
	char *key; /* unique within the survey, e.g. "importance" */
	enum survey_kind kind;
	struct survey_i18n text;
	unsigned specials; /* SURVEY_SPECIAL_* allowed */

	/* SURVEY_ORDINAL: labels in the order the definition lists them (values distinct). */
	struct survey_label *labels;
	size_t n_labels;
	int *agreement; /* label values in the agreement band (default: the two highest values) */
	size_t n_agreement;

	/* SURVEY_YEAR: inclusive range (default: survey year .. horizon). */
	int year_min, year_max;
	/* Index of a year question this one may not precede (social_year >= tech_year), or -1. */
	int not_before;

	/* SURVEY_MULTI: options; bit i of a stored answer is options[i]. */
	struct survey_option *options;
	size_t n_options;

	/* SURVEY_TEXT: maximum length in bytes of UTF-8 (default 2000, at most
	 * SURVEY_ANSWER_TEXT_MAX). */
	size_t max_length;

	struct survey_consensus consensus; /* ordinal and year only */
};

struct survey_field {
	char *code;
	struct survey_i18n title;
};

struct survey_topic {
	char *code;
	size_t field; /* index into survey.fields */
	struct survey_i18n title;
	struct survey_i18n text; /* the statement; optional: may be all NULL */
};

/* Who is invited to round r + 1. */
enum survey_invite {
	SURVEY_INVITE_RESPONDENTS, /* those who answered round r (default) */
	SURVEY_INVITE_ALL,         /* every expert */
};

/* Whether round r > 1 asks for a reason when an answer lies outside the previous Q1..Q3. */
enum survey_reason {
	SURVEY_REASON_OFF,
	SURVEY_REASON_OPTIONAL, /* default */
	SURVEY_REASON_REQUIRED,
};

struct survey {
	char *slug;
	struct survey_i18n title;
	struct survey_i18n description; /* may be all NULL */
	int year;    /* survey year */
	int horizon; /* last year experts may name */
	char *languages[SURVEY_MAX_LANGS]; /* e.g. "en", "ja", "zh"; languages[0] is the default */
	size_t n_languages;

	struct survey_field *fields;
	size_t n_fields;
	struct survey_topic *topics;
	size_t n_topics;
	struct survey_question *questions;
	size_t n_questions;

	int n_rounds; /* 1..9 */
	enum survey_invite invite;
	enum survey_reason reason_outside_iqr;

	int quantile_type;         /* 6 or 7 (default 7) */
	int expertise_question;    /* index of the ordinal question defining the expert subgroup, or -1 */
	int expertise_high;        /* label value that makes an answer "expert" (default: its max);
				    * 0 when expertise_question is -1 */
};

/* A loader diagnostic, modelled on jansson's json_error_t. */
struct survey_error {
	char source[256]; /* file name, or the name given to survey_load_string */
	int line;         /* > 0 for malformed JSON, else 0 */
	int column;
	char path[256]; /* JSON path of the bad value, e.g. "topics[12].field"; "" for syntax errors */
	char text[512]; /* what is wrong, e.g. unknown field "X9" */
};

/* Loads and validates a definition. Returns 0 and sets *out, or -1 and fills *err (and sets
 * *out to NULL); err may be NULL. survey_load_string reads len bytes of json (no NUL needed);
 * source names it in errors (NULL: "<string>"). Out of memory is reported as an error. */
int survey_load_file(const char *path, struct survey **out, struct survey_error *err);
int survey_load_string(const char *json, size_t len, const char *source, struct survey **out,
		       struct survey_error *err);

/* Frees a survey and everything in it. NULL is a no-op. */
void survey_free(struct survey *s);

/* Formats err as one line for humans: "file:line:column: text" for syntax errors,
 * "file: path: text" otherwise ("file: text" when the path is empty, i.e. the problem is in the
 * top-level object or the file itself). Writes at most size bytes, always NUL-terminated
 * (nothing when size is 0). */
void survey_error_format(const struct survey_error *err, char *out, size_t size);

/* Look-ups by code/key: the index, or -1 if there is none. O(n). */
int survey_field_index(const struct survey *s, const char *code);
int survey_topic_index(const struct survey *s, const char *code);
int survey_question_index(const struct survey *s, const char *key);
int survey_option_index(const struct survey_question *q, const char *code);
/* The label with this value, or NULL. */
const struct survey_label *survey_label_by_value(const struct survey_question *q, int value);
/* The index of lang in s->languages, or -1. Compares ASCII case-insensitively, as language
 * tags are ("pt-br" finds "pt-BR"). */
int survey_language_index(const struct survey *s, const char *lang);

/* The text in lang, falling back to the survey's first language, then to any; "" if none.
 * lang may be NULL (the first language). Never returns NULL. */
const char *survey_text(const struct survey *s, const struct survey_i18n *t, const char *lang);

const char *survey_kind_name(enum survey_kind kind); /* "ordinal", "year", "multi", "text" */

/* The length of the NUL-terminated UTF-8 text s in characters (code points), the unit of the
 * loader's text limits: the bytes that do not continue a multibyte sequence. O(n). Malformed
 * UTF-8 is counted the same way (each stray continuation byte belongs to the character before). */
size_t survey_text_length(const char *s);

#endif
