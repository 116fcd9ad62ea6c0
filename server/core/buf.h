/*
 * buf — a growable byte string (NUL-terminated), the house string builder.
 *
 * Invariants: after buf_init, data is never NULL; data[len] == '\0'; len < cap (cap counts the NUL).
 * Allocation failure aborts (out of memory is not an input error we can report usefully).
 * Owns its storage; buf_release frees it and leaves the buf ready for reuse; buf_detach hands the
 * storage to the caller ("you now own it", free() it) and re-initialises the buf.
 */
#ifndef DELPHI_BUF_H
#define DELPHI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Makes room for at least extra more bytes (plus the NUL). */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b); /* len = 0, keeps the storage */
/* Returns the storage (NUL-terminated, caller frees) and re-initialises b. */
char *buf_detach(struct buf *b, size_t *len);
/* Appends a double with %.17g, trimmed of needless digits: the shortest of %.6g..%.17g that
 * round-trips exactly. Non-finite values append nothing. */
void buf_add_double(struct buf *b, double v);

#endif
