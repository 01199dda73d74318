-- Runs triggered by hand (the API, any replica) are slots too: their slot
-- is the time they were asked for, and triggered_by names who asked.
ALTER TABLE schedule_slots ADD COLUMN triggered_by TEXT NOT NULL DEFAULT '';
