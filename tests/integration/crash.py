#!/usr/bin/env python3
"""crash.py — crash consistency of `delphi serve` under concurrent answer saves.

  crash.py --delphi BIN --dir DIR [--kills N] [--seconds S] [--clients C] [--experts E]

Makes a database in DIR with the CLI test survey (3 topics), E experts (Bearer tokens from
`delphi experts import`) and round 1 open. Then, N times: starts the server (port 0; every
other start with --durability full), lets C client threads save answers over HTTPS keep-alive
for a random time (uniform, mean S/N seconds), and kills it with SIGKILL. After each kill a
copy of the crashed files (database and WAL, as the kill left them) is checked; the server
restarts on the crashed files themselves, so every start also recovers a crash.

The saves: each client owns its experts, so each key (expert x topic) is written by one thread,
one save at a time, in order; save number n of a key (counted over the whole run) sets every
question to values that follow from n, with the comment "crash ID TOPIC n" identifying it
(every fifth save also removes `measures` with null). What is checked, for every key, after
every kill (the idea of bench/load/check.py):
  ok      the copy holds the last save acknowledged with 200, every question as sent;
  later   it holds a later save that was sent but not acknowledged (in flight at the kill);
  torn    the comment is one that was sent, but some other value differs from that save's;
  lost    it holds an earlier save, or none, or one that was never sent.
Keys with saves sent but none acknowledged yet are counted as unacked. Also after every kill:
PRAGMA integrity_check on the copy is "ok" and `delphi check` on it exits 0; at the end the
server starts once more, answers /healthz, stops with SIGTERM (exit 0), and the final database
passes the same checks. Exit status 0 when nothing was torn or lost, no check failed and no
reply was wrong (a 2xx other than 200, a 200 with other answers than sent, any status other
than 200 or 503); otherwise 1.

Prints one line per kill and a summary:
  crash: kills=N saves-sent=S saves-acknowledged=A saves-checked=C ok=.. later=.. torn=0 lost=0 ...
where saves-checked counts, over all kills, the keys whose last acknowledged save was looked for
(ok + later + torn + lost).
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

TOPICS = ("AI-01", "AI-02", "EN-01")
MEASURES = ("collaboration", "funding", "regulation")  # the definition's order: mask bits 0..2


def body_of(eid, topic, n):
    """Save n of a key: the body sent, and what the database must then hold for the key
    ({question key: num or text}; measures as its bit mask, absent when removed)."""
    tech = 2025 + n % 16
    social = min(tech + n % 5, 2040)
    mask = n % 8
    comment = "crash %s %s %d" % (eid, topic, n)
    body = {"expertise": 1 + n % 3, "importance": 1 + n % 4, "tech_year": tech,
            "social_year": social, "comment": comment}
    if n % 5 == 0:
        body["measures"] = None
        want = {k: v for k, v in body.items() if v is not None}
    else:
        body["measures"] = [MEASURES[i] for i in range(3) if mask >> i & 1]
        want = dict(body)
        want["measures"] = mask
    return body, want


class State:
    """Saves sent and acknowledged, per key, over the whole run (each key has one writer)."""

    def __init__(self):
        self.next_n = {}   # key -> the number of its next save
        self.sent = {}     # key -> highest save number sent
        self.acked = {}    # key -> highest save number acknowledged
        self.n_sent = 0
        self.n_acked = 0
        self.n_503 = 0
        self.errors = []   # wrong replies
        self.lock = threading.Lock()

    def error(self, text):
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(text)
            else:
                self.errors.append(None)


def client(port, keys, tokens, st, stop, rng):
    """Saves to its keys until stop is set; a key whose save got no reply is not used again in
    this server's life (a reconnected save could overtake it)."""
    usable = list(keys)
    conn = None
    while not stop.is_set() and usable:
        key = rng.choice(usable)
        eid, topic = key
        n = st.next_n.get(key, 1)
        st.next_n[key] = n + 1
        body, want = body_of(eid, topic, n)
        st.sent[key] = n
        with st.lock:
            st.n_sent += 1
        try:
            if conn is None:
                conn = serverlib.connect(port, timeout=10)
            conn.request("PUT", "/api/v1/answers/" + topic, body=json.dumps(body),
                         headers={"Authorization": "Bearer " + tokens[eid],
                                  "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
        except Exception:  # killed, reset, timed out: the save may or may not be stored
            if conn is not None:
                conn.close()
            conn = None
            usable.remove(key)
            if not stop.is_set():
                time.sleep(0.05)
            continue
        if r.status == 200:
            try:
                got = json.loads(data)
                ans = got["answers"]
                ok = got["topic"] == topic and ans.get("comment") == body["comment"]
            except (ValueError, KeyError, TypeError):
                ok = False
            if ok:
                st.acked[key] = n
                with st.lock:
                    st.n_acked += 1
            else:
                st.error("%s %s save %d: 200 with a reply not matching: %r" % (eid, topic, n,
                                                                                data[:200]))
        elif r.status == 503:
            with st.lock:
                st.n_503 += 1
        else:
            st.error("%s %s save %d: status %d: %r" % (eid, topic, n, r.status, data[:200]))
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


def stored_answers(path):
    """{(expert id, topic): {question: num or text or special}} in round 1 of the copy."""
    db = sqlite3.connect(path, timeout=30)
    try:
        rows = db.execute(
            "SELECT e.ext_id, t.code, q.key, a.num, a.special, a.text FROM answers a "
            "JOIN experts e ON e.id = a.expert_id JOIN topics t ON t.id = a.topic_id "
            "JOIN questions q ON q.id = a.question_id JOIN rounds r ON r.id = a.round_id "
            "WHERE r.number = 1").fetchall()
        integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()
    out = {}
    for eid, topic, q, num, special, text in rows:
        out.setdefault((eid, topic), {})[q] = num if num is not None else (
            special if special is not None else text)
    return out, integrity


def verify(path, st, delphi, counts, problems):
    """Checks the database at path against st; adds to counts; appends to problems."""
    stored, integrity = stored_answers(path)
    if integrity != ["ok"]:
        problems.append("integrity_check: %s" % integrity[:5])
    rc, out, err = serverlib.cli(delphi, path, "check", check=False)
    if rc != 0:
        problems.append("delphi check exit %d: %s %s" % (rc, out[-500:], err[-500:]))
    for key in sorted(set(st.sent) | set(stored)):
        eid, topic = key
        have = stored.get(key, {})
        comment = have.get("comment")
        sn = None
        if isinstance(comment, str):
            parts = comment.split(" ")
            if len(parts) == 4 and parts[:3] == ["crash", eid, topic] and parts[3].isdigit():
                sn = int(parts[3])
        sent = st.sent.get(key, 0)
        acked = st.acked.get(key)
        if have and (sn is None or sn > sent or sn < 1):
            verdict = "lost"  # something that was never sent
        elif sn is not None and have != body_of(eid, topic, sn)[1]:
            verdict = "torn"
        elif acked is None:
            verdict = "unacked"
        elif sn == acked:
            verdict = "ok"
        elif sn is not None and sn > acked:
            verdict = "later"
        else:
            verdict = "lost"
        counts[verdict] = counts.get(verdict, 0) + 1
        if verdict in ("torn", "lost") and len(problems) < 30:
            problems.append("%s: %s %s: acknowledged %s, sent up to %d, stored %r" % (
                verdict, eid, topic, acked, sent, have))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delphi", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=12.0, help="total time under load")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--experts", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    db = os.path.join(a.dir, "delphi.db")
    tokens = serverlib.make_survey(a.delphi, db, a.experts)
    ids = sorted(tokens, key=lambda s: int(s[1:]))
    keys_of = [[] for _ in range(a.clients)]
    for i, eid in enumerate(ids):
        for topic in TOPICS:
            keys_of[i % a.clients].append((eid, topic))
    st = State()
    counts = {}
    problems = []
    mean = a.seconds / max(a.kills, 1)
    t_start = time.monotonic()
    print("crash: seed %d, %d kills, mean uptime %.2f s, %d clients, %d experts x %d topics"
          % (seed, a.kills, mean, a.clients, len(ids), len(TOPICS)), flush=True)
    for k in range(1, a.kills + 1):
        args = ["--threads", str(a.threads), "--timeout", "10"]
        if k % 2 == 0:
            args += ["--durability", "full"]
        srv = serverlib.Server(a.delphi, db, a.dir, "server", args).start()
        stop = threading.Event()
        acked0 = st.n_acked
        threads = [threading.Thread(target=client, daemon=True,
                                    args=(srv.port, keys_of[c], tokens, st, stop,
                                          random.Random(rng.random())))
                   for c in range(a.clients) if keys_of[c]]
        for t in threads:
            t.start()
        up = rng.uniform(0.1 * mean, 1.9 * mean)
        time.sleep(up)
        srv.kill()  # SIGKILL, then waits for the process
        stop.set()
        for t in threads:
            t.join(20)
            if t.is_alive():
                problems.append("a client thread did not end within 20 s of the kill")
        for r in srv.sanitizer_reports():
            problems.append("sanitizer: " + r)
        # A copy of what the kill left (no process has the files open now).
        snap = os.path.join(a.dir, "snap.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(snap + suffix):
                os.remove(snap + suffix)
        shutil.copyfile(db, snap)
        if os.path.exists(db + "-wal"):
            shutil.copyfile(db + "-wal", snap + "-wal")
        before = dict(counts)
        verify(snap, st, a.delphi, counts, problems)
        print("kill %d after %.2f s: %d saves acknowledged in this run; keys %s" % (
            k, up, st.n_acked - acked0,
            " ".join("%s=%d" % (v, counts.get(v, 0) - before.get(v, 0))
                     for v in ("ok", "later", "unacked", "torn", "lost"))), flush=True)
    # The final start recovers the last crash; a clean stop; the final file is checked too.
    srv = serverlib.Server(a.delphi, db, a.dir, "server", ["--threads", str(a.threads)]).start()
    if not serverlib.healthz(srv.port):
        problems.append("the final server does not answer /healthz")
    rc = srv.stop()
    if rc != 0:
        problems.append("the final server exited with %s after SIGTERM" % rc)
    for r in srv.sanitizer_reports():
        problems.append("sanitizer: " + r)
    final = {}
    verify(db, st, a.delphi, final, problems)
    errors = [e for e in st.errors if e]
    checked = sum(counts.get(v, 0) for v in ("ok", "later", "torn", "lost"))
    print("crash: kills=%d saves-sent=%d saves-acknowledged=%d saves-503=%d saves-checked=%d "
          "ok=%d later=%d unacked=%d torn=%d lost=%d wrong-replies=%d final: %s (%.1f s)" % (
              a.kills, st.n_sent, st.n_acked, st.n_503, checked,
              counts.get("ok", 0), counts.get("later", 0), counts.get("unacked", 0),
              counts.get("torn", 0), counts.get("lost", 0), len(st.errors),
              " ".join("%s=%d" % kv for kv in sorted(final.items())),
              time.monotonic() - t_start))
    for p in problems[:30]:
        print("FAIL: " + p)
    for e in errors[:10]:
        print("FAIL: wrong reply: " + e)
    if st.n_acked == 0:
        print("FAIL: no save was acknowledged")
    bad = problems or st.errors or st.n_acked == 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
