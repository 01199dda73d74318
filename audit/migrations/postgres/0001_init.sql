-- audit_log is the append-only record of every read of a citizen's data
-- through the pre-fill API: who asked, about whom, for which form and
-- purpose, and which fields were returned (names only, never values).
--
-- Entries form a hash chain: hash = SHA-256(prev_hash || the entry's
-- canonical JSON), so an edited, removed or reordered entry breaks the
-- chain at that entry. seq is assigned by the appender under the lock of
-- audit_head, with no gaps.
CREATE TABLE audit_log (
    seq       bigint      PRIMARY KEY,
    at        timestamptz NOT NULL,
    client    text        NOT NULL,
    subject   text        NOT NULL,
    form      text        NOT NULL,
    fields    text        NOT NULL,
    purpose   text        NOT NULL,
    reference text        NOT NULL,
    request_id text       NOT NULL,
    prev_hash bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash      bytea       NOT NULL CHECK (length(hash) = 32)
);

-- A citizen's access report: their entries, in order.
CREATE INDEX audit_log_subject ON audit_log (subject, seq);

-- audit_head is the chain's last entry, one row. Appenders lock it (SELECT
-- ... FOR UPDATE) in the transaction that inserts, so every replica appends
-- to the one chain; a log whose last entries were deleted no longer ends
-- where its head says.
CREATE TABLE audit_head (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint  NOT NULL,
    hash bytea   NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- audit_checkpoints copies the chain head every so many entries (and the
-- server logs each one), so removing entries and rewriting the head still
-- shows against an earlier checkpoint.
CREATE TABLE audit_checkpoints (
    seq  bigint      PRIMARY KEY,
    hash bytea       NOT NULL CHECK (length(hash) = 32),
    at   timestamptz NOT NULL
);
