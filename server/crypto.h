/*
 * crypto — randomness, hashing and password hashing through mbedTLS. Together with tls.c the only
 * files that include <mbedtls/...>; this one hides the 2.28 / 3.x API differences for everything
 * that is not the TLS protocol itself.
 *
 * crypto_init seeds one process-wide CTR-DRBG from the system entropy source; after that,
 * crypto_random is safe to call from any thread (mbedTLS is built with THREADING_C). The other
 * functions are pure and thread-safe. Return 0 on success, -1 on failure.
 */
#ifndef DELPHI_CRYPTO_H
#define DELPHI_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN 32
/* Rounds of new password hashes (and of the dummy check for unknown names). Only the request
 * fuzzer's build lowers it (fuzz/run.sh: -DCRYPTO_PBKDF2_ITERATIONS=1000), for speed; a stored
 * hash keeps its own count, so verification never depends on it. */
#ifndef CRYPTO_PBKDF2_ITERATIONS
#define CRYPTO_PBKDF2_ITERATIONS 310000
#endif

int crypto_init(void);     /* idempotent; called by main before anything else */
void crypto_release(void); /* at exit */

/* Fills buf with len bytes from the DRBG. */
int crypto_random(void *buf, size_t len);
void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void crypto_hex(const unsigned char *in, size_t len, char *out);
/* A new random token: nbytes random bytes as lower-case hex (2 * nbytes chars + NUL) in out. */
int crypto_token_hex(size_t nbytes, char *out);
/* Constant-time comparison of two buffers of length n: 1 if equal, 0 if not. */
int crypto_equal(const void *a, const void *b, size_t n);

/* PBKDF2-HMAC-SHA256. */
int crypto_pbkdf2_sha256(const char *password, size_t password_len, const unsigned char *salt,
			 size_t salt_len, unsigned iterations, unsigned char *out, size_t out_len);
/* Hashes a password with a random 16-byte salt into the stored form
 * "pbkdf2-sha256$ITER$SALTHEX$HASHHEX" (caller frees). Slow by design: not on an event loop. */
char *crypto_password_hash(const char *password, unsigned iterations);
/* 1 if password matches the stored form, 0 if not, -1 if stored is malformed. */
int crypto_password_verify(const char *password, const char *stored);

#endif
