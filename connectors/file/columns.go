package file

import (
	"context"
	"fmt"

	"github.com/lienthong/lienthong/connectors"
)

// Columns returns the header of the newest complete file matching the
// stream's pattern, named as records name their fields (trimmed, NFC,
// columns without a name left out), read with the stream's encoding,
// delimiter, header row and sheet. That file is the one a full refresh
// reads, and the one an incremental read reads next once it has caught up
// with the folder; an older file not read yet is assumed to have the same
// header. ok is false when no complete file matches yet, or when that
// file can not be read (the read reports it as a malformed_file record).
func (s *Source) Columns(ctx context.Context, st connectors.Stream) ([]string, bool, error) {
	cols, ok, err := s.columns(ctx, st)
	if err != nil {
		return nil, false, fmt.Errorf("list the columns of stream %q: %w", st.Name, err)
	}
	return cols, ok, nil
}

func (s *Source) columns(ctx context.Context, st connectors.Stream) ([]string, bool, error) {
	p, err := s.newPlan(st)
	if err != nil {
		return nil, false, err
	}
	l, err := s.list(p)
	if err != nil {
		return nil, false, err
	}
	defer l.close()
	l.warnOutside(s.log.With("stream", st.Name))
	ready := l.ready()
	if len(ready) == 0 {
		return nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	newest := ready[len(ready)-1]
	o, err := openRows(newest, p)
	if isProblem(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", newest.path, err)
	}
	defer o.close()
	// The header alone: the key and cursor columns are Check's to
	// demand, and a read's to report.
	head := *p
	head.keys, head.cursor = nil, ""
	t, err := newTable(newest.name, o.src, &head, o.format == formatCSV)
	if isProblem(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the header of %s: %w", newest.path, err)
	}
	var cols []string
	for _, c := range t.columns {
		if c != "" {
			cols = append(cols, c)
		}
	}
	return cols, true, nil
}
