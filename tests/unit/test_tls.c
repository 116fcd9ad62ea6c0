/*
 * test_tls — the TLS module (server/tls.c): certificate generation, loading and reload, and the
 * evhttp bufferevent checked end to end with real clients.
 *
 * The expected values come from outside tls.c: file modes from stat(2), certificate contents,
 * validity and SHA-256 fingerprints as the openssl command prints them, and HTTP behaviour as
 * curl and `openssl s_client` see it. The end-to-end group runs a small evhttp server (test-only
 * handler below) on 127.0.0.1, an ephemeral port, in a thread of its own, with tls_bevcb.
 * Needs the curl and openssl programs (tools/install-deps.sh installs them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"
#include "tls.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static char tmpdir[64];

static char *path_in(const char *name)
{
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof paths[0], "%s/%s", tmpdir, name);
	return p;
}

/* Runs a shell command, its stdout (and stderr when the command redirects it) into out.
 * Returns the exit status, or -1 if it did not exit normally. */
static int run(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(struct buf *out, const char *fmt, ...)
{
	struct buf cmd = BUF_INIT;
	char chunk[4096];
	size_t n;
	va_list ap;
	buf_init(&cmd);
	va_start(ap, fmt);
	buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	if (out)
		buf_reset(out);
	FILE *f = popen(cmd.data, "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (out)
			buf_add(out, chunk, n);
	int st = pclose(f);
	buf_release(&cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The fingerprint openssl computes for a PEM certificate file, "AB:CD:..." (96 bytes). */
static void openssl_fingerprint(const char *cert, char out[TLS_FINGERPRINT_SIZE])
{
	struct buf o = BUF_INIT;
	buf_init(&o);
	assert_int_equal(run(&o, "openssl x509 -in '%s' -noout -fingerprint -sha256", cert), 0);
	/* "sha256 Fingerprint=AB:...:EF\n" */
	const char *eq = strchr(o.data, '=');
	assert_non_null(eq);
	assert_true(strlen(eq + 1) >= TLS_FINGERPRINT_SIZE - 1);
	memcpy(out, eq + 1, TLS_FINGERPRINT_SIZE - 1);
	out[TLS_FINGERPRINT_SIZE - 1] = '\0';
	buf_release(&o);
}

/* A fresh ECDSA P-256 self-signed pair made by openssl (for reload). */
static void openssl_pair(const char *cert, const char *key, const char *cn)
{
	assert_int_equal(run(NULL,
			     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
			     "-keyout '%s' -out '%s' -days 30 -subj '/CN=%s' 2>/dev/null",
			     key, cert, cn),
			 0);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ---- certificates and keys --------------------------------------------------------------- */

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/delphi-test-tls-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	return run(NULL, "rm -rf '%s'", tmpdir);
}

static void test_generates_pair_with_modes(void **state)
{
	struct tls_options opt = {path_in("gen.crt"), path_in("gen.key")};
	struct tls_server *ts = NULL;
	struct stat st;
	char err[256] = "", fp[TLS_FINGERPRINT_SIZE], want[TLS_FINGERPRINT_SIZE];
	struct buf o = BUF_INIT;
	(void)state;
	buf_init(&o);

	assert_int_equal(tls_server_new(&opt, &ts, err, sizeof err), 0);
	assert_non_null(ts);
	assert_int_equal(stat(opt.key_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(opt.cert_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* no temporary files left behind */
	assert_int_equal(access(path_in("gen.crt.tmp"), F_OK), -1);
	assert_int_equal(access(path_in("gen.key.tmp"), F_OK), -1);

	assert_int_equal(run(&o, "head -1 '%s'", opt.key_path), 0);
	assert_string_equal(o.data, "-----BEGIN EC PRIVATE KEY-----\n");

	/* what a client sees in the certificate */
	assert_int_equal(run(&o, "openssl x509 -in '%s' -noout -text", opt.cert_path), 0);
	assert_non_null(strstr(o.data, "Signature Algorithm: ecdsa-with-SHA256"));
	assert_non_null(strstr(o.data, "Public-Key: (256 bit)"));
	assert_non_null(strstr(o.data, "NIST CURVE: P-256"));
	assert_non_null(strstr(o.data, "Subject: CN = localhost, O = delphi"));
	assert_non_null(strstr(o.data, "CA:FALSE"));
	assert_non_null(strstr(o.data, "Digital Signature"));
	/* a server certificate: extendedKeyUsage serverAuth (and nothing else) */
	assert_non_null(strstr(o.data, "X509v3 Extended Key Usage: \n"
				       "                TLS Web Server Authentication\n"));
	assert_non_null(strstr(o.data, "DNS:localhost, IP Address:127.0.0.1"));
	assert_non_null(strstr(o.data, "X509v3 Subject Key Identifier"));
	/* openssl's own purpose check agrees: the certificate is fit for a TLS server, not for a
	 * TLS client */
	assert_int_equal(run(&o, "openssl x509 -in '%s' -noout -purpose", opt.cert_path), 0);
	assert_non_null(strstr(o.data, "SSL server : Yes\n"));
	assert_non_null(strstr(o.data, "SSL client : No\n"));

	/* valid from (about) now for 10 years: notAfter's year is this year + 10 */
	struct tm tm;
	time_t now = time(NULL);
	char year[32];
	gmtime_r(&now, &tm);
	snprintf(year, sizeof year, " %d GMT", tm.tm_year + 1900 + 10);
	assert_int_equal(run(&o, "openssl x509 -in '%s' -noout -enddate", opt.cert_path), 0);
	assert_non_null(strstr(o.data, year));
	assert_int_equal(run(NULL, "openssl x509 -in '%s' -noout -checkend 0", opt.cert_path), 0);
	/* and the key matches it: same public key from both files */
	assert_int_equal(run(&o,
			     "test \"$(openssl pkey -in '%s' -pubout)\" = "
			     "\"$(openssl x509 -in '%s' -noout -pubkey)\" && echo same",
			     opt.key_path, opt.cert_path),
			 0);
	assert_string_equal(o.data, "same\n");

	tls_server_fingerprint(ts, fp, sizeof fp);
	openssl_fingerprint(opt.cert_path, want);
	assert_string_equal(fp, want);

	struct tls_stats s;
	tls_server_stats(ts, &s);
	assert_int_equal(s.handshakes_ok, 0);
	assert_int_equal(s.handshakes_failed, 0);
	assert_int_equal(s.open_connections, 0);
	tls_server_free(ts);
	buf_release(&o);
}

static void test_fingerprint_format(void **state)
{
	struct tls_options opt = {path_in("gen.crt"), path_in("gen.key")};
	struct tls_server *ts = NULL;
	char err[256], fp[128], small[TLS_FINGERPRINT_SIZE - 1];
	(void)state;
	assert_int_equal(tls_server_new(&opt, &ts, err, sizeof err), 0);
	memset(fp, 'x', sizeof fp);
	tls_server_fingerprint(ts, fp, sizeof fp);
	/* 32 bytes: 32 pairs of upper-case hex digits, 31 colons: 95 characters */
	assert_int_equal(strlen(fp), 95);
	for (int i = 0; i < 95; i++) {
		if (i % 3 == 2)
			assert_int_equal(fp[i], ':');
		else
			assert_non_null(strchr("0123456789ABCDEF", fp[i]));
	}
	memset(small, 'x', sizeof small);
	tls_server_fingerprint(ts, small, sizeof small);
	assert_string_equal(small, "");
	tls_server_free(ts);
}

static void test_loads_existing_pair_without_rewriting(void **state)
{
	struct tls_options opt = {path_in("gen.crt"), path_in("gen.key")};
	struct tls_server *ts = NULL;
	struct stat before_c, before_k, after_c, after_k;
	char err[256], want[TLS_FINGERPRINT_SIZE], fp[TLS_FINGERPRINT_SIZE];
	(void)state;
	assert_int_equal(stat(opt.cert_path, &before_c), 0);
	assert_int_equal(stat(opt.key_path, &before_k), 0);
	assert_int_equal(tls_server_new(&opt, &ts, err, sizeof err), 0);
	assert_int_equal(stat(opt.cert_path, &after_c), 0);
	assert_int_equal(stat(opt.key_path, &after_k), 0);
	assert_int_equal(before_c.st_ino, after_c.st_ino);
	assert_int_equal(before_k.st_ino, after_k.st_ino);
	assert_int_equal(before_k.st_mtime, after_k.st_mtime);
	tls_server_fingerprint(ts, fp, sizeof fp);
	openssl_fingerprint(opt.cert_path, want);
	assert_string_equal(fp, want);
	tls_server_free(ts);

	/* a pair made by someone else loads too */
	openssl_pair(path_in("other.crt"), path_in("other.key"), "other");
	struct tls_options o2 = {path_in("other.crt"), path_in("other.key")};
	assert_int_equal(tls_server_new(&o2, &ts, err, sizeof err), 0);
	tls_server_fingerprint(ts, fp, sizeof fp);
	openssl_fingerprint(o2.cert_path, want);
	assert_string_equal(fp, want);
	tls_server_free(ts);
}

static void test_refuses_half_pair(void **state)
{
	struct tls_server *ts = (void *)1;
	char err[256];
	struct stat st;
	(void)state;
	/* a key without certificate: an error, and the key is left alone */
	assert_int_equal(run(NULL, "cp '%s' '%s'", path_in("gen.key"), path_in("half.key")), 0);
	assert_int_equal(stat(path_in("half.key"), &st), 0);
	struct tls_options opt = {path_in("half.crt"), path_in("half.key")};
	assert_int_equal(tls_server_new(&opt, &ts, err, sizeof err), -1);
	assert_null(ts);
	assert_non_null(strstr(err, "half.key exists but"));
	assert_int_equal(run(NULL, "cmp -s '%s' '%s'", path_in("gen.key"), path_in("half.key")), 0);
	assert_int_equal(access(path_in("half.crt"), F_OK), -1);

	/* a certificate without key */
	struct tls_options o2 = {path_in("gen.crt"), path_in("none.key")};
	assert_int_equal(tls_server_new(&o2, &ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "gen.crt exists but"));

	/* a directory that does not exist */
	struct tls_options o3 = {path_in("no/such.crt"), path_in("no/such.key")};
	assert_int_equal(tls_server_new(&o3, &ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot create"));

	struct tls_options o4 = {NULL, path_in("x.key")};
	assert_int_equal(tls_server_new(&o4, &ts, err, sizeof err), -1);
}

static void test_rejects_bad_files(void **state)
{
	struct tls_server *ts = NULL;
	char err[256];
	(void)state;
	/* the key of another certificate */
	struct tls_options mism = {path_in("gen.crt"), path_in("other.key")};
	assert_int_equal(tls_server_new(&mism, &ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not belong to certificate"));

	/* not PEM at all */
	assert_int_equal(run(NULL, "echo garbage > '%s'", path_in("junk.crt")), 0);
	struct tls_options junk = {path_in("junk.crt"), path_in("gen.key")};
	assert_int_equal(tls_server_new(&junk, &ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot load certificate"));
	struct tls_options junk2 = {path_in("gen.crt"), path_in("junk.crt")};
	assert_int_equal(tls_server_new(&junk2, &ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot load key"));
	/* no key material in messages */
	assert_null(strstr(err, "PRIVATE"));
}

static void test_reload(void **state)
{
	char err[256], fp0[TLS_FINGERPRINT_SIZE], fp[TLS_FINGERPRINT_SIZE],
		want[TLS_FINGERPRINT_SIZE];
	struct tls_server *ts = NULL;
	(void)state;
	assert_int_equal(run(NULL, "cp -p '%s' '%s' && cp -p '%s' '%s'", path_in("gen.crt"),
			     path_in("live.crt"), path_in("gen.key"), path_in("live.key")),
			 0);
	struct tls_options opt = {path_in("live.crt"), path_in("live.key")};
	assert_int_equal(tls_server_new(&opt, &ts, err, sizeof err), 0);
	tls_server_fingerprint(ts, fp0, sizeof fp0);

	/* a new pair in place: reload takes it */
	openssl_pair(path_in("new.crt"), path_in("new.key"), "new");
	assert_int_equal(run(NULL, "cp '%s' '%s' && cp '%s' '%s'", path_in("new.crt"),
			     path_in("live.crt"), path_in("new.key"), path_in("live.key")),
			 0);
	assert_int_equal(tls_server_reload(ts, err, sizeof err), 0);
	tls_server_fingerprint(ts, fp, sizeof fp);
	openssl_fingerprint(path_in("new.crt"), want);
	assert_string_equal(fp, want);
	assert_string_not_equal(fp, fp0);

	/* a broken certificate: reload fails and the loaded pair stays */
	assert_int_equal(run(NULL, "echo garbage > '%s'", path_in("live.crt")), 0);
	assert_int_equal(tls_server_reload(ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "live.crt"));
	tls_server_fingerprint(ts, fp, sizeof fp);
	assert_string_equal(fp, want);

	/* a certificate whose key was not replaced with it: refused as well */
	assert_int_equal(run(NULL, "cp '%s' '%s'", path_in("gen.crt"), path_in("live.crt")), 0);
	assert_int_equal(tls_server_reload(ts, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not belong"));
	tls_server_fingerprint(ts, fp, sizeof fp);
	assert_string_equal(fp, want);

	/* reload never generates */
	assert_int_equal(unlink(path_in("live.crt")), 0);
	assert_int_equal(tls_server_reload(ts, err, sizeof err), -1);
	assert_int_equal(access(path_in("live.crt"), F_OK), -1);
	tls_server_free(ts);
	tls_server_free(NULL);
}

/* ---- end to end -------------------------------------------------------------------------- */

#define BIG_LEN (1024 * 1024)

struct server {
	pthread_t thread;
	struct tls_server *ts;
	int port;
	int stop[2]; /* a byte on stop[1] ends the loop */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready;
};

static struct server srv;
static int fds_serving; /* descriptors open once the server is up, before any connection */

/* Byte i of a /big reply. */
static char big_byte(size_t i)
{
	return (char)('a' + i % 26);
}

/* GET /ok → "ok"; GET /big?n=N → N pattern bytes; POST /echo → the body; else 404. */
static void handler(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *out = evbuffer_new();
	(void)arg;
	if (!strcmp(uri, "/ok")) {
		evbuffer_add(out, "ok", 2);
	} else if (!strncmp(uri, "/big?n=", 7)) {
		size_t n = strtoul(uri + 7, NULL, 10);
		char *b = malloc(n);
		for (size_t i = 0; i < n; i++)
			b[i] = big_byte(i);
		evbuffer_add(out, b, n);
		free(b);
	} else if (!strcmp(uri, "/echo") && evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		evbuffer_add_buffer(out, evhttp_request_get_input_buffer(req));
	} else {
		evhttp_send_error(req, 404, NULL);
		evbuffer_free(out);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	evhttp_set_bevcb(http, tls_bevcb, s->ts);
	evhttp_set_gencb(http, handler, NULL);
	evhttp_set_max_body_size(http, 4 * 1024 * 1024);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(http, 30);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	struct event *stop = event_new(base, s->stop[0], EV_READ, stop_cb, base);
	event_add(stop, NULL);
	getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &len);
	pthread_mutex_lock(&s->lock);
	s->port = ntohs(sin.sin_port);
	s->ready = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);

	event_base_dispatch(base);

	event_free(stop);
	evhttp_free(http);
	/* let libevent finalize what evhttp_free released */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	return NULL;
}

static int setup_server(void **state)
{
	char err[256];
	struct tls_options opt = {path_in("gen.crt"), path_in("gen.key")};
	(void)state;
	if (tls_server_new(&opt, &srv.ts, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.cond, NULL);
	if (pipe(srv.stop) || pthread_create(&srv.thread, NULL, server_main, &srv))
		return -1;
	pthread_mutex_lock(&srv.lock);
	while (!srv.ready)
		pthread_cond_wait(&srv.cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	fds_serving = open_fds();
	return 0;
}

static int teardown_server(void **state)
{
	(void)state;
	if (write(srv.stop[1], "x", 1) != 1)
		return -1;
	pthread_join(srv.thread, NULL);
	close(srv.stop[0]);
	close(srv.stop[1]);
	tls_server_free(srv.ts);
	pthread_mutex_destroy(&srv.lock);
	pthread_cond_destroy(&srv.cond);
	return 0;
}

/* Waits up to 5 s for the server to have no TLS connection open. */
static void wait_idle(void)
{
	struct tls_stats s;
	for (int i = 0; i < 500; i++) {
		tls_server_stats(srv.ts, &s);
		if (!s.open_connections)
			return;
		usleep(10000);
	}
	fail_msg("%llu TLS connections still open", (unsigned long long)s.open_connections);
}

#define CURL "curl -sS --max-time 20 "

static void test_keepalive(void **state)
{
	struct buf o = BUF_INIT;
	(void)state;
	buf_init(&o);
	/* the certificate verifies for the name and the address in its SAN */
	assert_int_equal(run(&o,
			     CURL "--cacert '%s' --resolve localhost:%d:127.0.0.1 "
				  "-w '[%%{num_connects}]' https://localhost:%d/ok",
			     path_in("gen.crt"), srv.port, srv.port),
			 0);
	assert_string_equal(o.data, "ok[1]");
	/* three requests, one connection: only the first one connects */
	assert_int_equal(run(&o,
			     CURL "--cacert '%s' -w '[%%{num_connects}]' https://127.0.0.1:%d/ok "
				  "https://127.0.0.1:%d/ok https://127.0.0.1:%d/ok",
			     path_in("gen.crt"), srv.port, srv.port, srv.port),
			 0);
	assert_string_equal(o.data, "ok[1]ok[0]ok[0]");
	/* a 404 that evhttp builds itself */
	assert_int_equal(run(&o, CURL "-k -o /dev/null -w '%%{http_code}' "
				      "https://127.0.0.1:%d/nope",
			     srv.port),
			 0);
	assert_string_equal(o.data, "404");
	/* 1 MiB twice on one connection */
	assert_int_equal(run(&o,
			     CURL "-k -o /dev/null -o /dev/null "
				  "-w '%%{size_download} %%{num_connects};' "
				  "'https://127.0.0.1:%d/big?n=%d' 'https://127.0.0.1:%d/big?n=%d'",
			     srv.port, BIG_LEN, srv.port, BIG_LEN),
			 0);
	assert_string_equal(o.data, "1048576 1;1048576 0;");
	buf_release(&o);
}

static void test_server_closes(void **state)
{
	struct buf o = BUF_INIT;
	(void)state;
	buf_init(&o);
	assert_int_equal(
		run(&o, CURL "-k -H 'Connection: close' https://127.0.0.1:%d/ok", srv.port), 0);
	assert_string_equal(o.data, "ok");
	assert_int_equal(run(&o, CURL "-k -0 -i https://127.0.0.1:%d/ok", srv.port), 0);
	assert_true(!strncmp(o.data, "HTTP/1.0 200 OK\r\n", 17));
	assert_non_null(strstr(o.data, "\r\n\r\nok"));
	buf_release(&o);
}

/* Checks that file holds exactly n pattern bytes. */
static void assert_big_file(const char *file, size_t n)
{
	FILE *f = fopen(file, "rb");
	size_t i = 0;
	int ch;
	assert_non_null(f);
	while ((ch = getc(f)) != EOF) {
		if (i >= n || ch != (unsigned char)big_byte(i))
			fail_msg("byte %zu differs", i);
		i++;
	}
	fclose(f);
	assert_int_equal(i, n);
}

static void test_big_reply_then_close(void **state)
{
	struct buf o = BUF_INIT;
	(void)state;
	buf_init(&o);
	/* 1 MiB, Connection: close, a fast client */
	assert_int_equal(run(&o,
			     CURL "-k -H 'Connection: close' -o '%s' "
				  "'https://127.0.0.1:%d/big?n=%d'",
			     path_in("big.out"), srv.port, BIG_LEN),
			 0);
	assert_big_file(path_in("big.out"), BIG_LEN);
	/* 8 MiB to an HTTP/1.0 client reading at 4 MB/s: more than the kernel's socket buffers
	 * hold when evhttp finishes the reply, so this is complete only if evhttp learns "sent"
	 * after the ciphertext reached the kernel (regression: truncated replies on close) */
	assert_int_equal(run(&o,
			     CURL "-k -0 --limit-rate 4M -o '%s' 'https://127.0.0.1:%d/big?n=%d'",
			     path_in("big.out"), srv.port, 8 * BIG_LEN),
			 0);
	assert_big_file(path_in("big.out"), 8 * BIG_LEN);
	buf_release(&o);
}

static void test_post_body(void **state)
{
	struct buf o = BUF_INIT;
	FILE *f = fopen(path_in("post.in"), "wb");
	(void)state;
	buf_init(&o);
	assert_non_null(f);
	for (size_t i = 0; i < 100 * 1024; i++)
		putc(big_byte(i), f);
	fclose(f);
	assert_int_equal(run(&o,
			     CURL "-k --data-binary '@%s' -o '%s' -w '%%{http_code}' "
				  "https://127.0.0.1:%d/echo",
			     path_in("post.in"), path_in("post.out"), srv.port),
			 0);
	assert_string_equal(o.data, "200");
	assert_big_file(path_in("post.out"), 100 * 1024);
	/* over evhttp's body limit (4 MiB): its own 413 arrives */
	assert_int_equal(run(NULL, "head -c 5000000 /dev/zero > '%s'", path_in("post.in")), 0);
	assert_int_equal(run(&o,
			     CURL "-k --data-binary '@%s' -o /dev/null -w '%%{http_code}' "
				  "https://127.0.0.1:%d/echo",
			     path_in("post.in"), srv.port),
			 0);
	assert_string_equal(o.data, "413");
	buf_release(&o);
}

static void test_pipelining(void **state)
{
	struct buf o = BUF_INIT;
	(void)state;
	buf_init(&o);
	/* three requests in one write; -quiet keeps the connection open after stdin's end, the
	 * last request asks the server to close. (s_client then exits 1, "unexpected eof": the
	 * server sends no close_notify, see tls.h.) */
	run(&o,
	    "printf 'GET /ok HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nGET /big?n=10 HTTP/1.1\\r\\n"
	    "Host: a\\r\\n\\r\\nGET /ok HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n' "
	    "| timeout 20 openssl s_client -quiet -connect 127.0.0.1:%d 2>/dev/null",
	    srv.port);
	assert_int_equal(count(o.data, "HTTP/1.1 200 OK\r\n"), 3);
	assert_non_null(strstr(o.data, "\r\n\r\nabcdefghij"));
	assert_int_equal(count(o.data, "\r\n\r\nok"), 2);
	buf_release(&o);
}

static void test_plaintext_closed_promptly(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
	struct timeval tv = {5, 0}, t0, t1;
	static const char req[] = "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n";
	char buf[512];
	ssize_t n, total = 0;
	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	gettimeofday(&t0, NULL);
	assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	/* at most a TLS alert comes back, then the end (FIN or RST) */
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += n;
	gettimeofday(&t1, NULL);
	close(fd);
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(total <= 7); /* one alert record: 5 + 2 bytes */
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	print_message("plaintext request: %zd bytes back, closed after %ld ms\n", total, ms);
	assert_true(ms < 1000);

	/* clients that go away before or during the handshake leave nothing behind */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	/* the first 9 bytes of a ClientHello: record header, then part of the handshake header */
	assert_int_equal(write(fd, "\x16\x03\x01\x00\xc8\x01\x00\x00\xc4", 9), 9);
	usleep(50000);
	close(fd);
	assert_int_equal(run(NULL,
			     "head -c 300 /dev/urandom | timeout 20 openssl s_client -quiet "
			     "-connect 127.0.0.1:%d >/dev/null 2>&1; true",
			     srv.port),
			 0);
	wait_idle();
}

static void test_protocol_and_tickets(void **state)
{
	struct buf o = BUF_INIT;
	struct tls_stats before, after;
	(void)state;
	buf_init(&o);
	tls_server_stats(srv.ts, &before);
	/* TLS 1.1 is refused by the server (the client is allowed 1.1 with SECLEVEL=0) */
	assert_true(run(&o,
			"timeout 20 openssl s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' "
			"-connect 127.0.0.1:%d </dev/null 2>&1",
			srv.port) != 0);
	assert_non_null(strstr(o.data, "alert protocol version"));
	wait_idle();
	tls_server_stats(srv.ts, &after);
	assert_int_equal(after.handshakes_failed, before.handshakes_failed + 1);

	/* TLS 1.2, the preferred suite, X25519, ALPN; a ticket issued, then resumed */
	assert_int_equal(run(&o,
			     "timeout 20 openssl s_client -connect 127.0.0.1:%d -alpn http/1.1 "
			     "-sess_out '%s' </dev/null 2>&1",
			     srv.port, path_in("sess")),
			 0);
	assert_non_null(strstr(o.data, "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"));
	assert_non_null(strstr(o.data, "Server Temp Key: X25519"));
	assert_non_null(strstr(o.data, "ALPN protocol: http/1.1"));
	assert_non_null(strstr(o.data, "TLS session ticket lifetime hint: 86400"));
	assert_int_equal(run(&o,
			     "timeout 20 openssl s_client -connect 127.0.0.1:%d -sess_in '%s' "
			     "</dev/null 2>&1",
			     srv.port, path_in("sess")),
			 0);
	assert_non_null(strstr(o.data, "Reused, TLSv1.2"));

	/* P-256 when the client offers no X25519; nothing outside ECDHE + AEAD */
	assert_int_equal(run(&o,
			     "timeout 20 openssl s_client -connect 127.0.0.1:%d -groups P-256 "
			     "-cipher ECDHE-ECDSA-CHACHA20-POLY1305 </dev/null 2>&1",
			     srv.port),
			 0);
	assert_non_null(strstr(o.data, "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"));
	assert_non_null(strstr(o.data, "Server Temp Key: ECDH, prime256v1"));
	assert_true(run(&o,
			"timeout 20 openssl s_client -tls1_2 -connect 127.0.0.1:%d "
			"-cipher ECDHE-ECDSA-AES128-SHA256 </dev/null 2>&1",
			srv.port) != 0);
	assert_true(run(&o,
			"timeout 20 openssl s_client -tls1_2 -connect 127.0.0.1:%d "
			"-cipher AES128-GCM-SHA256 </dev/null 2>&1",
			srv.port) != 0);
	/* renegotiation is refused: "R" asks for it, the server answers no_renegotiation */
	run(&o,
	    "(echo R; sleep 1) | timeout 20 openssl s_client -connect 127.0.0.1:%d 2>&1",
	    srv.port);
	assert_non_null(strstr(o.data, "RENEGOTIATING"));
	assert_non_null(strstr(o.data, ":no renegotiation:"));
	buf_release(&o);
}

static void test_reload_while_serving(void **state)
{
	struct buf o = BUF_INIT;
	char err[256], fp[TLS_FINGERPRINT_SIZE], want[TLS_FINGERPRINT_SIZE];
	(void)state;
	buf_init(&o);
	/* gen.* becomes the "new" pair; the original is kept to restore */
	assert_int_equal(run(NULL,
			     "cp -p '%s' '%s' && cp -p '%s' '%s' && cp '%s' '%s' && cp '%s' '%s'",
			     path_in("gen.crt"), path_in("orig.crt"), path_in("gen.key"),
			     path_in("orig.key"), path_in("new.crt"), path_in("gen.crt"),
			     path_in("new.key"), path_in("gen.key")),
			 0);
	assert_int_equal(tls_server_reload(srv.ts, err, sizeof err), 0);
	tls_server_fingerprint(srv.ts, fp, sizeof fp);
	openssl_fingerprint(path_in("new.crt"), want);
	assert_string_equal(fp, want);
	/* a new connection is served with the new certificate */
	assert_int_equal(run(&o,
			     "timeout 20 openssl s_client -connect 127.0.0.1:%d </dev/null "
			     "2>/dev/null | openssl x509 -noout -fingerprint -sha256",
			     srv.port),
			 0);
	assert_non_null(strstr(o.data, want));

	/* an operator's RSA certificate works too, with ECDHE-RSA and an AEAD suite */
	assert_int_equal(run(NULL,
			     "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' "
			     "-days 30 -subj /CN=rsa 2>/dev/null",
			     path_in("gen.key"), path_in("gen.crt")),
			 0);
	assert_int_equal(tls_server_reload(srv.ts, err, sizeof err), 0);
	assert_int_equal(run(&o,
			     "timeout 20 openssl s_client -connect 127.0.0.1:%d </dev/null 2>&1",
			     srv.port),
			 0);
	assert_non_null(strstr(o.data, "New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"));

	assert_int_equal(run(NULL, "cp -p '%s' '%s' && cp -p '%s' '%s'", path_in("orig.crt"),
			     path_in("gen.crt"), path_in("orig.key"), path_in("gen.key")),
			 0);
	assert_int_equal(tls_server_reload(srv.ts, err, sizeof err), 0);
	buf_release(&o);
}

/* Last: every connection is gone, no descriptor leaked, and the counters add up. */
static void test_no_leaks(void **state)
{
	struct tls_stats s;
	int now = 0;
	(void)state;
	wait_idle();
	/* a socket is closed just after its TLS state is freed: allow a moment */
	for (int i = 0; i < 200 && (now = open_fds()) != fds_serving; i++)
		usleep(10000);
	print_message("descriptors: %d with the server idle before the tests, %d now\n",
		      fds_serving, now);
	assert_int_equal(now, fds_serving);
	tls_server_stats(srv.ts, &s);
	print_message("handshakes ok %llu, failed %llu\n", (unsigned long long)s.handshakes_ok,
		      (unsigned long long)s.handshakes_failed);
	/* completed: keepalive 4 (one per curl), server_closes 2, big_reply 2, post 2,
	 * pipelining 1, plaintext 1 (the s_client that sends junk and leaves), protocol_and_tickets
	 * 4 (new, resumed, P-256, renegotiation), reload 2 (ECDSA, RSA); failed: plaintext 1,
	 * TLS 1.1 1, two refused suites 2; handshakes abandoned by the client are neither */
	assert_int_equal(s.handshakes_ok, 18);
	assert_int_equal(s.handshakes_failed, 4);
	assert_int_equal(s.open_connections, 0);
}

int main(void)
{
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_generates_pair_with_modes),
		cmocka_unit_test(test_fingerprint_format),
		cmocka_unit_test(test_loads_existing_pair_without_rewriting),
		cmocka_unit_test(test_refuses_half_pair),
		cmocka_unit_test(test_rejects_bad_files),
		cmocka_unit_test(test_reload),
	};
	const struct CMUnitTest e2e[] = {
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_server_closes),
		cmocka_unit_test(test_big_reply_then_close),
		cmocka_unit_test(test_post_body),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_plaintext_closed_promptly),
		cmocka_unit_test(test_protocol_and_tickets),
		cmocka_unit_test(test_reload_while_serving),
		cmocka_unit_test(test_no_leaks),
	};
	int failed;
	signal(SIGPIPE, SIG_IGN);
	if (setup_dir(NULL))
		return 1;
	failed = cmocka_run_group_tests_name("tls files", files, NULL, NULL);
	failed += cmocka_run_group_tests_name("tls end to end", e2e, setup_server, teardown_server);
	teardown_dir(NULL);
	return failed ? 1 : 0;
}
