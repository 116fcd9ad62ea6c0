#!/usr/bin/env python3
"""bench/load/prep.py — input files of the load benchmark (bench/load.sh).

  prep.py experts SURVEY.json N             > experts.csv   (delphi experts import format)
  prep.py tokens SURVEY.json experts.csv links.csv > tokens.txt

experts: N synthetic experts load-1..load-N, each in one or two fields of the survey (so each
answers 10 to 20 topics of the sample survey), plus an expert "probe" in every field whom the
benchmark uses for its single probing requests (never for the load itself).
tokens: one line per load-N expert for answers.lua, "ID TOKEN TOPIC,TOPIC,...", the topics being
those of the expert's fields; ID and TOKEN from the links CSV that `delphi experts import` prints
(id,token,link).
"""
import csv
import json
import sys

SECTORS = ("academia", "industry", "government", "other")


def fields_of(i, codes):
    """The fields of expert i (0-based): one, and a second for i = 2, 3 (mod 4)."""
    n = len(codes)
    first = i % n
    out = [codes[first]]
    if (i // 2) % 2 == 1 and n > 1:
        second = (i * 7 + 3) % n
        if second == first:
            second = (first + 1) % n
        out.append(codes[second])
    return out


def experts(survey, n):
    codes = [f["code"] for f in survey["fields"]]
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "name", "email", "sector", "fields"])
    for i in range(n):
        w.writerow([f"load-{i + 1}", f"Load Expert {i + 1}", "", SECTORS[i % len(SECTORS)],
                    ";".join(fields_of(i, codes))])
    w.writerow(["probe", "Probe Expert", "", "other", ";".join(codes)])


def tokens(survey, experts_csv, links_csv):
    topics = {}
    for t in survey["topics"]:
        topics.setdefault(t["field"], []).append(t["code"])
    with open(links_csv, newline="") as f:
        token = {row["id"]: row["token"] for row in csv.DictReader(f)}
    with open(experts_csv, newline="") as f:
        for row in csv.DictReader(f):
            if not row["id"].startswith("load-"):
                continue
            ts = [t for fld in row["fields"].split(";") for t in topics.get(fld, [])]
            print(row["id"], token[row["id"]], ",".join(ts))


def main(argv):
    if len(argv) == 4 and argv[1] == "experts":
        with open(argv[2]) as f:
            experts(json.load(f), int(argv[3]))
    elif len(argv) == 5 and argv[1] == "tokens":
        with open(argv[2]) as f:
            tokens(json.load(f), argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
