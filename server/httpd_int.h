/*
 * httpd_int — internals shared by httpd.c and req.c only: the request context, the event thread,
 * the per-connection record and the calls between the two files. Handlers never include this.
 *
 * Lifetime of a struct req (refs): one reference for the evhttp request (dropped when evhttp has
 * sent the reply, or when the connection is torn down), one while the handler or a completion runs,
 * one while suspended. All on the request's event thread.
 */
#ifndef DELPHI_HTTPD_INT_H
#define DELPHI_HTTPD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "route.h"

struct httpd;
struct httpd_thread;
struct req;

/* A unit of work queued to an event thread (intrusive: posting never allocates, never fails). */
struct httpd_post {
	void (*fn)(struct httpd_post *p);
	struct httpd_post *next;
};

/* A connection that has made at least one request (defined in httpd.c). */
struct httpd_conn;

struct req {
	struct evhttp_request *ev; /* NULL once evhttp is done with it or the connection is gone */
	struct httpd_thread *thr;
	struct httpd_conn *conn;   /* NULL once gone */
	int refs;
	unsigned method;           /* enum route_method */
	size_t route_index;        /* metrics label index */
	const char *route_label;
	struct route_match match;
	struct evkeyvalq query;
	int query_state;           /* 0 not parsed, 1 parsed, -1 malformed */
	uint64_t start_us;
	struct httpd_post post;    /* the completion, while suspended */
	void (*resume)(struct req *r, void *arg);
	void *resume_arg;
	unsigned replied : 1, suspended : 1, gone : 1, own_cache_control : 1;
	void *auth;
	void (*auth_free)(void *);
	char peer[64];
	size_t max_body;           /* the matched route's body limit (0 before dispatch: max_body) */
};

/* Monotonic microseconds. */
uint64_t httpd_now_us(void);

/* httpd.c, for req.c */
size_t httpd_thread_index(const struct httpd_thread *t);
void *httpd_thread_data(const struct httpd_thread *t);
void *httpd_app(const struct httpd_thread *t);
size_t httpd_max_body(const struct httpd_thread *t);
struct metrics *httpd_thread_metrics(const struct httpd_thread *t);
/* Queues p to run (p->fn(p)) on t's loop thread and wakes it. Any thread. p must stay valid until
 * it has run; after httpd_join, httpd_free runs whatever is still queued. */
void httpd_thread_post(struct httpd_thread *t, struct httpd_post *p);
/* The access log line of one reply, "METHOD ROUTE STATUS BYTES DURATIONus" after log_info's
 * prefix. Lines are collected per thread and written together (log_write): when the loop has no
 * other work left, when the buffer is nearly full, at the latest 100 ms after the first of them,
 * and when the thread stops. Loop thread only. */
void httpd_access_log(struct httpd_thread *t, const char *method, const char *route, int status,
		      size_t bytes, uint64_t usec);

/* req.c, for httpd.c */
struct req *req_new_internal(struct httpd_thread *t, struct evhttp_request *ev,
			     struct httpd_conn *conn, unsigned method);
/* Drops one reference; frees r at zero. */
void req_unref(struct req *r);
/* evhttp finished sending the reply (on_complete) or the connection is gone (gone = 1). */
void req_detach(struct req *r, int gone);
/* After a handler or completion returned: replies 500 if it neither replied nor suspended. */
void req_after_handler(struct req *r);

#endif
