/*
 * test_httpd — the HTTP layer in process: a real httpd with TLS (a certificate made in a temporary
 * directory) and test routes, driven with curl. Covers what the built-in routes cannot: handlers
 * that read JSON bodies (415 / 400 / 200), a handler that forgets to reply (500), a second reply,
 * the authorize hook, thread_init / thread_fini, asynchronous replies from another thread
 * (req_suspend / req_post), a graceful stop waiting for a suspended request, and a forced stop
 * whose completion then runs with req_gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"
#include "req.h"
#include "tls.h"

static char dir[] = "/tmp/test_httpd.XXXXXX";
static struct tls_server *tls;
static atomic_int suspended, completions, gone_seen, inits, finis;
static struct req *held;

/* ---- Test routes ---- */

static void echo(struct req *r)
{
	json_t *v;
	if (req_json_body(r, &v))
		return; /* replied */
	req_reply_json(r, 200, v);
}

static void noreply(struct req *r)
{
	(void)r;
}

static void twice(struct req *r)
{
	req_reply_bytes(r, 200, "text/plain; charset=utf-8", "first", 5, NULL);
	req_reply_bytes(r, 201, "text/plain; charset=utf-8", "second", 6, NULL);
}

static void private_(struct req *r)
{
	req_reply_json(r, 200, json_pack("{s:s}", "who", (const char *)req_auth(r)));
}

static void params(struct req *r)
{
	const char *q = req_query(r, "q");
	req_reply_json(r, 200, json_pack("{s:s, s:s, s:i}", "a", req_param(r, "a"), "q",
					 q ? q : "", "thread_data",
					 *(int *)req_thread_data(r)));
}

struct job {
	struct req *r;
	int n;
};

static void async_done(struct req *r, void *arg)
{
	struct job *j = arg;
	atomic_fetch_add(&completions, 1);
	if (req_gone(r))
		atomic_fetch_add(&gone_seen, 1);
	req_reply_json(r, 200, json_pack("{s:i}", "n", j->n)); /* dropped when gone */
	free(j);
}

static void *fake_writer(void *arg)
{
	struct job *j = arg;
	usleep(300 * 1000);
	req_post(j->r, async_done, j);
	return NULL;
}

static void async_(struct req *r)
{
	pthread_t tid;
	struct job *j = malloc(sizeof *j);
	if (!j)
		abort(); /* no cmocka asserts off the test's own thread */
	j->r = r;
	j->n = atoi(req_param(r, "n"));
	req_suspend(r); /* before another thread sees r */
	atomic_fetch_add(&suspended, 1);
	if (pthread_create(&tid, NULL, fake_writer, j))
		abort();
	pthread_detach(tid);
}

static void hold(struct req *r)
{
	req_suspend(r);
	held = r;
	atomic_fetch_add(&suspended, 1);
}

static const struct route routes[] = {
	{ROUTE_POST, "/echo", echo, ROUTE_PUBLIC},
	{ROUTE_GET, "/noreply", noreply, ROUTE_PUBLIC},
	{ROUTE_GET, "/twice", twice, ROUTE_PUBLIC},
	{ROUTE_GET, "/private", private_, ROUTE_COORDINATOR},
	{ROUTE_GET, "/p/{a}", params, ROUTE_PUBLIC},
	{ROUTE_GET, "/async/{n}", async_, ROUTE_PUBLIC},
	{ROUTE_GET, "/hold", hold, ROUTE_PUBLIC},
};

static int authorize(struct req *r, unsigned roles, void *app)
{
	const char *a = req_header(r, "Authorization");
	if (roles != ROUTE_COORDINATOR || strcmp(app, "app") != 0)
		abort();
	if (!a || strcmp(a, "Bearer good") != 0) {
		req_reply_error(r, 401, "unauthenticated", NULL, "who are you?");
		return -1;
	}
	req_set_auth(r, strdup("coordinator-1"), free);
	return 0;
}

static int thread_init(size_t index, void *app, void **tdata)
{
	int *p = malloc(sizeof *p);
	(void)app;
	if (!p)
		return -1;
	*p = 100 + (int)index;
	*tdata = p;
	atomic_fetch_add(&inits, 1);
	return 0;
}

static void thread_fini(size_t index, void *app, void *tdata)
{
	(void)index;
	(void)app;
	free(tdata);
	atomic_fetch_add(&finis, 1);
}

/* ---- Helpers ---- */

static struct httpd *start(size_t threads)
{
	char err[256];
	struct httpd *h;
	struct httpd_options o = {
		.listen = "127.0.0.1:0",
		.threads = threads,
		.max_body = 1024,
		.max_headers = 8192,
		.timeout = 10,
		.shutdown_timeout = 10,
		.max_connections = 100,
		.tls = tls,
		.routes = routes,
		.nroutes = sizeof routes / sizeof routes[0],
		.authorize = authorize,
		.thread_init = thread_init,
		.thread_fini = thread_fini,
		.app = "app",
	};
	if (httpd_new(&o, &h, err, sizeof err) || httpd_start(h, err, sizeof err))
		fail_msg("%s", err);
	return h;
}

static void stop(struct httpd *h, int force)
{
	httpd_stop(h, force);
	httpd_join(h);
	httpd_free(h);
}

/* Runs curl with args against path; returns "BODY\nSTATUS" (static buffer). */
static const char *curl(struct httpd *h, const char *args, const char *path)
{
	static char out[4096];
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "curl -sk -m 10 %s -w '\\n%%{http_code}' https://127.0.0.1:%u%s",
		 args, httpd_port(h), path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

/* ---- Tests ---- */

static void test_json_bodies(void **state)
{
	(void)state;
	struct httpd *h = start(2);
	assert_string_equal(curl(h, "-H 'Content-Type: application/json' -d '{\"a\":[1,2]}'", "/echo"),
			    "{\"a\":[1,2]}\n200");
	assert_string_equal(
		curl(h, "-H 'Content-Type: text/plain' -d '{}'", "/echo"),
		"{\"error\":{\"code\":\"unsupported_media_type\",\"message\":\"the request body must "
		"be sent as Content-Type: application/json\"}}\n415");
	/* '{"a":' ends after 5 characters: jansson reports line 1. */
	const char *got = curl(h, "-H 'Content-Type: application/json' -d '{\"a\":'", "/echo");
	assert_non_null(strstr(got, "{\"error\":{\"code\":\"bad_json\",\"message\":\"invalid JSON at "
				    "line 1, column "));
	assert_non_null(strstr(got, "\n400"));
	/* 2000 bytes: over max_body (1024), under 4 x max_body: our 413. */
	char args[2200] = "-H 'Content-Type: application/json' -d '\"";
	size_t l = strlen(args);
	memset(args + l, 'x', 2000);
	strcpy(args + l + 2000, "\"'");
	got = curl(h, args, "/echo");
	assert_string_equal(got, "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request "
				 "body is larger than 1024 bytes\"}}\n413");
	stop(h, 0);
}

static void test_handler_contract(void **state)
{
	(void)state;
	struct httpd *h = start(1);
	assert_string_equal(curl(h, "", "/noreply"),
			    "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}\n500");
	assert_string_equal(curl(h, "", "/twice"), "first\n200");
	assert_string_equal(curl(h, "", "/private"),
			    "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"who are you?\"}}"
			    "\n401");
	assert_string_equal(curl(h, "-H 'Authorization: Bearer good'", "/private"),
			    "{\"who\":\"coordinator-1\"}\n200");
	/* Parameters are decoded; the single thread's data is 100 + index 0. */
	assert_string_equal(curl(h, "", "/p/x%2Dy?q=a%20b"),
			    "{\"a\":\"x-y\",\"q\":\"a b\",\"thread_data\":100}\n200");
	assert_string_equal(curl(h, "", "/p/%00"),
			    "{\"error\":{\"code\":\"bad_request\",\"message\":\"malformed path\"}}\n400");
	/* No static site: everything outside /api is the built-in 404 page. */
	assert_non_null(strstr(curl(h, "", "/x"), "Page not found"));
	stop(h, 0);
}

static void test_threads_init_fini(void **state)
{
	(void)state;
	atomic_store(&inits, 0);
	atomic_store(&finis, 0);
	struct httpd *h = start(3);
	assert_int_equal(atomic_load(&inits), 3);
	assert_int_equal(httpd_running(h), 3);
	stop(h, 0);
	assert_int_equal(atomic_load(&finis), 3);
}

static void test_async_reply(void **state)
{
	(void)state;
	atomic_store(&completions, 0);
	struct httpd *h = start(2);
	assert_string_equal(curl(h, "", "/async/41"), "{\"n\":41}\n200");
	assert_int_equal(atomic_load(&completions), 1);
	stop(h, 0);
}

/* A graceful stop while a request waits for its completion: the reply still arrives. */
static void test_graceful_stop_waits(void **state)
{
	char cmd[256], out[256];
	(void)state;
	atomic_store(&suspended, 0);
	atomic_store(&completions, 0);
	struct httpd *h = start(2);
	snprintf(cmd, sizeof cmd, "curl -sk -m 10 -w ' %%{http_code}' https://127.0.0.1:%u/async/7",
		 httpd_port(h));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	for (int i = 0; i < 500 && !atomic_load(&suspended); i++)
		usleep(10 * 1000);
	assert_int_equal(atomic_load(&suspended), 1);
	httpd_stop(h, 0);
	httpd_join(h);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	assert_string_equal(out, "{\"n\":7} 200");
	assert_int_equal(atomic_load(&completions), 1);
	httpd_free(h);
}

/* A forced stop tears the connection down under a suspended request: the completion posted
 * afterwards still runs (in httpd_free), exactly once, and sees req_gone. */
static void test_forced_stop_gone(void **state)
{
	char cmd[256], out[256];
	(void)state;
	atomic_store(&suspended, 0);
	atomic_store(&completions, 0);
	atomic_store(&gone_seen, 0);
	held = NULL;
	struct httpd *h = start(1);
	snprintf(cmd, sizeof cmd, "curl -sk -m 10 -w ' %%{http_code}' https://127.0.0.1:%u/hold",
		 httpd_port(h));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	for (int i = 0; i < 500 && !atomic_load(&suspended); i++)
		usleep(10 * 1000);
	assert_non_null(held);
	httpd_stop(h, 1);
	httpd_join(h);
	struct job *j = malloc(sizeof *j);
	j->r = held;
	j->n = 1;
	assert_int_equal(req_post(held, async_done, j), 0);
	assert_int_equal(atomic_load(&completions), 0);
	httpd_free(h);
	assert_int_equal(atomic_load(&completions), 1);
	assert_int_equal(atomic_load(&gone_seen), 1);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	pclose(p);
	assert_string_equal(out, " 000"); /* the connection closed without a reply */
}

static int setup(void **state)
{
	char err[256], cert[64], key[64];
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cert, sizeof cert, "%s/c.pem", dir);
	snprintf(key, sizeof key, "%s/k.pem", dir);
	struct tls_options o = {.cert_path = cert, .key_path = key};
	if (tls_server_new(&o, &tls, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	tls_server_free(tls);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_bodies),      cmocka_unit_test(test_handler_contract),
		cmocka_unit_test(test_threads_init_fini), cmocka_unit_test(test_async_reply),
		cmocka_unit_test(test_graceful_stop_waits), cmocka_unit_test(test_forced_stop_gone),
	};
	if (system("curl --version >/dev/null 2>&1") != 0) {
		puts("test_httpd: curl not installed; skipped");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
