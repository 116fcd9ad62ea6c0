/*
 * api_int — what the api*.c files share and nobody else sees: the application state, each event
 * thread's data, the authenticated principal, the survey cache and a few reply helpers.
 */
#ifndef DELPHI_API_INT_H
#define DELPHI_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "db.h"
#include "db_api.h"
#include "db_users.h"
#include "answer.h"
#include "survey.h"

struct api_cache;
struct api_console;
struct api_survey;

/* The application state (struct httpd_options.app). Read-only after start-up, except the
 * survey cache, which mu guards. */
struct api {
	char *db_path;
	struct static_site *site;
	struct writer *writer;
	pthread_mutex_t mu;
	struct api_survey **surveys; /* the current model of each survey loaded so far */
	size_t n_surveys, cap_surveys;
	struct api_console *console; /* the console's state (api_console.h) */
};

/* One event thread's data (req_thread_data): its read-only connection and its cache of token
 * and round look-ups (api_cache.h). */
struct api_thread {
	struct db *db;
	struct api_cache *cache;
};

/* Who made the request (req_auth), set by api_auth_authorize. */
struct api_principal {
	enum db_principal kind;
	bool via_cookie; /* a session cookie; else an Authorization: Bearer token */
	struct db_expert_ref expert;  /* kind == DB_PRINCIPAL_EXPERT */
	int64_t user_id;              /* kind == DB_PRINCIPAL_USER */
	enum db_role role;
	char csrf[DB_CSRF_HEX + 1];   /* via_cookie: the session's CSRF token; else "" */
};

/* ---- The survey cache (api_survey.c) ---------------------------------------------------------
 *
 * A survey's definition is parsed once (db_survey_get) and shared read-only by every thread and
 * by the writer's jobs: handlers take a reference with api_survey_get and drop it with
 * api_survey_put (a job keeps its reference until its completion). Each get compares the stored
 * definition's key (db_api_survey_key) with the cached one, so a definition replaced before the
 * first round is picked up at the next request; the replaced model is freed when its last
 * reference is dropped. A model loaded once the survey had rounds is never checked again: the
 * definition is fixed from round 1 on.
 */
struct api_survey {
	/* Immutable after creation: any thread may read them without the lock. */
	struct db_api_survey_key key;
	struct db_survey *sv;
	char *json;          /* the "survey" member of GET /api/v1/me, compact JSON */
	size_t json_len;
	size_t *topic_order; /* topic indices sorted by code */
	/* Guarded by api.mu. */
	unsigned refs;       /* the cache's own (while it is current) plus each user's */
};

/* The current model of survey survey_id, read through db (the caller's connection): 0 and *out
 * (a reference: give it back with api_survey_put), or -1 with a message in err (also when there
 * is no such survey). */
int api_survey_get(struct api *a, struct db *db, int64_t survey_id, struct api_survey **out,
		   char *err, size_t errlen);
/* Drops a reference. Any thread. NULL is a no-op. */
void api_survey_put(struct api *a, struct api_survey *s);
/* Drops every cached model (api_free). */
void api_survey_clear(struct api *a);
/* The index of the topic with this code, or -1. O(log topics). */
long api_survey_topic(const struct api_survey *s, const char *code);
/* The survey as GET /api/v1/me shows it (docs/api.md): new reference, NULL when out of memory. */
json_t *api_survey_json(const struct survey *s);

/* ---- Pure helpers, exported for tests ------------------------------------------------------ */

/* api_auth.c: the value of cookie name in a Cookie header value ("a=1; delphi_session=..."),
 * without surrounding quotes, into out[size]. Returns 0, or -1 when header is NULL, the cookie is
 * not there or its value does not fit. */
int api_auth_cookie(const char *header, const char *name, char *out, size_t size);
/* api_auth.c: the token of an Authorization header value "Bearer TOKEN" (scheme in any case,
 * TOKEN exactly DB_TOKEN_HEX lower-case hex digits, blanks around it allowed) into out.
 * Returns 0, or -1 when the header has another shape. */
int api_auth_bearer(const char *header, char out[DB_TOKEN_HEX + 1]);

/* api_expert.c: a PUT /api/v1/answers/{topic} body, checked against the survey's questions. */
enum api_op {
	API_KEEP = 0, /* not in the body: left as stored */
	API_SET,      /* a value: store it */
	API_DELETE,   /* null: remove what is stored */
};
struct api_change {
	unsigned char op[SURVEY_MAX_QUESTIONS];          /* enum api_op, per question */
	struct answer value[SURVEY_MAX_QUESTIONS];       /* op API_SET: the value (owned) */
	unsigned char reason_op[SURVEY_MAX_QUESTIONS];   /* the "reasons" member, per question */
	char *reason[SURVEY_MAX_QUESTIONS];              /* reason_op API_SET: the text (owned) */
};
/* What is wrong with a body: field names the offending member (a question key, "reasons", or
 * NULL), borrowed from the survey or the body; message is for people. */
struct api_problem {
	const char *field;
	char message[ANSWER_ERR_MAX + 128];
};

/*
 * Reads body (a JSON object of question key -> value, null, or the reserved member "reasons":
 * {question key -> text or null}) for survey s in round `round` into *out (zeroed first), each
 * value checked with answer_from_json. Reasons are taken from round 2 on unless the survey's
 * reason_outside_iqr is "off", for ordinal and year questions, as clean UTF-8 of at most
 * DB_API_REASON_MAX bytes ("" removes, as null does). Returns 0, or -1 with *p filled (the first
 * problem in the body's order) and *out released. Cross-question rules (not_before) are not
 * checked here: they need the stored answers. Pure.
 */
int api_expert_parse_change(const struct survey *s, const json_t *body, int round,
			    struct api_change *out, struct api_problem *p);
void api_expert_change_release(struct api_change *c); /* frees the values and texts */

/* api_comments.c: the texts of the comments a coordinator approved in round round_id (row id)
 * on topic topic_id (row id), unchanged since, in the order of approval, as a new JSON array in
 * *out. Returns 0, -1 (db_error(db)) or 1 (out of memory); *out is NULL unless 0. */
int api_comments_approved(struct db *db, int64_t round_id, int64_t topic_id, json_t **out);

/* ---- Helpers (api.c) ---------------------------------------------------------------------- */

struct api *api_of(const struct req *r);   /* req_app */
struct db *api_db(const struct req *r);    /* the event thread's read-only connection */
/* Logs "ROUTE: what: detail" and replies 500 internal (neither may hold a secret). */
void api_fail(struct req *r, const char *what, const char *detail);
/* api_fail with db_error(db) as the detail. */
void api_fail_db(struct req *r, struct db *db, const char *what);
/* The expert whose invitation token hashes to hash, through the event thread's cache
 * (api_cache.h) or its connection: DB_FOUND with *out, DB_NOT_FOUND or -1 (db_error). */
int api_expert_by_token(const struct req *r, const unsigned char hash[32],
			struct db_expert_ref *out);
/* The current (latest) round of survey survey_id and whether expert_id is invited to it: from
 * the event thread's cache when use_cache and it has a fresh entry (*cached true), else from
 * the connection (db_api_round_of; the cache is refreshed). DB_FOUND, DB_NOT_FOUND or -1
 * (db_error). The cache may be up to API_CACHE_TTL_MS behind a change made by another process:
 * decide a refusal only on a look-up with *cached false. */
int api_round_of(const struct req *r, int64_t survey_id, int64_t expert_id, bool use_cache,
		 struct db_round *out, bool *invited, bool *cached);
/* Drops the cached round of (survey_id, expert_id) on the request's event thread. */
void api_round_forget(const struct req *r, int64_t survey_id, int64_t expert_id);
/* Replies 503 unavailable with Retry-After when the writer refuses a job (queue full or
 * stopping), else 500 internal after logging err. */
void api_fail_write(struct req *r, int rc, const char *err);

#endif
