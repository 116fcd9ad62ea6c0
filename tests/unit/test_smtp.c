/*
 * test_smtp — server/smtp.c against a scripted relay on loopback (a thread that expects each
 * command line the client should send and answers with canned replies), and the configuration
 * from the environment. TLS is covered end to end by tests/integration/smtp.sh (aiosmtpd).
 * Base64 of the AUTH lines is worked out by hand in the comments.
 *
 * The name lookup of the relay is tested through getaddrinfo, which this program defines over
 * the C library's (smtp.c, linked in statically, binds to it): two test names stand for a
 * resolver that never answers (until the test releases it) and one that answers slowly; every
 * other name goes to the C library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "smtp.h"

/* ---- the resolver --------------------------------------------------------------------------- */

#define HUNG_HOST "hung-resolver.test" /* the lookup blocks until hung_release, or 5 s */
#define SLOW_HOST "slow-resolver.test" /* the lookup takes 300 ms, then gives 127.0.0.1 */

static pthread_mutex_t hung_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hung_cv = PTHREAD_COND_INITIALIZER;
static int hung_released, hung_inside, hung_calls;

static int real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			    struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
	assert_non_null(sym);
	memcpy(&real, &sym, sizeof real); /* ISO C has no cast from void * to a function */
	return real(node, service, hints, res);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	bool numeric = hints && (hints->ai_flags & AI_NUMERICHOST);
	if (node && !numeric && !strcmp(node, HUNG_HOST)) {
		/* not for ever: a client that waits for the lookup then fails the test (it takes
		 * too long) instead of hanging it */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		pthread_mutex_lock(&hung_mu);
		hung_inside++;
		hung_calls++;
		while (!hung_released && pthread_cond_timedwait(&hung_cv, &hung_mu, &until) == 0)
			;
		hung_inside--;
		pthread_cond_broadcast(&hung_cv);
		pthread_mutex_unlock(&hung_mu);
		return EAI_AGAIN;
	}
	if (node && !numeric && !strcmp(node, SLOW_HOST)) {
		struct addrinfo h = *hints;
		usleep(300 * 1000);
		h.ai_family = AF_INET;
		return real_getaddrinfo("127.0.0.1", service, &h, res);
	}
	return real_getaddrinfo(node, service, hints, res);
}

/* Lets the hung lookups return and waits (up to 5 s) until they have. */
static void hung_release(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&hung_mu);
	hung_released = 1;
	pthread_cond_broadcast(&hung_cv);
	while (hung_inside && pthread_cond_timedwait(&hung_cv, &hung_mu, &until) == 0)
		;
	int left = hung_inside;
	pthread_mutex_unlock(&hung_mu);
	assert_int_equal(left, 0);
	usleep(100 * 1000); /* the lookup thread frees what it holds after returning */
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One exchange: the relay waits for a line starting with expect (NULL: waits for nothing),
 * reading the message up to CRLF.CRLF instead when data is set, then writes reply (may be NULL,
 * or several lines, or more than one reply). close_after: then hangs up. */
struct step {
	const char *expect;
	const char *reply;
	int data;
	int close_after;
};

struct relay {
	int lfd, port;
	const struct step *steps;
	size_t n_steps;
	int silent;          /* accept, say nothing, wait for the client to hang up */
	pthread_t thread;
	struct buf got;      /* every byte the client sent */
	char failure[512];   /* "" unless the client sent something unexpected */
};

/* Reads one CRLF line (appended to r->got) into line; -1 at end of stream. */
static int relay_line(struct relay *r, int fd, char *line, size_t size)
{
	size_t n = 0;
	char c;
	while (read(fd, &c, 1) == 1) {
		buf_addch(&r->got, c);
		if (n + 1 < size)
			line[n++] = c;
		if (c == '\n') {
			line[n] = '\0';
			return 0;
		}
	}
	return -1;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	char line[4096];
	int fd = accept(r->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (r->silent) {
		while (read(fd, line, sizeof line) > 0)
			;
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step *s = &r->steps[i];
		if (s->data) {
			size_t start = r->got.len;
			for (;;) {
				if (relay_line(r, fd, line, sizeof line))
					goto out;
				if (!strcmp(line, ".\r\n") && r->got.len - start >= 3)
					break;
			}
		} else if (s->expect) {
			if (relay_line(r, fd, line, sizeof line)) {
				snprintf(r->failure, sizeof r->failure, "step %zu: hung up, expected %s",
					 i, s->expect);
				goto out;
			}
			if (strncmp(line, s->expect, strlen(s->expect))) {
				snprintf(r->failure, sizeof r->failure, "step %zu: got %.200s expected %.200s", i,
					 line, s->expect);
				goto out;
			}
		}
		if (s->reply && write(fd, s->reply, strlen(s->reply)) < 0)
			goto out;
		if (s->close_after)
			goto out;
	}
	/* read whatever else comes until the client hangs up */
	while (relay_line(r, fd, line, sizeof line) == 0)
		;
out:
	close(fd);
	return NULL;
}

static void relay_start(struct relay *r, const struct step *steps, size_t n, int silent)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	memset(r, 0, sizeof *r);
	buf_init(&r->got);
	r->steps = steps;
	r->n_steps = n;
	r->silent = silent;
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->lfd >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(r->lfd, 1), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

static void relay_finish(struct relay *r)
{
	pthread_join(r->thread, NULL);
	close(r->lfd);
	if (r->failure[0])
		fail_msg("relay: %s", r->failure);
}

static void config(struct smtp_config *cfg, int port, enum smtp_tls tls, const char *user,
		   const char *password)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
	cfg->port = port;
	cfg->tls = tls;
	snprintf(cfg->user, sizeof cfg->user, "%s", user);
	snprintf(cfg->password, sizeof cfg->password, "%s", password);
	snprintf(cfg->from_addr, sizeof cfg->from_addr, "office@d.test");
	snprintf(cfg->helo, sizeof cfg->helo, "client.test");
	cfg->timeout = 5;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- sessions ------------------------------------------------------------------------------ */

/* Multi-line replies, AUTH LOGIN (the relay offers no PLAIN), a refused recipient followed by
 * RSET, then a message that goes through, dot-stuffed. */
static void test_login_refused_then_sent(void **state)
{
	(void)state;
	/* base64 "user" = 75 73 65 72 -> 011101 010111 001101 100101 | 011100 10 -> dXNl cg==;
	 * base64 "pw" = 70 77 -> 011100 000111 011100 -> cHc= */
	static const struct step steps[] = {
		{ NULL, "220-relay.test ESMTP\r\n220 ready\r\n", 0, 0 },
		{ "EHLO client.test\r\n",
		  "250-relay.test\r\n250-SIZE 100000\r\n250-AUTH LOGIN\r\n250 8BITMIME\r\n", 0, 0 },
		{ "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n", 0, 0 },
		{ "dXNlcg==\r\n", "334 UGFzc3dvcmQ6\r\n", 0, 0 },
		{ "cHc=\r\n", "235 2.7.0 ok\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<bad@x.test>\r\n", "550-5.1.1 no such\r\n550 5.1.1 user\r\n", 0, 0 },
		{ "RSET\r\n", "250 reset\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<good@x.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "354 go on\r\n", 0, 0 },
		{ NULL, "250 2.0.0 queued as 7\r\n", 1, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, 1 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX], detail[SMTP_ERR_MAX];
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_NONE, "user", "pw");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), 0);

	const char *msg = "Subject: x\r\n\r\n.leading dot\n.\nend";
	assert_int_equal(smtp_send(s, "bad@x.test", msg, strlen(msg), detail, sizeof detail),
			 SMTP_REFUSED);
	assert_string_equal(detail, "refused by the relay: 550 5.1.1 no such; 5.1.1 user");
	assert_false(smtp_is_broken(s));
	assert_int_equal(smtp_send(s, "good@x.test", msg, strlen(msg), detail, sizeof detail),
			 SMTP_SENT);
	assert_string_equal(detail, "250 2.0.0 queued as 7");
	smtp_close(s);
	relay_finish(&r);
	/* what went over the wire after DATA: CRLF lines, dots doubled, one terminator */
	assert_non_null(strstr(r.got.data, "DATA\r\nSubject: x\r\n\r\n..leading dot\r\n..\r\nend\r\n"
					   ".\r\nQUIT\r\n"));
	buf_release(&r.got);
}

/* PLAIN is preferred when offered; a refused login fails the open without revealing the
 * secret. */
static void test_plain_refused(void **state)
{
	(void)state;
	/* "\0user\0pw" = 00 75 73 | 65 72 00 | 70 77 -> AHVz ZXIA cHc= */
	static const struct step steps[] = {
		{ NULL, "220 ready\r\n", 0, 0 },
		{ "EHLO ", "250-relay.test\r\n250 AUTH LOGIN PLAIN\r\n", 0, 0 },
		{ "AUTH PLAIN AHVzZXIAcHc=\r\n", "535 5.7.8 bad credentials\r\n", 0, 0 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s = NULL;
	char err[SMTP_ERR_MAX];
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_NONE, "user", "pw");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	assert_null(s);
	assert_string_equal(err, "127.0.0.1 refused the login of user: 535 5.7.8 bad credentials");
	relay_finish(&r);
	buf_release(&r.got);
}

/* With starttls (the default) a relay without STARTTLS gets nothing after EHLO: no AUTH. */
static void test_starttls_required(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{ NULL, "220 ready\r\n", 0, 0 },
		{ "EHLO ", "250-relay.test\r\n250 AUTH PLAIN\r\n", 0, 0 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX];
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_STARTTLS, "user", "pw");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not offer STARTTLS"));
	relay_finish(&r);
	assert_null(strstr(r.got.data, "AUTH"));
	assert_null(strstr(r.got.data, "MAIL"));
	buf_release(&r.got);
}

/* Plaintext the relay slips in behind its 220 to STARTTLS is refused (RFC 3207 §6). */
static void test_starttls_injection(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{ NULL, "220 ready\r\n", 0, 0 },
		{ "EHLO ", "250-relay.test\r\n250 STARTTLS\r\n", 0, 0 },
		{ "STARTTLS\r\n", "220 go ahead\r\n250-relay.test\r\n250 AUTH PLAIN\r\n", 0, 0 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX];
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_STARTTLS, "", "");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	assert_string_equal(err, "127.0.0.1 sent data after agreeing to STARTTLS");
	relay_finish(&r);
	buf_release(&r.got);
}

/* A relay that never says anything: the read times out after the configured seconds. */
static void test_timeout(void **state)
{
	(void)state;
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX];
	relay_start(&r, NULL, 0, 1);
	config(&cfg, r.port, SMTP_TLS_NONE, "", "");
	cfg.timeout = 1;
	time_t t0 = time(NULL);
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	assert_true(time(NULL) - t0 <= 3);
	assert_string_equal(err, "cannot read from 127.0.0.1: timed out");
	relay_finish(&r);
	buf_release(&r.got);
}

/* Refusals read well for a coordinator: who refused what, then the relay's words. A refused
 * sender is a failure (the configuration, not this expert); a refused message (5xx to DATA or
 * after it) is refused for good; a 4xx after the data may go through later. */
static void test_refusal_details(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{ NULL, "220 ready\r\n", 0, 0 },
		{ "EHLO ", "250 relay.test\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", "553 5.7.1 sender not allowed\r\n", 0, 0 },
		{ "RSET\r\n", "250 ok\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "554 5.3.0 no data today\r\n", 0, 0 },
		{ "RSET\r\n", "250 ok\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "354 go on\r\n", 0, 0 },
		{ NULL, "452 4.3.1 mailbox full\r\n", 1, 0 },
		{ "RSET\r\n", "250 ok\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, 1 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX], detail[SMTP_ERR_MAX];
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_NONE, "", "");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), 0);
	assert_int_equal(smtp_send(s, "a@x.test", "m", 1, detail, sizeof detail), SMTP_FAILED);
	assert_string_equal(detail, "the relay refused the sender address office@d.test: "
				    "553 5.7.1 sender not allowed");
	assert_int_equal(smtp_send(s, "a@x.test", "m", 1, detail, sizeof detail), SMTP_REFUSED);
	assert_string_equal(detail, "the relay refused the message: 554 5.3.0 no data today");
	assert_int_equal(smtp_send(s, "a@x.test", "m", 1, detail, sizeof detail), SMTP_FAILED);
	assert_string_equal(detail, "the relay refused the message for now (a later attempt may go "
				    "through): 452 4.3.1 mailbox full");
	assert_false(smtp_is_broken(s));
	smtp_close(s);
	relay_finish(&r);
	buf_release(&r.got);
}

/* A 4xx to RCPT TO is a (temporary) failure, followed by RSET; a lost connection breaks the
 * session, and later messages fail at once; addresses that could smuggle commands are refused
 * before anything is sent. */
static void test_failures(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{ NULL, "220 ready\r\n", 0, 0 },
		{ "EHLO ", "250 relay.test\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x.test>\r\n", "451 4.3.0 try later\r\n", 0, 0 },
		{ "RSET\r\n", "250 ok\r\n", 0, 0 },
		{ "MAIL FROM:<office@d.test>\r\n", NULL, 0, 1 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX], detail[SMTP_ERR_MAX];
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_NONE, "", "");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), 0);

	assert_int_equal(smtp_send(s, "x@y.test>\r\nRCPT TO:<evil@z.test", "m", 1, detail,
				   sizeof detail), SMTP_FAILED);
	assert_string_equal(detail, "not sent: not an address we can send to");
	/* non-ASCII needs SMTPUTF8, which this relay does not offer */
	assert_int_equal(smtp_send(s, "hanako@例え.jp", "m", 1, detail, sizeof detail), SMTP_FAILED);
	assert_non_null(strstr(detail, "SMTPUTF8"));

	assert_int_equal(smtp_send(s, "a@x.test", "m", 1, detail, sizeof detail), SMTP_FAILED);
	assert_string_equal(detail, "refused by the relay for now (a later attempt may go through): "
				    "451 4.3.0 try later");
	assert_false(smtp_is_broken(s));

	assert_int_equal(smtp_send(s, "b@x.test", "m", 1, detail, sizeof detail), SMTP_FAILED);
	assert_string_equal(detail, "127.0.0.1 closed the connection");
	assert_true(smtp_is_broken(s));
	assert_int_equal(smtp_send(s, "c@x.test", "m", 1, detail, sizeof detail), SMTP_FAILED);
	assert_string_equal(detail, "not sent: 127.0.0.1 closed the connection");
	smtp_close(s);
	relay_finish(&r);
	assert_null(strstr(r.got.data, "evil"));
	buf_release(&r.got);
}

/* Nothing listens: connecting fails with the address in the message. */
static void test_connect_refused(void **state)
{
	(void)state;
	struct smtp_config cfg;
	struct smtp_session *s;
	char err[SMTP_ERR_MAX];
	/* a port that was free a moment ago, and nobody listens on */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	int port = ntohs(a.sin_port);
	close(fd);
	config(&cfg, port, SMTP_TLS_NONE, "", "");
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	char want[128];
	snprintf(want, sizeof want, "cannot connect to the SMTP relay 127.0.0.1 port %d: ", port);
	assert_true(!strncmp(err, want, strlen(want)));
}

/* A resolver that never answers: smtp_open gives up after the timeout with a clear message
 * instead of blocking the mail worker; the abandoned lookup finishes later on its own. */
static void test_hung_resolver(void **state)
{
	(void)state;
	struct smtp_config cfg;
	struct smtp_session *s = NULL;
	char err[SMTP_ERR_MAX];
	config(&cfg, 587, SMTP_TLS_NONE, "", "");
	snprintf(cfg.host, sizeof cfg.host, HUNG_HOST);
	cfg.timeout = 1;
	double t0 = now_seconds();
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	double took = now_seconds() - t0;
	assert_null(s);
	assert_string_equal(err, "cannot find the SMTP relay " HUNG_HOST
				 ": no answer from the name resolver within 1 s");
	if (took < 0.9 || took > 2.5)
		fail_msg("gave up after %.2f s, expected about 1 s", took);
	pthread_mutex_lock(&hung_mu);
	int calls = hung_calls, inside = hung_inside;
	pthread_mutex_unlock(&hung_mu);
	assert_int_equal(calls, 1);
	assert_int_equal(inside, 1); /* still hanging: smtp_open did not wait for it */
	hung_release();
}

struct hung_open {
	pthread_t thread;
	char err[SMTP_ERR_MAX];
	int rc;
};

static void *hung_open_main(void *arg)
{
	struct hung_open *h = arg;
	struct smtp_config cfg;
	struct smtp_session *s = NULL;
	config(&cfg, 587, SMTP_TLS_NONE, "", "");
	snprintf(cfg.host, sizeof cfg.host, HUNG_HOST);
	cfg.timeout = 1;
	h->rc = smtp_open(&cfg, &s, h->err, sizeof h->err);
	return NULL;
}

/* Lookups abandoned to a resolver that hangs are bounded: four of them still hanging, a fifth
 * attempt is refused at once without starting another; once they return, lookups run again. */
static void test_hung_lookups_bounded(void **state)
{
	(void)state;
	struct hung_open h[4];
	struct smtp_config cfg;
	struct smtp_session *s = NULL;
	char err[SMTP_ERR_MAX];
	pthread_mutex_lock(&hung_mu);
	hung_released = 0;
	hung_calls = 0;
	pthread_mutex_unlock(&hung_mu);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&h[i].thread, NULL, hung_open_main, &h[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(h[i].thread, NULL);
		assert_int_equal(h[i].rc, -1);
		assert_string_equal(h[i].err, "cannot find the SMTP relay " HUNG_HOST
					      ": no answer from the name resolver within 1 s");
	}
	pthread_mutex_lock(&hung_mu);
	int calls = hung_calls, inside = hung_inside;
	pthread_mutex_unlock(&hung_mu);
	assert_int_equal(calls, 4);
	assert_int_equal(inside, 4);

	config(&cfg, 587, SMTP_TLS_NONE, "", "");
	snprintf(cfg.host, sizeof cfg.host, HUNG_HOST);
	cfg.timeout = 1;
	double t0 = now_seconds();
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	if (now_seconds() - t0 > 0.5)
		fail_msg("refused after %.2f s, expected at once", now_seconds() - t0);
	assert_string_equal(err, "cannot find the SMTP relay " HUNG_HOST ": 4 earlier name lookups "
				 "have not returned (the name resolver does not answer); try again later");
	pthread_mutex_lock(&hung_mu);
	calls = hung_calls;
	pthread_mutex_unlock(&hung_mu);
	assert_int_equal(calls, 4); /* no fifth lookup started */

	/* Released, the four threads return (and count themselves out just after): a lookup runs
	 * again and fails for its own reason. */
	hung_release();
	snprintf(cfg.host, sizeof cfg.host, "nosuch.invalid");
	for (int tries = 0;; tries++) {
		assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
		if (!strstr(err, "earlier name lookups"))
			break;
		if (tries == 100)
			fail_msg("lookups still refused 1 s after the resolver answered: %s", err);
		usleep(10 * 1000);
	}
	if (strncmp(err, "cannot find the SMTP relay nosuch.invalid: ", 43))
		fail_msg("unexpected message: %s", err);
}

/* A name that does not resolve fails with the resolver's reason, within the timeout (at once
 * with a working resolver; after the timeout where no name server answers). */
static void test_unresolvable_host(void **state)
{
	(void)state;
	struct smtp_config cfg;
	struct smtp_session *s = NULL;
	char err[SMTP_ERR_MAX];
	config(&cfg, 587, SMTP_TLS_NONE, "", "");
	snprintf(cfg.host, sizeof cfg.host, "nosuch.invalid"); /* RFC 6761: never resolves */
	cfg.timeout = 2;
	double t0 = now_seconds();
	assert_int_equal(smtp_open(&cfg, &s, err, sizeof err), -1);
	double took = now_seconds() - t0;
	assert_null(s);
	if (strncmp(err, "cannot find the SMTP relay nosuch.invalid: ", 43))
		fail_msg("unexpected message: %s", err);
	if (took > 3.0)
		fail_msg("took %.2f s, the bound is 2 s", took);
}

/* A name that resolves slowly, but within the timeout, is connected to: the lookup's result
 * comes back from its thread. */
static void test_slow_resolver(void **state)
{
	(void)state;
	static const struct step steps[] = {
		{ NULL, "220 ready\r\n", 0, 0 },
		{ "EHLO client.test\r\n", "250 relay.test\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, 1 },
	};
	struct relay r;
	struct smtp_config cfg;
	struct smtp_session *s = NULL;
	char err[SMTP_ERR_MAX] = "";
	relay_start(&r, steps, N(steps), 0);
	config(&cfg, r.port, SMTP_TLS_NONE, "", "");
	snprintf(cfg.host, sizeof cfg.host, SLOW_HOST);
	cfg.timeout = 2;
	if (smtp_open(&cfg, &s, err, sizeof err))
		fail_msg("smtp_open: %s", err);
	smtp_close(s);
	relay_finish(&r);
	buf_release(&r.got);
}

/* ---- configuration ------------------------------------------------------------------------- */

static const char *const vars[] = {
	"DELPHI_SMTP_HOST", "DELPHI_SMTP_PORT", "DELPHI_SMTP_TLS", "DELPHI_SMTP_INSECURE",
	"DELPHI_SMTP_CA_FILE", "DELPHI_SMTP_USER", "DELPHI_SMTP_PASSWORD", "DELPHI_SMTP_FROM",
	"DELPHI_SMTP_HELO", "DELPHI_SMTP_TIMEOUT",
};

static void env_reset(void)
{
	for (size_t i = 0; i < N(vars); i++)
		unsetenv(vars[i]);
	setenv("DELPHI_SMTP_HOST", "smtp.example.org", 1);
	setenv("DELPHI_SMTP_FROM", "office@example.org", 1);
}

/* Expects smtp_config_from_env to fail with a message containing want. */
static void env_bad(const char *want)
{
	struct smtp_config cfg;
	char err[SMTP_ERR_MAX];
	assert_int_equal(smtp_config_from_env(&cfg, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("message '%s' lacks '%s'", err, want);
	assert_null(strstr(err, "hunter2-secret")); /* never the password */
}

static void test_config(void **state)
{
	(void)state;
	struct smtp_config cfg;
	char err[SMTP_ERR_MAX];

	env_reset();
	assert_int_equal(smtp_config_from_env(&cfg, err, sizeof err), 0);
	assert_string_equal(cfg.host, "smtp.example.org");
	assert_int_equal(cfg.port, 587);
	assert_int_equal(cfg.tls, SMTP_TLS_STARTTLS);
	assert_false(cfg.insecure);
	assert_string_equal(cfg.user, "");
	assert_string_equal(cfg.from_addr, "office@example.org");
	assert_string_equal(cfg.from_name, "");
	assert_int_equal(cfg.timeout, 30);
	assert_true(cfg.helo[0] != '\0');
	smtp_config_clear(&cfg);

	setenv("DELPHI_SMTP_TLS", "tls", 1);
	setenv("DELPHI_SMTP_FROM", "\"Delphi, Office\" <office@example.org>", 1);
	setenv("DELPHI_SMTP_USER", "delphi", 1);
	setenv("DELPHI_SMTP_PASSWORD", "hunter2-secret", 1);
	setenv("DELPHI_SMTP_INSECURE", "1", 1);
	setenv("DELPHI_SMTP_TIMEOUT", "5", 1);
	setenv("DELPHI_SMTP_HELO", "sender.example.org", 1);
	assert_int_equal(smtp_config_from_env(&cfg, err, sizeof err), 0);
	assert_int_equal(cfg.port, 465);
	assert_int_equal(cfg.tls, SMTP_TLS_IMPLICIT);
	assert_true(cfg.insecure);
	assert_string_equal(cfg.from_name, "Delphi, Office");
	assert_string_equal(cfg.from_addr, "office@example.org");
	assert_string_equal(cfg.password, "hunter2-secret");
	assert_int_equal(cfg.timeout, 5);
	assert_string_equal(cfg.helo, "sender.example.org");
	smtp_config_clear(&cfg);
	assert_string_equal(cfg.password, ""); /* cleared */

	setenv("DELPHI_SMTP_TLS", "NONE", 1);
	setenv("DELPHI_SMTP_PORT", "2525", 1);
	setenv("DELPHI_SMTP_FROM", "Delphi Office <office@example.org>", 1);
	assert_int_equal(smtp_config_from_env(&cfg, err, sizeof err), 0);
	assert_int_equal(cfg.tls, SMTP_TLS_NONE);
	assert_int_equal(cfg.port, 2525);
	assert_string_equal(cfg.from_name, "Delphi Office");
	smtp_config_clear(&cfg);

	env_reset();
	unsetenv("DELPHI_SMTP_HOST");
	env_bad("DELPHI_SMTP_HOST is not set");
	env_reset();
	setenv("DELPHI_SMTP_HOST", "smtp.example.org\r\nRCPT", 1);
	env_bad("DELPHI_SMTP_HOST holds a control character");
	env_reset();
	setenv("DELPHI_SMTP_HOST", "smtp example", 1);
	env_bad("is not a host name");
	env_reset();
	unsetenv("DELPHI_SMTP_FROM");
	env_bad("DELPHI_SMTP_FROM is not set");
	env_reset();
	setenv("DELPHI_SMTP_FROM", "not an address", 1);
	env_bad("DELPHI_SMTP_FROM must be");
	env_reset();
	setenv("DELPHI_SMTP_FROM", "Name <a@b.test> trailing", 1);
	env_bad("DELPHI_SMTP_FROM must be");
	env_reset();
	setenv("DELPHI_SMTP_TLS", "ssl", 1);
	env_bad("DELPHI_SMTP_TLS must be starttls, tls or none, not 'ssl'");
	env_reset();
	setenv("DELPHI_SMTP_PORT", "0", 1);
	env_bad("DELPHI_SMTP_PORT must be a whole number from 1 to 65535, not '0'");
	env_reset();
	setenv("DELPHI_SMTP_PORT", "25x", 1);
	env_bad("DELPHI_SMTP_PORT must be");
	env_reset();
	setenv("DELPHI_SMTP_TIMEOUT", "601", 1);
	env_bad("DELPHI_SMTP_TIMEOUT must be a whole number from 1 to 600");
	env_reset();
	setenv("DELPHI_SMTP_INSECURE", "yes", 1);
	env_bad("DELPHI_SMTP_INSECURE must be 1 or 0");
	env_reset();
	setenv("DELPHI_SMTP_PASSWORD", "hunter2-secret", 1);
	env_bad("DELPHI_SMTP_PASSWORD is set but DELPHI_SMTP_USER is not");
	env_reset();
	setenv("DELPHI_SMTP_USER", "delphi", 1);
	env_bad("DELPHI_SMTP_USER is set but DELPHI_SMTP_PASSWORD is not");
	env_reset();
	setenv("DELPHI_SMTP_USER", "delphi", 1);
	setenv("DELPHI_SMTP_PASSWORD", "hunter2-secret\n", 1);
	env_bad("DELPHI_SMTP_PASSWORD holds a control character");
	env_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_refused_then_sent),
		cmocka_unit_test(test_plain_refused),
		cmocka_unit_test(test_starttls_required),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_refusal_details),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_hung_resolver),
		cmocka_unit_test(test_hung_lookups_bounded),
		cmocka_unit_test(test_unresolvable_host),
		cmocka_unit_test(test_slow_resolver),
		cmocka_unit_test(test_config),
	};
	if (crypto_init())
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	crypto_release();
	return rc;
}
