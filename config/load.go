package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Load reads and parses the configuration file at path, taking secrets from
// the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, data, os.Getenv)
}

// ParseOption adjusts Parse.
type ParseOption func(*parseOptions)

type parseOptions struct {
	withoutSourceSecrets bool
	// only, when set, limits secret resolution to one "department/source".
	only string
	// kinds, when set, are the connector kinds the program knows.
	kinds []string
}

// KnownKinds names the connector kinds the program was built with, so a
// source of another kind (a typo, a connector not imported) is reported
// with its file and line rather than when a sync opens it. The kinds come
// from the caller (connectors.Kinds) because this package must not import
// the connectors.
//
// Like secrets, kinds are checked on the sources whose secrets are
// resolved: every source, or only the one OnlySourceSecret names, or none
// with WithoutSourceSecrets. A command that reads only lienthong's own
// stores, or syncs the other departments, is not stopped by one source's
// mistake.
func KnownKinds(kinds ...string) ParseOption {
	return func(o *parseOptions) { o.kinds = kinds }
}

// OnlySourceSecret resolves the secret of one source ("department/source")
// and leaves the others unresolved: checking one department's system must
// not need every other department's password.
func OnlySourceSecret(departmentSource string) ParseOption {
	return func(o *parseOptions) { o.only = departmentSource }
}

// WithoutSourceSecrets leaves the sources' DSNs unresolved (ResolvedDSN
// empty): a command that only reads lienthong's own stores (runs, rejects,
// migrate) must not need every department's secret in its environment.
// The stores' DSNs are still resolved.
func WithoutSourceSecrets() ParseOption {
	return func(o *parseOptions) { o.withoutSourceSecrets = true }
}

// Parse decodes, checks and resolves a configuration. path is where data
// came from: it names the file in errors and anchors relative paths. getenv
// looks up dsn_env variables; nil means an empty environment, so a test
// never picks up the developer's own secrets.
//
// Parse reads dsn_file files but opens no connection and does not read
// mapping files. Its error joins every *Error found, in line order.
func Parse(path string, data []byte, getenv func(string) string, opts ...ParseOption) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var o parseOptions
	for _, opt := range opts {
		opt(&o)
	}
	c, d, err := decode(path, data)
	if err != nil {
		return nil, err
	}
	c.Path = path
	d.setDefaults(c)
	d.validate(c)
	resolvePaths(c, filepath.Dir(path))
	d.resolveSecrets(c, getenv, !o.withoutSourceSecrets, o.only)
	if len(o.kinds) > 0 && !o.withoutSourceSecrets {
		d.checkKinds(c, o.kinds, o.only)
	}
	if len(o.kinds) > 0 {
		d.checkRegistrationKinds(c, o.kinds)
	}
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b error) int {
			var ea, eb *Error
			errors.As(a, &ea)
			errors.As(b, &eb)
			return cmp.Compare(ea.Line, eb.Line)
		})
		return nil, d.err()
	}
	return c, nil
}

// resolvePaths makes the file paths of a configuration relative to its
// directory rather than to wherever the process was started.
func resolvePaths(c *Config, dir string) {
	c.DataDir = resolve(dir, c.DataDir)
	c.National.DSNFile = resolve(dir, c.National.DSNFile)
	c.State.DSNFile = resolve(dir, c.State.DSNFile)
	resolveNational(c, dir)
	for _, p := range []*string{&c.AdminUnits.Before, &c.AdminUnits.Current, &c.AdminUnits.OldToNew, &c.AdminUnits.NewToOld} {
		*p = resolve(dir, *p)
	}
	for i := range c.Departments {
		for j := range c.Departments[i].Sources {
			src := &c.Departments[i].Sources[j]
			src.DSNFile = resolve(dir, src.DSNFile)
			if src.Kind == "sqlite" {
				src.DSN = resolveSQLite(dir, src.DSN)
			}
			for k := range src.Streams {
				s := &src.Streams[k]
				s.Mapping = resolve(dir, s.Mapping)
			}
		}
	}
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// resolveSQLite resolves the file path inside a SQLite DSN, keeping its
// "file:" or "sqlite:" prefix and its query parameters.
func resolveSQLite(dir, dsn string) string {
	if dsn == "" || dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return dsn
	}
	var prefix string
	for _, p := range []string{"sqlite:", "file:"} {
		if strings.HasPrefix(dsn, p) {
			prefix = p
			break
		}
	}
	file, query, hasQuery := strings.Cut(strings.TrimPrefix(dsn, prefix), "?")
	if file == "" || filepath.IsAbs(file) {
		return dsn
	}
	out := prefix + filepath.Join(dir, file)
	if hasQuery {
		out += "?" + query
	}
	return out
}
