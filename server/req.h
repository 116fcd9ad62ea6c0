/*
 * req — the request context handlers see, and the only way they reply: read a bounded JSON body,
 * reply JSON, reply errors in one shape, reply bytes; security headers on every reply; one access
 * log line and one metrics sample per request.
 *
 * Exactly one reply per request. A handler either replies before it returns, or calls
 * req_suspend and replies later from a completion (below). If it does neither, httpd replies
 * 500 internal and logs the route; a second reply is a bug: it is dropped and logged.
 *
 * Errors have one shape everywhere (docs/api.md):
 *     {"error": {"code": "bad_json", "message": "...", "field": "tech_year"}}
 * with "field" absent when there is none; code is a stable lower_snake word, message is for people.
 *
 * Every reply carries Strict-Transport-Security, Content-Security-Policy, X-Content-Type-Options,
 * Referrer-Policy and, unless the handler set its own with req_add_header, Cache-Control:
 * no-store. HEAD gets the headers (Content-Length included) without the body; 204 and 304 have no
 * body.
 *
 * Asynchronous replies (e.g. after the writer thread committed):
 *
 *     static void saved(struct req *r, void *arg)          // runs on r's event thread
 *     {
 *             struct job *j = arg;
 *             if (j->failed) req_reply_error(r, 500, "internal", NULL, "could not save");
 *             else req_reply_json(r, 200, j->result);    // steals j->result
 *             job_free(j);                               // always: r may be gone (replies dropped)
 *     }
 *     static void put_answers(struct req *r)               // the handler
 *     {
 *             ... j = job_new(...); j->req = r; j->done = saved;
 *             req_suspend(r);                            // before handing r to another thread
 *             writer_submit(j);                          // the writer later calls
 *     }                                                  //   req_post(j->req, j->done, j)
 *
 * While suspended, the request and its connection stay valid (evhttp reads nothing more on that
 * connection); if the connection is torn down anyway (forced shutdown), the completion still runs
 * exactly once and req_gone(r) is 1: replies are dropped, the completion only frees its data.
 *
 * Threading: everything here runs on the request's event thread, except req_post (any thread).
 * Pointers returned by the accessors stay valid until the reply (or the end of the completion).
 */
#ifndef DELPHI_REQ_H
#define DELPHI_REQ_H

#include <jansson.h>
#include <stddef.h>

#include "log.h"

struct req;

/* ---- The request ---- */

/* The method as an enum route_method bit (a HEAD request served by a GET route says ROUTE_HEAD). */
unsigned req_method(const struct req *r);
/* The route's pattern ("/api/v1/answers/{topic}"), "static" or "unmatched": safe to log. */
const char *req_route_label(const struct req *r);
/* Decoded value of path parameter {name}, or NULL. Never log values: tokens live there. */
const char *req_param(const struct req *r, const char *name);
/* Decoded value of query parameter name (first occurrence), or NULL; also NULL when the query
 * string is malformed. */
const char *req_query(struct req *r, const char *name);
/* A request header (case-insensitive name), or NULL. */
const char *req_header(const struct req *r, const char *name);
/* The raw request path (percent-encoded, no query). Never log it. */
const char *req_path(const struct req *r);
/* The peer's address as text ("127.0.0.1"), "" if unknown. */
const char *req_peer(const struct req *r);
/* struct httpd_options.app, and this event thread's data from httpd_options.thread_init. */
void *req_app(const struct req *r);
void *req_thread_data(const struct req *r);
/* The event thread's index, 0..threads-1. */
size_t req_thread_index(const struct req *r);
/* An authenticated principal for the rest of the request (set by the authorize hook); free_fn
 * (may be NULL) is called on it when the request is done. Replaces (and frees) an earlier one. */
void req_set_auth(struct req *r, void *principal, void (*free_fn)(void *));
void *req_auth(const struct req *r);

/* ---- The body ---- */

/* The request body as a JSON value. Checks, in order: size within --max-body else 413
 * body_too_large; Content-Type is application/json (charset, if given, utf-8) else 415
 * unsupported_media_type; non-empty, valid UTF-8 JSON text (an object or array) without duplicate
 * keys or NUL characters else 400 bad_json with line and column. Returns 0 and *out (caller owns
 * it), or -1 after having replied with the error. */
int req_json_body(struct req *r, json_t **out);
/* The raw body bytes (not NUL-terminated; valid until the reply); checks only the size (413). */
int req_body(struct req *r, const unsigned char **data, size_t *len);

/* ---- Replies: exactly one per request ---- */

/* Adds a response header before the reply (Location, Set-Cookie, ETag, Cache-Control, ...).
 * Returns 0, or -1 if already replied, the request is gone, or name/value hold CR, LF or NUL. */
int req_add_header(struct req *r, const char *name, const char *value);
/* Replies status with body as JSON (Content-Type: application/json; charset=utf-8). Steals body
 * (a NULL body replies 500 internal). */
void req_reply_json(struct req *r, int status, json_t *body);
/* Replies status with {"error": {"code": code, "message": <fmt...>, "field": field}}; field may be
 * NULL. The message must not contain secrets (it is also logged at debug level). */
void req_reply_error(struct req *r, int status, const char *code, const char *field,
		     const char *fmt, ...) LOG_FMT(5);
/* Replies status with len bytes of data as content_type (sent without copying). If free_fn is
 * NULL, data must stay valid until the reply has been sent (static data); otherwise req takes
 * ownership and calls free_fn(data) when done (also on failure). */
void req_reply_bytes(struct req *r, int status, const char *content_type, const void *data,
		     size_t len, void (*free_fn)(void *));
/* Replies status without a body (204, 303 with Location, 304, ...). */
void req_reply_empty(struct req *r, int status);
/* 1 once a reply was made (or the request is gone), else 0. */
int req_replied(const struct req *r);

/* ---- Asynchronous replies ---- */

typedef void req_resume_fn(struct req *r, void *arg);

/* Declares that the reply will come from a completion posted with req_post. Call it before r is
 * handed to another thread; a completion may suspend again. */
void req_suspend(struct req *r);
/* From any thread, exactly once per req_suspend: runs fn(r, arg) on r's event thread (never
 * inside req_post, even when called from that thread). fn must reply (or suspend again); if it
 * does neither, 500 internal is sent. Never fails for lack of memory (the queue entry lives in
 * r); returns -1 only for a NULL r or fn (nothing is queued then), else 0. After httpd_join,
 * completions still posted run in httpd_free, with req_gone(r) = 1. */
int req_post(struct req *r, req_resume_fn *fn, void *arg);
/* 1 if the connection went away: replies are dropped; only clean up. */
int req_gone(const struct req *r);

/* ---- Pure helpers (exported for tests) ---- */

/* 1 if a Content-Type value is application/json, in any case, optionally with parameters of which
 * a charset must be utf-8 (any case, optionally quoted); else 0. NULL is 0. */
int req_is_json_type(const char *content_type);

/* The outcome of checking and parsing a request body, for req_parse_json. */
struct req_problem {
	int status;       /* 0 when fine; else 400, 413 or 415 */
	const char *code; /* "bad_json", "body_too_large", "unsupported_media_type" */
	char message[200];
};

/* Checks content_type, len against max, and parses body as JSON as req_json_body does. Returns 0
 * and *out, or -1 with *p filled. */
int req_parse_json(const char *content_type, const void *body, size_t len, size_t max,
		   json_t **out, struct req_problem *p);

/* The error document {"error": {"code", "message", "field"?}} (new reference; NULL on OOM). */
json_t *req_error_json(const char *code, const char *message, const char *field);

/* The security headers sent on every reply, as name/value pairs ending with {NULL, NULL}. */
struct req_header_pair {
	const char *name, *value;
};
extern const struct req_header_pair req_security_headers[];

#endif
