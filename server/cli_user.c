/*
 * cli_user — `delphi user add | list | passwd | disable | enable`: the console's accounts
 * (admins, coordinators, planners), managed from the machine that holds the database.
 *
 * Passwords never come from the command line (it shows in `ps` and in shell history): they are
 * asked for twice without echo when standard input is a terminal, else read from the first
 * line of standard input (for scripts: `printf '%s\n' "$PW" | delphi user add ...`).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "cli.h"
#include "cli_util.h"
#include "db.h"
#include "db_users.h"
#include "log.h"

#define LINE_MAX_BYTES (AUTH_PASSWORD_MAX + 1) /* a password and a '\r' before the newline */

/* The terminal's settings while echo is off, for the signal handler to put back. */
static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

static void restore_tty_and_die(int sig)
{
	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define N_TTY_SIGNALS (sizeof tty_signals / sizeof tty_signals[0])

/*
 * Reads one line from standard input into buf[LINE_MAX_BYTES + 1] without its newline (and a
 * '\r' before it). Returns 0 with *len, 1 at end of input with nothing read, 2 when the line is
 * longer than AUTH_PASSWORD_MAX bytes (the rest of the line is read and dropped), -1 on a read
 * error.
 */
static int read_line(char *buf, size_t *len)
{
	size_t n = 0;
	int c, too_long = 0;
	while ((c = getchar()) != EOF && c != '\n') {
		if (n < LINE_MAX_BYTES)
			buf[n++] = (char)c;
		else
			too_long = 1;
	}
	if (ferror(stdin))
		return -1;
	if (c == EOF && n == 0 && !too_long)
		return 1;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return too_long || n > AUTH_PASSWORD_MAX ? 2 : 0;
}

/* Shows prompt on stderr and reads a line from the terminal on standard input with echo off. */
static int read_hidden(const char *prompt, char *buf, size_t *len)
{
	struct sigaction sa = { .sa_handler = restore_tty_and_die }, old[N_TTY_SIGNALS];
	struct termios quiet;
	int rc;
	if (tcgetattr(STDIN_FILENO, &saved_tty))
		return -1;
	quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_TTY_SIGNALS; i++)
		sigaction(tty_signals[i], &sa, &old[i]);
	tty_changed = 1;
	/* Echo goes off (and typeahead, which was shown, is dropped) before the prompt appears. */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)) {
		rc = -1;
	} else {
		fputs(prompt, stderr);
		fflush(stderr);
		rc = read_line(buf, len);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	}
	tty_changed = 0;
	for (size_t i = 0; i < N_TTY_SIGNALS; i++)
		sigaction(tty_signals[i], &old[i], NULL);
	fputc('\n', stderr); /* the newline the user typed was not echoed */
	return rc;
}

/*
 * The new password of user name into pw[LINE_MAX_BYTES + 1]: asked twice on a terminal, else
 * the first line of standard input; checked against auth_password_check. Returns CLI_OK, or
 * CLI_USAGE / CLI_FAIL after a message. The caller wipes pw.
 */
static int read_password(const char *name, char *pw)
{
	char again[LINE_MAX_BYTES + 1], prompt[128];
	size_t len = 0, len2 = 0;
	int rc = CLI_USAGE, got;
	if (isatty(STDIN_FILENO)) {
		snprintf(prompt, sizeof prompt, "new password for %s: ", name);
		got = read_hidden(prompt, pw, &len);
		if (got == 0) {
			got = read_hidden("repeat it: ", again, &len2);
			if (got == 0 && (len != len2 || memcmp(pw, again, len))) {
				log_warnx("the two passwords differ: nothing was changed");
				goto out;
			}
		}
	} else {
		got = read_line(pw, &len);
	}
	switch (got) {
	case 0:
		break;
	case 1:
		log_warnx("no password given: type it when asked, or give it on the first line of "
			  "standard input");
		goto out;
	case 2:
		log_warnx("the password is longer than %d bytes", AUTH_PASSWORD_MAX);
		goto out;
	default:
		log_warn("cannot read the password");
		rc = CLI_FAIL;
		goto out;
	}
	int problem = auth_password_check(pw, len);
	if (problem != AUTH_PASSWORD_OK) {
		log_warnx("the password %s: nothing was changed",
			  auth_password_problem_text(problem));
		goto out;
	}
	rc = CLI_OK;
out:
	explicit_bzero(again, sizeof again);
	return rc;
}

/* Hashes pw with the full iteration count and wipes it. NULL after a message on failure. */
static char *hash_password(char *pw)
{
	char *hash = auth_password_hash(pw, CRYPTO_PBKDF2_ITERATIONS);
	explicit_bzero(pw, LINE_MAX_BYTES + 1);
	if (!hash)
		log_warnx("cannot hash the password (no randomness, or out of memory)");
	return hash;
}

/* The new password of user name, read (read_password) and hashed (hash_password), into *hash
 * (the caller frees it); the password itself is wiped. Returns an enum cli_status. */
static int new_password_hash(const char *name, char **hash)
{
	char pw[LINE_MAX_BYTES + 1];
	int rc = read_password(name, pw);
	if (rc) {
		explicit_bzero(pw, sizeof pw);
		return rc;
	}
	return (*hash = hash_password(pw)) ? CLI_OK : CLI_FAIL;
}

static int check_name(const char *cmd, const char *name)
{
	if (auth_user_name_valid(name))
		return CLI_OK;
	return cli_util_usage(cmd, "'%s' is not a user name: use 1 to %d of a-z, 0-9, '.', '_', "
			      "'-', '@', starting with a letter or a digit",
			      name, DB_USER_NAME_MAX);
}

static int unknown_user(const char *name)
{
	log_warnx("there is no user '%s' (see 'delphi user list')", name);
	return CLI_USAGE;
}

/* delphi user add NAME --role ROLE */
static int user_add(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "user add";
	const char *role_name = NULL, *pos[1];
	const struct cli_util_opt opts[] = { { "--role", &role_name, NULL } };
	char *hash = NULL;
	struct db *db = NULL;
	struct db_user u;
	int n_pos, rc, role;
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 1, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--role", role_name)) || (rc = check_name(cmd, pos[0])))
		return rc;
	if ((role = db_role_parse(role_name)) < 0)
		return cli_util_usage(cmd, "--role must be admin, coordinator or planner, not '%s'",
				      role_name);
	if ((rc = cli_util_open(ctx, false, &db)))
		goto out;
	/* Asked before the password is, so nobody types one for nothing. */
	int found = db_user_get(db, pos[0], &u);
	if (found < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (found == DB_FOUND) {
		log_warnx("there is a user '%s' already: change its password with 'delphi user "
			  "passwd %s'", pos[0], pos[0]);
		rc = CLI_FAIL;
		goto out;
	}
	if ((rc = new_password_hash(pos[0], &hash)))
		goto out;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_user_add(db, pos[0], role, hash, NULL);
	if (outcome == DB_USER_EXISTS) {
		log_warnx("there is a user '%s' already (added meanwhile): nothing was changed",
			  pos[0]);
		rc = CLI_FAIL;
		goto out;
	}
	char detail[160];
	snprintf(detail, sizeof detail, "name=%s role=%s", pos[0], db_role_name(role));
	if (outcome < 0 || db_audit(db, "cli", "user.add", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("added user %s (%s)\n", pos[0], db_role_name(role));
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_close(db);
	free(hash);
	return rc;
}

static int list_cb(const struct db_user_info *u, void *arg)
{
	int *n = arg;
	if ((*n)++ == 0)
		printf("%-24s %-12s %-9s %s\n", "NAME", "ROLE", "STATE", "CREATED");
	printf("%-24s %-12s %-9s %s\n", u->name, u->role, u->disabled ? "disabled" : "active",
	       u->created_at);
	return 0;
}

/* delphi user list */
static int user_list(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct db *db = NULL;
	int n_pos, rc, n = 0;
	if ((rc = cli_util_parse("user list", argc, argv, NULL, 0, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_open(ctx, false, &db)))
		return rc;
	if (db_user_list(db, list_cb, &n) < 0)
		rc = cli_util_db_fail(db);
	else if (n == 0)
		log_warnx("no users yet: add one with 'delphi user add NAME --role admin'");
	db_close(db);
	return rc;
}

/* delphi user passwd NAME */
static int user_passwd(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "user passwd";
	const char *pos[1];
	char *hash = NULL;
	struct db *db = NULL;
	struct db_user u;
	int64_t ended = 0;
	int n_pos, rc;
	if ((rc = cli_util_parse(cmd, argc, argv, NULL, 0, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_open(ctx, false, &db)))
		goto out;
	int found = db_user_get(db, pos[0], &u);
	if (found < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (found == DB_NOT_FOUND) {
		rc = unknown_user(pos[0]);
		goto out;
	}
	if ((rc = new_password_hash(pos[0], &hash)))
		goto out;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_user_set_password(db, pos[0], hash, &ended);
	if (outcome == DB_USER_UNKNOWN) {
		rc = unknown_user(pos[0]);
		goto out;
	}
	char detail[160];
	snprintf(detail, sizeof detail, "name=%s sessions_ended=%lld", pos[0], (long long)ended);
	if (outcome < 0 || db_audit(db, "cli", "user.passwd", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("changed the password of %s; %lld session%s ended\n", pos[0], (long long)ended,
	       ended == 1 ? "" : "s");
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_close(db);
	free(hash);
	return rc;
}

/* delphi user disable NAME / delphi user enable NAME */
static int user_set_disabled(const struct cli_ctx *ctx, int argc, char **argv, bool disabled)
{
	const char *cmd = disabled ? "user disable" : "user enable";
	const char *word = disabled ? "disabled" : "enabled";
	const char *pos[1];
	struct db *db = NULL;
	int64_t ended = 0;
	bool changed = false;
	int n_pos, rc;
	if ((rc = cli_util_parse(cmd, argc, argv, NULL, 0, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_open(ctx, false, &db)))
		goto out;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_user_set_disabled(db, pos[0], disabled, &changed, &ended);
	if (outcome < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (outcome == DB_USER_UNKNOWN) {
		rc = unknown_user(pos[0]);
		goto out;
	}
	if (changed || ended) {
		char detail[160];
		if (disabled)
			snprintf(detail, sizeof detail, "name=%s sessions_ended=%lld", pos[0],
				 (long long)ended);
		else
			snprintf(detail, sizeof detail, "name=%s", pos[0]);
		if (db_audit(db, "cli", disabled ? "user.disable" : "user.enable", detail)) {
			rc = cli_util_db_fail(db);
			goto out;
		}
	}
	if (db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (changed)
		printf("%s user %s", word, pos[0]);
	else
		printf("user %s was %s already: nothing changed", pos[0], word);
	if (disabled && (changed || ended))
		printf("; %lld session%s ended", (long long)ended, ended == 1 ? "" : "s");
	putchar('\n');
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_close(db);
	return rc;
}

int cli_user(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_util_usage("user",
				      "say what to do: add, list, passwd, disable or enable");
	const char *sub = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(sub, "add"))
		return user_add(ctx, argc, argv);
	if (!strcmp(sub, "list"))
		return user_list(ctx, argc, argv);
	if (!strcmp(sub, "passwd"))
		return user_passwd(ctx, argc, argv);
	if (!strcmp(sub, "disable"))
		return user_set_disabled(ctx, argc, argv, true);
	if (!strcmp(sub, "enable"))
		return user_set_disabled(ctx, argc, argv, false);
	return cli_util_usage("user", "unknown subcommand '%s' (add, list, passwd, disable or "
			      "enable)", sub);
}
