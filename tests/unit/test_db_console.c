/*
 * test_db_console — db_console.c against a real database file, with the survey of
 * tests/data/cli/survey.json (fields AI, EN; topics AI-01, AI-02, EN-01; questions expertise,
 * importance, tech_year, social_year, measures, comment). Covers: the look-ups, rounds with their
 * counts and scheduled close, moving that close (db_console_round_schedule: set, moved, removed,
 * refused on a closed round with nothing written), reopening, experts with their rounds as bit
 * sets, progress by sector and topic, comment moderation (pending until decided; a decision holds
 * only for the text it was made on; approving again keeps the order; the approved list for the
 * feedback), and the pages of the mail and audit logs. Every expected value is worked out from the
 * data the test writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "db_console.h"
#include "db_mail.h"

#define SURVEY_FILE "tests/data/cli/survey.json"
enum { Q_EXPERTISE, Q_IMPORTANCE, Q_TECH, Q_SOCIAL, Q_MEASURES, Q_COMMENT };
enum { T_AI1, T_AI2, T_EN1 };

struct fixture {
	char dir[64], path[128];
	struct db *db;
	struct db_survey *sv;
	int64_t x[4]; /* experts X1 (academia, AI), X2 (industry, AI;EN), X3 (industry, EN),
		       * X4 (other, EN) */
	struct db_round r1;
};

static int64_t add_expert(struct fixture *fx, const char *ext_id, enum db_sector sector,
			  const size_t *fields, size_t n)
{
	struct db_expert_in in = { ext_id, "Name", "", sector, fields, n };
	char token[DB_TOKEN_HEX + 1];
	bool created;
	struct db_expert_ref ref;
	assert_int_equal(db_expert_upsert(fx->db, fx->sv, &in, token, &created), 0);
	assert_int_equal(db_expert_by_ext_id(fx->db, fx->sv->id, ext_id, &ref), DB_FOUND);
	return ref.id;
}

static void put(struct fixture *fx, int64_t round_id, int64_t expert, size_t topic, size_t q,
		const char *text)
{
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX];
	assert_int_equal(answer_parse_text(&fx->sv->survey->questions[q], text, &a, err), 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_answer_put(fx->db, fx->sv, round_id, expert, topic, q, &a), 0);
	assert_int_equal(db_commit(fx->db), 0);
	answer_release(&a);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX], json[8192];
	struct survey *s = NULL;
	struct survey_error serr;
	FILE *f = fopen(SURVEY_FILE, "rb");
	int64_t invited;
	assert_non_null(fx);
	assert_non_null(f);
	size_t len = fread(json, 1, sizeof json, f);
	fclose(f);
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_db_console.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	assert_int_equal(survey_load_string(json, len, "test", &s, &serr), 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, json, len, s), DB_STORE_CREATED);
	assert_int_equal(db_commit(fx->db), 0);
	survey_free(s);
	assert_int_equal(db_survey_get(fx->db, "cli-test", &fx->sv), DB_FOUND);
	static const size_t ai[] = { 0 }, ai_en[] = { 0, 1 }, en[] = { 1 };
	assert_int_equal(db_begin(fx->db), 0);
	fx->x[0] = add_expert(fx, "X1", DB_SECTOR_ACADEMIA, ai, 1);
	fx->x[1] = add_expert(fx, "X2", DB_SECTOR_INDUSTRY, ai_en, 2);
	fx->x[2] = add_expert(fx, "X3", DB_SECTOR_INDUSTRY, en, 1);
	fx->x[3] = add_expert(fx, "X4", DB_SECTOR_OTHER, en, 1);
	assert_int_equal(db_round_open(fx->db, fx->sv, &fx->r1, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(invited, 4);
	*state = fx;
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

static void test_lookups(void **state)
{
	struct fixture *fx = *state;
	int64_t id = 0;
	char name[DB_USER_NAME_MAX + 1];
	assert_int_equal(db_console_survey_id(fx->db, "cli-test", &id), DB_FOUND);
	assert_int_equal(id, fx->sv->id);
	assert_int_equal(db_console_survey_id(fx->db, "nope", &id), DB_NOT_FOUND);
	/* A slug is compared exactly: no pattern matching. */
	assert_int_equal(db_console_survey_id(fx->db, "cli-%", &id), DB_NOT_FOUND);
	int64_t uid;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_user_add(fx->db, "carol", DB_ROLE_COORDINATOR, "x", &uid), DB_USER_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_console_user_name(fx->db, uid, name), DB_FOUND);
	assert_string_equal(name, "carol");
	assert_int_equal(db_console_user_name(fx->db, uid + 1, name), DB_NOT_FOUND);
}

struct rounds {
	struct db_console_round v[4];
	size_t n;
};

static int rounds_cb(const struct db_console_round *r, void *arg)
{
	struct rounds *rs = arg;
	rs->v[rs->n++] = *r;
	return 0;
}

static void test_rounds(void **state)
{
	struct fixture *fx = *state;
	struct rounds rs = { .n = 0 };
	struct db_console_round one;
	/* X1 answers twice, X2 once: 4 invited, 2 respondents. */
	put(fx, fx->r1.id, fx->x[0], T_AI1, Q_IMPORTANCE, "4");
	put(fx, fx->r1.id, fx->x[0], T_AI2, Q_IMPORTANCE, "3");
	put(fx, fx->r1.id, fx->x[1], T_EN1, Q_IMPORTANCE, "2");
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_set_close_at(fx->db, fx->r1.id, "2030-01-31T12:00:00Z"), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_console_rounds(fx->db, fx->sv->id, rounds_cb, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].r.number, 1);
	assert_int_equal(rs.v[0].r.state, DB_ROUND_OPEN);
	assert_string_equal(rs.v[0].close_at, "2030-01-31T12:00:00Z");
	assert_string_equal(rs.v[0].r.closed_at, "");
	assert_int_equal(rs.v[0].invited, 4);
	assert_int_equal(rs.v[0].respondents, 2);

	/* Close, then reopen: open again, closed_at cleared, close_at kept. */
	struct db_round r;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_console_round_get(fx->db, fx->sv->id, 1, &one), DB_FOUND);
	assert_int_equal(one.r.state, DB_ROUND_CLOSED);
	assert_int_not_equal(one.r.closed_at[0], '\0');
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_reopen(fx->db, fx->r1.id), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_console_round_get(fx->db, fx->sv->id, 0, &one), DB_FOUND);
	assert_int_equal(one.r.number, 1);
	assert_int_equal(one.r.state, DB_ROUND_OPEN);
	assert_string_equal(one.r.closed_at, "");
	assert_string_equal(one.close_at, "2030-01-31T12:00:00Z");
	assert_int_equal(db_console_round_get(fx->db, fx->sv->id, 2, &one), DB_NOT_FOUND);
}

/* The newest audit row as "ACTOR ACTION DETAIL" into arg (160 bytes). */
static int last_schedule_cb(const struct db_console_audit_row *row, void *arg)
{
	char *out = arg;
	snprintf(out, 160, "%s %s %s", row->actor, row->action, row->detail);
	return 0;
}

static void assert_last_audit(struct fixture *fx, const char *want)
{
	char got[160] = "";
	assert_int_equal(db_console_audit(fx->db, 0, 1, last_schedule_cb, got), 0);
	assert_string_equal(got, want);
}

static void test_round_schedule(void **state)
{
	struct fixture *fx = *state;
	struct db_console_round now;
	char previous[DB_TIME_MAX];
	struct db_round r;
	/* Round 1 is open without a scheduled close: set, move, remove. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_schedule(fx->db, fx->sv, "t", "2030-01-31T12:00:00Z", &now,
						   previous),
			 DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(now.r.number, 1);
	assert_int_equal(now.r.state, DB_ROUND_OPEN);
	assert_string_equal(now.close_at, "2030-01-31T12:00:00Z");
	assert_string_equal(previous, "");
	assert_last_audit(fx, "t round.schedule survey=cli-test round=1 close_at=2030-01-31T12:00:00Z "
			      "previous=none");
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_schedule(fx->db, fx->sv, "t", "2030-02-07T12:00:00Z", &now,
						   previous),
			 DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_string_equal(previous, "2030-01-31T12:00:00Z");
	assert_last_audit(fx, "t round.schedule survey=cli-test round=1 close_at=2030-02-07T12:00:00Z "
			      "previous=2030-01-31T12:00:00Z");
	assert_int_equal(db_console_round_get(fx->db, fx->sv->id, 1, &now), DB_FOUND);
	assert_string_equal(now.close_at, "2030-02-07T12:00:00Z");
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_schedule(fx->db, fx->sv, "t", NULL, &now, previous),
			 DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_string_equal(now.close_at, "");
	assert_string_equal(previous, "2030-02-07T12:00:00Z");
	assert_last_audit(fx, "t round.schedule survey=cli-test round=1 close_at=none "
			      "previous=2030-02-07T12:00:00Z");
	assert_int_equal(db_console_round_get(fx->db, fx->sv->id, 1, &now), DB_FOUND);
	assert_string_equal(now.close_at, "");

	/* A closed round: refused, nothing written (neither the close_at nor an audit row). */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_set_close_at(fx->db, fx->r1.id, "2030-03-01T00:00:00Z"), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_audit(fx->db, "t", "test.mark", "closed"), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_round_schedule(fx->db, fx->sv, "t", "2030-04-01T00:00:00Z", &now,
						   previous),
			 DB_ROUND_NONE_OPEN);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(now.r.number, 1);
	assert_int_equal(now.r.state, DB_ROUND_CLOSED);
	assert_string_equal(previous, "");
	assert_last_audit(fx, "t test.mark closed");
	assert_int_equal(db_console_round_get(fx->db, fx->sv->id, 1, &now), DB_FOUND);
	assert_string_equal(now.close_at, "2030-03-01T00:00:00Z");
}

struct experts {
	char line[4][96];
	size_t n;
};

static int experts_cb(const struct db_console_expert *e, void *arg)
{
	struct experts *x = arg;
	snprintf(x->line[x->n++], sizeof x->line[0], "%s %s %s %u %u", e->info.ext_id,
		 e->info.sector, e->info.fields, e->invited, e->responded);
	return 0;
}

static void test_experts_by_round(void **state)
{
	struct fixture *fx = *state;
	struct experts x = { .n = 0 };
	struct db_round r2;
	int64_t invited;
	/* Round 1: X1 and X3 answer; round 2 invites them only (invite: respondents); X3 answers
	 * it. Bits: round 1 = 1, round 2 = 2. */
	put(fx, fx->r1.id, fx->x[0], T_AI1, Q_IMPORTANCE, "4");
	put(fx, fx->r1.id, fx->x[2], T_EN1, Q_IMPORTANCE, "1");
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r2), DB_ROUND_DONE);
	assert_int_equal(db_round_open(fx->db, fx->sv, &r2, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(invited, 2);
	put(fx, r2.id, fx->x[2], T_EN1, Q_IMPORTANCE, "2");
	assert_int_equal(db_console_experts(fx->db, fx->sv->id, experts_cb, &x), 0);
	assert_int_equal(x.n, 4);
	assert_string_equal(x.line[0], "X1 academia AI 3 1");
	assert_string_equal(x.line[1], "X2 industry AI;EN 1 0");
	assert_string_equal(x.line[2], "X3 industry EN 3 3");
	assert_string_equal(x.line[3], "X4 other EN 1 0");
}

struct lines {
	char v[8][64];
	size_t n;
};

/* "invited respondents answers" of one level. */
static void counts(char out[64], const struct db_round_counts *c)
{
	snprintf(out, 64, "%lld %lld %lld", (long long)c->invited, (long long)c->respondents,
		 (long long)c->answers);
}

/* db_console_progress's total and fields are db_round_status's, counted another way. */
static void same_as_status(struct fixture *fx, const struct db_round *r,
			   const struct db_console_progress *p)
{
	struct db_round_status st;
	char a[64], b[64];
	assert_int_equal(db_round_status(fx->db, fx->sv, r, &st), 0);
	counts(a, &p->total);
	counts(b, &st.total);
	assert_string_equal(a, b);
	assert_int_equal(p->n_fields, st.n_fields);
	for (size_t f = 0; f < p->n_fields; f++) {
		counts(a, &p->fields[f]);
		counts(b, &st.per_field[f]);
		assert_string_equal(a, b);
	}
	db_round_status_release(&st);
}

static void test_progress(void **state)
{
	struct fixture *fx = *state;
	struct db_console_progress p;
	struct db_round r2;
	int64_t invited;
	char c[64];
	/* AI-01: X1 (2 answers), X2 (1); EN-01: X2 (1). Industry: X2 and X3 invited, X2 answered. */
	put(fx, fx->r1.id, fx->x[0], T_AI1, Q_IMPORTANCE, "4");
	put(fx, fx->r1.id, fx->x[0], T_AI1, Q_EXPERTISE, "3");
	put(fx, fx->r1.id, fx->x[1], T_AI1, Q_IMPORTANCE, "2");
	put(fx, fx->r1.id, fx->x[1], T_EN1, Q_IMPORTANCE, "1");
	assert_int_equal(db_console_progress(fx->db, fx->sv, fx->r1.id, &p), 0);
	counts(c, &p.total);
	assert_string_equal(c, "4 2 4");
	assert_int_equal(p.n_fields, 2);
	counts(c, &p.fields[0]); /* AI: X1 and X2 have the field and answered its topic */
	assert_string_equal(c, "2 2 3");
	counts(c, &p.fields[1]); /* EN: X2, X3, X4 have it; X2 answered EN-01 */
	assert_string_equal(c, "3 1 1");
	counts(c, &p.sectors[DB_SECTOR_ACADEMIA]);
	assert_string_equal(c, "1 1 0");
	counts(c, &p.sectors[DB_SECTOR_INDUSTRY]);
	assert_string_equal(c, "2 1 0");
	counts(c, &p.sectors[DB_SECTOR_GOVERNMENT]);
	assert_string_equal(c, "0 0 0");
	counts(c, &p.sectors[DB_SECTOR_OTHER]);
	assert_string_equal(c, "1 0 0");
	assert_int_equal(p.n_topics, 3);
	counts(c, &p.topics[T_AI1]);
	assert_string_equal(c, "0 2 3");
	counts(c, &p.topics[T_AI2]);
	assert_string_equal(c, "0 0 0");
	counts(c, &p.topics[T_EN1]);
	assert_string_equal(c, "0 1 1");
	same_as_status(fx, &fx->r1, &p);
	db_console_progress_release(&p);

	/* Round 2 invites X1 and X2 (the respondents); X2 answers EN-01 twice over: only round 2's
	 * answers count. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r2), DB_ROUND_DONE);
	assert_int_equal(db_round_open(fx->db, fx->sv, &r2, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	put(fx, r2.id, fx->x[1], T_EN1, Q_IMPORTANCE, "2");
	put(fx, r2.id, fx->x[1], T_EN1, Q_EXPERTISE, "2");
	assert_int_equal(db_console_progress(fx->db, fx->sv, r2.id, &p), 0);
	counts(c, &p.total);
	assert_string_equal(c, "2 1 2");
	counts(c, &p.fields[0]);
	assert_string_equal(c, "2 0 0");
	counts(c, &p.fields[1]);
	assert_string_equal(c, "1 1 2");
	counts(c, &p.sectors[DB_SECTOR_ACADEMIA]);
	assert_string_equal(c, "1 0 0");
	counts(c, &p.sectors[DB_SECTOR_INDUSTRY]);
	assert_string_equal(c, "1 1 0");
	counts(c, &p.topics[T_AI1]);
	assert_string_equal(c, "0 0 0");
	counts(c, &p.topics[T_EN1]);
	assert_string_equal(c, "0 1 2");
	same_as_status(fx, &r2, &p);
	db_console_progress_release(&p);
}

struct comments {
	char v[8][160];
	int64_t topic_id[8], question_id[8], expert_id[8];
	size_t n;
};

static int comment_cb(const struct db_console_comment *c, void *arg)
{
	struct comments *x = arg;
	snprintf(x->v[x->n], sizeof x->v[0], "%zu %zu %s %s %s", c->topic, c->question, c->text,
		 db_comment_status_name(c->status), c->decided_by);
	x->topic_id[x->n] = c->topic_id;
	x->question_id[x->n] = c->question_id;
	x->expert_id[x->n] = c->expert_id;
	x->n++;
	return 0;
}

static int approved_cb(const char *text, void *arg)
{
	struct lines *l = arg;
	snprintf(l->v[l->n++], sizeof l->v[0], "%s", text);
	return 0;
}

static int decide(struct fixture *fx, const struct comments *c, size_t i,
		  enum db_comment_status st)
{
	assert_int_equal(db_begin(fx->db), 0);
	int rc = db_console_comment_decide(fx->db, fx->r1.id, c->topic_id[i], c->question_id[i],
					   c->expert_id[i], st, "user:carol");
	assert_int_equal(db_commit(fx->db), 0);
	return rc;
}

static void test_moderation(void **state)
{
	struct fixture *fx = *state;
	struct comments c = { .n = 0 };
	struct lines ap = { .n = 0 };
	int64_t ai1 = fx->sv->topic_ids[T_AI1];
	/* Two comments on AI-01 (X1 "alpha", X2 "beta"), one on EN-01 (X2 "gamma"); a number
	 * answer is not a comment. */
	put(fx, fx->r1.id, fx->x[0], T_AI1, Q_COMMENT, "alpha");
	put(fx, fx->r1.id, fx->x[1], T_AI1, Q_COMMENT, "beta");
	put(fx, fx->r1.id, fx->x[1], T_EN1, Q_COMMENT, "gamma");
	put(fx, fx->r1.id, fx->x[1], T_EN1, Q_IMPORTANCE, "3");
	assert_int_equal(db_console_comments(fx->db, fx->r1.id, DB_COMMENT_ANY, comment_cb, &c), 0);
	assert_int_equal(c.n, 3);
	/* Ordered by topic, question, pseudonym: the two of AI-01 in pseudonym order. */
	assert_string_equal(c.v[2], "2 5 gamma pending ");
	size_t alpha = strstr(c.v[0], "alpha") ? 0 : 1, beta = 1 - alpha;

	/* Approve beta then alpha; the approved list is in the order of approval. */
	assert_int_equal(decide(fx, &c, beta, DB_COMMENT_APPROVED), DB_FOUND);
	assert_int_equal(decide(fx, &c, alpha, DB_COMMENT_APPROVED), DB_FOUND);
	assert_int_equal(db_console_comments_approved(fx->db, fx->r1.id, ai1, approved_cb, &ap), 0);
	assert_int_equal(ap.n, 2);
	assert_string_equal(ap.v[0], "beta");
	assert_string_equal(ap.v[1], "alpha");
	/* Approving beta again keeps its place. */
	assert_int_equal(decide(fx, &c, beta, DB_COMMENT_APPROVED), DB_FOUND);
	ap.n = 0;
	assert_int_equal(db_console_comments_approved(fx->db, fx->r1.id, ai1, approved_cb, &ap), 0);
	assert_string_equal(ap.v[0], "beta");

	/* Hiding withdraws; the filter sees it. */
	assert_int_equal(decide(fx, &c, beta, DB_COMMENT_HIDDEN), DB_FOUND);
	ap.n = 0;
	assert_int_equal(db_console_comments_approved(fx->db, fx->r1.id, ai1, approved_cb, &ap), 0);
	assert_int_equal(ap.n, 1);
	assert_string_equal(ap.v[0], "alpha");
	struct comments h = { .n = 0 };
	assert_int_equal(db_console_comments(fx->db, fx->r1.id, DB_COMMENT_HIDDEN, comment_cb, &h), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.v[0], "0 5 beta hidden user:carol");

	/* X1 changes alpha after its approval: pending again, gone from the feedback. */
	put(fx, fx->r1.id, fx->x[0], T_AI1, Q_COMMENT, "alpha, edited");
	struct comments p = { .n = 0 };
	assert_int_equal(db_console_comments(fx->db, fx->r1.id, DB_COMMENT_PENDING, comment_cb, &p), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0], "0 5 alpha, edited pending ");
	assert_string_equal(p.v[1], "2 5 gamma pending ");
	ap.n = 0;
	assert_int_equal(db_console_comments_approved(fx->db, fx->r1.id, ai1, approved_cb, &ap), 0);
	assert_int_equal(ap.n, 0);

	/* A comment that does not exist, and an answer that is not a comment. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_console_comment_decide(fx->db, fx->r1.id, ai1, c.question_id[0],
						   fx->x[3], DB_COMMENT_APPROVED, "user:carol"),
			 DB_NOT_FOUND);
	assert_int_equal(db_console_comment_decide(fx->db, fx->r1.id, fx->sv->topic_ids[T_EN1],
						   fx->sv->question_ids[Q_IMPORTANCE], fx->x[1],
						   DB_COMMENT_APPROVED, "user:carol"),
			 DB_NOT_FOUND);
	assert_int_equal(db_commit(fx->db), 0);
	struct comments one = { .n = 0 };
	assert_int_equal(db_console_comment_get(fx->db, fx->r1.id, c.topic_id[2], c.question_id[2],
						c.expert_id[2], comment_cb, &one),
			 DB_FOUND);
	assert_string_equal(one.v[0], "2 5 gamma pending ");
	assert_int_equal(db_console_comment_get(fx->db, fx->r1.id, c.topic_id[2], c.question_id[2],
						fx->x[3], comment_cb, &one),
			 DB_NOT_FOUND);
	assert_int_equal(db_comment_status_parse("approved"), DB_COMMENT_APPROVED);
	assert_int_equal(db_comment_status_parse("Approved"), -1);
}

struct ids {
	int64_t v[8];
	size_t n;
};

static int mail_cb(const struct db_console_mail_row *m, void *arg)
{
	struct ids *x = arg;
	x->v[x->n++] = m->id;
	return 0;
}

static int audit_cb(const struct db_console_audit_row *a, void *arg)
{
	struct ids *x = arg;
	x->v[x->n++] = a->id;
	return 0;
}

static void test_log_pages(void **state)
{
	struct fixture *fx = *state;
	struct ids m = { .n = 0 }, a = { .n = 0 };
	assert_int_equal(db_begin(fx->db), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(db_mail_log(fx->db, fx->sv->id, fx->x[i % 4], 1, DB_MAIL_INVITATION,
					     DB_MAIL_SENT, "250 ok"),
				 0);
		assert_int_equal(db_audit(fx->db, "cli", "test.action", "detail"), 0);
	}
	assert_int_equal(db_commit(fx->db), 0);
	/* Ids 1..5 (fresh tables): newest first, two at a time, then the page before id 4. */
	assert_int_equal(db_console_mail_log(fx->db, fx->sv->id, 0, 2, mail_cb, &m), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.v[0], 5);
	assert_int_equal(m.v[1], 4);
	m.n = 0;
	assert_int_equal(db_console_mail_log(fx->db, fx->sv->id, 4, 10, mail_cb, &m), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.v[0], 3);
	assert_int_equal(m.v[2], 1);
	m.n = 0;
	assert_int_equal(db_console_mail_log(fx->db, fx->sv->id + 1, 0, 10, mail_cb, &m), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(db_console_audit(fx->db, 3, 10, audit_cb, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.v[0], 2);
	assert_int_equal(a.v[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_experts_by_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moderation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
