/*
 * api_survey — the survey cache of the HTTP API: each survey's parsed definition, its JSON for
 * GET /api/v1/me and a topic index, built once and shared by every thread. See api_int.h.
 *
 * A survey of 1,000 topics in three languages parses in milliseconds but weighs megabytes, so
 * neither per request nor per thread: one model per survey, reference-counted, because a
 * replaced model may still be in use by a request or a writer job. The lock is held only for
 * list and counter operations, never while loading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "survey.h"

/* ---- The survey as JSON ---------------------------------------------------------------------- */

/* {"en": "...", "ja": "..."}: the languages the definition gave. */
static json_t *i18n(const struct survey *s, const struct survey_i18n *t)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < s->n_languages; i++)
		if (t->text[i] && json_object_set_new(o, s->languages[i], json_string(t->text[i])))
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static bool i18n_empty(const struct survey *s, const struct survey_i18n *t)
{
	for (size_t i = 0; i < s->n_languages; i++)
		if (t->text[i])
			return false;
	return true;
}

/* Sets o[key] = v (stolen); on failure o is freed and NULL returned, so calls chain. */
static json_t *set(json_t *o, const char *key, json_t *v)
{
	if (!o || !v || json_object_set_new(o, key, v)) {
		json_decref(o);
		if (!o)
			json_decref(v);
		return NULL;
	}
	return o;
}

/* Appends v (stolen) to array a; on failure a is freed and NULL returned. */
static json_t *push(json_t *a, json_t *v)
{
	if (!a || !v || json_array_append_new(a, v)) {
		json_decref(a);
		if (!a)
			json_decref(v);
		return NULL;
	}
	return a;
}

static const char *reason_name(enum survey_reason r)
{
	return r == SURVEY_REASON_OFF ? "off" : r == SURVEY_REASON_REQUIRED ? "required" : "optional";
}

static json_t *question_json(const struct survey *s, const struct survey_question *q)
{
	json_t *o = json_object();
	o = set(o, "key", json_string(q->key));
	o = set(o, "kind", json_string(survey_kind_name(q->kind)));
	o = set(o, "text", i18n(s, &q->text));
	switch (q->kind) {
	case SURVEY_ORDINAL: {
		json_t *labels = json_array();
		for (size_t i = 0; labels && i < q->n_labels; i++) {
			json_t *l = json_object();
			l = set(l, "value", json_integer(q->labels[i].value));
			l = set(l, "text", i18n(s, &q->labels[i].text));
			labels = push(labels, l);
		}
		o = set(o, "labels", labels);
		o = set(o, "dont_know", json_boolean(q->specials & SURVEY_SPECIAL_DONT_KNOW));
		break;
	}
	case SURVEY_YEAR: {
		json_t *sp = json_array();
		if (q->specials & SURVEY_SPECIAL_ALREADY)
			sp = push(sp, json_string("already"));
		if (q->specials & SURVEY_SPECIAL_NEVER)
			sp = push(sp, json_string("never"));
		if (q->specials & SURVEY_SPECIAL_DONT_KNOW)
			sp = push(sp, json_string("dont_know"));
		o = set(o, "min", json_integer(q->year_min));
		o = set(o, "max", json_integer(q->year_max));
		o = set(o, "special", sp);
		if (q->not_before >= 0)
			o = set(o, "not_before", json_string(s->questions[q->not_before].key));
		break;
	}
	case SURVEY_MULTI: {
		json_t *opts = json_array();
		for (size_t i = 0; opts && i < q->n_options; i++) {
			json_t *x = json_object();
			x = set(x, "code", json_string(q->options[i].code));
			x = set(x, "text", i18n(s, &q->options[i].text));
			opts = push(opts, x);
		}
		o = set(o, "options", opts);
		break;
	}
	case SURVEY_TEXT:
		o = set(o, "max_length", json_integer((json_int_t)q->max_length));
		break;
	}
	return o;
}

json_t *api_survey_json(const struct survey *s)
{
	json_t *o = json_object(), *langs = json_array(), *fields = json_array();
	json_t *topics = json_array(), *questions = json_array();
	for (size_t i = 0; i < s->n_languages; i++)
		langs = push(langs, json_string(s->languages[i]));
	for (size_t i = 0; i < s->n_fields; i++) {
		json_t *f = json_object();
		f = set(f, "code", json_string(s->fields[i].code));
		f = set(f, "title", i18n(s, &s->fields[i].title));
		fields = push(fields, f);
	}
	for (size_t i = 0; i < s->n_topics; i++) {
		const struct survey_topic *t = &s->topics[i];
		json_t *x = json_object();
		x = set(x, "code", json_string(t->code));
		x = set(x, "field", json_string(s->fields[t->field].code));
		x = set(x, "title", i18n(s, &t->title));
		if (!i18n_empty(s, &t->text))
			x = set(x, "text", i18n(s, &t->text));
		topics = push(topics, x);
	}
	for (size_t i = 0; i < s->n_questions; i++)
		questions = push(questions, question_json(s, &s->questions[i]));

	o = set(o, "slug", json_string(s->slug));
	o = set(o, "title", i18n(s, &s->title));
	if (!i18n_empty(s, &s->description))
		o = set(o, "description", i18n(s, &s->description));
	o = set(o, "year", json_integer(s->year));
	o = set(o, "horizon", json_integer(s->horizon));
	o = set(o, "languages", langs);
	o = set(o, "rounds", json_integer(s->n_rounds));
	o = set(o, "reason_outside_iqr", json_string(reason_name(s->reason_outside_iqr)));
	o = set(o, "fields", fields);
	o = set(o, "topics", topics);
	return set(o, "questions", questions);
}

/* ---- The cache ------------------------------------------------------------------------------- */

static int by_code(const void *a, const void *b, void *survey)
{
	const struct survey *s = survey;
	return strcmp(s->topics[*(const size_t *)a].code, s->topics[*(const size_t *)b].code);
}

static void model_free(struct api_survey *m)
{
	if (!m)
		return;
	db_survey_free(m->sv);
	free(m->json);
	free(m->topic_order);
	free(m);
}

/* Loads the model of the survey whose stored key is key (outside the lock); NULL with err. */
static struct api_survey *model_load(struct db *db, const struct db_api_survey_key *key,
				     char *err, size_t errlen)
{
	struct api_survey *m = calloc(1, sizeof *m);
	json_t *j = NULL;
	if (!m)
		goto oom;
	m->key = *key;
	int found = db_survey_get(db, key->slug, &m->sv);
	if (found != DB_FOUND) {
		snprintf(err, errlen, "%s", found == DB_NOT_FOUND ? "the survey is gone" : db_error(db));
		goto fail;
	}
	const struct survey *s = m->sv->survey;
	if (!(j = api_survey_json(s)) || !(m->json = json_dumps(j, JSON_COMPACT)))
		goto oom;
	m->json_len = strlen(m->json);
	if (!(m->topic_order = malloc((s->n_topics + 1) * sizeof *m->topic_order)))
		goto oom;
	for (size_t i = 0; i < s->n_topics; i++)
		m->topic_order[i] = i;
	qsort_r(m->topic_order, s->n_topics, sizeof *m->topic_order, by_code, (void *)s);
	json_decref(j);
	return m;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	json_decref(j);
	model_free(m);
	return NULL;
}

static bool same_key(const struct db_api_survey_key *a, const struct db_api_survey_key *b)
{
	return !strcmp(a->slug, b->slug) && !strcmp(a->loaded_at, b->loaded_at) &&
	       a->has_rounds == b->has_rounds;
}

/* The cached model of survey id (any version), or NULL; *slot its index. Under the lock. */
static struct api_survey *find(struct api *a, int64_t id, size_t *slot)
{
	for (size_t i = 0; i < a->n_surveys; i++)
		if (a->surveys[i]->sv->id == id) {
			*slot = i;
			return a->surveys[i];
		}
	return NULL;
}

/* Drops one reference under the lock; returns the model if it must be freed now. */
static struct api_survey *unref(struct api_survey *m)
{
	return --m->refs == 0 ? m : NULL;
}

int api_survey_get(struct api *a, struct db *db, int64_t survey_id, struct api_survey **out,
		   char *err, size_t errlen)
{
	struct db_api_survey_key key;
	struct api_survey *m, *fresh = NULL, *old = NULL;
	size_t slot = 0;
	*out = NULL;
	/* A definition is fixed once its survey has rounds (db_survey_store refuses to replace it,
	 * and nothing deletes rounds or surveys), so a model loaded after round 1 opened is current
	 * for good: no need to read the key again at every request. */
	pthread_mutex_lock(&a->mu);
	m = find(a, survey_id, &slot);
	if (m && m->key.has_rounds) {
		m->refs++;
		pthread_mutex_unlock(&a->mu);
		*out = m;
		return 0;
	}
	pthread_mutex_unlock(&a->mu);
	int found = db_api_survey_key(db, survey_id, &key);
	if (found != DB_FOUND) {
		snprintf(err, errlen, "%s", found == DB_NOT_FOUND ? "the survey is gone" : db_error(db));
		return -1;
	}
	pthread_mutex_lock(&a->mu);
	m = find(a, survey_id, &slot);
	if (m && same_key(&m->key, &key)) {
		m->refs++;
		pthread_mutex_unlock(&a->mu);
		*out = m;
		return 0;
	}
	pthread_mutex_unlock(&a->mu);

	/* A definition that changed between reading the key and loading gives rows that disagree
	 * (db_survey_get fails): try once more, the second load sees a settled definition. */
	if (!(fresh = model_load(db, &key, err, errlen))) {
		if (db_api_survey_key(db, survey_id, &key) != DB_FOUND ||
		    !(fresh = model_load(db, &key, err, errlen)))
			return -1;
	}
	fresh->refs = 2; /* the cache's and the caller's */

	pthread_mutex_lock(&a->mu);
	m = find(a, survey_id, &slot);
	if (m && same_key(&m->key, &fresh->key)) {
		/* another thread loaded the same version meanwhile: use that one */
		m->refs++;
		pthread_mutex_unlock(&a->mu);
		model_free(fresh);
		*out = m;
		return 0;
	}
	if (m) {
		a->surveys[slot] = fresh;
		old = unref(m);
	} else {
		if (a->n_surveys == a->cap_surveys) {
			size_t cap = a->cap_surveys ? 2 * a->cap_surveys : 4;
			struct api_survey **v = realloc(a->surveys, cap * sizeof *v);
			if (!v) {
				pthread_mutex_unlock(&a->mu);
				model_free(fresh);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			a->surveys = v;
			a->cap_surveys = cap;
		}
		a->surveys[a->n_surveys++] = fresh;
	}
	pthread_mutex_unlock(&a->mu);
	model_free(old);
	*out = fresh;
	return 0;
}

void api_survey_put(struct api *a, struct api_survey *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&a->mu);
	struct api_survey *gone = unref(s);
	pthread_mutex_unlock(&a->mu);
	model_free(gone);
}

void api_survey_clear(struct api *a)
{
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->n_surveys; i++)
		model_free(unref(a->surveys[i]));
	free(a->surveys);
	a->surveys = NULL;
	a->n_surveys = a->cap_surveys = 0;
	pthread_mutex_unlock(&a->mu);
}

long api_survey_topic(const struct api_survey *m, const char *code)
{
	const struct survey *s = m->sv->survey;
	size_t lo = 0, hi = s->n_topics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(code, s->topics[m->topic_order[mid]].code);
		if (c == 0)
			return (long)m->topic_order[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}
