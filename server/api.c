/*
 * api — the route table, the application state and each event thread's read-only connection.
 * The route map and the wiring are described in api.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_cache.h"
#include "api_console.h"
#include "api_int.h"
#include "log.h"
#include "req.h"
#include "writer.h"

/* Literal patterns before parameter patterns (route.h: the first match wins). */
const struct route api_routes[] = {
	{ ROUTE_GET, "/e/{token}", api_auth_invitation, ROUTE_PUBLIC },
	{ ROUTE_GET, "/api/v1/me", api_expert_me, ROUTE_EXPERT },
	{ ROUTE_PUT, "/api/v1/answers/{topic}", api_expert_put_answers, ROUTE_EXPERT },
	{ ROUTE_GET, "/api/v1/feedback/{topic}", api_expert_feedback, ROUTE_EXPERT },
	/* The console (api.h). */
#define P ROUTE_PLANNER
#define C ROUTE_COORDINATOR
#define A ROUTE_ADMIN
#define S "/api/v1/surveys/{slug}"
#define R S "/rounds/{n}"
	{ ROUTE_POST, "/api/v1/login", api_login_login, ROUTE_PUBLIC },
	{ ROUTE_POST, "/api/v1/logout", api_login_logout, P | C | A | ROUTE_EXPERT },
	{ ROUTE_GET, "/api/v1/session", api_login_session, P | C | A },
	{ ROUTE_GET, "/api/v1/surveys", api_surveys_list, P | C },
	{ ROUTE_POST, "/api/v1/surveys", api_surveys_upload, C },
	{ ROUTE_GET, S, api_surveys_get, P | C },
	{ ROUTE_GET, S "/experts", api_experts_list, C },
	{ ROUTE_POST, S "/experts/preview", api_experts_preview, C },
	{ ROUTE_POST, S "/experts", api_experts_import, C },
	{ ROUTE_POST, S "/experts/{id}/reissue", api_experts_reissue, C },
	{ ROUTE_POST, S "/experts/{id}/revoke", api_experts_revoke, C },
	{ ROUTE_POST, S "/invitations", api_mail_send, C },
	{ ROUTE_GET, S "/mail-log", api_mail_log, C },
	{ ROUTE_POST, S "/rounds/open", api_rounds_open, C },
	{ ROUTE_POST, S "/rounds/close", api_rounds_close, C },
	{ ROUTE_POST, S "/rounds/reopen", api_rounds_reopen, C },
	{ ROUTE_POST, S "/rounds/schedule", api_rounds_schedule, C },
	{ ROUTE_GET, S "/progress", api_rounds_progress, C },
	{ ROUTE_GET, R "/comments", api_comments_list, C },
	{ ROUTE_POST, R "/comments/{id}/approve", api_comments_approve, C },
	{ ROUTE_POST, R "/comments/{id}/hide", api_comments_hide, C },
	{ ROUTE_GET, R "/topics", api_reports_topics, P | C },
	{ ROUTE_GET, R "/topics/{code}", api_reports_topic, P | C },
	{ ROUTE_GET, R "/report.csv", api_reports_csv, P | C },
	{ ROUTE_GET, R "/report.json", api_reports_json, P | C },
	{ ROUTE_GET, R "/report.html", api_reports_html, P | C },
	{ ROUTE_GET, R "/answers.csv", api_reports_answers, P | C },
	{ ROUTE_GET, "/api/v1/users", api_users_list, A },
	{ ROUTE_POST, "/api/v1/users", api_users_add, A },
	{ ROUTE_POST, "/api/v1/users/{name}/disable", api_users_disable, A },
	{ ROUTE_POST, "/api/v1/users/{name}/enable", api_users_enable, A },
	{ ROUTE_POST, "/api/v1/users/{name}/password", api_users_password, A },
	{ ROUTE_GET, "/api/v1/audit", api_audit_list, C | A },
#undef P
#undef C
#undef A
#undef S
#undef R
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];

/* The upload routes take up to API_CONSOLE_UPLOAD_MAX bytes; the rest --max-body. */
#define UP API_CONSOLE_UPLOAD_MAX
const size_t api_route_max_body[] = {
	0, 0, 0, 0,     /* /e/{token}, me, answers, feedback */
	0, 0, 0,        /* login, logout, session */
	0, UP, 0,       /* surveys: list, upload, get */
	0, UP, UP, 0, 0, /* experts: list, preview, import, reissue, revoke */
	0, 0,           /* invitations, mail-log */
	0, 0, 0, 0, 0,  /* rounds open, close, reopen, schedule, progress */
	0, 0, 0,        /* comments */
	0, 0, 0, 0, 0, 0, /* topics, topic, reports */
	0, 0, 0, 0, 0,  /* users */
	0,              /* audit */
};
#undef UP
_Static_assert(sizeof api_route_max_body / sizeof api_route_max_body[0] ==
		       sizeof api_routes / sizeof api_routes[0],
	       "api_route_max_body must have one entry per route");

struct api *api_new(const char *db_path, struct static_site *site)
{
	struct api *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (!(a->db_path = strdup(db_path))) {
		free(a);
		return NULL;
	}
	a->site = site;
	pthread_mutex_init(&a->mu, NULL);
	if (api_console_init(a)) {
		api_free(a);
		return NULL;
	}
	return a;
}

void api_set_public_url(struct api *a, const char *url)
{
	size_t n = url ? strlen(url) : 0;
	while (n && url[n - 1] == '/')
		n--;
	if (n && n <= 1000 && a->console)
		snprintf(a->console->public_url, sizeof a->console->public_url, "%.*s", (int)n, url);
}

void api_stop(struct api *a)
{
	if (a)
		api_console_stop(a);
}

void api_set_writer(struct api *a, struct writer *w)
{
	a->writer = w;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	api_console_stop(a);
	api_console_release(a);
	api_survey_clear(a);
	pthread_mutex_destroy(&a->mu);
	free(a->db_path);
	free(a);
}

int api_thread_init(size_t index, void *app, void **tdata)
{
	struct api *a = app;
	struct api_thread *t = calloc(1, sizeof *t);
	char err[DB_ERR_MAX];
	if (!t) {
		log_warnx("event thread %zu: out of memory", index);
		return -1;
	}
	if (!(t->cache = api_cache_new(API_CACHE_SLOTS))) {
		log_warnx("event thread %zu: out of memory", index);
		free(t);
		return -1;
	}
	if (db_open(a->db_path, DB_READONLY, &t->db, err)) {
		log_warnx("event thread %zu: cannot open the database read-only: %s", index, err);
		api_cache_free(t->cache);
		free(t);
		return -1;
	}
	*tdata = t;
	return 0;
}

void api_thread_fini(size_t index, void *app, void *tdata)
{
	struct api_thread *t = tdata;
	(void)index;
	(void)app;
	if (!t)
		return;
	db_close(t->db);
	api_cache_free(t->cache);
	free(t);
}

int api_expert_by_token(const struct req *r, const unsigned char hash[32],
			struct db_expert_ref *out)
{
	struct api_thread *t = req_thread_data(r);
	/* The generation is read before the store, so an entry made from a read that missed a
	 * commit carries the generation from before that commit and is dropped at the next use. */
	uint64_t gen = writer_generation(api_of(r)->writer), now = api_cache_now_ms();
	if (api_cache_token_get(t->cache, hash, gen, now, out))
		return DB_FOUND;
	int found = db_expert_by_token(t->db, hash, out);
	if (found == DB_FOUND)
		api_cache_token_put(t->cache, hash, gen, now, out);
	return found;
}

int api_round_of(const struct req *r, int64_t survey_id, int64_t expert_id, bool use_cache,
		 struct db_round *out, bool *invited, bool *cached)
{
	struct api_thread *t = req_thread_data(r);
	uint64_t gen = writer_generation(api_of(r)->writer), now = api_cache_now_ms();
	*cached = use_cache &&
		  api_cache_round_get(t->cache, survey_id, expert_id, gen, now, out, invited);
	if (*cached)
		return DB_FOUND;
	int found = db_api_round_of(t->db, survey_id, expert_id, out, invited);
	if (found == DB_FOUND)
		api_cache_round_put(t->cache, survey_id, expert_id, gen, now, out, *invited);
	return found;
}

void api_round_forget(const struct req *r, int64_t survey_id, int64_t expert_id)
{
	struct api_thread *t = req_thread_data(r);
	api_cache_round_forget(t->cache, survey_id, expert_id);
}

struct api *api_of(const struct req *r)
{
	return req_app(r);
}

struct db *api_db(const struct req *r)
{
	struct api_thread *t = req_thread_data(r);
	return t->db;
}

void api_fail(struct req *r, const char *what, const char *detail)
{
	log_warnx("%s: %s: %s", req_route_label(r), what, detail);
	req_reply_error(r, 500, "internal", NULL, "internal error");
}

void api_fail_db(struct req *r, struct db *db, const char *what)
{
	api_fail(r, what, db_error(db));
}

void api_fail_write(struct req *r, int rc, const char *err)
{
	if (rc == WRITER_REFUSED) {
		req_add_header(r, "Retry-After", "1");
		req_reply_error(r, 503, "unavailable", NULL,
				"the server is busy or shutting down: try again shortly");
		return;
	}
	log_warnx("%s: cannot save: %s", req_route_label(r), err && *err ? err : "job failed");
	req_reply_error(r, 500, "internal", NULL, "internal error");
}
