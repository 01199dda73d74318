-- What each run's retention pass removed, counted apart from the records it
-- read (read = inserted + updated + unchanged + rejected + skipped does not
-- include them): purged_rejects, stale rejects deleted with their raw
-- records; anonymised, national records marked deleted whose personal data
-- was removed.
ALTER TABLE runs ADD COLUMN purged_rejects BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN anonymised BIGINT NOT NULL DEFAULT 0;
-- Finds a stream's stale rejects without reading the others.
CREATE INDEX rejects_last_seen ON rejects (department, source, stream, last_seen_at);
