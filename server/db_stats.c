/*
 * db_stats — the one-pass aggregation of a round into the stats table, and reading it back.
 * See db_stats.h for the contracts and core/aggregate.h for the statistics.
 *
 * The pass walks the answers table in its key order (round, topic, question, expert), one
 * topic at a time: for each question of the topic (text questions skipped) a range scan of
 * round r and one of round r - 1 fill reusable arrays, already sorted by expert id as the key
 * gives them; the expertise answers mark the expert subgroup, agg_question turns each question
 * into rows, and prepared INSERTs write them, up to 8 rows per statement (one statement per
 * row made the writing a sixth slower: each statement has its own start-up and statement
 * journal). Scanning (topic, question) ranges rather than the whole round keeps the per-row
 * work to three columns (the range fixes round, topic and question) and never reads a text
 * answer; the 2 x topics x questions range starts cost a few milliseconds. Nothing is
 * allocated per row once the arrays have grown to the largest topic.
 *
 * The INSERTs are upserts: a re-run (`delphi aggregate`) updates the round's rows in place and
 * deletes only those of groups it no longer writes. Deleting the round's rows (78,000 at NISTEP
 * scale) and inserting them again made a re-run cost 10-15% more than the first run; the
 * upserts cost the same as plain INSERTs into an empty round.
 */
#include "db_int.h"
#include "db_stats.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_EXPERTS[] =
	"SELECT e.id, e.sector, EXISTS (SELECT 1 FROM answers a WHERE a.expert_id = e.id "
	"AND a.round_id = ?2) FROM experts e WHERE e.survey_id = ?1";
/* The rows of groups not written this time (a sector whose last respondent left the round, or
 * whose experts moved to another sector): ?2..?7 are the groups written, the unused ones
 * repeating "all", which every aggregation writes. */
static const char SQL_DELETE_VANISHED[] =
	"DELETE FROM stats WHERE round_id = ?1 AND grp NOT IN (?2, ?3, ?4, ?5, ?6, ?7)";
_Static_assert(AGG_N_GROUPS == 6, "SQL_DELETE_VANISHED has one parameter per group");
/* One (round, topic, question) range of the primary key, in key order: sorted by expert id. */
static const char SQL_RANGE[] =
	"SELECT expert_id, num, special FROM answers WHERE round_id = ?1 AND topic_id = ?2 "
	"AND question_id = ?3 ORDER BY round_id, topic_id, question_id, expert_id";
/* Rows are written up to INSERT_MAX at a time: one statement (and one statement journal) per
 * question instead of per row. SQL_INSERT[k - 1] inserts k rows of INSERT_COLS parameters. */
#define INSERT_COLS 25
#define INSERT_MAX 8
#define INSERT_HEAD                                                                              \
	"INSERT INTO stats (round_id, topic_id, question_id, option, grp, n, dont_know, already, " \
	"never, mean, sd, q1, median, q3, iqr, idx, agreement, share, consensus, n_paired, "     \
	"changed, mean_abs_change, wilcoxon_z, wilcoxon_p, distribution) VALUES "
/* A re-run (`delphi aggregate`) finds the rows there: each is updated in place, every column
 * (NULLs included) taken from the new row. */
#define INSERT_TAIL                                                                              \
	" ON CONFLICT (round_id, topic_id, question_id, option, grp) DO UPDATE SET "             \
	"n = excluded.n, dont_know = excluded.dont_know, already = excluded.already, "           \
	"never = excluded.never, mean = excluded.mean, sd = excluded.sd, q1 = excluded.q1, "     \
	"median = excluded.median, q3 = excluded.q3, iqr = excluded.iqr, idx = excluded.idx, "   \
	"agreement = excluded.agreement, share = excluded.share, "                                \
	"consensus = excluded.consensus, n_paired = excluded.n_paired, "                          \
	"changed = excluded.changed, mean_abs_change = excluded.mean_abs_change, "               \
	"wilcoxon_z = excluded.wilcoxon_z, wilcoxon_p = excluded.wilcoxon_p, "                   \
	"distribution = excluded.distribution"
#define R "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
static const char SQL_INSERT_1[] = INSERT_HEAD R INSERT_TAIL;
static const char SQL_INSERT_2[] = INSERT_HEAD R "," R INSERT_TAIL;
static const char SQL_INSERT_3[] = INSERT_HEAD R "," R "," R INSERT_TAIL;
static const char SQL_INSERT_4[] = INSERT_HEAD R "," R "," R "," R INSERT_TAIL;
static const char SQL_INSERT_5[] = INSERT_HEAD R "," R "," R "," R "," R INSERT_TAIL;
static const char SQL_INSERT_6[] = INSERT_HEAD R "," R "," R "," R "," R "," R INSERT_TAIL;
static const char SQL_INSERT_7[] = INSERT_HEAD R "," R "," R "," R "," R "," R "," R INSERT_TAIL;
static const char SQL_INSERT_8[] =
	INSERT_HEAD R "," R "," R "," R "," R "," R "," R "," R INSERT_TAIL;
#undef R
static const char *const SQL_INSERT[INSERT_MAX] = {
	SQL_INSERT_1, SQL_INSERT_2, SQL_INSERT_3, SQL_INSERT_4,
	SQL_INSERT_5, SQL_INSERT_6, SQL_INSERT_7, SQL_INSERT_8,
};
static const char SQL_LOAD[] =
	"SELECT topic_id, question_id, option, grp, n, dont_know, already, never, mean, sd, q1, "
	"median, q3, iqr, idx, agreement, share, consensus, n_paired, changed, mean_abs_change, "
	"wilcoxon_z, wilcoxon_p, distribution FROM stats WHERE round_id = ?1";

/* A topic's row id and its index in the definition; sorted by id. */
struct topic_ref {
	int64_t id;
	size_t index;
};

/* The answers of one topic to one question, growing to the largest seen. */
struct answers {
	struct agg_answer *v;
	size_t n, cap;
};

struct pass {
	struct db *db;
	const struct db_survey *sv;
	const struct survey *s;
	struct topic_ref *topics; /* [s->n_topics], sorted by id */
	int64_t expert_min;       /* experts[i] holds the groups of expert row id expert_min + i */
	unsigned *experts;        /* 0: not an expert of the survey */
	size_t n_experts;
	unsigned groups; /* groups to write */
	struct answers *cur, *prev; /* [s->n_questions] */
	struct agg *ag;
	struct buf dist[INSERT_MAX]; /* the distributions of the rows being inserted */
};

static int by_topic_id(const void *a, const void *b)
{
	const struct topic_ref *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Reads the survey's experts: their groups (AGG_ALL and their sector), and the sectors of those
 * who answered the round. */
static int load_experts(struct pass *p, int64_t round_id)
{
	struct db *db = p->db;
	sqlite3_stmt *st = db_stmt(db, SQL_EXPERTS);
	struct {
		int64_t id;
		unsigned groups;
	} *list = NULL, *grown;
	size_t n = 0, cap = 0;
	int rc, ret = -1;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, p->sv->id);
	sqlite3_bind_int64(st, 2, round_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int g = agg_group_parse(db_column_text(st, 1));
		if (g < AGG_ACADEMIA) {
			db_failf(db, "expert %lld has an unknown sector \"%s\"",
				 (long long)sqlite3_column_int64(st, 0), db_column_text(st, 1));
			goto out;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			if (!(grown = realloc(list, cap * sizeof *list))) {
				db_failf(db, "out of memory");
				goto out;
			}
			list = grown;
		}
		list[n].id = sqlite3_column_int64(st, 0);
		list[n].groups = AGG_GROUP_BIT(AGG_ALL) | AGG_GROUP_BIT(g);
		if (sqlite3_column_int(st, 2))
			p->groups |= AGG_GROUP_BIT(g);
		n++;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "cannot read the experts");
		goto out;
	}
	if (n) {
		int64_t lo = list[0].id, hi = list[0].id;
		for (size_t i = 1; i < n; i++) {
			lo = list[i].id < lo ? list[i].id : lo;
			hi = list[i].id > hi ? list[i].id : hi;
		}
		/* Row ids of one survey's experts are dense in practice; the array spans them. */
		p->expert_min = lo;
		p->n_experts = (size_t)(hi - lo) + 1;
		if (!(p->experts = calloc(p->n_experts, sizeof *p->experts))) {
			db_failf(db, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			p->experts[list[i].id - lo] = list[i].groups;
	}
	ret = 0;
out:
	db_done(st);
	free(list);
	return ret;
}

static int load_topics(struct pass *p)
{
	size_t n = p->s->n_topics;
	if (!(p->topics = malloc((n + 1) * sizeof *p->topics)))
		return db_failf(p->db, "out of memory");
	for (size_t i = 0; i < n; i++) {
		p->topics[i].id = p->sv->topic_ids[i];
		p->topics[i].index = i;
	}
	qsort(p->topics, n, sizeof *p->topics, by_topic_id);
	return 0;
}

static size_t question_of(const struct pass *p, int64_t question_id)
{
	for (size_t q = 0; q < p->s->n_questions; q++)
		if (p->sv->question_ids[q] == question_id)
			return q;
	return (size_t)-1;
}

/* Reads the answers of round round_id to one topic (row id topic_id) into per[question]
 * (text questions get none); adds the rows read to *read. */
static int gather(struct pass *p, int64_t round_id, int64_t topic_id, struct answers *per,
		  int64_t *read)
{
	struct db *db = p->db;
	const struct survey *s = p->s;
	sqlite3_stmt *st = db_stmt(db, SQL_RANGE);
	int rc;
	if (!st)
		return -1;
	for (size_t q = 0; q < s->n_questions; q++) {
		struct answers *a = &per[q];
		a->n = 0;
		if (s->questions[q].kind == SURVEY_TEXT)
			continue;
		sqlite3_bind_int64(st, 1, round_id);
		sqlite3_bind_int64(st, 2, topic_id);
		sqlite3_bind_int64(st, 3, p->sv->question_ids[q]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t eid = sqlite3_column_int64(st, 0);
			size_t e = (size_t)(eid - p->expert_min);
			struct agg_answer *x;
			if (eid < p->expert_min || e >= p->n_experts || !p->experts[e]) {
				db_failf(db, "an answer comes from expert row %lld, not an expert of "
					     "survey %s", (long long)eid, s->slug);
				goto fail;
			}
			if (a->n == a->cap) {
				size_t cap = a->cap ? 2 * a->cap : 64;
				if (!(x = realloc(a->v, cap * sizeof *x))) {
					db_failf(db, "out of memory");
					goto fail;
				}
				a->v = x;
				a->cap = cap;
			}
			x = &a->v[a->n++];
			x->expert_id = eid;
			x->groups = p->experts[e];
			if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
				/* num is set: the table's CHECK allows one of num, special, text, and
				 * only text questions get text */
				x->special = ANSWER_VALUE;
				x->num = sqlite3_column_int64(st, 1);
			} else {
				/* the CHECK allows only these three */
				const unsigned char *t = sqlite3_column_text(st, 2);
				x->num = 0;
				x->special = t && t[0] == 'a'	? ANSWER_ALREADY
					     : t && t[0] == 'n' ? ANSWER_NEVER
								: ANSWER_DONT_KNOW;
			}
		}
		if (rc != SQLITE_DONE) {
			db_fail(db, "cannot read the answers");
			goto fail;
		}
		*read += (int64_t)a->n;
		sqlite3_reset(st);
	}
	db_done(st);
	return 0;
fail:
	db_done(st);
	return -1;
}

/* Binds a double; NAN (undefined or not applicable) stays NULL, as db_done left it. */
static void bind_double(sqlite3_stmt *st, int col, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, col, v);
}

/* Appends v in decimal (no printf: this runs for every bin of every row). */
static void add_uint(struct buf *b, uint64_t v)
{
	char tmp[24], *e = tmp + sizeof tmp, *q = e;
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	buf_add(b, q, (size_t)(e - q));
}

static void add_int(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addch(b, '-');
		add_uint(b, (uint64_t)0 - (uint64_t)v);
	} else {
		add_uint(b, (uint64_t)v);
	}
}

/* stats.distribution: exactly what agg_distribution_json (aggregate.h) writes — label values in
 * definition order, zeros included, or the years with a non-zero count, then the specials the
 * question allows — without its printf per bin, which would cost more than the statistics. */
static void distribution(const struct survey_question *q, const struct agg_row *row,
			 struct buf *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} specials[] = {
		{ SURVEY_SPECIAL_DONT_KNOW, "\"dont_know\":" },
		{ SURVEY_SPECIAL_ALREADY, "\"already\":" },
		{ SURVEY_SPECIAL_NEVER, "\"never\":" },
	};
	const size_t counts[] = { row->n_dont_know, row->n_already, row->n_never };
	bool first = true;
	buf_addch(out, '{');
	for (size_t i = 0; i < row->n_dist; i++) {
		if (q->kind == SURVEY_YEAR && row->dist[i] == 0)
			continue;
		buf_adds(out, first ? "\"" : ",\"");
		add_int(out, agg_dist_value(q, i));
		buf_adds(out, "\":");
		add_uint(out, row->dist[i]);
		first = false;
	}
	for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
		if (!(q->specials & specials[k].bit))
			continue;
		if (!first)
			buf_addch(out, ',');
		buf_adds(out, specials[k].name);
		add_uint(out, counts[k]);
		first = false;
	}
	buf_addch(out, '}');
}

/* Binds row as the k-th row (0-based) of an INSERT of several rows. */
static void bind_row(struct pass *p, sqlite3_stmt *st, int k, int64_t round_id, size_t topic,
		     size_t question, const struct agg_row *row)
{
	const struct survey_question *q = &p->s->questions[question];
	int c = k * INSERT_COLS;
	sqlite3_bind_int64(st, c + 1, round_id);
	sqlite3_bind_int64(st, c + 2, p->sv->topic_ids[topic]);
	sqlite3_bind_int64(st, c + 3, p->sv->question_ids[question]);
	sqlite3_bind_text(st, c + 4, row->option >= 0 ? q->options[row->option].code : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, c + 5, agg_group_name(row->group), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, c + 6, (int64_t)row->n);
	bind_double(st, c + 7, row->dont_know);
	bind_double(st, c + 8, row->already);
	bind_double(st, c + 9, row->never);
	bind_double(st, c + 10, row->mean);
	bind_double(st, c + 11, row->sd);
	bind_double(st, c + 12, row->q1);
	bind_double(st, c + 13, row->median);
	bind_double(st, c + 14, row->q3);
	bind_double(st, c + 15, row->iqr);
	bind_double(st, c + 16, row->index);
	bind_double(st, c + 17, row->agreement);
	bind_double(st, c + 18, row->share);
	if (row->consensus != STATS_UNDEFINED)
		sqlite3_bind_int(st, c + 19, row->consensus == STATS_YES);
	if (row->paired) {
		sqlite3_bind_int64(st, c + 20, (int64_t)row->n_paired);
		bind_double(st, c + 21, row->changed);
		bind_double(st, c + 22, row->mean_abs_change);
		bind_double(st, c + 23, row->wilcoxon_z);
		bind_double(st, c + 24, row->wilcoxon_p);
	}
	if (q->kind == SURVEY_ORDINAL || q->kind == SURVEY_YEAR) {
		struct buf *d = &p->dist[k];
		buf_reset(d);
		distribution(q, row, d);
		sqlite3_bind_text(st, c + 25, d->data, (int)d->len, SQLITE_STATIC);
	}
}

/* Writes the rows of one topic x question, INSERT_MAX at a time. */
static int insert_rows(struct pass *p, int64_t round_id, size_t topic, size_t question,
		       const struct agg_row *rows, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = n - i < INSERT_MAX ? n - i : INSERT_MAX;
		sqlite3_stmt *st = db_stmt(p->db, SQL_INSERT[k - 1]);
		if (!st)
			return -1;
		for (size_t j = 0; j < k; j++)
			bind_row(p, st, (int)j, round_id, topic, question, &rows[i + j]);
		if (db_exec_stmt(p->db, st, "cannot store the statistics"))
			return -1;
		i += k;
	}
	return 0;
}

/* Deletes the round's rows of groups that this aggregation will not write; every other row it
 * has is overwritten by the upserts (the topics and questions cannot change once a round
 * exists: db_survey_store refuses a new definition then). */
static int delete_vanished(struct pass *p, int64_t round_id)
{
	sqlite3_stmt *st = db_stmt(p->db, SQL_DELETE_VANISHED);
	int col = 2;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	for (int g = 0; g < AGG_N_GROUPS; g++)
		if (p->groups & AGG_GROUP_BIT(g))
			sqlite3_bind_text(st, col++, agg_group_name((enum agg_group)g), -1,
					  SQLITE_STATIC);
	for (; col < 2 + AGG_N_GROUPS; col++)
		sqlite3_bind_text(st, col, agg_group_name(AGG_ALL), -1, SQLITE_STATIC);
	return db_exec_stmt(p->db, st, "cannot delete the statistics of vanished groups");
}

/* Aggregates and writes one topic whose answers are in p->cur / p->prev. Sets *consensus to
 * the topic's overall consensus (report_topic_consensus's rule). */
static int topic_rows(struct pass *p, int64_t round_id, bool has_prev,
		      size_t topic, int64_t *rows, bool *consensus)
{
	const struct survey *s = p->s;
	int counted = 0, agreed = 0;
	char err[AGG_ERR_MAX];
	if (s->expertise_question >= 0) {
		const struct answers *ex = &p->cur[s->expertise_question];
		for (size_t q = 0; q < s->n_questions; q++)
			agg_mark_expert(p->cur[q].v, p->cur[q].n, ex->v, ex->n, s->expertise_high);
	}
	for (size_t q = 0; q < s->n_questions; q++) {
		if (s->questions[q].kind == SURVEY_TEXT)
			continue;
		struct agg_input in = {
			.q = &s->questions[q],
			.quantile_type = s->quantile_type,
			.groups = p->groups,
			.cur = p->cur[q].v,
			.n_cur = p->cur[q].n,
			.has_prev = has_prev,
			.prev = p->prev[q].v,
			.n_prev = has_prev ? p->prev[q].n : 0,
		};
		const struct agg_row *out;
		size_t n_out;
		if (agg_question(p->ag, &in, &out, &n_out, err))
			return db_failf(p->db, "topic %s, question %s: %s", s->topics[topic].code,
					s->questions[q].key, err);
		if (insert_rows(p, round_id, topic, q, out, n_out))
			return -1;
		*rows += (int64_t)n_out;
		if (report_consensus_question(s, q)) {
			counted++;
			/* rows come in group order and every call has the group "all" */
			assert(n_out > 0 && out[0].group == AGG_ALL);
			agreed += out[0].consensus == STATS_YES;
		}
	}
	*consensus = counted > 0 && agreed == counted;
	return 0;
}

int db_stats_aggregate(struct db *db, const struct db_survey *sv, const struct db_round *r,
		       struct db_stats_summary *out)
{
	DB_ASSERT_TXN(db);
	const struct survey *s = sv->survey;
	struct pass p = { .db = db, .sv = sv, .s = s };
	struct db_round pr;
	int ret = -1;
	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < INSERT_MAX; k++)
		buf_init(&p.dist[k]);

	bool has_prev = false;
	if (r->number > 1) {
		int found = db_round_get(db, sv->id, r->number - 1, &pr);
		if (found < 0)
			goto out;
		has_prev = found == DB_FOUND;
	}
	p.groups = AGG_GROUP_BIT(AGG_ALL);
	if (s->expertise_question >= 0)
		p.groups |= AGG_GROUP_BIT(AGG_EXPERT);
	if (load_experts(&p, r->id) || load_topics(&p))
		goto out;
	p.cur = calloc(s->n_questions + 1, sizeof *p.cur);
	p.prev = calloc(s->n_questions + 1, sizeof *p.prev);
	p.ag = agg_new();
	if (!p.cur || !p.prev || !p.ag) {
		db_failf(db, "out of memory");
		goto out;
	}

	if (delete_vanished(&p, r->id))
		goto out;
	for (size_t t = 0; t < s->n_topics; t++) {
		int64_t tid = p.topics[t].id;
		bool agreed = false;
		if (gather(&p, r->id, tid, p.cur, &out->answers) ||
		    (has_prev && gather(&p, pr.id, tid, p.prev, &out->prev_answers)))
			goto out;
		if (topic_rows(&p, r->id, has_prev, p.topics[t].index, &out->rows, &agreed))
			goto out;
		out->topics_consensus += agreed;
	}
	out->has_prev = has_prev;
	out->groups = p.groups;
	out->topics = s->n_topics;
	ret = 0;
out:
	if (p.cur)
		for (size_t q = 0; q < s->n_questions; q++)
			free(p.cur[q].v);
	if (p.prev)
		for (size_t q = 0; q < s->n_questions; q++)
			free(p.prev[q].v);
	free(p.cur);
	free(p.prev);
	free(p.topics);
	free(p.experts);
	agg_free(p.ag);
	for (size_t k = 0; k < INSERT_MAX; k++)
		buf_release(&p.dist[k]);
	return ret;
}

/* NULL column: NAN. */
static double column_double(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

int db_stats_load(struct db *db, const struct db_survey *sv, int64_t round_id,
		  struct report_stats *out)
{
	const struct survey *s = sv->survey;
	struct pass p = { .db = db, .sv = sv, .s = s };
	int rc, ret = -1;
	report_stats_release(out);
	if (load_topics(&p))
		return -1;
	sqlite3_stmt *st = db_stmt(db, SQL_LOAD);
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, round_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct topic_ref key = { sqlite3_column_int64(st, 0), 0 };
		const struct topic_ref *t =
			bsearch(&key, p.topics, s->n_topics, sizeof *p.topics, by_topic_id);
		size_t q = question_of(&p, sqlite3_column_int64(st, 1));
		const char *opt = db_column_text(st, 2);
		int g = agg_group_parse(db_column_text(st, 3));
		if (!t || q == (size_t)-1 || g < 0) {
			db_failf(db, "the statistics of round row %lld name a topic, question or "
				     "group survey %s does not have", (long long)round_id, s->slug);
			goto out;
		}
		int option = -1;
		if (s->questions[q].kind == SURVEY_MULTI &&
		    (option = survey_option_index(&s->questions[q], opt)) < 0) {
			db_failf(db, "the statistics of round row %lld name option \"%s\", which "
				     "question %s does not have", (long long)round_id, opt,
				 s->questions[q].key);
			goto out;
		}
		struct report_stat row = {
			.topic = t->index,
			.question = q,
			.option = option,
			.group = (enum agg_group)g,
			.n = sqlite3_column_int64(st, 4),
			.dont_know = column_double(st, 5),
			.already = column_double(st, 6),
			.never = column_double(st, 7),
			.mean = column_double(st, 8),
			.sd = column_double(st, 9),
			.q1 = column_double(st, 10),
			.median = column_double(st, 11),
			.q3 = column_double(st, 12),
			.iqr = column_double(st, 13),
			.index = column_double(st, 14),
			.agreement = column_double(st, 15),
			.share = column_double(st, 16),
			.consensus = sqlite3_column_type(st, 17) == SQLITE_NULL
					     ? -1
					     : sqlite3_column_int(st, 17) != 0,
			.n_paired = sqlite3_column_type(st, 18) == SQLITE_NULL
					    ? -1
					    : sqlite3_column_int64(st, 18),
			.changed = column_double(st, 19),
			.mean_abs_change = column_double(st, 20),
			.wilcoxon_z = column_double(st, 21),
			.wilcoxon_p = column_double(st, 22),
			.distribution = NULL,
		};
		if (sqlite3_column_type(st, 23) != SQLITE_NULL &&
		    !(row.distribution = strdup(db_column_text(st, 23)))) {
			db_failf(db, "out of memory");
			goto out;
		}
		if (report_stats_add(out, &row)) {
			db_failf(db, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "cannot read the statistics");
		goto out;
	}
	report_stats_sort(out);
	ret = 0;
out:
	db_done(st);
	free(p.topics);
	if (ret)
		report_stats_release(out);
	return ret;
}
