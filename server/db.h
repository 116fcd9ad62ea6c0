/*
 * db — delphi's SQLite store: one connection with its cached statements, the schema
 * migrations, and domain-level functions for surveys, experts, rounds, answers and the audit log.
 * The only files that include <sqlite3.h> are db.c and db_*.c (sharing db_int.h); callers see no
 * SQL. Every statement is prepared once per connection (SQLITE_PREPARE_PERSISTENT), bound, and
 * reset right after use, so no read transaction outlives a call.
 *
 * Threads: a struct db is used by one thread at a time (the server gives each thread its own).
 *
 * Errors: functions return 0 on success and -1 on failure; then db_error(db) describes the
 * failure ("what failed: sqlite's message"). Domain outcomes that are not failures (no such
 * survey, a round already open) are enum values returned instead of 0.
 *
 * Transactions: functions that write (db_survey_store, db_expert_upsert, db_round_open,
 * db_round_close, db_answer_put, db_answer_delete, db_audit) must be called between db_begin and
 * db_commit (asserted): the caller decides what is atomic, so a command's change and its audit
 * row commit together. Reads may run inside or outside a transaction.
 *
 * Times are stored as UTC text "YYYY-MM-DDTHH:MM:SSZ".
 */
#ifndef DELPHI_DB_H
#define DELPHI_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "survey.h"

#define DB_ERR_MAX 512
#define DB_TOKEN_BYTES 16                      /* invitation tokens: 128 random bits */
#define DB_TOKEN_HEX (2 * DB_TOKEN_BYTES)      /* ... spelled as 32 lower-case hex digits */
#define DB_PSEUDONYM_MAX 16                    /* "P-" + 8 hex digits + NUL fits */
#define DB_TIME_MAX 24                         /* "YYYY-MM-DDTHH:MM:SSZ" + NUL fits */

struct db;

/* ---- Connection (db.c) ---------------------------------------------------------------------- */

enum db_open_flags {
	DB_READONLY = 0,
	DB_READWRITE = 1 << 0,
	DB_CREATE = 1 << 1,    /* with DB_READWRITE: create the file if it does not exist */
	DB_SYNC_FULL = 1 << 2, /* synchronous=FULL (survives power loss) instead of NORMAL
				* (survives a crash of delphi; see shared/notes) */
};

/*
 * Opens the database at path with flags (DB_READONLY, or DB_READWRITE optionally with
 * DB_CREATE / DB_SYNC_FULL). Sets journal_mode=WAL (read-write only), synchronous,
 * foreign_keys=ON, busy_timeout DB_BUSY_TIMEOUT_MS (5 s) and temp_store=MEMORY; a read-only
 * connection also maps the file into memory (mmap_size, up to 1 GiB) to read pages without a
 * system call each.
 *
 * A read-write open brings the schema up to date: it applies the embedded migrations
 * (db/migrations/NNNN-*.sql) the file lacks, each in its own transaction that also sets
 * PRAGMA user_version to NNNN. A read-only open refuses a schema older than the binary's.
 * Both refuse a schema newer than the binary knows (user_version > db_schema_latest()).
 *
 * Returns 0 and sets *out (free it with db_close), or -1 with a message in err (and *out NULL).
 */
int db_open(const char *path, unsigned flags, struct db **out, char err[DB_ERR_MAX]);

/* Finalizes the cached statements and closes the connection; the last connection to close
 * checkpoints the WAL into the main file. NULL is a no-op. */
void db_close(struct db *db);

/* What the last failing call on db failed on. Never NULL. */
const char *db_error(const struct db *db);

/* PRAGMA user_version of the open database / the newest version this binary knows. */
int db_schema_version(struct db *db);
int db_schema_latest(void);

/* BEGIN IMMEDIATE (takes the write lock now, so a transaction never fails half-way with BUSY),
 * COMMIT, ROLLBACK. db_rollback is safe to call when no transaction is active (a no-op), so
 * error paths may call it unconditionally. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* db_begin, telling a lock held by another connection apart: returns 0 (begun), 1 when another
 * connection held the write lock for the whole busy timeout (nothing begun; db_error says
 * "cannot begin a transaction: database is locked"; worth trying again), or -1 on any other
 * failure. */
int db_begin_try(struct db *db);

/* How long a statement waits for another connection's lock before it fails with "database is
 * locked" (SQLite's busy timeout); db_open sets DB_BUSY_TIMEOUT_MS. */
#define DB_BUSY_TIMEOUT_MS 5000
void db_set_busy_timeout(struct db *db, int ms);

/* Savepoints inside a transaction, for the server's group commit: a job that fails is rolled
 * back to its savepoint while the batch goes on. They nest (the innermost is meant). */
int db_savepoint(struct db *db);
int db_savepoint_release(struct db *db);
int db_savepoint_rollback(struct db *db); /* rolls back to and releases the innermost */

/* Outcome of a look-up that may find nothing. Functions return one of these, or -1. */
enum db_found {
	DB_NOT_FOUND = 0,
	DB_FOUND = 1,
};

/* ---- Surveys (db_survey.c) ------------------------------------------------------------------ */

/*
 * A stored survey: its row id, the parsed definition, and the row ids of its fields, topics and
 * questions, indexed like survey->fields / topics / questions. Owns everything in it.
 */
struct db_survey {
	int64_t id;
	struct survey *survey;
	char loaded_at[DB_TIME_MAX];
	int64_t *field_ids;    /* [survey->n_fields] */
	int64_t *topic_ids;    /* [survey->n_topics] */
	int64_t *question_ids; /* [survey->n_questions] */
};

enum db_store_outcome {
	DB_STORE_CREATED,   /* a new survey */
	DB_STORE_UNCHANGED, /* the same definition (equal as JSON) was stored already: nothing done */
	DB_STORE_REPLACED,  /* a changed definition replaced the stored one (no round was opened
			     * yet): fields, topics and questions are kept by code, new codes
			     * added, dropped codes deleted (with their experts' field links) */
	DB_STORE_LOCKED,    /* a changed definition, refused: the survey has rounds already */
};

/*
 * Stores definition (len bytes of JSON; s is what survey_load_string made of it) under s->slug.
 * Writes (see the transaction rule above). Returns an enum db_store_outcome, or -1.
 */
int db_survey_store(struct db *db, const char *definition, size_t len, const struct survey *s);

/*
 * Loads the survey with this slug: sets *out (free with db_survey_free) and returns DB_FOUND,
 * or sets *out NULL and returns DB_NOT_FOUND; -1 on failure (including a stored definition that
 * no longer loads, or rows that disagree with it).
 */
int db_survey_get(struct db *db, const char *slug, struct db_survey **out);
void db_survey_free(struct db_survey *sv); /* NULL is a no-op */

/* One row of db_survey_list; strings are borrowed, valid during the callback only. */
struct db_survey_info {
	int64_t id;
	const char *slug;
	const char *loaded_at;
	int64_t n_experts;
	int round;              /* the latest round's number, 0 if none was opened */
	const char *round_state; /* "open" or "closed"; "" when round is 0 */
};

/* Calls cb for every survey in slug order; a non-zero return from cb stops the walk and is
 * returned. Returns 0, cb's value, or -1. */
int db_survey_list(struct db *db, int (*cb)(const struct db_survey_info *, void *), void *arg);

/* ---- Experts (db_experts.c) ----------------------------------------------------------------- */

enum db_sector {
	DB_SECTOR_ACADEMIA,
	DB_SECTOR_INDUSTRY,
	DB_SECTOR_GOVERNMENT,
	DB_SECTOR_OTHER,
	DB_SECTOR_COUNT,
};

/* "academia", "industry", "government", "other". */
const char *db_sector_name(enum db_sector sector);
/* The sector named s (exactly, lower case), or -1. */
int db_sector_parse(const char *s);

/* An expert as imported. fields are indices into survey->fields (at least one, no repeats). */
struct db_expert_in {
	const char *ext_id; /* the coordinator's id for the expert, unique within the survey */
	const char *name;
	const char *email;  /* may be "" */
	enum db_sector sector;
	const size_t *fields;
	size_t n_fields;
};

/*
 * Creates or updates the expert ext_id of survey sv. Writes.
 * A new expert gets a fresh token (DB_TOKEN_HEX lower-case hex digits, written to token and
 * never stored: only SHA-256 of those 32 characters is) and a random unique pseudonym
 * "P-xxxxxxxx"; if a round is open that invites everyone (round 1, or rounds.invite "all") the
 * new expert is invited to it. An existing expert keeps token, pseudonym and invitations; name,
 * email, sector and fields are replaced. *created tells which happened; token is "" when the
 * expert existed. Returns 0 or -1.
 */
int db_expert_upsert(struct db *db, const struct db_survey *sv, const struct db_expert_in *in,
		     char token[DB_TOKEN_HEX + 1], bool *created);

/* One expert as listed; strings borrowed, valid during the callback only. */
struct db_expert_info {
	int64_t id;
	const char *ext_id;
	const char *name;
	const char *email;
	const char *sector;
	const char *pseudonym;
	const char *fields; /* field codes in definition order, joined by ';' */
	bool revoked;
};

/* Calls cb for every expert of the survey in import order (see db_survey_list for cb). */
int db_expert_list(struct db *db, int64_t survey_id,
		   int (*cb)(const struct db_expert_info *, void *), void *arg);

/* What the server needs to know about the holder of a token. */
struct db_expert_ref {
	int64_t id;
	int64_t survey_id;
	char pseudonym[DB_PSEUDONYM_MAX];
	bool revoked;
};

/* Finds the expert whose token hashes to hash (SHA-256 of the token's hex text): DB_FOUND with
 * *out filled, DB_NOT_FOUND, or -1. */
int db_expert_by_token(struct db *db, const unsigned char hash[32], struct db_expert_ref *out);
/* Finds expert ext_id of the survey: DB_FOUND with *out filled, DB_NOT_FOUND, or -1. */
int db_expert_by_ext_id(struct db *db, int64_t survey_id, const char *ext_id,
			struct db_expert_ref *out);
/* 1 if the expert is in the field (row id), 0 if not, -1 on failure. */
int db_expert_has_field(struct db *db, int64_t expert_id, int64_t field_id);
/* Number of experts of the survey, or -1. */
int64_t db_expert_count(struct db *db, int64_t survey_id);

/* ---- Rounds (db_rounds.c) ------------------------------------------------------------------- */

enum db_round_state {
	DB_ROUND_OPEN,
	DB_ROUND_CLOSED,
};

struct db_round {
	int64_t id;
	int number; /* 1 .. survey->n_rounds */
	enum db_round_state state;
	char opened_at[DB_TIME_MAX];
	char closed_at[DB_TIME_MAX]; /* "" while open */
};

const char *db_round_state_name(enum db_round_state state); /* "open", "closed" */

/* Round number of the survey (number 0: the latest round): DB_FOUND with *out, DB_NOT_FOUND, -1. */
int db_round_get(struct db *db, int64_t survey_id, int number, struct db_round *out);

/* Calls cb for every round of the survey in number order (see db_survey_list for cb). */
int db_round_list(struct db *db, int64_t survey_id,
		  int (*cb)(const struct db_round *, void *), void *arg);

enum db_round_outcome {
	DB_ROUND_DONE = 0,       /* opened / closed */
	DB_ROUND_ALREADY_OPEN,   /* open: round *r is still open */
	DB_ROUND_ALL_DONE,       /* open: every round of the survey has been run (*r: the last) */
	DB_ROUND_NOBODY,         /* open: nobody to invite (no experts, or no respondents in the
				  * previous round *r); nothing was written */
	DB_ROUND_NONE_OPEN,      /* close: no round is open (*r: the latest, or number 0 if none) */
};

/*
 * Opens the survey's next round and fills its invitations: round 1 invites every expert that is
 * not revoked; round r + 1 invites those who answered round r, or every expert when the
 * definition's rounds.invite is "all". Refused while a round is open or when all rounds have
 * run. Writes. Returns an enum db_round_outcome with *r the round concerned and *invited the
 * number of invitations made (0 unless DB_ROUND_DONE), or -1.
 */
int db_round_open(struct db *db, const struct db_survey *sv, struct db_round *r, int64_t *invited);

/* Closes the open round. Writes. Returns an enum db_round_outcome with *r, or -1. */
int db_round_close(struct db *db, const struct db_survey *sv, struct db_round *r);

/* 1 if the expert is invited to the round, 0 if not, -1 on failure. */
int db_round_is_invited(struct db *db, int64_t round_id, int64_t expert_id);

/* Counts for one round. per_field[i] counts in survey->fields[i]: experts invited who have the
 * field, experts who answered at least one of its topics, answers to its topics. */
struct db_round_counts {
	int64_t invited;
	int64_t respondents; /* experts with at least one answer */
	int64_t answers;     /* answer rows (one per topic x question x expert) */
};

struct db_round_status {
	struct db_round round;
	struct db_round_counts total;
	struct db_round_counts *per_field; /* [survey->n_fields], owned */
	size_t n_fields;
};

/* Fills *out for the round (as returned by db_round_get). Returns 0 or -1. */
int db_round_status(struct db *db, const struct db_survey *sv, const struct db_round *r,
		    struct db_round_status *out);
void db_round_status_release(struct db_round_status *st);

/* ---- Answers (db_answers.c) ----------------------------------------------------------------- */

/*
 * Stores (inserts or replaces) the expert's answer a to question `question` of topic `topic`
 * (indices into the survey) in the round. a must have been validated against that question
 * (answer_parse_text / answer_from_json). Writes. Returns 0 or -1.
 */
int db_answer_put(struct db *db, const struct db_survey *sv, int64_t round_id, int64_t expert_id,
		  size_t topic, size_t question, const struct answer *a);
/*
 * db_answer_put for a save of several answers of one topic: *absent (in) says an earlier answer
 * of the same save found no row for the topic, so this one is inserted straight away (the
 * upsert, right whether or not a row exists: only a guess is skipped); *absent (out) is set when
 * the cheaper UPDATE of a value found no row. A topic's answers are written together, so a first
 * save costs one statement per answer instead of two. Writes. Returns 0 or -1.
 */
int db_answer_store(struct db *db, const struct db_survey *sv, int64_t round_id,
		    int64_t expert_id, size_t topic, size_t question, const struct answer *a,
		    bool *absent);

/* Deletes that answer if there is one. Writes. Returns 0 or -1. */
int db_answer_delete(struct db *db, const struct db_survey *sv, int64_t round_id,
		     int64_t expert_id, size_t topic, size_t question);

/*
 * Reads the expert's stored answers to one topic in the round: for every question i,
 * present[i] tells whether there is one and answers[i] holds it (answers[i] must be ANSWER_INIT
 * on entry; release them with answer_release). Returns 0 or -1.
 */
int db_answers_load_topic(struct db *db, const struct db_survey *sv, int64_t round_id,
			  int64_t expert_id, size_t topic, struct answer *answers, bool *present);

/* One row of db_answers_export. value and expertise are borrowed (their text too), valid during
 * the callback only; has_expertise is false when the survey has no expertise question or the
 * expert did not answer it for this topic in this round. */
struct db_export_row {
	int round;
	const char *pseudonym;
	const char *sector;
	size_t topic;    /* index into survey->topics */
	size_t question; /* index into survey->questions */
	struct answer value;
	bool has_expertise;
	struct answer expertise;
};

/* Calls cb for every stored answer of the survey, of round `round` only when round > 0, ordered
 * by round, topic (definition order), question (definition order) and pseudonym. */
int db_answers_export(struct db *db, const struct db_survey *sv, int round,
		      int (*cb)(const struct db_export_row *, void *), void *arg);

/* ---- Audit log (db_audit.c) ----------------------------------------------------------------- */

/* Appends an audit row. actor: "cli", "user:NAME", "expert:PSEUDONYM" or "system"; action: a
 * dotted verb such as "round.open"; detail: free text (never a secret). Writes. 0 or -1. */
int db_audit(struct db *db, const char *actor, const char *action, const char *detail);

#endif
