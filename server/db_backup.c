/*
 * db_backup — `delphi backup`: a consistent copy of a live database through SQLite's online
 * backup API, made durable before it takes the destination's name. See db_maint.h.
 *
 * Why a read transaction around the steps: sqlite3_backup_step restarts from page 1 whenever
 * another connection changes the source between two steps, so against a busy server a stepwise
 * backup might never finish. In WAL mode a read transaction pins one snapshot without blocking
 * writers (they append to the WAL; only checkpoints wait for us), so every step copies from the
 * same snapshot and the copy completes. In rollback-journal mode a held read lock would stall
 * writers, so there the steps run without one and the backup restarts as SQLite decides.
 */
#include "db_maint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((format(printf, 2, 3))) static int fail(char err[DB_ERR_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, DB_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* Runs one statement without parameters; the first column of its first row, if any, goes to
 * out[size] (may be NULL). Returns the sqlite result code (SQLITE_OK on success). */
static int exec1(sqlite3 *conn, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (out && size)
		out[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out && size && !out[0]) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(out, size, "%s", t ? (const char *)t : "");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* fsyncs the file or directory at path. */
static int sync_path(const char *path, int directory, char err[DB_ERR_MAX])
{
	int fd = open(path, O_RDONLY | (directory ? O_DIRECTORY : 0) | O_CLOEXEC);
	if (fd < 0)
		return fail(err, "cannot open %s to sync it: %s", path, strerror(errno));
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		return fail(err, "cannot sync %s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

/* The directory of path (for syncing it after the rename). Caller frees. */
static char *dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	char *dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

static int exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

/* Refuses a dest that is src itself, or a database in use (its WAL or journal beside it). */
static int check_dest(const char *src, const char *dest, char err[DB_ERR_MAX])
{
	struct stat a, b;
	char side[4096];
	if (stat(src, &a) == 0 && stat(dest, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return fail(err, "%s is the database itself: choose another file", dest);
	static const char *const suffixes[] = { "-wal", "-journal" };
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(side, sizeof side, "%s%s", dest, suffixes[i]);
		if (exists(side))
			return fail(err, "%s exists: %s seems to be a database in use, which a backup "
					 "must not replace", side, dest);
	}
	return 0;
}

/* Steps the backup to the end. Returns 0, or -1 with err. */
static int copy_pages(sqlite3_backup *bk, sqlite3 *dst, const char *src_path,
		      struct db_backup_result *res, char err[DB_ERR_MAX])
{
	int waited_ms = 0;
	for (;;) {
		int rc = sqlite3_backup_step(bk, DB_BACKUP_STEP_PAGES);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc == SQLITE_OK)
			continue;
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (waited_ms >= DB_BACKUP_BUSY_MAX_MS)
				return fail(err, "%s stayed busy for %d s: no backup was made", src_path,
					    DB_BACKUP_BUSY_MAX_MS / 1000);
			res->busy_waits++;
			sqlite3_sleep(DB_BACKUP_BUSY_MS);
			waited_ms += DB_BACKUP_BUSY_MS;
			continue;
		}
		/* The error is the destination's, or (when it has none) the source's. */
		return fail(err, "cannot copy %s: %s", src_path,
			    sqlite3_errcode(dst) != SQLITE_OK ? sqlite3_errmsg(dst)
							      : sqlite3_errstr(rc));
	}
}

/* Makes the copy at tmp. Returns 0 with *res filled, or -1 with err. */
static int make_copy(const char *src_path, const char *tmp, struct db_backup_result *res,
		     char err[DB_ERR_MAX])
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk = NULL;
	char mode[32], check[256];
	int in_txn = 0, rc = -1;

	/* Read-write but query-only: like a read-only connection it changes nothing, but as the
	 * last connection to close it folds the WAL back and removes it, as delphi's others do. */
	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		fail(err, "%s: %s", src_path, src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	if (exec1(src, "PRAGMA query_only = ON", NULL, 0) != SQLITE_OK ||
	    exec1(src, "PRAGMA journal_mode", mode, sizeof mode) != SQLITE_OK) {
		fail(err, "%s: %s", src_path, sqlite3_errmsg(src));
		goto out;
	}
	/* See the top of the file. The SELECT is what starts the read transaction. */
	if (!strcmp(mode, "wal")) {
		if (exec1(src, "BEGIN", NULL, 0) != SQLITE_OK ||
		    exec1(src, "SELECT count(*) FROM sqlite_schema", NULL, 0) != SQLITE_OK) {
			fail(err, "%s: cannot start reading: %s", src_path, sqlite3_errmsg(src));
			goto out;
		}
		in_txn = 1;
	}
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		fail(err, "%s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	/* The copy is a private file until it is complete and synced: it needs no journal. */
	if (exec1(dst, "PRAGMA journal_mode = OFF", NULL, 0) != SQLITE_OK ||
	    exec1(dst, "PRAGMA synchronous = OFF", NULL, 0) != SQLITE_OK) {
		fail(err, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	if (!(bk = sqlite3_backup_init(dst, "main", src, "main"))) {
		fail(err, "cannot start the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	if (copy_pages(bk, dst, src_path, res, err))
		goto out;
	res->pages = sqlite3_backup_pagecount(bk);
	if (sqlite3_backup_finish(bk) != SQLITE_OK) {
		bk = NULL;
		fail(err, "cannot finish the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	bk = NULL;
	if (exec1(dst, "PRAGMA page_size", check, sizeof check) != SQLITE_OK) {
		fail(err, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	res->page_size = atoi(check); /* SQLite's own output: a plain number */
	if (exec1(dst, "PRAGMA quick_check", check, sizeof check) != SQLITE_OK) {
		fail(err, "the copy fails its check: %s", sqlite3_errmsg(dst));
		goto out;
	}
	if (strcmp(check, "ok")) {
		fail(err, "the copy fails its check: %s", check);
		goto out;
	}
	rc = 0;
out:
	if (bk)
		sqlite3_backup_finish(bk);
	if (in_txn)
		exec1(src, "COMMIT", NULL, 0);
	/* Closing writes nothing more (no journal, no WAL), but a failure is still a failure. */
	if (dst && sqlite3_close(dst) != SQLITE_OK) {
		if (rc == 0)
			rc = fail(err, "cannot close %s: %s", tmp, sqlite3_errmsg(dst));
		sqlite3_close_v2(dst);
	}
	sqlite3_close_v2(src);
	return rc;
}

/* Gives the complete, synced copy tmp the name dest: without force by a hard link, which fails
 * if dest appeared meanwhile (then DB_BACKUP_EXISTS), else by rename. */
static int install(const char *tmp, const char *dest, unsigned flags, char err[DB_ERR_MAX])
{
	if (!(flags & DB_BACKUP_FORCE)) {
		if (link(tmp, dest) == 0) {
			unlink(tmp);
			return DB_BACKUP_DONE;
		}
		if (errno == EEXIST)
			return DB_BACKUP_EXISTS;
		/* A file system without hard links: the check before the copy has to do. */
		if (exists(dest))
			return DB_BACKUP_EXISTS;
	}
	if (rename(tmp, dest) != 0)
		return fail(err, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
	return DB_BACKUP_DONE;
}

int db_backup(const char *src, const char *dest, unsigned flags, struct db_backup_result *res,
	      char err[DB_ERR_MAX])
{
	char *tmp = NULL, *dir = NULL;
	double start = now_seconds();
	int rc = -1, made = 0;

	memset(res, 0, sizeof *res);
	err[0] = '\0';
	if (!(flags & DB_BACKUP_FORCE) && exists(dest)) {
		rc = DB_BACKUP_EXISTS;
		goto out;
	}
	if (check_dest(src, dest, err))
		goto out;
	if (asprintf(&tmp, "%s.tmp", dest) < 0)
		tmp = NULL;
	if (!tmp || !(dir = dir_of(dest))) {
		fail(err, "out of memory");
		goto out;
	}
	/* A stale copy of an interrupted backup. */
	if (unlink(tmp) != 0 && errno != ENOENT) {
		fail(err, "cannot remove %s: %s", tmp, strerror(errno));
		goto out;
	}
	made = 1;
	if (make_copy(src, tmp, res, err) || sync_path(tmp, 0, err))
		goto out;
	rc = install(tmp, dest, flags, err);
	if (rc != DB_BACKUP_DONE)
		goto out;
	made = 0;
	if (sync_path(dir, 1, err)) {
		rc = -1;
		goto out;
	}
	res->seconds = now_seconds() - start;
out:
	if (made && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}
