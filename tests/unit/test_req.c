/* test_req — the pure parts of req: JSON media types, body checks, the error shape, headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "req.h"

static void test_json_type(void **state)
{
	(void)state;
	static const char *const yes[] = {
		"application/json",
		"Application/JSON",
		"application/json; charset=utf-8",
		"application/json;charset=UTF-8",
		"application/json; charset=\"utf-8\"",
		"  application/json ; charset = utf-8 ",
		"application/json; foo=bar",
		"application/json;",
	};
	static const char *const no[] = {
		"text/plain",
		"application/jsonp",
		"application/json-patch+json",
		"application/x-www-form-urlencoded",
		"application/json; charset=latin1",
		"application/json; charset=\"utf-8",
		"application/json charset=utf-8",
		"application/json; charset",
		"",
	};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!req_is_json_type(yes[i]))
			fail_msg("'%s' rejected", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (req_is_json_type(no[i]))
			fail_msg("'%s' accepted", no[i]);
	assert_false(req_is_json_type(NULL));
}

static void test_parse_ok(void **state)
{
	json_t *v;
	struct req_problem p;
	const char body[] = "{\"importance\": 4, \"measures\": [\"funding\"]}";
	(void)state;
	assert_int_equal(req_parse_json("application/json", body, strlen(body), 64, &v, &p), 0);
	assert_int_equal(p.status, 0);
	assert_true(json_is_object(v));
	assert_int_equal(json_integer_value(json_object_get(v, "importance")), 4);
	json_decref(v);
	/* Exactly at the limit is fine. */
	assert_int_equal(req_parse_json("application/json", "[1]", 3, 3, &v, &p), 0);
	json_decref(v);
}

static void expect_problem(const char *ctype, const char *body, size_t len, size_t max,
			   int status, const char *code, const char *msg_part)
{
	json_t *v = (json_t *)1;
	struct req_problem p;
	assert_int_equal(req_parse_json(ctype, body, len, max, &v, &p), -1);
	assert_null(v);
	assert_int_equal(p.status, status);
	assert_string_equal(p.code, code);
	if (!strstr(p.message, msg_part))
		fail_msg("message '%s' lacks '%s'", p.message, msg_part);
}

static void test_parse_problems(void **state)
{
	(void)state;
	/* Size first: a huge body of the wrong type is still too large. */
	expect_problem("text/plain", "[1,2]", 5, 4, 413, "body_too_large", "larger than 4 bytes");
	expect_problem("text/plain", "[1]", 3, 64, 415, "unsupported_media_type", "application/json");
	expect_problem(NULL, "[1]", 3, 64, 415, "unsupported_media_type", "Content-Type");
	expect_problem("application/json", "", 0, 64, 400, "bad_json", "empty");
	/* '{"a":1' ends at column 6 of line 1 (jansson counts the end of input). */
	expect_problem("application/json", "{\"a\":1", 6, 64, 400, "bad_json", "line 1");
	expect_problem("application/json", "{\"a\":1,\"a\":2}", 13, 64, 400, "bad_json",
		       "duplicate");
	/* A bare scalar is not a request document. */
	expect_problem("application/json", "42", 2, 64, 400, "bad_json", "invalid JSON");
	/* Invalid UTF-8 inside a string. */
	expect_problem("application/json", "[\"\xff\"]", 5, 64, 400, "bad_json", "invalid JSON");
	/* An escaped NUL is refused (jansson without JSON_ALLOW_NUL). */
	expect_problem("application/json", "[\"a\\u0000b\"]", 12, 64, 400, "bad_json",
		       "invalid JSON");
	/* Trailing garbage. */
	expect_problem("application/json", "{} x", 4, 64, 400, "bad_json", "invalid JSON");
	/* Line counting: the error is on line 2. */
	expect_problem("application/json", "{\n\"a\" 1}", 8, 64, 400, "bad_json", "line 2");
}

static void test_error_shape(void **state)
{
	(void)state;
	json_t *e = req_error_json("invalid_answer", "year 2101 is after the horizon 2050",
				   "tech_year");
	char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"error\":{\"code\":\"invalid_answer\",\"field\":\"tech_year\","
			       "\"message\":\"year 2101 is after the horizon 2050\"}}");
	free(s);
	json_decref(e);
	e = req_error_json("not_found", "no such API endpoint", NULL);
	s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such API "
			       "endpoint\"}}");
	free(s);
	json_decref(e);
}

/* Regression (tests/integration/hostile.py): a message quoting a path parameter that is not
 * UTF-8 (PUT /api/v1/answers/AI-0%ff) made jansson refuse the string and the reply a 500 "out of
 * memory". Bytes outside well-formed UTF-8 become '?'; good characters stay. */
static void test_error_json_invalid_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* 0xff is never UTF-8; 0xc3 lacks its continuation byte (the quote follows). */
		{"no topic \"AI-0\xff\xc3\"", "no topic \\\"AI-0??\\\""},
		/* "%.64s" cut a two-byte character in half: its lead byte is left at the end. */
		{"topic \"\xc3\xa9\xc3", "topic \\\"\xc3\xa9?"},
		/* A UTF-16 surrogate (U+D800) and an overlong '/' (C0 AF): one '?' per byte. */
		{"\xed\xa0\x80 \xc0\xaf", "??? ??"},
		/* Beyond U+10FFFF (F4 90 80 80); a four-byte character that is fine (U+1F600). */
		{"\xf4\x90\x80\x80 \xf0\x9f\x98\x80", "???? \xf0\x9f\x98\x80"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *e = req_error_json("unknown_topic", cases[i].in, cases[i].in);
		assert_non_null(e);
		char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		char want[256];
		snprintf(want, sizeof want,
			 "{\"error\":{\"code\":\"unknown_topic\",\"field\":\"%s\",\"message\":\"%s\"}}",
			 cases[i].want, cases[i].want);
		assert_string_equal(s, want);
		free(s);
		json_decref(e);
	}
}

static void test_security_headers(void **state)
{
	(void)state;
	static const char *const want[][2] = {
		{"Strict-Transport-Security", "max-age=31536000"},
		{"Content-Security-Policy",
		 "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "no-referrer"},
	};
	size_t n = 0;
	while (req_security_headers[n].name)
		n++;
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(req_security_headers[i].name, want[i][0]);
		assert_string_equal(req_security_headers[i].value, want[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_type),      cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_problems), cmocka_unit_test(test_error_shape),
		cmocka_unit_test(test_error_json_invalid_utf8),
		cmocka_unit_test(test_security_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
