package file

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

// ErrInvalidStream is returned, wrapped, when a stream's configuration can
// not be read by this connector: no pattern, a query, a bad pattern, no
// primary key, or a mode its snapshot option does not allow.
var ErrInvalidStream = errors.New("file: invalid stream")

// plan is a validated stream: its pattern, key columns and settings.
type plan struct {
	name    string
	pattern string
	keys    []string
	cursor  string
	settings
}

// newPlan validates a stream against the source's options. It is pure.
func (s *Source) newPlan(st connectors.Stream) (*plan, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidStream, fmt.Sprintf(format, args...))
	}
	if st.Query != "" {
		return nil, bad("a file stream has no query: set table to the file name pattern, e.g. khai-sinh-*.csv")
	}
	pattern := strings.TrimSpace(st.Table)
	if pattern == "" {
		return nil, bad("set table to the file name pattern, e.g. khai-sinh-*.csv")
	}
	if strings.ContainsAny(pattern, `/\`) {
		return nil, bad("table %q: the pattern names files in the source's folder, without a directory", pattern)
	}
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, bad("table %q is not a file name pattern: %v", pattern, err)
	}
	if len(st.PrimaryKey) == 0 {
		return nil, bad("primary_key is required: list the column(s) that identify a row, by their header names")
	}
	p := &plan{name: st.Name, pattern: pattern, cursor: columnName(st.Cursor)}
	seen := map[string]bool{}
	for _, k := range st.PrimaryKey {
		k = columnName(k)
		if k == "" {
			return nil, bad("primary_key: a column name is empty")
		}
		if seen[k] {
			return nil, bad("primary_key: column %q is listed twice", k)
		}
		seen[k] = true
		p.keys = append(p.keys, k)
	}
	if st.LookBack != "" {
		return nil, bad("look_back does not apply to files: each file is read once, in the order files arrive")
	}
	var err error
	if p.settings, err = s.opts.settingsFor(st.Name); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	return p, nil
}

// checkMode refuses a read whose mode contradicts the stream's snapshot
// option: a full refresh deletes what its read did not see, which is right
// only when each file is a whole export.
func (p *plan) checkMode(m connectors.Mode) error {
	switch m {
	case connectors.FullRefresh:
		if !p.snapshot {
			return fmt.Errorf("%w: a full refresh deletes every record its file does not hold, so it needs files that are complete exports: "+
				"set snapshot: true under options.streams.%s if each file is, or read the stream in %s mode if each file holds new rows",
				ErrInvalidStream, p.name, connectors.Incremental)
		}
	case connectors.Incremental:
		if p.snapshot {
			return fmt.Errorf("%w: stream %q is declared snapshot (each file is a complete export): read it in %s mode, which also finds deleted rows",
				ErrInvalidStream, p.name, connectors.FullRefresh)
		}
	default:
		return fmt.Errorf("%w: mode %q is neither %s nor %s", ErrInvalidStream, m, connectors.Incremental, connectors.FullRefresh)
	}
	return nil
}

// columnName is the form header names and configured column names are
// compared in: trimmed, NFC.
func columnName(s string) string {
	return vn.NFC(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
}
