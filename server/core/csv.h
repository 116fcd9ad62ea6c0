/*
 * csv — RFC 4180 reading and writing.
 *
 * Reading: fields separated by ',', records by CRLF or LF; fields may be quoted with '"', in which
 * case they may contain commas, CR/LF and doubled quotes. A UTF-8 BOM at the start is skipped.
 * A trailing newline does not make an empty record; blank lines are skipped. Ragged rows (a
 * different number of fields from the header) are reported to the caller, who decides.
 * Malformed input (a quote inside an unquoted field, text after a closing quote, an unterminated
 * quote) is an error with the line number where the record started.
 *
 * Writing: a field is quoted when it contains ',', '"', CR, LF, or leading/trailing space;
 * records end with "\n".
 *
 * Ownership: the reader borrows the input buffer (it must outlive the reader); rows returned by
 * csv_next are owned by the reader and valid until the next call.
 */
#ifndef DELPHI_CSV_H
#define DELPHI_CSV_H

#include <stddef.h>

#include "buf.h"

struct csv_reader;

struct csv_row {
	char **fields;    /* n NUL-terminated strings (owned by the reader) */
	size_t n;
	size_t line;      /* 1-based line number where the record starts */
	size_t record;    /* 1-based record number (the header is record 1) */
};

struct csv_reader *csv_reader_new(const char *data, size_t len);
void csv_reader_free(struct csv_reader *r); /* NULL is a no-op */

/* Reads the next record. Returns 1 with *row filled, 0 at end of input, -1 on malformed input
 * (then csv_error tells what and where). */
int csv_next(struct csv_reader *r, struct csv_row *row);
const char *csv_error(const struct csv_reader *r); /* e.g. "line 7: unterminated quoted field" */

/* Appends one field / one record to out, quoting as needed. */
void csv_write_field(struct buf *out, const char *field);
void csv_write_row(struct buf *out, const char *const *fields, size_t n);

#endif
