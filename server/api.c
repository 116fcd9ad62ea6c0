/*
 * api — the route table, the application state and each event thread's read-only connection.
 * The route map and the wiring are described in api.h.
 */
#include <stdlib.h>
#include <string.h>

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
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];

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
	return a;
}

void api_set_writer(struct api *a, struct writer *w)
{
	a->writer = w;
}

void api_free(struct api *a)
{
	if (!a)
		return;
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
	if (db_open(a->db_path, DB_READONLY, &t->db, err)) {
		log_warnx("event thread %zu: cannot open the database read-only: %s", index, err);
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
	free(t);
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
