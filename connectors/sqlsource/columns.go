package sqlsource

import (
	"context"
	"fmt"
	"strings"

	"github.com/lienthong/lienthong/connectors"
)

// Columns runs the stream's table or query with LIMIT 0 and returns the
// names of its result columns, in their order: what every record's Fields
// will hold. ok is always true.
func (s *Source) Columns(ctx context.Context, st connectors.Stream) ([]string, bool, error) {
	p, err := newPlan(s.d, st)
	if err != nil {
		return nil, false, fmt.Errorf("list the columns of stream %q: %w", st.Name, err)
	}
	cols, err := s.columnNames(ctx, p)
	if err != nil {
		return nil, false, fmt.Errorf("list the columns of stream %q: %w", st.Name, s.scrub(err))
	}
	return cols, true, nil
}

// columnNames runs the stream with no rows for its column names.
func (s *Source) columnNames(ctx context.Context, p *plan) ([]string, error) {
	types, err := s.columnTypes(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("run %s with no rows (check its name and the user's SELECT privilege): %w", p.what, err)
	}
	cols := make([]string, len(types))
	for i, t := range types {
		cols[i] = t.Name()
	}
	return cols, nil
}

// missingColumnError names a primary key or cursor column the stream does
// not have, with the columns it does have. It is ErrMissingColumn to
// errors.Is, without repeating the sentinel's text.
type missingColumnError struct{ msg string }

func (e *missingColumnError) Error() string        { return e.msg }
func (e *missingColumnError) Is(target error) bool { return target == ErrMissingColumn }

// requireColumns checks that the stream's primary key and cursor columns
// are among its result columns. A read and Check both call it first, so a
// mistyped column is named as such rather than as the driver's error
// about the paging query.
func requireColumns(p *plan, st connectors.Stream, cols []string) error {
	has := make(map[string]bool, len(cols))
	for _, c := range cols {
		has[c] = true
	}
	missing := func(role, field, col string) error {
		return &missingColumnError{msg: fmt.Sprintf("%s column %q does not exist in %s (its columns: %s); fix %s in the stream's configuration, "+
			"or select the column in the query (names are case-sensitive)", role, col, p.what, strings.Join(cols, ", "), field)}
	}
	for _, k := range st.PrimaryKey {
		if !has[k] {
			return missing("primary key", "primary_key", k)
		}
	}
	if st.Cursor != "" && !has[st.Cursor] {
		return missing("cursor", "cursor", st.Cursor)
	}
	return nil
}
