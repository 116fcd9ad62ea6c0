/*
 * db_schedule — the rounds whose scheduled close has come. See db_schedule.h.
 *
 * The WHERE clause repeats the partial index's own condition (state = 'open' AND close_at IS NOT
 * NULL) word for word: SQLite uses a partial index only when the query's terms imply it.
 */
#include "db_schedule.h"

#include "db_int.h"

static const char SQL_DUE[] =
	"SELECT r.id, r.survey_id, s.slug, r.number, r.close_at FROM rounds r "
	"JOIN surveys s ON s.id = r.survey_id "
	"WHERE r.state = 'open' AND r.close_at IS NOT NULL AND r.close_at <= ?1 "
	"ORDER BY r.close_at, r.id LIMIT ?2";

int db_schedule_due(struct db *db, const char *now, int limit,
		    int (*cb)(const struct db_schedule_due *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(db, SQL_DUE);
	int rc, ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_schedule_due d = {
			.round_id = sqlite3_column_int64(st, 0),
			.survey_id = sqlite3_column_int64(st, 1),
			.slug = db_column_text(st, 2),
			.number = sqlite3_column_int(st, 3),
		};
		db_column_copy(st, 4, d.close_at, sizeof d.close_at);
		if ((ret = cb(&d, arg)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, "cannot look for rounds due to close");
	db_done(st);
	return ret;
}
