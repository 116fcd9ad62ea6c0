/* test_metrics — counting and the Prometheus text output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "route.h"

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing: %s\n--- output ---\n%s", line, text);
}

static void test_requests(void **state)
{
	(void)state;
	const char *labels[] = {"/healthz", "/api/v1/answers/{topic}", "we\"ird\\"};
	struct metrics *m = metrics_new(2, 3, labels);
	struct buf b;
	assert_non_null(m);
	/* Two shards add up: 300 us and 2000 us on /healthz. */
	metrics_observe_request(m, 0, 0, route_method_index(ROUTE_GET), 200, 300, 15);
	metrics_observe_request(m, 1, 0, route_method_index(ROUTE_GET), 200, 2000, 15);
	metrics_observe_request(m, 1, 1, route_method_index(ROUTE_PUT), 422, 40, 100);
	metrics_observe_request(m, 0, 2, route_method_index(ROUTE_POST), 299, 1, 0);
	/* Out of range: ignored, not a crash. */
	metrics_observe_request(m, 2, 0, 0, 200, 1, 1);
	metrics_observe_request(m, 0, 3, 0, 200, 1, 1);
	buf_init(&b);
	metrics_render(m, &b);
	has(b.data, "# TYPE delphi_http_requests_total counter\n");
	has(b.data, "delphi_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n");
	has(b.data, "delphi_http_requests_total{method=\"PUT\",route=\"/api/v1/answers/{topic}\","
		    "status=\"422\"} 1\n");
	/* 299 is not a status of its own; the label value is escaped. */
	has(b.data, "delphi_http_requests_total{method=\"POST\",route=\"we\\\"ird\\\\\","
		    "status=\"other\"} 1\n");
	/* Cumulative buckets: 300 us <= 0.0005 s; 2000 us first fits 0.0025 s. */
	has(b.data, "delphi_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} 1\n");
	has(b.data, "delphi_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 1\n");
	has(b.data, "delphi_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0025\"} 2\n");
	has(b.data, "delphi_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2\n");
	has(b.data, "delphi_http_request_duration_seconds_sum{route=\"/healthz\"} 0.0023\n");
	has(b.data, "delphi_http_request_duration_seconds_count{route=\"/healthz\"} 2\n");
	has(b.data, "delphi_http_response_body_bytes_total{route=\"/healthz\"} 30\n");
	/* No sample for a series that never happened. */
	assert_null(strstr(b.data, "method=\"DELETE\""));
	buf_release(&b);
	metrics_free(m);
}

static void test_writer(void **state)
{
	(void)state;
	struct metrics *m = metrics_new(1, 0, NULL);
	struct buf b;
	assert_non_null(m);
	buf_init(&b);
	metrics_render(m, &b);
	/* Before any commit the histograms are there, all zero. */
	has(b.data, "# TYPE delphi_writer_batch_size histogram\n");
	has(b.data, "delphi_writer_batch_size_bucket{le=\"+Inf\"} 0\n");
	has(b.data, "delphi_writer_commit_duration_seconds_count 0\n");
	buf_reset(&b);
	metrics_observe_commit(m, 3, 700);   /* 3 rows: bucket le=5; 700 us: le=0.001 */
	metrics_observe_commit(m, 100, 30000); /* le=100; 0.03 s: le=0.05 */
	metrics_render(m, &b);
	has(b.data, "delphi_writer_batch_size_bucket{le=\"2\"} 0\n");
	has(b.data, "delphi_writer_batch_size_bucket{le=\"5\"} 1\n");
	has(b.data, "delphi_writer_batch_size_bucket{le=\"50\"} 1\n");
	has(b.data, "delphi_writer_batch_size_bucket{le=\"100\"} 2\n");
	has(b.data, "delphi_writer_batch_size_sum 103\n");
	has(b.data, "delphi_writer_batch_size_count 2\n");
	has(b.data, "delphi_writer_commit_duration_seconds_bucket{le=\"0.0005\"} 0\n");
	has(b.data, "delphi_writer_commit_duration_seconds_bucket{le=\"0.001\"} 1\n");
	has(b.data, "delphi_writer_commit_duration_seconds_bucket{le=\"0.025\"} 1\n");
	has(b.data, "delphi_writer_commit_duration_seconds_bucket{le=\"0.05\"} 2\n");
	has(b.data, "delphi_writer_commit_duration_seconds_sum 0.0307\n");
	buf_reset(&b);
	metrics_render_gauge(&b, "x_open", "Open things.", 3);
	assert_string_equal(b.data, "# HELP x_open Open things.\n# TYPE x_open gauge\nx_open 3\n");
	buf_release(&b);
	metrics_free(m);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
