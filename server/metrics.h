/*
 * metrics — counters and histograms for GET /metrics, rendered in the Prometheus text format
 * (version 0.0.4).
 *
 * HTTP requests are counted by route, method and status, with a latency histogram and a byte
 * counter per route. Each event thread writes only its own shard (relaxed atomics, no locks, no
 * false sharing); rendering sums the shards, so a scrape may miss a request that is being counted
 * at that moment, never more. The writer's group-commit figures (rows per commit, commit latency)
 * go to their own histograms through metrics_observe_commit, which any single thread may call.
 *
 * Lifetime: metrics_new at start-up with the final route labels; metrics_free after every thread
 * that observes has stopped.
 */
#ifndef DELPHI_METRICS_H
#define DELPHI_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct metrics;

/* nshards: event threads; nroutes: route labels (copied), typically the route patterns followed by
 * "static" and "unmatched". Returns NULL on allocation failure. */
struct metrics *metrics_new(size_t nshards, size_t nroutes, const char *const *route_labels);
/* NULL is a no-op. */
void metrics_free(struct metrics *m);

/* Counts one answered request on shard (the calling event thread's index): route < nroutes,
 * method_index from route_method_index, status 100..599 (others are counted as "other"), usec from
 * dispatch to reply, body bytes sent. */
void metrics_observe_request(struct metrics *m, size_t shard, size_t route, unsigned method_index,
			     int status, uint64_t usec, uint64_t bytes);

/* Counts one database commit of rows jobs that took usec (the writer thread). */
void metrics_observe_commit(struct metrics *m, size_t rows, uint64_t usec);

/* Appends every metric (HELP and TYPE lines included). */
void metrics_render(struct metrics *m, struct buf *out);

/* Appends one gauge (HELP, TYPE and the sample) named name; for values that live elsewhere
 * (open connections, requests in flight). */
void metrics_render_gauge(struct buf *out, const char *name, const char *help, double value);
/* Appends one counter sample line set (HELP, TYPE, sample) without labels. */
void metrics_render_counter(struct buf *out, const char *name, const char *help, uint64_t value);

#endif
