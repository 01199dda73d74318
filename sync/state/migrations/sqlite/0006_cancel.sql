-- A request to cancel a running run, from any replica or the API: the run's
-- heartbeat sees it, stops at its next batch boundary and ends cancelled.
ALTER TABLE runs ADD COLUMN cancel_requested_at TIMESTAMP;
ALTER TABLE runs ADD COLUMN cancel_requested_by TEXT NOT NULL DEFAULT '';
