/*
 * mail_batch — one batch of invitations or reminders (docs/mail.md), as both
 * `delphi experts invite | remind` (cli_mail.c) and the console's
 * POST /api/v1/surveys/{slug}/invitations (api_mail.c) send it: who gets a mail, the message each
 * gets (a freshly issued personal link, the texts of core/mail.c in the batch's language), the
 * relay's answer for each, what the mail log and the audit log say. The callers keep what
 * differs: where the options come from, how they report, and how a write reaches the store (the
 * CLI commits on its own connection, the server through the writer thread): the writes are
 * mail_batch_write_attempt and mail_batch_write_audit, run where the caller's hooks say.
 *
 * The rules: an expert gets a mail unless revoked, without an address, (while a round is open)
 * not invited to it, or (a reminder) has answered it already; a reminder needs an open round.
 * delphi keeps only the hash of an expert's token, so every mail carries a new token, whose hash
 * is stored only once the relay accepted the mail (a mail that did not go out leaves the earlier
 * link working); each attempt is committed with its mail_log row before the next mail; sessions
 * are kept.
 *
 * Threads: a batch is used by one thread at a time; mail_batch_send blocks on the relay (smtp.h),
 * so it runs in the CLI or on a worker, never on an event loop.
 */
#ifndef DELPHI_MAIL_BATCH_H
#define DELPHI_MAIL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "db_mail.h"
#include "mail.h"
#include "smtp.h"

#define MAIL_BATCH_URL_MAX 1024 /* the public URL's bytes, its NUL included, at most */

/* One expert to mail. */
struct mail_batch_recipient {
	int64_t id;                  /* experts.id */
	char *ext_id, *name, *email; /* owned */
	enum db_mail_status status;  /* the attempt's outcome (DB_MAIL_FAILED until then) */
	char detail[SMTP_ERR_MAX];   /* the relay's reply or what went wrong ("" until then) */
};

/*
 * A batch. Zero it (`= {0}`), set the caller's part, then mail_batch_open_round,
 * mail_batch_select and mail_batch_send in that order; mail_batch_release frees what it owns.
 */
struct mail_batch {
	/* The caller's part, borrowed for the batch's life. */
	enum mail_kind kind;
	const struct db_survey *sv;
	const char *lang; /* the mails' language: one of the survey's */
	const char *url;  /* the public URL without a trailing slash, < MAIL_BATCH_URL_MAX bytes */
	bool only;        /* mail only the experts named in only_ids (maybe none) */

	/* mail_batch_only_add fills these; only_seen[i]: the survey has expert only_ids[i]. */
	char **only_ids;
	bool *only_seen;
	size_t n_only, cap_only;

	/* mail_batch_open_round: the open round's number and id, 0 when none is open. */
	int round;
	int64_t round_id;

	/* mail_batch_select: the recipients, in import order. */
	struct mail_batch_recipient *v;
	size_t n, cap;

	/* mail_batch_send: the attempts made (v[0..n_done)) and their outcomes by status. */
	size_t n_done;
	size_t count[3]; /* by enum db_mail_status */
};

enum mail_batch_outcome {
	MAIL_BATCH_OK = 0,
	MAIL_BATCH_NO_OPEN_ROUND, /* a reminder, and no round is open */
	MAIL_BATCH_UNKNOWN,       /* only names an expert the survey does not have */
	MAIL_BATCH_NOMEM,         /* out of memory */
	MAIL_BATCH_STOPPED,       /* the caller's stop hook ended the batch */
};

/* Frees what b owns (recipients, only_ids); the caller's part is left alone. */
void mail_batch_release(struct mail_batch *b);

/* Adds ext_id (copied) to the experts b is limited to, and sets b->only. 0, or -1 when out of
 * memory. */
int mail_batch_only_add(struct mail_batch *b, const char *ext_id);

/* Reads the survey's open round into b->round and b->round_id (0 and 0 when none is open).
 * Returns MAIL_BATCH_OK, MAIL_BATCH_NO_OPEN_ROUND for a reminder when none is open, or -1
 * (db_error(db)). */
int mail_batch_open_round(struct mail_batch *b, struct db *db);

/*
 * Fills b->v with the survey's experts who get a mail (after mail_batch_open_round), each with
 * status DB_MAIL_FAILED and an empty detail. skip(arg, ext_id, why, named) hears of an expert left
 * out that the caller should report: one b->only names (named true; why: "is revoked", "is not
 * invited to the open round", "has answered the open round already" or "has no e-mail address"),
 * or one who would have been mailed but has no address (named false); it returns 0, or -1 to stop
 * (out of memory). Returns MAIL_BATCH_OK; MAIL_BATCH_UNKNOWN with *unknown the index in only_ids
 * of the first id the survey does not have; MAIL_BATCH_NOMEM; or -1 (db_error(db)).
 */
int mail_batch_select(struct mail_batch *b, struct db *db,
		      int (*skip)(void *arg, const char *ext_id, const char *why, bool named),
		      void *arg, size_t *unknown);

/* What mail_batch_send asks of its caller. arg is mail_batch_send's. */
struct mail_batch_ops {
	const char *who; /* the prefix of log lines: "experts invite", "console mail" */
	/* Whether to end the batch before the next mail; NULL: never. */
	bool (*stop)(void *arg);
	/* Commits mail_batch_write_attempt(db, b, r, token) in a transaction of its own and reports
	 * r to the user if it wishes: 0, or -1 after saying why (the batch ends). */
	int (*record)(void *arg, const struct mail_batch_recipient *r, const char *token);
	/* Commits mail_batch_write_audit: 0, or -1 after saying why. */
	int (*audit)(void *arg);
};

/*
 * Mails every recipient over one session with the relay of cfg (a session that cannot be opened
 * is logged as "WHO: WHY" and every mail fails with "not sent: WHY"): a new token, the message,
 * the relay's answer into the recipient's status and detail, then ops->record; after the last,
 * ops->audit. Counts the outcomes in b->count and the attempts in b->n_done. Tokens and messages
 * are wiped from memory after use. Returns MAIL_BATCH_OK; MAIL_BATCH_STOPPED (no audit row);
 * or -1 when a hook failed (the attempt it failed on is counted in n_done, not in count).
 */
int mail_batch_send(struct mail_batch *b, const struct smtp_config *cfg,
		    const struct mail_batch_ops *ops, void *arg);

/* The writes of one attempt on r, inside the caller's transaction: when it was sent, token
 * (DB_TOKEN_HEX hex digits) becomes the expert's token; then its mail_log row. 0 or -1. */
int mail_batch_write_attempt(struct db *db, const struct mail_batch *b,
			     const struct mail_batch_recipient *r, const char *token);

/* The batch's audit row, inside the caller's transaction: "experts.invite" or "experts.remind" by
 * actor, detail "survey=SLUG round=N sent=N refused=N failed=N". 0 or -1. */
int mail_batch_write_audit(struct db *db, const struct mail_batch *b, const char *actor);

#endif
