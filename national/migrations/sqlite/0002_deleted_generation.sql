-- The full-refresh generation that marked a record deleted, so a refresh
-- resumed after a crash between marking and finishing still reports how
-- many records its generation deleted.
ALTER TABLE national_records ADD COLUMN deleted_generation BIGINT NOT NULL DEFAULT 0;
