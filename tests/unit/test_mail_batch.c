/*
 * test_mail_batch — mail_batch.c against a real database file (tests/data/mail/survey.json: two
 * rounds, round 2 invites round 1's respondents). Experts: A (alice@...), B (bob@...), C (no
 * address), D (dave@..., revoked). Checks who mail_batch_select picks for an invitation and a
 * reminder with no round, round 1 and round 2 open, what it reports of the experts an `only` list
 * names (an unknown id included), that a reminder needs an open round, and what one batch sent to
 * a relay that is not there writes (a failed mail_log row per attempt, no new token, the audit
 * row with its counts; a stopped batch has no audit row), what one sent to a relay in a thread
 * here that accepts A's mail and refuses B's writes, and that mail_batch_write_attempt stores the
 * new token only for a sent mail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_db_files.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "db_mail.h"
#include "mail_batch.h"

#define SURVEY_FILE "tests/data/mail/survey.json"

struct fixture {
	char dir[64], path[128];
	struct db *db;
	struct db_survey *sv;
	int64_t a, b, c, d;
	char tok_a[DB_TOKEN_HEX + 1], tok_b[DB_TOKEN_HEX + 1];
	char skipped[512]; /* what skip heard, as "ID:why:named;" */
	char recorded[512]; /* what record heard, as "ID:status:token-length;" */
	char sent_tok[DB_TOKEN_HEX + 1]; /* the token of the last mail sent */
	int records, audits, stop_after;
};

static long long query_int(const char *path, const char *sql)
{
	sqlite3 *conn;
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return v;
}

static int64_t add_expert(struct fixture *fx, const char *ext_id, const char *email, char *token)
{
	static const size_t fields[] = { 0 };
	struct db_expert_in in = { ext_id, "Name", email, DB_SECTOR_ACADEMIA, fields, 1 };
	char tok[DB_TOKEN_HEX + 1];
	bool created;
	struct db_expert_ref ref;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_expert_upsert(fx->db, fx->sv, &in, token ? token : tok, &created), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(db_expert_by_ext_id(fx->db, fx->sv->id, ext_id, &ref), DB_FOUND);
	return ref.id;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[DB_ERR_MAX];
	struct survey *s = NULL;
	struct survey_error serr;
	FILE *f = fopen(SURVEY_FILE, "rb");
	char json[8192];
	int64_t ended;
	assert_non_null(fx);
	assert_non_null(f);
	size_t len = fread(json, 1, sizeof json, f);
	fclose(f);
	assert_int_equal(crypto_init(), 0);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_mail_batch.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/delphi.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_READWRITE | DB_CREATE, &fx->db, err), 0);
	assert_int_equal(survey_load_string(json, len, "test", &s, &serr), 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_survey_store(fx->db, json, len, s), DB_STORE_CREATED);
	assert_int_equal(db_commit(fx->db), 0);
	survey_free(s);
	assert_int_equal(db_survey_get(fx->db, "mail-test", &fx->sv), DB_FOUND);
	fx->a = add_expert(fx, "A", "alice@example.org", fx->tok_a);
	fx->b = add_expert(fx, "B", "bob@example.org", fx->tok_b);
	fx->c = add_expert(fx, "C", "", NULL);
	fx->d = add_expert(fx, "D", "dave@example.org", NULL);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_mail_revoke(fx->db, fx->d, &ended), DB_MAIL_REVOKED);
	assert_int_equal(db_commit(fx->db), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_survey_free(fx->sv);
	db_close(fx->db);
	test_db_unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	crypto_release();
	return 0;
}

/* Opens round 1 (everyone not revoked invited); A answers it. */
static int64_t round1(struct fixture *fx)
{
	struct db_round r;
	int64_t invited;
	struct answer ans = { ANSWER_VALUE, 4, NULL };
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_open(fx->db, fx->sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_answer_put(fx->db, fx->sv, r.id, fx->a, 0, 0, &ans), 0);
	assert_int_equal(db_commit(fx->db), 0);
	return r.id;
}

/* Closes round 1 and opens round 2, which invites round 1's respondents: A only. */
static void round2(struct fixture *fx)
{
	struct db_round r;
	int64_t invited;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(db_round_close(fx->db, fx->sv, &r), DB_ROUND_DONE);
	assert_int_equal(db_round_open(fx->db, fx->sv, &r, &invited), DB_ROUND_DONE);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(r.number, 2);
	assert_int_equal(invited, 1);
}

static int on_skip(void *arg, const char *ext_id, const char *why, bool named)
{
	struct fixture *fx = arg;
	char line[128];
	snprintf(line, sizeof line, "%s:%s:%d;", ext_id, why, named);
	strcat(fx->skipped, line);
	return 0;
}

/* Selects for kind with the only list ids (NULL: no list); the recipients as "ID ID ", into got.
 * Returns mail_batch_select's result (or open_round's when it refuses). */
static int pick(struct fixture *fx, enum mail_kind kind, const char *const *ids, char *got,
		size_t *unknown)
{
	struct mail_batch b = { .kind = kind, .sv = fx->sv, .lang = "en", .url = "https://d.test" };
	int rc;
	fx->skipped[0] = got[0] = '\0';
	for (; ids && *ids; ids++)
		assert_int_equal(mail_batch_only_add(&b, *ids), 0);
	rc = mail_batch_open_round(&b, fx->db);
	if (rc == MAIL_BATCH_OK)
		rc = mail_batch_select(&b, fx->db, on_skip, fx, unknown);
	for (size_t i = 0; i < b.n; i++) {
		assert_int_equal(b.v[i].status, DB_MAIL_FAILED);
		assert_string_equal(b.v[i].detail, "");
		strcat(got, b.v[i].ext_id);
		strcat(got, " ");
	}
	mail_batch_release(&b);
	return rc;
}

static void test_select_no_round(void **state)
{
	struct fixture *fx = *state;
	char got[256];
	size_t unknown = 99;
	/* an invitation: A and B; C reported for its address; D (revoked) silently left out */
	assert_int_equal(pick(fx, MAIL_INVITATION, NULL, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "A B ");
	assert_string_equal(fx->skipped, "C:has no e-mail address:0;");
	/* a reminder needs an open round */
	assert_int_equal(pick(fx, MAIL_REMINDER, NULL, got, &unknown), MAIL_BATCH_NO_OPEN_ROUND);
	assert_string_equal(got, "");
	/* only: the named ones reported whatever the reason, the unknown Z by its index */
	static const char *const only[] = { "D", "B", "C", "Z", NULL };
	assert_int_equal(pick(fx, MAIL_INVITATION, only, got, &unknown), MAIL_BATCH_UNKNOWN);
	assert_int_equal(unknown, 3);
	assert_string_equal(fx->skipped, "C:has no e-mail address:1;D:is revoked:1;");
	/* an only list of one, A: B is not mentioned although it would be mailed */
	static const char *const only_a[] = { "A", NULL };
	assert_int_equal(pick(fx, MAIL_INVITATION, only_a, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "A ");
	assert_string_equal(fx->skipped, "");
}

static void test_select_rounds(void **state)
{
	struct fixture *fx = *state;
	char got[256];
	size_t unknown = 99;
	round1(fx);
	/* round 1: an invitation goes to A (who answered) and B; a reminder to B only */
	assert_int_equal(pick(fx, MAIL_INVITATION, NULL, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "A B ");
	assert_string_equal(fx->skipped, "C:has no e-mail address:0;");
	assert_int_equal(pick(fx, MAIL_REMINDER, NULL, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "B ");
	assert_string_equal(fx->skipped, "C:has no e-mail address:0;");
	static const char *const only[] = { "A", "B", "C", "D", NULL };
	assert_int_equal(pick(fx, MAIL_REMINDER, only, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "B ");
	assert_string_equal(fx->skipped, "A:has answered the open round already:1;"
					 "C:has no e-mail address:1;D:is revoked:1;");

	/* round 2 invites A only; B is not invited, C neither (so not reported for its address) */
	round2(fx);
	assert_int_equal(pick(fx, MAIL_INVITATION, NULL, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "A ");
	assert_string_equal(fx->skipped, "");
	assert_int_equal(pick(fx, MAIL_REMINDER, NULL, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "A ");
	static const char *const only_b[] = { "B", NULL };
	assert_int_equal(pick(fx, MAIL_REMINDER, only_b, got, &unknown), MAIL_BATCH_OK);
	assert_string_equal(got, "");
	assert_string_equal(fx->skipped, "B:is not invited to the open round:1;");
}

/* ---- sending ------------------------------------------------------------------------------- */

struct send_ctx {
	struct fixture *fx;
	struct mail_batch *b;
};

static bool stop(void *arg)
{
	struct send_ctx *x = arg;
	return x->fx->stop_after >= 0 && x->fx->records >= x->fx->stop_after;
}

static int record(void *arg, const struct mail_batch_recipient *r, const char *token)
{
	struct send_ctx *x = arg;
	char line[128];
	snprintf(line, sizeof line, "%s:%s:%zu;", r->ext_id, db_mail_status_name(r->status),
		 strlen(token));
	strcat(x->fx->recorded, line);
	if (r->status == DB_MAIL_SENT)
		snprintf(x->fx->sent_tok, sizeof x->fx->sent_tok, "%s", token);
	assert_int_equal(db_begin(x->fx->db), 0);
	assert_int_equal(mail_batch_write_attempt(x->fx->db, x->b, r, token), 0);
	assert_int_equal(db_commit(x->fx->db), 0);
	x->fx->records++;
	return 0;
}

static int audit(void *arg)
{
	struct send_ctx *x = arg;
	assert_int_equal(db_begin(x->fx->db), 0);
	assert_int_equal(mail_batch_write_audit(x->fx->db, x->b, "tester"), 0);
	assert_int_equal(db_commit(x->fx->db), 0);
	x->fx->audits++;
	return 0;
}

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int64_t holder(struct fixture *fx, const char *tok)
{
	unsigned char hash[CRYPTO_SHA256_LEN];
	struct db_expert_ref ref;
	crypto_sha256(tok, strlen(tok), hash);
	int found = db_expert_by_token(fx->db, hash, &ref);
	assert_true(found >= 0);
	return found == DB_FOUND ? ref.id : 0;
}

/* Runs one batch of kind to the relay on port (0: a dead one); returns mail_batch_send's result. */
static int send_batch(struct fixture *fx, enum mail_kind kind, struct mail_batch *b, int port)
{
	struct smtp_config cfg;
	struct send_ctx x = { fx, b };
	static const struct mail_batch_ops ops = { "test", stop, record, audit };
	size_t unknown;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
	cfg.port = port ? port : closed_port();
	cfg.tls = SMTP_TLS_NONE;
	snprintf(cfg.from_addr, sizeof cfg.from_addr, "office@d.test");
	snprintf(cfg.helo, sizeof cfg.helo, "client.test");
	cfg.timeout = 5;
	*b = (struct mail_batch){ .kind = kind, .sv = fx->sv, .lang = "en", .url = "https://d.test" };
	assert_int_equal(mail_batch_open_round(b, fx->db), MAIL_BATCH_OK);
	assert_int_equal(mail_batch_select(b, fx->db, on_skip, fx, &unknown), MAIL_BATCH_OK);
	return mail_batch_send(b, &cfg, &ops, &x);
}

static void test_send_unreachable(void **state)
{
	struct fixture *fx = *state;
	struct mail_batch b;
	fx->stop_after = -1;
	round1(fx);
	/* a reminder in round 1: B only, and the mail fails (no relay): no token, a failed row */
	assert_int_equal(send_batch(fx, MAIL_REMINDER, &b, 0), MAIL_BATCH_OK);
	assert_int_equal(b.n_done, 1);
	assert_int_equal(b.count[DB_MAIL_FAILED], 1);
	assert_int_equal(b.count[DB_MAIL_SENT] + b.count[DB_MAIL_REFUSED], 0);
	assert_int_equal(strncmp(b.v[0].detail, "not sent: cannot connect", 24), 0);
	mail_batch_release(&b);
	assert_string_equal(fx->recorded, "B:failed:0;");
	assert_int_equal(fx->audits, 1);
	assert_int_equal(holder(fx, fx->tok_b), fx->b); /* the earlier link still works */
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM mail_log WHERE expert_id = %lld AND round = 1 AND "
		 "kind = 'reminder' AND status = 'failed' AND detail LIKE 'not sent: %%'",
		 (long long)fx->b);
	assert_int_equal(query_int(fx->path, sql), 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM mail_log"), 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM audit_log WHERE actor = 'tester' "
					     "AND action = 'experts.remind' AND detail = 'survey=mail-"
					     "test round=1 sent=0 refused=0 failed=1'"), 1);

	/* an invitation (A, B) stopped after the first attempt: one more row, no audit row */
	fx->recorded[0] = '\0';
	fx->records = 0;
	fx->stop_after = 1;
	assert_int_equal(send_batch(fx, MAIL_INVITATION, &b, 0), MAIL_BATCH_STOPPED);
	assert_int_equal(b.n_done, 1);
	mail_batch_release(&b);
	assert_string_equal(fx->recorded, "A:failed:0;");
	assert_int_equal(fx->audits, 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM mail_log WHERE kind = "
					     "'invitation' AND status = 'failed'"), 1);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM audit_log WHERE action = "
					     "'experts.invite'"), 0);

	/* the whole invitation: two rows, counts in the audit row */
	fx->recorded[0] = '\0';
	fx->records = 0;
	fx->stop_after = -1;
	assert_int_equal(send_batch(fx, MAIL_INVITATION, &b, 0), MAIL_BATCH_OK);
	mail_batch_release(&b);
	assert_string_equal(fx->recorded, "A:failed:0;B:failed:0;");
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM audit_log WHERE action = "
					     "'experts.invite' AND detail = 'survey=mail-test round=1 "
					     "sent=0 refused=0 failed=2'"), 1);
	assert_int_equal(holder(fx, fx->tok_a), fx->a);
}

/* A relay on 127.0.0.1 for one session: accepts every command, refuses RCPT TO bob@..., keeps
 * the messages' bytes in got. */
struct relay {
	int lfd, port;
	pthread_t thread;
	char got[16384];
	size_t len;
};

static int relay_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	char c;
	while (read(fd, &c, 1) == 1) {
		if (n + 1 < size)
			line[n++] = c;
		if (c == '\n') {
			line[n] = '\0';
			return 0;
		}
	}
	return -1;
}

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		return;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	char line[1024];
	int fd = accept(r->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	say(fd, "220 relay.test ready\r\n");
	while (!relay_line(fd, line, sizeof line)) {
		if (!strncmp(line, "RCPT TO:<bob@", 13)) {
			say(fd, "550 5.1.1 no such user\r\n");
		} else if (!strncmp(line, "DATA", 4)) {
			say(fd, "354 go on\r\n");
			while (!relay_line(fd, line, sizeof line) && strcmp(line, ".\r\n")) {
				size_t n = strlen(line);
				if (r->len + n < sizeof r->got) {
					memcpy(r->got + r->len, line, n);
					r->len += n;
				}
			}
			say(fd, "250 2.0.0 queued\r\n");
		} else if (!strncmp(line, "QUIT", 4)) {
			say(fd, "221 bye\r\n");
			break;
		} else {
			say(fd, "250 ok\r\n");
		}
	}
	close(fd);
	return NULL;
}

static void relay_start(struct relay *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	memset(r, 0, sizeof *r);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->lfd >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(r->lfd, 1), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

/* An invitation with no round open to A (accepted) and B (refused): A's new token replaces the
 * old one and is the one in the mail; B keeps its link; a row each; the counts audited. */
static void test_send_relay(void **state)
{
	struct fixture *fx = *state;
	struct mail_batch b;
	struct relay rl;
	char link[64];
	fx->stop_after = -1;
	relay_start(&rl);
	assert_int_equal(send_batch(fx, MAIL_INVITATION, &b, rl.port), MAIL_BATCH_OK);
	pthread_join(rl.thread, NULL);
	close(rl.lfd);
	assert_int_equal(b.n_done, 2);
	assert_int_equal(b.count[DB_MAIL_SENT], 1);
	assert_int_equal(b.count[DB_MAIL_REFUSED], 1);
	assert_int_equal(b.count[DB_MAIL_FAILED], 0);
	assert_non_null(strstr(b.v[1].detail, "550 5.1.1 no such user"));
	mail_batch_release(&b);
	assert_string_equal(fx->recorded, "A:sent:32;B:refused:32;");
	assert_int_equal(holder(fx, fx->sent_tok), fx->a);
	assert_int_equal(holder(fx, fx->tok_a), 0);
	assert_int_equal(holder(fx, fx->tok_b), fx->b);
	rl.got[rl.len] = '\0';
	snprintf(link, sizeof link, "https://d.test/e/%s", fx->sent_tok);
	assert_non_null(strstr(rl.got, link));
	assert_non_null(strstr(rl.got, "alice@example.org"));
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM mail_log WHERE round = 0 AND "
					     "kind = 'invitation' AND ((status = 'sent' AND detail "
					     "LIKE '250%') OR (status = 'refused' AND detail LIKE "
					     "'%550 5.1.1 no such user%'))"), 2);
	assert_int_equal(query_int(fx->path, "SELECT count(*) FROM audit_log WHERE actor = 'tester' "
					     "AND action = 'experts.invite' AND detail = 'survey=mail-"
					     "test round=0 sent=1 refused=1 failed=0'"), 1);
}

/* The writes of one attempt: a token replaces the expert's only when the mail was sent. */
static void test_write_attempt(void **state)
{
	struct fixture *fx = *state;
	struct mail_batch b = { .kind = MAIL_INVITATION, .sv = fx->sv, .lang = "en",
				.url = "https://d.test" };
	struct mail_batch_recipient r = { .id = fx->a, .status = DB_MAIL_REFUSED };
	const char *t1 = "00112233445566778899aabbccddeeff", *t2 = "ffeeddccbbaa99887766554433221100";
	snprintf(r.detail, sizeof r.detail, "RCPT TO: 550 no");
	assert_int_equal(mail_batch_open_round(&b, fx->db), MAIL_BATCH_OK);
	assert_int_equal(b.round, 0);
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(mail_batch_write_attempt(fx->db, &b, &r, t1), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(holder(fx, t1), 0);
	assert_int_equal(holder(fx, fx->tok_a), fx->a);

	r.status = DB_MAIL_SENT;
	snprintf(r.detail, sizeof r.detail, "250 ok");
	b.kind = MAIL_REMINDER;
	assert_int_equal(db_begin(fx->db), 0);
	assert_int_equal(mail_batch_write_attempt(fx->db, &b, &r, t2), 0);
	assert_int_equal(db_commit(fx->db), 0);
	assert_int_equal(holder(fx, t2), fx->a);
	assert_int_equal(holder(fx, fx->tok_a), 0);
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM mail_log WHERE expert_id = %lld AND round = 0 AND ((kind = "
		 "'invitation' AND status = 'refused' AND detail = 'RCPT TO: 550 no') OR (kind = "
		 "'reminder' AND status = 'sent' AND detail = '250 ok'))", (long long)fx->a);
	assert_int_equal(query_int(fx->path, sql), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_no_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_attempt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
