/*
 * fuzz_request — libFuzzer target for delphi's request path: each input is one HTTP request sent
 * over a real socket to a real server in this process — evhttp's parser, httpd's dispatch and
 * limits, the router (route.c), the authorize hook (api_auth.c), the handlers (api_*.c: the
 * expert's PUT /api/v1/answers/{topic} with its JSON body, the console's POST routes, ...), the
 * group-commit writer and its completions — against a SQLite file prepared once.
 *
 * The input is the request as text: a request line, header lines, an empty line, the body
 * ("\n" or "\r\n" line ends). Placeholders stand for the credentials the fixture made, which no
 * fuzzer could guess (every occurrence is replaced, in the head and the body):
 *
 *     $T0 $T1 $T2   invitation tokens of experts E001, E002 (both invited to round 1) and E003
 *                   (revoked) of foresight-2050
 *     $T3 $T4       those of E101 and E102 of foresight-r2, invited to its round 2
 *     $SE $XE       a session of E001 (cookie value) and its CSRF token
 *     $SC $XC       the same for coordinator carol, $SP $XP planner pat, $SA $XA admin ada
 *     $PW           the three users' password
 *     $CM           the id of E002's pending comment on ICT-01 (round 1)
 *
 * The harness then frames the request the way a client would, so that every input ends: lines
 * are sent with CRLF; Connection, Keep-Alive, Transfer-Encoding, TE and Upgrade header lines are
 * dropped and "Connection: close" is added; a body goes with every method evhttp reads one for
 * (all it knows but HEAD and TRACE), with "Content-Length" added when the input has none (for
 * GET, DELETE, OPTIONS only if there is a body); when it has one (evhttp frames by the first,
 * parsed as evhttp does), the body is cut or padded with spaces to that length, or, beyond
 * FR_PAD_MAX bytes, sent as it is and followed by a half-close. Should no reply start within a
 * second, the harness half-closes too (evhttp then gives up on a request it is still reading).
 * Leading empty lines are skipped; head lines end at a NUL, as evhttp reads them.
 *
 * The server (fuzz_request_init): a temporary directory with a database holding the sample survey
 * survey-defs/foresight-2050.json (read relative to the working directory: run from the
 * repository root) with experts E001..E003 (tokens fixed by the fixture, E003 revoked), round 1
 * open and E002's answers to ICT-01 (importance 4, a comment); the same definition as
 * foresight-r2 (its first field and that field's 10 topics), whose round 1 E101 and E102 answered
 * (E101's comment approved) and which closed with its statistics, and whose round 2 is open
 * (feedback, reasons and reports have data); users ada (admin), carol (coordinator) and pat
 * (planner), and a session for E001 and each user. That file is copied for the server, which
 * runs as `delphi serve` wires it (api.h) with one event thread on 127.0.0.1:0, the built-in web
 * pages, the writer and the console's worker threads, without TLS: fuzz/tls_plain.c replaces
 * server/tls.c. No mail relay is configured (DELPHI_SMTP_* are unset). Inputs change the store
 * (answers, rounds, users, experts, sessions); before each input the harness checks that every
 * credential above still works and that a round of foresight-2050 is open, and if not, it checks
 * the store (db_check: delphi check's invariants) and restarts the server on a fresh copy.
 *
 * Properties checked on every reply (beyond ASan and UBSan on the whole server):
 *   - exactly one well-framed HTTP/1.x response (after any 100 Continue), its body as long as
 *     its Content-Length (none for HEAD, 204, 304), nothing after it; a complete request that the
 *     harness did not half-close always gets one;
 *   - never 500 (nothing here runs out of memory or disk: a 500 is a handler's unexpected failure);
 *   - delphi's replies carry the security headers of req_security_headers and Cache-Control;
 *     a reply without them must be one of evhttp's own HTML error pages (status >= 400);
 *   - JSON replies parse; error replies have docs/api.md's shape {"error": {"code", "message",
 *     "field"?}} (plus the console's "errors" and "error_count"); 401 has WWW-Authenticate and
 *     405 has Allow;
 *   - no reply holds a session id, an invitation token or the password that the request did not
 *     hold, nor any request since the last restart outside its Cookie and Authorization headers
 *     (then the store may hold it and give it back: a comment, a name);
 *   - a 200 to PUT /api/v1/answers/{topic} names a topic of the survey and holds only answers
 *     that are valid for their questions (answer_from_json) and reasons for ordinal or year
 *     answers it holds;
 *   - every FR_CHECK_EVERY inputs and before every restart, db_check finds no problem.
 * See fuzz/fuzz.h and fuzz/README.md.
 */
#include <stdio.h>

/* Findings are written to a copy of stderr taken at start-up: run.sh closes stderr under
 * libFuzzer (-close_fd_mask=2) to silence the server's access log. */
static FILE *fr_out;
#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(fr_out ? fr_out : stderr, "%s:%d: property does not hold: %s\n", \
				__FILE__, __LINE__, #cond);                                    \
			fflush(fr_out ? fr_out : stderr);                                      \
			abort();                                                               \
		}                                                                              \
	} while (0)
#endif
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "api.h"
#include "auth.h"
#include "buf.h"
#include "cli_report.h"
#include "crypto.h"
#include "db.h"
#include "db_console.h"
#include "db_mail.h"
#include "db_maint.h"
#include "db_users.h"
#include "httpd.h"
#include "req.h"
#include "static.h"
#include "survey.h"
#include "tls.h"
#include "writer.h"

#define FR_SURVEY_FILE "survey-defs/foresight-2050.json"
#define FR_SLUG "foresight-2050"
#define FR_PASSWORD "correct horse battery staple"
#define FR_PAD_MAX (256u << 10)    /* bodies are padded up to their Content-Length up to this */
#define FR_QUIET_MS 1000           /* no reply yet after this long: half-close */
#define FR_DEADLINE_MS 6000        /* no end of the reply after this long: a finding */
#define FR_REPLY_MAX (64u << 20)   /* bytes of a reply kept */
#define FR_CHECK_EVERY 5000        /* inputs between two db_check runs */
#define FR_SERVER_TIMEOUT 3        /* seconds: httpd_options.timeout */
#define FR_SLUG2 "foresight-r2"   /* the same definition under another slug, in round 2 */
#define FR_NEXPERTS 5
#define FR_NSESSIONS 4
#define FR_NSECRETS (FR_NSESSIONS + FR_NEXPERTS + 1)

enum { FR_EXPERT, FR_COORDINATOR, FR_PLANNER, FR_ADMIN }; /* session slots */

/* What the fixture does with an expert beyond importing it. */
enum fr_expert_kind { FR_PLAIN, FR_WITH_SESSION, FR_REVOKED };

/* The fixture's experts: $T0..$T4 are their tokens (db_mail_set_token), fixed so that a crash
 * input replays. E001..E003 are in FR_SLUG (round 1 open), E101 and E102 in FR_SLUG2 (round 1
 * answered, closed and aggregated; round 2 open). */
static const struct fr_expert_def {
	const char *id, *name, *token;
	enum db_sector sector;
	size_t field; /* index of the one field */
	enum fr_expert_kind kind;
	int second;   /* in FR_SLUG2 */
	const char *answers[7]; /* round 1 answers to the first topic, in question order (second) */
} fr_experts[FR_NEXPERTS] = {
	{ "E001", "Aiko Tanaka", "e001e001e001e001e001e001e001e001", DB_SECTOR_ACADEMIA, 0,
	  FR_WITH_SESSION, 0, { NULL } },
	{ "E002", "Ben Okafor", "e002e002e002e002e002e002e002e002", DB_SECTOR_INDUSTRY, 2, FR_PLAIN,
	  0, { NULL } },
	{ "E003", "Chen Wei", "e003e003e003e003e003e003e003e003", DB_SECTOR_GOVERNMENT, 3,
	  FR_REVOKED, 0, { NULL } },
	{ "E101", "Dana Smith", "e101e101e101e101e101e101e101e101", DB_SECTOR_ACADEMIA, 0, FR_PLAIN,
	  1, { "3", "4", "3", "2030", "2035", "funding;elsi", "Feasible with steady funding." } },
	{ "E102", "Emil Berg", "e102e102e102e102e102e102e102e102", DB_SECTOR_OTHER, 0, FR_PLAIN, 1,
	  { "2", "2", "dont_know", "2040", "never", "regulation", "Hard to say." } },
};

/* The running server and the harness's own read-only connection to its file. */
struct fr_server {
	struct api *api;
	struct httpd *h;
	struct writer *w;
	struct db *db;
	unsigned port;
};

static struct {
	int ready;
	char dir[64];
	char db_path[128];
	char pristine[128];
	struct survey *survey;      /* the sample survey, to check replies against */
	struct tls_server *tls;     /* tls_plain.c's */
	struct static_site *site;
	struct fr_server s;
	int64_t survey_id;
	char sid[FR_NSESSIONS][DB_SESSION_ID_HEX + 1];
	char csrf[FR_NSESSIONS][DB_CSRF_HEX + 1];
	char comment_id[96];
	bool stored_secret[FR_NSECRETS]; /* see fr_check_secrets */
	unsigned long runs, restarts, checks;
} fr;

/* ---- The fixture -------------------------------------------------------------------------- */

static char *fr_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	if (!f) {
		fprintf(stderr, "fuzz_request: cannot open %s (run from the repository root): %s\n",
			path, strerror(errno));
		return NULL;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

static int fr_copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = fr_read_file(from, &len);
	int rc = -1;
	FILE *f = NULL;
	if (!data)
		return -1;
	if (!(f = fopen(to, "wb")) || fwrite(data, 1, len, f) != len)
		goto out;
	rc = 0;
out:
	if (f && fclose(f))
		rc = -1;
	free(data);
	return rc;
}

/* Imports expert k of fr_experts into sv. */
static int fr_expert(struct db *db, const struct db_survey *sv, size_t k)
{
	const struct fr_expert_def *e = &fr_experts[k];
	const size_t fields[1] = { e->field };
	struct db_expert_in in = { e->id, e->name, "", e->sector, fields, 1 };
	struct db_expert_ref ref;
	char token[DB_TOKEN_HEX + 1];
	bool created;
	int64_t ended;
	if (db_expert_upsert(db, sv, &in, token, &created) ||
	    db_expert_by_ext_id(db, sv->id, e->id, &ref) != DB_FOUND ||
	    db_mail_set_token(db, ref.id, e->token))
		return -1;
	if (e->kind == FR_WITH_SESSION)
		return auth_session_start(db, DB_PRINCIPAL_EXPERT, ref.id, (int64_t)time(NULL),
					  fr.sid[FR_EXPERT], fr.csrf[FR_EXPERT]);
	if (e->kind == FR_REVOKED)
		return db_mail_revoke(db, ref.id, &ended) < 0 ? -1 : 0;
	return 0;
}

static int fr_user(struct db *db, const char *name, enum db_role role, int slot)
{
	char *hash = auth_password_hash(FR_PASSWORD, CRYPTO_PBKDF2_ITERATIONS);
	int64_t id;
	int rc = -1;
	if (!hash || db_user_add(db, name, role, hash, &id) != DB_USER_DONE)
		goto out;
	rc = auth_session_start(db, DB_PRINCIPAL_USER, id, (int64_t)time(NULL), fr.sid[slot],
				fr.csrf[slot]);
out:
	free(hash);
	return rc;
}

/* Stores the text answer text of expert ext_id to question key of the first topic of sv in
 * round round_id; the comment's id (console API) into comment_id when not NULL. */
static int fr_answer(struct db *db, const struct db_survey *sv, int64_t round_id,
		     const char *ext_id, const char *key, const char *text, char *comment_id,
		     size_t size)
{
	const struct survey *s = sv->survey;
	struct db_expert_ref ref;
	struct answer a = ANSWER_INIT;
	char err[ANSWER_ERR_MAX];
	int q = survey_question_index(s, key), rc = -1;
	if (q < 0 || db_expert_by_ext_id(db, sv->id, ext_id, &ref) != DB_FOUND ||
	    answer_parse_text(&s->questions[q], text, &a, err) ||
	    db_answer_put(db, sv, round_id, ref.id, 0, (size_t)q, &a))
		goto out;
	if (comment_id)
		snprintf(comment_id, size, "%lld.%lld.%lld", (long long)sv->topic_ids[0],
			 (long long)sv->question_ids[q], (long long)ref.id);
	rc = 0;
out:
	answer_release(&a);
	return rc;
}

/* FR_SLUG: E001..E003, round 1 open, E002's importance and comment on the first topic; the users
 * and their sessions. */
static int fr_populate(struct db *db, const struct db_survey *sv)
{
	struct db_round r;
	int64_t invited;
	for (size_t k = 0; k < FR_NEXPERTS; k++)
		if (!fr_experts[k].second && fr_expert(db, sv, k))
			return -1;
	if (db_round_open(db, sv, &r, &invited) != DB_ROUND_DONE ||
	    fr_answer(db, sv, r.id, "E002", "importance", "4", NULL, 0) ||
	    fr_answer(db, sv, r.id, "E002", "comment", "Needs steady funding.", fr.comment_id,
		      sizeof fr.comment_id))
		return -1;
	return fr_user(db, "ada", DB_ROLE_ADMIN, FR_ADMIN) ||
	       fr_user(db, "carol", DB_ROLE_COORDINATOR, FR_COORDINATOR) ||
	       fr_user(db, "pat", DB_ROLE_PLANNER, FR_PLANNER);
}

/* FR_SLUG2: E101 and E102 answer the first topic in round 1 (E101's comment approved), which
 * closes with its statistics; round 2 opens for them: feedback, reasons and reports have data. */
static int fr_populate2(struct db *db, const struct db_survey *sv)
{
	const struct survey *s = sv->survey;
	int comment = survey_question_index(s, "comment");
	struct cli_report_agg agg;
	struct db_expert_ref e101;
	struct db_round r;
	int64_t invited;
	for (size_t k = 0; k < FR_NEXPERTS; k++)
		if (fr_experts[k].second && fr_expert(db, sv, k))
			return -1;
	if (comment < 0 || db_round_open(db, sv, &r, &invited) != DB_ROUND_DONE)
		return -1;
	for (size_t k = 0; k < FR_NEXPERTS; k++) {
		const struct fr_expert_def *e = &fr_experts[k];
		for (size_t q = 0; e->second && q < s->n_questions && e->answers[q]; q++)
			if (fr_answer(db, sv, r.id, e->id, s->questions[q].key, e->answers[q],
				      NULL, 0))
				return -1;
	}
	if (db_expert_by_ext_id(db, sv->id, "E101", &e101) != DB_FOUND ||
	    db_console_comment_decide(db, r.id, sv->topic_ids[0], sv->question_ids[comment],
				      e101.id, DB_COMMENT_APPROVED, "user:carol") != DB_FOUND)
		return -1;
	return db_round_close(db, sv, &r) != DB_ROUND_DONE || cli_report_aggregate(db, sv, &r, &agg) ||
			       db_round_open(db, sv, &r, &invited) != DB_ROUND_DONE
		       ? -1
		       : 0;
}

/* FR_SLUG2's definition: the sample's under another slug, with its first field and that field's
 * topics only (its reports cost a ninth of the sample's). New string (free it), or NULL. */
static char *fr_second_definition(const char *json, size_t len)
{
	json_error_t je;
	json_t *d = json_loadb(json, len, 0, &je), *fields, *topics;
	char *out = NULL;
	if (!d || !json_is_array(fields = json_object_get(d, "fields")) ||
	    !json_is_array(topics = json_object_get(d, "topics")) || !json_array_size(fields))
		goto out;
	const char *first = json_string_value(json_object_get(json_array_get(fields, 0), "code"));
	for (size_t i = json_array_size(topics); first && i-- > 0;) {
		const char *f = json_string_value(json_object_get(json_array_get(topics, i), "field"));
		if (!f || strcmp(f, first))
			json_array_remove(topics, i);
	}
	while (json_array_size(fields) > 1)
		json_array_remove(fields, 1);
	if (!json_object_set_new(d, "slug", json_string(FR_SLUG2)))
		out = json_dumps(d, JSON_INDENT(1));
out:
	json_decref(d);
	return out;
}

/* Stores the definition json (len bytes) and loads it back into *out. */
static int fr_store_survey(struct db *db, const char *json, size_t len, struct db_survey **out)
{
	struct survey *s = NULL;
	struct survey_error serr;
	int rc = -1;
	if (survey_load_string(json, len, FR_SURVEY_FILE, &s, &serr)) {
		fprintf(stderr, "fuzz_request: the definition does not load: %s\n", serr.text);
		return -1;
	}
	if (db_begin(db) || db_survey_store(db, json, len, s) != DB_STORE_CREATED ||
	    db_commit(db) || db_survey_get(db, s->slug, out) != DB_FOUND)
		goto out;
	rc = 0;
out:
	db_rollback(db);
	survey_free(s);
	return rc;
}

/* Stores the definition json (len bytes), then populate(db, it) in one transaction. */
static int fr_step(struct db *db, const char *json, size_t len,
		   int (*populate)(struct db *, const struct db_survey *), int64_t *id)
{
	struct db_survey *sv = NULL;
	int rc = -1;
	if (fr_store_survey(db, json, len, &sv) || db_begin(db))
		goto out;
	if (populate(db, sv) || db_commit(db)) {
		db_rollback(db);
		goto out;
	}
	if (id)
		*id = sv->id;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "fuzz_request: cannot prepare a survey: %s\n", db_error(db));
	db_survey_free(sv);
	return rc;
}

/* Makes fr.pristine: the state every server starts from. */
static int fr_make_pristine(void)
{
	struct db *db = NULL;
	struct survey_error serr;
	char err[DB_ERR_MAX];
	size_t len;
	char *json = fr_read_file(FR_SURVEY_FILE, &len), *second = NULL;
	int rc = -1;
	if (!json)
		return -1;
	if (survey_load_string(json, len, FR_SURVEY_FILE, &fr.survey, &serr)) {
		fprintf(stderr, "fuzz_request: %s does not load: %s\n", FR_SURVEY_FILE, serr.text);
		goto out;
	}
	if (db_open(fr.pristine, DB_READWRITE | DB_CREATE, &db, err)) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		goto out;
	}
	second = fr_second_definition(json, len);
	if (!second || fr_step(db, json, len, fr_populate, &fr.survey_id) ||
	    fr_step(db, second, strlen(second), fr_populate2, NULL))
		goto out;
	rc = 0;
out:
	db_close(db);
	free(second);
	free(json);
	return rc;
}

/* ---- The server --------------------------------------------------------------------------- */

static void fr_stop(void)
{
	struct fr_server *s = &fr.s;
	if (s->h) {
		httpd_stop(s->h, 1);
		httpd_join(s->h);
	}
	api_stop(s->api);
	if (s->w)
		writer_stop(s->w);
	httpd_free(s->h);
	writer_free(s->w);
	api_free(s->api);
	db_close(s->db);
	memset(s, 0, sizeof *s);
}

static void fr_remove_db(void)
{
	char p[160];
	unlink(fr.db_path);
	snprintf(p, sizeof p, "%s-wal", fr.db_path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", fr.db_path);
	unlink(p);
}

/* httpd's options for the application api, as cli_serve.c sets them (one thread, short
 * timeouts, any free port on loopback). */
static void fr_httpd_options(struct httpd_options *o, struct api *api)
{
	memset(o, 0, sizeof *o);
	o->listen = "127.0.0.1:0";
	o->threads = 1;
	o->max_body = 64 << 10;
	o->max_headers = 16 << 10;
	o->timeout = FR_SERVER_TIMEOUT;
	o->shutdown_timeout = 0;
	o->max_connections = 64;
	o->tls = fr.tls;
	o->routes = api_routes;
	o->nroutes = api_nroutes;
	o->route_max_body = api_route_max_body;
	o->site = fr.site;
	o->authorize = api_auth_authorize;
	o->thread_init = api_thread_init;
	o->thread_fini = api_thread_fini;
	o->app = api;
}

/* A server on a fresh copy of the pristine file, wired as cli_serve.c does. */
static int fr_start(void)
{
	struct fr_server *s = &fr.s;
	struct writer_options wo = { .durability = WRITER_NORMAL };
	struct httpd_options o;
	char err[512] = "out of memory";
	fr_remove_db();
	if (fr_copy_file(fr.pristine, fr.db_path)) {
		snprintf(err, sizeof err, "cannot copy %s", fr.pristine);
		goto fail;
	}
	if (!(s->api = api_new(fr.db_path, fr.site)))
		goto fail;
	fr_httpd_options(&o, s->api);
	if (httpd_new(&o, &s->h, err, sizeof err) ||
	    !(s->w = writer_new(fr.db_path, &wo, err, sizeof err)))
		goto fail;
	api_set_writer(s->api, s->w);
	if (httpd_start(s->h, err, sizeof err))
		goto fail;
	api_set_public_url(s->api, "https://localhost:8443");
	memset(fr.stored_secret, 0, sizeof fr.stored_secret);
	s->port = httpd_port(s->h);
	if (db_open(fr.db_path, DB_READONLY, &s->db, err))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "fuzz_request: cannot start the server: %s\n", err);
	fr_stop();
	return -1;
}

/* Whether every credential of the fixture still works and a round is open (inputs may log out,
 * disable, revoke, reissue, close...): else the next input would not reach what it aims at. */
static bool fr_sound(void)
{
	struct db *db = fr.s.db;
	int64_t now = (int64_t)time(NULL);
	struct db_session sess;
	struct db_expert_ref ref;
	struct db_round r;
	unsigned char hash[CRYPTO_SHA256_LEN];
	for (size_t i = 0; i < FR_NSESSIONS; i++)
		if (auth_session_lookup(db, fr.sid[i], now, &sess, NULL) != AUTH_SESSION_OK)
			return false;
	for (size_t k = 0; k < FR_NEXPERTS; k++) {
		if (fr_experts[k].kind == FR_REVOKED)
			continue;
		crypto_sha256(fr_experts[k].token, DB_TOKEN_HEX, hash);
		if (db_expert_by_token(db, hash, &ref) != DB_FOUND || ref.revoked)
			return false;
	}
	return db_round_get(db, fr.survey_id, 0, &r) == DB_FOUND && r.state == DB_ROUND_OPEN;
}

static void fr_problem(const char *text, void *arg)
{
	++*(int *)arg;
	fprintf(fr_out ? fr_out : stderr, "fuzz_request: delphi check: %s\n", text);
}

int fuzz_request_check_store(void)
{
	struct db_check_summary sum;
	char err[DB_ERR_MAX];
	int problems = 0;
	int rc = db_check(fr.db_path, fr_problem, &problems, &sum, err);
	if (rc < 0)
		fprintf(fr_out ? fr_out : stderr, "fuzz_request: delphi check: %s\n", err);
	FUZZ_CHECK(rc == 0 && problems == 0);
	fr.checks++;
	return 0;
}

/* ---- Framing the request ------------------------------------------------------------------ */

/* The value of the placeholder at p (n bytes left), or NULL. */
static const char *fr_placeholder(const char *p, size_t n)
{
	static const char names[FR_NSESSIONS] = { 'E', 'C', 'P', 'A' };
	if (n < 3 || p[0] != '$')
		return NULL;
	if (p[1] == 'T' && p[2] >= '0' && p[2] < '0' + FR_NEXPERTS)
		return fr_experts[p[2] - '0'].token;
	if (p[1] == 'P' && p[2] == 'W')
		return FR_PASSWORD;
	if (p[1] == 'C' && p[2] == 'M')
		return fr.comment_id;
	for (size_t i = 0; i < FR_NSESSIONS; i++) {
		if (p[2] != names[i])
			continue;
		if (p[1] == 'S')
			return fr.sid[i];
		if (p[1] == 'X')
			return fr.csrf[i];
	}
	return NULL;
}

static void fr_expand(const uint8_t *data, size_t size, struct buf *out)
{
	for (size_t i = 0; i < size;) {
		const char *v = fr_placeholder((const char *)data + i, size - i);
		if (v) {
			buf_adds(out, v);
			i += 3;
		} else {
			buf_addch(out, (char)data[i++]);
		}
	}
}

/* What the harness sent, for the checks. */
struct fr_sent {
	struct buf bytes;   /* the request as sent */
	bool head;          /* a HEAD request: the reply has no body */
	bool half_close;    /* the harness shuts its side after sending */
	bool well_framed;   /* the body sent is exactly what evhttp expects */
};

static bool fr_drop_header(const char *line, size_t len)
{
	static const char *const names[] = { "Connection", "Keep-Alive", "Transfer-Encoding", "TE",
					     "Upgrade" };
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return false;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((size_t)(colon - line) == strlen(names[i]) &&
		    !strncasecmp(line, names[i], (size_t)(colon - line)))
			return true;
	return false;
}

/* Content-Length as evhttp reads it (evhttp_get_body_length: strtoll of the whole value, after
 * the header parser dropped leading spaces and trailing blanks; an overflow is LLONG_MAX): >= 0,
 * or -1 when evhttp refuses it (400). */
static long long fr_content_length(const char *value)
{
	char *end;
	if (!*value)
		return -1;
	long long n = strtoll(value, &end, 10);
	return *end || n < 0 ? -1 : n;
}

/* The next line of [*p, end) as evhttp reads it (evbuffer_readln, EVBUFFER_EOL_CRLF, then used
 * as a C string): its bytes up to the first NUL, without the "\n" or "\r\n" that ends it. */
static void fr_next_line(const char **p, const char *end, const char **line, size_t *len)
{
	size_t left = (size_t)(end - *p);
	const char *nl = memchr(*p, '\n', left);
	size_t n = nl ? (size_t)(nl - *p) : left;
	if (nl && n && (*p)[n - 1] == '\r')
		n--;
	const char *nul = memchr(*p, '\0', n);
	*line = *p;
	*len = nul ? (size_t)(nul - *p) : n;
	*p = nl ? nl + 1 : end;
}

/* len bytes at s without trailing blanks (evutil_rtrim_lws_). */
static size_t fr_rtrim(const char *s, size_t len)
{
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

/* The framing state of the head's header lines. */
struct fr_headers {
	struct buf cl;   /* the first Content-Length header's value, as evhttp will see it */
	bool has_cl;
	bool dropping;   /* the last header line was dropped: so are its continuation lines */
	bool last_is_cl; /* the last header kept is that Content-Length header */
};

/* One header line of the input: sent (with CRLF) or dropped; tracks Content-Length the way
 * evhttp_parse_headers and evhttp_append_to_last_header build its value. */
static void fr_header_line(const char *p, size_t len, struct buf *out, struct fr_headers *h)
{
	if (p[0] == ' ' || p[0] == '\t') { /* a continuation line */
		if (h->dropping)
			return;
		buf_add(out, p, len);
		buf_adds(out, "\r\n");
		if (h->last_is_cl) {
			size_t k = strspn(p, " \t");
			k = k > len ? len : k;
			buf_addch(&h->cl, ' ');
			buf_add(&h->cl, p + k, fr_rtrim(p + k, len - k));
		}
		return;
	}
	h->dropping = fr_drop_header(p, len);
	h->last_is_cl = false;
	if (h->dropping)
		return;
	buf_add(out, p, len);
	buf_adds(out, "\r\n");
	const char *colon = memchr(p, ':', len);
	if (h->has_cl || !colon || colon - p != 14 || strncasecmp(p, "Content-Length", 14))
		return;
	const char *v = colon + 1, *end = p + len;
	while (v < end && *v == ' ')
		v++;
	buf_add(&h->cl, v, fr_rtrim(v, (size_t)(end - v)));
	h->has_cl = h->last_is_cl = true;
}

/* The body: cut or padded to the Content-Length evhttp will read (see the top of the file). */
static void fr_body(const char *body, size_t blen, const struct fr_headers *h, struct fr_sent *s)
{
	long long n = h->has_cl ? fr_content_length(h->cl.data) : (long long)blen;
	if (n < 0) {
		/* evhttp answers 400 before reading a body */
	} else if ((unsigned long long)n <= blen) {
		buf_add(&s->bytes, body, (size_t)n);
	} else if ((unsigned long long)n <= FR_PAD_MAX) {
		buf_add(&s->bytes, body, blen);
		for (size_t i = blen; i < (size_t)n; i++)
			buf_addch(&s->bytes, ' ');
	} else {
		buf_add(&s->bytes, body, blen);
		s->half_close = true;
		s->well_framed = false;
	}
}

/* How evhttp (libevent 2.1.12, evhttp_method_may_have_body) treats a request's body by its
 * method: it reads one (as long as Content-Length says) for every method it knows but HEAD and
 * TRACE, and none for those or for methods it does not know (501). */
enum fr_method {
	FR_NO_BODY,       /* HEAD, TRACE, unknown */
	FR_HEAD,
	FR_MAY_HAVE_BODY, /* GET, DELETE, OPTIONS, CONNECT: a body only when the input has one */
	FR_WITH_BODY,     /* POST, PUT, PATCH: always framed with Content-Length */
};

static enum fr_method fr_method(const char *m, size_t len)
{
	static const char *const some[] = { "GET", "DELETE", "OPTIONS", "CONNECT" };
	static const char *const always[] = { "POST", "PUT", "PATCH" };
	if (len == 4 && !memcmp(m, "HEAD", 4))
		return FR_HEAD;
	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		if (len == strlen(always[i]) && !memcmp(m, always[i], len))
			return FR_WITH_BODY;
	for (size_t i = 0; i < sizeof some / sizeof some[0]; i++)
		if (len == strlen(some[i]) && !memcmp(m, some[i], len))
			return FR_MAY_HAVE_BODY;
	return FR_NO_BODY;
}

static void fr_frame(const char *in, size_t len, struct fr_sent *s)
{
	const char *p = in, *end = in + len, *line;
	struct fr_headers h = { BUF_INIT, false, false, false };
	size_t n;
	bool blank = false;

	while (p < end && (*p == '\n' || *p == '\r'))
		p++;
	fr_next_line(&p, end, &line, &n);
	size_t mlen = strcspn(line, " ");
	mlen = mlen > n ? n : mlen;
	enum fr_method m = fr_method(line, mlen);
	s->head = m == FR_HEAD;
	buf_add(&s->bytes, line, n);
	buf_adds(&s->bytes, "\r\n");

	buf_init(&h.cl);
	while (p < end && !blank) {
		fr_next_line(&p, end, &line, &n);
		if (n)
			fr_header_line(line, n, &s->bytes, &h);
		else
			blank = true; /* the end of the head, as evhttp sees it */
	}
	size_t blen = blank ? (size_t)(end - p) : 0;
	buf_adds(&s->bytes, "Connection: close\r\n");
	if (!h.has_cl && (m == FR_WITH_BODY || (m == FR_MAY_HAVE_BODY && blen)))
		buf_printf(&s->bytes, "Content-Length: %zu\r\n", blen);
	buf_adds(&s->bytes, "\r\n");
	s->well_framed = true;
	if (m == FR_WITH_BODY || m == FR_MAY_HAVE_BODY)
		fr_body(p, blen, &h, s);
	buf_release(&h.cl);
}

/* ---- The exchange ------------------------------------------------------------------------- */

static long fr_ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int fr_connect(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)fr.s.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc;
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	while (rc && errno == EINTR);
	if (rc)
		fprintf(fr_out ? fr_out : stderr, "fuzz_request: connect: %s\n", strerror(errno));
	FUZZ_CHECK(rc == 0);
	return fd;
}

/* What came back. */
struct fr_reply {
	struct buf bytes;
	bool reset;     /* the connection was reset: the reply may be cut */
	bool send_cut;  /* the server closed before the request was sent whole */
	bool half_closed;
};

/* Sends the request, reads until the server closes; see the top of the file for the waits. */
static void fr_exchange(struct fr_sent *s, struct fr_reply *r)
{
	struct timespec t0;
	int fd = fr_connect();
	size_t off = 0;
	while (off < s->bytes.len) {
		ssize_t n = send(fd, s->bytes.data + off, s->bytes.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->send_cut = true; /* e.g. 400 on the headers, body not read */
			break;
		}
		off += (size_t)n;
	}
	if (s->half_close) {
		shutdown(fd, SHUT_WR);
		r->half_closed = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long ms = fr_ms_since(&t0);
		if (!r->bytes.len && !r->half_closed && ms >= FR_QUIET_MS) {
			shutdown(fd, SHUT_WR);
			r->half_closed = true;
		}
		if (ms >= FR_DEADLINE_MS) {
			fprintf(fr_out ? fr_out : stderr,
				"fuzz_request: no end of the reply after %d ms (%zu bytes so far)\n",
				FR_DEADLINE_MS, r->bytes.len);
			FUZZ_CHECK(!"the server ends every reply");
		}
		int pr = poll(&pfd, 1, 100);
		if (pr <= 0)
			continue;
		char chunk[65536];
		ssize_t n = recv(fd, chunk, sizeof chunk, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->reset = true;
			break;
		}
		if (n == 0)
			break;
		if (r->bytes.len < FR_REPLY_MAX)
			buf_add(&r->bytes, chunk, (size_t)n);
	}
	close(fd);
}

/* ---- Checking the reply ------------------------------------------------------------------- */

/* The reply being checked, for the report of a property that does not hold. */
static const struct fr_sent *fr_cur_sent;
static const struct fr_reply *fr_cur_reply;

static void fr_dump(FILE *f, const char *what, const char *data, size_t len)
{
	size_t max = len > 2000 ? 2000 : len;
	fprintf(f, "--- %s (%zu bytes)\n", what, len);
	for (size_t i = 0; i < max; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n' || (c >= 0x20 && c < 0x7f))
			fputc(c, f);
		else if (c != '\r')
			fprintf(f, "\\x%02x", c);
	}
	fprintf(f, "%s\n---\n", max < len ? "\n[...]" : "");
}

/* Reports what was sent and received, then fails the property. */
#define FR_CHECK(cond)                                                                         \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			FILE *f_ = fr_out ? fr_out : stderr;                                   \
			if (fr_cur_sent)                                                       \
				fr_dump(f_, "request", fr_cur_sent->bytes.data,                \
					fr_cur_sent->bytes.len);                               \
			if (fr_cur_reply)                                                      \
				fr_dump(f_, "reply", fr_cur_reply->bytes.data,                 \
					fr_cur_reply->bytes.len);                              \
			FUZZ_CHECK(cond);                                                      \
		}                                                                              \
	} while (0)

/* A parsed response head: status, headers as "Name: value" lines without CRLF. */
struct fr_head {
	int major, minor; /* the version evhttp echoes from the request line */
	int status;
	const char *headers; /* from the first header line, up to the empty line */
	size_t headers_len;
	const char *body;
	size_t body_len;     /* everything after the head */
};

/* The value of header name (first occurrence) into out, or false. */
static bool fr_header(const struct fr_head *h, const char *name, char *out, size_t size)
{
	const char *p = h->headers, *end = h->headers + h->headers_len;
	size_t nlen = strlen(name);
	while (p < end) {
		const char *e = memchr(p, '\r', (size_t)(end - p));
		if (!e)
			e = end;
		if ((size_t)(e - p) > nlen && p[nlen] == ':' && !strncasecmp(p, name, nlen)) {
			const char *v = p + nlen + 1;
			while (v < e && *v == ' ')
				v++;
			snprintf(out, size, "%.*s", (int)(e - v), v);
			return true;
		}
		p = e + 2;
	}
	return false;
}

/* Parses one response head at p; returns the bytes it takes (head only), or 0 if malformed. */
static size_t fr_parse_head(const char *p, size_t len, struct fr_head *h)
{
	const char *end = memmem(p, len, "\r\n\r\n", 4);
	int n = 0;
	/* evhttp echoes the request's version as it parsed it ("HTTP/%d.%d": 0.9, 1.0, 1.75...) */
	if (!end || sscanf(p, "HTTP/%d.%d %n", &h->major, &h->minor, &n) != 2 || n < 9 ||
	    end - p < n + 4 || p[n] < '1' || p[n] > '5' || p[n + 1] < '0' || p[n + 1] > '9' ||
	    p[n + 2] < '0' || p[n + 2] > '9' || p[n + 3] != ' ')
		return 0;
	h->status = (p[n] - '0') * 100 + (p[n + 1] - '0') * 10 + (p[n + 2] - '0');
	const char *first = memchr(p, '\n', (size_t)(end - p));
	h->headers = first ? first + 1 : end;
	h->headers_len = (size_t)(end - h->headers);
	h->body = end + 4;
	h->body_len = len - (size_t)(h->body - p);
	return (size_t)(h->body - p);
}

static bool fr_in(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* The request without its credential headers (Cookie, Authorization): where a secret it holds
 * may end up stored (an answer, a name, a survey) and come back in later replies. */
static void fr_storable(const struct fr_sent *s, struct buf *out)
{
	const char *p = s->bytes.data, *end = p + s->bytes.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl + 1 : end;
		if (strncasecmp(p, "Cookie:", 7) && strncasecmp(p, "Authorization:", 14))
			buf_add(out, p, (size_t)(e - p));
		p = e;
	}
}

/* No session id, invitation token or password in a reply, unless the request holds it, or one
 * since the last restart held it outside its credential headers (then the store may hold it). */
static void fr_check_secrets(const struct fr_sent *s, const struct fr_reply *r)
{
	static const char *const names[FR_NSECRETS] = { "$SE", "$SC", "$SP", "$SA", "$T0",
							"$T1", "$T2", "$T3", "$T4", "$PW" };
	struct buf storable = BUF_INIT;
	buf_init(&storable);
	fr_storable(s, &storable);
	for (size_t i = 0; i < FR_NSECRETS; i++) {
		const char *secret = fr_placeholder(names[i], 3);
		if (fr_in(storable.data, storable.len, secret))
			fr.stored_secret[i] = true;
		bool leaked = !fr.stored_secret[i] && fr_in(r->bytes.data, r->bytes.len, secret) &&
			      !fr_in(s->bytes.data, s->bytes.len, secret);
		if (leaked)
			fprintf(fr_out ? fr_out : stderr, "fuzz_request: the reply holds %s\n",
				names[i]);
		FR_CHECK(!leaked);
	}
	buf_release(&storable);
}

static bool fr_is_code(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

/* docs/api.md's error shape. */
static void fr_check_error_shape(const json_t *v)
{
	const json_t *e = json_object_get(v, "error");
	const char *key;
	const json_t *m;
	FR_CHECK(json_is_object(e));
	FR_CHECK(fr_is_code(json_string_value(json_object_get(e, "code"))));
	FR_CHECK(json_is_string(json_object_get(e, "message")));
	json_object_foreach((json_t *)e, key, m)
		FR_CHECK(!strcmp(key, "code") || !strcmp(key, "message") ||
			 (!strcmp(key, "field") && json_is_string(m)));
	json_object_foreach((json_t *)v, key, m)
		FR_CHECK(!strcmp(key, "error") || (!strcmp(key, "errors") && json_is_array(m)) ||
			 (!strcmp(key, "error_count") && json_is_integer(m)));
}

/* A 200 to PUT /api/v1/answers/{topic}: {"topic", "round", "answers"} as docs/api.md says. */
static void fr_check_saved(const json_t *v)
{
	const struct survey *s = fr.survey;
	const json_t *answers = json_object_get(v, "answers"), *reasons, *val;
	const char *topic = json_string_value(json_object_get(v, "topic")), *key;
	char err[ANSWER_ERR_MAX];
	FR_CHECK(topic && survey_topic_index(s, topic) >= 0);
	FR_CHECK(json_integer_value(json_object_get(v, "round")) >= 1);
	FR_CHECK(json_is_object(answers));
	json_object_foreach((json_t *)answers, key, val) {
		if (!strcmp(key, "reasons"))
			continue;
		int q = survey_question_index(s, key);
		struct answer a = ANSWER_INIT;
		FR_CHECK(q >= 0);
		FR_CHECK(answer_from_json(&s->questions[q], val, &a, err) == 0);
		answer_release(&a);
	}
	reasons = json_object_get(answers, "reasons");
	if (!reasons)
		return;
	FR_CHECK(json_is_object(reasons) && json_object_size(reasons) > 0);
	json_object_foreach((json_t *)reasons, key, val) {
		int q = survey_question_index(s, key);
		FR_CHECK(q >= 0 && json_object_get(answers, key) != NULL);
		FR_CHECK(s->questions[q].kind == SURVEY_ORDINAL || s->questions[q].kind == SURVEY_YEAR);
		FR_CHECK(json_is_string(val) && json_string_length(val) > 0);
	}
}

static void fr_check_json(const struct fr_sent *s, const struct fr_head *h)
{
	json_error_t je;
	json_t *v = json_loadb(h->body, h->body_len, 0, &je);
	FR_CHECK(v != NULL);
	if (h->status >= 400)
		fr_check_error_shape(v);
	if (h->status == 200 && !strncmp(s->bytes.data, "PUT /api/v1/answers/", 20))
		fr_check_saved(v);
	json_decref(v);
}

/* A reply made by delphi (req.c's send_reply): security headers, Cache-Control. */
static void fr_check_ours(const struct fr_sent *s, const struct fr_head *h)
{
	char v[512];
	for (const struct req_header_pair *p = req_security_headers; p->name; p++)
		FR_CHECK(fr_header(h, p->name, v, sizeof v) && !strcmp(v, p->value));
	FR_CHECK(fr_header(h, "Cache-Control", v, sizeof v));
	FR_CHECK(h->status != 500);
	if (h->status == 401)
		FR_CHECK(fr_header(h, "WWW-Authenticate", v, sizeof v));
	if (h->status == 405)
		FR_CHECK(fr_header(h, "Allow", v, sizeof v));
	if (!s->head && fr_header(h, "Content-Type", v, sizeof v) &&
	    !strncasecmp(v, "application/json", 16))
		fr_check_json(s, h);
}

static void fr_check_reply(const struct fr_sent *s, const struct fr_reply *r)
{
	const char *p = r->bytes.data;
	size_t len = r->bytes.len, used;
	struct fr_head h;
	char v[64];

	fr_cur_sent = s;
	fr_cur_reply = r;
	if (!len) {
		/* evhttp closes without a word only on a request it never got whole */
		FR_CHECK(r->half_closed || r->reset || r->send_cut || !s->well_framed);
		goto out;
	}
	fr_check_secrets(s, r);
	for (;;) {
		used = fr_parse_head(p, len, &h);
		FR_CHECK(used > 0 || r->reset);
		if (!used)
			goto out;
		if (h.status >= 200)
			break;
		FR_CHECK(h.status == 100); /* Expect: 100-continue */
		p += used;
		len -= used;
	}
	bool ours = fr_header(&h, "Strict-Transport-Security", v, sizeof v);
	bool bodyless = s->head || h.status == 204 || h.status == 304;
	if (!ours && s->head) {
		/* evhttp's error page for a HEAD request comes with its body (libevent 2.1.12) */
	} else if (fr_header(&h, "Content-Length", v, sizeof v)) {
		long long n = fr_content_length(v);
		FR_CHECK(n >= 0);
		FR_CHECK((size_t)n == h.body_len || bodyless || (r->reset && (size_t)n > h.body_len));
		FR_CHECK(!bodyless || h.body_len == 0);
	} else {
		/* evhttp adds one to every HTTP/1.1 reply that has a body; an HTTP/1.0 reply without
		 * keep-alive ends with the connection */
		FR_CHECK(h.status == 204 || h.status == 304 || s->head ||
			 !(h.major == 1 && h.minor >= 1));
		FR_CHECK(!bodyless || h.body_len == 0);
	}
	if (r->reset)
		goto out;
	if (ours) {
		fr_check_ours(s, &h);
	} else {
		/* evhttp's own error page (bad request line or headers, 413, 417, 501) */
		FR_CHECK(h.status >= 400 && h.status != 500);
		FR_CHECK(bodyless || (h.body_len >= 12 && !memcmp(h.body, "<HTML><HEAD>", 12)));
	}
out:
	fr_cur_sent = NULL;
	fr_cur_reply = NULL;
}

/* ---- Entry points ------------------------------------------------------------------------- */

static void fr_atexit(void)
{
	if (fr.ready && fr_out)
		fprintf(fr_out, "fuzz_request: %lu requests, %lu server restarts, %lu store checks\n",
			fr.runs, fr.restarts, fr.checks);
	fuzz_request_release();
}

int fuzz_request_init(void)
{
	char err[256];
	const char *tmp = getenv("TMPDIR");
	if (fr.ready)
		return 0;
	if (!fr_out) {
		int fd = dup(2);
		fr_out = fd >= 0 ? fdopen(fd, "w") : NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	unsetenv("DELPHI_SMTP_HOST"); /* no mail leaves: the invitations route answers 501 */
	unsetenv("DELPHI_SMTP_FROM");
	snprintf(fr.dir, sizeof fr.dir, "%s/fuzz_request.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (crypto_init() || !mkdtemp(fr.dir)) {
		fprintf(stderr, "fuzz_request: cannot make a temporary directory\n");
		return -1;
	}
	snprintf(fr.db_path, sizeof fr.db_path, "%s/delphi.db", fr.dir);
	snprintf(fr.pristine, sizeof fr.pristine, "%s/pristine.db", fr.dir);
	struct tls_options to = { NULL, NULL };
	if (fr_make_pristine() || tls_server_new(&to, &fr.tls, err, sizeof err) ||
	    static_site_embedded(&fr.site, err, sizeof err) || fr_start()) {
		fuzz_request_release();
		return -1;
	}
	fr.ready = 1;
	atexit(fr_atexit);
	return 0;
}

void fuzz_request_release(void)
{
	char p[160];
	fr_stop();
	static_site_free(fr.site);
	tls_server_free(fr.tls);
	survey_free(fr.survey);
	fr.site = NULL;
	fr.tls = NULL;
	fr.survey = NULL;
	if (fr.dir[0]) {
		fr_remove_db();
		unlink(fr.pristine);
		snprintf(p, sizeof p, "%s-wal", fr.pristine);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", fr.pristine);
		unlink(p);
		rmdir(fr.dir);
		fr.dir[0] = '\0';
	}
	fr.ready = 0;
}

int fuzz_request_one(const uint8_t *data, size_t size)
{
	struct fr_sent s = { BUF_INIT, false, false, false };
	struct fr_reply r = { BUF_INIT, false, false, false };
	struct buf in = BUF_INIT;

	FUZZ_CHECK(fuzz_request_init() == 0);
	if (!fr_sound()) {
		fuzz_request_check_store();
		fr_stop();
		FUZZ_CHECK(fr_start() == 0);
		fr.restarts++;
	}
	buf_init(&in);
	buf_init(&s.bytes);
	buf_init(&r.bytes);
	fr_expand(data, size, &in);
	fr_frame(in.data, in.len, &s);
	fr_exchange(&s, &r);
	fr_check_reply(&s, &r);
	if (++fr.runs % FR_CHECK_EVERY == 0)
		fuzz_request_check_store();
	buf_release(&in);
	buf_release(&s.bytes);
	buf_release(&r.bytes);
	return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fuzz_request_init() ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_request_one(data, size);
}
#endif
