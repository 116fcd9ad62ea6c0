/*
 * fuzz — what the libFuzzer targets in fuzz/ share: their entry functions and the property check.
 *
 * Each target fuzz/fuzz_NAME.c defines fuzz_NAME_one(data, size), which runs one input through
 * the pure parsers of server/core/ (fuzz_request: the server's request path) and checks
 * properties (round trips, invariants of what was parsed, the shape of replies). A property that
 * does not hold is a bug: FUZZ_CHECK reports it and aborts, which libFuzzer records as a crash.
 * The libFuzzer entry points (LLVMFuzzerTestOneInput and, where needed, LLVMFuzzerInitialize)
 * are defined unless FUZZ_NO_ENTRY is defined, so that tests/unit/test_fuzz_regressions.c
 * (fuzz_request: tests/unit/test_fuzz_request.c) can #include the targets and replay
 * fuzz/regressions/ through the same functions without libFuzzer (it defines FUZZ_CHECK as a
 * cmocka assertion).
 *
 * Built by fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined; also compiles with gcc
 * and the project's warning set. See fuzz/README.md.
 */
#ifndef DELPHI_FUZZ_H
#define DELPHI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_CHECK
/* Checks a property of the code under test; a failure is a finding. */
#define FUZZ_CHECK(cond)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__,       \
				__LINE__, #cond);                                              \
			abort();                                                               \
		}                                                                              \
	} while (0)
#endif

/* fuzz_survey.c: survey_load_string, the loaded model's invariants and look-ups. */
int fuzz_survey_one(const uint8_t *data, size_t size);

/* fuzz_csv.c: csv_next over the input; read -> write -> read and write -> read round trips. */
int fuzz_csv_one(const uint8_t *data, size_t size);

/* fuzz_answer.c: answer_parse_text / answer_from_json against every question of a fixed
 * definition, with round trips. fuzz_answer_init loads the definition (once; 0 or -1);
 * fuzz_answer_release frees it. fuzz_answer_one calls fuzz_answer_init itself when needed. */
int fuzz_answer_init(void);
void fuzz_answer_release(void);
int fuzz_answer_one(const uint8_t *data, size_t size);

/* fuzz_request.c: one HTTP request to a real server in this process (httpd, router, authorize
 * hook, handlers, writer; plaintext through fuzz/tls_plain.c) over a prepared database, with
 * properties of the reply. fuzz_request_init (once; 0 or -1; run from the repository root)
 * prepares the database in a temporary directory and starts the server; fuzz_request_release
 * stops it and removes the directory; fuzz_request_one calls fuzz_request_init itself when
 * needed. fuzz_request_check_store runs db_check (delphi check) on the server's database and
 * fails the property check on any problem (returns 0). */
int fuzz_request_init(void);
void fuzz_request_release(void);
int fuzz_request_one(const uint8_t *data, size_t size);
int fuzz_request_check_store(void);

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
#endif

#endif
