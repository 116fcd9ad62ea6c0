/*
 * test_api_cache — the event threads' cache of token and round look-ups (server/api_cache.h):
 * a hit only for the same key, the same writer generation and within API_CACHE_TTL_MS; a newer
 * entry replaces an older one in its slot; nothing is found in a new cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_cache.h"

static void hash_of(unsigned char h[32], unsigned char seed)
{
	for (size_t i = 0; i < 32; i++)
		h[i] = (unsigned char)(seed * 31 + i);
}

static struct db_expert_ref expert(int64_t id)
{
	struct db_expert_ref e = {.id = id, .survey_id = 7, .revoked = false};
	strcpy(e.pseudonym, "P-0000002a");
	return e;
}

static void test_token_hit_needs_key_generation_and_age(void **state)
{
	(void)state;
	struct api_cache *c = api_cache_new(16);
	assert_non_null(c);
	unsigned char h[32], other[32];
	hash_of(h, 1);
	memcpy(other, h, sizeof other);
	other[31] ^= 1; /* same slot (the first bytes pick it), another token */
	struct db_expert_ref e = expert(42), got;

	assert_false(api_cache_token_get(c, h, 5, 1000, &got)); /* empty */
	api_cache_token_put(c, h, 5, 1000, &e);
	memset(&got, 0, sizeof got);
	assert_true(api_cache_token_get(c, h, 5, 1000, &got));
	assert_int_equal(got.id, 42);
	assert_int_equal(got.survey_id, 7);
	assert_string_equal(got.pseudonym, "P-0000002a");
	assert_true(api_cache_token_get(c, h, 5, 1000 + API_CACHE_TTL_MS - 1, &got));
	assert_false(api_cache_token_get(c, h, 5, 1000 + API_CACHE_TTL_MS, &got)); /* too old */
	assert_false(api_cache_token_get(c, h, 6, 1001, &got));  /* the writer moved on */
	assert_false(api_cache_token_get(c, h, 5, 999, &got));   /* a clock that went back */
	assert_false(api_cache_token_get(c, other, 5, 1001, &got)); /* another token */
	api_cache_free(c);
}

static void test_token_newer_entry_replaces_its_slot(void **state)
{
	(void)state;
	struct api_cache *c = api_cache_new(1); /* one slot: every token collides */
	assert_non_null(c);
	unsigned char h1[32], h2[32];
	hash_of(h1, 1);
	hash_of(h2, 2);
	struct db_expert_ref e1 = expert(1), e2 = expert(2), got;
	api_cache_token_put(c, h1, 0, 0, &e1);
	api_cache_token_put(c, h2, 0, 0, &e2);
	assert_false(api_cache_token_get(c, h1, 0, 0, &got));
	assert_true(api_cache_token_get(c, h2, 0, 0, &got));
	assert_int_equal(got.id, 2);
	api_cache_free(c);
}

static void test_round_keyed_by_survey_and_expert(void **state)
{
	(void)state;
	struct api_cache *c = api_cache_new(64);
	assert_non_null(c);
	struct db_round r = {.id = 11, .number = 2, .state = DB_ROUND_OPEN}, got;
	strcpy(r.opened_at, "2026-11-23T10:00:00Z");
	bool in = false;
	api_cache_round_put(c, 3, 100, 9, 5000, &r, true);
	assert_true(api_cache_round_get(c, 3, 100, 9, 5000, &got, &in));
	assert_true(in);
	assert_int_equal(got.id, 11);
	assert_int_equal(got.number, 2);
	assert_int_equal(got.state, DB_ROUND_OPEN);
	assert_string_equal(got.opened_at, "2026-11-23T10:00:00Z");
	assert_false(api_cache_round_get(c, 3, 101, 9, 5000, &got, &in)); /* another expert */
	assert_false(api_cache_round_get(c, 4, 100, 9, 5000, &got, &in)); /* another survey */
	assert_false(api_cache_round_get(c, 3, 100, 10, 5000, &got, &in)); /* generation */
	assert_false(api_cache_round_get(c, 3, 100, 9, 5000 + API_CACHE_TTL_MS, &got, &in));
	/* not invited is remembered as such */
	api_cache_round_put(c, 3, 101, 9, 5000, &r, false);
	in = true;
	assert_true(api_cache_round_get(c, 3, 101, 9, 5000, &got, &in));
	assert_false(in);
	api_cache_free(c);
}

static void test_now_is_monotonic(void **state)
{
	(void)state;
	uint64_t a = api_cache_now_ms(), b = api_cache_now_ms();
	assert_true(b >= a);
	api_cache_free(NULL); /* a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_hit_needs_key_generation_and_age),
		cmocka_unit_test(test_token_newer_entry_replaces_its_slot),
		cmocka_unit_test(test_round_keyed_by_survey_and_expert),
		cmocka_unit_test(test_now_is_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
