// Package config reads lienthong.yaml: the national store, the state store,
// the departments, their sources and streams.
//
// Decoding is strict: an unknown key, a wrong type or a missing required key
// is an error naming the file, the line and the key. Secrets are never in the
// file: a source's DSN comes from an environment variable (dsn_env) or a file
// (dsn_file) that the configuration names, and Load refuses a DSN written
// inline that carries a password.
//
// The package must not open connections: it only reads, checks and resolves.
package config

import "time"

// Config is a decoded lienthong.yaml. Relative paths in it are resolved
// against the directory of the file.
type Config struct {
	// Path is the file the configuration was read from.
	Path string `yaml:"-"`
	// DataDir holds the embedded SQLite store when no DSN is configured.
	// Default: "lienthong-data" beside the configuration file.
	DataDir string `yaml:"data_dir"`
	// National is the national database. Empty means the embedded store.
	National Store `yaml:"national"`
	// State is the state store (run ledger, checkpoints, rejects). Empty
	// means the same database as the national store.
	State Store `yaml:"state"`
	// Batch is the default batching policy of every stream.
	Batch Batch `yaml:"batch"`
	// AdminUnits are the official administrative-unit lists that mappings
	// resolve province and commune names and codes against.
	AdminUnits AdminUnits `yaml:"admin_units"`
	// Serve configures the long-running service, lienthong serve.
	Serve Serve `yaml:"serve"`
	// Ingest makes serve the national ingest service (national_http.go).
	Ingest *Ingest `yaml:"ingest"`
	// Departments are the departments (sở, ngành) that deliver data and
	// that this file declares. Optional: a service may hold only the
	// departments registered through the API (Registration).
	Departments []Department `yaml:"departments"`
	// Registration says what departments may register through the API.
	Registration Registration `yaml:"registration"`
	// Rejects says how long a rejected record, whole raw record with its
	// names and ID numbers, is kept once its source row is no longer read.
	// Default retention: 90 days.
	Rejects RetentionPolicy `yaml:"rejects"`
	// DeletedRecords says how long a national record marked deleted keeps
	// its personal data before only its provenance is left. Default
	// retention: 30 days.
	DeletedRecords RetentionPolicy `yaml:"deleted_records"`
}

// RetentionPolicy bounds how long personal data that is no longer needed
// is kept. Durations accept days: "90d".
type RetentionPolicy struct {
	Retention time.Duration `yaml:"retention"`
}

// Store names a database of lienthong's own.
type Store struct {
	// DSNEnv names the environment variable holding the DSN.
	DSNEnv string `yaml:"dsn_env"`
	// DSNFile names a file whose content (trimmed) is the DSN.
	DSNFile string `yaml:"dsn_file"`
	// DSN is the resolved connection string, never read from the file.
	DSN string `yaml:"-"`
	// HTTP, on national only, reaches the national store over its ingest
	// API instead of a database (national_http.go).
	HTTP *NationalHTTP `yaml:"http"`
}

// AdminUnits names the files of the official administrative-unit lists
// (danh mục đơn vị hành chính). Units changed on 2025-07-01, so a lookup
// needs the lists of both eras and the mapping between them.
type AdminUnits struct {
	// Before is the list in force before 2025-07-01 (63 provinces).
	Before string `yaml:"before"`
	// Current is today's list (34 provinces, no districts).
	Current string `yaml:"current"`
	// OldToNew maps each old unit to the new unit(s) it went into.
	OldToNew string `yaml:"old_to_new"`
	// NewToOld maps each new unit to the old units merged into it; optional.
	NewToOld string `yaml:"new_to_old"`
}

// Configured reports whether the operator gave the unit lists.
func (a AdminUnits) Configured() bool { return a.Before != "" || a.Current != "" }

// Batch is a batching policy: a batch is written when it holds Size records
// or when Period has passed since its first record, whichever comes first.
type Batch struct {
	Size   int           `yaml:"size"`
	Period time.Duration `yaml:"period"`
}

// Department is one department and the sources it registers.
type Department struct {
	// Name is a short identifier, lowercase letters, digits and dashes.
	Name string `yaml:"name"`
	// Title is the department's full name, e.g. "Sở Tư pháp tỉnh Hà Tĩnh".
	Title   string   `yaml:"title"`
	Sources []Source `yaml:"sources"`
}

// Source is one department system.
type Source struct {
	Name string `yaml:"name"`
	// Kind is the connector kind: postgres, sqlite, ...
	Kind string `yaml:"kind"`
	// DSN may be written inline only when it carries no password (a SQLite
	// path, a socket with trust authentication).
	DSN     string `yaml:"dsn"`
	DSNEnv  string `yaml:"dsn_env"`
	DSNFile string `yaml:"dsn_file"`
	// Timeout bounds one query or request; unset, each connector uses its own
	// default (SQL: 5m, HTTP: 30s, programs: 1h).
	Timeout time.Duration `yaml:"timeout"`
	// Options holds connector-specific settings.
	Options map[string]any `yaml:"options"`
	Streams []Stream       `yaml:"streams"`
	// ResolvedDSN is DSN, or the content of DSNEnv or DSNFile.
	ResolvedDSN string `yaml:"-"`
	// Sealed is set on a source read from the registry whose secret is
	// sealed there (registered through the API): it is opened with
	// registry.Store.SourceSecret, never from the environment.
	Sealed bool `yaml:"-"`
	// Origin is set on a source read from the registry: "file" when a
	// configuration file declares it (the operator's), "api" when a
	// department registered it (its connections go through the network
	// guard of registration.allow_networks). Empty for a source parsed
	// from a file by this process.
	Origin string `yaml:"-"`
}

// Stream is one table, view or query of a source and how to sync it.
type Stream struct {
	Name  string `yaml:"name"`
	Table string `yaml:"table"`
	Query string `yaml:"query"`
	// PrimaryKey lists the source's key column(s).
	PrimaryKey []string `yaml:"primary_key"`
	// Cursor is the column that grows on change; required for incremental.
	Cursor string `yaml:"cursor"`
	// Mode is incremental (default when Cursor is set) or full_refresh.
	Mode string `yaml:"mode"`
	// LookBack re-reads this far below the checkpoint: "10m" for a time
	// cursor, "500" for a numeric one.
	LookBack string `yaml:"look_back"`
	// Mapping is the path of the stream's mapping file. Parse resolves it
	// against the configuration's directory but does not open it: the
	// mapping loader owns that file.
	Mapping string `yaml:"mapping"`
	// MappingText, when set (streams read from the registry), is the
	// mapping's source text, and Mapping only names it in errors
	// ("registry:dept/source/stream@v3").
	MappingText []byte `yaml:"-"`
	// Kind optionally states the record kind the stream's mapping declares
	// (e.g. birth_registration), so this file shows what each stream
	// delivers. Parse checks only its shape: it does not read the mapping,
	// so whoever loads the mapping must compare the two.
	Kind string `yaml:"kind"`
	// PageSize is how many rows one read query fetches; default 5000.
	PageSize int `yaml:"page_size"`
	// Batch overrides the default batching policy.
	Batch *Batch `yaml:"batch"`
	// MaxDeleteRatio is the largest share of the stream's live records a
	// full refresh may mark deleted without sync --allow-deletions; above
	// it the run fails and marks nothing. Default 0.1; 1 lets a full
	// refresh delete any share.
	MaxDeleteRatio float64 `yaml:"max_delete_ratio"`
	// RetryTransientFor is how long a run keeps retrying after a
	// transient fault of a database it talks to (a dropped connection, a
	// restart, a failover), resuming from its last committed batch, before
	// it fails. Default 5m; 0 fails on the first fault.
	RetryTransientFor time.Duration `yaml:"retry_transient_for"`
	// Schedule is when lienthong serve runs the stream, in cron syntax with
	// an optional seconds field ("0 */15 * * * *", "30 2 * * *") or a
	// descriptor ("@hourly", "@every 10m"). Empty: only one-shot syncs.
	Schedule string `yaml:"schedule"`
	// TimeZone is the zone Schedule is read in; default serve.timezone.
	TimeZone string `yaml:"timezone"`
	// Timeout bounds one run under serve: past it the run is cancelled, its
	// committed batches stay and the ledger says timed_out.
	Timeout time.Duration `yaml:"timeout"`
	// MaxRuntime bounds a scheduled slot from its time to its end, over its
	// retries and its waits for a busy stream; default: until the stream's
	// next slot.
	MaxRuntime time.Duration `yaml:"max_runtime"`
}

// StreamRef identifies a stream within a configuration.
type StreamRef struct {
	Department *Department
	Source     *Source
	Stream     *Stream
}

// FullName is "department/source/stream".
func (r StreamRef) FullName() string {
	return r.Department.Name + "/" + r.Source.Name + "/" + r.Stream.Name
}

// FieldError is one problem of a registration, by the path of its field in
// the registered object ("streams[0].cursor", "options.base_url").
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}
