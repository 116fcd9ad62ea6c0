/*
 * cli_report — `delphi aggregate` (compute, or recompute, a round's statistics into the stats
 * table) and `delphi report` (write a round's report as CSV, JSON or printable HTML from the
 * stats table). The computing is db_stats.c's, the writing core/report*.c's; this file parses
 * options, gathers the rounds' metadata, and puts the output where it was asked for.
 */
#include "cli_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cli_util.h"
#include "log.h"
#include "report.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_report_aggregate(struct db *db, const struct db_survey *sv, const struct db_round *r,
			 struct cli_report_agg *out)
{
	double start = now();
	if (db_stats_aggregate(db, sv, r, &out->sum))
		return -1;
	out->seconds = now() - start;
	return 0;
}

void cli_report_summary(const struct db_survey *sv, const struct db_round *r,
			const struct cli_report_agg *a)
{
	printf("round %d of %s: %lld statistics rows, %zu of %zu topics reached consensus "
	       "(%.2f s)\n", r->number, sv->survey->slug, (long long)a->sum.rows,
	       a->sum.topics_consensus, a->sum.topics, a->seconds);
}

/* Parses --survey SLUG and --round N plus the extra options, opens the database, loads the
 * survey and finds the round. Without --round: the latest round, or with latest_closed the
 * round before it while it is open (its report is the one to read during the next round). */
static int prepare(const struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
		   struct cli_util_opt *extra, size_t n_extra, bool latest_closed, struct db **db,
		   struct db_survey **sv, struct db_round *r)
{
	const char *slug = NULL, *round = NULL, *pos[1];
	struct cli_util_opt opts[8] = {
		{ "--survey", &slug, NULL },
		{ "--round", &round, NULL },
	};
	int n_pos, number = 0, rc;
	for (size_t i = 0; i < n_extra && i < 6; i++)
		opts[2 + i] = extra[i];
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 2 + n_extra, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)))
		return rc;
	if (round && (rc = cli_util_int(cmd, "--round", round, 1, SURVEY_MAX_ROUNDS, &number)))
		return rc;
	if ((rc = cli_util_open(ctx, false, db)) || (rc = cli_util_survey(*db, slug, sv)))
		return rc;
	int found = db_round_get(*db, (*sv)->id, number, r);
	if (found == DB_FOUND && !number && latest_closed && r->state == DB_ROUND_OPEN &&
	    r->number > 1)
		found = db_round_get(*db, (*sv)->id, r->number - 1, r);
	if (found < 0)
		return cli_util_db_fail(*db);
	if (found == DB_NOT_FOUND) {
		if (number)
			log_warnx("round %d of %s has not been opened", number, slug);
		else
			log_warnx("no round of %s has been opened yet: open round 1 with 'delphi "
				  "round open --survey %s'", slug, slug);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* delphi aggregate --survey SLUG [--round N] */
int cli_aggregate(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_round r;
	struct cli_report_agg a;
	int rc;
	if ((rc = prepare(ctx, "aggregate", argc - 1, argv + 1, NULL, 0, false, &db, &sv, &r)))
		goto out;
	if (db_begin(db) || cli_report_aggregate(db, sv, &r, &a)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	char detail[200];
	snprintf(detail, sizeof detail, "survey=%s round=%d rows=%lld", sv->survey->slug,
		 r.number, (long long)a.sum.rows);
	if (db_audit(db, "cli", "round.aggregate", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	cli_report_summary(sv, &r, &a);
	if (r.state == DB_ROUND_OPEN)
		log_warnx("round %d of %s is still open: these statistics are provisional (closing "
			  "the round computes them again)", r.number, sv->survey->slug);
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

/* Everything a report is made of, owned. */
struct gathered {
	struct db_round rounds[SURVEY_MAX_ROUNDS];
	struct db_round_status status[SURVEY_MAX_ROUNDS];
	struct report_round meta[SURVEY_MAX_ROUNDS];
	size_t n_rounds;
	struct report_stats cur, prev;
};

static void gathered_release(struct gathered *g)
{
	for (size_t i = 0; i < g->n_rounds; i++)
		db_round_status_release(&g->status[i]);
	report_stats_release(&g->cur);
	report_stats_release(&g->prev);
}

/* Rounds 1..r->number with their counts, and the statistics of r and r - 1. */
static int gather(struct db *db, const struct db_survey *sv, const struct db_round *r,
		  struct gathered *g)
{
	for (int k = 1; k <= r->number; k++) {
		struct db_round *rk = &g->rounds[g->n_rounds];
		int found = db_round_get(db, sv->id, k, rk);
		if (found < 0)
			return cli_util_db_fail(db);
		if (found == DB_NOT_FOUND)
			continue; /* rounds are numbered without gaps; nothing to show if not */
		if (db_round_status(db, sv, rk, &g->status[g->n_rounds]))
			return cli_util_db_fail(db);
		const struct db_round_status *st = &g->status[g->n_rounds];
		g->meta[g->n_rounds] = (struct report_round){
			.number = rk->number,
			.closed = rk->state == DB_ROUND_CLOSED,
			.opened_at = rk->opened_at,
			.closed_at = rk->closed_at,
			.total = { st->total.invited, st->total.respondents, st->total.answers },
			/* struct db_round_counts and struct report_counts have the same members */
			.per_field = NULL,
		};
		g->n_rounds++;
		if (k == r->number - 1 && db_stats_load(db, sv, rk->id, &g->prev))
			return cli_util_db_fail(db);
	}
	if (db_stats_load(db, sv, r->id, &g->cur))
		return cli_util_db_fail(db);
	return CLI_OK;
}

/* Writes data to path through a temporary file in the same directory and a rename, so a reader
 * never sees half a report. */
static int write_file(const char *path, const char *data, size_t len)
{
	struct buf tmp = BUF_INIT;
	int fd = -1, rc = CLI_FAIL;
	FILE *f = NULL;
	buf_init(&tmp);
	buf_printf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp.data)) < 0) {
		log_warn("cannot create a file next to %s", path);
		goto out;
	}
	/* mkstemp makes the file private; a report is an ordinary file (umask applies) */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	if (!(f = fdopen(fd, "wb"))) {
		log_warn("cannot write %s", tmp.data);
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	if ((len && fwrite(data, 1, len, f) != len) | fclose(f)) {
		log_warn("cannot write %s", path);
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, path)) {
		log_warn("cannot write %s", path);
		unlink(tmp.data);
		goto out;
	}
	rc = CLI_OK;
out:
	buf_release(&tmp);
	return rc;
}

/* delphi report --survey SLUG [--round N] [--format csv|json|html] [--lang L] [--out FILE] */
int cli_report(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *format = "csv", *lang = NULL, *path = NULL;
	struct cli_util_opt extra[] = {
		{ "--format", &format, NULL },
		{ "--lang", &lang, NULL },
		{ "--out", &path, NULL },
	};
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_round r;
	struct gathered g;
	struct report_counts *per_field[SURVEY_MAX_ROUNDS] = { 0 };
	struct buf out = BUF_INIT;
	char err[REPORT_ERR_MAX];
	int (*writer)(const struct report_input *, struct buf *, char *);
	int rc;
	memset(&g, 0, sizeof g);
	buf_init(&out);
	if ((rc = prepare(ctx, "report", argc - 1, argv + 1, extra, 3, true, &db, &sv, &r)))
		goto out;
	const struct survey *s = sv->survey;
	if (!strcmp(format, "csv")) {
		writer = report_csv;
	} else if (!strcmp(format, "json")) {
		writer = report_json;
	} else if (!strcmp(format, "html")) {
		writer = report_html;
	} else {
		rc = cli_util_usage("report", "--format must be csv, json or html, not '%s'", format);
		goto out;
	}
	if (lang && survey_language_index(s, lang) < 0) {
		rc = cli_util_usage("report", "survey %s has no language '%s'", s->slug, lang);
		goto out;
	}
	if ((rc = gather(db, sv, &r, &g)))
		goto out;
	if (g.cur.n == 0) {
		log_warnx("round %d of %s has no statistics yet: close the round, or compute them "
			  "with 'delphi aggregate --survey %s --round %d'", r.number, s->slug,
			  s->slug, r.number);
		rc = CLI_FAIL;
		goto out;
	}
	for (size_t i = 0; i < g.n_rounds; i++) {
		if (!(per_field[i] = calloc(s->n_fields + 1, sizeof *per_field[i]))) {
			log_warnx("out of memory");
			rc = CLI_FAIL;
			goto out;
		}
		for (size_t f = 0; f < s->n_fields && f < g.status[i].n_fields; f++)
			per_field[i][f] = (struct report_counts){
				g.status[i].per_field[f].invited,
				g.status[i].per_field[f].respondents,
				g.status[i].per_field[f].answers,
			};
		g.meta[i].per_field = per_field[i];
	}
	struct report_input in = {
		.s = s,
		.lang = lang,
		.round = r.number,
		.rounds = g.meta,
		.n_rounds = g.n_rounds,
		.cur = &g.cur,
		.prev = r.number > 1 && g.prev.n ? &g.prev : NULL,
	};
	if (writer(&in, &out, err)) {
		log_warnx("cannot write the report of round %d of %s: %s", r.number, s->slug, err);
		rc = CLI_FAIL;
		goto out;
	}
	if (r.number > 1 && !g.prev.n)
		log_warnx("round %d of %s has no statistics: the report shows no previous round",
			  r.number - 1, s->slug);
	rc = path ? write_file(path, out.data, out.len) : cli_util_write(out.data, out.len);
out:
	for (size_t i = 0; i < SURVEY_MAX_ROUNDS; i++)
		free(per_field[i]);
	buf_release(&out);
	gathered_release(&g);
	db_survey_free(sv);
	db_close(db);
	return rc;
}
