-- The registry: departments, their sources (spec and sealed secret),
-- streams (spec), versioned mappings and the change log. origin is "file"
-- (declared in file, written by lienthong apply) or "api"; a spec is JSON
-- written by the registry package. A secret is the AES-256-GCM ciphertext
-- (nonce first) under the operator's key secret_key_id, never the clear
-- text.
CREATE TABLE registry_departments (
    name       text        PRIMARY KEY,
    title      text        NOT NULL DEFAULT '',
    origin     text        NOT NULL CHECK (origin IN ('file', 'api')),
    file       text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE registry_sources (
    department        text        NOT NULL REFERENCES registry_departments (name) ON DELETE CASCADE,
    name              text        NOT NULL,
    kind              text        NOT NULL,
    spec              text        NOT NULL,
    origin            text        NOT NULL CHECK (origin IN ('file', 'api')),
    file              text        NOT NULL DEFAULT '',
    revision          bigint      NOT NULL,
    secret_key_id     text,
    secret            bytea,
    secret_updated_at timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (department, name)
);

CREATE TABLE registry_streams (
    department     text        NOT NULL,
    source         text        NOT NULL,
    name           text        NOT NULL,
    spec           text        NOT NULL,
    origin         text        NOT NULL CHECK (origin IN ('file', 'api')),
    file           text        NOT NULL DEFAULT '',
    revision       bigint      NOT NULL,
    active_mapping integer     NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (department, source, name),
    FOREIGN KEY (department, source) REFERENCES registry_sources (department, name) ON DELETE CASCADE
);

CREATE TABLE registry_mappings (
    department text        NOT NULL,
    source     text        NOT NULL,
    stream     text        NOT NULL,
    version    integer     NOT NULL,
    kind       text        NOT NULL DEFAULT '',
    sha256     text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text        NOT NULL,
    PRIMARY KEY (department, source, stream, version),
    FOREIGN KEY (department, source, stream) REFERENCES registry_streams (department, source, name) ON DELETE CASCADE
);

-- The change log outlives what it describes: no foreign keys.
CREATE TABLE registry_changes (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    department text        NOT NULL DEFAULT '',
    action     text        NOT NULL,
    object     text        NOT NULL,
    detail     text
);
CREATE INDEX registry_changes_department ON registry_changes (department, id);
