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
 *
 *   The console (docs/api.md "The console API"; P planner, C coordinator, A admin, E expert;
 *   S = /api/v1/surveys/{slug}, R = S/rounds/{n}; * marks a 4 MiB body limit):
 *   POST    /api/v1/login              anyone         api_login_login            api_login.c
 *   POST    /api/v1/logout             P C A E        api_login_logout           api_login.c
 *   GET     /api/v1/session            P C A          api_login_session          api_login.c
 *   GET     /api/v1/surveys            P C            api_surveys_list           api_surveys.c
 *   POST    /api/v1/surveys *          C              api_surveys_upload         api_surveys.c
 *   GET     S                          P C            api_surveys_get            api_surveys.c
 *   GET     S/experts                  C              api_experts_list           api_experts.c
 *   POST    S/experts/preview *        C              api_experts_preview        api_experts.c
 *   POST    S/experts *                C              api_experts_import         api_experts.c
 *   POST    S/experts/{id}/reissue     C              api_experts_reissue        api_experts.c
 *   POST    S/experts/{id}/revoke      C              api_experts_revoke         api_experts.c
 *   POST    S/invitations              C              api_mail_send              api_mail.c
 *   GET     S/mail-log                 C              api_mail_log               api_mail.c
 *   POST    S/rounds/open              C              api_rounds_open            api_rounds.c
 *   POST    S/rounds/close             C              api_rounds_close           api_rounds.c
 *   POST    S/rounds/reopen            C              api_rounds_reopen          api_rounds.c
 *   POST    S/rounds/schedule          C              api_rounds_schedule        api_rounds.c
 *   GET     S/progress                 C              api_rounds_progress        api_rounds.c
 *   GET     R/comments                 C              api_comments_list          api_comments.c
 *   POST    R/comments/{id}/approve    C              api_comments_approve       api_comments.c
 *   POST    R/comments/{id}/hide       C              api_comments_hide          api_comments.c
 *   GET     R/topics                   P C            api_reports_topics         api_reports.c
 *   GET     R/topics/{code}            P C            api_reports_topic          api_reports.c
 *   GET     R/report.csv               P C            api_reports_csv            api_reports.c
 *   GET     R/report.json              P C            api_reports_json           api_reports.c
 *   GET     R/report.html              P C            api_reports_html           api_reports.c
 *   GET     R/answers.csv              P C            api_reports_answers        api_reports.c
 *   GET     /api/v1/users              A              api_users_list             api_users.c
 *   POST    /api/v1/users              A              api_users_add              api_users.c
 *   POST    /api/v1/users/{name}/disable   A          api_users_disable          api_users.c
 *   POST    /api/v1/users/{name}/enable    A          api_users_enable           api_users.c
 *   POST    /api/v1/users/{name}/password  A          api_users_password         api_users.c
 *   GET     /api/v1/audit              C A            api_audit_list             api_audit.c
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
 *                    .route_max_body = api_route_max_body
 *     api_set_public_url(a, url);
 *     httpd_new; w = writer_new(...); api_set_writer(a, w); httpd_start; ...
 *     httpd_stop; httpd_join; api_stop(a); writer_stop(w); httpd_free; writer_free(w); api_free(a)
 *
 * The console's slow work (password checks, SMTP, and its large reads: progress, results,
 * downloads, each with a read-only connection of its own) runs on worker threads of its own
 * (api_console.h); api_stop lets them finish before the writer stops.
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
/* httpd_options.route_max_body: api_nroutes body limits parallel to api_routes (0: --max-body). */
extern const size_t api_route_max_body[];

/* The application state shared by every event thread: the database path (each thread opens its
 * own read-only connection to it), the writer, the static site (may be NULL) and the survey
 * cache. Returns NULL when out of memory. */
struct api *api_new(const char *db_path, struct static_site *site);
/* The writer every handler submits its writes to; set before httpd_start. */
void api_set_writer(struct api *a, struct writer *w);
/* The public URL the console's invitation links start with ("https://host:port", trailing
 * slashes dropped; at most 1000 bytes, else ignored); set before httpd_start. Until set, links
 * start with "https://localhost:8443" (as `delphi experts import` without --public-url). */
void api_set_public_url(struct api *a, const char *url);
/* Finishes the work the console's worker threads hold and stops them: after httpd_join, before
 * writer_stop (their jobs still submit to the writer and post to requests). Idempotent. */
void api_stop(struct api *a);
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

void api_login_login(struct req *r);
void api_login_logout(struct req *r);
void api_login_session(struct req *r);
void api_surveys_list(struct req *r);
void api_surveys_upload(struct req *r);
void api_surveys_get(struct req *r);
void api_experts_list(struct req *r);
void api_experts_preview(struct req *r);
void api_experts_import(struct req *r);
void api_experts_reissue(struct req *r);
void api_experts_revoke(struct req *r);
void api_mail_send(struct req *r);
void api_mail_log(struct req *r);
void api_rounds_open(struct req *r);
void api_rounds_close(struct req *r);
void api_rounds_reopen(struct req *r);
void api_rounds_schedule(struct req *r);
void api_rounds_progress(struct req *r);
void api_comments_list(struct req *r);
void api_comments_approve(struct req *r);
void api_comments_hide(struct req *r);
void api_reports_topics(struct req *r);
void api_reports_topic(struct req *r);
void api_reports_csv(struct req *r);
void api_reports_json(struct req *r);
void api_reports_html(struct req *r);
void api_reports_answers(struct req *r);
void api_users_list(struct req *r);
void api_users_add(struct req *r);
void api_users_disable(struct req *r);
void api_users_enable(struct req *r);
void api_users_password(struct req *r);
void api_audit_list(struct req *r);

#endif
