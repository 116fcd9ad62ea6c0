/* log — stderr diagnostics. See log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int timestamps;
static int verbose;

void log_set_timestamps(int on)
{
	timestamps = on;
}

void log_set_verbose(int on)
{
	verbose = on;
}

/* "YYYY-MM-DDTHH:MM:SSZ " of t into out[32]. */
static void format_stamp(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ ", &tm);
}

static void vlog(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	char stamp[32] = "";
	if (timestamps) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		format_stamp(ts.tv_sec, stamp);
	}
	int n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		return;
	fprintf(stderr, "%s%s%s%s%s\n", stamp, timestamps ? level : "delphi: ", line,
		suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_BODY(level, suffix)                  \
	do {                                     \
		va_list ap;                      \
		va_start(ap, fmt);               \
		vlog(level, fmt, ap, suffix);    \
		va_end(ap);                      \
	} while (0)

void log_info(const char *fmt, ...)
{
	LOG_BODY("info: ", NULL);
}

void log_debug(const char *fmt, ...)
{
	if (!verbose)
		return;
	LOG_BODY("debug: ", NULL);
}

void log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY("warn: ", e);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY("warn: ", NULL);
}

void fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY("fatal: ", e);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal: ", NULL);
	exit(1);
}

size_t log_info_prefix(time_t t, char *out, size_t size)
{
	char stamp[32] = "";
	if (timestamps)
		format_stamp(t, stamp);
	int n = snprintf(out, size, "%s%s", stamp, timestamps ? "info: " : "delphi: ");
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

void log_write(const char *lines, size_t len)
{
	fwrite(lines, 1, len, stderr);
}
