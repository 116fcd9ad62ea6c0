/*
 * fuzz_replay — what the tests that replay the fuzz targets' inputs without libFuzzer share
 * (tests/unit/test_fuzz_regressions.c, test_fuzz_request.c): FUZZ_CHECK as a cmocka failure that
 * names the input being replayed, and feeding every file of a folder to a target's entry
 * function. Include it after <cmocka.h> and before the targets (fuzz/fuzz_*.c, which it makes
 * build without their libFuzzer entry points). Run the tests from the repository root.
 */
#ifndef DELPHI_FUZZ_REPLAY_H
#define DELPHI_FUZZ_REPLAY_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
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

#endif
