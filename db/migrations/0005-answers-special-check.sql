-- delphi schema, version 5: the same answers table, its check of special spelled out.
-- SQLite evaluates "special IN ('dont_know', 'already', 'never')" (a list of three or more
-- constants) by building a temporary b-tree for the list every time the check runs: at every
-- insert of an answer (twice in an upsert that updates), which cost more than writing the row
-- itself (bench/load.sh: the writer's work per first save of a topic about halved without it).
-- The comparisons below accept exactly what the list did (NULL included). A CHECK cannot be
-- altered in SQLite, so the table is rebuilt: same columns in the same order (reason last, as
-- migration 0002 added it), same keys, same index; every row is copied as it is.
CREATE TABLE answers_v5 (
  round_id     INTEGER NOT NULL REFERENCES rounds(id),
  topic_id     INTEGER NOT NULL REFERENCES topics(id),
  question_id  INTEGER NOT NULL REFERENCES questions(id),
  expert_id    INTEGER NOT NULL REFERENCES experts(id),
  num          INTEGER,
  special      TEXT CHECK (special = 'dont_know' OR special = 'already' OR special = 'never'),
  text         TEXT,
  updated_at   TEXT NOT NULL,
  reason       TEXT,
  PRIMARY KEY (round_id, topic_id, question_id, expert_id),
  CHECK ((special IS NULL) + (num IS NULL) + (text IS NULL) = 2)
) WITHOUT ROWID;
INSERT INTO answers_v5 (round_id, topic_id, question_id, expert_id, num, special, text,
                        updated_at, reason)
  SELECT round_id, topic_id, question_id, expert_id, num, special, text, updated_at, reason
  FROM answers;
DROP TABLE answers;
ALTER TABLE answers_v5 RENAME TO answers;
CREATE INDEX answers_by_expert ON answers (expert_id, round_id, topic_id);
