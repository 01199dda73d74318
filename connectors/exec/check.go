package exec

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lienthong/lienthong/connectors"
)

// Check verifies that the program runs and offers the stream. With
// discover: true it runs the program with --discover and looks the stream
// up in the catalog; otherwise it starts a read without state and stops it
// at the stream's first SCHEMA or RECORD, whose key it checks.
func (s *Source) Check(ctx context.Context, st connectors.Stream) error {
	if err := s.check(ctx, st); err != nil {
		return fmt.Errorf("check stream %q: %w", st.Name, s.scrub(err))
	}
	return nil
}

func (s *Source) check(ctx context.Context, st connectors.Stream) error {
	tap, err := tapStream(st)
	if err != nil {
		return err
	}
	if s.opts.Discover {
		cat, err := s.catalog(ctx)
		if err != nil {
			return err
		}
		var names []string
		for _, c := range cat {
			if c.name() == tap || c.Stream == tap {
				if len(st.PrimaryKey) == 0 && len(c.key()) == 0 {
					return fmt.Errorf("%w: the catalog gives stream %q no key_properties: set primary_key in the stream's configuration",
						ErrInvalidStream, tap)
				}
				return nil
			}
			names = append(names, c.name())
		}
		return fmt.Errorf("%w: the program's catalog has no stream %q; it has %s", ErrInvalidStream, tap, list(names))
	}
	r, err := s.newReader(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental}, true)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = r.Next(ctx)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, connectors.ErrEndOfStream):
		return err
	case r.seen:
		return nil
	}
	var names []string
	for name := range r.ignored {
		names = append(names, name)
	}
	return fmt.Errorf("%w: the program ended without a SCHEMA or RECORD of stream %q; it wrote %s",
		ErrInvalidStream, tap, list(names))
}

// list names a few streams for an error.
func list(names []string) string {
	if len(names) == 0 {
		return "no stream at all"
	}
	sort.Strings(names)
	if len(names) > 20 {
		names = append(names[:20], "…")
	}
	return "streams " + strings.Join(names, ", ")
}
