/* cfg — the table-driven settings of `delphi serve`. See cfg.h. */
#include "cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "strconv.h"

enum cfg_type {
	CFG_STRING, /* any non-empty text */
	CFG_PATH,   /* a file or directory name: non-empty, no NUL (always true), no newline */
	CFG_LONG,   /* integer in [min, max] */
	CFG_ENUM,   /* one of choices; stored as its index */
	CFG_LISTEN, /* cfg_parse_listen */
	CFG_URL,    /* cfg_is_public_url */
};

struct cfg_def {
	const char *name; /* the flag without "--" */
	const char *env;
	enum cfg_type type;
	const char *def; /* default as text; NULL = unset (optional or derived) */
	long min, max;
	const char *const *choices; /* CFG_ENUM, NULL-terminated */
	size_t offset;              /* of a char * (strings) or a long (numbers, enums) */
	const char *metavar;
	const char *help;
};

static const char *const durability_words[] = {"normal", "full", NULL};

#define OFF(f) offsetof(struct cfg, f)

static const struct cfg_def defs[] = {
	{"listen", "DELPHI_LISTEN", CFG_LISTEN, "127.0.0.1:8443", 0, 0, NULL, OFF(listen),
	 "ADDR:PORT", "address to listen on ([::1]:PORT for IPv6; port 0 picks a free port)"},
	{"db", "DELPHI_DB", CFG_PATH, "delphi.db", 0, 0, NULL, OFF(db), "FILE",
	 "the database file"},
	{"cert", "DELPHI_CERT", CFG_PATH, NULL, 0, 0, NULL, OFF(cert), "FILE",
	 "PEM certificate (default: delphi.crt next to the database; made at first start)"},
	{"key", "DELPHI_KEY", CFG_PATH, NULL, 0, 0, NULL, OFF(key), "FILE",
	 "PEM private key (default: delphi.key next to the database; made at first start)"},
	{"threads", "DELPHI_THREADS", CFG_LONG, NULL, 1, 256, NULL, OFF(threads), "N",
	 "event-loop threads (default: the number of CPUs)"},
	{"durability", "DELPHI_DURABILITY", CFG_ENUM, "normal", 0, 0, durability_words,
	 OFF(durability), "normal|full",
	 "normal survives a crash of the process; full also a power loss (an fsync per commit)"},
	{"public-url", "DELPHI_PUBLIC_URL", CFG_URL, NULL, 0, 0, NULL, OFF(public_url), "URL",
	 "the https:// URL users reach the server at (links, invitations)"},
	{"web-dir", "DELPHI_WEB_DIR", CFG_PATH, NULL, 0, 0, NULL, OFF(web_dir), "DIR",
	 "serve the web pages from DIR instead of the built-in copy (development)"},
	{"max-connections", "DELPHI_MAX_CONNECTIONS", CFG_LONG, "1024", 1, 1000000, NULL,
	 OFF(max_connections), "N", "open connections above N are closed at once"},
	{"max-body", "DELPHI_MAX_BODY", CFG_LONG, "65536", 1024, 64L << 20, NULL, OFF(max_body),
	 "BYTES", "largest request body accepted (else 413)"},
	{"max-headers", "DELPHI_MAX_HEADERS", CFG_LONG, "16384", 1024, 1L << 20, NULL,
	 OFF(max_headers), "BYTES", "largest request line plus headers accepted"},
	{"timeout", "DELPHI_TIMEOUT", CFG_LONG, "30", 1, 3600, NULL, OFF(timeout), "SECONDS",
	 "close a connection idle (or stalled reading or writing) this long"},
	{"shutdown-timeout", "DELPHI_SHUTDOWN_TIMEOUT", CFG_LONG, "10", 0, 3600, NULL,
	 OFF(shutdown_timeout), "SECONDS", "time in-flight requests get to finish on SIGTERM"},
};

#define NDEFS (sizeof defs / sizeof defs[0])

static char **str_slot(struct cfg *c, const struct cfg_def *d)
{
	return (char **)(void *)((char *)c + d->offset);
}

static long *long_slot(struct cfg *c, const struct cfg_def *d)
{
	return (long *)(void *)((char *)c + d->offset);
}

static int is_string_type(enum cfg_type t)
{
	return t == CFG_STRING || t == CFG_PATH || t == CFG_LISTEN || t == CFG_URL;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fputs("delphi: out of memory\n", stderr);
		abort();
	}
	return p;
}

void cfg_init(struct cfg *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NDEFS; i++) {
		const struct cfg_def *d = &defs[i];
		if (is_string_type(d->type)) {
			*str_slot(c, d) = d->def ? xstrdup(d->def) : NULL;
		} else if (d->type == CFG_ENUM) {
			long v = 0;
			for (long k = 0; d->choices[k]; k++)
				if (d->def && !strcmp(d->choices[k], d->def))
					v = k;
			*long_slot(c, d) = v;
		} else {
			long v = 0;
			if (d->def && strconv_long(d->def, d->min, d->max, &v))
				abort(); /* a default outside its own bounds is a bug in the table */
			*long_slot(c, d) = v;
		}
	}
}

void cfg_release(struct cfg *c)
{
	for (size_t i = 0; i < NDEFS; i++) {
		if (is_string_type(defs[i].type)) {
			char **s = str_slot(c, &defs[i]);
			free(*s);
			*s = NULL;
		}
	}
}

static const struct cfg_def *find_def(const char *name, size_t len)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (strlen(defs[i].name) == len && !memcmp(defs[i].name, name, len))
			return &defs[i];
	return NULL;
}

int cfg_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port)
{
	const char *h, *colon;
	size_t hl;
	long p;

	if (!s)
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
		if (memchr(h, '[', hl))
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		h = s;
		hl = (size_t)(colon - s);
		if (memchr(h, ':', hl) || memchr(h, '[', hl) || memchr(h, ']', hl))
			return -1; /* a bare IPv6 address needs brackets */
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == 0x7f)
			return -1;
	if (strconv_long(colon + 1, 0, 65535, &p))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return 0;
}

int cfg_is_public_url(const char *s)
{
	static const char scheme[] = "https://";
	if (!s || strncmp(s, scheme, sizeof scheme - 1) != 0)
		return 0;
	const char *a = s + sizeof scheme - 1;
	size_t alen = strcspn(a, "/");
	if (alen == 0)
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= ' ' || ch == 0x7f || ch == '?' || ch == '#' || ch == '\\' || ch == '"' ||
		    ch == '<' || ch == '>')
			return 0;
	}
	if (memchr(a, '@', alen))
		return 0;
	if (a[0] == ':')
		return 0;
	return 1;
}

static int set_def(struct cfg *c, const struct cfg_def *d, const char *value, const char *source,
		   char *err, size_t errlen)
{
	char flag[64];
	if (!source) {
		snprintf(flag, sizeof flag, "--%s", d->name);
		source = flag;
	}
	int empty = !value || !*value;
	switch (d->type) {
	case CFG_STRING:
	case CFG_PATH:
	case CFG_LISTEN:
	case CFG_URL:
		if (empty) {
			if (d->def) {
				snprintf(err, errlen, "%s: a value is required", source);
				return -1;
			}
			free(*str_slot(c, d));
			*str_slot(c, d) = NULL;
			return 0;
		}
		if (d->type == CFG_PATH && strchr(value, '\n')) {
			snprintf(err, errlen, "%s: a file name with a newline is not accepted", source);
			return -1;
		}
		if (d->type == CFG_LISTEN) {
			char host[256];
			unsigned port;
			if (cfg_parse_listen(value, host, sizeof host, &port)) {
				snprintf(err, errlen,
					 "%s: '%s' is not HOST:PORT (IPv6: [ADDR]:PORT; port 0..65535)",
					 source, value);
				return -1;
			}
		}
		if (d->type == CFG_URL && !cfg_is_public_url(value)) {
			snprintf(err, errlen,
				 "%s: '%s' is not an https:// URL without query or fragment", source,
				 value);
			return -1;
		}
		free(*str_slot(c, d));
		*str_slot(c, d) = xstrdup(value);
		return 0;
	case CFG_LONG: {
		long v;
		if (empty || strconv_long(value, d->min, d->max, &v)) {
			snprintf(err, errlen, "%s: '%s' is not an integer in %ld..%ld", source,
				 value ? value : "", d->min, d->max);
			return -1;
		}
		*long_slot(c, d) = v;
		return 0;
	}
	case CFG_ENUM:
		for (long k = 0; d->choices && d->choices[k]; k++) {
			if (!empty && !strcmp(d->choices[k], value)) {
				*long_slot(c, d) = k;
				return 0;
			}
		}
		snprintf(err, errlen, "%s: '%s' is not one of %s", source, value ? value : "",
			 d->metavar);
		return -1;
	}
	return -1;
}

int cfg_set(struct cfg *c, const char *name, const char *value, const char *source, char *err,
	    size_t errlen)
{
	const struct cfg_def *d = find_def(name, strlen(name));
	if (!d) {
		snprintf(err, errlen, "unknown setting '%s'", name);
		return -1;
	}
	return set_def(c, d, value, source, err, errlen);
}

int cfg_load_env(struct cfg *c, const char *(*get)(const char *name, void *arg), void *arg,
		 char *err, size_t errlen)
{
	for (size_t i = 0; i < NDEFS; i++) {
		const char *v = get(defs[i].env, arg);
		if (!v || !*v)
			continue;
		if (set_def(c, &defs[i], v, defs[i].env, err, errlen))
			return -1;
	}
	return 0;
}

int cfg_parse_args(struct cfg *c, int argc, char **argv, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			snprintf(err, errlen, "unexpected argument '%s' (see 'delphi help serve')", a);
			return -1;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const struct cfg_def *d = find_def(name, nlen);
		if (!d) {
			snprintf(err, errlen, "unknown option '--%.*s' (see 'delphi help serve')",
				 (int)nlen, name);
			return -1;
		}
		const char *value;
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "--%s needs a value (%s)", d->name, d->metavar);
			return -1;
		}
		char source[64];
		snprintf(source, sizeof source, "--%s", d->name);
		if (!*value && is_string_type(d->type) && !d->def) {
			/* "--web-dir ''" on the command line is more likely a mistake than a reset */
			snprintf(err, errlen, "%s: an empty value is not accepted", source);
			return -1;
		}
		if (set_def(c, d, value, source, err, errlen))
			return -1;
	}
	return 0;
}

/* "dir/name" for the directory part of path ("." when it has none). */
static char *sibling(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	struct buf b;
	buf_init(&b);
	if (!slash)
		buf_printf(&b, "%s", name);
	else if (slash == path)
		buf_printf(&b, "/%s", name);
	else
		buf_printf(&b, "%.*s/%s", (int)(slash - path), path, name);
	return buf_detach(&b, NULL);
}

int cfg_finish(struct cfg *c, char *err, size_t errlen)
{
	if (!c->db || !*c->db) {
		snprintf(err, errlen, "no database file given (--db FILE)");
		return -1;
	}
	if (!c->cert)
		c->cert = sibling(c->db, "delphi.crt");
	if (!c->key)
		c->key = sibling(c->db, "delphi.key");
	if (!strcmp(c->cert, c->key)) {
		snprintf(err, errlen, "--cert and --key name the same file '%s'", c->cert);
		return -1;
	}
	if (c->threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->threads = n < 1 ? 1 : n > 256 ? 256 : n;
	}
	return 0;
}

void cfg_usage(struct buf *out)
{
	for (size_t i = 0; i < NDEFS; i++) {
		const struct cfg_def *d = &defs[i];
		char left[64];
		snprintf(left, sizeof left, "--%s %s", d->name, d->metavar);
		buf_printf(out, "  %-32s %s\n", left, d->help);
		buf_printf(out, "  %-32s env %s", "", d->env);
		if (d->def)
			buf_printf(out, ", default %s", d->def);
		if (d->type == CFG_LONG)
			buf_printf(out, ", %ld..%ld", d->min, d->max);
		buf_addch(out, '\n');
	}
}
