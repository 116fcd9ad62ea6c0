/* csv — RFC 4180 reader and writer. See csv.h for the contract. */
#include "csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum csv_state {
	CSV_OK,
	CSV_EOF,
	CSV_FAILED,
};

struct csv_reader {
	const char *data;
	size_t len;
	size_t pos;
	size_t line;   /* line of data[pos] */
	size_t record; /* records returned so far */
	enum csv_state state;

	/* The current record: its fields' bytes, each followed by a NUL, at offs[i] in bytes. */
	struct buf bytes;
	size_t *offs;
	char **fields;
	size_t cap;

	char err[256];
};

struct csv_reader *csv_reader_new(const char *data, size_t len)
{
	struct csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->data = data;
	r->len = len;
	r->line = 1;
	buf_init(&r->bytes);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	return r;
}

void csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	buf_release(&r->bytes);
	free(r->offs);
	free(r->fields);
	free(r);
}

const char *csv_error(const struct csv_reader *r)
{
	return r->err;
}

__attribute__((format(printf, 4, 5))) static int fail(struct csv_reader *r, size_t line,
						      size_t start_line, const char *fmt, ...)
{
	char what[120];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (line == start_line)
		snprintf(r->err, sizeof r->err, "line %zu: %s", line, what);
	else
		snprintf(r->err, sizeof r->err, "line %zu: %s (in the record starting at line %zu)",
			 line, what, start_line);
	r->state = CSV_FAILED;
	return -1;
}

/* Starts field number n of the current record at the end of r->bytes. */
static int start_field(struct csv_reader *r, size_t n, size_t start_line)
{
	if (n == CSV_MAX_FIELDS)
		return fail(r, r->line, start_line, "more than %d fields", CSV_MAX_FIELDS);
	if (n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		if (cap > CSV_MAX_FIELDS)
			cap = CSV_MAX_FIELDS;
		size_t *offs = realloc(r->offs, cap * sizeof *offs);
		if (!offs)
			return fail(r, r->line, start_line, "out of memory");
		r->offs = offs;
		char **fields = realloc(r->fields, cap * sizeof *fields);
		if (!fields)
			return fail(r, r->line, start_line, "out of memory");
		r->fields = fields;
		r->cap = cap;
	}
	r->offs[n] = r->bytes.len;
	return 0;
}

/* Skips empty lines (LF or CRLF alone). */
static void skip_blank_lines(struct csv_reader *r)
{
	while (r->pos < r->len) {
		if (r->data[r->pos] == '\n') {
			r->pos++;
		} else if (r->data[r->pos] == '\r' && r->pos + 1 < r->len &&
			   r->data[r->pos + 1] == '\n') {
			r->pos += 2;
		} else {
			break;
		}
		r->line++;
	}
}

/* The span of bytes from data[pos] that need no attention inside / outside quotes. */
static size_t plain_span(const struct csv_reader *r, int quoted)
{
	size_t i = r->pos;
	if (quoted) {
		while (i < r->len && r->data[i] != '"' && r->data[i] != '\n' && r->data[i] != '\0')
			i++;
	} else {
		while (i < r->len && r->data[i] != ',' && r->data[i] != '"' && r->data[i] != '\n' &&
		       r->data[i] != '\r' && r->data[i] != '\0')
			i++;
	}
	return i - r->pos;
}

/* Reads a quoted field's contents from just after its opening quote up to and including its
 * closing quote. */
static int read_quoted(struct csv_reader *r, size_t start_line)
{
	size_t quote_line = r->line;
	for (;;) {
		size_t span = plain_span(r, 1);
		buf_add(&r->bytes, r->data + r->pos, span);
		r->pos += span;
		if (r->pos == r->len)
			return fail(r, quote_line, start_line, "unterminated quoted field starting here");
		char c = r->data[r->pos];
		if (c == '\0')
			return fail(r, r->line, start_line, "NUL byte in input");
		if (c == '\n') {
			buf_addch(&r->bytes, '\n');
			r->pos++;
			r->line++;
			continue;
		}
		/* c == '"': either a doubled quote or the closing one */
		if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
			buf_addch(&r->bytes, '"');
			r->pos += 2;
			continue;
		}
		r->pos++;
		return 0;
	}
}

/* Reads an unquoted field up to (not including) its terminator. */
static int read_unquoted(struct csv_reader *r, size_t start_line)
{
	size_t span = plain_span(r, 0);
	buf_add(&r->bytes, r->data + r->pos, span);
	r->pos += span;
	if (r->pos == r->len)
		return 0;
	switch (r->data[r->pos]) {
	case '"':
		return fail(r, r->line, start_line, "quote inside unquoted field");
	case '\0':
		return fail(r, r->line, start_line, "NUL byte in input");
	case '\r':
		if (r->pos + 1 < r->len && r->data[r->pos + 1] == '\n')
			return 0;
		return fail(r, r->line, start_line, "carriage return not followed by a line feed");
	default:
		return 0; /* ',' or '\n' */
	}
}

int csv_next(struct csv_reader *r, struct csv_row *row)
{
	if (r->state == CSV_FAILED)
		return -1;
	if (r->state == CSV_EOF)
		return 0;
	skip_blank_lines(r);
	if (r->pos == r->len) {
		r->state = CSV_EOF;
		return 0;
	}

	size_t start_line = r->line;
	size_t n = 0;
	buf_reset(&r->bytes);
	for (;;) {
		if (start_field(r, n, start_line))
			return -1;
		if (r->pos < r->len && r->data[r->pos] == '"') {
			r->pos++;
			if (read_quoted(r, start_line))
				return -1;
			if (r->pos < r->len && r->data[r->pos] != ',' && r->data[r->pos] != '\n' &&
			    !(r->data[r->pos] == '\r' && r->pos + 1 < r->len &&
			      r->data[r->pos + 1] == '\n'))
				return fail(r, r->line, start_line,
					    "unexpected character after closing quote");
		} else if (read_unquoted(r, start_line)) {
			return -1;
		}
		buf_addch(&r->bytes, '\0');
		n++;
		/* data[pos] is now the end of input, ',', LF or the CR of a CRLF */
		if (r->pos == r->len)
			break;
		char c = r->data[r->pos];
		r->pos += c == '\r' ? 2 : 1;
		if (c != ',') {
			r->line++;
			break;
		}
	}

	for (size_t i = 0; i < n; i++)
		r->fields[i] = r->bytes.data + r->offs[i];
	row->fields = r->fields;
	row->n = n;
	row->line = start_line;
	row->record = ++r->record;
	return 1;
}

static int needs_quotes(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return 0;
	if (strpbrk(s, ",\"\r\n"))
		return 1;
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
		return 1;
	/* a leading BOM would be skipped by the reader if this were the file's first field */
	return len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;
}

void csv_write_field(struct buf *out, const char *field)
{
	if (!field || !needs_quotes(field)) {
		if (field)
			buf_adds(out, field);
		return;
	}
	buf_addch(out, '"');
	for (const char *p = field; *p;) {
		const char *q = strchr(p, '"');
		if (!q) {
			buf_adds(out, p);
			break;
		}
		buf_add(out, p, (size_t)(q - p) + 1);
		buf_addch(out, '"');
		p = q + 1;
	}
	buf_addch(out, '"');
}

void csv_write_row(struct buf *out, const char *const *fields, size_t n)
{
	if (n == 1 && (!fields[0] || !fields[0][0])) {
		buf_adds(out, "\"\"\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(out, ',');
		csv_write_field(out, fields[i]);
	}
	buf_addch(out, '\n');
}
