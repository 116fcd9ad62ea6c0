/*
 * db_console — the store's side of the console API: look-ups by slug and id, rounds with their
 * counts, moving a round's scheduled close, reopening, experts with their rounds, progress,
 * comment moderation, pages of the mail and audit logs. See db_console.h for the contracts.
 *
 * Counting respondents probes answers_by_expert (expert_id, round_id, ...) once per invited
 * expert instead of scanning a round's answers, so the rounds and experts pages cost
 * O(experts x rounds) index probes however many answers there are. The progress of a round needs
 * every level (overall, field, sector, topic) and so one pass over the round's answers, which it
 * counts in C with a mark per expert: one walk where a query per level would scan four times.
 */
#include "db_console.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

static const char SQL_SURVEY_ID[] = "SELECT id FROM surveys WHERE slug = ?1";
static const char SQL_USER_NAME[] = "SELECT name FROM users WHERE id = ?1";

#define ROUND_COLUMNS                                                                          \
	"r.id, r.number, r.state, r.opened_at, r.closed_at, r.close_at, "                      \
	"  (SELECT count(*) FROM invitations i WHERE i.round_id = r.id), "                     \
	"  (SELECT count(*) FROM invitations i WHERE i.round_id = r.id AND EXISTS "            \
	"    (SELECT 1 FROM answers a WHERE a.expert_id = i.expert_id AND a.round_id = r.id)) "
static const char SQL_ROUNDS[] =
	"SELECT " ROUND_COLUMNS "FROM rounds r WHERE r.survey_id = ?1 ORDER BY r.number";
static const char SQL_ROUND_LATEST[] =
	"SELECT r.id, r.number, r.state, r.opened_at, r.closed_at, r.close_at, 0, 0 "
	"FROM rounds r WHERE r.survey_id = ?1 ORDER BY r.number DESC LIMIT 1";
static const char SQL_ROUND_NUMBER[] =
	"SELECT r.id, r.number, r.state, r.opened_at, r.closed_at, r.close_at, 0, 0 "
	"FROM rounds r WHERE r.survey_id = ?1 AND r.number = ?2";
static const char SQL_SET_CLOSE_AT[] = "UPDATE rounds SET close_at = ?2 WHERE id = ?1";
static const char SQL_REOPEN[] =
	"UPDATE rounds SET state = 'open', closed_at = NULL WHERE id = ?1 AND state = 'closed'";

static const char SQL_EXPERTS[] =
	"SELECT " DB_EXPERT_INFO_COLUMNS ", "
	"  (SELECT coalesce(sum(1 << (r.number - 1)), 0) FROM invitations i "
	"    JOIN rounds r ON r.id = i.round_id WHERE i.expert_id = e.id), "
	"  (SELECT coalesce(sum(1 << (r.number - 1)), 0) FROM rounds r WHERE "
	"    r.survey_id = e.survey_id AND EXISTS (SELECT 1 FROM answers a "
	"    WHERE a.expert_id = e.id AND a.round_id = r.id)) "
	"FROM experts e WHERE e.survey_id = ?1 ORDER BY e.id";

static const char SQL_PROGRESS_INVITED[] =
	"SELECT i.expert_id, e.sector FROM invitations i JOIN experts e ON e.id = i.expert_id "
	"WHERE i.round_id = ?1";
static const char SQL_PROGRESS_FIELDS[] =
	"SELECT ef.field_id, count(*) FROM invitations i "
	"JOIN expert_fields ef ON ef.expert_id = i.expert_id WHERE i.round_id = ?1 "
	"GROUP BY ef.field_id";
static const char SQL_PROGRESS_ANSWERS[] =
	"SELECT topic_id, expert_id FROM answers WHERE round_id = ?1";
static const char SQL_MAX_EXPERT[] = "SELECT coalesce(max(id), 0) FROM experts";

/* A comment's status: pending unless a decision was made on the text it has now. */
#define COMMENT_SELECT                                                                          \
	"SELECT a.topic_id, a.question_id, a.expert_id, t.position, q.position, e.pseudonym, "  \
	"  a.text, CASE WHEN m.text IS a.text THEN m.status ELSE 'pending' END AS st, "          \
	"  CASE WHEN m.text IS a.text THEN m.decided_by ELSE '' END, "                          \
	"  CASE WHEN m.text IS a.text THEN m.decided_at ELSE '' END "                           \
	"FROM answers a JOIN questions q ON q.id = a.question_id AND q.kind = 'text' "          \
	"  JOIN topics t ON t.id = a.topic_id JOIN experts e ON e.id = a.expert_id "            \
	"  LEFT JOIN comment_moderation m ON m.round_id = a.round_id AND "                      \
	"    m.topic_id = a.topic_id AND m.question_id = a.question_id AND "                    \
	"    m.expert_id = a.expert_id "                                                        \
	"WHERE a.round_id = ?1 AND a.text IS NOT NULL AND a.text <> '' "
static const char SQL_COMMENTS[] =
	COMMENT_SELECT "AND (?2 IS NULL OR st = ?2) ORDER BY t.position, q.position, e.pseudonym";
static const char SQL_COMMENT_GET[] =
	COMMENT_SELECT "AND a.topic_id = ?2 AND a.question_id = ?3 AND a.expert_id = ?4";
static const char SQL_COMMENT_DECIDE[] =
	"INSERT INTO comment_moderation (round_id, topic_id, question_id, expert_id, status, text, "
	"  decided_by, decided_at, seq) "
	"SELECT a.round_id, a.topic_id, a.question_id, a.expert_id, ?5, a.text, ?6, "
	"  strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
	"  (SELECT coalesce(max(seq), 0) + 1 FROM comment_moderation) "
	"FROM answers a JOIN questions q ON q.id = a.question_id AND q.kind = 'text' "
	"WHERE a.round_id = ?1 AND a.topic_id = ?2 AND a.question_id = ?3 AND a.expert_id = ?4 "
	"  AND a.text IS NOT NULL AND a.text <> '' "
	"ON CONFLICT (round_id, topic_id, question_id, expert_id) DO UPDATE SET "
	"  seq = CASE WHEN status = excluded.status AND text = excluded.text THEN seq "
	"    ELSE excluded.seq END, "
	"  status = excluded.status, text = excluded.text, decided_by = excluded.decided_by, "
	"  decided_at = excluded.decided_at";
static const char SQL_COMMENTS_APPROVED[] =
	"SELECT m.text FROM comment_moderation m JOIN answers a ON a.round_id = m.round_id AND "
	"  a.topic_id = m.topic_id AND a.question_id = m.question_id AND a.expert_id = m.expert_id "
	"WHERE m.round_id = ?1 AND m.topic_id = ?2 AND m.status = 'approved' AND a.text = m.text "
	"ORDER BY m.seq";

static const char SQL_MAIL_LOG[] =
	"SELECT m.id, m.at, e.ext_id, e.email, m.round, m.kind, m.status, m.detail "
	"FROM mail_log m JOIN experts e ON e.id = m.expert_id "
	"WHERE m.survey_id = ?1 AND (?2 <= 0 OR m.id < ?2) ORDER BY m.id DESC LIMIT ?3";
static const char SQL_AUDIT[] =
	"SELECT id, at, actor, action, detail FROM audit_log "
	"WHERE (?1 <= 0 OR id < ?1) ORDER BY id DESC LIMIT ?2";

/* ---- Surveys and users ---------------------------------------------------------------------- */

int db_console_survey_id(struct db *db, const char *slug, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, SQL_SURVEY_ID);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the survey");
	}
	db_done(st);
	return ret;
}

int db_console_user_name(struct db *db, int64_t id, char name[DB_USER_NAME_MAX + 1])
{
	sqlite3_stmt *st = db_stmt(db, SQL_USER_NAME);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		db_column_copy(st, 0, name, DB_USER_NAME_MAX + 1);
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the user");
	}
	db_done(st);
	return ret;
}

/* ---- Rounds --------------------------------------------------------------------------------- */

static void read_round(sqlite3_stmt *st, struct db_console_round *out)
{
	memset(out, 0, sizeof *out);
	out->r.id = sqlite3_column_int64(st, 0);
	out->r.number = sqlite3_column_int(st, 1);
	out->r.state = strcmp(db_column_text(st, 2), "open") ? DB_ROUND_CLOSED : DB_ROUND_OPEN;
	db_column_copy(st, 3, out->r.opened_at, sizeof out->r.opened_at);
	db_column_copy(st, 4, out->r.closed_at, sizeof out->r.closed_at);
	db_column_copy(st, 5, out->close_at, sizeof out->close_at);
	out->invited = sqlite3_column_int64(st, 6);
	out->respondents = sqlite3_column_int64(st, 7);
}

int db_console_rounds(struct db *db, int64_t survey_id,
		      int (*cb)(const struct db_console_round *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_ROUNDS);
	struct db_console_round r;
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_round(st, &r);
		if ((ret = cb(&r, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the rounds");
	db_done(st);
	return ret;
}

int db_console_round_get(struct db *db, int64_t survey_id, int number,
			 struct db_console_round *out)
{
	sqlite3_stmt *st = db_stmt(db, number ? SQL_ROUND_NUMBER : SQL_ROUND_LATEST);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	if (number)
		sqlite3_bind_int(st, 2, number);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		read_round(st, out);
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot read the round");
	}
	db_done(st);
	return ret;
}

int db_console_round_set_close_at(struct db *db, int64_t round_id, const char *close_at)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_SET_CLOSE_AT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	if (close_at)
		sqlite3_bind_text(st, 2, close_at, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	return db_exec_stmt(db, st, "cannot set the round's close");
}

int db_console_round_open(struct db *db, const struct db_survey *sv, const char *actor,
			  const char *close_at, struct db_round *r, int64_t *invited)
{
	char detail[SURVEY_KEY_MAX + DB_TIME_MAX + 96];
	DB_ASSERT_TXN(db);
	int outcome = db_round_open(db, sv, r, invited);
	if (outcome != DB_ROUND_DONE)
		return outcome;
	snprintf(detail, sizeof detail, "survey=%s round=%d invited=%lld%s%s", sv->survey->slug,
		 r->number, (long long)*invited, close_at ? " close_at=" : "",
		 close_at ? close_at : "");
	if ((close_at && db_console_round_set_close_at(db, r->id, close_at)) ||
	    db_audit(db, actor, "round.open", detail))
		return -1;
	return DB_ROUND_DONE;
}

int db_console_round_schedule(struct db *db, const struct db_survey *sv, const char *actor,
			      const char *close_at, struct db_console_round *out,
			      char previous[DB_TIME_MAX])
{
	char detail[SURVEY_KEY_MAX + 2 * DB_TIME_MAX + 64];
	DB_ASSERT_TXN(db);
	*previous = '\0';
	int found = db_console_round_get(db, sv->id, 0, out);
	if (found < 0)
		return -1;
	if (found == DB_NOT_FOUND)
		memset(out, 0, sizeof *out);
	if (found == DB_NOT_FOUND || out->r.state != DB_ROUND_OPEN)
		return DB_ROUND_NONE_OPEN;
	memcpy(previous, out->close_at, DB_TIME_MAX);
	snprintf(detail, sizeof detail, "survey=%s round=%d close_at=%s previous=%s",
		 sv->survey->slug, out->r.number, close_at ? close_at : "none",
		 *previous ? previous : "none");
	if (db_console_round_set_close_at(db, out->r.id, close_at) ||
	    db_audit(db, actor, "round.schedule", detail))
		return -1;
	snprintf(out->close_at, sizeof out->close_at, "%s", close_at ? close_at : "");
	return DB_ROUND_DONE;
}

int db_console_round_reopen(struct db *db, int64_t round_id)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_REOPEN);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	return db_exec_stmt(db, st, "cannot reopen the round");
}

/* ---- Experts -------------------------------------------------------------------------------- */

int db_console_experts(struct db *db, int64_t survey_id,
		       int (*cb)(const struct db_console_expert *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_EXPERTS);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_console_expert e = {
			.invited = (unsigned)sqlite3_column_int64(st, DB_EXPERT_INFO_NCOLS),
			.responded = (unsigned)sqlite3_column_int64(st, DB_EXPERT_INFO_NCOLS + 1),
		};
		db_expert_info_columns(st, &e.info);
		if ((ret = cb(&e, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the experts");
	db_done(st);
	return ret;
}

/* ---- Progress ------------------------------------------------------------------------------- */

/* What the walk knows of one expert (by row id). */
struct mark {
	uint32_t topic; /* 1 + the topic index the expert was last counted in; 0: none */
	uint8_t sector; /* 1 + enum db_sector of the expert's invitation; 0: not invited */
	uint8_t any;    /* counted as a respondent of the round */
};

struct topic_id {
	int64_t id;
	size_t index;
};

/* The state of one db_console_progress. */
struct tally {
	struct db *db;
	const struct db_survey *sv;
	struct db_console_progress *out;
	struct mark *marks;    /* [n_marks], by expert row id */
	unsigned char *fbits;  /* [n_marks * fbytes]: bit f of an expert's bytes once counted in
				* field f */
	size_t n_marks, fbytes;
	struct topic_id *topics; /* [n_topics], by row id */
};

static int by_id(const void *a, const void *b)
{
	const struct topic_id *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Makes room for expert row id (ids are small and dense in practice; an expert added while the
 * walk runs has a larger id than any seen before it). */
static int tally_reach(struct tally *t, int64_t id)
{
	if (id >= 0 && (uint64_t)id < t->n_marks)
		return 0;
	if (id < 0 || (uint64_t)id >= SIZE_MAX / 2 / sizeof *t->marks)
		return db_failf(t->db, "expert row id %lld is out of range", (long long)id);
	size_t n = (size_t)id + 1 > 2 * t->n_marks ? (size_t)id + 1 : 2 * t->n_marks;
	struct mark *m = realloc(t->marks, n * sizeof *m);
	if (!m)
		return db_failf(t->db, "out of memory");
	t->marks = m;
	memset(m + t->n_marks, 0, (n - t->n_marks) * sizeof *m);
	unsigned char *f = realloc(t->fbits, n * t->fbytes);
	if (!f)
		return db_failf(t->db, "out of memory");
	t->fbits = f;
	memset(f + t->n_marks * t->fbytes, 0, (n - t->n_marks) * t->fbytes);
	t->n_marks = n;
	return 0;
}

static int tally_init(struct tally *t)
{
	const struct survey *s = t->sv->survey;
	struct db_console_progress *out = t->out;
	sqlite3_stmt *st = db_stmt(t->db, SQL_MAX_EXPERT);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	int64_t max = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_done(st);
	if (rc != SQLITE_ROW)
		return db_fail(t->db, "cannot count the experts");
	t->fbytes = s->n_fields / 8 + 1; /* never 0 */
	out->n_fields = s->n_fields;
	out->n_topics = s->n_topics;
	if (!(out->fields = calloc(s->n_fields + 1, sizeof *out->fields)) ||
	    !(out->topics = calloc(s->n_topics + 1, sizeof *out->topics)) ||
	    !(t->topics = malloc((s->n_topics + 1) * sizeof *t->topics)))
		return db_failf(t->db, "out of memory");
	for (size_t i = 0; i < s->n_topics; i++)
		t->topics[i] = (struct topic_id){ t->sv->topic_ids[i], i };
	qsort(t->topics, s->n_topics, sizeof *t->topics, by_id);
	return tally_reach(t, max);
}

/* The invitations: invited experts by sector and by field. */
static int tally_invited(struct tally *t, int64_t round_id)
{
	struct db_console_progress *out = t->out;
	sqlite3_stmt *st = db_stmt(t->db, SQL_PROGRESS_INVITED);
	int rc = SQLITE_DONE, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int sector = db_sector_parse(db_column_text(st, 1));
		if (sector < 0)
			ret = db_failf(t->db, "expert %lld has an unknown sector", (long long)id);
		else if (!(ret = tally_reach(t, id))) {
			t->marks[id].sector = (uint8_t)(sector + 1);
			out->sectors[sector].invited++;
			out->total.invited++;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(t->db, "cannot count the invitations");
	db_done(st);
	if (ret || !(st = db_stmt(t->db, SQL_PROGRESS_FIELDS)))
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t field_id = sqlite3_column_int64(st, 0);
		for (size_t f = 0; f < out->n_fields; f++)
			if (t->sv->field_ids[f] == field_id)
				out->fields[f].invited = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		ret = db_fail(t->db, "cannot count the invitations by field");
	db_done(st);
	return ret;
}

/* One answer of expert id to the topic of index topic (SIZE_MAX: not in the definition). */
static int tally_answer(struct tally *t, size_t topic, int64_t id)
{
	struct db_console_progress *out = t->out;
	if (tally_reach(t, id))
		return -1;
	struct mark *m = &t->marks[id];
	out->total.answers++;
	if (!m->any) {
		m->any = 1;
		out->total.respondents++;
		if (m->sector)
			out->sectors[m->sector - 1].respondents++;
	}
	if (topic == SIZE_MAX)
		return 0;
	out->topics[topic].answers++;
	if (m->topic != topic + 1) { /* the rows of one topic are adjacent */
		m->topic = (uint32_t)(topic + 1);
		out->topics[topic].respondents++;
	}
	size_t f = t->sv->survey->topics[topic].field;
	unsigned char *bits = t->fbits + (size_t)id * t->fbytes, bit = (unsigned char)(1u << (f % 8));
	out->fields[f].answers++;
	if (!(bits[f / 8] & bit)) {
		bits[f / 8] |= bit;
		out->fields[f].respondents++;
	}
	return 0;
}

/* The answers, in primary-key order: topic by topic. */
static int tally_answers(struct tally *t, int64_t round_id)
{
	sqlite3_stmt *st = db_stmt(t->db, SQL_PROGRESS_ANSWERS);
	int64_t last = 0;
	size_t topic = SIZE_MAX;
	int rc = SQLITE_DONE, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t topic_id = sqlite3_column_int64(st, 0);
		if (topic_id != last) {
			struct topic_id key = { topic_id, 0 };
			const struct topic_id *k =
				bsearch(&key, t->topics, t->out->n_topics, sizeof key, by_id);
			topic = k ? k->index : SIZE_MAX;
			last = topic_id;
		}
		ret = tally_answer(t, topic, sqlite3_column_int64(st, 1));
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(t->db, "cannot count the answers");
	db_done(st);
	return ret;
}

int db_console_progress(struct db *db, const struct db_survey *sv, int64_t round_id,
			struct db_console_progress *out)
{
	struct tally t = { .db = db, .sv = sv, .out = out };
	int ret = -1;
	memset(out, 0, sizeof *out);
	if (tally_init(&t) || tally_invited(&t, round_id) || tally_answers(&t, round_id))
		goto out;
	ret = 0;
out:
	free(t.marks);
	free(t.fbits);
	free(t.topics);
	return ret;
}

void db_console_progress_release(struct db_console_progress *p)
{
	free(p->fields);
	free(p->topics);
	p->fields = NULL;
	p->topics = NULL;
	p->n_fields = p->n_topics = 0;
}

/* ---- Comments ------------------------------------------------------------------------------- */

static const char *const comment_status_names[] = {
	[DB_COMMENT_PENDING] = "pending",
	[DB_COMMENT_APPROVED] = "approved",
	[DB_COMMENT_HIDDEN] = "hidden",
};

const char *db_comment_status_name(enum db_comment_status st)
{
	assert(st >= DB_COMMENT_PENDING && st <= DB_COMMENT_HIDDEN);
	return comment_status_names[st];
}

int db_comment_status_parse(const char *s)
{
	for (int i = DB_COMMENT_PENDING; i <= DB_COMMENT_HIDDEN; i++)
		if (!strcmp(s, comment_status_names[i]))
			return i;
	return -1;
}

static void read_comment(sqlite3_stmt *st, struct db_console_comment *c)
{
	int status = db_comment_status_parse(db_column_text(st, 7));
	c->topic_id = sqlite3_column_int64(st, 0);
	c->question_id = sqlite3_column_int64(st, 1);
	c->expert_id = sqlite3_column_int64(st, 2);
	c->topic = (size_t)sqlite3_column_int64(st, 3);
	c->question = (size_t)sqlite3_column_int64(st, 4);
	c->pseudonym = db_column_text(st, 5);
	c->text = db_column_text(st, 6);
	c->status = status < 0 ? DB_COMMENT_PENDING : (enum db_comment_status)status;
	c->decided_by = db_column_text(st, 8);
	c->decided_at = db_column_text(st, 9);
}

int db_console_comments(struct db *db, int64_t round_id, int status,
			int (*cb)(const struct db_console_comment *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_COMMENTS);
	struct db_console_comment c;
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	if (status != DB_COMMENT_ANY)
		sqlite3_bind_text(st, 2, db_comment_status_name(status), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_comment(st, &c);
		if ((ret = cb(&c, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the comments");
	db_done(st);
	return ret;
}

int db_console_comment_get(struct db *db, int64_t round_id, int64_t topic_id,
			   int64_t question_id, int64_t expert_id,
			   int (*cb)(const struct db_console_comment *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_COMMENT_GET);
	struct db_console_comment c;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	sqlite3_bind_int64(st, 2, topic_id);
	sqlite3_bind_int64(st, 3, question_id);
	sqlite3_bind_int64(st, 4, expert_id);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		read_comment(st, &c);
		ret = cb(&c, arg);
		if (!ret)
			ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot read the comment");
	}
	db_done(st);
	return ret;
}

int db_console_comment_decide(struct db *db, int64_t round_id, int64_t topic_id,
			      int64_t question_id, int64_t expert_id,
			      enum db_comment_status status, const char *actor)
{
	DB_ASSERT_TXN(db);
	assert(status == DB_COMMENT_APPROVED || status == DB_COMMENT_HIDDEN);
	sqlite3_stmt *st = db_stmt(db, SQL_COMMENT_DECIDE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	sqlite3_bind_int64(st, 2, topic_id);
	sqlite3_bind_int64(st, 3, question_id);
	sqlite3_bind_int64(st, 4, expert_id);
	sqlite3_bind_text(st, 5, db_comment_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, actor, -1, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot record the decision"))
		return -1;
	return sqlite3_changes(db->conn) ? DB_FOUND : DB_NOT_FOUND;
}

int db_console_comments_approved(struct db *db, int64_t round_id, int64_t topic_id,
				 int (*cb)(const char *text, void *arg), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_COMMENTS_APPROVED);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	sqlite3_bind_int64(st, 2, topic_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((ret = cb(db_column_text(st, 0), arg)))
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot read the approved comments");
	db_done(st);
	return ret;
}

/* ---- Pages of the logs ---------------------------------------------------------------------- */

int db_console_mail_log(struct db *db, int64_t survey_id, int64_t before, int limit,
			int (*cb)(const struct db_console_mail_row *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_MAIL_LOG);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_console_mail_row m = {
			.id = sqlite3_column_int64(st, 0),
			.at = db_column_text(st, 1),
			.ext_id = db_column_text(st, 2),
			.email = db_column_text(st, 3),
			.round = sqlite3_column_int(st, 4),
			.kind = db_column_text(st, 5),
			.status = db_column_text(st, 6),
			.detail = db_column_text(st, 7),
		};
		if ((ret = cb(&m, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot read the mail log");
	db_done(st);
	return ret;
}

int db_console_audit(struct db *db, int64_t before, int limit,
		     int (*cb)(const struct db_console_audit_row *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_AUDIT);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_console_audit_row a = {
			.id = sqlite3_column_int64(st, 0),
			.at = db_column_text(st, 1),
			.actor = db_column_text(st, 2),
			.action = db_column_text(st, 3),
			.detail = db_column_text(st, 4),
		};
		if ((ret = cb(&a, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot read the audit log");
	db_done(st);
	return ret;
}
