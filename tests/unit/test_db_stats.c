/*
 * test_db_stats — db_stats_aggregate and db_stats_load against a real database file: answers
 * stored in an order far from the answers table's key order (round, topic, question, expert),
 * with answers missing here and there, must give the statistics worked out by hand below, for
 * round 1 and, with the stability against round 1, for round 2; an answer from an expert who
 * is not the survey's must fail the aggregation with a message saying so. (Answers naming
 * another survey's topic or question are never read: the pass reads the ranges of the survey's
 * own topics and questions; `delphi check` reports such rows.)
 *
 * The survey is stored twice (a replaced definition, before any round), so that its topic and
 * question row ids are neither dense nor in definition order: v1 has topics T-B, T-X, T-A
 * (ids 1, 2, 3) and questions comment, year, importance, junk, measures, expertise (ids 1..6);
 * v2 drops T-X and junk and adds T-C (id 4) and social (id 7), in the order
 *   topics    T-A (3), T-C (4), T-B (1)
 *   questions expertise (6), importance (3), year (2), measures (5), comment (1), social (7).
 * The aggregation must map every answer to the topic and question it names all the same.
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

#include "crypto.h"
#include "db.h"
#include "db_stats.h"

#define HEAD                                                                                     \
	"{\"slug\": \"stats-test\", \"title\": {\"en\": \"Stats test\"}, \"year\": 2025, "      \
	"\"horizon\": 2040, \"languages\": [\"en\"], "                                           \
	"\"fields\": [{\"code\": \"F\", \"title\": {\"en\": \"F\"}}], "                          \
	"\"rounds\": {\"count\": 2, \"invite\": \"respondents\"}, "
#define TOPIC(c) "{\"code\": \"" c "\", \"field\": \"F\", \"title\": {\"en\": \"" c "\"}}"
#define Q_COMMENT "{\"key\": \"comment\", \"kind\": \"text\", \"text\": {\"en\": \"c\"}}"
#define Q_YEAR(k)                                                                                \
	"{\"key\": \"" k "\", \"kind\": \"year\", \"text\": {\"en\": \"y\"}, "                   \
	"\"special\": [\"already\", \"never\", \"dont_know\"]}"
#define Q_IMPORTANCE(k)                                                                          \
	"{\"key\": \"" k "\", \"kind\": \"ordinal\", \"text\": {\"en\": \"i\"}, \"labels\": ["   \
	"{\"value\": 4, \"text\": {\"en\": \"4\"}}, {\"value\": 3, \"text\": {\"en\": \"3\"}}, " \
	"{\"value\": 2, \"text\": {\"en\": \"2\"}}, {\"value\": 1, \"text\": {\"en\": \"1\"}}], "\
	"\"dont_know\": true}"
#define Q_MEASURES                                                                               \
	"{\"key\": \"measures\", \"kind\": \"multi\", \"text\": {\"en\": \"m\"}, \"options\": [" \
	"{\"code\": \"collaboration\", \"text\": {\"en\": \"c\"}}, "                            \
	"{\"code\": \"funding\", \"text\": {\"en\": \"f\"}}, "                                  \
	"{\"code\": \"regulation\", \"text\": {\"en\": \"r\"}}]}"
#define Q_EXPERTISE                                                                              \
	"{\"key\": \"expertise\", \"kind\": \"ordinal\", \"text\": {\"en\": \"e\"}, \"labels\": [" \
	"{\"value\": 3, \"text\": {\"en\": \"3\"}}, {\"value\": 2, \"text\": {\"en\": \"2\"}}, " \
	"{\"value\": 1, \"text\": {\"en\": \"1\"}}]}"

static const char SURVEY_V1[] =
	HEAD "\"topics\": [" TOPIC("T-B") ", " TOPIC("T-X") ", " TOPIC("T-A") "], "
	"\"questions\": [" Q_COMMENT ", " Q_YEAR("year") ", " Q_IMPORTANCE("importance") ", "
	Q_IMPORTANCE("junk") ", " Q_MEASURES ", " Q_EXPERTISE "]}";
static const char SURVEY_V2[] =
	HEAD "\"topics\": [" TOPIC("T-A") ", " TOPIC("T-C") ", " TOPIC("T-B") "], "
	"\"questions\": [" Q_EXPERTISE ", " Q_IMPORTANCE("importance") ", " Q_YEAR("year") ", "
	Q_MEASURES ", " Q_COMMENT ", " Q_YEAR("social") "]}";
/* Another survey, for answers that name its topic, question or expert. */
static const char SURVEY_OTHER[] =
	"{\"slug\": \"other\", \"title\": {\"en\": \"Other\"}, \"year\": 2025, \"horizon\": 2040, "
	"\"languages\": [\"en\"], \"fields\": [{\"code\": \"F\", \"title\": {\"en\": \"F\"}}], "
	"\"topics\": [" TOPIC("O-1") "], \"questions\": [" Q_IMPORTANCE("importance") "]}";

/* v2's indices */
enum { T_A, T_C, T_B };
enum { Q_EXP, Q_IMP, Q_YR, Q_MEAS, Q_COMM, Q_SOC };
enum { O_COLLAB, O_FUNDING, O_REGULATION };
#define MASK(o) (1 << (o))
enum { E1, E2, E3, E4, N_EXPERTS };

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	struct db_survey *sv;
	int64_t expert[N_EXPERTS];
};

/* Stores a definition under its slug (created or replaced). */
static void store(struct db *db, const char *json)
{
	struct survey *s = NULL;
	struct survey_error err;
	if (survey_load_string(json, strlen(json), "test", &s, &err)) {
		char msg[1024];
		survey_error_format(&err, msg, sizeof msg);
		fail_msg("%s", msg);
	}
	assert_int_equal(db_begin(db), 0);
	int outcome = db_survey_store(db, json, strlen(json), s);
	assert_true(outcome == DB_STORE_CREATED || outcome == DB_STORE_REPLACED);
	assert_int_equal(db_commit(db), 0);
	survey_free(s);
}

static int64_t add_expert(struct db *db, const struct db_survey *sv, const char *ext_id,
			  enum db_sector sector)
{
	static const size_t fields[] = { 0 };
	struct db_expert_in in = { ext_id, "Name", "", sector, fields, 1 };
	char token[DB_TOKEN_HEX + 1];
	bool created;
	struct db_expert_ref ref;
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_expert_upsert(db, sv, &in, token, &created), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_expert_by_ext_id(db, sv->id, ext_id, &ref), DB_FOUND);
	return ref.id;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX];
	assert_non_null(fx);
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_db_stats.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	store(fx->db, SURVEY_V1);
	store(fx->db, SURVEY_V2);
	assert_int_equal(db_survey_get(fx->db, "stats-test", &fx->sv), DB_FOUND);
	static const char *const ext[N_EXPERTS] = { "E1", "E2", "E3", "E4" };
	static const enum db_sector sector[N_EXPERTS] = {
		DB_SECTOR_ACADEMIA, DB_SECTOR_INDUSTRY, DB_SECTOR_GOVERNMENT, DB_SECTOR_ACADEMIA,
	};
	for (int e = 0; e < N_EXPERTS; e++)
		fx->expert[e] = add_expert(fx->db, fx->sv, ext[e], sector[e]);
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

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

/* One answer as the test stores it; text only for the comment question. */
struct row {
	int expert, topic, question;
	enum answer_special special;
	int64_t num;
	const char *text;
};

#define V(e, t, q, n) { e, t, q, ANSWER_VALUE, n, NULL }
#define S(e, t, q, sp) { e, t, q, sp, 0, NULL }
#define TXT(e, t, q, s) { e, t, q, ANSWER_VALUE, 0, s }

/* Round 1, in the order stored: topics and experts backwards and mixed, never in key order.
 * Missing: E2's importance of T-A (between E1's and E3's), E3's T-C, E1's expertise of T-C,
 * everything of social. By topic (expert: expertise importance year measures):
 *   T-A  E1: 3 4 2030 {funding} (comment)   E2: 2 - already {collaboration, regulation}
 *        E3: 3 2 2034 {}                     E4: 1 dont_know 2026 {funding, regulation}
 *   T-C  E1: - 3   E2: 3 4   E4: 3 1   (importance only, and expertise)
 *   T-B  E2: importance 3, year dont_know   E3: comment only */
static const struct row ROUND1[] = {
	V(E2, T_B, Q_IMP, 3),
	TXT(E3, T_B, Q_COMM, "x"),
	S(E2, T_B, Q_YR, ANSWER_DONT_KNOW),
	V(E4, T_C, Q_IMP, 1),
	V(E2, T_C, Q_EXP, 3),
	V(E1, T_C, Q_IMP, 3),
	V(E4, T_C, Q_EXP, 3),
	V(E2, T_C, Q_IMP, 4),
	V(E4, T_A, Q_MEAS, MASK(O_FUNDING) | MASK(O_REGULATION)),
	V(E3, T_A, Q_MEAS, 0),
	V(E2, T_A, Q_MEAS, MASK(O_COLLAB) | MASK(O_REGULATION)),
	V(E1, T_A, Q_MEAS, MASK(O_FUNDING)),
	V(E4, T_A, Q_YR, 2026),
	V(E3, T_A, Q_YR, 2034),
	S(E2, T_A, Q_YR, ANSWER_ALREADY),
	V(E1, T_A, Q_YR, 2030),
	S(E4, T_A, Q_IMP, ANSWER_DONT_KNOW),
	V(E3, T_A, Q_IMP, 2),
	V(E1, T_A, Q_IMP, 4),
	TXT(E1, T_A, Q_COMM, "ok"),
	V(E4, T_A, Q_EXP, 1),
	V(E3, T_A, Q_EXP, 3),
	V(E2, T_A, Q_EXP, 2),
	V(E1, T_A, Q_EXP, 3),
};
/* Round 2: E4 does not come back; T-A only, experts backwards. */
static const struct row ROUND2[] = {
	V(E3, T_A, Q_YR, 2032), V(E3, T_A, Q_IMP, 2), V(E3, T_A, Q_EXP, 3),
	V(E2, T_A, Q_IMP, 4),   V(E2, T_A, Q_YR, 2031), V(E2, T_A, Q_EXP, 2),
	V(E1, T_A, Q_EXP, 3),   V(E1, T_A, Q_YR, 2030), V(E1, T_A, Q_IMP, 3),
};

/* Opens the next round and stores rows, each answer in its own transaction as saves come. */
static void run_round(struct fixture *fx, const struct row *rows, size_t n, struct db_round *r)
{
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, fx->sv, r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	for (size_t i = 0; i < n; i++) {
		struct answer a = { rows[i].special, rows[i].num, (char *)rows[i].text };
		assert_int_equal(db_begin(fx->db), 0);
		assert_int_equal(db_answer_put(fx->db, fx->sv, r->id, fx->expert[rows[i].expert],
					       (size_t)rows[i].topic, (size_t)rows[i].question, &a),
				 0);
		assert_int_equal(db_commit(fx->db), 0);
	}
}

static void close_round(struct fixture *fx)
{
	struct db_round r;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
}

/* Aggregates round r and reads its rows back. */
static void aggregate(struct fixture *fx, const struct db_round *r, struct db_stats_summary *sum,
		      struct report_stats *st)
{
	assert_int_equal(db_begin(fx->db), 0);
	if (db_stats_aggregate(fx->db, fx->sv, r, sum))
		fail_msg("db_stats_aggregate: %s", db_error(fx->db));
	assert_int_equal(db_commit(fx->db), 0);
	if (db_stats_load(fx->db, fx->sv, r->id, st))
		fail_msg("db_stats_load: %s", db_error(fx->db));
}

static const struct report_stat *row_of(const struct report_stats *st, int topic, int question,
					int option, enum agg_group g)
{
	const struct report_stat *x = report_find(st, (size_t)topic, (size_t)question, option, g);
	if (!x)
		fail_msg("no row for topic %d, question %d, option %d, group %d", topic, question,
			 option, (int)g);
	return x;
}

/* got is expected (relative tolerance 1e-12), or both are NAN (a NULL column). */
static void near(double got, double expected, const char *what)
{
	if (isnan(expected) ? isnan(got)
			    : fabs(got - expected) <= 1e-12 * (fabs(expected) > 1 ? fabs(expected) : 1))
		return;
	fail_msg("%s: got %.17g, expected %.17g", what, got, expected);
}

static void test_round1_statistics(void **state)
{
	struct fixture *fx = *state;
	struct db_round r;
	struct db_stats_summary sum;
	struct report_stats st = { 0 };
	const struct report_stat *x;
	run_round(fx, ROUND1, sizeof ROUND1 / sizeof ROUND1[0], &r);
	aggregate(fx, &r, &sum, &st);

	/* 24 answers stored, 2 of them comments (not read) */
	assert_int_equal(sum.answers, 22);
	assert_int_equal(sum.prev_answers, 0);
	assert_false(sum.has_prev);
	/* all, expert, academia (E1 E4), industry (E2), government (E3) */
	assert_int_equal(sum.groups, AGG_GROUP_BIT(AGG_ALL) | AGG_GROUP_BIT(AGG_EXPERT) |
					     AGG_GROUP_BIT(AGG_ACADEMIA) | AGG_GROUP_BIT(AGG_INDUSTRY) |
					     AGG_GROUP_BIT(AGG_GOVERNMENT));
	/* 3 topics x (expertise, importance, year, social + 3 options of measures) x 5 groups */
	assert_int_equal(sum.rows, 105);
	assert_int_equal(st.n, 105);
	assert_int_equal(sum.topics, 3);
	/* T-A and T-C miss consensus on importance; T-B's year has no valid answer (no verdict) */
	assert_int_equal(sum.topics_consensus, 0);

	/* T-A importance, all: E1 4, E3 2, E4 don't know (E2 missing). n 2 of 3 answers; mean 3,
	 * sd sqrt(2); type 7: Q1 h = 1.25 -> 2.5, median 3, Q3 h = 1.75 -> 3.5, iqr 1; weights
	 * (v - 1) / 3 x 100: index (100 + 33.33) / 2; agreement {4, 3}: 1/2; no consensus. */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_ALL);
	assert_int_equal(x->n, 2);
	near(x->dont_know, 1.0 / 3, "T-A importance all dont_know");
	near(x->already, NAN, "T-A importance all already (not allowed)");
	near(x->mean, 3, "T-A importance all mean");
	near(x->sd, sqrt(2), "T-A importance all sd");
	near(x->q1, 2.5, "T-A importance all q1");
	near(x->median, 3, "T-A importance all median");
	near(x->q3, 3.5, "T-A importance all q3");
	near(x->iqr, 1, "T-A importance all iqr");
	near(x->index, (100 + 100.0 / 3) / 2, "T-A importance all index");
	near(x->agreement, 0.5, "T-A importance all agreement");
	assert_int_equal(x->consensus, 0);
	assert_int_equal(x->n_paired, -1);
	assert_string_equal(x->distribution, "{\"4\":1,\"3\":0,\"2\":1,\"1\":0,\"dont_know\":1}");
	/* expert (expertise 3 on T-A: E1, E3): the same two values, no don't know */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_EXPERT);
	assert_int_equal(x->n, 2);
	near(x->dont_know, 0, "T-A importance expert dont_know");
	near(x->mean, 3, "T-A importance expert mean");
	/* academia (E1 4, E4 don't know) */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_ACADEMIA);
	assert_int_equal(x->n, 1);
	near(x->dont_know, 0.5, "T-A importance academia dont_know");
	near(x->mean, 4, "T-A importance academia mean");
	near(x->sd, NAN, "T-A importance academia sd");
	/* industry: E2 left it out: no answer at all */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_INDUSTRY);
	assert_int_equal(x->n, 0);
	near(x->dont_know, NAN, "T-A importance industry dont_know");
	near(x->mean, NAN, "T-A importance industry mean");
	x = row_of(&st, T_A, Q_IMP, -1, AGG_GOVERNMENT);
	assert_int_equal(x->n, 1);
	near(x->mean, 2, "T-A importance government mean");
	assert_null(report_find(&st, T_A, Q_IMP, -1, AGG_OTHER));

	/* T-A year, all: 2030 2034 2026 and E2 already: n 3 of 4, already 1/4; mean 2030, sd
	 * sqrt((0 + 16 + 16) / 2) = 4; sorted 2026 2030 2034: Q1 2028, Q3 2032, iqr 4 <= 5. */
	x = row_of(&st, T_A, Q_YR, -1, AGG_ALL);
	assert_int_equal(x->n, 3);
	near(x->already, 0.25, "T-A year all already");
	near(x->never, 0, "T-A year all never");
	near(x->dont_know, 0, "T-A year all dont_know");
	near(x->mean, 2030, "T-A year all mean");
	near(x->sd, 4, "T-A year all sd");
	near(x->q1, 2028, "T-A year all q1");
	near(x->q3, 2032, "T-A year all q3");
	assert_int_equal(x->consensus, 1);
	/* expert (E1 2030, E3 2034): Q1 h = 1.25 -> 2031, Q3 h = 1.75 -> 2033 */
	x = row_of(&st, T_A, Q_YR, -1, AGG_EXPERT);
	assert_int_equal(x->n, 2);
	near(x->mean, 2032, "T-A year expert mean");
	near(x->q1, 2031, "T-A year expert q1");
	near(x->iqr, 2, "T-A year expert iqr");

	/* T-A measures: 4 respondents (E3 chose none); collaboration E2, funding E1 E4,
	 * regulation E2 E4. expert (E1, E3): funding 1/2, regulation 0. */
	x = row_of(&st, T_A, Q_MEAS, O_COLLAB, AGG_ALL);
	assert_int_equal(x->n, 4);
	near(x->share, 0.25, "T-A measures collaboration all");
	near(row_of(&st, T_A, Q_MEAS, O_FUNDING, AGG_ALL)->share, 0.5, "T-A funding all");
	near(row_of(&st, T_A, Q_MEAS, O_REGULATION, AGG_ALL)->share, 0.5, "T-A regulation all");
	x = row_of(&st, T_A, Q_MEAS, O_FUNDING, AGG_EXPERT);
	assert_int_equal(x->n, 2);
	near(x->share, 0.5, "T-A funding expert");
	near(row_of(&st, T_A, Q_MEAS, O_REGULATION, AGG_EXPERT)->share, 0, "T-A regulation expert");

	/* T-A expertise itself: 3 2 3 1 */
	x = row_of(&st, T_A, Q_EXP, -1, AGG_ALL);
	assert_int_equal(x->n, 4);
	near(x->mean, 2.25, "T-A expertise all mean");

	/* T-C importance, all: E1 3, E2 4, E4 1: mean 8/3, sorted 1 3 4: Q1 h = 1.5 -> 2,
	 * median 3, Q3 h = 2.5 -> 3.5, agreement 2/3. expert on T-C: E2, E4 (E1 gave no
	 * expertise): 4 and 1. */
	x = row_of(&st, T_C, Q_IMP, -1, AGG_ALL);
	assert_int_equal(x->n, 3);
	near(x->mean, 8.0 / 3, "T-C importance all mean");
	near(x->q1, 2, "T-C importance all q1");
	near(x->median, 3, "T-C importance all median");
	near(x->q3, 3.5, "T-C importance all q3");
	near(x->agreement, 2.0 / 3, "T-C importance all agreement");
	x = row_of(&st, T_C, Q_IMP, -1, AGG_EXPERT);
	assert_int_equal(x->n, 2);
	near(x->mean, 2.5, "T-C importance expert mean");
	x = row_of(&st, T_C, Q_IMP, -1, AGG_GOVERNMENT);
	assert_int_equal(x->n, 0);

	/* T-B: E2's importance 3; E2's year don't know; E3's comment is not aggregated */
	x = row_of(&st, T_B, Q_IMP, -1, AGG_ALL);
	assert_int_equal(x->n, 1);
	near(x->mean, 3, "T-B importance all mean");
	x = row_of(&st, T_B, Q_YR, -1, AGG_ALL);
	assert_int_equal(x->n, 0);
	near(x->dont_know, 1, "T-B year all dont_know");
	assert_null(report_find(&st, T_B, Q_COMM, -1, AGG_ALL));
	/* social: nobody, a row with n 0 */
	x = row_of(&st, T_C, Q_SOC, -1, AGG_ALL);
	assert_int_equal(x->n, 0);
	near(x->mean, NAN, "T-C social all mean");
	report_stats_release(&st);
}

static void test_round2_stability(void **state)
{
	struct fixture *fx = *state;
	struct db_round r1, r2;
	struct db_stats_summary sum;
	struct report_stats st = { 0 };
	const struct report_stat *x;
	run_round(fx, ROUND1, sizeof ROUND1 / sizeof ROUND1[0], &r1);
	close_round(fx);
	run_round(fx, ROUND2, sizeof ROUND2 / sizeof ROUND2[0], &r2);
	assert_int_equal(r2.number, 2);
	aggregate(fx, &r2, &sum, &st);

	assert_int_equal(sum.answers, 9);
	assert_int_equal(sum.prev_answers, 22);
	assert_true(sum.has_prev);
	assert_int_equal(sum.rows, 105); /* the same groups: E1 keeps academia in the round */

	/* T-A importance, all: 3 4 2: mean 3. Paired (valid in both rounds): E1 4 -> 3, E3 2 -> 2
	 * (E2 had none in round 1, E4 none in round 2): n_paired 2, changed 1/2, mean |d| 1/2. */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_ALL);
	assert_int_equal(x->n, 3);
	near(x->mean, 3, "r2 T-A importance all mean");
	assert_int_equal(x->n_paired, 2);
	near(x->changed, 0.5, "r2 T-A importance all changed");
	near(x->mean_abs_change, 0.5, "r2 T-A importance all mean_abs_change");
	/* expert by round 2's expertise (E1 3, E3 3): the same pairs */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_EXPERT);
	assert_int_equal(x->n_paired, 2);
	/* academia: E1 alone (E4 did not come back): changed 1, mean |d| 1 */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_ACADEMIA);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->n_paired, 1);
	near(x->changed, 1, "r2 T-A importance academia changed");
	near(x->mean_abs_change, 1, "r2 T-A importance academia mean_abs_change");
	/* industry: E2's 4 has no round-1 partner */
	x = row_of(&st, T_A, Q_IMP, -1, AGG_INDUSTRY);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->n_paired, 0);

	/* T-A year: E1 2030 -> 2030, E3 2034 -> 2032; E2 already -> 2031 is not a pair: n_paired
	 * 2, changed 1/2, mean |d| (0 + 2) / 2 = 1. */
	x = row_of(&st, T_A, Q_YR, -1, AGG_ALL);
	assert_int_equal(x->n, 3);
	near(x->mean, 2031, "r2 T-A year all mean");
	assert_int_equal(x->n_paired, 2);
	near(x->changed, 0.5, "r2 T-A year all changed");
	near(x->mean_abs_change, 1, "r2 T-A year all mean_abs_change");

	/* T-C: nobody in round 2 */
	x = row_of(&st, T_C, Q_IMP, -1, AGG_ALL);
	assert_int_equal(x->n, 0);
	assert_int_equal(x->n_paired, 0);
	report_stats_release(&st);
}

/* Runs round 1 with ROUND1, adds the row sql makes of "%lld"s (the round's row id and the ids
 * it names) and expects the aggregation to fail with a message containing expected. */
static void expect_failure(struct fixture *fx, const char *sql, const char *expected)
{
	struct db_round r;
	struct db_stats_summary sum;
	run_round(fx, ROUND1, sizeof ROUND1 / sizeof ROUND1[0], &r);
	exec_sql(fx->path, sql);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_stats_aggregate(fx->db, fx->sv, &r, &sum), -1);
	if (!strstr(db_error(fx->db), expected))
		fail_msg("error \"%s\" does not say \"%s\"", db_error(fx->db), expected);
	db_rollback(fx->db);
}

#define INSERT_ANSWER                                                                            \
	"INSERT INTO answers (round_id, topic_id, question_id, expert_id, num, updated_at) "    \
	"VALUES (1, %s, %s, %s, 3, '2025-01-01T00:00:00Z')"

/* The other survey's expert 5 (its row id: stored after ours). */
static void other_survey(struct fixture *fx)
{
	struct db_survey *o = NULL;
	store(fx->db, SURVEY_OTHER);
	assert_int_equal(db_survey_get(fx->db, "other", &o), DB_FOUND);
	assert_int_equal(o->topic_ids[0], 5);
	assert_int_equal(o->question_ids[0], 8);
	assert_int_equal(add_expert(fx->db, o, "O1", DB_SECTOR_OTHER), 5);
	db_survey_free(o);
}

static void test_row_ids(void **state)
{
	struct fixture *fx = *state;
	/* what the file comment says, and what the tests below count on */
	assert_int_equal(fx->sv->topic_ids[T_A], 3);
	assert_int_equal(fx->sv->topic_ids[T_C], 4);
	assert_int_equal(fx->sv->topic_ids[T_B], 1);
	assert_int_equal(fx->sv->question_ids[Q_EXP], 6);
	assert_int_equal(fx->sv->question_ids[Q_IMP], 3);
	assert_int_equal(fx->sv->question_ids[Q_YR], 2);
	assert_int_equal(fx->sv->question_ids[Q_MEAS], 5);
	assert_int_equal(fx->sv->question_ids[Q_COMM], 1);
	assert_int_equal(fx->sv->question_ids[Q_SOC], 7);
	for (int e = 0; e < N_EXPERTS; e++)
		assert_int_equal(fx->expert[e], e + 1);
}

static void test_answer_from_another_surveys_expert(void **state)
{
	struct fixture *fx = *state;
	char sql[256];
	other_survey(fx);
	/* an expert of ours after the other's, so that row id 5 lies among our experts' ids */
	assert_int_equal(add_expert(fx->db, fx->sv, "E5", DB_SECTOR_ACADEMIA), 6);
	snprintf(sql, sizeof sql, INSERT_ANSWER, "3", "3", "5");
	expect_failure(fx, sql, "from expert row 5, not an expert of survey stats-test");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_row_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round1_statistics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round2_stability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_from_another_surveys_expert, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
