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
 * or to take back a leaked one) and revoke do end the expert's sessions. The batch itself (who
 * gets a mail, the message, the writes) is mail_batch.c's, shared with the console; this file
 * reads the options and reports on the terminal.
 *
 * Language: experts have no language of their own; a batch is written in --lang (default the
 * survey's first language), the survey title in that language; mail.c has texts in en, ja and
 * zh, other languages get the English text.
 */
#include "cli_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli_util.h"
#include "csv.h"
#include "db.h"
#include "db_mail.h"
#include "log.h"
#include "mail.h"
#include "mail_batch.h"
#include "smtp.h"

#define URL_MAX MAIL_BATCH_URL_MAX
#define LINK_MAX (URL_MAX + 4 + DB_TOKEN_HEX)

/* What invite and remind add to the batch. */
struct batch {
	struct mail_batch mb;
	const char *cmd;    /* "experts invite" */
	const char *slug;
	const char *only;   /* --only ID,... or NULL */
	bool dry_run;
	struct db *db;
	size_t no_email;    /* experts skipped for want of an address (not named in --only) */
	int problems;       /* --only named someone who cannot be mailed */
};

/* Splits --only "E1, E2" into b->mb's ids. */
static int split_only(struct batch *b)
{
	char *copy = strdup(b->only), *save = NULL;
	if (!copy) {
		log_warnx("out of memory");
		return CLI_FAIL;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		cli_util_trim(t);
		if (*t && mail_batch_only_add(&b->mb, t)) {
			free(copy);
			log_warnx("out of memory");
			return CLI_FAIL;
		}
	}
	free(copy);
	if (!b->mb.n_only)
		return cli_util_usage(b->cmd, "--only needs expert ids separated by ','");
	return CLI_OK;
}

/* mail_batch_select's skip: a named expert who cannot be mailed is a problem; the others are
 * counted. */
static int skip_cb(void *arg, const char *ext_id, const char *why, bool is_named)
{
	struct batch *b = arg;
	if (is_named) {
		log_warnx("%s: expert %s %s: not mailed", b->cmd, ext_id, why);
		b->problems++;
	} else {
		b->no_email++; /* would have been mailed: say so */
	}
	return 0;
}

/* Writes one "id,email,status,detail" line to stdout. */
static int print_line(const struct mail_batch_recipient *r, const char *status,
		      const char *detail)
{
	struct buf line = BUF_INIT;
	buf_init(&line);
	const char *cells[4] = { r->ext_id, r->email, status, detail };
	csv_write_row(&line, cells, 4);
	int rc = cli_util_write(line.data, line.len);
	buf_release(&line);
	return rc;
}

/* mail_batch_send's record: the attempt in one transaction, then its line on stdout. */
static int record_cb(void *arg, const struct mail_batch_recipient *r, const char *token)
{
	struct batch *b = arg;
	struct db *db = b->db;
	if (db_begin(db) || mail_batch_write_attempt(db, &b->mb, r, token) || db_commit(db)) {
		db_rollback(db);
		if (r->status == DB_MAIL_SENT)
			log_warnx("%s: the mail to %s went out but its new link could not be "
				  "stored, so that link does not work (the earlier one still "
				  "does): %s; send it again with --only %s", b->cmd, r->ext_id,
				  db_error(db), r->ext_id);
		else
			log_warnx("%s: %s", b->cmd, db_error(db));
		return -1;
	}
	return print_line(r, db_mail_status_name(r->status), r->detail) ? -1 : 0;
}

/* mail_batch_send's audit, by "cli". */
static int audit_cb(void *arg)
{
	struct batch *b = arg;
	if (db_begin(b->db) || mail_batch_write_audit(b->db, &b->mb, "cli") || db_commit(b->db)) {
		db_rollback(b->db);
		cli_util_db_fail(b->db);
		return -1;
	}
	return 0;
}

/* Mails every recipient of b over one session. Returns an enum cli_status. */
static int send_all(struct batch *b, const struct smtp_config *cfg)
{
	const struct mail_batch_ops ops = { b->cmd, NULL, record_cb, audit_cb };
	const size_t *count = b->mb.count;
	if (cli_util_write("id,email,status,detail\n", 23) ||
	    mail_batch_send(&b->mb, cfg, &ops, b) != MAIL_BATCH_OK)
		return CLI_FAIL;
	log_warnx("%s: %zu sent, %zu refused, %zu failed", b->cmd, count[DB_MAIL_SENT],
		  count[DB_MAIL_REFUSED], count[DB_MAIL_FAILED]);
	if (count[DB_MAIL_REFUSED] || count[DB_MAIL_FAILED])
		log_warnx("%s: experts whose mail was not sent keep their earlier link; see "
			  "the detail column", b->cmd);
	return count[DB_MAIL_SENT] == b->mb.n ? CLI_OK : CLI_FAIL;
}

/* Prints what a --dry-run would mail. Returns an enum cli_status. */
static int dry_run(const struct batch *b)
{
	struct buf out = BUF_INIT;
	buf_init(&out);
	buf_adds(&out, "id,email,status,detail\n");
	for (size_t i = 0; i < b->mb.n; i++) {
		const char *cells[4] = { b->mb.v[i].ext_id, b->mb.v[i].email, "dry-run",
					 "not sent: --dry-run" };
		csv_write_row(&out, cells, 4);
	}
	int rc = cli_util_write(out.data, out.len);
	buf_release(&out);
	log_warnx("%s: --dry-run: %zu would be mailed; nothing was sent or changed", b->cmd,
		  b->mb.n);
	return rc;
}

/* Chooses the recipients of b (its survey and language set). Returns an enum cli_status. */
static int choose(struct batch *b)
{
	size_t unknown = 0;
	int outcome = mail_batch_open_round(&b->mb, b->db);
	if (outcome == MAIL_BATCH_NO_OPEN_ROUND) {
		log_warnx("%s: no round of %s is open: reminders go to the experts invited to the "
			  "open round who have not answered it", b->cmd, b->slug);
		return CLI_FAIL;
	}
	if (outcome == MAIL_BATCH_OK)
		outcome = mail_batch_select(&b->mb, b->db, skip_cb, b, &unknown);
	if (outcome < 0)
		return cli_util_db_fail(b->db);
	if (outcome == MAIL_BATCH_NOMEM) {
		log_warnx("out of memory");
		return CLI_FAIL;
	}
	if (outcome == MAIL_BATCH_UNKNOWN)
		return cli_util_usage(b->cmd, "survey %s has no expert '%s' (--only)", b->slug,
				      b->mb.only_ids[unknown]);
	if (b->no_email)
		log_warnx("%s: %zu expert%s without an e-mail address not mailed", b->cmd,
			  b->no_email, b->no_email == 1 ? "" : "s");
	return CLI_OK;
}

/* delphi experts invite|remind --survey SLUG [--public-url URL] [--only ID,...] [--lang L]
 *                             [--smtp-insecure] [--dry-run] */
static int experts_mail(const struct cli_ctx *ctx, int argc, char **argv, enum mail_kind kind)
{
	struct batch b = { .cmd = kind == MAIL_INVITATION ? "experts invite" : "experts remind",
			   .mb = { .kind = kind } };
	const char *url_opt = NULL, *pos[1];
	bool insecure = false;
	const struct cli_util_opt opts[] = {
		{ "--survey", &b.slug, NULL },       { "--public-url", &url_opt, NULL },
		{ "--only", &b.only, NULL },         { "--lang", &b.mb.lang, NULL },
		{ "--smtp-insecure", NULL, &insecure }, { "--dry-run", NULL, &b.dry_run },
	};
	struct smtp_config cfg;
	char url[URL_MAX], err[SMTP_ERR_MAX];
	struct db_survey *sv = NULL;
	int n_pos, rc;
	memset(&cfg, 0, sizeof cfg);
	if ((rc = cli_util_parse(b.cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0,
				 &n_pos)) ||
	    (rc = cli_util_require(b.cmd, "--survey", b.slug)))
		goto out;
	if (!(b.mb.url = cli_util_public_url(b.cmd, url_opt, url, sizeof url))) {
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
	if ((rc = cli_util_open(ctx, false, &b.db)) || (rc = cli_util_survey(b.db, b.slug, &sv)))
		goto out;
	const struct survey *s = sv->survey;
	b.mb.sv = sv;
	if (b.mb.lang && survey_language_index(s, b.mb.lang) < 0) {
		struct buf list = BUF_INIT;
		buf_init(&list);
		for (size_t i = 0; i < s->n_languages; i++)
			buf_printf(&list, "%s%s", i ? ", " : "", s->languages[i]);
		rc = cli_util_usage(b.cmd, "survey %s has no language '%s' (its languages: %s)",
				    b.slug, b.mb.lang, list.data);
		buf_release(&list);
		goto out;
	}
	if (!b.mb.lang)
		b.mb.lang = s->languages[0];
	if ((rc = choose(&b)))
		goto out;
	if (!b.mb.n) {
		log_warnx("%s: nobody to mail", b.cmd);
		rc = b.problems ? CLI_FAIL : CLI_OK;
		goto out;
	}
	if (b.dry_run) {
		rc = dry_run(&b);
		goto out;
	}
	rc = send_all(&b, &cfg);
	if (rc == CLI_OK && b.problems)
		rc = CLI_FAIL;
out:
	smtp_config_clear(&cfg);
	mail_batch_release(&b.mb);
	db_survey_free(sv);
	db_close(b.db);
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
	if (!cli_util_public_url(cmd, url_opt, url, sizeof url)) {
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
		return experts_mail(ctx, argc - 2, argv + 2, MAIL_INVITATION);
	if (!strcmp(sub, "remind"))
		return experts_mail(ctx, argc - 2, argv + 2, MAIL_REMINDER);
	if (!strcmp(sub, "reissue"))
		return experts_reissue(ctx, argc - 2, argv + 2);
	return experts_revoke(ctx, argc - 2, argv + 2);
}
