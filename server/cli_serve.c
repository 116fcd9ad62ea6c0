/* cli_serve — `delphi serve` (placeholder until the server lands). */
#include <stdio.h>

#include "cli.h"

int cli_serve(const struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	fputs("delphi: 'serve' is not available yet\n", stderr);
	return CLI_FAIL;
}
