/*
 * cli_round — `delphi round open | close | status`: running a survey's rounds one after the
 * other and watching the answers come in.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_report.h"
#include "cli_util.h"
#include "db.h"
#include "db_console.h"
#include "log.h"

/* Parses "--survey SLUG" (required) and, when number is not NULL, "--round N" (optional; 0 when
 * absent), then opens the database and loads the survey. */
static int prepare(const struct cli_ctx *ctx, const char *cmd, int argc, char **argv, int *number,
		   struct db **db, struct db_survey **sv)
{
	const char *slug = NULL, *round = NULL, *pos[1];
	const struct cli_util_opt opts[] = {
		{ "--survey", &slug, NULL },
		{ "--round", &round, NULL },
	};
	int n_pos, rc;
	if ((rc = cli_util_parse(cmd, argc, argv, opts, number ? 2 : 1, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)))
		return rc;
	if (number) {
		*number = 0;
		if (round && (rc = cli_util_int(cmd, "--round", round, 1, SURVEY_MAX_ROUNDS, number)))
			return rc;
	}
	if ((rc = cli_util_open(ctx, false, db)))
		return rc;
	return cli_util_survey(*db, slug, sv);
}

/* delphi round open --survey SLUG */
static int round_open(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_round r;
	int64_t invited;
	int rc;
	if ((rc = prepare(ctx, "round open", argc, argv, NULL, &db, &sv)))
		goto out;
	const char *slug = sv->survey->slug;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_round_open(db, sv, &r, &invited);
	switch (outcome) {
	case DB_ROUND_DONE:
		break;
	case DB_ROUND_ALREADY_OPEN:
		log_warnx("round %d of %s is still open: close it first with 'delphi round close "
			  "--survey %s'", r.number, slug, slug);
		rc = CLI_FAIL;
		goto out;
	case DB_ROUND_ALL_DONE:
		log_warnx("all %d rounds of %s have been run: there is no round to open",
			  sv->survey->n_rounds, slug);
		rc = CLI_FAIL;
		goto out;
	case DB_ROUND_NOBODY:
		if (r.number == 0)
			log_warnx("survey %s has no experts to invite: import them first with "
				  "'delphi experts import --survey %s FILE.csv'", slug, slug);
		else
			log_warnx("nobody answered round %d of %s, so nobody is invited to round "
				  "%d: it was not opened", r.number, slug, r.number + 1);
		rc = CLI_FAIL;
		goto out;
	default:
		rc = cli_util_db_fail(db);
		goto out;
	}
	char detail[160];
	snprintf(detail, sizeof detail, "survey=%s round=%d invited=%lld", slug, r.number,
		 (long long)invited);
	if (db_audit(db, "cli", "round.open", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("round %d of %s is open: %lld expert%s invited\n", r.number, slug, (long long)invited,
	       invited == 1 ? "" : "s");
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

/* delphi round close --survey SLUG */
static int round_close(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_round r;
	int rc;
	if ((rc = prepare(ctx, "round close", argc, argv, NULL, &db, &sv)))
		goto out;
	const char *slug = sv->survey->slug;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_round_close(db, sv, &r);
	if (outcome < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (outcome == DB_ROUND_NONE_OPEN) {
		if (r.number == 0)
			log_warnx("no round of %s has been opened yet: open round 1 with 'delphi "
				  "round open --survey %s'", slug, slug);
		else
			log_warnx("no round of %s is open (round %d closed at %s)", slug, r.number,
				  r.closed_at);
		rc = CLI_FAIL;
		goto out;
	}
	/* The closed round's statistics, computed in this same transaction: a round is never
	 * closed without them. */
	struct cli_report_agg agg;
	if (cli_report_aggregate(db, sv, &r, &agg)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	char detail[160];
	snprintf(detail, sizeof detail, "survey=%s round=%d", slug, r.number);
	if (db_audit(db, "cli", "round.close", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("round %d of %s is closed\n", r.number, slug);
	cli_report_summary(sv, &r, &agg);
	if (r.number < sv->survey->n_rounds)
		printf("next: open round %d with 'delphi round open --survey %s'\n", r.number + 1,
		       slug);
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

/* delphi round status --survey SLUG [--round N] */
static int round_status(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_console_round cr;
	const struct db_round *r = &cr.r;
	struct db_round_status st = { 0 };
	int number, rc;
	if ((rc = prepare(ctx, "round status", argc, argv, &number, &db, &sv)))
		goto out;
	const struct survey *s = sv->survey;
	int found = db_console_round_get(db, sv->id, number, &cr);
	if (found < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (found == DB_NOT_FOUND) {
		if (number)
			log_warnx("round %d of %s has not been opened", number, s->slug);
		else
			log_warnx("no round of %s has been opened yet: open round 1 with 'delphi "
				  "round open --survey %s'", s->slug, s->slug);
		rc = number ? CLI_USAGE : CLI_OK;
		goto out;
	}
	if (db_round_status(db, sv, r, &st)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	/* An open round's scheduled close is carried out by `delphi serve` (schedule.h). */
	bool scheduled = r->state == DB_ROUND_OPEN && *cr.close_at;
	printf("survey %s, round %d of %d: %s (opened %s%s%s%s%s)\n", s->slug, r->number,
	       s->n_rounds, db_round_state_name(r->state), r->opened_at,
	       r->state == DB_ROUND_CLOSED ? ", closed " : "", r->closed_at,
	       scheduled ? ", scheduled to close at " : "", scheduled ? cr.close_at : "");
	printf("%-12s %8s %12s %8s\n", "FIELD", "INVITED", "RESPONDENTS", "ANSWERS");
	for (size_t f = 0; f < st.n_fields; f++)
		printf("%-12s %8lld %12lld %8lld\n", s->fields[f].code,
		       (long long)st.per_field[f].invited, (long long)st.per_field[f].respondents,
		       (long long)st.per_field[f].answers);
	printf("%-12s %8lld %12lld %8lld\n", "all", (long long)st.total.invited,
	       (long long)st.total.respondents, (long long)st.total.answers);
	rc = CLI_OK;
out:
	db_round_status_release(&st);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

int cli_round(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_util_usage("round", "say what to do: open, close or status");
	if (!strcmp(argv[1], "open"))
		return round_open(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "close"))
		return round_close(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "status"))
		return round_status(ctx, argc - 2, argv + 2);
	return cli_util_usage("round", "unknown subcommand '%s' (open, close or status)", argv[1]);
}
