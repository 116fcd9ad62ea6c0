/*
 * route — the route table and its matcher: {method, pattern, handler, roles} entries and a pure
 * function that finds the entry for a method and a request path.
 *
 * Patterns are absolute paths made of '/'-separated segments; a segment is either literal text or
 * a parameter "{name}" that matches exactly one non-empty path segment:
 *     "/api/v1/answers/{topic}"   matches "/api/v1/answers/ICT-01" with topic = "ICT-01".
 * Literal segments are compared byte for byte with the raw (still percent-encoded) request path;
 * parameter values are percent-decoded ("%41" -> "A"); a value that would contain NUL, or a
 * malformed escape, makes the path bad (400), never a match. No normalisation: "/a/" is not "/a",
 * "//a" matches nothing. The first entry in table order whose pattern and method match wins, so
 * list literal patterns before overlapping parameter patterns.
 *
 * HEAD is served by a GET entry unless the table has its own HEAD entry. The Allow set of a path is
 * the union of the methods of every entry whose pattern matches it (plus HEAD when GET is there,
 * and OPTIONS, which httpd answers itself).
 *
 * Pure: no I/O, no allocation, no libevent; thread-safe on a read-only table.
 */
#ifndef DELPHI_ROUTE_H
#define DELPHI_ROUTE_H

#include <stddef.h>

struct req;

/* HTTP methods as bits, so that an Allow set is a mask. */
enum route_method {
	ROUTE_GET = 1 << 0,
	ROUTE_HEAD = 1 << 1,
	ROUTE_POST = 1 << 2,
	ROUTE_PUT = 1 << 3,
	ROUTE_DELETE = 1 << 4,
	ROUTE_PATCH = 1 << 5,
	ROUTE_OPTIONS = 1 << 6,
	ROUTE_OTHER = 1 << 7, /* TRACE and anything else: never routed */
};
#define ROUTE_METHOD_COUNT 8

/* Who may call a route: a mask of roles, any one of which suffices; 0 means anyone. httpd asks the
 * authorize hook of struct httpd_options whenever roles != ROUTE_PUBLIC. */
enum route_role {
	ROUTE_PUBLIC = 0,
	ROUTE_EXPERT = 1 << 0,      /* an invitation token (cookie session or Bearer) */
	ROUTE_PLANNER = 1 << 1,     /* a user with role planner */
	ROUTE_COORDINATOR = 1 << 2, /* a user with role coordinator */
	ROUTE_ADMIN = 1 << 3,       /* a user with role admin */
};

/* A handler replies through req_* (req.h), exactly once, either before it returns or later after
 * req_suspend (see req.h: asynchronous replies). */
typedef void route_handler_fn(struct req *r);

struct route {
	enum route_method method; /* exactly one method bit */
	const char *pattern;      /* see above; also the route's label in logs and metrics */
	route_handler_fn *handler;
	unsigned roles;           /* enum route_role mask; ROUTE_PUBLIC = anyone */
};

#define ROUTE_MAX_PARAMS 8
#define ROUTE_PARAM_BYTES 2048 /* decoded parameter values, NULs included */

struct route_param {
	const char *name; /* points into the pattern, not NUL-terminated at name_len */
	size_t name_len;
	const char *value; /* decoded, NUL-terminated, inside route_match.buf */
};

struct route_match {
	const struct route *route; /* ROUTE_FOUND: the entry; else NULL */
	size_t index;              /* ROUTE_FOUND: its index in the table; ROUTE_BAD_METHOD and
				    * ROUTE_BAD_PATH: the first entry whose pattern matches; else 0 */
	unsigned allow;            /* methods of every entry whose pattern matches the path (see above) */
	size_t nparams;
	struct route_param params[ROUTE_MAX_PARAMS];
	char buf[ROUTE_PARAM_BYTES];
};

enum route_result {
	ROUTE_FOUND,          /* m->route is the handler's entry, m->params its parameters */
	ROUTE_NOT_FOUND,      /* no pattern matches the path: 404 */
	ROUTE_BAD_METHOD,     /* a pattern matches but not for this method: 405 with Allow = m->allow */
	ROUTE_BAD_PATH,       /* a malformed escape or NUL in a parameter, or values too long: 400 */
};

/* Matches method (one enum route_method bit) and path (the raw path of the request target,
 * without query or fragment; must start with '/') against the table of n entries. Fills *m. */
enum route_result route_match(const struct route *table, size_t n, unsigned method,
			      const char *path, struct route_match *m);

/* Checks a table at start-up: every pattern starts with '/', has well-formed "{name}" segments
 * (name: [A-Za-z0-9_]+, unique within the pattern, at most ROUTE_MAX_PARAMS), no empty segments,
 * a single method bit, a handler; and no two entries share method and pattern. Returns 0, or -1
 * with a message naming the entry in err. */
int route_check_table(const struct route *table, size_t n, char *err, size_t errlen);

/* The value of parameter name in a ROUTE_FOUND match, or NULL. */
const char *route_param(const struct route_match *m, const char *name);

/* Method bit for an upper-case method name ("GET"); ROUTE_OTHER for anything unknown. */
enum route_method route_method_from_name(const char *name);
/* Upper-case name of one method bit; "OTHER" for ROUTE_OTHER or a mask. */
const char *route_method_name(unsigned method);
/* Index 0..ROUTE_METHOD_COUNT-1 of one method bit (metrics arrays). */
unsigned route_method_index(unsigned method);

/* Writes the Allow header value for mask ("GET, HEAD, PUT, OPTIONS"; order fixed: GET HEAD POST PUT
 * DELETE PATCH OPTIONS; HEAD added with GET; OPTIONS always) into out. Returns 0, or -1 if it does
 * not fit (out then holds ""). */
int route_allow_header(unsigned mask, char *out, size_t size);

/* Percent-decodes len bytes of s into out (size bytes, NUL-terminated). '+' is left as is.
 * Returns the decoded length, or -1 for a malformed escape ("%4", "%G1"), an escaped or raw NUL,
 * or a result that does not fit. */
long route_pct_decode(const char *s, size_t len, char *out, size_t size);

#endif
