/*
 * api_audit — GET /api/v1/audit (docs/api.md "Audit log"): the audit log, newest first, a page
 * at a time (?limit=, ?before=), for admins and coordinators.
 */
#include <stdint.h>

#include "api_console.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 500

struct page {
	json_t *list;
	int64_t last;
};

static int audit_cb(const struct db_console_audit_row *a, void *arg)
{
	struct page *p = arg;
	p->last = a->id;
	return json_array_append_new(p->list, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id",
							(json_int_t)a->id, "at", a->at, "actor",
							a->actor, "action", a->action, "detail",
							a->detail))
		       ? 1
		       : 0;
}

void api_audit_list(struct req *r)
{
	struct db *db = api_db(r);
	struct page p = { json_array(), 0 };
	long long limit, before;
	if (api_console_query_int(r, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &limit) ||
	    api_console_query_int(r, "before", 1, INT64_MAX, 0, &before))
		goto out;
	int rc = p.list ? db_console_audit(db, before, (int)limit, audit_cb, &p) : 1;
	if (rc < 0) {
		api_fail_db(r, db, "cannot read the audit log");
		goto out;
	}
	if (rc) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	/* A full page may have more after it; a short one is the last. */
	req_reply_json(r, 200, json_pack("{s:O, s:o}", "entries", p.list, "next_before",
					 json_array_size(p.list) == (size_t)limit
						 ? json_integer(p.last)
						 : json_null()));
out:
	json_decref(p.list);
}
