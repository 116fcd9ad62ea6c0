/*
 * cli_serve — `delphi serve`: reads the settings (cfg.h), loads or makes the TLS certificate,
 * opens the database through the group-commit writer (writer.h), starts the HTTPS server
 * (httpd.h) with the API (api.h), prints the URL and the certificate's fingerprint, then waits
 * for signals on this thread: SIGHUP reloads the certificate and key, SIGTERM / SIGINT stop
 * gracefully (a second one stops at once). Exit status 0 after a signal-initiated stop.
 *
 * A missing database file is created with the current schema (as `delphi init` would), so that
 * `delphi serve` works from nothing; a database without a survey is served all the same (every
 * invitation link is then unknown) and the log says how to load one. The writer opens the file
 * read-write first and migrates it; then each event thread opens its own read-only connection.
 *
 * Sessions that are over (auth.h: idle or past their end) are deleted at start and then hourly,
 * by a job of the writer.
 *
 * Rounds whose scheduled close (close_at) has come are closed by the scheduler's thread
 * (schedule.h) through the writer: at start, then within a second of their time.
 *
 * Shutdown order (writer.h, httpd.h, schedule.h): stop the listeners and let requests in flight
 * finish (httpd_stop, httpd_join), let the console's workers and the scheduler finish what they
 * submitted (api_stop, schedule_stop), then commit what the writer still holds and stop it
 * (writer_stop), then run the completions still queued and close the read connections
 * (httpd_free).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "buf.h"
#include "cfg.h"
#include "cli.h"
#include "db.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "schedule.h"
#include "static.h"
#include "tls.h"
#include "writer.h"

static const char *env_get(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

void cli_serve_usage(void)
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

/* writer_options.on_commit: the group-commit figures for /metrics. */
static void on_commit(void *arg, size_t jobs, uint64_t usec)
{
	metrics_observe_commit(arg, jobs, usec);
}

static int count_survey(const struct db_survey_info *info, void *arg)
{
	(void)info;
	++*(long *)arg;
	return 0;
}

/* Says in the log when there is nothing to answer yet (read-only look, after the writer made
 * sure the file exists and is migrated). */
static void note_empty(const char *path)
{
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	long n = 0;
	if (db_open(path, DB_READONLY, &db, err) || db_survey_list(db, count_survey, &n) < 0) {
		log_warnx("%s", db ? db_error(db) : err);
	} else if (n == 0) {
		log_info("database %s holds no survey yet: load one with 'delphi --db %s survey load "
			 "FILE' (the server need not stop)", path, path);
	}
	db_close(db);
}

/* ---- Purging finished sessions ---- */

#define PURGE_INTERVAL 3600 /* seconds */

struct purge {
	struct writer_job wj;
	atomic_int queued; /* a job struct must not be submitted again while queued */
};

static int purge_run(struct db *db, void *arg, char *err, size_t errlen)
{
	(void)arg;
	int64_t n = db_session_purge(db, (int64_t)time(NULL), AUTH_USER_IDLE, AUTH_EXPERT_IDLE);
	if (n < 0) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return n > INT_MAX ? INT_MAX : (int)n;
}

static void purge_done(void *arg, int rc, const char *err)
{
	struct purge *p = arg;
	if (rc == WRITER_FAILED)
		log_warnx("cannot purge the finished sessions: %s", err);
	else if (rc > 0)
		log_info("purged %d finished session(s)", rc);
	atomic_store(&p->queued, 0);
}

static void purge_submit(struct writer *w, struct purge *p)
{
	if (atomic_exchange(&p->queued, 1))
		return; /* the last one is still waiting */
	p->wj.run = purge_run;
	p->wj.done = purge_done;
	p->wj.arg = p;
	writer_submit(w, &p->wj);
}

/* The read-only connections close last (httpd_free, after the writer stopped), and a read-only
 * connection cannot fold the WAL back into the database: one read-write open and close does it,
 * so a stopped server leaves no -wal / -shm files behind. */
static void tidy_wal(const char *path)
{
	struct db *db = NULL;
	char err[DB_ERR_MAX];
	if (db_open(path, DB_READWRITE, &db, err))
		log_warnx("%s", err);
	db_close(db);
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
	struct writer *w = NULL;
	struct api *api = NULL;
	struct schedule *sched = NULL;
	struct purge purge = { .queued = 0 };
	time_t purged_at = 0;
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
		cli_serve_usage();
		rc = CLI_OK;
		goto out;
	}
	if (a < 0 || cfg_finish(&c, err, sizeof err))
		goto usage;

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
	if (!(api = api_new(c.db, site))) {
		log_warnx("out of memory");
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
		.routes = api_routes,
		.nroutes = api_nroutes,
		.route_max_body = api_route_max_body,
		.site = site,
		.authorize = api_auth_authorize,
		.thread_init = api_thread_init,
		.thread_fini = api_thread_fini,
		.app = api,
	};
	if (httpd_new(&o, &h, err, sizeof err)) {
		log_warnx("%s", err);
		goto out;
	}
	/* The writer before the event threads: it creates and migrates the file they open. */
	struct writer_options wo = {
		.durability = c.durability == CFG_DURABILITY_FULL ? WRITER_FULL : WRITER_NORMAL,
		.create = 1,
		.on_commit = on_commit,
		.on_commit_arg = httpd_metrics(h),
	};
	if (!(w = writer_new(c.db, &wo, err, sizeof err))) {
		log_warnx("%s", err);
		goto out;
	}
	api_set_writer(api, w);
	note_empty(c.db);
	/* Rounds whose scheduled close passed while no server ran close now, then as they fall due. */
	struct schedule_options so = {.db_path = c.db, .writer = w};
	if (schedule_new(&so, &sched, err, sizeof err)) {
		log_warnx("%s", err);
		goto out;
	}
	if (httpd_start(h, err, sizeof err)) {
		log_warnx("%s", err);
		goto out;
	}

	user_url(&c, httpd_port(h), url, sizeof url);
	api_set_public_url(api, url); /* the console's invitation links */
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
		if (!stopping && time(NULL) - purged_at >= PURGE_INTERVAL) {
			purged_at = time(NULL);
			purge_submit(w, &purge);
		}
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
	api_stop(api);  /* the console's workers finish (they submit to the writer) */
	schedule_stop(sched); /* waits for its closings: before the writer stops */
	writer_stop(w); /* commits what is queued; its completions run in httpd_free */
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
	api_stop(api);
	schedule_stop(sched); /* it submits to the writer and waits for its jobs */
	if (w)
		writer_stop(w); /* before httpd_free, which must come after the last req_post */
	httpd_free(h);
	if (w)
		tidy_wal(c.db);
	schedule_free(sched);
	writer_free(w);
	api_free(api);
	static_site_free(site);
	tls_server_free(tls);
	cfg_release(&c);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
