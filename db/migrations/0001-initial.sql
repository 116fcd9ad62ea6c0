-- delphi schema, version 1. Applied in order at start; PRAGMA user_version records the last
-- migration applied (this file sets 1). Times are UTC text 'YYYY-MM-DDTHH:MM:SSZ'.

-- One row per loaded survey definition. definition is the JSON text as loaded, re-parsed with
-- survey_load_string whenever the model is needed; the tables below mirror its codes so that
-- answers can reference them with foreign keys.
CREATE TABLE surveys (
  id          INTEGER PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE,
  definition  TEXT NOT NULL,
  loaded_at   TEXT NOT NULL
);

CREATE TABLE fields (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  code       TEXT NOT NULL,
  position   INTEGER NOT NULL,
  UNIQUE (survey_id, code)
);

CREATE TABLE topics (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  field_id   INTEGER NOT NULL REFERENCES fields(id),
  code       TEXT NOT NULL,
  position   INTEGER NOT NULL,
  UNIQUE (survey_id, code)
);

CREATE TABLE questions (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('ordinal', 'year', 'multi', 'text')),
  position   INTEGER NOT NULL,
  UNIQUE (survey_id, key)
);

-- Invited experts. The invitation token is never stored: token_hash is its SHA-256.
-- pseudonym is random and stable: exports use it in place of ext_id.
CREATE TABLE experts (
  id          INTEGER PRIMARY KEY,
  survey_id   INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  ext_id      TEXT NOT NULL,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL,
  sector      TEXT NOT NULL CHECK (sector IN ('academia', 'industry', 'government', 'other')),
  token_hash  BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  pseudonym   TEXT NOT NULL UNIQUE,
  revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (survey_id, ext_id)
);

CREATE TABLE expert_fields (
  expert_id  INTEGER NOT NULL REFERENCES experts(id) ON DELETE CASCADE,
  field_id   INTEGER NOT NULL REFERENCES fields(id) ON DELETE CASCADE,
  PRIMARY KEY (expert_id, field_id)
) WITHOUT ROWID;

CREATE TABLE rounds (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  number     INTEGER NOT NULL CHECK (number >= 1),
  state      TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
  opened_at  TEXT,
  closed_at  TEXT,
  close_at   TEXT, -- scheduled close, if any
  UNIQUE (survey_id, number)
);

-- Who may answer a round: every expert in round 1; in round r + 1 the respondents of round r
-- (or everyone, per the definition's rounds.invite). Filled when a round opens.
CREATE TABLE invitations (
  round_id   INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  expert_id  INTEGER NOT NULL REFERENCES experts(id) ON DELETE CASCADE,
  PRIMARY KEY (round_id, expert_id)
) WITHOUT ROWID;

-- One row per round x topic x question x expert. The primary key's order is the aggregator's
-- scan order (and pairs experts across rounds by a merge on expert_id).
-- num: ordinal label value, year, or multi option mask; special: a special answer; text: text
-- answers (and reasons).
CREATE TABLE answers (
  round_id     INTEGER NOT NULL REFERENCES rounds(id),
  topic_id     INTEGER NOT NULL REFERENCES topics(id),
  question_id  INTEGER NOT NULL REFERENCES questions(id),
  expert_id    INTEGER NOT NULL REFERENCES experts(id),
  num          INTEGER,
  special      TEXT CHECK (special IN ('dont_know', 'already', 'never')),
  text         TEXT,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (round_id, topic_id, question_id, expert_id),
  CHECK ((special IS NULL) + (num IS NULL) + (text IS NULL) = 2)
) WITHOUT ROWID;
CREATE INDEX answers_by_expert ON answers (expert_id, round_id, topic_id);

-- The aggregator's output: one row per round x topic x question x option x group.
-- option is '' except for multi questions (one row per option). grp is 'all', 'expert',
-- 'academia', 'industry', 'government' or 'other'. distribution is JSON {"label or year": count}.
-- NULL where a statistic does not apply or is undefined.
CREATE TABLE stats (
  round_id         INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  topic_id         INTEGER NOT NULL REFERENCES topics(id),
  question_id      INTEGER NOT NULL REFERENCES questions(id),
  option           TEXT NOT NULL DEFAULT '',
  grp              TEXT NOT NULL,
  n                INTEGER NOT NULL,
  dont_know        REAL,
  already          REAL,
  never            REAL,
  mean             REAL,
  sd               REAL,
  q1               REAL,
  median           REAL,
  q3               REAL,
  iqr              REAL,
  idx              REAL,
  agreement        REAL,
  share            REAL,
  consensus        INTEGER,
  n_paired         INTEGER,
  changed          REAL,
  mean_abs_change  REAL,
  wilcoxon_z       REAL,
  wilcoxon_p       REAL,
  distribution     TEXT,
  PRIMARY KEY (round_id, topic_id, question_id, option, grp)
) WITHOUT ROWID;

CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  role           TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'planner')),
  password_hash  TEXT NOT NULL, -- pbkdf2-sha256$iterations$salt-hex$hash-hex
  disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at     TEXT NOT NULL
);

-- Sessions of users (console) and experts (after following an invitation link).
-- Only the SHA-256 of the session id is stored.
CREATE TABLE sessions (
  id_hash       BLOB PRIMARY KEY CHECK (length(id_hash) = 32),
  user_id       INTEGER REFERENCES users(id) ON DELETE CASCADE,
  expert_id     INTEGER REFERENCES experts(id) ON DELETE CASCADE,
  csrf_token    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  last_seen_at  TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  CHECK ((user_id IS NULL) <> (expert_id IS NULL))
);

CREATE TABLE audit_log (
  id       INTEGER PRIMARY KEY,
  at       TEXT NOT NULL,
  actor    TEXT NOT NULL, -- "cli", "user:NAME", "expert:PSEUDONYM", "system"
  action   TEXT NOT NULL, -- e.g. "survey.load", "round.open"
  detail   TEXT NOT NULL DEFAULT '',
  address  TEXT NOT NULL DEFAULT ''
);
