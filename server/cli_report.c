/* cli_report — `delphi aggregate` and `delphi report` (placeholder until the aggregator lands). */
#include <stdio.h>

#include "cli.h"

int cli_aggregate(const struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	fputs("delphi: 'aggregate' is not available yet\n", stderr);
	return CLI_FAIL;
}

int cli_report(const struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	fputs("delphi: 'report' is not available yet\n", stderr);
	return CLI_FAIL;
}
