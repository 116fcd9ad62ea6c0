/* answer — parsing, validating and spelling one answer. See answer.h for the contract. */
#include "answer.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strconv.h"

/* How many bytes of a bad value an error message quotes. */
#define QUOTE_MAX 48

static const struct {
	enum answer_special sp;
	const char *name;
	unsigned bit; /* SURVEY_SPECIAL_* */
} specials[] = {
	/* in the order error messages list them */
	{ ANSWER_ALREADY, "already", SURVEY_SPECIAL_ALREADY },
	{ ANSWER_NEVER, "never", SURVEY_SPECIAL_NEVER },
	{ ANSWER_DONT_KNOW, "dont_know", SURVEY_SPECIAL_DONT_KNOW },
};
#define N_SPECIALS (sizeof specials / sizeof specials[0])

__attribute__((format(printf, 2, 3))) static int fail(char err[ANSWER_ERR_MAX], const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, ANSWER_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

void answer_release(struct answer *a)
{
	if (!a)
		return;
	free(a->text);
	*a = (struct answer)ANSWER_INIT;
}

const char *answer_special_name(enum answer_special sp)
{
	for (size_t i = 0; i < N_SPECIALS; i++)
		if (specials[i].sp == sp)
			return specials[i].name;
	return NULL;
}

static int special_parse_n(const char *s, size_t len)
{
	for (size_t i = 0; i < N_SPECIALS; i++)
		if (strlen(specials[i].name) == len && memcmp(specials[i].name, s, len) == 0)
			return (int)specials[i].sp;
	return -1;
}

int answer_special_parse(const char *s)
{
	return s ? special_parse_n(s, strlen(s)) : -1;
}

static unsigned special_bit(enum answer_special sp)
{
	for (size_t i = 0; i < N_SPECIALS; i++)
		if (specials[i].sp == sp)
			return specials[i].bit;
	return 0;
}

/*
 * UTF-8
 */

/* Length of the well-formed UTF-8 sequence at s[0..len) (len > 0) and its code point, or 0 if it
 * is ill-formed: a stray continuation byte, a truncated sequence, an overlong encoding, a UTF-16
 * surrogate or a code point beyond U+10FFFF. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2) /* continuation byte, or C0/C1: overlong two-byte forms */
		return 0;
	if (c < 0xE0) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c < 0xF0) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c < 0xF5) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

enum utf8_problem {
	UTF8_CLEAN,
	UTF8_INVALID,
	UTF8_CONTROL, /* a NUL or a C0 control other than \t \n \r */
};

/* Checks s[0..len); on a problem sets *off to its byte offset and *cp to the control's code. */
static enum utf8_problem utf8_check(const char *s, size_t len, size_t *off, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t c;
		size_t n = utf8_decode(u + i, len - i, &c);
		*off = i;
		if (!n)
			return UTF8_INVALID;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			*cp = c;
			return UTF8_CONTROL;
		}
		i += n;
	}
	return UTF8_CLEAN;
}

int answer_is_clean_utf8(const char *s, size_t len)
{
	size_t off;
	uint32_t cp;
	return utf8_check(s, len, &off, &cp) == UTF8_CLEAN;
}

/* Writes s[0..len) to dst as a double-quoted, escaped string for an error message, cut after
 * QUOTE_MAX bytes ("..." marks the cut). Only well-formed printable UTF-8 is copied as it is, so
 * the message is always clean UTF-8 whatever the input. */
static void quote(char *dst, size_t size, const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	buf_init(&b);
	buf_addch(&b, '"');
	while (i < len) {
		uint32_t c;
		size_t n = utf8_decode(u + i, len - i, &c);
		if (i + (n ? n : 1) > QUOTE_MAX) {
			buf_adds(&b, "...");
			break;
		}
		if (!n || c < 0x20 || c == 0x7F) {
			buf_printf(&b, "\\x%02X", u[i]);
			n = 1;
		} else if (c == '"' || c == '\\') {
			buf_addch(&b, '\\');
			buf_addch(&b, (char)c);
		} else {
			buf_add(&b, s + i, n);
		}
		i += n;
	}
	buf_addch(&b, '"');
	snprintf(dst, size, "%s", b.data);
	buf_release(&b);
}

/*
 * Descriptions for messages
 */

/* "4, 3, 2, 1": the labels in definition order. */
static void label_list(const struct survey_question *q, char *dst, size_t size)
{
	size_t used = 0;
	dst[0] = '\0';
	for (size_t i = 0; i < q->n_labels && used < size; i++) {
		int n = snprintf(dst + used, size - used, "%s%d", i ? ", " : "", q->labels[i].value);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* ` or "dont_know"` / ` or one of "already", "never"`: the specials q allows, "" if none. */
static void special_list(const struct survey_question *q, char *dst, size_t size)
{
	struct buf b = BUF_INIT;
	size_t n = 0;
	buf_init(&b);
	for (size_t i = 0; i < N_SPECIALS; i++) {
		if (!(q->specials & specials[i].bit))
			continue;
		buf_printf(&b, "%s\"%s\"", n ? ", " : "", specials[i].name);
		n++;
	}
	snprintf(dst, size, "%s%s", n == 0 ? "" : n == 1 ? " or " : " or one of ", b.data);
	buf_release(&b);
}

/* What a JSON answer to q should be, for "expected ..., got ..." messages. */
static void expected(const struct survey_question *q, char *dst, size_t size)
{
	char sp[64];
	switch (q->kind) {
	case SURVEY_ORDINAL:
		special_list(q, sp, sizeof sp);
		snprintf(dst, size, "an integer label%s", sp);
		break;
	case SURVEY_YEAR:
		special_list(q, sp, sizeof sp);
		snprintf(dst, size, "a year%s", sp);
		break;
	case SURVEY_MULTI:
		snprintf(dst, size, "an array of option codes");
		break;
	case SURVEY_TEXT:
		snprintf(dst, size, "a string");
		break;
	}
}

/* What v is, for "got ..." in messages: "true", "an object", "the string \"x\"", "3.5". */
static void describe(const json_t *v, char *dst, size_t size)
{
	char q[QUOTE_MAX * 4 + 8];
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		snprintf(dst, size, "an object");
		break;
	case JSON_ARRAY:
		snprintf(dst, size, "an array");
		break;
	case JSON_STRING:
		quote(q, sizeof q, json_string_value(v), json_string_length(v));
		snprintf(dst, size, "the string %s", q);
		break;
	case JSON_INTEGER:
		snprintf(dst, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL: {
		/* Keep "4.0" looking like a real so that "expected an integer" makes sense. */
		double d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e15) {
			snprintf(dst, size, "%.1f", d);
		} else {
			struct buf b = BUF_INIT;
			buf_init(&b);
			buf_add_double(&b, d);
			snprintf(dst, size, "%s", b.data);
			buf_release(&b);
		}
		break;
	}
	case JSON_TRUE:
		snprintf(dst, size, "true");
		break;
	case JSON_FALSE:
		snprintf(dst, size, "false");
		break;
	case JSON_NULL:
		snprintf(dst, size, "null");
		break;
	}
}

static int fail_type(const struct survey_question *q, const json_t *v, char err[ANSWER_ERR_MAX])
{
	char want[96], got[QUOTE_MAX * 4 + 32];
	expected(q, want, sizeof want);
	describe(v, got, sizeof got);
	return fail(err, "expected %s, got %s", want, got);
}

/*
 * Checks shared by both forms
 */

/* A special named by s[0..len) (already known to name one): allowed for q? */
static int take_special(const struct survey_question *q, enum answer_special sp,
			struct answer *out, char err[ANSWER_ERR_MAX])
{
	if ((q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR) ||
	    !(q->specials & special_bit(sp)) ||
	    (q->kind == SURVEY_ORDINAL && sp != ANSWER_DONT_KNOW))
		return fail(err, "\"%s\" is not allowed for this question", answer_special_name(sp));
	*out = (struct answer){ sp, 0, NULL };
	return 0;
}

/* shown: how the value is named in the message (the input as typed, quoted, for the text form). */
static int fail_not_label(const struct survey_question *q, const char *shown,
			  char err[ANSWER_ERR_MAX])
{
	char labels[SURVEY_MAX_LABELS * 13];
	label_list(q, labels, sizeof labels);
	return fail(err, "%s is not one of the labels %s", shown, labels);
}

static int take_ordinal(const struct survey_question *q, long long v, const char *shown,
			struct answer *out, char err[ANSWER_ERR_MAX])
{
	for (size_t i = 0; i < q->n_labels; i++) {
		if (q->labels[i].value == v) {
			*out = (struct answer){ ANSWER_VALUE, v, NULL };
			return 0;
		}
	}
	return fail_not_label(q, shown, err);
}

static int take_year(const struct survey_question *q, long long v, struct answer *out,
		     char err[ANSWER_ERR_MAX])
{
	if (v > q->year_max)
		return fail(err, "year %lld is after the horizon %d", v, q->year_max);
	if (v < q->year_min)
		return fail(err, "year %lld is before the earliest allowed year %d", v, q->year_min);
	*out = (struct answer){ ANSWER_VALUE, v, NULL };
	return 0;
}

static int option_index(const struct survey_question *q, const char *code, size_t len)
{
	for (size_t i = 0; i < q->n_options; i++)
		if (strlen(q->options[i].code) == len && memcmp(q->options[i].code, code, len) == 0)
			return (int)i;
	return -1;
}

/* Adds the option named code[0..len) to *mask. */
static int add_option(const struct survey_question *q, const char *code, size_t len,
		      int64_t *mask, char err[ANSWER_ERR_MAX])
{
	int i = option_index(q, code, len);
	if (i < 0) {
		char shown[QUOTE_MAX * 4 + 8];
		quote(shown, sizeof shown, code, len);
		return fail(err, "unknown option %s", shown);
	}
	assert(i < SURVEY_MAX_OPTIONS);
	if (*mask & (INT64_C(1) << i))
		return fail(err, "option \"%s\" is given twice", q->options[i].code);
	*mask |= INT64_C(1) << i;
	return 0;
}

static int take_text(const struct survey_question *q, const char *s, size_t len,
		     struct answer *out, char err[ANSWER_ERR_MAX])
{
	size_t off;
	uint32_t cp;
	if (len > q->max_length)
		return fail(err, "text is %zu bytes, the limit is %zu", len, q->max_length);
	switch (utf8_check(s, len, &off, &cp)) {
	case UTF8_INVALID:
		return fail(err, "text is not valid UTF-8 at byte %zu", off);
	case UTF8_CONTROL:
		return fail(err, "text contains the control character U+%04" PRIX32 " at byte %zu",
			    cp, off);
	case UTF8_CLEAN:
		break;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return fail(err, "out of memory");
	memcpy(copy, s, len);
	copy[len] = '\0';
	*out = (struct answer){ ANSWER_VALUE, 0, copy };
	return 0;
}

/*
 * The text form
 */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims blanks off s[0..*len): returns the new start and sets *len. */
static const char *trim(const char *s, size_t *len)
{
	size_t n = *len;
	while (n && is_blank(*s))
		s++, n--;
	while (n && is_blank(s[n - 1]))
		n--;
	*len = n;
	return s;
}

static int parse_multi_text(const struct survey_question *q, const char *s, size_t len,
			    struct answer *out, char err[ANSWER_ERR_MAX])
{
	int64_t mask = 0;
	if (len > 0) {
		const char *end = s + len;
		for (const char *p = s;;) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			size_t n = (size_t)((semi ? semi : end) - p);
			const char *code = trim(p, &n);
			if (n == 0) {
				char shown[QUOTE_MAX * 4 + 8];
				quote(shown, sizeof shown, s, len);
				return fail(err, "empty option code in %s", shown);
			}
			if (add_option(q, code, n, &mask, err))
				return -1;
			if (!semi)
				break;
			p = semi + 1;
		}
	}
	*out = (struct answer){ ANSWER_VALUE, mask, NULL };
	return 0;
}

int answer_parse_text(const struct survey_question *q, const char *s, struct answer *out,
		      char err[ANSWER_ERR_MAX])
{
	char shown[QUOTE_MAX * 4 + 8];
	size_t len = strlen(s);
	long v;

	if (q->kind == SURVEY_TEXT)
		return take_text(q, s, len, out, err);
	s = trim(s, &len);
	if (q->kind == SURVEY_MULTI)
		return parse_multi_text(q, s, len, out, err);

	int sp = special_parse_n(s, len);
	if (sp > 0)
		return take_special(q, (enum answer_special)sp, out, err);
	quote(shown, sizeof shown, s, len);
	if (strconv_long_n(s, len, LONG_MIN, LONG_MAX, &v)) {
		if (q->kind == SURVEY_ORDINAL)
			return fail_not_label(q, shown, err);
		char sp_list[64];
		special_list(q, sp_list, sizeof sp_list);
		return fail(err, "%s is not a year%s", shown, sp_list);
	}
	if (q->kind == SURVEY_ORDINAL)
		return take_ordinal(q, v, shown, out, err);
	return take_year(q, v, out, err);
}

/*
 * The JSON form
 */

static int parse_multi_json(const struct survey_question *q, const json_t *v, struct answer *out,
			    char err[ANSWER_ERR_MAX])
{
	int64_t mask = 0;
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return fail_type(q, v, err);
	json_array_foreach (v, i, e) {
		if (!json_is_string(e)) {
			char got[QUOTE_MAX * 4 + 32];
			describe(e, got, sizeof got);
			return fail(err, "expected an option code (a string) at index %zu, got %s", i,
				    got);
		}
		if (add_option(q, json_string_value(e), json_string_length(e), &mask, err))
			return -1;
	}
	*out = (struct answer){ ANSWER_VALUE, mask, NULL };
	return 0;
}

int answer_from_json(const struct survey_question *q, const json_t *v, struct answer *out,
		     char err[ANSWER_ERR_MAX])
{
	char shown[32];
	if (!v)
		return fail(err, "no answer given");
	switch (q->kind) {
	case SURVEY_TEXT:
		if (!json_is_string(v))
			return fail_type(q, v, err);
		return take_text(q, json_string_value(v), json_string_length(v), out, err);
	case SURVEY_MULTI:
		return parse_multi_json(q, v, out, err);
	case SURVEY_ORDINAL:
	case SURVEY_YEAR:
		break;
	}
	if (json_is_string(v)) {
		int sp = special_parse_n(json_string_value(v), json_string_length(v));
		if (sp > 0)
			return take_special(q, (enum answer_special)sp, out, err);
		return fail_type(q, v, err);
	}
	if (!json_is_integer(v))
		return fail_type(q, v, err);
	long long n = json_integer_value(v);
	if (q->kind == SURVEY_YEAR)
		return take_year(q, n, out, err);
	snprintf(shown, sizeof shown, "%lld", n);
	return take_ordinal(q, n, shown, out, err);
}

/*
 * Spelling
 */

/* Does a fit q's kind? (Not whether it is a valid answer: see the parsers for that.) */
static int fits(const struct survey_question *q, const struct answer *a)
{
	if (a->special != ANSWER_VALUE)
		return (q->kind == SURVEY_ORDINAL || q->kind == SURVEY_YEAR) &&
		       answer_special_name(a->special);
	if (q->kind == SURVEY_MULTI) {
		assert(q->n_options <= SURVEY_MAX_OPTIONS);
		uint64_t all = q->n_options >= 64 ? UINT64_MAX : (UINT64_C(1) << q->n_options) - 1;
		return a->num >= 0 && ((uint64_t)a->num & ~all) == 0;
	}
	return 1;
}

char *answer_to_text(const struct survey_question *q, const struct answer *a)
{
	struct buf b = BUF_INIT;
	if (!fits(q, a))
		return NULL;
	buf_init(&b);
	if (a->special != ANSWER_VALUE) {
		buf_adds(&b, answer_special_name(a->special));
	} else {
		switch (q->kind) {
		case SURVEY_ORDINAL:
		case SURVEY_YEAR:
			buf_printf(&b, "%" PRId64, a->num);
			break;
		case SURVEY_MULTI:
			for (size_t i = 0; i < q->n_options; i++) {
				if (!(a->num & (INT64_C(1) << i)))
					continue;
				if (b.len)
					buf_addch(&b, ';');
				buf_adds(&b, q->options[i].code);
			}
			break;
		case SURVEY_TEXT:
			buf_adds(&b, a->text ? a->text : "");
			break;
		}
	}
	return buf_detach(&b, NULL);
}

json_t *answer_to_json(const struct survey_question *q, const struct answer *a)
{
	json_t *v = NULL;
	if (!fits(q, a))
		goto out;
	if (a->special != ANSWER_VALUE) {
		v = json_string(answer_special_name(a->special));
		goto out;
	}
	switch (q->kind) {
	case SURVEY_ORDINAL:
	case SURVEY_YEAR:
		v = json_integer(a->num);
		break;
	case SURVEY_MULTI:
		v = json_array();
		for (size_t i = 0; v && i < q->n_options; i++) {
			if (!(a->num & (INT64_C(1) << i)))
				continue;
			if (json_array_append_new(v, json_string(q->options[i].code))) {
				json_decref(v);
				v = NULL;
			}
		}
		break;
	case SURVEY_TEXT:
		v = json_string(a->text ? a->text : "");
		break;
	}
out:
	return v;
}

/*
 * Cross-question rules
 */

int answer_check_topic(const struct survey *s, const struct answer *const *answers,
		       const char **bad_key, char err[ANSWER_ERR_MAX])
{
	if (bad_key)
		*bad_key = NULL;
	for (size_t i = 0; i < s->n_questions; i++) {
		const struct survey_question *q = &s->questions[i];
		if (q->not_before < 0)
			continue;
		assert((size_t)q->not_before < s->n_questions);
		const struct survey_question *ref = &s->questions[q->not_before];
		const struct answer *a = answers[i], *b = answers[q->not_before];
		if (!a || !b || a->special != ANSWER_VALUE || b->special != ANSWER_VALUE ||
		    q->kind != SURVEY_YEAR || ref->kind != SURVEY_YEAR)
			continue;
		if (a->num < b->num) {
			if (bad_key)
				*bad_key = q->key;
			return fail(err, "%s %" PRId64 " is before %s %" PRId64, q->key, a->num,
				    ref->key, b->num);
		}
	}
	return 0;
}
