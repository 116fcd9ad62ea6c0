/* main — delphi's entry point: global options and dispatch to `delphi <command>` (cli_*.c). */
#include <stdio.h>
#include <string.h>

#include "crypto.h"

int main(int argc, char **argv)
{
	if (crypto_init()) {
		fputs("delphi: cannot seed the random generator\n", stderr);
		return 1;
	}
	if (argc < 2 || !strcmp(argv[1], "help")) {
		puts("usage: delphi [--db PATH] <command> ...   (see delphi help COMMAND)");
		return argc < 2 ? 2 : 0;
	}
	fprintf(stderr, "delphi: unknown command '%s' (see 'delphi help')\n", argv[1]);
	crypto_release();
	return 2;
}
