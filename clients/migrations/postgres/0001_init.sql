-- api_clients are the callers of the HTTP API that hold a token: portal
-- clients now, departments later. A token is shown once when made and kept
-- only as its SHA-256 hash. scopes and forms are space-separated lists;
-- an empty forms list lets the client fill every form.
CREATE TABLE api_clients (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    token_hash bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    scopes     text        NOT NULL,
    forms      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz
);
