/*
 * db_users — the console's user accounts: adding, finding, listing, changing a password,
 * disabling and enabling. See db_users.h for the contracts.
 *
 * A change that should shut people out (a new password, disabling) ends the user's sessions in
 * the same call, so no caller can forget it.
 */
#include "db_int.h"
#include "db_users.h"

#include <assert.h>
#include <string.h>

static const char *const role_names[DB_ROLE_COUNT] = {
	[DB_ROLE_ADMIN] = "admin",
	[DB_ROLE_COORDINATOR] = "coordinator",
	[DB_ROLE_PLANNER] = "planner",
};

static const char SQL_EXISTS[] = "SELECT id FROM users WHERE name = ?1";
static const char SQL_INSERT[] =
	"INSERT INTO users (name, role, password_hash, disabled, created_at) "
	"VALUES (?1, ?2, ?3, 0, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
static const char SQL_GET[] =
	"SELECT id, name, role, password_hash, disabled, created_at FROM users WHERE name = ?1";
static const char SQL_LIST[] =
	"SELECT id, name, role, disabled, created_at FROM users ORDER BY name";
static const char SQL_SET_PASSWORD[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";
static const char SQL_SET_DISABLED[] = "UPDATE users SET disabled = ?2 WHERE id = ?1";
static const char SQL_GET_DISABLED[] = "SELECT id, disabled FROM users WHERE name = ?1";

const char *db_role_name(enum db_role role)
{
	assert(role >= 0 && role < DB_ROLE_COUNT);
	return role_names[role];
}

int db_role_parse(const char *s)
{
	for (int i = 0; i < DB_ROLE_COUNT; i++)
		if (!strcmp(s, role_names[i]))
			return i;
	return -1;
}

/* The id and disabled flag of user name: DB_FOUND, DB_NOT_FOUND or -1. */
static int find(struct db *db, const char *name, int64_t *id, bool *disabled)
{
	sqlite3_stmt *st = db_stmt(db, SQL_GET_DISABLED);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*disabled = sqlite3_column_int(st, 1) != 0;
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the user");
	}
	db_done(st);
	return ret;
}

int db_user_add(struct db *db, const char *name, enum db_role role, const char *password_hash,
		int64_t *id)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_EXISTS);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(db, "cannot look up the user");
	db_done(st);
	if (rc == SQLITE_ROW)
		return DB_USER_EXISTS;
	if (rc != SQLITE_DONE)
		return -1;
	if (!(st = db_stmt(db, SQL_INSERT)))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, db_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, password_hash, -1, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot store the user"))
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(db->conn);
	return DB_USER_DONE;
}

/* Copies text column col into out[size]; -1 if it does not fit. */
static int copy_fitting(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const char *t = db_column_text(st, col);
	size_t n = strlen(t);
	if (n >= size)
		return -1;
	memcpy(out, t, n + 1);
	return 0;
}

int db_user_get(struct db *db, const char *name, struct db_user *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_GET);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		int role = db_role_parse(db_column_text(st, 2));
		out->id = sqlite3_column_int64(st, 0);
		out->disabled = sqlite3_column_int(st, 4) != 0;
		db_column_copy(st, 5, out->created_at, sizeof out->created_at);
		if (role < 0 || copy_fitting(st, 1, out->name, sizeof out->name) ||
		    copy_fitting(st, 3, out->password_hash, sizeof out->password_hash)) {
			ret = db_failf(db, "user %lld: the stored row is damaged",
				       (long long)out->id);
		} else {
			out->role = role;
			ret = DB_FOUND;
		}
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the user");
	}
	db_done(st);
	return ret;
}

int db_user_list(struct db *db, int (*cb)(const struct db_user_info *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_LIST);
	int rc, ret = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_user_info u = {
			.id = sqlite3_column_int64(st, 0),
			.name = db_column_text(st, 1),
			.role = db_column_text(st, 2),
			.disabled = sqlite3_column_int(st, 3) != 0,
			.created_at = db_column_text(st, 4),
		};
		if ((ret = cb(&u, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the users");
	db_done(st);
	return ret;
}

int db_user_set_password(struct db *db, const char *name, const char *password_hash,
			 int64_t *ended)
{
	DB_ASSERT_TXN(db);
	int64_t id, n;
	bool disabled;
	int found = find(db, name, &id, &disabled);
	if (found != DB_FOUND)
		return found < 0 ? -1 : DB_USER_UNKNOWN;
	sqlite3_stmt *st = db_stmt(db, SQL_SET_PASSWORD);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, password_hash, -1, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot store the password") ||
	    (n = db_session_delete_user(db, id)) < 0)
		return -1;
	if (ended)
		*ended = n;
	return DB_USER_DONE;
}

int db_user_set_disabled(struct db *db, const char *name, bool disabled, bool *changed,
			 int64_t *ended)
{
	DB_ASSERT_TXN(db);
	int64_t id, n = 0;
	bool was;
	int found = find(db, name, &id, &was);
	if (found != DB_FOUND)
		return found < 0 ? -1 : DB_USER_UNKNOWN;
	if (was != disabled) {
		sqlite3_stmt *st = db_stmt(db, SQL_SET_DISABLED);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, disabled);
		if (db_exec_stmt(db, st, "cannot change the user"))
			return -1;
	}
	/* A disabled user has no sessions, even ones a bug or an old binary left behind. */
	if (disabled && (n = db_session_delete_user(db, id)) < 0)
		return -1;
	if (changed)
		*changed = was != disabled;
	if (ended)
		*ended = n;
	return DB_USER_DONE;
}
