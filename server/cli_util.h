/*
 * cli_util — what the command files (cli_*.c) share: option parsing, usage errors, opening the
 * database and a survey with the right messages, reading input files, numbered error lists for
 * CSV imports. Functions that print do so on stderr as "delphi: ..." lines that say what to do,
 * and return an enum cli_status (cli.h) ready to be returned by the command.
 */
#ifndef DELPHI_CLI_UTIL_H
#define DELPHI_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "csv.h"
#include "db.h"

#define CLI_UTIL_MAX_ERRORS 20 /* an import reports this many problems, then "and N more" */
#define CLI_UTIL_FILE_MAX (256u << 20) /* input files larger than this are refused */
#define CLI_UTIL_DEFAULT_PUBLIC_URL "https://localhost:8443" /* cli_util_public_url */

/* An option of a command: "--name VALUE" / "--name=VALUE" when value is set, a flag "--name"
 * when flag is set (exactly one of them). */
struct cli_util_opt {
	const char *name; /* with the dashes: "--survey" */
	const char **value;
	bool *flag;
};

/*
 * Parses argv[0..argc) of command cmd ("survey load": the group and the subcommand; its first
 * word names the help to point at) against opts[0..n_opts); the other arguments are positional
 * and go to pos[0..max_pos) (n_pos receives their number). "--" ends the options; "-" is a
 * positional (standard input). Options not given leave their value / flag untouched.
 * Returns CLI_OK, or CLI_USAGE after printing what is wrong (unknown option, missing value,
 * too few or too many positional arguments).
 */
int cli_util_parse(const char *cmd, int argc, char **argv, const struct cli_util_opt *opts,
		   size_t n_opts, const char **pos, int min_pos, int max_pos, int *n_pos);

/* Prints "delphi: CMD: MESSAGE (see 'delphi help GROUP')" and returns CLI_USAGE. */
int cli_util_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks that an option was given: prints a usage error naming it and returns CLI_USAGE if
 * value is NULL, else returns CLI_OK. */
int cli_util_require(const char *cmd, const char *opt, const char *value);

/* Parses an integer option in [min, max]; CLI_OK, or CLI_USAGE after a message. */
int cli_util_int(const char *cmd, const char *opt, const char *s, int min, int max, int *out);

/* Opens ctx->db_path read-write (creating it when create) with full durability. A missing file
 * (without create) is reported with the hint to run 'delphi init'. CLI_OK or CLI_FAIL. */
int cli_util_open(const struct cli_ctx *ctx, bool create, struct db **out);

/* Loads survey slug: CLI_OK with *out, CLI_USAGE if there is none, CLI_FAIL on failure. */
int cli_util_survey(struct db *db, const char *slug, struct db_survey **out);

/* Prints db_error(db) and returns CLI_FAIL. */
int cli_util_db_fail(struct db *db);

/* Reads a whole file ("-": standard input) into *data (NUL-terminated; caller frees) and *len.
 * Returns CLI_OK, or CLI_USAGE after a message (cannot open, too large) — a missing input file
 * is bad input. */
int cli_util_read_file(const char *path, char **data, size_t *len);

/* The problems found in one input file. They are collected as they are found and printed by
 * cli_util_errors_end in row order: the first CLI_UTIL_MAX_ERRORS (by row) as
 * "SOURCE: row N: MESSAGE" ("SOURCE: MESSAGE" for row 0, the file as a whole), then how many
 * more there were. Memory stays bounded however many there are. Initialise with
 * cli_util_errors_init (source may be set later), release with cli_util_errors_release. */
struct cli_util_error_msg {
	size_t row;
	char *text;
};

struct cli_util_errors {
	const char *source;
	size_t n;     /* problems found */
	size_t shown; /* kept in msgs, sorted by row, file order among equal rows */
	struct cli_util_error_msg msgs[CLI_UTIL_MAX_ERRORS];
};

void cli_util_errors_init(struct cli_util_errors *e, const char *source);
void cli_util_errors_release(struct cli_util_errors *e);

void cli_util_error(struct cli_util_errors *e, size_t row, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* If there were problems: prints them, "SOURCE: ... and N more" when some were not shown, then
 * "delphi: SOURCE: N problems; nothing was imported", and returns CLI_USAGE; else CLI_OK. */
int cli_util_errors_end(const struct cli_util_errors *e);

/*
 * Walks a CSV import (data, len bytes): its header row names the columns, matched
 * case-insensitively (cells trimmed) against names[0..n); every name must be there once and no
 * other column may be. Then calls row(r, col, arg) for each data row, where col[i] is the column
 * of names[i]. Rows whose cells are all blank (spreadsheets write such rows) are skipped; rows
 * with another number of cells than the header are problems. Every problem (including malformed
 * CSV and an empty file) goes to e. A non-zero return from row stops the walk and is returned;
 * else returns 0.
 */
int cli_util_read_csv(struct cli_util_errors *e, const char *data, size_t len,
		      const char *const *names, size_t n,
		      int (*row)(const struct csv_row *r, const size_t *col, void *arg), void *arg);

/* The public URL that experts' links start with, from opt (--public-url), else
 * DELPHI_PUBLIC_URL, else CLI_UTIL_DEFAULT_PUBLIC_URL, without trailing slashes, into out[size]:
 * returns out, or NULL after a usage message of cmd if it is not an http(s) URL without blanks,
 * control characters or '"', or does not fit. */
const char *cli_util_public_url(const char *cmd, const char *opt, char *out, size_t size);

/* Trims blanks (space, tab) from both ends of s in place; returns s. */
char *cli_util_trim(char *s);

/* Writes len bytes to stdout; CLI_OK, or CLI_FAIL after a message (a closed pipe, a full disk). */
int cli_util_write(const char *data, size_t len);

#endif
