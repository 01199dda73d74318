package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping"
)

// CheckColumns compares the columns a mapping reads with the columns the
// stream delivers, when the source can tell them without reading records
// (connectors.ColumnLister). A mapping that reads a column the stream lacks
// fails with ErrMappingMismatch, naming every missing column and listing
// the stream's, so that a wrong mapping stops before anything is read,
// rejected or checkpointed. A source that cannot tell passes: the first
// batch's guard is then the only test.
func CheckColumns(ctx context.Context, src connectors.Source, s connectors.Stream, m *mapping.Mapper) error {
	cl, ok := src.(connectors.ColumnLister)
	if !ok {
		return nil
	}
	have, ok, err := cl.Columns(ctx, s)
	if err != nil {
		// The connector's error names the stream already.
		return err
	}
	if !ok {
		return nil
	}
	var missing []string
	for _, c := range m.Columns() {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	word := "column"
	if len(missing) > 1 {
		word = "columns"
	}
	return fmt.Errorf("%w: mapping %s reads %s %s that stream %q does not have; the stream's columns are %s; "+
		"fix the column names in the mapping (lienthong discover lists them)",
		ErrMappingMismatch, m.Path, word, quoteAll(missing), s.Name, strings.Join(have, ", "))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
