/*
 * smtp — the blocking SMTP submission client; see smtp.h for the contract.
 *
 * Replies are read a line at a time from a small buffer; a reply is its lines "DDD-text" up to
 * the last one "DDD text" (RFC 5321 4.2), all with the same code. Timeouts are the socket's
 * SO_RCVTIMEO / SO_SNDTIMEO (also under TLS: tls.c reads and writes the same blocking socket),
 * the connect has its own poll. Commands are never logged: AUTH lines carry the secret, and are
 * zeroed after use.
 */
#include "smtp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mail.h"
#include "tls.h"

#define REPLY_LINE_MAX 2048  /* RFC 5321 says 512; relays are allowed some slack */
#define REPLY_LINES_MAX 100
#define REPLY_TEXT_MAX 4096  /* what is kept of a reply's text */

enum {
	EXT_STARTTLS = 1 << 0,
	EXT_AUTH_PLAIN = 1 << 1,
	EXT_AUTH_LOGIN = 1 << 2,
	EXT_SMTPUTF8 = 1 << 3,
	EXT_SIZE = 1 << 4,
};

struct smtp_session {
	int fd;
	struct tls_client *tls; /* NULL while plain */
	bool broken;
	unsigned ext;           /* EXT_* of the last EHLO reply */
	unsigned long size_max; /* SIZE's limit, 0 if none */
	char host[SMTP_NAME_MAX];
	char from_addr[SMTP_NAME_MAX];
	char in[REPLY_LINE_MAX];
	size_t in_start, in_len; /* unread bytes: in[in_start .. in_start + in_len) */
	char err[SMTP_ERR_MAX];  /* why the session broke */
};

struct reply {
	int code;
	char text[REPLY_TEXT_MAX]; /* the lines' texts (after "DDD-"), joined by '\n' */
};

/* ---- configuration ------------------------------------------------------------------------ */

const char *smtp_tls_name(enum smtp_tls tls)
{
	return tls == SMTP_TLS_IMPLICIT ? "tls" : tls == SMTP_TLS_NONE ? "none" : "starttls";
}

const char *smtp_result_name(enum smtp_result r)
{
	return r == SMTP_SENT ? "sent" : r == SMTP_REFUSED ? "refused" : "failed";
}

void smtp_config_clear(struct smtp_config *cfg)
{
	explicit_bzero(cfg, sizeof *cfg);
}

/* 1 if s has no control characters (a value that may go into a command line). */
static int no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* An address for MAIL FROM / RCPT TO and the headers: local@domain, no blanks, controls or
 * characters that would end the path early. */
static int address_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!*s || !no_controls(s) || !at || at == s || !at[1] || strlen(s) >= SMTP_NAME_MAX)
		return 0;
	return !strpbrk(s, " <>()[],;:\"\\");
}

/* A host or HELO name: letters, digits, '.', '-', or an address literal's [ ] : characters. */
static int hostname_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n < SMTP_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[]") == n;
}

/* Copies variable name's value (or "" when unset) into out[size]; -1 with a message if it is too
 * long or holds a control character. The value is never quoted in the message. */
static int env_copy(const char *name, char *out, size_t size, char *err, size_t errlen)
{
	const char *v = getenv(name);
	if (!v)
		v = "";
	if (strlen(v) >= size) {
		snprintf(err, errlen, "%s is too long (at most %zu bytes)", name, size - 1);
		return -1;
	}
	if (!no_controls(v)) {
		snprintf(err, errlen, "%s holds a control character", name);
		return -1;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* Parses an integer variable in [min, max]; *out untouched when it is unset or empty. */
static int env_int(const char *name, int min, int max, int *out, char *err, size_t errlen)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return 0;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min || n > max) {
		snprintf(err, errlen, "%s must be a whole number from %d to %d, not '%s'", name, min,
			 max, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* "addr" or "Name <addr>" (the name optionally in double quotes) into the config. */
static int parse_from(struct smtp_config *cfg, const char *v, char *err, size_t errlen)
{
	const char *lt = strrchr(v, '<');
	if (!lt) {
		if (!address_ok(v)) /* also: shorter than SMTP_NAME_MAX */
			goto bad;
		memcpy(cfg->from_addr, v, strlen(v) + 1);
		return 0;
	}
	const char *gt = strchr(lt, '>');
	if (!gt || gt[1] || (size_t)(gt - lt - 1) >= sizeof cfg->from_addr)
		goto bad;
	memcpy(cfg->from_addr, lt + 1, (size_t)(gt - lt - 1));
	cfg->from_addr[gt - lt - 1] = '\0';
	if (!address_ok(cfg->from_addr))
		goto bad;
	const char *a = v, *b = lt;
	while (a < b && *a == ' ')
		a++;
	while (b > a && b[-1] == ' ')
		b--;
	if (b - a >= 2 && *a == '"' && b[-1] == '"') {
		a++;
		b--;
	}
	if ((size_t)(b - a) >= sizeof cfg->from_name || memchr(a, '"', (size_t)(b - a)) ||
	    memchr(a, '\\', (size_t)(b - a)))
		goto bad; /* keep it simple: no quotes or escapes inside the name */
	memcpy(cfg->from_name, a, (size_t)(b - a));
	cfg->from_name[b - a] = '\0';
	return 0;
bad:
	snprintf(err, errlen, "DELPHI_SMTP_FROM must be an e-mail address or 'Name <address>', "
			      "not '%s'", v);
	return -1;
}

int smtp_config_from_env(struct smtp_config *cfg, char *err, size_t errlen)
{
	char tls[16], from[2 * SMTP_NAME_MAX], insecure[8];
	memset(cfg, 0, sizeof *cfg);
	cfg->timeout = SMTP_TIMEOUT_DEFAULT;
	if (env_copy("DELPHI_SMTP_HOST", cfg->host, sizeof cfg->host, err, errlen) ||
	    env_copy("DELPHI_SMTP_TLS", tls, sizeof tls, err, errlen) ||
	    env_copy("DELPHI_SMTP_INSECURE", insecure, sizeof insecure, err, errlen) ||
	    env_copy("DELPHI_SMTP_CA_FILE", cfg->ca_file, sizeof cfg->ca_file, err, errlen) ||
	    env_copy("DELPHI_SMTP_USER", cfg->user, sizeof cfg->user, err, errlen) ||
	    env_copy("DELPHI_SMTP_PASSWORD", cfg->password, sizeof cfg->password, err, errlen) ||
	    env_copy("DELPHI_SMTP_FROM", from, sizeof from, err, errlen) ||
	    env_copy("DELPHI_SMTP_HELO", cfg->helo, sizeof cfg->helo, err, errlen) ||
	    env_int("DELPHI_SMTP_TIMEOUT", 1, 600, &cfg->timeout, err, errlen))
		goto fail;
	if (!*cfg->host) {
		snprintf(err, errlen, "DELPHI_SMTP_HOST is not set: name the SMTP relay to send "
				      "mail through (and DELPHI_SMTP_FROM, the sender)");
		goto fail;
	}
	if (!hostname_ok(cfg->host)) {
		snprintf(err, errlen, "DELPHI_SMTP_HOST '%s' is not a host name or address",
			 cfg->host);
		goto fail;
	}
	if (!*tls || !strcasecmp(tls, "starttls")) {
		cfg->tls = SMTP_TLS_STARTTLS;
		cfg->port = 587;
	} else if (!strcasecmp(tls, "tls")) {
		cfg->tls = SMTP_TLS_IMPLICIT;
		cfg->port = 465;
	} else if (!strcasecmp(tls, "none")) {
		cfg->tls = SMTP_TLS_NONE;
		cfg->port = 25;
	} else {
		snprintf(err, errlen, "DELPHI_SMTP_TLS must be starttls, tls or none, not '%s'", tls);
		goto fail;
	}
	if (env_int("DELPHI_SMTP_PORT", 1, 65535, &cfg->port, err, errlen))
		goto fail;
	if (!*insecure || !strcmp(insecure, "0")) {
		cfg->insecure = false;
	} else if (!strcmp(insecure, "1")) {
		cfg->insecure = true;
	} else {
		snprintf(err, errlen, "DELPHI_SMTP_INSECURE must be 1 or 0, not '%s'", insecure);
		goto fail;
	}
	if (*cfg->password && !*cfg->user) {
		snprintf(err, errlen, "DELPHI_SMTP_PASSWORD is set but DELPHI_SMTP_USER is not");
		goto fail;
	}
	if (*cfg->user && !*cfg->password) {
		snprintf(err, errlen, "DELPHI_SMTP_USER is set but DELPHI_SMTP_PASSWORD is not");
		goto fail;
	}
	if (!*from) {
		snprintf(err, errlen, "DELPHI_SMTP_FROM is not set: give the sender's address, "
				      "e.g. 'Delphi survey <delphi@example.org>'");
		goto fail;
	}
	if (parse_from(cfg, from, err, errlen))
		goto fail;
	if (!*cfg->helo) {
		char name[SMTP_NAME_MAX] = "";
		if (gethostname(name, sizeof name - 1) || !hostname_ok(name) || !strchr(name, '.'))
			snprintf(name, sizeof name, "localhost");
		memcpy(cfg->helo, name, sizeof name);
	} else if (!hostname_ok(cfg->helo)) {
		snprintf(err, errlen, "DELPHI_SMTP_HELO '%s' is not a host name", cfg->helo);
		goto fail;
	}
	return 0;
fail:
	smtp_config_clear(cfg);
	return -1;
}

/* ---- connection ---------------------------------------------------------------------------- */

/* Marks the session broken with a message (kept for later calls) and copies it to err. */
static int session_fail(struct smtp_session *s, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int session_fail(struct smtp_session *s, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	s->broken = true;
	if (err)
		snprintf(err, errlen, "%s", s->err);
	return -1;
}

static int io_write(struct smtp_session *s, const char *data, size_t len, char *err,
		    size_t errlen)
{
	if (s->tls) {
		if (tls_client_write(s->tls, data, len))
			return session_fail(s, err, errlen, "cannot send to %s: %s", s->host,
					    tls_client_error(s->tls));
		return 0;
	}
	while (len) {
		ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return session_fail(s, err, errlen, "cannot send to %s: %s", s->host,
					    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
										    : strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Fills the input buffer (it must be empty): > 0 bytes, or -1 (also at end of stream). */
static int io_fill(struct smtp_session *s, char *err, size_t errlen)
{
	long n;
	s->in_start = 0;
	if (s->tls) {
		n = tls_client_read(s->tls, s->in, sizeof s->in);
		if (n < 0)
			return session_fail(s, err, errlen, "cannot read from %s: %s", s->host,
					    tls_client_error(s->tls));
	} else {
		do
			n = recv(s->fd, s->in, sizeof s->in, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return session_fail(s, err, errlen, "cannot read from %s: %s", s->host,
					    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
										    : strerror(errno));
	}
	if (n == 0)
		return session_fail(s, err, errlen, "%s closed the connection", s->host);
	s->in_len = (size_t)n;
	return 0;
}

/* One reply line without its CRLF into line[REPLY_LINE_MAX]. */
static int read_line(struct smtp_session *s, char *line, char *err, size_t errlen)
{
	size_t n = 0;
	for (;;) {
		if (!s->in_len && io_fill(s, err, errlen))
			return -1;
		char c = s->in[s->in_start++];
		s->in_len--;
		if (c == '\n')
			break;
		if (n + 1 >= REPLY_LINE_MAX)
			return session_fail(s, err, errlen, "%s sent a reply line longer than %d "
							    "bytes", s->host, REPLY_LINE_MAX);
		line[n++] = c;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

/* Reads one (possibly multi-line) reply. A malformed reply breaks the session. */
static int read_reply(struct smtp_session *s, struct reply *r, char *err, size_t errlen)
{
	char line[REPLY_LINE_MAX];
	size_t tlen = 0;
	r->code = 0;
	r->text[0] = '\0';
	for (int i = 0;; i++) {
		if (i == REPLY_LINES_MAX)
			return session_fail(s, err, errlen, "%s sent a reply of more than %d lines",
					    s->host, REPLY_LINES_MAX);
		if (read_line(s, line, err, errlen))
			return -1;
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (line[3] && line[3] != ' ' && line[3] != '-'))
			return session_fail(s, err, errlen, "%s sent a malformed reply", s->host);
		int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (i && code != r->code)
			return session_fail(s, err, errlen, "%s sent a malformed multi-line reply",
					    s->host);
		r->code = code;
		const char *text = line[3] ? line + 4 : "";
		size_t n = strlen(text);
		if (tlen + n + 2 < sizeof r->text) {
			if (tlen)
				r->text[tlen++] = '\n';
			memcpy(r->text + tlen, text, n + 1);
			tlen += n;
		}
		if (line[3] != '-')
			return 0;
	}
}

/* "CODE text; text" of a reply as one line without control characters, into out[size]. */
static void reply_line(const struct reply *r, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_printf(&b, "%d ", r->code);
	for (const char *p = r->text; *p; p++)
		if (*p == '\n')
			buf_adds(&b, "; ");
		else
			buf_addch(&b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
	snprintf(out, size, "%s", b.data);
	buf_release(&b);
}

/* Sends a command line (CRLF added) and reads the reply. */
static int command(struct smtp_session *s, struct reply *r, char *err, size_t errlen,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int command(struct smtp_session *s, struct reply *r, char *err, size_t errlen,
		   const char *fmt, ...)
{
	char line[2 * SMTP_SECRET_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 2) {
		explicit_bzero(line, sizeof line);
		return session_fail(s, err, errlen, "a command for %s is too long", s->host);
	}
	memcpy(line + n, "\r\n", 3);
	int rc = io_write(s, line, (size_t)n + 2, err, errlen);
	explicit_bzero(line, sizeof line); /* AUTH lines carry the secret */
	if (rc)
		return -1;
	return read_reply(s, r, err, errlen);
}

/* Records the extensions of an EHLO reply (its lines after the first). */
static void parse_ehlo(struct smtp_session *s, const struct reply *r)
{
	const char *p = strchr(r->text, '\n');
	s->ext = 0;
	s->size_max = 0;
	while (p) {
		const char *line = p + 1;
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char kw[REPLY_LINE_MAX];
		memcpy(kw, line, len);
		kw[len] = '\0';
		if (!strcasecmp(kw, "STARTTLS"))
			s->ext |= EXT_STARTTLS;
		else if (!strcasecmp(kw, "SMTPUTF8"))
			s->ext |= EXT_SMTPUTF8;
		else if (!strncasecmp(kw, "SIZE", 4) && (!kw[4] || kw[4] == ' ')) {
			s->ext |= EXT_SIZE;
			s->size_max = strtoul(kw + 4, NULL, 10);
		} else if (!strncasecmp(kw, "AUTH", 4) && (kw[4] == ' ' || kw[4] == '=')) {
			char *save = NULL;
			for (char *m = strtok_r(kw + 5, " ", &save); m; m = strtok_r(NULL, " ", &save))
				if (!strcasecmp(m, "PLAIN"))
					s->ext |= EXT_AUTH_PLAIN;
				else if (!strcasecmp(m, "LOGIN"))
					s->ext |= EXT_AUTH_LOGIN;
		}
		p = end;
	}
}

static int ehlo(struct smtp_session *s, const char *helo, char *err, size_t errlen)
{
	struct reply r;
	char text[SMTP_ERR_MAX];
	if (command(s, &r, err, errlen, "EHLO %s", helo))
		return -1;
	if (r.code != 250) {
		reply_line(&r, text, sizeof text);
		return session_fail(s, err, errlen, "%s refused EHLO: %s", s->host, text);
	}
	parse_ehlo(s, &r);
	return 0;
}

/* A name lookup on its own thread, shared by the thread and the caller waiting for it; the last
 * of the two to let go (refs) frees it, and the addresses if the caller gave up. */
struct lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;  /* 2 while both hold it */
	bool done; /* gai and res are set */
	int gai;
	int gai_errno; /* errno of the lookup's thread, for EAI_SYSTEM */
	struct addrinfo *res;
	char host[SMTP_NAME_MAX], service[8];
};

/* Name lookups whose thread has not returned from getaddrinfo, waited for or abandoned after a
 * timeout. A resolver that hangs for good would otherwise keep one more thread (and its stack)
 * with every attempt: beyond SMTP_LOOKUPS_MAX, resolve refuses at once. */
#define SMTP_LOOKUPS_MAX 4
static _Atomic int lookups_pending;

static void lookup_unref(struct lookup *l)
{
	pthread_mutex_lock(&l->mu);
	bool last = --l->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (!last)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void *lookup_main(void *arg)
{
	struct lookup *l = arg;
	pthread_setname_np(pthread_self(), "delphi-lookup");
	const struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(l->host, l->service, &hints, &res), e = errno;
	atomic_fetch_sub(&lookups_pending, 1);
	pthread_mutex_lock(&l->mu);
	l->gai = gai;
	l->gai_errno = e;
	l->res = gai ? NULL : res;
	l->done = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	lookup_unref(l);
	return NULL;
}

/* Resolves host:service for a stream socket, giving up after timeout seconds. getaddrinfo has
 * no timeout of its own, and a resolver that does not answer (a dead name server, a firewall
 * dropping the queries) would block the mail worker for as long as resolv.conf's timeouts and
 * attempts add up to, or for ever with a hung NSS module. A numeric address is converted at
 * once; a name is looked up on a detached thread that the caller waits for with a deadline.
 * After a timeout that thread finishes (or hangs) on its own and frees what it found; nothing
 * of it is used. While SMTP_LOOKUPS_MAX such threads have not returned, no other is started.
 * Returns 0 and *res (freeaddrinfo it), or -1 with a message in err. */
static int resolve(const char *host, const char *service, int timeout, struct addrinfo **res,
		   char *err, size_t errlen)
{
	const struct addrinfo numeric = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct lookup *l = NULL;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	struct timespec deadline;
	int rc = -1, gai = 0, gai_errno = 0;
	bool done;

	if (!getaddrinfo(host, service, &numeric, res))
		return 0;
	if (atomic_fetch_add(&lookups_pending, 1) >= SMTP_LOOKUPS_MAX) {
		atomic_fetch_sub(&lookups_pending, 1);
		snprintf(err, errlen, "cannot find the SMTP relay %s: %d earlier name lookups have "
				      "not returned (the name resolver does not answer); try again later",
			 host, SMTP_LOOKUPS_MAX);
		return -1;
	}
	if (!(l = calloc(1, sizeof *l))) {
		atomic_fetch_sub(&lookups_pending, 1);
		snprintf(err, errlen, "cannot find the SMTP relay %s: out of memory", host);
		return -1;
	}
	snprintf(l->host, sizeof l->host, "%s", host);
	snprintf(l->service, sizeof l->service, "%s", service);
	l->refs = 2;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	int tr = pthread_create(&t, &ta, lookup_main, l);
	pthread_attr_destroy(&ta);
	if (tr) {
		atomic_fetch_sub(&lookups_pending, 1);
		l->refs = 1; /* no thread holds it */
		snprintf(err, errlen, "cannot find the SMTP relay %s: cannot start a thread: %s",
			 host, strerror(tr));
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	pthread_mutex_lock(&l->mu);
	while (!l->done && pthread_cond_timedwait(&l->cv, &l->mu, &deadline) != ETIMEDOUT)
		;
	done = l->done;
	if (done) {
		gai = l->gai;
		gai_errno = l->gai_errno;
		*res = l->res;
		l->res = NULL;
	}
	pthread_mutex_unlock(&l->mu);
	if (!done)
		snprintf(err, errlen, "cannot find the SMTP relay %s: no answer from the name "
				      "resolver within %d s", host, timeout);
	else if (gai)
		snprintf(err, errlen, "cannot find the SMTP relay %s: %s", host,
			 gai == EAI_SYSTEM ? strerror(gai_errno) : gai_strerror(gai));
	else
		rc = 0;
out:
	lookup_unref(l);
	return rc;
}

/* Connects to host:port within timeout seconds for the name lookup (resolve) and as much again
 * for each address tried; the socket is blocking, with SO_RCVTIMEO and SO_SNDTIMEO of timeout
 * seconds. Returns the socket or -1. */
static int connect_to(const char *host, int port, int timeout, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	char service[8], why[256] = "no address";
	int fd = -1;
	snprintf(service, sizeof service, "%d", port);
	if (resolve(host, service, timeout, &res, err, errlen))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			continue;
		}
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen), soerr = 0;
		if (rc && errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			do
				rc = poll(&pfd, 1, timeout * 1000);
			while (rc < 0 && errno == EINTR);
			socklen_t sl = sizeof soerr;
			if (rc == 0)
				soerr = ETIMEDOUT;
			else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
				soerr = errno;
			rc = soerr ? -1 : 0;
			errno = soerr;
		}
		if (!rc) {
			struct timeval tv = { .tv_sec = timeout };
			int flags = fcntl(fd, F_GETFL);
			if (flags >= 0 && !fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) &&
			    !setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) &&
			    !setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv))
				break;
		}
		snprintf(why, sizeof why, "%s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to the SMTP relay %s port %d: %s", host, port,
			 why);
	return fd;
}

static void base64(const unsigned char *in, size_t len, char *out)
{
	static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);
		*out++ = d[v >> 18 & 63];
		*out++ = d[v >> 12 & 63];
		*out++ = i + 1 < len ? d[v >> 6 & 63] : '=';
		*out++ = i + 2 < len ? d[v & 63] : '=';
	}
	*out = '\0';
}

static int authenticate(struct smtp_session *s, const struct smtp_config *cfg, char *err,
			size_t errlen)
{
	/* "\0user\0password" and its base64, both wiped before returning */
	unsigned char raw[SMTP_NAME_MAX + SMTP_SECRET_MAX + 2];
	char b64[(sizeof raw + 2) / 3 * 4 + 1], text[SMTP_ERR_MAX];
	size_t ulen = strlen(cfg->user), plen = strlen(cfg->password);
	struct reply r;
	int rc = -1;
	if (!(s->ext & (EXT_AUTH_PLAIN | EXT_AUTH_LOGIN))) {
		session_fail(s, err, errlen, "%s offers neither AUTH PLAIN nor AUTH LOGIN: unset "
					     "DELPHI_SMTP_USER if it needs no login", s->host);
		goto out;
	}
	if (s->ext & EXT_AUTH_PLAIN) {
		raw[0] = '\0';
		memcpy(raw + 1, cfg->user, ulen);
		raw[1 + ulen] = '\0';
		memcpy(raw + 2 + ulen, cfg->password, plen);
		base64(raw, 2 + ulen + plen, b64);
		if (command(s, &r, err, errlen, "AUTH PLAIN %s", b64))
			goto out;
	} else {
		if (command(s, &r, err, errlen, "AUTH LOGIN"))
			goto out;
		if (r.code == 334) {
			base64((const unsigned char *)cfg->user, ulen, b64);
			if (command(s, &r, err, errlen, "%s", b64))
				goto out;
		}
		if (r.code == 334) {
			base64((const unsigned char *)cfg->password, plen, b64);
			if (command(s, &r, err, errlen, "%s", b64))
				goto out;
		}
	}
	if (r.code != 235) {
		reply_line(&r, text, sizeof text);
		session_fail(s, err, errlen, "%s refused the login of %s: %s", s->host, cfg->user,
			     text);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(b64, sizeof b64);
	return rc;
}

int smtp_open(const struct smtp_config *cfg, struct smtp_session **out, char *err,
	      size_t errlen)
{
	struct smtp_session *s = calloc(1, sizeof *s);
	struct reply r;
	char text[SMTP_ERR_MAX];
	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->fd = -1;
	snprintf(s->host, sizeof s->host, "%s", cfg->host);
	snprintf(s->from_addr, sizeof s->from_addr, "%s", cfg->from_addr);
	if ((s->fd = connect_to(cfg->host, cfg->port, cfg->timeout, err, errlen)) < 0)
		goto fail;
	if (cfg->tls == SMTP_TLS_IMPLICIT &&
	    !(s->tls = tls_client_new(s->fd, cfg->host, !cfg->insecure, cfg->ca_file, err, errlen)))
		goto fail;
	if (read_reply(s, &r, err, errlen))
		goto fail;
	if (r.code != 220) {
		reply_line(&r, text, sizeof text);
		session_fail(s, err, errlen, "%s does not take mail: %s", s->host, text);
		goto fail;
	}
	if (ehlo(s, cfg->helo, err, errlen))
		goto fail;
	if (cfg->tls == SMTP_TLS_STARTTLS) {
		if (!(s->ext & EXT_STARTTLS)) {
			session_fail(s, err, errlen, "%s does not offer STARTTLS: mail would go "
						     "unencrypted (set DELPHI_SMTP_TLS=none to allow "
						     "that, or tls for port 465)", s->host);
			goto fail;
		}
		if (command(s, &r, err, errlen, "STARTTLS"))
			goto fail;
		if (r.code != 220) {
			reply_line(&r, text, sizeof text);
			session_fail(s, err, errlen, "%s refused STARTTLS: %s", s->host, text);
			goto fail;
		}
		if (s->in_len) { /* plaintext injected before the handshake (RFC 3207 §6) */
			session_fail(s, err, errlen, "%s sent data after agreeing to STARTTLS",
				     s->host);
			goto fail;
		}
		if (!(s->tls = tls_client_new(s->fd, cfg->host, !cfg->insecure, cfg->ca_file, err,
					      errlen)))
			goto fail;
		if (ehlo(s, cfg->helo, err, errlen))
			goto fail;
	}
	if (*cfg->user && authenticate(s, cfg, err, errlen))
		goto fail;
	*out = s;
	return 0;
fail:
	s->broken = true; /* no QUIT on a session that never got going */
	smtp_close(s);
	return -1;
}

/* ---- messages ----------------------------------------------------------------------------- */

/* After a refusal: RSET, so the next message starts a clean transaction. */
static void reset(struct smtp_session *s)
{
	struct reply r;
	if (!s->broken && !command(s, &r, NULL, 0, "RSET") && r.code != 250)
		session_fail(s, NULL, 0, "%s refused RSET", s->host);
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

enum smtp_result smtp_send(struct smtp_session *s, const char *rcpt, const char *message,
			   size_t len, char *detail, size_t detail_len)
{
	struct buf data = BUF_INIT;
	struct reply r;
	enum smtp_result res = SMTP_FAILED;
	enum { AT_SENDER, AT_RECIPIENT, AT_MESSAGE } step = AT_SENDER;
	char text[SMTP_ERR_MAX];
	buf_init(&data);
	if (s->broken) {
		snprintf(detail, detail_len, "not sent: %s", s->err);
		goto out;
	}
	if (!address_ok(rcpt)) {
		snprintf(detail, detail_len, "not sent: not an address we can send to");
		goto out;
	}
	int utf8 = !is_ascii(rcpt) || !is_ascii(s->from_addr);
	if (utf8 && !(s->ext & EXT_SMTPUTF8)) {
		snprintf(detail, detail_len, "not sent: the address is not ASCII and %s does not "
					     "offer SMTPUTF8", s->host);
		goto out;
	}
	if ((s->ext & EXT_SIZE) && s->size_max && len > s->size_max) {
		snprintf(detail, detail_len, "not sent: %zu bytes is more than %s takes (%lu)", len,
			 s->host, s->size_max);
		goto out;
	}
	if (command(s, &r, detail, detail_len, "MAIL FROM:<%s>%s", s->from_addr,
		    utf8 ? " SMTPUTF8" : ""))
		goto out;
	if (r.code != 250)
		goto refused;
	step = AT_RECIPIENT;
	if (command(s, &r, detail, detail_len, "RCPT TO:<%s>", rcpt))
		goto out;
	if (r.code != 250 && r.code != 251)
		goto refused;
	step = AT_MESSAGE;
	if (command(s, &r, detail, detail_len, "DATA"))
		goto out;
	if (r.code != 354)
		goto refused;
	mail_smtp_data(message, len, &data);
	if (io_write(s, data.data, data.len, detail, detail_len) ||
	    read_reply(s, &r, detail, detail_len))
		goto out;
	reply_line(&r, text, sizeof text);
	if (r.code == 250) {
		snprintf(detail, detail_len, "%s", text);
		res = SMTP_SENT;
		goto out;
	}
refused:
	reply_line(&r, text, sizeof text);
	/* 5xx to RCPT TO or DATA: this message is refused for good; a refused sender (MAIL FROM)
	 * or a temporary 4xx is a failure that a later attempt may get past. The detail is read
	 * by coordinators: it says who refused what, then quotes the relay. */
	res = r.code >= 500 && step != AT_SENDER ? SMTP_REFUSED : SMTP_FAILED;
	snprintf(detail, detail_len, "%s%s%s: %s",
		 step == AT_SENDER      ? "the relay refused the sender address "
		 : step == AT_RECIPIENT ? "refused by the relay"
					: "the relay refused the message",
		 step == AT_SENDER ? s->from_addr : "",
		 r.code >= 400 && r.code < 500 ? " for now (a later attempt may go through)" : "",
		 text);
	reset(s);
out:
	buf_release(&data);
	return res;
}

bool smtp_is_broken(const struct smtp_session *s)
{
	return s->broken;
}

void smtp_close(struct smtp_session *s)
{
	if (!s)
		return;
	if (!s->broken) {
		struct reply r;
		(void)command(s, &r, NULL, 0, "QUIT");
	}
	tls_client_free(s->tls);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
