/* metrics — sharded counters and histograms, Prometheus text output. See metrics.h. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "route.h"

typedef _Atomic uint64_t counter_t;

/* Status codes with their own label; anything else is "other". */
static const int statuses[] = {
	200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406,
	408, 409, 410, 411, 412, 413, 414, 415, 416, 422, 425, 428, 429, 431, 500, 501, 502,
	503, 504,
};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1)

/* Request latency buckets, microseconds (rendered in seconds). */
static const uint64_t lat_bounds[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
	5000000, 10000000,
};
#define NLAT (sizeof lat_bounds / sizeof lat_bounds[0] + 1)

/* Writer: rows per commit, and commit latency (microseconds). */
static const uint64_t batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
#define NBATCH (sizeof batch_bounds / sizeof batch_bounds[0] + 1)
static const uint64_t commit_bounds[] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
};
#define NCOMMIT (sizeof commit_bounds / sizeof commit_bounds[0] + 1)

struct route_counters {
	counter_t requests[ROUTE_METHOD_COUNT][NSTATUS];
	counter_t lat[NLAT];
	counter_t lat_sum_usec;
	counter_t bytes;
};

struct shard {
	struct route_counters *routes; /* nroutes, cache-line aligned */
};

struct metrics {
	size_t nshards, nroutes;
	char **labels;
	struct shard *shards;
	counter_t batch[NBATCH];
	counter_t batch_rows_sum;
	counter_t commit[NCOMMIT];
	counter_t commit_usec_sum;
};

static void add(counter_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static uint64_t get(counter_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t bucket(const uint64_t *bounds, size_t n, uint64_t v)
{
	size_t i = 0;
	while (i < n && v > bounds[i])
		i++;
	return i; /* n = +Inf */
}

struct metrics *metrics_new(size_t nshards, size_t nroutes, const char *const *route_labels)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->nshards = nshards;
	m->nroutes = nroutes;
	m->labels = calloc(nroutes ? nroutes : 1, sizeof *m->labels);
	m->shards = calloc(nshards ? nshards : 1, sizeof *m->shards);
	if (!m->labels || !m->shards)
		goto fail;
	for (size_t i = 0; i < nroutes; i++)
		if (!(m->labels[i] = strdup(route_labels[i])))
			goto fail;
	for (size_t s = 0; s < nshards; s++) {
		size_t size = nroutes * sizeof(struct route_counters);
		size = (size + 63) / 64 * 64;
		if (!size)
			size = 64;
		m->shards[s].routes = aligned_alloc(64, size);
		if (!m->shards[s].routes)
			goto fail;
		memset(m->shards[s].routes, 0, size);
	}
	return m;
fail:
	metrics_free(m);
	return NULL;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->shards)
		for (size_t s = 0; s < m->nshards; s++)
			free(m->shards[s].routes);
	if (m->labels)
		for (size_t i = 0; i < m->nroutes; i++)
			free(m->labels[i]);
	free(m->shards);
	free(m->labels);
	free(m);
}

static size_t status_index(int status)
{
	for (size_t i = 0; i + 1 < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void metrics_observe_request(struct metrics *m, size_t shard, size_t route, unsigned method_index,
			     int status, uint64_t usec, uint64_t bytes)
{
	if (!m || shard >= m->nshards || route >= m->nroutes)
		return;
	if (method_index >= ROUTE_METHOD_COUNT)
		method_index = ROUTE_METHOD_COUNT - 1;
	struct route_counters *rc = &m->shards[shard].routes[route];
	add(&rc->requests[method_index][status_index(status)], 1);
	add(&rc->lat[bucket(lat_bounds, NLAT - 1, usec)], 1);
	add(&rc->lat_sum_usec, usec);
	add(&rc->bytes, bytes);
}

void metrics_observe_commit(struct metrics *m, size_t rows, uint64_t usec)
{
	if (!m)
		return;
	add(&m->batch[bucket(batch_bounds, NBATCH - 1, rows)], 1);
	add(&m->batch_rows_sum, rows);
	add(&m->commit[bucket(commit_bounds, NCOMMIT - 1, usec)], 1);
	add(&m->commit_usec_sum, usec);
}

/* Appends a label value with \, " and newline escaped. */
static void add_label(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(out, '\\'), buf_addch(out, *v);
		else if (*v == '\n')
			buf_adds(out, "\\n");
		else
			buf_addch(out, *v);
	}
}

static void add_seconds(struct buf *out, uint64_t usec)
{
	buf_add_double(out, (double)usec / 1e6);
}

/* One histogram series: counts[nb + 1] non-cumulative (the last is +Inf). labels is "" or the
 * series' labels already rendered with a trailing comma ("route=\"/x\","). */
static void render_histogram(struct buf *out, const char *name, const char *labels,
			     const uint64_t *bounds, size_t nb, const uint64_t *counts, uint64_t sum,
			     int seconds)
{
	uint64_t cum = 0;
	size_t ll = strlen(labels);
	for (size_t i = 0; i <= nb; i++) {
		cum += counts[i];
		buf_printf(out, "%s_bucket{%sle=\"", name, labels);
		if (i == nb)
			buf_adds(out, "+Inf");
		else if (seconds)
			add_seconds(out, bounds[i]);
		else
			buf_printf(out, "%llu", (unsigned long long)bounds[i]);
		buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
	}
	/* The same labels without the trailing comma, in braces, or nothing. */
	if (ll)
		buf_printf(out, "%s_sum{%.*s} ", name, (int)(ll - 1), labels);
	else
		buf_printf(out, "%s_sum ", name);
	if (seconds)
		add_seconds(out, sum);
	else
		buf_printf(out, "%llu", (unsigned long long)sum);
	if (ll)
		buf_printf(out, "\n%s_count{%.*s} %llu\n", name, (int)(ll - 1), labels,
			   (unsigned long long)cum);
	else
		buf_printf(out, "\n%s_count %llu\n", name, (unsigned long long)cum);
}

void metrics_render(struct metrics *m, struct buf *out)
{
	buf_adds(out, "# HELP delphi_http_requests_total HTTP requests answered by delphi, by method, "
		      "route and status.\n# TYPE delphi_http_requests_total counter\n");
	for (size_t r = 0; r < m->nroutes; r++) {
		for (unsigned mi = 0; mi < ROUTE_METHOD_COUNT; mi++) {
			for (size_t si = 0; si < NSTATUS; si++) {
				uint64_t n = 0;
				for (size_t s = 0; s < m->nshards; s++)
					n += get(&m->shards[s].routes[r].requests[mi][si]);
				if (!n)
					continue;
				buf_printf(out, "delphi_http_requests_total{method=\"%s\",route=\"",
					   route_method_name(1u << mi));
				add_label(out, m->labels[r]);
				if (si + 1 < NSTATUS)
					buf_printf(out, "\",status=\"%d\"} ", statuses[si]);
				else
					buf_adds(out, "\",status=\"other\"} ");
				buf_printf(out, "%llu\n", (unsigned long long)n);
			}
		}
	}

	buf_adds(out, "# HELP delphi_http_request_duration_seconds Time from dispatch to reply, by "
		      "route.\n# TYPE delphi_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r < m->nroutes; r++) {
		uint64_t counts[NLAT] = {0}, sum = 0, total = 0;
		for (size_t s = 0; s < m->nshards; s++) {
			struct route_counters *rc = &m->shards[s].routes[r];
			for (size_t i = 0; i < NLAT; i++)
				counts[i] += get(&rc->lat[i]);
			sum += get(&rc->lat_sum_usec);
		}
		for (size_t i = 0; i < NLAT; i++)
			total += counts[i];
		if (!total)
			continue;
		struct buf labels;
		buf_init(&labels);
		buf_adds(&labels, "route=\"");
		add_label(&labels, m->labels[r]);
		buf_adds(&labels, "\",");
		render_histogram(out, "delphi_http_request_duration_seconds", labels.data,
				 lat_bounds, NLAT - 1, counts, sum, 1);
		buf_release(&labels);
	}

	buf_adds(out, "# HELP delphi_http_response_body_bytes_total Response body bytes, by route.\n"
		      "# TYPE delphi_http_response_body_bytes_total counter\n");
	for (size_t r = 0; r < m->nroutes; r++) {
		uint64_t n = 0;
		for (size_t s = 0; s < m->nshards; s++)
			n += get(&m->shards[s].routes[r].bytes);
		if (!n)
			continue;
		buf_adds(out, "delphi_http_response_body_bytes_total{route=\"");
		add_label(out, m->labels[r]);
		buf_printf(out, "\"} %llu\n", (unsigned long long)n);
	}

	uint64_t counts[NBATCH > NCOMMIT ? NBATCH : NCOMMIT];
	for (size_t i = 0; i < NBATCH; i++)
		counts[i] = get(&m->batch[i]);
	buf_adds(out, "# HELP delphi_writer_batch_size Jobs committed per database transaction.\n"
		      "# TYPE delphi_writer_batch_size histogram\n");
	render_histogram(out, "delphi_writer_batch_size", "", batch_bounds, NBATCH - 1,
			 counts, get(&m->batch_rows_sum), 0);
	for (size_t i = 0; i < NCOMMIT; i++)
		counts[i] = get(&m->commit[i]);
	buf_adds(out, "# HELP delphi_writer_commit_duration_seconds Time of one group commit "
		      "(BEGIN to COMMIT).\n# TYPE delphi_writer_commit_duration_seconds histogram\n");
	render_histogram(out, "delphi_writer_commit_duration_seconds", "", commit_bounds,
			 NCOMMIT - 1, counts, get(&m->commit_usec_sum), 1);
}

void metrics_render_gauge(struct buf *out, const char *name, const char *help, double value)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s ", name, help, name, name);
	buf_add_double(out, value);
	buf_addch(out, '\n');
}

void metrics_render_counter(struct buf *out, const char *name, const char *help, uint64_t value)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
		   (unsigned long long)value);
}
