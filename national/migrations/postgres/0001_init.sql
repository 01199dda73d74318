-- national_records holds every record lienthong delivers, keyed nationally by
-- (kind, natural_key), with the provenance of the source record that owns it.
-- Rows are never removed: a record that left its source keeps its row with
-- deleted_at set, so it can come back and its history stays readable.
--
-- The table is partitioned by kind because volume grows kind by kind. A new
-- kind lands in the default partition; giving it its own partition later
-- means moving its rows out of the default one first.
CREATE TABLE national_records (
    kind            text        NOT NULL,
    natural_key     text        NOT NULL,
    data            jsonb       NOT NULL,
    -- SHA-256 of the canonical JSON as the writer computed it; jsonb does not
    -- keep the bytes, so the hash is compared, never recomputed from data.
    content_hash    bytea       NOT NULL CHECK (length(content_hash) = 32),
    department      text        NOT NULL,
    source          text        NOT NULL,
    stream          text        NOT NULL,
    source_key      text        NOT NULL,
    mapping_version text        NOT NULL,
    first_synced_at timestamptz NOT NULL,
    last_synced_at  timestamptz NOT NULL,
    last_run_id     bigint      NOT NULL,
    seen_generation bigint      NOT NULL DEFAULT 0,
    deleted_at      timestamptz,
    PRIMARY KEY (kind, natural_key)
) PARTITION BY LIST (kind);

-- Every full refresh stamps seen_generation on each unchanged record. That
-- column is in no index, so with free space left on the page the stamp is a
-- HOT update and does not touch the indexes.
CREATE TABLE national_records_person PARTITION OF national_records
    FOR VALUES IN ('person') WITH (fillfactor = 90);
CREATE TABLE national_records_birth_registration PARTITION OF national_records
    FOR VALUES IN ('birth_registration') WITH (fillfactor = 90);
CREATE TABLE national_records_default PARTITION OF national_records
    DEFAULT WITH (fillfactor = 90);

-- The live records of a stream, by source key: finds the record a source
-- record held before its natural key changed, and serves MarkDeleted and
-- Count through its (department, source, stream) prefix. Every reader wants
-- live records only, so deleted ones stay out of the index.
CREATE INDEX national_records_source_key
    ON national_records (department, source, stream, source_key)
    WHERE deleted_at IS NULL;

-- The pre-fill read: live records about a citizen, by personal ID number.
CREATE INDEX national_records_id_number
    ON national_records ((data->>'id_number'))
    WHERE deleted_at IS NULL;
