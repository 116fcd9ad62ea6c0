/*
 * cli_mail — `delphi experts invite | remind | reissue | revoke`.
 *
 * delphi keeps only the hash of an expert's token, so a mail with a link carries a new token.
 * invite and remind make one per recipient, hand the mail to the relay, and store the new
 * token's hash only once the relay has accepted the mail: a mail that did not go out leaves the
 * expert's earlier link working, one that did makes it stop (the texts say so). Each attempt is
 * committed on its own, with its mail_log row, right after the relay's answer, so an
 * interrupted batch loses at most the message in flight. Sessions are kept: an expert in the
 * middle of answering is not logged out by a reminder. reissue (a link to hand over yourself,
 * or to take back a leaked one) and revoke do end the expert's sessions.
 *
 * Language: experts have no language of their own; a batch is written in --lang (default the
 * survey's first language), the survey title in that language; mail.c has texts in en, ja and
 * zh, other languages get the English text.
 */
#include "cli_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli_util.h"
#include "crypto.h"
#include "csv.h"
#include "db.h"
#include "db_mail.h"
#include "log.h"
#include "mail.h"
#include "smtp.h"

#define DEFAULT_PUBLIC_URL "https://localhost:8443"
#define URL_MAX 1024
#define LINK_MAX (URL_MAX + 4 + DB_TOKEN_HEX)

/* One expert to mail; strings owned. */
struct recipient {
	int64_t id;
	char *ext_id, *name, *email;
};

/* What invite and remind share. */
struct batch {
	const char *cmd; /* "experts invite" */
	enum mail_kind kind;
	const char *slug;
	int64_t survey_id;
	const char *only;   /* --only ID,... or NULL */
	const char *lang;   /* --lang or NULL */
	const char *url;    /* the public URL, checked */
	bool dry_run;
	int round;          /* the open round's number, 0 if none */
	int64_t round_id;

	char **only_ids;    /* --only split; only_seen[i]: that id exists */
	bool *only_seen;
	size_t n_only;

	struct recipient *v;
	size_t n, cap;
	size_t no_email;    /* experts skipped for want of an address (not named in --only) */
	int problems;       /* --only named someone who cannot be mailed */
};

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].ext_id);
		free(b->v[i].name);
		free(b->v[i].email);
	}
	free(b->v);
	for (size_t i = 0; i < b->n_only; i++)
		free(b->only_ids[i]);
	free(b->only_ids);
	free(b->only_seen);
}

/* The public URL without trailing slashes, from --public-url, DELPHI_PUBLIC_URL or the default
 * (as `experts import` takes it); NULL after a message if it is not an http(s) URL. */
static const char *public_url(const char *cmd, const char *opt, char *out, size_t size)
{
	const char *url = opt ? opt : getenv("DELPHI_PUBLIC_URL");
	if (!url || !*url)
		url = DEFAULT_PUBLIC_URL;
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	int scheme = !strncmp(url, "https://", 8) ? 8 : !strncmp(url, "http://", 7) ? 7 : 0;
	int clean = 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == '"' || url[i] == 0x7f)
			clean = 0;
	if (!scheme || n <= (size_t)scheme || n >= size || !clean) {
		cli_util_usage(cmd, "the public URL '%s' is not an http:// or https:// URL (set it "
				    "with --public-url or DELPHI_PUBLIC_URL)", url);
		return NULL;
	}
	memcpy(out, url, n);
	out[n] = '\0';
	return out;
}

/* Splits --only "E1, E2" into b->only_ids. */
static int split_only(struct batch *b)
{
	char *copy = strdup(b->only), *save = NULL;
	size_t cap = 1;
	for (const char *p = b->only; *p; p++)
		cap += *p == ',';
	b->only_ids = calloc(cap, sizeof *b->only_ids);
	b->only_seen = calloc(cap, sizeof *b->only_seen);
	if (!copy || !b->only_ids || !b->only_seen) {
		free(copy);
		log_warnx("out of memory");
		return CLI_FAIL;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		cli_util_trim(t);
		if (*t && !(b->only_ids[b->n_only++] = strdup(t))) {
			free(copy);
			log_warnx("out of memory");
			return CLI_FAIL;
		}
	}
	free(copy);
	if (!b->n_only)
		return cli_util_usage(b->cmd, "--only needs expert ids separated by ','");
	return CLI_OK;
}

/* -1 if --only was not given; else whether it names ext_id (marking it seen). */
static int named(struct batch *b, const char *ext_id)
{
	int hit = 0;
	if (!b->only)
		return -1;
	for (size_t i = 0; i < b->n_only; i++)
		if (!strcmp(b->only_ids[i], ext_id)) {
			b->only_seen[i] = true;
			hit = 1;
		}
	return hit;
}

/* Picks the recipients: not revoked, with an address; for an invitation while a round is open,
 * invited to it; for a reminder, invited to the open round and without an answer in it. */
static int select_cb(const struct db_mail_candidate *c, void *arg)
{
	struct batch *b = arg;
	int is_named = named(b, c->ext_id);
	static const char no_address[] = "has no e-mail address";
	const char *why = NULL;
	if (!is_named)
		return 0;
	if (c->revoked)
		why = "is revoked";
	else if (b->round && !c->invited)
		why = "is not invited to the open round";
	else if (b->kind == MAIL_REMINDER && c->answered)
		why = "has answered the open round already";
	else if (!*c->email)
		why = no_address;
	if (why) {
		if (is_named == 1) {
			log_warnx("%s: expert %s %s: not mailed", b->cmd, c->ext_id, why);
			b->problems++;
		} else if (why == no_address) {
			b->no_email++; /* would have been mailed: say so */
		}
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct recipient *v = realloc(b->v, cap * sizeof *v);
		if (!v)
			goto oom;
		b->v = v;
		b->cap = cap;
	}
	struct recipient *r = &b->v[b->n];
	r->id = c->id;
	r->ext_id = strdup(c->ext_id);
	r->name = strdup(c->name);
	r->email = strdup(c->email);
	b->n++;
	if (!r->ext_id || !r->name || !r->email)
		goto oom;
	return 0;
oom:
	log_warnx("out of memory");
	return 1;
}

/* Writes one "id,email,status,detail" line to stdout. */
static int print_line(const struct recipient *r, const char *status, const char *detail)
{
	struct buf line = BUF_INIT;
	buf_init(&line);
	const char *cells[4] = { r->ext_id, r->email, status, detail };
	csv_write_row(&line, cells, 4);
	int rc = cli_util_write(line.data, line.len);
	buf_release(&line);
	return rc;
}

/* Logs an attempt (and, when sent, stores the token it carried) in one transaction. */
static int record(struct db *db, const struct batch *b, const struct recipient *r,
		  enum db_mail_status status, const char *token, const char *detail)
{
	enum db_mail_kind kind = b->kind == MAIL_INVITATION ? DB_MAIL_INVITATION : DB_MAIL_REMINDER;
	if (db_begin(db) || (status == DB_MAIL_SENT && db_mail_set_token(db, r->id, token)) ||
	    db_mail_log(db, b->survey_id, r->id, b->round, kind, status, detail) ||
	    db_commit(db)) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* The message for r carrying token, into msg; -1 with a message in err. */
static int build_message(const struct batch *b, const struct smtp_config *cfg,
			 const struct survey *s, const struct recipient *r, const char *token,
			 struct buf *msg, char err[MAIL_ERR_MAX])
{
	struct buf subject = BUF_INIT, body = BUF_INIT;
	char link[LINK_MAX + 1], id[25];
	int rc = -1;
	buf_init(&subject);
	buf_init(&body);
	snprintf(link, sizeof link, "%s/e/%s", b->url, token);
	const struct mail_vars vars = {
		.survey_title = survey_text(s, &s->title, b->lang),
		.expert_name = r->name,
		.link = link,
		.round = b->round,
	};
	mail_compose(b->kind, b->lang, &vars, &subject, &body);
	if (crypto_token_hex(12, id)) {
		snprintf(err, MAIL_ERR_MAX, "no randomness for the Message-ID");
		goto out;
	}
	const struct mail_message m = {
		.from_name = cfg->from_name,
		.from_addr = cfg->from_addr,
		.to_name = r->name,
		.to_addr = r->email,
		.subject = subject.data,
		.body = body.data,
		.date = time(NULL),
		.id_random = id,
	};
	rc = mail_format(&m, msg, err);
out:
	explicit_bzero(link, sizeof link);
	if (body.cap)
		explicit_bzero(body.data, body.len);
	buf_release(&subject);
	buf_release(&body);
	return rc;
}

static enum db_mail_status db_status(enum smtp_result r)
{
	return r == SMTP_SENT ? DB_MAIL_SENT : r == SMTP_REFUSED ? DB_MAIL_REFUSED : DB_MAIL_FAILED;
}

/* Mails every recipient of b over one session. Returns an enum cli_status. */
static int send_all(struct db *db, struct db_survey *sv, struct batch *b,
		    const struct smtp_config *cfg)
{
	struct smtp_session *smtp = NULL;
	struct buf msg = BUF_INIT;
	char err[SMTP_ERR_MAX], detail[SMTP_ERR_MAX];
	size_t count[3] = { 0, 0, 0 };
	int rc = CLI_FAIL;
	buf_init(&msg);
	if (cli_util_write("id,email,status,detail\n", 23))
		goto out;
	if (smtp_open(cfg, &smtp, err, sizeof err)) {
		log_warnx("%s: %s", b->cmd, err);
		smtp = NULL;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct recipient *r = &b->v[i];
		char token[DB_TOKEN_HEX + 1] = "", merr[MAIL_ERR_MAX];
		enum smtp_result res = SMTP_FAILED;
		buf_reset(&msg);
		if (!smtp) {
			snprintf(detail, sizeof detail, "not sent: %.400s", err);
		} else if (crypto_token_hex(DB_TOKEN_BYTES, token)) {
			snprintf(detail, sizeof detail, "not sent: no randomness for a token");
		} else if (build_message(b, cfg, sv->survey, r, token, &msg, merr)) {
			snprintf(detail, sizeof detail, "not sent: %s", merr);
		} else {
			res = smtp_send(smtp, r->email, msg.data, msg.len, detail, sizeof detail);
		}
		if (msg.cap)
			explicit_bzero(msg.data, msg.len);
		enum db_mail_status st = db_status(res);
		if (record(db, b, r, st, token, detail)) {
			if (st == DB_MAIL_SENT)
				log_warnx("%s: the mail to %s went out but its new link could not be "
					  "stored, so that link does not work (the earlier one still "
					  "does): %s; send it again with --only %s", b->cmd, r->ext_id,
					  db_error(db), r->ext_id);
			else
				log_warnx("%s: %s", b->cmd, db_error(db));
			explicit_bzero(token, sizeof token);
			goto out;
		}
		explicit_bzero(token, sizeof token);
		count[st]++;
		if (print_line(r, db_mail_status_name(st), detail))
			goto out;
	}
	char audit[512];
	snprintf(audit, sizeof audit, "survey=%s round=%d sent=%zu refused=%zu failed=%zu",
		 b->slug, b->round, count[DB_MAIL_SENT], count[DB_MAIL_REFUSED],
		 count[DB_MAIL_FAILED]);
	if (db_begin(db) ||
	    db_audit(db, "cli", b->kind == MAIL_INVITATION ? "experts.invite" : "experts.remind",
		     audit) ||
	    db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	log_warnx("%s: %zu sent, %zu refused, %zu failed", b->cmd, count[DB_MAIL_SENT],
		  count[DB_MAIL_REFUSED], count[DB_MAIL_FAILED]);
	if (count[DB_MAIL_REFUSED] || count[DB_MAIL_FAILED])
		log_warnx("%s: experts whose mail was not sent keep their earlier link; see "
			  "the detail column", b->cmd);
	rc = count[DB_MAIL_SENT] == b->n ? CLI_OK : CLI_FAIL;
out:
	db_rollback(db);
	smtp_close(smtp);
	buf_release(&msg);
	return rc;
}

/* delphi experts invite|remind --survey SLUG [--public-url URL] [--only ID,...] [--lang L]
 *                             [--smtp-insecure] [--dry-run] */
static int mail_batch(const struct cli_ctx *ctx, int argc, char **argv, enum mail_kind kind)
{
	struct batch b = { .cmd = kind == MAIL_INVITATION ? "experts invite" : "experts remind",
			   .kind = kind };
	const char *url_opt = NULL, *pos[1];
	bool insecure = false;
	const struct cli_util_opt opts[] = {
		{ "--survey", &b.slug, NULL },       { "--public-url", &url_opt, NULL },
		{ "--only", &b.only, NULL },         { "--lang", &b.lang, NULL },
		{ "--smtp-insecure", NULL, &insecure }, { "--dry-run", NULL, &b.dry_run },
	};
	struct smtp_config cfg;
	char url[URL_MAX], err[SMTP_ERR_MAX];
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	int n_pos, rc;
	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_util_parse(b.cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0,
				 &n_pos)) ||
	    (rc = cli_util_require(b.cmd, "--survey", b.slug)))
		goto out;
	if (!(b.url = public_url(b.cmd, url_opt, url, sizeof url))) {
		rc = CLI_USAGE;
		goto out;
	}
	if (b.only && (rc = split_only(&b)))
		goto out;
	if (!b.dry_run) {
		if (smtp_config_from_env(&cfg, err, sizeof err)) {
			rc = cli_util_usage(b.cmd, "%s", err);
			goto out;
		}
		if (insecure)
			cfg.insecure = true;
	}
	if ((rc = cli_util_open(ctx, false, &db)) || (rc = cli_util_survey(db, b.slug, &sv)))
		goto out;
	const struct survey *s = sv->survey;
	b.survey_id = sv->id;
	if (b.lang && survey_language_index(s, b.lang) < 0) {
		struct buf list = BUF_INIT;
		buf_init(&list);
		for (size_t i = 0; i < s->n_languages; i++)
			buf_printf(&list, "%s%s", i ? ", " : "", s->languages[i]);
		rc = cli_util_usage(b.cmd, "survey %s has no language '%s' (its languages: %s)",
				    b.slug, b.lang, list.data);
		buf_release(&list);
		goto out;
	}
	if (!b.lang)
		b.lang = s->languages[0];

	struct db_round r;
	int found = db_round_get(db, sv->id, 0, &r);
	if (found < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (found == DB_FOUND && r.state == DB_ROUND_OPEN) {
		b.round = r.number;
		b.round_id = r.id;
	}
	if (kind == MAIL_REMINDER && !b.round) {
		log_warnx("%s: no round of %s is open: reminders go to the experts invited to the "
			  "open round who have not answered it", b.cmd, b.slug);
		rc = CLI_FAIL;
		goto out;
	}

	int walk = db_mail_candidates(db, sv->id, b.round_id, select_cb, &b);
	if (walk) {
		rc = walk < 0 ? cli_util_db_fail(db) : CLI_FAIL;
		goto out;
	}
	for (size_t i = 0; i < b.n_only; i++)
		if (!b.only_seen[i]) {
			rc = cli_util_usage(b.cmd, "survey %s has no expert '%s' (--only)", b.slug,
					    b.only_ids[i]);
			goto out;
		}
	if (b.no_email)
		log_warnx("%s: %zu expert%s without an e-mail address not mailed", b.cmd,
			  b.no_email, b.no_email == 1 ? "" : "s");
	if (!b.n) {
		log_warnx("%s: nobody to mail", b.cmd);
		rc = b.problems ? CLI_FAIL : CLI_OK;
		goto out;
	}
	if (b.dry_run) {
		struct buf out = BUF_INIT;
		buf_init(&out);
		buf_adds(&out, "id,email,status,detail\n");
		for (size_t i = 0; i < b.n; i++) {
			const char *cells[4] = { b.v[i].ext_id, b.v[i].email, "dry-run",
						 "not sent: --dry-run" };
			csv_write_row(&out, cells, 4);
		}
		rc = cli_util_write(out.data, out.len);
		buf_release(&out);
		log_warnx("%s: --dry-run: %zu would be mailed; nothing was sent or changed", b.cmd,
			  b.n);
		goto out;
	}
	rc = send_all(db, sv, &b, &cfg);
	if (rc == CLI_OK && b.problems)
		rc = CLI_FAIL;
out:
	smtp_config_clear(&cfg);
	batch_release(&b);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

/* Looks up expert ext_id of the open database's survey sv: CLI_OK with *ref, CLI_USAGE after a
 * message if there is none, CLI_FAIL on failure. */
static int find_expert(const char *cmd, struct db *db, const struct db_survey *sv,
		       const char *ext_id, struct db_expert_ref *ref)
{
	int found = db_expert_by_ext_id(db, sv->id, ext_id, ref);
	if (found < 0)
		return cli_util_db_fail(db);
	if (found == DB_NOT_FOUND)
		return cli_util_usage(cmd, "survey %s has no expert '%s'", sv->survey->slug, ext_id);
	return CLI_OK;
}

/* delphi experts reissue --survey SLUG [--public-url URL] ID */
static int experts_reissue(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "experts reissue";
	const char *slug = NULL, *url_opt = NULL, *pos[1];
	const struct cli_util_opt opts[] = {
		{ "--survey", &slug, NULL },
		{ "--public-url", &url_opt, NULL },
	};
	char url[URL_MAX], token[DB_TOKEN_HEX + 1] = "", link[LINK_MAX + 1] = "", detail[512];
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_expert_ref ref;
	struct buf out = BUF_INIT;
	int64_t ended = 0;
	int n_pos, rc;
	buf_init(&out);
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 2, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)))
		goto out;
	if (!public_url(cmd, url_opt, url, sizeof url)) {
		rc = CLI_USAGE;
		goto out;
	}
	if ((rc = cli_util_open(ctx, false, &db)) || (rc = cli_util_survey(db, slug, &sv)) ||
	    (rc = find_expert(cmd, db, sv, pos[0], &ref)))
		goto out;
	if (ref.revoked) {
		log_warnx("%s: expert %s of %s is revoked: a new link would not work", cmd, pos[0],
			  slug);
		rc = CLI_FAIL;
		goto out;
	}
	snprintf(detail, sizeof detail, "survey=%s id=%s", slug, pos[0]);
	if (db_begin(db) || db_mail_reissue(db, ref.id, token, &ended) ||
	    db_audit(db, "cli", "experts.reissue", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	snprintf(link, sizeof link, "%s/e/%s", url, token);
	const char *cells[3] = { pos[0], token, link };
	buf_adds(&out, "id,token,link\n");
	csv_write_row(&out, cells, 3);
	if ((rc = cli_util_write(out.data, out.len)))
		goto out;
	log_warnx("%s: a new link for %s; the earlier one no longer works%s. It is shown only "
		  "this once.", cmd, pos[0], ended ? " and the expert's sessions were ended" : "");
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	explicit_bzero(token, sizeof token);
	explicit_bzero(link, sizeof link);
	if (out.cap)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

/* delphi experts revoke --survey SLUG ID */
static int experts_revoke(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "experts revoke";
	const char *slug = NULL, *pos[1];
	const struct cli_util_opt opts[] = { { "--survey", &slug, NULL } };
	char detail[512];
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_expert_ref ref;
	int64_t ended = 0;
	int n_pos, rc, outcome;
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 1, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)) || (rc = cli_util_open(ctx, false, &db)) ||
	    (rc = cli_util_survey(db, slug, &sv)) || (rc = find_expert(cmd, db, sv, pos[0], &ref)))
		goto out;
	if (db_begin(db) || (outcome = db_mail_revoke(db, ref.id, &ended)) < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	snprintf(detail, sizeof detail, "survey=%s id=%s sessions_ended=%lld%s", slug, pos[0],
		 (long long)ended, outcome == DB_MAIL_ALREADY_REVOKED ? " already=1" : "");
	if (db_audit(db, "cli", "experts.revoke", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (outcome == DB_MAIL_ALREADY_REVOKED)
		log_warnx("%s: expert %s of %s was revoked already", cmd, pos[0], slug);
	else
		log_warnx("%s: expert %s of %s is revoked: their link no longer works, and they "
			  "get no more mail", cmd, pos[0], slug);
	if (ended)
		log_warnx("%s: %lld session%s ended", cmd, (long long)ended, ended == 1 ? "" : "s");
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

bool cli_mail_handles(const char *subcommand)
{
	return !strcmp(subcommand, "invite") || !strcmp(subcommand, "remind") ||
	       !strcmp(subcommand, "reissue") || !strcmp(subcommand, "revoke");
}

int cli_mail_experts(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argv[1];
	if (!strcmp(sub, "invite"))
		return mail_batch(ctx, argc - 2, argv + 2, MAIL_INVITATION);
	if (!strcmp(sub, "remind"))
		return mail_batch(ctx, argc - 2, argv + 2, MAIL_REMINDER);
	if (!strcmp(sub, "reissue"))
		return experts_reissue(ctx, argc - 2, argv + 2);
	return experts_revoke(ctx, argc - 2, argv + 2);
}
