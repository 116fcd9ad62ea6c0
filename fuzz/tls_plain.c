/*
 * tls_plain — a plaintext stand-in for server/tls.c, linked instead of it into the request fuzzer
 * (fuzz/fuzz_request.c, built by fuzz/run.sh without server/tls.c) and into its replay test
 * (tests/unit/test_fuzz_request.c, which includes this file: its definitions then win over
 * libdelphi.a's tls.o, which the linker no longer needs). Never part of the delphi binary.
 *
 * It defines every function tls.h declares. The server side hands evhttp what tls_bevcb always
 * hands it, a bufferevent_filter over a socket bufferevent (httpd.c refuses connections without
 * one), but the filter moves bytes unchanged: the fuzzer speaks plain HTTP/1.1 to the real
 * httpd, router, handlers and writer, at thousands of requests a second instead of the few
 * hundred a TLS handshake per request would allow. The filter keeps tls.c's rule for evhttp's
 * write callback ("the reply is sent"): it runs only once every byte is in the kernel, from an
 * event holding a reference on the filter, never from inside the filter's own processing, so that
 * evhttp closing a connection (Connection: close) never cuts a reply short (tls.h, "What evhttp
 * sees"). Certificates, fingerprints and reloads are no-ops; the TLS client (SMTP) always fails.
 *
 * TLS itself is covered elsewhere: tests/unit/test_tls.c, tests/integration/https.sh and
 * `make tls-audit`.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "crypto.h"
#include "tls.h"

struct tls_server {
	_Atomic uint64_t open;
};

/* One connection; owned by the filter (freed by plain_conn_free, its free_context). */
struct plain_conn {
	struct tls_server *ts;
	struct bufferevent *under;  /* socket bufferevent, freed by the filter (CLOSE_ON_FREE) */
	struct bufferevent *filter; /* what evhttp sees */
	struct event *kick;
	struct evbuffer_cb_entry *out_cb, *uout_cb;
	unsigned kick_pending : 1; /* kick active, holding a reference on the filter */
	unsigned withheld : 1;     /* output moved on, evhttp's write callback not yet run */
	unsigned in_kick : 1;      /* kick_cb is flushing: it delivers the write callback */
};

int tls_server_new(const struct tls_options *opt, struct tls_server **out, char *err,
		   size_t errlen)
{
	(void)opt;
	*out = NULL;
	if (crypto_init()) {
		snprintf(err, errlen, "cannot seed the random generator");
		return -1;
	}
	if (!(*out = calloc(1, sizeof **out))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void tls_server_free(struct tls_server *ts)
{
	free(ts);
}

int tls_server_reload(struct tls_server *ts, char *err, size_t errlen)
{
	(void)ts;
	(void)err;
	(void)errlen;
	return 0;
}

void tls_server_fingerprint(struct tls_server *ts, char *out, size_t size)
{
	(void)ts;
	if (size)
		snprintf(out, size, "%s", size >= TLS_FINGERPRINT_SIZE ? "plaintext (fuzz build)" : "");
}

void tls_server_stats(struct tls_server *ts, struct tls_stats *out)
{
	out->handshakes_ok = 0;
	out->handshakes_failed = 0;
	out->open_connections = atomic_load_explicit(&ts->open, memory_order_relaxed);
}

/* ---- connections ------------------------------------------------------------------------- */

/* Whether the filter is still linked to under (see tls.c's conn_linked: once the filter is being
 * freed, taking a new reference on it would finalize it twice). */
static int plain_linked(struct plain_conn *c)
{
	bufferevent_event_cb ecb = NULL;
	bufferevent_getcb(c->under, NULL, NULL, &ecb, NULL);
	return ecb != NULL;
}

static void plain_kick(struct plain_conn *c)
{
	if (c->kick_pending || !plain_linked(c))
		return;
	c->kick_pending = 1;
	bufferevent_incref(c->filter);
	event_active(c->kick, EV_TIMEOUT, 1);
}

static enum bufferevent_filter_result plain_in(struct evbuffer *src, struct evbuffer *dst,
					       ev_ssize_t dst_limit,
					       enum bufferevent_flush_mode mode, void *arg)
{
	(void)dst_limit;
	(void)mode;
	(void)arg;
	if (!evbuffer_get_length(src))
		return BEV_NEED_MORE;
	return evbuffer_add_buffer(dst, src) ? BEV_ERROR : BEV_OK;
}

/* Moves the filter's output to under's once under's is empty. Never BEV_OK, which would run
 * evhttp's write callback from inside the filter (tls.c's out_filter says why that is unsafe):
 * plain_kick_cb delivers it once under has written everything. */
static enum bufferevent_filter_result plain_out(struct evbuffer *src, struct evbuffer *dst,
						ev_ssize_t dst_limit,
						enum bufferevent_flush_mode mode, void *arg)
{
	struct plain_conn *c = arg;
	(void)dst_limit;
	(void)mode;
	if (evbuffer_get_length(dst) || !evbuffer_get_length(src))
		return BEV_NEED_MORE; /* called again from under's write callback once drained */
	if (evbuffer_add_buffer(dst, src))
		return BEV_ERROR;
	c->withheld = 1; /* delivered by uout_cb's kick once under's output has drained */
	return BEV_NEED_MORE;
}

/* evhttp appended while writing was disabled (evhttp_send_reply): nothing would process it. */
static void plain_out_added_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
			       void *arg)
{
	struct plain_conn *c = arg;
	(void)buf;
	if (info->n_added && !(bufferevent_get_enabled(c->filter) & EV_WRITE))
		plain_kick(c);
}

/* under's output has drained: if evhttp's write callback was held back for it, deliver it. */
static void plain_uout_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct plain_conn *c = arg;
	if (info->n_deleted && c->withheld && !evbuffer_get_length(buf))
		plain_kick(c);
}

/* Moves what evhttp queued while writing was disabled, and runs evhttp's write callback once
 * everything is in the kernel; holds a reference on the filter, so evhttp may free it inside. */
static void plain_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct plain_conn *c = arg;
	struct bufferevent *filter = c->filter;
	(void)fd;
	(void)what;
	c->kick_pending = 0;
	if (!(bufferevent_get_enabled(filter) & EV_WRITE)) {
		c->withheld = 0; /* evhttp has moved on without the callback */
	} else {
		if (evbuffer_get_length(bufferevent_get_output(filter))) {
			c->in_kick = 1;
			bufferevent_flush(filter, EV_WRITE, BEV_NORMAL);
			c->in_kick = 0;
		}
		if (c->withheld && !evbuffer_get_length(bufferevent_get_output(filter)) &&
		    !evbuffer_get_length(bufferevent_get_output(c->under))) {
			c->withheld = 0;
			bufferevent_trigger(filter, EV_WRITE, 0);
		}
	}
	bufferevent_decref(filter);
}

/* The filter's free_context: runs when libevent finalizes the filter (under is still alive). */
static void plain_conn_free(void *arg)
{
	struct plain_conn *c = arg;
	if (c->out_cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->filter), c->out_cb);
	if (c->uout_cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->under), c->uout_cb);
	if (c->kick)
		event_free(c->kick);
	atomic_fetch_sub_explicit(&c->ts->open, 1, memory_order_relaxed);
	free(c);
}

struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
	struct tls_server *ts = arg;
	struct plain_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ts = ts;
	atomic_fetch_add_explicit(&ts->open, 1, memory_order_relaxed);
	if (!(c->kick = event_new(base, -1, 0, plain_kick_cb, c)) ||
	    !(c->under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)))
		goto fail;
	c->filter = bufferevent_filter_new(c->under, plain_in, plain_out, BEV_OPT_CLOSE_ON_FREE,
					   plain_conn_free, c);
	if (!c->filter) {
		bufferevent_free(c->under);
		goto fail;
	}
	/* from here on the filter owns c */
	c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->filter), plain_out_added_cb, c);
	c->uout_cb = evbuffer_add_cb(bufferevent_get_output(c->under), plain_uout_cb, c);
	if (!c->out_cb || !c->uout_cb) {
		bufferevent_free(c->filter);
		return NULL;
	}
	return c->filter;
fail:
	c->under = NULL;
	if (c->kick)
		event_free(c->kick);
	atomic_fetch_sub_explicit(&ts->open, 1, memory_order_relaxed);
	free(c);
	return NULL;
}

/* ---- TLS client: none in this build ------------------------------------------------------- */

struct tls_client {
	int unused;
};

struct tls_client *tls_client_new(int fd, const char *server_name, int verify,
				  const char *ca_file, char *err, size_t errlen)
{
	(void)fd;
	(void)server_name;
	(void)verify;
	(void)ca_file;
	snprintf(err, errlen, "no TLS client in the fuzz build (fuzz/tls_plain.c)");
	return NULL;
}

long tls_client_read(struct tls_client *c, void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return -1;
}

int tls_client_write(struct tls_client *c, const void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return -1;
}

const char *tls_client_error(const struct tls_client *c)
{
	(void)c;
	return "no TLS client in the fuzz build";
}

void tls_client_free(struct tls_client *c)
{
	(void)c;
}
