/*
 * cli_experts — `delphi experts import` (create or update experts from a CSV file and hand out
 * their invitation links once) and `delphi experts list`.
 *
 * An import is all or nothing: every row is checked first, every problem reported with its row
 * number (the header is row 1, as in a spreadsheet), and nothing is written unless all rows are
 * good. Tokens exist only in this process's output: the store keeps their hashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "cli.h"
#include "cli_mail.h"
#include "cli_util.h"
#include "csv.h"
#include "db.h"
#include "log.h"

#define ID_MAX 128
#define NAME_MAX_CHARS 16384 /* characters (survey_text_length), as a long survey text */
#define EMAIL_MAX 254

enum { COL_ID, COL_NAME, COL_EMAIL, COL_SECTOR, COL_FIELDS, N_COLS };
static const char *const columns[N_COLS] = { "id", "name", "email", "sector", "fields" };

/* One valid row, its strings owned. */
struct expert_row {
	size_t row;
	char *ext_id, *name, *email;
	enum db_sector sector;
	size_t *fields;
	size_t n_fields;
};

struct expert_rows {
	struct expert_row *v;
	size_t n, cap;
};

static void rows_release(struct expert_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].ext_id);
		free(rows->v[i].name);
		free(rows->v[i].email);
		free(rows->v[i].fields);
	}
	free(rows->v);
}

/* Checks a text cell: non-empty unless optional, clean UTF-8 on one line, at most max bytes, or
 * max characters when in_chars (names: every script gets the same room). */
static int check_text(struct cli_util_errors *e, size_t row, const char *what, const char *s,
		      size_t max, int in_chars, int optional)
{
	size_t len = strlen(s);
	if (!len && !optional) {
		cli_util_error(e, row, "%s is empty", what);
		return -1;
	}
	if (len > max && (!in_chars || survey_text_length(s) > max)) {
		cli_util_error(e, row, "%s is longer than %zu %s", what, max,
			       in_chars ? "characters" : "bytes");
		return -1;
	}
	if (!answer_is_clean_utf8(s, len) || strpbrk(s, "\r\n\t")) {
		cli_util_error(e, row, "%s is not one line of UTF-8 text", what);
		return -1;
	}
	return 0;
}

/* A plausible e-mail address: something@domain with a dot in the domain and no blanks. The
 * server does not send mail; this only catches cells that are plainly something else. */
static int plausible_email(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
	       at[1] != '.' && s[strlen(s) - 1] != '.' && !strpbrk(s, " \t,;<>");
}

/* Parses "ICT; ENERGY" into field indices of the survey. */
static int parse_fields(struct cli_util_errors *e, size_t row, const struct survey *s,
			char *cell, size_t **out, size_t *n_out)
{
	size_t *v = calloc(s->n_fields, sizeof *v), n = 0;
	int bad = 0;
	if (!v) {
		cli_util_error(e, row, "out of memory");
		return -1;
	}
	for (char *save = NULL, *tok = strtok_r(cell, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		cli_util_trim(tok);
		if (!*tok)
			continue;
		int f = survey_field_index(s, tok);
		if (f < 0) {
			struct buf list = BUF_INIT;
			buf_init(&list);
			for (size_t i = 0; i < s->n_fields; i++)
				buf_printf(&list, "%s%s", i ? ", " : "", s->fields[i].code);
			cli_util_error(e, row, "field \"%s\" is not in survey %s (its fields: %s)",
				       tok, s->slug, list.data);
			buf_release(&list);
			bad = 1;
			continue;
		}
		size_t k = 0;
		while (k < n && v[k] != (size_t)f)
			k++;
		if (k == n)
			v[n++] = (size_t)f; /* a field named twice counts once */
	}
	if (!bad && n == 0) {
		cli_util_error(e, row, "fields is empty: name at least one field, separated by ';'");
		bad = 1;
	}
	if (bad) {
		free(v);
		return -1;
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* Validates one data row; appends it to rows if it is good. */
static void check_row(struct cli_util_errors *e, const struct survey *s,
		      const struct csv_row *r, const size_t *col, struct expert_rows *rows)
{
	size_t row = r->record;
	char *id = cli_util_trim(r->fields[col[COL_ID]]);
	char *name = cli_util_trim(r->fields[col[COL_NAME]]);
	char *email = cli_util_trim(r->fields[col[COL_EMAIL]]);
	char *sector = cli_util_trim(r->fields[col[COL_SECTOR]]);
	int bad = 0;

	bad |= check_text(e, row, "id", id, ID_MAX, 0, 0);
	bad |= check_text(e, row, "name", name, NAME_MAX_CHARS, 1, 0);
	if (!check_text(e, row, "email", email, EMAIL_MAX, 0, 1)) {
		if (*email && !plausible_email(email)) {
			cli_util_error(e, row, "email \"%s\" is not an e-mail address", email);
			bad = 1;
		}
	} else {
		bad = 1;
	}
	for (char *p = sector; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	int sec = db_sector_parse(sector);
	if (sec < 0) {
		cli_util_error(e, row, "sector \"%s\" is not one of academia, industry, government, "
				       "other", sector);
		bad = 1;
	}
	size_t *fields = NULL, n_fields = 0;
	bad |= parse_fields(e, row, s, r->fields[col[COL_FIELDS]], &fields, &n_fields);
	if (bad) {
		free(fields);
		return;
	}
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 64;
		struct expert_row *v = realloc(rows->v, rows->cap * sizeof *v);
		if (!v) {
			free(fields);
			cli_util_error(e, row, "out of memory");
			return;
		}
		rows->v = v;
	}
	struct expert_row *x = &rows->v[rows->n];
	x->row = row;
	x->ext_id = strdup(id);
	x->name = strdup(name);
	x->email = strdup(email);
	x->sector = (enum db_sector)sec;
	x->fields = fields;
	x->n_fields = n_fields;
	rows->n++;
	if (!x->ext_id || !x->name || !x->email)
		cli_util_error(e, row, "out of memory");
}

static int by_ext_id(const void *a, const void *b)
{
	const struct expert_row *x = *(const struct expert_row *const *)a;
	const struct expert_row *y = *(const struct expert_row *const *)b;
	int c = strcmp(x->ext_id, y->ext_id);
	return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Reports ids that appear on more than one row. */
static void check_duplicates(struct cli_util_errors *e, struct expert_rows *rows)
{
	if (rows->n < 2)
		return;
	struct expert_row **sorted = malloc(rows->n * sizeof *sorted);
	if (!sorted) {
		cli_util_error(e, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < rows->n; i++)
		sorted[i] = &rows->v[i];
	qsort(sorted, rows->n, sizeof *sorted, by_ext_id);
	for (size_t i = 1; i < rows->n; i++) {
		size_t first = i - 1;
		while (i < rows->n && !strcmp(sorted[i]->ext_id, sorted[first]->ext_id)) {
			cli_util_error(e, sorted[i]->row, "id \"%s\" is also on row %zu",
				       sorted[i]->ext_id, sorted[first]->row);
			i++;
		}
	}
	free(sorted);
}

struct read_ctx {
	struct cli_util_errors *e;
	const struct survey *s;
	struct expert_rows *rows;
};

static int row_cb(const struct csv_row *r, const size_t *col, void *arg)
{
	struct read_ctx *rc = arg;
	check_row(rc->e, rc->s, r, col, rc->rows);
	return 0;
}

/* delphi experts import --survey SLUG FILE.csv [--public-url URL] */
static int experts_import(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "experts import";
	const char *slug = NULL, *url_opt = NULL, *pos[1];
	const struct cli_util_opt opts[] = {
		{ "--survey", &slug, NULL },
		{ "--public-url", &url_opt, NULL },
	};
	char url[1024], *data = NULL;
	size_t len;
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct expert_rows rows = { NULL, 0, 0 };
	struct buf out = BUF_INIT;
	struct cli_util_errors errs;
	int n_pos, rc;
	buf_init(&out);
	cli_util_errors_init(&errs, NULL);
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 2, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)))
		goto out;
	if (!cli_util_public_url(cmd, url_opt, url, sizeof url)) {
		rc = CLI_USAGE;
		goto out;
	}
	if ((rc = cli_util_read_file(pos[0], &data, &len)) || (rc = cli_util_open(ctx, false, &db)) ||
	    (rc = cli_util_survey(db, slug, &sv)))
		goto out;

	errs.source = pos[0];
	struct read_ctx rctx = { &errs, sv->survey, &rows };
	cli_util_read_csv(&errs, data, len, columns, N_COLS, row_cb, &rctx);
	check_duplicates(&errs, &rows);
	if ((rc = cli_util_errors_end(&errs)))
		goto out;
	if (rows.n == 0) {
		log_warnx("%s has no experts in it: nothing was imported", pos[0]);
		rc = CLI_USAGE;
		goto out;
	}

	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	size_t created = 0;
	buf_adds(&out, "id,token,link\n");
	for (size_t i = 0; i < rows.n; i++) {
		const struct expert_row *x = &rows.v[i];
		const struct db_expert_in in = { x->ext_id, x->name, x->email, x->sector,
						 x->fields, x->n_fields };
		char token[DB_TOKEN_HEX + 1], link[1100];
		bool is_new;
		if (db_expert_upsert(db, sv, &in, token, &is_new)) {
			rc = cli_util_db_fail(db);
			goto out;
		}
		if (!is_new)
			continue;
		created++;
		snprintf(link, sizeof link, "%s/e/%s", url, token);
		const char *cells[3] = { x->ext_id, token, link };
		csv_write_row(&out, cells, 3);
	}
	char detail[512];
	snprintf(detail, sizeof detail, "survey=%s file=%s created=%zu updated=%zu", slug, pos[0],
		 created, rows.n - created);
	if (db_audit(db, "cli", "experts.import", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	/* The tokens are printed only now that they are stored, and never again. */
	if ((rc = cli_util_write(out.data, out.len)))
		goto out;
	log_warnx("imported %zu expert%s into %s: %zu new, %zu updated", rows.n,
		  rows.n == 1 ? "" : "s", slug, created, rows.n - created);
	if (created)
		log_warnx("these links are shown only this once: send each expert their own "
			  "link and keep no copy you do not need");
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	cli_util_errors_release(&errs);
	buf_release(&out);
	rows_release(&rows);
	db_survey_free(sv);
	db_close(db);
	free(data);
	return rc;
}

static int list_cb(const struct db_expert_info *e, void *arg)
{
	struct buf *out = arg;
	const char *cells[5] = { e->ext_id, e->name, e->sector, e->fields, e->pseudonym };
	csv_write_row(out, cells, 5);
	if (out->len >= 65536) {
		if (cli_util_write(out->data, out->len))
			return 1; /* stops the walk; the failure is reported */
		buf_reset(out);
	}
	return 0;
}

/* delphi experts list --survey SLUG: CSV on stdout, without tokens (they are not stored). */
static int experts_list(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "experts list";
	const char *slug = NULL, *pos[1];
	const struct cli_util_opt opts[] = { { "--survey", &slug, NULL } };
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct buf out = BUF_INIT;
	int n_pos, rc;
	buf_init(&out);
	if ((rc = cli_util_parse(cmd, argc, argv, opts, 1, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_require(cmd, "--survey", slug)) || (rc = cli_util_open(ctx, false, &db)) ||
	    (rc = cli_util_survey(db, slug, &sv)))
		goto out;
	buf_adds(&out, "id,name,sector,fields,pseudonym\n");
	int r = db_expert_list(db, sv->id, list_cb, &out);
	if (r < 0)
		rc = cli_util_db_fail(db);
	else if (r > 0)
		rc = CLI_FAIL;
	else
		rc = cli_util_write(out.data, out.len);
out:
	buf_release(&out);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

int cli_experts(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_util_usage("experts", "say what to do: import, list, invite, remind, "
						 "reissue or revoke");
	if (!strcmp(argv[1], "import"))
		return experts_import(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "list"))
		return experts_list(ctx, argc - 2, argv + 2);
	if (cli_mail_handles(argv[1])) /* invite, remind, reissue, revoke: cli_mail.c */
		return cli_mail_experts(ctx, argc, argv);
	return cli_util_usage("experts", "unknown subcommand '%s' (import, list, invite, remind, "
					 "reissue or revoke)", argv[1]);
}
