/* test_cfg — serve settings: defaults, environment, flags, precedence, checks, derived values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *fake_get(const char *name, void *arg)
{
	const char *const *kv = arg;
	for (; kv[0]; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

static void test_defaults(void **state)
{
	struct cfg c;
	(void)state;
	cfg_init(&c);
	assert_string_equal(c.listen, "127.0.0.1:8443");
	assert_string_equal(c.db, "delphi.db");
	assert_null(c.cert);
	assert_null(c.key);
	assert_null(c.public_url);
	assert_null(c.web_dir);
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.durability, CFG_DURABILITY_NORMAL);
	assert_int_equal(c.max_connections, 1024);
	assert_int_equal(c.max_body, 65536);
	assert_int_equal(c.max_headers, 16384);
	assert_int_equal(c.timeout, 30);
	assert_int_equal(c.shutdown_timeout, 10);
	cfg_release(&c);
}

static void test_env_then_flags(void **state)
{
	struct cfg c;
	char err[256];
	(void)state;
	const char *env[] = {
		"DELPHI_LISTEN", "0.0.0.0:9000", "DELPHI_THREADS", "4", "DELPHI_DURABILITY", "full",
		"DELPHI_WEB_DIR", "", /* empty: unset */
		"DELPHI_MAX_BODY", "2048", NULL,
	};
	char *argv[] = {"--threads", "2", "--max-body=4096", "--web-dir", "/srv/web", NULL};
	cfg_init(&c);
	assert_int_equal(cfg_load_env(&c, fake_get, (void *)env, err, sizeof err), 0);
	assert_string_equal(c.listen, "0.0.0.0:9000");
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.durability, CFG_DURABILITY_FULL);
	assert_null(c.web_dir);
	assert_int_equal(c.max_body, 2048);
	assert_int_equal(cfg_parse_args(&c, 5, argv, err, sizeof err), 0);
	assert_int_equal(c.threads, 2);      /* flag beats environment */
	assert_int_equal(c.max_body, 4096);  /* --name=value form */
	assert_string_equal(c.web_dir, "/srv/web");
	assert_string_equal(c.listen, "0.0.0.0:9000"); /* untouched by flags */
	cfg_release(&c);
}

static void test_bad_values(void **state)
{
	struct cfg c;
	char err[256];
	(void)state;
	static const struct {
		const char *name, *value, *msg;
	} cases[] = {
		{"threads", "0", "--threads: '0' is not an integer in 1..256"},
		{"threads", "257", "--threads: '257' is not an integer in 1..256"},
		{"threads", "2x", "--threads: '2x' is not an integer in 1..256"},
		{"max-body", "1023", "--max-body: '1023' is not an integer in 1024..67108864"},
		{"timeout", "", "--timeout: '' is not an integer in 1..3600"},
		{"durability", "fast", "--durability: 'fast' is not one of normal|full"},
		{"listen", "8443", "--listen: '8443' is not HOST:PORT"},
		{"listen", "::1:8443", "--listen: '::1:8443' is not HOST:PORT"},
		{"listen", "127.0.0.1:65536", "--listen: '127.0.0.1:65536' is not HOST:PORT"},
		{"public-url", "http://example.org/", "--public-url: 'http://example.org/' is not an"},
		{"public-url", "https://example.org/?a=1", "is not an https:// URL"},
		{"db", "", "--db: a value is required"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cfg_init(&c);
		err[0] = '\0';
		assert_int_equal(cfg_set(&c, cases[i].name, cases[i].value, NULL, err, sizeof err),
				 -1);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)) && !strstr(err, cases[i].msg))
			fail_msg("case %zu: got '%s', expected '%s'", i, err, cases[i].msg);
		cfg_release(&c);
	}
	/* The environment names itself in the message. */
	const char *env[] = {"DELPHI_MAX_CONNECTIONS", "lots", NULL};
	cfg_init(&c);
	assert_int_equal(cfg_load_env(&c, fake_get, (void *)env, err, sizeof err), -1);
	assert_string_equal(err, "DELPHI_MAX_CONNECTIONS: 'lots' is not an integer in 1..1000000");
	cfg_release(&c);
}

static void test_args_errors(void **state)
{
	struct cfg c;
	char err[256];
	(void)state;
	char *unknown[] = {"--port", "1"};
	char *missing[] = {"--listen"};
	char *positional[] = {"extra"};
	char *empty[] = {"--web-dir", ""};
	char *help[] = {"--help", "--nonsense"};
	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 2, unknown, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown option '--port'"));
	assert_int_equal(cfg_parse_args(&c, 1, missing, err, sizeof err), -1);
	assert_non_null(strstr(err, "--listen needs a value"));
	assert_int_equal(cfg_parse_args(&c, 1, positional, err, sizeof err), -1);
	assert_non_null(strstr(err, "unexpected argument 'extra'"));
	assert_int_equal(cfg_parse_args(&c, 2, empty, err, sizeof err), -1);
	assert_int_equal(cfg_parse_args(&c, 2, help, err, sizeof err), 1);
	assert_int_equal(cfg_parse_args(&c, 0, NULL, err, sizeof err), 0);
	cfg_release(&c);
}

static void test_finish(void **state)
{
	struct cfg c;
	char err[256];
	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "db", "/var/lib/delphi/x.db", NULL, err, sizeof err), 0);
	assert_int_equal(cfg_finish(&c, err, sizeof err), 0);
	assert_string_equal(c.cert, "/var/lib/delphi/delphi.crt");
	assert_string_equal(c.key, "/var/lib/delphi/delphi.key");
	assert_true(c.threads >= 1 && c.threads <= 256);
	cfg_release(&c);

	cfg_init(&c); /* db "delphi.db" in the working directory */
	assert_int_equal(cfg_finish(&c, err, sizeof err), 0);
	assert_string_equal(c.cert, "delphi.crt");
	cfg_release(&c);

	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "db", "/x.db", NULL, err, sizeof err), 0);
	assert_int_equal(cfg_set(&c, "key", "/etc/k.pem", NULL, err, sizeof err), 0);
	assert_int_equal(cfg_set(&c, "threads", "3", NULL, err, sizeof err), 0);
	assert_int_equal(cfg_finish(&c, err, sizeof err), 0);
	assert_string_equal(c.cert, "/delphi.crt");
	assert_string_equal(c.key, "/etc/k.pem"); /* given: kept */
	assert_int_equal(c.threads, 3);
	cfg_release(&c);

	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "cert", "same.pem", NULL, err, sizeof err), 0);
	assert_int_equal(cfg_set(&c, "key", "same.pem", NULL, err, sizeof err), 0);
	assert_int_equal(cfg_finish(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "same file"));
	cfg_release(&c);
}

static void test_parse_listen(void **state)
{
	char host[64];
	unsigned port = 99;
	(void)state;
	assert_int_equal(cfg_parse_listen("127.0.0.1:0", host, sizeof host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(cfg_parse_listen("[::1]:443", host, sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	assert_int_equal(cfg_parse_listen("localhost:65535", host, sizeof host, &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 65535);
	static const char *const bad[] = {
		":80", "host:", "host:-1", "host:+1", "host: 1", "a b:1", "[::1]443", "[::1]:",
		"[]:1", "::1:1", "host", "", "host:80x", "a/b:1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cfg_parse_listen(bad[i], host, sizeof host, &port) != -1)
			fail_msg("'%s' accepted", bad[i]);
	char tiny[4];
	assert_int_equal(cfg_parse_listen("abcd:1", tiny, sizeof tiny, &port), -1);
}

static void test_public_url(void **state)
{
	(void)state;
	assert_true(cfg_is_public_url("https://example.org"));
	assert_true(cfg_is_public_url("https://example.org:8443/delphi/"));
	assert_true(cfg_is_public_url("https://[2001:db8::1]/"));
	assert_false(cfg_is_public_url("http://example.org/"));
	assert_false(cfg_is_public_url("https://"));
	assert_false(cfg_is_public_url("https:///x"));
	assert_false(cfg_is_public_url("https://a b/"));
	assert_false(cfg_is_public_url("https://example.org/#x"));
	assert_false(cfg_is_public_url("https://user@example.org/"));
	assert_false(cfg_is_public_url("https://example.org/\n"));
	assert_false(cfg_is_public_url(NULL));
}

static void test_usage(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b);
	cfg_usage(&b);
	assert_non_null(strstr(b.data, "--max-body BYTES"));
	assert_non_null(strstr(b.data, "env DELPHI_MAX_BODY, default 65536, 1024..67108864"));
	assert_non_null(strstr(b.data, "--durability normal|full"));
	assert_non_null(strstr(b.data, "DELPHI_PUBLIC_URL"));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_env_then_flags),
		cmocka_unit_test(test_bad_values),   cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_finish),       cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_public_url),   cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
