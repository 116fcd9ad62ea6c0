/*
 * static — the web pages and assets: the copies embedded at build time (web/ -> embedded_web[]),
 * or, for development, the files of a directory (--web-dir DIR) read at each request.
 *
 * Replies carry a strong ETag (SHA-256 of the content, computed once at start for embedded files),
 * answer If-None-Match with 304, say Cache-Control: no-cache (revalidate every time: file names
 * carry no version), and a Content-Type from the extension (text types with charset=utf-8). "/"
 * and any path ending in "/" serve that directory's index.html. An unknown page gets the site's
 * 404.html if it has one, else a built-in 404 page (HTML, status 404).
 *
 * Path safety (both modes): the request path is decoded segment by segment; a segment that is
 * empty (except the last), ".", "..", starts with ".", or decodes to '/', '\', NUL or another
 * control character, or a malformed escape, makes the page unknown (404). In directory mode every
 * component is opened with O_NOFOLLOW below the directory opened at start, so no symlink is
 * followed at all (nothing can escape), and only regular files up to 64 MiB are served.
 *
 * Thread-safety: a site is read-only after creation; any thread may serve from it.
 */
#ifndef DELPHI_STATIC_H
#define DELPHI_STATIC_H

#include <stddef.h>

struct req;
struct static_site;

/* The embedded web files. Returns 0 and *out, or -1 with a message in err. */
int static_site_embedded(struct static_site **out, char *err, size_t errlen);
/* Files under dir (must be a directory; opened now and kept open). Returns 0 or -1 with err. */
int static_site_dir(const char *dir, struct static_site **out, char *err, size_t errlen);
/* NULL is a no-op. */
void static_site_free(struct static_site *s);

/* Serves the request's path (the fallback for paths outside /api that no route matched): GET and
 * HEAD serve the file or the 404 page; OPTIONS 204 with Allow; any other method 405 with Allow if
 * the file exists, else the 404 page. s may be NULL (everything is 404). */
void static_handle(struct static_site *s, struct req *r);
/* Serves the file name (relative, e.g. "survey/index.html") with status (200, or 404 for a "not
 * found" page), for page routes such as GET /e/{token}; a missing file serves the 404 page. */
void static_reply_file(struct static_site *s, struct req *r, const char *name, int status);
/* Replies the 404 page. */
void static_reply_not_found(struct static_site *s, struct req *r);

/* ---- Pure helpers (exported for tests) ---- */

/* Maps a raw request path ("/", "/app.css", "/survey/") to a relative file name ("index.html",
 * "app.css", "survey/index.html") following the rules above. Returns 0, or -1 (unknown page). */
int static_path_to_name(const char *raw_path, char *out, size_t size);
/* The Content-Type for a file name, by extension (case-insensitive); application/octet-stream when
 * unknown. */
const char *static_content_type(const char *name);
/* 1 if an If-None-Match header value matches etag (a quoted strong tag): "*", or a comma-separated
 * list holding it (weak comparison: a W/ prefix is ignored); else 0. NULL header: 0. */
int static_etag_matches(const char *if_none_match, const char *etag);
/* Writes the strong ETag of data ("\"" + 32 hex digits of its SHA-256 + "\"") into out (>= 35). */
void static_etag(const void *data, size_t len, char out[35]);

#endif
