/*
 * tls — HTTPS for evhttp (libevent 2.1.12) through mbedTLS: the server's certificate and key, the
 * shared TLS configuration, and the per-connection TLS bufferevent handed to evhttp. The only file
 * that includes mbedTLS's SSL / X.509 headers (crypto.c holds the DRBG it uses).
 *
 * Protocol: TLS 1.2 only; ECDHE with AEAD suites only: ECDHE-ECDSA (and, for an operator-supplied
 * RSA certificate, ECDHE-RSA) with AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305; groups X25519,
 * P-256, P-384; session tickets (AES-256-GCM, lifetime one day; keys live in memory, so a restart
 * invalidates tickets and clients do one full handshake); renegotiation refused; ALPN
 * "http/1.1" / "http/1.0" when the client offers ALPN. The server never sends close_notify
 * (HTTP/1.1 framing makes that harmless; `openssl s_client` reports "unexpected eof").
 *
 * Use:
 *     struct tls_options opt = {.cert_path = "cert.pem", .key_path = "key.pem"};
 *     struct tls_server *ts;
 *     if (tls_server_new(&opt, &ts, err, sizeof err)) fatalx("%s", err);
 *     evhttp_set_bevcb(http, tls_bevcb, ts);            // on every evhttp, any thread
 *     ...  on SIGHUP: tls_server_reload(ts, err, sizeof err);
 *     ...  after every evhttp and event_base using it has been freed: tls_server_free(ts);
 *
 * Threading: one struct tls_server is shared by every event thread. tls_bevcb, tls_server_reload,
 * tls_server_fingerprint and tls_server_stats may be called from any thread at any time. Each
 * connection lives on the thread of the event_base passed to tls_bevcb and is only touched there.
 * The certificate/key configuration is reference-counted: a connection keeps the configuration it
 * was accepted with until it is freed, so reload never disturbs open connections.
 *
 * Ownership: the caller owns the tls_server and must free it only after every connection made by
 * tls_bevcb is gone (evhttp_free / event_base_free first). The bufferevent returned by tls_bevcb
 * belongs to evhttp (it frees it with the connection; freeing it closes the socket and releases
 * every TLS resource of the connection).
 *
 * What evhttp sees: its write callback ("reply sent") runs only once the reply's ciphertext is in
 * the kernel, so replies on connections evhttp closes itself (Connection: close, HTTP/1.0) arrive
 * whole, however large (checked with 32 MiB to a 4 MB/s client). The server process must ignore
 * SIGPIPE (the socket bufferevent writes with writev). Limits of libevent 2.1.12:
 *  - evhttp_set_timeout's read and write timeouts both stay armed while a reply is being
 *    written (the write timeout is not renewed by progress), so a reply must be delivered
 *    within that timeout: pick it above the slowest expected download.
 *  - evhttp_send_reply_end in the non-chunked case (HTTP/1.0 client of a streamed reply) with
 *    nothing left in evhttp's buffer finishes the request at once; if evhttp then closes, the
 *    last ciphertext not yet in the kernel can be lost. evhttp_send_reply has no such problem.
 */
#ifndef DELPHI_TLS_H
#define DELPHI_TLS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bufferevent;
struct tls_server;

struct tls_options {
	const char *cert_path; /* PEM certificate (chain); required */
	const char *key_path;  /* PEM private key; required */
};

/* Counters for /metrics; monotonically increasing except open_connections. */
struct tls_stats {
	uint64_t handshakes_ok;
	uint64_t handshakes_failed; /* failed handshakes: bad version, no common suite, junk, ... */
	uint64_t open_connections;  /* TLS bufferevents currently alive */
};

/* Creates the shared TLS configuration. If neither cert_path nor key_path exists, first generates
 * an ECDSA P-256 key (written with mode 0600) and a self-signed certificate for it (mode 0644;
 * CN=localhost, SAN DNS:localhost and IP:127.0.0.1, keyUsage digitalSignature, extendedKeyUsage
 * serverAuth, CA:FALSE, valid 10 years from now), each written to
 * PATH.tmp, fsync'ed, renamed over PATH, and the directory fsync'ed. If only one of them exists,
 * that is an error (nothing is overwritten). Otherwise loads both and checks that they match.
 * Calls crypto_init (idempotent). Returns 0 and *out, or -1 with a one-line message in err (which
 * never contains key material). */
int tls_server_new(const struct tls_options *opt, struct tls_server **out, char *err,
		   size_t errlen);

/* Frees the configuration. NULL is a no-op. See "Ownership" above. */
void tls_server_free(struct tls_server *ts);

/* Re-reads the certificate and key from the paths given to tls_server_new (SIGHUP); never
 * generates. New connections use the new pair; open ones keep theirs. Session-ticket keys are kept,
 * so tickets issued before a reload still resume. Returns 0, or -1 with a message in err and the
 * old configuration left in use. */
int tls_server_reload(struct tls_server *ts, char *err, size_t errlen);

/* The SHA-256 fingerprint of the current certificate's DER as upper-case hex pairs separated by
 * colons, "AB:CD:...:EF" (95 characters + NUL). size must be at least TLS_FINGERPRINT_SIZE; a
 * smaller buffer receives "" (if size > 0). */
#define TLS_FINGERPRINT_SIZE 96
void tls_server_fingerprint(struct tls_server *ts, char *out, size_t size);

/* A snapshot of the counters (relaxed atomics; the fields need not be mutually consistent). */
void tls_server_stats(struct tls_server *ts, struct tls_stats *out);

/* The evhttp bevcb: evhttp_set_bevcb(http, tls_bevcb, ts). Returns a bufferevent_filter running
 * TLS over a socket bufferevent whose fd evhttp sets right after (bufferevent_setfd); NULL on
 * allocation failure. Beware: evhttp 2.1.12 does not drop a connection whose bevcb returns NULL,
 * it makes a plain socket bufferevent and would speak plaintext, so never hand this function to
 * evhttp_set_bevcb directly: wrap it (httpd.c does) and close the connection on NULL. A fatal TLS error is reported to evhttp
 * as BEV_EVENT_ERROR, a peer's close_notify/FIN as BEV_EVENT_EOF. Sets TCP_NODELAY on the socket.
 * evhttp's timeouts (evhttp_set_timeout) apply as the filter's read/write timeouts; note that in
 * 2.1.12 the read timeout stays armed while a long reply is being written. */
struct bufferevent *tls_bevcb(struct event_base *base, void *ts);

/* ---- TLS client (blocking; the SMTP client's STARTTLS and implicit TLS) -------------------- */

/* One client connection over a socket the caller owns. Used by one thread at a time; never on
 * an event loop (every call blocks). Independent of the server side above. */
struct tls_client;

#define TLS_CLIENT_CA_FILE "/etc/ssl/certs/ca-certificates.crt" /* Debian's system bundle */

/*
 * Runs a TLS (1.2 or later) client handshake over the connected, blocking socket fd, sending
 * server_name as SNI. With verify, the server's certificate chain must verify against the CA
 * certificates in ca_file (NULL: TLS_CLIENT_CA_FILE) and name server_name (DNS names; mbedTLS
 * 2.28 does not match IP addresses); with verify 0 any certificate is accepted and a warning is
 * logged (self-signed relays, tests). Timeouts are the socket's: set SO_RCVTIMEO and SO_SNDTIMEO
 * on fd first, and a read or write that times out fails. Calls crypto_init (idempotent).
 * Returns the connection (free with tls_client_free), or NULL with a one-line message in err
 * (for a certificate that does not verify, why not).
 */
struct tls_client *tls_client_new(int fd, const char *server_name, int verify,
				  const char *ca_file, char *err, size_t errlen);

/* Reads up to len bytes of plaintext: the number read (> 0), 0 when the peer closed the
 * connection, or -1 on failure (tls_client_error says why; a timeout is one). */
long tls_client_read(struct tls_client *c, void *buf, size_t len);

/* Writes all len bytes: 0, or -1 on failure (tls_client_error says why). */
int tls_client_write(struct tls_client *c, const void *buf, size_t len);

/* Why the last read or write failed ("" if none did). Never NULL. */
const char *tls_client_error(const struct tls_client *c);

/* Frees the connection's TLS state without sending anything (no close_notify: the SMTP client
 * has said QUIT by then) and without closing fd. NULL is a no-op. */
void tls_client_free(struct tls_client *c);

#endif
