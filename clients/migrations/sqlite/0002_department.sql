-- A department's token belongs to one department and holds only the
-- department scopes (sources:read, runs:write, ...); a portal client's
-- department is empty. Names stay unique over the whole register, so a
-- name on its own names one token in lienthong clients and in the log.
ALTER TABLE api_clients ADD COLUMN department TEXT NOT NULL DEFAULT '';
CREATE INDEX api_clients_department ON api_clients (department, name);
