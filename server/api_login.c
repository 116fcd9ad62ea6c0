/*
 * api_login — the console's sessions (docs/api.md): POST /api/v1/login, POST /api/v1/logout and
 * GET /api/v1/session, following the steps of auth.h:
 *
 *   [loop]    throttle check per account and per address (429 with Retry-After), read the user
 *   [worker]  verify the password (PBKDF2, ~0.4 s; a dummy verification for unknown names, so the
 *             time does not tell which names exist), record the outcome with the throttle
 *   [writer]  start the session and write the audit row
 *   [loop]    reply: Set-Cookie and the CSRF token, or one 401 for every kind of failure
 *
 * The password is copied into the job only for the verification and zeroed right after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_console.h"
#include "auth.h"
#include "crypto.h"
#include "log.h"
#include "writer.h"

#define COOKIE_NAME "delphi_session"

/* ---- POST /api/v1/login --------------------------------------------------------------------- */

struct login_job {
	struct api_console *con;
	char name[AUTH_THROTTLE_KEY_MAX + 1]; /* as typed (cut), the throttle's account key */
	char address[AUTH_ADDRESS_KEY_MAX];
	char *password;                       /* zeroed and freed after the verification */
	size_t password_len;
	bool found;
	struct db_user user;                  /* found: the user as read before the check */
	bool ok;                              /* the worker's verdict */
	/* The session, once started. */
	char id[DB_SESSION_ID_HEX + 1];
	char csrf[DB_CSRF_HEX + 1];
};

static void login_job_free(struct login_job *j)
{
	if (!j)
		return;
	if (j->password) {
		explicit_bzero(j->password, j->password_len);
		free(j->password);
	}
	explicit_bzero(j->id, sizeof j->id);
	explicit_bzero(&j->user, sizeof j->user);
	free(j);
}

/* On a worker. */
static void login_verify(void *arg)
{
	struct login_job *j = arg;
	if (j->found) {
		int v = auth_password_verify(j->user.password_hash, j->password);
		if (v < 0)
			log_warnx("login: the stored password of user %s is damaged", j->user.name);
		j->ok = v == 1 && !j->user.disabled;
	} else {
		auth_password_verify_dummy(j->password, CRYPTO_PBKDF2_ITERATIONS);
		j->ok = false;
	}
	explicit_bzero(j->password, j->password_len);
	auth_throttle_record(j->con->throttle, j->name, j->address, j->ok, (int64_t)time(NULL));
}

static void invalid_credentials(struct req *r)
{
	req_add_header(r, "WWW-Authenticate", "Bearer realm=\"delphi\""); /* every 401 has one */
	req_reply_error(r, 401, "invalid_credentials", NULL, "wrong name or password");
}

/* On the writer. */
static int login_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct login_job *j = arg;
	char actor[API_CONSOLE_ACTOR_MAX];
	snprintf(actor, sizeof actor, "user:%s", j->user.name);
	if (auth_session_start(db, DB_PRINCIPAL_USER, j->user.id, (int64_t)time(NULL), j->id,
			       j->csrf) ||
	    db_audit(db, actor, "user.login", "signed in to the console")) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void login_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct login_job *j = arg;
	if (rc < 0) {
		api_fail_write(r, rc, err);
	} else {
		char cookie[sizeof COOKIE_NAME + DB_SESSION_ID_HEX + 100];
		snprintf(cookie, sizeof cookie,
			 COOKIE_NAME "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=Strict",
			 j->id, AUTH_USER_ABSOLUTE);
		req_add_header(r, "Set-Cookie", cookie);
		explicit_bzero(cookie, sizeof cookie);
		req_reply_json(r, 200,
			       json_pack("{s:{s:s, s:s}, s:s}", "user", "name", j->user.name, "role",
					 db_role_name(j->user.role), "csrf_token", j->csrf));
	}
	login_job_free(j);
}

static void login_checked(struct req *r, void *arg, bool ran)
{
	struct login_job *j = arg;
	if (!ran) {
		/* Refused by a full pool: the admitted attempt still needs its outcome. */
		auth_throttle_record(j->con->throttle, j->name, j->address, false,
				     (int64_t)time(NULL));
		api_console_busy(r);
		login_job_free(j);
		return;
	}
	if (!j->ok) {
		invalid_credentials(r);
		login_job_free(j);
		return;
	}
	api_console_write(r, login_run, login_reply, j);
}

/* A member of the body that must be a string: its value, or NULL after replying 400. */
static const char *string_member(struct req *r, json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);
	if (!json_is_string(v)) {
		req_reply_error(r, 400, "bad_request", key, "expected \"%s\": a string", key);
		return NULL;
	}
	return json_string_value(v);
}

void api_login_login(struct req *r)
{
	struct api *a = api_of(r);
	struct api_console *con = a->console;
	struct db *db = api_db(r);
	struct login_job *j = NULL;
	json_t *body = NULL;
	bool admitted = false;

	if (req_json_body(r, &body))
		goto out;
	if (!json_is_object(body)) {
		req_reply_error(r, 400, "bad_json", NULL, "expected {\"name\": ..., \"password\": ...}");
		goto out;
	}
	const char *name = string_member(r, body, "name");
	const char *password = name ? string_member(r, body, "password") : NULL;
	if (!password)
		goto out;
	if (!(j = calloc(1, sizeof *j))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	j->con = con;
	snprintf(j->name, sizeof j->name, "%s", name);
	auth_address_key(req_peer(r), j->address);
	int64_t wait = auth_throttle_check(con->throttle, j->name, j->address, (int64_t)time(NULL));
	if (wait > 0) {
		char secs[24];
		snprintf(secs, sizeof secs, "%lld", (long long)wait);
		req_add_header(r, "Retry-After", secs);
		req_reply_error(r, 429, "too_many_attempts", NULL,
				"too many failed attempts: try again in %lld seconds",
				(long long)wait);
		goto out;
	}
	admitted = true;
	int found = auth_user_name_valid(name) ? db_user_get(db, name, &j->user) : DB_NOT_FOUND;
	if (found < 0) {
		api_fail_db(r, db, "cannot read the user");
		goto out;
	}
	j->found = found == DB_FOUND;
	j->password_len = json_string_length(json_object_get(body, "password"));
	if (!(j->password = malloc(j->password_len + 1))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	memcpy(j->password, password, j->password_len + 1);
	admitted = false; /* the job records the outcome from now on */
	api_console_offload(r, con->work, login_verify, login_checked, j);
	j = NULL;
out:
	if (admitted)
		auth_throttle_record(con->throttle, j->name, j->address, false, (int64_t)time(NULL));
	login_job_free(j);
	if (body) {
		/* The password was in the body: wipe jansson's copy before freeing it. */
		json_t *pw = json_object_get(body, "password");
		if (json_is_string(pw))
			explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
		json_decref(body);
	}
}

/* ---- POST /api/v1/logout -------------------------------------------------------------------- */

struct logout_job {
	unsigned char hash[CRYPTO_SHA256_LEN];
	char actor[API_CONSOLE_ACTOR_MAX]; /* "" for an expert */
};

static int logout_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct logout_job *j = arg;
	if (db_session_delete(db, j->hash) < 0 ||
	    (*j->actor && db_audit(db, j->actor, "user.logout", "signed out"))) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void clear_cookie(struct req *r)
{
	req_add_header(r, "Set-Cookie",
		       COOKIE_NAME "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
}

static void logout_reply(struct req *r, void *arg, int rc, const char *err)
{
	if (rc < 0) {
		api_fail_write(r, rc, err);
	} else {
		clear_cookie(r);
		req_reply_empty(r, 204);
	}
	free(arg);
}

void api_login_logout(struct req *r)
{
	const struct api_principal *p = api_console_principal(r);
	char id[DB_SESSION_ID_HEX + 1];
	if (!p->via_cookie ||
	    api_auth_cookie(req_header(r, "Cookie"), COOKIE_NAME, id, sizeof id)) {
		clear_cookie(r); /* a Bearer token: there is no session to end */
		req_reply_empty(r, 204);
		return;
	}
	struct logout_job *j = calloc(1, sizeof *j);
	if (!j) {
		explicit_bzero(id, sizeof id);
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	auth_session_hash(id, j->hash);
	explicit_bzero(id, sizeof id);
	if (p->kind == DB_PRINCIPAL_USER && api_console_actor(r, j->actor)) {
		free(j);
		return;
	}
	api_console_write(r, logout_run, logout_reply, j);
}

/* ---- GET /api/v1/session -------------------------------------------------------------------- */

void api_login_session(struct req *r)
{
	const struct api_principal *p = api_console_principal(r);
	char actor[API_CONSOLE_ACTOR_MAX];
	if (api_console_actor(r, actor))
		return;
	req_reply_json(r, 200,
		       json_pack("{s:{s:s, s:s}, s:s}", "user", "name", actor + 5, "role",
				 db_role_name(p->role), "csrf_token", p->csrf));
}
