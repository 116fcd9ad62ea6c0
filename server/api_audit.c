/*
 * api_audit — GET /api/v1/audit (docs/api.md "Audit log"): the audit log, newest first, a page
 * at a time (?limit=, ?before=), for admins and coordinators.
 */
#include "api_console.h"

static int audit_cb(const struct db_console_audit_row *a, void *arg)
{
	return api_console_page_add(arg, a->id,
				    json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id,
					      "at", a->at, "actor", a->actor, "action", a->action,
					      "detail", a->detail));
}

void api_audit_list(struct req *r)
{
	struct db *db = api_db(r);
	struct api_console_page p;
	if (api_console_page_begin(r, &p))
		goto out;
	int rc = p.list ? db_console_audit(db, p.before, (int)p.limit, audit_cb, &p) : 1;
	api_console_page_reply(r, db, &p, rc, "cannot read the audit log");
out:
	api_console_page_release(&p);
}
