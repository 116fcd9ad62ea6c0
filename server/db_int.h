/*
 * db_int — what db.c shares with db_*.c: the connection struct, the statement cache and the
 * error helpers; and the few functions one db_*.c file lends another. Only db.c and db_*.c
 * include this header (and through it <sqlite3.h>).
 */
#ifndef DELPHI_DB_INT_H
#define DELPHI_DB_INT_H

#include <sqlite3.h>

#include "db.h"

struct db_cached {
	const char *sql; /* the key: the address of a string literal / static array */
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *conn;
	struct db_cached *cache; /* cache[0..n_cache) */
	size_t n_cache, cap_cache;
	char err[DB_ERR_MAX];
	int64_t now_sec;             /* db_now_text's cache: the second ... */
	char now_text[DB_TIME_MAX];  /* ... and its text ("" until the first call) */
};

/*
 * The prepared statement for sql, prepared on first use and cached for the connection's life.
 * sql must have static storage duration: its address is the cache key, so each statement is one
 * named static string in the file that uses it. O(number of cached statements).
 * Returns NULL (with db->err set) on failure. After stepping, call db_done on it.
 */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/* sqlite3_reset + sqlite3_clear_bindings: call right after the last step, on every path, so no
 * statement keeps a read transaction open or points at the caller's buffers. NULL is a no-op. */
void db_done(sqlite3_stmt *st);

/* Sets db->err to "what: <sqlite's message>" and returns -1. */
int db_fail(struct db *db, const char *what);
/* Sets db->err to the formatted text and returns -1. */
int db_failf(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Steps a statement that returns no rows (or whose rows are ignored) to completion and resets
 * it. Returns 0, or -1 with db_fail(db, what). */
int db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what);

/* Steps a statement whose one row holds a truth value in its first column (SELECT EXISTS ...)
 * and resets it. Returns 1 or 0, or -1 with db_fail(db, what) (also when there is no row). */
int db_step_flag(struct db *db, sqlite3_stmt *st, const char *what);

/* The current UTC time as the schema's "YYYY-MM-DDTHH:MM:SSZ", formatted at most once a second
 * per connection: bound in place of strftime('%Y-%m-%dT%H:%M:%SZ', 'now') by statements that run
 * many times a second (SQLite formats that per row). Valid until the next call on db. */
const char *db_now_text(struct db *db);

/* Asserts that a write happens inside a transaction (see db.h). */
#define DB_ASSERT_TXN(db) assert(!sqlite3_get_autocommit((db)->conn))

/* Copies column col of the current row (text, or "" when NULL) into out[size]. */
void db_column_copy(sqlite3_stmt *st, int col, char *out, size_t size);
/* Column col as text, "" when NULL (never NULL). */
const char *db_column_text(sqlite3_stmt *st, int col);

/* ---- db_experts.c, for db_console.c --------------------------------------------------------- */

/* The columns of struct db_expert_info (db.h), in the order db_expert_info_columns reads them, for
 * an experts table aliased e: both the CLI's list and the console's select them so. */
#define DB_EXPERT_INFO_COLUMNS                                                                  \
	"e.id, e.ext_id, e.name, e.email, e.sector, e.pseudonym, e.revoked, "                   \
	"  (SELECT group_concat(code, ';') FROM (SELECT f.code FROM expert_fields ef "          \
	"    JOIN fields f ON f.id = ef.field_id WHERE ef.expert_id = e.id ORDER BY f.position))"
#define DB_EXPERT_INFO_NCOLS 8

/* The current row's columns 0..DB_EXPERT_INFO_NCOLS-1 (DB_EXPERT_INFO_COLUMNS) as *out, its texts
 * borrowed from the statement (valid until it steps or resets; "" for NULL). */
void db_expert_info_columns(sqlite3_stmt *st, struct db_expert_info *out);

/* ---- db_answers.c, for db_api.c ------------------------------------------------------------- */

/* The statement sql (db_stmt) with an answer's key bound: ?1 the round, ?2 the topic, ?3 the
 * question (both by index into sv's survey), ?4 the expert. NULL (db->err set) on failure. */
sqlite3_stmt *db_answers_key(struct db *db, const char *sql, const struct db_survey *sv,
			     int64_t round_id, int64_t expert_id, size_t topic, size_t question);

/* The stored form of an answer in columns num_col, special_col and text_col (text_col < 0: the
 * row has no text column) of the current row as *a, its text borrowed from the statement. */
void db_answers_column(sqlite3_stmt *st, int num_col, int special_col, int text_col,
		       struct answer *a);

/* The expert's answers to one topic in the round, as db_api_topic_answers (db_api.h) says, with
 * their reasons when reasons is not NULL (else reasons are not read: db_answers_load_topic). */
int db_answers_topic(struct db *db, const struct db_survey *sv, int64_t round_id,
		     int64_t expert_id, size_t topic, struct answer *answers, bool *present,
		     char **reasons);

#endif
