/*
 * auth — names, passwords, the session policy and login throttling. See auth.h.
 *
 * The throttle's tables are fixed arrays chained by index from a power-of-two bucket array: no
 * allocation after auth_throttle_new, so a flood of attempts costs no memory. Entries are never
 * unlinked except to be reused by eviction; a series that is over is reset in place when its
 * key comes back.
 */
#include "auth.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "crypto.h"

/* ---- Names and passwords -------------------------------------------------------------------- */

bool auth_user_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > DB_USER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("._-@", c)))
			return false;
	}
	return true;
}

int auth_password_check(const char *password, size_t len)
{
	const unsigned char *p = (const unsigned char *)password;
	size_t chars = 0;
	if (len > AUTH_PASSWORD_MAX)
		return AUTH_PASSWORD_LONG;
	/* answer_is_clean_utf8 refuses NUL and C0 controls but lets \n and \r through, which a
	 * password typed on one line cannot hold; DEL is a control character too. */
	if (!answer_is_clean_utf8(password, len))
		return AUTH_PASSWORD_BAD_TEXT;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' || p[i] == '\r' || p[i] == 0x7F)
			return AUTH_PASSWORD_BAD_TEXT;
		if ((p[i] & 0xC0) != 0x80) /* not a continuation byte: a new code point */
			chars++;
	}
	if (chars < AUTH_PASSWORD_MIN)
		return AUTH_PASSWORD_SHORT;
	return AUTH_PASSWORD_OK;
}

const char *auth_password_problem_text(int problem)
{
	switch (problem) {
	case AUTH_PASSWORD_SHORT:
		return "is shorter than 12 characters";
	case AUTH_PASSWORD_LONG:
		return "is longer than 1024 bytes";
	case AUTH_PASSWORD_BAD_TEXT:
		return "is not UTF-8 text without control characters";
	default:
		return "";
	}
}

char *auth_password_hash(const char *password, unsigned iterations)
{
	return crypto_password_hash(password, iterations);
}

int auth_password_verify(const char *stored, const char *password)
{
	return crypto_password_verify(password, stored);
}

int auth_password_verify_dummy(const char *password, unsigned iterations)
{
	/* A well-formed stored form, so the same parsing and PBKDF2 run as for a real user. Its
	 * hash of zeros matches no password (PBKDF2 would have to output 32 zero bytes). */
	char stored[DB_PASSWORD_HASH_MAX];
	snprintf(stored, sizeof stored, "pbkdf2-sha256$%u$%032d$%064d", iterations, 0, 0);
	crypto_password_verify(password, stored);
	return 0;
}

/* ---- Sessions ------------------------------------------------------------------------------- */

int64_t auth_session_idle(enum db_principal kind)
{
	return kind == DB_PRINCIPAL_USER ? AUTH_USER_IDLE : AUTH_EXPERT_IDLE;
}

int64_t auth_session_absolute(enum db_principal kind)
{
	return kind == DB_PRINCIPAL_USER ? AUTH_USER_ABSOLUTE : AUTH_EXPERT_ABSOLUTE;
}

int auth_session_check(const struct db_session *s, int64_t now, bool *touch)
{
	bool refresh = false;
	int status;
	if (now >= s->expires_at || now >= s->last_seen_at + auth_session_idle(s->kind)) {
		status = AUTH_SESSION_EXPIRED;
	} else if (s->kind == DB_PRINCIPAL_USER ? s->user.disabled : s->expert.revoked) {
		status = AUTH_SESSION_REVOKED;
	} else {
		status = AUTH_SESSION_OK;
		refresh = now - s->last_seen_at >= AUTH_TOUCH_INTERVAL;
	}
	if (touch)
		*touch = refresh;
	return status;
}

void auth_session_hash(const char *id, unsigned char out[CRYPTO_SHA256_LEN])
{
	crypto_sha256(id, strlen(id), out);
}

int auth_session_lookup(struct db *db, const char *id, int64_t now, struct db_session *out,
			bool *touch)
{
	unsigned char hash[CRYPTO_SHA256_LEN];
	if (touch)
		*touch = false;
	if (!id || strlen(id) != DB_SESSION_ID_HEX ||
	    strspn(id, "0123456789abcdef") != DB_SESSION_ID_HEX)
		return AUTH_SESSION_NONE;
	auth_session_hash(id, hash);
	int found = db_session_get(db, hash, out);
	if (found < 0)
		return -1;
	if (found == DB_NOT_FOUND)
		return AUTH_SESSION_NONE;
	return auth_session_check(out, now, touch);
}

int auth_session_start(struct db *db, enum db_principal kind, int64_t principal_id, int64_t now,
		       char id[DB_SESSION_ID_HEX + 1], char csrf[DB_CSRF_HEX + 1])
{
	return db_session_create(db, kind, principal_id, now, now + auth_session_absolute(kind), id,
				 csrf);
}

bool auth_csrf_valid(const struct db_session *s, const char *token)
{
	return token && strlen(token) == DB_CSRF_HEX && crypto_equal(token, s->csrf, DB_CSRF_HEX);
}

/* ---- Login throttling: the rule ------------------------------------------------------------- */

int64_t auth_throttle_delay(unsigned k, unsigned free)
{
	if (k < free)
		return 0;
	unsigned e = k - free;
	if (e >= 62)
		return AUTH_THROTTLE_MAX_WAIT;
	int64_t d = (int64_t)1 << e;
	return d < AUTH_THROTTLE_MAX_WAIT ? d : AUTH_THROTTLE_MAX_WAIT;
}

/* What the series counts. */
static unsigned counted(const struct auth_throttle_state *s)
{
	unsigned k = s->failures + s->pending;
	return k < s->failures ? UINT32_MAX : k;
}

/* When the series is over (its failures no longer count). */
static int64_t forget_at(const struct auth_throttle_state *s, unsigned free)
{
	unsigned k = counted(s);
	if (k == 0)
		return INT64_MIN;
	return s->last + auth_throttle_delay(k, free) + AUTH_THROTTLE_FORGET;
}

bool auth_throttle_forgotten(const struct auth_throttle_state *s, unsigned free, int64_t now)
{
	return now >= forget_at(s, free);
}

int64_t auth_throttle_wait(const struct auth_throttle_state *s, unsigned free, int64_t now)
{
	if (auth_throttle_forgotten(s, free, now))
		return 0;
	int64_t d = auth_throttle_delay(counted(s), free);
	int64_t w = s->last + d - now;
	/* A clock that stepped back never makes anyone wait longer than the delay itself. */
	return w <= 0 ? 0 : w > d ? d : w;
}

/* ---- Login throttling: the tables ----------------------------------------------------------- */

#define NIL UINT32_MAX

struct entry {
	char key[AUTH_THROTTLE_KEY_MAX + 1];
	struct auth_throttle_state st;
	uint32_t next; /* bucket chain */
	uint32_t bucket;
};

struct table {
	unsigned free;    /* failures allowed without delay */
	struct entry *e;  /* e[0..n) in use, of cap */
	size_t n, cap;
	uint32_t *buckets; /* [nb], heads of chains, NIL when empty */
	size_t nb;         /* a power of two >= cap */
};

struct auth_throttle {
	pthread_mutex_t lock;
	uint64_t seed; /* random, so nobody can pick names that share a chain */
	struct table accounts, addresses;
};

static int table_init(struct table *tb, unsigned free, size_t cap)
{
	tb->free = free;
	tb->cap = cap;
	tb->n = 0;
	tb->nb = 1;
	while (tb->nb < cap)
		tb->nb <<= 1;
	tb->e = calloc(cap, sizeof *tb->e);
	tb->buckets = malloc(tb->nb * sizeof *tb->buckets);
	if (!tb->e || !tb->buckets)
		return -1;
	for (size_t i = 0; i < tb->nb; i++)
		tb->buckets[i] = NIL;
	return 0;
}

static void table_release(struct table *tb)
{
	free(tb->e);
	free(tb->buckets);
}

struct auth_throttle *auth_throttle_new(size_t capacity)
{
	struct auth_throttle *t = calloc(1, sizeof *t);
	if (!capacity)
		capacity = AUTH_THROTTLE_CAPACITY;
	if (!t)
		return NULL;
	/* Without randomness the seed stays 0: chains are then guessable, still bounded. */
	crypto_random(&t->seed, sizeof t->seed);
	if (capacity >= NIL || table_init(&t->accounts, AUTH_THROTTLE_ACCOUNT_FREE, capacity) ||
	    table_init(&t->addresses, AUTH_THROTTLE_ADDRESS_FREE, capacity) ||
	    pthread_mutex_init(&t->lock, NULL)) {
		table_release(&t->accounts);
		table_release(&t->addresses);
		free(t);
		return NULL;
	}
	return t;
}

void auth_throttle_free(struct auth_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	table_release(&t->accounts);
	table_release(&t->addresses);
	free(t);
}

/* FNV-1a over the key as stored (cut to AUTH_THROTTLE_KEY_MAX bytes), started from the seed. */
static uint32_t bucket_of(const struct auth_throttle *t, const struct table *tb, const char *key)
{
	uint64_t h = 14695981039346656037ull ^ t->seed;
	for (size_t i = 0; i < AUTH_THROTTLE_KEY_MAX && key[i]; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 32;
	return (uint32_t)(h & (tb->nb - 1));
}

static bool same_key(const char *stored, const char *key)
{
	return !strncmp(stored, key, AUTH_THROTTLE_KEY_MAX);
}

/* The entry of key, or NULL. A series that is over at now is reset first. */
static struct entry *find(const struct auth_throttle *t, struct table *tb, const char *key,
			  int64_t now)
{
	for (uint32_t i = tb->buckets[bucket_of(t, tb, key)]; i != NIL; i = tb->e[i].next) {
		struct entry *e = &tb->e[i];
		if (same_key(e->key, key)) {
			if (auth_throttle_forgotten(&e->st, tb->free, now))
				e->st.failures = e->st.pending = 0;
			return e;
		}
	}
	return NULL;
}

static void unlink_entry(struct table *tb, uint32_t i)
{
	uint32_t *p = &tb->buckets[tb->e[i].bucket];
	while (*p != i)
		p = &tb->e[*p].next;
	*p = tb->e[i].next;
}

/* The entry of key, made (with no failures) if there is none: in a free slot, or in place of
 * the entry whose series ends soonest (a forgotten one if any). */
static struct entry *get(const struct auth_throttle *t, struct table *tb, const char *key,
			 int64_t now)
{
	struct entry *e = find(t, tb, key, now);
	uint32_t i;
	if (e)
		return e;
	if (tb->n < tb->cap) {
		i = (uint32_t)tb->n++;
	} else {
		int64_t best = INT64_MAX;
		i = 0;
		for (uint32_t k = 0; k < tb->cap; k++) {
			int64_t f = forget_at(&tb->e[k].st, tb->free);
			if (f < best) {
				best = f;
				i = k;
				if (f <= now)
					break;
			}
		}
		unlink_entry(tb, i);
	}
	e = &tb->e[i];
	snprintf(e->key, sizeof e->key, "%s", key);
	e->st.failures = e->st.pending = 0;
	e->st.last = now;
	e->bucket = bucket_of(t, tb, key);
	e->next = tb->buckets[e->bucket];
	tb->buckets[e->bucket] = i;
	return e;
}

static int64_t wait_of(const struct auth_throttle *t, struct table *tb, const char *key,
		       int64_t now)
{
	struct entry *e = find(t, tb, key, now);
	return e ? auth_throttle_wait(&e->st, tb->free, now) : 0;
}

/* Counts one more (n: failures or pending) at now; last never goes back. */
static void count(struct auth_throttle_state *s, unsigned *n, int64_t now)
{
	if (*n < UINT32_MAX)
		(*n)++;
	if (now > s->last)
		s->last = now;
}

int64_t auth_throttle_check(struct auth_throttle *t, const char *account, const char *address,
			    int64_t now)
{
	pthread_mutex_lock(&t->lock);
	int64_t wait = wait_of(t, &t->accounts, account, now);
	if (*address) {
		int64_t w = wait_of(t, &t->addresses, address, now);
		if (w > wait)
			wait = w;
	}
	if (wait == 0) {
		struct auth_throttle_state *s = &get(t, &t->accounts, account, now)->st;
		count(s, &s->pending, now);
		if (*address) {
			s = &get(t, &t->addresses, address, now)->st;
			count(s, &s->pending, now);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return wait;
}

/* The attempt pending on key has ended: failed, or (account true) succeeded for that account.
 * If the entry made way for another meanwhile, a failure is counted afresh. */
static void outcome(const struct auth_throttle *t, struct table *tb, const char *key, bool ok,
		    bool account, int64_t now)
{
	struct entry *e = find(t, tb, key, now);
	if (e && e->st.pending)
		e->st.pending--;
	if (ok) {
		if (e && account)
			e->st.failures = 0;
	} else {
		struct auth_throttle_state *s = e ? &e->st : &get(t, tb, key, now)->st;
		count(s, &s->failures, now);
	}
}

void auth_throttle_record(struct auth_throttle *t, const char *account, const char *address,
			  bool ok, int64_t now)
{
	pthread_mutex_lock(&t->lock);
	outcome(t, &t->accounts, account, ok, true, now);
	if (*address)
		outcome(t, &t->addresses, address, ok, false, now);
	pthread_mutex_unlock(&t->lock);
}

/* ---- Client addresses ----------------------------------------------------------------------- */

char *auth_address_key(const char *peer, char out[AUTH_ADDRESS_KEY_MAX])
{
	struct in_addr v4;
	struct in6_addr v6;
	char text[INET6_ADDRSTRLEN];
	out[0] = '\0';
	if (inet_pton(AF_INET, peer, &v4) == 1) {
		inet_ntop(AF_INET, &v4, out, AUTH_ADDRESS_KEY_MAX);
	} else if (inet_pton(AF_INET6, peer, &v6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&v6)) {
			memcpy(&v4, &v6.s6_addr[12], 4);
			inet_ntop(AF_INET, &v4, out, AUTH_ADDRESS_KEY_MAX);
		} else {
			/* One subscriber usually holds a whole /64: count it as one address. */
			memset(&v6.s6_addr[8], 0, 8);
			inet_ntop(AF_INET6, &v6, text, sizeof text);
			snprintf(out, AUTH_ADDRESS_KEY_MAX, "%s/64", text);
		}
	}
	return out;
}
