/*
 * cli — the `delphi <command>` entry points, one file per command group (cli_*.c).
 *
 * main.c parses the global options (--db PATH, default ./delphi.db; DELPHI_DB in the
 * environment) into a struct cli_ctx and dispatches on argv[0] of the remaining arguments.
 * Each command receives its own argv (argv[0] is the command group name, e.g. "survey") and
 * returns an exit code: CLI_OK, CLI_FAIL (runtime failure) or CLI_USAGE (bad usage or bad input).
 * Messages go to stderr and say what to do; results go to stdout.
 */
#ifndef DELPHI_CLI_H
#define DELPHI_CLI_H

enum cli_status {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
};

struct cli_ctx {
	const char *db_path;
};

/* Every command group: int cli_NAME(const struct cli_ctx *ctx, int argc, char **argv). */
int cli_init(const struct cli_ctx *ctx, int argc, char **argv);      /* cli_survey.c */
int cli_survey(const struct cli_ctx *ctx, int argc, char **argv);    /* cli_survey.c */
int cli_experts(const struct cli_ctx *ctx, int argc, char **argv);   /* cli_experts.c */
int cli_round(const struct cli_ctx *ctx, int argc, char **argv);     /* cli_round.c */
int cli_answers(const struct cli_ctx *ctx, int argc, char **argv);   /* cli_answers.c */
int cli_aggregate(const struct cli_ctx *ctx, int argc, char **argv); /* cli_report.c */
int cli_report(const struct cli_ctx *ctx, int argc, char **argv);    /* cli_report.c */
int cli_serve(const struct cli_ctx *ctx, int argc, char **argv);     /* cli_serve.c */
int cli_backup(const struct cli_ctx *ctx, int argc, char **argv);    /* cli_maint.c */
int cli_check(const struct cli_ctx *ctx, int argc, char **argv);     /* cli_maint.c */
int cli_user(const struct cli_ctx *ctx, int argc, char **argv);      /* cli_user.c */

/* Prints `delphi serve`'s usage, generated from its settings table (cli_serve.c). */
void cli_serve_usage(void);

/* Prints help for one command group (or the overview when name is NULL) to stdout.
 * Returns 0, or -1 when name is unknown. */
int cli_help(const char *name);

#endif
