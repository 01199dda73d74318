-- api_clients are the callers of the HTTP API that hold a token: portal
-- clients now, departments later. A token is shown once when made and kept
-- only as its SHA-256 hash. scopes and forms are space-separated lists;
-- an empty forms list lets the client fill every form. Times are UTC text
-- of a fixed width.
CREATE TABLE api_clients (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    scopes     TEXT    NOT NULL,
    forms      TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
