/*
 * csv — RFC 4180 reading and writing.
 *
 * Reading: fields separated by ',', records by CRLF or LF; fields may be quoted with '"', in which
 * case they may contain commas, CR/LF and doubled quotes. A UTF-8 BOM at the start is skipped.
 * A trailing newline does not make an empty record; blank lines are skipped. Ragged rows (a
 * different number of fields from the header) are reported to the caller, who decides.
 * Malformed input (a quote inside an unquoted field, text after a closing quote, an unterminated
 * quote) is an error naming the line (see below; normally the line where the record started).
 *
 * Strictness (reading): fields are taken byte for byte (no trimming; a space before an opening
 * quote makes the quote part of an unquoted field, which is an error). Quoted fields keep their
 * CR/LF bytes as they are. Outside quotes a CR must be followed by LF. A NUL byte anywhere is an
 * error; so is a record of more than CSV_MAX_FIELDS fields. Field sizes are bounded only by the
 * input. Errors are sticky: after -1 every further csv_next returns -1.
 * Error messages read "line N: what", where N is the line of the offending byte (for an
 * unterminated quote, the line of the opening quote: "line 7: unterminated quoted field starting
 * here"). That is the line where the record started unless earlier quoted fields of the same
 * record spanned lines; then the message ends "(in the record starting at line M)".
 * Line numbers count LF bytes, including those inside quoted fields; a BOM does not count.
 *
 * Writing: a field is quoted when it contains ',', '"', CR, LF, or leading/trailing space or tab
 * (or starts with a UTF-8 BOM); records end with "\n". A record of one empty field is written
 * as "\"\"" so that it does not read back as a blank line; a record of zero fields is a bare
 * "\n" and does read back as nothing. A NULL field is written as an empty one.
 *
 * Ownership: the reader borrows the input buffer (it must outlive the reader); rows returned by
 * csv_next are owned by the reader and valid until the next call.
 */
#ifndef DELPHI_CSV_H
#define DELPHI_CSV_H

#include <stddef.h>

#include "buf.h"

/* The most fields one record may have (a bound on the reader's memory per record). */
#define CSV_MAX_FIELDS 65536

struct csv_reader;

struct csv_row {
	char **fields;    /* n NUL-terminated strings (owned by the reader) */
	size_t n;
	size_t line;      /* 1-based line number where the record starts */
	size_t record;    /* 1-based record number (the header is record 1) */
};

/* Returns a reader over data[0..len) (data need not be NUL-terminated), or NULL when out of
 * memory. */
struct csv_reader *csv_reader_new(const char *data, size_t len);
void csv_reader_free(struct csv_reader *r); /* NULL is a no-op */

/* Reads the next record. Returns 1 with *row filled, 0 at end of input, -1 on malformed input
 * (then csv_error tells what and where). */
int csv_next(struct csv_reader *r, struct csv_row *row);
/* The last error, e.g. "line 7: unterminated quoted field starting here"; "" if none. Owned by
 * the reader. */
const char *csv_error(const struct csv_reader *r);

/* Appends one field / one record to out, quoting as needed. */
void csv_write_field(struct buf *out, const char *field);
void csv_write_row(struct buf *out, const char *const *fields, size_t n);

#endif
