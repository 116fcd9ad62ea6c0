/* test_static — safe mapping of request paths to file names, content types, ETags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "static.h"

static void test_path_to_name(void **state)
{
	char out[256];
	(void)state;
	static const char *const ok[][2] = {
		{"/", "index.html"},
		{"/app.css", "app.css"},
		{"/survey/", "survey/index.html"},
		{"/survey/app.js", "survey/app.js"},
		{"/a%20b.txt", "a b.txt"},
		{"/%E3%81%82.html", "\xe3\x81\x82.html"},
		{"/a.b/c", "a.b/c"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		out[0] = '\0';
		if (static_path_to_name(ok[i][0], out, sizeof out))
			fail_msg("'%s' refused", ok[i][0]);
		assert_string_equal(out, ok[i][1]);
	}
	static const char *const bad[] = {
		"",             /* not absolute */
		"app.css",      /* not absolute */
		"/../etc/passwd",
		"/survey/../../x",
		"/%2e%2e/x",    /* decodes to ".." */
		"/%2E/x",       /* "." */
		"/x/.",
		"/.git/config", /* hidden */
		"/a/.env",
		"/a%2Fb",       /* an encoded '/' inside a segment */
		"/a%5Cb",       /* '\' */
		"/a//b",
		"//a",
		"/a%00b",
		"/a%0Ab",       /* control character */
		"/a%",
		"/a%zz",
		"/a\x01",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!static_path_to_name(bad[i], out, sizeof out))
			fail_msg("'%s' accepted as '%s'", bad[i], out);
	assert_int_equal(static_path_to_name(NULL, out, sizeof out), -1);
	char tiny[8];
	assert_int_equal(static_path_to_name("/", tiny, sizeof tiny), -1); /* "index.html" > 7 */
	assert_int_equal(static_path_to_name("/abcdefgh", tiny, sizeof tiny), -1);
}

static void test_content_type(void **state)
{
	(void)state;
	assert_string_equal(static_content_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(static_content_type("A.CSS"), "text/css; charset=utf-8");
	assert_string_equal(static_content_type("survey/app.js"), "text/javascript; charset=utf-8");
	assert_string_equal(static_content_type("favicon.svg"), "image/svg+xml; charset=utf-8");
	assert_string_equal(static_content_type("logo.png"), "image/png");
	assert_string_equal(static_content_type("f.woff2"), "font/woff2");
	assert_string_equal(static_content_type("README"), "application/octet-stream");
	assert_string_equal(static_content_type("x.unknown"), "application/octet-stream");
	/* The dot of a directory does not count, nor a leading dot. */
	assert_string_equal(static_content_type("dir.css/file"), "application/octet-stream");
	assert_string_equal(static_content_type("a/.css"), "application/octet-stream");
}

static void test_etag(void **state)
{
	char tag[35];
	(void)state;
	/* SHA-256 of the empty string is e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 ...; the tag
	 * keeps its first 16 bytes. */
	static_etag("", 0, tag);
	assert_string_equal(tag, "\"e3b0c44298fc1c149afbf4c8996fb924\"");
	/* SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 ... (FIPS 180-2). */
	static_etag("abc", 3, tag);
	assert_string_equal(tag, "\"ba7816bf8f01cfea414140de5dae2223\"");
}

static void test_etag_matches(void **state)
{
	const char *tag = "\"abc\"";
	(void)state;
	assert_true(static_etag_matches("\"abc\"", tag));
	assert_true(static_etag_matches("W/\"abc\"", tag));
	assert_true(static_etag_matches("\"x\", \"abc\"", tag));
	assert_true(static_etag_matches("\"x\",W/\"abc\"", tag));
	assert_true(static_etag_matches("*", tag));
	assert_false(static_etag_matches("\"abcd\"", tag));
	assert_false(static_etag_matches("\"ab\"", tag));
	assert_false(static_etag_matches("abc", tag));
	assert_false(static_etag_matches("\"abc", tag));
	assert_false(static_etag_matches("", tag));
	assert_false(static_etag_matches(NULL, tag));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_to_name),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_etag_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
