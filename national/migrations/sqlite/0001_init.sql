-- national_records holds every record lienthong delivers, keyed nationally by
-- (kind, natural_key), with the provenance of the source record that owns it.
-- Rows are never removed: a record that left its source keeps its row with
-- deleted_at set, so it can come back and its history stays readable.
--
-- Times are UTC text of a fixed width (2006-01-02T15:04:05.000000000Z), so
-- they sort as they compare.
CREATE TABLE national_records (
    kind            TEXT    NOT NULL,
    natural_key     TEXT    NOT NULL,
    data            TEXT    NOT NULL CHECK (json_valid(data)),
    -- SHA-256 of data as the writer computed it.
    content_hash    BLOB    NOT NULL CHECK (length(content_hash) = 32),
    department      TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    stream          TEXT    NOT NULL,
    source_key      TEXT    NOT NULL,
    mapping_version TEXT    NOT NULL,
    first_synced_at TEXT    NOT NULL,
    last_synced_at  TEXT    NOT NULL,
    last_run_id     INTEGER NOT NULL,
    seen_generation INTEGER NOT NULL DEFAULT 0,
    deleted_at      TEXT,
    PRIMARY KEY (kind, natural_key)
);

-- The live records of a stream, by source key: finds the record a source
-- record held before its natural key changed, and serves MarkDeleted and
-- Count through its (department, source, stream) prefix.
CREATE INDEX national_records_source_key
    ON national_records (department, source, stream, source_key)
    WHERE deleted_at IS NULL;

-- The pre-fill read: live records about a citizen, by personal ID number.
-- Queries must spell the expression exactly so for the index to serve them.
CREATE INDEX national_records_id_number
    ON national_records (json_extract(data, '$.id_number'))
    WHERE deleted_at IS NULL;
