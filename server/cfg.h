/*
 * cfg — the settings of `delphi serve`, driven by one table: for each setting its flag
 * (--NAME VALUE or --NAME=VALUE), its environment variable (DELPHI_NAME), its type, default and
 * bounds, and a help line. Precedence, lowest first: the table's default, the environment, then
 * the command line; the caller may inject a value between the last two (cli_serve puts the global
 * `delphi --db` there) with cfg_set. An empty environment variable counts as unset.
 *
 * Every value is checked when it is set (numbers through strconv with the table's range; enums
 * against their words; the listen address and public URL by shape) and errors say which source
 * was wrong ("--threads: '0' is not an integer in 1..256"). cfg_finish fills the derived
 * defaults: cert and key next to the database ("DIR/delphi.crt", "DIR/delphi.key"), threads = the
 * number of online CPUs (at most 256).
 *
 * struct cfg owns its strings (cfg_release frees them). Not thread-safe; used at start-up only.
 */
#ifndef DELPHI_CFG_H
#define DELPHI_CFG_H

#include <stddef.h>

struct buf;

enum cfg_durability {
	CFG_DURABILITY_NORMAL = 0, /* WAL + synchronous=NORMAL: survives kill -9 */
	CFG_DURABILITY_FULL = 1,   /* WAL + synchronous=FULL: survives power loss */
};

struct cfg {
	char *listen;          /* "HOST:PORT" / "[V6]:PORT"; port 0 = any free port */
	char *db;              /* database file */
	char *cert;            /* PEM certificate; after cfg_finish never NULL */
	char *key;             /* PEM key; after cfg_finish never NULL */
	long threads;          /* event-loop threads; 0 until cfg_finish = number of CPUs */
	long durability;       /* enum cfg_durability */
	char *public_url;      /* "https://host[:port][/path]" printed to users; NULL = derived */
	char *web_dir;         /* serve web files from here (development); NULL = embedded */
	long max_connections;  /* open connections above this are closed at once */
	long max_body;         /* request body limit, bytes */
	long max_headers;      /* request line + headers limit, bytes */
	long timeout;          /* seconds of read/write inactivity before a connection is closed */
	long shutdown_timeout; /* seconds in-flight requests get after SIGTERM */
};

/* Sets every setting to its table default (strings copied). */
void cfg_init(struct cfg *c);
/* Frees the strings; c may be cfg_init'ed again. */
void cfg_release(struct cfg *c);

/* Sets one setting by its flag name ("max-body") from text. source names the origin in the error
 * message ("--max-body", "DELPHI_MAX_BODY"); NULL = "--NAME". value NULL or "" resets an optional
 * string to unset (and is an error for the others). Returns 0, or -1 with a message in err. */
int cfg_set(struct cfg *c, const char *name, const char *value, const char *source, char *err,
	    size_t errlen);

/* Applies DELPHI_* variables looked up through get (getenv-like; arg passed through). Returns 0, or
 * -1 at the first bad value with a message in err. */
int cfg_load_env(struct cfg *c, const char *(*get)(const char *name, void *arg), void *arg,
		 char *err, size_t errlen);

/* Applies the flags in argv[0..argc-1] (no program/command name in front). Returns 0; 1 when -h or
 * --help was given (nothing else is checked after it); -1 with a message in err for an unknown
 * flag, a missing value, a positional argument or a bad value. */
int cfg_parse_args(struct cfg *c, int argc, char **argv, char *err, size_t errlen);

/* Derives the defaults that depend on other settings (see above). Returns 0, or -1 with err. */
int cfg_finish(struct cfg *c, char *err, size_t errlen);

/* Appends the options part of `delphi serve --help`, generated from the table. */
void cfg_usage(struct buf *out);

/* Splits a listen address "HOST:PORT" or "[V6ADDR]:PORT" into host (without brackets) and port
 * (0..65535). Pure. Returns 0, or -1 if the shape or the port is wrong or host does not fit. */
int cfg_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port);

/* 1 if s is an acceptable public URL: "https://" then a non-empty authority, an optional path; no
 * query, fragment, whitespace, control characters or user info. Pure. */
int cfg_is_public_url(const char *s);

#endif
