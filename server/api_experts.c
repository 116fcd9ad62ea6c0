/*
 * api_experts — the console's experts of a survey (docs/api.md): the list with their rounds,
 * the CSV preview and import (the rules of `delphi experts import`: all or nothing, problems by
 * spreadsheet row), reissuing a link and revoking an expert.
 *
 * Tokens exist only in the import's and the reissue's replies: the store keeps their hashes, and
 * the copies made here are zeroed once the reply is built.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "answer.h"
#include "api_console.h"
#include "csv.h"
#include "db_mail.h"
#include "log.h"
#include "writer.h"

#define ID_MAX 128
#define NAME_MAX_CHARS 16384 /* characters (survey_text_length), as a long survey text */
#define EMAIL_MAX 254
#define ERRORS_SHOWN 20   /* problems listed, the first by row; error_count counts them all */
#define ERRORS_KEPT 4096  /* problems kept for sorting (the rest are only counted) */
#define LINK_MAX (API_CONSOLE_URL_MAX + 4 + DB_TOKEN_HEX)

enum { COL_ID, COL_NAME, COL_EMAIL, COL_SECTOR, COL_FIELDS, N_COLS };
static const char *const columns[N_COLS] = { "id", "name", "email", "sector", "fields" };

/* ---- Reading the CSV ------------------------------------------------------------------------ */

struct row {
	size_t row; /* spreadsheet row: the header is 1 */
	char *ext_id, *name, *email;
	enum db_sector sector;
	size_t *fields;
	size_t n_fields;
	bool exists; /* preview: the survey has this id already */
};

struct problem {
	size_t row;
	size_t seq; /* order found, to keep file order among equal rows */
	char *text;
};

struct sheet {
	struct row *v;
	size_t n, cap;
	struct problem *p;
	size_t n_problems, n_kept;
	bool oom;
};

static void sheet_release(struct sheet *sh)
{
	for (size_t i = 0; i < sh->n; i++) {
		free(sh->v[i].ext_id);
		free(sh->v[i].name);
		free(sh->v[i].email);
		free(sh->v[i].fields);
	}
	free(sh->v);
	for (size_t i = 0; i < sh->n_kept; i++)
		free(sh->p[i].text);
	free(sh->p);
	memset(sh, 0, sizeof *sh);
}

static void problem(struct sheet *sh, size_t row, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct sheet *sh, size_t row, const char *fmt, ...)
{
	sh->n_problems++;
	if (sh->n_kept == ERRORS_KEPT)
		return;
	if (!sh->p && !(sh->p = calloc(ERRORS_KEPT, sizeof *sh->p))) {
		sh->oom = true;
		return;
	}
	struct buf b = BUF_INIT;
	va_list ap;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	sh->p[sh->n_kept] = (struct problem){ row, sh->n_kept, b.data };
	if (!b.data)
		sh->oom = true;
	else
		sh->n_kept++;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* A text cell: non-empty unless optional, clean UTF-8 on one line, at most max bytes, or max
 * characters when in_chars (as `delphi experts import`). */
static int check_text(struct sheet *sh, size_t row, const char *what, const char *s, size_t max,
		      bool in_chars, bool optional)
{
	size_t len = strlen(s);
	if (!len && !optional) {
		problem(sh, row, "%s is empty", what);
		return -1;
	}
	if (len > max && (!in_chars || survey_text_length(s) > max)) {
		problem(sh, row, "%s is longer than %zu %s", what, max,
			in_chars ? "characters" : "bytes");
		return -1;
	}
	if (!answer_is_clean_utf8(s, len) || strpbrk(s, "\r\n\t")) {
		problem(sh, row, "%s is not one line of UTF-8 text", what);
		return -1;
	}
	return 0;
}

/* Something@domain with a dot in the domain and no blanks (as `delphi experts import`). */
static bool plausible_email(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
	       s[strlen(s) - 1] != '.' && !strpbrk(s, " \t,;<>");
}

static int parse_fields(struct sheet *sh, size_t row, const struct survey *s, char *cell,
			size_t **out, size_t *n_out)
{
	size_t *v = calloc(s->n_fields ? s->n_fields : 1, sizeof *v), n = 0;
	bool bad = false;
	if (!v) {
		sh->oom = true;
		return -1;
	}
	for (char *save = NULL, *tok = strtok_r(cell, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		tok = trim(tok);
		if (!*tok)
			continue;
		int f = survey_field_index(s, tok);
		if (f < 0) {
			problem(sh, row, "field \"%.64s\" is not in survey %s", tok, s->slug);
			bad = true;
			continue;
		}
		size_t k = 0;
		while (k < n && v[k] != (size_t)f)
			k++;
		if (k == n)
			v[n++] = (size_t)f;
	}
	if (!bad && !n) {
		problem(sh, row, "fields is empty: name at least one field, separated by ';'");
		bad = true;
	}
	if (bad) {
		free(v);
		return -1;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static void check_row(struct sheet *sh, const struct survey *s, const struct csv_row *cr,
		      const size_t *col)
{
	size_t row = cr->record;
	char *id = trim(cr->fields[col[COL_ID]]);
	char *name = trim(cr->fields[col[COL_NAME]]);
	char *email = trim(cr->fields[col[COL_EMAIL]]);
	char *sector = trim(cr->fields[col[COL_SECTOR]]);
	int bad = 0;
	bad |= check_text(sh, row, "id", id, ID_MAX, false, false);
	bad |= check_text(sh, row, "name", name, NAME_MAX_CHARS, true, false);
	if (check_text(sh, row, "email", email, EMAIL_MAX, false, true)) {
		bad = 1;
	} else if (*email && !plausible_email(email)) {
		problem(sh, row, "email \"%s\" is not an e-mail address", email);
		bad = 1;
	}
	for (char *p = sector; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	int sec = db_sector_parse(sector);
	if (sec < 0) {
		problem(sh, row, "sector \"%.32s\" is not one of academia, industry, government, "
				 "other", sector);
		bad = 1;
	}
	size_t *fields = NULL, n_fields = 0;
	bad |= parse_fields(sh, row, s, cr->fields[col[COL_FIELDS]], &fields, &n_fields);
	if (bad) {
		free(fields);
		return;
	}
	if (sh->n == sh->cap) {
		size_t cap = sh->cap ? 2 * sh->cap : 64;
		struct row *v = realloc(sh->v, cap * sizeof *v);
		if (!v) {
			free(fields);
			sh->oom = true;
			return;
		}
		sh->v = v;
		sh->cap = cap;
	}
	struct row *x = &sh->v[sh->n++];
	*x = (struct row){ .row = row, .ext_id = strdup(id), .name = strdup(name),
			   .email = strdup(email), .sector = (enum db_sector)sec,
			   .fields = fields, .n_fields = n_fields };
	if (!x->ext_id || !x->name || !x->email)
		sh->oom = true;
}

static int by_ext_id(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	int c = strcmp(x->ext_id, y->ext_id);
	return c ? c : (x->row > y->row) - (x->row < y->row);
}

static void check_duplicates(struct sheet *sh)
{
	if (sh->n < 2)
		return;
	const struct row **sorted = malloc(sh->n * sizeof *sorted);
	if (!sorted) {
		sh->oom = true;
		return;
	}
	for (size_t i = 0; i < sh->n; i++)
		sorted[i] = &sh->v[i];
	qsort(sorted, sh->n, sizeof *sorted, by_ext_id);
	for (size_t i = 1; i < sh->n; i++)
		if (!strcmp(sorted[i]->ext_id, sorted[i - 1]->ext_id)) {
			size_t first = i - 1;
			while (first > 0 && !strcmp(sorted[first - 1]->ext_id, sorted[i]->ext_id))
				first--;
			problem(sh, sorted[i]->row, "id \"%s\" is also on row %zu", sorted[i]->ext_id,
				sorted[first]->row);
		}
	free(sorted);
}

/* Reads csv (len bytes) for survey s into sh. Header problems and malformed CSV are problems of
 * row 0. */
static void read_sheet(struct sheet *sh, const struct survey *s, const char *csv, size_t len)
{
	struct csv_reader *rd = csv_reader_new(csv, len);
	struct csv_row cr;
	size_t col[N_COLS], n_header = 0;
	int rc;
	if (!rd) {
		sh->oom = true;
		return;
	}
	if ((rc = csv_next(rd, &cr)) <= 0) {
		problem(sh, 0, "%s", rc < 0 ? csv_error(rd) : "the CSV is empty: expected a header "
							       "row id,name,email,sector,fields");
		goto out;
	}
	n_header = cr.n;
	for (size_t c = 0; c < N_COLS; c++)
		col[c] = SIZE_MAX;
	for (size_t i = 0; i < cr.n; i++) {
		char *h = trim(cr.fields[i]);
		size_t c = 0;
		while (c < N_COLS && strcasecmp(h, columns[c]))
			c++;
		if (c == N_COLS)
			problem(sh, 0, "unknown column \"%.64s\" (the columns are id, name, email, "
				       "sector, fields)", h);
		else if (col[c] != SIZE_MAX)
			problem(sh, 0, "column \"%s\" is there twice", columns[c]);
		else
			col[c] = i;
	}
	for (size_t c = 0; c < N_COLS; c++)
		if (col[c] == SIZE_MAX)
			problem(sh, 0, "column \"%s\" is missing", columns[c]);
	if (sh->n_problems)
		goto out;
	while ((rc = csv_next(rd, &cr)) > 0) {
		bool blank = true;
		for (size_t i = 0; i < cr.n && blank; i++)
			blank = !*trim(cr.fields[i]);
		if (blank)
			continue;
		if (cr.n != n_header) {
			problem(sh, cr.record, "has %zu cells, the header has %zu", cr.n, n_header);
			continue;
		}
		check_row(sh, s, &cr, col);
		if (sh->oom)
			goto out;
	}
	if (rc < 0)
		problem(sh, 0, "%s", csv_error(rd));
	check_duplicates(sh);
out:
	csv_reader_free(rd);
}

static int by_row(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	if (x->row != y->row)
		return (x->row > y->row) - (x->row < y->row);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The first ERRORS_SHOWN problems by row as [{"row", "message"}]; NULL when out of memory. */
static json_t *problems_json(struct sheet *sh)
{
	json_t *list = json_array();
	if (sh->n_kept) /* qsort's base may not be NULL, even for 0 elements */
		qsort(sh->p, sh->n_kept, sizeof *sh->p, by_row);
	for (size_t i = 0; list && i < sh->n_kept && i < ERRORS_SHOWN; i++)
		if (json_array_append_new(list, json_pack("{s:I, s:s}", "row",
							  (json_int_t)sh->p[i].row, "message",
							  sh->p[i].text))) {
			json_decref(list);
			list = NULL;
		}
	return list;
}

/* The {"csv": "..."} body read into sh for survey m. Returns 0, or -1 after replying. */
static int read_body(struct req *r, const struct api_survey *m, struct sheet *sh)
{
	json_t *body = NULL;
	int rc = -1;
	if (req_json_body(r, &body))
		return -1;
	json_t *csv = json_is_object(body) ? json_object_get(body, "csv") : NULL;
	if (!json_is_string(csv)) {
		req_reply_error(r, 422, "invalid_request", "csv",
				"expected {\"csv\": \"id,name,email,sector,fields\\n...\"}");
		goto out;
	}
	read_sheet(sh, m->sv->survey, json_string_value(csv), json_string_length(csv));
	if (sh->oom) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static json_t *fields_json(const struct survey *s, const size_t *fields, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(s->fields[fields[i]].code))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* ---- GET .../experts ------------------------------------------------------------------------ */

struct list_ctx {
	json_t *list;
	int rounds; /* rounds opened so far */
};

static json_t *split_fields(const char *joined)
{
	json_t *a = json_array();
	const char *p = joined;
	while (a && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (json_array_append_new(a, json_stringn(p, n))) {
			json_decref(a);
			return NULL;
		}
		p += n + (end ? 1 : 0);
	}
	return a;
}

static int list_cb(const struct db_console_expert *e, void *arg)
{
	struct list_ctx *l = arg;
	json_t *rounds = json_array();
	for (int k = 1; rounds && k <= l->rounds; k++)
		if (json_array_append_new(rounds,
					  json_pack("{s:i, s:b, s:b}", "number", k, "invited",
						    (e->invited >> (k - 1)) & 1, "responded",
						    (e->responded >> (k - 1)) & 1))) {
			json_decref(rounds);
			rounds = NULL;
		}
	const struct db_expert_info *x = &e->info;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o?, s:s, s:b, s:o?}", "id", x->ext_id, "name",
			      x->name, "email", x->email, "sector", x->sector, "fields",
			      split_fields(x->fields), "pseudonym", x->pseudonym, "revoked",
			      x->revoked, "rounds", rounds);
	if (!o || !rounds || !json_object_get(o, "fields") || json_array_append_new(l->list, o))
		return 1;
	return 0;
}

void api_experts_list(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct db_round latest;
	struct list_ctx l = { json_array(), 0 };
	if (api_console_survey(r, &m))
		goto out;
	int found = db_round_get(db, m->sv->id, 0, &latest);
	if (found < 0) {
		api_fail_db(r, db, "cannot read the round");
		goto out;
	}
	l.rounds = found == DB_FOUND ? latest.number : 0;
	int rc = l.list ? db_console_experts(db, m->sv->id, list_cb, &l) : 1;
	if (rc) {
		if (rc < 0)
			api_fail_db(r, db, "cannot list the experts");
		else
			req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200, json_pack("{s:O}", "experts", l.list));
out:
	json_decref(l.list);
	api_survey_put(a, m);
}

/* ---- POST .../experts/preview --------------------------------------------------------------- */

void api_experts_preview(struct req *r)
{
	struct api *a = api_of(r);
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	struct sheet sh = { 0 };
	json_t *rows = json_array(), *errors = NULL;
	if (api_console_survey(r, &m) || read_body(r, m, &sh))
		goto out;
	const struct survey *s = m->sv->survey;
	for (size_t i = 0; rows && i < sh.n; i++) {
		const struct row *x = &sh.v[i];
		struct db_expert_ref ref;
		int found = db_expert_by_ext_id(db, m->sv->id, x->ext_id, &ref);
		if (found < 0) {
			api_fail_db(r, db, "cannot look up an expert");
			goto out;
		}
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o?, s:s}", "row",
				      (json_int_t)x->row, "id", x->ext_id, "name", x->name, "email",
				      x->email, "sector", db_sector_name(x->sector), "fields",
				      fields_json(s, x->fields, x->n_fields), "status",
				      found == DB_FOUND ? "update" : "new");
		if (!o || json_array_append_new(rows, o)) {
			json_decref(rows);
			rows = NULL;
		}
	}
	if (!rows || !(errors = problems_json(&sh))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200, json_pack("{s:O, s:O, s:I}", "rows", rows, "errors", errors,
					  "error_count", (json_int_t)sh.n_problems));
out:
	json_decref(rows);
	json_decref(errors);
	sheet_release(&sh);
	api_survey_put(a, m);
}

/* ---- POST .../experts ----------------------------------------------------------------------- */

struct import_job {
	struct api *api;
	struct api_survey *m;
	struct sheet sh;
	char actor[API_CONSOLE_ACTOR_MAX];
	char (*tokens)[DB_TOKEN_HEX + 1]; /* [sh.n]: "" for an update */
	size_t created;
};

static void import_job_free(struct import_job *j)
{
	if (!j)
		return;
	if (j->tokens) {
		explicit_bzero(j->tokens, j->sh.n * sizeof *j->tokens);
		free(j->tokens);
	}
	sheet_release(&j->sh);
	api_survey_put(j->api, j->m);
	free(j);
}

static int import_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct import_job *j = arg;
	char detail[256];
	j->created = 0;
	for (size_t i = 0; i < j->sh.n; i++) {
		const struct row *x = &j->sh.v[i];
		const struct db_expert_in in = { x->ext_id, x->name, x->email, x->sector, x->fields,
						 x->n_fields };
		bool created;
		if (db_expert_upsert(db, j->m->sv, &in, j->tokens[i], &created))
			goto fail;
		if (created)
			j->created++;
		else
			j->tokens[i][0] = '\0';
	}
	snprintf(detail, sizeof detail, "survey=%s created=%zu updated=%zu",
		 j->m->sv->survey->slug, j->created, j->sh.n - j->created);
	if (db_audit(db, j->actor, "experts.import", detail))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void import_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct import_job *j = arg;
	const char *url = j->api->console->public_url;
	json_t *links = NULL;
	char link[LINK_MAX + 1];
	if (rc < 0) {
		api_fail_write(r, rc, err);
		goto out;
	}
	links = json_array();
	for (size_t i = 0; links && i < j->sh.n; i++) {
		if (!j->tokens[i][0])
			continue;
		snprintf(link, sizeof link, "%s/e/%s", url, j->tokens[i]);
		if (json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "id",
							   j->sh.v[i].ext_id, "token",
							   j->tokens[i], "link", link))) {
			json_decref(links);
			links = NULL;
		}
	}
	explicit_bzero(link, sizeof link);
	if (!links) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	req_reply_json(r, 200, json_pack("{s:I, s:I, s:o}", "imported", (json_int_t)j->created,
					  "updated", (json_int_t)(j->sh.n - j->created), "links",
					  links));
out:
	import_job_free(j);
}

void api_experts_import(struct req *r)
{
	struct api *a = api_of(r);
	struct import_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	j->api = a;
	if (api_console_survey(r, &j->m) || api_console_actor(r, j->actor) ||
	    read_body(r, j->m, &j->sh))
		goto fail;
	if (j->sh.n_problems) {
		json_t *list = problems_json(&j->sh);
		const struct problem *first = j->sh.n_kept ? &j->sh.p[0] : NULL;
		char msg[600];
		snprintf(msg, sizeof msg, "%zu problem%s in the CSV; nothing was imported%s%s%s",
			 j->sh.n_problems, j->sh.n_problems == 1 ? "" : "s", first ? " (first: " : "",
			 first ? first->text : "", first ? ")" : "");
		api_console_reply_errors(r, 422, "invalid_csv", msg, list, j->sh.n_problems);
		goto fail;
	}
	if (!j->sh.n) {
		api_console_reply_errors(r, 422, "invalid_csv",
					 "the CSV has no experts in it: nothing was imported",
					 json_array(), 0);
		goto fail;
	}
	if (!(j->tokens = calloc(j->sh.n, sizeof *j->tokens))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		goto fail;
	}
	api_console_write(r, import_run, import_reply, j);
	return;
fail:
	import_job_free(j);
}

/* ---- POST .../experts/{id}/reissue and /revoke ---------------------------------------------- */

struct expert_job {
	struct api *api;
	char slug[SURVEY_KEY_MAX + 1];
	char ext_id[ID_MAX + 1];
	int64_t expert_id;
	char actor[API_CONSOLE_ACTOR_MAX];
	char token[DB_TOKEN_HEX + 1];
	int64_t ended;
	int outcome;
};

static void expert_job_free(struct expert_job *j)
{
	if (j)
		explicit_bzero(j->token, sizeof j->token);
	free(j);
}

/* The expert of {slug} and {id} into a new job: the job, or NULL after replying (404, 500). */
static struct expert_job *expert_job_new(struct req *r, struct db_expert_ref *ref)
{
	struct db *db = api_db(r);
	struct api_survey *m = NULL;
	const char *ext_id = req_param(r, "id");
	struct expert_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	if (api_console_survey(r, &m))
		goto fail;
	int found = ext_id && strlen(ext_id) <= ID_MAX
			    ? db_expert_by_ext_id(db, m->sv->id, ext_id, ref)
			    : DB_NOT_FOUND;
	if (found < 0) {
		api_fail_db(r, db, "cannot look up the expert");
		goto fail;
	}
	if (found == DB_NOT_FOUND) {
		req_reply_error(r, 404, "unknown_expert", NULL, "survey %s has no expert \"%.64s\"",
				m->sv->survey->slug, ext_id ? ext_id : "");
		goto fail;
	}
	if (api_console_actor(r, j->actor))
		goto fail;
	j->api = api_of(r);
	snprintf(j->slug, sizeof j->slug, "%s", m->sv->survey->slug);
	snprintf(j->ext_id, sizeof j->ext_id, "%s", ext_id);
	j->expert_id = ref->id;
	api_survey_put(api_of(r), m);
	return j;
fail:
	api_survey_put(api_of(r), m);
	free(j);
	return NULL;
}

static int reissue_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct expert_job *j = arg;
	char detail[300];
	snprintf(detail, sizeof detail, "survey=%s id=%s", j->slug, j->ext_id);
	if (db_mail_reissue(db, j->expert_id, j->token, &j->ended) ||
	    db_audit(db, j->actor, "experts.reissue", detail)) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	return 0;
}

static void reissue_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct expert_job *j = arg;
	char link[LINK_MAX + 1];
	if (rc < 0) {
		api_fail_write(r, rc, err);
	} else {
		snprintf(link, sizeof link, "%s/e/%s", j->api->console->public_url, j->token);
		req_reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "id", j->ext_id, "token",
						 j->token, "link", link));
		explicit_bzero(link, sizeof link);
	}
	expert_job_free(j);
}

void api_experts_reissue(struct req *r)
{
	struct db_expert_ref ref;
	struct expert_job *j = expert_job_new(r, &ref);
	if (!j)
		return;
	if (ref.revoked) {
		req_reply_error(r, 409, "revoked", NULL,
				"expert %s is revoked: a new link would not work", j->ext_id);
		expert_job_free(j);
		return;
	}
	api_console_write(r, reissue_run, reissue_reply, j);
}

static int revoke_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct expert_job *j = arg;
	char detail[340];
	if ((j->outcome = db_mail_revoke(db, j->expert_id, &j->ended)) < 0)
		goto fail;
	snprintf(detail, sizeof detail, "survey=%s id=%s sessions_ended=%lld%s", j->slug,
		 j->ext_id, (long long)j->ended,
		 j->outcome == DB_MAIL_ALREADY_REVOKED ? " already=1" : "");
	if (db_audit(db, j->actor, "experts.revoke", detail))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void revoke_reply(struct req *r, void *arg, int rc, const char *err)
{
	if (rc < 0)
		api_fail_write(r, rc, err);
	else
		req_reply_empty(r, 204);
	expert_job_free(arg);
}

void api_experts_revoke(struct req *r)
{
	struct db_expert_ref ref;
	struct expert_job *j = expert_job_new(r, &ref);
	if (j)
		api_console_write(r, revoke_run, revoke_reply, j);
}
