/*
 * log — the server's and the CLI's diagnostics on stderr.
 *
 * log_warn appends strerror(errno); log_warnx does not; log_info / log_debug for the rest;
 * fatal / fatalx log and exit(1): only at start-up, never while serving. Lines are prefixed with
 * an ISO-8601 UTC time when log_set_timestamps(1) (the server); the CLI prints bare
 * "delphi: ..." lines. Thread-safe (one fprintf per line, one fwrite per block of log_write).
 * Never log secrets.
 */
#ifndef DELPHI_LOG_H
#define DELPHI_LOG_H

#include <stddef.h>
#include <time.h>

#define LOG_FMT(i) __attribute__((format(printf, i, i + 1)))

void log_set_timestamps(int on);
void log_set_verbose(int on);
void log_info(const char *fmt, ...) LOG_FMT(1);
void log_debug(const char *fmt, ...) LOG_FMT(1);
void log_warn(const char *fmt, ...) LOG_FMT(1);
void log_warnx(const char *fmt, ...) LOG_FMT(1);
_Noreturn void fatal(const char *fmt, ...) LOG_FMT(1);

/* For callers that format and buffer lines themselves (the server's access log, one line per
 * request): log_info_prefix writes the start of a log_info line at time t ("2026-01-02T03:04:05Z
 * info: ", or "delphi: " without timestamps) into out[size] and returns its length (0 if it does
 * not fit); log_write writes len bytes of whole lines (each ending in '\n') to the log as they
 * are. */
size_t log_info_prefix(time_t t, char *out, size_t size);
void log_write(const char *lines, size_t len);
_Noreturn void fatalx(const char *fmt, ...) LOG_FMT(1);

#endif
