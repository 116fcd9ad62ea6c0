/*
 * db — the connection: opening with delphi's pragmas, schema migrations, the statement cache,
 * transactions and savepoints. The domain functions live in db_*.c. See db.h.
 */
#include "db_int.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded.h"

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT db_sp";
static const char SQL_RELEASE[] = "RELEASE db_sp";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO db_sp";
static const char SQL_USER_VERSION[] = "PRAGMA user_version";
#define DB_READ_MMAP "1073741824" /* bytes of the file a read-only connection maps at most */

int db_fail(struct db *db, const char *what)
{
	snprintf(db->err, sizeof db->err, "%s: %s", what, sqlite3_errmsg(db->conn));
	return -1;
}

int db_failf(struct db *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->err, sizeof db->err, fmt, ap);
	va_end(ap);
	return -1;
}

const char *db_error(const struct db *db)
{
	return db->err;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
	for (size_t i = 0; i < db->n_cache; i++)
		if (db->cache[i].sql == sql)
			return db->cache[i].stmt;
	if (db->n_cache == db->cap_cache) {
		size_t cap = db->cap_cache ? 2 * db->cap_cache : 32;
		struct db_cached *c = realloc(db->cache, cap * sizeof *c);
		if (!c) {
			db_failf(db, "out of memory");
			return NULL;
		}
		db->cache = c;
		db->cap_cache = cap;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		db_failf(db, "cannot prepare statement \"%.60s...\": %s", sql, sqlite3_errmsg(db->conn));
		return NULL;
	}
	db->cache[db->n_cache].sql = sql;
	db->cache[db->n_cache].stmt = st;
	db->n_cache++;
	return st;
}

void db_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		db_fail(db, what);
		db_done(st);
		return -1;
	}
	db_done(st);
	return 0;
}

int db_step_flag(struct db *db, sqlite3_stmt *st, const char *what)
{
	int ret = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0
						  : db_fail(db, what);
	db_done(st);
	return ret;
}

void db_column_copy(sqlite3_stmt *st, int col, char *out, size_t size)
{
	snprintf(out, size, "%s", db_column_text(st, col));
}

const char *db_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

const char *db_now_text(struct db *db)
{
	time_t now = time(NULL);
	if (!db->now_text[0] || (int64_t)now != db->now_sec) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(db->now_text, sizeof db->now_text, "%Y-%m-%dT%H:%M:%SZ", &tm);
		db->now_sec = (int64_t)now;
	}
	return db->now_text;
}

/* Runs a cached statement that takes no parameters. */
static int run(struct db *db, const char *sql, const char *what)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (!st)
		return -1;
	return db_exec_stmt(db, st, what);
}

int db_begin(struct db *db)
{
	return run(db, SQL_BEGIN, "cannot begin a transaction");
}

int db_begin_try(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, SQL_BEGIN);
	if (!st)
		return -1;
	int rc = sqlite3_step(st); /* the extended code: the connection has SQLITE_OPEN_EXRESCODE */
	if (rc == SQLITE_DONE) {
		db_done(st);
		return 0;
	}
	db_fail(db, "cannot begin a transaction");
	db_done(st);
	return (rc & 0xff) == SQLITE_BUSY ? 1 : -1;
}

void db_set_busy_timeout(struct db *db, int ms)
{
	sqlite3_busy_timeout(db->conn, ms);
}

int db_commit(struct db *db)
{
	return run(db, SQL_COMMIT, "cannot commit");
}

void db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->conn))
		return;
	char keep[DB_ERR_MAX];
	memcpy(keep, db->err, sizeof keep); /* the failure that led here is the one to report */
	run(db, SQL_ROLLBACK, "cannot roll back");
	memcpy(db->err, keep, sizeof keep);
}

int db_savepoint(struct db *db)
{
	DB_ASSERT_TXN(db);
	return run(db, SQL_SAVEPOINT, "cannot create a savepoint");
}

int db_savepoint_release(struct db *db)
{
	return run(db, SQL_RELEASE, "cannot release a savepoint");
}

int db_savepoint_rollback(struct db *db)
{
	if (run(db, SQL_ROLLBACK_TO, "cannot roll back to a savepoint"))
		return -1;
	return db_savepoint_release(db);
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, SQL_USER_VERSION);
	if (!st)
		return -1;
	int v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		db_fail(db, "cannot read the schema version");
	db_done(st);
	return v;
}

int db_schema_latest(void)
{
	return (int)embedded_migrations_count;
}

/* The version a migration file sets: its leading number ("0002-experts.sql" -> 2). */
static int migration_number(const char *name)
{
	int n = 0;
	for (const char *p = name; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (*p - '0');
	return n;
}

/* Applies migrations from the current version up to the latest, one transaction each. The
 * version is re-read inside the write transaction, so two processes opening a new file at once
 * do not both apply migration 1. */
static int migrate(struct db *db, const char *path)
{
	for (;;) {
		if (db_begin(db))
			return -1;
		int v = db_schema_version(db);
		if (v < 0)
			goto fail;
		if (v > db_schema_latest()) {
			db_failf(db, "%s: schema version %d is newer than this delphi knows (%d): "
				     "use a newer delphi", path, v, db_schema_latest());
			goto fail;
		}
		if (v == db_schema_latest()) {
			db_rollback(db);
			return 0;
		}
		const struct embedded_file *m = &embedded_migrations[v];
		/* Migration files are numbered 0001, 0002, ... without gaps (tools/embed.sh sorts). */
		assert(migration_number(m->path) == v + 1);
		char *msg = NULL;
		if (sqlite3_exec(db->conn, (const char *)m->data, NULL, NULL, &msg) != SQLITE_OK) {
			db_failf(db, "%s: migration %s failed: %s", path, m->path, msg ? msg : "?");
			sqlite3_free(msg);
			goto fail;
		}
		/* PRAGMA takes no parameters; the number is the binary's own counter, not input. */
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK) {
			db_fail(db, "cannot set the schema version");
			goto fail;
		}
		/* Every migration since 0001 leaves the audit_log table in place. */
		char detail[300];
		snprintf(detail, sizeof detail, "schema version %d (%s)", v + 1, m->path);
		if (db_audit(db, "system", "db.migrate", detail) || db_commit(db))
			goto fail;
	}
fail:
	db_rollback(db);
	return -1;
}

/* Runs a pragma given as a literal; its result row, if any, is ignored. */
static int pragma(struct db *db, const char *path, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_failf(db, "%s: %s", path, msg ? msg : sqlite3_errmsg(db->conn));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Process-wide SQLite settings, made once before the library initializes (sqlite3_config refuses
 * them afterwards). Memory statistics off: with them on, every allocation of every connection
 * takes one global mutex to count itself, which the server's threads (each with its own
 * connection) would otherwise contend for; nothing of ours reads the statistics. */
static void configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE if something initialized first */
	sqlite3_initialize();
}

int db_open(const char *path, unsigned flags, struct db **out, char err[DB_ERR_MAX])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure);
	struct db *db = calloc(1, sizeof *db);
	int rc = -1;
	*out = NULL;
	err[0] = '\0';
	if (!db) {
		snprintf(err, DB_ERR_MAX, "out of memory");
		return -1;
	}
	int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (flags & DB_READWRITE) {
		oflags |= SQLITE_OPEN_READWRITE;
		if (flags & DB_CREATE)
			oflags |= SQLITE_OPEN_CREATE;
	} else {
		oflags |= SQLITE_OPEN_READONLY;
	}
	if (sqlite3_open_v2(path, &db->conn, oflags, NULL) != SQLITE_OK) {
		if (db->conn)
			db_failf(db, "%s: %s", path, sqlite3_errmsg(db->conn));
		else
			db_failf(db, "%s: out of memory", path);
		goto out;
	}
	sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS);
	if ((flags & DB_READWRITE) && pragma(db, path, "PRAGMA journal_mode = WAL"))
		goto out;
	if (pragma(db, path,
		   flags & DB_SYNC_FULL ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL") ||
	    pragma(db, path, "PRAGMA foreign_keys = ON") ||
	    pragma(db, path, "PRAGMA temp_store = MEMORY"))
		goto out;
	if (flags & DB_READWRITE) {
		if (migrate(db, path))
			goto out;
	} else {
		/* A reader's page cache is dropped whenever another connection has committed since
		 * its last read (in the server: at almost every statement of an event thread), so
		 * every look-up would read its pages again with a system call each. Mapped, the
		 * pages of the database file (not those still in the WAL) are read in place. */
		if (pragma(db, path, "PRAGMA mmap_size = " DB_READ_MMAP))
			goto out;
		int v = db_schema_version(db);
		if (v < 0)
			goto out;
		if (v != db_schema_latest()) {
			db_failf(db, "%s: schema version %d, this delphi needs %d%s", path, v,
				 db_schema_latest(),
				 v < db_schema_latest() ? " (open it read-write once to migrate it)"
							: " (use a newer delphi)");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc) {
		snprintf(err, DB_ERR_MAX, "%s", db->err);
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_cache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	free(db->cache);
	sqlite3_close_v2(db->conn); /* NULL is a harmless no-op */
	free(db);
}
