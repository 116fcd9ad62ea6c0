/*
 * auth — the rules of accounts and sessions, shared by the CLI (`delphi user`) and the HTTP
 * layer's login, logout and session middleware:
 *
 *   - what a user name and a password may be (auth_user_name_valid, auth_password_check);
 *   - password hashing and verification, with a dummy verification for unknown names so that
 *     the time a login takes does not tell which names exist;
 *   - the session policy (idle and absolute lifetimes, when to refresh last_seen_at) applied to
 *     what db_session_get found, and starting a session with it;
 *   - login throttling per account and per client address, with growing delays.
 *
 * Nothing here reads a clock: every function that depends on time takes `now` (Unix seconds),
 * so the tests run a clock of their own and the server passes time(NULL).
 *
 * Threads: the password functions are slow on purpose (PBKDF2, about 0.4 s at
 * CRYPTO_PBKDF2_ITERATIONS): call them on a worker thread, never on an event loop. A struct
 * auth_throttle may be shared by every thread (it has its own mutex; each call is O(1) except
 * when the table is full, then O(capacity)). The rest is pure or works on the caller's
 * connection (db.h: one thread at a time per struct db).
 *
 * How the HTTP layer logs a user in (each step's thread in brackets):
 *
 *   1. [loop]   key = auth_address_key(req_peer(r)); wait = auth_throttle_check(t, name, key,
 *               now): wait > 0 -> 429 with Retry-After: wait, nothing else done. A name that
 *               is not auth_user_name_valid is checked and recorded all the same (its attempt
 *               costs the same and counts against the address).
 *   2. [loop]   db_user_get(read_db, name, &u) (read-only connection).
 *   3. [worker] ok = found ? auth_password_verify(u.password_hash, password) == 1 && !u.disabled
 *                          : (auth_password_verify_dummy(password, CRYPTO_PBKDF2_ITERATIONS), 0)
 *   4. [any]    auth_throttle_record(t, name, key, ok, now) — exactly once for every check that
 *               returned 0, whatever happens (an attempt never recorded stays pending: it
 *               counts as a failure until its series is forgotten).
 *   5. [writer] ok: auth_session_start(db, DB_PRINCIPAL_USER, u.id, now, id, csrf) and
 *               db_audit(db, "user:NAME", "user.login", ...); reply Set-Cookie with id
 *               (Secure; HttpOnly; SameSite=Strict; Path=/) and the csrf token in the body.
 *               Not ok: one reply for every failure ("wrong name or password"), 401.
 *
 * On every request with a session cookie: [loop] auth_session_lookup(read_db, cookie, now, &s,
 * &touch): AUTH_SESSION_OK -> the principal is s (role: s.user.role, or an expert); if touch,
 * submit db_session_touch(db, s.id_hash, now) to the writer and go on without waiting for it.
 * Unsafe methods also need auth_csrf_valid(&s, X-CSRF-Token header). Logout: [writer]
 * db_session_delete(db, s.id_hash). Now and then: [writer] db_session_purge(db, now,
 * AUTH_USER_IDLE, AUTH_EXPERT_IDLE).
 */
#ifndef DELPHI_AUTH_H
#define DELPHI_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_users.h"

/* ---- Names and passwords -------------------------------------------------------------------- */

#define AUTH_PASSWORD_MIN 12    /* characters (Unicode code points) */
#define AUTH_PASSWORD_MAX 1024  /* bytes */

/* A user name: 1..DB_USER_NAME_MAX bytes of a-z, 0-9, '.', '_', '-', '@', starting with a letter
 * or a digit (lower case only, so "Alice" and "alice" cannot be two people). */
bool auth_user_name_valid(const char *name);

enum auth_password_problem {
	AUTH_PASSWORD_OK = 0,
	AUTH_PASSWORD_SHORT,   /* fewer than AUTH_PASSWORD_MIN characters */
	AUTH_PASSWORD_LONG,    /* more than AUTH_PASSWORD_MAX bytes */
	AUTH_PASSWORD_BAD_TEXT /* not UTF-8, or holds a NUL or a control character */
};

/* Checks a new password of len bytes (it need not be NUL-terminated). Spaces and any printable
 * character are allowed; tabs too. Returns an enum auth_password_problem. */
int auth_password_check(const char *password, size_t len);

/* What is wrong, as a phrase for messages: "is shorter than 12 characters", ... ("" for OK). */
const char *auth_password_problem_text(int problem);

/* The stored form of password (crypto_password_hash: random salt, iterations rounds; the CLI
 * and the server always use CRYPTO_PBKDF2_ITERATIONS, tests fewer). Caller frees. NULL on
 * failure (no randomness, out of memory). Slow: not on an event loop. */
char *auth_password_hash(const char *password, unsigned iterations);

/* 1 if password matches stored (crypto_password_hash's form), 0 if not, -1 if stored is
 * malformed (treat as no match, and log it: the row is damaged). Slow: not on an event loop. */
int auth_password_verify(const char *stored, const char *password);

/* For a login name that does not exist: does the work of auth_password_verify against a stored
 * form of `iterations` rounds (use the count real hashes have) and returns 0 (no match). */
int auth_password_verify_dummy(const char *password, unsigned iterations);

/* ---- Sessions ------------------------------------------------------------------------------- */

#define AUTH_USER_IDLE (30 * 60)              /* a user's session ends after 30 min unused */
#define AUTH_USER_ABSOLUTE (12 * 3600)        /* ... and 12 h after login in any case */
#define AUTH_EXPERT_IDLE (7 * 86400)          /* an expert's after 7 days unused */
#define AUTH_EXPERT_ABSOLUTE (30 * 86400)     /* ... and 30 days after it began */
#define AUTH_TOUCH_INTERVAL 60                /* last_seen_at is refreshed at most once a minute */

/* Idle and absolute lifetime of a kind of session, in seconds. */
int64_t auth_session_idle(enum db_principal kind);
int64_t auth_session_absolute(enum db_principal kind);

enum auth_session_status {
	AUTH_SESSION_OK = 0,
	AUTH_SESSION_NONE,    /* no such session (or not a well-formed id) */
	AUTH_SESSION_EXPIRED, /* idle too long, or past its absolute end */
	AUTH_SESSION_REVOKED, /* its user is disabled / its expert revoked */
};

/*
 * Judges a stored session at now: AUTH_SESSION_EXPIRED when now >= expires_at or
 * now >= last_seen_at + idle (the session's kind), else AUTH_SESSION_REVOKED when its user is
 * disabled or its expert revoked, else AUTH_SESSION_OK. *touch (may be NULL) tells, for an OK
 * session, whether last_seen_at is AUTH_TOUCH_INTERVAL seconds old or more (refresh it with
 * db_session_touch); false otherwise. Pure.
 */
int auth_session_check(const struct db_session *s, int64_t now, bool *touch);

/*
 * Looks up the session whose id (the cookie's value, as db_session_create made it) is id, and
 * judges it (auth_session_check). An id that is NULL (no cookie) or not DB_SESSION_ID_HEX
 * lower-case hex digits is AUTH_SESSION_NONE without a query. Returns an enum auth_session_status (*out filled for OK,
 * EXPIRED and REVOKED) or -1 (db_error). Reads only: fine on a read-only connection.
 */
int auth_session_lookup(struct db *db, const char *id, int64_t now, struct db_session *out,
			bool *touch);

/* SHA-256 of a session id's text, the key db_session_get/_touch/_delete take. */
void auth_session_hash(const char *id, unsigned char out[CRYPTO_SHA256_LEN]);

/* Starts a session for a user or an expert at now with the policy's absolute lifetime
 * (db_session_create with expires_at = now + auth_session_absolute(kind)). Writes. 0 or -1. */
int auth_session_start(struct db *db, enum db_principal kind, int64_t principal_id, int64_t now,
		       char id[DB_SESSION_ID_HEX + 1], char csrf[DB_CSRF_HEX + 1]);

/* true if token (a request's X-CSRF-Token, may be NULL) equals the session's CSRF token.
 * Constant time in the token's content. */
bool auth_csrf_valid(const struct db_session *s, const char *token);

/* ---- Login throttling ----------------------------------------------------------------------- */

/*
 * Failed login attempts are counted per account name (as typed, existing or not) and per client
 * address. The k-th counted failure of a series makes the next attempt wait
 * auth_throttle_delay(k, free) seconds after it: 0 while k < free, then 2^(k - free), at most
 * AUTH_THROTTLE_MAX_WAIT. A series is forgotten AUTH_THROTTLE_FORGET seconds after the moment its
 * next attempt became allowed (last failure + delay), so a locked-out attacker cannot simply
 * wait out the window at the longest delay. A successful login ends the account's series; it
 * does not end the address's (one valid account would otherwise launder guesses at others).
 *
 * Accounts: 5 free failures (AUTH_THROTTLE_ACCOUNT_FREE). Addresses: 20 (one address may be a
 * whole office behind NAT). IPv6 clients are counted per /64 (see auth_address_key).
 *
 * An admitted attempt (auth_throttle_check returned 0) counts as a failure from the moment it
 * is admitted until auth_throttle_record tells its outcome, so many attempts sent at once are
 * spaced out as if each had failed. Throttling is not a store of record, so the state lives in
 * memory: see auth_throttle_new for why, and for the bound on its size.
 */
#define AUTH_THROTTLE_ACCOUNT_FREE 5
#define AUTH_THROTTLE_ADDRESS_FREE 20
#define AUTH_THROTTLE_MAX_WAIT (15 * 60)
#define AUTH_THROTTLE_FORGET (15 * 60)
#define AUTH_THROTTLE_KEY_MAX 127          /* longer keys are cut to this many bytes */
#define AUTH_THROTTLE_CAPACITY 4096        /* default entries per table (accounts, addresses) */
#define AUTH_ADDRESS_KEY_MAX 64            /* auth_address_key's output, NUL included */

/* One series of failures. It counts k = failures + pending. */
struct auth_throttle_state {
	unsigned failures; /* attempts of the series that failed */
	unsigned pending;  /* attempts admitted whose outcome is not known yet */
	int64_t last;      /* when the last of them was admitted or failed */
};

/* Seconds to wait after the k-th failure before the next attempt (see above). Pure. */
int64_t auth_throttle_delay(unsigned k, unsigned free);

/* Seconds the next attempt must still wait at now (0: go). Pure. */
int64_t auth_throttle_wait(const struct auth_throttle_state *s, unsigned free, int64_t now);

/* Whether the series is over at now: it counts nothing, or now >= last + delay(k) +
 * AUTH_THROTTLE_FORGET. Pure. */
bool auth_throttle_forgotten(const struct auth_throttle_state *s, unsigned free, int64_t now);

/*
 * The throttle's memory: two tables (accounts, addresses) of at most capacity entries each
 * (0: AUTH_THROTTLE_CAPACITY), about 150 bytes an entry. In memory rather than in the database
 * because admission must be atomic with counting (a mutex does it in O(1); in SQLite it would
 * be a write through the single writer thread before every password check, putting a login
 * flood on the path that stores experts' answers), and losing the counts at a restart forgets
 * at most one window of failures. When a table is full, the entry that would be forgotten
 * soonest makes room (forgotten ones first), so a flood of new names or addresses pushes out
 * the least restricted series, never the most. Returns NULL when out of memory.
 */
struct auth_throttle *auth_throttle_new(size_t capacity);
void auth_throttle_free(struct auth_throttle *t); /* NULL is a no-op */

/*
 * Asks whether an attempt to log in as account from address (auth_address_key; "" when
 * unknown: then only the account counts) may go ahead at now. Returns the seconds to wait (the
 * longer of the two), or 0: then the attempt is admitted, pending on both the account and the
 * address until auth_throttle_record (which must follow, exactly once).
 */
int64_t auth_throttle_check(struct auth_throttle *t, const char *account, const char *address,
			    int64_t now);

/* The outcome of an admitted attempt, with the same account and address: it is no longer
 * pending. ok: the account's series ends (attempts still pending stay so); the address's does
 * not. Not ok: a failure of both at now (the delay runs from the end of the attempt). */
void auth_throttle_record(struct auth_throttle *t, const char *account, const char *address,
			  bool ok, int64_t now);

/*
 * The throttling key of a client address (req_peer's text): an IPv4 address as it is, an
 * IPv4-mapped IPv6 address as its IPv4 address, another IPv6 address as its /64 prefix
 * ("2001:db8:1:2::/64"); anything else (including "") as "" (not throttled by address).
 * Writes at most AUTH_ADDRESS_KEY_MAX bytes to out, returns out.
 */
char *auth_address_key(const char *peer, char out[AUTH_ADDRESS_KEY_MAX]);

#endif
