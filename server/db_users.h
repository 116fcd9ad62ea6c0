/*
 * db_users — the console's accounts (users: admins, coordinators, planners) and the sessions of
 * users and experts, in the SQLite store. The contracts of db.h hold here too: 0 / -1 returns
 * with db_error(db) on failure, enum values for domain outcomes, and functions that write must
 * be called between db_begin and db_commit (asserted). Implemented by db_users.c (accounts) and
 * db_sessions.c (sessions); no SQL leaks out.
 *
 * Policy lives elsewhere: what a valid name or password is, how long sessions last and whether a
 * looked-up session may be used are auth.h's business. This layer stores and finds; it takes
 * every time as an argument (Unix seconds) so tests can run a clock of their own.
 *
 * Secrets: a user's password is stored only as crypto_password_hash's form (hashed by the
 * caller, outside any transaction: hashing is slow); a session id is handed back once by
 * db_session_create and only its SHA-256 is stored; the CSRF token is stored as it is (it is not
 * a credential on its own: it only proves that a request came from a page the session loaded).
 */
#ifndef DELPHI_DB_USERS_H
#define DELPHI_DB_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"

#define DB_USER_NAME_MAX 64       /* bytes; names are checked by auth_user_name_valid */
#define DB_PASSWORD_HASH_MAX 160  /* "pbkdf2-sha256$ITER$SALT$HASH" + NUL fits (about 121) */
#define DB_SESSION_ID_BYTES 32    /* session ids: 256 random bits ... */
#define DB_SESSION_ID_HEX (2 * DB_SESSION_ID_BYTES) /* ... spelled as 64 lower-case hex digits */
#define DB_CSRF_BYTES 32          /* CSRF tokens: 256 random bits, 64 hex digits */
#define DB_CSRF_HEX (2 * DB_CSRF_BYTES)

/* ---- Users (db_users.c) --------------------------------------------------------------------- */

enum db_role {
	DB_ROLE_ADMIN,       /* manages users */
	DB_ROLE_COORDINATOR, /* runs surveys: definitions, experts, rounds */
	DB_ROLE_PLANNER,     /* reads results and exports reports */
	DB_ROLE_COUNT,
};

/* "admin", "coordinator", "planner" (as stored). */
const char *db_role_name(enum db_role role);
/* The role named s (exactly, lower case), or -1. */
int db_role_parse(const char *s);

/* A user as stored. */
struct db_user {
	int64_t id;
	char name[DB_USER_NAME_MAX + 1];
	enum db_role role;
	bool disabled;
	char password_hash[DB_PASSWORD_HASH_MAX]; /* crypto_password_hash's form */
	char created_at[DB_TIME_MAX];
};

enum db_user_outcome {
	DB_USER_DONE = 0, /* added / changed */
	DB_USER_EXISTS,   /* add: a user of that name exists already; nothing was written */
	DB_USER_UNKNOWN,  /* change: there is no user of that name; nothing was written */
};

/*
 * Adds user name with role and password_hash (crypto_password_hash's form; the caller checked
 * the name and the password against auth.h's rules). Writes. Returns DB_USER_DONE with *id set
 * (id may be NULL), DB_USER_EXISTS, or -1.
 */
int db_user_add(struct db *db, const char *name, enum db_role role, const char *password_hash,
		int64_t *id);

/* Finds user name: DB_FOUND with *out filled, DB_NOT_FOUND, or -1 (also when the stored row
 * does not fit struct db_user: a name or hash longer than the limits, an unknown role). */
int db_user_get(struct db *db, const char *name, struct db_user *out);

/* One user as listed; strings borrowed, valid during the callback only. */
struct db_user_info {
	int64_t id;
	const char *name;
	const char *role;
	bool disabled;
	const char *created_at;
};

/* Calls cb for every user in name order; a non-zero return from cb stops the walk and is
 * returned. Returns 0, cb's value, or -1. */
int db_user_list(struct db *db, int (*cb)(const struct db_user_info *, void *), void *arg);

/*
 * Replaces the password of user name with password_hash, and ends every session of the user
 * (a new password shuts out whoever knew the old one). Writes. Returns DB_USER_DONE with
 * *ended = the number of sessions ended (ended may be NULL), DB_USER_UNKNOWN, or -1.
 */
int db_user_set_password(struct db *db, const char *name, const char *password_hash,
			 int64_t *ended);

/*
 * Disables (disabled true) or enables user name. Disabling ends every session of the user;
 * enabling an enabled user or disabling a disabled one changes nothing (and is not an error).
 * Writes. Returns DB_USER_DONE with *changed (whether the flag changed; may be NULL) and *ended
 * (sessions ended; may be NULL), DB_USER_UNKNOWN, or -1.
 */
int db_user_set_disabled(struct db *db, const char *name, bool disabled, bool *changed,
			 int64_t *ended);

/* ---- Sessions (db_sessions.c) --------------------------------------------------------------- */

enum db_principal {
	DB_PRINCIPAL_USER,
	DB_PRINCIPAL_EXPERT,
};

/* A stored session with its principal, as db_session_get finds it. Times are Unix seconds. */
struct db_session {
	unsigned char id_hash[CRYPTO_SHA256_LEN];
	enum db_principal kind;
	char csrf[DB_CSRF_HEX + 1];
	int64_t created_at;
	int64_t last_seen_at;
	int64_t expires_at; /* the absolute end, whatever the activity */
	/* kind == DB_PRINCIPAL_USER: the user now (not as at login) */
	struct {
		int64_t id;
		char name[DB_USER_NAME_MAX + 1];
		enum db_role role;
		bool disabled;
	} user;
	/* kind == DB_PRINCIPAL_EXPERT: the expert now */
	struct db_expert_ref expert;
};

/*
 * Starts a session for the user or expert principal_id (kind says which) at now, ending at
 * expires_at at the latest (> now; the caller applies the policy, see auth_session_start).
 * Writes. Makes a fresh id (written to id_hex, DB_SESSION_ID_HEX lower-case hex digits: hand it
 * to the client and forget it; only SHA-256 of those 64 characters is stored) and a fresh CSRF
 * token (csrf, stored). Returns 0, or -1 (also when there is no such principal).
 */
int db_session_create(struct db *db, enum db_principal kind, int64_t principal_id, int64_t now,
		      int64_t expires_at, char id_hex[DB_SESSION_ID_HEX + 1],
		      char csrf[DB_CSRF_HEX + 1]);

/*
 * Finds the session whose id hashes to id_hash (SHA-256 of the id's hex text), with its user's
 * or expert's current state: DB_FOUND with *out filled, DB_NOT_FOUND, or -1. Only reads: it
 * judges nothing (expiry, disabled users are auth_session_check's business) and refreshes
 * nothing (see db_session_touch), so it runs on a read-only connection.
 */
int db_session_get(struct db *db, const unsigned char id_hash[CRYPTO_SHA256_LEN],
		   struct db_session *out);

/* Sets the session's last_seen_at to now (if later than the stored time). Writes. Returns 0
 * (also when the session is gone meanwhile), or -1. */
int db_session_touch(struct db *db, const unsigned char id_hash[CRYPTO_SHA256_LEN], int64_t now);

/* Ends one session (logout). Writes. Returns DB_FOUND if it existed, DB_NOT_FOUND, or -1. */
int db_session_delete(struct db *db, const unsigned char id_hash[CRYPTO_SHA256_LEN]);

/* Ends every session of the user / of the expert. Writes. Returns the number ended, or -1. */
int64_t db_session_delete_user(struct db *db, int64_t user_id);
int64_t db_session_delete_expert(struct db *db, int64_t expert_id);

/*
 * Deletes the sessions that are over at now: past their expires_at, or idle for user_idle
 * (users) / expert_idle (experts) seconds or more since last_seen_at. Writes. Returns the number
 * deleted, or -1. O(number of sessions).
 */
int64_t db_session_purge(struct db *db, int64_t now, int64_t user_idle, int64_t expert_idle);

#endif
