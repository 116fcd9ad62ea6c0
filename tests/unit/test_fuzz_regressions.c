/*
 * test_fuzz_regressions — replays, without libFuzzer, every input under fuzz/regressions/<target>/
 * (inputs that once made a fuzz target fail, kept after the fix) and the seed corpus under
 * fuzz/corpus/<target>/, through the targets' own entry functions (fuzz/fuzz_*.c, included
 * here with FUZZ_NO_ENTRY), so that `make test` guards every fix and checks the targets'
 * properties on the seeds in the normal build (and under valgrind).
 *
 * A property that does not hold fails the test naming the input file. Run from the repo root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The input being replayed, for the failure message. */
static const char *current_input = "";

#define FUZZ_NO_ENTRY
#define FUZZ_CHECK(cond)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			print_error("%s: property does not hold: %s (%s:%d)\n", current_input,  \
				    #cond, __FILE__, __LINE__);                                \
			fail();                                                                \
		}                                                                              \
	} while (0)

#include "../../fuzz/fuzz_answer.c"
#include "../../fuzz/fuzz_csv.c"
#include "../../fuzz/fuzz_survey.c"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file; the caller frees *data (never NULL on success, even when empty). */
static void read_input(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	struct stat sb;
	assert_int_equal(fstat(fileno(f), &sb), 0);
	*len = (size_t)sb.st_size;
	*data = malloc(*len ? *len : 1);
	assert_non_null(*data);
	assert_int_equal(fread(*data, 1, *len, f), *len);
	fclose(f);
}

/* Feeds every regular file of dir (in name order) to one(); a missing dir counts as empty.
 * Returns how many files were fed. */
static size_t replay_dir(const char *dir, int (*one)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	if (!d) {
		assert_int_equal(errno, ENOENT);
		return 0;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **more = realloc(names, cap * sizeof *more);
			assert_non_null(more);
			names = more;
		}
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		assert_non_null(names[n]);
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	size_t fed = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			uint8_t *data;
			size_t len;
			read_input(names[i], &data, &len);
			current_input = names[i];
			assert_int_equal(one(data, len), 0);
			current_input = "";
			free(data);
			fed++;
		}
		free(names[i]);
	}
	free(names);
	return fed;
}

/* The regressions and the seeds of one target; the seeds must be there. */
static void replay(const char *target, int (*one)(const uint8_t *, size_t))
{
	char dir[256];
	snprintf(dir, sizeof dir, "fuzz/regressions/%s", target);
	size_t regressions = replay_dir(dir, one);
	snprintf(dir, sizeof dir, "fuzz/corpus/%s", target);
	size_t seeds = replay_dir(dir, one);
	print_message("%s: %zu regression inputs, %zu seeds\n", target, regressions, seeds);
	assert_true(seeds > 0);
}

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
