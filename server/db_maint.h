/*
 * db_maint — maintenance of a delphi database file: consistent online backups (db_backup.c) and
 * consistency checks (db_check.c), for `delphi backup` and `delphi check`.
 *
 * Both work on a database by its path and open their own query-only connection (PRAGMA
 * query_only), so they run beside a server that keeps serving, never migrate or otherwise change
 * the database, and also work on a file whose schema version differs from the binary's (a backup
 * before an upgrade; a check that reports the difference). Like every delphi connection, the
 * last one to close folds the WAL into the file and removes it. Errors: functions return -1 and describe the failure in err
 * ("what failed: why"), or an outcome as documented.
 */
#ifndef DELPHI_DB_MAINT_H
#define DELPHI_DB_MAINT_H

#include <stdint.h>

#include "db.h"

/* ---- Backup (db_backup.c) ------------------------------------------------------------------- */

#define DB_BACKUP_STEP_PAGES 256 /* pages copied per sqlite3_backup_step */
#define DB_BACKUP_BUSY_MS 25     /* sleep when the source or the copy is busy or locked ... */
#define DB_BACKUP_BUSY_MAX_MS 60000 /* ... for at most this long in all, then give up */

enum db_backup_flags {
	DB_BACKUP_FORCE = 1 << 0, /* replace dest if it exists */
};

enum db_backup_outcome {
	DB_BACKUP_DONE = 0,
	DB_BACKUP_EXISTS, /* dest exists and DB_BACKUP_FORCE was not given: nothing was written */
};

struct db_backup_result {
	int64_t pages;  /* pages copied (the copy's size in pages) */
	int page_size;  /* bytes */
	double seconds; /* wall-clock time of the whole backup */
	int busy_waits; /* how many times it waited because the database was busy or locked */
};

/*
 * Copies the database at src into a new file dest with SQLite's online backup API, in steps of
 * DB_BACKUP_STEP_PAGES pages. In WAL mode (delphi's) the copy is one consistent snapshot, read
 * under a read transaction that never blocks writers, so a server keeps serving and committing
 * meanwhile; in rollback-journal mode the backup restarts when another connection writes. The
 * copy is written to "dest.tmp" (replacing a stale one), checked with PRAGMA quick_check,
 * fsynced, and renamed to dest (the directory is fsynced too), so dest is either absent or
 * complete. dest must not be src itself, nor in use (a dest-wal or dest-journal file beside it).
 * Returns DB_BACKUP_DONE with *res filled, DB_BACKUP_EXISTS, or -1 with err (dest.tmp removed).
 */
int db_backup(const char *src, const char *dest, unsigned flags, struct db_backup_result *res,
	      char err[DB_ERR_MAX]);

/* ---- Check (db_check.c) --------------------------------------------------------------------- */

#define DB_CHECK_MAX_PER_KIND 50 /* problems of one kind listed; the rest are counted in one line */

/* What was looked at (for the "ok" line). */
struct db_check_summary {
	int schema_version; /* PRAGMA user_version, -1 if it could not be read */
	int64_t surveys, experts, rounds, answers, sessions;
};

/*
 * Checks the database at path: PRAGMA integrity_check, PRAGMA foreign_key_check, the schema
 * version (it must equal db_schema_latest()), and delphi's own invariants:
 *   - every answer is by an expert invited to its round, and its topic, question and expert
 *     belong to the round's survey (so do the invitations' experts);
 *   - every stored answer is valid for its question (parsed from the stored definition): an
 *     ordinal value is a label value, a year lies in the question's range, a special is one the
 *     question allows, a multi option mask has no bit beyond the options, text only for text
 *     questions (clean UTF-8, within max_length), exactly one of num, special, text;
 *   - a reason (answers.reason, where the schema has it) only on an ordinal or year answer,
 *     from round 2 on, when the definition asks for reasons; clean UTF-8, at most 2000 bytes;
 *   - every stored definition loads, and its fields, topics and questions rows mirror it;
 *   - a survey's rounds are numbered 1..n without gaps (n at most the definition's count), at
 *     most one is open and it is the latest;
 *   - every session belongs to exactly one existing user or expert.
 * The invariants are checked only when the schema version is the binary's. Each problem is
 * passed to problem(text, arg) as one line (never a secret); at most DB_CHECK_MAX_PER_KIND
 * per kind, then one line counting the rest. *sum is filled as far as it could be read.
 * Returns the number of problems found (0: the database is sound), or -1 with err when the
 * check could not be made at all (the file cannot be opened). A file that is not a database,
 * or so damaged that a check cannot run, is a problem, not an error.
 */
int db_check(const char *path, void (*problem)(const char *text, void *arg), void *arg,
	     struct db_check_summary *sum, char err[DB_ERR_MAX]);

#endif
