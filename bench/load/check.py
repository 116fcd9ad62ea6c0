#!/usr/bin/env python3
"""bench/load/check.py — did the database keep every acknowledged save of the load benchmark?

  check.py EXPERTS.csv ANSWERS.csv ACKS1 [ACKS2 ...]

EXPERTS.csv: `delphi experts list` (id,...,pseudonym). ANSWERS.csv: `delphi answers export
--round 1` (round,pseudonym,sector,topic,field,expertise,question,value). ACKSn: what
answers.lua wrote for each wrk run, in the order the runs were made: "ID,TOPIC,RUN-T-N", the last
acknowledged save of each (expert, topic) key in that run.

A save is identified by its comment "bench RUN-T-N"; its other values follow from N exactly as in
answers.lua (body()). Saves of one key are ordered by run, then by N (one key is only ever written
by one wrk thread, never twice at once). For every key with an acknowledged save:
  ok      the database holds that save, every question as sent;
  later   the database holds a later save of the key that was sent but never acknowledged (in
          flight when wrk stopped, or timed out): nothing acknowledged is lost;
  torn    the comment is the last acknowledged one but some other value differs;
  lost    the database holds an older save, or none.
Keys the load saved to but never had acknowledged (unacked: all their saves were in flight at the
end) are counted too. Prints one line of counts, "acknowledged-saves: keys=K ok=A later=B torn=C
lost=D unacked=E", then a few examples of torn or lost keys. Exit status 0 when torn and lost are
0, else 1.
"""
import csv
import re
import sys

MEASURES = ("human_resources", "funding", "infrastructure", "collaboration", "international",
            "regulation", "elsi", "commercialization")
TAG = re.compile(r"^bench ([A-Za-z0-9_]+)-(\d+)-(\d+)$")


def expected(run, tid, n):
    """The values answers.lua's body(n) sent, in export's text form (measures as a set)."""
    tech = 2025 + n % 26
    social = min(tech + n % 5, 2050)
    m1 = MEASURES[n % 8]
    m2 = MEASURES[(n * 3 + 1) % 8]
    ms = {m1} if (m1 == m2 or n % 3 == 0) else {m1, m2}
    return {"expertise": str(1 + n % 3), "importance": str(1 + n % 4),
            "competitiveness": str(1 + (n // 4) % 4), "tech_year": str(tech),
            "social_year": str(social), "measures": ms, "comment": f"bench {run}-{tid}-{n}"}


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    with open(argv[1], newline="") as f:
        pseudonym = {row["pseudonym"]: row["id"] for row in csv.DictReader(f)}
    stored = {}
    with open(argv[2], newline="") as f:
        for row in csv.DictReader(f):
            key = (pseudonym.get(row["pseudonym"], "?"), row["topic"])
            v = row["value"]
            stored.setdefault(key, {})[row["question"]] = (
                set(v.split(";")) if row["question"] == "measures" and v else v)
    runs = {}
    last = {}  # key -> (run index, n, run, tid)
    for path in argv[3:]:
        with open(path) as f:
            for line in f:
                eid, topic, tag = line.rstrip("\n").split(",")
                run, tid, n = tag.rsplit("-", 2)
                ri = runs.setdefault(run, len(runs))
                cand = (ri, int(n), run, int(tid))
                key = (eid, topic)
                if key not in last or cand[:2] > last[key][:2]:
                    last[key] = cand
    counts = {"ok": 0, "later": 0, "torn": 0, "lost": 0}
    bad = []
    for key, (ri, n, run, tid) in sorted(last.items()):
        have = stored.get(key, {})
        m = TAG.match(have.get("comment", ""))
        if not m:
            verdict = "lost"
        else:
            sri = runs.get(m.group(1), -1)
            sn = int(m.group(3))
            if (sri, sn) == (ri, n):
                verdict = "ok" if have == expected(run, tid, n) else "torn"
            elif (sri, sn) > (ri, n):
                verdict = "later"
            else:
                verdict = "lost"
        counts[verdict] += 1
        if verdict in ("torn", "lost") and len(bad) < 5:
            bad.append(f"  {verdict}: {key[0]} {key[1]}: acknowledged bench {run}-{tid}-{n}, "
                       f"stored {have.get('comment', 'nothing')}")
    unacked = sum(1 for key, have in stored.items()
                  if key not in last and TAG.match(have.get("comment", "")))
    print("acknowledged-saves: keys=%d ok=%d later=%d torn=%d lost=%d unacked=%d"
          % (len(last), counts["ok"], counts["later"], counts["torn"], counts["lost"], unacked))
    for b in bad:
        print(b)
    return 0 if counts["torn"] == 0 and counts["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
