-- delphi schema, version 3: the e-mails sent to experts (invitations and reminders).
-- One row per message attempted (`delphi experts invite` / `remind`): to whom, for which round
-- (0 when no round was open), what kind, and how it went: sent (the relay accepted it),
-- refused (the relay refused the recipient or the message for good) or failed (a temporary
-- refusal, a lost connection, a login the relay refused, ...). detail is the relay's reply or
-- what went wrong; never a token or a password. Every mail carries a freshly issued link, so
-- experts.token_hash changes exactly when a row with status 'sent' is written.
CREATE TABLE mail_log (
  id         INTEGER PRIMARY KEY,
  survey_id  INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  expert_id  INTEGER NOT NULL REFERENCES experts(id) ON DELETE CASCADE,
  round      INTEGER NOT NULL DEFAULT 0 CHECK (round >= 0),
  kind       TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
  status     TEXT NOT NULL CHECK (status IN ('sent', 'refused', 'failed')),
  detail     TEXT NOT NULL DEFAULT '',
  at         TEXT NOT NULL
);
CREATE INDEX mail_log_by_expert ON mail_log (expert_id, id);
CREATE INDEX mail_log_by_survey ON mail_log (survey_id, id);
