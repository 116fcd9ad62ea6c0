/* crypto — DRBG, SHA-256, PBKDF2 and constant-time compare over mbedTLS. See crypto.h. */
#include "crypto.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strconv.h"

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialised;

int crypto_init(void)
{
	static const char personal[] = "delphi";
	int rc = 0;
	pthread_mutex_lock(&init_lock);
	if (initialised)
		goto out;
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
				  (const unsigned char *)personal, sizeof personal - 1)) {
		mbedtls_ctr_drbg_free(&drbg);
		mbedtls_entropy_free(&entropy);
		rc = -1;
		goto out;
	}
	initialised = 1;
out:
	pthread_mutex_unlock(&init_lock);
	return rc;
}

void crypto_release(void)
{
	pthread_mutex_lock(&init_lock);
	if (initialised) {
		mbedtls_ctr_drbg_free(&drbg);
		mbedtls_entropy_free(&entropy);
		initialised = 0;
	}
	pthread_mutex_unlock(&init_lock);
}

int crypto_random(void *buf, size_t len)
{
	if (!initialised && crypto_init())
		return -1;
	unsigned char *p = buf;
	while (len) {
		size_t n = len > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : len;
		if (mbedtls_ctr_drbg_random(&drbg, p, n))
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_sha256(data, len, out, 0);
#else
	mbedtls_sha256_ret(data, len, out, 0);
#endif
}

void crypto_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int crypto_token_hex(size_t nbytes, char *out)
{
	unsigned char raw[64];
	if (nbytes > sizeof raw || crypto_random(raw, nbytes))
		return -1;
	crypto_hex(raw, nbytes, out);
	return 0;
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

int crypto_pbkdf2_sha256(const char *password, size_t password_len, const unsigned char *salt,
			 size_t salt_len, unsigned iterations, unsigned char *out, size_t out_len)
{
#if MBEDTLS_VERSION_MAJOR >= 3
	return mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)password,
					     password_len, salt, salt_len, iterations,
					     (uint32_t)out_len, out) ? -1 : 0;
#else
	mbedtls_md_context_t md;
	int rc = -1;
	mbedtls_md_init(&md);
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1))
		goto out;
	if (mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)password, password_len, salt,
				      salt_len, iterations, (uint32_t)out_len, out))
		goto out;
	rc = 0;
out:
	mbedtls_md_free(&md);
	return rc;
#endif
}

char *crypto_password_hash(const char *password, unsigned iterations)
{
	unsigned char salt[16], hash[32];
	char salt_hex[33], hash_hex[65];
	char *out = NULL;
	if (crypto_random(salt, sizeof salt))
		return NULL;
	if (crypto_pbkdf2_sha256(password, strlen(password), salt, sizeof salt, iterations, hash,
				 sizeof hash))
		return NULL;
	crypto_hex(salt, sizeof salt, salt_hex);
	crypto_hex(hash, sizeof hash, hash_hex);
	if (asprintf(&out, "pbkdf2-sha256$%u$%s$%s", iterations, salt_hex, hash_hex) < 0)
		return NULL;
	return out;
}

static int unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

int crypto_password_verify(const char *password, const char *stored)
{
	static const char prefix[] = "pbkdf2-sha256$";
	unsigned char salt[16], want[32], got[32];
	char iter_text[16];
	long iterations;
	if (strncmp(stored, prefix, sizeof prefix - 1))
		return -1;
	const char *p = stored + sizeof prefix - 1;
	const char *d = strchr(p, '$');
	if (!d || (size_t)(d - p) >= sizeof iter_text)
		return -1;
	memcpy(iter_text, p, (size_t)(d - p));
	iter_text[d - p] = '\0';
	if (strconv_long(iter_text, 1, 100000000, &iterations))
		return -1;
	p = d + 1;
	if (strlen(p) != 32 + 1 + 64 || p[32] != '$')
		return -1;
	if (unhex(p, 16, salt) || unhex(p + 33, 32, want))
		return -1;
	if (crypto_pbkdf2_sha256(password, strlen(password), salt, sizeof salt,
				 (unsigned)iterations, got, sizeof got))
		return -1;
	return crypto_equal(got, want, sizeof got);
}
