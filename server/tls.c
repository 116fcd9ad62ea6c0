/*
 * tls — HTTPS for evhttp (libevent 2.1.12) over mbedTLS; see tls.h for the contract.
 *
 * libevent 2.1.12 has no mbedTLS bufferevent and no public way to define a bufferevent type, so a
 * connection is a bufferevent_filter over a socket bufferevent ("under"): the input filter feeds
 * ciphertext from under's input to mbedtls_ssl_handshake / mbedtls_ssl_read, the output filter
 * encrypts evhttp's output with mbedtls_ssl_write. The mbedTLS BIO reads from under's input and
 * writes into a private staging buffer. Three traps of filter + evhttp 2.1.12 shape the code
 * (docs: shared/notes/https-on-libevent-2.1.md §1.3):
 *
 *  - evhttp appends a reply while EV_WRITE is disabled and then enables it, and the filter does not
 *    process output on enable: the reply would stall. An evbuffer callback on the filter's output
 *    notices such appends and activates a "kick" event (holding a reference on the filter) that
 *    flushes the filter once evhttp has enabled writing. (evbuffer_defer_callbacks would also
 *    unstall it, but makes libevent free a running callback: use-after-free.)
 *  - evhttp treats its write callback as "reply sent" and may then free the connection and
 *    shutdown(SHUT_WR) the socket at once; ciphertext still in user space is then lost. So staged
 *    ciphertext is written straight to the socket with one sendmsg when nothing is queued before
 *    it, and evhttp's write callback is run only when all the ciphertext is in the kernel: the
 *    output filter never answers BEV_OK (which would make the filter run the callback itself),
 *    and the kick runs it, at once or after under's output has drained. While under's output is
 *    non-empty, no more plaintext is encrypted (back-pressure for long replies). Running the
 *    callback from the kick, with a reference held, also avoids a use-after-free in the filter
 *    (see out_filter).
 *  - the filter ignores a BEV_ERROR from the input filter, so fatal TLS errors are reported with an
 *    explicit (deferred) error event.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h> /* tls_client: MBEDTLS_ERR_NET_* for the BIO */
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include "crypto.h"
#include "log.h"

#define TLS_RECORD_MAX 16384     /* plaintext bytes per mbedtls_ssl_write (one record) */
#define TLS_STAGE_BATCH 131072   /* encrypt this much, then try to send it */
#define TLS_STAGE_IOV 64         /* iovecs per sendmsg */
#define TLS_TICKET_LIFETIME 86400 /* seconds */
#define TLS_CERT_YEARS 10
#define TLS_PEM_MAX 4096

/* A certificate + key and the mbedtls_ssl_config using them; shared read-only by connections. */
struct tls_cfg {
	atomic_uint refs;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	char fingerprint[TLS_FINGERPRINT_SIZE];
};

struct tls_server {
	char *cert_path, *key_path;
	pthread_mutex_t lock; /* guards cur (the pointer; the object is refcounted) */
	struct tls_cfg *cur;
	mbedtls_ssl_ticket_context tickets; /* shared by every cfg, so tickets survive a reload */
	_Atomic uint64_t handshakes_ok, handshakes_failed, open;
};

/* One TLS connection; owned by the filter (freed by tls_conn_free, its free_context). Only
 * touched on the thread of its event_base. */
struct tls_conn {
	mbedtls_ssl_context ssl;
	struct tls_server *ts;
	struct tls_cfg *cfg;          /* reference held */
	struct bufferevent *under;    /* socket bufferevent; freed by the filter (CLOSE_ON_FREE) */
	struct bufferevent *filter;   /* what evhttp sees */
	struct evbuffer *stage;       /* ciphertext produced by mbedTLS, not yet sent or queued */
	struct event *kick;           /* see kick_cb */
	struct evbuffer_cb_entry *out_cb, *uout_cb;
	evutil_socket_t fd;           /* learned lazily: evhttp sets it after tls_bevcb returns */
	unsigned hs_done : 1;         /* handshake finished */
	unsigned failed : 1;          /* fatal TLS error: the connection is finished */
	unsigned peer_closed : 1;     /* close_notify received: ignore further input */
	unsigned kick_pending : 1;    /* kick active, holding a reference on the filter */
	unsigned withheld : 1;        /* output consumed, evhttp's write callback not yet run */
	unsigned in_kick : 1;         /* kick_cb is flushing: it delivers the write callback */
};

static const int tls_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	/* for an operator-supplied RSA certificate; mbedTLS only picks suites matching the key */
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};

#if MBEDTLS_VERSION_MAJOR >= 3
static const uint16_t tls_groups[] = {
	MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};
#else
static const mbedtls_ecp_group_id tls_curves[] = {
	MBEDTLS_ECP_DP_CURVE25519,
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_NONE,
};
#endif

/* Offered only when the client asks; a client that offers ALPN but none of these gets a fatal
 * no_application_protocol alert (RFC 7301), so HTTP/1.0 is listed: curl -0 offers "http/1.0". */
static const char *tls_alpn[] = {"http/1.1", "http/1.0", NULL};

/* mbedTLS's f_rng over the process-wide DRBG in crypto.c. */
static int tls_rng(void *unused, unsigned char *out, size_t len)
{
	(void)unused;
	return crypto_random(out, len) ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : 0;
}

/* "what: mbedTLS's description (-0xNNNN)" into err, what formatted from fmt. */
static void tls_error(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void tls_error(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	char what[512], text[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	mbedtls_strerror(rc, text, sizeof text);
	snprintf(err, errlen, "%s: %s (-0x%04x)", what, text, (unsigned)-rc);
}

/* ---- certificate and key files ---------------------------------------------------------- */

/* Writes data to path atomically and durably: PATH.tmp (created fresh with mode), fsync, rename,
 * fsync of the directory. */
static int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			     char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *p = data;
	int fd = -1, rc = -1;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		snprintf(err, errlen, "tls: path too long: %s", path);
		return -1;
	}
	if (unlink(tmp) && errno != ENOENT) {
		snprintf(err, errlen, "tls: cannot remove %s: %s", tmp, strerror(errno));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		snprintf(err, errlen, "tls: cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode)) /* whatever the umask */
		goto fail;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	snprintf(err, errlen, "tls: cannot write %s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* The subjectAltName extension value: SEQUENCE { [2] "localhost", [7] 127.0.0.1 }. ASN.1 is
 * written backwards from the end of buf; returns the length (start at *start) or a negative
 * mbedTLS error. */
static int san_der(unsigned char *buf, size_t size, unsigned char **start)
{
	static const unsigned char ip[4] = {127, 0, 0, 1};
	static const char dns[] = "localhost";
	const unsigned char ctx = MBEDTLS_ASN1_CONTEXT_SPECIFIC; /* [n] GeneralName choices */
	unsigned char *p = buf + size;
	int len = 0, r;
#define SAN_W(call)                  \
	do {                         \
		if ((r = (call)) < 0) \
			return r;    \
		len += r;            \
	} while (0)
	SAN_W(mbedtls_asn1_write_raw_buffer(&p, buf, ip, sizeof ip));
	SAN_W(mbedtls_asn1_write_len(&p, buf, sizeof ip));
	SAN_W(mbedtls_asn1_write_tag(&p, buf, ctx | MBEDTLS_X509_SAN_IP_ADDRESS));
	SAN_W(mbedtls_asn1_write_raw_buffer(&p, buf, (const unsigned char *)dns, sizeof dns - 1));
	SAN_W(mbedtls_asn1_write_len(&p, buf, sizeof dns - 1));
	SAN_W(mbedtls_asn1_write_tag(&p, buf, ctx | MBEDTLS_X509_SAN_DNS_NAME));
	SAN_W(mbedtls_asn1_write_len(&p, buf, (size_t)len));
	SAN_W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef SAN_W
	*start = p;
	return len;
}

/* The extendedKeyUsage extension value: SEQUENCE { id-kp-serverAuth }. mbedTLS 2.28 has no
 * setter for it (3.x has mbedtls_x509write_crt_set_ext_key_usage). Written like san_der. */
static int eku_der(unsigned char *buf, size_t size, unsigned char **start)
{
	unsigned char *p = buf + size;
	int len = 0, r;
	if ((r = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
					MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) < 0)
		return r;
	len += r;
	if ((r = mbedtls_asn1_write_len(&p, buf, (size_t)len)) < 0)
		return r;
	len += r;
	if ((r = mbedtls_asn1_write_tag(&p, buf,
					MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return r;
	len += r;
	*start = p;
	return len;
}

/* "YYYYMMDDhhmmss" for t (UTC), years added; 29 February becomes 28 February in a year that
 * has none. */
static void x509_time(time_t t, int years, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	int year = tm.tm_year + 1900 + years;
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (tm.tm_mon == 1 && tm.tm_mday == 29 && !leap)
		tm.tm_mday = 28;
	snprintf(out, 32, "%04d%02d%02d%02d%02d%02d", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

/* Generates an ECDSA P-256 key and a self-signed certificate for it and writes both. */
static int generate_pair(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	mbedtls_pk_context key;
	mbedtls_x509write_cert w;
	unsigned char pem[TLS_PEM_MAX], san[128], eku[32], serial[16], *san_start, *eku_start;
	char not_before[32], not_after[32];
	int r, rc = -1;

	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&w);
#if MBEDTLS_VERSION_NUMBER < 0x03040000
	mbedtls_mpi serial_mpi;
	mbedtls_mpi_init(&serial_mpi);
#endif

	if ((r = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) ||
	    (r = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), tls_rng,
				     NULL))) {
		tls_error(err, errlen, r, "tls: cannot generate a key");
		goto out;
	}

	/* 16 random bytes, top bit clear (a positive INTEGER), never zero */
	if (crypto_random(serial, sizeof serial)) {
		snprintf(err, errlen, "tls: no random numbers");
		goto out;
	}
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	time_t now = time(NULL);
	x509_time(now - 3600, 0, not_before); /* an hour back: clients with slow clocks */
	x509_time(now, TLS_CERT_YEARS, not_after);

	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &key);
	mbedtls_x509write_crt_set_issuer_key(&w, &key);
	if ((r = mbedtls_x509write_crt_set_subject_name(&w, "CN=localhost,O=delphi")) ||
	    (r = mbedtls_x509write_crt_set_issuer_name(&w, "CN=localhost,O=delphi")))
		goto fail;
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
	if ((r = mbedtls_x509write_crt_set_serial_raw(&w, serial, sizeof serial)))
		goto fail;
#else
	if ((r = mbedtls_mpi_read_binary(&serial_mpi, serial, sizeof serial)) ||
	    (r = mbedtls_x509write_crt_set_serial(&w, &serial_mpi)))
		goto fail;
#endif
	if ((r = mbedtls_x509write_crt_set_validity(&w, not_before, not_after)) ||
	    (r = mbedtls_x509write_crt_set_basic_constraints(&w, 0, -1)) ||
	    (r = mbedtls_x509write_crt_set_subject_key_identifier(&w)) ||
	    (r = mbedtls_x509write_crt_set_authority_key_identifier(&w)) ||
	    (r = mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)))
		goto fail;
	if ((r = san_der(san, sizeof san, &san_start)) < 0 ||
	    (r = mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
						     MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
						     0, san_start, (size_t)r)))
		goto fail;
	/* a server certificate only (clients that check the purpose, e.g. with a pinned
	 * self-signed certificate, want serverAuth); keyUsage digitalSignature above is what
	 * ECDHE-ECDSA needs */
	if ((r = eku_der(eku, sizeof eku, &eku_start)) < 0 ||
	    (r = mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
						     MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
						     0, eku_start, (size_t)r)))
		goto fail;

	/* the key first: a crash between the two leaves a key without certificate, which
	 * tls_server_new reports instead of overwriting */
	if ((r = mbedtls_pk_write_key_pem(&key, pem, sizeof pem))) {
		tls_error(err, errlen, r, "tls: cannot encode the key");
		goto out;
	}
	if (write_file_atomic(key_path, pem, strlen((char *)pem), 0600, err, errlen))
		goto out;
	mbedtls_platform_zeroize(pem, sizeof pem);
	if ((r = mbedtls_x509write_crt_pem(&w, pem, sizeof pem, tls_rng, NULL)))
		goto fail;
	if (write_file_atomic(cert_path, pem, strlen((char *)pem), 0644, err, errlen))
		goto out;
	rc = 0;
	goto out;
fail:
	tls_error(err, errlen, r, "tls: cannot create a certificate for %s", cert_path);
out:
	mbedtls_platform_zeroize(pem, sizeof pem);
#if MBEDTLS_VERSION_NUMBER < 0x03040000
	mbedtls_mpi_free(&serial_mpi);
#endif
	mbedtls_x509write_crt_free(&w);
	mbedtls_pk_free(&key);
	return rc;
}

/* ---- shared configuration ---------------------------------------------------------------- */

static void cfg_release(struct tls_cfg *cfg)
{
	if (!cfg || atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) != 1)
		return;
	mbedtls_ssl_config_free(&cfg->conf);
	mbedtls_x509_crt_free(&cfg->crt);
	mbedtls_pk_free(&cfg->key);
	free(cfg);
}

static struct tls_cfg *cfg_acquire(struct tls_server *ts)
{
	pthread_mutex_lock(&ts->lock);
	struct tls_cfg *cfg = ts->cur;
	atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&ts->lock);
	return cfg;
}

static void format_fingerprint(const unsigned char *der, size_t len, char out[TLS_FINGERPRINT_SIZE])
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char h[CRYPTO_SHA256_LEN];
	crypto_sha256(der, len, h);
	for (size_t i = 0; i < sizeof h; i++) {
		out[3 * i] = digits[h[i] >> 4];
		out[3 * i + 1] = digits[h[i] & 15];
		out[3 * i + 2] = i + 1 < sizeof h ? ':' : '\0';
	}
}

/* Loads the certificate and key of ts and builds a configuration with one reference. */
static int cfg_new(struct tls_server *ts, struct tls_cfg **out, char *err, size_t errlen)
{
	struct tls_cfg *cfg = calloc(1, sizeof *cfg);
	struct stat st;
	int r;
	if (!cfg) {
		snprintf(err, errlen, "tls: out of memory");
		return -1;
	}
	atomic_init(&cfg->refs, 1);
	mbedtls_ssl_config_init(&cfg->conf);
	mbedtls_x509_crt_init(&cfg->crt);
	mbedtls_pk_init(&cfg->key);

	if ((r = mbedtls_x509_crt_parse_file(&cfg->crt, ts->cert_path))) {
		tls_error(err, errlen, r > 0 ? MBEDTLS_ERR_X509_INVALID_FORMAT : r,
			  "tls: cannot load certificate %s", ts->cert_path);
		goto fail;
	}
#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_parse_keyfile(&cfg->key, ts->key_path, NULL, tls_rng, NULL);
#else
	r = mbedtls_pk_parse_keyfile(&cfg->key, ts->key_path, NULL);
#endif
	if (r) {
		tls_error(err, errlen, r, "tls: cannot load key %s", ts->key_path);
		goto fail;
	}
	if (!mbedtls_pk_can_do(&cfg->key, MBEDTLS_PK_ECDSA) &&
	    !mbedtls_pk_can_do(&cfg->key, MBEDTLS_PK_RSA)) {
		snprintf(err, errlen, "tls: key %s is neither EC nor RSA", ts->key_path);
		goto fail;
	}
#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_check_pair(&cfg->crt.pk, &cfg->key, tls_rng, NULL);
#else
	r = mbedtls_pk_check_pair(&cfg->crt.pk, &cfg->key);
#endif
	if (r) {
		snprintf(err, errlen, "tls: key %s does not belong to certificate %s", ts->key_path,
			 ts->cert_path);
		goto fail;
	}
	if (!stat(ts->key_path, &st) && (st.st_mode & 077))
		log_warnx("tls: key %s is accessible to group or others (mode %03o)", ts->key_path,
			  (unsigned)(st.st_mode & 0777));
	if (mbedtls_x509_time_is_past(&cfg->crt.valid_to))
		log_warnx("tls: certificate %s has expired", ts->cert_path);

	r = mbedtls_ssl_config_defaults(&cfg->conf, MBEDTLS_SSL_IS_SERVER,
					MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (r) {
		tls_error(err, errlen, r, "tls: cannot set up the configuration");
		goto fail;
	}
	mbedtls_ssl_conf_rng(&cfg->conf, tls_rng, NULL);
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_ssl_conf_min_tls_version(&cfg->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_max_tls_version(&cfg->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_groups(&cfg->conf, tls_groups);
#else
	mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_curves(&cfg->conf, tls_curves);
#endif
	mbedtls_ssl_conf_ciphersuites(&cfg->conf, tls_suites);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
	mbedtls_ssl_conf_renegotiation(&cfg->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
	if ((r = mbedtls_ssl_conf_alpn_protocols(&cfg->conf, tls_alpn)) ||
	    (r = mbedtls_ssl_conf_own_cert(&cfg->conf, &cfg->crt, &cfg->key))) {
		tls_error(err, errlen, r, "tls: cannot set up the configuration");
		goto fail;
	}
	mbedtls_ssl_conf_session_tickets_cb(&cfg->conf, mbedtls_ssl_ticket_write,
					    mbedtls_ssl_ticket_parse, &ts->tickets);
	format_fingerprint(cfg->crt.raw.p, cfg->crt.raw.len, cfg->fingerprint);
	*out = cfg;
	return 0;
fail:
	cfg_release(cfg);
	return -1;
}

/* 1 if path exists, 0 if not, -1 (message in err) if it cannot be told. */
static int file_exists(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (!stat(path, &st))
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "tls: cannot access %s: %s", path, strerror(errno));
	return -1;
}

int tls_server_new(const struct tls_options *opt, struct tls_server **out, char *err,
		   size_t errlen)
{
	struct tls_server *ts = NULL;
	int have_cert, have_key, r;
	*out = NULL;
	if (!opt->cert_path || !opt->key_path || !*opt->cert_path || !*opt->key_path) {
		snprintf(err, errlen, "tls: certificate and key paths are required");
		return -1;
	}
	if (crypto_init()) {
		snprintf(err, errlen, "tls: cannot seed the random generator");
		return -1;
	}
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(err, errlen, "tls: cannot initialise PSA crypto");
		return -1;
	}
#endif
	if ((have_cert = file_exists(opt->cert_path, err, errlen)) < 0 ||
	    (have_key = file_exists(opt->key_path, err, errlen)) < 0)
		return -1;
	if (have_cert != have_key) {
		snprintf(err, errlen,
			 "tls: %s exists but %s does not: provide both, or remove it to have a "
			 "self-signed pair generated",
			 have_cert ? opt->cert_path : opt->key_path,
			 have_cert ? opt->key_path : opt->cert_path);
		return -1;
	}
	if (!have_cert) {
		if (generate_pair(opt->cert_path, opt->key_path, err, errlen))
			return -1;
		log_info("tls: generated a self-signed certificate %s and key %s", opt->cert_path,
			 opt->key_path);
	}

	ts = calloc(1, sizeof *ts);
	if (!ts || !(ts->cert_path = strdup(opt->cert_path)) ||
	    !(ts->key_path = strdup(opt->key_path))) {
		snprintf(err, errlen, "tls: out of memory");
		goto fail;
	}
	pthread_mutex_init(&ts->lock, NULL);
	mbedtls_ssl_ticket_init(&ts->tickets);
	if ((r = mbedtls_ssl_ticket_setup(&ts->tickets, tls_rng, NULL, MBEDTLS_CIPHER_AES_256_GCM,
					  TLS_TICKET_LIFETIME))) {
		tls_error(err, errlen, r, "tls: cannot set up session tickets");
		goto fail;
	}
	if (cfg_new(ts, &ts->cur, err, errlen))
		goto fail;
	*out = ts;
	return 0;
fail:
	tls_server_free(ts);
	return -1;
}

void tls_server_free(struct tls_server *ts)
{
	if (!ts)
		return;
	if (ts->cert_path && ts->key_path) { /* fully constructed up to the mutex and tickets */
		cfg_release(ts->cur);
		mbedtls_ssl_ticket_free(&ts->tickets);
		pthread_mutex_destroy(&ts->lock);
	}
	free(ts->cert_path);
	free(ts->key_path);
	free(ts);
}

int tls_server_reload(struct tls_server *ts, char *err, size_t errlen)
{
	struct tls_cfg *cfg, *old;
	if (cfg_new(ts, &cfg, err, errlen))
		return -1;
	pthread_mutex_lock(&ts->lock);
	old = ts->cur;
	ts->cur = cfg;
	pthread_mutex_unlock(&ts->lock);
	cfg_release(old);
	return 0;
}

void tls_server_fingerprint(struct tls_server *ts, char *out, size_t size)
{
	if (size < TLS_FINGERPRINT_SIZE) {
		if (size)
			out[0] = '\0';
		return;
	}
	pthread_mutex_lock(&ts->lock);
	memcpy(out, ts->cur->fingerprint, TLS_FINGERPRINT_SIZE);
	pthread_mutex_unlock(&ts->lock);
}

void tls_server_stats(struct tls_server *ts, struct tls_stats *out)
{
	out->handshakes_ok = atomic_load_explicit(&ts->handshakes_ok, memory_order_relaxed);
	out->handshakes_failed = atomic_load_explicit(&ts->handshakes_failed, memory_order_relaxed);
	out->open_connections = atomic_load_explicit(&ts->open, memory_order_relaxed);
}

/* ---- connections ------------------------------------------------------------------------- */

static evutil_socket_t conn_fd(struct tls_conn *c)
{
	if (c->fd < 0) {
		c->fd = bufferevent_getfd(c->under);
		if (c->fd >= 0) {
			int one = 1;
			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
	}
	return c->fd;
}

/* Whether the filter is still linked to under. bufferevent_free(filter) → be_filter_unlink →
 * bufferevent_free(under) clears under's callbacks; after that the filter's reference count is
 * zero and taking a new reference would finalize it twice. */
static int conn_linked(struct tls_conn *c)
{
	bufferevent_event_cb ecb = NULL;
	bufferevent_getcb(c->under, NULL, NULL, &ecb, NULL);
	return ecb != NULL;
}

static void conn_kick(struct tls_conn *c)
{
	if (c->kick_pending || !conn_linked(c))
		return;
	c->kick_pending = 1;
	bufferevent_incref(c->filter);
	event_active(c->kick, EV_TIMEOUT, 1);
}

/* Sends the staged ciphertext with one sendmsg when nothing is queued before it; what the kernel
 * does not take is queued on under's output, which the socket bufferevent writes when it can.
 * Send errors are left to the socket bufferevent too: it reports them as events. */
static void stage_flush(struct tls_conn *c)
{
	struct evbuffer *uout = bufferevent_get_output(c->under);
	if (!evbuffer_get_length(c->stage))
		return;
	if (!evbuffer_get_length(uout) && conn_fd(c) >= 0) {
		struct iovec iov[TLS_STAGE_IOV];
		struct evbuffer_iovec v[TLS_STAGE_IOV];
		int n = evbuffer_peek(c->stage, -1, NULL, v, TLS_STAGE_IOV);
		if (n > TLS_STAGE_IOV)
			n = TLS_STAGE_IOV;
		for (int i = 0; i < n; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
		}
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t sent;
		do
			sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (sent < 0 && errno == EINTR);
		if (sent > 0)
			evbuffer_drain(c->stage, (size_t)sent);
	}
	if (evbuffer_get_length(c->stage))
		evbuffer_add_buffer(uout, c->stage);
}

/* A fatal TLS error: the filter ignores BEV_ERROR from the input filter, so tell evhttp with
 * an error event, deferred so that it never frees the connection inside a filter callback. */
static void conn_fail(struct tls_conn *c, int rc, short what)
{
	if (c->failed)
		return;
	c->failed = 1;
	if (!c->hs_done)
		atomic_fetch_add_explicit(&c->ts->handshakes_failed, 1, memory_order_relaxed);
	log_debug("tls: %s failed: -0x%04x", c->hs_done ? "connection" : "handshake",
		  (unsigned)-rc);
	if (conn_linked(c))
		bufferevent_trigger_event(c->filter, (short)(BEV_EVENT_ERROR | what),
					  BEV_TRIG_DEFER_CALLBACKS);
}

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = arg;
	if (len > INT_MAX)
		len = INT_MAX;
	if (evbuffer_add(c->stage, buf, len))
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	return (int)len;
}

/* Whatever ciphertext under has read; partial records are kept by mbedTLS (WANT_READ). */
static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tls_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->under);
	if (len > INT_MAX)
		len = INT_MAX;
	int n = evbuffer_remove(in, buf, len);
	return n > 0 ? n : MBEDTLS_ERR_SSL_WANT_READ;
}

/* Ciphertext (under's input) → plaintext (the filter's input). dst_limit is ignored: evhttp sets
 * no read watermark, and stopping early could strand plaintext inside mbedTLS. */
static enum bufferevent_filter_result in_filter(struct evbuffer *src, struct evbuffer *dst,
						ev_ssize_t dst_limit,
						enum bufferevent_flush_mode mode, void *arg)
{
	struct tls_conn *c = arg;
	int r, produced = 0;
	(void)dst_limit;
	(void)mode;
	if (c->failed || c->peer_closed) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return c->failed ? BEV_ERROR : BEV_NEED_MORE;
	}
	conn_fd(c);
	if (!c->hs_done) {
		r = mbedtls_ssl_handshake(&c->ssl);
		stage_flush(c); /* our flight, or a fatal alert */
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			return BEV_NEED_MORE;
		if (r) {
			conn_fail(c, r, BEV_EVENT_READING);
			return BEV_ERROR;
		}
		c->hs_done = 1;
		atomic_fetch_add_explicit(&c->ts->handshakes_ok, 1, memory_order_relaxed);
	}
	/* until WANT_READ: every complete record, and any plaintext mbedTLS still holds */
	for (;;) {
		struct evbuffer_iovec v;
		if (evbuffer_reserve_space(dst, TLS_RECORD_MAX, &v, 1) < 1) {
			conn_fail(c, MBEDTLS_ERR_SSL_ALLOC_FAILED, BEV_EVENT_READING);
			return BEV_ERROR;
		}
		r = mbedtls_ssl_read(&c->ssl, v.iov_base, v.iov_len);
		if (r > 0) {
			v.iov_len = (size_t)r;
			evbuffer_commit_space(dst, &v, 1);
			produced = 1;
			continue;
		}
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			/* the FIN that follows reaches evhttp as BEV_EVENT_EOF */
			c->peer_closed = 1;
			evbuffer_drain(src, evbuffer_get_length(src));
			break;
		}
		stage_flush(c);
		conn_fail(c, r, BEV_EVENT_READING);
		return BEV_ERROR;
	}
	stage_flush(c);
	return produced ? BEV_OK : BEV_NEED_MORE;
}

/* Plaintext (the filter's output) → ciphertext (dst is under's output), sent directly when
 * nothing is queued; stops encrypting while the kernel is full (under's output non-empty). */
static enum bufferevent_filter_result out_filter(struct evbuffer *src, struct evbuffer *dst,
						 ev_ssize_t dst_limit,
						 enum bufferevent_flush_mode mode, void *arg)
{
	struct tls_conn *c = arg;
	int any = 0;
	(void)dst_limit;
	(void)mode;
	if (c->failed) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_ERROR;
	}
	if (evbuffer_get_length(dst))
		return BEV_NEED_MORE; /* called again from under's write callback once drained */
	while (evbuffer_get_length(src)) {
		size_t n = evbuffer_get_length(src);
		if (n > TLS_RECORD_MAX)
			n = TLS_RECORD_MAX;
		unsigned char *p = evbuffer_pullup(src, (ev_ssize_t)n);
		int r = p ? mbedtls_ssl_write(&c->ssl, p, n) : MBEDTLS_ERR_SSL_ALLOC_FAILED;
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			break; /* not with our BIO, which never blocks */
		if (r < 0) {
			stage_flush(c);
			conn_fail(c, r, BEV_EVENT_WRITING);
			evbuffer_drain(src, evbuffer_get_length(src));
			return BEV_ERROR;
		}
		evbuffer_drain(src, (size_t)r);
		any = 1;
		if (evbuffer_get_length(c->stage) >= TLS_STAGE_BATCH) {
			stage_flush(c);
			if (evbuffer_get_length(dst))
				break; /* the kernel is full */
		}
	}
	stage_flush(c);
	if (any && !evbuffer_get_length(src)) {
		/* evhttp's write callback is due once the ciphertext is in the kernel: now, or when
		 * under's output drains (uout_cb) */
		c->withheld = 1;
		if (!evbuffer_get_length(dst) && !c->in_kick)
			conn_kick(c);
	}
	/* Never BEV_OK: that makes the filter run evhttp's write callback from inside its own
	 * processing, where evhttp may free the connection; when that processing was started by
	 * under's write callback, which holds no reference on the filter, the filter then re-arms
	 * its write timeout after libevent has cancelled it for finalization, leaving a freed
	 * timer in the event base (seen: abort in event_queue_insert_active). kick_cb delivers
	 * the callback holding a reference instead. */
	return BEV_NEED_MORE;
}

/* Appends to the filter's output while writing is disabled (evhttp_send_reply) would stall. */
static void out_added_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct tls_conn *c = arg;
	(void)buf;
	if (info->n_added && !(bufferevent_get_enabled(c->filter) & EV_WRITE))
		conn_kick(c);
}

/* under's output has drained: if evhttp's write callback was held back for it, deliver it. */
static void uout_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct tls_conn *c = arg;
	if (info->n_deleted && c->withheld && !evbuffer_get_length(buf))
		conn_kick(c);
}

/* Encrypts what evhttp queued while writing was disabled, and runs evhttp's write callback
 * ("reply sent") once everything is in the kernel. Runs from the event loop holding a reference
 * on the filter, so evhttp may free the connection inside. */
static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tls_conn *c = arg;
	struct bufferevent *filter = c->filter;
	(void)fd;
	(void)what;
	c->kick_pending = 0;
	/* evhttp has moved on without the callback (evhttp_send_reply_end, nothing queued) */
	if (!(bufferevent_get_enabled(filter) & EV_WRITE))
		c->withheld = 0;
	if (!c->failed && (bufferevent_get_enabled(filter) & EV_WRITE)) {
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
static void tls_conn_free(void *arg)
{
	struct tls_conn *c = arg;
	if (c->out_cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->filter), c->out_cb);
	if (c->uout_cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->under), c->uout_cb);
	if (c->kick)
		event_free(c->kick);
	if (c->stage)
		evbuffer_free(c->stage);
	mbedtls_ssl_free(&c->ssl);
	cfg_release(c->cfg);
	atomic_fetch_sub_explicit(&c->ts->open, 1, memory_order_relaxed);
	free(c);
}

struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
	struct tls_server *ts = arg;
	struct tls_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ts = ts;
	c->fd = -1;
	atomic_fetch_add_explicit(&ts->open, 1, memory_order_relaxed);
	mbedtls_ssl_init(&c->ssl);
	c->cfg = cfg_acquire(ts);
	if (mbedtls_ssl_setup(&c->ssl, &c->cfg->conf))
		goto fail;
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	if (!(c->stage = evbuffer_new()) || !(c->kick = event_new(base, -1, 0, kick_cb, c)) ||
	    !(c->under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)))
		goto fail;
	c->filter = bufferevent_filter_new(c->under, in_filter, out_filter, BEV_OPT_CLOSE_ON_FREE,
					   tls_conn_free, c);
	if (!c->filter) {
		bufferevent_free(c->under);
		goto fail;
	}
	/* from here on the filter owns c */
	c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->filter), out_added_cb, c);
	c->uout_cb = evbuffer_add_cb(bufferevent_get_output(c->under), uout_cb, c);
	if (!c->out_cb || !c->uout_cb) {
		bufferevent_free(c->filter);
		return NULL;
	}
	return c->filter;
fail:
	c->under = NULL;
	tls_conn_free(c);
	return NULL;
}

/* ---- TLS client ---------------------------------------------------------------------------- */

/* A blocking client connection: its own configuration (a client has one connection per
 * configuration, so nothing is shared) and the trusted CA certificates. */
struct tls_client {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	int fd;
	int timed_out; /* the last BIO call hit the socket's timeout */
	char err[256];
};

static int client_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tls_client *c = arg;
	ssize_t n;
	if (len > INT_MAX)
		len = INT_MAX;
	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	c->timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
	return c->timed_out ? MBEDTLS_ERR_SSL_TIMEOUT : MBEDTLS_ERR_NET_SEND_FAILED;
}

/* 0 at end of stream, which mbedTLS reports as MBEDTLS_ERR_SSL_CONN_EOF. */
static int client_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tls_client *c = arg;
	ssize_t n;
	if (len > INT_MAX)
		len = INT_MAX;
	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	c->timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
	return c->timed_out ? MBEDTLS_ERR_SSL_TIMEOUT : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* err = "what: why" for a failed client call. */
static void client_error(struct tls_client *c, int rc, const char *what, char *err, size_t errlen)
{
	if (c->timed_out)
		snprintf(err, errlen, "tls: %s: timed out", what);
	else if (rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == MBEDTLS_ERR_NET_CONN_RESET)
		snprintf(err, errlen, "tls: %s: the server closed the connection", what);
	else
		tls_error(err, errlen, rc, "tls: %s", what);
}

struct tls_client *tls_client_new(int fd, const char *server_name, int verify,
				  const char *ca_file, char *err, size_t errlen)
{
	struct tls_client *c;
	int r;
	if (crypto_init()) {
		snprintf(err, errlen, "tls: cannot seed the random generator");
		return NULL;
	}
	if (!(c = calloc(1, sizeof *c))) {
		snprintf(err, errlen, "tls: out of memory");
		return NULL;
	}
	c->fd = fd;
	mbedtls_ssl_init(&c->ssl);
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_x509_crt_init(&c->ca);
	if ((r = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
					     MBEDTLS_SSL_TRANSPORT_STREAM,
					     MBEDTLS_SSL_PRESET_DEFAULT))) {
		tls_error(err, errlen, r, "tls: cannot set up a client configuration");
		goto fail;
	}
	mbedtls_ssl_conf_rng(&c->conf, tls_rng, NULL);
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
	mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
#endif
	if (verify) {
		const char *path = ca_file && *ca_file ? ca_file : TLS_CLIENT_CA_FILE;
		/* > 0: some certificates of a bundle did not parse; the others are used */
		r = mbedtls_x509_crt_parse_file(&c->ca, path);
		if (r < 0 || !c->ca.raw.len) {
			tls_error(err, errlen, r < 0 ? r : MBEDTLS_ERR_X509_INVALID_FORMAT,
				  "tls: cannot load CA certificates from %s", path);
			goto fail;
		}
		mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
		mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	} else {
		mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
		log_warnx("tls: not verifying the certificate of %s: the connection is encrypted "
			  "but the server is not authenticated", server_name);
	}
	if ((r = mbedtls_ssl_setup(&c->ssl, &c->conf)) ||
	    (r = mbedtls_ssl_set_hostname(&c->ssl, server_name))) {
		tls_error(err, errlen, r, "tls: cannot set up the client connection");
		goto fail;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, client_send, client_recv, NULL);
	do
		r = mbedtls_ssl_handshake(&c->ssl);
	while (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (r) {
		uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
		if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags && flags != (uint32_t)-1) {
			char info[512], *p;
			int n = mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
			if (n < 0)
				snprintf(info, sizeof info, "flags 0x%08x", (unsigned)flags);
			while ((p = strrchr(info, '\n')) && !p[1])
				*p = '\0';
			for (p = info; (p = strchr(p, '\n'));)
				*p = ';';
			snprintf(err, errlen, "tls: the certificate of %s does not verify: %s",
				 server_name, info);
		} else {
			client_error(c, r, "handshake failed", err, errlen);
		}
		goto fail;
	}
	return c;
fail:
	tls_client_free(c);
	return NULL;
}

long tls_client_read(struct tls_client *c, void *buf, size_t len)
{
	int r;
	c->err[0] = '\0';
	c->timed_out = 0;
	if (len > INT_MAX)
		len = INT_MAX;
	do
		r = mbedtls_ssl_read(&c->ssl, buf, len);
	while (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (r >= 0)
		return r;
	if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == MBEDTLS_ERR_SSL_CONN_EOF)
		return 0;
	client_error(c, r, "read failed", c->err, sizeof c->err);
	return -1;
}

int tls_client_write(struct tls_client *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	c->err[0] = '\0';
	c->timed_out = 0;
	while (len) {
		int r = mbedtls_ssl_write(&c->ssl, p, len);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r < 0) {
			client_error(c, r, "write failed", c->err, sizeof c->err);
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

const char *tls_client_error(const struct tls_client *c)
{
	return c->err;
}

void tls_client_free(struct tls_client *c)
{
	if (!c)
		return;
	mbedtls_ssl_free(&c->ssl);
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_x509_crt_free(&c->ca);
	free(c);
}
