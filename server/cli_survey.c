/*
 * cli_survey — `delphi init` (create or migrate the database) and `delphi survey load | list |
 * show`: bringing survey definitions into the store and looking at them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "cli_util.h"
#include "db.h"
#include "db_console.h"
#include "log.h"
#include "survey.h"

int cli_init(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct db *db = NULL;
	const char *pos[1];
	int n_pos, rc;
	if ((rc = cli_util_parse("init", argc - 1, argv + 1, NULL, 0, pos, 0, 0, &n_pos)))
		return rc;
	if ((rc = cli_util_open(ctx, true, &db)))
		return rc;
	int v = db_schema_version(db);
	if (v < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("%s: schema version %d\n", ctx->db_path, v);
	rc = CLI_OK;
out:
	db_close(db);
	return rc;
}

/* delphi survey load FILE */
static int survey_load(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "survey load";
	const char *pos[1];
	char *json = NULL;
	size_t len;
	struct survey *s = NULL;
	struct db *db = NULL;
	int n_pos, rc;
	if ((rc = cli_util_parse(cmd, argc, argv, NULL, 0, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_read_file(pos[0], &json, &len)))
		return rc;
	struct survey_error serr;
	if (survey_load_string(json, len, pos[0], &s, &serr)) {
		char msg[1200];
		survey_error_format(&serr, msg, sizeof msg);
		fprintf(stderr, "%s\n", msg);
		log_warnx("%s is not a valid survey definition; nothing was loaded", pos[0]);
		rc = CLI_USAGE;
		goto out;
	}
	if ((rc = cli_util_open(ctx, false, &db)))
		goto out;
	if (db_begin(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	int outcome = db_survey_store(db, json, len, s);
	if (outcome < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (outcome == DB_STORE_UNCHANGED) {
		printf("survey %s is already loaded with this definition: nothing changed\n",
		       s->slug);
		rc = CLI_OK;
		goto out;
	}
	if (outcome == DB_STORE_LOCKED) {
		log_warnx("survey %s has opened rounds, so its definition can no longer change; "
			  "nothing was loaded (give the changed definition a new slug to load it as "
			  "another survey)", s->slug);
		rc = CLI_FAIL;
		goto out;
	}
	char detail[256];
	snprintf(detail, sizeof detail, "survey=%s fields=%zu topics=%zu questions=%zu%s", s->slug,
		 s->n_fields, s->n_topics, s->n_questions,
		 outcome == DB_STORE_REPLACED ? " replaced" : "");
	if (db_audit(db, "cli", "survey.load", detail) || db_commit(db)) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("%s survey %s: %zu fields, %zu topics, %zu questions, %d round%s\n",
	       outcome == DB_STORE_CREATED ? "loaded" : "replaced the definition of", s->slug,
	       s->n_fields, s->n_topics, s->n_questions, s->n_rounds, s->n_rounds == 1 ? "" : "s");
	if (outcome == DB_STORE_CREATED)
		printf("next: import experts with 'delphi experts import --survey %s FILE.csv'\n",
		       s->slug);
	rc = CLI_OK;
out:
	if (db)
		db_rollback(db);
	db_close(db);
	survey_free(s);
	free(json);
	return rc;
}

struct list_ctx {
	struct db *db;
	int n;
};

static int list_cb(const struct db_survey_info *info, void *arg)
{
	struct list_ctx *lc = arg;
	struct db_survey *sv = NULL;
	const char *title = "";
	/* The title lives in the definition; a survey that no longer loads is still listed. */
	if (db_survey_get(lc->db, info->slug, &sv) == DB_FOUND)
		title = survey_text(sv->survey, &sv->survey->title, NULL);
	if (lc->n++ == 0)
		printf("%-24s %-7s %-7s %-20s %s\n", "SLUG", "ROUND", "EXPERTS", "LOADED", "TITLE");
	char round[32] = "-";
	if (info->round)
		snprintf(round, sizeof round, "%d %s", info->round, info->round_state);
	printf("%-24s %-7s %-7lld %-20s %s\n", info->slug, round, (long long)info->n_experts,
	       info->loaded_at, title);
	db_survey_free(sv);
	return 0;
}

/* delphi survey list */
static int survey_list(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct db *db = NULL;
	int n_pos, rc;
	if ((rc = cli_util_parse("survey list", argc, argv, NULL, 0, pos, 0, 0, &n_pos)) ||
	    (rc = cli_util_open(ctx, false, &db)))
		return rc;
	struct list_ctx lc = { db, 0 };
	if (db_survey_list(db, list_cb, &lc) < 0)
		rc = cli_util_db_fail(db);
	else if (lc.n == 0)
		log_warnx("no surveys yet: load one with 'delphi survey load FILE'");
	db_close(db);
	return rc;
}

static int show_round_cb(const struct db_console_round *cr, void *arg)
{
	const struct db_round *r = &cr->r;
	bool scheduled = r->state == DB_ROUND_OPEN && *cr->close_at;
	(void)arg;
	printf("  %d  %-6s  opened %s%s%s%s%s\n", r->number, db_round_state_name(r->state),
	       r->opened_at, r->state == DB_ROUND_CLOSED ? ", closed " : "", r->closed_at,
	       scheduled ? ", scheduled to close at " : "", scheduled ? cr->close_at : "");
	return 0;
}

/* One line describing what a question accepts. */
static void describe_question(const struct survey *s, const struct survey_question *q,
			      struct buf *out)
{
	switch (q->kind) {
	case SURVEY_ORDINAL:
		buf_adds(out, "labels");
		for (size_t i = 0; i < q->n_labels; i++)
			buf_printf(out, " %d", q->labels[i].value);
		break;
	case SURVEY_YEAR:
		buf_printf(out, "years %d..%d", q->year_min, q->year_max);
		if (q->not_before >= 0)
			buf_printf(out, ", not before %s", s->questions[q->not_before].key);
		break;
	case SURVEY_MULTI:
		buf_printf(out, "options");
		for (size_t i = 0; i < q->n_options; i++)
			buf_printf(out, "%s%s", i ? ";" : " ", q->options[i].code);
		break;
	case SURVEY_TEXT:
		buf_printf(out, "up to %zu bytes", q->max_length);
		break;
	}
	static const struct {
		unsigned bit;
		const char *name;
	} specials[] = {
		{ SURVEY_SPECIAL_ALREADY, "already" },
		{ SURVEY_SPECIAL_NEVER, "never" },
		{ SURVEY_SPECIAL_DONT_KNOW, "dont_know" },
	};
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		if (q->specials & specials[i].bit)
			buf_printf(out, ", %s", specials[i].name);
}

/* delphi survey show SLUG */
static int survey_show(const struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct buf line = BUF_INIT;
	int n_pos, rc;
	if ((rc = cli_util_parse("survey show", argc, argv, NULL, 0, pos, 1, 1, &n_pos)) ||
	    (rc = cli_util_open(ctx, false, &db)) || (rc = cli_util_survey(db, pos[0], &sv)))
		goto out;
	const struct survey *s = sv->survey;
	buf_init(&line);
	printf("survey %s: %s\n", s->slug, survey_text(s, &s->title, NULL));
	for (size_t i = 0; i < s->n_languages; i++)
		buf_printf(&line, "%s%s", i ? ", " : "", s->languages[i]);
	printf("year %d, horizon %d, languages %s\n", s->year, s->horizon, line.data);
	if (s->n_rounds > 1)
		printf("rounds: %d; a round after the first invites %s\n", s->n_rounds,
		       s->invite == SURVEY_INVITE_ALL ? "every expert"
						      : "the respondents of the round before");
	else
		printf("rounds: 1\n");
	printf("loaded %s\n", sv->loaded_at);

	printf("fields (%zu):\n", s->n_fields);
	for (size_t f = 0; f < s->n_fields; f++) {
		size_t n = 0;
		for (size_t t = 0; t < s->n_topics; t++)
			n += s->topics[t].field == f;
		printf("  %-12s %3zu topic%s  %s\n", s->fields[f].code, n, n == 1 ? " " : "s",
		       survey_text(s, &s->fields[f].title, NULL));
	}
	printf("questions (%zu):\n", s->n_questions);
	for (size_t q = 0; q < s->n_questions; q++) {
		buf_reset(&line);
		describe_question(s, &s->questions[q], &line);
		printf("  %-16s %-8s %s\n", s->questions[q].key, survey_kind_name(s->questions[q].kind),
		       line.data);
	}
	int64_t n_experts = db_expert_count(db, sv->id);
	if (n_experts < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	printf("experts: %lld\n", (long long)n_experts);
	struct db_round latest;
	int found = db_round_get(db, sv->id, 0, &latest);
	if (found < 0) {
		rc = cli_util_db_fail(db);
		goto out;
	}
	if (found == DB_NOT_FOUND) {
		printf("rounds run: none yet\n");
	} else {
		printf("rounds run:\n");
		if (db_console_rounds(db, sv->id, show_round_cb, NULL) < 0) {
			rc = cli_util_db_fail(db);
			goto out;
		}
	}
	rc = CLI_OK;
out:
	buf_release(&line);
	db_survey_free(sv);
	db_close(db);
	return rc;
}

int cli_survey(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_util_usage("survey", "say what to do: load, list or show");
	if (!strcmp(argv[1], "load"))
		return survey_load(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "list"))
		return survey_list(ctx, argc - 2, argv + 2);
	if (!strcmp(argv[1], "show"))
		return survey_show(ctx, argc - 2, argv + 2);
	return cli_util_usage("survey", "unknown subcommand '%s' (load, list or show)", argv[1]);
}
