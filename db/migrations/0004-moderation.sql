-- delphi schema, version 4: the moderation of comments (answers to text questions).
-- A comment of round r reaches the experts of round r + 1 (GET /api/v1/feedback/{topic}) only
-- once a coordinator has approved it in the console. One row per moderated answer; no row means
-- "pending". text is the answer's text as it was when the decision was made: an approval holds
-- only while the answer still reads the same, so a comment edited after its approval (its round
-- still open, or reopened) is pending again. decided_by is the actor ("user:NAME").
CREATE TABLE comment_moderation (
  round_id     INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  topic_id     INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
  question_id  INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
  expert_id    INTEGER NOT NULL REFERENCES experts(id) ON DELETE CASCADE,
  status       TEXT NOT NULL CHECK (status IN ('approved', 'hidden')),
  text         TEXT NOT NULL,
  decided_by   TEXT NOT NULL,
  decided_at   TEXT NOT NULL,
  seq          INTEGER NOT NULL, -- order of decisions; repeating a decision keeps its place
  PRIMARY KEY (round_id, topic_id, question_id, expert_id)
) WITHOUT ROWID;
CREATE INDEX comment_moderation_by_topic ON comment_moderation (round_id, topic_id, status, seq);
