#!/usr/bin/env python3
"""slow.py — slow clients must not keep a normal client waiting.

  slow.py --delphi BIN --dir DIR [--conns 1000] [--interval 2] [--hold 10] [--limit 1.0]

Starts the server (--max-connections 2000, --timeout 30, 2 threads, the open-file limit raised
for it and for this process) on a database with the CLI test survey and round 1 open. Opens
--conns TLS connections that each send the start of a request and then one more byte of a
header every --interval seconds (slowloris: each byte restarts the server's read timeout, so
none of them is ever closed for idling). While they are all connected (checked with /metrics:
delphi_http_open_connections), a normal client measures curl's time_total for GET /healthz and
for a PUT of an answer (Bearer token), several times over --hold seconds; every one must be
answered within --limit seconds. The figures without the slow clients are measured first, for
comparison. At the end the slow connections are still open (the server did not drop them to
cope), the server stops with SIGTERM (exit 0) and its stderr holds no sanitizer report.

Prints the timings and "slow: N connections held, M requests, max X s"; exit status 0 when all
is well.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402


def curl_time(port, method, path, headers=(), body=None):
    """(HTTP status, time_total in seconds) of one curl request (at most 10 s)."""
    cmd = ["curl", "-sk", "-m", "10", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
           "-X", method]
    for h in headers:
        cmd += ["-H", h]
    if body is not None:
        cmd += ["--data-binary", body]
    cmd.append("https://127.0.0.1:%d%s" % (port, path))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    code, t = p.stdout.split()
    return int(code), float(t)


def open_slow(port, n, out, errors):
    """Opens n slow connections into out: each sends a request line and the start of a
    header."""
    for i in range(n):
        try:
            s = serverlib.tls_socket(port, timeout=20)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            out.append(s)
        except OSError as e:
            errors.append(str(e))


def rss_kib(pid):
    """The resident set size of process pid in KiB (0 if unknown)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_connections(port):
    _, _, body = serverlib.request(port, "GET", "/metrics", timeout=10)
    m = re.search(rb"^delphi_http_open_connections (\d+)", body, re.M)
    return int(m.group(1)) if m else -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delphi", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--hold", type=float, default=10.0)
    ap.add_argument("--limit", type=float, default=1.0)
    a = ap.parse_args()
    nofile = serverlib.raise_nofile(a.conns + 1024)
    failures = []
    if nofile < a.conns + 100:
        print("FAIL: the open-file limit is %d, too low for %d connections" % (nofile, a.conns))
        return 1
    db = os.path.join(a.dir, "delphi.db")
    tokens = serverlib.make_survey(a.delphi, db, 2)
    srv = serverlib.Server(a.delphi, db, a.dir, "server",
                           ["--threads", "2", "--max-connections", "2000", "--timeout", "30"],
                           nofile=a.conns + 1024).start()
    port = srv.port
    auth = "Authorization: Bearer " + tokens["X1"]
    jt = "Content-Type: application/json"
    base = {"healthz": [], "put": []}     # without the slow clients
    timings = {"healthz": [], "put": []}  # with them
    n_req = [0]

    def measure(label, into):
        for i in range(3):
            code, t = curl_time(port, "GET", "/healthz")
            n_req[0] += 1
            if code != 200:
                failures.append("%s: GET /healthz answered %d" % (label, code))
            into["healthz"].append(t)
            body = json.dumps({"importance": 1 + i % 4, "comment": "slow %s %d" % (label, i)})
            code, t = curl_time(port, "PUT", "/api/v1/answers/AI-01", [auth, jt], body)
            n_req[0] += 1
            if code != 200:
                failures.append("%s: PUT answered %d" % (label, code))
            into["put"].append(t)

    measure("warm-up", {"healthz": [], "put": []})
    measure("baseline", base)

    rss0 = rss_kib(srv.proc.pid)
    # The slow clients, opened by 8 threads.
    socks, errors = [], []
    t0 = time.monotonic()
    per = [a.conns // 8 + (1 if i < a.conns % 8 else 0) for i in range(8)]
    ths = [threading.Thread(target=open_slow, args=(port, k, socks, errors)) for k in per]
    for t in ths:
        t.start()
    for t in ths:
        t.join(300)
    opened = time.monotonic() - t0
    if errors:
        failures.append("%d slow connections could not be opened: %s" % (len(errors), errors[0]))
    stop = threading.Event()
    broken = []

    def dribble():
        while not stop.is_set():
            for s in list(socks):
                if s in broken:
                    continue
                try:
                    s.sendall(b"a")
                except OSError:
                    broken.append(s)
            stop.wait(a.interval)

    d = threading.Thread(target=dribble, daemon=True)
    d.start()
    held = open_connections(port)
    rss1 = rss_kib(srv.proc.pid)
    if held < a.conns:
        failures.append("the server counts %d open connections, expected at least %d"
                        % (held, a.conns))
    t_end = time.monotonic() + a.hold
    while time.monotonic() < t_end:
        measure("with %d slow clients" % len(socks), timings)
        time.sleep(0.5)
    still = open_connections(port)
    stop.set()
    d.join(30)
    if broken:
        failures.append("%d slow connections were closed by the server" % len(broken))
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    rc = srv.stop()
    if rc != 0:
        failures.append("exit status %s after SIGTERM" % rc)
    for r in srv.sanitizer_reports():
        failures.append("sanitizer: " + r)
    worst = max(timings["healthz"] + timings["put"]) if timings["put"] else -1
    for k in ("healthz", "put"):
        slow = [t for t in timings[k] if t > a.limit]
        if slow:
            failures.append("%d of %d %s requests took more than %.1f s (max %.3f s)"
                            % (len(slow), len(timings[k]), k, a.limit, max(slow)))
    print("slow: %d connections opened in %.1f s, %d open at the start of the hold and %d at "
          "its end (by /metrics); a byte each every %.1f s" % (len(socks), opened, held, still,
                                                               a.interval))
    if rss0 and rss1 and socks:
        print("slow: server RSS %d -> %d KiB with them: %.1f KiB per slow connection"
              % (rss0, rss1, (rss1 - rss0) / len(socks)))
    for k in ("healthz", "put"):
        print("slow: %-7s without: max %.3f s; with the slow clients: %d requests, median %.3f s,"
              " max %.3f s" % (k, max(base[k]), len(timings[k]),
                               sorted(timings[k])[len(timings[k]) // 2], max(timings[k])))
    for f in failures:
        print("FAIL: " + f)
    print("slow: %d connections held, %d requests, max %.3f s" % (len(socks), n_req[0], worst))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
