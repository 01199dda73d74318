-- How far each stream's slots are planned: the planner enqueues the slots
-- after planned_until and moves it, in one transaction, so a slot is
-- enqueued once whichever replica plans and however often.
CREATE TABLE schedule_streams (
    department    TEXT NOT NULL,
    source        TEXT NOT NULL,
    stream        TEXT NOT NULL,
    planned_until TIMESTAMPTZ,
    PRIMARY KEY (department, source, stream)
);

-- How each scheduled slot ended: one row per slot, written by the job that
-- finished it (succeeded, failed, timed_out, or skipped when the stream was
-- busy until the slot's end). run_id is the ledger's run, NULL when none.
CREATE TABLE schedule_slots (
    id          BIGSERIAL PRIMARY KEY,
    department  TEXT NOT NULL,
    source      TEXT NOT NULL,
    stream      TEXT NOT NULL,
    slot        TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL,
    run_id      BIGINT,
    job_id      BIGINT NOT NULL,
    attempt     INTEGER NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX schedule_slots_slot ON schedule_slots (department, source, stream, slot);
