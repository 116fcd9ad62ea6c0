"""serverlib — shared helpers of the Python integration drivers (crash.py, hostile.py, slow.py).

Starts the real `delphi serve` ($DELPHI) on 127.0.0.1 with port 0 and a database of its own,
prepares a survey with experts through the command line, and talks HTTPS to it without
certificate verification (the server makes a self-signed certificate at first start). Every
network call has a timeout; Server.stop() and Server.kill() never leave a process behind, and
atexit kills whatever is still running.

Nothing here is specific to one test: each driver decides what to send and what to expect.
"""
import atexit
import http.client
import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI_SURVEY = os.path.join(ROOT, "tests", "data", "cli", "survey.json")
SLUG = "cli-test"
URL_LINE = re.compile(r"^delphi serve: https://127\.0\.0\.1:(\d+)/$", re.M)
SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                       r"==\d+== (Invalid|Conditional|Syscall|Use of uninitialised)")

_live = []


def _kill_all():
    for p in _live:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(_kill_all)


def _terminated(signum, frame):
    raise SystemExit(1)  # so that atexit kills the servers (timeout(1) sends SIGTERM)


signal.signal(signal.SIGTERM, _terminated)


def clean_env():
    """The environment without DELPHI_* settings (a test sets what it means)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DELPHI_")}


def raise_nofile(want):
    """Raises this process's open-file limit to want (at most the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cli(delphi, db, *args, stdin=None, check=True, timeout=120):
    """Runs `delphi --db DB ARGS`; returns (exit code, stdout, stderr)."""
    p = subprocess.run([delphi, "--db", db, *args], input=stdin, capture_output=True, text=True,
                       env=clean_env(), timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("delphi %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.returncode, p.stdout, p.stderr


def make_survey(delphi, db, n_experts, open_round=True):
    """A new database with the CLI test survey (topics AI-01, AI-02, EN-01), n_experts experts
    (ids X1..Xn) and round 1 open. Returns {expert id: invitation token}."""
    cli(delphi, db, "init")
    cli(delphi, db, "survey", "load", CLI_SURVEY)
    rows = ["id,name,email,sector,fields"]
    sectors = ("academia", "industry", "government", "other")
    for i in range(1, n_experts + 1):
        rows.append("X%d,Expert %d,,%s,%s" % (i, i, sectors[i % 4], "AI" if i % 2 else "EN"))
    _, out, _ = cli(delphi, db, "experts", "import", "--survey", SLUG, "-",
                    stdin="\n".join(rows) + "\n")
    tokens = {}
    for line in out.splitlines():
        parts = line.split(",")
        if len(parts) >= 2 and re.fullmatch(r"[0-9a-f]{32}", parts[1]):
            tokens[parts[0]] = parts[1]
    if len(tokens) != n_experts:
        raise RuntimeError("experts import printed %d tokens, expected %d" % (len(tokens),
                                                                              n_experts))
    if open_round:
        cli(delphi, db, "round", "open", "--survey", SLUG)
    return tokens


class Server:
    """One `delphi serve` process on 127.0.0.1:0 with its output in files under logdir."""

    def __init__(self, delphi, db, logdir, name="server", args=(), valgrind=False,
                 start_timeout=60, nofile=None):
        self.delphi, self.db, self.name = delphi, db, name
        self.args = list(args)
        self.valgrind = valgrind
        self.start_timeout = start_timeout * (10 if valgrind else 1)
        self.nofile = nofile
        self.out_path = os.path.join(logdir, name + ".out")
        self.err_path = os.path.join(logdir, name + ".err")
        self.proc = None
        self.port = None

    def start(self):
        """Starts the server and waits until it printed its URL. Raises if it does not."""
        cmd = [self.delphi, "--db", self.db, "serve", "--listen", "127.0.0.1:0", *self.args]
        if self.valgrind:
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect", *cmd]
        nofile = self.nofile
        seen = os.path.getsize(self.out_path) if os.path.exists(self.out_path) else 0

        def pre():
            os.setsid()
            if nofile:
                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

        out = open(self.out_path, "a")
        err = open(self.err_path, "a")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                     env=clean_env(), preexec_fn=pre)
        out.close()
        err.close()
        _live.append(self.proc)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            with open(self.out_path) as f:
                f.seek(seen)
                text = f.read()
            ports = URL_LINE.findall(text)
            if ports:
                self.port = int(ports[-1])
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("%s did not start:\n%s" % (self.name, self.stderr()[-3000:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Sends sig (SIGKILL by default) and, for SIGKILL, waits for the process."""
        if self.alive():
            self.proc.send_signal(sig)
            if sig == signal.SIGKILL:
                self.proc.wait(30)

    def stop(self, timeout=60):
        """SIGTERM; waits up to timeout (ten times that under valgrind), then SIGKILL. Returns
        the exit status (None if it had to be killed)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout * (10 if self.valgrind else 1))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
                return None
        return self.proc.returncode

    def stderr(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sanitizer_reports(self):
        """Lines of the server's stderr that are sanitizer or valgrind error reports."""
        return [l for l in self.stderr().splitlines() if SANITIZER.search(l)]


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_CTX = tls_context()


def connect(port, timeout=10):
    """An HTTPSConnection to the server (not yet connected)."""
    return http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=_CTX)


def request(port, method, path, headers=None, body=None, timeout=10, conn=None):
    """One request; returns (status, {lower-case header: value}, body bytes). Uses conn when
    given (keep-alive), else a new connection that is closed afterwards."""
    own = conn is None
    c = conn or connect(port, timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        if own:
            c.close()


def tls_socket(port, timeout=10):
    """A raw TLS socket to the server (for bytes http.client would refuse to send)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return _CTX.wrap_socket(raw, server_hostname="localhost")
    except Exception:
        raw.close()
        raise


def healthz(port, timeout=10):
    """True when GET /healthz answers 200 {"status":"ok"}."""
    try:
        st, _, body = request(port, "GET", "/healthz", timeout=timeout)
        return st == 200 and body == b'{"status":"ok"}'
    except (OSError, http.client.HTTPException):
        return False
