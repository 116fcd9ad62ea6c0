/*
 * test_db_files.h — for the unit tests that make a database file in a temporary directory:
 * removing the file with the WAL, shared-memory and rollback-journal files SQLite may have left
 * beside it. Header-only (each test is its own program).
 */
#ifndef DELPHI_TEST_DB_FILES_H
#define DELPHI_TEST_DB_FILES_H

#include <stdio.h>
#include <unistd.h>

/* Unlinks path and path-wal, path-shm, path-journal; missing files are fine. */
static inline void test_db_unlink(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[4096];
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

#endif
