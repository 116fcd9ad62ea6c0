/*
 * cli_answers — `delphi answers import` (answers collected outside the server, e.g. on paper)
 * and `delphi answers export` (every answer, under pseudonyms, as CSV).
 *
 * An import is all or nothing and runs inside one write transaction, so what it checks against
 * (experts, invitations, answers already stored) cannot change under it: each row is checked on
 * its own (expert invited to the round, topic, question, value), then every expert's answers to a
 * topic together with those already stored (social_year not before tech_year). One problem
 * anywhere and nothing is written. Answers replace stored answers to the same question.
 * An expert may answer any topic of the survey, not only those of their own fields (which the
 * survey page merely pre-selects), as on the web.
 *
 * A closed round takes answers only with --force (late paper answers), which the audit log
 * records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "cli.h"
#include "cli_util.h"
#include "csv.h"
#include "db.h"
#include "log.h"

enum { COL_EXPERT, COL_TOPIC, COL_QUESTION, COL_VALUE, N_COLS };
static const char *const columns[N_COLS] = { "expert", "topic", "question", "value" };

/* One valid row. */
struct answer_row {
	size_t row;
	int64_t expert_id;
	char *ext_id; /* owned */
	size_t topic, question;
	struct answer a;
};

struct answer_rows {
	struct answer_row *v;
	size_t n, cap;
};

static void rows_release(struct answer_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].ext_id);
		answer_release(&rows->v[i].a);
	}
	free(rows->v);
}

/* The survey's topics sorted by code, for look-ups in O(log n). */
struct topic_index {
	const struct survey *s;
	size_t *order; /* topic indices sorted by code */
};

static int by_topic_code(const void *a, const void *b, void *survey)
{
	const struct survey *s = survey;
	return strcmp(s->topics[*(const size_t *)a].code, s->topics[*(const size_t *)b].code);
}

static int topic_index_init(struct topic_index *ti, const struct survey *s)
{
	ti->s = s;
	ti->order = malloc((s->n_topics + 1) * sizeof *ti->order);
	if (!ti->order)
		return -1;
	for (size_t i = 0; i < s->n_topics; i++)
		ti->order[i] = i;
	qsort_r(ti->order, s->n_topics, sizeof *ti->order, by_topic_code, (void *)s);
	return 0;
}

static long topic_find(const struct topic_index *ti, const char *code)
{
	size_t lo = 0, hi = ti->s->n_topics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(code, ti->s->topics[ti->order[mid]].code);
		if (c == 0)
			return (long)ti->order[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The last expert looked up: files list one expert's answers together. */
struct expert_cache {
	char ext_id[256];
	int found; /* DB_FOUND / DB_NOT_FOUND */
	struct db_expert_ref ref;
	int invited;
};

struct import {
	struct db *db;
	const struct db_survey *sv;
	const struct db_round *round;
	struct topic_index topics;
	struct expert_cache cache;
	struct cli_util_errors errs;
	struct answer_rows rows;
	int failed; /* a database failure: stop and report it */
};

/* Fills the cache for ext_id. Returns 0 or -1 (database failure). */
static int lookup_expert(struct import *im, const char *ext_id)
{
	struct expert_cache *c = &im->cache;
	if (c->found && !strcmp(c->ext_id, ext_id))
		return 0;
	snprintf(c->ext_id, sizeof c->ext_id, "%s", ext_id);
	c->found = db_expert_by_ext_id(im->db, im->sv->id, ext_id, &c->ref);
	c->invited = 0;
	if (c->found < 0)
		return -1;
	if (c->found == DB_FOUND && (c->invited = db_round_is_invited(im->db, im->round->id,
								      c->ref.id)) < 0)
		return -1;
	if (strlen(ext_id) >= sizeof c->ext_id)
		c->found = DB_NOT_FOUND; /* cannot be an id: they are shorter */
	return 0;
}

static void list_questions(const struct survey *s, struct buf *out)
{
	for (size_t i = 0; i < s->n_questions; i++)
		buf_printf(out, "%s%s", i ? ", " : "", s->questions[i].key);
}

/* Checks one data row on its own; appends it to im->rows if it is good. */
static void check_row(struct import *im, const struct csv_row *r, const size_t *col)
{
	const struct survey *s = im->sv->survey;
	size_t row = r->record;
	const char *ext_id = cli_util_trim(r->fields[col[COL_EXPERT]]);
	const char *code = cli_util_trim(r->fields[col[COL_TOPIC]]);
	const char *key = cli_util_trim(r->fields[col[COL_QUESTION]]);
	const char *value = r->fields[col[COL_VALUE]];
	int bad = 0;

	if (lookup_expert(im, ext_id)) {
		im->failed = 1;
		return;
	}
	if (im->cache.found != DB_FOUND) {
		cli_util_error(&im->errs, row, "there is no expert \"%s\" in survey %s", ext_id,
			       s->slug);
		bad = 1;
	} else if (im->cache.ref.revoked) {
		cli_util_error(&im->errs, row, "expert \"%s\" has been revoked", ext_id);
		bad = 1;
	} else if (!im->cache.invited) {
		cli_util_error(&im->errs, row, "expert \"%s\" is not invited to round %d", ext_id,
			       im->round->number);
		bad = 1;
	}
	long t = topic_find(&im->topics, code);
	if (t < 0) {
		cli_util_error(&im->errs, row, "there is no topic \"%s\" in survey %s", code,
			       s->slug);
		bad = 1;
	}
	int q = survey_question_index(s, key);
	struct answer a = ANSWER_INIT;
	if (q < 0) {
		struct buf list = BUF_INIT;
		buf_init(&list);
		list_questions(s, &list);
		cli_util_error(&im->errs, row, "there is no question \"%s\" (the questions: %s)", key,
			       list.data);
		buf_release(&list);
		bad = 1;
	} else {
		char err[ANSWER_ERR_MAX];
		if (answer_parse_text(&s->questions[q], value, &a, err)) {
			cli_util_error(&im->errs, row, "%s: %s", key, err);
			bad = 1;
		}
	}
	if (bad) {
		answer_release(&a);
		return;
	}
	if (im->rows.n == im->rows.cap) {
		size_t cap = im->rows.cap ? 2 * im->rows.cap : 256;
		struct answer_row *v = realloc(im->rows.v, cap * sizeof *v);
		if (!v) {
			answer_release(&a);
			cli_util_error(&im->errs, row, "out of memory");
			return;
		}
		im->rows.v = v;
		im->rows.cap = cap;
	}
	struct answer_row *x = &im->rows.v[im->rows.n++];
	x->row = row;
	x->expert_id = im->cache.ref.id;
	x->ext_id = strdup(ext_id);
	x->topic = (size_t)t;
	x->question = (size_t)q;
	x->a = a;
	if (!x->ext_id)
		cli_util_error(&im->errs, row, "out of memory");
}

static int cmp_size(size_t a, size_t b)
{
	return (a > b) - (a < b);
}

/* Order: expert, topic, question, then file order. */
static int by_key(const void *pa, const void *pb)
{
	const struct answer_row *a = pa, *b = pb;
	if (a->expert_id != b->expert_id)
		return a->expert_id < b->expert_id ? -1 : 1;
	int c = cmp_size(a->topic, b->topic);
	if (!c)
		c = cmp_size(a->question, b->question);
	return c ? c : cmp_size(a->row, b->row);
}

/*
 * Checks each expert's answers to each topic together with the answers already stored (rows
 * sorted by_key). Reports repeated (expert, topic, question) rows. Returns 0 or -1 (database
 * failure).
 */
static int check_topics(struct import *im)
{
	const struct survey *s = im->sv->survey;
	size_t nq = s->n_questions;
	struct answer *stored = calloc(nq, sizeof *stored);
	bool *present = calloc(nq, sizeof *present);
	const struct answer **set = calloc(nq, sizeof *set);
	const struct answer_row **from = calloc(nq, sizeof *from);
	int rc = -1;
	if (!stored || !present || !set || !from) {
		cli_util_error(&im->errs, 0, "out of memory");
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < im->rows.n;) {
		const struct answer_row *first = &im->rows.v[i];
		size_t end = i;
		while (end < im->rows.n && im->rows.v[end].expert_id == first->expert_id &&
		       im->rows.v[end].topic == first->topic)
			end++;
		if (db_answers_load_topic(im->db, im->sv, im->round->id, first->expert_id,
					  first->topic, stored, present))
			goto out;
		for (size_t q = 0; q < nq; q++) {
			set[q] = present[q] ? &stored[q] : NULL;
			from[q] = NULL;
		}
		for (size_t k = i; k < end; k++) {
			const struct answer_row *x = &im->rows.v[k];
			if (from[x->question]) {
				cli_util_error(&im->errs, x->row, "repeats row %zu (the same expert, "
						"topic and question)", from[x->question]->row);
				continue;
			}
			from[x->question] = x;
			set[x->question] = &x->a;
		}
		const char *bad_key = NULL;
		char err[ANSWER_ERR_MAX];
		if (answer_check_topic(s, set, &bad_key, err)) {
			int q = bad_key ? survey_question_index(s, bad_key) : -1;
			const struct answer_row *x = q >= 0 && from[q] ? from[q] : first;
			cli_util_error(&im->errs, x->row, "expert \"%s\", topic %s: %s%s", x->ext_id,
				       s->topics[x->topic].code, err,
				       q >= 0 && !from[q] ? " (an answer stored before)" : "");
		}
		for (size_t q = 0; q < nq; q++)
			answer_release(&stored[q]);
		i = end;
	}
	rc = 0;
out:
	if (stored)
		for (size_t q = 0; q < nq; q++)
			answer_release(&stored[q]);
	free(stored);
	free(present);
	free(set);
	free(from);
	return rc;
}

static int row_cb(const struct csv_row *r, const size_t *col, void *arg)
{
	struct import *im = arg;
	check_row(im, r, col);
	return im->failed;
}

/* Reads and checks the file into im->rows. Returns 0, or -1 on a database failure. */
static int read_rows(struct import *im, const char *data, size_t len)
{
	if (cli_util_read_csv(&im->errs, data, len, columns, N_COLS, row_cb, im))
		return -1;
	if (im->rows.n) /* qsort's base may not be NULL, even for 0 elements */
		qsort(im->rows.v, im->rows.n, sizeof *im->rows.v, by_key);
	return check_topics(im);
}

/* delphi answers import --survey SLUG --round N [--force] FILE.csv */
static int answers_import(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "answers import";
	const char *slug = NULL, *round_s = NULL, *pos[1];
	bool force = false;
	const struct cli_util_opt opts[] = {
		{ "--survey", &slug, NULL },
		{ "--round", &round_s, NULL },
		{ "--force", NULL, &force },
	};
	char *data = NULL;
	size_t len;
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_round round;
	struct import im = { 0 };
	int n_pos, number, rc;
	cli_util_errors_init(&im.errs, NULL);
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 3, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)) ||
	    (rc = cli_util_require(cmd, "--round", round_s)) ||
	    (rc = cli_util_int(cmd, "--round", round_s, 1, SURVEY_MAX_ROUNDS, &number)) ||
	    (rc = cli_util_read_file(pos[0], &data, &len)) || (rc = cli_util_open(ctx, false, &db)) ||
	    (rc = cli_util_survey(db, slug, &sv)))
		goto out;
	/* Everything below reads and writes in one transaction: a rejected file leaves the
	 * database as it was. */
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int found = db_round_get(db, sv->id, number, &round);
	if (found < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (found == DB_NOT_FOUND) {
		log_warnx("round %d of %s has not been opened: nothing was imported", number, slug);
		rc = CLI_USAGE;
		goto out;
	}
	if (round.state == DB_ROUND_CLOSED && !force) {
		log_warnx("round %d of %s is closed: to add late answers to it anyway, run again "
			  "with --force (the audit log records it)", number, slug);
		rc = CLI_USAGE;
		goto out;
	}

	im.db = db;
	im.sv = sv;
	im.round = &round;
	im.errs.source = pos[0];
	if (topic_index_init(&im.topics, sv->survey)) {
		log_warnx("out of memory");
		rc = CLI_FAIL;
		goto out;
	}
	if (read_rows(&im, data, len)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if ((rc = cli_util_errors_end(&im.errs)))
		goto out;
	if (im.rows.n == 0) {
		log_warnx("%s has no answers in it: nothing was imported", pos[0]);
		rc = CLI_USAGE;
		goto out;
	}
	size_t experts = 0;
	for (size_t i = 0; i < im.rows.n; i++) { /* rows are sorted by expert, topic, question */
		const struct answer_row *x = &im.rows.v[i];
		if (db_answer_put(db, sv, round.id, x->expert_id, x->topic, x->question, &x->a)) {
			rc = cli_util_db_fail(db);
			goto out;
		}
		experts += i == 0 || x->expert_id != im.rows.v[i - 1].expert_id;
	}
	char detail[512];
	snprintf(detail, sizeof detail, "survey=%s round=%d file=%s answers=%zu experts=%zu%s", slug,
		 number, pos[0], im.rows.n, experts,
		 round.state == DB_ROUND_CLOSED ? " forced-into-closed-round" : "");
	if (db_audit(db, "cli", "answers.import", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("imported %zu answer%s of %zu expert%s into round %d of %s%s\n", im.rows.n,
	       im.rows.n == 1 ? "" : "s", experts, experts == 1 ? "" : "s", number, slug,
	       round.state == DB_ROUND_CLOSED ? " (a closed round: forced)" : "");
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	cli_util_errors_release(&im.errs);
	rows_release(&im.rows);
	free(im.topics.order);
	db_survey_free(sv);
	db_close(db);
	free(data);
	return rc;
}

struct export_ctx {
	const struct survey *s;
	struct buf out;
};

static int export_cb(const struct db_export_row *r, void *arg)
{
	struct export_ctx *ex = arg;
	const struct survey *s = ex->s;
	const struct survey_question *q = &s->questions[r->question];
	const struct survey_topic *t = &s->topics[r->topic];
	char round[16];
	char *expertise = NULL;
	char *value = answer_to_text(q, &r->value);
	int rc = 1;
	if (r->has_expertise)
		expertise = answer_to_text(&s->questions[s->expertise_question], &r->expertise);
	if (!value || (r->has_expertise && !expertise)) {
		log_warnx("a stored answer to %s of topic %s does not fit the survey's definition",
			  q->key, t->code);
		goto out;
	}
	snprintf(round, sizeof round, "%d", r->round);
	const char *cells[8] = { round, r->pseudonym, r->sector, t->code,
				 s->fields[t->field].code, expertise ? expertise : "", q->key,
				 value };
	csv_write_row(&ex->out, cells, 8);
	if (ex->out.len >= 65536) {
		if (cli_util_write(ex->out.data, ex->out.len))
			goto out;
		buf_reset(&ex->out);
	}
	rc = 0;
out:
	free(value);
	free(expertise);
	return rc;
}

/* delphi answers export --survey SLUG [--round N] */
static int answers_export(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "answers export";
	const char *slug = NULL, *round_s = NULL, *pos[1];
	const struct cli_util_opt opts[] = {
		{ "--survey", &slug, NULL },
		{ "--round", &round_s, NULL },
	};
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct export_ctx ex = { NULL, BUF_INIT };
	int n_pos, number = 0, rc;
	buf_init(&ex.out);
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 2, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)) ||
	    (round_s &&
	     (rc = cli_util_int(cmd, "--round", round_s, 1, SURVEY_MAX_ROUNDS, &number))) ||
	    (rc = cli_util_open(ctx, false, &db)) || (rc = cli_util_survey(db, slug, &sv)))
		goto out;
	if (number) {
		struct db_round r;
		int found = db_round_get(db, sv->id, number, &r);
		if (found < 0) {
			rc = cli_util_db_fail(db);
			goto out;
		}
		if (found == DB_NOT_FOUND) {
			log_warnx("round %d of %s has not been opened", number, slug);
			rc = CLI_USAGE;
			goto out;
		}
	}
	ex.s = sv->survey;
	buf_adds(&ex.out, "round,pseudonym,sector,topic,field,expertise,question,value\n");
	int r = db_answers_export(db, sv, number, export_cb, &ex);
	if (r < 0)
		rc = cli_util_db_fail(db);
	else if (r > 0)
		rc = CLI_FAIL;
	else
		rc = cli_util_write(ex.out.data, ex.out.len);
out:
	buf_release(&ex.out);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

int cli_answers(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_util_usage("answers", "say what to do: import or export");
	if (!strcmp(argv[1], "import"))
		return answers_import(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "export"))
		return answers_export(ctx, argc - 2, argv + 2);
	return cli_util_usage("answers", "unknown subcommand '%s' (import or export)", argv[1]);
}
