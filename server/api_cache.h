/*
 * api_cache — an event thread's memory of the two look-ups every answer save makes before it
 * reaches the writer: whose invitation token this is (Authorization: Bearer), and the survey's
 * current round with whether the expert is invited to it. Without it each save reads the store
 * twice on its loop thread (two read transactions, each with its locking system calls): about a
 * fifth of the loop's work per save (bench/load.sh).
 *
 * Freshness. An entry is used only while both hold:
 *   - the writer's generation (writer_generation) is still the one the caller read BEFORE the
 *     look-up that filled the entry: every committed batch holding a job that may change experts,
 *     tokens, invitations, rounds or sessions moves it on (answer saves and session touches are
 *     marked cache_neutral and do not), so a change made through this server (a coordinator
 *     revoking a link, closing a round) is seen by the very next request;
 *   - it is younger than API_CACHE_TTL_MS: a change made by another process on the same file
 *     (the delphi CLI) is seen within that time.
 * Callers never refuse on a cached round (api_expert.c reads the store again first), and the
 * writer checks round, invitation and revocation inside its transaction for every save, so a
 * stale entry can neither refuse a good save nor let a bad one through; a token revoked by the
 * CLI can still read its own answers (GET /api/v1/me) for at most API_CACHE_TTL_MS.
 * Only successful look-ups are kept: unknown tokens are never cached (they cannot fill the
 * cache or be confirmed by timing).
 *
 * The cache is direct-mapped (a newer entry replaces an older one in its slot) with a fixed
 * number of slots per kind chosen at creation: no allocation after api_cache_new. It holds token
 * HASHES (as the store does), never tokens.
 *
 * Threads: one cache per event thread, used by that thread only; no locking. Pure apart from
 * the memory it owns: the caller passes the generation and the time, so tests drive both.
 */
#ifndef DELPHI_API_CACHE_H
#define DELPHI_API_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define API_CACHE_TTL_MS 1000
#define API_CACHE_SLOTS 2048 /* per kind, per event thread: about 400 KiB in all */

struct api_cache;

/* A cache with slots entries of each kind (a power of two >= 1), or NULL when out of memory.
 * Free it with api_cache_free (NULL is a no-op). */
struct api_cache *api_cache_new(size_t slots);
void api_cache_free(struct api_cache *c);

/* The expert whose token hashes to hash, if cached under generation gen and not older than
 * API_CACHE_TTL_MS at now_ms (a monotonic clock): true with *out filled, else false. */
bool api_cache_token_get(struct api_cache *c, const unsigned char hash[32], uint64_t gen,
			 uint64_t now_ms, struct db_expert_ref *out);
/* Remembers that hash belongs to *e, as read from the store after generation gen was read. */
void api_cache_token_put(struct api_cache *c, const unsigned char hash[32], uint64_t gen,
			 uint64_t now_ms, const struct db_expert_ref *e);

/* The current round of survey survey_id and whether expert expert_id is invited to it, if
 * cached under gen and fresh at now_ms: true with *out and *invited, else false. */
bool api_cache_round_get(struct api_cache *c, int64_t survey_id, int64_t expert_id, uint64_t gen,
			 uint64_t now_ms, struct db_round *out, bool *invited);
/* Remembers the current round *r of survey survey_id and expert_id's invitation to it. */
void api_cache_round_put(struct api_cache *c, int64_t survey_id, int64_t expert_id, uint64_t gen,
			 uint64_t now_ms, const struct db_round *r, bool invited);

/* Drops the round entry of (survey_id, expert_id), if any: the writer found it stale. */
void api_cache_round_forget(struct api_cache *c, int64_t survey_id, int64_t expert_id);

/* Milliseconds of CLOCK_MONOTONIC_COARSE (cheap: no system call). */
uint64_t api_cache_now_ms(void);

#endif
