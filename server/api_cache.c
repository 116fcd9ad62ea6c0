/*
 * api_cache — direct-mapped per-thread caches of token -> expert and (survey, expert) -> current
 * round, invalidated by the writer's generation and a time limit. See api_cache.h.
 */
#include "api_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct token_entry {
	bool used;
	unsigned char hash[32];
	uint64_t gen, stamp_ms;
	struct db_expert_ref expert;
};

struct round_entry {
	bool used;
	int64_t survey_id, expert_id;
	uint64_t gen, stamp_ms;
	struct db_round round;
	bool invited;
};

struct api_cache {
	size_t mask; /* slots - 1 */
	struct token_entry *tokens;
	struct round_entry *rounds;
};

struct api_cache *api_cache_new(size_t slots)
{
	assert(slots && !(slots & (slots - 1)));
	struct api_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->mask = slots - 1;
	c->tokens = calloc(slots, sizeof *c->tokens);
	c->rounds = calloc(slots, sizeof *c->rounds);
	if (!c->tokens || !c->rounds) {
		api_cache_free(c);
		return NULL;
	}
	return c;
}

void api_cache_free(struct api_cache *c)
{
	if (!c)
		return;
	explicit_bzero(c->tokens, (c->mask + 1) * sizeof *c->tokens);
	free(c->tokens);
	free(c->rounds);
	free(c);
}

static bool fresh(uint64_t entry_gen, uint64_t entry_ms, uint64_t gen, uint64_t now_ms)
{
	return entry_gen == gen && now_ms >= entry_ms && now_ms - entry_ms < API_CACHE_TTL_MS;
}

/* A SHA-256 hash is uniform: its first bytes pick the slot. */
static size_t token_slot(const struct api_cache *c, const unsigned char hash[32])
{
	uint64_t v;
	memcpy(&v, hash, sizeof v);
	return (size_t)(v & c->mask);
}

static size_t round_slot(const struct api_cache *c, int64_t survey_id, int64_t expert_id)
{
	uint64_t v = ((uint64_t)expert_id * 0x9E3779B97F4A7C15u) ^ (uint64_t)survey_id;
	return (size_t)((v ^ (v >> 29)) & c->mask);
}

bool api_cache_token_get(struct api_cache *c, const unsigned char hash[32], uint64_t gen,
			 uint64_t now_ms, struct db_expert_ref *out)
{
	const struct token_entry *e = &c->tokens[token_slot(c, hash)];
	if (!e->used || memcmp(e->hash, hash, sizeof e->hash) ||
	    !fresh(e->gen, e->stamp_ms, gen, now_ms))
		return false;
	*out = e->expert;
	return true;
}

void api_cache_token_put(struct api_cache *c, const unsigned char hash[32], uint64_t gen,
			 uint64_t now_ms, const struct db_expert_ref *expert)
{
	struct token_entry *e = &c->tokens[token_slot(c, hash)];
	e->used = true;
	memcpy(e->hash, hash, sizeof e->hash);
	e->gen = gen;
	e->stamp_ms = now_ms;
	e->expert = *expert;
}

bool api_cache_round_get(struct api_cache *c, int64_t survey_id, int64_t expert_id, uint64_t gen,
			 uint64_t now_ms, struct db_round *out, bool *invited)
{
	const struct round_entry *e = &c->rounds[round_slot(c, survey_id, expert_id)];
	if (!e->used || e->survey_id != survey_id || e->expert_id != expert_id ||
	    !fresh(e->gen, e->stamp_ms, gen, now_ms))
		return false;
	*out = e->round;
	*invited = e->invited;
	return true;
}

void api_cache_round_put(struct api_cache *c, int64_t survey_id, int64_t expert_id, uint64_t gen,
			 uint64_t now_ms, const struct db_round *r, bool invited)
{
	struct round_entry *e = &c->rounds[round_slot(c, survey_id, expert_id)];
	e->used = true;
	e->survey_id = survey_id;
	e->expert_id = expert_id;
	e->gen = gen;
	e->stamp_ms = now_ms;
	e->round = *r;
	e->invited = invited;
}

void api_cache_round_forget(struct api_cache *c, int64_t survey_id, int64_t expert_id)
{
	struct round_entry *e = &c->rounds[round_slot(c, survey_id, expert_id)];
	if (e->used && e->survey_id == survey_id && e->expert_id == expert_id)
		e->used = false;
}

uint64_t api_cache_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
