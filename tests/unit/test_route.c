/* test_route — the route matcher, the table checks, Allow headers and percent-decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "route.h"

static void h_a(struct req *r)
{
	(void)r;
}

static void h_b(struct req *r)
{
	(void)r;
}

/* The table every matcher test uses; indexes are referred to below. */
static const struct route table[] = {
	{ROUTE_GET, "/healthz", h_a, ROUTE_PUBLIC},                         /* 0 */
	{ROUTE_GET, "/api/v1/me", h_a, ROUTE_EXPERT},                       /* 1 */
	{ROUTE_PUT, "/api/v1/answers/{topic}", h_a, ROUTE_EXPERT},          /* 2 */
	{ROUTE_GET, "/api/v1/answers/{topic}", h_b, ROUTE_EXPERT},          /* 3 */
	{ROUTE_GET, "/api/v1/surveys/{slug}/rounds/{n}", h_a, 0},           /* 4 */
	{ROUTE_DELETE, "/api/v1/surveys/{slug}/rounds/{n}", h_b, 0},        /* 5 */
	{ROUTE_GET, "/", h_a, ROUTE_PUBLIC},                                /* 6 */
	{ROUTE_GET, "/e/{token}", h_b, ROUTE_PUBLIC},                       /* 7 */
};
#define N (sizeof table / sizeof table[0])

static struct route_match m;

static void test_literal(void **state)
{
	(void)state;
	assert_int_equal(route_match(table, N, ROUTE_GET, "/healthz", &m), ROUTE_FOUND);
	assert_int_equal(m.index, 0);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(m.nparams, 0);
	assert_int_equal(route_match(table, N, ROUTE_GET, "/", &m), ROUTE_FOUND);
	assert_int_equal(m.index, 6);
}

static void test_params(void **state)
{
	(void)state;
	assert_int_equal(route_match(table, N, ROUTE_PUT, "/api/v1/answers/ICT-01", &m),
			 ROUTE_FOUND);
	assert_int_equal(m.index, 2);
	assert_string_equal(route_param(&m, "topic"), "ICT-01");
	assert_null(route_param(&m, "slug"));

	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/surveys/fs-2050/rounds/2", &m),
			 ROUTE_FOUND);
	assert_int_equal(m.index, 4);
	assert_string_equal(route_param(&m, "slug"), "fs-2050");
	assert_string_equal(route_param(&m, "n"), "2");
	assert_int_equal(route_match(table, N, ROUTE_DELETE, "/api/v1/surveys/x/rounds/1", &m),
			 ROUTE_FOUND);
	assert_int_equal(m.index, 5);
}

static void test_decoding(void **state)
{
	(void)state;
	/* %2D is '-', %2F is '/', %20 a space; '+' is not a space in a path. */
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/answers/ICT%2D01", &m),
			 ROUTE_FOUND);
	assert_string_equal(route_param(&m, "topic"), "ICT-01");
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/answers/a%2Fb", &m),
			 ROUTE_FOUND);
	assert_string_equal(route_param(&m, "topic"), "a/b");
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/answers/a+b%20c", &m),
			 ROUTE_FOUND);
	assert_string_equal(route_param(&m, "topic"), "a+b c");
	/* Literal segments compare the raw path: an escaped letter is another path. */
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/%6De", &m), ROUTE_NOT_FOUND);
}

static void test_bad_path(void **state)
{
	char longp[2200 + 20];
	(void)state;
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/answers/%00", &m),
			 ROUTE_BAD_PATH);
	assert_int_equal(m.index, 2); /* the first entry whose pattern matches labels it */
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/answers/%4", &m),
			 ROUTE_BAD_PATH);
	assert_int_equal(route_match(table, N, ROUTE_GET, "/api/v1/answers/%G1", &m),
			 ROUTE_BAD_PATH);
	assert_int_equal(route_match(table, N, ROUTE_GET, "/e/abc%", &m), ROUTE_BAD_PATH);
	assert_int_equal(route_match(table, N, ROUTE_GET, "", &m), ROUTE_BAD_PATH);
	assert_int_equal(route_match(table, N, ROUTE_GET, "healthz", &m), ROUTE_BAD_PATH);
	assert_int_equal(route_match(table, N, ROUTE_GET, NULL, &m), ROUTE_BAD_PATH);
	/* A parameter value longer than ROUTE_PARAM_BYTES cannot be kept. */
	strcpy(longp, "/e/");
	memset(longp + 3, 'a', 2200);
	longp[2203] = '\0';
	assert_int_equal(route_match(table, N, ROUTE_GET, longp, &m), ROUTE_BAD_PATH);
}

static void test_not_found(void **state)
{
	(void)state;
	static const char *const paths[] = {
		"/healthz/", "//healthz", "/HEALTHZ", "/api/v1/answers", "/api/v1/answers/",
		"/api/v1/answers/x/y", "/api/v1/surveys/x/rounds", "/e/", "/e", "/nothing",
		"/api/v1/me/",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		assert_int_equal(route_match(table, N, ROUTE_GET, paths[i], &m), ROUTE_NOT_FOUND);
		assert_int_equal(m.allow, 0);
		assert_null(m.route);
	}
}

static void test_methods(void **state)
{
	char allow[96];
	(void)state;
	/* POST on the answers pattern: PUT and GET are there, so 405 with both. */
	assert_int_equal(route_match(table, N, ROUTE_POST, "/api/v1/answers/x", &m),
			 ROUTE_BAD_METHOD);
	assert_int_equal(m.allow, ROUTE_PUT | ROUTE_GET);
	assert_int_equal(m.index, 2);
	assert_int_equal(route_allow_header(m.allow, allow, sizeof allow), 0);
	assert_string_equal(allow, "GET, HEAD, PUT, OPTIONS");
	/* HEAD is served by the GET entry, with its parameters. */
	assert_int_equal(route_match(table, N, ROUTE_HEAD, "/api/v1/answers/T-9", &m), ROUTE_FOUND);
	assert_int_equal(m.index, 3);
	assert_string_equal(route_param(&m, "topic"), "T-9");
	/* OPTIONS and TRACE are never routed; they learn the Allow set. */
	assert_int_equal(route_match(table, N, ROUTE_OPTIONS, "/healthz", &m), ROUTE_BAD_METHOD);
	assert_int_equal(m.allow, ROUTE_GET);
	assert_int_equal(route_match(table, N, ROUTE_OTHER, "/healthz", &m), ROUTE_BAD_METHOD);
	/* HEAD where only PUT exists. */
	static const struct route put_only[] = {{ROUTE_PUT, "/x", h_a, 0}};
	assert_int_equal(route_match(put_only, 1, ROUTE_HEAD, "/x", &m), ROUTE_BAD_METHOD);
	assert_int_equal(m.allow, ROUTE_PUT);
}

static void test_order(void **state)
{
	(void)state;
	/* First match in table order wins; an explicit HEAD entry beats GET's. */
	static const struct route t[] = {
		{ROUTE_GET, "/a/{x}", h_a, 0},
		{ROUTE_GET, "/a/b", h_b, 0},
		{ROUTE_HEAD, "/a/{y}", h_b, 0},
	};
	assert_int_equal(route_match(t, 3, ROUTE_GET, "/a/b", &m), ROUTE_FOUND);
	assert_int_equal(m.index, 0);
	assert_string_equal(route_param(&m, "x"), "b");
	assert_int_equal(route_match(t, 3, ROUTE_HEAD, "/a/q", &m), ROUTE_FOUND);
	assert_int_equal(m.index, 2);
	assert_string_equal(route_param(&m, "y"), "q");
	assert_null(route_param(&m, "x"));
}

static void test_check_table(void **state)
{
	char err[256];
	(void)state;
	assert_int_equal(route_check_table(table, N, err, sizeof err), 0);
	struct {
		struct route r[2];
		size_t n;
		const char *want; /* a part of the message */
	} bad[] = {
		{{{ROUTE_GET, "healthz", h_a, 0}}, 1, "start with '/'"},
		{{{ROUTE_GET, "/a//b", h_a, 0}}, 1, "empty segment"},
		{{{ROUTE_GET, "/a/", h_a, 0}}, 1, "empty segment"},
		{{{ROUTE_GET, "/a/{}", h_a, 0}}, 1, "malformed parameter"},
		{{{ROUTE_GET, "/a/x{y}", h_a, 0}}, 1, "malformed parameter"},
		{{{ROUTE_GET, "/a/{b-c}", h_a, 0}}, 1, "bad character"},
		{{{ROUTE_GET, "/{a}/{a}", h_a, 0}}, 1, "repeated"},
		{{{ROUTE_GET | ROUTE_PUT, "/a", h_a, 0}}, 1, "exactly one method"},
		{{{ROUTE_OTHER, "/a", h_a, 0}}, 1, "exactly one method"},
		{{{ROUTE_GET, "/a", NULL, 0}}, 1, "no handler"},
		{{{ROUTE_GET, "/a", h_a, 0}, {ROUTE_GET, "/a", h_b, 0}}, 2, "same as route 0"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(route_check_table(bad[i].r, bad[i].n, err, sizeof err), -1);
		if (!strstr(err, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want);
	}
	/* Same pattern, two methods: fine. */
	static const struct route ok[] = {{ROUTE_GET, "/a/{x}", h_a, 0}, {ROUTE_PUT, "/a/{x}", h_a, 0}};
	assert_int_equal(route_check_table(ok, 2, err, sizeof err), 0);
}

static void test_allow_header(void **state)
{
	char out[96], tiny[8];
	(void)state;
	assert_int_equal(route_allow_header(ROUTE_GET, out, sizeof out), 0);
	assert_string_equal(out, "GET, HEAD, OPTIONS");
	assert_int_equal(route_allow_header(ROUTE_DELETE | ROUTE_POST, out, sizeof out), 0);
	assert_string_equal(out, "POST, DELETE, OPTIONS");
	assert_int_equal(route_allow_header(0, out, sizeof out), 0);
	assert_string_equal(out, "OPTIONS");
	assert_int_equal(route_allow_header(ROUTE_GET, tiny, sizeof tiny), -1);
	assert_string_equal(tiny, "");
}

static void test_pct_decode(void **state)
{
	char out[8];
	(void)state;
	assert_int_equal(route_pct_decode("a%20b", 5, out, sizeof out), 3);
	assert_string_equal(out, "a b");
	assert_int_equal(route_pct_decode("%e3%81%82", 9, out, sizeof out), 3); /* U+3042 */
	assert_memory_equal(out, "\xe3\x81\x82", 4);
	assert_int_equal(route_pct_decode("", 0, out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(route_pct_decode("%", 1, out, sizeof out), -1);
	assert_int_equal(route_pct_decode("%2", 2, out, sizeof out), -1);
	assert_int_equal(route_pct_decode("%zz", 3, out, sizeof out), -1);
	assert_int_equal(route_pct_decode("%00", 3, out, sizeof out), -1);
	assert_int_equal(route_pct_decode("12345678", 8, out, sizeof out), -1); /* no room for NUL */
	assert_int_equal(route_pct_decode("1234567", 7, out, sizeof out), 7);
	/* len bounds the input: "%41" cut after 2 bytes is malformed. */
	assert_int_equal(route_pct_decode("%41", 2, out, sizeof out), -1);
}

static void test_method_names(void **state)
{
	(void)state;
	assert_int_equal(route_method_from_name("GET"), ROUTE_GET);
	assert_int_equal(route_method_from_name("PATCH"), ROUTE_PATCH);
	assert_int_equal(route_method_from_name("get"), ROUTE_OTHER);
	assert_int_equal(route_method_from_name("TRACE"), ROUTE_OTHER);
	assert_string_equal(route_method_name(ROUTE_DELETE), "DELETE");
	assert_string_equal(route_method_name(ROUTE_GET | ROUTE_PUT), "OTHER");
	assert_int_equal(route_method_index(ROUTE_GET), 0);
	assert_int_equal(route_method_index(ROUTE_OTHER), ROUTE_METHOD_COUNT - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),      cmocka_unit_test(test_params),
		cmocka_unit_test(test_decoding),     cmocka_unit_test(test_bad_path),
		cmocka_unit_test(test_not_found),    cmocka_unit_test(test_methods),
		cmocka_unit_test(test_order),        cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_allow_header), cmocka_unit_test(test_pct_decode),
		cmocka_unit_test(test_method_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
