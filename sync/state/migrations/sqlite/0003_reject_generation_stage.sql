-- seen_generation: the full-refresh generation that last read the rejected
-- row; a completed full refresh removes the rejects of rows it did not see
-- (they left the source). stage: where the record failed: 'read' (the
-- connector could not read it), 'map' (mapping or validation) or 'write'
-- (the national store refused it); a retry re-maps only what a mapping can fix.
ALTER TABLE rejects ADD COLUMN seen_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rejects ADD COLUMN stage TEXT NOT NULL DEFAULT 'map';
