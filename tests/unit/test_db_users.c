/*
 * test_db_users — users and sessions in the SQLite store (db_users.h) and the session look-up of
 * auth.h, against real database files in a temporary directory, with explicit times. The test
 * looks under the hood with SQLite directly where the API does not show what is stored (hashes,
 * raw rows), and searches the database files' bytes for the secrets that must not be there.
 *
 * Passwords are hashed with 1000 PBKDF2 rounds here (the CLI and the server use 310,000) to
 * keep the test fast; the stored form names its own count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "db_users.h"

#define T0 1700000000 /* 2023-11-14T22:13:20Z */
#define ROUNDS 1000
#define PASSWORD "correct horse battery staple"
#define UIDLE AUTH_USER_IDLE     /* 1800 */
#define EIDLE AUTH_EXPERT_IDLE   /* 604800 */

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX];
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_db_users.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_close(fx->db);
	test_db_unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	crypto_release();
	return 0;
}

/* One value of a query run on the file with SQLite directly, as text ("" for none). */
static void query_text(const char *path, const char *sql, char *out, size_t size)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(c);
}

static long long query_int(const char *path, const char *sql)
{
	char text[64];
	query_text(path, sql, text, sizeof text);
	return text[0] ? atoll(text) : -1;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

/* Adds a user in its own transaction; returns its id. */
static int64_t add_user(struct db *db, const char *name, enum db_role role, const char *password)
{
	char *hash = auth_password_hash(password, ROUNDS);
	int64_t id = 0;
	assert_non_null(hash);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_user_add(db, name, role, hash, &id), DB_USER_DONE);
	assert_int_equal(db_commit(db), 0);
	free(hash);
	assert_true(id > 0);
	return id;
}

/* Starts a session in its own transaction. */
static void start(struct db *db, enum db_principal kind, int64_t id, int64_t now,
		  char sid[DB_SESSION_ID_HEX + 1], char csrf[DB_CSRF_HEX + 1])
{
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(auth_session_start(db, kind, id, now, sid, csrf), 0);
	assert_int_equal(db_commit(db), 0);
}

static void touch(struct db *db, const char *sid, int64_t now)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	auth_session_hash(sid, h);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_session_touch(db, h, now), 0);
	assert_int_equal(db_commit(db), 0);
}

static int lookup(struct db *db, const char *sid, int64_t now, struct db_session *s, bool *t)
{
	return auth_session_lookup(db, sid, now, s, t);
}

/* Whether the bytes of needle (n bytes) occur in the file at path (absent file: no). */
static bool file_contains(const char *path, const void *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	bool found = memmem(data, (size_t)size, needle, n) != NULL;
	free(data);
	return found;
}

static bool db_files_contain(const struct fixture *fx, const void *needle, size_t n)
{
	char p[160];
	snprintf(p, sizeof p, "%s-wal", fx->path);
	return file_contains(fx->path, needle, n) || file_contains(p, needle, n);
}

static bool is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* ---- Users ---------------------------------------------------------------------------------- */

static void test_roles(void **state)
{
	(void)state;
	assert_string_equal(db_role_name(DB_ROLE_ADMIN), "admin");
	assert_string_equal(db_role_name(DB_ROLE_COORDINATOR), "coordinator");
	assert_string_equal(db_role_name(DB_ROLE_PLANNER), "planner");
	assert_int_equal(db_role_parse("admin"), DB_ROLE_ADMIN);
	assert_int_equal(db_role_parse("coordinator"), DB_ROLE_COORDINATOR);
	assert_int_equal(db_role_parse("planner"), DB_ROLE_PLANNER);
	assert_int_equal(db_role_parse("Admin"), -1);
	assert_int_equal(db_role_parse("root"), -1);
	assert_int_equal(db_role_parse(""), -1);
	assert_int_equal(db_role_parse("expert"), -1); /* experts are not users */
}

static void test_user_add_and_get(void **state)
{
	struct fixture *fx = *state;
	struct db_user u;
	char text[200];
	int64_t id = add_user(fx->db, "alice", DB_ROLE_COORDINATOR, PASSWORD);
	assert_int_equal(db_user_get(fx->db, "alice", &u), DB_FOUND);
	assert_int_equal(u.id, id);
	assert_string_equal(u.name, "alice");
	assert_int_equal(u.role, DB_ROLE_COORDINATOR);
	assert_false(u.disabled);
	assert_int_equal(strlen(u.created_at), 20);
	/* The stored form: "pbkdf2-sha256$1000$" + salt + "$" + hash, and the password verifies. */
	assert_memory_equal(u.password_hash, "pbkdf2-sha256$1000$", 19);
	assert_int_equal(strlen(u.password_hash), 19 + 32 + 1 + 64);
	assert_int_equal(auth_password_verify(u.password_hash, PASSWORD), 1);
	assert_int_equal(auth_password_verify(u.password_hash, "correct horse battery stapler"), 0);
	/* What SQLite holds is that form: the role's name and never the password itself. */
	query_text(fx->path, "SELECT role || ' ' || disabled FROM users WHERE name = 'alice'", text,
		   sizeof text);
	assert_string_equal(text, "coordinator 0");
	assert_false(db_files_contain(fx, PASSWORD, strlen(PASSWORD)));
	/* Names are exact. */
	assert_int_equal(db_user_get(fx->db, "Alice", &u), DB_NOT_FOUND);
	assert_int_equal(db_user_get(fx->db, "bob", &u), DB_NOT_FOUND);
}

static void test_user_duplicate(void **state)
{
	struct fixture *fx = *state;
	struct db_user u;
	add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	char *hash = auth_password_hash("another password here", ROUNDS);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_user_add(fx->db, "alice", DB_ROLE_PLANNER, hash, NULL), DB_USER_EXISTS);
	assert_int_equal(db_commit(fx->db), 0);
	free(hash);
	/* The first alice is untouched. */
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM users"), 1);
	assert_int_equal(db_user_get(fx->db, "alice", &u), DB_FOUND);
	assert_int_equal(u.role, DB_ROLE_ADMIN);
	assert_int_equal(auth_password_verify(u.password_hash, PASSWORD), 1);
}

static int list_cb(const struct db_user_info *u, void *arg)
{
	char *out = arg;
	char line[128];
	snprintf(line, sizeof line, "%s:%s:%d;", u->name, u->role, u->disabled);
	strcat(out, line);
	return 0;
}

static int stop_cb(const struct db_user_info *u, void *arg)
{
	(void)u;
	(*(int *)arg)++;
	return 7;
}

static void test_user_list(void **state)
{
	struct fixture *fx = *state;
	char out[512] = "";
	int calls = 0;
	assert_int_equal(db_user_list(fx->db, list_cb, out), 0);
	assert_string_equal(out, "");
	add_user(fx->db, "carol", DB_ROLE_PLANNER, PASSWORD);
	add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	add_user(fx->db, "bob", DB_ROLE_COORDINATOR, PASSWORD);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_user_set_disabled(fx->db, "bob", true, NULL, NULL), DB_USER_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	/* In name order, whatever the order they were added in. */
	assert_int_equal(db_user_list(fx->db, list_cb, out), 0);
	assert_string_equal(out, "alice:admin:0;bob:coordinator:1;carol:planner:0;");
	/* A non-zero return from the callback stops the walk and is returned. */
	assert_int_equal(db_user_list(fx->db, stop_cb, &calls), 7);
	assert_int_equal(calls, 1);
}

static void test_user_set_password(void **state)
{
	struct fixture *fx = *state;
	struct db_user u;
	struct db_session s;
	char sid1[DB_SESSION_ID_HEX + 1], sid2[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	int64_t ended = -1;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	int64_t bob = add_user(fx->db, "bob", DB_ROLE_PLANNER, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid1, csrf);
	start(fx->db, DB_PRINCIPAL_USER, bob, T0, sid2, csrf);
	char *hash = auth_password_hash("a brand new password", ROUNDS);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_user_set_password(fx->db, "nobody", hash, &ended), DB_USER_UNKNOWN);
	assert_int_equal(db_user_set_password(fx->db, "alice", hash, &ended), DB_USER_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	free(hash);
	/* alice's one session is over; bob's is not. */
	assert_int_equal(ended, 1);
	assert_int_equal(lookup(fx->db, sid1, T0 + 1, &s, NULL), AUTH_SESSION_NONE);
	assert_int_equal(lookup(fx->db, sid2, T0 + 1, &s, NULL), AUTH_SESSION_OK);
	assert_int_equal(db_user_get(fx->db, "alice", &u), DB_FOUND);
	assert_int_equal(auth_password_verify(u.password_hash, "a brand new password"), 1);
	assert_int_equal(auth_password_verify(u.password_hash, PASSWORD), 0);
}

static void test_user_disable_enable(void **state)
{
	struct fixture *fx = *state;
	struct db_user u;
	struct db_session s;
	char sid[3][DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	int64_t ended = -1;
	bool changed = false;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	for (int i = 0; i < 3; i++)
		start(fx->db, DB_PRINCIPAL_USER, alice, T0 + i, sid[i], csrf);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_user_set_disabled(fx->db, "nobody", true, &changed, &ended),
			 DB_USER_UNKNOWN);
	assert_int_equal(db_user_set_disabled(fx->db, "alice", true, &changed, &ended),
			 DB_USER_DONE);
	assert_true(changed);
	assert_int_equal(ended, 3);
	/* Again: nothing changes, nothing to end. */
	assert_int_equal(db_user_set_disabled(fx->db, "alice", true, &changed, &ended),
			 DB_USER_DONE);
	assert_false(changed);
	assert_int_equal(ended, 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_user_get(fx->db, "alice", &u), DB_FOUND);
	assert_true(u.disabled);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lookup(fx->db, sid[i], T0 + 10, &s, NULL), AUTH_SESSION_NONE);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM sessions"), 0);
	/* Enabling: the flag goes back, sessions stay ended. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_user_set_disabled(fx->db, "alice", false, &changed, &ended),
			 DB_USER_DONE);
	assert_true(changed);
	assert_int_equal(ended, 0);
	assert_int_equal(db_user_set_disabled(fx->db, "alice", false, &changed, NULL),
			 DB_USER_DONE);
	assert_false(changed);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_user_get(fx->db, "alice", &u), DB_FOUND);
	assert_false(u.disabled);
}

static void test_user_damaged_row(void **state)
{
	struct fixture *fx = *state;
	struct db_user u;
	/* A hash too long for struct db_user is an error, not a silently cut hash. */
	char sql[400];
	snprintf(sql, sizeof sql,
		 "INSERT INTO users (name, role, password_hash, created_at) "
		 "VALUES ('eve', 'admin', '%0200d', '2025-01-01T00:00:00Z')", 0);
	exec_sql(fx->path, sql);
	assert_int_equal(db_user_get(fx->db, "eve", &u), -1);
	assert_non_null(strstr(db_error(fx->db), "damaged"));
}

/* ---- Sessions ------------------------------------------------------------------------------- */

static void test_session_create_and_lookup(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], sid2[DB_SESSION_ID_HEX + 1];
	char csrf[DB_CSRF_HEX + 1], csrf2[DB_CSRF_HEX + 1], text[200], want[200];
	unsigned char h[CRYPTO_SHA256_LEN];
	struct db_session s;
	bool t = true;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_COORDINATOR, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid2, csrf2);
	/* 256-bit ids and CSRF tokens as 64 lower-case hex digits, all different. */
	assert_true(is_hex(sid, 64));
	assert_true(is_hex(csrf, 64));
	assert_string_not_equal(sid, sid2);
	assert_string_not_equal(csrf, csrf2);
	assert_string_not_equal(sid, csrf);

	assert_int_equal(lookup(fx->db, sid, T0, &s, &t), AUTH_SESSION_OK);
	assert_false(t);
	assert_int_equal(s.kind, DB_PRINCIPAL_USER);
	assert_int_equal(s.user.id, alice);
	assert_string_equal(s.user.name, "alice");
	assert_int_equal(s.user.role, DB_ROLE_COORDINATOR);
	assert_false(s.user.disabled);
	assert_string_equal(s.csrf, csrf);
	assert_true(auth_csrf_valid(&s, csrf));
	assert_false(auth_csrf_valid(&s, csrf2));
	assert_int_equal(s.created_at, T0);
	assert_int_equal(s.last_seen_at, T0);
	assert_int_equal(s.expires_at, T0 + 43200); /* 12 h */

	/* Stored: SHA-256 of the id's text and the times as UTC text (T0 = 2023-11-14T22:13:20Z,
	 * + 12 h = 2023-11-15T10:13:20Z). */
	auth_session_hash(sid, h);
	crypto_hex(h, sizeof h, want);
	query_text(fx->path, "SELECT lower(hex(id_hash)) FROM sessions ORDER BY rowid LIMIT 1",
		   text, sizeof text);
	assert_string_equal(text, want);
	query_text(fx->path,
		   "SELECT created_at || ' ' || last_seen_at || ' ' || expires_at FROM sessions "
		   "ORDER BY rowid LIMIT 1",
		   text, sizeof text);
	assert_string_equal(text,
			    "2023-11-14T22:13:20Z 2023-11-14T22:13:20Z 2023-11-15T10:13:20Z");
	/* The id itself is nowhere in the files: neither its text nor its 32 raw bytes. */
	unsigned char raw[DB_SESSION_ID_BYTES];
	for (size_t i = 0; i < sizeof raw; i++) {
		unsigned v;
		sscanf(sid + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	assert_false(db_files_contain(fx, sid, DB_SESSION_ID_HEX));
	assert_false(db_files_contain(fx, raw, sizeof raw));
	assert_false(db_files_contain(fx, sid2, DB_SESSION_ID_HEX));
	/* ... while the hash is (the search does see the files' contents). */
	assert_true(db_files_contain(fx, h, sizeof h));

	/* Ids that are not ours. */
	char bad[DB_SESSION_ID_HEX + 1];
	memcpy(bad, sid, sizeof bad);
	bad[0] = bad[0] == '0' ? '1' : '0';
	assert_int_equal(lookup(fx->db, bad, T0, &s, &t), AUTH_SESSION_NONE);
	for (size_t i = 0; i < DB_SESSION_ID_HEX; i++)
		bad[i] = sid[i] >= 'a' ? (char)(sid[i] - 'a' + 'A') : sid[i];
	assert_int_equal(lookup(fx->db, bad, T0, &s, &t), AUTH_SESSION_NONE); /* upper case */
	assert_int_equal(lookup(fx->db, "", T0, &s, &t), AUTH_SESSION_NONE);
	assert_int_equal(lookup(fx->db, NULL, T0, &s, &t), AUTH_SESSION_NONE);
	assert_int_equal(lookup(fx->db, "0123", T0, &s, &t), AUTH_SESSION_NONE);
	snprintf(bad, sizeof bad, "%.63sg", sid);
	assert_int_equal(lookup(fx->db, bad, T0, &s, &t), AUTH_SESSION_NONE);
	/* The hash of an id is not an id. */
	assert_int_equal(lookup(fx->db, want, T0, &s, &t), AUTH_SESSION_NONE);
}

static void test_session_idle_expiry_and_touch(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	struct db_session s;
	bool t;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	/* Used at T0 + 60: time to refresh last_seen_at. */
	assert_int_equal(lookup(fx->db, sid, T0 + 60, &s, &t), AUTH_SESSION_OK);
	assert_true(t);
	touch(fx->db, sid, T0 + 60);
	assert_int_equal(lookup(fx->db, sid, T0 + 61, &s, &t), AUTH_SESSION_OK);
	assert_false(t);
	assert_int_equal(s.last_seen_at, T0 + 60);
	/* A late touch with an older time does not move it back. */
	touch(fx->db, sid, T0 + 30);
	assert_int_equal(lookup(fx->db, sid, T0 + 61, &s, &t), AUTH_SESSION_OK);
	assert_int_equal(s.last_seen_at, T0 + 60);
	/* Idle for 30 min after T0 + 60: over at T0 + 1860, not a second before. */
	assert_int_equal(lookup(fx->db, sid, T0 + 1859, &s, &t), AUTH_SESSION_OK);
	assert_int_equal(lookup(fx->db, sid, T0 + 1860, &s, &t), AUTH_SESSION_EXPIRED);
	assert_false(t);
}

static void test_session_absolute_expiry(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	struct db_session s;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	/* Used every 20 min for 12 h: never idle, but over at T0 + 43200 all the same. */
	for (int64_t now = T0 + 1200; now < T0 + 43200; now += 1200) {
		assert_int_equal(lookup(fx->db, sid, now, &s, NULL), AUTH_SESSION_OK);
		touch(fx->db, sid, now);
	}
	assert_int_equal(lookup(fx->db, sid, T0 + 43199, &s, NULL), AUTH_SESSION_OK);
	assert_int_equal(lookup(fx->db, sid, T0 + 43200, &s, NULL), AUTH_SESSION_EXPIRED);
}

static void test_session_disabled_user(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	struct db_session s;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	/* Disabled behind the API's back (the session row stays): the look-up still refuses it,
	 * because it reads the user's state now. */
	exec_sql(fx->path, "UPDATE users SET disabled = 1 WHERE name = 'alice'");
	assert_int_equal(lookup(fx->db, sid, T0 + 1, &s, NULL), AUTH_SESSION_REVOKED);
	assert_true(s.user.disabled);
	/* The role is read at look-up too: a role changed after login applies at once. */
	exec_sql(fx->path, "UPDATE users SET disabled = 0, role = 'planner' WHERE name = 'alice'");
	assert_int_equal(lookup(fx->db, sid, T0 + 2, &s, NULL), AUTH_SESSION_OK);
	assert_int_equal(s.user.role, DB_ROLE_PLANNER);
}

static void test_session_logout(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], sid2[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	unsigned char h[CRYPTO_SHA256_LEN];
	struct db_session s;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid2, csrf);
	auth_session_hash(sid, h);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_session_delete(fx->db, h), DB_FOUND);
	assert_int_equal(db_session_delete(fx->db, h), DB_NOT_FOUND);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(lookup(fx->db, sid, T0 + 1, &s, NULL), AUTH_SESSION_NONE);
	/* The other session of the same user goes on. */
	assert_int_equal(lookup(fx->db, sid2, T0 + 1, &s, NULL), AUTH_SESSION_OK);
	/* Ending all of the user's sessions. */
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_session_delete_user(fx->db, alice), 2);
	assert_int_equal(db_session_delete_user(fx->db, alice), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(lookup(fx->db, sid2, T0 + 1, &s, NULL), AUTH_SESSION_NONE);
}

/* Makes survey "s" with expert "E1" (pseudonym P-00000001) and returns the expert's id. */
static int64_t make_expert(const struct fixture *fx)
{
	exec_sql(fx->path,
		 "INSERT INTO surveys (slug, definition, loaded_at) "
		 "VALUES ('s', '{}', '2025-01-01T00:00:00Z');"
		 "INSERT INTO experts (survey_id, ext_id, name, email, sector, token_hash, "
		 "pseudonym, created_at, updated_at) SELECT id, 'E1', 'Ed', '', 'academia', "
		 "zeroblob(32), 'P-00000001', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z' "
		 "FROM surveys");
	return query_int(fx->path, "SELECT id FROM experts WHERE ext_id = 'E1'");
}

static void test_session_expert(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	struct db_session s;
	int64_t e = make_expert(fx);
	int64_t survey = query_int(fx->path, "SELECT id FROM surveys WHERE slug = 's'");
	start(fx->db, DB_PRINCIPAL_EXPERT, e, T0, sid, csrf);
	assert_int_equal(lookup(fx->db, sid, T0 + 5, &s, NULL), AUTH_SESSION_OK);
	assert_int_equal(s.kind, DB_PRINCIPAL_EXPERT);
	assert_int_equal(s.expert.id, e);
	assert_int_equal(s.expert.survey_id, survey);
	assert_string_equal(s.expert.pseudonym, "P-00000001");
	assert_false(s.expert.revoked);
	assert_int_equal(s.expires_at, T0 + 2592000); /* 30 days */
	/* Idle 7 days = 604,800 s. */
	assert_int_equal(lookup(fx->db, sid, T0 + 604799, &s, NULL), AUTH_SESSION_OK);
	assert_int_equal(lookup(fx->db, sid, T0 + 604800, &s, NULL), AUTH_SESSION_EXPIRED);
	/* A revoked expert's session stops working. */
	exec_sql(fx->path, "UPDATE experts SET revoked = 1");
	assert_int_equal(lookup(fx->db, sid, T0 + 10, &s, NULL), AUTH_SESSION_REVOKED);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_session_delete_expert(fx->db, e), 1);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(lookup(fx->db, sid, T0 + 10, &s, NULL), AUTH_SESSION_NONE);
}

static void test_session_no_principal(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1];
	/* Sessions of nobody are refused by the foreign keys. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_session_create(fx->db, DB_PRINCIPAL_USER, 999, T0, T0 + 10, sid, csrf),
			 -1);
	assert_string_equal(sid, "");
	assert_int_equal(db_session_create(fx->db, DB_PRINCIPAL_EXPERT, 999, T0, T0 + 10, sid,
					   csrf),
			 -1);
	db_rollback(fx->db);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM sessions"), 0);
}

static void test_session_purge(void **state)
{
	struct fixture *fx = *state;
	char u1[DB_SESSION_ID_HEX + 1], u2[DB_SESSION_ID_HEX + 1], e1[DB_SESSION_ID_HEX + 1];
	char csrf[DB_CSRF_HEX + 1];
	struct db_session s;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	int64_t e = make_expert(fx);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, u1, csrf);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, u2, csrf);
	start(fx->db, DB_PRINCIPAL_EXPERT, e, T0, e1, csrf);
	touch(fx->db, u2, T0 + 1000);
	/* At T0 + 1800: u1 was last seen T0, 1800 s ago: over; u2 (T0 + 1000) and e1 stay. */
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_session_purge(fx->db, T0 + 1799, UIDLE, EIDLE), 0);
	assert_int_equal(db_session_purge(fx->db, T0 + 1800, UIDLE, EIDLE), 1);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(lookup(fx->db, u1, T0 + 1800, &s, NULL), AUTH_SESSION_NONE);
	assert_int_equal(lookup(fx->db, u2, T0 + 1800, &s, NULL), AUTH_SESSION_OK);
	/* Keep u2 alive to its absolute end: at T0 + 43200 it is over (expires_at), e1 is not. */
	for (int64_t now = T0 + 2000; now <= T0 + 43200; now += 1000)
		touch(fx->db, u2, now);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_session_purge(fx->db, T0 + 43199, UIDLE, EIDLE), 0);
	assert_int_equal(db_session_purge(fx->db, T0 + 43200, UIDLE, EIDLE), 1);
	/* e1, last seen at T0: idle for 7 days at T0 + 604800. */
	assert_int_equal(db_session_purge(fx->db, T0 + 604799, UIDLE, EIDLE), 0);
	assert_int_equal(db_session_purge(fx->db, T0 + 604800, UIDLE, EIDLE), 1);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM sessions"), 0);
}

static void test_session_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	char sid[DB_SESSION_ID_HEX + 1], csrf[DB_CSRF_HEX + 1], err[DB_ERR_MAX];
	struct db_session s;
	int64_t alice = add_user(fx->db, "alice", DB_ROLE_ADMIN, PASSWORD);
	start(fx->db, DB_PRINCIPAL_USER, alice, T0, sid, csrf);
	/* A read-only connection (the server's loop threads) finds it too. */
	struct db *ro = NULL;
	assert_int_equal(db_open(fx->path, DB_READONLY, &ro, err), 0);
	assert_int_equal(lookup(ro, sid, T0 + 1, &s, NULL), AUTH_SESSION_OK);
	assert_string_equal(s.user.name, "alice");
	db_close(ro);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		TEST(test_user_add_and_get),
		TEST(test_user_duplicate),
		TEST(test_user_list),
		TEST(test_user_set_password),
		TEST(test_user_disable_enable),
		TEST(test_user_damaged_row),
		TEST(test_session_create_and_lookup),
		TEST(test_session_idle_expiry_and_touch),
		TEST(test_session_absolute_expiry),
		TEST(test_session_disabled_user),
		TEST(test_session_logout),
		TEST(test_session_expert),
		TEST(test_session_no_principal),
		TEST(test_session_purge),
		TEST(test_session_survives_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
