-- national_seen records which source keys a full-refresh generation read
-- and found unchanged (or read but could not deliver: Touch), one row per
-- batch with the batch's keys in an array. A record the generation rewrote
-- carries the generation in seen_generation as before; a record it found
-- unchanged is no longer rewritten to stamp it, which cost a new version
-- of every record (and its WAL) on a refresh that changed nothing. The
-- records a completed generation did not see are the live records of the
-- stream with neither mark. A generation's rows are removed when the
-- stream's next generation marks its deletions, so a refresh resumed after
-- a crash still finds them.
CREATE TABLE national_seen (
    department  text   NOT NULL,
    source      text   NOT NULL,
    stream      text   NOT NULL,
    generation  bigint NOT NULL,
    source_keys text[] NOT NULL
);

CREATE INDEX national_seen_generation ON national_seen (department, source, stream, generation);

-- The insert-only path copies new records straight into the table and lets
-- the server stamp them with the transaction's time, as the upsert does.
ALTER TABLE national_records ALTER COLUMN first_synced_at SET DEFAULT now();
ALTER TABLE national_records ALTER COLUMN last_synced_at SET DEFAULT now();
