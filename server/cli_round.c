/*
 * cli_round — `delphi round open | schedule | close | status`: running a survey's rounds one
 * after the other, moving an open round's scheduled close (which `delphi serve` carries out:
 * schedule.h) and watching the answers come in.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_report.h"
#include "cli_util.h"
#include "db.h"
#include "db_console.h"
#include "log.h"
#include "schedule.h"

/* The options a round command takes besides --survey SLUG (required). */
enum {
	OPT_ROUND = 1 << 0,       /* --round N, optional */
	OPT_CLOSE_AT = 1 << 1,    /* --close-at TIME, optional */
	OPT_NO_CLOSE_AT = 1 << 2, /* --no-close-at; with it, exactly one of the two is required */
};

struct round_args {
	int number;           /* --round N; 0 when absent */
	const char *close_at; /* --close-at TIME, checked; NULL when absent */
	bool no_close_at;     /* --no-close-at */
};

/* Checks --close-at TIME by the console's rules for close_at (api_rounds.c): a real UTC moment
 * "YYYY-MM-DDTHH:MM:SSZ" still to come (one that has passed would close the round at once).
 * CLI_OK, or CLI_USAGE after a message. */
static int check_close_at(const char *cmd, const char *close_at)
{
	time_t t, now = time(NULL);
	char now_text[DB_TIME_MAX];
	if (schedule_time_parse(close_at, &t))
		return cli_util_usage(cmd, "--close-at must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\", "
				      "not '%s'", close_at);
	if (schedule_is_due(close_at, now)) {
		schedule_time_format(now, now_text);
		return cli_util_usage(cmd, "--close-at %s has passed (the time now is %s): choose a "
				      "later time", close_at, now_text);
	}
	return CLI_OK;
}

/* Parses "--survey SLUG" and the options of mask accepts into *a, checks them, then opens the
 * database and loads the survey. */
static int prepare(const struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
		   unsigned accepts, struct round_args *a, struct db **db, struct db_survey **sv)
{
	const char *slug = NULL, *round = NULL, *pos[1];
	struct cli_util_opt opts[4] = { { "--survey", &slug, NULL } };
	size_t n_opts = 1;
	int n_pos, rc;
	memset(a, 0, sizeof *a);
	if (accepts & OPT_ROUND)
		opts[n_opts++] = (struct cli_util_opt){ "--round", &round, NULL };
	if (accepts & OPT_CLOSE_AT)
		opts[n_opts++] = (struct cli_util_opt){ "--close-at", &a->close_at, NULL };
	if (accepts & OPT_NO_CLOSE_AT)
		opts[n_opts++] = (struct cli_util_opt){ "--no-close-at", NULL, &a->no_close_at };
	if ((rc = cli_util_parse(cmd, argc, argv, opts, n_opts, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)))
		return rc;
	if (round && (rc = cli_util_int(cmd, "--round", round, 1, SURVEY_MAX_ROUNDS, &a->number)))
		return rc;
	if ((accepts & OPT_NO_CLOSE_AT) && !a->close_at == !a->no_close_at) {
		cli_util_usage(cmd, "%s", a->no_close_at ? "give --close-at TIME or --no-close-at, not both"
							 : "say when the round closes: --close-at TIME, or "
							   "--no-close-at to remove its scheduled close");
		return CLI_USAGE;
	}
	if (a->close_at && (rc = check_close_at(cmd, a->close_at)))
		return rc;
	if ((rc = cli_util_open(ctx, false, db)))
		return rc;
	return cli_util_survey(*db, slug, sv);
}

/* delphi round open --survey SLUG [--close-at TIME] */
static int round_open(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct round_args a;
	struct db_round r;
	int64_t invited;
	int rc;
	if ((rc = prepare(ctx, "round open", argc, argv, OPT_CLOSE_AT, &a, &db, &sv)))
		goto out;
	const char *slug = sv->survey->slug;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_console_round_open(db, sv, "cli", a.close_at, &r, &invited);
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
	if (db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("round %d of %s is open: %lld expert%s invited\n", r.number, slug, (long long)invited,
	       invited == 1 ? "" : "s");
	if (a.close_at)
		printf("scheduled to close at %s (a running 'delphi serve' closes it then)\n",
		       a.close_at);
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

/* delphi round schedule --survey SLUG (--close-at TIME | --no-close-at) */
static int round_schedule(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct round_args a;
	struct db_console_round cr;
	char previous[DB_TIME_MAX];
	int rc;
	if ((rc = prepare(ctx, "round schedule", argc, argv, OPT_CLOSE_AT | OPT_NO_CLOSE_AT, &a,
			  &db, &sv)))
		goto out;
	const char *slug = sv->survey->slug;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_console_round_schedule(db, sv, "cli", a.close_at, &cr, previous);
	if (outcome < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (outcome == DB_ROUND_NONE_OPEN) {
		if (cr.r.number == 0)
			log_warnx("no round of %s has been opened yet: open round 1 with 'delphi "
				  "round open --survey %s --close-at TIME'", slug, slug);
		else
			log_warnx("round %d of %s is closed (at %s): only an open round's close can "
				  "be moved", cr.r.number, slug, cr.r.closed_at);
		rc = CLI_FAIL;
		goto out;
	}
	if (db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (a.close_at)
		printf("round %d of %s is scheduled to close at %s (before: %s)\n", cr.r.number,
		       slug, a.close_at, *previous ? previous : "none");
	else
		printf("round %d of %s has no scheduled close now (before: %s)\n", cr.r.number, slug,
		       *previous ? previous : "none");
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
	struct round_args a;
	struct db_round r;
	int rc;
	if ((rc = prepare(ctx, "round close", argc, argv, 0, &a, &db, &sv)))
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
	struct round_args a;
	int rc;
	if ((rc = prepare(ctx, "round status", argc, argv, OPT_ROUND, &a, &db, &sv)))
		goto out;
	const int number = a.number;
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
		return cli_util_usage("round", "say what to do: open, schedule, close or status");
	if (!strcmp(argv[1], "open"))
		return round_open(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "schedule"))
		return round_schedule(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "close"))
		return round_close(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "status"))
		return round_status(ctx, argc - 2, argv + 2);
	return cli_util_usage("round", "unknown subcommand '%s' (open, schedule, close or status)",
			      argv[1]);
}
