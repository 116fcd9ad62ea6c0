#!/usr/bin/env python3
"""bench/load/idle.py — resident memory per idle keep-alive TLS connection of a server.

  idle.py --port PORT --pid PID [--count 1000] [--token TOKEN --topics T1,T2,...] [--hold S]

Reads the server's VmRSS (/proc/PID/status) and its open descriptors, then opens COUNT TLS
connections to 127.0.0.1:PORT one after another; on each it completes one request and keeps the
connection open (HTTP/1.1 keep-alive): with --token, an expert's save PUT /api/v1/answers/TOPIC
(Authorization: Bearer TOKEN, topics taken in turn), else GET /healthz. After all are open it waits
a second, reads VmRSS again, checks how many connections the server still holds open (an idle
connection the server closed reads as EOF), optionally holds them --hold more seconds, then closes
them. Prints a human line and a machine line:
  idle: conns=N alive=A rss_before_kb=X rss_after_kb=Y per_conn_kib=Z fds_before=F fds_after=G
Exit status 1 if a request failed.
"""
import argparse
import json
import resource
import select
import socket
import ssl
import sys
import time


def vmrss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def nfds(pid):
    import os
    return len(os.listdir(f"/proc/{pid}/fd"))


def read_response(s):
    """Reads one HTTP/1.1 response with a Content-Length body; returns (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response headers")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for h in lines[1:]:
        name, _, value = h.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed inside the response body")
        body += chunk
    return status, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--token")
    ap.add_argument("--topics", default="ICT-01")
    ap.add_argument("--hold", type=float, default=0)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.count + 1024), hard))

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed
    topics = a.topics.split(",")

    before = vmrss_kb(a.pid)
    fds_before = nfds(a.pid)
    conns = []
    t0 = time.monotonic()
    for i in range(a.count):
        raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        if a.token:
            body = json.dumps({"importance": 1 + i % 4, "comment": f"idle {i}"}).encode()
            req = (f"PUT /api/v1/answers/{topics[i % len(topics)]} HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{a.port}\r\nAuthorization: Bearer {a.token}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                   ).encode() + body
        else:
            req = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\n\r\n".encode()
        s.sendall(req)
        status, _ = read_response(s)
        if status != 200:
            print(f"idle: request {i + 1} answered {status}", file=sys.stderr)
            return 1
        conns.append(s)
    opened = time.monotonic() - t0
    time.sleep(1.0)
    after = vmrss_kb(a.pid)
    fds_after = nfds(a.pid)
    # An idle keep-alive connection has nothing to read unless the server closed it (EOF).
    readable, _, _ = select.select([c for c in conns if not c.pending()], [], [], 0)
    alive = len(conns) - len(readable)
    per_conn = (after - before) / len(conns)
    print(f"idle: {len(conns)} keep-alive TLS connections opened in {opened:.1f} s "
          f"({'PUT /api/v1/answers' if a.token else 'GET /healthz'} on each), {alive} still open; "
          f"server RSS {before} kB -> {after} kB, {per_conn:.1f} KiB per connection")
    print(f"idle: conns={len(conns)} alive={alive} rss_before_kb={before} rss_after_kb={after} "
          f"per_conn_kib={per_conn:.1f} fds_before={fds_before} fds_after={fds_after}")
    sys.stdout.flush()
    if a.hold > 0:
        time.sleep(a.hold)
    for c in conns:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
