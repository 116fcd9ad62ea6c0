/*
 * test_api — the expert API's parts that run without a network: reading the Cookie and
 * Authorization headers, checking a PUT body against the survey (api_expert_parse_change), the
 * survey's JSON for GET /api/v1/me, the shared survey cache (api_survey.c), and the store
 * functions of db_api.h against a real database file in a temporary directory. The HTTP side is
 * tests/integration/api.sh.
 *
 * The survey is tests/data/cli/survey.json: fields AI (0), EN (1); topics AI-01 (0), AI-02 (1),
 * EN-01 (2); questions expertise (0: ordinal 3 2 1, no dont_know), importance (1: ordinal 4..1,
 * dont_know), tech_year (2: 2025..2040, already/never/dont_know), social_year (3: not before
 * tech_year), measures (4: multi collaboration, funding, regulation), comment (5: text, at most
 * 200 bytes); two rounds, reason_outside_iqr left at its default, optional.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_int.h"
#include "crypto.h"
#include "db.h"
#include "db_api.h"

#define SURVEY_FILE "tests/data/cli/survey.json"
#define SURVEY_V2_FILE "tests/data/cli/survey-v2.json"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static struct survey *load_survey(const char *json, size_t len)
{
	struct survey *s = NULL;
	struct survey_error err;
	assert_int_equal(survey_load_string(json, len, "test", &s, &err), 0);
	return s;
}

static struct survey *load_survey_file(const char *path)
{
	size_t len;
	char *json = read_all(path, &len);
	struct survey *s = load_survey(json, len);
	free(json);
	return s;
}

/* ---- Cookie and Authorization headers -------------------------------------------------------- */

static void test_cookie(void **state)
{
	char v[70];
	(void)state;
	assert_int_equal(api_auth_cookie("delphi_session=abc", "delphi_session", v, sizeof v), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(api_auth_cookie("a=1; delphi_session=abc; b=2", "delphi_session", v,
					 sizeof v), 0);
	assert_string_equal(v, "abc");
	/* The name must match whole: neither a longer nor a shorter name is it. */
	assert_int_equal(api_auth_cookie("xdelphi_session=abc", "delphi_session", v, sizeof v), -1);
	assert_int_equal(api_auth_cookie("delphi_session2=x;delphi_session=y", "delphi_session", v,
					 sizeof v), 0);
	assert_string_equal(v, "y");
	assert_int_equal(api_auth_cookie("delphi_sessio=x", "delphi_session", v, sizeof v), -1);
	/* Quotes around the value go; blanks after it too. */
	assert_int_equal(api_auth_cookie("delphi_session=\"q\"  ", "delphi_session", v, sizeof v),
			 0);
	assert_string_equal(v, "q");
	assert_int_equal(api_auth_cookie("delphi_session=", "delphi_session", v, sizeof v), 0);
	assert_string_equal(v, "");
	assert_int_equal(api_auth_cookie(NULL, "delphi_session", v, sizeof v), -1);
	assert_int_equal(api_auth_cookie("", "delphi_session", v, sizeof v), -1);
	/* "abcd" needs 5 bytes. */
	assert_int_equal(api_auth_cookie("delphi_session=abcd", "delphi_session", v, 4), -1);
	assert_int_equal(api_auth_cookie("delphi_session=abcd", "delphi_session", v, 5), 0);
}

static void test_bearer(void **state)
{
	static const char tok[] = "0123456789abcdef0123456789abcdef";
	char out[DB_TOKEN_HEX + 1], h[100];
	(void)state;
	snprintf(h, sizeof h, "Bearer %s", tok);
	assert_int_equal(api_auth_bearer(h, out), 0);
	assert_string_equal(out, tok);
	snprintf(h, sizeof h, "bearer \t %s  ", tok);
	assert_int_equal(api_auth_bearer(h, out), 0);
	assert_string_equal(out, tok);
	snprintf(h, sizeof h, "Bearer %s extra", tok);
	assert_int_equal(api_auth_bearer(h, out), -1);
	snprintf(h, sizeof h, "Bearer %.31s", tok); /* one digit short */
	assert_int_equal(api_auth_bearer(h, out), -1);
	snprintf(h, sizeof h, "Bearer %sa", tok); /* one digit long */
	assert_int_equal(api_auth_bearer(h, out), -1);
	assert_int_equal(api_auth_bearer("Bearer 0123456789ABCDEF0123456789ABCDEF", out), -1);
	snprintf(h, sizeof h, "Bearer%s", tok);
	assert_int_equal(api_auth_bearer(h, out), -1);
	assert_int_equal(api_auth_bearer("Basic eDp5", out), -1);
	assert_int_equal(api_auth_bearer("Bearer", out), -1);
	assert_int_equal(api_auth_bearer(NULL, out), -1);
}

/* ---- PUT bodies ------------------------------------------------------------------------------ */

static int parse(const struct survey *s, const char *body, int round, struct api_change *c,
		 struct api_problem *p)
{
	json_error_t je;
	json_t *v = json_loads(body, 0, &je);
	assert_non_null(v);
	int rc = api_expert_parse_change(s, v, round, c, p);
	/* the problem's field may point into the body: copy it before the body goes */
	static char field[100];
	if (rc && p->field) {
		snprintf(field, sizeof field, "%s", p->field);
		p->field = field;
	}
	json_decref(v);
	return rc;
}

static void assert_untouched(const struct api_change *c)
{
	for (size_t i = 0; i < SURVEY_MAX_QUESTIONS; i++) {
		assert_int_equal(c->op[i], API_KEEP);
		assert_int_equal(c->reason_op[i], API_KEEP);
		assert_null(c->reason[i]);
		assert_null(c->value[i].text);
	}
}

static void test_parse_change(void **state)
{
	struct survey *s = load_survey_file(SURVEY_FILE);
	struct api_change c;
	struct api_problem p;
	(void)state;

	assert_int_equal(parse(s,
			       "{\"importance\": 4, \"tech_year\": \"never\", \"measures\": "
			       "[\"regulation\", \"collaboration\"], \"comment\": null}",
			       1, &c, &p),
			 0);
	assert_int_equal(c.op[0], API_KEEP); /* expertise not given */
	assert_int_equal(c.op[1], API_SET);
	assert_int_equal(c.value[1].special, ANSWER_VALUE);
	assert_int_equal(c.value[1].num, 4);
	assert_int_equal(c.op[2], API_SET);
	assert_int_equal(c.value[2].special, ANSWER_NEVER);
	assert_int_equal(c.op[3], API_KEEP);
	/* collaboration is option 0, regulation option 2: mask 1 + 4 = 5 */
	assert_int_equal(c.op[4], API_SET);
	assert_int_equal(c.value[4].num, 5);
	assert_int_equal(c.op[5], API_DELETE);
	api_expert_change_release(&c);
	assert_untouched(&c);

	assert_int_equal(parse(s, "{\"comment\": \"Gut\\u00e9\"}", 1, &c, &p), 0);
	assert_int_equal(c.op[5], API_SET);
	assert_string_equal(c.value[5].text, "Gut\xc3\xa9");
	api_expert_change_release(&c);

	/* {} changes nothing. */
	assert_int_equal(parse(s, "{}", 1, &c, &p), 0);
	assert_untouched(&c);

	/* The first problem in the body's order is named; nothing is kept. */
	assert_int_equal(parse(s, "{\"comment\": \"ok\", \"importance\": 4, \"bogus\": 1}", 1, &c,
			       &p), -1);
	assert_string_equal(p.field, "bogus");
	assert_non_null(strstr(p.message, "no question \"bogus\""));
	assert_untouched(&c);
	assert_int_equal(parse(s, "{\"expertise\": \"dont_know\"}", 1, &c, &p), -1);
	assert_string_equal(p.field, "expertise");
	assert_int_equal(parse(s, "{\"importance\": 3.0}", 1, &c, &p), -1);
	assert_string_equal(p.field, "importance");
	assert_int_equal(parse(s, "{\"tech_year\": 2041}", 1, &c, &p), -1);
	assert_string_equal(p.field, "tech_year");
	assert_int_equal(parse(s, "{\"measures\": [\"funding\", \"funding\"]}", 1, &c, &p), -1);
	assert_string_equal(p.field, "measures");
	assert_int_equal(parse(s, "[1]", 1, &c, &p), -1);
	assert_null(p.field);
	assert_untouched(&c);
	survey_free(s);
}

static void test_parse_reasons(void **state)
{
	struct survey *s = load_survey_file(SURVEY_FILE);
	struct api_change c;
	struct api_problem p;
	char body[2200], text[2001];
	(void)state;

	/* Round 1 has no quartiles to be outside of. */
	assert_int_equal(parse(s, "{\"reasons\": {\"importance\": \"x\"}}", 1, &c, &p), -1);
	assert_string_equal(p.field, "reasons");

	assert_int_equal(parse(s,
			       "{\"importance\": 1, \"reasons\": {\"importance\": \"x\", "
			       "\"tech_year\": null, \"social_year\": \"\"}}",
			       2, &c, &p),
			 0);
	assert_int_equal(c.op[1], API_SET);
	assert_int_equal(c.reason_op[1], API_SET);
	assert_string_equal(c.reason[1], "x");
	assert_int_equal(c.reason_op[2], API_DELETE);
	assert_int_equal(c.reason_op[3], API_DELETE); /* "" removes, as null does */
	assert_int_equal(c.reason_op[0], API_KEEP);
	api_expert_change_release(&c);

	/* Only ordinal and year questions take a reason. */
	assert_int_equal(parse(s, "{\"reasons\": {\"comment\": \"x\"}}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	assert_non_null(strstr(p.message, "comment"));
	assert_int_equal(parse(s, "{\"reasons\": {\"measures\": \"x\"}}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	assert_int_equal(parse(s, "{\"reasons\": {\"bogus\": \"x\"}}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	assert_int_equal(parse(s, "{\"reasons\": {\"importance\": 5}}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	assert_int_equal(parse(s, "{\"reasons\": [\"x\"]}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	assert_int_equal(parse(s, "{\"reasons\": {\"importance\": \"a\\u0001b\"}}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	/* At most DB_API_REASON_MAX = 2000 bytes. */
	memset(text, 'a', 2000);
	text[2000] = '\0';
	snprintf(body, sizeof body, "{\"reasons\": {\"importance\": \"%s\"}}", text);
	assert_int_equal(parse(s, body, 2, &c, &p), 0);
	assert_int_equal(strlen(c.reason[1]), 2000);
	api_expert_change_release(&c);
	snprintf(body, sizeof body, "{\"reasons\": {\"importance\": \"%sa\"}}", text);
	assert_int_equal(parse(s, body, 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	assert_untouched(&c);
	survey_free(s);

	/* A survey that asks for no reasons takes none, in any round. */
	size_t len;
	char *json = read_all(SURVEY_FILE, &len);
	const char *from = "\"invite\": \"respondents\"";
	char *at = strstr(json, from);
	assert_non_null(at);
	char *off = malloc(len + 100);
	snprintf(off, len + 100, "%.*s%s, \"reason_outside_iqr\": \"off\"%s", (int)(at - json), json,
		 from, at + strlen(from));
	s = load_survey(off, strlen(off));
	assert_int_equal(s->reason_outside_iqr, SURVEY_REASON_OFF);
	assert_int_equal(parse(s, "{\"reasons\": {\"importance\": \"x\"}}", 2, &c, &p), -1);
	assert_string_equal(p.field, "reasons");
	survey_free(s);
	free(off);
	free(json);
}

/* ---- The survey as /me shows it -------------------------------------------------------------- */

static void assert_json(json_t *v, const char *want)
{
	char *got = json_dumps(v, JSON_COMPACT);
	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("got  %s\nwant %s", got, want);
	free(got);
}

static void test_survey_json(void **state)
{
	struct survey *s = load_survey_file(SURVEY_FILE);
	json_t *j = api_survey_json(s);
	(void)state;
	assert_non_null(j);
	/* No description in the definition: no member. */
	assert_null(json_object_get(j, "description"));
	assert_json(json_object_get(j, "title"), "{\"en\":\"CLI test survey\"}");
	assert_json(json_object_get(j, "languages"), "[\"en\"]");
	assert_int_equal(json_integer_value(json_object_get(j, "year")), 2025);
	assert_int_equal(json_integer_value(json_object_get(j, "horizon")), 2040);
	assert_int_equal(json_integer_value(json_object_get(j, "rounds")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "reason_outside_iqr")), "optional");
	assert_json(json_array_get(json_object_get(j, "fields"), 1),
		    "{\"code\":\"EN\",\"title\":{\"en\":\"Energy\"}}");
	/* Topics without a text have no text member. */
	assert_json(json_array_get(json_object_get(j, "topics"), 1),
		    "{\"code\":\"AI-02\",\"field\":\"AI\",\"title\":{\"en\":\"Chips that learn on the "
		    "device\"}}");
	json_t *q = json_object_get(j, "questions");
	assert_int_equal(json_array_size(q), 6);
	assert_json(json_array_get(q, 0),
		    "{\"key\":\"expertise\",\"kind\":\"ordinal\",\"text\":{\"en\":\"How well do you "
		    "know it?\"},\"labels\":[{\"value\":3,\"text\":{\"en\":\"high\"}},{\"value\":2,"
		    "\"text\":{\"en\":\"medium\"}},{\"value\":1,\"text\":{\"en\":\"low\"}}],"
		    "\"dont_know\":false}");
	/* The year range defaults to the survey year .. horizon. */
	assert_json(json_array_get(q, 2),
		    "{\"key\":\"tech_year\",\"kind\":\"year\",\"text\":{\"en\":\"When realized "
		    "technically?\"},\"min\":2025,\"max\":2040,\"special\":[\"already\",\"never\","
		    "\"dont_know\"]}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(q, 3), "not_before")),
			    "tech_year");
	assert_json(json_object_get(json_array_get(q, 4), "options"),
		    "[{\"code\":\"collaboration\",\"text\":{\"en\":\"Collaboration\"}},{\"code\":"
		    "\"funding\",\"text\":{\"en\":\"Funding\"}},{\"code\":\"regulation\",\"text\":"
		    "{\"en\":\"Regulation\"}}]");
	assert_json(json_array_get(q, 5),
		    "{\"key\":\"comment\",\"kind\":\"text\",\"text\":{\"en\":\"Anything else?\"},"
		    "\"max_length\":200}");
	json_decref(j);
	survey_free(s);
}

/* ---- The store: a database with the survey, two experts, round 1 open ------------------------ */

struct fixture {
	char dir[64];
	char path[128];
	struct db *db; /* read-write */
	struct db_survey *sv;
	int64_t e1, e2; /* E1 in AI; E2 in AI and EN */
	struct db_round r1;
};

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(c, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(c));
	sqlite3_close(c);
}

static int64_t add_expert(struct fixture *fx, const char *ext_id, const char *name,
			  enum db_sector sector, const size_t *fields, size_t n)
{
	struct db_expert_in in = { ext_id, name, "", sector, fields, n };
	char token[DB_TOKEN_HEX + 1];
	bool created;
	struct db_expert_ref ref;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_expert_upsert(fx->db, fx->sv, &in, token, &created), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_expert_by_ext_id(fx->db, fx->sv->id, ext_id, &ref), DB_FOUND);
	return ref.id;
}

/* Stores the survey and the experts; opens round 1 when open_round. */
static struct fixture *make_fixture(int open_round)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX];
	size_t len;
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_api.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	char *json = read_all(SURVEY_FILE, &len);
	struct survey *s = load_survey(json, len);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, json, len, s), DB_STORE_CREATED);
	assert_int_equal(db_commit(fx->db), 0);
	survey_free(s);
	free(json);
	assert_int_equal(db_survey_get(fx->db, "cli-test", &fx->sv), DB_FOUND);
	static const size_t ai[] = { 0 }, ai_en[] = { 0, 1 };
	fx->e1 = add_expert(fx, "E1", "Alice", DB_SECTOR_ACADEMIA, ai, 1);
	fx->e2 = add_expert(fx, "E2", "Bob, Jr.", DB_SECTOR_INDUSTRY, ai_en, 2);
	if (open_round) {
		int64_t invited;
		assert_int_equal(db_begin(fx->db), 0);
		assert_int_equal(db_round_open(fx->db, fx->sv, &fx->r1, &invited), DB_ROUND_DONE);
		assert_int_equal(db_commit(fx->db), 0);
		assert_int_equal(invited, 2);
	}
	return fx;
}

static int setup(void **state)
{
	*state = make_fixture(1);
	return 0;
}

static int setup_no_round(void **state)
{
	*state = make_fixture(0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_survey_free(fx->sv);
	db_close(fx->db);
	test_db_unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	crypto_release();
	return 0;
}

static void put(struct fixture *fx, int64_t expert, size_t topic, size_t question, int64_t num)
{
	struct answer a = { ANSWER_VALUE, num, NULL };
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_answer_put(fx->db, fx->sv, fx->r1.id, expert, topic, question, &a), 0);
	assert_int_equal(db_commit(fx->db), 0);
}

static void test_db_survey_key_and_expert(void **state)
{
	struct fixture *fx = *state;
	struct db_api_survey_key k;
	struct db_api_expert e;
	assert_int_equal(db_api_survey_key(fx->db, fx->sv->id, &k), DB_FOUND);
	assert_string_equal(k.slug, "cli-test");
	assert_string_equal(k.loaded_at, fx->sv->loaded_at);
	assert_true(k.has_rounds);
	assert_int_equal(db_api_survey_key(fx->db, fx->sv->id + 1000, &k), DB_NOT_FOUND);

	assert_int_equal(db_api_expert_get(fx->db, fx->sv, fx->e2, &e), DB_FOUND);
	assert_string_equal(e.name, "Bob, Jr.");
	assert_string_equal(e.sector, "industry");
	assert_int_equal(e.n_fields, 2);
	assert_int_equal(e.fields[0], 0); /* AI */
	assert_int_equal(e.fields[1], 1); /* EN */
	db_api_expert_release(&e);
	assert_int_equal(db_api_expert_get(fx->db, fx->sv, fx->e2 + 1000, &e), DB_NOT_FOUND);
}

/* Collects walked rows as "topic.question=num[:reason]" joined by ' '. */
static int collect(const struct db_api_answer_row *row, void *arg)
{
	char *out = arg;
	char one[80];
	snprintf(one, sizeof one, "%s%zu.%zu=%lld%s%s", *out ? " " : "", row->topic, row->question,
		 (long long)row->value.num, row->reason ? ":" : "", row->reason ? row->reason : "");
	strcat(out, one);
	return 0;
}

static int stop(const struct db_api_answer_row *row, void *arg)
{
	(void)row;
	++*(int *)arg;
	return 7;
}

static void test_db_answers_and_reasons(void **state)
{
	struct fixture *fx = *state;
	char got[400] = "";
	/* Stored out of order: EN-01 importance, AI-01 measures, AI-01 importance; E2 too. */
	put(fx, fx->e1, 2, 1, 3);
	put(fx, fx->e1, 0, 4, 2);
	put(fx, fx->e1, 0, 1, 4);
	put(fx, fx->e2, 0, 1, 1);
	assert_int_equal(db_api_answers_walk(fx->db, fx->sv, fx->r1.id, fx->e1, -1, collect, got), 0);
	assert_string_equal(got, "0.1=4 0.4=2 2.1=3");
	got[0] = '\0';
	assert_int_equal(db_api_answers_walk(fx->db, fx->sv, fx->r1.id, fx->e1, 2, collect, got), 0);
	assert_string_equal(got, "2.1=3");

	/* A reason sticks to its answer row; without a row nothing is written. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_api_reason_set(fx->db, fx->sv, fx->r1.id, fx->e1, 0, 1, "Because."),
			 DB_FOUND);
	assert_int_equal(db_api_reason_set(fx->db, fx->sv, fx->r1.id, fx->e1, 0, 2, "Soon."),
			 DB_NOT_FOUND);
	assert_int_equal(db_commit(fx->db), 0);
	got[0] = '\0';
	assert_int_equal(db_api_answers_walk(fx->db, fx->sv, fx->r1.id, fx->e1, 0, collect, got), 0);
	assert_string_equal(got, "0.1=4:Because. 0.4=2");
	/* Changing the answer keeps the reason (db_answer_put's upsert leaves the column). */
	put(fx, fx->e1, 0, 1, 1);
	got[0] = '\0';
	assert_int_equal(db_api_answers_walk(fx->db, fx->sv, fx->r1.id, fx->e1, 0, collect, got), 0);
	assert_string_equal(got, "0.1=1:Because. 0.4=2");
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_api_reason_set(fx->db, fx->sv, fx->r1.id, fx->e1, 0, 1, NULL), DB_FOUND);
	assert_int_equal(db_commit(fx->db), 0);
	got[0] = '\0';
	assert_int_equal(db_api_answers_walk(fx->db, fx->sv, fx->r1.id, fx->e1, 0, collect, got), 0);
	assert_string_equal(got, "0.1=1 0.4=2");
	/* A callback's non-zero value stops the walk and comes back. */
	int calls = 0;
	assert_int_equal(db_api_answers_walk(fx->db, fx->sv, fx->r1.id, fx->e1, -1, stop, &calls),
			 7);
	assert_int_equal(calls, 1);
}

/* db_api_topic_answers: one topic's answers of one expert by question index, with the reasons
 * copied; questions without an answer are absent (their slots left alone but for present), other
 * experts' and topics' answers are not read. */
static void test_db_topic_answers(void **state)
{
	struct fixture *fx = *state;
	struct answer v[SURVEY_MAX_QUESTIONS];
	bool present[SURVEY_MAX_QUESTIONS];
	char *reason[SURVEY_MAX_QUESTIONS] = { NULL };
	for (size_t i = 0; i < SURVEY_MAX_QUESTIONS; i++)
		v[i] = (struct answer)ANSWER_INIT;
	put(fx, fx->e1, 0, 1, 4);
	put(fx, fx->e1, 0, 4, 2);
	put(fx, fx->e1, 2, 1, 3); /* another topic */
	put(fx, fx->e2, 0, 0, 1); /* another expert */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_api_reason_set(fx->db, fx->sv, fx->r1.id, fx->e1, 0, 1, "Because."),
			 DB_FOUND);
	assert_int_equal(db_commit(fx->db), 0);

	assert_int_equal(db_api_topic_answers(fx->db, fx->sv, fx->r1.id, fx->e1, 0, v, present,
					      reason), 0);
	for (size_t q = 0; q < fx->sv->survey->n_questions; q++)
		assert_int_equal(present[q], q == 1 || q == 4);
	assert_true(v[1].special == ANSWER_VALUE && v[1].num == 4);
	assert_true(v[4].special == ANSWER_VALUE && v[4].num == 2);
	assert_string_equal(reason[1], "Because.");
	assert_null(reason[4]);

	/* Read again after the reason is cleared and another answer added: slots are replaced. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_api_reason_set(fx->db, fx->sv, fx->r1.id, fx->e1, 0, 1, NULL), DB_FOUND);
	assert_int_equal(db_commit(fx->db), 0);
	put(fx, fx->e1, 0, 0, 3);
	assert_int_equal(db_api_topic_answers(fx->db, fx->sv, fx->r1.id, fx->e1, 0, v, present,
					      reason), 0);
	assert_true(present[0] && present[1] && present[4]);
	assert_int_equal(v[0].num, 3);
	assert_null(reason[1]);
	/* Nothing stored for E1 in topic 1. */
	assert_int_equal(db_api_topic_answers(fx->db, fx->sv, fx->r1.id, fx->e1, 1, v, present,
					      reason), 0);
	for (size_t q = 0; q < fx->sv->survey->n_questions; q++)
		assert_false(present[q]);
	for (size_t i = 0; i < SURVEY_MAX_QUESTIONS; i++) {
		answer_release(&v[i]);
		free(reason[i]);
	}
}

/* db_api_round_of: the latest round with the expert's invitation, in one look-up. */
static void test_db_round_of(void **state)
{
	struct fixture *fx = *state;
	struct db_round r;
	bool in = false;
	assert_int_equal(db_api_round_of(fx->db, fx->sv->id, fx->e1, &r, &in), DB_FOUND);
	assert_int_equal(r.id, fx->r1.id);
	assert_int_equal(r.number, 1);
	assert_int_equal(r.state, DB_ROUND_OPEN);
	assert_string_equal(r.opened_at, fx->r1.opened_at);
	assert_string_equal(r.closed_at, "");
	assert_true(in);
	exec_sql(fx->path, "DELETE FROM invitations WHERE expert_id = (SELECT id FROM experts "
			   "WHERE ext_id = 'E2')");
	assert_int_equal(db_api_round_of(fx->db, fx->sv->id, fx->e2, &r, &in), DB_FOUND);
	assert_false(in);
	/* Closed, then round 2 (respondents of round 1: nobody answered, so it is not opened). */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_api_round_of(fx->db, fx->sv->id, fx->e1, &r, &in), DB_FOUND);
	assert_int_equal(r.state, DB_ROUND_CLOSED);
	assert_int_equal(r.number, 1);
	assert_true(in);
	/* No such survey: nothing. */
	in = false;
	assert_int_equal(db_api_round_of(fx->db, fx->sv->id + 1000, fx->e1, &r, &in),
			 DB_NOT_FOUND);
	assert_false(in);
}

static void test_db_round_of_no_round(void **state)
{
	struct fixture *fx = *state;
	struct db_round r;
	bool in = false;
	assert_int_equal(db_api_round_of(fx->db, fx->sv->id, fx->e1, &r, &in), DB_NOT_FOUND);
}

struct stat_rows {
	char text[600];
};

static int collect_stat(const struct db_api_stat *s, void *arg)
{
	struct stat_rows *r = arg;
	char one[200];
	snprintf(one, sizeof one, "%s[q%zu %s n%lld med%g q1%g dk%g idx%s cons%d dist%s share%g]",
		 r->text[0] ? " " : "", s->question, s->option, (long long)s->n, s->median, s->q1,
		 s->dont_know, isnan(s->index) ? "NAN" : "set", s->consensus,
		 s->distribution ? s->distribution : "NULL", s->share);
	strcat(r->text, one);
	return 0;
}

static void test_db_topic_stats(void **state)
{
	struct fixture *fx = *state;
	char sql[1600];
	struct stat_rows r = { "" };
	/* Rows written by hand: AI-01 (topic 0) importance (question 1) for "all" and "expert";
	 * measures (question 4) per option for "all"; AI-02 importance for "all". Topic and question
	 * ids are the definition's positions mapped by the stored rows. */
	snprintf(sql, sizeof sql,
		 "INSERT INTO stats (round_id, topic_id, question_id, option, grp, n, dont_know, "
		 "median, q1, idx, consensus, distribution, share) VALUES "
		 "(%lld, %lld, %lld, '', 'all', 4, 0.25, 2.5, 1.75, NULL, 0, '{\"4\":1}', NULL),"
		 "(%lld, %lld, %lld, '', 'expert', 1, 0, 4, 4, 100, 1, '{\"4\":1}', NULL),"
		 "(%lld, %lld, %lld, 'regulation', 'all', 2, NULL, NULL, NULL, NULL, NULL, NULL, 0.5),"
		 "(%lld, %lld, %lld, 'funding', 'all', 2, NULL, NULL, NULL, NULL, NULL, NULL, 1),"
		 "(%lld, %lld, %lld, '', 'all', 9, 0, 3, 3, 50, 1, NULL, NULL)",
		 (long long)fx->r1.id, (long long)fx->sv->topic_ids[0],
		 (long long)fx->sv->question_ids[1], (long long)fx->r1.id,
		 (long long)fx->sv->topic_ids[0], (long long)fx->sv->question_ids[1],
		 (long long)fx->r1.id, (long long)fx->sv->topic_ids[0],
		 (long long)fx->sv->question_ids[4], (long long)fx->r1.id,
		 (long long)fx->sv->topic_ids[0], (long long)fx->sv->question_ids[4],
		 (long long)fx->r1.id, (long long)fx->sv->topic_ids[1],
		 (long long)fx->sv->question_ids[1]);
	exec_sql(fx->path, sql);
	assert_int_equal(db_api_topic_stats(fx->db, fx->sv, fx->r1.id, 0, "all", collect_stat, &r),
			 0);
	/* Group "all" of topic 0 only, by question then option (funding before regulation);
	 * NULL columns are NAN (share of an ordinal row, index) and consensus -1. */
	assert_string_equal(r.text,
			    "[q1  n4 med2.5 q11.75 dk0.25 idxNAN cons0 dist{\"4\":1} sharenan] "
			    "[q4 funding n2 mednan q1nan dknan idxNAN cons-1 distNULL share1] "
			    "[q4 regulation n2 mednan q1nan dknan idxNAN cons-1 distNULL share0.5]");
	r.text[0] = '\0';
	assert_int_equal(db_api_topic_stats(fx->db, fx->sv, fx->r1.id, 2, "all", collect_stat, &r),
			 0);
	assert_string_equal(r.text, ""); /* EN-01: never aggregated */
}

/* ---- The survey cache ------------------------------------------------------------------------ */

static void test_survey_cache(void **state)
{
	struct fixture *fx = *state; /* no round yet: the definition may still change */
	struct api *a = api_new(fx->path, NULL);
	struct db *ro = NULL;
	struct api_survey *m1, *m2, *m3, *m4;
	char err[DB_ERR_MAX];
	assert_non_null(a);
	assert_int_equal(db_open(fx->path, DB_READONLY, &ro, err), 0);

	assert_int_equal(api_survey_get(a, ro, fx->sv->id, &m1, err, sizeof err), 0);
	assert_int_equal(api_survey_get(a, ro, fx->sv->id, &m2, err, sizeof err), 0);
	assert_ptr_equal(m1, m2); /* one model, shared */
	assert_int_equal(api_survey_topic(m1, "AI-01"), 0);
	assert_int_equal(api_survey_topic(m1, "EN-01"), 2);
	assert_int_equal(api_survey_topic(m1, "AI-02"), 1);
	assert_int_equal(api_survey_topic(m1, "ZZ-99"), -1);
	assert_int_equal(api_survey_topic(m1, ""), -1);
	assert_non_null(strstr(m1->json, "\"slug\":\"cli-test\""));
	assert_int_equal(strlen(m1->json), m1->json_len);

	/* The definition is replaced (possible before the first round): the next get loads it,
	 * while the old model stays valid for those who hold it. loaded_at is moved by hand so
	 * that the test does not depend on the clock's second. */
	size_t len;
	char *json = read_all(SURVEY_V2_FILE, &len);
	struct survey *s2 = load_survey(json, len);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, json, len, s2), DB_STORE_REPLACED);
	assert_int_equal(db_commit(fx->db), 0);
	survey_free(s2);
	free(json);
	exec_sql(fx->path, "UPDATE surveys SET loaded_at = '2001-01-01T00:00:00Z'");
	assert_int_equal(api_survey_get(a, ro, fx->sv->id, &m3, err, sizeof err), 0);
	assert_ptr_not_equal(m3, m1);
	assert_int_equal(m3->sv->survey->n_topics, 4);
	assert_int_equal(m1->sv->survey->n_topics, 3); /* still readable */
	api_survey_put(a, m1);
	api_survey_put(a, m2); /* the last reference: freed (valgrind checks) */

	/* The first round opens: the key changes once more (has_rounds), one reload. */
	struct db_round r;
	int64_t invited;
	struct db_survey *sv2 = NULL;
	assert_int_equal(db_survey_get(fx->db, "cli-test", &sv2), DB_FOUND);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, sv2, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	db_survey_free(sv2);
	assert_int_equal(api_survey_get(a, ro, fx->sv->id, &m4, err, sizeof err), 0);
	assert_ptr_not_equal(m4, m3);
	assert_true(m4->key.has_rounds);
	api_survey_put(a, m3);
	api_survey_put(a, m4);

	/* From then on the definition is fixed and the key is no longer read: a stored key that
	 * (impossibly) changed still gets the cached model. */
	exec_sql(fx->path, "UPDATE surveys SET loaded_at = '2002-02-02T00:00:00Z'");
	assert_int_equal(api_survey_get(a, ro, fx->sv->id, &m1, err, sizeof err), 0);
	assert_ptr_equal(m1, m4);
	api_survey_put(a, m1);

	/* No such survey. */
	assert_int_equal(api_survey_get(a, ro, fx->sv->id + 1000, &m1, err, sizeof err), -1);
	assert_null(m1);
	assert_string_equal(err, "the survey is gone");

	db_close(ro);
	api_free(a); /* frees the cached model */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_parse_change),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_survey_json),
		cmocka_unit_test_setup_teardown(test_db_survey_key_and_expert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_answers_and_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_topic_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_topic_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_round_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_round_of_no_round, setup_no_round, teardown),
		cmocka_unit_test_setup_teardown(test_survey_cache, setup_no_round, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
