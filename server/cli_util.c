/* cli_util — helpers shared by the command files. See cli_util.h. */
#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"
#include "strconv.h"

/* The help topic of a command: its first word ("survey load" -> "survey"). */
static void group_of(const char *cmd, char *out, size_t size)
{
	size_t n = strcspn(cmd, " ");
	snprintf(out, size, "%.*s", (int)n, cmd);
}

int cli_util_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024], group[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	group_of(cmd, group, sizeof group);
	log_warnx("%s: %s (see 'delphi help %s')", cmd, msg, group);
	return CLI_USAGE;
}

int cli_util_parse(const char *cmd, int argc, char **argv, const struct cli_util_opt *opts,
		   size_t n_opts, const char **pos, int min_pos, int max_pos, int *n_pos)
{
	int n = 0, options_done = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (options_done || a[0] != '-' || !strcmp(a, "-")) {
			if (n == max_pos)
				return cli_util_usage(cmd, "unexpected argument '%s'", a);
			pos[n++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			options_done = 1;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
		const struct cli_util_opt *o = NULL;
		for (size_t k = 0; k < n_opts && !o; k++)
			if (strlen(opts[k].name) == name_len && !strncmp(opts[k].name, a, name_len))
				o = &opts[k];
		if (!o)
			return cli_util_usage(cmd, "unknown option '%.*s'", (int)name_len, a);
		if (o->flag) {
			if (eq)
				return cli_util_usage(cmd, "option %s takes no value", o->name);
			*o->flag = true;
		} else if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			return cli_util_usage(cmd, "option %s needs a value", o->name);
		}
	}
	if (n < min_pos)
		return cli_util_usage(cmd, "missing argument%s", min_pos - n > 1 ? "s" : "");
	*n_pos = n;
	return CLI_OK;
}

int cli_util_require(const char *cmd, const char *opt, const char *value)
{
	if (value)
		return CLI_OK;
	return cli_util_usage(cmd, "%s is required", opt);
}

int cli_util_int(const char *cmd, const char *opt, const char *s, int min, int max, int *out)
{
	if (strconv_int(s, min, max, out))
		return cli_util_usage(cmd, "%s must be a whole number from %d to %d, not '%s'", opt,
				      min, max, s);
	return CLI_OK;
}

int cli_util_open(const struct cli_ctx *ctx, bool create, struct db **out)
{
	char err[DB_ERR_MAX];
	struct stat sb;
	*out = NULL;
	if (!create && stat(ctx->db_path, &sb) && errno == ENOENT) {
		log_warnx("no database at %s: create it with 'delphi init' (or choose one with "
			  "--db PATH or DELPHI_DB)", ctx->db_path);
		return CLI_FAIL;
	}
	unsigned flags = DB_READWRITE | DB_SYNC_FULL | (create ? DB_CREATE : 0);
	if (db_open(ctx->db_path, flags, out, err)) {
		log_warnx("%s", err);
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cli_util_survey(struct db *db, const char *slug, struct db_survey **out)
{
	int found = db_survey_get(db, slug, out);
	if (found < 0)
		return cli_util_db_fail(db);
	if (found == DB_NOT_FOUND) {
		log_warnx("there is no survey '%s' (see 'delphi survey list'; load one with "
			  "'delphi survey load FILE')", slug);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int cli_util_db_fail(struct db *db)
{
	log_warnx("%s", db_error(db));
	return CLI_FAIL;
}

int cli_util_read_file(const char *path, char **data, size_t *len)
{
	int is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct buf b = BUF_INIT;
	int rc = CLI_USAGE;
	*data = NULL;
	*len = 0;
	if (!f) {
		log_warn("cannot open %s", path);
		return CLI_USAGE;
	}
	buf_init(&b);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > CLI_UTIL_FILE_MAX) {
			log_warnx("%s is larger than %u MiB: split it", path, CLI_UTIL_FILE_MAX >> 20);
			goto out;
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		log_warn("cannot read %s", path);
		goto out;
	}
	*data = buf_detach(&b, len);
	rc = CLI_OK;
out:
	buf_release(&b);
	if (!is_stdin)
		fclose(f);
	return rc;
}

void cli_util_errors_init(struct cli_util_errors *e, const char *source)
{
	memset(e, 0, sizeof *e);
	e->source = source;
}

void cli_util_errors_release(struct cli_util_errors *e)
{
	for (size_t i = 0; i < e->shown; i++)
		free(e->msgs[i].text);
	e->shown = 0;
}

void cli_util_error(struct cli_util_errors *e, size_t row, const char *fmt, ...)
{
	e->n++;
	/* Keep the CLI_UTIL_MAX_ERRORS lowest rows: find where this one goes. */
	size_t at = e->shown;
	while (at > 0 && e->msgs[at - 1].row > row)
		at--;
	if (at == CLI_UTIL_MAX_ERRORS)
		return;
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (e->shown == CLI_UTIL_MAX_ERRORS)
		free(e->msgs[--e->shown].text);
	memmove(&e->msgs[at + 1], &e->msgs[at], (e->shown - at) * sizeof e->msgs[0]);
	e->msgs[at].row = row;
	e->msgs[at].text = text;
	e->shown++;
}

int cli_util_errors_end(const struct cli_util_errors *e)
{
	if (!e->n)
		return CLI_OK;
	for (size_t i = 0; i < e->shown; i++) {
		const char *text = e->msgs[i].text ? e->msgs[i].text : "(out of memory)";
		if (e->msgs[i].row)
			fprintf(stderr, "%s: row %zu: %s\n", e->source, e->msgs[i].row, text);
		else
			fprintf(stderr, "%s: %s\n", e->source, text);
	}
	if (e->n > e->shown)
		fprintf(stderr, "%s: ... and %zu more\n", e->source, e->n - e->shown);
	log_warnx("%s: %zu problem%s; nothing was imported", e->source, e->n, e->n == 1 ? "" : "s");
	return CLI_USAGE;
}

const char *cli_util_public_url(const char *cmd, const char *opt, char *out, size_t size)
{
	const char *url = opt ? opt : getenv("DELPHI_PUBLIC_URL");
	if (!url || !*url)
		url = CLI_UTIL_DEFAULT_PUBLIC_URL;
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	int scheme = !strncmp(url, "https://", 8) ? 8 : !strncmp(url, "http://", 7) ? 7 : 0;
	int clean = 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == '"' || url[i] == 0x7f)
			clean = 0;
	if (!scheme || n <= (size_t)scheme || n >= size || !clean) {
		cli_util_usage(cmd, "the public URL '%s' is not an http:// or https:// URL (set it "
				    "with --public-url or DELPHI_PUBLIC_URL)", url);
		return NULL;
	}
	memcpy(out, url, n);
	out[n] = '\0';
	return out;
}

char *cli_util_trim(char *s)
{
	char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	return s;
}

static bool blank_row(const struct csv_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		if (row->fields[i][strspn(row->fields[i], " \t")])
			return false;
	return true;
}

/* Maps the header's cells to names (see cli_util_read_csv): idx[i] = column of names[i]. */
static int columns(struct cli_util_errors *e, const struct csv_row *header,
		   const char *const *names, size_t n, size_t *idx)
{
	size_t before = e->n;
	for (size_t i = 0; i < n; i++)
		idx[i] = (size_t)-1;
	for (size_t c = 0; c < header->n; c++) {
		const char *cell = cli_util_trim(header->fields[c]);
		size_t i = 0;
		while (i < n && strcasecmp(cell, names[i]))
			i++;
		if (i == n) {
			struct buf list = BUF_INIT;
			buf_init(&list);
			for (size_t k = 0; k < n; k++)
				buf_printf(&list, "%s%s", k ? ", " : "", names[k]);
			cli_util_error(e, header->record, "unknown column \"%s\" (the columns are %s)",
				       cell, list.data);
			buf_release(&list);
		} else if (idx[i] != (size_t)-1) {
			cli_util_error(e, header->record, "column \"%s\" appears twice", names[i]);
		} else {
			idx[i] = c;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (idx[i] == (size_t)-1)
			cli_util_error(e, header->record, "the header has no column \"%s\"", names[i]);
	return e->n == before ? 0 : -1;
}

int cli_util_read_csv(struct cli_util_errors *e, const char *data, size_t len,
		      const char *const *names, size_t n,
		      int (*row)(const struct csv_row *r, const size_t *col, void *arg), void *arg)
{
	struct csv_reader *rd = csv_reader_new(data, len);
	size_t *col = calloc(n, sizeof *col);
	struct csv_row r;
	int rc, ret = 0;
	if (!rd || !col) {
		cli_util_error(e, 0, "out of memory");
		goto out;
	}
	rc = csv_next(rd, &r);
	if (rc == 0) {
		struct buf list = BUF_INIT;
		buf_init(&list);
		for (size_t i = 0; i < n; i++)
			buf_printf(&list, "%s%s", i ? "," : "", names[i]);
		cli_util_error(e, 0, "the file is empty: it needs a header row (%s)", list.data);
		buf_release(&list);
		goto out;
	}
	if (rc > 0 && columns(e, &r, names, n, col) == 0) {
		size_t n_header = r.n;
		while (!ret && (rc = csv_next(rd, &r)) > 0) {
			if (blank_row(&r))
				continue;
			if (r.n != n_header)
				cli_util_error(e, r.record, "has %zu cells, the header has %zu", r.n,
					       n_header);
			else
				ret = row(&r, col, arg);
		}
	}
	if (rc < 0)
		cli_util_error(e, 0, "%s", csv_error(rd));
out:
	csv_reader_free(rd);
	free(col);
	return ret;
}

int cli_util_write(const char *data, size_t len)
{
	if (len && fwrite(data, 1, len, stdout) != len) {
		log_warn("cannot write the output");
		return CLI_FAIL;
	}
	return CLI_OK;
}
