/*
 * fuzz_csv — libFuzzer target for the RFC 4180 reader and writer (csv.h).
 *
 * Each input is used three ways:
 *   1. read as CSV to the end or the first error, checking what csv.h promises of every row
 *      (at least one field, record numbers 1, 2, ..., start lines increasing) and of errors
 *      ("line N: ...", sticky);
 *   2. the records read are written back with csv_write_row and read again: they must come
 *      back equal (read -> write -> read);
 *   3. the input is cut into records at 0x01 bytes and into fields at 0x00 bytes; those
 *      records are written and read back, and must come back equal (write -> read), whatever
 *      bytes the fields hold.
 * See fuzz/fuzz.h.
 */
#include "fuzz.h"

#include <string.h>

#include "buf.h"
#include "csv.h"

/* Records as copies: rec[i] has n[i] NUL-terminated fields. */
struct fc_records {
	char ***rec;
	size_t *n;
	size_t count, cap;
};

static void fc_release(struct fc_records *rs)
{
	for (size_t i = 0; i < rs->count; i++) {
		for (size_t j = 0; j < rs->n[i]; j++)
			free(rs->rec[i][j]);
		free(rs->rec[i]);
	}
	free(rs->rec);
	free(rs->n);
	memset(rs, 0, sizeof *rs);
}

/* Appends a record of n fields (field j: fields[j][0..lens[j]); lens NULL: NUL-terminated). */
static void fc_add(struct fc_records *rs, char *const *fields, const size_t *lens, size_t n)
{
	if (rs->count == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		char ***rec = realloc(rs->rec, cap * sizeof *rec);
		FUZZ_CHECK(rec != NULL);
		rs->rec = rec;
		size_t *ns = realloc(rs->n, cap * sizeof *ns);
		FUZZ_CHECK(ns != NULL);
		rs->n = ns;
		rs->cap = cap;
	}
	char **copy = calloc(n ? n : 1, sizeof *copy);
	FUZZ_CHECK(copy != NULL);
	for (size_t j = 0; j < n; j++) {
		size_t len = lens ? lens[j] : strlen(fields[j]);
		copy[j] = malloc(len + 1);
		FUZZ_CHECK(copy[j] != NULL);
		memcpy(copy[j], fields[j], len);
		copy[j][len] = '\0';
	}
	rs->rec[rs->count] = copy;
	rs->n[rs->count] = n;
	rs->count++;
}

/* Reads data as CSV, checking every row; the records read (up to an error) go to rs.
 * Returns what the last csv_next returned (0 or -1). */
static int fc_read(const char *data, size_t len, struct fc_records *rs)
{
	struct csv_reader *r = csv_reader_new(data, len);
	struct csv_row row;
	size_t last_line = 0;
	int rc;
	FUZZ_CHECK(r != NULL);
	FUZZ_CHECK(strcmp(csv_error(r), "") == 0);
	while ((rc = csv_next(r, &row)) == 1) {
		size_t bytes = 0;
		FUZZ_CHECK(row.n >= 1 && row.n <= CSV_MAX_FIELDS);
		FUZZ_CHECK(row.record == rs->count + 1);
		FUZZ_CHECK(row.line > last_line);
		last_line = row.line;
		for (size_t j = 0; j < row.n; j++)
			bytes += strlen(row.fields[j]);
		FUZZ_CHECK(bytes <= len); /* fields hold input bytes, unescaped */
		fc_add(rs, row.fields, NULL, row.n);
	}
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		const char *e = csv_error(r);
		FUZZ_CHECK(strncmp(e, "line ", 5) == 0 && e[5] >= '1' && e[5] <= '9');
		FUZZ_CHECK(csv_next(r, &row) == -1); /* sticky */
		FUZZ_CHECK(strcmp(csv_error(r), e) == 0);
	} else {
		FUZZ_CHECK(strcmp(csv_error(r), "") == 0);
		FUZZ_CHECK(csv_next(r, &row) == 0);
	}
	csv_reader_free(r);
	return rc;
}

/* Writes the records of rs (those with at least one field), reads them back: equal. */
static void fc_round_trip(const struct fc_records *rs)
{
	struct buf out = BUF_INIT;
	struct fc_records back = { 0 };
	size_t k = 0;
	buf_init(&out);
	for (size_t i = 0; i < rs->count; i++)
		csv_write_row(&out, (const char *const *)rs->rec[i], rs->n[i]);
	FUZZ_CHECK(strlen(out.data) == out.len); /* the writer never writes a NUL */
	FUZZ_CHECK(fc_read(out.data, out.len, &back) == 0);
	for (size_t i = 0; i < rs->count; i++) {
		if (rs->n[i] == 0)
			continue; /* a record of no fields is a bare line: it reads back as nothing */
		FUZZ_CHECK(k < back.count);
		FUZZ_CHECK(back.n[k] == rs->n[i]);
		for (size_t j = 0; j < rs->n[i]; j++)
			FUZZ_CHECK(strcmp(back.rec[k][j], rs->rec[i][j]) == 0);
		k++;
	}
	FUZZ_CHECK(k == back.count);
	fc_release(&back);
	buf_release(&out);
}

/* Cuts data into records at 0x01 and fields at 0x00 (see the top of the file). */
static void fc_split(const uint8_t *data, size_t size, struct fc_records *rs)
{
	size_t cap = 16, n = 0, start = 0;
	char **fields = malloc(cap * sizeof *fields);
	size_t *lens = malloc(cap * sizeof *lens);
	int too_many = 0;
	FUZZ_CHECK(fields && lens);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != 0x00 && data[i] != 0x01)
			continue;
		if (n == cap) {
			cap *= 2;
			char **f = realloc(fields, cap * sizeof *f);
			FUZZ_CHECK(f != NULL);
			fields = f;
			size_t *l = realloc(lens, cap * sizeof *l);
			FUZZ_CHECK(l != NULL);
			lens = l;
		}
		fields[n] = (char *)data + start;
		lens[n] = i - start;
		n++;
		start = i + 1;
		if (i == size || data[i] == 0x01) {
			/* The reader refuses records of more than CSV_MAX_FIELDS fields. */
			if (n > CSV_MAX_FIELDS)
				too_many = 1;
			else if (!too_many)
				fc_add(rs, fields, lens, n);
			n = 0;
		}
	}
	free(fields);
	free(lens);
}

int fuzz_csv_one(const uint8_t *data, size_t size)
{
	struct fc_records read = { 0 }, split = { 0 };
	fc_read((const char *)data, size, &read);
	fc_round_trip(&read);
	fc_split(data, size, &split);
	fc_round_trip(&split);
	fc_release(&read);
	fc_release(&split);
	return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_csv_one(data, size);
}
#endif
