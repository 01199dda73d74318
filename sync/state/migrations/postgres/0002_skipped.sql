-- Records a mapping's skip condition leaves out on purpose are counted, so
-- read = inserted + updated + unchanged + rejected + skipped.
ALTER TABLE runs ADD COLUMN skipped BIGINT NOT NULL DEFAULT 0;
