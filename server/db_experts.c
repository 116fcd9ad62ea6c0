/*
 * db_experts — the invited experts of a survey: import (create or update), listing, and the
 * look-ups by token and by the coordinator's id. See db.h for the contracts.
 *
 * Tokens are bearer secrets: one is made when an expert is created, handed back once, and only
 * its SHA-256 is stored. Pseudonyms ("P-" + 8 random hex digits) are what exports and the
 * anonymised feedback show instead of names; they never change.
 */
#include "db_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"

static const char *const sector_names[DB_SECTOR_COUNT] = {
	[DB_SECTOR_ACADEMIA] = "academia",
	[DB_SECTOR_INDUSTRY] = "industry",
	[DB_SECTOR_GOVERNMENT] = "government",
	[DB_SECTOR_OTHER] = "other",
};

static const char SQL_FIND[] = "SELECT id FROM experts WHERE survey_id = ?1 AND ext_id = ?2";
static const char SQL_UPDATE[] =
	"UPDATE experts SET name = ?2, email = ?3, sector = ?4, "
	"updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1";
static const char SQL_PSEUDONYM_TAKEN[] =
	"SELECT EXISTS (SELECT 1 FROM experts WHERE pseudonym = ?1)";
static const char SQL_INSERT[] =
	"INSERT INTO experts (survey_id, ext_id, name, email, sector, token_hash, pseudonym, "
	"created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	"strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";
static const char SQL_CLEAR_FIELDS[] = "DELETE FROM expert_fields WHERE expert_id = ?1";
static const char SQL_ADD_FIELD[] =
	"INSERT OR IGNORE INTO expert_fields (expert_id, field_id) VALUES (?1, ?2)";
/* A new expert joins an open round that invites everyone: round 1, or any round when the
 * definition says rounds.invite "all" (?3). */
static const char SQL_INVITE_NEW[] =
	"INSERT INTO invitations (round_id, expert_id) "
	"SELECT id, ?2 FROM rounds WHERE survey_id = ?1 AND state = 'open' AND (number = 1 OR ?3)";
static const char SQL_LIST[] =
	"SELECT " DB_EXPERT_INFO_COLUMNS " FROM experts e WHERE e.survey_id = ?1 ORDER BY e.id";
static const char SQL_BY_TOKEN[] =
	"SELECT id, survey_id, pseudonym, revoked FROM experts WHERE token_hash = ?1";
static const char SQL_BY_EXT_ID[] =
	"SELECT id, survey_id, pseudonym, revoked FROM experts WHERE survey_id = ?1 AND ext_id = ?2";
static const char SQL_HAS_FIELD[] =
	"SELECT EXISTS (SELECT 1 FROM expert_fields WHERE expert_id = ?1 AND field_id = ?2)";
static const char SQL_COUNT[] = "SELECT count(*) FROM experts WHERE survey_id = ?1";

const char *db_sector_name(enum db_sector sector)
{
	assert(sector >= 0 && sector < DB_SECTOR_COUNT);
	return sector_names[sector];
}

int db_sector_parse(const char *s)
{
	for (int i = 0; i < DB_SECTOR_COUNT; i++)
		if (!strcmp(s, sector_names[i]))
			return i;
	return -1;
}

/* Replaces the expert's fields with in->fields. */
static int set_fields(struct db *db, const struct db_survey *sv, int64_t expert_id,
		      const struct db_expert_in *in)
{
	sqlite3_stmt *st = db_stmt(db, SQL_CLEAR_FIELDS);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	if (db_exec_stmt(db, st, "cannot update the expert's fields"))
		return -1;
	if (!(st = db_stmt(db, SQL_ADD_FIELD)))
		return -1;
	for (size_t i = 0; i < in->n_fields; i++) {
		assert(in->fields[i] < sv->survey->n_fields);
		sqlite3_bind_int64(st, 1, expert_id);
		sqlite3_bind_int64(st, 2, sv->field_ids[in->fields[i]]);
		if (db_exec_stmt(db, st, "cannot store the expert's fields"))
			return -1;
	}
	return 0;
}

/* A pseudonym no expert has yet. With 2^32 pseudonyms and thousands of experts a clash is rare;
 * a handful of tries makes failure practically impossible. */
static int new_pseudonym(struct db *db, char out[DB_PSEUDONYM_MAX])
{
	sqlite3_stmt *st = db_stmt(db, SQL_PSEUDONYM_TAKEN);
	if (!st)
		return -1;
	for (int attempt = 0; attempt < 16; attempt++) {
		char hex[9];
		if (crypto_token_hex(4, hex))
			return db_failf(db, "cannot make a pseudonym: no randomness");
		snprintf(out, DB_PSEUDONYM_MAX, "P-%s", hex);
		sqlite3_bind_text(st, 1, out, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		int taken = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
		if (rc != SQLITE_ROW)
			db_fail(db, "cannot check a pseudonym");
		db_done(st);
		if (rc != SQLITE_ROW)
			return -1;
		if (!taken)
			return 0;
	}
	return db_failf(db, "cannot find a free pseudonym");
}

int db_expert_upsert(struct db *db, const struct db_survey *sv, const struct db_expert_in *in,
		     char token[DB_TOKEN_HEX + 1], bool *created)
{
	DB_ASSERT_TXN(db);
	assert(in->n_fields > 0);
	token[0] = '\0';
	*created = false;
	const char *sector = db_sector_name(in->sector);

	sqlite3_stmt *st = db_stmt(db, SQL_FIND);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, sv->id);
	sqlite3_bind_text(st, 2, in->ext_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(db, "cannot look up the expert");
	db_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;

	if (id) {
		if (!(st = db_stmt(db, SQL_UPDATE)))
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, in->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, in->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, sector, -1, SQLITE_STATIC);
		if (db_exec_stmt(db, st, "cannot update the expert"))
			return -1;
		return set_fields(db, sv, id, in);
	}

	char tok[DB_TOKEN_HEX + 1], pseudonym[DB_PSEUDONYM_MAX];
	unsigned char hash[CRYPTO_SHA256_LEN];
	if (crypto_token_hex(DB_TOKEN_BYTES, tok))
		return db_failf(db, "cannot make a token: no randomness");
	crypto_sha256(tok, DB_TOKEN_HEX, hash);
	if (new_pseudonym(db, pseudonym))
		return -1;
	if (!(st = db_stmt(db, SQL_INSERT)))
		return -1;
	sqlite3_bind_int64(st, 1, sv->id);
	sqlite3_bind_text(st, 2, in->ext_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sector, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, sizeof hash, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, pseudonym, -1, SQLITE_STATIC);
	if (db_exec_stmt(db, st, "cannot store the expert"))
		return -1;
	id = sqlite3_last_insert_rowid(db->conn);
	if (set_fields(db, sv, id, in))
		return -1;
	if (!(st = db_stmt(db, SQL_INVITE_NEW)))
		return -1;
	sqlite3_bind_int64(st, 1, sv->id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int(st, 3, sv->survey->invite == SURVEY_INVITE_ALL);
	if (db_exec_stmt(db, st, "cannot invite the expert"))
		return -1;
	memcpy(token, tok, sizeof tok);
	*created = true;
	return 0;
}

void db_expert_info_columns(sqlite3_stmt *st, struct db_expert_info *out)
{
	*out = (struct db_expert_info){
		.id = sqlite3_column_int64(st, 0),
		.ext_id = db_column_text(st, 1),
		.name = db_column_text(st, 2),
		.email = db_column_text(st, 3),
		.sector = db_column_text(st, 4),
		.pseudonym = db_column_text(st, 5),
		.revoked = sqlite3_column_int(st, 6) != 0,
		.fields = db_column_text(st, 7),
	};
}

int db_expert_list(struct db *db, int64_t survey_id,
		   int (*cb)(const struct db_expert_info *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_LIST);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_expert_info e;
		db_expert_info_columns(st, &e);
		if ((ret = cb(&e, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot list the experts");
	db_done(st);
	return ret;
}

/* Steps a look-up whose row is (id, survey_id, pseudonym, revoked). */
static int read_ref(struct db *db, sqlite3_stmt *st, struct db_expert_ref *out)
{
	int rc = sqlite3_step(st), ret = DB_NOT_FOUND;
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->survey_id = sqlite3_column_int64(st, 1);
		db_column_copy(st, 2, out->pseudonym, sizeof out->pseudonym);
		out->revoked = sqlite3_column_int(st, 3) != 0;
		ret = DB_FOUND;
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(db, "cannot look up the expert");
	}
	db_done(st);
	return ret;
}

int db_expert_by_token(struct db *db, const unsigned char hash[32], struct db_expert_ref *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_BY_TOKEN);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return read_ref(db, st, out);
}

int db_expert_by_ext_id(struct db *db, int64_t survey_id, const char *ext_id,
			struct db_expert_ref *out)
{
	sqlite3_stmt *st = db_stmt(db, SQL_BY_EXT_ID);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	sqlite3_bind_text(st, 2, ext_id, -1, SQLITE_STATIC);
	return read_ref(db, st, out);
}

int db_expert_has_field(struct db *db, int64_t expert_id, int64_t field_id)
{
	sqlite3_stmt *st = db_stmt(db, SQL_HAS_FIELD);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, expert_id);
	sqlite3_bind_int64(st, 2, field_id);
	return db_step_flag(db, st, "cannot look up the expert's fields");
}

int64_t db_expert_count(struct db *db, int64_t survey_id)
{
	sqlite3_stmt *st = db_stmt(db, SQL_COUNT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, survey_id);
	int64_t n;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		n = db_fail(db, "cannot count the experts");
	db_done(st);
	return n;
}
