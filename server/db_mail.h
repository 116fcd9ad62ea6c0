/*
 * db_mail — what mailing experts needs from the store: who can be mailed (with whether they are
 * invited to and have answered a round), replacing an expert's token, the mail log (table
 * mail_log, migration 0003), and revoking an expert. The contracts of db.h hold: 0 / -1 returns
 * with db_error(db) on failure, writes only between db_begin and db_commit (asserted).
 *
 * Tokens: delphi keeps only SHA-256 of an expert's token (the 32 hex characters), so a mail that
 * carries a link carries a new token, and storing its hash makes every earlier link stop
 * working. The caller stores the new token only once the relay has accepted the mail carrying
 * it (db_mail_set_token), so a mail that did not go out leaves the old link valid.
 */
#ifndef DELPHI_DB_MAIL_H
#define DELPHI_DB_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

enum db_mail_kind {
	DB_MAIL_INVITATION,
	DB_MAIL_REMINDER,
};

enum db_mail_status {
	DB_MAIL_SENT,
	DB_MAIL_REFUSED,
	DB_MAIL_FAILED,
};

/* An expert as mailing sees them; strings borrowed, valid during the callback only. */
struct db_mail_candidate {
	int64_t id;
	const char *ext_id;
	const char *name;
	const char *email; /* "" when the expert has none */
	bool revoked;
	bool invited;  /* invited to the round asked about (false when round_id is 0) */
	bool answered; /* has at least one answer in that round (false when round_id is 0) */
};

/* Calls cb for every expert of the survey in import order, with invited / answered about round
 * round_id (0: none). A non-zero return from cb stops the walk and is returned. Returns 0,
 * cb's value, or -1. O(experts) with one index probe each. */
int db_mail_candidates(struct db *db, int64_t survey_id, int64_t round_id,
		       int (*cb)(const struct db_mail_candidate *, void *), void *arg);

/* Makes token (DB_TOKEN_HEX lower-case hex digits, e.g. from crypto_token_hex) the expert's
 * token: stores its SHA-256, so the earlier token stops working. Sessions are kept. Writes.
 * Returns 0, or -1 (also when there is no such expert). */
int db_mail_set_token(struct db *db, int64_t expert_id, const char *token);

/* A new random token for the expert, stored as db_mail_set_token does, written to token (never
 * stored); also ends the expert's sessions (*sessions_ended: how many), since a reissue is how a
 * leaked link is taken back. Writes. Returns 0 or -1. */
int db_mail_reissue(struct db *db, int64_t expert_id, char token[DB_TOKEN_HEX + 1],
		    int64_t *sessions_ended);

/* Appends a mail_log row (at = now). round: the open round's number, 0 if none. detail: the
 * relay's reply or what went wrong (never a secret). Writes. Returns 0 or -1. */
int db_mail_log(struct db *db, int64_t survey_id, int64_t expert_id, int round,
		enum db_mail_kind kind, enum db_mail_status status, const char *detail);

/* "invitation" / "reminder" and "sent" / "refused" / "failed", as stored. */
const char *db_mail_kind_name(enum db_mail_kind kind);
const char *db_mail_status_name(enum db_mail_status status);

enum db_mail_revoke_outcome {
	DB_MAIL_REVOKED = 0,     /* revoked now */
	DB_MAIL_ALREADY_REVOKED, /* nothing changed (its sessions are ended all the same) */
};

/* Revokes the expert: their link stops working for good (revoked = 1; invite, remind and
 * reissue skip or refuse them) and their sessions end (*sessions_ended: how many). Writes.
 * Returns an enum db_mail_revoke_outcome, or -1. */
int db_mail_revoke(struct db *db, int64_t expert_id, int64_t *sessions_ended);

#endif
