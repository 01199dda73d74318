package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Streams returns every stream of the configuration, in file order. The
// references point into c, so they stay valid as long as c is not modified.
func (c *Config) Streams() []StreamRef {
	var refs []StreamRef
	for i := range c.Departments {
		dept := &c.Departments[i]
		for j := range dept.Sources {
			src := &dept.Sources[j]
			for k := range src.Streams {
				refs = append(refs, StreamRef{Department: dept, Source: src, Stream: &src.Streams[k]})
			}
		}
	}
	return refs
}

// FindStreams returns the streams a command line names: "stream",
// "source/stream" or "department/source/stream". A short name is enough
// while it is unique; an empty name means every stream.
func (c *Config) FindStreams(name string) ([]StreamRef, error) {
	all := c.Streams()
	if name == "" {
		return all, nil
	}
	parts := strings.Split(name, "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return nil, fmt.Errorf("invalid stream name %q: write stream, source/stream or department/source/stream", name)
	}
	var found []StreamRef
	for _, r := range all {
		full := []string{r.Department.Name, r.Source.Name, r.Stream.Name}
		if slices.Equal(full[3-len(parts):], parts) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("unknown stream %q: the configured streams are %s", name, fullNames(all))
	case 1:
		return found, nil
	}
	return nil, fmt.Errorf("stream name %q is ambiguous: write one of %s", name, fullNames(found))
}

func fullNames(refs []StreamRef) string {
	if len(refs) == 0 {
		return "(none)"
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.FullName()
	}
	return strings.Join(names, ", ")
}

// NationalDSN is the national store's DSN: the configured one, or the
// embedded SQLite file in DataDir, so that a first run needs no database
// server.
func (c *Config) NationalDSN() string {
	if c.National.DSN != "" {
		return c.National.DSN
	}
	dir := c.DataDir
	if dir == "" {
		dir = defaultDataDir
	}
	return filepath.Join(dir, "lienthong.db")
}

// StateDSN is the state store's DSN: the configured one, or the national
// store's, so that a small installation runs on one database.
func (c *Config) StateDSN() string {
	if c.State.DSN != "" {
		return c.State.DSN
	}
	return c.NationalDSN()
}

// BatchFor returns the batching policy of a stream: its own, with any field
// it leaves zero taken from the default, or the default when it has none.
func (c *Config) BatchFor(s *Stream) Batch {
	if s == nil || s.Batch == nil {
		return c.Batch
	}
	b := *s.Batch
	if b.Size == 0 {
		b.Size = c.Batch.Size
	}
	if b.Period == 0 {
		b.Period = c.Batch.Period
	}
	return b
}
