/*
 * aggregate_bench — times the aggregation of the last round of a survey written by gen_survey
 * (db_stats_aggregate: every topic x question x group, stability against the round before
 * included, rows written in one transaction), and, in the same run, a bare scan: the SELECT of
 * the answer columns the aggregation needs over the whole round, stepped with sqlite3_step to
 * the last row, no column fetched, no arithmetic — the floor any aggregation that reads the
 * answers from SQLite stands on. The aggregation reads both rounds (stability), so its ratio
 * is taken to the bare scan of both; the ratio to round r alone is printed too.
 *
 *   aggregate_bench DB [--runs N] [--survey SLUG]
 *
 * Two cases are timed, N runs each: the aggregation at round close (the round has no stats
 * rows yet: they are deleted, untimed, before each run) and a re-run (`delphi aggregate`: the
 * round's rows are there and are overwritten in place, so updating them is part of the time).
 *
 * Prints wall times (best of N runs, and each run), answers per second, peak RSS (getrusage
 * ru_maxrss), the ratio to the bare scan, and the targets next to the figures. Targets are
 * printed, never asserted: a slow machine is not a failed build.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "db.h"
#include "db_stats.h"

#define TARGET_SECONDS 1.0
#define TARGET_RATIO 2.0
#define TARGET_RSS_MB 200.0
#define MAX_RUNS 20

static const char SQL_CLEAR[] = "DELETE FROM stats WHERE round_id = ?1";
static const char SQL_SCAN[] =
	"SELECT topic_id, question_id, expert_id, num, special FROM answers WHERE round_id = ?1 "
	"ORDER BY round_id, topic_id, question_id, expert_id";

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Steps over every answer row of the round (row id round_id); returns the rows, or -1. */
static long long bare_scan(sqlite3 *conn, int64_t round_id, double *secs)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc;
	if (sqlite3_prepare_v2(conn, SQL_SCAN, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	double t0 = seconds();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n++;
	*secs = seconds() - t0;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

/* Deletes the round's stats rows (untimed set-up of the round-close case). */
static int clear_stats(sqlite3 *conn, int64_t round_id)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(conn, SQL_CLEAR, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, round_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One timed aggregation, in its own transaction as `delphi aggregate` runs it. */
static int aggregate(struct db *db, const struct db_survey *sv, const struct db_round *r,
		     struct db_stats_summary *sum, double *secs)
{
	double t0 = seconds();
	if (db_begin(db) || db_stats_aggregate(db, sv, r, sum) || db_commit(db)) {
		fprintf(stderr, "aggregate_bench: %s\n", db_error(db));
		db_rollback(db);
		return -1;
	}
	*secs = seconds() - t0;
	return 0;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const char *verdict(double v, double target)
{
	return v <= target ? "met" : "NOT met";
}

/* Best and median of t[0..n). */
static void stats_of(const double *t, int n, double *best, double *median)
{
	double sorted[MAX_RUNS];
	memcpy(sorted, t, sizeof(double) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof *sorted, by_double);
	*best = sorted[0];
	*median = sorted[n / 2];
}

/* The figures of one case. */
static void report(const char *what, const double *t, int runs, double best, double median,
		   double scan_both, double scan_cur, long long n_cur, long long n_prev, int round)
{
	printf("  aggregation %s  %.3f s best, %.3f s median of %d (", what, best, median,
	       runs);
	for (int i = 0; i < runs; i++)
		printf("%s%.3f", i ? " " : "", t[i]);
	printf(")   target <= %.1f s: %s\n", TARGET_SECONDS, verdict(best, TARGET_SECONDS));
	printf("    answers per second          %.2f M/s of round %d, %.2f M/s of all answers read\n",
	       (double)n_cur / best / 1e6, round, (double)(n_cur + n_prev) / best / 1e6);
	printf("    ratio to the bare scan      %.2fx of the rows it reads (both rounds)   target "
	       "<= %.1fx: %s;  %.2fx of round %d's rows alone\n", best / scan_both, TARGET_RATIO,
	       verdict(best / scan_both, TARGET_RATIO), best / scan_cur, round);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *slug = "bench-nistep";
	int runs = 3;
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct db_round cur, prev;
	sqlite3 *conn = NULL;
	char err[DB_ERR_MAX];
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--survey") && i + 1 < argc)
			slug = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (!path || runs < 1 || runs > MAX_RUNS) {
		fputs("usage: aggregate_bench DB [--runs N] [--survey SLUG]\n", stderr);
		return 2;
	}
	if (db_open(path, DB_READWRITE, &db, err)) {
		fprintf(stderr, "aggregate_bench: %s\n", err);
		return 1;
	}
	if (db_survey_get(db, slug, &sv) != DB_FOUND ||
	    db_round_get(db, sv->id, 0, &cur) != DB_FOUND) {
		fprintf(stderr, "aggregate_bench: no survey %s with a round in %s\n", slug, path);
		goto out;
	}
	bool has_prev = cur.number > 1 && db_round_get(db, sv->id, cur.number - 1, &prev) == DB_FOUND;
	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "aggregate_bench: %s: %s\n", path, sqlite3_errmsg(conn));
		goto out;
	}
	sqlite3_busy_timeout(conn, 5000);

	/* warm the operating system's file cache the same way for every measurement below */
	double warm;
	long long n_cur = bare_scan(conn, cur.id, &warm);
	long long n_prev = has_prev ? bare_scan(conn, prev.id, &warm) : 0;
	if (n_cur < 0 || n_prev < 0) {
		fprintf(stderr, "aggregate_bench: scan failed: %s\n", sqlite3_errmsg(conn));
		goto out;
	}

	double t[MAX_RUNS] = { 0 }, t_rerun[MAX_RUNS] = { 0 };
	struct db_stats_summary sum = { 0 };
	for (int i = 0; i < runs; i++) {
		if (clear_stats(conn, cur.id)) {
			fprintf(stderr, "aggregate_bench: cannot clear: %s\n", sqlite3_errmsg(conn));
			goto out;
		}
		if (aggregate(db, sv, &cur, &sum, &t[i]) || aggregate(db, sv, &cur, &sum, &t_rerun[i]))
			goto out;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double rss_mb = (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */

	double scan_cur = 1e9, scan_prev = 1e9;
	for (int i = 0; i < runs; i++) {
		double a, b = 0;
		if (bare_scan(conn, cur.id, &a) < 0 || (has_prev && bare_scan(conn, prev.id, &b) < 0)) {
			fprintf(stderr, "aggregate_bench: scan failed: %s\n", sqlite3_errmsg(conn));
			goto out;
		}
		scan_cur = a < scan_cur ? a : scan_cur;
		scan_prev = b < scan_prev ? b : scan_prev;
	}
	double scan_both = scan_cur + scan_prev;
	double best, median, best_rerun, median_rerun;
	stats_of(t, runs, &best, &median);
	stats_of(t_rerun, runs, &best_rerun, &median_rerun);

	printf("aggregate: survey %s, %zu topics, round %d (%lld answers) with stability against "
	       "round %d (%lld answers)\n", slug, sv->survey->n_topics, cur.number, n_cur,
	       has_prev ? prev.number : 0, n_prev);
	printf("  stats rows written            %lld (%zu of %zu topics reach consensus)\n",
	       (long long)sum.rows, sum.topics_consensus, sum.topics);
	printf("  bare scan (sqlite3_step only) %.3f s round %d + %.3f s round %d = %.3f s\n",
	       scan_cur, cur.number, scan_prev, has_prev ? prev.number : 0, scan_both);
	report("at round close (no rows yet)", t, runs, best, median, scan_both, scan_cur, n_cur,
	       n_prev, cur.number);
	report("re-run (replacing its rows) ", t_rerun, runs, best_rerun, median_rerun, scan_both,
	       scan_cur, n_cur, n_prev, cur.number);
	printf("  peak RSS                      %.1f MB   target <= %.0f MB: %s\n", rss_mb,
	       TARGET_RSS_MB, verdict(rss_mb, TARGET_RSS_MB));
	rc = 0;
out:
	sqlite3_close(conn);
	db_survey_free(sv);
	db_close(db);
	return rc;
}
