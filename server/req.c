/* req — request context, bounded JSON bodies, replies with security headers. See req.h. */
#include "req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "httpd_int.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

const struct req_header_pair req_security_headers[] = {
	{"Strict-Transport-Security", "max-age=31536000"},
	{"Content-Security-Policy",
	 "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
	{NULL, NULL},
};

#define JSON_TYPE "application/json; charset=utf-8"

/* ---- Pure helpers ---- */

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int req_is_json_type(const char *ct)
{
	static const char type[] = "application/json";
	if (!ct)
		return 0;
	ct = skip_ws(ct);
	if (strncasecmp(ct, type, sizeof type - 1) != 0)
		return 0;
	const char *p = skip_ws(ct + sizeof type - 1);
	while (*p) {
		if (*p != ';')
			return 0;
		p = skip_ws(p + 1);
		if (*p == ';' || *p == '\0')
			continue; /* an empty parameter ("application/json;") */
		size_t nlen = strcspn(p, "=; \t");
		const char *name = p;
		p = skip_ws(p + nlen);
		if (*p != '=')
			return 0;
		p = skip_ws(p + 1);
		const char *val;
		size_t vlen;
		if (*p == '"') {
			val = ++p;
			vlen = strcspn(p, "\"");
			if (p[vlen] != '"')
				return 0;
			p += vlen + 1;
		} else {
			val = p;
			vlen = strcspn(p, "; \t");
			p += vlen;
		}
		if (nlen == 0)
			return 0;
		if (nlen == 7 && !strncasecmp(name, "charset", 7) &&
		    !(vlen == 5 && !strncasecmp(val, "utf-8", 5)))
			return 0;
		p = skip_ws(p);
	}
	return 1;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 if s does not start one. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	unsigned n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	unsigned long cp = c & (0x7f >> n); /* the lead byte's payload bits */
	if (n <= 1)
		return n;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A JSON string of s; bytes that are not well-formed UTF-8 become '?'. Messages quote what
 * clients sent (a topic from the path may hold any bytes, or be cut inside a character), and
 * jansson refuses such strings: the error reply must not turn into a 500. NULL on OOM. */
static json_t *lossy_string(const char *s)
{
	json_t *v = json_string(s);
	if (v)
		return v;
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	for (unsigned char *p = (unsigned char *)copy; *p;) {
		size_t n = utf8_seq(p);
		if (n) {
			p += n;
		} else {
			*p++ = '?';
		}
	}
	v = json_string(copy);
	free(copy);
	return v;
}

json_t *req_error_json(const char *code, const char *message, const char *field)
{
	json_t *e = json_pack("{s:s}", "code", code ? code : "internal");
	if (!e)
		return NULL;
	if (json_object_set_new(e, "message", lossy_string(message ? message : "")) ||
	    (field && json_object_set_new(e, "field", lossy_string(field)))) {
		json_decref(e);
		return NULL;
	}
	return json_pack("{s:o}", "error", e);
}

int req_parse_json(const char *content_type, const void *body, size_t len, size_t max,
		   json_t **out, struct req_problem *p)
{
	json_error_t je;
	p->status = 0;
	p->code = NULL;
	p->message[0] = '\0';
	*out = NULL;
	if (len > max) {
		p->status = 413;
		p->code = "body_too_large";
		snprintf(p->message, sizeof p->message, "the request body is larger than %zu bytes",
			 max);
		return -1;
	}
	if (!req_is_json_type(content_type)) {
		p->status = 415;
		p->code = "unsupported_media_type";
		snprintf(p->message, sizeof p->message,
			 "the request body must be sent as Content-Type: application/json");
		return -1;
	}
	if (len == 0) {
		p->status = 400;
		p->code = "bad_json";
		snprintf(p->message, sizeof p->message, "the request body is empty");
		return -1;
	}
	*out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!*out) {
		p->status = 400;
		p->code = "bad_json";
		snprintf(p->message, sizeof p->message, "invalid JSON at line %d, column %d: %s",
			 je.line, je.column, je.text);
		return -1;
	}
	return 0;
}

/* ---- The request context ---- */

struct req *req_new_internal(struct httpd_thread *t, struct evhttp_request *ev,
			     struct httpd_conn *conn, unsigned method)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->ev = ev;
	r->thr = t;
	r->conn = conn;
	r->refs = 1;
	r->method = method;
	r->route_label = "unmatched";
	r->start_us = httpd_now_us();
	r->query.tqh_first = NULL; /* TAILQ_INIT: keyvalq_struct.h has no macro for it */
	r->query.tqh_last = &r->query.tqh_first;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	if (evcon) {
		char *addr = NULL;
		ev_uint16_t port = 0;
		evhttp_connection_get_peer(evcon, &addr, &port);
		if (addr)
			snprintf(r->peer, sizeof r->peer, "%s", addr);
	}
	return r;
}

void req_unref(struct req *r)
{
	if (!r || --r->refs > 0)
		return;
	if (r->query_state)
		evhttp_clear_headers(&r->query);
	if (r->auth_free && r->auth)
		r->auth_free(r->auth);
	free(r);
}

void req_detach(struct req *r, int gone)
{
	r->ev = NULL;
	r->conn = NULL;
	if (gone)
		r->gone = 1;
	req_unref(r);
}

unsigned req_method(const struct req *r)
{
	return r->method;
}

const char *req_route_label(const struct req *r)
{
	return r->route_label;
}

const char *req_param(const struct req *r, const char *name)
{
	return route_param(&r->match, name);
}

const char *req_query(struct req *r, const char *name)
{
	if (!r->ev)
		return NULL;
	if (!r->query_state) {
		const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(r->ev);
		const char *q = u ? evhttp_uri_get_query(u) : NULL;
		r->query_state = 1;
		if (q && evhttp_parse_query_str(q, &r->query) != 0)
			r->query_state = -1;
	}
	if (r->query_state < 0)
		return NULL;
	return evhttp_find_header(&r->query, name);
}

const char *req_header(const struct req *r, const char *name)
{
	if (!r->ev)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

const char *req_path(const struct req *r)
{
	const struct evhttp_uri *u = r->ev ? evhttp_request_get_evhttp_uri(r->ev) : NULL;
	const char *p = u ? evhttp_uri_get_path(u) : NULL;
	return p ? p : "";
}

const char *req_peer(const struct req *r)
{
	return r->peer;
}

void *req_app(const struct req *r)
{
	return httpd_app(r->thr);
}

void *req_thread_data(const struct req *r)
{
	return httpd_thread_data(r->thr);
}

size_t req_thread_index(const struct req *r)
{
	return httpd_thread_index(r->thr);
}

void req_set_auth(struct req *r, void *principal, void (*free_fn)(void *))
{
	if (r->auth_free && r->auth && r->auth != principal)
		r->auth_free(r->auth);
	r->auth = principal;
	r->auth_free = free_fn;
}

void *req_auth(const struct req *r)
{
	return r->auth;
}

int req_gone(const struct req *r)
{
	return r->gone;
}

int req_replied(const struct req *r)
{
	return r->replied || r->gone;
}

/* ---- Body ---- */

/* The body limit of r's route (httpd_options.route_max_body), else --max-body. */
static size_t req_max_body(const struct req *r)
{
	return r->max_body ? r->max_body : httpd_max_body(r->thr);
}

static int body_bytes(struct req *r, const unsigned char **data, size_t *len)
{
	struct evbuffer *in = r->ev ? evhttp_request_get_input_buffer(r->ev) : NULL;
	*len = in ? evbuffer_get_length(in) : 0;
	*data = NULL;
	if (*len) {
		*data = evbuffer_pullup(in, -1);
		if (!*data)
			return -1;
	}
	return 0;
}

int req_body(struct req *r, const unsigned char **data, size_t *len)
{
	size_t max = req_max_body(r);
	if (body_bytes(r, data, len)) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	if (*len > max) {
		req_reply_error(r, 413, "body_too_large", NULL,
				"the request body is larger than %zu bytes", max);
		return -1;
	}
	return 0;
}

int req_json_body(struct req *r, json_t **out)
{
	const unsigned char *data;
	size_t len;
	struct req_problem p;
	*out = NULL;
	if (body_bytes(r, &data, &len)) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	if (req_parse_json(req_header(r, "Content-Type"), data, len, req_max_body(r), out,
			   &p)) {
		req_reply_error(r, p.status, p.code, NULL, "%s", p.message);
		return -1;
	}
	return 0;
}

/* ---- Replies ---- */

static int header_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

int req_add_header(struct req *r, const char *name, const char *value)
{
	if (r->replied || !r->ev || !header_ok(name) || !header_ok(value) || !*name)
		return -1;
	if (evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value))
		return -1;
	if (!strcasecmp(name, "Cache-Control"))
		r->own_cache_control = 1;
	return 0;
}

struct owned {
	void *data;
	void (*free_fn)(void *);
};

static void owned_cleanup(const void *data, size_t len, void *arg)
{
	struct owned *o = arg;
	(void)data;
	(void)len;
	o->free_fn(o->data);
	free(o);
}

static void free_owned_now(const void *data, void (*free_fn)(void *))
{
	if (free_fn)
		free_fn((void *)data);
}

/* The one place a reply leaves: headers, body (or Content-Length only), log, metrics. Takes the
 * data as req_reply_bytes does. */
static void send_reply(struct req *r, int status, const char *ctype, const void *data, size_t len,
		       void (*free_fn)(void *))
{
	uint64_t us = httpd_now_us() - r->start_us;
	const char *mname = route_method_name(r->method);

	if (r->replied) {
		log_warnx("%s %s: a second reply (%d) was dropped", mname, r->route_label, status);
		free_owned_now(data, free_fn);
		return;
	}
	r->replied = 1;
	if (!r->ev || r->gone) {
		log_info("%s %s %d - %lluus (connection gone)", mname, r->route_label, status,
			 (unsigned long long)us);
		free_owned_now(data, free_fn);
		return;
	}

	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
	struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
	for (const struct req_header_pair *p = req_security_headers; p->name; p++)
		evhttp_add_header(h, p->name, p->value);
	if (!r->own_cache_control)
		evhttp_add_header(h, "Cache-Control", "no-store");
	int no_body = status == 204 || status == 304 || status < 200;
	if (no_body) {
		free_owned_now(data, free_fn);
		data = NULL;
		len = 0;
	} else {
		if (ctype)
			evhttp_add_header(h, "Content-Type", ctype);
		if (r->method == ROUTE_HEAD) {
			char n[32];
			snprintf(n, sizeof n, "%zu", len);
			evhttp_add_header(h, "Content-Length", n);
			free_owned_now(data, free_fn);
		} else if (len) {
			struct owned *o = NULL;
			int rc;
			if (free_fn && !(o = malloc(sizeof *o))) {
				free_owned_now(data, free_fn);
				rc = -1;
			} else if (o) {
				o->data = (void *)data;
				o->free_fn = free_fn;
				rc = evbuffer_add_reference(out, data, len, owned_cleanup, o);
				if (rc)
					owned_cleanup(data, len, o);
			} else {
				rc = evbuffer_add_reference(out, data, len, NULL, NULL);
			}
			if (rc) {
				/* Out of memory: say so without a body rather than send a wrong one. */
				status = 500;
				len = 0;
			}
		} else {
			free_owned_now(data, free_fn);
		}
	}
	size_t idx = r->route_index;
	unsigned mi = route_method_index(r->method);
	struct metrics *m = httpd_thread_metrics(r->thr);
	size_t shard = httpd_thread_index(r->thr);
	httpd_access_log(r->thr, mname, r->route_label, status, len, us);
	evhttp_send_reply(r->ev, status, NULL, NULL);
	/* r stays valid: the caller holds a reference while a handler or completion runs. */
	metrics_observe_request(m, shard, idx, mi, status, us, len);
}

void req_reply_bytes(struct req *r, int status, const char *content_type, const void *data,
		     size_t len, void (*free_fn)(void *))
{
	send_reply(r, status, content_type, data, len, free_fn);
}

void req_reply_empty(struct req *r, int status)
{
	send_reply(r, status, NULL, NULL, 0, NULL);
}

void req_reply_json(struct req *r, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		static const char oom[] =
			"{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
		send_reply(r, 500, JSON_TYPE, oom, sizeof oom - 1, NULL);
		return;
	}
	send_reply(r, status, JSON_TYPE, text, strlen(text), free);
}

void req_reply_error(struct req *r, int status, const char *code, const char *field,
		     const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_debug("%s %s %d %s: %s", route_method_name(r->method), r->route_label, status, code,
		  msg);
	req_reply_json(r, status, req_error_json(code, msg, field));
}

/* ---- Asynchronous replies ---- */

void req_after_handler(struct req *r)
{
	if (r->replied || r->suspended)
		return;
	if (!r->gone)
		log_warnx("%s %s: the handler did not reply", route_method_name(r->method),
			  r->route_label);
	req_reply_error(r, 500, "internal", NULL, "internal error");
}

void req_suspend(struct req *r)
{
	if (r->replied || r->suspended)
		return;
	r->suspended = 1;
	r->refs++;
}

static void resume_cb(struct httpd_post *p)
{
	struct req *r = (struct req *)(void *)((char *)p - offsetof(struct req, post));
	r->suspended = 0;
	r->resume(r, r->resume_arg);
	req_after_handler(r);
	req_unref(r); /* the suspension's reference */
}

int req_post(struct req *r, req_resume_fn *fn, void *arg)
{
	if (!r || !fn)
		return -1;
	r->resume = fn;
	r->resume_arg = arg;
	r->post.fn = resume_cb;
	r->post.next = NULL;
	httpd_thread_post(r->thr, &r->post);
	return 0;
}
