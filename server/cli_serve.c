/*
 * cli_serve — `delphi serve`: reads the settings (cfg.h), loads or makes the TLS certificate,
 * starts the HTTPS server (httpd.h), prints the URL and the certificate's fingerprint, then waits
 * for signals on this thread: SIGHUP reloads the certificate and key, SIGTERM / SIGINT stop
 * gracefully (a second one stops at once). Exit status 0 after a signal-initiated stop.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "cli.h"
#include "httpd.h"
#include "log.h"
#include "static.h"
#include "tls.h"

static const char *env_get(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

static void print_usage(void)
{
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "usage: delphi [--db FILE] serve [OPTIONS]\n\n"
		     "Runs the HTTPS server until SIGTERM or SIGINT (SIGHUP reloads the certificate).\n"
		     "Flags override the environment.\n\noptions:\n");
	cfg_usage(&b);
	fputs(b.data, stdout);
	buf_release(&b);
}

/* The URL users open: --public-url, else https://HOST:PORT/ from the listen address. */
static void user_url(const struct cfg *c, unsigned port, char *out, size_t size)
{
	char host[256];
	unsigned p;
	if (c->public_url) {
		snprintf(out, size, "%s", c->public_url);
		return;
	}
	if (cfg_parse_listen(c->listen, host, sizeof host, &p)) {
		snprintf(out, size, "https://%s/", c->listen);
		return;
	}
	snprintf(out, size, strchr(host, ':') ? "https://[%s]:%u/" : "https://%s:%u/", host, port);
}

int cli_serve(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct cfg c;
	struct tls_server *tls = NULL;
	struct static_site *site = NULL;
	struct httpd *h = NULL;
	sigset_t sigs, old;
	char err[512], url[1100], fp[TLS_FINGERPRINT_SIZE];
	int rc = CLI_FAIL, masked = 0, stopping = 0;

	log_set_timestamps(1);
	cfg_init(&c);
	if (cfg_load_env(&c, env_get, NULL, err, sizeof err))
		goto usage;
	if (ctx && ctx->db_path && cfg_set(&c, "db", ctx->db_path, "--db", err, sizeof err))
		goto usage;
	int a = cfg_parse_args(&c, argc > 0 ? argc - 1 : 0, argc > 0 ? argv + 1 : argv, err,
			       sizeof err);
	if (a == 1) {
		print_usage();
		rc = CLI_OK;
		goto out;
	}
	if (a < 0 || cfg_finish(&c, err, sizeof err))
		goto usage;

	/* TODO(db step): open c.db here (WAL, synchronous per c.durability), start the writer
	 * thread, and give each event thread its read connection through httpd_options.thread_init;
	 * stop the writer after httpd_join. Until then serve opens no database. */

	struct tls_options to = {.cert_path = c.cert, .key_path = c.key};
	if (tls_server_new(&to, &tls, err, sizeof err)) {
		log_warnx("%s", err);
		goto out;
	}
	if (c.web_dir ? static_site_dir(c.web_dir, &site, err, sizeof err)
		      : static_site_embedded(&site, err, sizeof err)) {
		log_warnx("%s", err);
		goto out;
	}

	/* Signals are taken synchronously by this thread (sigtimedwait below); the event threads
	 * block every signal. A write to a closed socket must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	masked = 1;

	struct httpd_options o = {
		.listen = c.listen,
		.threads = (size_t)c.threads,
		.max_body = (size_t)c.max_body,
		.max_headers = (size_t)c.max_headers,
		.timeout = (int)c.timeout,
		.shutdown_timeout = (int)c.shutdown_timeout,
		.max_connections = c.max_connections,
		.tls = tls,
		.routes = NULL, /* TODO(api step): the api_*.c route table (api.h) */
		.nroutes = 0,
		.site = site,
	};
	if (httpd_new(&o, &h, err, sizeof err) || httpd_start(h, err, sizeof err)) {
		log_warnx("%s", err);
		goto out;
	}

	user_url(&c, httpd_port(h), url, sizeof url);
	tls_server_fingerprint(tls, fp, sizeof fp);
	log_info("listening on %s (port %u), %ld thread(s), database %s, durability %s, web %s",
		 c.listen, httpd_port(h), c.threads, c.db,
		 c.durability == CFG_DURABILITY_FULL ? "full" : "normal",
		 c.web_dir ? c.web_dir : "built-in");
	printf("delphi serve: %s\n", url);
	printf("certificate SHA-256 fingerprint: %s\n", fp);
	fflush(stdout);

	rc = CLI_OK;
	while (httpd_running(h) > 0) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("sigtimedwait");
			continue;
		}
		if (sig == SIGHUP) {
			if (tls_server_reload(tls, err, sizeof err)) {
				log_warnx("SIGHUP: %s (still using the previous certificate)", err);
			} else {
				tls_server_fingerprint(tls, fp, sizeof fp);
				log_info("SIGHUP: certificate reloaded, SHA-256 fingerprint %s", fp);
			}
		} else if (!stopping) {
			stopping = 1;
			log_info("%s: stopping; requests in flight get up to %lds",
				 sig == SIGINT ? "SIGINT" : "SIGTERM", c.shutdown_timeout);
			httpd_stop(h, 0);
		} else {
			log_info("%s again: stopping now", sig == SIGINT ? "SIGINT" : "SIGTERM");
			httpd_stop(h, 1);
		}
	}
	httpd_join(h);
	if (!stopping) {
		log_warnx("the event threads stopped unexpectedly");
		rc = CLI_FAIL;
	} else {
		log_info("stopped");
	}
	goto out;
usage:
	log_warnx("serve: %s", err);
	rc = CLI_USAGE;
out:
	httpd_free(h);
	static_site_free(site);
	tls_server_free(tls);
	cfg_release(&c);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
