/*
 * main — delphi's entry point: the global options (--db PATH, --help) and the dispatch of
 * `delphi <command>` to its cli_*.c file. Nothing else happens here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "log.h"

static const struct command {
	const char *name;
	int (*run)(const struct cli_ctx *ctx, int argc, char **argv);
} commands[] = {
	{ "init", cli_init },
	{ "survey", cli_survey },
	{ "experts", cli_experts },
	{ "round", cli_round },
	{ "answers", cli_answers },
	{ "aggregate", cli_aggregate },
	{ "report", cli_report },
	{ "serve", cli_serve },
	{ "backup", cli_backup },
	{ "check", cli_check },
	{ "user", cli_user },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/*
 * Takes the global options out of argv (they may stand anywhere before "--"), leaving the
 * command and its arguments in args[0..*n). Returns CLI_OK or CLI_USAGE.
 */
static int global_options(int argc, char **argv, struct cli_ctx *ctx, int *help, char **args,
			  int *n)
{
	int k = 0, done = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (done) {
			args[k++] = argv[i];
		} else if (!strcmp(a, "--")) {
			done = 1;
			args[k++] = argv[i];
		} else if (!strcmp(a, "--db")) {
			if (i + 1 == argc) {
				log_warnx("--db needs a file name (see 'delphi help')");
				return CLI_USAGE;
			}
			ctx->db_path = argv[++i];
		} else if (!strncmp(a, "--db=", 5)) {
			ctx->db_path = a + 5;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = 1;
		} else {
			args[k++] = argv[i];
		}
	}
	if (!*ctx->db_path) {
		log_warnx("--db needs a file name (see 'delphi help')");
		return CLI_USAGE;
	}
	*n = k;
	return CLI_OK;
}

static int help_command(int n, char **args)
{
	if (n > 2) {
		log_warnx("help: too many arguments (see 'delphi help')");
		return CLI_USAGE;
	}
	if (cli_help(n == 2 ? args[1] : NULL)) {
		log_warnx("there is no command '%s' (see 'delphi help')", args[1]);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int main(int argc, char **argv)
{
	const char *env_db = getenv("DELPHI_DB");
	struct cli_ctx ctx = { env_db && *env_db ? env_db : "delphi.db" };
	char **args = calloc((size_t)argc + 1, sizeof *args);
	int help = 0, n = 0, rc;
	if (!args) {
		log_warnx("out of memory");
		return CLI_FAIL;
	}
	if ((rc = global_options(argc, argv, &ctx, &help, args, &n)))
		goto out;
	if (n == 0) {
		if (help) {
			rc = cli_help(NULL) ? CLI_USAGE : CLI_OK;
		} else {
			fputs("usage: delphi [--db PATH] COMMAND [ARGS...]   (see 'delphi help')\n",
			      stderr);
			rc = CLI_USAGE;
		}
		goto out;
	}
	if (!strcmp(args[0], "help")) {
		rc = help_command(n, args);
		goto out;
	}
	const struct command *cmd = find_command(args[0]);
	if (!cmd) {
		log_warnx("there is no command '%s' (see 'delphi help')", args[0]);
		rc = CLI_USAGE;
		goto out;
	}
	if (help) {
		rc = cli_help(cmd->name) ? CLI_USAGE : CLI_OK;
		goto out;
	}
	if (crypto_init()) {
		log_warnx("cannot seed the random generator");
		rc = CLI_FAIL;
		goto out;
	}
	rc = cmd->run(&ctx, n, args);
	crypto_release();
out:
	free(args);
	/* Output that did not reach its destination is a failure, not a success. */
	if (fflush(stdout) || ferror(stdout)) {
		log_warn("cannot write the output");
		if (rc == CLI_OK)
			rc = CLI_FAIL;
	}
	return rc;
}
