/*
 * smtp — a small blocking SMTP client for handing delphi's mails (invitations, reminders) to a
 * configured relay (RFC 5321 submission): connect, EHLO, STARTTLS (or implicit TLS on 465),
 * AUTH PLAIN or LOGIN, then MAIL FROM / RCPT TO / DATA per message over one connection, with
 * RSET after a message that did not go through so the next one can.
 *
 * Every call blocks, each read and write of the socket for at most the configured timeout: run
 * it on a worker thread or in the CLI, never on an event loop. A session is used by one thread.
 * Connecting takes at most the timeout for the relay's name lookup (getaddrinfo has no timeout:
 * a name is looked up on a short-lived thread that is abandoned if the resolver does not answer
 * in time; a numeric address needs no lookup) and the timeout again for each of its addresses.
 *
 * Configuration comes from the environment (smtp_config_from_env), not from the server's
 * settings table; see the variables there. The password is never logged, never put in a
 * message, and zeroed when the configuration is cleared.
 *
 * TLS: with DELPHI_SMTP_TLS=starttls (the default) the relay must offer STARTTLS, and nothing,
 * AUTH included, is sent before TLS is up; `tls` is TLS from the first byte (port 465);
 * `none` never uses TLS (a relay on localhost). The relay's certificate is verified against the
 * system CA bundle (or DELPHI_SMTP_CA_FILE) unless DELPHI_SMTP_INSECURE=1.
 */
#ifndef DELPHI_SMTP_H
#define DELPHI_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_ERR_MAX 512    /* messages and per-message details fit in this */
#define SMTP_NAME_MAX 256   /* host, user, addresses, names, HELO name */
#define SMTP_SECRET_MAX 512 /* password */
#define SMTP_PATH_MAX 1024  /* CA file */
#define SMTP_TIMEOUT_DEFAULT 30 /* seconds per read or write */

enum smtp_tls {
	SMTP_TLS_STARTTLS, /* plain connect, STARTTLS required (default; port 587) */
	SMTP_TLS_IMPLICIT, /* TLS from the start (port 465) */
	SMTP_TLS_NONE,     /* no TLS at all (port 25); only when configured explicitly */
};

struct smtp_config {
	char host[SMTP_NAME_MAX];      /* DELPHI_SMTP_HOST (required) */
	int port;                      /* DELPHI_SMTP_PORT; default 587 / 465 / 25 by tls */
	enum smtp_tls tls;             /* DELPHI_SMTP_TLS=starttls|tls|none */
	bool insecure;                 /* DELPHI_SMTP_INSECURE=1: accept any certificate */
	char ca_file[SMTP_PATH_MAX];   /* DELPHI_SMTP_CA_FILE; "" = the system bundle */
	char user[SMTP_NAME_MAX];      /* DELPHI_SMTP_USER; "" = no AUTH */
	char password[SMTP_SECRET_MAX]; /* DELPHI_SMTP_PASSWORD (required with a user) */
	char from_addr[SMTP_NAME_MAX]; /* DELPHI_SMTP_FROM: "addr" or "Name <addr>" (required) */
	char from_name[SMTP_NAME_MAX]; /* ... its display name, may be "" */
	char helo[SMTP_NAME_MAX];      /* DELPHI_SMTP_HELO; default: the host name, or localhost */
	int timeout;                   /* DELPHI_SMTP_TIMEOUT seconds, 1..600; default 30 */
};

/*
 * Fills cfg from the DELPHI_SMTP_* variables above, checking each (no control characters;
 * numbers in range; addresses plausible). Returns 0, or -1 with a one-line message naming the
 * variable in err (never the password's value). Clear cfg with smtp_config_clear when done.
 */
int smtp_config_from_env(struct smtp_config *cfg, char *err, size_t errlen);

/* Zeroes cfg, the password included. */
void smtp_config_clear(struct smtp_config *cfg);

/* "starttls", "tls", "none". */
const char *smtp_tls_name(enum smtp_tls tls);

struct smtp_session;

/*
 * Connects to the relay and gets it ready for messages: greeting, EHLO, STARTTLS (then EHLO
 * again; data the relay sent before the TLS handshake is refused, RFC 3207 §6), AUTH when
 * cfg->user is set (PLAIN if offered, else LOGIN; refused if the relay offers neither, and
 * never sent before TLS unless tls is SMTP_TLS_NONE). The session copies what it needs from
 * cfg. Returns 0 and *out (close with smtp_close), or -1 with a message in err ("cannot find
 * the SMTP relay H: Name or service not known", "cannot find the SMTP relay H: no answer from
 * the name resolver within 30 s", "cannot connect to ...", "the relay refused AUTH: 535 ...",
 * "the relay does not offer STARTTLS ...").
 */
int smtp_open(const struct smtp_config *cfg, struct smtp_session **out, char *err,
	      size_t errlen);

enum smtp_result {
	SMTP_SENT,    /* the relay accepted the message (250 after DATA) */
	SMTP_REFUSED, /* the relay refused it for good (5xx to RCPT TO or DATA) */
	SMTP_FAILED,  /* anything else: a temporary (4xx) refusal, a refused sender, a broken or
		       * lost connection, an address we cannot send to */
};

/* "sent", "refused", "failed" (the values of mail_log.status). */
const char *smtp_result_name(enum smtp_result r);

/*
 * Sends one message (len bytes of RFC 5322 text as mail_format makes it) to rcpt from the
 * configured sender: MAIL FROM, RCPT TO, DATA with dot-stuffing. detail receives, as one line
 * for coordinators (control characters made spaces), the relay's reply to a sent message
 * ("250 2.0.0 Ok: queued as ..."), a refusal saying what was refused and quoting the relay
 * ("refused by the relay: 550 5.1.1 <x@y>: user unknown", "the relay refused the message: ...",
 * "the relay refused the sender address A: ...", with " for now (a later attempt may go
 * through)" after the subject for a 4xx), or what went wrong ("not sent: ..."). After a refusal or a temporary failure the
 * transaction is reset (RSET) so the session can send the next message; after an I/O failure
 * the session is broken and every later call fails at once (smtp_is_broken).
 */
enum smtp_result smtp_send(struct smtp_session *s, const char *rcpt, const char *message,
			   size_t len, char *detail, size_t detail_len);

/* Whether the connection was lost (or the relay misbehaved): nothing more can be sent. */
bool smtp_is_broken(const struct smtp_session *s);

/* Says QUIT (unless broken), closes the connection and frees s. NULL is a no-op. */
void smtp_close(struct smtp_session *s);

#endif
