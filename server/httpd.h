/*
 * httpd — the HTTPS server: N event-loop threads, each with its own event_base and evhttp bound to
 * its own SO_REUSEPORT listener on the same address (the kernel spreads connections), TLS on every
 * connection (tls.h), every limit set at start-up, a route table (route.h) dispatched to handlers
 * that reply through req.h, static files for everything else (static.h), metrics (metrics.h).
 *
 * Built-in routes: GET /healthz -> {"status": "ok"}; GET /metrics -> Prometheus text. Then the
 * application's routes in table order. A path no route matches: under /api -> 404 not_found JSON;
 * otherwise the static site (GET/HEAD) or its 404 page. A path some route matches with another
 * method: 405 method_not_allowed with Allow; OPTIONS: 204 with Allow.
 *
 * Limits: request line + headers <= max_headers; bodies: up to max_body (or the route's own limit,
 * route_max_body) are handed to handlers, bodies up to 4 * max_body (or the largest route limit)
 * are read and answered 413 body_too_large (JSON, our headers), larger
 * ones are refused by evhttp itself with its own 413 page before they are read into memory.
 * evhttp also answers a malformed request or too many header bytes (400) and a method it does not
 * know (501) itself: those few pages are plain HTML without our headers, and the connection is
 * closed (libevent 2.1.12 has no hook for its own error pages). One read/write inactivity timeout
 * for idle, header, body and write stalls (evhttp_set_timeout; in 2.1.12 it also bounds a slow
 * download). When the open TLS connections (tls_server_stats) reach max_connections, new ones
 * are closed as soon as they are accepted.
 *
 * Shutdown: httpd_stop (e.g. on SIGTERM) closes the listeners; requests in flight (suspended ones
 * included) finish and their replies are flushed; idle keep-alive connections are closed; after
 * shutdown_timeout seconds whatever is left is closed. Then the threads exit (httpd_join).
 *
 * Threads: httpd_new, httpd_start, httpd_join and httpd_free from one controlling thread;
 * httpd_stop, httpd_running and httpd_metrics from any thread. Handlers run on the event threads
 * with all signals blocked.
 */
#ifndef DELPHI_HTTPD_H
#define DELPHI_HTTPD_H

#include <stddef.h>

#include "route.h"

struct httpd;
struct metrics;
struct req;
struct static_site;
struct tls_server;

struct httpd_options {
	const char *listen;     /* "HOST:PORT" or "[V6]:PORT" (cfg_parse_listen); port 0 = any free */
	size_t threads;         /* >= 1 */
	size_t max_body;        /* bytes */
	size_t max_headers;     /* bytes */
	int timeout;            /* seconds >= 1 */
	int shutdown_timeout;   /* seconds >= 0 */
	long max_connections;   /* >= 1 */
	struct tls_server *tls; /* required: every connection is TLS */

	/* The application's routes (checked with route_check_table; may not repeat the built-ins). */
	const struct route *routes;
	size_t nroutes;
	/* NULL, or nroutes body limits parallel to routes: route i takes bodies of up to
	 * route_max_body[i] bytes (0: max_body), for the few routes that upload more than the
	 * global limit. evhttp then reads bodies up to the largest of them (or 4 * max_body if that
	 * is more) on any path before the route is known; everything over the matched route's limit
	 * is still answered 413 body_too_large, and req_body / req_json_body apply the route's limit. */
	const size_t *route_max_body;
	/* Serves paths outside /api that no route matched; NULL = everything there is 404. */
	struct static_site *site;

	/* Called before the handler of a route whose roles != ROUTE_PUBLIC: returns 0 to go on (it
	 * may req_set_auth), or -1 after replying itself (401/403). NULL: such routes answer 500. */
	int (*authorize)(struct req *r, unsigned roles, void *app);
	/* Called by httpd_start for each event thread index before it serves (on the controlling
	 * thread); *tdata becomes req_thread_data. Returns 0, or -1 to fail the start. */
	int (*thread_init)(size_t index, void *app, void **tdata);
	/* Called by httpd_free for each tdata that thread_init set. */
	void (*thread_fini)(size_t index, void *app, void *tdata);
	void *app; /* req_app */
};

/* Checks the options and the route table, resolves the address, binds every listener (so a busy
 * port fails here: another process already listening on it is detected even with SO_REUSEPORT),
 * creates the event bases. Returns 0 and *out, or -1 with a one-line message in err. */
int httpd_new(const struct httpd_options *opt, struct httpd **out, char *err, size_t errlen);

/* The port the listeners are bound to (useful after port 0). */
unsigned httpd_port(const struct httpd *h);

/* Runs thread_init for each thread, then starts the event threads. Returns 0, or -1 with err
 * (threads already started are stopped and joined). */
int httpd_start(struct httpd *h, char *err, size_t errlen);

/* Asks every thread to shut down gracefully (see above); force = 1 closes everything at once.
 * Asynchronous and idempotent (a forced stop may follow a graceful one). Any thread; not
 * async-signal-safe (call it from a thread that received the signal with sigwait). */
void httpd_stop(struct httpd *h, int force);

/* Number of event threads still running. Any thread. */
size_t httpd_running(struct httpd *h);

/* Waits for every event thread to exit. */
void httpd_join(struct httpd *h);

/* Frees everything: after httpd_join, and after every thread that may call req_post (the
 * writer) has stopped, so that the completions still queued can run here, with req_gone(r) = 1;
 * then thread_fini. So at shutdown: httpd_stop, httpd_join, stop the writer, httpd_free. NULL is
 * a no-op. */
void httpd_free(struct httpd *h);

/* The server's metrics, for the writer's metrics_observe_commit. Any thread. */
struct metrics *httpd_metrics(struct httpd *h);

#endif
