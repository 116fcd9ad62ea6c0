-- delphi schema, version 6: finding the rounds whose scheduled close has come.
-- `delphi serve` closes an open round once its close_at has passed (server/schedule.c), and looks
-- for such rounds every second: "state = 'open' AND close_at IS NOT NULL AND close_at <= now".
-- This partial index holds only the open rounds with a scheduled close, ordered by that time, so
-- the look is one short index range however many rounds the store has run; it costs nothing for
-- the other rounds. Times are the schema's fixed-width UTC text, so text order is time order.
CREATE INDEX rounds_due ON rounds (close_at) WHERE state = 'open' AND close_at IS NOT NULL;
