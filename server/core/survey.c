/*
 * survey — loads and validates a survey definition (JSON) into struct survey, and the look-ups
 * on the loaded model. See survey.h for the contract and docs/survey-format.md for the format.
 *
 * The loader walks the parsed document once, in a fixed order (languages first, because every
 * multilingual text depends on them), and stops at the first problem, naming it by its JSON path.
 * Arrays in the survey are allocated zeroed at their final size before their elements are
 * filled, so survey_free can release a half-built survey on any error path.
 */
#include "survey.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define PATH_LEN 256      /* == sizeof(struct survey_error.path) */
#define QUOTE_SRC_MAX 48  /* bytes of a quoted value shown in a message */
#define TEXT_DEFAULT_LENGTH 2000
#define LABEL_VALUE_MAX 100

/* Kinds as bits, for the table of which question keys each kind takes. */
#define K_ORD (1u << SURVEY_ORDINAL)
#define K_YEAR (1u << SURVEY_YEAR)
#define K_MULTI (1u << SURVEY_MULTI)
#define K_TEXT (1u << SURVEY_TEXT)
#define K_ALL (K_ORD | K_YEAR | K_MULTI | K_TEXT)

struct loader {
	struct survey *s;
	struct survey_error *err;
	char langs[SURVEY_MAX_LANGS * (SURVEY_LANG_MAX + 2)]; /* "en, ja, zh" for messages */
};

/* A value quoted for a message: "like this", escaped, cut after QUOTE_SRC_MAX bytes. */
struct quoted {
	char s[QUOTE_SRC_MAX * 6 + 8];
};

static const char *const kind_names[] = {"ordinal", "year", "multi", "text"};

static const char *quote(struct quoted *q, const char *s)
{
	size_t len = strlen(s), cut = len, o = 0;

	if (cut > QUOTE_SRC_MAX) {
		cut = QUOTE_SRC_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--; /* do not split a UTF-8 sequence */
	}
	q->s[o++] = '"';
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			q->s[o++] = '\\';
			q->s[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(q->s + o, sizeof q->s - o, "\\u%04x", c);
		} else {
			q->s[o++] = (char)c;
		}
	}
	if (cut < len) {
		memcpy(q->s + o, "...", 3);
		o += 3;
	}
	q->s[o++] = '"';
	q->s[o] = '\0';
	return q->s;
}

__attribute__((format(printf, 3, 4))) static int fail(struct loader *ld, const char *path,
						       const char *fmt, ...)
{
	va_list ap;

	snprintf(ld->err->path, sizeof ld->err->path, "%s", path);
	va_start(ap, fmt);
	vsnprintf(ld->err->text, sizeof ld->err->text, fmt, ap);
	va_end(ap);
	return -1;
}

/* Paths are cut at PATH_LEN - 1 bytes (the error's limit); the checks only mark that as meant. */
static void join_key(char out[PATH_LEN], const char *base, const char *key)
{
	if (snprintf(out, PATH_LEN, "%s%s%s", base, *base ? "." : "", key) >= PATH_LEN)
		out[PATH_LEN - 1] = '\0';
}

static void join_index(char out[PATH_LEN], const char *base, size_t i)
{
	if (snprintf(out, PATH_LEN, "%s[%zu]", base, i) >= PATH_LEN)
		out[PATH_LEN - 1] = '\0';
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int want_object(struct loader *ld, const char *path, const json_t *v)
{
	if (!json_is_object(v))
		return fail(ld, path, "expected an object, got %s", type_name(v));
	return 0;
}

/* v must be an object whose keys are all in known. */
static int check_object(struct loader *ld, const char *path, json_t *v, const char *const *known)
{
	const char *key;
	json_t *member;
	struct quoted q;

	if (want_object(ld, path, v))
		return -1;
	json_object_foreach(v, key, member) {
		if (!in_list(known, key))
			return fail(ld, path, "unknown key %s", quote(&q, key));
	}
	return 0;
}

/* The member key of obj, or NULL after reporting it missing. */
static json_t *required(struct loader *ld, const char *path, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	struct quoted q;

	if (!v)
		fail(ld, path, "missing key %s", quote(&q, key));
	return v;
}

static int get_int(struct loader *ld, const char *path, const json_t *v, long min, long max,
		   int *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return fail(ld, path, "expected an integer, got %s", type_name(v));
	n = json_integer_value(v);
	if (n < min || n > max)
		return fail(ld, path, "%lld is out of range (expected %ld to %ld)", (long long)n, min,
			    max);
	*out = (int)n;
	return 0;
}

static int get_number(struct loader *ld, const char *path, const json_t *v, double min,
		      double max, double *out)
{
	double d;

	if (!json_is_number(v))
		return fail(ld, path, "expected a number, got %s", type_name(v));
	d = json_number_value(v);
	if (!(d >= min && d <= max))
		return fail(ld, path, "%g is out of range (expected %g to %g)", d, min, max);
	*out = d;
	return 0;
}

static int get_bool(struct loader *ld, const char *path, const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return fail(ld, path, "expected true or false, got %s", type_name(v));
	*out = json_is_true(v);
	return 0;
}

static int get_string(struct loader *ld, const char *path, const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return fail(ld, path, "expected a string, got %s", type_name(v));
	*out = json_string_value(v);
	return 0;
}

static int dup_string(struct loader *ld, const char *path, const char *s, char **out)
{
	*out = strdup(s);
	if (!*out)
		return fail(ld, path, "out of memory");
	return 0;
}

static void *alloc_array(struct loader *ld, const char *path, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		fail(ld, path, "out of memory");
	return p;
}

/* A slug ([a-z0-9-]) or a code/key ([A-Za-z0-9_-]), 1..SURVEY_KEY_MAX chars, copied to *out. */
static int get_code(struct loader *ld, const char *path, const json_t *v, bool slug, char **out)
{
	const char *s;
	size_t len;
	struct quoted q;

	if (get_string(ld, path, v, &s))
		return -1;
	len = strlen(s);
	if (len == 0)
		return fail(ld, path, "must not be empty");
	if (len > SURVEY_KEY_MAX)
		return fail(ld, path, "%s is too long (%zu characters, at most %d)", quote(&q, s),
			    len, SURVEY_KEY_MAX);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
		if (!slug)
			ok = ok || (c >= 'A' && c <= 'Z') || c == '_';
		if (!ok)
			return fail(ld, path, "%s may only contain %s", quote(&q, s),
				    slug ? "a-z, 0-9 and -" : "A-Z, a-z, 0-9, _ and -");
	}
	return dup_string(ld, path, s, out);
}

/* Records code at index i of array path in seen; reports a duplicate. */
static int unique(struct loader *ld, json_t *seen, const char *path, const char *array_path,
		  const char *what, const char *code, size_t i)
{
	json_t *first = json_object_get(seen, code);
	struct quoted q;

	if (first)
		return fail(ld, path, "duplicate %s %s (first at %s[%lld])", what, quote(&q, code),
			    array_path, (long long)json_integer_value(first));
	if (json_object_set_new(seen, code, json_integer((json_int_t)i)))
		return fail(ld, path, "out of memory");
	return 0;
}

/* An array of min..max elements; noun and nouns name one and several for messages. */
static int get_array(struct loader *ld, const char *path, const json_t *v, size_t min,
		     size_t max, const char *noun, const char *nouns, size_t *n)
{
	if (!json_is_array(v))
		return fail(ld, path, "expected an array, got %s", type_name(v));
	*n = json_array_size(v);
	if (*n < min)
		return fail(ld, path, "expected at least %zu %s, got %zu", min,
			    min == 1 ? noun : nouns, *n);
	if (*n > max)
		return fail(ld, path, "too many %s (%zu, at most %zu)", nouns, *n, max);
	return 0;
}

static bool lang_ok(const char *s)
{
	size_t len = strlen(s), i = 0, sub;

	if (len > SURVEY_LANG_MAX)
		return false;
	while (s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i < 2 || i > 3)
		return false;
	while (s[i] == '-') {
		i++;
		for (sub = 0; (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			      (s[i] >= '0' && s[i] <= '9');
		     sub++)
			i++;
		if (sub < 1 || sub > 8)
			return false;
	}
	return s[i] == '\0';
}

static int parse_languages(struct loader *ld, const json_t *root)
{
	struct survey *s = ld->s;
	const json_t *v = required(ld, "", root, "languages");
	char p[PATH_LEN];
	struct quoted q;
	size_t n;

	if (!v || get_array(ld, "languages", v, 1, SURVEY_MAX_LANGS, "language", "languages", &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *code;
		join_index(p, "languages", i);
		if (get_string(ld, p, json_array_get(v, i), &code))
			return -1;
		if (!lang_ok(code))
			return fail(ld, p, "bad language code %s (expected a code like \"en\" or "
					   "\"pt-BR\")",
				    quote(&q, code));
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(s->languages[j], code))
				return fail(ld, p, "duplicate language %s (first at languages[%zu])",
					    quote(&q, code), j);
		if (dup_string(ld, p, code, &s->languages[i]))
			return -1;
		s->n_languages = i + 1;
		if (i)
			strcat(ld->langs, ", ");
		strcat(ld->langs, code);
	}
	return 0;
}

/* A multilingual text: an object keyed by declared languages (exactly as declared), whose
 * values are non-empty strings of at most max characters without control characters other
 * than tab and newlines; the first language is mandatory. jansson has checked the UTF-8. */
static int get_i18n(struct loader *ld, const char *path, json_t *v, size_t max,
		    struct survey_i18n *out)
{
	const struct survey *s = ld->s;
	const char *lang;
	json_t *text;
	char p[PATH_LEN];
	struct quoted q;

	if (want_object(ld, path, v))
		return -1;
	json_object_foreach(v, lang, text) {
		size_t i, len, chars;
		const char *str;
		for (i = 0; i < s->n_languages; i++)
			if (!strcmp(s->languages[i], lang))
				break;
		if (i == s->n_languages)
			return fail(ld, path, "unknown language %s (declared: %s)", quote(&q, lang),
				    ld->langs);
		join_key(p, path, lang);
		if (get_string(ld, p, text, &str))
			return -1;
		len = json_string_length(text);
		if (len == 0)
			return fail(ld, p, "must not be empty");
		/* bytes >= characters: most texts need no count */
		if (len > max && (chars = survey_text_length(str)) > max)
			return fail(ld, p, "too long (%zu characters, at most %zu)", chars, max);
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)str[k];
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return fail(ld, p, "control character U+%04X is not allowed", c);
		}
		if (dup_string(ld, p, str, &out->text[i]))
			return -1;
	}
	if (!out->text[0])
		return fail(ld, path, "missing %s (the first language)", quote(&q, s->languages[0]));
	return 0;
}

/* A required i18n member of obj. */
static int member_i18n(struct loader *ld, const char *path, const json_t *obj, const char *key,
		       size_t max, struct survey_i18n *out)
{
	char p[PATH_LEN];
	json_t *v = required(ld, path, obj, key);

	if (!v)
		return -1;
	join_key(p, path, key);
	return get_i18n(ld, p, v, max, out);
}

static int parse_head(struct loader *ld, json_t *root)
{
	struct survey *s = ld->s;
	json_t *v;

	if (!(v = required(ld, "", root, "slug")) || get_code(ld, "slug", v, true, &s->slug))
		return -1;
	if (member_i18n(ld, "", root, "title", SURVEY_SHORT_TEXT_MAX, &s->title))
		return -1;
	if ((v = json_object_get(root, "description")) &&
	    get_i18n(ld, "description", v, SURVEY_LONG_TEXT_MAX, &s->description))
		return -1;
	if (!(v = required(ld, "", root, "year")) || get_int(ld, "year", v, 1900, 2200, &s->year))
		return -1;
	if (!(v = required(ld, "", root, "horizon")))
		return -1;
	if (!json_is_integer(v))
		return fail(ld, "horizon", "expected an integer, got %s", type_name(v));
	if (json_integer_value(v) <= s->year)
		return fail(ld, "horizon", "%lld is not after the survey year %d",
			    (long long)json_integer_value(v), s->year);
	if (json_integer_value(v) > s->year + 100)
		return fail(ld, "horizon", "%lld is more than 100 years after the survey year %d",
			    (long long)json_integer_value(v), s->year);
	s->horizon = (int)json_integer_value(v);
	return 0;
}

static int parse_fields(struct loader *ld, const json_t *root, json_t *field_codes)
{
	static const char *const keys[] = {"code", "title", NULL};
	struct survey *s = ld->s;
	const json_t *arr = required(ld, "", root, "fields");
	char p[PATH_LEN], pc[PATH_LEN];
	size_t n;

	if (!arr || get_array(ld, "fields", arr, 1, SURVEY_MAX_FIELDS, "field", "fields", &n))
		return -1;
	if (!(s->fields = alloc_array(ld, "fields", n, sizeof *s->fields)))
		return -1;
	s->n_fields = n;
	for (size_t i = 0; i < n; i++) {
		struct survey_field *f = &s->fields[i];
		json_t *o = json_array_get(arr, i), *v;
		join_index(p, "fields", i);
		if (check_object(ld, p, o, keys) || !(v = required(ld, p, o, "code")))
			return -1;
		join_key(pc, p, "code");
		if (get_code(ld, pc, v, false, &f->code) ||
		    unique(ld, field_codes, pc, "fields", "code", f->code, i) ||
		    member_i18n(ld, p, o, "title", SURVEY_SHORT_TEXT_MAX, &f->title))
			return -1;
	}
	return 0;
}

static int parse_topics(struct loader *ld, const json_t *root, const json_t *field_codes)
{
	static const char *const keys[] = {"code", "field", "title", "text", NULL};
	struct survey *s = ld->s;
	const json_t *arr = required(ld, "", root, "topics");
	json_t *seen = json_object();
	char p[PATH_LEN], pc[PATH_LEN];
	struct quoted q;
	size_t n;
	int rc = -1;

	if (!seen) {
		fail(ld, "topics", "out of memory");
		goto out;
	}
	if (!arr || get_array(ld, "topics", arr, 1, SURVEY_MAX_TOPICS, "topic", "topics", &n))
		goto out;
	if (!(s->topics = alloc_array(ld, "topics", n, sizeof *s->topics)))
		goto out;
	s->n_topics = n;
	for (size_t i = 0; i < n; i++) {
		struct survey_topic *t = &s->topics[i];
		json_t *o = json_array_get(arr, i), *v;
		const char *field = "";
		join_index(p, "topics", i);
		if (check_object(ld, p, o, keys) || !(v = required(ld, p, o, "code")))
			goto out;
		join_key(pc, p, "code");
		if (get_code(ld, pc, v, false, &t->code) ||
		    unique(ld, seen, pc, "topics", "code", t->code, i))
			goto out;
		if (!(v = required(ld, p, o, "field")))
			goto out;
		join_key(pc, p, "field");
		if (get_string(ld, pc, v, &field))
			goto out;
		if (!(v = json_object_get(field_codes, field))) {
			fail(ld, pc, "unknown field %s", quote(&q, field));
			goto out;
		}
		t->field = (size_t)json_integer_value(v);
		if (member_i18n(ld, p, o, "title", SURVEY_SHORT_TEXT_MAX, &t->title))
			goto out;
		join_key(pc, p, "text");
		if ((v = json_object_get(o, "text")) &&
		    get_i18n(ld, pc, v, SURVEY_LONG_TEXT_MAX, &t->text))
			goto out;
	}
	rc = 0;
out:
	json_decref(seen);
	return rc;
}

/* A consensus object: max_iqr, and for ordinal questions agreement_high and agreement_low.
 * Keys absent stay as they are in *c (NAN marks "not given" in a question's override). */
static int parse_consensus(struct loader *ld, const char *path, json_t *o, bool ordinal,
			   bool in_question, struct survey_consensus *c)
{
	static const char *const keys[] = {"max_iqr", "agreement_high", "agreement_low", NULL};
	static const char *const year_keys[] = {"max_iqr", NULL};
	char p[PATH_LEN];
	json_t *v;

	/* In a question, agreement_* on a year question get the "not allowed" message. */
	if (check_object(ld, path, o, ordinal || in_question ? keys : year_keys))
		return -1;
	if (!ordinal) {
		const char *bad = json_object_get(o, "agreement_high") ? "agreement_high"
				  : json_object_get(o, "agreement_low") ? "agreement_low"
									: NULL;
		if (bad) {
			join_key(p, path, bad);
			return fail(ld, p, "not allowed for kind \"year\" (only for ordinal)");
		}
	}
	join_key(p, path, "max_iqr");
	if ((v = json_object_get(o, "max_iqr")) && get_number(ld, p, v, 0, 100, &c->max_iqr))
		return -1;
	join_key(p, path, "agreement_high");
	if ((v = json_object_get(o, "agreement_high")) &&
	    get_number(ld, p, v, 0, 1, &c->agree_high))
		return -1;
	join_key(p, path, "agreement_low");
	if ((v = json_object_get(o, "agreement_low")) && get_number(ld, p, v, 0, 1, &c->agree_low))
		return -1;
	return 0;
}

static int check_agreement_band(struct loader *ld, const char *path,
				const struct survey_consensus *c)
{
	if (c->agree_low > c->agree_high)
		return fail(ld, path, "agreement_low %g is above agreement_high %g", c->agree_low,
			    c->agree_high);
	return 0;
}

static int parse_labels(struct loader *ld, const char *qpath, const json_t *qo,
			struct survey_question *q)
{
	static const char *const keys[] = {"value", "text", "weight", NULL};
	const json_t *arr = required(ld, qpath, qo, "labels");
	char pa[PATH_LEN], p[PATH_LEN], pv[PATH_LEN];
	int lo = LABEL_VALUE_MAX, hi = 0;
	size_t n;

	join_key(pa, qpath, "labels");
	if (!arr || get_array(ld, pa, arr, 2, SURVEY_MAX_LABELS, "label", "labels", &n))
		return -1;
	if (!(q->labels = alloc_array(ld, pa, n, sizeof *q->labels)))
		return -1;
	q->n_labels = n;
	for (size_t i = 0; i < n; i++) {
		struct survey_label *l = &q->labels[i];
		json_t *o = json_array_get(arr, i), *v;
		join_index(p, pa, i);
		if (check_object(ld, p, o, keys) || !(v = required(ld, p, o, "value")))
			return -1;
		join_key(pv, p, "value");
		if (get_int(ld, pv, v, 0, LABEL_VALUE_MAX, &l->value))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (q->labels[j].value == l->value)
				return fail(ld, pv, "duplicate value %d (first at %s[%zu])", l->value,
					    pa, j);
		if (member_i18n(ld, p, o, "text", SURVEY_SHORT_TEXT_MAX, &l->text))
			return -1;
		l->weight = NAN;
		join_key(pv, p, "weight");
		if ((v = json_object_get(o, "weight")) && get_number(ld, pv, v, 0, 100, &l->weight))
			return -1;
		lo = l->value < lo ? l->value : lo;
		hi = l->value > hi ? l->value : hi;
	}
	/* Distinct values and n >= 2 make hi > lo. */
	for (size_t i = 0; i < n; i++)
		if (isnan(q->labels[i].weight))
			q->labels[i].weight = 100.0 * (q->labels[i].value - lo) / (hi - lo);
	return 0;
}

static int parse_agreement(struct loader *ld, const char *qpath, const json_t *qo,
			   struct survey_question *q)
{
	const json_t *arr = json_object_get(qo, "agreement");
	char pa[PATH_LEN], p[PATH_LEN];
	size_t n;

	if (!arr) {
		/* The two highest values. */
		int first = -1, second = -1;
		for (size_t i = 0; i < q->n_labels; i++) {
			int v = q->labels[i].value;
			if (v > first) {
				second = first;
				first = v;
			} else if (v > second) {
				second = v;
			}
		}
		if (!(q->agreement = alloc_array(ld, qpath, 2, sizeof *q->agreement)))
			return -1;
		q->agreement[0] = first;
		q->agreement[1] = second;
		q->n_agreement = 2;
		return 0;
	}
	join_key(pa, qpath, "agreement");
	if (get_array(ld, pa, arr, 1, q->n_labels, "value", "values", &n))
		return -1;
	if (!(q->agreement = alloc_array(ld, pa, n, sizeof *q->agreement)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v;
		join_index(p, pa, i);
		if (get_int(ld, p, json_array_get(arr, i), 0, LABEL_VALUE_MAX, &v))
			return -1;
		if (!survey_label_by_value(q, v))
			return fail(ld, p, "%d is not a label value of this question", v);
		for (size_t j = 0; j < i; j++)
			if (q->agreement[j] == v)
				return fail(ld, p, "duplicate value %d (first at %s[%zu])", v, pa, j);
		q->agreement[i] = v;
		q->n_agreement = i + 1;
	}
	return 0;
}

static int parse_ordinal(struct loader *ld, const char *qpath, const json_t *qo,
			 struct survey_question *q)
{
	char p[PATH_LEN];
	json_t *v;
	bool dk = false;

	if (parse_labels(ld, qpath, qo, q))
		return -1;
	join_key(p, qpath, "dont_know");
	if ((v = json_object_get(qo, "dont_know")) && get_bool(ld, p, v, &dk))
		return -1;
	if (dk)
		q->specials |= SURVEY_SPECIAL_DONT_KNOW;
	return parse_agreement(ld, qpath, qo, q);
}

static int parse_year(struct loader *ld, const char *qpath, const json_t *qo,
		      struct survey_question *q)
{
	static const struct {
		const char *name;
		unsigned bit;
	} specials[] = {
		{"already", SURVEY_SPECIAL_ALREADY},
		{"never", SURVEY_SPECIAL_NEVER},
		{"dont_know", SURVEY_SPECIAL_DONT_KNOW},
	};
	const struct survey *s = ld->s;
	char p[PATH_LEN], pi[PATH_LEN];
	struct quoted qt;
	json_t *v;
	size_t n;

	q->year_min = s->year;
	q->year_max = s->horizon;
	join_key(p, qpath, "min");
	if ((v = json_object_get(qo, "min")) && get_int(ld, p, v, s->year, s->horizon, &q->year_min))
		return -1;
	join_key(p, qpath, "max");
	if ((v = json_object_get(qo, "max")) && get_int(ld, p, v, s->year, s->horizon, &q->year_max))
		return -1;
	if (q->year_min > q->year_max)
		return fail(ld, qpath, "min %d is after max %d", q->year_min, q->year_max);

	join_key(p, qpath, "special");
	if (!(v = json_object_get(qo, "special")))
		return 0;
	if (get_array(ld, p, v, 0, 3, "special", "specials", &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = "";
		size_t k;
		join_index(pi, p, i);
		if (get_string(ld, pi, json_array_get(v, i), &name))
			return -1;
		for (k = 0; k < 3; k++)
			if (!strcmp(specials[k].name, name))
				break;
		if (k == 3)
			return fail(ld, pi,
				    "unknown special %s (expected already, never or dont_know)",
				    quote(&qt, name));
		if (q->specials & specials[k].bit)
			return fail(ld, pi, "duplicate special %s", quote(&qt, name));
		q->specials |= specials[k].bit;
	}
	return 0;
}

static int parse_options(struct loader *ld, const char *qpath, const json_t *qo,
			 struct survey_question *q)
{
	static const char *const keys[] = {"code", "text", NULL};
	const json_t *arr = required(ld, qpath, qo, "options");
	json_t *seen = json_object();
	char pa[PATH_LEN], p[PATH_LEN], pc[PATH_LEN];
	size_t n;
	int rc = -1;

	join_key(pa, qpath, "options");
	if (!seen) {
		fail(ld, pa, "out of memory");
		goto out;
	}
	if (!arr || get_array(ld, pa, arr, 1, SURVEY_MAX_OPTIONS, "option", "options", &n))
		goto out;
	if (!(q->options = alloc_array(ld, pa, n, sizeof *q->options)))
		goto out;
	q->n_options = n;
	for (size_t i = 0; i < n; i++) {
		struct survey_option *o = &q->options[i];
		json_t *oo = json_array_get(arr, i), *v;
		join_index(p, pa, i);
		if (check_object(ld, p, oo, keys) || !(v = required(ld, p, oo, "code")))
			goto out;
		join_key(pc, p, "code");
		if (get_code(ld, pc, v, false, &o->code) ||
		    unique(ld, seen, pc, pa, "code", o->code, i) ||
		    member_i18n(ld, p, oo, "text", SURVEY_SHORT_TEXT_MAX, &o->text))
			goto out;
	}
	rc = 0;
out:
	json_decref(seen);
	return rc;
}

static const char *kinds_list(unsigned kinds)
{
	switch (kinds) {
	case K_ORD:
		return "ordinal";
	case K_YEAR:
		return "year";
	case K_MULTI:
		return "multi";
	case K_TEXT:
		return "text";
	case K_ORD | K_YEAR:
		return "ordinal or year";
	}
	return "some kinds";
}

/* The kinds of question that take key (K_* bits), 0 for a key no question takes. */
static unsigned question_key_kinds(const char *key)
{
	static const struct {
		const char *key;
		unsigned kinds;
	} table[] = {
		{"key", K_ALL},		      {"kind", K_ALL},	     {"text", K_ALL},
		{"labels", K_ORD},	      {"dont_know", K_ORD},  {"agreement", K_ORD},
		{"consensus", K_ORD | K_YEAR}, {"min", K_YEAR},	     {"max", K_YEAR},
		{"special", K_YEAR},	      {"not_before", K_YEAR}, {"options", K_MULTI},
		{"max_length", K_TEXT},
	};

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].key, key))
			return table[i].kinds;
	return 0;
}

static int parse_question(struct loader *ld, const char *qpath, json_t *qo, json_t *seen,
			  size_t index, struct survey_question *q)
{
	char p[PATH_LEN];
	struct quoted qt;
	const char *key, *kind;
	json_t *v;
	size_t k;

	if (want_object(ld, qpath, qo))
		return -1;
	json_object_foreach(qo, key, v) {
		if (!question_key_kinds(key))
			return fail(ld, qpath, "unknown key %s", quote(&qt, key));
	}
	if (!(v = required(ld, qpath, qo, "key")))
		return -1;
	join_key(p, qpath, "key");
	if (get_code(ld, p, v, false, &q->key) ||
	    unique(ld, seen, p, "questions", "key", q->key, index))
		return -1;
	/* The API's answers object holds the question keys and this member (docs/api.md). */
	if (!strcmp(q->key, "reasons"))
		return fail(ld, p, "\"reasons\" is reserved: choose another key");
	if (!(v = required(ld, qpath, qo, "kind")))
		return -1;
	join_key(p, qpath, "kind");
	if (get_string(ld, p, v, &kind))
		return -1;
	for (k = 0; k < 4; k++)
		if (!strcmp(kind_names[k], kind))
			break;
	if (k == 4)
		return fail(ld, p, "unknown kind %s (expected ordinal, year, multi or text)",
			    quote(&qt, kind));
	q->kind = (enum survey_kind)k;
	json_object_foreach(qo, key, v) {
		unsigned kinds = question_key_kinds(key);
		if (!(kinds & (1u << q->kind))) {
			join_key(p, qpath, key);
			return fail(ld, p, "not allowed for kind \"%s\" (only for %s)",
				    kind_names[q->kind], kinds_list(kinds));
		}
	}
	if (member_i18n(ld, qpath, qo, "text", SURVEY_LONG_TEXT_MAX, &q->text))
		return -1;

	q->not_before = -1;
	switch (q->kind) {
	case SURVEY_ORDINAL:
		if (parse_ordinal(ld, qpath, qo, q))
			return -1;
		break;
	case SURVEY_YEAR:
		if (parse_year(ld, qpath, qo, q))
			return -1;
		break;
	case SURVEY_MULTI:
		return parse_options(ld, qpath, qo, q);
	case SURVEY_TEXT:
		q->max_length = TEXT_DEFAULT_LENGTH;
		join_key(p, qpath, "max_length");
		if ((v = json_object_get(qo, "max_length"))) {
			int len;
			if (get_int(ld, p, v, 1, SURVEY_ANSWER_TEXT_MAX, &len))
				return -1;
			q->max_length = (size_t)len;
		}
		return 0;
	}
	/* Ordinal and year: the override, completed from the survey-wide defaults later. */
	q->consensus.max_iqr = q->consensus.agree_high = q->consensus.agree_low = NAN;
	join_key(p, qpath, "consensus");
	if ((v = json_object_get(qo, "consensus")) &&
	    parse_consensus(ld, p, v, q->kind == SURVEY_ORDINAL, true, &q->consensus))
		return -1;
	return 0;
}

/* not_before names another year question; following not_before never comes back. Runs once
 * every question is known, so a question may name a later one. */
static int resolve_not_before(struct loader *ld, const json_t *arr)
{
	struct survey *s = ld->s;
	char p[PATH_LEN];
	struct quoted qt;

	for (size_t i = 0; i < s->n_questions; i++) {
		const json_t *v = json_object_get(json_array_get(arr, i), "not_before");
		const char *name = "";
		int j;
		if (!v)
			continue;
		snprintf(p, sizeof p, "questions[%zu].not_before", i);
		if (get_string(ld, p, v, &name))
			return -1;
		j = survey_question_index(s, name);
		if (j < 0)
			return fail(ld, p, "unknown question %s", quote(&qt, name));
		if ((size_t)j == i)
			return fail(ld, p, "refers to the question itself");
		if (s->questions[j].kind != SURVEY_YEAR)
			return fail(ld, p, "%s is not a year question (it is %s)", quote(&qt, name),
				    kind_names[s->questions[j].kind]);
		s->questions[i].not_before = j;
	}
	for (size_t i = 0; i < s->n_questions; i++) {
		struct buf chain;
		int j = s->questions[i].not_before;
		size_t steps = 0;
		while (j >= 0 && (size_t)j != i && steps++ < s->n_questions)
			j = s->questions[j].not_before;
		if ((size_t)j != i || j < 0)
			continue;
		buf_init(&chain);
		buf_adds(&chain, s->questions[i].key);
		j = s->questions[i].not_before;
		for (;;) {
			buf_printf(&chain, " -> %s", s->questions[j].key);
			if ((size_t)j == i)
				break;
			j = s->questions[j].not_before;
		}
		snprintf(p, sizeof p, "questions[%zu].not_before", i);
		fail(ld, p, "not_before forms a cycle (%s)", chain.data);
		buf_release(&chain);
		return -1;
	}
	return 0;
}

static int parse_questions(struct loader *ld, const json_t *root)
{
	struct survey *s = ld->s;
	const json_t *arr = required(ld, "", root, "questions");
	json_t *seen = json_object();
	char p[PATH_LEN];
	size_t n;
	int rc = -1;

	if (!seen) {
		fail(ld, "questions", "out of memory");
		goto out;
	}
	if (!arr || get_array(ld, "questions", arr, 1, SURVEY_MAX_QUESTIONS, "question",
			      "questions", &n))
		goto out;
	if (!(s->questions = alloc_array(ld, "questions", n, sizeof *s->questions)))
		goto out;
	s->n_questions = n;
	for (size_t i = 0; i < n; i++) {
		join_index(p, "questions", i);
		s->questions[i].not_before = -1;
		if (parse_question(ld, p, json_array_get(arr, i), seen, i, &s->questions[i]))
			goto out;
	}
	rc = resolve_not_before(ld, arr);
out:
	json_decref(seen);
	return rc;
}

static int parse_rounds(struct loader *ld, const json_t *root)
{
	static const char *const keys[] = {"count", "invite", "reason_outside_iqr", NULL};
	static const char *const reasons[] = {"off", "optional", "required"};
	struct survey *s = ld->s;
	json_t *o = json_object_get(root, "rounds"), *v;
	struct quoted q;
	const char *str;

	s->n_rounds = 2;
	s->invite = SURVEY_INVITE_RESPONDENTS;
	s->reason_outside_iqr = SURVEY_REASON_OPTIONAL;
	if (!o)
		return 0;
	if (check_object(ld, "rounds", o, keys))
		return -1;
	if ((v = json_object_get(o, "count")) &&
	    get_int(ld, "rounds.count", v, 1, SURVEY_MAX_ROUNDS, &s->n_rounds))
		return -1;
	if ((v = json_object_get(o, "invite"))) {
		if (get_string(ld, "rounds.invite", v, &str))
			return -1;
		if (!strcmp(str, "respondents"))
			s->invite = SURVEY_INVITE_RESPONDENTS;
		else if (!strcmp(str, "all"))
			s->invite = SURVEY_INVITE_ALL;
		else
			return fail(ld, "rounds.invite",
				    "unknown value %s (expected respondents or all)", quote(&q, str));
	}
	if ((v = json_object_get(o, "reason_outside_iqr"))) {
		size_t k;
		if (get_string(ld, "rounds.reason_outside_iqr", v, &str))
			return -1;
		for (k = 0; k < 3; k++)
			if (!strcmp(reasons[k], str))
				break;
		if (k == 3)
			return fail(ld, "rounds.reason_outside_iqr",
				    "unknown value %s (expected off, optional or required)",
				    quote(&q, str));
		s->reason_outside_iqr = (enum survey_reason)k;
	}
	return 0;
}

/* Survey-wide consensus defaults, then every question's override completed from them. */
static int parse_stats_consensus(struct loader *ld, const json_t *stats)
{
	static const char *const keys[] = {"ordinal", "year", NULL};
	struct survey *s = ld->s;
	struct survey_consensus ord = {1, 0.7, 0.3}, year = {5, 0, 0};
	json_t *o = stats ? json_object_get(stats, "consensus") : NULL, *v;
	char p[PATH_LEN];

	if (o) {
		if (check_object(ld, "stats.consensus", o, keys))
			return -1;
		if ((v = json_object_get(o, "ordinal")) &&
		    (parse_consensus(ld, "stats.consensus.ordinal", v, true, false, &ord) ||
		     check_agreement_band(ld, "stats.consensus.ordinal", &ord)))
			return -1;
		if ((v = json_object_get(o, "year")) &&
		    parse_consensus(ld, "stats.consensus.year", v, false, false, &year))
			return -1;
	}
	for (size_t i = 0; i < s->n_questions; i++) {
		struct survey_question *q = &s->questions[i];
		struct survey_consensus *c = &q->consensus;
		const struct survey_consensus *d = q->kind == SURVEY_ORDINAL ? &ord : &year;
		if (q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR)
			continue;
		if (isnan(c->max_iqr))
			c->max_iqr = d->max_iqr;
		if (isnan(c->agree_high) || q->kind == SURVEY_YEAR)
			c->agree_high = d->agree_high;
		if (isnan(c->agree_low) || q->kind == SURVEY_YEAR)
			c->agree_low = d->agree_low;
		snprintf(p, sizeof p, "questions[%zu].consensus", i);
		if (check_agreement_band(ld, p, c))
			return -1;
	}
	return 0;
}

static int parse_expertise(struct loader *ld, const json_t *stats)
{
	static const char *const keys[] = {"question", "high", NULL};
	struct survey *s = ld->s;
	json_t *o = stats ? json_object_get(stats, "expertise") : NULL, *v;
	const struct survey_question *q;
	const char *name = "expertise";
	struct quoted qt;
	int idx;

	s->expertise_question = -1;
	s->expertise_high = 0;
	if (json_is_null(o))
		return 0; /* explicitly none */
	if (o) {
		if (check_object(ld, "stats.expertise", o, keys))
			return -1;
		if ((v = json_object_get(o, "question")) &&
		    get_string(ld, "stats.expertise.question", v, &name))
			return -1;
	}
	idx = survey_question_index(s, name);
	if (!o || !json_object_get(o, "question")) {
		/* The default applies only to an ordinal question called "expertise". */
		if (idx < 0 || s->questions[idx].kind != SURVEY_ORDINAL) {
			if (o && json_object_get(o, "high"))
				return fail(ld, "stats.expertise",
					    "no ordinal question \"expertise\" for \"high\" "
					    "(name one with \"question\")");
			return 0;
		}
	} else if (idx < 0) {
		return fail(ld, "stats.expertise.question", "unknown question %s",
			    quote(&qt, name));
	} else if (s->questions[idx].kind != SURVEY_ORDINAL) {
		return fail(ld, "stats.expertise.question", "%s is not an ordinal question (it is %s)",
			    quote(&qt, name), kind_names[s->questions[idx].kind]);
	}
	q = &s->questions[idx];
	if (o && (v = json_object_get(o, "high"))) {
		if (get_int(ld, "stats.expertise.high", v, 0, LABEL_VALUE_MAX, &s->expertise_high))
			return -1;
		if (!survey_label_by_value(q, s->expertise_high))
			return fail(ld, "stats.expertise.high", "%d is not a label value of %s",
				    s->expertise_high, quote(&qt, q->key));
	} else {
		s->expertise_high = q->labels[0].value;
		for (size_t i = 1; i < q->n_labels; i++)
			if (q->labels[i].value > s->expertise_high)
				s->expertise_high = q->labels[i].value;
	}
	s->expertise_question = idx;
	return 0;
}

static int parse_stats(struct loader *ld, const json_t *root)
{
	static const char *const keys[] = {"quantile_type", "expertise", "consensus", NULL};
	struct survey *s = ld->s;
	json_t *o = json_object_get(root, "stats"), *v;

	s->quantile_type = 7;
	if (o && check_object(ld, "stats", o, keys))
		return -1;
	if (o && (v = json_object_get(o, "quantile_type"))) {
		if (!json_is_integer(v))
			return fail(ld, "stats.quantile_type", "expected an integer, got %s",
				    type_name(v));
		if (json_integer_value(v) != 6 && json_integer_value(v) != 7)
			return fail(ld, "stats.quantile_type", "%lld is not supported (expected 6 or 7)",
				    (long long)json_integer_value(v));
		s->quantile_type = (int)json_integer_value(v);
	}
	if (parse_stats_consensus(ld, o))
		return -1;
	return parse_expertise(ld, o);
}

static int parse_survey(struct loader *ld, json_t *root)
{
	static const char *const keys[] = {"slug",   "title",	  "description", "year",
					   "horizon", "languages", "fields",	  "topics",
					   "questions", "rounds",  "stats",	  NULL};
	json_t *field_codes = json_object();
	int rc = -1;

	if (!field_codes) {
		fail(ld, "", "out of memory");
		goto out;
	}
	if (check_object(ld, "", root, keys) || parse_languages(ld, root) ||
	    parse_head(ld, root) || parse_fields(ld, root, field_codes) ||
	    parse_topics(ld, root, field_codes) || parse_questions(ld, root) ||
	    parse_rounds(ld, root) || parse_stats(ld, root))
		goto out;
	rc = 0;
out:
	json_decref(field_codes);
	return rc;
}

int survey_load_string(const char *json, size_t len, const char *source, struct survey **out,
		       struct survey_error *err)
{
	struct survey_error dummy;
	struct loader ld;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -1;

	assert(out);
	*out = NULL;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof *err);
	snprintf(err->source, sizeof err->source, "%s", source ? source : "<string>");
	memset(&ld, 0, sizeof ld);
	ld.err = err;
	if (!(ld.s = calloc(1, sizeof *ld.s))) {
		fail(&ld, "", "out of memory");
		goto out;
	}
	ld.s->expertise_question = -1;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		err->line = jerr.line > 0 ? jerr.line : 0;
		err->column = jerr.line > 0 ? jerr.column : 0;
		snprintf(err->text, sizeof err->text, "%s", jerr.text);
		goto out;
	}
	if (parse_survey(&ld, root))
		goto out;
	*out = ld.s;
	ld.s = NULL;
	rc = 0;
out:
	survey_free(ld.s);
	json_decref(root);
	return rc;
}

int survey_load_file(const char *path, struct survey **out, struct survey_error *err)
{
	struct survey_error dummy;
	struct buf b = BUF_INIT;
	FILE *f = NULL;
	char chunk[65536];
	size_t n;
	int rc = -1;

	assert(out);
	*out = NULL;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof *err);
	snprintf(err->source, sizeof err->source, "%s", path);
	buf_init(&b);
	if (!(f = fopen(path, "rb"))) {
		snprintf(err->text, sizeof err->text, "cannot open: %s", strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > SURVEY_FILE_MAX) {
			snprintf(err->text, sizeof err->text, "file too large (more than %u bytes)",
				 SURVEY_FILE_MAX);
			goto out;
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		snprintf(err->text, sizeof err->text, "cannot read: %s", strerror(errno));
		goto out;
	}
	rc = survey_load_string(b.data, b.len, path, out, err);
out:
	if (f)
		fclose(f);
	buf_release(&b);
	return rc;
}

static void i18n_release(struct survey_i18n *t)
{
	for (size_t i = 0; i < SURVEY_MAX_LANGS; i++)
		free(t->text[i]);
}

void survey_free(struct survey *s)
{
	if (!s)
		return;
	free(s->slug);
	i18n_release(&s->title);
	i18n_release(&s->description);
	for (size_t i = 0; i < SURVEY_MAX_LANGS; i++)
		free(s->languages[i]);
	for (size_t i = 0; i < s->n_fields; i++) {
		free(s->fields[i].code);
		i18n_release(&s->fields[i].title);
	}
	free(s->fields);
	for (size_t i = 0; i < s->n_topics; i++) {
		free(s->topics[i].code);
		i18n_release(&s->topics[i].title);
		i18n_release(&s->topics[i].text);
	}
	free(s->topics);
	for (size_t i = 0; i < s->n_questions; i++) {
		struct survey_question *q = &s->questions[i];
		free(q->key);
		i18n_release(&q->text);
		for (size_t j = 0; j < q->n_labels; j++)
			i18n_release(&q->labels[j].text);
		free(q->labels);
		free(q->agreement);
		for (size_t j = 0; j < q->n_options; j++) {
			free(q->options[j].code);
			i18n_release(&q->options[j].text);
		}
		free(q->options);
	}
	free(s->questions);
	free(s);
}

void survey_error_format(const struct survey_error *err, char *out, size_t size)
{
	if (!size)
		return;
	if (err->line > 0)
		snprintf(out, size, "%s:%d:%d: %s", err->source, err->line, err->column, err->text);
	else if (err->path[0])
		snprintf(out, size, "%s: %s: %s", err->source, err->path, err->text);
	else
		snprintf(out, size, "%s: %s", err->source, err->text);
}

int survey_field_index(const struct survey *s, const char *code)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (!strcmp(s->fields[i].code, code))
			return (int)i;
	return -1;
}

int survey_topic_index(const struct survey *s, const char *code)
{
	for (size_t i = 0; i < s->n_topics; i++)
		if (!strcmp(s->topics[i].code, code))
			return (int)i;
	return -1;
}

int survey_question_index(const struct survey *s, const char *key)
{
	for (size_t i = 0; i < s->n_questions; i++)
		if (s->questions[i].key && !strcmp(s->questions[i].key, key))
			return (int)i;
	return -1;
}

int survey_option_index(const struct survey_question *q, const char *code)
{
	for (size_t i = 0; i < q->n_options; i++)
		if (!strcmp(q->options[i].code, code))
			return (int)i;
	return -1;
}

const struct survey_label *survey_label_by_value(const struct survey_question *q, int value)
{
	for (size_t i = 0; i < q->n_labels; i++)
		if (q->labels[i].value == value)
			return &q->labels[i];
	return NULL;
}

int survey_language_index(const struct survey *s, const char *lang)
{
	for (size_t i = 0; i < s->n_languages; i++)
		if (!strcasecmp(s->languages[i], lang))
			return (int)i;
	return -1;
}

const char *survey_text(const struct survey *s, const struct survey_i18n *t, const char *lang)
{
	int i = lang ? survey_language_index(s, lang) : -1;

	if (i >= 0 && t->text[i])
		return t->text[i];
	for (size_t k = 0; k < s->n_languages; k++)
		if (t->text[k])
			return t->text[k];
	return "";
}

const char *survey_kind_name(enum survey_kind kind)
{
	if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0])
		return kind_names[kind];
	return "unknown";
}

size_t survey_text_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}
