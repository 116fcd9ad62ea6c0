-- delphi schema, version 2: an expert's reason for an answer.
-- From round 2 on, an expert whose answer lies outside the previous round's Q1..Q3 may give a
-- short reason for it (the survey definition's rounds.reason_outside_iqr; docs/api.md, the
-- "reasons" member of PUT /api/v1/answers/{topic}). It belongs to the answer row it explains:
-- deleting the answer deletes the reason; changing the answer keeps it until the expert changes
-- or removes it. NULL: no reason given.
ALTER TABLE answers ADD COLUMN reason TEXT;
