-- Run ledger: one row per run of a stream. Counts are added batch by batch in
-- the same transaction as the checkpoint, so they always add up.
CREATE TABLE runs (
    id           BIGSERIAL PRIMARY KEY,
    department   TEXT NOT NULL,
    source       TEXT NOT NULL,
    stream       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    status       TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    heartbeat_at TIMESTAMPTZ NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    generation   BIGINT NOT NULL DEFAULT 0,
    read         BIGINT NOT NULL DEFAULT 0,
    inserted     BIGINT NOT NULL DEFAULT 0,
    updated      BIGINT NOT NULL DEFAULT 0,
    unchanged    BIGINT NOT NULL DEFAULT 0,
    rejected     BIGINT NOT NULL DEFAULT 0,
    deleted      BIGINT NOT NULL DEFAULT 0,
    null_cursor  BIGINT NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
);
-- At most one running run per stream, whatever the number of replicas.
CREATE UNIQUE INDEX runs_one_running ON runs (department, source, stream) WHERE status = 'running';
CREATE INDEX runs_stream ON runs (department, source, stream, id);

CREATE TABLE stream_state (
    department      TEXT NOT NULL,
    source          TEXT NOT NULL,
    stream          TEXT NOT NULL,
    checkpoint      TEXT,
    generation      BIGINT NOT NULL DEFAULT 0,
    full_generation BIGINT NOT NULL DEFAULT 0,
    full_checkpoint TEXT,
    last_success_at TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (department, source, stream)
);

-- Records that could not be delivered, with why. One row per source record:
-- reprocessing replaces it, and a later successful delivery removes it.
CREATE TABLE rejects (
    department    TEXT NOT NULL,
    source        TEXT NOT NULL,
    stream        TEXT NOT NULL,
    source_key    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    raw           TEXT NOT NULL,
    field         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    message       TEXT NOT NULL,
    violations    TEXT NOT NULL,
    run_id        BIGINT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (department, source, stream, source_key)
);
CREATE INDEX rejects_reason ON rejects (department, source, stream, reason);
