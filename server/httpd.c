/*
 * httpd — event threads, listeners, limits, dispatch, connection bookkeeping and graceful
 * shutdown. See httpd.h for the contract and httpd_int.h for the request lifetime.
 *
 * Connection bookkeeping (struct httpd_conn, found by its evhttp_connection): it knows the request
 * in progress, so that a connection torn down under a suspended request marks it gone, and it lets
 * a shutdown close keep-alive connections itself, each once idle and flushed (including the TLS
 * layer's socket buffer), from a timer (the tick), instead of cutting replies short.
 */
#include "httpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "buf.h"
#include "cfg.h"
#include "httpd_int.h"
#include "log.h"
#include "metrics.h"
#include "req.h"
#include "static.h"
#include "tls.h"

#define BACKLOG 1024
#define TICK_USEC 10000
/* Access log: lines a thread keeps before writing them (PIPE_BUF, so that one write is atomic
 * even into a pipe), room kept for one more line, longest wait of a line. */
#define ALOG_SIZE 4096
#define ALOG_LINE_MAX 384
#define ALOG_DELAY_USEC 100000
/* Event priorities of each loop: everything at the default (the middle one), but the access
 * log's flush, which runs when nothing else is ready. */
#define NPRIORITIES 3
#define PRIORITY_IDLE 2
#define BODY_READ_FACTOR 4 /* bodies up to this times max_body are read and answered 413 JSON */

struct httpd_thread {
	struct httpd *h;
	size_t index;
	pthread_t tid;
	int started;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	void *tdata;
	int tdata_set;

	/* cross-thread queue */
	int efd;
	struct event *wake;
	pthread_mutex_t mu;
	struct httpd_post *qhead, **qtail;
	struct httpd_post stop_post, force_post;
	atomic_int stop_posted, force_posted;

	/* loop-thread state */
	struct event *tick;
	struct httpd_conn **buckets;
	size_t nbuckets, nconns;
	struct httpd_conn *conns;   /* every tracked connection */
	struct httpd_conn *closing; /* the close_after ones (linked through cprev/cnext) */
	int draining, finished;
	uint64_t deadline_us;
	uint64_t last_reject_log_us, rejects_since_log;

	/* read by /metrics from any thread */
	atomic_size_t busy; /* requests dispatched and not yet sent or gone */

	/* the access log (loop thread): alog[0..alog_len) are whole lines not yet written */
	struct event *alog_idle;  /* activated at PRIORITY_IDLE when the first line comes in */
	struct event *alog_timer; /* ALOG_DELAY_USEC after it, in case the loop never idles */
	size_t alog_len;
	time_t alog_sec;          /* the second alog_prefix was made for */
	size_t alog_prefix_len;
	char alog_prefix[48];
	char alog[ALOG_SIZE];
};

struct httpd {
	struct httpd_options opt;
	struct route *table; /* built-ins, then the application's routes */
	size_t ntable;
	size_t read_max;     /* evhttp's body limit: the largest body any route may get, or more */
	size_t first_app;    /* index in table of the application's first route */
	size_t static_index, unmatched_index;
	struct metrics *metrics;
	struct httpd_thread *threads;
	size_t nthreads;
	unsigned port;
	atomic_size_t running;
	atomic_uint_fast64_t rejected;
};

/* A connection that has made at least one request; found by its evhttp_connection. */
struct httpd_conn {
	struct evhttp_connection *evcon;
	struct httpd_thread *thr;
	struct req *cur;                  /* the request being handled or sent, or NULL */
	int close_after;                  /* close once idle and flushed (on t->closing) */
	struct httpd_conn *hnext;         /* hash chain */
	struct httpd_conn *prev, *next;   /* t->conns */
	struct httpd_conn *cprev, *cnext; /* t->closing */
};

uint64_t httpd_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

size_t httpd_thread_index(const struct httpd_thread *t)
{
	return t->index;
}

void *httpd_thread_data(const struct httpd_thread *t)
{
	return t->tdata;
}

void *httpd_app(const struct httpd_thread *t)
{
	return t->h->opt.app;
}

size_t httpd_max_body(const struct httpd_thread *t)
{
	return t->h->opt.max_body;
}

struct metrics *httpd_thread_metrics(const struct httpd_thread *t)
{
	return t->h->metrics;
}

struct metrics *httpd_metrics(struct httpd *h)
{
	return h->metrics;
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

size_t httpd_running(struct httpd *h)
{
	return atomic_load(&h->running);
}

/* ---- Cross-thread posts ---- */

void httpd_thread_post(struct httpd_thread *t, struct httpd_post *p)
{
	uint64_t one = 1;
	p->next = NULL;
	pthread_mutex_lock(&t->mu);
	/* run_posts takes the whole queue at once, so only a post to an empty queue needs to wake
	 * the loop: the others find their wake-up pending. This spares the writer thread, which
	 * posts every save's completion, a system call per save under load. */
	int wake = t->qhead == NULL;
	*t->qtail = p;
	t->qtail = &p->next;
	pthread_mutex_unlock(&t->mu);
	/* Only fails when the counter would overflow, and then a wake-up is pending anyway. */
	if (wake && write(t->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_warn("httpd: cannot wake thread %zu", t->index);
}

static void run_posts(struct httpd_thread *t)
{
	pthread_mutex_lock(&t->mu);
	struct httpd_post *p = t->qhead;
	t->qhead = NULL;
	t->qtail = &t->qhead;
	pthread_mutex_unlock(&t->mu);
	while (p) {
		struct httpd_post *next = p->next; /* p may be re-posted by its own fn */
		p->fn(p);
		p = next;
	}
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_thread *t = arg;
	uint64_t v;
	(void)what;
	if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
		log_warn("httpd: eventfd read");
	run_posts(t);
}

/* ---- Access log ---- */

static void alog_flush(struct httpd_thread *t)
{
	if (t->alog_len)
		log_write(t->alog, t->alog_len);
	t->alog_len = 0;
}

static void alog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	alog_flush(arg);
}

/* Appends s to line[*n..size), truncating. */
static void alog_adds(char *line, size_t *n, size_t size, const char *s)
{
	size_t len = strlen(s);
	if (len > size - *n)
		len = size - *n;
	memcpy(line + *n, s, len);
	*n += len;
}

static void alog_addu(char *line, size_t *n, size_t size, uint64_t v)
{
	char d[24];
	size_t i = sizeof d;
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i);
	if (sizeof d - i <= size - *n) {
		memcpy(line + *n, d + i, sizeof d - i);
		*n += sizeof d - i;
	}
}

/* One line per reply, formatted by hand and buffered: a printf and a write(2) per request cost
 * as much as a fifth of a save's work on the loop threads (bench/load.sh). */
void httpd_access_log(struct httpd_thread *t, const char *method, const char *route, int status,
		      size_t bytes, uint64_t usec)
{
	char line[ALOG_LINE_MAX];
	size_t n = 0, room = sizeof line - 1; /* one byte kept for the newline */
	time_t now = time(NULL);
	if (!t->alog_prefix_len || now != t->alog_sec) {
		t->alog_prefix_len = log_info_prefix(now, t->alog_prefix, sizeof t->alog_prefix);
		t->alog_sec = now;
	}
	memcpy(line, t->alog_prefix, t->alog_prefix_len);
	n = t->alog_prefix_len;
	alog_adds(line, &n, room, method);
	alog_adds(line, &n, room, " ");
	alog_adds(line, &n, room, route);
	alog_adds(line, &n, room, " ");
	alog_addu(line, &n, room, status < 0 ? 0 : (uint64_t)status);
	alog_adds(line, &n, room, " ");
	alog_addu(line, &n, room, bytes);
	alog_adds(line, &n, room, " ");
	alog_addu(line, &n, room, usec);
	alog_adds(line, &n, room, "us");
	line[n++] = '\n';

	if (t->alog_len + n > sizeof t->alog)
		alog_flush(t);
	if (t->alog_len == 0 && t->alog_idle) {
		static const struct timeval delay = {0, ALOG_DELAY_USEC};
		event_active(t->alog_idle, EV_TIMEOUT, 1);
		if (!evtimer_pending(t->alog_timer, NULL))
			evtimer_add(t->alog_timer, &delay);
	}
	memcpy(t->alog + t->alog_len, line, n);
	t->alog_len += n;
	if (t->alog_len > sizeof t->alog - ALOG_LINE_MAX || !t->alog_idle)
		alog_flush(t);
}

/* ---- Connection records ---- */

static size_t hash_ptr(const void *p, size_t nbuckets)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (nbuckets - 1);
}

static int conn_grow(struct httpd_thread *t)
{
	size_t nb = t->nbuckets ? t->nbuckets * 2 : 64;
	struct httpd_conn **b = calloc(nb, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct httpd_conn *c = t->buckets[i], *next;
		for (; c; c = next) {
			next = c->hnext;
			size_t k = hash_ptr(c->evcon, nb);
			c->hnext = b[k];
			b[k] = c;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
	return 0;
}

static struct httpd_conn *conn_find(struct httpd_thread *t, struct evhttp_connection *evcon)
{
	if (!t->nbuckets)
		return NULL;
	struct httpd_conn *c = t->buckets[hash_ptr(evcon, t->nbuckets)];
	while (c && c->evcon != evcon)
		c = c->hnext;
	return c;
}

static void closing_remove(struct httpd_thread *t, struct httpd_conn *c)
{
	if (!c->close_after)
		return;
	if (c->cprev)
		c->cprev->cnext = c->cnext;
	else
		t->closing = c->cnext;
	if (c->cnext)
		c->cnext->cprev = c->cprev;
	c->cprev = c->cnext = NULL;
	c->close_after = 0;
}

static void conn_closed_cb(struct evhttp_connection *evcon, void *arg);

static struct httpd_conn *conn_get(struct httpd_thread *t, struct evhttp_connection *evcon)
{
	struct httpd_conn *c = conn_find(t, evcon);
	if (c)
		return c;
	if (t->nconns >= t->nbuckets && conn_grow(t))
		return NULL;
	if (!(c = calloc(1, sizeof *c)))
		return NULL;
	c->evcon = evcon;
	c->thr = t;
	size_t k = hash_ptr(evcon, t->nbuckets);
	c->hnext = t->buckets[k];
	t->buckets[k] = c;
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	t->nconns++;
	evhttp_connection_set_closecb(evcon, conn_closed_cb, c);
	return c;
}

static void conn_forget(struct httpd_thread *t, struct httpd_conn *c)
{
	struct httpd_conn **pp = &t->buckets[hash_ptr(c->evcon, t->nbuckets)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	closing_remove(t, c);
	t->nconns--;
	free(c);
}

static void tick_soon(struct httpd_thread *t, int now)
{
	if (now) {
		event_active(t->tick, EV_TIMEOUT, 1);
	} else if (!evtimer_pending(t->tick, NULL)) {
		struct timeval tv = {0, TICK_USEC};
		evtimer_add(t->tick, &tv);
	}
}

static void mark_closing(struct httpd_thread *t, struct httpd_conn *c)
{
	if (c->close_after)
		return;
	c->close_after = 1;
	c->cprev = NULL;
	c->cnext = t->closing;
	if (c->cnext)
		c->cnext->cprev = c;
	t->closing = c;
	tick_soon(t, 0);
}

/* evhttp tears the connection down (timeout, error, EOF, our own free, evhttp_free). */
static void conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct httpd_conn *c = arg;
	struct httpd_thread *t = c->thr;
	(void)evcon;
	if (c->cur) {
		struct req *r = c->cur;
		c->cur = NULL;
		/* A request evhttp detached from the connection (EOF or timeout before the reply) is no
		 * longer freed by evhttp: it is ours now. */
		if (r->ev && !evhttp_request_get_connection(r->ev))
			evhttp_request_free(r->ev);
		atomic_fetch_sub(&t->busy, 1);
		req_detach(r, 1);
	}
	conn_forget(t, c);
}

/* Bytes of a connection still waiting to be sent: evhttp's buffer and, under TLS, the socket
 * layer's buffer below the filter. */
static size_t conn_pending(struct httpd_conn *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	size_t n = evbuffer_get_length(bufferevent_get_output(bev));
	struct bufferevent *under = bufferevent_get_underlying(bev);
	if (under)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

/* ---- Shutdown ---- */

static void finish(struct httpd_thread *t)
{
	if (t->finished)
		return;
	t->finished = 1;
	evhttp_free(t->http); /* closes everything left; conn_closed_cb runs for tracked ones */
	t->http = NULL;
	t->bound = NULL;
	event_del(t->tick);
	event_base_loopexit(t->base, NULL);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_thread *t = arg;
	(void)fd;
	(void)what;
	if (t->finished)
		return;
	struct httpd_conn *c = t->closing, *next;
	for (; c; c = next) {
		next = c->cnext;
		if (!c->cur && conn_pending(c) == 0)
			evhttp_connection_free(c->evcon); /* conn_closed_cb frees c */
	}
	if (t->draining && (t->nconns == 0 || httpd_now_us() >= t->deadline_us)) {
		if (t->nconns)
			log_warnx("thread %zu: %s: closing %zu connection(s) still busy", t->index,
				  t->deadline_us ? "shutdown timeout" : "forced stop", t->nconns);
		finish(t);
		return;
	}
	if (t->closing || t->draining)
		tick_soon(t, 0);
}

static void stop_on_thread(struct httpd_thread *t, int force)
{
	if (!t->draining) {
		t->draining = 1;
		t->deadline_us = httpd_now_us() + (uint64_t)t->h->opt.shutdown_timeout * 1000000u;
		if (t->bound) {
			evhttp_del_accept_socket(t->http, t->bound); /* closes the listener */
			t->bound = NULL;
		}
		for (struct httpd_conn *c = t->conns; c; c = c->next)
			mark_closing(t, c);
	}
	if (force)
		t->deadline_us = 0;
	tick_soon(t, 1);
}

static void stop_post_cb(struct httpd_post *p)
{
	struct httpd_thread *t =
		(struct httpd_thread *)(void *)((char *)p - offsetof(struct httpd_thread, stop_post));
	stop_on_thread(t, 0);
}

static void force_post_cb(struct httpd_post *p)
{
	struct httpd_thread *t =
		(struct httpd_thread *)(void *)((char *)p - offsetof(struct httpd_thread, force_post));
	stop_on_thread(t, 1);
}

void httpd_stop(struct httpd *h, int force)
{
	for (size_t i = 0; i < h->nthreads; i++) {
		struct httpd_thread *t = &h->threads[i];
		if (!atomic_exchange(&t->stop_posted, 1)) {
			t->stop_post.fn = stop_post_cb;
			httpd_thread_post(t, &t->stop_post);
		}
		if (force && !atomic_exchange(&t->force_posted, 1)) {
			t->force_post.fn = force_post_cb;
			httpd_thread_post(t, &t->force_post);
		}
	}
}

/* ---- Accepting ---- */

static enum bufferevent_filter_result reject_filter(struct evbuffer *src, struct evbuffer *dst,
						    ev_ssize_t lim,
						    enum bufferevent_flush_mode mode, void *ctx)
{
	(void)dst;
	(void)lim;
	(void)mode;
	(void)ctx;
	evbuffer_drain(src, evbuffer_get_length(src));
	return BEV_NEED_MORE;
}

static void reject_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	(void)fd;
	(void)what;
	/* evhttp frees the connection on an error while it waits for a request line. */
	bufferevent_trigger_event(bev, BEV_EVENT_ERROR | BEV_EVENT_READING, 0);
	bufferevent_decref(bev);
}

/* A bufferevent that passes nothing up and reports an error on the next loop turn: the way to
 * close a connection from a bevcb (returning NULL would make evhttp use a plain socket). */
static struct bufferevent *reject_bev(struct event_base *base)
{
	static const struct timeval now = {0, 0};
	struct bufferevent *under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!under)
		return NULL;
	struct bufferevent *f = bufferevent_filter_new(under, reject_filter, reject_filter,
						       BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	if (!f) {
		bufferevent_free(under);
		return NULL;
	}
	bufferevent_incref(f);
	if (event_base_once(base, -1, EV_TIMEOUT, reject_cb, f, &now))
		bufferevent_decref(f); /* then the idle timeout closes it */
	return f;
}

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	struct httpd_thread *t = arg;
	struct httpd *h = t->h;
	struct tls_stats st;

	tls_server_stats(h->opt.tls, &st);
	if (st.open_connections >= (uint64_t)h->opt.max_connections) {
		uint64_t now = httpd_now_us();
		atomic_fetch_add(&h->rejected, 1);
		t->rejects_since_log++;
		if (now - t->last_reject_log_us >= 10000000u) {
			log_warnx("thread %zu: %llu connection(s) closed: --max-connections %ld reached",
				  t->index, (unsigned long long)t->rejects_since_log,
				  h->opt.max_connections);
			t->last_reject_log_us = now;
			t->rejects_since_log = 0;
		}
		return reject_bev(base);
	}
	struct bufferevent *bev = tls_bevcb(base, h->opt.tls);
	return bev ? bev : reject_bev(base);
}

/* ---- Dispatch ---- */

static unsigned method_of(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return ROUTE_GET;
	case EVHTTP_REQ_HEAD:
		return ROUTE_HEAD;
	case EVHTTP_REQ_POST:
		return ROUTE_POST;
	case EVHTTP_REQ_PUT:
		return ROUTE_PUT;
	case EVHTTP_REQ_DELETE:
		return ROUTE_DELETE;
	case EVHTTP_REQ_PATCH:
		return ROUTE_PATCH;
	case EVHTTP_REQ_OPTIONS:
		return ROUTE_OPTIONS;
	default:
		return ROUTE_OTHER;
	}
}

static int is_api_path(const char *path)
{
	return !strncmp(path, "/api", 4) && (path[4] == '\0' || path[4] == '/');
}

/* 1 if the request has Content-Length headers that disagree. libevent frames the body by the
 * first one; a proxy in front may have used another, so what follows could be read as a request
 * the proxy never saw (RFC 9112 6.3: reply 400 and close the connection). */
static int has_conflicting_lengths(struct evhttp_request *ev)
{
	const char *first = NULL;
	const struct evkeyval *kv = evhttp_request_get_input_headers(ev)->tqh_first;
	for (; kv; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Content-Length"))
			continue;
		if (first && strcmp(first, kv->value))
			return 1;
		first = kv->value;
	}
	return 0;
}

static void dispatch(struct httpd_thread *t, struct req *r, struct evhttp_request *ev)
{
	struct httpd *h = t->h;
	const char *path = req_path(r);
	size_t body = evbuffer_get_length(evhttp_request_get_input_buffer(ev));
	char allow[96];

	r->route_index = h->unmatched_index;
	r->route_label = "unmatched";
	if (has_conflicting_lengths(ev)) {
		req_add_header(r, "Connection", "close");
		req_reply_error(r, 400, "bad_request", NULL, "conflicting Content-Length headers");
		return;
	}
	if (path[0] != '/') {
		req_reply_error(r, 400, "bad_request", NULL,
				"the request target must be an absolute path");
		return;
	}
	enum route_result res = route_match(h->table, h->ntable, r->method, path, &r->match);
	if (res == ROUTE_FOUND) {
		r->route_index = r->match.index;
		r->route_label = r->match.route->pattern;
	} else if (res == ROUTE_BAD_METHOD || res == ROUTE_BAD_PATH) {
		r->route_index = r->match.index;
		r->route_label = h->table[r->match.index].pattern;
	} else if (res == ROUTE_NOT_FOUND && !is_api_path(path)) {
		r->route_index = h->static_index;
		r->route_label = "static";
	}
	r->max_body = h->opt.max_body;
	if (res == ROUTE_FOUND && r->match.index >= h->first_app && h->opt.route_max_body &&
	    h->opt.route_max_body[r->match.index - h->first_app])
		r->max_body = h->opt.route_max_body[r->match.index - h->first_app];
	if (body > r->max_body) {
		req_reply_error(r, 413, "body_too_large", NULL,
				"the request body is larger than %zu bytes", r->max_body);
		return;
	}
	switch (res) {
	case ROUTE_FOUND: {
		const struct route *rt = r->match.route;
		if (rt->roles != ROUTE_PUBLIC) {
			if (!h->opt.authorize) {
				req_reply_error(r, 500, "internal", NULL, "no authorization configured");
				return;
			}
			if (h->opt.authorize(r, rt->roles, h->opt.app))
				return;
		}
		rt->handler(r);
		return;
	}
	case ROUTE_BAD_METHOD:
		route_allow_header(r->match.allow, allow, sizeof allow);
		req_add_header(r, "Allow", allow);
		if (r->method == ROUTE_OPTIONS) {
			req_reply_empty(r, 204);
			return;
		}
		req_reply_error(r, 405, "method_not_allowed", NULL, "%s is not allowed here; use %s",
				route_method_name(r->method), allow);
		return;
	case ROUTE_BAD_PATH:
		req_reply_error(r, 400, "bad_request", NULL, "malformed path");
		return;
	case ROUTE_NOT_FOUND:
		if (is_api_path(path)) {
			req_reply_error(r, 404, "not_found", NULL, "no such API endpoint");
			return;
		}
		static_handle(h->opt.site, r);
		return;
	}
}

static void on_complete_cb(struct evhttp_request *ev, void *arg)
{
	struct req *r = arg;
	struct httpd_conn *c = r->conn;
	(void)ev;
	if (c) {
		struct httpd_thread *t = c->thr;
		c->cur = NULL;
		atomic_fetch_sub(&t->busy, 1);
		if (t->draining)
			mark_closing(t, c);
		if (c->close_after)
			tick_soon(t, 1);
	}
	req_detach(r, 0);
}

static void gencb(struct evhttp_request *ev, void *arg)
{
	struct httpd_thread *t = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);

	if (!bufferevent_get_underlying(bev)) {
		/* Only possible if a bevcb returned NULL: never serve a request without TLS. */
		log_warnx("thread %zu: refused a request on a connection without TLS", t->index);
		evhttp_send_error(ev, 400, NULL);
		return;
	}
	struct httpd_conn *c = conn_get(t, evcon);
	struct req *r = c ? req_new_internal(t, ev, c, method_of(evhttp_request_get_command(ev)))
			  : NULL;
	if (!r) {
		log_warnx("thread %zu: out of memory", t->index);
		evhttp_send_error(ev, 503, NULL);
		return;
	}
	c->cur = r;
	atomic_fetch_add(&t->busy, 1);
	evhttp_request_set_on_complete_cb(ev, on_complete_cb, r);
	if (t->draining)
		mark_closing(t, c); /* closed by the tick once the reply is out */

	r->refs++; /* the handler's */
	dispatch(t, r, ev);
	req_after_handler(r);
	req_unref(r);
}

/* ---- Built-in routes ---- */

static struct httpd *handler_httpd(struct req *r)
{
	return r->thr->h;
}

static void healthz(struct req *r)
{
	req_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void metrics_handler(struct req *r)
{
	struct httpd *h = handler_httpd(r);
	struct buf b;
	struct tls_stats st;
	size_t busy = 0;

	buf_init(&b);
	metrics_render(h->metrics, &b);
	for (size_t i = 0; i < h->nthreads; i++)
		busy += atomic_load(&h->threads[i].busy);
	metrics_render_gauge(&b, "delphi_http_requests_in_flight",
			     "Requests being handled or sent.", (double)busy);
	tls_server_stats(h->opt.tls, &st);
	metrics_render_gauge(&b, "delphi_http_open_connections", "Open TLS connections.",
			     (double)st.open_connections);
	buf_adds(&b, "# HELP delphi_tls_handshakes_total TLS handshakes by result.\n"
		     "# TYPE delphi_tls_handshakes_total counter\n");
	buf_printf(&b, "delphi_tls_handshakes_total{result=\"ok\"} %llu\n",
		   (unsigned long long)st.handshakes_ok);
	buf_printf(&b, "delphi_tls_handshakes_total{result=\"failed\"} %llu\n",
		   (unsigned long long)st.handshakes_failed);
	metrics_render_counter(&b, "delphi_http_connections_rejected_total",
			       "Connections closed on accept because --max-connections was reached.",
			       (uint64_t)atomic_load(&h->rejected));
	size_t len;
	char *text = buf_detach(&b, &len);
	req_reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, free);
}

static const struct route builtin_routes[] = {
	{ROUTE_GET, "/healthz", healthz, ROUTE_PUBLIC},
	{ROUTE_GET, "/metrics", metrics_handler, ROUTE_PUBLIC},
};
#define NBUILTIN (sizeof builtin_routes / sizeof builtin_routes[0])

/* ---- Threads ---- */

static void *thread_main(void *arg)
{
	struct httpd_thread *t = arg;
	char name[16]; /* the kernel's limit, NUL included: top -H, ps -L, /proc/PID/task/TID/comm */
	snprintf(name, sizeof name, "delphi-loop-%zu", t->index);
	pthread_setname_np(pthread_self(), name);
	if (event_base_dispatch(t->base) < 0)
		log_warnx("thread %zu: event loop failed", t->index);
	alog_flush(t);
	atomic_fetch_sub(&t->h->running, 1);
	return NULL;
}

static void thread_release(struct httpd_thread *t)
{
	if (t->http)
		evhttp_free(t->http); /* also frees a still-bound listener */
	t->http = NULL;
	if (t->tick)
		event_free(t->tick);
	if (t->wake)
		event_free(t->wake);
	t->tick = t->wake = NULL;
	alog_flush(t);
	if (t->alog_idle)
		event_free(t->alog_idle);
	if (t->alog_timer)
		event_free(t->alog_timer);
	t->alog_idle = t->alog_timer = NULL;
	if (t->base)
		event_base_free(t->base);
	t->base = NULL;
	if (t->efd >= 0)
		close(t->efd);
	t->efd = -1;
	free(t->buckets);
	t->buckets = NULL;
	pthread_mutex_destroy(&t->mu);
}

static int thread_setup(struct httpd *h, struct httpd_thread *t, size_t index,
			struct sockaddr_storage *sa, socklen_t salen, char *err, size_t errlen)
{
	struct event_config *ec = NULL;
	struct evconnlistener *lev;
	int rc = -1;

	t->h = h;
	t->index = index;
	t->efd = -1;
	t->qtail = &t->qhead;
	pthread_mutex_init(&t->mu, NULL);
	if (!(ec = event_config_new()) || event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK) ||
	    !(t->base = event_base_new_with_config(ec)) ||
	    event_base_priority_init(t->base, NPRIORITIES) || !(t->http = evhttp_new(t->base)) ||
	    !(t->alog_idle = event_new(t->base, -1, 0, alog_cb, t)) ||
	    event_priority_set(t->alog_idle, PRIORITY_IDLE) ||
	    !(t->alog_timer = evtimer_new(t->base, alog_cb, t))) {
		snprintf(err, errlen, "cannot create the event loop");
		goto out;
	}
	evhttp_set_timeout(t->http, h->opt.timeout);
	evhttp_set_max_headers_size(t->http, (ev_ssize_t)h->opt.max_headers);
	evhttp_set_max_body_size(t->http, (ev_ssize_t)h->read_max);
	evhttp_set_allowed_methods(t->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						    EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(t->http, NULL);
	evhttp_set_flags(t->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(t->http, gencb, t);
	evhttp_set_bevcb(t->http, bevcb, t);

	lev = evconnlistener_new_bind(t->base, NULL, NULL,
				      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
					      LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC,
				      BACKLOG, (struct sockaddr *)sa, (int)salen);
	if (!lev) {
		snprintf(err, errlen, "cannot listen on %s: %s", h->opt.listen, strerror(errno));
		goto out;
	}
	if (index == 0) {
		/* Port 0: every other thread binds the port the kernel picked for the first. */
		struct sockaddr_storage got;
		socklen_t gl = sizeof got;
		if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&got, &gl)) {
			evconnlistener_free(lev);
			snprintf(err, errlen, "getsockname: %s", strerror(errno));
			goto out;
		}
		if (got.ss_family == AF_INET6) {
			h->port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
			((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)h->port);
		} else {
			h->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
			((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)h->port);
		}
	}
	if (!(t->bound = evhttp_bind_listener(t->http, lev))) {
		evconnlistener_free(lev);
		snprintf(err, errlen, "cannot bind the listener");
		goto out;
	}
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->efd < 0 || !(t->wake = event_new(t->base, t->efd, EV_READ | EV_PERSIST, wake_cb, t)) ||
	    event_add(t->wake, NULL) || !(t->tick = evtimer_new(t->base, tick_cb, t)) ||
	    conn_grow(t)) {
		snprintf(err, errlen, "cannot set up the thread's wake-up: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (ec)
		event_config_free(ec);
	return rc;
}

/* Fails if something already listens on the address, even with SO_REUSEPORT (which would
 * otherwise let two servers silently share the port). */
static int probe_address(const struct sockaddr *sa, socklen_t salen, const char *listen, char *err,
			 size_t errlen)
{
	int one = 1, rc = -1;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, sa, salen)) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static void raise_fd_limit(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max && (rlim_t)want + 64 > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((rlim_t)want + 64 > rl.rlim_cur)
		log_warnx("--max-connections %ld is above the open-file limit %llu: connections beyond "
			  "it will fail to be accepted",
			  want, (unsigned long long)rl.rlim_cur);
}

int httpd_new(const struct httpd_options *opt, struct httpd **out, char *err, size_t errlen)
{
	struct httpd *h = NULL;
	struct addrinfo hints, *ai = NULL;
	char host[256], portstr[8];
	unsigned port;
	const char **labels = NULL;
	int rc = -1;

	*out = NULL;
	if (!opt->threads || !opt->max_body || !opt->max_headers || opt->timeout < 1 ||
	    opt->shutdown_timeout < 0 || opt->max_connections < 1) {
		snprintf(err, errlen, "httpd: invalid options");
		return -1;
	}
	if (!opt->tls) {
		snprintf(err, errlen, "httpd: TLS is required");
		return -1;
	}
	if (cfg_parse_listen(opt->listen, host, sizeof host, &port)) {
		snprintf(err, errlen, "cannot listen on '%s': not HOST:PORT", opt->listen);
		return -1;
	}
	if (!(h = calloc(1, sizeof *h)))
		goto oom;
	h->opt = *opt;

	h->ntable = NBUILTIN + opt->nroutes;
	if (!(h->table = calloc(h->ntable, sizeof *h->table)))
		goto oom;
	memcpy(h->table, builtin_routes, sizeof builtin_routes);
	if (opt->nroutes)
		memcpy(h->table + NBUILTIN, opt->routes, opt->nroutes * sizeof *opt->routes);
	if (route_check_table(h->table, h->ntable, err, errlen))
		goto out;
	h->first_app = NBUILTIN;
	h->read_max = opt->max_body * BODY_READ_FACTOR;
	for (size_t i = 0; opt->route_max_body && i < opt->nroutes; i++)
		if (opt->route_max_body[i] > h->read_max)
			h->read_max = opt->route_max_body[i];
	h->static_index = h->ntable;
	h->unmatched_index = h->ntable + 1;
	if (!(labels = calloc(h->ntable + 2, sizeof *labels)))
		goto oom;
	for (size_t i = 0; i < h->ntable; i++)
		labels[i] = h->table[i].pattern;
	labels[h->static_index] = "static";
	labels[h->unmatched_index] = "unmatched";
	if (!(h->metrics = metrics_new(opt->threads, h->ntable + 2, labels)))
		goto oom;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%u", port);
	int gai = getaddrinfo(host, portstr, &hints, &ai);
	if (gai) {
		snprintf(err, errlen, "cannot listen on %s: %s", opt->listen, gai_strerror(gai));
		goto out;
	}
	struct sockaddr_storage sa;
	socklen_t salen = ai->ai_addrlen;
	if (salen > sizeof sa) {
		snprintf(err, errlen, "cannot listen on %s: address too long", opt->listen);
		goto out;
	}
	memcpy(&sa, ai->ai_addr, salen);
	if (port && probe_address((struct sockaddr *)&sa, salen, opt->listen, err, errlen))
		goto out;
	raise_fd_limit(opt->max_connections);

	if (!(h->threads = calloc(opt->threads, sizeof *h->threads)))
		goto oom;
	for (size_t i = 0; i < opt->threads; i++) {
		h->threads[i].efd = -1;
		h->nthreads = i + 1;
		if (thread_setup(h, &h->threads[i], i, &sa, salen, err, errlen))
			goto out;
	}
	*out = h;
	h = NULL;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (ai)
		freeaddrinfo(ai);
	free(labels);
	httpd_free(h);
	return rc;
}

int httpd_start(struct httpd *h, char *err, size_t errlen)
{
	sigset_t all, old;

	for (size_t i = 0; i < h->nthreads; i++) {
		struct httpd_thread *t = &h->threads[i];
		if (h->opt.thread_init) {
			if (h->opt.thread_init(i, h->opt.app, &t->tdata)) {
				snprintf(err, errlen, "cannot prepare event thread %zu", i);
				return -1;
			}
			t->tdata_set = 1;
		}
	}
	/* Event threads never take signals: the controlling thread waits for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 0; i < h->nthreads; i++) {
		struct httpd_thread *t = &h->threads[i];
		atomic_fetch_add(&h->running, 1);
		int e = pthread_create(&t->tid, NULL, thread_main, t);
		if (e) {
			atomic_fetch_sub(&h->running, 1);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			snprintf(err, errlen, "cannot start event thread %zu: %s", i, strerror(e));
			httpd_stop(h, 1);
			httpd_join(h);
			return -1;
		}
		t->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void httpd_join(struct httpd *h)
{
	for (size_t i = 0; i < h->nthreads; i++) {
		struct httpd_thread *t = &h->threads[i];
		if (t->started) {
			pthread_join(t->tid, NULL);
			t->started = 0;
		}
	}
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nthreads; i++) {
		struct httpd_thread *t = &h->threads[i];
		/* Connections go first (their requests become gone), then queued completions run. */
		if (t->http) {
			evhttp_free(t->http);
			t->http = NULL;
		}
		if (t->efd >= 0)
			run_posts(t);
	}
	for (size_t i = 0; i < h->nthreads; i++) {
		struct httpd_thread *t = &h->threads[i];
		thread_release(t);
		if (t->tdata_set && h->opt.thread_fini)
			h->opt.thread_fini(i, h->opt.app, t->tdata);
	}
	free(h->threads);
	metrics_free(h->metrics);
	free(h->table);
	free(h);
}
