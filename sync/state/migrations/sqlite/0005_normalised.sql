-- What the mapping did to the values of each field over the run, so a
-- department sees what lienthong changed in its data: JSON
-- {"field": {"repaired": n, "reformatted": n, "rejected": n}}, summed batch
-- by batch in the transaction that commits each batch's counts.
ALTER TABLE runs ADD COLUMN normalised TEXT NOT NULL DEFAULT '{}';
