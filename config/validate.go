package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Defaults of the keys a configuration may leave out.
const (
	defaultDataDir     = "lienthong-data"
	defaultBatchSize   = 1000
	defaultBatchPeriod = 2 * time.Second
	defaultPageSize    = 5000
	// A department has a quarter to fix a rejected row before its raw
	// record, names and ID numbers included, is purged.
	defaultRejectsRetention = 90 * 24 * time.Hour
	// A deleted national record keeps its data a month, long enough to
	// investigate a wrong deletion; its source still holds what comes back.
	defaultDeletedRetention = 30 * 24 * time.Hour
	// A full refresh that would delete more than a tenth of a stream is
	// far more often a source answering short than a real loss.
	defaultMaxDeleteRatio    = 0.1
	defaultRetryTransientFor = 5 * time.Minute
)

// Stream modes, as written in the file.
const (
	modeIncremental = "incremental"
	modeFullRefresh = "full_refresh"
)

// setDefaults fills what the file leaves out. A key written with a zero
// value keeps it, so that validation can refuse "page_size: 0" instead of
// quietly replacing it.
func (d *document) setDefaults(c *Config) {
	if c.DataDir == "" {
		c.DataDir = defaultDataDir
	}
	if !d.has("batch.size") {
		c.Batch.Size = defaultBatchSize
	}
	if !d.has("batch.period") {
		c.Batch.Period = defaultBatchPeriod
	}
	d.setServeDefaults(c)
	d.setRegistrationDefaults(c)
	if !d.has("rejects.retention") {
		c.Rejects.Retention = defaultRejectsRetention
	}
	if !d.has("deleted_records.retention") {
		c.DeletedRecords.Retention = defaultDeletedRetention
	}
	for i := range c.Departments {
		for j := range c.Departments[i].Sources {
			src := &c.Departments[i].Sources[j]
			srcPath := index(index("departments", i)+".sources", j)
			for k := range src.Streams {
				d.setStreamDefaults(&src.Streams[k], index(join(srcPath, "streams"), k), c.Batch)
			}
		}
	}
}

// setStreamDefaults fills what a stream leaves out; batch is the default
// policy a partial batch override completes.
func (d *document) setStreamDefaults(s *Stream, sPath string, batch Batch) {
	if !d.has(join(sPath, "page_size")) {
		s.PageSize = defaultPageSize
	}
	if !d.has(join(sPath, "max_delete_ratio")) {
		s.MaxDeleteRatio = defaultMaxDeleteRatio
	}
	if !d.has(join(sPath, "retry_transient_for")) {
		s.RetryTransientFor = defaultRetryTransientFor
	}
	if s.Mode == "" {
		s.Mode = modeFullRefresh
		if s.Cursor != "" {
			s.Mode = modeIncremental
		}
	}
	// A stream that overrides only the size keeps the default period, and
	// the other way round.
	if s.Batch != nil {
		if !d.has(join(sPath, "batch.size")) {
			s.Batch.Size = batch.Size
		}
		if !d.has(join(sPath, "batch.period")) {
			s.Batch.Period = batch.Period
		}
	}
}

// nameRE is the shape of department, source and stream names: they become
// metric labels, URL path segments and the "department/source/stream" a
// command line names.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// validate checks a decoded configuration with its defaults set. It is pure:
// secrets and files are resolved elsewhere.
func (d *document) validate(c *Config) {
	d.checkBatch("batch", c.Batch)
	d.validateServe(c)
	d.validateNational(c)
	for _, r := range []struct {
		key string
		p   RetentionPolicy
	}{{"rejects.retention", c.Rejects}, {"deleted_records.retention", c.DeletedRecords}} {
		if r.p.Retention <= 0 {
			d.addAt(r.key, `must be greater than 0, such as "90d"`)
		}
	}
	if u := c.AdminUnits; d.has("admin_units") {
		// A lookup reads a record's unit in the era of its date, so both
		// eras and the way between them are needed.
		for key, v := range map[string]string{"before": u.Before, "current": u.Current, "old_to_new": u.OldToNew} {
			if v == "" {
				d.required("admin_units", key, "give the path of the list")
			}
		}
	}
	// No department is fine: a service may hold only the departments
	// registered through the API. Commands that need a stream say so.
	if d.has("departments") && len(c.Departments) == 0 {
		d.addAt("departments", "list at least one department, or remove the key")
	}
	d.validateRegistration(c)
	depts := names{}
	for i := range c.Departments {
		dept := &c.Departments[i]
		deptPath := index("departments", i)
		d.checkName(deptPath, "department", dept.Name, depts)
		if len(dept.Sources) == 0 {
			d.required(deptPath, "sources", "list at least one source")
		}
		sources := names{}
		for j := range dept.Sources {
			d.validateSource(&dept.Sources[j], index(deptPath+".sources", j), sources)
		}
	}
}

// sqlKinds are the connector kinds that read a database: they connect with
// a DSN and read incrementally by a cursor column. Other kinds (files, HTTP
// APIs, programs) may have no secret at all and keep their own position.
var sqlKinds = map[string]bool{"postgres": true, "mysql": true, "sqlite": true}

// secretKinds are the kinds whose DSN is nothing but a secret (an API token,
// a program's password), so it can never be written inline.
var secretKinds = map[string]bool{"httpjson": true, "exec": true}

func (d *document) validateSource(src *Source, path string, sources names) {
	d.checkName(path, "source", src.Name, sources)
	if src.Kind == "" {
		d.required(path, "kind", "name the connector kind, e.g. postgres")
	}
	if d.has(join(path, "timeout")) && src.Timeout <= 0 {
		d.addAt(join(path, "timeout"), "must be greater than 0")
	}
	if len(src.Streams) == 0 && !d.registration {
		d.required(path, "streams", "list at least one stream")
	}
	streams := names{}
	for k := range src.Streams {
		d.validateStream(&src.Streams[k], sqlKinds[src.Kind], index(join(path, "streams"), k), streams)
	}
}

// checkKinds reports sources of a kind not in known, with the likely typo
// or the list of known kinds. only, when set, limits the check to one
// "department/source".
func (d *document) checkKinds(c *Config, known []string, only string) {
	for i := range c.Departments {
		for j := range c.Departments[i].Sources {
			src := &c.Departments[i].Sources[j]
			if src.Kind == "" || slices.Contains(known, src.Kind) || (only != "" && only != c.Departments[i].Name+"/"+src.Name) {
				continue
			}
			d.addAt(index(index("departments", i)+".sources", j)+".kind", unknownKind(src.Kind, known))
		}
	}
}

func (d *document) validateStream(s *Stream, sql bool, path string, streams names) {
	d.checkName(path, "stream", s.Name, streams)
	switch {
	case s.Table == "" && s.Query == "":
		d.addAt(path, `missing required key "table" or "query"`)
	case s.Table != "" && s.Query != "":
		d.addAt(join(path, "query"), `set only one of "table" and "query"`)
	}
	if len(s.PrimaryKey) == 0 {
		d.required(path, "primary_key", "list the key column(s), e.g. [id]")
	}
	for i, col := range s.PrimaryKey {
		if col == "" {
			d.addAt(index(join(path, "primary_key"), i), "column name must not be empty")
		}
	}
	switch s.Mode {
	case modeIncremental:
		if sql && s.Cursor == "" {
			d.addAt(join(path, "mode"), `incremental mode needs a cursor: set "cursor" to a column that grows on every change, or use mode full_refresh`)
		}
	case modeFullRefresh:
	default:
		d.addAt(join(path, "mode"), fmt.Sprintf("unknown mode %q: use %s or %s", s.Mode, modeIncremental, modeFullRefresh))
	}
	if s.LookBack != "" {
		switch {
		case s.Cursor == "":
			d.addAt(join(path, "look_back"), `look_back needs a cursor: set "cursor" or remove look_back`)
		case !validLookBack(s.LookBack):
			d.addAt(join(path, "look_back"), fmt.Sprintf("invalid look_back %q: write a duration such as \"10m\" for a time cursor or a number such as \"500\" for a numeric one", s.LookBack))
		}
	}
	if s.Kind != "" && !nameRE.MatchString(s.Kind) {
		d.addAt(join(path, "kind"), fmt.Sprintf("invalid record kind %q: use a common-schema kind such as birth_registration", s.Kind))
	}
	switch {
	case d.registration && s.Mapping != "":
		d.addAt(join(path, "mapping"), "a registered stream's mapping is uploaded apart, as a version (POST .../mappings), then activated: remove the key")
	case !d.registration && s.Mapping == "":
		d.required(path, "mapping", "name the stream's mapping file")
	}
	if s.PageSize <= 0 {
		d.addAt(join(path, "page_size"), "must be greater than 0")
	}
	if s.Batch != nil {
		d.checkBatch(join(path, "batch"), *s.Batch)
	}
	if s.MaxDeleteRatio <= 0 || s.MaxDeleteRatio > 1 {
		d.addAt(join(path, "max_delete_ratio"), fmt.Sprintf("must be greater than 0 and at most 1 (a share of the stream's records, e.g. 0.1), not %g", s.MaxDeleteRatio))
	}
	if s.RetryTransientFor < 0 {
		d.addAt(join(path, "retry_transient_for"), "must not be negative (0 fails a run on its first transient fault)")
	}
}

func (d *document) checkBatch(path string, b Batch) {
	if b.Size <= 0 {
		d.addAt(join(path, "size"), "must be greater than 0")
	}
	if b.Period <= 0 {
		d.addAt(join(path, "period"), "must be greater than 0")
	}
}

// validLookBack accepts what connectors.Stream.LookBack documents: a
// duration or a number, not negative.
func validLookBack(s string) bool {
	if dur, err := time.ParseDuration(s); err == nil {
		return dur >= 0
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// names maps a name to the key path that first used it, to report
// duplicates against the original.
type names map[string]string

func (d *document) checkName(path, what, name string, seen names) {
	switch {
	case name == "":
		d.required(path, "name", "must not be empty")
		return
	case !nameRE.MatchString(name):
		d.addAt(join(path, "name"), fmt.Sprintf(`invalid %s name %q: use lowercase letters a-z, digits, "-" and "_", starting with a letter or digit`, what, name))
		return
	}
	if first, dup := seen[name]; dup {
		where := fmt.Sprintf("line %d", d.line(first))
		if d.registration {
			where = first
		}
		d.addAt(join(path, "name"), fmt.Sprintf("duplicate %s name %q (first used at %s)", what, name, where))
		return
	}
	seen[name] = join(path, "name")
}

// required reports a required key that is empty: missing from the file, on
// the mapping that should hold it, or written empty, on the key itself.
func (d *document) required(path, key, ifEmpty string) {
	if d.has(join(path, key)) {
		d.addAt(join(path, key), ifEmpty)
		return
	}
	if d.registration {
		// An API body names the missing field itself.
		d.addAt(join(path, key), fmt.Sprintf("missing required key %q", key))
		return
	}
	d.addAt(path, fmt.Sprintf("missing required key %q", key))
}

// NameRule says what a department, source or stream name may hold, for
// messages outside a file.
const NameRule = `use lowercase letters a-z, digits, "-" and "_", starting with a letter or digit`

// ValidName reports whether name is a valid department, source or stream
// name: the registry and the API judge names by the file's rule.
func ValidName(name string) bool { return nameRE.MatchString(name) }
