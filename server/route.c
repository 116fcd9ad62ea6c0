/* route — route table checks and the pure path matcher. See route.h. */
#include "route.h"

#include <stdio.h>
#include <string.h>

static const struct {
	unsigned bit;
	const char *name;
} method_names[ROUTE_METHOD_COUNT] = {
	{ROUTE_GET, "GET"},       {ROUTE_HEAD, "HEAD"},   {ROUTE_POST, "POST"},
	{ROUTE_PUT, "PUT"},       {ROUTE_DELETE, "DELETE"}, {ROUTE_PATCH, "PATCH"},
	{ROUTE_OPTIONS, "OPTIONS"}, {ROUTE_OTHER, "OTHER"},
};

enum route_method route_method_from_name(const char *name)
{
	for (size_t i = 0; i + 1 < ROUTE_METHOD_COUNT; i++)
		if (!strcmp(name, method_names[i].name))
			return (enum route_method)method_names[i].bit;
	return ROUTE_OTHER;
}

const char *route_method_name(unsigned method)
{
	for (size_t i = 0; i < ROUTE_METHOD_COUNT; i++)
		if (method == method_names[i].bit)
			return method_names[i].name;
	return "OTHER";
}

unsigned route_method_index(unsigned method)
{
	for (unsigned i = 0; i < ROUTE_METHOD_COUNT; i++)
		if (method == method_names[i].bit)
			return i;
	return ROUTE_METHOD_COUNT - 1;
}

static int is_single_method(unsigned m)
{
	return m && !(m & (m - 1)) && m < (unsigned)ROUTE_OTHER;
}

int route_allow_header(unsigned mask, char *out, size_t size)
{
	size_t len = 0;
	if (mask & ROUTE_GET)
		mask |= ROUTE_HEAD;
	mask |= ROUTE_OPTIONS;
	if (size)
		out[0] = '\0';
	for (size_t i = 0; i + 1 < ROUTE_METHOD_COUNT; i++) {
		if (!(mask & method_names[i].bit))
			continue;
		int n = snprintf(out + len, size - len, "%s%s", len ? ", " : "", method_names[i].name);
		if (n < 0 || (size_t)n >= size - len) {
			if (size)
				out[0] = '\0';
			return -1;
		}
		len += (size_t)n;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long route_pct_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	if (!size)
		return -1;
	out[o] = '\0';
	return (long)o;
}

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seglen(const char *s)
{
	const char *e = strchr(s, '/');
	return e ? (size_t)(e - s) : strlen(s);
}

static int is_param(const char *seg, size_t len)
{
	return len >= 2 && seg[0] == '{' && seg[len - 1] == '}';
}

/* Matches path against pattern. Returns 1 on a match (parameters decoded into m when m is not
 * NULL), 0 when it does not match, -1 when it matches but a parameter cannot be decoded. */
static int match_pattern(const char *pattern, const char *path, struct route_match *m)
{
	const char *p = pattern, *q = path;
	size_t used = 0, np = 0;
	int bad = 0;

	if (*p != '/' || *q != '/')
		return 0;
	for (;;) {
		p++, q++; /* skip the '/' */
		size_t pl = seglen(p), ql = seglen(q);
		if (is_param(p, pl)) {
			if (ql == 0)
				return 0;
			if (m && !bad) {
				long n = -1;
				if (np < ROUTE_MAX_PARAMS && used < sizeof m->buf)
					n = route_pct_decode(q, ql, m->buf + used, sizeof m->buf - used);
				if (n < 0) {
					bad = 1;
				} else {
					m->params[np].name = p + 1;
					m->params[np].name_len = pl - 2;
					m->params[np].value = m->buf + used;
					used += (size_t)n + 1;
					np++;
				}
			} else if (!m) {
				char tmp[ROUTE_PARAM_BYTES];
				if (route_pct_decode(q, ql, tmp, sizeof tmp) < 0)
					bad = 1;
			}
		} else if (pl != ql || memcmp(p, q, pl) != 0) {
			return 0;
		}
		p += pl, q += ql;
		if (!*p || !*q)
			break;
	}
	if (*p || *q)
		return 0;
	if (m)
		m->nparams = np;
	return bad ? -1 : 1;
}

enum route_result route_match(const struct route *table, size_t n, unsigned method,
			      const char *path, struct route_match *m)
{
	const struct route *get_entry = NULL;
	size_t get_index = 0, first = n;
	int saw_bad = 0;

	m->route = NULL;
	m->index = 0;
	m->allow = 0;
	m->nparams = 0;
	if (!path || path[0] != '/')
		return ROUTE_BAD_PATH;
	for (size_t i = 0; i < n; i++) {
		const struct route *rt = &table[i];
		int want = rt->method == method || (method == ROUTE_HEAD && rt->method == ROUTE_GET &&
						     !get_entry);
		if (!want && (m->allow & rt->method))
			continue; /* already known to match; nothing new to learn */
		int r = match_pattern(rt->pattern, path, want ? m : NULL);
		if (r == 0)
			continue;
		m->allow |= rt->method;
		if (first == n)
			first = i;
		if (r < 0) {
			saw_bad = 1;
			continue;
		}
		if (!want)
			continue;
		if (rt->method == method) {
			m->route = rt;
			m->index = i;
			return ROUTE_FOUND;
		}
		/* HEAD via GET: remember, but keep looking for an explicit HEAD entry. */
		get_entry = rt;
		get_index = i;
	}
	if (get_entry) {
		/* Re-run to refill the parameters of the GET entry (a later pattern may have used m). */
		match_pattern(get_entry->pattern, path, m);
		m->route = get_entry;
		m->index = get_index;
		return ROUTE_FOUND;
	}
	m->nparams = 0;
	m->index = first < n ? first : 0;
	if (saw_bad)
		return ROUTE_BAD_PATH;
	return m->allow ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

const char *route_param(const struct route_match *m, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < m->nparams; i++)
		if (m->params[i].name_len == len && !memcmp(m->params[i].name, name, len))
			return m->params[i].value;
	return NULL;
}

static int check_pattern(const char *pat, char *err, size_t errlen)
{
	const char *names[ROUTE_MAX_PARAMS];
	size_t lens[ROUTE_MAX_PARAMS];
	size_t np = 0;

	if (!pat || pat[0] != '/') {
		snprintf(err, errlen, "pattern must start with '/'");
		return -1;
	}
	if (!strcmp(pat, "/"))
		return 0;
	for (const char *p = pat + 1;; p++) {
		size_t l = seglen(p);
		if (l == 0) {
			snprintf(err, errlen, "empty segment");
			return -1;
		}
		if (memchr(p, '{', l) || memchr(p, '}', l)) {
			if (!is_param(p, l) || l == 2) {
				snprintf(err, errlen, "malformed parameter segment");
				return -1;
			}
			for (size_t i = 1; i + 1 < l; i++) {
				char c = p[i];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '_')) {
					snprintf(err, errlen, "bad character in parameter name");
					return -1;
				}
			}
			if (np == ROUTE_MAX_PARAMS) {
				snprintf(err, errlen, "more than %d parameters", ROUTE_MAX_PARAMS);
				return -1;
			}
			for (size_t i = 0; i < np; i++) {
				if (lens[i] == l - 2 && !memcmp(names[i], p + 1, l - 2)) {
					snprintf(err, errlen, "parameter '%.*s' repeated", (int)(l - 2),
						 p + 1);
					return -1;
				}
			}
			names[np] = p + 1;
			lens[np++] = l - 2;
		}
		p += l;
		if (!*p)
			break;
	}
	return 0;
}

int route_check_table(const struct route *table, size_t n, char *err, size_t errlen)
{
	char why[128];
	for (size_t i = 0; i < n; i++) {
		const struct route *rt = &table[i];
		const char *pat = rt->pattern ? rt->pattern : "(null)";
		if (!is_single_method(rt->method)) {
			snprintf(err, errlen, "route %zu '%s': method must be exactly one method", i, pat);
			return -1;
		}
		if (!rt->handler) {
			snprintf(err, errlen, "route %zu '%s %s': no handler", i,
				 route_method_name(rt->method), pat);
			return -1;
		}
		if (check_pattern(rt->pattern, why, sizeof why)) {
			snprintf(err, errlen, "route %zu '%s %s': %s", i, route_method_name(rt->method),
				 pat, why);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (table[j].method == rt->method && !strcmp(table[j].pattern, rt->pattern)) {
				snprintf(err, errlen, "route %zu '%s %s': same as route %zu", i,
					 route_method_name(rt->method), pat, j);
				return -1;
			}
		}
	}
	return 0;
}
