/*
 * test_fuzz_regressions — replays, without libFuzzer, every input under fuzz/regressions/<target>/
 * (inputs that once made a fuzz target fail, kept after the fix) and the seed corpus under
 * fuzz/corpus/<target>/, through the targets' own entry functions (fuzz/fuzz_*.c, included
 * here with FUZZ_NO_ENTRY), so that `make test` guards every fix and checks the targets'
 * properties on the seeds in the normal build (and under valgrind).
 *
 * A property that does not hold fails the test naming the input file. Run from the repo root.
 * The request target, which needs the whole server, has its own: test_fuzz_request.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzz_replay.h"

#include "../../fuzz/fuzz_answer.c"
#include "../../fuzz/fuzz_csv.c"
#include "../../fuzz/fuzz_survey.c"

static void test_survey(void **state)
{
	(void)state;
	replay("fuzz_survey", fuzz_survey_one);
}

static void test_csv(void **state)
{
	(void)state;
	replay("fuzz_csv", fuzz_csv_one);
}

static int answer_setup(void **state)
{
	(void)state;
	return fuzz_answer_init();
}

static int answer_teardown(void **state)
{
	(void)state;
	fuzz_answer_release();
	return 0;
}

static void test_answer(void **state)
{
	(void)state;
	replay("fuzz_answer", fuzz_answer_one);
}

/* The entry functions take what libFuzzer may pass: an empty input. */
static void test_empty_input(void **state)
{
	(void)state;
	static const uint8_t none[1] = { 0 };
	current_input = "(empty)";
	assert_int_equal(fuzz_survey_one(none, 0), 0);
	assert_int_equal(fuzz_csv_one(none, 0), 0);
	assert_int_equal(fuzz_answer_one(none, 0), 0);
	current_input = "";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_survey),
		cmocka_unit_test(test_csv),
		cmocka_unit_test_setup_teardown(test_answer, answer_setup, answer_teardown),
		cmocka_unit_test_setup_teardown(test_empty_input, answer_setup, answer_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
