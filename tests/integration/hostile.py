#!/usr/bin/env python3
"""hostile.py — malformed and hostile requests against the real `delphi serve`.

  hostile.py --delphi BIN --dir DIR [--valgrind] [--verbose] [--only CATEGORY]

Starts two servers on 127.0.0.1 (port 0, --timeout 3): "main" with the built-in web files and
"webdir" with --web-dir (a copy of web/ whose parent holds a secret file), both on one database
with the CLI test survey, four experts (X4 revoked) and round 1 open. Makes the legitimate
requests first (two answer saves), then takes a `sqlite3 .dump` of the answers and sends every
case below over a raw TLS socket (Python's ssl, no verification), so that it can send bytes no
HTTP client would: bad methods and versions, oversized and duplicated headers, NUL bytes and
invalid UTF-8, deep JSON nesting and huge numbers, wrong content types, path traversal, tokens
and cookies of every wrong shape, huge, chunked and mismatched bodies, partial requests
(slowloris), garbage after and between requests, and bytes that are not TLS at all.

Each case says which answers are right: a set of statuses for the first reply (0: the server
may close the connection without one) and, for pipelined cases, sets for the replies after it.
Beyond that, for every reply: never a 5xx other than the 501/505 that name an unknown method or
version, our own replies carry the security headers, API errors have the one JSON shape, and no
body leaks the secret file or /etc/passwd. Replies libevent makes itself (its bare
"<HTML><HEAD>" error pages, without our headers) are accepted where listed and printed at the
end. After every case the server must answer GET /healthz with 200 on a new connection. At the
end: the answers' dump is unchanged, no session was made, both servers stop on SIGTERM with
exit status 0, and their stderr holds no sanitizer or valgrind report.

Where libevent 2.1.12 parses leniently (a NUL ends a header value, odd HTTP versions below 2
are served as 1.0, Host is not checked, unparsable chunk sizes get its 413), the lenient answer
is accepted with a note saying why it cannot widen anyone's access; the notes and the cases they
covered are printed. Cases run --jobs (default 8) at a time, each on its own connection.

Prints a line per failed case (every case with --verbose), the number of cases per category, the
cases libevent answered itself, the lenient answers, and "hostile: N requests, N failed". Exit
status 0 when nothing failed (and, without --only, at least 200 cases were sent).
"""
import argparse
import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

SECRET = b"SECRET-7f3a-not-for-the-web"
TIMEOUT = 3  # the servers' --timeout
BAD = 0      # in a set of wanted statuses: closing without a reply is right
# Where libevent 2.1.12 is lenient, and why that is accepted (printed when it happens):
NUL_NOTE = ("libevent keeps header values and the request line as C strings: a NUL ends the "
            "value and what follows it is dropped; the server sees a shorter, valid value")
VERSION_NOTE = ("libevent reads the version with sscanf(\"HTTP/%d.%d\"), so any two integers "
                "below 2.x pass; a version other than 1.1 is served once, as 1.0 is, and closed")
HOST_NOTE = ("delphi never reads Host (links are made from --public-url), and libevent does not "
             "require or check it")
CHUNK_NOTE = ("libevent answers a chunk size it cannot parse (also one with a chunk extension, "
              "which it does not support) with its own 413 page")


class Case:
    """One hostile exchange.

    parts: the bytes to send, a list sent one after the other with gap seconds between them;
    want: allowed statuses of the first reply (BAD: no reply and the connection closed);
    more: allowed statuses of the replies after it, one set each (pipelining);
    head: the request is HEAD (its reply has no body);
    tcp: plain TCP instead of TLS; close_within: the server must have closed by then (s);
    server: "main" or "webdir"."""

    def __init__(self, cat, name, parts, want, more=(), head=False, gap=0.0, tcp=False,
                 close_within=None, server="main", read_timeout=None, during=None, note=None):
        self.cat, self.name = cat, name
        self.parts = [parts] if isinstance(parts, bytes) else list(parts)
        self.want = set(want)
        self.more = [set(m) for m in more]
        self.head, self.gap, self.tcp = head, gap, tcp
        self.close_within = close_within
        self.server = server
        self.read_timeout = read_timeout or (close_within + 2 if close_within else 8)
        self.during = during  # a function run (with the port) after the parts are sent
        self.note = note      # why a lenient answer is accepted (printed when one is given)


def b(s):
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


def req(method="GET", target="/healthz", headers=(), body=b"", version="HTTP/1.1", host=True,
        length=True):
    """A request as bytes: the request line, Host (unless host is False), headers, a
    Content-Length for a body (unless length is False), the body."""
    out = b(method) + b" " + b(target) + (b" " + b(version) if version is not None else b"")
    out += b"\r\n"
    if host:
        out += b"Host: 127.0.0.1\r\n"
    for k, v in headers:
        out += b(k) + b": " + b(v) + b"\r\n"
    body = b(body)
    if body and length:
        out += b"Content-Length: %d\r\n" % len(body)
    return out + b"\r\n" + body


def parse_responses(buf, heads, closed=False):
    """Complete responses at the start of buf: ([(status, {header: value}, body)], rest).
    heads[i] tells whether the i-th reply answers a HEAD request; closed: the connection is
    closed, so a reply without Content-Length (HTTP/1.0) ends with the data."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        lines = buf[:end].split(b"\r\n")
        try:
            status = int(lines[0].split(b" ")[1])
        except (IndexError, ValueError):
            return out + [(-1, {}, buf)], b""
        h = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            h[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        rest = buf[end + 4:]
        if status < 200:  # 100 Continue: an interim reply, not counted
            buf = rest
            continue
        is_head = heads[len(out)] if len(out) < len(heads) else False
        if status in (204, 304) or is_head:
            n = 0
        elif "content-length" in h:
            n = int(h["content-length"])
        elif closed:
            n = len(rest)
        else:
            return out, buf  # a body up to the close: wait for it
        if len(rest) < n:
            return out, buf
        out.append((status, h, rest[:n]))
        buf = rest[n:]


class Result:
    def __init__(self):
        self.replies = []
        self.closed = False
        self.close_after = None
        self.error = None
        self.tail = b""


def exchange(port, case):
    """Sends case's parts and reads replies until the server closes, every wanted reply came
    (and no close is expected), or read_timeout passes."""
    res = Result()
    t0 = time.monotonic()
    try:
        if case.tcp:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
        else:
            s = serverlib.tls_socket(port, timeout=10)
    except (OSError, ValueError) as e:
        res.error = "connect: %s" % e
        return res
    nwant = 1 + len(case.more)
    heads = [case.head] + [False] * len(case.more)
    buf = b""
    try:
        for i, p in enumerate(case.parts):
            if i and case.gap:
                time.sleep(case.gap)
            try:
                s.sendall(p)
            except OSError:
                break  # closed by the server while sending: read what it said
        if case.during:
            case.during(port, res)
        deadline = t0 + case.read_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(min(left, 1.0))
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            except (OSError, ValueError):
                data = b""
            if not data:
                res.closed = True
                res.close_after = time.monotonic() - t0
                break
            buf += data
            res.replies, rest = parse_responses(buf, heads)
            if len(res.replies) >= nwant and case.close_within is None:
                break
        res.replies, res.tail = parse_responses(buf, heads, closed=res.closed)
    finally:
        s.close()
    return res


def is_libevent_page(reply):
    status, h, body = reply
    return body.startswith(b"<HTML><HEAD>") and "content-security-policy" not in h


SECURITY = ("strict-transport-security", "content-security-policy", "x-content-type-options",
            "referrer-policy")


def judge(case, res):
    """Problems with the result (empty: the case passed)."""
    bad = []
    if res.error:
        return [res.error]
    statuses = [r[0] for r in res.replies]
    if not res.replies:
        if BAD not in case.want:
            bad.append("no reply (%s); wanted %s" % (
                "closed" if res.closed else "still open", sorted(case.want)))
        elif not res.closed:
            bad.append("no reply and the connection was not closed within %.0f s"
                       % case.read_timeout)
    else:
        if statuses[0] not in case.want:
            bad.append("status %d; wanted %s" % (statuses[0], sorted(case.want)))
        for i, allowed in enumerate(case.more):
            if i + 1 < len(statuses):
                if statuses[i + 1] not in allowed:
                    bad.append("reply %d: status %d; wanted %s" % (i + 2, statuses[i + 1],
                                                                    sorted(allowed)))
            elif BAD not in allowed:
                bad.append("reply %d missing; wanted %s" % (i + 2, sorted(allowed)))
                break
    if case.close_within is not None and (not res.closed or res.close_after >
                                          case.close_within):
        bad.append("not closed within %.1f s (%s)" % (
            case.close_within, "closed after %.1f s" % res.close_after if res.closed
            else "still open"))
    for r in res.replies:
        status, h, body = r
        if status == -1:
            bad.append("a reply that is not HTTP: %r" % body[:80])
            continue
        if status >= 500 and status not in (501, 505):
            bad.append("server error %d: %r" % (status, body[:200]))
        if SECRET in body or b"root:x:0:0" in body:
            bad.append("the reply leaks a file outside the site")
        if is_libevent_page(r):
            continue
        for k in SECURITY:
            if k not in h:
                bad.append("reply %d without %s" % (status, k))
        if status >= 400 and h.get("content-type", "").startswith("application/json") and body:
            if not (body.startswith(b'{"error":{"code":"') and b'"message":"' in body):
                bad.append("a JSON error not in the one shape: %r" % body[:200])
    if SECRET in res.tail or b"root:x:0:0" in res.tail:
        bad.append("the connection leaks a file outside the site")
    return bad


# ---- The cases ---------------------------------------------------------------------------------

def cases(tok, revoked):
    """Every case; tok is a valid invitation token (expert X1), revoked one of a revoked one."""
    C = []
    AUTH = ("Authorization", "Bearer " + tok)
    J = ("Content-Type", "application/json")
    ME = "/api/v1/me"
    A1 = "/api/v1/answers/AI-01"

    def put(body, topic="AI-01", headers=(J,), **kw):
        return req("PUT", "/api/v1/answers/" + topic, [AUTH, *headers], body, **kw)

    def add(cat, name, parts, want, **kw):
        C.append(Case(cat, name, parts, want, **kw))

    # -- methods
    cat = "method"
    for m in ("FOO", "get", "Get", "PROPFIND", "MKCOL", "COPY", "MOVE", "LOCK", "PURGE", "BREW",
              "TRACK", "DEBUG", "SEARCH", "LINK", "X" * 64):
        add(cat, "method %s" % m[:16], req(m, "/healthz"), {400, 405, 501})
    add(cat, "CONNECT", req("CONNECT", "127.0.0.1:443"), {400, 405, 501, BAD})
    add(cat, "TRACE /healthz (no echo)", req("TRACE", "/healthz", [AUTH]), {405, 501})
    add(cat, "TRACE /", req("TRACE", "/", [AUTH]), {405, 501})
    add(cat, "method with NUL", req(b"G\x00ET", "/healthz"), {400, 501, BAD})
    add(cat, "method with 0xff", req(b"GET\xff", "/healthz"), {400, 501, BAD})
    add(cat, "method in UTF-8", req("GÉT", "/healthz"), {400, 501, BAD})
    add(cat, "empty method", req("", "/healthz"), {400, 501, BAD})
    add(cat, "method of 10000 bytes", req("A" * 10000, "/healthz"), {400, 413, 501, BAD})
    add(cat, "HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400, 501, 505, BAD})
    add(cat, "PUT on GET route", req("PUT", ME, [AUTH, J], "{}"), {405})
    add(cat, "POST on PUT route", req("POST", A1, [AUTH, J], "{}"), {405})
    add(cat, "DELETE answers", req("DELETE", A1, [AUTH]), {405})
    add(cat, "PATCH answers", req("PATCH", A1, [AUTH, J], "{}"), {405})
    add(cat, "POST /e/token", req("POST", "/e/" + tok, [J], "{}"), {405})
    add(cat, "DELETE static", req("DELETE", "/index.html"), {405})
    add(cat, "PUT static", req("PUT", "/survey/", [J], "{}"), {404, 405})

    # -- versions
    cat = "version"
    for v in ("HTTP/2.0", "HTTP/3.0", "HTTP/9.9", "HTTPS/1.1", "HTTP/1", "HTTP/1.1.1",
              "http/1.1", "HTTP/ 1.1", "HTTP/1.1x", "FOO/1.1", b"HTTP/\xff.1", "HTTP/1.1 extra"):
        add(cat, "version %r" % v, req("GET", "/healthz", version=v), {400, 505, BAD})
    for v in ("HTTP/0.9", "HTTP/-1.1", "HTTP/1.-1", "HTTP/99999999999999999999.1",
              "HTTP/1.99999999999999999999"):
        add(cat, "version %r" % v, req("GET", "/healthz", version=v), {200, 400, 505, BAD},
            note=VERSION_NOTE)
    add(cat, "version HTTP/1.1 and a NUL", req("GET", "/healthz", version=b"HTTP/1.1\x00"),
        {200, 400, BAD}, note=NUL_NOTE)
    add(cat, "version 1.2 (a minor version: as 1.1)", req("GET", "/healthz", version="HTTP/1.2"),
        {200, 400, 505})
    add(cat, "no version (HTTP/0.9 form)", b"GET /healthz\r\n\r\n", {400, 505, BAD})

    # -- request lines
    cat = "request-line"
    add(cat, "two spaces", b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, BAD})
    add(cat, "tab separators", b"GET\t/healthz\tHTTP/1.1\r\nHost: x\r\n\r\n", {400, 501, BAD})
    add(cat, "only blank lines", b"\r\n" * 50, {400, BAD}, close_within=TIMEOUT + 3)
    add(cat, "only a method", b"GET\r\n\r\n", {400, BAD})
    add(cat, "target *", req("GET", "*"), {400})
    add(cat, "OPTIONS *", req("OPTIONS", "*"), {400})
    add(cat, "relative target", req("GET", "healthz"), {400})
    add(cat, "absolute-form target", req("GET", "https://127.0.0.1/healthz"), {200, 400})
    add(cat, "absolute-form to another host", req("GET", "http://169.254.169.254/latest/"),
        {400, 404})
    add(cat, "target with a fragment", req("GET", "/healthz#frag"), {200, 400})
    add(cat, "target of 20000 bytes", req("GET", "/" + "a" * 20000), {400, 413, 414, 431, BAD})
    add(cat, "query of 15000 bytes", req("GET", "/healthz?" + "a=b&" * 3750),
        {200, 400, 413, 414, 431, BAD})
    # libevent takes the target up to the last space: "/heal thz" is a path (of no file).
    add(cat, "space in target", b"GET /heal thz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, BAD})
    add(cat, "CR in the request line", b"GET /healthz\r HTTP/1.1\r\nHost: x\r\n\r\n",
        {400, 404, BAD})
    add(cat, "LF-only line ends", b"GET /healthz HTTP/1.1\nHost: x\n\n", {200, 400})
    add(cat, "request line of 17000 bytes without an end", b"GET /" + b"a" * 17000,
        {400, 413, 414, 431, BAD}, close_within=TIMEOUT + 3)
    add(cat, "bare CRs", b"GET /healthz HTTP/1.1\rHost: x\r\r", {400, BAD},
        close_within=TIMEOUT + 3)
    add(cat, "percent sign alone", req("GET", "/api/v1/answers/%"), {400, 401, 404})
    add(cat, "bad percent escape", req("GET", "/api/v1/feedback/%zz", [AUTH]), {400, 404})

    # -- headers
    cat = "headers"
    add(cat, "header of 20000 bytes", req(headers=[("X-Big", "a" * 20000)]),
        {400, 413, 431, BAD})
    add(cat, "2000 headers", req(headers=[("X-H%d" % i, "v") for i in range(2000)]),
        {400, 413, 431, BAD})
    add(cat, "300 headers under the limit", req(headers=[("X-H%d" % i, "v") for i in range(300)]),
        {200, 400, 413, 431})
    add(cat, "cookie of 15000 bytes", req("GET", ME, [("Cookie", "a=" + "b" * 15000)]),
        {401, 400, 413, 431})
    add(cat, "header without a colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-No-Colon\r\n\r\n",
        {400, BAD})
    add(cat, "empty header name", b"GET /healthz HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n",
        {200, 400, BAD})
    add(cat, "space before the colon", b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n",
        {200, 400, BAD})
    add(cat, "folded header (obs-fold)", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
        {200, 400})
    add(cat, "fold as the first header", b"GET /healthz HTTP/1.1\r\n folded\r\nHost: x\r\n\r\n",
        {200, 400, BAD})
    add(cat, "NUL in a header value", req(headers=[("X-A", b"a\x00b")]), {200, 400, BAD})
    add(cat, "NUL in a header name", req(headers=[(b"X-\x00A", "b")]), {200, 400, BAD})
    add(cat, "0xff bytes in a header", req(headers=[("X-A", b"\xff\xfe\xfd")]), {200, 400})
    add(cat, "two Host headers", req(headers=[("Host", "evil.example")]), {200, 400},
        note=HOST_NOTE)
    # Framed by the first, the body would be a valid save: the server must refuse and close.
    add(cat, "two Content-Lengths that differ (first fits)",
        req("PUT", A1, [AUTH, J, ("Content-Length", "16"), ("Content-Length", "2")],
            '{"importance":1}', length=False), {400}, close_within=2)
    add(cat, "two Content-Lengths that differ (second fits)",
        req("PUT", A1, [AUTH, J, ("Content-Length", "2"), ("Content-Length", "16")],
            '{"importance":1}', length=False), {400}, close_within=2)
    add(cat, "two equal Content-Lengths",
        req("PUT", A1, [AUTH, J, ("Content-Length", "12"), ("Content-Length", "12")],
            '{"bogus":1} ', length=False), {400, 422})
    add(cat, "two Authorization headers (wrong first)",
        req("GET", ME, [("Authorization", "Bearer " + "0" * 32), AUTH]), {400, 401})
    add(cat, "two Content-Types", put('{"importance":1}', headers=[("Content-Type", "text/plain"), J]),
        {400, 415})
    for cl in ("-1", "abc", "1e3", "0x10", "+5", "99999999999999999999999", " 5 5", "5,5",
               "18446744073709551617"):
        add(cat, "Content-Length %r" % cl,
            req("PUT", A1, [AUTH, J, ("Content-Length", cl)], '{"importance":1}', length=False),
            {400, 413, 411, BAD})
    add(cat, "Expect: 100-continue with a bad body",
        put('{"importance":9}', headers=[J, ("Expect", "100-continue")]), {422})
    add(cat, "Expect: something else", put('{"importance":9}', headers=[J, ("Expect", "dance")]),
        {400, 417, 422})
    add(cat, "no Host in HTTP/1.1", req(host=False), {200, 400}, note=HOST_NOTE)
    add(cat, "Host with NUL and CRLF-looking bytes", req(host=False, headers=[("Host", b"a\x00b")]),
        {200, 400, BAD})
    add(cat, "Transfer-Encoding: gzip", req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "gzip")],
                                            b"\x1f\x8b" + b"\x00" * 20, length=False),
        {400, 411, 415, 501, BAD})
    add(cat, "X-Forwarded-For spoofing and junk", req("GET", ME, [("X-Forwarded-For", "' OR 1=1")]),
        {401})

    # -- invalid UTF-8 and NUL bytes
    cat = "utf8-nul"
    for name, target in (("%00 in a topic", A1 + "%00"), ("%00 in /e/", "/e/%00"),
                         ("%00 after /healthz", "/healthz%00"), ("%00 alone", "/%00"),
                         ("%ff in a topic", "/api/v1/answers/AI-0%ff"),
                         ("overlong slash %c0%af", "/%c0%afetc%c0%afpasswd"),
                         ("surrogate %ed%a0%80", "/api/v1/feedback/%ed%a0%80"),
                         ("%00 in the query", "/healthz?a=%00")):
        want = {200} if "query" in name else {400, 401, 404, 405}  # GET on the PUT route: 405
        add(cat, name, req("GET", target, [AUTH]), want)
        add(cat, name + " (PUT)", req("PUT", target, [AUTH, J], '{"bogus":1}'),
            {400, 401, 404, 405, 422})
    add(cat, "raw NUL in the path", req("GET", b"/heal\x00thz"), {400, 404, BAD})
    add(cat, "raw 0xff in the path", req("GET", b"/\xff\xfe"), {400, 404})
    add(cat, "raw invalid UTF-8 in /e/", req("GET", b"/e/\xc3\x28" + b"a" * 30), {400, 404})
    add(cat, "invalid UTF-8 in the JSON", put(b'{"comment":"\xc3\x28"}'), {400})
    add(cat, "overlong UTF-8 in the JSON", put(b'{"comment":"\xc0\xaf"}'), {400})
    add(cat, "UTF-16 surrogate bytes in the JSON", put(b'{"comment":"\xed\xa0\x80"}'), {400})
    add(cat, "escaped NUL in a comment", put('{"comment":"a\\u0000b"}'), {400, 422})
    add(cat, "raw NUL in the JSON", put(b'{"comment":"a\x00b"}'), {400})
    add(cat, "lone surrogate escape", put('{"comment":"\\ud800"}'), {400, 422})
    add(cat, "control character in a comment", put('{"comment":"a\\u0001b"}'), {422})
    add(cat, "control character in a reason", put('{"importance":1,"reasons":{"importance":"\\u0007"}}'),
        {422})
    add(cat, "UTF-8 BOM before the JSON", put(b'\xef\xbb\xbf{"importance":1}'), {400})
    add(cat, "UTF-16 JSON", put('{"importance":1}'.encode("utf-16")), {400})
    add(cat, "NUL in the question key", put('{"impor\\u0000tance":1}'), {400, 422})
    add(cat, "invalid UTF-8 in a key", put(b'{"\xff":1}'), {400})

    # -- JSON
    cat = "json"
    add(cat, "10000 nested arrays", put("[" * 10000), {400})
    add(cat, "10000 nested arrays, closed", put("[" * 10000 + "]" * 10000), {400})
    add(cat, "60000 nested arrays", put("[" * 60000), {400})
    add(cat, "10000 nested objects", put('{"a":' * 10000), {400})
    add(cat, "deep nesting in a value", put('{"comment":' + "[" * 5000 + "]" * 5000 + "}"), {400, 422})
    for name, v in (("1e999", "1e999"), ("-1e999", "-1e999"), ("2^64", "18446744073709551616"),
                    ("2^63", "9223372036854775808"), ("-2^63-1", "-9223372036854775809"),
                    ("2^63-1", "9223372036854775807"), ("-2^63", "-9223372036854775808"),
                    ("1e308", "1e308"), ("4.0", "4.0"), ("4.5", "4.5"), ("4e0", "4e0"),
                    ("-0", "-0"), ("0", "0"), ("1e-999", "1e-999"),
                    ("10000 digits", "9" * 10000), ("NaN", "NaN"), ("Infinity", "Infinity"),
                    ("hex", "0x04"), ("leading zero", "04"), ("plus sign", "+4"),
                    ("true", "true"), ("a string 4", '"4"'), ("an object", "{}"),
                    ("an empty array", "[]")):
        add(cat, "importance %s" % name, put('{"importance":%s}' % v), {400, 422})
    for name, v in (("year 2^64", "18446744073709551616"), ("year -1", "-1"),
                    ("year 1e4", "1e4"), ("year 2030.0", "2030.0"), ("year 99999", "99999"),
                    ("year 2^31", "2147483648"), ("year -2^63", "-9223372036854775808")):
        add(cat, "tech_year %s" % name, put('{"tech_year":%s}' % v), {400, 422})
    add(cat, "comment of 60000 bytes", put('{"comment":"%s"}' % ("x" * 60000)), {413, 422})
    add(cat, "comment of 201 bytes", put('{"comment":"%s"}' % ("x" * 201)), {422})
    add(cat, "5000 unknown keys", put("{" + ",".join('"k%d":1' % i for i in range(5000)) + "}"),
        {413, 422})
    add(cat, "measures: 10000 codes", put('{"measures":[%s]}' % ",".join(['"funding"'] * 10000)),
        {413, 422})
    add(cat, "measures: duplicate code", put('{"measures":["funding","funding"]}'), {422})
    add(cat, "measures: a number", put('{"measures":[1]}'), {422})
    add(cat, "measures: nested", put('{"measures":[["funding"]]}'), {422})
    add(cat, "duplicate key", put('{"importance":1,"importance":2}'), {400})
    add(cat, "trailing garbage", put('{"importance":1} x'), {400})
    add(cat, "two documents", put('{"importance":1}{"importance":2}'), {400})
    add(cat, "top-level null", put("null"), {400})
    add(cat, "top-level string", put('"x"'), {400})
    add(cat, "top-level number", put("4"), {400})
    add(cat, "unterminated string", put('{"comment":"abc'), {400})
    add(cat, "single quotes", put("{'importance':1}"), {400})
    add(cat, "comments in JSON", put('{/*x*/"importance":1}'), {400})
    add(cat, "trailing comma", put('{"importance":1,}'), {400})
    add(cat, "only whitespace", put("   \n\t  "), {400})
    add(cat, "reasons as a string", put('{"importance":1,"reasons":"x"}'), {422})
    add(cat, "reasons nested deep", put('{"reasons":' + "{" * 3000 + "}" * 3000 + "}"), {400, 422})
    add(cat, "unknown key SQL", put('{"importance\'); DROP TABLE answers;--":1}'), {422})
    add(cat, "special for a non-special question", put('{"expertise":"dont_know"}'), {422})
    add(cat, "reserved key in a text", put('{"comment":null,"bogus":null}'), {422})

    # -- content types
    cat = "content-type"
    for ct in ("text/plain", "application/jsonx", "application/json-patch+json",
               "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
               "application/json; charset=latin1", "application/json; charset=utf-16",
               "application/json; charset=utf-8; charset=latin1", "application/json;;=",
               "application/json; charset", "application/json; charset=\"utf-8",
               "json", "", "*/*", "application/*",
               "application/json," + "x" * 5000, "text/html; charset=utf-8"):
        add(cat, "Content-Type %r" % (ct[:40] if isinstance(ct, str) else ct),
            put('{"importance":1}', headers=[("Content-Type", ct)]), {400, 415})
    add(cat, "Content-Type application/json and a NUL",
        put('{"importance":9}', headers=[("Content-Type", b"application/json\x00; charset=latin1")]),
        {400, 415, 422}, note=NUL_NOTE)
    add(cat, "no Content-Type", put('{"importance":1}', headers=[]), {415})
    add(cat, "form body", put("importance=1", headers=[("Content-Type",
                                                       "application/x-www-form-urlencoded")]),
        {415})
    add(cat, "upper-case type, bad body", put('{"importance":9}', headers=[("Content-Type",
                                                                             "APPLICATION/JSON")]),
        {422})

    # -- path traversal on static files (both servers)
    cat = "traversal"
    paths = ["/../../../../etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd",
             "/%2E%2E/%2E%2E/secret.txt", "/../secret.txt", "/%2e%2e/secret.txt",
             "//etc/passwd", "///etc/passwd", "/\\..\\..\\etc\\passwd", "/..\\secret.txt",
             "/%5c..%5csecret.txt", "/survey/../../secret.txt", "/survey/%2e%2e/%2e%2e/secret.txt",
             "/./secret.txt", "/%2e/secret.txt", "/%252e%252e/secret.txt", "/..;/secret.txt",
             "/.%2e/secret.txt", "/%c0%ae%c0%ae/secret.txt", "/etc/passwd", "/.git/config",
             "/~root", "/index.html%00.txt", "/index.html/.", "/survey/%2f%2f", "/%2f",
             "/%2fetc%2fpasswd", "/survey//../secret.txt", "/web/../secret.txt",
             "/app.css/../../secret.txt", "/" + "../" * 50 + "etc/passwd",
             "/%2e%2e%5c%2e%2e%5csecret.txt", "/proc/self/environ", "/survey/.", "/.env"]
    for server in ("main", "webdir"):
        for p in paths:
            add(cat, "%s %s" % (server, p[:60]), req("GET", p), {400, 404}, server=server)
    add(cat, "webdir /api/../secret.txt", req("GET", "/api/../secret.txt"), {400, 404},
        server="webdir")
    add(cat, "webdir /api/v1/../../healthz", req("GET", "/api/v1/../../healthz"), {400, 404},
        server="webdir")

    # -- invitation links /e/{token}
    cat = "token-link"
    wrong = [("empty", ""), ("31 hex", tok[:31]), ("33 hex", tok + "0"), ("64 hex", tok * 2),
             ("1000 hex", "a" * 1000), ("non-hex", "g" * 32), ("wrong token", "0" * 32),
             ("revoked", revoked), ("with spaces", "%20" + tok[:31]), ("SQL quote", "%27%20OR%20%271%27=%271"),
             ("SQL comment", tok[:28] + "'--"), ("unicode", "%C3%A9" * 16), ("raw unicode", "é" * 16),
             ("CRLF injection", tok + "%0d%0aSet-Cookie:%20a=b"), ("NUL inside", tok[:16] + "%00" + tok[17:]),
             ("percent-encoded hex", "".join("%%%02x" % ord(c) for c in "0" * 32)),
             ("trailing slash", tok + "/"), ("extra segment", tok + "/x"),
             ("dot segments", "../e/" + tok[:27]), ("long garbage", "x" * 15000),
             ("minus", "-" * 32), ("tab", "%09" * 32), ("wrong case of a wrong token", "A" * 32)]
    for name, t in wrong:
        add(cat, "/e/ %s" % name, req("GET", "/e/" + t), {400, 404, 413, 414, 431, BAD})
    add(cat, "/e/ HEAD wrong token", req("HEAD", "/e/" + "0" * 32), {404}, head=True)

    # -- Bearer tokens
    cat = "token-bearer"
    bearer = [("empty", "Bearer "), ("scheme only", "Bearer"), ("31 hex", "Bearer " + tok[:31]),
              ("33 hex", "Bearer " + tok + "0"), ("64 hex", "Bearer " + tok * 2),
              ("1000 chars", "Bearer " + "a" * 1000), ("non-hex", "Bearer " + "g" * 32),
              ("upper case", "Bearer " + tok.upper()), ("wrong", "Bearer " + "0" * 32),
              ("revoked", "Bearer " + revoked), ("unicode", "Bearer " + "é" * 16),
              ("SQL quote", "Bearer ' OR '1'='1"), ("SQL in hex length", "Bearer " + "0" * 28 + "'--'"),
              ("two tokens", "Bearer " + tok + " " + tok), ("comma list", "Bearer " + tok + ", Bearer x"),
              ("NUL after", b"Bearer " + tok.encode() + b"\x00"), ("NUL inside", b"Bearer \x00" + tok.encode()),
              ("Basic", "Basic eDp5"), ("Digest", "Digest username=x"), ("token alone", tok),
              ("empty header", ""), ("0xff", b"Bearer \xff" * 4), ("tab and junk", "Bearer\t" + tok + "x"),
              ("no space", "Bearer" + tok), ("colon", "Bearer:" + tok)]
    for name, v in bearer:
        add(cat, "Bearer %s (GET me)" % name, req("GET", ME, [("Authorization", v)]),
            {400, 401, BAD} if b"\x00" not in b(v) else {200, 400, 401, BAD},
            note=NUL_NOTE if b"\x00" in b(v) else None)
    for name, v in bearer[:12]:
        add(cat, "Bearer %s (PUT)" % name,
            req("PUT", A1, [("Authorization", v), J], '{"importance":1}'), {400, 401})

    # -- session cookies
    cat = "cookie"
    for name, v in (("empty", "delphi_session="), ("63 hex", "delphi_session=" + "a" * 63),
                    ("65 hex", "delphi_session=" + "a" * 65), ("non-hex", "delphi_session=" + "z" * 64),
                    ("SQL", "delphi_session=' OR 1=1 --"), ("token as a session", "delphi_session=" + tok),
                    ("quoted", 'delphi_session="' + "a" * 64 + '"'), ("many cookies", "; ".join("c%d=v" % i for i in range(500))),
                    ("duplicate", "delphi_session=%s; delphi_session=%s" % ("a" * 64, "b" * 64)),
                    ("unicode", "delphi_session=" + "é" * 32), ("name only", "delphi_session"),
                    ("semicolons", ";;;;;;"), ("long value", "delphi_session=" + "a" * 10000)):
        add(cat, "cookie %s" % name, req("GET", ME, [("Cookie", v)]), {400, 401})
    add(cat, "cookie PUT without CSRF", req("PUT", A1, [("Cookie", "delphi_session=" + "a" * 64), J],
                                            '{"importance":1}'), {401, 403})

    # -- bodies
    cat = "body"
    big = b'{"comment":"' + b"x" * (1 << 20) + b'"}'
    add(cat, "1 MiB body", put(big), {413, BAD})
    add(cat, "300 KB body", put(b'{"c":"' + b"x" * 300000 + b'"}'), {413, BAD})
    add(cat, "100 KB body", put(b'{"c":"' + b"x" * 100000 + b'"}'), {413})
    add(cat, "Content-Length 10^9, nothing sent",
        req("PUT", A1, [AUTH, J, ("Content-Length", "1000000000")], length=False), {413, BAD})
    add(cat, "Content-Length larger than the body",
        req("PUT", A1, [AUTH, J, ("Content-Length", "100")], '{"importance":1}', length=False),
        {408, BAD}, close_within=TIMEOUT + 3)
    add(cat, "Content-Length smaller than the body",
        req("PUT", A1, [AUTH, J, ("Content-Length", "5")], '{"importance":1}', length=False),
        {400}, more=[{400, BAD}])
    add(cat, "Content-Length 0 with a body",
        req("PUT", A1, [AUTH, J, ("Content-Length", "0")], '{"importance":1}', length=False),
        {400}, more=[{400, BAD}])
    add(cat, "GET with a body", req("GET", "/healthz", [J], '{"a":1}'), {200, 400})

    def chunked(chunks, extra=b"0\r\n\r\n", headers=()):
        body = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks) + extra
        return req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked"), *headers], body,
                   length=False)
    add(cat, "chunked, invalid answer", chunked([b'{"importance"', b":9}"]), {422})
    add(cat, "chunked, 300 KB", chunked([b"x" * 30000] * 10), {413, BAD})
    add(cat, "chunked, 100 KB", chunked([b"x" * 10000] * 10), {413})
    add(cat, "chunked, size not hex",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked")], b"zz\r\nabc\r\n0\r\n\r\n",
            length=False), {400, 413, BAD}, note=CHUNK_NOTE)
    add(cat, "chunked, negative size",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked")], b"-1\r\nabc\r\n0\r\n\r\n",
            length=False), {400, 413, BAD}, note=CHUNK_NOTE)
    add(cat, "chunked, size 2^64-1",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked")],
            b"ffffffffffffffff\r\nabc\r\n", length=False), {400, 413, BAD})
    add(cat, "chunked, size 2^63",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked")],
            b"8000000000000000\r\nabc\r\n", length=False), {400, 413, BAD})
    add(cat, "chunked, size line of 20000 bytes",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked")], b"1" * 20000 + b"\r\n",
            length=False), {400, 413, BAD}, close_within=TIMEOUT + 3)
    add(cat, "chunked, no last chunk", chunked([b'{"importance":9}'], extra=b""),
        {408, BAD}, close_within=TIMEOUT + 3)
    add(cat, "chunked, extensions", chunked([b'{"importance":9}'], extra=b"0;a=b\r\n\r\n"),
        {400, 413, 422}, note=CHUNK_NOTE)
    add(cat, "chunked, trailer", chunked([b'{"importance":9}'], extra=b"0\r\nX-T: 1\r\n\r\n"),
        {400, 422})
    add(cat, "chunked and Content-Length (smuggling)",
        req("PUT", A1, [AUTH, J, ("Content-Length", "4"), ("Transfer-Encoding", "chunked")],
            b"0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", length=False),
        {400}, more=[{200, 400, BAD}])
    add(cat, "Transfer-Encoding: CHUNKED", req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "CHUNKED")],
                                               b"3\r\n{}x\r\n0\r\n\r\n", length=False),
        {400, 411, 501, BAD})
    add(cat, "Transfer-Encoding: chunked, gzip",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked, gzip")], b"0\r\n\r\n",
            length=False), {400, 411, 501, BAD})
    add(cat, "Transfer-Encoding twice",
        req("PUT", A1, [AUTH, J, ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "identity")],
            b"2\r\n{}\r\n0\r\n\r\n", length=False), {200, 400, BAD})

    # -- slow and partial requests (the servers run with --timeout 3)
    cat = "slow"
    add(cat, "half a request line, then silence", b"GET /heal", {408, BAD}, close_within=TIMEOUT + 3)
    add(cat, "headers without the blank line", b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        {408, BAD}, close_within=TIMEOUT + 3)
    add(cat, "nothing at all after the handshake", b"", {408, BAD}, close_within=TIMEOUT + 3)
    add(cat, "half a body, then silence", req("PUT", A1, [AUTH, J, ("Content-Length", "1000")],
                                              b'{"importance":', length=False),
        {408, BAD}, close_within=TIMEOUT + 3)

    def check_others(port, res):
        if not serverlib.healthz(port, timeout=2):
            res.error = "/healthz not answered while a slow client dribbles"
    add(cat, "dribbled headers, a byte a second for 6 s", [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"] +
        [b"X"] * 6 + [b": y\r\n\r\n"], {200, 408, BAD}, gap=1.0, read_timeout=15, during=check_others)
    add(cat, "partial TLS record", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        {BAD}, tcp=True, close_within=TIMEOUT + 3)

    # -- garbage before, between and after requests
    cat = "pipeline"
    ok = req("GET", "/healthz")
    add(cat, "garbage after a request", ok + b"\x00\x01\x02\x03garbage\r\n\r\n", {200},
        more=[{400, BAD}])
    add(cat, "binary garbage alone", bytes(range(256)) * 4, {400, BAD}, close_within=TIMEOUT + 3)
    add(cat, "a request after a rejected body", put('{"importance":9}') + ok, {422}, more=[{200}])
    add(cat, "a request after a 413", put(b'{"c":"' + b"x" * 70000 + b'"}') + ok, {413},
        more=[{200, BAD}])
    add(cat, "a request after a 404", req("GET", "/nothing") + ok, {404}, more=[{200}])
    add(cat, "a request after Connection: close", req(headers=[("Connection", "close")]) + ok,
        {200}, more=[{BAD}])
    add(cat, "a request after HTTP/1.0", req(version="HTTP/1.0") + ok, {200}, more=[{BAD}])
    add(cat, "a request after a 401", req("GET", ME) + ok, {401}, more=[{200}])
    add(cat, "50 pipelined requests", ok * 50, {200}, more=[{200}] * 49)
    add(cat, "a valid request after garbage", b"\x16\x03garbage\r\n\r\n" + ok, {400, BAD},
        more=[{200, BAD}])
    add(cat, "HEAD then GET", req("HEAD", "/healthz") + ok, {200}, more=[{200}], head=True)
    add(cat, "a request after a libevent 400", req("GET", "/healthz", version="HTTP/7") + ok,
        {400, 505, BAD}, more=[{200, BAD}])
    add(cat, "a 16 KB header line in the middle", ok + b"GET /healthz HTTP/1.1\r\nX: " +
        b"a" * 17000 + b"\r\n\r\n" + ok, {200}, more=[{400, 413, 431, BAD}, {200, BAD}])
    add(cat, "a request in 1-byte pieces", [bytes([c]) for c in ok], {200}, gap=0.001)
    add(cat, "requests split mid-header", [ok[:10], ok[10:25], ok[25:] + ok], {200},
        more=[{200}], gap=0.2)

    # -- not TLS at all
    cat = "not-tls"
    add(cat, "plaintext HTTP", ok, {BAD}, tcp=True, close_within=3)
    add(cat, "random bytes", os.urandom(2048), {BAD}, tcp=True, close_within=3)
    add(cat, "SSLv2 ClientHello", bytes.fromhex("80 2e 01 0002 0015 0000 0010 0100 80 0700 c0 "
                                                "0300 80 0200 80 0600 40 0400 80 0800 80".replace(
                                                    " ", "")) + os.urandom(16),
        {BAD}, tcp=True, close_within=3)
    add(cat, "TLS record of length 0", b"\x16\x03\x03\x00\x00", {BAD}, tcp=True, close_within=5)
    add(cat, "TLS alert before a handshake", b"\x15\x03\x03\x00\x02\x02\x28", {BAD}, tcp=True,
        close_within=3)
    add(cat, "huge TLS record length", b"\x16\x03\x03\xff\xff" + b"\x00" * 100, {BAD}, tcp=True,
        close_within=5)
    add(cat, "NUL bytes", b"\x00" * 4096, {BAD}, tcp=True, close_within=3)

    # -- routes
    cat = "route"
    for name, t in (("empty topic", "/api/v1/answers/"), ("dot topic", "/api/v1/answers/%2e%2e"),
                    ("long topic", "/api/v1/answers/" + "A" * 10000),
                    ("unicode topic", "/api/v1/answers/%E2%98%83"), ("topic with slash",
                                                                     "/api/v1/answers/AI-01/x"),
                    ("encoded slash", "/api/v1/answers/AI-01%2fx"), ("SQL topic",
                                                                     "/api/v1/answers/AI-01'%20OR%20'1'='1"),
                    ("double slash", "/api/v1//answers/AI-01"), ("trailing slash", A1 + "/"),
                    ("upper-case path", "/API/V1/ANSWERS/AI-01"), ("dot segment", "/api/v1/./answers/AI-01"),
                    ("backslash", "/api/v1/answers\\AI-01"), ("unknown version", "/api/v2/answers/AI-01"),
                    ("unknown API", "/api/v1/admin"), ("lower-case topic", "/api/v1/answers/ai-01")):
        add(cat, "PUT %s" % name, req("PUT", t, [AUTH, J], '{"importance":1}'), {400, 404, 405, 413, 414, 431})
    add(cat, "feedback of an unknown topic", req("GET", "/api/v1/feedback/%27", [AUTH]), {404, 409})
    add(cat, "HEAD me without credentials", req("HEAD", ME), {401}, head=True)
    add(cat, "repeated query parameters", req("GET", ME + "?" + "a=1&" * 1000, [AUTH]), {200, 400})
    add(cat, "metrics with a hostile query", req("GET", "/metrics?name=%00%ff"), {200, 400})
    return C


def sql_dump(db, what):
    p = subprocess.run(["sqlite3", db, what], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("sqlite3 %s: %s" % (what, p.stderr.decode(errors="replace")))
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delphi", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--only", default=None)
    ap.add_argument("--jobs", type=int, default=8)
    a = ap.parse_args()
    db = os.path.join(a.dir, "delphi.db")
    tokens = serverlib.make_survey(a.delphi, db, 4)
    serverlib.cli(a.delphi, db, "experts", "revoke", "--survey", serverlib.SLUG, "X4")
    site = os.path.join(a.dir, "site")
    shutil.copytree(os.path.join(serverlib.ROOT, "web"), os.path.join(site, "web"))
    with open(os.path.join(site, "secret.txt"), "wb") as f:
        f.write(SECRET + b"\n")
    common = ["--threads", "2", "--timeout", str(TIMEOUT), "--max-connections", "200"]
    servers = {
        "main": serverlib.Server(a.delphi, db, a.dir, "main", common, valgrind=a.valgrind),
        "webdir": serverlib.Server(a.delphi, db, a.dir, "webdir",
                                   common + ["--web-dir", os.path.join(site, "web")],
                                   valgrind=a.valgrind),
    }
    for s in servers.values():
        s.start()
    port = servers["main"].port
    failures = []
    # The legitimate requests, before the dump: two saves.
    for eid, topic in (("X1", "AI-01"), ("X2", "EN-01")):
        st, _, body = serverlib.request(port, "PUT", "/api/v1/answers/" + topic, {
            "Authorization": "Bearer " + tokens[eid], "Content-Type": "application/json"},
            b'{"importance":3,"tech_year":2030,"comment":"legit"}', timeout=60)
        if st != 200:
            failures.append("legit save %s %s: %d %r" % (eid, topic, st, body[:200]))
    before = sql_dump(db, ".dump answers")
    all_cases = cases(tokens["X1"], tokens["X4"])
    if a.only:
        all_cases = [c for c in all_cases if c.cat == a.only]
    per_cat = {}
    libevent = []
    lenient = {}
    t0 = time.monotonic()
    hz_timeout = 10 * (10 if a.valgrind else 1)

    def run(c):
        srv = servers[c.server]
        res = exchange(srv.port, c)
        problems = judge(c, res)
        if not serverlib.healthz(srv.port, timeout=hz_timeout):
            problems.append("the server no longer answers /healthz")
        if not srv.alive():
            problems.append("the server died")
        return res, problems

    # Several cases at a time (most of the time goes to the ones that wait for --timeout);
    # every case still gets its own connection and its own /healthz afterwards.
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(run, all_cases))
    for c, (res, problems) in zip(all_cases, results):
        per_cat[c.cat] = per_cat.get(c.cat, 0) + 1
        got = " ".join("%d%s" % (r[0], "*" if is_libevent_page(r) else "")
                       for r in res.replies) or "closed"
        if any(is_libevent_page(r) for r in res.replies):
            libevent.append("%s: %s -> %s" % (c.cat, c.name, got))
        if c.note:
            lenient.setdefault(c.note, []).append("%s -> %s" % (c.name, got))
        if a.verbose:
            print("%-13s %-55s -> %s%s%s" % (
                c.cat, c.name[:55], got,
                " closed@%.1fs" % res.close_after if res.closed else "",
                "  FAIL: " + "; ".join(problems) if problems else ""), flush=True)
        for p in problems:
            failures.append("%s: %s: %s" % (c.cat, c.name, p))
    sent = len(all_cases)
    after = sql_dump(db, ".dump answers")
    if after != before:
        failures.append("the stored answers changed")
    sessions = sql_dump(db, "SELECT count(*) FROM sessions").strip()
    if sessions != b"0":
        failures.append("%s session(s) were made" % sessions.decode())
    for name, s in servers.items():
        rc = s.stop()
        if rc != 0:
            failures.append("server %s: exit status %s after SIGTERM" % (name, rc))
        for r in s.sanitizer_reports():
            failures.append("server %s: sanitizer: %s" % (name, r))
    print("hostile requests by category: " + ", ".join(
        "%s %d" % kv for kv in per_cat.items()))
    print("answered by libevent itself (* = its own HTML page, without our headers): %d"
          % len(libevent))
    for l in libevent:
        print("  " + l)
    for note, names in lenient.items():
        print("accepted because %s:" % note)
        for n in names:
            print("  " + n)
    for f in failures:
        print("FAIL: " + f)
    print("hostile: %d requests, %d failed (%.1f s)" % (sent, len(failures), time.monotonic() - t0))
    return 1 if failures or sent < 200 and not a.only else 0


if __name__ == "__main__":
    sys.exit(main())
