/*
 * test_auth — the rules of auth.h without a database: user names, the password policy, the
 * stored password form (against PBKDF2 vectors computed with Python's hashlib), the session
 * policy on explicit times, login throttling on a fake clock, client address keys.
 *
 * Throttling expectations are worked out by hand from the rule in auth.h: the k-th counted
 * failure makes the next attempt wait delay(k) = 0 for k < free, else min(2^(k - free), 900)
 * seconds after it; a series is forgotten at last + delay(k) + 900. Accounts: free = 5;
 * addresses: free = 20.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "crypto.h"

#define T0 1700000000 /* 2023-11-14T22:13:20Z: any realistic time will do */

/* ---- Names and passwords -------------------------------------------------------------------- */

static void test_user_names(void **state)
{
	(void)state;
	char longest[DB_USER_NAME_MAX + 2];
	memset(longest, 'a', DB_USER_NAME_MAX);
	longest[DB_USER_NAME_MAX] = '\0';
	assert_true(auth_user_name_valid("alice"));
	assert_true(auth_user_name_valid("a"));
	assert_true(auth_user_name_valid("7of9"));
	assert_true(auth_user_name_valid("a-b_c.d"));
	assert_true(auth_user_name_valid("bob@example.org"));
	assert_true(auth_user_name_valid(longest)); /* 64 bytes */
	longest[DB_USER_NAME_MAX] = 'a';
	longest[DB_USER_NAME_MAX + 1] = '\0';
	assert_false(auth_user_name_valid(longest)); /* 65 bytes */
	assert_false(auth_user_name_valid(""));
	assert_false(auth_user_name_valid("Alice"));    /* lower case only */
	assert_false(auth_user_name_valid(".alice"));   /* starts with a letter or digit */
	assert_false(auth_user_name_valid("-alice"));
	assert_false(auth_user_name_valid("@alice"));
	assert_false(auth_user_name_valid("al ice"));
	assert_false(auth_user_name_valid("al/ice"));
	assert_false(auth_user_name_valid("j\xc3\xb6rg")); /* "jörg": ASCII only */
}

static int check(const char *pw)
{
	return auth_password_check(pw, strlen(pw));
}

static void test_password_policy(void **state)
{
	(void)state;
	char big[AUTH_PASSWORD_MAX + 2];
	assert_int_equal(check("abcdefghijk"), AUTH_PASSWORD_SHORT);  /* 11 characters */
	assert_int_equal(check("abcdefghijkl"), AUTH_PASSWORD_OK);    /* 12 */
	assert_int_equal(check(""), AUTH_PASSWORD_SHORT);
	assert_int_equal(check("correct horse battery staple"), AUTH_PASSWORD_OK); /* spaces */
	assert_int_equal(check("tab\there ok!"), AUTH_PASSWORD_OK);   /* 12 with the tab */
	/* Characters, not bytes: four CJK characters are 12 bytes but 4 characters. */
	assert_int_equal(check("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x96\x87"),
			 AUTH_PASSWORD_SHORT);
	/* Twelve "é" (2 bytes each, 24 bytes) are 12 characters; eleven are not enough. */
	assert_int_equal(check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
			 AUTH_PASSWORD_OK);
	assert_int_equal(check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
			 AUTH_PASSWORD_SHORT);
	/* 1024 bytes is the most. */
	memset(big, 'x', sizeof big);
	assert_int_equal(auth_password_check(big, AUTH_PASSWORD_MAX), AUTH_PASSWORD_OK);
	assert_int_equal(auth_password_check(big, AUTH_PASSWORD_MAX + 1), AUTH_PASSWORD_LONG);
	/* Not text. */
	assert_int_equal(check("abcdef\x01ghijklm"), AUTH_PASSWORD_BAD_TEXT);
	assert_int_equal(check("abcdefghijklm\x7f"), AUTH_PASSWORD_BAD_TEXT);
	assert_int_equal(check("abcdefghijklm\n"), AUTH_PASSWORD_BAD_TEXT);
	assert_int_equal(check("abcdefghijklm\r"), AUTH_PASSWORD_BAD_TEXT);
	assert_int_equal(check("abcdefghijklm\xff"), AUTH_PASSWORD_BAD_TEXT); /* not UTF-8 */
	assert_int_equal(check("abcdefghijklm\xc3"), AUTH_PASSWORD_BAD_TEXT); /* cut short */
	assert_int_equal(auth_password_check("abcdef\0ghijklm", 14), AUTH_PASSWORD_BAD_TEXT);
	assert_string_equal(auth_password_problem_text(AUTH_PASSWORD_SHORT),
			    "is shorter than 12 characters");
	assert_string_equal(auth_password_problem_text(AUTH_PASSWORD_OK), "");
}

/* Stored forms made with Python: hashlib.pbkdf2_hmac('sha256', password, salt, iterations). */
static void test_password_verify_vectors(void **state)
{
	(void)state;
	/* salt bytes 00..0f, 1000 rounds */
	const char *stored = "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
			     "a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c719e";
	assert_int_equal(auth_password_verify(stored, "correct horse battery staple"), 1);
	assert_int_equal(auth_password_verify(stored, "correct horse battery stapl"), 0);
	assert_int_equal(auth_password_verify(stored, "Correct horse battery staple"), 0);
	assert_int_equal(auth_password_verify(stored, ""), 0);
	/* UTF-8 passwords are hashed as their bytes: "pässwörd-ünïcode", salt 10..1f, 1 round.
	 * First one 's' too many, then right. */
	assert_int_equal(auth_password_verify("pbkdf2-sha256$1$101112131415161718191a1b1c1d1e1f$"
					      "4cc2913f5315a8b283923a92297b2810880ce64e20c343422e"
					      "0c717e780ceae5",
					      "p\xc3\xa4sssw\xc3\xb6rd-\xc3\xbcn\xc3\xaf" "code"),
			 0);
	assert_int_equal(auth_password_verify("pbkdf2-sha256$1$101112131415161718191a1b1c1d1e1f$"
					      "4cc2913f5315a8b283923a92297b2810880ce64e20c343422e"
					      "0c717e780ceae5",
					      "p\xc3\xa4ssw\xc3\xb6rd-\xc3\xbcn\xc3\xaf" "code"),
			 1);
	/* Damaged stored forms. */
	assert_int_equal(auth_password_verify("", "x"), -1);
	assert_int_equal(auth_password_verify("bcrypt$...", "x"), -1);
	assert_int_equal(auth_password_verify("pbkdf2-sha256$1000$0001$ab", "x"), -1);
	assert_int_equal(auth_password_verify("pbkdf2-sha256$0$000102030405060708090a0b0c0d0e0f$"
					      "a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00"
					      "c17512697c719e", "correct horse battery staple"),
			 -1); /* zero rounds */
}

static void test_password_hash_round_trip(void **state)
{
	(void)state;
	char *a = auth_password_hash("correct horse battery staple", 1000);
	char *b = auth_password_hash("correct horse battery staple", 1000);
	assert_non_null(a);
	assert_non_null(b);
	/* "pbkdf2-sha256$1000$" + 32 hex salt + "$" + 64 hex hash */
	assert_int_equal(strlen(a), strlen("pbkdf2-sha256$1000$") + 32 + 1 + 64);
	assert_memory_equal(a, "pbkdf2-sha256$1000$", 19);
	assert_string_not_equal(a, b); /* fresh salt each time */
	assert_int_equal(auth_password_verify(a, "correct horse battery staple"), 1);
	assert_int_equal(auth_password_verify(b, "correct horse battery staple"), 1);
	assert_int_equal(auth_password_verify(a, "correct horse battery staplE"), 0);
	/* The dummy never matches, whatever the password. */
	assert_int_equal(auth_password_verify_dummy("correct horse battery staple", 1000), 0);
	assert_int_equal(auth_password_verify_dummy("", 1), 0);
	free(a);
	free(b);
}

/* ---- Sessions ------------------------------------------------------------------------------- */

static struct db_session user_session(int64_t created, int64_t last_seen)
{
	struct db_session s;
	memset(&s, 0, sizeof s);
	s.kind = DB_PRINCIPAL_USER;
	s.created_at = created;
	s.last_seen_at = last_seen;
	s.expires_at = created + 12 * 3600; /* 43,200 s */
	s.user.id = 1;
	strcpy(s.user.name, "alice");
	s.user.role = DB_ROLE_ADMIN;
	return s;
}

static void test_session_policy_user(void **state)
{
	(void)state;
	struct db_session s = user_session(T0, T0);
	bool touch = true;
	assert_int_equal(auth_session_idle(DB_PRINCIPAL_USER), 1800);
	assert_int_equal(auth_session_absolute(DB_PRINCIPAL_USER), 43200);
	assert_int_equal(auth_session_check(&s, T0, &touch), AUTH_SESSION_OK);
	assert_false(touch);
	/* last_seen_at is refreshed once it is a minute old. */
	assert_int_equal(auth_session_check(&s, T0 + 59, &touch), AUTH_SESSION_OK);
	assert_false(touch);
	assert_int_equal(auth_session_check(&s, T0 + 60, &touch), AUTH_SESSION_OK);
	assert_true(touch);
	/* Idle: 30 min = 1800 s after last_seen_at it is over. */
	assert_int_equal(auth_session_check(&s, T0 + 1799, NULL), AUTH_SESSION_OK);
	assert_int_equal(auth_session_check(&s, T0 + 1800, &touch), AUTH_SESSION_EXPIRED);
	assert_false(touch);
	/* Absolute: however recent last_seen_at, 12 h after login it is over. */
	s = user_session(T0, T0 + 43000);
	assert_int_equal(auth_session_check(&s, T0 + 43199, NULL), AUTH_SESSION_OK);
	assert_int_equal(auth_session_check(&s, T0 + 43200, NULL), AUTH_SESSION_EXPIRED);
	/* A disabled user's session does not work; expiry is reported first. */
	s = user_session(T0, T0);
	s.user.disabled = true;
	assert_int_equal(auth_session_check(&s, T0 + 100, &touch), AUTH_SESSION_REVOKED);
	assert_false(touch);
	assert_int_equal(auth_session_check(&s, T0 + 1800, NULL), AUTH_SESSION_EXPIRED);
	/* A clock that stepped back a little does not end the session. */
	s = user_session(T0, T0);
	assert_int_equal(auth_session_check(&s, T0 - 5, &touch), AUTH_SESSION_OK);
	assert_false(touch);
}

static void test_session_policy_expert(void **state)
{
	(void)state;
	struct db_session s;
	memset(&s, 0, sizeof s);
	s.kind = DB_PRINCIPAL_EXPERT;
	s.created_at = s.last_seen_at = T0;
	s.expires_at = T0 + 30 * 86400; /* 2,592,000 s */
	s.expert.id = 7;
	assert_int_equal(auth_session_idle(DB_PRINCIPAL_EXPERT), 604800);
	assert_int_equal(auth_session_absolute(DB_PRINCIPAL_EXPERT), 2592000);
	/* Idle: 7 days = 604,800 s. */
	assert_int_equal(auth_session_check(&s, T0 + 604799, NULL), AUTH_SESSION_OK);
	assert_int_equal(auth_session_check(&s, T0 + 604800, NULL), AUTH_SESSION_EXPIRED);
	/* Absolute: 30 days, even when used the day before. */
	s.last_seen_at = T0 + 29 * 86400;
	assert_int_equal(auth_session_check(&s, T0 + 2591999, NULL), AUTH_SESSION_OK);
	assert_int_equal(auth_session_check(&s, T0 + 2592000, NULL), AUTH_SESSION_EXPIRED);
	s.last_seen_at = T0;
	s.expert.revoked = true;
	assert_int_equal(auth_session_check(&s, T0 + 10, NULL), AUTH_SESSION_REVOKED);
}

static void test_csrf(void **state)
{
	(void)state;
	struct db_session s = user_session(T0, T0);
	char other[DB_CSRF_HEX + 1];
	memset(s.csrf, 'a', DB_CSRF_HEX);
	s.csrf[DB_CSRF_HEX] = '\0';
	memcpy(other, s.csrf, sizeof other);
	assert_true(auth_csrf_valid(&s, other));
	other[DB_CSRF_HEX - 1] = 'b';
	assert_false(auth_csrf_valid(&s, other));
	other[DB_CSRF_HEX - 1] = '\0'; /* one short */
	assert_false(auth_csrf_valid(&s, other));
	assert_false(auth_csrf_valid(&s, NULL));
	assert_false(auth_csrf_valid(&s, ""));
}

/* ---- Throttling: the rule ------------------------------------------------------------------- */

static void test_throttle_delay(void **state)
{
	(void)state;
	assert_int_equal(auth_throttle_delay(0, 5), 0);
	assert_int_equal(auth_throttle_delay(4, 5), 0);
	assert_int_equal(auth_throttle_delay(5, 5), 1);    /* 2^0 */
	assert_int_equal(auth_throttle_delay(6, 5), 2);    /* 2^1 */
	assert_int_equal(auth_throttle_delay(9, 5), 16);   /* 2^4 */
	assert_int_equal(auth_throttle_delay(14, 5), 512); /* 2^9 */
	assert_int_equal(auth_throttle_delay(15, 5), 900); /* 2^10 = 1024, capped at 15 min */
	assert_int_equal(auth_throttle_delay(100, 5), 900);
	assert_int_equal(auth_throttle_delay(UINT_MAX, 5), 900);
	assert_int_equal(auth_throttle_delay(19, 20), 0);
	assert_int_equal(auth_throttle_delay(20, 20), 1);
	assert_int_equal(auth_throttle_delay(25, 20), 32); /* 2^5 */
}

static void test_throttle_wait_and_forget(void **state)
{
	(void)state;
	struct auth_throttle_state s = { .failures = 5, .last = T0 };
	/* 5th failure at T0: wait 1 s; forgotten at T0 + 1 + 900 = T0 + 901. */
	assert_int_equal(auth_throttle_wait(&s, 5, T0), 1);
	assert_int_equal(auth_throttle_wait(&s, 5, T0 + 1), 0);
	assert_false(auth_throttle_forgotten(&s, 5, T0 + 900));
	assert_true(auth_throttle_forgotten(&s, 5, T0 + 901));
	/* 15th failure: 900 s; forgotten at T0 + 900 + 900 = T0 + 1800, not when the wait ends. */
	s.failures = 15;
	assert_int_equal(auth_throttle_wait(&s, 5, T0), 900);
	assert_int_equal(auth_throttle_wait(&s, 5, T0 + 899), 1);
	assert_int_equal(auth_throttle_wait(&s, 5, T0 + 900), 0);
	assert_false(auth_throttle_forgotten(&s, 5, T0 + 900));
	assert_false(auth_throttle_forgotten(&s, 5, T0 + 1799));
	assert_true(auth_throttle_forgotten(&s, 5, T0 + 1800));
	/* Fewer than free failures: no wait, forgotten 900 s after the last. */
	s.failures = 3;
	assert_int_equal(auth_throttle_wait(&s, 5, T0), 0);
	assert_false(auth_throttle_forgotten(&s, 5, T0 + 899));
	assert_true(auth_throttle_forgotten(&s, 5, T0 + 900));
	/* A clock 100 s behind the last failure: the wait is still only the delay (6th: 2 s). */
	s.failures = 6;
	assert_int_equal(auth_throttle_wait(&s, 5, T0 - 100), 2);
	/* Pending attempts count like failures: 4 failed + 2 pending = 6: 2 s. */
	s.failures = 4;
	s.pending = 2;
	assert_int_equal(auth_throttle_wait(&s, 5, T0), 2);
	assert_false(auth_throttle_forgotten(&s, 5, T0 + 901));
	assert_true(auth_throttle_forgotten(&s, 5, T0 + 902));
	/* No failures: nothing to wait for, nothing to remember. */
	s.failures = s.pending = 0;
	assert_int_equal(auth_throttle_wait(&s, 5, T0), 0);
	assert_true(auth_throttle_forgotten(&s, 5, T0));
}

/* ---- Throttling: the tables on a fake clock ------------------------------------------------- */

static const char ADDR[] = "192.0.2.1";

/* One failed attempt at now: admitted, then recorded as failed. */
static void fail_once(struct auth_throttle *t, const char *account, const char *address,
		      int64_t now)
{
	assert_int_equal(auth_throttle_check(t, account, address, now), 0);
	auth_throttle_record(t, account, address, false, now);
}

static void test_throttle_account(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(0);
	assert_non_null(t);
	/* Five failures at T0 cost nothing. */
	for (int i = 0; i < 5; i++)
		fail_once(t, "alice", ADDR, T0);
	/* The 6th attempt waits delay(5) = 1 s after T0. */
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0), 1);
	/* Another account from the same address is not held up (5 address failures < 20). */
	assert_int_equal(auth_throttle_check(t, "bob", ADDR, T0), 0);
	auth_throttle_record(t, "bob", ADDR, false, T0);
	/* At T0 + 1 it goes: 6th failure, then delay(6) = 2 s, until T0 + 3. */
	fail_once(t, "alice", ADDR, T0 + 1);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 1), 2);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 2), 1);
	/* 7th at T0 + 3, then delay(7) = 4 s, until T0 + 7. */
	fail_once(t, "alice", ADDR, T0 + 3);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 3), 4);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 6), 1);
	/* The failure counts from the end of the attempt: admitted at T0 + 7, failed at T0 + 9
	 * (8th failure, delay(8) = 8 s): the next may go at T0 + 17, not T0 + 15. */
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 7), 0);
	auth_throttle_record(t, "alice", ADDR, false, T0 + 9);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 15), 2);
	/* A success ends the account's series. */
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 17), 0);
	auth_throttle_record(t, "alice", ADDR, true, T0 + 17);
	for (int i = 0; i < 5; i++)
		fail_once(t, "alice", ADDR, T0 + 17);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0 + 17), 1);
	auth_throttle_free(t);
}

static void test_throttle_parallel_attempts(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(0);
	assert_non_null(t);
	/* Five attempts admitted at once (none recorded yet) count as five failures already: the
	 * sixth, sent at the same moment, must wait 1 s. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0), 0);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0), 1);
	/* The first to finish succeeds: the account's series ends. */
	auth_throttle_record(t, "alice", ADDR, true, T0);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0), 0);
	/* The other four (and the one just admitted) fail afterwards: they were wrong guesses all
	 * the same, so they start a new series of 5 failures: the next attempt waits 1 s. */
	for (int i = 0; i < 5; i++)
		auth_throttle_record(t, "alice", ADDR, false, T0);
	assert_int_equal(auth_throttle_check(t, "alice", ADDR, T0), 1);
	auth_throttle_free(t);
}

static void test_throttle_address(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(0);
	char name[16];
	assert_non_null(t);
	/* 20 accounts, one failure each, from one address: free. */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "user%d", i);
		fail_once(t, name, ADDR, T0);
	}
	/* The 21st attempt from there, whatever the account, waits delay(20) = 1 s. */
	assert_int_equal(auth_throttle_check(t, "someone", ADDR, T0), 1);
	/* Another address is not affected. */
	assert_int_equal(auth_throttle_check(t, "someone", "192.0.2.2", T0), 0);
	auth_throttle_record(t, "someone", "192.0.2.2", false, T0);
	/* A success from the address does not clear it: admitted at T0 + 1 as its 21st, the
	 * success takes only that one back (20 left, last T0 + 1): wait 1 s again. */
	assert_int_equal(auth_throttle_check(t, "good", ADDR, T0 + 1), 0);
	auth_throttle_record(t, "good", ADDR, true, T0 + 1);
	assert_int_equal(auth_throttle_check(t, "other", ADDR, T0 + 1), 1);
	assert_int_equal(auth_throttle_check(t, "other", ADDR, T0 + 2), 0);
	auth_throttle_record(t, "other", ADDR, false, T0 + 2);
	/* An unknown address ("") is not counted: only the account is. */
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof name, "anon%d", i);
		fail_once(t, name, "", T0);
	}
	assert_int_equal(auth_throttle_check(t, "anon-last", "", T0), 0);
	auth_throttle_record(t, "anon-last", "", false, T0);
	auth_throttle_free(t);
}

static void test_throttle_forgets(void **state)
{
	(void)state;
	struct auth_throttle *t = auth_throttle_new(0);
	assert_non_null(t);
	/* alice: 5 failures at T0, forgotten at T0 + 901. At T0 + 901 the series starts anew:
	 * five more are free, the sixth waits 1 s. */
	for (int i = 0; i < 5; i++)
		fail_once(t, "alice", "", T0);
	for (int i = 0; i < 5; i++)
		fail_once(t, "alice", "", T0 + 901);
	assert_int_equal(auth_throttle_check(t, "alice", "", T0 + 901), 1);
	/* bob: 5 failures at T0; at T0 + 900 the series still stands: that attempt is his 6th
	 * and the next waits delay(6) = 2 s. */
	for (int i = 0; i < 5; i++)
		fail_once(t, "bob", "", T0);
	fail_once(t, "bob", "", T0 + 900);
	assert_int_equal(auth_throttle_check(t, "bob", "", T0 + 900), 2);
	auth_throttle_free(t);
}

static void test_throttle_full_table(void **state)
{
	(void)state;
	/* Two entries per table; no address, so only the accounts' table is used. */
	struct auth_throttle *t = auth_throttle_new(2);
	assert_non_null(t);
	for (int i = 0; i < 5; i++)
		fail_once(t, "alice", "", T0); /* forgotten at T0 + 1 + 900 */
	fail_once(t, "bob", "", T0);          /* forgotten at T0 + 900: sooner */
	/* carol needs room: bob's series ends sooner than alice's, so bob's goes. */
	fail_once(t, "carol", "", T0);
	assert_int_equal(auth_throttle_check(t, "alice", "", T0), 1);
	/* bob is new again (admitted); carol (T0 + 900) makes way for him, alice stays. */
	fail_once(t, "bob", "", T0);
	assert_int_equal(auth_throttle_check(t, "alice", "", T0), 1);
	/* A success leaves an entry with nothing to remember: it is the first to go. */
	assert_int_equal(auth_throttle_check(t, "bob", "", T0 + 1), 0);
	auth_throttle_record(t, "bob", "", true, T0 + 1);
	fail_once(t, "dave", "", T0 + 1);
	assert_int_equal(auth_throttle_check(t, "alice", "", T0 + 1), 0); /* alice's 6th */
	auth_throttle_record(t, "alice", "", false, T0 + 1);
	assert_int_equal(auth_throttle_check(t, "alice", "", T0 + 1), 2);
	auth_throttle_free(t);
}

static void test_throttle_long_keys(void **state)
{
	(void)state;
	/* Keys are cut at AUTH_THROTTLE_KEY_MAX bytes: two names differing only after that share a
	 * series (such names cannot exist: at most DB_USER_NAME_MAX bytes). */
	char a[300], b[300];
	memset(a, 'x', sizeof a);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[AUTH_THROTTLE_KEY_MAX + 5] = 'y';
	struct auth_throttle *t = auth_throttle_new(0);
	assert_non_null(t);
	for (int i = 0; i < 5; i++)
		fail_once(t, a, "", T0);
	assert_int_equal(auth_throttle_check(t, b, "", T0), 1);
	auth_throttle_free(t);
}

/* ---- Addresses ------------------------------------------------------------------------------ */

static void test_address_key(void **state)
{
	(void)state;
	char k[AUTH_ADDRESS_KEY_MAX];
	assert_string_equal(auth_address_key("192.0.2.1", k), "192.0.2.1");
	assert_string_equal(auth_address_key("::ffff:192.0.2.1", k), "192.0.2.1");
	assert_string_equal(auth_address_key("2001:db8:1:2:3:4:5:6", k), "2001:db8:1:2::/64");
	assert_string_equal(auth_address_key("2001:DB8:1:2:ffff::1", k), "2001:db8:1:2::/64");
	assert_string_equal(auth_address_key("2001:db8::1", k), "2001:db8::/64");
	assert_string_equal(auth_address_key("::1", k), "::/64");
	assert_string_equal(auth_address_key("", k), "");
	assert_string_equal(auth_address_key("localhost", k), "");
	assert_string_equal(auth_address_key("192.0.2.1:443", k), "");
	assert_string_equal(auth_address_key("fe80::1%eth0", k), "");
}

static int setup(void **state)
{
	(void)state;
	return crypto_init();
}

static int teardown(void **state)
{
	(void)state;
	crypto_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_names),
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_password_verify_vectors),
		cmocka_unit_test(test_password_hash_round_trip),
		cmocka_unit_test(test_session_policy_user),
		cmocka_unit_test(test_session_policy_expert),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_throttle_delay),
		cmocka_unit_test(test_throttle_wait_and_forget),
		cmocka_unit_test(test_throttle_account),
		cmocka_unit_test(test_throttle_parallel_attempts),
		cmocka_unit_test(test_throttle_address),
		cmocka_unit_test(test_throttle_forgets),
		cmocka_unit_test(test_throttle_full_table),
		cmocka_unit_test(test_throttle_long_keys),
		cmocka_unit_test(test_address_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
