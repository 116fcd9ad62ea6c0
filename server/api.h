/*
 * api — the HTTP API of `delphi serve` on one page: every route with its method, pattern, who
 * may call it and its handler, and how the application is wired into httpd (httpd.h).
 * docs/api.md is the public contract; this is where it is implemented.
 *
 *   method  pattern                    roles          handler                    file
 *   GET     /healthz                   anyone         (built into httpd)         httpd.c
 *   GET     /metrics                   anyone         (built into httpd)         httpd.c
 *   GET     /e/{token}                 anyone         api_auth_invitation        api_auth.c
 *   GET     /api/v1/me                 ROUTE_EXPERT   api_expert_me              api_expert.c
 *   PUT     /api/v1/answers/{topic}    ROUTE_EXPERT   api_expert_put_answers     api_expert.c
 *   GET     /api/v1/feedback/{topic}   ROUTE_EXPERT   api_expert_feedback        api_expert.c
 *   (anything else outside /api: the static site, static.h; under /api: 404 not_found)
 *
 * Authentication (api_auth.c, the httpd authorize hook): an expert route takes either the
 * session cookie delphi_session (made by GET /e/{token}; state-changing methods must also send
 * the session's CSRF token in X-CSRF-Token) or Authorization: Bearer {invitation token}.
 *
 * Threads and the store: each event thread has its own read-only connection (api_thread_init);
 * handlers read through it directly (short indexed queries, statements reset after use) and
 * hand every write to the group-commit writer (writer.h) as one job, replying from the job's
 * completion after COMMIT (req.h: asynchronous replies). Surveys are parsed once and shared
 * by all threads (api_survey.c).
 *
 * Wiring (cli_serve.c):
 *     struct api *a = api_new(db_path, site);
 *     httpd_options: .routes = api_routes, .nroutes = api_nroutes, .authorize = api_auth_authorize,
 *                    .thread_init = api_thread_init, .thread_fini = api_thread_fini, .app = a
 *     httpd_new; w = writer_new(...); api_set_writer(a, w); httpd_start; ...
 *     httpd_stop; httpd_join; writer_stop(w); httpd_free; writer_free(w); api_free(a)
 */
#ifndef DELPHI_API_H
#define DELPHI_API_H

#include <stddef.h>

#include "route.h"

struct api;
struct req;
struct static_site;
struct writer;

/* The application's route table (the rows above, without the built-ins). */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/* The application state shared by every event thread: the database path (each thread opens its
 * own read-only connection to it), the writer, the static site (may be NULL) and the survey
 * cache. Returns NULL when out of memory. */
struct api *api_new(const char *db_path, struct static_site *site);
/* The writer every handler submits its writes to; set before httpd_start. */
void api_set_writer(struct api *a, struct writer *w);
/* After httpd_free (no handler or completion can run any more). NULL is a no-op. */
void api_free(struct api *a);

/* httpd_options.thread_init / thread_fini: open / close the thread's read-only connection. */
int api_thread_init(size_t index, void *app, void **tdata);
void api_thread_fini(size_t index, void *app, void *tdata);

/* httpd_options.authorize (api_auth.c). */
int api_auth_authorize(struct req *r, unsigned roles, void *app);

/* The handlers. */
void api_auth_invitation(struct req *r);    /* GET /e/{token} */
void api_expert_me(struct req *r);          /* GET /api/v1/me */
void api_expert_put_answers(struct req *r); /* PUT /api/v1/answers/{topic} */
void api_expert_feedback(struct req *r);    /* GET /api/v1/feedback/{topic} */

#endif
