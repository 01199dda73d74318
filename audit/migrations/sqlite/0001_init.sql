-- audit_log is the append-only record of every read of a citizen's data
-- through the pre-fill API: who asked, about whom, for which form and
-- purpose, and which fields were returned (names only, never values).
--
-- Entries form a hash chain: hash = SHA-256(prev_hash || the entry's
-- canonical JSON), so an edited, removed or reordered entry breaks the
-- chain at that entry. seq is assigned by the appender in an immediate
-- transaction (SQLite's single writer), with no gaps. Times are UTC text
-- of a fixed width, so they sort as they compare.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    client    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    form      TEXT    NOT NULL,
    fields    TEXT    NOT NULL,
    purpose   TEXT    NOT NULL,
    reference TEXT    NOT NULL,
    request_id TEXT   NOT NULL,
    prev_hash BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB    NOT NULL CHECK (length(hash) = 32)
);

-- A citizen's access report: their entries, in order.
CREATE INDEX audit_log_subject ON audit_log (subject, seq);

-- audit_head is the chain's last entry, one row; a log whose last entries
-- were deleted no longer ends where its head says.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB    NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- audit_checkpoints copies the chain head every so many entries (and the
-- server logs each one), so removing entries and rewriting the head still
-- shows against an earlier checkpoint.
CREATE TABLE audit_checkpoints (
    seq  INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL CHECK (length(hash) = 32),
    at   TEXT    NOT NULL
);
