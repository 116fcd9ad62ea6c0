/*
 * cli_maint — `delphi backup` and `delphi check`: a consistent copy of the database while it is
 * in use, and a check of the database against SQLite's and delphi's rules (db_maint.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_util.h"
#include "db_maint.h"
#include "log.h"

/* The database must exist: these commands never create one. CLI_OK or CLI_FAIL. */
static int need_database(const struct cli_ctx *ctx)
{
	struct stat sb;
	if (stat(ctx->db_path, &sb) == 0)
		return CLI_OK;
	if (errno == ENOENT)
		log_warnx("no database at %s (choose one with --db PATH or DELPHI_DB)", ctx->db_path);
	else
		log_warn("cannot use %s", ctx->db_path);
	return CLI_FAIL;
}

/* delphi backup --out FILE [--force] */
int cli_backup(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *out = NULL, *pos[1];
	bool force = false;
	const struct cli_util_opt opts[] = {
		{ "--out", &out, NULL },
		{ "--force", NULL, &force },
	};
	struct db_backup_result res;
	char err[DB_ERR_MAX];
	int n_pos, rc;

	if ((rc = cli_util_parse("backup", argc - 1, argv + 1, opts, 2, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_require("backup", "--out", out)))
		return rc;
	if (!*out)
		return cli_util_usage("backup", "--out needs a file name");
	if ((rc = need_database(ctx)))
		return rc;
	switch (db_backup(ctx->db_path, out, force ? DB_BACKUP_FORCE : 0, &res, err)) {
	case DB_BACKUP_DONE:
		break;
	case DB_BACKUP_EXISTS:
		log_warnx("%s exists: choose another file, or replace it with --force", out);
		return CLI_FAIL;
	default:
		log_warnx("backup failed: %s", err);
		return CLI_FAIL;
	}
	printf("backed up %s to %s: %lld pages of %d bytes (%lld bytes) in %.3f s", ctx->db_path,
	       out, (long long)res.pages, res.page_size, (long long)res.pages * res.page_size,
	       res.seconds);
	if (res.busy_waits)
		printf(", after waiting %d times for the busy database", res.busy_waits);
	printf("\n");
	return CLI_OK;
}

struct check_out {
	int printed;
};

static void print_problem(const char *text, void *arg)
{
	struct check_out *o = arg;
	printf("%s\n", text);
	o->printed++;
}

/* delphi check */
int cli_check(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db_check_summary sum;
	struct check_out o = { 0 };
	char err[DB_ERR_MAX];
	const char *pos[1];
	int n_pos, rc, n;

	if ((rc = cli_util_parse("check", argc - 1, argv + 1, NULL, 0, pos, 0, 0, &n_pos)))
		return rc;
	if ((rc = need_database(ctx)))
		return rc;
	n = db_check(ctx->db_path, print_problem, &o, &sum, err);
	if (n < 0) {
		log_warnx("cannot check: %s", err);
		return CLI_FAIL;
	}
	if (n > 0) {
		fflush(stdout);
		log_warnx("%s: %d problem%s found", ctx->db_path, n, n == 1 ? "" : "s");
		return CLI_FAIL;
	}
	printf("ok: %s: schema version %d; %lld survey%s, %lld expert%s, %lld round%s, "
	       "%lld answer%s, %lld session%s; integrity, foreign keys and delphi's invariants "
	       "hold\n",
	       ctx->db_path, sum.schema_version, (long long)sum.surveys, sum.surveys == 1 ? "" : "s",
	       (long long)sum.experts, sum.experts == 1 ? "" : "s", (long long)sum.rounds,
	       sum.rounds == 1 ? "" : "s", (long long)sum.answers, sum.answers == 1 ? "" : "s",
	       (long long)sum.sessions, sum.sessions == 1 ? "" : "s");
	return CLI_OK;
}
