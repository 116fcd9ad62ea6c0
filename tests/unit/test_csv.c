/*
 * test_csv — the RFC 4180 reader and writer (server/core/csv.c).
 *
 * Most reader cases are a table: an input and the expected "dump" of what the reader returns,
 * written by hand from the input. A dump has one line per record, "L:[f1][f2]..." where L is the
 * line the record starts on; in fields CR, LF and TAB are shown as \r, \n and \t. An error ends
 * the dump with "ERR <message>".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "csv.h"

/* Reads data[0..len) to the end (or the first error) and describes what came back. */
static char *dump(const char *data, size_t len)
{
	struct buf out = BUF_INIT;
	struct csv_reader *r = csv_reader_new(data, len);
	struct csv_row row;
	int rc;
	buf_init(&out);
	assert_non_null(r);
	while ((rc = csv_next(r, &row)) == 1) {
		buf_printf(&out, "%zu:", row.line);
		for (size_t i = 0; i < row.n; i++) {
			buf_addch(&out, '[');
			for (const char *p = row.fields[i]; *p; p++) {
				if (*p == '\n')
					buf_adds(&out, "\\n");
				else if (*p == '\r')
					buf_adds(&out, "\\r");
				else if (*p == '\t')
					buf_adds(&out, "\\t");
				else
					buf_addch(&out, *p);
			}
			buf_addch(&out, ']');
		}
		buf_addch(&out, '\n');
	}
	if (rc < 0) {
		buf_printf(&out, "ERR %s", csv_error(r));
		/* errors are sticky */
		assert_int_equal(csv_next(r, &row), -1);
	} else {
		assert_string_equal(csv_error(r), "");
		/* so is the end */
		assert_int_equal(csv_next(r, &row), 0);
	}
	csv_reader_free(r);
	return buf_detach(&out, NULL);
}

struct read_case {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
};

#define S(lit) lit, sizeof(lit) - 1 /* a literal with its exact length (for NUL bytes) */

static const struct read_case good_cases[] = {
	{ "simple LF", "a,b,c\n1,2,3\n", 0, "1:[a][b][c]\n2:[1][2][3]\n" },
	{ "no trailing newline", "a,b\n1,2", 0, "1:[a][b]\n2:[1][2]\n" },
	{ "CRLF", "a,b\r\n1,2\r\n", 0, "1:[a][b]\n2:[1][2]\n" },
	{ "CRLF, no trailing newline", "a,b\r\n1,2", 0, "1:[a][b]\n2:[1][2]\n" },
	{ "mixed CRLF and LF", "a\r\nb\nc\r\n", 0, "1:[a]\n2:[b]\n3:[c]\n" },
	{ "BOM skipped", "\xEF\xBB\xBF" "a,b\n", 0, "1:[a][b]\n" },
	{ "BOM then quoted field", "\xEF\xBB\xBF\"a\"\n", 0, "1:[a]\n" },
	{ "BOM alone", "\xEF\xBB\xBF", 0, "" },
	/* only a BOM at the very start is one; elsewhere its bytes are data */
	{ "BOM later is data", "a\n\xEF\xBB\xBF" "b\n", 0, "1:[a]\n2:[\xEF\xBB\xBF" "b]\n" },
	{ "half a BOM is data", "\xEF\xBB" "a\n", 0, "1:[\xEF\xBB" "a]\n" },
	{ "empty input", "", 0, "" },
	{ "only newlines", "\n\r\n\n", 0, "" },
	/* lines: 1 "", 2 "", 3 "a,b", 4 "", 5 "" (CRLF), 6 "1,2", 7 "" */
	{ "blank lines skipped, lines still counted", "\n\na,b\n\n\r\n1,2\n\n", 0,
	  "3:[a][b]\n6:[1][2]\n" },
	{ "a line of one space is a record", " \n", 0, "1:[ ]\n" },
	{ "empty fields", ",\na,,b\n,,\n", 0, "1:[][]\n2:[a][][b]\n3:[][][]\n" },
	{ "trailing comma at end of input", "a,", 0, "1:[a][]\n" },
	{ "quoted empty field is a record", "\"\"\n", 0, "1:[]\n" },
	{ "two quoted empty fields", "\"\",\"\"\n", 0, "1:[][]\n" },
	{ "quoted comma", "\"a,b\",c\n", 0, "1:[a,b][c]\n" },
	{ "doubled quotes", "\"say \"\"hi\"\"\",x\n", 0, "1:[say \"hi\"][x]\n" },
	{ "a field that is one quote", "\"\"\"\"\n", 0, "1:[\"]\n" },
	{ "quoted field last, no newline", "x,\"y\"", 0, "1:[x][y]\n" },
	{ "quoted field then CRLF", "\"x\"\r\n\"y\"\r\n", 0, "1:[x]\n2:[y]\n" },
	/* the record starts on line 1; its first field holds one LF, so "next" is on line 3 */
	{ "embedded LF", "\"line1\nline2\",z\nnext\n", 0, "1:[line1\\nline2][z]\n3:[next]\n" },
	{ "embedded CRLF kept as is", "\"a\r\nb\"\r\nc\r\n", 0, "1:[a\\r\\nb]\n3:[c]\n" },
	{ "embedded lone CR", "\"a\rb\"\n", 0, "1:[a\\rb]\n" },
	{ "embedded blank lines", "\"\n\n\",x\ny\n", 0, "1:[\\n\\n][x]\n4:[y]\n" },
	{ "spaces are data", " a , b \n", 0, "1:[ a ][ b ]\n" },
	{ "tabs are data", "\ta\t,b\n", 0, "1:[\\ta\\t][b]\n" },
	{ "UTF-8 passes through", "名前,值\n", 0, "1:[名前][值]\n" },
	{ "ragged rows are returned as they are", "a,b,c\n1,2\n1,2,3,4\n\n5\n", 0,
	  "1:[a][b][c]\n2:[1][2]\n3:[1][2][3][4]\n5:[5]\n" },
};

static const struct read_case bad_cases[] = {
	{ "unterminated quote", "a,b\n1,\"unterminated\n2,3\n", 0,
	  "1:[a][b]\nERR line 2: unterminated quoted field starting here" },
	{ "unterminated quote at end of input", "\"", 0,
	  "ERR line 1: unterminated quoted field starting here" },
	/* record 2 starts on line 2; its first field spans lines 2-3; the bad quote opens on line 3 */
	{ "unterminated quote in a multi-line record", "x\n\"a\nb\",\"c\n", 0,
	  "1:[x]\nERR line 3: unterminated quoted field starting here "
	  "(in the record starting at line 2)" },
	{ "character after closing quote", "h\n\"a\"b,c\n", 0,
	  "1:[h]\nERR line 2: unexpected character after closing quote" },
	{ "space after closing quote", "\"a\" ,b\n", 0,
	  "ERR line 1: unexpected character after closing quote" },
	{ "bare CR after closing quote", "\"a\"\rb\n", 0,
	  "ERR line 1: unexpected character after closing quote" },
	{ "character after closing quote on a later line", "\"a\nb\"x\n", 0,
	  "ERR line 2: unexpected character after closing quote (in the record starting at line 1)" },
	{ "quote inside unquoted field", "h\nh\nh\nab\"c\n", 0,
	  "1:[h]\n2:[h]\n3:[h]\nERR line 4: quote inside unquoted field" },
	{ "space before opening quote", " \"a\"\n", 0, "ERR line 1: quote inside unquoted field" },
	{ "quote at end of unquoted field", "a,b\"\n", 0, "ERR line 1: quote inside unquoted field" },
	{ "NUL in unquoted field", S("a\nb\0c\n"), "1:[a]\nERR line 2: NUL byte in input" },
	{ "NUL in quoted field", S("\"a\0\"\n"), "ERR line 1: NUL byte in input" },
	{ "NUL alone", S("\0"), "ERR line 1: NUL byte in input" },
	{ "bare CR", "a\rb\n", 0, "ERR line 1: carriage return not followed by a line feed" },
	{ "CR at end of input", "a,b\nc\r", 0,
	  "1:[a][b]\nERR line 2: carriage return not followed by a line feed" },
};

static void check_cases(const struct read_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct read_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		char *got = dump(c->in, len);
		if (strcmp(got, c->want) != 0)
			print_error("case \"%s\":\n  want %s\n  got  %s\n", c->name, c->want, got);
		assert_string_equal(got, c->want);
		free(got);
	}
}

static void test_read_good(void **state)
{
	(void)state;
	check_cases(good_cases, sizeof good_cases / sizeof good_cases[0]);
}

static void test_read_malformed(void **state)
{
	(void)state;
	check_cases(bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

/* Row fields: n, line and record numbers, for a ragged file with blank lines. */
static void test_ragged_rows_and_record_numbers(void **state)
{
	/* line 1 header (3 fields), 2 blank, 3 two fields, 4 four fields, 5 blank, 6 three */
	static const char in[] = "id,name,year\n\n1,x\n2,y,2030,extra\n\n3,z,2031\n";
	static const size_t want_n[] = { 3, 2, 4, 3 };
	static const size_t want_line[] = { 1, 3, 4, 6 };
	struct csv_reader *r = csv_reader_new(in, sizeof in - 1);
	struct csv_row row;
	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(csv_next(r, &row), 1);
		assert_int_equal(row.n, want_n[i]);
		assert_int_equal(row.line, want_line[i]);
		assert_int_equal(row.record, i + 1);
	}
	assert_string_equal(row.fields[2], "2031");
	assert_int_equal(csv_next(r, &row), 0);
	csv_reader_free(r);
}

/* The input need not be NUL-terminated: the reader stops at len. */
static void test_len_bounds_input(void **state)
{
	char *got = dump("a,b\nc,d", 5); /* "a,b\nc" */
	(void)state;
	assert_string_equal(got, "1:[a][b]\n2:[c]\n");
	free(got);
}

/* The field limit: CSV_MAX_FIELDS fields are fine, one more is an error. */
static void test_field_limit(void **state)
{
	size_t commas = CSV_MAX_FIELDS - 1; /* n commas make n + 1 fields */
	char *in = malloc(commas + 2);
	struct csv_reader *r;
	struct csv_row row;
	(void)state;
	assert_non_null(in);
	memset(in, ',', commas);
	in[commas] = '\n';
	r = csv_reader_new(in, commas + 1);
	assert_int_equal(csv_next(r, &row), 1);
	assert_int_equal(row.n, CSV_MAX_FIELDS);
	csv_reader_free(r);

	in[commas] = ',';
	in[commas + 1] = '\n';
	r = csv_reader_new(in, commas + 2);
	assert_int_equal(csv_next(r, &row), -1);
	assert_string_equal(csv_error(r), "line 1: more than 65536 fields");
	csv_reader_free(r);
	free(in);
}

static void test_free_null(void **state)
{
	(void)state;
	csv_reader_free(NULL);
}

/*
 * Writing
 */

static void expect_field(const char *field, const char *want)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	csv_write_field(&b, field);
	assert_string_equal(b.data, want);
	buf_release(&b);
}

static void test_write_field(void **state)
{
	(void)state;
	expect_field("abc", "abc");
	expect_field("", "");
	expect_field(NULL, "");
	expect_field("mid space", "mid space");
	expect_field("a,b", "\"a,b\"");
	expect_field("say \"hi\"", "\"say \"\"hi\"\"\"");
	expect_field("\"", "\"\"\"\"");
	expect_field("a\nb", "\"a\nb\"");
	expect_field("a\r\nb", "\"a\r\nb\"");
	expect_field("a\rb", "\"a\rb\"");
	expect_field(" lead", "\" lead\"");
	expect_field("trail ", "\"trail \"");
	expect_field("\ttab", "\"\ttab\"");
	expect_field("tab\t", "\"tab\t\"");
	expect_field(" ", "\" \"");
	expect_field("\xEF\xBB\xBF" "bom", "\"\xEF\xBB\xBF" "bom\"");
	expect_field("名前", "名前");
}

static void test_write_row(void **state)
{
	struct buf b = BUF_INIT;
	static const char *const row[] = { "a", "b,c", "", "d\"e" };
	static const char *const one_empty[] = { "" };
	static const char *const one_null[] = { NULL };
	static const char *const two_empty[] = { "", "" };
	(void)state;
	buf_init(&b);
	csv_write_row(&b, row, 4);
	assert_string_equal(b.data, "a,\"b,c\",,\"d\"\"e\"\n");
	buf_reset(&b);
	csv_write_row(&b, one_empty, 1);
	assert_string_equal(b.data, "\"\"\n");
	buf_reset(&b);
	csv_write_row(&b, one_null, 1);
	assert_string_equal(b.data, "\"\"\n");
	buf_reset(&b);
	csv_write_row(&b, two_empty, 2);
	assert_string_equal(b.data, ",\n");
	buf_reset(&b);
	csv_write_row(&b, NULL, 0);
	assert_string_equal(b.data, "\n");
	buf_release(&b);
}

/* Writes rows, reads them back, and compares field by field. */
static void round_trip(const char *const *const *rows, const size_t *ns, size_t n_rows)
{
	struct buf b = BUF_INIT;
	struct csv_reader *r;
	struct csv_row row;
	buf_init(&b);
	for (size_t i = 0; i < n_rows; i++)
		csv_write_row(&b, rows[i], ns[i]);
	r = csv_reader_new(b.data, b.len);
	assert_non_null(r);
	for (size_t i = 0; i < n_rows; i++) {
		int rc = csv_next(r, &row);
		if (rc != 1)
			print_error("row %zu: %s\nin: %s\n", i, csv_error(r), b.data);
		assert_int_equal(rc, 1);
		assert_int_equal(row.n, ns[i]);
		assert_int_equal(row.record, i + 1);
		for (size_t j = 0; j < ns[i]; j++)
			assert_string_equal(row.fields[j], rows[i][j] ? rows[i][j] : "");
	}
	assert_int_equal(csv_next(r, &row), 0);
	csv_reader_free(r);
	buf_release(&b);
}

static void test_round_trip(void **state)
{
	static const char *const r0[] = { "\xEF\xBB\xBF" "first", "plain", "" };
	static const char *const r1[] = { "say \"hi\"", "a,b", " lead", "trail ", "\"" };
	static const char *const r2[] = { "multi\nline", "crlf\r\ninside", "lone\rcr", "\n" };
	static const char *const r3[] = { "" };
	static const char *const r4[] = { " " };
	static const char *const r5[] = { "", "" };
	static const char *const r6[] = { "\"\"", ",", "日本語, 中文", "\t" };
	static const char *const *const rows[] = { r0, r1, r2, r3, r4, r5, r6 };
	static const size_t ns[] = { 3, 5, 4, 1, 1, 2, 4 };
	(void)state;
	round_trip(rows, ns, 7);
}

/* Random fields over the alphabet that matters, written and read back (deterministic). */
static void test_round_trip_random(void **state)
{
	static const char alphabet[] = { 'a', ',', '"', '\r', '\n', ' ', '\t', 'z' };
	uint32_t seed = 12345;
	(void)state;
	for (int iter = 0; iter < 500; iter++) {
		char store[6][8][10];
		const char *fields[6][8];
		const char *const *rows[6];
		size_t ns[6];
		size_t n_rows = 1 + iter % 6;
		for (size_t i = 0; i < n_rows; i++) {
			seed = seed * 1103515245 + 12345;
			ns[i] = 1 + (seed >> 16) % 8;
			for (size_t j = 0; j < ns[i]; j++) {
				seed = seed * 1103515245 + 12345;
				size_t len = (seed >> 16) % 10;
				for (size_t k = 0; k < len; k++) {
					seed = seed * 1103515245 + 12345;
					store[i][j][k] = alphabet[(seed >> 16) % sizeof alphabet];
				}
				store[i][j][len] = '\0';
				fields[i][j] = store[i][j];
			}
			rows[i] = fields[i];
		}
		round_trip(rows, ns, n_rows);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_good),
		cmocka_unit_test(test_read_malformed),
		cmocka_unit_test(test_ragged_rows_and_record_numbers),
		cmocka_unit_test(test_len_bounds_input),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_write_field),
		cmocka_unit_test(test_write_row),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
