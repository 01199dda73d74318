package exec

import (
	"context"
	"fmt"

	"github.com/lienthong/lienthong/connectors"
)

// Columns runs the program with --discover, when discover is true, and
// returns the properties of the stream's schema in the catalog, in the
// program's order: the fields its records may hold. Without discovery ok
// is false: the only other way to learn them is to start a read.
func (s *Source) Columns(ctx context.Context, st connectors.Stream) ([]string, bool, error) {
	cols, ok, err := s.columns(ctx, st)
	if err != nil {
		return nil, false, fmt.Errorf("list the columns of stream %q: %w", st.Name, s.scrub(err))
	}
	return cols, ok, nil
}

func (s *Source) columns(ctx context.Context, st connectors.Stream) ([]string, bool, error) {
	tap, err := tapStream(st)
	if err != nil {
		return nil, false, err
	}
	if !s.opts.Discover {
		return nil, false, nil
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return nil, false, err
	}
	var names []string
	for _, c := range cat {
		if c.name() != tap && c.Stream != tap {
			names = append(names, c.name())
			continue
		}
		cols := []string{}
		err := eachProperty(c.Schema, func(name string, _ jsonSchema) error {
			cols = append(cols, name)
			return nil
		})
		if err != nil {
			return nil, false, fmt.Errorf("%w: stream %q of the catalog: %v", ErrMalformedOutput, tap, err)
		}
		return cols, true, nil
	}
	return nil, false, fmt.Errorf("%w: the program's catalog has no stream %q; it has %s", ErrInvalidStream, tap, list(names))
}
