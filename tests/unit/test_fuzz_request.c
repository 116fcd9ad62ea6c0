/*
 * test_fuzz_request — replays, without libFuzzer, every input under
 * fuzz/regressions/fuzz_request/ (requests that once made the request target fail, kept after the
 * fix) and the seed corpus fuzz/corpus/fuzz_request/ through the target's own entry function
 * (fuzz/fuzz_request.c, included with FUZZ_NO_ENTRY): each request goes over a socket to a real
 * server in this process (httpd, router, authorize hook, handlers, writer; plaintext through
 * fuzz/tls_plain.c, included here so that its definitions replace libdelphi.a's tls.o) and its
 * reply must have every property the target checks; after each input the store must pass delphi
 * check (db_check). So `make test` guards every fix in the normal build, and the seeds stay
 * meaningful.
 *
 * A property that does not hold fails the test naming the input file. Run from the repo root.
 * Password hashing runs at its production cost here (the fuzz build lowers it): a few seconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzz_replay.h"

#include "../../fuzz/fuzz_request.c"
#include "../../fuzz/tls_plain.c"

/* One input, then the store's check. */
static int one_checked(const uint8_t *data, size_t size)
{
	assert_int_equal(fuzz_request_one(data, size), 0);
	return fuzz_request_check_store();
}

static int setup(void **state)
{
	(void)state;
	return fuzz_request_init();
}

static int teardown(void **state)
{
	(void)state;
	fuzz_request_release();
	return 0;
}

static void test_request(void **state)
{
	(void)state;
	replay("fuzz_request", one_checked);
}

/* The entry function takes what libFuzzer may pass: an empty input (no request line: evhttp
 * answers 400 or closes), and a request that is nothing but a placeholder. */
static void test_odd_inputs(void **state)
{
	static const uint8_t none[1] = { 0 };
	static const char only[] = "$SC";
	(void)state;
	current_input = "(empty)";
	assert_int_equal(fuzz_request_one(none, 0), 0);
	current_input = "(a placeholder)";
	assert_int_equal(fuzz_request_one((const uint8_t *)only, sizeof only - 1), 0);
	current_input = "";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_odd_inputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
