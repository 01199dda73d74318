-- The registry (times are UTC text of a fixed width): departments, their sources (spec and sealed secret),
-- streams (spec), versioned mappings and the change log. origin is "file"
-- (declared in file, written by lienthong apply) or "api"; a spec is JSON
-- written by the registry package. A secret is the AES-256-GCM ciphertext
-- (nonce first) under the operator's key secret_key_id, never the clear
-- text.
CREATE TABLE registry_departments (
    name       TEXT        PRIMARY KEY,
    title      TEXT        NOT NULL DEFAULT '',
    origin     TEXT        NOT NULL CHECK (origin IN ('file', 'api')),
    file       TEXT        NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE registry_sources (
    department        TEXT        NOT NULL REFERENCES registry_departments (name) ON DELETE CASCADE,
    name              TEXT        NOT NULL,
    kind              TEXT        NOT NULL,
    spec              TEXT        NOT NULL,
    origin            TEXT        NOT NULL CHECK (origin IN ('file', 'api')),
    file              TEXT        NOT NULL DEFAULT '',
    revision          INTEGER     NOT NULL,
    secret_key_id     text,
    secret            BLOB,
    secret_updated_at TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (department, name)
);

CREATE TABLE registry_streams (
    department     TEXT        NOT NULL,
    source         TEXT        NOT NULL,
    name           TEXT        NOT NULL,
    spec           TEXT        NOT NULL,
    origin         TEXT        NOT NULL CHECK (origin IN ('file', 'api')),
    file           TEXT        NOT NULL DEFAULT '',
    revision       INTEGER     NOT NULL,
    active_mapping integer     NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (department, source, name),
    FOREIGN KEY (department, source) REFERENCES registry_sources (department, name) ON DELETE CASCADE
);

CREATE TABLE registry_mappings (
    department TEXT        NOT NULL,
    source     TEXT        NOT NULL,
    stream     TEXT        NOT NULL,
    version    integer     NOT NULL,
    kind       TEXT        NOT NULL DEFAULT '',
    sha256     TEXT        NOT NULL,
    body       TEXT        NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT        NOT NULL,
    PRIMARY KEY (department, source, stream, version),
    FOREIGN KEY (department, source, stream) REFERENCES registry_streams (department, source, name) ON DELETE CASCADE
);

-- The change log outlives what it describes: no foreign keys.
CREATE TABLE registry_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT        NOT NULL,
    department TEXT        NOT NULL DEFAULT '',
    action     TEXT        NOT NULL,
    object     TEXT        NOT NULL,
    detail     text
);
CREATE INDEX registry_changes_department ON registry_changes (department, id);
