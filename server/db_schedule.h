/*
 * db_schedule — what the round scheduler (schedule.h) reads from the store: the open rounds whose
 * scheduled close (rounds.close_at, set by POST .../rounds/open or .../reopen) has come. One
 * range of the partial index rounds_due (migration 0006), which holds only the open rounds with a
 * scheduled close: the look costs the same however many rounds the store has run.
 *
 * The contracts of db.h hold: 0 / -1 returns with db_error(db) on failure; the statement is
 * cached and reset after use, so it is fine on a read-only connection.
 */
#ifndef DELPHI_DB_SCHEDULE_H
#define DELPHI_DB_SCHEDULE_H

#include <stdint.h>

#include "db.h"

/* One round whose close is due; slug is borrowed, valid during the callback only. */
struct db_schedule_due {
	int64_t round_id;
	int64_t survey_id;
	const char *slug;
	int number;
	char close_at[DB_TIME_MAX];
};

/*
 * Calls cb for every open round with close_at <= now ("YYYY-MM-DDTHH:MM:SSZ", the schema's fixed
 * width, so text order is time order), earliest close first, at most limit of them (limit >= 1).
 * A non-zero return from cb stops the walk and is returned. Returns 0, cb's value, or -1.
 * O(log rounds + due).
 */
int db_schedule_due(struct db *db, const char *now, int limit,
		    int (*cb)(const struct db_schedule_due *, void *), void *arg);

#endif
