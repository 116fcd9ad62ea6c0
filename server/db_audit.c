/*
 * db_audit — the append-only audit log: who changed what, when. See db.h.
 */
#include "db_int.h"

#include <assert.h>

static const char SQL_APPEND[] =
	"INSERT INTO audit_log (at, actor, action, detail) "
	"VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?1, ?2, ?3)";

int db_audit(struct db *db, const char *actor, const char *action, const char *detail)
{
	DB_ASSERT_TXN(db);
	sqlite3_stmt *st = db_stmt(db, SQL_APPEND);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, detail ? detail : "", -1, SQLITE_STATIC);
	return db_exec_stmt(db, st, "cannot write the audit log");
}
