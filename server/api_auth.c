/*
 * api_auth — who is calling: the httpd authorize hook (session cookie or Bearer invitation
 * token, CSRF for cookie requests that change state) and GET /e/{token}, which turns an
 * invitation link into a session. The session rules (lifetimes, refresh, CSRF comparison) are
 * auth.h's; the rows are db_sessions.c's; this file only applies them to requests.
 *
 * Failures answer in docs/api.md's shape: 401 unauthenticated (no credentials, or ones that are
 * unknown, expired or withdrawn; with WWW-Authenticate: Bearer), 403 csrf, 403 forbidden (a
 * valid principal of another kind than the route takes). Their messages say what to do next in
 * the words of the route's audience: experts open their invitation link, console users log in.
 * An invitation link that is not valid gets an HTML page (the person holding it is in a
 * browser), status 404.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "auth.h"
#include "crypto.h"
#include "log.h"
#include "req.h"
#include "writer.h"

#define COOKIE_NAME "delphi_session"

/* ---- Pure helpers ---------------------------------------------------------------------------- */

int api_auth_cookie(const char *header, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *p = header;
	if (!header || size == 0)
		return -1;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t vlen = len - nlen - 1;
			while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen >= size)
				return -1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p += len;
	}
	return -1;
}

int api_auth_bearer(const char *header, char out[DB_TOKEN_HEX + 1])
{
	if (!header || strncasecmp(header, "Bearer", 6) || (header[6] != ' ' && header[6] != '\t'))
		return -1;
	const char *t = header + 6;
	while (*t == ' ' || *t == '\t')
		t++;
	size_t n = strspn(t, "0123456789abcdef");
	if (n != DB_TOKEN_HEX || t[strspn(t + n, " \t") + n] != '\0')
		return -1;
	memcpy(out, t, DB_TOKEN_HEX);
	out[DB_TOKEN_HEX] = '\0';
	return 0;
}

/* ---- Refreshing a session's last use (fire and forget) --------------------------------------- */

struct touch_job {
	struct writer_job wj;
	unsigned char hash[CRYPTO_SHA256_LEN];
	int64_t now;
};

static int touch_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct touch_job *j = arg;
	if (db_session_touch(db, j->hash, j->now)) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void touch_done(void *arg, int rc, const char *err)
{
	if (rc == WRITER_FAILED)
		log_warnx("cannot refresh a session: %s", err);
	free(arg);
}

/* Submits the refresh of a session's last_seen_at; the request does not wait for it (a lost
 * refresh costs at most one minute of idle time). */
static void touch(struct api *a, const struct db_session *s, int64_t now)
{
	struct touch_job *j = calloc(1, sizeof *j);
	if (!j)
		return;
	memcpy(j->hash, s->id_hash, sizeof j->hash);
	j->now = now;
	j->wj.run = touch_run;
	j->wj.done = touch_done;
	j->wj.arg = j;
	j->wj.rerunnable = 1; /* one UPDATE of the job's own values */
	j->wj.cache_neutral = 1; /* last_seen_at only: nothing api_cache.h keeps */
	writer_submit(a->writer, &j->wj);
}

/* ---- The authorize hook --------------------------------------------------------------------- */

/* What a refusal tells the caller to do depends on whom the route is for: an expert opens the
 * invitation link again, a console user logs in. */
struct wording {
	const char *no_session; /* no cookie, or an unknown session */
	const char *expired;
	const char *revoked; /* the expert revoked / the user disabled */
	const char *bad_bearer;
	const char *forbidden; /* a principal of the other audience */
};

static const struct wording for_experts = {
	"not signed in: open your personal invitation link",
	"the session has expired: open your invitation link again",
	"this access has been withdrawn",
	"expected Authorization: Bearer and an invitation token (32 lower-case hex digits)",
	"this is for invited experts only",
};

static const struct wording for_console = {
	"not signed in: log in to the console",
	"the session has expired: log in to the console again",
	"this account has been disabled: ask an administrator of delphi",
	"the console takes the session of a login (POST /api/v1/login), not an Authorization "
	"header",
	"this is for console users: log in to the console",
};

static const struct wording for_both = {
	"not signed in",
	"the session has expired",
	"this access has been withdrawn",
	"expected Authorization: Bearer and an invitation token (32 lower-case hex digits)",
	"your role does not allow this",
};

/* The wording for a route open to roles (enum route_role). */
static const struct wording *wording_of(unsigned roles)
{
	const unsigned users = ROUTE_PLANNER | ROUTE_COORDINATOR | ROUTE_ADMIN;
	if (!(roles & ROUTE_EXPERT))
		return &for_console;
	return roles & users ? &for_both : &for_experts;
}

static void unauthenticated(struct req *r, const char *message)
{
	req_add_header(r, "WWW-Authenticate", "Bearer realm=\"delphi\"");
	req_reply_error(r, 401, "unauthenticated", NULL, "%s", message);
}

/* Authorization: Bearer {invitation token}. Returns 0 with *p filled, or -1 after replying. */
static int by_bearer(struct req *r, struct db *db, const char *header, const struct wording *w,
		     struct api_principal *p)
{
	char token[DB_TOKEN_HEX + 1];
	unsigned char hash[CRYPTO_SHA256_LEN];
	if (api_auth_bearer(header, token)) {
		unauthenticated(r, w->bad_bearer);
		return -1;
	}
	crypto_sha256(token, DB_TOKEN_HEX, hash);
	explicit_bzero(token, sizeof token);
	int found = api_expert_by_token(r, hash, &p->expert);
	if (found < 0) {
		api_fail_db(r, db, "cannot look up the token");
		return -1;
	}
	if (found == DB_NOT_FOUND || p->expert.revoked) {
		unauthenticated(r, "the invitation token is not valid");
		return -1;
	}
	p->kind = DB_PRINCIPAL_EXPERT;
	return 0;
}

/* The session cookie. Returns 0 with *p filled, or -1 after replying. */
static int by_cookie(struct req *r, struct api *a, struct db *db, const struct wording *w,
		     struct api_principal *p)
{
	char id[DB_SESSION_ID_HEX + 1];
	struct db_session s;
	bool refresh = false;
	int64_t now = (int64_t)time(NULL);
	if (api_auth_cookie(req_header(r, "Cookie"), COOKIE_NAME, id, sizeof id)) {
		unauthenticated(r, w->no_session);
		return -1;
	}
	int st = auth_session_lookup(db, id, now, &s, &refresh);
	explicit_bzero(id, sizeof id);
	if (st < 0) {
		api_fail_db(r, db, "cannot look up the session");
		return -1;
	}
	if (st != AUTH_SESSION_OK) {
		unauthenticated(r, st == AUTH_SESSION_EXPIRED   ? w->expired
				   : st == AUTH_SESSION_REVOKED ? w->revoked
								: w->no_session);
		return -1;
	}
	p->kind = s.kind;
	p->via_cookie = true;
	memcpy(p->csrf, s.csrf, sizeof p->csrf);
	if (s.kind == DB_PRINCIPAL_EXPERT) {
		p->expert = s.expert;
	} else {
		p->user_id = s.user.id;
		p->role = s.user.role;
	}
	if (refresh)
		touch(a, &s, now);
	return 0;
}

/* Whether principal p may call a route open to roles (enum route_role). */
static bool allowed(const struct api_principal *p, unsigned roles)
{
	if (p->kind == DB_PRINCIPAL_EXPERT)
		return roles & ROUTE_EXPERT;
	switch (p->role) {
	case DB_ROLE_ADMIN:
		return roles & ROUTE_ADMIN;
	case DB_ROLE_COORDINATOR:
		return roles & ROUTE_COORDINATOR;
	case DB_ROLE_PLANNER:
		return roles & ROUTE_PLANNER;
	case DB_ROLE_COUNT:
		break;
	}
	return false;
}

int api_auth_authorize(struct req *r, unsigned roles, void *app)
{
	struct api *a = app;
	struct db *db = api_db(r);
	struct api_principal *p = calloc(1, sizeof *p);
	const char *authz = req_header(r, "Authorization");
	const struct wording *w = wording_of(roles);
	if (!p) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	if (authz ? by_bearer(r, db, authz, w, p) : by_cookie(r, a, db, w, p))
		goto refused;
	if (!allowed(p, roles)) {
		/* a principal of the other audience is told where it belongs */
		bool other_audience = (p->kind == DB_PRINCIPAL_EXPERT) != (w == &for_experts);
		req_reply_error(r, 403, "forbidden", NULL, "%s",
				other_audience ? w->forbidden : "your role does not allow this");
		goto refused;
	}
	/* A cookie comes with every request the browser makes to us, also one another site makes
	 * it send; the CSRF token proves the request comes from a page of ours. Bearer tokens are
	 * never sent on their own. */
	unsigned m = req_method(r);
	if (p->via_cookie && (m & (ROUTE_POST | ROUTE_PUT | ROUTE_DELETE | ROUTE_PATCH))) {
		struct db_session s;
		memcpy(s.csrf, p->csrf, sizeof s.csrf);
		if (!auth_csrf_valid(&s, req_header(r, "X-CSRF-Token"))) {
			req_reply_error(r, 403, "csrf", NULL,
					"missing or wrong X-CSRF-Token (see csrf_token in GET /api/v1/me)");
			goto refused;
		}
	}
	req_set_auth(r, p, free);
	return 0;
refused:
	free(p);
	return -1;
}

/* ---- GET /e/{token} ------------------------------------------------------------------------- */

static const char invalid_link_page[] =
	"<!doctype html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>This invitation link is not valid</title>\n"
	"<link rel=\"stylesheet\" href=\"/app.css\">\n"
	"</head>\n"
	"<body>\n"
	"<main>\n"
	"<h1>This invitation link is not valid</h1>\n"
	"<p>The link may be incomplete (some e-mail programs cut long links in two), mistyped, or "
	"it may have been withdrawn.</p>\n"
	"<p>Please open the link again from your invitation e-mail, copying the whole of it into "
	"the address bar. If it still does not work, contact the coordinator of the survey who "
	"invited you: they can send you a new link.</p>\n"
	"</main>\n"
	"</body>\n"
	"</html>\n";

static void reply_invalid_link(struct req *r)
{
	req_reply_bytes(r, 404, "text/html; charset=utf-8", invalid_link_page,
			sizeof invalid_link_page - 1, NULL);
}

struct session_job {
	struct writer_job wj;
	struct req *req;
	struct db_expert_ref expert;
	int64_t now;
	int rc;
	char err[WRITER_ERR_MAX];
	char id[DB_SESSION_ID_HEX + 1];
	char csrf[DB_CSRF_HEX + 1];
};

static int session_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct session_job *j = arg;
	char actor[8 + DB_PSEUDONYM_MAX];
	snprintf(actor, sizeof actor, "expert:%s", j->expert.pseudonym);
	if (auth_session_start(db, DB_PRINCIPAL_EXPERT, j->expert.id, j->now, j->id, j->csrf) ||
	    db_audit(db, actor, "expert.session", "followed the invitation link")) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void session_reply(struct req *r, void *arg)
{
	struct session_job *j = arg;
	if (j->rc < 0) {
		api_fail_write(r, j->rc, j->err);
	} else {
		char cookie[sizeof COOKIE_NAME + DB_SESSION_ID_HEX + 100];
		snprintf(cookie, sizeof cookie,
			 COOKIE_NAME "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=Strict",
			 j->id, AUTH_EXPERT_ABSOLUTE);
		req_add_header(r, "Set-Cookie", cookie);
		req_add_header(r, "Location", "/survey/");
		req_reply_empty(r, 303);
		explicit_bzero(cookie, sizeof cookie);
	}
	explicit_bzero(j->id, sizeof j->id);
	free(j);
}

static void session_done(void *arg, int rc, const char *err)
{
	struct session_job *j = arg;
	j->rc = rc;
	if (rc < 0)
		snprintf(j->err, sizeof j->err, "%s", err ? err : "");
	req_post(j->req, session_reply, j);
}

void api_auth_invitation(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	const char *param = req_param(r, "token");
	char token[DB_TOKEN_HEX + 1];
	unsigned char hash[CRYPTO_SHA256_LEN];
	struct db_expert_ref ref;

	/* Tokens are printed in lower case; a mail program may have changed the case. */
	if (!param || strlen(param) != DB_TOKEN_HEX || strspn(param, "0123456789abcdefABCDEF") !=
							      DB_TOKEN_HEX) {
		reply_invalid_link(r);
		return;
	}
	for (size_t i = 0; i <= DB_TOKEN_HEX; i++)
		token[i] = (char)tolower((unsigned char)param[i]);
	crypto_sha256(token, DB_TOKEN_HEX, hash);
	explicit_bzero(token, sizeof token);
	int found = db_expert_by_token(db, hash, &ref);
	if (found < 0) {
		api_fail_db(r, db, "cannot look up the token");
		return;
	}
	if (found == DB_NOT_FOUND || ref.revoked) {
		reply_invalid_link(r);
		return;
	}
	struct session_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	j->req = r;
	j->expert = ref;
	j->now = (int64_t)time(NULL);
	j->wj.run = session_run;
	j->wj.done = session_done;
	j->wj.arg = j;
	req_suspend(r);
	writer_submit(a->writer, &j->wj);
}
