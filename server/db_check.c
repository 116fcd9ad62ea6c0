/*
 * db_check — `delphi check`: SQLite's own checks (integrity, foreign keys) and delphi's
 * invariants over a database file, each problem reported as one line. See db_maint.h.
 *
 * The check reads through its own query-only connection and never stops at the first problem:
 * a damaged file should be described as fully as it can be. Every query that cannot run is a
 * problem too (on a damaged file it is often the only symptom). Queries join with LEFT JOIN
 * where the row joined to may be missing, since a missing row is what a foreign-key problem
 * (reported separately) looks like, and the other checks should still say what they can.
 */
#include "db_maint.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checker {
	sqlite3 *conn;
	void (*problem)(const char *text, void *arg);
	void *arg;
	int total;           /* problems found */
	int kind;            /* problems of the current kind */
	const char *kind_of; /* "answers ..." for the line counting those not listed */
};

/* A survey as stored and as its definition loads (s is NULL when it does not). */
struct stored_survey {
	int64_t id;
	char *slug;
	struct survey *s;
	int64_t *question_ids; /* [s->n_questions]: the row of each question, 0 if none */
};

static void begin_kind(struct checker *c, const char *kind_of)
{
	c->kind = 0;
	c->kind_of = kind_of;
}

static void end_kind(struct checker *c)
{
	char line[256];
	if (c->kind <= DB_CHECK_MAX_PER_KIND)
		return;
	snprintf(line, sizeof line, "... and %d more problems of %s", c->kind - DB_CHECK_MAX_PER_KIND,
		 c->kind_of);
	c->problem(line, c->arg);
}

__attribute__((format(printf, 2, 3))) static void problem(struct checker *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	c->total++;
	if (++c->kind > DB_CHECK_MAX_PER_KIND)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	c->problem(line, c->arg);
}

/* Prepares sql; on failure reports that `what` cannot be checked and returns NULL. */
static sqlite3_stmt *prepare(struct checker *c, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->conn, sql, -1, &st, NULL) != SQLITE_OK) {
		problem(c, "cannot check %s: %s", what, sqlite3_errmsg(c->conn));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Finalizes a statement whose last sqlite3_step returned rc; a failure is a problem. */
static int finish(struct checker *c, sqlite3_stmt *st, int rc, const char *what)
{
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		problem(c, "cannot check %s: %s", what, sqlite3_errmsg(c->conn));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

static const char *text_col(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

/* An expert for messages: its id as imported, or its row id when the row is missing. */
static void expert_name(sqlite3_stmt *st, int ext_col, int id_col, char *out, size_t size)
{
	if (sqlite3_column_type(st, ext_col) != SQLITE_NULL)
		snprintf(out, size, "expert \"%s\"", text_col(st, ext_col));
	else
		snprintf(out, size, "expert #%lld (no such expert)",
			 (long long)sqlite3_column_int64(st, id_col));
}

/*
 * SQLite's checks
 */

/* Returns -1 when the file cannot be read as a database at all (nothing more can be checked). */
static int check_integrity(struct checker *c)
{
	static const char SQL[] = "PRAGMA integrity_check";
	int rc, ok = 0, rows = 0;
	begin_kind(c, "integrity");
	sqlite3_stmt *st = prepare(c, SQL, "integrity");
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *row = text_col(st, 0);
		rows++;
		if (!strcmp(row, "ok")) {
			ok = 1;
			continue;
		}
		/* A row may hold several lines, the first naming the schema ("main"). */
		for (const char *p = row; *p;) {
			size_t n = strcspn(p, "\n");
			if (n && strncmp(p, "*** in database ", 16))
				problem(c, "integrity_check: %.*s", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	rc = finish(c, st, rc, "integrity");
	end_kind(c);
	return rc || (!ok && rows == 0) ? -1 : 0;
}

static void check_foreign_keys(struct checker *c)
{
	static const char SQL[] =
		"SELECT k.\"table\", k.rowid, k.parent, l.\"from\" "
		"FROM pragma_foreign_key_check AS k "
		"LEFT JOIN pragma_foreign_key_list(k.\"table\") AS l ON l.id = k.fkid "
		"ORDER BY k.\"table\", k.rowid";
	int rc;
	begin_kind(c, "foreign keys");
	sqlite3_stmt *st = prepare(c, SQL, "foreign keys");
	if (!st)
		return;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char row[64] = "";
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			snprintf(row, sizeof row, " (row %lld)", (long long)sqlite3_column_int64(st, 1));
		problem(c, "foreign key: %s.%s%s refers to a row of %s that does not exist",
			text_col(st, 0), text_col(st, 3), row, text_col(st, 2));
	}
	finish(c, st, rc, "foreign keys");
	end_kind(c);
}

/* The schema version; a problem unless it is the binary's. Returns 1 when it is. */
static int check_version(struct checker *c, struct db_check_summary *sum)
{
	int rc, v = -1;
	begin_kind(c, "the schema version");
	sqlite3_stmt *st = prepare(c, "PRAGMA user_version", "the schema version");
	if (!st)
		return 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (finish(c, st, rc, "the schema version"))
		return 0;
	sum->schema_version = v;
	if (v == db_schema_latest())
		return 1;
	problem(c, "schema version %d, but this delphi's is %d (%s); delphi's own checks were "
		   "skipped", v, db_schema_latest(),
		v < db_schema_latest() ? "run 'delphi init' to migrate it" : "use a newer delphi");
	return 0;
}

static void count_rows(struct checker *c, struct db_check_summary *sum)
{
	static const char SQL[] =
		"SELECT (SELECT count(*) FROM surveys), (SELECT count(*) FROM experts), "
		"(SELECT count(*) FROM rounds), (SELECT count(*) FROM answers), "
		"(SELECT count(*) FROM sessions)";
	int rc;
	begin_kind(c, "counting");
	sqlite3_stmt *st = prepare(c, SQL, "the number of rows");
	if (!st)
		return;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sum->surveys = sqlite3_column_int64(st, 0);
		sum->experts = sqlite3_column_int64(st, 1);
		sum->rounds = sqlite3_column_int64(st, 2);
		sum->answers = sqlite3_column_int64(st, 3);
		sum->sessions = sqlite3_column_int64(st, 4);
	}
	finish(c, st, rc, "the number of rows");
}

/*
 * Surveys: definitions and the rows that mirror them
 */

static void surveys_free(struct stored_survey *sv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(sv[i].slug);
		survey_free(sv[i].s);
		free(sv[i].question_ids);
	}
	free(sv);
}

/* Reads every survey and loads its definition (a definition that does not load is a problem).
 * Returns 0 with *out (n_out entries), or -1 (out of memory, or the table cannot be read). */
static int load_surveys(struct checker *c, struct stored_survey **out, size_t *n_out)
{
	static const char SQL[] = "SELECT id, slug, definition FROM surveys ORDER BY slug";
	struct stored_survey *sv = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = -1;
	*out = NULL;
	*n_out = 0;
	begin_kind(c, "survey definitions");
	sqlite3_stmt *st = prepare(c, SQL, "the surveys");
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			struct stored_survey *p = realloc(sv, cap * sizeof *p);
			if (!p)
				goto oom;
			sv = p;
		}
		struct stored_survey *x = &sv[n];
		memset(x, 0, sizeof *x);
		n++;
		x->id = sqlite3_column_int64(st, 0);
		if (!(x->slug = strdup(text_col(st, 1))))
			goto oom;
		struct survey_error err;
		const char *def = (const char *)sqlite3_column_text(st, 2);
		if (!def ||
		    survey_load_string(def, (size_t)sqlite3_column_bytes(st, 2), x->slug, &x->s,
				       &err)) {
			char line[900];
			if (def)
				survey_error_format(&err, line, sizeof line);
			else
				snprintf(line, sizeof line, "%s: no definition", x->slug);
			problem(c, "survey %s: the stored definition does not load: %s", x->slug, line);
			continue;
		}
		if (strcmp(x->s->slug, x->slug))
			problem(c, "survey %s: the stored definition's slug is \"%s\"", x->slug,
				x->s->slug);
		if (!(x->question_ids = calloc(x->s->n_questions, sizeof *x->question_ids)))
			goto oom;
	}
	ret = finish(c, st, rc, "the surveys");
	st = NULL;
	end_kind(c);
	if (ret)
		goto out;
	*out = sv;
	*n_out = n;
	return 0;
oom:
	problem(c, "cannot check the surveys: out of memory");
out:
	sqlite3_finalize(st);
	surveys_free(sv, n);
	return -1;
}

/* What kind of row a mirror check looks at. */
enum mirror {
	MIRROR_FIELDS,
	MIRROR_TOPICS,
	MIRROR_QUESTIONS,
};

/* The fields, topics or questions rows of one survey against its definition: every row's code
 * is in the definition at the row's position (with the definition's field / kind), and every
 * code of the definition has a row. Fills x->question_ids. */
static void check_mirror(struct checker *c, struct stored_survey *x, enum mirror what)
{
	static const char SQL_FIELDS[] =
		"SELECT id, code, position, NULL FROM fields WHERE survey_id = ?1";
	static const char SQL_TOPICS[] =
		"SELECT t.id, t.code, t.position, f.code FROM topics t "
		"LEFT JOIN fields f ON f.id = t.field_id WHERE t.survey_id = ?1";
	static const char SQL_QUESTIONS[] =
		"SELECT id, key, position, kind FROM questions WHERE survey_id = ?1";
	static const char *const nouns[] = { "field", "topic", "question" };
	const struct survey *s = x->s;
	const char *noun = nouns[what];
	size_t n = what == MIRROR_FIELDS ? s->n_fields
		   : what == MIRROR_TOPICS ? s->n_topics
					   : s->n_questions;
	char *seen = calloc(n ? n : 1, 1);
	int rc;
	if (!seen) {
		problem(c, "cannot check the %ss of %s: out of memory", noun, x->slug);
		return;
	}
	sqlite3_stmt *st = prepare(c,
				   what == MIRROR_FIELDS   ? SQL_FIELDS
				   : what == MIRROR_TOPICS ? SQL_TOPICS
							   : SQL_QUESTIONS,
				   "the definitions' rows");
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, x->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = text_col(st, 1), *extra = text_col(st, 3);
		int64_t pos = sqlite3_column_int64(st, 2);
		int i = what == MIRROR_FIELDS   ? survey_field_index(s, code)
			: what == MIRROR_TOPICS ? survey_topic_index(s, code)
						: survey_question_index(s, code);
		if (i < 0) {
			problem(c, "survey %s: %s %s has a row but is not in the definition", x->slug,
				noun, code);
			continue;
		}
		seen[i] = 1;
		if (pos != i)
			problem(c, "survey %s: %s %s is at position %d in the definition, its row says "
				   "%lld", x->slug, noun, code, i, (long long)pos);
		if (what == MIRROR_TOPICS && strcmp(extra, s->fields[s->topics[i].field].code))
			problem(c, "survey %s: topic %s is in field %s in the definition, its row says "
				   "\"%s\"", x->slug, code, s->fields[s->topics[i].field].code, extra);
		if (what == MIRROR_QUESTIONS) {
			x->question_ids[i] = sqlite3_column_int64(st, 0);
			if (strcmp(extra, survey_kind_name(s->questions[i].kind)))
				problem(c, "survey %s: question %s is %s in the definition, its row says "
					   "\"%s\"", x->slug, code, survey_kind_name(s->questions[i].kind),
					extra);
		}
	}
	if (finish(c, st, rc, "the definitions' rows") == 0) {
		for (size_t i = 0; i < n; i++) {
			if (seen[i])
				continue;
			const char *code = what == MIRROR_FIELDS   ? s->fields[i].code
					   : what == MIRROR_TOPICS ? s->topics[i].code
								   : s->questions[i].key;
			problem(c, "survey %s: %s %s of the definition has no row", x->slug, noun, code);
		}
	}
out:
	free(seen);
}

/*
 * Answers and invitations
 */

static void check_invited(struct checker *c)
{
	static const char SQL[] =
		"SELECT s.slug, r.number, e.ext_id, a.expert_id, count(*) FROM answers a "
		"JOIN rounds r ON r.id = a.round_id JOIN surveys s ON s.id = r.survey_id "
		"LEFT JOIN experts e ON e.id = a.expert_id "
		"WHERE NOT EXISTS (SELECT 1 FROM invitations i "
		"                  WHERE i.round_id = a.round_id AND i.expert_id = a.expert_id) "
		"GROUP BY a.round_id, a.expert_id ORDER BY s.slug, r.number, a.expert_id";
	int rc;
	begin_kind(c, "answers by experts not invited");
	sqlite3_stmt *st = prepare(c, SQL, "invitations");
	if (!st)
		return;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char who[160];
		int64_t n = sqlite3_column_int64(st, 4);
		expert_name(st, 2, 3, who, sizeof who);
		problem(c, "survey %s, round %d: %s has %lld answer%s but is not invited to the round",
			text_col(st, 0), sqlite3_column_int(st, 1), who, (long long)n,
			n == 1 ? "" : "s");
	}
	finish(c, st, rc, "invitations");
	end_kind(c);
}

static void check_belonging(struct checker *c)
{
	static const char SQL_ANSWERS[] =
		"SELECT s.slug, r.number, e.ext_id, a.expert_id, t.code, q.key, "
		"  t.survey_id IS NOT r.survey_id, q.survey_id IS NOT r.survey_id, "
		"  e.survey_id IS NOT r.survey_id "
		"FROM answers a JOIN rounds r ON r.id = a.round_id JOIN surveys s ON s.id = r.survey_id "
		"JOIN topics t ON t.id = a.topic_id JOIN questions q ON q.id = a.question_id "
		"JOIN experts e ON e.id = a.expert_id "
		"WHERE t.survey_id IS NOT r.survey_id OR q.survey_id IS NOT r.survey_id "
		"   OR e.survey_id IS NOT r.survey_id "
		"ORDER BY s.slug, r.number, t.position, q.position, a.expert_id";
	static const char SQL_INVITATIONS[] =
		"SELECT s.slug, r.number, e.ext_id, i.expert_id FROM invitations i "
		"JOIN rounds r ON r.id = i.round_id JOIN surveys s ON s.id = r.survey_id "
		"JOIN experts e ON e.id = i.expert_id WHERE e.survey_id IS NOT r.survey_id "
		"ORDER BY s.slug, r.number, i.expert_id";
	int rc;
	begin_kind(c, "answers of another survey's topics, questions or experts");
	sqlite3_stmt *st = prepare(c, SQL_ANSWERS, "answers' surveys");
	if (st) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			char who[160];
			expert_name(st, 2, 3, who, sizeof who);
			static const char *const parts[] = { "topic", "question", "expert" };
			for (int k = 0; k < 3; k++)
				if (sqlite3_column_int(st, 6 + k))
					problem(c, "survey %s, round %d, %s, topic %s, question %s: the "
						   "%s belongs to another survey", text_col(st, 0),
						sqlite3_column_int(st, 1), who, text_col(st, 4),
						text_col(st, 5), parts[k]);
		}
		finish(c, st, rc, "answers' surveys");
	}
	end_kind(c);
	begin_kind(c, "invitations of another survey's experts");
	if (!(st = prepare(c, SQL_INVITATIONS, "invitations' surveys")))
		return;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char who[160];
		expert_name(st, 2, 3, who, sizeof who);
		problem(c, "survey %s, round %d: %s of another survey is invited", text_col(st, 0),
			sqlite3_column_int(st, 1), who);
	}
	finish(c, st, rc, "invitations' surveys");
	end_kind(c);
}

/* Why the stored answer in the current row of st (columns: see SQL_VALUES) is not valid for q,
 * in why[size]; returns 0 when it is valid. */
static int answer_problem(const struct survey_question *q, sqlite3_stmt *st, char *why,
			  size_t size)
{
	int has_num = sqlite3_column_type(st, 1) != SQLITE_NULL,
	    has_special = sqlite3_column_type(st, 2) != SQLITE_NULL,
	    has_text = sqlite3_column_type(st, 3) != SQLITE_NULL;
	struct answer a = ANSWER_INIT, parsed = ANSWER_INIT;
	char err[ANSWER_ERR_MAX], *spelled = NULL;
	int ret = -1;

	if (has_num + has_special + has_text != 1) {
		snprintf(why, size, "%d of num, special and text are set (exactly one must be)",
			 has_num + has_special + has_text);
		return -1;
	}
	if (has_text) {
		const char *t = text_col(st, 3);
		if (q->kind != SURVEY_TEXT) {
			snprintf(why, size, "a text answer to a %s question (text is only for text "
					    "questions)", survey_kind_name(q->kind));
			return -1;
		}
		if (strlen(t) != (size_t)sqlite3_column_bytes(st, 3)) {
			snprintf(why, size, "the text contains a NUL byte");
			return -1;
		}
		/* The text form of a text answer is the text itself. */
		if (answer_parse_text(q, t, &parsed, err)) {
			snprintf(why, size, "%s", err);
			return -1;
		}
		answer_release(&parsed);
		return 0;
	}
	if (has_special) {
		int sp = answer_special_parse(text_col(st, 2));
		if (sp <= 0) {
			snprintf(why, size, "unknown special \"%.40s\"", text_col(st, 2));
			return -1;
		}
		a.special = (enum answer_special)sp;
	} else {
		if (sqlite3_column_type(st, 1) != SQLITE_INTEGER) {
			snprintf(why, size, "num is %s, not an integer",
				 sqlite3_column_type(st, 1) == SQLITE_FLOAT ? "a real number"
									     : "not a number");
			return -1;
		}
		if (q->kind == SURVEY_TEXT) {
			snprintf(why, size, "a number for a text question");
			return -1;
		}
		a.num = sqlite3_column_int64(st, 1);
	}
	/* The rest is the answer's own rules: spell the stored answer, parse it back. */
	if (!(spelled = answer_to_text(q, &a))) {
		if (a.special != ANSWER_VALUE)
			snprintf(why, size, "\"%s\" is not an answer to a %s question",
				 answer_special_name(a.special), survey_kind_name(q->kind));
		else
			snprintf(why, size, "option mask %lld has bits beyond the question's %zu "
					    "options", (long long)a.num, q->n_options);
		goto out;
	}
	if (answer_parse_text(q, spelled, &parsed, err)) {
		snprintf(why, size, "%s", err);
		goto out;
	}
	ret = 0;
out:
	answer_release(&parsed);
	free(spelled);
	return ret;
}

static void check_values(struct checker *c, const struct stored_survey *x)
{
	static const char SQL_VALUES[] =
		"SELECT a.question_id, a.num, a.special, a.text, r.number, e.ext_id, a.expert_id, "
		"  t.code, q.key "
		"FROM answers a JOIN rounds r ON r.id = a.round_id "
		"LEFT JOIN experts e ON e.id = a.expert_id LEFT JOIN topics t ON t.id = a.topic_id "
		"LEFT JOIN questions q ON q.id = a.question_id "
		"WHERE r.survey_id = ?1 ORDER BY r.number, t.position, q.position, a.expert_id";
	const struct survey *s = x->s;
	int rc;
	sqlite3_stmt *st = prepare(c, SQL_VALUES, "answers' values");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, x->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t qid = sqlite3_column_int64(st, 0);
		size_t i = 0;
		while (i < s->n_questions && x->question_ids[i] != qid)
			i++;
		if (i == s->n_questions)
			continue; /* a question of another survey, or none: reported elsewhere */
		char why[512], who[160];
		if (answer_problem(&s->questions[i], st, why, sizeof why) == 0)
			continue;
		expert_name(st, 5, 6, who, sizeof who);
		problem(c, "survey %s, round %d, %s, topic %s, question %s: %s", x->slug,
			sqlite3_column_int(st, 4), who, text_col(st, 7), s->questions[i].key, why);
	}
	finish(c, st, rc, "answers' values");
}

/* The limit docs/api.md sets on a reason. */
#define REASON_MAX 2000

/* Reasons (answers.reason, schema version 2 on): only on answers to ordinal and year questions,
 * from round 2 on, when the definition asks for them; clean UTF-8 of at most REASON_MAX bytes. */
static void check_reasons(struct checker *c, const struct stored_survey *x)
{
	static const char SQL_HAS[] =
		"SELECT count(*) FROM pragma_table_info('answers') WHERE name = 'reason'";
	static const char SQL_REASONS[] =
		"SELECT a.question_id, a.reason, r.number, e.ext_id, a.expert_id, t.code "
		"FROM answers a JOIN rounds r ON r.id = a.round_id "
		"LEFT JOIN experts e ON e.id = a.expert_id LEFT JOIN topics t ON t.id = a.topic_id "
		"LEFT JOIN questions q ON q.id = a.question_id "
		"WHERE r.survey_id = ?1 AND a.reason IS NOT NULL "
		"ORDER BY r.number, t.position, q.position, a.expert_id";
	const struct survey *s = x->s;
	int rc, has = 0;
	sqlite3_stmt *st = prepare(c, SQL_HAS, "reasons");
	if (!st)
		return;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		has = sqlite3_column_int(st, 0);
	if (finish(c, st, rc, "reasons") || !has)
		return;
	if (!(st = prepare(c, SQL_REASONS, "reasons")))
		return;
	sqlite3_bind_int64(st, 1, x->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t qid = sqlite3_column_int64(st, 0);
		int round = sqlite3_column_int(st, 2);
		size_t i = 0, len = (size_t)sqlite3_column_bytes(st, 1);
		const char *reason = text_col(st, 1);
		char why[160], who[160];
		while (i < s->n_questions && x->question_ids[i] != qid)
			i++;
		if (i == s->n_questions)
			continue;
		const struct survey_question *q = &s->questions[i];
		if (q->kind != SURVEY_ORDINAL && q->kind != SURVEY_YEAR)
			snprintf(why, sizeof why, "a reason on an answer to a %s question (reasons are "
						  "for ordinal and year questions)", survey_kind_name(q->kind));
		else if (round < 2)
			snprintf(why, sizeof why, "a reason in round %d (reasons are given from round 2 "
						  "on)", round);
		else if (s->reason_outside_iqr == SURVEY_REASON_OFF)
			snprintf(why, sizeof why, "a reason, but the definition's "
						  "rounds.reason_outside_iqr is \"off\"");
		else if (len > REASON_MAX)
			snprintf(why, sizeof why, "the reason is %zu bytes (at most %d)", len,
				 REASON_MAX);
		else if (strlen(reason) != len || !answer_is_clean_utf8(reason, len))
			snprintf(why, sizeof why, "the reason is not clean UTF-8 text");
		else
			continue;
		expert_name(st, 3, 4, who, sizeof who);
		problem(c, "survey %s, round %d, %s, topic %s, question %s: %s", x->slug, round, who,
			text_col(st, 5), q->key, why);
	}
	finish(c, st, rc, "reasons");
}

/*
 * Rounds and sessions
 */

static void check_rounds(struct checker *c, const struct stored_survey *x)
{
	static const char SQL[] = "SELECT number, state FROM rounds WHERE survey_id = ?1 "
				  "ORDER BY number";
	char numbers[200] = "", open[200] = "";
	size_t nl = 0, ol = 0;
	int rc, n = 0, gaps = 0, n_open = 0, last = 0, last_open = 0;
	sqlite3_stmt *st = prepare(c, SQL, "rounds");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, x->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int number = sqlite3_column_int(st, 0);
		n++;
		if (number != n)
			gaps = 1;
		if (nl < sizeof numbers)
			nl += (size_t)snprintf(numbers + nl, sizeof numbers - nl, "%s%d",
					       nl ? ", " : "", number);
		if (!strcmp(text_col(st, 1), "open")) {
			n_open++;
			last_open = number;
			if (ol < sizeof open)
				ol += (size_t)snprintf(open + ol, sizeof open - ol, "%s%d",
						       ol ? ", " : "", number);
		}
		last = number;
	}
	if (finish(c, st, rc, "rounds"))
		return;
	if (gaps)
		problem(c, "survey %s: its rounds are numbered %s, not 1..%d without gaps", x->slug,
			numbers, n);
	if (n_open > 1)
		problem(c, "survey %s: rounds %s are all open (at most one may be)", x->slug, open);
	else if (n_open == 1 && last_open != last)
		problem(c, "survey %s: round %d is open but round %d came after it", x->slug,
			last_open, last);
	if (x->s && last > x->s->n_rounds)
		problem(c, "survey %s: there is a round %d, but the definition has %d round%s",
			x->slug, last, x->s->n_rounds, x->s->n_rounds == 1 ? "" : "s");
}

static void check_sessions(struct checker *c)
{
	static const char SQL[] =
		"SELECT s.rowid, s.user_id, s.expert_id, "
		"  s.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id), "
		"  s.expert_id IS NOT NULL AND "
		"    NOT EXISTS (SELECT 1 FROM experts e WHERE e.id = s.expert_id) "
		"FROM sessions s "
		"WHERE (s.user_id IS NULL) = (s.expert_id IS NULL) "
		"   OR (s.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)) "
		"   OR (s.expert_id IS NOT NULL AND "
		"       NOT EXISTS (SELECT 1 FROM experts e WHERE e.id = s.expert_id)) "
		"ORDER BY s.rowid";
	int rc;
	begin_kind(c, "sessions");
	sqlite3_stmt *st = prepare(c, SQL, "sessions");
	if (!st)
		return;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long row = sqlite3_column_int64(st, 0);
		int has_user = sqlite3_column_type(st, 1) != SQLITE_NULL,
		    has_expert = sqlite3_column_type(st, 2) != SQLITE_NULL;
		if (has_user == has_expert)
			problem(c, "session (row %lld) belongs to %s", row,
				has_user ? "both a user and an expert" : "neither a user nor an expert");
		if (sqlite3_column_int(st, 3))
			problem(c, "session (row %lld) belongs to user #%lld, who does not exist", row,
				(long long)sqlite3_column_int64(st, 1));
		if (sqlite3_column_int(st, 4))
			problem(c, "session (row %lld) belongs to expert #%lld, who does not exist",
				row, (long long)sqlite3_column_int64(st, 2));
	}
	finish(c, st, rc, "sessions");
	end_kind(c);
}

/* delphi's own invariants (the schema is the binary's). */
static void check_invariants(struct checker *c)
{
	struct stored_survey *sv = NULL;
	size_t n = 0;
	if (load_surveys(c, &sv, &n) == 0) {
		static const char *const mirrors[] = { "fields rows", "topics rows", "questions rows" };
		for (int m = MIRROR_FIELDS; m <= MIRROR_QUESTIONS; m++) {
			begin_kind(c, mirrors[m]);
			for (size_t i = 0; i < n; i++)
				if (sv[i].s)
					check_mirror(c, &sv[i], (enum mirror)m);
			end_kind(c);
		}
	}
	check_invited(c);
	check_belonging(c);
	begin_kind(c, "answers' values");
	for (size_t i = 0; i < n; i++)
		if (sv[i].s)
			check_values(c, &sv[i]);
	end_kind(c);
	begin_kind(c, "reasons");
	for (size_t i = 0; i < n; i++)
		if (sv[i].s)
			check_reasons(c, &sv[i]);
	end_kind(c);
	begin_kind(c, "rounds");
	for (size_t i = 0; i < n; i++)
		check_rounds(c, &sv[i]);
	end_kind(c);
	check_sessions(c);
	surveys_free(sv, n);
}

int db_check(const char *path, void (*report)(const char *text, void *arg), void *arg,
	     struct db_check_summary *sum, char err[DB_ERR_MAX])
{
	struct checker c = { NULL, report, arg, 0, 0, "" };
	int rc = -1;

	memset(sum, 0, sizeof *sum);
	sum->schema_version = -1;
	err[0] = '\0';
	/* Read-write but query-only: see db_backup.c. */
	if (sqlite3_open_v2(path, &c.conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, DB_ERR_MAX, "%s: %s", path,
			 c.conn ? sqlite3_errmsg(c.conn) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(c.conn, 5000);
	sqlite3_exec(c.conn, "PRAGMA query_only = ON", NULL, NULL, NULL);
	/* One read transaction: every check sees the same snapshot. */
	begin_kind(&c, "reading");
	if (sqlite3_exec(c.conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		problem(&c, "cannot read the database: %s", sqlite3_errmsg(c.conn));
		rc = c.total;
		goto out;
	}
	if (check_integrity(&c) == 0) {
		check_foreign_keys(&c);
		if (check_version(&c, sum)) {
			count_rows(&c, sum);
			check_invariants(&c);
		}
	}
	sqlite3_exec(c.conn, "COMMIT", NULL, NULL, NULL);
	rc = c.total;
out:
	sqlite3_close_v2(c.conn);
	return rc;
}
