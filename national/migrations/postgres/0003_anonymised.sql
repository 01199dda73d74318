-- anonymised_at: when a record marked deleted lost its personal data after
-- the deleted-records retention. Its data became '{}' and its natural key a
-- random 'anonymised:' key; provenance, content hash and times stay.
ALTER TABLE national_records ADD COLUMN anonymised_at timestamptz;

-- The deleted records still holding personal data, by stream and deletion
-- time: what a retention pass looks for. Anonymised and live records stay
-- out of it, so it stays small.
CREATE INDEX national_records_deleted
    ON national_records (department, source, stream, deleted_at)
    WHERE deleted_at IS NOT NULL AND anonymised_at IS NULL;
