/* static — embedded or on-disk web files with ETags and safe paths. See static.h. */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "embedded.h"
#include "log.h"
#include "req.h"
#include "route.h"

#define MAX_NAME 1024
#define MAX_FILE (64L << 20)
#define CACHE_CONTROL "no-cache"
#define ALLOW "GET, HEAD, OPTIONS"

struct static_file {
	const char *name;
	const unsigned char *data;
	size_t len;
	char etag[35];
};

struct static_site {
	int dirfd; /* directory mode: >= 0 */
	struct static_file *files;
	size_t nfiles;
};

static const char not_found_page[] =
	"<!doctype html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>Page not found - delphi</title>\n"
	"<link rel=\"stylesheet\" href=\"/app.css\">\n"
	"</head>\n"
	"<body>\n"
	"<main>\n"
	"<h1>Page not found</h1>\n"
	"<p>There is no page at this address. If you followed a link you were sent, check that it is "
	"complete, or ask the survey's coordinator for a new one.</p>\n"
	"</main>\n"
	"</body>\n"
	"</html>\n";

/* ---- Pure helpers ---- */

void static_etag(const void *data, size_t len, char out[35])
{
	unsigned char sum[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	crypto_sha256(data, len, sum);
	crypto_hex(sum, 16, hex);
	out[0] = '"';
	memcpy(out + 1, hex, 32);
	out[33] = '"';
	out[34] = '\0';
}

int static_etag_matches(const char *inm, const char *etag)
{
	if (!inm || !etag)
		return 0;
	size_t elen = strlen(etag);
	const char *p = inm;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return 0; /* malformed list: treat as no match */
		const char *end = strchr(p + 1, '"');
		if (!end)
			return 0;
		size_t len = (size_t)(end - p) + 1;
		if (len == elen && !memcmp(p, etag, len))
			return 1;
		p = end + 1;
	}
}

static const struct {
	const char *ext, *type;
} types[] = {
	{"html", "text/html; charset=utf-8"},
	{"htm", "text/html; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"json", "application/json; charset=utf-8"},
	{"map", "application/json; charset=utf-8"},
	{"webmanifest", "application/manifest+json; charset=utf-8"},
	{"txt", "text/plain; charset=utf-8"},
	{"csv", "text/csv; charset=utf-8"},
	{"svg", "image/svg+xml; charset=utf-8"},
	{"xml", "application/xml; charset=utf-8"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"ico", "image/vnd.microsoft.icon"},
	{"woff2", "font/woff2"},
	{"woff", "font/woff"},
	{"wasm", "application/wasm"},
	{"pdf", "application/pdf"},
};

const char *static_content_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

int static_path_to_name(const char *raw, char *out, size_t size)
{
	size_t o = 0;
	if (!raw || raw[0] != '/' || size < 2)
		return -1;
	const char *p = raw + 1;
	for (;;) {
		size_t l = strcspn(p, "/");
		int last = p[l] == '\0';
		if (l == 0) {
			if (!last)
				return -1; /* "//" */
			/* trailing '/' (or the root): the directory's index */
			static const char idx[] = "index.html";
			if (o + sizeof idx > size)
				return -1;
			memcpy(out + o, idx, sizeof idx);
			return 0;
		}
		char seg[256];
		long n = route_pct_decode(p, l, seg, sizeof seg);
		if (n <= 0)
			return -1;
		if (seg[0] == '.')
			return -1; /* ".", "..", hidden files */
		for (long i = 0; i < n; i++) {
			unsigned char c = (unsigned char)seg[i];
			if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
				return -1;
		}
		if (o + (size_t)n + 2 > size || o + (size_t)n + 2 > MAX_NAME)
			return -1;
		memcpy(out + o, seg, (size_t)n);
		o += (size_t)n;
		if (last) {
			out[o] = '\0';
			return 0;
		}
		out[o++] = '/';
		p += l + 1;
	}
}

/* ---- Sites ---- */

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->name, ((const struct static_file *)b)->name);
}

int static_site_embedded(struct static_site **out, char *err, size_t errlen)
{
	struct static_site *s = calloc(1, sizeof *s);
	if (!s)
		goto oom;
	s->dirfd = -1;
	s->nfiles = embedded_web_count;
	s->files = calloc(s->nfiles ? s->nfiles : 1, sizeof *s->files);
	if (!s->files)
		goto oom;
	for (size_t i = 0; i < s->nfiles; i++) {
		struct static_file *f = &s->files[i];
		f->name = embedded_web[i].path;
		f->data = embedded_web[i].data;
		f->len = embedded_web[i].len;
		static_etag(f->data, f->len, f->etag);
	}
	qsort(s->files, s->nfiles, sizeof *s->files, cmp_file);
	*out = s;
	return 0;
oom:
	static_site_free(s);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int static_site_dir(const char *dir, struct static_site **out, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open web directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	struct static_site *s = calloc(1, sizeof *s);
	if (!s) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->dirfd = fd;
	*out = s;
	return 0;
}

void static_site_free(struct static_site *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->files);
	free(s);
}

static const struct static_file *find_embedded(const struct static_site *s, const char *name)
{
	struct static_file key = {.name = name};
	if (!s->files)
		return NULL;
	return bsearch(&key, s->files, s->nfiles, sizeof *s->files, cmp_file);
}

/* Opens name below dirfd without following any symlink. Returns an fd of a regular file, or -1. */
static int open_below(int dirfd, const char *name)
{
	char part[MAX_NAME + 1];
	int cur = dirfd, fd = -1;
	const char *p = name;

	for (;;) {
		size_t l = strcspn(p, "/");
		if (l == 0 || l > MAX_NAME)
			goto out;
		memcpy(part, p, l);
		part[l] = '\0';
		if (p[l] == '\0') {
			fd = openat(cur, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			goto out;
		}
		int next = openat(cur, part, O_RDONLY | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (cur != dirfd)
			close(cur);
		cur = next;
		if (cur < 0)
			goto out;
		p += l + 1;
	}
out:
	if (cur >= 0 && cur != dirfd)
		close(cur);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

/* Reads the whole regular file fd (closes it). Returns 0 and a malloc'ed *data, or -1. */
static int read_all(int fd, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t n = 0, cap;
	int rc = -1;

	if (fstat(fd, &st))
		goto out;
	cap = (size_t)st.st_size + 1;
	if (!(buf = malloc(cap)))
		goto out;
	for (;;) {
		if (n == cap) {
			if (cap > (size_t)MAX_FILE)
				goto out;
			unsigned char *nb = realloc(buf, cap * 2);
			if (!nb)
				goto out;
			buf = nb;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*data = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Looks name up. Returns 1 with the content (*owned = 1: malloc'ed, caller frees) and its ETag, 0
 * when there is no such file, -1 on a read error. */
static int lookup(const struct static_site *s, const char *name, const unsigned char **data,
		  size_t *len, char etag[35], int *owned)
{
	*owned = 0;
	if (!s)
		return 0;
	if (s->dirfd < 0) {
		const struct static_file *f = find_embedded(s, name);
		if (!f)
			return 0;
		*data = f->data;
		*len = f->len;
		memcpy(etag, f->etag, 35);
		return 1;
	}
	int fd = open_below(s->dirfd, name);
	if (fd < 0)
		return 0;
	unsigned char *buf;
	if (read_all(fd, &buf, len)) {
		log_warn("web directory: cannot read a file");
		return -1;
	}
	*data = buf;
	*owned = 1;
	static_etag(buf, *len, etag);
	return 1;
}

static void serve(struct static_site *s, struct req *r, const char *name, int status,
		  int not_found_if_missing)
{
	const unsigned char *data;
	size_t len;
	char etag[35];
	int owned;
	int found = lookup(s, name, &data, &len, etag, &owned);

	if (found < 0) {
		req_reply_error(r, 500, "internal", NULL, "cannot read the page");
		return;
	}
	if (!found) {
		if (not_found_if_missing)
			static_reply_not_found(s, r);
		else
			req_reply_error(r, 500, "internal", NULL, "page missing");
		return;
	}
	req_add_header(r, "Cache-Control", CACHE_CONTROL);
	req_add_header(r, "ETag", etag);
	if (status == 200 && static_etag_matches(req_header(r, "If-None-Match"), etag)) {
		if (owned)
			free((void *)data);
		req_reply_empty(r, 304);
		return;
	}
	req_reply_bytes(r, status, static_content_type(name), data, len, owned ? free : NULL);
}

void static_reply_not_found(struct static_site *s, struct req *r)
{
	const unsigned char *data;
	size_t len;
	char etag[35];
	int owned;
	if (lookup(s, "404.html", &data, &len, etag, &owned) == 1) {
		req_reply_bytes(r, 404, "text/html; charset=utf-8", data, len, owned ? free : NULL);
		return;
	}
	req_reply_bytes(r, 404, "text/html; charset=utf-8", not_found_page,
			sizeof not_found_page - 1, NULL);
}

void static_reply_file(struct static_site *s, struct req *r, const char *name, int status)
{
	serve(s, r, name, status, 1);
}

void static_handle(struct static_site *s, struct req *r)
{
	char name[MAX_NAME + 1];
	unsigned m = req_method(r);

	if (static_path_to_name(req_path(r), name, sizeof name)) {
		static_reply_not_found(s, r);
		return;
	}
	if (m == ROUTE_GET || m == ROUTE_HEAD) {
		serve(s, r, name, 200, 1);
		return;
	}
	if (m == ROUTE_OPTIONS) {
		req_add_header(r, "Allow", ALLOW);
		req_reply_empty(r, 204);
		return;
	}
	const unsigned char *data;
	size_t len;
	char etag[35];
	int owned;
	int found = lookup(s, name, &data, &len, etag, &owned);
	if (found == 1 && owned)
		free((void *)data);
	if (found == 1) {
		req_add_header(r, "Allow", ALLOW);
		req_reply_error(r, 405, "method_not_allowed", NULL,
				"%s is not allowed here; use GET or HEAD", route_method_name(m));
		return;
	}
	static_reply_not_found(s, r);
}
