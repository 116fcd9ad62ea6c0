/*
 * gen_survey — writes a synthetic NISTEP-scale Delphi survey into a new SQLite file through the
 * db layer (db_survey_store, db_expert_upsert, db_round_open/close, db_answer_put), for
 * bench/aggregate_bench.c.
 *
 *   gen_survey OUT.db [--topics N] [--fields N] [--experts N] [--returning N] [--per-expert N]
 *                     [--seed N]
 *
 * Defaults: 1,000 topics in 8 fields, 5,000 experts in round 1 of whom 2,500 answer round 2, each
 * answering about 100 topics of their field(s) — domain.md §1's "real survey". Answers follow
 * plausible distributions: expertise mostly medium; importance skewed high; competitiveness
 * around the middle; realization years clustered around a per-topic centre with a per-topic
 * spread (social implementation a few years after the technical realization), with some
 * "already", "never" and "don't know"; measures chosen with per-topic option probabilities; a
 * comment now and then. Round 2 (the returning half) moves part of the answers towards the
 * round-1 median, as Delphi panels do.
 *
 * Everything is derived from --seed: the same arguments give the same answers. Answers are
 * written in the answers table's key order, all in one transaction with synchronous=OFF and an
 * in-memory journal (this program only: a failed run leaves a file to delete, never a survey in
 * use). The file is written under OUT.db.tmp and renamed when complete.
 *
 * GEN_VERSION names the generator's output: bench/run.sh keys its cached file by it, so change
 * it whenever the generated data changes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "db_int.h" /* the connection, for the generator-only pragmas */
#include "survey.h"

#define GEN_VERSION 1
#define N_QUESTIONS 7
#define N_OPTIONS 8
#define YEAR_MIN 2025
#define YEAR_MAX 2055

enum { Q_EXPERTISE, Q_IMPORTANCE, Q_COMPETITIVENESS, Q_TECH, Q_SOCIAL, Q_MEASURES, Q_COMMENT };

static const char *const option_codes[N_OPTIONS] = {
	"human_resources", "funding",	  "infrastructure", "collaboration",
	"international",   "regulation", "elsi",	   "commercialization",
};

struct params {
	const char *out;
	int topics, fields, experts, returning, per_expert;
	uint64_t seed;
};

/* ---- a small deterministic generator (splitmix64) ---- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b)
{
	struct rng r = { seed ^ (a * 0x100000001b3ull) ^ (b << 40) };
	rng_next(&r);
	return r;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Approximately normal (sum of 4 uniforms, scaled), mean 0, sd 1. */
static double rng_normal(struct rng *r)
{
	double s = rng_unit(r) + rng_unit(r) + rng_unit(r) + rng_unit(r);
	return (s - 2.0) * 1.7320508075688772;
}

/* An index drawn from weights p[0..n) (summing to about 1). */
static int rng_pick(struct rng *r, const double *p, int n)
{
	double u = rng_unit(r), acc = 0;
	for (int i = 0; i < n - 1; i++)
		if (u < (acc += p[i]))
			return i;
	return n - 1;
}

/* ---- the survey definition ---- */

static void definition(const struct params *pa, struct buf *b)
{
	buf_printf(b, "{\"slug\":\"bench-nistep\",\"title\":{\"en\":\"Synthetic NISTEP-scale "
		      "survey (%d topics)\"},\"year\":2025,\"horizon\":2055,\"languages\":[\"en\"],"
		      "\"fields\":[", pa->topics);
	for (int f = 0; f < pa->fields; f++)
		buf_printf(b, "%s{\"code\":\"F%d\",\"title\":{\"en\":\"Field %d\"}}", f ? "," : "",
			   f + 1, f + 1);
	buf_adds(b, "],\"topics\":[");
	for (int t = 0; t < pa->topics; t++)
		buf_printf(b, "%s{\"code\":\"T%04d\",\"field\":\"F%d\",\"title\":{\"en\":\"Topic %d\"}"
			      "}", t ? "," : "", t + 1, t % pa->fields + 1, t + 1);
	buf_adds(b,
		 "],\"questions\":["
		 "{\"key\":\"expertise\",\"kind\":\"ordinal\",\"text\":{\"en\":\"Expertise\"},"
		 "\"labels\":[{\"value\":3,\"text\":{\"en\":\"High\"}},{\"value\":2,\"text\":{\"en\":"
		 "\"Medium\"}},{\"value\":1,\"text\":{\"en\":\"Low\"}}]},"
		 "{\"key\":\"importance\",\"kind\":\"ordinal\",\"text\":{\"en\":\"Importance\"},"
		 "\"labels\":[{\"value\":4,\"text\":{\"en\":\"Very high\"}},{\"value\":3,\"text\":"
		 "{\"en\":\"High\"}},{\"value\":2,\"text\":{\"en\":\"Low\"}},{\"value\":1,\"text\":"
		 "{\"en\":\"Very low\"}}],\"dont_know\":true},"
		 "{\"key\":\"competitiveness\",\"kind\":\"ordinal\",\"text\":{\"en\":\"Competitiveness\"},"
		 "\"labels\":[{\"value\":4,\"text\":{\"en\":\"Very high\"}},{\"value\":3,\"text\":"
		 "{\"en\":\"High\"}},{\"value\":2,\"text\":{\"en\":\"Low\"}},{\"value\":1,\"text\":"
		 "{\"en\":\"Very low\"}}],\"dont_know\":true},"
		 "{\"key\":\"tech_year\",\"kind\":\"year\",\"text\":{\"en\":\"Technical realization\"},"
		 "\"special\":[\"already\",\"never\",\"dont_know\"]},"
		 "{\"key\":\"social_year\",\"kind\":\"year\",\"text\":{\"en\":\"Social implementation\"},"
		 "\"special\":[\"already\",\"never\",\"dont_know\"],\"not_before\":\"tech_year\"},"
		 "{\"key\":\"measures\",\"kind\":\"multi\",\"text\":{\"en\":\"Measures\"},\"options\":[");
	for (int o = 0; o < N_OPTIONS; o++)
		buf_printf(b, "%s{\"code\":\"%s\",\"text\":{\"en\":\"%s\"}}", o ? "," : "",
			   option_codes[o], option_codes[o]);
	buf_adds(b, "]},{\"key\":\"comment\",\"kind\":\"text\",\"text\":{\"en\":\"Comment\"}}],"
		    "\"rounds\":{\"count\":2}}");
}

/* ---- who answers what ---- */

struct panel {
	int64_t *ids;      /* [experts]: row ids */
	bool *returns;     /* [experts]: answers round 2 */
	size_t *start;     /* [topics + 1]: topic t's respondents are who[start[t] .. start[t+1]) */
	int *who;          /* expert indices, ascending within a topic */
};

static void panel_free(struct panel *p)
{
	free(p->ids);
	free(p->returns);
	free(p->start);
	free(p->who);
}

/* Each expert is in field i % fields, a fifth of them also in the next field; each answers a
 * random ~per_expert of their fields' topics. Half (returning) come back in round 2. */
static int panel_build(const struct params *pa, struct panel *p)
{
	int nt = pa->topics, ne = pa->experts, nf = pa->fields;
	size_t *count = calloc((size_t)nt + 1, sizeof *count);
	size_t *fill = calloc((size_t)nt + 1, sizeof *fill);
	p->ids = calloc((size_t)ne, sizeof *p->ids);
	p->returns = calloc((size_t)ne, sizeof *p->returns);
	p->start = calloc((size_t)nt + 1, sizeof *p->start);
	if (!count || !fill || !p->ids || !p->returns || !p->start)
		goto fail;
	for (int pass = 0; pass < 2; pass++) {
		for (int e = 0; e < ne; e++) {
			struct rng r = rng_for(pa->seed, 1, (uint64_t)e);
			int f1 = e % nf, f2 = rng_unit(&r) < 0.2 ? (f1 + 1) % nf : f1;
			int in_fields = 0;
			for (int t = 0; t < nt; t++)
				in_fields += t % nf == f1 || t % nf == f2;
			double keep = in_fields ? (double)pa->per_expert / in_fields : 0;
			for (int t = 0; t < nt; t++) {
				if ((t % nf != f1 && t % nf != f2) || rng_unit(&r) >= keep)
					continue;
				if (pass == 0)
					count[t]++;
				else
					p->who[p->start[t] + fill[t]++] = e;
			}
		}
		if (pass == 0) {
			for (int t = 0; t < nt; t++)
				p->start[t + 1] = p->start[t] + count[t];
			if (!(p->who = malloc((p->start[nt] + 1) * sizeof *p->who)))
				goto fail;
		}
	}
	/* exactly `returning` experts come back: a partial Fisher-Yates shuffle */
	int *order = malloc((size_t)ne * sizeof *order);
	if (!order)
		goto fail;
	for (int e = 0; e < ne; e++)
		order[e] = e;
	struct rng r = rng_for(pa->seed, 2, 0);
	for (int i = 0; i < pa->returning && i < ne; i++) {
		int j = i + (int)(rng_next(&r) % (uint64_t)(ne - i));
		int x = order[i];
		order[i] = order[j];
		order[j] = x;
		p->returns[order[i]] = true;
	}
	free(order);
	free(count);
	free(fill);
	return 0;
fail:
	free(count);
	free(fill);
	panel_free(p);
	return -1;
}

/* ---- answers ---- */

/* One expert's answers to one topic: per question a special (ANSWER_*) and a number, or absent. */
struct sheet {
	bool present[N_QUESTIONS];
	enum answer_special special[N_QUESTIONS];
	int64_t num[N_QUESTIONS];
};

/* The character of a topic: its answer distributions. */
struct topic_model {
	double importance[4]; /* P(4), P(3), P(2), P(1) */
	double competitiveness[4];
	double tech_centre, tech_spread, social_lag, social_spread;
	double p_already, p_never, p_dont_know;
	double option_p[N_OPTIONS];
};

static void topic_model(const struct params *pa, int t, struct topic_model *m)
{
	struct rng r = rng_for(pa->seed, 3, (uint64_t)t);
	double p4 = 0.25 + 0.3 * rng_unit(&r), p3 = 0.3 + 0.15 * rng_unit(&r);
	double rest = 1 - p4 - p3;
	m->importance[0] = p4;
	m->importance[1] = p3;
	m->importance[2] = 0.75 * rest;
	m->importance[3] = 0.25 * rest;
	double c = 1.5 + 2 * rng_unit(&r); /* the panel's view of competitiveness, 1.5 .. 3.5 */
	double w[4], sum = 0;
	for (int k = 0; k < 4; k++) {
		double d = (4 - k) - c;
		sum += (w[k] = 1.0 / (1.0 + d * d));
	}
	for (int k = 0; k < 4; k++)
		m->competitiveness[k] = w[k] / sum;
	m->tech_centre = 2028 + 14 * rng_unit(&r);
	m->tech_spread = 2 + 4 * rng_unit(&r);
	m->social_lag = 3 + 7 * rng_unit(&r);
	m->social_spread = 2 + 4 * rng_unit(&r);
	m->p_already = m->tech_centre < 2031 ? 0.08 : 0.02;
	m->p_never = 0.02 + 0.04 * rng_unit(&r);
	m->p_dont_know = 0.03 + 0.05 * rng_unit(&r);
	for (int o = 0; o < N_OPTIONS; o++)
		m->option_p[o] = 0.1 + 0.6 * rng_unit(&r);
}

static int clamp_year(double y)
{
	int v = (int)(y + 0.5);
	return v < YEAR_MIN ? YEAR_MIN : v > YEAR_MAX ? YEAR_MAX : v;
}

/* A year answer: special or a year near centre. */
static void year_answer(struct rng *r, const struct topic_model *m, double centre, double spread,
			enum answer_special *sp, int64_t *num)
{
	double u = rng_unit(r);
	*num = 0;
	if (u < m->p_already)
		*sp = ANSWER_ALREADY;
	else if (u < m->p_already + m->p_never)
		*sp = ANSWER_NEVER;
	else if (u < m->p_already + m->p_never + m->p_dont_know)
		*sp = ANSWER_DONT_KNOW;
	else {
		*sp = ANSWER_VALUE;
		*num = clamp_year(centre + spread * rng_normal(r));
	}
}

static void round1_sheet(const struct params *pa, const struct topic_model *m, int t, int e,
			 struct sheet *s)
{
	static const double expertise[3] = { 0.25, 0.45, 0.30 };
	struct rng r = rng_for(pa->seed, 4 + (uint64_t)t, (uint64_t)e);
	memset(s, 0, sizeof *s);
	for (int q = 0; q < N_QUESTIONS; q++)
		s->present[q] = true;
	s->num[Q_EXPERTISE] = 3 - rng_pick(&r, expertise, 3);
	for (int q = Q_IMPORTANCE; q <= Q_COMPETITIVENESS; q++) {
		if (rng_unit(&r) < 0.04) {
			s->special[q] = ANSWER_DONT_KNOW;
		} else {
			const double *p = q == Q_IMPORTANCE ? m->importance : m->competitiveness;
			s->num[q] = 4 - rng_pick(&r, p, 4);
		}
	}
	year_answer(&r, m, m->tech_centre, m->tech_spread, &s->special[Q_TECH], &s->num[Q_TECH]);
	year_answer(&r, m, m->tech_centre + m->social_lag, m->social_spread, &s->special[Q_SOCIAL],
		    &s->num[Q_SOCIAL]);
	if (s->special[Q_TECH] == ANSWER_VALUE && s->special[Q_SOCIAL] == ANSWER_VALUE &&
	    s->num[Q_SOCIAL] < s->num[Q_TECH])
		s->num[Q_SOCIAL] = s->num[Q_TECH];
	uint64_t mask = 0;
	for (int o = 0; o < N_OPTIONS; o++)
		if (rng_unit(&r) < m->option_p[o])
			mask |= 1ull << o;
	s->num[Q_MEASURES] = (int64_t)mask;
	s->present[Q_COMMENT] = rng_unit(&r) < 0.05;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Round-2 answers: the round-1 sheet, part of it moved towards the round-1 median (medians[q],
 * -1 when undefined) and the majority's measures. */
static void round2_sheet(const struct params *pa, int t, int e, const struct sheet *r1,
			 const int64_t *medians, const double *option_share, struct sheet *s)
{
	struct rng r = rng_for(pa->seed, 100000 + (uint64_t)t, (uint64_t)e);
	*s = *r1;
	for (int q = Q_IMPORTANCE; q <= Q_SOCIAL; q++) {
		if (medians[q] < 0)
			continue;
		double u = rng_unit(&r);
		if (s->special[q] != ANSWER_VALUE) {
			if (u < 0.4) { /* a "don't know" or special gives way to the median */
				s->special[q] = ANSWER_VALUE;
				s->num[q] = medians[q];
			}
		} else if (u < 0.35) {
			s->num[q] = q >= Q_TECH ? (s->num[q] + medians[q] + 1) / 2 : medians[q];
		} else if (u < 0.40 && q >= Q_TECH) {
			s->num[q] = clamp_year((double)s->num[q] + 2 * rng_normal(&r));
		}
	}
	if (s->special[Q_TECH] == ANSWER_VALUE && s->special[Q_SOCIAL] == ANSWER_VALUE &&
	    s->num[Q_SOCIAL] < s->num[Q_TECH])
		s->num[Q_SOCIAL] = s->num[Q_TECH];
	if (rng_unit(&r) < 0.25) {
		int o = (int)(rng_next(&r) % N_OPTIONS);
		uint64_t bit = 1ull << o;
		if (option_share[o] > 0.5)
			s->num[Q_MEASURES] |= (int64_t)bit;
		else
			s->num[Q_MEASURES] &= ~(int64_t)bit;
	}
	s->present[Q_COMMENT] = rng_unit(&r) < 0.03;
}

/* The round-1 medians of a topic (rounded down to an integer; -1 when nobody gave a value) and
 * the share of respondents choosing each option. */
static void round1_summary(const struct sheet *sh, size_t n, int64_t *scratch, int64_t *medians,
			   double *option_share)
{
	for (int q = 0; q < N_QUESTIONS; q++) {
		size_t k = 0;
		medians[q] = -1;
		if (q < Q_IMPORTANCE || q > Q_SOCIAL)
			continue;
		for (size_t i = 0; i < n; i++)
			if (sh[i].special[q] == ANSWER_VALUE)
				scratch[k++] = sh[i].num[q];
		if (!k)
			continue;
		qsort(scratch, k, sizeof *scratch, cmp_i64);
		medians[q] = (scratch[(k - 1) / 2] + scratch[k / 2]) / 2;
	}
	for (int o = 0; o < N_OPTIONS; o++) {
		size_t c = 0;
		for (size_t i = 0; i < n; i++)
			c += (uint64_t)sh[i].num[Q_MEASURES] >> o & 1u;
		option_share[o] = n ? (double)c / (double)n : 0;
	}
}

static const char *const comments[] = {
	"Depends on breakthroughs in materials.",
	"Regulation will decide the timing more than the technology.",
	"Public acceptance is the main obstacle.",
	"Already demonstrated at small scale; scaling up is the problem.",
};

/* Stores the sheets of one topic in key order: question by question, experts ascending. */
static int store_topic(struct db *db, const struct db_survey *sv, int64_t round_id,
		       const struct panel *p, int t, const struct sheet *sh, const int *experts,
		       size_t n, int64_t *rows)
{
	for (int q = 0; q < N_QUESTIONS; q++) {
		for (size_t i = 0; i < n; i++) {
			const struct sheet *s = &sh[i];
			if (!s->present[q])
				continue;
			struct answer a = { s->special[q], s->num[q], NULL };
			if (q == Q_COMMENT)
				a.text = (char *)comments[(size_t)(t + experts[i]) % 4];
			if (db_answer_put(db, sv, round_id, p->ids[experts[i]], (size_t)t, (size_t)q,
					  &a)) {
				fprintf(stderr, "gen_survey: %s\n", db_error(db));
				return -1;
			}
			(*rows)++;
		}
	}
	return 0;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int usage(void)
{
	fputs("usage: gen_survey OUT.db [--topics N] [--fields N] [--experts N] [--returning N] "
	      "[--per-expert N] [--seed N]\n       gen_survey --version\n", stderr);
	return 2;
}

static int generate(const struct params *pa)
{
	struct db *db = NULL;
	struct db_survey *sv = NULL;
	struct survey *s = NULL;
	struct survey_error serr;
	struct panel p = { 0 };
	struct buf def = BUF_INIT, tmp = BUF_INIT;
	struct sheet *r1 = NULL, *r2 = NULL;
	int *who2 = NULL;
	int64_t *scratch = NULL, rows1 = 0, rows2 = 0;
	char err[DB_ERR_MAX];
	int rc = 1;
	double t0 = seconds();

	buf_init(&def);
	buf_init(&tmp);
	definition(pa, &def);
	if (survey_load_string(def.data, def.len, "bench", &s, &serr)) {
		char msg[1024];
		survey_error_format(&serr, msg, sizeof msg);
		fprintf(stderr, "gen_survey: %s\n", msg);
		goto out;
	}
	buf_printf(&tmp, "%s.tmp", pa->out);
	remove(tmp.data);
	if (db_open(tmp.data, DB_READWRITE | DB_CREATE, &db, err)) {
		fprintf(stderr, "gen_survey: %s\n", err);
		goto out;
	}
	/* generator only: no durability needed, the file is renamed into place when complete */
	if (sqlite3_exec(db->conn, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; "
				   "PRAGMA cache_size = -262144", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "gen_survey: pragmas: %s\n", sqlite3_errmsg(db->conn));
		goto out;
	}
	if (crypto_init() || panel_build(pa, &p)) {
		fprintf(stderr, "gen_survey: cannot initialise (randomness, memory)\n");
		goto out;
	}

	if (db_begin(db) || db_survey_store(db, def.data, def.len, s) < 0 ||
	    db_survey_get(db, "bench-nistep", &sv) != DB_FOUND)
		goto db_fail;
	for (int e = 0; e < pa->experts; e++) {
		char ext[32], name[48], token[DB_TOKEN_HEX + 1];
		size_t fields[2];
		bool created;
		struct rng r = rng_for(pa->seed, 1, (uint64_t)e);
		int f1 = e % pa->fields, f2 = rng_unit(&r) < 0.2 ? (f1 + 1) % pa->fields : f1;
		static const double sector_p[4] = { 0.45, 0.35, 0.12, 0.08 };
		struct rng rs = rng_for(pa->seed, 5, (uint64_t)e);
		fields[0] = (size_t)f1;
		fields[1] = (size_t)f2;
		snprintf(ext, sizeof ext, "X%05d", e + 1);
		snprintf(name, sizeof name, "Expert %d", e + 1);
		struct db_expert_in in = { ext, name, "", (enum db_sector)rng_pick(&rs, sector_p, 4),
					   fields, f1 == f2 ? 1 : 2 };
		struct db_expert_ref ref;
		if (db_expert_upsert(db, sv, &in, token, &created) ||
		    db_expert_by_ext_id(db, sv->id, ext, &ref) != DB_FOUND)
			goto db_fail;
		p.ids[e] = ref.id;
	}

	struct db_round round;
	int64_t invited;
	if (db_round_open(db, sv, &round, &invited) != DB_ROUND_DONE)
		goto db_fail;
	size_t most = 0;
	for (int t = 0; t < pa->topics; t++)
		if (p.start[t + 1] - p.start[t] > most)
			most = p.start[t + 1] - p.start[t];
	r1 = calloc(most + 1, sizeof *r1);
	r2 = calloc(most + 1, sizeof *r2);
	who2 = calloc(most + 1, sizeof *who2);
	scratch = calloc(most + 1, sizeof *scratch);
	if (!r1 || !r2 || !who2 || !scratch)
		goto db_fail;

	for (int pass = 1; pass <= 2; pass++) {
		for (int t = 0; t < pa->topics; t++) {
			struct topic_model m;
			const int *who = p.who + p.start[t];
			size_t n = p.start[t + 1] - p.start[t], n2 = 0;
			int64_t medians[N_QUESTIONS];
			double share[N_OPTIONS];
			topic_model(pa, t, &m);
			for (size_t i = 0; i < n; i++)
				round1_sheet(pa, &m, t, who[i], &r1[i]);
			if (pass == 1) {
				if (store_topic(db, sv, round.id, &p, t, r1, who, n, &rows1))
					goto out;
				continue;
			}
			round1_summary(r1, n, scratch, medians, share);
			for (size_t i = 0; i < n; i++) {
				struct rng r = rng_for(pa->seed, 6 + (uint64_t)t, (uint64_t)who[i]);
				/* a returning expert skips a few of their round-1 topics */
				if (!p.returns[who[i]] || rng_unit(&r) < 0.05)
					continue;
				round2_sheet(pa, t, who[i], &r1[i], medians, share, &r2[n2]);
				who2[n2++] = who[i];
			}
			if (store_topic(db, sv, round.id, &p, t, r2, who2, n2, &rows2))
				goto out;
		}
		if (db_round_close(db, sv, &round) != DB_ROUND_DONE)
			goto db_fail;
		printf("gen_survey: round %d: %lld answers (%.1f s)\n", pass,
		       (long long)(pass == 1 ? rows1 : rows2), seconds() - t0);
		fflush(stdout);
		if (pass == 1 && db_round_open(db, sv, &round, &invited) != DB_ROUND_DONE)
			goto db_fail;
	}
	if (db_commit(db))
		goto db_fail;
	db_close(db);
	db = NULL;
	if (rename(tmp.data, pa->out)) {
		perror("gen_survey: rename");
		goto out;
	}
	printf("gen_survey: %s: %d topics in %d fields, %d experts (%d return), %lld + %lld "
	       "answers in %.1f s\n", pa->out, pa->topics, pa->fields, pa->experts, pa->returning,
	       (long long)rows1, (long long)rows2, seconds() - t0);
	rc = 0;
	goto out;
db_fail:
	fprintf(stderr, "gen_survey: %s\n", db ? db_error(db) : "failed");
out:
	if (db)
		db_rollback(db);
	db_close(db);
	db_survey_free(sv);
	survey_free(s);
	panel_free(&p);
	free(r1);
	free(r2);
	free(who2);
	free(scratch);
	buf_release(&def);
	buf_release(&tmp);
	crypto_release();
	return rc;
}

int main(int argc, char **argv)
{
	struct params pa = { NULL, 1000, 8, 5000, 2500, 100, 1 };
	int seed = 1;
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%d\n", GEN_VERSION);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int *dst = !strcmp(a, "--topics")	? &pa.topics
			   : !strcmp(a, "--fields")	? &pa.fields
			   : !strcmp(a, "--experts")	? &pa.experts
			   : !strcmp(a, "--returning")	? &pa.returning
			   : !strcmp(a, "--per-expert") ? &pa.per_expert
			   : !strcmp(a, "--seed")	? &seed
							: NULL;
		if (dst) {
			if (i + 1 == argc || parse_int(argv[++i], 0, 1000000, dst))
				return usage();
		} else if (a[0] != '-' && !pa.out) {
			pa.out = a;
		} else {
			return usage();
		}
	}
	if (!pa.out || pa.topics < 1 || pa.topics > SURVEY_MAX_TOPICS || pa.fields < 1 ||
	    pa.fields > pa.topics || pa.experts < 1 || pa.returning > pa.experts)
		return usage();
	pa.seed = (uint64_t)seed;
	return generate(&pa);
}
